"""Loading a run config with one-line errors: file and line of the bad key, paths of the
device file and data folder resolved against the config that names them, `--set` overrides,
and the checks that need the whole config (energy model resolvable, pulses per update feasible).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from ferrosim.config.schema import _RESPONSE_KEYS, DeviceConfig, RunConfig, mixed_precision_eps
from ferrosim.energy.model import EnergyConfigError
from ferrosim.errors import InputError
from ferrosim.io.yaml_source import COMMAND_LINE, Loc, line_of, load_yaml, mark_overrides

# -- loading with one-line errors -------------------------------------------------------------
# pydantic puts the chosen member of a discriminated union into an error's path; users never
# wrote those names, so they are dropped from the key shown.
_UNION_TAGS = {"linear", "softbounds", "powstep", "table"}


def _allowed_keys(model: type[BaseModel], loc: Loc) -> list[str]:
    """Field names of the section at `loc` (for 'did you mean' hints)."""
    cls: Any = model
    for part in loc:
        fields = getattr(cls, "model_fields", None)
        if not fields or part not in fields:
            return []
        ann = fields[part].annotation
        cls = ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None
        if cls is None:
            return sorted(_RESPONSE_KEYS) if part in ("device", "response") else []
    keys = list(getattr(cls, "model_fields", {}))
    if cls is DeviceConfig:
        keys += sorted(_RESPONSE_KEYS | {"dw_min", "up_down"})
    return keys


def validation_error(exc: ValidationError, model: type[BaseModel], file: str | Path | None,
                     lines: dict[Loc, int]) -> InputError:
    """The first pydantic error as a one-line InputError naming the key and its line."""
    from ferrosim.io.validation import validation_error as one_line

    def clean(loc: Loc) -> Loc:
        # Drop the union tags pydantic inserts (e.g. 'softbounds') from the user-facing path.
        loc = tuple(p for p in loc if not (isinstance(p, str) and p in _UNION_TAGS))
        if loc[:2] == ("device", "response") and ("device", "response") not in lines:
            loc = ("device",) + loc[2:]  # the user wrote the response fields flat under device
        return loc

    return one_line(exc, model, file, lines, clean=clean, allowed_at=lambda at: _allowed_keys(model, at))



def parse_run_config(data: Any, *, file: str | Path | None = None,
                     lines: dict[Loc, int] | None = None) -> RunConfig:
    """Validate a mapping as a RunConfig; errors become one-line InputErrors."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError("expected a mapping of sections at the top level", file=file, line=1)
    data = _with_device_file(data, file, lines or {})
    data = _with_data_dir(data, file, lines or {})
    try:
        cfg = RunConfig.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, RunConfig, file, lines or {}) from None
    check_energy(cfg, file, lines or {})
    check_feasible(cfg, file, lines or {})
    return cfg


MAX_PULSES_PER_UPDATE = 100_000
"""Most pulses one device may be asked for in one update before a run counts as endless."""


MAX_TRANSFER_EVERY = 1e9
"""Most samples (or mini-batches) `tiki_taka.transfer_every` may count: beyond any training."""


def check_transfer_schedule(cfg: RunConfig, file: str | Path | None = None,
                            lines: dict[Loc, int] | None = None) -> None:
    """The Tiki-Taka family's transfer schedule must mean what it says: a `transfer_every` that
    rounds to 0 samples would silently never transfer (0 says never), and one beyond any
    training overflows the kernels' integers (issue 27, problem 13)."""
    if cfg.algorithm not in ("tiki_taka_v2", "chopped_tt_v2", "agad"):
        return
    tt = cfg.tiki_taka.resolved(cfg.algorithm)
    te, line = tt.transfer_every, line_of(lines or {}, ("tiki_taka", "transfer_every"))
    unit = "mini-batches" if tt.units_in_mbatch else "samples"
    if te > MAX_TRANSFER_EVERY:
        raise InputError(f"tiki_taka.transfer_every: {te:g} {unit} is beyond any training "
                         f"(at most {MAX_TRANSFER_EVERY:g})", file=file, line=line, hint="0 means never transfer")
    if te > 0 and tt.samples_between_transfers(cfg.training.batch_size) == 0:
        raise InputError(f"tiki_taka.transfer_every: {te:g} {unit} rounds to 0 samples: no transfer would ever "
                         "happen", file=file, line=line, hint="0 means never transfer; a transfer needs at least 0.5")


def check_feasible(cfg: RunConfig, file: str | Path | None = None, lines: dict[Loc, int] | None = None) -> None:
    """Refuse settings that would make a run practically endless. Plain SGD's pulse trains hold
    at most BL pulses per device and sample; mixed precision's transfer fires chi/eps pulses,
    with no cap unless `max_pulses` is set: with inputs and errors of at most 1 (sigmoid
    activations, softmax errors) one update can ask a device for up to lr/eps of them."""
    check_transfer_schedule(cfg, file, lines)
    if cfg.algorithm != "mixed_precision" or cfg.mixed_precision.max_pulses:
        return
    eps = mixed_precision_eps(cfg)
    worst = cfg.training.lr / cfg.device.weight_scale / eps
    if worst > MAX_PULSES_PER_UPDATE:
        key = ("mixed_precision", "granularity") if cfg.mixed_precision.granularity is not None else ("device",)
        raise InputError(f"mixed precision would ask one device for up to {worst:,.0f} pulses per update "
                         f"(lr {cfg.training.lr:g} / granularity {eps:.3g}): practically endless",
                         file=file, line=line_of(lines or {}, key),
                         hint="set mixed_precision.max_pulses, a larger granularity, or check the device steps")


def check_energy(cfg: RunConfig, file: str | Path | None = None, lines: dict[Loc, int] | None = None) -> None:
    """An energy setting the device's data cannot price is bad input naming its key."""
    if cfg.algorithm == "ideal":
        return
    try:
        cfg.energy_plan()
    except EnergyConfigError as exc:
        who = cfg.device.name or "the device"
        raise InputError(f"energy.{exc.key}: {exc} for {who}", file=file,
                         line=line_of(lines or {}, ("energy", exc.key)),
                         hint="see docs/physics.md, Energy") from None


def _config_base(file: str | Path | None, lines: dict[Loc, int], key: Loc) -> tuple[Path, bool]:
    """The folder a path at `key` is relative to: the config file's, for a path written in a
    config file; the working directory for one from the command line (--set) or a dict."""
    from_file = file is not None and line_of(lines, key) != COMMAND_LINE
    return (Path(file).parent if from_file else Path.cwd()), from_file


def _with_data_dir(data: dict, file: str | Path | None, lines: dict[Loc, int]) -> dict:
    """`dataset.data_dir` made absolute by the one path rule (it is not part of a run's id)."""
    dataset = data.get("dataset")
    if not isinstance(dataset, dict) or not isinstance(dataset.get("data_dir"), str) or not dataset["data_dir"]:
        return data
    path = Path(dataset["data_dir"]).expanduser()
    if not path.is_absolute():
        base, _ = _config_base(file, lines, ("dataset", "data_dir"))
        path = base / path
    return {**data, "dataset": {**dataset, "data_dir": str(path)}}


def _with_device_file(data: dict, file: str | Path | None, lines: dict[Loc, int]) -> dict:
    """Fill `device.response` and energies from `device.file` (fit-device output)."""
    dev_file = device_file_of(data, file, lines)
    if dev_file is None:
        return data
    device = data["device"]
    if device.get("pulse_width") is None:
        raise InputError("device.pulse_width is needed with device.file", file=file,
                         line=line_of(lines, ("device", "file")))
    def blame(key: str, exc: InputError) -> InputError:
        return InputError(f"device.{key}: {exc.what}", file=file, line=line_of(lines, ("device", key)),
                          hint=exc.hint)

    try:
        name = dev_file.device_name(device.get("name"))
    except InputError as exc:
        raise blame("name", exc) from None
    try:
        entry = dev_file.entry(name, device["pulse_width"])
    except InputError as exc:
        raise blame("pulse_width", exc) from None
    device = dict(device)
    overrides = {k: device.pop(k) for k in list(device) if k in _RESPONSE_KEYS and k != "model"}
    if "model" in device:
        raise InputError("device.model cannot be set together with device.file", file=file,
                         line=line_of(lines, ("device", "model")))
    device["response"] = {**entry.response.model_dump(), **overrides}
    energy = entry.energy_per_pulse_J
    if energy.source == "measured" or entry.electrical is None:
        # measured energies are used as they are; so are the estimates of earlier device files,
        # which carry no electrical data to reprice from
        if "energy_up_J" not in device and "energy_down_J" not in device:
            device["energy_source"] = "measured" if energy.source == "measured" else "given"
        device.setdefault("energy_up_J", energy.up)
        device.setdefault("energy_down_J", energy.down)
    if entry.electrical is not None:
        device["electrical"] = entry.electrical.model_dump()
    device["synthetic"] = bool(device.get("synthetic", False) or dev_file.synthetic)
    device["name"] = name
    fit = entry.fit or {}
    device["fitted"] = {"symmetry_point": fit.get("symmetry_point"), "step_ratio": fit.get("step_ratio_at_zero"),
                        "n_states": fit.get("n_states"),
                        "device_area_um2": entry.electrical.area_um2 if entry.electrical is not None else None,
                        "mean_state": fit.get("mean_state"), "symmetry_point_data": fit.get("symmetry_point_data")}
    return {**data, "device": device}


def device_file_of(data: dict, file: str | Path | None, lines: dict[Loc, int]):
    """The device file a config's `device.file` names, loaded; None without one. One rule: a path
    in a config file is relative to that file; one given on the command line (--set) or in a
    config that is no file (the Python API) is relative to the working directory."""
    device = data.get("device")
    if not isinstance(device, dict) or not device.get("file"):
        return None
    from ferrosim.device.file import load_device_file

    if not isinstance(device["file"], str):
        raise InputError(f"device.file: expected the path of a device file, got {device['file']!r}"[:200],
                         file=file, line=line_of(lines, ("device", "file")))
    base, from_file = _config_base(file, lines, ("device", "file"))
    path = Path(device["file"]).expanduser()
    path = path if path.is_absolute() else base / path
    if not path.is_file():
        where = "relative to the config file" if from_file else "relative to the working directory"
        raise InputError(f"device.file: {path} not found ({where})", file=file, line=line_of(lines, ("device", "file")))
    return load_device_file(path)


def load_run_config(path: str | Path, overrides: list[str] | None = None) -> RunConfig:
    """Read a run config from YAML, apply `key.sub=value` overrides, validate."""
    data, lines = load_yaml(path)
    data = apply_overrides(data if data is not None else {}, overrides or [])
    mark_overrides(lines, overrides or [])
    return parse_run_config(data, file=path, lines=lines)


def apply_overrides(data: dict, overrides: list[str]) -> dict:
    """Apply command-line `section.key=value` overrides (values parsed as YAML scalars)."""
    import copy

    import yaml

    data = copy.deepcopy(data)
    for item in overrides:
        if "=" not in item:
            raise InputError(f"--set {item!r}: expected KEY=VALUE", hint="e.g. --set training.lr=0.05")
        key, raw = item.split("=", 1)
        try:
            value = yaml.safe_load(raw)
        except yaml.YAMLError:
            value = raw
        node = data
        parts = key.strip().split(".")
        for part in parts[:-1]:
            parent = node
            node = node.setdefault(part, {})
            if isinstance(node, bool) and parts[:2] == ["energy", "digital"]:
                # `digital: true|false` is the short form of the section {enabled: ...}
                node = parent[part] = {"enabled": node}
            if not isinstance(node, dict):
                raise InputError(f"--set {key}: '{part}' is not a section")
        node[parts[-1]] = value
    return data


def default_config_path() -> Path:
    """The embedded default run config shipped with the package."""
    return Path(__file__).resolve().parents[1] / "default_run.yaml"
