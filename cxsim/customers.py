"""Customers: their state as arrays, and the Mesa agent that is a view onto a row.

The population's state lives in arrays on the model (Mesa sugarscape's habit,
taken further): whole-population phases update many customers in one array
operation, while each customer is still a Mesa agent that a notebook or the
dashboard can inspect, and that the stepped engine steps one by one.
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np
from mesa.discrete_space.cell_agent import HasCell

from cxsim.calendar import NEVER
from cxsim.config import SEGMENTS, TOUCHPOINTS

PROSPECT, OWNER, SHOPPING = 0, 1, 2
STAGES = ("first-time prospect", "owner", "shopping")
NO_DEALER = -1
INDEPENDENT = -2


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
    previous_dealer: np.ndarray  # the selling dealer before the current one
    service_provider: np.ndarray  # dealer index, INDEPENDENT or NO_DEALER
    last_service_week: np.ndarray
    purchase_week: np.ndarray
    serviced_at_seller: np.ndarray  # bool: serviced at the selling dealer since buying


class Customer(HasCell, mesa.Agent):
    """A household in the market; its state is row ``row`` of the population arrays."""

    def __init__(self, model: mesa.Model, row: int) -> None:
        super().__init__(model)
        self.row = row

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
        return (self.model.week - int(self._p.purchase_week[self.row])) / 52.0

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
        """The stepped engine's weekly step: handle this customer's own due events."""
        self.model.journey.customer_week(np.array([self.row]))
