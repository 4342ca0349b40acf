"""Every dealer's service lane: its bays, its load and the waits it gives.

In Ciw's terms each lane is a node whose servers are its bays. The lane keeps
an exponentially weighted estimate of its arrival rate (visits an opening
hour), updated once a week from the week's arrivals (each sampled visit
standing for ``weight`` real ones, so the lane sees the real market's rate at
its real bays whatever the sample's size), and once a week turns
that load into the M/M/c wait law of :mod:`cxsim.queueing` (not per visit:
the stepped engine serves one customer at a time, and both engines must see
the same law). All dealers' lanes live in one object, as arrays indexed by
dealer, so a week's visits are served in one pass.

Demand above capacity is not lost: the real visits a week could not serve
are a backlog carried into the next week (updated when the week closes). A
visit waits for the backlog ahead of it, served at the lane's full rate c*mu,
on top of the M/M/c wait; in an overloaded week (smoothed rate >= c*mu) the
queue also grows during the week at lambda - c*mu, so a visit arriving t
opening hours into the week waits (backlog + (lambda - c*mu) t) / (c*mu).
Waits are therefore drawn from the state at the week's start, and customers
still interact only through end-of-week state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from cxsim.config import WEEKS_PER_YEAR
from cxsim.queueing import debiased_rate, wait_law

if TYPE_CHECKING:
    from cxsim.config import RunConfig
    from cxsim.market import DealerArrays


class ServiceLanes:
    """The service lanes of all dealers (arrays indexed by dealer)."""

    @classmethod
    def at_start(cls, cfg: RunConfig, dealers: DealerArrays, owners: np.ndarray,
                 weight: float | np.ndarray) -> ServiceLanes:
        """The stores' lanes at the start, expecting the real service visits of their
        ``owners`` (sampled counts per store; each stands for ``weight`` real ones:
        one number, or one per store in a batch whose markets differ in size)."""
        ch, dc = cfg.choice, cfg.dealers
        need = ch.service_need_per_year / WEEKS_PER_YEAR
        return cls(
            dealers.bays, dealers.service_rate,
            weight * owners * need * ch.initial_dealer_service_share / dealers.open_hours,
            dc.lane_smoothing, dealers.open_hours, cfg.touchpoints.overloaded_wait_hours,
            weight=weight)

    def __init__(self, bays: np.ndarray, service_rate: np.ndarray, rate: np.ndarray,
                 smoothing: float, open_hours: np.ndarray | float, overloaded_wait: float,
                 weight: float | np.ndarray = 1.0) -> None:
        """``rate``: the starting estimate of real arrivals per opening hour."""
        self.bays = bays
        self.service_rate = service_rate  # visits an hour one bay completes (mu)
        self.rate = rate  # smoothed arrivals per opening hour (lambda)
        self.arrivals = np.zeros(len(bays))  # visits so far this week
        self.backlog = np.zeros(len(bays))  # real visits waiting at the week's start
        self.served = np.zeros(len(bays))  # real visits served in the last closed week
        # A sampled visit stands for w real ones, so the week's real count is w times
        # noisier than the real market's own Poisson count; the wait law is convex in
        # the rate, so that noise would lengthen waits in small samples. Remembering
        # w times longer (weight 1 - (1 - a)^(1/w)) keeps the estimate's noise at the
        # real market's (assumption; w <= 1 keeps the configured weight).
        self.smoothing = remembering(smoothing, weight)
        self.open_hours = open_hours
        self.overloaded_wait = overloaded_wait
        self.weight = weight  # real visits per sampled visit
        # a batch's markets are all larger than their samples, or none is (batch_key)
        self.noisy = bool(np.all(np.asarray(weight) > 1.0))
        self.update_law()

    def set_capacity(self, bays: np.ndarray, service_rate: np.ndarray) -> None:
        """Bays and service rates as the dealers have them now (programmes add bays)."""
        self.bays = bays
        self.service_rate = service_rate

    @property
    def capacity(self) -> np.ndarray:
        """Real visits a lane can serve an opening hour (c mu)."""
        return self.bays * self.service_rate

    def update_law(self) -> None:
        """The week's wait law: M/M/c at the smoothed load, the backlog ahead, and
        (overloaded lanes) the queue's growth rate, all from the week's start."""
        # the estimate's variance: an EWMA of weekly Poisson counts, each visit x w
        a = self.smoothing
        var = a / (2.0 - a) * self.rate * self.weight / self.open_hours
        law_rate = debiased_rate(self.bays, self.rate, self.service_rate, var)
        self.wait_chance, self.wait_rate = wait_law(self.bays, law_rate, self.service_rate)
        cap = self.capacity
        self.backlog_wait = self.backlog / cap  # hours to clear the queue ahead
        self.growth = np.maximum(self.rate - cap, 0.0) / cap  # hours of wait per hour

    def queue_wait(self) -> np.ndarray:
        """Hours a visit expects to wait this week beyond the steady state (the backlog
        ahead, and half the week's growth in an overloaded lane): 0 in a normal lane."""
        return self.backlog_wait + 0.5 * self.growth * np.broadcast_to(
            self.open_hours, self.bays.shape)

    def serve(self, dealers: np.ndarray, u_wait: np.ndarray, u_length: np.ndarray
              ) -> np.ndarray:
        """Visits arrive at ``dealers``' lanes; their waits in hours.

        ``u_wait`` decides whether a visit waits, ``u_length`` how long (one uniform
        each per visit); in an overloaded lane ``u_length`` is instead the share of
        the week's opening hours gone when the visit arrives. Waits are capped at
        ``overloaded_wait`` (the most a customer waits before taking the car away).
        """
        self.arrivals += np.bincount(dealers, minlength=self.arrivals.size)
        over = self.wait_rate[dealers] == 0.0
        with np.errstate(divide="ignore"):  # an overloaded lane: rate 0, handled below
            waits = np.where(u_wait < self.wait_chance[dealers],
                             -np.log(u_length) / self.wait_rate[dealers], 0.0)
        if over.any():
            d = dealers[over]
            waits[over] = self.growth[d] * u_length[over] * self._hours(d)
        if self.backlog.any():
            waits += self.backlog_wait[dealers]
        return np.minimum(waits, self.overloaded_wait, out=waits)

    def _hours(self, dealers: np.ndarray) -> np.ndarray:
        return np.broadcast_to(self.open_hours, self.bays.shape)[dealers]

    def close_week(self) -> None:
        """Serve the week's real demand (backlog first) and fold the week's arrivals
        into the smoothed rate; what capacity could not serve waits for next week."""
        demand = self.backlog + self.real_arrivals()
        self.served = np.minimum(demand, self.capacity * self.open_hours)
        self.backlog = demand - self.served
        a = self.smoothing
        self.rate = a * self.weight * self.arrivals / self.open_hours + (1.0 - a) * self.rate
        self.arrivals[:] = 0.0

    def real_arrivals(self) -> np.ndarray:
        """The week's real visits, with the real market's noise around their expectation.

        ``w * arrivals`` has the right mean but w times the variance of the real
        market's week (each sampled visit is w real ones), and the backlog is
        convex in the week's count (demand above capacity waits, demand below it
        is not banked): at w = 4 about 2 % of the focal lane's weeks closed with a
        backlog, none at w = 1 (the mean wait gap at 5,000 vs 20,000 customers
        fell from +24 % to +12 % with this alone). Shrinking the week's
        deviation from the expected count (the smoothed rate at the week's start)
        by 1 / sqrt(w) gives it the real market's variance with the sample's mean;
        the identity at w = 1. A sample larger than the market (w < 1) keeps its
        smaller noise, as its smoothing does (assumption: inflating noise would
        invent variance the sample lacks).
        """
        if not self.noisy:
            return self.weight * self.arrivals
        expected = self.rate * self.open_hours
        real = expected + (self.weight * self.arrivals - expected) / np.sqrt(self.weight)
        return np.maximum(real, 0.0, out=real)

    @property
    def utilisation(self) -> np.ndarray:
        """Visits served in the last closed week over the lane's capacity (0-1)."""
        return self.served / (self.capacity * self.open_hours)


def remembering(smoothing: float, weight: float | np.ndarray) -> float | np.ndarray:
    """The lane's smoothing for samples of ``weight``: ``1 - (1 - a)^(1/w)`` for w > 1
    (per store when ``weight`` is an array, each computed as its own run computes it)."""
    if np.ndim(weight) > 0:
        return np.array([remembering(smoothing, float(w)) for w in np.ravel(weight)])
    return smoothing if weight <= 1.0 else 1.0 - (1.0 - smoothing) ** (1.0 / weight)
