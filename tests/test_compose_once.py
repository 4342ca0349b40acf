"""A sweep worker composes a config once for jobs that differ only in plain values."""

from __future__ import annotations

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from cxsim.compose import CONF_DIR
from hydra_plugins.cxsim_plugins.compose_once import Composer


@pytest.fixture(scope="module")
def hydra_compose():
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base=None):
        yield lambda overrides: compose("config", overrides, return_hydra_config=True)


def _yaml(cfg) -> str:
    return OmegaConf.to_yaml(cfg, resolve=False)


def test_changed_values_give_the_config_composing_gives(hydra_compose):
    calls = []

    def counted(overrides):
        calls.append(overrides)
        return hydra_compose(overrides)

    composer = Composer(counted)
    jobs = [["seed=1", "investment=cx_program", "dealers.spend_half=150"],
            ["seed=2", "investment=cx_program", "dealers.spend_half=150"],
            ["seed=3", "investment=cx_program", "dealers.spend_half=75.5"],
            ["seed=3", "investment=none", "dealers.spend_half=75.5"],  # a group: composed
            ["seed=4", "investment=none", "dealers.spend_half=75.5"],
            ["seed=4", "investment=none", "+extra=1"],  # an added key: composed
            ["seed=5", "investment=none"]]  # fewer overrides: composed
    for overrides in jobs:
        assert _yaml(composer(overrides)) == _yaml(hydra_compose(overrides)), overrides
    assert calls == [jobs[0], jobs[3], jobs[5], jobs[6]]


def test_a_reused_config_is_a_copy(hydra_compose):
    composer = Composer(hydra_compose)
    first = composer(["seed=1"])
    second = composer(["seed=2"])
    assert (first.seed, second.seed) == (1, 2)
    assert list(second.hydra.overrides.task) == ["seed=2"]
