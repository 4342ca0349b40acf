"""``--launcher``: an exploration on Ray, or through submitit, writes the bytes the local
process pool writes; an interrupt on Ray is one line, exit 130, and what finished is
resumed; a decision through submitit has the pool's numbers.

There is no SLURM here: submitit's ``local`` executor (the same job arrays, pickles
and result files, run as local processes) stands in for it (:data:`SLURM_CLUSTER`).
"""

from __future__ import annotations

import json
import signal
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from test_explore_cli import TINY as EXPLORE_TINY
from test_sweeps import _listening as listening

from cxsim import launchers
from cxsim.explore.cli import main

pytest.importorskip("ray")
pytest.importorskip("submitit")

TINY = {**EXPLORE_TINY,  # the explore tests' market, smaller; four scenarios
        "overrides": ["sample.customers=300", "market.warmup_weeks=4"],
        "market": {**EXPLORE_TINY["market"], "market": {"households": 1200}},
        "explore": {"scenarios": 4}}


def _files(report: Path) -> dict[str, bytes]:
    """Every file's bytes, but for how long the runs took (report.md says it in words,
    summary.json as ``seconds``: the one number that differs)."""
    out = {p.relative_to(report).as_posix(): p.read_bytes()
           for p in sorted(report.rglob("*")) if p.is_file() and p.name != "report.md"}
    summary = json.loads(out["summary.json"])
    assert summary.pop("seconds") >= 0
    out["summary.json"] = json.dumps(summary).encode()
    return out


@pytest.fixture(scope="module")
def options_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("launch") / "tiny.yaml"
    path.write_text(yaml.safe_dump(TINY))
    return path


@pytest.fixture(scope="module")
def cores_report(options_file) -> dict[str, bytes]:
    out = options_file.parent / "cores"
    assert main([str(options_file), "--out", str(out), "--jobs", "2", "--no-progress"]) == 0
    return _files(out)


@pytest.fixture
def ray_tmp(monkeypatch):
    short = Path(tempfile.mkdtemp(prefix="cxr", dir="/tmp"))  # Unix sockets go under it
    monkeypatch.setenv("CXSIM_RAY_TMPDIR", str(short))
    yield short
    import shutil

    shutil.rmtree(short, ignore_errors=True)


def test_shares_are_contiguous_and_cover_every_task():
    assert launchers.shares(10, 3) == [range(0, 3), range(3, 6), range(6, 10)]
    assert launchers.shares(2, 64) == [range(0, 1), range(1, 2)]
    assert [i for r in launchers.shares(257, 64) for i in r] == list(range(257))


def test_an_unreachable_ray_cluster_is_one_line_and_nothing_written(options_file, capfd):
    import socket

    with socket.socket() as free:  # a port nobody listens on
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    before = sorted(options_file.parent.iterdir())
    code = main([str(options_file), "--out", str(options_file.parent / "far"), "--launcher",
                 "ray", "--ray-address", f"127.0.0.1:{port}", "--no-progress"])
    lines = [x for x in capfd.readouterr().err.splitlines() if x.strip()]
    assert code == 2 and len(lines) == 1 and f"--ray-address 127.0.0.1:{port}" in lines[0]
    assert sorted(options_file.parent.iterdir()) == before


def _listening() -> set[tuple[str, str]]:
    """(process name, address) of every server socket of this process's children."""
    import psutil

    return listening(psutil.Process().children(recursive=True))


def test_explore_on_ray_writes_the_bytes_of_the_cores_pool(options_file, cores_report,
                                                           ray_tmp, capfd, monkeypatch):
    from cxsim.explore import runs

    pytest.importorskip("psutil")
    seen: set[tuple[str, str]] = set()

    class Watching:  # a bar that looks at Ray's sockets as each scenario comes back
        def __init__(self, *args, **kwargs) -> None:
            pass

        def update(self, k: int = 1) -> None:
            seen.update(_listening())

        def close(self) -> None:
            pass

    monkeypatch.setattr(runs, "progress_bar", Watching)
    out = options_file.parent / "ray"
    before = signal.getsignal(signal.SIGTERM)
    assert main([str(options_file), "--out", str(out), "--launcher", "ray", "--jobs", "2",
                 "--no-progress"]) == 0
    assert signal.getsignal(signal.SIGTERM) is before  # Ray's own handler is not left
    servers = {(n, ip) for n, ip in seen if any(s in n for s in ("gcs_server", "raylet"))}
    assert servers, f"no Ray server seen listening: {seen}"
    loopback = {"127.0.0.1", "::1", "::ffff:127.0.0.1"}
    assert {ip for _, ip in seen} <= loopback, seen  # the private instance: this machine only
    got = _files(out)
    assert "outcomes.parquet" in got and "experiments.parquet" in got
    assert got.keys() == cores_report.keys()
    assert [k for k in got if got[k] != cores_report[k]] == []
    err = capfd.readouterr().err
    assert "Traceback" not in err and "error" not in err.lower(), err
    assert list(ray_tmp.glob("session_*")), "the private instance was not in CXSIM_RAY_TMPDIR"


def test_an_interrupt_on_ray_is_one_line_and_the_rest_resumes(options_file, cores_report,
                                                              ray_tmp, capfd, monkeypatch):
    from cxsim.explore import runs
    from cxsim.interrupts import Interrupted

    class StopAtThird:  # Ctrl-C as the third scenario comes in, mid-way through a chunk
        def __init__(self, *args, **kwargs) -> None:
            self.n = 0

        def update(self, k: int = 1) -> None:
            self.n += k
            if self.n >= 3:
                raise Interrupted(signal.SIGINT)

        def close(self) -> None:
            pass

    monkeypatch.setattr(runs, "chunk_size", lambda workers, group=1: 2)
    monkeypatch.setattr(runs, "progress_bar", StopAtThird)
    out = options_file.parent / "stopped"
    # one CPU: scenario 3 is still queued or running when the stop comes, and is cancelled
    assert main([str(options_file), "--out", str(out), "--launcher", "ray", "--jobs", "1",
                 "--no-progress"]) == 130
    lines = [x for x in capfd.readouterr().err.splitlines() if x.strip()]
    assert len(lines) == 1 and "interrupted; 2 of 4 scenarios kept" in lines[0], lines
    import psutil
    import ray

    assert not ray.is_initialized()
    deadline = time.monotonic() + 15  # the private instance's processes are gone
    while (left := [p for p in psutil.Process().children(recursive=True)
                    if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]) \
            and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not left, [p.name() for p in left]
    staging = out.parent / f".{out.name}.explore-partial"
    assert sorted(runs.finished(staging)["scenario"].unique()) == [0, 1]
    monkeypatch.undo()
    assert main([str(options_file), "--out", str(out), "--jobs", "1", "--no-progress"]) == 0
    assert "resuming: 2 of 4 scenarios done" in capfd.readouterr().err
    assert _files(out) == cores_report


def test_explore_through_submitit_writes_the_bytes_of_the_cores_pool(
        options_file, cores_report, monkeypatch):
    monkeypatch.setattr(launchers, "SLURM_CLUSTER", "local")  # no SLURM here
    out = options_file.parent / "slurm"
    assert main([str(options_file), "--out", str(out), "--launcher", "slurm", "--jobs", "3",
                 "--slurm-partition", "short", "--no-progress"]) == 0
    got = _files(out)
    assert not (out / launchers.SUBMITIT).exists()  # the job files are not the report's
    assert got == cores_report


def test_a_decision_through_submitit_has_the_numbers_of_the_cores_pool(tmp_path):
    from cxsim.decide.options import load_options
    from cxsim.decide.runs import run_options

    data = {k: v for k, v in TINY.items() if k not in ("uncertainties", "explore")}
    path = tmp_path / "o.yaml"
    path.write_text(yaml.safe_dump({**data, "replications": 2}))
    options = load_options(path)
    pooled = run_options(options, jobs=1)
    slurm = launchers.Launcher("slurm", jobs=2, cluster="local")
    jobs = run_options(options, launcher=slurm, folder=tmp_path)
    assert list((tmp_path / launchers.SUBMITIT).glob("*_result.pkl"))  # it went by submitit
    for arm in options.arms:
        pd.testing.assert_frame_equal(jobs.weekly[arm], pooled.weekly[arm], check_exact=True)
    pd.testing.assert_frame_equal(jobs.rates, pooled.rates, check_exact=True)
