"""Default runs per minute in a Hydra sweep on 2 workers (joblib launcher).

Runs the default market (20,000 customers, 5 recorded years, plots on, as
``cxsim`` does) for N seeds through ``hydra/launcher=joblib
hydra.launcher.n_jobs=2``, then the same command again, when every job is
skipped as already done: the second run's time is the sweep's fixed cost
(start-up, validating the overrides, launching, aggregating).

    .venv/bin/python benchmarks/bench_sweep.py          # 6 jobs
    .venv/bin/python benchmarks/bench_sweep.py 10       # any number of jobs

Prints the wall time, runs per minute with and without the fixed cost, and
the per-job run times the jobs reported.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CXSIM = str(Path(sys.executable).parent / "cxsim")


def sweep(sweep_dir: Path, jobs: int) -> tuple[float, str]:
    seeds = ",".join(str(s) for s in range(1, jobs + 1))
    cmd = [CXSIM, "-m", f"seed={seeds}", "progress=false", "hydra/launcher=joblib",
           "hydra.launcher.n_jobs=2", f"hydra.sweep.dir={sweep_dir}"]
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=sweep_dir.parent, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(proc.stderr[-3000:])
    return seconds, proc.stdout


def main() -> None:
    jobs = int(sys.argv[1]) if len(sys.argv) > 1 else 6
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
        sweep_dir = Path(tmp) / "sweep"
        total, out = sweep(sweep_dir, jobs)
        fixed, again = sweep(sweep_dir, jobs)
    per_job = [float(s) for s in re.findall(r"weeks in ([\d.]+) s", out)]
    skipped = again.count("skipped, already done")
    print(f"{jobs} default runs on 2 workers (joblib): {total:.1f} s wall, "
          f"{60 * jobs / total:.1f} runs/min")
    print(f"fixed cost (same sweep again, {skipped}/{jobs} jobs skipped): {fixed:.1f} s; "
          f"without it {60 * jobs / max(total - fixed, 1e-9):.1f} runs/min")
    if per_job:
        print(f"per job (simulate + write + plots, as reported): mean "
              f"{sum(per_job) / len(per_job):.1f} s, min {min(per_job):.1f} s, "
              f"max {max(per_job):.1f} s")


if __name__ == "__main__":
    main()
