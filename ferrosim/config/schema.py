"""The typed sections of a run config: every field with its meaning, unit and default.

`RunConfig` is the unit of work: one dataset, network, device, algorithm and seed. Loading a
file or mapping into it, with one-line errors, is `ferrosim.config.loading`.
"""

from __future__ import annotations

import math

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from ferrosim.device.models import DeviceModel, GranularityMode, steps_from_aihwkit
from ferrosim.energy.inputs import PulseElectrical
from ferrosim.energy.model import EnergyConfig, EnergyPlan, resolve
from ferrosim.io.strict_model import StrictInputModel
from ferrosim.nn.mlp import Activation

Algorithm = Literal["ideal", "sgd", "mixed_precision", "sgd_symmetry_shift", "sgd_balanced", "tiki_taka_v2",
                    "chopped_tt_v2", "agad"]
ALGORITHMS: tuple[str, ...] = ("ideal", "sgd", "mixed_precision", "sgd_symmetry_shift", "sgd_balanced",
                               "tiki_taka_v2", "chopped_tt_v2", "agad")
TIKI_TAKA: tuple[str, ...] = ("tiki_taka_v2", "chopped_tt_v2", "agad")
"""The Tiki-Taka family (ferrosim.training.tiki_taka): aihwkit's BufferedTransferCompound,
ChoppedTransferCompound and DynamicTransferCompound."""


class _Section(StrictInputModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class DatasetConfig(_Section):
    name: str = "digits"
    """digits (bundled 8x8, no download) | mnist | fashion-mnist | idx:<dir>."""
    data_dir: str | None = None
    """Folder with the IDX files (else $FERROSIM_DATA, else the user cache)."""
    train_subset: int | None = Field(None, gt=0)
    """Use only the first N training samples (quick runs and tests); all when absent."""
    test_subset: int | None = Field(None, gt=0)
    """Use only the first N test samples; all when absent."""


class NetworkConfig(_Section):
    hidden: list[int] = Field(default_factory=lambda: [32])
    """Hidden layer sizes; the input and output sizes come from the dataset."""
    activation: Activation = "sigmoid"
    """Hidden-layer activation; the output is softmax with cross-entropy loss."""
    digital_bias: bool = False
    """Keep each layer's bias as a float parameter updated by plain SGD instead of on a device
    column (aihwkit's `MappingParameter.digital_bias`, True by default there). Pulsed
    algorithms only; `ideal` has float weights anyway."""

    @model_validator(mode="after")
    def _positive(self) -> "NetworkConfig":
        if any(h <= 0 for h in self.hidden):
            raise ValueError("hidden layer sizes must be positive integers")
        return self


class TrainingConfig(_Section):
    epochs: int = Field(10, gt=0)
    batch_size: int = Field(1, gt=0)
    lr: float = Field(0.1, gt=0)
    """Learning rate of `W -= lr * d x^T` (weight units)."""
    target_accuracy: float | None = Field(None, gt=0, le=1)
    """Test accuracy that counts as converged (epochs_to_target, energy_to_target_J)."""
    lr_decay_every: int | None = Field(None, gt=0)
    """Step decay: multiply lr by `lr_decay_factor` every this many epochs (none when absent)."""
    lr_decay_factor: float = Field(0.5, gt=0, le=1)
    """Factor of the step decay (0.5 halves the learning rate)."""

    def lr_at(self, epoch: int) -> float:
        """Learning rate of `epoch` (1-based) under the step decay."""
        if self.lr_decay_every is None:
            return self.lr
        return self.lr * self.lr_decay_factor ** ((epoch - 1) // self.lr_decay_every)


class UpdateConfig(_Section):
    bl: int = Field(31, gt=0)
    """Maximum pulse-train length BL (aihwkit `desired_bl`)."""
    update_management: bool = True
    """Balance the input and error pulse probabilities (aihwkit `update_management`)."""
    update_bl_management: bool = True
    """Shorten BL to ceil(lr*max|x|*max|d|/eps) when that is smaller (aihwkit). As in aihwkit,
    this switches update management on too."""
    granularity: GranularityMode = "aihwkit"
    """Step `eps` that converts weight change to pulses: aihwkit | min | mean (DESIGN.md s.2)."""
    pulse_type: Literal["stochastic_compressed", "deterministic_implicit"] = "stochastic_compressed"
    """How a sample's update becomes pulses (aihwkit `PulseType`). stochastic_compressed:
    random coincidences of BL-slot trains (aihwkit's default); deterministic_implicit: exactly
    rint(BL * q_i * p_j) pulses per device from the trains' fractions, no randomness (what the
    precursor study forced for plain SGD). Plain SGD and its variants; mixed precision's
    transfer is set by `mixed_precision.transfer`."""
    x_res_implicit: float = Field(0.0, ge=0, le=1)
    """deterministic_implicit: step the input fractions are rounded to (0: none)."""
    d_res_implicit: float = Field(0.0, ge=0, le=1)
    """deterministic_implicit: step the error fractions are rounded to (0: none)."""

    @property
    def implicit_res(self) -> tuple[float, float] | None:
        """(x_res, d_res) for deterministic implicit trains, None for stochastic ones."""
        if self.pulse_type != "deterministic_implicit":
            return None
        return self.x_res_implicit, self.d_res_implicit


class MixedPrecisionConfig(_Section):
    """`mixed_precision` (Nandakumar et al. 2020): a float accumulator chi per weight; after
    every `transfer_every` mini-batches, n = trunc(chi/eps) pulses per device, chi -= n*eps."""

    granularity: Annotated[float, Field(gt=0)] | GranularityMode | None = None
    """eps of the transfer: a number in normalised device units, or a mode (aihwkit | min |
    mean of the up and down steps at the weight zero); default the device's granularity in
    `update.granularity` mode."""
    @field_validator("granularity", mode="before")
    @classmethod
    def _number_or_mode(cls, value: Any) -> Any:
        if isinstance(value, str) and value not in ("aihwkit", "min", "mean"):
            raise ValueError("expected a number > 0 or one of aihwkit, min, mean")
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value <= 0:
            raise ValueError("must be greater than 0")
        return value

    transfer_every: int = Field(1, gt=0)
    """Transfer after every this many mini-batches."""
    max_pulses: int = Field(0, ge=0)
    """Cap on pulses per device per transfer (0: no cap)."""
    transfer: Literal["deterministic", "stochastic"] = "deterministic"
    """deterministic: exactly trunc(chi/eps) pulses per device, after every `transfer_every`
    mini-batches and at the end of each epoch (Nandakumar et al.). stochastic: aihwkit's
    `MixedPrecisionCompound`: the granules of each row are sent as a pulsed update (a random
    count with mean (eps/device granularity) x trunc(chi/eps), at most `update.bl` per
    transfer), the first update is not transferred (then every `transfer_every`-th), and no
    transfer is forced at the end of an epoch."""


class SymmetryConfig(_Section):
    """How `sgd_symmetry_shift` finds each device's symmetry point."""

    method: Literal["auto", "analytic", "pulses"] = "auto"
    """analytic: closed form (softbounds; powstep with equal exponents; linear); pulses:
    alternating up/down noise-free pulses on each device; auto: analytic where it exists."""
    pulse_pairs: int = Field(1000, gt=0)
    """Up/down pulse pairs applied from g = 0 by the `pulses` method."""
    average_last: int = Field(100, gt=0)
    """The symmetry point is the mean state over this many last pairs (both half-steps)."""
    reference_mean: float = 0.0
    """Added to every device's reference (normalised units): aihwkit `reference_mean` of its
    `SoftBoundsReferenceDevice`."""
    reference_std: float = Field(0.0, ge=0)
    """Device-to-device spread added to the reference, `reference_std * N(0, 1)` drawn once per
    device from the run seed (aihwkit `reference_std`): a reference that misses the symmetry point."""
    granularity: Literal["symmetry_point", "aihwkit"] = "symmetry_point"
    """Where the pulse step eps is taken: at the symmetry point, the new weight zero (ferrosim's
    default), or at g = 0 as aihwkit does (its `dw_min` with the default `update.granularity`:
    a reference device does not change aihwkit's granularity). Both in `update.granularity` mode."""


class TransferReadConfig(_Section):
    """The read of one column of the fast array A at a transfer (aihwkit `transfer_forward`, an
    `IOParameters` whose noise and bound management aihwkit turns off for this read): a one-hot
    input, Gaussian read noise, an ADC of step `out_res*2*out_bound` clipped at `out_bound`."""

    is_perfect: bool = False
    """Exact read (aihwkit `IOParameters(is_perfect=True)`)."""
    out_noise: float = Field(0.06, ge=0)
    """Std of the read noise added to each output (weight units); aihwkit's default 0.06."""
    out_res: float = Field(1 / 510, ge=0)
    """ADC step as a fraction of 2*out_bound (aihwkit default 1/510); 0: no quantisation."""
    out_bound: float = Field(12.0, ge=0)
    """ADC range +-out_bound (aihwkit default 12); 0: unbounded."""

    @model_validator(mode="before")
    @classmethod
    def _preset(cls, data: Any) -> Any:
        if data == "perfect":
            return {"is_perfect": True}
        if data == "aihwkit_default":
            return {}
        if isinstance(data, str):
            raise ValueError(f"unknown preset {data!r} (perfect or aihwkit_default, or the fields)")
        return data


def _device_response(data: Any) -> Any:
    """Response fields written flat, aihwkit style (`dw_min`, `up_down`) or ferrosim's."""
    if not isinstance(data, dict):
        return data
    data = dict(data)
    if "dw_min" in data:
        a_up, a_down = steps_from_aihwkit(data.pop("dw_min"), data.pop("up_down", 0.0))
        data.setdefault("a_up", a_up)
        data.setdefault("a_down", a_down)
    elif "up_down" in data:
        raise ValueError("up_down needs dw_min (aihwkit convention)")
    data.setdefault("model", "softbounds")
    return data


class TikiTakaConfig(_Section):
    """The Tiki-Taka family (`tiki_taka_v2`, `chopped_tt_v2`, `agad`; docs/algorithms.md), with
    aihwkit 1.2.0's parameter names and meanings. A fast array A takes the pulsed SGD update;
    every `transfer_every` samples one column of A is read into a digital buffer H, whose
    whole-threshold parts become single pulses on the slow array C, which the network reads.
    `None` means the value aihwkit gives that algorithm."""

    transfer_every: float = Field(1.0, ge=0)
    """Samples between transfers (mini-batches when `units_in_mbatch`); 0: never."""
    units_in_mbatch: bool | None = None
    """Count `transfer_every` in mini-batches (every = ceil(transfer_every*batch) samples)
    instead of samples. aihwkit: True for tiki_taka_v2, False for chopped_tt_v2 and agad."""
    fast_lr: float = Field(1.0, ge=0)
    """Learning rate of A's update (0: the training lr)."""
    scale_fast_lr: bool | None = None
    """A's learning rate is fast_lr * lr (True) or fast_lr itself (False). aihwkit: True for
    tiki_taka_v2, False for chopped_tt_v2 and agad."""
    transfer_lr: float = Field(1.0, ge=0)
    """Learning rate of the transfer into H."""
    scale_transfer_lr: bool = True
    """The transfer's learning rate is transfer_lr * lr (True) or transfer_lr."""
    thres_scale: float = Field(1.0, gt=0)
    """tiki_taka_v2: H fires a pulse on C when |H| >= thres_scale * C's granularity."""
    buffer_granularity: float = Field(1.0, gt=0)
    """chopped_tt_v2, agad: H counts in units of buffer_granularity * A's granularity."""
    auto_granularity: float = Field(0.0, ge=0)
    """chopped_tt_v2, agad: > 0 scales that unit by auto_granularity / (columns * transfer_every)."""
    momentum: float | None = Field(None, ge=0, le=1)
    """Fraction of H kept after it fired. aihwkit: 0.1 for tiki_taka_v2, 0 for the others."""
    forget_buffer: bool = True
    """After firing, H <- momentum*H (True) or H -= (1-momentum)*n*threshold (False)."""
    in_chop_prob: float = Field(0.1, ge=0, le=1)
    """chopped_tt_v2, agad: chopper switching of the column just transferred (random: with this
    probability; regular: every max(ceil(1/p), 2) passes over the columns)."""
    in_chop_random: bool | None = None
    """Random choppers (True) or regular ones. aihwkit: True for chopped_tt_v2, False for agad."""
    auto_scale: bool = False
    """chopped_tt_v2, agad: A's learning rate scaled by BL*dw_A / (running max|x| * max|d|)."""
    auto_momentum: float = Field(0.99, ge=0, lt=1)
    """Momentum of auto_scale's running maxima."""
    tail_weightening: float = Field(5.0, gt=0)
    """agad: the reference is a running mean of A's reads with weight min(tail_weightening/N, 1),
    N = the chopper period in passes."""
    transfer_forward: TransferReadConfig = Field(default_factory=TransferReadConfig)
    """The read of A's column at a transfer: `aihwkit_default` (noisy, quantised) or `perfect`."""
    fast_device: DeviceModel | None = None
    """A's device, response fields written flat (aihwkit `dw_min`/`up_down` or ferrosim's);
    default the run's device (the fitted device at the run's pulse width)."""

    @field_validator("fast_device", mode="before")
    @classmethod
    def _flat_fast_device(cls, value: Any) -> Any:
        return _device_response(value)

    def samples_between_transfers(self, batch: int) -> int:
        """`transfer_every` in samples at mini-batches of `batch` (0: never), as aihwkit counts
        it: ceil(transfer_every * batch) in mini-batch units, else rounded half away from zero.
        On a `resolved` config."""
        te = self.transfer_every
        if self.units_in_mbatch:
            return max(math.ceil(te * batch), 0)
        return max(int(math.floor(abs(te) + 0.5)) * (1 if te >= 0 else -1), 0)

    def resolved(self, algorithm: str) -> "TikiTakaConfig":
        """The None fields filled with aihwkit's value for `algorithm`."""
        tt2 = algorithm == "tiki_taka_v2"
        fill = {"units_in_mbatch": tt2, "scale_fast_lr": tt2, "momentum": 0.1 if tt2 else 0.0,
                "in_chop_random": algorithm == "chopped_tt_v2"}
        return self.model_copy(update={k: v for k, v in fill.items() if getattr(self, k) is None})


FLOAT32_MAX = 3.4028234663852886e38
"""The largest finite float32: the periphery's numbers must stay below it."""


class _IOPassConfig(_Section):
    """One direction of the analog periphery, with aihwkit's `IOParameters` names and meanings
    (ferrosim.nn.periphery). Every field's default switches its effect off: exact products."""

    is_perfect: bool = False
    """aihwkit `is_perfect`: exact float32 products whatever the fields below say (the forward
    `out_bound` still zeroes the error of outputs at the bound, as in aihwkit)."""
    inp_bound: float = Field(0.0, ge=0)
    """Input (DAC) range [-inp_bound, inp_bound], after noise management; 0: unbounded.
    aihwkit's default is 1 (which noise management needs)."""
    inp_res: float = Field(0.0, ge=0)
    """DAC resolution as a fraction of the full input range 2*inp_bound (a value above 1 is a
    number of steps); aihwkit's default 1/126 (7 bits). 0: no discretisation."""
    out_bound: float = Field(0.0, ge=0)
    """Output (ADC) range [-out_bound, out_bound]: outputs are clipped there; 0: unbounded."""
    out_res: float = Field(0.0, ge=0)
    """ADC resolution as a fraction of 2*out_bound (above 1: steps); aihwkit's default 1/510."""
    out_noise: float = Field(0.0, ge=0)
    """Standard deviation of the Gaussian read noise added to every output before the ADC, in
    units of the (noise-managed) output; aihwkit's default 0.06."""
    noise_management: Literal["none", "abs_max"] = "none"
    """abs_max: each input vector is divided by its largest |value| before the DAC and the
    output multiplied back (aihwkit `NoiseManagementType.ABS_MAX`, its default)."""

    @property
    def is_exact(self) -> bool:
        """Exact products in this direction: `is_perfect`, or every field at its default (off)."""
        return self.is_perfect or self == type(self)()

    @model_validator(mode="after")
    def _consistent(self):
        if self.is_perfect:
            return self
        for name in ("inp_bound", "inp_res", "out_bound", "out_res", "out_noise"):
            value = getattr(self, name)
            if value > FLOAT32_MAX:  # the periphery computes in float32: it would be inf there
                raise ValueError(f"{name} {value:g} is beyond float32 (at most {FLOAT32_MAX:.3g}): the "
                                 "periphery computes in float32")
        if self.noise_management != "none" and self.inp_bound != 1.0:
            raise ValueError("noise_management needs inp_bound: 1 (as in aihwkit: inputs are scaled to "
                             "their largest |value| = 1)")
        if self.inp_res > 0 and self.inp_bound == 0:
            raise ValueError("inp_res needs a finite inp_bound")
        if self.out_res > 0 and self.out_bound == 0:
            raise ValueError("out_res needs a finite out_bound")
        return self


class ForwardIOConfig(_IOPassConfig):
    """The forward pass (reading the weights with the layer inputs)."""

    out_bound: float = Field(0.0, ge=0)
    """Output (ADC) range [-out_bound, out_bound]; 0: unbounded. Even with `is_perfect`, an
    output at |y| >= 0.999*out_bound passes no error back to the layer below (its gradient is
    zeroed in the backward pass) while its own layer is still updated, as aihwkit does.
    aihwkit's default is 12."""
    bound_management: Literal["none", "iterative"] = "none"
    """iterative: while an output is clipped at out_bound, repeat the product with the input
    halved again (aihwkit `BoundManagementType.ITERATIVE`, its default)."""
    max_bm_factor: int = Field(1000, gt=0)
    """Largest reduction factor of bound management."""
    max_bm_res: float = Field(0.25, gt=0)
    """Bound management also stops once the reduction factor exceeds max_bm_res / input step."""


class BackwardIOConfig(_IOPassConfig):
    """The backward pass (carrying the error through the transposed weights). aihwkit has no
    bound management here (it switches it off silently), so neither does ferrosim."""


_AIHWKIT_PASS = {"is_perfect": False, "inp_bound": 1.0, "inp_res": 1 / 126, "out_bound": 12.0,
                 "out_res": 1 / 510, "out_noise": 0.06, "noise_management": "abs_max"}
IO_PRESETS: dict[str, dict] = {
    "perfect": {"forward": {}, "backward": {}},
    "aihwkit_perfect": {"forward": {"is_perfect": True, "out_bound": 12.0}, "backward": {"is_perfect": True}},
    "aihwkit_default": {"forward": {**_AIHWKIT_PASS, "bound_management": "iterative", "max_bm_factor": 1000,
                                    "max_bm_res": 0.25},
                        "backward": dict(_AIHWKIT_PASS)},
}
"""Named starting points of `io:`. perfect: exact products (the default). aihwkit_perfect:
aihwkit's `IOParameters(is_perfect=True)`, exact products with its forward out_bound 12 still
zeroing the error of outputs at the bound. aihwkit_default: aihwkit 1.2.0's `IOParameters()` in
both directions (its backward bound management is never active)."""


class IOConfig(_Section):
    """Analog input/output of every pulsed layer's forward and backward products
    (ferrosim.nn.periphery). `ideal` never uses it: it is the floating-point reference, as
    aihwkit's FloatingPointTile, which has no periphery.

    In YAML, `io: aihwkit_default` (or `perfect`, the default) names a preset, and
    `io: {preset: aihwkit_default, forward: {out_noise: 0.1}}` changes fields of one."""

    forward: ForwardIOConfig = Field(default_factory=ForwardIOConfig)
    backward: BackwardIOConfig = Field(default_factory=BackwardIOConfig)

    @model_validator(mode="before")
    @classmethod
    def _preset(cls, data: Any) -> Any:
        if isinstance(data, str):
            data = {"preset": data}
        if not isinstance(data, dict) or "preset" not in data:
            return data
        data = dict(data)
        name = data.pop("preset")
        if not isinstance(name, str) or name not in IO_PRESETS:
            raise ValueError(f"unknown preset {name!r} (one of: {', '.join(IO_PRESETS)})")
        out = {}
        for side in ("forward", "backward"):
            given = data.pop(side, None) or {}
            if not isinstance(given, dict):
                raise ValueError(f"{side}: expected a mapping")
            out[side] = {**IO_PRESETS[name][side], **given}
        return {**out, **data}

    @property
    def is_exact(self) -> bool:
        """Exact products and no output-bound gradient: the periphery changes nothing."""
        return self.forward.out_bound == 0 and self.forward.is_exact and self.backward.is_exact


_RESPONSE_KEYS = {
    "model", "a_up", "a_down", "w_min", "w_max", "c2c", "d2d", "d2d_bounds", "gamma_up",
    "gamma_down", "g", "mean_up", "std_up", "mean_down", "std_down",
}


class DeviceConfig(_Section):
    """The device the weights live on: a response model plus energy per pulse.

    In YAML the response fields may be written flat (`device: {model: softbounds, a_up: ...}`)
    or aihwkit-style (`dw_min`, `up_down` instead of `a_up`, `a_down`).
    """

    response: DeviceModel = Field(default_factory=lambda: _default_response())
    """Response model (see `ferrosim.device.models`)."""
    energy_up_J: float | None = Field(None, ge=0)
    """A stated energy of one up (potentiating) pulse, J (measured, or written here); used as
    is unless `energy:` names terms. Without it the pulse is priced from `electrical`."""
    energy_down_J: float | None = Field(None, ge=0)
    """A stated energy of one down (depressing) pulse, J."""
    energy_source: Literal["given", "measured"] = "given"
    """Where energy_up_J/energy_down_J came from: written in the config, or measured (device file)."""
    electrical: PulseElectrical | None = None
    """The measured pulses and geometry the energy model prices (copied from the device file)."""
    weight_scale: float = Field(1.0, gt=0)
    """`s` in `W = s*(g - g_ref)`: weight units per normalised conductance unit."""
    weight_zero: Literal["midrange", "mean_conductance", "symmetry_point"] | float = "midrange"
    """The state that reads as weight zero, `g_ref` (ferrosim.config.weight_zero): midrange (0, the
    middle of the fitted range) | mean_conductance (the mean measured read, the precursor study's)
    | symmetry_point (the fitted model's) | a normalised state. sgd_symmetry_shift puts each
    device's own symmetry point there instead."""
    symmetry_point_offset: float | Literal["data", "data_68_low", "data_68_high", "data_95_low", "data_95_high"] = 0.0
    """Train as if the device's symmetry point were this much above the fitted model's (the weight
    zero moves down by it), or at the data's estimate or an end of its interval by name (from the
    device file's fit.symmetry_point_data). A list sweeps it."""
    synthetic: bool = False
    """True when the device parameters do not come from measurements of a real device."""
    fitted: dict[str, Any] | None = None
    """What the device file's fit says of this device at this pulse width (filled from the file,
    for the summary: symmetry_point, step_ratio, n_states, device_area_um2; for the weight zero:
    mean_state, symmetry_point_data); not part of a run's id (what the weight zero settings take
    from it enters the id as the `g_ref` it came to)."""
    file: str | None = None
    """A device file written by `fit-device` (path relative to this config); its response
    and energies for `name` at `pulse_width` are used, and response keys written here
    override single fields (e.g. `d2d: 0.1`)."""
    name: str | None = None
    """Device in `file` (may be omitted when the file holds one)."""
    pulse_width: str | float | None = None
    """Pulse width in `file`, e.g. 20ns."""

    @model_validator(mode="before")
    @classmethod
    def _flat_form(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "response" in data:
            return data
        data = dict(data)
        response = {k: data.pop(k) for k in list(data) if k in _RESPONSE_KEYS | {"dw_min", "up_down"}}
        if response:
            data["response"] = _device_response(response)
        return data

    @model_validator(mode="after")
    def _weight_zero_fits(self) -> "DeviceConfig":
        if self.weight_zero != "midrange" or self.symmetry_point_offset != 0.0:
            self.weight_zero_resolved()
        return self

    def weight_zero_resolved(self):
        """`g_ref` and how it came about (ferrosim.config.weight_zero.WeightZero)."""
        from ferrosim.config.weight_zero import resolve_weight_zero

        try:
            return resolve_weight_zero(self.response, self.weight_zero, self.symmetry_point_offset, self.fitted)
        except ValueError as exc:
            key = "weight_zero" if str(exc).startswith("mean_conductance") else "symmetry_point_offset"
            if str(exc).startswith("puts the weight zero"):
                key = "weight_zero" if self.symmetry_point_offset == 0.0 else "symmetry_point_offset"
            raise ValueError(f"device.{key}: {exc}") from None


def _default_response():
    from ferrosim.device.models import SoftBoundsDevice

    return SoftBoundsDevice()


class RunConfig(_Section):
    """One training run."""

    name: str = "run"
    seed: int = Field(0, ge=0)
    """Seeds weight init, device-to-device draws, data order and every pulse."""
    algorithm: Algorithm = "sgd"
    """ideal (floating point) | sgd (pulsed, aihwkit stochastic-compressed) | mixed_precision
    | sgd_symmetry_shift (reference at each device's symmetry point) | sgd_balanced (up/down
    pulse counts scaled to equal mean steps at the weight zero) | tiki_taka_v2 | chopped_tt_v2
    | agad (the Tiki-Taka family, section `tiki_taka`). See docs/algorithms.md."""
    dataset: DatasetConfig = Field(default_factory=DatasetConfig)
    network: NetworkConfig = Field(default_factory=NetworkConfig)
    training: TrainingConfig = Field(default_factory=TrainingConfig)
    device: DeviceConfig = Field(default_factory=DeviceConfig)
    update: UpdateConfig = Field(default_factory=UpdateConfig)
    mixed_precision: MixedPrecisionConfig = Field(default_factory=MixedPrecisionConfig)
    symmetry: SymmetryConfig = Field(default_factory=SymmetryConfig)
    tiki_taka: TikiTakaConfig = Field(default_factory=TikiTakaConfig)
    energy: EnergyConfig = Field(default_factory=EnergyConfig)
    io: IOConfig = Field(default_factory=IOConfig)

    def energy_plan(self) -> EnergyPlan:
        """How this run's pulses and digital operations are priced (ferrosim.energy.model)."""
        d = self.device
        return resolve(self.energy, d.electrical, (d.energy_up_J, d.energy_down_J), d.energy_source)


def mixed_precision_eps(cfg: RunConfig) -> float:
    """eps of mixed precision's transfer: `mixed_precision.granularity` (a number or a mode at
    the weight zero), else the device's granularity in `update.granularity` mode."""
    mp, model = cfg.mixed_precision, cfg.device.response
    if isinstance(mp.granularity, str):
        return model.granularity(mp.granularity, cfg.device.weight_zero_resolved().g_ref)
    if mp.granularity is not None:
        return mp.granularity
    return model.granularity(cfg.update.granularity, cfg.device.weight_zero_resolved().g_ref)
