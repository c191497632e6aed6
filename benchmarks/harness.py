"""The timing harness, driver side: subprocess isolation, the environment, the machine.

Every measurement runs in a fresh subprocess (`run.py --worker`, see workers.py) with
`OMP_NUM_THREADS`, `OPENBLAS_NUM_THREADS`, `MKL_NUM_THREADS` and `NUMBA_NUM_THREADS` set to 1
and `FERROSIM_THREADS` set to `--threads`, so memory figures are per run and no run inherits
another's caches. `time_training` repeats the training cases round by round and keeps each
one's fastest epoch. No numpy or ferrosim import at module level: the driver sets the thread
variables before numpy loads.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from cases import N_TEST_FULL, N_TRAIN_FULL, PROFILED, SETTINGS, label, timed_samples
from tables import eng

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RUN_SCRIPT = HERE / "run.py"
"""The script the workers run (`run.py --worker`)."""
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")


def _env(threads: int) -> dict:
    env = dict(os.environ)
    for var in THREAD_VARS:
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
            proc = subprocess.run([sys.executable, str(RUN_SCRIPT), "--worker",
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


def resolve_path(path: str | None) -> Path | None:
    """A path as given (relative to the working directory), else relative to the repo root."""
    if path is None:
        return None
    p = Path(path).expanduser()
    if p.exists() or p.is_absolute():
        return p.resolve() if p.exists() else p
    alt = REPO / p
    return alt.resolve() if alt.exists() else p


def mnist_present(data_dir: Path | None) -> bool:
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



# -- the measurements, driven one subprocess each (the lines printed as they finish) ----------

def fit_device(hzo_dir: Path, out_file: Path, quick: bool, threads: int, timeout: float) -> dict:
    """`fit_path` on the HZO folder, without figures and (unless quick) with figures."""
    print("fit-device on the HZO files ...", flush=True)
    fit = run_worker({"kind": "fit", "hzo_dir": str(hzo_dir), "out_file": str(out_file),
                      "figures": not quick}, threads, timeout)
    if "error" in fit:
        print(f"  error: {fit['error']}", flush=True)
    else:
        print(f"  {fit['n_files']} files: {fit['no_figures_s']:.1f} s without figures"
              + (f", {fit['figures_s']:.1f} s with figures" if "figures_s" in fit else ""), flush=True)
    return fit


def pulse_kernels(devices: list[str], quick: bool, data_arg: str | None, hzo_file: str | None,
                  threads: int, timeout: float) -> list[dict]:
    """Throughput of `CrossbarLayer.pulsed_update` at batch 64 and batch 1, per device."""
    kernels = []
    n64, n1, heavy = (6_400, 1_000, 128) if quick else (19_200, 3_000, 640)
    for device in devices:
        print(f"pulse kernel ({device}) ...", flush=True)
        # lr None: pulse-heavy (cases.PULSE_HEAVY_K), sgd's time per pulse at the presets' density
        k = run_worker({"kind": "kernel", "device": device, "data_dir": data_arg, "hzo_file": hzo_file,
                        "settings": [[64, 0.5, n64], [1, 0.05, n1], [64, None, heavy]]}, threads, timeout)
        k.setdefault("device", device)
        kernels.append(k)
        for s in k.get("settings", []):
            print(f"  batch {s['batch']}{' pulse-heavy' if s.get('pulse_heavy') else ''}: "
                  f"{eng(s['pulses_per_s'])} pulses/s ({s['ns_per_pulse']:.1f} ns each), "
                  f"{eng(s['weight_sample_updates_per_s'])} weight-sample updates/s", flush=True)
        if "error" in k:
            print(f"  error: {k['error']}", flush=True)
    return kernels


def time_training(runs: list[dict], repeat: int, data_arg: str | None, hzo_file: str | None,
                  threads: int, timeout: float) -> None:
    """Time every run `repeat` times; each keeps its fastest epoch (scaled to 60,000 samples),
    every round in `s_per_epoch_all`, and its largest peak memory. Updates `runs` in place."""
    # Repeats go round the whole list (not one configuration R times in a row), so a slow
    # spell of a shared machine hits every configuration alike; each keeps its fastest.
    for rep in range(repeat):
        for r in runs:
            scale = N_TRAIN_FULL / r["n_train"]
            print(f"{label(r)}, batch {r['batch']}, {r['n_train']} samples"
                  + (f" (round {rep + 1}/{repeat})" if repeat > 1 else "") + " ...",
                  end=" ", flush=True)
            res = run_worker({**r, "data_dir": data_arg, "hzo_file": hzo_file}, threads, timeout)
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


def profiles(quick: bool, data_arg: str | None, out_dir: Path, threads: int, timeout: float) -> list[dict]:
    """cProfile listings of the PROFILED cases, each written to `<out>/profile_*.txt`."""
    found = []
    for alg, batch in PROFILED:
        n = timed_samples(quick, batch)
        name = f"{alg} / softbounds 1%, batch {batch}"
        print(f"profiling {name} ...", flush=True)
        p = run_worker({"kind": "profile", "algorithm": alg, "device": "softbounds", "batch": batch,
                        "lr": SETTINGS[batch], "n_train": n, "n_test": N_TEST_FULL * n // N_TRAIN_FULL,
                        "data_dir": data_arg}, threads, timeout)
        p["name"], p["samples"] = name, n
        found.append(p)
        if "text" in p:
            (out_dir / f"profile_{alg}_batch{batch}.txt").write_text(p["text"])
    return found
