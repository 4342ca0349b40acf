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

    def __init__(self, n_dealers: int, cfg: WordOfMouthConfig, weight: float = 1.0) -> None:
        self.decay = 2.0 ** (-1.0 / cfg.rating_halflife_weeks)  # weekly weight kept
        self.prior = cfg.rating_prior
        self.prior_weight = cfg.rating_prior_weight
        self.n_dealers = n_dealers
        self.w = weight  # real reviews per simulated review
        self.sum = np.zeros(n_dealers)
        self.weight = np.zeros(n_dealers)
        self.rating = np.full(n_dealers, cfg.rating_prior)

    def age(self) -> None:
        """A week passes: every review weighs a little less."""
        self.weight *= self.decay
        self.sum *= self.decay

    def post(self, dealers: np.ndarray, scores: np.ndarray) -> None:
        """Add reviews (one per element) with these scores (0-10)."""
        self.weight += self.w * np.bincount(dealers, minlength=self.n_dealers)
        self.sum += self.w * np.bincount(dealers, weights=scores, minlength=self.n_dealers)

    def update_rating(self) -> None:
        """The public rating: the decayed mean, smoothed toward the prior."""
        self.rating = (self.sum + self.prior * self.prior_weight) / (
            self.weight + self.prior_weight)
