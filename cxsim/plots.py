"""Pictures of a run, drawn only from the run's files.

Weekly counts are noisy; the time plots show 13-week rolling values (a
quarter), recomputed from the summed counts so that rates stay exact.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from cxsim.metrics import add_rates  # noqa: E402

QUARTER = 13


def _rolling(weekly: pd.DataFrame, window: int = QUARTER) -> pd.DataFrame:
    counts = [c for c in weekly.columns if c not in ("week", "dealer")]
    parts = []
    for dealer, g in weekly.groupby("dealer", sort=False):
        r = g.sort_values("week")[counts].rolling(window, min_periods=1).sum()
        r["weeks_in_window"] = np.minimum(np.arange(1, len(g) + 1), window)
        r["week"] = g["week"].to_numpy()
        r["dealer"] = dealer
        parts.append(r)
    out = pd.concat(parts, ignore_index=True)
    out["self_rating"] = out["self_rating"] / out["weeks_in_window"]
    return add_rates(out)


def plot_run(run_dir: Path, plot_dir: Path) -> list[Path]:
    """Draw the standard plots of one run folder; return the files written."""
    plot_dir.mkdir(parents=True, exist_ok=True)
    weekly = pd.read_parquet(run_dir / "weekly_metrics.parquet")
    customers = pd.read_parquet(run_dir / "customers.parquet")
    summary = json.loads((run_dir / "summary.json").read_text())
    roll = _rolling(weekly)
    dealers = list(dict.fromkeys(weekly["dealer"]))
    written = []

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for d in dealers:
        g = roll[roll["dealer"] == d]
        axes[0].plot(g["week"] / 52, g["units_sold"] * 52 / g["weeks_in_window"], label=d)
        axes[1].plot(g["week"] / 52, 100 * g["share"], label=d)
    axes[0].set(title="Unit sales (yearly rate, 13-week window)", xlabel="year",
                ylabel="vehicles a year")
    axes[1].set(title="Market share of sales", xlabel="year", ylabel="%")
    axes[0].legend()
    written.append(_save(fig, plot_dir / "sales_and_share.png"))

    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    for d in dealers:
        g = roll[roll["dealer"] == d]
        axes[0].plot(g["week"] / 52, g["nps"], label=d)
        axes[1].plot(g["week"] / 52, g["csat"], label=d)
        axes[2].plot(g["week"] / 52, g["ces"], label=d)
    axes[0].set(title="Net Promoter Score", xlabel="year", ylabel="NPS (-100..100)")
    axes[1].set(title="Customer satisfaction (CSAT)", xlabel="year", ylabel="1-5")
    axes[2].set(title="Customer effort (CES, lower is easier)", xlabel="year", ylabel="1-7")
    axes[0].legend()
    written.append(_save(fig, plot_dir / "nps_csat_ces.png"))

    fig, ax = plt.subplots(figsize=(7, 4))
    bins = np.linspace(0, 10, 41)
    for d in dealers:
        s = customers.loc[customers["dealer"] == d, "satisfaction"]
        ax.hist(s, bins=bins, histtype="step", linewidth=1.8, label=d)
    ax.set(title="Customers' satisfaction with their dealer (end of run)",
           xlabel="relationship satisfaction (0-10)", ylabel="customers")
    ax.legend()
    written.append(_save(fig, plot_dir / "satisfaction.png"))

    funnel = summary["funnel"]
    stages = [("visited", "visited"), ("bought", "bought"),
              ("serviced_after_buying", "serviced there"), ("bought_again", "bought again")]
    fig, ax = plt.subplots(figsize=(9, 4))
    width = 0.8 / len(dealers)
    xs = np.arange(len(stages) + 1)
    for i, d in enumerate(dealers):
        vals = [summary["entered_market"]] + [funnel[k][i] for k, _ in stages]
        ax.bar(xs + i * width, vals, width, label=d)
    ax.set_xticks(xs + width * (len(dealers) - 1) / 2,
                  ["entered market\n(all dealers)"] + [label for _, label in stages])
    ax.set(title="Journey funnel over the horizon", ylabel="customers")
    ax.legend()
    written.append(_save(fig, plot_dir / "funnel.png"))
    return written


def _save(fig: plt.Figure, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
