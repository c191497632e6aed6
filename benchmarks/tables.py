"""The report: markdown tables of the machine, the training rows with their goals, the small
batches, the pulse kernel, fit-device, the goals, the reference figures and the profiles.
`render_markdown` writes `benchmark.md` and what the terminal shows at the end of a run.
"""

from __future__ import annotations

from cases import N_TRAIN_FULL, SETTINGS, SMALL_BATCH_COMBOS, find_run, label
from goals import REFERENCE, REFERENCE_NOTE, row_goal


def eng(v: float) -> str:
    """A rate or count with a G / M / k prefix: 1.2e7 -> "12.0 M"."""
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(v) >= scale:
            return f"{v / scale:.1f} {unit}"
    return f"{v:.0f}"


def small_batch_lines(runs: list[dict]) -> list[str]:
    """The ratio line of issue 19: each batch size's epoch time over the batch-64 epoch, for
    the configurations timed at every batch size."""
    from ferrosim.training.fused import FUSED_MAX_BATCH

    batches = sorted(SETTINGS)
    rows = []
    for algorithm, device in SMALL_BATCH_COMBOS:
        base = find_run(runs, algorithm, device, 64)
        cells = []
        for batch in batches:
            r = find_run(runs, algorithm, device, batch)
            if r is None:
                cells.append("—")
            elif base is None:
                cells.append(f"{r['s_per_epoch']:.2f} s")
            else:
                cells.append(f"{r['s_per_epoch']:.2f} s ({r['s_per_epoch'] / base['s_per_epoch']:.2f}x)")
        if any(c != "—" for c in cells):
            rows.append(f"| {label({'algorithm': algorithm, 'device': device})} | " + " | ".join(cells) + " |")
    if not rows:
        return []
    return (["## Small batches: epoch time over the batch-64 epoch", "",
             "| configuration | " + " | ".join(f"batch {b}" for b in batches) + " |",
             "|---|" + "---:|" * len(batches)] + rows
            + ["", f"Batches of up to {FUSED_MAX_BATCH} samples train on the fused path "
               "(ferrosim.training.fused: one numba call per epoch), larger ones on the batched path.", ""])


def render_markdown(report: dict) -> str:
    m = report["machine"]
    lines = ["# ferrosim benchmark", ""]
    blas = ", ".join(f"{b.get('internal_api')} {b.get('version')} ({b.get('threading_layer')}, "
                     f"{b.get('architecture')})" for b in m["blas"]) or "unknown"
    lines += [
        f"- Machine: {m['cpu']}, {m['cores_logical']} logical cores ({m['cores_usable']} usable), "
        f"{m['memory_gb']} GB RAM; {m['platform']}",
        f"- Python {m['python']}, numpy {m['numpy']}, numba {m['numba']}, BLAS: {blas}",
        f"- ferrosim {m['ferrosim']} at commit {m['git_commit']}"
        + (f" plus uncommitted changes (sha1 of `git diff HEAD`: {m.get('git_diff_sha1')})"
           if m.get("git_dirty") else ""),
        f"- Threads: BLAS and numba on 1 (OMP/OPENBLAS/MKL/NUMBA_NUM_THREADS + threadpoolctl, as "
        f"`train` holds BLAS); ferrosim's layer updates on {m['ferrosim_threads']} "
        "(FERROSIM_THREADS); each run in a fresh subprocess after a JIT warm-up run",
        f"- Data: {report['data_note']}",
        f"- Mode: {'--quick (slices, scaled up)' if report['quick'] else 'full'}; "
        f"load average at start {', '.join(f'{x:.2f}' for x in m['loadavg_start'])}, "
        f"at end {', '.join(f'{x:.2f}' for x in report.get('loadavg_end', []))}",
        f"- Date: {m['date_utc']}; total benchmark time {report.get('total_s', 0):.0f} s",
        "",
    ]
    for note in report.get("notes", []):
        lines.append(f"> {note}")
    if report.get("notes"):
        lines.append("")

    lines += ["## Training: seconds per epoch (784-256-128-10 sigmoid, BL 31, update management)", "",
              "| configuration | batch | lr | samples timed | s/epoch | set-up s | pulses/epoch "
              "| peak RSS MB | goal | pass/miss |",
              "|---|---:|---:|---|---:|---:|---:|---:|---|---|"]
    goals = {g["goal"]: g for g in report["goals"]}
    for r in report["training"]:
        timed = (f"{r['n_train']:,} (full epoch)" if r["n_train"] == N_TRAIN_FULL else
                 f"{r['n_train']:,} + {r['n_test']:,} test, x{N_TRAIN_FULL // r['n_train']}")
        if "error" in r:
            lines.append(f"| {label(r)} | {r['batch']} | {r['lr']} | {timed} | error: {r['error'][:120]} "
                         "| | | | | |")
            continue
        goal, verdict = row_goal(r, goals)
        mem = r["peak_rss_mb"]
        all_s = r.get("s_per_epoch_all", [])
        epoch_cell = f"{r['s_per_epoch']:.2f}" + (
            f" ({' / '.join(f'{x:.2f}' for x in all_s)})" if len(all_s) > 1 else "")
        lines.append(f"| {label(r)} | {r['batch']} | {r['lr']} | {timed} | {epoch_cell} | "
                     f"{r['setup_s']:.2f} | {eng(r['pulses_per_epoch'])} | {mem:.0f}"
                     f"{'' if mem < 1024 else ' (miss)'} | {goal} | {verdict} |")
    lines += ["", "s/epoch: `result.records[0].wall_s` (one epoch: shuffling, forward, backward, "
              "updates, test-set evaluation); with `--repeat`, the fastest round, every round in "
              "brackets. Scaled by the factor shown when a slice of the training "
              "and test sets was timed. set-up s: the rest of the `ferrosim.train` call (device "
              "arrays, symmetry points, programming the initial weights), not scaled. Peak RSS: "
              "`ru_maxrss` of the run's subprocess (data, warm-up and run).", ""]
    lines += small_batch_lines(report["training"])

    k = report.get("kernel")
    if k:
        lines += ["## Pulse kernel throughput (`CrossbarLayer.pulsed_update`, one layer)", "",
                  "| device | layer | batch | lr | samples | pulses/sample | pulses/s | ns/pulse | weight-sample "
                  "updates/s | us/sample |",
                  "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for kk in k:
            if "error" in kk:
                lines.append(f"| {kk.get('device')} | | | | | error: {kk['error'][:120]} | | | |")
                continue
            for s in kk["settings"]:
                lr = f"{s['lr']:.3g} (pulse-heavy)" if s.get("pulse_heavy") else s["lr"]
                lines.append(f"| {kk['device']} | {kk['shape'][0]}x{kk['shape'][1]} | {s['batch']} | {lr} | "
                             f"{s['samples']:,} | {s['pulses_per_sample']:.0f} | {eng(s['pulses_per_s'])} | "
                             f"{s['ns_per_pulse']:.1f} | "
                             f"{eng(s['weight_sample_updates_per_s'])} | {s['us_per_sample']:.0f} |")
        lines += ["", "Inputs: MNIST pixels plus bias and the back-propagated errors of the freshly "
                  "initialised network (1/batch of the mean loss included), so the pulse density is "
                  "that of early training. weight-sample updates/s = 256 x 785 x samples / s. The pulse-heavy "
                  "row sets lr so that the median sample asks for 15.5 pulses per active pair (k = lr "
                  "max|x| max|d| / eps, the Tiki-Taka presets' fast_lr x BL): sgd's time per pulse at "
                  "their density, the reference of their per-pulse goal.", ""]

    f = report.get("fit")
    if f:
        lines += ["## fit-device on the real HZO files", ""]
        if "error" in f:
            lines.append(f"error: {f['error']}")
        else:
            lines += ["| what | files | fits | seconds |", "|---|---:|---:|---:|",
                      f"| `fit_path(..., figures=False)` | {f['n_files']} | {f['n_fits']} | {f['no_figures_s']:.1f} |"]
            if "figures_s" in f:
                lines.append(f"| `fit_path(..., figures=True)` | {f['n_files']} | {f['n_fits']} | {f['figures_s']:.1f} |")
            else:
                lines.append("| `fit_path(..., figures=True)` | | | skipped (--quick) |")
        lines.append("")

    lines += ["## Goals", "", "| goal | measured | pass/miss |", "|---|---:|---|"]
    for g in report["goals"]:
        verdict = "—" if g["pass"] is None else ("pass" if g["pass"] else "miss")
        val = "—" if g["measured"] is None else f"{g['measured']:.2f} {g['unit']}"
        lines.append(f"| {g['goal']} | {val} | {verdict}{': ' + g['note'] if g.get('note') else ''} |")
    lines += ["", f"## Reference figures (not measured here: {REFERENCE_NOTE})", "",
              "| reference | time |", "|---|---|"]
    for name, value in REFERENCE:
        lines.append(f"| {name} | {value} |")
    lines.append("")

    prof = report.get("profile")
    if prof:
        lines += ["## Profile (cProfile, top functions by own time)", ""]
        for p in prof:
            if "error" in p:
                lines.append(f"- {p['name']}: error {p['error']}")
                continue
            lines += [f"### {p['name']} (profiled epoch {p['epoch_wall_s_profiled']:.2f} s, "
                      f"{p['samples']:,} samples)", "", "| function | calls | own s | share |",
                      "|---|---:|---:|---:|"]
            for row in p["top"][:10]:
                share = row["tottime_s"] / p["epoch_wall_s_profiled"] * 100
                lines.append(f"| `{row['function']}` | {row['calls']:,} | {row['tottime_s']:.2f} | {share:.0f}% |")
            lines.append("")
    return "\n".join(lines)
