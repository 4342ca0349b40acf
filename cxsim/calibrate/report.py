"""The calibration's folder: tables, pictures, the calibrated market and report.md."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cxsim.calibrate import plots
from cxsim.calibrate.data import History
from cxsim.calibrate.predictive import coverage, warnings
from cxsim.calibrate.priors import Prior
from cxsim.calibrate.spec import Spec
from cxsim.posterior import Posterior
from cxsim.results import write_parquet

MARKET = "market.yaml"
POSTERIOR = "posterior.parquet"
ABC_POSTERIOR = "posterior_abc.parquet"


@dataclass
class Calibration:
    """What a calibration found, ready to be written."""

    spec: Spec
    history: History
    priors: list[Prior]
    posterior: Posterior
    params: pd.DataFrame  # predictive.table
    generations: pd.DataFrame
    bands: pd.DataFrame  # predictive.bands over the history
    seconds: float = 0.0
    fit_seconds: float = 0.0  # the fit alone (a resumed fit: its last part)
    backtest_months: int = 0
    backtest: pd.DataFrame | None = None  # bands over every month, fitted on the first part
    backtest_params: pd.DataFrame | None = None
    truth: dict[str, float] = field(default_factory=dict)
    method: str = ""  # how the posterior was made from the last generation (fit.Fit)
    abc_posterior: Posterior | None = None  # the last generation before the adjustment


def _f(x: float) -> str:
    return f"{x:,.4g}" if abs(x) < 1000 else f"{x:,.0f}"


def write_market(folder: Path, cal: Calibration) -> Path:
    """``market.yaml``: the market file's sections, the posterior's medians and the
    draws' file, which ``cxsim-decide`` accepts as an options file's ``market``."""
    import yaml

    medians = {r.parameter: float(r.median) for r in cal.params.itertuples()}
    data = {"calibrated_from": f"{Path(cal.history.source).name} "
                               f"({cal.history.months[0]} to {cal.history.months[-1]})",
            "market": cal.spec.raw_market["market"],
            "overrides": list(cal.spec.raw_market["overrides"]),
            "posterior": POSTERIOR, "medians": medians}
    head = ("# A calibrated market, written by cxsim-calibrate. In a cxsim-decide options\n"
            "# file, `market: <this file>` runs each pair of replications with one\n"
            "# parameter set drawn from the posterior (posterior.parquet).\n")
    (folder / MARKET).write_text(head + yaml.safe_dump(data, sort_keys=False,
                                                       allow_unicode=True), encoding="utf-8")
    return folder / MARKET


def _param_lines(params: pd.DataFrame, truth: dict[str, float]) -> list[str]:
    head = "| parameter | prior | median | 90 % interval | interval / prior | identified |"
    if truth:
        head += " truth |"
    lines = [head, "|---" * (7 if truth else 6) + "|"]
    for r in params.itertuples():
        row = (f"| {r.parameter} | {_f(r.prior_low)} to {_f(r.prior_high)} | {_f(r.median)} "
               f"| {_f(r.q05)} to {_f(r.q95)} | {r.width_ratio:.0%} | "
               f"{'yes' if r.identified else 'no'} |")
        if truth:
            row += f" {_f(truth.get(r.parameter, float('nan')))} |"
        lines.append(row)
    return lines


def write_report(folder: Path, cal: Calibration) -> Path:
    """Every file of the calibration's folder; returns ``report.md``."""
    draws = cal.posterior.draws.assign(weight=cal.posterior.weights)
    write_parquet(draws, folder / POSTERIOR)
    if cal.abc_posterior is not None:
        write_parquet(cal.abc_posterior.draws.assign(weight=cal.abc_posterior.weights),
                      folder / ABC_POSTERIOR)
    write_parquet(cal.params, folder / "parameters.parquet")
    write_parquet(cal.generations, folder / "generations.parquet")
    write_parquet(cal.bands, folder / "predictive.parquet")
    plots.pairwise(folder / "pairwise.png", cal.posterior, cal.priors, cal.truth)
    plots.bands(folder / "predictive.png", cal.bands,
                "Observed (dots; red outside) against the posterior's runs (median, 90 % band)")
    write_market(folder, cal)
    h, b = cal.history, cal.spec.budget
    cover = coverage(cal.bands)
    md = [f"# Calibration: {cal.spec.name}", "",
          f"History `{h.source}`: {len(h.months)} months ({h.months[0]} to {h.months[-1]}), "
          f"stores {', '.join(h.stores)}, metrics {', '.join(h.metrics)}. Calibration file "
          f"`{cal.spec.source}`; seed {cal.spec.seed}; {cal.spec.sample:,} simulated "
          f"customers per run; ABC-SMC (pyabc) with {b.population} particles per "
          f"generation, {len(cal.generations)} generations, "
          f"{int(cal.generations['runs'].sum()) + b.calibration:,} runs; the fit took "
          f"{cal.fit_seconds:.0f} s, everything {cal.seconds:.0f} s.", "", "## Posterior", "",
          *_param_lines(cal.params, cal.truth), ""]
    md += [f"- {w.removeprefix('warning: ')}" for w in warnings(cal.params)]
    md += ["", f"Posterior: the last generation {cal.method or 'as accepted'}"
           + ("; see docs/calibrate.md, 'Regression adjustment' (Beaumont, Zhang & Balding "
              "2002; Fearnhead & Prangle 2012). The particles as ABC accepted them: "
              f"`{ABC_POSTERIOR}`." if cal.method.startswith("regression") else "."),
           "", "A parameter is identified when its 90 % interval is narrower than half its "
           "prior's range. How much quality a dollar buys is not inferred: a history "
           "without spending changes cannot tell it (scenario tools keep it as an "
           "uncertainty).", "", "![pairwise posterior](pairwise.png)", "",
           "## Generations", "", "| generation | tolerance | runs | acceptance |",
           "|---|---|---|---|"]
    md += [f"| {r.generation} | {r.tolerance:.3g} | {r.runs} | {r.acceptance:.1%} |"
           for r in cal.generations.itertuples()]
    md += ["", "## Posterior predictive check", "",
           f"{b.predictive} new runs, each with a parameter set drawn from the posterior; "
           "share of observed months inside their 90 % band:", "",
           "| metric | coverage | months |", "|---|---|---|"]
    md += [f"| {r.metric} | {r.coverage:.0%} | {r.months} |" for r in cover.itertuples()]
    md += ["", "![observed against simulated](predictive.png)", ""]
    if cal.backtest is not None:
        md += _backtest(folder, cal)
    md += ["## Use it", "", f"`{MARKET}` is the calibrated market: name it as the "
           "`market:` of a cxsim-decide options file, and each pair of replications runs "
           "one parameter set drawn from the posterior, so the decision's intervals carry "
           "the parameter uncertainty.", ""]
    (folder / "report.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    return folder / "report.md"


def _backtest(folder: Path, cal: Calibration) -> list[str]:
    k = cal.backtest_months
    band = cal.backtest
    assert band is not None and cal.backtest_params is not None
    write_parquet(band, folder / "backtest.parquet")
    write_parquet(cal.backtest_params, folder / "backtest_parameters.parquet")
    held = band[band["m"] >= k]
    by_month = coverage(held, "m")
    plots.bands(folder / "backtest.png", band,
                f"Backtest: fitted on months 1-{k} (grey), bands for the rest", start=k)
    plots.coverage_by_month(folder / "backtest_coverage.png", by_month, k)
    total = coverage(held.assign(all="all"), "all")
    share = float(total["coverage"].iloc[0]) if len(total) else float("nan")
    lines = ["## Backtest", "",
             f"Fitted on months 1-{k} ({cal.history.months[0]} to "
             f"{cal.history.months[k - 1]}) alone; the posterior's runs then cover "
             f"{share:.0%} of the {int(held['observed'].notna().sum())} held-out "
             "observations with their 90 % band. Month by month:", "",
             "| month | coverage | observations |", "|---|---|---|"]
    lines += [f"| {int(r.m) + 1} ({cal.history.months[int(r.m)]}) | {r.coverage:.0%} | "
              f"{r.months} |" for r in by_month.itertuples()]
    lines += ["", "![backtest](backtest.png)", "", "![coverage by month](backtest_coverage.png)",
              ""]
    return lines
