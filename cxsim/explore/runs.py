"""Every option and the status quo in every scenario, on common seeds, through the run layer.

Scenario ``s`` sets its uncertainties' keys in every arm's config; its
replication ``r`` runs every arm on seed ``replication_seed(replication_seed(seed,
s), r)`` (common random numbers within the scenario; scenarios differ in luck as
in their uncertainties, so no single draw of luck colours the whole sample). A
few scenarios' arms run as one stacked batch (:func:`cxsim.run.run_many`; up to
30 runs, where a run costs about a third of what it costs alone) in one worker (of
a :func:`cxsim.run.pool`, a Ray instance or a SLURM job array:
:mod:`cxsim.launchers`), which also values them (:mod:`cxsim.explore.money`); a
replication in a batch equals its own run, so the numbers depend neither on the
grouping, nor on the number of workers, nor on where they run.

Finished scenarios are written in parts (``runs/part-<first>.parquet``) as they
come in, so an interrupted exploration resumes where it stopped.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from cxsim.decide.options import STATUS_QUO, Options
from cxsim.decide.runs import ledger
from cxsim.explore.money import MEASURES, scenario_outcomes
from cxsim.explore.scenarios import values_of
from cxsim.explore.study import Study
from cxsim.explore.uncertainties import COST_INFLATION, Uncertainty, apply
from cxsim.launchers import Launcher
from cxsim.posterior import apply as apply_draw
from cxsim.run import Outcomes, Several, progress_bar, replication_seed, run_many, seeded

PARTS = "runs"


def measure(out: Outcomes) -> dict[str, Any]:
    """What an exploration keeps of a run: :func:`cxsim.decide.runs.ledger` and NPS."""
    kept = ledger(out)
    kept["nps"] = out.stores.set_index("dealer")["nps"]
    return kept


def scenario_seeds(seed: int, scenario: int, replications: int) -> list[int]:
    """The seeds of a scenario's replications (every arm runs each of them)."""
    base = replication_seed(seed, scenario)
    return [replication_seed(base, r) for r in range(replications)]


def scenario_options(options: Options, values: dict[str, Any],
                     params: dict[str, float] | None = None) -> Options:
    """The options with one scenario's keys set in every arm, after its draw ``params``
    from a calibrated market's posterior (a declared uncertainty wins over a draw)."""
    arms = options.arms if not params else {
        a: apply_draw(c, params) for a, c in options.arms.items()}
    return replace(options, arms={a: apply(c, values) for a, c in arms.items()})


def posterior_draws(options: Options, scenarios: int) -> list[dict[str, float]]:
    """Scenario ``s``'s parameter set is draw ``s`` of the calibrated market's posterior
    (seeded by the file's seed; none without a calibrated market), so what the history
    left uncertain varies across scenarios as the declared uncertainties do."""
    if options.posterior is None:
        return [{} for _ in range(scenarios)]
    return options.posterior.sample(scenarios, options.seed)


def calibrated(study: Study, scenarios: pd.DataFrame
               ) -> tuple[pd.DataFrame, list[Uncertainty]]:
    """The scenarios with a column per parameter drawn from a calibrated market's
    posterior (the value scenario ``s`` ran with) and an uncertainty for each, so
    that scenario discovery names what the history left open ("fails when the
    calibrated quality_offset.North is less than ...") as it names the declared
    uncertainties. A parameter a declared uncertainty sets is left out (it wins
    over the draw), and so is one drawn with a single value (nothing to box);
    without a calibrated market, the scenarios as they are."""
    post = study.options.posterior
    declared = {u.key for u in study.uncertainties}
    names = [k for k in (post.names if post is not None else []) if k not in declared]
    if not names:
        return scenarios, []
    draws = posterior_draws(study.options, int(scenarios["scenario"].max()) + 1)
    out, found = scenarios.copy(), []
    for key in names:
        values = [draws[int(s)][key] for s in out["scenario"]]
        if min(values) == max(values):  # one value drawn: nothing to box
            continue
        column = "calibrated_" + "".join(ch if ch.isalnum() else "_" for ch in key)
        out[column] = values
        found.append(Uncertainty(column, key, float(out[column].min()),
                                 float(out[column].max()), label=f"the calibrated {key}"))
    return out, found


Task = tuple[Options, int, list[int], float]
"""A scenario to run: its options (every arm), number, seeds and cost inflation."""


def run_scenarios_together(group: list[Task]) -> Several:
    """Scenarios' arms, every replication, valued: per scenario a row per option.

    Their runs go to :func:`cxsim.run.run_many` together, so arms and scenarios that
    share a market are stacked in batches of up to :data:`STACK_RUNS` runs
    (:mod:`cxsim.batch`); each replication of a batch equals its own run byte for
    byte, so how scenarios are grouped changes no number."""
    configs, spans = [], []
    for options, _, seeds, _ in group:
        arms = list(options.arms)
        spans.append((len(configs), len(seeds) * len(arms)))
        configs += [seeded(options.arms[a], s) for s in seeds for a in arms]
    got = run_many(configs, measure=measure, jobs=1, batch=STACK_RUNS,
                   batch_customers=STACK_CUSTOMERS)
    return Several(value_scenario(task, got[a:a + k])
                   for task, (a, k) in zip(group, spans, strict=True))


def value_scenario(task: Task, got: list[dict[str, Any]]) -> pd.DataFrame:
    """One scenario's runs (:func:`measure`, replication-major, arms in order) valued:
    a row per option."""
    options, scenario, _, inflation = task
    arms = list(options.arms)
    weekly: dict[str, list[pd.DataFrame]] = {a: [] for a in arms}
    nps: dict[str, list[pd.Series]] = {a: [] for a in arms}
    rates = []
    for i, res in enumerate(got):
        r, arm = divmod(i, len(arms))
        weekly[arms[arm]].append(res["weekly"].assign(replication=r))
        nps[arms[arm]].append(res["nps"])
        if arms[arm] == STATUS_QUO:
            rates.append(res["rates"])
    rows = scenario_outcomes(
        options, {a: pd.concat(f, ignore_index=True) for a, f in weekly.items()},
        pd.concat(rates).groupby(level=0, sort=False).mean(),
        {a: pd.concat(s, axis=1).mean(axis=1) for a, s in nps.items()}, inflation)
    return rows.assign(scenario=scenario)


STACK_RUNS = 30
"""Runs stacked in one batch at most. More than a study's usual 16
(:data:`cxsim.batch.BATCH_MAX`): an exploration keeps only a ledger of each run
and runs hundreds of one size, and a run of the default market costs about a
tenth less stacked 24-30 deep than 15 deep (``benchmarks/bench_explore.py``)."""
STACK_CUSTOMERS = 600_000
"""Customers in one batch at most: about 400 MB a worker at the default size."""


def group_size(study: Study, scenarios: int, workers: int) -> int:
    """Scenarios per task: as many as fill one batch (:data:`STACK_RUNS` runs and
    :data:`STACK_CUSTOMERS` customers), but no more than keeps every worker busy."""
    runs = len(study.options.arms) * study.replications
    customers = study.options.arms[STATUS_QUO].sample.customers
    most = min(STACK_RUNS, STACK_CUSTOMERS // max(1, customers)) // max(1, runs)
    return max(1, min(most, -(-scenarios // max(1, workers))))


def tasks(study: Study, experiments: pd.DataFrame, scenarios: Sequence[int]) -> list[Task]:
    """The tasks for these scenarios (rows of ``experiments``), one per scenario."""
    out = []
    by_id = experiments.set_index("scenario", drop=False)
    draws = posterior_draws(study.options, int(experiments["scenario"].max()) + 1)
    for s in scenarios:
        values = values_of(study.uncertainties, by_id.loc[s])
        inflation = float(values.get(COST_INFLATION, 0.0))
        out.append((scenario_options(study.options, values, draws[int(s)]), int(s),
                    scenario_seeds(study.options.seed, int(s), study.replications),
                    inflation))
    return out


def finished(folder: Path) -> pd.DataFrame:
    """The outcomes of the scenarios already on disk (empty if none)."""
    parts = sorted((folder / PARTS).glob("part-*.parquet")) if (folder / PARTS).is_dir() \
        else []
    if not parts:
        return pd.DataFrame(columns=["scenario", "policy", *MEASURES])
    return pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)


def _write_part(folder: Path, rows: pd.DataFrame) -> None:
    (folder / PARTS).mkdir(parents=True, exist_ok=True)
    first = int(rows["scenario"].min())
    tmp = folder / PARTS / f".part-{first:07d}.tmp"
    rows.to_parquet(tmp, index=False)
    os.replace(tmp, folder / PARTS / f"part-{first:07d}.parquet")  # whole, or not at all


def chunk_size(workers: int, group: int = 1) -> int:
    """Scenarios per part: enough to keep every worker busy with tasks of ``group``
    scenarios, few enough to lose little."""
    return max(8, 4 * workers) * group


def run_scenarios(study: Study, experiments: pd.DataFrame, folder: Path, *, jobs: int = 0,
                  progress: bool = False, launcher: Launcher | None = None) -> pd.DataFrame:
    """Outcomes (scenario, policy, :data:`~cxsim.explore.money.MEASURES`) of every option in
    every scenario; scenarios finished in ``folder`` are read, not run again. Runs go
    through ``launcher`` (default: ``jobs`` local worker processes)."""
    done = finished(folder)
    todo = [int(s) for s in experiments["scenario"] if s not in set(done["scenario"])]
    if todo:
        with (launcher or Launcher(jobs=jobs)).open(len(todo), folder) as (task_map, workers):
            group = group_size(study, len(todo), workers)
            size = chunk_size(workers, group)
            bar = progress_bar(len(experiments), "scenarios", progress)
            bar.update(len(experiments) - len(todo))
            try:
                for a in range(0, len(todo), size):
                    part = tasks(study, experiments, todo[a:a + size])
                    got = task_map(run_scenarios_together,
                                   [part[g:g + group] for g in range(0, len(part), group)],
                                   bar)
                    _write_part(folder, pd.concat([f for fs in got for f in fs],
                                                  ignore_index=True))
            finally:
                bar.close()
    out = finished(folder)
    return out.sort_values(["scenario", "policy"], kind="stable").reset_index(drop=True)
