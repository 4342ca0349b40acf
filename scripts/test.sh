#!/usr/bin/env bash
# Set up (if needed), lint, and run the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/ruff check cxsim tests benchmarks experiments
exec .venv/bin/python -m pytest "$@"
