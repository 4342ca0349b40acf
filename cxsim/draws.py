"""Counter-based random numbers keyed by (seed, purpose, week, customer, slot).

Why not one sequential stream: two scenario arms stay aligned only while they
make the same draws in the same order; one extra visit in one arm shifts every
later number. Here each draw is a pure function of its key, so a customer's
service need in week 40 is the same in both arms whatever happened before
(common random numbers), and the result is the same however the work is
split or ordered (the stepped engine draws one customer at a time and gets the
very numbers the array engine draws in bulk). Cost is a handful of integer
operations per number, only for the customers that have an event.

The mixer is SplitMix64's finaliser (Steele, Lea & Flood 2014), applied to a
key built from the five coordinates with distinct odd multipliers.
"""

from __future__ import annotations

import zlib

import numpy as np
from scipy.special import ndtri

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLD = np.uint64(0x9E3779B97F4A7C15)
_K_WEEK = np.uint64(0xD6E8FEB86659FD93)
_K_SLOT = np.uint64(0xA0761D6478BD642F)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0
_KW = int(_K_WEEK)
_KS = int(_K_SLOT)
_MASK = (1 << 64) - 1


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser, in place (``x`` is a fresh uint64 array): no temporaries
    beyond one shifted copy per round."""
    for shift, mult in ((_S30, _M1), (_S27, _M2)):
        x ^= x >> shift
        x *= mult
    x ^= x >> _S31
    return x


def _to_unit(x: np.ndarray) -> np.ndarray:
    """Top 53 bits of each uint64 as a float in (0, 1), open at both ends."""
    u = (x >> _S11).astype(np.float64)
    u += 0.5
    u *= _INV53
    return u


def purpose_key(purpose: str) -> int:
    """A stable 32-bit number for a purpose name (same on every machine)."""
    return zlib.crc32(purpose.encode())


class Draws:
    """Random numbers for one run, keyed so that scenario arms share their luck."""

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)
        self._root = int(_mix(np.array([self.seed], dtype=np.uint64) + _GOLD)[0])
        self._purposes: dict[str, int] = {}

    def _base(self, purpose: str, week: int, slot: int) -> np.uint64:
        # Python integers here: the per-purpose key is mixed once and cached, and the
        # week/slot offsets are plain modular arithmetic (cheaper than numpy scalars).
        p = self._purposes.get(purpose)
        if p is None:
            key = np.array([purpose_key(purpose) ^ self._root], dtype=np.uint64)
            p = self._purposes[purpose] = int(_mix(key)[0])
        return np.uint64((p + (week & 0xFFFFFFFF) * _KW + slot * _KS) & _MASK)

    def uniform(self, purpose: str, week: int, ids: np.ndarray, slot: int = 0) -> np.ndarray:
        """U(0, 1) per id, in (0, 1) open at both ends."""
        base = self._base(purpose, week, slot)
        x = np.asarray(ids, dtype=np.uint64) * _GOLD
        x += base
        return _to_unit(_mix(x))

    def normal(self, purpose: str, week: int, ids: np.ndarray, slot: int = 0) -> np.ndarray:
        """Standard normal per id (inverse CDF of a keyed uniform)."""
        return ndtri(self.uniform(purpose, week, ids, slot))

    def exponential(self, purpose: str, week: int, ids: np.ndarray, slot: int = 0) -> np.ndarray:
        """Exp(1) per id."""
        return -np.log(self.uniform(purpose, week, ids, slot))

    def uniform_rows(self, purpose: str, week: int, ids: np.ndarray, k: int,
                     first: int = 0) -> np.ndarray:
        """U(0,1) of shape (k, len(ids)); row j uses slot ``first + j``.

        Slot-major, so that each slot's numbers are one contiguous run: the
        processes use a slot at a time, and elementwise work on a contiguous row
        is several times faster than on a strided column. ``first`` lets a process
        draw its later slots only for the customers that get that far.
        """
        key = np.asarray(ids, dtype=np.uint64) * _GOLD
        base = int(self._base(purpose, week, first))
        # slot j's base is base + j * _K_SLOT (mod 2^64): one broadcast add for all rows
        bases = np.array([(base + j * _KS) & _MASK for j in range(k)], dtype=np.uint64)
        x = key[None, :] + bases[:, None]
        return _to_unit(_mix(x))

    def uniform_stack(self, parts: list[tuple[str, int]], week: int, ids: np.ndarray
                      ) -> list[np.ndarray]:
        """:meth:`uniform_rows` of several purposes, ``(purpose, k)`` each, in one pass:
        the very same numbers (each is its own key's), for a fraction of the calls
        when ``ids`` are few (a week's newcomers)."""
        key = np.asarray(ids, dtype=np.uint64) * _GOLD
        bases = []
        for purpose, k in parts:
            base = int(self._base(purpose, week, 0))
            bases += [(base + j * _KS) & _MASK for j in range(k)]
        u = _to_unit(_mix(key[None, :] + np.array(bases, dtype=np.uint64)[:, None]))
        return np.split(u, np.cumsum([k for _, k in parts])[:-1])

    def uniform_matrix(self, purpose: str, week: int, ids: np.ndarray, k: int) -> np.ndarray:
        """U(0,1) of shape (len(ids), k), C order; column j uses slot j."""
        return np.ascontiguousarray(self.uniform_rows(purpose, week, ids, k).T)

    def normal_matrix(self, purpose: str, week: int, ids: np.ndarray, k: int) -> np.ndarray:
        """Standard normals of shape (len(ids), k)."""
        return ndtri(self.uniform_matrix(purpose, week, ids, k))


class BatchDraws(Draws):
    """The draws of several replications stacked in one batch (:mod:`cxsim.batch`).

    Row ``r * n + i`` is customer ``i`` of replication ``r``: its numbers are keyed
    by the local id ``i`` under replication ``r``'s own seed, so each replication
    draws exactly what it would alone (the key's sum is taken mod 2**64 either way).
    """

    def __init__(self, seeds: list[int], n: int) -> None:
        super().__init__(seeds[0])
        self.seeds = [int(s) for s in seeds]
        self.n = int(n)  # customers per replication
        self._roots = _mix(np.array(self.seeds, dtype=np.uint64) + _GOLD)
        self._rep_bases: dict[str, np.ndarray] = {}

    def _bases(self, purpose: str, week: int, slot: int) -> np.ndarray:
        """Each replication's base key (R,) for this purpose, week and slot."""
        p = self._rep_bases.get(purpose)
        if p is None:
            p = self._rep_bases[purpose] = _mix(np.uint64(purpose_key(purpose)) ^ self._roots)
        return p + np.uint64(((week & 0xFFFFFFFF) * _KW + slot * _KS) & _MASK)

    def _split(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ids = np.asarray(ids, dtype=np.int64)
        rep = ids // self.n
        return rep, (ids - rep * self.n).astype(np.uint64)

    def uniform(self, purpose: str, week: int, ids: np.ndarray, slot: int = 0) -> np.ndarray:
        rep, local = self._split(ids)
        x = local * _GOLD
        x += self._bases(purpose, week, slot)[rep]
        return _to_unit(_mix(x))

    def uniform_stack(self, parts: list[tuple[str, int]], week: int, ids: np.ndarray
                      ) -> list[np.ndarray]:
        return [self.uniform_rows(purpose, week, ids, k) for purpose, k in parts]

    def uniform_rows(self, purpose: str, week: int, ids: np.ndarray, k: int,
                     first: int = 0) -> np.ndarray:
        rep, local = self._split(ids)
        key = local * _GOLD
        key += self._bases(purpose, week, first)[rep]
        steps = np.array([(j * _KS) & _MASK for j in range(k)], dtype=np.uint64)
        x = key[None, :] + steps[:, None]
        return _to_unit(_mix(x))
