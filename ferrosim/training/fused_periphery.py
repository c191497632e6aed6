"""The analog periphery (`io:`) on the fused small-batch path (issue 26).

`network_minibatch_io` is `ferrosim.training.fused.network_minibatch` with every product passed
through the periphery of ferrosim.nn.periphery, by the same row functions (`dac_row`,
`adc_row`) and in the same order of read-noise draws as the batched path's `Periphery`:

- forward, layer by layer: the mini-batch's rows (read noise: n_out draws per row, rows in
  order), then each round of iterative bound management for the rows still clipped, the
  reduction doubled (draws for those rows only), while the reduction allows;
- outputs at |y| >= 0.999 * out_bound (before a digital bias is added) pass no error down;
- backward, from the last layer to the second: the masked errors of the mini-batch's rows
  through the backward periphery (n_in + 1 draws per row, the bias row's output dropped).

So a fused run draws the same read noise at the same places as a batched one; its products sum
in this path's float32 order (as every fused run does), so the two differ in the last bits and
then in their trajectories. The draws come from the run's `GaussianStream`: the caller hands a
window of it to the compiled loop (`noise`, `pos`) and moves the stream on by what was used
(`FusedPeriphery.parts`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ferrosim.nn.periphery import DTYPE, GaussianStream, adc_row, dac_row
from ferrosim.training.network_math import act_grad, activate, back_product, dot, gather_input, loss_and_error


@njit(cache=True, nogil=True, inline="always")
def _product(w, xq, y, lo, hi, with_bias):
    """y[i] = sum_j w[i, j] xq[j] over the span [lo, hi) (the inputs outside it are 0), plus
    the bias input's term when it is on."""
    n_in = w.shape[1] - 1
    for i in range(w.shape[0]):
        z = dot(w[i, lo:hi], xq[lo:hi])
        if with_bias:
            z += w[i, n_in] * xq[n_in]
        y[i] = z


@njit(cache=True, nogil=True)
def _forward_layer(w, A, Z, nb, lo, hi, fwd, digital_bias, noise, pos, xq, rows, clipped, word):
    """The managed product Z[b] = periphery(A[b] @ w.T) of rows b < nb, with bound management.
    lo[b], hi[b]: the span of A[b]'s nonzero inputs (bias column excluded). Returns the new
    noise position."""
    perfect, nm, inp_step, inp_bound, out_noise, out_step, out_bound, bm, max_reduction = fwd
    n_out, n_in1 = w.shape
    n_in = n_in1 - 1
    reduction = np.float32(1.0)
    n_rows = nb
    for b in range(nb):
        rows[b] = b
    while True:
        n_clipped = 0
        for m in range(n_rows):
            b = rows[m]
            a = A[b]
            if digital_bias:  # the bias input is off: it adds nothing and sets no scale
                a[n_in] = 0.0
            s = dac_row(a, xq[:n_in1], nm, reduction, inp_step, inp_bound, word)
            y = Z[b]
            _product(w, xq, y, lo[b], hi[b], not digital_bias)
            nr = noise[pos + m * n_out:pos + (m + 1) * n_out] if out_noise > 0 else y
            hit = adc_row(y, nr, out_noise, out_step, out_bound, s)
            clipped[m] = hit
            n_clipped += hit
            if digital_bias:
                a[n_in] = 1.0
        if out_noise > 0:
            pos += n_rows * n_out
        if n_clipped == 0 or not bm or reduction > max_reduction:
            return pos
        k = 0
        for m in range(n_rows):
            if clipped[m]:
                rows[k] = rows[m]
                k += 1
        n_rows = k
        reduction = np.float32(reduction * 2)


@njit(cache=True, nogil=True)
def _backward_layer(w, dm, out, bwd, noise, pos, xq, word):
    """out[:n_in] = the error dm at w's outputs carried to its inputs through the backward
    periphery (n_in + 1 outputs read, the bias row's dropped). Returns the new noise position."""
    perfect, nm, inp_step, inp_bound, out_noise, out_step, out_bound, bm, max_reduction = bwd
    n_out, n_in1 = w.shape
    s = dac_row(dm, xq[:n_out], nm, np.float32(1.0), inp_step, inp_bound, word)
    back_product(xq, w, out, n_in1)
    nr = noise[pos:pos + n_in1] if out_noise > 0 else out[:n_in1]
    adc_row(out[:n_in1], nr, out_noise, out_step, out_bound, s)
    return pos + n_in1 if out_noise > 0 else pos


@njit(cache=True, nogil=True)
def network_minibatch_io(X, Y, idx, act, Ws, As, Ds, probs, below, digital_bias, io):
    """`network_minibatch` through the periphery `io` = (fwd, bwd, mask_bound, noise, pos,
    scratch): fwd and bwd (perfect, noise_management, inp_step, inp_bound, out_noise, out_step,
    out_bound, bound_management, max_reduction) as float32 where they are numbers; mask_bound
    <= 0: no mask; pos: a one-element array, the position of the next draw in `noise`, moved on
    here; scratch = (Zs, masks, xq, rows, clipped, lo, hi, out, word). Returns (sum of losses,
    number correct)."""
    fwd, bwd, mask_bound, noise, pos_arr, scratch = io
    Zs, masks, xq, rows, clipped, lo, hi, out, word = scratch
    nb = idx.shape[0]
    n_layers = len(Ws)
    pos = pos_arr[0]
    for s in range(nb):
        lo[s], hi[s] = gather_input(X[idx[s]], As[0][s])
    # forward, layer by layer over the mini-batch (the batched path's order of draws)
    for k in range(n_layers):
        w = Ws[k]
        n_out, n_in1 = w.shape
        if k > 0:
            for s in range(nb):
                lo[s] = 0
                hi[s] = n_in1 - 1
        Z = Zs[k]
        if fwd[0]:  # exact forward products
            for s in range(nb):
                a = As[k][s]
                if digital_bias:
                    a[n_in1 - 1] = 0.0
                _product(w, a, Z[s], lo[s], hi[s], True)
                if digital_bias:
                    a[n_in1 - 1] = 1.0
        else:
            pos = _forward_layer(w, As[k], Z, nb, lo, hi, fwd, digital_bias, noise, pos, xq, rows, clipped, word)
        for s in range(nb):
            z = Z[s]
            if mask_bound > 0:
                for i in range(n_out):
                    masks[k][s, i] = abs(z[i]) >= mask_bound
            if digital_bias:
                for i in range(n_out):
                    z[i] += w[i, n_in1 - 1]
            if k < n_layers - 1:
                nxt = As[k + 1][s]
                for i in range(n_out):
                    nxt[i] = activate(z[i], act)
                nxt[n_out] = 1.0
            else:
                p = probs[s]
                for i in range(n_out):
                    p[i] = z[i]
    loss = 0.0
    correct = 0
    for s in range(nb):
        l_, hit = loss_and_error(probs[s], Y[idx[s]], Ds[n_layers - 1][s], nb)
        loss += l_
        correct += hit
    # backward, layer by layer over the mini-batch
    for k in range(n_layers - 1, 0, -1):
        w = Ws[k]
        n_out, n_in1 = w.shape
        n_in = n_in1 - 1
        for s in range(nb):
            d = Ds[k][s]
            dm = below[:n_out]
            for i in range(n_out):
                dm[i] = np.float32(0.0) if mask_bound > 0 and masks[k][s, i] else d[i]
            if bwd[0]:
                back_product(dm, w, out, n_in)
            else:
                pos = _backward_layer(w, dm, out, bwd, noise, pos, xq, word)
            h = As[k][s]
            dn = Ds[k - 1][s]
            for j in range(n_in):
                dn[j] = out[j] * act_grad(h[j], act)
    pos_arr[0] = pos
    return loss, correct


def _io_pass(p) -> tuple:
    """An `IOPass` as the kernels take it (numbers float32, the same types whatever its values)."""
    inp_step, inp_bound, out_noise, out_step, out_bound = p.float32
    return (bool(p.perfect), bool(p.noise_management), inp_step, inp_bound, out_noise, out_step, out_bound,
            bool(p.bound_management), DTYPE(p.max_reduction))


class FusedPeriphery:
    """A run's periphery (ferrosim.nn.periphery.Periphery) on the fused path: the kernels'
    arguments, and the windows of its read-noise stream the compiled loop draws from."""

    WINDOW = GaussianStream.BLOCK // 2
    """About how many draws a part's worst case may take: the stream's block, halved, so that
    most windows are a view of the current block."""

    def __init__(self, periphery, sizes: tuple[int, ...], batch: int) -> None:
        self.periphery = periphery
        self.batch = batch
        fwd, bwd = periphery.fwd, periphery.bwd
        retries = 0
        reduction = 1.0
        while fwd.bound_management and reduction <= fwd.max_reduction:
            reduction *= 2
            retries += 1
        per_sample = 0
        if not fwd.perfect and fwd.out_noise:
            per_sample += (1 + retries) * sum(sizes[1:])
        if not bwd.perfect and bwd.out_noise:
            per_sample += sum(n + 1 for n in sizes[1:-1])
        self.draws_per_batch = per_sample * batch  # at most
        mask = DTYPE(periphery.mask_bound) if periphery.mask_bound is not None else DTYPE(0.0)
        widest = max(sizes) + 1
        scratch = (tuple(np.zeros((batch, n), dtype=DTYPE) for n in sizes[1:]),
                   tuple(np.zeros((batch, n), dtype=np.bool_) for n in sizes[1:]),
                   np.zeros(widest, dtype=DTYPE), np.zeros(batch, dtype=np.int64), np.zeros(batch, dtype=np.bool_),
                   np.zeros(batch, dtype=np.int64), np.zeros(batch, dtype=np.int64), np.zeros(widest, dtype=DTYPE),
                   np.zeros(1, dtype=np.uint32))
        self._pos = np.zeros(1, dtype=np.int64)
        self._head = (_io_pass(fwd), _io_pass(bwd), mask)
        self._scratch = scratch
        self.args: tuple = self._head + (np.zeros(1, dtype=DTYPE), self._pos, scratch)

    def parts(self, order: np.ndarray):
        """`order` in parts of whole mini-batches whose worst-case draws fit one window; while
        a part is out, `args` holds that window, and the stream moves on by what it used."""
        stream = self.periphery.rng
        if self.draws_per_batch == 0:
            yield order
            return
        per_part = max(1, self.WINDOW // self.draws_per_batch) * self.batch
        for start in range(0, len(order), per_part):
            part = order[start:start + per_part]
            noise, pos = stream.window((len(part) // self.batch) * self.draws_per_batch)
            self._pos[0] = pos
            self.args = self._head + (noise, self._pos, self._scratch)
            yield part
            stream.advance_to(int(self._pos[0]))


__all__ = ["FusedPeriphery", "network_minibatch_io"]
