"""The simulated sample: how many of the market's real households are simulated.

The market's real size is ``market.households``; the simulation follows a
random sample of ``sample.customers`` of them, each standing for
``w = market.households / sample.customers`` real households. Every count,
review and amount of money is reported in real units (x w), so the sample
size sets the width of confidence intervals, not the expected answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from cxsim.config.common import ConfigError

RENAMED: dict[str, str] = {
    "customers.n": "customers.n was renamed sample.customers (the number of simulated "
                   "customers); the market's real size is market.households",
    "bays_per_1000_customers": "dealers.dealers[i].bays_per_1000_customers was replaced by "
                               "dealers.dealers[i].bays (the store's real service bays)",
}
"""Keys that were renamed or replaced, and the one line that names the new key."""


@dataclass
class SampleConfig:
    """The simulated sample of the market's real households."""

    customers: int = 20_000  # simulated customers (a precision knob: more customers,
    # narrower intervals; the expected answer does not depend on it)

    def __post_init__(self) -> None:
        if self.customers < 1:
            raise ConfigError(f"sample.customers={self.customers} is not a positive count; "
                              "allowed: sample.customers >= 1")
