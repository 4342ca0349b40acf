"""Entering the market (process 3): owners due for a replacement and first-time
buyers start shopping; at the start of a run, everyone's entry is booked."""

from __future__ import annotations

import numpy as np

from cxsim.config import WEEKS_PER_YEAR
from cxsim.customers import SHOPPING
from cxsim.lifecycle import ownership_horizon, seasonal
from cxsim.processes.base import Process
from cxsim.rules import register


@register("entry", "default")
class Entry(Process):
    """Customers whose entry is due start shopping this week."""

    def enter(self, ids: np.ndarray) -> None:
        """Owners whose replacement is due, and first-time buyers, start shopping."""
        if ids.size == 0:
            return
        p, m = self.pop, self.market
        p.stage[ids] = SHOPPING
        p.visits[ids] = 0
        p.visit_score[ids] = np.nan
        m.in_market += ids.size
        m.entered_this_week += ids.size
        self.cal.book("visit", ids, self.week)

    def book_initial(self) -> None:
        """When today's owners and first-time buyers will enter the market."""
        c, p, dr = self.cfg.customers, self.pop, self.draws
        start = self.week
        cdf = self.market.season_cdf
        own = np.flatnonzero(p.has_vehicle)
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
