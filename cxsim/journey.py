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
from cxsim.choice import loyalty_bonus, pick
from cxsim.config import TOUCHPOINTS
from cxsim.customers import INDEPENDENT, OWNER, SHOPPING
from cxsim.queueing import MAX_WAIT_HOURS
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
_AT_LANE = SERVICE_DRAWS["wait"]  # slots from here on are drawn only for dealer visits


def _logistic(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _join(parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]]
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Concatenate (ids, dealers, moments) batches of buyers (moments are (moments, buyers))."""
    ids, dealers, moments = zip(*parts, strict=True)
    return np.concatenate(ids), np.concatenate(dealers), np.concatenate(moments, axis=1)


def _flat(a: np.ndarray) -> np.ndarray:
    """A 1-D view of a C-contiguous population matrix (raises rather than copy)."""
    return a.reshape(-1, copy=False)  # a copy would silently drop the writes


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
        tc = self.cfg.touchpoints
        self._sale_rare = np.array([P["handoff_finance"], P["handoff_delivery"], P["delight"]])
        self._sale_rare_quality = np.array(
            [tc.handoff_quality, tc.handoff_quality, tc.delight_quality])
        self._service_tps = np.array([T["communication"], T["service"], T["parts"]])
        self._service_rows = np.array([S["communication"], S["service"], S["parts"]])
        self._visit_tps = np.array([T["digital"], T["sales"]])
        self._sale_tps = np.array([T["finance"], T["delivery"]])
        self._sale_rows = np.array([P["finance"], P["delivery"]])
        self._service_rare = np.array([S["delight"], S["comeback"], S["recovery"]])
        self._service_rare_quality = np.array(
            [tc.delight_quality, tc.failure_quality, tc.recovery_quality])

    # -- helpers -------------------------------------------------------------
    @property
    def week(self) -> int:
        return self.m.week

    def _key(self) -> int:
        """Draw key for this week (non-negative even during warm-up)."""
        return self.m.week + self.m.warmup

    def _experienced(self, dealers: np.ndarray, tps: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Quality met at touchpoints ``tps`` (k,): each dealer's level plus its
        inconsistency, from standard normals ``z`` (k, episodes)."""
        x = self.m.eff_sd[dealers] * z
        x += np.take(self.m.eff_quality[:, tps], dealers, axis=0).T
        return xp.clip(x, 0.0, 10.0)

    def _expect_many(self, ids: np.ndarray, tps: np.ndarray, values: np.ndarray) -> None:
        """Write expectations of touchpoints ``tps`` (k,), ``values`` (k, len(ids))."""
        width = self.pop.expectation.shape[1]
        _flat(self.pop.expectation)[(ids * width + tps[:, None]).ravel()] = values.ravel()

    def _rare(self, moments: np.ndarray, cols: np.ndarray, happened: np.ndarray,
              quality: np.ndarray, ids: np.ndarray) -> None:
        """Fill the moments only some episodes have (hand-offs, delight, comeback...).

        ``happened`` is (len(cols), episodes) and ``quality`` the level of each such
        moment. Judged against the customer's average expectation, since no
        touchpoint owns them; that average is taken only for the few episodes that
        have one. ``moments`` is (moments, episodes); call before this episode's drift.
        """
        rows = np.flatnonzero(happened.any(axis=0))
        if rows.size:
            expect = np.take(self.pop.expectation, ids[rows], axis=0)
            # the mean as np.mean takes it (float32 sum, divided by an intp count)
            mean_exp = expect.sum(axis=1)
            np.true_divide(mean_exp, np.intp(expect.shape[1]), out=mean_exp, casting="unsafe")
            felt = np.where(happened[:, rows], quality[:, None], np.nan)  # NaN stays NaN
            _flat(moments)[(cols[:, None] * moments.shape[1] + rows).ravel()] = \
                xp.moment_satisfaction(felt, mean_exp, self.cfg.touchpoints).ravel()

    # Element (customer, column) of a population matrix through its flat index: a
    # 1-D gather or scatter costs a third of numpy's two-array fancy indexing.
    def _cell(self, ids: np.ndarray, dealers: np.ndarray) -> np.ndarray:
        """Flat indices of (customer, dealer) elements of the (n, dealers) matrices."""
        return ids * self.m.n_dealers + dealers

    def _expect(self, ids: np.ndarray, tp: int, values: np.ndarray) -> None:
        """Write expectations of touchpoint ``tp``."""
        _flat(self.pop.expectation)[ids * self.pop.expectation.shape[1] + tp] = values

    def _bonded(self, ids: np.ndarray, provider: np.ndarray) -> np.ndarray:
        """Serviced recently by a dealer (``provider``: their service providers)."""
        recent = self.week - self.pop.last_service_week[ids] <= self.cfg.choice.service_bond_weeks
        return recent & (provider >= 0)

    def _loyalty(self, ids: np.ndarray, seller: np.ndarray | None = None,
                 provider: np.ndarray | None = None) -> np.ndarray:
        """Loyalty bonus (dealers, customers): switching cost x friction at the seller,
        plus the service bond where the customer was serviced recently. ``seller`` and
        ``provider`` may be passed if the caller has gathered them already."""
        c, p = self.cfg.choice, self.pop
        seller = p.selling_dealer[ids] if seller is None else seller
        provider = p.service_provider[ids] if provider is None else provider
        return loyalty_bonus(ids.size, self.m.n_dealers, seller, provider,
                             self._bonded(ids, provider), self.m.friction, c.switching_cost,
                             c.service_bond, self._effort_penalty(ids))

    def _effort_penalty(self, ids: np.ndarray) -> np.ndarray:
        c = self.cfg.touchpoints
        return c.effort_loyalty_penalty * np.maximum(self.pop.effort[ids] - 4.0, 0.0)

    def _unaware(self, ids: np.ndarray) -> np.ndarray | None:
        """(dealers, customers): True where the customer has not heard of the dealer.

        None when every customer knows every dealer (the established market of
        the defaults), which saves gathering the awareness matrix.
        """
        if not self.m.unaware_dealers:
            return None
        return ~np.take(self.pop.aware, ids, axis=0).T

    def _dealer_utility(self, ids: np.ndarray, rows: int | None = None,
                        seller: np.ndarray | None = None,
                        provider: np.ndarray | None = None,
                        loyalty: np.ndarray | None = None) -> np.ndarray:
        """Utility of each dealer (rows) for each customer (columns), before masks.

        Dealer-major, so the logit works on contiguous rows. ``rows`` > dealers
        leaves spare rows at the bottom for other alternatives (the independent
        shop). Rows are gathered with ``np.take``: fancy-indexing whole rows of a
        narrow 2-D array costs several times more. ``seller`` and ``provider`` may
        be passed if the caller has gathered them already (each gather at a
        million customers is a cache miss per customer).
        """
        c = self.cfg.choice
        p = self.pop
        m = self.m
        nd = m.n_dealers
        # Float32 (the population arrays' precision) until the loyalty bonus is added.
        u = np.multiply(np.take(p.attitude, ids, axis=0).T, c.attitude_weight,
                        out=np.empty((nd, ids.size), dtype=np.float32))
        u += (c.rating_weight * p.affinity[ids])[None, :] * m.rating[:, None]
        u += np.take(m.static_utility, ids, axis=0).T
        out = np.empty((nd if rows is None else rows, ids.size))
        if loyalty is None:
            loyalty = self._loyalty(ids, seller, provider)
        np.add(u, loyalty, out=out[:nd])
        return out

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
        nd = m.n_dealers
        # The loyalty bonus weighs in where to go, whether to buy there and the final
        # choice: computed once for all three.
        loyalty = self._loyalty(ids)
        u = self._dealer_utility(ids, loyalty=loyalty)
        u += (c.marketing_weight * (m.eff_quality[:, T["marketing"]] - 7.5))[:, None]
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
                self._purchase(*self._final_choice(np.concatenate(final_ids),
                                                   np.concatenate(final_loyalty, axis=1)))
                return
        U = self.draws.uniform_rows("visit", k, ids, len(VISIT_DRAWS))
        Z = ndtri(U[[VISIT_DRAWS["digital"], VISIT_DRAWS["sales"]]])
        d = pick(u.T, U[VISIT_DRAWS["choice"]])
        self.metrics.add("visits", d)
        self.metrics.funnel["visited"] += np.bincount(d, minlength=nd)
        # The visit: website (if the customer uses it) and the salesperson.
        moments = np.full((len(SALE_MOMENTS), ids.size), np.nan)
        uses_web = U[VISIT_DRAWS["web"]] < p.affinity[ids]
        x_dig, x_sales = self._experienced(d, self._visit_tps, Z)
        exp_dig = p.expectation[ids, T["digital"]]
        exp_sales = p.expectation[ids, T["sales"]]
        moments[P["digital"]] = np.where(
            uses_web, xp.moment_satisfaction(x_dig, exp_dig, tc), np.nan)
        moments[P["sales"]] = xp.moment_satisfaction(x_sales, exp_sales, tc)
        self.metrics.kpi(d[uses_web], T["digital"], x_dig[uses_web])
        self.metrics.kpi(d, T["sales"], x_sales)
        visit_score = xp.remember(moments[:2].T, tc)
        problems = (x_sales < tc.problem_below) + (uses_web & (x_dig < tc.problem_below))
        visit_effort = xp.effort_score(problems.astype(float), 0.0, tc)
        z_buy = c.buy_intercept + c.visit_satisfaction_slope * (visit_score - 7.5) \
            - c.buy_effort_slope * (visit_effort - 3.0) \
            + c.buy_digital_boost * p.affinity[ids] * (1.0 - m.friction)
        if c.buy_loyalty_weight:
            # The relationship also weighs in the decision to buy where one is
            # (Cox 2025: 74 % of dealer-serviced owners expect to buy there again).
            z_buy += c.buy_loyalty_weight * loyalty[d, np.arange(ids.size)]
        buys = U[VISIT_DRAWS["buy"]] < _logistic(z_buy)
        drift = tc.expectation_drift
        self._expect(ids[uses_web], T["digital"],
                     xp.drift(exp_dig[uses_web], x_dig[uses_web], drift))
        self._expect(ids, T["sales"], xp.drift(exp_sales, x_sales, drift))
        # Shoppers who walk away remember the visit and shop on.
        walk = ~buys
        wid, wd = ids[walk], d[walk]
        cell = self._cell(wid, wd)
        _flat(p.visit_score)[cell] = visit_score[walk]
        p.visits[wid] += 1
        attitude = _flat(p.attitude)
        att = attitude[cell]
        attitude[cell] = att + tc.own_experience_weight * (visit_score[walk] - att)
        done = p.visits[wid] >= c.max_visits
        final_ids.append(wid[done])
        final_loyalty.append(loyalty[:, walk][:, done])
        self.cal.book("visit", wid[~done], self.week + 1)
        self._purchase(*_join([
            self._final_choice(np.concatenate(final_ids), np.concatenate(final_loyalty, axis=1)),
            (ids[buys], d[buys], moments[:, buys])]))

    def _final_choice(self, ids: np.ndarray, loyalty: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The soft end of search: buy at one of the dealers visited (logit).

        ``loyalty`` is the loyalty bonus (dealers, customers) of these customers.
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

    def _markov_purchase(self, ids: np.ndarray) -> None:
        """Degenerate configuration: repurchase by a fixed switching matrix."""
        p = self.pop
        probs = np.asarray(self.cfg.choice.markov_switching, dtype=float)
        seller = p.selling_dealer[ids]
        rows = np.where(seller >= 0, seller, 0)
        d = pick(np.log(np.maximum(probs[rows], 1e-300)),
                 self.draws.uniform("markov", self._key(), ids))
        moments = np.full((len(SALE_MOMENTS), ids.size), np.nan)
        moments[P["sales"]] = 7.5
        self._purchase(ids, d, moments)

    def _purchase(self, ids: np.ndarray, d: np.ndarray, moments: np.ndarray) -> None:
        """Finance, hand-offs and delivery; the sale; the owner's new life.

        ``moments`` is (moments, buyers), the sales visit already filled in.
        """
        if ids.size == 0:
            return
        tc = self.cfg.touchpoints
        p, m, k, mt = self.pop, self.m, self._key(), self.metrics
        moments = np.ascontiguousarray(moments)  # concatenated batches may come in F order
        U = self.draws.uniform_rows("purchase", k, ids, len(SALE_DRAWS))
        Z = ndtri(U[[SALE_DRAWS["finance"], SALE_DRAWS["delivery"], SALE_DRAWS["survey"],
                     SALE_DRAWS["horizon"]]])
        tps = self._sale_tps
        expected = np.take(p.expectation, ids, axis=0)[:, tps].T
        x = self._experienced(d, tps, Z[:2])
        x_fin, x_del = x
        moments[self._sale_rows] = xp.moment_satisfaction(x, expected, tc)
        mt.kpi(d, tps, x)
        fail = m.handoff_fail[d]
        h1 = U[SALE_DRAWS["handoff_finance"]] < fail
        h2 = U[SALE_DRAWS["handoff_delivery"]] < fail
        delight = U[SALE_DRAWS["delight"]] < (tc.delight_rate * m.engagement)[d]
        self._rare(moments, self._sale_rare, np.stack([h1, h2, delight]),
                   self._sale_rare_quality, ids)
        score = xp.remember(moments.T, tc)
        problems = h1.astype(float) + h2 + (x_fin < tc.problem_below) + \
            (x_del < tc.problem_below)
        effort = xp.effort_score(problems, 0.0, tc)
        self._expect_many(ids, tps, xp.drift(expected, x, tc.expectation_drift))
        # Accounts and loyalty.
        old = p.selling_dealer[ids]
        had = old >= 0
        same = had & (old == d)
        mt.add_many(d, {"units_sold": 1.0, "revenue_k": m.vehicle_price_k,
                        "gross_profit_k": m.gross_per_vehicle[d]})
        mt.funnel["bought"] += np.bincount(d, minlength=m.n_dealers)
        mt.funnel["bought_again"] += np.bincount(d[same], minlength=m.n_dealers)
        provider = p.service_provider[ids]
        serviced = had & self._bonded(ids, provider) & (provider == old)
        mt.add_many(np.where(had, old, 0), {
            "repurchases": had, "loyal_repurchases": same,
            "churn_to_competitors": had & ~same, "repurchases_serviced": serviced,
            "loyal_repurchases_serviced": serviced & same})
        m.owners -= np.bincount(old[had], minlength=m.n_dealers)
        m.owners += np.bincount(d, minlength=m.n_dealers)
        # The relationship with the (possibly new) dealer.
        start = np.where(same, p.satisfaction[ids], _flat(p.attitude)[self._cell(ids, d)])
        self._remember(ids, d, score, score, effort, start, Z[2])
        p.previous_dealer[ids] = old
        p.selling_dealer[ids] = d
        p.purchase_week[ids] = self.week
        p.has_vehicle[ids] = True
        p.serviced_at_seller[ids] = False
        p.stage[ids] = OWNER
        p.visit_score[ids] = np.nan
        m.in_market -= ids.size
        self.cal.book("enter", ids, m.replacement_week(self.week, Z[3]))
        self.cal.book("service", ids, self.week + m.weeks_to_service(
            -np.log(U[SALE_DRAWS["service_gap"]])))
        self._speak(ids, d, score, U[SALE_DRAWS["talk"]], U[SALE_DRAWS["review"]])

    # -- process 6: ownership and service ------------------------------------------
    def service(self, ids: np.ndarray) -> None:
        """Service needs: choose where, live the visit, book the next need."""
        if ids.size == 0:
            return
        c, tc = self.cfg.choice, self.cfg.touchpoints
        p, m, k, mt = self.pop, self.m, self._key(), self.metrics
        nd = m.n_dealers
        # Choosing where needs two draws each; the visit's draws are made below, only
        # for those who come to a dealer (same keys, hence the same numbers).
        U = self.draws.uniform_rows("service", k, ids, _AT_LANE)
        self.cal.book("service", ids, self.week + m.weeks_to_service(
            -np.log(U[SERVICE_DRAWS["need_gap"]])))
        seller, provider, bought = (p.selling_dealer[ids], p.service_provider[ids],
                                    p.purchase_week[ids])
        # the last row: an independent shop
        u = self._dealer_utility(ids, rows=nd + 1, seller=seller, provider=provider)
        unaware = self._unaware(ids)
        if unaware is not None:
            np.copyto(u[:nd], -np.inf, where=unaware)
        age_years = (self.week - bought) / 52.0
        np.add(c.independent_utility, c.independent_age_weight * age_years, out=u[nd])
        choice = pick(u.T, U[SERVICE_DRAWS["choice"]])
        at_dealer = choice < nd
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
        ids, d = ids[at_dealer], choice[at_dealer]
        if ids.size == 0:
            return
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
        mt.funnel["serviced_after_buying"] += np.bincount(d[first_here], minlength=nd)
        p.serviced_at_seller[ids[own]] = True
        m.lane_arrivals += np.bincount(d, minlength=nd)
        # The lane: wait from the M/M/c law at the lane's smoothed load.
        pw, rate = m.wait_chance, m.wait_rate
        with np.errstate(divide="ignore"):  # an overloaded lane: rate 0, capped below
            waits = np.where(draw("wait") < pw[d], -np.log(draw("wait_length")) / rate[d],
                             0.0)
        np.minimum(waits, MAX_WAIT_HOURS, out=waits)
        # The three touchpoints of a visit as rows of one block each: what was
        # experienced, what was expected, how it felt.
        tps = self._service_tps
        expected = np.take(p.expectation, ids, axis=0)[:, tps].T
        exp_com, exp_svc, exp_parts = expected
        moments = np.full((len(SERVICE_MOMENTS), ids.size), np.nan)
        x = self._experienced(d, tps, Z[:3])
        x_com, x_svc, x_parts = x
        # Chances that depend only on the dealer are computed per dealer, then looked up.
        q_parts = m.eff_quality[:, T["parts"]]
        parts_ok = draw("parts") < _logistic(
            np.log(tc.parts_available / (1 - tc.parts_available) if tc.parts_available < 1
                   else 50.0) + tc.parts_quality_slope * (q_parts - 7.5))[d]
        felt = x.copy()
        np.copyto(felt[2], tc.parts_missing_quality, where=~parts_ok)
        moments[self._service_rows] = xp.moment_satisfaction(felt, expected, tc)
        waited = np.flatnonzero(waits > 0.05)
        if waited.size:
            x_wait = xp.clip(x_svc[waited] - tc.wait_penalty_per_hour * waits[waited],
                             0.0, 10.0)
            moments[S["wait"], waited] = xp.moment_satisfaction(x_wait, exp_svc[waited], tc)
        delight = draw("delight") < (tc.delight_rate * m.engagement)[d]
        q_svc = m.eff_quality[:, T["service"]]
        fixed_logit = np.log(tc.fix_first_time / (1 - tc.fix_first_time)) \
            if tc.fix_first_time < 1 else 50.0
        fixed = draw("fixed") < _logistic(
            fixed_logit + tc.fix_quality_slope * (q_svc - 7.5))[d]
        comeback = ~fixed
        recovered = comeback & (draw("recovery") < (tc.recovery_rate * m.engagement)[d])
        self._rare(moments, self._service_rare, np.stack([delight, comeback, recovered]),
                   self._service_rare_quality, ids)
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
        self._expect_many(ids, tps, xp.drift(expected, felt, tc.expectation_drift))
        mt.kpi(d, tps, x)
        mt.add_many(d, {"service_visits": 1.0, "wait_hours_sum": waits,
                        "revenue_k": m.service_ticket_k,
                        "gross_profit_k": m.gross_per_service[d]})
        start = np.where(own | (provider == d), p.satisfaction[ids],
                         _flat(p.attitude)[self._cell(ids, d)])
        self._remember(ids, d, score, loyalty_score, effort, start, Z[3])
        p.service_provider[ids] = d
        p.last_service_week[ids] = self.week
        self._speak(ids, d, score, draw("talk"), draw("review"))

    # -- process 7 and 9: remembering and measuring ---------------------------------
    def _remember(self, ids: np.ndarray, d: np.ndarray, score: np.ndarray,
                  loyalty_score: np.ndarray, effort: np.ndarray, start: np.ndarray,
                  z: np.ndarray) -> None:
        tc = self.cfg.touchpoints
        p, mt = self.pop, self.metrics
        mem = tc.relationship_memory
        p.satisfaction[ids] = (1.0 - mem) * start + mem * score
        cell = self._cell(ids, d)
        attitude = _flat(p.attitude)
        att = attitude[cell]
        attitude[cell] = att + tc.own_experience_weight * (loyalty_score - att)
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
        pt, pr = xp.talk_chances(score, (w.talk_rate, w.review_rate), w.talk_positive_slope,
                                 w.talk_negative_slope, w.talk_neutral)
        pt *= p.talkativeness[ids]
        talks = u_talk < pt
        if talks.any():
            self._talk.append((ids[talks], d[talks], score[talks], False))
        pr *= p.affinity[ids]
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
            # Element (listener, dealer) as one flat index: 1-D gathers and scatters are
            # cheap, and np.add.at (a listener told twice in a week hears both) has a
            # fast path only for 1-D indices with values of the array's own dtype,
            # about 100 times faster than the 2-D index with float64 values.
            cell = listeners * m.n_dealers + dd
            attitude = _flat(p.attitude)
            delta = w.listen_weight * (heard - attitude[cell])
            np.add.at(attitude, cell, delta.astype(attitude.dtype))
            _flat(p.aware)[cell] = True
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

