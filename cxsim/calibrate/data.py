"""A dealer group's own history: the tidy CSV, read and checked.

One row per month, store and metric::

    # optional comment lines (a synthetic file gives its true parameters here)
    month,store,metric,value,respondents
    2022-01,North,units_sold,118,
    2022-01,North,nps,31.5,212

``month`` is ``YYYY-MM``, rows in month order without a gap; ``store`` a store of
the market file; ``metric`` one of :data:`METRICS`; ``respondents`` the survey's
respondents (required for survey metrics, empty otherwise). A store or metric may
miss some months (its share where unknown, a survey not run). Anything else stops
with one line naming the line or column and what is allowed
(:class:`~cxsim.config.ConfigError`), before any run.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cxsim.config import ConfigError

COLUMNS = ("month", "store", "metric", "value", "respondents")

METRICS: dict[str, tuple[str, float, float, str]] = {
    "units_sold": ("count", 0, math.inf, "new vehicles sold in the month"),
    "service_visits": ("count", 0, math.inf, "repair orders in the month"),
    "service_retention": ("rate", 0, 1, "share of the store's owners' service needs it met"),
    "share": ("rate", 0, 1, "the store's share of the market's new sales"),
    "nps": ("survey", -100, 100, "net promoter score of the month's surveys, points"),
    "csat": ("survey", 1, 5, "mean satisfaction of the month's surveys, 1-5"),
    "online_rating": ("level", 0, 10, "public rating at month end, 0-10 (5 stars = 10)"),
}
"""metric -> (kind, lowest, highest, meaning); kind ``survey`` needs respondents."""

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass
class History:
    """A checked history: the tidy rows with ``m`` (0-based month index) added."""

    rows: pd.DataFrame  # m, month, store, metric, value, respondents (0 = none)
    months: list[str]  # YYYY-MM, consecutive
    source: str = ""

    @property
    def stores(self) -> list[str]:
        return list(dict.fromkeys(self.rows["store"]))

    @property
    def metrics(self) -> list[str]:
        return [m for m in METRICS if m in set(self.rows["metric"])]

    @property
    def first_calendar_month(self) -> int:
        """0 = January."""
        return int(self.months[0][5:]) - 1

    def head(self, months: int) -> History:
        """The first ``months`` months (a backtest's fitting part)."""
        return History(self.rows[self.rows["m"] < months].reset_index(drop=True),
                       self.months[:months], self.source)


def _month_number(text: str) -> int | None:
    m = _MONTH.match(text)
    if not m or not 1 <= int(m.group(2)) <= 12:
        return None
    return int(m.group(1)) * 12 + int(m.group(2)) - 1


def _name(number: int) -> str:
    return f"{number // 12:04d}-{number % 12 + 1:02d}"


def _number(text: str, where: str, key: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise ConfigError(f"{where}: {key}={text!r} is not a number; allowed: a number"
                          ) from None
    if not math.isfinite(v):
        raise ConfigError(f"{where}: {key}={text!r}; allowed: a finite number")
    return v


def _lines(path: Path) -> list[tuple[int, list[str]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        why = getattr(exc, "strerror", None) or "not UTF-8 text"
        raise ConfigError(f"{path}: cannot read ({why}); allowed: a readable CSV file"
                          ) from None
    out = []
    for i, row in enumerate(csv.reader(text.splitlines()), start=1):
        if row and not row[0].lstrip().startswith("#") and any(c.strip() for c in row):
            out.append((i, [c.strip() for c in row]))
    return out


def _header(path: Path, header: list[str]) -> dict[str, int]:
    for c in header:
        if c not in COLUMNS:
            raise ConfigError(f"{path}: unknown column {c!r}; allowed columns: "
                              f"{', '.join(COLUMNS)}")
    for c in COLUMNS:
        if c not in header:
            raise ConfigError(f"{path}: missing column {c!r}; allowed columns: "
                              f"{', '.join(COLUMNS)}")
    if len(set(header)) != len(header):
        raise ConfigError(f"{path}: a column appears twice; allowed columns: "
                          f"{', '.join(COLUMNS)}")
    return {c: header.index(c) for c in COLUMNS}


def read_history(path: str | Path, stores: Sequence[str], parameters: int = 0) -> History:
    """Read and check ``path`` against the market's ``stores``; at least ``parameters``
    months are needed (one line naming the line or column otherwise)."""
    path = Path(path)
    lines = _lines(path)
    if not lines:
        raise ConfigError(f"{path}: empty; allowed: a header ({', '.join(COLUMNS)}) and rows")
    col = _header(path, lines[0][1])
    rows, seen, last = [], {}, None
    for ln, cells in lines[1:]:
        where = f"{path}:{ln}"
        if len(cells) != len(col):
            raise ConfigError(f"{where}: {len(cells)} fields; allowed: {len(col)} "
                              f"({', '.join(lines[0][1])})")
        month, store, metric = (cells[col[c]] for c in ("month", "store", "metric"))
        number = _month_number(month)
        if number is None:
            raise ConfigError(f"{where}: month={month!r}; allowed: YYYY-MM")
        if last is not None and number < last:
            raise ConfigError(f"{where}: month {month} after {_name(last)}; allowed: rows "
                              "in month order")
        if last is not None and number > last + 1:
            raise ConfigError(f"{where}: month {month} skips {_name(last + 1)}; allowed: "
                              "consecutive months")
        last = number
        if store not in stores:
            raise ConfigError(f"{where}: unknown store {store!r}; allowed: "
                              f"{', '.join(stores)}")
        if metric not in METRICS:
            raise ConfigError(f"{where}: unknown metric {metric!r}; allowed: "
                              f"{', '.join(METRICS)}")
        kind, low, high, _ = METRICS[metric]
        value = _number(cells[col["value"]], where, "value")
        if not low <= value <= high:
            span = f">= {low:g}" if high == math.inf else f"{low:g} to {high:g}"
            raise ConfigError(f"{where}: value={value:g} for {metric}; allowed: {span}")
        raw = cells[col["respondents"]]
        respondents = _number(raw, where, "respondents") if raw else 0.0
        if respondents < 0 or respondents != int(respondents):
            raise ConfigError(f"{where}: respondents={raw}; allowed: a whole number >= 0")
        if kind == "survey" and respondents < 1:
            raise ConfigError(f"{where}: respondents missing for {metric}; allowed: the "
                              "number of survey respondents (>= 1)")
        key = (number, store, metric)
        if key in seen:
            raise ConfigError(f"{where}: {month} {store} {metric} repeats line {seen[key]}; "
                              "allowed: one row per month, store and metric")
        seen[key] = ln
        rows.append((number, month, store, metric, value, int(respondents)))
    if not rows:
        raise ConfigError(f"{path}: no rows; allowed: one row per month, store and metric")
    frame = pd.DataFrame(rows, columns=["m", "month", "store", "metric", "value",
                                        "respondents"])
    frame["m"] -= frame["m"].iloc[0]
    months = list(dict.fromkeys(frame["month"]))
    if len(months) < parameters:
        raise ConfigError(f"{path}: {len(months)} months for {parameters} parameters; "
                          f"allowed: at least {parameters} months (one per parameter)")
    return History(frame, months, str(path))


def write_history(frame: pd.DataFrame, path: str | Path, comments: Sequence[str] = ()) -> None:
    """Write a tidy frame (``COLUMNS``) as the CSV :func:`read_history` reads, with
    ``comments`` as ``#`` lines above the header."""
    path = Path(path)
    body = frame[list(COLUMNS)].copy()
    body["respondents"] = [str(int(r)) if r else "" for r in body["respondents"]]
    body["value"] = [f"{v:.6g}" for v in body["value"]]
    text = "".join(f"# {c}\n" for c in comments) + body.to_csv(index=False)
    path.write_text(text, encoding="utf-8")
