"""aihwkit 1.2.0 side of tests/reference/aihwkit_deterministic_pulses.json: the pulse count of
every device for single updates with deterministic implicit pulse trains
(`PulseType.DETERMINISTIC_IMPLICIT`), read off a noise-free constant-step tile (every pulse moves
a weight by exactly dw_min), checked by tests/crossbar/test_deterministic.py. Run in the aihwkit
environment (../shared/tools/install-aihwkit.sh):

    python aihwkit_pulse_reference.py OUT.json
"""

import json
import sys

import numpy as np
import torch
from aihwkit.simulator.configs import SingleRPUConfig
from aihwkit.simulator.configs.devices import ConstantStepDevice
from aihwkit.simulator.parameters.enums import PulseType
from aihwkit.simulator.tiles import AnalogTile

DW_MIN = 0.001
rng = np.random.default_rng(7)
n_out, n_in = 6, 9
cases = []
for k, (lr, bl, x_res, d_res) in enumerate([(0.05, 31, 0.0, 0.0), (0.5, 31, 0.0, 0.0), (0.01, 31, 0.0, 0.0),
                                            (0.2, 5, 0.0, 0.0), (0.1, 31, 0.05, 0.02)]):
    x = rng.uniform(-1, 1, n_in).astype(np.float32)
    x[2] = 0.0
    d = rng.normal(0, 0.3, n_out).astype(np.float32)
    config = SingleRPUConfig(device=ConstantStepDevice(
        dw_min=DW_MIN, dw_min_dtod=0.0, dw_min_std=0.0, up_down=0.0, up_down_dtod=0.0,
        w_max=10.0, w_min=-10.0, w_max_dtod=0.0, w_min_dtod=0.0))
    config.update.pulse_type = PulseType.DETERMINISTIC_IMPLICIT
    config.update.desired_bl = bl
    config.update.x_res_implicit = x_res
    config.update.d_res_implicit = d_res
    tile = AnalogTile(n_out, n_in, config, bias=False)
    tile.set_weights(torch.zeros(n_out, n_in))
    tile.set_learning_rate(lr)
    tile.update(torch.tensor(x)[None], torch.tensor(d)[None])
    dw = tile.get_weights()[0].numpy()
    counts = np.rint(-dw / DW_MIN).astype(int)  # pulses: + means down (the weight fell)
    cases.append({"lr": lr, "bl": bl, "x_res": x_res, "d_res": d_res, "x": x.tolist(), "d": d.tolist(),
                  "down_minus_up": counts.tolist()})
import aihwkit

out = {"aihwkit": aihwkit.__version__, "torch": torch.__version__, "dw_min": DW_MIN,
       "setting": "AnalogTile(6, 9, SingleRPUConfig(ConstantStepDevice(dw_min 0.001, no noise, bounds +-10)), "
                  "bias=False), update management and BL management on (aihwkit defaults), one update per case",
       "script": "docs/aihwkit/aihwkit_pulse_reference.py", "cases": cases}
with open(sys.argv[1], "w") as f:
    json.dump(out, f)
print([int(np.abs(np.array(c["down_minus_up"])).sum()) for c in cases])
