"""The trainer dashboard without a browser: its model, its views and its page.

The page is rendered with ``solara.render`` (as Mesa's own tests do): buttons are
clicked and sliders moved on the widgets, no server or browser involved. The
real browser test is ``tests/test_dashboard_browser.py``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

pytest.importorskip("solara", reason="the dashboard needs the 'dashboard' extra")

import ipyvuetify as v  # noqa: E402
import solara  # noqa: E402
import solara.widgets  # noqa: E402

from cxsim.config import TOUCHPOINTS  # noqa: E402
from cxsim.dashboard import views  # noqa: E402
from cxsim.dashboard.cli import main as cli_main  # noqa: E402
from cxsim.dashboard.cli import offline_problems, parse  # noqa: E402
from cxsim.dashboard.market import (  # noqa: E402
    PairedMarket,
    Session,
    describe,
    feed_lines,
    industries,
    presets,
    rolling,
    series,
)

SMALL = 600  # customers: big enough for sales every week, small enough to be quick


@pytest.fixture(scope="module")
def programme_market() -> PairedMarket:
    m = PairedMarket(preset="cx_program", customers=SMALL, seed=3)
    for _ in range(30):
        m.step()
    return m


# -- the paired market ------------------------------------------------------------------
def test_presets_and_industries_include_the_required_ones():
    assert {"baseline", "cx_program"} <= set(presets())
    assert {"car", "boat"} <= set(industries())
    assert presets()["baseline"] == ["scenario=baseline"]


def test_without_a_programme_both_markets_are_identical_week_by_week():
    # Common random numbers: same seed, same config, no programme -> same market.
    m = PairedMarket(preset="baseline", customers=SMALL, seed=1)
    assert m.levers.total == 0
    for _ in range(20):
        m.step()
    a, b = series(m)
    assert np.array_equal(a.units, b.units)
    assert np.array_equal(m.without.population.satisfaction, m.with_.population.satisfaction)
    assert np.allclose(b.cum_units - a.cum_units, 0)


def test_programme_pairs_on_common_random_numbers(programme_market):
    m = programme_market
    # Warm-up is shared history: the programme starts at week 0, so both arms drew the
    # same homes, network and attitudes.
    assert np.array_equal(m.without.population.x, m.with_.population.x)
    assert m.week == 30 and m.time == 30
    assert m.programme_started()
    focal = m.focal
    assert m.with_.dealer_list[focal].yearly_investment > 0
    assert m.without.dealer_list[focal].yearly_investment == 0
    e0, e1 = m.engagement()
    assert e1 > e0  # the engagement spend is working in the "with" arm only
    a, b = series(m)
    assert not np.array_equal(a.units, b.units)  # the arms have diverged


def test_live_levers_change_only_the_programme_arm():
    m = PairedMarket(preset="cx_program", customers=SMALL, seed=2)
    m.step()
    focal_with = m.with_.dealer_list[m.focal]
    focal_without = m.without.dealer_list[m.focal]
    m.set_spend("service", 300)
    m.set_engagement(0)
    i = TOUCHPOINTS.index("service")
    assert focal_with.spend[i] == 300 and focal_with.engagement_spend == 0
    assert focal_without.spend.sum() == 0
    with pytest.raises(KeyError, match="allowed"):
        m.set_spend("lounge", 10)
    m.set_friction(0.5)
    m.step()
    # Friction is a market condition: both arms follow the new path at once.
    assert m.without.friction == m.with_.friction < 0.6


def test_session_keeps_levers_across_reset_unless_the_preset_changes():
    session = Session()
    first = PairedMarket(preset="cx_program", customers=300, session=session)
    first.set_spend("digital", 222)
    again = PairedMarket(preset="cx_program", customers=300, session=session)
    assert again.levers.spend["digital"] == 222
    assert again.with_.dealer_list[again.focal].spend.sum() == 0  # starts at week 0
    again.step()
    assert again.with_.dealer_list[again.focal].spend[TOUCHPOINTS.index("digital")] == 222
    other = PairedMarket(preset="baseline", customers=300, session=session)
    assert other.levers.total == 0


def test_market_stops_at_its_horizon():
    m = PairedMarket(preset="baseline", customers=300, extra=["market.years=0.1"])
    assert m.horizon == 5
    for _ in range(8):
        m.step()
    assert m.week == 5 and not m.running


def test_unknown_preset_or_industry_says_what_is_allowed():
    with pytest.raises(ValueError, match="allowed: .*cx_program"):
        PairedMarket(preset="nope", customers=300)
    with pytest.raises(ValueError, match="allowed: .*boat"):
        PairedMarket(industry="plane", customers=300)


def test_rolling_sums_over_the_trailing_window():
    a = np.arange(6, dtype=float)[:, None]
    assert rolling(a, 3)[:, 0].tolist() == [0, 1, 3, 6, 9, 12]


def test_word_of_mouth_in_plain_words(programme_market):
    assert describe({"listeners": 3, "score": 2.0, "dealer": "Dealer B"}) == \
        "3 neighbours heard about a bad experience at Dealer B"
    assert describe({"listeners": 1, "score": 9.0, "dealer": "Dealer A"}) == \
        "1 neighbour heard about a great experience at Dealer A"
    lines = feed_lines(programme_market.with_, limit=5)
    assert len(lines) == 5
    weeks = [w for w, _, _ in lines]
    assert weeks == sorted(weeks, reverse=True)  # newest first
    assert all(re.fullmatch(r"\d+ neighbours? heard about a (bad|good|great) experience at "
                            r"Dealer [A-C]", s) for _, s, _ in lines)


# -- the views ----------------------------------------------------------------------------
def test_every_view_is_well_formed_markup_for_this_week(programme_market):
    out = views.render_all(programme_market)
    assert list(out) == ["map", "share", "lift", "kpis", "funnel", "network", "feed"]
    for key, text in out.items():
        root = ET.fromstring(text)  # raises on malformed markup
        assert root.get("data-week") == "30", key
    share = ET.fromstring(out["share"])
    ns = "{http://www.w3.org/2000/svg}"
    dealer_lines = [p for p in share.iter(f"{ns}path")
                    if (p.get("class") or "").startswith("cx-share-d")]
    assert len(dealer_lines) == 3 and all(p.get("d", "").count("L") >= 29 for p in dealer_lines)
    assert "Dealer A" in out["map"] and "With the programme" in out["map"]


def test_views_handle_the_first_week_and_large_markets():
    m = PairedMarket(preset="cx_program", customers=6_000, extra=["market.years=0.2"])
    out = views.render_all(m)  # week 0: nothing recorded yet
    for text in out.values():
        ET.fromstring(text)
    # Above the network view's limit the view explains itself; the map draws a sample.
    assert m.with_.network is None and "choose a smaller market" in out["network"]
    assert "3,000 of 6,000 customers shown" in out["map"]


# -- the page (solara.render, no server) ----------------------------------------------
def _render_page():
    from cxsim.dashboard.app import Page

    box, rc = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    return rc


def _card(rc, key: str):
    found = [w for w in rc.find(solara.widgets.HTML).widgets
             if f"cx-card-{key}" in (w.attributes or {}).get("class", "")]
    assert len(found) == 1, key
    return found[0]


def _slider(rc, prefix: str):
    found = [w for w in rc.find(v.Slider).widgets if (w.label or "").startswith(prefix)]
    assert len(found) == 1, prefix
    return found[0]


def _programme_cost(rc) -> int:
    found = rc.find(v.Html, class_="cx-programme-total")
    found.assert_single()
    text = found.widget.children[0]
    return int(re.search(r"Now ([\d,]+) k\$ a year", text).group(1).replace(",", ""))


def _week(rc) -> int:
    return int(re.search(r'data-week="(\d+)"', _card(rc, "share").unsafe_innerHTML).group(1))


@pytest.fixture
def small_start(monkeypatch):
    monkeypatch.setenv("CXSIM_DASHBOARD_CUSTOMERS", str(SMALL))


def test_page_steps_moves_a_lever_and_resets(small_start):
    rc = _render_page()
    for key in views.VIEWS:
        _card(rc, key)
    assert _week(rc) == 0
    step = rc.find(v.Btn, children=["Step"])
    step.assert_single()
    share_before = _card(rc, "share").unsafe_innerHTML
    step.widget.click()
    step.widget.click()
    assert _week(rc) == 2
    assert _card(rc, "share").unsafe_innerHTML != share_before

    # A live lever: the service slider of the programme card.
    service = _slider(rc, "Service: ")
    before = _programme_cost(rc)
    service.v_model = service.v_model + 100
    assert _programme_cost(rc) == before + 100
    assert f"({before + 100:,} k$ a year)" in _card(rc, "lift").unsafe_innerHTML

    # Mesa's Model Parameters: pick the baseline preset, then Reset builds a new market.
    preset = rc.find(v.Select, label="Scenario preset")
    preset.assert_single()
    preset.widget.v_model = "baseline"
    rc.find(v.Btn, children=["Reset"]).widget.click()
    assert _week(rc) == 0
    assert _slider(rc, "Service: ").v_model == 0  # baseline: no programme
    note = [w for w in rc.find(solara.widgets.HTML).widgets
            if "cx-note" in (w.attributes or {}).get("class", "")][0]
    assert "<b>baseline</b>" in note.unsafe_innerHTML


def test_each_session_gets_its_own_market(small_start):
    # A model built at module level would be shared (and stepped) by every visitor.
    one, two = _render_page(), _render_page()
    one.find(v.Btn, children=["Step"]).widget.click()
    assert _week(one) == 1
    assert _week(two) == 0


# -- the command ----------------------------------------------------------------------------
def test_command_binds_to_this_machine_by_default():
    args = parse([])
    assert args.host == "127.0.0.1" and args.port == 8765 and not args.open


def test_command_rejects_bad_input_before_starting(capsys):
    assert cli_main(["--preset", "nope"]) == 2
    assert "allowed" in capsys.readouterr().err
    assert cli_main(["--set", "market.yearz=3"]) == 2
    assert "market.yearz" in capsys.readouterr().err


def test_front_end_is_installed_for_offline_use():
    # solara-assets serves Solara's front end locally; ipyvue < 2 keeps Vue 2, where
    # Mesa's card grid renders.
    assert offline_problems() == []
