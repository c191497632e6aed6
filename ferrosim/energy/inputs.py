"""What the energy model needs to know about a device at one pulse width (`PulseElectrical`).

`fit-device` writes it into the device file (`electrical:` beside `response:`), a run config
copies it from there (`device.electrical`), and every run.json carries it: so a finished
sweep can be re-priced under other physics without the device file and without retraining.

It holds measured facts and the geometry, never an energy: per direction, the magnitude of
every measured pulse's amplitude, the conductance read after it, the step it made and, where
the file gives it, the current during the pulse. `ferrosim.energy.terms` turns these into
joules per pulse under a chosen model; the mean over the measured pulses of one direction is
the energy of one pulse of that direction (the same averaging as the fitted step sizes).
"""

from __future__ import annotations

from pydantic import ConfigDict, Field, model_validator

from ferrosim.energy.iv_curve import IVCurve
from ferrosim.io.strict_model import StrictInputModel


class _Strict(StrictInputModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class DirectionPulses(_Strict):
    """The measured pulses of one direction (potentiation `up` or depression `down`)."""

    amplitude_V: list[float]
    """|V| of each pulse (the files give signed amplitudes; the sign only says the direction)."""
    read_conductance_S: list[float]
    """Conductance read after each pulse (S): the state the next pulse starts from."""
    read_conductance_same_polarity_S: list[float] | None = None
    """The read taken at the pulse's own polarity, where the file has reads of both polarities
    (WGFMU summaries: R_low is read at -0.1 V, R_high at +0.1 V; up pulses are negative)."""
    step_S: list[float]
    """|conductance change| made by each pulse (S)."""
    current_A: list[float] | None = None
    """Current through the device during each pulse (A), where it was measured."""

    @model_validator(mode="after")
    def _same_length(self) -> "DirectionPulses":
        n = len(self.amplitude_V)
        if n == 0:
            raise ValueError("no pulses")
        for name in ("read_conductance_S", "read_conductance_same_polarity_S", "step_S", "current_A"):
            values = getattr(self, name)
            if values is not None and len(values) != n:
                raise ValueError(f"{name} has {len(values)} values for {n} pulses")
        if min(self.amplitude_V) < 0:
            raise ValueError("amplitude_V are magnitudes (>= 0)")
        return self


class IVTable(_Strict):
    """A measured current-voltage curve of the device (magnitudes), for `conduction: measured`."""

    voltage_V: list[float]
    current_A: list[float]
    source: str = ""
    """Where the table came from (file name)."""

    @model_validator(mode="after")
    def _monotone(self) -> "IVTable":
        v = self.voltage_V
        if len(v) < 2 or len(v) != len(self.current_A):
            raise ValueError("an I-V table needs at least two (voltage_V, current_A) pairs of equal length")
        if any(b <= a for a, b in zip(v, v[1:])) or v[0] < 0:
            raise ValueError("voltage_V must be magnitudes in increasing order")
        if any(i < 0 for i in self.current_A):
            raise ValueError("current_A must be magnitudes (>= 0)")
        return self


class PulseElectrical(_Strict):
    """The electrical facts of one device at one pulse width (see the module docstring)."""

    pulse_width_s: float = Field(gt=0)
    area_um2: float | None = Field(None, gt=0)
    """Device area; from measurements.yaml `geometry.area_um2` or the device name (ZR15000:
    a circle of radius 15 um). None when neither gives it: terms that need it are unavailable."""
    area_note: str = ""
    """Where the area came from."""
    thickness_nm: float = Field(10.0, gt=0)
    """Ferroelectric film thickness (measurements.yaml `geometry`): the one thickness of every
    term (capacitance, and the field E = V/t of the Schottky terms unless `energy.schottky.
    thickness_nm` overrides it). Device files written before issue 24 say 10 nm; fit-device's
    default is now 5 nm (docs/physics.md, "One geometry")."""
    permittivity: float = Field(30.0, gt=0)
    """Static relative permittivity for the capacitance (measurements.yaml `geometry`)."""
    read_voltage_V: float | None = Field(None, gt=0)
    """|V| of the conductance reads (WGFMU summaries: 0.1 V)."""
    conductance_range_S: list[float] | None = None
    """[G_min, G_max] of the measured range (the switching charge is scaled by it)."""
    conductance_during_pulse_S: float | None = Field(None, gt=0)
    """A conductance under the programming pulse stated in measurements.yaml (an assumption of
    the person who wrote it, not a measurement unless they say so)."""
    iv_table: IVTable | None = None
    iv_curve: IVCurve | None = None
    """The device's measured DC I-V sweep per polarity with its Schottky fits (fit-device `--iv`
    or measurements.yaml `iv:`): the `measured` conduction during a pulse (docs/physics.md)."""
    polarization_window_S: list[float] | None = None
    """[G_min, G_max] of the device's widest measured conductance range over all its pulse
    widths: the window a full polarization reversal spans, which normalises the switching charge
    (None in device files before issue 24: the width's own `conductance_range_S` is used)."""
    up: DirectionPulses
    down: DirectionPulses

    @model_validator(mode="after")
    def _range(self) -> "PulseElectrical":
        for name in ("conductance_range_S", "polarization_window_S"):
            r = getattr(self, name)
            if r is not None and (len(r) != 2 or not 0 <= r[0] < r[1]):
                raise ValueError(f"{name} must be [G_min, G_max] with 0 <= G_min < G_max")
        return self

    def direction(self, up: bool) -> DirectionPulses:
        return self.up if up else self.down

    def has_current(self) -> bool:
        return (self.up.current_A is not None and self.down.current_A is not None) \
            or self.iv_table is not None or self.iv_curve is not None or self.conductance_during_pulse_S is not None

    @property
    def switching_window_S(self) -> list[float] | None:
        """The conductance window of a full polarization reversal (see polarization_window_S)."""
        return self.polarization_window_S or self.conductance_range_S
