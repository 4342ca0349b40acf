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
        """Read the dealers again: those that move (a programme's lag) or changed (a
        programme started); a dealer at rest reads the same every week."""
        ds = self.agents
        if not hasattr(self, "eff_quality"):
            self.eff_quality = np.array([d.effective_quality() for d in ds])  # (dealers, tps)
            self.eff_sd = np.array([d.effective_sd() for d in ds])
            self.engagement = np.array([d.engagement for d in ds])
            self.handoff_fail = np.array([d.handoff_failure() for d in ds])
            self.bays = np.array([d.bays for d in ds])
            self.service_rate = np.array([d.service_rate for d in ds])
            moved = list(enumerate(ds))
        else:
            moved = [(i, d) for i, d in enumerate(ds) if d.moving or d.changed]
            for i, d in moved:
                self.eff_quality[i] = d.effective_quality()
                self.eff_sd[i] = d.effective_sd()
                self.engagement[i] = d.engagement
                self.handoff_fail[i] = d.handoff_failure()
                self.bays[i] = d.bays
                self.service_rate[i] = d.service_rate
        for _, d in moved:
            d.changed = False


@dataclass
class BatchLayout:
    """How replications are stacked in a batch (:mod:`cxsim.batch`): customer row
    ``r * n + i`` and dealer ``r * nd + j`` belong to replication ``r``."""

    reps: int
    n: int  # customers per replication
    nd: int  # dealers per replication
    in_market: np.ndarray  # customers shopping now, per replication
    entered: np.ndarray  # customers who entered the market this week, per replication
    friction: np.ndarray | None = None  # per replication, when their trends differ
    values: dict[str, np.ndarray] = field(default_factory=dict)  # per replication, by
    # dotted config key, for the behavioural parameters whose values differ

    def rep_of(self, ids: np.ndarray) -> np.ndarray:
        return np.asarray(ids, dtype=np.int64) // self.n


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
    batch: BatchLayout | None = None  # set when replications are stacked

    @property
    def n(self) -> int:
        return self.population.x.size

    @property
    def n_dealers(self) -> int:
        """Dealers a customer chooses among (the width of the population matrices)."""
        return len(self.dealers.names) if self.batch is None else self.batch.nd

    @property
    def n_all_dealers(self) -> int:
        """Rows of the dealer arrays: every replication's dealers in a batch."""
        return len(self.dealers.names)

    # In a batch, customers see their own replication's dealers as 0..nd-1 (the
    # population's matrices and choices), and the dealer arrays, lanes, reviews and
    # counters hold every replication's; one run is a batch of one, unchanged.
    def to_global(self, ids: np.ndarray, dealers: np.ndarray) -> np.ndarray:
        """Rows of the dealer arrays of these customers' ``dealers``."""
        b = self.batch
        if b is None:
            return dealers
        return dealers + b.rep_of(ids) * b.nd

    def per_customer(self, values: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """A per-dealer array as (dealers, customers) for these customers' dealers
        (a broadcastable column in one run)."""
        b = self.batch
        if b is None:
            return values[:, None]
        return values.reshape(b.reps, b.nd)[b.rep_of(ids)].T

    def friction_of(self, ids: np.ndarray) -> float | np.ndarray:
        """The friction these customers meet: the market's, or in a batch whose
        replications' friction trends differ, each one's own replication's."""
        b = self.batch
        if b is None or b.friction is None:
            return self.friction
        return b.friction[b.rep_of(ids)]

    def value_of(self, key: str, value: float, ids: np.ndarray) -> float | np.ndarray:
        """A behavioural parameter (``key``, dotted; ``value`` this config's) as these
        customers meet it: in a batch whose replications' values differ, each one's."""
        b = self.batch
        if b is None or key not in b.values:
            return value
        return b.values[key][b.rep_of(ids)]

    def enter_market(self, ids: np.ndarray) -> None:
        """These customers start shopping this week."""
        if self.batch is None:
            self.in_market += ids.size
            self.entered_this_week += ids.size
        else:
            counts = np.bincount(self.batch.rep_of(ids), minlength=self.batch.reps)
            self.batch.in_market += counts
            self.batch.entered += counts

    def leave_market(self, ids: np.ndarray) -> None:
        """These shoppers have bought: they are no longer in the market."""
        if self.batch is None:
            self.in_market -= ids.size
        else:
            self.batch.in_market -= np.bincount(self.batch.rep_of(ids),
                                                minlength=self.batch.reps)

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
