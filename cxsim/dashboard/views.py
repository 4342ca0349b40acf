"""The charts over weeks, as SVG or HTML text built from a :class:`PairedMarket`.

Each function takes the market and returns one card's content; the Solara page
(:mod:`cxsim.dashboard.app`) only places them. Kept free of Solara so that tests
and the benchmark can call them directly. Every chart spans the story's whole
horizon, so its chapter markers (programme starts, a rival copies, friction
falls) are on screen from week 0 and the lines grow towards them. Where
customers live and who talks to whom are in :mod:`cxsim.dashboard.places`; the
service lane, a customer's journey and a store in :mod:`cxsim.dashboard.inspect`.
"""

from __future__ import annotations

from html import escape

import numpy as np

from cxsim.dashboard import svg
from cxsim.dashboard.market import PairedMarket
from cxsim.dashboard.series import WINDOW, ArmSeries, feed_lines, funnel, series
from cxsim.dashboard.svg import BODY, TICK, W

X0, PW = 54.0, W - 54.0 - 14.0  # left edge and width of a chart's plotting area


def frame(m: PairedMarket) -> tuple[ArmSeries, ArmSeries]:
    """(without, with) series for the current week, computed once per week."""
    key = (m.week, id(m))
    cached = getattr(m, "_dashboard_frame", None)
    if cached is not None and cached[0] == key:
        return cached[1]
    data = series(m)
    m._dashboard_frame = (key, data)
    return data


def weeks_axis(m: PairedMarket) -> tuple[float, float]:
    """The whole horizon: markers ahead are visible, lines grow towards them."""
    return 0.0, float(max(m.horizon - 1, 1))


def _legend(m: PairedMarket, y: float) -> str:
    items = [(name, svg.dealer_colour(i), "line") for i, name in enumerate(m.dealer_names)]
    row = svg.legend(items, X0 - 36, y, step=(W - X0 + 36) / max(len(items), 1))
    return row + svg.legend([(f"{m.focal_name()}, {m.labels[0]}", svg.dealer_colour(m.focal),
                              "dash")], X0 - 36, y + 20)


def _doc(m: PairedMarket, height: float, parts: list[str], cls: str, label: str) -> str:
    return svg.document(W, height, "".join(parts), cls=cls, label=label,
                        extra=f' data-week="{m.week}" data-markers="{len(m.markers)}"')


# -- share and sales ---------------------------------------------------------------------
def share_svg(m: PairedMarket) -> str:
    """Market share (trailing quarter) and cumulative unit sales per dealer."""
    a, b = frame(m)
    weeks = np.arange(b.units.shape[0])
    xlim, f = weeks_axis(m), m.focal
    top = svg.Panel(X0, 30, PW, 190, xlim, svg.nice_range(
        [b.share * 100, a.share[:, f] * 100], floor=0, ceil=100))
    bottom = svg.Panel(X0, 272, PW, 190, xlim, svg.nice_range(
        [b.cum_units, a.cum_units[:, f]], floor=0))
    parts = [top.axes(f"Share of sales, %, last {WINDOW} weeks"), top.markers(m.markers),
             bottom.axes("Vehicles sold since week 0", xlabel="week", yfmt="{:,.0f}"),
             bottom.markers(m.markers, labels=False)]
    for j in range(b.units.shape[1]):
        c = svg.dealer_colour(j)
        parts.append(top.line(weeks, b.share[:, j] * 100, c, width=2.4, cls=f"cx-share-d{j}"))
        parts.append(bottom.line(weeks, b.cum_units[:, j], c, width=2.4))
    c = svg.dealer_colour(f)
    parts.append(top.line(weeks, a.share[:, f] * 100, c, dash="6 4", width=2))
    parts.append(bottom.line(weeks, a.cum_units[:, f], c, dash="6 4", width=2))
    parts.append(_legend(m, 518))
    return _doc(m, 544, parts, "cx-share", "Market share and sales over time")


# -- the paired lift ----------------------------------------------------------------------
def _signed(v: float, digits: int = 0, unit: str = "") -> str:
    return f"{v:+,.{digits}f}{unit}" if np.isfinite(v) else "n/a"


def lift_numbers(m: PairedMarket) -> dict[str, float]:
    """The focal store's gains so far, real units: units, profit, cost, ROI."""
    a, b = frame(m)
    f = m.focal
    if b.units.shape[0] == 0:
        return {"units": 0.0, "units_pct": float("nan"), "profit_k": 0.0, "cost_k": 0.0,
                "roi": float("nan")}
    du = float(b.totals["units"][f] - a.totals["units"][f])
    base = float(a.totals["units"][f])
    cost = float(b.cum_invest[-1, f])
    extra_cost = cost - float(a.cum_invest[-1, f])  # 0 when both arms pay the same bill
    dp = float(b.totals["profit"][f] - a.totals["profit"][f])
    return {"units": du, "units_pct": 100 * du / base if base > 0 else float("nan"),
            "profit_k": dp, "cost_k": cost,
            "roi": dp / extra_cost if extra_cost > 0 else float("nan")}


def why(m: PairedMarket, n: dict[str, float]) -> str:
    """The plain-words reason for what the profit line does now."""
    if m.against is not None:
        return ("Both arms pay the same bill, so the profit gap is what spending it on the "
                "whole journey adds over spending it on the service department.")
    if not m.programme_started():
        return f"The programme starts at week {m.investment.start_week}."
    if n["cost_k"] <= 0:
        return "No programme is running: both markets are the same."
    if n["profit_k"] < 0:
        return ("Losing money so far, as expected early on: the programme's cost starts at "
                "once, while quality moves over months and customers change dealer only "
                "when they next buy or need a service.")
    return (f"Paying back: each k$ spent has returned {1 + n['roi']:,.2f} k$ of gross profit "
            "so far.")


def lift_html(m: PairedMarket) -> str:
    """What the programme has changed so far, in words (above the lift chart)."""
    n = lift_numbers(m)
    roi = f"{n['roi']:+.2f}" if np.isfinite(n["roi"]) else "n/a"
    return (f'<div class="cx-lift-text" data-week="{m.week}" style="font-size:{BODY}px;'
            f'line-height:1.35"><b>{escape(m.focal_name())}, {escape(m.labels[1])} against '
            f'{escape(m.labels[0])}, after {m.week} weeks:</b> units {_signed(n["units"])} '
            f'({_signed(n["units_pct"], 1, " %")}), profit after cost '
            f'<b class="cx-profit">{_signed(n["profit_k"])} k$</b>, programme cost '
            f'{n["cost_k"]:,.0f} k$, ROI <b class="cx-roi">{roi}</b>.<br/>'
            f'<span class="cx-why">{escape(why(m, n))}</span>{_aware(m)}</div>')


def _aware(m: PairedMarket) -> str:
    """For a newcomer's story: the share of households who know its name."""
    if not (m.story and m.story.newcomer):
        return ""
    f = m.focal
    a, b = (float(arm.population.aware[:, f].mean()) for arm in m.arms)
    return (f'<br/><span class="cx-aware">Households who know {escape(m.focal_name())}: '
            f"<b>{100 * b:.0f} %</b> {escape(m.labels[1])}, {100 * a:.0f} % "
            f"{escape(m.labels[0])}.</span>")


def lift_svg(m: PairedMarket) -> str:
    """The gap the programme opens, cumulative: extra units and extra profit."""
    a, b = frame(m)
    f = m.focal
    weeks = np.arange(b.units.shape[0])
    xlim = weeks_axis(m)
    extra_units = b.cum_units[:, f] - a.cum_units[:, f]
    extra_profit = b.cum_profit[:, f] - a.cum_profit[:, f]
    top = svg.Panel(X0, 30, PW, 190, xlim, svg.nice_range([extra_units, np.zeros(1)],
                                                         min_span=20))
    bottom = svg.Panel(X0, 272, PW, 190, xlim, svg.nice_range([extra_profit, np.zeros(1)],
                                                             min_span=100))
    c = svg.dealer_colour(f)
    parts = [top.axes("Extra vehicles sold, cumulative", zero=True, yfmt="{:,.0f}"),
             top.markers(m.markers),
             top.area(weeks, extra_units, c), top.line(weeks, extra_units, c, width=2.4),
             bottom.axes("Extra profit after cost, k$", xlabel="week", zero=True,
                         yfmt="{:,.0f}"),
             bottom.markers(m.markers, labels=False),
             bottom.area(weeks, extra_profit, "#777"),
             bottom.line(weeks, extra_profit, "#222", width=2.4, cls="cx-profit-line"),
             svg.text(X0 - 36, 518, "Same seed, customers and luck in both markets:",
                      size=TICK, colour=svg.AXIS),
             svg.text(X0 - 36, 536, "the gap is the programme's.", size=TICK,
                      colour=svg.AXIS)]
    return _doc(m, 544, parts, "cx-lift", "Lift of the programme, with minus without")


# -- NPS, CSAT, CES -----------------------------------------------------------------------
def kpis_svg(m: PairedMarket) -> str:
    """NPS, CSAT and CES per dealer over a trailing quarter."""
    a, b = frame(m)
    weeks = np.arange(b.units.shape[0])
    xlim, f = weeks_axis(m), m.focal
    specs = [("NPS, points (-100 to 100)", "nps", {"floor": -100, "ceil": 100}),
             ("CSAT, 1-5 (higher is better)", "csat", {"floor": 1, "ceil": 5}),
             ("CES, 1-7 (lower is easier)", "ces", {"floor": 1, "ceil": 7})]
    parts = []
    for k, (title, key, lim) in enumerate(specs):
        with_, without = getattr(b, key), getattr(a, key)
        p = svg.Panel(X0, 28 + 162 * k, PW, 120, xlim,
                      svg.nice_range([with_, without[:, f]], min_span=0.4, **lim))
        parts.append(p.axes(title, yticks=4, zero=key == "nps",
                            xlabel="week" if k == 2 else ""))
        parts.append(p.markers(m.markers, labels=k == 0))
        for j in range(with_.shape[1]):
            parts.append(p.line(weeks, with_[:, j], svg.dealer_colour(j), width=2.2))
        parts.append(p.line(weeks, without[:, f], svg.dealer_colour(f), dash="6 4", width=2))
    parts.append(_legend(m, 518))
    return _doc(m, 544, parts, "cx-kpis", "NPS, CSAT and CES")


# -- the journey funnel ------------------------------------------------------------------
FUNNEL_STAGES = (("visited", "visited"), ("bought", "bought"),
                 ("serviced_after_buying", "serviced"), ("bought_again", "bought again"))


def funnel_svg(m: PairedMarket) -> str:
    """Customers at each step of the journey since week 0, per dealer (real units)."""
    fw, fo = funnel(m.with_), funnel(m.without)
    stages = [(k, label) for k, label in FUNNEL_STAGES if k in fw]
    nd, f = len(m.dealer_names), m.focal
    top = max([float(fw[k].max()) for k, _ in stages] + [float(fo[k][f]) for k, _ in stages]
              + [1.0])
    p = svg.Panel(X0 + 10, 30, PW - 10, 420, (0.0, float(len(stages))),
                  svg.nice_range([np.array([0.0, top])], floor=0))
    parts = [p.axes(f"Customers at each step since week 0, week {m.week}", xticks=0,
                    yfmt="{:,.0f}")]
    group = p.w / max(len(stages), 1)
    bw = group * 0.84 / nd
    base = float(p.py(0.0))
    for s, (k, label) in enumerate(stages):
        gx = p.x + s * group + group * 0.08
        for j in range(nd):
            yy = float(p.py(float(fw[k][j])))
            parts.append(f'<rect x="{gx + j * bw:.1f}" y="{yy:.1f}" width="{bw - 2:.1f}" '
                         f'height="{max(base - yy, 0):.1f}" fill="{svg.dealer_colour(j)}"/>')
            if j == f:
                yo = float(p.py(float(fo[k][j])))
                parts.append(f'<line x1="{gx + j * bw - 1:.1f}" x2="{gx + (j + 1) * bw - 1:.1f}" '
                             f'y1="{yo:.1f}" y2="{yo:.1f}" stroke="#000" stroke-width="2.5" '
                             f'stroke-dasharray="5 3"/>')
        parts.append(svg.text(gx + group * 0.42, base + 18, label, size=TICK, anchor="middle"))
    items = [(name, svg.dealer_colour(j), "box") for j, name in enumerate(m.dealer_names)]
    parts.append(svg.legend(items, X0 - 36, 504, step=(W - X0 + 36) / max(nd, 1)))
    parts.append(svg.legend([(f"{m.focal_name()}, {m.labels[0]}", "#000", "dash")],
                            X0 - 36, 526))
    return _doc(m, 544, parts, "cx-funnel", "Journey funnel")


# -- word of mouth ---------------------------------------------------------------------
def feed_html(m: PairedMarket, limit: int = 16) -> str:
    """The latest word-of-mouth events in the market with the programme, newest first."""
    rows = feed_lines(m.with_, limit)
    if not rows:
        body = '<li style="color:#444">Nobody has talked yet: press Step or ▶.</li>'
    else:
        body = "".join(
            f'<li style="margin:3px 0;color:{"#B23A00" if bad else "#004C80"}">'
            f'<span style="color:#444;display:inline-block;width:5em">wk {week}</span>'
            f"{escape(line)}</li>" for week, line, bad in rows)
    return (f'<div class="cx-feed" data-week="{m.week}" style="font-size:{BODY}px;'
            f'line-height:1.3"><div style="font-weight:bold;margin-bottom:4px">Word of mouth '
            f'({escape(m.labels[1])}), latest first</div><ul style="list-style:none;'
            f'padding-left:0;margin:0">{body}</ul></div>')
