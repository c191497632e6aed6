"""How long `ferrosim sweep --dry-run` takes as a plan grows (issue 15: linear, and an
80,000-run plan under 10 s). Plain script: prints one line per size.

    python benchmarks/plan_scaling.py            # 3,200, 20,000 and 80,000 runs
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        for n in (3_200, 20_000, 80_000):
            cfg = {"name": f"plan{n}", "seed": list(range(n // 4)), "dataset": {"name": "digits"},
                   "training": {"epochs": 1},
                   "sweep": {"algorithm": ["ideal", "sgd", "mixed_precision", "sgd_symmetry_shift"]}}
            path = Path(tmp) / f"plan{n}.yaml"
            path.write_text(yaml.safe_dump(cfg))
            t0 = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "ferrosim", "sweep", str(path), "--dry-run", "--out",
                                   str(Path(tmp) / f"out{n}")], capture_output=True, text=True)
            wall = time.perf_counter() - t0
            status = "ok" if done.returncode == 0 else f"exit {done.returncode}: {done.stderr.strip()[-200:]}"
            print(f"{n:>7,} runs: {wall:6.2f} s ({wall / n * 1e6:.0f} us per run) {status}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
