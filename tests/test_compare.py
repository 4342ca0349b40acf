"""Paired comparisons on common random numbers (cxsim.compare)."""

from __future__ import annotations

import numpy as np

from cxsim.compare import lift_table, paired_runs, replication_seed, t_interval

SMALL = ["customers.n=3000", "market.years=2", "market.warmup_weeks=26", "progress=false"]


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


def test_replication_seeds_are_distinct_and_stable():
    seeds = [replication_seed(0, r) for r in range(50)]
    assert len(set(seeds)) == 50
    assert seeds == [replication_seed(0, r) for r in range(50)]


def test_t_interval_matches_textbook_value():
    # mean 2, sd 1.5811 (ddof 1), n=5: half width t(0.975, 4) * sd / sqrt(5) = 1.9632
    mean, lo, hi = t_interval(np.array([0.0, 1.0, 2.0, 3.0, 4.0]))
    assert mean == 2.0
    assert abs((hi - lo) / 2 - 1.9632) < 1e-3
