"""The Python API for notebooks: build a market, run it, get tidy frames.

>>> from cxsim import simulate
>>> result = simulate(["sample.customers=2000", "market.years=1", "progress=false"])
>>> sorted(result.summary["dealer"])
['Dealer A', 'Dealer B', 'Dealer C']
>>> int(result.weekly["week"].max())
51

A result is the run layer's :class:`~cxsim.run.Outcomes` (``weekly``,
``stores`` alias ``summary``, ``customers``, ``model``); studies that run many
configs use :mod:`cxsim.run` directly.
"""

from __future__ import annotations

import os

from cxsim.compose import load_config
from cxsim.config import RunConfig
from cxsim.model import CxModel
from cxsim.run import Outcomes, outcomes_of, run, run_to_folder

Result = Outcomes
"""A finished run: the model and its tables (the run layer's :class:`Outcomes`)."""


def build_model(overrides: list[str] | None = None, *, config: RunConfig | None = None,
                feed: bool = False) -> CxModel:
    """A ready-to-step model from Hydra-style overrides or a :class:`RunConfig`."""
    cfg = config if config is not None else load_config(overrides)
    return CxModel(cfg, feed=feed)


def collect(model: CxModel) -> Outcomes:
    """The tidy tables of a model that has been stepped."""
    return outcomes_of(model)


def simulate(overrides: list[str] | None = None, *, config: RunConfig | None = None,
             output_dir: str | os.PathLike | None = None) -> Outcomes:
    """Build, run to the horizon, optionally write the run folder, and return the tables."""
    cfg = config if config is not None else load_config(overrides)
    return run(cfg) if output_dir is None else run_to_folder(cfg, output_dir)
