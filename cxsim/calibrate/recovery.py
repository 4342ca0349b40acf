"""Parameter recovery: calibrate synthetic histories whose parameters are known.

For each known parameter set, :func:`recover` makes a history with the model
(:func:`cxsim.calibrate.synthetic.synthesise`), calibrates it, and compares the
posterior with the truth. :func:`verdict` applies the calibration issue's test: a
parameter is identified when its 90 % interval is narrower than half its prior;
for those the median must lie within 10 % of the prior's range from the truth;
over every (set, parameter) pair the 90 % intervals must cover the truth in at
least 80 % of cases. ``benchmarks/bench_recovery.py`` prints the full table (5
sets, 36 months, 3 stores); ``tests/test_calibrate_sampler.py`` a small one.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from cxsim.calibrate.fit import fit, fit_config
from cxsim.calibrate.predictive import table
from cxsim.calibrate.priors import Prior
from cxsim.calibrate.spec import Budget
from cxsim.calibrate.synthetic import as_history, synthesise
from cxsim.config import RunConfig
from cxsim.run import TaskMap

NEAR = 0.10
"""An identified parameter's median within this share of its prior's range of the truth."""
COVER = 0.80
"""At least this share of (set, parameter) pairs' 90 % intervals hold the truth."""


def truths(priors: Sequence[Prior], n: int, seed: int) -> list[dict[str, float]]:
    """``n`` parameter sets spread over the priors' middle 80 % (a Latin hypercube, so
    each parameter's values are spread too)."""
    rng = np.random.default_rng(seed)
    out = [{} for _ in range(n)]
    for p in priors:
        u = (rng.permutation(n) + rng.random(n)) / n
        for i in range(n):
            out[i][p.name] = float(p.low + p.width * (0.1 + 0.8 * u[i]))
    return out


def recover(*, history_cfg: RunConfig, base: RunConfig, stores: Sequence[str],
            priors: Sequence[Prior], sets: Sequence[dict[str, float]], months: int,
            sample: int, budget: Budget, seed: int, folder: Path,
            task_map: TaskMap | None) -> pd.DataFrame:
    """One row per (set, parameter): truth, posterior median and 90 % interval."""
    rows = []
    for i, truth in enumerate(sets):
        frame = synthesise(history_cfg, truth, stores=stores, months=months,
                           seed=seed + 1000 + i)
        history = as_history(frame)
        sub = Path(folder) / f"set{i + 1}"
        sub.mkdir(parents=True, exist_ok=True)
        post, _ = fit(base=fit_config(base, history, sample), history=history,
                      priors=list(priors), budget=budget, seed=seed + i, folder=sub,
                      task_map=task_map)
        t = table(post, list(priors))
        t.insert(0, "set", i + 1)
        t.insert(2, "truth", [truth[p.name] for p in priors])
        rows.append(t)
    out = pd.concat(rows, ignore_index=True)
    width = out["prior_high"] - out["prior_low"]
    out["covered"] = (out["q05"] <= out["truth"]) & (out["truth"] <= out["q95"])
    out["error_share"] = (out["median"] - out["truth"]).abs() / width
    out["near"] = out["error_share"] <= NEAR
    return out


def verdict(result: pd.DataFrame) -> dict[str, float | bool]:
    """The issue's criteria over a :func:`recover` table."""
    ident = result[result["identified"]]
    coverage = float(result["covered"].mean())
    return {"pairs": len(result), "coverage": coverage, "identified": len(ident),
            "identified_near": int(ident["near"].sum()),
            "passes": coverage >= COVER and bool(ident["near"].all())}
