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
``jobs``; :func:`cores` is what "every core" means.

>>> out = run(compose(["sample.customers=2000", "market.years=1", "progress=false"]))
>>> sorted(out.stores["dealer"])
['Dealer A', 'Dealer B', 'Dealer C']
>>> set(OUTCOMES) <= set(focal(out))
True
"""

from __future__ import annotations

import copy
import json
import multiprocessing
import os
import shutil
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxsim import size
from cxsim.config import RunConfig
from cxsim.interrupts import cancel_on_exit, ignore_interrupts
from cxsim.metrics import summarise
from cxsim.model import CxModel
from cxsim.results import (
    CONFIG,
    CUSTOMERS,
    SUMMARY,
    WEEKLY,
    config_json,
    customers_frame,
    manifest_ok,
    weekly_frame,
    write_run,
)

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


def outcomes_of(model: CxModel) -> Outcomes:
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
    before anything is allocated (:mod:`cxsim.size`)."""
    size.check(cfg)
    model = CxModel(cfg)
    _RUNNING.append(model)
    try:
        model.run(progress=cfg.progress)
    finally:
        _RUNNING.remove(model)
    return outcomes_of(model)


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
                bar.update()
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
                    bar.update()
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


def _run_and_measure(task: tuple[RunConfig, Measure]) -> Any:
    cfg, measure = task
    return measure(run(cfg))


def run_many(configs: Iterable[RunConfig], *, jobs: int = 1, progress: bool = False,
             measure: Measure = focal, desc: str = "runs",
             task_map: TaskMap | None = None, bar: Any = None) -> list[Any]:
    """``measure(run(cfg))`` for every config, in task order, whatever ``jobs`` is.

    ``measure`` must be a module-level function (it travels to the workers) and
    returns what the study keeps of a run: the model stays in its worker. A
    study that runs many batches passes the ``task_map`` of an open :func:`pool`
    (and its ``bar``) to reuse the workers.
    """
    tasks = [(cfg, measure) for cfg in configs]
    if task_map is not None:
        return task_map(_run_and_measure, tasks, bar)
    return map_tasks(_run_and_measure, tasks, jobs=jobs, progress=progress, desc=desc)


# -- resuming a sweep -------------------------------------------------------------------------
RESULT_FILES = (WEEKLY, CUSTOMERS, SUMMARY, CONFIG)
"""Files every finished run folder holds (``plots/`` too when ``plots=true``)."""


def is_complete(folder: str | os.PathLike) -> bool:
    """True if the folder holds every result file of a finished run, each as its
    manifest (written last) records it: a corrupt or truncated file makes it incomplete."""
    job = Path(folder)
    if not all((job / f).is_file() for f in RESULT_FILES) or not manifest_ok(job):
        return False
    try:
        cfg = json.loads((job / CONFIG).read_text())
        json.loads((job / SUMMARY).read_text())
    except (OSError, ValueError):
        return False
    return not cfg.get("plots") or (job / "plots").is_dir()


def job_done(folder: str | os.PathLike, cfg: RunConfig) -> bool:
    """True if ``folder`` holds complete results of exactly this config.

    Leftover staging folders of a run that was killed (``.partial-*``) are
    removed either way, so a rerun starts clean.
    """
    job = Path(folder)
    for stale in job.glob(".partial-*"):
        shutil.rmtree(stale, ignore_errors=True)
    if not is_complete(job):
        return False
    try:
        return json.loads((job / CONFIG).read_text()) == json.loads(config_json(cfg))
    except (OSError, ValueError):
        return False
