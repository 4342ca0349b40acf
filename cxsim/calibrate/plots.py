"""The calibration's pictures: pairwise posterior, predictive bands, backtest."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cxsim.calibrate.priors import Prior
from cxsim.posterior import Posterior


def _plt():  # noqa: ANN202 - matplotlib's module
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def pairwise(path: Path, posterior: Posterior, priors: list[Prior],
             truth: dict[str, float] | None = None) -> Path:
    """Each parameter's weighted histogram on the diagonal, pairs' scatter below; axes
    span the priors (a truth, when known, in red)."""
    plt = _plt()
    k = len(priors)
    fig, axes = plt.subplots(k, k, figsize=(1.9 * k + 1, 1.9 * k + 1), squeeze=False)
    w = posterior.weights
    for i, pi in enumerate(priors):
        for j, pj in enumerate(priors):
            ax = axes[i][j]
            if j > i:
                ax.axis("off")
                continue
            x = posterior.draws[pj.name].to_numpy()
            if i == j:
                ax.hist(x, bins=15, range=(pj.low, pj.high), weights=w, color="C0", alpha=0.7)
                ax.set_yticks([])
                if truth and pj.name in truth:
                    ax.axvline(truth[pj.name], color="C3")
            else:
                y = posterior.draws[pi.name].to_numpy()
                ax.scatter(x, y, s=6 + 200 * w, color="C0", alpha=0.5, lw=0)
                ax.set_ylim(pi.low, pi.high)
                if truth and pj.name in truth and pi.name in truth:
                    ax.plot(truth[pj.name], truth[pi.name], "+", color="C3", ms=10)
            ax.set_xlim(pj.low, pj.high)
            ax.tick_params(labelsize=6)
            if i == k - 1:
                ax.set_xlabel(pj.name, fontsize=7)
            if j == 0 and i > 0:
                ax.set_ylabel(pi.name, fontsize=7)
    fig.suptitle("Posterior (axes span the priors)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def bands(path: Path, band: pd.DataFrame, title: str, start: int = 0) -> Path:
    """One panel per metric (rows) and store (columns): observed dots over the 90 %
    band and median of the posterior's runs (months before ``start`` greyed)."""
    plt = _plt()
    metrics = list(dict.fromkeys(band["metric"]))
    stores = list(dict.fromkeys(band["store"]))
    fig, axes = plt.subplots(len(metrics), len(stores), squeeze=False, sharex=True,
                             figsize=(3.6 * len(stores) + 0.6, 1.9 * len(metrics) + 0.8))
    for i, metric in enumerate(metrics):
        for j, store in enumerate(stores):
            ax = axes[i][j]
            b = band[(band["metric"] == metric) & (band["store"] == store)]
            m = b["m"].to_numpy() + 1
            ax.fill_between(m, b["low"], b["high"], color="C0", alpha=0.25, lw=0)
            ax.plot(m, b["median"], color="C0", lw=1)
            inside = b["inside"].to_numpy() == 1
            ax.plot(m[inside], b["observed"].to_numpy()[inside], ".", color="k", ms=3)
            ax.plot(m[~inside], b["observed"].to_numpy()[~inside], ".", color="C3", ms=4)
            if start:
                ax.axvspan(0.5, start + 0.5, color="grey", alpha=0.12, lw=0)
            ax.tick_params(labelsize=7)
            if i == 0:
                ax.set_title(store, fontsize=9)
            if j == 0:
                ax.set_ylabel(metric, fontsize=8)
            if i == len(metrics) - 1:
                ax.set_xlabel("month", fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def coverage_by_month(path: Path, cover: pd.DataFrame, start: int) -> Path:
    """The backtest: share of held-out observations inside the band, month by month."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 3.2))
    ax.bar(cover["m"] + 1, cover["coverage"], color="C0", alpha=0.7)
    ax.axhline(0.9, color="C3", lw=1, ls="--", label="nominal 90 %")
    ax.set(xlabel=f"month (fitted on months 1-{start})", ylabel="inside the 90 % band",
           ylim=(0, 1.05), title="Backtest: held-out months inside the predictive band")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
