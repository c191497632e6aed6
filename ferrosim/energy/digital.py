"""Digital arithmetic and memory by technology: the per-operation energies that price mixed
precision's gradient products and accumulator (and the Tiki-Taka buffers), per preset node.

`energy.digital.node` names a row of `NODES`; `energy.digital_costs` overrides single figures of
it. Each figure is the energy of one operation (J):

- `fp_mult_J`: one multiply of the node's arithmetic (an 8-bit integer multiply for `7nm_int8`);
- `fp_add_J`: one add of the accumulating width (FP32; a 32-bit integer add for `7nm_int8`);
- `sram_access_J`: one 32-bit access (read or write) of an 8 KB SRAM.

A gradient product costs `fp_mult_J + fp_add_J` (multiplied and summed in a register), an
accumulator update `2 sram_access_J + fp_add_J` (read, add, write), as in
`ferrosim.energy.model.DigitalParams`.

Sources and derivations (docs/physics.md, "Energy", gives the same table):

- **45nm_fp32** (the default; every figure ferrosim priced before the presets): M. Horowitz,
  "Computing's energy problem (and what we can do about it)", ISSCC 2014, 45 nm at 0.9 V: FP32
  multiply 3.7 pJ, FP32 add 0.9 pJ; a 64-bit access of an 8 KB cache 10 pJ, of which a 32-bit
  access is taken as half, 5 pJ (as Han et al., "Learning both weights and connections for
  efficient neural networks", NeurIPS 2015).
- **7nm_fp32**: N. P. Jouppi et al., "Ten lessons from three generations shaped Google's
  TPUv4i", ISCA 2021, Table 2 (Horowitz's table updated to 7 nm; reprinted in Hennessy &
  Patterson's Computer Architecture): FP32 multiply 1.31 pJ, FP32 add 0.38 pJ, 8 KB SRAM access
  7.5 pJ. That row is Horowitz's 64-bit access, so a 32-bit access is again taken as half,
  3.75 pJ (derived; a reader who takes the row as a 32-bit read, as some reprints label it,
  sets `digital_costs.sram_access_J: 7.5e-12`).
- **7nm_int8**: the same table: 8-bit integer multiply 0.07 pJ; the products are accumulated in
  32 bits, as integer DNN hardware does (TPUv1 collects its 8-bit MACs' products in 32-bit
  accumulators: Jouppi et al., "In-datacenter performance analysis of a Tensor Processing
  Unit", ISCA 2017), so the add is the 32-bit integer add, 0.03 pJ, and the accumulator word a
  32-bit SRAM access, 3.75 pJ as in `7nm_fp32` (derived). Only the multiply is 8-bit: an 8-bit
  accumulator could not hold mixed precision's sub-threshold increments.
- **16nm_fp32**: derived, no published per-operation table was found at 16 nm. Each figure is
  the 45 nm one carried toward the 7 nm one, `E16 = E45 (E7 / E45)^f`, by the fraction `f` of
  the 45 -> 7 nm energy scaling that A. Stillmaker and B. Baas, "Scaling equations for the
  accurate prediction of CMOS device performance from 180 nm to 7 nm", Integration 58, 74-81
  (2017), predict by 16 nm: their energy factor `a V^2 + b V + c` (PTM high-performance
  coefficients, `STILLMAKER_BAAS_HP`) at 45 nm and 0.9 V (Horowitz's supply), 16 nm at 0.85 V
  and 7 nm at 0.7 V (PTM's nominal supplies) gives `f = ln(S16/S45) / ln(S7/S45) = 0.604`.
  Their factors alone (45 -> 7 nm: x0.068) predict far larger savings than the 7 nm chip
  figures show (x0.35 for the FP32 multiply: logic, wires and SRAM improved less and unequally,
  Jouppi et al. 2021's first lesson), so they set only the shape between the two published
  endpoints. A plain log-linear interpolation in feature size (f = 0.556) would give figures
  3-5% higher.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

DEFAULT_NODE = "45nm_fp32"


@dataclass(frozen=True)
class DigitalNode:
    """The per-operation energies (J) of one technology preset and where they come from."""

    name: str
    fp_mult_J: float
    fp_add_J: float
    sram_access_J: float
    arithmetic: str
    """What the multiply and add are, e.g. `FP32 multiply and add`."""
    source: str
    """One line: the publication, or how the figures were derived from publications."""


NODES: dict[str, DigitalNode] = {n.name: n for n in (
    DigitalNode("45nm_fp32", 3.7e-12, 0.9e-12, 5.0e-12, "FP32 multiply and add",
                "Horowitz, ISSCC 2014 (45 nm, 0.9 V); SRAM: half his 64-bit 8 KB access (Han et al. 2015)"),
    DigitalNode("16nm_fp32", 1.98e-12, 0.535e-12, 4.20e-12, "FP32 multiply and add",
                "derived: 45 nm figures carried toward the 7 nm ones by Stillmaker & Baas 2017's "
                "energy scaling (f = 0.604)"),
    DigitalNode("7nm_fp32", 1.31e-12, 0.38e-12, 3.75e-12, "FP32 multiply and add",
                "Jouppi et al., ISCA 2021, Table 2 (7 nm); SRAM: half the 64-bit 8 KB access"),
    DigitalNode("7nm_int8", 0.07e-12, 0.03e-12, 3.75e-12, "INT8 multiply, INT32 add and accumulator",
                "Jouppi et al., ISCA 2021, Table 2 (7 nm): Int8 multiply, Int32 add; "
                "32-bit SRAM word as 7nm_fp32"),
)}
"""The presets, by name (`energy.digital.node`)."""

STILLMAKER_BAAS_HP = {45: (1.018, -0.3107, 0.1539), 16: (0.2958, -0.1241, 0.03024), 7: (0.1776, -0.09097, 0.02447)}
"""Energy-factor coefficients (a, b, c of a V^2 + b V + c) of Stillmaker & Baas 2017 for the PTM
high-performance models at 45, 16 and 7 nm (as transcribed in UCLA NanoCAD's nodeScale, GitHub
wromaszkan/nodeScale, whose 32 nm row matches the paper's corrigendum)."""
SUPPLY_V = {45: 0.9, 16: 0.85, 7: 0.7}
"""The supplies the factors are evaluated at: Horowitz's 0.9 V at 45 nm; PTM's nominal below."""


def stillmaker_baas_fraction(node_nm: int = 16) -> float:
    """The fraction f of the 45 -> 7 nm energy scaling reached at `node_nm` (0.604 at 16 nm)."""

    def factor(n: int) -> float:
        a, b, c = STILLMAKER_BAAS_HP[n]
        v = SUPPLY_V[n]
        return a * v * v + b * v + c

    return math.log(factor(node_nm) / factor(45)) / math.log(factor(7) / factor(45))


def node_names() -> str:
    """The valid names, comma-separated (for error messages)."""
    return ", ".join(NODES)


__all__ = ["DEFAULT_NODE", "DigitalNode", "NODES", "STILLMAKER_BAAS_HP", "SUPPLY_V", "node_names",
           "stillmaker_baas_fraction"]
