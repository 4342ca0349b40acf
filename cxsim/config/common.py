"""Names, units and checks every config section shares."""

from __future__ import annotations

import math

TOUCHPOINTS: tuple[str, ...] = (
    "marketing",
    "digital",
    "sales",
    "finance",
    "delivery",
    "service",
    "parts",
    "communication",
)
"""The eight touchpoints of a dealership, in journey order."""

WEEKS_PER_YEAR = 52
"""The model's clock: one step is one week, 52 to a year (a unit, not a parameter)."""

SERVICE_TOUCHPOINTS: tuple[str, ...] = ("service", "parts", "communication")
SEGMENTS: tuple[str, ...] = ("digital_first", "traditional", "value_seeker")


class ConfigError(ValueError):
    """A configuration value is outside what the model accepts."""


ConfigError.__module__ = "cxsim.config"  # its public home, as users import and see it


def _check_prob(key: str, value: float) -> None:
    if not (0.0 <= value <= 1.0) or math.isnan(value):
        raise ConfigError(f"{key}={value} is not a probability; allowed: 0 <= {key} <= 1")


def _check_nonneg(key: str, value: float) -> None:
    if value < 0 or math.isnan(value):
        raise ConfigError(f"{key}={value} is negative; allowed: {key} >= 0")


def _check_positive(key: str, value: float) -> None:
    if not value > 0:
        raise ConfigError(f"{key}={value} must be > 0")


def _check_fields(obj: object, prefix: str, probs=(), nonneg=(), positive=()) -> None:
    for name in probs:
        _check_prob(f"{prefix}.{name}", getattr(obj, name))
    for name in nonneg:
        _check_nonneg(f"{prefix}.{name}", getattr(obj, name))
    for name in positive:
        _check_positive(f"{prefix}.{name}", getattr(obj, name))
