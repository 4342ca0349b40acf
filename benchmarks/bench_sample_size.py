"""The same market at several sample sizes: the answer must not move.

The default market (20,000 real households) is simulated with
``sample.customers`` = 5,000, 10,000, 20,000 and 40,000 (w = 4, 2, 1, 0.5),
``--reps`` replications each (seeds 0..reps-1, 2 recorded years after the
usual warm-up, the focal store with and without ``investment=cx_program``).
Prints, per size, the mean of each focal-store outcome and the 95 % interval of
its difference from the largest sample, in real units:

    .venv/bin/python benchmarks/bench_sample_size.py --reps 12 --jobs 2

The README's table "Sample-size invariance" comes from this script.
"""

from __future__ import annotations

import argparse

import numpy as np

from cxsim import load_config
from cxsim.metrics import summarise
from cxsim.model import CxModel
from cxsim.results import weekly_frame
from cxsim.run import pool

OUTCOMES = ("nps", "service_retention", "share", "units_sold", "profit_k", "roi")


def focal(n: int, seed: int, years: float, extra: list[str]) -> dict[str, float]:
    """The focal store's outcomes (real units) and the programme's ROI at one seed."""
    out: dict[str, float] = {}
    profit = []
    for arm in ("none", "cx_program"):
        cfg = load_config([f"sample.customers={n}", f"seed={seed}", f"market.years={years}",
                           f"investment={arm}", "progress=false", *extra])
        s = summarise(weekly_frame(CxModel(cfg).run())).iloc[0]
        profit.append((float(s.gross_profit_k), float(s.investment_k)))
        if arm == "none":
            out.update(nps=s.nps, service_retention=s.service_retention, share=s.share,
                       units_sold=s.units_sold, profit_k=s.profit_k)
    (g0, _), (g1, cost) = profit
    out["roi"] = (g1 - g0 - cost) / cost
    return out


def _task(t: tuple[int, int, float, list[str]]) -> list[float]:
    out = focal(*t)
    return [out[k] for k in OUTCOMES]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="5000,10000,20000,40000")
    ap.add_argument("--reps", type=int, default=12)
    ap.add_argument("--years", type=float, default=2.0)
    ap.add_argument("--jobs", type=int, default=1, help="processes (0: all cores)")
    ap.add_argument("extra", nargs="*", help="model overrides")
    a = ap.parse_args()
    sizes = [int(x) for x in a.sizes.split(",")]
    tasks = [(n, s, a.years, a.extra) for n in sizes for s in range(a.reps)]
    with pool(a.jobs) as task_map:
        flat = np.array(task_map(_task, tasks))
    res = {n: flat[i * a.reps:(i + 1) * a.reps] for i, n in enumerate(sizes)}
    ref = res[max(sizes)]
    print(f"{a.reps} replications, {a.years:g} recorded years, focal store (Dealer A)")
    print("| simulated customers | w | " + " | ".join(OUTCOMES) + " |")
    print("|---" * (len(OUTCOMES) + 2) + "|")
    for n in sizes:
        mu = res[n].mean(axis=0)
        cells = []
        for j, k in enumerate(OUTCOMES):
            d = res[n][:, j] - ref[:, j]
            half = 1.96 * d.std(ddof=1) / np.sqrt(a.reps) if n != max(sizes) else 0.0
            rel = k in ("units_sold", "profit_k")
            scale = 100.0 / abs(ref[:, j].mean()) if rel else (100.0 if k in (
                "service_retention", "share") else 1.0)
            unit = " %" if rel else (" pt" if k != "roi" else "")
            diff = f" (Δ {d.mean() * scale:+.2f} ± {half * scale:.2f}{unit})" \
                if n != max(sizes) else ""
            cells.append(f"{mu[j]:,.3g}{diff}")
        w = load_config([f"sample.customers={n}", *a.extra]).weight
        print(f"| {n:,} | {w:g} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
