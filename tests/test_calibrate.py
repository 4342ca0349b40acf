"""``cxsim-calibrate DATA.csv --market FILE``: bad data refused in one line with
nothing written; a small calibration's folder; its calibrated market in
``cxsim-decide``, parameter uncertainty included."""

from __future__ import annotations

import dataclasses
import signal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from cxsim.calibrate import calibration as calibration_module
from cxsim.calibrate.cli import main
from cxsim.calibrate.data import read_history, write_history
from cxsim.calibrate.synthetic import synthesise
from cxsim.decide.options import load_options
from cxsim.decide.runs import run_options
from cxsim.interrupts import Interrupted
from cxsim.run import compose

REPO = Path(__file__).resolve().parent.parent
# A tiny market: 2,000 households (all in the history, 500 simulated while calibrating),
# 8 warm-up weeks, 12 months of history; two generations of 8 particles.
MARKET = ["market.warmup_weeks=8"]
SPEC = {
    "name": "tiny",
    "overrides": MARKET,
    "market": {"market": {"households": 2000},
               "dealers": {"dealers": [
                   {"name": "North", "group": "Metro Motors", "x_km": -12, "y_km": -6},
                   {"name": "East", "group": "Metro Motors", "x_km": 12, "y_km": -6},
                   {"name": "City Auto", "x_km": 0, "y_km": 13}]}},
    "seed": 3,
    "sample": 500,
    "parameters": {"quality_offset.North": [-1.5, 1.5], "market.households": [1000, 4000]},
    "abc": {"population": 8, "generations": 2, "min_acceptance": 0.0,
            "max_simulations": 200, "predictive": 4},
}
TRUTH = {"quality_offset.North": 0.8, "market.households": 2500.0}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("calibrate")
    spec = folder / "tiny.yaml"
    spec.write_text(yaml.safe_dump(SPEC, sort_keys=False))
    cfg = compose(["progress=false", "sample.customers=2000", "market.households=2000",
                   *MARKET, "dealers.dealers.0.name=North", "dealers.dealers.1.name=East",
                   "dealers.dealers.2.name=City Auto"])
    frame = synthesise(cfg, TRUTH, stores=["North", "East"], months=12, seed=5)
    data = folder / "history.csv"
    write_history(frame, data, ["a synthetic history for the tests"])
    return data, spec


def _edit(data: Path, tmp: Path, fn) -> Path:  # noqa: ANN001 - a small text edit
    lines = data.read_text().splitlines()
    out = tmp / "bad.csv"
    out.write_text("\n".join(fn(lines)) + "\n")
    return out


def _first_row(lines: list[str]) -> int:
    return next(i for i, ln in enumerate(lines) if ln and ln[0].isdigit())


def _set(lines: list[str], col: int, value: str, row: int = 0) -> list[str]:
    i = _first_row(lines) + row
    cells = lines[i].split(",")
    cells[col] = value
    return [*lines[:i], ",".join(cells), *lines[i + 1:]]


BAD = {
    "missing column": (lambda ls: [ln.replace(",respondents", "") if ln.startswith("month")
                                   else ln.rsplit(",", 1)[0] for ln in ls],
                       ["missing column 'respondents'", "allowed columns"]),
    "unknown store": (lambda ls: _set(ls, 1, "South"),
                      [":3: unknown store 'South'", "allowed: North, East, City Auto"]),
    "unknown metric": (lambda ls: _set(ls, 2, "profit"),
                       [":3: unknown metric 'profit'", "allowed: units_sold"]),
    "negative count": (lambda ls: _set(ls, 3, "-4"),
                       [":3: value=-4 for units_sold", "allowed: >= 0"]),
    "non-numeric value": (lambda ls: _set(ls, 3, "lots"),
                          [":3: value='lots' is not a number"]),
    "negative respondents": (lambda ls: _set(ls, 4, "-3", row=2),
                             [":5: respondents=-3", "whole number"]),
    "duplicated month": (lambda ls: [*ls[:_first_row(ls) + 1], ls[_first_row(ls)],
                                     *ls[_first_row(ls) + 1:]],
                         [":4: 2022-01 North units_sold repeats line 3",
                          "one row per month, store and metric"]),
    "unordered months": (lambda ls: [*ls[:_first_row(ls)], *ls[_first_row(ls) + 10:
                                                                _first_row(ls) + 20],
                                     *ls[_first_row(ls):_first_row(ls) + 10],
                                     *ls[_first_row(ls) + 20:]],
                         [":13: month 2022-01 after 2022-02", "rows in month order"]),
    "skipped month": (lambda ls: [*ls[:_first_row(ls) + 10], *ls[_first_row(ls) + 20:]],
                      [":13: month 2022-03 skips 2022-02", "consecutive months"]),
    "fewer months than parameters": (lambda ls: ls[:_first_row(ls) + 10],
                                     ["1 months for 2 parameters", "at least 2 months"]),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_data_is_one_line_exit_2_and_nothing_written(case, inputs, tmp_path, capsys):
    data, spec = inputs
    fn, expected = BAD[case]
    bad = _edit(data, tmp_path, fn)
    out = tmp_path / "out"
    assert main([str(bad), "--market", str(spec), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith("cxsim-calibrate: error:"), err
    for part in expected:
        assert part in err, (part, err)
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]


def test_the_example_history_reads_and_names_its_truth():
    data = REPO / "examples" / "history_metro.csv"
    h = read_history(data, ["North", "East", "City Auto"], parameters=6)
    assert len(h.months) == 36 and h.stores == ["North", "East"]
    assert set(h.metrics) == {"units_sold", "service_retention", "nps", "csat",
                              "online_rating"}
    assert "quality_offset.North = 0.6" in data.read_text()


@pytest.fixture(scope="module")
def calibrated(inputs, tmp_path_factory) -> Path:
    """A calibration interrupted after its first generation, then resumed."""
    data, spec = inputs
    out = tmp_path_factory.mktemp("runs") / "tiny"
    args = [str(data), "--market", str(spec), "--no-progress", "--jobs", "2",
            "--backtest", "8"]

    real = calibration_module.fit_abc

    def interrupted(**kw):  # noqa: ANN003, ANN202 - the real fit, stopped after one
        real(**{**kw, "budget": dataclasses.replace(kw["budget"], generations=1)})
        raise Interrupted(signal.SIGINT)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(calibration_module, "fit_abc", interrupted)
        assert main([*args, "--out", str(out)]) == 130
    staging = out.parent / f".{out.name}.cxsim-partial"
    assert not out.exists() and (staging / "history.db").is_file()
    assert main([*args, "--resume", str(out)]) == 0
    assert not staging.exists()
    return out


def test_a_calibration_writes_its_folder(calibrated):
    names = {p.name for p in calibrated.iterdir()}
    assert {"report.md", "posterior.parquet", "parameters.parquet", "predictive.parquet",
            "pairwise.png", "predictive.png", "market.yaml", "history.db", "backtest.png",
            "backtest.parquet", "backtest_coverage.png", "generations.parquet"} <= names
    gens = pd.read_parquet(calibrated / "generations.parquet")
    assert list(gens["generation"]) == [0, 1]  # the resume ran the missing one
    params = pd.read_parquet(calibrated / "parameters.parquet")
    assert list(params["parameter"]) == list(SPEC["parameters"])
    assert (params["q05"] <= params["median"]).all() and (params["median"]
                                                          <= params["q95"]).all()
    band = pd.read_parquet(calibrated / "predictive.parquet")
    assert set(band["store"]) == {"North", "East"} and band["m"].max() == 11
    assert (band["low"] <= band["high"]).all()
    assert band["inside"].mean() > 0.5  # the posterior's runs look like the history
    report = (calibrated / "report.md").read_text()
    assert "## Backtest" in report and "| 9 (2022-09) |" in report
    assert not any(p.name.startswith(".tiny") for p in calibrated.parent.iterdir())


def test_decide_runs_a_calibrated_market_with_posterior_draws(calibrated, tmp_path):
    opts = calibrated / "options.yaml"
    opts.write_text(yaml.safe_dump({
        "group": "Metro Motors", "market": "market.yaml", "horizon_years": 0.5,
        "replications": 4, "status_quo": {},
        "options": {"updates": {"stores": ["North"], "spend": {"communication": 150}}}}))
    options = load_options(opts)
    assert options.posterior is not None and options.posterior.names == list(
        SPEC["parameters"])
    res = run_options(options, jobs=1)
    draws = res.draws
    assert list(draws["draw"]) == [0, 0, 1, 1]
    # replications of one pair share their parameter set, and the market follows it
    assert draws.loc[0, "market.households"] == draws.loc[1, "market.households"]
    units = res.weekly["status_quo"].groupby("replication")["units_sold"].sum()
    assert np.isfinite(units).all() and units.nunique() == 4
    from cxsim.decide.report import write_report

    write_report(tmp_path, options, res, 1.0)
    assert "## Parameter uncertainty" in (tmp_path / "report.md").read_text()


@pytest.mark.parametrize("flags,named", [
    (["--launcher", "dask"], "--launcher"),
    (["--ray-address", "head:6379"], "--ray-address"),  # without --launcher ray
    (["--launcher", "slurm", "--slurm-minutes", "0"], "--slurm-minutes"),
])
def test_a_bad_launcher_flag_is_one_line_exit_2_and_nothing_written(flags, named, inputs,
                                                                      tmp_path, capsys):
    data, spec = inputs
    out = tmp_path / "out"
    try:
        code = main([str(data), "--market", str(spec), "--out", str(out), "--no-progress",
                     *flags])
    except SystemExit as exc:  # argparse's own refusal (an unknown choice)
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and named in err, err
    assert not out.exists()
