"""How much common random numbers narrow the interval of a lift, KPI by KPI.

The same comparison (baseline against ``cx_program``) twice: *paired*, both
arms of replication r on the same seed, and *independent*, the scenario arm on
seeds of its own (``cxsim.compare.arm_seeds(..., paired=False)``; the baseline
runs are shared, they are the same in both designs). Per KPI it reports the
correlation of the two arms across paired replications, the standard
deviation of the lift under each design, the ratio of interval widths, and an
F-law interval on the ratio of standard deviations.

Why a small experiment can mislead: the width of a t interval is proportional
to a *sample* standard deviation, which with 8 replications is itself very
uncertain (7 degrees of freedom). When the true ratio is modest, the
independent interval comes out narrower in a fair share of 8-replication
experiments by chance alone. The experiment estimates that share from
subsamples of 8 of its replications and from the F law, and says which KPIs
pairing helps little and why.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import stats

from cxsim.compare import arm_seeds, crn_efficiency
from cxsim.run import HEADLINE, run_many, seeded
from experiments.common import Report, compose_arms, params


def run(exp: Any, report: Report) -> None:
    p = params(exp)
    arms = compose_arms(exp)
    (base_name, base_cfg), (scen_name, scen_cfg) = list(arms.items())[:2]
    R = int(exp.replications)
    paired_seeds = arm_seeds(exp.base_seed, R, 2, paired=True)
    indep_seeds = arm_seeds(exp.base_seed, R, 2, paired=False)
    tasks = ([seeded(base_cfg, s) for s in paired_seeds[0]]
             + [seeded(scen_cfg, s) for s in paired_seeds[1]]
             + [seeded(scen_cfg, s) for s in indep_seeds[1]])
    out = run_many(tasks, jobs=exp.jobs, progress=exp.progress)
    base = [{"replication": r, "arm": "baseline", "seed": paired_seeds[0][r], **out[r]}
            for r in range(R)]
    scen_p = [{"replication": r, "arm": "scenario", "seed": paired_seeds[1][r],
               **out[R + r]} for r in range(R)]
    scen_i = [{"replication": r, "arm": "scenario", "seed": indep_seeds[1][r],
               **out[2 * R + r]} for r in range(R)]
    paired = pd.DataFrame(base + scen_p)
    independent = pd.DataFrame(base + scen_i)
    report.data("runs_paired", paired)
    report.data("runs_independent", independent)
    kpis = list(HEADLINE)
    eff = crn_efficiency(paired, independent, kpis=kpis)
    small = int(p["small_n"])
    rng = np.random.default_rng(int(p["subsample_seed"]))
    wp = paired.pivot(index="replication", columns="arm")
    wi = independent.pivot(index="replication", columns="arm")
    shares, analytic = [], []
    for k in kpis:
        dp = (wp[(k, "scenario")] - wp[(k, "baseline")]).to_numpy()
        di = (wi[(k, "scenario")] - wi[(k, "baseline")]).to_numpy()
        narrower = 0
        n_sub = int(p["subsamples"])
        for _ in range(n_sub):
            a = rng.choice(R, small, replace=False)
            b = rng.choice(R, small, replace=False)
            narrower += di[b].std(ddof=1) < dp[a].std(ddof=1)
        shares.append(narrower / n_sub)
        ratio2 = di.var(ddof=1) / dp.var(ddof=1) if dp.var(ddof=1) > 0 else np.inf
        analytic.append(float(stats.f.sf(ratio2, small - 1, small - 1))
                        if np.isfinite(ratio2) else 0.0)
    eff[f"P(indep. narrower) n={small}, subsamples"] = shares
    eff[f"P(indep. narrower) n={small}, F law"] = analytic
    report.table("crn_efficiency", eff, f"{scen_name} against {base_name}: paired (common "
                 f"random numbers) against independent seeds, {R} replications each",
                 console=True, digits=3)
    u = eff.set_index("kpi").loc["units_sold"]
    report.headline(
        f"Focal unit sales: the paired interval is {u['width_ratio']:.1f}x narrower than "
        f"the independent one at {R} replications (sd ratio {u['sd_ratio']:.2f}, 95 % CI "
        f"[{u['sd_ratio_low']:.2f}, {u['sd_ratio_high']:.2f}]; arms correlate "
        f"{u['corr']:.2f}), i.e. about {u['sd_ratio'] ** 2:.0f}x fewer replications for the "
        "same precision.", width_ratio=dict(zip(eff["kpi"], eff["width_ratio"], strict=True)),
        sd_ratio=dict(zip(eff["kpi"], eff["sd_ratio"], strict=True)),
        corr=dict(zip(eff["kpi"], eff["corr"], strict=True)))
    weak = eff.sort_values("sd_ratio").iloc[0]
    report.headline(
        f"Weakest gain: {weak['kpi']} (sd ratio {weak['sd_ratio']:.2f} "
        f"[{weak['sd_ratio_low']:.2f}, {weak['sd_ratio_high']:.2f}], arms correlate "
        f"{weak['corr']:.2f}); with "
        f"{small} replications the independent interval comes out narrower in "
        f"{weak[f'P(indep. narrower) n={small}, subsamples']:.0%} of experiments by chance.",
        weakest=weak["kpi"])
    scen = wp.xs("scenario", axis=1, level=1)
    basew = wp.xs("baseline", axis=1, level=1)
    mech = pd.DataFrame([{
        "arm": name, "nps sd": g["nps"].std(ddof=1),
        "mean wait h": g["mean_wait_hours"].mean(), "wait sd": g["mean_wait_hours"].std(ddof=1),
        "utilisation": g["utilisation"].mean(),
        "corr(nps, wait)": float(np.corrcoef(g["nps"], g["mean_wait_hours"])[0, 1]),
    } for name, g in (("baseline", basew), ("scenario", scen))])
    report.table("nps_mechanism", mech, "Where the scenario's own NPS variance comes from: "
                 "the focal service lane (across paired replications)")
    report.text(_explain(eff, mech, small))
    _figure(paired, independent, kpis, report)


def _explain(eff: pd.DataFrame, mech: pd.DataFrame, small: int) -> str:
    e = eff.set_index("kpi")
    m = mech.set_index("arm")
    return (
        "**Reading it.** Var(lift) = Var(S) + Var(B) - 2 Cov(S, B): pairing removes the "
        "part of each arm's variation that both arms share, and only that. Two things "
        "limit it here. (1) Most run-to-run variation in a dealer's sales is the luck of "
        "thousands of individual shopping and service events; keyed draws keep a "
        "customer's luck aligned between arms only while that customer does the same "
        "thing in both, and a programme that moves a quarter of the focal dealer's sales "
        "changes many customers' paths (who shops when, where, what they hear). So even "
        f"for unit sales the arms correlate {e.loc['units_sold', 'corr']:.2f}, not 0.99. "
        f"(2) NPS pairs worst (arms correlate {e.loc['nps', 'corr']:.2f}): the scenario's "
        f"NPS varies far more between seeds (sd {m.loc['scenario', 'nps sd']:.2f}) than "
        f"the baseline's ({m.loc['baseline', 'nps sd']:.2f}), because the programme's "
        "extra sales fill the focal dealer's service lane (utilisation "
        f"{m.loc['baseline', 'utilisation']:.2f} -> {m.loc['scenario', 'utilisation']:.2f}, "
        f"mean wait {m.loc['baseline', 'mean wait h']:.2f} -> "
        f"{m.loc['scenario', 'mean wait h']:.2f} h), where waits rise steeply and "
        "differently from seed to seed (correlation of NPS with the wait across "
        f"scenario replications {m.loc['scenario', 'corr(nps, wait)']:.2f}); that "
        "variance exists in one arm only, so no pairing can cancel it. NPS is also a "
        "ratio over respondents, and the programme changes who responds.\n\n"
        f"**The 8-replication surprise.** With {small} replications each standard "
        "deviation has 7 degrees of freedom: the ratio of two such estimates scatters by "
        "a factor of about 2 either way (F(7, 7) 95 % range 0.2-5 for the variance "
        "ratio). Where the true gain is modest (NPS, retention) the independent "
        "interval comes out narrower in the share of experiments shown in the last "
        "columns, by chance alone; for unit sales, revenue and profit it happens rarely. "
        "Judge pairing by the variance of lifts over many replications (this table), "
        "not by one small experiment.")


def _figure(paired: pd.DataFrame, independent: pd.DataFrame, kpis: list[str],
            report: Report) -> None:
    fig, axes = plt.subplots(1, len(kpis), figsize=(3.0 * len(kpis), 3.4))
    wp = paired.pivot(index="replication", columns="arm")
    wi = independent.pivot(index="replication", columns="arm")
    for ax, k in zip(axes, kpis, strict=True):
        dp = wp[(k, "scenario")] - wp[(k, "baseline")]
        di = wi[(k, "scenario")] - wi[(k, "baseline")]
        ax.boxplot([dp, di], tick_labels=["paired", "indep."], widths=0.6)
        ax.set_title(k, fontsize=9)
        ax.tick_params(labelsize=8)
    axes[0].set_ylabel("lift per replication")
    fig.suptitle("Spread of the lift: common random numbers vs independent seeds",
                 fontsize=10)
    report.figure("crn_efficiency", fig, "Lift of each replication under both designs; a "
                  "narrower box means a narrower interval for the same replications.")
