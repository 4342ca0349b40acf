"""The focal dealer's programme: its budget lines, its one cost, applied to a store.

A programme spends k$ a year on budget lines, :data:`SPEND_LINES` (the eight
touchpoints, staff engagement, consistency standards), and may add service
bays, each costing ``dealers.bay_cost_k`` a year. Its yearly cost is
:func:`yearly_cost`, the one definition the model's accounts, the optimiser,
the experiments, sweeps and the dashboard use. Cash items that buy no quality
sit beside it: ``bay_capital_k`` once per extra bay (``economics.bay_capital_k``),
``one_off_k`` once and ``yearly_k`` a year (``investment.one_off_k``,
``investment.yearly_k``); :meth:`Programme.cash_costs` is the week-by-week
cash the store pays (:mod:`cxsim.economics`).

A :class:`Programme` is validated when it is built (a negative line or an
unknown one raises :class:`~cxsim.config.ConfigError` naming the config key)
and never changed in place: the optimiser's allocation, a scaled calibration,
the dashboard's levers are changed copies (:meth:`Programme.replace`,
:meth:`Programme.allocated`, :meth:`Programme.scaled`), validated again. The
config's representation stays :class:`~cxsim.config.InvestmentConfig`
(:meth:`Programme.from_config`, :meth:`Programme.into`).

>>> p = Programme({"service": 100.0, "engagement": 50.0}, extra_bays=2, bay_cost_k=60.0)
>>> p.cost_k
270.0
>>> q = p.replace(bay_capital_k=100.0, one_off_k=30.0, yearly_k=52.0)
>>> q.one_off_cost_k, q.running_k, q.cash_costs(weeks=3, start_week=1).round(2).tolist()
(230.0, 322.0, [0.0, 236.19, 6.19])
>>> p.replace(service=-1.0)
Traceback (most recent call last):
...
cxsim.config.ConfigError: investment.spend.service=-1.0 is negative; allowed: >= 0
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

import numpy as np

from cxsim.config import TOUCHPOINTS, ConfigError, DealersConfig, InvestmentConfig, RunConfig
from cxsim.config.economics import EconomicsConfig
from cxsim.economics import cost_schedule

if TYPE_CHECKING:
    from cxsim.dealers import Dealer

PEOPLE_LINES: tuple[str, ...] = ("engagement", "consistency")
SPEND_LINES: tuple[str, ...] = (*TOUCHPOINTS, *PEOPLE_LINES)
"""Budget lines in k$ a year: the touchpoints, then people (engagement) and standards."""

LINES: tuple[str, ...] = (*SPEND_LINES, "bays")
"""Every cost line of a programme; ``bays`` is extra bays x ``dealers.bay_cost_k``."""

CONFIG_KEYS: dict[str, str] = {
    **{t: f"investment.spend.{t}" for t in TOUCHPOINTS},
    "engagement": "investment.engagement_spend",
    "consistency": "investment.consistency_spend",
    "bays": "investment.extra_bays",
}
"""The config key of each line (error messages, Hydra overrides)."""

BAY_COST_K: float = next(f.default for f in fields(DealersConfig) if f.name == "bay_cost_k")
"""``dealers.bay_cost_k``'s default, for programmes built without a market."""

BAY_CAPITAL_K: float = next(f.default for f in fields(EconomicsConfig)
                            if f.name == "bay_capital_k")
"""``economics.bay_capital_k``'s default (k$ once per extra bay)."""

_CASH_ITEMS = ("bay_capital_k", "one_off_k", "yearly_k")


def yearly_cost(touchpoints: np.ndarray, engagement: float, consistency: float,
                extra_bays: int, bay_cost_k: float) -> float:
    """k$ a year of a programme: touchpoint spend + engagement + consistency + bays."""
    return float(np.asarray(touchpoints).sum() + engagement + consistency
                 + bay_cost_k * extra_bays)


def _checked(key: str, value: Any) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{key}={value!r} is not a number") from None
    if math.isnan(v) or v < 0:
        raise ConfigError(f"{key}={value} is negative; allowed: >= 0" if v < 0 else
                          f"{key}={value} is not a number")
    return v


@dataclass(frozen=True)
class Programme:
    """Yearly spend per budget line (missing lines spend 0) and extra service bays."""

    spend: Mapping[str, float] = field(default_factory=dict)  # k$/year per SPEND_LINES
    extra_bays: int = 0  # service bays added at the store
    bay_cost_k: float = BAY_COST_K  # k$/year per extra bay (dealers.bay_cost_k)
    name: str = "programme"
    bay_capital_k: float = BAY_CAPITAL_K  # k$ once per extra bay (economics.bay_capital_k)
    one_off_k: float = 0.0  # k$ once, at the start (investment.one_off_k)
    yearly_k: float = 0.0  # k$/year of items that buy no quality (investment.yearly_k)

    def __post_init__(self) -> None:
        unknown = [k for k in self.spend if k not in SPEND_LINES]
        if unknown:
            raise ConfigError(f"unknown budget line {unknown[0]!r}; allowed: "
                              f"{', '.join(SPEND_LINES)}")
        lines = {k: _checked(CONFIG_KEYS[k], self.spend.get(k, 0.0)) for k in SPEND_LINES}
        object.__setattr__(self, "spend", lines)
        bays = _checked(CONFIG_KEYS["bays"], self.extra_bays)
        if bays != int(bays):
            raise ConfigError(f"investment.extra_bays={self.extra_bays} is not a whole count")
        object.__setattr__(self, "extra_bays", int(bays))
        object.__setattr__(self, "bay_cost_k", _checked("dealers.bay_cost_k", self.bay_cost_k))
        for item in _CASH_ITEMS:
            key = ("economics." if item == "bay_capital_k" else "investment.") + item
            object.__setattr__(self, item, _checked(key, getattr(self, item)))

    # -- from and to the config -----------------------------------------------------------
    @classmethod
    def from_investment(cls, inv: InvestmentConfig, bay_cost_k: float = BAY_COST_K,
                        bay_capital_k: float = BAY_CAPITAL_K) -> Programme:
        """The programme an :class:`InvestmentConfig` describes."""
        spend = {t: getattr(inv.spend, t) for t in TOUCHPOINTS}
        spend["engagement"] = inv.engagement_spend
        spend["consistency"] = inv.consistency_spend
        return cls(spend, extra_bays=inv.extra_bays, bay_cost_k=bay_cost_k, name=inv.name,
                   bay_capital_k=bay_capital_k, one_off_k=inv.one_off_k, yearly_k=inv.yearly_k)

    @classmethod
    def from_config(cls, cfg: RunConfig) -> Programme:
        """The programme of a run: ``investment``, bays priced by ``dealers.bay_cost_k``
        a year and ``economics.bay_capital_k`` once."""
        return cls.from_investment(cfg.investment, cfg.dealers.bay_cost_k,
                                   cfg.economics.bay_capital_k)

    @classmethod
    def from_dict(cls, config: Mapping[str, Any]) -> Programme:
        """The programme of a run folder's ``config.json`` (a plain dict of the config)."""
        inv = config.get("investment", {}) or {}
        spend = dict(inv.get("spend", {}) or {})
        spend["engagement"] = inv.get("engagement_spend", 0.0)
        spend["consistency"] = inv.get("consistency_spend", 0.0)
        bay = (config.get("dealers", {}) or {}).get("bay_cost_k", BAY_COST_K)
        capital = (config.get("economics", {}) or {}).get("bay_capital_k", BAY_CAPITAL_K)
        return cls(spend, extra_bays=inv.get("extra_bays", 0), bay_cost_k=bay,
                   name=str(inv.get("name", "programme")), bay_capital_k=capital,
                   one_off_k=inv.get("one_off_k", 0.0), yearly_k=inv.get("yearly_k", 0.0))

    def to_investment(self, base: InvestmentConfig | None = None) -> InvestmentConfig:
        """An :class:`InvestmentConfig` with these lines (timing and copying from ``base``)."""
        out = copy.deepcopy(base) if base is not None else InvestmentConfig()
        out.name = self.name
        for t in TOUCHPOINTS:
            setattr(out.spend, t, self.spend[t])
        out.engagement_spend = self.spend["engagement"]
        out.consistency_spend = self.spend["consistency"]
        out.extra_bays = self.extra_bays
        out.one_off_k = self.one_off_k
        out.yearly_k = self.yearly_k
        out.__post_init__()
        return out

    def into(self, cfg: RunConfig) -> RunConfig:
        """A copy of ``cfg`` whose focal dealer runs this programme."""
        out = copy.deepcopy(cfg)
        out.investment = self.to_investment(cfg.investment)
        return out

    def overrides(self) -> list[str]:
        """Hydra overrides that set every line (after ``investment=<preset>``)."""
        out = [f"{CONFIG_KEYS[k]}={v:g}" for k, v in self.spend.items()]
        if self.extra_bays:
            out.append(f"{CONFIG_KEYS['bays']}={self.extra_bays}")
        out += [f"investment.{k}={getattr(self, k):g}" for k in ("one_off_k", "yearly_k")
                if getattr(self, k)]
        return out

    # -- cost -----------------------------------------------------------------------------
    @property
    def touchpoint_spend(self) -> np.ndarray:
        """k$/year per touchpoint, in :data:`~cxsim.config.TOUCHPOINTS` order."""
        return np.array([self.spend[t] for t in TOUCHPOINTS], dtype=float)

    @property
    def cost_k(self) -> float:
        """k$ a year, every line together (bays at ``bay_cost_k``)."""
        return yearly_cost(self.touchpoint_spend, self.spend["engagement"],
                           self.spend["consistency"], self.extra_bays, self.bay_cost_k)

    @property
    def spend_k(self) -> float:
        """k$ a year on the spend lines alone (what an allocation divides)."""
        return yearly_cost(self.touchpoint_spend, self.spend["engagement"],
                           self.spend["consistency"], 0, 0.0)

    @property
    def running_k(self) -> float:
        """k$ a year the store pays: :attr:`cost_k` plus the yearly items."""
        return self.cost_k + self.yearly_k

    @property
    def one_off_cost_k(self) -> float:
        """k$ paid once at the start: capital per extra bay plus the one-off items."""
        return self.bay_capital_k * self.extra_bays + self.one_off_k

    def cash_costs(self, weeks: int, start_week: int) -> np.ndarray:
        """k$ the store pays in each recorded week: :attr:`one_off_cost_k` in
        ``start_week``, :attr:`running_k` / 52 a week from then on."""
        return cost_schedule(weeks, start_week, self.running_k, self.one_off_cost_k)

    def costs(self) -> dict[str, float]:
        """k$ a year per line of :data:`LINES`."""
        return {**self.spend, "bays": self.bay_cost_k * self.extra_bays}

    @property
    def funds_anything(self) -> bool:
        """True if the programme changes the store at all."""
        return self.spend_k > 0 or self.extra_bays > 0

    # -- changed copies -------------------------------------------------------------------
    def _items(self) -> dict[str, float]:
        return {k: getattr(self, k) for k in _CASH_ITEMS}

    def replace(self, *, extra_bays: int | None = None, name: str | None = None,
                **lines: float) -> Programme:
        """A copy with some lines (and bays, name, cash items) changed; validated again."""
        items = {**self._items(), **{k: lines.pop(k) for k in _CASH_ITEMS if k in lines}}
        unknown = [k for k in lines if k not in SPEND_LINES]
        if unknown:
            raise ConfigError(f"unknown budget line {unknown[0]!r}; allowed: "
                              f"{', '.join(SPEND_LINES)}")
        return Programme({**self.spend, **lines},
                         extra_bays=self.extra_bays if extra_bays is None else extra_bays,
                         bay_cost_k=self.bay_cost_k, name=self.name if name is None else name,
                         **items)

    def allocated(self, allocation: Mapping[str, float], name: str | None = None
                  ) -> Programme:
        """A copy spending exactly ``allocation`` (lines it leaves out spend 0; bays kept)."""
        return Programme(dict(allocation), extra_bays=self.extra_bays,
                         bay_cost_k=self.bay_cost_k, name=self.name if name is None else name,
                         **self._items())

    def scaled(self, factor: float, digits: int | None = None) -> Programme:
        """Every spend line times ``factor`` (rounded to ``digits`` decimals of a k$)."""
        lines = {k: v * factor if digits is None else round(v * factor, digits)
                 for k, v in self.spend.items()}
        return self.replace(**lines)

    # -- at a store -----------------------------------------------------------------------
    def apply_to(self, dealer: Dealer) -> None:
        """Start the programme at a store (quality then follows with the store's lag)."""
        dealer.invest(self.touchpoint_spend, self.spend["engagement"],
                      self.spend["consistency"], self.extra_bays)
