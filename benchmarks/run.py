#!/usr/bin/env python
"""Performance benchmark of ferrosim on MNIST-shaped data (issue 7).

Measures, each training configuration in a fresh subprocess (BLAS on one thread, as `train`
holds it; the layer updates on `--threads` threads, default every core, as a user gets):

* seconds per 60,000-sample epoch of a 784-256-128-10 sigmoid MLP for `ideal`, `sgd`,
  `mixed_precision` and `sgd_symmetry_shift` on a soft-bounds device and on the fitted HZO
  table device, at batch 64 (lr 0.5) and batch 1 (lr 0.05); BL 31, update management on;
* the set-up time of `ferrosim.train` (the call time minus the epoch) and the peak memory
  (max RSS) of each run;
* the throughput of the pulsed-SGD kernel (`CrossbarLayer.pulsed_update` on a 256x785 layer):
  device pulses per second and weight-sample updates per second;
* the time of `fit_path` on the real HZO files, with and without figures;
* the machine (CPU, cores, Python / numpy / numba versions, BLAS).

Usage (from the repository root)::

    python benchmarks/run.py                       # full run, ~2-3 min on 2 cores
    python benchmarks/run.py --quick               # smoke run on slices, ~1-2 min
    python benchmarks/run.py --threads 1           # layer updates on one thread (a sweep worker)
    python benchmarks/run.py --only sgd --profile  # a subset, plus cProfile of batch-64 epochs

Writes `<out>/benchmark.json` and `<out>/benchmark.md` (default `benchmarks/results/`) and
prints the markdown tables. See benchmarks/README.md and docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

TIKI_TAKA = ("tiki_taka_v2", "chopped_tt_v2", "agad")
N_TRAIN_FULL = 60_000
N_TEST_FULL = 10_000
HIDDEN = [256, 128]
SOFTBOUNDS = {"model": "softbounds", "a_up": 0.01, "a_down": 0.01}
HZO_DEVICE = {"name": "ID161ZR15000", "pulse_width": "20ns"}
SETTINGS = {64: 0.5, 16: 0.2, 4: 0.1, 1: 0.05}  # batch size -> learning rate
SMALL_BATCHES = (16, 4)
"""Batch sizes timed for the core configurations only (ideal, sgd and mixed_precision on the
soft-bounds device): the rows of the small-batch ratio line (issue 19)."""
SMALL_BATCH_COMBOS = (("ideal", "none"), ("sgd", "softbounds"), ("mixed_precision", "softbounds"))


def timed_samples(quick: bool, batch: int) -> int:
    """Training samples timed per epoch: the full 60,000 from batch 16 up, a tenth below (the
    figure is scaled up); --quick a tenth of that."""
    n = N_TRAIN_FULL if batch >= 16 else N_TRAIN_FULL // 10
    return n // 10 if quick else n

# Comparison figures, measured outside this repository (see docs/performance.md).
REFERENCE_NOTE = ("measured on a 2-core x86-64 machine with aihwkit 1.2.0 and torch 2.13 (CPU); "
                  "784-256-128-10 sigmoid MLP on MNIST")
REFERENCE = [
    ("aihwkit 1.2.0 SoftBounds, BL 31, update management, batch 64", "~20 s/epoch "
     "(~6 s with OMP_WAIT_POLICY=PASSIVE)"),
    ("aihwkit 1.2.0 SoftBounds, BL 31, update management, batch 1", "~80 s/epoch"),
    ("PyTorch float (no device), batch 64", "~1.2 s/epoch"),
]


# ---------------------------------------------------------------------------------------------
# Worker side: everything below runs inside a fresh subprocess (`--worker`).
# ---------------------------------------------------------------------------------------------

def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def _load_data(data_dir: str | None):
    """Real MNIST when its IDX files are in `data_dir`, else random MNIST-shaped data."""
    import numpy as np

    from ferrosim.io.datasets import Dataset, load_dataset

    if data_dir:
        return load_dataset("mnist", data_dir, download=False), "mnist"
    rng = np.random.default_rng(12345)
    # uint8-like pixels scaled to [0, 1] as load_dataset does, random labels.
    x_tr = (rng.integers(0, 256, size=(N_TRAIN_FULL, 784), dtype=np.uint8) / np.float32(255)).astype(np.float32)
    x_te = (rng.integers(0, 256, size=(N_TEST_FULL, 784), dtype=np.uint8) / np.float32(255)).astype(np.float32)
    y_tr = rng.integers(0, 10, size=N_TRAIN_FULL).astype(np.int64)
    y_te = rng.integers(0, 10, size=N_TEST_FULL).astype(np.int64)
    return Dataset("mnist-synthetic", x_tr, y_tr, x_te, y_te, 10, "synthetic MNIST-shaped data"), "synthetic"


def _subset(data, n_train: int, n_test: int):
    from ferrosim.io.datasets import Dataset

    return Dataset(name=data.name, x_train=data.x_train[:n_train], y_train=data.y_train[:n_train],
                   x_test=data.x_test[:n_test], y_test=data.y_test[:n_test],
                   n_classes=data.n_classes, source=data.source)


def _device(kind: str, hzo_file: str | None) -> dict:
    if kind == "softbounds":
        return dict(SOFTBOUNDS)
    return {"file": hzo_file, **HZO_DEVICE}


def _run_config(algorithm: str, device: dict, batch: int, lr: float, hidden=HIDDEN,
                io: str | None = None) -> dict:
    cfg = {"name": "benchmark", "seed": 0, "algorithm": algorithm,
           "network": {"hidden": list(hidden), "activation": "sigmoid"},
           "training": {"epochs": 1, "batch_size": batch, "lr": lr},
           "update": {"bl": 31, "update_management": True, "update_bl_management": True}}
    if algorithm != "ideal":
        cfg["device"] = device
    if algorithm in ("chopped_tt_v2", "agad"):
        # A's learning rate as sgd's (aihwkit's default for these is fast_lr 1 whatever lr is)
        cfg["tiki_taka"] = {"fast_lr": lr}
    if io:
        cfg["io"] = io
    return cfg


def worker_train(spec: dict) -> dict:
    import ferrosim

    t0 = time.perf_counter()
    data, source = _load_data(spec["data_dir"])
    load_s = time.perf_counter() - t0
    cfg = _run_config(spec["algorithm"], _device(spec["device"], spec.get("hzo_file")),
                      spec["batch"], spec["lr"], io=spec.get("io"))
    # Warm-up: a tiny run of the same algorithm/device/batch and depth compiles (or loads from
    # the numba cache) every kernel the timed run calls, so the timing holds no JIT work. (The
    # fused path's drivers are compiled per number of layers: a shallower warm-up would leave
    # the timed run to compile its own, 10-20 s.)
    t0 = time.perf_counter()
    ferrosim.train(_run_config(spec["algorithm"], _device(spec["device"], spec.get("hzo_file")),
                               spec["batch"], spec["lr"], hidden=[8] * len(HIDDEN), io=spec.get("io")),
                   dataset=_subset(data, 64, 64))
    warmup_s = time.perf_counter() - t0
    rss_before = _peak_rss_mb()
    sub = _subset(data, spec["n_train"], spec["n_test"])
    t0 = time.perf_counter()
    result = ferrosim.train(cfg, dataset=sub)
    call_s = time.perf_counter() - t0
    rec = result.records[0]
    return {"data": source, "load_s": load_s, "warmup_s": warmup_s, "call_s": call_s,
            "epoch_wall_s": rec.wall_s, "setup_s": call_s - rec.wall_s,
            "pulses": int(rec.pulses_up + rec.pulses_down), "test_accuracy": rec.test_accuracy,
            "train_loss": rec.train_loss, "peak_rss_mb": _peak_rss_mb(),
            "peak_rss_before_train_mb": rss_before}


def worker_kernel(spec: dict) -> dict:
    """Throughput of `CrossbarLayer.pulsed_update` on the first layer (256 x 785)."""
    import numpy as np

    from ferrosim.config import parse_run_config
    from ferrosim.crossbar.devices import DeviceArrays
    from ferrosim.crossbar.layer import CrossbarLayer
    from ferrosim.crossbar.rng import derive_key, root_key
    from ferrosim.nn.mlp import MLP

    data, source = _load_data(spec["data_dir"])
    cfg = parse_run_config(_run_config("sgd", _device(spec["device"], spec.get("hzo_file")),
                                       64, 0.5))
    model = cfg.device.response
    net = MLP((784, *HIDDEN, 10), "sigmoid")
    w0 = net.init_weights(np.random.default_rng([0, 0]))
    shape = w0[0].shape
    key = np.uint64(derive_key(root_key(0), np.uint64(0)))
    out = {"data": source, "device": spec["device"], "shape": list(shape), "settings": []}
    for batch, lr, n_samples in spec["settings"]:
        # Realistic inputs: MNIST pixels (+ bias) and the back-propagated errors of the freshly
        # initialised network, with the 1/batch of the mean loss as in training.
        rng = np.random.default_rng(1)
        idx = rng.permutation(len(data.y_train))[:n_samples]
        batches = []
        for s in range(0, n_samples, batch):
            xb, yb = data.x_train[idx[s:s + batch]], data.y_train[idx[s:s + batch]]
            inputs, probs = net.forward(w0, xb)
            deltas = net.backward(w0, inputs, probs, yb)
            batches.append((np.ascontiguousarray(inputs[0]), np.ascontiguousarray(deltas[0])))
        devices = DeviceArrays.build(model, shape, np.random.default_rng([0, 1]))
        layer = CrossbarLayer(devices, 0.0, cfg.device.weight_scale, 1.0)
        layer.eps = model.granularity(cfg.update.granularity, 0.0)
        layer.program(w0[0])
        # warm-up (JIT), then reset the states
        layer.pulsed_update(*batches[0], lr, 31, True, True, key, 0)
        layer.program(w0[0])
        layer.counts[:] = 0
        sample = 0
        t0 = time.perf_counter()
        for xs, ds in batches:
            layer.pulsed_update(xs, ds, lr, 31, True, True, key, sample)
            sample += xs.shape[0]
        dt = time.perf_counter() - t0
        pulses = int(layer.counts.sum())
        out["settings"].append({
            "batch": batch, "lr": lr, "samples": n_samples, "seconds": dt, "pulses": pulses,
            "pulses_per_s": pulses / dt, "pulses_per_sample": pulses / n_samples,
            "weight_sample_updates_per_s": shape[0] * shape[1] * n_samples / dt,
            "us_per_sample": dt / n_samples * 1e6})
    out["peak_rss_mb"] = _peak_rss_mb()
    return out


def worker_fit(spec: dict) -> dict:
    from ferrosim.device.fit_run import fit_path

    hzo = Path(spec["hzo_dir"])
    n_files = sum(1 for p in hzo.iterdir() if p.is_file() and p.suffix.lower() == ".dat")
    out = {"hzo_dir": str(hzo), "n_files": n_files}
    t0 = time.perf_counter()
    run = fit_path(hzo, spec["out_file"], figures=False)
    out["no_figures_s"] = time.perf_counter() - t0
    out["n_fits"] = len(run.results)
    if spec["figures"]:
        fig_out = Path(spec["out_file"]).parent / "with_figures" / "hzo.yaml"
        t0 = time.perf_counter()
        run = fit_path(hzo, fig_out, figures=True)
        out["figures_s"] = time.perf_counter() - t0
        out["n_figures"] = len(run.figures) if run.figures is not None else None
    out["peak_rss_mb"] = _peak_rss_mb()
    return out


def worker_profile(spec: dict) -> dict:
    """cProfile of one timed epoch (after the same warm-up as worker_train)."""
    import cProfile
    import io
    import pstats

    import ferrosim

    data, _ = _load_data(spec["data_dir"])
    device = _device(spec["device"], spec.get("hzo_file"))
    ferrosim.train(_run_config(spec["algorithm"], device, spec["batch"], spec["lr"], hidden=[8] * len(HIDDEN)),
                   dataset=_subset(data, 64, 64))
    sub = _subset(data, spec["n_train"], spec["n_test"])
    cfg = _run_config(spec["algorithm"], device, spec["batch"], spec["lr"])
    prof = cProfile.Profile()
    prof.enable()
    # One thread: cProfile sees only the calling thread, so all the work must run there.
    result = ferrosim.train(cfg, dataset=sub, threads=1)
    prof.disable()
    total = result.records[0].wall_s
    stats = pstats.Stats(prof)
    rows = []
    for (fname, line, func), (cc, nc, tt, ct, _callers) in stats.stats.items():
        rows.append({"function": f"{Path(fname).name}:{line}({func})" if line else func,
                     "calls": nc, "tottime_s": tt, "cumtime_s": ct})
    rows.sort(key=lambda r: r["tottime_s"], reverse=True)
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(25)
    return {"epoch_wall_s_profiled": total, "top": rows[:15], "text": buf.getvalue()}


WORKERS = {"train": worker_train, "kernel": worker_kernel, "fit": worker_fit, "profile": worker_profile}


def worker_main(spec_json: str, out_path: str) -> None:
    spec = json.loads(spec_json)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):  # BLAS on one thread, as ferrosim.train holds it anyway
        result = WORKERS[spec["kind"]](spec)
    Path(out_path).write_text(json.dumps(result))


# ---------------------------------------------------------------------------------------------
# Driver side.
# ---------------------------------------------------------------------------------------------

def _env(threads: int) -> dict:
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        env[var] = "1"
    env["FERROSIM_THREADS"] = str(threads)  # ferrosim's own layer-update threads
    env["FERROSIM_OFFLINE"] = "1"
    # the worker imports ferrosim from this checkout even when it is not installed
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def run_worker(spec: dict, threads: int, timeout: float) -> dict:
    spec = {**spec, "threads": threads}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        t0 = time.perf_counter()
        try:
            proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker",
                                   json.dumps(spec), "--worker-out", str(out)],
                                  env=_env(threads), capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"error": f"timed out after {timeout:.0f} s"}
        wall = time.perf_counter() - t0
        if proc.returncode != 0 or not out.is_file():
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-8:]
            return {"error": f"exit {proc.returncode}: " + " | ".join(tail)}
        result = json.loads(out.read_text())
        result["process_wall_s"] = wall
        return result


def _resolve(path: str | None) -> Path | None:
    """A path as given (relative to the working directory), else relative to the repo root."""
    if path is None:
        return None
    p = Path(path).expanduser()
    if p.exists() or p.is_absolute():
        return p.resolve() if p.exists() else p
    alt = REPO / p
    return alt.resolve() if alt.exists() else p


def _mnist_present(data_dir: Path | None) -> bool:
    if data_dir is None:
        return False
    for folder in (data_dir, data_dir / "mnist"):
        names = {p.name for p in folder.glob("*")} if folder.is_dir() else set()
        stems = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                 "t10k-labels-idx1-ubyte")
        if all(any(n.startswith(s) or n.startswith(s.replace("-idx", ".idx")) for n in names) for s in stems):
            return True
    return False


def machine_info(threads: int) -> dict:
    import numba
    import numpy as np
    from threadpoolctl import threadpool_info

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from ferrosim.training.layer_threads import available_cores

    usable = available_cores()
    try:
        import ferrosim

        version = ferrosim.__version__
    except Exception:  # noqa: BLE001 - informational only
        version = "?"
    try:
        commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, check=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
                                    capture_output=True, text=True).stdout.strip())
        diff_sha1 = None
        if dirty:  # identifies the uncommitted state that was measured
            import hashlib

            diff = subprocess.run(["git", "-C", str(REPO), "diff", "HEAD"], capture_output=True).stdout
            diff_sha1 = hashlib.sha1(diff).hexdigest()[:12]
    except (OSError, subprocess.CalledProcessError):
        commit, dirty, diff_sha1 = "?", None, None
    try:
        mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        mem_gb = None
    blas = [{k: v for k, v in d.items() if k in ("user_api", "internal_api", "version",
                                                     "threading_layer", "architecture", "num_threads")}
            for d in threadpool_info()]
    return {"cpu": cpu, "cores_logical": os.cpu_count(), "cores_usable": usable,
            "memory_gb": round(mem_gb, 1) if mem_gb else None, "platform": platform.platform(),
            "python": platform.python_version(), "numpy": np.__version__, "numba": numba.__version__,
            "ferrosim": version, "git_commit": commit, "git_dirty": dirty, "git_diff_sha1": diff_sha1, "blas": blas,
            "ferrosim_threads": threads, "loadavg_start": list(os.getloadavg()),
            "date_utc": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def plan_training(quick: bool, have_hzo: bool) -> list[dict]:
    """The training configurations: (algorithm, device) x batch, with the slice each times."""
    combos = [("ideal", "none"), ("sgd", "softbounds"), ("sgd", "softbounds", "aihwkit_default")]
    if have_hzo:
        combos.append(("sgd", "table"))
    combos += [("mixed_precision", "softbounds")]
    if have_hzo:
        combos.append(("mixed_precision", "table"))
    combos += [("sgd_symmetry_shift", "softbounds")]
    combos += [(alg, "softbounds") for alg in TIKI_TAKA]
    if have_hzo:
        combos.append(("sgd_symmetry_shift", "table"))
    runs = []
    for batch, lr in SETTINGS.items():
        n_train = timed_samples(quick, batch)
        for algorithm, device, *io in (SMALL_BATCH_COMBOS if batch in SMALL_BATCHES else combos):
            runs.append({"kind": "train", "algorithm": algorithm, "device": device, "batch": batch,
                         "lr": lr, "n_train": n_train, "io": io[0] if io else None,
                         "n_test": N_TEST_FULL * n_train // N_TRAIN_FULL})
    return runs


def label(run: dict) -> str:
    if run["algorithm"] == "ideal":
        return "ideal (float)"
    dev = "softbounds 1%" if run["device"] == "softbounds" else "HZO table"
    io = f" / io {run['io']}" if run.get("io") else ""
    return f"{run['algorithm']} / {dev}{io}"


# -- goals -------------------------------------------------------------------------------------

def _find(runs, algorithm, device, batch, io=None):
    for r in runs:
        if r["algorithm"] == algorithm and r["device"] == device and r["batch"] == batch \
                and r.get("io") == io and "s_per_epoch" in r:
            return r
    return None


def evaluate_goals(runs: list[dict]) -> list[dict]:
    goals = []

    def add(name, value, limit, unit, note=""):
        ok = None if value is None else value <= limit
        goals.append({"goal": name, "measured": value, "limit": limit, "unit": unit,
                      "pass": ok, "note": note})

    sgd64 = _find(runs, "sgd", "softbounds", 64)
    ideal64 = _find(runs, "ideal", "none", 64)
    sgd1 = _find(runs, "sgd", "softbounds", 1)
    mp64 = _find(runs, "mixed_precision", "softbounds", 64)
    add("sgd (softbounds) batch 64 s/epoch <= 1.5", sgd64 and sgd64["s_per_epoch"], 1.5, "s")
    ratio = (sgd64["s_per_epoch"] / ideal64["s_per_epoch"]) if sgd64 and ideal64 else None
    add("sgd (softbounds) batch 64 <= 1.5 x ideal", ratio, 1.5, "x ideal")
    add("sgd (softbounds) batch 1 s/epoch <= 8", sgd1 and sgd1["s_per_epoch"], 8.0, "s")
    ratio = (sgd1["s_per_epoch"] / sgd64["s_per_epoch"]) if sgd1 and sgd64 else None
    add("sgd (softbounds) batch 1 <= 2.5 x batch 64", ratio, 2.5, "x batch 64")
    mp1 = _find(runs, "mixed_precision", "softbounds", 1)
    ratio = (mp1["s_per_epoch"] / sgd1["s_per_epoch"]) if mp1 and sgd1 else None
    add("mixed_precision (softbounds) batch 1 <= 1.3 x sgd batch 1", ratio, 1.3, "x sgd")
    for batch in (64, 1):
        noisy, ideal = _find(runs, "sgd", "softbounds", batch, "aihwkit_default"), _find(runs, "ideal", "none", batch)
        ratio = (noisy["s_per_epoch"] / ideal["s_per_epoch"]) if noisy and ideal else None
        add(f"sgd (softbounds) with io aihwkit_default batch {batch} <= 1.5 x ideal", ratio, 1.5, "x ideal",
            "ideal has no periphery (float reference)")
    add("mixed_precision (softbounds) batch 64 s/epoch <= 1.5", mp64 and mp64["s_per_epoch"], 1.5, "s")
    for alg in TIKI_TAKA:
        tt = _find(runs, alg, "softbounds", 64)
        ratio = (tt["s_per_epoch"] / sgd64["s_per_epoch"]) if tt and sgd64 else None
        add(f"{alg} (softbounds) batch 64 <= 2 x sgd", ratio, 2.0, "x sgd")
    rss = [r["peak_rss_mb"] for r in runs if "peak_rss_mb" in r]
    add("peak memory per run < 1 GB (max over runs)", max(rss) if rss else None, 1024.0, "MB")
    return goals


# -- report ------------------------------------------------------------------------------------

def _fmt(v, nd=2):
    if v is None:
        return "—"
    if isinstance(v, float):
        if abs(v) >= 1e5:
            return f"{v:.3g}"
        return f"{v:.{nd}f}"
    return str(v)


def _eng(v: float) -> str:
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
        base = _find(runs, algorithm, device, 64)
        cells = []
        for batch in batches:
            r = _find(runs, algorithm, device, batch)
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
    goal_of = {("sgd", "softbounds", 64, None): "<= 1.5 s and <= 1.5x ideal",
               ("sgd", "softbounds", 1, None): "<= 8 s and <= 2.5x batch 64",
               ("mixed_precision", "softbounds", 1, None): "<= 1.3x sgd batch 1",
               ("mixed_precision", "softbounds", 64, None): "<= 1.5 s",
               ("sgd", "softbounds", 64, "aihwkit_default"): "<= 1.5x ideal",
               ("sgd", "softbounds", 1, "aihwkit_default"): "<= 1.5x ideal",
               **{(alg, "softbounds", 64, None): "<= 2x sgd" for alg in TIKI_TAKA}}
    goals = {g["goal"]: g for g in report["goals"]}
    for r in report["training"]:
        key = (r["algorithm"], r["device"], r["batch"], r.get("io"))
        timed = (f"{r['n_train']:,} (full epoch)" if r["n_train"] == N_TRAIN_FULL else
                 f"{r['n_train']:,} + {r['n_test']:,} test, x{N_TRAIN_FULL // r['n_train']}")
        if "error" in r:
            lines.append(f"| {label(r)} | {r['batch']} | {r['lr']} | {timed} | error: {r['error'][:120]} "
                         "| | | | | |")
            continue
        goal = goal_of.get(key, "")
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
        elif key[0] in TIKI_TAKA and key[1:] == ("softbounds", 64, None):
            g = goals[f"{key[0]} (softbounds) batch 64 <= 2 x sgd"]
            verdict = "— (no sgd run)" if g["pass"] is None else f"{'pass' if g['pass'] else 'miss'} ({g['measured']:.2f}x sgd)"
        mem = r["peak_rss_mb"]
        all_s = r.get("s_per_epoch_all", [])
        epoch_cell = f"{r['s_per_epoch']:.2f}" + (
            f" ({' / '.join(f'{x:.2f}' for x in all_s)})" if len(all_s) > 1 else "")
        lines.append(f"| {label(r)} | {r['batch']} | {r['lr']} | {timed} | {epoch_cell} | "
                     f"{r['setup_s']:.2f} | {_eng(r['pulses_per_epoch'])} | {mem:.0f}"
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
                  "| device | layer | batch | lr | samples | pulses/sample | pulses/s | weight-sample "
                  "updates/s | us/sample |",
                  "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
        for kk in k:
            if "error" in kk:
                lines.append(f"| {kk.get('device')} | | | | | error: {kk['error'][:120]} | | | |")
                continue
            for s in kk["settings"]:
                lines.append(f"| {kk['device']} | {kk['shape'][0]}x{kk['shape'][1]} | {s['batch']} | {s['lr']} | "
                             f"{s['samples']:,} | {s['pulses_per_sample']:.0f} | {_eng(s['pulses_per_s'])} | "
                             f"{_eng(s['weight_sample_updates_per_s'])} | {s['us_per_sample']:.0f} |")
        lines += ["", "Inputs: MNIST pixels plus bias and the back-propagated errors of the freshly "
                  "initialised network (1/batch of the mean loss included), so the pulse density is "
                  "that of early training. weight-sample updates/s = 256 x 785 x samples / s.", ""]

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
        lines.append(f"| {g['goal']} | {val} | {verdict} |")
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default="../shared/data/mnist",
                    help="folder with the MNIST IDX files (else random MNIST-shaped data)")
    ap.add_argument("--hzo-dir", default="../shared/data/hzo",
                    help="folder with the HZO measurement files (table device and fit timing)")
    ap.add_argument("--quick", action="store_true",
                    help="time slices (6,000 samples at batch 64, 600 at batch 1) and scale up")
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "results"), help="output folder")
    ap.add_argument("--threads", type=int, default=None,
                    help="ferrosim layer-update threads per run (FERROSIM_THREADS; default: every "
                         "core, as `ferrosim train` uses). BLAS stays on one thread.")
    ap.add_argument("--repeat", type=int, default=1,
                    help="time every training configuration this many times, round by round, and "
                         "keep the fastest (all are in the JSON and the table)")
    ap.add_argument("--only", action="append", default=[],
                    help="run only training configurations whose label contains this text "
                         "(repeatable); kernel and fit still run unless --skip-extras")
    ap.add_argument("--skip-extras", action="store_true", help="skip the kernel and fit benchmarks")
    ap.add_argument("--profile", action="store_true",
                    help="also cProfile one sgd and one mixed_precision batch-64 epoch and an sgd batch-1 "
                         "slice (softbounds); text in <out>/profile_*.txt")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per subprocess")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--worker-out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker_main(args.worker, args.worker_out)
        return 0

    t_start = time.perf_counter()
    out_dir = Path(args.out).expanduser().resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    data_dir = _resolve(args.data_dir)
    hzo_dir = _resolve(args.hzo_dir)
    notes = []
    if _mnist_present(data_dir):
        data_arg = str(data_dir)
        data_note = f"real MNIST from {data_dir} (60,000 train / 10,000 test)"
    else:
        data_arg = None
        data_note = "synthetic MNIST-shaped data (random uint8 pixels / 255, random labels; 60,000 x 784 / 10,000 x 784)"
        print(f"note: MNIST IDX files not found in {args.data_dir}: using synthetic MNIST-shaped data", flush=True)
    have_hzo = hzo_dir is not None and hzo_dir.is_dir() and any(hzo_dir.glob("*.dat"))
    if not have_hzo:
        notes.append(f"{args.hzo_dir} not found: the HZO table device and the fit-device timing are skipped.")
        print(f"note: {notes[-1]}", flush=True)

    # Set the environment of this (driver) process too before numpy loads, for machine_info.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ[var] = "1"
    if args.threads is None:
        from ferrosim.training.layer_threads import available_cores  # after the env is set

        args.threads = available_cores()
    if args.threads < 1:
        ap.error("--threads must be at least 1")
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")
    report: dict = {"quick": args.quick, "threads": args.threads, "data_note": data_note,
                    "machine": machine_info(args.threads), "notes": notes}
    print(f"ferrosim benchmark: {report['machine']['cpu']}, commit {report['machine']['git_commit']}, "
          f"{'quick' if args.quick else 'full'} mode, {args.threads} thread(s)", flush=True)

    with tempfile.TemporaryDirectory(prefix="ferrosim-bench-") as tmp:
        hzo_file = None
        if have_hzo:
            print("fit-device on the HZO files ...", flush=True)
            fit = run_worker({"kind": "fit", "hzo_dir": str(hzo_dir), "out_file": str(Path(tmp) / "hzo.yaml"),
                              "figures": not args.quick}, args.threads, args.timeout)
            report["fit"] = fit
            if "error" in fit:
                print(f"  error: {fit['error']}", flush=True)
                notes.append("fit-device failed: the HZO table device is skipped.")
                have_hzo = False
            else:
                hzo_file = str(Path(tmp) / "hzo.yaml")
                print(f"  {fit['n_files']} files: {fit['no_figures_s']:.1f} s without figures"
                      + (f", {fit['figures_s']:.1f} s with figures" if "figures_s" in fit else ""), flush=True)

        if not args.skip_extras:
            report["kernel"] = []
            n64, n1 = (6_400, 1_000) if args.quick else (19_200, 3_000)
            for device in ["softbounds"] + (["table"] if have_hzo else []):
                print(f"pulse kernel ({device}) ...", flush=True)
                k = run_worker({"kind": "kernel", "device": device, "data_dir": data_arg, "hzo_file": hzo_file,
                                "settings": [[64, 0.5, n64], [1, 0.05, n1]]}, args.threads, args.timeout)
                k.setdefault("device", device)
                report["kernel"].append(k)
                for s in k.get("settings", []):
                    print(f"  batch {s['batch']}: {_eng(s['pulses_per_s'])} pulses/s, "
                          f"{_eng(s['weight_sample_updates_per_s'])} weight-sample updates/s", flush=True)
                if "error" in k:
                    print(f"  error: {k['error']}", flush=True)

        runs = plan_training(args.quick, have_hzo)
        if args.only:
            runs = [r for r in runs if any(o in label(r) for o in args.only)]
        # Repeats go round the whole list (not one configuration R times in a row), so a slow
        # spell of a shared machine hits every configuration alike; each keeps its fastest.
        for rep in range(args.repeat):
            for r in runs:
                scale = N_TRAIN_FULL / r["n_train"]
                print(f"{label(r)}, batch {r['batch']}, {r['n_train']} samples"
                      + (f" (round {rep + 1}/{args.repeat})" if args.repeat > 1 else "") + " ...",
                      end=" ", flush=True)
                res = run_worker({**r, "data_dir": data_arg, "hzo_file": hzo_file}, args.threads, args.timeout)
                if "error" in res:
                    r.update(res)
                    print(f"error: {res['error']}", flush=True)
                    continue
                s_epoch = res["epoch_wall_s"] * scale
                r.setdefault("s_per_epoch_all", []).append(s_epoch)
                peak = max(res["peak_rss_mb"], r.get("peak_rss_mb", 0.0))
                if s_epoch <= min(r["s_per_epoch_all"]):
                    r.update(res)
                    r["scale"] = scale
                    r["s_per_epoch"] = s_epoch
                    r["pulses_per_epoch"] = res["pulses"] * scale
                r["peak_rss_mb"] = peak
                print(f"{s_epoch:.2f} s/epoch{' (scaled x%g)' % scale if scale != 1 else ''}, "
                      f"set-up {res['setup_s']:.2f} s, peak {res['peak_rss_mb']:.0f} MB", flush=True)
        report["training"] = runs
        report["goals"] = evaluate_goals(runs)

        if args.profile:
            report["profile"] = []
            for alg, batch in (("sgd", 64), ("mixed_precision", 64), ("sgd", 1)):
                n = timed_samples(args.quick, batch)
                name = f"{alg} / softbounds 1%, batch {batch}"
                print(f"profiling {name} ...", flush=True)
                p = run_worker({"kind": "profile", "algorithm": alg, "device": "softbounds", "batch": batch,
                                "lr": SETTINGS[batch], "n_train": n, "n_test": N_TEST_FULL * n // N_TRAIN_FULL,
                                "data_dir": data_arg}, args.threads, args.timeout)
                p["name"], p["samples"] = name, n
                report["profile"].append(p)
                if "text" in p:
                    (out_dir / f"profile_{alg}_batch{batch}.txt").write_text(p["text"])

    report["loadavg_end"] = list(os.getloadavg())
    report["total_s"] = time.perf_counter() - t_start
    (out_dir / "benchmark.json").write_text(json.dumps(report, indent=2, default=str))
    md = render_markdown(report)
    (out_dir / "benchmark.md").write_text(md)
    print()
    print(md)
    print(f"wrote {out_dir / 'benchmark.json'} and {out_dir / 'benchmark.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
