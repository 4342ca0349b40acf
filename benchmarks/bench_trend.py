"""No trend at constant conditions: the slopes of yearly NPS, focal share and
service retention over a 10-year recorded window, with 95 % intervals.

Digital friction is held constant (``market.friction_decline=0``), so nothing
outside the model changes; any slope is state drifting away from where the run
started. Each replication (seeds 0..reps-1) gives one least-squares slope per
outcome; the interval is the t-interval of those slopes:

    .venv/bin/python benchmarks/bench_trend.py --customers 20000 --reps 8

Outcomes, each a yearly figure over all stores: NPS (points), the focal store's
share of units sold (points), service retention (owners' service needs met at
their selling store, points). ``tests/test_stationary.py`` runs a smaller version.
"""

from __future__ import annotations

import argparse

import numpy as np

from cxsim.config import RunConfig
from cxsim.run import Outcomes, compose, run_many, t_interval

OUTCOMES = ("nps", "focal_share", "retention")


def yearly(weekly, focal: str) -> dict[str, np.ndarray]:
    """Yearly NPS, focal share and service retention (points) of a weekly frame."""
    w = weekly.assign(year=weekly.week // 52)
    g = w.groupby("year")[["promoters", "detractors", "responses", "units_sold",
                           "owner_serviced_here", "owner_service_needs"]].sum()
    mine = w[w.dealer == focal].groupby("year").units_sold.sum()
    return {"nps": 100 * (g.promoters - g.detractors).to_numpy() / g.responses.to_numpy(),
            "focal_share": 100 * mine.to_numpy() / g.units_sold.to_numpy(),
            "retention": 100 * g.owner_serviced_here.to_numpy()
            / g.owner_service_needs.to_numpy()}


def config(customers: int, seed: int, years: int = 10, extra: tuple[str, ...] = ()
           ) -> RunConfig:
    """The default market at constant friction, ``years`` recorded."""
    return compose([f"sample.customers={customers}", f"market.years={years}",
                    "market.friction_decline=0", f"seed={seed}", "progress=false", *extra])


def slopes(out: Outcomes) -> list[float]:
    """Least-squares slope (points a year) of each outcome of one run, over its
    whole recorded years (a run layer measure: it travels to the workers)."""
    cfg = out.config
    ys = yearly(out.weekly, cfg.dealers.dealers[cfg.dealers.focal].name)
    years = int(cfg.market.years)
    t = np.arange(years)
    return [float(np.polyfit(t, ys[k][:years], 1)[0]) for k in OUTCOMES]


def trend_intervals(customers: int, reps: int, years: int = 10,
                    extra: tuple[str, ...] = (), jobs: int = 1
                    ) -> dict[str, tuple[float, float, float]]:
    """(mean, low, high) of each outcome's slope over ``reps`` replications."""
    cfgs = [config(customers, s, years, extra) for s in range(reps)]
    a = np.array(run_many(cfgs, jobs=jobs, measure=slopes))
    return {k: t_interval(a[:, j]) for j, k in enumerate(OUTCOMES)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=20_000)
    ap.add_argument("--reps", type=int, default=8)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("extra", nargs="*", help="model overrides")
    a = ap.parse_args()
    res = trend_intervals(a.customers, a.reps, a.years, tuple(a.extra), a.jobs)
    print(f"{a.customers:,} customers, {a.reps} replications, {a.years} recorded years, "
          f"constant friction; slope per year, mean [95 % interval]")
    for k, (mean, lo, hi) in res.items():
        print(f"{k:12s} {mean:+.3f} [{lo:+.3f}, {hi:+.3f}] points/yr", flush=True)


if __name__ == "__main__":
    main()
