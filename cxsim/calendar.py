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


SPAN = 8
"""Weeks per coarse bucket."""


class Calendar:
    """Week-bucketed bookings for a fixed population of ``n`` customers.

    Two levels, because one batch of bookings (say the next service need of a
    week's visits) spreads over a hundred or more future weeks, and a chunk per
    week per batch costs a Python-level slice and append each, the calendar's
    main cost. Bookings are filed in coarse buckets of ``SPAN`` weeks; when the
    clock reaches a coarse bucket it is sorted once into week buckets, and
    bookings that land inside that open span go straight to their week.
    """

    def __init__(self, n: int, kinds: tuple[str, ...]) -> None:
        self.due = {k: np.full(n, NEVER, dtype=np.int32) for k in kinds}
        self._buckets: dict[str, defaultdict[int, list[np.ndarray]]] = {
            k: defaultdict(list) for k in kinds
        }
        self._coarse: dict[str, defaultdict[int, list[np.ndarray]]] = {
            k: defaultdict(list) for k in kinds
        }
        self._open: dict[str, int | None] = dict.fromkeys(kinds)  # the span in week buckets

    def book(self, kind: str, ids: np.ndarray, weeks: np.ndarray | int) -> None:
        """Book ``kind`` for each id at its week (replacing any earlier booking)."""
        ids = np.asarray(ids, dtype=np.int64)
        if ids.size == 0:
            return
        weeks = np.broadcast_to(np.asarray(weeks, dtype=np.int64), ids.shape)
        weeks = np.minimum(weeks, NEVER)
        self.due[kind][ids] = weeks
        if np.all(weeks == weeks[0]):
            self._file(kind, int(weeks[0]) // SPAN, ids, weeks)
            return
        spans = weeks // SPAN
        for span, a, b, ids_sorted, w_sorted in _runs(spans, ids, weeks):
            self._file(kind, span, ids_sorted[a:b], w_sorted[a:b])

    def _file(self, kind: str, span: int, ids: np.ndarray, weeks: np.ndarray) -> None:
        """File bookings that all fall in one span."""
        if span >= NEVER // SPAN:  # never due
            return
        if span != self._open[kind]:
            self._coarse[kind][span].append(ids)
            return
        buckets = self._buckets[kind]
        if np.all(weeks == weeks[0]):
            buckets[int(weeks[0])].append(ids)
            return
        for week, a, b, ids_sorted, _ in _runs(weeks, ids, weeks):
            buckets[week].append(ids_sorted[a:b])

    def _open_span(self, kind: str, week: int) -> None:
        """Sort the coarse bucket that holds ``week`` into week buckets."""
        span = week // SPAN
        if self._open[kind] == span:
            return
        self._open[kind] = span
        chunks = self._coarse[kind].pop(span, None)
        if not chunks:
            return
        ids = np.concatenate(chunks) if len(chunks) > 1 else chunks[0]
        weeks = self.due[kind][ids].astype(np.int64)
        live = weeks // SPAN == span  # the others were booked elsewhere since
        if live.any():
            self._file(kind, span, ids[live], weeks[live])

    def cancel(self, kind: str, ids: np.ndarray) -> None:
        """Drop the bookings of ``kind`` for these ids."""
        self.due[kind][np.asarray(ids, dtype=np.int64)] = NEVER

    def pop(self, kind: str, week: int) -> np.ndarray:
        """The ids whose current booking of ``kind`` is ``week``, each once."""
        self._open_span(kind, week)
        chunks = self._buckets[kind].pop(week, None)
        if not chunks:
            return np.empty(0, dtype=np.int64)
        # In id order: every process gathers a dozen population columns at these
        # ids, and ascending addresses cost far fewer cache and TLB misses than
        # random ones at a million customers. The ids are runs of ascending ids
        # (each batch keeps the order of an earlier pop), which the stable sort
        # (timsort) merges in near-linear time.
        return np.sort(self._current(kind, week, chunks), kind="stable")

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
        self._open_span(kind, week)
        chunks = self._buckets[kind].get(week)
        if not chunks:
            return np.empty(0, dtype=np.int64)
        return self._current(kind, week, chunks)


def _runs(keys: np.ndarray, ids: np.ndarray, weeks: np.ndarray):
    """Group a batch by key: (key, start, end, ids sorted by key, weeks sorted by key).

    A batch's keys span a few hundred values at most, so they are sorted as 16-bit
    offsets, which numpy's stable sort does by radix in linear time.
    """
    offset = keys - keys.min()
    if offset.max() < 1 << 16:
        offset = offset.astype(np.uint16)
    order = np.argsort(offset, kind="stable")
    k_sorted = keys[order]
    ids_sorted = ids[order]
    w_sorted = weeks[order]
    cuts = (np.flatnonzero(k_sorted[1:] != k_sorted[:-1]) + 1).tolist()
    starts = [0, *cuts]
    ends = [*cuts, ids.size]
    return [(k, a, b, ids_sorted, w_sorted)
            for k, a, b in zip(k_sorted[starts].tolist(), starts, ends, strict=True)]
