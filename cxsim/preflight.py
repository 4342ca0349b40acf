"""Checking every job's config of a command line before anything runs.

Both the ``cxsim`` command (before Hydra makes a folder) and cxsim's sweeper
(before each batch is launched) call :func:`check_jobs`. Hydra's own check
composes every job in full, about a quarter of a second each, so over four
minutes before a 1,000-job sweep starts. Here only the first job is composed;
a job that differs from it in plain scalar values is that config with those
fields replaced, and ``dataclasses.replace`` runs the same ``__post_init__``
validation that composing would. Anything else is composed in full, and so is
any job the shortcut rejects, so that every error comes from a full
composition and reads the same as it would without the shortcut.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields, is_dataclass, replace
from pathlib import Path

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override, Transformer

from cxsim.config import ConfigError, RunConfig

Compose = Callable[[list[str]], RunConfig]


def parse_overrides(texts: Sequence[str]) -> list[Override]:
    """Hydra's own parse of command-line overrides (sweeps, groups, ``+``/``~``)."""
    return OverridesParser.create().parse_overrides(list(texts))


def parse_each(texts: Sequence[str]) -> list[Override]:
    """:func:`parse_overrides`, naming the override Hydra's grammar could not read."""
    out = []
    for text in texts:
        try:
            out.extend(parse_overrides([text]))
        except Exception:  # noqa: BLE001 - Hydra's parse errors do not name the override
            raise ConfigError(
                f"{text}: cannot read this override; allowed: key=value, key=[a,b], "
                "-m key=a,b; quote text with spaces or non-ASCII letters: key='Händler'"
            ) from None
    return out


def swept_values(overrides: Sequence[Override]) -> dict[str, object]:
    """Each swept ``key=value`` job text, as Hydra's sweeper writes it, with its value.

    Pairs are taken from one pass of the sweep, so a shuffled sweep still maps
    each text to its own value.
    """
    values: dict[str, object] = {}
    for o in overrides:
        if o.is_sweep_override() and o.is_discrete_sweep():
            key = o.get_key_element()
            for text, value in o.sweep_iterator(transformer=lambda x: (Transformer.str(x), x)):
                values[f"{key}={text}"] = value
    return values


def jobs_of(overrides: Sequence[Override]) -> list[list[str]]:
    """Every job's overrides, in the order Hydra's basic sweeper runs them."""
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper

    return [job for batch in BasicSweeper.split_arguments(list(overrides), None)
            for job in batch]


def with_value(base: RunConfig, key: str, value: object) -> RunConfig | None:
    """``base`` with one plain field changed and validated, or None if that needs Hydra.

    Anything but a scalar field given a value of its own type (a config group,
    a list, a quoted string, a conversion, ``+``/``~``) returns None.
    """
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


def _shortcut(base: RunConfig, first: Sequence[str], job: Sequence[str],
              values: Mapping[str, object]) -> RunConfig | None:
    """``job``'s config derived from ``base`` (the first job's), or None."""
    if len(job) != len(first):
        return None
    cfg: RunConfig | None = base
    for text, first_text in zip(job, first, strict=True):
        if text == first_text:
            continue
        key = text.split("=", 1)[0]
        if key != first_text.split("=", 1)[0] or text not in values or cfg is None:
            return None
        try:
            cfg = with_value(cfg, key, values[text])
        except ConfigError:
            return None  # maybe only this order of changes is invalid: compose it
    return cfg


def check_jobs(jobs: Sequence[Sequence[str]], values: Mapping[str, object],
               compose: Compose, inspect: Callable[[RunConfig], None] | None = None) -> None:
    """Raise the first job's error unless every job makes a valid :class:`RunConfig`.

    ``values`` maps swept ``key=value`` texts to their parsed values
    (:func:`swept_values`); ``compose`` builds a job's config in full;
    ``inspect`` (e.g. the size guard) sees every job's config and may raise too.
    """
    if not jobs:
        return
    first = list(jobs[0])
    base = compose(first)
    if inspect is not None:
        inspect(base)
    for job in jobs[1:]:
        cfg = _shortcut(base, first, job, values) or compose(list(job))
        if inspect is not None:
            inspect(cfg)


def task_overrides(overrides: Sequence[Override]) -> list[Override]:
    """The overrides that set the model's config (not ``hydra.*``)."""
    return [o for o in overrides if not o.is_hydra_override()]


def check_group_values(overrides: Sequence[Override], conf_dir: Path | None = None) -> None:
    """Refuse a config group given something other than a preset name (``market=5``),
    which Hydra reports without naming the group."""
    from cxsim.compose import CONF_DIR

    root = conf_dir or CONF_DIR
    for o in overrides:
        key = o.get_key_element().lstrip("+~")
        if "." in key or not (root / key).is_dir() or o.is_sweep_override():
            continue
        value = o.value()
        if not isinstance(value, (str, list)):
            names = sorted(p.stem for p in (root / key).glob("*.yaml"))
            raise ConfigError(f"{key}={value} is not a preset name; allowed: "
                              f"{', '.join(names)}")
