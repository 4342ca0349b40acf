"""``cxsim-decide OPTIONS.yaml`` (or ``python -m cxsim.decide``): one report."""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from cxsim.launchers import SUBMITIT, Launcher, LauncherError, add_arguments
from cxsim.study_cli import (
    BAD_INPUT,
    OneLineParser,
    at_least,
    check_out,
    named_out,
    progress_wanted,
    staged_report,
)

PROG = "cxsim-decide"


def main(argv: Sequence[str] | None = None) -> int:
    """Compare a status quo and named options for a store or a dealer group."""
    p = OneLineParser(prog=PROG, description="Compare your options (a status quo and named "
                      "programmes at chosen stores) on one market: per store and per group "
                      "extra units, revenue, profit after cost, ROI, payback, NPV, terminal "
                      "value and P(loss), with 95 % intervals (see examples/four_stores.yaml).")
    p.add_argument("options", help="the options file (YAML), anywhere on disk")
    p.add_argument("--jobs", type=int, default=0, help="runs at once (0: every core, every "
                   "CPU of the Ray cluster, or 64 SLURM array tasks)")
    p.add_argument("--replications", type=int, default=None,
                   help="replications (overrides the file's)")
    p.add_argument("--out", default=None,
                   help="report folder (default results/decide/<name>-<now>)")
    p.add_argument("--no-progress", action="store_true")
    add_arguments(p)
    a = p.parse_args(argv)
    from cxsim import size
    from cxsim.decide.options import Precision, load_options

    try:
        at_least("--jobs", a.jobs, 0)
        launcher = Launcher.from_args(a)
        if a.replications is not None:
            at_least("--replications", a.replications, 2)
        check_out(a.out)
        options = load_options(a.options)
        if a.replications is not None:
            options.precision = Precision(a.replications, a.replications, None)
        size.check(options.arms["status_quo"])
    except Exception as exc:  # noqa: BLE001 - bad input is one plain line
        from cxsim.compose import explain

        print(f"{PROG}: error: {explain(exc)}", file=sys.stderr)
        return BAD_INPUT
    out = a.out or str(named_out("decide", options.name))

    def write(folder: Path) -> Path:
        from cxsim.decide.report import summary_line, write_report
        from cxsim.decide.runs import run_options

        started = time.perf_counter()
        results = run_options(options, launcher=launcher, progress=progress_wanted(a),
                              folder=folder)
        shutil.rmtree(folder / SUBMITIT, ignore_errors=True)  # SLURM's job files
        write_report(folder, options, results, time.perf_counter() - started)
        print(f"{PROG}: {summary_line(options, results)}")
        return folder

    try:
        return staged_report(PROG, "decide", out, write)
    except LauncherError as exc:  # Ray or a cluster not there (nothing was kept)
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
