"""A worker's jobs composed once: a job that differs from the last composed one
only in plain values (a sweep over seeds, or over a spend) is that config with
those values changed.

Composing a job's config is Hydra's largest per-job cost in a cxsim sweep
(reading every config group's YAML, merging them, validating against the
structured configs: about as long as a batched replication's simulation).
The values a sweep changes are applied last when Hydra composes (after every
group is merged), so changing them on a copy of the composed config gives the
same config, which ``tests/test_sweeps.py`` checks file by file. Anything
else (a group choice, an added or deleted key, a dict or list value, Hydra's
own keys) is composed in full.
"""

# No ``from __future__ import annotations``: Hydra imports plugin modules in a way
# that leaves string annotations unresolvable.
import copy
from collections.abc import Callable
from typing import Any

from hydra._internal.config_loader_impl import get_overrides_dirname  # what Hydra uses
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override
from omegaconf import DictConfig, OmegaConf


def _plain(override: Override, groups: Any) -> bool:
    """A ``key=value`` change of one scalar value, not of a config group."""
    return (not override.is_add() and not override.is_force_add() and not override.is_delete()
            and not override.is_hydra_override() and override.package is None
            and not override.is_sweep_override()
            and override.key_or_group not in groups
            and not isinstance(override.value(), (dict, list)))


class Composer:
    """Configs for a worker's jobs: ``compose(overrides)`` in full, or a copy of the
    last composed config where only plain values differ."""

    def __init__(self, compose: Callable[[list[str]], DictConfig]) -> None:
        self._compose = compose
        self._parser = OverridesParser.create()
        self._template: tuple[DictConfig, list[Override]] | None = None

    def __call__(self, overrides: list[str]) -> DictConfig:
        parsed = self._parser.parse_overrides(overrides=overrides)
        config = self._changed(parsed) if self._template is not None else None
        if config is None:
            config = self._compose(overrides)
            self._template = (config, parsed)
        return config

    def _changed(self, parsed: list[Override]) -> DictConfig | None:
        template, before = self._template
        groups = template.hydra.runtime.choices
        if len(parsed) != len(before):
            return None
        changes = []
        for old, new in zip(before, parsed, strict=True):
            if old.input_line == new.input_line:
                continue
            if old.key_or_group != new.key_or_group or not (_plain(old, groups)
                                                             and _plain(new, groups)):
                return None
            changes.append(new)
        config = copy.deepcopy(template)
        for override in changes:
            OmegaConf.update(config, override.key_or_group, override.value(), merge=True)
        hc = config.hydra
        task = [o.input_line for o in parsed if not o.is_hydra_override()]
        hc.overrides.task = task
        hc.job.override_dirname = get_overrides_dirname(
            overrides=[o for o in parsed if not o.is_hydra_override()],
            kv_sep=hc.job.config.override_dirname.kv_sep,
            item_sep=hc.job.config.override_dirname.item_sep,
            exclude_keys=hc.job.config.override_dirname.exclude_keys)
        return config
