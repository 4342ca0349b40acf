"""Dealer groups: a programme at one, several or all of a group's stores; results per
store and per group, a sibling's losses visible in the group's sum."""

from __future__ import annotations

import pytest

from cxsim.compare import arm_runs, lift_table, stores_and_groups
from cxsim.config import ConfigError, DealersConfig
from cxsim.config.investment import resolve_stores
from cxsim.run import compose, run

SMALL = ["sample.customers=2000", "market.households=20000", "market.years=1",
         "market.warmup_weeks=8", "progress=false", "plots=false"]
METRO = ["dealers.dealers.0.group=Metro Motors", "dealers.dealers.1.group=Metro Motors"]


def _spending_stores(overrides: list[str]) -> list[str]:
    out = run(compose([*SMALL, *METRO, "investment=communication", *overrides]))
    spend = out.stores.set_index("dealer")["investment_k"]
    return sorted(spend[spend > 0].index)


def test_store_lists_resolve_names_groups_and_all():
    d = compose(METRO).dealers
    assert resolve_stores(["group:Metro Motors"], d) == [0, 1]
    assert resolve_stores(["all"], d) == [0, 1, 2]
    assert resolve_stores(["Dealer C", "group:Metro Motors"], d) == [0, 1, 2]
    with pytest.raises(ConfigError, match="unknown group 'Nope'; allowed: group:Metro Motors"):
        resolve_stores(["group:Nope"], d)
    with pytest.raises(ConfigError, match="no store has a group"):
        resolve_stores(["group:Nope"], DealersConfig())


@pytest.mark.parametrize(("overrides", "expected"), [
    ([], ["Dealer A"]),  # the focal store only, as before
    (["investment.stores=['Dealer B']"], ["Dealer B"]),
    (["investment.stores=['group:Metro Motors']"], ["Dealer A", "Dealer B"]),
    (["investment.stores=[all]"], ["Dealer A", "Dealer B", "Dealer C"]),
])
def test_the_programme_runs_and_is_paid_at_its_stores(overrides, expected):
    assert _spending_stores(overrides) == expected


def test_a_rival_copies_at_its_own_store_only():
    assert _spending_stores(["investment.stores=['Dealer B']", "investment.copied_by=2",
                             "investment.copy_after_weeks=10"]) == ["Dealer B", "Dealer C"]


def test_a_programme_store_cannot_copy_itself():
    with pytest.raises(ConfigError, match=r"investment.copied_by=1; allowed: .*\[0, 1\]"):
        compose([*METRO, "investment.stores=['group:Metro Motors']", "investment.copied_by=1"])


def test_unknown_store_is_one_line_naming_the_key():
    with pytest.raises(ConfigError, match=r"investment.stores: unknown store 'North'; "
                                          r"allowed: Dealer A, Dealer B, Dealer C, .*all"):
        compose([*METRO, "investment.stores=[North]"])


def test_the_group_sum_shows_the_siblings_losses():
    # A strong programme at store A of a two-store group: on common random numbers
    # A gains sales, its sibling B loses some, and the group's lift is A's plus B's.
    runs = arm_runs({"baseline": [], "scenario": ["investment=cx_program"]},
                    replications=3, common=[*SMALL, *METRO, "market.years=2"],
                    measure=stores_and_groups)
    keys = ["Dealer A/units_sold", "Dealer B/units_sold", "group:Metro Motors/units_sold",
            "Dealer A/profit_k", "group:Metro Motors/profit_k"]
    lift = lift_table(runs, kpis=keys).set_index("kpi")["lift"]
    assert lift["Dealer A/units_sold"] > 0
    assert lift["Dealer B/units_sold"] < 0
    assert lift["group:Metro Motors/units_sold"] == pytest.approx(
        lift["Dealer A/units_sold"] + lift["Dealer B/units_sold"])
    assert lift["group:Metro Motors/units_sold"] < lift["Dealer A/units_sold"]
