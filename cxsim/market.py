"""What the processes share: the market's state, handed to them explicitly.

The model builds one :class:`Market` and gives it to every process; processes
read and write the market through it and never call back into the model.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from cxsim.calendar import Calendar
from cxsim.config import RunConfig
from cxsim.customers import Population
from cxsim.dealers import Dealer
from cxsim.draws import Draws
from cxsim.lane import ServiceLanes
from cxsim.metrics import Metrics
from cxsim.reviews import ReviewPlatform


class DealerArrays:
    """What customers meet at each dealer this week, one array per attribute.

    Read from the Dealer agents once a week (and when a programme starts), so
    the processes index arrays by dealer instead of asking agents one by one.
    """

    def __init__(self, dealers: list[Dealer]) -> None:
        self.agents = dealers
        self.names = [d.name for d in dealers]
        self.gross_per_vehicle = np.array([d.spec.gross_per_vehicle for d in dealers])
        self.gross_per_service = np.array([d.spec.gross_per_service_visit for d in dealers])
        self.open_hours = np.array([d.spec.open_hours_per_week for d in dealers])
        self.refresh()

    def refresh(self) -> None:
        ds = self.agents
        self.eff_quality = np.array([d.effective_quality() for d in ds])  # (dealers, tps)
        self.eff_sd = np.array([d.effective_sd() for d in ds])
        self.engagement = np.array([d.engagement for d in ds])
        self.handoff_fail = np.array([d.handoff_failure() for d in ds])
        self.bays = np.array([d.bays for d in ds])
        self.service_rate = np.array([d.service_rate for d in ds])


@dataclass
class Market:
    """The shared state of one run (the processes' whole view of the world)."""

    cfg: RunConfig
    population: Population
    draws: Draws
    calendar: Calendar
    metrics: Metrics
    dealers: DealerArrays
    lanes: ServiceLanes
    reviews: ReviewPlatform
    adjacency: sp.csr_matrix  # the customers' social network
    static_utility: np.ndarray  # (customers, dealers): distance and price, float32
    season_cdf: np.ndarray  # share of a year's market entries by month end
    warmup: int
    week: int  # recorded week: negative during warm-up
    owners: np.ndarray  # vehicles in use per selling dealer
    friction: float = 1.0
    in_market: int = 0  # customers shopping now
    entered_this_week: int = 0
    feed: deque | None = None  # recent talk in plain words, for the dashboard
    journal: object | None = None  # a few customers' journeys, for the dashboard
    unaware_dealers: list[int] = field(default_factory=list)
    """Dealers that may have customers who have not heard of them: a superset,
    refreshed by :meth:`dealers_with_unaware` (awareness never shrinks)."""

    @property
    def n(self) -> int:
        return self.population.x.size

    @property
    def n_dealers(self) -> int:
        return len(self.dealers.names)

    def key(self) -> int:
        """Draw key for this week (non-negative even during warm-up)."""
        return self.week + self.warmup

    def refresh_dealers(self) -> None:
        """Read the dealers' current quality and capacity (weekly, and at a programme)."""
        self.dealers.refresh()
        self.lanes.set_capacity(self.dealers.bays, self.dealers.service_rate)

    def dealers_with_unaware(self) -> list[int]:
        """Dealers some customers have not heard of (none in an established market)."""
        if not self.unaware_dealers:
            return []
        aware = self.population.aware
        self.unaware_dealers = [j for j in self.unaware_dealers if not aware[:, j].all()]
        return self.unaware_dealers
