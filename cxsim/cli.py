"""The ``cxsim`` command: a Hydra app that checks its input and hands each job to the run layer.

Before Hydra makes a run folder, every job's config is composed and validated
(:mod:`cxsim.preflight`), so that bad input costs one plain line, exit code 2,
and no folder. ``--rules FILE`` (repeatable) runs a Python module that
registers alternative process rules before anything is composed; installed
packages register theirs under the ``cxsim.rules`` entry-point group.
"""

from __future__ import annotations

from cxsim.interrupts import Interrupted, interruptible, interrupts, raise_on_signals

raise_on_signals()  # before the slow imports: Ctrl-C while starting is one line too

# ruff: noqa: E402 - the imports below come after the signal handlers on purpose

import argparse
import logging
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

import hydra
from hydra._internal.utils import get_args_parser
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from cxsim import guard, preflight, provenance, size
from cxsim.compose import CONF_DIR, compose_config, explain, to_run_config
from cxsim.config import ConfigError, RunConfig
from cxsim.rules import selected
from cxsim.safety import RunFolder, SweepFolder

BAD_INPUT = 2
# Rule files named by --rules, for job processes that start afresh (joblib, Ray)
# rather than forking from this one.
RULES_ENV = "CXSIM_RULES"
# Hydra's flags that print something instead of running.
_SHOW_ONLY = ("help", "hydra_help", "cfg", "info", "shell_completion", "experimental_rerun")


def load_rules(files: Sequence[str]) -> None:
    """Register the rules of the user's ``files`` (each once per process); a missing
    file raises :class:`ConfigError`. Installed packages' rules load on first need."""
    from cxsim import rules

    for f in files:
        rules.load_module(f)


def parse_args(argv: Sequence[str]) -> tuple[list[str], argparse.Namespace, list[str]]:
    """``(rule files, Hydra's parsed arguments, the arguments left for Hydra)``.

    ``--rules`` is cxsim's own flag; everything else goes through Hydra's parser.
    """
    ours = argparse.ArgumentParser(prog="cxsim", add_help=False, allow_abbrev=False,
                                   exit_on_error=False)
    ours.add_argument("--rules", action="append", default=[], metavar="FILE")
    ours.add_argument("--max-memory", type=float, default=None, metavar="GB")
    known, rest = ours.parse_known_args(list(argv))
    if known.max_memory is not None:
        if not known.max_memory >= 0 or known.max_memory == float("inf"):
            raise ConfigError(f"--max-memory {known.max_memory}; allowed: a number of GB "
                              ">= 0 (0: no memory check)")
        os.environ[size.LIMIT_ENV] = str(known.max_memory)  # job processes read it too
    return known.rules, get_args_parser().parse_args(rest), rest


def _search(args: argparse.Namespace) -> list[str]:
    """A user's own config folder, where Hydra will look too (before conf/)."""
    search = [o for o in args.overrides if o.split("=", 1)[0] == "hydra.searchpath"]
    if args.config_dir and not search:
        search = [f"hydra.searchpath=[file://{Path(args.config_dir).resolve()}]"]
    return search


def hydra_config(args: argparse.Namespace) -> DictConfig:
    """The ``hydra`` node of the first job, resolved (folder names), after checking that
    no user config file names code (:mod:`cxsim.guard`)."""
    from hydra.core.global_hydra import GlobalHydra

    from cxsim.compose import compose_config

    first = preflight.jobs_of(preflight.parse_overrides(args.overrides))
    overrides = [*(first[0] if first else []), *_search(args)]
    try:
        cfg = compose_config(overrides, args.config_name or "config", hydra=True)
        guard.check_composed(cfg)
        node = cfg.hydra
        OmegaConf.resolve(node)
    finally:
        GlobalHydra.instance().clear()
    return node


def check(args: argparse.Namespace, jobs: list[int] | None = None) -> str | None:
    """None if every job of this command line makes a valid config, else the reason.

    Appends the number of jobs to ``jobs`` when given.
    """
    if any(getattr(args, flag) for flag in _SHOW_ONLY):
        return None
    name = args.config_name or "config"
    search = _search(args)
    import cxsim.processes  # noqa: F401 - registers the default rules, for selected()

    def compose(overrides: list[str]) -> RunConfig:
        composed = compose_config([*overrides, *search], config_name=name)
        guard.check_composed(composed)  # a user's config file naming code or the environment
        cfg = to_run_config(composed)
        selected(cfg.rules)  # an unknown rule name fails here, before any folder
        return cfg

    try:
        if args.config_path:  # Hydra's flag: a whole config tree of the user's, unchecked
            raise ConfigError(f"--config-path {args.config_path}: replaces cxsim's conf/ "
                              "and cannot be checked; allowed: --config-dir DIR (your "
                              "groups and presets, checked beside conf/'s)")
        parsed = preflight.parse_each(args.overrides)
        modes = [o.input_line for o in parsed if o.get_key_element().lstrip("+~") ==
                 "hydra.mode"]
        if modes:  # -m does the sweep folder's checks; the override alone would skip them
            raise ConfigError(f"{modes[0]}: the mode is set by a flag; allowed: cxsim -m "
                              "key=a,b (a sweep), no flag (a single run)")
        sweeps = [o.input_line for o in parsed if o.is_sweep_override()]
        if sweeps and not args.multirun:
            raise ConfigError(f"{sweeps[0]}: a sweep needs -m; allowed: cxsim -m "
                              f"{sweeps[0]}, key=[a,b] for a list, key='a,b' for text")
        guard.check_overrides(parsed)
        preflight.check_group_values(parsed)
        overrides = preflight.task_overrides(parsed)
        todo = preflight.jobs_of(overrides)
        preflight.check_jobs(todo, preflight.swept_values(overrides), compose, size.check)
        if jobs is not None:
            jobs.append(len(todo))
    except Exception as exc:  # noqa: BLE001 - every failure becomes one plain line
        return explain(exc)
    return None


def _sets_plots(task_overrides: list[str]) -> bool:
    """True if the user gave ``plots=...`` on the command line."""
    return any(o.lstrip("+~").split("=", 1)[0] == "plots" for o in task_overrides)


_report: list[str] = []  # the finished run's line, printed once its folder is in place


@hydra.main(version_base=None, config_path=str(CONF_DIR), config_name="config")
def _app(cfg: DictConfig) -> None:
    from cxsim.run import job_done, run_to_folder

    load_rules([f for f in os.environ.get(RULES_ENV, "").split(os.pathsep) if f])
    logging.getLogger("MESA").setLevel(logging.WARNING)
    hc = HydraConfig.get()
    out = Path(hc.runtime.output_dir)
    run_cfg = to_run_config(cfg)
    if hc.mode == RunMode.MULTIRUN and not _sets_plots(list(hc.overrides.task)):
        # A sweep's jobs skip their own PNGs (drawing them costs about as much as
        # simulating); the sweep's summary plots cover the sweep. plots=true asks.
        run_cfg = replace(run_cfg, plots=False)
    with interruptible():  # not while Hydra and OmegaConf build the next job's config
        if job_done(out, run_cfg):  # a resumed sweep: this job finished before
            print(f"cxsim: skipped, already done -> {out}", flush=True)
            return
        started = time.perf_counter()
        started_at = datetime.now(UTC).isoformat(timespec="seconds")
        # No clean-up here: a single run is staged by main() and removed whole on
        # failure; a sweep job's files are staged by write_run and moved in at the end.
        run_to_folder(run_cfg, out, started_at)
    line = (f"cxsim: {run_cfg.sample.customers:,} simulated customers for "
            f"{run_cfg.market.households:,.0f} real households, {run_cfg.weeks} weeks in "
            f"{time.perf_counter() - started:.1f} s")
    if hc.mode == RunMode.MULTIRUN:
        print(f"{line} -> {out}", flush=True)  # flushed whole: a sweep's workers share stdout
    else:
        _report.append(line)


def _fail(reason: str) -> NoReturn:
    print(f"cxsim: error: {reason}", file=sys.stderr)
    sys.exit(BAD_INPUT)


def _quoted(path: Path) -> str:
    return "'" + str(path).replace("\\", "\\\\").replace("'", "\\'") + "'"


def _run_hydra(args: argparse.Namespace, rest: list[str], jobs: int) -> None:
    """Run Hydra into a folder that is safe to write, and say how an interrupt ended."""
    from cxsim.run import is_complete, where_now
    from cxsim.sweep import job_dirs

    hydra_cfg = hydra_config(args)
    if args.multirun:
        sweep = SweepFolder(str(hydra_cfg.sweep.dir))
        sys.argv = [sys.argv[0], *rest, f"hydra.sweep.dir={_quoted(sweep.target)}"]
        try:
            with interrupts(defer=True):
                _app()
            provenance.write(sweep.target)
        except Interrupted as exc:
            provenance.write(sweep.target)
            done = sum(is_complete(p) for p in job_dirs(sweep.target))
            print(f"cxsim: interrupted; {done} of {jobs} jobs complete, kept in "
                  f"{sweep.target}; run the same command with hydra.sweep.dir="
                  f"{sweep.target} to resume", file=sys.stderr)
            sys.exit(exc.code)
        finally:
            sweep.release()
        return
    folder = RunFolder(str(hydra_cfg.run.dir))
    sys.argv = [sys.argv[0], *rest, f"hydra.run.dir={_quoted(folder.staging)}"]
    try:
        with interrupts(defer=True):
            _app()
    except Interrupted as exc:
        where = where_now()
        folder.abandon()
        print(f"cxsim: interrupted {where}; nothing kept", file=sys.stderr)
        sys.exit(exc.code)
    except BaseException:
        folder.abandon()  # what this run created, nothing else
        raise
    folder.commit()
    for line in _report:
        print(f"{line} -> {folder.target}", flush=True)


COMMANDS = {"decide": "cxsim.decide.cli", "explore": "cxsim.explore.cli",
            "calibrate": "cxsim.calibrate.cli", "optimise": "cxsim.optimise",
            "sensitivity": "cxsim.sensitivity", "aggregate": "cxsim.sweep",
            "dashboard": "cxsim.dashboard.cli"}
"""``cxsim NAME ARGS`` is ``cxsim-NAME ARGS`` (a Hydra override always holds "=")."""


def main() -> None:
    """Console entry point (``cxsim`` and ``python -m cxsim``)."""
    if len(sys.argv) > 1 and sys.argv[1] in COMMANDS:
        import importlib

        sys.argv[0] = f"cxsim {sys.argv[1]}"
        sys.exit(importlib.import_module(COMMANDS[sys.argv[1]]).main(sys.argv[2:]))
    try:
        _main()
    except Interrupted as exc:  # before any folder was claimed
        print("cxsim: interrupted before starting; nothing written", file=sys.stderr)
        sys.exit(exc.code)


def _main() -> None:
    try:
        files, args, rest = parse_args(sys.argv[1:])
        load_rules(files)
    except (argparse.ArgumentError, ConfigError) as exc:
        _fail(str(exc))
    jobs: list[int] = []
    reason = check(args, jobs)
    if reason is not None:
        _fail(reason)
    if files:
        os.environ[RULES_ENV] = os.pathsep.join(str(Path(f).resolve()) for f in files)
    if any(getattr(args, flag) for flag in _SHOW_ONLY):
        sys.argv = [sys.argv[0], *rest]  # hydra.main reads them again, without --rules
        _app()
        return
    try:
        _run_hydra(args, rest, jobs[0] if jobs else 1)
    except ConfigError as exc:
        _fail(str(exc))


if __name__ == "__main__":
    main()
