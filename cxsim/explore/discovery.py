"""Scenario discovery: where does an option fail? EMA Workbench's PRIM and feature scores.

For one option, ``fails`` marks the scenarios where its outcome is below the
threshold. PRIM (Friedman & Fisher 1999, as implemented by EMA Workbench)
peels the uncertainty space down to boxes dense in failures. On each box's
peeling trajectory we keep the box of highest *coverage* (share of all
failures inside it) among those whose *density* (share of failures among
the scenarios inside it) is at least ``density_min``; if none reaches it, the
box with the best balance of the two (their harmonic mean). The box is said
in plain words, one sentence, from the uncertainties' labels, after dropping
the restrictions that are not significant (quasi-p value above 0.05): PRIM's
last small peels along an irrelevant uncertainty would otherwise read as
conditions.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cxsim.explore.uncertainties import Uncertainty

DENSITY_MIN = 0.8
MASS_MIN = 0.05
MAX_BOXES = 2
QP_MAX = 0.05
"""A restriction stays only if its quasi-p value (Bryant & Lempert 2010: a one-sided
binomial test of the box's density with and without it) is at most this."""
REPORTED_DENSITY = 0.5
"""A box is reported only if most of its scenarios fail (and more than outside it)."""


@dataclass
class Box:
    """One PRIM box: its restricted uncertainties, statistics and sentence."""

    option: str
    limits: dict[str, Any]  # name -> (low, high) or a list of categories
    coverage: float
    density: float
    mass: float
    scenarios: int  # inside the box
    sentence: str = ""
    trajectory: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    chosen: int = -1  # the kept box's row on the trajectory
    prim_box: Any = field(default=None, repr=False)


def _ema():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ipyparallel's absence, irrelevant here
        from ema_workbench.analysis import feature_scoring, prim
        from ema_workbench.analysis import scenario_discovery_util as sdutil
    logging.getLogger("EMA").setLevel(logging.WARNING)
    return prim, sdutil, feature_scoring


def choose(trajectory: pd.DataFrame, density_min: float = DENSITY_MIN) -> int:
    """The trajectory row kept (see the module's docstring).

    >>> t = pd.DataFrame({"coverage": [1.0, 0.9, 0.5], "density": [0.3, 0.8, 1.0]})
    >>> choose(t), choose(t, 0.95), choose(t, 1.01)  # the last: no box is dense enough
    (1, 2, 1)
    """
    cov, den = trajectory["coverage"].to_numpy(float), trajectory["density"].to_numpy(float)
    dense = np.flatnonzero(den >= density_min)
    if dense.size:
        best = dense[cov[dense] == cov[dense].max()]
        return int(best[np.argmax(den[best])])
    with np.errstate(invalid="ignore", divide="ignore"):
        f = np.nan_to_num(2 * cov * den / (cov + den))
    return int(np.argmax(f))


def _prune(found: Any, row: int, sdutil: Any, qp_max: float = QP_MAX) -> int:
    """Drop the least significant restriction while one has a quasi-p value above
    ``qp_max`` (EMA Workbench's ``drop_restriction``); the trajectory row kept."""
    while True:
        restricted = list(sdutil._determine_restricted_dims(found.box_lims[row],
                                                            found.prim.box_init))
        qp = {u: min((float(v) for v in found.p_values[row][u] if v >= 0), default=0.0)
              for u in restricted if u in found.p_values[row]}
        weak = {u: v for u, v in qp.items() if v > qp_max}
        if not weak or len(restricted) <= 1:
            return row
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            found.drop_restriction(max(weak, key=weak.get), row)
        row = len(found.peeling_trajectory) - 1


def _limits(box_lim: pd.DataFrame, box_init: pd.DataFrame, restricted: Sequence[str],
            by_name: dict[str, Uncertainty]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in restricted:
        u = by_name[name]
        if u.categorical:
            out[name] = sorted(str(v) for v in box_lim[name].iloc[0])
        else:
            out[name] = (float(box_lim[name].iloc[0]), float(box_lim[name].iloc[1]))
    return out


def describe(limits: dict[str, Any], uncertainties: Sequence[Uncertainty],
             initial: dict[str, tuple[float, float]]) -> list[str]:
    """Each restricted uncertainty as a phrase: ``<label> more than x``, ``less than``,
    ``between``, or ``<label> is a or b``.

    >>> u = Uncertainty("f", "market.friction_decline", 0, 0.15, "friction falls by", "%")
    >>> describe({"f": (0.06, 0.15)}, [u], {"f": (0.0, 0.15)})
    ['friction falls by more than 6.0 %']
    """
    out = []
    for u in uncertainties:
        if u.name not in limits:
            continue
        lim = limits[u.name]
        if u.categorical:
            out.append(f"{u.label} is {' or '.join(lim)}")
            continue
        lo, hi = lim
        lo0, hi0 = initial[u.name]
        if lo > lo0 and hi < hi0:
            out.append(f"{u.label} between {u.show(lo)} and {u.show(hi)}")
        elif lo > lo0:
            out.append(f"{u.label} more than {u.show(lo)}")
        else:
            out.append(f"{u.label} less than {u.show(hi)}")
    return out


def sentence(option: str, what: str, box: Box, phrases: list[str],
             cases: str = "failures") -> str:
    """The box in plain words."""
    where = " and ".join(phrases) if phrases else "anywhere"
    return (f"{option} {what} in {box.density:.0%} of the scenarios where {where} "
            f"({box.scenarios} scenarios, {box.mass:.0%} of all; they hold "
            f"{box.coverage:.0%} of its {cases}).")


def discover(x: pd.DataFrame, fails: np.ndarray, uncertainties: Sequence[Uncertainty],
             option: str, what: str = "fails", *, cases: str = "failures",
             density_min: float = DENSITY_MIN,
             mass_min: float = MASS_MIN, max_boxes: int = MAX_BOXES) -> list[Box]:
    """PRIM boxes of the failures of ``option`` (``x``: one column per uncertainty, one
    row per scenario; ``fails``: bool per row). None if it never or always fails."""
    fails = np.asarray(fails, dtype=bool)
    if not fails.any() or fails.all():
        return []
    prim, sdutil, _ = _ema()
    names = [u.name for u in uncertainties]
    by_name = {u.name: u for u in uncertainties}
    frame = x[names].reset_index(drop=True)
    # Whole-number uncertainties go in as reals: EMA Workbench 3.0's pasting writes a
    # half-way limit into an integer column, which pandas 3 refuses.
    frame = frame.astype({u.name: float for u in uncertainties
                          if u.integer and not u.categorical})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its own pandas deprecations, not ours
        p = prim.Prim(frame, fails.astype(int), mass_min=mass_min)
    initial = {n: (float(frame[n].min()), float(frame[n].max())) for n in names
               if not by_name[n].categorical}
    boxes: list[Box] = []
    for _ in range(max_boxes):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            found = p.find_box()
        if found is None:
            break
        base_rate = float(fails[found.yi_initial].mean()) if len(found.yi_initial) else 0.0
        # where failures are already the rule, a box must be markedly denser than that
        dense = max(density_min, (1.0 + base_rate) / 2)
        row = _prune(found, choose(found.peeling_trajectory.reset_index(drop=True), dense),
                     sdutil)
        found.select(row)
        traj = found.peeling_trajectory.reset_index(drop=True)
        density = float(traj["density"].iloc[row])
        if density <= max(base_rate, REPORTED_DENSITY - 1e-12) or not len(found.yi_initial):
            break  # not mostly failures, or no denser than what is left: nothing to say
        restricted = list(sdutil._determine_restricted_dims(found.box_lim, p.box_init))
        limits = _limits(found.box_lim, p.box_init, restricted, by_name)
        box = Box(option, limits, float(traj["coverage"].iloc[row]),
                  float(traj["density"].iloc[row]), float(traj["mass"].iloc[row]),
                  int(traj["n"].iloc[row]), trajectory=traj, chosen=row, prim_box=found)
        box.sentence = sentence(option, what, box, describe(limits, uncertainties, initial),
                                cases)
        boxes.append(box)
        if not restricted:
            break
    return boxes


def feature_scores(x: pd.DataFrame, fails: np.ndarray, uncertainties: Sequence[Uncertainty],
                   seed: int = 0) -> pd.Series:
    """How much each uncertainty sorts failures from successes (extra trees, EMA
    Workbench's ``get_ex_feature_scores``; the scores sum to 1)."""
    names = [u.name for u in uncertainties]
    fails = np.asarray(fails, dtype=int)
    if fails.min() == fails.max():
        return pd.Series(math.nan, index=names, name="score")
    _, _, fs = _ema()
    scores, _ = fs.get_ex_feature_scores(x[names].reset_index(drop=True), fails,
                                         random_state=seed)
    return scores.iloc[:, 0].rename("score").reindex(names)
