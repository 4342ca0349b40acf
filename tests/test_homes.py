"""Where households live: a CSV grid of households per cell, and a market sized by
the stores' declared sales."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cxsim.compose import load_config
from cxsim.customers import populate
from cxsim.draws import Draws
from cxsim.results import summary_dict
from cxsim.run import run

GRID = "x_km,y_km,households\n-15,-15,3000\n15,-15,1000\n-15,15,0\n15,15,6000\n"


@pytest.fixture
def grid(tmp_path):
    path = tmp_path / "homes.csv"
    path.write_text(GRID)
    return str(path)


def test_homes_follow_the_grid(grid):
    """Each cell holds its share of the sample: 30/10/0/60 % within 4 binomial sd."""
    n = 20_000
    cfg = load_config([f"sample.customers={n}", f"market.homes={grid}"])
    pop = populate(cfg, Draws(cfg.seed))
    right, top = pop.x > 0, pop.y > 0
    shares = {(False, False): 0.3, (True, False): 0.1, (False, True): 0.0, (True, True): 0.6}
    for (r, t), share in shares.items():
        got = float(np.mean((right == r) & (top == t)))
        sd = np.sqrt(share * (1 - share) / n)
        assert abs(got - share) <= 4 * sd + 1e-12, ((r, t), got, share)
    # inside the 30 km cells (spacing inferred from the centres)
    assert np.abs(pop.x).max() <= 30.0 and np.abs(pop.y).max() <= 30.0
    assert np.abs(pop.x).min() < 1.0  # the cells reach the centre line


def test_grid_total_sizes_the_market(grid):
    cfg = load_config(["sample.customers=2000", f"market.homes={grid}",
                       "market.households=0"])
    assert cfg.market.households == 10_000
    assert cfg.weight == pytest.approx(5.0)
    # an explicit size wins: the grid then says only where people live
    assert load_config([f"market.homes={grid}"]).market.households == 20_000


def test_declared_sales_size_the_market_and_sit_beside_the_simulated():
    over = ["market.households=0", "sample.customers=4000", "market.years=1"] + [
        f"dealers.dealers.{i}.yearly_sales={s}" for i, s in enumerate((1200, 1000, 800))]
    cfg = load_config(over)
    months = cfg.customers.ownership_months
    assert cfg.market.households == pytest.approx(3000 * months / 12.0)
    out = run(cfg)
    summary = summary_dict(out.model, out.weekly)
    rows = summary["dealers"]
    assert [r["declared_yearly_sales"] for r in rows] == [1200, 1000, 800]
    simulated = sum(r["yearly_units"] for r in rows)
    # households x years-per-purchase gives the declared total back within 20 %
    # (first-time buyers, leavers and the start's ownership ages blur it)
    assert simulated == pytest.approx(3000, rel=0.2)
    json.dumps(summary)  # still plain JSON
