"""Default runs per minute in a Hydra sweep on 2 workers.

Runs the default market (20,000 customers, 5 recorded years) for N seeds
through ``cxsim -m seed=... hydra/launcher=cores hydra.launcher.n_jobs=2``
(``--launcher joblib`` for Hydra's joblib launcher),
exactly as a user would (each job writes its Parquet tables and summary; a
sweep's jobs skip their own PNGs unless ``plots=true``, and the sweep ends by
aggregating every job into ``sweep_summary.parquet`` with its plots).

Two sweep sizes are timed in one run and a line T(N) = fixed + N x per-run is
fitted through them, which separates the one-off cost (start-up, checking the
overrides, starting the workers, aggregating) from the cost of each run; the
time for 1,000 runs is projected from that line. ``--jobs 1000`` runs one
sweep of that size for real instead.

    .venv/bin/python benchmarks/bench_sweep.py                 # 10 and 40 runs
    .venv/bin/python benchmarks/bench_sweep.py --sizes 20 80
    .venv/bin/python benchmarks/bench_sweep.py --jobs 1000     # the real thing (~10 min)
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CXSIM = str(Path(sys.executable).parent / "cxsim")


def sweep(sweep_dir: Path, jobs: int, launcher: str) -> tuple[float, list[float]]:
    """Wall seconds of a sweep of ``jobs`` default runs, and each job's reported time."""
    cmd = [CXSIM, "-m", f"seed=range(1,{jobs + 1})", "progress=false",
           f"hydra/launcher={launcher}", "hydra.launcher.n_jobs=2",
           f"hydra.sweep.dir={sweep_dir}"]
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=sweep_dir.parent, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(proc.stderr[-3000:])
    per_job = [float(s) for s in re.findall(r"weeks in ([\d.]+) s", proc.stdout)]
    if len(per_job) != jobs:
        sys.exit(f"expected {jobs} finished jobs, saw {len(per_job)}")
    return seconds, per_job


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs=2, default=(10, 40), metavar=("SMALL", "LARGE"))
    ap.add_argument("--jobs", type=int, help="run one sweep of this many jobs instead")
    ap.add_argument("--launcher", default="cores", choices=("cores", "joblib"))
    args = ap.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}; default runs, {args.launcher} launcher, 2 workers")
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
        if args.jobs:
            total, per_job = sweep(Path(tmp) / "sweep", args.jobs, args.launcher)
            print(f"{args.jobs} runs: {total:.0f} s wall = {total / 60:.1f} min, "
                  f"{60 * args.jobs / total:.1f} runs/min; a job itself (simulate + write) "
                  f"{sum(per_job) / len(per_job):.2f} s on average")
            return
        small, large = args.sizes
        t_small, jobs_small = sweep(Path(tmp) / "small", small, args.launcher)
        t_large, jobs_large = sweep(Path(tmp) / "large", large, args.launcher)
    per_run = (t_large - t_small) / (large - small)
    fixed = t_small - small * per_run
    job_times = jobs_small + jobs_large
    print(f"{small:>5} runs: {t_small:6.1f} s wall")
    print(f"{large:>5} runs: {t_large:6.1f} s wall")
    print(f"fitted: {fixed:.1f} s fixed + {per_run:.2f} s a run (2 workers) "
          f"= {60 / per_run:.0f} runs/min once started")
    print(f"a job itself (simulate + write, as the jobs report): mean "
          f"{sum(job_times) / len(job_times):.2f} s, min {min(job_times):.2f} s; "
          f"Hydra's share per job {2 * per_run - sum(job_times) / len(job_times):.2f} s")
    print(f"projected 1,000 runs: {(fixed + 1000 * per_run) / 60:.1f} min")


if __name__ == "__main__":
    main()
