"""Hydra glue: the schema in the ConfigStore, composing configs, plain-words errors."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from hydra.core.config_store import ConfigStore
from omegaconf import DictConfig, OmegaConf

from cxsim.config import ConfigError, RunConfig
from cxsim.config.sample import RENAMED


def _conf_dir() -> Path:
    """The checkout's ``conf/`` when running from one, else the copy installed with cxsim.

    The wheel carries ``conf/`` inside the package (``pyproject.toml`` maps it to
    ``cxsim.conf``), so a plain ``pip install`` finds it; in a checkout (editable
    install or ``PYTHONPATH``) the top-level folder users edit is the one read.
    """
    root = Path(__file__).resolve().parent.parent
    if (root / "pyproject.toml").is_file() and (root / "conf" / "config.yaml").is_file():
        return root / "conf"
    return Path(str(resources.files("cxsim") / "conf"))


CONF_DIR = _conf_dir()

ConfigStore.instance().store(name="schema", node=RunConfig)


def to_run_config(cfg: DictConfig) -> RunConfig:
    """A composed Hydra config as the typed, validated :class:`RunConfig`."""
    if OmegaConf.get_type(cfg) is RunConfig and "hydra" not in cfg:
        # Composed on the schema already (a job's config): instantiate it directly,
        # which runs the same validation at a twentieth of a fresh merge's cost.
        obj = OmegaConf.to_object(cfg)
        assert isinstance(obj, RunConfig)
        return obj
    node = {k: v for k, v in cfg.items() if k != "hydra"}
    obj = OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(RunConfig), node))
    assert isinstance(obj, RunConfig)
    return obj


def compose_config(overrides: list[str] | None = None, config_name: str = "config",
                   hydra: bool = False) -> DictConfig:
    """Compose ``conf/`` with command-line style overrides (no run folder is made);
    ``hydra=True`` keeps Hydra's own node."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    if GlobalHydra.instance().is_initialized():
        GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base=None):
        return compose(config_name=config_name, overrides=list(overrides or []),
                       return_hydra_config=hydra)


def load_config(overrides: list[str] | None = None, config_name: str = "config"
                ) -> RunConfig:
    """The validated run config for these overrides (e.g. ``["seed=7"]``)."""
    return to_run_config(compose_config(overrides, config_name))


def _groups() -> list[str]:
    return sorted(p.name for p in CONF_DIR.iterdir() if p.is_dir())


def explain(exc: BaseException) -> str:
    """One line saying which key or value is wrong and what is allowed."""
    if isinstance(exc, ConfigError):
        return str(exc)
    msgs = []
    e: BaseException | None = exc
    while e is not None:
        mark = getattr(e, "problem_mark", None)
        if mark is not None:  # malformed YAML: the file and line
            return (f"{mark.name}:{mark.line + 1}: not valid YAML "
                    f"({getattr(e, 'problem', None) or 'unreadable'}); allowed: a YAML mapping")
        msgs.append(str(e))
        e = e.__cause__ or e.__context__
    text = "\n".join(msgs)
    renamed = _renamed(text)
    if renamed:
        return renamed
    m = re.search(r"Could not find '([\w/]+)/([^']+)'", text)
    if m:
        group, value = m.group(1), m.group(2)
        options = sorted(p.stem for p in (CONF_DIR / group).glob("*.yaml")) \
            if (CONF_DIR / group).is_dir() else []
        return f"unknown {group} preset {value!r}; allowed: {', '.join(options)}"
    m = re.search(r"Key '([^']+)' not in '(\w+)'", text) or \
        re.search(r"Key '([^']+)' is not in struct", text)
    if m:
        key = m.group(1)
        full = re.search(r"full_key: ([\w.\[\]]+)", text)
        full_key = full.group(1) if full else key
        parent = full_key.rsplit(".", 1)[0] if "." in full_key else ""
        allowed = _allowed_keys(parent)
        return f"unknown key {full_key!r}; allowed here: {', '.join(allowed)}"
    m = re.search(r"Value '([^']*)' (?:of type '\w+' )?could not be converted to (\w+)", text)
    if m:
        full = re.search(r"full_key: ([\w.\[\]]+)", text)
        key = full.group(1) if full else "a key"
        return f"{key}={m.group(1)!r} is not a valid {m.group(2).lower()}"
    m = re.search(r"Cannot find primary config '([^']+)'", text)
    if m:
        return f"--config-name {m.group(1)}: no such config; allowed: config, or a file " \
            "in --config-dir"
    m = re.search(r"Could not override '([^']+)'", text)
    if m:
        return f"cannot set {m.group(1)!r}: no such key (groups: {', '.join(_groups())})"
    first = next((line.strip() for line in text.splitlines() if line.strip()), repr(exc))
    return first


def _renamed(text: str) -> str | None:
    """The one line naming a renamed key's new name, if the error is about one."""
    for m in re.finditer(r"(?:Key '|full_key: |override ')([\w.\[\]]+)", text):
        key = m.group(1)
        for old, line in RENAMED.items():  # a full key, or a per-store key's last part
            if key == old or key.endswith("." + old) or ("." not in old and key == old):
                return line
    return None


def _allowed_keys(parent: str) -> list[str]:
    node = OmegaConf.structured(RunConfig)
    if parent:
        try:
            node = OmegaConf.select(node, parent)
        except Exception:  # noqa: BLE001 - fall back to the top level
            node = OmegaConf.structured(RunConfig)
    if isinstance(node, DictConfig):
        return sorted(str(k) for k in node.keys())
    return sorted(str(k) for k in OmegaConf.structured(RunConfig).keys())
