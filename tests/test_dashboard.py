"""The trainer's page without a browser: its model, stories, journal, views and page.

The page is rendered with ``solara.render`` (as Mesa's own tests do): buttons are
clicked and sliders moved on the widgets, no server or browser involved. The
real browser test is ``tests/test_dashboard_browser.py``.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("solara", reason="the dashboard needs the 'dashboard' extra")

import ipyvuetify as v  # noqa: E402
import solara  # noqa: E402
import solara.widgets  # noqa: E402

from cxsim.config import TOUCHPOINTS  # noqa: E402
from cxsim.dashboard import export, inspect, places, views  # noqa: E402
from cxsim.dashboard.cli import main as cli_main  # noqa: E402
from cxsim.dashboard.cli import offline_problems, parse  # noqa: E402
from cxsim.dashboard.market import PairedMarket, Session, industries, presets  # noqa: E402
from cxsim.dashboard.series import describe, rolling, series  # noqa: E402
from cxsim.dashboard.stories import stories  # noqa: E402

SMALL = 600  # customers: big enough for sales every week, small enough to be quick
REQUIRED = {"pays_back", "disney", "perception_gap", "word_of_mouth", "friction",
            "rival_copies", "boat_spring"}


@pytest.fixture(scope="module")
def programme_market() -> PairedMarket:
    m = PairedMarket(preset="cx_program", customers=SMALL, seed=3, watch=200)
    for _ in range(30):
        m.step()
    return m


# -- stories ------------------------------------------------------------------------------
def test_every_story_is_a_preset_with_a_narrative():
    table = presets()
    assert REQUIRED <= set(stories())
    assert list(table)[:len(stories())] == list(stories())  # stories first
    assert {"baseline", "cx_program", "competitor_response"} <= set(table)
    for s in stories().values():
        assert s.title and s.idea and len(s.narrative) > 150, s.name
    assert {"car", "boat"} <= set(industries())


@pytest.mark.parametrize("name, chapter", [
    ("pays_back", "programme starts"), ("disney", "programme starts"),
    ("perception_gap", "programme starts"), ("word_of_mouth", "Newcomer opens"),
    ("friction", "friction falls to 0.4"), ("rival_copies", "a rival copies"),
    ("boat_spring", "season opens")])
def test_each_story_builds_steps_and_marks_its_chapters(name, chapter):
    m = PairedMarket(preset=name, customers=SMALL, extra=["market.years=2"])
    assert chapter in [k.label for k in m.markers]
    assert all(0 <= k.week < m.horizon for k in m.markers)
    for _ in range(3):
        m.step()
    assert m.week == 3
    svg = views.share_svg(m)
    assert svg.count('class="cx-marker"') == 2 * len(m.markers)  # on both panels
    assert chapter in svg


def test_story_levers_are_set():
    rival = PairedMarket(preset="rival_copies", customers=SMALL)
    assert {k.label: k.week for k in rival.markers}["a rival copies"] == 52
    boat = PairedMarket(preset="boat_spring", customers=SMALL)
    assert boat.industry == "boat"
    assert [k.week for k in boat.markers if k.label == "season opens"][0] in range(4, 9)
    new = PairedMarket(preset="word_of_mouth", customers=SMALL)
    assert new.focal_name() == "Newcomer" and new.focal == len(new.dealer_names) - 1
    assert not new.with_.population.aware[:, new.focal].any()  # known to nobody at week 0


def test_disney_story_spends_the_same_money_on_the_service_department_alone():
    m = PairedMarket(preset="disney", customers=SMALL)
    assert m.labels == ("service only", "holistic")
    m.step()
    f, tp = m.focal, {t: i for i, t in enumerate(TOUCHPOINTS)}
    svc, hol = m.without.dealer_list[f], m.with_.dealer_list[f]
    assert svc.spend[tp["service"]] > 0 and svc.spend[tp["digital"]] == 0
    assert hol.spend[tp["digital"]] > 0
    assert svc.yearly_investment == pytest.approx(hol.yearly_investment, rel=0.01)


def test_default_story_loses_money_first_then_pays_back_as_the_readme_says():
    # The page's default: 2,000 simulated customers of the 20,000-household market.
    m = PairedMarket()
    assert m.preset == "pays_back" and m.with_.metrics.weight == pytest.approx(10.0)
    for _ in range(13):
        m.step()
    early = views.lift_numbers(m)
    assert early["profit_k"] < 0 and early["cost_k"] > 0
    assert "cost starts at once" in views.why(m, early)
    while m.running:
        m.step()
    late = views.lift_numbers(m)
    # README / experiments: about +26 % sales and ROI about +0.6 over the horizon.
    assert late["roi"] > 0.2 and 10 < late["units_pct"] < 45
    assert "Paying back" in views.why(m, late)
    a, b = series(m)
    assert late["cost_k"] == pytest.approx(m.planned_cost() * m.horizon / 52, rel=0.02)


# -- the paired market ------------------------------------------------------------------
def test_without_a_programme_both_markets_are_identical_week_by_week():
    m = PairedMarket(preset="baseline", customers=SMALL, seed=1)
    assert m.levers.total == 0
    for _ in range(20):
        m.step()
    a, b = series(m)
    assert np.array_equal(a.units, b.units)
    assert np.array_equal(m.without.population.satisfaction, m.with_.population.satisfaction)


def test_live_levers_change_only_the_programme_arm():
    m = PairedMarket(preset="cx_program", customers=SMALL, seed=2)
    m.step()
    m.set_spend("service", 300)
    m.set_engagement(0)
    i = TOUCHPOINTS.index("service")
    focal_with = m.with_.dealer_list[m.focal]
    assert focal_with.spend[i] == 300 and focal_with.engagement_spend == 0
    assert m.without.dealer_list[m.focal].spend.sum() == 0
    with pytest.raises(KeyError, match="allowed"):
        m.set_spend("lounge", 10)
    m.set_friction(0.5)
    m.step()
    assert m.without.friction == m.with_.friction < 0.6


def test_programme_runs_at_every_store_the_config_names():
    m = PairedMarket(preset="pays_back", customers=SMALL, seed=1,
                     extra=["investment.stores=['Dealer A','Dealer B']"])
    assert m.stores == [0, 1]
    m.set_bays(2)
    for _ in range(6):
        m.step()
    a, b = series(m)
    assert (b.cum_invest[-1, :2] > 0).all() and b.cum_invest[-1, 2] == 0
    assert np.allclose(b.cum_invest[-1, 0], b.cum_invest[-1, 1])  # the same programme each
    assert (a.cum_invest[-1] == 0).all()
    base = [d.spec.bays for d in m.with_.dealer_list]
    assert [d.bays for d in m.with_.dealer_list] == [base[0] + 2, base[1] + 2, base[2]]


def test_bays_lever_adds_bays_to_the_lane_and_prices_them():
    m = PairedMarket(customers=SMALL)
    m.step()
    before_cost, (b0, b1) = m.planned_cost(), m.bays()
    lane_before = inspect.lane_svg(m)
    m.set_bays(6)
    m.step()
    assert m.bays() == (b0, b1 + 6)
    assert m.planned_cost() == pytest.approx(before_cost + 6 * m.programme.bay_cost_k)
    lane = inspect.lane_svg(m)
    assert f'data-bays="{b1 + 6}"' in lane and lane != lane_before
    assert m.with_.market.lanes.bays[m.focal] == b1 + 6  # the lane serves with them


def test_session_keeps_levers_across_reset_unless_the_preset_changes():
    session = Session()
    first = PairedMarket(preset="cx_program", customers=300, session=session)
    first.set_spend("digital", 222)
    again = PairedMarket(preset="cx_program", customers=300, session=session)
    assert again.levers.spend["digital"] == 222
    other = PairedMarket(preset="baseline", customers=300, session=session)
    assert other.levers.total == 0


def test_market_stops_at_its_horizon_and_refuses_unknown_presets():
    m = PairedMarket(preset="baseline", customers=300, extra=["market.years=0.1"])
    for _ in range(8):
        m.step()
    assert m.week == 5 and not m.running
    with pytest.raises(ValueError, match="allowed: .*pays_back"):
        PairedMarket(preset="nope", customers=300)
    with pytest.raises(ValueError, match="allowed: .*boat"):
        PairedMarket(industry="plane", customers=300)


def test_rolling_sums_and_plain_words():
    assert rolling(np.arange(6, dtype=float)[:, None], 3)[:, 0].tolist() == [0, 1, 3, 6, 9, 12]
    assert describe({"listeners": 3, "score": 2.0, "dealer": "Dealer B"}) == \
        "3 neighbours heard about a bad experience at Dealer B"


# -- the journal ------------------------------------------------------------------------
def test_journal_changes_nothing_in_the_market():
    plain = PairedMarket(customers=SMALL, seed=5)
    watched = PairedMarket(customers=SMALL, seed=5, watch=SMALL)
    assert plain.with_.market.journal is None and plain.journals is None
    for _ in range(15):
        plain.step()
        watched.step()
    for k in range(2):
        assert np.array_equal(plain.arms[k].metrics._counts, watched.arms[k].metrics._counts)
        assert np.array_equal(plain.arms[k].population.satisfaction,
                              watched.arms[k].population.satisfaction)


def test_journal_records_moments_against_expectations_for_watched_customers_only(
        programme_market):
    m = programme_market
    j = m.journals[1]
    assert j.watched.size == 200
    assert j.of(SMALL - 1) == []  # not watched
    records = [r for c in j.watched.tolist() for r in j.of(c)]
    kinds = {r.kind for r in records}
    assert {"bought", "serviced", "told", "heard"} <= kinds
    episode = next(r for r in records if r.kind == "serviced")
    assert "service" in episode.moments and episode.wait_h is not None
    felt, expected = episode.moments["service"]
    assert 0 <= felt <= 10 and 0 <= expected <= 10
    assert all(len(q) <= q.maxlen for q in j.records.values())


def test_clicking_the_map_picks_a_customer_or_a_store(programme_market):
    m = programme_market
    dx, dy = places.dealer_xy(m, 1)
    assert inspect.pick(m, float(dx[1]) + 3, float(dy[1])) == ("dealer", 1, 1)
    kind, arm, c = inspect.pick(m, places.MAP_X0[0] + 40, places.MAP_TOP + 60)
    assert kind == "customer" and arm == 0 and c in m.journals[0].watched
    assert inspect.pick(m, 5, 500) is None  # below the maps
    page = inspect.journey_html(m, 1, int(m.journals[1].watched[0]))
    ET.fromstring(page)
    assert "Customer" in page
    card = inspect.dealer_html(m, 1, 0)
    ET.fromstring(card)
    assert "Management rates itself" in card and "service bays" in card


# -- views and export -------------------------------------------------------------------
def test_every_view_is_well_formed_markup_with_legible_text(programme_market):
    m = programme_market
    out = {f.__name__: f(m) for f in (views.share_svg, views.lift_svg, views.kpis_svg,
                                      views.funnel_svg, views.feed_html, views.lift_html,
                                      places.map_svg, places.network_svg, inspect.lane_svg)}
    for name, text in out.items():
        root = ET.fromstring(text)
        # the map's overlay does not change with the week (its dots do: map_codes)
        assert root.get("data-week") == (None if name == "map_svg" else "30"), name
        sizes = [float(s) for s in re.findall(r'font-size="([\d.]+)"', text)]
        sizes += [float(s) for s in re.findall(r"font-size:([\d.]+)px", text)]
        assert sizes and min(sizes) >= 14, name
    ticks = re.findall(r'text-anchor="end" fill="#444"[^>]*>([^<]+)<', out["kpis_svg"])
    assert len(ticks) >= 9  # several ticks on each of the three panels


def test_export_table_matches_the_model(programme_market):
    m = programme_market
    df = pd.read_csv(io.BytesIO(export.weekly_csv(m)))
    assert len(df) == 2 * m.week * len(m.dealer_names)
    a, b = series(m)
    mine = df[df["arm"] == m.labels[1]].pivot(index="week", columns="dealer",
                                             values="units_sold")[m.dealer_names]
    assert np.allclose(mine.to_numpy(), b.units)
    png = export.charts_png(m)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000


# -- the page (solara.render, no server) ----------------------------------------------
def _render_page():
    from cxsim.dashboard.app import Page

    box, rc = solara.render(Page(), handle_error=False)
    return rc


def _html_with(rc, cls: str) -> list[str]:
    from cxsim.dashboard.layers import LayeredSvg

    html = [w.unsafe_innerHTML for w in rc.find(solara.widgets.HTML).widgets
            if cls in (w.unsafe_innerHTML or "") or cls in (w.attributes or {}).get("class", "")]
    return html + [w.base + w.layer for w in rc.find(LayeredSvg).widgets if cls in w.base]


def _tab(rc, label: str) -> None:
    """Choose a tab of one of the page's toggle rows (the browser sets v_model)."""
    for toggle in rc.find(v.BtnToggle).widgets:
        labels = [b.children[0] if b.children else None for b in toggle.children]
        if label in labels:
            toggle.v_model = labels.index(label)
            return
    raise AssertionError(f"no tab {label!r}")


def _week(rc) -> int:
    return int(re.search(r"cx-week-n'>(\d+)<", _html_with(rc, "cx-week-n")[0]).group(1))


@pytest.fixture
def small_start(monkeypatch):
    monkeypatch.setenv("CXSIM_DASHBOARD_CUSTOMERS", str(SMALL))


def test_map_dots_are_one_code_per_drawn_customer_coloured_and_shaped(programme_market):
    m = programme_market
    geo, codes = places.map_layout(m), places.map_codes(m)
    xy = np.array(geo["xy"].split(","), dtype=int).reshape(-1, 2)
    n = min(m.with_.n, places.MAP_SAMPLE)
    assert xy.shape == (n, 2) and len(codes) == 2 * n
    assert (xy[:, 0] >= places.MAP_X0[0]).all() and (xy[:, 0] <= places.MAP_X0[0] +
                                                      places.MAP_SIDE).all()
    code = np.frombuffer(codes.encode("ascii"), np.uint8) - geo["first"]
    assert 0 <= code.min() and code.max() < 1 + 4 * 11
    # the right map's codes are the "with" arm's customers: dealer shape and colour bin
    pop = m.with_.population
    right = code[n:]
    dealer, sat = pop.selling_dealer[:n], pop.satisfaction[:n]
    assert ((right == 0) == (dealer < 0)).all()
    has = dealer >= 0
    assert ((right[has] - 1) // 11 == dealer[has] % 4).all()
    from cxsim.dashboard import svg
    assert ((right[has] - 1) % 11 == svg.satisfaction_bins(sat[has])).all()


def test_page_steps_inspects_pulls_levers_and_changes_story(small_start):
    from cxsim.dashboard.mapview import MapCanvas

    rc = _render_page()
    assert _week(rc) == 0
    assert "A programme that pays back" in _html_with(rc, "cx-story")[0]
    step = rc.find(v.Btn, children=["Step"])
    step.widget.click()
    step.widget.click()
    assert _week(rc) == 2
    assert "after 2 weeks" in _html_with(rc, "cx-lift-text")[0]

    # Click near the middle of the right map: someone's journey opens.
    rc.find(MapCanvas).widget.pick = {"x": places.MAP_X0[1] + 120, "y": places.MAP_TOP + 120}
    assert _html_with(rc, "cx-journey")

    # The service lane, then the bays lever beside the spend sliders.
    _tab(rc, "Service lane")
    lane = _html_with(rc, "cx-lane")[0]
    _tab(rc, "Levers")
    bays = [w for w in rc.find(v.Slider).widgets if (w.label or "").startswith("Service bays")]
    assert len(bays) == 1
    bays[0].v_model = 5
    assert any("Service bays: 20" in (w.label or "") for w in rc.find(v.Slider).widgets)
    step.widget.click()
    assert _html_with(rc, "cx-lane")[0] != lane and 'data-bays="20"' in \
        _html_with(rc, "cx-lane")[0]

    # Another story: a new market at week 0 with its own narrative.
    select = rc.find(v.Select, label="Story")
    select.widget.v_model = "rival_copies"
    assert _week(rc) == 0
    _tab(rc, "Story")
    assert "A rival copies" in _html_with(rc, "cx-story")[0]


def test_each_session_gets_its_own_market(small_start):
    one, two = _render_page(), _render_page()
    one.find(v.Btn, children=["Step"]).widget.click()
    assert _week(one) == 1 and _week(two) == 0


# -- the command ----------------------------------------------------------------------------
def test_command_binds_to_this_machine_by_default():
    args = parse([])
    assert args.host == "127.0.0.1" and args.port == 8765 and not args.open
    assert args.preset == "pays_back" and args.industry is None


def test_command_rejects_bad_input_before_starting(capsys):
    assert cli_main(["--preset", "nope"]) == 2
    assert "allowed" in capsys.readouterr().err
    assert cli_main(["--set", "market.yearz=3"]) == 2
    assert "market.yearz" in capsys.readouterr().err


def test_front_end_is_installed_for_offline_use():
    assert offline_problems() == []
