"""One ABC-SMC fit of a market to a history: pyabc proposes, the run layer simulates.

:func:`fit_config` is the market as the calibration simulates it: the history's
months as the horizon (its first month is the model's first, the season turned
to match) and the calibration's smaller sample. :func:`fit` runs pyabc's ABCSMC
with a :class:`~cxsim.calibrate.sampler.RunLayerSampler` on an open pool, its
history database (``history.db``, SQLite) in the run folder; ``resume`` loads the
database and runs only the generations still missing. The posterior it returns
is the last generation regression-adjusted (:mod:`cxsim.calibrate.adjust`), from
every run the sampler recorded beside the database (``runs_t<generation>.npz``).
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxsim.calibrate import summaries
from cxsim.calibrate.data import History
from cxsim.calibrate.priors import Prior, distribution
from cxsim.calibrate.spec import Budget
from cxsim.config import RunConfig
from cxsim.posterior import Posterior, apply
from cxsim.run import TaskMap, run_many, seeded

DB = "history.db"
SCALES = "scales.json"


def fit_config(base: RunConfig, history: History, sample: int) -> RunConfig:
    """The market over the history's months, with ``sample`` simulated customers."""
    cfg = copy.deepcopy(base)
    cfg.market.years = len(history.months) / 12.0
    first = history.first_calendar_month
    cfg.market.season = cfg.market.season[first:] + cfg.market.season[:first]
    cfg.sample.customers = int(sample)
    cfg.progress, cfg.plots = False, False
    return cfg


@dataclass
class Simulator:
    """Parameter sets -> monthly summaries, through :func:`cxsim.run.run_many`."""

    base: RunConfig
    stores: list[str]
    metrics: list[str]
    months: int
    task_map: TaskMap | None = None

    def configs(self, params: list[dict[str, float]], seeds: list[int]) -> list[RunConfig]:
        return [seeded(apply(self.base, p), s) for p, s in zip(params, seeds, strict=True)]

    def __call__(self, params: list[dict[str, float]], seeds: list[int]
                 ) -> list[dict[str, np.ndarray]]:
        measure = partial(summaries.measure, stores=self.stores, metrics=self.metrics,
                          months=self.months)
        return run_many(self.configs(params, seeds), measure=measure, task_map=self.task_map)


def _unused_model(parameter: Any) -> dict:  # pragma: no cover - the sampler simulates
    raise RuntimeError("cxsim's sampler simulates through the run layer")


@dataclass
class Fit:
    """What :func:`fit_abc` found."""

    posterior: Posterior  # regression-adjusted (or the ABC one if it could not be)
    abc: Posterior  # the last generation's particles as pyabc accepted them
    generations: pd.DataFrame
    method: str  # how ``posterior`` was made, for the report


def fit(*, base: RunConfig, history: History, priors: list[Prior], budget: Budget,
        seed: int, folder: Path, task_map: TaskMap | None, progress: bool = False,
        resume: bool = False) -> tuple[Posterior, pd.DataFrame]:
    """ABC-SMC of ``priors`` against ``history``: the adjusted posterior and one row per
    generation (tolerance, runs, acceptance)."""
    out = fit_abc(base=base, history=history, priors=priors, budget=budget, seed=seed,
                  folder=folder, task_map=task_map, progress=progress, resume=resume)
    return out.posterior, out.generations


def fit_abc(*, base: RunConfig, history: History, priors: list[Prior], budget: Budget,
            seed: int, folder: Path, task_map: TaskMap | None, progress: bool = False,
            resume: bool = False) -> Fit:
    """ABC-SMC of ``priors`` against ``history``, then the regression adjustment."""
    import pyabc
    from pyabc.populationstrategy import ConstantPopulationSize

    from cxsim.calibrate.distance import StandardisedDistance
    from cxsim.calibrate.sampler import RunLayerSampler

    logging.getLogger("ABC").setLevel(logging.WARNING)
    months = len(history.months)
    sim = Simulator(base, history.stores, history.metrics, months, task_map)
    sampler = RunLayerSampler(sim, seed=seed, round_size=budget.population,
                              progress=progress, record=folder)
    distance = StandardisedDistance(summaries.noise_variance(history), folder / SCALES)
    abc = pyabc.ABCSMC(
        _unused_model, distribution(priors), distance,
        population_size=ConstantPopulationSize(
            budget.population, nr_calibration_particles=budget.calibration),
        eps=pyabc.MedianEpsilon(), sampler=sampler)
    db = f"sqlite:///{(folder / DB).absolute()}"
    x0 = summaries.with_years(summaries.observed(history))
    if resume:
        abc.load(db, 1)
    else:
        abc.new(db, x0)
    done = abc.history.max_t + 1
    if done < budget.generations:
        abc.run(max_nr_populations=budget.generations - done,
                min_acceptance_rate=budget.min_acceptance,
                max_total_nr_simulations=budget.max_simulations)
    names = [p.name for p in priors]
    raw = posterior_of(abc.history, names)
    if distance.scale is None:  # resumed with every generation done: scales from disk
        distance = StandardisedDistance(summaries.noise_variance(history), folder / SCALES)
    adj = adjusted_of(abc.history, folder, priors, x0, distance.scale or {})
    return Fit(adj.posterior, raw, generations(abc.history), adj.note)


def read_fit(folder: Path, history: History, priors: list[Prior]) -> Fit:
    """A finished fit read back from its folder (no runs): the same :class:`Fit`."""
    import pyabc

    from cxsim.calibrate.distance import StandardisedDistance

    h = pyabc.History(f"sqlite:///{(Path(folder) / DB).absolute()}", _id=1)
    x0 = summaries.with_years(summaries.observed(history))
    scale = StandardisedDistance(summaries.noise_variance(history),
                                 Path(folder) / SCALES).scale or {}
    adj = adjusted_of(h, Path(folder), priors, x0, scale)
    return Fit(adj.posterior, posterior_of(h, [p.name for p in priors]), generations(h),
               adj.note)


def adjusted_of(history: Any, folder: Path, priors: list[Prior],
                x0: dict[str, np.ndarray], scale: dict[str, np.ndarray]) -> Any:
    """The last generation regression-adjusted on the runs recorded before it."""
    from cxsim.calibrate.adjust import adjust, training_runs

    t = history.max_t
    pop = history.get_population(t=t)
    parts = pop.particles
    names = [p.name for p in priors]
    pops = history.get_all_populations().set_index("t")
    return adjust(particles=pd.DataFrame([{n: p.parameter[n] for n in names}
                                          for p in parts]),
                  weights=np.array([p.weight for p in parts], float),
                  sum_stats=[p.sum_stat for p in parts],
                  distances=np.array([p.distance for p in parts], float),
                  tolerance=float(pops.loc[t, "epsilon"]), x0=x0, scale=scale,
                  priors=priors, training=training_runs(folder, t, priors))


def posterior_of(history: Any, names: list[str]) -> Posterior:
    """The last generation's particles and weights, columns in the priors' order."""
    frame, w = history.get_distribution(m=0, t=history.max_t)
    frame = frame[names].reset_index(drop=True)
    return Posterior(frame, np.asarray(w, dtype=float) / float(np.sum(w)))


def generations(history: Any) -> pd.DataFrame:
    """One row per generation: tolerance, runs, acceptance rate."""
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0]
    return pd.DataFrame({"generation": pops["t"].astype(int).to_numpy(),
                         "tolerance": pops["epsilon"].astype(float).to_numpy(),
                         "runs": pops["samples"].astype(int).to_numpy(),
                         "acceptance": (history.get_nr_particles_per_population()
                                        .reindex(pops["t"]).to_numpy(float)
                                        / pops["samples"].to_numpy(float))})
