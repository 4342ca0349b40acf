"""From touchpoint moments to remembered satisfaction, effort and survey answers.

Pure functions over arrays: one row per customer episode, one column per
moment (NaN where a moment did not happen, e.g. no failed hand-off). Both
engines call these, so the fast path and the stepped reference share the
science.
"""

from __future__ import annotations

import numpy as np

from cxsim.config import TouchpointsConfig


def clip(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """``np.clip`` in place on a fresh array, without its Python-level dispatch.

    ``np.clip`` costs several microseconds a call before any work, and the episode
    code clips about forty arrays a week; two ufunc calls cost a fraction of that.
    Same values, NaN included.
    """
    x = np.asarray(x)
    np.maximum(x, lo, out=x)
    return np.minimum(x, hi, out=x)


def like(value: float | np.ndarray, other: np.ndarray) -> float | np.ndarray:
    """``value`` as numpy would cast a Python float meeting ``other`` (a float32 array
    computes in float32), so per-customer values (a batch of replications with their
    own parameters) give the bits one number gives."""
    return value.astype(other.dtype, copy=False) if isinstance(value, np.ndarray) else value


def moment_satisfaction(experienced: np.ndarray, expectation: np.ndarray,
                        cfg: TouchpointsConfig) -> np.ndarray:
    """Satisfaction with a moment, 0-10.

    Anchored on what was experienced and moved by the disconfirmation
    (experienced - expected), shortfalls weighing ``loss_aversion`` times more
    than surpluses (Oliver 1980; Kahneman & Tversky 1979). The anchor matters:
    once expectations adapt, disconfirmation alone would pull everyone to the
    midpoint (MODEL.md).
    """
    gap = experienced - expectation
    moved = np.where(gap >= 0, gap, cfg.loss_aversion * gap)
    moved *= cfg.disconfirmation_weight
    moved += experienced
    return clip(moved, 0.0, 10.0)


def remember(moments: np.ndarray, cfg: TouchpointsConfig) -> np.ndarray:
    """Remembered score of each episode by the peak-end rule.

    The peak is the most intense moment, good or bad: the one farthest from
    the episode's own mean. The end is the last moment that happened. The
    rest of the weight goes to the mean (Fredrickson & Kahneman 1993).
    """
    # Over ``moments.T``: an episode has at most a handful of moments, and
    # reductions down the columns of a (moments, episodes) matrix (when the caller
    # built it so and passes its transpose) are a few passes over contiguous rows,
    # far cheaper than row-wise nanmean/argmax over seven columns.
    cols = moments.T
    k, n = cols.shape
    present = ~np.isnan(cols)
    count = present.sum(axis=0)
    mean = np.where(present, cols, 0.0).sum(axis=0)
    mean /= count
    dev = np.where(present, np.abs(cols - mean), -1.0)
    # peak: the first moment of largest deviation; end: the last moment present
    episode = np.arange(n)
    peak = cols[dev.argmax(axis=0), episode]
    end = cols[k - 1 - present[::-1].argmax(axis=0), episode]
    w_mean = 1.0 - cfg.peak_weight - cfg.end_weight
    out = cfg.peak_weight * peak
    out += cfg.end_weight * end
    out += w_mean * mean
    return out


def drift(current: np.ndarray, experienced: np.ndarray, rate: float) -> np.ndarray:
    """Expectations adapt toward what was experienced (yesterday's delight, today's norm)."""
    return current + rate * (experienced - current)


def effort_score(problems: np.ndarray, wait_hours: np.ndarray,
                 cfg: TouchpointsConfig) -> np.ndarray:
    """Customer effort score (CES, 1-7) of an episode, before answer noise."""
    raw = cfg.effort_base + cfg.effort_per_problem * problems + \
        cfg.effort_per_wait_hour * wait_hours
    return clip(raw, 1.0, 7.0)


def survey(score: np.ndarray, effort: np.ndarray, z: np.ndarray,
           cfg: TouchpointsConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Survey answers: likelihood to recommend (0-10), CSAT (1-5), CES (1-7).

    Answers are the remembered score plus the customer's generosity and a
    little answer noise ``z`` (one standard normal per episode, shared by the
    three questions because one mood answers them all).
    """
    felt = score + cfg.survey_generosity + cfg.survey_noise_sd * z
    ltr = clip(np.rint(felt), 0, 10)
    csat = clip(np.rint(1.0 + 4.0 * felt / 10.0), 1, 5)
    ces = clip(np.rint(effort - cfg.effort_noise_share * cfg.survey_noise_sd * z), 1, 7)
    return ltr, csat, ces


def talk_chances(score: np.ndarray, bases: tuple[float | np.ndarray, ...], pos: float,
                 neg: float,
                 neutral: float) -> list[np.ndarray]:
    """Chances of telling others, one array per base rate (talking, posting a review).

    Each is its ``base`` at a neutral episode, rising at both extremes, steeper for
    bad experiences than good (East, Hammond & Wright 2007: negative word of mouth
    is rarer overall but more likely per bad episode). The shape is computed once
    for all the rates; a rate may be one per customer (a batch of replications).
    """
    d = score - neutral
    factor = 1.0 + pos * np.maximum(d, 0.0) + neg * np.maximum(-d, 0.0)
    return [clip(like(base, factor) * factor, 0.0, 1.0) for base in bases]

