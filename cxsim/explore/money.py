"""One scenario's outcomes per option: NPV, payback, units and NPS against the status quo.

The deciding unit's (the group's, or the store's) numbers, with the arithmetic
of :func:`cxsim.appraisal.appraise` (which reports every unit with intervals;
an exploration needs one unit's means, thousands of times): paired weekly
differences on common seeds, the programme's cash costs relative to the status
quo's (:func:`cxsim.decide.runs.relative_costs`), grown by the scenario's cost
inflation, monthly cash flow, NPV, payback, terminal value
(:mod:`cxsim.economics`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from cxsim import economics as ec
from cxsim.appraisal import owner_values, paired, units_of
from cxsim.config import WEEKS_PER_YEAR
from cxsim.decide.options import STATUS_QUO, Options
from cxsim.decide.runs import relative_costs

MEASURES = ("npv_k", "npv_with_terminal_k", "payback_month", "extra_units", "cost_k",
            "nps_change")
"""Outcomes per option and scenario (the deciding unit, option minus status quo)."""


def inflated(costs: Mapping[str, np.ndarray], rate: float) -> dict[str, np.ndarray]:
    """Weekly costs grown at ``rate`` a year from week 0.

    >>> inflated({"A": np.ones(53)}, 0.1)["A"][[0, 52]].round(6).tolist()
    [1.0, 1.1]
    """
    out = {}
    for store, c in costs.items():
        c = np.asarray(c, dtype=float)
        out[store] = c * (1.0 + rate) ** (np.arange(c.size) / WEEKS_PER_YEAR)
    return out


def _per_week(diff: pd.DataFrame, column: str, stores: list[str]) -> np.ndarray:
    """(replications, weeks) of ``column`` summed over ``stores``."""
    mine = diff[diff["dealer"].isin(stores)]
    return mine.groupby(["replication", "week"])[column].sum().unstack("week").sort_index(
    ).to_numpy(dtype=float)


def scenario_outcomes(options: Options, weekly: Mapping[str, pd.DataFrame],
                      rates: pd.DataFrame, nps: Mapping[str, pd.Series],
                      inflation: float = 0.0) -> pd.DataFrame:
    """One row per option: :data:`MEASURES` of the deciding unit, means over the
    scenario's replications. ``weekly[arm]`` holds replication, week, dealer and the
    flows; ``rates`` the status quo's service retention and loyalty per store;
    ``nps[arm]`` each store's NPS (mean over replications)."""
    sq = options.arms[STATUS_QUO]
    stores = {d.name: d.group for d in sq.dealers.dealers}
    members = units_of(stores)[options.unit]
    rate = sq.economics.discount_rate
    values = owner_values(sq, rates["service_retention"].to_dict(),
                          rates["loyalty"].to_dict()) if sq.economics.terminal_value else None
    rows = []
    for arm in options.arms:
        if arm == STATUS_QUO:
            continue
        diff = paired(weekly[arm], weekly[STATUS_QUO])
        weeks = int(diff["week"].max()) + 1
        costs = inflated(relative_costs(options, arm), inflation)
        cost_w = sum((costs[s] for s in members if s in costs), np.zeros(weeks))
        gross_w = _per_week(diff, "gross_profit_k", members)
        cash_m = ec.to_months(gross_w - cost_w)
        cum = ec.cumulative(cash_m)
        npv = ec.npv(cash_m, rate)
        terminal = np.zeros(len(npv))
        if values is not None:
            last = diff[(diff["week"] == weeks - 1) & diff["dealer"].isin(members)]
            won = last["owners"].to_numpy() * last["dealer"].map(values).fillna(0.0).to_numpy()
            won = pd.Series(won, index=last["replication"]).groupby(level=0).sum()
            terminal = ec.terminal_value(won.sort_index().to_numpy(), 1.0,
                                         weeks / WEEKS_PER_YEAR, rate)
        change = nps[arm].reindex(members) - nps[STATUS_QUO].reindex(members)
        rows.append({
            "policy": arm, "npv_k": float(npv.mean()),
            "npv_with_terminal_k": float((npv + terminal).mean()),
            "payback_month": float(ec.payback_month(cum.mean(axis=0))),
            "extra_units": float(_per_week(diff, "units_sold", members).sum(axis=1).mean()),
            "cost_k": float(cost_w.sum()),
            "nps_change": float(change.mean()),
        })
    return pd.DataFrame(rows, columns=["policy", *MEASURES])
