"""Where the libraries a command drives keep their caches: not in $HOME unasked.

matplotlib creates ~/.config/matplotlib and writes its font cache to ~/.cache/matplotlib the
first time a figure is drawn, so `ferrosim report` wrote outside its output folder. The command
line (`ferrosim.entry`) calls `private_matplotlib_dir` before anything imports matplotlib:
- MPLCONFIGDIR set by the user is kept as it is (their choice of folder);
- else, with XDG_CACHE_HOME set, matplotlib's folder is $XDG_CACHE_HOME/matplotlib (a cache the
  user chose: the font cache is kept between runs);
- else a temporary folder, removed when the command ends (the font cache is rebuilt each run,
  a fraction of a second).
A matplotlibrc in ~/.config/matplotlib is then not read: the figures do not depend on it. The
Python API leaves the environment of the program that imports ferrosim alone.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile


def private_matplotlib_dir() -> str:
    """Point MPLCONFIGDIR away from $HOME unless the user chose a folder; returns the folder."""
    if os.environ.get("MPLCONFIGDIR"):
        return os.environ["MPLCONFIGDIR"]
    xdg_cache = os.environ.get("XDG_CACHE_HOME", "")
    if os.path.isabs(xdg_cache):  # the XDG rule: a relative path is ignored
        folder = os.path.join(xdg_cache, "matplotlib")
    else:
        folder = tempfile.mkdtemp(prefix="ferrosim-matplotlib-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
    os.environ["MPLCONFIGDIR"] = folder
    return folder
