"""P6: boat sales peak in spring (season opens in February; May ~16 % of a year's sales).

The boat preset (``industry=boat``) against the car preset: units sold per
calendar month, as a share of the year's sales, mean and 95 % interval over
replications. Months are the model's: month m covers weeks 52 m / 12 to
52 (m + 1) / 12 of each year, and a week that straddles two months is
shared between them by overlap. Beside it, the share of market *entries*
each month and the configured seasonal weights (``market.season``), which
the model applies to entries: sales follow entries with the lag of shopping
(a visit or two, a week each).

With ``calibrate_season`` the experiment also finds the entry weights that
make *sales* follow the configured profile (a fixed-point iteration,
w <- w x target / sales, on the same seeds) and reports them with a check
run; they are a recommendation for ``conf/industry/boat.yaml``.
"""

from __future__ import annotations

import calendar
from dataclasses import replace
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from cxsim.config import RunConfig
from cxsim.run import Outcomes, replication_seed, run_many, seeded, t_interval
from experiments.common import Report, compose_arms, params

MONTHS = [calendar.month_abbr[m] for m in range(1, 13)]


def week_to_month() -> np.ndarray:
    """(52, 12): the share of week w of a year that lies in month m."""
    edges = 52.0 * np.arange(13) / 12.0
    w = np.arange(52)[:, None]
    return np.clip(np.minimum(w + 1, edges[None, 1:]) - np.maximum(w, edges[None, :-1]),
                   0.0, 1.0)


def monthly(out: Outcomes) -> dict[str, np.ndarray]:
    """Units sold and market entries per calendar month, summed over the horizon."""
    model = out.model
    units = model.metrics.rows["units_sold"].sum(axis=1)
    entered = model.metrics.market["entered"]
    full = units.size // 52 * 52
    a = week_to_month()
    return {"units": units[:full].reshape(-1, 52).sum(axis=0) @ a,
            "entered": entered[:full].reshape(-1, 52).sum(axis=0) @ a}


def _season_runs(exp: Any, cfg: RunConfig, season: np.ndarray | None = None) -> np.ndarray:
    """Mean monthly sales share (%) over replications, with these entry weights."""
    if season is not None:
        cfg = replace(cfg)
        cfg.market = replace(cfg.market, season=[float(x) for x in season])
    seeds = [replication_seed(exp.base_seed, r) for r in range(exp.replications)]
    out = run_many([seeded(cfg, s) for s in seeds], jobs=exp.jobs, progress=exp.progress,
                   measure=monthly, desc="season")
    shares = np.array([100 * o["units"] / o["units"].sum() for o in out])
    return shares


def calibrate_season(exp: Any, cfg: RunConfig, iterations: int, report: Report
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Entry weights whose *sales* follow the configured profile; their sales shares."""
    target = np.asarray(cfg.market.season, float)
    target = 100 * target / target.sum()
    w = target.copy()
    history = []
    for i in range(iterations):
        sales = _season_runs(exp, cfg, w).mean(axis=0)
        history.append({"iteration": i, "max abs error (points)":
                        float(np.abs(sales - target).max()),
                        "May sales %": float(sales[4])})
        w = w * target / np.maximum(sales, 1e-9)
        w = 12 * w / w.sum()
    check = _season_runs(exp, cfg, w)
    m = check.mean(axis=0)
    history.append({"iteration": iterations, "max abs error (points)":
                    float(np.abs(m - target).max()), "May sales %": float(m[4])})
    report.table("season_calibration", pd.DataFrame(history), "Fixed-point iteration on "
                 "the entry weights (same seeds each time)")
    return w, check


def run(exp: Any, report: Report) -> None:
    p = params(exp)
    arms = compose_arms(exp)
    names = list(arms)
    seeds = [replication_seed(exp.base_seed, r) for r in range(exp.replications)]
    out = run_many([seeded(arms[a], s) for s in seeds for a in names], jobs=exp.jobs,
                   progress=exp.progress, measure=monthly)
    rows = []
    k = 0
    for r in range(exp.replications):
        for a in names:
            o = out[k]
            k += 1
            for mi in range(12):
                rows.append({"arm": a, "replication": r, "month": MONTHS[mi],
                             "sales_share": 100 * o["units"][mi] / o["units"].sum(),
                             "entry_share": 100 * o["entered"][mi] / o["entered"].sum()})
    runs = pd.DataFrame(rows)
    report.data("runs", runs)
    table = []
    for a in names:
        season = np.asarray(arms[a].market.season, float)
        for mi, month in enumerate(MONTHS):
            g = runs[(runs["arm"] == a) & (runs["month"] == month)]
            m, lo, hi = t_interval(g["sales_share"].to_numpy())
            table.append({"arm": a, "month": month, "sales %": m, "CI low": lo, "CI high": hi,
                          "entries %": g["entry_share"].mean(),
                          "configured %": 100 * season[mi] / season.sum()})
    table = pd.DataFrame(table)
    focus = p["arm"]
    report.table("monthly", table[table["arm"] == focus].drop(columns="arm"),
                 f"{focus}: share of a year's unit sales by month (mean and 95 % CI over "
                 f"{exp.replications} replications)", console=True)
    report.table("monthly_all", table, "", show=False)
    t = table[table["arm"] == focus].set_index("month")
    may = t.loc[p["peak_month"]]
    target = float(p["target_pct"])
    peak = t["sales %"].idxmax()
    inside = may["CI low"] <= target <= may["CI high"]
    report.headline(
        f"Boats: {p['peak_month']} carries {may['sales %']:.1f} % [{may['CI low']:.1f}, "
        f"{may['CI high']:.1f}] of a year's sales (MRAA: ~{target:g} %; "
        f"{'inside' if inside else 'outside'} the interval); peak month {peak}; "
        f"Jan {t.loc['Jan', 'sales %']:.1f} % -> Feb {t.loc['Feb', 'sales %']:.1f} % "
        "(season opens).", may_pct=may["sales %"], may_ci=[may["CI low"], may["CI high"]],
        peak_month=peak)
    if p.get("calibrate_season"):
        w, check = calibrate_season(exp, arms[focus], int(p["iterations"]), report)
        m = [t_interval(check[:, i]) for i in range(12)]
        report.table("recommended_season", pd.DataFrame({
            "month": MONTHS, "configured weight": np.asarray(arms[focus].market.season),
            "recommended entry weight": np.round(w, 2),
            "sales % with it": [x[0] for x in m], "CI low": [x[1] for x in m],
            "CI high": [x[2] for x in m]}),
            "Entry weights that make sales follow the configured profile", console=True)
        report.headline(
            f"With entry weights market.season=[{', '.join(f'{x:.2f}' for x in w)}] "
            f"(recommended for conf/industry/boat.yaml) May carries {m[4][0]:.1f} % "
            f"[{m[4][1]:.1f}, {m[4][2]:.1f}] of sales.", recommended_season=list(w),
            may_pct_recommended=m[4][0])
    report.text(
        "**Reading it.** The boat preset's seasonal weights (conf/industry/boat.yaml) "
        "decide when owners and first-time buyers *enter* the market; sales are what "
        "emerges after shopping, which takes a visit or two, about a week each, so the "
        "sales profile is the entry profile shifted slightly later and a little "
        "smoothed. The car preset is nearly flat for contrast.")
    _figure(table, names, report)


def _figure(table: pd.DataFrame, names: list[str], report: Report) -> None:
    fig, ax = plt.subplots(figsize=(8, 4))
    x = np.arange(12)
    width = 0.8 / len(names)
    for i, a in enumerate(names):
        t = table[table["arm"] == a]
        ax.bar(x + (i - (len(names) - 1) / 2) * width, t["sales %"], width=width,
               yerr=(t["CI high"] - t["sales %"]).fillna(0), capsize=2, label=f"{a} sales")
        ax.plot(x, t["configured %"], "k:" if i else "k--", lw=1,
                label=f"{a} configured season")
    ax.axhline(16, color="C3", lw=0.8)
    ax.text(-0.4, 16.3, "MRAA May ~16 %", color="C3", ha="left")
    ax.set_ylim(0, 19)
    ax.set_xticks(x, MONTHS)
    ax.set_ylabel("% of a year's unit sales")
    ax.set_title("Seasonality of sales")
    ax.legend(fontsize=8, loc="upper right")
    report.figure("boat_season", fig, "Monthly share of a year's unit sales (mean, 95 % CI), "
                  "with the configured seasonal entry weights.")
