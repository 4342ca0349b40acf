"""Decide between your options: a status quo and named programmes at chosen stores.

``cxsim-decide OPTIONS.yaml`` reads an options file (:mod:`cxsim.decide.options`),
runs every arm on the same replication seeds (:mod:`cxsim.decide.runs`, through
:mod:`cxsim.run`) and writes a report folder (:mod:`cxsim.decide.report`):
per option, store and dealer group the extra units, revenue, profit after cost,
ROI, payback, NPV, terminal value and P(loss) (:mod:`cxsim.economics`,
:mod:`cxsim.appraisal`), a cumulative cash-flow chart and Parquet tables.
"""

from cxsim.decide.cli import main

__all__ = ["main"]
