"""What every process shares: the market it acts on, and the episode helpers.

A process handles an array of customer ids at a time (the fast engine: every
customer due this week; the stepped engine: one customer). The helpers here
are the pieces several processes use: experienced quality, expectations,
the moments only some episodes have, the loyalty bonus and dealer utility,
and remembering and surveying an episode.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from cxsim import experience as xp
from cxsim.choice import loyalty_bonus
from cxsim.config import TOUCHPOINTS
from cxsim.market import Market

if TYPE_CHECKING:
    from cxsim.processes import Processes

T = {name: i for i, name in enumerate(TOUCHPOINTS)}


def flat(a: np.ndarray) -> np.ndarray:
    """A 1-D view of a C-contiguous population matrix (raises rather than copy)."""
    return a.reshape(-1, copy=False)  # a copy would silently drop the writes


class Process:
    """A process of the model, acting on the market through ``self.market``.

    ``processes`` gives access to the other processes (the sale speaks through
    word of mouth, say), so a swapped rule is used wherever its process is.
    """

    def __init__(self, market: Market, processes: Processes) -> None:
        self.market = market
        self.processes = processes
        self.cfg = market.cfg
        self.pop = market.population
        self.draws = market.draws
        self.cal = market.calendar
        self.metrics = market.metrics

    def book_initial(self) -> None:
        """Book the first events of the customers at the start of the run (if any)."""

    @property
    def week(self) -> int:
        return self.market.week

    def _key(self) -> int:
        return self.market.key()

    # Element (customer, column) of a population matrix through its flat index: a
    # 1-D gather or scatter costs a third of numpy's two-array fancy indexing.
    def _cell(self, ids: np.ndarray, dealers: np.ndarray) -> np.ndarray:
        """Flat indices of (customer, dealer) elements of the (n, dealers) matrices."""
        return ids * self.market.n_dealers + dealers

    def _experienced(self, dealers: np.ndarray, tps: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Quality met at touchpoints ``tps`` (k,): each dealer's level plus its
        inconsistency, from standard normals ``z`` (k, episodes)."""
        dl = self.market.dealers
        x = dl.eff_sd[dealers] * z
        x += np.take(dl.eff_quality[:, tps], dealers, axis=0).T
        return xp.clip(x, 0.0, 10.0)

    def _expect(self, ids: np.ndarray, tp: int, values: np.ndarray) -> None:
        """Write expectations of touchpoint ``tp``."""
        flat(self.pop.expectation)[ids * self.pop.expectation.shape[1] + tp] = values

    def _drift(self, ids: np.ndarray) -> float | np.ndarray:
        """How far these customers' expectations move toward what they met (each
        replication's own in a batch whose drifts differ)."""
        return self.market.value_of("touchpoints.expectation_drift",
                                    self.cfg.touchpoints.expectation_drift, ids)

    def _expect_many(self, ids: np.ndarray, tps: np.ndarray, values: np.ndarray) -> None:
        """Write expectations of touchpoints ``tps`` (k,), ``values`` (k, len(ids))."""
        width = self.pop.expectation.shape[1]
        flat(self.pop.expectation)[(ids * width + tps[:, None]).ravel()] = values.ravel()

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
            flat(moments)[(cols[:, None] * moments.shape[1] + rows).ravel()] = \
                xp.moment_satisfaction(felt, mean_exp, self.cfg.touchpoints).ravel()

    # -- choosing a dealer ------------------------------------------------------
    def _bonded(self, ids: np.ndarray, provider: np.ndarray) -> np.ndarray:
        """Serviced recently by a dealer (``provider``: their service providers)."""
        recent = self.week - self.pop.last_service_week[ids] <= self.cfg.choice.service_bond_weeks
        return recent & (provider >= 0)

    def _loyalty(self, ids: np.ndarray, seller: np.ndarray | None = None,
                 provider: np.ndarray | None = None) -> np.ndarray:
        """Loyalty bonus (dealers, customers): switching cost x friction at the seller,
        plus the service bond where the customer was serviced recently. ``seller`` and
        ``provider`` may be passed if the caller has gathered them already."""
        c, p, m = self.cfg.choice, self.pop, self.market
        seller = p.selling_dealer[ids] if seller is None else seller
        provider = p.service_provider[ids] if provider is None else provider
        return loyalty_bonus(ids.size, m.n_dealers, seller, provider,
                             self._bonded(ids, provider), m.friction_of(ids),
                             m.value_of("choice.switching_cost", c.switching_cost, ids),
                             c.service_bond, self._effort_penalty(ids))

    def _effort_penalty(self, ids: np.ndarray) -> np.ndarray:
        c = self.cfg.touchpoints
        return c.effort_loyalty_penalty * np.maximum(
            self.pop.effort[ids] - c.effort_loyalty_above, 0.0)

    def _unaware(self, ids: np.ndarray) -> np.ndarray | None:
        """(dealers, customers): True where the customer has not heard of the dealer.

        None when every customer knows every dealer (the established market of
        the defaults), which saves gathering the awareness matrix.
        """
        if not self.market.unaware_dealers:
            return None
        return ~np.take(self.pop.aware, ids, axis=0).T

    def _dealer_utility(self, ids: np.ndarray, rows: int | None = None,
                        seller: np.ndarray | None = None,
                        provider: np.ndarray | None = None,
                        loyalty: np.ndarray | None = None,
                        base: np.ndarray | None = None) -> np.ndarray:
        """Utility of each dealer (rows) for each customer (columns), before masks.

        Dealer-major, so the logit works on contiguous rows. ``rows`` > dealers
        leaves spare rows at the bottom for other alternatives (the independent
        shop). Rows are gathered with ``np.take``: fancy-indexing whole rows of a
        narrow 2-D array costs several times more. ``seller`` and ``provider`` may
        be passed if the caller has gathered them already (each gather at a
        million customers is a cache miss per customer). ``base``: the
        :meth:`_base_utility` of ``ids``, if the caller holds it already.
        """
        nd = self.market.n_dealers
        u = self._base_utility(ids) if base is None else base
        out = np.empty((nd if rows is None else rows, ids.size))
        if loyalty is None:
            loyalty = self._loyalty(ids, seller, provider)
        np.add(u, loyalty, out=out[:nd])
        return out

    def _base_utility(self, ids: np.ndarray) -> np.ndarray:
        """Utility of each dealer for each customer before loyalty: attitude, the
        online rating, distance and price (dealers, customers), float32 (the
        population arrays' precision)."""
        c, p, m = self.cfg.choice, self.pop, self.market
        u = np.multiply(np.take(p.attitude, ids, axis=0).T, c.attitude_weight,
                        out=np.empty((m.n_dealers, ids.size), dtype=np.float32))
        u += (c.rating_weight * p.affinity[ids])[None, :] * m.per_customer(m.reviews.rating, ids)
        u += np.take(m.static_utility, ids, axis=0).T
        return u

    # -- processes 7 and 9: remembering and measuring -----------------------------
    def _remember(self, ids: np.ndarray, d: np.ndarray, score: np.ndarray,
                  loyalty_score: np.ndarray, effort: np.ndarray, start: np.ndarray,
                  z: np.ndarray) -> None:
        """An episode with dealer ``d`` (as the customer numbers dealers) enters memory
        (relationship satisfaction from ``start``, attitude) and is surveyed (answer
        noise ``z``)."""
        tc = self.cfg.touchpoints
        p, mt = self.pop, self.metrics
        mem = tc.relationship_memory
        p.satisfaction[ids] = (1.0 - mem) * start + mem * score
        cell = self._cell(ids, d)
        attitude = flat(p.attitude)
        att = attitude[cell]
        attitude[cell] = att + tc.own_experience_weight * (loyalty_score - att)
        ltr, csat, ces = xp.survey(score, effort, z, tc)
        p.effort[ids] = ces
        mt.add_many(self.market.to_global(ids, d), {
                        "responses": 1.0, "promoters": ltr >= 9, "detractors": ltr <= 6,
                        "csat_sum": csat, "ces_sum": ces, "score_sum": score,
                        "top_box": score + tc.survey_generosity >= tc.superior_score,
                        "high_effort": ces >= tc.high_effort_ces})
