"""Layers updated on several threads give the same numbers, bit for bit, as one thread."""

import hashlib

import numpy as np
import pytest

from ferrosim.errors import InputError
from ferrosim.training import layer_threads
from ferrosim.training.layer_threads import LayerThreads, partition, thread_count
from ferrosim.training.loop import train


def test_partition_balances_and_keeps_every_layer_once():
    groups = partition([1297, 513, 149], 2)
    assert groups == [[0], [1, 2]]
    assert partition([10, 10, 10, 10], 2) == [[0, 2], [1, 3]]
    assert partition([5, 3], 8) == [[0], [1]]  # never more groups than layers
    assert partition([5, 3, 1], 1) == [[0, 1, 2]]
    for n_groups in (1, 2, 3, 5):
        groups = partition([7, 1, 4, 4, 9, 2], n_groups)
        assert sorted(k for g in groups for k in g) == list(range(6))


def test_thread_count_from_environment(monkeypatch):
    monkeypatch.setenv("FERROSIM_THREADS", "3")
    assert thread_count() == 3
    monkeypatch.delenv("FERROSIM_THREADS")
    assert thread_count() == layer_threads.available_cores()
    for bad in ("0", "-1", "two", "1.5"):
        monkeypatch.setenv("FERROSIM_THREADS", bad)
        with pytest.raises(InputError, match="FERROSIM_THREADS"):
            thread_count()


def test_run_visits_every_layer_and_reraises_a_worker_error():
    seen = []
    lt = LayerThreads([(256, 785), (128, 257), (10, 129)], threads=2)
    assert lt.parallel
    lt.run(seen.append, batch=64)
    assert sorted(seen) == [0, 1, 2]

    def boom(k):
        if k == 2:
            raise ValueError("layer 2 failed")

    with pytest.raises(ValueError, match="layer 2 failed"):
        lt.run(boom, batch=64)


def _digest(cfg):
    r = train(cfg)
    blob = b"".join(w.tobytes() for w in r.weights)
    rows = [(x.pulses_up, x.pulses_down, x.test_accuracy, x.train_loss) for x in r.records]
    return hashlib.sha256(blob).hexdigest(), rows


@pytest.mark.parametrize("algorithm", ["sgd", "mixed_precision", "sgd_symmetry_shift", "sgd_balanced"])
def test_threads_do_not_change_a_single_bit(algorithm, monkeypatch):
    cfg = {"seed": 4, "algorithm": algorithm,
           "dataset": {"name": "digits", "train_subset": 640, "test_subset": 100},
           "network": {"hidden": [32, 16]},
           "device": {"model": "softbounds", "a_up": 0.012, "a_down": 0.008, "c2c": 0.2, "d2d": 0.1},
           "training": {"epochs": 2, "batch_size": 32, "lr": 0.3}}
    assert cfg["training"]["batch_size"] >= layer_threads.MIN_BATCH  # the threaded path is taken
    results = {}
    for n in ("1", "2", "3"):
        monkeypatch.setenv("FERROSIM_THREADS", n)
        results[n] = _digest(cfg)
    assert results["1"] == results["2"] == results["3"]
    assert sum(up + down for up, down, *_ in results["1"][1]) > 0


def _mnist_shaped(n_train=640, n_test=128, seed=0):
    from ferrosim.io.datasets import Dataset

    rng = np.random.default_rng(seed)
    x = rng.random((n_train + n_test, 784), dtype=np.float32)
    x[x < 0.8] = 0.0  # mostly zeros, like MNIST pixels
    y = rng.integers(0, 10, n_train + n_test)
    return Dataset("synthetic-mnist-shaped", x[:n_train], y[:n_train], x[n_train:], y[n_train:], 10,
                   "random (test)")


@pytest.mark.parametrize("algorithm", ["ideal", "sgd"])
def test_blas_threads_outside_do_not_change_the_numbers(algorithm):
    """float32 matrix products from a multi-threaded BLAS differ in the last bits from one
    thread's, so `train` holds BLAS to one thread itself: a run gives the same numbers from
    `ferrosim train` (all cores) as from a sweep worker (one thread)."""
    from threadpoolctl import threadpool_limits

    data = _mnist_shaped()
    cfg = {"seed": 1, "algorithm": algorithm, "dataset": {"name": "mnist"},
           "network": {"hidden": [256, 128]},
           "device": {"model": "softbounds", "a_up": 0.01, "a_down": 0.01},
           "training": {"epochs": 1, "batch_size": 64, "lr": 0.5}}
    digests = []
    for blas_threads in (1, 2):
        with threadpool_limits(blas_threads, user_api="blas"):
            r = train(cfg, dataset=data)
        digests.append(hashlib.sha256(b"".join(w.tobytes() for w in r.weights)).hexdigest())
    assert digests[0] == digests[1]
