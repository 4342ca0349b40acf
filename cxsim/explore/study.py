"""An exploration: a ``decide`` options file (the levers), its uncertainties and settings.

The file is an options file (:mod:`cxsim.decide.options`) with two more
sections, both optional:

.. code-block:: yaml

    uncertainties:                   # none: every named one, default ranges
      friction_trend: {range: [0.0, 0.15]}
      rival_copies: {values: [nobody, City Auto]}
      margin: {key: dealers.dealers.*.gross_per_vehicle, range: [2.5, 3.5], unit: k$}
    explore:
      scenarios: 500
      replications: 1                # per option and scenario, on common seeds
      threshold_k: 0                 # an option fails where its outcome is below this
      outcome: npv_k                 # or npv_with_terminal_k

Everything is checked before any run; a bad file is one line naming the key.
"""

from __future__ import annotations

import hashlib
import math
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cxsim.config import ConfigError
from cxsim.decide.options import STATUS_QUO, Options, load_options, read_yaml
from cxsim.explore.uncertainties import NOBODY, Uncertainty, declare_all

EXPLORE_KEYS = ("scenarios", "replications", "threshold_k", "outcome")
OUTCOMES = ("npv_k", "npv_with_terminal_k")
"""Outcomes an option's failure may be judged on (k$, the deciding unit vs status quo)."""
DEFAULT_SCENARIOS = 200


@dataclass
class Study:
    """A checked exploration: options (status quo first), uncertainties, settings."""

    options: Options
    uncertainties: list[Uncertainty]
    scenarios: int = DEFAULT_SCENARIOS
    replications: int = 1
    threshold_k: float = 0.0
    outcome: str = "npv_k"
    digest: str = ""  # SHA-256 of the file(s) read: an edited file is another study

    @property
    def name(self) -> str:
        return self.options.name

    @property
    def option_names(self) -> list[str]:
        return [a for a in self.options.arms if a != STATUS_QUO]

    def fingerprint(self) -> dict[str, Any]:
        """What fixes every run's numbers: a resumed exploration must match it."""
        return {"source": Path(self.options.source).name, "digest": self.digest,
                "seed": self.options.seed,
                "scenarios": self.scenarios, "replications": self.replications,
                "arms": list(self.options.arms),
                "uncertainties": [(u.name, u.key, u.low, u.high, [str(v) for v in u.values])
                                  for u in self.uncertainties]}


def _whole(value: Any, key: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(f"{key}={value!r}; allowed: a whole number >= {low}")
    return int(value)


def _settings(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"explore={raw!r}; allowed: a mapping of {', '.join(EXPLORE_KEYS)}")
    for k in raw:
        if k not in EXPLORE_KEYS:
            raise ConfigError(f"unknown key 'explore.{k}'; allowed: {', '.join(EXPLORE_KEYS)}")
    out: dict[str, Any] = {}
    if "scenarios" in raw:
        out["scenarios"] = _whole(raw["scenarios"], "explore.scenarios", 1)
    if "replications" in raw:
        out["replications"] = _whole(raw["replications"], "explore.replications", 1)
    if "threshold_k" in raw:
        t = raw["threshold_k"]
        if isinstance(t, bool) or not isinstance(t, int | float) or not math.isfinite(t):
            raise ConfigError(f"explore.threshold_k={t!r}; allowed: a number (k$)")
        out["threshold_k"] = float(t)
    if "outcome" in raw:
        if raw["outcome"] not in OUTCOMES:
            raise ConfigError(f"explore.outcome={raw['outcome']!r}; allowed: "
                              f"{', '.join(OUTCOMES)}")
        out["outcome"] = raw["outcome"]
    return out


def options_of(data: Mapping, source: str | Path) -> Options:
    """:func:`cxsim.decide.options.load_options` of a mapping (the file without the
    explore sections)."""
    import yaml

    data = dict(data)
    if isinstance(data.get("market"), str):  # a calibrated market, beside the options file
        data["market"] = str((Path(source).parent / data["market"]).resolve())
    data.setdefault("name", "".join(c if c.isalnum() or c in "_-" else "_"
                                    for c in Path(source).stem) or "explore")
    with tempfile.TemporaryDirectory(prefix="cxsim-explore-") as tmp:
        path = Path(tmp) / "options.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        options = load_options(path)
    options.source = str(source)
    return options


def _rivals_allowed(study: Study) -> None:
    for u in study.uncertainties:
        if u.key != "investment.copied_by":
            continue
        for v in u.values:
            for arm, stores in study.options.stores.items():
                if v != NOBODY and v in stores:
                    raise ConfigError(f"uncertainties.{u.name}.values: {v!r} runs "
                                      f"{arm!r} itself; allowed: {NOBODY} or a store "
                                      "no option runs at")


def load_study(path: str | Path, uncertainties: str | Path | None = None,
               **overrides: Any) -> Study:
    """Read and check an exploration; ``uncertainties`` is another file's
    ``uncertainties:`` section (or the whole file a mapping of them); ``overrides``
    (scenarios, replications, threshold_k, outcome; None: the file's) win."""
    data = read_yaml(path)
    raw_u = data.pop("uncertainties", None)
    settings = _settings(data.pop("explore", None))
    if uncertainties is not None:
        other = read_yaml(uncertainties)
        raw_u = other.get("uncertainties", other)
    options = options_of(data, path)
    given = {k: v for k, v in overrides.items() if v is not None}
    for k in ("scenarios", "replications"):
        if k in given:
            _whole(given[k], f"--{k}", 1)
    if given.get("outcome", "npv_k") not in OUTCOMES:
        raise ConfigError(f"--outcome {given['outcome']}; allowed: {', '.join(OUTCOMES)}")
    base = options.arms[STATUS_QUO]
    group = options.unit[len("group:"):] if options.unit.startswith("group:") else ""
    study = Study(options, declare_all(raw_u, base, group), **{**settings, **given})
    study.digest = hashlib.sha256(b"".join(
        Path(p).read_bytes() for p in (path, uncertainties) if p is not None)).hexdigest()
    keys = [u.key for u in study.uncertainties]
    for u in study.uncertainties:
        if keys.count(u.key) > 1:
            raise ConfigError(f"uncertainties.{u.name}.key={u.key!r} is declared twice; "
                              "allowed: one uncertainty per key")
    _rivals_allowed(study)
    return study
