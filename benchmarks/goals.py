"""The goals of issues 7, 17, 19 and 26: each goal, its measured figure or ratio and pass/miss.

`evaluate_goals` turns the timed runs into the goal list (the report's "Goals" table);
`row_goal` gives a training row's goal and verdict cells. REFERENCE: figures measured
elsewhere, printed beside the goals for comparison.
"""

from __future__ import annotations

from cases import PRESETS, TIKI_TAKA, find_run

# Comparison figures, measured outside this repository (see docs/performance.md).
REFERENCE_NOTE = ("measured on a 2-core x86-64 machine with aihwkit 1.2.0 and torch 2.13 (CPU); "
                  "784-256-128-10 sigmoid MLP on MNIST")
REFERENCE = [
    ("aihwkit 1.2.0 SoftBounds, BL 31, update management, batch 64", "~20 s/epoch "
     "(~6 s with OMP_WAIT_POLICY=PASSIVE)"),
    ("aihwkit 1.2.0 SoftBounds, BL 31, update management, batch 1", "~80 s/epoch"),
    ("PyTorch float (no device), batch 64", "~1.2 s/epoch"),
]


def sgd_ns_per_pulse(kernels: list[dict] | None, device: str) -> float | None:
    """sgd's time per pulse on `device`: the kernel's pulse-heavy setting (cases.PULSE_HEAVY_K)."""
    for k in kernels or []:
        if k.get("device") == device:
            for s in k.get("settings", []):
                if s.get("pulse_heavy"):
                    return s["ns_per_pulse"]
    return None


def preset_figures(runs: list[dict], kernels: list[dict] | None, algorithm: str) -> dict | None:
    """A preset case's time per pulse (all its work over the pulses it fired), that over sgd's
    (pulse-heavy kernel, same device), and its epoch over sgd's batch-64 epoch (same device)."""
    for device in ("table", "softbounds"):
        r = find_run(runs, algorithm, device, 64, preset=True)
        if r is None:
            continue
        ns = r["s_per_epoch"] / max(r["pulses_per_epoch"], 1) * 1e9
        sgd_ns = sgd_ns_per_pulse(kernels, device)
        sgd = find_run(runs, "sgd", device, 64)
        return {"device": device, "ns_per_pulse": ns, "sgd_ns_per_pulse": sgd_ns,
                "per_pulse_ratio": None if sgd_ns is None else ns / sgd_ns,
                "epoch_ratio": None if sgd is None else r["s_per_epoch"] / sgd["s_per_epoch"],
                "pulses_per_sample": r["pulses_per_epoch"] / 60_000}
    return None


def evaluate_goals(runs: list[dict], kernels: list[dict] | None = None) -> list[dict]:
    goals = []

    def add(name, value, limit, unit, note=""):
        ok = None if value is None else value <= limit
        goals.append({"goal": name, "measured": value, "limit": limit, "unit": unit,
                      "pass": ok, "note": note})

    sgd64 = find_run(runs, "sgd", "softbounds", 64)
    ideal64 = find_run(runs, "ideal", "none", 64)
    sgd1 = find_run(runs, "sgd", "softbounds", 1)
    mp64 = find_run(runs, "mixed_precision", "softbounds", 64)
    add("sgd (softbounds) batch 64 s/epoch <= 1.5", sgd64 and sgd64["s_per_epoch"], 1.5, "s")
    ratio = (sgd64["s_per_epoch"] / ideal64["s_per_epoch"]) if sgd64 and ideal64 else None
    add("sgd (softbounds) batch 64 <= 1.5 x ideal", ratio, 1.5, "x ideal")
    add("sgd (softbounds) batch 1 s/epoch <= 8", sgd1 and sgd1["s_per_epoch"], 8.0, "s")
    ratio = (sgd1["s_per_epoch"] / sgd64["s_per_epoch"]) if sgd1 and sgd64 else None
    add("sgd (softbounds) batch 1 <= 2.5 x batch 64", ratio, 2.5, "x batch 64")
    mp1 = find_run(runs, "mixed_precision", "softbounds", 1)
    ratio = (mp1["s_per_epoch"] / sgd1["s_per_epoch"]) if mp1 and sgd1 else None
    add("mixed_precision (softbounds) batch 1 <= 1.3 x sgd batch 1", ratio, 1.3, "x sgd")
    for batch in (64, 1):
        noisy, ideal = find_run(runs, "sgd", "softbounds", batch, "aihwkit_default"), find_run(runs, "ideal", "none", batch)
        ratio = (noisy["s_per_epoch"] / ideal["s_per_epoch"]) if noisy and ideal else None
        add(f"sgd (softbounds) with io aihwkit_default batch {batch} <= 1.5 x ideal", ratio, 1.5, "x ideal",
            "ideal has no periphery (float reference)")
    add("mixed_precision (softbounds) batch 64 s/epoch <= 1.5", mp64 and mp64["s_per_epoch"], 1.5, "s")
    for alg in TIKI_TAKA:
        tt = find_run(runs, alg, "softbounds", 64)
        ratio = (tt["s_per_epoch"] / sgd64["s_per_epoch"]) if tt and sgd64 else None
        add(f"{alg} (softbounds) batch 64 <= 2 x sgd", ratio, 2.0, "x sgd")
    for alg in PRESETS:
        f = preset_figures(runs, kernels, alg)
        note = "" if f is None else (
            f"{f['ns_per_pulse']:.1f} ns per pulse ({f['pulses_per_sample']:,.0f} pulses per sample) against sgd's "
            + ("— (its pulse-heavy kernel row is timed with the kernels: not under --skip-extras)"
               if f["sgd_ns_per_pulse"] is None else f"{f['sgd_ns_per_pulse']:.1f} ns")
            + "; epoch " + ("—" if f["epoch_ratio"] is None else f"{f['epoch_ratio']:.0f}x sgd's"))
        add(f"{alg} (aihwkit preset) batch 64 time per pulse <= 1.5 x sgd's", f and f["per_pulse_ratio"], 1.5,
            "x sgd", note)
    rss = [r["peak_rss_mb"] for r in runs if "peak_rss_mb" in r]
    add("peak memory per run < 1 GB (max over runs)", max(rss) if rss else None, 1024.0, "MB")
    return goals


ROW_GOALS = {("sgd", "softbounds", 64, None): "<= 1.5 s and <= 1.5x ideal",
             ("sgd", "softbounds", 1, None): "<= 8 s and <= 2.5x batch 64",
             ("mixed_precision", "softbounds", 1, None): "<= 1.3x sgd batch 1",
             ("mixed_precision", "softbounds", 64, None): "<= 1.5 s",
             ("sgd", "softbounds", 64, "aihwkit_default"): "<= 1.5x ideal",
             ("sgd", "softbounds", 1, "aihwkit_default"): "<= 1.5x ideal",
             **{(alg, "softbounds", 64, None): "<= 2x sgd" for alg in TIKI_TAKA}}
"""The goal cell of a training row, by (algorithm, device, batch, io)."""


def row_goal(run: dict, goals: dict) -> tuple[str, str]:
    """The goal and pass/miss cells of a training row; `goals` maps each goal's name to its
    entry of `evaluate_goals`."""
    key = (run["algorithm"], run["device"], run["batch"], run.get("io"))
    goal = ROW_GOALS.get(key, "")
    verdict = ""
    if key == ("sgd", "softbounds", 64, None):
        a = goals["sgd (softbounds) batch 64 s/epoch <= 1.5"]["pass"]
        b = goals["sgd (softbounds) batch 64 <= 1.5 x ideal"]["pass"]
        ratio = goals["sgd (softbounds) batch 64 <= 1.5 x ideal"]["measured"]
        verdict = (f"{'pass' if a else 'miss'} / "
                   + ("— (no ideal run)" if b is None else f"{'pass' if b else 'miss'} ({ratio:.2f}x ideal)"))
    elif key[:2] == ("sgd", "softbounds") and key[3] == "aihwkit_default":
        g = goals[f"sgd (softbounds) with io aihwkit_default batch {key[2]} <= 1.5 x ideal"]
        verdict = "— (no ideal run)" if g["pass"] is None else f"{'pass' if g['pass'] else 'miss'} ({g['measured']:.2f}x ideal)"
    elif key == ("sgd", "softbounds", 1, None):
        g = goals["sgd (softbounds) batch 1 <= 2.5 x batch 64"]
        verdict = (("pass" if goals["sgd (softbounds) batch 1 s/epoch <= 8"]["pass"] else "miss") + " / "
                   + ("— (no batch-64 run)" if g["pass"] is None else
                      f"{'pass' if g['pass'] else 'miss'} ({g['measured']:.2f}x batch 64)"))
    elif key == ("mixed_precision", "softbounds", 1, None):
        g = goals["mixed_precision (softbounds) batch 1 <= 1.3 x sgd batch 1"]
        verdict = "— (no sgd run)" if g["pass"] is None else f"{'pass' if g['pass'] else 'miss'} ({g['measured']:.2f}x sgd)"
    elif key == ("mixed_precision", "softbounds", 64, None):
        verdict = "pass" if goals["mixed_precision (softbounds) batch 64 s/epoch <= 1.5"]["pass"] else "miss"
    elif run.get("preset"):
        goal = "time per pulse <= 1.5x sgd's"
        g = goals[f"{key[0]} (aihwkit preset) batch 64 time per pulse <= 1.5 x sgd's"]
        verdict = "—" if g["pass"] is None else f"{'pass' if g['pass'] else 'miss'} ({g['measured']:.2f}x): {g['note']}"
    elif key[0] in TIKI_TAKA and key[1:] == ("softbounds", 64, None):
        g = goals[f"{key[0]} (softbounds) batch 64 <= 2 x sgd"]
        verdict = "— (no sgd run)" if g["pass"] is None else f"{'pass' if g['pass'] else 'miss'} ({g['measured']:.2f}x sgd)"
    return goal, verdict
