"""The processes of the model, one module each (docs/ODD.md, section 7).

==================  ==========================================================
``entry``           entering the market (owners' replacements, first-timers)
``shopping``        visits to dealers and the decision to buy there
``purchase``        final choice, finance to delivery, the sale, Markov mode
``service``         ownership: service needs, the lane visit
``word_of_mouth``   speaking after an episode, chatter, hearing, reviews, ads
``programme``       switching on the focal (and a rival's) programme
``base``            what they share: the market, episode and choice helpers
==================  ==========================================================

Each of the first five is registered in :mod:`cxsim.rules` as ``"default"``
and can be swapped by name (``rules.<process>=<name>``).
"""

from __future__ import annotations

from dataclasses import dataclass

from cxsim.config import RulesConfig
from cxsim.market import Market
from cxsim.processes.entry import Entry
from cxsim.processes.purchase import Purchase
from cxsim.processes.service import Service
from cxsim.processes.shopping import Shopping
from cxsim.processes.word_of_mouth import WordOfMouth
from cxsim.rules import PROCESSES, selected


@dataclass(init=False)
class Processes:
    """One instance of each process, as the config's rules select them."""

    entry: Entry
    shopping: Shopping
    purchase: Purchase
    service: Service
    word_of_mouth: WordOfMouth

    def __init__(self, market: Market, rules: RulesConfig) -> None:
        for name, cls in selected(rules).items():  # unknown names fail before any build
            setattr(self, name, cls(market, self))

    def book_initial(self) -> None:
        """Every process books its customers' first events."""
        for name in PROCESSES:
            getattr(self, name).book_initial()
