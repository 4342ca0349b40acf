"""What the dashboard shows, as SVG or HTML text built from a :class:`PairedMarket`.

Each function takes the market and returns one card's content; the Solara page
(:mod:`cxsim.dashboard.app`) only places them. Kept free of Solara so that tests
and the benchmark can call them directly. Everything a frame needs that does
not change while the market runs (who is drawn on the map, the network's ties)
is computed once per market and kept on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import numpy as np

from cxsim.dashboard import svg
from cxsim.dashboard.market import WINDOW, ArmSeries, PairedMarket, feed_lines, funnel, series

MAP_SAMPLE = 3_000
"""At most this many customers per map (a fixed random sample in larger markets)."""
NETWORK_NODES = 400
"""About this many customers in the network view (a neighbourhood in larger markets)."""

W = 560  # width of every card's drawing, in SVG units
MAP_SIDE, MAP_TOP = 262.0, 28.0  # each of the two maps: side and top
MAP_X0 = (10.0, 10.0 + MAP_SIDE + 16.0)  # left edges of the maps (without, with)
_NET = {"x": 10.0, "y": 28.0, "side": 280.0}  # the network panel


@dataclass
class _Static:
    """Per-market drawing data that stays fixed while the market runs."""

    sample: np.ndarray  # customers drawn on the maps
    map_xy: tuple[np.ndarray, np.ndarray]  # their positions within a unit map (0..1)
    map_moves: tuple[np.ndarray, np.ndarray]  # their "move to" commands, left and right map
    dealer_xy: tuple[np.ndarray, np.ndarray]
    net_nodes: np.ndarray  # customers in the network view
    net_xy: tuple[np.ndarray, np.ndarray]  # their positions in the network panel
    net_moves: np.ndarray
    net_edges: str  # the local ties as one path
    net_long: str  # the long ties (rewired across the market)
    net_dealer_xy: tuple[np.ndarray, np.ndarray]
    net_ties: int
    net_side_km: float | None


def _static(m: PairedMarket) -> _Static:
    cached = getattr(m, "_dashboard_static", None)
    if cached is not None:
        return cached
    arm = m.with_
    pop = arm.population
    n = arm.n
    half = arm.cfg.customers.market_size_km / 2.0
    rng = np.random.default_rng(12345)
    sample = np.arange(n) if n <= MAP_SAMPLE else np.sort(rng.choice(n, MAP_SAMPLE, replace=False))
    ux = (pop.x[sample].astype(float) + half) / (2 * half)
    uy = 1.0 - (pop.y[sample].astype(float) + half) / (2 * half)
    loc = arm.locations.astype(float)
    dx, dy = (loc[:, 0] + half) / (2 * half), 1.0 - (loc[:, 1] + half) / (2 * half)

    # The network view: the whole market when small, else a square neighbourhood
    # around the centre holding about NETWORK_NODES customers (uniform homes).
    net = _NET
    side = None
    if arm.network is None:
        nodes = np.empty(0, dtype=np.int64)
    elif n <= NETWORK_NODES:
        nodes = np.arange(n)
    else:
        side = 2 * half * float(np.sqrt(NETWORK_NODES / n))
        inside = (np.abs(pop.x) <= side / 2) & (np.abs(pop.y) <= side / 2)
        nodes = np.flatnonzero(inside)
    span = side if side is not None else 2 * half

    def to_net(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (net["x"] + (np.asarray(x, float) / span + 0.5) * net["side"],
                net["y"] + (0.5 - np.asarray(y, float) / span) * net["side"])

    nx_, ny_ = to_net(pop.x[nodes], pop.y[nodes])
    edges, long_edges, ties = "", "", 0
    if nodes.size:
        adj = arm.adjacency
        mask = np.zeros(n, dtype=bool)
        mask[nodes] = True
        coo = adj[nodes].tocoo()
        a, b = nodes[coo.row], coo.col
        keep = (~mask[b]) | (a < b)  # each tie once; ties leaving the view are kept
        a, b = a[keep], b[keep]
        ties = int(a.size)
        ax, ay = to_net(pop.x[a], pop.y[a])
        bx, by = to_net(pop.x[b], pop.y[b])
        segs = np.array([f"M{p:.1f} {q:.1f}L{r:.1f} {s:.1f}" for p, q, r, s in zip(
            ax.tolist(), ay.tolist(), bx.tolist(), by.tolist(), strict=True)], dtype=object)
        # A tie is long when it spans more than a fifth of the view (rewired ties).
        far = np.hypot(bx - ax, by - ay) > 0.2 * net["side"]
        edges, long_edges = "".join(segs[~far]), "".join(segs[far])
    moves = tuple(svg.starts(MAP_X0[k] + ux * MAP_SIDE, MAP_TOP + uy * MAP_SIDE)
                  for k in range(2))
    st = _Static(sample=sample, map_xy=(ux, uy), map_moves=moves, dealer_xy=(dx, dy),
                 net_nodes=nodes, net_xy=(nx_, ny_), net_moves=svg.starts(nx_, ny_),
                 net_edges=edges, net_long=long_edges,
                 net_dealer_xy=to_net(loc[:, 0], loc[:, 1]), net_ties=ties, net_side_km=side)
    m._dashboard_static = st
    return st


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


# -- the map --------------------------------------------------------------------------------
def map_svg(m: PairedMarket) -> str:
    """Customers' homes coloured by satisfaction, shaped by their dealer; both arms."""
    st = _static(m)
    side, top = MAP_SIDE, MAP_TOP
    r = 2.3 if st.sample.size <= 2_500 else 1.8
    parts = []
    for k, (arm, title) in enumerate(((m.without, "Without the programme"),
                                      (m.with_, "With the programme"))):
        x0 = MAP_X0[k]
        moves = st.map_moves[k]
        parts.append(f'<rect x="{x0}" y="{top}" width="{side}" height="{side}" fill="#fafafa" '
                     f'stroke="{svg.GRID}"/>')
        parts.append(svg.text(x0, top - 8, title, size=12, weight="bold"))
        pop = arm.population
        dealer = pop.selling_dealer[st.sample]
        bins = svg.satisfaction_bins(pop.satisfaction[st.sample])
        parts.append(svg.markers_at(moves[dealer < 0], "circle", 1.2, "#c8c8c8"))
        for j in range(arm.n_dealers):
            shape = svg.shape_of(j)
            mine = dealer == j
            for b in np.unique(bins[mine]).tolist():
                parts.append(svg.markers_at(moves[mine & (bins == b)], shape, r,
                                            svg.SATISFACTION_COLOURS[b]))
        for j, name in enumerate(m.dealer_names):
            dx, dy = x0 + st.dealer_xy[0][j] * side, top + st.dealer_xy[1][j] * side
            parts.append(svg.marker_path(np.array([dx]), np.array([dy]), svg.shape_of(j), 8.0,
                                         svg.dealer_colour(j), stroke="#111", stroke_width=1.5))
            parts.append(svg.text(dx, dy + 20, name, size=10.5, anchor="middle",
                                  weight="bold"))
    y = top + side + 20
    parts.append(svg.colour_bar(64, y - 8, 130))
    items = [(name, svg.dealer_colour(j), svg.shape_of(j))
             for j, name in enumerate(m.dealer_names)]
    parts.append(svg.text(262, y, "shape: the customer's dealer", size=10, colour=svg.AXIS))
    parts.append(svg.legend(items, 262, y + 16, step=82))
    shown = (f"{st.sample.size:,} of {m.with_.n:,} customers shown"
             if st.sample.size < m.with_.n else f"{m.with_.n:,} customers")
    parts.append(svg.text(10, y + 34, f"{shown}; grey dots: no vehicle from a dealer yet",
                          size=9.5, colour=svg.AXIS))
    return svg.document(W, y + 40, "".join(parts), cls="cx-map",
                        label="Map of customers by satisfaction and dealer",
                        extra=f' data-week="{m.week}"')


# -- the social network ---------------------------------------------------------------------
def network_svg(m: PairedMarket) -> str:
    """Ties between customers (homes as positions), coloured by satisfaction."""
    st = _static(m)
    arm = m.with_
    height = 340.0
    if st.net_nodes.size == 0:
        body = svg.text(W / 2, 150, "The network is drawn for markets of up to "
                        f"{arm.cfg.customers.network_view_max:,} customers;", size=12,
                        anchor="middle") + svg.text(
            W / 2, 170, "choose a smaller market size and press Reset.", size=12,
            anchor="middle")
        return svg.document(W, height, body, cls="cx-network", label="Social network")
    x0, y0, side = _NET["x"], _NET["y"], _NET["side"]
    parts = [f'<clipPath id="cx-net-clip"><rect x="{x0}" y="{y0}" width="{side}" '
             f'height="{side}"/></clipPath>',
             f'<rect x="{x0}" y="{y0}" width="{side}" height="{side}" fill="#fafafa" '
             f'stroke="{svg.GRID}"/>']
    title = ("Who talks to whom: the whole market" if st.net_side_km is None else
             f"Who talks to whom: {st.net_nodes.size:,} neighbours in the central "
             f"{st.net_side_km:.0f} km square")
    parts.append(svg.text(x0, y0 - 8, title, size=12, weight="bold"))
    parts.append(f'<g clip-path="url(#cx-net-clip)"><path d="{st.net_long}" fill="none" '
                 f'stroke="#b9a3c9" stroke-width="0.5" stroke-opacity="0.45"/>'
                 f'<path d="{st.net_edges}" fill="none" stroke="#6f7f86" stroke-width="0.8" '
                 f'stroke-opacity="0.7"/></g>')
    pop = arm.population
    sat = pop.satisfaction[st.net_nodes]
    bins = svg.satisfaction_bins(sat)
    has = pop.selling_dealer[st.net_nodes] >= 0
    nx_, ny_ = st.net_xy
    parts.append(svg.markers_at(st.net_moves[~has], "circle", 2.0, "#c8c8c8"))
    for b in np.unique(bins[has]).tolist():
        parts.append(svg.markers_at(st.net_moves[has & (bins == b)], "circle", 3.2,
                                    svg.SATISFACTION_COLOURS[b]))
    # This week's tellers (from the feed) get a ring.
    last = m.week - 1
    tellers = [e["teller"] for e in (arm.feed or ()) if e.get("week") == last]
    if tellers:
        pos = {int(c): i for i, c in enumerate(st.net_nodes.tolist())}
        idx = [pos[t] for t in tellers if t in pos]
        if idx:
            ring = "".join(f"M{nx_[i] - 5.5:.1f} {ny_[i]:.1f}a5.5 5.5 0 1 0 11 0a5.5 5.5 0 1 0 "
                           f"-11 0z" for i in idx)
            parts.append(f'<path d="{ring}" fill="none" stroke="#111" stroke-width="1.3"/>')
    dxy = st.net_dealer_xy
    for j, name in enumerate(m.dealer_names):
        if x0 <= dxy[0][j] <= x0 + side and y0 <= dxy[1][j] <= y0 + side:
            parts.append(svg.marker_path(dxy[0][j:j + 1], dxy[1][j:j + 1], svg.shape_of(j), 7.0,
                                         svg.dealer_colour(j), stroke="#111", stroke_width=1.4))
            parts.append(svg.text(float(dxy[0][j]), float(dxy[1][j]) + 18, name, size=10,
                                  anchor="middle", weight="bold"))
    # Side notes.
    tx = x0 + side + 18
    happy = float(np.mean(sat[has] >= 7)) if has.any() else float("nan")
    notes = [
        f"{st.net_nodes.size:,} customers, {st.net_ties:,} ties",
        f"about {arm.cfg.customers.network_degree} ties each; "
        f"{arm.cfg.customers.network_rewire:.0%} are long ties",
        "across the market (pale lines).",
        "",
        f"Ringed: told someone in week {max(last, 0)}",
        f"({len(tellers)} tellers in the whole market).",
        "",
        f"Satisfied (7+): {happy:.0%} of those with a dealer." if np.isfinite(happy) else "",
        "Colours as on the map; the view shows the",
        "market with the programme.",
    ]
    for i, line in enumerate(notes):
        parts.append(svg.text(tx, y0 + 14 + 17 * i, line, size=11))
    parts.append(svg.colour_bar(tx + 52, y0 + 14 + 17 * len(notes) + 6, 150))
    return svg.document(W, height, "".join(parts), cls="cx-network",
                        label="Social network of customers", extra=f' data-week="{m.week}"')


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
