"""What the measurement readers hand to the fitter: pulse-response traces and step tables.

Every reader (`ferrosim.io.readers`) turns one input file into a list of these records, in
physical units where the file gives them. Nothing here fits or normalises; `ferrosim.device.fitting`
does that.

A sidecar `measurements.yaml` in a measurement folder (`Sidecar`) adds what the files do not
say: pulse widths and read voltage for ramp files, the device geometry for the energy estimate,
measured energies, a provenance line, and whether the data are synthetic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import ConfigDict, Field

from ferrosim.io.strict_model import StrictInputModel

Direction = Literal["up", "down"]
Units = Literal["S", "normalised"]


@dataclass
class Ramp:
    """One train of pulses in one direction: the state read after each pulse.

    `up` = potentiation (conductance rises), `down` = depression, whatever the sign of the
    voltage that did it. `start` is the state read before the first pulse when the file has it
    (for back-to-back ramps: the previous ramp's last read), so the first pulse's step is known.
    """

    direction: Direction
    values: np.ndarray
    """State after each pulse (float64): conductance in S, or normalised units (`Trace.units`)."""
    start: float | None = None
    amplitude_V: np.ndarray | None = None
    """Pulse amplitude of each pulse (same length as `values`) when the file gives it."""
    cycle: int = 0
    line: int | None = None
    """Line of the file where the ramp starts (for error messages)."""
    read_polarity_S: np.ndarray | None = None
    """(pulses, 2): the reads after each pulse at the negative and at the positive read voltage,
    where the file has both (WGFMU summaries: 1/R_low at -0.1 V, 1/R_high at +0.1 V)."""
    current_A: np.ndarray | None = None
    """Current through the device during each pulse, where it was measured."""

    def states(self) -> np.ndarray:
        """`start` (when known) followed by `values`: consecutive differences are the steps."""
        if self.start is None:
            return self.values
        return np.concatenate([[self.start], self.values])


def assign_cycles(ramps: list[Ramp], offset: int) -> None:
    """Number the cycles of ramps in measurement order from `offset`: a cycle holds one ramp of
    each direction, and a new one starts when a direction repeats."""
    cycle, seen = offset, set()
    for ramp in ramps:
        if ramp.direction in seen:
            cycle += 1
            seen = set()
        seen.add(ramp.direction)
        ramp.cycle = cycle


@dataclass
class Trace:
    """Pulse responses of one device at one pulse width, read from one file."""

    device: str
    pulse_width_s: float | None
    ramps: list[Ramp]
    source: Path
    units: Units = "S"
    format: str = ""
    energy_up_J: float | None = None
    """Measured energy per up pulse when the file gives it (else estimated by the fitter)."""
    energy_down_J: float | None = None
    read_voltage_V: float | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class StepTable:
    """A measured step-vs-state lookup table (CrossSim dG tables): becomes a `table` model as is.

    `g` are the state bins (S or normalised), `mean_*`/`std_*` the mean and std of the step
    magnitude per bin (positive numbers, same units as `g`).
    """

    device: str
    pulse_width_s: float | None
    g: np.ndarray
    mean_up: np.ndarray
    std_up: np.ndarray
    mean_down: np.ndarray
    std_down: np.ndarray
    sources: list[Path]
    units: Units = "S"
    format: str = "dg-table"
    notes: list[str] = field(default_factory=list)


Measurement = Trace | StepTable


class _Strict(StrictInputModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class EnergyPerPulse(_Strict):
    up: float = Field(gt=0)
    """Measured energy of one potentiation pulse (J)."""
    down: float = Field(gt=0)
    """Measured energy of one depression pulse (J)."""


class PulseWidthInfo(_Strict):
    energy_per_pulse_J: EnergyPerPulse | None = None
    """Measured energies; when given they are used instead of the estimate."""
    amplitude_V: float | None = None
    """Pulse amplitude for the energy estimate when the files do not give one (magnitude, V)."""
    conductance_during_pulse_S: float | None = Field(None, gt=0)
    """Device conductance under the programming pulse (S), priced by `energy.conduction:
    measured`. Nonlinear devices conduct far more at the programming voltage than at the read
    voltage; the `read` model uses the read conductance, a lower bound."""
    iv_table: str | None = None
    """A CSV file (beside this sidecar) with columns voltage_V, current_A: the device's measured
    current at programming voltages, for `energy.conduction: measured` (overrides the top-level
    `iv_table` at this pulse width)."""


class DeviceGeometry(_Strict):
    """Physical device parameters for the capacitive energy term C*V^2, C = eps0*eps_r*A/t.

    Defaults: film thickness 5 nm, the published stack of the HfO2/ZrO2 superlattice devices this
    tool is about ("WOx / HZO-SL (5 nm) bilayers", nanoGe MATSUS Fall 2025 abstract of the group
    that measured ../shared/data/hzo; the precursor study's code also uses 5 nm), one thickness
    for every energy term (docs/physics.md, "One geometry"); relative permittivity 30, typical of
    HZO films (eps_r ~ 25-40, e.g. Mueller et al., Nano Lett. 12, 4318 (2012); Boescke et al.,
    APL 99, 102903 (2011)). The area has no default: it comes from here or, for names like
    ID161ZR15000 (circle of radius 15000 nm), from the device name.
    """

    area_um2: float | None = Field(None, gt=0)
    thickness_nm: float = Field(5.0, gt=0)
    permittivity: float = Field(30.0, gt=0)


class FileInfo(_Strict):
    """Per-file settings (keys of `Sidecar.files` are file names or glob patterns)."""

    device: str | None = None
    pulse_width: str | float | None = None
    direction: Direction | None = None
    """For files holding one direction only (CrossSim set = up, reset = down; a lab export's
    potentiation or depression file): over the file-name rule (`*_pot`/`*_dep`, ...), under
    `--direction FILE=up|down`."""
    cycle: int | None = None


class Sidecar(_Strict):
    """`measurements.yaml` beside measurement files."""

    synthetic: bool = False
    """True when the data were generated, not measured: copied into every device file."""
    provenance: str | None = None
    """Free text copied into every output (who measured what, where, when; or the generator)."""
    device_name: str | None = None
    """Device name for files that do not name one."""
    pulse_width: str | float | None = None
    """Pulse width for files that do not give one, e.g. 20ns or 2e-8."""
    read_voltage_V: float | None = Field(None, gt=0)
    """Read voltage: ramp files holding read currents are divided by it."""
    quantity: Literal["conductance_S", "current_A"] | None = None
    """What ramp-file values are; current_A needs read_voltage_V."""
    geometry: DeviceGeometry = Field(default_factory=DeviceGeometry)
    iv_table: str | None = None
    """A CSV file (beside this sidecar) with columns voltage_V, current_A: the measured current
    of the device at programming voltages (magnitudes), for `energy.conduction: measured`."""
    iv: str | None = None
    """A DC I-V sweep file or a folder of them (beside this sidecar; fit-device `--iv` overrides):
    the devices' measured conduction per polarity, paired with the pulse files by device name
    (ferrosim.device.iv_pairing), for `energy.conduction: measured`."""
    pulse_widths: dict[str, PulseWidthInfo] = Field(default_factory=dict)
    """Per pulse width (keys like 20ns): measured energies or the amplitude for the estimate."""
    files: dict[str, FileInfo] = Field(default_factory=dict)
    columns: dict[str, str] = Field(default_factory=dict)
    """Column mapping for lab exports (ferrosim.io.readers.lab_columns.ROLES -> column name): when given,
    the data files of the folder are read as `lab-table` through it (docs/lab-data.md)."""
    units: dict[str, str] = Field(default_factory=dict)
    """Units of mapped columns whose names do not say them (role -> unit, e.g. conductance: uS)."""
    decimal: Literal[".", ","] | None = None
    """The decimal mark of the lab tables' numbers (default: a comma where the cells are
    separated by `;` or tabs and hold numbers like `1,23`; `--decimal` overrides it)."""
    potentiating_polarity: Literal["negative", "positive"] | None = None
    """Which amplitude sign potentiates in a lab table without a direction column (default:
    the sign whose pulses raise the conductance on average)."""
