"""The ``cxsim`` command: a thin Hydra entry point around :func:`cxsim.results.run`.

Before Hydra makes a run folder, the overrides are composed and validated
once, so that bad input costs one plain line, exit code 2, and no folder.
"""

from __future__ import annotations

import logging
import shutil
import sys
import time
from dataclasses import fields, is_dataclass, replace
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from cxsim.compose import CONF_DIR, compose_config, explain, to_run_config
from cxsim.config import RunConfig

BAD_INPUT = 2
# Hydra flags that take the next argument as their value.
_FLAGS_WITH_VALUE = {"--config-path", "-cp", "--config-name", "-cn", "--config-dir", "-cd",
                     "--cfg", "-c", "--package", "-p", "--experimental-rerun"}


_PREFLIGHT_PASSED = False


def preflight_passed() -> bool:
    """True once this process's command line passed :func:`preflight` (see the sweeper)."""
    return _PREFLIGHT_PASSED


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


def _sets_plots(task_overrides: list[str]) -> bool:
    """True if the user gave ``plots=...`` on the command line."""
    return any(o.lstrip("+~").split("=", 1)[0] == "plots" for o in task_overrides)


def _sweeps(overrides: list[str]) -> tuple[list[str], list[tuple[str, list, list[str]]]]:
    """The overrides at their first values, and each sweep's (key, values, as text)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    first, sweeps = [], []
    for o in OverridesParser.create().parse_overrides(overrides):
        key = o.get_key_element()
        if o.is_sweep_override():
            texts = [f"{key}={v}" for v in o.sweep_string_iterator()]
            sweeps.append((key, list(o.sweep_iterator()), texts))
        else:
            texts = [f"{key}={o.get_value_element_as_str()}"]
        first.append(texts[0])
    return first, sweeps


def _with_value(base: RunConfig, key: str, value: object) -> RunConfig | None:
    """``base`` with one plain field changed and validated, or None if that needs Hydra.

    Validation is the dataclasses' own ``__post_init__`` (``replace`` runs it), so
    a sweep over a thousand seeds costs a thousand small replaces, not a thousand
    Hydra compositions (a quarter of a second each). Anything but a scalar field
    given a value of its own type (a config group, a list, a quoted string, a
    conversion) returns None and is composed in full.
    """
    if not isinstance(key, str) or key.startswith(("+", "~")):
        return None
    parts = key.split(".")
    chain: list[object] = [base]
    for name in parts[:-1]:
        node = getattr(chain[-1], name, None)
        if not is_dataclass(node):
            return None
        chain.append(node)
    leaf = parts[-1]
    if not is_dataclass(chain[-1]) or leaf not in {f.name for f in fields(chain[-1])}:
        return None
    kind = type(getattr(chain[-1], leaf))
    if kind not in (bool, int, float, str) or not (
            type(value) is kind or (kind is float and type(value) is int)):
        return None
    new: object = replace(chain[-1], **{leaf: kind(value)})
    for node, name in zip(reversed(chain[:-1]), reversed(parts[:-1]), strict=True):
        new = replace(node, **{name: new})
    assert isinstance(new, RunConfig)
    return new


def preflight(argv: list[str]) -> str | None:
    """None if every override composes into a valid config, else the one-line reason.

    In a sweep, every value of every swept key is checked with the other keys at
    their first values.
    """
    try:
        first, sweeps = _sweeps(_user_overrides(argv))
        base = to_run_config(compose_config(first))
        for key, values, texts in sweeps:
            for value, text in zip(values[1:], texts[1:], strict=True):
                if _with_value(base, key, value) is None:
                    others = [f for f in first if f.split("=", 1)[0] != key]
                    to_run_config(compose_config([*others, text]))
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
            print(f"cxsim: skipped, already done -> {out}", flush=True)
            return
        started = time.perf_counter()
        run(run_cfg, out)
    except BaseException:
        shutil.rmtree(out, ignore_errors=True)
        raise
    # flushed whole: a sweep's workers share stdout
    print(f"cxsim: {run_cfg.customers.n:,} customers, {run_cfg.weeks} weeks in "
          f"{time.perf_counter() - started:.1f} s -> {out}", flush=True)


def main() -> None:
    """Console entry point (``cxsim`` and ``python -m cxsim``)."""
    argv = sys.argv[1:]
    if not any(a in ("--help", "-h", "--hydra-help", "--info", "-i", "--cfg", "-c",
                     "--shell-completion", "-sc") for a in argv):
        reason = preflight(argv)
        if reason is not None:
            print(f"cxsim: error: {reason}", file=sys.stderr)
            sys.exit(BAD_INPUT)
        global _PREFLIGHT_PASSED
        _PREFLIGHT_PASSED = True
    _app()


if __name__ == "__main__":
    main()
