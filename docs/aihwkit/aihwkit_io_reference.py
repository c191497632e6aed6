"""aihwkit 1.2.0 side of tests/reference/aihwkit_io.json: one analog tile's forward and backward
products through aihwkit's default `IOParameters` (DAC 1/126, ADC 1/510, out_bound 12, out_noise
0.06, abs-max noise management, iterative bound management), checked by
tests/nn/test_periphery.py. Run in the aihwkit environment (../shared/tools/install-aihwkit.sh):

    python aihwkit_io_reference.py OUT.json

Deterministic part: out_noise 0, so every product is exact up to float32 summation order.
Noise part: 4000 repeated products of fixed vectors with the default out_noise 0.06; the mean and
standard deviation of every output.
"""

import json
import sys

import numpy as np
import torch
from aihwkit.simulator.configs import SingleRPUConfig
from aihwkit.simulator.configs.devices import ConstantStepDevice
from aihwkit.simulator.parameters import IOParameters
from aihwkit.simulator.tiles import AnalogTile

rng = np.random.default_rng(2026)
n_out, n_in = 10, 20
w = rng.uniform(-0.6, 0.6, (n_out, n_in)).astype(np.float32)
w[0] = 0.9  # a row whose output passes out_bound 12 for large inputs: bound management
w[1, :10] = -0.9
x = rng.uniform(-1.0, 1.0, (12, n_in)).astype(np.float32)
x[0] = 1.0  # row 0 output 18: clipped at 12 unless bound management halves the input
x[1] *= 0.01  # small inputs: noise management rescales them
x[2] = 0.0  # all-zero input: zero output
x[3, 5] = 3.0  # an input beyond inp_bound before noise management
x[4] = np.linspace(-0.5, 0.5, n_in)
d = rng.normal(0, 0.05, (12, n_out)).astype(np.float32)
d[2] = 0.0


def tile(out_noise: float) -> AnalogTile:
    config = SingleRPUConfig(device=ConstantStepDevice(w_max=2.0, w_min=-2.0, w_max_dtod=0.0, w_min_dtod=0.0))
    config.forward = IOParameters(out_noise=out_noise)
    config.backward = IOParameters(out_noise=out_noise)
    t = AnalogTile(n_out, n_in, config, bias=False)
    t.set_weights(torch.tensor(w))
    assert np.array_equal(t.get_weights()[0].numpy(), w)  # inside the device bounds: stored exactly
    return t


exact = tile(0.0)
fwd = exact.forward(torch.tensor(x)).detach().numpy()
bwd = exact.backward(torch.tensor(d)).detach().numpy()
noisy = tile(0.06)
repeats = 4000
xs = torch.tensor(np.repeat(x[[0, 4]], repeats, axis=0))
ys = noisy.forward(xs).detach().numpy().reshape(2, repeats, n_out)
ds = torch.tensor(np.repeat(d[[5]], repeats, axis=0))
bs = noisy.backward(ds).detach().numpy().reshape(1, repeats, n_in)
import aihwkit

out = {"aihwkit": aihwkit.__version__, "torch": torch.__version__,
       "setting": "AnalogTile(10, 20, SingleRPUConfig(ConstantStepDevice), bias=False), "
                  "IOParameters() forward and backward (out_noise 0 for the exact products)",
       "script": "docs/aihwkit/aihwkit_io_reference.py",
       "w": w.tolist(), "x": x.tolist(), "d": d.tolist(), "forward": fwd.tolist(), "backward": bwd.tolist(),
       "noise": {"repeats": repeats, "forward_rows": [0, 4], "backward_rows": [5],
                 "forward_mean": ys.mean(1).tolist(), "forward_std": ys.std(1).tolist(),
                 "backward_mean": bs.mean(1).tolist(), "backward_std": bs.std(1).tolist()}}
with open(sys.argv[1], "w") as f:
    json.dump(out, f)
print("forward row 0:", fwd[0][:3], "backward row 5:", bwd[5][:3])
