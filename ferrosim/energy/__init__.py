"""Energy of the weight updates: measured facts (`inputs`, `iv_table`, `geometry`), the terms'
physics (`terms`), the configured model and its prices (`model`), the paper's claims as width
comparisons (`claims`) and the engine that re-prices finished runs (`reprice`; the `ferrosim
energy` command around it is `ferrosim.reports.energy_report`)."""
