"""Write docs/paper/tiki_taka_probes.csv: one row per run of the probes of docs/paper/README.md,
"What limits them" (issue 26), from the results folders their commands wrote (see
configs/paper_mnist_tiki_taka_limits.yaml's header). The noise-off runs are on a synthetic device
(the measured table with its noise removed) and say so in `synthetic_device`.

    python docs/paper/tiki_taka_probes.py
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[2]
FOLDERS = {  # results folder -> what the probe changes from configs/paper_mnist_tiki_taka.yaml
    "paper_mnist_tiki_taka": "none (the first 10 epochs of the 25-epoch runs)",
    "paper_mnist_tiki_taka_limits": "cycle-to-cycle noise off (and the transfer read in its column)",
    "paper_mnist_tiki_taka_perfect_read": "perfect transfer read",
    "paper_mnist_tiki_taka_fine_eps": "update.granularity: min (eps 0.016)",
    "paper_mnist_tiki_taka_zero_at_sp": "device.weight_zero: symmetry_point",
    "paper_mnist_tiki_taka_zero_at_sp_200us": "device.weight_zero: symmetry_point",
}
FIRST = 10  # epochs compared


def rows():
    for folder, change in FOLDERS.items():
        for path in sorted((REPO / "results" / folder).glob("runs/*/run.json")):
            record = json.loads(path.read_text())
            cfg, s = record["config"], record["summary"]
            if folder == "paper_mnist_tiki_taka" and cfg["seed"] != 0:
                continue
            epochs = pd.read_csv(path.with_name("epochs.csv")).iloc[:FIRST]
            hit = epochs.index[epochs.test_accuracy >= cfg["training"]["target_accuracy"]]
            yield {
                "folder": f"results/{folder}", "run_id": record["run_id"], "change": change,
                "pulse_width": cfg["device"]["pulse_width"], "algorithm": cfg["algorithm"], "seed": cfg["seed"],
                "transfer_read": "perfect" if cfg["tiki_taka"]["transfer_forward"]["is_perfect"] else "aihwkit_default",
                "weight_zero": cfg["device"]["weight_zero"], "eps": record["info"].get("eps"),
                "synthetic_device": bool(s["synthetic_device"]),
                f"test_accuracy_epoch_{FIRST}": float(epochs.test_accuracy.iloc[-1]),
                f"best_accuracy_epochs_1_{FIRST}": float(epochs.test_accuracy.max()),
                "epochs_to_95": int(hit[0]) + 1 if len(hit) else None,
                "energy_to_95_J": float(epochs.cumulative_energy_J.iloc[hit[0]]) if len(hit) else None,
                f"pulses_epochs_1_{FIRST}": int((epochs.pulses_up + epochs.pulses_down).sum()),
                f"energy_epochs_1_{FIRST}_J": float(epochs.cumulative_energy_J.iloc[-1]),
                "energy_model": s["energy_model"],
            }


if __name__ == "__main__":
    table = pd.DataFrame(list(rows()))
    table["epochs_to_95"] = table["epochs_to_95"].astype("Int64")
    out = Path(__file__).with_name("tiki_taka_probes.csv")
    table.to_csv(out, index=False)
    print(f"wrote {out.relative_to(REPO)}: {len(table)} runs")
