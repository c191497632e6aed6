"""The house rules of docs/architecture.md, read from the source: no import cycles, imports go
down the layers, no file over 600 lines."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "ferrosim"
MAX_LINES = 600


def layer_table() -> dict[str, int]:
    """Module prefix -> layer, from the table in docs/architecture.md."""
    layers = {}
    for line in (REPO / "docs" / "architecture.md").read_text(encoding="utf-8").splitlines():
        m = re.match(r"\|\s*(\d+)\s*\|([^|]*)\|", line)
        if m:
            for name in re.findall(r"`(ferrosim[\w.]*)`", m.group(2)):
                layers[name] = int(m.group(1))
    return layers


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(REPO).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def import_graph(mods: dict[str, Path]) -> dict[str, set[str]]:
    """module -> the ferrosim modules it imports (anywhere in the file, lazy imports included;
    `from ferrosim.x import name` counts as importing `ferrosim.x.name` when that is a module)."""
    graph: dict[str, set[str]] = {}
    for name, path in mods.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                candidates = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join(base + ([node.module] if node.module else []))
                else:
                    base = node.module or ""
                candidates = [f"{base}.{a.name}" for a in node.names] + [base]
            else:
                continue
            for target in candidates:
                while target and target not in mods:
                    target = target.rpartition(".")[0]
                if target.startswith("ferrosim") and target != name:
                    targets.add(target)
        graph[name] = targets
    return graph


def layer_of(module: str, table: dict[str, int]) -> int | None:
    best = None
    for prefix in table:
        if module == prefix or module.startswith(prefix + "."):
            if best is None or len(prefix) > len(best):
                best = prefix
    return None if best is None else table[best]


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, children = work[-1]
            for w in children:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
    return out


@pytest.fixture(scope="module")
def graph():
    return import_graph(modules())


def test_the_layer_table_names_every_module():
    table = layer_table()
    assert len(set(table.values())) >= 8, table
    unplaced = [m for m in modules() if layer_of(m, table) is None]
    assert not unplaced, f"modules in no layer of docs/architecture.md: {unplaced}"


def test_no_import_cycles(graph):
    assert cycles(graph) == []


def test_imports_go_down_the_layers(graph):
    table = layer_table()
    upward = [f"{m} (layer {layer_of(m, table)}) imports {t} (layer {layer_of(t, table)})"
              for m, targets in sorted(graph.items()) for t in sorted(targets)
              if layer_of(t, table) > layer_of(m, table)]
    assert upward == []


def test_no_file_over_600_lines():
    long = {str(p.relative_to(REPO)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_the_checks_see_a_cycle_and_an_upward_import():
    """The checker itself: a made-up graph with a cycle and an upward edge is caught."""
    made_up = {"ferrosim.io.a": {"ferrosim.io.b"}, "ferrosim.io.b": {"ferrosim.io.a", "ferrosim.reports.x"},
               "ferrosim.reports.x": set()}
    assert cycles(made_up) == [["ferrosim.io.a", "ferrosim.io.b"]]
    table = layer_table()
    assert layer_of("ferrosim.reports.x", table) > layer_of("ferrosim.io.b", table)
    assert layer_of("ferrosim.version", table) == 0
