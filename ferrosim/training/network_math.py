"""The float32 arithmetic the fused networks share (ferrosim.training.fused, .fused_periphery):
dot products, activations and their derivatives, softmax with its loss."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True, fastmath={"reassoc"})
def dot(u, v):
    """sum_j u[j] * v[j], float32, in the vectorised order LLVM picks. (Callers pass slices: a
    loop from a variable start is not vectorised, 15x slower.)"""
    s = np.float32(0.0)
    for j in range(u.shape[0]):
        s += u[j] * v[j]
    return s


@njit(cache=True, nogil=True, inline="always")
def activate(z, act):
    if act == 0:
        return np.float32(1.0) / (np.float32(1.0) + np.exp(-z))
    if act == 1:
        return np.tanh(z)
    return z if z > np.float32(0.0) else np.float32(0.0)


@njit(cache=True, nogil=True, inline="always")
def act_grad(h, act):
    """The activation's derivative written in terms of its output h (as ferrosim.nn.mlp)."""
    if act == 0:
        return h * (np.float32(1.0) - h)
    if act == 1:
        return np.float32(1.0) - h * h
    return np.float32(1.0) if h > np.float32(0.0) else np.float32(0.0)


@njit(cache=True, nogil=True, inline="always")
def softmax_loss(p, y):
    """Softmax of the logits `p` in place; returns (its cross-entropy at label y, whether the
    largest logit is at y)."""
    n_cls = p.shape[0]
    m = p[0]
    best = 0
    for i in range(1, n_cls):
        if p[i] > m:
            m = p[i]
            best = i
    tot = np.float32(0.0)
    for i in range(n_cls):
        e = np.exp(p[i] - m)
        p[i] = e
        tot += e
    for i in range(n_cls):
        p[i] = p[i] / tot
    return -np.log(max(p[y], np.float32(1e-12))), best == y


@njit(cache=True, nogil=True, inline="always")
def output_error(d, p, y, nb):
    """d = (p - onehot(y)) / nb: the error at the output for the mean cross-entropy."""
    n_cls = p.shape[0]
    for i in range(n_cls):
        d[i] = p[i]
    d[y] -= np.float32(1.0)
    for i in range(n_cls):
        d[i] = d[i] / np.float32(nb)


@njit(cache=True, nogil=True, inline="always")
def loss_and_error(p, y, d, nb):
    """`softmax_loss` of the logits p, then the output error d of a mini-batch of nb samples
    (`output_error`). Returns (loss, whether the largest logit is at y)."""
    loss, hit = softmax_loss(p, y)
    output_error(d, p, y, nb)
    return loss, hit


@njit(cache=True, nogil=True, inline="always")
def gather_input(x, a):
    """a[:n] = x, a[n] = 1 (the bias input); returns (lo, hi), the span of x's nonzero entries
    ((0, 0) for an all-zero x), which the first layer's product may skip to."""
    n_feat = x.shape[0]
    lo = n_feat
    hi = 0
    for j in range(n_feat):
        v = x[j]
        a[j] = v
        if v != 0.0:
            if j < lo:
                lo = j
            hi = j + 1
    a[n_feat] = 1.0
    if hi < lo:  # an all-zero input: only the bias
        lo = hi = 0
    return lo, hi


@njit(cache=True, nogil=True, inline="always")
def back_product(c, w, out, n):
    """out[:n] = sum_i c[i] * w[i, :n] in float32, row by row (rows with c[i] == 0 skipped): an
    error carried through a weight matrix to its inputs."""
    for j in range(n):
        out[j] = 0.0
    for i in range(w.shape[0]):
        ci = c[i]
        if ci == 0.0:
            continue
        row = w[i]
        for j in range(n):
            out[j] += ci * row[j]
