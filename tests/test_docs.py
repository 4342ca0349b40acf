"""The ODD's parameter tables (docs/ODD.md section 9) agree with cxsim/config/.

Each ``####`` heading of section 9 names the config dataclass its tables
describe (a paragraph that starts with a class name switches to that class).
Every field needs a row with its dotted key and its default; every row must
name a real field. Defaults are compared as values: numbers as numbers
(``20,000``, ``−0.9``), booleans, words, lists; a field holding one value per
touchpoint must quote each distinct value; a list of dealers gives its count.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from cxsim import config
from cxsim.compose import CONF_DIR, load_config

ODD = Path(__file__).resolve().parent.parent / "docs" / "ODD.md"
CLASSES = {name: obj for name, obj in vars(config).items()
           if dataclasses.is_dataclass(obj) and obj.__module__.startswith(config.__name__)}
NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?|-?\.\d+")


def _prefixes() -> dict[type, str]:
    """Each section's key prefix: ``customers.`` for CustomersConfig, "" for the rest."""
    out = {cls: "" for cls in CLASSES.values()}
    for f in dataclasses.fields(config.RunConfig):
        default = getattr(config.RunConfig(), f.name)
        if dataclasses.is_dataclass(default):
            out[type(default)] = f"{f.name}."
    return out


def _tables() -> dict[type, list[tuple[list[str], list[list[str]]]]]:
    """Section 9's tables by the class they describe: (header, rows) each."""
    text = ODD.read_text(encoding="utf-8")
    section = text.split("### 9. Parameters", 1)[1].split("\n### 10.", 1)[0]
    out: dict[type, list] = {}
    current: type | None = None
    table: list[list[str]] = []

    def flush() -> None:
        if table and current is not None:
            out.setdefault(current, []).append((table[0], table[2:]))
        table.clear()

    for line in section.splitlines():
        if line.startswith("|"):
            table.append([c.strip() for c in line.strip().strip("|").split("|")])
            continue
        flush()
        named = re.findall(r"`(\w+)`", line)
        if line.startswith("####"):
            current = next((CLASSES[n] for n in named if n in CLASSES), None)
        elif named and line.startswith(f"`{named[0]}`") and named[0] in CLASSES:
            current = CLASSES[named[0]]
    flush()
    return out


TABLES = _tables()


def _numbers(cell: str) -> list[float]:
    return [float(n.replace(",", "")) for n in NUMBER.findall(cell.replace("−", "-"))]


def _rows(cls: type) -> dict[str, tuple[list[str], list[str]]]:
    return {row[0].strip("`"): (header, row) for header, rows in TABLES.get(cls, [])
            for row in rows}


def _check_default(key: str, value: object, cell: str) -> None:
    cell = cell.replace("−", "-").replace("**", "")
    if isinstance(value, bool):
        assert cell.split()[0].lower() == str(value).lower(), (key, cell)
    elif isinstance(value, int | float):
        assert _numbers(cell)[:1] == [pytest.approx(value)], (key, cell)
    elif isinstance(value, str):
        assert cell.split(" (")[0].strip('"`') == value, (key, cell)
    elif isinstance(value, config.TouchpointValues):
        for v in set(value.as_list()):
            assert v in _numbers(cell), f"{key}: {v} not in {cell!r}"
    elif isinstance(value, list) and value and dataclasses.is_dataclass(value[0]):
        assert _numbers(cell)[:1] == [len(value)], (key, cell)
    elif isinstance(value, list):
        if value:
            assert _numbers(cell)[:len(value)] == pytest.approx(value), (key, cell)
        else:
            assert cell.startswith("[]"), (key, cell)


def _documented() -> list[type]:
    return [cls for cls in CLASSES.values() if dataclasses.fields(cls)]


@pytest.mark.parametrize("cls", _documented(), ids=lambda c: c.__name__)
def test_every_field_has_a_row_with_its_default(cls):
    assert cls in TABLES, f"docs/ODD.md section 9 has no table for {cls.__name__}"
    prefix, rows, instance = _prefixes()[cls], _rows(cls), cls()
    for f in dataclasses.fields(cls):
        value = getattr(instance, f.name)
        if dataclasses.is_dataclass(value) and not isinstance(value, config.TouchpointValues):
            continue  # a config section of its own (9.x)
        key = prefix + f.name + (".<touchpoint>" if isinstance(value, config.TouchpointValues)
                                 else "")
        assert key in rows, f"docs/ODD.md: no row `{key}` in the {cls.__name__} table"
        header, row = rows[key]
        column = next(i for i, h in enumerate(header) if "default" in h)
        _check_default(key, value, row[column])


@pytest.mark.parametrize("cls", _documented(), ids=lambda c: c.__name__)
def test_every_row_names_a_field(cls):
    prefix = _prefixes()[cls]
    names = {f.name for f in dataclasses.fields(cls)}
    for key in _rows(cls):
        assert key.startswith(prefix), f"{key}: keys of {cls.__name__} start with {prefix!r}"
        assert key[len(prefix):].split(".")[0] in names, f"docs/ODD.md: {key} is no field"


def test_per_instance_defaults_match_the_default_market():
    # The dealers' and segments' own defaults, quoted beside the class defaults.
    dealers = config.DealersConfig().dealers
    for key, (_, row) in _rows(config.DealerSpec).items():
        if "(defaults:" in row[2] and isinstance(getattr(dealers[0], key), float):
            quoted = _numbers(row[2].split("(defaults:", 1)[1])
            assert quoted == [getattr(d, key) for d in dealers], (key, row[2])
    segments = config.CustomersConfig().segments
    for header, rows in TABLES[config.SegmentSpec]:
        for row in rows:
            for name, spec in segments.items():
                cell = row[header.index(name)]
                assert _numbers(cell) == [getattr(spec, row[0].strip("`"))], (name, row)


def test_group_defaults_add_nothing_to_the_dataclasses():
    # Defaults live in cxsim/config/ only: the default composition is the
    # dataclasses' own defaults, and the groups' default files set no key.
    assert load_config([]) == config.RunConfig()
    for path in sorted(CONF_DIR.glob("*/default.yaml")):
        keys = [ln for ln in path.read_text().splitlines() if ln and not ln.startswith("#")]
        assert not keys, f"{path} repeats defaults: {keys}"
