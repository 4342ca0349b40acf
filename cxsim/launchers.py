"""Where a study's runs go: this machine's cores, Ray, or SLURM.

A study (``cxsim-explore``, ``cxsim-decide``) hands its tasks to a *task map*,
``task_map(fn, tasks, bar=None)``: ``[fn(t) for t in tasks]`` in task order,
``bar`` moved by the runs of each result as it arrives (the contract of
:func:`cxsim.run.pool`). :meth:`Launcher.open` opens one:

* ``cores``: :func:`cxsim.run.pool`, worker processes on this machine;
* ``ray``: Ray tasks, on a private Ray instance started for the study as
  ``conf/hydra/launcher/ray_local.yaml`` starts one (loopback only, no
  dashboard, no usage statistics, in ``CXSIM_RAY_TMPDIR``), or on an existing
  cluster at ``address``;
* ``slurm``: a submitit job array per call, each array task running a
  contiguous share of the tasks (one scenario takes seconds, a SLURM job's
  start more), its files in a folder of the study's report.

Every task carries its own seeds, so the results are the same on every
launcher. An interrupt (or a failed task) cancels what is queued or running
and is raised on, for the study to report in one line.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import shutil
import signal
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cxsim.run import TaskMap, cores, pool, runs_in

LAUNCHERS = ("cores", "ray", "slurm")
RAY_TMPDIR = "/tmp/cxsim-ray"  # short: Ray puts Unix sockets under it
SLURM_PARALLELISM = 64  # array tasks at once unless --jobs says otherwise
SLURM_MEM_GB = 4
SUBMITIT = "submitit"  # submitit's folder inside a report's staging folder
SLURM_CLUSTER = "slurm"  # submitit's executor; tests, with no SLURM here, use "local"


class LauncherError(RuntimeError):
    """A launcher that could not start (reported in one line, as bad input)."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The launcher's flags (``--jobs`` is the study's own)."""
    p.add_argument("--launcher", choices=LAUNCHERS, default="cores",
                   help="where runs go: cores (this machine, default), ray (a private Ray "
                   "instance, or --ray-address), slurm (submitit job arrays)")
    p.add_argument("--ray-address", default=None,
                   help="an existing Ray cluster (e.g. head:6379 or ray://head:10001)")
    p.add_argument("--slurm-partition", default=None,
                   help="SLURM partition (default $SLURM_PARTITION)")
    p.add_argument("--slurm-account", default=None, help="SLURM account (default "
                   "$SLURM_ACCOUNT)")
    p.add_argument("--slurm-minutes", type=int, default=60,
                   help="time limit of one SLURM array task (default 60)")


@dataclass(frozen=True)
class Launcher:
    """Where runs go and how many at once (``jobs``; 0: every core, every CPU of
    the Ray cluster, or :data:`SLURM_PARALLELISM` array tasks)."""

    name: str = "cores"
    jobs: int = 0
    address: str | None = None  # ray: an existing cluster; None: a private instance
    partition: str | None = None
    account: str | None = None
    minutes: int = 60
    cluster: str | None = None  # submitit's executor (None: SLURM_CLUSTER)

    @classmethod
    def from_args(cls, a: argparse.Namespace) -> Launcher:
        """The launcher the flags of :func:`add_arguments` ask for, checked."""
        out = cls(a.launcher, a.jobs, a.ray_address,
                  a.slurm_partition or os.environ.get("SLURM_PARTITION") or None,
                  a.slurm_account or os.environ.get("SLURM_ACCOUNT") or None, a.slurm_minutes)
        out.check(a)
        return out

    def check(self, a: argparse.Namespace | None = None) -> None:
        """Raise ValueError naming the flag of a setting this launcher cannot use."""
        if self.name not in LAUNCHERS:
            raise ValueError(f"--launcher {self.name}; allowed: {', '.join(LAUNCHERS)}")
        given = vars(a) if a is not None else {}
        for flag, kind in (("ray_address", "ray"), ("slurm_partition", "slurm"),
                           ("slurm_account", "slurm")):
            if given.get(flag) is not None and self.name != kind:
                raise ValueError(f"--{flag.replace('_', '-')} {given[flag]}; allowed only "
                                 f"with --launcher {kind}")
            if given.get(flag) is not None and not str(given[flag]).strip():
                raise ValueError(f"--{flag.replace('_', '-')} is empty; allowed: a name")
        if self.address is not None and self.address.strip():
            _address(self.address)
        if self.minutes < 1:
            raise ValueError(f"--slurm-minutes {self.minutes}; allowed: --slurm-minutes >= 1")
        needs = {"ray": "ray", "slurm": "submitit"}.get(self.name)
        if needs and importlib.util.find_spec(needs) is None:
            raise ValueError(f"--launcher {self.name}: {needs} is not installed; allowed: "
                             "cores (or pip install 'cxsim[sweeps]')")
        if self.name == "slurm" and (self.cluster or SLURM_CLUSTER) == "slurm" \
                and shutil.which("sbatch") is None:
            raise ValueError("--launcher slurm: no SLURM here (sbatch not found); "
                             "allowed: cores, ray")

    @contextmanager
    def open(self, most: int, folder: Path | None = None) -> Iterator[tuple[TaskMap, int]]:
        """A task map and how many tasks it runs at once, for at most ``most`` tasks a
        call; SLURM's files go to ``folder / SUBMITIT``. Raises :class:`LauncherError`
        if Ray or submitit cannot start."""
        if self.name == "ray":
            with _loopback_only(self.address is None), _ray(self.jobs, self.address) as opened:
                yield opened
        elif self.name == "slurm":
            if folder is None:
                raise LauncherError("--launcher slurm needs a report folder")
            yield _slurm(self, folder / SUBMITIT), self.jobs or SLURM_PARALLELISM
        else:
            workers = cores() if self.jobs == 0 else max(1, self.jobs)
            with pool(min(workers, max(1, most))) as task_map:
                yield task_map, workers


# -- environment ------------------------------------------------------------------------------
@contextmanager
def _environment(**values: str) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _importable() -> dict[str, str]:
    """PYTHONPATH that lets a child process import the cxsim this process runs (pytest
    and notebooks put a checkout on ``sys.path``, which children do not inherit)."""
    import cxsim

    root = str(Path(cxsim.__file__).resolve().parent.parent)
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    return {"PYTHONPATH": os.pathsep.join([root, *[p for p in paths if p != root]])}


# -- Ray --------------------------------------------------------------------------------------
def _call(fn: Callable[[Any], Any], task: Any) -> Any:
    return fn(task)


def _address(address: str) -> tuple[str, int] | None:
    """(host, port) of a cluster address; None for ``auto`` (Ray looks it up)."""
    if address.strip() == "auto":
        return None
    host, _, port = address.split("://", 1)[-1].rpartition(":")
    if not host.strip("[]") or not port.isdigit():
        raise ValueError(f"--ray-address {address}; allowed: HOST:PORT, ray://HOST:PORT "
                         "or auto")
    return host.strip("[]"), int(port)


def _reach(address: str) -> None:
    """Refuse a cluster nobody answers at: Ray itself retries for many minutes."""
    where = _address(address)
    if where is None:
        return
    try:
        socket.create_connection(where, timeout=5).close()
    except OSError as exc:
        raise LauncherError(f"--ray-address {address}: {exc.strerror or exc}; allowed: "
                            "the address of a running Ray cluster's head") from None


@contextmanager
def _study_keeps_signals() -> Iterator[None]:
    """ray.init takes SIGTERM for itself (to exit, or to stop a head it started); the
    study's handlers (cxsim.interrupts) must stay, so Ctrl-C or SIGTERM is one line."""
    import ray._private.utils as ray_utils

    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    setter = getattr(ray_utils, "set_sigterm_handler", None)
    if setter is not None:
        ray_utils.set_sigterm_handler = lambda handler: None
    try:
        yield
    finally:
        if setter is not None:
            ray_utils.set_sigterm_handler = setter
        for s, h in handlers.items():
            signal.signal(s, h)


@contextmanager
def _loopback_only(private: bool) -> Iterator[None]:
    """Without RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0, Ray on Linux listens on every address
    of the machine whatever ``_node_ip_address`` says (cxsim.sweep.ray_environment, for
    Hydra's launcher). Ray reads it once, when first imported, so a process that had
    imported Ray before (a notebook, a test) gets the constant set as well."""
    if not private:
        yield
        return
    with _environment(RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER="0"):
        from ray._private import ray_constants

        saved = ray_constants.ENABLE_RAY_CLUSTER
        ray_constants.ENABLE_RAY_CLUSTER = False
        try:
            yield
        finally:
            ray_constants.ENABLE_RAY_CLUSTER = saved


@contextmanager
def _ray(jobs: int, address: str | None) -> Iterator[tuple[TaskMap, int]]:
    import ray

    env = {"RAY_USAGE_STATS_ENABLED": os.environ.get("RAY_USAGE_STATS_ENABLED", "0")}
    if address is None:
        env |= _importable()
        init: dict[str, Any] = dict(
            address="local", num_cpus=jobs or None, include_dashboard=False,
            _node_ip_address="127.0.0.1",
            _temp_dir=os.environ.get("CXSIM_RAY_TMPDIR") or RAY_TMPDIR)
    else:
        _reach(address)
        init = {"address": address}
    with _environment(**env), _study_keeps_signals():
        try:
            ray.init(**init, log_to_driver=False, logging_level=logging.ERROR,
                     configure_logging=True)
        except Exception as exc:  # noqa: BLE001 - a cluster not there is one line
            ray.shutdown()  # whatever of a private instance had started
            raise LauncherError(f"--launcher ray: {str(exc).splitlines()[0]}") from exc
        except BaseException:  # an interrupt while Ray starts
            ray.shutdown()
            raise
    try:
        remote = ray.remote(num_cpus=1)(_call)  # a lost node's task reruns: tasks are pure
        workers = max(1, int(ray.cluster_resources().get("CPU", 1)))

        def task_map(fn: Callable[[Any], Any], tasks: Sequence[Any], bar: Any = None) -> list:
            refs = [remote.remote(fn, t) for t in tasks]
            where = {ref: i for i, ref in enumerate(refs)}
            results: list[Any] = [None] * len(refs)
            pending = list(refs)
            try:
                while pending:  # short waits: a signal is handled between them
                    ready, pending = ray.wait(pending, num_returns=len(pending), timeout=0.5)
                    for ref in ready:
                        results[where[ref]] = ray.get(ref)
                        if bar is not None:
                            bar.update(runs_in(results[where[ref]]))
            except BaseException:
                for ref in pending:
                    with suppress(Exception):
                        ray.cancel(ref, force=True)
                raise
            return results

        task_map.workers = workers  # type: ignore[attr-defined] - cxsim.run.run_many's batches
        yield task_map, workers
    finally:
        ray.shutdown()


# -- SLURM (submitit) -------------------------------------------------------------------------
def _run_share(share: tuple[Callable[[Any], Any], list[Any]]) -> list[Any]:
    fn, tasks = share
    return [fn(t) for t in tasks]


def shares(n: int, parts: int) -> list[range]:
    """``range(n)`` cut into ``min(n, parts)`` contiguous shares of nearly equal size."""
    parts = max(1, min(n, parts))
    cuts = [n * k // parts for k in range(parts + 1)]
    return [range(a, b) for a, b in zip(cuts, cuts[1:], strict=False)]


def _slurm(launcher: Launcher, folder: Path) -> TaskMap:
    import submitit

    parallelism = launcher.jobs or SLURM_PARALLELISM
    poll = 0.2 if launcher.cluster not in (None, "slurm") else 5.0

    def executor() -> Any:
        ex = submitit.AutoExecutor(folder=folder, cluster=launcher.cluster or SLURM_CLUSTER)
        extra = {f"slurm_{k}": v for k, v in (("partition", launcher.partition),
                                              ("account", launcher.account)) if v}
        ex.update_parameters(name="cxsim", timeout_min=launcher.minutes, cpus_per_task=1,
                             mem_gb=SLURM_MEM_GB, slurm_array_parallelism=parallelism,
                             **extra)
        return ex

    def task_map(fn: Callable[[Any], Any], tasks: Sequence[Any], bar: Any = None) -> list:
        tasks = list(tasks)
        if not tasks:
            return []
        cut = shares(len(tasks), parallelism)
        with _environment(**_importable()):
            jobs = executor().map_array(_run_share, [(fn, [tasks[i] for i in r]) for r in cut])
        results: list[Any] = [None] * len(tasks)
        pending = list(zip(jobs, cut, strict=True))
        try:
            while pending:
                for job, r in [p for p in pending if p[0].done()]:
                    got = job.result()  # a failed job raises, with its traceback
                    for i, value in zip(r, got, strict=True):
                        results[i] = value
                        if bar is not None:
                            bar.update(runs_in(value))
                    pending.remove((job, r))
                if pending:
                    time.sleep(poll)
        except BaseException:
            for job, _ in pending:
                with suppress(Exception):
                    job.cancel(check=False)
            raise
        return results

    task_map.workers = parallelism  # type: ignore[attr-defined]
    return task_map
