"""Budget optimisation: the split of a yearly budget that maximises the group's NPV.

For a total budget (k$ a year) the search looks for the allocation across
the touchpoints (and, unless left out, staff engagement and consistency; with
``--bays N`` up to N extra service bays, :mod:`cxsim.optimise_levers`) that
maximises the NPV of the focal store's dealer group (``group_npv_k``), or a
focal KPI such as ``profit_k``. Optuna
is called directly (ask and tell, TPE sampler with a fixed seed): every
candidate allocation is scored by its mean over the same replication seeds
(common random numbers), so two candidates differ by their allocation, not
their luck.

The winner of a search is flattered by the seeds it was chosen on, so the
report re-runs it on *fresh* paired seeds beside the holistic allocation (the
``cx_program`` preset's mix scaled to the budget), the service-only allocation
(the ``service_only`` preset's mix: service, parts and communication) and the
market without a
programme, and gives every arm's mean, its lift over no programme and the
winner's edge over the other two, each with a Student-t interval.

    python -m cxsim.optimise                      # the cx_program's budget, 20 trials
    python -m cxsim.optimise --budget 600 --kpi units_sold sample.customers=10000 market.years=3

Everything lands in ``results/optimise/<date>_<time>/``: ``report.md``,
``trials.parquet``, ``confirmation.parquet`` (one row per arm and seed),
``comparison.parquet`` and ``allocation.png``, ``history.png``. Given the same
arguments the results are the same for any ``--jobs``.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxsim import size
from cxsim.config import SERVICE_TOUCHPOINTS, TOUCHPOINTS, RunConfig
from cxsim.optimise_levers import (
    BAYS,
    GROUP_NPV,
    affordable_bays,
    budget_for_lines,
    configure,
    group_measure,
)
from cxsim.optimise_report import comparison, plot_report, trials_frame, write_report
from cxsim.programme import SPEND_LINES, Programme
from cxsim.results import write_parquet  # NaN (a zero denominator) as null
from cxsim.run import (
    OUTCOMES,
    TaskMap,
    compose,
    pool,
    progress_bar,
    replication_seed,
    run_many,
    seeded,
)
from cxsim.study_cli import at_least, input_error, progress_wanted, report_folder, study_parser

LINES = SPEND_LINES
"""Budget lines an allocation can fund: the touchpoints, then people and standards."""
KPIS = (GROUP_NPV, *OUTCOMES)
"""What a search can maximise: the group's NPV (default) or a focal outcome."""

U_LOW = 1e-6
CONFIRM_STRIDE = 7_919
"""Offset of the confirmation runs' base seed: fresh seeds, never the search's."""


# -- allocations ------------------------------------------------------------------------------
def lines_of(spec: str | Sequence[str]) -> tuple[str, ...]:
    """Budget lines from ``all``, ``touchpoints`` or a comma-separated list."""
    if isinstance(spec, str):
        if spec == "all":
            return LINES
        if spec == "touchpoints":
            return TOUCHPOINTS
        spec = [s.strip() for s in spec.split(",") if s.strip()]
    bad = [s for s in spec if s not in LINES]
    if bad or not spec:
        raise ValueError(f"unknown budget line {bad[0] if bad else '(none)'!r}; "
                         f"allowed: {', '.join(LINES)}, or all / touchpoints")
    return tuple(s for s in LINES if s in spec)


def allocation_of(cfg: RunConfig) -> dict[str, float]:
    """The yearly spend per budget line of a config's programme."""
    return dict(Programme.from_config(cfg).spend)


def with_allocation(cfg: RunConfig, allocation: dict[str, float], name: str) -> RunConfig:
    """A copy of ``cfg`` whose programme spends ``allocation`` (k$/year; missing lines 0;
    a ``bays`` entry: extra bays)."""
    return configure(cfg, allocation, name)


def scaled(shape: dict[str, float], budget: float, lines: Sequence[str]) -> dict[str, float]:
    """``shape`` restricted to ``lines`` and scaled to sum to ``budget`` (equal if empty)."""
    w = np.array([max(0.0, shape.get(t, 0.0)) for t in lines])
    w = np.ones(len(lines)) if w.sum() <= 0 else w
    return {t: float(budget * x / w.sum()) for t, x in zip(lines, w, strict=True)}


def preset_allocation(name: str) -> dict[str, float]:
    """The yearly spend per line of an ``investment`` preset (``conf/investment``)."""
    return allocation_of(compose([f"investment={name}"]))


def holistic_allocation(budget: float, lines: Sequence[str]) -> dict[str, float]:
    """The ``cx_program`` mix (every touchpoint, people, standards) scaled to ``budget``."""
    return scaled(preset_allocation("cx_program"), budget, lines)


def service_only_allocation(budget: float, lines: Sequence[str]) -> dict[str, float]:
    """The ``service_only`` mix (service, parts, communication) scaled to ``budget``.

    Equal thirds if there is no such preset.
    """
    service = [t for t in SERVICE_TOUCHPOINTS if t in lines]
    if not service:
        raise ValueError("service-only allocation needs service, parts or communication "
                         "among the budget lines")
    try:
        shape = preset_allocation("service_only")
    except Exception:  # noqa: BLE001 - no preset: the service department in equal thirds
        shape = dict.fromkeys(SERVICE_TOUCHPOINTS, 1.0)
    shape = {t: v for t, v in shape.items() if t in service}
    return scaled(shape or dict.fromkeys(service, 1.0), budget, lines)


def default_budget() -> float:
    """The ``cx_program`` preset's yearly total: the budget compared by default."""
    return Programme.from_config(compose(["investment=cx_program"])).spend_k


def to_simplex(u: Sequence[float], budget: float, lines: Sequence[str]) -> dict[str, float]:
    """Search coordinates ``u`` in (0, 1] to an allocation that sums to ``budget``.

    ``w = -log(u)`` normalised: uniform ``u`` gives a uniform (Dirichlet(1))
    allocation, and ``u = 1`` funds nothing.
    """
    w = -np.log(np.clip(np.asarray(u, dtype=float), U_LOW, 1.0))
    return scaled(dict(zip(lines, w, strict=True)), budget, lines)


def from_simplex(allocation: dict[str, float], lines: Sequence[str]) -> dict[str, float]:
    """Search coordinates that give ``allocation`` (its shape) back under :func:`to_simplex`."""
    a = np.array([allocation.get(t, 0.0) for t in lines], dtype=float)
    w = a / a.max() if a.max() > 0 else np.ones(len(lines))
    return {f"u_{t}": float(np.exp(-x)) for t, x in zip(lines, w, strict=True)}


# -- the search ---------------------------------------------------------------------------------
def _evaluate(task_map: TaskMap, configs: Sequence[RunConfig], seeds: Sequence[int],
              bar: Any = None) -> list[list[dict[str, float]]]:
    tasks = [seeded(c, s) for c in configs for s in seeds]
    flat = run_many(tasks, task_map=task_map, bar=bar, measure=group_measure)
    k = len(seeds)
    return [flat[i * k:(i + 1) * k] for i in range(len(configs))]


def search(base: RunConfig, budget: float, *, kpi: str = GROUP_NPV,
           lines: Sequence[str] = LINES, trials: int = 20, replications: int = 3,
           seed: int = 0, batch: int = 2, jobs: int = 0, storage: str | None = None,
           study_name: str = "cxsim-budget", progress: bool = False,
           maximise: bool = True, bays: int = 0) -> tuple[Any, pd.DataFrame]:
    """Run the Optuna study; return it and one row per finished trial.

    ``batch`` candidates are asked for at a time and run together (their
    replications fill the worker processes); the study, not ``jobs``, fixes
    the order, so results do not depend on ``jobs``. With ``storage`` (e.g.
    ``sqlite:///study.db``) a stopped search continues where it stopped.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if kpi not in KPIS:
        raise ValueError(f"unknown kpi {kpi!r}; allowed: {', '.join(KPIS)}")
    lines = tuple(lines)
    bays = affordable_bays(budget, base.dealers.bay_cost_k, bays)
    seeds = [replication_seed(seed, r) for r in range(replications)]
    sampler = optuna.samplers.TPESampler(seed=seed, multivariate=True, constant_liar=True,
                                         n_startup_trials=min(10, max(2, trials // 2)))
    study = optuna.create_study(study_name=study_name, storage=storage, sampler=sampler,
                                direction="maximize" if maximise else "minimize",
                                load_if_exists=storage is not None)
    for t in study.get_trials(deepcopy=False,
                              states=(optuna.trial.TrialState.RUNNING,
                                      optuna.trial.TrialState.WAITING)):
        if t.state == optuna.trial.TrialState.RUNNING:  # left by a stopped search
            study.tell(t.number, state=optuna.trial.TrialState.FAIL)
    if not study.trials:
        for name, alloc in (("holistic", holistic_allocation(budget, lines)),
                            ("service_only", service_only_allocation(budget, lines))):
            study.enqueue_trial(from_simplex(alloc, lines), user_attrs={"start": name})
    dists: dict[str, Any] = {f"u_{t}": optuna.distributions.FloatDistribution(U_LOW, 1.0)
                             for t in lines}
    if bays:  # an integer lever: its running cost comes out of the yearly budget
        dists[BAYS] = optuna.distributions.IntDistribution(0, bays)
    done = len([t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE])
    with pool(jobs) as task_map:
        # the bar after the workers are forked: its thread is not copied into them
        bar = progress_bar(max(0, trials - done) * len(seeds), "budget search", progress)
        try:
            while done < trials:
                asked = [study.ask(dists) for _ in range(min(batch, trials - done))]
                allocs = [_allocation(tr.params, budget, lines, base.dealers.bay_cost_k,
                                      bays) for tr in asked]
                configs = [with_allocation(base, a, "search") for a in allocs]
                results = _evaluate(task_map, configs, seeds, bar)
                for tr, alloc, res in zip(asked, allocs, results, strict=True):
                    values = np.array([r[kpi] for r in res])
                    for t, v in alloc.items():
                        tr.set_user_attr(f"k_{t}", v)
                    tr.set_user_attr("sd", float(values.std(ddof=1)) if len(values) > 1
                                     else float("nan"))
                    study.tell(tr, float(values.mean()))
                done += len(asked)
        finally:
            bar.close()
    return study, trials_frame(study, (*lines, BAYS) if bays else lines)


def _allocation(params: dict[str, Any], budget: float, lines: Sequence[str],
                bay_cost_k: float, bays: int) -> dict[str, float]:
    """A trial's allocation: bays first (if a lever), the spend lines share the rest."""
    n = int(params.get(BAYS, 0)) if bays else 0
    out = to_simplex([params[f"u_{t}"] for t in lines], budget_for_lines(
        budget, n, bay_cost_k), lines)
    return {**out, BAYS: float(n)} if bays else out


# -- confirmation on fresh seeds ----------------------------------------------------------------
def confirm(base: RunConfig, arms: dict[str, dict[str, float]], *, replications: int,
            seed: int, jobs: int = 0, progress: bool = False) -> pd.DataFrame:
    """Every arm on the same fresh seeds; one row per arm and replication."""
    seeds = [replication_seed(seed + CONFIRM_STRIDE, r) for r in range(replications)]
    names = ["none", *arms]
    configs = [with_allocation(base, arms.get(a, {}), a) for a in names]
    with pool(jobs) as task_map:
        bar = progress_bar(len(names) * len(seeds), "confirmation", progress)
        results = _evaluate(task_map, configs, seeds, bar)
        bar.close()
    rows = []
    for name, res in zip(names, results, strict=True):
        for r, (s, v) in enumerate(zip(seeds, res, strict=True)):
            rows.append({"arm": name, "replication": r, "seed": s, **v})
    return pd.DataFrame(rows)


def optimise(budget: float, overrides: Sequence[str] = (), *, kpi: str = GROUP_NPV,
             lines: Sequence[str] = LINES, trials: int = 20, replications: int = 3,
             confirm_replications: int = 6, seed: int = 0, batch: int = 2, jobs: int = 0,
             storage: str | None = None, out: str | os.PathLike | None = None,
             progress: bool = False, maximise: bool = True, bays: int = 0) -> Path:
    """Search, confirm on fresh seeds and write the report folder; return it."""
    started = time.perf_counter()
    lines = tuple(lines)
    base = compose(list(overrides))
    out = report_folder(out, "optimise")
    study, trials_df = search(base, budget, kpi=kpi, lines=lines, trials=trials,
                              replications=replications, seed=seed, batch=batch, jobs=jobs,
                              storage=storage, progress=progress, maximise=maximise,
                              bays=bays)
    pick = trials_df["value"].idxmax() if maximise else trials_df["value"].idxmin()
    best = {t: float(trials_df.loc[pick, t]) for t in lines if t in trials_df}
    if BAYS in trials_df:
        best[BAYS] = float(trials_df.loc[pick, BAYS])
    arms = {"best": best, "holistic": holistic_allocation(budget, lines),
            "service_only": service_only_allocation(budget, lines)}
    runs = confirm(base, arms, replications=confirm_replications, seed=seed, jobs=jobs,
                   progress=progress)
    table = comparison(runs, kpi)
    write_parquet(trials_df, out / "trials.parquet")
    write_parquet(runs, out / "confirmation.parquet")
    write_parquet(table, out / "comparison.parquet")
    write_parquet(pd.DataFrame([{"arm": a, **v} for a, v in arms.items()]),
                  out / "allocations.parquet")
    plot_report(out, trials_df, arms, table, lines, kpi, maximise)
    write_report(out, args={"budget": budget, "kpi": kpi, "trials": trials, "seed": seed,
                            "replications": replications, "confirm": confirm_replications,
                            "overrides": list(overrides), "maximise": maximise,
                            "bays": bays, "bay_cost_k": base.dealers.bay_cost_k},
                 trials=trials_df, arms=arms, runs=runs, table=table, lines=lines,
                 seconds=time.perf_counter() - started)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m cxsim.optimise``: the best split of a budget, reported beside two others."""
    p = study_parser("cxsim-optimise", "Find the allocation of a yearly budget across "
                     "touchpoints (and service bays) that maximises the NPV of the focal "
                     "store's dealer group, or a focal KPI (Optuna on paired replications).",
                     "optimise", "base seed of sampler and replications", kpis=KPIS)
    p.add_argument("--budget", type=float, default=None,
                   help="k$ a year to allocate (default: the cx_program preset's total)")
    p.add_argument("--minimise", action="store_true", help="minimise the KPI instead")
    p.add_argument("--lines", default="all",
                   help="budget lines: all (touchpoints, engagement, consistency), "
                        "touchpoints, or a comma-separated list")
    p.add_argument("--trials", type=int, default=20)
    p.add_argument("--replications", type=int, default=3, help="paired seeds per trial")
    p.add_argument("--confirm", type=int, default=6,
                   help="fresh paired seeds for the final comparison")
    p.add_argument("--batch", type=int, default=2, help="candidates evaluated together")
    p.add_argument("--bays", type=int, default=0, help="search extra service bays too, up to "
                   "this many (their running cost comes out of the budget)")
    p.add_argument("--storage", default=None,
                   help="Optuna storage, e.g. sqlite:///results/optimise/study.db (resumable)")
    a = p.parse_args(argv)

    def check() -> None:
        a.lines = lines_of(a.lines)
        if a.budget is None:
            a.budget = default_budget()
        if not 0 < a.budget < float("inf"):
            raise ValueError(f"--budget {a.budget}; allowed: --budget > 0 (k$ a year)")
        for flag, value, low in (("--trials", a.trials, 1), ("--replications",
                                 a.replications, 1), ("--confirm", a.confirm, 2),
                                 ("--batch", a.batch, 1), ("--bays", a.bays, 0)):
            at_least(flag, value, low)
        size.check(compose(a.overrides))  # one line, not a worker's MemoryError

    if (code := input_error("cxsim-optimise", check, a)) is not None:
        return code
    from cxsim.study_cli import staged_report  # staged folder, one-line interrupts

    return staged_report("cxsim-optimise", "optimise", a.out, lambda out: optimise(
        a.budget, a.overrides, kpi=a.kpi, lines=a.lines, trials=a.trials,
        replications=a.replications, confirm_replications=a.confirm, seed=a.seed,
        batch=a.batch, jobs=a.jobs, storage=a.storage, out=out,
        progress=progress_wanted(a), maximise=not a.minimise, bays=a.bays))


if __name__ == "__main__":
    sys.exit(main())
