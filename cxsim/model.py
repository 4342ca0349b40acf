"""The market model: wiring, the clock, and the weekly order of processes.

One Mesa step is one week. Each week runs the processes of docs/ODD.md in
order: environment (friction), investment -> quality (dealers' ``step``),
advertising, every customer's due events (entering the market, shopping and
the purchase, service, chatter), word of mouth and reviews, then measuring.
The processes themselves live in :mod:`cxsim.processes`; this module builds
the market they share and runs them. The first ``warmup_weeks`` are simulated
but not recorded, so that service bonds, ratings and lane loads start the
recorded horizon in their usual state.
"""

from __future__ import annotations

from collections import deque

import mesa
import numpy as np

from cxsim.calendar import Calendar
from cxsim.choice import distances
from cxsim.config import WEEKS_PER_YEAR, RunConfig
from cxsim.customers import Customer, populate
from cxsim.dealers import Dealer
from cxsim.draws import Draws
from cxsim.friction import friction_at
from cxsim.lane import ServiceLanes
from cxsim.lifecycle import season_cdf
from cxsim.market import DealerArrays, Market
from cxsim.metrics import Metrics
from cxsim.processes import Processes
from cxsim.processes.programme import ProgrammeSchedule
from cxsim.programme import Programme
from cxsim.reviews import ReviewPlatform
from cxsim.social import serpentine_order, small_world, to_networkx

EVENTS = ("enter", "visit", "service", "chatter")
"""Kinds of customer event in the calendar, in the order a week handles them."""


class CxModel(mesa.Model):
    """Customers journeying through competing dealerships."""

    def __init__(self, cfg: RunConfig, *, feed: bool = False) -> None:
        super().__init__(rng=cfg.seed)
        self.cfg = cfg
        self.draws = Draws(cfg.seed)
        self.n = cfg.sample.customers
        self.weight = cfg.weight  # real households per simulated customer
        self.warmup = cfg.market.warmup_weeks
        self.weeks = cfg.weeks

        self.dealer_list = [Dealer(self, i, spec, cfg.dealers)
                            for i, spec in enumerate(cfg.dealers.dealers)]
        self.n_dealers = len(self.dealer_list)
        self.locations = np.array([d.location for d in self.dealer_list])
        price_premium = np.array([d.spec.price_premium for d in self.dealer_list])

        self.population = populate(cfg, self.draws)
        p = self.population
        order = serpentine_order(p.x, p.y,
                                 strip_km=max(cfg.customers.market_size_km / 50.0, 1e-6))
        self.adjacency = small_world(order, cfg.customers.network_degree,
                                     cfg.customers.network_rewire, self.draws)
        # What never changes in a customer's view of a dealer: distance and price.
        ch = cfg.choice
        static_utility = (
            -ch.distance_weight * distances(p.x, p.y, self.locations)
            - ch.price_weight * p.price_weight[:, None] * price_premium[None, :]
        ).astype(np.float32)
        self.customers = Customer.create_rows(self, self.n)
        self.customer_set = self.agents_by_type[Customer]
        self.network = None
        if self.n <= cfg.customers.network_view_max:
            self.network = mesa.discrete_space.Network(
                to_networkx(self.adjacency), layout=None, random=self.random)
            for c in self.customers:
                c.cell = self.network[c.row]

        owners = np.bincount(p.selling_dealer[p.selling_dealer >= 0],
                             minlength=self.n_dealers).astype(np.int64)
        dealers = DealerArrays(self.dealer_list)
        dc = cfg.dealers
        # The lanes see real arrivals: each sampled visit stands for w real ones.
        lanes = ServiceLanes.at_start(cfg, dealers, owners, self.weight)
        self.metrics = Metrics(self.n_dealers, self.weeks, weight=self.weight)
        self.calendar = Calendar(self.n, EVENTS)
        self.market = Market(
            cfg=cfg, population=p, draws=self.draws, calendar=self.calendar,
            metrics=self.metrics, dealers=dealers, lanes=lanes,
            reviews=ReviewPlatform(self.n_dealers, cfg.word_of_mouth, self.weight),
            adjacency=self.adjacency, static_utility=static_utility,
            season_cdf=season_cdf(cfg.market.season), warmup=self.warmup,
            week=-self.warmup, owners=owners, friction=cfg.market.friction_start,
            feed=deque(maxlen=200) if feed else None,
            unaware_dealers=[j for j in range(self.n_dealers) if not p.aware[:, j].all()])
        self.processes = Processes(self.market, cfg.rules)
        self.processes.book_initial()
        self.set_handlers()
        self.programme = ProgrammeSchedule(self.market, cfg.investment,
                                            Programme.from_config(cfg), dc.focal)
        self.programme.schedule(self.schedule_event)

    def set_handlers(self) -> None:
        """One handler per kind of event (EVENTS), as the selected rules provide them."""
        ps = self.processes
        self._handlers = (ps.entry.enter, ps.shopping.visit, ps.service.serve,
                          ps.word_of_mouth.chatter)

    # -- read-only views of the market's state --------------------------------------
    @property
    def week(self) -> int:
        """Recorded week being simulated (negative during warm-up)."""
        return self.market.week

    @property
    def feed(self) -> deque | None:
        """Recent talk in plain words (only when built with ``feed=True``)."""
        return self.market.feed

    @property
    def friction(self) -> float:
        return self.market.friction

    @property
    def rating(self) -> np.ndarray:
        """Public online rating per dealer (0-10)."""
        return self.market.reviews.rating

    @property
    def lanes(self) -> ServiceLanes:
        return self.market.lanes

    # -- the week ------------------------------------------------------------------------
    def step(self) -> None:
        """One week."""
        m, wom = self.market, self.processes.word_of_mouth
        if m.week == 0:  # the recorded horizon starts: the funnel counts from here
            for counts in self.metrics.funnel.values():
                counts[:] = 0
        self._set_friction()
        self.agents_by_type[Dealer].do("step")
        m.refresh_dealers()
        m.lanes.update_law()
        wom.advertise()
        if self.cfg.engine == "stepped":
            self.customer_set.shuffle_do("step")
            for kind in EVENTS:
                self.calendar.pop(kind, m.week)  # drop handled bookings
        else:
            self.all_due()
        wom.spread()
        self._close_week()
        m.week += 1

    def _set_friction(self) -> None:
        self.market.friction = friction_at(self.market.week, self.cfg.market)

    def all_due(self) -> None:
        """The fast engine: every customer with an event this week, in bulk."""
        week, cal = self.market.week, self.calendar
        for kind, process in zip(EVENTS, self._handlers, strict=True):
            process(cal.pop(kind, week))

    def customer_week(self, ids: np.ndarray) -> None:
        """Every due event of these customers this week, in process order (the
        stepped engine calls it for one customer at a time)."""
        week, cal = self.market.week, self.calendar
        for kind, process in zip(EVENTS, self._handlers, strict=True):
            due = ids[cal.due[kind][ids] == week]
            if due.size:
                cal.cancel(kind, due)
                process(due)

    def _close_week(self) -> None:
        m = self.market
        m.lanes.close_week()
        with np.errstate(invalid="ignore"):
            kpi = self.metrics.department_ratings()
            has = ~np.isnan(kpi)
            self_rating = np.where(has.any(axis=1),
                                   np.nansum(kpi, axis=1) / np.maximum(has.sum(axis=1), 1),
                                   np.nan)
        self.metrics.cur["investment_k"] += np.array(
            [d.yearly_investment for d in self.dealer_list]) / WEEKS_PER_YEAR
        state = {
            "online_rating": m.reviews.rating.copy(),
            "owners": m.owners.astype(float),
            "self_rating": self_rating,
            "utilisation": m.lanes.utilisation,
            "bays": m.dealers.bays.astype(float),
            "engagement": m.dealers.engagement.copy(),
        }
        self.metrics.close_week(m.week, m.week >= 0, state, self._market_measures())
        m.entered_this_week = 0

    def _market_measures(self) -> dict[str, float | np.ndarray]:
        """The week's measures of the market as a whole."""
        m = self.market
        return {"friction": m.friction, "in_market": float(m.in_market),
                "entered": float(m.entered_this_week)}

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
