"""How long ``cxsim-explore`` takes: 2 options + the status quo x 500 scenarios on 2 cores.

The target is 5 minutes at the default sample size (20,000 customers, 5
recorded years and the warm-up). On a shared machine the wall time of the
real thing says more about the neighbours than about the code, so this
measures the *CPU* seconds one scenario costs (scenarios' arms stacked as the
command stacks them: ten scenarios, 30 runs, a batch, each scenario's warm-up
lived once; valued; one worker, BLAS threads pinned to 1, in a fresh process)
over scenarios of ``examples/four_stores_explore.yaml``, at the default size and
at smaller samples or horizons, and projects 500 scenarios on 2 dedicated
cores (CPU x 500 / 2, plus the analysis: PRIM, feature scores, charts, timed
on 500 synthetic scenarios). ``--full`` also runs the real command and reports
its wall time and the load average around it.

    .venv/bin/python benchmarks/bench_explore.py                 # ~2-3 minutes
    .venv/bin/python benchmarks/bench_explore.py --scenarios 40 --sizes 20000:5
    .venv/bin/python benchmarks/bench_explore.py --full          # + the 500 for real
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "four_stores_explore.yaml"
ENV = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
           PYTHONPATH=str(REPO))

SCENARIOS = r"""
import json, sys, time, tempfile, yaml
from pathlib import Path
from cxsim.explore.study import load_study
from cxsim.explore.scenarios import sample
from cxsim.explore.runs import run_scenarios
example, n, customers, years = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
data = yaml.safe_load(Path(example).read_text())
data["market"]["sample"] = {"customers": customers}
data["horizon_years"] = years
with tempfile.TemporaryDirectory() as tmp:
    path = Path(tmp) / "x.yaml"
    path.write_text(yaml.safe_dump(data))
    study = load_study(path, scenarios=n)
    scen = sample(study.uncertainties, n, study.options.seed)
    cpu, wall = time.process_time(), time.perf_counter()
    run_scenarios(study, scen, Path(tmp) / "out", jobs=1)
    print(json.dumps({"cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall}))
"""

ANALYSIS = r"""
import json, time
import numpy as np, pandas as pd
from pathlib import Path
import tempfile
from cxsim.explore.study import load_study
from cxsim.explore.scenarios import sample
from cxsim.explore.report import write_report
study = load_study(__import__("sys").argv[1], scenarios=500)
scen = sample(study.uncertainties, 500, 0)
rng = np.random.default_rng(0)
rows = []
for opt in study.option_names:
    npv = 400 * scen["friction_trend"] - 30 + rng.normal(0, 20, 500)
    rows.append(pd.DataFrame({"scenario": scen["scenario"], "policy": opt, "npv_k": npv,
                              "npv_with_terminal_k": npv, "payback_month": 30.0,
                              "extra_units": 10.0, "cost_k": 100.0, "nps_change": 1.0}))
with tempfile.TemporaryDirectory() as tmp:
    cpu, wall = time.process_time(), time.perf_counter()
    write_report(Path(tmp), study, scen, pd.concat(rows, ignore_index=True), 0.0)
    print(json.dumps({"cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall}))
"""


def _run(code: str, *args: object) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *map(str, args)], env=ENV, cwd=REPO,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scenarios", type=int, default=20,
                   help="scenarios per measurement (ten make a batch)")
    p.add_argument("--sizes", default="20000:5,5000:5,20000:3",
                   help="customers:years pairs to measure")
    p.add_argument("--full", action="store_true", help="also run the 500 for real (2 jobs)")
    a = p.parse_args()
    report: dict = {"load_before": os.getloadavg(), "cores": len(os.sched_getaffinity(0)),
                    "scenarios_measured": a.scenarios, "sizes": []}
    analysis = _run(ANALYSIS, EXAMPLE)
    report["analysis_500_s"] = round(analysis["wall"], 1)
    for pair in a.sizes.split(","):
        customers, years = pair.split(":")
        got = _run(SCENARIOS, EXAMPLE, a.scenarios, customers, years)
        per = got["cpu"] / a.scenarios
        projected = 500 * per / 2 + analysis["cpu"]
        report["sizes"].append({"customers": int(customers), "years": float(years),
                                "cpu_s_per_scenario": round(per, 2),
                                "wall_s_per_scenario": round(got["wall"] / a.scenarios, 2),
                                "projected_500_on_2_cores_min": round(projected / 60, 1),
                                "meets_5_min": projected <= 300})
        print(json.dumps(report["sizes"][-1]), flush=True)
    if a.full:
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            subprocess.run([sys.executable, "-m", "cxsim.explore", str(EXAMPLE), "--jobs",
                            "2", "--out", str(Path(tmp) / "full"), "--no-progress"],
                           env=ENV, cwd=REPO, check=True)
            report["full_500_wall_min"] = round((time.perf_counter() - t) / 60, 1)
    report["load_after"] = os.getloadavg()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
