"""Hydra's basic sweeper, minus a second check of every job's config when cxsim has
checked them already.

Before launching each batch, the basic sweeper composes every job's config in
the main process, one after another, to catch composition errors early: about
a quarter of a second a job, so over three minutes before a 1,000-job sweep
starts, while the workers wait. The ``cxsim`` command has by then checked every
swept value itself (``cxsim.cli.preflight``, typed validation included), so
this sweeper skips that pass when the preflight ran and passed; launched any
other way (say from another Hydra app), it checks as the basic sweeper does.
Hydra only instantiates sweepers from the ``hydra_plugins`` package, hence
this module's place.
"""

# No ``from __future__ import annotations``: Hydra imports plugin modules in a way
# that leaves string annotations unresolvable for OmegaConf's structured configs.
from collections.abc import Sequence
from dataclasses import dataclass

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.config_store import ConfigStore


@dataclass
class CxsimSweeperConf:
    _target_: str = "hydra_plugins.cxsim_plugins.sweeper.CxsimSweeper"
    max_batch_size: int | None = None
    params: dict[str, str] | None = None


ConfigStore.instance().store(group="hydra/sweeper", name="cxsim", node=CxsimSweeperConf,
                             provider="cxsim")


class CxsimSweeper(BasicSweeper):
    """The basic sweeper (same jobs, same order, same batches)."""

    def validate_batch_is_legal(self, batch: Sequence[Sequence[str]]) -> None:
        from cxsim import cli

        if cli.preflight_passed():
            return
        super().validate_batch_is_legal(batch)
