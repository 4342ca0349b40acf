#!/usr/bin/env bash
# Set up (if needed) and run a named experiment: scripts/experiment.sh NAME [overrides...]
# e.g. scripts/experiment.sh service_vs_experience replications=20
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 1 ]; then
  echo "usage: scripts/experiment.sh NAME [key=value ...]; names: $(ls conf/experiment | sed 's/\.yaml$//' | tr '\n' ' ')" >&2
  exit 2
fi
name="$1"; shift
scripts/setup.sh
exec .venv/bin/python -m experiments.run "experiment=$name" "$@"
