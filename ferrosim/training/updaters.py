"""Weight-update algorithms: how a requested gradient step reaches the weights.

Each updater owns the weights of every layer and exposes the same three operations to the
training loop: `weights()` (what the forward pass reads), `update(inputs, deltas, lr)` and
`pulse_counts()`. DESIGN.md section 4 gives the rules; docs/algorithms.md the accounting.
"""

from __future__ import annotations

import numpy as np

from ferrosim.config import RunConfig
from ferrosim.crossbar.devices import DeviceArrays
from ferrosim.crossbar.layer import CrossbarLayer
from ferrosim.crossbar.rng import derive_key, root_key
from ferrosim.nn.mlp import DTYPE


class IdealUpdater:
    """Floating-point SGD, `W -= lr * d x^T`: the reference with no device."""

    name = "ideal"

    def __init__(self, w0: list[np.ndarray]) -> None:
        self._w = [np.asarray(w, dtype=DTYPE).copy() for w in w0]

    def weights(self) -> list[np.ndarray]:
        return self._w

    def update(self, inputs: list[np.ndarray], deltas: list[np.ndarray], lr: float) -> None:
        for w, a, d in zip(self._w, inputs, deltas):
            w -= DTYPE(lr) * (d.T @ a)

    def pulse_counts(self) -> tuple[int, int]:
        return 0, 0

    def describe(self) -> dict:
        return {}


class PulsedSGDUpdater:
    """Plain pulsed SGD (aihwkit stochastic-compressed pulse trains) on every layer."""

    name = "sgd"

    def __init__(self, cfg: RunConfig, w0: list[np.ndarray], rng_d2d: np.random.Generator) -> None:
        model = cfg.device.response
        g_ref = 0.0  # the centre of the normalised range: plain SGD's weight zero
        self.eps = model.granularity(cfg.update.granularity, g_ref)
        self.layers = []
        for w in w0:
            devices = DeviceArrays.build(model, w.shape, rng_d2d)
            layer = CrossbarLayer(devices, g_ref, cfg.device.weight_scale, self.eps)
            layer.program(w)
            self.layers.append(layer)
        self.update_cfg = cfg.update
        self._key = root_key(cfg.seed)
        self._sample = 0  # global sample counter: each sample gets its own random streams
        self._symmetry_point = model.symmetry_point()

    def weights(self) -> list[np.ndarray]:
        return [layer.read() for layer in self.layers]

    def update(self, inputs: list[np.ndarray], deltas: list[np.ndarray], lr: float) -> None:
        u = self.update_cfg
        for k, (layer, a, d) in enumerate(zip(self.layers, inputs, deltas)):
            layer.pulsed_update(a, d, lr, u.bl, u.update_management, u.update_bl_management,
                                np.uint64(derive_key(self._key, np.uint64(k))), self._sample)
        self._sample += inputs[0].shape[0]

    def pulse_counts(self) -> tuple[int, int]:
        up = sum(int(layer.counts[0]) for layer in self.layers)
        down = sum(int(layer.counts[1]) for layer in self.layers)
        return up, down

    def describe(self) -> dict:
        return {"granularity": self.update_cfg.granularity, "eps": self.eps,
                "symmetry_point": self._symmetry_point, "g_ref": 0.0}


def make_updater(cfg: RunConfig, w0: list[np.ndarray], rng_d2d: np.random.Generator):
    """The updater of `cfg.algorithm`."""
    if cfg.algorithm == "ideal":
        return IdealUpdater(w0)
    return PulsedSGDUpdater(cfg, w0, rng_d2d)
