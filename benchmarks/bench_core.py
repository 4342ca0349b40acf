"""Wall time and peak memory of the default market at several sizes.

Each size runs in a fresh process (peak RSS is per process), on one core
(BLAS threads pinned to 1), with imports excluded from the timings:

    .venv/bin/python benchmarks/bench_core.py            # 20,000 and 200,000
    .venv/bin/python benchmarks/bench_core.py 1000000    # any sizes
    .venv/bin/python benchmarks/bench_core.py --memory-only 1000000 2000000

Prints one row per size: build time, simulation time (warm-up + 5 recorded
years), customer-weeks per second, and peak resident memory.

``--memory-only`` runs each size for a quarter of a year only (the peak comes
from the build and one week's temporaries, both proportional to customers, not
from the horizon) and extrapolates the peak linearly to 10,000,000 customers
from the two largest sizes given.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time
from cxsim import load_config
from cxsim.model import CxModel
n = int(sys.argv[1])
cfg = load_config([f"sample.customers={n}", "progress=false", *sys.argv[2:]])
t0 = time.perf_counter()
m = CxModel(cfg)
t1 = time.perf_counter()
m.run()
t2 = time.perf_counter()
weeks = cfg.market.warmup_weeks + cfg.weeks
print(json.dumps({"n": n, "build_s": t1 - t0, "run_s": t2 - t1, "weeks": weeks,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


SHORT = ["market.years=0.25", "market.warmup_weeks=4"]


def measure(n: int, overrides: list[str] | None = None) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", CHILD, str(n), *(overrides or [])], env=env,
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def memory_estimate(sizes: list[int], target: int = 10_000_000) -> None:
    print(f"{'customers':>10} {'build s':>8} {'peak MB':>8}   (a quarter-year run each)")
    peaks = {}
    for n in sizes:
        r = measure(n, SHORT)
        peaks[n] = r["peak_mb"]
        print(f"{n:>10,} {r['build_s']:>8.2f} {r['peak_mb']:>8.0f}")
    if len(peaks) >= 2:
        (n1, p1), (n2, p2) = sorted(peaks.items())[-2:]
        per = (p2 - p1) / (n2 - n1)
        est = p2 + per * (target - n2)
        print(f"{per * 1024 * 1024:.0f} bytes per customer; "
              f"estimated peak at {target:,} customers: {est / 1024:.1f} GB")


def main() -> None:
    args = sys.argv[1:]
    if "--memory-only" in args:
        args.remove("--memory-only")
        memory_estimate([int(a) for a in args] or [1_000_000, 2_000_000])
        return
    sizes = [int(a) for a in args] or [20_000, 200_000]
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    print(f"{'customers':>10} {'build s':>8} {'simulate s':>10} {'total s':>8} "
          f"{'cust-weeks/s':>13} {'peak MB':>8}")
    for n in sizes:
        r = measure(n)
        total = r["build_s"] + r["run_s"]
        rate = n * r["weeks"] / r["run_s"]
        print(f"{n:>10,} {r['build_s']:>8.2f} {r['run_s']:>10.2f} {total:>8.2f} "
              f"{rate:>13,.0f} {r['peak_mb']:>8.0f}")


if __name__ == "__main__":
    main()
