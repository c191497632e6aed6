"""Run config validation: defaults, flat device form, aihwkit form, one-line errors."""

from pathlib import Path

import pytest

from ferrosim.config import load_run_config, parse_run_config
from ferrosim.device.models import LinearDevice, SoftBoundsDevice
from ferrosim.errors import InputError


def write(tmp_path, text):
    p = tmp_path / "run.yaml"
    p.write_text(text)
    return p


def test_defaults():
    cfg = parse_run_config({})
    assert cfg.algorithm == "sgd" and cfg.dataset.name == "digits"
    assert isinstance(cfg.device.response, SoftBoundsDevice)
    assert cfg.update.bl == 31 and cfg.update.granularity == "aihwkit"


def test_flat_and_aihwkit_device_forms():
    cfg = parse_run_config({"device": {"model": "linear", "a_up": 0.02, "a_down": 0.01, "w_min": -100,
                                       "w_max": 100, "energy_up_J": 1e-12, "energy_down_J": 2e-12}})
    assert isinstance(cfg.device.response, LinearDevice)
    assert cfg.device.response.w_max == 100 and cfg.device.energy_down_J == 2e-12
    aih = parse_run_config({"device": {"model": "softbounds", "dw_min": 0.02, "up_down": 0.5}})
    assert (aih.device.response.a_up, aih.device.response.a_down) == pytest.approx((0.02, 0.01))


def test_unknown_key_names_line_and_suggests(tmp_path):
    p = write(tmp_path, "seed: 1\ntraining:\n  epochs: 3\n  lr_rate: 0.1\n")
    with pytest.raises(InputError) as exc:
        load_run_config(p)
    msg = exc.value.one_line()
    assert msg.startswith(f"{p}:4: unknown key 'training.lr_rate'")
    assert "did you mean 'lr'?" in msg and "\n" not in msg


def test_negative_lr_names_line(tmp_path):
    p = write(tmp_path, "training:\n  lr: -0.1\n")
    with pytest.raises(InputError) as exc:
        load_run_config(p)
    assert exc.value.line == 2 and "training.lr" in exc.value.what and "greater than 0" in exc.value.what


def test_wrong_type_and_unknown_algorithm(tmp_path):
    with pytest.raises(InputError, match="training.epochs"):
        load_run_config(write(tmp_path, "training: {epochs: ten}\n"))
    with pytest.raises(InputError, match="algorithm"):
        load_run_config(write(tmp_path, "algorithm: adam\n"))


def test_device_field_errors_hide_union_tag(tmp_path):
    p = write(tmp_path, "device:\n  model: softbounds\n  a_up: -1\n")
    with pytest.raises(InputError) as exc:
        load_run_config(p)
    assert "device.a_up" in exc.value.what and exc.value.line == 3


def test_malformed_yaml_and_missing_file(tmp_path):
    with pytest.raises(InputError, match="malformed YAML") as exc:
        load_run_config(write(tmp_path, "training: {epochs: 3\n"))
    assert exc.value.line is not None
    with pytest.raises(InputError, match="file not found"):
        load_run_config(tmp_path / "nope.yaml")


def test_overrides(tmp_path):
    p = write(tmp_path, "training: {epochs: 3}\n")
    cfg = load_run_config(p, ["training.lr=0.05", "device.model=linear", "algorithm=ideal"])
    assert cfg.training.lr == 0.05 and cfg.algorithm == "ideal"
    assert isinstance(cfg.device.response, LinearDevice)
    with pytest.raises(InputError, match="KEY=VALUE"):
        load_run_config(p, ["training.lr"])


def test_data_dir_follows_the_one_path_rule(tmp_path, monkeypatch):
    """dataset.data_dir written in a config file is relative to that file; from --set (or a dict)
    relative to the working directory (issue 16, item 3: every path in a config)."""
    from ferrosim.config import load_run_config

    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "c.yaml").write_text("dataset: {name: mnist, data_dir: ../data}\n")
    monkeypatch.chdir(tmp_path / "cfg")  # a working directory where ../data means something else
    cfg = load_run_config(tmp_path / "cfg" / "c.yaml")
    assert Path(cfg.dataset.data_dir) == tmp_path / "cfg" / ".." / "data"
    cfg = load_run_config(tmp_path / "cfg" / "c.yaml", ["dataset.data_dir=here"])
    assert Path(cfg.dataset.data_dir) == tmp_path / "cfg" / "here"  # the working directory's
    monkeypatch.chdir(tmp_path)
    cfg = load_run_config(tmp_path / "cfg" / "c.yaml", ["dataset.data_dir=here"])
    assert Path(cfg.dataset.data_dir) == tmp_path / "here"
