"""The counter-based random streams: integer thresholds equal float comparisons exactly."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ferrosim.crossbar.rng import (bits53_threshold, derive_key, derive_key_hashed, index_hash,
                                   next_bits53, next_uniform, root_key, seed_state)

TWO53 = 2**53


def _float_less(r: int, p: float) -> bool:
    return float(r) * 2.0**-53 < p


@pytest.mark.parametrize("p", [0.0, 5e-324, 1e-300, 2.0**-53, 3 * 2.0**-53, 0.1, 0.5,
                               1 - 2.0**-53, 1.0, 1.5, math.inf])
def test_threshold_matches_float_comparison_at_edges(p):
    t = int(bits53_threshold(p))
    assert 0 <= t <= TWO53
    # The comparison flips exactly at t: r = t-1 passes, r = t fails (where they exist).
    if t > 0:
        assert _float_less(t - 1, p)
    if t < TWO53:
        assert not _float_less(t, p)
    for r in (0, 1, TWO53 - 1):
        assert (r < t) == _float_less(r, p)


@settings(max_examples=300, deadline=None)
@given(p=st.floats(min_value=0.0, max_value=2.0, allow_nan=False),
       r=st.integers(min_value=0, max_value=TWO53 - 1))
def test_threshold_matches_float_comparison(p, r):
    t = int(bits53_threshold(p))
    assert (r < t) == _float_less(r, p)


def test_bits53_is_the_integer_behind_next_uniform():
    s1 = s2 = np.uint64(seed_state(root_key(7)))
    for _ in range(1000):
        s1, u = next_uniform(s1)
        s2, r = next_bits53(s2)
        s1, s2 = np.uint64(s1), np.uint64(s2)  # numba hands back Python ints; keep them uint64
        assert s1 == s2
        assert float(r) * 2.0**-53 == u


def test_hoisted_index_hash_gives_the_same_key():
    key = root_key(3)
    for a in (0, 1, 2, 255, 2**40):
        hashed = np.uint64(index_hash(np.uint64(a)))
        assert derive_key_hashed(key, hashed) == derive_key(key, np.uint64(a))
