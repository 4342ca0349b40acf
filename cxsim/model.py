"""The market: wiring, the clock, and the weekly order of processes.

One Mesa step is one week. Each week runs the processes of MODEL.md in order:
environment (friction, season), investment -> quality (dealers' ``step``),
market entry, shopping and the sales journey, service, word of mouth and
reviews, measuring and the dealers' accounts. The first ``warmup_weeks`` are
simulated but not recorded, so that service bonds, ratings and lane loads
start the recorded horizon in their usual state.
"""

from __future__ import annotations

import math
from collections import deque

import mesa
import numpy as np

from cxsim.calendar import NEVER, Calendar
from cxsim.choice import distances, pick
from cxsim.config import SEGMENTS, TOUCHPOINTS, RunConfig
from cxsim.customers import NO_DEALER, OWNER, PROSPECT, Customer, Population
from cxsim.dealers import Dealer
from cxsim.draws import Draws
from cxsim.journey import Journey
from cxsim.metrics import Metrics
from cxsim.queueing import wait_law
from cxsim.social import serpentine_order, small_world, to_networkx

FAR_PAST = -(10**6)


class CxModel(mesa.Model):
    """Customers journeying through competing dealerships."""

    def __init__(self, cfg: RunConfig, *, feed: bool = False) -> None:
        super().__init__(rng=cfg.seed)
        self.cfg = cfg
        self.draws = Draws(cfg.seed)
        self.n = cfg.customers.n
        self.warmup = cfg.market.warmup_weeks
        self.weeks = cfg.weeks
        self.week = -self.warmup
        self.feed: deque | None = deque(maxlen=200) if feed else None

        self.dealer_list = [Dealer(self, i, spec, cfg.dealers, self.n)
                            for i, spec in enumerate(cfg.dealers.dealers)]
        self.n_dealers = len(self.dealer_list)
        self.locations = np.array([d.location for d in self.dealer_list])
        self.price_premium = np.array([d.spec.price_premium for d in self.dealer_list])
        self.gross_per_vehicle = np.array([d.spec.gross_per_vehicle for d in self.dealer_list])
        self.gross_per_service = np.array(
            [d.spec.gross_per_service_visit for d in self.dealer_list])
        self.vehicle_price_k = cfg.dealers.vehicle_price_k
        self.service_ticket_k = cfg.dealers.service_ticket_k

        season = np.asarray(cfg.market.season, dtype=float)
        self._season_cdf = np.concatenate([[0.0], np.cumsum(season) / season.sum()])

        self.population = self._populate()
        order = serpentine_order(self.population.x, self.population.y,
                                 strip_km=max(cfg.customers.market_size_km / 50.0, 1e-6))
        self.adjacency = small_world(order, cfg.customers.network_degree,
                                     cfg.customers.network_rewire, self.draws)
        # What never changes in a customer's view of a dealer: distance and price.
        ch = cfg.choice
        p = self.population
        self.static_utility = (
            -ch.distance_weight * distances(p.x, p.y, self.locations)
            - ch.price_weight * p.price_weight[:, None] * self.price_premium[None, :]
        ).astype(np.float32)
        self.customers = Customer.create_rows(self, self.n)
        self.customer_set = self.agents_by_type[Customer]
        self.network = None
        if self.n <= cfg.customers.network_view_max:
            self.network = mesa.discrete_space.Network(
                to_networkx(self.adjacency), layout=None, random=self.random)
            for c in self.customers:
                c.cell = self.network[c.row]

        # Market-level state.
        self.owners = np.bincount(self.population.selling_dealer[
            self.population.selling_dealer >= 0], minlength=self.n_dealers).astype(np.int64)
        self.in_market = 0
        self.entered_this_week = 0
        w = cfg.word_of_mouth
        self.review_decay = 2.0 ** (-1.0 / w.rating_halflife_weeks)
        self.review_sum = np.zeros(self.n_dealers)
        self.review_weight = np.zeros(self.n_dealers)
        self.rating = np.full(self.n_dealers, w.rating_prior)
        self.friction = cfg.market.friction_start
        self._unaware = [j for j in range(self.n_dealers)
                         if not self.population.aware[:, j].all()]
        self.lane_arrivals = np.zeros(self.n_dealers)
        self._refresh_dealers()
        need = cfg.choice.service_need_per_year / 52.0
        self.lane_rate = self.owners * need * 0.6 / cfg.dealers.open_hours_per_week
        self._update_wait_law()

        self.metrics = Metrics(self.n_dealers, self.weeks)
        self.calendar = Calendar(self.n, ("enter", "visit", "service", "chatter"))
        self.journey = Journey(self)
        self._book_initial_events()
        self._schedule_programme()

    # -- set-up ------------------------------------------------------------------------
    def _populate(self) -> Population:
        c = self.cfg.customers
        n, nd, nt = self.n, len(self.cfg.dealers.dealers), len(TOUCHPOINTS)
        dr = self.draws
        ids = np.arange(n)
        half = c.market_size_km / 2.0
        x = (dr.uniform("home_x", 0, ids) * 2.0 - 1.0) * half
        y = (dr.uniform("home_y", 0, ids) * 2.0 - 1.0) * half
        specs = [c.segments.get(s) for s in SEGMENTS]
        shares = np.array([s.share if s else 0.0 for s in specs])
        seg = np.searchsorted(np.cumsum(shares) / shares.sum(),
                              dr.uniform("segment", 0, ids), side="right")
        seg = np.minimum(seg, len(SEGMENTS) - 1).astype(np.int8)

        def per_segment(attr: str, default: float) -> np.ndarray:
            return np.array([getattr(s, attr) if s else default for s in specs])[seg]

        affinity = np.clip(per_segment("digital_affinity", 0.5)
                           + 0.1 * dr.normal("affinity", 0, ids), 0.0, 1.0)
        expectation = np.clip(per_segment("expectation", 7.5)[:, None]
                              + 0.5 * dr.normal_matrix("expectation", 0, ids, nt), 0, 10)
        attitude = np.clip(c.attitude_mean + c.attitude_sd
                           * dr.normal_matrix("attitude", 0, ids, nd), 0, 10)
        aware_share = np.array([d.initial_awareness for d in self.cfg.dealers.dealers])
        aware = dr.uniform_matrix("aware", 0, ids, nd) < aware_share[None, :]
        sd = c.talkativeness_sd
        talk = np.exp(sd * dr.normal("talkativeness", 0, ids) - sd * sd / 2.0)
        has_vehicle = dr.uniform("first_time", 0, ids) >= c.first_time_share
        pop = Population(
            x=x.astype(np.float32), y=y.astype(np.float32), segment=seg,
            affinity=affinity.astype(np.float32),
            price_weight=per_segment("price_weight", 1.0).astype(np.float32),
            talkativeness=talk.astype(np.float32),
            expectation=expectation.astype(np.float32),
            attitude=attitude.astype(np.float32), aware=aware,
            visit_score=np.full((n, nd), np.nan, dtype=np.float32),
            visits=np.zeros(n, dtype=np.int8),
            satisfaction=np.full(n, c.attitude_mean, dtype=np.float32),
            effort=np.full(n, self.cfg.touchpoints.effort_base, dtype=np.float32),
            stage=np.where(has_vehicle, OWNER, PROSPECT).astype(np.int8),
            has_vehicle=has_vehicle,
            selling_dealer=np.full(n, NO_DEALER, dtype=np.int16),
            previous_dealer=np.full(n, NO_DEALER, dtype=np.int16),
            service_provider=np.full(n, NO_DEALER, dtype=np.int16),
            last_service_week=np.full(n, FAR_PAST, dtype=np.int32),
            purchase_week=np.full(n, FAR_PAST, dtype=np.int32),
            serviced_at_seller=np.zeros(n, dtype=bool),
        )
        # Owners bought at start from the dealer a logit over attitude and distance
        # gives them (no loyalty yet), so starting shares emerge from geography.
        own = np.flatnonzero(has_vehicle)
        ch = self.cfg.choice
        u = ch.attitude_weight * attitude[own] - ch.distance_weight * distances(
            x[own], y[own], np.array([[d.x_km, d.y_km] for d in self.cfg.dealers.dealers]))
        u = np.where(aware[own], u, -np.inf)
        u[~np.isfinite(u).any(axis=1)] = 0.0
        dealer = pick(u, dr.uniform("initial_dealer", 0, own))
        pop.selling_dealer[own] = dealer
        pop.satisfaction[own] = attitude[own, dealer]
        return pop

    def _book_initial_events(self) -> None:
        c, p, dr = self.cfg.customers, self.population, self.draws
        start = self.week
        own = np.flatnonzero(p.has_vehicle)
        # A stationary renewal process: the current ownership spell is length-biased
        # (lognormal with mu + sigma^2), and now falls uniformly inside it.
        sigma = math.sqrt(math.log(1.0 + c.ownership_cv ** 2))
        mu = math.log(c.ownership_months * 52.0 / 12.0) - sigma ** 2 / 2.0
        spell = np.exp(mu + sigma ** 2 + sigma * dr.normal("initial_spell", 0, own))
        u = dr.uniform("initial_age", 0, own)
        p.purchase_week[own] = start - np.floor((1.0 - u) * spell).astype(np.int32)
        self.calendar.book("enter", own, self._seasonal(start + u * spell))
        prospects = np.flatnonzero(~p.has_vehicle)
        wait = dr.exponential("first_entry", 0, prospects) * c.first_time_entry_years * 52
        self.calendar.book("enter", prospects, self._seasonal(start + wait))
        self.calendar.book("service", own, start + self.weeks_to_service(
            dr.exponential("initial_service", 0, own)))
        rate = self.cfg.word_of_mouth.chatter_per_year
        if rate > 0:
            ids = np.arange(self.n)
            gap = np.ceil(dr.exponential("chatter_gap", 0, ids) * 52.0 / rate)
            self.calendar.book("chatter", ids, start + np.maximum(gap, 1).astype(np.int64))

    def _schedule_programme(self) -> None:
        inv = self.cfg.investment
        if inv.total_per_year <= 0 and inv.extra_bays == 0:
            return
        # Mesa's time t runs step t; a programme starting at recorded week s is in
        # place before that week's step, i.e. between steps warmup + s and +1.
        at = self.warmup + inv.start_week + 0.5
        # Mesa keeps weak references to event callbacks: bound methods, not lambdas.
        self.schedule_event(self._start_focal_programme, at=at)
        if inv.copied_by >= 0:
            self.schedule_event(self._start_rival_programme, at=at + inv.copy_after_weeks)

    def _start_focal_programme(self) -> None:
        self._start_programme(self.cfg.dealers.focal)

    def _start_rival_programme(self) -> None:
        self._start_programme(self.cfg.investment.copied_by)

    def _start_programme(self, dealer: int) -> None:
        inv = self.cfg.investment
        self.dealer_list[dealer].invest(np.array(inv.spend.as_list()), inv.engagement_spend,
                                        inv.consistency_spend, inv.extra_bays)
        self._refresh_dealers()

    # -- schedules of individual customers ---------------------------------------------
    def _seasonal(self, due: np.ndarray) -> np.ndarray:
        """Map due dates onto the season: same year, month drawn by the seasonal profile.

        A due date's position inside its year is uniform across a population, and
        passing it through the inverse of the seasonal CDF makes entries follow the
        monthly weights exactly, without holding anyone back.
        """
        due = np.asarray(due, dtype=float)
        year0 = np.floor(due / 52.0) * 52.0
        frac = (due - year0) / 52.0
        mapped = np.interp(frac, self._season_cdf, np.linspace(0.0, 1.0, 13))
        return np.maximum(np.floor(year0 + 52.0 * mapped).astype(np.int64), self.week + 1)

    def replacement_week(self, week: int, z: np.ndarray) -> np.ndarray:
        """When new owners will be back in the market (lognormal ownership horizon).

        ``z`` holds one standard normal per owner.
        """
        c = self.cfg.customers
        sigma = math.sqrt(math.log(1.0 + c.ownership_cv ** 2))
        mu = math.log(c.ownership_months * 52.0 / 12.0) - sigma ** 2 / 2.0
        return self._seasonal(week + np.exp(mu + sigma * z))

    def weeks_to_service(self, e: np.ndarray) -> np.ndarray:
        """Weeks until the next service need (Poisson process), at least one.

        ``e`` holds one Exp(1) draw per owner.
        """
        rate = self.cfg.choice.service_need_per_year
        if rate <= 0:
            return np.full(e.size, NEVER, dtype=np.int64)
        return np.maximum(np.ceil(e * 52.0 / rate), 1).astype(np.int64)

    # -- the week ------------------------------------------------------------------------
    def _refresh_dealers(self) -> None:
        ds = self.dealer_list
        self.eff_quality = np.array([d.effective_quality() for d in ds])
        self.eff_sd = np.array([d.effective_sd() for d in ds])
        self.engagement = np.array([d.engagement for d in ds])
        self.handoff_fail = np.array([d.handoff_failure() for d in ds])
        self.bays = np.array([d.bays for d in ds])
        self.service_rate = np.array([d.service_rate for d in ds])

    def _update_wait_law(self) -> None:
        """Each lane's chance to wait and wait rate at its smoothed load (once a week,
        not once per visit: the stepped engine serves one customer at a time)."""
        self.wait_chance, self.wait_rate = wait_law(self.bays, self.lane_rate,
                                                    self.service_rate)

    def _update_friction(self) -> None:
        m = self.cfg.market
        years = max(self.week, 0) / 52.0
        phi = max(m.friction_floor, m.friction_start * (1.0 - m.friction_decline) ** years)
        if 0 <= m.friction_step_week <= self.week:
            phi = min(phi, m.friction_step_to)
        self.friction = phi

    def update_rating(self) -> None:
        w = self.cfg.word_of_mouth
        self.rating = (self.review_sum + w.rating_prior * w.rating_prior_weight) / (
            self.review_weight + w.rating_prior_weight)

    @property
    def unaware_dealers(self) -> list[int]:
        """Dealers that may have customers who have not heard of them (no rescan).

        A superset: the list is refreshed by :meth:`dealers_with_unaware` (once a
        week, when advertising runs) and awareness never shrinks.
        """
        return self._unaware

    def dealers_with_unaware(self) -> list[int]:
        """Dealers some customers have not heard of (none in an established market)."""
        if not self._unaware:
            return []
        self._unaware = [j for j in self._unaware if not self.population.aware[:, j].all()]
        return self._unaware

    def step(self) -> None:
        """One week."""
        if self.week == 0:  # the recorded horizon starts: the funnel counts from here
            for counts in self.metrics.funnel.values():
                counts[:] = 0
        self._update_friction()
        self.agents_by_type[Dealer].do("step")
        self._refresh_dealers()
        self._update_wait_law()
        self.journey.advertise()
        if self.cfg.engine == "stepped":
            self.customer_set.shuffle_do("step")
            for kind in ("enter", "visit", "service", "chatter"):
                self.calendar.pop(kind, self.week)  # drop handled bookings
        else:
            self.journey.all_due()
        self.journey.spread_word()
        self._close_week()
        self.week += 1

    def _close_week(self) -> None:
        dc = self.cfg.dealers
        a = dc.lane_smoothing
        self.lane_rate = a * self.lane_arrivals / dc.open_hours_per_week + \
            (1.0 - a) * self.lane_rate
        self.lane_arrivals[:] = 0.0
        with np.errstate(invalid="ignore"):
            kpi = self.metrics.department_ratings()
            has = ~np.isnan(kpi)
            self_rating = np.where(has.any(axis=1),
                                   np.nansum(kpi, axis=1) / np.maximum(has.sum(axis=1), 1),
                                   np.nan)
        self.metrics.cur["investment_k"] += np.array(
            [d.yearly_investment for d in self.dealer_list]) / 52.0
        state = {
            "online_rating": self.rating.copy(),
            "owners": self.owners.astype(float),
            "self_rating": self_rating,
            "utilisation": self.lane_rate / (self.bays * self.service_rate),
            "bays": self.bays.astype(float),
            "engagement": self.engagement.copy(),
        }
        market = {"friction": self.friction, "in_market": float(self.in_market),
                  "entered": float(self.entered_this_week)}
        self.metrics.close_week(self.week, self.week >= 0, state, market)
        self.entered_this_week = 0

    def run(self, progress: bool = False) -> CxModel:
        """Run the warm-up and every recorded week."""
        total = self.warmup + self.weeks
        if progress:
            from tqdm import tqdm

            for _ in tqdm(range(total), desc="simulating weeks", unit="wk", leave=False,
                          disable=None):
                self.step()
        else:
            for _ in range(total):
                self.step()
        return self

    def record_talk(self, tellers: np.ndarray, dealers: np.ndarray, score: np.ndarray,
                    who: np.ndarray) -> None:
        """Keep plain-words word-of-mouth events for the dashboard's feed."""
        heard = np.bincount(who, minlength=tellers.size)
        for t, d, s, h in zip(tellers.tolist(), dealers.tolist(), score.tolist(),
                              heard.tolist(), strict=True):
            self.feed.append({"week": self.week, "teller": t,
                              "dealer": self.dealer_list[d].name, "score": s,
                              "listeners": h})
