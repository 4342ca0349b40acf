"""Where the fast engine spends its time, grouped by process.

Runs the default market (warm-up + 5 recorded years) under cProfile, at
20,000 and 200,000 customers by default, each in a fresh process on one core:

    .venv/bin/python benchmarks/bench_profile.py            # 20,000 and 200,000
    .venv/bin/python benchmarks/bench_profile.py 1000000 --top 25

Every function's own time (cProfile's tottime, CPU time) is charged to a
process: functions of a process are charged to it directly; helpers shared by
several processes (numpy calls, the survey, the logit) are split among their
callers in proportion to the time each caller spent in them, as gprof does.
The table then lists the hottest functions themselves. Profiling adds
overhead (roughly a third at 20,000 customers, where calls are many and
short), so the shares matter more than the absolute seconds.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

CHILD = r"""
import cProfile, pstats, sys, time
from cxsim import load_config
from cxsim.model import CxModel
sys.path.insert(0, sys.argv[3])
from bench_profile import report
n, top = int(sys.argv[1]), int(sys.argv[2])
cfg = load_config([f"sample.customers={n}", "progress=false"])
m = CxModel(cfg)
t0 = time.process_time()
m.run()
plain = time.process_time() - t0
m = CxModel(cfg)
prof = cProfile.Profile(time.process_time)
prof.enable()
m.run()
prof.disable()
report(pstats.Stats(prof), n, plain, top)
"""

# (group, file, function names or None for the whole file); the first match wins.
GROUPS = (
    ("calendar", "calendar.py", None),
    ("metrics", "metrics.py", None),
    ("metrics", "model.py", {"_close_week"}),
    ("purchase", "purchase.py", None),
    ("service", "service.py", None),
    ("service", "lane.py", None),
    ("service", "queueing.py", None),
    ("shopping/visit", "shopping.py", None),
    ("shopping/visit", "entry.py", None),
    ("word of mouth", "word_of_mouth.py", None),
    ("word of mouth", "reviews.py", None),
    ("word of mouth", "social.py", None),
)
ORDER = ("shopping/visit", "purchase", "service", "word of mouth", "calendar", "metrics",
         "other")


def _name(func: tuple[str, int, str]) -> str:
    file, line, name = func
    return f"{os.path.basename(file)}:{line}({name})"


def _anchor(func: tuple[str, int, str]) -> str | None:
    """The process a function belongs to outright, if any."""
    file, _line, name = func
    base = os.path.basename(file)
    for group, in_file, names in GROUPS:
        if base == in_file and (names is None or name in names):
            return group
    return None


def attribute(stats) -> dict[str, float]:
    """Seconds of own time per process (gprof-style split of shared helpers)."""
    raw = stats.stats
    memo: dict = {}

    def share(func, busy: frozenset) -> dict[str, float]:
        if func in memo:
            return memo[func]
        group = _anchor(func)
        if group is not None:
            out = {group: 1.0}
        else:
            callers = {c: v[3] for c, v in raw[func][4].items() if c not in busy and c in raw}
            total = sum(callers.values())
            if total <= 0:
                out = {"other": 1.0}
            else:
                out = {}
                for c, ct in callers.items():
                    for g, f in share(c, busy | {func}).items():
                        out[g] = out.get(g, 0.0) + f * ct / total
        if not busy:
            memo[func] = out
        return out

    seconds = dict.fromkeys(ORDER, 0.0)
    for func, (_cc, _nc, tt, _ct, _callers) in raw.items():
        for g, f in share(func, frozenset()).items():
            seconds[g] += tt * f
    return seconds


def report(stats, n: int, plain_s: float, top: int) -> None:
    seconds = attribute(stats)
    total = sum(seconds.values())
    print(f"\n{n:,} customers: {plain_s:.2f} s CPU without the profiler, "
          f"{total:.2f} s under it; {stats.total_calls:,} calls")
    print(f"  {'process':<16} {'CPU s':>7} {'share':>6}")
    for g in ORDER:
        print(f"  {g:<16} {seconds[g]:>7.2f} {100 * seconds[g] / total:>5.1f}%")
    print(f"  hottest functions (own time): {'calls':>9} {'own s':>7} {'share':>6}")
    rows = sorted(stats.stats.items(), key=lambda kv: -kv[1][2])[:top]
    for func, (_cc, nc, tt, _ct, _callers) in rows:
        print(f"    {_name(func)[:52]:<52} {nc:>9,} {tt:>7.2f} {100 * tt / total:>5.1f}%")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sizes", nargs="*", type=int, default=[20_000, 200_000])
    ap.add_argument("--top", type=int, default=15, help="hottest functions to list")
    args = ap.parse_args()
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    here = os.path.dirname(os.path.abspath(__file__))
    for n in args.sizes:
        out = subprocess.run([sys.executable, "-c", CHILD, str(n), str(args.top), here],
                             env=env, check=True, capture_output=True, text=True).stdout
        print(out.rstrip())


if __name__ == "__main__":
    main()
