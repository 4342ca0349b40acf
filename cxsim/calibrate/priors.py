"""The unknowns and their priors: what a calibration infers, and within which range.

By default a calibration infers five things a dealer group does not know about its
market (:func:`default_priors`): each of its own stores' overall quality (an offset
added to every touchpoint, ``quality_offset.<store>``), how strongly customers talk
(``word_of_mouth.talk_rate``), the switching cost (``choice.switching_cost``), the
yearly fall of digital friction (``market.friction_decline``) and the market's
demand (``market.households``). A calibration file's ``parameters:`` replaces them
with its own list (any numeric config key, e.g. a single touchpoint
``dealers.dealers.0.quality.service``), each ``[low, high]``: a uniform prior.

How much quality a dollar buys (``dealers.spend_half``) is not among them: a history
without changes in spending cannot tell it, so it stays a scenario tool's
uncertainty.

>>> from cxsim.run import compose
>>> [p.name for p in default_priors(compose(["progress=false"]), ["Dealer A"])]
... # doctest: +NORMALIZE_WHITESPACE
['quality_offset.Dealer A', 'word_of_mouth.talk_rate', 'choice.switching_cost',
 'market.friction_decline', 'market.households']
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cxsim.config import ConfigError, RunConfig
from cxsim.posterior import OFFSET, check_name


@dataclass(frozen=True)
class Prior:
    """A uniform prior on one parameter, ``low`` to ``high``."""

    name: str
    low: float
    high: float

    @property
    def width(self) -> float:
        return self.high - self.low

    def to_rv(self) -> Any:
        """pyabc's random variable for it."""
        from pyabc import RV

        return RV("uniform", self.low, self.width)


def default_priors(cfg: RunConfig, stores: Sequence[str]) -> list[Prior]:
    """The default unknowns for a market whose own stores are ``stores``: ranges
    around the market file's values (assumptions: wide enough to hold the published
    ranges of docs/ODD.md §9, narrow enough for a few thousand runs)."""
    households = cfg.market.households
    return [*(Prior(f"{OFFSET}{s}", -1.5, 1.5) for s in stores),
            Prior("word_of_mouth.talk_rate", 0.04, 0.30),
            Prior("choice.switching_cost", 0.0, 3.0),
            Prior("market.friction_decline", 0.0, 0.12),
            Prior("market.households", round(0.6 * households), round(1.5 * households))]


def read_priors(raw: Any, cfg: RunConfig, stores: Sequence[str]) -> list[Prior]:
    """The file's ``parameters:`` (``name: [low, high]``), or the defaults if None."""
    if raw is None:
        return default_priors(cfg, stores)
    if not isinstance(raw, Mapping) or not raw:
        raise ConfigError("parameters: allowed: a mapping of parameter: [low, high]")
    out = []
    for name, span in raw.items():
        key = f"parameters.{name}"
        check_name(cfg, str(name))
        if not (isinstance(span, list | tuple) and len(span) == 2 and all(
                isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                for v in span) and span[0] < span[1]):
            raise ConfigError(f"{key}={span!r}; allowed: [low, high] with low < high")
        out.append(Prior(str(name), float(span[0]), float(span[1])))
    return out


def distribution(priors: Sequence[Prior]) -> Any:
    """pyabc's joint prior (independent uniforms)."""
    from pyabc import Distribution

    return Distribution(**{p.name: p.to_rv() for p in priors})
