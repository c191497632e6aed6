"""Device files: round trip of a written file, and one-line errors with file:line for bad ones."""

from pathlib import Path

import pytest

from ferrosim.errors import InputError
from ferrosim.device.file import load_device_file

EXAMPLE = Path(__file__).resolve().parents[2] / "devices" / "example-hzo.yaml"


def test_example_device_file_loads():
    data = load_device_file(EXAMPLE)
    assert data.synthetic
    entry = data.entry(None, "200ns")  # one device in the file: the name may be omitted
    assert entry.response.model == "softbounds" and entry.energy_per_pulse_J.source == "estimated"


@pytest.mark.parametrize("edit, needle", [
    (("    pulse_widths:", "    pulse_width:"), "did you mean 'pulse_widths'"),
    (("        response:\n          w_min:", "        response:\n          w_mni:"), "did you mean 'w_min'"),
    (("format: ferrosim-device-file", "format: other"), "not a ferrosim device file"),
])
def test_bad_device_file_names_file_and_line(tmp_path, edit, needle):
    text = EXAMPLE.read_text()
    assert edit[0] in text
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace(edit[0], edit[1], 1))
    with pytest.raises(InputError, match=needle) as err:
        load_device_file(bad)
    assert f"{bad}:" in err.value.one_line() and err.value.line is not None
