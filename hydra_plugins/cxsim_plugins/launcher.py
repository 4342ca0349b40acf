"""A launcher that runs a sweep's jobs on a pool of local worker processes.

Hydra's joblib launcher sends every job, along with it, the whole Hydra context
(config loader, config repository, every registered config node) to be
unpickled in the worker: about 0.17 s a job, a sixth of a default cxsim run.
This launcher forks its workers once from the process that composed the
sweep, so they start with that context in memory (no imports, nothing to
unpickle), and then sends each job only its number and overrides. Each job's
config is composed in its worker and run by Hydra's own ``run_job``, exactly
as the joblib launcher does, so job folders, logs and return values are the
same. Needs the ``fork`` start method (Linux; elsewhere use joblib).
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

from cxsim.interrupts import cancel_on_exit, ignore_interrupts

log = logging.getLogger(__name__)


@dataclass
class PoolLauncherConf:
    _target_: str = "hydra_plugins.cxsim_plugins.launcher.PoolLauncher"
    n_jobs: int = -1  # worker processes; -1: one per core


ConfigStore.instance().store(group="hydra/launcher", name="cxsim_pool", node=PoolLauncherConf,
                             provider="cxsim")

# What every worker inherits from the parent at fork: set just before the pool starts.
_SHARED: dict[str, Any] = {}


def _run(idx: int, overrides: list[str]) -> JobReturn:
    """One job in a worker: compose its config, then Hydra's ``run_job``."""
    setup_globals()
    context: HydraContext = _SHARED["hydra_context"]
    config = context.config_loader.load_sweep_config(_SHARED["config"], overrides)
    with open_dict(config):
        config.hydra.job.id = f"{config.hydra.job.name}_{idx}"
        config.hydra.job.num = idx
    HydraConfig.instance().set_config(config)
    return run_job(hydra_context=context, config=config, task_function=_SHARED["task"],
                   job_dir_key="hydra.sweep.dir", job_subdir_key="hydra.sweep.subdir")


class PoolLauncher(Launcher):
    """Jobs on ``n_jobs`` forked worker processes, results in job order."""

    def __init__(self, n_jobs: int = -1) -> None:
        self.n_jobs = n_jobs
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
            with cancel_on_exit(pool):
                futures = [pool.submit(_run, initial_job_idx + idx, list(overrides))
                           for idx, overrides in enumerate(job_overrides)]
                results = [f.result() for f in futures]
        finally:
            _SHARED.clear()
        pool.shutdown()
        return results
