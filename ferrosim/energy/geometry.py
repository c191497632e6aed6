"""The device area the energy terms need: from measurements.yaml, or from the device name."""

from __future__ import annotations

import math
import re

from ferrosim.io.measurement_data import DeviceGeometry

_RADIUS = re.compile(r"([A-Z])R(\d+(?:\.\d+)?)")


def device_area(geometry: DeviceGeometry, device_name: str) -> tuple[float | None, str]:
    """(area in um^2 or None, where it came from): the sidecar's `geometry.area_um2`, else a
    radius in the device name (IDnnnZR15000: a circle of radius 15000 nm, the HZO naming)."""
    if geometry.area_um2 is not None:
        return geometry.area_um2, "area from measurements.yaml"
    match = _RADIUS.search(device_name)
    if match is None:
        return None, "no device area: give geometry.area_um2 in measurements.yaml"
    radius_um = float(match.group(2)) / 1000.0
    area = math.pi * radius_um**2
    shape = "circle" if match.group(1) == "Z" else f"{match.group(1)}R shape taken as a circle"
    return area, f"area {area:.4g} um^2 from the device name ({shape} of radius {radius_um:g} um)"
