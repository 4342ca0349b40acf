"""What the study commands (``python -m cxsim.optimise``, ``cxsim.sensitivity``) share.

Their common options (market overrides, the focal outcome, seed, worker
processes, report folder, progress bar), where a report folder goes, and bad
input as one plain line with exit code 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import NoReturn

from cxsim.run import OUTCOMES

BAD_INPUT = 2


class OneLineParser(argparse.ArgumentParser):
    """argparse, with a bad flag as one line (no usage block) and exit code 2."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        sys.exit(BAD_INPUT)


def at_least(flag: str, value: float | None, low: float) -> None:
    """Raise naming ``flag`` unless ``value >= low`` (and finite)."""
    if value is None or not low <= value < float("inf"):
        raise ValueError(f"{flag} {value}; allowed: {flag} >= {low:g}")


def check_out(out: str | None) -> None:
    """Refuse a report folder that is a file or holds files other than an earlier
    report's, before any run (:func:`cxsim.safety.check_target`)."""
    from cxsim.safety import check_target

    if out is None:
        return
    if not out.strip():
        raise ValueError("--out is empty; allowed: a folder path")
    check_target(Path(out).expanduser().absolute(), "--out", allow_report=True)


def study_parser(prog: str, description: str, study: str, seed_help: str = "base seed",
                 kpis: Sequence[str] = OUTCOMES) -> argparse.ArgumentParser:
    """A parser with the options every study command has (``--kpi``: one of ``kpis``,
    the first by default)."""
    p = OneLineParser(prog=prog, description=description)
    p.add_argument("overrides", nargs="*", help="market overrides, e.g. sample.customers=10000")
    p.add_argument("--kpi", default="profit_k" if kpis is OUTCOMES else kpis[0],
                   choices=kpis, help="the outcome studied (focal dealer's, or group_npv_k)")
    p.add_argument("--seed", type=int, default=0, help=seed_help)
    p.add_argument("--jobs", type=int, default=0, help="worker processes (0: every core)")
    p.add_argument("--out", default=None, help=f"report folder (default results/{study}/<now>)")
    p.add_argument("--no-progress", action="store_true")
    return p


def progress_wanted(args: argparse.Namespace) -> bool:
    """A progress bar unless asked not to, and only on a terminal."""
    return not args.no_progress and sys.stderr.isatty()


def input_error(prog: str, check: Callable[[], object],
                args: argparse.Namespace | None = None) -> int | None:
    """Run ``check`` (after the flags every study has, given ``args``); on any error
    print it as one line and return the exit code."""
    try:
        if args is not None:
            at_least("--jobs", args.jobs, 0)
            at_least("--seed", args.seed, 0)
            if args.seed >= 2**63:
                raise ValueError(f"--seed {args.seed}; allowed: 0 <= --seed < 2**63")
            check_out(args.out)
        check()
    except Exception as exc:  # noqa: BLE001 - bad input is one plain line
        from cxsim.compose import explain

        print(f"{prog}: error: {explain(exc)}", file=sys.stderr)
        return BAD_INPUT
    return None


def _default(study: str) -> Path:
    return Path("results") / study / datetime.now().strftime("%Y-%m-%d_%H-%M-%S")


def named_out(tool: str, name: str) -> Path:
    """``results/<tool>/<name>-<date>_<time>``: where a named study's report goes."""
    return Path("results") / tool / f"{name}-{datetime.now():%Y-%m-%d_%H-%M-%S}"


def report_folder(out: str | os.PathLike | None, study: str) -> Path:
    """``out``, or ``results/<study>/<date>_<time>``; created."""
    path = Path(out) if out else _default(study)
    path.mkdir(parents=True, exist_ok=True)
    return path


def staged_report(prog: str, study: str, out: str | None,
                  write: Callable[[Path], object]) -> int:
    """``write(folder)`` into a staging folder renamed onto ``out`` (or the default)
    when complete, as a run folder is (:class:`cxsim.safety.RunFolder`); an earlier
    report there is replaced whole. Ctrl-C or SIGTERM is one line and keeps
    nothing. Returns the exit code."""
    from cxsim.config import ConfigError
    from cxsim.interrupts import Interrupted, interrupts
    from cxsim.safety import RunFolder

    try:
        with interrupts():
            folder = RunFolder(str(out or _default(study)), "--out", replace_report=True)
    except ConfigError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return BAD_INPUT
    try:
        with interrupts():
            write(folder.staging)
    except Interrupted as exc:
        folder.abandon()
        print(f"{prog}: interrupted; nothing kept", file=sys.stderr)
        return exc.code
    except BaseException:
        folder.abandon()  # what this study created, nothing else
        raise
    folder.commit()
    print(f"{prog}: report -> {folder.target / 'report.md'}")
    return 0
