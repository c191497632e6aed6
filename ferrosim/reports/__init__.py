"""Reports from finished sweeps: tables over seeds, figures, report.md and report.html.

`ferrosim.report(["results/default"])` (the function, `ferrosim.api.report`) builds a report
through this package. Inside it:

    from ferrosim.reports import build_report
    report = build_report(["results/default"])          # writes results/default/report/
    report.agg                                           # summary_by_pulse_width.csv as a DataFrame

Modules, one job each: `collect` (read sweep folders, find missing runs), `aggregate`
(statistics over seeds), `figures` (+ `style`: colours per pulse width), `tables` and
`formatting` (text with SI prefixes), `document` (the report's content), `markdown` and `html`
(its two renderings), `terminal` (rich table), `provenance`, `build` (all of it, in order).
"""

from __future__ import annotations

from ferrosim.reports.build import Report, build_report, prepare

__all__ = ["Report", "build_report", "prepare"]
