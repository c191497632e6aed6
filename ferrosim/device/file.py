"""The device file: fitted responses per device and pulse width (output of `fit-device`).

```yaml
format: ferrosim-device-file
version: 1
synthetic: false            # true when any input was synthetic (copied into every result)
provenance: {ferrosim_version, command, settings, note, inputs: [{path, sha256, format}]}
devices:
  ID161ZR15000:
    pulse_widths:
      20ns:
        pulse_width_s: 2.0e-08
        response: {model: softbounds, a_up: ..., a_down: ..., w_min: ..., w_max: ..., c2c: ...}
        conductance_range_S: [3.26e-08, 6.14e-08]   # the map of [-1, 1]; null for normalised data
        energy_per_pulse_J: {up: ..., down: ..., source: estimated, model: ..., ...each term...}
        electrical: {pulse_width_s, area_um2, thickness_nm, permittivity, read_voltage_V,
                     conductance_range_S, up: {amplitude_V: [...], read_conductance_S: [...],
                     step_S: [...]}, down: {...}}     # what the energy model prices
        fit: {...quality, parameters with standard errors, symmetry point, granularity...}
d2d_estimates: {20ns: {n_devices: 3, d2d_up: ..., d2d_down: ..., devices: [...]}}
```
`response` is exactly a `ferrosim.device.models` device model, so a run reads it as is.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import ConfigDict, Field, ValidationError

from ferrosim.device.models import DeviceModel
from ferrosim.energy.inputs import PulseElectrical
from ferrosim.errors import InputError, closest
from ferrosim.io.atomic import atomic_write
from ferrosim.io.strict_model import StrictInputModel
from ferrosim.units import format_pulse_width, parse_pulse_width

FORMAT = "ferrosim-device-file"


class _Model(StrictInputModel):
    model_config = ConfigDict(extra="forbid")


class EnergyEntry(_Model):
    up: float | None = None
    """Energy of one potentiation pulse (J); null when unknown."""
    down: float | None = None
    """Energy of one depression pulse (J); null when unknown."""
    source: Literal["measured", "estimated", "unknown"] = "unknown"
    """measured (data or sidecar), estimated (the default energy model on `electrical`), or
    unknown. Only measured energies are used by runs as they are; estimated ones are repriced
    from `electrical` under the run's `energy:` model."""
    model: str | None = None
    """The energy model that made the estimate (its terms)."""
    capacitive_up_J: float | None = None
    conduction_up_J: float | None = None
    switching_up_J: float | None = None
    capacitive_down_J: float | None = None
    conduction_down_J: float | None = None
    switching_down_J: float | None = None
    resistive_up_J: float | None = None
    """Device files of ferrosim before the energy terms: the read-conduction term."""
    resistive_down_J: float | None = None
    amplitude_up_V: float | None = None
    amplitude_down_V: float | None = None
    capacitance_F: float | None = None
    note: str | None = None
    missing: list[str] | None = None
    """When `source` is unknown: the inputs that would give an energy per pulse (codes of
    `ferrosim.device.energy_gaps.GAPS`, e.g. amplitude_V, geometry.area_um2); `note` says where
    to give them. Null otherwise, and in device files of earlier ferrosim."""


class PulseWidthEntry(_Model):
    pulse_width_s: float | None
    response: DeviceModel = Field(discriminator="model")
    conductance_range_S: list[float] | None = None
    energy_per_pulse_J: EnergyEntry = Field(default_factory=EnergyEntry)
    electrical: PulseElectrical | None = None
    """The measured pulses' amplitudes, reads and steps and the geometry, from which a run
    prices a pulse under its energy model (None in device files of earlier ferrosim)."""
    fit: dict[str, Any] = Field(default_factory=dict)


class DeviceEntry(_Model):
    pulse_widths: dict[str, PulseWidthEntry]


class DeviceFile(_Model):
    format: Literal["ferrosim-device-file"] = FORMAT
    version: Literal[1] = 1
    synthetic: bool = False
    provenance: dict[str, Any] = Field(default_factory=dict)
    devices: dict[str, DeviceEntry]
    d2d_estimates: dict[str, Any] = Field(default_factory=dict)

    def entry(self, device: str | None, pulse_width: str | float) -> PulseWidthEntry:
        """The fit of `device` (may be omitted when the file holds one) at `pulse_width`."""
        name = self.device_name(device)
        widths = self.devices[name].pulse_widths
        if isinstance(pulse_width, str) and pulse_width in widths:
            return widths[pulse_width]
        try:
            seconds = parse_pulse_width(pulse_width)
        except ValueError as exc:
            raise InputError(str(exc)) from None
        for key, value in widths.items():
            if value.pulse_width_s is not None and abs(value.pulse_width_s - seconds) <= 1e-9 * seconds:
                return value
        raise InputError(f"pulse width {format_pulse_width(seconds)} not in the device file for {name}",
                         hint=f"it has {', '.join(widths)}")

    def device_name(self, device: str | None) -> str:
        if device is None:
            if len(self.devices) == 1:
                return next(iter(self.devices))
            raise InputError(f"the device file holds {len(self.devices)} devices; say which one",
                             hint=f"device.name: one of {', '.join(self.devices)}")
        if device not in self.devices:
            near = closest(device, list(self.devices))
            raise InputError(f"device '{device}' not in the device file",
                             hint=f"did you mean '{near}'?" if near else f"it has {', '.join(self.devices)}")
        return device


class _Dumper(yaml.SafeDumper):
    """Block style, but lists of numbers on a line ([a, b, ...]): the per-pulse data stay short."""

    def represent_list(self, data):
        flow = bool(data) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in data)
        return self.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(list, _Dumper.represent_list)


def write_device_file(data: DeviceFile, path: str | Path) -> None:
    """Write as YAML (plain types, keys in schema order), atomically."""
    path = Path(path)
    text = yaml.dump(data.model_dump(mode="json", exclude_none=False), Dumper=_Dumper, sort_keys=False,
                     width=100, allow_unicode=True)
    atomic_write(path, f"# ferrosim device file: fitted pulse responses (see `ferrosim fit-device --help`)\n{text}")


def _without_union_tags(loc):
    # pydantic names the chosen union member ('softbounds') in the path; the file does not
    return tuple(p for p in loc if p not in ("linear", "softbounds", "powstep", "table"))


def load_device_file(path: str | Path) -> DeviceFile:
    """Read and validate a device file; bad content is an InputError naming the file and line.
    A sweep names one file in every run: it is read once per process while unchanged on disk."""
    path = Path(path)
    try:
        st = path.stat()
    except OSError:
        return _load_device_file(path)
    return _cached(str(path.resolve()), st.st_mtime_ns, st.st_size).model_copy(deep=True)


@functools.lru_cache(maxsize=8)
def _cached(path: str, mtime_ns: int, size: int) -> DeviceFile:
    return _load_device_file(Path(path))


def _load_device_file(path: Path) -> DeviceFile:
    from ferrosim.io.validation import validation_error
    from ferrosim.io.yaml_source import load_yaml

    data, lines = load_yaml(path)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InputError(f"not a ferrosim device file (no 'format: {FORMAT}')", file=path, line=1,
                         hint="make one with `ferrosim fit-device`")
    version = data.get("version")
    if isinstance(version, int) and version > 1:
        raise InputError(f"device file format version {version} is newer than this ferrosim reads (1)",
                         file=path, line=lines.get(("version",)), hint="upgrade ferrosim or refit with this one")
    try:
        return DeviceFile.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, DeviceFile, path, lines, clean=_without_union_tags) from None
