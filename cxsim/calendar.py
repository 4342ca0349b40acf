"""A calendar of customer events: which customers have what due in which week.

This is what makes the engine's cost grow with events rather than with
customers x weeks: a week's work starts from the customers whose service need,
replacement or shopping visit falls in it, found in O(events) from a bucket,
never by scanning the population.

An event is (kind, week, customer). Rescheduling a customer simply books a
new week; the stale booking is dropped when its week comes, because the
customer's current booking (``due[kind][id]``) no longer matches it.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

NEVER = np.iinfo(np.int32).max


class Calendar:
    """Week-bucketed bookings for a fixed population of ``n`` customers."""

    def __init__(self, n: int, kinds: tuple[str, ...]) -> None:
        self.due = {k: np.full(n, NEVER, dtype=np.int32) for k in kinds}
        self._buckets: dict[str, defaultdict[int, list[np.ndarray]]] = {
            k: defaultdict(list) for k in kinds
        }

    def book(self, kind: str, ids: np.ndarray, weeks: np.ndarray | int) -> None:
        """Book ``kind`` for each id at its week (replacing any earlier booking)."""
        ids = np.asarray(ids, dtype=np.int64)
        if ids.size == 0:
            return
        weeks = np.broadcast_to(np.asarray(weeks, dtype=np.int64), ids.shape)
        weeks = np.minimum(weeks, NEVER)
        self.due[kind][ids] = weeks
        buckets = self._buckets[kind]
        if np.all(weeks == weeks[0]):
            if weeks[0] < NEVER:
                buckets[int(weeks[0])].append(ids)
            return
        order = np.argsort(weeks, kind="stable")
        w_sorted = weeks[order]
        ids_sorted = ids[order]
        cuts = (np.flatnonzero(w_sorted[1:] != w_sorted[:-1]) + 1).tolist()
        starts = [0, *cuts]
        ends = [*cuts, ids.size]
        for w, a, b in zip(w_sorted[starts].tolist(), starts, ends, strict=True):
            if w < NEVER:
                buckets[w].append(ids_sorted[a:b])

    def cancel(self, kind: str, ids: np.ndarray) -> None:
        """Drop the bookings of ``kind`` for these ids."""
        self.due[kind][np.asarray(ids, dtype=np.int64)] = NEVER

    def pop(self, kind: str, week: int) -> np.ndarray:
        """The ids whose current booking of ``kind`` is ``week``, each once."""
        chunks = self._buckets[kind].pop(week, None)
        if not chunks:
            return np.empty(0, dtype=np.int64)
        return self._current(kind, week, chunks)

    def _current(self, kind: str, week: int, chunks: list[np.ndarray]) -> np.ndarray:
        """Ids of the chunks still booked for ``week``, each once (no sorting needed).

        A customer moved away and back can sit in two chunks; writing each
        candidate's position into ``due`` and keeping the position that survived
        keeps exactly one copy in O(k).
        """
        due = self.due[kind]
        ids = np.concatenate(chunks) if len(chunks) > 1 else chunks[0]
        ids = ids[due[ids] == week]
        pos = -1 - np.arange(ids.size, dtype=np.int32)
        due[ids] = pos
        ids = ids[due[ids] == pos]
        due[ids] = week
        return ids

    def peek(self, kind: str, week: int) -> np.ndarray:
        """Like :meth:`pop` but leaves the bookings in place."""
        chunks = self._buckets[kind].get(week)
        if not chunks:
            return np.empty(0, dtype=np.int64)
        return self._current(kind, week, chunks)
