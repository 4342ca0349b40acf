"""Multinomial-logit choice of a dealer (or an independent shop).

Utilities are linear in what customers weigh (McFadden 1974): attitude, the
public rating (weighted by how digital the customer is), distance, price,
marketing, and a loyalty bonus at the dealers they already use. The loyalty
bonus is the switching cost: it shrinks with digital friction (comparing and
booking elsewhere is a few clicks) and grows with a recent service
relationship (Cox 2025: 74 % of dealer-serviced owners expect to buy there
again, 44 % of the others).
"""

from __future__ import annotations

import numpy as np

from cxsim.config import ChoiceConfig
from cxsim.experience import like


def distances(x: np.ndarray, y: np.ndarray, locations: np.ndarray) -> np.ndarray:
    """Km from each customer (rows) to each dealer (columns)."""
    return np.hypot(x[:, None] - locations[None, :, 0], y[:, None] - locations[None, :, 1])


def logit_probabilities(utility: np.ndarray) -> np.ndarray:
    """Row-wise softmax; -inf utilities get probability 0 (rows need one finite entry)."""
    top = np.max(utility, axis=1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    e = np.exp(utility - top)
    s = e.sum(axis=1, keepdims=True)
    return e / np.where(s > 0, s, 1.0)


def pick(utility: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Choose a column per row with probabilities softmax(utility), from uniforms ``u``.

    Inverse-CDF sampling on the unnormalised weights: the first column whose
    cumulative weight reaches ``u`` times the total (no division needed). Works
    alternative by alternative over ``utility.T``: callers that build utilities
    as (alternatives, customers) and pass the transpose make every step here a
    pass over contiguous rows, where row-wise reductions over three or four
    alternatives would pay numpy's per-row overhead instead.
    """
    alt = utility.T
    top = alt.max(axis=0)
    top[~np.isfinite(top)] = 0.0  # a row with no alternative left: all weights 0
    cum = np.exp(alt - top)
    np.cumsum(cum, axis=0, out=cum)
    threshold = u * cum[-1]
    idx = (cum[:-1] < threshold).sum(axis=0)  # the last column is the fallback anyway
    return idx


def loyalty_bonus(n: int, n_dealers: int, seller: np.ndarray, provider: np.ndarray,
                  bonded: np.ndarray, friction: float | np.ndarray,
                  switching_cost: float | np.ndarray,
                  service_bond: float, effort_penalty: np.ndarray) -> np.ndarray:
    """Utility bonus for staying with the dealers a customer uses, (dealers, n).

    Dealer-major, like the utilities it is added to. ``bonded`` marks customers
    whose ``provider`` serviced them recently; ``effort_penalty`` (>= 0) is taken
    off the selling dealer's bonus. ``friction`` and ``switching_cost`` are one number
    or one per customer (a batch of replications with their own values): either gives
    the same bits.
    """
    bonus = np.zeros((n_dealers, n))
    # Element (j, i) is flat[j * n + i]: a 1-D scatter is cheap. Indices go to int64
    # first: dealer indices are int16, and j * n would overflow.
    flat = bonus.reshape(-1)
    rows = np.flatnonzero(seller >= 0)
    penalty = effort_penalty[rows]
    flat[seller[rows].astype(np.int64) * n + rows] += \
        like(_at(friction, rows) * _at(switching_cost, rows), penalty) - penalty
    rows = np.flatnonzero(bonded & (provider >= 0))
    flat[provider[rows].astype(np.int64) * n + rows] += _at(friction, rows) * service_bond
    return bonus


def _at(value: float | np.ndarray, rows: np.ndarray) -> float | np.ndarray:
    """A per-customer value's rows (a plain number stands for every customer)."""
    return value[rows] if isinstance(value, np.ndarray) else value


def logistic(z: np.ndarray) -> np.ndarray:
    """The logistic function 1 / (1 + e^-z)."""
    return 1.0 / (1.0 + np.exp(-z))


def chance_at_quality(base: float, slope: float, quality: np.ndarray,
                      reference: float) -> np.ndarray:
    """A chance that is ``base`` at the ``reference`` quality and moves ``slope`` logits
    per quality point (first-time fixes, parts on hand). A base of 1 is a logit of 50."""
    logit = np.log(base / (1 - base)) if base < 1 else 50.0
    return logistic(logit + slope * (quality - reference))


def buy_logit(visit_score: np.ndarray, visit_effort: np.ndarray, affinity: np.ndarray,
              friction: float | np.ndarray, c: ChoiceConfig) -> np.ndarray:
    """Logit of buying at the dealer just visited, before the loyalty term.

    Rises with how the visit felt, falls with its effort, and rises with digital
    affinity as friction falls (online research makes each visit more decisive).
    """
    return c.buy_intercept + c.visit_satisfaction_slope * (visit_score - c.buy_reference_score) \
        - c.buy_effort_slope * (visit_effort - c.buy_effort_above) \
        + _times(c.buy_digital_boost * affinity, 1.0 - friction)


def _times(a: np.ndarray, b: float | np.ndarray) -> np.ndarray:
    return a * like(b, a)
