"""MLP forward/backward: gradients against central finite differences (float64)."""

import numpy as np
import pytest

from ferrosim.nn.mlp import MLP, cross_entropy


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_backward_matches_finite_differences(activation):
    rng = np.random.default_rng(0)
    net = MLP((6, 5, 4, 3), activation, dtype=np.float64)
    weights = [w.astype(np.float64) for w in net.init_weights(rng)]
    x = rng.uniform(0, 1, (7, 6))
    y = rng.integers(0, 3, 7)

    def loss(ws):
        return cross_entropy(net.forward(ws, x)[1], y)

    inputs, probs = net.forward(weights, x)
    deltas = net.backward(weights, inputs, probs, y)
    h = 1e-6
    for k, w in enumerate(weights):
        analytic = deltas[k].T @ inputs[k]
        numeric = np.zeros_like(w)
        for idx in np.ndindex(w.shape):
            wp = [v.copy() for v in weights]
            wm = [v.copy() for v in weights]
            wp[k][idx] += h
            wm[k][idx] -= h
            numeric[idx] = (loss(wp) - loss(wm)) / (2 * h)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)


def test_shapes_and_bias_column():
    net = MLP((64, 32, 10))
    assert net.shapes == [(32, 65), (10, 33)]
    ws = net.init_weights(np.random.default_rng(0))
    assert all(np.abs(w).max() <= 1 / np.sqrt(w.shape[1] - 1) for w in ws)
    inputs, probs = net.forward(ws, np.zeros((3, 64), dtype=np.float32))
    assert np.all(inputs[0][:, -1] == 1.0)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-6)
    assert probs.dtype == np.float32


def test_predict_in_chunks_equals_one_pass():
    net = MLP((8, 4, 3))
    ws = net.init_weights(np.random.default_rng(1))
    x = np.random.default_rng(2).uniform(0, 1, (50, 8)).astype(np.float32)
    np.testing.assert_array_equal(net.predict(ws, x, batch=7), net.forward(ws, x)[1].argmax(axis=1))


@pytest.mark.parametrize("kind", ["sigmoid", "tanh", "relu"])
def test_activation_in_place_equals_the_formula_bit_for_bit(kind):
    from ferrosim.nn.mlp import _act_with_bias

    rng = np.random.default_rng(3)
    z = (rng.standard_normal((7, 33)) * 30).astype(np.float32)  # includes exp overflow for sigmoid
    with np.errstate(over="ignore"):
        expected = {"sigmoid": lambda v: 1.0 / (1.0 + np.exp(-v)), "tanh": np.tanh,
                    "relu": lambda v: np.maximum(v, 0.0)}[kind](z)
    out = _act_with_bias(z.copy(), kind)
    assert out.dtype == np.float32 and out.shape == (7, 34)
    assert np.array_equal(out[:, :-1], expected)
    assert np.all(out[:, -1] == 1)


def test_outputs_at_the_bound_pass_no_error_down_but_keep_their_own():
    """aihwkit's bound clamp gradient: an output at |z| >= 0.999*out_bound sends no error to
    the layer below; its own error (the update of its layer) is unchanged. With otherwise
    perfect I/O the products themselves are exact."""
    from ferrosim.nn.periphery import IOPass, Periphery

    rng = np.random.default_rng(1)
    net = MLP((6, 5, 3), "sigmoid", dtype=np.float64)
    weights = [w.astype(np.float64) * 8 for w in net.init_weights(rng)]
    x = rng.uniform(0, 1, (4, 6))
    y = rng.integers(0, 3, 4)
    inputs, probs = net.forward(weights, x)
    z = [a @ w.T for a, w in zip(inputs, weights)]
    bound = float(np.median(np.abs(z[1])))  # about half the outputs of the last layer at the bound
    periphery = Periphery(IOPass(), IOPass(), bound, False, np.random.default_rng(0))
    inputs_p, probs_p = net.forward(weights, x, periphery)
    np.testing.assert_array_equal(probs_p, probs)
    masks = [periphery._masks[k] for k in range(2)]
    for m, zk in zip(masks, z):
        np.testing.assert_array_equal(m, np.abs(zk) >= np.float32(0.999 * bound))
    assert 0 < masks[1].sum() < masks[1].size
    plain = net.backward(weights, inputs, probs, y)
    bounded = net.backward(weights, inputs, probs, y, periphery)
    np.testing.assert_array_equal(bounded[1], plain[1])  # the top layer's own error
    passed = np.where(masks[1], 0.0, plain[1])
    h = inputs[1][:, :-1]
    np.testing.assert_allclose(bounded[0], (passed @ weights[1][:, :-1]) * h * (1 - h), rtol=1e-12)
    loose = Periphery(IOPass(), IOPass(), 1e9, False, np.random.default_rng(0))
    net.forward(weights, x, loose)
    np.testing.assert_array_equal(net.backward(weights, inputs, probs, y, loose)[0], plain[0])
