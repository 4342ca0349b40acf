"""Weekly steps per second of the trainer's page with 2,000 customers.

    .venv/bin/python benchmarks/bench_dashboard.py              # the page, no browser
    .venv/bin/python benchmarks/bench_dashboard.py 500 20000    # other market sizes
    .venv/bin/python benchmarks/bench_dashboard.py --browser    # also in headless Chromium
    .venv/bin/python benchmarks/bench_dashboard.py --browser --against /tmp/old --rounds 3

Without a browser the page is rendered with ``solara.render`` and its Step
button is clicked: each week is both markets' step, everything on screen
redrawn and the page's widgets updated: everything the server does for a week
except sending it. The figure is the most the server can show. ``--browser``
serves the page at 1280 x 720, presses play in headless Chromium
(/usr/bin/chromium) and counts the weeks the browser shows in 10 seconds (or
until the story's last week): the
rate a trainer sees. While playing, the server steps the next week only once
the browser reports the last one on screen, so every week is drawn.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CXSIM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def bench_page(customers: int, weeks: int = 100) -> dict:
    """Server-side weekly cost of the page: model, views, and the whole render."""
    os.environ["CXSIM_DASHBOARD_CUSTOMERS"] = str(customers)
    os.environ.setdefault("REACTON_FAST", "1")  # the renderer cxsim-dashboard serves with
    import ipyvuetify as v
    import solara

    from cxsim.dashboard import inspect, places, views
    from cxsim.dashboard.app import WATCH, Page
    from cxsim.dashboard.market import PairedMarket

    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):  # outside IPython, Solara prints the app bar
        _, rc = solara.render(Page(), handle_error=False)
    first = time.perf_counter() - t0
    step = rc.find(v.Btn, children=["Step"]).widget
    # One render a week, as on the server: there Solara batches the redraws a week's
    # reactive variable sets off; without a server each reader would render on its own.
    for _ in range(5):  # warm caches
        with rc:
            step.click()
    t0 = time.perf_counter()
    for _ in range(weeks):
        with rc:
            step.click()
    page = (time.perf_counter() - t0) / weeks
    rc.close()

    m = PairedMarket(customers=customers, watch=WATCH)  # as the page builds it
    t0 = time.perf_counter()
    for _ in range(weeks):
        m.step()
    model = (time.perf_counter() - t0) / weeks
    t0 = time.perf_counter()
    for _ in range(weeks):
        places.map_codes(m)
        views.lift_svg(m)
        views.lift_html(m)
        inspect.lane_svg(m, m.focal)
        m._dashboard_frame = None  # recompute the series each time, as a new week would
    drawing = (time.perf_counter() - t0) / weeks
    return {"customers": customers, "first_s": first, "page_ms": 1e3 * page,
            "model_ms": 1e3 * model, "views_ms": 1e3 * drawing}


def _cpu_s(pids: list[int]) -> float:
    """User and system CPU seconds of these processes and all their descendants."""
    import psutil

    total, seen = 0.0, set()
    for pid in pids:
        try:
            root = psutil.Process(pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            continue
        for q in procs:
            if q.pid in seen:
                continue
            seen.add(q.pid)
            with contextlib.suppress(psutil.NoSuchProcess):
                t = q.cpu_times()
                total += t.user + t.system
    return total


def _chromium_pids(marker: str) -> list[int]:
    import psutil

    out = []
    for q in psutil.process_iter(["cmdline"]):
        if marker in " ".join(q.info["cmdline"] or ()):
            out.append(q.pid)
    return out


def bench_browser(customers: int, seconds: float = 10.0, code: Path | None = None) -> dict:
    """Weeks per second shown by headless Chromium while playing, and the CPU time the
    server and the browser spent per week. ``code``: serve that checkout's page instead."""
    from playwright.sync_api import sync_playwright

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ)
    if code is not None:
        env["PYTHONPATH"] = str(code)
    proc = subprocess.Popen([sys.executable, "-m", "cxsim.dashboard", "--port", str(port),
                             "--customers", str(customers)], cwd=code or ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    marker = f"--cx-bench-{port}"  # finds this browser's processes (Chromium ignores it)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the dashboard did not start") from None
                time.sleep(0.2)
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, marker])
            browser = _chromium_pids(marker)
            page = b.new_page(viewport={"width": 1280, "height": 720})
            page.goto(url, wait_until="domcontentloaded")
            page.wait_for_selector(".cx-week-n", timeout=120_000)

            def week() -> int:
                return int(page.locator(".cx-week-n").inner_text())

            page.get_by_role("button", name="▶").click()
            page.wait_for_function(
                "() => Number(document.querySelector('.cx-week-n').textContent) >= 2",
                timeout=60_000)
            horizon = int(page.locator(".cx-week").inner_text().split("of")[-1])
            w0, t0 = week(), time.monotonic()
            c0 = _cpu_s([proc.pid]), _cpu_s(browser)
            while time.monotonic() - t0 < seconds and week() < horizon:  # or the story ends
                time.sleep(0.1)
            w1, t1 = week(), time.monotonic()
            c1 = _cpu_s([proc.pid]), _cpu_s(browser)
            if w1 < horizon:
                page.get_by_role("button", name="❚❚").click()
            b.close()
        n = max(w1 - w0, 1)
        return {"weeks_per_s": (w1 - w0) / (t1 - t0), "server_ms": 1e3 * (c1[0] - c0[0]) / n,
                "browser_ms": 1e3 * (c1[1] - c0[1]) / n}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f} (5 min {five:.1f}) on {os.cpu_count()} cores"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sizes", nargs="*", type=int, default=[2_000])
    ap.add_argument("--weeks", type=int, default=100, help="weeks timed per size")
    ap.add_argument("--browser", action="store_true", help="also measure in headless Chromium")
    ap.add_argument("--against", type=Path, default=None, metavar="DIR",
                    help="another checkout: measure its page too, alternating (needs --browser)")
    ap.add_argument("--rounds", type=int, default=1, help="browser rounds per version")
    ap.add_argument("--seconds", type=float, default=10.0, help="seconds counted per round")
    args = ap.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    print(f"{'customers':>10} {'page ms/week':>13} {'model ms':>9} {'views ms':>9} "
          f"{'weeks/s (page)':>15} {'first render s':>15}")
    for n in args.sizes:
        r = bench_page(n, args.weeks)
        print(f"{n:>10,} {r['page_ms']:>13.1f} {r['model_ms']:>9.1f} {r['views_ms']:>9.1f} "
              f"{1e3 / r['page_ms']:>15.1f} {r['first_s']:>15.2f}")
    print("views: the map's dots, the profit chart, its words and the service lane (what "
          "the first screen redraws)")
    if not args.browser:
        return
    versions = {"this": None} if args.against is None else {"this": None,
                                                             "against": args.against}
    print(f"{'customers':>10} {'version':>8} {'round':>5} {'weeks/s':>8} {'server ms/wk':>13} "
          f"{'browser ms/wk':>14}  machine")
    for n in args.sizes:
        got: dict[str, list[dict]] = {k: [] for k in versions}
        for r in range(args.rounds):
            for name, code in versions.items():
                res = bench_browser(n, args.seconds, code)
                got[name].append(res)
                print(f"{n:>10,} {name:>8} {r + 1:>5} {res['weeks_per_s']:>8.1f} "
                      f"{res['server_ms']:>13.1f} {res['browser_ms']:>14.1f}  {_load()}",
                      flush=True)
        if args.against is not None:
            ratio = [a["weeks_per_s"] / max(b["weeks_per_s"], 1e-9)
                     for a, b in zip(got["this"], got["against"], strict=True)]
            print(f"{n:>10,} this / against, weeks per second, round by round: "
                  + ", ".join(f"{x:.2f}" for x in ratio))


if __name__ == "__main__":
    main()
