"""The trainer's page: one story at a time, laid out for a 1280 x 720 projector.

Run it with ``cxsim-dashboard`` (or ``python -m cxsim.dashboard``), which serves
this module's :func:`Page`. The model behind it is a Mesa model
(:class:`~cxsim.dashboard.market.PairedMarket`); the page is plain Solara.
Left: the story (narrative, what the programme has done so far) and its levers.
Middle: both markets' customers on a map (click one to follow their journey,
or a store to see it) above the journey, the store or the service lane. Right:
one chart at a time, and the downloads.

One week is one render of only what shows the week: the week on screen is a
reactive variable (``solara.use_reactive``) read by the few components that
draw it (the week, the story's figures, the map, the inspector, the chart);
setting it redraws them in one batch, and the rest of the page (buttons,
tabs, levers) is not rendered again. Only what is on screen is drawn: the
chart and the inspector tab not chosen cost nothing. While playing, the next
week is simulated while the browser paints this one, and sent once the map
reports it painted (:mod:`cxsim.dashboard.mapview`). Each browser session gets
its own market (``solara.use_memo`` inside :func:`Page`, never at module level).
"""

from __future__ import annotations

import json
import os
import threading

import solara

from cxsim.config import TOUCHPOINTS
from cxsim.dashboard import export, inspect, places, views
from cxsim.dashboard.layers import LayeredSvg
from cxsim.dashboard.mapview import MapCanvas
from cxsim.dashboard.market import (
    DEFAULT_CUSTOMERS,
    DEFAULT_PRESET,
    PairedMarket,
    Session,
    presets,
)
from cxsim.dashboard.pace import Pace, Painted
from cxsim.dashboard.weekly import CHARTS, HINT, Screen, drawn, inspector, layered, prefetch

WATCH = 600
"""Customers whose journeys are recorded (the first ones; homes are random, so they are
spread over the map): a click picks the nearest of them."""
FRAME_WAIT_S = 1.0
"""While playing, the longest wait for the browser to show a week before the next."""
SPEND_MAX = 400  # k$ a year, top of each spend slider
BAYS_MAX = 30  # extra service bays, top of the bays slider
CSS = """
.cx-page { font-size: 14px; }
.cx-page .v-label, .cx-page .v-btn, .cx-page .v-select__selection { font-size: 14px !important; }
.cx-page .v-input--slider { margin-top: 0; }
.cx-page .v-input__slot { margin-bottom: 0 !important; }
.cx-page .v-messages { display: none; }
.cx-page .v-btn-toggle .v-btn { padding: 0 9px !important; min-width: 0 !important;
  text-transform: none; letter-spacing: 0; }
.cx-page .v-btn { text-transform: none; letter-spacing: 0; }
.cx-box { border: 1px solid #d0d0d0; border-radius: 4px; padding: 6px 8px; overflow: auto; }
"""


def start_values() -> dict:
    """The market a new session starts with (``cxsim-dashboard`` flags may change it)."""
    env = os.environ
    return {
        "preset": env.get("CXSIM_DASHBOARD_PRESET", DEFAULT_PRESET),
        "industry": env.get("CXSIM_DASHBOARD_INDUSTRY") or None,
        "customers": int(env.get("CXSIM_DASHBOARD_CUSTOMERS", DEFAULT_CUSTOMERS)),
        "seed": int(env.get("CXSIM_DASHBOARD_SEED", 0)),
        "extra": json.loads(env.get("CXSIM_DASHBOARD_OVERRIDES", "[]")),
    }


def build(start: dict, session: Session, preset: str | None = None) -> PairedMarket:
    """A market for the page: journeys recorded for the customers on its map."""
    preset = preset or start["preset"]
    industry = start["industry"] if preset == start["preset"] else None
    return PairedMarket(preset=preset, industry=industry, customers=start["customers"],
                        seed=start["seed"], session=session, extra=start["extra"],
                        watch=WATCH)


def _html(content: str, cls: str, style: str = "") -> None:
    solara.HTML(tag="div", unsafe_innerHTML=content, classes=[cls], style=style)


def _layers(m: PairedMarket, fn, args: tuple, cls: str) -> None:
    """A chart whose data layer alone is sent again when only the data moved."""
    base, data = drawn(m, layered, fn, *args)
    LayeredSvg.element(base=base, layer=data, box=cls)


@solara.component
def StoryPanel(m: PairedMarket, shown: solara.Reactive[int]):  # noqa: N802 - Solara style
    """The story's narrative and what the programme has done so far (redrawn each week)."""
    shown.value  # noqa: B018 - read: redraw when the week on screen changes
    s = m.story
    title = s.title if s else m.preset
    idea = f"<i>{s.idea}</i><br/>" if s else ""
    narrative = s.narrative if s else "A preset without a story: the levers are its own."
    _html(f'<div class="cx-story" data-story="{m.preset}"><div style="font-size:17px;'
          f'font-weight:bold;margin-bottom:2px">{title}</div>{idea}'
          f'<div class="cx-narrative" style="margin-top:4px">{narrative}</div></div>',
          "cx-story-box", "font-size:14px;line-height:1.35")
    _html(drawn(m, views.lift_html), "cx-lift-box", "margin-top:6px")


@solara.component
def Levers(m: PairedMarket, on_change, version: int):  # noqa: N802 - Solara style
    """The focal store's programme, its extra bays and the market's friction, live
    (``version`` counts lever moves: relabel the sliders)."""
    lv = m.levers

    def line(name: str):
        def set_(value: int) -> None:
            if name == "engagement":
                m.set_engagement(value)
            else:
                m.set_spend(name, value)
            on_change()
        return set_

    def set_bays(value: int) -> None:
        m.set_bays(value)
        on_change()

    def set_friction(value: float) -> None:
        m.set_friction(value)
        on_change()

    base_bays = m.with_.dealer_list[m.focal].spec.bays
    solara.HTML(tag="div", classes=["cx-programme-total"], style="font-size:14px",
                unsafe_innerHTML=(
                    f"<b>{', '.join(m.dealer_names[j] for j in m.stores)}</b>: "
                    f"{m.planned_cost():,.0f} k$ a year{' each' if len(m.stores) > 1 else ''}, "
                    f"from the next week ({m.labels[1]} only); quality follows over months."))
    with solara.Column(gap="0px", style="padding-right:8px"):
        solara.SliderInt(f"Service bays: {base_bays + lv.programme.extra_bays}",
                         value=int(lv.programme.extra_bays), on_value=set_bays, min=0,
                         max=BAYS_MAX, step=1)
        for tp in TOUCHPOINTS:
            solara.SliderInt(f"{tp.capitalize()}: {lv.spend[tp]:,.0f}",
                             value=int(round(lv.spend[tp])), on_value=line(tp),
                             min=0, max=SPEND_MAX, step=1)
        solara.SliderInt(f"Staff engagement: {lv.engagement_spend:,.0f}",
                         value=int(round(lv.engagement_spend)), on_value=line("engagement"),
                         min=0, max=SPEND_MAX, step=1)
        solara.SliderFloat(f"Friction at week 0 (both): {lv.friction:.2f}",
                           value=round(lv.friction, 2), on_value=set_friction,
                           min=round(m.cfg.market.friction_floor, 2), max=1.0, step=0.05)


@solara.component
def Inspector(m: PairedMarket, selected, tab: str,  # noqa: N802 - Solara style
              shown: solara.Reactive[int], version: int):
    """The journey of the picked customer, the picked store, or the service lane
    (redrawn each week, and when a lever moves: ``version``)."""
    shown.value  # noqa: B018 - read: redraw when the week on screen changes
    fn, args, cls = inspector(m, Screen(lower=tab, selected=selected))
    if fn is None:
        _html(HINT, cls, "font-size:14px;color:#333")
    elif fn is inspect.lane_svg:
        _layers(m, fn, args, cls)
    else:
        _html(drawn(m, fn, *args), cls)


@solara.component
def WeekLabel(m: PairedMarket, shown: solara.Reactive[int]):  # noqa: N802 - Solara style
    """The week on screen."""
    shown.value  # noqa: B018 - read: redraw when the week on screen changes
    solara.HTML(tag="div", classes=["cx-week"], style="font-size:16px;min-width:150px",
                unsafe_innerHTML=f"week <b class='cx-week-n'>{m.week}</b> of {m.horizon}")


@solara.component
def Feed(m: PairedMarket, shown: solara.Reactive[int]):  # noqa: N802 - Solara style
    """The word-of-mouth feed."""
    shown.value  # noqa: B018 - read: redraw when the week on screen changes
    _html(drawn(m, views.feed_html), "cx-feed-box")


@solara.component
def Chart(m: PairedMarket, name: str, shown: solara.Reactive[int]):  # noqa: N802
    """The chart chosen on the right."""
    shown.value  # noqa: B018 - read: redraw when the week on screen changes
    _layers(m, CHARTS[name], (), f"cx-chart-{name.lower()}")


@solara.component
def Map(m: PairedMarket, selected, shown: solara.Reactive[int], on_pick):  # noqa: N802
    """Both markets' customers: dots on a canvas, stores and legend on top."""
    shown.value  # noqa: B018 - read: redraw when the week on screen changes
    layout = solara.use_memo(lambda: places.map_layout(m), [m])
    ring = selected[1:] if selected and selected[0] == "customer" else None
    overlay = solara.use_memo(lambda: places.map_svg(m, ring), [m, ring])
    MapCanvas.element(geometry=layout, svg=overlay,
                      frame={"week": m.week, "codes": drawn(m, places.map_codes)},
                      on_pick=on_pick)


@solara.component
def WeekPainted(m: PairedMarket, shown: solara.Reactive[int], on_seen):  # noqa: N802
    """Reports each week the browser paints (last on the page: sent last)."""
    shown.value  # noqa: B018 - read: redraw when the week on screen changes
    Painted.element(week=m.week, on_seen=on_seen)


@solara.component
def Page():  # noqa: N802 - the name Solara serves
    """One session's page."""
    start = solara.use_memo(start_values, [])
    session = solara.use_memo(Session, [])
    first = solara.use_memo(lambda: build(start, session), [])
    market, set_market = solara.use_state(first)
    shown = solara.use_reactive(first.week)  # the week on screen: setting it redraws it
    version, set_version = solara.use_state(0)  # a lever moved
    playing, set_playing = solara.use_state(False)
    selected, set_selected = solara.use_state(None)
    left_tab, set_left_tab = solara.use_state("Story")
    chart, set_chart = solara.use_state("Profit")
    lower, set_lower = solara.use_state("Service lane")
    m = market

    pace = solara.use_memo(Pace, [])

    def actions() -> dict:
        """Callbacks that live as long as the market: the widgets' handlers stay put."""
        def step() -> None:
            m.step()
            shown.set(m.week)
            if not m.running:  # the end: the buttons change
                set_version(lambda n: n + 1)

        def reset(name: str | None = None) -> None:
            set_playing(False)
            set_selected(None)
            new = build(start, session, name or m.preset)
            pace.reset()
            set_market(new)
            shown.set(new.week)

        def on_pick(data: dict) -> None:
            hit = inspect.pick(m, float(data.get("x", -1)), float(data.get("y", -1)))
            if hit is not None:
                set_selected(hit)
                set_lower("Store" if hit[0] == "dealer" else "Journey")

        return {"step": step, "reset": lambda: reset(), "story": reset, "pick": on_pick,
                "csv": lambda: export.weekly_csv(m), "png": lambda: export.charts_png(m),
                "lever": lambda: set_version(lambda n: n + 1)}

    act = solara.use_memo(actions, [m])
    story_names = solara.use_memo(lambda: list(presets()), [])
    toggle = solara.use_memo(lambda: (lambda: set_playing(lambda p: not p)), [])

    def play_loop(cancel: threading.Event) -> None:
        if not playing:
            return
        while m.running and playing_ref.current and not cancel.is_set():
            # Every week drawn, and the next one simulated while the browser paints this
            # one: step, wait until the browser reports the week on screen painted, show.
            m.step()
            prefetch(m, screen.current)
            pace.wait(shown.value, FRAME_WAIT_S)
            shown.set(m.week)
        set_playing(False)

    screen = solara.use_ref(Screen())
    screen.current = Screen(left_tab, lower, chart, selected)
    playing_ref = solara.use_ref(playing)
    playing_ref.current = playing
    # Not intrusive: Solara's intrusive cancel traces every line the thread runs, which
    # made the model's step three times slower and the page's render six times.
    solara.use_thread(play_loop, dependencies=[playing, m], intrusive_cancel=False)

    solara.Title("cxsim: a trainer's market")
    solara.Style(CSS)
    with solara.Column(classes=["cx-page"], gap="4px",
                       style="padding:4px 8px;width:1280px;height:716px;overflow:hidden"):
        with solara.Row(gap="8px", style="align-items:center;height:46px"):
            solara.Text("cxsim", style="font-size:20px;font-weight:bold")
            solara.Select("Story", value=m.preset, values=story_names,
                          on_value=act["story"], style="max-width:240px;min-width:200px",
                          classes=["cx-story-select"])
            solara.Button("Reset", on_click=act["reset"], color="primary", outlined=True)
            solara.Button("❚❚" if playing else "▶", on_click=toggle,
                          color="primary", disabled=not m.running)
            solara.Button("Step", on_click=act["step"], color="primary", outlined=True,
                          disabled=playing or not m.running)
            WeekLabel(m, shown)
            solara.HTML(tag="div", style="font-size:14px;color:#333;flex:1",
                        unsafe_innerHTML=f"{m.with_.n:,} simulated customers for "
                                         f"{m.with_.cfg.market.households:,.0f} households, "
                                         f"seed {m.cfg.seed}")
            solara.FileDownload(act["csv"], filename=f"cxsim_{m.preset}.csv",
                                label="Table (CSV)", mime_type="text/csv")
            solara.FileDownload(act["png"], filename=f"cxsim_{m.preset}.png",
                                label="Charts (PNG)", mime_type="image/png")
        with solara.Row(gap="8px", style="height:660px;align-items:stretch"):
            with solara.Column(gap="4px", style="width:318px;height:660px"):
                solara.ToggleButtonsSingle(value=left_tab, values=["Story", "Levers", "Talk"],
                                           on_value=set_left_tab, dense=True)
                with solara.Column(classes=["cx-box"], style="flex:1;height:610px"):
                    if left_tab == "Story":
                        StoryPanel(m, shown)
                    elif left_tab == "Levers":
                        Levers(m, act["lever"], version)
                    else:
                        Feed(m, shown)
            with solara.Column(gap="4px", style="width:548px;height:660px"):
                Map(m, selected, shown, act["pick"])
                solara.ToggleButtonsSingle(value=lower, values=["Journey", "Store",
                                                                "Service lane"],
                                           on_value=set_lower, dense=True)
                with solara.Column(classes=["cx-box"], style="flex:1;min-height:0"):
                    Inspector(m, selected, lower, shown, version)
            with solara.Column(gap="4px", style="width:392px;height:660px"):
                solara.ToggleButtonsSingle(value=chart, values=list(CHARTS),
                                           on_value=set_chart, dense=True)
                with solara.Column(classes=["cx-box"], style="flex:1;padding:2px"):
                    Chart(m, chart, shown)
        WeekPainted(m, shown, pace.on_seen)
