"""Explore: where does an option fail, and which option is robust?

``cxsim-explore OPTIONS.yaml --scenarios N`` separates what nobody controls
(uncertainties, :mod:`cxsim.explore.uncertainties`) from the levers (the
options of a ``decide`` file), samples the uncertainties with a Latin
hypercube (:mod:`cxsim.explore.scenarios`), runs every option and the status
quo in every scenario on common seeds through the run layer
(:mod:`cxsim.explore.runs`, :mod:`cxsim.explore.money`), finds with EMA
Workbench's PRIM where each option fails (:mod:`cxsim.explore.discovery`),
ranks the options by regret and satisficing (:mod:`cxsim.explore.robust`)
and writes a report folder in EMA Workbench's layout
(:mod:`cxsim.explore.layout`, :mod:`cxsim.explore.report`).
"""

from cxsim.explore.cli import main

__all__ = ["main"]
