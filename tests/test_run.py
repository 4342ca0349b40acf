"""The run layer (cxsim.run): one config in, outcomes out; seeds, the pool, resuming."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cxsim.run import (
    OUTCOMES,
    compose,
    cores,
    focal,
    job_done,
    map_tasks,
    replication_seed,
    run,
    run_many,
    run_to_folder,
    seeded,
    t_interval,
)

TINY = ["sample.customers=800", "market.years=1", "market.warmup_weeks=4", "progress=false",
        "plots=false"]


def test_replication_seeds_are_distinct_and_stable():
    seeds = [replication_seed(0, r) for r in range(50)]
    assert len(set(seeds)) == 50
    assert seeds == [replication_seed(0, r) for r in range(50)]
    # SeedSequence of (base, index): experiments' published numbers depend on it.
    assert replication_seed(0, 0) == int(np.random.SeedSequence([0, 0]).generate_state(1)[0])


def test_t_interval_matches_textbook_value():
    # mean 2, sd 1.5811 (ddof 1), n=5: half width t(0.975, 4) * sd / sqrt(5) = 1.9632
    mean, lo, hi = t_interval(np.array([0.0, 1.0, 2.0, 3.0, 4.0]))
    assert mean == 2.0
    assert abs((hi - lo) / 2 - 1.9632) < 1e-3
    assert math.isnan(t_interval(np.array([1.0]))[1])


def test_compose_leaves_a_running_hydra_app_alone():
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from cxsim.compose import CONF_DIR

    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base=None):
        before = GlobalHydra.instance().hydra
        cfg = compose(["investment=communication"])
        assert GlobalHydra.instance().hydra is before
    assert cfg.investment.name == "communication"
    GlobalHydra.instance().clear()


def test_map_tasks_keeps_order_and_accepts_zero_jobs():
    assert map_tasks(abs, [-3, 2, -1], jobs=1) == [3, 2, 1]
    assert map_tasks(abs, [-3, 2, -1, -7], jobs=0) == [3, 2, 1, 7]
    assert cores() >= 1


def test_run_many_is_the_same_for_one_and_two_processes_and_in_task_order():
    base = compose(TINY)
    configs = [seeded(base, s) for s in (3, 1, 2)]
    one = pd.DataFrame(run_many(configs, jobs=1))
    two = pd.DataFrame(run_many(configs, jobs=2))
    pd.testing.assert_frame_equal(one, two)
    # task order: each row is the run of its own config, not the order runs finished
    alone = [focal(run(c)) for c in configs]
    pd.testing.assert_frame_equal(one, pd.DataFrame(alone))
    assert one["units_sold"].nunique() > 1  # different seeds, so order is visible


def test_focal_reports_every_outcome_of_the_focal_store():
    out = run(seeded(compose([*TINY, "dealers.focal=1"]), 7))
    f = focal(out)
    assert set(OUTCOMES) <= set(f)
    assert f["units_sold"] == out.stores.set_index("dealer").loc["Dealer B", "units_sold"]
    assert f["units_y1"] == f["units_sold"]  # one recorded year
    assert f["profit_k"] == pytest.approx(f["gross_profit_k"] - f["investment_k"])
    assert len(out.customers) == 800
    # any measure of the outcomes; in one process it need not be picklable
    weeks = run_many([seeded(compose(TINY), 1)], measure=lambda o: o.weekly["week"].max())
    assert weeks == [51]


def test_job_done_needs_the_folder_of_exactly_this_config(tmp_path):
    cfg = seeded(compose(TINY), 1)
    assert not job_done(tmp_path, cfg)
    (tmp_path / ".partial-x").mkdir()
    run_to_folder(cfg, tmp_path)
    assert job_done(tmp_path, cfg)
    assert not (tmp_path / ".partial-x").exists()  # a killed run's leftovers go
    assert not job_done(tmp_path, seeded(cfg, 2))
