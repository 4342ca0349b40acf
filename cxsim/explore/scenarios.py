"""Scenarios: a seeded Latin hypercube over the uncertainties (EMA Workbench's sampler).

Scenario ``s`` is row ``s`` of the sample; the same seed and size give the same
scenarios on any machine, whatever the number of workers that later run them.

>>> from cxsim.explore.uncertainties import Uncertainty
>>> us = [Uncertainty("a", "market.friction_decline", 0.0, 0.1),
...       Uncertainty("r", "investment.copied_by", values=["nobody", "Dealer B"])]
>>> x = sample(us, 4, seed=1)
>>> list(x.columns), len(x), bool(x["a"].between(0, 0.1).all())
(['scenario', 'a', 'r'], 4, True)
>>> sample(us, 4, seed=1).equals(x)
True
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from cxsim.config import ConfigError
from cxsim.explore.uncertainties import Uncertainty


def parameters(uncertainties: Sequence[Uncertainty]) -> list:
    """EMA Workbench parameters for the uncertainties (real, integer or categorical)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ipyparallel's absence, irrelevant here
        from ema_workbench import CategoricalParameter, IntegerParameter, RealParameter
    out = []
    for u in uncertainties:
        if u.categorical:
            out.append(CategoricalParameter(u.name, [str(v) for v in u.values]))
        elif u.integer:
            out.append(IntegerParameter(u.name, int(u.low), int(u.high)))
        else:
            out.append(RealParameter(u.name, u.low, u.high))
    return out


def sample(uncertainties: Sequence[Uncertainty], n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` scenarios (rows): ``scenario`` (0..n-1) and one column per uncertainty."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n <= 0:
        raise ConfigError(f"--scenarios {n}; allowed: a whole number >= 1")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench.em_framework.samplers import LHSSampler
    drawn = LHSSampler().generate_samples(parameters(uncertainties), int(n),
                                          rng=np.random.default_rng(seed))
    rows = [dict(s) for s in drawn]
    out = pd.DataFrame({"scenario": np.arange(int(n))})
    for u in uncertainties:
        col = [r[u.name] for r in rows]
        if u.categorical:
            names = [str(v) for v in u.values]
            out[u.name] = pd.Categorical([str(v) for v in col], categories=names)
        elif u.integer:
            out[u.name] = np.asarray(col, dtype=np.int64)
        else:
            out[u.name] = np.asarray(col, dtype=float)
    return out


def values_of(uncertainties: Sequence[Uncertainty], row: pd.Series) -> dict:
    """The config keys and values of one scenario (categorical values as declared)."""
    out = {}
    for u in uncertainties:
        v = row[u.name]
        if u.categorical:
            v = u.values[[str(x) for x in u.values].index(str(v))]
        elif u.integer:
            v = int(v)
        else:
            v = float(v)
        out[u.key] = v
    return out
