"""Every week drawn: the browser reports each week it has painted, the play loop waits.

:class:`Painted` is the last widget of the page, so the server sends its week
after everything else of that week; the browser applies messages in order, so
when this widget has the new week, every card on the page has it too. It
reports the week back from the next animation frame, the frame that paints it.
:class:`Pace` is the server's side: the last week reported, and a wait for one.
"""

from __future__ import annotations

import threading
import time

import ipyvuetify as v
import traitlets

TEMPLATE = """
<template>
  <span class="cx-painted" :data-week="week" style="display:none"></span>
</template>
<script>
module.exports = {
  watch: { week: function (value) { this.report(value); } },
  mounted: function () { this.report(this.week); },
  methods: {
    report: function (value) {
      window.requestAnimationFrame(() => { this.seen = value; });
    }
  }
}
</script>"""


class Painted(v.VuetifyTemplate):
    """``week``: the week the page shows; ``seen``: the last week the browser painted."""

    template = traitlets.Unicode(TEMPLATE).tag(sync=True)
    week = traitlets.Int(-1).tag(sync=True)
    seen = traitlets.Int(-1).tag(sync=True)


class Pace:
    """The last week the browser painted, as :class:`Painted` reports it."""

    def __init__(self) -> None:
        self.week = -1
        self._event = threading.Event()

    def on_seen(self, week: int) -> None:
        self.week = int(week)
        self._event.set()

    def reset(self) -> None:
        """A new market: nothing of it painted yet."""
        self.week = -1

    def wait(self, week: int, timeout_s: float) -> bool:
        """Wait until ``week`` is painted (at most ``timeout_s``); whether it was."""
        deadline = time.monotonic() + timeout_s
        while self.week < week and time.monotonic() < deadline:
            self._event.wait(0.02)
            self._event.clear()
        return self.week >= week
