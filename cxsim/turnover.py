"""Households leaving the market and new ones arriving, and a start near the
stationary state.

Without turnover the population is one cohort: first-time buyers enter once at
the start, and every expectation drifts toward what its dealer delivers for
decades (a finance expectation moves 15 % once per six-year spell), so yearly
NPS climbed for ten years at constant conditions. Here a household leaves the
market (moves away, stops buying new vehicles) at a constant hazard of
``1 / tenure_years`` while it owns; it is noticed when its replacement falls
due, and a newly arrived first-time-buyer household takes its row, so the
market's size is constant and memory stays O(n). The newcomer moves into the
same home: its distance to the stores, its neighbours in the social network and
its segment (a neighbourhood recruits households like the one that left) stay
those of the row, so nothing built from homes has to be rebuilt; its journey
state is drawn fresh, as a household's at the start of a run.

Every draw is keyed by (purpose, week, row), so both engines and every scenario
arm draw the same newcomers (common random numbers).
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri

from cxsim.blocks import BLOCK, blocks
from cxsim.config import SEGMENTS, TOUCHPOINTS, WEEKS_PER_YEAR, RunConfig
from cxsim.draws import Draws
from cxsim.experience import clip

_LEARNED = ("digital", "sales", "finance", "delivery", "service", "parts", "communication")
"""Touchpoints whose expectation adapts to experience (marketing is only seen)."""

VISITS_PER_SPELL = 1.5
"""Dealer visits per shopping spell used for the stationary start; assumption, a
little below the 1.86 dealers visited per purchase the default market measures
(an approximation: only the settled start uses it)."""


class Newcomers:
    """The tastes of households new to the market, for one config: the segment's
    expectation, ``attitude_mean``, initial awareness, each with its spread.

    A class so that what depends only on the config is worked out once: a few
    households arrive every week, and the per-call set-up cost more than the draws.
    """

    def __init__(self, cfg: RunConfig) -> None:
        c = cfg.customers
        self.customers = c
        self.nd, self.nt = len(cfg.dealers.dealers), len(TOUCHPOINTS)
        specs = [c.segments.get(s) for s in SEGMENTS]
        # (a segment left out of the config has share 0: its default is never used)
        self.mean = np.array([s.expectation if s else 7.5 for s in specs])
        self.aware_share = np.array([d.initial_awareness for d in cfg.dealers.dealers])

    def tastes(self, draws: Draws, prefix: str, week: int, ids: np.ndarray,
               segment: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Expectations (n, touchpoints), attitudes and awareness (n, dealers) of the
        households ``ids``; ``prefix`` names the draws ("" at the start, "arrival_"
        for newcomers)."""
        if ids.size > BLOCK:  # the whole market at the start: block by block, same numbers
            out = (np.empty((ids.size, self.nt)), np.empty((ids.size, self.nd)),
                   np.empty((ids.size, self.nd), dtype=bool))
            for block in blocks(ids.size):
                for whole, part in zip(out, self.tastes(draws, prefix, week, ids[block],
                                                        segment[block]), strict=True):
                    whole[block] = part
            return out
        c = self.customers
        parts = [(prefix + "expectation", self.nt), (prefix + "attitude", self.nd),
                 (prefix + "aware", self.nd)]
        # all three purposes in one pass (a week's newcomers are few: calls cost most)
        z_exp, z_att, u_aware = (np.ascontiguousarray(u.T) for u in
                                 draws.uniform_stack(parts, week, ids))
        z_exp, z_att = ndtri(z_exp), ndtri(z_att)
        mean = self.mean[segment]
        expectation = clip(mean[:, None] + c.expectation_sd * z_exp, 0, 10)
        attitude = clip(c.attitude_mean + c.attitude_sd * z_att, 0, 10)
        aware = u_aware < self.aware_share[None, :]
        return expectation, attitude, aware


def fresh_tastes(cfg: RunConfig, draws: Draws, prefix: str, week: int, ids: np.ndarray,
                 segment: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:meth:`Newcomers.tastes` for a config used once."""
    return Newcomers(cfg).tastes(draws, prefix, week, ids, segment)


def leaving(cfg: RunConfig, draws: Draws, key: int, week: int, ids: np.ndarray,
            purchase_week: np.ndarray) -> np.ndarray:
    """Mask of the owners ``ids`` due for a replacement who leave the market instead.

    A constant hazard over the spell just ended: 1 - exp(-spell / tenure).
    """
    years = cfg.customers.tenure_years
    if years <= 0:  # 0: nobody ever leaves (the closed market of earlier versions)
        return np.zeros(ids.size, dtype=bool)
    spell = (week - purchase_week) / (WEEKS_PER_YEAR * years)
    return draws.uniform("leave", key, ids) < -np.expm1(-spell)


def settled_expectations(cfg: RunConfig, draws: Draws, ids: np.ndarray,
                         expectation: np.ndarray, dealer: np.ndarray,
                         felt: np.ndarray, sd: np.ndarray,
                         affinity: np.ndarray,
                         drift: float | np.ndarray | None = None) -> np.ndarray:
    """Today's owners' expectations as the stationary market would have them.

    A household has been in the market for an exponential time A (mean
    ``tenure_years``: the age of a survivor under a constant hazard), and each
    of its K episodes at touchpoint t moved its expectation a share r toward what
    it met, ``felt`` (dealers, touchpoints) on average with spread ``sd`` (dealers,).
    With K ~ Poisson(rho_t A), E[(1 - r)^K] = exp(-r rho_t A) of the starting
    distance is left, and the episodes' noise adds a spread
    sd r sqrt((1 - (1 - r)^2K) / (1 - (1 - r)^2)) (K taken at its mean).
    ``drift`` is r (default the config's; per customer in a batch whose
    replications' drifts differ). Returns the new expectations (ids, touchpoints).
    """
    c, ch = cfg.customers, cfg.choice
    r = cfg.touchpoints.expectation_drift if drift is None else drift
    if np.ndim(r) > 0 and (r == 0).any():  # r = 0 learns nothing: as its own run, unmoved
        out, moving = expectation.copy(), r != 0
        out[moving] = settled_expectations(cfg, draws, ids[moving], expectation[moving],
                                           dealer[moving], felt, sd, affinity[moving],
                                           r[moving])
        return out
    if c.tenure_years <= 0 or np.all(r == 0) or ids.size == 0:
        return expectation
    spells = 12.0 / c.ownership_months  # shopping spells a year
    service = ch.service_need_per_year * ch.initial_dealer_service_share
    rate = {"digital": VISITS_PER_SPELL * spells, "sales": VISITS_PER_SPELL * spells,
            "finance": spells, "delivery": spells,
            "service": service, "parts": service, "communication": service}
    age = draws.exponential("initial_tenure", 0, ids) * c.tenure_years
    z = draws.normal_matrix("initial_expectation_noise", 0, ids, len(TOUCHPOINTS))
    keep = np.log1p(-r)
    out = expectation.copy()
    sd_r = sd[dealer] * r
    shapes: dict[tuple[float, bool], tuple[np.ndarray, np.ndarray]] = {}
    for name in _LEARNED:
        t = TOUCHPOINTS.index(name)
        key = (rate[name], name == "digital")  # touchpoints met as often share the shape
        if key not in shapes:
            k = rate[name] * (affinity if name == "digital" else 1.0) * age
            shapes[key] = (np.exp(-r * k), sd_r * np.sqrt(-np.expm1(2.0 * keep * k)
                                                          / -np.expm1(2.0 * keep)))
        left, spread = shapes[key]
        q = felt[dealer, t]
        out[:, t] = q + left * (expectation[:, t] - q) + spread * z[:, t]
    return np.clip(out, 0.0, 10.0)
