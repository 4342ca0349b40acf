"""The fast engine against the stepped (plain Mesa) reference, in one run.

The stepped engine calls every customer's ``step`` every week through Mesa's
``shuffle_do``, the way a Mesa tutorial writes a model; it shares every
mechanism with the fast engine and gives identical results. Its cost grows
with customers x weeks, so by default both engines simulate one year
(52 weeks, no warm-up) here; the ratio is what matters:

    .venv/bin/python benchmarks/bench_engines.py              # 10,000 and 100,000
    .venv/bin/python benchmarks/bench_engines.py 10000 --weeks 104

Each (engine, size) runs in a fresh process on one core; peak memory is the
process's maximum resident set.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time
from cxsim import load_config
from cxsim.model import CxModel
n, engine, years = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
cfg = load_config([f"sample.customers={n}", f"engine={engine}", f"market.years={years}",
                   "market.warmup_weeks=0", "progress=false"])
t0 = time.perf_counter()
m = CxModel(cfg)
t1 = time.perf_counter()
m.run()
t2 = time.perf_counter()
print(json.dumps({"build_s": t1 - t0, "run_s": t2 - t1,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure(n: int, engine: str, weeks: int) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", CHILD, str(n), engine, str(weeks / 52)],
                         env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sizes", nargs="*", type=int, default=[10_000, 100_000])
    ap.add_argument("--weeks", type=int, default=52)
    args = ap.parse_args()
    print(f"{args.weeks} weeks; times in seconds, excluding imports")
    print(f"{'customers':>10} {'fast':>8} {'stepped':>9} {'ratio':>7} "
          f"{'fast MB':>8} {'stepped MB':>11} {'agent-steps/s (stepped)':>24}")
    for n in args.sizes:
        fast = measure(n, "fast", args.weeks)
        stepped = measure(n, "stepped", args.weeks)
        ratio = stepped["run_s"] / fast["run_s"]
        rate = n * args.weeks / stepped["run_s"]
        print(f"{n:>10,} {fast['run_s']:>8.2f} {stepped['run_s']:>9.2f} {ratio:>7.1f} "
              f"{fast['peak_mb']:>8.0f} {stepped['peak_mb']:>11.0f} {rate:>24,.0f}")


if __name__ == "__main__":
    main()
