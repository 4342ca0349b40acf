"""Robust choice: regret and satisficing over the scenarios.

In each scenario an option's *regret* is how far its outcome falls short of
the best arm's there (the status quo, at 0 against itself, is an arm too):
``regret[s, p] = max_q v[s, q] - v[s, p]`` (Savage 1951). The robust choice
by minimax regret has the smallest maximum regret; by satisficing, the
largest share of scenarios meeting the threshold (``v >= threshold``).

>>> v = pd.DataFrame({"status_quo": [0.0, 0.0], "a": [100.0, -50.0],
...                   "b": [40.0, 20.0]}, index=pd.Index([0, 1], name="scenario"))
>>> regret(v).to_dict("list")
{'status_quo': [100.0, 20.0], 'a': [0.0, 70.0], 'b': [60.0, 0.0]}
>>> summary(v, 0.0)["max_regret"].to_dict()
{'status_quo': 100.0, 'a': 70.0, 'b': 60.0}
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def table(outcomes: pd.DataFrame, outcome: str, arms: list[str]) -> pd.DataFrame:
    """Scenarios x arms of one outcome from the long outcomes (scenario, policy, ...)."""
    wide = outcomes.pivot(index="scenario", columns="policy", values=outcome)
    return wide.reindex(columns=arms)


def regret(values: pd.DataFrame) -> pd.DataFrame:
    """Each arm's regret in each scenario (rows: scenarios, columns: arms)."""
    return values.max(axis=1).to_numpy()[:, None] - values


def summary(values: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """Per arm: mean outcome, 10th percentile, maximum and mean regret, share of
    scenarios meeting the threshold, and the choice each rule makes."""
    r = regret(values)
    out = pd.DataFrame({
        "mean": values.mean(),
        "p10": values.quantile(0.10),
        "max_regret": r.max(),
        "mean_regret": r.mean(),
        "share_meeting": (values >= threshold).mean(),
    })
    out.index.name = "policy"
    out["minimax_regret"] = out["max_regret"] == out["max_regret"].min()
    out["satisficing"] = out["share_meeting"] == out["share_meeting"].max()
    return out


def chart(stats: pd.DataFrame, path: Path, threshold: float, unit: str = "k$") -> Path:
    """Maximum regret and the share of scenarios meeting the threshold, per arm."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    arms = list(stats.index)
    y = np.arange(len(arms))
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 0.6 * len(arms) + 2), sharey=True)
    best = stats["minimax_regret"].to_numpy()
    left.barh(y, stats["max_regret"], color=np.where(best, "tab:green", "tab:grey"))
    left.set_yticks(y, arms)
    left.invert_yaxis()
    left.set_xlabel(f"maximum regret ({unit}); smaller is more robust")
    left.set_title("Minimax regret")
    sat = stats["satisficing"].to_numpy()
    right.barh(y, 100 * stats["share_meeting"], color=np.where(sat, "tab:green", "tab:grey"))
    right.set_xlim(0, 100)
    right.set_xlabel(f"% of scenarios with outcome >= {threshold:g} {unit}")
    right.set_title("Satisficing")
    for ax in (left, right):
        ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
