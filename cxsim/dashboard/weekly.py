"""What the page draws each week, drawn once per week and lever setting.

While playing, the page's loop (:mod:`cxsim.dashboard.app`) simulates the next
week and draws what is on screen for it (:func:`prefetch`) while the browser
still paints the last one; the render that follows finds the drawings here
(:func:`drawn`) and only has to send them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cxsim.dashboard import inspect, places, views
from cxsim.dashboard.layers import split
from cxsim.dashboard.market import PairedMarket

CHARTS: dict[str, Callable[[PairedMarket], str]] = {
    "Profit": views.lift_svg, "Share": views.share_svg, "Scores": views.kpis_svg,
    "Funnel": views.funnel_svg, "Network": places.network_svg}
HINT = ("Click a customer on either map to follow their journey, or a store to see its "
        "touchpoints.")


@dataclass(frozen=True)
class Screen:
    """What the page shows: the left tab, the inspector's tab, the chart, the pick."""

    left: str = "Story"
    lower: str = "Service lane"
    chart: str = "Profit"
    selected: tuple[str, int, int] | None = None


def drawn(m: PairedMarket, fn: Callable[..., str], *args) -> str:
    """``fn(m, *args)``, drawn once for this week and these levers."""
    key = (m.week, m.levers.programme, m.levers.friction)
    cache = getattr(m, "_dashboard_drawn", None)
    if cache is None or cache[0] != key:
        cache = (key, {})
        m._dashboard_drawn = cache
    out = cache[1].get((fn, args))
    if out is None:
        out = cache[1][(fn, args)] = fn(m, *args)
    return out


def layered(m: PairedMarket, fn: Callable[..., str], *args) -> tuple[str, str]:
    """``fn``'s SVG as (base, data) layers (:func:`cxsim.dashboard.layers.split`)."""
    return split(drawn(m, fn, *args))


def inspector(m: PairedMarket, screen: Screen) -> tuple[Callable[..., str] | None, tuple, str]:
    """The inspector's view: (function, its arguments, CSS class); no function: the hint."""
    sel = screen.selected
    if screen.lower == "Service lane":
        return inspect.lane_svg, (sel[2] if sel and sel[0] == "dealer" else m.focal,), \
            "cx-lane-box"
    if sel is None:
        return None, (), "cx-hint"
    if sel[0] == "customer":
        return inspect.journey_html, (sel[1], sel[2]), "cx-journey-box"
    return inspect.dealer_html, (sel[1], sel[2]), "cx-dealer-box"


def prefetch(m: PairedMarket, screen: Screen) -> None:
    """Draw this week's views that ``screen`` shows (the map's dots, the left panel's
    words, the inspector, the chart)."""
    drawn(m, places.map_codes)
    if screen.left == "Story":
        drawn(m, views.lift_html)
    elif screen.left == "Talk":
        drawn(m, views.feed_html)
    fn, args, _ = inspector(m, screen)
    if fn is not None:
        drawn(m, fn, *args)
    drawn(m, CHARTS[screen.chart])
