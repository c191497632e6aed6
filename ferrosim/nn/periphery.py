"""The analog periphery of a layer's matrix-vector products, as aihwkit's `IOParameters`.

An analog tile does not compute `W x` exactly. Its inputs pass a DAC (`inp_res` steps over
[-inp_bound, inp_bound]), its outputs get read noise (`out_noise`, Gaussian per output and
product) and an ADC (`out_res` steps over [-out_bound, out_bound], clipped there). Two digital
helpers make the best of that range, per sample (aihwkit `ForwardBackwardPassIOManaged`):

- noise management `abs_max`: the input vector is divided by its largest |value| before the
  DAC and the output multiplied back, so the DAC range is used in full;
- bound management `iterative` (forward only): while an output is clipped, the product is
  repeated with the input halved again (factor 2, 4, ...), up to `max_bm_factor`, or until
  the factor passes `max_bm_res / input step` (the input would lose its resolution).

Outputs at |y| >= 0.999 * out_bound of the forward pass pass no error to the layer below in
the backward pass, even when the I/O is otherwise perfect (aihwkit's `AnalogFunction`).

Numbers and steps follow aihwkit 1.2.0 (`rpu_forward_backward_pass.cpp`,
`rpu_pulsed_meta_parameter.cpp`): resolutions are fractions of the full range (a value above 1
is a number of steps), rounding is to nearest-even (rint) and every operation is float32. The
random draws come from one numpy generator per run (reproducible, bit for bit).
"""

from __future__ import annotations

import functools
import math
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from numba import njit

DTYPE = np.float32
MASK_FRACTION = 0.999
"""aihwkit's `get_forward_out_bound`: an output counts as at the bound from 0.999 * out_bound."""


def resolution_step(res: float, bound: float) -> float:
    """The DAC/ADC step in signal units: `res` as a fraction of the full range 2*bound (a value
    above 1 is a number of steps, aihwkit's `checkRes`); 0 when there is no resolution limit."""
    if res <= 0 or bound <= 0 or not math.isfinite(bound):
        return 0.0
    fraction = 1.0 / res if res > 1 else res
    return float(DTYPE(fraction) * DTYPE(2.0 * bound))


@dataclass(frozen=True)
class IOPass:
    """One direction's periphery, resolved to the numbers the kernels use."""

    perfect: bool = True
    inp_step: float = 0.0
    inp_bound: float = math.inf
    out_step: float = 0.0
    out_bound: float = math.inf
    out_noise: float = 0.0
    noise_management: bool = False
    bound_management: bool = False
    max_bm_factor: int = 1000
    max_bm_res: float = 0.25

    @classmethod
    def from_config(cls, cfg, *, forward: bool) -> "IOPass":
        """From an `io.forward` / `io.backward` section (ferrosim.config)."""
        if cfg.is_exact:
            return cls(perfect=True)
        inp_bound = cfg.inp_bound if cfg.inp_bound > 0 else math.inf
        out_bound = cfg.out_bound if cfg.out_bound > 0 else math.inf
        bm = {}
        if forward:  # aihwkit has no bound management in the backward pass
            bm = {"bound_management": cfg.bound_management == "iterative",
                  "max_bm_factor": cfg.max_bm_factor, "max_bm_res": cfg.max_bm_res}
        return cls(perfect=False, inp_step=resolution_step(cfg.inp_res, inp_bound), inp_bound=inp_bound,
                   out_step=resolution_step(cfg.out_res, out_bound), out_bound=out_bound,
                   out_noise=cfg.out_noise, noise_management=cfg.noise_management == "abs_max", **bm)

    @functools.cached_property
    def float32(self) -> tuple[np.float32, ...]:
        """(inp_step, inp_bound, out_noise, out_step, out_bound) as the kernels take them."""
        return tuple(DTYPE(v) for v in (self.inp_step, self.inp_bound, self.out_noise, self.out_step,
                                        self.out_bound))

    @property
    def max_reduction(self) -> float:
        """Bound management stops once the reduction factor passes this (aihwkit's test)."""
        limit = float(self.max_bm_factor)
        if self.inp_step > 0:
            limit = min(limit, self.max_bm_res / self.inp_step)
        return limit


@njit(cache=True, nogil=True, inline="always")
def _abs_max(xr, word):
    """max |xr[j]| of a float32 row: |v| orders as its bits without the sign, a max that
    vectorises (14x faster than a float max loop). `word`: a uint32 array of one, scratch for
    turning the bits back into the float."""
    bits = xr.view(np.uint32)
    m = np.uint32(0)
    for j in range(xr.shape[0]):
        u = bits[j] & np.uint32(0x7FFFFFFF)
        m = u if u > m else m
    word[0] = m
    return word.view(np.float32)[0]


@njit(cache=True, nogil=True)
def dac_row(xr, row, noise_management, reduction, step, bound, word):
    """The input side of one managed product of the float32 vector `xr`, written to `row`
    (aihwkit's prepareInput): scale = 1 / (max|xr| * reduction) under noise management
    (1 / reduction without; 0 for an all-zero vector, whose output is zero), and
    row = clip(rint(xr * scale / step) * step, -bound, bound) in float32 (no rounding when step
    is 0). `word`: a uint32 array of one (scratch). Returns the scale."""
    s = np.float32(1.0)
    if noise_management:
        amax = _abs_max(xr, word)
        s = np.float32(s / amax) if amax > 0 else np.float32(0.0)
    s = np.float32(s / reduction)
    if step > 0:
        for j in range(xr.shape[0]):
            v = np.float32(np.rint(xr[j] * s / step)) * step
            row[j] = min(max(v, -bound), bound)
    else:
        for j in range(xr.shape[0]):
            row[j] = min(max(xr[j] * s, -bound), bound)
    return s


@njit(cache=True, nogil=True)
def adc_row(yr, nr, noise_std, step, bound, s):
    """The output side of one managed product, in place (aihwkit's finalizeOutput and
    rescaling): yr += noise_std * nr, rounded to the step, clipped to +-bound, then divided by
    the input's scale `s` (a zero scale, an all-zero input, gives exactly 0). Returns whether an
    output was beyond the bound."""
    if s == 0:
        yr[:] = 0.0
        return False
    inv = np.float32(1.0) / s
    hit = False
    for i in range(yr.shape[0]):
        v = yr[i] + noise_std * nr[i] if noise_std > 0 else yr[i]
        if step > 0:
            v = np.float32(np.rint(v / step)) * step
        hit |= (v > bound) | (v < -bound)
        yr[i] = min(max(v, -bound), bound) * inv
    return hit


@njit(cache=True)
def _dac(x, noise_management, reduction, step, bound):
    """`dac_row` of every row b of the C-contiguous float32 `x`. Returns (out, scale)."""
    out = np.empty_like(x)
    scale = np.empty(x.shape[0], dtype=np.float32)
    word = np.empty(1, dtype=np.uint32)
    for b in range(x.shape[0]):
        scale[b] = dac_row(x[b], out[b], noise_management, reduction, step, bound, word)
    return out, scale


@njit(cache=True)
def _adc(y, noise, noise_std, step, bound, scale):
    """`adc_row` of every row b of `y`, in place. Returns (clipped, n): clipped[b] says an
    output of row b was beyond the bound, n how many rows were."""
    clipped = np.zeros(y.shape[0], dtype=np.bool_)
    n = 0
    for b in range(y.shape[0]):
        hit = adc_row(y[b], noise[b] if noise_std > 0 else y[b], noise_std, step, bound, scale[b])
        clipped[b] = hit
        n += hit
    return clipped, n


class GaussianStream:
    """The standard normal float32 draws of one generator, handed out in order.

    Read noise needs one draw per output and product (778 per MNIST sample in
    784-256-128-10), as many as the rest of a pulsed epoch costs; so blocks of draws are made
    ahead of use on a helper thread (numpy's generators release the GIL), overlapping the
    products. The values and their order are those of `rng.standard_normal` alone, whatever
    the timing: the results are the same, bit for bit.
    """

    BLOCK = 1 << 17
    _executor: ThreadPoolExecutor | None = None
    _lock = threading.Lock()

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._block: np.ndarray | None = None
        self._pos = 0
        self._next: Future | None = None

    def _draw(self) -> np.ndarray:
        return self._rng.standard_normal(self.BLOCK, dtype=DTYPE)

    @classmethod
    def _pool(cls) -> ThreadPoolExecutor:
        with cls._lock:
            if cls._executor is None:
                cls._executor = ThreadPoolExecutor(1, thread_name_prefix="ferrosim-noise")
            return cls._executor

    @classmethod
    def _forget_pool(cls) -> None:
        """A forked child has no helper thread: it starts its own when it needs one."""
        cls._executor = None
        cls._lock = threading.Lock()

    def take(self, shape: tuple[int, int]) -> np.ndarray:
        """The next rows x cols draws, as an array of that shape."""
        n = shape[0] * shape[1]
        pos = self._pos
        if self._block is not None and pos + n < len(self._block):  # the common case, a view
            self._pos = pos + n
            return self._block[pos : pos + n].reshape(shape)
        self._start()
        parts = []
        while n > 0:
            k = min(n, len(self._block) - self._pos)
            parts.append(self._block[self._pos : self._pos + k])
            self._pos += k
            n -= k
            if self._pos == len(self._block):
                self._block = self._next.result()
                self._next = self._pool().submit(self._draw)
                self._pos = 0
        out = parts[0] if len(parts) == 1 else np.concatenate(parts)
        return out.reshape(shape)

    def _start(self) -> None:
        if self._block is None:  # the first request starts the drawing ahead
            self._block = self._draw()
            self._next = self._pool().submit(self._draw)

    def window(self, need: int) -> tuple[np.ndarray, int]:
        """(block, pos): the coming draws are block[pos:], at least `need` of them (what is
        left of the current block is joined to the next ones when fewer are left). For a
        compiled caller that takes them in order and then says how far it got (`advance_to`);
        `take` goes on from there: the same values in the same order either way."""
        self._start()
        if len(self._block) - self._pos < need:
            parts = [self._block[self._pos:]]
            have = len(parts[0])
            while have < need:
                parts.append(self._next.result())
                self._next = self._pool().submit(self._draw)
                have += len(parts[-1])
            self._block = np.concatenate(parts)
            self._pos = 0
        return self._block, self._pos

    def advance_to(self, pos: int) -> None:
        """The caller of `window` used the block's draws up to `pos`."""
        if not self._pos <= pos <= len(self._block):
            raise ValueError(f"position {pos} outside the window [{self._pos}, {len(self._block)}]")
        self._pos = pos


os.register_at_fork(after_in_child=GaussianStream._forget_pool)

Noise = GaussianStream | np.random.Generator
"""Where read noise comes from: a stream (training) or a generator drawn from directly."""


@njit(cache=True)
def _managed_product(x, w_t, noise, noise_management, reduction, inp_step, inp_bound, out_noise,
                     out_step, out_bound):
    """One try of the managed product of every row of x at one bound-management reduction:
    DAC, product, read noise, ADC, rescaling. Returns (y, clipped, n) as `_adc`."""
    xq, scale = _dac(x, noise_management, reduction, inp_step, inp_bound)
    y = np.dot(xq, w_t)
    clipped, n = _adc(y, noise, out_noise, out_step, out_bound, scale)
    return y, clipped, n


def _managed_pass(x: np.ndarray, w_t: np.ndarray, io: IOPass, rng: Noise,
                  reduction: np.float32) -> tuple[np.ndarray, np.ndarray, int]:
    inp_step, inp_bound, out_noise, out_step, out_bound = io.float32
    shape = (x.shape[0], w_t.shape[1])
    if not out_noise:
        noise = _NO_NOISE  # not read
    elif isinstance(rng, GaussianStream):
        noise = rng.take(shape)
    else:
        noise = rng.standard_normal(shape, dtype=DTYPE)
    return _managed_product(x, w_t, noise, io.noise_management, reduction, inp_step, inp_bound,
                            out_noise, out_step, out_bound)


_NO_NOISE = np.zeros((1, 1), dtype=DTYPE)


def analog_mvm(x: np.ndarray, w_t: np.ndarray, io: IOPass, rng: Noise) -> np.ndarray:
    """`x @ w_t` through the periphery `io`, one managed product per row of `x`.

    `x` is (batch, n_in), `w_t` (n_in, n_out), both float32 and each C- or F-contiguous (e.g.
    `w.T` of a stored weight matrix). Returns a new (batch, n_out) float32 array. Rows whose
    output was clipped are repeated with the input halved again while bound management allows
    (only they draw new noise).
    """
    if io.perfect:
        return x @ w_t
    x = np.ascontiguousarray(x, dtype=DTYPE)
    reduction = DTYPE(1.0)
    out, clipped, n = _managed_pass(x, w_t, io, rng, reduction)
    rows = None
    while n and io.bound_management and reduction <= io.max_reduction:
        rows = np.flatnonzero(clipped) if rows is None else rows[clipped]
        reduction = DTYPE(reduction * 2)
        y, clipped, n = _managed_pass(x[rows], w_t, io, rng, reduction)
        out[rows] = y
    return out


class Periphery:
    """The forward and backward products of every analog layer of one network.

    `forward(k, a, w)` gives layer k's pre-activation from its inputs `a` (bias column
    included) and weights `w`; it records which outputs reached the forward bound, and
    `backward(k, d, w)` applies that mask to the error before carrying it to the layer below.
    With a digital bias the bias is added in float after the analog product (aihwkit
    `digital_bias`), so the DAC, noise management and bound see the inputs alone.
    """

    def __init__(self, forward: IOPass, backward: IOPass, mask_bound: float, digital_bias: bool,
                 rng: np.random.Generator) -> None:
        self.fwd = forward
        self.bwd = backward
        self.mask_bound = DTYPE(MASK_FRACTION * mask_bound) if mask_bound > 0 else None
        self.digital_bias = digital_bias
        self.rng = GaussianStream(rng)
        self._masks: dict[int, np.ndarray] = {}

    @classmethod
    def from_config(cls, io_cfg, digital_bias: bool, rng: np.random.Generator) -> "Periphery | None":
        """The periphery of an `io:` section; None when it changes nothing (exact products)."""
        if io_cfg.is_exact:
            return None
        return cls(IOPass.from_config(io_cfg.forward, forward=True),
                   IOPass.from_config(io_cfg.backward, forward=False), io_cfg.forward.out_bound,
                   digital_bias, rng)

    def with_rng(self, rng: np.random.Generator) -> "Periphery":
        """The same periphery drawing from another generator (test-set evaluation)."""
        return Periphery(self.fwd, self.bwd, 0.0, self.digital_bias, rng)

    def forward(self, k: int, a: np.ndarray, w: np.ndarray) -> np.ndarray:
        if self.digital_bias and not self.fwd.perfect:
            a = a.copy()
            a[:, -1] = 0.0  # the bias input is off: its column adds nothing, sets no scale
            z = analog_mvm(a, w.T, self.fwd, self.rng)
        elif self.digital_bias:
            z = a[:, :-1] @ w[:, :-1].T
        else:
            z = analog_mvm(a, w.T, self.fwd, self.rng)
        if self.mask_bound is not None:
            self._masks[k] = np.abs(z) >= self.mask_bound
        if self.digital_bias:
            z += w[:, -1]
        return z

    def backward(self, k: int, d: np.ndarray, w: np.ndarray) -> np.ndarray:
        """The error `d` at layer k's outputs carried to its inputs (bias input dropped)."""
        mask = self._masks.get(k)
        if mask is not None:
            d = np.where(mask, DTYPE(0.0), d)
        if self.bwd.perfect:
            return d @ w[:, :-1]
        return analog_mvm(d, w, self.bwd, self.rng)[:, :-1]  # the bias row's output is dropped

    def describe(self) -> str:
        """One line for run.json: what the products pass through."""
        def side(p: IOPass) -> str:
            if p.perfect:
                return "exact"
            parts = []
            if p.inp_step:
                parts.append(f"DAC step {p.inp_step:.4g}")
            if math.isfinite(p.inp_bound):
                parts.append(f"inputs within +-{p.inp_bound:g}")
            if p.out_noise:
                parts.append(f"out noise {p.out_noise:g}")
            if p.out_step:
                parts.append(f"ADC step {p.out_step:.4g}")
            if math.isfinite(p.out_bound):
                parts.append(f"outputs clipped at +-{p.out_bound:g}")
            if p.noise_management:
                parts.append("abs-max noise management")
            if p.bound_management:
                parts.append(f"iterative bound management (factor <= {p.max_reduction:g})")
            return ", ".join(parts) or "exact"
        mask = "" if self.mask_bound is None else f"; errors of outputs at |y| >= {self.mask_bound:.4g} not passed down"
        return f"forward: {side(self.fwd)}; backward: {side(self.bwd)}{mask}"
