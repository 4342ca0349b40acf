"""Hydra's basic sweeper, checking each batch's configs the fast way.

Before launching each batch, the basic sweeper composes every job's config in
the main process, one after another, to catch errors early: about a quarter of
a second a job, so over four minutes before a 1,000-job sweep starts, while
the workers wait. This sweeper runs the same jobs in the same order and
batches, and checks them with :func:`cxsim.preflight.check_jobs` instead: the
first job is composed in full, the others (which usually differ from it in a
few scalar values) are built from it with the dataclasses' own validation, a
fraction of a second for a thousand seeds. It checks every batch itself,
however the sweep was started. Hydra only instantiates sweepers from the
``hydra_plugins`` package, hence this module's place.
"""

# No ``from __future__ import annotations``: Hydra imports plugin modules in a way
# that leaves string annotations unresolvable for OmegaConf's structured configs.
from collections.abc import Sequence
from dataclasses import dataclass

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.config_store import ConfigStore
from hydra.core.override_parser.types import Override
from hydra.errors import HydraException


@dataclass
class CxsimSweeperConf:
    _target_: str = "hydra_plugins.cxsim_plugins.sweeper.CxsimSweeper"
    max_batch_size: int | None = None
    params: dict[str, str] | None = None


ConfigStore.instance().store(group="hydra/sweeper", name="cxsim", node=CxsimSweeperConf,
                             provider="cxsim")


class CxsimSweeper(BasicSweeper):
    """The basic sweeper (same jobs, same order, same batches), with a faster check."""

    def __init__(self, max_batch_size: int | None, params: dict[str, str] | None = None
                 ) -> None:
        super().__init__(max_batch_size=max_batch_size, params=params)
        self.swept: dict[str, object] = {}  # each swept job text -> its parsed value

    def split_arguments(self, overrides: list[Override], max_batch_size: int | None
                        ) -> list[list[list[str]]]:
        # The basic sweeper calls this on self with the parsed overrides: the one
        # place their parsed values are still at hand.
        from cxsim.preflight import swept_values

        self.swept = swept_values(overrides)
        return BasicSweeper.split_arguments(overrides, max_batch_size)

    def validate_batch_is_legal(self, batch: Sequence[Sequence[str]]) -> None:
        from cxsim.compose import explain, to_run_config
        from cxsim.preflight import check_jobs

        assert self.hydra_context is not None and self.config is not None
        loader, config = self.hydra_context.config_loader, self.config
        try:
            check_jobs(batch, self.swept,
                       lambda job: to_run_config(loader.load_sweep_config(config, job)))
        except Exception as exc:  # noqa: BLE001 - reported as one line by Hydra
            raise HydraException(explain(exc)) from None
