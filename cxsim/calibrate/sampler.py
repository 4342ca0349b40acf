"""pyabc's sampler interface, backed by cxsim's run layer.

pyabc proposes and weighs; :class:`RunLayerSampler` simulates. Each generation
draws proposals in rounds of a fixed size from pyabc's own prior or transition
(its global numpy state seeded from the calibration seed, the generation and the
round, then restored), runs the round's configs through
:func:`cxsim.run.run_many` on the pool it was given (each proposal with its own
seed from the same sequence), and checks them against the tolerance in proposal
order until the generation has its particles. Nothing depends on the number of
workers, so a seed gives the same posterior on any machine, and a resumed
calibration continues as an uninterrupted one would.

Given a ``record`` folder, it also writes every run of a generation, accepted or
not (``runs_t<generation>.npz``: parameters and summaries), before pyabc stores
the generation: pyabc's database keeps only the accepted particles, and the
regression adjustment (:mod:`cxsim.calibrate.adjust`) learns from all runs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from pyabc.inference_util import generate_valid_proposal
from pyabc.population import Particle
from pyabc.sampler import Sampler

Simulate = Callable[[list[dict[str, float]], list[int]], list[dict[str, np.ndarray]]]
"""Parameter sets and their seeds -> their summaries, in order."""


def stream(seed: int, *keys: int) -> int:
    """A seed from the calibration seed and a position (generation, round, proposal)."""
    return int(np.random.SeedSequence([seed, *keys]).generate_state(1)[0])


class RunLayerSampler(Sampler):
    """Proposals in fixed rounds, simulated by the run layer, accepted in order."""

    def __init__(self, simulate: Simulate, *, seed: int, round_size: int,
                 progress: bool = False, record: Path | None = None) -> None:
        super().__init__()
        self.simulate = simulate
        self.seed = int(seed)
        self.round_size = max(1, int(round_size))
        self.show_progress = progress
        self.record = None if record is None else Path(record)
        self.log: list[dict[str, float]] = []  # one row per generation

    def _propose(self, kw: dict[str, Any], prior: bool, t: int, rnd: int, size: int
                 ) -> list[tuple[int, Any]]:
        saved = np.random.get_state()
        # pyabc's priors and transitions draw from numpy's global state
        np.random.seed(stream(self.seed, t + 1, rnd) % 2**32)
        try:
            if prior:
                out = []
                for _ in range(size):
                    m = int(kw["model_prior"].rvs())
                    out.append((m, kw["parameter_priors"][m].rvs()))
                return out
            return [generate_valid_proposal(
                t=t, m=kw["m"], p=kw["p"], model_prior=kw["model_prior"],
                parameter_priors=kw["parameter_priors"],
                model_perturbation_kernel=kw["model_perturbation_kernel"],
                transitions=kw["transitions"]) for _ in range(size)]
        finally:
            np.random.set_state(saved)

    def _judge(self, kw: dict[str, Any], prior: bool, t: int, m: int, theta: Any,
               x: dict[str, np.ndarray]) -> Particle:
        if prior:
            return Particle(m=m, parameter=theta, weight=1.0, sum_stat=x, distance=np.inf,
                            accepted=True, proposal_id=0, preliminary=False)
        acc = kw["acceptor"](distance_function=kw["distance_function"], eps=kw["eps"], x=x,
                             x_0=kw["x_0"], t=t, par=theta)
        weight = kw["weight_function"](m, theta, acc.weight) if acc.accept else 0.0
        return Particle(m=m, parameter=theta, weight=weight, sum_stat=x,
                        distance=acc.distance, accepted=acc.accept, preliminary=False,
                        proposal_id=kw["proposal_id"])

    def sample_until_n_accepted(self, n: int, simulate_one: Callable, t: int, *,
                                max_eval: float = np.inf, all_accepted: bool = False,
                                ana_vars: Any = None) -> Any:
        """Rounds of proposals until ``n`` are accepted (or ``max_eval`` runs are spent)."""
        kw = dict(simulate_one.keywords)
        prior = "parameter_priors" in kw and "transitions" not in kw
        sample = self._create_empty_sample()
        evaluated = accepted = rnd = 0
        runs: list[tuple[dict[str, float], dict[str, np.ndarray]]] = []
        bar = self._bar(n, t, prior, kw)
        try:
            while accepted < n and evaluated < max_eval:
                size = n - accepted if prior else int(min(self.round_size,
                                                          max_eval - evaluated))
                proposals = self._propose(kw, prior, t, rnd, size)
                seeds = [stream(self.seed, t + 1, rnd, i) for i in range(size)]
                sims = self.simulate([dict(theta) for _, theta in proposals], seeds)
                evaluated += size
                runs += [(dict(theta), x) for (_, theta), x in zip(proposals, sims,
                                                                  strict=True)]
                for (m, theta), x in zip(proposals, sims, strict=True):
                    particle = self._judge(kw, prior, t, m, theta, x)
                    sample.append(particle)
                    if particle.accepted:
                        accepted += 1
                        bar.update(1)
                        if accepted == n:
                            break
                bar.set_postfix_str(f"acceptance {accepted / evaluated:.1%}", refresh=True)
                rnd += 1
        finally:
            bar.close()
        if self.record is not None:
            write_runs(self.record / f"{RUNS}{t}.npz", runs)
        self.nr_evaluations_ = evaluated
        self.log.append({"generation": t, "runs": evaluated, "accepted": accepted,
                         "tolerance": float(kw["eps"](t)) if not prior else float("inf")})
        if accepted < n:
            sample.ok = False
        return sample

    def _bar(self, n: int, t: int, prior: bool, kw: dict[str, Any]) -> Any:
        from tqdm import tqdm

        desc = "prior runs (scales)" if prior else \
            f"generation {t}, tolerance {float(kw['eps'](t)):.3g}"
        return tqdm(total=n, desc=desc, unit="accepted", leave=True, file=None,
                    disable=None if self.show_progress else True)


RUNS = "runs_t"
"""Prefix of a generation's file of runs (the prior runs' generation is -1)."""


def write_runs(path: Path, runs: list[tuple[dict[str, float], dict[str, np.ndarray]]]
               ) -> None:
    """Parameters (``theta``, one row per run, columns ``names``) and summaries (``x<i>``
    for the ``keys``' i-th, one row per run), written whole or not at all."""
    names = list(runs[0][0]) if runs else []
    keys = list(runs[0][1]) if runs else []
    arrays = {f"x{i}": np.array([np.asarray(x[k], float) for _, x in runs])
              for i, k in enumerate(keys)}
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        np.savez(fh, names=np.array(names, dtype=str), keys=np.array(keys, dtype=str),
                 theta=np.array([[p[n] for n in names] for p, _ in runs], dtype=float),
                 **arrays)
    tmp.replace(path)


def read_runs(path: Path) -> tuple[list[str], np.ndarray, dict[str, np.ndarray]]:
    """A generation's runs: parameter names, parameters (runs x names), summaries."""
    with np.load(path, allow_pickle=False) as f:
        keys = [str(k) for k in f["keys"]]
        return ([str(n) for n in f["names"]], f["theta"],
                {k: f[f"x{i}"] for i, k in enumerate(keys)})
