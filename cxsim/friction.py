"""Digital friction: how much effort switching dealers takes, as time goes by.

Friction phi multiplies the loyalty bonus (comparing and booking elsewhere is a
few clicks once the market is digital). It falls by a fixed fraction a year to
a floor, and a scenario may drop it at once at a given week (MODEL.md).
"""

from __future__ import annotations

from cxsim.config import WEEKS_PER_YEAR, MarketConfig


def friction_at(week: int, m: MarketConfig) -> float:
    """Friction phi at recorded ``week`` (warm-up weeks count as week 0)."""
    years = max(week, 0) / WEEKS_PER_YEAR
    phi = max(m.friction_floor, m.friction_start * (1.0 - m.friction_decline) ** years)
    if 0 <= m.friction_step_week <= week:
        phi = min(phi, m.friction_step_to)
    return phi
