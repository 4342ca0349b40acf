"""The programme at its store(s) (and a rival's copy), switched on at its week.

A programme starting at recorded week ``s`` must be in place before that week
is simulated. Mesa's time t runs step t, so it is a Mesa event at time
``warmup + s + 0.5``, between the steps of weeks s - 1 and s. It starts at
every store of ``investment.stores`` at once (``dealers.focal`` when empty);
a rival copies it at one store.
"""

from __future__ import annotations

from collections.abc import Callable

from cxsim.config import InvestmentConfig
from cxsim.config.investment import resolve_stores
from cxsim.market import Market
from cxsim.programme import Programme


class ProgrammeSchedule:
    """Schedules and starts the configured programme at its dealer(s)."""

    def __init__(self, market: Market, investment: InvestmentConfig, programme: Programme,
                 focal: int) -> None:
        self.market = market
        self.investment = investment  # when and who copies
        self.programme = programme  # what is spent
        self.focal = focal
        self.stores = resolve_stores(investment.stores, market.cfg.dealers) \
            if investment.stores else [focal]  # where it is spent

    def schedule(self, schedule_event: Callable[..., object]) -> None:
        """Book the programme's start (and a rival's copy) with Mesa's event list."""
        inv = self.investment
        if not self.programme.funds_anything:
            return
        at = self.market.warmup + inv.start_week + 0.5
        # Mesa keeps weak references to event callbacks: bound methods of an object
        # the model holds, not lambdas.
        schedule_event(self.start_focal, at=at)
        if inv.copied_by >= 0:
            schedule_event(self.start_rival, at=at + inv.copy_after_weeks)

    def start_focal(self) -> None:
        """The programme starts at each of its stores."""
        self.start(*self.stores)

    def start_rival(self) -> None:
        self.start(self.investment.copied_by)

    def start(self, *dealers: int) -> None:
        """The programme's spend and bays go to ``dealers``; quality follows with a lag."""
        for d in dealers:
            self.programme.apply_to(self.market.dealers.agents[d])
        self.market.refresh_dealers()
