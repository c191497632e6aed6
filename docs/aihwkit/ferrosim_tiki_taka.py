"""ferrosim side of the Tiki-Taka comparison in docs/algorithms.md: digits 64-32-10 sigmoid,
batch 1, 30 epochs, lr 0.1, on the asymmetric soft-bounds device (up 0.03(1-w), down 0.01(1+w):
symmetry point +0.5), aihwkit's choices (digital bias, perfect I/O with the forward out_bound 12,
granularity dw_min), each Tiki-Taka variant with aihwkit's defaults except A's learning rate
(chopped_tt_v2, agad: fast_lr = lr, absolute, as tiki_taka_v2's fast_lr 1 x lr), and
sgd_symmetry_shift beside them. Prints one JSON line per run; compare with
aihwkit_plain_sgd.py NPZ SEED 0.1 30 12 1 ALGORITHM asym perfect (compare_runs.py).

    python docs/aihwkit/ferrosim_tiki_taka.py [SEEDS] [ALGORITHMS]
"""

import json
import sys

import ferrosim
from ferrosim.io.datasets import load_dataset

seeds = [int(s) for s in sys.argv[1].split(",")] if len(sys.argv) > 1 else [0, 1, 2, 3]
algorithms = sys.argv[2].split(",") if len(sys.argv) > 2 else ["tiki_taka_v2", "chopped_tt_v2", "agad",
                                                                 "sgd_symmetry_shift"]
LR = 0.1
data = load_dataset("digits")
for algorithm in algorithms:
    for seed in seeds:
        cfg = {"algorithm": algorithm, "seed": seed, "io": "aihwkit_perfect",
               "training": {"epochs": 30, "batch_size": 1, "lr": LR},
               "network": {"hidden": [32], "digital_bias": True},
               "device": {"model": "softbounds", "w_min": -1.0, "w_max": 1.0, "a_up": 0.03, "a_down": 0.01},
               "symmetry": {"granularity": "aihwkit"}}
        if algorithm in ("chopped_tt_v2", "agad"):
            cfg["tiki_taka"] = {"fast_lr": LR}
        r = ferrosim.train(cfg, dataset=data, threads=1)
        acc = [rec.test_accuracy for rec in r.records]
        print(json.dumps({"algorithm": algorithm, "device": "asym", "seed": seed, "lr": LR, "io": "perfect",
                          "final": acc[-1], "best": max(acc), "test_accuracy": acc,
                          "pulses": sum(rec.pulses_up + rec.pulses_down for rec in r.records)}), flush=True)
