"""Budget optimisation (Optuna) and global sensitivity (SALib) on tiny markets."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from cxsim.optimise import (
    LINES,
    default_budget,
    from_simplex,
    holistic_allocation,
    lines_of,
    optimise,
    preset_allocation,
    service_only_allocation,
    to_simplex,
)
from cxsim.sensitivity import Factor, default_factors, sensitivity, set_path

pytest.importorskip("optuna")
pytest.importorskip("SALib")

TINY = ["sample.customers=1000", "market.years=1", "market.warmup_weeks=10"]


def _run(module: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", module, *args], capture_output=True,
                          text=True, timeout=300)


def test_allocations_spend_exactly_the_budget():
    budget = default_budget()  # the cx_program preset's total
    preset = preset_allocation("cx_program")
    assert budget == pytest.approx(sum(preset.values()))
    hol = holistic_allocation(budget, LINES)
    assert hol == pytest.approx(preset)  # the cx_program mix itself
    assert holistic_allocation(2 * budget, LINES) == pytest.approx(
        {k: 2 * v for k, v in preset.items()})
    svc = service_only_allocation(600, LINES)
    assert sum(svc.values()) == pytest.approx(600)
    assert svc["service"] == pytest.approx(200, abs=1)
    assert svc["parts"] == pytest.approx(200, abs=1)
    assert svc["communication"] == pytest.approx(200, abs=1)
    assert sum(v for k, v in svc.items() if k not in ("service", "parts",
                                                      "communication")) == 0
    for alloc in (hol, svc):  # the search can start from either
        u = from_simplex(alloc, LINES)
        back = to_simplex([u[f"u_{t}"] for t in LINES], sum(alloc.values()), LINES)
        assert back == pytest.approx(alloc)
    rng = np.random.default_rng(1)
    a = to_simplex(rng.uniform(1e-6, 1, len(LINES)), 300, LINES)
    assert sum(a.values()) == pytest.approx(300) and min(a.values()) >= 0
    assert lines_of("touchpoints") == LINES[:8]
    with pytest.raises(ValueError, match="unknown budget line"):
        lines_of("service,bogus")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("opt") / "report"
    proc = _run("cxsim.optimise", "--budget", "300", "--trials", "4", "--replications", "2",
                "--confirm", "3", "--jobs", "2", "--out", str(out), "--no-progress", *TINY)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


def test_optimise_reports_best_beside_holistic_and_service_only(report):
    md = (report / "report.md").read_text()
    for word in ("best", "holistic", "service_only", "lift over no programme"):
        assert word in md
    trials = pd.read_parquet(report / "trials.parquet")
    assert len(trials) == 4
    assert trials["start"].tolist()[:2] == ["holistic", "service_only"]
    assert np.allclose(trials[list(LINES)].sum(axis=1), 300)
    allocs = pd.read_parquet(report / "allocations.parquet").set_index("arm")
    assert list(allocs.index) == ["best", "holistic", "service_only"]
    assert np.allclose(allocs[list(LINES)].sum(axis=1), 300)
    table = pd.read_parquet(report / "comparison.parquet").set_index("arm")
    assert list(table.index) == ["none", "best", "holistic", "service_only"]
    assert (table["replications"] == 3).all()
    for arm in ("best", "holistic", "service_only"):
        r = table.loc[arm]
        assert r["ci_low"] <= r["mean"] <= r["ci_high"]
        assert r["lift_low"] <= r["lift"] <= r["lift_high"]
    runs = pd.read_parquet(report / "confirmation.parquet")
    assert runs.groupby("arm")["seed"].apply(tuple).nunique() == 1  # paired seeds
    assert runs.loc[runs["arm"] == "none", "investment_k"].eq(0).all()
    for png in ("allocation.png", "history.png"):
        assert (report / png).read_bytes()[:4] == b"\x89PNG"


def test_optimise_does_not_depend_on_jobs(report, tmp_path):
    out = optimise(300, TINY, trials=4, replications=2, confirm_replications=3, jobs=1,
                   out=tmp_path / "one")
    a = pd.read_parquet(report / "trials.parquet")
    b = pd.read_parquet(out / "trials.parquet")
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(pd.read_parquet(report / "comparison.parquet"),
                                  pd.read_parquet(out / "comparison.parquet"))


def test_optimise_bad_input_is_one_line():
    proc = _run("cxsim.optimise", "--lines", "service,bogus", *TINY)
    assert proc.returncode == 2
    assert "unknown budget line 'bogus'" in proc.stderr and "Traceback" not in proc.stderr
    proc = _run("cxsim.optimise", "sample.customers=-5")
    assert proc.returncode == 2 and "sample.customers" in proc.stderr


def test_sensitivity_morris_ranks_touchpoints(tmp_path):
    proc = _run("cxsim.sensitivity", "--samples", "2", "--jobs", "2", "--out",
                str(tmp_path / "s"), "--no-progress", *TINY)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = tmp_path / "s"
    table = pd.read_parquet(out / "indices.parquet")
    factors = default_factors()
    assert sorted(table["factor"]) == sorted(f.name for f in factors)
    assert (table["group"] == "touchpoint").sum() == 8
    assert table["rank"].tolist() == list(range(1, len(factors) + 1))
    assert (table["mu_star"] >= 0).all() and table["mu_star"].max() > 0
    samples = pd.read_parquet(out / "samples.parquet")
    assert len(samples) == 2 * (len(factors) + 1)
    top = table[table["group"] == "touchpoint"].iloc[0]["factor"]
    assert f"Touchpoint that matters most: {top}" in (out / "report.md").read_text()
    assert (out / "sensitivity.png").read_bytes()[:4] == b"\x89PNG"


def test_sensitivity_sobol_of_a_programme_lift(tmp_path):
    factors = [Factor("service", "dealers.dealers.{focal}.quality.service", 5.5, 9.5,
                      "touchpoint"),
               Factor("attitude_weight", "choice.attitude_weight", 0.15, 0.4, "behaviour")]
    out = sensitivity(TINY, method="sobol", samples=4, factors=factors, jobs=2,
                      treatment=["investment=cx_program"], out=tmp_path / "sobol")
    table = pd.read_parquet(out / "indices.parquet")
    assert set(table.columns) >= {"S1", "ST", "S1_conf", "ST_conf"}
    samples = pd.read_parquet(out / "samples.parquet")
    assert len(samples) == 4 * (2 + 2)
    assert samples["lift"].notna().all()
    assert "investment=cx_program" in (out / "report.md").read_text()


def test_set_path_reaches_the_focal_dealer():
    from cxsim.run import compose

    cfg = compose(["dealers.focal=1"])
    set_path(cfg, "dealers.dealers.{focal}.quality.sales", 9.0)
    assert cfg.dealers.dealers[1].quality.sales == 9.0
    assert cfg.dealers.dealers[0].quality.sales == 7.5
    with pytest.raises(ValueError, match="unknown config key"):
        set_path(cfg, "choice.no_such_weight", 1.0)
    # a value the model refuses is refused here too, naming the key
    with pytest.raises(ValueError, match=r"quality.sales=11"):
        set_path(cfg, "dealers.dealers.{focal}.quality.sales", 11.0)
    # programme lines go through the Programme (validated, priced with bays)
    set_path(cfg, "investment.spend.service", 120.0)
    set_path(cfg, "investment.extra_bays", 1)
    assert (cfg.investment.spend.service, cfg.investment.extra_bays) == (120.0, 1)
    with pytest.raises(ValueError, match="investment.engagement_spend"):
        set_path(cfg, "investment.engagement_spend", -3.0)


def test_allocation_makes_a_validated_programme():
    from cxsim.optimise import allocation_of, with_allocation
    from cxsim.run import compose

    base = compose(["investment=cx_program", "investment.extra_bays=1"])
    cfg = with_allocation(base, {"service": 300.0, "engagement": 100.0}, "mine")
    assert allocation_of(cfg) == {**dict.fromkeys(LINES, 0.0), "service": 300.0,
                                  "engagement": 100.0}
    assert cfg.investment.name == "mine" and cfg.investment.extra_bays == 1
    with pytest.raises(ValueError, match="investment.spend.parts"):
        with_allocation(base, {"parts": -1.0}, "bad")
