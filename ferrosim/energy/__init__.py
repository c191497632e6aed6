"""Energy of the weight updates: measured facts (`inputs`), the terms' physics (`terms`), the
configured model and its prices (`model`), and re-pricing finished sweeps (`reprice`)."""
