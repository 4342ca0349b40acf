"""Paired comparisons on common random numbers (cxsim.compare)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxsim.compare import (
    INDEPENDENT_STRIDE,
    arm_runs,
    arm_seeds,
    crn_efficiency,
    lift_table,
    paired_runs,
    relative_lift,
    variance_ratio_interval,
)
from cxsim.run import replication_seed

SMALL = ["sample.customers=3000", "market.years=2", "market.warmup_weeks=26", "progress=false"]


def test_identical_arms_have_exactly_zero_lift():
    # Same seed in both arms and no difference between them: common random numbers
    # make every replication's lift exactly zero, so the interval has zero width.
    table = lift_table(paired_runs([], [], replications=3, common=SMALL))
    assert np.allclose(table["lift"], 0.0)
    assert np.allclose(table["ci_high"] - table["ci_low"], 0.0)


def test_programme_lifts_focal_sales_with_interval_excluding_zero():
    # A holistic programme (conf/investment/cx_program.yaml) at the focal dealer must
    # raise its unit sales: over 4 replications the 95 % interval of the paired lift
    # lies above zero.
    table = lift_table(paired_runs([], ["investment=cx_program"], replications=4,
                                   common=SMALL)).set_index("kpi")
    assert table.loc["units_sold", "ci_low"] > 0
    assert table.loc["roi", "replications"] == 4


# -- several arms, processes, designs ---------------------------------------------------------
TINY = ["sample.customers=1500", "market.years=1", "market.warmup_weeks=13", "progress=false"]


def test_parallel_replications_give_identical_tables():
    # Each task is a pure function of its config and seed, and results are put back in
    # task order: two worker processes must give exactly the single-process table.
    arms = {"baseline": [], "programme": ["investment=cx_program"]}
    one = arm_runs(arms, replications=2, common=TINY, jobs=1)
    two = arm_runs(arms, replications=2, common=TINY, jobs=2)
    pd.testing.assert_frame_equal(one, two)
    assert list(one["arm"]) == ["baseline", "programme"] * 2


def test_independent_design_shares_the_baseline_but_not_the_scenario_seeds():
    paired = arm_seeds(5, 4, 3, paired=True)
    indep = arm_seeds(5, 4, 3, paired=False)
    assert paired[0] == paired[1] == paired[2]
    assert indep[0] == paired[0]  # the baseline is the same run in both designs
    assert not set(indep[1]) & set(indep[0]) and not set(indep[2]) & set(indep[1])
    assert indep[1] == [replication_seed(5 + INDEPENDENT_STRIDE, r) for r in range(4)]


def test_lift_table_between_two_scenario_arms():
    # The difference of two arms on the same seeds is their lift over each other.
    runs = pd.DataFrame({"replication": [0, 0, 0, 1, 1, 1],
                         "arm": ["baseline", "a", "b"] * 2,
                         "units_sold": [100.0, 130, 110, 104, 133, 115],
                         "investment_k": [0.0, 10, 10] * 2,
                         "profit_k": [50.0, 55, 45, 52, 57, 49]})
    t = lift_table(runs, baseline="b", scenario="a", kpis=("units_sold",)).set_index("kpi")
    assert t.loc["units_sold", "lift"] == pytest.approx(19.0)
    assert "roi" not in t.index  # equal investment: no ROI of one over the other
    mean, lo, hi = relative_lift(runs, baseline="baseline", scenario="a")
    assert mean == pytest.approx(100 * (30 / 100 + 29 / 104) / 2)
    assert lo < mean < hi


def test_crn_efficiency_sees_the_correlation_it_exploits():
    # Synthetic arms: scenario = baseline + 5 + small noise when paired, an
    # independent draw of the same spread otherwise. Pairing must then shrink the
    # lift's sd by about sqrt(2 * 10**2 / 1**2) ~ 14.
    rng = np.random.default_rng(0)
    n = 40
    b = rng.normal(100, 10, n)
    frame = lambda s: pd.DataFrame({  # noqa: E731
        "replication": np.tile(np.arange(n), 2), "arm": ["baseline"] * n + ["scenario"] * n,
        **{k: np.concatenate([b, s]) for k in ("units_sold", "nps")}})
    paired = frame(b + 5 + rng.normal(0, 1, n))
    independent = frame(rng.normal(105, 10, n))
    eff = crn_efficiency(paired, independent, kpis=("units_sold",)).iloc[0]
    assert eff["corr"] > 0.99
    assert 9 < eff["sd_ratio"] < 20 and eff["sd_ratio_low"] < eff["sd_ratio"] < \
        eff["sd_ratio_high"]
    assert eff["width_ratio"] == pytest.approx(eff["sd_ratio"])  # same n: same t factor


def test_variance_ratio_interval_is_the_f_law():
    # Two samples with sample variances 4 and 1 (n = 11 each): ratio 4, interval
    # 4 / F(0.975; 10, 10) .. 4 / F(0.025; 10, 10) = 4 / 3.717 .. 4 * 3.717.
    a = np.array([-1.0, 1.0] * 5 + [0.0])
    a = a / a.std(ddof=1)
    ratio, lo, hi = variance_ratio_interval(a, 2 * a)
    assert ratio == pytest.approx(4.0)
    assert lo == pytest.approx(4 / 3.7168, rel=1e-3) and hi == pytest.approx(4 * 3.7168,
                                                                             rel=1e-3)
