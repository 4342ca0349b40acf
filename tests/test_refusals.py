"""Bad input to every command: exit code 2, one line naming the key or flag, nothing written.

Each case runs in-process through the command's entry function (no subprocess:
the whole matrix takes seconds), from a working folder that holds a user's
file, and checks that the folder is exactly as it was afterwards.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # experiments/ is analysis code beside the package
    sys.path.insert(0, str(REPO))


def _cxsim(argv: list[str]) -> int | None:
    from cxsim import cli

    saved = sys.argv
    sys.argv = ["cxsim", *argv]
    try:
        cli.main()
    finally:
        sys.argv = saved
    return 0


def _experiments(argv: list[str]) -> int | None:
    from experiments import run

    saved = sys.argv
    sys.argv = ["experiments", *argv]
    try:
        run.main()
    finally:
        sys.argv = saved
    return 0


def _optimise(argv: list[str]) -> int | None:
    from cxsim.optimise import main
    return main(argv)


def _sensitivity(argv: list[str]) -> int | None:
    from cxsim.sensitivity import main
    return main(argv)


def _aggregate(argv: list[str]) -> int | None:
    from cxsim.sweep import main
    return main(argv)


def _dashboard(argv: list[str]) -> int | None:
    from cxsim.dashboard.cli import main
    return main(argv)


def _explore(argv: list[str]) -> int | None:
    from cxsim.explore.cli import main
    return main(argv)


def _decide(argv: list[str]) -> int | None:
    from cxsim.decide.cli import main
    return main(argv)


COMMANDS: dict[str, Callable[[list[str]], int | None]] = {
    "cxsim": _cxsim, "optimise": _optimise, "sensitivity": _sensitivity,
    "aggregate": _aggregate, "dashboard": _dashboard, "experiments": _experiments,
    "explore": _explore, "decide": _decide}

TINY = ["sample.customers=500", "market.years=0.1"]

# (command, arguments, what the one line must name); {user} is a folder of the user's
# own files, {file} a file of theirs, {cfg} a config folder of the user's (see below).
CASES: list[tuple[str, list[str], str]] = [
    # values
    ("cxsim", ["seed=-1"], "seed"),
    ("cxsim", ["seed=18446744073709551617"], "seed"),
    ("cxsim", ["market.years=inf"], "market.years"),
    ("cxsim", ["market.years=nan"], "market.years"),
    ("cxsim", ["market.years=1000"], "market.years"),
    ("cxsim", ["market.years=0"], "market.years"),
    ("cxsim", ["market.warmup_weeks=100000000"], "market.warmup_weeks"),
    ("cxsim", ["sample.customers=1000000000000"], "sample.customers"),
    ("cxsim", ["--max-memory", "1", "sample.customers=5000000"], "sample.customers"),
    ("cxsim", ["choice.max_visits=10000000000"], "choice.max_visits"),
    ("cxsim", ["sample.customers=-5"], "sample.customers"),
    ("cxsim", ["sample.customers=abc"], "sample.customers"),
    ("cxsim", ["progress=maybe"], "progress"),
    ("cxsim", ["market.friction_start=-inf"], "market.friction_start"),
    ("cxsim", ["market.season=[1,1]"], "market.season"),
    ("cxsim", ["market.industry=plane"], "market.industry"),
    ("cxsim", ["market.homes={file}"], "market.homes"),  # not a households grid
    ("cxsim", ["market.homes=no_such_grid.csv"], "market.homes"),
    ("cxsim", ["market.households=0"], "market.households"),  # nothing to derive it from
    ("cxsim", ["dealers.dealers.0.yearly_sales=-5"], "yearly_sales"),
    ("cxsim", ["engine=turbo"], "engine"),
    ("cxsim", ["dealers.dealers.0.name=''"], "dealers.dealers[0].name"),
    ("cxsim", ["foo=1"], "foo"),
    ("cxsim", ["customers.bogus=1"], "customers.bogus"),
    ("cxsim", ["investment=nope"], "investment"),
    ("cxsim", ["market=5"], "market"),
    ("cxsim", ["-m", "seed=0,-1"], "seed"),
    ("cxsim", ["seed=1,2"], "seed=1,2"),
    ("cxsim", ["seed=[1,2"], "seed=[1,2"),
    ("cxsim", ["dealers.dealers.0.name=Händler"], "dealers.dealers.0.name"),
    ("cxsim", ["dealers.dealers.0.name='Händler\x07'"], "dealers.dealers[0].name"),
    ("cxsim", ["--config-name", "nope"], "--config-name"),
    ("cxsim", ["--config-dir", "{cfg}", "customers=broken"], "broken.yaml:2"),
    ("cxsim", ["customers=5"], "customers"),
    # code and environment from a config
    ("cxsim", ["+hydra.callbacks.x._target_=os.system"], "hydra.callbacks.x._target_"),
    ("cxsim", ["hydra.callbacks.sweep._target_=os.system"], "hydra.callbacks.sweep"),
    ("cxsim", ["+foo._target_=os.system"], "foo._target_"),
    ("cxsim", ["hydra.job_logging.handlers.console.class=os.system"],
     "hydra.job_logging"),
    ("cxsim", ["hydra.hydra_logging.root.handlers=[x]"], "hydra.hydra_logging"),
    ("cxsim", ["seed=${oc.env:HOME}"], "seed"),
    ("cxsim", ["--config-dir", "{cfg}", "customers=evil"], "customers.boom"),
    ("cxsim", ["--config-dir", "{cfg}", "customers=envy"], "oc.env"),
    ("cxsim", ["--config-dir", "{cfg}", "hydra/callbacks=evil"], "hydra.callbacks"),
    # folders
    ("cxsim", [*TINY, "hydra.run.dir="], "hydra.run.dir"),
    ("cxsim", [*TINY, "hydra.run.dir={user}"], "hydra.run.dir"),
    ("cxsim", [*TINY, "hydra.run.dir={file}"], "hydra.run.dir"),
    ("cxsim", [*TINY, "hydra.run.dir={file}/run"], "hydra.run.dir"),
    ("cxsim", [*TINY, "hydra.run.dir=/proc/cxsim-test/run"], "hydra.run.dir"),
    ("cxsim", ["-m", *TINY, "seed=1,2", "hydra.sweep.dir={user}"], "hydra.sweep.dir"),
    ("cxsim", ["-m", *TINY, "seed=1,2", "hydra.sweep.dir="], "hydra.sweep.dir"),
    ("cxsim", ["-m", *TINY, "seed=1,2", "hydra.sweep.dir={file}"], "hydra.sweep.dir"),
    # cxsim's own flags
    ("cxsim", ["--rules", "missing.py"], "--rules"),
    ("cxsim", ["--max-memory", "-1"], "--max-memory"),
    ("cxsim", ["--max-memory", "abc"], "--max-memory"),
    # cxsim-optimise
    ("optimise", ["--trials", "0"], "--trials"),
    ("optimise", ["--replications", "0"], "--replications"),
    ("optimise", ["--confirm", "1"], "--confirm"),
    ("optimise", ["--batch", "0"], "--batch"),
    ("optimise", ["--budget", "-5"], "--budget"),
    ("optimise", ["--budget", "nan"], "--budget"),
    ("optimise", ["--kpi", "nope"], "--kpi"),
    ("optimise", ["--trials", "x"], "--trials"),
    ("optimise", ["--seed", "-1"], "--seed"),
    ("optimise", ["--jobs", "-1"], "--jobs"),
    ("optimise", ["sample.customers=abc"], "sample.customers"),
    ("optimise", ["--lines", "nonsense"], "nonsense"),
    ("optimise", ["--out", "{user}"], "--out"),
    ("optimise", ["sample.customers=1000000000"], "sample.customers"),
    ("optimise", ["--out", "{file}"], "--out"),
    # cxsim-sensitivity
    ("sensitivity", ["--out", "{user}"], "--out"),
    ("sensitivity", ["--out", ""], "--out"),
    ("sensitivity", ["sample.customers=1000000000"], "sample.customers"),
    ("sensitivity", ["--samples", "1"], "--samples"),
    ("sensitivity", ["--replications", "0"], "--replications"),
    ("sensitivity", ["--method", "foo"], "--method"),
    ("sensitivity", ["--seed", "-3"], "--seed"),
    ("sensitivity", ["market.years=inf"], "market.years"),
    ("sensitivity", ["--treatment", "investment=nope"], "investment"),
    # cxsim-aggregate
    ("aggregate", ["{user}/missing"], "missing"),
    ("aggregate", ["{user}"], "not a cxsim sweep"),
    ("aggregate", ["{user}", "--bogus"], "--bogus"),
    # cxsim-dashboard
    ("dashboard", ["--customers", "0"], "--customers"),
    ("dashboard", ["--port", "70000"], "--port"),
    ("dashboard", ["--port", "abc"], "--port"),
    ("dashboard", ["--preset", "nope"], "preset"),
    ("dashboard", ["--set", "seed=-1"], "seed"),
    # experiments
    ("experiments", ["experiment=nope"], "experiment"),
    ("experiments", ["experiment=disney_lift", "seed=-1"], "seed"),
    # Hydra's other ways to name configs and the mode
    ("cxsim", ["--config-path", "{cfg}"], "--config-path"),
    ("cxsim", ["-cp", "{cfg}", *TINY], "--config-path"),
    ("cxsim", ["hydra.mode=MULTIRUN", "hydra.sweep.dir={user}"], "hydra.mode"),
    ("cxsim", ["-m", "hydra.mode=RUN", "seed=1,2"], "hydra.mode"),
    ("cxsim", ["+hydra.mode=MULTIRUN"], "hydra.mode"),
    # experiments: code, the environment, folders, flags it does not take
    ("experiments", ["experiment=disney_lift", "+hydra.callbacks.x._target_=os.system",
                     "+hydra.callbacks.x.command=touch pwned"], "_target_"),
    ("experiments", ["experiment=disney_lift", "+hydra.callbacks.x.command=ls"],
     "hydra.callbacks"),
    ("experiments", ["experiment=disney_lift", "+params._target_=os.system"], "_target_"),
    ("experiments", ["experiment=disney_lift", "+customers._target_=os.system"], "_target_"),
    ("experiments", ["experiment=disney_lift", "sample.customers=${oc.env:HOME}"],
     "sample.customers"),
    ("experiments", ["experiment=disney_lift", "name=${oc.env:HOME}"], "oc.env"),
    ("experiments", ["experiment=disney_lift",
                     "+hydra.job_logging.handlers.x.class=os.system"], "hydra.job_logging"),
    ("experiments", ["experiment=disney_lift", "hydra.run.dir={user}"], "hydra.run.dir"),
    ("experiments", ["experiment=disney_lift", "hydra.run.dir={file}"], "hydra.run.dir"),
    ("experiments", ["experiment=disney_lift", "hydra.run.dir="], "hydra.run.dir"),
    ("experiments", ["experiment=disney_lift", "output_dir={user}"], "{user}"),
    ("experiments", ["experiment=disney_lift", "-m"], "-m"),
    ("experiments", ["experiment=disney_lift", "hydra.mode=MULTIRUN"], "hydra.mode"),
    ("experiments", ["experiment=disney_lift", "--config-dir", "{cfg}"], "--config-dir"),
    ("experiments", ["experiment=disney_lift", "--config-path", "{cfg}"], "--config-path"),
    # where explore's and decide's runs go (cxsim.launchers), checked before the file
    ("explore", ["{file}", "--launcher", "dask"], "--launcher"),
    ("explore", ["{file}", "--launcher", "ray", "--ray-address", " "], "--ray-address"),
    ("explore", ["{file}", "--ray-address", "head:6379"], "--ray-address"),
    ("explore", ["{file}", "--launcher", "ray", "--ray-address", "head"], "--ray-address"),
    ("explore", ["{file}", "--slurm-partition", "short"], "--slurm-partition"),
    ("explore", ["{file}", "--launcher", "ray", "--slurm-account", "lab"], "--slurm-account"),
    ("explore", ["{file}", "--launcher", "slurm", "--slurm-minutes", "0"], "--slurm-minutes"),
    ("explore", ["{file}", "--launcher", "ray", "--jobs", "-2"], "--jobs"),
    ("decide", ["{file}", "--launcher", "cores", "--ray-address", "auto"], "--ray-address"),
    ("decide", ["{file}", "--launcher", "nope"], "--launcher"),
    ("decide", ["{file}", "--slurm-account", "lab"], "--slurm-account"),
    *([("explore", ["{file}", "--launcher", "slurm"], "--launcher slurm"),
       ("decide", ["{file}", "--launcher", "slurm"], "--launcher slurm")]
      if shutil.which("sbatch") is None else []),  # no SLURM on this machine
]


def _user_files(root: Path) -> None:
    (root / "mine").mkdir()
    (root / "mine" / "thesis.txt").write_text("years of work\n")
    (root / "notes.txt").write_text("do not delete\n")
    cfg = root / "cfg"
    (cfg / "customers").mkdir(parents=True)
    (cfg / "hydra" / "callbacks").mkdir(parents=True)
    marker = root / "pwned"
    (cfg / "customers" / "evil.yaml").write_text(
        f"boom:\n  _target_: os.system\n  command: touch {marker}\n")
    (cfg / "customers" / "envy.yaml").write_text("attitude_mean: ${oc.env:HOME}\n")
    (cfg / "customers" / "broken.yaml").write_text("attitude_mean: [1, 2\nfoo: : bar\n")
    (cfg / "hydra" / "callbacks" / "evil.yaml").write_text(
        f"evil:\n  _target_: os.system\n  command: touch {marker}\n")


def _snapshot(root: Path) -> dict[str, bytes | None]:
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None)
            for p in sorted(root.rglob("*"))}


@pytest.mark.parametrize(("command", "argv", "names"), CASES,
                         ids=[f"{c}:{' '.join(a)[:50]}" for c, a, _ in CASES])
def test_bad_input_is_one_line_exit_2_nothing_written(command, argv, names, tmp_path,
                                                      monkeypatch, capsys):
    if command == "dashboard":
        pytest.importorskip("solara")
    _user_files(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CXSIM_MAX_MEMORY_GB", raising=False)
    subst = {"{user}": str(tmp_path / "mine"), "{file}": str(tmp_path / "notes.txt"),
             "{cfg}": str(tmp_path / "cfg")}
    args = []
    for a in argv:
        for k, v in subst.items():
            a = a.replace(k, v)
        args.append(a)
    before = _snapshot(tmp_path)
    try:
        code = COMMANDS[command](args)
    except SystemExit as exc:
        code = exc.code
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, err
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for k, v in subst.items():
        names = names.replace(k, v)
    assert names in lines[0], lines[0]
    assert _snapshot(tmp_path) == before  # nothing written, the user's files untouched
    assert not (tmp_path / "pwned").exists()
    os.environ.pop("CXSIM_MAX_MEMORY_GB", None)


def test_the_matrix_is_large():
    assert len(CASES) >= 60
    assert {c for c, _, _ in CASES} == set(COMMANDS)


def test_unicode_text_is_accepted_when_quoted():
    from cxsim.run import compose

    assert compose(["dealers.dealers.0.name='Händler Ø'"]).dealers.dealers[0].name == \
        "Händler Ø"
