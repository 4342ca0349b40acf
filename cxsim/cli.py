"""The ``cxsim`` command: a Hydra app that checks its input and hands each job to the run layer.

Before Hydra makes a run folder, every job's config is composed and validated
(:mod:`cxsim.preflight`), so that bad input costs one plain line, exit code 2,
and no folder. ``--rules FILE`` (repeatable) runs a Python module that
registers alternative process rules before anything is composed; installed
packages register theirs under the ``cxsim.rules`` entry-point group.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import hydra
from hydra._internal.utils import get_args_parser
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from cxsim import preflight
from cxsim.compose import CONF_DIR, explain, load_config, to_run_config
from cxsim.config import ConfigError, RunConfig
from cxsim.rules import selected

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
    known, rest = ours.parse_known_args(list(argv))
    return known.rules, get_args_parser().parse_args(rest), rest


def check(args: argparse.Namespace) -> str | None:
    """None if every job of this command line makes a valid config, else the reason."""
    if any(getattr(args, flag) for flag in _SHOW_ONLY):
        return None
    name = args.config_name or "config"
    # a user's own config folder, where Hydra will look too (before conf/)
    search = [o for o in args.overrides if o.split("=", 1)[0] == "hydra.searchpath"]
    if args.config_dir and not search:
        search = [f"hydra.searchpath=[file://{Path(args.config_dir).resolve()}]"]
    def compose(overrides: list[str]) -> RunConfig:
        cfg = load_config([*overrides, *search], config_name=name)
        selected(cfg.rules)  # an unknown rule name fails here, before any folder
        return cfg

    try:
        overrides = preflight.task_overrides(preflight.parse_overrides(args.overrides))
        preflight.check_jobs(preflight.jobs_of(overrides), preflight.swept_values(overrides),
                             compose)
    except Exception as exc:  # noqa: BLE001 - every failure becomes one plain line
        return explain(exc)
    return None


def _sets_plots(task_overrides: list[str]) -> bool:
    """True if the user gave ``plots=...`` on the command line."""
    return any(o.lstrip("+~").split("=", 1)[0] == "plots" for o in task_overrides)


@hydra.main(version_base=None, config_path=str(CONF_DIR), config_name="config")
def _app(cfg: DictConfig) -> None:
    from cxsim.run import job_done, run_to_folder

    load_rules([f for f in os.environ.get(RULES_ENV, "").split(os.pathsep) if f])
    logging.getLogger("MESA").setLevel(logging.WARNING)
    hc = HydraConfig.get()
    out = Path(hc.runtime.output_dir)
    try:
        run_cfg = to_run_config(cfg)
        if hc.mode == RunMode.MULTIRUN and not _sets_plots(list(hc.overrides.task)):
            # A sweep's jobs skip their own PNGs (drawing them costs about as much as
            # simulating); the sweep's summary plots cover the sweep. plots=true asks.
            run_cfg = replace(run_cfg, plots=False)
        if job_done(out, run_cfg):  # a resumed sweep: this job finished before
            print(f"cxsim: skipped, already done -> {out}", flush=True)
            return
        started = time.perf_counter()
        run_to_folder(run_cfg, out)
    except BaseException:
        shutil.rmtree(out, ignore_errors=True)
        raise
    # flushed whole: a sweep's workers share stdout
    print(f"cxsim: {run_cfg.sample.customers:,} simulated customers for "
          f"{run_cfg.market.households:,.0f} real households, {run_cfg.weeks} weeks in "
          f"{time.perf_counter() - started:.1f} s -> {out}", flush=True)


def _fail(reason: str) -> None:
    print(f"cxsim: error: {reason}", file=sys.stderr)
    sys.exit(BAD_INPUT)


def main() -> None:
    """Console entry point (``cxsim`` and ``python -m cxsim``)."""
    try:
        files, args, rest = parse_args(sys.argv[1:])
        load_rules(files)
    except (argparse.ArgumentError, ConfigError) as exc:
        _fail(str(exc))
    reason = check(args)
    if reason is not None:
        _fail(reason)
    if files:
        os.environ[RULES_ENV] = os.pathsep.join(str(Path(f).resolve()) for f in files)
    sys.argv = [sys.argv[0], *rest]  # hydra.main reads them again, without --rules
    _app()


if __name__ == "__main__":
    main()
