"""Re-pricing finished runs under other energy models, without retraining: the engine behind
`ferrosim energy` (the command reads sweep folders and writes its outputs in
`ferrosim.reports.energy_report`).

Training never depends on the energy model: every run keeps its pulses per direction, digital
operations and epochs (epochs.csv) and its device's electrical facts (run.json), so the same
pricing function the training loop used (`ferrosim.energy.model.summary_energy`) prices them
again under any `energy:` settings; the numbers equal a fresh run's under those settings.

Public entry: `reprice_runs(runs, base, scan)` with `PricedRun`s, an `EnergyConfig` and an
optional `parse_scan` spec; it returns a `Repricing` (per-run prices, means over seeds per
pulse width, the claims and the scan).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from pydantic import ValidationError

from ferrosim.energy.claims import ONE_WIDTH, ratio_text, shortest_width_standing
from ferrosim.energy.model import (EnergyConfig, EnergyConfigError, EnergyOverflowError, is_partial, resolve,
                                   summary_energy)
from ferrosim.energy.terms import CONDUCTION_MODELS
from ferrosim.errors import InputError
from ferrosim.units import format_pulse_width

METRICS = ("energy_per_pulse_J", "energy_per_update_J", "total_energy_J", "energy_to_target_J")
"""What the claims are about: per pulse (the device), per update, total, to the target."""


@dataclass
class PricedRun:
    """What pricing needs of one finished device run."""

    run_id: str
    sweep: str
    algorithm: str
    pulse_width_s: float
    seed: Any
    device_name: str
    device: Any  # ferrosim.config.DeviceConfig
    counts: tuple[list[int], list[int], list[int], list[int]]
    epochs_to_target: int | None
    n_updates: int
    final_accuracy: float


@dataclass
class Model:
    label: str
    config: EnergyConfig


@dataclass
class Repricing:
    runs: list[PricedRun]
    models: list[Model]
    by_run: pd.DataFrame
    by_width: pd.DataFrame
    claims: pd.DataFrame
    scan: "Scan | None" = None
    base: EnergyConfig = field(default_factory=EnergyConfig)
    notes: list[str] = field(default_factory=list)
    """What the reader should know about the inputs (a line each in energy.md and on the terminal)."""


@dataclass
class Scan:
    key: str
    values: list[Any]  # numbers; for a categorical scan the values as written (e.g. node names)
    table: pd.DataFrame  # value, algorithm, pulse_width_s, metric means
    crossover: dict[tuple[str, str, str], str]  # (algorithm, metric, "all" | "longest") -> a sentence
    log: bool = False
    categorical: bool = False


class ScanSpec(NamedTuple):
    """What `parse_scan` read: a numeric range (linear or log) or a list of categories."""

    key: str
    values: list[Any]
    log: bool = False
    categorical: bool = False


def shown(value: Any) -> str:
    """A scanned value as a reader sees it: numbers to 3 digits, anything else as written."""
    return f"{value:.3g}" if isinstance(value, int | float) and not isinstance(value, bool) else str(value)


# -- settings -----------------------------------------------------------------------------------

def check_overrides(overrides: list[str]) -> None:
    for item in overrides:
        key = item.split("=", 1)[0].strip()
        if "=" not in item or not key.startswith("energy."):
            raise InputError(f"--set {item}: expected energy.KEY=VALUE (only energy settings can be re-priced)",
                             hint="other settings change the training: rerun `ferrosim sweep`")


def validated(data: dict, where: str) -> EnergyConfig:
    try:
        return EnergyConfig.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        raise InputError(f"{where} energy.{key}: {msg}", hint="see docs/physics.md, Energy") from None


def _category(text: str) -> Any:
    """One value of a categorical scan: a number where it reads as one, else the text."""
    import yaml

    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    if isinstance(value, str):
        try:
            return float(value)  # YAML 1.1 reads `1e-12` as text
        except ValueError:
            return value
    return value


SCAN_MAGNITUDE = (1e-100, 1e100)
"""The magnitudes a numeric scan may reach (0 aside): every setting's physical range lies well
inside, and the scan figure's axes draw them (matplotlib fails on subnormal numbers and near
the largest float)."""


def parse_scan(text: str) -> ScanSpec:
    """`energy.K=a:b:n` (n values, linear), `energy.K=a:b:n:log` (geometric) or
    `energy.K=a,b,c` (categories, e.g. `energy.digital.node=45nm_fp32,7nm_int8`). Every value
    is checked against the setting's range in the schema before any sweep is read, so a scan
    beyond it is refused up front, not after the tables are written."""
    if "=" not in text:
        raise InputError(f"--scan {text}: expected energy.KEY=START:STOP:N or energy.KEY=A,B,...",
                         hint="e.g. energy.conduction_scale=1:1000:31:log")
    key, spec = (t.strip() for t in text.split("=", 1))
    if not key.startswith("energy."):
        raise InputError(f"--scan {text}: only energy.* settings can be scanned")
    if "," in spec:
        values = [_category(v.strip()) for v in spec.split(",")]
        if any(v in (None, "") for v in values):
            raise InputError(f"--scan {text}: an empty value in the list")
        if len(values) < 2 or len(values) > 50 or len({repr(v) for v in values}) < len(values):
            raise InputError(f"--scan {text}: expected 2 to 50 different values")
        for v in values:
            _with(EnergyConfig(), key, v)
        return ScanSpec(key, values, False, True)
    parts = spec.split(":")
    log = len(parts) == 4 and parts[3] == "log"
    if len(parts) not in (3, 4) or (len(parts) == 4 and not log):
        raise InputError(f"--scan {text}: expected START:STOP:N or START:STOP:N:log")
    try:
        a, b, n = float(parts[0]), float(parts[1]), int(parts[2])
    except ValueError:
        raise InputError(f"--scan {text}: START and STOP must be numbers and N an integer") from None
    if n < 2 or n > 1000:
        raise InputError(f"--scan {text}: N must be between 2 and 1000")
    if log and (a <= 0 or b <= 0):
        raise InputError(f"--scan {text}: a log scan needs positive START and STOP")
    if not (np.isfinite(a) and np.isfinite(b)) or a == b:
        raise InputError(f"--scan {text}: START and STOP must be two different finite numbers")
    for end in (a, b):  # the setting's own range (the schema): one validation path for every value
        _with(EnergyConfig(), key, end)
    lo, hi = SCAN_MAGNITUDE
    if any(v != 0 and not lo <= abs(v) <= hi for v in (a, b)):
        raise InputError(f"--scan {text}: START and STOP must be 0 or of magnitude {lo:g} to {hi:g}")
    # the values ascend whichever end comes first: the verdicts ("above X") read along them
    a, b = min(a, b), max(a, b)
    values = [float(v) for v in (np.geomspace(a, b, n) if log else np.linspace(a, b, n))]
    if len(set(values)) < n:
        raise InputError(f"--scan {text}: {n} values do not fit between {a:g} and {b:g}", hint="scan a wider range")
    return ScanSpec(key, values, log)


def _with(cfg: EnergyConfig, key: str, value: Any) -> EnergyConfig:
    data = cfg.model_dump()
    node = data
    parts = key.split(".")[1:]
    for p in parts[:-1]:
        if not isinstance(node.get(p), dict):
            raise InputError(f"--scan {key}: '{p}' is not a section of energy")
        node = node[p]
    if parts[-1] not in node:
        raise InputError(f"--scan {key}: unknown energy setting", hint="see docs/physics.md, Energy")
    node[parts[-1]] = value
    return validated(data, f"--scan {key}={shown(value)}:")


def models_for(base: EnergyConfig, runs: list[PricedRun]) -> list[Model]:
    """The configured model, it without the digital term, and each other conduction model every
    run's device can price."""
    names = sorted({_plan(base, r).name for r in runs})
    models = [Model("configured: " + "; ".join(names), base)]
    if base.digital and any(sum(r.counts[2]) for r in runs):
        models.append(Model("configured, no digital term",
                            base.model_copy(update={"digital": base.digital.model_copy(update={"enabled": False})})))
    current = _plan(base, runs[0]).name
    for m in CONDUCTION_MODELS[1:]:
        cfg = base.model_copy(update={"conduction": m})
        try:
            plans = [_plan(cfg, r) for r in runs]
        except InputError:
            continue
        if plans[0].name != current:
            models.append(Model(plans[0].name, cfg))
    return models


def _plan(cfg: EnergyConfig, run: PricedRun):
    d = run.device
    try:
        return resolve(cfg, d.electrical, (d.energy_up_J, d.energy_down_J), d.energy_source)
    except EnergyConfigError as exc:
        raise InputError(f"energy.{exc.key}: {exc} for {run.device_name} at {run.pulse_width_s:g} s "
                         f"(run {run.run_id})", hint="see docs/physics.md, Energy") from None


# -- pricing ------------------------------------------------------------------------------------

def price_runs(runs: list[PricedRun], cfg: EnergyConfig, label: str) -> pd.DataFrame:
    rows = []
    for r in runs:
        try:
            e = summary_energy(_plan(cfg, r), *r.counts, r.epochs_to_target, r.n_updates)
        except EnergyOverflowError as exc:  # refused, never a blank cell
            raise InputError(f"{exc} for {r.device_name} at {r.pulse_width_s:g} s (run {r.run_id})",
                             hint="check the energy settings and the device's electrical data") from None
        rows.append({"model": label, "run_id": r.run_id, "sweep": r.sweep, "device": r.device_name,
                     "pulse_width_s": r.pulse_width_s, "algorithm": r.algorithm, "seed": r.seed,
                     "final_accuracy": r.final_accuracy, "epochs_to_target": r.epochs_to_target, **e})
    return pd.DataFrame(rows)


def aggregate(by_run: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    cols = [c for c in (*METRICS, "total_energy_lower_J", "total_energy_upper_J", "pulse_energy_J",
                        "energy_digital_J", "energy_conduction_extrapolated_J", "energy_digital_products_J",
                        "energy_digital_accumulator_J") if c in by_run]
    g = by_run.groupby(keys, sort=True, dropna=False)
    out = g[cols].mean()
    out.columns = [f"{c}_mean" for c in cols]
    std = g[cols].std()
    out = out.join(std.rename(columns={c: f"{c}_std" for c in cols}))
    out["n"] = g.size()
    out["reached"] = g["energy_to_target_J"].count()
    return out.reset_index()


def claims(by_width: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per model and algorithm: is the shortest width the cheapest, per metric? Each verdict
    names the width its ratio belongs to (`does not hold: 20us is cheapest (2us costs x1.51 of
    200us)`); a single pulse width gets `ONE_WIDTH`, a partial estimate (a device without an
    area) `undecided`."""
    rows = []
    for k, grp in by_width.groupby(keys, sort=False):
        grp = grp.sort_values("pulse_width_s")
        row = dict(zip(keys, k if isinstance(k, tuple) else (k,)))
        widths = grp["pulse_width_s"].dropna()
        row["shortest_s"] = float(widths.iloc[0]) if len(widths) else math.nan
        row["longest_s"] = float(widths.iloc[-1]) if len(widths) else math.nan
        partial = is_partial(str(row.get("model", "")))
        for m in METRICS:
            if len(widths) < 2:
                row[m] = ONE_WIDTH
                continue
            st = shortest_width_standing(_figure_per_width(grp, m))
            if st["cheapest"] is None:
                row[m] = "n/a"
                continue
            if partial:
                row[m] = "undecided (partial estimate: no device area, capacitive and switching not priced)"
                continue
            ratio = ratio_text(format_pulse_width(row["shortest_s"]), format_pulse_width(row["longest_s"]),
                               st["vs_longest"])
            row[m] = (("holds" if st["cheapest"] == row["shortest_s"] else
                       f"does not hold: {format_pulse_width(st['cheapest'])} is cheapest")
                      + (f" ({ratio})" if ratio else ""))
        rows.append(row)
    return pd.DataFrame(rows)


def run_scan(runs: list[PricedRun], base: EnergyConfig, key: str, values: list[Any], log: bool = False,
             categorical: bool = False) -> Scan:
    frames = []
    for v in values:
        cfg = _with(base, key, v)
        priced = price_runs(runs, cfg, f"{key}={shown(v)}")
        agg = aggregate(priced, ["algorithm", "pulse_width_s"])
        agg.insert(0, "value", v)
        frames.append(agg)
    table = pd.concat(frames, ignore_index=True)
    cross = crossovers(table, key, values, log, categorical)
    first = table[table["value"] == values[0]]["total_energy_J_mean"].to_numpy(dtype=float)
    if all(np.allclose(first, table[table["value"] == v]["total_energy_J_mean"].to_numpy(dtype=float), rtol=1e-9,
                       atol=0.0, equal_nan=True) for v in values[1:]):
        note = (f"{key} does not change the configured model ({_plan(base, runs[0]).name}): "
                "scan a setting of a term it uses, or --set the term")
        cross = {k: note for k in cross}
    return Scan(key, values, table, cross, log, categorical)


COMPARISONS = {"all": "than every other width", "longest": "than the longest width"}


def _figure_per_width(grp: pd.DataFrame, metric: str) -> pd.Series:
    """Mean `metric` per pulse width of one aggregated group; energy to target only where every
    seed reached it (a width where a seed missed has no figure)."""
    sub = grp.set_index("pulse_width_s").sort_index()
    col = sub[f"{metric}_mean"]
    return col.where(sub["reached"] == sub["n"]) if metric == "energy_to_target_J" else col


def shortest_ratios(grp: pd.DataFrame, metric: str, value: float) -> dict[str, float]:
    """E(shortest width) / E(cheapest other width) ("all") and / E(longest width) ("longest") at
    one scanned value; NaN where there is no figure."""
    st = shortest_width_standing(_figure_per_width(grp[grp["value"] == value], metric))
    return {"all": st["vs_other"], "longest": st["vs_longest"]}


def crossovers(table: pd.DataFrame, key: str, values: list[Any], log: bool = False,
               categorical: bool = False) -> dict[tuple[str, str, str], str]:
    """Where the shortest width becomes cheaper than every other width ("all") and than the
    longest ("longest"), per algorithm and metric: the ratio's crossing of 1, interpolated
    between scanned values (in log(value) for a log scan); for categories, at which values it is
    cheaper (nothing lies between two categories)."""
    out = {}
    for alg, grp in table.groupby("algorithm", sort=True):
        if grp["pulse_width_s"].nunique() < 2:
            continue
        for m in ("energy_per_pulse_J", "total_energy_J", "energy_to_target_J"):
            ratios = [shortest_ratios(grp, m, v) for v in values]
            for comp in COMPARISONS:
                margin = [1.0 / r[comp] - 1.0 if math.isfinite(r[comp]) and r[comp] > 0 else math.nan for r in ratios]
                out[(alg, m, comp)] = (_category_sentence(key, values, [r[comp] for r in ratios], COMPARISONS[comp])
                                       if categorical else
                                       _crossing_sentence(key, values, margin, COMPARISONS[comp], log))
    return out


def crossing_points(values: list[float], margin: list[float], log: bool = False) -> list[tuple[float, bool]]:
    """(value, True when the shortest width becomes cheaper there) at each sign change of the margin."""
    ok = [(v, d) for v, d in zip(values, margin) if math.isfinite(d)]
    out = []
    for (v0, d0), (v1, d1) in zip(ok, ok[1:]):
        if (d0 > 0) != (d1 > 0):
            f = (-d0) / (d1 - d0)  # linear in the value, or in its logarithm for a log scan
            at = math.exp(math.log(v0) + (math.log(v1) - math.log(v0)) * f) if log else v0 + (v1 - v0) * f
            out.append((at, d1 > 0))
    return out


def _crossing_sentence(key: str, values: list[float], margin: list[float], than: str, log: bool = False) -> str:
    ok = [(v, d) for v, d in zip(values, margin) if math.isfinite(d)]
    if not ok:
        return "no figure (the target was not reached at every seed)"
    if all(d > 0 for _, d in ok):
        return f"the shortest width is cheaper {than} at every scanned {key}"
    if all(d <= 0 for _, d in ok):
        return f"the shortest width is never cheaper {than} in the scanned range of {key}"
    # the intervals of the scanned range where it is cheaper
    spans, start = [], (ok[0][0] if ok[0][1] > 0 else None)
    for at, up in crossing_points(values, margin, log):
        if up:
            start = at
        else:
            spans.append((start, at))
            start = None
    if start is not None:
        spans.append((start, None))
    lo, hi = ok[0][0], ok[-1][0]
    parts = []
    for a, b in spans:
        if a == lo or a is None:
            parts.append(f"below {key} = {b:.3g}")
        elif b is None:
            parts.append(f"above {key} = {a:.3g}")
        else:
            parts.append(f"for {key} between {a:.3g} and {b:.3g}")
    return f"the shortest width is cheaper {than} " + " and ".join(parts) + f" (scanned {lo:.3g}-{hi:.3g})"


def _category_sentence(key: str, values: list[Any], ratios: list[float], than: str) -> str:
    """Per scanned category, whether the shortest width is cheaper, with E(shortest) / E(other)."""
    ok = [(shown(v), r) for v, r in zip(values, ratios) if math.isfinite(r)]
    if not ok:
        return "no figure (the target was not reached at every seed)"
    yes = [f"{v} (x{r:.3g})" for v, r in ok if r < 1.0]
    no = [f"{v} (x{r:.3g})" for v, r in ok if r >= 1.0]
    missing = [shown(v) for v, r in zip(values, ratios) if not math.isfinite(r)]
    if not no:
        text = f"the shortest width is cheaper {than} at every scanned {key}: " + ", ".join(yes)
    elif not yes:
        text = f"the shortest width is cheaper {than} at no scanned {key}: " + ", ".join(no)
    else:
        text = (f"the shortest width is cheaper {than} at {key} = " + ", ".join(yes)
                + "; not at " + ", ".join(no))
    return text + (f"; no figure at {', '.join(missing)}" if missing else "")


def reprice_runs(runs: list[PricedRun], base: EnergyConfig, scan: ScanSpec | None = None) -> Repricing:
    """Price `runs` under `base`, under it without the digital term and under every other
    conduction model their devices can price; with `scan` (`parse_scan`'s result), across it."""
    models = models_for(base, runs)
    by_run = pd.concat([price_runs(runs, m.config, m.label) for m in models], ignore_index=True)
    keys = ["model", "algorithm", "pulse_width_s"]
    by_width = aggregate(by_run, keys)
    order = {m.label: k for k, m in enumerate(models)}
    by_width = by_width.sort_values(["model", "algorithm", "pulse_width_s"],
                                    key=lambda c: c.map(order) if c.name == "model" else c).reset_index(drop=True)
    result = Repricing(runs, models, by_run, by_width, claims(by_width, ["model", "algorithm"]), base=base)
    if scan is not None:
        result.scan = run_scan(runs, base, *scan)
    return result


__all__ = ["METRICS", "Model", "PricedRun", "Repricing", "Scan", "ScanSpec", "check_overrides", "crossing_points",
           "parse_scan", "reprice_runs", "shortest_ratios", "shown", "validated"]
