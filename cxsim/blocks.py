"""Customers a cache-sized block at a time, for the start of a large market.

Settling a million owners' expectations and service bonds is a few dozen
elementwise passes over the whole market; done on whole arrays, every pass
streams tens of megabytes through memory. Each customer's result depends only
on its own row and its own keyed draws (:mod:`cxsim.draws`), so the same work
done block by block gives the very same numbers, with each block's
temporaries still in cache for the next pass (about a fifth off building a
million customers; ``benchmarks/bench_core.py``).
"""

from __future__ import annotations

from collections.abc import Iterator

BLOCK = 65_536
"""Customers per block: about half a megabyte per float64 column, so a pass's
few temporaries fit in a core's L2 cache."""


def blocks(n: int, size: int = BLOCK) -> Iterator[slice]:
    """Consecutive slices covering ``range(n)``, ``size`` long (the last shorter).

    >>> [(s.start, s.stop) for s in blocks(5, 2)]
    [(0, 2), (2, 4), (4, 5)]
    """
    for start in range(0, n, size):
        yield slice(start, min(start + size, n))
