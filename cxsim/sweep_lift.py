"""A sweep's lift: the focal dealer's outcomes against each swept parameter, and plots.

For every seed (and every combination of the other swept parameters) the
lift at a value is the outcome there minus the outcome at the parameter's
smallest value on the same seed (common random numbers), summarised per value
by its mean and a Student-t interval over seeds (``cxsim.run.t_interval``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from cxsim.programme import CONFIG_KEYS
from cxsim.run import HEADLINE, t_interval

IDENTITY = ("seed", "customers", "weeks", "industry", "investment", "focal_dealer")
"""Run identity copied from each ``summary.json``."""

BAND_COLUMNS = ["x", "value", "group", "kpi", "level", "lift", "ci_low", "ci_high", "seeds"]


BUDGET_KEYS: frozenset[str] = frozenset({*CONFIG_KEYS.values(), "dealers.bay_cost_k"})
"""Keys ``budget_k`` follows from (a programme's yearly cost, ``Programme.cost_k``)."""


def sets_budget(key: str) -> bool:
    """True if ``key`` is one of the keys the budget follows from.

    >>> [sets_budget(k) for k in ("investment.spend.digital", "investment.extra_bays",
    ...                           "investment.copied_by", "investment.start_week")]
    [True, True, False, False]
    """
    return key in BUDGET_KEYS or key.startswith("investment.spend.")


def swept_keys(table: pd.DataFrame) -> list[str]:
    """Override columns with more than one value across the jobs (seed excluded)."""
    fixed = {"job", "overrides", "dealer", "focal", "budget_k", *IDENTITY}
    first_kpi = table.columns.get_loc("focal") if "focal" in table else len(table.columns)
    keys = [c for c in table.columns[:first_kpi] if c not in fixed]
    return [k for k in keys if table[k].nunique(dropna=True) > 1]


# -- lift against a parameter ------------------------------------------------------------------
def lift_bands(table: pd.DataFrame, x: str, kpis: Sequence[str] = HEADLINE,
               level: float = 0.95) -> pd.DataFrame:
    """The focal dealer's lift against ``x``, paired on seeds.

    For every seed (and every combination of the other swept parameters) the
    lift at value ``v`` is the KPI at ``v`` minus the KPI at the smallest
    value of ``x`` on the same seed. Per value: mean level, mean lift and its
    Student-t interval over seeds.
    """
    focal = table[table["focal"]]
    others = [k for k in swept_keys(table) if k != x]
    if x == "budget_k":  # the budget follows from the cost keys: group by every other
        others = [k for k in others if not sets_budget(k)]  # (copied_by, start_week, ...)
    rows = []
    group_iter = focal.groupby(others, dropna=False, sort=True) if others else [((), focal)]
    for gkey, g in group_iter:
        gkey = gkey if isinstance(gkey, tuple) else (gkey,)
        label = ", ".join(f"{k}={v}" for k, v in zip(others, gkey, strict=True))
        g = g.dropna(subset=[x])
        if g.empty:
            continue
        x0 = g[x].min()
        ref = g[g[x] == x0].drop_duplicates("seed").set_index("seed")
        for v, gv in g.groupby(x, sort=True):
            gv = gv.drop_duplicates("seed").set_index("seed")
            common = gv.index.intersection(ref.index)
            for k in kpis:
                if k not in gv:
                    continue
                level_mean = float(gv[k].mean())
                diff = (gv.loc[common, k] - ref.loc[common, k]).to_numpy(dtype=float)
                mean, lo, hi = t_interval(diff, level) if diff.size else (float("nan"),) * 3
                rows.append({"x": x, "value": float(v), "group": label, "kpi": k,
                             "level": level_mean, "lift": mean, "ci_low": lo, "ci_high": hi,
                             "seeds": int(diff.size)})
    return pd.DataFrame(rows, columns=BAND_COLUMNS)


def lift_axes(table: pd.DataFrame) -> list[str]:
    """Numeric swept parameters to draw lift against, plus ``budget_k`` when it varies."""
    xs = [k for k in swept_keys(table) if pd.api.types.is_numeric_dtype(table[k])
          and not pd.api.types.is_bool_dtype(table[k])]
    if "budget_k" in table and table["budget_k"].nunique() > 1:
        xs.append("budget_k")
    return xs


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in name)


def plot_sweep(table: pd.DataFrame, bands: pd.DataFrame, plot_dir: Path) -> list[Path]:
    """Lift against each swept parameter (with bands) and KPIs by dealer over jobs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plot_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for x, bx in bands.groupby("x", sort=False):
        kpis = list(dict.fromkeys(bx["kpi"]))
        fig, axes = plt.subplots(1, len(kpis), figsize=(4.2 * len(kpis), 3.8), squeeze=False)
        for ax, k in zip(axes[0], kpis, strict=True):
            bk = bx[bx["kpi"] == k]
            for label, g in bk.groupby("group", sort=False):
                g = g.sort_values("value")
                line, = ax.plot(g["value"], g["lift"], marker="o", label=label or None)
                if g["ci_low"].notna().any():
                    ax.fill_between(g["value"], g["ci_low"], g["ci_high"], alpha=0.2,
                                    color=line.get_color())
            ax.axhline(0, color="grey", lw=0.8)
            ax.set(title=f"lift in {k}", xlabel=x)
        axes[0][0].set_ylabel("focal dealer, vs the lowest value (same seeds)")
        if bx["group"].nunique() > 1 or (bx["group"] != "").any():
            axes[0][-1].legend(fontsize=7)
        n = int(bx["seeds"].max()) if len(bx) else 0
        fig.suptitle(f"Focal dealer's lift against {x}: mean over {n} paired seeds, "
                     "95 % band")
        fig.tight_layout()
        path = plot_dir / f"lift_vs_{_safe(x)}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)

    kpis = [k for k in HEADLINE if k in table]
    if kpis and len(table):
        fig, axes = plt.subplots(1, len(kpis), figsize=(4.2 * len(kpis), 3.8), squeeze=False)
        for ax, k in zip(axes[0], kpis, strict=True):
            dealers = list(dict.fromkeys(table["dealer"]))
            data = [table.loc[table["dealer"] == d, k].dropna().to_numpy() for d in dealers]
            ax.boxplot(data, tick_labels=dealers)
            ax.set(title=k)
            ax.tick_params(axis="x", labelrotation=20)
        fig.suptitle(f"KPIs over the {table['job'].nunique()} jobs of the sweep")
        fig.tight_layout()
        path = plot_dir / "kpis_by_dealer.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    return written
