"""The service lane as an M/M/c queue (Ciw's vocabulary: a node with servers).

A dealer's service lane is a node whose servers are its bays. Arrivals are the
week's service visits (Poisson, because needs arrive as a Poisson process);
service times are exponential with mean ``service_hours``. The waiting time
of an arriving customer in a stationary M/M/c queue is zero with probability
1 - C(c, a) and otherwise exponential with rate c*mu - lambda (Erlang C;
Kleinrock 1975, sec. 3.5). The engine samples each visit's wait from that
law at the lane's smoothed arrival rate (an exponentially weighted average of
weekly arrivals) rather than simulating the queue minute by minute: O(visits),
and exact for a stationary queue at a known rate. Because the wait is convex
in the rate, the noise left in the smoothed rate adds a small upward bias
(about 4 % of the mean wait at 19 bays and load 0.82, more for small lanes).
"""

from __future__ import annotations

import numpy as np


def erlang_c(servers: int, offered_load: float) -> float:
    """Probability an arrival waits, C(c, a), for c servers and load a = lambda/mu.

    Computed with the stable Erlang-B recursion. Returns 1 when a >= c.
    """
    c = int(servers)
    a = float(offered_load)
    if c <= 0 or a >= c:
        return 1.0
    if a <= 0:
        return 0.0
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    rho = a / c
    return b / (1.0 - rho * (1.0 - b))


def mean_wait(servers: int, arrival_rate: float, service_rate: float) -> float:
    """Mean time in queue W_q of M/M/c (same time unit as the rates)."""
    a = arrival_rate / service_rate
    if a >= servers:
        return float("inf")
    return erlang_c(servers, a) / (servers * service_rate - arrival_rate)


def erlang_c_lanes(servers: np.ndarray, offered_load: np.ndarray) -> np.ndarray:
    """:func:`erlang_c` of every lane at once (the same recursion, element by element,
    so each lane's number is the scalar function's to the last bit)."""
    c = np.asarray(servers).astype(np.int64)
    a = np.asarray(offered_load, dtype=float)
    out = np.ones(a.shape)
    live = (c > 0) & (a < c) & (a > 0)
    out[(c > 0) & (a < c) & (a <= 0)] = 0.0
    if live.any():
        b = np.ones(a.shape)
        for k in range(1, int(c[live].max()) + 1):
            step = live & (k <= c)
            ab = a[step] * b[step]
            b[step] = ab / (k + ab)
        rho = a[live] / c[live]
        bl = b[live]
        out[live] = bl / (1.0 - rho * (1.0 - bl))
    return out


def mean_wait_lanes(servers: np.ndarray, arrival_rate: np.ndarray,
                    service_rate: np.ndarray) -> np.ndarray:
    """:func:`mean_wait` of every lane at once (inf where the lane is overloaded)."""
    a = arrival_rate / service_rate
    out = np.full(a.shape, np.inf)
    ok = a < servers
    out[ok] = erlang_c_lanes(servers[ok], a[ok]) / (
        servers[ok] * service_rate[ok] - arrival_rate[ok])
    return out


def wait_law(servers: np.ndarray, arrival_rate: np.ndarray,
             service_rate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per lane: the chance an arrival waits and the rate of the wait if it does.

    An overloaded lane (load >= 1) gets chance 1 and rate 0, i.e. an endless wait,
    which the caller caps (``touchpoints.overloaded_wait_hours``).
    """
    servers, service_rate = np.asarray(servers), np.asarray(service_rate, dtype=float)
    arrival_rate = np.asarray(arrival_rate, dtype=float)
    pw = np.ones(len(servers))
    rate = np.zeros(len(servers))
    load = arrival_rate / service_rate
    ok = load < servers
    pw[ok] = erlang_c_lanes(servers[ok], load[ok])
    rate[ok] = servers[ok] * service_rate[ok] - arrival_rate[ok]
    return pw, rate


def debiased_rate(servers: np.ndarray, rate: np.ndarray, service_rate: np.ndarray,
                  variance: np.ndarray) -> np.ndarray:
    """The rate at which to read the wait law when ``rate`` is a noisy estimate.

    W_q is convex in the rate, so the law read at an estimate with variance V
    gives on average W_q(lambda) + W_q''(lambda) V / 2: small lanes, whose
    weekly counts are few, would run above Erlang C (about 15 % at 2 bays).
    Reading it at lambda - (W_q'' / W_q') V / 2 removes that term to first
    order (a second-order delta-method correction). The shift is capped at two
    standard deviations and keeps the lane below capacity. All lanes at once.
    """
    out = np.array(rate, dtype=float)
    c = np.asarray(servers)
    mu = np.broadcast_to(np.asarray(service_rate, dtype=float), out.shape)
    v = np.broadcast_to(np.asarray(variance, dtype=float), out.shape)
    cap = c * mu
    ok = (0 < out) & (out < cap) & (v > 0)
    if not ok.any():
        return out
    c, lam, mu, v, cap = c[ok], out[ok], mu[ok], v[ok], cap[ok]
    root = np.sqrt(v)
    h = np.minimum(np.minimum(root, (cap - lam) / 4.0), lam / 4.0)
    # the three points in one pass of the recursion (lanes side by side, thrice)
    w0, w1, w2 = np.split(mean_wait_lanes(np.tile(c, 3), np.concatenate(
        [lam + k * h for k in (-1, 0, 1)]), np.tile(mu, 3)), 3)
    # pow(h, 2), as the scalar h ** 2 computes it (not always h * h to the last bit)
    h2 = np.array([x ** 2 for x in h.tolist()])
    slope, curve = (w2 - w0) / (2 * h), (w2 - 2 * w1 + w0) / h2
    up = slope > 0
    shifted = lam - np.minimum(0.5 * curve / np.where(up, slope, 1.0) * v, 2.0 * root)
    out[np.flatnonzero(ok)[up]] = shifted[up]
    return out
