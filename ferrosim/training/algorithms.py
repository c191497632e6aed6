"""Algorithm name -> updater: the one registry the training loop asks for an updater.

A new algorithm is one updater class (in its own module when it is more than a variant of plain
SGD, as the Tiki-Taka family is) and one line here. It sits above every updater module, so none
of them needs to know of another's existence.
"""

from __future__ import annotations

import numpy as np

from ferrosim.config import RunConfig
from ferrosim.training.tiki_taka import TikiTakaUpdater
from ferrosim.training.updaters import (BalancedSGDUpdater, IdealUpdater, MixedPrecisionUpdater, PulsedSGDUpdater,
                                        SymmetryShiftUpdater)

UPDATERS = {"sgd": PulsedSGDUpdater, "sgd_symmetry_shift": SymmetryShiftUpdater,
            "sgd_balanced": BalancedSGDUpdater, "mixed_precision": MixedPrecisionUpdater,
            "tiki_taka_v2": TikiTakaUpdater, "chopped_tt_v2": TikiTakaUpdater, "agad": TikiTakaUpdater}
"""Every pulsed algorithm's updater class (constructed as `cls(cfg, w0, rng_d2d, threads)`)."""


def make_updater(cfg: RunConfig, w0: list[np.ndarray], rng_d2d: np.random.Generator,
                 threads: int | None = None):
    """The updater of `cfg.algorithm`. `threads`: how many threads update the layers at once
    (None: `layer_threads.thread_count()`); it changes the speed, never the numbers."""
    if cfg.algorithm == "ideal":
        return IdealUpdater(w0)
    return UPDATERS[cfg.algorithm](cfg, w0, rng_d2d, threads)
