"""One module per measured-pulse-response format (DESIGN.md section 3).

Each reader turns one file (or a file and its sibling) into `Trace`/`StepTable` records
(`ferrosim.io.measurement_data`) in physical units, and reports bad input as a one-line
`InputError` with the file and the 1-based line. The formats (`registry.READERS`):

- `wgfmu` (`wgfmu.py`): Keysight WGFMU `*_Summary.dat` amplitude sweeps (the HZO devices of
  `../shared/data/hzo/`): G = mean(1/R_low, 1/R_high); negative amplitude potentiates.
- `long-csv` (`long_csv.py`): the native long table (`pulse_width, cycle, direction, pulse,
  conductance_S`, ...).
- `ramps-csv` (`crosssim.py`): CrossSim style, one column per ramp, read currents (or conductances).
- `two-column` (`aihwkit.py`): aihwkit style, state after each up pulse / after each down pulse
  (normalised).
- `dg-table` (`dg_table.py`): CrossSim dG-vs-G lookup tables (`*_increasing` + `*_decreasing`).
- `lab-table` (`lab_table.py`, its column mapping in `lab_columns.py`): any other table with a
  header, read through a column mapping (`--column`, `columns:` in the sidecar). A mapping
  makes every data file of the folder a lab table.

A new format is one module with a `read(path, text, ctx)` function and one line in
`registry.READERS`. What the readers share: `common.py` (the text, its rows and tokens) and
`names.py` (directions and siblings from file names). Detection is `ferrosim.io.detect`, the
settings from outside a file `ferrosim.io.sidecar`, the entry point `ferrosim.io.measurements`.

This package's `__init__` imports nothing, so that `ferrosim.io.sidecar` can use the column
mapping (`lab_columns`) without loading the readers that use the sidecar.
"""
