"""Batched replications: every replication of a batch equals its own run byte for byte."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cxsim.batch import BatchModel, batch_key, run_batch
from cxsim.metrics import summarise
from cxsim.results import customers_frame, summary_dict, weekly_frame
from cxsim.run import compose, run, seeded

SMALL = ["sample.customers=1500", "market.years=2", "market.warmup_weeks=20",
         "progress=false", "plots=false"]
SEEDS = (97, 3, 1_000_003, 41, 12)  # not contiguous, not sorted


def _single(cfg):
    out = run(cfg)
    return out.weekly, out.stores, summary_dict(out.model, out.weekly), customers_frame(out.model)


def _same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """Equal columns, dtypes and values, NaN where the other has NaN: the bytes match."""
    return list(a.columns) == list(b.columns) and all(
        a[c].dtype == b[c].dtype and np.array_equal(a[c].to_numpy(), b[c].to_numpy(),
                                                    equal_nan=a[c].dtype.kind == "f")
        for c in a.columns)


@pytest.fixture(scope="module")
def arms():
    base = compose(SMALL)
    programme = compose([*SMALL, "investment=cx_program"])
    rival = compose([*SMALL, "scenario=competitor_response"])
    return {"none": base, "cx_program": programme, "copied": rival}


@pytest.fixture(scope="module")
def singles(arms):
    return {(arm, s): _single(seeded(cfg, s)) for arm, cfg in arms.items() for s in SEEDS}


@pytest.mark.parametrize("plan", [
    [("none", 97)],
    [("none", 97), ("cx_program", 97)],  # a paired comparison's two arms
    [("cx_program", 3), ("none", 1_000_003), ("copied", 41), ("none", 12), ("cx_program", 97)],
], ids=["one", "paired-arms", "five-mixed"])
def test_each_replication_equals_its_single_run(arms, singles, plan):
    cfgs = [seeded(arms[arm], s) for arm, s in plan]
    for (arm, s), rep in zip(plan, run_batch(cfgs), strict=True):
        weekly, stores, summary, customers = singles[arm, s]
        got = weekly_frame(rep)
        assert _same(got, weekly), f"{arm} seed {s}: weekly metrics differ"
        assert _same(summarise(got), stores), f"{arm} seed {s}: store summary differs"
        assert json.dumps(summary_dict(rep, got)) == json.dumps(summary), \
            f"{arm} seed {s}: summary.json differs"
        assert _same(customers_frame(rep), customers), f"{arm} seed {s}: customers differ"


def test_replications_really_differ(arms):
    """The check above could pass with every replication the same run: it is not."""
    a, b = run_batch([seeded(arms["none"], 97), seeded(arms["none"], 3)])
    assert not weekly_frame(a)["units_sold"].equals(weekly_frame(b)["units_sold"])


def test_what_cannot_share_a_batch(arms):
    base = arms["none"]
    assert batch_key(seeded(base, 1)) == batch_key(arms["cx_program"])
    assert batch_key(compose([*SMALL, "sample.customers=1600"])) != batch_key(base)
    assert batch_key(compose([*SMALL, "engine=stepped"])) is None
    assert batch_key(compose([*SMALL, "customers.well_mixed=true"])) is None
    with pytest.raises(ValueError, match="differ only in"):
        BatchModel([base, compose([*SMALL, "choice.switching_cost=0.5"])])
