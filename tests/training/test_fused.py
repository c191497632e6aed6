"""The fused small-batch path (ferrosim.training.fused, issue 19): the same network and rules as
the batched path, in numba, with its own float32 summation order."""

from __future__ import annotations

import numpy as np
import pytest

import ferrosim
import ferrosim.training.loop as loop
from ferrosim.config import parse_run_config
from ferrosim.nn.mlp import MLP
from ferrosim.nn.periphery import GaussianStream, Periphery
from ferrosim.training.fused import FUSED_MAX_BATCH, FusedBuffers, network_minibatch, uses_fused
from ferrosim.training.fused_periphery import network_minibatch_io

ALGORITHMS = ["ideal", "sgd", "sgd_symmetry_shift", "sgd_balanced", "mixed_precision", "tiki_taka_v2",
              "chopped_tt_v2", "agad"]


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("batch", [1, 3])
def test_network_matches_the_numpy_network(activation, batch):
    """Forward probabilities, loss, accuracy and every layer's errors agree with ferrosim.nn.mlp
    to float32 rounding (only the order of the sums differs)."""
    rng = np.random.default_rng(7)
    net = MLP((20, 12, 8, 5), activation)
    weights = net.init_weights(rng)
    X = rng.random((10, 20), dtype=np.float32)
    X[:, :3] = 0.0  # zero borders, which the first layer's product skips
    X[:, -2:] = 0.0
    X[4] = 0.0  # an all-zero input
    Y = rng.integers(0, 5, 10)
    idx = np.array([4, 1, 7][:batch])
    bufs = FusedBuffers(net.sizes, activation, batch)
    loss, correct = network_minibatch(X, Y, idx, bufs.act, tuple(weights), bufs.As, bufs.Ds, bufs.probs, bufs.below)
    inputs, probs = net.forward(weights, X[idx])
    deltas = net.backward(weights, inputs, probs, Y[idx])
    np.testing.assert_allclose(bufs.probs, probs, rtol=1e-5, atol=1e-7)
    for a_fused, a in zip(bufs.As, inputs):
        np.testing.assert_allclose(a_fused, a, rtol=1e-5, atol=1e-7)
    for d_fused, d in zip(bufs.Ds, deltas):
        np.testing.assert_allclose(d_fused, d, rtol=1e-4, atol=1e-7)
    expected_loss = -np.log(np.maximum(probs[np.arange(batch), Y[idx]], 1e-12)).astype(np.float64).sum()
    assert loss == pytest.approx(expected_loss, rel=1e-5)
    assert correct == int(np.sum(probs.argmax(axis=1) == Y[idx]))


def _train_batched(config, threads=None):
    """`ferrosim.train` with the fused path switched off: the batched path's run of `config`."""
    original = loop.uses_fused
    loop.uses_fused = lambda cfg: False
    try:
        return ferrosim.train(config, threads=threads)
    finally:
        loop.uses_fused = original


def _run(algorithm, *, fused=True, threads=None, **training):
    config = {"algorithm": algorithm, "seed": 3, "training": {"epochs": 3, **training}}
    return ferrosim.train(config, threads=threads) if fused else _train_batched(config, threads)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_each_algorithm_learns_as_on_the_batched_path(algorithm):
    """Digits, batch 1: the fused path takes the same rules, so its accuracy and pulse count
    follow the batched path's (they part only where a float32 rounding flips a pulse)."""
    fused, batched = _run(algorithm), _run(algorithm, fused=False)
    assert fused.info["training_path"] == "fused" and batched.info["training_path"] == "batched"
    for a, b in zip(fused.records, batched.records):
        assert a.test_accuracy == pytest.approx(b.test_accuracy, abs=0.03)
        assert a.train_loss == pytest.approx(b.train_loss, rel=0.05)
        assert a.pulses_up + a.pulses_down == pytest.approx(b.pulses_up + b.pulses_down, rel=0.02)
        assert a.digital_ops == b.digital_ops and a.accumulator_updates == b.accumulator_updates
    assert fused.info.get("transfers") == batched.info.get("transfers")


@pytest.mark.parametrize("algorithm", ["sgd", "mixed_precision", "agad"])
def test_bit_identical_across_runs_and_threads(algorithm):
    one, again, two = _run(algorithm, threads=1), _run(algorithm, threads=1), _run(algorithm, threads=2)
    for r in (again, two):
        assert [x.test_accuracy for x in r.records] == [x.test_accuracy for x in one.records]
        assert [(x.pulses_up, x.pulses_down) for x in r.records] == [(x.pulses_up, x.pulses_down) for x in one.records]
        for w, w1 in zip(r.weights, one.weights):
            assert np.array_equal(w, w1)


@pytest.mark.parametrize("algorithm", ["sgd", "mixed_precision", "tiki_taka_v2"])
def test_a_partial_last_minibatch_takes_the_batched_path(algorithm):
    """1,001 samples at batch 4: 250 mini-batches fused, the last sample on the batched path;
    every sample is trained (the random streams count 3 x 1,001 samples)."""
    cfg = {"algorithm": algorithm, "seed": 3, "training": {"epochs": 3, "batch_size": 4},
           "dataset": {"train_subset": 1001}}
    r = ferrosim.train(cfg)
    assert r.info["training_path"] == "fused" and r.info["n_train"] == 1001
    if algorithm == "mixed_precision":
        assert r.records[0].accumulator_updates == 251 * sum(w.size for w in r.weights)
        assert r.records[0].digital_ops == 1001 * sum(w.size for w in r.weights)


def test_digital_bias_on_the_fused_path():
    base = {"algorithm": "sgd", "seed": 3, "training": {"epochs": 2}, "network": {"digital_bias": True}}
    fused, batched = ferrosim.train(base), _train_batched(base)
    assert fused.info["training_path"] == "fused"
    for a, b in zip(fused.records, batched.records):
        assert a.test_accuracy == pytest.approx(b.test_accuracy, abs=0.03)
    # the bias devices never got a pulse: their states are still the programmed initial ones
    for wf, wb in zip(fused.weights, batched.weights):
        np.testing.assert_allclose(wf[:, -1], wb[:, -1], atol=0.05)


@pytest.mark.parametrize("batch, io, expected", [
    (1, None, True), (FUSED_MAX_BATCH, None, True), (FUSED_MAX_BATCH + 1, None, False), (64, None, False),
    (1, "aihwkit_default", True), (FUSED_MAX_BATCH + 1, "aihwkit_default", False),
])
def test_which_runs_take_the_fused_path(batch, io, expected):
    raw = {"training": {"batch_size": batch}}
    if io:
        raw["io"] = io
    assert uses_fused(parse_run_config(raw)) is expected


def _periphery(io, digital_bias, seed):
    cfg = parse_run_config({"io": io, "network": {"digital_bias": digital_bias}})
    return Periphery.from_config(cfg.io, digital_bias, np.random.default_rng(seed))


# out_bound 2 with weights of std 1 clips many outputs: bound management retries them, and the
# masks stop their errors; no DAC/ADC rounding, so that only the order of the sums differs
CLIPPING_IO = {"preset": "aihwkit_default", "forward": {"inp_res": 0, "out_res": 0, "out_bound": 2.0},
               "backward": {"inp_res": 0, "out_res": 0}}


@pytest.mark.parametrize("digital_bias", [False, True])
@pytest.mark.parametrize("batch", [1, 4])
@pytest.mark.parametrize("io", [CLIPPING_IO, "aihwkit_default"])
def test_io_network_matches_the_batched_periphery(io, batch, digital_bias):
    """The fused network through the periphery (issue 26) against ferrosim.nn.mlp with the
    batched `Periphery`: the same read-noise draws at the same places (the streams end at the
    same position), the same bound-management retries and masks, and the same probabilities
    and errors up to float32 summation order (one ADC step where the ADC rounds)."""
    rng = np.random.default_rng(5)
    net = MLP((30, 16, 12, 4), "sigmoid")
    weights = [w * 3 for w in net.init_weights(rng)]
    X = rng.random((8, 30), dtype=np.float32)
    X[:, :4] = 0.0
    X[2] = 0.0  # an all-zero input: only the bias
    Y = rng.integers(0, 4, 8)
    idx = np.array([2, 5, 0, 7][:batch])
    batched = _periphery(io, digital_bias, 11)
    fused_side = _periphery(io, digital_bias, 11)
    ws = [w.copy() for w in weights]
    if digital_bias:  # the bias column holds the float biases
        for w in ws:
            w[:, -1] = 0.1
    inputs, probs = net.forward(ws, X[idx], batched)
    deltas = net.backward(ws, inputs, probs, Y[idx], batched)
    bufs = FusedBuffers(net.sizes, "sigmoid", batch, fused_side)
    order = idx.copy()
    parts = list(bufs.parts(order))
    assert len(parts) == 1
    loss, correct = network_minibatch_io(X, Y, idx, bufs.act, tuple(ws), bufs.As, bufs.Ds, bufs.probs,
                                         bufs.below, digital_bias, bufs.periphery.args)
    for _ in bufs.parts(order[len(parts[0]):]):  # an empty order moves nothing
        pass
    step = 0.0 if io is CLIPPING_IO else 24 / 510  # the ADC step
    np.testing.assert_allclose(bufs.probs, probs, rtol=1e-4, atol=1e-6 + step)
    for d_fused, d in zip(bufs.Ds, deltas):
        np.testing.assert_allclose(d_fused, d, rtol=1e-3, atol=1e-6 + step)
    assert correct == int(np.sum(bufs.probs.argmax(axis=1) == Y[idx]))
    # the fused loop moved its stream exactly as far as the batched products drew
    stream = fused_side.rng
    stream.advance_to(int(bufs.periphery.args[4][0]))
    assert np.array_equal(stream.take((1, 50)), batched.rng.take((1, 50)))
    if io is CLIPPING_IO:  # bound management retried clipped rows: more draws than one per output
        assert bufs.periphery.args[4][0] > batch * (16 + 12 + 4 + 17 + 13)


def test_io_runs_take_the_fused_path_and_learn_as_batched():
    """Digits at batch 1 with aihwkit's default periphery: fused (issue 26) and batched runs
    follow each other; two fused runs are identical bit for bit."""
    cfg = {"algorithm": "sgd", "seed": 3, "training": {"epochs": 3}, "io": "aihwkit_default"}
    fused, again, batched = ferrosim.train(cfg), ferrosim.train(cfg), _train_batched(cfg)
    assert fused.info["training_path"] == "fused" and batched.info["training_path"] == "batched"
    for a, b in zip(fused.records, batched.records):
        assert a.test_accuracy == pytest.approx(b.test_accuracy, abs=0.04)
        assert a.pulses_up + a.pulses_down == pytest.approx(b.pulses_up + b.pulses_down, rel=0.03)
    assert fused.records[-1].test_accuracy > 0.4  # well above chance (0.1); 0.57 measured
    for w, w1 in zip(fused.weights, again.weights):
        assert np.array_equal(w, w1)


def test_a_window_of_the_noise_stream_continues_it():
    """`window` + `advance_to` hand out the same draws in the same order as `take`, across the
    stream's blocks."""
    a, b = GaussianStream(np.random.default_rng(2)), GaussianStream(np.random.default_rng(2))
    got = []
    for need, used in [(10, 7), (GaussianStream.BLOCK, GaussianStream.BLOCK - 3), (50, 50), (2 * GaussianStream.BLOCK, 5)]:
        block, pos = a.window(need)
        assert len(block) - pos >= need
        got.append(block[pos:pos + used].copy())
        a.advance_to(pos + used)
    got.append(a.take((1, 9)).ravel())
    want = b.take((1, sum(len(g) for g in got)))
    assert np.array_equal(np.concatenate(got), want.ravel())
    with pytest.raises(ValueError):
        a.advance_to(-1)
