"""From touchpoint moments to remembered satisfaction, effort and survey answers.

Pure functions over arrays: one row per customer episode, one column per
moment (NaN where a moment did not happen, e.g. no failed hand-off). Both
engines call these, so the fast path and the stepped reference share the
science.
"""

from __future__ import annotations

import numpy as np

from cxsim.config import TouchpointsConfig


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
    return np.clip(experienced + cfg.disconfirmation_weight * moved, 0.0, 10.0)


def remember(moments: np.ndarray, cfg: TouchpointsConfig) -> np.ndarray:
    """Remembered score of each episode by the peak-end rule.

    The peak is the most intense moment, good or bad: the one farthest from
    the episode's own mean. The end is the last moment that happened. The
    rest of the weight goes to the mean (Fredrickson & Kahneman 1993).
    """
    present = ~np.isnan(moments)
    mean = np.nanmean(moments, axis=1)
    dev = np.where(present, np.abs(moments - mean[:, None]), -1.0)
    rows = np.arange(moments.shape[0])
    peak = moments[rows, np.argmax(dev, axis=1)]
    last = moments.shape[1] - 1 - np.argmax(present[:, ::-1], axis=1)
    end = moments[rows, last]
    w_mean = 1.0 - cfg.peak_weight - cfg.end_weight
    return cfg.peak_weight * peak + cfg.end_weight * end + w_mean * mean


def drift(current: np.ndarray, experienced: np.ndarray, rate: float) -> np.ndarray:
    """Expectations adapt toward what was experienced (yesterday's delight, today's norm)."""
    return current + rate * (experienced - current)


def effort_score(problems: np.ndarray, wait_hours: np.ndarray,
                 cfg: TouchpointsConfig) -> np.ndarray:
    """Customer effort score (CES, 1-7) of an episode, before answer noise."""
    raw = cfg.effort_base + cfg.effort_per_problem * problems + \
        cfg.effort_per_wait_hour * wait_hours
    return np.clip(raw, 1.0, 7.0)


def survey(score: np.ndarray, effort: np.ndarray, z: np.ndarray,
           cfg: TouchpointsConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Survey answers: likelihood to recommend (0-10), CSAT (1-5), CES (1-7).

    Answers are the remembered score plus the customer's generosity and a
    little answer noise ``z`` (one standard normal per episode, shared by the
    three questions because one mood answers them all).
    """
    felt = score + cfg.survey_generosity + cfg.survey_noise_sd * z
    ltr = np.clip(np.rint(felt), 0, 10)
    csat = np.clip(np.rint(1.0 + 4.0 * felt / 10.0), 1, 5)
    ces = np.clip(np.rint(effort - 0.5 * cfg.survey_noise_sd * z), 1, 7)
    return ltr, csat, ces


def talk_probability(score: np.ndarray, base: float, pos: float, neg: float,
                     neutral: float) -> np.ndarray:
    """Chance of telling others: lowest at a neutral episode, rising at both extremes.

    Steeper for bad experiences than good (East, Hammond & Wright 2007: negative
    word of mouth is rarer overall but more likely per bad episode).
    """
    d = score - neutral
    p = base * (1.0 + pos * np.maximum(d, 0.0) + neg * np.maximum(-d, 0.0))
    return np.clip(p, 0.0, 1.0)
