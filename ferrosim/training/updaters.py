"""Weight-update algorithms: how a requested gradient step reaches the weights.

Each updater owns the weights of every layer and exposes the same three operations to the
training loop: `weights()` (what the forward pass reads), `update(inputs, deltas, lr)` and
`pulse_counts()`. DESIGN.md section 4 gives the rules; docs/algorithms.md the accounting.
"""

from __future__ import annotations

import numpy as np

from ferrosim.config import RunConfig, mixed_precision_eps
from ferrosim.crossbar.devices import DeviceArrays
from ferrosim.crossbar.layer import CrossbarLayer
from ferrosim.crossbar.rng import derive_key, root_key
from ferrosim.crossbar.transfer import column_work
from ferrosim.errors import InputError
from ferrosim.nn.mlp import DTYPE
from ferrosim.training.fused import (FUSED_MAX_BATCH, ideal_minibatches, mixed_precision_minibatches, rank1_update,
                                    sgd_minibatches)
from ferrosim.training.layer_threads import LayerThreads


class IdealUpdater:
    """Floating-point SGD, `W -= lr * d x^T`: the reference with no device."""

    name = "ideal"

    def __init__(self, w0: list[np.ndarray]) -> None:
        self._w = [np.asarray(w, dtype=DTYPE).copy() for w in w0]
        self._dws: tuple | None = None  # the fused path's gradient buffers, made on first use

    def weights(self) -> list[np.ndarray]:
        return self._w

    def update(self, inputs: list[np.ndarray], deltas: list[np.ndarray], lr: float) -> None:
        for w, a, d in zip(self._w, inputs, deltas):
            if a.shape[0] == 1:
                rank1_update(w, d[0], a[0], DTYPE(lr))  # batch 1: in place, no temporaries
            else:
                w -= DTYPE(lr) * (d.T @ a)

    def fused_minibatches(self, bufs, X, Y, order, lr: float) -> tuple[float, int]:
        """The full mini-batches of `order` on the fused path (ferrosim.training.fused)."""
        if self._dws is None:
            self._dws = tuple(np.empty_like(w) for w in self._w)
        return ideal_minibatches(*bufs.network_args(X, Y, order, self._w), lr, self._dws)

    def pulse_counts(self) -> tuple[int, int]:
        return 0, 0

    def digital_ops(self) -> int:
        return 0

    def accumulator_updates(self) -> int:
        return 0

    def end_of_epoch(self) -> None:
        pass

    def describe(self) -> dict:
        return {}


class PulsedSGDUpdater:
    """Plain pulsed SGD (aihwkit stochastic-compressed pulse trains) on every layer.

    The weight zero `g_ref` is `device.weight_zero` moved by `device.symmetry_point_offset`
    (ferrosim.config.weight_zero; default the centre of the normalised range, 0). Subclasses move
    the reference (`sgd_symmetry_shift`) or thin the stronger direction's pulses (`sgd_balanced`).
    """

    name = "sgd"

    def __init__(self, cfg: RunConfig, w0: list[np.ndarray], rng_d2d: np.random.Generator,
                 threads: int | None = None) -> None:
        self.model = cfg.device.response
        self.cfg = cfg
        self.weight_zero = cfg.device.weight_zero_resolved()
        self.layers = []
        for w in w0:
            devices = DeviceArrays.build(self.model, w.shape, rng_d2d)
            layer = CrossbarLayer(devices, self._reference(devices), cfg.device.weight_scale, 1.0)
            self.layers.append(layer)
        self.eps = self._granularity()
        for layer, w in zip(self.layers, w0):
            layer.eps = self.eps
            self._prepare(layer)
            layer.program(w)  # initial weights are programmed around the reference
        # aihwkit's digital bias (MappingParameter.digital_bias): the bias column is a float
        # parameter updated by plain SGD; its devices get no input and never a pulse
        self._digital_bias = cfg.network.digital_bias
        if self._digital_bias:
            self._biases = [np.asarray(w[:, -1], dtype=DTYPE).copy() for w in w0]
            for layer, b in zip(self.layers, self._biases):
                layer.read()[:, -1] = b
        self.update_cfg = cfg.update
        self._key = root_key(cfg.seed)
        # one random stream per layer, derived once (not per sample: it is called on the hot path)
        self._layer_keys = [np.uint64(derive_key(self._key, np.uint64(k))) for k in range(len(self.layers))]
        self._sample = 0  # global sample counter: each sample gets its own random streams
        self._symmetry_point = self.model.symmetry_point()
        # Layers are independent (own devices, own random streams): updated at once, same numbers.
        self._threads = LayerThreads([w.shape for w in w0], threads)
        self._fused: tuple | None = None  # each layer's kernel arguments on the fused path, made on first use

    # -- what the variants change ---------------------------------------------------------
    def _reference(self, devices: DeviceArrays) -> float | np.ndarray:
        return self.weight_zero.g_ref  # default 0, the centre of the normalised range

    def _granularity(self) -> float:
        return self.model.granularity(self.cfg.update.granularity, self.weight_zero.g_ref)

    def _prepare(self, layer: CrossbarLayer) -> None:
        """Per-layer set-up after the reference and eps are known."""

    # -- the updater interface ------------------------------------------------------------
    def weights(self) -> list[np.ndarray]:
        return [layer.read() for layer in self.layers]

    def _layer_key(self, k: int) -> np.uint64:
        return self._layer_keys[k]

    def _analog_inputs(self, inputs: list[np.ndarray], deltas: list[np.ndarray], lr: float) -> list[np.ndarray]:
        """With a digital bias: update the float biases (b -= lr * sum of d over the batch) and
        return the inputs with the bias column off, so the bias devices get no pulse."""
        if not self._digital_bias:
            return inputs
        out = []
        for layer, b, a, d in zip(self.layers, self._biases, inputs, deltas):
            b -= DTYPE(lr) * d.sum(axis=0)
            layer.read()[:, -1] = b
            a = a.copy()
            a[:, -1] = 0.0
            out.append(a)
        return out

    def update(self, inputs: list[np.ndarray], deltas: list[np.ndarray], lr: float) -> None:
        u = self.update_cfg
        sample0 = self._sample
        inputs = self._analog_inputs(inputs, deltas, lr)

        def update_layer(k: int) -> None:
            self.layers[k].pulsed_update(inputs[k], deltas[k], lr, u.bl, u.update_management,
                                         u.update_bl_management, self._layer_key(k), sample0,
                                         u.implicit_res)

        self._threads.run(update_layer, inputs[0].shape[0])
        self._sample += inputs[0].shape[0]

    # -- the fused small-batch path (ferrosim.training.fused) --------------------------------
    def _fused_biases(self) -> tuple:
        """The digital biases, or one placeholder per layer (the drivers then never read them)."""
        if self._digital_bias:
            return tuple(self._biases)
        return tuple(np.zeros(1, dtype=DTYPE) for _ in self.layers)

    def _fused_layers(self) -> tuple:
        if self._fused is None:
            bl = self.update_cfg.bl
            self._fused = tuple(
                (layer.g, layer.scale, self._layer_key(k), layer.devices.kernel_args, layer.scratch(bl),
                 (layer.counts, layer.p_up, layer.p_down, layer.read(), layer.g_ref, layer.scale),
                 np.empty(layer.g.shape[1], dtype=np.float32))
                for k, layer in enumerate(self.layers))
        return self._fused

    def fused_minibatches(self, bufs, X, Y, order, lr: float) -> tuple[float, int]:
        """The full mini-batches of `order` on the fused path (ferrosim.training.fused)."""
        u = self.update_cfg
        res = u.implicit_res or (0.0, 0.0)
        out = sgd_minibatches(*bufs.network_args(X, Y, order, self.weights()), lr, self.eps, u.bl,
                              u.update_management, u.update_bl_management, u.implicit_res is not None, res[0],
                              res[1], self._sample, self._digital_bias, self._fused_biases(), self._fused_layers())
        self._sample += (len(order) // bufs.batch) * bufs.batch
        return out

    def end_of_epoch(self) -> None:
        """Hook for updaters that hold work back (none here)."""

    def pulse_counts(self) -> tuple[int, int]:
        up = sum(int(layer.counts[0]) for layer in self.layers)
        down = sum(int(layer.counts[1]) for layer in self.layers)
        return up, down

    def digital_ops(self) -> int:
        return 0

    def accumulator_updates(self) -> int:
        return 0

    def describe(self) -> dict:
        return {"granularity": self.update_cfg.granularity, "eps": self.eps,
                "pulse_type": self.update_cfg.pulse_type,
                "symmetry_point": self._symmetry_point,
                **self.weight_zero.record(self.cfg.device.weight_zero, self.cfg.device.symmetry_point_offset)}


_WEIGHT_ZERO_ONLY = ("weight_zero_state", "symmetry_point_offset", "symmetry_point_offset_value",
                     "symmetry_point_trained", "symmetry_point_minus_g_ref")
"""What the weight zero settings record and shifting, which ignores them, leaves out."""


class SymmetryShiftUpdater(PulsedSGDUpdater):
    """`sgd_symmetry_shift`: plain pulsed SGD with each device's reference at its own symmetry
    point, `g_ref = g*` (per device when d2d is on), so the state random updates drift to is
    the weight zero. eps is the device's granularity at g*."""

    name = "sgd_symmetry_shift"

    def __init__(self, cfg: RunConfig, w0: list[np.ndarray], rng_d2d: np.random.Generator,
                 threads: int | None = None) -> None:
        # its own generator, so a reference spread changes no other draw of the run
        self._reference_rng = np.random.default_rng([cfg.seed, 3])
        super().__init__(cfg, w0, rng_d2d, threads)

    def _reference(self, devices: DeviceArrays) -> np.ndarray:
        sym = self.cfg.symmetry
        analytic = _has_closed_form(self.model)
        method = ("analytic" if analytic else "pulses") if sym.method == "auto" else sym.method
        if method == "analytic" and not analytic:
            raise InputError(f"symmetry.method analytic: the {self.model.model} model has no closed "
                             "form here", hint="use auto or pulses")
        self._method = method
        if method == "analytic":
            ref = devices.symmetry_points()
        else:
            ref = devices.symmetry_points_by_pulses(sym.pulse_pairs, sym.average_last)
        if sym.reference_mean or sym.reference_std:
            shape = devices.a_up.shape
            ref = np.broadcast_to(ref, shape) + sym.reference_mean \
                + sym.reference_std * self._reference_rng.standard_normal(shape)
        return ref

    def _granularity(self) -> float:
        at = self.model.symmetry_point() if self.cfg.symmetry.granularity == "symmetry_point" else 0.0
        return self.model.granularity(self.cfg.update.granularity, at)

    def describe(self) -> dict:
        refs = np.concatenate([layer.g_ref.ravel() for layer in self.layers])
        sym = self.cfg.symmetry
        how = ("closed form per device" if self._method == "analytic" else
               f"{sym.pulse_pairs} alternating up/down pulse pairs from g=0, mean of the last "
               f"{min(sym.average_last, sym.pulse_pairs)} pairs")
        info = {k: v for k, v in super().describe().items() if k not in _WEIGHT_ZERO_ONLY}
        return {**info, "g_ref": float(refs.mean()), "g_ref_std": float(refs.std()),
                "weight_zero": "not used: each device's own symmetry point is its weight zero",
                "variant": "reference moved to each device's symmetry point",
                "symmetry_point_method": how, "eps_at": sym.granularity}


class BalancedSGDUpdater(PulsedSGDUpdater):
    """`sgd_balanced`: plain pulsed SGD whose stronger direction fires each coincidence only
    with probability (weaker step / stronger step) at the weight zero, per device. The mean
    up and down steps at the weight zero are then equal (g* moves there); eps is the weaker step."""

    name = "sgd_balanced"

    def _granularity(self) -> float:
        return self.model.granularity("min", self.weight_zero.g_ref)

    def _prepare(self, layer: CrossbarLayer) -> None:
        up, down = layer.devices.mean_steps(np.full_like(layer.g, self.weight_zero.g_ref))
        layer.p_up = np.where(up > down, np.divide(down, up, out=np.ones_like(up), where=up > 0), 1.0)
        layer.p_down = np.where(down > up, np.divide(up, down, out=np.ones_like(down), where=down > 0), 1.0)

    def describe(self) -> dict:
        p_up = np.concatenate([layer.p_up.ravel() for layer in self.layers])
        p_down = np.concatenate([layer.p_down.ravel() for layer in self.layers])
        return {**super().describe(), "variant": "pulse counts balanced at the weight zero",
                "p_up_mean": float(p_up.mean()), "p_down_mean": float(p_down.mean())}


class MixedPrecisionUpdater(PulsedSGDUpdater):
    """`mixed_precision`: float accumulator chi per weight (device units), transferred to the
    devices as whole pulses after every `transfer_every` mini-batches (Nandakumar et al.)."""

    name = "mixed_precision"

    def _granularity(self) -> float:
        return mixed_precision_eps(self.cfg)

    def _prepare(self, layer: CrossbarLayer) -> None:
        # the fused path's input-major adds (`accumulate_rank1_and_transfer` at batch 1,
        # `accumulate_batch_and_transfer` up to FUSED_MAX_BATCH with no cap) take one input's column
        # at a time: stored column-major, each column is contiguous (any layout gives the same numbers)
        mp, t = self.cfg.mixed_precision, self.cfg.training
        input_major = self._rank1_fused(t.batch_size) or (
            1 < t.batch_size <= FUSED_MAX_BATCH and mp.transfer_every == 1 and mp.transfer == "deterministic"
            and mp.max_pulses == 0)
        layer.chi = np.zeros(layer.g.shape, dtype=np.float64, order="F" if input_major else "C")

    def _rank1_fused(self, batch: int) -> bool:
        """Whether a mini-batch of `batch` samples takes `accumulate_rank1_and_transfer` (any
        layout of chi gives the same numbers; column-major is the fast one for it)."""
        mp = self.cfg.mixed_precision
        return batch == 1 and mp.transfer_every == 1 and mp.transfer == "deterministic"

    def __init__(self, cfg: RunConfig, w0: list[np.ndarray], rng_d2d: np.random.Generator,
                 threads: int | None = None) -> None:
        super().__init__(cfg, w0, rng_d2d, threads)
        # the device's own step (plain SGD's eps), which sizes the pulses of aihwkit's transfer
        self._device_eps = PulsedSGDUpdater._granularity(self)
        self._batches = 0
        self._transfers = 0
        self._ops = 0
        self._acc = 0

    def update(self, inputs: list[np.ndarray], deltas: list[np.ndarray], lr: float) -> None:
        batch = inputs[0].shape[0]
        mp = self.cfg.mixed_precision
        self._batches += 1
        inputs = self._analog_inputs(inputs, deltas, lr)
        for layer in self.layers:
            self._ops += batch * layer.chi.size  # one multiply-accumulate per weight and sample
            self._acc += layer.chi.size  # one accumulator read-add-write per weight and mini-batch
        if self._rank1_fused(batch):
            # chi += -lr d x^T and the transfer fused, visiting only the devices that changed
            for k, (layer, a, d) in enumerate(zip(self.layers, inputs, deltas)):
                layer.accumulate_rank1_and_transfer(layer.chi, a[0], d[0], lr, self.eps, mp.max_pulses,
                                                    self._layer_key(k), self._transfers)
            self._transfers += 1
            return
        if mp.transfer == "stochastic":  # aihwkit counts from 0 and skips update 0
            transfer = self._batches > 1 and (self._batches - 1) % mp.transfer_every == 0
        else:
            transfer = self._batches % mp.transfer_every == 0
        index = self._transfers

        def update_layer(k: int) -> None:
            layer = self.layers[k]
            layer.accumulate(layer.chi, inputs[k], deltas[k], lr)
            if transfer:
                self._transfer_layer(k, index)

        self._threads.run(update_layer, batch)
        if transfer:
            self._transfers += 1

    def fused_minibatches(self, bufs, X, Y, order, lr: float) -> tuple[float, int]:
        """The full mini-batches of `order` on the fused path (ferrosim.training.fused)."""
        mp = self.cfg.mixed_precision
        if self._fused is None:
            self._fused = tuple(
                (layer.g, layer.chi, layer.scale, self._layer_key(k), layer.devices.kernel_args,
                 (layer.counts, layer.read(), layer.g_ref, layer.scale),
                 np.empty(layer.g.shape, dtype=DTYPE), np.empty(layer.g.shape[1]), column_work(layer.g.shape[0]))
                for k, layer in enumerate(self.layers))
        loss, correct, self._batches, self._transfers = mixed_precision_minibatches(
            *bufs.network_args(X, Y, order, self.weights()), lr, self.eps, mp.max_pulses, mp.transfer == "stochastic",
            mp.transfer_every, self._device_eps, self.cfg.update.bl, self._batches, self._transfers,
            self._digital_bias, self._fused_biases(), self._fused)
        n_batches = len(order) // bufs.batch
        for layer in self.layers:  # as `update` counts them
            self._ops += n_batches * bufs.batch * layer.chi.size
            self._acc += n_batches * layer.chi.size
        return loss, correct

    def _transfer_layer(self, k: int, index: int) -> None:
        """Transfer number `index` of layer k: whole pulses out of its accumulator."""
        layer = self.layers[k]
        mp = self.cfg.mixed_precision
        if mp.transfer == "stochastic":
            layer.transfer_stochastic(layer.chi, self.eps, mp.max_pulses, self._device_eps, self.cfg.update.bl,
                                      self._layer_key(k), index)
        else:
            layer.transfer(layer.chi, self.eps, mp.max_pulses, self._layer_key(k), index)

    def _transfer(self) -> None:
        for k in range(len(self.layers)):
            self._transfer_layer(k, self._transfers)
        self._transfers += 1

    def end_of_epoch(self) -> None:
        # A transfer period straddling the epoch end is finished, so the epoch's test
        # accuracy sees every update requested in it (aihwkit's stochastic transfer knows no
        # epochs: it goes on counting).
        if self.cfg.mixed_precision.transfer == "stochastic":
            return
        if self._batches % self.cfg.mixed_precision.transfer_every != 0:
            self._transfer()
            self._batches = 0

    def digital_ops(self) -> int:
        return self._ops

    def accumulator_updates(self) -> int:
        return self._acc

    def describe(self) -> dict:
        mp = self.cfg.mixed_precision
        return {**super().describe(), "transfer_every": mp.transfer_every,
                "max_pulses": mp.max_pulses, "transfers": self._transfers, "transfer": mp.transfer}


def _has_closed_form(model) -> bool:
    if model.model in ("softbounds", "linear"):
        return True
    return model.model == "powstep" and model.gamma_up == model.gamma_down and model.gamma_up > 0
