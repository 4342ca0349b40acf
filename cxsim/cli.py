"""The ``cxsim`` command: a thin Hydra entry point around :func:`cxsim.results.run`.

Before Hydra makes a run folder, the overrides are composed and validated
once, so that bad input costs one plain line, exit code 2, and no folder.
"""

from __future__ import annotations

import logging
import shutil
import sys
import time
from dataclasses import replace
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from cxsim.compose import CONF_DIR, compose_config, explain, to_run_config

BAD_INPUT = 2
# Hydra flags that take the next argument as their value.
_FLAGS_WITH_VALUE = {"--config-path", "-cp", "--config-name", "-cn", "--config-dir", "-cd",
                     "--cfg", "-c", "--package", "-p", "--experimental-rerun"}


def _user_overrides(argv: list[str]) -> list[str]:
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg.startswith("-"):
            skip = arg in _FLAGS_WITH_VALUE
            continue
        key = arg.lstrip("+~").split("=", 1)[0]
        if key.startswith("hydra"):
            continue
        out.append(arg)
    return out


def _candidates(overrides: list[str]) -> list[list[str]]:
    """One override list per value of every sweep, the others at their first value."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parsed = OverridesParser.create().parse_overrides(overrides)
    if not any(o.is_sweep_override() for o in parsed):
        return [overrides]
    first = []
    values = []
    for o in parsed:
        key = o.get_key_element()
        vals = list(o.sweep_string_iterator()) if o.is_sweep_override() else \
            [o.get_value_element_as_str()]
        values.append([f"{key}={v}" for v in vals])
        first.append(values[-1][0])
    lists = []
    for i, vals in enumerate(values):
        for v in vals:
            lists.append(first[:i] + [v] + first[i + 1:])
    return lists


def _sets_plots(task_overrides: list[str]) -> bool:
    """True if the user gave ``plots=...`` on the command line."""
    return any(o.lstrip("+~").split("=", 1)[0] == "plots" for o in task_overrides)


def preflight(argv: list[str]) -> str | None:
    """None if every override composes into a valid config, else the one-line reason."""
    try:
        for overrides in _candidates(_user_overrides(argv)):
            to_run_config(compose_config(overrides))
    except Exception as exc:  # noqa: BLE001 - every failure becomes one plain line
        return explain(exc)
    return None


@hydra.main(version_base=None, config_path=str(CONF_DIR), config_name="config")
def _app(cfg: DictConfig) -> None:
    from cxsim.results import run
    from cxsim.sweep import already_done

    logging.getLogger("MESA").setLevel(logging.WARNING)
    hc = HydraConfig.get()
    out = Path(hc.runtime.output_dir)
    try:
        run_cfg = to_run_config(cfg)
        if hc.mode == RunMode.MULTIRUN and not _sets_plots(list(hc.overrides.task)):
            # A sweep's jobs skip their own PNGs (drawing them costs about as much as
            # simulating); the sweep's summary plots cover the sweep. plots=true asks.
            run_cfg = replace(run_cfg, plots=False)
        if already_done(out, run_cfg):  # a resumed sweep: this job finished before
            print(f"cxsim: skipped, already done -> {out}")
            return
        started = time.perf_counter()
        run(run_cfg, out)
    except BaseException:
        shutil.rmtree(out, ignore_errors=True)
        raise
    print(f"cxsim: {run_cfg.customers.n:,} customers, {run_cfg.weeks} weeks in "
          f"{time.perf_counter() - started:.1f} s -> {out}")


def main() -> None:
    """Console entry point (``cxsim`` and ``python -m cxsim``)."""
    argv = sys.argv[1:]
    if not any(a in ("--help", "-h", "--hydra-help", "--info", "-i", "--cfg", "-c",
                     "--shell-completion", "-sc") for a in argv):
        reason = preflight(argv)
        if reason is not None:
            print(f"cxsim: error: {reason}", file=sys.stderr)
            sys.exit(BAD_INPUT)
    _app()


if __name__ == "__main__":
    main()
