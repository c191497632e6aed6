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
def _add_column(chi_col, vec, scale, eps):
    """chi_col += vec * scale over the outputs, in float64 (one vectorised loop): at batch 1 vec
    is c*d and scale the input x_j, the product `(c*d_i) * x_j` of an output-major add; at a few
    samples vec is the float32 sum over the mini-batch and scale c, the product of `accumulate`.
    Returns (how many entries are at |chi| >= eps, 1 + the index of the last of them)."""
    n = 0
    last = 0
    for i in range(chi_col.shape[0]):
        v = chi_col[i] + vec[i] * scale
        chi_col[i] = v
        hit = abs(v) >= eps
        n += hit
        last = max(last, (i + 1) * hit)
    return n, last


def column_work(n_out: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The scratch of `accumulate_rank1_and_transfer` and `accumulate_batch_and_transfer` for a
    layer of `n_out` outputs."""
    return np.empty(n_out), np.empty(5 * n_out + 1, dtype=np.int64), np.empty(n_out, dtype=np.float32)


@njit(cache=True, inline="always")
def _grown(a, size):
    b = np.empty(size, dtype=a.dtype)
    b[:a.shape[0]] = a
    return b


@njit(cache=True, nogil=True)
def accumulate_rank1_and_transfer(
    g, chi, x, d, c, eps, max_pulses, key, transfer_index,
    model, a_up, a_down, w_min, w_max, gamma_up, gamma_down, c2c, noisy, t_g0, t_dg, t_vals,
    counts, w, g_ref, scale, work,
):
    """Batch 1, transfer every sample: chi += c * d x^T, then transfer the devices whose input
    and error were nonzero. Valid because after every uncapped transfer all |chi| < eps, so no
    other device can have reached a whole pulse. Same random stream per row as `transfer_pulses`,
    walked over the devices that fire, in input order. `work`: `column_work(n_out)`, scratch kept
    between calls.

    Input-major (issue 26): `chi` is (n_out, n_in) as everywhere, best stored column-major
    (`MixedPrecisionUpdater` does so at batch 1) so that the column of input j is contiguous. A
    sample adds only the columns of its nonzero inputs (about 150 of MNIST's 784 pixels), each in
    one vectorised loop over the outputs that also counts the devices it brought to eps and finds
    the last of them: most columns have none, most others one; only those with several are
    scanned again. The hits are grouped by row (input order kept) and fired row by row, each
    row from its own stream. Every entry gets the same single add as in an output-major pass, and
    every row fires the same devices in the same order, so the result is the same bit for bit
    whatever the layout. Rows whose error is 0 are
    not fired (their entries get a zero add, which leaves them as they were). A device still at
    eps after a capped transfer fires when its input and error are nonzero again."""
    n_out, n_in = g.shape
    ct = chi.T  # (n_in, n_out): contiguous columns when chi is column-major
    cd, ints, _ = work
    for i in range(n_out):
        cd[i] = c * d[i]
    start = ints[:n_out + 1]
    fill = ints[n_out + 1:2 * n_out + 1]
    hit_i = ints[2 * n_out + 1:3 * n_out + 1]  # replaced by larger arrays when a sample has more hits
    hit_j = ints[3 * n_out + 1:4 * n_out + 1]
    start[:] = 0
    n_hits = 0
    for j in range(n_in):
        if x[j] == 0.0:
            continue
        n, last = _add_column(ct[j], cd, x[j], eps)
        if n == 0:
            continue
        if n_hits + n > hit_i.shape[0]:  # a sample with more hits than rows: room for them
            hit_i, hit_j = _grown(hit_i, 2 * (n_hits + n)), _grown(hit_j, 2 * (n_hits + n))
        # the common case, one hit that the add found, written out (through `_record_hits`, even
        # inlined, this kernel took 20-40% longer); a row without error is at eps only after a cap
        if n == 1:
            if d[last - 1] == 0.0:
                continue
            hit_i[n_hits] = last - 1
            hit_j[n_hits] = j
            start[last] += 1
            n_hits += 1
            continue
        n_hits = _record_hits(ct[j], j, n, last, eps, d, hit_i, hit_j, start, n_hits)
    if n_hits:
        _fire_hits(g, chi, hit_i, hit_j, n_hits, start, fill, ints[4 * n_out + 1:], eps, max_pulses, key,
                   transfer_index, model, a_up, a_down, w_min, w_max, gamma_up, gamma_down, c2c, noisy, t_g0,
                   t_dg, t_vals, counts, w, g_ref, scale)


@njit(cache=True, nogil=True, inline="always")
def _record_hits(col, j, n, last, eps, d, hit_i, hit_j, start, n_hits):
    """Append the entries of column j at |chi| >= eps whose row has an error (d[i] != 0: a row
    without one can be at eps only after a capped transfer) to (hit_i, hit_j), which have room
    for n more, counting each row's in start[i + 1]. n, last: their count and 1 + the last one's
    index, from the add (one found needs no scan). Returns the new number of hits."""
    if n == 1:  # the common case
        if d[last - 1] != 0.0:
            hit_i[n_hits] = last - 1
            hit_j[n_hits] = j
            start[last] += 1
            n_hits += 1
        return n_hits
    for i in range(last):
        if abs(col[i]) >= eps and d[i] != 0.0:
            hit_i[n_hits] = i
            hit_j[n_hits] = j
            start[i + 1] += 1
            n_hits += 1
    return n_hits


@njit(cache=True, nogil=True, inline="always")
def _fire_hits(g, chi, hit_i, hit_j, n_hits, start, fill, scratch, eps, max_pulses, key, transfer_index,
               model, a_up, a_down, w_min, w_max, gamma_up, gamma_down, c2c, noisy, t_g0, t_dg, t_vals,
               counts, w, g_ref, scale):
    """Fire the devices (hit_i[h], hit_j[h]) found in input order: grouped by row (a counting
    sort; `start[i + 1]` holds row i's count), each row from its own stream (key, transfer, row)
    in input order, as `transfer_pulses` walks them."""
    n_out = start.shape[0] - 1
    # the hits grouped by row, input order kept within a row (a counting sort)
    for i in range(n_out):
        start[i + 1] += start[i]
    cols = scratch if n_hits <= scratch.shape[0] else np.empty(n_hits, dtype=np.int64)
    fill[:] = start[:n_out]
    for h in range(n_hits):
        cols[fill[hit_i[h]]] = hit_j[h]
        fill[hit_i[h]] += 1
    tkey = derive_key(key, uint64(transfer_index))
    for i in range(n_out):
        if start[i + 1] == start[i]:
            continue
        rs = seed_state(derive_key(tkey, uint64(i)))
        for m in range(start[i], start[i + 1]):
            rs = _fire(g, chi, i, cols[m], eps, max_pulses, rs, model, a_up, a_down, w_min, w_max,
                       gamma_up, gamma_down, c2c, noisy, t_g0, t_dg, t_vals, w, g_ref, scale, counts)


@njit(cache=True, nogil=True)
def accumulate_batch_and_transfer(
    g, chi, xs, ds, c, eps, key, transfer_index,
    model, a_up, a_down, w_min, w_max, gamma_up, gamma_down, c2c, noisy, t_g0, t_dg, t_vals,
    counts, w, g_ref, scale, work,
):
    """A mini-batch of a few samples, a transfer after it, no cap on the pulses: what `_outer`
    (dw = ds^T xs in float32, summed in sample order), `accumulate` (chi += c * dw) and
    `transfer_pulses` do, input-major (issue 26). Only the columns of inputs that are nonzero in
    some sample of the mini-batch change (elsewhere dw is 0); each gets its float32 sum over the
    samples, in sample order, and its float64 add, the same operations as the dense form, in one
    vectorised loop over the outputs that also finds the entries at eps. With no cap, every other
    entry is below eps after the last transfer, so the transfer fires the same devices, row by
    row from the same streams in input order: the same numbers, bit for bit. `chi`: best
    column-major. `work`: `column_work(n_out)`."""
    n_out, n_in = g.shape
    nb = xs.shape[0]
    ct = chi.T
    _, ints, acc = work
    start = ints[:n_out + 1]
    fill = ints[n_out + 1:2 * n_out + 1]
    hit_i = ints[2 * n_out + 1:3 * n_out + 1]
    hit_j = ints[3 * n_out + 1:4 * n_out + 1]
    start[:] = 0
    n_hits = 0
    for j in range(n_in):
        used = False
        for q in range(nb):
            if xs[q, j] != 0.0:
                used = True
                break
        if not used:
            continue
        acc[:] = 0.0
        for q in range(nb):
            xq = xs[q, j]
            if xq == 0.0:
                continue
            dq = ds[q]
            for i in range(n_out):
                acc[i] += dq[i] * xq
        n, last = _add_column(ct[j], acc, c, eps)
        if n:
            if n_hits + n > hit_i.shape[0]:
                hit_i, hit_j = _grown(hit_i, 2 * (n_hits + n)), _grown(hit_j, 2 * (n_hits + n))
            # a row with no error in the whole mini-batch got a zero add: not at eps (no cap)
            n_hits = _record_hits(ct[j], j, n, last, eps, acc, hit_i, hit_j, start, n_hits)
    if n_hits:
        _fire_hits(g, chi, hit_i, hit_j, n_hits, start, fill, ints[4 * n_out + 1:], eps, 0, key, transfer_index,
                   model, a_up, a_down, w_min, w_max, gamma_up, gamma_down, c2c, noisy, t_g0, t_dg, t_vals,
                   counts, w, g_ref, scale)
