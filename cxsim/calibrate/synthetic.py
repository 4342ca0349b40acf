"""Synthetic histories: the model run with known parameters, written as a history.

Used for the example file, the parameter-recovery benchmark and the tests: the
truth is known, so what a calibration recovers can be checked. The survey
metrics' respondents are the simulated sample's own survey responses in the month,
so their noise is what the data format says it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from cxsim.calibrate.data import METRICS, History
from cxsim.calibrate.summaries import key, monthly
from cxsim.config import RunConfig
from cxsim.economics import month_of_week
from cxsim.posterior import apply
from cxsim.run import run, seeded

DEFAULT_METRICS = ("units_sold", "service_retention", "nps", "csat", "online_rating")


def month_names(start: str, months: int) -> list[str]:
    """``months`` consecutive ``YYYY-MM`` from ``start``.

    >>> month_names("2022-11", 3)
    ['2022-11', '2022-12', '2023-01']
    """
    y, m = int(start[:4]), int(start[5:]) - 1
    return [f"{(y * 12 + m + i) // 12:04d}-{(y * 12 + m + i) % 12 + 1:02d}"
            for i in range(months)]


def synthesise(cfg: RunConfig, truth: Mapping[str, float], *, stores: Sequence[str],
               months: int = 36, start: str = "2022-01", seed: int = 0,
               metrics: Sequence[str] = DEFAULT_METRICS) -> pd.DataFrame:
    """A tidy history (``data.COLUMNS``) of ``stores`` from one run of ``cfg`` with the
    ``truth`` applied, over ``months`` from ``start`` (the season turned to match)."""
    base = _horizon(cfg, months, int(start[5:]) - 1)
    out = run(seeded(apply(base, truth), seed))
    values = monthly(out.weekly, list(stores), list(metrics), months)
    w = base.market.households / base.sample.customers
    week = out.weekly
    week = week.assign(m=month_of_week(week["week"].to_numpy()))
    responses = week.groupby(["dealer", "m"])["responses"].sum() / w
    names = month_names(start, months)
    rows = []
    for i, month in enumerate(names):
        for s in stores:
            for metric in metrics:
                v = values[key(s, metric)][i]
                if not np.isfinite(v):
                    continue
                survey = METRICS[metric][0] == "survey"
                n = int(round(responses.get((s, i), 0.0))) if survey else 0
                if survey and n < 1:
                    continue
                rows.append((month, s, metric, float(v), n))
    return pd.DataFrame(rows, columns=["month", "store", "metric", "value", "respondents"])


def as_history(frame: pd.DataFrame, source: str = "synthetic") -> History:
    """A synthetic frame as a checked :class:`History` (without the CSV round trip)."""
    months = list(dict.fromkeys(frame["month"]))
    index = {m: i for i, m in enumerate(months)}
    rows = frame.assign(m=frame["month"].map(index))[
        ["m", "month", "store", "metric", "value", "respondents"]]
    return History(rows.reset_index(drop=True), months, source)


def _horizon(cfg: RunConfig, months: int, first: int) -> RunConfig:
    import copy

    out = copy.deepcopy(cfg)
    out.market.years = months / 12.0
    out.market.season = out.market.season[first:] + out.market.season[:first]
    return out


EXAMPLE_TRUTH = {"quality_offset.North": 0.6, "quality_offset.East": -0.4,
                 "word_of_mouth.talk_rate": 0.16, "choice.switching_cost": 1.6,
                 "market.friction_decline": 0.06, "market.households": 22000.0}
"""The parameters behind ``examples/history_metro.csv``."""


def write_example(path: str, spec_path: str = "examples/calibrate_metro.yaml") -> None:
    """Write the example history: Metro Motors' North and East, 36 months from 2022-01,
    from one run of the example market (20,000 simulated customers, seed 2022) with
    :data:`EXAMPLE_TRUTH`; its header gives them."""
    from cxsim.calibrate.data import write_history
    from cxsim.calibrate.spec import load_spec

    cfg = load_spec(spec_path).market
    cfg.sample.customers = 20_000
    frame = synthesise(cfg, EXAMPLE_TRUTH, stores=["North", "East"], months=36,
                       start="2022-01", seed=2022)
    write_history(frame, path, [
        "Synthetic history of Metro Motors' North and East (examples/calibrate_metro.yaml),",
        "made by the model with known parameters: python -m cxsim.calibrate.synthetic",
        "(20,000 simulated customers, seed 2022). The truth:",
        *(f"  {k} = {v:g}" for k, v in EXAMPLE_TRUTH.items())])


if __name__ == "__main__":
    import sys

    write_example(sys.argv[1] if len(sys.argv) > 1 else "examples/history_metro.csv")
