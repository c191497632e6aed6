"""Sweeps: pulse widths x algorithms x seeds (x any listed setting), resumable, on local
workers, dask or shards.

`ferrosim.sweep(config, out=..., workers=...)` (the function, `ferrosim.api.sweep`) runs a sweep
through this package. Modules: `plan` (config -> run table and run ids), `session`
(one sweep from config to summary), `runner` (executors), `outputs` (run folders, summary.csv),
`progress` (the live display), `estimate` (the --dry-run time estimate).
"""
