"""Replications of one market stacked in one model, each bit-identical to its own run.

A default run's simulation is mostly the cost of calls, not of work: a week's
thousand-odd events take a few hundred numpy calls whatever their number. R
replications of one market are the same calls on R times the rows. Customer
``i`` of replication ``r`` is row ``r * n + i`` and its dealer ``j`` is dealer
row ``r * nd + j``, so the dealer arrays, service lanes, review platform and
counters simply hold every replication's dealers; a customer still chooses
among its own replication's ``nd`` dealers (the population's matrices keep
``nd`` columns, and :meth:`cxsim.market.Market.to_global` maps a choice to
its dealer row). The social network is R disjoint copies. Every random
number is keyed by the customer's own id under its replication's seed
(:class:`cxsim.draws.BatchDraws`), each bin of a ``bincount`` adds its
replication's events in the order the replication alone adds them (ids stay
sorted by replication, then customer), and the week's talk is ordered as
each replication alone orders it (:func:`cxsim.social.batch_talk`): so each
replication's weekly table and summary equal its single run's byte for byte
(``tests/test_batch.py``).

Replications in a batch share the market's structure (sample, horizon, stores'
places, names and groups, the rules) but may differ in the seed, the programme
(``investment``: the arms of a comparison), the money (``economics``), how the
stores turn money into quality and how good they are (:data:`DEALER_KEYS`,
:data:`STORE_KEYS`: each replication's dealers are built from its own config),
the friction trend (:data:`FRICTION_KEYS`: each replication meets its own), the
market's size (``market.households``: the weight of a simulated customer, read
only by the replication's own stores) and a few behavioural parameters the
processes read per customer (:data:`VALUE_KEYS`), which is where calibration
particles and exploration scenarios differ.
:func:`batch_key` says which configs can share a batch; anything else (another
behavioural parameter, the stepped engine, a well-mixed market, a researcher's
rule that does not declare ``batchable = True``) runs on its own.
"""

from __future__ import annotations

import copy
import json
from dataclasses import asdict, fields
from typing import Any

import mesa
import numpy as np
import scipy.sparse as sp

from cxsim.calendar import NEVER, Calendar
from cxsim.choice import distances
from cxsim.config import RunConfig
from cxsim.customers import Population, populate
from cxsim.dealers import Dealer
from cxsim.draws import BatchDraws, Draws
from cxsim.friction import friction_at
from cxsim.lane import ServiceLanes
from cxsim.lifecycle import season_cdf
from cxsim.market import BatchLayout, DealerArrays, Market
from cxsim.metrics import Metrics
from cxsim.model import EVENTS, CxModel
from cxsim.processes import Processes
from cxsim.processes.programme import ProgrammeSchedule
from cxsim.programme import Programme
from cxsim.reviews import ReviewPlatform
from cxsim.rules import selected
from cxsim.social import serpentine_order, small_world

BATCH_MAX = 16
"""Replications per batch: past this the gain per replication levels off
(``benchmarks/bench_batch.py``) while memory keeps growing."""
BATCH_CUSTOMERS = 400_000
"""Customers per batch at most (a replication's memory is its own run's; this caps a
batch's): a million-customer run runs alone."""

PER_REPLICATION = ("seed", "investment", "economics", "progress", "plots")
"""Config sections that may differ between the replications of one batch."""
DEALER_KEYS = ("quality_max", "spend_half", "reference_bays", "quality_lag_weeks",
               "engagement_effect", "engagement_spend_half", "consistency_spend_half",
               "handoff_failure", "service_hours", "bay_cost_k")
"""``dealers.*`` keys that may differ: read only by each replication's own dealers."""
STORE_KEYS = ("quality", "consistency_sd", "engagement", "bays", "open_hours_per_week",
              "gross_per_vehicle", "gross_per_service_visit")
"""``dealers.dealers[i].*`` keys that may differ, for the same reason."""
FRICTION_KEYS = ("friction_start", "friction_decline", "friction_floor",
                 "friction_step_week", "friction_step_to")
"""``market.*`` keys that may differ: each replication meets its own friction."""
VALUE_KEYS = ("choice.switching_cost", "word_of_mouth.talk_rate", "word_of_mouth.review_rate",
              "word_of_mouth.listen_weight", "touchpoints.expectation_drift")
"""Behavioural parameters that may differ: the processes read them per customer
(:meth:`cxsim.market.Market.value_of`)."""
VARYING = (*PER_REPLICATION, *VALUE_KEYS, *(f"dealers.{k}" for k in DEALER_KEYS),
           *(f"dealers.dealers[].{k}" for k in STORE_KEYS),
           *(f"market.{k}" for k in FRICTION_KEYS), "market.households")
"""Every key that may differ between the replications of one batch."""


def batch_key(cfg: RunConfig) -> str | None:
    """Configs with equal keys can run in one batch; None: this one runs alone."""
    if cfg.engine != "fast" or cfg.customers.well_mixed:
        return None
    for name, cls in selected(cfg.rules).items():
        if getattr(cfg.rules, name) != "default" and not cls.__dict__.get("batchable"):
            return None  # a researcher's rule may assume one replication's rows
    shared = {k: v for k, v in asdict(cfg).items() if k not in PER_REPLICATION}
    dealers = shared["dealers"]
    for k in DEALER_KEYS:
        dealers.pop(k)
    for store in dealers["dealers"]:
        for k in STORE_KEYS:
            store.pop(k)
    for k in FRICTION_KEYS:
        shared["market"].pop(k)
    # The market's size sets the weight w of a simulated customer (real households
    # each stands for), which only the replication's own stores' lanes, reviews and
    # counters read; whether the sample is smaller than the market (w > 1: noise
    # scaled to the real market's) must be the same for the whole batch.
    shared["market"].pop("households")
    shared["market_larger_than_sample"] = cfg.weight > 1.0
    for key in VALUE_KEYS:
        section, name = key.split(".")
        shared[section].pop(name)
    return json.dumps(shared, sort_keys=True, default=str)


_PREPARED: dict[str, Any] = {}
"""Results of runs made ahead in a batch, by :func:`same_run` key, until :func:`take`n."""


def same_run(cfg: RunConfig) -> str:
    """Configs with equal keys give the same numbers (progress bars and plots aside)."""
    return json.dumps({k: v for k, v in asdict(cfg).items() if k not in ("progress", "plots")},
                      sort_keys=True, default=str)


def keep(cfg: RunConfig, outcomes: Any) -> None:
    """Hold a run's results, made ahead in a batch, for :func:`cxsim.run.run` of ``cfg``
    (a sweep's launcher runs a worker's jobs as one batch, then each job as usual)."""
    _PREPARED[same_run(cfg)] = outcomes


def take(cfg: RunConfig) -> Any | None:
    """The results kept for ``cfg`` (removed from the store), or None."""
    return _PREPARED.pop(same_run(cfg), None) if _PREPARED else None


class _Programme(ProgrammeSchedule):
    """A replication's programme: its focal store and copying rival are its own rows."""

    def __init__(self, market: Market, cfg: RunConfig, offset: int) -> None:
        super().__init__(market, cfg.investment, Programme.from_config(cfg),
                         cfg.dealers.focal)
        self.offset = offset
        self.focal += offset
        self.stores = [offset + s for s in self.stores]

    def start_rival(self) -> None:
        self.start(self.offset + self.investment.copied_by)


def _stack(parts: list[Population]) -> Population:
    return Population(**{f.name: np.concatenate([getattr(p, f.name) for p in parts])
                         for f in fields(Population)})


def _block_diagonal(adjs: list[sp.csr_matrix], n: int) -> sp.csr_matrix:
    """The replications' networks as one graph of disjoint copies, each row's ties in
    the order its own network holds them."""
    offsets = np.cumsum([0] + [a.nnz for a in adjs])
    indptr = np.concatenate([a.indptr[:-1] + o for a, o in zip(adjs, offsets, strict=False)]
                            + [offsets[-1:]]).astype(np.int64)
    dtype = np.int32 if len(adjs) * n < 2**31 else np.int64
    indices = np.concatenate([a.indices.astype(dtype) + dtype(r * n)
                              for r, a in enumerate(adjs)])
    data = np.concatenate([a.data for a in adjs])
    size = len(adjs) * n
    return sp.csr_matrix((data, indices, indptr), shape=(size, size))


class BatchModel(CxModel):
    """R replications of one market (configs with one :func:`batch_key`), stepped
    together; :meth:`replica` gives each one's results."""

    def __init__(self, cfgs: list[RunConfig]) -> None:
        keys = {batch_key(c) for c in cfgs}
        if len(keys) != 1 or None in keys:
            raise ValueError("a batch needs fast-engine configs that differ only in "
                             f"{', '.join(VARYING)}")
        # Arms of one market on one seed live the same warm-up (their programmes start
        # at recorded week 0 or later): it is simulated once, for the first of them,
        # and each arm is a copy of it from then on (:meth:`_fork`).
        leader = _leaders(cfgs)
        firsts = sorted(set(leader))
        self._fork_into: tuple[list[RunConfig], list[int]] | None = None
        if len(firsts) < len(cfgs):
            self._fork_into = (list(cfgs), [firsts.index(i) for i in leader])
            cfgs = [cfgs[i] for i in firsts]
        cfg = cfgs[0]
        mesa.Model.__init__(self, rng=cfg.seed)
        self.cfg, self.cfgs = cfg, list(cfgs)
        reps, n, nd = len(cfgs), cfg.sample.customers, len(cfg.dealers.dealers)
        self.reps, self.n_local = reps, n
        self.draws = BatchDraws([c.seed for c in cfgs], n)
        self.n = reps * n
        # real households per simulated customer: each replication's, per dealer row
        self.weight = np.repeat([c.weight for c in cfgs], len(cfg.dealers.dealers)) \
            if any(c.weight != cfg.weight for c in cfgs) else cfg.weight
        self.warmup = cfg.market.warmup_weeks
        self.weeks = cfg.weeks
        self.dealer_list = [Dealer(self, r * nd + i, spec, c.dealers)
                            for r, c in enumerate(cfgs)
                            for i, spec in enumerate(c.dealers.dealers)]
        self.n_dealers = len(self.dealer_list)
        self.locations = np.array([d.location for d in self.dealer_list[:nd]])
        price_premium = np.array([d.spec.price_premium for d in self.dealer_list[:nd]])
        ch, cc = cfg.choice, cfg.customers
        pops, adjs, statics, owners = [], [], [], []
        built: dict[str, tuple] = {}
        for c in cfgs:  # each replication's customers and network, as its own run builds them
            # arms of a comparison on one seed start from the same customers: built once
            key = _start_key(c)
            if key not in built:
                own_draws = Draws(c.seed)
                p = populate(c, own_draws)
                order = serpentine_order(p.x, p.y,
                                         strip_km=max(cc.market_size_km / 50.0, 1e-6))
                built[key] = (p, small_world(order, cc.network_degree, cc.network_rewire,
                                             own_draws), (
                    -ch.distance_weight * distances(p.x, p.y, self.locations)
                    - ch.price_weight * p.price_weight[:, None] * price_premium[None, :]
                ).astype(np.float32), np.bincount(p.selling_dealer[p.selling_dealer >= 0],
                                                  minlength=nd).astype(np.int64))
            p, adj, static, owned = built[key]
            pops.append(p)
            adjs.append(adj)
            statics.append(static)
            owners.append(owned)
        del built
        self._networks = adjs if self._fork_into is not None else None
        self.population = p = _stack(pops)
        del pops
        self.adjacency = _block_diagonal(adjs, n)
        self.customers, self.network = [], None  # the stepped engine's agents: not batched
        owners = np.concatenate(owners)
        dealers = DealerArrays(self.dealer_list)
        # The lanes see real arrivals: each sampled visit stands for w real ones.
        lanes = ServiceLanes.at_start(cfg, dealers, owners, self.weight)
        self.metrics = Metrics(self.n_dealers, self.weeks, weight=cfg.weight, reps=reps,
                               rep_weights=[c.weight for c in cfgs])
        self.calendar = Calendar(self.n, EVENTS)
        zeros = np.zeros(reps, dtype=np.int64)
        # Friction already counts while the start is settled (the service bonds).
        self._own_friction = any(c.market != cfg.market for c in cfgs)
        friction = np.array([c.market.friction_start for c in cfgs]) \
            if self._own_friction else None
        self.market = Market(
            cfg=cfg, population=p, draws=self.draws, calendar=self.calendar,
            metrics=self.metrics, dealers=dealers, lanes=lanes,
            reviews=ReviewPlatform(self.n_dealers, cfg.word_of_mouth, self.weight),
            adjacency=self.adjacency, static_utility=np.concatenate(statics),
            season_cdf=season_cdf(cfg.market.season), warmup=self.warmup,
            week=-self.warmup, owners=owners, friction=cfg.market.friction_start,
            unaware_dealers=[j for j in range(nd) if not p.aware[:, j].all()],
            batch=BatchLayout(reps, n, nd, zeros.copy(), zeros.copy(), friction,
                              _values(cfgs)))
        self.processes = Processes(self.market, cfg.rules)
        self.processes.book_initial()
        ps = self.processes
        self._handlers = (ps.entry.enter, ps.shopping.visit, ps.service.serve,
                          ps.word_of_mouth.chatter)
        self.programmes: list[_Programme] = []
        if self._fork_into is None:  # else at the fork, for every arm
            self._schedule_programmes()

    def _schedule_programmes(self) -> None:
        nd = self.market.batch.nd
        self.programmes = [_Programme(self.market, c, r * nd) for r, c in enumerate(self.cfgs)]
        for prog in self.programmes:
            prog.schedule(self.schedule_event)

    def run(self, progress: bool = False) -> BatchModel:
        """The warm-up, the fork into every arm (if arms share it), the recorded weeks."""
        if self._fork_into is None:
            return super().run(progress)
        for _ in range(self.warmup):
            self.step()
        self._fork(*self._fork_into)
        self._fork_into = None
        for _ in range(self.weeks):
            self.step()
        return self

    def _fork(self, cfgs: list[RunConfig], source: list[int]) -> None:
        """Every config of the batch from here on: replication ``r`` continues as a copy
        of the warmed-up replication ``source[r]`` (its arm's twin until now).

        Whatever is kept per customer or per dealer row is copied row by row; the
        calendar is filed afresh from each customer's current bookings (a week's
        due customers are the same set, and they come sorted); what is recorded
        starts at week 0, so the counters start empty.
        """
        old, m = self.market, self.market
        b = old.batch
        reps, n, nd = len(cfgs), b.n, b.nd
        src = np.asarray(source)
        rows = (src[:, None] * n + np.arange(n)).ravel()
        drows = (src[:, None] * nd + np.arange(nd)).ravel()
        self.cfg, self.cfgs = cfgs[0], list(cfgs)
        self.reps, self.n = reps, reps * n
        self.draws = BatchDraws([c.seed for c in cfgs], n)
        self.weight = self.weight[drows] if np.ndim(self.weight) else self.weight
        old_dealers = self.dealer_list
        self.dealer_list = [Dealer(self, r * nd + i, spec, c.dealers)
                            for r, c in enumerate(cfgs)
                            for i, spec in enumerate(c.dealers.dealers)]
        for new, j in zip(self.dealer_list, drows, strict=True):
            was = old_dealers[j]  # no programme has started: only these have moved
            new.quality = was.quality.copy()
            new.engagement, new.consistency_sd = was.engagement, was.consistency_sd
        for d in old_dealers:
            d.remove()
        self.n_dealers = len(self.dealer_list)
        self.population = Population(**{f.name: getattr(old.population, f.name)[rows]
                                         for f in fields(Population)})
        self.adjacency = _block_diagonal([self._networks[s] for s in src], n)
        self._networks = None
        self.metrics = Metrics(self.n_dealers, self.weeks, weight=cfgs[0].weight, reps=reps,
                               rep_weights=[c.weight for c in cfgs])
        self.calendar = _refiled(old.calendar, rows, m.week)
        self._own_friction = any(c.market != cfgs[0].market for c in cfgs)
        self.market = Market(
            cfg=cfgs[0], population=self.population, draws=self.draws,
            calendar=self.calendar, metrics=self.metrics,
            dealers=DealerArrays(self.dealer_list),
            lanes=_rows_of(old.lanes, drows, len(old_dealers)),
            reviews=_rows_of(old.reviews, drows, len(old_dealers)), adjacency=self.adjacency,
            static_utility=old.static_utility[rows], season_cdf=old.season_cdf,
            warmup=old.warmup, week=old.week, owners=old.owners[drows],
            friction=old.friction, unaware_dealers=list(old.unaware_dealers),
            batch=BatchLayout(reps, n, nd, b.in_market[src].copy(), b.entered[src].copy(),
                              None if b.friction is None else b.friction[src],
                              _values(cfgs)))
        self.market.reviews.n_dealers = self.n_dealers
        self.processes = Processes(self.market, self.cfg.rules)
        ps = self.processes
        self._handlers = (ps.entry.enter, ps.shopping.visit, ps.service.serve,
                          ps.word_of_mouth.chatter)
        self._schedule_programmes()

    def _set_friction(self) -> None:
        m = self.market
        super()._set_friction()
        if self._own_friction:
            m.batch.friction = np.array([friction_at(m.week, c.market) for c in self.cfgs])

    def _market_measures(self) -> dict[str, float | np.ndarray]:
        b = self.market.batch
        friction = self.market.friction if b.friction is None else b.friction
        out = {"friction": friction, "in_market": b.in_market.astype(float),
               "entered": b.entered.astype(float)}
        b.entered[:] = 0
        return out

    def replica(self, r: int) -> Replica:
        """Replication ``r``'s state and measures, shaped as its own run's model."""
        return Replica(self, r)


class Replica:
    """What the results of one run read from its model (:mod:`cxsim.results`), for
    replication ``r`` of a :class:`BatchModel`."""

    def __init__(self, batch: BatchModel, r: int) -> None:
        nd = len(batch.cfg.dealers.dealers)
        n = batch.n_local
        rows = slice(r * n, (r + 1) * n)
        self.cfg = batch.cfgs[r]
        self.n = n
        self.n_dealers = nd
        self.dealer_list = batch.dealer_list[r * nd:(r + 1) * nd]
        self.metrics = batch.metrics.replica(r, nd)
        self.population = Population(**{f.name: getattr(batch.population, f.name)[rows]
                                        for f in fields(Population)})
        self.week = batch.market.week


def _leaders(cfgs: list[RunConfig]) -> list[int]:
    """For each config, the first config it can share its warm-up with: one that
    differs from it only in the programme (a programme starts at recorded week 0
    or later, ``investment.start_week >= 0``, so it leaves the warm-up alone)."""
    first: dict[str, int] = {}
    out = []
    for i, c in enumerate(cfgs):
        key = json.dumps({k: v for k, v in asdict(c).items()
                          if k not in ("investment", "progress", "plots")},
                         sort_keys=True, default=str)
        out.append(first.setdefault(key, i))
    return out


def _rows_of(obj: Any, rows: np.ndarray, dealers: int) -> Any:
    """A copy of ``obj`` (the lanes, the review platform) with every array over its
    ``dealers`` dealer rows (a vector of them, or the week's review sums: one row
    each of four) taken at ``rows``."""
    out = copy.copy(obj)
    for k, v in vars(obj).items():
        if isinstance(v, np.ndarray) and v.shape[-1:] == (dealers,) and v.ndim <= 2:
            setattr(out, k, (v[rows] if v.ndim == 1 else v[:, rows]).copy())
    return out


def _refiled(calendar: Calendar, rows: np.ndarray, week: int) -> Calendar:
    """A calendar of the customers ``rows`` of ``calendar`` (new row i is old row
    ``rows[i]``), each with its current bookings (those of ``week`` or later)."""
    out = Calendar(rows.size, EVENTS)
    for kind in EVENTS:
        due = calendar.due[kind][rows]
        live = np.flatnonzero((due >= week) & (due != NEVER))
        out.book(kind, live, due[live])
        out.due[kind][:] = due  # past bookings too, as the copied customers hold them
    return out


def _start_key(cfg: RunConfig) -> str:
    """Configs with equal keys start from the same customers and network: the seed and
    everything but the programme and the money (which the start never reads)."""
    return json.dumps({k: v for k, v in asdict(cfg).items()
                       if k not in ("investment", "economics", "progress", "plots")},
                      sort_keys=True, default=str)


def _values(cfgs: list[RunConfig]) -> dict[str, np.ndarray]:
    """The :data:`VALUE_KEYS` whose values differ between replications: each one's."""
    out = {}
    for key in VALUE_KEYS:
        section, name = key.split(".")
        values = np.array([getattr(getattr(c, section), name) for c in cfgs], dtype=float)
        if (values != values[0]).any():
            out[key] = values
    return out


def run_batch(cfgs: list[RunConfig], running: list | None = None) -> list[Replica]:
    """Run configs that share a :func:`batch_key` as one batch; each one's results.
    ``running`` holds the model while it runs (where an interrupt found it)."""
    model = BatchModel(cfgs)
    if running is not None:
        running.append(model)
    try:
        model.run()
    finally:
        if running is not None:
            running.remove(model)
    return [model.replica(r) for r in range(len(cfgs))]


def plan_batches(cfgs: list[RunConfig], workers: int = 1, most: int = BATCH_MAX,
                 customers: int = BATCH_CUSTOMERS) -> list[list[int]]:
    """Which configs run together: lists of indices, in order of their first.

    Configs with one :func:`batch_key` are cut into batches of at most ``most``
    replications (1: every config alone) and ``customers`` customers, and
    small enough that every worker gets one; the rest run alone.
    """
    groups: dict[str, list[int]] = {}
    out: list[list[int]] = []
    for i, c in enumerate(cfgs):
        key = batch_key(c)
        if key is None:
            out.append([i])
        else:
            groups.setdefault(key, []).append(i)
    for idx in groups.values():
        cap = max(1, min(most, customers // cfgs[idx[0]].sample.customers))
        size = max(1, min(cap, -(-len(idx) // max(1, workers))))
        out += [idx[a:a + size] for a in range(0, len(idx), size)]
    return sorted(out)



