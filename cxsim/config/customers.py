"""The population: segments, home area, social network, ownership and talk."""

from __future__ import annotations

from dataclasses import dataclass, field

from cxsim.config.common import SEGMENTS, ConfigError, _check_fields


@dataclass
class SegmentSpec:
    """A customer class (Ciw's word): share, digital affinity, price weight."""

    share: float = 0.33
    digital_affinity: float = 0.5  # 0-1: how much online ratings and digital matter
    price_weight: float = 1.0  # multiplier on price sensitivity
    expectation: float = 7.5  # mean expectation per touchpoint (0-10)


def _default_segments() -> dict[str, SegmentSpec]:
    # shares and affinities: assumption (order of Cox Car Buyer Journey segments)
    return {
        "digital_first": SegmentSpec(share=0.35, digital_affinity=0.9, price_weight=1.0,
                                     expectation=7.8),
        "traditional": SegmentSpec(share=0.45, digital_affinity=0.2, price_weight=0.8,
                                   expectation=7.4),
        "value_seeker": SegmentSpec(share=0.20, digital_affinity=0.5, price_weight=2.0,
                                    expectation=7.2),
    }


@dataclass
class CustomersConfig:
    """The population: segments, network, ownership and talk (its size: ``sample``)."""

    segments: dict[str, SegmentSpec] = field(default_factory=_default_segments)
    market_size_km: float = 60.0  # side of the square market; buyers drive 47-65 miles
    # (Edmunds, Cars.com), so every dealer is reachable
    first_time_share: float = 0.08  # share without a vehicle at start; assumption
    first_time_entry_years: float = 2.0  # mean years until a first-timer enters; assumption
    tenure_years: float = 20.0  # mean years a household stays in the market while it
    # owns (constant hazard; 0: nobody leaves); with first_time_entry_years it makes
    # the stationary share of first-time prospects about first_time_share; order of
    # US moves out of county, about 4-5 % of households a year (Census CPS); assumption
    ownership_months: float = 71.0  # mean months before replacement (Polk/IHS 2012)
    ownership_cv: float = 0.35  # coefficient of variation of that horizon; assumption
    network_degree: int = 6  # mean ties per customer (small world); assumption
    network_rewire: float = 0.1  # Watts-Strogatz rewiring probability; assumption
    well_mixed: bool = False  # True: a listener is any random customer (mean field;
    # used by the Bass degenerate test)
    attitude_mean: float = 6.4  # a newcomer's attitude toward each dealer (0-10): the
    # market's typical attitude, which the default market settles at (6.3-6.4 measured
    # over ten years at constant friction); assumption
    attitude_sd: float = 1.0  # between-customer spread; assumption
    talkativeness_sd: float = 0.5  # lognormal sd of individual talkativeness; assumption
    expectation_sd: float = 0.5  # points (0-10): spread of a customer's expectation per
    # touchpoint around the segment's mean; assumption
    affinity_sd: float = 0.1  # spread of digital affinity (0-1) around the segment's;
    # assumption
    network_view_max: int = 5_000  # build Mesa's Network space only up to this many
    # customers: its Cell objects cost about 1 kB each

    def __post_init__(self) -> None:
        if self.network_degree < 0 or self.network_degree % 2:
            raise ConfigError(
                f"customers.network_degree={self.network_degree}; allowed: an even count >= 0"
            )
        _check_fields(self, "customers", probs=("first_time_share", "network_rewire"),
                      nonneg=("attitude_sd", "tenure_years", "talkativeness_sd", "ownership_cv",
                              "network_view_max", "expectation_sd", "affinity_sd"),
                      positive=("market_size_km", "first_time_entry_years",
                                "ownership_months"))
        unknown = set(self.segments) - set(SEGMENTS)
        if unknown:
            raise ConfigError(
                f"customers.segments has unknown segment {sorted(unknown)[0]!r}; "
                f"allowed: {', '.join(SEGMENTS)}"
            )
        for name, s in self.segments.items():
            _check_fields(s, f"customers.segments.{name}",
                          probs=("share", "digital_affinity"), nonneg=("price_weight",))
        total = sum(s.share for s in self.segments.values())
        if abs(total - 1.0) > 1e-6:
            raise ConfigError(f"customers.segments shares sum to {total:g}; allowed: 1")
