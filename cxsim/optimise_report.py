"""The budget optimisation's report: allocation and history plots, ``report.md``."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxsim.optimise_levers import BAYS, GROUP_NPV
from cxsim.run import HEADLINE, t_interval


def _fmt(x: float, digits: int = 1) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:,.{digits}f}"


def plot_report(out: Path, trials: pd.DataFrame, arms: dict[str, dict[str, float]],
                table: pd.DataFrame, lines: Sequence[str], kpi: str,
                maximise: bool = True) -> None:
    """``allocation.png`` (the three splits, their lifts) and ``history.png``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(arms)
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(13, 4.6),
                                 gridspec_kw={"width_ratios": [2.2, 1]})
    y = np.arange(len(lines))
    h = 0.8 / len(names)
    for i, n in enumerate(names):
        ax.barh(y + i * h, [arms[n][t] for t in lines], height=h, label=n)
    ax.set_yticks(y + h * (len(names) - 1) / 2, lines)
    ax.invert_yaxis()
    ax.set(xlabel="k$ a year", title="Allocation of the budget")
    ax.legend()
    t = table[table["arm"] != "none"]
    err = np.vstack([t["lift"] - t["lift_low"], t["lift_high"] - t["lift"]])
    bx.bar(t["arm"], t["lift"], yerr=np.nan_to_num(err), capsize=5,
           color=[f"C{i}" for i in range(len(t))])
    bx.axhline(0, color="grey", lw=0.8)
    bx.set(title=f"Lift in {kpi} over no programme\n(fresh paired seeds, 95 % interval)",
           ylabel=kpi)
    fig.tight_layout()
    fig.savefig(out / "allocation.png", dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(trials["trial"], trials["value"], "o", ms=4, alpha=0.6, label="trial")
    best = trials["value"].cummax() if maximise else trials["value"].cummin()
    ax.plot(trials["trial"], best, "-", label="best so far")
    for start, g in trials[trials["start"] != ""].groupby("start"):
        ax.plot(g["trial"], g["value"], "s", ms=8, label=start)
    ax.set(xlabel="trial", ylabel=f"mean {kpi} on the search seeds", title="Search history")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "history.png", dpi=110)
    plt.close(fig)


def _what(kpi: str) -> str:
    if kpi == GROUP_NPV:
        return ("The NPV of the focal store's dealer group (its stores' gross profit after "
                f"the programme's cash cost, discounted monthly; `{GROUP_NPV}`)")
    return f"Focal dealer's {kpi}"


def write_report(out: Path, *, args: dict[str, Any], trials: pd.DataFrame,
                 arms: dict[str, dict[str, float]], runs: pd.DataFrame, table: pd.DataFrame,
                 lines: Sequence[str], seconds: float) -> Path:
    """Markdown report beside the tables and plots."""
    kpi = args["kpi"]
    lines_md = [
        f"# Budget optimisation: {_fmt(args['budget'], 0)} k$ a year, {kpi}",
        "",
        f"{_what(kpi)} over the horizon, {args['trials']} Optuna trials (TPE, seed "
        f"{args['seed']}) scored on {args['replications']} paired replication seeds; the "
        f"winner and the reference allocations re-run on {args['confirm']} fresh paired "
        f"seeds. Market overrides: `{' '.join(args['overrides']) or '(default market)'}`. "
        f"Run time {seconds / 60:.1f} min.",
        "",
        "## Allocations (k$ a year)",
        "",
        "| line | " + " | ".join(arms) + " |",
        "|---|" + "---:|" * len(arms),
    ]
    for t in lines:
        lines_md.append(f"| {t} | " + " | ".join(_fmt(arms[a][t], 0) for a in arms) + " |")
    lines_md.append("| **total** | " + " | ".join(
        _fmt(sum(v for k, v in arms[a].items() if k != BAYS), 0) for a in arms) + " |")
    if any(BAYS in arms[a] for a in arms):
        lines_md.append(f"| extra {BAYS} (each {_fmt(args.get('bay_cost_k', 0.0), 0)} k$ a "
                        "year of the budget) | " + " | ".join(
                            _fmt(arms[a].get(BAYS, 0.0), 0) for a in arms) + " |")
    lines_md += [
        "",
        f"## {kpi} on fresh seeds (mean and 95 % Student-t interval)",
        "",
        f"| arm | {kpi} | lift over no programme | best minus this arm |",
        "|---|---:|---:|---:|",
    ]
    for r in table.itertuples():
        lines_md.append(
            f"| {r.arm} | {_fmt(r.mean)} [{_fmt(r.ci_low)}, {_fmt(r.ci_high)}] | "
            f"{_fmt(r.lift)} [{_fmt(r.lift_low)}, {_fmt(r.lift_high)}] | "
            f"{_fmt(r.best_minus_arm)} [{_fmt(r.best_minus_low)}, {_fmt(r.best_minus_high)}] |")
    other = [k for k in (*HEADLINE, "share", "investment_k") if k != kpi]
    means = runs.groupby("arm", sort=False)[other].mean()
    lines_md += [
        "",
        "## Other outcomes (means on the fresh seeds)",
        "",
        "| arm | " + " | ".join(other) + " |",
        "|---|" + "---:|" * len(other),
    ]
    for arm, row in means.iterrows():
        lines_md.append(f"| {arm} | " + " | ".join(_fmt(row[k], 2) for k in other) + " |")
    best = trials.loc[trials["value"].idxmax()] if args["maximise"] else \
        trials.loc[trials["value"].idxmin()]
    lines_md += [
        "",
        f"The best trial (#{int(best['trial'])}) scored {_fmt(best['value'])} on the search "
        "seeds; a winner is flattered by the seeds it was picked on, which is why the "
        "table above uses fresh ones. An interval of *best minus this arm* that covers 0 "
        "means the search found no allocation reliably better than that arm.",
        "",
        "![allocation](allocation.png)",
        "",
        "![history](history.png)",
        "",
    ]
    path = out / "report.md"
    path.write_text("\n".join(lines_md))
    return path


def comparison(runs: pd.DataFrame, kpi: str, level: float = 0.95) -> pd.DataFrame:
    """Per arm: mean KPI, lift over no programme and the best arm's edge, with intervals."""
    wide = runs.pivot(index="replication", columns="arm", values=kpi)
    rows = []
    for arm in dict.fromkeys(runs["arm"]):
        v = wide[arm].to_numpy()
        mean, lo, hi = t_interval(v, level)
        lift, llo, lhi = t_interval(v - wide["none"].to_numpy(), level)
        edge, elo, ehi = t_interval(wide["best"].to_numpy() - v, level) \
            if "best" in wide else (math.nan,) * 3
        rows.append({"arm": arm, "kpi": kpi, "mean": mean, "ci_low": lo, "ci_high": hi,
                     "lift": lift, "lift_low": llo, "lift_high": lhi,
                     "best_minus_arm": edge, "best_minus_low": elo, "best_minus_high": ehi,
                     "replications": len(v)})
    return pd.DataFrame(rows)


def trials_frame(study: Any, lines: Sequence[str]) -> pd.DataFrame:
    """One row per finished trial: number, value, its seeds' sd, allocation (k$/year)."""
    import optuna

    rows = []
    for t in study.trials:
        if t.state != optuna.trial.TrialState.COMPLETE:
            continue
        row = {"trial": t.number, "value": t.value, "sd": t.user_attrs.get("sd"),
               "start": t.user_attrs.get("start", "")}
        row.update({t_: t.user_attrs.get(f"k_{t_}", 0.0) for t_ in lines})
        rows.append(row)
    return pd.DataFrame(rows)
