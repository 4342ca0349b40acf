"""The calibration facts of docs/ODD.md section 11, measured on the default market.

Pooled over the three stores and the five recorded years, one run per seed;
prints the mean over the seeds and the range in brackets:

    .venv/bin/python benchmarks/bench_calibration.py --seeds 4
"""

from __future__ import annotations

import argparse

import numpy as np

from cxsim.metrics import COUNTS, add_rates
from cxsim.run import compose, run


def facts(seed: int, extra: tuple[str, ...] = ()) -> dict[str, float]:
    """The facts of one run, pooled over stores and weeks."""
    cfg = compose([f"seed={seed}", "progress=false", *extra])
    w = run(cfg).weekly
    tot = w[list(COUNTS)].sum().to_frame().T
    tot["week"] = 0
    tot["self_rating"] = np.nan
    r = add_rates(tot, units_total=tot["units_sold"].to_numpy()).iloc[0]
    return {
        "dealers visited per purchase": r.visits / r.units_sold,
        "young vehicles serviced at seller %": 100 * r.young_serviced_at_seller,
        "loyalty if serviced %": 100 * r.loyalty_if_serviced,
        "loyalty if not serviced %": 100 * r.loyalty_if_not_serviced,
        "loyalty %": 100 * r.loyalty,
        "wom positive : negative": r.wom_positive / r.wom_negative,
        "fixed-ops share of gross %": 100 * r.service_visits
        * cfg.dealers.dealers[0].gross_per_service_visit / r.gross_profit_k,
        "mean utilisation": float(w.utilisation.mean()),
        "mean wait hours": r.mean_wait_hours,
        "NPS": r.nps,
        "CSAT": r.csat,
        "CES": r.ces,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("extra", nargs="*", help="model overrides")
    a = ap.parse_args()
    rows = [facts(s, tuple(a.extra)) for s in range(a.seeds)]
    for k in rows[0]:
        v = np.array([r[k] for r in rows])
        print(f"{k:38s} {v.mean():8.3f}  ({v.min():.3f}-{v.max():.3f})", flush=True)


if __name__ == "__main__":
    main()
