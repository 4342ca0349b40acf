"""The purchase (process 5, its end): the final choice among visited dealers,
finance, hand-offs and delivery, the sale, and the owner's new life."""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri

from cxsim import experience as xp
from cxsim.choice import pick
from cxsim.customers import OWNER
from cxsim.lifecycle import ownership_horizon, seasonal, weeks_to_service
from cxsim.processes.base import Process, T, flat
from cxsim.rules import register

# Columns of a purchase episode, in the order lived.
SALE_MOMENTS = ("digital", "sales", "handoff_finance", "finance", "handoff_delivery",
                "delight", "delivery")
P = {name: i for i, name in enumerate(SALE_MOMENTS)}
SALE_DRAWS = {n: j for j, n in enumerate(
    ("finance", "delivery", "handoff_finance", "handoff_delivery", "delight", "survey",
     "talk", "review", "horizon", "service_gap"))}


@register("purchase", "default")
class Purchase(Process):
    """Buyers choose, live the rest of the sale, and become owners."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        tc = self.cfg.touchpoints
        self._rare_cols = np.array([P["handoff_finance"], P["handoff_delivery"], P["delight"]])
        self._rare_quality = np.array(
            [tc.handoff_quality, tc.handoff_quality, tc.delight_quality])
        self._tps = np.array([T["finance"], T["delivery"]])
        self._rows = np.array([P["finance"], P["delivery"]])

    def final_choice(self, ids: np.ndarray, loyalty: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The soft end of search: buy at one of the dealers visited (logit).

        ``loyalty`` is the loyalty bonus (dealers, customers) of these customers.
        Returns (ids, dealers, moments) for :meth:`buy`.
        """
        c = self.cfg.choice
        scores = np.take(self.pop.visit_score, ids, axis=0)
        u = c.visit_satisfaction_slope * scores
        if c.buy_loyalty_weight and ids.size:
            u += c.buy_loyalty_weight * loyalty.T
        u = np.where(np.isnan(scores), -np.inf, u)
        d = pick(u, self.draws.uniform("final_choice", self._key(), ids))
        moments = np.full((len(SALE_MOMENTS), ids.size), np.nan)
        moments[P["sales"]] = scores[np.arange(ids.size), d]
        return ids, d, moments

    def markov(self, ids: np.ndarray) -> None:
        """Degenerate configuration: repurchase by a fixed switching matrix."""
        p = self.pop
        probs = np.asarray(self.cfg.choice.markov_switching, dtype=float)
        seller = p.selling_dealer[ids]
        rows = np.where(seller >= 0, seller, 0)
        d = pick(np.log(np.maximum(probs[rows], 1e-300)),
                 self.draws.uniform("markov", self._key(), ids))
        moments = np.full((len(SALE_MOMENTS), ids.size), np.nan)
        moments[P["sales"]] = self.cfg.touchpoints.reference_quality
        self.buy(ids, d, moments)

    def buy(self, ids: np.ndarray, d: np.ndarray, moments: np.ndarray) -> None:
        """Finance, hand-offs and delivery; the sale; the owner's new life.

        ``moments`` is (moments, buyers), the sales visit already filled in; ``d``
        is each buyer's dealer as the customer numbers them (:meth:`Market.to_global`).
        """
        if ids.size == 0:
            return
        tc = self.cfg.touchpoints
        p, m, k, mt = self.pop, self.market, self._key(), self.metrics
        dl = m.dealers
        moments = np.ascontiguousarray(moments)  # concatenated batches may come in F order
        g = m.to_global(ids, d)
        U = self.draws.uniform_rows("purchase", k, ids, len(SALE_DRAWS))
        Z = ndtri(U[[SALE_DRAWS["finance"], SALE_DRAWS["delivery"], SALE_DRAWS["survey"],
                     SALE_DRAWS["horizon"]]])
        tps = self._tps
        expected = np.take(p.expectation, ids, axis=0)[:, tps].T
        x = self._experienced(g, tps, Z[:2])
        x_fin, x_del = x
        moments[self._rows] = xp.moment_satisfaction(x, expected, tc)
        mt.kpi(g, tps, x)
        fail = dl.handoff_fail[g]
        h1 = U[SALE_DRAWS["handoff_finance"]] < fail
        h2 = U[SALE_DRAWS["handoff_delivery"]] < fail
        delight = U[SALE_DRAWS["delight"]] < (tc.delight_rate * dl.engagement)[g]
        self._rare(moments, self._rare_cols, np.stack([h1, h2, delight]),
                   self._rare_quality, ids)
        score = xp.remember(moments.T, tc)
        problems = h1.astype(float) + h2 + (x_fin < tc.problem_below) + \
            (x_del < tc.problem_below)
        effort = xp.effort_score(problems, 0.0, tc)
        if m.journal is not None:
            m.journal.episode("bought", self, ids, d, moments, SALE_MOMENTS, score)
        self._expect_many(ids, tps, xp.drift(expected, x, self._drift(ids)))
        # Accounts and loyalty.
        old = p.selling_dealer[ids]
        had = old >= 0
        same = had & (old == d)
        mt.add_many(g, {"units_sold": 1.0, "revenue_k": self.cfg.dealers.vehicle_price_k,
                        "gross_profit_k": dl.gross_per_vehicle[g]})
        mt.funnel["bought"] += np.bincount(g, minlength=m.n_all_dealers)
        mt.funnel["bought_again"] += np.bincount(g[same], minlength=m.n_all_dealers)
        provider = p.service_provider[ids]
        serviced = had & self._bonded(ids, provider) & (provider == old)
        old_g = m.to_global(ids, np.where(had, old, 0))
        mt.add_many(old_g, {
            "repurchases": had, "loyal_repurchases": same,
            "churn_to_competitors": had & ~same, "repurchases_serviced": serviced,
            "loyal_repurchases_serviced": serviced & same})
        m.owners -= np.bincount(old_g[had], minlength=m.n_all_dealers)
        m.owners += np.bincount(g, minlength=m.n_all_dealers)
        # The relationship with the (possibly new) dealer.
        start = np.where(same, p.satisfaction[ids], flat(p.attitude)[self._cell(ids, d)])
        self._remember(ids, d, score, score, effort, start, Z[2])
        p.selling_dealer[ids] = d
        p.purchase_week[ids] = self.week
        p.has_vehicle[ids] = True
        p.serviced_at_seller[ids] = False
        p.stage[ids] = OWNER
        p.visit_score[ids] = np.nan
        m.leave_market(ids)
        c = self.cfg.customers
        mu, sigma = ownership_horizon(c.ownership_months, c.ownership_cv)
        self.cal.book("enter", ids, seasonal(self.week + np.exp(mu + sigma * Z[3]),
                                             m.season_cdf, self.week))
        self.cal.book("service", ids, self.week + weeks_to_service(
            -np.log(U[SALE_DRAWS["service_gap"]]), self.cfg.choice.service_need_per_year))
        self.processes.word_of_mouth.speak(ids, d, score, U[SALE_DRAWS["talk"]],
                                           U[SALE_DRAWS["review"]])
