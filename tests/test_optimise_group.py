"""The optimiser's bays lever and group objective (group NPV by default)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxsim.economics import npv, to_months
from cxsim.optimise import LINES, optimise
from cxsim.optimise_levers import BAYS, GROUP_NPV, configure, group_npv
from cxsim.run import compose, run

pytest.importorskip("optuna")

TINY = ["sample.customers=1000", "market.years=1", "market.warmup_weeks=10",
        "progress=false", "plots=false"]
GROUP = ["dealers.dealers.0.group=G", "dealers.dealers.1.group=G"]


def test_bays_are_a_lever_of_the_allocation():
    cfg = configure(compose(TINY), {"service": 100.0, BAYS: 2.0}, "x")
    assert cfg.investment.extra_bays == 2 and cfg.investment.spend.service == 100.0
    assert configure(cfg, {"digital": 50.0}, "y").investment.extra_bays == 2  # kept


def test_group_npv_matches_the_hand_computation():
    cfg = compose([*TINY, *GROUP, "investment.spend.service=104", "investment.extra_bays=1",
                   "economics.bay_capital_k=100", "economics.discount_rate=0.1"])
    out = run(cfg)
    w = out.weekly
    gross = w[w["dealer"].isin(["Dealer A", "Dealer B"])].groupby("week")[
        "gross_profit_k"].sum().to_numpy()
    # the focal store pays 104 + 60 k$ a year (2 + 60/52 a week) and 100 k$ once
    cost = np.full(52, (104.0 + 60.0) / 52)
    cost[0] += 100.0
    months = {}
    for k in range(52):
        months[k * 12 // 52] = months.get(k * 12 // 52, 0.0) + gross[k] - cost[k]
    expected = sum(c / 1.1 ** ((m + 1) / 12) for m, c in sorted(months.items()))
    assert group_npv(out) == pytest.approx(expected)
    assert group_npv(out) == pytest.approx(float(npv(to_months(gross - cost), 0.1)))
    # without a group, the focal store alone
    alone = run(compose([*TINY, "investment.spend.service=104"]))
    a = alone.weekly[alone.weekly["dealer"] == "Dealer A"]["gross_profit_k"].to_numpy()
    assert group_npv(alone) == pytest.approx(float(npv(to_months(a - 2.0), 0.08)))


def test_search_with_bays_and_the_group_objective(tmp_path):
    out = optimise(300, [*TINY, *GROUP], trials=3, replications=1, confirm_replications=2,
                   jobs=1, out=tmp_path / "opt", bays=2)
    trials = pd.read_parquet(out / "trials.parquet")
    assert set(trials[BAYS]) <= {0.0, 1.0, 2.0}
    # the bays' running cost (60 k$ each) comes out of the yearly budget
    assert np.allclose(trials[list(LINES)].sum(axis=1) + 60.0 * trials[BAYS], 300.0)
    table = pd.read_parquet(out / "comparison.parquet")
    assert set(table["kpi"]) == {GROUP_NPV}  # the default objective
    allocs = pd.read_parquet(out / "allocations.parquet").set_index("arm")
    assert allocs.loc["best", BAYS] in (0.0, 1.0, 2.0)
    md = (out / "report.md").read_text()
    assert "dealer group" in md and "extra bays" in md
