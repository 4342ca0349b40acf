"""Explore's parts without the model: uncertainties, the sample, PRIM on a planted
failure region, regret and satisficing against a hand-computed table, the money."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxsim.config import ConfigError, RunConfig
from cxsim.explore import discovery, robust
from cxsim.explore.layout import ema_layout
from cxsim.explore.scenarios import sample, values_of
from cxsim.explore.uncertainties import Uncertainty, apply, declare, declare_all

BASE = RunConfig()


# -- uncertainties ------------------------------------------------------------------------
def test_the_catalogue_maps_every_named_uncertainty_onto_a_real_key():
    us = {u.name: u for u in declare_all(None, BASE, "")}
    assert us["friction_trend"].key == "market.friction_decline"
    assert us["rival_copies"].values == ["nobody", "Dealer B"]  # the first store not focal
    assert us["rival_delay"].integer and us["rival_delay"].key == \
        "investment.copy_after_weeks"
    assert us["spend_half"].low == 75.0 and us["spend_half"].high == 300.0
    assert {"quality_ceiling", "quality_lag", "word_of_mouth", "expectation_drift",
            "market_size", "cost_inflation"} <= set(us)


def test_a_scenario_sets_its_keys_in_a_copy_and_every_store_with_a_star():
    u = declare("margin", {"key": "dealers.dealers.*.gross_per_vehicle",
                           "range": [2.0, 4.0]}, BASE)
    cfg = apply(BASE, {u.key: 3.5, "investment.copied_by": "Dealer C",
                       "investment.copy_after_weeks": 20, "cost_inflation": 0.05},
                check=True)
    assert [d.gross_per_vehicle for d in cfg.dealers.dealers] == [3.5, 3.5, 3.5]
    assert cfg.investment.copied_by == 2 and cfg.investment.copy_after_weeks == 20
    assert BASE.dealers.dealers[0].gross_per_vehicle == 3.0  # the base is untouched


@pytest.mark.parametrize("name, spec, words", [
    ("x", {"key": "market.frictoin_decline", "range": [0, 1]},
     ["uncertainties.x.key", "'market.frictoin_decline'", "friction_decline"]),
    ("x", {"key": "market.years", "range": [2, 2]}, ["uncertainties.x.range", "empty"]),
    ("x", {"key": "market.years", "range": [3, 1]}, ["uncertainties.x.range", "inverted"]),
    ("x", {"key": "market.years", "range": []}, ["uncertainties.x.range", "two finite"]),
    ("x", {"key": "market.years", "range": [1, 2], "step": 1}, ["'uncertainties.x.step'"]),
    ("x", {"range": [1, 2]}, ["uncertainties.x.key: missing", "friction_trend"]),
    ("x", {"key": "touchpoints.expectation_drift", "range": [0.1, 1.5]},
     ["uncertainties.x", "1.5", "probability"]),
    ("x", {"key": "investment.copy_after_weeks", "range": [1.5, 8]}, ["whole numbers"]),
    ("x", {"key": "dealers.dealers.7.bays", "range": [1, 8]}, ["0..2 or *"]),
    ("friction_trend", {"key": "market.years"}, ["named uncertainty", "friction_decline"]),
])
def test_a_bad_uncertainty_is_one_line_naming_it(name, spec, words):
    with pytest.raises(ConfigError) as err:
        declare(name, spec, BASE)
    assert "\n" not in str(err.value)
    for w in words:
        assert w in str(err.value), str(err.value)


def test_an_empty_uncertainties_section_is_refused():
    with pytest.raises(ConfigError, match="uncertainties: empty"):
        declare_all({}, BASE)


# -- the sample ---------------------------------------------------------------------------
US = [Uncertainty("a", "market.friction_decline", 0.0, 1.0),
      Uncertainty("b", "touchpoints.expectation_drift", 0.0, 1.0),
      Uncertainty("k", "investment.copy_after_weeks", 13, 104, integer=True),
      Uncertainty("r", "investment.copied_by", values=["nobody", "Dealer B"])]


def test_the_latin_hypercube_fills_every_stratum_once_and_is_seeded():
    x = sample(US, 50, seed=3)
    for col in ("a", "b"):
        strata = np.floor(x[col].to_numpy() * 50).astype(int)
        assert sorted(strata) == list(range(50))  # one point per fiftieth of the range
    assert x["k"].between(13, 104).all() and x["k"].dtype == np.int64
    assert set(x["r"]) == {"nobody", "Dealer B"}
    assert sample(US, 50, seed=3).equals(x) and not sample(US, 50, seed=4).equals(x)
    assert values_of(US, x.iloc[0])["investment.copied_by"] in ("nobody", "Dealer B")


@pytest.mark.parametrize("n", [0, -3])
def test_no_scenarios_is_refused(n):
    with pytest.raises(ConfigError, match="--scenarios"):
        sample(US, n)


# -- PRIM on a failure region known by construction --------------------------------------
def test_prim_recovers_a_planted_failure_box():
    # fails exactly where a > 0.6 and b < 0.35 and Dealer B copies: PRIM's kept box
    # must give those bounds within 0.05 (a twentieth of each range) and leave k free
    x = sample(US, 600, seed=11)
    fails = ((x["a"] > 0.6) & (x["b"] < 0.35) & (x["r"] == "Dealer B")).to_numpy()
    boxes = discovery.discover(x, fails, US, "two_bays", "loses money")
    box = boxes[0]
    assert set(box.limits) == {"a", "b", "r"}
    assert box.limits["a"][0] == pytest.approx(0.6, abs=0.05)
    assert box.limits["b"][1] == pytest.approx(0.35, abs=0.05)
    assert box.limits["r"] == ["Dealer B"]
    assert box.density >= 0.9 and box.coverage >= 0.9
    assert box.sentence.startswith("two_bays loses money in ")
    assert "market.friction_decline" not in box.sentence and " and " in box.sentence
    scores = discovery.feature_scores(x, fails, US)
    assert scores.idxmin() == "k" and scores[["a", "b", "r"]].min() > scores["k"]


def test_prim_bounds_a_whole_number_uncertainty():
    # a rival who copies within 40 weeks: the box's upper bound on k is 40 (+-5 weeks)
    x = sample(US, 300, seed=5)
    fails = ((x["k"] < 40) & (x["r"] == "Dealer B")).to_numpy()
    box = discovery.discover(x, fails, US, "o")[0]
    assert set(box.limits) == {"k", "r"}
    assert box.limits["k"][1] == pytest.approx(40, abs=5)
    assert "copied_by" not in box.sentence


def test_an_option_that_never_or_always_fails_has_no_box():
    x = sample(US, 40)
    assert discovery.discover(x, np.zeros(40, bool), US, "o") == []
    assert discovery.discover(x, np.ones(40, bool), US, "o") == []


# -- regret and satisficing against a hand-computed table ---------------------------------
def test_regret_and_satisficing_match_a_hand_computed_table():
    v = pd.DataFrame({"status_quo": [0.0, 0.0, 0.0, 0.0],
                      "a": [300.0, -100.0, 50.0, 20.0],
                      "b": [120.0, 40.0, -30.0, 60.0]},
                     index=pd.Index([0, 1, 2, 3], name="scenario"))
    # best per scenario: 300 (a), 40 (b), 50 (a), 60 (b)
    expected = pd.DataFrame({"status_quo": [300.0, 40.0, 50.0, 60.0],
                             "a": [0.0, 140.0, 0.0, 40.0],
                             "b": [180.0, 0.0, 80.0, 0.0]}, index=v.index)
    pd.testing.assert_frame_equal(robust.regret(v), expected)
    s = robust.summary(v, threshold=30.0)
    assert s["max_regret"].to_dict() == {"status_quo": 300.0, "a": 140.0, "b": 180.0}
    assert s["mean_regret"].to_dict() == {"status_quo": 112.5, "a": 45.0, "b": 65.0}
    assert s["share_meeting"].to_dict() == {"status_quo": 0.0, "a": 0.5, "b": 0.75}
    assert list(s.index[s["minimax_regret"]]) == ["a"]
    assert list(s.index[s["satisficing"]]) == ["b"]
    assert s.loc["a", "mean"] == 67.5


def test_the_ema_layout_has_a_row_per_scenario_and_policy():
    scen = pd.DataFrame({"scenario": [0, 1], "a": [0.1, 0.2]})
    long = pd.DataFrame({"scenario": [1, 0], "policy": ["x", "x"],
                         **{m: [2.0, 1.0] for m in ("npv_k", "npv_with_terminal_k",
                                                    "payback_month", "extra_units",
                                                    "cost_k", "nps_change")}})
    exp, out = ema_layout(scen, long, ["status_quo", "x"])
    assert list(exp.columns) == ["a", "scenario", "policy", "model"]
    assert exp["policy"].astype(str).tolist() == ["status_quo", "x", "status_quo", "x"]
    assert out["npv_k"].tolist() == [0.0, 1.0, 0.0, 2.0]
    assert exp["a"].tolist() == [0.1, 0.1, 0.2, 0.2]


def test_an_option_failing_almost_everywhere_is_asked_where_it_pays_back():
    from types import SimpleNamespace

    from cxsim.explore.report import analyse
    from cxsim.explore.study import Study

    x = sample(US, 400, seed=2)
    npv = np.where(x["a"] > 0.8, 50.0, -50.0)  # pays back only where a > 0.8
    outcomes = pd.DataFrame({"scenario": x["scenario"], "policy": "o", "npv_k": npv})
    study = Study(SimpleNamespace(arms={"status_quo": None, "o": None}, seed=0), US)
    a = analyse(study, x, outcomes)
    assert a.fails["o"].mean() == pytest.approx(0.8, abs=0.01)
    box = a.pays["o"][0]
    assert list(box.limits) == ["a"] and box.limits["a"][0] == pytest.approx(0.8, abs=0.05)
    assert box.sentence.startswith("o pays back (npv_k >= 0 k$) in ")
    assert box.sentence.endswith("of its successes).")
    assert a.robust.loc["o", "share_meeting"] == pytest.approx(0.2, abs=0.01)


def _calibrated_market(folder) -> None:  # noqa: ANN001 - a test's tmp_path
    """A calibrated market (what cxsim-calibrate writes) with two equally weighted draws."""
    import yaml

    pd.DataFrame({"choice.switching_cost": [0.5, 3.0], "word_of_mouth.talk_rate": [0.1, 0.2],
                  "weight": [0.5, 0.5]}).to_parquet(folder / "posterior.parquet")
    (folder / "market.yaml").write_text(yaml.safe_dump({
        "calibrated_from": "history.csv", "market": {}, "overrides": [],
        "posterior": "posterior.parquet",
        "medians": {"choice.switching_cost": 1.75, "word_of_mouth.talk_rate": 0.15}}))


def test_a_calibrated_market_gives_each_scenario_a_posterior_draw(tmp_path):
    """Scenario s runs every arm on draw s of the posterior; a declared uncertainty
    on the same key wins over the draw."""
    import yaml

    from cxsim.explore.runs import tasks
    from cxsim.explore.study import load_study

    _calibrated_market(tmp_path)
    sub = tmp_path / "options"
    sub.mkdir()
    (sub / "explore.yaml").write_text(yaml.safe_dump({
        "name": "calibrated", "market": "../market.yaml", "horizon_years": 1,
        "status_quo": {}, "options": {"service": {"spend": {"service": 100}}},
        "uncertainties": {"talk": {"key": "word_of_mouth.talk_rate", "range": [0.3, 0.4]}}}))
    study = load_study(sub / "explore.yaml")
    experiments = sample(study.uncertainties, 8, seed=3)
    got = tasks(study, experiments, list(range(8)))
    costs = []
    for options, s, _, _ in got:
        arms = list(options.arms.values())
        cost = {c.choice.switching_cost for c in arms}
        assert len(cost) == 1  # every arm of a scenario on the same draw
        costs.append(cost.pop())
        talk = {c.word_of_mouth.talk_rate for c in arms}
        assert talk == {float(experiments.loc[s, "talk"])}  # the uncertainty wins
    assert set(costs) == {0.5, 3.0} and 2 <= costs.count(0.5) <= 6
    again = [o.arms["service"].choice.switching_cost for o, *_ in
             tasks(study, experiments, list(range(8)))]
    assert again == costs  # seeded


def test_a_calibrated_parameter_is_a_dimension_of_scenario_discovery(tmp_path):
    """What the history left open is named in the boxes: each scenario's posterior draw
    becomes a column (the value it ran with) and an uncertainty of PRIM; a parameter a
    declared uncertainty sets is not (it wins over the draw). Planted: the option fails
    exactly where the drawn switching cost is the high one."""
    import yaml

    from cxsim.explore.report import analyse
    from cxsim.explore.runs import calibrated, tasks
    from cxsim.explore.study import load_study

    _calibrated_market(tmp_path)
    (tmp_path / "explore.yaml").write_text(yaml.safe_dump({
        "name": "calibrated", "market": "market.yaml", "horizon_years": 1,
        "status_quo": {}, "options": {"service": {"spend": {"service": 100}}},
        "uncertainties": {"talk": {"key": "word_of_mouth.talk_rate", "range": [0.3, 0.4]},
                          "friction_trend": {"range": [0.0, 0.1]}}}))
    study = load_study(tmp_path / "explore.yaml")
    experiments = sample(study.uncertainties, 300, seed=4)
    x, drawn = calibrated(study, experiments)
    assert [u.key for u in drawn] == ["choice.switching_cost"]  # talk_rate is declared
    column = drawn[0].name
    ran = [o.arms["service"].choice.switching_cost for o, *_ in
           tasks(study, experiments, list(range(12)))]
    assert x[column].head(12).tolist() == ran  # the value each scenario ran with
    npv = np.where(x[column] > 2.0, -40.0, 60.0)
    outcomes = pd.DataFrame({"scenario": x["scenario"], "policy": "service", "npv_k": npv})
    a = analyse(study, x, outcomes, drawn)
    box = a.boxes["service"][0]
    assert "the calibrated choice.switching_cost more than" in box.sentence, box.sentence
    assert "friction" not in box.sentence
    assert a.scores.loc[column, "service"] > 0.5
