"""The installed package's version, for the provenance every output carries.

A module of its own at the bottom of the layers (docs/architecture.md): the rooms that stamp
their outputs with it (sweeps, reports, fit-device) import it from here, never from the package
`ferrosim` itself, whose lazy attributes reach up to the API.
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def package_version() -> str:
    """`ferrosim`'s installed version ("0.0.0+unknown" when run from a source tree not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ferrosim")
    except PackageNotFoundError:
        return "0.0.0+unknown"
