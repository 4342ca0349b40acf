"""``cxsim-calibrate DATA.csv --market FILE.yaml`` (or ``python -m cxsim.calibrate``).

Everything is checked before any run: a bad history or calibration file is one
line naming the line, column or key and what is allowed, exit code 2, nothing
written. Ctrl-C keeps the run folder's staging (pyabc's database inside) and
names the ``--resume`` that finishes it.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from cxsim.launchers import Launcher, add_arguments
from cxsim.study_cli import (
    BAD_INPUT,
    OneLineParser,
    at_least,
    check_out,
    named_out,
    progress_wanted,
)

PROG = "cxsim-calibrate"


def _parser() -> OneLineParser:
    p = OneLineParser(prog=PROG, description="Calibrate the market to your own history "
                      "(ABC-SMC): a posterior table, pairwise plots, observed against "
                      "simulated bands, a backtest and a calibrated market for cxsim-decide "
                      "(see examples/calibrate_metro.yaml and docs/calibrate.md).")
    p.add_argument("data", help="the history: a tidy CSV (month, store, metric, value, "
                   "respondents)")
    p.add_argument("--market", required=True, help="the calibration file (YAML): the market, "
                   "the unknowns and their priors, the sampler's budget")
    p.add_argument("--backtest", type=int, default=0, metavar="MONTHS",
                   help="also fit the first MONTHS months alone and band the rest")
    p.add_argument("--jobs", type=int, default=0, help="worker processes (0: every core)")
    add_arguments(p)
    p.add_argument("--out", default=None,
                   help="run folder (default results/calibrate/<name>-<now>)")
    p.add_argument("--resume", default=None, metavar="FOLDER",
                   help="finish the interrupted calibration that was to go into FOLDER")
    p.add_argument("--no-progress", action="store_true")
    return p


def _check(a: argparse.Namespace) -> tuple:
    from cxsim.calibrate.data import read_history
    from cxsim.calibrate.spec import load_spec
    from cxsim.config import ConfigError

    at_least("--jobs", a.jobs, 0)
    at_least("--backtest", a.backtest, 0)
    launcher = Launcher.from_args(a)
    if a.resume is not None and a.out is not None:
        raise ValueError("--resume names the folder; allowed: --resume without --out")
    check_out(a.out)
    spec = load_spec(a.market)
    history = read_history(a.data, spec.stores)
    n = len(spec.priors(history.stores))
    if len(history.months) < n:
        raise ConfigError(f"{a.data}: {len(history.months)} months for {n} parameters; "
                          f"allowed: at least {n} months (one per parameter)")
    k = a.backtest
    if k and not n <= k < len(history.months):
        raise ConfigError(f"--backtest {k}; allowed: {n} (the parameters) to "
                          f"{len(history.months) - 1} (one month held out at least)")
    return spec, history, launcher


def main(argv: Sequence[str] | None = None) -> int:
    """Calibrate a market to a dealer group's history; one run folder."""
    a = _parser().parse_args(argv)
    from cxsim.calibrate.folder import CalibrationFolder
    from cxsim.compose import explain
    from cxsim.interrupts import Interrupted, interrupts
    from cxsim.launchers import SUBMITIT, LauncherError

    try:
        spec, history, launcher = _check(a)
        folder = CalibrationFolder(a.resume or a.out or named_out("calibrate", spec.name),
                                   resume=a.resume is not None)
        if a.resume is not None:
            try:
                folder.same_inputs(Path(a.data), Path(a.market))
            except BaseException:
                folder.keep()
                raise
    except Exception as exc:  # noqa: BLE001 - bad input is one plain line
        print(f"{PROG}: error: {explain(exc)}", file=sys.stderr)
        return BAD_INPUT
    from cxsim.calibrate.calibration import calibrate
    from cxsim.calibrate.predictive import warnings
    from cxsim.calibrate.report import write_report

    try:
        with interrupts():
            if a.resume is None:
                folder.keep_inputs(Path(a.data), Path(a.market))
            cal = calibrate(spec, history, folder=folder.staging, jobs=a.jobs,
                            progress=progress_wanted(a), resume=a.resume is not None,
                            backtest=a.backtest, launcher=launcher)
            shutil.rmtree(folder.staging / SUBMITIT, ignore_errors=True)  # SLURM's, ours
            write_report(folder.staging, cal)
    except LauncherError as exc:  # Ray or a cluster not there: one line, as bad input
        if a.resume is not None:
            folder.keep()
        else:
            folder.abandon()
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return BAD_INPUT
    except Interrupted as exc:
        folder.keep()
        print(f"{PROG}: interrupted; resume with: {PROG} {a.data} --market {a.market} "
              f"--resume {folder.target}", file=sys.stderr)
        return exc.code
    except BaseException:
        folder.abandon()
        raise
    folder.commit()
    for line in warnings(cal.params):
        print(f"{PROG}: {line}", file=sys.stderr)
    print(f"{PROG}: report -> {folder.target / 'report.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
