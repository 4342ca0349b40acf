"""Money over time: monthly cash flow, ROI, payback, NPV, terminal value and P(loss).

Pure functions over paired outcomes: an option minus the status quo on the
same replication seed (common random numbers), per store or per group, in
real k$. Conventions (docs/ODD.md §10, "Money"):

* a recorded week ``k`` falls in month ``k * 12 // 52`` (52 weeks make 12
  months of 4 or 5 weeks);
* cash flows are booked at the end of their month; at a yearly discount rate
  ``r`` month ``m`` (0-based) is discounted by ``(1 + r) ** -((m + 1) / 12)``;
* ROI is the extra profit after the programme's cost per k$ of cost (0: it
  pays for itself, -1: it earns nothing back), as in :mod:`cxsim.compare`;
* payback is the 1-based month from which the cumulative cash flow stays
  >= 0 to the horizon's end (0: never below 0; nan: not within the horizon).

>>> cash = np.array([-100.0, 30.0, 30.0, 30.0, 30.0])
>>> cumulative(cash).tolist()
[-100.0, -70.0, -40.0, -10.0, 20.0]
>>> float(payback_month(cumulative(cash)))
5.0
>>> round(float(npv(cash, 0.0)), 6)
20.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cxsim.config import WEEKS_PER_YEAR

MONTHS_PER_YEAR = 12


# -- the calendar of money --------------------------------------------------------------------
def month_of_week(week: np.ndarray | int) -> np.ndarray:
    """Month (0-based) of recorded week(s): ``week * 12 // 52``.

    >>> month_of_week(np.array([0, 4, 5, 51, 52])).tolist()
    [0, 0, 1, 11, 12]
    """
    return np.asarray(week) * MONTHS_PER_YEAR // WEEKS_PER_YEAR


def to_months(weekly: np.ndarray) -> np.ndarray:
    """Sum a weekly series (last axis: recorded weeks from 0) into months.

    >>> to_months(np.ones(52)).tolist()
    [5.0, 4.0, 4.0, 5.0, 4.0, 4.0, 5.0, 4.0, 4.0, 5.0, 4.0, 4.0]
    """
    weekly = np.asarray(weekly, dtype=float)
    months = month_of_week(np.arange(weekly.shape[-1]))
    starts = np.flatnonzero(np.r_[True, np.diff(months) > 0])
    return np.add.reduceat(weekly, starts, axis=-1)


def cost_schedule(weeks: int, start_week: int, yearly_k: float, one_off_k: float = 0.0
                  ) -> np.ndarray:
    """k$ paid in each recorded week: ``yearly_k / 52`` from ``start_week`` on, and
    ``one_off_k`` (capital, set-up) in the start week.

    >>> cost_schedule(4, 2, 52.0, 10.0).tolist()
    [0.0, 0.0, 11.0, 1.0]
    """
    out = np.zeros(weeks)
    if start_week < weeks:
        out[start_week:] = yearly_k / WEEKS_PER_YEAR
        out[start_week] += one_off_k
    return out


# -- the appraisal of one cash flow -----------------------------------------------------------
def cumulative(cash: np.ndarray) -> np.ndarray:
    """Cumulative cash flow along the last axis (months)."""
    return np.cumsum(np.asarray(cash, dtype=float), axis=-1)


def discount_factors(months: int, rate: float) -> np.ndarray:
    """End-of-month factors ``(1 + rate) ** -((m + 1) / 12)``, m = 0 .. months - 1.

    >>> [round(float(f), 4) for f in discount_factors(12, 0.1)][-1]
    0.9091
    """
    if rate <= -1:
        raise ValueError(f"discount rate {rate}; allowed: > -1")
    return (1.0 + rate) ** -((np.arange(months) + 1.0) / MONTHS_PER_YEAR)


def npv(cash: np.ndarray, rate: float) -> np.ndarray:
    """Net present value of monthly cash flows (last axis) at yearly ``rate``.

    >>> round(float(npv(np.r_[np.zeros(11), 110.0], 0.1)), 6)
    100.0
    """
    cash = np.asarray(cash, dtype=float)
    return cash @ discount_factors(cash.shape[-1], rate)


def payback_month(cum: np.ndarray) -> np.ndarray:
    """1-based month from which ``cum`` (last axis) stays >= 0; 0 if it never goes
    below 0; nan if it is below 0 in the last month (not within the horizon).

    >>> payback_month(np.array([[0.0, -5.0, 1.0, -1.0], [0.0, -5.0, 1.0, 2.0],
    ...                         [0.0, 1.0, 2.0, 3.0]])).tolist()
    [nan, 3.0, 0.0]
    """
    cum = np.asarray(cum, dtype=float)
    below = cum < 0
    months = cum.shape[-1]
    # the last month below 0, counted from 1; 0 where no month is
    last = np.where(below.any(axis=-1),
                    months - np.argmax(below[..., ::-1], axis=-1), 0)
    return np.where(last == months, np.nan, np.where(last == 0, 0.0, last + 1.0))


def roi(gain_k: np.ndarray, cost_k: np.ndarray) -> np.ndarray:
    """Extra profit after cost per k$ of cost: ``(gain - cost) / cost`` (nan at no cost).

    >>> roi(np.array([300.0]), np.array([200.0])).tolist()
    [0.5]
    """
    gain_k, cost_k = np.asarray(gain_k, dtype=float), np.asarray(cost_k, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cost_k > 0, (gain_k - cost_k) / np.where(cost_k > 0, cost_k, 1.0),
                        np.nan)


# -- what owners won or lost are worth after the horizon --------------------------------------
def owner_value(service_margin_k: float, repurchase_margin_k: float, years_left: float,
                rate: float) -> float:
    """k$ one owner is worth at the horizon: a yearly service margin over the
    ``years_left`` of their ownership (an annuity, booked at each year's end)
    plus the repurchase margin at its end, discounted at ``rate``.

    ``service_margin_k`` is the store's gross per repair order x the owner's
    service visits a year x the share the store keeps; ``repurchase_margin_k``
    the gross per vehicle x the chance the owner buys there again.

    >>> round(owner_value(1.0, 3.0, 2.0, 0.0), 6)
    5.0
    >>> round(owner_value(1.0, 0.0, 1.0, 0.1), 6)
    0.909091
    """
    if years_left <= 0:
        return 0.0
    annuity = years_left if rate == 0 else (1.0 - (1.0 + rate) ** -years_left) / rate
    return service_margin_k * annuity + repurchase_margin_k * (1.0 + rate) ** -years_left


def terminal_value(owners_diff: np.ndarray, value_per_owner_k: float, horizon_years: float,
                   rate: float) -> np.ndarray:
    """Owners won (or lost, < 0) by the horizon x their value, discounted to today.

    >>> terminal_value(np.array([10.0, -10.0]), 5.0, 1.0, 0.25).tolist()
    [40.0, -40.0]
    """
    return np.asarray(owners_diff, dtype=float) * value_per_owner_k * (
        1.0 + rate) ** -horizon_years


# -- uncertainty ------------------------------------------------------------------------------
def market_sd(values: np.ndarray, sample: float, households: float) -> float:
    """The spread of the real market's outcome from the replications' spread.

    A replication simulates ``sample`` customers, each standing for
    ``w = households / sample``; a total over customers then has variance
    ``w**2 * sample * s**2 = households**2 * s**2 / sample`` (s: one customer's
    spread), while the real market's own total has ``households * s**2``. The
    real market's sd is the replications' sd x ``sqrt(sample / households)``
    (docs/ODD.md §10, "Money").

    >>> round(market_sd(np.array([-1.0, 1.0]), 100, 400), 6)
    0.707107
    """
    values = np.asarray(values, dtype=float)
    if values.size < 2:
        return float("nan")
    return float(values.std(ddof=1) * math.sqrt(sample / households))


@dataclass(frozen=True)
class LossChance:
    """P(loss) over the market's own luck, and how well the simulation pins it."""

    p: float  # chance the real market's outcome is below 0
    low: float  # P(loss) at the upper end of the mean's 95 % interval
    high: float  # ... at its lower end (the Monte Carlo error's range)
    mc_se_k: float  # Monte Carlo standard error of the mean outcome, k$


def loss_chance(values: np.ndarray, sample: float, households: float,
                level: float = 0.95) -> LossChance:
    """P(outcome < 0) for the real market: Normal(mean, :func:`market_sd`).

    The mean is the replications' mean; its own Monte Carlo error (sd /
    sqrt(replications)) is reported apart, as the range of P(loss) across
    the mean's interval, and does not enter ``p``.

    >>> c = loss_chance(np.array([-1.0, 1.0, 3.0]), 1000, 1000)
    >>> round(c.p, 4), c.low < c.p < c.high
    (0.3085, True)
    """
    from scipy import stats

    from cxsim.run import t_interval  # the one interval of the mean

    values = np.asarray(values, dtype=float)
    mean = float(values.mean())
    sd = market_sd(values, sample, households)
    if values.size < 2 or not sd > 0:
        p = float(mean < 0)
        return LossChance(p, p, p, float("nan"))
    se = float(values.std(ddof=1) / math.sqrt(values.size))
    _, lo, hi = t_interval(values, level)
    return LossChance(float(stats.norm.cdf(-mean / sd)), float(stats.norm.cdf(-hi / sd)),
                      float(stats.norm.cdf(-lo / sd)), se)
