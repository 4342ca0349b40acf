#!/usr/bin/env bash
# Set up (if needed) and run the default market; extra arguments are Hydra overrides.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/cxsim "$@"
