"""The stores: place, starting quality, capacity, margins, and how money buys quality."""

from __future__ import annotations

from dataclasses import dataclass, field

from cxsim.config.common import TOUCHPOINTS, ConfigError, _check_fields


@dataclass
class TouchpointValues:
    """One number per touchpoint (quality 0-10, or spend in k$ a year)."""

    marketing: float = 0.0
    digital: float = 0.0
    sales: float = 0.0
    finance: float = 0.0
    delivery: float = 0.0
    service: float = 0.0
    parts: float = 0.0
    communication: float = 0.0

    def as_list(self) -> list[float]:
        return [float(getattr(self, t)) for t in TOUCHPOINTS]


def _quality(**kw: float) -> TouchpointValues:
    base = dict.fromkeys(TOUCHPOINTS, 7.5)
    base.update(kw)
    return TouchpointValues(**base)


@dataclass
class DealerSpec:
    """One dealership in real units: place, starting qualities, capacity and margins."""

    name: str = "Dealer A"
    # the dealer group that owns the store ("" = an owner of this store alone)
    group: str = field(default="", metadata={"empty_ok": True})
    x_km: float = 0.0  # km; location in the market square; assumption
    y_km: float = 0.0  # km
    # 0-10 per touchpoint; 7.5 is the prototype's workable Q0 (MODEL.md);
    # communication lower: "most dealers fail on communicating progress" (seed 004)
    quality: TouchpointValues = field(default_factory=lambda: _quality(communication=6.5))
    consistency_sd: float = 1.2  # quality points, sd of delivered quality; assumption
    engagement: float = 0.5  # 0-1 staff engagement; assumption (mid-scale)
    bays: int = 15  # the store's real service bays; assumption chosen so a store with
    # a third of the default market (20,000 households) runs near 0.75 utilisation
    # (MODEL.md workable range 0.7-0.8)
    open_hours_per_week: float = 50.0  # service lane opening hours; assumption
    price_premium: float = 0.0  # fraction above market price; assumption
    gross_per_vehicle: float = 3.0  # k$ gross profit per new vehicle, F&I included;
    # assumption (NADA order)
    gross_per_service_visit: float = 0.35  # k$ per repair order; set so fixed ops give about half
    # of dealer gross (NADA: 47-49 %; the default market gives ~51 %)
    initial_awareness: float = 1.0  # share of customers who know the dealer at start
    yearly_sales: float = 0.0  # new vehicles the store really sells a year (0 = not
    # declared); the user's own figure: summary.json sets it beside the simulated one,
    # and market.households=0 derives the market's size from the stores' declared sales


def _default_dealers() -> list[DealerSpec]:
    return [
        DealerSpec(name="Dealer A", x_km=-12.0, y_km=-6.0),
        DealerSpec(name="Dealer B", x_km=12.0, y_km=-6.0),
        DealerSpec(name="Dealer C", x_km=0.0, y_km=13.0),
    ]


@dataclass
class DealersConfig:
    """The competing dealerships; the first one is the focal dealer."""

    dealers: list[DealerSpec] = field(default_factory=_default_dealers)
    focal: int = 0  # index of the dealer whose investments are studied
    quality_max: float = 9.5  # Qmax of the budget map; MODEL.md prototype range
    spend_half: float = 150.0  # k$/year on one touchpoint that closes half the gap to
    # Qmax at a store of reference_bays; assumption
    reference_bays: float = 15.0  # the store size (service bays) at which spend_half
    # applies to volume-driven touchpoints; a store twice this size needs twice the
    # spend for the same quality (MODEL.md "Scale"); the default store's size
    quality_lag_weeks: float = 26.0  # weeks for delivered quality to move ~63 % toward
    # target (training takes months); assumption
    engagement_effect: float = 0.16  # fractional quality change per unit engagement
    # above 0.5 ("common purpose" multiplies every touchpoint); assumption
    engagement_spend_half: float = 150.0  # k$/year that closes half the gap to
    # engagement 1; assumption
    consistency_spend_half: float = 150.0  # k$/year that halves consistency_sd; assumption
    handoff_failure: float = 0.30  # probability a hand-off no department owns goes wrong
    # at engagement 0 (falls linearly to 0 at engagement 1); assumption, seed 004
    self_rating_target: float = 6.96  # departmental KPI target (0-10): management claims a
    # superior experience when its departments' mean KPI reaches it; sets the management
    # side of the perception gap (calibrated by experiments/perception_gap: 80 % of
    # dealers claim superior, Allen et al. 2005)
    vehicle_price_k: float = 48.0  # k$ revenue per new vehicle; assumption (order of the
    # US average transaction price, 2024)
    service_ticket_k: float = 0.6  # k$ revenue per service visit; assumption
    lane_smoothing: float = 0.3  # weight of the latest week in the lane's arrival-rate
    # estimate (EWMA); assumption
    service_hours: float = 3.0  # mean hours a bay spends on one visit; assumption
    bay_cost_k: float = 60.0  # k$/year for one extra service bay (equipment, space,
    # technician); assumption

    def __post_init__(self) -> None:
        if not self.dealers:
            raise ConfigError("dealers.dealers is empty; allowed: at least one dealer")
        if not 0 <= self.focal < len(self.dealers):
            raise ConfigError(
                f"dealers.focal={self.focal} is not a dealer index; "
                f"allowed: 0..{len(self.dealers) - 1}"
            )
        for i, d in enumerate(self.dealers):
            p = f"dealers.dealers[{i}]"
            for t in TOUCHPOINTS:
                q = getattr(d.quality, t)
                if not 0 <= q <= 10:
                    raise ConfigError(f"{p}.quality.{t}={q} is off the scale; allowed: 0..10")
            _check_fields(d, p, probs=("engagement", "initial_awareness"),
                          nonneg=("consistency_sd", "gross_per_vehicle",
                                  "gross_per_service_visit", "yearly_sales"),
                          positive=("bays", "open_hours_per_week"))
        _check_fields(self, "dealers", probs=("handoff_failure",),
                      nonneg=("engagement_effect", "quality_lag_weeks", "bay_cost_k"),
                      positive=("spend_half", "reference_bays", "engagement_spend_half",
                                "consistency_spend_half", "service_hours"))
        if not 0 < self.quality_max <= 10:
            raise ConfigError(f"dealers.quality_max={self.quality_max}; allowed: 0 < x <= 10")
