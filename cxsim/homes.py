"""Where the market's households live: uniform over the market square, or a grid.

A strategist usually knows where their market lives cell by cell (census
blocks, postcode centroids, a registration extract), not as a formula. A grid
is a CSV with one row per cell: its centre ``x_km``, ``y_km`` in the market's
coordinates (the stores' ``x_km``/``y_km`` frame) and its ``households``;
an optional ``cell_km`` column gives the cells' side (otherwise the smallest
spacing between cell centres). A simulated customer's home is a cell drawn in
proportion to its households, then a uniform point inside the cell, so the
sample follows the grid whatever its size.

Both ways use the same keyed uniforms (``home_x``, ``home_y``), so a run
without a grid is the run it always was.
"""

from __future__ import annotations

import csv
import math
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy as np

from cxsim.config.common import ConfigError
from cxsim.draws import Draws

COLUMNS = ("x_km", "y_km", "households")
"""The columns a households grid must have (``cell_km`` is optional)."""


class Grid(NamedTuple):
    """A households grid: cell centres (km), households per cell, the cells' side."""

    x: np.ndarray
    y: np.ndarray
    households: np.ndarray
    cell_km: float

    @property
    def total(self) -> float:
        return float(self.households.sum())


def _number(path: str, row: int, column: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"market.homes: {path} row {row} column {column}={text!r} is "
                          "not a number; allowed: a finite number") from None
    if not math.isfinite(value):
        raise ConfigError(f"market.homes: {path} row {row} column {column}={text!r}; "
                          "allowed: a finite number")
    return value


@lru_cache(maxsize=8)
def _read(path: str, mtime: float) -> Grid:
    del mtime  # part of the cache key only: an edited file is read again
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
            header = rows[0].keys() if rows else []
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ConfigError(f"market.homes={path!r} cannot be read ({exc.__class__.__name__}); "
                          "allowed: a CSV file with columns x_km, y_km, households") from None
    missing = [c for c in COLUMNS if c not in header]
    if not rows or missing:
        what = f"has no column {missing[0]!r}" if missing else "has no rows"
        raise ConfigError(f"market.homes: {path} {what}; allowed: a CSV with columns "
                          "x_km, y_km, households (and optionally cell_km), a row per cell")
    cols = {c: np.array([_number(path, i + 2, c, r[c]) for i, r in enumerate(rows)])
            for c in (*COLUMNS, *(["cell_km"] if "cell_km" in header else []))}
    bad = np.flatnonzero(cols["households"] < 0)
    if bad.size:
        raise ConfigError(f"market.homes: {path} row {bad[0] + 2} has households="
                          f"{cols['households'][bad[0]]:g}; allowed: households >= 0")
    if cols["households"].sum() <= 0:
        raise ConfigError(f"market.homes: {path} has no households; allowed: some cell "
                          "with households > 0")
    return Grid(cols["x_km"], cols["y_km"], cols["households"], _cell_side(path, cols))


def _cell_side(path: str, cols: dict[str, np.ndarray]) -> float:
    if "cell_km" in cols:
        side = cols["cell_km"]
        if side.min() <= 0 or side.max() != side.min():
            raise ConfigError(f"market.homes: {path} column cell_km must be one positive "
                              "value; allowed: the cells' common side in km")
        return float(side[0])
    gaps = [np.diff(np.unique(cols[c])) for c in ("x_km", "y_km")]
    gaps = np.concatenate([g[g > 0] for g in gaps])
    if gaps.size == 0:
        raise ConfigError(f"market.homes: {path} has a single cell centre and no cell_km "
                          "column; allowed: add cell_km (the cell's side in km)")
    return float(gaps.min())


def read_grid(path: str) -> Grid:
    """The households grid in ``path`` (read once per edit of the file)."""
    try:
        mtime = Path(path).stat().st_mtime
    except OSError:
        raise ConfigError(f"market.homes={path!r} does not exist; allowed: the path of a "
                          "CSV with columns x_km, y_km, households, or '' (uniform)") from None
    return _read(str(Path(path).resolve()), mtime)


def check_grid(path: str, half_km: float) -> Grid:
    """Read the grid and check that every cell lies inside the market square."""
    grid = read_grid(path)
    r = grid.cell_km / 2.0
    outside = np.flatnonzero((np.abs(grid.x) + r > half_km + 1e-9)
                             | (np.abs(grid.y) + r > half_km + 1e-9))
    if outside.size:
        i = outside[0]
        raise ConfigError(
            f"market.homes: {path} row {i + 2} (x_km={grid.x[i]:g}, y_km={grid.y[i]:g}) lies "
            f"outside the market square; allowed: cells within +-{half_km:g} km "
            "(customers.market_size_km / 2)")
    return grid


def draw_homes(draws: Draws, ids: np.ndarray, half_km: float,
               grid: Grid | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Homes (x, y) in km for customers ``ids``: uniform over the square, or the grid."""
    ux = draws.uniform("home_x", 0, ids)
    uy = draws.uniform("home_y", 0, ids)
    if grid is None:
        return (ux * 2.0 - 1.0) * half_km, (uy * 2.0 - 1.0) * half_km
    cum = np.cumsum(grid.households)
    cell = np.searchsorted(cum / cum[-1], draws.uniform("home_cell", 0, ids), side="right")
    cell = np.minimum(cell, cum.size - 1)
    return (grid.x[cell] + (ux - 0.5) * grid.cell_km,
            grid.y[cell] + (uy - 0.5) * grid.cell_km)
