"""P1: a holistic programme lifts the focal dealer's unit sales by about +26 % in 3 years.

Calibration, then check:

1. *Calibrate.* The programme's profile across its lines (the current
   ``conf/investment/cx_program.yaml``) is kept and its overall strength, a
   factor on every k$ line, is searched so that the mean paired lift of focal
   unit sales over the horizon (3 years) on the calibration seeds equals the
   target (bracketing secant search; common random numbers make the lift a
   smooth function of the factor). The lift is never written anywhere: only
   the spend that produces it is.
2. *Record.* With ``write_defaults`` the calibrated spend is written as
   ``conf/investment`` files into the report folder
   (``<report>/conf/investment/cx_program.yaml`` and ``service_only.yaml`` with
   the same total), with a printed line saying how to adopt them; tracked
   files under ``conf/`` are never rewritten.
3. *Check.* Baseline against ``investment=cx_program`` with the calibrated
   lines on fresh seeds (``base_seed``), reporting every KPI's lift with its
   95 % interval and whether the mean unit-sales lift is within the tolerance.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from cxsim.compare import arm_runs, lift_table, relative_lift
from cxsim.programme import Programme
from cxsim.run import t_interval
from experiments.common import (
    Report,
    compose_arm,
    fmt,
    interval,
    params,
    pretty_lift,
)
from experiments.programmes import (
    as_overrides,
    read_programme,
    write_calibration,
)


def _lift_at(exp: Any, p: dict, lines: Programme, baseline: pd.DataFrame
             ) -> tuple[float, float, float, pd.DataFrame]:
    """Mean paired % lift of focal units with this programme (calibration seeds)."""
    cfg = compose_arm(exp, as_overrides("cx_program", lines))
    runs = arm_runs({"programme": cfg}, replications=p["calibration_replications"],
                    base_seed=p["calibration_seed"], jobs=exp.jobs, progress=exp.progress)
    both = pd.concat([baseline, runs], ignore_index=True)
    mean, lo, hi = relative_lift(both, "units_sold", baseline="baseline",
                                 scenario="programme")
    return mean, lo, hi, runs


def calibrate(exp: Any, p: dict, profile: Programme, report: Report
              ) -> tuple[float, pd.DataFrame]:
    """The factor on ``profile`` whose mean lift hits ``target_pct``; the search history."""
    target = float(p["target_pct"])
    baseline = arm_runs({"baseline": compose_arm(exp, exp.arms["baseline"])},
                        replications=p["calibration_replications"],
                        base_seed=p["calibration_seed"], jobs=exp.jobs,
                        progress=exp.progress)
    lo_s, hi_s = (float(x) for x in p["scale_bounds"])
    s = float(p["start_scale"])
    history: list[dict[str, float]] = []
    for _ in range(int(p["max_iterations"])):
        lines = profile.scaled(s, digits=1)
        mean, lo, hi, _ = _lift_at(exp, p, lines, baseline)
        history.append({"scale": s, "total_k_per_year": lines.cost_k,
                        "lift_pct": mean, "ci_low": lo, "ci_high": hi})
        if abs(mean - target) <= float(p["search_tolerance_pct"]):
            break
        below = [h for h in history if h["lift_pct"] < target]
        above = [h for h in history if h["lift_pct"] > target]
        if below and above:  # regula falsi inside the tightest bracket
            a = max(below, key=lambda h: h["lift_pct"])
            b = min(above, key=lambda h: h["lift_pct"])
            w = (target - a["lift_pct"]) / (b["lift_pct"] - a["lift_pct"])
            s = a["scale"] + w * (b["scale"] - a["scale"])
        elif len(history) >= 2:  # secant through the last two points, kept in bounds
            h1, h2 = history[-2], history[-1]
            slope = (h2["lift_pct"] - h1["lift_pct"]) / (h2["scale"] - h1["scale"])
            s = h2["scale"] + (target - h2["lift_pct"]) / slope if slope > 0 else s * 2
        else:  # proportional first step
            s = s * target / mean if mean > 0 else s * 2
        s = float(min(max(s, lo_s), hi_s))
        if any(abs(h["scale"] - s) < 1e-4 for h in history):
            break  # a bound or a repeated point: nothing more to learn
    hist = pd.DataFrame(history)
    best = hist.iloc[(hist["lift_pct"] - target).abs().argmin()]
    report.table("calibration", hist.rename(columns={
        "scale": "factor", "total_k_per_year": "k$/year", "lift_pct": "lift %",
        "ci_low": "CI low", "ci_high": "CI high"}),
        f"Calibration search ({p['calibration_replications']} replications per point, "
        f"base seed {p['calibration_seed']}; target {target:g} %)")
    return float(best["scale"]), hist


def run(exp: Any, report: Report) -> None:
    p = params(exp)
    target, tol = float(p["target_pct"]), float(p["tolerance_pct"])
    profile = read_programme("cx_program")
    if profile.cost_k <= 0:
        raise ValueError("conf/investment/cx_program.yaml spends nothing: no profile to scale")
    programme_arm = ["investment=cx_program"]
    hist = None
    if p["calibrate"]:
        scale, hist = calibrate(exp, p, profile, report)
        lines = profile.scaled(scale, digits=0)
        total = lines.cost_k
        report.text(
            f"The search kept the profile of the programme and found a factor of "
            f"{scale:.3f} on the previous lines: **{fmt(total)} k$ a year** in all "
            f"({', '.join(f'{k} {v:g}' for k, v in lines.spend.items())}).")
        programme_arm = as_overrides("cx_program", lines)
        if p["write_defaults"]:
            note = [f"Last calibration: factor {scale:.4f} on the lines of "
                    "conf/investment/cx_program.yaml (1 = already calibrated),",
                    f"{p['calibration_replications']} replications from base seed "
                    f"{p['calibration_seed']}, model overrides: "
                    f"{' '.join([*exp.common, *exp.model]) or '(none)'}."]
            _record(lines, note, report)
        report.text("The check below runs `investment=cx_program` with the calibrated "
                    "lines as overrides.")
    arms = {"baseline": compose_arm(exp, exp.arms["baseline"]),
            "cx_program": compose_arm(exp, programme_arm)}
    total = Programme.from_config(arms["cx_program"]).cost_k
    runs = arm_runs(arms, replications=exp.replications, base_seed=exp.base_seed,
                    jobs=exp.jobs, progress=exp.progress)
    report.data("runs", runs)
    table = lift_table(runs, baseline="baseline", scenario="cx_program")
    report.data("lift", table)
    mean, lo, hi = relative_lift(runs, "units_sold", baseline="baseline", scenario="cx_program")
    ok = abs(mean - target) <= tol
    years = exp_years(runs)
    report.headline(
        f"Focal unit sales {mean:+.1f} % [{lo:+.1f}, {hi:+.1f}] over {years} years with "
        f"the calibrated programme ({fmt(total)} k$/year; mean of {exp.replications} "
        f"replications on fresh seeds): {'within' if ok else 'OUTSIDE'} "
        f"{target:g} +- {tol:g} points.",
        lift_pct=mean, ci_low=lo, ci_high=hi, within_tolerance=ok,
        total_k_per_year=total, spend=dict(Programme.from_config(arms["cx_program"]).spend))
    roi = table.set_index("kpi").loc["roi"] if "roi" in set(table["kpi"]) else None
    if roi is not None:
        report.headline(f"ROI (extra profit net of the programme per k$ invested) "
                        f"{interval(roi['lift'], roi['ci_low'], roi['ci_high'], 2)}.",
                        roi=roi["lift"])
    report.table("lift_pretty", pretty_lift(table),
                 f"Lift of the programme at the focal dealer ({exp.replications} paired "
                 "replications, 95 % t intervals)", console=True)
    _figures(runs, hist, target, tol, report)
    report.text(
        "How to read it: the lift is the programme arm minus the baseline arm of the same "
        "replication (same customers, network and random streams), averaged over "
        "replications; `roi` = (profit with - profit without) / (investment with - without), "
        "profit already net of the programme's cost, so 0 means it pays for itself.")


def _record(lines: Programme, note: list[str], report: Report) -> None:
    """Write the calibrated programme as conf files into the report folder; say how to
    adopt them (tracked files under ``conf/`` are never rewritten)."""
    folder = Path(report.out) / "conf" / "investment"
    written = write_calibration(lines, note, folder)
    how = (f"Calibrated programme written to {written[0]} and (same total) {written[1]}; "
           f"to make it the default: cp {folder}/*.yaml conf/investment/")
    print(how, flush=True)
    report.text(f"Calibrated programme written to `{written[0].name}` and (same total) "
                f"`{written[1].name}` in `{folder.relative_to(report.out)}/` of this "
                "report; to make it the default, copy both to `conf/investment/`.")


def exp_years(runs: pd.DataFrame) -> int:
    return sum(1 for c in runs.columns if c.startswith("units_y"))


def _figures(runs: pd.DataFrame, hist: pd.DataFrame | None, target: float, tol: float,
             report: Report) -> None:
    years = exp_years(runs)
    fig, axes = plt.subplots(1, 2 if hist is not None else 1, figsize=(11, 4),
                             squeeze=False)
    ax = axes[0, 0]
    w = runs.pivot(index="replication", columns="arm")
    x = np.arange(1, years + 1)
    for arm, color, dx in (("baseline", "0.5", -0.18), ("cx_program", "C0", 0.18)):
        stats_ = [t_interval(w[(f"units_y{y}", arm)].to_numpy()) for y in x]
        m = np.array([s[0] for s in stats_])
        err = np.array([s[2] - s[0] for s in stats_])
        ax.bar(x + dx, m, width=0.36, yerr=np.nan_to_num(err), color=color, label=arm,
               capsize=3)
    ax.set_xticks(x, [f"year {y}" for y in x])
    ax.set_ylabel("focal dealer units sold")
    ax.set_title("Units per year (mean, 95 % CI)")
    ax.set_ylim(0, ax.get_ylim()[1] * 1.2)
    ax.legend(loc="upper left", ncols=2)
    if hist is not None:
        ax = axes[0, 1]
        h = hist.sort_values("total_k_per_year")
        ax.errorbar(h["total_k_per_year"], h["lift_pct"],
                    yerr=[h["lift_pct"] - h["ci_low"], h["ci_high"] - h["lift_pct"]],
                    fmt="o-", capsize=3)
        ax.axhspan(target - tol, target + tol, color="C2", alpha=0.15,
                   label=f"target {target:g} +- {tol:g}")
        ax.axhline(target, color="C2")
        ax.set_xlabel("programme k$ a year")
        ax.set_ylabel(f"focal unit-sales lift over {years} y, %")
        ax.set_title("Calibration search")
        ax.legend()
    report.figure("disney_lift", fig, "Left: focal dealer's unit sales per year with and "
                  "without the programme. Right: the calibration search (lift against "
                  "yearly spend).")



