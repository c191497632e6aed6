"""The training loop of one run, and its per-epoch records (DESIGN.md sections 4-5)."""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ferrosim.config import RunConfig, load_run_config, parse_run_config
from ferrosim.energy.model import digital_energy, epoch_energy
from ferrosim.io.datasets import Dataset, load_dataset
from ferrosim.nn.mlp import MLP, cross_entropy
from ferrosim.nn.periphery import Periphery
from ferrosim.training.fused import FusedBuffers, uses_fused
from ferrosim.training.algorithms import make_updater

EPOCH_COLUMNS = ("epoch", "train_loss", "train_accuracy", "test_accuracy", "pulses_up",
                 "pulses_down", "energy_J", "cumulative_energy_J", "wall_s", "lr", "digital_ops",
                 "accumulator_updates", "digital_energy_J")
"""DESIGN.md section 7's columns, then the epoch's learning rate, the digital operations of
mixed precision (0 otherwise: gradient products and accumulator read-add-writes) and their
energy. `energy_J` is the epoch's pulse energy, `cumulative_energy_J` pulse plus digital energy
so far, both under the run's energy model (`RunConfig.energy_plan()`; NaN when unknown)."""


@dataclass(frozen=True)
class EpochRecord:
    """One line of `epochs.csv`: figures at the end of an epoch, pulses during it."""

    epoch: int
    train_loss: float
    train_accuracy: float
    test_accuracy: float
    pulses_up: int
    pulses_down: int
    energy_J: float
    cumulative_energy_J: float
    wall_s: float
    lr: float = math.nan
    digital_ops: int = 0
    accumulator_updates: int = 0
    digital_energy_J: float = 0.0


@dataclass
class TrainResult:
    """What a run produced: its config, per-epoch records and run-level figures."""

    config: RunConfig
    records: list[EpochRecord]
    info: dict[str, Any] = field(default_factory=dict)
    weights: list[np.ndarray] = field(default_factory=list, repr=False)

    @property
    def final_accuracy(self) -> float:
        return self.records[-1].test_accuracy

    @property
    def best_accuracy(self) -> float:
        return max(r.test_accuracy for r in self.records)

    @property
    def pulses_total(self) -> int:
        return sum(r.pulses_up + r.pulses_down for r in self.records)

    @property
    def total_energy_J(self) -> float:
        return self.records[-1].cumulative_energy_J

    @property
    def epochs_to_target(self) -> int | None:
        """First epoch whose test accuracy reaches the target (None if never or no target)."""
        target = self.config.training.target_accuracy
        if target is None:
            return None
        return next((r.epoch for r in self.records if r.test_accuracy >= target), None)

    @property
    def energy_to_target_J(self) -> float | None:
        e = self.epochs_to_target
        return None if e is None else self.records[e - 1].cumulative_energy_J

    def to_frame(self):
        """The per-epoch records as a pandas DataFrame (columns as in epochs.csv)."""
        import pandas as pd

        return pd.DataFrame([asdict(r) for r in self.records], columns=list(EPOCH_COLUMNS))


def _prepare(cfg: RunConfig, dataset: Dataset | None) -> Dataset:
    data = dataset or load_dataset(cfg.dataset.name, cfg.dataset.data_dir)
    n_tr, n_te = cfg.dataset.train_subset, cfg.dataset.test_subset
    if n_tr is None and n_te is None:
        return data
    return Dataset(name=data.name, x_train=data.x_train[:n_tr], y_train=data.y_train[:n_tr],
                   x_test=data.x_test[:n_te], y_test=data.y_test[:n_te],
                   n_classes=data.n_classes, source=data.source)


def train(config: RunConfig | dict | str | Path, *, dataset: Dataset | None = None,
          on_epoch: Callable[[EpochRecord], None] | None = None,
          threads: int | None = None) -> TrainResult:
    """Train one network as `config` says and return its per-epoch records.

    `config` may be a RunConfig, a mapping with the same sections, or a YAML file path.
    `dataset` skips loading (useful when one process trains many runs on the same data).
    `on_epoch` is called with each epoch's record as soon as it exists.
    `threads`: how many threads update the layers of a pulsed run at once (None:
    `FERROSIM_THREADS`, else every core). It changes the speed, never a number: BLAS is held to
    one thread during training, since its results depend on its thread count.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, user_api="blas"):
        return _train(config, dataset, on_epoch, threads)


def _train(config, dataset, on_epoch, threads) -> TrainResult:
    if isinstance(config, (str, Path)):
        cfg = load_run_config(config)
    elif isinstance(config, dict):
        cfg = parse_run_config(config)
    else:
        cfg = config
    data = _prepare(cfg, dataset)
    net = MLP((data.n_features, *cfg.network.hidden, data.n_classes), cfg.network.activation)
    # Independent generators for independent choices, so that e.g. switching d2d on does
    # not change the initial weights or the data order.
    rng_init, rng_d2d, rng_order = (np.random.default_rng([cfg.seed, k]) for k in range(3))
    updater = make_updater(cfg, net.init_weights(rng_init), rng_d2d, threads)

    t = cfg.training
    plan = None if cfg.algorithm == "ideal" else cfg.energy_plan()
    # the analog periphery of the pulsed layers' products (io:), with its own random streams:
    # one for training, one for the test-set evaluation (which then changes no training draw)
    periphery = None if cfg.algorithm == "ideal" else \
        Periphery.from_config(cfg.io, cfg.network.digital_bias, np.random.default_rng([cfg.seed, 4]))
    evaluation = None if periphery is None else periphery.with_rng(np.random.default_rng([cfg.seed, 5]))
    n = len(data.y_train)
    # batches of a few samples: one numba call per epoch (ferrosim.training.fused)
    fused = FusedBuffers(net.sizes, net.activation, t.batch_size, periphery) if uses_fused(cfg) else None
    n_fused = 0 if fused is None else (n // t.batch_size) * t.batch_size
    records: list[EpochRecord] = []
    cumulative = 0.0
    prev_up, prev_down = updater.pulse_counts()
    prev_ops = prev_acc = 0
    for epoch in range(1, t.epochs + 1):
        t0 = time.perf_counter()
        lr = t.lr_at(epoch)
        order = rng_order.permutation(n)
        loss_sum = 0.0
        correct = 0
        if fused is not None:
            for part in fused.parts(order[:n_fused]):
                part_loss, part_correct = updater.fused_minibatches(fused, data.x_train, data.y_train, part, lr)
                loss_sum += part_loss
                correct += part_correct
        for s in range(n_fused, n, t.batch_size):
            idx = order[s : s + t.batch_size]
            xb, yb = data.x_train[idx], data.y_train[idx]
            weights = updater.weights()
            inputs, probs = net.forward(weights, xb, periphery)
            loss_sum += cross_entropy(probs, yb) * len(idx)
            correct += int(np.sum(probs.argmax(axis=1) == yb))
            updater.update(inputs, net.backward(weights, inputs, probs, yb, periphery), lr)
        updater.end_of_epoch()
        test_acc = float(np.mean(net.predict(updater.weights(), data.x_test, periphery=evaluation) == data.y_test))
        up, down = updater.pulse_counts()
        d_up, d_down = up - prev_up, down - prev_down
        prev_up, prev_down = up, down
        ops, acc = updater.digital_ops(), updater.accumulator_updates()
        d_ops, d_acc, prev_ops, prev_acc = ops - prev_ops, acc - prev_acc, ops, acc
        # the same functions and additions as ferrosim.energy.model.price, so a re-priced run
        # equals a fresh one
        energy = 0.0 if plan is None else epoch_energy(plan.central, d_up, d_down)
        digital = 0.0 if plan is None else digital_energy(plan.digital, d_ops, d_acc)
        cumulative += energy + digital
        record = EpochRecord(epoch, loss_sum / n, correct / n, test_acc, d_up, d_down, energy,
                             cumulative, time.perf_counter() - t0, lr, d_ops, d_acc, digital)
        records.append(record)
        if on_epoch is not None:
            on_epoch(record)
    info = {"algorithm": cfg.algorithm, "n_train": n, "n_test": len(data.y_test),
            "dataset_source": data.source, "layer_sizes": list(net.sizes), "float_dtype": "float32",
            "device_state_dtype": "float64",
            "n_weights": int(sum((a + 1) * b for a, b in zip(net.sizes[:-1], net.sizes[1:]))),
            "energy_model": None if plan is None else plan.name,
            "analog_io": "exact" if periphery is None else periphery.describe(),
            "training_path": "fused" if fused is not None else "batched", **updater.describe()}
    return TrainResult(cfg, records, info, [w.copy() for w in updater.weights()])
