"""An options file: the market, a status quo and named options, read and checked.

Everything is checked before any run, and a bad file stops with one line
naming the key and what is allowed (:class:`~cxsim.config.ConfigError`).

.. code-block:: yaml

    name: four_stores
    group: Metro Motors            # whose P&L decides (default: the market's only group)
    market:                        # any of cxsim's config sections, as in conf/
      market: {households: 80000}
      dealers: {dealers: [{name: North, group: Metro Motors, x_km: -10, y_km: 0}, ...]}
    horizon_years: 5
    discount_rate: 0.08
    replications: 20               # or {target_width_k: 300, max: 60}
    status_quo: {}                 # a programme, {} for none
    options:
      two_bays: {stores: [North], extra_bays: 2}

``market`` may instead name a calibrated-market file (``market: market.yaml``,
relative to the options file, as ``cxsim-calibrate`` writes it): its market, and
its posterior draws, one parameter set per pair of replications.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cxsim.config import ConfigError, RunConfig
from cxsim.config.investment import resolve_stores
from cxsim.posterior import Posterior, check_name, read_calibrated
from cxsim.programme import SPEND_LINES, Programme

TOP_KEYS = ("name", "question", "group", "market", "overrides", "horizon_years",
            "discount_rate", "seed", "replications", "status_quo", "options")
PROGRAMME_KEYS = ("stores", "spend", "extra_bays", "one_off_k", "yearly_k", "start_week",
                  "copied_by", "copy_after_weeks")
PRECISION_KEYS = ("target_width_k", "max", "min")
REQUIRED = ("status_quo", "options")
STATUS_QUO = "status_quo"


@dataclass
class Precision:
    """Replications: a fixed number, or until the group NPV difference's 95 % interval
    is narrower than ``target_width_k`` for every option (at most ``most``)."""

    least: int = 20
    most: int = 20
    target_width_k: float | None = None


@dataclass
class Options:
    """A checked options file: one run config per arm (the status quo first)."""

    name: str
    question: str
    unit: str  # whose P&L decides: "group:<g>" or a store's name
    arms: dict[str, RunConfig]  # status_quo first, then the options in file order
    programmes: dict[str, Programme]
    stores: dict[str, list[str]]  # arm -> store names the programme runs at
    precision: Precision
    seed: int = 0
    source: str = ""
    notes: dict[str, str] = field(default_factory=dict)
    posterior: Posterior | None = None  # a calibrated market's draws
    calibrated: str = ""  # the calibrated-market file


def _bad(key: str, what: str) -> ConfigError:
    return ConfigError(f"{key}: {what}")


def _mapping(value: Any, key: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _bad(key, f"{value!r} is not a mapping; allowed: key: value lines")
    return dict(value)


def _unknown(given: Mapping, allowed: tuple[str, ...], where: str) -> None:
    for k in given:
        if k not in allowed:
            at = f"{where}.{k}" if where else str(k)
            raise ConfigError(f"unknown key {at!r}; allowed: {', '.join(allowed)}")


def _number(value: Any, key: str, low: float = 0.0, high: float = math.inf,
            whole: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(
            value) or not low <= value <= high or (whole and value != int(value)):
        kind = "a whole number" if whole else "a number"
        span = f">= {low:g}" if high == math.inf else f"{low:g} to {high:g}"
        raise ConfigError(f"{key}={value!r}; allowed: {kind} {span}")
    return float(value)


def read_yaml(path: str | Path) -> dict:
    """The file's mapping; malformed YAML or a missing file is one line."""
    import yaml

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror}); allowed: a readable "
                          "YAML file") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}{line}: not valid YAML ({getattr(exc, 'problem', '')}); "
                          "allowed: a YAML mapping") from None
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path}: not a mapping of keys; allowed: {', '.join(TOP_KEYS)}")
    return dict(data)


def market_config(data: Mapping) -> RunConfig:
    """The market: conf/'s defaults, then ``overrides``, then the ``market`` sections."""
    from omegaconf import OmegaConf

    from cxsim.compose import explain
    from cxsim.run import compose

    overrides = data.get("overrides") or []
    if not isinstance(overrides, list) or not all(isinstance(o, str) for o in overrides):
        raise _bad("overrides", "allowed: a list of key=value texts")
    try:
        base = compose(overrides)
        node = OmegaConf.merge(OmegaConf.structured(base), _mapping(data.get("market"),
                                                                     "market"))
        cfg = OmegaConf.to_object(node)
    except ConfigError as exc:
        raise ConfigError(f"market: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - Hydra's and OmegaConf's errors, one line
        raise ConfigError(f"market: {explain(exc)}") from None
    assert isinstance(cfg, RunConfig)
    return cfg


def _programme(raw: Any, key: str, base: RunConfig) -> tuple[RunConfig, Programme, list[str]]:
    spec = _mapping(raw, key)
    _unknown(spec, PROGRAMME_KEYS, key)
    dealers = base.dealers
    names = [d.name for d in dealers.dealers]
    stores = spec.get("stores", [])
    stores = [stores] if isinstance(stores, str) else stores
    if not isinstance(stores, list) or not all(isinstance(s, str) for s in stores):
        raise _bad(f"{key}.stores", "allowed: a store name, group:<group>, all, or a list")
    where = resolve_stores(stores, dealers, key=f"{key}.stores")
    spend = _mapping(spec.get("spend"), f"{key}.spend")
    for line, v in spend.items():
        if line not in SPEND_LINES:
            raise ConfigError(f"unknown key '{key}.spend.{line}'; allowed: "
                              f"{', '.join(SPEND_LINES)}")
        _number(v, f"{key}.spend.{line}")
    numbers = {k: _number(spec[k], f"{key}.{k}", whole=k in ("extra_bays", "start_week",
                                                             "copy_after_weeks"))
               for k in ("extra_bays", "one_off_k", "yearly_k", "start_week",
                         "copy_after_weeks") if k in spec}
    copied_by = spec.get("copied_by")
    if copied_by is not None and copied_by not in names:
        raise _bad(f"{key}.copied_by", f"unknown store {copied_by!r}; allowed: "
                   f"{', '.join(names)}")
    if copied_by is not None and names.index(copied_by) in where:
        raise _bad(f"{key}.copied_by", f"{copied_by!r} runs the programme itself; allowed: "
                   "a store the programme does not run at")
    prog = Programme(spend, extra_bays=int(numbers.get("extra_bays", 0)),
                     bay_cost_k=dealers.bay_cost_k, name=key.rsplit(".", 1)[-1],
                     bay_capital_k=base.economics.bay_capital_k,
                     one_off_k=numbers.get("one_off_k", 0.0),
                     yearly_k=numbers.get("yearly_k", 0.0))
    inv = prog.to_investment(base.investment)
    inv.stores = [names[i] for i in where]
    inv.start_week = int(numbers.get("start_week", 0))
    inv.copy_after_weeks = int(numbers.get("copy_after_weeks", inv.copy_after_weeks))
    inv.copied_by = names.index(copied_by) if copied_by is not None else -1
    if inv.start_week >= base.weeks:
        raise _bad(f"{key}.start_week", f"{inv.start_week} is past the horizon; allowed: "
                   f"0 to {base.weeks - 1} (recorded weeks)")
    try:
        cfg = replace(copy.deepcopy(base), investment=inv)
    except ConfigError as exc:
        raise ConfigError(f"{key}: {exc}") from None
    return cfg, prog, inv.stores


def _precision(raw: Any) -> Precision:
    if isinstance(raw, Mapping):
        _unknown(raw, PRECISION_KEYS, "replications")
        if "target_width_k" not in raw:
            raise _bad("replications", "allowed: a number, or target_width_k with max")
        width = _number(raw["target_width_k"], "replications.target_width_k", low=1e-9)
        most = int(_number(raw.get("max", 60), "replications.max", 3, 10_000, whole=True))
        least = int(_number(raw.get("min", 5), "replications.min", 3, most, whole=True))
        return Precision(least, most, width)
    n = int(_number(raw, "replications", 2, 10_000, whole=True))
    return Precision(n, n, None)


def _unit(data: Mapping, base: RunConfig) -> str:
    groups = list(dict.fromkeys(d.group for d in base.dealers.dealers if d.group))
    group = data.get("group")
    if group is not None:
        if group not in groups:
            raise _bad("group", f"unknown group {group!r}; allowed: "
                       f"{', '.join(groups) or 'none (no store has a group)'}")
        return f"group:{group}"
    if len(groups) == 1:
        return f"group:{groups[0]}"
    if groups:
        raise _bad("group", f"missing; allowed: one of {', '.join(groups)} (whose P&L "
                   "decides)")
    return base.dealers.dealers[base.dealers.focal].name


def load_options(path: str | Path) -> Options:
    """Read and check an options file; raise :class:`ConfigError` (one line) if bad."""
    data = read_yaml(path)
    _unknown(data, TOP_KEYS, "")
    for k in REQUIRED:
        if k not in data:
            raise _bad(k, "missing; allowed: " + (
                "a programme ({} for the market as it is)" if k == STATUS_QUO
                else "named programmes, e.g. two_bays: {stores: [North], extra_bays: 2}"))
    posterior, calibrated = None, ""
    if isinstance(data.get("market"), str):
        calibrated = str(Path(path).parent / data["market"])
        market, posterior = read_calibrated(calibrated)
        data = {**data, "market": market["market"],
                "overrides": [*market["overrides"], *(data.get("overrides") or [])]}
    options = _mapping(data["options"], "options")
    if not options:
        raise _bad("options", "empty; allowed: at least one named option")
    if STATUS_QUO in options:
        raise _bad(f"options.{STATUS_QUO}", "reserved; allowed: another name")
    base = market_config(data)
    for name in posterior.names if posterior is not None else ():
        try:
            check_name(base, name)
        except ConfigError as exc:
            raise ConfigError(f"market: {calibrated}: {exc}") from None
    if "horizon_years" in data:
        years = data["horizon_years"]
        if isinstance(years, bool) or not isinstance(years, int | float) or not (
                1 / 52 <= years <= 30):
            raise ConfigError(f"horizon_years={years!r}; allowed: 1/52 <= horizon_years "
                              "<= 30 (years)")
        base.market.years = float(years)
    if "discount_rate" in data:
        base.economics.discount_rate = _number(data["discount_rate"], "discount_rate", 0, 1)
    base.progress, base.plots = False, False
    arms, progs, stores = {}, {}, {}
    for arm, raw in [(STATUS_QUO, data[STATUS_QUO]), *options.items()]:
        key = STATUS_QUO if arm == STATUS_QUO else f"options.{arm}"
        if not isinstance(arm, str) or not arm.replace("_", "").replace("-", "").isalnum():
            raise _bad(key, "allowed: a name of letters, digits, _ and -")
        arms[arm], progs[arm], stores[arm] = _programme(raw, key, base)
    seed = int(_number(data.get("seed", 0), "seed", 0, 2**63 - 1, whole=True))
    name = str(data.get("name") or "".join(
        c if c.isalnum() or c in "_-" else "_" for c in Path(path).stem) or "decide")
    if not name.replace("_", "").replace("-", "").isalnum():
        raise _bad("name", f"{name!r}; allowed: letters, digits, _ and -")
    return Options(name=name, question=str(data.get("question") or ""),
                   unit=_unit(data, base), arms=arms, programmes=progs, stores=stores,
                   precision=_precision(data.get("replications", 20)), seed=seed,
                   source=str(path), posterior=posterior, calibrated=calibrated)
