"""The small-batch training loop in numba: forward, loss gradient, backward and the update of
every mini-batch of an epoch in one compiled call, with no Python per sample (issue 19).

At batch 1 the per-sample Python and numpy call overhead of `ferrosim.training.loop` (about 40
small numpy calls per sample) cost more than the network and the pulses together. Here one
call trains all the full mini-batches of an epoch (with an `io:` periphery, one call per part
of it whose read noise fits a window of its stream: `FusedBuffers.parts`); a last, partial
mini-batch (when the batch size does not divide the training set) goes through the ordinary
loop. The network with a periphery is ferrosim.training.fused_periphery.

The numbers are those of the same rules, but the float32 sums run in this module's order, not
BLAS's: a product is a dot product per output, vectorised by LLVM (`fastmath={"reassoc"}` on
the dot product only); the first layer's product skips the zero borders of the input (most
MNIST pixels). So a run on this path is reproducible bit for bit on one machine (it is one
thread, whatever `--threads` says), and it differs in the last bits, then in its random
trajectory, from the same run on the batched path. Which path a run takes depends on its
config only (`uses_fused`); run.json says which (`training_path`).

Each updater (ferrosim.training.updaters, .tiki_taka) has a `fused_minibatches` method that
calls the driver of its algorithm here with its own state. The drivers own what they share with
the updaters (`rank1_update`); this module imports no updater.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ferrosim.crossbar.deterministic import deterministic_pulsed_update
from ferrosim.crossbar.sgd import pulsed_sgd_update
from ferrosim.crossbar.tiki_taka import fast_updates_and_transfers
from ferrosim.crossbar.transfer import (accumulate, accumulate_batch_and_transfer, accumulate_rank1_and_transfer,
                                       stochastic_transfer_pulses, transfer_pulses)
from ferrosim.training.fused_periphery import FusedPeriphery, network_minibatch_io
from ferrosim.training.network_math import act_grad, activate, back_product, dot, gather_input, loss_and_error

FUSED_MAX_BATCH = 16
"""Mini-batches up to this size take the fused path (see `uses_fused`).
From 32 samples up, BLAS's matrix products and the layer threads of the batched path win."""

ACTIVATIONS = {"sigmoid": 0, "tanh": 1, "relu": 2}


def uses_fused(cfg) -> bool:
    """Whether a run of `cfg` trains on the fused path: a mini-batch of at most
    FUSED_MAX_BATCH samples (with or without an `io:` periphery, since issue 26:
    ferrosim.training.fused_periphery)."""
    return cfg.training.batch_size <= FUSED_MAX_BATCH


@njit(cache=True)
def rank1_update(w, d, a, lr):
    """w -= lr * d a^T in place (float32), row by row in memory order. The ideal update of one
    sample: the fused drivers below and the batched path's IdealUpdater (batch 1) share it."""
    for i in range(d.shape[0]):
        c = lr * d[i]
        if c == 0:
            continue
        for j in range(a.shape[0]):
            w[i, j] -= c * a[j]


# -- the network ------------------------------------------------------------------------------------

@njit(cache=True, nogil=True)
def network_minibatch(X, Y, idx, act, Ws, As, Ds, probs, below):
    """Forward and backward pass of the samples `X[idx]` (labels `Y[idx]`).

    Ws: the weight matrices (n_out, n_in + 1), float32. As[k]: layer k's inputs (batch,
    n_in + 1), bias column of ones included, written here; Ds[k]: the errors at layer k's
    outputs (batch, n_out) for the mean cross-entropy over the mini-batch (the 1/batch is in
    them, as in ferrosim.nn.mlp); probs: (batch, n_classes) scratch; below: (max n_in,) scratch.
    Returns (sum of the samples' losses, number classified correctly).
    """
    nb = idx.shape[0]
    n_layers = len(Ws)
    a0 = As[0]
    loss = 0.0
    correct = 0
    for s in range(nb):
        lo, hi = gather_input(X[idx[s]], a0[s])
        # forward (the first layer's product skips the zero borders of the input)
        for k in range(n_layers):
            w = Ws[k]
            a = As[k][s]
            n_out, n_in1 = w.shape
            lo_k = lo if k == 0 else 0
            hi_k = hi if k == 0 else n_in1 - 1
            a_span = a[lo_k:hi_k]
            bias = a[n_in1 - 1]
            if k < n_layers - 1:
                nxt = As[k + 1][s]
                for i in range(n_out):
                    z = dot(w[i, lo_k:hi_k], a_span) + w[i, n_in1 - 1] * bias
                    nxt[i] = activate(z, act)
                nxt[n_out] = 1.0
            else:
                p = probs[s]
                for i in range(n_out):
                    p[i] = dot(w[i, lo_k:hi_k], a_span) + w[i, n_in1 - 1] * bias
        # softmax, loss, accuracy, then backward: the errors at each layer's outputs
        l_, hit = loss_and_error(probs[s], Y[idx[s]], Ds[n_layers - 1][s], nb)
        loss += l_
        correct += hit
        for k in range(n_layers - 1, 0, -1):
            w = Ws[k]
            n_out, n_in1 = w.shape
            n_in = n_in1 - 1
            back_product(Ds[k][s], w, below, n_in)
            h = As[k][s]
            dn = Ds[k - 1][s]
            for j in range(n_in):
                dn[j] = below[j] * act_grad(h[j], act)
    return loss, correct


@njit(cache=True, nogil=True)
def _digital_bias_step(Ws, As, Ds, biases, lr):
    """aihwkit's digital bias: each bias is a float updated by plain SGD (b -= lr * sum of the
    mini-batch's errors), read by the network through the bias column; the devices of that
    column get no input (their inputs are set to 0 for the update that follows)."""
    lr32 = np.float32(lr)
    for k in range(len(Ws)):
        b = biases[k]
        d = Ds[k]
        w = Ws[k]
        last = w.shape[1] - 1
        for i in range(b.shape[0]):
            s = np.float32(0.0)
            for q in range(d.shape[0]):
                s += d[q, i]
            b[i] -= lr32 * s
            w[i, last] = b[i]
        a = As[k]
        for q in range(a.shape[0]):
            a[q, last] = 0.0


@njit(cache=True, nogil=True)
def _outer(ds, xs, dw):
    """dw = ds^T xs (float32; sums over the mini-batch in sample order)."""
    n_out = ds.shape[1]
    n_in = xs.shape[1]
    for i in range(n_out):
        for j in range(n_in):
            dw[i, j] = 0.0
    for q in range(ds.shape[0]):
        for i in range(n_out):
            c = ds[q, i]
            if c == 0.0:
                continue
            for j in range(n_in):
                dw[i, j] += c * xs[q, j]


# -- one driver per algorithm family ---------------------------------------------------------------

@njit(cache=True, nogil=True)
def _minibatch(X, Y, order, q, batch, act, Ws, As, Ds, probs, below, io, lr, digital_bias, biases):
    """Mini-batch q of `order`: the network's forward and backward pass, then the digital bias
    step when it is on. `io`: None (exact products) or the periphery's arguments
    (ferrosim.training.fused_periphery). Returns (sum of losses, number correct)."""
    idx = order[q * batch:(q + 1) * batch]
    if io is None:
        out = network_minibatch(X, Y, idx, act, Ws, As, Ds, probs, below)
    else:
        out = network_minibatch_io(X, Y, idx, act, Ws, As, Ds, probs, below, digital_bias, io)
    if digital_bias:
        _digital_bias_step(Ws, As, Ds, biases, lr)
    return out


@njit(cache=True, nogil=True)
def ideal_minibatches(X, Y, order, batch, act, Ws, As, Ds, probs, below, io, lr, dws):
    """Floating-point SGD, W -= lr * d^T x per mini-batch (`io` is None: no periphery)."""
    loss = 0.0
    correct = 0
    lr32 = np.float32(lr)
    for q in range(order.shape[0] // batch):
        l_, c_ = network_minibatch(X, Y, order[q * batch:(q + 1) * batch], act, Ws, As, Ds, probs, below)
        loss += l_
        correct += c_
        for k in range(len(Ws)):
            w = Ws[k]
            if batch == 1:
                rank1_update(w, Ds[k][0], As[k][0], lr32)
                continue
            dw = dws[k]
            _outer(Ds[k], As[k], dw)
            for i in range(w.shape[0]):
                for j in range(w.shape[1]):
                    w[i, j] -= lr32 * dw[i, j]
    return loss, correct


@njit(cache=True, nogil=True)
def sgd_minibatches(X, Y, order, batch, act, Ws, As, Ds, probs, below, io, lr, eps, bl, um, blm, implicit, x_res,
                    d_res, sample0, digital_bias, biases, layers):
    """Pulsed SGD (sgd, sgd_symmetry_shift, sgd_balanced): each layer's pulse trains per sample.
    layers[k] = (g, scale, key, device, scratch, tail, px), the arguments of the kernels."""
    loss = 0.0
    correct = 0
    for q in range(order.shape[0] // batch):
        l_, c_ = _minibatch(X, Y, order, q, batch, act, Ws, As, Ds, probs, below, io, lr, digital_bias, biases)
        loss += l_
        correct += c_
        for k in range(len(layers)):
            g, scale, key, device, scratch, tail, px = layers[k]
            if implicit:
                deterministic_pulsed_update(g, As[k], Ds[k], lr / scale, eps, bl, um, blm, x_res, d_res, key,
                                            sample0, *device, *tail, px)
            else:
                pulsed_sgd_update(g, As[k], Ds[k], lr / scale, eps, bl, um, blm, key, sample0, *device, *scratch,
                                  *tail)
        sample0 += batch
    return loss, correct


@njit(cache=True, nogil=True)
def mixed_precision_minibatches(X, Y, order, batch, act, Ws, As, Ds, probs, below, io, lr, eps, max_pulses,
                                stochastic, transfer_every, eps_device, bl, batches, transfers, digital_bias,
                                biases, layers):
    """Mixed precision: the accumulator chi of every layer, and its transfers on schedule (as
    `MixedPrecisionUpdater.update`). layers[k] = (g, chi, scale, key, device, tail, dw, n_row, work).
    Returns (loss, correct, mini-batches counted, transfers made)."""
    loss = 0.0
    correct = 0
    fused_rank1 = batch == 1 and transfer_every == 1 and not stochastic
    # a few samples, a transfer after each mini-batch, no cap: the input-major form (same numbers)
    fused_batch = batch > 1 and transfer_every == 1 and not stochastic and max_pulses == 0
    for q in range(order.shape[0] // batch):
        l_, c_ = _minibatch(X, Y, order, q, batch, act, Ws, As, Ds, probs, below, io, lr, digital_bias, biases)
        loss += l_
        correct += c_
        batches += 1
        if fused_rank1:
            for k in range(len(layers)):
                g, chi, scale, key, device, tail, dw, n_row, work = layers[k]
                accumulate_rank1_and_transfer(g, chi, As[k][0], Ds[k][0], -lr / scale, eps, max_pulses, key,
                                              transfers, *device, *tail, work)
            transfers += 1
            continue
        if fused_batch:
            for k in range(len(layers)):
                g, chi, scale, key, device, tail, dw, n_row, work = layers[k]
                accumulate_batch_and_transfer(g, chi, As[k], Ds[k], -lr / scale, eps, key, transfers, *device,
                                              *tail, work)
            transfers += 1
            continue
        if stochastic:  # aihwkit counts from 0 and skips update 0
            transfer = batches > 1 and (batches - 1) % transfer_every == 0
        else:
            transfer = batches % transfer_every == 0
        for k in range(len(layers)):
            g, chi, scale, key, device, tail, dw, n_row, work = layers[k]
            _outer(Ds[k], As[k], dw)
            accumulate(chi, dw, -lr / scale)
            if transfer:
                if stochastic:
                    stochastic_transfer_pulses(g, chi, eps, max_pulses, eps_device, bl, key, transfers, *device,
                                               *tail, n_row)
                else:
                    transfer_pulses(g, chi, eps, max_pulses, key, transfers, *device, *tail)
        if transfer:
            transfers += 1
    return loss, correct, batches, transfers


@njit(cache=True, nogil=True)
def tiki_taka_minibatches(X, Y, order, batch, act, Ws, As, Ds, probs, below, io, lr, kind, sample0, digital_bias,
                          biases, layers):
    """The Tiki-Taka family: per layer, A's updates and the transfers due between them, in one
    call of `fast_updates_and_transfers` per mini-batch. layers[k] = (head, tail): its arguments
    before and after the sample index."""
    loss = 0.0
    correct = 0
    for q in range(order.shape[0] // batch):
        l_, c_ = _minibatch(X, Y, order, q, batch, act, Ws, As, Ds, probs, below, io, lr, digital_bias, biases)
        loss += l_
        correct += c_
        for k in range(len(layers)):
            head, tail = layers[k]
            fast_updates_and_transfers(kind, As[k], Ds[k], *head, sample0, *tail)
        sample0 += batch
    return loss, correct


class FusedBuffers:
    """The per-run buffers of the fused loop for one network and batch size."""

    def __init__(self, sizes: tuple[int, ...], activation: str, batch: int, periphery=None) -> None:
        self.batch = batch
        self.periphery = None if periphery is None else FusedPeriphery(periphery, sizes, batch)
        self.act = ACTIVATIONS[activation]
        self.As = tuple(np.zeros((batch, n + 1), dtype=np.float32) for n in sizes[:-1])
        self.Ds = tuple(np.zeros((batch, n), dtype=np.float32) for n in sizes[1:])
        self.probs = np.zeros((batch, sizes[-1]), dtype=np.float32)
        self.below = np.zeros(max(sizes), dtype=np.float32)

    def network_args(self, X, Y, order, weights) -> tuple:
        """The leading arguments every driver takes."""
        io = None if self.periphery is None else self.periphery.args
        return (X, Y, order, self.batch, self.act, tuple(weights), self.As, self.Ds, self.probs, self.below, io)

    def parts(self, order: np.ndarray):
        """`order` in the parts the drivers take one call each: the whole of it, or with a
        periphery, parts whose read noise fits one window of its stream."""
        if self.periphery is None:
            yield order
        else:
            yield from self.periphery.parts(order)
