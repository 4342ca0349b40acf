"""Results in EMA Workbench's layout: an experiments table and a dict of outcome arrays.

``experiments`` has one row per (scenario, policy): the uncertainties' values,
``scenario``, ``policy`` (the arm: the status quo, then each option) and
``model``; ``outcomes[name]`` is an array in the same row order, as EMA
Workbench's ``perform_experiments`` returns them. Both are kept as Parquet
(``experiments.parquet``; ``outcomes.parquet``, one column per outcome);
:func:`load` reads a folder back, ready for ``ema_workbench.analysis``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cxsim.decide.options import STATUS_QUO
from cxsim.explore.money import MEASURES

MODEL = "cxsim"
EXPERIMENTS = "experiments.parquet"
OUTCOMES = "outcomes.parquet"


def ema_layout(scenarios: pd.DataFrame, outcomes: pd.DataFrame, arms: list[str]
               ) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """(experiments, outcomes) from the sampled scenarios and the long outcomes
    (scenario, policy, measures). The status quo's rows are 0 against itself (payback:
    nan)."""
    sq = pd.DataFrame({"scenario": scenarios["scenario"], "policy": STATUS_QUO,
                       **dict.fromkeys(MEASURES, 0.0)}).assign(payback_month=np.nan)
    long = pd.concat([sq, outcomes[["scenario", "policy", *MEASURES]]], ignore_index=True)
    long["arm"] = long["policy"].map({a: i for i, a in enumerate(arms)})
    long = long.sort_values(["scenario", "arm"], kind="stable").reset_index(drop=True)
    experiments = long[["scenario", "policy"]].merge(scenarios, on="scenario", how="left")
    experiments = experiments[[*(c for c in scenarios.columns if c != "scenario"),
                               "scenario", "policy"]]
    experiments["policy"] = pd.Categorical(experiments["policy"], categories=arms)
    experiments["model"] = MODEL
    return experiments, {m: long[m].to_numpy(dtype=float) for m in MEASURES}


def long_outcomes(experiments: pd.DataFrame, outcomes: dict[str, np.ndarray]
                  ) -> pd.DataFrame:
    """The long table (scenario, policy, measures) of an EMA layout."""
    return pd.DataFrame({"scenario": experiments["scenario"].to_numpy(),
                         "policy": experiments["policy"].astype(str).to_numpy(), **outcomes})


def save(folder: Path, experiments: pd.DataFrame, outcomes: dict[str, np.ndarray]) -> None:
    """Write both tables as Parquet into ``folder``."""
    experiments.to_parquet(folder / EXPERIMENTS, index=False)
    pd.DataFrame(outcomes).to_parquet(folder / OUTCOMES, index=False)


def load(folder: str | Path) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """An exploration's (experiments, outcomes), as EMA Workbench's ``load_results``."""
    folder = Path(folder)
    experiments = pd.read_parquet(folder / EXPERIMENTS)
    table = pd.read_parquet(folder / OUTCOMES)
    return experiments, {c: table[c].to_numpy() for c in table.columns}
