"""Which registered implementation runs each process."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class RulesConfig:
    """Which implementation runs each process, by registered name (``cxsim.rules``).

    Names only, never import paths: a rule becomes selectable once its module has
    registered it (a package's ``cxsim.rules`` entry point, or ``--rules FILE``).
    """

    entry: str = "default"  # entering the market
    shopping: str = "default"  # visits and the decision to buy there
    purchase: str = "default"  # final choice, the sale, the owner's new life
    service: str = "default"  # ownership: service needs and lane visits
    word_of_mouth: str = "default"  # talk, chatter, reviews and advertising
