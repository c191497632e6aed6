"""A ready-to-run sweep config for the device file `fit-device` wrote (`--sweep-config FILE`).

The config has the schema and the defaults of `configs/pulse_widths.yaml` (DESIGN.md section 6):
the fitted device at exactly its fitted pulse widths, the four algorithms, three seeds and the
bundled digits data set. `device.file` is the device file's path relative to the config's own
folder, as sweep configs resolve it. A header comment says which fit made it and whether the
data are synthetic. The config is written once: an existing file (which may hold a person's
edits) is never replaced.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import yaml

from ferrosim.version import package_version
from ferrosim.errors import InputError
from ferrosim.device.file import DeviceFile

ALGORITHMS = ("ideal", "sgd", "mixed_precision", "sgd_symmetry_shift")
SEEDS = (0, 1, 2)


def check_sweep_config_path(path: str | Path) -> None:
    """A new file in an existing writable folder (InputError otherwise)."""
    from ferrosim.io.atomic import check_output_file

    path = Path(path)
    check_output_file(path, "--sweep-config")
    if path.exists():
        raise InputError(f"--sweep-config {path}: the file exists; fit-device does not replace a sweep "
                         "config (it may hold your edits)", hint="remove it or name another file")


def check_one_device(widths: dict[str, list[float | None]]) -> None:
    """A sweep config names one device, at known pulse widths (InputError otherwise); `widths`:
    device -> pulse width (s) of each of its measurements."""
    devices = list(widths)
    if len(devices) > 1:
        raise InputError(f"--sweep-config: the measurements hold {len(devices)} devices "
                         f"({', '.join(devices[:4])}{', ...' if len(devices) > 4 else ''}) and a sweep "
                         "config names one", hint="fit one device's files with --sweep-config, or "
                         "write the config by hand with device.name")
    for name, seconds in widths.items():
        if any(s is None for s in seconds):
            raise InputError(f"--sweep-config: {name} has measurements without a pulse width",
                             hint="give --pulse-width or pulse_width in measurements.yaml")


def _one_line(command: str) -> str:
    """The command as recorded (shell-quoted: it pastes back as it ran), unless an argument
    holds a line break, which a comment line cannot."""
    return command if "\n" not in command and "\r" not in command else " ".join(command.split())


def sweep_config_text(data: DeviceFile, device_file: Path, config: Path, command: str | None = None) -> str:
    """The YAML text of the sweep config `config` for `data`, written to `device_file`."""
    (name, entry), = data.devices.items()
    widths = list(entry.pulse_widths)
    rel = Path(os.path.relpath(Path(device_file).resolve(), Path(config).resolve().parent)).as_posix()
    sweep_name = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(config).stem).lstrip("-.") or "sweep"
    unknown = [w for w, e in entry.pulse_widths.items()
               if e.energy_per_pulse_J.up is None or e.energy_per_pulse_J.down is None]
    origin = ("SYNTHETIC measurements (not measured: every output says synthetic_device = true)"
              if data.synthetic else "data not marked synthetic (synthetic: false in the device file)")
    header = [
        f"# Sweep config written by `{_one_line(command or 'ferrosim fit-device')}` (ferrosim {package_version()})",
        f"# with the device file {rel}: device {name}, fitted from {origin}.",
    ]
    note = data.provenance.get("note")
    if note:
        header.append(f"# Provenance of the data: {' '.join(str(note).split())}")
    header += [
        (f"# {len(widths)} fitted pulse width(s) x {len(ALGORITHMS)} algorithms x {len(SEEDS)} seeds "
         "(ideal runs once per seed); settings as configs/pulse_widths.yaml."),
        "# Check it with `ferrosim sweep THIS_FILE --dry-run`; paths are relative to this file.",
    ]
    if unknown:
        header.append(f"# No energy per pulse at {', '.join(unknown)} (see the fit-device warning): "
                      "the energy columns of those runs will be empty.")
    body = [
        f"name: {_scalar(sweep_name)}",
        f"seed: [{', '.join(str(s) for s in SEEDS)}]",
        "dataset: {name: digits}",
        "network: {hidden: [32], activation: sigmoid}",
        "training: {epochs: 10, batch_size: 1, lr: 0.1, target_accuracy: 0.9}",
        "device:",
        f"  file: {_scalar(rel)}     # relative to this config",
        f"  name: {_scalar(name)}",
        "update: {bl: 31, update_management: true, update_bl_management: true, granularity: aihwkit}",
        "sweep:",
        f"  pulse_width: [{', '.join(_scalar(w) for w in widths)}]",
        f"  algorithm: [{', '.join(ALGORITHMS)}]",
    ]
    return "\n".join(header + body) + "\n"


def _scalar(text: str) -> str:
    """`text` as a YAML scalar: plain where YAML reads it back as the same string, else quoted."""
    if re.fullmatch(r"[A-Za-z0-9_./+-]+", text) and yaml.safe_load(text) == text:
        return text
    return json.dumps(text)  # a JSON string is a YAML double-quoted scalar
