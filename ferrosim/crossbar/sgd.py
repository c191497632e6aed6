"""Fully parallel pulsed SGD update: aihwkit's stochastic-compressed pulse trains.

DESIGN.md section 4. For each sample, with `k = lr*max|x|*max|d|/eps`:

    BL = min(ceil(k), BL_max)              (update-BL management; BL_max otherwise)
    A = B = sqrt(lr/(eps*BL))
    A *= sqrt(max|x|/max|d|), B *= sqrt(max|d|/max|x|)   (update management)

(aihwkit's `rpu_pulsed_meta_parameter.cpp`; see `pulse_train_scales` for its two details.)

In each of the BL slots input j fires with probability min(B|x_j|, 1) and error i with
min(A|d_i|, 1); every coincidence is one pulse on device (i, j), down when x_j*d_i > 0 (the
weight must fall), up otherwise. Then E[pulses_ij] = lr|d_i x_j|/eps and E[dW] ~= -lr d x^T
in the linear regime. Pulses of a sample are applied in slot order; samples in batch order.

Random streams (see `rng`): the input bits of a sample come from stream (key, sample, 0),
row i's error bits and its c2c noise from stream (key, sample, i + 1). Rows touch disjoint
devices, so the result does not depend on the order rows are processed in.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, uint64

from ferrosim.crossbar.pulse import pulse_step
from ferrosim.crossbar.rng import (bits53_threshold, derive_key, derive_key_hashed, index_hash,
                                   next_bits53, next_normal, next_uniform, seed_state)


@njit(cache=True, inline="always")
def pulse_train_scales(lr, x_max, d_max, eps, bl_max, update_management, bl_management):
    """(BL, A, B) of one sample: BL slots, A scales the error side, B the input side.

    Follows aihwkit's `calculateBlAB`/`performUpdateManagement`: update-BL management implies
    update management, and when k exceeds BL the error side is the one scaled down, so the
    input side fires with probability at most 1 and the error side saturates.
    """
    k = lr * x_max * d_max / eps
    if bl_management:
        bl = min(max(int(math.ceil(k)), 1), bl_max)
    else:
        bl = bl_max
    a = math.sqrt(lr / (eps * bl))
    b = a
    if update_management or bl_management:
        d_val = d_max
        if k > bl_max:
            d_val *= bl_max / k
        a *= math.sqrt(x_max / d_val)
        b *= math.sqrt(d_val / x_max)
    return bl, a, b


@njit(cache=True, inline="always")
def sample_scales(x, d, lr, eps, bl_max, update_management, bl_management):
    """`pulse_train_scales` of one sample from its inputs x and errors d; BL = 0 (no pulses)
    when either is all zero."""
    x_max = 0.0
    for j in range(x.shape[0]):
        x_max = max(x_max, abs(x[j]))
    d_max = 0.0
    for i in range(d.shape[0]):
        d_max = max(d_max, abs(d[i]))
    if x_max == 0.0 or d_max == 0.0:
        return 0, 0.0, 0.0
    return pulse_train_scales(lr, x_max, d_max, eps, bl_max, update_management, bl_management)


@njit(cache=True, inline="always")
def fire(g, w, i, j, up, keep, rs, noisy, model, a_up, a_down, w_min, w_max, gamma_up, gamma_down,
         c2c, t_g0, t_dg, t_vals, g_ref, scale):
    """One pulse on device (i, j), unless thinned (fires with probability `keep`; no draw when
    it is 1); c2c noise from the row stream `rs`. Keeps the float32 weight in step.
    Returns (rs, fired). (`pulsed_sgd_update` writes the same steps out in its innermost loop:
    calling this there, inlined or not, made its MNIST epochs twice as slow, 0.69 -> 1.34 s.)"""
    if keep < 1.0:
        rs, u_keep = next_uniform(rs)
        if u_keep >= keep:
            return rs, False
    xi = 0.0
    if noisy:
        rs, xi = next_normal(rs)
    gij = pulse_step(model, g[i, j], up, a_up[i, j], a_down[i, j], w_min[i, j], w_max[i, j],
                     gamma_up, gamma_down, c2c, xi, t_g0, t_dg, t_vals)
    g[i, j] = gij
    w[i, j] = scale * (gij - g_ref[i, j])
    return rs, True


@njit(cache=True, nogil=True)
def pulsed_sgd_update(
    g, xs, ds, lr, eps, bl_max, update_management, bl_management, key, sample0,
    model, a_up, a_down, w_min, w_max, gamma_up, gamma_down, c2c, noisy, t_g0, t_dg, t_vals,
    x_idx, x_cnt, x_sgn, counts, p_up, p_down, w, g_ref, scale,
):
    """Apply the pulse trains of samples `xs[b]`, `ds[b]` (in order) to device states `g`.

    g: (n_out, n_in) float64 device states, updated in place. xs: (batch, n_in) inputs (bias
    column included); ds: (batch, n_out) errors, so the requested change is -lr * d x^T (in
    units of g). eps: granularity (the step a pulse is assumed to make). key/sample0: random
    stream and index of the first sample (a global sample counter keeps streams unique).
    x_idx (bl_max, n_in) int32, x_cnt (bl_max,) int32, x_sgn (n_in,) int8: scratch buffers.
    counts: int64 [pulses_up, pulses_down], accumulated in place.
    p_up, p_down: per-device probability that a coincidence fires its pulse (`sgd_balanced`
    thins the stronger direction; all ones for plain sgd, which then draws no extra numbers).
    w, g_ref, scale: the float32 weights `scale*(g - g_ref)` the network reads, kept in step
    with every pulse (so reading the weights costs nothing per sample).
    """
    n_out, n_in = g.shape
    nz_idx = np.empty(n_in, dtype=np.int32)  # once per call, not per sample or pulse
    nz_thr = np.empty(n_in, dtype=np.uint64)
    row_hash = np.empty(n_out, dtype=np.uint64)  # the sample-independent half of each row's key
    for i in range(n_out):
        row_hash[i] = index_hash(uint64(i + 1))
    for b in range(xs.shape[0]):
        x = xs[b]
        d = ds[b]
        bl, a_scale, b_scale = sample_scales(x, d, lr, eps, bl_max, update_management, bl_management)
        if bl == 0:
            continue
        skey = derive_key(key, uint64(sample0 + b))

        # Input side: for each slot, the list of inputs that fire. Only nonzero inputs draw
        # (most MNIST pixels are 0), in index order, so the stream is the same as a full scan.
        # `u < p` is compared as integers (bits53_threshold), and written without a branch:
        # the index is stored anyway and the count moves on only when the input fires.
        st = seed_state(derive_key(skey, uint64(0)))
        n_nz = 0
        for j in range(n_in):
            x_sgn[j] = 1 if x[j] > 0 else -1
            if x[j] != 0.0:
                nz_idx[n_nz] = j
                nz_thr[n_nz] = bits53_threshold(b_scale * abs(x[j]))
                n_nz += 1
        for t in range(bl):
            n = 0
            for m in range(n_nz):
                st, r = next_bits53(st)
                x_idx[t, n] = nz_idx[m]
                n += r < nz_thr[m]
            x_cnt[t] = n

        # Error side, row by row: each firing slot of row i meets that slot's inputs.
        n_up = 0
        n_down = 0
        for i in range(n_out):
            if d[i] == 0.0:
                continue
            thr = bits53_threshold(a_scale * abs(d[i]))
            d_pos = d[i] > 0
            rs = seed_state(derive_key_hashed(skey, row_hash[i]))
            for t in range(bl):
                rs, r = next_bits53(rs)
                if r >= thr:
                    continue
                for m in range(x_cnt[t]):
                    j = x_idx[t, m]
                    # sign(x_j * d_i) > 0 asks for a smaller weight: a down pulse.
                    up = (x_sgn[j] > 0) != d_pos
                    keep = p_up[i, j] if up else p_down[i, j]
                    # `fire`, written out: a call here halves the kernel's speed (see `fire`)
                    if keep < 1.0:
                        rs, u_keep = next_uniform(rs)
                        if u_keep >= keep:
                            continue
                    xi = 0.0
                    if noisy:
                        rs, xi = next_normal(rs)
                    gij = pulse_step(model, g[i, j], up, a_up[i, j], a_down[i, j],
                                     w_min[i, j], w_max[i, j], gamma_up, gamma_down, c2c, xi,
                                     t_g0, t_dg, t_vals)
                    g[i, j] = gij
                    w[i, j] = scale * (gij - g_ref[i, j])
                    if up:
                        n_up += 1
                    else:
                        n_down += 1
        counts[0] += n_up
        counts[1] += n_down


def scratch_buffers(bl_max: int, n_in: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The kernel's scratch buffers for one layer (allocated once per run)."""
    return (
        np.zeros((bl_max, n_in), dtype=np.int32),
        np.zeros(bl_max, dtype=np.int32),
        np.zeros(n_in, dtype=np.int8),
    )
