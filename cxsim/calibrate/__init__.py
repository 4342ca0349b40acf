"""Calibrate a market to a dealer group's own history (``cxsim-calibrate``).

A tidy CSV of monthly sales, service retention, NPS, CSAT and online rating per
store (:mod:`~cxsim.calibrate.data`); a calibration file naming the market, the
unknowns and their priors (:mod:`~cxsim.calibrate.spec`,
:mod:`~cxsim.calibrate.priors`); ABC-SMC with pyabc, whose sampler simulates
through cxsim's run layer (:mod:`~cxsim.calibrate.sampler`,
:mod:`~cxsim.calibrate.fit`), its last generation regression-adjusted
(:mod:`~cxsim.calibrate.adjust`); the posterior, its predictive check and a backtest
(:mod:`~cxsim.calibrate.predictive`), written with a calibrated market that
``cxsim-decide`` accepts (:mod:`~cxsim.calibrate.report`). Needs the
``calibrate`` extra (pyabc).
"""
