"""The comparison tables of docs/algorithms.md from the JSON lines of aihwkit_plain_sgd.py and
ferrosim_side.py: mean final and best test accuracy per device and algorithm over the seeds both
sides ran, with the difference (ferrosim - aihwkit) in points.

    python docs/aihwkit/compare_runs.py AIHWKIT.jsonl [MORE.jsonl ...] -- FERROSIM.jsonl [MORE.jsonl ...]
"""

import collections
import json
import sys

import numpy as np

NAMES = {"shift": "sgd_symmetry_shift"}


def load(paths):
    runs = collections.defaultdict(dict)
    for path in paths:
        for line in open(path):
            r = json.loads(line)
            runs[(r.get("device", "asym"), NAMES.get(r["algorithm"], r["algorithm"]))][r["seed"]] = (r["final"], r["best"])
    return runs


split = sys.argv.index("--")
aih, fer = load(sys.argv[1:split]), load(sys.argv[split + 1:])
print("| device | algorithm | seeds | aihwkit final / best | ferrosim final / best | difference final / best |")
print("|---|---|---:|---|---|---|")
for key in sorted(aih):
    seeds = sorted(set(aih[key]) & set(fer.get(key, {})))
    if not seeds:
        continue
    a = np.array([aih[key][s] for s in seeds]).mean(0) * 100
    f = np.array([fer[key][s] for s in seeds]).mean(0) * 100
    d = f - a
    print(f"| {key[0]} | {key[1]} | {len(seeds)} | {a[0]:.1f} / {a[1]:.1f}% | {f[0]:.1f} / {f[1]:.1f}% "
          f"| {d[0]:+.1f} / {d[1]:+.1f} |")
