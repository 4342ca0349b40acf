"""Parameter recovery: calibrate synthetic histories whose parameters are known.

For each known parameter set, :func:`recover` makes a history with the model
(:func:`cxsim.calibrate.synthetic.synthesise`), calibrates it, and compares the
posterior with the truth, both the regression-adjusted posterior a calibration
reports (:mod:`cxsim.calibrate.adjust`) and the ABC one before the adjustment
(columns ``abc_*``). :func:`verdict` applies the calibration issue's test: a
parameter is identified when its 90 % interval is narrower than half its prior;
for those the median must lie within 10 % of the prior's range from the truth;
over every (set, parameter) pair the 90 % intervals must cover the truth in at
least 80 % of cases. ``benchmarks/bench_recovery.py`` prints the full table (5
sets, 36 months, 3 stores); ``tests/test_calibrate_sampler.py`` a small one.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from cxsim.calibrate.fit import DB, fit_abc, fit_config, read_fit
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
            task_map: TaskMap | None, reuse: bool = False) -> pd.DataFrame:
    """One row per (set, parameter): truth, posterior median and 90 % interval, adjusted
    and (``abc_*``) before the adjustment. With ``reuse``, a set whose folder holds a
    finished fit (``done`` beside pyabc's database) is read back, not run again."""
    rows = []
    for i, truth in enumerate(sets):
        frame = synthesise(history_cfg, truth, stores=stores, months=months,
                           seed=seed + 1000 + i)
        history = as_history(frame)
        sub = Path(folder) / f"set{i + 1}"
        if sub.is_dir() and not (reuse and (sub / DONE).is_file()):
            shutil.rmtree(sub)  # an unfinished or unwanted earlier fit: start afresh
        sub.mkdir(parents=True, exist_ok=True)
        if reuse and (sub / DONE).is_file() and (sub / DB).is_file():
            got = read_fit(sub, history, list(priors))
        else:
            got = fit_abc(base=fit_config(base, history, sample), history=history,
                          priors=list(priors), budget=budget, seed=seed + i, folder=sub,
                          task_map=task_map)
            (sub / DONE).write_text("finished\n")
        t = _scored(table(got.posterior, list(priors)), truth, priors)
        raw = _scored(table(got.abc, list(priors)), truth, priors)
        for c in ("median", "q05", "q95", "width_ratio", "identified", "covered",
                  "error_share", "near"):
            t[f"abc_{c}"] = raw[c].to_numpy()
        t.insert(0, "set", i + 1)
        t["method"] = got.method
        rows.append(t)
    return pd.concat(rows, ignore_index=True)


DONE = "done"
"""Marks a recovery set's folder whose fit finished."""


def _scored(t: pd.DataFrame, truth: dict[str, float], priors: Sequence[Prior]
            ) -> pd.DataFrame:
    t = t.copy()
    t.insert(1, "truth", [truth[p.name] for p in priors])
    width = t["prior_high"] - t["prior_low"]
    t["covered"] = (t["q05"] <= t["truth"]) & (t["truth"] <= t["q95"])
    t["error_share"] = (t["median"] - t["truth"]).abs() / width
    t["near"] = t["error_share"] <= NEAR
    return t


def verdict(result: pd.DataFrame, prefix: str = "") -> dict[str, float | bool]:
    """The issue's criteria over a :func:`recover` table (``prefix="abc_"``: before the
    regression adjustment)."""
    if prefix:
        cols = {c: c.removeprefix(prefix) for c in result if c.startswith(prefix)}
        result = result[list(cols)].rename(columns=cols)
    ident = result[result["identified"]]
    coverage = float(result["covered"].mean())
    return {"pairs": len(result), "coverage": coverage, "identified": len(ident),
            "identified_near": int(ident["near"].sum()),
            "passes": coverage >= COVER and bool(ident["near"].all())}
