"""The dashboard in a real headless browser: Debian's Chromium driven by Playwright.

Starts ``python -m cxsim.dashboard`` on a free port of 127.0.0.1, loads the page,
moves a slider, steps and plays the market, and checks that the share chart
changes, that a second visitor gets a market of their own, and that nothing was
fetched from anywhere but this server (the page works offline). A screenshot is
kept in ``results/dashboard.png`` (and in docs/ when ``CXSIM_UPDATE_DOCS=1``).

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

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CXSIM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
CUSTOMERS = 2_000
LOAD_TIMEOUT_MS = 60_000


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
    return int(page.locator("svg.cx-share").get_attribute("data-week"))


def _wait_week(page, condition: str, timeout: int = 20_000) -> None:
    page.wait_for_function(
        f"() => {{ const s = document.querySelector('svg.cx-share');"
        f" return s && Number(s.dataset.week) {condition}; }}", timeout=timeout)


def test_dashboard_in_a_browser(server, browser, tmp_path):
    from playwright.sync_api import expect

    host = server.rstrip("/")
    elsewhere, failed, errors = [], [], []
    page = browser.new_page(viewport={"width": 1400, "height": 2300})
    page.on("request", lambda r: None if r.url.startswith((host, host.replace("http", "ws", 1),
                                                           "data:", "blob:"))
            else elsewhere.append(r.url))
    page.on("requestfailed", lambda r: failed.append(f"{r.url} {r.failure}"))
    page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.url} {r.status}"))
    page.on("pageerror", lambda e: errors.append(str(e)))

    # The page loads (its front end from this server) and shows week 0.
    page.goto(server, wait_until="domcontentloaded")
    page.wait_for_selector("svg.cx-share", timeout=LOAD_TIMEOUT_MS)
    assert _week(page) == 0
    for view in ("cx-map", "cx-lift", "cx-kpis", "cx-funnel", "cx-network"):
        expect(page.locator(f"svg.{view}")).to_be_visible()
    expect(page.locator(".cx-feed")).to_be_visible()

    # A slider is moved: the service spend goes to its maximum; the server hears it.
    service = page.locator(".v-input").filter(
        has=page.locator("label", has_text=re.compile(r"^Service: "))).get_by_role("slider")
    service.focus()
    service.press("End")
    expect(page.locator("label", has_text=re.compile(r"^Service: 400$"))).to_be_visible()
    expect(page.locator(".cx-programme-total")).to_contain_text("k$ a year")

    # The model steps and the share chart changes.
    share = page.locator("svg.cx-share")
    before = share.evaluate("e => e.outerHTML")
    page.get_by_role("button", name="Step").click()
    _wait_week(page, "=== 1")
    assert share.evaluate("e => e.outerHTML") != before
    assert page.locator(".cx-share-d0").count() == 1  # Dealer A's share line is drawn

    # Play: the weeks run by themselves and the charts follow; then pause.
    start, t0 = _week(page), time.monotonic()
    page.get_by_role("button", name="▶").click()
    _wait_week(page, ">= 40", timeout=40_000)
    rate = (_week(page) - start) / (time.monotonic() - t0)
    page.get_by_role("button", name="❚❚").click()
    print(f"\nweeks per second seen in the browser while playing: {rate:.1f}")
    assert rate > 2  # generous: benchmarks/bench_dashboard.py reports the real figure
    expect(page.locator("svg.cx-lift")).to_contain_text("after")

    # A second visitor gets a market of their own, at week 0.
    other = browser.new_page(viewport={"width": 1200, "height": 900})
    other.goto(server, wait_until="domcontentloaded")
    other.wait_for_selector("svg.cx-share", timeout=LOAD_TIMEOUT_MS)
    assert _week(other) == 0 and _week(page) >= 40
    other.close()

    shot = tmp_path / "dashboard.png"
    page.wait_for_timeout(300)  # let the last frame paint
    page.screenshot(path=shot)
    (ROOT / "results").mkdir(exist_ok=True)
    shutil.copy(shot, ROOT / "results" / "dashboard.png")
    if os.environ.get("CXSIM_UPDATE_DOCS") == "1":
        shutil.copy(shot, ROOT / "docs" / "dashboard.png")
    page.close()

    assert not elsewhere, f"fetched from outside this server: {elsewhere[:5]}"
    assert not failed, f"failed requests: {failed[:5]}"
    assert not errors, f"errors in the page: {errors[:5]}"
