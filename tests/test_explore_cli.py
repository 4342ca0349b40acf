"""``cxsim-explore``: bad input refused in one line, a planted break-even recovered
through the model, the same numbers for any number of workers, resuming, the
report folder and the money against :func:`cxsim.appraisal.appraise`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from cxsim import economics as ec
from cxsim.decide.options import load_options
from cxsim.decide.runs import run_options
from cxsim.explore.cli import main
from cxsim.explore.folder import ExploreFolder
from cxsim.explore.layout import load
from cxsim.explore.money import scenario_outcomes
from cxsim.explore.runs import finished, run_scenarios
from cxsim.explore.scenarios import sample
from cxsim.explore.study import load_study

REPO = Path(__file__).resolve().parent.parent
TINY = {  # a market small enough for a test: 2 stores of a group and a rival
    "name": "tiny", "group": "Metro",
    "overrides": ["sample.customers=400", "market.warmup_weeks=4"],
    "market": {"market": {"households": 1600},
               "dealers": {"dealers": [
                   {"name": "North", "group": "Metro", "x_km": 0, "y_km": 10},
                   {"name": "East", "group": "Metro", "x_km": 10, "y_km": 0},
                   {"name": "Rival", "x_km": 0, "y_km": -10}]}},
    "horizon_years": 0.5, "status_quo": {},
    "options": {"updates": {"stores": ["North"], "spend": {"communication": 100}},
                "licence": {"stores": ["North"], "yearly_k": 52}},
    "uncertainties": {"friction_trend": {"range": [0.0, 0.15]},
                      "rival_copies": {"values": ["nobody", "Rival"]},
                      "cost_inflation": {"range": [0.0, 0.4]}},
    "explore": {"scenarios": 6},
}


def _file(tmp: Path, data: dict, name: str = "explore.yaml") -> Path:
    path = tmp / name
    path.write_text(yaml.safe_dump(data))
    return path


def _with(**changes) -> dict:
    out = yaml.safe_load(yaml.safe_dump(TINY))
    for key, v in changes.items():
        *path, last = key.split("__")
        node = out
        for p in path:
            node = node[p]
        if v is None:
            del node[last]
        else:
            node[last] = v
    return out


def _listing(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


BAD = {
    "unknown factor": (_with(uncertainties={"x": {"key": "market.nope", "range": [0, 1]}}),
                       [], ["uncertainties.x.key", "'market.nope'"]),
    "empty range": (_with(uncertainties__friction_trend={"range": [0.1, 0.1]}), [],
                    ["uncertainties.friction_trend.range", "empty"]),
    "inverted range": (_with(uncertainties__friction_trend={"range": [0.2, 0.1]}), [],
                       ["uncertainties.friction_trend.range", "inverted"]),
    "no scenarios": (TINY, ["--scenarios", "0"], ["--scenarios 0", ">= 1"]),
    "negative scenarios": (_with(explore={"scenarios": -5}), [], ["explore.scenarios=-5"]),
    "no options": (_with(options={}), [], ["options: empty", "allowed"]),
    "no options key": (_with(options=None), [], ["options: missing", "allowed"]),
    "rival runs an option": (_with(uncertainties__rival_copies={"values": ["nobody",
                                                                           "North"]}),
                             [], ["uncertainties.rival_copies", "'North'"]),
    "unknown explore key": (_with(explore={"scenario": 5}), [], ["'explore.scenario'"]),
    "bad outcome": (TINY, ["--outcome", "profit"], ["--outcome profit", "npv_k"]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_one_line_exit_2_nothing_written(case, tmp_path, capsys):
    data, flags, words = BAD[case]
    path = _file(tmp_path, data)
    before = _listing(tmp_path)
    code = main([str(path), "--out", str(tmp_path / "out" / "x"), "--no-progress", *flags])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1, err
    assert _listing(tmp_path) == before, "something was written"
    for w in words:
        assert w in err, err


def test_a_folder_holding_files_is_refused(tmp_path, capsys):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "mine.txt").write_text("a user's file")
    assert main([str(_file(tmp_path, TINY)), "--out", str(tmp_path / "out")]) == 2
    assert "not empty" in capsys.readouterr().err
    assert _listing(tmp_path / "out") == {"mine.txt"}


def test_a_planted_break_even_is_recovered_through_the_model(tmp_path):
    # "licence" buys no quality (yearly_k only): on common seeds its runs equal the
    # status quo's, so its NPV is minus its costs grown by the scenario's inflation.
    # With the threshold at that NPV for 20 % a year, it fails exactly where
    # cost_inflation > 0.2: PRIM's box must start there, within 0.04 (a tenth of
    # the range), and hold (nearly) all failures and nothing else.
    weeks, rate = 26, 0.08
    costs = np.full(weeks, 1.0)  # 52 k$ a year, in k$ a week

    def npv_at(i: float) -> float:
        grown = costs * (1 + i) ** (np.arange(weeks) / 52)
        return float(ec.npv(ec.to_months(-grown), rate))

    threshold = npv_at(0.2)
    path = _file(tmp_path, _with(explore={"scenarios": 30, "threshold_k": threshold}))
    out = tmp_path / "planted"
    assert main([str(path), "--out", str(out), "--no-progress", "--jobs", "2"]) == 0
    exp, outcomes = load(out)
    lic = (exp["policy"] == "licence").to_numpy()
    inflation = exp.loc[lic, "cost_inflation"].to_numpy()
    npv = outcomes["npv_k"][lic]
    assert npv == pytest.approx([npv_at(i) for i in inflation], rel=1e-9)
    assert outcomes["extra_units"][lic] == pytest.approx(0.0, abs=1e-9)
    boxes = yaml.safe_load((out / "boxes.json").read_text())["licence"]
    assert list(boxes[0]["limits"]) == ["cost_inflation"]
    assert boxes[0]["limits"]["cost_inflation"][0] == pytest.approx(0.2, abs=0.04)
    assert boxes[0]["density"] >= 0.95 and boxes[0]["coverage"] >= 0.95
    assert "the programme's costs rise a year by more than" in boxes[0]["sentence"]
    names = {p.name for p in out.iterdir()}
    assert {"report.md", "experiments.parquet", "outcomes.parquet", "boxes.json",
            "robust.parquet", "regret.parquet", "feature_scores.parquet", "plots"} <= names
    assert "runs" not in names and not any(p.name.endswith("partial")
                                           for p in tmp_path.iterdir())
    assert (out / "plots" / "prim_licence.png").stat().st_size > 10_000
    assert (out / "plots" / "robust_choice.png").stat().st_size > 10_000
    text = (out / "report.md").read_text()
    assert "## Where each option fails (PRIM)" in text and "## Robust choice" in text


def test_the_numbers_do_not_depend_on_workers_and_a_stopped_run_resumes(tmp_path, capsys):
    study = load_study(_file(tmp_path, TINY))
    scen = sample(study.uncertainties, study.scenarios, study.options.seed)
    one = run_scenarios(study, scen, tmp_path / "one", jobs=1)
    # a run stopped after the first 3 scenarios, then resumed by the command
    target = tmp_path / "resumed"
    folder = ExploreFolder(target, study.fingerprint())
    run_scenarios(study, scen.head(3), folder.open(), jobs=1)
    folder.close()
    assert sorted(finished(folder.staging)["scenario"].unique()) == [0, 1, 2]
    assert main([str(tmp_path / "explore.yaml"), "--out", str(target), "--jobs", "2",
                 "--no-progress"]) == 0
    assert "resuming: 3 of 6 scenarios done" in capsys.readouterr().err
    exp, out = load(target)
    got = pd.DataFrame({"scenario": exp["scenario"], "policy": exp["policy"].astype(str),
                        **out})
    got = got[got["policy"] != "status_quo"].sort_values(["scenario", "policy"])
    pd.testing.assert_frame_equal(got.reset_index(drop=True), one[got.columns],
                                  check_dtype=False)
    # another study's leftover is not resumed
    other = _file(tmp_path, _with(explore={"scenarios": 7}), "other.yaml")
    (target.parent / f".{target.name}x.explore-partial").mkdir()
    assert main([str(other), "--out", str(target) + "x"]) == 2
    assert "other settings" in capsys.readouterr().err


def test_the_money_equals_the_appraisal_of_decide(tmp_path):
    data = _with(replications=3)
    for k in ("uncertainties", "explore"):
        del data[k]
    options = load_options(_file(tmp_path, data, "o.yaml"))
    res = run_options(options, jobs=1)
    nps = {a: pd.Series(0.0, index=["North", "East", "Rival"]) for a in options.arms}
    mine = scenario_outcomes(options, res.weekly, res.rates, nps).set_index("policy")
    for opt in ("updates", "licence"):
        s = res.appraisals[opt].summary
        s = s[s["unit"] == "group:Metro"].set_index("metric")["mean"]
        for metric in ("npv_k", "npv_with_terminal_k", "extra_units", "cost_k",
                       "payback_month"):
            assert mine.loc[opt, metric] == pytest.approx(s[metric], rel=1e-9,
                                                          nan_ok=True), (opt, metric)


def test_python_m_cxsim_explore_is_the_same_command(tmp_path):
    bad = _file(tmp_path, _with(uncertainties__friction_trend={"range": [0.3, 0.1]}))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "cxsim.explore", str(bad)], cwd=tmp_path,
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 2 and "inverted" in proc.stderr, proc.stderr
    assert 'cxsim-explore = "cxsim.explore.cli:main"' in (REPO / "pyproject.toml").read_text()
    assert list(tmp_path.iterdir()) == [bad]


def test_the_example_is_a_valid_exploration():
    study = load_study(REPO / "examples" / "four_stores_explore.yaml")
    assert study.option_names == ["digital_and_updates", "two_bays_north"]
    assert study.scenarios == 500 and study.replications == 1
    assert {"friction_trend", "rival_copies", "rival_delay", "cost_inflation", "spend_half",
            "quality_ceiling", "quality_lag", "margin"} <= {u.name for u in
                                                            study.uncertainties}


def test_an_interrupt_keeps_the_finished_scenarios_and_says_how_to_go_on(
        tmp_path, capsys, monkeypatch):
    import signal

    from cxsim.explore import runs
    from cxsim.interrupts import Interrupted

    write = runs._write_part

    def write_then_stop(folder, rows):
        write(folder, rows)
        raise Interrupted(signal.SIGINT)

    monkeypatch.setattr(runs, "chunk_size", lambda workers, group=1: 2)
    monkeypatch.setattr(runs, "_write_part", write_then_stop)
    path = _file(tmp_path, _with(explore={"scenarios": 4}))
    target = tmp_path / "stopped"
    assert main([str(path), "--out", str(target), "--jobs", "1", "--no-progress"]) == 130
    err = capsys.readouterr().err
    assert "interrupted; 2 of 4 scenarios kept" in err and f"--out {target}" in err
    assert not target.exists()
    assert sorted(runs.finished(tmp_path / ".stopped.explore-partial")["scenario"]
                  .unique()) == [0, 1]
