"""The dashboard's weekly series, in real units, read from the two arms' metrics.

Everything here is computed from :class:`~cxsim.metrics.Metrics` rows (each
simulated customer stands for w real households), once per shown week.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from cxsim.metrics import UNWEIGHTED
from cxsim.model import CxModel

if TYPE_CHECKING:
    from cxsim.dashboard.market import PairedMarket

WINDOW = 13
"""Weeks in the rolling window of the weekly charts (a quarter)."""


# -- weekly series --------------------------------------------------------------------
def _rows(arm: CxModel, key: str, weeks: int) -> np.ndarray:
    """A weekly counter in real units (each simulated customer stands for w households)."""
    a = np.asarray(arm.metrics.rows[key][:weeks], dtype=float)
    return a if key in UNWEIGHTED else a * arm.metrics.weight


def rolling(a: np.ndarray, window: int = WINDOW) -> np.ndarray:
    """Trailing sums over ``window`` weeks (fewer at the start), along axis 0."""
    c = np.cumsum(a, axis=0)
    out = c.copy()
    if a.shape[0] > window:
        out[window:] = c[window:] - c[:-window]
    return out


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _mean(a: np.ndarray) -> np.ndarray:
    """Column means over the weeks that have a value (NaN where none has)."""
    a = np.asarray(a, dtype=float)
    n = np.isfinite(a).sum(axis=0)
    return _ratio(np.nansum(a, axis=0), n)


@dataclass
class ArmSeries:
    """One arm's weekly series, weeks 0..week-1, one column per dealer."""

    units: np.ndarray
    cum_units: np.ndarray
    share: np.ndarray  # share of sales over the trailing window
    cum_share: np.ndarray  # share of sales since week 0
    nps: np.ndarray
    csat: np.ndarray
    ces: np.ndarray
    cum_profit: np.ndarray  # k$ since week 0, after the programme's cost
    cum_invest: np.ndarray  # k$ spent on the programme since week 0
    visits: np.ndarray  # real service visits a week
    wait: np.ndarray  # mean hours waited a week in the service lane
    utilisation: np.ndarray  # served over capacity (0-1)
    bays: np.ndarray
    totals: dict[str, np.ndarray]  # per dealer since week 0: units, nps, csat, ces, profit


def arm_series(arm: CxModel, weeks: int, window: int = WINDOW) -> ArmSeries:
    """Weekly series of one arm from its metrics (recorded weeks only)."""
    units = _rows(arm, "units_sold", weeks)
    roll_units = rolling(units, window)
    cum_units = np.cumsum(units, axis=0)
    resp = _rows(arm, "responses", weeks)
    prom, det = _rows(arm, "promoters", weeks), _rows(arm, "detractors", weeks)
    csat_sum, ces_sum = _rows(arm, "csat_sum", weeks), _rows(arm, "ces_sum", weeks)
    r_resp = rolling(resp, window)
    invest = _rows(arm, "investment_k", weeks)
    profit = _rows(arm, "gross_profit_k", weeks) - invest
    cum_profit = np.cumsum(profit, axis=0)
    visits = _rows(arm, "service_visits", weeks)
    score = _rows(arm, "score_sum", weeks).sum(axis=0)
    t_resp = resp.sum(axis=0)
    totals = {
        "units": units.sum(axis=0),
        "nps": 100.0 * _ratio((prom - det).sum(axis=0), t_resp),
        "csat": _ratio(csat_sum.sum(axis=0), t_resp),
        "ces": _ratio(ces_sum.sum(axis=0), t_resp),
        "profit": profit.sum(axis=0),
        "share": _ratio(units.sum(axis=0), np.full(units.shape[1], units.sum())),
        "customer_rating": _ratio(score, t_resp),  # what customers remember, 0-10
        "self_rating": _mean(arm.metrics.rows["self_rating"][:weeks]),  # management's, 0-10
    }
    return ArmSeries(
        units=units, cum_units=cum_units,
        share=_ratio(roll_units, roll_units.sum(axis=1, keepdims=True)),
        cum_share=_ratio(cum_units, cum_units.sum(axis=1, keepdims=True)),
        nps=100.0 * _ratio(rolling(prom - det, window), r_resp),
        csat=_ratio(rolling(csat_sum, window), r_resp),
        ces=_ratio(rolling(ces_sum, window), r_resp),
        cum_profit=cum_profit, cum_invest=np.cumsum(invest, axis=0), visits=visits,
        wait=_ratio(_rows(arm, "wait_hours_sum", weeks), visits),
        utilisation=np.asarray(arm.metrics.rows["utilisation"][:weeks], dtype=float),
        bays=np.asarray(arm.metrics.rows["bays"][:weeks], dtype=float), totals=totals)


def series(market: PairedMarket, window: int = WINDOW) -> tuple[ArmSeries, ArmSeries]:
    """(without, with) series up to the current week."""
    w = max(min(market.week, market.horizon), 0)
    return arm_series(market.without, w, window), arm_series(market.with_, w, window)


def funnel(arm: CxModel) -> dict[str, np.ndarray]:
    """Journey funnel counts per dealer since week 0 (visited, bought, ...), real units."""
    return {k: np.asarray(v) for k, v in arm.metrics.funnel_real().items()}


# -- the word-of-mouth feed in plain words --------------------------------------------
def describe(event: dict, neutral: float = 5.0) -> str:
    """One word-of-mouth event as a sentence a trainer can read out."""
    n = int(event.get("listeners", 0))
    score = float(event.get("score", neutral))
    if score < neutral:
        tone = "a bad experience"
    elif score >= 8.0:
        tone = "a great experience"
    else:
        tone = "a good experience"
    who = "1 neighbour" if n == 1 else f"{n} neighbours"
    return f"{who} heard about {tone} at {event.get('dealer', '?')}"


def feed_lines(arm: CxModel, limit: int = 12) -> list[tuple[int, str, bool]]:
    """The latest events, newest first: (week, sentence, is_bad)."""
    if arm.feed is None:
        return []
    neutral = arm.cfg.word_of_mouth.talk_neutral
    items = list(arm.feed)[-limit:][::-1]
    return [(int(e.get("week", 0)), describe(e, neutral), float(e.get("score", neutral)) < neutral)
            for e in items]
