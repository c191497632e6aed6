"""A sweep config expanded into its runs (DESIGN.md section 6).

A sweep config is a run config (`ferrosim.config.RunConfig`) in which
- `seed` may be a list;
- any scalar in `training`, `update`, `network`, `mixed_precision`, `symmetry` may be a list
  (and `network.hidden` a list of lists) to sweep it;
- a `sweep:` section lists `pulse_width` and `algorithm` values and any other dotted key
  (`training.lr: [0.05, 0.1]`);
- a `per_algorithm:` section gives settings that hold for one algorithm only, merged over the
  rest (`per_algorithm: {mixed_precision: {training: {lr: 0.5}}, sgd: {training: {lr: 0.05}}}`).
The runs are the cartesian product of every list, in a fixed order (pulse width, algorithm,
the other axes in file order, seed). `ideal` does not touch the device, so it runs once per
combination of the other axes, not once per pulse width.

Each run is validated as a RunConfig, so errors name the sweep file, the line and the key.
`run_id` is a stable hash of the parameters that change the numbers of that run.
"""

from __future__ import annotations

import copy
import fnmatch
import gc
import hashlib
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ferrosim.config import RunConfig, parse_run_config
from ferrosim.errors import InputError, closest
from ferrosim.io.yaml_source import Loc, line_of, load_yaml, mark_overrides
from ferrosim.units import format_pulse_width, parse_pulse_width

LIST_SECTIONS = ("training", "update", "network", "mixed_precision", "symmetry", "tiki_taka")
SWEEP_ALIASES = {"pulse_width": "device.pulse_width"}
"""Keys of the `sweep:` section that stand for a dotted config key."""


def swept_in_place(loc: tuple, value: Any) -> bool:
    """Whether a list written at `loc` sweeps that setting: a list of seeds, or a list for a key
    of a LIST_SECTIONS section (`network.hidden` only as a list of lists: one list is a size)."""
    if not isinstance(value, list):
        return False
    if loc == ("seed",):
        return True
    return (len(loc) == 2 and loc[0] in LIST_SECTIONS
            and (loc[1] != "hidden" or (bool(value) and isinstance(value[0], list))))
FIXED_AXES = ("device.pulse_width", "algorithm", "seed", "device.name")
DEVICE_AXIS = "device.name+pulse_width"
"""The joint axis of a population sweep: (device, pulse width) pairs the device file holds."""
"""Swept keys every table shows in their own columns; any other swept key is an extra axis."""
_SWEEP_TOP = {"sweep"}
# Sections that do not change a run's numbers for a given algorithm (left out of run_id).
_IRRELEVANT = {
    "ideal": ("device", "update", "mixed_precision", "symmetry", "io", "tiki_taka"),
    "sgd": ("mixed_precision", "symmetry", "tiki_taka"),
    "sgd_balanced": ("mixed_precision", "symmetry", "tiki_taka"),
    "sgd_symmetry_shift": ("mixed_precision", "tiki_taka"),
    "mixed_precision": ("symmetry", "tiki_taka"),
    "tiki_taka_v2": ("mixed_precision", "symmetry"),
    "chopped_tt_v2": ("mixed_precision", "symmetry"),
    "agad": ("mixed_precision", "symmetry"),
}


@dataclass(frozen=True)
class PlannedRun:
    run_id: str
    config: RunConfig
    axes: dict[str, Any]  # the swept values of this run, key -> value (for tables and summary)

    @property
    def pulse_width_s(self) -> float | None:
        pw = self.config.device.pulse_width
        return None if pw is None or self.config.algorithm == "ideal" else parse_pulse_width(pw)

    @property
    def label(self) -> str:
        return run_label(self.pulse_width_s, self.config.algorithm, self.config.seed, self.axes)


def run_label(pulse_width_s: float | None, algorithm: str, seed: Any, axes: dict[str, Any] | None = None) -> str:
    """`20ns sgd seed 0 training.lr=0.05`: how logs and reports name a run."""
    from ferrosim.units import format_pulse_width

    parts = [] if pulse_width_s is None else [format_pulse_width(pulse_width_s)]
    if axes and axes.get("device.name"):  # a population sweep: which device
        parts = [str(axes["device.name"])] + parts
    parts += [str(algorithm), f"seed {seed}"]
    parts += [f"{k}={v}" for k, v in (axes or {}).items() if k not in FIXED_AXES]
    return " ".join(parts)


@dataclass
class SweepPlan:
    name: str
    source: Path
    raw: dict
    runs: list[PlannedRun]
    axes: list[str] = field(default_factory=list)  # swept keys besides pulse width/algorithm/seed

    def shard(self, index: int, count: int) -> list[PlannedRun]:
        """The `index`-th (1-based) of `count` interleaved slices of the run table."""
        return [r for k, r in enumerate(self.runs) if k % count == index - 1]


_LATER_SETTINGS = {("io",): RunConfig().io.model_dump(mode="json"),
                   ("symmetry", "granularity"): "symmetry_point",
                   ("symmetry", "reference_mean"): 0.0, ("symmetry", "reference_std"): 0.0,
                   ("mixed_precision", "transfer"): "deterministic",
                   ("network", "digital_bias"): False,
                   ("update", "pulse_type"): "stochastic_compressed", ("update", "x_res_implicit"): 0.0,
                   ("update", "d_res_implicit"): 0.0,
                   ("device", "weight_zero"): "midrange", ("device", "symmetry_point_offset"): 0.0}


PRICING_DEVICE_KEYS = ("energy_up_J", "energy_down_J", "energy_source", "electrical", "fitted")
"""What a run's device section holds for pricing and provenance only: left out of its run_id, and
brought up to the device file when a complete run is re-priced (sweeps.outputs.reprice_complete)."""


def run_id_of(cfg: RunConfig) -> str:
    """Hash of what determines the run's numbers (not its name or where the data lie)."""
    data = cfg.model_dump(mode="json")
    data.pop("name", None)
    data["dataset"].pop("data_dir", None)
    # Training never reads the energy model: a run re-priced under other physics is the same run.
    data.pop("energy", None)
    for key in PRICING_DEVICE_KEYS:
        data["device"].pop(key, None)
    for section in _IRRELEVANT.get(cfg.algorithm, ()):
        data.pop(section, None)
    if cfg.algorithm == "ideal":
        data["network"].pop("digital_bias", None)  # float weights: where the bias lives is moot
    if cfg.algorithm == "mixed_precision":  # its transfer has its own pulse rule
        for key in ("pulse_type", "x_res_implicit", "d_res_implicit"):
            data["update"].pop(key, None)
    # Settings added after runs were first hashed count only when set away from their default,
    # so earlier results keep their ids (and a rerun does not retrain them).
    for path, default in _LATER_SETTINGS.items():
        node = data
        for part in path[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict) and node.get(path[-1], object()) == default:
            node.pop(path[-1])
    if cfg.device.weight_zero != "midrange" or cfg.device.symmetry_point_offset != 0.0:
        # what a named setting came to (from the device file's fit, left out above) counts
        data["device"]["g_ref"] = cfg.device.weight_zero_resolved().g_ref
    if cfg.algorithm != "ideal":
        # the device file's path does not matter, its content (already in `response`) does
        data["device"].pop("file", None)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def load_plan(path: str | Path, overrides: list[str] | None = None) -> SweepPlan:
    """Read, validate and expand a sweep config."""
    from ferrosim.config import apply_overrides

    path = Path(path)
    data, lines = load_yaml(path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError("expected a mapping of sections at the top level", file=path, line=1)
    data = apply_overrides(data, overrides or [])
    mark_overrides(lines, overrides or [])
    return expand(data, path, lines)


def expand(data: dict, path: Path, lines: dict[Loc, int]) -> SweepPlan:
    # Tens of thousands of run configs stay alive while more are made: the cyclic garbage
    # collector, finding nothing to free, would rescan them all again and again (an
    # 80,000-run plan took 3x longer). Nothing here makes reference cycles.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _expand(data, path, lines)
    finally:
        if enabled:
            gc.enable()


def _expand(data: dict, path: Path, lines: dict[Loc, int]) -> SweepPlan:
    data = copy.deepcopy(data)
    sweep = data.pop("sweep", None) or {}
    per_algorithm = _per_algorithm(data.pop("per_algorithm", None), path, lines)
    if not isinstance(sweep, dict):
        raise InputError("sweep: expected a mapping of key: [values]", file=path, line=line_of(lines, ("sweep",)))
    axes: list[tuple[str, list, Loc]] = []  # (dotted key, values, where it was written)
    for key, values in sweep.items():
        target = SWEEP_ALIASES.get(key, key)
        _check_key(target, path, lines, ("sweep", key))
        axes.append((target, _as_list(values), ("sweep", key)))
    if swept_in_place(("seed",), data.get("seed")):
        axes.append(("seed", data["seed"], ("seed",)))
    for section in LIST_SECTIONS:
        body = data.get(section)
        if not isinstance(body, dict):
            continue
        for key, value in body.items():
            if swept_in_place((section, key), value):
                axes.append((f"{section}.{key}", value, (section, key)))
    where: dict[str, Loc] = {}
    for key, values, loc in axes:  # `seed: [0, 1]` and `sweep: {seed: [5]}`: which one? (one would be lost)
        if key in where:
            first = line_of(lines, where[key])
            raise InputError(f"{key} is swept twice ({'at line ' + str(first) if first else 'elsewhere'} and here): "
                             "one or the other", file=path, line=line_of(lines, loc))
        where[key] = loc
    for key, values, loc in axes:
        if not values:
            raise InputError(f"{'.'.join(map(str, loc))}: empty list", file=path, line=line_of(lines, loc))
    axes = _population(data, axes, path, lines)
    # fixed order: device and pulse width, algorithm, the rest as written, seed last
    rank = {DEVICE_AXIS: 0, "device.pulse_width": 0, "algorithm": 1, "seed": 3}
    axes.sort(key=lambda a: rank.get(a[0], 2))
    swept_keys = {key for key, _, _ in axes}
    if DEVICE_AXIS in swept_keys:  # a population's axis sets each run's device: its file, name and width
        swept_keys |= set(POPULATION_KEYS)
    for name, body in per_algorithm.items():
        for loc, _ in leaves(body):
            if ".".join(loc) in swept_keys:
                what = ("is set run by run by the population sweep (device.name names the devices)"
                        if ".".join(loc) in POPULATION_KEYS and DEVICE_AXIS in swept_keys else "is also swept")
                raise InputError(f"per_algorithm.{name}.{'.'.join(loc)} {what}: one or the other",
                                 file=path, line=line_of(lines, ("per_algorithm", name, *loc)))
    for key, _, loc in axes:  # errors in a swept value point at the list that holds it
        lines.setdefault(tuple(key.split(".")), line_of(lines, loc))
    runs: list[PlannedRun] = []
    seen: set[str] = set()
    for key, values, loc in axes:
        if key == "device.pulse_width":  # one width written four ways is one run, shown one way
            values[:] = _unique([canonical_width(v) for v in values])
    if isinstance(data.get("device"), dict) and data["device"].get("pulse_width") is not None:
        data["device"]["pulse_width"] = canonical_width(data["device"]["pulse_width"])
    base = copy.deepcopy(data)
    for key, _, _ in axes:  # every run sets these: the copies below need not carry the lists
        if key == DEVICE_AXIS:
            _set(base, "device.name", None)
            _set(base, "device.pulse_width", None)
        else:
            _set(base, key, None)
    def run_of(combo: tuple, algorithm: str | None = None) -> RunConfig:
        """The run of one combination of the axes' values (under `algorithm`'s settings when
        given), with its `per_algorithm:` settings; errors name their own lines."""
        run = copy.deepcopy(base)
        for (key, _, _), value in zip(axes, combo):
            if key == DEVICE_AXIS:
                _set(run, "device.name", value[0])
                _set(run, "device.pulse_width", value[1])
            else:
                _set(run, key, value)
        if algorithm is not None:
            run["algorithm"] = algorithm
        run_lines = lines
        algo = run.get("algorithm", "sgd")
        own = per_algorithm.get(algo) if isinstance(algo, str) else None  # else the schema says why
        if own:
            run_lines = dict(lines)
            for loc, value in leaves(own):  # errors in these values point at their own lines
                _set(run, ".".join(loc), value)
                run_lines[loc] = line_of(lines, ("per_algorithm", run["algorithm"], *loc))
        return parse_run_config(run, file=path, lines=run_lines)

    for combo in itertools.product(*(values for _, values, _ in axes)):
        cfg = run_of(combo)
        rid = run_id_of(cfg)
        if rid in seen:  # e.g. `ideal` at every pulse width: one run
            continue
        seen.add(rid)
        swept = {key: value for (key, _, _), value in zip(axes, combo)}
        if DEVICE_AXIS in swept:
            name, width = swept.pop(DEVICE_AXIS)
            swept = {"device.name": name, "device.pulse_width": width, **swept}
        if cfg.algorithm == "ideal":
            swept.pop("device.pulse_width", None)
            swept.pop("device.name", None)
        runs.append(PlannedRun(rid, cfg, swept))
    # settings of algorithms this sweep does not train are still checked (a `--set` may bring
    # them in): on the first combination, as if that algorithm were swept
    trained = {r.config.algorithm for r in runs}
    first = next(itertools.product(*(values for _, values, _ in axes)), ())
    for name in per_algorithm:
        if name not in trained:
            run_of(first, name)
    if not runs:
        raise InputError("the sweep has no runs", file=path)
    name = check_name(data.get("name") or path.stem, path, line_of(lines, ("name",)))
    others = [k for k, _, _ in axes if k not in FIXED_AXES and k != DEVICE_AXIS]
    raw = {**data, "sweep": sweep, **({"per_algorithm": per_algorithm} if per_algorithm else {})}
    return SweepPlan(name=str(name), source=path, raw=raw, runs=runs, axes=others)


POPULATION_KEYS = ("device.file", "device.name", "device.pulse_width")
"""What a population sweep's device axis decides for every run: a `per_algorithm:` entry that
set one of them would train a device other than the one its run is labelled with."""


def _is_population(name: Any) -> bool:
    """`device.name: all`, a list of names, or a glob pattern (`ID16*`); a name the device file
    holds exactly is one device even with `*`, `?` or `[` in it (`_population`)."""
    return isinstance(name, list) or (isinstance(name, str) and (name == "all" or any(c in name for c in "*?[")))


def _population(data: dict, axes: list, path: Path, lines: dict[Loc, int]) -> list:
    """A population sweep's (device, pulse width) axis: every device that `device.name` names
    (all, a list, or a glob), crossed only with the pulse widths the device file holds for it
    (and, when `sweep.pulse_width` is given, among those)."""
    device = data.get("device")
    if not isinstance(device, dict) or not _is_population(device.get("name")):
        return axes
    from ferrosim.config import device_file_of

    loc = ("device", "name")
    dev_file = device_file_of(data, path, lines)
    if dev_file is None:
        raise InputError("device.name: a list, 'all' or a pattern needs device.file", file=path,
                         line=line_of(lines, loc))
    spec = device["name"]
    if isinstance(spec, str) and spec in dev_file.devices:
        return axes  # a device named `ID[1]` or `a*b` is that one device: the exact name wins
    if isinstance(spec, list):
        missing = [n for n in spec if n not in dev_file.devices]
        if missing:
            near = closest(str(missing[0]), list(dev_file.devices))
            raise InputError(f"device.name: '{missing[0]}' is not in the device file", file=path,
                             line=line_of(lines, loc), hint=f"did you mean '{near}'?" if near else
                             f"it holds {', '.join(list(dev_file.devices)[:8])}")
        names = list(dict.fromkeys(spec))
    else:
        names = [n for n in dev_file.devices if spec == "all" or fnmatch.fnmatchcase(n, spec)]
        if not names:
            raise InputError(f"device.name: '{spec}' matches no device of the device file", file=path,
                             line=line_of(lines, loc), hint=f"it holds {', '.join(list(dev_file.devices)[:8])}")
    widths = next((values for key, values, _ in axes if key == "device.pulse_width"), None)
    wanted = None if widths is None or widths == ["all"] else {canonical_width(w) for w in widths}
    if wanted is None and device.get("pulse_width") not in (None, "all"):
        wanted = {canonical_width(device["pulse_width"])}
    pairs = [(name, label) for name in names for label in dev_file.devices[name].pulse_widths
             if wanted is None or canonical_width(label) in wanted]
    if not pairs:
        raise InputError("the devices named have none of the pulse widths asked for", file=path,
                         line=line_of(lines, loc))
    kept = [a for a in axes if a[0] != "device.pulse_width"]
    return kept + [(DEVICE_AXIS, pairs, loc)]


MAX_NAME = 100
"""Longest sweep name: it becomes a folder name (results/<name>), well under any file system's
255-byte limit."""


def check_name(name: Any, path: Path, line: int | None) -> str:
    """A sweep name is one plain path component: it names the results folder `results/<name>`,
    so `../x`, `/abs`, `a/b`, `.`, control characters or a name too long for a file system
    would write elsewhere or fail late."""
    text = str(name)
    bad = None
    if not text.strip():
        bad = "is empty"
    elif len(text.encode()) > MAX_NAME:
        bad = f"is longer than {MAX_NAME} bytes"
    elif "/" in text or "\\" in text or text in (".", ".."):
        bad = "must be one folder name, without / or \\ (it names results/<name>)"
    elif any(ord(c) < 32 or ord(c) == 127 for c in text):
        bad = "holds a control character"
    elif text.startswith("-"):
        bad = "must not start with '-' (it would read as an option)"
    if bad:
        raise InputError(f"name {text[:40]!r}{'...' if len(text) > 40 else ''} {bad}", file=path, line=line,
                         hint="letters, digits, '-', '_' and '.' are safe")
    return text


def _per_algorithm(section: Any, path: Path, lines: dict[Loc, int]) -> dict[str, dict]:
    """The `per_algorithm:` section, checked: algorithm names mapping to sections."""
    from ferrosim.config import ALGORITHMS

    if section is None:
        return {}
    if not isinstance(section, dict):
        raise InputError("per_algorithm: expected a mapping of algorithm: {section: {key: value}}",
                         file=path, line=line_of(lines, ("per_algorithm",)))
    for name, body in section.items():
        loc = ("per_algorithm", name)
        if name not in ALGORITHMS:
            near = closest(str(name), list(ALGORITHMS))
            raise InputError(f"per_algorithm: unknown algorithm '{name}'", file=path, line=line_of(lines, loc),
                             hint=f"did you mean '{near}'?" if near else f"one of: {', '.join(ALGORITHMS)}")
        if not isinstance(body, dict) or "algorithm" in body or "seed" in body:
            raise InputError(f"per_algorithm.{name}: expected sections of settings (not algorithm or seed)",
                             file=path, line=line_of(lines, loc))
        for key, value in leaves(body):
            if isinstance(value, list) and key != ("network", "hidden"):
                raise InputError(f"per_algorithm.{name}.{'.'.join(key)}: a single value, not a list "
                                 "(sweep it under sweep:)", file=path, line=line_of(lines, loc + key))
    return section


def leaves(node: dict, prefix: Loc = ()) -> list[tuple[Loc, Any]]:
    """(path, value) of every non-mapping value in a nested mapping."""
    out: list[tuple[Loc, Any]] = []
    for key, value in node.items():
        if isinstance(value, dict):  # an empty section sets nothing (it set the whole section
            out += leaves(value, prefix + (key,))  # to its defaults: issue 27, problem 3)
        else:
            out.append((prefix + (key,), value))
    return out


def canonical_width(value: Any) -> Any:
    """A pulse width in ferrosim's one spelling (`0.02us`, `2e-8`, `20 ns` -> `20ns`); a value
    that is not a pulse width is left for the config's own error."""
    try:
        return format_pulse_width(parse_pulse_width(value))
    except (ValueError, TypeError, InputError):
        return value


def _unique(values: list) -> list:
    out: list = []
    for v in values:
        if v not in out:
            out.append(v)
    return out


def _as_list(values: Any) -> list:
    return values if isinstance(values, list) else [values]


def _set(data: dict, dotted: str, value: Any) -> None:
    node = data
    parts = dotted.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def _check_key(dotted: str, path: Path, lines: dict[Loc, int], loc: Loc) -> None:
    """A swept key must name a RunConfig field: say which one was meant otherwise."""
    from pydantic import BaseModel

    model: type[BaseModel] = RunConfig
    parts = dotted.split(".")
    for k, part in enumerate(parts):
        fields = model.model_fields
        if part not in fields:
            near = closest(part, list(fields))
            raise InputError(f"sweep: unknown key '{dotted}'", file=path, line=line_of(lines, loc),
                             hint=f"did you mean '{'.'.join(parts[:k] + [near])}'?" if near else None)
        annotation = fields[part].annotation
        if k < len(parts) - 1:
            if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
                raise InputError(f"sweep: '{'.'.join(parts[:k + 1])}' is not a section", file=path,
                                 line=line_of(lines, loc))
            model = annotation
