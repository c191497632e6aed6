"""Counter-based random numbers for the numba kernels.

Every random stream is derived from a 64-bit key by hashing (splitmix64), so a stream can be
re-created from (seed, layer, sample, row) alone. That makes results independent of thread
scheduling: rows may be updated in parallel and still give the same numbers, bit for bit.
Within a stream, xorshift64* (Vigna 2016) gives the next 64 bits; the state is a plain uint64
scalar, so nothing is allocated in the pulse loop.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, uint64

_GOLDEN = uint64(0x9E3779B97F4A7C15)
_MIX1 = uint64(0xBF58476D1CE4E5B9)
_MIX2 = uint64(0x94D049BB133111EB)
_XS_MULT = uint64(0x2545F4914F6CDD1D)
_TWO_M53 = 1.0 / 9007199254740992.0  # 2**-53


@njit(cache=True, inline="always")
def mix64(x):
    """splitmix64 finaliser: a bijective 64-bit hash with good avalanche."""
    z = uint64(x) + _GOLDEN
    z = (z ^ (z >> uint64(30))) * _MIX1
    z = (z ^ (z >> uint64(27))) * _MIX2
    return z ^ (z >> uint64(31))


@njit(cache=True, inline="always")
def index_hash(a):
    """The part of `derive_key(key, a)` that depends on `a` alone (kernels hoist it out of
    their sample loops)."""
    return mix64(uint64(a) + uint64(0x632BE59BD9B4E019))


@njit(cache=True, inline="always")
def derive_key_hashed(key, a_hash):
    """`derive_key(key, a)` given `a_hash = index_hash(a)`."""
    return mix64(uint64(key) ^ a_hash)


@njit(cache=True, inline="always")
def derive_key(key, a):
    """Key of the sub-stream `a` of stream `key` (e.g. a layer, a sample, a row)."""
    return derive_key_hashed(key, index_hash(a))


@njit(cache=True, inline="always")
def seed_state(key):
    """Initial xorshift state of a stream (never zero, which xorshift cannot leave)."""
    s = mix64(key)
    if s == uint64(0):
        s = _GOLDEN
    return s


@njit(cache=True, inline="always")
def next_u64(state):
    """xorshift64*: returns (new_state, 64 random bits)."""
    # The cast keeps the arithmetic unsigned when a caller passes a plain (signed) integer;
    # numba would otherwise promote int64 op uint64 to float64.
    s = uint64(state)
    s ^= s >> uint64(12)
    s ^= s << uint64(25)
    s ^= s >> uint64(27)
    return s, s * _XS_MULT


@njit(cache=True, inline="always")
def next_uniform(state):
    """Uniform in [0, 1) with 53 random bits: returns (new_state, u)."""
    state, r = next_u64(state)
    return state, float(r >> uint64(11)) * _TWO_M53


@njit(cache=True, inline="always")
def next_bits53(state):
    """The 53 bits `next_uniform` would scale to [0, 1), as an integer: (new_state, r)."""
    state, r = next_u64(state)
    return state, r >> uint64(11)


@njit(cache=True, inline="always")
def bits53_threshold(p):
    """The integer `t` with `(r < t) == (r * 2**-53 < p)` for every 53-bit `r`, for p >= 0.

    `r * 2**-53` is exact, and so is `p * 2**53`; an integer is below a real number exactly
    when it is below its ceiling. Comparing integers draws the same numbers as
    `next_uniform(...) < p` and skips a 64-bit int-to-float conversion per draw.
    """
    if p >= 1.0:
        return uint64(9007199254740992)  # 2**53: every r is below it
    return uint64(math.ceil(p * 9007199254740992.0))


@njit(cache=True, inline="always")
def next_normal(state):
    """Standard normal by Box-Muller (one of the pair is used): returns (new_state, z)."""
    state, u1 = next_uniform(state)
    state, u2 = next_uniform(state)
    # 1 - u1 lies in (0, 1], so the log is finite.
    return state, math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2)


def root_key(seed: int) -> np.uint64:
    """The root stream key of a run seed (any Python int)."""
    return np.uint64(int(mix64(np.uint64(seed & 0xFFFFFFFFFFFFFFFF))))
