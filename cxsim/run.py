"""The run layer: one config in, tidy outcomes out; replications and the process pool.

Every study (``compare``, ``optimise``, ``sensitivity``, sweep aggregation,
the experiments, the dashboard's figures) treats the model as a function, in
the spirit of EMA Workbench's ``model(**kwargs) -> outcomes``: :func:`run`
takes a :class:`~cxsim.config.RunConfig` and returns :class:`Outcomes`, tables
per week, per store and per customer. What a study reports of the focal store
is :func:`focal`, named by :data:`OUTCOMES`.

Replication ``r`` of a study uses :func:`replication_seed` (numpy's
SeedSequence of the base seed and ``r``), so every arm of a replication meets
the same customers, network and luck. :func:`run_many` runs many configs in
worker processes and returns results in task order, so nothing depends on
``jobs``; configs that share a market (:func:`cxsim.batch.batch_key`) run as
stacked batches (:func:`run_replications`), each replication bit-identical to
its own run; :func:`cores` is what "every core" means.

>>> out = run(compose(["sample.customers=2000", "market.years=1", "progress=false"]))
>>> sorted(out.stores["dealer"])
['Dealer A', 'Dealer B', 'Dealer C']
>>> set(OUTCOMES) <= set(focal(out))
True
"""

from __future__ import annotations

import copy
import multiprocessing
import os
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from cxsim import size
from cxsim.batch import BATCH_CUSTOMERS, BATCH_MAX, Replica, plan_batches, run_batch, take
from cxsim.config import RunConfig
from cxsim.interrupts import cancel_on_exit, ignore_interrupts
from cxsim.metrics import summarise
from cxsim.model import CxModel
from cxsim.results import customers_frame, weekly_frame, write_run
from cxsim.resume import RESULT_FILES, is_complete, job_done  # noqa: F401 (the run layer's API)

OUTCOMES: tuple[str, ...] = (
    "units_sold", "share", "visits", "service_visits", "service_retention", "nps", "csat",
    "ces", "revenue_k", "gross_profit_k", "investment_k", "profit_k", "loyalty",
    "loyalty_if_serviced", "loyalty_if_not_serviced", "online_rating", "customer_rating",
    "self_rating", "mean_wait_hours", "wom_positive", "wom_negative",
    "churn_to_competitors", "churn_to_independents")
"""Per-store outcomes over the horizon that studies report (columns of ``stores``)."""

HEADLINE: tuple[str, ...] = ("units_sold", "service_retention", "nps", "revenue_k",
                             "profit_k")
"""The outcomes a lift table shows unless asked for others (``roi`` follows from two)."""


# -- one run ----------------------------------------------------------------------------------
@dataclass
class Outcomes:
    """A finished run: its config, the model, and its tables."""

    config: RunConfig
    weekly: pd.DataFrame  # one row per (week, store)
    stores: pd.DataFrame  # one row per store over the horizon
    model: CxModel = field(repr=False)

    @cached_property
    def customers(self) -> pd.DataFrame:
        """One row per customer, final state (built on first use: studies rarely need it)."""
        return customers_frame(self.model)

    @property
    def summary(self) -> pd.DataFrame:
        """``stores`` under the name the Python API has always used."""
        return self.stores


def outcomes_of(model: CxModel | Replica) -> Outcomes:
    """The tidy tables of a model that has been stepped."""
    weekly = weekly_frame(model)
    return Outcomes(config=model.cfg, weekly=weekly, stores=summarise(weekly), model=model)


_RUNNING: list[CxModel] = []  # the model this process is stepping (for an interrupt's line)


def where_now() -> str:
    """Where this process's run is, for an interrupt's line: ``at week N``, ..."""
    if not _RUNNING:
        return "while setting up or writing"
    week = int(_RUNNING[-1].market.week)
    return f"at week {week}" if week >= 0 else f"in warm-up week {week}"


def run(cfg: RunConfig) -> Outcomes:
    """Build the model, run it to its horizon (a progress bar if ``cfg.progress``).

    A config that would not fit in memory raises :class:`~cxsim.config.ConfigError`
    before anything is allocated (:mod:`cxsim.size`). Results a batch made ahead
    for this config (:func:`cxsim.batch.keep`) are returned as they are."""
    ready = take(cfg)
    if ready is not None:
        ready.config = ready.model.cfg = cfg
        return ready
    size.check(cfg)
    model = CxModel(cfg)
    _RUNNING.append(model)
    try:
        model.run(progress=cfg.progress)
    finally:
        _RUNNING.remove(model)
    return outcomes_of(model)


def run_replications(cfgs: Sequence[RunConfig]) -> list[Outcomes]:
    """:func:`run` of each config, as one stacked batch when they share a market
    (:func:`cxsim.batch.batch_key`); each replication's results equal its own run's."""
    cfgs = list(cfgs)
    if len(cfgs) == 1:
        return [run(cfgs[0])]
    size.check(cfgs[0])  # a replication needs no more memory than its own run
    return [outcomes_of(rep) for rep in run_batch(cfgs, _RUNNING)]


def run_to_folder(cfg: RunConfig, folder: str | os.PathLike, started: str | None = None
                  ) -> Outcomes:
    """:func:`run`, then write the run folder (``cxsim.results``; plots if ``cfg.plots``);
    ``started`` (ISO time) goes into its ``provenance.json``."""
    out = run(cfg)
    write_run(out.model, folder, plots=cfg.plots, started=started)
    return out


def focal(out: Outcomes) -> dict[str, float]:
    """The focal store's :data:`OUTCOMES`, plus ``conversion`` (units per showroom visit),
    mean lane ``utilisation`` and ``units_y<k>``, units sold in recorded year ``k``."""
    f = out.config.dealers.focal
    row = out.stores.iloc[f]
    res = {k: float(row[k]) for k in OUTCOMES}
    res["conversion"] = res["units_sold"] / res["visits"] if res["visits"] else float("nan")
    mine = out.weekly[out.weekly["dealer"] == out.stores["dealer"].iloc[f]]
    res["utilisation"] = float(mine["utilisation"].mean())
    years = mine.groupby(mine["week"] // 52)["units_sold"].sum()
    for y, units in years.items():
        res[f"units_y{int(y) + 1}"] = float(units)
    return res


# -- configs and seeds ------------------------------------------------------------------------
def compose(overrides: Sequence[str] = ()) -> RunConfig:
    """The validated config of ``conf/`` with these overrides; a running Hydra app keeps
    its state (``cxsim.compose.load_config`` re-initialises Hydra's global state)."""
    from hydra.core.global_hydra import GlobalHydra

    from cxsim.compose import load_config

    # Hydra's initialize context replaces the GlobalHydra singleton on exit, so the
    # instance is looked up afresh each time.
    saved = GlobalHydra.instance().hydra if GlobalHydra.instance().is_initialized() else None
    try:
        return load_config(list(overrides))
    finally:
        GlobalHydra.instance().clear()
        if saved is not None:
            GlobalHydra.instance().initialize(saved)


def replication_seed(base_seed: int, replication: int) -> int:
    """The seed of replication ``replication``: SeedSequence of (base, index)."""
    return int(np.random.SeedSequence([base_seed, replication]).generate_state(1)[0])


def seeded(cfg: RunConfig, seed: int) -> RunConfig:
    """A quiet copy of ``cfg`` (no progress bar, no plots) with this seed."""
    out = copy.deepcopy(cfg)
    out.seed = int(seed)
    out.progress = False
    out.plots = False
    return out


def t_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and two-sided Student-t interval of the mean (nan bounds below 2 values)."""
    values = np.asarray(values, dtype=float)
    mean = float(values.mean())
    if values.size < 2:
        return mean, float("nan"), float("nan")
    from scipy import stats  # here, not at import: scipy.stats costs every run 30 MB

    half = stats.t.ppf(0.5 + level / 2, values.size - 1) * values.std(ddof=1) / np.sqrt(
        values.size)
    return mean, mean - half, mean + half


# -- many runs --------------------------------------------------------------------------------
def cores() -> int:
    """Every core this process may use (its CPU affinity, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _context() -> multiprocessing.context.BaseContext:
    # fork: workers inherit the imported model and need no ``if __name__ ==
    # "__main__"`` guard in the caller's script or notebook.
    if "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()  # pragma: no cover - not POSIX


def progress_bar(total: int, desc: str, enabled: bool) -> Any:
    """A tqdm bar on stderr (disabled: an object whose update and close do nothing)."""
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="run", leave=False,
                disable=None if enabled else True)


TaskMap = Callable[..., list]


@contextmanager
def pool(jobs: int = 1) -> Iterator[TaskMap]:
    """``task_map(fn, tasks, bar=None)``: ``[fn(t) for t in tasks]`` over ``jobs`` processes.

    ``jobs=0`` means :func:`cores`. Results keep task order; ``bar`` moves as
    they arrive. Workers are forked once and reused for every call inside the
    ``with`` block; ``fn`` must be a module-level function (it is pickled).
    Each task is a pure function of its argument, so results do not depend on
    ``jobs``.
    """
    n = cores() if jobs == 0 else max(1, int(jobs))

    def serial(fn: Callable[[Any], Any], tasks: Iterable[Any], bar: Any = None) -> list:
        out = []
        for t in tasks:
            out.append(fn(t))
            if bar is not None:
                bar.update(runs_in(out[-1]))
        return out

    if n == 1:
        yield serial
        return
    # Workers ignore Ctrl-C (the parent reports it as one line); an interrupt or
    # failure in the parent cancels what is queued instead of waiting for it.
    with ProcessPoolExecutor(max_workers=n, mp_context=_context(),
                             initializer=ignore_interrupts) as executor, cancel_on_exit(executor):
        with warnings.catch_warnings():
            # Every worker is forked by the first submit, here, before any thread of
            # ours (a progress bar) exists. The only other threads are numpy's native
            # BLAS workers (Python 3.12 counts them); they hold no Python locks and
            # OpenBLAS resets its pool in the child.
            warnings.filterwarnings("ignore", message=".*fork\\(\\) may lead to deadlocks",
                                    category=DeprecationWarning)
            executor.submit(int).result()

        def parallel(fn: Callable[[Any], Any], tasks: Iterable[Any], bar: Any = None) -> list:
            tasks = list(tasks)
            if len(tasks) <= 1:
                return serial(fn, tasks, bar)
            futures = {executor.submit(fn, t): i for i, t in enumerate(tasks)}
            results: list[Any] = [None] * len(tasks)
            for fut in as_completed(futures):
                results[futures[fut]] = fut.result()
                if bar is not None:
                    bar.update(runs_in(results[futures[fut]]))
            return results

        yield parallel


def map_tasks(fn: Callable[[Any], Any], tasks: Iterable[Any], *, jobs: int = 1,
              progress: bool = False, desc: str = "runs") -> list[Any]:
    """``[fn(t) for t in tasks]`` in one :func:`pool`, in task order, with a progress bar."""
    tasks = list(tasks)
    with pool(min(cores() if jobs == 0 else max(1, jobs), max(1, len(tasks)))) as task_map:
        bar = progress_bar(len(tasks), desc, progress)  # after the fork: no thread is copied
        try:
            return task_map(fn, tasks, bar)
        finally:
            bar.close()


Measure = Callable[[Outcomes], Any]


class Several(list):
    """What a task of several units returns (a batch of runs, a group of an
    exploration's scenarios): one result per unit, and a bar counts them all."""


def runs_in(result: Any) -> int:
    """The runs a task's result stands for (a task map's bar counts them)."""
    return len(result) if isinstance(result, Several) else 1


def _run_and_measure(task: tuple[list[RunConfig], Measure]) -> Several:
    cfgs, measure = task
    return Several(measure(out) for out in run_replications(cfgs))


def run_many(configs: Iterable[RunConfig], *, jobs: int = 1, progress: bool = False,
             measure: Measure = focal, desc: str = "runs",
             task_map: TaskMap | None = None, bar: Any = None,
             batch: int = BATCH_MAX, batch_customers: int = BATCH_CUSTOMERS) -> list[Any]:
    """``measure(run(cfg))`` for every config, in task order, whatever ``jobs`` is.

    Configs that share a market run as stacked batches (:func:`run_replications`,
    sized by :func:`cxsim.batch.plan_batches` to keep every worker busy), which
    changes no number. ``measure`` must be a module-level function (it travels
    to the workers) and returns what the study keeps of a run: the model stays
    in its worker. A study that runs many batches passes the ``task_map`` of an
    open :func:`pool` (and its ``bar``, counting runs) to reuse the workers.
    ``batch`` caps the replications stacked in one batch (1: each run alone), and
    ``batch_customers`` their customers.
    """
    configs = list(configs)
    workers = getattr(task_map, "workers", 0) or (  # a Ray or SLURM launcher's width
        cores() if jobs == 0 or task_map is not None else max(1, jobs))
    groups = plan_batches(configs, workers, batch, batch_customers)
    tasks = [([configs[i] for i in g], measure) for g in groups]
    if task_map is not None:
        done = task_map(_run_and_measure, tasks, bar)
    else:
        with pool(min(workers, max(1, len(tasks)))) as task_map:
            bar = progress_bar(len(configs), desc, progress)  # after the fork
            try:
                done = task_map(_run_and_measure, tasks, bar)
            finally:
                bar.close()
    out: list[Any] = [None] * len(configs)
    for g, measured in zip(groups, done, strict=True):
        for i, value in zip(g, measured, strict=True):
            out[i] = value
    return out
