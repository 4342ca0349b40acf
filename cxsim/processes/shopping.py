"""Shopping (processes 4-5): each week a shopper visits one more dealer, lives the
website and the salesperson, and buys there or walks away and shops on."""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri

from cxsim import experience as xp
from cxsim.choice import buy_logit, logistic, pick
from cxsim.processes.base import Process, T, flat
from cxsim.processes.purchase import SALE_MOMENTS, P
from cxsim.rules import register

# One block of keyed uniforms per visit: column j is slot j of the "visit" purpose,
# so every number stays keyed by (seed, purpose, week, customer).
VISIT_DRAWS = {n: j for j, n in enumerate(("choice", "web", "digital", "sales", "buy"))}


@register("shopping", "default")
class Shopping(Process):
    """Visits to dealers and the decision to buy at the one visited."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._visit_tps = np.array([T["digital"], T["sales"]])

    def visit(self, ids: np.ndarray) -> None:
        """Each shopper visits one more dealer, and may buy there."""
        if ids.size == 0:
            return
        c, tc = self.cfg.choice, self.cfg.touchpoints
        p, m, k = self.pop, self.market, self._key()
        purchase = self.processes.purchase
        if c.markov_switching:
            purchase.markov(ids)
            return
        nd = m.n_dealers
        # The loyalty bonus weighs in where to go, whether to buy there and the final
        # choice: computed once for all three.
        loyalty = self._loyalty(ids)
        u = self._dealer_utility(ids, loyalty=loyalty)
        u += m.per_customer(c.marketing_weight * (m.dealers.eff_quality[:, T["marketing"]]
                                                  - tc.reference_quality), ids)
        # Dealer-major masks (C order), so "no dealer left" is a pass over rows.
        blocked = np.empty((nd, ids.size), dtype=bool)
        np.logical_not(np.isnan(np.take(p.visit_score, ids, axis=0).T), out=blocked)
        unaware = self._unaware(ids)
        if unaware is not None:
            blocked |= unaware
        np.copyto(u, -np.inf, where=blocked)
        none_left = blocked.all(axis=0)
        # Those who end their search choose among the dealers they visited (stuck:
        # no dealer left to visit; done: the last visit they will make).
        final_ids, final_loyalty = [], []
        if none_left.any():
            stuck = ids[none_left]
            visited_any = p.visits[stuck] > 0
            final_ids.append(stuck[visited_any])
            final_loyalty.append(loyalty[:, none_left][:, visited_any])
            self.cal.book("visit", stuck[~visited_any], self.week + 1)
            keep = ~none_left
            ids, u, loyalty = ids[keep], u[:, keep], loyalty[:, keep]
            if ids.size == 0:
                purchase.buy(*purchase.final_choice(np.concatenate(final_ids),
                                                    np.concatenate(final_loyalty, axis=1)))
                return
        U = self.draws.uniform_rows("visit", k, ids, len(VISIT_DRAWS))
        Z = ndtri(U[[VISIT_DRAWS["digital"], VISIT_DRAWS["sales"]]])
        d = pick(u.T, U[VISIT_DRAWS["choice"]])
        g = m.to_global(ids, d)  # the dealer's row in the dealer arrays and counters
        self.metrics.add("visits", g)
        self.metrics.funnel["visited"] += np.bincount(g, minlength=m.n_all_dealers)
        # The visit: website (if the customer uses it) and the salesperson.
        moments = np.full((len(SALE_MOMENTS), ids.size), np.nan)
        uses_web = U[VISIT_DRAWS["web"]] < p.affinity[ids]
        x_dig, x_sales = self._experienced(g, self._visit_tps, Z)
        exp_dig = p.expectation[ids, T["digital"]]
        exp_sales = p.expectation[ids, T["sales"]]
        moments[P["digital"]] = np.where(
            uses_web, xp.moment_satisfaction(x_dig, exp_dig, tc), np.nan)
        moments[P["sales"]] = xp.moment_satisfaction(x_sales, exp_sales, tc)
        self.metrics.kpi(g[uses_web], T["digital"], x_dig[uses_web])
        self.metrics.kpi(g, T["sales"], x_sales)
        visit_score = xp.remember(moments[:2].T, tc)
        problems = (x_sales < tc.problem_below) + (uses_web & (x_dig < tc.problem_below))
        visit_effort = xp.effort_score(problems.astype(float), 0.0, tc)
        z_buy = buy_logit(visit_score, visit_effort, p.affinity[ids], m.friction_of(ids), c)
        if c.buy_loyalty_weight:
            # The relationship also weighs in the decision to buy where one is
            # (Cox 2025: 74 % of dealer-serviced owners expect to buy there again).
            z_buy += c.buy_loyalty_weight * loyalty[d, np.arange(ids.size)]
        buys = U[VISIT_DRAWS["buy"]] < logistic(z_buy)
        drift = self._drift(ids)
        self._expect(ids[uses_web], T["digital"],
                     xp.drift(exp_dig[uses_web], x_dig[uses_web],
                              drift if np.ndim(drift) == 0 else drift[uses_web]))
        self._expect(ids, T["sales"], xp.drift(exp_sales, x_sales, drift))
        # Shoppers who walk away remember the visit and shop on.
        walk = ~buys
        wid, wd = ids[walk], d[walk]
        cell = self._cell(wid, wd)
        flat(p.visit_score)[cell] = visit_score[walk]
        p.visits[wid] += 1
        attitude = flat(p.attitude)
        att = attitude[cell]
        attitude[cell] = att + tc.own_experience_weight * (visit_score[walk] - att)
        done = p.visits[wid] >= c.max_visits
        final_ids.append(wid[done])
        final_loyalty.append(loyalty[:, walk][:, done])
        self.cal.book("visit", wid[~done], self.week + 1)
        purchase.buy(*_join([
            purchase.final_choice(np.concatenate(final_ids),
                                  np.concatenate(final_loyalty, axis=1)),
            (ids[buys], d[buys], moments[:, buys])]))


def _join(parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]]
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Concatenate (ids, dealers, moments) batches of buyers (moments are (moments, buyers))."""
    ids, dealers, moments = zip(*parts, strict=True)
    return np.concatenate(ids), np.concatenate(dealers), np.concatenate(moments, axis=1)
