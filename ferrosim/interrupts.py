"""Ctrl-C (and a batch scheduler's SIGTERM) as one reliable event for the command line.

Python turns SIGINT into a KeyboardInterrupt raised in whatever Python code runs next, and two
CPython details make that unreliable on its own (both seen in tests under load):

- A KeyboardInterrupt raised inside a weakref or ctypes callback (an import lock's clean-up,
  llvmlite's object cache while numba compiles) is printed as "Exception ignored" and dropped:
  the command would go on as if nothing happened. So the handler also records the signal, and
  `check()` (called between epochs and runs) raises again.
- A KeyboardInterrupt that passes through `exec(<string>)` (numpy and scipy import themselves
  that way) sets the interpreter's "unhandled KeyboardInterrupt" flag, and at exit CPython then
  kills the process with SIGINT even though ferrosim caught it and asked for exit 130. The flag
  is reset by every `exec(<string>)` that completes, which `exit_interrupted` runs last.
"""

from __future__ import annotations

import signal
import sys

_received: int | None = None
"""The signal that asked ferrosim to stop (SIGINT or SIGTERM), or None."""


def _stop(signum, frame) -> None:
    global _received
    _received = signum
    raise KeyboardInterrupt


def install(*signals: signal.Signals) -> None:
    """Route `signals` (default SIGINT) to a recorded KeyboardInterrupt. Main thread only."""
    for sig in signals or (signal.SIGINT,):
        signal.signal(sig, _stop)


def received() -> bool:
    """Whether a stop signal arrived since `install` (also when its KeyboardInterrupt was lost)."""
    return _received is not None


def check() -> None:
    """Raise KeyboardInterrupt if a stop signal arrived: for one whose exception was dropped."""
    if _received is not None:
        raise KeyboardInterrupt


def exit_interrupted(message: str) -> None:
    """Print `message` as the one error line and exit 130, whatever CPython recorded. (Never
    returns; typed None because `typing` is not imported here: this module loads before the
    command line and must take no time.)"""
    sys.stdout.flush()
    sys.stderr.write(f"{message}\n")
    sys.stderr.flush()
    exec("pass", {})  # noqa: S102 - resets CPython's unhandled-KeyboardInterrupt flag (see above)
    sys.exit(130)
