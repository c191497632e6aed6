"""Sweeps: pulse widths x algorithms x seeds (x any listed setting), resumable, on local
workers, dask or shards.

Calling this package runs a sweep: `ferrosim.sweep(config, out=..., workers=...)` is
`ferrosim.api.sweep` (see its help). Modules: `plan` (config -> run table and run ids), `session`
(one sweep from config to summary), `runner` (executors), `outputs` (run folders, summary.csv),
`progress` (the live display), `estimate` (the --dry-run time estimate).
"""

from ferrosim.callable_module import make_callable

make_callable(__name__, "sweep")
