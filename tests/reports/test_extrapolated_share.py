"""Every energy table says what share of the pulse energy lies beyond the measured I-V range
(issue 24): the report's energy table, its CSV, and `ferrosim energy`'s tables."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from ferrosim.reports.aggregate import aggregate
from ferrosim.reports.tables import summary_tables


def _summary(extrapolated: bool) -> pd.DataFrame:
    rows = []
    for seed, (pulse, beyond) in enumerate([(4e-6, 3e-6), (6e-6, 3e-6)]):
        row = {"sweep": "s", "run_id": f"r{seed}", "pulse_width_s": 2e-8, "algorithm": "sgd", "seed": seed,
               "final_accuracy": 0.9, "best_accuracy": 0.9, "epochs_to_target": 3.0, "energy_per_pulse_J": 1e-12,
               "energy_per_update_J": 1e-9, "total_energy_J": pulse, "energy_to_target_J": pulse / 2,
               "pulses_total": 1000, "wall_s": 1.0, "synthetic_device": False, "device": "d",
               "pulse_energy_J": pulse}
        if extrapolated:
            row["energy_conduction_extrapolated_J"] = beyond
        rows.append(row)
    return pd.DataFrame(rows)


def test_the_share_is_per_run_then_over_seeds_and_shown_in_the_energy_table():
    agg = aggregate(_summary(True))
    assert agg["extrapolated_share_mean"].iloc[0] == pytest.approx((3 / 4 + 3 / 6) / 2, rel=1e-12)
    [(_, [_, energy])] = summary_tables(agg, [("all", {"sweep": "s"})], {"s": 0.9})
    assert energy.headers[-1] == "beyond measured I-V"
    assert energy.rows[0][-1].startswith("62.5")
    assert "beyond the highest voltage" in energy.note or "above the highest voltage" in energy.note


def test_summaries_without_the_column_keep_their_tables():
    agg = aggregate(_summary(False))
    assert math.isnan(agg["extrapolated_share_mean"].iloc[0])
    [(_, [_, energy])] = summary_tables(agg, [("all", {"sweep": "s"})], {"s": 0.9})
    assert "beyond measured I-V" not in energy.headers


def test_the_tables_say_when_the_conduction_is_unmeasured():
    agg = aggregate(_summary(False))
    read = {"central": "capacitive + conduction[read] + switching + digital", "upper": "x"}
    [(_, [_, energy])] = summary_tables(agg, [("all", {"sweep": "s"})], {"s": 0.9}, read)
    assert "Conduction during the pulse unmeasured: priced at the read conductance" in energy.note
    measured = {"central": "capacitive + conduction[measured] + switching + digital", "upper": "x"}
    [(_, [_, energy])] = summary_tables(agg, [("all", {"sweep": "s"})], {"s": 0.9}, measured)
    assert "unmeasured" not in energy.note
