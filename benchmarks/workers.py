"""Worker side: each measurement, run inside a fresh subprocess (`run.py --worker`).

The driver (harness.py) starts one subprocess per measurement with BLAS and numba on one
thread and `FERROSIM_THREADS` set; `worker_main` runs the measurement named by the spec's
"kind" under `threadpool_limits(1)` and writes its result as JSON. Each training measurement
first trains a tiny network of the same algorithm, device, batch size and depth, so that numba
compilation (or loading from its cache) is not timed.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from cases import HIDDEN, N_TEST_FULL, N_TRAIN_FULL, PULSE_HEAVY_K, device_config, run_config


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


def worker_train(spec: dict) -> dict:
    import ferrosim

    t0 = time.perf_counter()
    data, source = _load_data(spec["data_dir"])
    load_s = time.perf_counter() - t0
    cfg = run_config(spec["algorithm"], device_config(spec["device"], spec.get("hzo_file")),
                     spec["batch"], spec["lr"], io=spec.get("io"), preset=spec.get("preset", False))
    # Warm-up: a tiny run of the same algorithm/device/batch and depth compiles (or loads from
    # the numba cache) every kernel the timed run calls, so the timing holds no JIT work. (The
    # fused path's drivers are compiled per number of layers: a shallower warm-up would leave
    # the timed run to compile its own, 10-20 s.)
    t0 = time.perf_counter()
    ferrosim.train(run_config(spec["algorithm"], device_config(spec["device"], spec.get("hzo_file")),
                              spec["batch"], spec["lr"], hidden=[8] * len(HIDDEN), io=spec.get("io"),
                              preset=spec.get("preset", False)),
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
    cfg = parse_run_config(run_config("sgd", device_config(spec["device"], spec.get("hzo_file")), 64, 0.5))
    model = cfg.device.response
    net = MLP((784, *HIDDEN, 10), "sigmoid")
    w0 = net.init_weights(np.random.default_rng([0, 0]))
    shape = w0[0].shape
    key = np.uint64(derive_key(root_key(0), np.uint64(0)))
    out = {"data": source, "device": spec["device"], "shape": list(shape), "settings": []}
    for batch, lr, n_samples in spec["settings"]:
        spec_lr = lr
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
        if lr is None:  # pulse-heavy: k = PULSE_HEAVY_K at the median sample (the presets' density)
            xd = [np.abs(xs).max(axis=1) * np.abs(ds).max(axis=1) for xs, ds in batches]
            lr = float(PULSE_HEAVY_K * layer.eps * layer.scale / np.median(np.concatenate(xd)))
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
            "pulses_per_s": pulses / dt, "pulses_per_sample": pulses / n_samples, "ns_per_pulse": dt / pulses * 1e9,
            "pulse_heavy": spec_lr is None,
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
    device = device_config(spec["device"], spec.get("hzo_file"))
    ferrosim.train(run_config(spec["algorithm"], device, spec["batch"], spec["lr"], hidden=[8] * len(HIDDEN)),
                   dataset=_subset(data, 64, 64))
    sub = _subset(data, spec["n_train"], spec["n_test"])
    cfg = run_config(spec["algorithm"], device, spec["batch"], spec["lr"])
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
