"""A programme's money per store and per dealer group, from paired weekly tables.

An option and the status quo run on the same replication seeds (common random
numbers); :func:`paired` takes option minus status quo per (replication,
week, store). :func:`appraise` turns that into each store's and each group's
(the sum of its stores') extra units, revenue, gross profit, the programme's
cash cost, monthly and cumulative cash flow, ROI, payback, NPV, terminal value
and P(loss), with 95 % intervals over replications (:mod:`cxsim.economics`).
A programme at one store of a group shows its siblings' losses in the
group's rows: cannibalisation is the difference between the group and the
store.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cxsim import economics as ec
from cxsim.config import WEEKS_PER_YEAR, RunConfig
from cxsim.run import t_interval

KEYS = ("replication", "week", "dealer")
FLOWS = ("units_sold", "revenue_k", "gross_profit_k")
"""Weekly flows an appraisal sums (real units, k$)."""
STATE = ("owners",)
"""Weekly state whose last recorded week values the terminal owners."""

METRICS = ("extra_units", "extra_revenue_k", "extra_gross_k", "cost_k",
           "profit_after_cost_k", "roi", "npv_k", "terminal_k", "npv_with_terminal_k")
"""Per-replication metrics of a unit, each reported with its 95 % interval."""


def paired(option: pd.DataFrame, status_quo: pd.DataFrame,
           columns: Sequence[str] = (*FLOWS, *STATE)) -> pd.DataFrame:
    """Option minus status quo per (replication, week, dealer), same seeds.

    >>> a = pd.DataFrame({"replication": [0], "week": [0], "dealer": ["A"], "x": [5.0]})
    >>> paired(a, a.assign(x=2.0), ["x"])["x"].tolist()
    [3.0]
    """
    cols = list(columns)
    o = option.set_index(list(KEYS))[cols].sort_index()
    s = status_quo.set_index(list(KEYS))[cols].sort_index()
    if not o.index.equals(s.index):
        raise ValueError("option and status quo cover different replications, weeks or "
                         "stores; allowed: the same seeds and market")
    return (o - s).reset_index()


def units_of(stores: Mapping[str, str]) -> dict[str, list[str]]:
    """Each store alone, then each non-empty group (``group:<name>``) with its stores.

    >>> units_of({"A": "G", "B": "G", "C": ""})
    {'A': ['A'], 'B': ['B'], 'C': ['C'], 'group:G': ['A', 'B']}
    """
    out = {s: [s] for s in stores}
    for g in dict.fromkeys(g for g in stores.values() if g):
        out[f"group:{g}"] = [s for s, sg in stores.items() if sg == g]
    return out


def owner_values(cfg: RunConfig, retention: Mapping[str, float],
                 loyalty: Mapping[str, float]) -> dict[str, float]:
    """k$ an owner of each store is worth at the horizon (:func:`economics.owner_value`):
    service visits a year x the store's service retention x gross per repair order,
    over the ownership years left, then a repurchase at the store's loyalty x gross
    per vehicle. Retention and loyalty are the status quo's (nan counts as 0)."""
    e = cfg.economics
    years = e.owner_years_left if e.owner_years_left >= 0 else \
        cfg.customers.ownership_months / 12.0 / 2.0
    need = cfg.choice.service_need_per_year
    out = {}
    for d in cfg.dealers.dealers:
        keep = float(np.nan_to_num(retention.get(d.name, 0.0)))
        again = float(np.nan_to_num(loyalty.get(d.name, 0.0)))
        out[d.name] = ec.owner_value(need * keep * d.gross_per_service_visit,
                                     again * d.gross_per_vehicle, years, e.discount_rate)
    return out


@dataclass
class Appraisal:
    """Per unit (store or group): metric intervals, and monthly cumulative cash flow."""

    summary: pd.DataFrame  # unit, kind, metric, mean, ci_low, ci_high
    monthly: pd.DataFrame  # unit, month, cash_k, cumulative_k, ci_low, ci_high
    replications: pd.DataFrame  # unit, replication, each of METRICS, payback_month


def _cube(frame: pd.DataFrame, column: str, stores: Sequence[str]) -> np.ndarray:
    """(replications, weeks) of ``column`` summed over ``stores``."""
    mine = frame[frame["dealer"].isin(stores)]
    return mine.pivot_table(index="replication", columns="week", values=column,
                            aggfunc="sum").sort_index().to_numpy(dtype=float)


def appraise(diff: pd.DataFrame, costs: Mapping[str, np.ndarray], *, rate: float,
             sample: float, households: float, stores: Mapping[str, str],
             owner_value_k: Mapping[str, float] | None = None) -> Appraisal:
    """Each store's and group's money from a :func:`paired` table.

    ``costs`` is the programme's cash cost per store and recorded week (stores
    without the programme may be left out); ``stores`` maps every store to its
    group ("" for none); ``owner_value_k`` values owners won by the horizon
    (None: no terminal value). P(loss) is over the real market's luck
    (:func:`economics.loss_chance` at ``sample`` simulated of ``households``).
    """
    weeks = int(diff["week"].max()) + 1
    horizon_years = weeks / WEEKS_PER_YEAR
    rows, months, reps = [], [], []
    for unit, members in units_of(stores).items():
        cost_w = sum((np.asarray(costs[s], dtype=float) for s in members if s in costs),
                     np.zeros(weeks))
        gross_w = _cube(diff, "gross_profit_k", members)
        cash_m = ec.to_months(gross_w - cost_w)
        cum = ec.cumulative(cash_m)
        last = diff[(diff["week"] == weeks - 1) & diff["dealer"].isin(members)]
        terminal = np.zeros(len(gross_w))
        if owner_value_k is not None:
            values = last["dealer"].map(owner_value_k).fillna(0.0).to_numpy()
            won = (last["owners"].to_numpy() * values)
            terminal = pd.Series(won, index=last["replication"]).groupby(level=0).sum()
            terminal = ec.terminal_value(terminal.sort_index().to_numpy(), 1.0,
                                         horizon_years, rate)
        gain, cost = gross_w.sum(axis=1), np.full(len(gross_w), cost_w.sum())
        npv = ec.npv(cash_m, rate)
        per = {
            "extra_units": _cube(diff, "units_sold", members).sum(axis=1),
            "extra_revenue_k": _cube(diff, "revenue_k", members).sum(axis=1),
            "extra_gross_k": gain, "cost_k": cost, "profit_after_cost_k": gain - cost,
            "roi": ec.roi(gain, cost), "npv_k": npv, "terminal_k": terminal,
            "npv_with_terminal_k": npv + terminal,
        }
        payback = ec.payback_month(cum)
        reps.append(pd.DataFrame({"unit": unit, "replication": np.arange(len(gain)),
                                  **per, "payback_month": payback}))
        kind = "group" if unit.startswith("group:") else "store"
        for metric, values in per.items():
            ok = values[~np.isnan(values)]
            mean, lo, hi = t_interval(ok) if ok.size else (np.nan,) * 3
            rows.append({"unit": unit, "kind": kind, "metric": metric, "mean": mean,
                         "ci_low": lo, "ci_high": hi})
        loss = ec.loss_chance(npv, sample, households)
        mean_payback = float(ec.payback_month(cum.mean(axis=0)))
        extra = {"payback_month": (mean_payback, np.nan, np.nan),
                 "p_payback": (float(np.mean(~np.isnan(payback))), np.nan, np.nan),
                 "p_loss": (loss.p, loss.low, loss.high),
                 "npv_mc_se_k": (loss.mc_se_k, np.nan, np.nan)}
        for metric, (mean, lo, hi) in extra.items():
            rows.append({"unit": unit, "kind": kind, "metric": metric, "mean": mean,
                         "ci_low": lo, "ci_high": hi})
        for m in range(cum.shape[1]):
            mean, lo, hi = t_interval(cum[:, m])
            months.append({"unit": unit, "month": m + 1, "cash_k": float(cash_m[:, m].mean()),
                           "cumulative_k": mean, "ci_low": lo, "ci_high": hi})
    return Appraisal(pd.DataFrame(rows), pd.DataFrame(months),
                     pd.concat(reps, ignore_index=True))


def value(summary: pd.DataFrame, unit: str, metric: str) -> tuple[float, float, float]:
    """(mean, ci_low, ci_high) of one unit's metric in an appraisal's summary."""
    row = summary[(summary["unit"] == unit) & (summary["metric"] == metric)].iloc[0]
    return float(row["mean"]), float(row["ci_low"]), float(row["ci_high"])
