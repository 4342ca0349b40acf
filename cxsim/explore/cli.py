"""``cxsim-explore OPTIONS.yaml --scenarios N`` (or ``python -m cxsim.explore``)."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence

from cxsim.launchers import add_arguments
from cxsim.study_cli import BAD_INPUT, OneLineParser, named_out, progress_wanted

PROG = "cxsim-explore"


def parser() -> OneLineParser:
    """The command line."""
    p = OneLineParser(prog=PROG, description="Where does an option fail? Sample the "
                      "uncertainties (a Latin hypercube), run every option and the status "
                      "quo in every scenario on common seeds, find with PRIM the regions "
                      "where an option fails, and rank the options by regret and by the "
                      "share of scenarios where they meet the threshold "
                      "(see examples/four_stores_explore.yaml).")
    p.add_argument("options", help="an options file (as for cxsim-decide), with an optional "
                   "uncertainties: and explore: section")
    p.add_argument("--scenarios", type=int, default=None,
                   help="scenarios to sample (default: the file's explore.scenarios, or 200)")
    p.add_argument("--replications", type=int, default=None,
                   help="replications per option and scenario (default 1)")
    p.add_argument("--threshold", type=float, default=None, dest="threshold_k",
                   help="k$: an option fails below this (default 0)")
    p.add_argument("--outcome", default=None, help="npv_k (default) or npv_with_terminal_k")
    p.add_argument("--uncertainties", default=None,
                   help="a YAML file whose uncertainties: section replaces the options file's")
    p.add_argument("--jobs", type=int, default=0, help="runs at once (0: every core, every "
                   "CPU of the Ray cluster, or 64 SLURM array tasks)")
    p.add_argument("--out", default=None, help="report folder (default "
                   "results/explore/<name>-<now>); the same --out resumes an interrupted one")
    p.add_argument("--no-progress", action="store_true")
    add_arguments(p)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Explore the options of a file over its uncertainties; write one report folder."""
    a = parser().parse_args(argv)
    from cxsim import size
    from cxsim.config import ConfigError
    from cxsim.explore.folder import ExploreFolder
    from cxsim.explore.scenarios import sample
    from cxsim.explore.study import load_study
    from cxsim.launchers import Launcher
    from cxsim.study_cli import at_least

    try:
        at_least("--jobs", a.jobs, 0)
        launcher = Launcher.from_args(a)
        if a.scenarios is not None:
            at_least("--scenarios", a.scenarios, 1)
        if a.replications is not None:
            at_least("--replications", a.replications, 1)
        if a.threshold_k is not None:
            at_least("--threshold", abs(a.threshold_k), 0)
        study = load_study(a.options, a.uncertainties, scenarios=a.scenarios,
                           replications=a.replications, threshold_k=a.threshold_k,
                           outcome=a.outcome)
        size.check(study.options.arms["status_quo"])
        scenarios = sample(study.uncertainties, study.scenarios, study.options.seed)
        folder = ExploreFolder(a.out or named_out("explore", study.name), study.fingerprint())
    except Exception as exc:  # noqa: BLE001 - bad input is one plain line
        from cxsim.compose import explain

        print(f"{PROG}: error: {explain(exc)}", file=sys.stderr)
        return BAD_INPUT
    return _explore(study, scenarios, folder, launcher, progress_wanted(a), ConfigError)


def _explore(study, scenarios, folder, launcher, progress: bool, config_error) -> int:
    from cxsim.explore.report import summary_line, write_report
    from cxsim.explore.runs import PARTS, finished, run_scenarios
    from cxsim.interrupts import Interrupted, interrupts
    from cxsim.launchers import SUBMITIT, LauncherError

    try:
        staging = folder.open()
    except config_error as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return BAD_INPUT
    if folder.resumed:
        print(f"{PROG}: resuming: {finished(staging)['scenario'].nunique()} of "
              f"{study.scenarios} scenarios done", file=sys.stderr)
    started = time.perf_counter()
    try:
        with interrupts():
            outcomes = run_scenarios(study, scenarios, staging, launcher=launcher,
                                     progress=progress)
            analysis = write_report(staging, study, scenarios, outcomes,
                                    time.perf_counter() - started)
            target = folder.commit(drop=(PARTS, SUBMITIT))
    except LauncherError as exc:  # Ray or a cluster not there: nothing new is kept
        folder.abandon()
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return BAD_INPUT
    except Interrupted as exc:
        folder.close()
        done = finished(staging)["scenario"].nunique()
        print(f"{PROG}: interrupted; {done} of {study.scenarios} scenarios kept in "
              f"{staging}; the same command with --out {folder.target} goes on",
              file=sys.stderr)
        return exc.code
    except BaseException:
        folder.close()
        raise
    print(f"{PROG}: {summary_line(study, analysis)}")
    print(f"{PROG}: report -> {target / 'report.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
