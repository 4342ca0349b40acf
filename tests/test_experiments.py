"""Named experiments (experiments/, conf/experiment/): compose, run tiny, calibrated defaults.

Every experiment file must compose into a runnable experiment, and every
experiment must run end to end at a tiny size and write its report folder
(Markdown, PNG, Parquet, summary). The tiny runs check plumbing, not
science: the scientific results are in each experiment's own report at its
default size. One test checks the calibrated ``cx_program`` at a moderate
size against P1's +26 %.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cxsim.compare import paired_runs, relative_lift

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # experiments/ is analysis code beside the package
    sys.path.insert(0, str(REPO))

from experiments.common import CONF_DIR  # noqa: E402
from experiments.programmes import read_programme, service_split  # noqa: E402
from experiments.run import _compose, check, run_experiment, split_argv  # noqa: E402

EXPERIMENTS = sorted(p.stem for p in (CONF_DIR / "experiment").glob("*.yaml"))
TINY = ["sample.customers=600", "market.years=1", "market.warmup_weeks=4"]
QUICK = ["replications=2", "jobs=1", "progress=false"]
# Per experiment: what makes it tiny beyond TINY (fewer points, dealers, years).
SHRINK = {
    "disney_lift": ["params.write_defaults=false", "params.calibration_replications=2",
                    "params.max_iterations=1"],
    "perception_gap": ["params.dealers=4", "params.bisection_steps=1"],
    "reputation_diffusion": ["market.years=2"],
    "digital_friction": ["params.levels=[1.0,0.2]"],
    "crn_efficiency": ["replications=3", "params.small_n=3", "params.subsamples=20"],
    "service_vs_experience": ["params.variants={all_service:{service:1}}"],
    "programme_scenarios": ["market.years=2"],
}


def test_every_experiment_has_an_analysis_and_a_shrink_rule():
    assert set(EXPERIMENTS) >= {"disney_lift", "service_vs_experience", "perception_gap",
                                "reputation_diffusion", "digital_friction", "boat_season"}
    for name in EXPERIMENTS:
        assert (REPO / "experiments" / f"{name}.py").exists() or \
            _compose([f"experiment={name}"]).analysis


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_experiment_config_composes_and_passes_preflight(name):
    exp = _compose([f"experiment={name}"])
    assert exp.name == name
    assert exp.question and exp.pattern and exp.replications >= 1
    assert check([f"experiment={name}"]) is None


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_experiment_runs_tiny_and_writes_its_report(name, tmp_path):
    argv = split_argv([f"experiment={name}", *QUICK, *TINY, *SHRINK.get(name, [])])
    exp = _compose(argv)
    report = run_experiment(exp, tmp_path)
    text = (tmp_path / "report.md").read_text()
    assert text.startswith(f"# {name}")
    assert "**Result.**" in text
    assert list(tmp_path.glob("*.png")), "no figure"
    assert list(tmp_path.glob("*.parquet")), "no data"
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["name"] == name and summary["headlines"]
    assert report.headlines
    # A tiny experiment never touches the defaults.
    assert "CALIBRATED by the disney_lift" in (CONF_DIR / "investment" /
                                              "cx_program.yaml").read_text()


def test_calibration_is_written_under_results_never_into_conf(tmp_path, capsys):
    tracked = {p.name: p.read_bytes() for p in (CONF_DIR / "investment").glob("*.yaml")}
    argv = split_argv(["experiment=disney_lift", *QUICK, *TINY,
                       *[s for s in SHRINK["disney_lift"] if "write_defaults" not in s],
                       "params.write_defaults=true"])
    run_experiment(_compose(argv), tmp_path)
    assert {p.name: p.read_bytes() for p in (CONF_DIR / "investment").glob("*.yaml")} == tracked
    written = tmp_path / "conf" / "investment"
    hol = (written / "cx_program.yaml").read_text()
    svc = (written / "service_only.yaml").read_text()
    assert "name: cx_program" in hol and "name: service_only" in svc
    total = float(hol.split("# Total: ")[1].split(" ")[0])
    assert f"# Total: {total:g} k$" in svc
    assert "conf/investment/" in capsys.readouterr().out  # how to adopt it


def test_bad_experiment_input_is_one_line():
    assert "allowed" in check(["experiment=no_such_thing"]) or \
        "no_such_thing" in check(["experiment=no_such_thing"])
    assert check(["experiment=service_vs_experience", "replications=0"])
    reason = check(split_argv(["experiment=service_vs_experience", "sample.customers=-3"]))
    assert reason and "sample.customers" in reason


def test_model_overrides_are_gathered_and_quoted():
    argv = split_argv(["experiment=disney_lift", "replications=3", "sample.customers=500",
                       "market.season=[1,1,1,1,1,1,1,1,1,1,1,2]"])
    assert argv[:2] == ["experiment=disney_lift", "replications=3"]
    exp = _compose(argv)
    assert list(exp.model) == ["sample.customers=500", "market.season=[1,1,1,1,1,1,1,1,1,1,1,2]"]


# -- programmes --------------------------------------------------------------------------------
def test_service_only_costs_exactly_what_cx_program_costs():
    hol, svc = read_programme("cx_program"), read_programme("service_only")
    assert hol.cost_k > 0
    assert svc.cost_k == pytest.approx(hol.cost_k)
    # ... all of it on the service department's touchpoints, nothing on the rest.
    assert svc.spend["engagement"] == svc.spend["consistency"] == 0
    assert {t for t, v in svc.spend.items() if v > 0} == {"service", "parts", "communication"}
    assert service_split(809.0).cost_k == pytest.approx(809.0)
    # extra bays come on top of the split money, at the configured bay cost
    assert service_split(689.0, extra_bays=2).cost_k == pytest.approx(689.0 + 2 * 60.0)


def test_scenarios_compose():
    from cxsim.run import compose

    assert compose(["investment=cx_program"]).investment.name == "cx_program"
    cr = compose(["scenario=competitor_response"]).investment
    assert (cr.name, cr.copied_by, cr.copy_after_weeks) == ("cx_program", 1, 52)
    assert compose(["scenario=competitor_response", "investment=service_only"]
                      ).investment.name == "service_only"
    dd = compose(["scenario=digital_disruption"]).market
    assert dd.friction_step_week >= 0 and dd.friction_step_to < 1
    assert compose(["investment=communication"]).investment.spend.communication > 0


def test_calibrated_programme_gives_about_26_percent_in_three_years():
    # P1 at the experiment's market (20,000 customers, 3 years) on 4 seeds that are
    # neither the calibration's nor the check's. The paired lift's sd is ~1 point, so
    # the 4-run mean sits within ~1.5 points of the calibrated +26 %; the tolerance is
    # the experiment's own +-3 points.
    runs = paired_runs([], ["investment=cx_program"], replications=4, base_seed=99,
                       common=["market.years=3"], jobs=2)
    mean, _, _ = relative_lift(runs)
    assert 23.0 <= mean <= 29.0, mean


def test_one_command_runs_service_vs_experience(tmp_path):
    # What the catalogue promises: one command prints the lift table with intervals
    # and writes the report folder.
    out = tmp_path / "sve"
    cmd = [sys.executable, "-m", "experiments.run", "experiment=service_vs_experience",
           *QUICK, *TINY, "params.variants=null", f"output_dir={out}"]
    res = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONHASHSEED": "0"})
    assert res.returncode == 0, res.stderr[-2000:]
    assert "95 % CI of lift" in res.stdout and "units_sold" in res.stdout
    assert "difference" in res.stdout
    assert (out / "report.md").exists() and (out / "runs.parquet").exists()
    bad = subprocess.run([sys.executable, "-m", "experiments.run", "experiment=nope"],
                         cwd=REPO, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
