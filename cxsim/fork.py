"""The fork: arms of a comparison that lived one warm-up go on each on its own.

A programme starts at recorded week 0 or later, so configs that differ only
in their programme (and share a seed) live the same warm-up: a batch
(:class:`cxsim.batch.BatchModel`) simulates it once for them, then copies
every customer's and every store's state into each arm's rows, here, and
goes on. Each arm's results equal its own run's byte for byte
(``tests/test_batch.py``).
"""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING

import numpy as np

from cxsim.config import RunConfig
from cxsim.customers import Population
from cxsim.dealers import Dealer
from cxsim.draws import BatchDraws
from cxsim.market import BatchLayout, DealerArrays, Market
from cxsim.metrics import Metrics
from cxsim.processes import Processes
from cxsim.stacking import block_diagonal, refiled, rows_of

if TYPE_CHECKING:
    from cxsim.batch import BatchModel


def fork(model: BatchModel, cfgs: list[RunConfig], source: list[int],
         values: dict[str, np.ndarray]) -> None:
    """``model`` holds ``cfgs`` from here on: replication ``r`` continues as a copy of
    its warmed-up replication ``source[r]`` (its arm's twin until now); ``values``:
    the per-replication behavioural parameters of ``cfgs`` (:class:`BatchLayout`).

    Whatever is kept per customer or per dealer row is copied row by row; the
    calendar is filed afresh from each customer's current bookings (a week's due
    customers are the same set, and they come sorted); what is recorded starts
    at week 0, so the counters start empty. The caller schedules the programmes.
    """
    old = model.market
    b = old.batch
    reps, n, nd = len(cfgs), b.n, b.nd
    src = np.asarray(source)
    rows = (src[:, None] * n + np.arange(n)).ravel()
    drows = (src[:, None] * nd + np.arange(nd)).ravel()
    model.cfg, model.cfgs = cfgs[0], list(cfgs)
    model.reps, model.n = reps, reps * n
    model.draws = BatchDraws([c.seed for c in cfgs], n)
    model.weight = model.weight[drows] if np.ndim(model.weight) else model.weight
    old_dealers = model.dealer_list
    model.dealer_list = [Dealer(model, r * nd + i, spec, c.dealers)
                         for r, c in enumerate(cfgs)
                         for i, spec in enumerate(c.dealers.dealers)]
    for new, j in zip(model.dealer_list, drows, strict=True):
        was = old_dealers[j]  # no programme has started: only these have moved
        new.quality = was.quality.copy()
        new.engagement, new.consistency_sd = was.engagement, was.consistency_sd
        new.check_rest()
    for d in old_dealers:
        d.remove()
    model.n_dealers = len(model.dealer_list)
    model.population = Population(**{f.name: getattr(old.population, f.name)[rows]
                                     for f in fields(Population)})
    model.adjacency = block_diagonal([model.networks[s] for s in src], n)
    model.networks = None
    model.metrics = Metrics(model.n_dealers, model.weeks, weight=cfgs[0].weight, reps=reps,
                            rep_weights=[c.weight for c in cfgs])
    model.calendar = refiled(old.calendar, rows, old.week)
    model.own_friction = any(c.market != cfgs[0].market for c in cfgs)
    model.market = Market(
        cfg=cfgs[0], population=model.population, draws=model.draws,
        calendar=model.calendar, metrics=model.metrics,
        dealers=DealerArrays(model.dealer_list),
        lanes=rows_of(old.lanes, drows, len(old_dealers)),
        reviews=rows_of(old.reviews, drows, len(old_dealers)), adjacency=model.adjacency,
        static_utility=old.static_utility[rows], season_cdf=old.season_cdf,
        warmup=old.warmup, week=old.week, owners=old.owners[drows],
        friction=old.friction, unaware_dealers=list(old.unaware_dealers),
        batch=BatchLayout(reps, n, nd, b.in_market[src].copy(), b.entered[src].copy(),
                          None if b.friction is None else b.friction[src], values))
    model.market.reviews.n_dealers = model.n_dealers
    model.processes = Processes(model.market, model.cfg.rules)
    model.set_handlers()
