"""What the posterior says about the history: the parameter table, predictive bands
and the backtest's coverage.

The predictive bands are new runs, one per parameter set drawn from the posterior
(not the accepted particles' own runs, which were chosen for being close): their
5-95 % range per store, metric and month is the band a month of data should fall in
nine times out of ten if the model and its posterior are right.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxsim.calibrate.fit import Simulator
from cxsim.calibrate.priors import Prior
from cxsim.calibrate.sampler import stream
from cxsim.posterior import Posterior

IDENTIFIED = 0.5
"""A parameter is identified when its 90 % interval is narrower than this share of its
prior's width (the recovery criterion of the calibration issue)."""
ABOUT_PRIOR = 0.7
"""Wider than this share of the prior's width, the posterior is about its prior: the
data do not tell this parameter (a uniform prior's own 90 % interval is 0.9)."""


def table(posterior: Posterior, priors: list[Prior]) -> pd.DataFrame:
    """One row per parameter: prior range, posterior median and 90 % interval."""
    lo, mid, hi = (posterior.quantiles(q) for q in (0.05, 0.5, 0.95))
    rows = []
    for p in priors:
        ratio = (hi[p.name] - lo[p.name]) / p.width
        rows.append({"parameter": p.name, "prior_low": p.low, "prior_high": p.high,
                     "median": mid[p.name], "q05": lo[p.name], "q95": hi[p.name],
                     "width_ratio": ratio, "identified": ratio < IDENTIFIED,
                     "about_prior": ratio > ABOUT_PRIOR})
    return pd.DataFrame(rows)


def warnings(params: pd.DataFrame) -> list[str]:
    """One line per parameter whose posterior is about its prior."""
    return [f"warning: {r.parameter}: the posterior's 90 % interval spans "
            f"{r.width_ratio:.0%} of the prior's range: not identifiable from these data"
            for r in params.itertuples() if r.about_prior]


def simulate(sim: Simulator, posterior: Posterior, n: int, seed: int
             ) -> dict[str, np.ndarray]:
    """``n`` runs, each with a parameter set drawn from the posterior: key -> (n, months)."""
    draws = posterior.sample(n, seed)
    seeds = [stream(seed, 10_000, i) for i in range(n)]
    runs = sim(draws, seeds)
    return {k: np.array([r[k] for r in runs]) for k in runs[0]}


def bands(runs: dict[str, np.ndarray], observed: dict[str, np.ndarray],
          months: list[str]) -> pd.DataFrame:
    """Per store, metric and month: the observed value and the runs' 5/50/95 % band."""
    rows = []
    for k, obs in observed.items():
        store, metric = k.split("|", 1)
        sims = runs[k][:, :len(obs)]
        with np.errstate(all="ignore"):
            lo, mid, hi = (np.nanquantile(sims, q, axis=0) for q in (0.05, 0.5, 0.95))
        for i, month in enumerate(months[:len(obs)]):
            rows.append({"store": store, "metric": metric, "m": i, "month": month,
                         "observed": obs[i], "low": lo[i], "median": mid[i], "high": hi[i]})
    out = pd.DataFrame(rows)
    inside = (out["observed"] >= out["low"]) & (out["observed"] <= out["high"])
    out["inside"] = np.where(out["observed"].isna(), np.nan, inside.astype(float))
    return out


def coverage(band: pd.DataFrame, by: str | list[str] = "metric") -> pd.DataFrame:
    """Share of observed months inside the 90 % band, grouped ``by``."""
    seen = band.dropna(subset=["observed"])
    return seen.groupby(by, sort=False)["inside"].agg(["mean", "count"]).rename(
        columns={"mean": "coverage", "count": "months"}).reset_index()
