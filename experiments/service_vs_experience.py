"""P2: the same budget on the service department alone lifts less than the holistic programme.

Arms (paired on common random numbers): the baseline market, the holistic
``cx_program``, ``service_only`` (the same k$ a year on service, parts and
communication) and, for scale, the small ``communication`` programme. The
lift of each arm against the baseline is reported with 95 % intervals, and
so is the *difference* holistic - service-only, taken per replication
(both arms on the same seed), which is what the pattern is about.

With ``variants`` the service-only money is also split other ways (all on
service; service and communication; thirds plus extra bays), so the finding
does not hang on one way of spending a service budget.

Mechanism columns (conversion per showroom visit, loyalty, service retention,
online rating, positive word of mouth, waits) show *why* the arms differ.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from cxsim.compare import arm_runs, lift_table, relative_lift, t_interval
from cxsim.programme import Programme
from experiments.common import (
    Report,
    compose_arm,
    compose_arms,
    fmt,
    params,
    pretty_lift,
)
from experiments.programmes import as_overrides, service_split

MECHANISM = ("units_sold", "visits", "conversion", "loyalty", "loyalty_if_serviced",
             "loyalty_if_not_serviced", "service_retention", "online_rating",
             "customer_rating", "nps", "wom_positive", "wom_negative", "mean_wait_hours",
             "utilisation", "investment_k", "profit_k")


def variant_arms(exp: Any, total: float, variants: dict[str, dict]) -> dict[str, Any]:
    """Service-only programmes at the same ``total`` k$/year, split other ways."""
    out = {}
    bay_cost_k = compose_arm(exp, []).dealers.bay_cost_k
    for name, v in variants.items():
        bays = int(v.get("extra_bays", 0))
        split = {k: float(x) for k, x in v.items() if k != "extra_bays"}
        money = total - bay_cost_k * bays
        out[name] = compose_arm(exp, as_overrides("service_only",
                                                  service_split(money, split, bays)))
    return out


def run(exp: Any, report: Report) -> None:
    p = params(exp)
    hol, svc = p["holistic"], p["service"]
    arms = compose_arms(exp)
    cost = {a: Programme.from_config(c).cost_k for a, c in arms.items()}
    total = cost[hol]
    if abs(cost[svc] - total) > 0.5:
        raise ValueError(f"{svc} costs {cost[svc]:g} k$/year, "
                         f"{hol} {total:g}: the comparison needs equal budgets")
    if p.get("variants"):
        arms.update(variant_arms(exp, total, p["variants"]))
    runs = arm_runs(arms, replications=exp.replications, base_seed=exp.base_seed,
                    jobs=exp.jobs, progress=exp.progress)
    years = sum(1 for c in runs.columns if c.startswith("units_y"))
    runs["units_3y"] = runs[[f"units_y{y}" for y in range(1, min(3, years) + 1)]].sum(axis=1)
    report.data("runs", runs)

    # Each arm against the baseline.
    rows, tables = [], {}
    for arm in arms:
        if arm == "baseline":
            continue
        t = lift_table(runs, baseline="baseline", scenario=arm)
        tables[arm] = t
        m, lo, hi = relative_lift(runs, "units_sold", baseline="baseline", scenario=arm)
        m3, lo3, hi3 = relative_lift(runs, "units_3y", baseline="baseline", scenario=arm)
        roi = t.set_index("kpi")["lift"].get("roi", np.nan)
        rows.append({"arm": arm, "k$/year": Programme.from_config(arms[arm]).cost_k,
                     "lift_pct": m, "ci_low": lo, "ci_high": hi,
                     "lift_pct_3y": m3, "ci_low_3y": lo3, "ci_high_3y": hi3, "roi": roi})
    summary = pd.DataFrame(rows)
    report.table("arms", summary.rename(columns={
        "lift_pct": f"units lift % ({years} y)", "ci_low": "CI low", "ci_high": "CI high",
        "lift_pct_3y": "units lift % (3 y)", "ci_low_3y": "CI low (3 y)",
        "ci_high_3y": "CI high (3 y)", "roi": "ROI"}),
        "Focal unit-sales lift of each arm against the baseline "
        f"(mean % over {exp.replications} paired replications, 95 % CI)",
                 console=True)
    for arm in (hol, svc):
        report.table(f"lift_{arm}", pretty_lift(tables[arm]),
                     f"{arm} against the baseline", console=True)

    # The difference the pattern is about, per replication on the same seed.
    diff = lift_table(runs, baseline=svc, scenario=hol)
    report.table("difference", pretty_lift(diff).rename(columns={
        "baseline": svc, "scenario": hol, "lift": "difference",
        "lift %": "difference %", "95 % CI of lift": "95 % CI of difference"}),
        f"{hol} minus {svc} at equal budget ({fmt(total)} k$/year)", console=True)
    w = runs.pivot(index="replication", columns="arm")["units_sold"]
    pts = 100.0 * (w[hol] - w[svc]) / w["baseline"]
    d, dlo, dhi = t_interval(pts.to_numpy())
    m_h = summary.set_index("arm").loc[hol]
    m_s = summary.set_index("arm").loc[svc]
    excludes = dlo > 0 or dhi < 0
    report.headline(
        f"At equal budget ({fmt(total)} k$/year, {years} years): holistic "
        f"{m_h.lift_pct:+.1f} % [{m_h.ci_low:+.1f}, {m_h.ci_high:+.1f}] focal unit sales, "
        f"service-only {m_s.lift_pct:+.1f} % [{m_s.ci_low:+.1f}, {m_s.ci_high:+.1f}]; "
        f"difference {d:+.1f} points [{dlo:+.1f}, {dhi:+.1f}]"
        f" ({'excludes' if excludes else 'does NOT exclude'} zero).",
        holistic_pct=m_h.lift_pct, service_only_pct=m_s.lift_pct, difference_points=d,
        difference_ci=[dlo, dhi], excludes_zero=bool(excludes), budget_k=total)
    if p.get("variants"):
        var = summary[summary["arm"].isin(list(p["variants"]))]
        best = var.loc[var["lift_pct"].idxmax()] if len(var) else None
        if best is not None:
            wb = 100.0 * (w[hol] - w[best["arm"]]) / w["baseline"]
            bd, blo, bhi = t_interval(wb.to_numpy())
            report.headline(
                f"Best other way to spend the service budget ({best['arm']}): "
                f"{best['lift_pct']:+.1f} %; holistic still ahead by {bd:+.1f} points "
                f"[{blo:+.1f}, {bhi:+.1f}].", best_variant=best["arm"],
                best_variant_gap=bd)

    # Why: the mechanism columns, mean per arm.
    mech = runs.groupby("arm", sort=False)[[c for c in MECHANISM if c in runs]].mean()
    mech = mech.reset_index()
    report.table("mechanism", mech, "Mechanism: focal dealer, mean over replications "
                 "(conversion = units per showroom visit; loyalty = share of its owners "
                 "who bought again there; utilisation of its service lane)")
    report.text(_explain(mech, hol, svc))
    _figure(runs, list(arms), years, report)


def _explain(mech: pd.DataFrame, hol: str, svc: str) -> str:
    """The mechanism table in words: each path from money to sales, measured."""
    m = mech.set_index("arm")
    b, h, s = m.loc["baseline"], m.loc[hol], m.loc[svc]

    def d(col: str, arm: pd.Series, scale: float = 1.0, digits: int = 2) -> str:
        return f"{scale * (arm[col] - b[col]):+.{digits}f}"

    return (
        "**Why (measured, against the baseline; holistic vs service-only).** "
        "(1) *The showroom.* A purchase is decided at the visit, by the digital and "
        "sales moments, and remembered by its peak and end (finance, hand-offs, "
        "delivery). The holistic programme raises the conversion of showroom visits by "
        f"{d('conversion', h, 100, 1)} points, service-only by {d('conversion', s, 100, 1)}. "
        "(2) *Reputation.* Both raise attitudes, word of mouth and the online rating, "
        f"which bring more showroom visits: {d('visits', h, 1, 0)} vs {d('visits', s, 1, 0)} "
        f"(positive talk {d('wom_positive', h, 1, 0)} vs {d('wom_positive', s, 1, 0)}, "
        f"online rating {d('online_rating', h)} vs {d('online_rating', s)}). Service "
        "visits are the most frequent episodes (about 2.3 a year against one purchase "
        "in six years), so service money buys at least as much talk; but talk only "
        "brings people to the showroom, where the holistic dealer converts more of them. "
        "(3) *The service relationship.* Servicing at the dealer adds a loyalty bonus "
        "at the next purchase (Cox 2025: 74 % vs 44 %). Service retention rises "
        f"{d('service_retention', h, 100, 1)} vs {d('service_retention', s, 100, 1)} points, "
        "so this path reaches only a few per cent more owners, and only when their "
        "replacement comes up (about every six years), whereas the holistic dealer's "
        f"owners come back more because their purchase was remembered better (loyalty "
        f"{d('loyalty', h, 100, 1)} vs {d('loyalty', s, 100, 1)} points). "
        "Engagement and consistency, which the holistic programme buys and no "
        "departmental budget does, raise every touchpoint at once and cut failed "
        "hand-offs. Both programmes fill the focal service lane (utilisation "
        f"{b['utilisation']:.2f} -> {h['utilisation']:.2f} holistic, {s['utilisation']:.2f} "
        f"service-only; mean wait {b['mean_wait_hours']:.2f} -> {h['mean_wait_hours']:.2f} h "
        f"vs {s['mean_wait_hours']:.2f} h): the holistic one with the owners of its extra "
        "sales, service-only with the owners it retains. The wait is the worst moment of "
        "a busy lane, so part of either NPS gain is lost there; extra bays, not better "
        "service, shorten it (the thirds_plus_bays variant).\n\n"
        "**Caveat (the size of P2).** In this model a recent service relationship raises "
        f"repurchase at the dealer from {100 * b['loyalty_if_not_serviced']:.0f} % to "
        f"{100 * b['loyalty_if_serviced']:.0f} % (baseline), well short of Cox 2025's "
        "44 % -> 74 % (expected). The service bond enters only the choice of which dealer "
        "to visit first, not the decision to buy there or the final choice among the "
        "dealers visited, so with about half of visits converting, loyalty cannot "
        "approach 74 % however strong the bond (raising `choice.service_bond` from 2.5 "
        "to 6 leaves it near 50 %). The service path is therefore weaker than the "
        "evidence suggests, and the gap between the two programmes partly reflects "
        "that. The model change that would let this path reach Cox's figure: let the "
        "loyalty bonus also enter the decision to buy at the selling dealer (and the "
        "final choice among the dealers visited), then calibrate it to 74 % vs 44 %.")


def _figure(runs: pd.DataFrame, arms: list[str], years: int, report: Report) -> None:
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 4.2))
    w = runs.pivot(index="replication", columns="arm")
    others = [a for a in arms if a != "baseline"]
    means, errs = [], []
    for arm in others:
        m, lo, hi = relative_lift(runs, "units_sold", baseline="baseline", scenario=arm)
        means.append(m)
        errs.append(hi - m)
    colors = ["C0" if a == "cx_program" else "C2" if a == "communication" else "C1"
              for a in others]
    a1.barh(others[::-1], means[::-1], xerr=np.nan_to_num(errs[::-1]), color=colors[::-1],
            capsize=3)
    a1.axvline(0, color="k", lw=0.8)
    a1.set_xlabel(f"focal unit-sales lift over {years} y, % (95 % CI)")
    a1.set_title("Equal budget: where the money goes")
    x = np.arange(1, years + 1)
    for arm in others:
        pct = [100 * np.mean((w[(f"units_y{y}", arm)] - w[(f"units_y{y}", "baseline")])
                             / w[(f"units_y{y}", "baseline")]) for y in x]
        a2.plot(x, pct, "o-", label=arm)
    a2.axhline(0, color="k", lw=0.8)
    a2.set_xticks(x, [f"year {y}" for y in x])
    a2.set_ylabel("unit-sales lift in that year, %")
    a2.set_title("How the lift builds up")
    a2.legend(fontsize=8)
    report.figure("service_vs_experience", fig, "Left: lift of each arm over the whole "
                  "horizon. Right: lift year by year (mean over replications).")
