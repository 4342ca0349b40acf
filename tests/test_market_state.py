"""The market's state objects and the pure functions the processes use.

Service lanes, the review platform, the friction path, the ownership horizon
and the purchase logit, each checked against what it is meant to compute.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from cxsim.choice import buy_logit, chance_at_quality, logistic
from cxsim.config import ChoiceConfig, MarketConfig, WordOfMouthConfig
from cxsim.friction import friction_at
from cxsim.lane import ServiceLanes
from cxsim.lifecycle import ownership_horizon, season_cdf, seasonal, weeks_to_service
from cxsim.queueing import erlang_c
from cxsim.reviews import ReviewPlatform


def _lanes(rate: float, bays: int = 4, smoothing: float = 0.3) -> ServiceLanes:
    return ServiceLanes(np.array([bays]), np.array([1.0 / 3.0]), np.array([rate]),
                        smoothing=smoothing, open_hours=50.0, overloaded_wait=40.0)


def test_lane_waits_follow_erlang_c_and_overload_builds_a_backlog():
    # an all-but-noiseless rate estimate: no convexity correction, Erlang C exactly
    calm = _lanes(rate=1.0, smoothing=1e-12)  # load a = 3 on 4 bays
    assert calm.wait_chance[0] == pytest.approx(erlang_c(4, 3.0))
    assert calm.wait_rate[0] == pytest.approx(4 / 3 - 1.0)
    u = np.linspace(0.001, 0.999, 2001)
    waits = calm.serve(np.zeros(u.size, dtype=np.int64), u, np.full(u.size, math.exp(-1.0)))
    # wait iff u < C(c, a), and then Exp(1) quantile 1 over rate c mu - lambda
    assert np.mean(waits > 0) == pytest.approx(erlang_c(4, 3.0), abs=1e-3)
    assert waits.max() == pytest.approx(1.0 / (4 / 3 - 1.0))
    assert calm.arrivals[0] == u.size
    jammed = _lanes(rate=2.0)  # a = 6 >= 4 bays: the queue grows at 2 - 4/3 an hour
    w = jammed.serve(np.zeros(100, dtype=np.int64), np.full(100, 0.5), np.full(100, 0.5))
    # half-way through the week: (lambda - c mu) x 25 h of queue / (c mu) = 12.5 h
    assert np.all(w == pytest.approx(12.5))
    jammed.close_week()  # 100 arrivals, capacity 4/3 x 50 = 66.7: the rest waits
    assert jammed.utilisation[0] == pytest.approx(1.0)
    assert jammed.backlog[0] == pytest.approx(100 - 200 / 3)
    jammed.update_law()  # next week every visit first waits for that backlog
    assert jammed.queue_wait()[0] > jammed.backlog[0] / (4 / 3)
    w = jammed.serve(np.zeros(1, dtype=np.int64), np.ones(1), np.full(1, 1e-9))
    assert w[0] == pytest.approx(jammed.backlog[0] / (4 / 3), rel=1e-6)


def test_lane_rate_is_an_ewma_of_weekly_arrivals():
    lanes = _lanes(rate=1.0)
    lanes.serve(np.zeros(100, dtype=np.int64), np.ones(100), np.ones(100) * 0.5)
    lanes.close_week()
    assert lanes.rate[0] == pytest.approx(0.3 * 100 / 50.0 + 0.7 * 1.0)
    assert lanes.arrivals[0] == 0


def test_review_platform_is_a_decayed_mean_shrunk_to_the_prior():
    w = WordOfMouthConfig()
    platform = ReviewPlatform(2, w)
    assert np.all(platform.rating == w.rating_prior)
    platform.post(np.array([0, 0]), np.array([10.0, 10.0]))
    platform.update_rating()
    assert platform.rating[0] == pytest.approx(
        (20.0 + w.rating_prior * w.rating_prior_weight) / (2.0 + w.rating_prior_weight))
    assert platform.rating[1] == w.rating_prior
    for _ in range(int(w.rating_halflife_weeks)):
        platform.age()
    assert platform.weight[0] == pytest.approx(1.0)  # half of two reviews after a half-life


def test_friction_declines_to_its_floor_and_steps_down_in_a_disruption():
    m = MarketConfig()
    assert friction_at(-10, m) == friction_at(0, m) == m.friction_start
    assert friction_at(52, m) == pytest.approx(m.friction_start * (1 - m.friction_decline))
    assert friction_at(52 * 100, m) == m.friction_floor
    shock = MarketConfig(friction_step_week=10, friction_step_to=0.5)
    assert friction_at(9, shock) > 0.9 and friction_at(10, shock) == 0.5


def test_ownership_horizon_has_the_configured_mean_and_cv():
    mu, sigma = ownership_horizon(71.0, 0.35)
    mean = math.exp(mu + sigma ** 2 / 2)
    assert mean == pytest.approx(71.0 * 52 / 12)
    assert math.sqrt(math.exp(sigma ** 2) - 1) == pytest.approx(0.35)


def test_service_gaps_and_seasonal_dates():
    assert weeks_to_service(np.array([0.0, 1.0]), 2.6).tolist() == [1, 20]
    cdf = season_cdf([1.0] * 12)
    due = np.array([10.0, 60.0])
    assert seasonal(due, cdf, now=0).tolist() == [10, 60]  # a flat season moves nothing
    assert seasonal(due, cdf, now=30).tolist() == [31, 60]  # nobody enters in the past


def test_purchase_logit_and_quality_chances_hold_at_their_references():
    c = ChoiceConfig()
    z = buy_logit(np.array([c.buy_reference_score]), np.array([c.buy_effort_above]),
                  np.array([0.5]), 1.0, c)
    assert z[0] == pytest.approx(c.buy_intercept)
    assert buy_logit(np.array([8.5]), np.array([3.0]), np.array([0.0]), 1.0, c)[0] == \
        pytest.approx(c.buy_intercept + c.visit_satisfaction_slope)
    assert chance_at_quality(0.94, 0.5, np.array([7.5]), 7.5)[0] == pytest.approx(0.94)
    assert chance_at_quality(0.94, 0.5, np.array([8.5]), 7.5)[0] == pytest.approx(
        logistic(math.log(0.94 / 0.06) + 0.5))
