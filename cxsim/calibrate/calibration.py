"""A whole calibration: the fit, the posterior predictive check and the backtest.

Python use (what ``cxsim-calibrate`` does, without the folder's staging)::

    from cxsim.calibrate.calibration import calibrate
    from cxsim.calibrate.data import read_history
    from cxsim.calibrate.spec import load_spec

    spec = load_spec("examples/calibrate_metro.yaml")
    history = read_history("examples/history_metro.csv", spec.stores)
    cal = calibrate(spec, history, folder=Path("out"), jobs=0)
"""

from __future__ import annotations

import time
from pathlib import Path

from cxsim.calibrate import predictive, summaries
from cxsim.calibrate.data import History
from cxsim.calibrate.fit import Simulator, fit_abc, fit_config
from cxsim.calibrate.report import Calibration
from cxsim.calibrate.sampler import stream
from cxsim.calibrate.spec import Spec
from cxsim.launchers import Launcher


def calibrate(spec: Spec, history: History, *, folder: Path, jobs: int = 0,
              progress: bool = False, resume: bool = False, backtest: int = 0,
              truth: dict[str, float] | None = None,
              launcher: Launcher | None = None) -> Calibration:
    """Fit ``spec``'s unknowns to ``history`` (pyabc's database in ``folder``), check
    the posterior's predictions against the history, and, with ``backtest`` months,
    fit those first months alone and band the rest. Runs go through ``launcher``
    (default: ``jobs`` local worker processes); the posterior is the same on any."""
    started = time.perf_counter()
    priors = spec.priors(history.stores)
    base = fit_config(spec.market, history, spec.sample)
    months = len(history.months)
    launcher = launcher or Launcher(jobs=jobs)
    with launcher.open(spec.budget.population, folder) as (task_map, _):
        got = fit_abc(base=base, history=history, priors=priors, budget=spec.budget,
                      seed=spec.seed, folder=folder, task_map=task_map,
                      progress=progress, resume=resume)
        post, gens = got.posterior, got.generations
        fitted = time.perf_counter() - started
        sim = Simulator(base, history.stores, history.metrics, months, task_map)
        seed = stream(spec.seed, 7)
        runs = predictive.simulate(sim, post, spec.budget.predictive, seed)
        bands = predictive.bands(runs, summaries.observed(history), history.months)
        cal = Calibration(spec=spec, history=history, priors=priors, posterior=post,
                          params=predictive.table(post, priors), generations=gens,
                          bands=bands, truth=dict(truth or {}), fit_seconds=fitted,
                          method=got.method, abc_posterior=got.abc)
        if backtest:
            head = history.head(backtest)
            sub = folder / "backtest"
            sub.mkdir(exist_ok=True)
            post_b = fit_abc(base=fit_config(spec.market, head, spec.sample), history=head,
                             priors=priors, budget=spec.budget, seed=stream(spec.seed, 8),
                             folder=sub, task_map=task_map, progress=progress,
                             resume=resume and (sub / "history.db").is_file()).posterior
            runs_b = predictive.simulate(sim, post_b, spec.budget.predictive, seed)
            cal.backtest = predictive.bands(runs_b, summaries.observed(history),
                                            history.months)
            cal.backtest_months = backtest
            cal.backtest_params = predictive.table(post_b, priors)
    cal.seconds = time.perf_counter() - started
    return cal
