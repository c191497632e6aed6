"""Issue 27 (the second outside attack), problems 4, 12 and 17, and two found beside them: what
a sweep config says is what trains, and a wrong type is a bad input (exit 2, one line)."""

from __future__ import annotations

import copy

import pytest
import yaml
from cli.test_cli import ferrosim, one_error_line

from ferrosim.config import RunConfig, parse_run_config
from ferrosim.errors import InputError
from ferrosim.sweeps.plan import load_plan

from .test_population import plan_of, population  # noqa: F401 - the fixture

BASE = """\
name: tiny
seed: [0]
dataset: {name: digits, train_subset: 120, test_subset: 60}
network: {hidden: [8]}
training: {epochs: 1, batch_size: 1, lr: 0.1}
"""


@pytest.mark.parametrize("device", [{"name": "OTHER-1"}, {"name": "SYN-HZO-B"}, {"pulse_width": "200us"},
                                    {"file": "other.yaml"}])
def test_per_algorithm_cannot_move_the_device_of_a_population_sweep(population, device):
    """Problem 4: `per_algorithm: {sgd: {device: {name: SYN-HZO-B}}}` in a sweep over `SYN-*`
    trained SYN-HZO-B in runs labelled SYN-HZO-A, and dropped SYN-HZO-B's own sgd runs."""
    plan_of(population, "SYN-*")  # writes pop.yaml
    cfg = yaml.safe_load((population / "pop.yaml").read_text())
    cfg["per_algorithm"] = {"sgd": {"device": device}}
    (population / "pop.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    key = next(iter(device))
    with pytest.raises(InputError, match=rf"per_algorithm.sgd.device.{key} is set run by run by the population "
                                         "sweep") as err:
        load_plan(population / "pop.yaml")
    assert err.value.line is not None


def test_per_algorithm_device_settings_that_keep_the_device_still_work(population):
    plan_of(population, "SYN-*")
    cfg = yaml.safe_load((population / "pop.yaml").read_text())
    cfg["per_algorithm"] = {"sgd": {"update": {"pulse_type": "deterministic_implicit"}}}
    (population / "pop.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    runs = load_plan(population / "pop.yaml").runs
    sgd = [r for r in runs if r.config.algorithm == "sgd"]
    assert all(r.axes["device.name"] == r.config.device.name for r in sgd)  # labelled as trained
    assert {r.config.device.name for r in sgd} == {"SYN-HZO-A", "SYN-HZO-B"}
    assert {r.config.update.pulse_type for r in sgd} == {"deterministic_implicit"}


@pytest.mark.parametrize("extra,needle", [
    ("io: {preset: [a, b]}", "io: unknown preset ['a', 'b']"),
    ("io: {preset: {a: 1}}", "io: unknown preset {'a': 1}"),
    ("device: {file: 123}", "device.file: expected the path of a device file, got 123"),
    ("device: {file: [a.yaml]}", "device.file: expected the path of a device file"),
    ("sweep: {algorithm: [[sgd]]}", "algorithm: Input should be 'ideal'"),
    ("per_algorithm: {[sgd]: {training: {lr: 1}}}", "a key must be a plain name, not a list or a mapping"),
])
def test_a_value_of_the_wrong_type_is_a_bad_input(tmp_path, extra, needle):
    """Problem 12: these ended in a Python TypeError (exit 1): unhashable type, not a path."""
    (tmp_path / "s.yaml").write_text(BASE + extra + "\n" + ("" if extra.startswith("sweep") else
                                                           "sweep: {algorithm: [sgd]}\n"))
    proc = ferrosim("sweep", str(tmp_path / "s.yaml"), "--out", str(tmp_path / "out"), "--dry-run")
    assert proc.returncode == 2, proc.stderr
    line = one_error_line(proc)
    assert needle in line and "s.yaml:6:" in line, line
    assert not (tmp_path / "out").exists()


def _leaves(node: dict, prefix=()):
    for key, value in node.items():
        if isinstance(value, dict) and value:
            yield from _leaves(value, prefix + (key,))
        else:
            yield prefix + (key,), value


def test_no_value_of_any_type_anywhere_in_a_config_raises_anything_but_an_input_error():
    """Problem 12 at its root: every setting of a run config, set to a list, a mapping, a word,
    a huge number, a negative one, a boolean or nothing, is refused as bad input or accepted;
    never a Python error."""
    base = RunConfig().model_dump(mode="json")
    crashes = []
    for loc, _ in _leaves(base):
        for wrong in ([1, 2], {"a": 1}, "x", 1e300, -1, True, None):
            data = copy.deepcopy(base)
            node = data
            for key in loc[:-1]:
                node = node[key]
            node[loc[-1]] = wrong
            try:
                parse_run_config(data)
            except InputError:
                pass
            except Exception as exc:  # noqa: BLE001 - what the test looks for
                crashes.append(f"{'.'.join(loc)}={wrong!r}: {type(exc).__name__}: {exc}")
    for section in ("io", "device"):
        for wrong in ({"preset": [1]}, {"preset": {"a": 1}}, {"file": {"a": 1}}, [1], "x", 3):
            try:
                parse_run_config({**base, section: wrong})
            except InputError:
                pass
            except Exception as exc:  # noqa: BLE001
                crashes.append(f"{section}={wrong!r}: {type(exc).__name__}: {exc}")
    assert not crashes, "\n".join(crashes[:10])


def test_a_device_named_with_pattern_characters_is_that_device(population):
    """Problem 17: `device.name: 'ID[1]'` (or with `*`, `?`) was read as a glob pattern, which
    matches no name with those characters, so the device could not be swept at all."""
    data = yaml.safe_load((population / "devices.yaml").read_text())
    data["devices"] = {"ID[1]*?": data["devices"]["SYN-HZO-A"], "ID1x": data["devices"]["SYN-HZO-B"]}
    (population / "devices.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    runs = plan_of(population, "ID[1]*?", widths=("20ns", "2us"))
    assert {d for d, _, a in runs if a == "sgd"} == {None}  # one device: not a population axis
    plan = load_plan(population / "pop.yaml")
    assert {r.config.device.name for r in plan.runs if r.config.algorithm == "sgd"} == {"ID[1]*?"}
    # a pattern that names no device exactly is still a pattern
    assert {d for d, _, a in plan_of(population, "ID[1]*", widths=None) if a == "sgd"} == {"ID1x"}


@pytest.mark.parametrize("seed_line,sweep_line", [
    ("seed: [0, 1]", "sweep: {algorithm: [sgd], seed: [5]}"),
    ("training: {epochs: [1, 2], batch_size: 1, lr: 0.1}", "sweep: {algorithm: [sgd], training.epochs: [3]}"),
])
def test_a_setting_swept_in_two_places_is_refused(tmp_path, seed_line, sweep_line):
    """Found beside problem 12: `seed: [0, 1]` and `sweep: {seed: [5]}` swept seeds 0 and 1 and
    silently dropped 5 (one list replaced the other)."""
    text = BASE.replace("seed: [0]", seed_line) if seed_line.startswith("seed") else \
        BASE.replace("training: {epochs: 1, batch_size: 1, lr: 0.1}", seed_line)
    (tmp_path / "s.yaml").write_text(text + sweep_line + "\n")
    with pytest.raises(InputError, match=r"is swept twice \(at line 6 and here\): one or the other") as err:
        load_plan(tmp_path / "s.yaml")
    assert err.value.line in (2, 5)
