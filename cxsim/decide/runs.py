"""Running the options: every arm on the same replication seeds, then the money.

Replication ``r`` of every arm uses ``replication_seed(seed, r)`` (common
random numbers). With a target precision, replications are added in batches
until the 95 % interval of every option's NPV difference for the deciding
unit (the group) is narrower than the target, or the cap is reached.

With a calibrated market, replications ``2k`` and ``2k + 1`` of every arm run the
``k``-th parameter set drawn from its posterior (:meth:`cxsim.posterior.Posterior.sample`):
intervals then include parameter uncertainty, and the pairs' within-pair spread
tells how much of it is luck alone (:func:`cxsim.decide.report.parameter_share`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxsim.appraisal import FLOWS, STATE, Appraisal, appraise, owner_values, paired, value
from cxsim.decide.options import STATUS_QUO, Options
from cxsim.launchers import Launcher
from cxsim.posterior import apply
from cxsim.run import Outcomes, progress_bar, replication_seed, run_many, seeded


def ledger(out: Outcomes) -> dict[str, Any]:
    """What a decision keeps of a run: the weekly flows and owners per store, and each
    store's service retention and loyalty over the horizon."""
    weekly = out.weekly[["week", "dealer", *FLOWS, *STATE]].copy()
    rates = out.stores.set_index("dealer")[["service_retention", "loyalty"]]
    return {"weekly": weekly, "rates": rates}


@dataclass
class Results:
    """Every arm's runs and every option's appraisal against the status quo."""

    weekly: dict[str, pd.DataFrame]  # arm -> replication, week, dealer, flows, owners
    rates: pd.DataFrame  # status quo: store -> mean service_retention, loyalty
    appraisals: dict[str, Appraisal]  # option -> its appraisal
    replications: int
    draws: pd.DataFrame | None = None  # replication, draw and its parameters (calibrated)


def costs_of(options: Options, arm: str) -> dict[str, np.ndarray]:
    """k$ the arm's programme costs each store, per recorded week (a rival's copy too)."""
    cfg, prog = options.arms[arm], options.programmes[arm]
    inv, weeks = cfg.investment, cfg.weeks
    out = {s: prog.cash_costs(weeks, inv.start_week) for s in options.stores[arm]}
    if inv.copied_by >= 0 and prog.funds_anything:
        rival = cfg.dealers.dealers[inv.copied_by].name
        out[rival] = prog.cash_costs(weeks, inv.start_week + inv.copy_after_weeks)
    if not prog.funds_anything and prog.one_off_cost_k == 0 and prog.yearly_k == 0:
        return {}
    return out


def relative_costs(options: Options, arm: str) -> dict[str, np.ndarray]:
    """The arm's costs minus the status quo's, per store."""
    mine, base = costs_of(options, arm), costs_of(options, STATUS_QUO)
    weeks = options.arms[arm].weeks
    zero = np.zeros(weeks)
    return {s: mine.get(s, zero) - base.get(s, zero) for s in {*mine, *base}}


def appraise_all(options: Options, weekly: dict[str, pd.DataFrame], rates: pd.DataFrame
                 ) -> dict[str, Appraisal]:
    """Each option against the status quo, per store and per group."""
    sq = options.arms[STATUS_QUO]
    stores = {d.name: d.group for d in sq.dealers.dealers}
    values = owner_values(sq, rates["service_retention"].to_dict(),
                          rates["loyalty"].to_dict()) if sq.economics.terminal_value else None
    out = {}
    for arm in options.arms:
        if arm == STATUS_QUO:
            continue
        diff = paired(weekly[arm], weekly[STATUS_QUO])
        out[arm] = appraise(diff, relative_costs(options, arm),
                            rate=sq.economics.discount_rate, sample=sq.sample.customers,
                            households=sq.market.households, stores=stores,
                            owner_value_k=values)
    return out


def widest(options: Options, appraisals: dict[str, Appraisal]) -> float:
    """The widest 95 % interval of the deciding unit's NPV difference over the options."""
    widths = []
    for a in appraisals.values():
        _, lo, hi = value(a.summary, options.unit, "npv_k")
        widths.append(hi - lo if math.isfinite(hi - lo) else math.inf)
    return max(widths)


def _batch(done: int, options: Options, workers: int) -> int:
    p = options.precision
    if done == 0:
        return p.least
    per_round = max(2, math.ceil(workers / len(options.arms)))
    return min(per_round, p.most - done)


def draws_for(options: Options) -> list[dict[str, float]]:
    """The parameter set of each pair of replications (none without a posterior)."""
    if options.posterior is None:
        return []
    return options.posterior.sample(math.ceil(options.precision.most / 2), options.seed)


def _config(options: Options, arm: str, r: int, draws: list[dict[str, float]]) -> Any:
    cfg = apply(options.arms[arm], draws[r // 2]) if draws else options.arms[arm]
    return seeded(cfg, replication_seed(options.seed, r))


def run_options(options: Options, *, jobs: int = 0, progress: bool = False,
                launcher: Launcher | None = None, folder: Path | None = None) -> Results:
    """Run every arm on common seeds (to the target precision, if one is set), through
    ``launcher`` (default: ``jobs`` local worker processes; SLURM's files in ``folder``)."""
    arms = list(options.arms)
    draws = draws_for(options)
    collected: dict[str, list[pd.DataFrame]] = {a: [] for a in arms}
    rates: list[pd.DataFrame] = []
    p, done = options.precision, 0
    opened = (launcher or Launcher(jobs=jobs)).open(p.most * len(arms), folder)
    with opened as (task_map, workers):
        bar = progress_bar(p.most * len(arms), "replications", progress)
        try:
            while done < p.most:
                n = _batch(done, options, workers)
                reps = range(done, done + n)
                tasks = [_config(options, a, r, draws) for r in reps for a in arms]
                got = run_many(tasks, measure=ledger, task_map=task_map, bar=bar)
                for i, res in enumerate(got):
                    r, arm = reps[i // len(arms)], arms[i % len(arms)]
                    collected[arm].append(res["weekly"].assign(replication=r))
                    if arm == STATUS_QUO:
                        rates.append(res["rates"])
                done += n
                if p.target_width_k is None:
                    break
                weekly = {a: pd.concat(f, ignore_index=True) for a, f in collected.items()}
                mean_rates = pd.concat(rates).groupby(level=0, sort=False).mean()
                if widest(options, appraise_all(options, weekly, mean_rates)) \
                        < p.target_width_k:
                    break
        finally:
            bar.close()
    weekly = {a: pd.concat(f, ignore_index=True) for a, f in collected.items()}
    mean_rates = pd.concat(rates).groupby(level=0, sort=False).mean()
    used = pd.DataFrame([{"replication": r, "draw": r // 2, **draws[r // 2]}
                         for r in range(done)]) if draws else None
    return Results(weekly, mean_rates, appraise_all(options, weekly, mean_rates), done, used)
