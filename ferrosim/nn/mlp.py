"""A multilayer perceptron in plain numpy: forward pass, loss and backward pass.

Weights are given from outside (read from the devices each step), so the network holds no
state of its own. Each weight matrix is (n_out, n_in + 1): the last column multiplies an
always-on input of 1, the bias (DESIGN.md section 4). Arithmetic is float32: device reads
are float64, but float32 halves the matrix-multiply time and is far below device noise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from ferrosim.nn.periphery import Periphery

Activation = Literal["sigmoid", "tanh", "relu"]
DTYPE = np.float32


def _act_grad(h: np.ndarray, kind: Activation) -> np.ndarray:
    """Derivative of the activation, written in terms of its output `h`."""
    if kind == "sigmoid":
        return h * (1.0 - h)
    if kind == "tanh":
        return 1.0 - h * h
    return (h > 0).astype(h.dtype)


def with_bias(a: np.ndarray) -> np.ndarray:
    """Append the always-on bias input (a column of ones)."""
    out = np.empty((a.shape[0], a.shape[1] + 1), dtype=a.dtype)
    out[:, :-1] = a
    out[:, -1] = 1
    return out


def _act_with_bias(z: np.ndarray, kind: Activation) -> np.ndarray:
    """The activation of `z` with the bias column appended, `[act(z), 1]`, in one buffer
    (`z` is overwritten). Sigmoid is `1/(1 + exp(-z))` computed in place: the same float32
    operations, without the temporaries (at batch 1, per-call overhead is most of a layer's
    time). exp of a large -z overflows harmlessly to inf, giving 0."""
    out = np.empty((z.shape[0], z.shape[1] + 1), dtype=z.dtype)
    h = out[:, :-1]
    if kind == "sigmoid":
        np.negative(z, out=z)
        with np.errstate(over="ignore"):
            np.exp(z, out=z)
        z += 1.0
        np.divide(1.0, z, out=h)
    elif kind == "tanh":
        np.tanh(z, out=h)
    else:
        np.maximum(z, 0.0, out=h)
    out[:, -1] = 1
    return out


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class MLP:
    """Layer sizes `[n_in, hidden..., n_out]`, one activation for the hidden layers."""

    sizes: tuple[int, ...]
    activation: Activation = "sigmoid"
    dtype: type = DTYPE
    """Arithmetic precision (float32 in training; float64 for gradient checks)."""

    @property
    def shapes(self) -> list[tuple[int, int]]:
        """Shape of each weight matrix, bias column included."""
        return [(n_out, n_in + 1) for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:])]

    def init_weights(self, rng: np.random.Generator) -> list[np.ndarray]:
        """Uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)), as torch.nn.Linear and aihwkit layers."""
        out = []
        for n_out, n_in1 in self.shapes:
            bound = 1.0 / np.sqrt(n_in1 - 1)
            out.append(rng.uniform(-bound, bound, size=(n_out, n_in1)).astype(self.dtype))
        return out

    def forward(self, weights: list[np.ndarray], x: np.ndarray, periphery: Periphery | None = None
                ) -> tuple[list[np.ndarray], np.ndarray]:
        """Layer inputs (bias column included) and output class probabilities. `periphery`:
        the analog I/O the products pass through (ferrosim.nn.periphery; None: exact)."""
        a1 = with_bias(x.astype(self.dtype, copy=False))
        inputs = [a1]
        last = len(weights) - 1
        for k, w in enumerate(weights):
            z = a1 @ w.T if periphery is None else periphery.forward(k, a1, w)
            if k == last:
                return inputs, softmax(z)
            a1 = _act_with_bias(z, self.activation)
            inputs.append(a1)
        raise ValueError("a network needs at least one weight matrix")

    def backward(self, weights: list[np.ndarray], inputs: list[np.ndarray], probs: np.ndarray,
                 y: np.ndarray, periphery: Periphery | None = None) -> list[np.ndarray]:
        """Errors `d` at each layer's output for the mean cross-entropy over the batch.

        The gradient of layer k is `deltas[k].T @ inputs[k]`; the 1/batch of the mean is in
        the deltas, as in a framework whose loss reduces by mean (and as aihwkit sees them).
        `periphery` (the one of the forward pass): the error goes down through its backward
        products, and outputs that reached the forward bound pass no error to the layer below,
        while their own layer is still updated with the full error, as aihwkit's analog tiles
        do (its `AnalogFunction` keeps the error before the mask for the update).
        """
        n = probs.shape[0]
        d = probs.copy()
        d[np.arange(n), y] -= 1.0
        d /= n
        deltas = [d]
        for k in range(len(weights) - 1, 0, -1):
            h = inputs[k][:, :-1]
            below = d @ weights[k][:, :-1] if periphery is None else periphery.backward(k, d, weights[k])
            d = below * _act_grad(h, self.activation)
            deltas.append(d)
        return deltas[::-1]

    def predict(self, weights: list[np.ndarray], x: np.ndarray, batch: int = 4096,
                periphery: Periphery | None = None) -> np.ndarray:
        """Class predictions, in chunks so that a large test set needs little memory."""
        out = np.empty(x.shape[0], dtype=np.int64)
        for s in range(0, x.shape[0], batch):
            out[s : s + batch] = self.forward(weights, x[s : s + batch], periphery)[1].argmax(axis=1)
        return out


def cross_entropy(probs: np.ndarray, y: np.ndarray) -> float:
    """Mean cross-entropy of predicted probabilities against integer labels."""
    p = probs[np.arange(len(y)), y]
    return float(-np.mean(np.log(np.maximum(p, 1e-12))))
