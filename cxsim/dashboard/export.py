"""What a trainer takes home: the run's weekly table (CSV) and its charts (PNG).

The table is the two arms' :meth:`~cxsim.metrics.Metrics.frame` (real units,
the same columns as a run's ``weekly_metrics.parquet``) for the weeks shown so
far, with an ``arm`` column. The charts are drawn by matplotlib, which the page
does not use live (too slow to redraw every week: :mod:`cxsim.dashboard.svg`).
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from cxsim.dashboard import svg
from cxsim.dashboard.market import PairedMarket
from cxsim.dashboard.views import frame


def weekly_table(m: PairedMarket) -> pd.DataFrame:
    """Weeks 0..week-1 of both arms, one row per (arm, week, dealer), real units."""
    parts = []
    for label, arm in zip(m.labels, m.arms, strict=True):
        df = arm.metrics.frame(m.dealer_names)
        df = df[df["week"] < m.week]
        df.insert(0, "arm", label)
        parts.append(df)
    return pd.concat(parts, ignore_index=True)


def weekly_csv(m: PairedMarket) -> bytes:
    """:func:`weekly_table` as CSV text (UTF-8)."""
    return weekly_table(m).to_csv(index=False).encode()


def charts_png(m: PairedMarket, dpi: int = 110) -> bytes:
    """Share, NPS and the programme's extra profit so far, with the story's markers."""
    from matplotlib.figure import Figure  # only when a trainer asks for it

    a, b = frame(m)
    weeks = np.arange(b.units.shape[0])
    f = m.focal
    fig = Figure(figsize=(11, 7.5), dpi=dpi, layout="constrained")
    axes = fig.subplots(3, 1, sharex=True)
    panels = ((axes[0], 100 * b.share, 100 * a.share[:, f], "share of sales, % (13 weeks)"),
              (axes[1], b.nps, a.nps[:, f], "NPS, points (13 weeks)"))
    for ax, with_, without, title in panels:
        for j, name in enumerate(m.dealer_names):
            ax.plot(weeks, with_[:, j], color=svg.dealer_colour(j), lw=2, label=name)
        ax.plot(weeks, without, color=svg.dealer_colour(f), lw=1.6, ls="--",
                label=f"{m.focal_name()}, {m.labels[0]}")
        ax.set_ylabel(title)
    gap = b.cum_profit[:, f] - a.cum_profit[:, f]
    axes[2].plot(weeks, gap, color="#222", lw=2)
    axes[2].axhline(0, color="#888", lw=0.8)
    axes[2].set_ylabel(f"extra profit of {m.focal_name()}, k$")
    axes[2].set_xlabel("week")
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.set_xlim(0, max(m.horizon - 1, 1))
        for mk in m.markers:
            ax.axvline(mk.week, color="#333", ls=":", lw=1)
    for mk in m.markers:
        axes[0].annotate(mk.label, (mk.week, 1), xycoords=("data", "axes fraction"),
                         xytext=(3, -12), textcoords="offset points", fontsize=10)
    axes[0].legend(loc="upper right", fontsize=9, ncol=2)
    title = m.story.title if m.story else m.preset
    fig.suptitle(f"{title}: week {m.week}, {m.labels[1]} against {m.labels[0]}")
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()
