"""Entering the market (process 3): owners due for a replacement and first-time
buyers start shopping, or an owner leaves the market and a new household takes
its row; at the start of a run, everyone's entry is booked."""

from __future__ import annotations

import numpy as np

from cxsim.blocks import blocks
from cxsim.choice import chance_at_quality
from cxsim.config import TOUCHPOINTS, WEEKS_PER_YEAR
from cxsim.customers import FAR_PAST, NO_DEALER, PROSPECT, SHOPPING
from cxsim.lifecycle import ownership_horizon, seasonal
from cxsim.processes.base import Process
from cxsim.rules import register
from cxsim.turnover import Newcomers, leaving, settled_expectations


@register("entry", "default")
class Entry(Process):
    """Customers whose entry is due start shopping this week."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._newcomers = Newcomers(self.cfg)

    def enter(self, ids: np.ndarray) -> None:
        """Owners whose replacement is due, and first-time buyers, start shopping."""
        if ids.size == 0:
            return
        p, m = self.pop, self.market
        owners = np.flatnonzero(p.has_vehicle[ids])
        if owners.size:
            gone = leaving(self.cfg, self.draws, self._key(), self.week, ids[owners],
                           p.purchase_week[ids[owners]])
            if gone.any():
                self.arrive(ids[owners[gone]])
                stay = np.ones(ids.size, dtype=bool)  # a mask, not a set difference:
                stay[owners[gone]] = False  # same order, no table the size of the market
                ids = ids[stay]
                if ids.size == 0:
                    return
        p.stage[ids] = SHOPPING
        p.visits[ids] = 0
        p.visit_score[ids] = np.nan
        m.enter_market(ids)
        self.cal.book("visit", ids, self.week)

    def arrive(self, ids: np.ndarray) -> None:
        """These owners leave the market; a new first-time-buyer household moves into
        each home (same row, location, segment and tastes; fresh journey state)."""
        p, m, k = self.pop, self.market, self._key()
        c = self.cfg.customers
        old = p.selling_dealer[ids]
        had = old >= 0
        m.owners -= np.bincount(m.to_global(ids[had], old[had]), minlength=m.n_all_dealers)
        self.cal.cancel("service", ids)
        expectation, attitude, aware = self._newcomers.tastes(self.draws, "arrival_", k,
                                                              ids, p.segment[ids])
        p.expectation[ids] = expectation
        p.attitude[ids] = attitude
        p.aware[ids] = aware
        p.visit_score[ids] = np.nan
        p.visits[ids] = 0
        p.satisfaction[ids] = c.attitude_mean
        p.effort[ids] = self.cfg.touchpoints.effort_base
        p.stage[ids] = PROSPECT
        p.has_vehicle[ids] = False
        p.selling_dealer[ids] = NO_DEALER
        p.service_provider[ids] = NO_DEALER
        p.last_service_week[ids] = FAR_PAST
        p.purchase_week[ids] = FAR_PAST
        p.serviced_at_seller[ids] = False
        wait = self.draws.exponential("arrival_entry", k, ids) * c.first_time_entry_years \
            * WEEKS_PER_YEAR
        self.cal.book("enter", ids, seasonal(self.week + wait, m.season_cdf, self.week))

    def book_initial(self) -> None:
        """When today's owners and first-time buyers will enter the market."""
        c, p, dr = self.cfg.customers, self.pop, self.draws
        start = self.week
        cdf = self.market.season_cdf
        own = np.flatnonzero(p.has_vehicle)
        # Expectations as a stationary market would have them: drifted toward the
        # dealer's quality for as long as the household has been in the market.
        dl, tc = self.market.dealers, self.cfg.touchpoints
        felt = dl.eff_quality.copy()  # a missing part is felt as parts_missing_quality
        parts = TOUCHPOINTS.index("parts")
        on_hand = chance_at_quality(tc.parts_available, tc.parts_quality_slope,
                                    felt[:, parts], tc.reference_quality)
        felt[:, parts] = on_hand * felt[:, parts] + (1 - on_hand) * tc.parts_missing_quality
        for block in blocks(own.size):  # each owner's own rows and draws: same numbers
            ids = own[block]
            p.expectation[ids] = settled_expectations(
                self.cfg, dr, ids, p.expectation[ids],
                self.market.to_global(ids, p.selling_dealer[ids]), felt, dl.eff_sd,
                p.affinity[ids], self._drift(ids))
        # A stationary renewal process: the current ownership spell is length-biased
        # (lognormal with mu + sigma^2), and now falls uniformly inside it.
        mu, sigma = ownership_horizon(c.ownership_months, c.ownership_cv)
        spell = np.exp(mu + sigma ** 2 + sigma * dr.normal("initial_spell", 0, own))
        u = dr.uniform("initial_age", 0, own)
        p.purchase_week[own] = start - np.floor((1.0 - u) * spell).astype(np.int32)
        self.cal.book("enter", own, seasonal(start + u * spell, cdf, self.week))
        prospects = np.flatnonzero(~p.has_vehicle)
        wait = dr.exponential("first_entry", 0, prospects) * c.first_time_entry_years \
            * WEEKS_PER_YEAR
        self.cal.book("enter", prospects, seasonal(start + wait, cdf, self.week))
