"""aihwkit 1.2.0 side of tests/reference/aihwkit_tiki_taka.json: the Tiki-Taka family on one
2x3 tile, noise-free and deterministic, so ferrosim's rules can be checked number by number.

AnalogLinear(3 -> 2, no bias), weights 0, AnalogSGD lr 0.5, five fixed (x, dL/dy) pairs; A on
SoftBoundsReferenceDevice dw_min 0.04, C on dw_min 0.06 (bounds +-1, every noise off); perfect
forward, backward and transfer reads; the A update with deterministic implicit pulse trains (BL 31,
update and BL management); choppers regular (in_chop_prob 0.5); chopped_tt_v2 also with
auto_scale and auto_granularity 10 (8 samples). Batch 1 with transfer_every 1
counted in samples (AGAD: 12 samples, it writes C only after its first chopper period), then the
five samples as one mini-batch (units_in_mbatch) for two steps. Run in the aihwkit environment
(../shared/tools/install-aihwkit.sh):

    python aihwkit_tiki_taka_reference.py > tests/reference/aihwkit_tiki_taka.json
"""

import json
import sys

import aihwkit
import torch
from aihwkit.nn import AnalogLinear
from aihwkit.optim import AnalogSGD
from aihwkit.simulator.configs import (BufferedTransferCompound, ChoppedTransferCompound, DynamicTransferCompound,
                                       SoftBoundsReferenceDevice, UnitCellRPUConfig)
from aihwkit.simulator.parameters import IOParameters, UpdateParameters
from aihwkit.simulator.parameters.enums import PulseType

X = [[1.0, 0.5, -0.3], [0.2, -0.8, 0.6], [-0.45, 0.4, 1.0], [0.9, -0.1, -0.7], [0.3, 0.7, 0.2]]
G = [[-0.6, 0.4], [0.5, -0.9], [-0.3, -0.7], [0.8, 0.2], [-0.4, 0.6]]
LR = 0.5
STEPS = {"tiki_taka_v2": 5, "chopped_tt_v2": 5, "agad": 12, "chopped_tt_v2_auto_scale": 8}


def device(dw):
    return SoftBoundsReferenceDevice(dw_min=dw, dw_min_dtod=0.0, dw_min_std=0.0, w_max=1.0, w_min=-1.0,
                                     w_max_dtod=0.0, w_min_dtod=0.0, up_down=0.0, up_down_dtod=0.0,
                                     reset_std=0.0, write_noise_std=0.0)


def compound(name, units_in_mbatch):
    common = dict(unit_cell_devices=[device(0.04), device(0.06)], transfer_every=1, units_in_mbatch=units_in_mbatch,
                  transfer_forward=IOParameters(is_perfect=True))
    if name == "tiki_taka_v2":
        return BufferedTransferCompound(thres_scale=1.0, step=1.0, momentum=0.1, forget_buffer=True, **common)
    chop = dict(in_chop_prob=0.5, in_chop_random=False, fast_lr=0.2, transfer_lr=1.0)
    if name == "chopped_tt_v2":
        return ChoppedTransferCompound(**chop, **common)
    if name == "chopped_tt_v2_auto_scale":  # A's lr from the running maxima of |x| and |d|
        return ChoppedTransferCompound(**chop, auto_scale=True, auto_granularity=10.0, **common)
    return DynamicTransferCompound(tail_weightening=1.0, **chop, **common)


def build(comp):
    cfg = UnitCellRPUConfig(device=comp)
    cfg.forward = IOParameters(is_perfect=True)
    cfg.backward = IOParameters(is_perfect=True)
    cfg.update = UpdateParameters(pulse_type=PulseType.DETERMINISTIC_IMPLICIT, desired_bl=31,
                                  update_bl_management=True, update_management=True)
    model = AnalogLinear(3, 2, bias=False, rpu_config=cfg)
    model.set_weights(torch.zeros(2, 3))
    opt = AnalogSGD(model.parameters(), lr=LR)
    opt.regroup_param_groups(model)
    return model, opt, next(model.analog_tiles()).tile


def state(tile):
    names = tile.get_hidden_parameter_names()
    hp = tile.get_hidden_parameters()
    get = lambda k: hp[names.index(k)].tolist() if k in names else None  # noqa: E731
    return {"A": get("hidden_weights_0"), "C": get("hidden_weights_1"),
            "H": get("buffered_FP_weight_0") or get("buffered_FP_weight")}


out = {"aihwkit": aihwkit.__version__, "torch": torch.__version__, "script": "docs/aihwkit/aihwkit_tiki_taka_reference.py",
       "lr": LR, "x": X, "d": G, "dw_min_fast": 0.04, "dw_min_slow": 0.06, "batch1": {}, "batch5": {}}
for name, steps in STEPS.items():
    model, opt, tile = build(compound(name, False))
    rows = []
    for s in range(steps):
        opt.zero_grad()
        y = model(torch.tensor([X[s % 5]]))
        y.backward(torch.tensor([G[s % 5]]))
        opt.step()
        rows.append(state(tile))
    out["batch1"][name] = rows
    model, opt, tile = build(compound(name, True))
    rows = []
    for s in range(2):
        opt.zero_grad()
        y = model(torch.tensor(X))
        y.backward(torch.tensor(G))
        opt.step()
        rows.append(state(tile))
    out["batch5"][name] = rows
json.dump(out, sys.stdout, indent=1)
print()
