"""Generic paired comparisons: any arms, any (scenario, baseline) pairs among them.

``params.comparisons`` maps a name to ``{scenario: <arm>, baseline: <arm>}``;
every arm runs on the same seeds (common random numbers), and each comparison
gets the full lift table (unit sales, service retention, NPS, revenue, profit,
ROI) with 95 % intervals. Used by ``programme_scenarios``: what is the
programme worth if a rival copies it, or if digital disruption collapses the
friction of switching?
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from cxsim.compare import arm_runs, lift_table, relative_lift
from experiments.common import Report, compose_arms, params, pretty_lift


def run(exp: Any, report: Report) -> None:
    p = params(exp)
    arms = compose_arms(exp)
    runs = arm_runs(arms, replications=exp.replications, base_seed=exp.base_seed,
                    jobs=exp.jobs, progress=exp.progress)
    report.data("runs", runs)
    rows, tables = [], []
    for name, c in p["comparisons"].items():
        t = lift_table(runs, baseline=c["baseline"], scenario=c["scenario"])
        t.insert(0, "comparison", name)
        tables.append(t)
        m, lo, hi = relative_lift(runs, "units_sold", baseline=c["baseline"],
                                  scenario=c["scenario"])
        k = t.set_index("kpi")
        rows.append({"comparison": name, "scenario": c["scenario"], "baseline": c["baseline"],
                     "units lift %": m, "CI low": lo, "CI high": hi,
                     "profit lift k$": k.loc["profit_k", "lift"],
                     "profit CI low": k.loc["profit_k", "ci_low"],
                     "profit CI high": k.loc["profit_k", "ci_high"],
                     "roi": k["lift"].get("roi", np.nan)})
        report.table(f"lift_{name}", pretty_lift(t.drop(columns="comparison")),
                     f"{name}: {c['scenario']} against {c['baseline']}",
                     console=name in p.get("console", []))
        pk = k.loc["profit_k"]
        report.headline(f"{name} ({c['scenario']} vs {c['baseline']}): focal unit sales "
                        f"{m:+.1f} % [{lo:+.1f}, {hi:+.1f}], profit "
                        f"{pk['lift']:+,.0f} k$ [{pk['ci_low']:+,.0f}, {pk['ci_high']:+,.0f}].",
                        **{f"{name}_pct": m})
    summary = pd.DataFrame(rows)
    report.data("lifts", pd.concat(tables, ignore_index=True))
    report.table("summary", summary, "All comparisons (focal dealer; 95 % CI over "
                 f"{exp.replications} paired replications)", console=True)
    if p.get("note"):
        report.text(p["note"])
    fig, ax = plt.subplots(figsize=(7, 0.6 * len(summary) + 1.5))
    ax.barh(summary["comparison"][::-1], summary["units lift %"][::-1],
            xerr=(summary["CI high"] - summary["units lift %"])[::-1], capsize=3)
    ax.axvline(0, color="k", lw=0.8)
    ax.set_xlabel("focal unit-sales lift, % (95 % CI)")
    report.figure(exp.name, fig, "Focal unit-sales lift of each comparison.")
