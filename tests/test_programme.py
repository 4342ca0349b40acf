"""The Programme (cxsim.programme): one set of budget lines, one cost, validated copies."""

from __future__ import annotations

import pytest

from cxsim.config import TOUCHPOINTS, ConfigError
from cxsim.model import CxModel
from cxsim.programme import LINES, SPEND_LINES, Programme
from cxsim.run import compose

TINY = ["sample.customers=300", "market.years=1", "market.warmup_weeks=2", "progress=false"]


def test_cost_is_every_line_plus_bays_at_the_configured_bay_cost():
    p = Programme({"service": 100.0, "parts": 20.0, "engagement": 50.0, "consistency": 5.0},
                  extra_bays=2, bay_cost_k=60.0)
    assert p.cost_k == 100 + 20 + 50 + 5 + 2 * 60
    assert p.spend_k == 175
    assert list(p.costs()) == list(LINES) and p.costs()["bays"] == 120
    assert sum(p.costs().values()) == p.cost_k
    cfg = compose([*TINY, "investment=cx_program", "investment.extra_bays=3",
                   "dealers.bay_cost_k=75"])
    prog = Programme.from_config(cfg)
    assert prog.bay_cost_k == 75 and prog.extra_bays == 3
    inv = cfg.investment
    spend = sum(inv.spend.as_list()) + inv.engagement_spend + inv.consistency_spend
    assert prog.cost_k == pytest.approx(spend + 3 * 75)


def test_a_store_running_the_programme_books_the_same_cost():
    cfg = compose([*TINY, "dealers.bay_cost_k=40"])
    model = CxModel(cfg)
    p = Programme({"digital": 30.0, "engagement": 12.5}, extra_bays=1, bay_cost_k=40.0)
    dealer = model.dealer_list[0]
    bays = dealer.bays
    p.apply_to(dealer)
    assert dealer.yearly_investment == p.cost_k == 82.5
    assert dealer.bays == bays + 1


@pytest.mark.parametrize(("spend", "bays", "key"), [
    ({"service": -1.0}, 0, "investment.spend.service"),
    ({"engagement": -0.5}, 0, "investment.engagement_spend"),
    ({"consistency": float("nan")}, 0, "investment.consistency_spend"),
    ({}, -1, "investment.extra_bays"),
    ({"lunch": 5.0}, 0, "lunch"),
])
def test_a_bad_line_is_one_line_naming_the_key(spend, bays, key):
    with pytest.raises(ConfigError) as err:
        Programme(spend, extra_bays=bays)
    assert key in str(err.value) and "\n" not in str(err.value)


def test_changed_copies_are_validated_and_leave_the_original_alone():
    p = Programme({t: 10.0 for t in TOUCHPOINTS}, name="even")
    assert p.scaled(2.0).cost_k == 2 * p.cost_k and p.cost_k == 80
    assert p.replace(service=50.0).spend["service"] == 50 and p.spend["service"] == 10
    assert p.allocated({"parts": 7.0}, "parts_only").spend_k == 7
    with pytest.raises(ConfigError, match="investment.spend.service"):
        p.replace(service=-5.0)
    with pytest.raises(ConfigError, match="'bogus'"):
        p.replace(bogus=1.0)
    with pytest.raises(ConfigError, match="'bogus'"):
        p.allocated({"bogus": 1.0})
    with pytest.raises(ConfigError, match="investment.extra_bays"):
        p.replace(extra_bays=-2)


def test_round_trip_through_the_config_and_overrides():
    cfg = compose([*TINY, "investment=cx_program", "investment.start_week=5"])
    p = Programme.from_config(cfg).replace(service=1.5, extra_bays=2)
    out = p.into(cfg)
    assert Programme.from_config(out) == p
    assert out.investment.start_week == 5 and cfg.investment.extra_bays == 0
    again = compose([*TINY, "investment=cx_program", *p.overrides()])
    assert Programme.from_config(again) == p
    assert set(p.spend) == set(SPEND_LINES)


def test_bay_cost_is_config_and_validated():
    assert compose(TINY).dealers.bay_cost_k == 60.0
    with pytest.raises(ConfigError, match="dealers.bay_cost_k"):
        compose([*TINY, "dealers.bay_cost_k=-1"])
