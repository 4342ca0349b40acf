"""What the dashboard shows, as SVG or HTML text built from a :class:`PairedMarket`.

Each function takes the market and returns one card's content; the Solara page
(:mod:`cxsim.dashboard.app`) only places them. Kept free of Solara so that tests
and the benchmark can call them directly. The charts over weeks are here; where
customers live and who talks to whom (map, network) are in
:mod:`cxsim.dashboard.places`. A week's series are computed once per week.
"""

from __future__ import annotations

from html import escape

import numpy as np

from cxsim.dashboard import svg
from cxsim.dashboard.market import PairedMarket
from cxsim.dashboard.series import WINDOW, ArmSeries, feed_lines, funnel, series
from cxsim.dashboard.places import map_svg, network_svg
from cxsim.dashboard.svg import W


def frame(m: PairedMarket) -> tuple[ArmSeries, ArmSeries]:
    """(without, with) series for the current week, computed once per week."""
    key = (m.week, id(m))
    cached = getattr(m, "_dashboard_frame", None)
    if cached is not None and cached[0] == key:
        return cached[1]
    data = series(m)
    m._dashboard_frame = (key, data)
    return data


def _weeks_axis(m: PairedMarket) -> tuple[float, float]:
    return 0.0, float(max(m.week - 1, 25))


def _dealer_legend(m: PairedMarket, y: float, *, dashed: bool = True) -> str:
    items = [(name, svg.dealer_colour(i), "line") for i, name in enumerate(m.dealer_names)]
    if dashed:
        items.append((f"{m.focal_name()} without the programme",
                      svg.dealer_colour(m.focal), "dash"))
    return svg.legend(items, 44, y)


# -- share and sales ---------------------------------------------------------------------
def share_svg(m: PairedMarket) -> str:
    """Market share (trailing quarter) and cumulative unit sales per dealer."""
    a, b = frame(m)
    weeks = np.arange(b.units.shape[0])
    xlim = _weeks_axis(m)
    f = m.focal
    top = svg.Panel(44, 28, W - 60, 112, xlim, svg.nice_range(
        [b.share * 100, a.share[:, f] * 100], floor=0, ceil=100))
    bottom = svg.Panel(44, 186, W - 60, 112, xlim, svg.nice_range(
        [b.cum_units, a.cum_units[:, f]], floor=0))
    parts = [top.axes(f"Market share, % of sales in the last {WINDOW} weeks",
                      yfmt="{:g}"),
             bottom.axes("Unit sales since week 0", xlabel="week")]
    for j in range(b.units.shape[1]):
        c = svg.dealer_colour(j)
        parts.append(top.line(weeks, b.share[:, j] * 100, c, cls=f"cx-share-d{j}"))
        parts.append(bottom.line(weeks, b.cum_units[:, j], c))
    c = svg.dealer_colour(f)
    parts.append(top.line(weeks, a.share[:, f] * 100, c, dash="5 3", width=1.5))
    parts.append(bottom.line(weeks, a.cum_units[:, f], c, dash="5 3", width=1.5))
    parts.append(_dealer_legend(m, 334))
    return svg.document(W, 342, "".join(parts), cls="cx-share",
                        label="Market share and sales over time",
                        extra=f' data-week="{m.week}"')


# -- the paired lift ----------------------------------------------------------------------
def _signed(v: float, digits: int = 0, unit: str = "") -> str:
    return f"{v:+,.{digits}f}{unit}" if np.isfinite(v) else "n/a"


def lift_svg(m: PairedMarket) -> str:
    """What the programme has changed so far: the same market, with minus without."""
    a, b = frame(m)
    f = m.focal
    weeks = np.arange(b.units.shape[0])
    xlim = _weeks_axis(m)
    extra_units = b.cum_units[:, f] - a.cum_units[:, f]
    extra_profit = b.cum_profit[:, f] - a.cum_profit[:, f]
    ta, tb = a.totals, b.totals
    du = tb["units"][f] - ta["units"][f]
    pct = 100.0 * du / ta["units"][f] if ta["units"][f] > 0 else float("nan")
    name = m.focal_name()
    e0, e1 = m.engagement()
    lines = [
        f"{name} after {m.week} weeks, with the programme ({m.planned_cost():,.0f} k$ a year) "
        "against without:",
        f"units {_signed(du)} ({_signed(pct, 1, ' %')}), share "
        f"{_signed(100 * (tb['share'][f] - ta['share'][f]), 1, ' pts')}, NPS "
        f"{_signed(tb['nps'][f] - ta['nps'][f], 1)}, "
        f"CSAT {_signed(tb['csat'][f] - ta['csat'][f], 2)}, "
        f"CES {_signed(tb['ces'][f] - ta['ces'][f], 2)}",
        f"profit after the programme's cost {_signed(tb['profit'][f] - ta['profit'][f], 0)} k$; "
        f"staff engagement {e0:.2f} → {e1:.2f}",
    ]
    parts = [svg.text(10, 16 + 16 * i, s, size=11.5, weight="bold" if i == 0 else "normal",
                      cls="cx-lift-line")
             for i, s in enumerate(lines)]
    top = svg.Panel(54, 86, W - 70, 92, xlim, svg.nice_range([extra_units, np.zeros(1)]))
    bottom = svg.Panel(54, 218, W - 70, 92, xlim, svg.nice_range([extra_profit, np.zeros(1)]))
    c = svg.dealer_colour(f)
    parts += [top.axes(f"Extra units sold by {name}, cumulative (with − without)", zero=True),
              top.area(weeks, extra_units, c), top.line(weeks, extra_units, c),
              bottom.axes("Extra profit after the programme's cost, k$ cumulative",
                          xlabel="week", zero=True),
              bottom.area(weeks, extra_profit, "#888"), bottom.line(weeks, extra_profit, "#555")]
    parts.append(svg.text(10, 340, "Both markets share seed, customers, network and luck "
                          "(common random numbers): the gap is the programme's.", size=10,
                          colour=svg.AXIS))
    return svg.document(W, 346, "".join(parts), cls="cx-lift",
                        label="Lift of the programme, with minus without",
                        extra=f' data-week="{m.week}"')


# -- NPS, CSAT, CES -----------------------------------------------------------------------
def kpis_svg(m: PairedMarket) -> str:
    """NPS, CSAT and CES per dealer over a trailing quarter."""
    a, b = frame(m)
    weeks = np.arange(b.units.shape[0])
    xlim = _weeks_axis(m)
    f = m.focal
    specs = [("NPS (promoters − detractors, points)", "nps", {"floor": -100, "ceil": 100}),
             ("CSAT (1-5, higher is better)", "csat", {"floor": 1, "ceil": 5}),
             ("CES (1-7, lower is easier)", "ces", {"floor": 1, "ceil": 7})]
    parts = []
    for k, (title, key, lim) in enumerate(specs):
        with_, without = getattr(b, key), getattr(a, key)
        p = svg.Panel(44, 26 + 102 * k, W - 60, 70, xlim,
                      svg.nice_range([with_, without[:, f]], min_span=0.2, **lim))
        parts.append(p.axes(f"{title}, last {WINDOW} weeks", yticks=3, zero=key == "nps",
                            xlabel="week" if k == 2 else ""))
        for j in range(with_.shape[1]):
            parts.append(p.line(weeks, with_[:, j], svg.dealer_colour(j)))
        parts.append(p.line(weeks, without[:, f], svg.dealer_colour(f), dash="5 3", width=1.5))
    parts.append(_dealer_legend(m, 336))
    return svg.document(W, 342, "".join(parts), cls="cx-kpis", label="NPS, CSAT and CES",
                        extra=f' data-week="{m.week}"')


# -- the journey funnel ------------------------------------------------------------------
FUNNEL_STAGES = (("visited", "visited"), ("bought", "bought"),
                 ("serviced_after_buying", "serviced after buying"),
                 ("bought_again", "bought again"))


def funnel_svg(m: PairedMarket) -> str:
    """Customers at each step of the journey since week 0, per dealer."""
    fw, fo = funnel(m.with_), funnel(m.without)
    stages = [(k, label) for k, label in FUNNEL_STAGES if k in fw]
    nd = len(m.dealer_names)
    f = m.focal
    top = max([float(fw[k].max()) for k, _ in stages] + [float(fo[k][f]) for k, _ in stages]
              + [1.0])
    ylim = svg.nice_range([np.array([0.0, top])], floor=0)
    p = svg.Panel(52, 30, W - 68, 250, (0.0, float(len(stages))), ylim)
    parts = [p.axes(f"Journey funnel since week 0 (customers), week {m.week}", xticks=0)]
    group = p.w / max(len(stages), 1)
    bw = group * 0.8 / nd
    base = float(p.py(0.0))
    for s, (k, label) in enumerate(stages):
        gx = p.x + s * group + group * 0.1
        for j in range(nd):
            v = float(fw[k][j])
            yy = float(p.py(v))
            parts.append(f'<rect x="{gx + j * bw:.1f}" y="{yy:.1f}" width="{bw - 2:.1f}" '
                         f'height="{max(base - yy, 0):.1f}" fill="{svg.dealer_colour(j)}"/>')
            if j == f:
                yo = float(p.py(float(fo[k][j])))
                parts.append(f'<line x1="{gx + j * bw - 1:.1f}" x2="{gx + (j + 1) * bw - 1:.1f}" '
                             f'y1="{yo:.1f}" y2="{yo:.1f}" stroke="#111" stroke-width="2" '
                             f'stroke-dasharray="4 2"/>')
            parts.append(svg.text(gx + j * bw + bw / 2 - 1, yy - 3, f"{v:,.0f}", size=9,
                                  anchor="middle", colour=svg.AXIS))
        parts.append(svg.text(gx + group * 0.4, base + 14, label, size=10.5, anchor="middle"))
    items = [(name, svg.dealer_colour(j), "box") for j, name in enumerate(m.dealer_names)]
    items.append((f"{m.focal_name()} without the programme", "#111", "dash"))
    parts.append(svg.legend(items, 52, 326))
    return svg.document(W, 334, "".join(parts), cls="cx-funnel", label="Journey funnel",
                        extra=f' data-week="{m.week}"')


# -- word of mouth ---------------------------------------------------------------------
def feed_html(m: PairedMarket, limit: int = 14) -> str:
    """The latest word-of-mouth events in the market with the programme, newest first."""
    rows = feed_lines(m.with_, limit)
    if not rows:
        body = '<li style="color:#666">Nobody has talked yet: press Step or ▶.</li>'
    else:
        body = "".join(
            f'<li style="margin:2px 0;color:{"#a50026" if bad else "#24466b"}">'
            f'<span style="color:#888;display:inline-block;width:5.5em">week {week}</span>'
            f"{escape(line)}</li>" for week, line, bad in rows)
    return (f'<div class="cx-feed" data-week="{m.week}" style="font-size:13px;line-height:1.35">'
            f'<div style="font-weight:bold;margin-bottom:4px">Word of mouth, latest first '
            f'(market with the programme)</div><ul style="list-style:none;padding-left:0;'
            f'margin:0">{body}</ul></div>')


VIEWS = {
    "map": map_svg,
    "share": share_svg,
    "lift": lift_svg,
    "kpis": kpis_svg,
    "funnel": funnel_svg,
    "network": network_svg,
    "feed": feed_html,
}
"""Every card's content, in the page's order."""


def render_all(m: PairedMarket) -> dict[str, str]:
    """Every card's content for the current week (what one frame costs)."""
    return {k: fn(m) for k, fn in VIEWS.items()}
