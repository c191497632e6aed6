"""The benchmark cases: what is timed, on which device, at which batch size and learning rate.

Plain data and small functions, no imports beyond the standard library: the driver reads them
before numpy loads (see run.py), the worker subprocesses turn them into `ferrosim.train`
configurations.
"""

from __future__ import annotations

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
PRESETS = {"chopped_tt_v2": {"fast_lr": 0.5, "auto_scale": True, "auto_granularity": 1000, "in_chop_prob": 0.01},
           "agad": {"fast_lr": 0.5, "auto_scale": True, "auto_granularity": 1000, "in_chop_prob": 0.02,
                    "tail_weightening": 5.0}}
"""The `tiki_taka:` settings of aihwkit 1.2.0's presets (configs/paper_mnist_tiki_taka.yaml):
with auto_scale, A's pulse count per sample is about fast_lr x BL = 15.5 per active device pair,
~10^5 pulses per MNIST sample, so these cases are timed on a slice (PRESET_SAMPLES) and
measured per pulse (issue 26)."""
PRESET_SAMPLES = 3_000
"""Training samples timed for the preset cases (scaled up to an epoch): the first ones of a run,
where the pulse count is highest (it falls as the errors shrink)."""
PULSE_HEAVY_K = 15.5
"""The kernel's pulse-heavy setting: k = lr max|x| max|d| / eps at the median sample, the
presets' fast_lr x BL, so that its time per pulse is sgd's at the presets' pulse density."""
PROFILED = (("sgd", 64), ("mixed_precision", 64), ("sgd", 1))
"""(algorithm, batch) of the cProfile listings (`--profile`), on the soft-bounds device."""


def timed_samples(quick: bool, batch: int) -> int:
    """Training samples timed per epoch: the full 60,000 from batch 16 up, a tenth below (the
    figure is scaled up); --quick a tenth of that."""
    n = N_TRAIN_FULL if batch >= 16 else N_TRAIN_FULL // 10
    return n // 10 if quick else n


def device_config(kind: str, hzo_file: str | None) -> dict:
    """The `device` section for "softbounds" or the fitted HZO table device ("table")."""
    if kind == "softbounds":
        return dict(SOFTBOUNDS)
    return {"file": hzo_file, **HZO_DEVICE}


def run_config(algorithm: str, device: dict, batch: int, lr: float, hidden=HIDDEN,
               io: str | None = None, preset: bool = False) -> dict:
    """The `ferrosim.train` configuration of one case: one epoch, BL 31, update management."""
    cfg = {"name": "benchmark", "seed": 0, "algorithm": algorithm,
           "network": {"hidden": list(hidden), "activation": "sigmoid"},
           "training": {"epochs": 1, "batch_size": batch, "lr": lr},
           "update": {"bl": 31, "update_management": True, "update_bl_management": True}}
    if algorithm != "ideal":
        cfg["device"] = device
    if preset:
        cfg["tiki_taka"] = dict(PRESETS[algorithm])
    elif algorithm in ("chopped_tt_v2", "agad"):
        # A's learning rate as sgd's (aihwkit's default for these is fast_lr 1 whatever lr is)
        cfg["tiki_taka"] = {"fast_lr": lr}
    if io:
        cfg["io"] = io
    return cfg


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
    preset_device = "table" if have_hzo else "softbounds"
    for algorithm in PRESETS:  # the pulse-heavy presets: a slice, first (issue 26)
        n_train = PRESET_SAMPLES // 10 if quick else PRESET_SAMPLES
        runs.append({"kind": "train", "algorithm": algorithm, "device": preset_device, "batch": 64, "lr": 0.5,
                     "n_train": n_train, "io": None, "preset": True, "n_test": N_TEST_FULL * n_train // N_TRAIN_FULL})
    for batch, lr in SETTINGS.items():
        n_train = timed_samples(quick, batch)
        for algorithm, device, *io in (SMALL_BATCH_COMBOS if batch in SMALL_BATCHES else combos):
            runs.append({"kind": "train", "algorithm": algorithm, "device": device, "batch": batch,
                         "lr": lr, "n_train": n_train, "io": io[0] if io else None,
                         "n_test": N_TEST_FULL * n_train // N_TRAIN_FULL})
    return runs


def label(run: dict) -> str:
    """A case's name in the tables and for `--only`."""
    if run["algorithm"] == "ideal":
        return "ideal (float)"
    dev = "softbounds 1%" if run["device"] == "softbounds" else "HZO table"
    io = f" / io {run['io']}" if run.get("io") else ""
    preset = " / aihwkit preset" if run.get("preset") else ""
    return f"{run['algorithm']} / {dev}{io}{preset}"


def find_run(runs, algorithm, device, batch, io=None, preset=False):
    """The timed run of one case, or None when it was not run or failed."""
    for r in runs:
        if r["algorithm"] == algorithm and r["device"] == device and r["batch"] == batch \
                and r.get("io") == io and bool(r.get("preset")) == preset and "s_per_epoch" in r:
            return r
    return None
