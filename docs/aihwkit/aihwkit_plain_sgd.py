"""aihwkit 1.2.0 side of docs/algorithms.md, "Why plain SGD collapses in aihwkit": digits
64-32-10 sigmoid, batch 1, ferrosim's split, initial weights and sample order (export_digits.py),
soft bounds up 0.03(1-w) down 0.01(1+w) without device noise, perfect I/O. Run in the aihwkit
environment (../shared/tools/install-aihwkit.sh); prints one JSON line.

    python aihwkit_plain_sgd.py DIGITS_NPZ SEED LR EPOCHS OUT_BOUND DIGITAL_BIAS [ALGORITHM [DEVICE [IO [PULSES]]]]
    ALGORITHM: sgd (default), mixed_precision (MixedPrecisionCompound, its defaults), shift
    (SoftBoundsReferenceDevice with subtract_symmetry_point), ideal (FloatingPointRPUConfig), or
    tiki_taka_v2 / chopped_tt_v2 / agad (BufferedTransferCompound / ChoppedTransferCompound /
    DynamicTransferCompound on [device, device], aihwkit's defaults except A's learning rate:
    fast_lr = LR absolute for chopped_tt_v2 and agad, as tiki_taka_v2's fast_lr 1 x LR)
    DEVICE: asym (default: up 0.03(1-w), down 0.01(1+w)), sym (2% steps both ways) or powstep_ud
    (issue 30: PowStepDevice(dw_min=0.02, up_down=0, pow_gamma=2, pow_up_down=0.5, w_min=-1,
    w_max=1) with cycle-to-cycle noise dw_min_std 0.3 and no device-to-device spread; sgd only)
    IO: perfect (default: IOParameters(is_perfect=True, out_bound=OUT_BOUND) forward, perfect
    backward) or default (aihwkit's default IOParameters() both ways; OUT_BOUND is not used)
    PULSES: stochastic (default: PulseType.STOCHASTIC_COMPRESSED) or deterministic
    (PulseType.DETERMINISTIC_IMPLICIT) for sgd and shift
    python aihwkit_plain_sgd.py /tmp/digits.npz 0 0.05 30 12 0    # aihwkit's default bound: chance
    python aihwkit_plain_sgd.py /tmp/digits.npz 0 0.05 30 -1 0    # bound off: no collapse
"""

import json
import sys

import numpy as np
import torch
from aihwkit.nn import AnalogLinear, AnalogSequential
from aihwkit.optim import AnalogSGD
from aihwkit.simulator.configs import SingleRPUConfig
from aihwkit.simulator.configs.devices import SoftBoundsDevice
from aihwkit.simulator.parameters import IOParameters
from torch import nn

path, seed, lr, epochs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
out_bound, digital_bias = float(sys.argv[5]), sys.argv[6] == "1"
algorithm = sys.argv[7] if len(sys.argv) > 7 else "sgd"
device_kind = sys.argv[8] if len(sys.argv) > 8 else "asym"
io_kind = sys.argv[9] if len(sys.argv) > 9 else "perfect"
pulses = sys.argv[10] if len(sys.argv) > 10 else "stochastic"
torch.manual_seed(seed)
z = np.load(path)
x_train, x_test = torch.tensor(z["x_train"]), torch.tensor(z["x_test"])
y_train, y_test = torch.tensor(z["y_train"]).long(), torch.tensor(z["y_test"]).long()
dw_min, up_down = (0.03, 1 - 0.01 / 0.03) if device_kind == "asym" else (0.02, 0.0)
if algorithm == "shift":
    from aihwkit.simulator.configs.devices import SoftBoundsReferenceDevice

    device = SoftBoundsReferenceDevice(dw_min=dw_min, up_down=up_down, w_max=1.0, w_min=-1.0,
                                       subtract_symmetry_point=True)
elif device_kind == "powstep_ud":
    from aihwkit.simulator.configs.devices import PowStepDevice

    assert algorithm == "sgd", "powstep_ud is for plain SGD"
    device = PowStepDevice(dw_min=0.02, up_down=0.0, pow_gamma=2.0, pow_up_down=0.5, w_max=1.0, w_min=-1.0,
                           pow_gamma_dtod=0.0, pow_up_down_dtod=0.0)
else:
    device = SoftBoundsDevice(dw_min=dw_min, up_down=up_down, w_max=1.0, w_min=-1.0)
for name in ("dw_min_dtod", "up_down_dtod", "w_max_dtod", "w_min_dtod", "dw_min_std", "reset_std"):
    setattr(device, name, 0.0)  # aihwkit's defaults add 30% device-to-device and c2c noise
if device_kind == "powstep_ud":
    device.dw_min_std = 0.3  # issue 30 keeps the cycle-to-cycle noise (ferrosim's c2c 0.3)
if algorithm == "ideal":
    from aihwkit.simulator.configs import FloatingPointRPUConfig

    config = FloatingPointRPUConfig()
elif algorithm in ("tiki_taka_v2", "chopped_tt_v2", "agad"):
    from aihwkit.simulator.configs import UnitCellRPUConfig
    from aihwkit.simulator.configs.compounds import (BufferedTransferCompound, ChoppedTransferCompound,
                                                     DynamicTransferCompound)

    if algorithm == "tiki_taka_v2":
        compound = BufferedTransferCompound(unit_cell_devices=[device, device])
    elif algorithm == "chopped_tt_v2":
        compound = ChoppedTransferCompound(unit_cell_devices=[device, device], fast_lr=lr)
    else:
        compound = DynamicTransferCompound(unit_cell_devices=[device, device], fast_lr=lr)
    config = UnitCellRPUConfig(device=compound)
elif algorithm == "mixed_precision":
    from aihwkit.simulator.configs import DigitalRankUpdateRPUConfig
    from aihwkit.simulator.configs.compounds import MixedPrecisionCompound

    config = DigitalRankUpdateRPUConfig(device=MixedPrecisionCompound(device=device))
else:
    config = SingleRPUConfig(device=device)
if algorithm != "ideal" and io_kind == "default":
    config.forward = IOParameters()
    config.backward = IOParameters()
elif algorithm != "ideal":
    config.forward = IOParameters(is_perfect=True, out_bound=out_bound)  # out_bound <= 0: no bound
    config.backward = IOParameters(is_perfect=True)
if pulses == "deterministic" and algorithm in ("sgd", "shift"):
    from aihwkit.simulator.parameters.enums import PulseType

    config.update.pulse_type = PulseType.DETERMINISTIC_IMPLICIT
config.mapping.digital_bias = digital_bias
model = AnalogSequential(AnalogLinear(64, 32, bias=True, rpu_config=config), nn.Sigmoid(),
                         AnalogLinear(32, 10, bias=True, rpu_config=config))
for k, layer in enumerate((model[0], model[2])):
    w = torch.tensor(z[f"w{k}_s{seed}"])
    layer.set_weights(w[:, :-1].contiguous(), w[:, -1].contiguous())
optimizer = AnalogSGD(model.parameters(), lr=lr)
optimizer.regroup_param_groups(model)
loss_fn = nn.CrossEntropyLoss()
history = []
for epoch in range(epochs):
    model.train()
    for i in z[f"order_s{seed}"][epoch]:
        optimizer.zero_grad()
        loss_fn(model(x_train[i:i + 1]), y_train[i:i + 1]).backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        accuracy = (model(x_test).argmax(1) == y_test).float().mean().item()
    w2 = model[2].get_weights()[0]  # the weights as the network sees them
    history.append({"epoch": epoch + 1, "test_accuracy": accuracy, "layer2_weight_std": float(w2.std())})
print(json.dumps({"algorithm": algorithm, "seed": seed, "lr": lr, "out_bound": out_bound, "digital_bias": digital_bias,
                  "device": device_kind, "io": io_kind, "pulses": pulses,
                  "final": history[-1]["test_accuracy"], "best": max(h["test_accuracy"] for h in history),
                  "epochs": history}))
