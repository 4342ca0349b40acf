"""The trainer dashboard: a Solara page built on Mesa's SolaraViz.

Run it with ``cxsim-dashboard`` (or ``python -m cxsim.dashboard``), which serves
this module's :func:`Page`. Mesa's SolaraViz gives the frame: play, step and
reset, the play and render intervals, the model parameters that define the
market (preset, industry, size, seed; applied on Reset) and the grid of cards.
This module adds the programme's levers, applied live from the next week, and
the cards themselves (drawn by :mod:`cxsim.dashboard.views`).

Each browser session gets its own market: :func:`Page` builds it inside the
session (``solara.use_memo``), never at module level, where one model would be
shared, and stepped, by every visitor at once.
"""

from __future__ import annotations

import json
import os
import weakref
from html import escape

import mesa.visualization.solara_viz as mesa_solara_viz
import reacton.core
import solara
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from cxsim.config import TOUCHPOINTS
from cxsim.dashboard import views
from cxsim.dashboard.market import (
    DEFAULT_CUSTOMERS,
    DEFAULT_INDUSTRY,
    DEFAULT_PRESET,
    PairedMarket,
    Session,
    industries,
    presets,
)

PLAY_INTERVAL_MS = 51
"""Pause between weeks while playing, in ms (on the grid of Mesa's slider: 1 + 10k)."""
SPEND_MAX = 400  # k$ a year, top of each spend slider
CUSTOMERS_MIN, CUSTOMERS_MAX, CUSTOMERS_STEP = 200, 20_000, 200

CARDS = (
    ("map", "Map"),
    ("share", "Market share and sales"),
    ("lift", "What the programme changed"),
    ("kpis", "NPS, CSAT and CES"),
    ("funnel", "Journey funnel"),
    ("network", "Social network"),
    ("feed", "Word of mouth"),
)


# -- one redraw per week ---------------------------------------------------------------
# Mesa redraws by bumping one reactive counter that every card (and Mesa's own step
# display) listens to; each listener then triggers its own render pass over the whole
# page: about 170 ms a week with 2,000 customers. Bumping it inside the session's render
# context (reacton batches until the context exits) gives one pass: about 30 ms a week.
_last_render_context: weakref.ref | None = None


def _session_render_context() -> reacton.core._RenderContext | None:
    """The render context of the session this thread works for, if there is one."""
    try:
        from solara.server import kernel_context

        if kernel_context.has_current_context():
            rc = kernel_context.get_current_context().app_object
            if isinstance(rc, reacton.core._RenderContext):
                return rc
    except Exception:  # noqa: BLE001 - outside a server (tests): use the fallback
        pass
    return _last_render_context() if _last_render_context is not None else None


def force_update() -> None:
    """Mesa's ``force_update``, batched into a single render of the page."""
    rc = _session_render_context()
    if rc is None:
        update_counter.value += 1
        return
    with rc:
        update_counter.value += 1


mesa_solara_viz.force_update = force_update  # used by Mesa's Step and Play


def _remember_render_context() -> None:
    global _last_render_context
    rc = reacton.core.get_render_context(required=False)
    if rc is not None:
        _last_render_context = weakref.ref(rc)


def start_values() -> dict:
    """The market a new session starts with (``cxsim-dashboard`` flags may change it)."""
    env = os.environ
    return {
        "preset": env.get("CXSIM_DASHBOARD_PRESET", DEFAULT_PRESET),
        "industry": env.get("CXSIM_DASHBOARD_INDUSTRY", DEFAULT_INDUSTRY),
        "customers": int(env.get("CXSIM_DASHBOARD_CUSTOMERS", DEFAULT_CUSTOMERS)),
        "seed": int(env.get("CXSIM_DASHBOARD_SEED", 0)),
        "extra": json.loads(env.get("CXSIM_DASHBOARD_OVERRIDES", "[]")),
    }


def model_params(session: Session, start: dict) -> dict:
    """Mesa's "Model Parameters": what defines the market, applied on Reset."""
    return {
        "preset": {"type": "Select", "value": start["preset"], "values": list(presets()),
                   "label": "Scenario preset"},
        "industry": {"type": "Select", "value": start["industry"], "values": industries(),
                     "label": "Industry"},
        "customers": {"type": "SliderInt", "value": start["customers"],
                      "min": min(CUSTOMERS_MIN, start["customers"]),
                      "max": max(CUSTOMERS_MAX, start["customers"]), "step": CUSTOMERS_STEP,
                      "label": "Market size (customers)"},
        "seed": {"type": "SliderInt", "value": start["seed"], "min": 0, "max": 99, "step": 1,
                 "label": "Seed (both markets)"},
        "session": session,  # fixed: carries the levers across Reset
        "extra": list(start["extra"]),  # fixed: Hydra overrides from the command line
    }


def _card(key: str, title: str):
    """A SolaraViz component: one view of the market, redrawn every rendered week."""
    view = views.VIEWS[key]

    def card(model: PairedMarket):
        return solara.HTML(tag="div", unsafe_innerHTML=view(model),
                           classes=[f"cx-card-{key}"],
                           style="width:100%;padding:6px 8px;overflow:hidden")

    card.__name__ = card.__qualname__ = f"{title.replace(' ', '')}Card"
    return card


COMPONENTS = [(_card(key, title), 0) for key, title in CARDS]


@solara.component
def ProgrammeStatus(model: solara.Reactive[PairedMarket]):  # noqa: N802 - Solara style
    """The programme's cost and what it has done to engagement; friction this week."""
    update_counter.get()  # changes every week
    m = model.value
    e0, e1 = m.engagement()
    when = "" if m.programme_started() else f" from week {m.investment.start_week}"
    solara.Text(f"Now {m.planned_cost():,.0f} k$ a year{when}; staff engagement {e1:.2f} "
                f"(without: {e0:.2f}). Digital friction (both markets) this week "
                f"{m.friction_now():.2f}, falling {m.cfg.market.friction_decline:.0%} a year: "
                "low friction makes switching dealers cheap.", classes=["cx-programme-total"],
                style="font-size:13px")


@solara.component
def ProgrammeControls(model: solara.Reactive[PairedMarket]):  # noqa: N802 - Solara style
    """The focal dealer's programme and the market's digital friction, live.

    Redrawn when a lever moves or the market is rebuilt, not every week (the weekly
    figures are in :func:`ProgrammeStatus`): fewer widgets to compare per frame.
    """
    m = model.value
    lv = m.levers
    _, set_version = solara.use_state(0)

    def changed() -> None:
        set_version(lambda n: n + 1)  # relabel the sliders
        force_update()  # redraw the cards

    def spend_setter(tp: str):
        def set_(value: int) -> None:
            model.value.set_spend(tp, value)
            changed()

        return set_

    def set_engagement(value: int) -> None:
        model.value.set_engagement(value)
        changed()

    def set_friction(value: float) -> None:
        model.value.set_friction(value)
        changed()

    with solara.Card(f"Programme at {m.focal_name()}: live levers", margin=0,
                     classes=["cx-programme"]):
        solara.Text("k$ a year in the market with the programme, from the next week "
                    "(quality follows over months); the other market stays without it.",
                    style="font-size:13px")
        with solara.GridFixed(columns=3, align_items="center", justify_items="stretch"):
            for tp in TOUCHPOINTS:
                solara.SliderInt(f"{tp.capitalize()}: {lv.spend[tp]:,.0f}",
                                 value=int(round(lv.spend[tp])), on_value=spend_setter(tp),
                                 min=0, max=SPEND_MAX, step=1)
            solara.SliderInt(f"Staff engagement: {lv.engagement_spend:,.0f}",
                             value=int(round(lv.engagement_spend)), on_value=set_engagement,
                             min=0, max=SPEND_MAX, step=1)
            solara.SliderFloat(f"Friction at week 0: {lv.friction:.2f}",
                               value=round(lv.friction, 2), on_value=set_friction,
                               min=round(m.cfg.market.friction_floor, 2), max=1.0, step=0.05)
        ProgrammeStatus(model)


@solara.component
def MarketNote(model: solara.Reactive[PairedMarket]):  # noqa: N802 - Solara style
    """What is on screen, in a line."""
    update_counter.get()
    m = model.value
    solara.HTML(tag="div", classes=["cx-note"], style="font-size:14px;padding:4px 12px 0",
                unsafe_innerHTML=(
                    f"<b>{escape(m.preset)}</b> · {escape(m.industry)} · "
                    f"{m.with_.n:,} simulated customers for "
                    f"{m.with_.cfg.market.households:,.0f} households"
                    f" · seed {m.cfg.seed} · <b>week <span class='cx-week'>{m.week}</span></b>"
                    f" of {m.horizon}. Left: the market without the programme; right and "
                    f"in the charts: with it (solid) and without (dashed). Preset, industry, "
                    f"size and seed apply on Reset."))


@solara.component
def Page():  # noqa: N802 - the name Solara serves
    """One session's dashboard."""
    _remember_render_context()
    start = solara.use_memo(start_values, [])
    session = solara.use_memo(Session, [])
    first = solara.use_memo(lambda: PairedMarket(session=session, **start), [])
    model = solara.use_reactive(first)
    solara.Title("cxsim dashboard")
    MarketNote(model)
    ProgrammeControls(model)
    SolaraViz(model, components=COMPONENTS, model_params=model_params(session, start),
              play_interval=PLAY_INTERVAL_MS,
              name="cxsim: the same market without and with the programme")
