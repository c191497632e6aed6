"""The Tiki-Taka family: `tiki_taka_v2`, `chopped_tt_v2` and `agad` (docs/algorithms.md).

Each layer has two arrays of the same devices (or `tiki_taka.fast_device` for A): the fast
array A takes the pulsed SGD update of every sample; the slow array C is what the network
reads. Every `transfer_every` samples (or mini-batches) one column of A, in cyclic order, is
read into a digital buffer H, and C gets one pulse per row whose buffer crossed its threshold
(ferrosim.crossbar.tiki_taka). aihwkit 1.2.0's CPU rules and defaults, with its names:

- tiki_taka_v2 = BufferedTransferCompound (Gokmen 2021): H in weight units, threshold
  thres_scale * C's granularity; A's learning rate fast_lr * lr.
- chopped_tt_v2 = ChoppedTransferCompound (Rasch et al. 2024): A's update and the buffer's
  input carry a per-column sign (the chopper) that switches after a column's transfer (with
  probability in_chop_prob, or regularly), so A's offset (its symmetry point) averages out of H.
- agad = DynamicTransferCompound: as chopped_tt_v2, but H accumulates A's read minus a running
  mean of earlier reads, frozen at each chopper switch (an on-the-fly reference); regular
  choppers by default and no write to C during the first chopper period.

A's pulse count uses the mean granularity of A and C (aihwkit's VectorDevice); each pulse moves
A by its own step. Pulses on A and C are both counted and priced; the buffer's read-add-writes
are digital operations priced like mixed precision's accumulator.
"""

from __future__ import annotations

import math

import numpy as np

from ferrosim.config import RunConfig
from ferrosim.crossbar.devices import DeviceArrays
from ferrosim.crossbar.layer import CrossbarLayer
from ferrosim.crossbar.rng import derive_key
from ferrosim.crossbar.tiki_taka import KINDS, TTV2, fast_updates_and_transfers
from ferrosim.training.fused import tiki_taka_minibatches
from ferrosim.training.updaters import PulsedSGDUpdater

_TRANSFER_STREAM = np.uint64(0x7417_7A4A)
_CHOPPER_STREAM = np.uint64(0xC40_99E5)


class _FastState:
    """One layer's fast array A, buffer H, choppers and AGAD reference."""

    def __init__(self, layer: CrossbarLayer, columns: int) -> None:
        self.layer = layer
        rows = layer.g.shape[0]
        self.columns = columns  # the columns that take part (not a digital bias column)
        self.buffer = np.zeros(layer.g.shape, dtype=np.float64)
        self.col_sign = np.ones(layer.g.shape[1], dtype=np.float64)
        self.row_sign = np.ones(rows, dtype=np.float64)
        self.running_mean = np.zeros(layer.g.shape, dtype=np.float64)
        self.past_mean = np.zeros(layer.g.shape, dtype=np.float64)
        self.switched = np.zeros(layer.g.shape[1], dtype=np.bool_)
        self.ints = np.zeros(4, dtype=np.int64)  # samples seen, next column, full passes, transfers
        self.px = np.empty(layer.g.shape[1], dtype=np.float32)  # deterministic trains' scratch
        self.maxima = np.zeros(2, dtype=np.float64)  # auto_scale's running max|x|, max|d|


class TikiTakaUpdater(PulsedSGDUpdater):
    """`tiki_taka_v2`, `chopped_tt_v2`, `agad`: see the module docstring."""

    def __init__(self, cfg: RunConfig, w0: list[np.ndarray], rng_d2d: np.random.Generator,
                 threads: int | None = None) -> None:
        super().__init__(cfg, w0, rng_d2d, threads)  # self.layers: the slow arrays C, programmed to w0
        self.name = cfg.algorithm
        self.kind = KINDS[cfg.algorithm]
        self.tt = cfg.tiki_taka.resolved(cfg.algorithm)
        fast_model = self.tt.fast_device or self.model
        self.eps_c = self.eps
        # A on the run's own device has the run's weight zero; a fast_device of its own, its middle
        zero_a = self.weight_zero.g_ref if self.tt.fast_device is None else 0.0
        self.eps_a = fast_model.granularity(cfg.update.granularity, zero_a)
        scale = cfg.device.weight_scale
        self.fast: list[_FastState] = []
        for k, w in enumerate(w0):
            layer = CrossbarLayer(DeviceArrays.build(fast_model, w.shape, rng_d2d), zero_a, scale,
                                  0.5 * (self.eps_a + self.eps_c))  # aihwkit: the mean granularity counts A's pulses
            layer.program(np.zeros(w.shape))
            columns = w.shape[1] - (1 if self._digital_bias else 0)
            self.fast.append(_FastState(layer, columns))
        self._tkeys = [np.uint64(derive_key(key, _TRANSFER_STREAM)) for key in self._layer_keys]
        self._ckeys = [np.uint64(derive_key(key, _CHOPPER_STREAM)) for key in self._layer_keys]
        self._fast_keys = [np.uint64(derive_key(key, np.uint64(1))) for key in self._layer_keys]
        self._transfers = 0
        self._ops = [np.zeros(1, dtype=np.int64) for _ in w0]  # per layer: buffer read-add-writes
        read = self.tt.transfer_forward
        self._read = (read.is_perfect, read.out_noise, read.out_res * 2.0 * read.out_bound, read.out_bound)

    # -- schedule -------------------------------------------------------------------------------
    def _count_lr(self, lr: float) -> float:
        """A's learning rate without auto_scale (aihwkit's getPulseCountLearningRate)."""
        tt = self.tt
        if tt.fast_lr <= 0:
            return lr
        return tt.fast_lr * lr if tt.scale_fast_lr else tt.fast_lr

    # -- the update -----------------------------------------------------------------------------
    def update(self, inputs: list[np.ndarray], deltas: list[np.ndarray], lr: float) -> None:
        inputs = self._analog_inputs(inputs, deltas, lr)
        batch = inputs[0].shape[0]
        every = self.tt.samples_between_transfers(batch)
        lr_t = self.tt.transfer_lr * (lr if self.tt.scale_transfer_lr else 1.0)
        sample0 = self._sample

        def update_layer(k: int) -> None:
            self._layer_update(k, inputs[k], deltas[k], lr, batch, every, lr_t, sample0)

        self._threads.run(update_layer, batch)
        self._sample += batch
        self._transfers = int(self.fast[0].ints[3])

    def _layer_update(self, k: int, xs: np.ndarray, ds: np.ndarray, lr: float, batch: int, every: int, lr_t: float,
                      sample0: int) -> None:
        """Layer k's samples: A's updates and the transfers due between them (one fused kernel)."""
        head, tail = self._kernel_args(k, lr, batch, every, lr_t)
        fast_updates_and_transfers(self.kind, np.ascontiguousarray(xs), np.ascontiguousarray(ds), *head, sample0,
                                   *tail)

    def fused_minibatches(self, bufs, X, Y, order, lr: float) -> tuple[float, int]:
        """The full mini-batches of `order` on the fused path (ferrosim.training.fused)."""
        batch = bufs.batch
        every = self.tt.samples_between_transfers(batch)
        lr_t = self.tt.transfer_lr * (lr if self.tt.scale_transfer_lr else 1.0)
        layers = tuple(self._kernel_args(k, lr, batch, every, lr_t) for k in range(len(self.layers)))
        out = tiki_taka_minibatches(*bufs.network_args(X, Y, order, self.weights()), lr, self.kind, self._sample,
                                    self._digital_bias, self._fused_biases(), layers)
        self._sample += (len(order) // batch) * batch
        self._transfers = int(self.fast[0].ints[3])
        return out

    def _kernel_args(self, k: int, lr: float, batch: int, every: int, lr_t: float) -> tuple[tuple, tuple]:
        """Layer k's arguments of `fast_updates_and_transfers` before and after the sample index."""
        st, c, tt, u = self.fast[k], self.layers[k], self.tt, self.update_cfg
        a = st.layer
        auto = tt.auto_scale and self.kind != TTV2 and tt.fast_lr > 0
        count_lr = self._count_lr(lr)
        # auto_scale: A's lr = fast_lr * BL * dw_A / (m_x m_d) (x lr when scale_fast_lr), per sample
        auto_lr = tt.fast_lr * u.bl * self.eps_a * a.scale * (lr if tt.scale_fast_lr else 1.0)
        if self.kind == TTV2:
            unit, lr_scale = tt.thres_scale * self.eps_c * c.scale, abs(lr_t)
        else:
            bg = self.eps_a * a.scale
            if tt.auto_granularity > 0 and tt.transfer_every:  # (transfer_every 0: no transfer, no unit)
                bg *= tt.auto_granularity / (st.columns * abs(tt.transfer_every))
            unit, lr_scale = 1.0, abs(lr_t) / (tt.buffer_granularity * bg)
        period = max(math.ceil(1.0 / tt.in_chop_prob), 2) if tt.in_chop_prob > 0 else 2
        mu = min(tt.tail_weightening / period, 1.0)
        res = u.implicit_res or (0.0, 0.0)
        perfect, noise, r_step, bound = self._read
        head = (count_lr / a.scale, a.eps, u.bl, u.update_management, u.update_bl_management, u.implicit_res is not None,
                res[0], res[1], self._fast_keys[k])
        tail = (
            a.g, *a.devices.kernel_args, *a.scratch(u.bl), st.px, a.counts, a.p_up, a.p_down, a.read(), a.g_ref, a.scale,
            every, st.columns, st.ints, lr_t, lr_scale, unit, tt.momentum, tt.forget_buffer, st.col_sign, st.row_sign,
            st.buffer, st.running_mean, st.past_mean, st.switched, period, tt.in_chop_prob, bool(tt.in_chop_random),
            mu, perfect, noise, r_step, bound, self._tkeys[k], self._ckeys[k],
            c.g, *c.devices.kernel_args, c.counts, c.read(), c.g_ref, c.scale, self._ops[k],
            auto, st.maxima, (1.0 - tt.auto_momentum) / batch, auto_lr / a.scale)
        return head, tail

    # -- accounting -----------------------------------------------------------------------------
    def pulse_counts(self) -> tuple[int, int]:
        up, down = super().pulse_counts()  # C
        fast_up, fast_down = self.fast_pulse_counts()
        return up + fast_up, down + fast_down

    def fast_pulse_counts(self) -> tuple[int, int]:
        return (sum(int(st.layer.counts[0]) for st in self.fast), sum(int(st.layer.counts[1]) for st in self.fast))

    def digital_ops(self) -> int:
        return sum(int(o[0]) for o in self._ops)  # one buffer multiply-add per row of every transferred column

    def accumulator_updates(self) -> int:
        return sum(int(o[0]) for o in self._ops)  # one buffer read-add-write each

    def describe(self) -> dict:
        tt = self.tt
        return {**super().describe(), "eps_fast": self.eps_a, "eps_slow": self.eps_c,
                "transfers": self._transfers, "units_in_mbatch": tt.units_in_mbatch,
                "scale_fast_lr": tt.scale_fast_lr, "momentum": tt.momentum, "in_chop_random": tt.in_chop_random,
                "fast_pulses": list(self.fast_pulse_counts())}


__all__ = ["TikiTakaUpdater"]
