#!/usr/bin/env bash
# Set up (if needed), lint, and run the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
# The dashboard's browser test drives Debian's Chromium: install it when we can
# (needs root or sudo); without it that one test is skipped, unless
# CXSIM_REQUIRE_BROWSER=1 (as in CI) makes it fail instead.
scripts/install_browser.sh >/dev/null 2>&1 || echo "cxsim: no Chromium (scripts/install_browser.sh needs root); the browser test will be skipped" >&2
.venv/bin/ruff check cxsim tests benchmarks experiments hydra_plugins
# The suite runs on every core (pytest-xdist): tests are independent, each writes
# under its own temporary folder, and results do not depend on the order.
exec .venv/bin/python -m pytest -n auto "$@"
