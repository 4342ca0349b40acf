"""``cxsim-decide OPTIONS.yaml``: bad files refused in one line, a group's P&L
with its siblings' losses, common seeds, a target precision."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from cxsim.decide.cli import main
from cxsim.decide.options import load_options
from cxsim.decide.runs import run_options
from cxsim.run import replication_seed, run, seeded

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "four_stores.yaml"
GOOD = {
    "market": {"dealers": {"dealers": [
        {"name": "North", "group": "Metro Motors", "x_km": 0, "y_km": 12},
        {"name": "East", "group": "Metro Motors", "x_km": 12, "y_km": 0},
        {"name": "City Auto", "x_km": -12, "y_km": 0}]}},
    "status_quo": {},
    "options": {"updates": {"stores": ["North"], "spend": {"communication": 150}}},
}


def _with(**changes) -> dict:
    out = yaml.safe_load(yaml.safe_dump(GOOD))
    for key, v in changes.items():
        node, *path = key.split("__")
        target = out
        for p in [node, *path][:-1]:
            target = target[p]
        if v is None:
            del target[[node, *path][-1]]
        else:
            target[[node, *path][-1]] = v
    return out


CASES = {
    "unknown store": (_with(options={"x": {"stores": ["South"]}}),
                      ["options.x.stores", "'South'", "allowed: North, East, City Auto"]),
    "unknown group": (_with(options={"x": {"stores": "group:Nope"}}),
                      ["options.x.stores", "'Nope'", "group:Metro Motors"]),
    "unknown touchpoint": (_with(options={"x": {"spend": {"digitl": 10}}}),
                           ["options.x.spend.digitl", "allowed: marketing, digital"]),
    "negative spend": (_with(options={"x": {"spend": {"digital": -5}}}),
                       ["options.x.spend.digital=-5", ">= 0"]),
    "negative bays": (_with(options={"x": {"extra_bays": -1}}), ["options.x.extra_bays=-1"]),
    "fractional bays": (_with(options={"x": {"extra_bays": 1.5}}), ["whole number"]),
    "missing status quo": (_with(status_quo=None), ["status_quo: missing", "allowed"]),
    "no options": (_with(options={}), ["options: empty", "allowed"]),
    "horizon of zero": (_with(horizon_years=0), ["horizon_years=0", "allowed"]),
    "unknown key": (_with(horizon=5), ["unknown key 'horizon'", "horizon_years"]),
    "unknown programme key": (_with(options={"x": {"bays": 2}}),
                              ["unknown key 'options.x.bays'", "extra_bays"]),
    "unknown market key": (_with(market={"market": {"houses": 5}}),
                           ["market.houses", "households"]),
    "bad discount rate": (_with(discount_rate=1.5), ["discount_rate=1.5", "allowed"]),
    "bad replications": (_with(replications=1), ["replications=1", "allowed"]),
    "bad precision key": (_with(replications={"width": 5}), ["replications.width",
                                                             "target_width_k"]),
    "copy by own store": (_with(options={"x": {"stores": "North", "copied_by": "North"}}),
                          ["options.x.copied_by", "allowed"]),
    "unknown copier": (_with(options={"x": {"copied_by": "Nobody"}}),
                       ["options.x.copied_by", "'Nobody'"]),
    "unknown deciding group": (_with(group="Nope"), ["group", "'Nope'", "Metro Motors"]),
    "start past horizon": (_with(horizon_years=1, options={"x": {"start_week": 60}}),
                           ["options.x.start_week", "allowed: 0 to 51"]),
}


def _listing(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


def _refused(tmp_path: Path, capsys, text: str) -> str:
    (tmp_path / "mine.txt").write_text("a user's file")
    options = tmp_path / "options.yaml"
    options.write_text(text)
    before = _listing(tmp_path)
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        code = main([str(options), "--no-progress"])
    finally:
        os.chdir(cwd)
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert _listing(tmp_path) == before, "something was written"
    assert len(err.splitlines()) == 1, err
    return err


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_bad_options_file_is_one_line_exit_2_nothing_written(case, tmp_path, capsys):
    data, names = CASES[case]
    err = _refused(tmp_path, capsys, yaml.safe_dump(data))
    for name in names:
        assert name in err, (case, err)


def test_malformed_yaml_names_the_file_and_line(tmp_path, capsys):
    err = _refused(tmp_path, capsys, "status_quo: {}\noptions: [unclosed\n")
    assert "options.yaml:" in err and "not valid YAML" in err and "allowed" in err


def test_a_missing_file_is_one_line(tmp_path, capsys):
    assert main([str(tmp_path / "nope.yaml")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_python_m_cxsim_decide_is_the_same_command(tmp_path):
    bad = tmp_path / "o.yaml"
    bad.write_text(yaml.safe_dump(_with(horizon_years=0)))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "cxsim.decide", str(bad)], cwd=tmp_path,
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 2 and "horizon_years=0" in proc.stderr
    assert 'cxsim-decide = "cxsim.decide.cli:main"' in (REPO / "pyproject.toml").read_text()


def test_the_example_is_a_valid_options_file():
    o = load_options(EXAMPLE)
    assert o.unit == "group:Metro Motors"
    assert list(o.arms) == ["status_quo", "digital_and_updates", "digital_and_updates_north",
                            "two_bays_north"]
    assert o.stores["digital_and_updates"] == ["North", "East", "West"]
    assert o.programmes["two_bays_north"].one_off_cost_k == pytest.approx(240.0)
    assert sum(p.running_k * len(o.stores[a]) for a, p in o.programmes.items()
               if a.startswith("digital")) == pytest.approx(501.0 + 500.0)  # ~500 k$ a year each


@pytest.fixture(scope="module")
def small_example(tmp_path_factory) -> Path:
    """The four-store example on a smaller sample and horizon, run end to end."""
    data = yaml.safe_load(EXAMPLE.read_text())
    data["market"]["sample"] = {"customers": 6000}
    data["market"]["market"]["warmup_weeks"] = 26
    data["horizon_years"] = 2
    data["replications"] = 3
    base = tmp_path_factory.mktemp("decide")
    path = base / "small.yaml"
    path.write_text(yaml.safe_dump(data))
    assert main([str(path), "--out", str(base / "report"), "--no-progress"]) == 0
    return base / "report"


def test_the_report_folder_holds_report_chart_and_tables(small_example):
    names = {p.name for p in small_example.iterdir()}
    assert {"report.md", "cashflow.png", "summary.parquet", "monthly.parquet",
            "replications.parquet", "weekly.parquet"} <= names
    text = (small_example / "report.md").read_text()
    assert "## Ranking" in text and "Cannibalisation in Metro Motors" in text
    assert "leads" in text


def test_a_programme_at_one_store_shows_its_siblings_losses(small_example):
    s = pd.read_parquet(small_example / "summary.parquet")
    s = s[s["option"] == "digital_and_updates_north"].set_index(["unit", "metric"])["mean"]
    # North gains sales; its siblings lose some (on common seeds); the group's lift
    # is the sum of its stores', so smaller than North's alone
    assert s[("North", "extra_units")] > 0
    assert s[("East", "extra_units")] + s[("West", "extra_units")] < 0
    assert s[("group:Metro Motors", "extra_units")] == pytest.approx(
        sum(s[(x, "extra_units")] for x in ("North", "East", "West")))
    assert s[("group:Metro Motors", "profit_after_cost_k")] < s[("North",
                                                                 "profit_after_cost_k")]
    # only North pays the programme: 500 k$ a year + 30 k$ once over two years
    assert s[("North", "cost_k")] == pytest.approx(1030.0, rel=1e-6)
    assert s[("East", "cost_k")] == 0


def test_every_arm_runs_on_the_same_seeds(small_example):
    # replication r of every arm is the run of that arm's config at replication_seed(0, r)
    w = pd.read_parquet(small_example / "weekly.parquet")
    o = load_options(small_example.parent / "small.yaml")
    for arm in ("status_quo", "two_bays_north"):
        alone = run(seeded(o.arms[arm], replication_seed(o.seed, 1))).weekly
        mine = w[(w["arm"] == arm) & (w["replication"] == 1)]
        assert mine["gross_profit_k"].to_numpy() == pytest.approx(
            alone["gross_profit_k"].to_numpy())


def test_replications_to_a_target_precision(tmp_path):
    data = _with(replications={"target_width_k": 1e9, "max": 6, "min": 3})
    data["market"]["sample"] = {"customers": 1000}
    data["market"]["market"] = {"years": 0.5, "warmup_weeks": 4}
    path = tmp_path / "o.yaml"
    path.write_text(yaml.safe_dump(data))
    assert run_options(load_options(path), jobs=1).replications == 3  # wide target: met
    data["replications"] = {"target_width_k": 1e-9, "max": 5, "min": 3}
    path.write_text(yaml.safe_dump(data))
    assert run_options(load_options(path), jobs=1).replications == 5  # never met: the cap


def test_costs_are_paid_where_the_programme_runs_and_by_a_copying_rival(tmp_path):
    from cxsim.decide.runs import costs_of, relative_costs

    data = _with(status_quo={"stores": ["East"], "spend": {"service": 52}},
                 options={"x": {"stores": "group:Metro Motors", "extra_bays": 1,
                                "copied_by": "City Auto", "copy_after_weeks": 10}},
                 horizon_years=1)
    data["market"]["economics"] = {"bay_capital_k": 100.0}
    path = tmp_path / "o.yaml"
    path.write_text(yaml.safe_dump(data))
    o = load_options(path)
    costs = costs_of(o, "x")
    assert sorted(costs) == ["City Auto", "East", "North"]
    assert costs["North"][0] == pytest.approx(100.0 + 60.0 / 52)  # capital + a week's bay
    assert costs["City Auto"][:10].sum() == 0 and costs["City Auto"][10] > 100.0
    # against a status quo that already spends 52 k$ a year at East
    rel = relative_costs(o, "x")
    assert rel["East"].sum() == pytest.approx(100.0 + 60.0 - 52.0)
