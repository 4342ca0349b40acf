"""No code from a config: what a user's overrides and config files may not do.

Hydra instantiates whatever ``_target_`` a config names (callbacks,
launchers, sweepers) and configures logging from dictConfig (handler
``class`` and ``()`` factories): a config that can name them can run code.
cxsim's own launchers, sweepers and callbacks are chosen by name
(``hydra/launcher=cores``); a ``_target_`` is accepted only if it is one of
theirs (registered in Hydra's ConfigStore or written in ``conf/hydra``).

Resolvers: ``${oc.env:...}`` is refused in overrides and in the model's
config, so no environment value enters ``config.json`` unnoticed; plain
interpolations (``${seed}``) and ``${now:...}`` in folder names are fine.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from hydra.core.config_store import ConfigStore
from hydra.core.override_parser.types import Override
from omegaconf import DictConfig, OmegaConf

from cxsim.compose import CONF_DIR
from cxsim.config import ConfigError

_CODE_KEYS = ("_target_", "()", "_partial_", "_args_")
_CODE_OVERRIDES = ("hydra.callbacks", "hydra.job_logging", "hydra.hydra_logging")
_ENV = re.compile(r"\$\{\s*oc\.env\s*:")


def _own_targets() -> set[str]:
    """Every ``_target_`` cxsim and its installed Hydra plugins offer by name."""
    found = {"cxsim.sweep.SweepCallback"}
    repo = ConfigStore.instance().repo.get("hydra", {})
    for group in ("launcher", "sweeper", "callbacks"):
        for node in (repo.get(group) or {}).values():
            target = OmegaConf.select(OmegaConf.create(node.node), "_target_") \
                if hasattr(node, "node") else None
            if target:
                found.add(str(target))
    for path in (CONF_DIR / "hydra").rglob("*.yaml"):
        found.update(re.findall(r"_target_:\s*([\w.]+)", path.read_text()))
    return found


def check_overrides(overrides: Sequence[Override]) -> None:
    """Refuse overrides that name code or read the environment."""
    for o in overrides:
        key = o.get_key_element().lstrip("+~")
        text = o.input_line or key
        if any(k in key for k in _CODE_KEYS) or "_target_" in text:
            raise ConfigError(f"{key}: a config may not name code (_target_); allowed: "
                              "cxsim's own launchers, sweepers and callbacks by name, "
                              "e.g. hydra/launcher=cores")
        if key.startswith(_CODE_OVERRIDES) and not key.endswith(".level"):
            raise ConfigError(f"{key}: callbacks and logging handlers cannot be set from the "
                              "command line; allowed: hydra/callbacks=sweep, "
                              "hydra/job_logging=<name>, *.level")
        if _ENV.search(text):
            raise ConfigError(f"{key}: ${{oc.env:...}} is refused (an environment value "
                              "would enter the results unnoticed); allowed: literal values")


def _walk(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for k, v in node.items():
            sub = f"{path}.{k}" if path else str(k)
            yield sub, v
            yield from _walk(v, sub)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk(v, f"{path}[{i}]")


def check_composed(cfg: DictConfig) -> None:
    """Refuse a composed config (user config files included) that names foreign code."""
    whole = OmegaConf.to_container(cfg, resolve=False)
    assert isinstance(whole, dict)
    hydra = whole.get("hydra") or {}
    allowed = _own_targets()
    for section in ("callbacks", "launcher", "sweeper"):
        for key, value in _walk({section: hydra.get(section)}):
            if key.endswith("_target_") and str(value) not in allowed:
                raise ConfigError(f"hydra.{key}={value}: not one of cxsim's own; allowed: "
                                  "cxsim's launchers, sweepers and callbacks by name")
    for section in ("job_logging", "hydra_logging"):
        for key, value in _walk({section: hydra.get(section)}):
            leaf = key.rsplit(".", 1)[-1]
            if leaf in _CODE_KEYS or (leaf == "class" and not str(value).startswith(
                    ("logging.", "hydra."))):
                raise ConfigError(f"hydra.{key}={value}: logging may not name code; "
                                  "allowed: logging.* handlers and formatters")
    task = {k: v for k, v in whole.items() if k != "hydra"}
    for key, value in _walk(task):
        if key.rsplit(".", 1)[-1] in _CODE_KEYS:
            raise ConfigError(f"{key}: a config may not name code (_target_); allowed: "
                              "the model's keys")
        if isinstance(value, str) and _ENV.search(value):
            raise ConfigError(f"{key}={value}: ${{oc.env:...}} is refused (an environment "
                              "value would enter the results unnoticed); allowed: literal "
                              "values")
