"""One focused test per mechanism of MODEL.md.

Each test asserts behaviour that a plausible mistake would break. Where the
outcome is random, the tolerance and where it comes from are stated beside
the assertion; every random test uses a fixed seed, so it is repeatable, and
the tolerances are wide enough (4-5 standard errors) that a change of seed
would still pass.
"""

from __future__ import annotations

import math

import mesa
import numpy as np
import pandas as pd
import pytest

from cxsim import build_model, collect, load_config, simulate
from cxsim import experience as xp
from cxsim.calendar import NEVER, Calendar
from cxsim.choice import logit_probabilities, pick
from cxsim.config import TOUCHPOINTS, DealersConfig, DealerSpec, TouchpointsConfig
from cxsim.dealers import Dealer, budget_map
from cxsim.draws import Draws
from cxsim.metrics import COUNTS, add_rates
from cxsim.programme import Programme
from cxsim.social import neighbours_of, small_world

QUIET = ["progress=false", "plots=false"]
TP = TouchpointsConfig()  # defaults: loss aversion 2, peak 0.4, end 0.3, drift 0.15


def _run(*overrides: str):
    return simulate([*QUIET, *overrides])


# -- moment satisfaction ----------------------------------------------------------------


def test_moment_satisfaction_loss_aversion():
    # One point short of expectation must hurt more than one point above helps,
    # by exactly loss_aversion on the disconfirmation part.
    expect = np.full(3, 7.0)
    s = xp.moment_satisfaction(np.array([6.0, 7.0, 8.0]), expect, TP)
    drop, rise = s[1] - s[0], s[2] - s[1]
    assert drop > rise > 0
    assert s[0] - 6.0 == pytest.approx(-TP.loss_aversion * (s[2] - 8.0))
    # Without loss aversion the two sides are symmetric.
    sym = TouchpointsConfig(loss_aversion=1.0)
    s = xp.moment_satisfaction(np.array([6.0, 7.0, 8.0]), expect, sym)
    assert s[1] - s[0] == pytest.approx(s[2] - s[1])


def test_moment_satisfaction_is_anchored_on_experience():
    # Once expectations have adapted (experienced == expected) satisfaction equals
    # what was experienced, not the scale's midpoint for everyone.
    x = np.array([3.0, 5.0, 9.0])
    assert np.allclose(xp.moment_satisfaction(x, x, TP), x)
    # The same surplus of one point at a higher level gives a higher satisfaction.
    s = xp.moment_satisfaction(np.array([5.0, 8.0]), np.array([4.0, 7.0]), TP)
    assert s[1] - s[0] == pytest.approx(3.0)
    # And the answer stays on the 0-10 scale.
    s = xp.moment_satisfaction(np.array([10.0, 0.0]), np.array([0.0, 10.0]), TP)
    assert s.tolist() == [10.0, 0.0]


# -- peak-end memory --------------------------------------------------------------------


def test_peak_end_single_extreme_moment_outweighs_the_mean():
    # Six ordinary moments (7) and one extreme one in the middle of the episode.
    bad = np.array([[7, 7, 7, 1, 7, 7, 7]], dtype=float)
    good = np.array([[7, 7, 7, 10, 7, 7, 7]], dtype=float)
    for row, extreme in ((bad, 1.0), (good, 10.0)):
        mean = row.mean()
        remembered = xp.remember(row, TP)[0]
        # the remembered score moves further from 7 than the mean does, toward the peak
        assert abs(remembered - 7.0) > abs(mean - 7.0)
        assert np.sign(remembered - 7.0) == np.sign(extreme - 7.0)
        expected = TP.peak_weight * extreme + TP.end_weight * 7.0 + \
            (1 - TP.peak_weight - TP.end_weight) * mean
        assert remembered == pytest.approx(expected)


def test_peak_end_the_ending_weighs_more_and_skips_missing_moments():
    middle = np.array([[7, 7, 2, 7, 7]], dtype=float)
    at_end = np.array([[7, 7, 7, 7, 2]], dtype=float)
    # Same moments, same mean; a bad ending is remembered worse than a bad middle.
    assert xp.remember(at_end, TP)[0] < xp.remember(middle, TP)[0]
    # The end is the last moment that happened (NaN = did not happen).
    with_gap = np.array([[7, 7, 7, 7, 2, np.nan, np.nan]])
    assert xp.remember(with_gap, TP)[0] == pytest.approx(xp.remember(at_end, TP)[0])
    # With no peak or end weight, memory is the plain mean of what happened.
    flat = TouchpointsConfig(peak_weight=0.0, end_weight=0.0)
    assert xp.remember(with_gap, flat)[0] == pytest.approx(np.nanmean(with_gap))


# -- expectation drift --------------------------------------------------------------------


def test_expectation_drift_makes_delight_the_norm():
    rate = TP.expectation_drift
    assert xp.drift(np.array([7.0]), np.array([9.0]), rate)[0] == pytest.approx(7.0 + 2 * rate)
    # The same experience of 9, met again and again: expectation approaches 9
    # geometrically and satisfaction with it falls toward 9 (anchor, not midpoint).
    expect, sats = np.array([7.5]), []
    for _ in range(60):
        sats.append(xp.moment_satisfaction(np.array([9.0]), expect, TP)[0])
        expect = xp.drift(expect, np.array([9.0]), rate)
    assert expect[0] == pytest.approx(9.0 - 1.5 * (1 - rate) ** 60)
    assert all(a > b for a, b in zip(sats, sats[1:], strict=False))
    assert sats[-1] == pytest.approx(9.0, abs=0.01)


def test_expectation_drift_is_applied_in_the_journey():
    # With drift 0 no customer's expectation changes over a run; with the default
    # the customers who met a touchpoint have moved.
    # (a closed market: a newcomer's fresh expectations would be a change too)
    small = ["sample.customers=400", "market.years=0.5", "market.warmup_weeks=0",
             "customers.tenure_years=0"]
    frozen = build_model([*QUIET, *small, "touchpoints.expectation_drift=0"])
    before = frozen.population.expectation.copy()
    frozen.run()
    assert np.array_equal(frozen.population.expectation, before)
    moving = build_model([*QUIET, *small])
    before = moving.population.expectation.copy()
    moving.run()
    assert (moving.population.expectation != before).any(axis=1).mean() > 0.1


# -- effort and survey answers -------------------------------------------------------------


def test_effort_score_rises_with_problems_and_waits_within_1_to_7():
    problems = np.array([0.0, 1.0, 2.0, 10.0, 0.0])
    waits = np.array([0.0, 0.0, 0.0, 0.0, 2.0])
    ces = xp.effort_score(problems, waits, TP)
    b, p, w = TP.effort_base, TP.effort_per_problem, TP.effort_per_wait_hour
    assert ces.tolist() == pytest.approx([b, b + p, b + 2 * p, 7.0, b + 2 * w])
    low = xp.effort_score(np.zeros(1), np.zeros(1), TouchpointsConfig(effort_base=0.2))
    assert low[0] == 1.0


def test_survey_answers_stay_on_their_scales():
    n = 20_001
    score = np.linspace(-5.0, 15.0, n)
    effort = np.linspace(-1.0, 9.0, n)
    z = Draws(5).normal("test_survey", 0, np.arange(n))
    ltr, csat, ces = xp.survey(score, effort, z, TouchpointsConfig(survey_noise_sd=3.0))
    for answer, lo, hi in ((ltr, 0, 10), (csat, 1, 5), (ces, 1, 7)):
        assert np.array_equal(answer, np.rint(answer))  # whole points only
        assert set(np.unique(answer).tolist()) == set(range(lo, hi + 1))
    # With the same mood (z), a better remembered score never gives a worse answer.
    ltr, csat, _ = xp.survey(score, effort, np.zeros(n), TP)
    assert (np.diff(ltr) >= 0).all() and (np.diff(csat) >= 0).all()


def test_nps_counts_promoters_9_10_and_detractors_0_6():
    # Without answer noise or generosity the likelihood to recommend is the remembered
    # score rounded, and the top box counts scores >= superior_score. With the top box
    # at 8.5 it must count exactly the promoters (answers 9-10); at 6.5 exactly the
    # customers who are not detractors (answers 7-10). The top box is measurement
    # only, so both runs live the same episodes.
    quiet = ["sample.customers=2000", "market.years=1", "market.warmup_weeks=0",
             "touchpoints.survey_noise_sd=0", "touchpoints.survey_generosity=0"]
    at_9 = _run(*quiet, "touchpoints.superior_score=8.5").weekly
    at_7 = _run(*quiet, "touchpoints.superior_score=6.5").weekly
    assert at_9["responses"].sum() > 1000
    assert 0 < at_9["promoters"].sum() < at_9["responses"].sum()
    assert np.array_equal(at_9["promoters"], at_9["top_box"])
    assert np.array_equal(at_7["detractors"], at_7["responses"] - at_7["top_box"])
    assert np.array_equal(at_9["detractors"], at_7["detractors"])
    # NPS = % promoters - % detractors, from the summed counts.
    total = at_9.sum(numeric_only=True)
    df = pd.DataFrame([total])
    df["week"], df["self_rating"] = 0, np.nan
    df = add_rates(df)
    nps = 100 * (total["promoters"] - total["detractors"]) / total["responses"]
    assert df["nps"][0] == pytest.approx(nps)
    rated = at_9[at_9["responses"] > 0]  # a week without answers has no rates
    assert rated["nps"].between(-100, 100).all()
    assert rated["csat"].between(1, 5).all() and rated["ces"].between(1, 7).all()


# -- talk ------------------------------------------------------------------------------------


def _talk(score: np.ndarray, base: float, pos: float, neg: float,
          neutral: float) -> np.ndarray:
    return xp.talk_chances(score, (base,), pos, neg, neutral)[0]


def test_talk_probability_is_u_shaped_and_steeper_for_bad():
    w = dict(base=0.12, pos=0.4, neg=0.6, neutral=5.0)
    score = np.linspace(0.0, 10.0, 101)
    p = _talk(score, **w)
    i = int(np.argmin(p))
    assert score[i] == pytest.approx(5.0) and p[i] == pytest.approx(0.12)
    assert (np.diff(p[: i + 1]) < 0).all() and (np.diff(p[i:]) > 0).all()
    for dist in (1.0, 2.5, 5.0):  # equally far from neutral: bad news is told more often
        bad, good = _talk(np.array([5.0 - dist, 5.0 + dist]), **w)
        assert bad > good
    wild = _talk(score, base=0.9, pos=5.0, neg=5.0, neutral=5.0)
    assert wild.min() >= 0 and wild.max() == 1.0


# -- dealers: budget map, lag, engagement ------------------------------------------------------


def test_budget_map_diminishing_returns_half_gap_at_spend_half():
    base = np.full(5, 7.5)
    spend = np.array([0.0, 150.0, 300.0, 450.0, 5000.0])
    q = budget_map(base, spend, q_max=9.5, half=150.0)
    assert q[:4].tolist() == pytest.approx([7.5, 8.5, 9.0, 9.25])  # half, 3/4, 7/8 of gap
    gains = np.diff(q[:4])
    assert (gains > 0).all() and (np.diff(gains) < 0).all()  # each 150 k$ buys less
    assert 9.5 - 1e-6 < q[4] <= 9.5
    # A touchpoint already above Qmax is not pulled down by spending on it.
    assert budget_map(np.array([9.8]), np.array([150.0]), 9.5, 150.0)[0] == 9.8


def _dealer(**spec) -> Dealer:
    return Dealer(mesa.Model(rng=0), 0, DealerSpec(**spec), DealersConfig())


def test_dealer_quality_follows_investment_with_a_lag():
    dealer = _dealer()
    cfg = dealer.cfg
    start = dealer.quality.copy()
    dealer.invest(np.full(len(TOUCHPOINTS), cfg.spend_half), 0.0, 0.0, 0)
    assert np.array_equal(dealer.quality, start)  # no jump on the day money is signed
    target = budget_map(dealer.base_quality, dealer.spend, cfg.quality_max, cfg.spend_half)
    path = []
    for _ in range(int(cfg.quality_lag_weeks)):
        dealer.step()
        path.append(dealer.quality.copy())
    path = np.array(path)
    assert (np.diff(path, axis=0) > 0).all() and (path <= target).all()  # no overshoot
    # After one lag time the gap has closed by 1 - 1/e (about 63 %).
    assert path[-1] == pytest.approx(target - (target - start) * math.exp(-1.0))
    for _ in range(520):
        dealer.step()
    assert dealer.quality == pytest.approx(target, abs=1e-6)
    assert dealer.yearly_investment == pytest.approx(cfg.spend_half * len(TOUCHPOINTS))


def test_engagement_raises_quality_narrows_spread_and_fixes_handoffs():
    low, mid, high = _dealer(engagement=0.2), _dealer(engagement=0.5), _dealer(engagement=0.9)
    assert np.array_equal(mid.effective_quality(), mid.quality)  # 0.5 is neutral
    assert (high.effective_quality() > mid.effective_quality()).all()
    assert (low.effective_quality() < mid.effective_quality()).all()
    assert high.effective_sd() < mid.effective_sd() < low.effective_sd()
    at_zero = _dealer(engagement=0.0).handoff_failure()
    assert at_zero == pytest.approx(DealersConfig().handoff_failure)
    assert _dealer(engagement=1.0).handoff_failure() == 0.0
    assert high.handoff_failure() < low.handoff_failure()
    # Spending on engagement and on standards moves both toward their targets with a lag.
    d = _dealer(engagement=0.5, consistency_sd=1.2)
    d.invest(np.zeros(len(TOUCHPOINTS)), engagement_spend=150.0, consistency_spend=150.0,
             extra_bays=0)
    for _ in range(26):
        d.step()
    assert d.engagement == pytest.approx(0.75 - 0.25 * math.exp(-1.0))
    assert d.consistency_sd == pytest.approx(0.6 + 0.6 * math.exp(-1.0))


# -- keyed random numbers ------------------------------------------------------------------


def test_draws_same_key_same_number_other_keys_other_numbers():
    ids = np.arange(100_000)
    a = Draws(42).uniform("buy", 10, ids)
    assert np.array_equal(a, Draws(42).uniform("buy", 10, ids))  # a fresh instance too
    others = {
        "seed": Draws(43).uniform("buy", 10, ids),
        "purpose": Draws(42).uniform("visit_choice", 10, ids),
        "week": Draws(42).uniform("buy", 11, ids),
        "slot": Draws(42).uniform("buy", 10, ids, slot=1),
        "id": Draws(42).uniform("buy", 10, ids + 1),
    }
    for name, b in others.items():
        assert (a != b).all(), name
        # independent streams: |corr| < 5 / sqrt(n) = 0.016 (5 standard errors)
        assert abs(np.corrcoef(a, b)[0, 1]) < 5 / math.sqrt(ids.size), name


def test_draws_uniform_moments_over_a_million():
    u = Draws(1).uniform("moments", 3, np.arange(1_000_000))
    assert 0.0 < u.min() and u.max() < 1.0
    n = u.size
    # mean 1/2, SE sqrt(1/12 / n) = 2.9e-4; tolerance 5 SE
    assert abs(u.mean() - 0.5) < 5 * math.sqrt(1 / 12 / n)
    # variance 1/12, SE sqrt((1/80 - 1/144) / n) = 7.5e-5; tolerance 5 SE
    assert abs(u.var() - 1 / 12) < 5 * math.sqrt((1 / 80 - 1 / 144) / n)
    # 100 equal bins: chi-square with 99 df has mean 99, sd 14; tolerance mean + 5 sd
    counts = np.bincount((u * 100).astype(int), minlength=100)
    chi2 = ((counts - n / 100) ** 2 / (n / 100)).sum()
    assert chi2 < 99 + 5 * 14
    # normals are the inverse CDF of the same uniforms: mean 0 (SE 1e-3), var 1 (SE 1.4e-3)
    z = Draws(1).normal("moments", 3, np.arange(1_000_000))
    assert abs(z.mean()) < 5e-3 and abs(z.var() - 1) < 7e-3


def test_draws_do_not_depend_on_order_or_batch():
    dr = Draws(9)
    sorted_ids = dr.uniform("service_need", 5, np.array([1, 2, 3]))
    shuffled = dr.uniform("service_need", 5, np.array([3, 1, 2]))
    assert np.array_equal(shuffled, sorted_ids[[2, 0, 1]])
    one_by_one = [dr.uniform("service_need", 5, np.array([i]))[0] for i in (1, 2, 3)]
    assert np.array_equal(np.array(one_by_one), sorted_ids)
    mat = dr.uniform_matrix("service_need", 5, np.array([3, 1, 2]), 3)
    for j in range(3):
        assert np.array_equal(mat[:, j], dr.uniform("service_need", 5, np.array([3, 1, 2]), j))


# -- calendar ------------------------------------------------------------------------------


def test_calendar_book_pop_rebook_cancel_and_stale_bookings():
    cal = Calendar(10, ("visit", "service"))
    cal.book("visit", np.array([5, 1, 2, 3]), 4)
    cal.book("visit", np.array([7, 8]), np.array([6, 4]))
    cal.book("service", np.array([1]), 4)
    cal.book("visit", np.array([2]), 7)  # rebooked: its week-4 booking is now stale
    cal.book("visit", np.array([5]), 4)  # booked again for the same week: counted once
    cal.cancel("visit", np.array([3]))
    assert sorted(cal.peek("visit", 4).tolist()) == [1, 5, 8]
    week4 = cal.pop("visit", 4).tolist()
    assert sorted(week4) == [1, 5, 8] and len(week4) == 3  # no stale, no duplicate
    assert cal.pop("visit", 4).size == 0  # popping consumes the week
    assert cal.pop("service", 4).tolist() == [1]  # kinds are independent
    assert cal.pop("visit", 6).tolist() == [7]
    assert cal.due["visit"][3] == NEVER
    cal.book("visit", np.array([2]), 9)  # moved again before week 7 came
    assert cal.pop("visit", 7).size == 0
    assert cal.pop("visit", 9).tolist() == [2]


# -- social network ----------------------------------------------------------------------------


def test_small_world_network_shape():
    n, degree, rewire = 4000, 6, 0.1
    dr = Draws(3)
    order = np.argsort(dr.uniform("test_order", 0, np.arange(n)))
    adj = small_world(order, degree, rewire, dr)
    assert (adj != adj.T).nnz == 0  # symmetric
    assert adj.diagonal().sum() == 0  # no self loops
    assert set(np.unique(adj.data).tolist()) == {1.0}
    # Duplicates collapse only when a rewired tie lands on an existing one
    # (probability ~ degree / n), so the mean degree stays within 1 % of 6.
    assert abs(adj.nnz / n - degree) < 0.06
    # Share of ties that are long (not between ring neighbours) ~ rewire:
    # binomial SE sqrt(0.1 * 0.9 / 12000) = 0.0027; tolerance 5 SE.
    pos = np.empty(n, dtype=np.int64)
    pos[order] = np.arange(n)
    coo = adj.tocoo()
    gap = np.abs(pos[coo.row] - pos[coo.col])
    ring = np.minimum(gap, n - gap) <= degree // 2
    assert abs((~ring).mean() - rewire) < 5 * math.sqrt(rewire * (1 - rewire) / (n * degree / 2))
    # Without rewiring every customer has exactly `degree` ring neighbours.
    lattice = small_world(order, degree, 0.0, dr)
    assert (np.diff(lattice.indptr) == degree).all()


def test_neighbours_of_matches_csr_rows():
    n = 500
    adj = small_world(np.arange(n), 6, 0.3, Draws(4))
    tellers = np.array([5, 0, 17, 5, 499])
    who, listeners = neighbours_of(adj, tellers)
    for i, t in enumerate(tellers):
        row = adj.indices[adj.indptr[t]:adj.indptr[t + 1]]
        assert sorted(listeners[who == i].tolist()) == sorted(row.tolist())
    assert neighbours_of(small_world(np.arange(n), 0, 0.0, Draws(4)), tellers)[1].size == 0


# -- logit choice --------------------------------------------------------------------------------


def test_logit_pick_frequencies_match_softmax():
    n = 400_000
    utility = np.array([0.0, 1.0, -0.5, 2.0, -np.inf])
    u = Draws(11).uniform("test_pick", 0, np.arange(n))
    choice = pick(np.broadcast_to(utility, (n, utility.size)), u)
    freq = np.bincount(choice, minlength=utility.size) / n
    p = logit_probabilities(utility[None, :])[0]
    assert p[-1] == 0 and freq[-1] == 0  # an impossible option is never chosen
    # multinomial SE per option sqrt(p (1 - p) / n) (<= 8e-4); tolerance 4 SE
    se = np.sqrt(p * (1 - p) / n)
    assert (np.abs(freq - p) <= 4 * se + 1e-12).all()
    assert np.allclose(logit_probabilities(utility[None, :] + 100.0), p[None, :])


# -- environment: friction, seasonality -----------------------------------------------------------


def test_digital_friction_declines_floors_and_steps():
    r = _run("sample.customers=300", "market.years=2", "market.warmup_weeks=0",
             "market.friction_decline=0.2", "market.friction_floor=0.85",
             "market.friction_step_week=70", "market.friction_step_to=0.5")
    phi = r.weekly.groupby("week")["friction"].first().to_numpy()
    weeks = np.arange(phi.size)
    path = np.maximum(0.85, 0.8 ** (weeks / 52))
    path[70:] = 0.5
    assert phi == pytest.approx(path)
    floor_week = int(np.argmax(phi <= 0.85))
    assert floor_week == math.ceil(52 * math.log(0.85) / math.log(0.8))
    assert (np.diff(phi[:floor_week + 1]) < 0).all()


def test_boat_season_puts_16_percent_of_entries_in_may():
    r = _run("industry=boat", "sample.customers=20000", "market.years=2", "market.warmup_weeks=0")
    entered = r.weekly.groupby("week")["entered"].first().to_numpy()
    n = entered.sum() / r.config.weight  # simulated entries: the binomial count
    assert n > 3000
    # Attribute each week to months by overlap with the 12 equal parts of a
    # 52-week year; May is [52 * 4/12, 52 * 5/12).
    w = np.arange(entered.size) % 52
    may = np.clip(np.minimum(w + 1, 52 * 5 / 12) - np.maximum(w, 52 * 4 / 12), 0.0, 1.0)
    share = (entered * may).sum() / entered.sum()
    # Binomial SE sqrt(0.16 * 0.84 / n) ~ 0.0055 at n ~ 4,600; tolerance 4 SE plus
    # 0.003 for splitting the two boundary weeks by overlap. A flat year gives 0.083.
    assert abs(share - 0.16) < 4 * math.sqrt(0.16 * 0.84 / n) + 0.003


# -- word of mouth, service bond, investment ------------------------------------------------


def test_word_of_mouth_after_a_bad_episode_lowers_listeners_attitude():
    # Dealer B (index 1) is bad at every touchpoint. Own episodes do not move
    # attitudes here (own_experience_weight=0), so word of mouth is the only way an
    # attitude can change: with listen_weight=0 none does.
    bad = [f"dealers.dealers.1.quality.{t}=2.0" for t in TOUCHPOINTS if t != "marketing"]
    market = ["sample.customers=3000", "market.years=0.5", "market.warmup_weeks=0",
              "touchpoints.own_experience_weight=0", "customers.tenure_years=0", *bad]
    deaf = build_model([*QUIET, *market, "word_of_mouth.listen_weight=0"])
    before = deaf.population.attitude.copy()
    deaf.run()
    assert np.array_equal(deaf.population.attitude, before)

    m = build_model([*QUIET, *market])
    before = m.population.attitude.copy()
    m.run()
    change = m.population.attitude - before
    heard = change[:, 1] != 0  # the listeners who heard about dealer B
    assert heard.sum() > 300
    # Nearly all of them now think less of it (observed ~93 % of ~700; binomial SE
    # ~0.01, so 0.8 leaves more than 10 SE).
    assert (change[heard, 1] < 0).mean() > 0.8
    assert change[:, 1].mean() < min(change[:, 0].mean(), change[:, 2].mean())
    summary = collect(m).summary.set_index("dealer")
    assert summary["wom_negative"].iloc[1] > 3 * summary["wom_positive"].iloc[1]


def _loyalty_split(summary: pd.DataFrame) -> tuple[float, float, float]:
    """Pooled loyalty if serviced at the seller, if not, and the SE of the difference."""
    a, n1 = summary["loyal_repurchases_serviced"].sum(), summary["repurchases_serviced"].sum()
    b, n0 = summary["loyal_repurchases"].sum() - a, summary["repurchases"].sum() - n1
    p1, p0 = a / n1, b / n0
    return p1, p0, math.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)


def test_service_bond_customers_serviced_at_seller_repurchase_there_more():
    market = ["sample.customers=10000", "market.years=2", "market.warmup_weeks=52"]
    summary = _run(*market).summary
    assert (summary["loyalty_if_serviced"] > summary["loyalty_if_not_serviced"]).all()
    p1, p0, se = _loyalty_split(summary)
    assert p1 - p0 > 3 * se  # ~1,000 vs ~2,000 repurchases: SE ~ 0.019
    # The gap is the bond's doing, not only selection: without the bond (same seed,
    # common random numbers) it shrinks. Tolerance: the sum of both SEs.
    q1, q0, se0 = _loyalty_split(_run(*market, "choice.service_bond=0").summary)
    assert (p1 - p0) - (q1 - q0) > se + se0


def test_cx_programme_raises_focal_sales_against_same_seed_baseline():
    market = ["sample.customers=3000", "market.years=2", "market.warmup_weeks=26", "seed=3"]
    base = _run(*market).summary.set_index("dealer")
    prog = _run(*market, "investment=cx_program").summary.set_index("dealer")
    focal = base.index[0]
    # ~350 focal sales in 2 years; sd of a count that size ~ sqrt(350) = 19 even for
    # independent runs (common random numbers make the paired difference tighter).
    lift = prog.loc[focal, "units_sold"] - base.loc[focal, "units_sold"]
    assert lift > 3 * math.sqrt(base.loc[focal, "units_sold"])
    rivals = base.index[1:]
    assert prog.loc[rivals, "units_sold"].sum() < base.loc[rivals, "units_sold"].sum()
    # The programme's cost is booked: its yearly total for two years.
    total = Programme.from_config(load_config(["investment=cx_program"])).spend_k
    assert prog.loc[focal, "investment_k"] == pytest.approx(2 * total)
    assert base["investment_k"].sum() == 0


# -- engines ---------------------------------------------------------------------------------


def test_stepped_engine_equals_fast_engine():
    market = ["sample.customers=500", "market.years=1", "market.warmup_weeks=10"]
    fast = _run(*market, "engine=fast").weekly
    stepped = _run(*market, "engine=stepped").weekly
    assert fast["units_sold"].sum() > 0
    assert np.array_equal(fast["units_sold"].to_numpy(), stepped["units_sold"].to_numpy())
    counts = [c for c in COUNTS if not c.endswith(("_sum", "_k"))]
    pd.testing.assert_frame_equal(fast[counts], stepped[counts], check_exact=True)
    # Sums of real numbers may differ in the last bits from the order of addition.
    pd.testing.assert_frame_equal(fast, stepped, check_exact=False, rtol=1e-9)
