"""An exploration's report folder: tables, PRIM boxes, robust choice, plots, report.md.

* ``experiments.parquet``, ``outcomes.parquet``: EMA Workbench's layout
  (:mod:`cxsim.explore.layout`); ``scenarios.parquet``: one row per scenario;
* ``boxes.json``: per option, PRIM's boxes of failure (limits, coverage,
  density, mass, sentence); ``pays_boxes.json``: for an option that fails in
  most scenarios, the boxes where it pays back; ``feature_scores.parquet``: per option, how much
  each uncertainty sorts failure from success;
* ``regret.parquet``: regret per scenario and arm; ``robust.parquet``: per arm
  the robust-choice summary;
* ``plots/prim_<option>.png``: PRIM's peeling trajectory and the kept box;
  ``plots/robust_choice.png``: maximum regret and the share meeting the threshold;
* ``report.md``, ``summary.json``: the findings in words and figures.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxsim.explore import discovery, layout, robust
from cxsim.explore.discovery import Box
from cxsim.explore.runs import calibrated
from cxsim.explore.study import Study
from cxsim.explore.uncertainties import Uncertainty


@dataclass
class Analysis:
    """What an exploration found."""

    values: pd.DataFrame  # scenarios x arms, the judged outcome
    fails: dict[str, np.ndarray]  # option -> bool per scenario
    boxes: dict[str, list[Box]]
    scores: pd.DataFrame  # uncertainty x option
    regret: pd.DataFrame
    robust: pd.DataFrame
    notes: dict[str, str] = field(default_factory=dict)
    pays: dict[str, list[Box]] = field(default_factory=dict)  # where a mostly failing
    # option pays back: the converse question, PRIM on the successes


def analyse(study: Study, scenarios: pd.DataFrame, outcomes: pd.DataFrame,
            drawn: Sequence[Uncertainty] = ()) -> Analysis:
    """PRIM and feature scores per option over the declared uncertainties and the
    ``drawn`` ones (a calibrated market's parameters, columns of ``scenarios``);
    regret and satisficing over every arm."""
    arms = list(study.options.arms)
    uncertainties = [*study.uncertainties, *drawn]
    values = robust.table(outcomes, study.outcome, arms[1:])
    values.insert(0, arms[0], 0.0)
    values = values.reindex(scenarios["scenario"])
    x = scenarios.set_index("scenario").loc[values.index].reset_index()
    cond = f"{study.outcome} < {study.threshold_k:g} k$"
    fails, boxes, scores, notes = {}, {}, {}, {}
    for opt in study.option_names:
        fails[opt] = (values[opt] < study.threshold_k).to_numpy()
        boxes[opt] = discovery.discover(x, fails[opt], uncertainties, opt,
                                        f"fails ({cond})")
        scores[opt] = discovery.feature_scores(x, fails[opt], uncertainties,
                                               study.options.seed)
        share = float(fails[opt].mean())
        if not boxes[opt]:
            notes[opt] = (f"{opt} never fails ({cond}) in these scenarios." if share == 0
                          else f"{opt} fails ({cond}) in every scenario." if share == 1
                          else f"{opt} fails ({cond}) in {share:.0%} of the scenarios, with "
                          "no region denser in failures than the rest.")
    pays = {opt: discovery.discover(x, ~f, uncertainties, opt,
                                    f"pays back ({study.outcome} >= {study.threshold_k:g} k$)",
                                    cases="successes")
            for opt, f in fails.items() if 0.5 < f.mean() < 1}
    return Analysis(values, fails, boxes, pd.DataFrame(scores), robust.regret(values),
                    robust.summary(values, study.threshold_k), notes, pays)


def _plot_box(box: Box, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2),
                                      gridspec_kw={"width_ratios": [1, 1.2]})
    t = box.trajectory
    pts = left.scatter(t["coverage"], t["density"], c=t["res_dim"], cmap="viridis", s=18)
    left.scatter([box.coverage], [box.density], s=120, facecolors="none",
                 edgecolors="tab:red", linewidths=2, label="kept box")
    left.set_xlabel("coverage (share of all cases of interest in the box)")
    left.set_ylabel("density (share of the box that are cases of interest)")
    left.set_title(f"{box.option}: PRIM peeling trajectory")
    left.legend(loc="lower left")
    fig.colorbar(pts, ax=left, label="restricted uncertainties")
    box.prim_box.inspect(box.chosen, style="graph", ax=right)
    right.set_title("the kept box (bars: its limits within each range)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _box_json(box: Box) -> dict[str, Any]:
    return {"limits": {k: list(v) for k, v in box.limits.items()}, "coverage": box.coverage,
            "density": box.density, "mass": box.mass, "scenarios": box.scenarios,
            "sentence": box.sentence}


def _table(frame: pd.DataFrame) -> str:
    """A markdown table (numbers to 3 significant digits, shares as they are)."""
    def cell(v: Any) -> str:
        if isinstance(v, bool | np.bool_):
            return "yes" if v else ""
        if isinstance(v, float | np.floating):
            return "" if np.isnan(v) else f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"
        return str(v)

    head = [frame.index.name or "", *map(str, frame.columns)]
    rows = ["| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
    rows += ["| " + " | ".join([str(i), *(cell(v) for v in r)]) + " |"
             for i, r in zip(frame.index, frame.itertuples(index=False), strict=True)]
    return "\n".join(rows)


def _markdown(study: Study, a: Analysis, seconds: float, runs: int,
              drawn: Sequence[Uncertainty] = ()) -> str:
    o = study.options
    lines = [f"# Explore: {o.name}", ""]
    if o.question:
        lines += [o.question, ""]
    lines += [f"{study.scenarios} scenarios (a Latin hypercube over {len(study.uncertainties)} "
              f"uncertainties, seed {o.seed}) x {len(o.arms)} arms x {study.replications} "
              f"replication(s) on common seeds: {runs} runs in {seconds:.0f} s. Outcome: "
              f"`{study.outcome}` of {o.unit}, each option against the status quo; an "
              f"option fails where it is below {study.threshold_k:g} k$.", "",
              "## Where each option fails (PRIM)", ""]
    for opt in study.option_names:
        lines.append(f"**{opt}** fails in {a.fails[opt].mean():.0%} of the scenarios.")
        lines += [f"- {b.sentence}" for b in a.boxes[opt]]
        if opt in a.notes:
            lines.append(f"- {a.notes[opt]}")
        if a.boxes[opt]:
            lines.append(f"\n![{opt}](plots/prim_{opt}.png)")
        lines.append("")
    if any(a.pays.values()):
        lines += ["## Where a mostly failing option pays back (PRIM on the successes)", ""]
        for opt, boxes in a.pays.items():
            lines += [f"- {b.sentence}" for b in boxes]
            if boxes:
                lines.append(f"\n![{opt} pays back](plots/prim_{opt}_pays.png)\n")
        lines.append("")
    lines += ["## What drives failure (feature scores, extra trees)", "",
              _table(a.scores), "", "## Robust choice", "",
              f"Regret: how far an arm falls short of the best arm in the same scenario "
              f"(k$); share meeting: scenarios with `{study.outcome}` >= "
              f"{study.threshold_k:g} k$.", "", _table(a.robust), "",
              "![robust choice](plots/robust_choice.png)", "", "## Uncertainties", "",
              "| name | key | range | label |", "|---|---|---|---|"]
    for u in [*study.uncertainties, *drawn]:  # drawn: the range the posterior's draws span
        span = ", ".join(map(str, u.values)) if u.categorical else \
            f"{u.show(u.low)} to {u.show(u.high)}"
        lines.append(f"| {u.name} | `{u.key}` | {span} | {u.label} |")
    return "\n".join(lines) + "\n"


def write_report(folder: Path, study: Study, scenarios: pd.DataFrame, outcomes: pd.DataFrame,
                 seconds: float) -> Analysis:
    """Everything above into ``folder``; returns the analysis."""
    arms = list(study.options.arms)
    scenarios, drawn = calibrated(study, scenarios)
    experiments, arrays = layout.ema_layout(scenarios, outcomes, arms)
    layout.save(folder, experiments, arrays)
    scenarios.to_parquet(folder / "scenarios.parquet", index=False)
    a = analyse(study, scenarios, outcomes, drawn)
    plots = folder / "plots"
    plots.mkdir(exist_ok=True)
    for opt, boxes in a.boxes.items():
        if boxes:
            _plot_box(boxes[0], plots / f"prim_{opt}.png")
    for opt, boxes in a.pays.items():
        if boxes:
            _plot_box(boxes[0], plots / f"prim_{opt}_pays.png")
    robust.chart(a.robust, plots / "robust_choice.png", study.threshold_k)
    a.scores.rename_axis("uncertainty").reset_index().to_parquet(
        folder / "feature_scores.parquet", index=False)
    a.regret.reset_index().to_parquet(folder / "regret.parquet", index=False)
    a.robust.reset_index().to_parquet(folder / "robust.parquet", index=False)
    (folder / "boxes.json").write_text(json.dumps(
        {opt: [_box_json(b) for b in boxes] for opt, boxes in a.boxes.items()}, indent=2))
    (folder / "pays_boxes.json").write_text(json.dumps(
        {opt: [_box_json(b) for b in boxes] for opt, boxes in a.pays.items()}, indent=2))
    runs = study.scenarios * len(arms) * study.replications
    summary = {"study": study.fingerprint(), "threshold_k": study.threshold_k,
               "outcome": study.outcome, "seconds": round(seconds, 1), "runs": runs,
               "fail_share": {o: float(f.mean()) for o, f in a.fails.items()},
               "robust": a.robust.reset_index().to_dict("records"),
               "sentences": {o: [b.sentence for b in bs] for o, bs in a.boxes.items()},
               "pays_sentences": {o: [b.sentence for b in bs] for o, bs in a.pays.items()}}
    (folder / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    (folder / "report.md").write_text(_markdown(study, a, seconds, runs, drawn))
    return a


def summary_line(study: Study, a: Analysis) -> str:
    """One line: the robust choice by each rule."""
    r = a.robust
    mm = ", ".join(r.index[r["minimax_regret"]])
    sat = ", ".join(r.index[r["satisficing"]])
    return (f"minimax regret: {mm} (max regret {r['max_regret'].min():.0f} k$); "
            f"satisficing: {sat} ({r['share_meeting'].max():.0%} of scenarios >= "
            f"{study.threshold_k:g} k$)")
