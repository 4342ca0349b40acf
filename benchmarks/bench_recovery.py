"""Parameter recovery: calibrate synthetic histories made with known parameters.

Five parameter sets (a Latin hypercube over the priors' middle 80 %), 36 months,
three stores, the default unknowns (each store's quality offset, word-of-mouth
strength, switching cost, friction trend, market demand: 7 parameters). Prints
one row per (set, parameter) and the verdict by the calibration issue's criteria
(``cxsim.calibrate.recovery``)::

    .venv/bin/python benchmarks/bench_recovery.py                  # the full table
    .venv/bin/python benchmarks/bench_recovery.py --population 30 --generations 4

The full run is 5 calibrations at the default budget (about an hour on 2 cores).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from cxsim.calibrate.priors import default_priors
from cxsim.calibrate.recovery import recover, truths, verdict
from cxsim.calibrate.spec import Budget
from cxsim.run import compose, pool


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sets", type=int, default=5)
    p.add_argument("--months", type=int, default=36)
    p.add_argument("--sample", type=int, default=4000, help="simulated customers per run")
    p.add_argument("--population", type=int, default=Budget.population)
    p.add_argument("--generations", type=int, default=Budget.generations)
    p.add_argument("--max-simulations", type=int, default=Budget.max_simulations)
    p.add_argument("--jobs", type=int, default=0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="write the table as Parquet here")
    a = p.parse_args()
    base = compose(["progress=false"])  # the default market: 3 stores, 20,000 households
    stores = [d.name for d in base.dealers.dealers]
    priors = default_priors(base, stores)
    sets = truths(priors, a.sets, a.seed)
    budget = Budget(population=a.population, generations=a.generations,
                    max_simulations=a.max_simulations)
    history_cfg = compose(["progress=false", "sample.customers=20000"])
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, pool(a.jobs) as task_map:
        result = recover(history_cfg=history_cfg, base=base, stores=stores, priors=priors,
                         sets=sets, months=a.months, sample=a.sample, budget=budget,
                         seed=a.seed, folder=Path(tmp), task_map=task_map)
    seconds = time.perf_counter() - started
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(result[["set", "parameter", "truth", "median", "q05", "q95", "width_ratio",
                      "identified", "covered", "error_share"]].to_string(
                          index=False, float_format=lambda x: f"{x:.4g}"))
    v = verdict(result)
    print(f"\n{v['pairs']} (set, parameter) pairs; 90 % intervals cover the truth in "
          f"{v['coverage']:.0%} (needed 80 %); {v['identified']} identified (interval < half "
          f"the prior), {v['identified_near']} of them with the median within 10 % of the "
          f"prior's range; {'PASSES' if v['passes'] else 'FAILS'}; {seconds:.0f} s.")
    if a.out:
        result.to_parquet(a.out)


if __name__ == "__main__":
    main()
