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


def test_arms_on_one_seed_live_one_warm_up_and_still_equal_their_single_runs(arms, singles):
    """A comparison's arms share their warm-up (no programme starts before recorded
    week 0): the batch simulates it once per seed, then each arm goes on alone."""
    plan = [(arm, s) for s in (97, 3) for arm in ("none", "cx_program", "copied")]
    model = BatchModel([seeded(arms[arm], s) for arm, s in plan])
    assert model.reps == 2  # one warm-up per seed
    model.run()
    assert model.reps == len(plan)
    for r, (arm, s) in enumerate(plan):
        weekly, _, summary, customers = singles[arm, s]
        rep = model.replica(r)
        got = weekly_frame(rep)
        assert _same(got, weekly), f"{arm} seed {s}: weekly metrics differ"
        assert json.dumps(summary_dict(rep, got)) == json.dumps(summary)
        assert _same(customers_frame(rep), customers), f"{arm} seed {s}: customers differ"


def test_arms_fork_at_the_start_when_there_is_no_warm_up():
    base = [*SMALL, "market.warmup_weeks=0"]
    cfgs = [seeded(compose(base), 5), seeded(compose([*base, "investment=cx_program"]), 5)]
    for cfg, rep in zip(cfgs, run_batch(cfgs), strict=True):
        weekly, _, summary, customers = _single(cfg)
        assert _same(weekly_frame(rep), weekly)
        assert _same(customers_frame(rep), customers)


DIFFERENT_MARKETS = [  # what calibration particles and exploration scenarios vary
    ["market.friction_decline=0.25", "dealers.spend_half=60", "dealers.quality_lag_weeks=8",
     "choice.switching_cost=0.4", "word_of_mouth.talk_rate=0.3"],
    ["market.friction_start=0.7", "market.friction_step_week=30", "market.friction_step_to=0.3",
     "dealers.dealers.0.quality.service=8.5", "dealers.dealers.2.engagement=0.8"],
    ["dealers.dealers.1.bays=6", "dealers.quality_max=8.5", "dealers.handoff_failure=0.5",
     "dealers.dealers.0.gross_per_vehicle=4.1", "economics.discount_rate=0.2",
     "word_of_mouth.review_rate=0.1"],
    ["market.households=26000", "word_of_mouth.listen_weight=0.22",  # explore's scenarios
     "touchpoints.expectation_drift=0.07", "investment=cx_program"],
    ["market.households=17000", "touchpoints.expectation_drift=0.0"],  # r = 0: unmoved
]


def test_replications_with_their_own_parameters_equal_their_single_runs(arms):
    """Dealer-level parameters, the friction trend, the market's size, switching cost,
    how readily customers talk, post and listen, and how fast expectations drift may
    differ within a batch."""
    cfgs = [seeded(arms["cx_program"], 5),
            *(seeded(compose([*SMALL, *extra]), s) for extra, s in
              zip(DIFFERENT_MARKETS, (8, 5, 77, 5, 9), strict=True))]
    assert len({batch_key(c) for c in cfgs}) == 1
    for cfg, rep in zip(cfgs, run_batch(cfgs), strict=True):
        weekly, _, summary, customers = _single(cfg)
        got = weekly_frame(rep)
        assert _same(got, weekly), f"{cfg.seed}: weekly metrics differ"
        assert json.dumps(summary_dict(rep, got)) == json.dumps(summary)
        assert _same(customers_frame(rep), customers)
    friction = [weekly_frame(r)["friction"].iloc[-1] for r in run_batch(cfgs[:3])]
    assert friction[0] != friction[1] != friction[2]  # each met its own


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
        BatchModel([base, compose([*SMALL, "choice.service_bond=0.5"])])
    for structure in ("dealers.dealers.0.x_km=3", "dealers.dealers.1.name=Other",
                      "customers.tenure_years=10",
                      # a market smaller than its sample (w < 1) keeps the sample's noise
                      "market.households=1000"):
        assert batch_key(compose([*SMALL, structure])) != batch_key(base), structure


def test_run_many_batches_without_changing_a_number(arms, singles):
    from cxsim.run import Outcomes, focal, run_many

    plan = [("none", 12), ("cx_program", 12), ("none", 41), ("cx_program", 41), ("none", 3)]
    got = run_many([seeded(arms[a], s) for a, s in plan], jobs=1)
    want = [focal(Outcomes(arms[a], singles[a, s][0], singles[a, s][1], model=None))
            for a, s in plan]
    assert json.dumps(got) == json.dumps(want)


def test_batches_are_planned_per_market_and_worker(arms):
    from cxsim.batch import BATCH_MAX, plan_batches

    market = [seeded(arms["none"], s) for s in range(2 * BATCH_MAX + 3)]
    stepped = compose([*SMALL, "engine=stepped"])
    plan = plan_batches([*market, stepped], workers=2)
    assert [len(g) for g in plan] == [BATCH_MAX, BATCH_MAX, 3, 1]
    assert plan[-1] == [len(market)]  # the stepped engine runs alone
    assert [len(g) for g in plan_batches(market[:10], workers=2)] == [5, 5]
    big = seeded(compose([*SMALL, "sample.customers=300000"]), 1)
    assert [len(g) for g in plan_batches([big, big, big], workers=1)] == [1, 1, 1]


def test_a_sweeps_jobs_are_simulated_together_and_resume_one_by_one(tmp_path):
    """The cores launcher batches a worker's jobs; every job folder holds the files
    the job alone writes, and a resumed sweep redoes only what is incomplete."""
    import subprocess
    import sys
    from pathlib import Path

    cxsim = str(Path(sys.executable).parent / "cxsim")
    tiny = ["sample.customers=800", "market.years=1", "market.warmup_weeks=6",
            "progress=false", "seed=11,4,9", "investment=none,cx_program"]

    def sweep(folder, batch):
        proc = subprocess.run([cxsim, "-m", *tiny, "hydra/launcher=cores",
                               "hydra.launcher.n_jobs=1", f"hydra.launcher.batch={batch}",
                               f"hydra.sweep.dir={folder}"], cwd=tmp_path,
                              capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
        return proc.stdout

    def files(folder, job):
        return {f: (folder / str(job) / f).read_bytes() for f in
                ("summary.json", "config.json", "weekly_metrics.parquet", "customers.parquet")}

    batched, alone = tmp_path / "batched", tmp_path / "alone"
    assert "6 jobs simulated together" in sweep(batched, 6)
    assert "simulated together" not in sweep(alone, 1)
    for job in range(6):
        assert files(batched, job) == files(alone, job), f"job {job} differs"
    (batched / "2" / "manifest.json").unlink()  # as if killed while writing job 2
    again = sweep(batched, 6)
    assert "simulated together" not in again and "skipped, already done" in again
    assert files(batched, 2) == files(alone, 2)


def test_a_researchers_rule_runs_alone_unless_it_says_it_can_batch():
    from cxsim.processes.word_of_mouth import WordOfMouth
    from cxsim.rules import register

    @register("word_of_mouth", "test_batch_quiet")
    class Quiet(WordOfMouth):
        def hear(self, listeners, dealers, heard):  # assumes nothing about rows
            super().hear(listeners[:0], dealers[:0], heard[:0])

    cfg = compose([*SMALL, "rules.word_of_mouth=test_batch_quiet"])
    assert batch_key(cfg) is None
    Quiet.batchable = True  # its author vouches it handles stacked replications
    assert batch_key(cfg) is not None
    a, b = run_batch([seeded(cfg, 5), seeded(cfg, 6)])
    assert _same(weekly_frame(a), run(seeded(cfg, 5)).weekly)


def test_a_programme_at_several_stores_batches_with_the_baseline(arms):
    stores = compose([*SMALL, "investment=cx_program", "investment.stores=[Dealer C,Dealer B]"])
    plan = [seeded(arms["none"], 8), seeded(stores, 8)]
    for cfg, rep in zip(plan, run_batch(plan), strict=True):
        assert _same(weekly_frame(rep), run(cfg).weekly)
