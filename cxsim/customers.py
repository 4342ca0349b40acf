"""Customers: their state as arrays, and the Mesa agent that is a view onto a row.

The population's state lives in arrays on the model (Mesa sugarscape's habit,
taken further): whole-population phases update many customers in one array
operation, while each customer is still a Mesa agent that a notebook or the
dashboard can inspect, and that the stepped engine steps one by one.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass

import mesa
import numpy as np
from mesa.agentset import _HardKeyAgentSet
from mesa.discrete_space.cell_agent import HasCell
from mesa.experimental.mesa_signals import ModelSignals

from cxsim.calendar import NEVER
from cxsim.choice import distances, pick
from cxsim.config import SEGMENTS, TOUCHPOINTS, WEEKS_PER_YEAR, RunConfig
from cxsim.draws import Draws
from cxsim.homes import draw_homes, read_grid
from cxsim.turnover import fresh_tastes

PROSPECT, OWNER, SHOPPING = 0, 1, 2
STAGES = ("first-time prospect", "owner", "shopping")
NO_DEALER = -1
INDEPENDENT = -2
FAR_PAST = -(10**6)


@dataclass
class Population:
    """Per-customer state, one array per attribute (row = customer)."""

    x: np.ndarray  # km
    y: np.ndarray  # km
    segment: np.ndarray  # index into SEGMENTS
    affinity: np.ndarray  # digital affinity 0-1
    price_weight: np.ndarray
    talkativeness: np.ndarray
    expectation: np.ndarray  # (n, touchpoints) 0-10
    attitude: np.ndarray  # (n, dealers) 0-10
    aware: np.ndarray  # (n, dealers) bool
    visit_score: np.ndarray  # (n, dealers): remembered visit this shopping spell, NaN if none
    visits: np.ndarray  # dealers visited this spell
    satisfaction: np.ndarray  # relationship satisfaction with the customer's dealer
    effort: np.ndarray  # CES of the last episode
    stage: np.ndarray  # PROSPECT / OWNER / SHOPPING
    has_vehicle: np.ndarray  # bool
    selling_dealer: np.ndarray  # dealer index or NO_DEALER
    service_provider: np.ndarray  # dealer index, INDEPENDENT or NO_DEALER
    last_service_week: np.ndarray
    purchase_week: np.ndarray
    serviced_at_seller: np.ndarray  # bool: serviced at the selling dealer since buying


class Customer(HasCell, mesa.Agent):
    """A household in the market; its state is row ``row`` of the population arrays."""

    def __init__(self, model: mesa.Model, row: int) -> None:
        super().__init__(model)
        self.row = row

    @classmethod
    def create_rows(cls, model: mesa.Model, n: int) -> list[Customer]:
        """``n`` customers for rows 0..n-1, as ``n`` constructor calls would make them.

        ``Agent.__init__`` costs about 5 us an agent (signal wrapper, logging call,
        two set insertions one at a time): 5 s for a million customers, more than
        the simulation's first year. This fills the same fields (``model``,
        ``unique_id`` from the model's counter, ``pos``) and inserts into the same
        registries (``model.agents`` and ``agents_by_type``, in creation order) in
        bulk, so every AgentSet operation sees exactly what the constructor would
        have left. Whenever something observes agent creation (an AGENT_ADDED
        subscriber, a batch context, a dataset tracking customers) it takes the
        ordinary constructor, which notifies them one agent at a time.
        """
        observed = (model._has_subscribers("agents", ModelSignals.AGENT_ADDED)
                    or model._batch_context is not None or cls._datasets)
        if observed or n == 0:
            return [cls(model, row) for row in range(n)]
        first = model.agent_id_counter
        new = object.__new__

        def make(row: int) -> Customer:
            # Attributes set in Agent.__init__'s order, so instances share one key table.
            agent = new(cls)
            agent.model = model
            agent.unique_id = first + row
            agent.pos = None
            agent.row = row
            return agent

        # A million new objects would trigger hundreds of needless cyclic-GC passes
        # over everything allocated so far; these agents hold no cycles to find.
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            agents = [make(row) for row in range(n)]
            model.agent_id_counter = first + n
            by_type = model._agents_by_type.get(cls)
            if by_type is None:
                by_type = model._agents_by_type[cls] = _HardKeyAgentSet(
                    agents, random=model.random)
                model._all_agents._agents.update(by_type._agents)
            else:
                fresh = dict.fromkeys(agents)
                by_type._agents.update(fresh)
                model._all_agents._agents.update(fresh)
        finally:
            if was_enabled:
                gc.enable()
        return agents

    @property
    def _p(self) -> Population:
        return self.model.population

    @property
    def segment(self) -> str:
        return SEGMENTS[self._p.segment[self.row]]

    @property
    def home(self) -> tuple[float, float]:
        return float(self._p.x[self.row]), float(self._p.y[self.row])

    @property
    def stage(self) -> str:
        return STAGES[self._p.stage[self.row]]

    @property
    def satisfaction(self) -> float:
        """Relationship satisfaction (0-10), a moving memory of episodes."""
        return float(self._p.satisfaction[self.row])

    @property
    def effort(self) -> float:
        return float(self._p.effort[self.row])

    @property
    def expectations(self) -> dict[str, float]:
        return dict(zip(TOUCHPOINTS, self._p.expectation[self.row].tolist(), strict=True))

    @property
    def attitudes(self) -> dict[str, float]:
        names = [d.name for d in self.model.dealer_list]
        return dict(zip(names, self._p.attitude[self.row].tolist(), strict=True))

    @property
    def dealer(self) -> int:
        """Index of the selling dealer, or -1."""
        return int(self._p.selling_dealer[self.row])

    @property
    def vehicle_age_years(self) -> float | None:
        if not self._p.has_vehicle[self.row]:
            return None
        return (self.model.week - int(self._p.purchase_week[self.row])) / WEEKS_PER_YEAR

    @property
    def replacement_week(self) -> int | None:
        """Week at which the customer will be back in the market (None: not booked)."""
        week = int(self.model.calendar.due["enter"][self.row])
        return None if week == NEVER else week

    @property
    def service_provider(self) -> int:
        """Dealer index of the last service, -2 for an independent shop, -1 for none."""
        return int(self._p.service_provider[self.row])

    def step(self) -> None:
        """The stepped engine's weekly step: handle this customer's own due events.

        Most weeks nothing is due (a plain scalar check, as a Mesa tutorial's step
        would make); otherwise the customer goes through the same process functions
        as the fast engine's batches, as a batch of one.
        """
        week, row = self.model.week, self.row
        for due in self.model.calendar.due.values():
            if due[row] == week:
                self.model.customer_week(np.array([row]))
                return


def populate(cfg: RunConfig, draws: Draws) -> Population:
    """The market's customers at the start: homes, segments, tastes, first vehicles."""
    c = cfg.customers
    n, nd = cfg.sample.customers, len(cfg.dealers.dealers)
    dr = draws
    ids = np.arange(n)
    half = c.market_size_km / 2.0
    grid = read_grid(cfg.market.homes) if cfg.market.homes else None
    x, y = draw_homes(dr, ids, half, grid)
    specs = [c.segments.get(s) for s in SEGMENTS]
    shares = np.array([s.share if s else 0.0 for s in specs])
    seg = np.searchsorted(np.cumsum(shares) / shares.sum(),
                          dr.uniform("segment", 0, ids), side="right")
    seg = np.minimum(seg, len(SEGMENTS) - 1).astype(np.int8)

    def per_segment(attr: str, default: float) -> np.ndarray:
        # (a segment left out of the config has share 0: its default is never used)
        return np.array([getattr(s, attr) if s else default for s in specs])[seg]

    affinity = np.clip(per_segment("digital_affinity", 0.5)
                       + c.affinity_sd * dr.normal("affinity", 0, ids), 0.0, 1.0)
    expectation, attitude, aware = fresh_tastes(cfg, dr, "", 0, ids, seg)
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
        effort=np.full(n, cfg.touchpoints.effort_base, dtype=np.float32),
        stage=np.where(has_vehicle, OWNER, PROSPECT).astype(np.int8),
        has_vehicle=has_vehicle,
        selling_dealer=np.full(n, NO_DEALER, dtype=np.int16),
        service_provider=np.full(n, NO_DEALER, dtype=np.int16),
        last_service_week=np.full(n, FAR_PAST, dtype=np.int32),
        purchase_week=np.full(n, FAR_PAST, dtype=np.int32),
        serviced_at_seller=np.zeros(n, dtype=bool),
    )
    # Owners bought at start from the dealer a logit over attitude and distance
    # gives them (no loyalty yet), so starting shares emerge from geography.
    own = np.flatnonzero(has_vehicle)
    ch = cfg.choice
    u = ch.attitude_weight * attitude[own] - ch.distance_weight * distances(
        x[own], y[own], np.array([[d.x_km, d.y_km] for d in cfg.dealers.dealers]))
    u = np.where(aware[own], u, -np.inf)
    u[~np.isfinite(u).any(axis=1)] = 0.0
    dealer = pick(u, dr.uniform("initial_dealer", 0, own))
    pop.selling_dealer[own] = dealer
    # The logit picked the dealers owners liked best; in a settled market an owner's
    # view of its dealer comes from its own episodes, not from that selection, so it
    # is drawn afresh from the same law (else it would sag for years).
    fresh = np.clip(c.attitude_mean + c.attitude_sd * dr.normal("owner_attitude", 0, own),
                    0, 10)
    pop.attitude[own, dealer] = fresh
    pop.satisfaction[own] = fresh
    return pop
