"""Batched replications against single runs, and the speed targets, in one run.

Every figure is measured in this one invocation, each part in a fresh process
with BLAS threads pinned to 1, so that on a loaded machine the ratios still
compare like with like:

1. runs per minute at the default size (20,000 customers, 5 recorded years
   and the warm-up), single runs vs stacked batches, on 1 and 2 cores
   (``cxsim.run.run_many``, ``batch=1`` vs the default batching);
2. the time per replication by batch size on one core, and the size past
   which a doubling gains less than 10 %;
3. the targets: 1,000 seeds of the default market as one command (a Hydra
   multirun over seeds on the ``cores`` launcher, 2 workers, every seed's
   folder on disk; projected from two sweep sizes through T(N) = fixed + N x
   per-run, or run for real with ``--thousand``), a 20-replication paired
   comparison of two arms (``cxsim.compare.paired_lift``, 2 cores), a single
   default run's simulation, and the 1,000,000-customer run (build + simulate).

    .venv/bin/python benchmarks/bench_batch.py
    .venv/bin/python benchmarks/bench_batch.py --quick        # fewer runs, no million
    .venv/bin/python benchmarks/bench_batch.py --thousand     # the real 1,000-seed sweep
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ENV = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
CXSIM = str(Path(sys.executable).parent / "cxsim")

RATE = r"""
import json, sys, time
from cxsim.run import compose, run_many, seeded
runs, jobs, batch = map(int, sys.argv[1:4])
base = compose(["progress=false", "plots=false"])
cfgs = [seeded(base, 100 + s) for s in range(runs)]
t = time.perf_counter()
run_many(cfgs, jobs=jobs, batch=batch)
print(json.dumps({"seconds": time.perf_counter() - t}))
"""

SIZES = r"""
import json, sys, time
from cxsim.batch import BatchModel
from cxsim.run import compose, seeded
base = compose(["progress=false", "plots=false"])
out = {}
for _ in range(int(sys.argv[2])):  # the best of a few passes: load comes and goes
    for r in map(int, sys.argv[1].split(",")):
        t = time.perf_counter()
        BatchModel([seeded(base, 100 + s) for s in range(r)]).run()
        out[r] = min(out.get(r, 1e9), (time.perf_counter() - t) / r)
print(json.dumps(out))
"""

PAIRED = r"""
import json, time
from cxsim.compare import paired_lift
t = time.perf_counter()
paired_lift([], ["investment=cx_program"], replications=20, jobs=2)
print(json.dumps({"seconds": time.perf_counter() - t}))
"""

ONE = r"""
import json, sys, time
from cxsim import load_config
from cxsim.model import CxModel
cfg = load_config([f"sample.customers={sys.argv[1]}", "progress=false"])
t0 = time.perf_counter()
m = CxModel(cfg)
t1 = time.perf_counter()
m.run()
print(json.dumps({"build": t1 - t0, "simulate": time.perf_counter() - t1}))
"""


def child(code: str, *args: object) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *map(str, args)], env=ENV, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def sweep(jobs: int) -> float:
    """Wall seconds of ``cxsim -m seed=range(...)`` on the cores launcher, 2 workers."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [CXSIM, "-m", f"seed=range(1,{jobs + 1})", "progress=false",
               "hydra/launcher=cores", "hydra.launcher.n_jobs=2",
               f"hydra.sweep.dir={Path(tmp) / 'sweep'}"]
        t = time.perf_counter()
        proc = subprocess.run(cmd, cwd=tmp, env=ENV, capture_output=True, text=True)
        seconds = time.perf_counter() - t
        if proc.returncode != 0:
            sys.exit(proc.stderr[-3000:])
        done = len(list((Path(tmp) / "sweep").glob("*/summary.json")))
        if done != jobs:
            sys.exit(f"expected {jobs} job folders, found {done}")
    return seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer runs; skip the million")
    ap.add_argument("--thousand", action="store_true", help="run the 1,000-seed sweep")
    args = ap.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, load {os.getloadavg()[0]:.1f}; default market")
    k = 1 if args.quick else 2

    print("\n1. runs per minute at the default size")
    print(f"{'':>10} {'single':>8} {'batched':>8} {'ratio':>6}")
    for cores in (1, 2):
        single = child(RATE, 2 * k * cores, cores, 1)["seconds"] / (2 * k * cores)
        batched = child(RATE, 8 * k * cores, cores, 16)["seconds"] / (8 * k * cores)
        print(f"{cores} core{'s' if cores > 1 else ' '}   {60 / single:>8.0f} "
              f"{60 / batched:>8.0f} {single / batched:>5.1f}x")

    sizes = [1, 2, 4, 8, 16] if args.quick else [1, 2, 4, 8, 16, 32]
    per = {int(r): s for r, s in child(SIZES, ",".join(map(str, sizes)), k).items()}
    print(f"\n2. seconds per replication by batch size (1 core, build + simulate, "
          f"best of {k})")
    print("   " + "  ".join(f"R={r}: {per[r]:.2f}" for r in sizes))
    level = next((b for a, b in zip(sizes, sizes[1:], strict=False)
                  if per[a] / per[b] < 1.10), sizes[-1])
    print(f"   gain levels off at R = {level} (next doubling < 10 %); "
          f"R = {sizes[-1]}: {per[1] / per[sizes[-1]]:.1f}x a single run")

    print("\n3. targets (2 cores unless said)")
    if args.thousand:
        print(f"   1,000 seeds, one multirun:      {sweep(1000):6.1f} s   (target 120 s)")
    else:
        small, large = (8, 24) if args.quick else (32, 96)
        t_small, t_large = sweep(small), sweep(large)
        per_run = (t_large - t_small) / (large - small)
        fixed = t_small - small * per_run
        print(f"   multirun {small}/{large} seeds: {t_small:.1f} / {t_large:.1f} s -> "
              f"{fixed:.1f} s + {per_run:.3f} s a run")
        print(f"   1,000 seeds, one multirun:      {fixed + 1000 * per_run:6.1f} s   "
              "(target 120 s; projected)")
    print(f"   paired comparison, 20 x 2 arms: {child(PAIRED)['seconds']:6.1f} s   "
          "(target 10 s)")
    one = child(ONE, 20_000)
    print(f"   single default run, simulate:   {one['simulate']:6.2f} s   (target 0.5 s; "
          f"build {one['build']:.2f} s)")
    if not args.quick:
        big = child(ONE, 1_000_000)
        print(f"   1,000,000 customers, build+sim: {big['build'] + big['simulate']:6.1f} s   "
              f"(target 15 s; build {big['build']:.1f} s)")


if __name__ == "__main__":
    main()
