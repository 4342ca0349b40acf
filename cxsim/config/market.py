"""The market's clock and environment: horizon, warm-up, season, digital friction."""

from __future__ import annotations

from dataclasses import dataclass, field

from cxsim.config.common import ConfigError, _check_fields, _check_nonneg, limits


def _car_season() -> list[float]:
    # Monthly weights of new-car sales, gently peaking in spring and year end
    # (assumption, shape of US monthly SAAR seasonality).
    return [0.85, 0.9, 1.1, 1.0, 1.1, 1.05, 1.0, 1.05, 1.0, 0.95, 0.95, 1.05]


@dataclass
class MarketConfig:
    """The market: industry, friction path, seasonality and the clock."""

    industry: str = "car"
    households: float = 20_000.0  # real households in the market (the owner base the
    # simulated sample stands for); assumption: a metro market of three stores.
    # 0 = derive it: from the homes grid's total, else from the stores' declared
    # yearly_sales (RunConfig.households_from_sales)
    # where households live: '' = uniform over the market square, or the path of a CSV
    # grid of households per cell (cxsim/homes.py); a user's own data
    homes: str = field(default="", metadata={"empty_ok": True, "max_len": 1000})
    # simulated horizon (recorded weeks = 52 x years)
    years: float = field(default=5.0, metadata=limits(0, 100, "a century at most"))
    # weeks simulated before recording, so service bonds and ratings settle; assumption
    warmup_weeks: int = field(default=52, metadata=limits(0, 520, "ten years at most"))
    friction_start: float = 1.0  # digital friction phi at week 0
    friction_decline: float = 0.04  # fractional fall a year ("a few %"); assumption
    friction_floor: float = 0.2  # phi never falls below this; assumption
    friction_step_week: int = -1  # >= 0: phi drops to friction_step_to at this week
    friction_step_to: float = 0.5  # (digital_disruption)
    season: list[float] = field(default_factory=_car_season)  # 12 monthly weights of
    # market entry; normalised to mean 1

    def __post_init__(self) -> None:
        if self.industry not in ("car", "boat"):
            raise ConfigError(f"market.industry={self.industry!r}; allowed: car, boat")
        if len(self.season) != 12:
            raise ConfigError(f"market.season has {len(self.season)} values; allowed: 12")
        for i, w in enumerate(self.season):
            _check_nonneg(f"market.season[{i}]", w)
        if sum(self.season) <= 0:
            raise ConfigError("market.season sums to 0; allowed: some positive month")
        _check_fields(self, "market", probs=("friction_decline",),
                      nonneg=("warmup_weeks", "friction_start", "friction_floor",
                              "friction_step_to", "households"),
                      positive=("years",))
