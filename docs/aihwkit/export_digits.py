"""Write what the aihwkit side needs to train exactly like ferrosim: the digits split, the
initial weights and the per-epoch sample order of seeds 0 .. N-1 (run in ferrosim's environment).

    python docs/aihwkit/export_digits.py /tmp/digits.npz [N]      # N: 4 unless given
"""

import sys

import numpy as np

from ferrosim.io.datasets import load_dataset
from ferrosim.nn.mlp import MLP

out_path = sys.argv[1] if len(sys.argv) > 1 else "digits.npz"
n_seeds = int(sys.argv[2]) if len(sys.argv) > 2 else 4
data = load_dataset("digits")
out = {"x_train": data.x_train, "y_train": data.y_train, "x_test": data.x_test, "y_test": data.y_test}
for seed in range(n_seeds):
    # the same generators as ferrosim.training.loop: [seed, 0] initial weights, [seed, 2] order
    weights = MLP((64, 32, 10), "sigmoid").init_weights(np.random.default_rng([seed, 0]))
    for k, w in enumerate(weights):
        out[f"w{k}_s{seed}"] = w  # (n_out, n_in + 1): the last column is the bias
    order = np.random.default_rng([seed, 2])
    out[f"order_s{seed}"] = np.stack([order.permutation(len(data.y_train)) for _ in range(30)])
np.savez(out_path, **out)
print(f"wrote {out_path}")
