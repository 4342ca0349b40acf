"""A calibration file: the market, the unknowns and the sampler's budget, checked.

.. code-block:: yaml

    name: metro
    market:                      # any of cxsim's config sections, as in an options file
      market: {households: 20000}
      dealers: {dealers: [{name: North, group: Metro Motors, x_km: -12, y_km: -6}, ...]}
    seed: 0
    sample: 5000                 # simulated customers during calibration
    parameters:                  # optional: replaces the default unknowns
      quality_offset.North: [-1.5, 1.5]
      choice.switching_cost: [0, 3]
    abc: {population: 60, generations: 6, min_acceptance: 0.03, max_simulations: 800,
          predictive: 40}

The stores of the history are the group's own: each gets a quality offset unless
``parameters`` says otherwise. Everything is checked before any run.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cxsim.calibrate.priors import Prior, read_priors
from cxsim.config import ConfigError, RunConfig

TOP_KEYS = ("name", "question", "market", "overrides", "seed", "sample", "parameters",
            "abc")
ABC_KEYS = ("population", "generations", "min_acceptance", "max_simulations", "predictive")


@dataclass
class Budget:
    """How hard pyabc's ABC-SMC works (see docs/calibrate.md for the defaults' costs)."""

    population: int = 60  # accepted particles per generation (pyabc's default is 100)
    generations: int = 6  # most generations
    min_acceptance: float = 0.03  # stop when a generation accepts fewer than this
    max_simulations: int = 800  # no new generation once this many runs are done
    predictive: int = 40  # posterior draws simulated for the predictive bands

    @property
    def calibration(self) -> int:
        """Prior runs that set the distance's scales and the first tolerance."""
        return max(10, self.population // 2)


@dataclass
class Spec:
    """A checked calibration file (its market with the history's stores still unset)."""

    name: str
    market: RunConfig
    raw_market: dict  # the file's market sections and overrides, for the calibrated file
    seed: int = 0
    sample: int = 5000
    raw_parameters: Any = None
    budget: Budget = field(default_factory=Budget)
    source: str = ""

    @property
    def stores(self) -> list[str]:
        return [d.name for d in self.market.dealers.dealers]

    def priors(self, own: list[str]) -> list[Prior]:
        """The unknowns for a history of the stores ``own``."""
        return read_priors(self.raw_parameters, self.market, own)


def _whole(value: Any, key: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"{key}={value!r}; allowed: a whole number {low} to {high}")
    return value


def _budget(raw: Any) -> Budget:
    if raw is None:
        return Budget()
    if not isinstance(raw, Mapping):
        raise ConfigError(f"abc={raw!r}; allowed: a mapping of {', '.join(ABC_KEYS)}")
    for k in raw:
        if k not in ABC_KEYS:
            raise ConfigError(f"unknown key 'abc.{k}'; allowed: {', '.join(ABC_KEYS)}")
    b = Budget()
    b.population = _whole(raw.get("population", b.population), "abc.population", 4, 100_000)
    b.generations = _whole(raw.get("generations", b.generations), "abc.generations", 1, 100)
    b.max_simulations = _whole(raw.get("max_simulations", b.max_simulations),
                               "abc.max_simulations", 1, 10_000_000)
    b.predictive = _whole(raw.get("predictive", b.predictive), "abc.predictive", 2, 10_000)
    acc = raw.get("min_acceptance", b.min_acceptance)
    if isinstance(acc, bool) or not isinstance(acc, int | float) or not (
            math.isfinite(acc) and 0 <= acc < 1):
        raise ConfigError(f"abc.min_acceptance={acc!r}; allowed: 0 <= x < 1")
    b.min_acceptance = float(acc)
    return b


def load_spec(path: str | Path) -> Spec:
    """Read and check a calibration file; one line naming the key if it is bad."""
    from cxsim.decide.options import _unknown, market_config, read_yaml

    data = read_yaml(path)
    _unknown(data, TOP_KEYS, "")
    cfg = market_config(data)
    cfg.progress, cfg.plots = False, False
    name = str(data.get("name") or Path(path).stem)
    if not name.replace("_", "").replace("-", "").isalnum():
        raise ConfigError(f"name={name!r}; allowed: letters, digits, _ and -")
    seed = data.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise ConfigError(f"seed={seed!r}; allowed: a whole number 0 <= seed < 2**63")
    sample = _whole(data.get("sample", 5000), "sample", 100, 10_000_000)
    raw = {"market": data.get("market") or {}, "overrides": data.get("overrides") or []}
    spec = Spec(name=name, market=cfg, raw_market=raw, seed=seed, sample=sample,
                raw_parameters=data.get("parameters"), budget=_budget(data.get("abc")),
                source=str(path))
    spec.priors(spec.stores)  # the parameters' names and ranges, checked now
    return spec
