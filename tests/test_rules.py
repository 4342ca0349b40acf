"""Swapping one rule by name: a researcher's word-of-mouth rule, under both engines."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import numpy as np
import pytest

from cxsim import build_model, rules, simulate
from cxsim.config import ConfigError
from cxsim.processes.word_of_mouth import WordOfMouth
from cxsim.rules import load_module, register, registered

SMALL = ["sample.customers=600", "market.years=1", "market.warmup_weeks=8", "progress=false",
         "seed=5"]


@register("word_of_mouth", "test_good_news_only")
class GoodNewsOnly(WordOfMouth):
    """Listeners ignore what they hear about a bad episode."""

    def hear(self, listeners, dealers, heard):
        keep = heard >= self.cfg.word_of_mouth.talk_neutral
        super().hear(listeners[keep], dealers[keep], heard[keep])


@pytest.fixture(scope="module")
def runs():
    out = {}
    for engine in ("fast", "stepped"):
        for rule in ("default", "test_good_news_only"):
            weekly = simulate([*SMALL, f"engine={engine}",
                               f"rules.word_of_mouth={rule}"]).weekly
            out[engine, rule] = weekly
    return out


@pytest.mark.parametrize("engine", ["fast", "stepped"])
def test_a_registered_rule_replaces_the_default_by_name(runs, engine):
    default, swapped = runs[engine, "default"], runs[engine, "test_good_news_only"]
    assert default["wom_negative"].sum() > 0  # the default rule hears bad news
    assert swapped["wom_negative"].sum() == 0  # the swapped one ignores it
    assert swapped["wom_positive"].sum() > 0  # and still hears good news
    # Customers who hear less bad news: later weeks' episodes differ too.
    assert not np.array_equal(default["units_sold"], swapped["units_sold"])


def test_both_engines_run_the_swapped_rule_identically(runs):
    for col in ("wom_positive", "wom_negative", "units_sold", "service_visits"):
        assert np.array_equal(runs["fast", "test_good_news_only"][col].to_numpy(),
                              runs["stepped", "test_good_news_only"][col].to_numpy()), col


def test_unknown_rule_name_is_a_config_error_naming_key_and_choices():
    with pytest.raises(ConfigError) as err:
        build_model([*SMALL, "rules.word_of_mouth=no_such_rule"])
    msg = str(err.value)
    assert "rules.word_of_mouth='no_such_rule'" in msg
    assert "default" in msg and "test_good_news_only" in msg
    assert "\n" not in msg


def test_a_rule_module_is_loaded_from_a_file(tmp_path):
    path = tmp_path / "quiet_rules.py"
    path.write_text(
        "from cxsim.processes.word_of_mouth import WordOfMouth\n"
        "from cxsim.rules import register\n\n"
        "@register('word_of_mouth', 'test_quiet')\n"
        "class Quiet(WordOfMouth):\n"
        "    def speak(self, ids, d, score, u_talk, u_review):\n"
        "        pass\n")
    assert "test_quiet" not in registered("word_of_mouth")
    load_module(path)
    assert "test_quiet" in registered("word_of_mouth")
    model = build_model([*SMALL, "rules.word_of_mouth=test_quiet"]).run()
    assert type(model.processes.word_of_mouth).__name__ == "Quiet"
    weekly = model.metrics.frame([d.name for d in model.dealer_list])
    assert weekly[["wom_positive", "wom_negative", "reviews"]].to_numpy().sum() == 0


def test_loading_a_missing_rule_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        load_module(tmp_path / "absent.py")


def test_entry_points_of_installed_packages_register_their_rules(tmp_path, monkeypatch):
    (tmp_path / "pkg_rules_for_test.py").write_text(
        "from cxsim.processes.entry import Entry\n"
        "from cxsim.rules import register\n\n"
        "@register('entry', 'test_from_package')\n"
        "class PackagedEntry(Entry):\n"
        "    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    fake = [EntryPoint(name="demo", value="pkg_rules_for_test", group="cxsim.rules")]
    monkeypatch.setattr(rules, "entry_points", lambda group: fake if group == "cxsim.rules"
                        else [])
    assert rules.load_entry_points() == ["demo"]
    assert "test_from_package" in registered("entry")
