"""Where customers are: the two maps and the social network.

Everything these views need that does not change while the market runs (who
is drawn on the map, the network's ties) is computed once per market and kept
on it; a week only recolours the customers. The maps' dots are drawn by the
browser (:mod:`cxsim.dashboard.mapview`) from :func:`map_layout` (once per
market) and :func:`map_codes` (each week), under :func:`map_svg`; the network
is one SVG whose dots are its data layer (:mod:`cxsim.dashboard.layers`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cxsim.dashboard import svg
from cxsim.dashboard.market import PairedMarket
from cxsim.dashboard.svg import W

MAP_SAMPLE = 3_000
"""At most this many customers per map (a fixed random sample in larger markets)."""
NETWORK_NODES = 400
"""About this many customers in the network view (a neighbourhood in larger markets)."""

MAP_W = 540.0  # px: the map card's width
MAP_SIDE, MAP_TOP = 256.0, 24.0  # each of the two maps: side and top
MAP_X0 = (8.0, 8.0 + MAP_SIDE + 12.0)  # left edges of the maps (without, with)
MAP_HEIGHT = MAP_TOP + MAP_SIDE + 46  # the maps, their legend and the sample's size
CODE_FIRST = "("
"""A dot's code is one character from here on: 0 for no dealer yet, else 1 + the dealer's
shape (0-3) x 11 + its satisfaction colour (0-10); 45 codes, none that JSON escapes."""
_CODES = np.frombuffer(bytes(range(ord(CODE_FIRST), ord(CODE_FIRST) + 1 + 4 * 11)), np.uint8)
_NET = {"x": 10.0, "y": 28.0, "side": 380.0}  # the network panel


@dataclass
class _Static:
    """Per-market drawing data that stays fixed while the market runs."""

    sample: np.ndarray  # customers drawn on the maps
    map_xy: tuple[np.ndarray, np.ndarray]  # their positions within a unit map (0..1)
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
    st = _Static(sample=sample, map_xy=(ux, uy), dealer_xy=(dx, dy),
                 net_nodes=nodes, net_xy=(nx_, ny_), net_moves=svg.starts(nx_, ny_),
                 net_edges=edges, net_long=long_edges,
                 net_dealer_xy=to_net(loc[:, 0], loc[:, 1]), net_ties=ties, net_side_km=side)
    m._dashboard_static = st
    return st


# -- the map --------------------------------------------------------------------------------
def map_xy(m: PairedMarket, arm: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel positions of the drawn customers on map ``arm`` (0 without, 1 with)."""
    st = _static(m)
    return MAP_X0[arm] + st.map_xy[0] * MAP_SIDE, MAP_TOP + st.map_xy[1] * MAP_SIDE


def dealer_xy(m: PairedMarket, arm: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel positions of the stores on map ``arm``."""
    st = _static(m)
    return MAP_X0[arm] + st.dealer_xy[0] * MAP_SIDE, MAP_TOP + st.dealer_xy[1] * MAP_SIDE


def map_layout(m: PairedMarket) -> dict:
    """What the browser needs once per market to draw the customers' dots on a canvas:
    their positions on the left map ("x,y,x,y...", whole pixels; the right map is ``dx``
    further),
    the dot size, the map squares and the colours a dot's code stands for."""
    st = _static(m)
    x, y = map_xy(m, 0)
    # One string, not a list: a list's items would be walked by every render of the page.
    xy = ",".join(map(str, np.column_stack([np.rint(x), np.rint(y)]).astype(int).ravel().tolist()))
    return {"xy": xy, "dx": MAP_X0[1] - MAP_X0[0], "r": 2.4 if st.sample.size <= 2_500 else 1.8,
            "grey_r": 1.2, "grey": "#bdbdbd", "background": "#f7f7f7",
            "boxes": [[x0, MAP_TOP, MAP_SIDE] for x0 in MAP_X0], "shapes": list(svg.SHAPES),
            "colours": list(svg.SATISFACTION_COLOURS), "first": ord(CODE_FIRST),
            "width": MAP_W, "height": MAP_HEIGHT}


def map_codes(m: PairedMarket) -> str:
    """This week's dots, both maps (without, then with): one character per drawn customer."""
    st = _static(m)
    out = []
    for arm in m.arms:
        pop = arm.population
        dealer = pop.selling_dealer[st.sample]
        bins = svg.satisfaction_bins(pop.satisfaction[st.sample])
        code = np.where(dealer < 0, 0, 1 + (dealer % len(svg.SHAPES)) * 11 + bins)
        out.append(_CODES[code].tobytes().decode("ascii"))
    return "".join(out)



def map_svg(m: PairedMarket, selected: tuple[int, int] | None = None) -> str:
    """What lies on top of the customers' dots (:func:`map_codes`, drawn on a canvas):
    the maps' frames and titles, the stores, the legend and the ring round ``selected``,
    (arm, customer), the one whose journey is open. It changes only with the market or
    the selection, so the page sends it again only then."""
    st = _static(m)
    side, top = MAP_SIDE, MAP_TOP
    parts = []
    for k in range(len(m.arms)):
        x0 = MAP_X0[k]
        parts.append(f'<rect x="{x0}" y="{top}" width="{side}" height="{side}" fill="none" '
                     f'stroke="{svg.GRID}"/>')
        parts.append(svg.text(x0, top - 7, m.labels[k].capitalize(), weight="bold"))
        dx, dy = dealer_xy(m, k)
        for j, name in enumerate(m.dealer_names):
            parts.append(f'<g class="cx-dealer" data-dealer="{j}" data-arm="{k}">' +
                         svg.marker_path(dx[j:j + 1], dy[j:j + 1], svg.shape_of(j), 8.0,
                                         svg.dealer_colour(j), stroke="#000",
                                         stroke_width=1.5) + "</g>")
            parts.append(svg.text(float(dx[j]), float(dy[j]) + 22, name, size=svg.TICK,
                                  anchor="middle", weight="bold"))
    if selected is not None:
        k, c = selected
        pos = np.searchsorted(st.sample, c)
        if pos < st.sample.size and st.sample[pos] == c:
            cx, cy = map_xy(m, k)
            parts.append(f'<circle class="cx-selected" cx="{cx[pos]:.1f}" cy="{cy[pos]:.1f}" '
                         f'r="7" fill="none" stroke="#000" stroke-width="2.5"/>')
    y = top + side + 20
    parts.append(svg.colour_bar(40, y - 10, 110))
    parts.append(svg.text(200, y, "shape: their dealer; grey: no dealer yet", size=svg.TICK,
                          colour=svg.AXIS))
    shown = (f"{st.sample.size:,} of {m.with_.n:,} simulated customers"
             if st.sample.size < m.with_.n else f"{m.with_.n:,} simulated customers")
    w = m.with_.metrics.weight
    parts.append(svg.text(200, y + 18, f"{shown}, each for {w:,.3g} households",
                          size=svg.TICK, colour=svg.AXIS))
    return svg.document(MAP_W, MAP_HEIGHT, "".join(parts), cls="cx-map",
                        label="Map of customers by satisfaction and dealer")


# -- the social network ---------------------------------------------------------------------
def network_svg(m: PairedMarket) -> str:
    """Ties between customers (homes as positions), coloured by satisfaction."""
    st = _static(m)
    arm = m.with_
    height = 520.0
    if st.net_nodes.size == 0:
        body = svg.text(W / 2, 150, "The network is drawn for markets of up to "
                        f"{arm.cfg.customers.network_view_max:,}", anchor="middle") + svg.text(
            W / 2, 170, "customers; choose a smaller market and Reset.", anchor="middle")
        return svg.document(W, height, body, cls="cx-network", label="Social network")
    x0, y0, side = _NET["x"], _NET["y"], _NET["side"]
    parts = [f'<clipPath id="cx-net-clip"><rect x="{x0}" y="{y0}" width="{side}" '
             f'height="{side}"/></clipPath>',
             f'<rect x="{x0}" y="{y0}" width="{side}" height="{side}" fill="#f7f7f7" '
             f'stroke="{svg.GRID}"/>']
    title = ("Who talks to whom: the whole market" if st.net_side_km is None else
             f"Who talks to whom: central {st.net_side_km:.0f} km square")
    parts.append(svg.text(x0, y0 - 8, title, weight="bold"))
    parts.append(f'<g clip-path="url(#cx-net-clip)"><path d="{st.net_long}" fill="none" '
                 f'stroke="#b9a3c9" stroke-width="0.6" stroke-opacity="0.5"/>'
                 f'<path d="{st.net_edges}" fill="none" stroke="#6f7f86" stroke-width="0.8" '
                 f'stroke-opacity="0.7"/></g>')
    pop = arm.population
    sat = pop.satisfaction[st.net_nodes]
    bins = svg.satisfaction_bins(sat)
    has = pop.selling_dealer[st.net_nodes] >= 0
    nx_, ny_ = st.net_xy
    dots = [svg.markers_at(st.net_moves[~has], "circle", 2.0, "#bdbdbd")]
    for b in np.unique(bins[has]).tolist():
        dots.append(svg.markers_at(st.net_moves[has & (bins == b)], "circle", 3.4,
                                   svg.SATISFACTION_COLOURS[b]))
    parts.append(svg.data("".join(dots)))
    # This week's tellers (from the feed) get a ring.
    last = m.week - 1
    tellers = [e["teller"] for e in (arm.feed or ()) if e.get("week") == last]
    if tellers:
        pos = {int(c): i for i, c in enumerate(st.net_nodes.tolist())}
        idx = [pos[t] for t in tellers if t in pos]
        if idx:
            ring = "".join(f"M{nx_[i] - 5.5:.1f} {ny_[i]:.1f}a5.5 5.5 0 1 0 11 0a5.5 5.5 0 1 0 "
                           f"-11 0z" for i in idx)
            parts.append(svg.data(f'<path d="{ring}" fill="none" stroke="#000" '
                                  f'stroke-width="1.5"/>'))
    dxy = st.net_dealer_xy
    for j, name in enumerate(m.dealer_names):  # in the data layer too: above the dots
        if x0 <= dxy[0][j] <= x0 + side and y0 <= dxy[1][j] <= y0 + side:
            parts.append(svg.data(
                svg.marker_path(dxy[0][j:j + 1], dxy[1][j:j + 1], svg.shape_of(j), 7.0,
                                svg.dealer_colour(j), stroke="#000", stroke_width=1.4)
                + svg.text(float(dxy[0][j]), float(dxy[1][j]) + 20, name, size=svg.TICK,
                           anchor="middle", weight="bold")))
    ty = y0 + side + 24
    happy = float(np.mean(sat[has] >= 7)) if has.any() else float("nan")
    notes = [
        f"{st.net_nodes.size:,} customers, {st.net_ties:,} ties; about "
        f"{arm.cfg.customers.network_degree} each,",
        f"{arm.cfg.customers.network_rewire:.0%} long ties across the market (pale).",
        f"Ringed: told someone in week {max(last, 0)} ({len(tellers)} in the market).",
        f"Satisfied (7+): {happy:.0%} of those with a dealer." if np.isfinite(happy) else "",
    ]
    parts.append(svg.data("".join(svg.text(x0, ty + 19 * i, line, size=svg.TICK)
                                  for i, line in enumerate(notes))))
    return svg.document(W, height, "".join(parts), cls="cx-network",
                        label="Social network of customers", extra=f' data-week="{m.week}"')
