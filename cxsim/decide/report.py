"""The decision report: ``report.md``, ``cashflow.png`` and Parquet tables."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from cxsim.appraisal import value
from cxsim.decide.options import STATUS_QUO, Options
from cxsim.decide.runs import Results
from cxsim.results import write_parquet
from cxsim.run import t_interval

COLUMNS = (("extra_units", "extra units", 0), ("extra_revenue_k", "extra revenue k$", 0),
           ("profit_after_cost_k", "profit after cost k$", 0), ("roi", "ROI", 2),
           ("npv_k", "NPV k$", 0), ("terminal_k", "terminal value k$", 0))


def _n(x: float, digits: int = 0, sign: bool = True) -> str:
    if x is None or not math.isfinite(x):
        return "n/a"
    return f"{x:+,.{digits}f}" if sign else f"{x:,.{digits}f}"


def _ci(summary: pd.DataFrame, unit: str, metric: str, digits: int = 0) -> str:
    mean, lo, hi = value(summary, unit, metric)
    if not math.isfinite(lo):
        return _n(mean, digits)
    return f"{_n(mean, digits)} [{_n(lo, digits)}, {_n(hi, digits)}]"


def _payback(summary: pd.DataFrame, unit: str) -> str:
    month = value(summary, unit, "payback_month")[0]
    share = value(summary, unit, "p_payback")[0]
    when = "not within the horizon" if math.isnan(month) else (
        "never out of pocket" if month == 0 else f"month {month:.0f}")
    return f"{when} ({share:.0%} of replications pay back)"


def _loss(summary: pd.DataFrame, unit: str) -> str:
    p, lo, hi = value(summary, unit, "p_loss")
    return f"{p:.0%} (MC {lo:.0%}–{hi:.0%})"


def _row(summary: pd.DataFrame, unit: str, label: str) -> str:
    cells = [_ci(summary, unit, m, d) for m, _, d in COLUMNS]
    return f"| {label} | " + " | ".join(cells) + \
        f" | {_payback(summary, unit)} | {_loss(summary, unit)} |"


HEADER = ("| | " + " | ".join(h for _, h, _ in COLUMNS) + " | payback | P(loss) |\n"
          + "|---" * (len(COLUMNS) + 3) + "|")


def ranking(options: Options, results: Results) -> list[str]:
    """The options ranked by the deciding unit's NPV, in plain words."""
    unit, a = options.unit, results.appraisals
    order = sorted(a, key=lambda k: -value(a[k].summary, unit, "npv_k")[0])
    who = unit.removeprefix("group:")
    sq = options.arms[STATUS_QUO]
    lines = [f"For **{who}**, over {sq.market.years:g} years at a discount rate of "
             f"{sq.economics.discount_rate:.0%} (NPV of the extra cash flow against the "
             "status quo; terminal value apart):", ""]
    for i, k in enumerate(order, 1):
        s = a[k].summary
        lines.append(f"{i}. **{k}**: NPV {_ci(s, unit, 'npv_k')} k$, profit after cost "
                     f"{_ci(s, unit, 'profit_after_cost_k')} k$, ROI "
                     f"{_ci(s, unit, 'roi', 2)}; payback {_payback(s, unit)}; "
                     f"chance of a loss {_loss(s, unit)}; owners won by the horizon worth "
                     f"{_ci(s, unit, 'terminal_k')} k$ more (NPV with it: "
                     f"{_ci(s, unit, 'npv_with_terminal_k')} k$).")
    if len(order) > 1:
        first, second = order[0], order[1]
        r1 = a[first].replications.query("unit == @unit").sort_values("replication")
        r2 = a[second].replications.query("unit == @unit").sort_values("replication")
        gap = r1["npv_k"].to_numpy() - r2["npv_k"].to_numpy()
        mean, lo, hi = t_interval(gap)
        clear = lo > 0
        lines += ["", f"**{first}** leads **{second}** by {_n(mean)} k$ of NPV "
                  f"(95 % interval {_n(lo)} to {_n(hi)}, paired on the same seeds): "
                  + ("a clear lead at this precision." if clear else
                     "not a clear lead at this precision; more replications or a larger "
                     "sample would separate them, or they are close.")]
    best = value(a[order[0]].summary, unit, "npv_k")[0]
    if best < 0:
        lines += ["", "No option beats the status quo in expectation: keeping the money "
                  "is the better choice on these numbers."]
    return lines


def plot_cashflow(path: Path, options: Options, results: Results) -> Path:
    """Cumulative cash flow of the deciding unit per option, with 95 % bands."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5))
    for i, (arm, a) in enumerate(results.appraisals.items()):
        m = a.monthly[a.monthly["unit"] == options.unit]
        ax.plot(m["month"], m["cumulative_k"], color=f"C{i}", label=arm)
        ax.fill_between(m["month"], m["ci_low"], m["ci_high"], color=f"C{i}", alpha=0.2,
                        lw=0)
    ax.axhline(0, color="grey", lw=0.8)
    ax.set(xlabel="month", ylabel="k$ (cumulative, undiscounted)",
           title=f"{options.unit.removeprefix('group:')}: cumulative extra cash flow "
                 "against the status quo\n(mean and 95 % interval over paired replications)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _options_table(options: Options) -> list[str]:
    out = ["| arm | stores | spend k$/yr | extra bays | once k$ | running k$/yr |",
           "|---|---|---|---|---|---|"]
    for arm, p in options.programmes.items():
        lines = ", ".join(f"{k} {v:g}" for k, v in p.spend.items() if v) or "–"
        stores = ", ".join(options.stores[arm]) if p.funds_anything or p.one_off_cost_k \
            or p.yearly_k else "–"
        out.append(f"| {arm} | {stores} | {lines} | {p.extra_bays} | "
                   f"{_n(p.one_off_cost_k, 0, False)} | {_n(p.running_k, 0, False)} |")
    return out


def parameter_share(values: np.ndarray, replications: np.ndarray) -> float:
    """The share of an interval's width that parameter uncertainty makes: 1 - (spread
    within pairs of replications sharing a parameter set) / (spread over all).

    Replications ``2k`` and ``2k + 1`` share draw ``k``; their half squared difference
    estimates the variance of luck alone; the interval's width goes with the sd.

    >>> parameter_share(np.array([0.0, 0.2, 10.0, 10.2]), np.arange(4))
    0.98
    """
    order = np.argsort(replications)
    x, r = np.asarray(values, float)[order], np.asarray(replications)[order]
    pairs = [(a, b) for a, b, ra, rb in zip(x[:-1], x[1:], r[:-1], r[1:], strict=True)
             if ra // 2 == rb // 2 and ra != rb]
    if len(pairs) < 2 or len(x) < 3:
        return math.nan
    luck = float(np.mean([(a - b) ** 2 / 2 for a, b in pairs]))
    total = float(np.var(x, ddof=1))
    if total <= 0:
        return 0.0
    return round(1.0 - math.sqrt(min(1.0, luck / total)), 2)


SHARE_COLUMNS = (("extra_units", "extra units"), ("profit_after_cost_k", "profit after cost"),
                 ("npv_k", "NPV"))


def _uncertainty(options: Options, results: Results) -> list[str]:
    unit = options.unit
    md = ["## Parameter uncertainty", "",
          f"The market is calibrated (`{options.calibrated}`): each pair of replications "
          "ran one parameter set drawn from its posterior, so the intervals above include "
          "what the history leaves unknown. Share of each interval's width that comes from "
          f"the parameters, for {unit.removeprefix('group:')} (the rest is the luck of "
          "the simulated sample and market):", "",
          "| option | " + " | ".join(h for _, h in SHARE_COLUMNS) + " |",
          "|---" * (len(SHARE_COLUMNS) + 1) + "|"]
    for arm, a in results.appraisals.items():
        reps = a.replications[a.replications["unit"] == unit]
        cells = [parameter_share(reps[m].to_numpy(), reps["replication"].to_numpy())
                 for m, _ in SHARE_COLUMNS]
        md.append(f"| {arm} | " + " | ".join("n/a" if math.isnan(c) else f"{c:.0%}"
                                             for c in cells) + " |")
    return [*md, ""]


def write_report(out: Path, options: Options, results: Results, seconds: float) -> Path:
    """Every file of the report folder."""
    tables = {"summary": [], "monthly": [], "replications": []}
    for arm, a in results.appraisals.items():
        tables["summary"].append(a.summary.assign(option=arm))
        tables["monthly"].append(a.monthly.assign(option=arm))
        tables["replications"].append(a.replications.assign(option=arm))
    for name, frames in tables.items():
        write_parquet(pd.concat(frames, ignore_index=True), out / f"{name}.parquet")
    weekly = pd.concat([w.assign(arm=k) for k, w in results.weekly.items()], ignore_index=True)
    write_parquet(weekly, out / "weekly.parquet")
    if results.draws is not None:
        write_parquet(results.draws, out / "draws.parquet")
    plot_cashflow(out / "cashflow.png", options, results)
    sq = options.arms[STATUS_QUO]
    stores = sq.dealers.dealers
    w = sq.market.households / sq.sample.customers
    md = [f"# Decision: {options.name}", ""]
    if options.question:
        md += [f"> {options.question}", ""]
    md += [f"Options file `{options.source}`. Market: {len(stores)} stores ("
           + ", ".join(f"{d.name}{' – ' + d.group if d.group else ''}" for d in stores)
           + f"), {sq.market.households:,.0f} households simulated by "
           f"{sq.sample.customers:,} customers (w = {w:.2f}); horizon "
           f"{sq.market.years:g} years; {results.replications} paired replications from "
           f"base seed {options.seed} (every arm on the same seeds); run time "
           f"{seconds:.0f} s.", "", "## Options", "", *_options_table(options), "",
           "## Ranking", "", *ranking(options, results), "",
           "![cumulative cash flow](cashflow.png)", "",
           f"## {options.unit.removeprefix('group:')}: each option's P&L against the "
           "status quo", "", HEADER]
    md += [_row(a.summary, options.unit, arm) for arm, a in results.appraisals.items()]
    if results.draws is not None:
        md += ["", *_uncertainty(options, results)]
    for arm, a in results.appraisals.items():
        md += ["", f"## {arm}: per store and group", "", HEADER]
        units = list(dict.fromkeys(a.summary["unit"]))
        md += [_row(a.summary, u, u) for u in units]
        mine = set(options.stores[arm])
        for g in (u for u in units if u.startswith("group:")):
            members = [d.name for d in stores if f"group:{d.group}" == g]
            others = [s for s in members if s not in mine]
            if others and mine & set(members):
                lost = sum(value(a.summary, s, "profit_after_cost_k")[0] for s in others)
                md += ["", f"Cannibalisation in {g.removeprefix('group:')}: its stores "
                       f"without the programme ({', '.join(others)}) change by "
                       f"{_n(lost)} k$ of profit."]
    md += ["", "## How to read this", "",
           "Every figure is the option minus the status quo on the same replication seeds "
           "(common random numbers), in real units; brackets are 95 % intervals over "
           "replications. Profit after cost is extra gross profit (sales and service) less "
           "the programme's cash cost (spend, bays' running cost and capital, one-off and "
           "yearly items). ROI = profit after cost / cost. NPV discounts monthly cash flows "
           "at the discount rate (end of month). Terminal value: owners won or lost by the "
           "horizon times their expected future service and repurchase margin, "
           "discounted; not in NPV. P(loss) is the chance the real market's NPV is below 0, "
           "from the replications' spread rescaled to the real number of households; "
           "'MC' is its range across the Monte Carlo error of the mean (docs/ODD.md §10, "
           "Money).", ""]
    (out / "report.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    return out / "report.md"


def summary_line(options: Options, results: Results) -> str:
    """One line for the terminal: the top option for the deciding unit."""
    a = results.appraisals
    top = max(a, key=lambda k: value(a[k].summary, options.unit, "npv_k")[0])
    npv = value(a[top].summary, options.unit, "npv_k")
    return (f"best for {options.unit.removeprefix('group:')}: {top} "
            f"(NPV {_n(npv[0])} k$, 95 % {_n(npv[1])} to {_n(npv[2])})")

