"""A sweep's lift table groups by every swept key: a swept ``investment.copied_by``
or ``start_week`` is not averaged away when lifts are taken against the budget."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest

from cxsim.sweep_lift import lift_bands


def _table() -> pd.DataFrame:
    # profit = 1000 + seed + gain per k$ of budget, where the gain depends on whether a
    # rival copies (2 k$ per k$ alone, 0.5 copied) and on the start week (-100 if late)
    rows = []
    for job, (service, copied_by, start, seed) in enumerate(itertools.product(
            (0.0, 200.0), (-1, 1), (0, 26), (1, 2, 3))):
        gain = (2.0 if copied_by < 0 else 0.5) * service - (100.0 if start and service
                                                            else 0.0)
        rows.append({"job": job, "investment.spend.service": service,
                     "investment.copied_by": copied_by, "investment.start_week": start,
                     "seed": seed, "customers": 1000, "weeks": 52, "industry": "car",
                     "investment": "none", "focal_dealer": "Dealer A", "budget_k": service,
                     "dealer": "Dealer A", "focal": True,
                     "profit_k": 1000.0 + seed + gain + 0.1 * seed * service})
    return pd.DataFrame(rows)


def test_lifts_against_the_budget_keep_every_other_swept_key():
    bands = lift_bands(_table(), "budget_k", kpis=["profit_k"])
    top = bands[bands["value"] == 200.0].set_index("group")["lift"]
    assert set(top.index) == {
        "investment.copied_by=-1, investment.start_week=0",
        "investment.copied_by=-1, investment.start_week=26",
        "investment.copied_by=1, investment.start_week=0",
        "investment.copied_by=1, investment.start_week=26"}
    # per seed the lift is gain + 0.1 x seed x 200: mean over seeds 1-3 adds 40
    assert top["investment.copied_by=-1, investment.start_week=0"] == pytest.approx(440.0)
    assert top["investment.copied_by=1, investment.start_week=0"] == pytest.approx(140.0)
    assert top["investment.copied_by=1, investment.start_week=26"] == pytest.approx(40.0)
    assert (bands.loc[bands["value"] == 0.0, "lift"] == 0).all()


def test_the_spend_key_itself_is_not_a_group_of_the_budget_axis():
    bands = lift_bands(_table(), "budget_k", kpis=["profit_k"])
    assert not bands["group"].str.contains("investment.spend").any()
    assert set(bands["seeds"]) == {3}
