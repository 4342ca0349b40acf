"""``cxsim-dashboard``: serve the trainer dashboard on this machine.

Binds to 127.0.0.1 unless ``--host`` says otherwise, and serves Solara's front
end from installed packages (``solara-assets``), so the page works without
internet. Telemetry and version checks are off.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from importlib import metadata
from pathlib import Path

APP = "cxsim.dashboard.app"


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    from cxsim.dashboard.market import DEFAULT_CUSTOMERS, DEFAULT_PRESET
    from cxsim.study_cli import OneLineParser

    p = OneLineParser(
        prog="cxsim-dashboard",
        description="Serve the trainer's page: one story at a time, the same market without "
                    "and with the programme, live in a browser.")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1, this machine only; "
                        "0.0.0.0 serves the local network)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765; 0: any free)")
    p.add_argument("--open", action="store_true", help="open the page in a web browser")
    p.add_argument("--preset", default=DEFAULT_PRESET,
                   help=f"starting story or scenario preset (default {DEFAULT_PRESET})")
    p.add_argument("--industry", default=None,
                   help="starting industry (default: the story's own, car otherwise)")
    p.add_argument("--customers", type=int, default=DEFAULT_CUSTOMERS,
                   help=f"starting market size (default {DEFAULT_CUSTOMERS:,})")
    p.add_argument("--seed", type=int, default=0, help="starting seed")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="any cxsim config override for every market the page builds, e.g. "
                        "--set market.years=10 (repeatable)")
    p.add_argument("--log-level", default="warning",
                   choices=["critical", "error", "warning", "info", "debug"])
    return p.parse_args(argv)


def offline_problems() -> list[str]:
    """What would keep the page from loading without internet (empty when fine)."""
    problems = []
    cdn = Path(sys.prefix) / "share" / "solara" / "cdn" / "@widgetti"
    if not any(cdn.glob("solara-vuetify-app@*")):
        problems.append("solara-assets is not installed: the page's front end would come "
                        "from a CDN (pip install solara-assets)")
    try:
        if int(metadata.version("ipyvue").split(".")[0]) >= 2:
            problems.append("ipyvue >= 2 switches Solara to Vue 3, where Mesa's card grid "
                            "does not render (pip install 'ipyvue<2' 'ipyvuetify<2')")
    except metadata.PackageNotFoundError:
        problems.append("ipyvue is not installed (pip install 'mesa[rec]')")
    return problems


def missing_packages() -> list[str]:
    """The dashboard's packages that are not installed."""
    from importlib.util import find_spec

    return [name for name in ("solara", "reacton", "ipyvuetify") if find_spec(name) is None]


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    missing = missing_packages()
    if missing:
        print(f"cxsim-dashboard: {', '.join(missing)} not installed; install the dashboard "
              "extra: pip install -e '.[dashboard]'", file=sys.stderr)
        return 2
    from cxsim.compose import explain
    from cxsim.dashboard.market import build_config, industries, presets

    if args.preset not in presets():
        print(f"cxsim-dashboard: unknown preset {args.preset!r}; allowed: "
              f"{', '.join(presets())}", file=sys.stderr)
        return 2
    if args.industry is not None and args.industry not in industries():
        print(f"cxsim-dashboard: unknown industry {args.industry!r}; allowed: "
              f"{', '.join(industries())}", file=sys.stderr)
        return 2
    if not 1 <= args.customers <= 10**6:
        print(f"cxsim-dashboard: error: --customers {args.customers}; allowed: 1 <= "
              "--customers <= 1000000 (a live page)", file=sys.stderr)
        return 2
    if not 0 <= args.port <= 65535:
        print(f"cxsim-dashboard: error: --port {args.port}; allowed: 0 <= --port <= 65535",
              file=sys.stderr)
        return 2
    try:  # fail here, in one line, rather than in the browser
        build_config(args.preset, args.industry, args.customers, args.seed, args.overrides)
    except Exception as exc:  # noqa: BLE001 - any config error is reported the same way
        print(f"cxsim-dashboard: {explain(exc)}", file=sys.stderr)
        return 2
    for problem in offline_problems():
        print(f"cxsim-dashboard: warning: {problem}", file=sys.stderr)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"cxsim-dashboard: serving on {args.host}: anyone who can reach this machine "
              "can open the dashboard", file=sys.stderr)
    # Settings are read when Solara is first imported: set them before that.
    os.environ["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    os.environ.setdefault("SOLARA_ASSETS_PROXY", "True")
    os.environ.setdefault("SOLARA_THEME_SHOW_BANNER", "False")  # it covers the charts' corner
    # Reacton's fast renderer (its own opt-in, tested against the default one) skips the
    # parts of the page a week does not touch: a week's render a third as long.
    os.environ.setdefault("REACTON_FAST", "1")
    os.environ["CXSIM_DASHBOARD_PRESET"] = args.preset
    os.environ["CXSIM_DASHBOARD_INDUSTRY"] = args.industry or ""
    os.environ["CXSIM_DASHBOARD_CUSTOMERS"] = str(args.customers)
    os.environ["CXSIM_DASHBOARD_SEED"] = str(args.seed)
    os.environ["CXSIM_DASHBOARD_OVERRIDES"] = json.dumps(args.overrides)
    # Plain http on this machine: Solara warns about its session cookie on every page.
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")
    from solara.__main__ import cli

    solara_args = ["run", APP, "--host", args.host, "--port", str(args.port), "--production",
                   "--no-check-version", "--open" if args.open else "--no-open",
                   "--log-level", args.log_level, "--log-level-uvicorn", args.log_level]
    try:
        cli.main(args=solara_args, prog_name="cxsim-dashboard", standalone_mode=False)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
