"""The fast engine against the stepped reference (every customer's step, every week).

Both engines call the same mechanism functions and draw the same keyed random
numbers, so for one seed they must agree exactly. Across seeds they are
compared as two independent samples, the way one would test two
implementations that are only meant to agree in distribution.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from cxsim import simulate

SMALL = ["sample.customers=400", "market.years=1", "market.warmup_weeks=8", "progress=false"]
KPIS = ("units_sold", "share", "nps", "service_retention")


def _focal(engine: str, seed: int) -> dict[str, float]:
    s = simulate([*SMALL, f"engine={engine}", f"seed={seed}"]).summary.iloc[0]
    return {k: float(s[k]) for k in KPIS}


def test_same_seed_gives_identical_weeks():
    fast = simulate([*SMALL, "seed=3"]).weekly
    stepped = simulate([*SMALL, "seed=3", "engine=stepped"]).weekly
    for col in ("units_sold", "service_visits", "promoters", "detractors", "owners"):
        assert np.array_equal(fast[col].to_numpy(), stepped[col].to_numpy()), col


@pytest.fixture(scope="module")
def samples() -> dict[str, dict[str, np.ndarray]]:
    seeds = 30
    out = {}
    for engine, offset in (("fast", 0), ("stepped", 1000)):
        rows = [_focal(engine, offset + s) for s in range(seeds)]
        out[engine] = {k: np.array([r[k] for r in rows]) for k in KPIS}
    return out


@pytest.mark.parametrize("kpi", KPIS)
def test_engines_agree_in_distribution(samples, kpi):
    # 30 independent seeds per engine. Welch's t test and the two-sample KS test at
    # alpha = 0.001 each (both engines are exact replicas, so the null holds and a
    # failure means a real divergence). Power: with n = 30 per arm, the smallest mean
    # difference detected with 80 % power at alpha = 0.001 is
    # (z_0.9995 + z_0.8) * sd * sqrt(2/30) = (3.29 + 0.84) * 0.258 * sd = 1.07 sd.
    a, b = samples["fast"][kpi], samples["stepped"][kpi]
    assert stats.ttest_ind(a, b, equal_var=False).pvalue > 0.001
    assert stats.ks_2samp(a, b).pvalue > 0.001
    # A real difference of 1.5 sd would have been caught: shifting one arm by it
    # must make the t test reject (guards against a test too weak to fail).
    sd = np.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2)
    if sd > 0:
        assert stats.ttest_ind(a, b + 1.5 * sd, equal_var=False).pvalue < 0.05
