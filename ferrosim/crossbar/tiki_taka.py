"""The transfer of the Tiki-Taka family: one column of the fast array A read into the digital
buffer H, whose whole-threshold parts become single pulses on the slow array C.

aihwkit 1.2.0's CPU rules (rpu_buffered_transfer_device.cpp, rpu_chopped_transfer_device.cpp,
rpu_dynamic_transfer_device.cpp), for column k and each row i, with y_i the read of A[i, k]:

    tiki_taka_v2 (kind 0):  w = H + y*lr_scale                         H in weight units
                            n = trunc(w / thres), |n| <= bl
    chopped_tt_v2 (kind 1): w = H + s_ik*y*lr_scale                     H in pulses (threshold 1)
                            n = trunc(w) if |w| >= 1
    agad (kind 2):          past_mean <- running_mean at a chopper phase's first read
                            w = H + s_ik*(y - past_mean)*lr_scale,      n as chopped_tt_v2
                            running_mean <- (1-mu)*running_mean + mu*y
    after firing (n != 0):  H = momentum*w (forget_buffer) or w - (1-momentum)*n*unit
    C[i, k]: one pulse up (n > 0) or down (n < 0): aihwkit's transfer update has desired_bl 1,
    so every nonzero n is exactly one pulse; agad writes nothing during its warm-up.

The read `y` is A's weight plus Gaussian read noise, quantised to `r_step` and clipped at
`out_bound` (aihwkit's transfer_forward IOParameters with noise and bound management off), or
exact when `perfect`. Transfer number t of a layer draws its read noise and the c2c noise of its
C pulses from stream (key, t), row after row (both values of each Box-Muller pair are used).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ferrosim.crossbar.deterministic import deterministic_pulsed_update
from ferrosim.crossbar.pulse import pulse_step
from ferrosim.crossbar.rng import derive_key, next_uniform, seed_state
from ferrosim.crossbar.sgd import pulsed_sgd_update

TTV2, CHOPPED, AGAD = 0, 1, 2
KINDS = {"tiki_taka_v2": TTV2, "chopped_tt_v2": CHOPPED, "agad": AGAD}


@njit(cache=True, inline="always")
def _normal(rs, spare):
    """A standard normal from stream `rs`, both Box-Muller values used: (rs, z, spare) where
    `spare` is the next value (nan when none is held)."""
    if not math.isnan(spare):
        return rs, spare, math.nan
    rs, u1 = next_uniform(rs)
    rs, u2 = next_uniform(rs)
    r = math.sqrt(-2.0 * math.log(1.0 - u1))  # 1 - u1 lies in (0, 1]: a finite log
    return rs, r * math.cos(2.0 * math.pi * u2), r * math.sin(2.0 * math.pi * u2)


@njit(cache=True, nogil=True)
def transfer_column(kind, k, w_a, buf, lr_scale, unit, momentum, forget_buffer, bl, col_sign, row_sign,
                    running_mean, past_mean, new_phase, mu, write, perfect, out_noise, r_step, out_bound,
                    key, transfer_index,
                    g, model, a_up, a_down, w_min, w_max, gamma_up, gamma_down, c2c, noisy, t_g0, t_dg, t_vals,
                    counts, w_c, g_ref, scale, ops):
    """Transfer column k of A (weights `w_a`) through the buffer `buf` into C (states `g`, weights
    `w_c`). `unit`: the firing threshold (tiki_taka_v2: thres_scale * C's granularity in weight
    units; the others: 1). `ops[0]` counts buffer read-add-writes; `counts` the pulses on C."""
    rs = seed_state(derive_key(key, np.uint64(transfer_index)))
    spare = math.nan
    for i in range(w_a.shape[0]):
        y = float(w_a[i, k])
        if not perfect:
            if out_noise > 0.0:
                rs, z, spare = _normal(rs, spare)
                y += out_noise * z
            if r_step > 0.0:
                y = np.rint(y / r_step) * r_step
            if out_bound > 0.0:
                y = min(max(y, -out_bound), out_bound)
        s = col_sign[k] * row_sign[i]
        if kind == TTV2:
            omega = buf[i, k] + y * lr_scale
            n = math.trunc(omega / unit)
        else:
            if kind == AGAD:
                if new_phase:
                    past_mean[i, k] = running_mean[i, k]
                omega = buf[i, k] + s * (y - past_mean[i, k]) * lr_scale
                running_mean[i, k] = (1.0 - mu) * running_mean[i, k] + mu * y
            else:
                omega = buf[i, k] + s * y * lr_scale
            n = math.trunc(omega) if abs(omega) >= 1.0 else 0.0
        ops[0] += 1
        if n > bl:
            n = bl
        elif n < -bl:
            n = -bl
        if n != 0.0:
            if forget_buffer:
                omega *= momentum
            else:
                omega -= (1.0 - momentum) * n * unit
        buf[i, k] = omega
        if n != 0.0 and write:
            xi = 0.0
            if noisy:
                rs, xi, spare = _normal(rs, spare)
            gik = pulse_step(model, g[i, k], n > 0.0, a_up[i, k], a_down[i, k], w_min[i, k], w_max[i, k],
                             gamma_up, gamma_down, c2c, xi, t_g0, t_dg, t_vals)
            g[i, k] = gik
            w_c[i, k] = scale * (gik - g_ref[i, k])
            counts[0 if n > 0.0 else 1] += 1


@njit(cache=True, nogil=True)
def fast_updates_and_transfers(
    kind, xs, ds, lr_a, eps_a, bl_max, update_management, bl_management, implicit, x_res, d_res, key_a, sample0,
    ga, model_a, a_up_a, a_down_a, w_min_a, w_max_a, gamma_up_a, gamma_down_a, c2c_a, noisy_a, t_g0_a, t_dg_a, t_vals_a,
    x_idx, x_cnt, x_sgn, px, counts_a, p_up_a, p_down_a, w_a, g_ref_a, scale_a,
    every, columns, ints, lr_t, lr_scale, unit, momentum, forget_buffer, col_sign, row_sign, buf,
    running_mean, past_mean, switched, period, in_chop_prob, in_chop_random, mu,
    perfect, out_noise, r_step, out_bound, key_t, key_chop,
    g, model, a_up, a_down, w_min, w_max, gamma_up, gamma_down, c2c, noisy, t_g0, t_dg, t_vals,
    counts, w_c, g_ref, scale, ops, auto, maxima, tau, auto_lr,
):
    """One layer's samples in order: the (chopper-signed) pulsed update of A, then a transfer
    of the next column whenever the sample count reaches a multiple of `every`.
    `ints` = [samples seen, next column, full passes, transfers]: updated in place. With `auto`
    (auto_scale), A's learning rate per sample is `auto_lr / (m_x m_d)` (device units), the
    running maxima `maxima` = [m_x, m_d] following max|x| and max|d| with weight `tau`."""
    x = np.empty((1, xs.shape[1]), dtype=xs.dtype)
    d = np.empty((1, ds.shape[1]), dtype=ds.dtype)
    for b in range(xs.shape[0]):
        if auto:
            vx = 0.0
            for j in range(xs.shape[1]):
                vx = max(vx, abs(float(xs[b, j])))
            vd = 0.0
            for i in range(ds.shape[1]):
                vd = max(vd, abs(float(ds[b, i])))
            for q, v in ((0, vx), (1, vd)):
                if maxima[q] <= 0.0:
                    maxima[q] = v
                elif v > 0.0:
                    maxima[q] = (1.0 - tau) * maxima[q] + tau * v
            lr_a = auto_lr
            if maxima[0] > 0.0 and maxima[1] > 0.0:
                lr_a = auto_lr / (maxima[0] * maxima[1])
        for j in range(xs.shape[1]):
            x[0, j] = xs[b, j] * col_sign[j]
        for i in range(ds.shape[1]):
            d[0, i] = ds[b, i] * row_sign[i]
        if implicit:
            deterministic_pulsed_update(
                ga, x, d, lr_a, eps_a, bl_max, update_management, bl_management, x_res, d_res, key_a, sample0 + b,
                model_a, a_up_a, a_down_a, w_min_a, w_max_a, gamma_up_a, gamma_down_a, c2c_a, noisy_a, t_g0_a,
                t_dg_a, t_vals_a, counts_a, p_up_a, p_down_a, w_a, g_ref_a, scale_a, px)
        else:
            pulsed_sgd_update(
                ga, x, d, lr_a, eps_a, bl_max, update_management, bl_management, key_a, sample0 + b,
                model_a, a_up_a, a_down_a, w_min_a, w_max_a, gamma_up_a, gamma_down_a, c2c_a, noisy_a, t_g0_a,
                t_dg_a, t_vals_a, x_idx, x_cnt, x_sgn, counts_a, p_up_a, p_down_a, w_a, g_ref_a, scale_a)
        ints[0] += 1
        if every <= 0 or ints[0] % every != 0:
            continue
        col, passes, index = ints[1], ints[2], ints[3]
        if lr_t != 0.0:
            new_phase, write = False, True
            if kind == AGAD:
                new_phase = switched[col]
                switched[col] = False
                write = passes > period
            transfer_column(kind, col, w_a, buf, lr_scale, unit, momentum, forget_buffer, 1.0, col_sign, row_sign,
                            running_mean, past_mean, new_phase, mu, write, perfect, out_noise, r_step, out_bound,
                            key_t, index, g, model, a_up, a_down, w_min, w_max, gamma_up, gamma_down, c2c, noisy,
                            t_g0, t_dg, t_vals, counts, w_c, g_ref, scale, ops)
            # the column's chopper switches after its transfer
            flip = False
            if kind == CHOPPED and in_chop_prob > 0.0:
                if in_chop_random:
                    flip = chopper_uniform(key_chop, index) < in_chop_prob
                else:
                    flip = passes % period + 1 == period
            elif kind == AGAD:
                flip = passes % period + 1 == period
                if in_chop_random and not flip:
                    flip = chopper_uniform(key_chop, index) < in_chop_prob
                if flip:
                    switched[col] = True
            if flip:
                col_sign[col] = -col_sign[col]
        ints[1] = (col + 1) % columns
        if col == columns - 1:
            ints[2] += 1
        ints[3] += 1


@njit(cache=True)
def chopper_uniform(key, index):
    """The uniform draw of a random chopper at transfer `index` (stream (key, index))."""
    return next_uniform(seed_state(derive_key(key, np.uint64(index))))[1]


__all__ = ["AGAD", "CHOPPED", "KINDS", "TTV2", "chopper_uniform", "fast_updates_and_transfers",
           "transfer_column"]
