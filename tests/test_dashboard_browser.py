"""The trainer's page in a real headless browser: Debian's Chromium driven by Playwright.

Starts ``python -m cxsim.dashboard`` on a free port of 127.0.0.1 and, at 1280 x 720
(a projector): loads every story, steps it and checks its narrative and chapter
markers; clicks a customer and reads their journey; pulls the bays lever and
watches the lane view change; plays the market; downloads the weekly table and
compares its rows with the same market built here (common random numbers make
it the same market); checks the page fits the screen with 14 px text, that a
second visitor gets a market of their own and that nothing was fetched from
anywhere but this server (the page works offline). Screenshots are kept in
``results/`` (and in ``docs/`` when ``CXSIM_UPDATE_DOCS=1``: one per story).

Needs Chromium at /usr/bin/chromium (``scripts/install_browser.sh``; another path
via ``CXSIM_CHROMIUM``) and the ``playwright`` package, whose own browser
downloads are not used. Skipped when either is missing, unless
``CXSIM_REQUIRE_BROWSER=1`` (CI), which turns the skip into a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CXSIM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
CUSTOMERS = 2_000
LOAD_TIMEOUT_MS = 120_000
VIEWPORT = {"width": 1280, "height": 720}


def _unavailable(reason: str):
    if os.environ.get("CXSIM_REQUIRE_BROWSER") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The dashboard command, serving on a free port of 127.0.0.1."""
    if not os.access(CHROMIUM, os.X_OK):
        _unavailable(f"no Chromium at {CHROMIUM} (run scripts/install_browser.sh)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[dashboard]')")
    port = _free_port()
    log_path = tmp_path_factory.mktemp("dashboard") / "server.log"
    log = open(log_path, "w")  # noqa: SIM115 - closed below, after the server stops
    proc = subprocess.Popen(
        [sys.executable, "-m", "cxsim.dashboard", "--port", str(port),
         "--customers", str(CUSTOMERS)],
        stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            log.close()
            pytest.fail(f"dashboard did not start:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.2)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log.close()


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _week(page) -> int:
    return int(page.locator(".cx-week-n").inner_text())


def _wait_week(page, condition: str, timeout: int = 60_000) -> None:
    page.wait_for_function(
        f"() => {{ const s = document.querySelector('.cx-week-n');"
        f" return s && Number(s.textContent) {condition}; }}", timeout=timeout)


def _tab(page, label: str) -> None:
    page.locator(".v-btn-toggle .v-btn", has_text=re.compile(f"^\\s*{re.escape(label)}\\s*$")
                 ).click()


def _choose_story(page, name: str) -> None:
    page.locator(".cx-story-select").click()
    page.locator(".v-menu__content .v-list-item", has_text=re.compile(f"^\\s*{name}\\s*$")
                 ).click()
    page.wait_for_selector(f".cx-story[data-story='{name}']", timeout=LOAD_TIMEOUT_MS)
    _wait_week(page, "=== 0")


def _shot(page, name: str) -> None:
    page.wait_for_timeout(400)  # let the last frame paint
    out = ROOT / "results" / f"{name}.png"
    out.parent.mkdir(exist_ok=True)
    page.screenshot(path=out)
    if os.environ.get("CXSIM_UPDATE_DOCS") == "1":
        shutil.copy(out, ROOT / "docs" / f"{name}.png")


DOCS_VIEWS = {"perception_gap": ("Scores", None), "word_of_mouth": ("Share", None),
              "friction": ("Share", None), "rival_copies": ("Share", None),
              "boat_spring": ("Funnel", "Service lane")}
"""The chart (and inspector tab) each story's picture shows, besides Profit."""


def _docs_view(page, name: str) -> None:
    """Play a story past its chapters, then show what it is about."""
    page.get_by_role("button", name="▶").click()
    _wait_week(page, ">= 70", timeout=240_000)
    page.get_by_role("button", name="❚❚").click()
    chart, lower = DOCS_VIEWS.get(name, ("Profit", None))
    _tab(page, chart)
    if name == "perception_gap":  # the focal store's own rating against its customers'
        store = page.locator("svg.cx-map g.cx-dealer[data-arm='1'][data-dealer='0']")
        box = store.bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    if lower:
        _tab(page, lower)
    page.wait_for_timeout(1500)


def test_trainers_page_in_a_browser(server, browser):
    from playwright.sync_api import expect

    from cxsim.dashboard.export import weekly_table
    from cxsim.dashboard.market import PairedMarket
    from cxsim.dashboard.stories import stories

    host = server.rstrip("/")
    elsewhere, failed, errors = [], [], []
    page = browser.new_page(viewport=VIEWPORT, accept_downloads=True)
    page.on("request", lambda r: None if r.url.startswith((host, host.replace("http", "ws", 1),
                                                           "data:", "blob:"))
            else elsewhere.append(r.url))
    page.on("requestfailed", lambda r: failed.append(f"{r.url} {r.failure}"))
    page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.url} {r.status}"))
    page.on("pageerror", lambda e: errors.append(str(e)))

    # The default story loads at week 0 and fits a projector's screen.
    page.goto(server, wait_until="domcontentloaded")
    page.wait_for_selector("svg.cx-map", timeout=LOAD_TIMEOUT_MS)
    assert _week(page) == 0
    size = page.evaluate("[document.documentElement.scrollWidth,"
                         " document.documentElement.scrollHeight]")
    assert size[0] <= VIEWPORT["width"] and size[1] <= VIEWPORT["height"], size
    font = page.locator(".cx-narrative").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert font >= 14
    ticks = page.locator("svg.cx-lift text[text-anchor='end']")
    assert ticks.count() >= 6  # several ticks per axis
    assert min(float(t) for t in ticks.evaluate_all(
        "es => es.map(e => parseFloat(getComputedStyle(e).fontSize))")) >= 14

    # Every story: its narrative, its chapter markers, a step.
    for name, story in stories().items():
        if name != page.locator(".cx-story").get_attribute("data-story"):
            _choose_story(page, name)
        _tab(page, "Profit")
        expect(page.locator(".cx-narrative")).to_contain_text(story.narrative[:40])
        page.wait_for_selector("svg.cx-lift line.cx-marker", state="attached", timeout=30_000)
        labels = page.locator("svg.cx-lift text.cx-marker-label").all_inner_texts()
        assert labels, name
        page.get_by_role("button", name="Step").click()
        _wait_week(page, "=== 1")
        expect(page.locator(".cx-lift-text")).to_contain_text("after 1 weeks")
        for _ in range(12):
            page.get_by_role("button", name="Step").click()
            page.wait_for_timeout(50)
        _wait_week(page, "=== 13")
        if os.environ.get("CXSIM_UPDATE_DOCS") == "1":  # the README's pictures: a chapter on
            _docs_view(page, name)
        _shot(page, f"story_{name}")

    # Back to the first story; play, and count the weeks the browser shows.
    first = next(iter(stories()))
    _choose_story(page, first)
    start, t0 = _week(page), time.monotonic()
    page.get_by_role("button", name="▶").click()
    _wait_week(page, ">= 40", timeout=120_000)
    rate = (_week(page) - start) / (time.monotonic() - t0)
    page.get_by_role("button", name="❚❚").click()
    page.wait_for_timeout(500)
    print(f"\nweeks per second seen in the browser while playing: {rate:.1f}")
    assert rate > 2  # generous: benchmarks/bench_dashboard.py reports the real figure
    # paused: the week the browser shows stops moving (the server waits for the browser,
    # so at most the week in flight arrives after the click)
    shown = _week(page)
    page.wait_for_timeout(1500)
    assert _week(page) - shown <= 1
    shown = _week(page)
    page.wait_for_timeout(1000)
    assert _week(page) == shown

    # Click a customer on the right map: their journey opens.
    box = page.locator(".cx-map-click").bounding_box()
    page.mouse.click(box["x"] + 400, box["y"] + 150)
    journey = page.locator(".cx-journey")
    expect(journey).to_be_visible(timeout=20_000)
    expect(journey).to_contain_text("Customer")
    expect(page.locator("svg.cx-map circle.cx-selected")).to_have_count(1)
    # ... and a store: its touchpoints.
    store = page.locator("svg.cx-map g.cx-dealer[data-arm='1'][data-dealer='0']").bounding_box()
    page.mouse.click(store["x"] + store["width"] / 2, store["y"] + store["height"] / 2)
    expect(page.locator(".cx-dealer-card")).to_contain_text("Management rates itself")

    # The bays lever changes the lane view.
    _tab(page, "Service lane")
    lane = page.locator("svg.cx-lane")
    bays_before = int(lane.get_attribute("data-bays"))
    _tab(page, "Levers")
    slider = page.locator(".v-input").filter(
        has=page.locator("label", has_text=re.compile(r"^Service bays: "))).get_by_role("slider")
    slider.focus()
    slider.press("End")
    expect(page.locator("label", has_text=re.compile(r"^Service bays: \d+$"))).to_have_text(
        f"Service bays: {bays_before + 30}")
    expect(lane).to_have_attribute("data-bays", str(bays_before + 30))
    expect(page.locator(".cx-lane-box text.cx-lane-now").first).to_have_text(
        f"{bays_before + 30} bays")
    _tab(page, "Story")
    _shot(page, "dashboard")

    # The weekly table downloads and matches the same market built here.
    weeks = _week(page)
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name=re.compile("Table")).click()
    path = info.value.path()
    import pandas as pd

    got = pd.read_csv(path)
    here = PairedMarket(preset=first, customers=CUSTOMERS, seed=0, watch=600)
    for _ in range(weeks):
        here.step()
    want = weekly_table(here)
    assert len(got) == len(want) == 2 * weeks * len(here.dealer_names)
    for col in ("units_sold", "service_visits", "gross_profit_k", "nps"):
        assert np.allclose(got[col].to_numpy(float), want[col].to_numpy(float),
                           equal_nan=True), col
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name=re.compile("Charts")).click()
    assert Path(info.value.path()).read_bytes()[:4] == b"\x89PNG"

    # A second visitor gets a market of their own, at week 0.
    other = browser.new_page(viewport=VIEWPORT)
    other.goto(server, wait_until="domcontentloaded")
    other.wait_for_selector("svg.cx-map", timeout=LOAD_TIMEOUT_MS)
    assert _week(other) == 0 and _week(page) == weeks
    other.close()
    page.close()

    assert not elsewhere, f"fetched from outside this server: {elsewhere[:5]}"
    assert not failed, f"failed requests: {failed[:5]}"
    assert not errors, f"errors in the page: {errors[:5]}"
