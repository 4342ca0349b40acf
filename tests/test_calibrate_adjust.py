"""The regression adjustment on a model whose posterior is known: a summary that is one
parameter plus noise, a second parameter it does not depend on."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxsim.calibrate.adjust import adjust, from_logit, to_logit
from cxsim.calibrate.priors import Prior

PRIORS = [Prior("told", 0.0, 1.0), Prior("untold", -2.0, 2.0)]
NOISE = 0.05


def _runs(rng, n):
    theta = np.column_stack([rng.uniform(0, 1, n), rng.uniform(-2, 2, n)])
    sims = [{"a|y": np.array([t + NOISE * rng.standard_normal()])} for t in theta[:, 0]]
    return theta, sims


def _adjusted(x_obs, tolerance=0.3):
    rng = np.random.default_rng(5)
    x0 = {"a|y": np.array([x_obs])}
    scale = {"a|y": np.array([0.3])}
    training = [_runs(rng, 300)]
    theta, sims = _runs(rng, 2000)
    dist = np.array([abs(s["a|y"][0] - x_obs) / 0.3 for s in sims])
    keep = dist <= tolerance / 0.3  # the last generation: runs within the tolerance
    particles = pd.DataFrame(theta[keep], columns=[p.name for p in PRIORS])
    return adjust(particles=particles, weights=np.ones(keep.sum()),
                  sum_stats=[s for s, k in zip(sims, keep, strict=True) if k],
                  distances=dist[keep], tolerance=1.0, x0=x0, scale=scale,
                  priors=PRIORS, training=training), particles


def test_adjustment_finds_the_posterior_and_leaves_the_untold_alone():
    got, raw = _adjusted(0.6)
    assert got.done, got.note
    post = got.posterior
    lo, mid, hi = (post.quantiles(q) for q in (0.05, 0.5, 0.95))
    # the exact posterior of "told" is about N(0.6, 0.05): 90 % interval 0.52-0.68;
    # the accepted particles spread over 0.3-0.9
    assert np.quantile(raw["told"], 0.95) - np.quantile(raw["told"], 0.05) > 0.4
    assert abs(mid["told"] - 0.6) < 0.02
    assert 0.12 < hi["told"] - lo["told"] < 0.25
    assert lo["told"] < 0.6 < hi["told"]
    # the summary says nothing about "untold": its interval stays about its prior's 90 %
    assert hi["untold"] - lo["untold"] > 0.75 * 4.0
    assert post.draws["untold"].between(-2, 2).all() and post.draws["told"].between(0, 1).all()


def test_too_few_runs_to_learn_from_keeps_the_abc_posterior():
    rng = np.random.default_rng(1)
    theta, sims = _runs(rng, 20)
    particles = pd.DataFrame(theta, columns=[p.name for p in PRIORS])
    got = adjust(particles=particles, weights=np.ones(20), sum_stats=sims,
                 distances=np.full(20, 0.5), tolerance=1.0, x0={"a|y": np.array([0.5])},
                 scale={"a|y": np.array([0.3])}, priors=PRIORS, training=[])
    assert not got.done and "too few" in got.note
    pd.testing.assert_frame_equal(got.posterior.draws, particles)


def test_logit_scale_round_trips_inside_the_prior():
    theta = np.array([[0.25, -1.0], [0.999, 1.9]])
    np.testing.assert_allclose(from_logit(to_logit(theta, PRIORS), PRIORS), theta)
