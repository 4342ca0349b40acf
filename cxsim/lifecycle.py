"""When owners come back: the ownership horizon, service needs and the season.

Pure functions of draws and parameters; the processes book what they return
in the calendar.
"""

from __future__ import annotations

import math

import numpy as np

from cxsim.calendar import NEVER
from cxsim.config import WEEKS_PER_YEAR


def ownership_horizon(months: float, cv: float) -> tuple[float, float]:
    """(mu, sigma) of the lognormal ownership horizon in weeks, from its mean and CV.

    A lognormal with mean m and coefficient of variation v has
    sigma^2 = ln(1 + v^2) and mu = ln(m) - sigma^2 / 2.
    """
    sigma = math.sqrt(math.log(1.0 + cv ** 2))
    mu = math.log(months * WEEKS_PER_YEAR / 12.0) - sigma ** 2 / 2.0
    return mu, sigma


def weeks_to_service(e: np.ndarray, per_year: float) -> np.ndarray:
    """Weeks until the next service need (a Poisson process), at least one.

    ``e`` holds one Exp(1) draw per owner; no needs at all give ``NEVER``.
    """
    if per_year <= 0:
        return np.full(e.size, NEVER, dtype=np.int64)
    return np.maximum(np.ceil(e * WEEKS_PER_YEAR / per_year), 1).astype(np.int64)


def season_cdf(season: list[float]) -> np.ndarray:
    """Cumulative share of a year's market entries by month end (13 points, 0 to 1)."""
    weights = np.asarray(season, dtype=float)
    return np.concatenate([[0.0], np.cumsum(weights) / weights.sum()])


_MONTH_ENDS = np.linspace(0.0, 1.0, 13)


def seasonal(due: np.ndarray, cdf: np.ndarray, now: int) -> np.ndarray:
    """Map due dates onto the season: same year, month drawn by the seasonal profile.

    A due date's position inside its year is uniform across a population, and
    passing it through the inverse of the seasonal CDF makes entries follow the
    monthly weights exactly, without holding anyone back. Never before ``now + 1``.
    """
    due = np.asarray(due, dtype=float)
    year0 = np.floor(due / WEEKS_PER_YEAR) * WEEKS_PER_YEAR
    frac = (due - year0) / WEEKS_PER_YEAR
    mapped = np.interp(frac, cdf, _MONTH_ENDS)
    return np.maximum(np.floor(year0 + WEEKS_PER_YEAR * mapped).astype(np.int64), now + 1)
