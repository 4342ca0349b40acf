"""Run a named experiment: ``python -m experiments.run experiment=<name> [overrides]``.

A small Hydra app over ``conf/``: the primary config is
:class:`experiments.common.ExperimentConfig` and the experiment files live in
the ``conf/experiment`` group. Experiment keys are set directly
(``replications=20 jobs=1 params.target_pct=25``); model keys
(``sample.customers=5000``, ``market.years=3``, ``industry=boat`` ...) are gathered
into ``model=[...]`` and applied to every arm after the experiment's own. The
report folder is ``results/experiments/<name>/`` (``report.md``, PNG, Parquet,
``summary.json``, Hydra's ``.hydra/``).

Bad input (an unknown experiment, key or value, an override naming code or
reading the environment) stops with one line and exit code 2 before anything
runs. The report is built in a staging folder and renamed onto its folder when
complete (replacing an earlier report there, never a folder holding other
files: :mod:`cxsim.safety`); Ctrl-C or SIGTERM is one line, exit 130 or 143,
and keeps nothing.
"""

from __future__ import annotations

import importlib
import logging
import sys
import time
from pathlib import Path

import hydra
from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from cxsim.config import ConfigError
from cxsim.interrupts import Interrupted, interrupts, raise_on_signals
from experiments.common import CONF_DIR, MODEL_ROOTS, ExperimentConfig, Report, compose_arms

BAD_INPUT = 2
# Hydra's flags that print something instead of running.
_SHOW_ONLY = ("--help", "-h", "--hydra-help", "--info", "-i", "--cfg", "-c")
# Hydra's flags this command does not take, and why (one line each, before anything runs).
_REFUSED = {
    "-m": "an experiment is one run; run one command per experiment",
    "--multirun": "an experiment is one run; run one command per experiment",
    "hydra.mode": "an experiment is one run; run one command per experiment",
    "--config-dir": "experiments are the files of conf/experiment",
    "-cd": "experiments are the files of conf/experiment",
    "--config-path": "experiments are the files of conf/experiment",
    "-cp": "experiments are the files of conf/experiment",
    "--config-name": "the config is experiment_app; choose one with experiment=NAME",
    "-cn": "the config is experiment_app; choose one with experiment=NAME",
}
ConfigStore.instance().store(name="experiment_app", node=ExperimentConfig)


def split_argv(argv: list[str]) -> list[str]:
    """Gather model overrides into one ``model=[...]`` override; keep the others."""
    keep, model = [], []
    for arg in argv:
        key = arg.lstrip("+~").split("=", 1)[0]
        if not arg.startswith("-") and "=" in arg and key.split(".")[0] in MODEL_ROOTS:
            model.append(arg)
        else:
            keep.append(arg)
    if model:
        quoted = ",".join("'" + m.replace("\\", "\\\\").replace("'", "\\'") + "'"
                          for m in model)
        # Before the first flag: Hydra wants the overrides in one run.
        at = next((i for i, a in enumerate(keep) if a.startswith("-")), len(keep))
        keep.insert(at, f"++model=[{quoted}]")
    return keep


def run_experiment(exp: DictConfig, out: Path) -> Report:
    """Run ``exp`` and write its report folder ``out``; return the report."""
    module = importlib.import_module(f"experiments.{exp.analysis}")
    report = Report(out, exp)
    module.run(exp, report)
    report.finish()
    return report


def preflight(exp: DictConfig) -> str | None:
    """None if the analysis exists and every arm composes, else the reason."""
    from cxsim.compose import explain

    try:
        importlib.import_module(f"experiments.{exp.analysis}")
    except ImportError:
        return f"analysis={exp.analysis!r} is not a module of experiments/"
    if exp.replications < 1:
        return f"replications={exp.replications}; allowed: >= 1"
    try:
        compose_arms(exp, exp.arms or {"model": []})
    except Exception as e:  # noqa: BLE001 - every failure becomes one plain line
        return explain(e)
    return None


def _compose(argv: list[str], hydra: bool = False) -> DictConfig:
    """The experiment config these arguments give (Hydra's compose API, no folder);
    with its ``hydra`` node (and the ``hydra.*`` overrides) if ``hydra``."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    overrides = [a for a in argv if not a.startswith("-")
                 and (hydra or not a.lstrip("+~").startswith("hydra"))]
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(CONF_DIR), version_base=None):
            return compose(config_name="experiment_app", overrides=overrides,
                           return_hydra_config=hydra)
    finally:
        GlobalHydra.instance().clear()


def _refused_flag(argv: list[str]) -> str | None:
    for a in argv:
        flag = a.split("=", 1)[0].lstrip("+~")
        if flag in _REFUSED:
            return f"{flag}: not taken by this command ({_REFUSED[flag]})"
    return None


def check(argv: list[str], raw: list[str] | None = None) -> str | None:
    """None if the arguments give a runnable experiment, else the one-line reason
    (``raw``: the arguments as typed, so that a refused override is named as typed)."""
    from cxsim import guard
    from cxsim import preflight as cx_preflight
    from cxsim.compose import explain

    if (reason := _refused_flag(argv)) is not None:
        return reason
    try:
        # Code or the environment named by an override: refused before Hydra sees it.
        guard.check_overrides(cx_preflight.parse_each([a for a in (raw or argv)
                                                        if not a.startswith("-")]))
        whole = _compose(argv, hydra=True)
        guard.check_composed(whole)
        exp = _compose(argv)
    except Exception as e:  # noqa: BLE001 - every failure becomes one plain line
        return _explain_experiment(e, argv) or explain(e)
    return preflight(exp)


def report_dir(argv: list[str]) -> str:
    """The report folder these arguments name (``hydra.run.dir``, resolved)."""
    from omegaconf import OmegaConf

    return str(OmegaConf.select(_compose(argv, hydra=True), "hydra.run.dir"))


def _explain_experiment(exc: BaseException, argv: list[str]) -> str | None:
    """One line for a bad experiment-level key (model keys are cxsim's to explain)."""
    import re

    text = "\n".join(str(e) for e in (exc, exc.__cause__, exc.__context__) if e)
    names = sorted(p.stem for p in (CONF_DIR / "experiment").glob("*.yaml"))
    if re.search(r"Could not find '/?experiment/", text) or "experiment" not in " ".join(argv):
        return f"unknown experiment; allowed: experiment={'|'.join(names)}"
    m = re.search(r"Could not override '([^']+)'", text) or \
        re.search(r"Key '([^']+)' (?:is )?not in", text)
    if not m:
        return None
    key = m.group(1)
    if key.startswith("params"):
        chosen = [a for a in argv if a.startswith("experiment=")]
        try:
            allowed = sorted(_compose(chosen).params)
        except Exception:  # noqa: BLE001 - fall back to no list
            allowed = []
        return f"unknown key {key!r}; params of this experiment: {', '.join(allowed)}"
    fields = sorted(f for f in ExperimentConfig.__dataclass_fields__ if f not in
                    ("defaults", "hydra"))
    return (f"unknown key {key!r}; experiment keys: {', '.join(fields)}; model keys start "
            f"with {', '.join(MODEL_ROOTS)}")


@hydra.main(version_base=None, config_path=str(CONF_DIR), config_name="experiment_app")
def _app(exp: DictConfig) -> None:
    logging.getLogger("MESA").setLevel(logging.WARNING)
    out = Path(HydraConfig.get().runtime.output_dir)
    started = time.perf_counter()
    report = run_experiment(exp, out)
    print(f"\n== {exp.name} ({exp.pattern}): {exp.question}")
    for block in report.console:
        print("\n" + block)
    print()
    for h in report.headlines:
        print(f"- {h}")
    shown = _target[0] if _target else out  # the folder the report is renamed onto
    print(f"\n{exp.name}: {time.perf_counter() - started:.0f} s -> {shown / 'report.md'}")


_target: list[Path] = []


def _fail(reason: str) -> None:
    print(f"experiments: error: {reason}", file=sys.stderr)
    sys.exit(BAD_INPUT)


def main() -> None:
    """Entry point: ``python -m experiments.run experiment=<name> ...``."""
    raise_on_signals()
    try:
        _main()
    except Interrupted as exc:  # before the report folder was claimed
        print("experiments: interrupted before starting; nothing written", file=sys.stderr)
        sys.exit(exc.code)


def _main() -> None:
    from cxsim.safety import RunFolder

    argv = split_argv(sys.argv[1:])
    if any(a in _SHOW_ONLY for a in argv):
        sys.argv = [sys.argv[0], *argv]
        _app()
        return
    if (reason := check(argv, sys.argv[1:])) is not None:
        _fail(reason)
    try:
        folder = RunFolder(report_dir(argv), replace_report=True)
    except ConfigError as exc:
        _fail(str(exc))
    staged = "'" + str(folder.staging).replace("\\", "\\\\").replace("'", "\\'") + "'"
    sys.argv = [sys.argv[0], *argv, f"hydra.run.dir={staged}"]
    _target[:] = [folder.target]
    try:
        with interrupts():
            _app()
    except Interrupted as exc:
        folder.abandon()
        print("experiments: interrupted; nothing kept", file=sys.stderr)
        sys.exit(exc.code)
    except BaseException:
        folder.abandon()  # what this run created, nothing else
        raise
    try:
        folder.commit()
    except ConfigError as exc:
        _fail(str(exc))


if __name__ == "__main__":
    main()
