"""The programme under study: spend per line, bays, cost items, where, start, who copies."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from cxsim.config.common import TOUCHPOINTS, ConfigError, _check_fields, _check_nonneg
from cxsim.config.dealers import DealersConfig, TouchpointValues

ALL_STORES = "all"
GROUP_PREFIX = "group:"


@dataclass
class InvestmentConfig:
    """The programme: extra spend per touchpoint and on people, at the chosen stores."""

    name: str = "none"
    spend: TouchpointValues = field(default_factory=TouchpointValues)  # k$/year
    engagement_spend: float = 0.0  # k$/year on staff engagement (common purpose)
    consistency_spend: float = 0.0  # k$/year on standards that narrow the spread
    extra_bays: int = 0  # service bays added (at each of the programme's stores)
    one_off_k: float = 0.0  # k$ once, at the start, per store (set-up, software, fit-out)
    yearly_k: float = 0.0  # k$/year per store of items that buy no quality (licences)
    # where the programme runs: store names, "group:<group>" or "all"; [] = dealers.focal
    stores: list[str] = field(default_factory=list)
    start_week: int = 0  # recorded week at which spending starts
    copied_by: int = -1  # >= 0: this dealer copies the programme ...
    copy_after_weeks: int = 52  # ... this many weeks later (competitor_response)

    def __post_init__(self) -> None:
        for t in TOUCHPOINTS:
            _check_nonneg(f"investment.spend.{t}", getattr(self.spend, t))
        _check_fields(self, "investment",
                      nonneg=("engagement_spend", "consistency_spend", "extra_bays",
                              "one_off_k", "yearly_k", "start_week", "copy_after_weeks"))


def resolve_stores(stores: Sequence[str], dealers: DealersConfig,
                   key: str = "investment.stores") -> list[int]:
    """Dealer indices of a store list: names, ``group:<group>`` (every store of the
    group) or ``all`` (every store); ``[]`` is ``dealers.focal``. In dealer order.

    >>> d = DealersConfig()
    >>> resolve_stores([], d), resolve_stores(["Dealer C", "Dealer A"], d)
    ([0], [0, 2])
    >>> resolve_stores(["Nowhere"], d)
    Traceback (most recent call last):
    ...
    cxsim.config.ConfigError: investment.stores: unknown store 'Nowhere'; allowed: \
Dealer A, Dealer B, Dealer C, all
    """
    specs = dealers.dealers
    if not stores:
        return [dealers.focal]
    names = [d.name for d in specs]
    groups = sorted({d.group for d in specs if d.group})
    chosen: set[int] = set()
    for s in stores:
        if s == ALL_STORES:
            chosen.update(range(len(specs)))
        elif s.startswith(GROUP_PREFIX):
            g = s[len(GROUP_PREFIX):].strip()
            members = [i for i, d in enumerate(specs) if d.group == g]
            if not members:
                allowed = ", ".join(GROUP_PREFIX + x for x in groups) or "none (no store "\
                    "has a group)"
                raise ConfigError(f"{key}: unknown group {g!r}; allowed: {allowed}")
            chosen.update(members)
        elif s in names:
            chosen.add(names.index(s))
        else:
            allowed = [*names, *(GROUP_PREFIX + g for g in groups), ALL_STORES]
            raise ConfigError(f"{key}: unknown store {s!r}; allowed: {', '.join(allowed)}")
    return sorted(chosen)
