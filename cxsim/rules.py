"""Swappable rules: alternative implementations of a process, chosen by name.

Each process of the model (``PROCESSES``) is a class in :mod:`cxsim.processes`
registered here as ``"default"``. A researcher changes one rule by
subclassing it and registering the subclass under a new name::

    from cxsim.processes.word_of_mouth import WordOfMouth
    from cxsim.rules import register

    @register("word_of_mouth", "good_news_only")
    class GoodNewsOnly(WordOfMouth):
        def hear(self, listeners, dealers, heard):
            keep = heard >= self.cfg.word_of_mouth.talk_neutral
            super().hear(listeners[keep], dealers[keep], heard[keep])

and selects it in the config: ``rules.word_of_mouth=good_news_only``. The config
holds names only; the module that registers a rule is imported by the user
(Python), by ``--rules FILE`` on the command line (:func:`load_module`), or by an
installed package's ``cxsim.rules`` entry point (:func:`load_entry_points`).
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path
from typing import TypeVar

from cxsim.config import ConfigError, RulesConfig

PROCESSES: tuple[str, ...] = ("entry", "shopping", "purchase", "service", "word_of_mouth")
"""Processes whose rule can be swapped, one field each in :class:`RulesConfig`."""

ENTRY_POINT_GROUP = "cxsim.rules"

_REGISTRY: dict[str, dict[str, type]] = {p: {} for p in PROCESSES}
_LOADED: set[str] = set()  # files and the entry-point group already imported here

C = TypeVar("C", bound=type)


def register(process: str, name: str) -> Callable[[C], C]:
    """Class decorator: make ``cls`` selectable as ``rules.<process>=<name>``."""
    if process not in _REGISTRY:
        raise ValueError(f"unknown process {process!r}; allowed: {', '.join(PROCESSES)}")

    def add(cls: C) -> C:
        _REGISTRY[process][name] = cls
        return cls

    return add


def registered(process: str) -> list[str]:
    """Names registered for a process, sorted."""
    return sorted(_REGISTRY[process])


def rule(process: str, name: str) -> type:
    """The class registered as ``name`` for ``process``; ConfigError if there is none."""
    found = _REGISTRY[process].get(name)
    if found is None and ENTRY_POINT_GROUP not in _LOADED:
        # Installed packages' rules are imported on first need, not at every start
        # (scanning installed packages costs about 0.1 s).
        load_entry_points()
        found = _REGISTRY[process].get(name)
    if found is None:
        raise ConfigError(f"rules.{process}={name!r} is not a registered rule; "
                          f"allowed: {', '.join(registered(process))}")
    return found


def selected(cfg: RulesConfig) -> dict[str, type]:
    """The class of every process as the config names them (all checked first)."""
    return {p: rule(p, getattr(cfg, p)) for p in PROCESSES}


def load_entry_points() -> list[str]:
    """Import every installed package's ``cxsim.rules`` entry point (they register
    their rules on import); returns the entry points' names."""
    _LOADED.add(ENTRY_POINT_GROUP)
    names = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        ep.load()
        names.append(ep.name)
    return names


def load_module(path: str | Path) -> None:
    """Import a user's Python file so that the rules it registers become selectable.

    Once per process: a file named again (a sweep's jobs in a worker) is not rerun.
    """
    given = path
    path = Path(path).expanduser().resolve()
    if not path.is_file():
        raise ConfigError(f"--rules {given}: no such file")
    if str(path) in _LOADED:
        return
    _LOADED.add(str(path))
    name = f"cxsim_user_rules_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
