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

import json
from dataclasses import asdict
from typing import Any

import mesa
import numpy as np

from cxsim.calendar import Calendar
from cxsim.choice import distances
from cxsim.config import RunConfig
from cxsim.customers import populate
from cxsim.dealers import Dealer
from cxsim.draws import BatchDraws, Draws
from cxsim.fork import fork
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
from cxsim.stacking import (
    Replica,
    block_diagonal,
    config_key,
    stack,
    start_key,
    warm_up_leaders,
)

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
    return config_key(cfg, "progress", "plots")


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
        leader = warm_up_leaders(cfgs)
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
            key = start_key(c)
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
        self.networks = adjs if self._fork_into is not None else None
        self.population = p = stack(pops)
        del pops
        self.adjacency = block_diagonal(adjs, n)
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
        self.own_friction = any(c.market != cfg.market for c in cfgs)
        friction = np.array([c.market.friction_start for c in cfgs]) \
            if self.own_friction else None
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
        self.set_handlers()
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
        """Every config of the batch from here on, replication ``r`` a copy of the
        warmed-up ``source[r]`` (:func:`cxsim.fork.fork`); then the programmes."""
        fork(self, cfgs, source, _values(cfgs))
        self._schedule_programmes()

    def _set_friction(self) -> None:
        m = self.market
        super()._set_friction()
        if self.own_friction:
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



