"""Whether numba's cache holds ferrosim's kernels: the first run in a fresh environment (a new
install, an empty cache) compiles them, about a minute on 2 cores for the default sweep's four
algorithms (measured: 58 s cold against 6-9 s warm), and a sweep that prints nothing for a minute
looks hung (issue 28). The commands say so before they start when the cache is cold."""

from __future__ import annotations

COLD_START_NOTE = ("compiling numba kernels: the first run in a fresh environment takes about a minute "
                   "on 2 cores (once; cached after)")


def kernels_cached() -> bool:
    """True when numba's cache has an index for each of the pulse kernels every device run
    uses (by their cache files, as numba finds them; NUMBA_CACHE_DIR is honoured). A cache that
    cannot be looked at counts as warm: the note is a courtesy, never an error."""
    try:
        from ferrosim.crossbar import sgd, transfer

        kernels = [k for module in (sgd, transfer) for k in (getattr(module, n) for n in dir(module))
                   if getattr(k, "_cache", None) is not None and getattr(k, "__module__", None) == module.__name__
                   and not k.targetoptions.get("inline")]  # inlined helpers have no cache entry of their own
        return all(_indexed(k) for k in kernels)
    except Exception:  # noqa: BLE001 - a numba internals change must not stop a sweep
        return True


def say_if_kernels_compile(say, training: bool = True) -> None:
    """`say` one line before a first run in a fresh environment (nothing else shows for about a
    minute while the kernels compile)."""
    if training and not kernels_cached():
        say(COLD_START_NOTE)


def _indexed(kernel) -> bool:
    from pathlib import Path

    return Path(kernel._cache._cache_file._index_path).is_file()


__all__ = ["COLD_START_NOTE", "kernels_cached", "say_if_kernels_compile"]
