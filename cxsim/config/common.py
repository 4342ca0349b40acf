"""Names, units and checks every config section shares."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from typing import Any

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


# -- one check over every field ---------------------------------------------------------------
INT_LIMIT = 10**9
"""Every integer key lies in [-INT_LIMIT, INT_LIMIT] unless its field says otherwise."""
TEXT_LIMIT = 100
"""Every text key is 1..TEXT_LIMIT characters, without control characters."""


def limits(lo: float | None = None, hi: float | None = None, why: str = "") -> dict:
    """Field metadata: the allowed closed range ``lo <= value <= hi`` (and why)."""
    return {"range": (lo, hi), "why": why}


def _allowed(key: str, lo: float | None, hi: float | None) -> str:
    if lo is not None and hi is not None:
        return f"{lo} <= {key} <= {hi}"
    return f"{key} >= {lo}" if lo is not None else f"{key} <= {hi}"


def _check_value(key: str, value: object, meta: Mapping[str, Any]) -> None:
    lo, hi = meta.get("range", (None, None))
    if isinstance(value, bool):
        return
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{key}={value} is not a finite number; allowed: a finite number")
    if isinstance(value, int) and lo is None and hi is None:
        lo, hi = -INT_LIMIT, INT_LIMIT
    if isinstance(value, (int, float)) and (
            (lo is not None and value < lo) or (hi is not None and value > hi)):
        why = f" ({meta['why']})" if meta.get("why") else ""
        raise ConfigError(f"{key}={value} is out of range{why}; allowed: "
                          f"{_allowed(key, lo, hi)}")
    if isinstance(value, str):
        shortest = 0 if meta.get("empty_ok") else 1
        longest = meta.get("max_len", TEXT_LIMIT)
        if not shortest <= len(value) <= longest or any(
                unicodedata.category(c).startswith("C") for c in value):
            raise ConfigError(f"{key}={value[:40]!r} is not a short text; allowed: "
                              f"{shortest} to {longest} printable characters")
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check_value(f"{key}[{i}]", item, meta)
    if is_dataclass(value):
        check_all(value, key)


def check_all(obj: object, prefix: str = "") -> None:
    """Every field of a config dataclass, and of those inside it: floats finite, numbers
    in their field's ``limits`` (integers in +-INT_LIMIT by default), texts short and
    printable. Raises :class:`ConfigError` naming the first dotted key that is not."""
    for f in fields(obj):  # type: ignore[arg-type]
        key = f"{prefix}.{f.name}" if prefix else f.name
        _check_value(key, getattr(obj, f.name), f.metadata)
