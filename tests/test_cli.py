"""The ``cxsim`` command, run for real in a subprocess on small markets."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

BIN = Path(sys.executable).parent
CXSIM = str(BIN / "cxsim")
SMALL = ["sample.customers=2000", "market.years=1", "plots=false"]
DEALER_KEYS = ("units_sold", "share", "service_retention", "nps", "csat", "ces", "revenue_k",
               "profit_k", "perception_gap")
PLOTS = ("sales_and_share.png", "nps_csat_ces.png", "satisfaction.png", "funnel.png")


def cxsim(*args: str, cwd: Path, module: bool = False) -> subprocess.CompletedProcess:
    """Run the command (or ``python -m cxsim``) in ``cwd``; never raises on failure."""
    cmd = [sys.executable, "-m", "cxsim"] if module else [CXSIM]
    return subprocess.run([*cmd, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def _ok(proc: subprocess.CompletedProcess) -> None:
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr


def test_run_folder_holds_tables_summary_and_config(tmp_path):
    run = tmp_path / "run"
    _ok(cxsim(*SMALL, f"hydra.run.dir={run}", cwd=tmp_path))
    for name in ("weekly_metrics.parquet", "customers.parquet", "summary.json", "config.json"):
        assert (run / name).stat().st_size > 0, name
    assert not (run / "plots").exists()  # plots=false draws nothing
    assert not list(run.glob(".partial-*"))  # no staging folder left behind

    weekly = pd.read_parquet(run / "weekly_metrics.parquet")
    assert len(weekly) == 52 * 3
    assert sorted(weekly["week"].unique().tolist()) == list(range(52))
    assert weekly["units_sold"].sum() > 0
    assert len(pd.read_parquet(run / "customers.parquet")) == 2000

    summary = json.loads((run / "summary.json").read_text())
    assert summary["seed"] == 0 and summary["customers"] == 2000 and summary["weeks"] == 52
    dealers = summary["dealers"]
    assert [d["dealer"] for d in dealers] == ["Dealer A", "Dealer B", "Dealer C"]
    for d in dealers:
        missing = [k for k in DEALER_KEYS if k not in d]
        assert not missing, f"{d['dealer']} lacks {missing}"
        assert d["units_sold"] > 0
        assert -100 <= d["nps"] <= 100 and 1 <= d["csat"] <= 5 and 1 <= d["ces"] <= 7
        assert 0 <= d["service_retention"] <= 1
    assert sum(d["share"] for d in dealers) == pytest.approx(1.0, abs=1e-5)
    assert sum(d["units_sold"] for d in dealers) == weekly["units_sold"].sum()

    config = json.loads((run / "config.json").read_text())
    assert config["sample"]["customers"] == 2000 and config["seed"] == 0
    assert config["market"]["years"] == 1 and config["plots"] is False


def test_plots_are_drawn_when_asked(tmp_path):
    run = tmp_path / "run"
    _ok(cxsim("sample.customers=2000", "market.years=1", "plots=true", f"hydra.run.dir={run}",
              cwd=tmp_path))
    for name in PLOTS:
        png = run / "plots" / name
        assert png.stat().st_size > 1000, name
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    assert (run / "summary.json").exists()


def test_python_dash_m_cxsim_runs(tmp_path):
    run = tmp_path / "run"
    _ok(cxsim(*SMALL, f"hydra.run.dir={run}", cwd=tmp_path, module=True))
    assert json.loads((run / "summary.json").read_text())["customers"] == 2000


def test_seed_override(tmp_path):
    run = tmp_path / "run"
    _ok(cxsim("seed=7", *SMALL, f"hydra.run.dir={run}", cwd=tmp_path))
    assert json.loads((run / "summary.json").read_text())["seed"] == 7
    assert json.loads((run / "config.json").read_text())["seed"] == 7


@pytest.mark.parametrize(("override", "names"), [
    ("foo=1", ("foo",)),  # unknown key
    ("sample.customers=abc", ("sample.customers", "abc")),  # wrong type
    ("word_of_mouth.talk_rate=1.5", ("word_of_mouth.talk_rate", "1.5")),  # not a probability
    ("sample.customers=-5", ("sample.customers", "-5")),  # negative count
    ("industry=plane", ("industry", "plane")),  # unknown preset
    ("market.years=0.005", ("market.years",)),  # a horizon that rounds to zero weeks
])
def test_bad_input_is_one_plain_line_exit_2_and_no_folder(tmp_path, override, names):
    run = tmp_path / "run"
    proc = cxsim("market.years=1", "plots=false", override, f"hydra.run.dir={run}",
                 cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    for name in names:
        assert name in lines[0], lines[0]
    assert "Traceback" not in proc.stdout + proc.stderr
    assert not run.exists()


def test_bad_value_inside_a_sweep_is_caught_before_any_job(tmp_path):
    sweep = tmp_path / "sweep"
    proc = cxsim("-m", "seed=1,2", "sample.customers=1000,-5", "market.years=1", "plots=false",
                 f"hydra.sweep.dir={sweep}", cwd=tmp_path)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "sample.customers" in lines[0], proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert not sweep.exists()


def test_multirun_sweep_makes_one_folder_per_job(tmp_path):
    sweep = tmp_path / "sweep"
    _ok(cxsim("-m", "seed=1,2", "sample.customers=1000", "market.years=1", "plots=false",
              f"hydra.sweep.dir={sweep}", cwd=tmp_path))
    summaries = sorted(sweep.glob("*/summary.json"))
    assert len(summaries) == 2
    seeds = sorted(json.loads(p.read_text())["seed"] for p in summaries)
    assert seeds == [1, 2]
    for p in summaries:
        assert json.loads(p.read_text())["customers"] == 1000
        assert (p.parent / "weekly_metrics.parquet").exists()


def test_sweep_jobs_skip_their_own_plots_unless_asked(tmp_path):
    # Per-job PNGs cost about as much as the simulation; a sweep draws its own
    # summary plots instead, and plots=true brings the per-job ones back.
    quiet = ["sample.customers=1000", "market.years=1", "progress=false"]
    _ok(cxsim("-m", "seed=1", *quiet, f"hydra.sweep.dir={tmp_path / 'auto'}", cwd=tmp_path))
    job = tmp_path / "auto" / "0"
    assert (job / "summary.json").exists() and not (job / "plots").exists()
    assert json.loads((job / "config.json").read_text())["plots"] is False
    assert (tmp_path / "auto" / "plots").is_dir()  # the sweep's own plots
    _ok(cxsim("-m", "seed=1", *quiet, "plots=true", f"hydra.sweep.dir={tmp_path / 'asked'}",
              cwd=tmp_path))
    for name in PLOTS:
        assert (tmp_path / "asked" / "0" / "plots" / name).stat().st_size > 0, name
    _ok(cxsim(*quiet, f"hydra.run.dir={tmp_path / 'single'}", cwd=tmp_path))
    assert (tmp_path / "single" / "plots").is_dir()  # a single run draws them by default


def test_hydra_flags_and_overrides_reach_hydra_without_rules():
    from cxsim.cli import parse_args

    files, args, rest = parse_args(["-m", "--rules", "a.py", "-cn", "config", "seed=1,2",
                                    "sample.customers=5", "--rules=b.py"])
    assert files == ["a.py", "b.py"]
    assert rest == ["-m", "-cn", "config", "seed=1,2", "sample.customers=5"]
    assert args.multirun and args.config_name == "config" and args.cfg is None
    assert args.overrides == ["seed=1,2", "sample.customers=5"]


@pytest.mark.parametrize(("args", "names"), [
    (["--rules", "missing_rules.py"], ("--rules", "missing_rules.py", "no such file")),
    (["--rules"], ("--rules", "expected one argument")),
])
def test_bad_rules_flag_is_one_plain_line_exit_2_and_no_folder(tmp_path, args, names):
    run = tmp_path / "run"
    proc = cxsim(*SMALL, f"hydra.run.dir={run}", *args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    for name in names:
        assert name in lines[0], lines[0]
    assert not run.exists()


QUIET_RULES = (
    "from cxsim.processes.word_of_mouth import WordOfMouth\n"
    "from cxsim.rules import register\n\n"
    "@register('word_of_mouth', 'quiet')\n"
    "class Quiet(WordOfMouth):\n"
    "    def speak(self, ids, d, score, u_talk, u_review):\n"
    "        pass  # nobody talks or posts a review\n")


def test_rules_flag_selects_a_users_rule_by_name(tmp_path):
    (tmp_path / "quiet.py").write_text(QUIET_RULES)
    runs = {}
    for rule in ("default", "quiet"):
        runs[rule] = tmp_path / rule
        _ok(cxsim("--rules", "quiet.py", *SMALL, f"rules.word_of_mouth={rule}",
                  f"hydra.run.dir={runs[rule]}", cwd=tmp_path))
    talk = ["wom_positive", "wom_negative", "reviews"]
    default = pd.read_parquet(runs["default"] / "weekly_metrics.parquet")
    quiet = pd.read_parquet(runs["quiet"] / "weekly_metrics.parquet")
    assert default[talk].to_numpy().sum() > 0
    assert quiet[talk].to_numpy().sum() == 0


def test_unknown_rule_name_is_one_line_exit_2_and_no_folder(tmp_path):
    run = tmp_path / "run"
    proc = cxsim(*SMALL, "rules.word_of_mouth=nobody_registered_this",
                 f"hydra.run.dir={run}", cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "rules.word_of_mouth" in lines[0], proc.stderr
    assert "default" in lines[0]
    assert not run.exists()


def test_help_names_the_rules_flag(tmp_path):
    proc = cxsim("--help", cwd=tmp_path)
    _ok(proc)
    assert "--rules FILE" in proc.stdout and "cxsim.rules" in proc.stdout


def test_preflight_composes_only_what_plain_values_cannot_reach():
    # A sweep over seeds is checked by composing its first job only (the rest are
    # dataclasses.replace of it); a preset or a bad value is composed in full, so
    # its error reads as Hydra's would.
    from cxsim.compose import load_config
    from cxsim.config import ConfigError
    from cxsim.preflight import check_jobs, jobs_of, parse_overrides, swept_values

    def checked(texts: list[str]) -> list[list[str]]:
        composed: list[list[str]] = []

        def compose(o: list[str]):
            composed.append(o)
            return load_config(o)

        overrides = parse_overrides(texts)
        check_jobs(jobs_of(overrides), swept_values(overrides), compose)
        return composed

    assert checked(["seed=range(0,200)", "market.years=1"]) == [["seed=0", "market.years=1"]]
    assert len(checked(["seed=1,2", "industry=car,boat"])) == 3  # boat: a preset
    with pytest.raises(ConfigError, match="talk_rate"):
        checked(["seed=1,2", "word_of_mouth.talk_rate=0.1,1.5"])


def test_a_users_config_dir_adds_presets(tmp_path):
    mine = tmp_path / "mine" / "industry"
    mine.mkdir(parents=True)
    (mine / "truck.yaml").write_text("# @package _global_\ncustomers:\n  ownership_months: 99.0\n")
    run = tmp_path / "run"
    _ok(cxsim("--config-dir", str(tmp_path / "mine"), "industry=truck", *SMALL,
              f"hydra.run.dir={run}", cwd=tmp_path))
    assert json.loads((run / "config.json").read_text())["customers"]["ownership_months"] == 99


@pytest.mark.parametrize("command", ["decide", "explore", "optimise", "sensitivity"])
def test_cxsim_name_runs_that_command(command, tmp_path):
    """``cxsim decide FILE`` is ``cxsim-decide FILE``: the same one-line refusal."""
    proc = subprocess.run([sys.executable, "-m", "cxsim", command, "--no-such-flag"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    line = proc.stderr.strip().splitlines()
    assert len(line) == 1 and f"cxsim-{command}" in line[0], proc.stderr
    assert not any(tmp_path.iterdir())
