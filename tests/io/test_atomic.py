"""Outputs are written atomically and leave no temporary file behind on any failure."""

from __future__ import annotations

import os

import pytest

from ferrosim.errors import InputError
from ferrosim.io.atomic import atomic_write, check_output_dir, check_output_file


def test_a_failed_write_leaves_neither_half_a_file_nor_a_temporary(tmp_path, monkeypatch):
    target = tmp_path / "d.yaml"
    target.write_text("old\n")

    def full_disk(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(OSError):
        atomic_write(target, "new\n")
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.yaml"]


def test_writing_over_a_folder_leaves_no_temporary(tmp_path):
    folder = tmp_path / "out.yaml"
    folder.mkdir()
    with pytest.raises(OSError):
        atomic_write(folder, "x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.yaml"]


def test_device_file_writer_is_atomic(tmp_path, monkeypatch):
    from ferrosim.device.fit_run import fit_path

    data = tmp_path / "m.csv"
    data.write_text("pulse_width,cycle,direction,pulse,conductance_S\n" + "".join(
        f"20ns,0,{d},{k},{1e-9 * (1 + (k if d == 'up' else 5 - k) / 10):.3e}\n" for d in ("up", "down") for k in range(6)))
    monkeypatch.setattr(os, "replace", lambda *a: (_ for _ in ()).throw(OSError(28, "No space left on device")))
    with pytest.raises(OSError):
        fit_path(data, tmp_path / "d.yaml", figures=False)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_output_paths_are_checked(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(InputError, match="is a folder"):
        check_output_file(tmp_path, "--csv")
    with pytest.raises(InputError, match="does not exist"):
        check_output_file(tmp_path / "no" / "x.csv", "--csv")
    with pytest.raises(InputError, match="is a file"):
        check_output_dir(tmp_path / "f", "--out")
    with pytest.raises(InputError, match="is a file"):
        check_output_dir(tmp_path / "f" / "sub", "--out")
    check_output_file(tmp_path / "new.csv", "--csv")  # fine: a new file in a writable folder
    check_output_dir(tmp_path / "a" / "b", "--out")  # fine: created below a writable folder
