"""The programme under study: spend per line, bays, start, and who copies it."""

from __future__ import annotations

from dataclasses import dataclass, field

from cxsim.config.common import TOUCHPOINTS, _check_fields, _check_nonneg
from cxsim.config.dealers import TouchpointValues


@dataclass
class InvestmentConfig:
    """The focal dealer's programme: extra spend per touchpoint and on people."""

    name: str = "none"
    spend: TouchpointValues = field(default_factory=TouchpointValues)  # k$/year
    engagement_spend: float = 0.0  # k$/year on staff engagement (common purpose)
    consistency_spend: float = 0.0  # k$/year on standards that narrow the spread
    extra_bays: int = 0  # service bays added
    start_week: int = 0  # recorded week at which spending starts
    copied_by: int = -1  # >= 0: this dealer copies the programme ...
    copy_after_weeks: int = 52  # ... this many weeks later (competitor_response)

    def __post_init__(self) -> None:
        for t in TOUCHPOINTS:
            _check_nonneg(f"investment.spend.{t}", getattr(self.spend, t))
        _check_fields(self, "investment",
                      nonneg=("engagement_spend", "consistency_spend", "extra_bays",
                              "start_week", "copy_after_weeks"))
