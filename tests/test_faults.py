"""Faults while writing: interrupts, failures, two writers, corrupt jobs, too little memory.

These need real processes (signals, concurrency, memory limits), so each
runs the ``cxsim`` command in a subprocess on a small market.
"""

from __future__ import annotations

import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cxsim.run import is_complete

PY = [sys.executable, "-m", "cxsim"]
TINY = ["sample.customers=500", "market.years=0.1", "progress=false"]


def _user_folder(root: Path) -> dict[str, bytes]:
    mine = root / "mine"
    mine.mkdir()
    (mine / "thesis.txt").write_text("years of work\n")
    (mine / "data").mkdir()
    (mine / "data" / "survey.csv").write_text("a,b\n1,2\n")
    return _files(mine)


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 90) -> None:
    end = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < end, f"{path} never appeared"
        time.sleep(0.05)


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupted_run_keeps_nothing_and_touches_no_user_file(tmp_path, sig, code):
    before = _user_folder(tmp_path)
    mine = tmp_path / "mine"
    proc = subprocess.Popen([*PY, "sample.customers=100000", "market.years=20", "plots=false",
                             "progress=false", f"hydra.run.dir={mine}/run"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for(mine / ".run.cxsim-partial" / ".hydra", proc)
    time.sleep(1.5)  # into the simulation
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "interrupted" in lines[0] and "nothing kept" in lines[0], err
    assert "Traceback" not in out + err
    assert _files(mine) == before
    assert sorted(p.name for p in mine.iterdir()) == ["data", "thesis.txt"]


def test_a_failing_run_removes_only_what_it_made(tmp_path):
    before = _user_folder(tmp_path)
    mine = tmp_path / "mine"
    boom = tmp_path / "boom.py"
    boom.write_text("import cxsim.run\n\ndef _fail(*a, **k):\n    raise OSError('disk full')\n\n"
                    "cxsim.run.write_run = _fail\n")
    (mine / "empty").mkdir()  # the user's own empty folder as the target
    proc = subprocess.run([*PY, "--rules", str(boom), *TINY, f"hydra.run.dir={mine}/empty"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert _files(mine) == before
    assert (mine / "empty").is_dir() and not any((mine / "empty").iterdir())
    assert sorted(p.name for p in mine.iterdir()) == ["data", "empty", "thesis.txt"]


def test_two_runs_into_one_folder_one_is_refused(tmp_path):
    target = tmp_path / "run"
    args = [*PY, "sample.customers=10000", "market.years=1", "plots=false", "progress=false",
            f"hydra.run.dir={target}"]
    procs = [subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.wait(timeout=120), p.communicate()[1]) for p in procs]
    assert sorted(code for code, _ in results) == [0, 2], results
    loser = next(err for code, err in results if code == 2)
    assert len(loser.strip().splitlines()) == 1 and "hydra.run.dir" in loser
    assert is_complete(target)
    assert not list(tmp_path.glob(".*cxsim*"))  # no staging folder left


def test_a_corrupt_job_is_redone_on_resume_and_left_out_until_then(tmp_path):
    from cxsim.sweep import main as aggregate_main
    from cxsim.sweep import sweep_table

    sweep = tmp_path / "sweep"
    args = [*PY, "-m", *TINY, "seed=1,2", f"hydra.sweep.dir={sweep}"]
    first = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    (sweep / "0" / "weekly_metrics.parquet").write_bytes(b"garbage")
    assert not is_complete(sweep / "0") and is_complete(sweep / "1")
    assert set(sweep_table(sweep)["job"]) == {"1"}  # not aggregated as if valid
    again = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("skipped, already done") == 1
    assert is_complete(sweep / "0")
    assert aggregate_main([str(sweep), "--no-plots"]) == 0
    assert set(sweep_table(sweep)["job"]) == {"0", "1"}
    assert (sweep / "provenance.json").is_file() and (sweep / "0" / "provenance.json").is_file()
    _no_nan_only_null(sweep / "0" / "weekly_metrics.parquet")
    _no_nan_only_null(sweep / "sweep_summary.parquet")


def _no_nan_only_null(path: Path) -> None:
    """A rate with a zero denominator is written as null, never as NaN."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    for name in table.column_names:
        if pa.types.is_floating(table.schema.field(name).type):
            assert not pc.any(pc.is_nan(table[name])).as_py(), (path.name, name)


def test_an_interrupted_sweep_keeps_finished_jobs_and_resumes(tmp_path):
    sweep = tmp_path / "sweep"
    args = [*PY, "-m", "sample.customers=3000", "market.years=1", "progress=false",
            "seed=1,2,3", f"hydra.sweep.dir={sweep}"]
    proc = subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    _wait_for(sweep / "0" / "manifest.json", proc)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert "jobs complete, kept in" in err.strip().splitlines()[-1]
    assert is_complete(sweep / "0")
    again = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert "skipped, already done" in again.stdout
    assert all(is_complete(sweep / str(i)) for i in range(3))


def test_a_run_too_big_for_its_memory_limit_is_refused_in_one_line(tmp_path):
    limit = 2 * 2**30  # 5 million customers need about 2.4 GB

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    proc = subprocess.run([*PY, "sample.customers=5000000", f"hydra.run.dir={tmp_path}/run"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          preexec_fn=cap)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "sample.customers=5,000,000" in lines[0] and "GB" in lines[0]
    assert not (tmp_path / "run").exists()


def test_a_report_replaces_an_earlier_report_but_never_a_users_file(tmp_path):
    from cxsim.config import ConfigError
    from cxsim.safety import RunFolder

    target = tmp_path / "report"
    target.mkdir()
    (target / "report.md").write_text("old\n")
    (target / "old.parquet").write_bytes(b"x")
    folder = RunFolder(str(target), "--out", replace_report=True)
    (folder.staging / "report.md").write_text("new\n")
    folder.commit()
    assert _files(target) == {"report.md": b"new\n"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]  # no leftovers
    (target / "notes.txt").write_text("mine\n")
    with pytest.raises(ConfigError, match="notes.txt"):
        RunFolder(str(target), "--out", replace_report=True)
    assert _files(target) == {"report.md": b"new\n", "notes.txt": b"mine\n"}


def test_an_interrupted_study_is_one_line_and_keeps_nothing(tmp_path):
    before = _user_folder(tmp_path)
    mine = tmp_path / "mine"
    proc = subprocess.Popen([sys.executable, "-m", "cxsim.sensitivity", "sample.customers=20000",
                             "market.years=5", "--samples", "2", "--jobs", "2",
                             "--no-progress", "--out", f"{mine}/report"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for(mine / ".report.cxsim-partial", proc)
    time.sleep(1.5)  # into the runs, workers busy
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines == ["cxsim-sensitivity: interrupted; nothing kept"], err
    assert "Traceback" not in out + err
    assert _files(mine) == before  # nothing of theirs touched
    assert sorted(p.name for p in mine.iterdir()) == ["data", "thesis.txt"]  # nor staged


def test_experiment_reports_write_a_zero_denominator_as_null(tmp_path):
    import pandas as pd

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # experiments/
    from experiments.common import Report

    report = Report(tmp_path, exp=None)
    frame = pd.DataFrame({"arm": ["a", "b"], "nps": [12.5, float("nan")]})
    report.data("rates", frame)
    report.table("shown", frame, show=False)
    for name in ("rates", "shown"):
        _no_nan_only_null(tmp_path / f"{name}.parquet")
        assert pd.read_parquet(tmp_path / f"{name}.parquet").equals(frame)  # read back as NaN
