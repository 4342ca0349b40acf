"""Inspect anyone: a customer's journey, a store, and its service lane.

:func:`pick` turns a click on the map (pixels) into the customer or store
nearest to it; :func:`journey_html` tells a watched customer's journey from the
market's journal (:mod:`cxsim.dashboard.journal`); :func:`dealer_html` shows
a store's touchpoint qualities, engagement and ratings; :func:`lane_svg` its
service lane week by week: bays, arrivals against capacity, backlog and waits.
"""

from __future__ import annotations

from html import escape

import numpy as np

from cxsim.config import TOUCHPOINTS
from cxsim.dashboard import svg
from cxsim.dashboard.market import PairedMarket
from cxsim.dashboard.places import MAP_SIDE, MAP_TOP, MAP_W, MAP_X0, dealer_xy, map_xy
from cxsim.dashboard.svg import BODY, TICK
from cxsim.dashboard.views import frame, weeks_axis

DEALER_RADIUS = 12.0  # px: a click this close to a store picks the store


def pick(m: PairedMarket, x: float, y: float) -> tuple[str, int, int] | None:
    """("dealer" or "customer", arm, index) nearest a click at pixel (x, y) of the map."""
    arm = 0 if x < MAP_X0[1] - 6 else 1
    if not (MAP_X0[arm] - 8 <= x <= MAP_X0[arm] + MAP_SIDE + 8
            and MAP_TOP - 8 <= y <= MAP_TOP + MAP_SIDE + 8):
        return None
    dx, dy = dealer_xy(m, arm)
    d2 = (dx - x) ** 2 + (dy - y) ** 2
    if d2.min() <= DEALER_RADIUS ** 2:
        return "dealer", arm, int(d2.argmin())
    cx, cy = map_xy(m, arm)
    watched = m.journals[arm].watched if m.journals else None
    from cxsim.dashboard.places import _static

    sample = _static(m).sample
    ok = np.isin(sample, watched) if watched is not None else np.ones(sample.size, bool)
    if not ok.any():
        return None
    c2 = np.where(ok, (cx - x) ** 2 + (cy - y) ** 2, np.inf)
    return "customer", arm, int(sample[int(c2.argmin())])


def _moment(name: str, felt: float, expected: float | None) -> str:
    exp = f" / expected {expected:.1f}" if expected is not None else ""
    bad = expected is not None and felt < expected
    colour = "#B23A00" if bad or felt < 5 else "#111"
    return (f'<span style="color:{colour};white-space:nowrap">{escape(name.replace("_", " "))}'
            f" {felt:.1f}{exp}</span>")


def _record(r) -> str:
    if r.kind in ("bought", "serviced"):
        what = "Bought a vehicle at" if r.kind == "bought" else "Serviced at"
        wait = f", waited {r.wait_h:.1f} h" if r.wait_h is not None else ""
        moments = "; ".join(_moment(k, f, e) for k, (f, e) in r.moments.items())
        return (f"<b>{what} {escape(r.dealer)}</b>{wait}: remembered <b>{r.score:.1f}</b>/10"
                f"<br/><span style='font-size:{TICK}px'>felt / expected: {moments}</span>")
    if r.kind == "told":
        who = "1 neighbour" if r.people == 1 else f"{r.people} neighbours"
        return f"Told {who} about {escape(r.dealer)} ({r.score:.1f}/10)"
    return f"Heard from a neighbour about {escape(r.dealer)} ({r.score:.1f}/10)"


def journey_html(m: PairedMarket, arm: int, customer: int) -> str:
    """A watched customer's journey so far, newest first."""
    model = m.arms[arm]
    p = model.population
    names = m.dealer_names
    seller, provider = int(p.selling_dealer[customer]), int(p.service_provider[customer])
    owns = (f"owns a vehicle from <b>{escape(names[seller])}</b> (bought week "
            f"{int(p.purchase_week[customer])})" if seller >= 0 else "has no vehicle from a dealer")
    serviced = (escape(names[provider]) if provider >= 0 else
                "an independent shop" if provider == -2 else "nowhere yet")
    expect = ", ".join(f"{t} {p.expectation[customer, i]:.1f}"
                       for i, t in enumerate(TOUCHPOINTS))
    records = m.journals[arm].of(customer) if m.journals else []
    rows = "".join(f'<li style="margin:3px 0"><span style="color:#444;display:inline-block;'
                   f'width:4.2em">wk {r.week}</span>{_record(r)}</li>'
                   for r in reversed(records)) or \
        '<li style="color:#444">Nothing yet: press Step or ▶ and watch.</li>'
    return (f'<div class="cx-journey" data-customer="{customer}" data-arm="{arm}" '
            f'style="font-size:{BODY}px;line-height:1.3"><b>Customer {customer:,}</b> '
            f"({escape(m.labels[arm])}): {owns}; services at {serviced}; satisfaction "
            f"{p.satisfaction[customer]:.1f}/10, effort {p.effort[customer]:.1f}/7."
            f"<br/><span style='font-size:{TICK}px;color:#333'>Expects now: {expect}. "
            f"Weeks below 0: before the charts start.</span>"
            f'<ul style="list-style:none;padding-left:0;margin:4px 0 0">{rows}</ul></div>')


def dealer_html(m: PairedMarket, arm: int, j: int) -> str:
    """A store: touchpoint qualities, engagement, ratings and lane, both arms."""
    a, b = frame(m)
    cells = []
    for k, series in ((0, a), (1, b)):
        d = m.arms[k].dealer_list[j]
        q = d.effective_quality()
        cells.append((q, d.engagement, series.totals["self_rating"][j],
                      series.totals["customer_rating"][j], int(d.bays)))
    head = "".join(f"<th style='text-align:right;padding:0 6px'>{escape(m.labels[k])}</th>"
                   for k in (0, 1))
    body = "".join(f"<tr><td>{t}</td>" + "".join(
        f"<td style='text-align:right;padding:0 6px'>{cells[k][0][i]:.1f}</td>" for k in (0, 1))
        + "</tr>" for i, t in enumerate(TOUCHPOINTS))
    extra = [("staff engagement (0-1)", 1, "{:.2f}"), ("management's rating /10", 2, "{:.1f}"),
             ("customers remember /10", 3, "{:.1f}"), ("service bays", 4, "{:d}")]
    for label, i, f in extra:
        body += (f"<tr><td>{label}</td>" + "".join(
            f"<td style='text-align:right;padding:0 6px'>"
            f"{f.format(cells[k][i]) if np.isfinite(cells[k][i]) else 'n/a'}</td>"
            for k in (0, 1)) + "</tr>")
    gap = cells[arm][2] - cells[arm][3]
    return (f'<div class="cx-dealer-card" data-dealer="{j}" style="font-size:{BODY}px;'
            f'line-height:1.25"><b>{escape(m.dealer_names[j])}</b>: quality delivered per '
            f"touchpoint (0-10). Management rates itself {gap:+.1f} points above what its "
            f"customers remember ({escape(m.labels[arm])}).<table style='font-size:{TICK}px;"
            f"border-collapse:collapse;margin-top:3px'><tr><th></th>{head}</tr>{body}</table>"
            f"</div>")


def lane_svg(m: PairedMarket, j: int | None = None) -> str:
    """Store ``j``'s service lane (default: the focal one), weekly, both arms."""
    j = m.focal if j is None else j
    a, b = frame(m)
    weeks = np.arange(b.units.shape[0])
    xlim = weeks_axis(m)
    dl = m.with_.market.dealers
    hours = float(np.broadcast_to(dl.open_hours, (len(m.dealer_names),))[j])
    cap = b.bays[:, j] * float(dl.service_rate[j]) * hours  # real visits a week
    backlog = [np.array([x[j] for x in arm]) if arm else np.zeros(0) for arm in m.backlog]
    x0, pw = 58.0, MAP_W - 58.0 - 150.0
    top = svg.Panel(x0, 24, pw, 82, xlim, svg.nice_range([cap, b.visits[:, j], a.visits[:, j],
                                                          np.zeros(1)], floor=0))
    bottom = svg.Panel(x0, 142, pw, 82, xlim, svg.nice_range(
        [b.wait[:, j], a.wait[:, j], np.zeros(1)], floor=0, min_span=1.0))
    c = svg.dealer_colour(j)
    name = m.dealer_names[j]
    parts = [top.axes(f"{name}'s lane: visits a week (real)", yfmt="{:,.0f}"),
             top.markers(m.markers, labels=False),
             top.line(weeks, cap, "#000", width=2, cls="cx-lane-capacity"),
             top.line(weeks, b.visits[:, j], c, width=2.2),
             top.line(weeks, a.visits[:, j], c, width=1.8, dash="6 4"),
             top.line(weeks, backlog[1][:weeks.size], "#D55E00", width=2),
             bottom.axes("Mean wait, hours", xlabel="week", yfmt="{:g}"),
             bottom.markers(m.markers, labels=False),
             bottom.line(weeks, b.wait[:, j], c, width=2.2),
             bottom.line(weeks, a.wait[:, j], c, width=1.8, dash="6 4")]
    bays = m.arms[1].dealer_list[j].bays
    last = weeks.size - 1
    now = [f"{bays} bays", f"capacity {cap[last]:,.0f}/wk" if last >= 0 else "",
           f"arrivals {b.visits[last, j]:,.0f}/wk" if last >= 0 else "",
           f"backlog {backlog[1][last]:,.0f}" if last >= 0 and backlog[1].size else "backlog 0",
           f"busy {100 * b.utilisation[last, j]:.0f} %" if last >= 0 else "",
           f"wait {b.wait[last, j]:.1f} h" if last >= 0 and np.isfinite(b.wait[last, j])
           else "wait n/a"]
    tx = x0 + pw + 14
    parts.append(svg.data("".join(svg.text(tx, 36 + 19 * i, s, cls="cx-lane-now")
                                  for i, s in enumerate(s for s in now if s))))
    for i, item in enumerate([("capacity", "#000", "line"), ("arrivals", c, "line"),
                              ("backlog", "#D55E00", "line"), ("without", c, "dash")]):
        parts.append(svg.legend([item], tx - 2, 168 + 19 * i, size=TICK))
    return svg.document(MAP_W, 258, "".join(parts), cls="cx-lane",
                        label="Service lane", extra=f' data-week="{m.week}" data-bays="{bays}"')
