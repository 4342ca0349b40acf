"""The service lane as a queue (issue 10): Erlang C for small and large lanes, and
a backlog that grows at lambda - c mu when demand exceeds capacity.

The lane (:class:`cxsim.lane.ServiceLanes`) is fed Poisson weekly arrivals at a
known real rate, exactly as the model feeds it (one ``serve`` per week's visits,
``close_week`` at the week's end), so the test isolates the queue from the rest
of the market and runs in about a second.
"""

from __future__ import annotations

import numpy as np
import pytest

from cxsim.lane import ServiceLanes
from cxsim.queueing import erlang_c, mean_wait, mean_wait_lanes, wait_law

HOURS, MU = 50.0, 1.0 / 3.0  # the default store: 50 opening hours, 3 h a visit


def _feed(c: int, lam: float, weeks: int, seed: int) -> tuple[np.ndarray, np.ndarray,
                                                                   ServiceLanes]:
    """Per week: the sum of waits and the number of visits; and the lane."""
    rng = np.random.default_rng(seed)
    lane = ServiceLanes(np.array([c]), np.array([MU]), np.array([lam]), 0.3, HOURS, 1e9)
    sums, counts = np.zeros(weeks), np.zeros(weeks)
    for t in range(weeks):
        lane.update_law()
        a = rng.poisson(lam * HOURS)
        waits = lane.serve(np.zeros(a, dtype=np.int64), rng.random(a), rng.random(a))
        sums[t], counts[t] = waits.sum(), a
        lane.close_week()
    return sums, counts, lane


@pytest.mark.parametrize(("bays", "load", "weeks"), [(4, 0.75, 3000), (19, 0.8, 1500)])
def test_mean_wait_matches_erlang_c_for_small_and_large_lanes(bays, load, weeks):
    """The mean wait equals Erlang C's W_q within 4 standard errors.

    Weeks are correlated through the smoothed rate, so the standard error comes
    from batch means (batches of 50 weeks, far longer than the rate's memory of
    ~3 weeks); 4 SE is about 7-8 % of W_q at these lengths. Without the convexity
    correction (queueing.debiased_rate) the 2-bay lane ran 14.5 % above W_q, the
    4-bay one 7.7 %, the 19-bay one 4.6 %; a lane with one bay fewer or more
    misses by a factor ~2.
    """
    lam = load * bays * MU
    sums, counts, _ = _feed(bays, lam, weeks, seed=bays)
    batches = sums.reshape(-1, 50).sum(axis=1) / counts.reshape(-1, 50).sum(axis=1)
    mean = sums.sum() / counts.sum()
    se = batches.std(ddof=1) / np.sqrt(batches.size)
    wq = mean_wait(bays, lam, MU)
    assert abs(mean - wq) <= 4 * se, (mean, wq, se)
    assert 4 * se < 0.1 * wq  # the test can tell a 10 % bias


def test_overloaded_lane_backlog_grows_at_lambda_minus_c_mu():
    """With lambda = 1.2 c mu the lane never empties, so after T weeks the backlog is
    sum(A_t) - c mu H T exactly: its mean growth per week is (lambda - c mu) H with
    standard deviation sqrt(lambda H / T) (Poisson arrivals). Waits grow with it."""
    bays, weeks = 4, 200
    lam = 1.2 * bays * MU
    sums, counts, lane = _feed(bays, lam, weeks, seed=3)
    growth = lane.backlog[0] / weeks
    expected = (lam - bays * MU) * HOURS
    assert abs(growth - expected) <= 4 * np.sqrt(lam * HOURS / weeks), (growth, expected)
    weekly_wait = sums / counts
    assert weekly_wait[-20:].mean() > 10 * weekly_wait[:20].mean()  # the queue builds up
    # served over capacity: a saturated lane serves exactly its capacity
    assert lane.utilisation[0] == pytest.approx(1.0)


def test_every_lane_at_once_is_the_scalar_recursion_to_the_last_bit():
    """The weekly law is worked out for all lanes at once; each lane's numbers must be
    the one-lane Erlang B recursion's exactly (the batch and the single run read
    the same waits), empty, idle, loaded and overloaded lanes alike."""
    rng = np.random.default_rng(11)
    c = rng.integers(0, 25, 5_000)
    mu = rng.choice([0.25, 1 / 3, 0.5], c.size)
    lam = c * mu * rng.uniform(-0.1, 1.3, c.size)
    lam[rng.random(c.size) < 0.05] = 0.0
    chance, rate = wait_law(c, lam, mu)
    ok = lam / mu < c
    want = np.array([erlang_c(k, a) if o else 1.0 for k, a, o in
                     zip(c, lam / mu, ok, strict=True)])
    assert np.array_equal(chance, want)
    assert np.array_equal(rate, np.where(ok, c * mu - lam, 0.0))
    assert np.array_equal(mean_wait_lanes(c, lam, mu),
                          np.array([mean_wait(k, x, m) for k, x, m in
                                    zip(c, lam, mu, strict=True)]))
    assert 0 < ok.mean() < 1 and (chance[ok] < 1).any()  # both kinds of lane were met
