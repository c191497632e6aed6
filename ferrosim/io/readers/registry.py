"""Format name -> reader: every measurement format ferrosim reads (`FORMATS`).

A reader is `read(path, text, ctx) -> (records, files used)`: `text` is the file's content,
`ctx` the command line and sidecar (`ferrosim.io.sidecar.Context`), the records `Trace`s or
`StepTable`s, the files used the file and any sibling it read. A new format is one module in
this package and one line here (and, if its layout can be recognised, a rule in
`ferrosim.io.detect`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ferrosim.io.measurement_data import StepTable, Trace
from ferrosim.io.readers import aihwkit, crosssim, dg_table, lab_table, long_csv, wgfmu
from ferrosim.io.sidecar import Context

Reader = Callable[[Path, str, Context], tuple[list[Trace] | list[StepTable], list[Path]]]

READERS: dict[str, Reader] = {
    "wgfmu": wgfmu.read,
    "long-csv": long_csv.read,
    "ramps-csv": crosssim.read,
    "two-column": aihwkit.read,
    "dg-table": dg_table.read,
    "lab-table": lab_table.read,
}

FORMATS: tuple[str, ...] = tuple(READERS)
"""Every format name (`--format`), in the order error hints list them."""
