"""Where a report's numbers come from: sweep folders, configs, device files, software versions."""

from __future__ import annotations

import platform
import sys
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version

import yaml

from ferrosim.version import package_version

_PACKAGES = ("numpy", "numba", "pandas", "scipy", "matplotlib", "pydantic")


def software_versions() -> dict[str, str]:
    """ferrosim, Python and the libraries that shape the numbers and the figures."""
    out = {"ferrosim": package_version(), "python": sys.version.split()[0]}
    for name in _PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    out["platform"] = platform.platform(terse=True)
    return out


def now_utc() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def sweep_facts(sweep) -> list[tuple[str, str]]:
    """(label, value) lines describing one sweep folder."""
    meta = sweep.meta
    complete = len(sweep.summary)
    planned = sweep.planned
    runs = f"{complete} complete" + (f" of {planned} planned" if planned is not None else "")
    if sweep.outside_plan:  # `sweep --merge` records the last plan: the folder may hold more
        runs = (f"{complete} complete: {complete - sweep.outside_plan} of the {planned} planned by the last sweep "
                f"into the folder (sweep.yaml) and {sweep.outside_plan} merged from earlier sweeps")
    if sweep.missing or sweep.missing_unlisted:
        failed = sum(1 for m in sweep.missing if m.error)
        runs += f"; {len(sweep.missing) + sweep.missing_unlisted} missing" + (f" ({failed} failed)" if failed else "")
    facts = [
        ("folder", str(sweep.folder)),
        ("sweep name", str(meta.get("name", "-"))),
        ("config file", str(meta.get("config_file", "-"))),
        ("started (UTC)", str(meta.get("started_utc", "-"))),
        ("git commit", str(meta.get("git_commit") or "-")),
        ("ferrosim version (sweep / runs)", f"{meta.get('ferrosim_version', '-')} / "
                                            f"{', '.join(sorted(sweep.versions)) or '-'}"),
        ("runs", runs),
    ]
    if sweep.plan_note:
        facts.append(("note", sweep.plan_note))
    for info in sweep.device_files:
        flag = {True: "synthetic: TRUE (not measured)", False: "synthetic: false",
                None: "synthetic: unknown"}[info.synthetic]
        where = info.shown if info.path is not None else "not found now (responses taken from the runs)"
        text = f"{info.written} -> {where}; {flag}"
        if info.energy_sources:
            text += f"; energy per pulse {'/'.join(info.energy_sources)}"
        if info.command:
            text += f"; made by `{info.command}`"
        facts.append(("device file", text))
        if info.note:
            facts.append(("device file note", " ".join(str(info.note).split())))
    return facts


def config_yaml(sweep) -> str:
    """The sweep config as sweep.yaml recorded it (the raw config with its sweep section)."""
    config = sweep.meta.get("config")
    if not isinstance(config, dict):
        return "# sweep.yaml holds no config\n"
    return yaml.safe_dump(config, sort_keys=False, default_flow_style=None, width=100)


__all__ = ["config_yaml", "now_utc", "software_versions", "sweep_facts"]
