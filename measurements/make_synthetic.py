#!/usr/bin/env python3
"""Generate the SYNTHETIC example measurement set in this folder (nothing here was measured).

One made-up ferroelectric HfO2/ZrO2 (HZO) synapse, "SYN-HZO-A" (circular, 5 um^2), programmed
with trains of IDENTICAL pulses at five pulse widths (20ns, 200ns, 2us, 20us, 200us): per pulse
width 3 cycles of a depression (down) ramp followed by a potentiation (up) ramp, the conductance
read after every pulse. The state follows the soft-bounds rule of DESIGN.md section 2 in
normalised units,

    up:   g += a_up   * (1 - g/w_max) * (1 + c2c*xi)
    down: g -= a_down * (1 - g/w_min) * (1 + c2c*xi),   xi ~ N(0, 1), g clipped to [w_min, w_max],

plus a small additive read noise on every read, then mapped linearly to siemens. The parameters
follow the published pulse-width trends of these devices (see PARAMETERS below, each with its
basis); they are illustrative choices, not a fit to any real device.

Writes, next to this script (or into --out DIR):
  SYN-HZO-A_<pw>.csv  long CSV (DESIGN.md section 3): device, pulse_width, cycle, direction,
                      pulse, amplitude_V, conductance_S, source (= "synthetic" on every row)
  measurements.yaml   sidecar (ferrosim.io.measurement_data.Sidecar): synthetic: true, provenance,
                      geometry, amplitude per pulse width (no energies: none were measured)

Deterministic: a fixed seed and fixed number formatting, so a rerun gives byte-identical files.
Needs only numpy.  Usage:  python measurements/make_synthetic.py [--out DIR]
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np

SEED = 20240924
"""Base seed; pulse width i draws from default_rng([SEED, i]) so each file is independent."""

DEVICE = "SYN-HZO-A"

AREA_UM2 = 5.0
"""Device area (circle of radius ~1.26 um). Sets the conductance scale below and, in the
fitter's energy estimate, the capacitance C = eps0*eps_r*A/t."""
THICKNESS_NM = 10.0
PERMITTIVITY = 30.0
"""Typical HZO film values (the Sidecar defaults; eps_r ~ 25-40, Mueller et al., Nano Lett. 12,
4318 (2012))."""

REF_AREA_UM2 = math.pi * 5.0**2
"""Area of the real ID170ZR5000 device (circle, r = 5 um) whose conductance ranges we scale from
(../shared/data/hzo/README.md: 'Conductance scales with area')."""

N_CYCLES = 3
BURN_IN_CYCLES = 1
"""Unrecorded down/up cycles from g = 0 first, so the recorded trace starts on the device's
steady down/up loop (as a preconditioned real device would)."""

READ_NOISE = 0.001
"""Std of the additive read noise in normalised units (0.05% of the [-1, 1] range): small next to
the smallest mean step (~0.015 at 20 ns), so the step spread is dominated by c2c."""

W_MIN, W_MAX = -1.2, 1.2
"""Soft-bounds saturation levels (normalised). The ramps stop short of them (the step vanishes
at the bound), so the read states cover roughly [-1, 1.15] of the siemens map below."""

# PARAMETERS per pulse width, with their basis.
#
# * a_down (normalised step at g = 0) grows with pulse width as (pw/20ns)**0.175, i.e. x5 over
#   four decades (0.015 -> 0.075): longer pulses switch a larger fraction of ferroelectric domains
#   per pulse (nucleation-limited switching, switched fraction rising ~log(t): Tagantsev et al.,
#   PRB 66, 214109 (2002)); hence shorter pulses give smaller steps and more states.
# * pulses per ramp: N = round(3.0/a_down) -> 200 at 20 ns down to 40 at 200 us, so that a ramp
#   crosses most of the range at every pulse width (the real amplitude ramps use 60-100 pulses;
#   the larger count at 20 ns mirrors the finer steps).
# * a_up/a_down: 1.5 at 20 ns easing to 1.3 at 200 us (potentiation steps larger than
#   depression steps: the real devices' LTP and LTD responses differ strongly, e.g. NL_LTP 0.81
#   vs NL_LTD -3.36 for ID170ZR5000 at 20 ns). The slow decline with pulse width is an
#   illustrative assumption, not a published trend.
# * c2c: 0.20 at 20 ns down to 0.12 at 200 us (cycle-to-cycle spread ~10-20%; assumed larger for
#   short pulses, which switch fewer domains so their count fluctuates relatively more).
# * amplitude (constant within a ramp): depression +4.5 V at 20 ns to +2.5 V at 200 us,
#   potentiation -3.7 V to -2.5 V; negative amplitude potentiates as on the real devices. Basis:
#   the end voltages of the real ID170ZR5000 amplitude ramps (VEndPos 5.0, 4.1, 4.1, 3.7, 3.2 V;
#   VEndNeg -3.7, -3.3, -2.9, -3.0, -2.5 V for 20 ns .. 200 us): shorter pulses need larger
#   voltage, and potentiation needs less than depression.
# * conductance at g = -1 and g = +1 (S): ID170ZR5000's measured G range per pulse width
#   (1.64-7.65, 1.59-8.49, 1.28-9.91, 1.17-11.5, 1.18-12.1 nS) times AREA_UM2/REF_AREA_UM2;
#   the range grows with pulse width, mostly at the top.
PULSE_WIDTHS = ["20ns", "200ns", "2us", "20us", "200us"]
RATIO_UP_DOWN = [1.50, 1.45, 1.40, 1.35, 1.30]
C2C = [0.20, 0.18, 0.16, 0.14, 0.12]
AMPLITUDE_DOWN_V = [4.5, 4.0, 3.5, 3.0, 2.5]
AMPLITUDE_UP_V = [-3.7, -3.4, -3.1, -2.8, -2.5]
REF_G_RANGE_S = [(1.64e-9, 7.65e-9), (1.59e-9, 8.49e-9), (1.28e-9, 9.91e-9),
                 (1.17e-9, 11.5e-9), (1.18e-9, 12.1e-9)]

EPS0 = 8.8541878128e-12  # F/m


def parameters() -> list[dict]:
    """The generator's parameters per pulse width (normalised units unless a name says S/V)."""
    scale = AREA_UM2 / REF_AREA_UM2
    rows = []
    for i, pw in enumerate(PULSE_WIDTHS):
        a_down = 0.015 * 10.0 ** (0.175 * i)  # i = decades above 20 ns
        g_lo, g_hi = (g * scale for g in REF_G_RANGE_S[i])
        rows.append(dict(
            pulse_width=pw, a_up=RATIO_UP_DOWN[i] * a_down, a_down=a_down, w_min=W_MIN, w_max=W_MAX,
            c2c=C2C[i], n_pulses=int(round(3.0 / a_down)), amplitude_up_V=AMPLITUDE_UP_V[i],
            amplitude_down_V=AMPLITUDE_DOWN_V[i], g_minus1_S=g_lo, g_plus1_S=g_hi))
    return rows


def simulate(p: dict, rng: np.random.Generator) -> list[tuple[int, str, int, float]]:
    """(cycle, direction, pulse, conductance_S) per read: down then up ramps, N_CYCLES recorded."""
    centre, half = 0.5 * (p["g_plus1_S"] + p["g_minus1_S"]), 0.5 * (p["g_plus1_S"] - p["g_minus1_S"])
    g = 0.0
    rows = []
    for cycle in range(1 - BURN_IN_CYCLES, N_CYCLES + 1):
        for direction in ("down", "up"):
            xi = rng.standard_normal(p["n_pulses"])
            noise = rng.standard_normal(p["n_pulses"]) * READ_NOISE
            for k in range(p["n_pulses"]):
                if direction == "up":
                    g += p["a_up"] * (1.0 - g / p["w_max"]) * (1.0 + p["c2c"] * xi[k])
                else:
                    g -= p["a_down"] * (1.0 - g / p["w_min"]) * (1.0 + p["c2c"] * xi[k])
                g = min(max(g, p["w_min"]), p["w_max"])
                if cycle >= 1:
                    rows.append((cycle, direction, k + 1, centre + half * (g + noise[k])))
    return rows


CONDUCTANCE_DURING_PULSE_S = 7.4e-7
"""Device conductance while a programming pulse is applied (an ASSUMPTION, not a published
number): HZO tunnel-type synapses conduct far more at 2.5-4.5 V than at the read voltage, and
the published ~3 pJ per 20 ns pulse needs about this much conduction on top of C*V^2. It makes
the V^2*G*pw term rise with the pulse width, so energy per pulse grows with pw although shorter
pulses use larger amplitudes. Written to measurements.yaml; the fitter uses it for the estimate."""


def capacitance_F() -> float:
    return EPS0 * PERMITTIVITY * AREA_UM2 * 1e-12 / (THICKNESS_NM * 1e-9)


def write_csv(path: Path, p: dict, rows) -> None:
    lines = ["device,pulse_width,cycle,direction,pulse,amplitude_V,conductance_S,source"]
    for cycle, direction, pulse, g_S in rows:
        amp = p["amplitude_up_V"] if direction == "up" else p["amplitude_down_V"]
        lines.append(f"{DEVICE},{p['pulse_width']},{cycle},{direction},{pulse},{amp:.2f},{g_S:.6e},synthetic")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")


def write_sidecar(path: Path, params: list[dict]) -> None:
    lines = [
        "# SYNTHETIC example data: generated by measurements/make_synthetic.py, not measured.",
        "# Schema: ferrosim.io.measurement_data.Sidecar. No energy_per_pulse_J is given because none",
        "# was measured: the fitter estimates E = C*V^2 + V^2*G*pw from the geometry, the amplitude",
        "# and conductance_during_pulse_S (an assumed value, see make_synthetic.py).",
        "synthetic: true",
        f"provenance: \"SYNTHETIC device {DEVICE}, generated (not measured) by measurements/make_synthetic.py "
        f"(seed {SEED}): soft-bounds steps with c2c and read noise, parameters following published "
        "HfO2/ZrO2 pulse-width trends; see measurements/README.md\"",
        f"device_name: {DEVICE}",
        "geometry:",
        f"  area_um2: {AREA_UM2:g}",
        f"  thickness_nm: {THICKNESS_NM:g}",
        f"  permittivity: {PERMITTIVITY:g}",
        "# amplitude_V: magnitude of the depression pulses (the larger of the two directions); the",
        "# CSV files also give each pulse's signed amplitude (negative = potentiation).",
        "pulse_widths:",
    ]
    for p in params:
        lines.append(f"  {p['pulse_width']}:")
        lines.append(f"    amplitude_V: {max(abs(p['amplitude_up_V']), abs(p['amplitude_down_V'])):.2f}")
        lines.append(f"    conductance_during_pulse_S: {CONDUCTANCE_DURING_PULSE_S:.2e}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent,
                        help="output folder (default: the folder of this script)")
    out = parser.parse_args(argv).out
    out.mkdir(parents=True, exist_ok=True)
    params = parameters()
    cap = capacitance_F()
    print(f"SYNTHETIC device {DEVICE}: area {AREA_UM2:g} um^2, C = {cap:.3e} F, seed {SEED}")
    print("pw      N   a_up     a_down   w_min  w_max  c2c   V_up   V_down  G range read (S)        E_up/E_down (J)")
    for i, p in enumerate(params):
        rows = simulate(p, np.random.default_rng([SEED, i]))
        write_csv(out / f"{DEVICE}_{p['pulse_width']}.csv", p, rows)
        g = np.array([r[3] for r in rows])
        pw_s = {"ns": 1e-9, "us": 1e-6}[p["pulse_width"][-2:]] * float(p["pulse_width"][:-2])
        e = [cap * v**2 + v**2 * CONDUCTANCE_DURING_PULSE_S * pw_s for v in (p["amplitude_up_V"], p["amplitude_down_V"])]
        print(f"{p['pulse_width']:<6} {p['n_pulses']:>3}  {p['a_up']:.4f}   {p['a_down']:.4f}   "
              f"{p['w_min']:+.1f}   {p['w_max']:+.1f}   {p['c2c']:.2f}  {p['amplitude_up_V']:+.1f}   "
              f"{p['amplitude_down_V']:+.1f}    {g.min():.3e}..{g.max():.3e}  {e[0]:.2e}/{e[1]:.2e}")
    write_sidecar(out / "measurements.yaml", params)
    print(f"wrote {len(params)} CSV files and measurements.yaml to {out}")


if __name__ == "__main__":
    main()
