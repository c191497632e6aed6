"""Where a device's mean up step balances its mean down step: the stable crossing (issue 25).

Both the table model (ferrosim.device.models.TableDevice) and the model-free estimate from the
measured steps (ferrosim.device.symmetry) have piecewise-linear mean-step curves; the symmetry
point is where up - down turns from positive to negative (a stable balance: zero-mean random
pulses drive the state there). A crossing the other way round is unstable (the state runs away
from it) and is never a symmetry point. Of several stable crossings, the one with the widest
basin (between the unstable crossings or the ends around it) is taken.
"""

from __future__ import annotations

import numpy as np


def stable_crossing(grid: np.ndarray, diff: np.ndarray, lo: float, hi: float) -> tuple[float | None, int, int]:
    """The stable zero of the piecewise-linear `diff` (up - down) sampled at the increasing
    `grid` on [lo, hi]: (g*, side, n_stable).

    side: 0 found; +1 up larger everywhere; -1 down larger everywhere; 2 only unstable crossings
    (then g* is None, as for +-1)."""
    pos = diff > 0
    if pos.all():
        return None, 1, 0
    if not pos.any():
        return None, -1, 0
    change = np.nonzero(pos[:-1] != pos[1:])[0]
    stable = [k for k in change if pos[k]]
    if not stable:
        return None, 2, 0
    unstable = [grid[k] for k in change if not pos[k]]
    widths = [min([e for e in unstable if e > grid[k]] + [hi]) - max([e for e in unstable if e < grid[k]] + [lo])
              for k in stable]
    k = stable[int(np.argmax(widths))]
    a, b, fa, fb = grid[k], grid[k + 1], diff[k], diff[k + 1]
    return float((a * fb - b * fa) / (fb - fa)), 0, len(stable)
