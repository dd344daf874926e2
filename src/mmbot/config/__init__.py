"""Configuration: YAML + MM_PROFILE overlay + MM_ENV, validated by a strict pydantic schema."""

from mmbot.config.loader import (
    EMBEDDED,
    ENVS,
    Description,
    EffectiveConfig,
    Env,
    available_profiles,
    load_config,
    shipped_configs_dir,
    validate_document,
)
from mmbot.config.schema import (
    AllocConfig,
    BacktestConfig,
    FeesConfig,
    FeeTier,
    InstrumentConfig,
    LatencyConfig,
    MmConfig,
    RiskConfig,
    SignalsConfig,
    SimConfig,
    StrategyConfig,
    ThresholdsConfig,
)
from mmbot.config.yaml_source import LEGACY_KEYS

__all__ = [
    "EMBEDDED",
    "ENVS",
    "LEGACY_KEYS",
    "AllocConfig",
    "BacktestConfig",
    "Description",
    "EffectiveConfig",
    "Env",
    "FeeTier",
    "FeesConfig",
    "InstrumentConfig",
    "LatencyConfig",
    "MmConfig",
    "RiskConfig",
    "SignalsConfig",
    "SimConfig",
    "StrategyConfig",
    "ThresholdsConfig",
    "available_profiles",
    "load_config",
    "shipped_configs_dir",
    "validate_document",
]
