"""A few SVG drawing helpers: panels with axes, lines, bars, markers, legends.

The dashboard draws its live charts as SVG text on the server: a week's charts
are built in a few milliseconds, need nothing from a CDN
(the page works offline) and is redrawn by the browser at once. matplotlib,
tried first for the live charts (Mesa's ``make_plot_component`` and
``solara.FigureMatplotlib`` both draw through it), takes 90-120 ms to redraw one
two-panel chart on a two-core machine, several times a week's whole budget at
20 weeks a second; it draws the charts a trainer downloads
(:mod:`cxsim.dashboard.export`). Coordinates are pixels: the page is laid out
for a 1280 x 720 screen, so a font size here is the size on screen.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from html import escape

import numpy as np

W = 384
"""Width of a chart, in pixels."""

# Okabe & Ito (2008): distinguishable with the common colour-vision deficiencies and
# dark enough to survive a washed-out projector.
DEALER_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00",
                  "#000000", "#F0E442")
# Satisfaction 0..10 in 11 bins, red (unhappy) through yellow to blue (delighted):
# ColorBrewer RdYlBu, which stays readable for the common colour-vision deficiencies.
SATISFACTION_COLOURS = ("#a50026", "#d73027", "#f46d43", "#fdae61", "#fee090", "#ffffbf",
                        "#e0f3f8", "#abd9e9", "#74add1", "#4575b4", "#313695")
GRID = "#d9d9d9"
AXIS = "#444"
TEXT = "#111"
MARKER = "#333"
TICK = 14  # px: tick labels
BODY = 14  # px: every other text
FONT = "font-family:Roboto,Helvetica,Arial,sans-serif"


def dealer_colour(i: int) -> str:
    return DEALER_COLOURS[i % len(DEALER_COLOURS)]


SATISFACTION_RANGE = (3.0, 9.0)
"""The colour scale's ends: customers' remembered satisfaction mostly lies here."""


def satisfaction_bins(values: np.ndarray) -> np.ndarray:
    """Colour index 0..10 of satisfaction (0-10 scale, clipped to SATISFACTION_RANGE)."""
    lo, hi = SATISFACTION_RANGE
    v = np.nan_to_num(np.asarray(values, dtype=float), nan=(lo + hi) / 2)
    n = len(SATISFACTION_COLOURS) - 1
    return np.clip(np.rint((v - lo) / (hi - lo) * n), 0, n).astype(np.int64)


def fmt(v: float, digits: int = 1) -> str:
    """Compact number for coordinates."""
    return f"{v:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{v:.0f}"


def document(width: float, height: float, body: str, *, cls: str = "", label: str = "",
             extra: str = "") -> str:
    """An ``<svg>`` that scales to its container's width."""
    aria = f' role="img" aria-label="{escape(label)}"' if label else ""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="{escape(cls)}" '
            f'viewBox="0 0 {fmt(width)} {fmt(height)}" width="{fmt(width)}" '
            f'height="{fmt(height)}" style="display:block;{FONT}"'
            f'{aria}{extra}>{body}</svg>')


def data(body: str) -> str:
    """What changes with the data (a layer of its own on the page: :mod:`.layers`)."""
    return f'<g class="cx-data">{body}</g>' if body else ""


def text(x: float, y: float, s: str, *, size: float = BODY, anchor: str = "start",
         colour: str = TEXT, weight: str = "normal", cls: str = "") -> str:
    c = f' class="{cls}"' if cls else ""
    return (f'<text x="{fmt(x)}" y="{fmt(y)}" font-size="{fmt(size)}" text-anchor="{anchor}" '
            f'fill="{colour}" font-weight="{weight}"{c}>{escape(s)}</text>')


def nice_ticks(lo: float, hi: float, n: int = 4) -> list[float]:
    """About ``n`` round tick values covering [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo] if math.isfinite(lo) else []
    raw = (hi - lo) / max(n, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=10 * mag)
    start = math.ceil(lo / step - 1e-9) * step
    out, v = [], start
    while v <= hi + 1e-9 * step:
        out.append(round(v, 10))
        v += step
    return out


def nice_range(values: Iterable[np.ndarray], *, floor: float | None = None,
               ceil: float | None = None, pad: float = 0.08, min_span: float = 1e-9
               ) -> tuple[float, float]:
    """A y-range around the finite values, padded and snapped to round ticks."""
    finite = [np.asarray(v, dtype=float) for v in values]
    finite = [v[np.isfinite(v)] for v in finite]
    finite = [v for v in finite if v.size]
    if not finite:
        lo, hi = (floor if floor is not None else 0.0), (ceil if ceil is not None else 1.0)
        return lo, hi
    lo = min(float(v.min()) for v in finite)
    hi = max(float(v.max()) for v in finite)
    if hi - lo < min_span:  # flat data (e.g. nothing yet): a unit-wide range around it
        mid, half = (lo + hi) / 2, max(min_span, 1.0) / 2
        lo, hi = mid - half, mid + half
    span = hi - lo
    lo, hi = lo - pad * span, hi + pad * span
    if floor is not None:
        lo = max(lo, floor)
    if ceil is not None:
        hi = min(hi, ceil)
    ticks = nice_ticks(lo, hi)
    if len(ticks) >= 2 and ticks[1] > ticks[0]:
        step = ticks[1] - ticks[0]
        lo = min(lo, math.floor(lo / step) * step)
        hi = max(hi, math.ceil(hi / step) * step)
        if floor is not None:
            lo = max(lo, floor)
        if ceil is not None:
            hi = min(hi, ceil)
    return lo, hi


class Panel:
    """A plotting area at (x, y) of size (w, h) with data limits."""

    def __init__(self, x: float, y: float, w: float, h: float, xlim: tuple[float, float],
                 ylim: tuple[float, float]) -> None:
        self.x, self.y, self.w, self.h = x, y, w, h
        self.xlim = xlim if xlim[1] > xlim[0] else (xlim[0], xlim[0] + 1.0)
        self.ylim = ylim if ylim[1] > ylim[0] else (ylim[0] - 0.5, ylim[0] + 0.5)

    def px(self, v: np.ndarray | float) -> np.ndarray:
        lo, hi = self.xlim
        return self.x + (np.asarray(v, dtype=float) - lo) / (hi - lo) * self.w

    def py(self, v: np.ndarray | float) -> np.ndarray:
        lo, hi = self.ylim
        return self.y + self.h - (np.asarray(v, dtype=float) - lo) / (hi - lo) * self.h

    def axes(self, title: str = "", *, yfmt: str = "{:g}", xlabel: str = "",
             xticks: int = 5, yticks: int = 4, zero: bool = False) -> str:
        """Frame, grid lines, tick labels and title."""
        parts = [f'<rect x="{fmt(self.x)}" y="{fmt(self.y)}" width="{fmt(self.w)}" '
                 f'height="{fmt(self.h)}" fill="#fff" stroke="{GRID}"/>']
        for t in nice_ticks(*self.ylim, yticks):
            yy = float(self.py(t))
            parts.append(f'<line x1="{fmt(self.x)}" x2="{fmt(self.x + self.w)}" y1="{fmt(yy)}" '
                         f'y2="{fmt(yy)}" stroke="{GRID}"/>')
            parts.append(text(self.x - 4, yy + 4.5, yfmt.format(t), size=TICK, anchor="end",
                              colour=AXIS))
        if zero and self.ylim[0] < 0 < self.ylim[1]:
            yy = float(self.py(0.0))
            parts.append(f'<line x1="{fmt(self.x)}" x2="{fmt(self.x + self.w)}" y1="{fmt(yy)}" '
                         f'y2="{fmt(yy)}" stroke="{AXIS}" stroke-width="0.8"/>')
        for t in nice_ticks(*self.xlim, xticks):
            xx = float(self.px(t))
            parts.append(text(xx, self.y + self.h + 14, f"{t:g}", size=TICK, anchor="middle",
                              colour=AXIS))
        if title:
            parts.append(text(self.x - 36, self.y - 7, title, size=BODY, weight="bold"))
        if xlabel:
            parts.append(text(self.x + self.w, self.y + self.h + 29, xlabel, size=TICK,
                              anchor="end", colour=AXIS))
        return "".join(parts)

    def markers(self, chapters, *, labels: bool = True) -> str:
        """Chapter markers: a dashed vertical line at each marker's week, labelled."""
        parts = []
        lo, hi = self.xlim
        for i, m in enumerate(chapters):
            if not lo <= m.week <= hi:
                continue
            xx = float(self.px(m.week))
            parts.append(f'<line class="cx-marker" x1="{fmt(xx)}" x2="{fmt(xx)}" '
                         f'y1="{fmt(self.y)}" y2="{fmt(self.y + self.h)}" stroke="{MARKER}" '
                         f'stroke-width="1.2" stroke-dasharray="3 3"/>')
            if labels:
                parts.append(text(xx + 3, self.y + 15 + 15 * (i % 2), m.label, size=TICK,
                                  colour=MARKER, cls="cx-marker-label"))
        return "".join(parts)

    def line(self, xs: np.ndarray, ys: np.ndarray, colour: str, *, width: float = 1.8,
             dash: str = "", opacity: float = 1.0, cls: str = "") -> str:
        """A polyline through the finite points (gaps where values are missing)."""
        xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
        ok = np.isfinite(xs) & np.isfinite(ys)
        if not ok.any():
            return ""
        px, py = self.px(xs), self.py(ys)
        # a run of finite points per "M": split where a value is missing
        cuts = np.flatnonzero(np.diff(ok.astype(np.int8)) != 0) + 1
        d = [relative_path(px[a:b], py[a:b]) for a, b in zip(
            np.r_[0, cuts].tolist(), np.r_[cuts, ok.size].tolist(), strict=True) if ok[a]]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        c = f' class="{cls}"' if cls else ""
        op = f' stroke-opacity="{opacity:g}"' if opacity < 1 else ""
        return data(f'<path d="{"".join(d)}" fill="none" stroke="{colour}" '
                    f'stroke-width="{width:g}" stroke-linejoin="round"{dash_attr}{op}{c}/>')

    def area(self, xs: np.ndarray, ys: np.ndarray, colour: str, opacity: float = 0.25) -> str:
        """Filled area between the values and zero (finite points only)."""
        xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
        ok = np.isfinite(xs) & np.isfinite(ys)
        if ok.sum() < 2:
            return ""
        px, py = self.px(xs[ok]), self.py(ys[ok])
        base = float(self.py(min(max(0.0, self.ylim[0]), self.ylim[1])))
        d = relative_path(np.r_[px[0], px, px[-1]], np.r_[base, py, base])
        return data(f'<path d="{d}z" fill="{colour}" fill-opacity="{opacity:g}" stroke="none"/>')


def _tenths(t: int) -> str:
    sign, (i, f) = ("-" if t < 0 else ""), divmod(abs(t), 10)
    return f"{sign}{i}" if f == 0 else f"{sign}{i if i else ''}.{f}"


_STEPS = 4_000  # tenths of a pixel: steps this small are looked up, not formatted
_STEP_TEXT = [(v if v[0] == "-" else " " + v) for v in map(_tenths, range(-_STEPS, _STEPS + 1))]


def relative_path(xs: np.ndarray, ys: np.ndarray) -> str:
    """"M" to the first point, then "l" steps to the others, in tenths of a pixel: about
    half the text of absolute coordinates (a chart is sent to the browser every week).

    >>> relative_path(np.array([10.0, 11.23, 12.5]), np.array([5.0, 4.71, 5.0]))
    'M10 5l 1.2-.3 1.3 .3'
    """
    qx, qy = np.rint(np.asarray(xs) * 10).astype(np.int64), np.rint(np.asarray(ys) * 10).astype(
        np.int64)
    steps = np.column_stack([np.diff(qx), np.diff(qy)]).ravel()
    head = f"M{_tenths(int(qx[0]))} {_tenths(int(qy[0]))}"
    if steps.size == 0:
        return head
    if np.abs(steps).max() > _STEPS:
        return head + "l" + "".join((v if v[0] == "-" else " " + v)
                                    for v in map(_tenths, steps.tolist()))
    text = _STEP_TEXT
    return head + "l" + "".join([text[t] for t in (steps + _STEPS).tolist()])


def legend(items: Sequence[tuple[str, str, str]], x: float, y: float, *,
           step: float | None = None, size: float = TICK) -> str:
    """Items (label, colour, kind) in a row; kind: 'line', 'dash', 'box' or a shape."""
    parts, cx = [], x
    for label, colour, kind in items:
        if kind in ("line", "dash"):
            dash = ' stroke-dasharray="5 3"' if kind == "dash" else ""
            parts.append(f'<line x1="{fmt(cx)}" x2="{fmt(cx + 16)}" y1="{fmt(y - 3.5)}" '
                         f'y2="{fmt(y - 3.5)}" stroke="{colour}" stroke-width="2"{dash}/>')
        elif kind == "box":
            parts.append(f'<rect x="{fmt(cx + 3)}" y="{fmt(y - 9)}" width="10" height="10" '
                         f'fill="{colour}"/>')
        else:
            parts.append(marker_path(np.array([cx + 8.0]), np.array([y - 3.5]), kind, 4.5,
                                     colour, stroke="#222"))
        parts.append(text(cx + 20, y, label, size=size))
        cx += step if step is not None else 28 + 0.56 * size * len(label)
    return "".join(parts)


SHAPES = ("circle", "square", "triangle", "diamond")


def shape_of(dealer: int) -> str:
    return SHAPES[dealer % len(SHAPES)]


def marker_path(xs: np.ndarray, ys: np.ndarray, shape: str, r: float, colour: str, *,
                stroke: str = "", stroke_width: float = 0.8, opacity: float = 1.0) -> str:
    """Many markers of one shape and colour as a single ``<path>`` (cheap to draw)."""
    if len(xs) == 0:
        return ""
    xi, yi = np.round(np.asarray(xs, dtype=float), 1), np.round(np.asarray(ys, dtype=float), 1)
    pts = zip(xi.tolist(), yi.tolist(), strict=True)
    op = f' opacity="{opacity:g}"' if opacity < 1 else ""
    if shape in ("circle", "square") and not stroke:
        cap = "round" if shape == "circle" else "square"
        d = "".join(f"M{a:g} {b:g}h0" for a, b in pts)
        return (f'<path d="{d}" stroke="{colour}" stroke-width="{2 * r:g}" '
                f'stroke-linecap="{cap}"{op}/>')
    if shape == "circle":
        d = "".join(f"M{a - r:g} {b:g}a{r:g} {r:g} 0 1 0 {2 * r:g} 0a{r:g} {r:g} 0 1 0 "
                    f"{-2 * r:g} 0z" for a, b in pts)
    elif shape == "square":
        s = 2 * r * 0.9
        d = "".join(f"M{a - s / 2:g} {b - s / 2:g}h{s:g}v{s:g}h{-s:g}z" for a, b in pts)
    elif shape == "triangle":
        h, half = 1.15 * r, 1.15 * r * 0.87
        d = "".join(f"M{a:g} {b - h:g}l{half:g} {1.5 * h:g}h{-2 * half:g}z" for a, b in pts)
    else:  # diamond
        q = 1.2 * r
        d = "".join(f"M{a:g} {b - q:g}l{q:g} {q:g}l{-q:g} {q:g}l{-q:g} {-q:g}z" for a, b in pts)
    st = f' stroke="{stroke}" stroke-width="{stroke_width:g}"' if stroke else ""
    return f'<path d="{d}" fill="{colour}"{st}{op}/>'


def starts(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Each point's "move to" command, computed once for points that do not move
    (whole pixels: a frame carries thousands of them)."""
    return np.array([f"M{a:.0f} {b:.0f}" for a, b in zip(
        np.asarray(xs, float).tolist(), np.asarray(ys, float).tolist(), strict=True)],
        dtype=object)


FAST = ' shape-rendering="optimizeSpeed"'
"""Customers' dots skip anti-aliasing: half the browser's time to draw a map frame
(measured in headless Chromium), invisible at their size."""


def markers_at(moves: np.ndarray, shape: str, r: float, colour: str) -> str:
    """Markers at precomputed ``starts`` as one ``<path>``: a join, no formatting."""
    if len(moves) == 0:
        return ""
    if shape in ("circle", "square"):
        cap = "round" if shape == "circle" else "square"
        return (f'<path d="{"h0".join(moves)}h0" stroke="{colour}" stroke-width="{2 * r:g}" '
                f'stroke-linecap="{cap}"{FAST}/>')
    if shape == "triangle":
        h, half = 1.15 * r, 1.15 * r * 0.87
        tail = f"m0 {-h:.2f}l{half:.2f} {1.5 * h:.2f}h{-2 * half:.2f}z"
    else:  # diamond
        q = 1.2 * r
        tail = f"m0 {-q:.2f}l{q:.2f} {q:.2f}l{-q:.2f} {q:.2f}l{-q:.2f} {-q:.2f}z"
    return f'<path d="{tail.join(moves)}{tail}" fill="{colour}"{FAST}/>'


def colour_bar(x: float, y: float, w: float, label: str = "satisfaction (0-10)") -> str:
    """The satisfaction scale as a strip of boxes with end labels."""
    n = len(SATISFACTION_COLOURS)
    bw = w / n
    lo, hi = SATISFACTION_RANGE
    parts = [f'<rect x="{fmt(x + i * bw)}" y="{fmt(y)}" width="{fmt(bw + 0.3)}" height="7" '
             f'fill="{c}"/>' for i, c in enumerate(SATISFACTION_COLOURS)]
    parts.append(text(x - 3, y + 8, f"{lo:g}-", size=TICK, anchor="end", colour=AXIS))
    parts.append(text(x + w + 3, y + 8, f"{hi:g}+", size=TICK, colour=AXIS))
    parts.append(text(x + w / 2, y + 22, label, size=TICK, anchor="middle", colour=AXIS))
    return "".join(parts)
