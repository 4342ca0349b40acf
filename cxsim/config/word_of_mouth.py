"""Talk, reviews and advertising: who hears what about which store."""

from __future__ import annotations

from dataclasses import dataclass

from cxsim.config.common import _check_fields


@dataclass
class WordOfMouthConfig:
    """Talk between neighbours, online reviews and awareness."""

    talk_rate: float = 0.12  # chance of telling after a neutral episode; assumption
    talk_positive_slope: float = 0.4  # extra per point above neutral
    talk_negative_slope: float = 0.6  # extra per point below: bad news travels more
    # steeply; with mostly good episodes positive talk is ~3x as common (East et al. 2007)
    talk_neutral: float = 5.0  # remembered score that is not worth mentioning
    listen_weight: float = 0.15  # attitude moves this far toward what is heard (0.1-0.2)
    review_rate: float = 0.04  # chance a fully digital customer reviews a neutral
    # episode; rises at the extremes like talk; assumption
    rating_halflife_weeks: float = 52.0  # recency weighting of the public rating
    rating_prior_weight: float = 20.0  # pseudo-reviews at the prior (smoothing)
    rating_prior: float = 7.0  # platform's prior rating (0-10)
    chatter_per_year: float = 0.0  # talk not caused by an episode (0 by default; the
    # Bass degenerate configuration sets it to q)
    advertising_per_year: float = 0.03  # yearly chance an unaware customer learns of a
    # dealer from its marketing (Bass p, Sultan et al. 1990)

    def __post_init__(self) -> None:
        _check_fields(self, "word_of_mouth",
                      probs=("talk_rate", "listen_weight", "review_rate"),
                      nonneg=("talk_positive_slope", "talk_negative_slope",
                              "chatter_per_year", "advertising_per_year",
                              "rating_prior_weight"),
                      positive=("rating_halflife_weeks",))
