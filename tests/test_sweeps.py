"""Hydra sweeps for real: joblib and Ray launchers, aggregation, and resuming a killed sweep.

The same 8 jobs run four ways (joblib on 2 processes, cxsim's process pool on 2
forked workers, a local Ray instance bound to loopback, and the basic launcher
killed half-way and started again)
and must give byte-identical aggregated tables. Ray starts once, for one sweep.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from cxsim.run import is_complete, job_done
from cxsim.sweep import (
    SWEEP_LIFT,
    SWEEP_SUMMARY,
    incomplete_dirs,
    ray_environment,
    sweep_table,
)

BIN = Path(sys.executable).parent
CXSIM = str(BIN / "cxsim")
TINY = ["sample.customers=1000", "market.years=1", "plots=false", "progress=false",
        "market.warmup_weeks=10"]
SWEEP = ["seed=1,2,3,4", "investment.spend.service=0,200"]
JOBS = 8
DEALERS = 3
LOOPBACK = ("127.0.0.1", "::1", "::ffff:127.0.0.1")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    env.update(extra)
    return env


def _sweep(sweep_dir: Path, *launcher: str, env: dict[str, str] | None = None,
           timeout: float = 240) -> subprocess.CompletedProcess:
    proc = subprocess.run([CXSIM, "-m", *TINY, *SWEEP, *launcher,
                           f"hydra.sweep.dir={sweep_dir}"], cwd=sweep_dir.parent,
                          capture_output=True, text=True, timeout=timeout, env=env or _env())
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def _complete(sweep_dir: Path) -> list[Path]:
    return [p for p in sweep_dir.glob("*") if p.is_dir() and is_complete(p)]


def _process_tree(pid: int) -> list:
    import psutil

    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _listening(procs: list) -> set[tuple[str, str]]:
    """(process name, listening address) of every TCP/UDP server socket of ``procs``."""
    import psutil

    out = set()
    for p in procs:
        try:
            for c in p.net_connections(kind="inet"):
                if c.status == psutil.CONN_LISTEN or (c.type == 2 and c.laddr):  # 2: UDP
                    out.add((p.name(), c.laddr.ip))
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return out


@pytest.fixture(scope="module")
def joblib_sweep(tmp_path_factory) -> Path:
    sweep = tmp_path_factory.mktemp("joblib") / "sweep"
    _sweep(sweep, "hydra/launcher=joblib", "hydra.launcher.n_jobs=2")
    return sweep


@pytest.fixture(scope="module")
def ray_sweep(tmp_path_factory) -> tuple[Path, set[tuple[str, str]], Path]:
    """The sweep on a local Ray instance; Ray's listening sockets, sampled while it ran."""
    pytest.importorskip("hydra_plugins.hydra_ray_launcher")
    pytest.importorskip("psutil")
    sweep = tmp_path_factory.mktemp("ray") / "sweep"
    ray_tmp = Path(tempfile.mkdtemp(prefix="cxr", dir="/tmp"))  # short: Unix socket paths
    cmd = [CXSIM, "-m", *TINY, *SWEEP, "hydra/launcher=ray_local",
           f"hydra.sweep.dir={sweep}"]
    proc = subprocess.Popen(cmd, cwd=sweep.parent, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True,
                            env=_env(CXSIM_RAY_TMPDIR=str(ray_tmp), CXSIM_RAY_CPUS="2"))
    sockets: set[tuple[str, str]] = set()
    deadline = time.monotonic() + 240
    while proc.poll() is None and time.monotonic() < deadline:
        sockets |= _listening(_process_tree(proc.pid))
        time.sleep(1.0)  # reading every socket table costs CPU the sweep needs
    try:
        out, _ = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    assert proc.returncode == 0, out[-4000:]
    yield sweep, sockets, ray_tmp
    shutil.rmtree(ray_tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def resumed_sweep(tmp_path_factory) -> dict:
    """The basic launcher, killed (SIGKILL) after a few jobs, damaged a little, rerun."""
    sweep = tmp_path_factory.mktemp("resume") / "sweep"
    cmd = [CXSIM, "-m", *TINY, *SWEEP, f"hydra.sweep.dir={sweep}"]
    proc = subprocess.Popen(cmd, cwd=sweep.parent, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True, env=_env())
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if sweep.is_dir() and len(_complete(sweep)) >= 3:
            break
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done = sorted(_complete(sweep), key=lambda p: int(p.name))
    assert 3 <= len(done) < JOBS, f"{len(done)} jobs done when killed"
    assert not (sweep / SWEEP_SUMMARY).exists()  # the multirun never ended

    # What a kill can leave behind: a job whose files were half moved into
    # place (config.json missing) and a staging folder.
    torn = done[-1]
    (torn / "config.json").unlink()
    stale = sweep / str(len(done)) / ".partial-killed"
    stale.mkdir(parents=True, exist_ok=True)
    (stale / "summary.json").write_text("{}")
    intact = done[:-1]
    mtimes = {p.name: (p / "summary.json").stat().st_mtime_ns for p in intact}

    partial_table = sweep_table(sweep)
    unfinished = [p.name for p in incomplete_dirs(sweep)]
    agg = subprocess.run([sys.executable, "-m", "cxsim.sweep", str(sweep), "--no-plots"],
                         capture_output=True, text=True, timeout=120)

    rerun = _sweep(sweep)
    return {"sweep": sweep, "intact": intact, "torn": torn, "mtimes": mtimes,
            "partial_table": partial_table, "unfinished": unfinished, "agg": agg,
            "rerun": rerun}


def test_joblib_sweep_aggregates_one_row_per_job_and_dealer(joblib_sweep):
    table = pd.read_parquet(joblib_sweep / SWEEP_SUMMARY)
    assert len(table) == JOBS * DEALERS
    assert table.groupby("job").size().eq(DEALERS).all()
    assert sorted(table["job"].unique(), key=int) == [str(i) for i in range(JOBS)]
    assert not table.duplicated(["job", "dealer"]).any()
    assert table["seed"].tolist() == sorted(table["seed"].tolist())
    assert set(table["investment.spend.service"]) == {0, 200}
    assert table.loc[table["focal"], "dealer"].eq("Dealer A").all()
    assert set(table.loc[table["focal"], "budget_k"]) == {0.0, 200.0}
    for k in ("units_sold", "share", "nps", "profit_k", "service_retention"):
        assert table[k].notna().all(), k
    # the paired lift against the swept budget line, with bands over the 4 seeds
    lift = pd.read_parquet(joblib_sweep / SWEEP_LIFT)
    service = lift[(lift["x"] == "investment.spend.service") & (lift["kpi"] == "profit_k")]
    assert service["value"].tolist() == [0.0, 200.0]
    assert service["seeds"].eq(4).all()
    first, last = service.iloc[0], service.iloc[1]
    assert first["lift"] == 0.0
    assert last["ci_low"] <= last["lift"] <= last["ci_high"]
    for name in ("lift_vs_investment.spend.service.png", "lift_vs_budget_k.png",
                 "kpis_by_dealer.png"):
        assert (joblib_sweep / "plots" / name).read_bytes()[:4] == b"\x89PNG", name


def test_ray_and_joblib_give_identical_tables(joblib_sweep, ray_sweep):
    sweep, _, _ = ray_sweep
    a = pd.read_parquet(joblib_sweep / SWEEP_SUMMARY)
    b = pd.read_parquet(sweep / SWEEP_SUMMARY)
    pd.testing.assert_frame_equal(a, b)
    assert (joblib_sweep / SWEEP_SUMMARY).read_bytes() == (sweep / SWEEP_SUMMARY).read_bytes()
    assert (joblib_sweep / SWEEP_LIFT).read_bytes() == (sweep / SWEEP_LIFT).read_bytes()
    # the job folders themselves hold the same results
    for j in range(JOBS):
        for f in ("summary.json", "config.json", "weekly_metrics.parquet"):
            assert (joblib_sweep / str(j) / f).read_bytes() == (sweep / str(j) / f).read_bytes()


def test_process_pool_launcher_gives_the_same_files_in_job_order(joblib_sweep, tmp_path):
    # hydra/launcher=cores: workers forked once per sweep, each job sent only its
    # number and overrides; the jobs, their folders and the tables are the same.
    sweep = tmp_path / "sweep"
    proc = _sweep(sweep, "hydra/launcher=cores", "hydra.launcher.n_jobs=2")
    assert "Process pool (2 workers) is launching 8 jobs" in proc.stdout + proc.stderr
    assert (joblib_sweep / SWEEP_SUMMARY).read_bytes() == (sweep / SWEEP_SUMMARY).read_bytes()
    assert (joblib_sweep / SWEEP_LIFT).read_bytes() == (sweep / SWEEP_LIFT).read_bytes()
    for j in range(JOBS):
        # a worker composes once and changes the swept values on a copy: the job's
        # config, overrides and override_dirname are what composing it gives
        for f in ("overrides.yaml", "config.yaml"):
            assert (sweep / str(j) / ".hydra" / f).read_text() == \
                (joblib_sweep / str(j) / ".hydra" / f).read_text(), (j, f)
        hydra = [yaml.safe_load((s / str(j) / ".hydra" / "hydra.yaml").read_text())["hydra"]
                 for s in (sweep, joblib_sweep)]
        assert hydra[0]["job"] == hydra[1]["job"]
        assert hydra[0]["overrides"]["task"] == hydra[1]["overrides"]["task"]
        for f in ("summary.json", "config.json", "weekly_metrics.parquet"):
            assert (joblib_sweep / str(j) / f).read_bytes() == (sweep / str(j) / f).read_bytes()


def test_ray_stays_on_loopback(ray_sweep):
    _, sockets, ray_tmp = ray_sweep
    ray_servers = {(name, ip) for name, ip in sockets
                   if any(s in name for s in ("gcs_server", "raylet", "ray::"))}
    assert ray_servers, f"no Ray server seen listening: {sockets}"
    exposed = {(name, ip) for name, ip in sockets if ip not in LOOPBACK}
    assert not exposed, f"listening beyond loopback: {exposed}"
    # Ray used its own temporary folder, and registered its node on loopback
    logs = list(ray_tmp.glob("session_*/logs/gcs_server.out"))
    assert logs, list(ray_tmp.iterdir())
    text = logs[0].read_text()
    assert "node_address=127.0.0.1" in text


def test_ray_environment_only_for_ray_launchers():
    from omegaconf import OmegaConf

    ray = OmegaConf.create({"_target_": "hydra_plugins.hydra_ray_launcher.ray_launcher."
                            "RayLauncher", "ray": {"init": {"_node_ip_address": "127.0.0.1"}}})
    env = ray_environment(ray)
    assert env["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] == "0"
    assert "RAY_USAGE_STATS_ENABLED" in env
    cluster = OmegaConf.create({"_target_": ray._target_, "ray": {"init": {"address": "auto"}}})
    assert "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER" not in ray_environment(cluster)
    joblib = OmegaConf.create({"_target_": "hydra_plugins.hydra_joblib_launcher."
                               "joblib_launcher.JoblibLauncher"})
    assert ray_environment(joblib) == {}


def test_killed_sweep_is_partial_then_resumes(resumed_sweep, joblib_sweep):
    r = resumed_sweep
    sweep = r["sweep"]
    # before resuming: only the intact jobs are aggregated, the rest are named
    partial = r["partial_table"]
    assert sorted(partial["job"].unique(), key=int) == [p.name for p in r["intact"]]
    assert r["torn"].name in r["unfinished"]
    assert r["agg"].returncode == 0, r["agg"].stderr
    assert "not finished" in r["agg"].stdout

    out = r["rerun"].stdout
    skipped = [line for line in out.splitlines() if "skipped, already done" in line]
    assert sorted(line.rsplit("/", 1)[1] for line in skipped) == \
        sorted(p.name for p in r["intact"])
    for p in r["intact"]:  # finished jobs were not run again
        assert (p / "summary.json").stat().st_mtime_ns == r["mtimes"][p.name]
    assert is_complete(r["torn"])  # the half-moved job was run again
    assert not list(sweep.rglob(".partial-*"))
    assert incomplete_dirs(sweep) == []

    table = pd.read_parquet(sweep / SWEEP_SUMMARY)
    assert len(table) == JOBS * DEALERS
    assert not table.duplicated(["job", "dealer"]).any()
    pd.testing.assert_frame_equal(table, pd.read_parquet(joblib_sweep / SWEEP_SUMMARY))
    assert (sweep / SWEEP_SUMMARY).read_bytes() == \
        (joblib_sweep / SWEEP_SUMMARY).read_bytes()


def test_job_done_needs_every_file_and_the_same_config(joblib_sweep, tmp_path):
    from cxsim.run import compose

    job = tmp_path / "job"
    shutil.copytree(joblib_sweep / "0", job)
    saved = json.loads((job / "config.json").read_text())
    cfg = compose([*TINY, "seed=1", "investment.spend.service=0"])
    assert job_done(job, cfg)
    cfg.seed = 2
    assert not job_done(job, cfg)  # another config: run it
    cfg.seed = 1
    (job / ".partial-x").mkdir()
    (job / "weekly_metrics.parquet").unlink()
    assert not job_done(job, cfg)
    assert not (job / ".partial-x").exists()
    assert saved["seed"] == 1


def test_aggregate_command_rewrites_the_table(joblib_sweep, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(joblib_sweep, copy)
    (copy / SWEEP_SUMMARY).unlink()
    shutil.rmtree(copy / "plots")
    proc = subprocess.run([sys.executable, "-m", "cxsim.sweep", str(copy)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert f"{JOBS} jobs, {JOBS * DEALERS} rows" in proc.stdout
    assert (copy / SWEEP_SUMMARY).read_bytes() == (joblib_sweep / SWEEP_SUMMARY).read_bytes()
    assert (copy / "plots" / "lift_vs_budget_k.png").exists()
    bad = subprocess.run([sys.executable, "-m", "cxsim.sweep", str(tmp_path / "none")],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "no sweep folder" in bad.stderr


@pytest.mark.parametrize("launcher, expect", [
    ("cores", "cxsim_plugins.launcher.PoolLauncher"),
    ("joblib", "JoblibLauncher"),
    ("ray_local", "RayLauncher"),
    ("ray_cluster", "RayLauncher"),
    ("slurm", "SlurmLauncher"),
])
def test_launcher_configs_compose(launcher, expect, tmp_path):
    pytest.importorskip({"cores": "hydra_plugins.cxsim_plugins.launcher",
                         "joblib": "hydra_plugins.hydra_joblib_launcher",
                         "slurm": "hydra_plugins.hydra_submitit_launcher"}.get(
        launcher, "hydra_plugins.hydra_ray_launcher"))
    proc = subprocess.run([CXSIM, f"hydra/launcher={launcher}", "--cfg",
                           "hydra", "--package", "hydra.launcher"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, env=_env())
    assert proc.returncode == 0, proc.stderr
    assert expect in proc.stdout
    if launcher == "ray_local":
        assert "_node_ip_address: 127.0.0.1" in proc.stdout
        assert "include_dashboard: false" in proc.stdout
    if launcher == "slurm":
        assert "timeout_min: 30" in proc.stdout


def test_sweeper_checks_jobs_itself_when_not_started_by_cxsim(tmp_path):
    # The sweeper checks every batch itself (cxsim.preflight), however the sweep
    # was started: here the Hydra app is called directly, without the cxsim
    # command's own check, and a bad second value still stops it before any job.
    sweep = tmp_path / "sweep"
    code = ("import sys; from cxsim.cli import _app; "
            f"sys.argv = ['x', '-m', 'sample.customers=1000,abc', 'market.years=1', 'plots=false', "
            f"'progress=false', 'hydra.sweep.dir={sweep}']; _app()")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode != 0
    assert "abc" in proc.stderr
    assert not (sweep / "0").exists()  # caught before job 0 ran
    # The same through the cxsim command: one line, exit 2, nothing made.
    proc = subprocess.run([CXSIM, "-m", "sample.customers=1000,abc", "market.years=1",
                           f"hydra.sweep.dir={sweep}"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert not (sweep / "0").exists()
