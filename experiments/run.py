"""Run a named experiment: ``python -m experiments.run experiment=<name> [overrides]``.

A small Hydra app over ``conf/``: the primary config is
:class:`experiments.common.ExperimentConfig` and the experiment files live in
the ``conf/experiment`` group. Experiment keys are set directly
(``replications=20 jobs=1 params.target_pct=25``); model keys
(``sample.customers=5000``, ``market.years=3``, ``industry=boat`` ...) are gathered
into ``model=[...]`` and applied to every arm after the experiment's own. The
report folder is ``results/experiments/<name>/`` (``report.md``, PNG, Parquet,
``summary.json``, Hydra's ``.hydra/``).

Bad input (an unknown experiment, key or value) stops with one line and exit
code 2 before anything runs.
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

from experiments.common import CONF_DIR, MODEL_ROOTS, ExperimentConfig, Report, compose_arms

BAD_INPUT = 2
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


def _compose(argv: list[str]) -> DictConfig:
    """The experiment config these arguments give (Hydra's compose API, no folder)."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    overrides = [a for a in argv if not a.startswith("-")
                 and not a.lstrip("+~").startswith("hydra")]
    if any(a.startswith("-m") or a == "--multirun" for a in argv):  # a sweep: check one
        overrides = [o.split(",")[0] if "=" in o and "[" not in o else o for o in overrides]
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(CONF_DIR), version_base=None):
            return compose(config_name="experiment_app", overrides=overrides)
    finally:
        GlobalHydra.instance().clear()


def check(argv: list[str]) -> str | None:
    """None if the arguments give a runnable experiment, else the one-line reason."""
    from cxsim.compose import explain

    try:
        exp = _compose(argv)
    except Exception as e:  # noqa: BLE001 - every failure becomes one plain line
        return _explain_experiment(e, argv) or explain(e)
    return preflight(exp)


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
    print(f"\n{exp.name}: {time.perf_counter() - started:.0f} s -> {out / 'report.md'}")


def main() -> None:
    """Entry point: ``python -m experiments.run experiment=<name> ...``."""
    argv = split_argv(sys.argv[1:])
    if not any(a in ("--help", "-h", "--hydra-help", "--info", "-i", "--cfg", "-c")
               for a in argv):
        reason = check(argv)
        if reason is not None:
            print(f"experiments: error: {reason}", file=sys.stderr)
            sys.exit(BAD_INPUT)
    sys.argv = [sys.argv[0], *argv]
    _app()


if __name__ == "__main__":
    main()
