"""How a batch's replications lie side by side (:mod:`cxsim.batch`).

Customer ``i`` of replication ``r`` is row ``r * n + i`` and its dealer ``j`` is
dealer row ``r * nd + j``: populations are stacked, networks are disjoint
copies, and a replication's rows can be copied into another's place (the
arms of a comparison, after the warm-up they share). Also which configs can
share the start they are built from, or the whole warm-up.
"""

from __future__ import annotations

import copy
import json
from dataclasses import asdict, fields
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from cxsim.calendar import NEVER, Calendar
from cxsim.config import RunConfig
from cxsim.customers import Population
from cxsim.model import EVENTS

if TYPE_CHECKING:
    from cxsim.batch import BatchModel


def stack(parts: list[Population]) -> Population:
    """The replications' customers, one after another (row ``r * n + i``)."""
    return Population(**{f.name: np.concatenate([getattr(p, f.name) for p in parts])
                         for f in fields(Population)})


def block_diagonal(adjs: list[sp.csr_matrix], n: int) -> sp.csr_matrix:
    """The replications' networks as one graph of disjoint copies, each row's ties in
    the order its own network holds them."""
    offsets = np.cumsum([0] + [a.nnz for a in adjs])
    indptr = np.concatenate([a.indptr[:-1] + o for a, o in zip(adjs, offsets, strict=False)]
                            + [offsets[-1:]]).astype(np.int64)
    dtype = np.int32 if len(adjs) * n < 2**31 else np.int64
    indices = np.concatenate([a.indices.astype(dtype) + dtype(r * n)
                              for r, a in enumerate(adjs)])
    data = np.concatenate([a.data for a in adjs])
    size = len(adjs) * n
    return sp.csr_matrix((data, indices, indptr), shape=(size, size))


def config_key(cfg: RunConfig, *leave_out: str) -> str:
    """The config as text, but for the sections ``leave_out``: configs with equal keys
    agree on everything else."""
    return json.dumps({k: v for k, v in asdict(cfg).items() if k not in leave_out},
                      sort_keys=True, default=str)


def warm_up_leaders(cfgs: list[RunConfig]) -> list[int]:
    """For each config, the first config it can share its warm-up with: one that
    differs from it only in the programme (a programme starts at recorded week 0
    or later, ``investment.start_week >= 0``, so it leaves the warm-up alone)."""
    first: dict[str, int] = {}
    out = []
    for i, c in enumerate(cfgs):
        out.append(first.setdefault(config_key(c, "investment", "progress", "plots"), i))
    return out


def rows_of(obj: Any, rows: np.ndarray, dealers: int) -> Any:
    """A copy of ``obj`` (the lanes, the review platform) with every array over its
    ``dealers`` dealer rows (a vector of them, or the week's review sums: one row
    each of four) taken at ``rows``."""
    out = copy.copy(obj)
    for k, v in vars(obj).items():
        if isinstance(v, np.ndarray) and v.shape[-1:] == (dealers,) and v.ndim <= 2:
            setattr(out, k, (v[rows] if v.ndim == 1 else v[:, rows]).copy())
    return out


def refiled(calendar: Calendar, rows: np.ndarray, week: int) -> Calendar:
    """A calendar of the customers ``rows`` of ``calendar`` (new row i is old row
    ``rows[i]``), each with its current bookings (those of ``week`` or later)."""
    out = Calendar(rows.size, EVENTS)
    for kind in EVENTS:
        due = calendar.due[kind][rows]
        live = np.flatnonzero((due >= week) & (due != NEVER))
        out.book(kind, live, due[live])
        out.due[kind][:] = due  # past bookings too, as the copied customers hold them
    return out


def start_key(cfg: RunConfig) -> str:
    """Configs with equal keys start from the same customers and network: the seed and
    everything but the programme and the money (which the start never reads)."""
    return config_key(cfg, "investment", "economics", "progress", "plots")


class Replica:
    """What the results of one run read from its model (:mod:`cxsim.results`), for
    replication ``r`` of a :class:`BatchModel`."""

    def __init__(self, batch: BatchModel, r: int) -> None:
        nd = len(batch.cfg.dealers.dealers)
        n = batch.n_local
        rows = slice(r * n, (r + 1) * n)
        self.cfg = batch.cfgs[r]
        self.n = n
        self.n_dealers = nd
        self.dealer_list = batch.dealer_list[r * nd:(r + 1) * nd]
        self.metrics = batch.metrics.replica(r, nd)
        self.population = Population(**{f.name: getattr(batch.population, f.name)[rows]
                                        for f in fields(Population)})
        self.week = batch.market.week
