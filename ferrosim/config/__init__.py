"""The configuration of one training run, validated once where it enters.

`RunConfig` is the unit of work: one dataset, network, device, algorithm and seed. A sweep
(DESIGN.md section 6) expands into many of them. Every section is a typed model whose fields
carry their meaning, unit and default (`schema`); unknown keys, wrong types and out-of-range
values are rejected with the file, line and key (`loading`: `load_run_config`,
`parse_run_config`).
"""

from __future__ import annotations

from ferrosim.config.loading import (apply_overrides, check_energy, check_feasible, default_config_path,
                                     device_file_of, load_run_config, MAX_PULSES_PER_UPDATE,
                                     parse_run_config, validation_error)
from ferrosim.config.schema import (Algorithm, ALGORITHMS, BackwardIOConfig, DatasetConfig, DeviceConfig,
                                    ForwardIOConfig, IO_PRESETS, IOConfig, mixed_precision_eps,
                                    MixedPrecisionConfig, NetworkConfig, RunConfig, SymmetryConfig,
                                    TIKI_TAKA, TikiTakaConfig, TrainingConfig, TransferReadConfig,
                                    UpdateConfig)

__all__ = ["ALGORITHMS", "Algorithm", "BackwardIOConfig", "DatasetConfig", "DeviceConfig", "ForwardIOConfig",
           "IOConfig", "IO_PRESETS", "MAX_PULSES_PER_UPDATE", "MixedPrecisionConfig", "NetworkConfig",
           "RunConfig", "SymmetryConfig", "TIKI_TAKA", "TikiTakaConfig", "TrainingConfig",
           "TransferReadConfig", "UpdateConfig", "apply_overrides", "check_energy", "check_feasible",
           "default_config_path", "device_file_of", "load_run_config", "mixed_precision_eps",
           "parse_run_config", "validation_error"]
