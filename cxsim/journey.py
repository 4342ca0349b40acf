"""The customer journey: entering the market, shopping, buying, servicing, talking.

Each process takes an array of customer ids whose event is due this week and
handles them all at once. The fast engine calls them with every due customer;
the stepped engine with one customer at a time from ``Customer.step``. Since
every random number is keyed by (seed, purpose, week, customer) and customers
interact only through word of mouth and the service lanes' smoothed load
(both applied at the end of the week), the two engines give the same
results; only their speed differs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.special import ndtri

from cxsim import experience as xp
from cxsim.calendar import NEVER
from cxsim.choice import logit_probabilities, loyalty_bonus, pick
from cxsim.config import TOUCHPOINTS
from cxsim.customers import INDEPENDENT, OWNER, SHOPPING
from cxsim.queueing import sample_waits
from cxsim.social import neighbours_of

if TYPE_CHECKING:
    from cxsim.model import CxModel

T = {name: i for i, name in enumerate(TOUCHPOINTS)}
# Columns of a purchase episode and of a service episode, in the order lived.
SALE_MOMENTS = ("digital", "sales", "handoff_finance", "finance", "handoff_delivery",
                "delight", "delivery")
SERVICE_MOMENTS = ("communication", "parts", "delight", "wait", "service", "comeback",
                   "recovery")
S = {name: i for i, name in enumerate(SERVICE_MOMENTS)}
P = {name: i for i, name in enumerate(SALE_MOMENTS)}
# One block of keyed uniforms per process and customer: column j is slot j of the
# process's purpose, so every number stays keyed by (seed, purpose, week, customer).
VISIT_DRAWS = {n: j for j, n in enumerate(("choice", "web", "digital", "sales", "buy"))}
SALE_DRAWS = {n: j for j, n in enumerate(
    ("finance", "delivery", "handoff_finance", "handoff_delivery", "delight", "survey",
     "talk", "review", "horizon", "service_gap"))}
SERVICE_DRAWS = {n: j for j, n in enumerate(
    ("choice", "need_gap", "wait", "wait_length", "communication", "service", "parts_x",
     "parts", "delight", "fixed", "recovery", "survey", "talk", "review"))}


def _logistic(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _join(parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]]
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Concatenate (ids, dealers, moments) batches of buyers."""
    return tuple(np.concatenate([part[i] for part in parts]) for i in range(3))


class Journey:
    """The weekly processes of MODEL.md, applied to batches of customers."""

    def __init__(self, model: CxModel) -> None:
        self.m = model
        self.cfg = model.cfg
        self.pop = model.population
        self.draws = model.draws
        self.cal = model.calendar
        self.metrics = model.metrics
        self._talk: list[tuple[np.ndarray, np.ndarray, np.ndarray, bool]] = []
        self._reviews: list[tuple[np.ndarray, np.ndarray]] = []

    # -- helpers -------------------------------------------------------------
    @property
    def week(self) -> int:
        return self.m.week

    def _key(self) -> int:
        """Draw key for this week (non-negative even during warm-up)."""
        return self.m.week + self.m.warmup

    def _experienced(self, dealers: np.ndarray, tp: int, z: np.ndarray) -> np.ndarray:
        """Quality met at a touchpoint: the dealer's level plus its inconsistency."""
        return np.clip(self.m.eff_quality[dealers, tp] + self.m.eff_sd[dealers] * z, 0.0, 10.0)

    def _rare(self, moments: np.ndarray, col: int, happened: np.ndarray, quality: float,
              mean_expectation: np.ndarray) -> None:
        """Fill a moment that only some episodes have (hand-off, delight, comeback...).

        Judged against the customer's average expectation, since no touchpoint owns it.
        """
        rows = np.flatnonzero(happened)
        if rows.size:
            moments[rows, col] = xp.moment_satisfaction(
                np.full(rows.size, quality), mean_expectation[rows], self.cfg.touchpoints)

    def _bonded(self, ids: np.ndarray) -> np.ndarray:
        recent = self.week - self.pop.last_service_week[ids] <= self.cfg.choice.service_bond_weeks
        return recent & (self.pop.service_provider[ids] >= 0)

    def _effort_penalty(self, ids: np.ndarray) -> np.ndarray:
        c = self.cfg.touchpoints
        return c.effort_loyalty_penalty * np.maximum(self.pop.effort[ids] - 4.0, 0.0)

    def _dealer_utility(self, ids: np.ndarray) -> np.ndarray:
        """Utility of each dealer for each customer, before loyalty and masks."""
        c = self.cfg.choice
        p = self.pop
        m = self.m
        u = c.attitude_weight * p.attitude[ids]
        u += c.rating_weight * p.affinity[ids, None] * m.rating[None, :]
        u += m.static_utility[ids]
        loyal = loyalty_bonus(ids.size, m.n_dealers, p.selling_dealer[ids],
                              p.service_provider[ids], self._bonded(ids), m.friction,
                              c.switching_cost, c.service_bond, self._effort_penalty(ids))
        return u + loyal

    # -- process 3: entering the market ----------------------------------------
    def enter(self, ids: np.ndarray) -> None:
        """Owners whose replacement is due, and first-time buyers, start shopping."""
        if ids.size == 0:
            return
        p = self.pop
        p.stage[ids] = SHOPPING
        p.visits[ids] = 0
        p.visit_score[ids] = np.nan
        self.m.in_market += ids.size
        self.m.entered_this_week += ids.size
        self.cal.book("visit", ids, self.week)

    # -- processes 4-5: shopping and the sales journey -------------------------
    def visit(self, ids: np.ndarray) -> None:
        """Each shopper visits one more dealer, and may buy there."""
        if ids.size == 0:
            return
        c, tc = self.cfg.choice, self.cfg.touchpoints
        p, m, k = self.pop, self.m, self._key()
        if c.markov_switching:
            self._markov_purchase(ids)
            return
        u = self._dealer_utility(ids)
        u += c.marketing_weight * (m.eff_quality[None, :, T["marketing"]] - 7.5)
        blocked = ~p.aware[ids] | ~np.isnan(p.visit_score[ids])
        u = np.where(blocked, -np.inf, u)
        none_left = np.all(blocked, axis=1)
        sales = []
        if none_left.any():
            stuck = ids[none_left]
            visited_any = p.visits[stuck] > 0
            sales.append(self._final_choice(stuck[visited_any]))
            self.cal.book("visit", stuck[~visited_any], self.week + 1)
            ids, u = ids[~none_left], u[~none_left]
            if ids.size == 0:
                self._purchase(*_join(sales))
                return
        U = self.draws.uniform_matrix("visit", k, ids, len(VISIT_DRAWS))
        Z = ndtri(U[:, [VISIT_DRAWS["digital"], VISIT_DRAWS["sales"]]])
        d = pick(u, U[:, VISIT_DRAWS["choice"]])
        self.metrics.add("visits", d)
        self.metrics.funnel["visited"] += np.bincount(d, minlength=m.n_dealers)
        # The visit: website (if the customer uses it) and the salesperson.
        moments = np.full((ids.size, len(SALE_MOMENTS)), np.nan)
        uses_web = U[:, VISIT_DRAWS["web"]] < p.affinity[ids]
        x_dig = self._experienced(d, T["digital"], Z[:, 0])
        x_sales = self._experienced(d, T["sales"], Z[:, 1])
        exp = p.expectation[ids]
        moments[:, P["digital"]] = np.where(
            uses_web, xp.moment_satisfaction(x_dig, exp[:, T["digital"]], tc), np.nan)
        moments[:, P["sales"]] = xp.moment_satisfaction(x_sales, exp[:, T["sales"]], tc)
        self.metrics.kpi(d[uses_web], T["digital"], x_dig[uses_web])
        self.metrics.kpi(d, T["sales"], x_sales)
        visit_score = xp.remember(moments[:, :2], tc)
        problems = (x_sales < tc.problem_below) + (uses_web & (x_dig < tc.problem_below))
        visit_effort = xp.effort_score(problems.astype(float), 0.0, tc)
        z_buy = c.buy_intercept + c.visit_satisfaction_slope * (visit_score - 7.5) \
            - c.buy_effort_slope * (visit_effort - 3.0) \
            + c.buy_digital_boost * p.affinity[ids] * (1.0 - m.friction)
        buys = U[:, VISIT_DRAWS["buy"]] < _logistic(z_buy)
        drift = tc.expectation_drift
        p.expectation[ids[uses_web], T["digital"]] = xp.drift(
            exp[uses_web, T["digital"]], x_dig[uses_web], drift)
        p.expectation[ids, T["sales"]] = xp.drift(exp[:, T["sales"]], x_sales, drift)
        # Shoppers who walk away remember the visit and shop on.
        walk = ~buys
        wid, wd = ids[walk], d[walk]
        p.visit_score[wid, wd] = visit_score[walk]
        p.visits[wid] += 1
        att = p.attitude[wid, wd]
        p.attitude[wid, wd] = att + tc.own_experience_weight * (visit_score[walk] - att)
        done = p.visits[wid] >= c.max_visits
        sales.append(self._final_choice(wid[done]))
        self.cal.book("visit", wid[~done], self.week + 1)
        sales.append((ids[buys], d[buys], moments[buys]))
        self._purchase(*_join(sales))

    def _final_choice(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The soft end of search: buy at one of the dealers visited (logit)."""
        c = self.cfg.choice
        scores = self.pop.visit_score[ids]
        u = np.where(np.isnan(scores), -np.inf, c.visit_satisfaction_slope * scores)
        d = pick(u, self.draws.uniform("final_choice", self._key(), ids))
        moments = np.full((ids.size, len(SALE_MOMENTS)), np.nan)
        moments[:, P["sales"]] = scores[np.arange(ids.size), d]
        return ids, d, moments

    def _markov_purchase(self, ids: np.ndarray) -> None:
        """Degenerate configuration: repurchase by a fixed switching matrix."""
        p = self.pop
        probs = np.asarray(self.cfg.choice.markov_switching, dtype=float)
        seller = p.selling_dealer[ids]
        rows = np.where(seller >= 0, seller, 0)
        d = pick(np.log(np.maximum(probs[rows], 1e-300)),
                 self.draws.uniform("markov", self._key(), ids))
        moments = np.full((ids.size, len(SALE_MOMENTS)), np.nan)
        moments[:, P["sales"]] = 7.5
        self._purchase(ids, d, moments)

    def _purchase(self, ids: np.ndarray, d: np.ndarray, moments: np.ndarray) -> None:
        """Finance, hand-offs and delivery; the sale; the owner's new life."""
        if ids.size == 0:
            return
        tc = self.cfg.touchpoints
        p, m, k, mt = self.pop, self.m, self._key(), self.metrics
        U = self.draws.uniform_matrix("purchase", k, ids, len(SALE_DRAWS))
        Z = ndtri(U[:, [SALE_DRAWS["finance"], SALE_DRAWS["delivery"], SALE_DRAWS["survey"],
                        SALE_DRAWS["horizon"]]])
        exp = p.expectation[ids]
        mean_exp = exp.mean(axis=1)
        x_fin = self._experienced(d, T["finance"], Z[:, 0])
        x_del = self._experienced(d, T["delivery"], Z[:, 1])
        moments[:, P["finance"]] = xp.moment_satisfaction(x_fin, exp[:, T["finance"]], tc)
        moments[:, P["delivery"]] = xp.moment_satisfaction(x_del, exp[:, T["delivery"]], tc)
        mt.kpi(d, T["finance"], x_fin)
        mt.kpi(d, T["delivery"], x_del)
        fail = m.handoff_fail[d]
        h1 = U[:, SALE_DRAWS["handoff_finance"]] < fail
        h2 = U[:, SALE_DRAWS["handoff_delivery"]] < fail
        delight = U[:, SALE_DRAWS["delight"]] < tc.delight_rate * m.engagement[d]
        self._rare(moments, P["handoff_finance"], h1, tc.handoff_quality, mean_exp)
        self._rare(moments, P["handoff_delivery"], h2, tc.handoff_quality, mean_exp)
        self._rare(moments, P["delight"], delight, tc.delight_quality, mean_exp)
        score = xp.remember(moments, tc)
        problems = h1.astype(float) + h2 + (x_fin < tc.problem_below) + \
            (x_del < tc.problem_below)
        effort = xp.effort_score(problems, 0.0, tc)
        drift = tc.expectation_drift
        p.expectation[ids, T["finance"]] = xp.drift(exp[:, T["finance"]], x_fin, drift)
        p.expectation[ids, T["delivery"]] = xp.drift(exp[:, T["delivery"]], x_del, drift)
        # Accounts and loyalty.
        old = p.selling_dealer[ids]
        had = old >= 0
        same = had & (old == d)
        mt.add_many(d, {"units_sold": 1.0, "revenue_k": m.vehicle_price_k,
                        "gross_profit_k": m.gross_per_vehicle[d]})
        mt.funnel["bought"] += np.bincount(d, minlength=m.n_dealers)
        mt.funnel["bought_again"] += np.bincount(d[same], minlength=m.n_dealers)
        serviced = had & self._bonded(ids) & (p.service_provider[ids] == old)
        mt.add_many(np.where(had, old, 0), {
            "repurchases": had, "loyal_repurchases": same,
            "churn_to_competitors": had & ~same, "repurchases_serviced": serviced,
            "loyal_repurchases_serviced": serviced & same})
        m.owners -= np.bincount(old[had], minlength=m.n_dealers)
        m.owners += np.bincount(d, minlength=m.n_dealers)
        # The relationship with the (possibly new) dealer.
        start = np.where(same, p.satisfaction[ids], p.attitude[ids, d])
        self._remember(ids, d, score, score, effort, start, Z[:, 2])
        p.previous_dealer[ids] = old
        p.selling_dealer[ids] = d
        p.purchase_week[ids] = self.week
        p.has_vehicle[ids] = True
        p.serviced_at_seller[ids] = False
        p.stage[ids] = OWNER
        p.visit_score[ids] = np.nan
        m.in_market -= ids.size
        self.cal.book("enter", ids, m.replacement_week(self.week, Z[:, 3]))
        self.cal.book("service", ids, self.week + m.weeks_to_service(
            -np.log(U[:, SALE_DRAWS["service_gap"]])))
        self._speak(ids, d, score, U[:, SALE_DRAWS["talk"]], U[:, SALE_DRAWS["review"]])

    # -- process 6: ownership and service ------------------------------------------
    def service(self, ids: np.ndarray) -> None:
        """Service needs: choose where, live the visit, book the next need."""
        if ids.size == 0:
            return
        c, tc = self.cfg.choice, self.cfg.touchpoints
        p, m, k, mt = self.pop, self.m, self._key(), self.metrics
        U = self.draws.uniform_matrix("service", k, ids, len(SERVICE_DRAWS))
        self.cal.book("service", ids, self.week + m.weeks_to_service(
            -np.log(U[:, SERVICE_DRAWS["need_gap"]])))
        u_dealers = self._dealer_utility(ids)
        u_dealers = np.where(p.aware[ids], u_dealers, -np.inf)
        age_years = (self.week - p.purchase_week[ids]) / 52.0
        u_ind = c.independent_utility + c.independent_age_weight * age_years
        u = np.concatenate([u_dealers, u_ind[:, None]], axis=1)
        choice = pick(u, U[:, SERVICE_DRAWS["choice"]])
        at_dealer = choice < m.n_dealers
        seller = p.selling_dealer[ids]
        has_seller = seller >= 0
        young = has_seller & (age_years <= 2.0)
        here = choice == seller
        independent = ~at_dealer
        mt.add_many(np.where(has_seller, seller, 0), {
            "owner_service_needs": has_seller, "owner_serviced_here": has_seller & here,
            "young_needs": young, "young_at_seller": young & here,
            "churn_to_independents": has_seller & independent})
        p.service_provider[ids[independent]] = INDEPENDENT
        p.last_service_week[ids[independent]] = self.week
        ids, d, U = ids[at_dealer], choice[at_dealer], U[at_dealer]
        if ids.size == 0:
            return
        Z = ndtri(U[:, [SERVICE_DRAWS["communication"], SERVICE_DRAWS["service"],
                        SERVICE_DRAWS["parts_x"], SERVICE_DRAWS["survey"]]])
        first_here = (d == p.selling_dealer[ids]) & ~p.serviced_at_seller[ids] & \
            (p.purchase_week[ids] >= 0)
        mt.funnel["serviced_after_buying"] += np.bincount(d[first_here], minlength=m.n_dealers)
        p.serviced_at_seller[ids[d == p.selling_dealer[ids]]] = True
        m.lane_arrivals += np.bincount(d, minlength=m.n_dealers)
        # The lane: wait from the M/M/c law at the lane's smoothed load.
        waits = np.zeros(ids.size)
        u_wait = U[:, SERVICE_DRAWS["wait"]]
        e_len = -np.log(U[:, SERVICE_DRAWS["wait_length"]])
        for j in np.unique(d):
            sel = d == j
            waits[sel] = sample_waits(m.bays[j], m.lane_rate[j], m.service_rate[j],
                                      u_wait[sel], e_len[sel])
        exp = p.expectation[ids]
        mean_exp = exp.mean(axis=1)
        moments = np.full((ids.size, len(SERVICE_MOMENTS)), np.nan)
        x_com = self._experienced(d, T["communication"], Z[:, 0])
        x_svc = self._experienced(d, T["service"], Z[:, 1])
        x_parts = self._experienced(d, T["parts"], Z[:, 2])
        moments[:, S["communication"]] = xp.moment_satisfaction(
            x_com, exp[:, T["communication"]], tc)
        q_parts = m.eff_quality[d, T["parts"]]
        parts_ok = U[:, SERVICE_DRAWS["parts"]] < _logistic(
            np.log(tc.parts_available / (1 - tc.parts_available) if tc.parts_available < 1
                   else 50.0) + tc.parts_quality_slope * (q_parts - 7.5))
        x_parts_felt = np.where(parts_ok, x_parts, tc.parts_missing_quality)
        moments[:, S["parts"]] = xp.moment_satisfaction(x_parts_felt, exp[:, T["parts"]], tc)
        waited = waits > 0.05
        x_wait = np.clip(x_svc - tc.wait_penalty_per_hour * waits, 0.0, 10.0)
        moments[:, S["wait"]] = np.where(
            waited, xp.moment_satisfaction(x_wait, exp[:, T["service"]], tc), np.nan)
        moments[:, S["service"]] = xp.moment_satisfaction(x_svc, exp[:, T["service"]], tc)
        delight = U[:, SERVICE_DRAWS["delight"]] < tc.delight_rate * m.engagement[d]
        self._rare(moments, S["delight"], delight, tc.delight_quality, mean_exp)
        q_svc = m.eff_quality[d, T["service"]]
        fixed_logit = np.log(tc.fix_first_time / (1 - tc.fix_first_time)) \
            if tc.fix_first_time < 1 else 50.0
        fixed = U[:, SERVICE_DRAWS["fixed"]] < _logistic(
            fixed_logit + tc.fix_quality_slope * (q_svc - 7.5))
        comeback = ~fixed
        self._rare(moments, S["comeback"], comeback, tc.failure_quality, mean_exp)
        recovered = comeback & (U[:, SERVICE_DRAWS["recovery"]]
                                < tc.recovery_rate * m.engagement[d])
        self._rare(moments, S["recovery"], recovered, tc.recovery_quality, mean_exp)
        score = xp.remember(moments, tc)
        # A good recovery lifts satisfaction but not loyalty (de Matos et al. 2007):
        # the attitude that drives choice remembers the episode without it.
        loyalty_score = score.copy()
        if recovered.any():
            no_recovery = moments[recovered]
            no_recovery[:, S["recovery"]] = np.nan
            loyalty_score[recovered] = xp.remember(no_recovery, tc)
        problems = comeback.astype(float) + ~parts_ok + (x_svc < tc.problem_below) + \
            (x_com < tc.problem_below)
        effort = xp.effort_score(problems, waits, tc)
        drift = tc.expectation_drift
        p.expectation[ids, T["service"]] = xp.drift(exp[:, T["service"]], x_svc, drift)
        p.expectation[ids, T["communication"]] = xp.drift(
            exp[:, T["communication"]], x_com, drift)
        p.expectation[ids, T["parts"]] = xp.drift(exp[:, T["parts"]], x_parts_felt, drift)
        mt.kpi(d, T["service"], x_svc)
        mt.kpi(d, T["communication"], x_com)
        mt.kpi(d, T["parts"], x_parts)
        mt.add_many(d, {"service_visits": 1.0, "wait_hours_sum": waits,
                        "revenue_k": m.service_ticket_k,
                        "gross_profit_k": m.gross_per_service[d]})
        own = d == p.selling_dealer[ids]
        start = np.where(own | (p.service_provider[ids] == d), p.satisfaction[ids],
                         p.attitude[ids, d])
        self._remember(ids, d, score, loyalty_score, effort, start, Z[:, 3])
        p.service_provider[ids] = d
        p.last_service_week[ids] = self.week
        self._speak(ids, d, score, U[:, SERVICE_DRAWS["talk"]], U[:, SERVICE_DRAWS["review"]])

    # -- process 7 and 9: remembering and measuring ---------------------------------
    def _remember(self, ids: np.ndarray, d: np.ndarray, score: np.ndarray,
                  loyalty_score: np.ndarray, effort: np.ndarray, start: np.ndarray,
                  z: np.ndarray) -> None:
        tc = self.cfg.touchpoints
        p, mt = self.pop, self.metrics
        mem = tc.relationship_memory
        p.satisfaction[ids] = (1.0 - mem) * start + mem * score
        att = p.attitude[ids, d]
        p.attitude[ids, d] = att + tc.own_experience_weight * (loyalty_score - att)
        ltr, csat, ces = xp.survey(score, effort, z, tc)
        p.effort[ids] = ces
        mt.add_many(d, {"responses": 1.0, "promoters": ltr >= 9, "detractors": ltr <= 6,
                        "csat_sum": csat, "ces_sum": ces, "score_sum": score,
                        "top_box": score + tc.survey_generosity >= tc.superior_score,
                        "high_effort": ces >= 5})

    # -- process 8: word of mouth and reviews ---------------------------------------
    def _speak(self, ids: np.ndarray, d: np.ndarray, score: np.ndarray,
               u_talk: np.ndarray, u_review: np.ndarray) -> None:
        """Decide who talks and who reviews; the talk itself spreads at week's end."""
        w = self.cfg.word_of_mouth
        p = self.pop
        pt = xp.talk_probability(score, w.talk_rate, w.talk_positive_slope,
                                 w.talk_negative_slope, w.talk_neutral) * p.talkativeness[ids]
        talks = u_talk < pt
        if talks.any():
            self._talk.append((ids[talks], d[talks], score[talks], False))
        pr = xp.talk_probability(score, w.review_rate, w.talk_positive_slope,
                                 w.talk_negative_slope, w.talk_neutral) * p.affinity[ids]
        posts = u_review < pr
        if posts.any():
            self._reviews.append((d[posts], score[posts]))

    def chatter(self, ids: np.ndarray) -> None:
        """Talk not caused by an episode: tell one contact what you know of the dealers."""
        if ids.size == 0:
            return
        m, k = self.m, self._key()
        rate = self.cfg.word_of_mouth.chatter_per_year
        gap = np.ceil(self.draws.exponential("chatter_gap", k, ids) * 52.0 / rate)
        self.cal.book("chatter", ids, self.week + np.maximum(gap, 1).astype(np.int64))
        if self.cfg.customers.well_mixed or m.adjacency.nnz == 0:
            listeners = (self.draws.uniform("chatter_to", k, ids) * m.n).astype(np.int64)
        else:
            start = m.adjacency.indptr[ids]
            deg = m.adjacency.indptr[ids + 1] - start
            has = deg > 0
            ids = ids[has]
            off = (self.draws.uniform("chatter_to", k, ids) * deg[has]).astype(np.int64)
            listeners = m.adjacency.indices[start[has] + off].astype(np.int64)
        self._talk.append((ids, listeners, np.empty(0), True))

    def spread_word(self) -> None:
        """Apply the week's talk: listeners' attitudes move, they learn of dealers."""
        m, p, w, mt = self.m, self.pop, self.cfg.word_of_mouth, self.metrics
        talk, self._talk = self._talk, []
        # All of a week's episode talk is heard at once (one batch), so the result does
        # not depend on how the week's episodes were batched (fast vs stepped engine).
        episodes = [t for t in talk if not t[3]]
        if len(episodes) > 1:
            tellers = np.concatenate([t[0] for t in episodes])
            order = np.argsort(tellers, kind="stable")  # same float sums in any order
            talk = [t for t in talk if t[3]] + [(
                tellers[order],
                np.concatenate([t[1] for t in episodes])[order],
                np.concatenate([t[2] for t in episodes])[order], False)]
        for tellers, d, score, is_chatter in talk:
            if is_chatter:
                listeners = d  # chatter carries listener ids in the dealer slot
                # a listener told twice in one week keeps what either teller knew
                np.logical_or.at(p.aware, listeners, p.aware[tellers])
                continue
            if self.cfg.customers.well_mixed:
                deg = max(self.cfg.customers.network_degree, 1)
                who = np.repeat(np.arange(tellers.size), deg)
                listeners = (self.draws.uniform("listener", self._key(),
                                                np.repeat(tellers, deg) * deg
                                                + np.tile(np.arange(deg), tellers.size))
                             * m.n).astype(np.int64)
            else:
                who, listeners = neighbours_of(m.adjacency, tellers)
            if listeners.size == 0:
                continue
            dd, heard = d[who], score[who]
            delta = w.listen_weight * (heard - p.attitude[listeners, dd])
            np.add.at(p.attitude, (listeners, dd), delta)
            p.aware[listeners, dd] = True
            good = heard >= w.talk_neutral
            mt.add("wom_positive", dd[good])
            mt.add("wom_negative", dd[~good])
            if m.feed is not None:
                m.record_talk(tellers, d, score, who)
        reviews, self._reviews = self._reviews, []
        m.review_weight *= m.review_decay
        m.review_sum *= m.review_decay
        for d, score in reviews:
            m.review_weight += np.bincount(d, minlength=m.n_dealers)
            m.review_sum += np.bincount(d, weights=score, minlength=m.n_dealers)
            mt.add("reviews", d)
        m.update_rating()

    def advertise(self) -> None:
        """Unaware customers learn of a dealer from its marketing (Bass p)."""
        m, p = self.m, self.pop
        rate = self.cfg.word_of_mouth.advertising_per_year
        if rate <= 0:
            return
        prob = 1.0 - np.exp(-rate / 52.0)
        for j in m.dealers_with_unaware():
            unaware = np.flatnonzero(~p.aware[:, j])
            learns = self.draws.uniform(f"advert_{j}", self._key(), unaware) < prob
            p.aware[unaware[learns], j] = True

    # -- the week ----------------------------------------------------------
    def customer_week(self, ids: np.ndarray) -> None:
        """Every due event of these customers this week, in process order."""
        week = self.week
        cal = self.cal
        for kind, process in (("enter", self.enter), ("visit", self.visit),
                              ("service", self.service), ("chatter", self.chatter)):
            due = ids[cal.due[kind][ids] == week]
            if due.size:
                cal.cancel(kind, due)
                process(due)

    def all_due(self) -> None:
        """The fast engine: every customer with an event this week, in bulk."""
        week = self.week
        cal = self.cal
        self.enter(cal.pop("enter", week))
        self.visit(cal.pop("visit", week))
        self.service(cal.pop("service", week))
        self.chatter(cal.pop("chatter", week))


__all__ = ["Journey", "NEVER", "logit_probabilities"]
