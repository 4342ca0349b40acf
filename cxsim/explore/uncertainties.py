"""What nobody controls: declared uncertainties, their ranges, labels and config keys.

An uncertainty is a config key (any of cxsim's, docs/ODD.md §9, e.g.
``market.friction_decline`` or ``dealers.dealers.*.gross_per_vehicle`` for
every store) with a range, or a list of values, and a plain-words label used
in the sentences that describe where an option fails. :data:`CATALOGUE` names
the usual ones with default ranges; ``cost_inflation`` is not a model key: it
grows the programme's cash costs (:mod:`cxsim.explore.money`).

>>> u = Uncertainty("friction_trend", "market.friction_decline", 0.0, 0.15)
>>> from cxsim.config import RunConfig
>>> cfg = apply(RunConfig(), {u.key: 0.1})
>>> cfg.market.friction_decline
0.1
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

from cxsim.config import ConfigError, RunConfig

COST_INFLATION = "cost_inflation"
"""The one uncertainty that is not a model key: a yearly rate on the programme's costs."""
NOBODY = "nobody"
"""``investment.copied_by``'s value for no rival copying (the model's -1)."""
SPEC_KEYS = ("key", "range", "values", "label", "unit")
UNITS = ("", "%", "weeks", "k$", "points", "households")


@dataclass
class Uncertainty:
    """One uncertainty: a key with a range ``[low, high]`` (or ``values``) and a label."""

    name: str
    key: str
    low: float = math.nan
    high: float = math.nan
    label: str = ""
    unit: str = ""  # "%": shown x 100 in sentences
    values: list[Any] = field(default_factory=list)  # categorical if not empty
    integer: bool = False

    @property
    def categorical(self) -> bool:
        return bool(self.values)

    def show(self, x: float) -> str:
        """``x`` in the uncertainty's unit, for a sentence.

        >>> Uncertainty("f", "market.friction_decline", unit="%").show(0.061)
        '6.1 %'
        """
        if self.unit == "%":
            return f"{100 * x:.1f} %"
        text = f"{x:.0f}" if self.integer or abs(x) >= 100 else f"{x:.3g}"
        return f"{text} {self.unit}".strip()


def _rival(base: RunConfig, group: str) -> str | None:
    """The first store outside the deciding group (a rival who may copy)."""
    outside = [d.name for i, d in enumerate(base.dealers.dealers)
               if (d.group != group if group else i != base.dealers.focal)]
    return outside[0] if outside else None


Default = Callable[[RunConfig, str], dict[str, Any] | None]
CATALOGUE: dict[str, Default] = {
    "friction_trend": lambda b, g: dict(
        key="market.friction_decline", low=0.0, high=0.15, unit="%",
        label="friction (the cost of switching dealers) falls a year by"),
    "rival_copies": lambda b, g: None if _rival(b, g) is None else dict(
        key="investment.copied_by", values=[NOBODY, _rival(b, g)],
        label="the rival who copies the programme"),
    "rival_delay": lambda b, g: dict(
        key="investment.copy_after_weeks", low=13, high=104, unit="weeks",
        label="the rival copies after"),
    "market_size": lambda b, g: dict(
        key="market.households", low=0.8 * b.market.households,
        high=1.2 * b.market.households, unit="households",
        label="the market (demand) holds"),
    "word_of_mouth": lambda b, g: dict(
        key="word_of_mouth.listen_weight", low=0.05, high=0.25,
        label="word of mouth moves a listener's attitude by (share of the gap)"),
    "expectation_drift": lambda b, g: dict(
        key="touchpoints.expectation_drift", low=0.05, high=0.25,
        label="expectations drift toward experience by (per episode)"),
    "spend_half": lambda b, g: dict(
        key="dealers.spend_half", low=0.5 * b.dealers.spend_half,
        high=2.0 * b.dealers.spend_half, unit="k$",
        label="the yearly spend per touchpoint that buys half the way to the ceiling is"),
    "quality_ceiling": lambda b, g: dict(
        key="dealers.quality_max", low=8.5, high=10.0, unit="points",
        label="the quality ceiling money can buy is"),
    "quality_lag": lambda b, g: dict(
        key="dealers.quality_lag_weeks", low=8.0, high=52.0, unit="weeks",
        label="quality takes to follow spend (lag)"),
    COST_INFLATION: lambda b, g: dict(
        key=COST_INFLATION, low=0.0, high=0.08, unit="%",
        label="the programme's costs rise a year by"),
}
"""Named uncertainties and their default ranges (assumptions: wide, plausible spans
around the defaults of docs/ODD.md §9). Demand *growth* and the *strength* of a
rival's copy have no key in the model: ``market_size`` varies the market's size,
and a rival copies the whole programme or nothing."""


# -- config keys --------------------------------------------------------------------------
def _parts(key: str) -> list[str]:
    return key.replace("[", ".").replace("]", "").split(".")


def targets(cfg: Any, key: str) -> list[tuple[Any, str]]:
    """``(object, attribute)`` pairs the dotted ``key`` names in ``cfg`` (``*``: every
    item of a list); raise :class:`ConfigError` for a key the config does not have."""
    parts = _parts(key)
    objs: list[Any] = [cfg]
    for depth, part in enumerate(parts[:-1]):
        nxt: list[Any] = []
        for o in objs:
            if isinstance(o, list):
                if part == "*":
                    nxt.extend(o)
                elif part.isdigit() and int(part) < len(o):
                    nxt.append(o[int(part)])
                else:
                    raise _unknown(key, ".".join(parts[:depth]), f"0..{len(o) - 1} or *")
            elif is_dataclass(o) and part in {f.name for f in fields(o)}:
                nxt.append(getattr(o, part))
            else:
                raise _unknown(key, ".".join(parts[:depth]), _names(o))
        objs = nxt
    last = parts[-1]
    for o in objs:
        if not is_dataclass(o) or last not in {f.name for f in fields(o)} or is_dataclass(
                getattr(o, last)) or isinstance(getattr(o, last), list | dict):
            raise _unknown(key, ".".join(parts[:-1]), _names(o))
    return [(o, last) for o in objs]


def _names(o: Any) -> str:
    if is_dataclass(o):
        return ", ".join(f.name for f in fields(o))
    return "a key of cxsim's config (docs/ODD.md §9)"


def _unknown(key: str, where: str, allowed: str) -> ConfigError:
    at = f" under {where!r}" if where else ""
    return ConfigError(f"unknown config key {key!r}{at}; allowed: {allowed}")


def _revalidate(obj: Any) -> None:
    """Re-run every section's checks (children first) after keys were set by hand."""
    if isinstance(obj, list):
        for item in obj:
            _revalidate(item)
    if not is_dataclass(obj):
        return
    for f in fields(obj):
        _revalidate(getattr(obj, f.name))
    check = getattr(obj, "__post_init__", None)
    if check is not None:
        check()


def store_index(cfg: RunConfig, value: Any) -> int:
    """``investment.copied_by``'s index for a store name (or ``nobody``: -1)."""
    names = [d.name for d in cfg.dealers.dealers]
    if value == NOBODY or value == -1:
        return -1
    if value in names:
        return names.index(value)
    raise ConfigError(f"unknown store {value!r}; allowed: {NOBODY}, {', '.join(names)}")


def apply(cfg: RunConfig, values: Mapping[str, Any], check: bool = False) -> RunConfig:
    """A copy of ``cfg`` with each key set (``cost_inflation`` is skipped: not a model
    key); ``check`` re-runs the config's own validation."""
    out = copy.deepcopy(cfg)
    for key, v in values.items():
        if key == COST_INFLATION:
            continue
        if key == "investment.copied_by":
            v = store_index(out, v)
        for obj, attr in targets(out, key):
            old = getattr(obj, attr)
            setattr(obj, attr, type(old)(v) if isinstance(old, int | float | str) else v)
    if check:
        _revalidate(out)
    return out


# -- declared in a file ---------------------------------------------------------------------
def _range(raw: Any, key: str, integer: bool) -> tuple[float, float]:
    ok = isinstance(raw, list | tuple) and len(raw) == 2 and all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
        for v in raw)
    if not ok:
        raise ConfigError(f"{key}={raw!r}; allowed: [low, high], two finite numbers")
    low, high = float(raw[0]), float(raw[1])
    if low == high:
        raise ConfigError(f"{key}={raw!r} is empty; allowed: [low, high] with low < high")
    if low > high:
        raise ConfigError(f"{key}={raw!r} is inverted; allowed: [low, high] with low < high")
    if integer and (low != int(low) or high != int(high)):
        raise ConfigError(f"{key}={raw!r}; allowed: whole numbers (an integer key)")
    return low, high


def declare(name: str, raw: Any, base: RunConfig, group: str = "") -> Uncertainty:
    """One uncertainty from its file entry (a catalogue name may leave out anything)."""
    where = f"uncertainties.{name}"
    spec = {} if raw is None else raw
    if not isinstance(spec, Mapping):
        raise ConfigError(f"{where}={raw!r}; allowed: a mapping of {', '.join(SPEC_KEYS)}")
    for k in spec:
        if k not in SPEC_KEYS:
            raise ConfigError(f"unknown key '{where}.{k}'; allowed: {', '.join(SPEC_KEYS)}")
    known = CATALOGUE[name](base, group) if name in CATALOGUE else None
    if name in CATALOGUE and known is None and "values" not in spec:
        raise ConfigError(f"{where}: no store outside the deciding group could copy; "
                          "allowed: values: [nobody, <store>]")
    merged = {**(known or {}), **dict(spec)}
    if "key" not in merged:
        raise ConfigError(f"{where}.key: missing; allowed: a config key (docs/ODD.md §9) "
                          f"or a named uncertainty: {', '.join(CATALOGUE)}")
    key = merged["key"]
    if not isinstance(key, str) or not key:
        raise ConfigError(f"{where}.key={key!r}; allowed: a dotted config key")
    if known is not None and key != known["key"]:
        raise ConfigError(f"{where}.key={key!r}: {name!r} is a named uncertainty of "
                          f"{known['key']!r}; allowed: that key, or another name")
    unit = merged.get("unit", "")
    if unit not in UNITS:
        raise ConfigError(f"{where}.unit={unit!r}; allowed: {', '.join(map(repr, UNITS))}")
    if key == COST_INFLATION:
        integer = False
    else:
        try:
            old = getattr(*targets(base, key)[0])
        except ConfigError as exc:
            raise ConfigError(f"{where}.key: {exc}") from None
        integer = isinstance(old, int) and not isinstance(old, bool)
    u = Uncertainty(name, key, label=str(merged.get("label") or name.replace("_", " ")),
                    unit=unit, integer=integer)
    if "values" in spec or ("range" not in spec and "values" in merged):
        values = merged["values"]
        if not isinstance(values, list) or len(values) < 2 or len(set(map(str, values))) \
                != len(values):
            raise ConfigError(f"{where}.values={values!r}; allowed: a list of at least two "
                              "different values")
        u.values, ends = list(values), list(values)
    else:
        if "range" in spec:
            u.low, u.high = _range(spec["range"], f"{where}.range", integer)
        elif "low" in merged:
            u.low, u.high = float(merged["low"]), float(merged["high"])
        else:
            raise ConfigError(f"{where}.range: missing; allowed: [low, high] or values")
        ends = [u.low, u.high]
        if key == COST_INFLATION and not -1 < u.low:
            raise ConfigError(f"{where}.range={[u.low, u.high]}; allowed: rates > -1")
    for v in ends:
        try:
            apply(base, {key: v}, check=True)
        except (ConfigError, TypeError, ValueError) as exc:
            raise ConfigError(f"{where}: {v!r} is not allowed ({exc})") from None
    return u


def declare_all(raw: Any, base: RunConfig, group: str = "") -> list[Uncertainty]:
    """Every entry of an ``uncertainties:`` section (None: the whole catalogue)."""
    if raw is None:
        return [declare(n, None, base, group) for n in CATALOGUE
                if CATALOGUE[n](base, group) is not None]
    if isinstance(raw, list) and all(isinstance(n, str) for n in raw):
        raw = dict.fromkeys(raw)
    if not isinstance(raw, Mapping):
        raise ConfigError(f"uncertainties={raw!r}; allowed: a mapping of name: {{key, range, "
                          "label}} (or a list of named uncertainties)")
    if not raw:
        raise ConfigError("uncertainties: empty; allowed: at least one uncertainty, e.g. "
                          "friction_trend: {range: [0.0, 0.15]}")
    for name in raw:
        if not isinstance(name, str) or not name.replace("_", "").isalnum():
            raise ConfigError(f"uncertainties.{name}: allowed: a name of letters, digits "
                              "and _")
    return [declare(n, spec, base, group) for n, spec in raw.items()]
