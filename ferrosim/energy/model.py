"""The energy model of a run: which terms price a pulse, with what parameters, and the prices.

`EnergyConfig` is the `energy:` section of a run or sweep config. `resolve` turns it and the
device (its `electrical` facts, or a per-pulse energy stated for it) into an `EnergyPlan`:
the energy per pulse of each term and direction under the configured (central) model and under
the lower and upper models, plus the price of the digital accumulator operations. `price`
multiplies a run's counted pulses and operations by it. Training never depends on any of this,
so a finished run is re-priced by calling `price` again (`ferrosim energy`).

Lower: capacitive + conduction at the read conductance, or, where the device has a measured
I-V curve, that curve with the conductance held at its last measured point above it; no
switching (what the data say at least). Upper: capacitive + the most conductive of the configured conduction models
(`conduction` and `upper`) + switching.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import ConfigDict, Field, field_validator

from ferrosim.energy import terms
from ferrosim.energy.digital import DEFAULT_NODE, NODES, node_names
from ferrosim.energy.inputs import PulseElectrical
from ferrosim.io.strict_model import StrictInputModel

Conduction = Literal["none", "read", "scaled", "schottky", "schottky_read", "measured"]
DEFAULT_UPPER = ("schottky_read", "measured")


class _Section(StrictInputModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


# Physical ranges of the energy settings: wide enough for any device and any sensitivity scan,
# narrow enough that a slip (a 300-digit number, 1e-300) is refused naming its key instead of
# pricing pulses at absurd or overflowing energies (docs/physics.md, "Energy").
CONDUCTION_SCALE = (1e-6, 1e9)
"""k of `scaled`: from a millionth of the read conductance to 1e9 times it."""
POLARIZATION_UC_PER_CM2 = 200.0
"""Above any known ferroelectric's remanent polarization (wurtzite AlScN ~ 100-150 uC/cm^2)."""
DIGITAL_OP_J = 1e-6
"""One digital operation: 1 uJ is ~500x a 64-bit DRAM access at 45 nm (1.3-2.6 nJ, Horowitz 2014)."""


class SchottkyParams(_Section):
    """Modified-Schottky emission (Simmons 1965). Defaults: the precursor study's values
    (PRECURSOR.md; GitHub PaU1570/msc_project, `add_energy_to_metrics`)."""

    phi_B_eV: float = Field(0.19, gt=0, le=10)
    """Barrier height (eV); at most 10 eV, above the band gap of any oxide."""
    eps_r: float = Field(18.2, ge=1, le=1e4)
    """Relative permittivity of the image-force lowering (the film's optical/dynamic value); 1
    (vacuum) to 1e4."""
    temperature_K: float = Field(300.0, ge=1, le=1000)
    """Device temperature (K), 1 to 1000."""
    thickness_nm: float | None = Field(None, ge=0.1, le=1e5)
    """Film thickness that sets the field E = |V|/t; null (the default): the device's own film
    thickness (`electrical.thickness_nm`), the same one the capacitance uses. Set it only to
    scan the law's sensitivity; the plan's name then says it differs from the film's."""
    alpha: float = Field(3e-4, ge=1e-12, le=1)
    """Prefactor alpha (A s cm^-3 K^-3/2); Simmons/Chiu give ~3e-4."""
    mu: float = Field(8.9e-3, ge=1e-9, le=1e6)
    """Electron mobility times (m*/m0)^(3/2) (cm^2 V^-1 s^-1)."""


class DigitalParams(_Section):
    """The per-operation energies a plan prices digital work with (J). Defaults: 45 nm, 0.9 V
    (M. Horowitz, ISSCC 2014, 'Computing's energy problem', table of energies); other
    technologies: `ferrosim.energy.digital.NODES`, chosen by `energy.digital.node`."""

    fp_mult_J: float = Field(3.7e-12, ge=0, le=DIGITAL_OP_J)
    """One multiply (32-bit floating point at 45 nm; the node's arithmetic elsewhere)."""
    fp_add_J: float = Field(0.9e-12, ge=0, le=DIGITAL_OP_J)
    """One add of the accumulating width (32-bit floating point at 45 nm)."""
    sram_access_J: float = Field(5e-12, ge=0, le=DIGITAL_OP_J)
    """32-bit access of an 8 KB SRAM: half of Horowitz's 10 pJ for a 64-bit access (as in
    Han et al., NeurIPS 2015); reads and writes priced alike."""

    @property
    def mac_J(self) -> float:
        """One gradient product accumulated: lr*d_i*x_j summed into a register."""
        return self.fp_mult_J + self.fp_add_J

    @property
    def accumulator_update_J(self) -> float:
        """One accumulator read-add-write in SRAM (once per weight and mini-batch)."""
        return 2.0 * self.sram_access_J + self.fp_add_J


class DigitalCosts(_Section):
    """`energy.digital_costs`: per-operation figures (J) that replace the node's; null (the
    default) keeps the node's figure. Configs of earlier ferrosim write all three (Horowitz's
    45 nm figures, the default node's): they price as before."""

    fp_mult_J: float | None = Field(None, ge=0, le=DIGITAL_OP_J)
    fp_add_J: float | None = Field(None, ge=0, le=DIGITAL_OP_J)
    sram_access_J: float | None = Field(None, ge=0, le=DIGITAL_OP_J)


class DigitalSection(_Section):
    """`energy.digital`: `true` | `false` | {enabled, node} (docs/physics.md, "Energy")."""

    enabled: bool = True
    """Price the digital work of mixed precision (gradient products, accumulator) and of the
    Tiki-Taka buffers."""
    node: str = DEFAULT_NODE
    """Technology preset of the per-operation energies (`ferrosim.energy.digital.NODES`):
    45nm_fp32 (default), 16nm_fp32, 7nm_fp32, 7nm_int8."""

    @field_validator("node")
    @classmethod
    def _known_node(cls, value: str) -> str:
        if value not in NODES:
            raise ValueError(f"unknown node '{value}'; valid nodes: {node_names()}")
        return value

    def __bool__(self) -> bool:  # `if cfg.digital:` reads as before: on or off
        return self.enabled


class EnergyConfig(_Section):
    """How a pulse and a digital operation are priced (docs/physics.md, "Energy")."""

    capacitive: bool | Literal["cv2", "half_cv2"] | None = None
    """Capacitive term: `cv2` (C V^2, what the supply delivers per pulse when the charge is not
    recovered; `true` is the same) or `half_cv2` (1/2 C V^2, only the stored energy: a lower
    bound); `false` leaves it out; default `cv2` when the device area is known
    (docs/physics.md, "Capacitive term")."""
    conduction: Conduction | None = None
    """Conduction during the pulse: none | read | scaled | schottky | schottky_read | measured;
    default `measured` where the data give a current during the pulse, else `read` (a lower bound)."""
    conduction_scale: float = Field(10.0, ge=CONDUCTION_SCALE[0], le=CONDUCTION_SCALE[1])
    """k of `scaled`: the device conducts k times its read conductance during the pulse."""
    switching: bool | None = None
    """Ferroelectric switching charge Q*|V|; default on when area and conductance range are known."""
    polarization_uC_per_cm2: float = Field(20.0, gt=0, le=POLARIZATION_UC_PER_CM2)
    """Remanent polarization P_r (uC/cm^2); 20 is typical of HZO films (Mueller et al., Nano
    Lett. 12, 4318 (2012)); HfO2/ZrO2 superlattices reach 2P_r ~ 84 (van Gent et al. 2025)."""
    schottky: SchottkyParams = Field(default_factory=SchottkyParams)
    digital: DigitalSection = Field(default_factory=DigitalSection)
    """Price the digital work of mixed precision and the Tiki-Taka buffers: `true` | `false` |
    {enabled: true, node: 7nm_int8} (a technology preset; default 45nm_fp32)."""
    digital_costs: DigitalCosts = Field(default_factory=DigitalCosts)
    """Per-operation figures (J) replacing the node's: fp_mult_J, fp_add_J, sram_access_J."""
    upper: list[Conduction] | None = None
    """Conduction models priced for the upper estimate (with switching); the most expensive one
    counts. Default [schottky_read, measured] where the data allow them: the published Schottky
    law's field dependence carried from the measured read, and any measured current. The raw
    `schottky` law with the precursor's parameters is not a default: it predicts ~1.7 kOhm at the
    0.1 V read of a 15 um device that reads 15 MOhm (docs/physics.md); name it here to use it."""

    @field_validator("digital", mode="before")
    @classmethod
    def _digital_on_off(cls, value):
        if isinstance(getattr(value, "value", None), bool):  # a boolean the strict base marked
            value = value.value
        if isinstance(value, bool):
            return {"enabled": value}
        if not isinstance(value, dict | DigitalSection):
            raise ValueError("expected true, false or a section {enabled: true, node: NAME}")
        return value

    @field_validator("digital_costs")
    @classmethod
    def _node_not_masked(cls, value: DigitalCosts, info) -> DigitalCosts:
        digital = info.data.get("digital")
        full = all(getattr(value, k) is not None for k in ("fp_mult_J", "fp_add_J", "sram_access_J"))
        if full and digital is not None and digital.node != DEFAULT_NODE:
            raise ValueError(f"sets every figure, so node '{digital.node}' would change nothing; set "
                             "only the figures that differ from the node's (or energy.digital_costs={})")
        return value

    def digital_params(self) -> DigitalParams | None:
        """The per-operation energies of the configured node with `digital_costs` applied;
        None when the digital term is off."""
        if not self.digital.enabled:
            return None
        node = NODES[self.digital.node]
        given = self.digital_costs
        return DigitalParams(**{k: getattr(node, k) if getattr(given, k) is None else getattr(given, k)
                                for k in ("fp_mult_J", "fp_add_J", "sram_access_J")})

    def digital_tail(self) -> str:
        """What a model's name says of the digital term: ` + digital` at the default node (the
        name every earlier run carries), ` + digital[7nm_int8]` at another, '' when off."""
        if not self.digital.enabled:
            return ""
        return " + digital" if self.digital.node == DEFAULT_NODE else f" + digital[{self.digital.node}]"

    def explicit_terms(self) -> bool:
        return self.capacitive is not None or self.conduction is not None or self.switching is not None

    @property
    def capacitive_mode(self) -> str:
        """cv2 | half_cv2: how a capacitive term, when priced, is priced."""
        return self.capacitive if isinstance(self.capacitive, str) else "cv2"


@dataclass(frozen=True)
class PerPulse:
    """Energy of one up and one down pulse per term (J); NaN where a term is unknown."""

    capacitive: tuple[float, float] = (0.0, 0.0)
    conduction: tuple[float, float] = (0.0, 0.0)
    switching: tuple[float, float] = (0.0, 0.0)
    extrapolated: tuple[float, float] = (0.0, 0.0)
    """The part of `conduction` priced beyond measured data (a measured I-V curve carried above
    its highest voltage), per pulse."""
    given: tuple[float, float] | None = None
    """A per-pulse energy stated for the device (measured or written in the config)."""

    @property
    def total(self) -> tuple[float, float]:
        if self.given is not None:
            return self.given
        return tuple(c + r + s for c, r, s in zip(self.capacitive, self.conduction, self.switching))


@dataclass(frozen=True)
class EnergyPlan:
    name: str
    """Which model made the central figures, e.g. `capacitive + conduction[read] + switching`."""
    central: PerPulse | None
    lower: PerPulse | None
    upper: PerPulse | None
    upper_name: str = ""
    digital: DigitalParams | None = None

    @property
    def known(self) -> bool:
        return self.central is not None


class EnergyConfigError(ValueError):
    """An energy setting the device's data cannot price: `key` names it (e.g. 'conduction')."""

    def __init__(self, key: str, what: str) -> None:
        self.key = key
        super().__init__(what)


class EnergyOverflowError(ArithmeticError):
    """A run's energy beyond the largest float (inf J): never written as a blank figure."""


_TERM_KEYS = {"capacitive": "capacitive", "conduction": "conduction", "switching": "polarization_uC_per_cm2"}


def _finite(pp: PerPulse, conduction_key: str = "conduction") -> PerPulse:
    """`pp`, unless a term prices a pulse at infinitely many joules (an overflow of absurd
    settings or device data): then an EnergyConfigError naming the term's setting."""
    for term, key in _TERM_KEYS.items():
        if any(math.isinf(v) for v in getattr(pp, term)):
            raise EnergyConfigError(conduction_key if term == "conduction" else key,
                                    f"prices the {term} energy of a pulse at inf J (an overflow; check this "
                                    "setting and the device's electrical data)")
    return pp


def _per_pulse(e: PulseElectrical, capacitive: bool, conduction: str, switching: bool,
               cfg: EnergyConfig, bound: str = "central") -> PerPulse:
    def both(fn):
        return (fn(e.up), fn(e.down))

    cond = (terms.conduction_parts(conduction, e, e.up, cfg, True, bound),
            terms.conduction_parts(conduction, e, e.down, cfg, False, bound))
    return PerPulse(
        capacitive=both(lambda d: terms.capacitive_J(e, d, cfg.capacitive_mode)) if capacitive else (0.0, 0.0),
        conduction=(cond[0][0], cond[1][0]),
        switching=both(lambda d: terms.switching_J(e, d, cfg.polarization_uC_per_cm2)) if switching else (0.0, 0.0),
        extrapolated=(cond[0][1], cond[1][1]),
    )


def model_name(capacitive: bool, conduction: str, switching: bool, cfg: EnergyConfig | None = None,
               e: PulseElectrical | None = None) -> str:
    """`capacitive + conduction[read] + switching`: the terms priced; a `measured` conduction is
    named `assumed` where it rests on an assumed conductance (`terms.conduction_label`)."""
    half = cfg is not None and cfg.capacitive_mode == "half_cv2"
    label = terms.conduction_label(conduction, e)
    parts = ([f"capacitive{'[half_cv2]' if half else ''}"] if capacitive else []) + (
        [] if conduction == "none" else [f"conduction[{label}"
                                         + (f" x{cfg.conduction_scale:g}" if conduction == "scaled" and cfg else "")
                                         + "]"]) + (["switching"] if switching else [])
    return " + ".join(parts) or "no pulse energy"


NO_AREA = "unknown (no device area)"
"""The model a run records when its device has electrical data but no area and `energy:` names no
term: the capacitive and switching terms need the area, so no estimate is complete and every
energy column is empty, as fit-device's warning and the sweep config it writes say."""
PARTIAL = " (partial: no device area, capacitive and switching not priced)"
"""What the name of a model a config names for a device without an area ends in (before the
digital term): the terms it prices, not the whole pulse; its upper estimate is open."""
OPEN_UPPER = "open (no device area: capacitive and switching not priced)"
"""The upper model's name of a partial estimate: no upper bound is known."""


def is_partial(model_name: str) -> bool:
    """True for the name of a partial estimate (a device without an area, terms named)."""
    return PARTIAL in model_name


def resolve(cfg: EnergyConfig, electrical: PulseElectrical | None, given: tuple[float | None, float | None] = (None, None),
            given_source: str = "given") -> EnergyPlan:
    """The energy plan of one device at one pulse width; EnergyConfigError names a setting the
    data cannot price. A device without an area has no estimate (`NO_AREA`) unless `energy:`
    names a term; then the named terms are priced as a partial estimate (`PARTIAL` in its name)
    whose upper estimate is open (None: empty columns, never a zero-width band)."""
    digital = cfg.digital_params()
    if not cfg.explicit_terms() and given[0] is not None and given[1] is not None:
        pp = PerPulse(given=(float(given[0]), float(given[1])))
        name = f"{given_source} energy per pulse" + cfg.digital_tail()
        return EnergyPlan(name, pp, pp, pp, name, digital)
    e = electrical
    area = e is not None and e.area_um2 is not None
    if cfg.capacitive and not area:
        raise EnergyConfigError("capacitive", "needs the device area (measurements.yaml geometry.area_um2)"
                                if e is not None else terms.conduction_needs("read", None))
    capacitive = area if cfg.capacitive is None else bool(cfg.capacitive)
    can_switch = area and e.conductance_range_S is not None
    if cfg.switching and not can_switch:
        raise EnergyConfigError("switching", "needs the device area and its conductance range in siemens"
                                if e is not None else terms.conduction_needs("read", None))
    switching = can_switch if cfg.switching is None else cfg.switching
    conduction = cfg.conduction or ("none" if e is None else
                                    "measured" if terms.conduction_needs("measured", e) is None else "read")
    why = terms.conduction_needs(conduction, e)
    if why:
        raise EnergyConfigError("conduction", f"'{conduction}' {why}")
    if e is None:
        return EnergyPlan("unknown (no electrical data for the device)", None, None, None, "", digital)
    if cfg.upper is None:
        candidates = [m for m in DEFAULT_UPPER if terms.conduction_needs(m, e) is None]
    else:
        for m in cfg.upper:
            why = terms.conduction_needs(m, e)
            if why:
                raise EnergyConfigError("upper", f"'{m}' {why}")
        candidates = list(cfg.upper)
    if not area and not cfg.explicit_terms():  # every setting checked above: a slip is still named
        return EnergyPlan(NO_AREA + cfg.digital_tail(), None, None, None, "", digital)
    central = _finite(_per_pulse(e, capacitive, conduction, switching, cfg))
    # what the data say at least: a measured I-V curve with G held above its last point, else the read
    lower = _finite(_per_pulse(e, capacitive, "measured", False, cfg, bound="lower") if e.iv_curve is not None
                    else _per_pulse(e, capacitive, "read", False, cfg))
    if sum(lower.total) > sum(central.total):
        lower = central  # e.g. `conduction: none`: the lower estimate never exceeds the configured one
    tail = cfg.digital_tail()
    if not area:  # what the named terms cost, not the pulse: no upper bound is known
        return EnergyPlan(model_name(capacitive, conduction, switching, cfg, e) + PARTIAL + tail, central, lower,
                          None, OPEN_UPPER, digital)
    upper_switching = bool(can_switch) or switching  # the upper estimate counts the switching charge
    upper, upper_name = None, ""
    for m in [conduction, *candidates]:
        pp = central if (m == conduction and upper_switching == switching) else \
            _finite(_per_pulse(e, capacitive, m, upper_switching, cfg), "upper")
        if upper is None or sum(pp.total) > sum(upper.total):
            upper, upper_name = pp, model_name(capacitive, m, upper_switching, cfg, e)
    return EnergyPlan(model_name(capacitive, conduction, switching, cfg, e) + tail, central, lower, upper,
                      upper_name + tail, digital)


# -- pricing counted pulses and operations ------------------------------------------------------

def epoch_energy(pp: PerPulse | None, pulses_up: int, pulses_down: int) -> float:
    """Pulse energy of an epoch (J): pulses_up*E_up + pulses_down*E_down; NaN when unknown."""
    if pp is None:
        return math.nan
    e_up, e_down = pp.total
    return pulses_up * e_up + pulses_down * e_down


def digital_energy(digital: DigitalParams | None, macs: int, accumulator_updates: int) -> float:
    """Digital accumulator energy (J): products x (mult + add) + read-add-writes x (2 access + add)."""
    if digital is None:
        return 0.0
    return macs * digital.mac_J + accumulator_updates * digital.accumulator_update_J


@dataclass
class RunEnergy:
    """A run's energies: per epoch (central) and totals per term and estimate."""

    epoch_pulse_J: np.ndarray
    cumulative_J: np.ndarray
    """Central pulse + digital energy up to the end of each epoch."""
    cumulative_lower_J: np.ndarray
    cumulative_upper_J: np.ndarray
    terms_J: dict[str, float]
    """Total per term: capacitive, conduction, switching (NaN for a given per-pulse energy), digital;
    `extrapolated`: the part of conduction priced beyond measured data."""
    per_pulse_J: dict[str, float]
    """Mean of the up and down energies per pulse: central, lower, upper."""


def _cumulative(values: list[float]) -> np.ndarray:
    out, total = [], 0.0
    for v in values:  # a running sum in epoch order: the same additions as the training loop
        total += v
        out.append(total)
    return np.asarray(out, dtype=float)


def price(plan: EnergyPlan, pulses_up, pulses_down, macs, accumulator_updates) -> RunEnergy:
    """Price per-epoch counts (sequences of equal length) under `plan`."""
    up = [int(v) for v in pulses_up]
    down = [int(v) for v in pulses_down]
    ops = [int(v) for v in macs]
    acc = [int(v) for v in accumulator_updates]
    dig = [digital_energy(plan.digital, o, a) for o, a in zip(ops, acc)]

    def cumulative(pp: PerPulse | None) -> np.ndarray:
        return _cumulative([epoch_energy(pp, u, d) + g for u, d, g in zip(up, down, dig)])

    pulse = [epoch_energy(plan.central, u, d) for u, d in zip(up, down)]
    n_up, n_down = sum(up), sum(down)
    terms_J: dict[str, float] = {}
    for name in ("capacitive", "conduction", "switching", "extrapolated"):
        if plan.central is None or plan.central.given is not None:
            terms_J[name] = math.nan
        else:
            e_up, e_down = getattr(plan.central, name)
            terms_J[name] = n_up * e_up + n_down * e_down
    terms_J["digital"] = float(sum(dig))
    d = plan.digital  # its two parts: the gradient products and the accumulator's read-add-writes
    terms_J["digital_products"] = 0.0 if d is None else float(sum(o * d.mac_J for o in ops))
    terms_J["digital_accumulator"] = 0.0 if d is None else float(sum(a * d.accumulator_update_J for a in acc))
    per_pulse = {k: (0.5 * sum(pp.total) if pp is not None else math.nan)
                 for k, pp in (("central", plan.central), ("lower", plan.lower), ("upper", plan.upper))}
    return RunEnergy(np.asarray(pulse, dtype=float), cumulative(plan.central), cumulative(plan.lower),
                     cumulative(plan.upper), terms_J, per_pulse)


ENERGY_COLUMNS = (
    "energy_model", "pulse_energy_J", "energy_capacitive_J", "energy_conduction_J",
    "energy_switching_J", "energy_conduction_extrapolated_J", "energy_digital_J", "energy_per_pulse_lower_J",
    "energy_per_pulse_upper_J", "energy_digital_products_J", "energy_digital_accumulator_J",
    "total_energy_lower_J", "total_energy_upper_J", "energy_to_target_lower_J",
    "energy_to_target_upper_J", "energy_upper_model",
)
"""summary.csv's energy columns after DESIGN.md's (`total_energy_J`, `energy_to_target_J`,
`energy_per_pulse_J`, `energy_per_update_J` are the central model's, digital included)."""


def summary_energy(plan: EnergyPlan | None, pulses_up, pulses_down, macs, accumulator_updates,
                   epochs_to_target: int | None, n_updates: int) -> dict:
    """The energy cells of one summary row (`plan` None: the `ideal` run, no device)."""
    if plan is None:
        zero = {k: 0.0 for k in ENERGY_COLUMNS}
        return {"energy_per_pulse_J": None, "energy_per_update_J": 0.0, "total_energy_J": 0.0,
                "energy_to_target_J": 0.0 if epochs_to_target is not None else None,
                **zero, "energy_model": "none (no device)", "energy_upper_model": "",
                "energy_per_pulse_lower_J": None, "energy_per_pulse_upper_J": None,
                "energy_to_target_lower_J": 0.0 if epochs_to_target is not None else None,
                "energy_to_target_upper_J": 0.0 if epochs_to_target is not None else None}
    e = price(plan, pulses_up, pulses_down, macs, accumulator_updates)

    def known(x: float) -> float | None:  # NaN: not known (no electrical data); inf: refused
        if x is not None and math.isinf(x):
            raise EnergyOverflowError(f"{plan.name}: a run's energy exceeds the largest number a float "
                                      "holds (inf J)")
        return None if x is None or not math.isfinite(x) else float(x)

    def at_target(c: np.ndarray) -> float | None:
        return None if epochs_to_target is None or len(c) == 0 else known(c[epochs_to_target - 1])

    total = known(e.cumulative_J[-1]) if len(e.cumulative_J) else None
    return {
        "energy_per_pulse_J": known(e.per_pulse_J["central"]),
        "energy_per_update_J": None if total is None else total / n_updates,
        "total_energy_J": total,
        "energy_to_target_J": at_target(e.cumulative_J),
        "energy_model": plan.name,
        "pulse_energy_J": known(float(np.sum(e.epoch_pulse_J))),
        "energy_capacitive_J": known(e.terms_J["capacitive"]),
        "energy_conduction_J": known(e.terms_J["conduction"]),
        "energy_switching_J": known(e.terms_J["switching"]),
        "energy_conduction_extrapolated_J": known(e.terms_J["extrapolated"]),
        "energy_digital_J": known(e.terms_J["digital"]),
        "energy_digital_products_J": known(e.terms_J["digital_products"]),
        "energy_digital_accumulator_J": known(e.terms_J["digital_accumulator"]),
        "energy_per_pulse_lower_J": known(e.per_pulse_J["lower"]),
        "energy_per_pulse_upper_J": known(e.per_pulse_J["upper"]),
        "total_energy_lower_J": known(e.cumulative_lower_J[-1]) if len(e.cumulative_lower_J) else None,
        "total_energy_upper_J": known(e.cumulative_upper_J[-1]) if len(e.cumulative_upper_J) else None,
        "energy_to_target_lower_J": at_target(e.cumulative_lower_J),
        "energy_to_target_upper_J": at_target(e.cumulative_upper_J),
        "energy_upper_model": plan.upper_name,
    }
