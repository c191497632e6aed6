"""Every command in the README runs as written (issue 16, item 7).

The README's fenced ```bash and ```python blocks are run in order, in a scratch copy of the
repository with ../shared beside it (so nothing is written into the checkout). Commands that
need MNIST-scale training, a cluster or the network are not run: each matches a pattern of
`NOT_RUN` with its reason, and its options are still checked against the command's real ones.
A README command that is neither run nor listed fails the test, so a new command cannot slip in
untested.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"

NOT_RUN: dict[str, str] = {
    r"^pip install": "installs ferrosim; .ci/run does it on a fresh machine",
    r"^python -m pytest": "the test suite itself",
    r"^chromium ": "a browser check by hand; tests/reports runs it (CI installs chromium)",
    r"^ferrosim sweep configs/paper_mnist\.yaml (--workers|--shard|--executor)": "MNIST at paper scale: 8-25 min, or a cluster",
    r"^ferrosim sweep configs/precursor_mnist\.yaml --workers": "MNIST at the precursor study's scale: ~25 min",
    r"^ferrosim sweep configs/population_mnist\.yaml --workers": "124 MNIST runs over every HZO fit: ~17 min",
    r"^ferrosim energy results/paper_mnist": "needs the MNIST paper sweep's results",
    r"^ferrosim report results/default results/paper_mnist": "needs the MNIST paper sweep's results",
    r"^ferrosim train --set dataset\.name=mnist": "a full MNIST run (minutes)",
}


def readme_blocks() -> list[tuple[str, str, int]]:
    """(language, text, first line) of every ```bash / ```python block."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = []
    for m in re.finditer(r"^```(bash|python)\n(.*?)^```", text, re.DOTALL | re.MULTILINE):
        blocks.append((m.group(1), m.group(2), text[: m.start()].count("\n") + 2))
    return blocks


def bash_commands(block: str) -> list[list[str]]:
    """Each command of a bash block as tokens: continuations joined, comments dropped, `&&` split."""
    commands = []
    for line in block.replace("\\\n", " ").splitlines():
        tokens = shlex.split(line, comments=True)
        current: list[str] = []
        for tok in tokens + ["&&"]:
            if tok == "&&":
                if current:
                    commands.append(current)
                current = []
            else:
                current.append(tok)
    return commands


def not_run_reason(tokens: list[str]) -> str | None:
    line = " ".join(tokens)
    return next((why for pattern, why in NOT_RUN.items() if re.search(pattern, line)), None)


def check_options(tokens: list[str]) -> None:
    """The subcommand exists and every --option is one of its options."""
    import typer.main

    from ferrosim.cli import app

    group = typer.main.get_command(app)
    assert tokens[1] in group.commands, f"no command {tokens[1]!r}: {' '.join(tokens)}"
    command = group.commands[tokens[1]]
    known = {o for p in command.params for o in (*p.opts, *p.secondary_opts)}
    for tok in tokens[2:]:
        if tok.startswith("--"):
            assert tok.split("=")[0] in known, f"{tok} is not an option of ferrosim {tokens[1]}"


def _shell_glob(token: str, cwd: Path) -> list[str]:
    """A word with * expanded as the shell would (sorted matches; unchanged without a match)."""
    if "*" not in token:
        return [token]
    matches = sorted(str(p.relative_to(cwd)) if not Path(token).is_absolute() else str(p)
                     for p in (cwd.glob(token) if not Path(token).is_absolute() else Path("/").glob(token[1:])))
    return matches or [token]


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    """A copy of the repository's inputs (configs, measurements, devices, docs) with shared/ beside it."""
    if not SHARED.is_dir():
        pytest.skip("../shared not present")
    root = tmp_path_factory.mktemp("readme")
    main = root / "main"
    main.mkdir()
    for name in ("configs", "measurements", "devices", "docs"):
        shutil.copytree(REPO / name, main / name, ignore=shutil.ignore_patterns("__pycache__", "*-figures"))
    (main / "results").mkdir()
    (root / "shared").symlink_to(SHARED, target_is_directory=True)
    return main


def test_every_readme_command_is_run_or_listed_with_a_reason(scratch):
    ran, listed = 0, 0
    for lang, block, line in readme_blocks():
        if lang == "python":
            proc = subprocess.run([sys.executable, "-c", block], cwd=scratch, capture_output=True, text=True,
                                  timeout=600)
            assert proc.returncode == 0, f"README.md:{line}: python block failed\n{proc.stderr[-3000:]}"
            ran += 1
            continue
        for tokens in bash_commands(block):
            if tokens[0] == "ferrosim":
                check_options(tokens)
            if not_run_reason(tokens):
                listed += 1
                continue
            assert tokens[0] in ("ferrosim", "python"), f"README.md:{line}: unclassified command {' '.join(tokens)}"
            args = [a for t in tokens[1:] for a in _shell_glob(t, scratch)]
            argv = [sys.executable, "-m", "ferrosim", *args] if tokens[0] == "ferrosim" else [sys.executable, *args]
            proc = subprocess.run(argv, cwd=scratch, capture_output=True, text=True, timeout=600)
            assert proc.returncode == 0, f"README.md:{line}: {' '.join(tokens)}\n{proc.stderr[-3000:]}"
            ran += 1
    assert ran >= 20 and ran > listed, (ran, listed)  # most commands really run (23 run, 17 listed today)


def test_the_not_run_list_has_no_stale_entry():
    lines = [" ".join(t) for lang, block, _ in readme_blocks() if lang == "bash" for t in bash_commands(block)]
    for pattern in NOT_RUN:
        assert any(re.search(pattern, line) for line in lines), f"no README command matches {pattern!r}"


def test_run_counts_stated_in_config_headers_and_the_readme_are_the_plans():
    """`48 runs` in a config's header or next to it in the README is what `sweep` plans."""
    from ferrosim.sweeps.plan import load_plan

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for config in sorted((REPO / "configs").glob("*.yaml")):
        header = "".join(line for line in config.read_text().splitlines(keepends=True) if line.startswith("#"))
        claims = [int(n) for n in re.findall(r"\b(\d+) runs\b", header)]
        claims += [int(n) for line in readme.splitlines() if f"configs/{config.name}" in line
                   for n in re.findall(r"\b(\d+) runs\b", line)]
        if not claims:
            continue
        try:
            planned = len(load_plan(config).runs)
        except Exception as exc:  # noqa: BLE001 - a config that needs a local fit first says so
            pytest.skip(f"{config.name}: {exc}")
        assert set(claims) == {planned}, (config.name, claims, planned)
