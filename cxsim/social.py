"""The customers' social network and word of mouth over it.

The network is a Watts-Strogatz small world (Watts & Strogatz 1998) built
straight into compressed sparse rows: customers are ordered along a
serpentine path through the market so that ring neighbours are also
geographic neighbours, and a share of ties is rewired to random customers
(the long ties that make word of mouth travel). Built in O(n * degree) array
operations, so a million customers take about a second.

Word of mouth is a sparse operation: the tellers' rows of the adjacency are
gathered in one slice, so its cost grows with the number of tellers times
their degree, not with the population.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from cxsim.draws import Draws


def serpentine_order(x: np.ndarray, y: np.ndarray, strip_km: float) -> np.ndarray:
    """Order points along horizontal strips, alternating direction."""
    strip = np.floor((y - y.min()) / strip_km).astype(np.int64)
    key_x = np.where(strip % 2 == 0, x, -x)
    return np.lexsort((key_x, strip))


def small_world(order: np.ndarray, degree: int, rewire: float, draws: Draws) -> sp.csr_matrix:
    """Symmetric 0/1 adjacency of a Watts-Strogatz graph over customers in ``order``."""
    n = order.size
    if degree == 0 or n < 2:
        return sp.csr_matrix((n, n), dtype=np.float32)
    half = min(degree // 2, max((n - 1) // 2, 1))
    pos = np.arange(n)
    src = np.repeat(pos, half)
    dst = (src + np.tile(np.arange(1, half + 1), n)) % n
    edge_ids = np.arange(src.size)
    u = draws.uniform("network_rewire", 0, edge_ids)
    new = (draws.uniform("network_target", 0, edge_ids) * n).astype(np.int64)
    rewired = (u < rewire) & (new != src)
    dst = np.where(rewired, new, dst)
    a, b = order[src], order[dst]
    if n < 2**31:  # 32-bit indices: half the memory traffic of sorting the ties into rows
        a, b = a.astype(np.int32), b.astype(np.int32)
    rows = np.concatenate([a, b])
    cols = np.concatenate([b, a])
    adj = sp.csr_matrix((np.ones(rows.size, dtype=np.float32), (rows, cols)), shape=(n, n))
    adj.data[:] = 1.0  # duplicates from rewiring collapse to one tie
    adj.eliminate_zeros()
    return adj


def neighbours_of(adj: sp.csr_matrix, tellers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(teller position, listener id) pairs: every tie of every teller."""
    start = adj.indptr[tellers]
    count = adj.indptr[tellers + 1] - start
    total = int(count.sum())
    if total == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    teller_pos = np.repeat(np.arange(tellers.size), count)
    offsets = np.arange(total) - np.repeat(np.cumsum(count) - count, count)
    listeners = adj.indices[np.repeat(start, count) + offsets]
    return teller_pos, listeners.astype(np.int64)


def to_networkx(adj: sp.csr_matrix):
    """The same graph as a networkx Graph (for Mesa's Network space)."""
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from(range(adj.shape[0]))
    coo = sp.triu(adj, k=1).tocoo()
    g.add_edges_from(zip(coo.row.tolist(), coo.col.tolist(), strict=True))
    return g


Talk = tuple[np.ndarray, np.ndarray, np.ndarray, bool]


def batch_talk(talk: list[Talk], batch) -> list[Talk]:
    """A stacked batch's week of talk (:mod:`cxsim.batch`), ordered as each
    replication alone orders it.

    ``talk`` holds (tellers, dealers or listeners, scores, is_chatter) in the order
    the week made it: episodes' talk, then chatter. A replication with talk from
    more than one episode batch hears its chatter first and then all its
    episodes' talk sorted by teller; one with at most one hears that batch, then
    its chatter. Replications never hear each other, so one merged batch of
    episodes, with chatter split before and after it, gives each exactly its own
    order of floating-point additions.
    """
    episodes = [t for t in talk if not t[3]]
    chatter = [t for t in talk if t[3]]
    parts = [batch.rep_of(t[0]) for t in episodes]
    batches = np.zeros(batch.reps, dtype=np.int64)
    for rep in parts:
        batches += np.bincount(rep, minlength=batch.reps) > 0
    multi = batches > 1
    out: list[Talk] = [_only(t, multi, batch) for t in chatter]
    if episodes:
        rep = np.concatenate(parts)
        tellers = np.concatenate([t[0] for t in episodes])
        key = np.where(multi[rep], tellers, np.arange(tellers.size))
        order = np.lexsort((key, rep))
        out.append((tellers[order], np.concatenate([t[1] for t in episodes])[order],
                    np.concatenate([t[2] for t in episodes])[order], False))
    out += [_only(t, ~multi, batch) for t in chatter]
    return out


def _only(t: Talk, reps: np.ndarray, batch) -> Talk:
    """Chatter ``t`` of the tellers in replications ``reps`` only."""
    keep = reps[batch.rep_of(t[0])]
    return t[0][keep], t[1][keep], t[2], True
