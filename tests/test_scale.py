"""A real market, a simulated sample (issue 10): answers do not depend on the sample.

The market has ``market.households`` real households; ``sample.customers`` of
them are simulated, each standing for w = households / customers. These tests
check that outputs are in real units and that the expected answer does not
move with the sample's size (the full table across four sizes comes from
``benchmarks/bench_sample_size.py`` and is in the README).
"""

from __future__ import annotations

import numpy as np
import pytest

from cxsim import load_config
from cxsim.compose import explain
from cxsim.metrics import COUNTS, UNWEIGHTED
from cxsim.model import CxModel
from cxsim.results import weekly_frame
from cxsim.run import compose, run_many


def test_old_keys_name_their_replacement_in_one_line():
    for old, new in (("customers.n=5000", "sample.customers"),
                     ("dealers.dealers.0.bays_per_1000_customers=1", "dealers.dealers[i].bays")):
        with pytest.raises(Exception) as info:
            load_config([old])
        line = explain(info.value)
        assert "\n" not in line and new in line, line


def test_counts_and_money_are_reported_in_real_units():
    # w = 8,000 / 2,000 = 4: every count and amount is 4x the sample's events; the
    # programme's cost is the store's real spend (not scaled); rates are unchanged.
    cfg = load_config(["sample.customers=2000", "market.households=8000", "market.years=0.5",
                       "market.warmup_weeks=4", "investment=cx_program", "progress=false"])
    assert cfg.weight == 4.0
    model = CxModel(cfg).run()
    weekly = weekly_frame(model)
    sampled = model.metrics.rows
    for k in COUNTS:
        factor = 1.0 if k in UNWEIGHTED else 4.0
        assert np.array_equal(weekly[k].to_numpy(), factor * sampled[k].reshape(-1)), k
    assert weekly["investment_k"].sum() > 0
    assert np.array_equal(weekly["owners"].to_numpy(), 4.0 * sampled["owners"].reshape(-1))
    # the lanes run at the store's declared bays, whatever the sample
    assert (model.lanes.bays == [d.bays for d in cfg.dealers.dealers]).all()


def test_a_store_twice_the_size_needs_twice_the_spend_on_volume_touchpoints():
    import mesa

    from cxsim.config import DealersConfig, DealerSpec
    from cxsim.config.common import TOUCHPOINTS
    from cxsim.dealers import SCALE_FREE, Dealer

    cfg = DealersConfig()
    spend = np.full(len(TOUCHPOINTS), 100.0)
    small = Dealer(mesa.Model(rng=0), 0, DealerSpec(bays=15), cfg)
    big = Dealer(mesa.Model(rng=0), 1, DealerSpec(bays=30), cfg)
    small.invest(spend, 50.0, 50.0, 0)
    big.invest(2 * spend, 100.0, 100.0, 0)
    scale_free = np.array([t in SCALE_FREE for t in TOUCHPOINTS])
    # volume-driven: the same quality for twice the spend; scale-free: more quality
    assert np.allclose(big._target[~scale_free], small._target[~scale_free])
    assert (big._target[scale_free] > small._target[scale_free]).all()
    assert big._e_target == pytest.approx(small._e_target)
    assert big._sd_target == pytest.approx(small._sd_target)


SEEDS = 12
"""Replications of the sample-size test (common seeds at both sizes)."""


def _focal_table(n: int) -> np.ndarray:
    """(seed, outcome) of the focal store, one recorded year after 26 warm-up weeks."""
    cfgs = [compose([f"sample.customers={n}", f"seed={s}", "market.years=1",
                     "market.warmup_weeks=26", "progress=false"]) for s in range(SEEDS)]
    rows = run_many(cfgs, jobs=2)
    return np.array([[r["nps"], 100 * r["service_retention"], 100 * r["share"],
                      r["units_sold"], r["gross_profit_k"], r["mean_wait_hours"]]
                     for r in rows])


def test_the_answer_does_not_depend_on_the_sample_size():
    """The default market simulated with 5,000 and 20,000 customers (w = 4 and 1).

    Twelve seeds each, one recorded year after 26 warm-up weeks, two processes.

    At w > 1 the lane's weekly real visits and the week's reviews carry the
    real market's noise, not w times its variance (ODD section 2): before
    that, the w = 4 sample's backlogs and noisier rating lengthened waits
    (+24 +- 25 %) and cost NPS (-0.87 +- 0.92 points, 16 seeds). Measured
    now, 5,000 minus 20,000 (16 seeds): NPS -0.43 +- 0.67 points, service
    retention +0.61 +- 0.61, share -0.08 +- 0.82 points, units +0.6 +- 3.2 %,
    gross profit +0.7 +- 1.8 %, mean wait +5 +- 12 %.

    These twelve seeds: NPS -0.81 +- 0.71 points, retention +0.78 +- 0.77,
    share -0.54 +- 0.84 points, units -0.4 +- 4.0 %, profit +0.5 +- 2.3 %, mean
    wait +10 +- 14 %. Switching word of mouth off (``talk_rate=0``) leaves the
    NPS and retention gaps as they are (-0.68 +- 0.69, +0.75 +- 0.76): a
    residual gap (NPS lower, retention higher at w = 4, each under a point)
    remains and its cause is open.

    Margins (each 95 % interval of the difference must lie inside): profit
    +-3 % (the issue's); NPS +-2 points (was +-3.5) and retention +-2 points:
    the issue's +-1 needs the interval to shrink below the residual gap, about
    40 seeds at these spreads (the w = 4 sample's own survey noise makes its
    NPS about 1.5 points noisier per seed); share +-2 points and units +-5 %
    (was +-6 %: a year of focal units at 5,000 carries the sample's own Poisson
    noise, about 7 % per seed); mean wait +-40 % (was +-120 %).
    """
    small, large = _focal_table(5_000), _focal_table(20_000)
    diff = small - large
    half = 1.96 * diff.std(axis=0, ddof=1) / np.sqrt(SEEDS)
    mean = diff.mean(axis=0)
    rel = np.abs(large.mean(axis=0))
    # nps (pt), retention (pt), share (pt), units (%), profit (%), wait (%)
    margin = np.array([2.0, 2.0, 2.0, 0.05 * rel[3], 0.03 * rel[4], 0.4 * rel[5]])
    names = ("nps", "retention", "share", "units", "profit", "wait")
    lo, hi = mean - half, mean + half
    outside = [(n, round(a, 3), round(b, 3), round(m, 3))
               for n, a, b, m in zip(names, lo, hi, margin, strict=True) if a < -m or b > m]
    assert not outside, outside


def test_four_times_the_sample_gives_the_same_answer_within_the_issues_margins():
    """The issue's criterion: the default market at 10,000 and 40,000 simulated
    customers (w = 2 and 0.5), 16 seeds each, one recorded year after 26 warm-up
    weeks, the focal store with and without ``investment=cx_program``
    (``benchmarks/bench_sample_size.py``'s measure). Each 95 % interval of the
    difference must lie inside its margin: NPS, service retention and share +-1
    point, units and profit +-3 %, the programme's ROI +-0.1 (the issue leaves
    ROI's margin open: a tenth of a dollar per dollar spent).

    Measured, these 16 seeds (2 processes, 18 s): NPS +0.27 +- 0.66 points,
    retention -0.02 +- 0.43, share -0.03 +- 0.53, units -0.4 +- 1.4 %, profit
    -0.0 +- 1.0 %, ROI -0.02 +- 0.03. At w = 4 NPS still sits a little low (the
    test above, with its wider margins).
    """
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from bench_sample_size import OUTCOMES, _task

    from cxsim.run import pool

    seeds = 16
    extra = ["market.warmup_weeks=26"]
    with pool(2) as task_map:
        flat = np.array(task_map(_task, [(n, s, 1.0, extra) for n in (10_000, 40_000)
                                         for s in range(seeds)]))
    small, large = flat[:seeds], flat[seeds:]
    diff = small - large
    half = 1.96 * diff.std(axis=0, ddof=1) / np.sqrt(seeds)
    ref = np.abs(large.mean(axis=0))
    margins = {"nps": 1.0, "service_retention": 0.01, "share": 0.01,
               "units_sold": 0.03 * ref[OUTCOMES.index("units_sold")],
               "profit_k": 0.03 * ref[OUTCOMES.index("profit_k")], "roi": 0.1}
    outside = [(k, float(diff[:, j].mean()), float(half[j]), margins[k])
               for j, k in enumerate(OUTCOMES)
               if abs(diff[:, j].mean()) + half[j] > margins[k]]
    assert not outside, outside


def test_a_sampled_week_of_visits_has_the_real_markets_noise():
    # 4 bays at 1/3 visit an hour, 50 opening hours, 1.2 real visits an hour: the real
    # week is Poisson(60). A w = 4 sample sees Poisson(15) visits, each 4 real ones.
    from cxsim.lane import ServiceLanes

    rng = np.random.default_rng(3)
    lam, hours, weeks = 1.2, 50.0, 4000

    def weekly_real(w: float) -> np.ndarray:
        lane = ServiceLanes(np.array([4]), np.array([1 / 3]), np.array([lam]), 0.3, hours,
                            1e9, weight=w)
        out = np.empty(weeks)
        for k in range(weeks):
            lane.rate[:] = lam  # the expectation is known: isolate the week's noise
            lane.arrivals[:] = rng.poisson(lam * hours / w)
            out[k] = lane.real_arrivals()[0]
        return out

    one, four = weekly_real(1.0), weekly_real(4.0)
    assert np.array_equal(one, np.round(one))  # w = 1: the sampled count itself
    # same mean and the real market's variance (60), not w times it (240); the
    # standard error of a variance of 4,000 Poisson(60) weeks is about 1.4
    assert abs(four.mean() - one.mean()) < 0.5
    assert abs(four.var() - 60.0) < 6.0 and abs(one.var() - 60.0) < 6.0


def test_a_sampled_rating_has_the_real_markets_noise():
    # One dealer, 400 real episodes a week, each reviewed with chance 0.05 with a
    # score of 4 or 9; a w = 4 sample lives 100 of them. After two years the rating's
    # spread across replications matches the real market's (not twice it).
    from cxsim.config import WordOfMouthConfig
    from cxsim.reviews import ReviewPlatform

    rng = np.random.default_rng(5)

    def ratings(w: float, reps: int = 300) -> np.ndarray:
        out = np.empty(reps)
        n = int(400 / w)
        for r in range(reps):
            platform = ReviewPlatform(1, WordOfMouthConfig(), weight=w)
            for _ in range(104):
                platform.age()
                d = np.zeros(n, dtype=np.int64)
                score = np.where(rng.random(n) < 0.7, 9.0, 4.0)
                chance = np.full(n, 0.05)
                if w > 1:
                    platform.expect(d, chance, score)
                posts = rng.random(n) < chance
                platform.post(d[posts], score[posts])
                platform.update_rating()
            out[r] = platform.rating[0]
        return out

    one, four = ratings(1.0), ratings(4.0)
    assert abs(four.mean() - one.mean()) < 0.03
    # sd ratio of 300 replications each: about +-8 %; without the correction it is 2
    assert 0.8 < four.std() / one.std() < 1.25, (four.std(), one.std())
