"""Degenerate configurations: the simulation against results known in closed form.

MODEL.md ("Degenerate configurations the model must support (and test)"): each
test switches mechanisms off until the market reduces to a textbook model, runs
it, and compares with the closed form. Every tolerance is derived from the
sample size (the derivation and the resulting numbers are written beside each
assertion) and allows ``Z = 4`` standard errors, plus any deterministic bias the
engine's weekly clock introduces, computed rather than guessed. The file makes
about 40 such comparisons; at 4 standard errors (two-sided 6e-5 each) the chance
that any of them fails by bad luck is below 0.3 % for a new seed (20 other seeds
per test were tried and all passed), and every seed here is fixed.

The populations are small and the horizons short so the whole file runs in a
few seconds: the point is to hold the engine to the formulas, not to calibrate.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.integrate import solve_ivp

from cxsim.choice import distances, logit_probabilities
from cxsim.config import (
    ChoiceConfig,
    CustomersConfig,
    DealersConfig,
    DealerSpec,
    MarketConfig,
    RunConfig,
    SampleConfig,
    TouchpointsConfig,
    WordOfMouthConfig,
)
from cxsim.model import CxModel
from cxsim.queueing import debiased_rate, erlang_c, mean_wait
from cxsim.results import weekly_frame

Z = 4.0  # standard errors allowed in every comparison


def _config(weeks: int, seed: int = 0, **groups) -> RunConfig:
    """A quiet run config of ``weeks`` recorded weeks with the given config groups."""
    market = groups.pop("market", MarketConfig(warmup_weeks=0))
    market.years = weeks / 52.0
    if "sample" in groups:  # one simulated customer per real household (w = 1)
        market.households = float(groups["sample"].customers)
    return RunConfig(seed=seed, market=market, progress=False, plots=False, **groups)


def _report(rows: list[str]) -> str:
    return "\n" + "\n".join(rows)


# -- 1. Bass diffusion ------------------------------------------------------------------


def _bass(t: np.ndarray, p: float, q: float) -> np.ndarray:
    """Bass (1969) cumulative adoption F(t), t in years, F(0) = 0."""
    e = np.exp(-(p + q) * t)
    return (1.0 - e) / (1.0 + (q / p) * e)


def _bass_weekly(p: float, q: float, weeks: int) -> np.ndarray:
    """Expected aware share under the engine's weekly clock (mean field, n -> infinity).

    Each week an unaware customer first learns from advertising with probability
    1 - exp(-p/52) (``WordOfMouth.advertise``); then every customer chatters with
    probability h = 1 - exp(-q/52) (gaps ceil(Exp * 52/q) weeks are geometric;
    the first chatter falls in week 1 or later), to a uniformly drawn listener
    who takes the teller's awareness at the week's end. A listener is reached by
    Poisson(h) tellers and ends with the last one's knowledge, so it learns with
    probability (1 - exp(-h)) F'. Element k is the share after k weeks.
    """
    h = 1.0 - math.exp(-q / 52.0)
    f = np.zeros(weeks + 1)
    for k in range(weeks):
        a = 1.0 - (1.0 - f[k]) * math.exp(-p / 52.0)
        if k >= 1:
            a += (1.0 - a) * (1.0 - math.exp(-h)) * a
        f[k + 1] = a
    return f


def _bass_sd(p: float, q: float, n: int, years: np.ndarray) -> np.ndarray:
    """Standard deviation of the aware share of n customers (linear noise approximation).

    Awareness is a pure birth process with jump rate n f(F), f = (p + qF)(1 - F),
    and jumps of 1/n, so Var(F) obeys dV/dt = 2 f'(F) V + f(F)/n with V(0) = 0
    (van Kampen). Early word of mouth amplifies the noise of the first adopters:
    V is about twice the binomial F(1-F)/n in the middle of the curve.
    """
    def rhs(_t, y):
        f, v = y
        rate = (p + q * f) * (1.0 - f)
        return [rate, 2.0 * (q - p - 2.0 * q * f) * v + rate / n]

    sol = solve_ivp(rhs, (0.0, float(years.max())), [0.0, 0.0], t_eval=years,
                    rtol=1e-9, atol=1e-14)
    return np.sqrt(sol.y[1])


def test_bass_diffusion_of_a_new_dealers_awareness():
    """Advertising (p) and chatter (q) only: awareness of a new dealer follows Bass.

    A well-known dealer and a new one nobody knows (initial_awareness=0). Episode
    talk and reviews are off (talk_rate = review_rate = 0), there is no service
    and no replacement within the horizon (no churn), listeners are drawn from
    the whole market (well_mixed), so awareness of the new dealer spreads only by
    advertising, hazard p = 0.03 a year, and by chatter, q = 0.38 a year.

    Tolerance at t = 2, 4, 6, 8, 10 years, n = 40,000:
    * sampling: the linear-noise SD of the aware share (``_bass_sd``), 0.0020,
      0.0040, 0.0054, 0.0052, 0.0037 -- about 2 x the binomial sqrt(F(1-F)/n),
      confirmed by 12 replicate runs at n = 20,000 (empirical SD within 15 % of
      the formula); we allow 4 SD;
    * weekly discretisation: the engine's weekly clock (``_bass_weekly``) lags
      the continuous curve by 0.0001, 0.0011, 0.0027, 0.0035, 0.0029 (q acts on
      last week's adopters; chatter is Bernoulli(1 - e^{-q/52}) a week, i.e.
      0.4 % fewer talks a year than q); this bias is added to the tolerance.
    So at t = 6 years F = 0.439 and we accept 0.439 +- 0.024. Without chatter F(6)
    would be 0.165, and a 15 % error in q moves F(6) by 0.056.
    """
    p, q, n, years = 0.03, 0.38, 40_000, 10
    weeks = 52 * years
    cfg = _config(
        weeks, seed=11,
        sample=SampleConfig(customers=n),
        customers=CustomersConfig(well_mixed=True, first_time_share=0.0,
                                  ownership_months=1e6),
        dealers=DealersConfig(dealers=[
            DealerSpec(name="Known", x_km=-10.0),
            DealerSpec(name="New", x_km=10.0, initial_awareness=0.0)]),
        choice=ChoiceConfig(service_need_per_year=0.0),
        word_of_mouth=WordOfMouthConfig(talk_rate=0.0, review_rate=0.0,
                                        chatter_per_year=q, advertising_per_year=p),
    )
    model = CxModel(cfg)
    aware = model.population.aware
    assert not aware[:, 1].any() and aware[:, 0].all()
    share = np.empty(weeks + 1)
    share[0] = 0.0
    while model.week < weeks:
        model.step()
        share[model.week] = aware[:, 1].mean()
    assert aware[:, 0].all()  # the known dealer stays known

    t = np.arange(2.0, years + 1, 2.0)
    k = (52 * t).astype(int)
    closed = _bass(t, p, q)
    bias = np.abs(_bass_weekly(p, q, weeks)[k] - closed)
    sd = _bass_sd(p, q, n, t)
    tol = Z * sd + bias
    rows = [f"t={a:4.1f}y  sim {s:.4f}  Bass {f:.4f}  diff {s - f:+.4f}  tol {e:.4f}"
            for a, s, f, e in zip(t, share[k], closed, tol, strict=True)]
    assert np.all(np.abs(share[k] - closed) <= tol), _report(rows)


# -- 2. Markov switching ----------------------------------------------------------------


def test_markov_switching_shares_converge_to_b_over_a_plus_b():
    """Fixed switching probabilities: dealer A's share of owners -> b/(a+b).

    Two dealers, repurchase by the matrix [[1-a, a], [b, 1-b]] with a = 0.3,
    b = 0.1, so A's share tends to s* = b/(a+b) = 0.25 (B's to a/(a+b) = 0.75)
    and a deviation decays as lambda^k, lambda = 1-a-b = 0.6, after k purchases.
    Ownership is short (6 months, cv 0.1): 7-9 purchases per customer in 4
    years; everybody owns at the start (first_time_share=0), 5,000 customers.

    1. Starting shares come from the initial logit over attitude and distance:
       A's share vs the mean logit probability, SE sqrt(sum P(1-P))/n = 0.0064.
    2. Transient: given customer i's purchases k_i so far (timing does not depend
       on the dealer here) and starting dealer x_i, P(owner of A) = s* + (x_i - s*)
       lambda^{k_i}, independently across customers; so A's share has mean
       mean(pi_i) and SE sqrt(sum pi_i(1-pi_i))/n ~ 0.0057-0.0065. Checked every
       26 weeks (the share falls from 0.62 to ~0.25) at 4 SE.
    3. Limit: after 4 years |share - s*| <= 4 SE + mean |x_i - s*| lambda^{k_i}
       (the transient left, ~0.009; SE 0.0061), for A and for B (a/(a+b)).
    """
    a, b, n, weeks = 0.3, 0.1, 5_000, 208
    lam, s_star = 1.0 - a - b, b / (a + b)
    cfg = _config(
        weeks, seed=5,
        sample=SampleConfig(customers=n),
        customers=CustomersConfig(first_time_share=0.0, ownership_months=6.0, tenure_years=0.0,
                                  ownership_cv=0.1),
        dealers=DealersConfig(dealers=[DealerSpec(name="A", x_km=0.0, y_km=0.0),
                                       DealerSpec(name="B", x_km=20.0, y_km=20.0)]),
        choice=ChoiceConfig(markov_switching=[[1 - a, a], [b, 1 - b]],
                            service_need_per_year=0.0),
    )
    model = CxModel(cfg)
    pop, ch = model.population, cfg.choice
    assert (pop.selling_dealer >= 0).all()
    x0 = (pop.selling_dealer == 0).astype(float)

    # 1. The chain's starting point: the initial logit (all customers aware).
    start = logit_probabilities(ch.attitude_weight * pop.attitude.astype(float)
                                - ch.distance_weight * distances(pop.x, pop.y,
                                                                 model.locations))[:, 0]
    se0 = math.sqrt(np.sum(start * (1 - start))) / n
    assert abs(x0.mean() - start.mean()) <= Z * se0, (x0.mean(), start.mean(), se0)
    assert x0.mean() - s_star > 0.25  # far from the limit: the transient is visible

    # 2. The transient, week by week.
    bought = np.zeros(n, dtype=np.int64)
    rows, ok = [], True
    while model.week < weeks:
        model.step()
        bought += pop.purchase_week == model.week - 1
        if model.week % 26 == 0:
            pi = s_star + (x0 - s_star) * lam ** bought
            share = float(np.mean(pop.selling_dealer == 0))
            se = math.sqrt(np.sum(pi * (1 - pi))) / n
            ok &= abs(share - pi.mean()) <= Z * se
            rows.append(f"week {model.week:3d}  purchases {bought.mean():4.2f}  "
                        f"share A {share:.4f}  expected {pi.mean():.4f}  SE {se:.4f}")
    assert ok, _report(rows)
    assert bought.min() >= 6, bought.min()

    # 3. The limit b/(a+b) and a/(a+b).
    left = float(np.mean(np.abs(x0 - s_star) * lam ** bought))
    se = math.sqrt(s_star * (1 - s_star) / n)
    shares = np.bincount(pop.selling_dealer, minlength=2) / n
    assert abs(shares[0] - b / (a + b)) <= Z * se + left, (shares, left, se)
    assert abs(shares[1] - a / (a + b)) <= Z * se + left, (shares, left, se)


# -- 3. Multinomial logit ---------------------------------------------------------------


def test_logit_shares_with_only_attitude_and_distance():
    """Only attitude and distance in the utility: purchase shares are MNL shares.

    ``Shopping.visit`` scores dealer j as attitude_weight * attitude_ij
    + rating_weight * affinity_i * rating_j - distance_weight * km_ij
    - price_weight * segment_price_weight_i * premium_j + loyalty bonus
    (friction * switching_cost - effort_loyalty_penalty * max(CES - 4, 0) at the
    seller, friction * service_bond at a recent service provider)
    + marketing_weight * (marketing quality_j - 7.5), over aware, unvisited
    dealers. Every weight but attitude's and distance's is 0; to prove they are
    inert dealer B is 10 % dearer and has marketing quality 9.5. max_visits=1:
    each shopper visits one dealer and buys there. Attitudes cannot move
    (own_experience_weight=0, no talk, no reviews), so each purchase is an
    independent draw from softmax(0.3 attitude - 0.045 km) of the buyer's
    starting attitudes, which the test computes itself.

    Tolerance: for dealer j the number of buyers choosing j is a sum of
    independent Bernoulli(P_ij), variance sum P_ij(1 - P_ij). With ~18,000
    purchases the SE of a share is ~0.0037 (overall) and ~0.006-0.008 within the
    buyers nearest to one dealer, or liking one dealer best; we allow 4 SE in
    each of 3 + 9 + 9 cells. Dropping distance moves the overall shares by 13-24
    SE and the nearest-dealer cells by up to 36 SE; dropping attitude moves the
    liked-best diagonal by ~12 SE (tried by mutating the config).
    """
    n, weeks = 6_000, 78
    dearer_loud = DealerSpec().quality  # the default qualities ...
    dearer_loud.marketing = 9.5  # ... but far better marketing
    cfg = _config(
        weeks, seed=3,
        sample=SampleConfig(customers=n),
        customers=CustomersConfig(ownership_months=6.0, ownership_cv=0.2, tenure_years=0.0),
        dealers=DealersConfig(dealers=[
            DealerSpec(name="A", x_km=0.0, y_km=0.0),
            DealerSpec(name="B", x_km=20.0, y_km=20.0, price_premium=0.1,
                       quality=dearer_loud),
            DealerSpec(name="C", x_km=-25.0, y_km=15.0)]),
        touchpoints=TouchpointsConfig(own_experience_weight=0.0, effort_loyalty_penalty=0.0),
        choice=ChoiceConfig(rating_weight=0.0, price_weight=0.0, marketing_weight=0.0,
                            switching_cost=0.0, service_bond=0.0, max_visits=1),
        word_of_mouth=WordOfMouthConfig(talk_rate=0.0, review_rate=0.0),
    )
    model = CxModel(cfg)
    pop, ch, nd = model.population, cfg.choice, model.n_dealers
    attitude0 = pop.attitude.copy()
    km = distances(pop.x, pop.y, model.locations)
    prob = logit_probabilities(ch.attitude_weight * attitude0.astype(float)
                               - ch.distance_weight * km)
    groups = {"nearest": km.argmin(axis=1), "liked best": attitude0.argmax(axis=1)}
    observed = {g: np.zeros((nd, nd)) for g in groups}
    expected = {g: np.zeros((nd, nd)) for g in groups}
    variance = {g: np.zeros((nd, nd)) for g in groups}
    while model.week < weeks:
        model.step()
        buyers = np.flatnonzero(pop.purchase_week == model.week - 1)
        chosen = pop.selling_dealer[buyers]
        for g, label in groups.items():
            np.add.at(observed[g], (label[buyers], chosen), 1.0)
            for r in range(nd):
                sel = buyers[label[buyers] == r]
                expected[g][r] += prob[sel].sum(axis=0)
                variance[g][r] += (prob[sel] * (1 - prob[sel])).sum(axis=0)
    assert np.array_equal(pop.attitude, attitude0)  # precondition: attitudes never moved
    weekly = weekly_frame(model)
    assert (weekly["visits"] == weekly["units_sold"]).all()  # one visit per purchase

    total = observed["nearest"].sum()
    assert total > 15_000
    obs, exp_, var = (x["nearest"].sum(axis=0) for x in (observed, expected, variance))
    rows = [f"all buyers   {obs / total}  expected {exp_ / total}  "
            f"z {(obs - exp_) / np.sqrt(var)}"]
    ok = bool(np.all(np.abs(obs - exp_) <= Z * np.sqrt(var)))
    for g in groups:
        z = (observed[g] - expected[g]) / np.sqrt(variance[g])
        ok &= bool(np.all(np.abs(z) <= Z))
        rows.append(f"by {g}: z per (group, choice)\n{np.round(z, 2)}")
    assert ok, _report(rows)


# -- 4. M/M/c ---------------------------------------------------------------------------


def _fcfs_waits(servers: int, arrival_rate: float, service_rate: float, customers: int,
                seed: int) -> np.ndarray:
    """Waits in queue of a first-come-first-served c-server queue (event by event)."""
    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.exponential(1.0 / arrival_rate, customers)).tolist()
    services = rng.exponential(1.0 / service_rate, customers).tolist()
    free = [0.0] * servers  # when each server next falls idle
    waits = [0.0] * customers
    for i, t in enumerate(arrivals):
        k = min(range(servers), key=free.__getitem__)
        begin = free[k] if free[k] > t else t
        waits[i] = begin - t
        free[k] = begin + services[i]
    return np.array(waits)


def test_erlang_c_matches_a_discrete_event_fcfs_queue():
    """erlang_c and mean_wait against an independent M/M/3 simulation at rho = 0.8.

    lambda = 2.4, mu = 1, c = 3: C(3, 2.4) = 0.6472, W_q = C / (c mu - lambda)
    = 1.0787. 210,000 customers; the first 10,000 are dropped (start empty) and
    the rest cut into 20 batches of 10,000 -- far longer than the queue's
    correlation time (a few hundred customers at rho = 0.8), so the batch means
    are nearly independent. SE = sd(batch means)/sqrt(20): about 0.034 (3 %) for
    W_q and 0.005 for P(wait > 0); we allow 4 SE. Using Erlang B (0.268) for C,
    i.e. W_q = 0.447, or c = 4 servers (W_q = 0.179), is off by more than 18 SE.
    """
    c, lam, mu = 3, 2.4, 1.0
    # The formula itself, against the textbook sum (Kleinrock 1975, eq. 3.40).
    a = lam / mu
    top = a ** c / math.factorial(c) * c / (c - a)
    textbook = top / (sum(a ** k / math.factorial(k) for k in range(c)) + top)
    assert math.isclose(erlang_c(c, a), textbook, rel_tol=1e-12)
    assert math.isclose(mean_wait(c, lam, mu), erlang_c(c, a) / (c * mu - lam), rel_tol=1e-12)

    waits = _fcfs_waits(c, lam, mu, 210_000, seed=2024)[10_000:].reshape(20, -1)
    batch_wait, batch_pw = waits.mean(axis=1), (waits > 0).mean(axis=1)
    se_wait = batch_wait.std(ddof=1) / math.sqrt(20)
    se_pw = batch_pw.std(ddof=1) / math.sqrt(20)
    assert abs(batch_wait.mean() - mean_wait(c, lam, mu)) <= Z * se_wait, \
        (batch_wait.mean(), mean_wait(c, lam, mu), se_wait)
    assert abs(batch_pw.mean() - erlang_c(c, a)) <= Z * se_pw, \
        (batch_pw.mean(), erlang_c(c, a), se_pw)


MAX_WAIT_HOURS = TouchpointsConfig().overloaded_wait_hours


def _truncated_wait_moments(servers: int, rate: float, mu: float) -> tuple[float, float]:
    """Mean and variance of one visit's wait as the engine samples it (capped at 40 h).

    The wait is 0 with probability 1 - C, otherwise min(Exp(r), M) with r = c mu - lambda:
    E = C (1 - e^{-rM}) / r, E[W^2] = C (2/r^2) (1 - e^{-rM} (1 + rM)).
    """
    cw = erlang_c(servers, rate / mu)
    r = servers * mu - rate
    e = math.exp(-r * MAX_WAIT_HOURS)
    m1 = cw * (1.0 - e) / r
    m2 = cw * 2.0 / r ** 2 * (1.0 - e * (1.0 + r * MAX_WAIT_HOURS))
    return m1, m2 - m1 * m1


def test_service_lane_alone_has_the_mm_c_mean_wait():
    """One dealer, service bays only: mean wait per visit = W_q of M/M/c.

    6,000 owners need service 2.3 times a year and the independent shop is
    out of reach (independent_utility = -50), so ~260 visits a week arrive at
    19 bays (3.1667 per 1,000) of 3-hour jobs in a 50-hour week: lambda ~ 5.2
    an hour, utilisation ~0.82. 26 warm-up weeks let the lane's smoothed
    arrival rate forget its starting guess (0.7^26 ~ 1e-4); 260 weeks recorded.

    1. The engine's law: each week's visits draw waits from Erlang C at the
       lane's smoothed rate lambda_t (read before the week), less the lane's
       convexity correction (queueing.debiased_rate). Their expected mean
       is sum_t v_t E[W | lambda_t] / sum_t v_t and, given the lambda_t path,
       visits are independent: SE = sqrt(sum_t v_t Var[W | lambda_t]) / sum v_t
       ~ 0.0025 h (1 %). 4 SE.
    2. The closed form at the realised rate lambda = visits / (260 x 50 h):
       lambda_t is an EWMA (weight alpha = 0.3) of Poisson weekly rates, so
       Var(lambda_t) = alpha/(2-alpha) lambda/50 (relative SD 2.6 %), and since
       W_q is convex the law read at lambda_t would exceed W_q(lambda) by
       B = W_q''(lambda) Var(lambda_t) / 2 ~ 0.012 h (4.4 %); the lane reads it at
       a rate corrected for that term, so no bias is allowed for here. The
       EWMA's mean also differs from the realised mean by its end effects,
       SD sqrt(2/(alpha(2-alpha)) lambda/50) / 260, i.e. W_q' x
       0.0045 /h ~ 0.0015 h, added in quadrature to SE: |mean - W_q| <= 4 SE
       ~ 0.012 h on W_q ~ 0.28 h. One bay fewer doubles W_q, one more halves it;
       sampling at a rate 5 % too high gives 0.48 h.
    """
    n, weeks, warmup = 6_000, 260, 26
    cfg = _config(
        weeks, seed=7,
        sample=SampleConfig(customers=n),
        customers=CustomersConfig(first_time_share=0.0),
        dealers=DealersConfig(dealers=[DealerSpec(name="Solo", bays=19)]),
        choice=ChoiceConfig(independent_utility=-50.0, independent_age_weight=0.0),
        market=MarketConfig(warmup_weeks=warmup),
    )
    model = CxModel(cfg)
    c, mu = int(model.lanes.bays[0]), float(model.lanes.service_rate[0])
    hours, alpha = cfg.dealers.dealers[0].open_hours_per_week, cfg.dealers.lane_smoothing
    assert c == 19
    lane_rate = []
    while model.week < weeks:
        if model.week >= 0:
            lane_rate.append(float(model.lanes.rate[0]))
        model.step()
    weekly = weekly_frame(model)
    visits = weekly["service_visits"].to_numpy()
    wait_sum = weekly["wait_hours_sum"].to_numpy()
    assert weekly["churn_to_independents"].sum() == 0  # the lane is the only option
    lam = visits.sum() / (weeks * hours)
    assert 0.7 <= lam / (c * mu) <= 0.85, lam / (c * mu)
    assert max(lane_rate) < c * mu  # never overloaded (no 40-hour cap from overload)
    observed = wait_sum.sum() / visits.sum()

    # 1. Exactly the law the engine samples from, week by week.
    var = alpha / (2 - alpha) * np.array(lane_rate) / hours
    law = debiased_rate(np.full(len(lane_rate), c), np.array(lane_rate),
                        np.full(len(lane_rate), mu), var)
    moments = np.array([_truncated_wait_moments(c, r, mu) for r in law])
    expected = float(visits @ moments[:, 0] / visits.sum())
    se = math.sqrt(float(visits @ moments[:, 1])) / visits.sum()
    assert abs(observed - expected) <= Z * se, (observed, expected, se)

    # 2. The M/M/c closed form at the realised arrival rate.
    closed = mean_wait(c, lam, mu)
    step = 1e-3 * lam
    slope = (mean_wait(c, lam + step, mu) - mean_wait(c, lam - step, mu)) / (2 * step)
    curve = (mean_wait(c, lam + step, mu) - 2 * closed + mean_wait(c, lam - step, mu)) \
        / step ** 2
    bias = 0.5 * curve * alpha / (2 - alpha) * lam / hours
    end_sd = math.sqrt(2 / (alpha * (2 - alpha)) * lam / hours) / weeks
    assert bias > 0.03 * closed  # what the correction removes (~4 % of W_q)
    tol = Z * math.hypot(se, slope * end_sd)
    assert abs(observed - closed) <= tol, (observed, closed, bias, tol)
