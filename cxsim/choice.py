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
    """Choose a column per row with probabilities softmax(utility), from uniforms ``u``."""
    p = logit_probabilities(utility)
    cum = np.cumsum(p, axis=1)
    idx = (cum < u[:, None] * cum[:, -1:]).sum(axis=1)
    return np.minimum(idx, utility.shape[1] - 1)


def loyalty_bonus(n: int, n_dealers: int, seller: np.ndarray, provider: np.ndarray,
                  bonded: np.ndarray, friction: float, switching_cost: float,
                  service_bond: float, effort_penalty: np.ndarray) -> np.ndarray:
    """Utility bonus (n x dealers) for staying with the dealers a customer uses.

    ``bonded`` marks customers whose ``provider`` serviced them recently;
    ``effort_penalty`` (>= 0) is taken off the selling dealer's bonus.
    """
    bonus = np.zeros((n, n_dealers))
    rows = np.arange(n)
    has_seller = seller >= 0
    bonus[rows[has_seller], seller[has_seller]] += friction * switching_cost - \
        effort_penalty[has_seller]
    ok = bonded & (provider >= 0)
    bonus[rows[ok], provider[ok]] += friction * service_bond
    return bonus
