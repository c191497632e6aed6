"""One weight matrix stored on devices: states `g`, reference `g_ref`, scale `s`.

The network reads `W = s*(g - g_ref)` (DESIGN.md section 2) and requests changes `dW`; this
class turns them into pulses through the kernels and counts every pulse it applies.
"""

from __future__ import annotations

import numpy as np

from ferrosim.crossbar.deterministic import deterministic_pulsed_update
from ferrosim.crossbar.devices import DeviceArrays
from ferrosim.crossbar.sgd import pulsed_sgd_update, scratch_buffers
from ferrosim.crossbar.transfer import (accumulate, accumulate_rank1_and_transfer, column_work,
                                       stochastic_transfer_pulses, transfer_pulses)
from ferrosim.nn.mlp import DTYPE


class CrossbarLayer:
    """Device states of one layer, with the reference and scale that make them weights."""

    def __init__(self, devices: DeviceArrays, g_ref: float | np.ndarray, scale: float, eps: float) -> None:
        self.devices = devices
        self.g = np.zeros(devices.a_up.shape, dtype=np.float64)
        # A scalar reference stays a read-only broadcast view (one value for every device).
        self.g_ref = np.broadcast_to(np.asarray(g_ref, dtype=np.float64), self.g.shape)
        if np.ndim(g_ref) > 0:
            self.g_ref = self.g_ref.copy()
        self.scale = float(scale)
        self.eps = float(eps)
        self.counts = np.zeros(2, dtype=np.int64)  # pulses up, pulses down
        self._w = np.empty(self.g.shape, dtype=DTYPE)
        self._scratch: tuple[np.ndarray, ...] | None = None
        self._column_work: tuple[np.ndarray, ...] | None = None  # mixed precision at batch 1
        # Probability that a coincidence fires its pulse, per device and direction (sgd_balanced).
        self.p_up = np.broadcast_to(1.0, self.g.shape)
        self.p_down = np.broadcast_to(1.0, self.g.shape)

    def program(self, w: np.ndarray) -> None:
        """Set the states so that the layer reads `w` (clipped to each device's bounds).

        Initial weights are written directly, not by pulses, as aihwkit does; no pulses are
        counted.
        """
        g = self.g_ref + np.asarray(w, dtype=np.float64) / self.scale
        np.clip(g, self.devices.w_min, self.devices.w_max, out=self.g)
        self._w[...] = self.scale * (self.g - self.g_ref)

    def read(self) -> np.ndarray:
        """The weights `s*(g - g_ref)` as float32. The kernels update this buffer with every
        device they change, so reading costs nothing; do not write to it."""
        return self._w

    def pulsed_update(self, xs: np.ndarray, ds: np.ndarray, lr: float, bl: int,
                      update_management: bool, bl_management: bool, key: np.uint64,
                      sample0: int, implicit_res: tuple[float, float] | None = None) -> None:
        """Pulse trains for `-lr * d x^T` per sample (DESIGN.md section 4), in sample order.
        `implicit_res`: (x_res, d_res) of aihwkit's deterministic implicit trains
        (`ferrosim.crossbar.deterministic`); None: stochastic-compressed trains."""
        d = self.devices
        if implicit_res is not None:
            deterministic_pulsed_update(
                self.g, np.ascontiguousarray(xs), np.ascontiguousarray(ds), lr / self.scale, self.eps,
                bl, update_management, bl_management, implicit_res[0], implicit_res[1], key, sample0,
                *d.kernel_args, self.counts, self.p_up, self.p_down,
                self._w, self.g_ref, self.scale, np.empty(self.g.shape[1], dtype=np.float32))
            return
        # The kernel works in device units: a weight change dW is a state change dW/s.
        pulsed_sgd_update(
            self.g, np.ascontiguousarray(xs), np.ascontiguousarray(ds), lr / self.scale, self.eps,
            bl, update_management, bl_management, key, sample0,
            *d.kernel_args, *self.scratch(bl), self.counts, self.p_up, self.p_down,
            self._w, self.g_ref, self.scale,
        )

    def scratch(self, bl: int) -> tuple[np.ndarray, ...]:
        """The stochastic kernel's scratch buffers for trains of up to `bl` slots (kept, grown on need)."""
        if self._scratch is None or self._scratch[0].shape[0] < bl:
            self._scratch = scratch_buffers(bl, self.g.shape[1])
        return self._scratch

    def accumulate(self, chi: np.ndarray, xs: np.ndarray, ds: np.ndarray, lr: float) -> None:
        """Mixed precision: chi += -(lr/s) d^T x (a float32 BLAS product, added in float64)."""
        accumulate(chi, ds.T @ xs, -lr / self.scale)

    def accumulate_rank1_and_transfer(self, chi: np.ndarray, x: np.ndarray, d: np.ndarray, lr: float,
                                      eps: float, max_pulses: int, key: np.uint64, transfer_index: int) -> None:
        """Batch 1 with a transfer after every sample: one pass over the devices that changed."""
        if self._column_work is None:
            self._column_work = column_work(self.g.shape[0])
        accumulate_rank1_and_transfer(
            self.g, chi, x, d, -lr / self.scale, eps, max_pulses, key, transfer_index, *self.devices.kernel_args,
            self.counts, self._w, self.g_ref, self.scale, self._column_work)

    def transfer_stochastic(self, chi: np.ndarray, eps: float, max_pulses: int, eps_device: float,
                            bl_max: int, key: np.uint64, transfer_index: int) -> None:
        """Mixed precision, aihwkit's transfer: the granules of each row as a pulsed update whose
        pulses are sized by the device granularity `eps_device`."""
        stochastic_transfer_pulses(self.g, chi, eps, max_pulses, eps_device, bl_max, key, transfer_index,
                                   *self.devices.kernel_args, self.counts, self._w, self.g_ref, self.scale,
                                   np.empty(self.g.shape[1]))

    def transfer(self, chi: np.ndarray, eps: float, max_pulses: int, key: np.uint64,
                 transfer_index: int) -> None:
        """Mixed precision: fire trunc(chi/eps) pulses per device, keep the remainder in chi."""
        transfer_pulses(self.g, chi, eps, max_pulses, key, transfer_index, *self.devices.kernel_args,
                        self.counts, self._w, self.g_ref, self.scale)
