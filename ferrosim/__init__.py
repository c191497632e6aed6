"""ferrosim: train neural networks on simulated ferroelectric synapses.

Python API (the CLI is a thin layer over it)::

    import ferrosim
    result = ferrosim.train({"algorithm": "sgd", "training": {"epochs": 5}})
    result.to_frame()          # per-epoch accuracy, pulses, energy
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ferrosim")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__", "train", "RunConfig", "TrainResult", "load_run_config"]


def __getattr__(name: str):
    # Lazy imports keep `ferrosim --help` fast: numba and pandas load only when needed.
    if name == "train":
        from ferrosim.training.loop import train

        return train
    if name == "TrainResult":
        from ferrosim.training.loop import TrainResult

        return TrainResult
    if name in ("RunConfig", "load_run_config"):
        from ferrosim import config

        return getattr(config, name)
    raise AttributeError(name)
