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
"""

from __future__ import annotations

import numpy as np

from cxsim.queueing import wait_law


class ServiceLanes:
    """The service lanes of all dealers (arrays indexed by dealer)."""

    def __init__(self, bays: np.ndarray, service_rate: np.ndarray, rate: np.ndarray,
                 smoothing: float, open_hours: np.ndarray | float, overloaded_wait: float,
                 weight: float = 1.0) -> None:
        """``rate``: the starting estimate of real arrivals per opening hour."""
        self.bays = bays
        self.service_rate = service_rate  # visits an hour one bay completes (mu)
        self.rate = rate  # smoothed arrivals per opening hour (lambda)
        self.arrivals = np.zeros(len(bays))  # visits so far this week
        # A sampled visit stands for w real ones, so the week's real count is w times
        # noisier than the real market's own Poisson count; the wait law is convex in
        # the rate, so that noise would lengthen waits in small samples. Remembering
        # w times longer (weight 1 - (1 - a)^(1/w)) keeps the estimate's noise at the
        # real market's (assumption; w <= 1 keeps the configured weight).
        self.smoothing = smoothing if weight <= 1.0 else \
            1.0 - (1.0 - smoothing) ** (1.0 / weight)
        self.open_hours = open_hours
        self.overloaded_wait = overloaded_wait
        self.weight = weight  # real visits per sampled visit
        self.update_law()

    def set_capacity(self, bays: np.ndarray, service_rate: np.ndarray) -> None:
        """Bays and service rates as the dealers have them now (programmes add bays)."""
        self.bays = bays
        self.service_rate = service_rate

    def update_law(self) -> None:
        """Each lane's chance to wait and wait rate at its smoothed load."""
        self.wait_chance, self.wait_rate = wait_law(self.bays, self.rate, self.service_rate)

    def serve(self, dealers: np.ndarray, u_wait: np.ndarray, u_length: np.ndarray
              ) -> np.ndarray:
        """Visits arrive at ``dealers``' lanes; their waits in hours.

        ``u_wait`` decides whether a visit waits, ``u_length`` how long (one uniform
        each per visit). An overloaded lane (rate 0) gives ``overloaded_wait``.
        """
        self.arrivals += np.bincount(dealers, minlength=self.arrivals.size)
        with np.errstate(divide="ignore"):  # an overloaded lane: rate 0, capped below
            waits = np.where(u_wait < self.wait_chance[dealers],
                             -np.log(u_length) / self.wait_rate[dealers], 0.0)
        return np.minimum(waits, self.overloaded_wait, out=waits)

    def close_week(self) -> None:
        """Fold the week's arrivals into the smoothed rate."""
        a = self.smoothing
        self.rate = a * self.weight * self.arrivals / self.open_hours + (1.0 - a) * self.rate
        self.arrivals[:] = 0.0

    @property
    def utilisation(self) -> np.ndarray:
        """Smoothed load per bay (rho = lambda / (c mu)); >= 1 is an overloaded lane."""
        return self.rate / (self.bays * self.service_rate)
