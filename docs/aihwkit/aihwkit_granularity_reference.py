"""aihwkit 1.2.0 side of tests/reference/aihwkit_granularity.json: the weight granularity
aihwkit computes (`calcWeightGranularity`, through the devices' C++ parameter bindings) for
every device model ferrosim has a counterpart of, checked by
tests/device/test_granularity_reference.py (issue 30). Each case also stores the same device in
ferrosim's parameters, converted here by the rule of docs/physics.md ("aihwkit conversion"):
the weaker direction shrinks (`a = dw_min * (1 -+ up_down)`, `gamma = pow_gamma * (1 -+
pow_up_down)`); a PiecewiseStep's nodes are spread evenly over [w_min, w_max]. Run in the
aihwkit environment (../shared/tools/install-aihwkit.sh):

    python aihwkit_granularity_reference.py OUT.json
"""

import json
import sys

import aihwkit
import numpy as np
import torch
from aihwkit.simulator.configs.devices import (ConstantStepDevice, PiecewiseStepDevice, PowStepDevice,
                                               SoftBoundsDevice)
from aihwkit.simulator.parameters.enums import RPUDataType


def shrunk(value, up_down):
    """(up, down) of aihwkit's convention: only the weaker direction shrinks."""
    return value * (1 + min(up_down, 0.0)), value * (1 - max(up_down, 0.0))


def granularity(device):
    return float(device.as_bindings(RPUDataType.FLOAT).calc_weight_granularity())


QUIET = dict(dw_min_dtod=0.0, dw_min_std=0.0, up_down_dtod=0.0, w_max_dtod=0.0, w_min_dtod=0.0)
cases = []

for dw_min, up_down, w_min, w_max in [(0.02, 0.0, -1.0, 1.0), (0.02, 0.4, -1.0, 1.0), (0.01, -0.3, -0.6, 0.8)]:
    a_up, a_down = shrunk(dw_min, up_down)
    for model, cls in (("linear", ConstantStepDevice), ("softbounds", SoftBoundsDevice)):
        dev = cls(dw_min=dw_min, up_down=up_down, w_min=w_min, w_max=w_max, **QUIET)
        cases.append({"aihwkit_device": f"{cls.__name__}(dw_min={dw_min}, up_down={up_down}, w_min={w_min}, "
                                        f"w_max={w_max})",
                      "aihwkit_kind": "constantstep" if model == "linear" else model,
                      "aihwkit_params": {"dw_min": dw_min, "up_down": up_down, "w_min": w_min, "w_max": w_max},
                      "ferrosim": {"model": model, "a_up": a_up, "a_down": a_down, "w_min": w_min, "w_max": w_max},
                      "granularity": granularity(dev)})

for dw_min, up_down, gamma, gamma_up_down, w_min, w_max in [
        (0.02, 0.0, 2.0, 0.0, -1.0, 1.0),   # without pow_up_down
        (0.02, 0.0, 2.0, 0.5, -1.0, 1.0),   # issue 30's device: gamma_up 2, gamma_down 1
        (0.02, 0.0, 2.0, -0.5, -1.0, 1.0),  # the other exponent lowered
        (0.01, 0.3, 1.5, 0.2, -0.9, 3.0)]:  # unequal steps, asymmetric bounds
    a_up, a_down = shrunk(dw_min, up_down)
    g_up, g_down = shrunk(gamma, gamma_up_down)
    dev = PowStepDevice(dw_min=dw_min, up_down=up_down, pow_gamma=gamma, pow_gamma_dtod=0.0,
                        pow_up_down=gamma_up_down, pow_up_down_dtod=0.0, w_min=w_min, w_max=w_max, **QUIET)
    cases.append({"aihwkit_device": f"PowStepDevice(dw_min={dw_min}, up_down={up_down}, pow_gamma={gamma}, "
                                    f"pow_up_down={gamma_up_down}, w_min={w_min}, w_max={w_max})",
                  "aihwkit_kind": "powstep",
                  "aihwkit_params": {"dw_min": dw_min, "up_down": up_down, "pow_gamma": gamma,
                                     "pow_up_down": gamma_up_down, "w_min": w_min, "w_max": w_max},
                  "ferrosim": {"model": "powstep", "a_up": a_up, "a_down": a_down, "gamma_up": g_up,
                               "gamma_down": g_down, "w_min": w_min, "w_max": w_max},
                  "granularity": granularity(dev)})

rng = np.random.default_rng(30)
for n, down_larger in ((65, False), (65, True), (32, False)):
    up_vec = np.round(rng.uniform(0.3, 1.0, n), 6)
    down_vec = np.round(rng.uniform(0.3, 1.0, n), 6)
    middle = n // 2
    if down_larger:
        up_vec[middle], down_vec[middle] = 0.4, 0.9
    dw_min = 0.05
    dev = PiecewiseStepDevice(dw_min=dw_min, up_down=0.0, w_min=-1.0, w_max=1.0,
                              piecewise_up=up_vec.tolist(), piecewise_down=down_vec.tolist(), **QUIET)
    g = np.linspace(-1.0, 1.0, n)
    cases.append({"aihwkit_device": f"PiecewiseStepDevice(dw_min={dw_min}, {n} nodes on [-1, 1], "
                                    f"{'down' if down_vec[middle] > up_vec[middle] else 'up'} step larger at node {middle})",
                  "ferrosim": {"model": "table", "g": g.tolist(), "mean_up": (dw_min * up_vec).tolist(),
                               "std_up": [0.0] * n, "mean_down": (dw_min * down_vec).tolist(),
                               "std_down": [0.0] * n, "w_min": -1.0, "w_max": 1.0},
                  "granularity": granularity(dev)})

out = {"aihwkit": aihwkit.__version__, "torch": torch.__version__,
       "setting": "calc_weight_granularity() of each device's C++ parameters (RPUDataType.FLOAT), no "
                  "device-to-device or cycle-to-cycle spread",
       "script": "docs/aihwkit/aihwkit_granularity_reference.py", "cases": cases}
with open(sys.argv[1], "w") as fh:
    json.dump(out, fh, indent=1)
print(f"{len(cases)} cases -> {sys.argv[1]}")
