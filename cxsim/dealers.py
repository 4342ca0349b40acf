"""Dealerships: touchpoint quality from investment, service lane, accounts.

A dealer is a Mesa agent. Its quality per touchpoint follows the budget map of
MODEL.md: target quality rises with spend with diminishing returns,
``Q* = Q0 + (Qmax - Q0) * (1 - 2 ** (-I / I_half))``, and delivered quality
approaches the target with a lag (training and hiring take months). Staff
engagement is the "common purpose" lever a departmental budget does not buy:
it multiplies every touchpoint, narrows inconsistency, makes hand-offs
between departments fail less often, and makes delight and good recovery
more likely.
"""

from __future__ import annotations

import math

import mesa
import numpy as np

from cxsim.config import TOUCHPOINTS, DealersConfig, DealerSpec
from cxsim.programme import yearly_cost

SCALE_FREE: tuple[str, ...] = ("marketing", "digital")
"""Touchpoints whose quality follows spend itself (a website or a campaign serves any
number of customers); the others are volume-driven: staff and processes that every
sale or visit uses, so their quality follows spend per unit of the store's size."""
_VOLUME = np.array([t not in SCALE_FREE for t in TOUCHPOINTS])


def budget_map(base: np.ndarray, spend: np.ndarray, q_max: float, half: float) -> np.ndarray:
    """Target quality for yearly spend: diminishing returns toward ``q_max``."""
    top = np.maximum(q_max, base)
    return base + (top - base) * (1.0 - np.exp2(-spend / half))


class Dealer(mesa.Agent):
    """One dealership competing for the market's customers."""

    def __init__(self, model: mesa.Model, index: int, spec: DealerSpec, cfg: DealersConfig
                 ) -> None:
        super().__init__(model)
        self.index = index
        self.name = spec.name
        self.location = np.array([spec.x_km, spec.y_km])
        self.spec = spec
        self.cfg = cfg
        self.base_quality = np.array(spec.quality.as_list())
        self.quality = self.base_quality.copy()
        self.base_engagement = spec.engagement
        self.engagement = spec.engagement
        self.consistency_sd = spec.consistency_sd
        self.group = spec.group
        self.bays = int(spec.bays)  # real bays, whatever the sample's size
        self.spend = np.zeros(len(TOUCHPOINTS))  # k$/year per touchpoint
        self.engagement_spend = 0.0
        self.consistency_spend = 0.0
        self.extra_bays = 0
        self._pull = 1.0 - math.exp(-1.0 / cfg.quality_lag_weeks) if cfg.quality_lag_weeks else 1.0
        self._set_targets()

    # -- investment --------------------------------------------------------
    def invest(self, spend: np.ndarray, engagement_spend: float, consistency_spend: float,
               extra_bays: int) -> None:
        """Start a programme (yearly spend); quality follows with a lag.

        Callers build the arguments with :meth:`cxsim.programme.Programme.apply_to`.
        """
        self.spend = np.asarray(spend, dtype=float)
        self.engagement_spend = engagement_spend
        self.consistency_spend = consistency_spend
        self.bays += extra_bays - self.extra_bays
        self.extra_bays = extra_bays
        self._set_targets()

    def _set_targets(self) -> None:
        """Where quality, engagement and consistency head under the current spend."""
        c = self.cfg
        # Volume-driven touchpoints: spend per unit of the store's real size (its
        # declared bays) relative to the reference store; scale-free ones: spend.
        size = self.spec.bays / c.reference_bays
        spend = np.where(_VOLUME, self.spend / size, self.spend) if size != 1.0 else self.spend
        self._target = budget_map(self.base_quality, spend, c.quality_max, c.spend_half)
        # engagement and standards are people programmes: per unit of size too
        self._e_target = self.base_engagement + (1.0 - self.base_engagement) * (
            1.0 - 2.0 ** (-self.engagement_spend / size / c.engagement_spend_half))
        self._sd_target = self.spec.consistency_sd * 2.0 ** (
            -self.consistency_spend / size / c.consistency_spend_half)
        self._yearly = yearly_cost(self.spend, self.engagement_spend,
                                   self.consistency_spend, self.extra_bays, c.bay_cost_k)
        self.check_rest()
        self.changed = True  # DealerArrays.refresh reads this dealer again

    def check_rest(self) -> None:
        """Whether quality, engagement and consistency sit at their targets: a store
        without a programme does from the start, and a week then moves nothing."""
        self.moving = not (np.array_equal(self.quality, self._target)
                           and self.engagement == self._e_target
                           and self.consistency_sd == self._sd_target)

    @property
    def yearly_investment(self) -> float:
        """k$ a year the dealer spends on its programme (read every week; it changes
        only when a programme starts)."""
        return self._yearly

    def step(self) -> None:
        """Move delivered quality, engagement and consistency toward their targets."""
        if not self.moving:  # at rest: x + pull * (x - x) is x to the last bit
            return
        self.quality += self._pull * (self._target - self.quality)
        self.engagement += self._pull * (self._e_target - self.engagement)
        self.consistency_sd += self._pull * (self._sd_target - self.consistency_sd)

    # -- what customers meet ------------------------------------------------
    def effective_quality(self) -> np.ndarray:
        """Quality per touchpoint as customers meet it, engagement included."""
        lift = 1.0 + self.cfg.engagement_effect * (self.engagement - 0.5)
        return np.minimum(np.maximum(self.quality * lift, 0.0), 10.0)

    def effective_sd(self) -> float:
        """Spread of delivered quality: engaged staff are more consistent."""
        return self.consistency_sd * (1.5 - self.engagement)

    def handoff_failure(self) -> float:
        """Chance that a hand-off between departments goes wrong."""
        return self.cfg.handoff_failure * (1.0 - self.engagement)

    @property
    def service_rate(self) -> float:
        """Visits per hour one bay completes (mu)."""
        return 1.0 / self.cfg.service_hours
