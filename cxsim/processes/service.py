"""Ownership and service (process 6): where an owner takes a service need, the
visit through the dealer's lane, and the next need."""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri

from cxsim import experience as xp
from cxsim.blocks import blocks
from cxsim.choice import chance_at_quality, pick
from cxsim.config import WEEKS_PER_YEAR
from cxsim.customers import INDEPENDENT
from cxsim.lifecycle import weeks_to_service
from cxsim.processes.base import Process, T, flat
from cxsim.rules import register

# Columns of a service episode, in the order lived.
SERVICE_MOMENTS = ("communication", "parts", "delight", "wait", "service", "comeback",
                   "recovery")
S = {name: i for i, name in enumerate(SERVICE_MOMENTS)}
SERVICE_DRAWS = {n: j for j, n in enumerate(
    ("choice", "need_gap", "wait", "wait_length", "communication", "service", "parts_x",
     "parts", "delight", "fixed", "recovery", "survey", "talk", "review"))}
_AT_LANE = SERVICE_DRAWS["wait"]  # slots from here on are drawn only for dealer visits
BOND_ROUNDS = 6
"""Service needs replayed to settle the starting service bonds (about 2.6 years
of needs, half a spell; shares of providers change little after the fourth)."""


@register("service", "default")
class Service(Process):
    """Owners' service needs: a dealer's lane or an independent shop."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        tc = self.cfg.touchpoints
        self._tps = np.array([T["communication"], T["service"], T["parts"]])
        self._rows = np.array([S["communication"], S["service"], S["parts"]])
        self._rare_cols = np.array([S["delight"], S["comeback"], S["recovery"]])
        self._rare_quality = np.array(
            [tc.delight_quality, tc.failure_quality, tc.recovery_quality])

    def book_initial(self) -> None:
        """Today's owners' first service need."""
        own = np.flatnonzero(self.pop.has_vehicle)
        self.settle_bonds(own)
        self.cal.book("service", own, self.week + weeks_to_service(
            self.draws.exponential("initial_service", 0, own),
            self.cfg.choice.service_need_per_year))

    def _where(self, ids: np.ndarray, seller: np.ndarray, provider: np.ndarray,
               age_years: np.ndarray, u: np.ndarray, base: np.ndarray | None = None
               ) -> np.ndarray:
        """Where each need goes: a dealer's index, or ``n_dealers`` (an independent shop)."""
        c, m = self.cfg.choice, self.market
        nd = m.n_dealers
        # the last row: an independent shop
        util = self._dealer_utility(ids, rows=nd + 1, seller=seller, provider=provider,
                                    base=base)
        queue = m.lanes.queue_wait()  # a backlog sends some customers elsewhere
        if queue.any():
            util[:nd] -= m.per_customer(c.wait_weight * queue, ids)
        unaware = self._unaware(ids)
        if unaware is not None:
            np.copyto(util[:nd], -np.inf, where=unaware)
        np.add(c.independent_utility, c.independent_age_weight * age_years, out=util[nd])
        return pick(util.T, u)

    def settle_bonds(self, own: np.ndarray) -> None:
        """Today's owners' service bonds as a settled market has them.

        Their last ``BOND_ROUNDS`` service needs are replayed, oldest first: the
        gaps between needs are exponential (the needs are Poisson), each need is
        placed by the service choice seeing the bond the one before made, and a
        need that fell before the vehicle's purchase was the previous vehicle's,
        whose seller is drawn by the choice over stores, loyalty included (so the
        owners who switched store at their last purchase start with the mismatched
        bonds a settled market holds).
        """
        if self.cfg.choice.service_need_per_year <= 0:
            return
        for block in blocks(own.size):  # each owner's replay is its own: same numbers
            self._settle_block(own[block])

    def _settle_block(self, own: np.ndarray) -> None:
        """:meth:`settle_bonds` for one block of owners."""
        p, c, nd = self.pop, self.cfg.choice, self.market.n_dealers
        seller = p.selling_dealer[own]
        base = self._base_utility(own)  # the same in every replayed need: worked out once
        u = self._dealer_utility(own, seller=seller, base=base)
        previous = pick(u.T, self.draws.uniform("initial_previous_seller", 0, own))
        age = self.week - p.purchase_week[own]
        gaps = weeks_to_service(
            -np.log(self.draws.uniform_rows("initial_service_gaps", 0, own,
                                            BOND_ROUNDS)).ravel(),
            c.service_need_per_year).reshape(BOND_ROUNDS, own.size)
        ago = np.cumsum(gaps, axis=0)  # row j: weeks since the (j+1)-th last need
        months = self.cfg.customers.ownership_months / 12.0
        for j in range(BOND_ROUNDS - 1, -1, -1):
            after = ago[j] <= age
            at = np.where(after, seller, previous)
            years = np.where(after, age - ago[j],
                             np.maximum(months * WEEKS_PER_YEAR - (ago[j] - age), 0)
                             ) / WEEKS_PER_YEAR
            if j < BOND_ROUNDS - 1:  # the bond the need before made
                p.last_service_week[own] = self.week - (ago[j + 1] - ago[j])
            choice = self._where(own, at, p.service_provider[own], years,
                                 self.draws.uniform("initial_provider", 0, own, slot=j), base)
            p.service_provider[own] = np.where(choice < nd, choice, INDEPENDENT)
        p.last_service_week[own] = self.week - ago[0]

    def serve(self, ids: np.ndarray) -> None:
        """Service needs: choose where, live the visit, book the next need."""
        if ids.size == 0:
            return
        c, tc = self.cfg.choice, self.cfg.touchpoints
        p, m, k, mt = self.pop, self.market, self._key(), self.metrics
        dl = m.dealers
        nd = m.n_dealers
        # Choosing where needs two draws each; the visit's draws are made below, only
        # for those who come to a dealer (same keys, hence the same numbers).
        U = self.draws.uniform_rows("service", k, ids, _AT_LANE)
        self.cal.book("service", ids, self.week + weeks_to_service(
            -np.log(U[SERVICE_DRAWS["need_gap"]]), c.service_need_per_year))
        seller, provider, bought = (p.selling_dealer[ids], p.service_provider[ids],
                                    p.purchase_week[ids])
        age_years = (self.week - bought) / WEEKS_PER_YEAR
        choice = self._where(ids, seller, provider, age_years, U[SERVICE_DRAWS["choice"]])
        at_dealer = choice < nd
        has_seller = seller >= 0
        young = has_seller & (age_years <= c.young_vehicle_years)
        here = choice == seller
        independent = ~at_dealer
        mt.add_many(m.to_global(ids, np.where(has_seller, seller, 0)), {
            "owner_service_needs": has_seller, "owner_serviced_here": has_seller & here,
            "young_needs": young, "young_at_seller": young & here,
            "churn_to_independents": has_seller & independent})
        p.service_provider[ids[independent]] = INDEPENDENT
        p.last_service_week[ids[independent]] = self.week
        ids, d = ids[at_dealer], choice[at_dealer]
        if ids.size == 0:
            return
        g = m.to_global(ids, d)  # the dealer's row in the dealer arrays and counters
        # (those who go to an independent shop were the only ones whose provider changed)
        seller, provider, bought = seller[at_dealer], provider[at_dealer], bought[at_dealer]
        V = self.draws.uniform_rows("service", k, ids, len(SERVICE_DRAWS) - _AT_LANE,
                                    first=_AT_LANE)

        def draw(name: str) -> np.ndarray:
            return V[SERVICE_DRAWS[name] - _AT_LANE]

        Z = ndtri(V[[SERVICE_DRAWS[n] - _AT_LANE
                     for n in ("communication", "service", "parts_x", "survey")]])
        own = d == seller
        first_here = own & ~p.serviced_at_seller[ids] & (bought >= 0)
        mt.funnel["serviced_after_buying"] += np.bincount(g[first_here],
                                                          minlength=m.n_all_dealers)
        p.serviced_at_seller[ids[own]] = True
        # The lane: wait from the M/M/c law at the lane's smoothed load.
        waits = m.lanes.serve(g, draw("wait"), draw("wait_length"))
        # The three touchpoints of a visit as rows of one block each: what was
        # experienced, what was expected, how it felt.
        tps = self._tps
        expected = np.take(p.expectation, ids, axis=0)[:, tps].T
        exp_com, exp_svc, exp_parts = expected
        moments = np.full((len(SERVICE_MOMENTS), ids.size), np.nan)
        x = self._experienced(g, tps, Z[:3])
        x_com, x_svc, x_parts = x
        # Chances that depend only on the dealer are computed per dealer, then looked up.
        ref = tc.reference_quality
        parts_ok = draw("parts") < chance_at_quality(
            tc.parts_available, tc.parts_quality_slope, dl.eff_quality[:, T["parts"]], ref)[g]
        felt = x.copy()
        np.copyto(felt[2], tc.parts_missing_quality, where=~parts_ok)
        moments[self._rows] = xp.moment_satisfaction(felt, expected, tc)
        waited = np.flatnonzero(waits > tc.wait_felt_above_hours)
        if waited.size:
            x_wait = xp.clip(x_svc[waited] - tc.wait_penalty_per_hour * waits[waited],
                             0.0, 10.0)
            moments[S["wait"], waited] = xp.moment_satisfaction(x_wait, exp_svc[waited], tc)
        delight = draw("delight") < (tc.delight_rate * dl.engagement)[g]
        fixed = draw("fixed") < chance_at_quality(
            tc.fix_first_time, tc.fix_quality_slope, dl.eff_quality[:, T["service"]], ref)[g]
        comeback = ~fixed
        recovered = comeback & (draw("recovery") < (tc.recovery_rate * dl.engagement)[g])
        self._rare(moments, self._rare_cols, np.stack([delight, comeback, recovered]),
                   self._rare_quality, ids)
        # A good recovery lifts satisfaction but not loyalty (de Matos et al. 2007):
        # the attitude that drives choice remembers the episode without it. Both
        # memories in one pass: the recovered episodes again, recovery left out.
        recovered_rows = np.flatnonzero(recovered)
        if recovered_rows.size:
            no_recovery = moments[:, recovered_rows]
            no_recovery[S["recovery"]] = np.nan
            both = xp.remember(np.concatenate([moments, no_recovery], axis=1).T, tc)
            score = both[:ids.size]
            loyalty_score = score.copy()
            loyalty_score[recovered_rows] = both[ids.size:]
        else:
            score = loyalty_score = xp.remember(moments.T, tc)
        problems = comeback.astype(float) + ~parts_ok + (x_svc < tc.problem_below) + \
            (x_com < tc.problem_below)
        effort = xp.effort_score(problems, waits, tc)
        if m.journal is not None:
            m.journal.episode("serviced", self, ids, d, moments, SERVICE_MOMENTS, score, waits)
        self._expect_many(ids, tps, xp.drift(expected, felt, self._drift(ids)))
        mt.kpi(g, tps, x)
        mt.add_many(g, {"service_visits": 1.0, "wait_hours_sum": waits,
                        "revenue_k": self.cfg.dealers.service_ticket_k,
                        "gross_profit_k": dl.gross_per_service[g]})
        start = np.where(own | (provider == d), p.satisfaction[ids],
                         flat(p.attitude)[self._cell(ids, d)])
        self._remember(ids, d, score, loyalty_score, effort, start, Z[3])
        p.service_provider[ids] = d
        p.last_service_week[ids] = self.week
        self.processes.word_of_mouth.speak(ids, d, score, draw("talk"), draw("review"))
