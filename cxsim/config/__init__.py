"""Typed configuration: one dataclass per concern, one module per ``conf/`` group.

Every field carries its unit and its source (or "assumption") in the comment
beside it; ``docs/ODD.md`` tabulates the same parameters. Field names double
as column names in result files, so they are plain identifiers.

Validation lives in ``__post_init__`` so that it runs however a config is
built: from Hydra (``OmegaConf.to_object``), from the Python API, or from a
test. A bad value raises :class:`ConfigError` naming the dotted key.
"""


from __future__ import annotations

from dataclasses import dataclass, field

from cxsim.config.choice import ChoiceConfig
from cxsim.config.common import (
    SEGMENTS,
    SERVICE_TOUCHPOINTS,
    TOUCHPOINTS,
    WEEKS_PER_YEAR,
    ConfigError,
    check_all,
    limits,
)
from cxsim.config.customers import CustomersConfig, SegmentSpec
from cxsim.config.dealers import DealersConfig, DealerSpec, TouchpointValues
from cxsim.config.economics import EconomicsConfig
from cxsim.config.investment import InvestmentConfig, resolve_stores
from cxsim.config.market import MarketConfig
from cxsim.config.rules import RulesConfig
from cxsim.config.sample import SampleConfig
from cxsim.config.touchpoints import TouchpointsConfig
from cxsim.config.word_of_mouth import WordOfMouthConfig

__all__ = [
    "ChoiceConfig",
    "ConfigError",
    "CustomersConfig",
    "DealerSpec",
    "DealersConfig",
    "EconomicsConfig",
    "InvestmentConfig",
    "MarketConfig",
    "RulesConfig",
    "RunConfig",
    "SampleConfig",
    "SEGMENTS",
    "SERVICE_TOUCHPOINTS",
    "SegmentSpec",
    "TOUCHPOINTS",
    "TouchpointValues",
    "TouchpointsConfig",
    "WEEKS_PER_YEAR",
    "WordOfMouthConfig",
]


@dataclass
class RunConfig:
    """Everything one simulation run needs."""

    seed: int = field(default=0, metadata=limits(0, 2**63 - 1, "numpy's seed range"))
    sample: SampleConfig = field(default_factory=SampleConfig)
    customers: CustomersConfig = field(default_factory=CustomersConfig)
    dealers: DealersConfig = field(default_factory=DealersConfig)
    touchpoints: TouchpointsConfig = field(default_factory=TouchpointsConfig)
    choice: ChoiceConfig = field(default_factory=ChoiceConfig)
    word_of_mouth: WordOfMouthConfig = field(default_factory=WordOfMouthConfig)
    market: MarketConfig = field(default_factory=MarketConfig)
    investment: InvestmentConfig = field(default_factory=InvestmentConfig)
    rules: RulesConfig = field(default_factory=RulesConfig)
    economics: EconomicsConfig = field(default_factory=EconomicsConfig)
    engine: str = "fast"  # "fast" (event-driven arrays) or "stepped" (agent.step)
    progress: bool = True  # show a progress bar
    plots: bool = True  # write PNG plots with the results

    def __post_init__(self) -> None:
        check_all(self)  # every key: finite, in its range, short printable text
        if self.engine not in ("fast", "stepped"):
            raise ConfigError(f"engine={self.engine!r}; allowed: fast, stepped")
        n_d = len(self.dealers.dealers)
        inv = self.investment
        stores = resolve_stores(inv.stores, self.dealers)
        if inv.copied_by >= n_d or inv.copied_by in stores:
            raise ConfigError(
                f"investment.copied_by={inv.copied_by}; allowed: -1 or the index of a "
                f"store the programme does not run at (it runs at {stores})"
            )
        self._resolve_households()
        if self.weeks < 1:
            raise ConfigError(
                f"market.years={self.market.years} gives {self.weeks} recorded weeks; "
                "allowed: market.years >= 1/52 (at least one week)")
        ms = self.choice.markov_switching
        if ms and (len(ms) != n_d or any(len(r) != n_d for r in ms)):
            raise ConfigError(
                f"choice.markov_switching must be {n_d} x {n_d} (one row per dealer)"
            )
        if ms and self.customers.first_time_share > 0:
            raise ConfigError(
                "choice.markov_switching needs customers.first_time_share=0: a fixed "
                "switching matrix has no row for a customer without a dealer")

    def _resolve_households(self) -> None:
        """Check the homes grid; a market size of 0 is derived (recorded in the config)."""
        m = self.market
        grid = None
        if m.homes:
            from cxsim.homes import check_grid  # reads a user's file: only when named

            grid = check_grid(m.homes, self.customers.market_size_km / 2.0)
        if m.households > 0:
            return
        if grid is not None:
            m.households = grid.total
            return
        declared = [d.yearly_sales for d in self.dealers.dealers]
        if min(declared) <= 0:
            i = declared.index(min(declared))
            raise ConfigError(
                f"market.households=0 needs the market's size from somewhere, but "
                f"dealers.dealers[{i}].yearly_sales is not declared; allowed: "
                "market.households > 0, market.homes=<grid CSV>, or every store's yearly_sales")
        m.households = self.households_from_sales()

    def households_from_sales(self) -> float:
        """Real households implied by the stores' declared yearly sales.

        In a steady market each household buys about once per ownership spell, so
        households ~ yearly sales x mean years of ownership (first-time buyers and
        leavers only shift when, not how often, a household buys). An approximation
        to start from: summary.json sets the simulated sales beside the declared ones.

        >>> cfg = RunConfig()
        >>> for d in cfg.dealers.dealers:
        ...     d.yearly_sales = 1_000.0
        >>> round(cfg.households_from_sales())
        17750
        """
        total = sum(d.yearly_sales for d in self.dealers.dealers)
        return total * self.customers.ownership_months / 12.0

    @property
    def weight(self) -> float:
        """Real households each simulated customer stands for (w = real / simulated)."""
        return self.market.households / self.sample.customers

    @property
    def weeks(self) -> int:
        """Recorded weeks."""
        return int(round(self.market.years * WEEKS_PER_YEAR))
