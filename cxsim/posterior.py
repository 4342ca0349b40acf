"""A calibrated market's parameters: names that set a config, and posterior draws.

A calibrated parameter is named by the config key it sets (``choice.switching_cost``,
``market.households``, ``dealers.dealers.0.bays``), or by
``quality_offset.<store>``: points added to every touchpoint quality of that store
(clipped to the 0-10 scale), the store's overall quality relative to the market file.
:func:`apply` makes the config of one parameter set; :class:`Posterior` holds the
weighted draws a calibration wrote (``posterior.parquet``) and hands decisions one
parameter set per replication.

>>> from cxsim.run import compose
>>> cfg = apply(compose(["progress=false"]), {"quality_offset.Dealer B": 1.0,
...                                           "choice.switching_cost": 2.0})
>>> cfg.dealers.dealers[1].quality.sales, cfg.choice.switching_cost
(8.5, 2.0)
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, is_dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cxsim.config import ConfigError, RunConfig
from cxsim.config.common import TOUCHPOINTS

OFFSET = "quality_offset."
"""Prefix of a store's overall quality offset (points on the 0-10 scale)."""


def _store_index(cfg: RunConfig, store: str, name: str) -> int:
    names = [d.name for d in cfg.dealers.dealers]
    if store not in names:
        raise ConfigError(f"{name}: unknown store {store!r}; allowed: {', '.join(names)}")
    return names.index(store)


def _walk(cfg: RunConfig, key: str) -> tuple[object, str]:
    """The object holding the last part of a dotted config key, and that part."""
    parts = key.split(".")
    node: object = cfg
    for part in parts[:-1]:
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise ConfigError(f"{key}: {part!r} is not an index of the list; allowed: "
                                  f"0..{len(node) - 1}")
            node = node[int(part)]
        elif is_dataclass(node) and part in {f.name for f in fields(node)}:
            node = getattr(node, part)
        else:
            raise ConfigError(f"unknown parameter {key!r}; allowed: a numeric config key "
                              f"(e.g. choice.switching_cost) or {OFFSET}<store>")
    last = parts[-1]
    if not is_dataclass(node) or last not in {f.name for f in fields(node)} or isinstance(
            getattr(node, last), bool) or not isinstance(getattr(node, last), int | float):
        raise ConfigError(f"unknown parameter {key!r}; allowed: a numeric config key "
                          f"(e.g. choice.switching_cost) or {OFFSET}<store>")
    return node, last


def check_name(cfg: RunConfig, name: str) -> None:
    """Raise :class:`ConfigError` (one line) unless ``name`` is a parameter of ``cfg``."""
    if name.startswith(OFFSET):
        _store_index(cfg, name.removeprefix(OFFSET), name)
    else:
        _walk(cfg, name)


def apply(cfg: RunConfig, params: Mapping[str, float]) -> RunConfig:
    """A copy of ``cfg`` with each parameter set (offsets added to the qualities)."""
    out = copy.deepcopy(cfg)
    for name, v in params.items():
        v = float(v)
        if name.startswith(OFFSET):
            q = out.dealers.dealers[_store_index(out, name.removeprefix(OFFSET), name)].quality
            for t in TOUCHPOINTS:
                setattr(q, t, min(10.0, max(0.0, getattr(q, t) + v)))
        else:
            node, last = _walk(out, name)
            setattr(node, last, int(round(v)) if isinstance(getattr(node, last), int) else v)
    return out


@dataclass
class Posterior:
    """Weighted draws of the calibrated parameters (one row per particle)."""

    draws: pd.DataFrame  # one column per parameter
    weights: np.ndarray  # sums to 1

    @property
    def names(self) -> list[str]:
        return list(self.draws.columns)

    @classmethod
    def read(cls, path: str | Path) -> Posterior:
        """``posterior.parquet``: the parameters' columns and ``weight``."""
        try:
            frame = pd.read_parquet(path)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"posterior: cannot read {path} ({exc}); allowed: the "
                              "posterior.parquet a calibration wrote") from None
        if "weight" not in frame or len(frame) == 0 or len(frame.columns) < 2:
            raise ConfigError(f"posterior: {path} has no draws; allowed: the "
                              "posterior.parquet a calibration wrote")
        w = frame["weight"].to_numpy(dtype=float)
        if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise ConfigError(f"posterior: {path} has bad weights; allowed: weights >= 0")
        return cls(frame.drop(columns="weight").reset_index(drop=True), w / w.sum())

    def sample(self, n: int, seed: int) -> list[dict[str, float]]:
        """``n`` parameter sets drawn with their weights (a seeded, systematic draw: each
        particle appears about ``n * weight`` times), in a seeded random order."""
        rng = np.random.default_rng(np.random.SeedSequence([seed, 14]))
        edges = np.cumsum(self.weights)
        picks = np.searchsorted(edges, (rng.random() + np.arange(n)) / n, side="right")
        picks = rng.permutation(np.minimum(picks, len(self.weights) - 1))
        return [{k: float(self.draws.iloc[i][k]) for k in self.names} for i in picks]

    def quantiles(self, q: float) -> dict[str, float]:
        """The weighted ``q``-quantile of every parameter."""
        return {k: weighted_quantile(self.draws[k].to_numpy(), self.weights, q)
                for k in self.names}


def weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    """The ``q``-quantile of ``x`` under weights ``w`` (interpolated between points).

    >>> weighted_quantile(np.array([1.0, 2.0, 3.0]), np.ones(3), 0.5)
    2.0
    """
    order = np.argsort(x)
    x, w = np.asarray(x, float)[order], np.asarray(w, float)[order]
    cum = (np.cumsum(w) - 0.5 * w) / w.sum()
    return float(np.interp(q, cum, x)) if len(x) and math.isfinite(w.sum()) else math.nan


CALIBRATED_KEYS = ("calibrated_from", "market", "overrides", "posterior", "medians")
"""The keys of a calibrated-market file (``market.yaml`` of a calibration's folder)."""


def is_calibrated(data: Mapping) -> bool:
    """True if a YAML mapping is a calibrated-market file."""
    return "posterior" in data and "medians" in data


def read_calibrated(path: str | Path) -> tuple[dict, Posterior]:
    """A calibrated-market file: its market (``market`` and ``overrides``, as an options
    file has them) and its posterior draws (``posterior``, beside the file)."""
    from cxsim.decide.options import read_yaml

    data = read_yaml(path)
    if not is_calibrated(data):
        raise ConfigError(f"market: {path} is not a calibrated-market file; allowed: the "
                          "market.yaml a calibration wrote (keys "
                          f"{', '.join(CALIBRATED_KEYS)})")
    for k in data:
        if k not in CALIBRATED_KEYS:
            raise ConfigError(f"market: unknown key {k!r} in {path}; allowed: "
                              f"{', '.join(CALIBRATED_KEYS)}")
    draws = Path(path).parent / str(data["posterior"])
    market = {"market": data.get("market") or {}, "overrides": data.get("overrides") or []}
    return market, Posterior.read(draws)


def calibrated_config(path: str | Path) -> RunConfig:
    """The calibrated market at its posterior medians (for a single what-if run)."""
    from cxsim.decide.options import market_config

    market, post = read_calibrated(path)
    return apply(market_config(market), post.quantiles(0.5))
