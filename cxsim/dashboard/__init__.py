"""The trainer dashboard: a market shown moving, live in a browser, offline.

``cxsim-dashboard`` serves :mod:`cxsim.dashboard.app` (a Solara page built on
Mesa's SolaraViz). The model behind it, :class:`PairedMarket`, runs the same
market twice on common random numbers, without and with the focal dealer's
programme; :mod:`cxsim.dashboard.views` draws what the page shows. Needs the
``dashboard`` extra (``pip install -e '.[dashboard]'``).
"""

from cxsim.dashboard.market import PairedMarket, Session, presets

__all__ = ["PairedMarket", "Session", "presets"]
