"""Parameter recovery: calibrate synthetic histories made with known parameters.

Five parameter sets (a Latin hypercube over the priors' middle 80 %), 36 months,
three stores, the default unknowns (each store's quality offset, word-of-mouth
strength, switching cost, friction trend, market demand: 7 parameters). Each
history is one run of the default market at 20,000 simulated customers; the
calibration simulates at the same sample (``--sample``), so its surveys are as
noisy as the history's (a run costs about the same at 4,000 and 20,000
customers). Prints one row per (set, parameter), the regression-adjusted
posterior a calibration reports beside the ABC posterior before the adjustment
(``abc_*``), and the verdict of each by the calibration issue's criteria
(``cxsim.calibrate.recovery``)::

    .venv/bin/python benchmarks/bench_recovery.py                  # the full table
    .venv/bin/python benchmarks/bench_recovery.py --population 20 --generations 3

The full run is 5 calibrations at the default budget (48 min on 2 cores, half of
it beside other work; docs/calibrate.md, "Parameter recovery", has its table).
``--keep FOLDER`` keeps each set's pyabc database and runs there, and reads back
the sets already finished instead of running them again.
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

HISTORY_SAMPLE = 20_000
"""Simulated customers of the runs that make the histories."""


def _line(v: dict, label: str) -> str:
    return (f"{label}: {v['pairs']} (set, parameter) pairs; 90 % intervals cover the truth "
            f"in {v['coverage']:.0%} (needed 80 %); {v['identified']} identified "
            f"(interval < half the prior), {v['identified_near']} of them with the median "
            f"within 10 % of the prior's range; {'PASSES' if v['passes'] else 'FAILS'}.")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sets", type=int, default=5)
    p.add_argument("--months", type=int, default=36)
    p.add_argument("--sample", type=int, default=HISTORY_SAMPLE,
                   help="simulated customers per calibration run")
    p.add_argument("--population", type=int, default=Budget.population)
    p.add_argument("--generations", type=int, default=Budget.generations)
    p.add_argument("--max-simulations", type=int, default=Budget.max_simulations)
    p.add_argument("--jobs", type=int, default=0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--keep", default=None, metavar="FOLDER",
                   help="keep the fits here; sets already finished there are read back")
    p.add_argument("--out", default=None, help="write the table as Parquet here")
    a = p.parse_args()
    base = compose(["progress=false"])  # the default market: 3 stores, 20,000 households
    stores = [d.name for d in base.dealers.dealers]
    priors = default_priors(base, stores)
    sets = truths(priors, a.sets, a.seed)
    budget = Budget(population=a.population, generations=a.generations,
                    max_simulations=a.max_simulations)
    history_cfg = compose(["progress=false", f"sample.customers={HISTORY_SAMPLE}"])
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, pool(a.jobs) as task_map:
        result = recover(history_cfg=history_cfg, base=base, stores=stores, priors=priors,
                         sets=sets, months=a.months, sample=a.sample, budget=budget,
                         seed=a.seed, folder=Path(a.keep or tmp), task_map=task_map,
                         reuse=a.keep is not None)
    seconds = time.perf_counter() - started
    with pd.option_context("display.width", 250, "display.max_columns", 30):
        print(result[["set", "parameter", "truth", "median", "q05", "q95", "width_ratio",
                      "identified", "covered", "error_share", "abc_median", "abc_q05",
                      "abc_q95", "abc_identified", "abc_covered"]].to_string(
                          index=False, float_format=lambda x: f"{x:.4g}"))
    print(f"\nbudget: {a.population} particles, at most {a.generations} generations and "
          f"{a.max_simulations} runs; {a.sample:,} simulated customers per run; "
          f"{seconds:.0f} s")
    for i, note in result.groupby("set")["method"].first().items():
        print(f"set {i}: {note}")
    print(_line(verdict(result), "regression-adjusted (reported)"))
    print(_line(verdict(result, "abc_"), "ABC before the adjustment"))
    if a.out:
        result.to_parquet(a.out)


if __name__ == "__main__":
    main()
