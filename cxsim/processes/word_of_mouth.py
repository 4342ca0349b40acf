"""Word of mouth, reviews and awareness (process 8, and advertising).

After an episode a customer may tell their contacts and may post a review
(:meth:`WordOfMouth.speak`); customers also chatter now and then about what
dealers they know. Talk is queued and heard at the end of the week
(:meth:`WordOfMouth.spread`), so the result does not depend on the order in
which the week's episodes were lived. Advertising makes unaware customers
learn of a dealer (Bass p).
"""

from __future__ import annotations

import numpy as np

from cxsim import experience as xp
from cxsim.config import WEEKS_PER_YEAR
from cxsim.processes.base import Process, flat
from cxsim.rules import register
from cxsim.social import batch_talk, neighbours_of


@register("word_of_mouth", "default")
class WordOfMouth(Process):
    """Talk between neighbours, online reviews and advertising."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # (tellers, dealers or listeners, scores, is_chatter) batches of this week
        self._talk: list[tuple[np.ndarray, np.ndarray, np.ndarray, bool]] = []
        self._reviews: list[tuple[np.ndarray, np.ndarray]] = []

    def book_initial(self) -> None:
        """Everyone's first chatter, if customers chatter at all."""
        rate = self.cfg.word_of_mouth.chatter_per_year
        if rate > 0:
            ids = np.arange(self.market.n)
            gap = np.ceil(self.draws.exponential("chatter_gap", 0, ids)
                          * WEEKS_PER_YEAR / rate)
            self.cal.book("chatter", ids, self.week + np.maximum(gap, 1).astype(np.int64))

    def speak(self, ids: np.ndarray, d: np.ndarray, score: np.ndarray,
              u_talk: np.ndarray, u_review: np.ndarray) -> None:
        """Decide who talks and who reviews after an episode with dealer ``d``
        remembered as ``score``; the talk itself spreads at week's end."""
        w, m = self.cfg.word_of_mouth, self.market
        p = self.pop
        rates = (m.value_of("word_of_mouth.talk_rate", w.talk_rate, ids),
                 m.value_of("word_of_mouth.review_rate", w.review_rate, ids))
        pt, pr = xp.talk_chances(score, rates, w.talk_positive_slope,
                                 w.talk_negative_slope, w.talk_neutral)
        pt *= p.talkativeness[ids]
        talks = u_talk < pt
        if talks.any():
            self._talk.append((ids[talks], d[talks], score[talks], False))
        pr *= p.affinity[ids]
        if self.market.reviews.folds:
            self.market.reviews.expect(self.market.to_global(ids, d), pr, score)
        posts = u_review < pr
        if posts.any():
            self._reviews.append((self.market.to_global(ids[posts], d[posts]), score[posts]))

    def chatter(self, ids: np.ndarray) -> None:
        """Talk not caused by an episode: tell one contact what you know of the dealers."""
        if ids.size == 0:
            return
        m, k = self.market, self._key()
        rate = self.cfg.word_of_mouth.chatter_per_year
        gap = np.ceil(self.draws.exponential("chatter_gap", k, ids) * WEEKS_PER_YEAR
                      / rate)
        self.cal.book("chatter", ids, self.week + np.maximum(gap, 1).astype(np.int64))
        if self.cfg.customers.well_mixed or m.adjacency.nnz == 0:
            listeners = (self.draws.uniform("chatter_to", k, ids) * m.n).astype(np.int64)
        else:
            start = m.adjacency.indptr[ids]
            deg = m.adjacency.indptr[ids + 1] - start
            has = deg > 0
            ids = ids[has]
            off = (self.draws.uniform("chatter_to", k, ids) * deg[has]).astype(np.int64)
            listeners = m.adjacency.indices[start[has] + off].astype(np.int64)
        self._talk.append((ids, listeners, np.empty(0), True))

    def listeners_of(self, tellers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(teller position, listener id) pairs: who hears each teller."""
        c, m = self.cfg.customers, self.market
        if c.well_mixed:
            deg = max(c.network_degree, 1)
            who = np.repeat(np.arange(tellers.size), deg)
            listeners = (self.draws.uniform("listener", self._key(),
                                            np.repeat(tellers, deg) * deg
                                            + np.tile(np.arange(deg), tellers.size))
                         * m.n).astype(np.int64)
            return who, listeners
        return neighbours_of(m.adjacency, tellers)

    def hear(self, listeners: np.ndarray, dealers: np.ndarray, heard: np.ndarray) -> None:
        """Listeners hear of ``dealers`` remembered as ``heard``: their attitude moves
        toward it and they now know the dealer. A listener may appear twice."""
        p, w, mt = self.pop, self.cfg.word_of_mouth, self.metrics
        # Element (listener, dealer) as one flat index: 1-D gathers and scatters are
        # cheap, and np.add.at (a listener told twice in a week hears both) has a
        # fast path only for 1-D indices with values of the array's own dtype,
        # about 100 times faster than the 2-D index with float64 values.
        cell = listeners * self.market.n_dealers + dealers
        attitude = flat(p.attitude)
        listen = self.market.value_of("word_of_mouth.listen_weight", w.listen_weight,
                                      listeners)
        delta = listen * (heard - attitude[cell])
        np.add.at(attitude, cell, delta.astype(attitude.dtype))
        flat(p.aware)[cell] = True
        good = heard >= w.talk_neutral
        dealers = self.market.to_global(listeners, dealers)
        mt.add("wom_positive", dealers[good])
        mt.add("wom_negative", dealers[~good])

    def spread(self) -> None:
        """Apply the week's talk, then the week's reviews to the public rating."""
        p = self.pop
        talk, self._talk = self._talk, []
        if self.market.batch is not None:
            talk = batch_talk(talk, self.market.batch)
        # All of a week's episode talk is heard at once (one batch), so the result does
        # not depend on how the week's episodes were batched (fast vs stepped engine).
        episodes = [t for t in talk if not t[3]]
        if len(episodes) > 1 and self.market.batch is None:
            tellers = np.concatenate([t[0] for t in episodes])
            order = np.argsort(tellers, kind="stable")  # same float sums in any order
            talk = [t for t in talk if t[3]] + [(
                tellers[order],
                np.concatenate([t[1] for t in episodes])[order],
                np.concatenate([t[2] for t in episodes])[order], False)]
        for tellers, d, score, is_chatter in talk:
            if is_chatter:
                listeners = d  # chatter carries listener ids in the dealer slot
                # a listener told twice in one week keeps what either teller knew
                np.logical_or.at(p.aware, listeners, p.aware[tellers])
                continue
            who, listeners = self.listeners_of(tellers)
            if listeners.size == 0:
                continue
            self.hear(listeners, d[who], score[who])
            if self.market.feed is not None:
                self._record_talk(tellers, d, score, who)
            if self.market.journal is not None:
                self.market.journal.talk(self, tellers, d, score, who, listeners)
        self._publish_reviews()

    def _publish_reviews(self) -> None:
        reviews, self._reviews = self._reviews, []
        platform = self.market.reviews
        platform.age()
        for d, score in reviews:
            platform.post(d, score)
            self.metrics.add("reviews", d)
        platform.update_rating()

    def _record_talk(self, tellers: np.ndarray, dealers: np.ndarray, score: np.ndarray,
                     who: np.ndarray) -> None:
        """Keep plain-words word-of-mouth events for the dashboard's feed."""
        heard = np.bincount(who, minlength=tellers.size)
        names, feed, week = self.market.dealers.names, self.market.feed, self.week
        for t, d, s, h in zip(tellers.tolist(), dealers.tolist(), score.tolist(),
                              heard.tolist(), strict=True):
            feed.append({"week": week, "teller": t, "dealer": names[d], "score": s,
                         "listeners": h})

    def advertise(self) -> None:
        """Unaware customers learn of a dealer from its marketing (Bass p)."""
        p = self.pop
        rate = self.cfg.word_of_mouth.advertising_per_year
        if rate <= 0:
            return
        prob = 1.0 - np.exp(-rate / WEEKS_PER_YEAR)
        for j in self.market.dealers_with_unaware():
            unaware = np.flatnonzero(~p.aware[:, j])
            learns = self.draws.uniform(f"advert_{j}", self._key(), unaware) < prob
            p.aware[unaware[learns], j] = True
