"""ferrosim: train neural networks on simulated ferroelectric synapses.

Python API (the CLI is a thin layer over it; `ferrosim.api` documents each function)::

    import ferrosim
    fit = ferrosim.fit_device("measurements/", "devices/example.yaml")      # fit-device
    result = ferrosim.sweep("configs/pulse_widths.yaml", out="results/default")  # sweep
    report = ferrosim.report("results/default")                             # report
    frame = ferrosim.load_results("results/default")    # one row per complete run (DataFrame)
    run = ferrosim.train({"algorithm": "sgd", "training": {"epochs": 5}})  # one run in memory
    run.to_frame()                                      # per-epoch accuracy, pulses, energy
"""

from __future__ import annotations

__all__ = ["__version__", "fit_device", "sweep", "report", "load_results", "train", "RunConfig", "TrainResult",
           "load_run_config", "FerrosimWarning"]


def __getattr__(name: str):
    # Lazy imports keep `ferrosim --help` fast: numba and pandas load only when needed. Nothing
    # is imported eagerly, `importlib.metadata` included: `python -m ferrosim` imports this
    # package before ferrosim/entry.py can catch a Ctrl-C, so the package itself must take no time.
    if name == "__version__":
        from ferrosim.version import package_version

        return package_version()
    if name == "train":
        from ferrosim.training.loop import train

        return train
    if name == "TrainResult":
        from ferrosim.training.loop import TrainResult

        return TrainResult
    if name in ("fit_device", "sweep", "report", "load_results"):
        from ferrosim import api

        return getattr(api, name)
    if name == "FerrosimWarning":
        from ferrosim.errors import FerrosimWarning

        return FerrosimWarning
    if name in ("RunConfig", "load_run_config"):
        from ferrosim import config

        return getattr(config, name)
    raise AttributeError(name)
