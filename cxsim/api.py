"""The Python API for notebooks: build a market, run it, get tidy frames.

>>> from cxsim import simulate
>>> result = simulate(["customers.n=2000", "market.years=1", "progress=false"])
>>> sorted(result.summary["dealer"])
['Dealer A', 'Dealer B', 'Dealer C']
>>> int(result.weekly["week"].max())
51
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pandas as pd

from cxsim.compose import load_config
from cxsim.config import RunConfig
from cxsim.metrics import summarise
from cxsim.model import CxModel


@dataclass
class Result:
    """A finished run: the model and its tables."""

    model: CxModel
    weekly: pd.DataFrame  # one row per (week, dealer)
    summary: pd.DataFrame  # one row per dealer over the horizon
    customers: pd.DataFrame  # one row per customer, final state


def build_model(overrides: list[str] | None = None, *, config: RunConfig | None = None,
                feed: bool = False) -> CxModel:
    """A ready-to-step model from Hydra-style overrides or a :class:`RunConfig`."""
    cfg = config if config is not None else load_config(overrides)
    return CxModel(cfg, feed=feed)


def collect(model: CxModel) -> Result:
    """The tidy tables of a model that has been stepped."""
    from cxsim.results import customers_frame, weekly_frame

    weekly = weekly_frame(model)
    return Result(model=model, weekly=weekly, summary=summarise(weekly),
                  customers=customers_frame(model))


def simulate(overrides: list[str] | None = None, *, config: RunConfig | None = None,
             output_dir: str | os.PathLike | None = None) -> Result:
    """Build, run to the horizon, optionally write the run folder, and return the tables."""
    from cxsim.results import write_run

    model = build_model(overrides, config=config)
    model.run(progress=model.cfg.progress)
    if output_dir is not None:
        write_run(model, output_dir, plots=model.cfg.plots)
    return collect(model)
