"""A launcher that runs a sweep's jobs on a pool of local worker processes.

Hydra's joblib launcher sends every job, along with it, the whole Hydra context
(config loader, config repository, every registered config node) to be
unpickled in the worker: about 0.17 s a job, a sixth of a default cxsim run.
This launcher forks its workers once from the process that composed the
sweep, so they start with that context in memory (no imports, nothing to
unpickle), and then sends each job only its number and overrides. Each job's
config is composed in its worker and run by Hydra's own ``run_job``, exactly
as the joblib launcher does, so job folders, logs and return values are the
same, except that a worker composes a config once for jobs that differ only in
plain values (:mod:`hydra_plugins.cxsim_plugins.compose_once`). Needs the
``fork`` start method (Linux; elsewhere use joblib).

Batches: a worker takes up to ``batch`` consecutive jobs at a time. Those that
share a market (a sweep over seeds, or over a programme's spend) are
simulated first as stacked batches of replications (:mod:`cxsim.batch`),
then every job runs as usual and finds its results ready: each job still
writes its own folder, is skipped on resume when complete, and its numbers
are bit-identical to running it alone. ``batch=1`` runs jobs one by one.
"""

# No ``from __future__ import annotations``: Hydra imports plugin modules in a way
# that leaves string annotations unresolvable for OmegaConf's structured configs.
import logging
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from hydra.core.utils import JobReturn, configure_log, filter_overrides, run_job, setup_globals
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, open_dict

from cxsim.interrupts import cancel_on_exit, ignore_interrupts, interruptible
from hydra_plugins.cxsim_plugins.compose_once import Composer

log = logging.getLogger(__name__)


@dataclass
class PoolLauncherConf:
    _target_: str = "hydra_plugins.cxsim_plugins.launcher.PoolLauncher"
    n_jobs: int = -1  # worker processes; -1: one per core
    batch: int = 16  # jobs a worker takes at a time, simulated together where they can be


ConfigStore.instance().store(group="hydra/launcher", name="cxsim_pool", node=PoolLauncherConf,
                             provider="cxsim")

# What every worker inherits from the parent at fork: set just before the pool starts.
_SHARED: dict[str, Any] = {}


def _load(overrides: list[str]) -> DictConfig:
    context: HydraContext = _SHARED["hydra_context"]
    return context.config_loader.load_sweep_config(_SHARED["config"], overrides)


def _compose(idx: int, overrides: list[str], composer: Composer | None = None) -> DictConfig:
    setup_globals()
    config = (composer or _load)(overrides)
    with open_dict(config):
        config.hydra.job.id = f"{config.hydra.job.name}_{idx}"
        config.hydra.job.num = idx
    return config


def _run_job(config: DictConfig) -> JobReturn:
    HydraConfig.instance().set_config(config)
    return run_job(hydra_context=_SHARED["hydra_context"], config=config,
                   task_function=_SHARED["task"], job_dir_key="hydra.sweep.dir",
                   job_subdir_key="hydra.sweep.subdir")


def _run(jobs: list[tuple[int, list[str]]]) -> list[JobReturn]:
    """A worker's jobs: compose each config (once where only values differ:
    :mod:`compose_once`), simulate together those that can be (:func:`_prepare`),
    then Hydra's ``run_job`` for each."""
    composer = Composer(_load)
    configs = [_compose(idx, overrides, composer) for idx, overrides in jobs]
    if len(configs) > 1:
        _prepare(configs)
    return [_run_job(config) for config in configs]


def _prepare(configs: list[DictConfig]) -> None:
    """Simulate the jobs that are not complete yet as stacked batches and keep their
    results for the jobs' own runs (:func:`cxsim.batch.keep`). Best effort: a
    job whose config fails here runs, and reports its failure, on its own."""
    from dataclasses import replace

    from cxsim.batch import keep, plan_batches
    from cxsim.cli import RULES_ENV, load_rules
    from cxsim.compose import to_run_config
    from cxsim.resume import job_done
    from cxsim.run import run_replications

    todo = []
    try:
        load_rules([f for f in os.environ.get(RULES_ENV, "").split(os.pathsep) if f])
        for config in configs:
            HydraConfig.instance().set_config(config)
            folder = Path(str(config.hydra.sweep.dir)) / str(config.hydra.sweep.subdir)
            task = config.copy()
            with open_dict(task):
                del task["hydra"]
            cfg = to_run_config(task)
            if not (job_done(folder, cfg) or job_done(folder, replace(cfg, plots=False))):
                todo.append(cfg)
        for group in plan_batches(todo):
            if len(group) > 1:
                cfgs = [todo[i] for i in group]
                for cfg, out in zip(cfgs, run_replications(cfgs), strict=True):
                    keep(cfg, out)
                print(f"cxsim: {len(cfgs)} jobs simulated together as one batch",
                      flush=True)
    except Exception as exc:  # noqa: BLE001 - the jobs themselves report it
        log.info(f"jobs run one by one: {exc}")


class PoolLauncher(Launcher):
    """Jobs on ``n_jobs`` forked worker processes, results in job order."""

    def __init__(self, n_jobs: int = -1, batch: int = 16) -> None:
        self.n_jobs = n_jobs
        self.batch = max(1, batch)
        self.config: DictConfig | None = None
        self.task_function: TaskFunction | None = None
        self.hydra_context: HydraContext | None = None

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction,
              config: DictConfig) -> None:
        self.config = config
        self.task_function = task_function
        self.hydra_context = hydra_context

    def launch(self, job_overrides: Sequence[Sequence[str]],
               initial_job_idx: int) -> Sequence[JobReturn]:
        assert self.config is not None and self.hydra_context is not None
        setup_globals()
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        sweep_dir = Path(str(self.config.hydra.sweep.dir))
        sweep_dir.mkdir(parents=True, exist_ok=True)
        workers = self.n_jobs if self.n_jobs > 0 else (os.cpu_count() or 1)
        workers = max(1, min(workers, len(job_overrides)))
        log.info(f"Process pool ({workers} workers) is launching {len(job_overrides)} jobs")
        log.info(f"Launching jobs, sweep output dir : {sweep_dir}")
        for idx, overrides in enumerate(job_overrides):
            log.info(f"\t#{idx} : {' '.join(filter_overrides(overrides))}")
        _SHARED.update(hydra_context=self.hydra_context, config=self.config,
                       task=self.task_function)
        # Workers leave Ctrl-C to the parent, which reports it in one line.
        pool = ProcessPoolExecutor(max_workers=workers, initializer=ignore_interrupts,
                                   mp_context=multiprocessing.get_context("fork"))
        try:
            # An interrupt (or a failed job) stops at once: jobs not started are
            # cancelled; running ones are killed, leaving only their staging folders,
            # which the resumed sweep removes. Finished jobs stay complete.
            with cancel_on_exit(pool), interruptible():  # waiting is safe to stop
                jobs = [(initial_job_idx + idx, list(overrides))
                        for idx, overrides in enumerate(job_overrides)]
                # enough pieces that every worker gets one
                size = min(self.batch, -(-len(jobs) // workers))
                futures = [pool.submit(_run, jobs[a:a + size])
                           for a in range(0, len(jobs), size)]
                results = [r for f in futures for r in f.result()]
        finally:
            _SHARED.clear()
        pool.shutdown()
        return results
