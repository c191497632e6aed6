"""Mixed-precision transfer: digital accumulator -> device pulses (Nandakumar et al. 2020).

DESIGN.md section 4. Each device (i, j) has a float accumulator `chi[i, j]` of requested state
change (device units). A transfer fires `n = trunc(chi/eps)` pulses (up when n > 0), capped
at `max_pulses` when that is positive, applied one by one through the device response (so
steps shrink near the bounds and carry c2c noise), and keeps the remainder: `chi -= n*eps`.
The accumulator is debited by what was *requested*, not by what the device did: that is the
algorithm (the device's nonlinearity is not measured back).

The float32 weights `w = scale*(g - g_ref)` are kept in step with every device changed.

Random streams: row i of transfer number `t` draws its c2c noise from (key, t, i), so the
result does not depend on the order rows are processed in.
"""

from __future__ import annotations

import numpy as np
from numba import njit, uint64

from ferrosim.crossbar.pulse import pulse_step
from ferrosim.crossbar.rng import derive_key, next_normal, next_uniform, seed_state
from ferrosim.crossbar.sgd import pulse_train_scales


@njit(cache=True, inline="always")
def _fire(g, chi, i, j, eps, max_pulses, rs, model, a_up, a_down, w_min, w_max, gamma_up,
          gamma_down, c2c, noisy, t_g0, t_dg, t_vals, w, g_ref, scale, counts):
    """Transfer device (i, j): trunc(chi/eps) pulses (capped), chi -= n*eps, counted in
    counts[0] (up) or counts[1] (down). Returns the row's random state."""
    n = int(chi[i, j] / eps)  # truncation toward zero
    if n == 0:
        return rs
    if max_pulses > 0:
        if n > max_pulses:
            n = max_pulses
        elif n < -max_pulses:
            n = -max_pulses
    up = n > 0
    m = n if up else -n
    gij = g[i, j]
    for _ in range(m):
        xi = 0.0
        if noisy:
            rs, xi = next_normal(rs)
        gij = pulse_step(model, gij, up, a_up[i, j], a_down[i, j], w_min[i, j], w_max[i, j],
                         gamma_up, gamma_down, c2c, xi, t_g0, t_dg, t_vals)
    g[i, j] = gij
    w[i, j] = scale * (gij - g_ref[i, j])
    chi[i, j] -= n * eps
    counts[0 if up else 1] += m
    return rs


@njit(cache=True, nogil=True)
def transfer_pulses(
    g, chi, eps, max_pulses, key, transfer_index,
    model, a_up, a_down, w_min, w_max, gamma_up, gamma_down, c2c, noisy, t_g0, t_dg, t_vals,
    counts, w, g_ref, scale,
):
    """Move whole `eps` quanta from `chi` to the devices `g` as pulses; counts[0] up, [1] down."""
    n_out, n_in = g.shape
    tkey = derive_key(key, uint64(transfer_index))
    for i in range(n_out):
        rs = seed_state(derive_key(tkey, uint64(i)))
        for j in range(n_in):
            if abs(chi[i, j]) < eps:  # the common case: nothing to fire (no division, no call)
                continue
            rs = _fire(g, chi, i, j, eps, max_pulses, rs, model, a_up, a_down, w_min, w_max,
                       gamma_up, gamma_down, c2c, noisy, t_g0, t_dg, t_vals, w, g_ref, scale, counts)


@njit(cache=True, nogil=True)
def stochastic_transfer_pulses(
    g, chi, eps, max_pulses, eps_device, bl_max, key, transfer_index,
    model, a_up, a_down, w_min, w_max, gamma_up, gamma_down, c2c, noisy, t_g0, t_dg, t_vals,
    counts, w, g_ref, scale, n_row,
):
    """aihwkit's transfer (`MixedPrecRPUDevice::forwardUpdate`): row by row, n = trunc(chi/eps)
    granules are debited from chi and sent as one pulsed update of the outer product e_i n^T
    with learning rate eps, update and update-BL management on (DESIGN.md section 4's rule with
    x = n, d = 1): BL = min(ceil(eps*max|n|/eps_device), bl_max) slots; each slot the row fires
    with probability min(A, 1) and column j with min(B|n_j|, 1), a coincidence is one pulse, up
    where n_j > 0. So device (i, j) gets a random count with mean (eps/eps_device)*|n_j| (at most
    BL), where `transfer_pulses` fires exactly |n_j|. `n_row` is scratch (n_in,). Row i of
    transfer t draws from stream (key, t, i)."""
    n_out, n_in = g.shape
    tkey = derive_key(key, uint64(transfer_index))
    for i in range(n_out):
        n_max = 0.0
        for j in range(n_in):
            n = float(int(chi[i, j] / eps))  # truncation toward zero
            if max_pulses > 0:
                n = min(max(n, -float(max_pulses)), float(max_pulses))
            n_row[j] = n
            if n != 0.0:
                chi[i, j] -= n * eps
                n_max = max(n_max, abs(n))
        if n_max == 0.0:
            continue
        bl, a, b = pulse_train_scales(eps, n_max, 1.0, eps_device, bl_max, True, True)
        p_row = min(a, 1.0)
        rs = seed_state(derive_key(tkey, uint64(i)))
        for _ in range(bl):
            rs, u = next_uniform(rs)
            if u >= p_row:
                continue
            for j in range(n_in):
                n = n_row[j]
                if n == 0.0:
                    continue
                rs, u = next_uniform(rs)
                if u >= min(b * abs(n), 1.0):
                    continue
                up = n > 0.0
                xi = 0.0
                if noisy:
                    rs, xi = next_normal(rs)
                g[i, j] = pulse_step(model, g[i, j], up, a_up[i, j], a_down[i, j], w_min[i, j], w_max[i, j],
                                     gamma_up, gamma_down, c2c, xi, t_g0, t_dg, t_vals)
                w[i, j] = scale * (g[i, j] - g_ref[i, j])
                counts[0 if up else 1] += 1


@njit(cache=True, nogil=True)
def accumulate(chi, dw, c):
    """chi += c * dw without temporaries (dw float32 from BLAS, chi float64)."""
    n_out, n_in = chi.shape
    for i in range(n_out):
        for j in range(n_in):
            chi[i, j] += c * dw[i, j]


@njit(cache=True, nogil=True)
def _add_row(chi_row, x, cd, eps):
    """chi_row += cd * x (float64, one vectorised loop; where x is 0 the add leaves chi exactly
    as it was). Returns (how many |chi| are at least eps, 1 + the index of the last of them)."""
    n = 0
    last = 0
    for j in range(chi_row.shape[0]):
        v = chi_row[j] + cd * x[j]
        chi_row[j] = v
        hit = abs(v) >= eps
        n += hit
        last = max(last, (j + 1) * hit)
    return n, last


@njit(cache=True, nogil=True)
def accumulate_rank1_and_transfer(
    g, chi, x, d, c, eps, max_pulses, key, transfer_index,
    model, a_up, a_down, w_min, w_max, gamma_up, gamma_down, c2c, noisy, t_g0, t_dg, t_vals,
    counts, w, g_ref, scale,
):
    """Batch 1, transfer every sample: chi += c * d x^T, then transfer the devices whose input
    was nonzero (x_j != 0 and d_i != 0), in one pass per row. Valid because after every uncapped
    transfer all |chi| < eps, so no other device can have reached a whole pulse. Same random
    stream per row as `transfer_pulses`, walked over the visited columns only.

    Each row's add runs over the span of nonzero inputs as one vectorised loop (adding c*d_i*0
    changes nothing), which also counts the devices of the row at eps or beyond and finds the
    last: most rows of a sample have none, most others one; only rows with several are scanned.
    (A device at x_j = 0 still at eps after a capped transfer is counted but not fired, as
    before.)"""
    n_out, n_in = g.shape
    tkey = derive_key(key, uint64(transfer_index))
    nz = np.empty(n_in, dtype=np.int64)
    n_nz = 0
    for j in range(n_in):
        if x[j] != 0.0:
            nz[n_nz] = j
            n_nz += 1
    if n_nz == 0:
        return
    lo = nz[0]
    hi = nz[n_nz - 1] + 1
    xs = x[lo:hi]
    for i in range(n_out):
        if d[i] == 0.0:
            continue
        n_hit, last = _add_row(chi[i, lo:hi], xs, c * d[i], eps)
        if n_hit == 0:
            continue
        rs = seed_state(derive_key(tkey, uint64(i)))
        if n_hit == 1:  # the common case: no scan for it
            j = lo + last - 1
            if x[j] != 0.0:
                _fire(g, chi, i, j, eps, max_pulses, rs, model, a_up, a_down, w_min, w_max,
                      gamma_up, gamma_down, c2c, noisy, t_g0, t_dg, t_vals, w, g_ref, scale, counts)
            continue
        for m in range(n_nz):
            j = nz[m]
            if abs(chi[i, j]) < eps:
                continue
            rs = _fire(g, chi, i, j, eps, max_pulses, rs, model, a_up, a_down, w_min, w_max,
                       gamma_up, gamma_down, c2c, noisy, t_g0, t_dg, t_vals, w, g_ref, scale, counts)
