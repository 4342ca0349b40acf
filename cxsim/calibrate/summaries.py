"""Monthly summaries of a run and of the history, and how noisy the surveys are.

A summary is one array of months per store and metric, keyed ``store|metric``:
the run's weekly table summed into calendar months (``cxsim.economics``' month of
a week), rates recomputed from the month's sums, the online rating as it stands
at the month's last week. The history gives the same keys, with NaN where a month
is missing. Each also has its yearly means (key ``store|metric|y``, one per block
of 12 months): a month is noisy, a year's level much less so, and the distance
weighs both resolutions equally. A survey's sampling noise follows from its
respondents (:func:`noise_variance`): the distance divides by it, so a month
surveyed by 30 people counts for less than one surveyed by 300.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from cxsim.calibrate.data import METRICS, History
from cxsim.economics import month_of_week

NPS_VARIANCE = 6200.0
"""Points² per respondent of an NPS: 100² x (promoters + detractors share - NPS²),
with promoters and detractors together ~63 % of respondents and NPS near +11, as in
the default market's surveys (an assumption for any other market)."""
CSAT_VARIANCE = 0.8
"""Per-respondent variance of a 1-5 satisfaction score; assumption (an sd of about 0.9
points, usual for five-point scales)."""
_COUNTS = ("units_sold", "service_visits", "owner_serviced_here", "owner_service_needs",
           "promoters", "detractors", "responses", "csat_sum")


YEAR = "|y"
"""Suffix of a summary's yearly means."""


def key(store: str, metric: str) -> str:
    """The summary's key of one store and metric."""
    return f"{store}|{metric}"


def _blocks(months: int) -> list[slice]:
    return [slice(i, min(i + 12, months)) for i in range(0, months, 12)]


def with_years(x: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``x`` and each monthly series' yearly means (NaN months left out).

    >>> with_years({"a": np.array([1.0, 3.0, np.nan])})["a|y"].tolist()
    [2.0]
    """
    out = dict(x)
    for k, arr in x.items():
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a year with no month: NaN
            out[k + YEAR] = np.array([np.nanmean(arr[b]) for b in _blocks(len(arr))])
    return out


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def monthly(weekly: pd.DataFrame, stores: list[str], metrics: list[str], months: int
            ) -> dict[str, np.ndarray]:
    """The run's monthly summaries for ``stores`` x ``metrics`` (the first ``months``)."""
    w = weekly[["week", "dealer", *_COUNTS, "online_rating"]].copy()
    w["m"] = month_of_week(w["week"].to_numpy())
    w = w[w["m"] < months]
    sums = w.groupby(["m", "dealer"], sort=True)[list(_COUNTS)].sum()
    market_units = sums["units_sold"].groupby(level="m").sum()
    last = w.groupby(["m", "dealer"], sort=True)["online_rating"].last()
    out: dict[str, np.ndarray] = {}
    grid = pd.RangeIndex(months, name="m")
    for s in stores:
        mine = sums.xs(s, level="dealer").reindex(grid)
        values = {
            "units_sold": mine["units_sold"].to_numpy(float),
            "service_visits": mine["service_visits"].to_numpy(float),
            "service_retention": _ratio(mine["owner_serviced_here"].to_numpy(float),
                                        mine["owner_service_needs"].to_numpy(float)),
            "share": _ratio(mine["units_sold"].to_numpy(float),
                            market_units.reindex(grid).to_numpy(float)),
            "nps": 100.0 * _ratio((mine["promoters"] - mine["detractors"]).to_numpy(float),
                                  mine["responses"].to_numpy(float)),
            "csat": _ratio(mine["csat_sum"].to_numpy(float), mine["responses"].to_numpy(float)),
            "online_rating": last.xs(s, level="dealer").reindex(grid).to_numpy(float),
        }
        for m in metrics:
            out[key(s, m)] = values[m]
    return out


def measure(out: object, stores: list[str], metrics: list[str], months: int
            ) -> dict[str, np.ndarray]:
    """What a calibration keeps of a run (:func:`cxsim.run.run_many`'s ``measure``)."""
    return with_years(monthly(out.weekly, stores, metrics, months))  # type: ignore[attr-defined]


def observed(history: History, months: int | None = None) -> dict[str, np.ndarray]:
    """The history's monthly summaries: every store x metric it has, NaN where a month is
    missing (:func:`with_years` adds the yearly means)."""
    n = len(history.months) if months is None else months
    out = {}
    for (s, m), g in history.rows.groupby(["store", "metric"], sort=False):
        arr = np.full(n, np.nan)
        g = g[g["m"] < n]
        arr[g["m"].to_numpy()] = g["value"].to_numpy(float)
        out[key(s, m)] = arr
    return {k: out[k] for k in (key(s, m) for s in history.stores for m in history.metrics)
            if k in out}


def noise_variance(history: History, months: int | None = None) -> dict[str, np.ndarray]:
    """Each observed month's survey sampling variance (0 where the metric is no survey)."""
    n = len(history.months) if months is None else months
    per = {"nps": NPS_VARIANCE, "csat": CSAT_VARIANCE}
    out = {}
    for k, arr in observed(history, n).items():
        store, metric = k.split("|", 1)
        var = np.zeros(n)
        if METRICS[metric][0] == "survey":
            g = history.rows[(history.rows["store"] == store)
                             & (history.rows["metric"] == metric) & (history.rows["m"] < n)]
            var[g["m"].to_numpy()] = per[metric] / g["respondents"].to_numpy(float)
        out[k] = var
        seen = np.isfinite(arr)
        out[k + YEAR] = np.array([var[b][seen[b]].sum() / max(1, seen[b].sum()) ** 2
                                  for b in _blocks(n)])
    return out


def standardised(x: dict[str, np.ndarray], x0: dict[str, np.ndarray],
                 scale: dict[str, np.ndarray]) -> float:
    """Root of the mean square of (simulated - observed) / scale over the observed
    months, averaged with the same over the observed years (a simulated value missing
    where one was observed counts as 3 scales off).

    >>> standardised({"a": np.array([1.0, 2.0])}, {"a": np.array([0.0, np.nan])},
    ...              {"a": np.array([0.5, 1.0])})
    2.0
    """
    parts = []
    for yearly in (False, True):
        total, n = 0.0, 0
        for k, obs in x0.items():
            if k.endswith(YEAR) != yearly:
                continue
            ok = np.isfinite(obs) & (scale[k] > 0)
            z = (np.asarray(x[k], float)[ok] - obs[ok]) / scale[k][ok]
            z = np.where(np.isfinite(z), z, 3.0)
            total += float(np.sum(z * z))
            n += int(ok.sum())
        if n:
            parts.append(total / n)
    return float(np.sqrt(np.mean(parts))) if parts else 0.0
