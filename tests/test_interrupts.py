"""ferrosim/interrupts.py against the two CPython behaviours it exists for (both were seen as
flaky Ctrl-C tests under load: exit -2 after "error: interrupted", and a sweep that finished
with exit 0 after its Ctrl-C was printed as "Exception ignored")."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path


def _run(code: str, tmp_path) -> subprocess.CompletedProcess:
    """`code` run as `python -m`, as ferrosim's tests and many batch scripts run it (CPython
    checks its unhandled-interrupt flag on that path; `-c` exits before the check)."""
    (tmp_path / "probe.py").write_text(textwrap.dedent(code))
    return subprocess.run([sys.executable, "-m", "probe"], capture_output=True, text=True, timeout=60,
                          cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})


def test_a_caught_interrupt_that_passed_through_exec_still_exits_130(tmp_path):
    """numpy and scipy import through `exec(<string>)`; a KeyboardInterrupt crossing one sets
    CPython's flag that makes the process kill itself with SIGINT at exit (returncode -2)."""
    plain = _run("""
        import sys
        try:
            exec("raise KeyboardInterrupt")
        except KeyboardInterrupt:
            sys.exit(130)
    """, tmp_path)
    assert plain.returncode == -2  # the CPython behaviour, so the test below tests something
    done = _run("""
        from ferrosim import interrupts
        try:
            exec("raise KeyboardInterrupt")
        except KeyboardInterrupt:
            interrupts.exit_interrupted("error: interrupted")
    """, tmp_path)
    assert done.returncode == 130
    assert done.stderr == "error: interrupted\n"


def test_a_dropped_interrupt_is_raised_again_by_check(tmp_path):
    """A KeyboardInterrupt raised inside a weakref callback is printed and dropped by CPython;
    the recorded signal makes `check()` raise it at the next checkpoint."""
    out = _run("""
        import os, signal, weakref
        from ferrosim import interrupts

        class Thing: pass

        interrupts.install()
        thing = Thing()
        ref = weakref.ref(thing, lambda r: os.kill(os.getpid(), signal.SIGINT) or sum(range(10**5)))
        del thing  # the callback runs, the KeyboardInterrupt raised in it is dropped
        print("went on", interrupts.received())
        try:
            interrupts.check()
        except KeyboardInterrupt:
            print("check raised")
    """, tmp_path)
    assert "Exception ignored" in out.stderr and "KeyboardInterrupt" in out.stderr
    assert out.stdout.split("\n")[:2] == ["went on True", "check raised"]


def test_without_a_signal_check_does_nothing(tmp_path):
    out = _run("""
        from ferrosim import interrupts
        interrupts.install()
        interrupts.check()
        print(interrupts.received())
    """, tmp_path)
    assert out.returncode == 0 and out.stdout == "False\n"
