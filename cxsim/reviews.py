"""The review platform: each dealer's public rating from decayed reviews.

Reviews are weighted by recency (a half-life in weeks) and smoothed toward
the platform's prior by a number of pseudo-reviews, so a dealer with few
reviews sits near the prior (a Bayesian average, as review sites show). Each
simulated review stands for ``weight`` real ones: the prior competes with the
real number of reviews, so the rating does not depend on the sample's size.
"""

from __future__ import annotations

import numpy as np

from cxsim.config import WordOfMouthConfig


class ReviewPlatform:
    """Decayed review sums and weights per dealer, and the ratings they give."""

    def __init__(self, n_dealers: int, cfg: WordOfMouthConfig,
                 weight: float | np.ndarray = 1.0) -> None:
        """``weight``: one number, or one per dealer in a batch whose markets differ in
        size (all larger than their samples, or none: :func:`cxsim.batch.batch_key`)."""
        self.decay = 2.0 ** (-1.0 / cfg.rating_halflife_weeks)  # weekly weight kept
        self.prior = cfg.rating_prior
        self.prior_weight = cfg.rating_prior_weight
        self.n_dealers = n_dealers
        self.w = weight  # real reviews per simulated review
        self.folds = bool(np.all(np.asarray(weight) > 1.0))  # w > 1: see fold_week
        self.sum = np.zeros(n_dealers)
        self.weight = np.zeros(n_dealers)
        self.rating = np.full(n_dealers, cfg.rating_prior)
        # w > 1: the week's sampled reviews (count, score sum) and their expectation
        # given the week's episodes (see fold_week)
        self._week = np.zeros((4, n_dealers))

    def age(self) -> None:
        """A week passes: every review weighs a little less."""
        self.weight *= self.decay
        self.sum *= self.decay

    def post(self, dealers: np.ndarray, scores: np.ndarray) -> None:
        """Add reviews (one per element) with these scores (0-10)."""
        if self.folds:
            self._week[0] += np.bincount(dealers, minlength=self.n_dealers)
            self._week[1] += np.bincount(dealers, weights=scores, minlength=self.n_dealers)
            return
        self.weight += self.w * np.bincount(dealers, minlength=self.n_dealers)
        self.sum += self.w * np.bincount(dealers, weights=scores, minlength=self.n_dealers)

    def expect(self, dealers: np.ndarray, chances: np.ndarray, scores: np.ndarray) -> None:
        """Episodes that may be reviewed (w > 1 only): each with its chance of a review
        and the score it would carry."""
        self._week[2] += np.bincount(dealers, weights=chances, minlength=self.n_dealers)
        self._week[3] += np.bincount(dealers, weights=chances * scores,
                                     minlength=self.n_dealers)

    def fold_week(self) -> None:
        """Add the week's real reviews: the sample's, with the real market's noise.

        Which episodes get reviewed is a lottery: given the week's episodes, the
        expected count and score sum are sums of review chances (and chances x
        scores). The real market draws its lottery over w times as many episodes,
        so its count and sum deviate from w times that expectation with w times
        the variance, while w times the sample's deviation has w^2 times it: the
        sample's deviation is scaled by sqrt(w) instead of w. The expectation
        itself comes from the sample's episodes (their own, much smaller, sampling
        noise is kept), so the rating follows changes without extra lag.
        """
        k, s, ek, es = self._week
        root = np.sqrt(self.w)
        self.weight += self.w * ek + root * (k - ek)
        self.sum += self.w * es + root * (s - es)
        self._week[:] = 0.0

    def update_rating(self) -> None:
        """The public rating: the decayed mean, smoothed toward the prior."""
        if self.folds:
            self.fold_week()
        self.rating = (self.sum + self.prior * self.prior_weight) / (
            self.weight + self.prior_weight)
