"""A journal of a few customers' journeys, for the page's "inspect anyone".

Built only for the page: :func:`attach` hands a :class:`Journal` to a model's
market, and the processes call it at three moments (an episode is lived, a
customer talks, a customer hears), each behind ``if market.journal is not None``,
so a model without a journal runs exactly as before. Only the watched
customers (the ones drawn on the page's map, a bounded set) are recorded, each
in a deque of their latest records, so memory stays small whatever the market.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from cxsim.config import TOUCHPOINTS

KEEP = 40
"""Records kept per watched customer (the latest)."""

_TP = {name: i for i, name in enumerate(TOUCHPOINTS)}
_TP["wait"] = _TP["service"]  # a wait is judged against what the service promised


@dataclass
class Record:
    """One thing that happened to a customer."""

    week: int
    kind: str  # "bought", "serviced", "told", "heard"
    dealer: str
    score: float  # remembered (bought, serviced, told) or heard (heard), 0-10
    moments: dict[str, tuple[float, float | None]] = field(default_factory=dict)
    """Moment -> (how it felt 0-10, what the customer expected of that touchpoint)."""
    wait_h: float | None = None  # service: hours waited in the lane
    people: int = 0  # told: how many neighbours heard


class Journal:
    """The latest records of each watched customer."""

    def __init__(self, watched: np.ndarray, keep: int = KEEP) -> None:
        self.watched = np.unique(np.asarray(watched, dtype=np.int64))
        self.records: dict[int, deque[Record]] = {int(c): deque(maxlen=keep)
                                                  for c in self.watched}

    def _hits(self, ids: np.ndarray) -> np.ndarray:
        """Positions in ``ids`` of watched customers."""
        pos = np.searchsorted(self.watched, ids)
        pos = np.minimum(pos, max(self.watched.size - 1, 0))
        return np.flatnonzero(self.watched[pos] == ids) if self.watched.size else pos[:0]

    def episode(self, kind: str, proc, ids: np.ndarray, d: np.ndarray, moments: np.ndarray,
                names: tuple[str, ...], score: np.ndarray,
                waits: np.ndarray | None = None) -> None:
        """A purchase or service visit, with its moments (rows ``names``)."""
        hits = self._hits(ids)
        if hits.size == 0:
            return
        dealers, expect, week = proc.market.dealers.names, proc.pop.expectation, proc.week
        for i in hits.tolist():
            c = int(ids[i])
            felt = {}
            for r, name in enumerate(names):
                v = float(moments[r, i])
                if np.isfinite(v):
                    tp = _TP.get(name)
                    felt[name] = (v, float(expect[c, tp]) if tp is not None else None)
            self.records[c].append(Record(
                week, kind, dealers[int(d[i])], float(score[i]), felt,
                None if waits is None else float(waits[i])))

    def talk(self, proc, tellers: np.ndarray, dealers: np.ndarray, score: np.ndarray,
             who: np.ndarray, listeners: np.ndarray) -> None:
        """Tellers told neighbours (``who``: teller position of each listener)."""
        names, week = proc.market.dealers.names, proc.week
        heard = np.bincount(who, minlength=tellers.size)
        for i in self._hits(tellers).tolist():
            self.records[int(tellers[i])].append(Record(
                week, "told", names[int(dealers[i])], float(score[i]), people=int(heard[i])))
        for k in self._hits(listeners).tolist():
            t = int(who[k])
            self.records[int(listeners[k])].append(Record(
                week, "heard", names[int(dealers[t])], float(score[t])))

    def of(self, customer: int) -> list[Record]:
        """A watched customer's records, oldest first (empty if not watched)."""
        return list(self.records.get(int(customer), ()))


def attach(model, watched: np.ndarray, keep: int = KEEP) -> Journal:
    """Give ``model`` (a :class:`~cxsim.model.CxModel`) a journal of ``watched``."""
    j = Journal(watched, keep)
    model.market.journal = j
    return j
