"""The budget search's levers beyond the spend lines (service bays) and its group objective.

Bays are an integer lever: ``b`` extra bays take ``b x dealers.bay_cost_k`` of
the yearly budget (their running cost) and the spend lines share the rest;
their capital (``economics.bay_capital_k`` each) is paid once and counts in
the NPV objective, not in the yearly budget.

The objective ``group_npv_k`` is the net present value (``economics.
discount_rate``, monthly, :mod:`cxsim.economics`) of the gross profit of the
focal store's dealer group (the focal store alone if it has no group) after
the programme's cash cost at the group's stores. Every candidate meets the
same seeds, so ranking candidates by it ranks them by their group NPV over no
programme (the status quo's part is the same for all); the confirmation's
lift over ``none`` is that difference itself.

>>> budget_for_lines(500.0, 2, 60.0), affordable_bays(500.0, 60.0, 10)
(380.0, 8)
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from cxsim.config import RunConfig
from cxsim.config.investment import resolve_stores
from cxsim.economics import npv, to_months
from cxsim.programme import Programme
from cxsim.run import Outcomes, focal

BAYS = "bays"
"""The bays lever's name in allocations, trials and reports (extra bays, a count)."""
GROUP_NPV = "group_npv_k"
"""The group objective: k$ of NPV of the focal store's group's gross profit after cost."""


def budget_for_lines(budget: float, bays: int, bay_cost_k: float) -> float:
    """k$ a year left for the spend lines once ``bays`` extra bays are paid for."""
    return max(0.0, budget - bays * bay_cost_k)


def affordable_bays(budget: float, bay_cost_k: float, most: int) -> int:
    """The most bays (at most ``most``) whose running cost fits in the budget."""
    if bay_cost_k <= 0:
        return most
    return max(0, min(most, math.floor(budget / bay_cost_k + 1e-9)))


def configure(base: RunConfig, allocation: Mapping[str, float], name: str) -> RunConfig:
    """A copy of ``base`` whose programme spends ``allocation`` (k$/year per line; a
    ``bays`` entry sets the extra bays, otherwise the base programme's are kept)."""
    lines = {k: v for k, v in allocation.items() if k != BAYS}
    prog = Programme.from_config(base).allocated(lines, name)
    if BAYS in allocation:
        prog = prog.replace(extra_bays=int(round(allocation[BAYS])))
    return prog.into(base)


def group_of(cfg: RunConfig) -> list[int]:
    """Dealer indices of the focal store's group (the focal store if it has none)."""
    d = cfg.dealers
    group = d.dealers[d.focal].group
    if not group:
        return [d.focal]
    return [i for i, s in enumerate(d.dealers) if s.group == group]


def group_npv(out: Outcomes) -> float:
    """:data:`GROUP_NPV` of a finished run (see the module's docstring)."""
    cfg = out.config
    members = group_of(cfg)
    names = [cfg.dealers.dealers[i].name for i in members]
    w = out.weekly
    gross = w[w["dealer"].isin(names)].groupby("week", sort=True)["gross_profit_k"].sum()
    prog = Programme.from_config(cfg)
    paying = len(set(resolve_stores(cfg.investment.stores, cfg.dealers)) & set(members))
    cost = prog.cash_costs(cfg.weeks, cfg.investment.start_week) * paying
    return float(npv(to_months(gross.to_numpy() - cost), cfg.economics.discount_rate))


def group_measure(out: Outcomes) -> dict[str, float]:
    """The focal outcomes (:func:`cxsim.run.focal`) plus :data:`GROUP_NPV`."""
    return {**focal(out), GROUP_NPV: group_npv(out)}
