"""ferrosim side of the comparisons in docs/algorithms.md: the digits 64-32-10 network of
aihwkit_plain_sgd.py with aihwkit's choices (digital bias, stochastic mixed-precision transfer,
shifting sized by dw_min) and the periphery named by IO. Prints one JSON line per run.

    python docs/aihwkit/ferrosim_side.py IO [SEEDS]     # IO: aihwkit_default | aihwkit_perfect
    python docs/aihwkit/ferrosim_side.py IO SEEDS powstep_ud [GRANULARITY]

powstep_ud: issue 30's device only (aihwkit_plain_sgd.py's DEVICE powstep_ud), plain sgd at lr 0.05:
powstep a_up = a_down 0.02, gamma_up 2, gamma_down 1, c2c 0.3, w_min -1, w_max 1, with
update.granularity GRANULARITY (aihwkit, the default, or min).
"""

import json
import sys

import ferrosim
from ferrosim.io.datasets import load_dataset

io = sys.argv[1]
seeds = [int(s) for s in sys.argv[2].split(",")] if len(sys.argv) > 2 else [0, 1, 2, 3]
devices = {"asym": {"a_up": 0.03, "a_down": 0.01}, "sym": {"a_up": 0.02, "a_down": 0.02}}
data = load_dataset("digits")
if len(sys.argv) > 3 and sys.argv[3] == "powstep_ud":
    granularity = sys.argv[4] if len(sys.argv) > 4 else "aihwkit"
    for seed in seeds:
        cfg = {"algorithm": "sgd", "seed": seed, "io": io,
               "training": {"epochs": 30, "batch_size": 1, "lr": 0.05},
               "network": {"hidden": [32], "digital_bias": True},
               "device": {"model": "powstep", "a_up": 0.02, "a_down": 0.02, "gamma_up": 2.0, "gamma_down": 1.0,
                          "c2c": 0.3, "w_min": -1.0, "w_max": 1.0},
               "update": {"granularity": granularity}}
        r = ferrosim.train(cfg, dataset=data, threads=1)
        acc = [rec.test_accuracy for rec in r.records]
        print(json.dumps({"algorithm": "sgd", "device": "powstep_ud", "seed": seed, "lr": 0.05, "io": io,
                          "granularity": granularity, "eps": r.info["eps"], "final": acc[-1], "best": max(acc),
                          "test_accuracy": acc}), flush=True)
    sys.exit(0)
for dev, steps in devices.items():
    for algorithm in ("sgd", "mixed_precision", "sgd_symmetry_shift"):
        for seed in seeds:
            lr = 0.05 if (algorithm, dev) == ("sgd", "asym") else 0.1
            cfg = {"algorithm": algorithm, "seed": seed, "io": io,
                   "training": {"epochs": 30, "batch_size": 1, "lr": lr},
                   "network": {"hidden": [32], "digital_bias": True},
                   "device": {"model": "softbounds", "w_min": -1.0, "w_max": 1.0, **steps},
                   "mixed_precision": {"transfer": "stochastic"}, "symmetry": {"granularity": "aihwkit"}}
            r = ferrosim.train(cfg, dataset=data, threads=1)
            acc = [rec.test_accuracy for rec in r.records]
            print(json.dumps({"algorithm": algorithm, "device": dev, "seed": seed, "lr": lr, "io": io,
                              "final": acc[-1], "best": max(acc), "test_accuracy": acc}), flush=True)
