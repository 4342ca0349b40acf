"""Money over time: the discount rate, capital per bay and the value of owners."""

from __future__ import annotations

from dataclasses import dataclass, field

from cxsim.config.common import _check_fields, limits


@dataclass
class EconomicsConfig:
    """How a programme's cash flows are valued (``cxsim.economics``, ``cxsim-decide``)."""

    # yearly rate that discounts monthly cash flows; assumption: the order of a dealer
    # group's cost of capital (an 8-10 % hurdle rate)
    discount_rate: float = field(default=0.08, metadata=limits(0, 1, "0 to 100 % a year"))
    bay_capital_k: float = 120.0  # k$ once per extra service bay (lift, tools, space);
    # assumption (order of a lift and fit-out); its yearly running cost is
    # dealers.bay_cost_k
    terminal_value: bool = True  # value owners won or lost at the horizon (shown apart)
    # years of ownership an owner has left at the horizon; < 0: half of
    # customers.ownership_months (owners are spread evenly over their cycle)
    owner_years_left: float = -1.0

    def __post_init__(self) -> None:
        _check_fields(self, "economics", nonneg=("bay_capital_k",))
