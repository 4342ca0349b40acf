"""Money: payback, NPV, ROI and terminal value against hand-computed cash flows;
P(loss) over the real market's luck, the same at any sample size."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cxsim import economics as ec
from cxsim.appraisal import appraise, paired, value
from cxsim.programme import Programme

WEEKS = 104
RATE = 0.10


def _table(gross: dict[str, list[float]], owners: dict[str, float]) -> pd.DataFrame:
    """A paired weekly table: per store a constant weekly gross lift per replication."""
    rows = []
    for store, per_rep in gross.items():
        for r, g in enumerate(per_rep):
            for w in range(WEEKS):
                rows.append({"replication": r, "week": w, "dealer": store,
                             "units_sold": g / 2.0, "revenue_k": 10.0 * g,
                             "gross_profit_k": g,
                             "owners": owners[store] if w == WEEKS - 1 else 0.0})
    return pd.DataFrame(rows)


def _by_hand(weekly_cash: list[float]) -> tuple[list[float], float]:
    """Monthly cash (a week k in month k*12//52) and NPV, with plain loops."""
    months: dict[int, float] = {}
    for k, c in enumerate(weekly_cash):
        months[k * 12 // 52] = months.get(k * 12 // 52, 0.0) + c
    cash = [months[m] for m in sorted(months)]
    npv = sum(c / (1 + RATE) ** ((m + 1) / 12) for m, c in enumerate(cash))
    return cash, npv


@pytest.fixture(scope="module")
def appraisal():
    diff = _table({"A": [10.0, 12.0], "B": [-2.0, -2.0], "C": [1.0, 1.0]},
                  {"A": 100.0, "B": -40.0, "C": 0.0})
    # the programme at store A: 200 k$ once, 52 k$ a year
    cost = Programme(one_off_k=200.0, yearly_k=52.0).cash_costs(WEEKS, 0)
    return appraise(diff, {"A": cost}, rate=RATE, sample=1000, households=1000,
                    stores={"A": "G", "B": "G", "C": ""},
                    owner_value_k={"A": 5.0, "B": 5.0, "C": 5.0})


def test_cash_flow_payback_npv_and_roi_match_the_hand_computation(appraisal):
    reps = appraisal.replications.set_index(["unit", "replication"])
    # store A, replication 0: +10 a week, -1 a week running cost, -200 in week 0
    cash, npv = _by_hand([10.0 - 1.0 - (200.0 if k == 0 else 0.0) for k in range(WEEKS)])
    assert cash[:6] == pytest.approx([-155.0, 36.0, 36.0, 45.0, 36.0, 36.0])
    assert reps.loc[("A", 0), "npv_k"] == pytest.approx(npv)
    # cumulative: -155, -119, -83, -38, -2, +34: out of pocket until month 5
    assert reps.loc[("A", 0), "payback_month"] == 6
    assert reps.loc[("A", 0), "roi"] == pytest.approx((1040.0 - 304.0) / 304.0)
    assert reps.loc[("A", 0), "profit_after_cost_k"] == pytest.approx(1040.0 - 304.0)
    # the group: A's gain less B's loss (cannibalisation), the same cost
    cash, npv = _by_hand([10.0 - 2.0 - 1.0 - (200.0 if k == 0 else 0.0)
                          for k in range(WEEKS)])
    assert reps.loc[("group:G", 0), "npv_k"] == pytest.approx(npv)
    assert reps.loc[("group:G", 0), "payback_month"] == 7  # -165 ... -18, +17
    assert reps.loc[("group:G", 0), "roi"] == pytest.approx((832.0 - 304.0) / 304.0)
    assert reps.loc[("group:G", 1), "extra_gross_k"] == pytest.approx(10.0 * WEEKS)
    # a store without the programme pays nothing: its cash is its gross lift
    assert reps.loc[("B", 0), "cost_k"] == 0
    assert reps.loc[("B", 0), "profit_after_cost_k"] == pytest.approx(-2.0 * WEEKS)
    assert math.isnan(reps.loc[("B", 0), "payback_month"])  # never pays back


def test_terminal_value_is_owners_times_their_value_discounted(appraisal):
    reps = appraisal.replications.set_index(["unit", "replication"])
    assert reps.loc[("A", 0), "terminal_k"] == pytest.approx(100.0 * 5.0 / 1.1 ** 2)
    assert reps.loc[("group:G", 0), "terminal_k"] == pytest.approx(60.0 * 5.0 / 1.1 ** 2)
    assert reps.loc[("C", 0), "terminal_k"] == 0


def test_summary_intervals_and_probabilities(appraisal):
    s = appraisal.summary
    mean, lo, hi = value(s, "A", "extra_gross_k")
    assert mean == pytest.approx(11.0 * WEEKS) and lo < mean < hi
    assert value(s, "A", "p_payback")[0] == 1.0
    assert value(s, "B", "p_payback")[0] == 0.0
    assert value(s, "group:G", "payback_month")[0] in (6.0, 7.0)  # mean of 7 and ~6
    m = appraisal.monthly
    assert set(m["unit"]) == {"A", "B", "C", "group:G"} and m["month"].max() == 24


def test_paired_refuses_different_seeds():
    a = pd.DataFrame({"replication": [0], "week": [0], "dealer": ["A"], "gross_profit_k": [1.0]})
    with pytest.raises(ValueError, match="same seeds"):
        paired(a, a.assign(replication=1), ["gross_profit_k"])


def test_bays_are_capital_once_plus_running_cost():
    p = Programme({"digital": 52.0}, extra_bays=2, bay_cost_k=60.0, bay_capital_k=120.0)
    cash = p.cash_costs(WEEKS, start_week=10)
    assert cash[:10].sum() == 0
    assert cash[10] == pytest.approx(240.0 + 172.0 / 52)
    assert cash.sum() == pytest.approx(240.0 + 172.0 * (WEEKS - 10) / 52)


@pytest.mark.parametrize("mean", [300.0, -150.0])
def test_p_loss_does_not_depend_on_the_sample_size(mean):
    # A market of H households, each adding x ~ N(mean/H, 1): the real total has sd
    # sqrt(H). A replication at n simulated customers, each counted w = H/n times,
    # has sd H/sqrt(n): wider the smaller the sample, yet P(loss) must not move.
    households, rng = 100_000, np.random.default_rng(7)
    truth = stats.norm.cdf(-mean / math.sqrt(households))
    naive = {}
    for n in (5_000, 20_000, 80_000):
        reps = rng.normal(mean, households / math.sqrt(n), size=4000)
        chance = ec.loss_chance(reps, n, households)
        assert chance.p == pytest.approx(truth, abs=0.04), n
        assert chance.low <= truth + 0.01 and truth - 0.01 <= chance.high, n
        assert chance.mc_se_k == pytest.approx(households / math.sqrt(n) / math.sqrt(4000),
                                               rel=0.1)
        naive[n] = stats.norm.cdf(-reps.mean() / reps.std(ddof=1))
    # the replications' own spread would have given an answer that moves with n
    assert abs(naive[5_000] - naive[80_000]) > 0.1
