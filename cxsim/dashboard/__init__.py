"""The trainer's page: a market shown moving, live in a browser, offline.

``cxsim-dashboard`` serves :mod:`cxsim.dashboard.app` (a Solara page). The model
behind it, :class:`PairedMarket` (a Mesa model), runs the same market twice on
common random numbers, without and with the focal dealer's programme, as one of
the :mod:`~cxsim.dashboard.stories`; :mod:`~cxsim.dashboard.views`,
:mod:`~cxsim.dashboard.places` and :mod:`~cxsim.dashboard.inspect` draw what the
page shows, :mod:`~cxsim.dashboard.journal` records a few customers' journeys
and :mod:`~cxsim.dashboard.export` writes the downloads. Needs the ``dashboard``
extra (``pip install -e '.[dashboard]'``).
"""

from cxsim.dashboard.market import PairedMarket, Session, presets

__all__ = ["PairedMarket", "Session", "presets"]
