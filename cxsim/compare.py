"""Paired scenario comparisons on common random numbers, with confidence intervals.

One run answers nothing: a strategist needs the lift of a scenario against the
same market without it, and how sure we are. Replication ``r`` of both arms
uses the same seed, derived from one base seed and ``r`` with numpy's
SeedSequence, so both arms meet the same customers, network and luck (every
draw is keyed by seed, purpose, week and customer: see ``cxsim.draws``). The
lift is computed per replication and summarised by its mean and a Student-t
95 % interval over replications.

>>> table = paired_lift([], ["investment=cx_program"], replications=3,
...                     common=["customers.n=2000", "market.years=1", "plots=false",
...                             "progress=false"])
>>> list(table.columns)
['kpi', 'baseline', 'scenario', 'lift', 'lift_pct', 'ci_low', 'ci_high', 'replications']
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from cxsim.compose import load_config
from cxsim.metrics import summarise
from cxsim.model import CxModel

KPIS = ("units_sold", "service_retention", "nps", "revenue_k", "profit_k")


def replication_seed(base_seed: int, replication: int) -> int:
    """The seed of replication ``replication``: SeedSequence of (base, index)."""
    return int(np.random.SeedSequence([base_seed, replication]).generate_state(1)[0])


def focal_outcomes(overrides: list[str], seed: int) -> dict[str, float]:
    """Run one arm and return the focal dealer's KPIs over the horizon."""
    cfg = load_config([*overrides, f"seed={seed}"])
    model = CxModel(cfg)
    model.run()
    summary = summarise(model.metrics.frame([d.name for d in model.dealer_list]))
    row = summary.iloc[cfg.dealers.focal]
    out = {k: float(row[k]) for k in KPIS}
    out["investment_k"] = float(row["investment_k"])
    return out


def t_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and two-sided Student-t interval of the mean."""
    values = np.asarray(values, dtype=float)
    mean = float(values.mean())
    if values.size < 2:
        return mean, float("nan"), float("nan")
    half = stats.t.ppf(0.5 + level / 2, values.size - 1) * values.std(ddof=1) / np.sqrt(
        values.size)
    return mean, mean - half, mean + half


def paired_runs(baseline: list[str], scenario: list[str], *, replications: int,
                base_seed: int = 0, common: list[str] | None = None,
                paired: bool = True) -> pd.DataFrame:
    """One row per (replication, arm) with the focal dealer's KPIs.

    ``paired=False`` gives the scenario arm independent seeds (for showing how
    much common random numbers narrow the interval).
    """
    common = list(common or [])
    rows = []
    for r in range(replications):
        seed = replication_seed(base_seed, r)
        other = seed if paired else replication_seed(base_seed + 1_000_003, r)
        for arm, overrides, s in (("baseline", baseline, seed), ("scenario", scenario, other)):
            rows.append({"replication": r, "arm": arm, "seed": s,
                         **focal_outcomes([*common, *overrides], s)})
    return pd.DataFrame(rows)


def lift_table(runs: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Per KPI: mean of each arm, mean lift, lift in %, and its interval."""
    wide = runs.pivot(index="replication", columns="arm")
    rows = []
    for k in (*KPIS, "roi"):
        if k == "roi":
            gain = wide[("profit_k", "scenario")] - wide[("profit_k", "baseline")]
            cost = wide[("investment_k", "scenario")] - wide[("investment_k", "baseline")]
            if (cost <= 0).all():
                continue
            diff = (gain / cost).to_numpy()
            base = scen = float("nan")
        else:
            b, s = wide[(k, "baseline")].to_numpy(), wide[(k, "scenario")].to_numpy()
            diff = s - b
            base, scen = float(b.mean()), float(s.mean())
        mean, lo, hi = t_interval(diff, level)
        pct = 100.0 * mean / base if k != "roi" and base else float("nan")
        rows.append({"kpi": k, "baseline": base, "scenario": scen, "lift": mean,
                     "lift_pct": pct, "ci_low": lo, "ci_high": hi,
                     "replications": len(diff)})
    return pd.DataFrame(rows)


def paired_lift(baseline: list[str], scenario: list[str], *, replications: int = 10,
                base_seed: int = 0, common: list[str] | None = None) -> pd.DataFrame:
    """The lift table of ``scenario`` against ``baseline`` on common random numbers."""
    return lift_table(paired_runs(baseline, scenario, replications=replications,
                                  base_seed=base_seed, common=common))
