"""A calendar of customer events: which customers have what due in which week.

This is what makes the engine's cost grow with events rather than with
customers x weeks: a week's work starts from the customers whose service need,
replacement or shopping visit falls in it, found from the bookings of the
next few weeks, never by scanning the population.

An event is (kind, week, customer). Rescheduling a customer simply books a
new week; the stale booking is dropped when its week comes, because the
customer's current booking (``due[kind][id]``) no longer matches it.
"""

from __future__ import annotations

import numpy as np

NEVER = np.iinfo(np.int32).max

SPAN = 8
"""Weeks in the open span, whose bookings are sorted by week when it opens."""
EPOCH = 64
"""Weeks in the middle pool, which is sifted when a new span opens."""
PRESORT = 4096
"""Bookings in a batch from which its middle-pool part is filed by span right away."""


class _Pool:
    """Bookings as (ids, weeks) pairs, kept as chunks and joined when sifted."""

    __slots__ = ("ids", "weeks")

    def __init__(self) -> None:
        self.ids: list[np.ndarray] = []
        self.weeks: list[np.ndarray] = []

    def add(self, ids: np.ndarray, weeks: np.ndarray) -> None:
        if ids.size:
            self.ids.append(ids)
            self.weeks.append(weeks)

    def joined(self) -> tuple[np.ndarray, np.ndarray]:
        if len(self.ids) != 1:
            ids = np.concatenate(self.ids) if self.ids else np.empty(0, np.int32)
            weeks = np.concatenate(self.weeks) if self.weeks else np.empty(0, np.int32)
            self.ids, self.weeks = [ids], [weeks]
        return self.ids[0], self.weeks[0]

    def split(self, before: int) -> tuple[np.ndarray, np.ndarray]:
        """Remove and return the bookings of weeks before ``before``."""
        ids, weeks = self.joined()
        if ids.size == 0:
            return ids, weeks
        early = weeks < before
        self.ids, self.weeks = [ids[~early]], [weeks[~early]]
        return ids[early], weeks[early]


class Calendar:
    """Bookings for a fixed population of ``n`` customers, in three pools per kind.

    A booking goes, by its week, to the near pool (the open span of ``SPAN``
    weeks), the middle pool (the rest of the open epoch of ``EPOCH`` weeks) or
    the far pool. When a span opens, the middle pool is sifted for it and what
    it holds is sorted by week once (a radix sort on the week's offset), so a
    week's bookings are then a slice; bookings made into the open span after
    that wait in a small fresh pool, sifted each week. When an epoch opens, the
    far pool is sifted for it. Every step is a handful of whole-array
    operations whatever the spread of the booked weeks: a week's service visits
    book their next need over a hundred-odd weeks and its buyers their
    replacement over a decade, and filing those batches week by week (or span
    by span) cost a Python-level step per piece, the engine's main overhead at
    20,000 customers. A small batch's bookings are sifted about
    ``EPOCH / SPAN / 2`` times in the middle pool, as contiguous int32
    compares; a large batch's (``PRESORT`` or more) are filed by span as they
    are booked, one radix sort, so at a million customers each booking is
    touched a fixed few times.
    """

    def __init__(self, n: int, kinds: tuple[str, ...]) -> None:
        self.due = {k: np.full(n, NEVER, dtype=np.int32) for k in kinds}
        self._fresh = {k: _Pool() for k in kinds}
        self._middle = {k: _Pool() for k in kinds}
        self._middle_spans: dict[str, dict[int, _Pool]] = {k: {} for k in kinds}
        self._far = {k: _Pool() for k in kinds}
        # The open span's bookings sorted by week, where each week starts in them,
        # and how far they have been popped.
        self._span: dict[str, tuple[np.ndarray, list[int]]] = {
            k: (np.empty(0, np.int32), [0] * (SPAN + 1)) for k in kinds}
        self._cursor = dict.fromkeys(kinds, 0)
        # Ends (exclusive) of the open span and epoch; nothing is open before the first pop.
        self._span_end = dict.fromkeys(kinds, -NEVER)
        self._epoch_end = dict.fromkeys(kinds, -NEVER)

    def book(self, kind: str, ids: np.ndarray, weeks: np.ndarray | int) -> None:
        """Book ``kind`` for each id at its week (replacing any earlier booking)."""
        ids = np.asarray(ids)
        if ids.size == 0:
            return
        weeks = np.asarray(weeks)
        if weeks.ndim == 0:  # one week for the whole batch
            weeks = np.full(ids.shape, min(int(weeks), NEVER), dtype=np.int32)
        else:
            weeks = np.minimum(weeks, NEVER).astype(np.int32)
        ids = ids.astype(np.int32)
        self.due[kind][ids] = weeks
        span_end, epoch_end = self._span_end[kind], self._epoch_end[kind]
        lo, hi = int(weeks.min()), int(weeks.max())
        if hi < span_end:
            self._fresh[kind].add(ids, weeks)
        elif lo >= epoch_end:
            if hi == NEVER:  # never due: only ``due`` needs to know
                keep = weeks < NEVER
                ids, weeks = ids[keep], weeks[keep]
            self._far[kind].add(ids, weeks)
        else:
            near = weeks < span_end
            far = weeks >= epoch_end
            middle = ~(near | far)
            far &= weeks < NEVER
            self._fresh[kind].add(ids[near], weeks[near])
            self._to_middle(kind, ids[middle], weeks[middle])
            self._far[kind].add(ids[far], weeks[far])

    def _to_middle(self, kind: str, ids: np.ndarray, weeks: np.ndarray) -> None:
        """File bookings of the open epoch: a large batch by span now (one radix sort),
        so it is touched once more only when its span opens; a small one into the
        pool sifted at each span's opening (cheaper than a Python step per span)."""
        if ids.size < PRESORT:
            self._middle[kind].add(ids, weeks)
            return
        span = weeks // SPAN
        first = int(span.min())
        offset = (span - first).astype(np.uint8)  # an epoch holds EPOCH / SPAN spans
        order = np.argsort(offset, kind="stable")
        ids, weeks = ids[order], weeks[order]
        cuts = np.concatenate([[0], np.cumsum(np.bincount(offset))]).tolist()
        spans = self._middle_spans[kind]
        for j, (a, b) in enumerate(zip(cuts[:-1], cuts[1:], strict=True)):
            if b > a:
                spans.setdefault(first + j, _Pool()).add(ids[a:b], weeks[a:b])

    def cancel(self, kind: str, ids: np.ndarray) -> None:
        """Drop the bookings of ``kind`` for these ids."""
        self.due[kind][np.asarray(ids, dtype=np.int64)] = NEVER

    def _open(self, kind: str, week: int) -> None:
        """Open the span (and epoch) holding ``week``: its bookings, sorted by week."""
        if week < self._span_end[kind]:
            return
        if week >= self._epoch_end[kind]:
            end = (week // EPOCH + 1) * EPOCH
            self._epoch_end[kind] = end
            self._to_middle(kind, *self._far[kind].split(end))
        start = week // SPAN * SPAN
        self._span_end[kind] = start + SPAN
        # What is left of the last span is past (each week is popped in turn).
        self._fresh[kind] = _Pool()
        ids, weeks = self._middle[kind].split(start + SPAN)
        filed = self._middle_spans[kind].pop(start // SPAN, None)
        if filed is not None:
            ids = np.concatenate([ids, *filed.ids])
            weeks = np.concatenate([weeks, *filed.weeks])
        offset = weeks - start
        live = offset >= 0
        if not live.all():
            ids, offset = ids[live], offset[live]
        order = np.argsort(offset.astype(np.uint8), kind="stable")  # radix sort
        bounds = np.searchsorted(offset[order], np.arange(SPAN + 1)).tolist()
        self._span[kind] = (ids[order], bounds)
        self._cursor[kind] = 0

    def _this_week(self, kind: str, week: int, consume: bool) -> np.ndarray:
        self._open(kind, week)
        ids, bounds = self._span[kind]
        j = week % SPAN
        a, b = max(bounds[j], self._cursor[kind]), bounds[j + 1]
        if consume:
            self._cursor[kind] = max(b, self._cursor[kind])
        hits = ids[a:b]
        fresh = self._fresh[kind]
        if fresh.ids:
            f_ids, f_weeks = fresh.joined()
            now = f_weeks == week
            if consume:
                later = f_weeks > week  # earlier weeks are past: their bookings are dead
                fresh.ids, fresh.weeks = [f_ids[later]], [f_weeks[later]]
            if now.any():
                hits = np.concatenate([hits, f_ids[now]])
        if hits.size == 0:
            return np.empty(0, dtype=np.int64)
        return self._current(kind, week, hits.astype(np.int64))

    def pop(self, kind: str, week: int) -> np.ndarray:
        """The ids whose current booking of ``kind`` is ``week``, each once, ascending."""
        # In id order: every process gathers a dozen population columns at these
        # ids, and ascending addresses cost far fewer cache and TLB misses than
        # random ones at a million customers.
        return np.sort(self._this_week(kind, week, consume=True), kind="stable")

    def peek(self, kind: str, week: int) -> np.ndarray:
        """Like :meth:`pop` but leaves the bookings in place (in no particular order)."""
        return self._this_week(kind, week, consume=False)

    def _current(self, kind: str, week: int, ids: np.ndarray) -> np.ndarray:
        """Those of ``ids`` still booked for ``week``, each once (no sorting needed).

        A customer moved away and back can be in the pool twice; writing each
        candidate's position into ``due`` and keeping the position that survived
        keeps exactly one copy in O(k).
        """
        due = self.due[kind]
        ids = ids[due[ids] == week]
        pos = -1 - np.arange(ids.size, dtype=np.int32)
        due[ids] = pos
        ids = ids[due[ids] == pos]
        due[ids] = week
        return ids
