#!/usr/bin/env bash
# Create .venv with a Python >= 3.12 and install cxsim (editable) into it.
#
#   scripts/setup.sh              the model alone: what scripts/run.sh and
#                                 scripts/experiment.sh need
#   scripts/setup.sh test         + test tools, dashboard and sweep launchers
#                                 (scripts/test.sh)
#   scripts/setup.sh dashboard    + the trainer dashboard
#   scripts/setup.sh sweeps       + Ray/SLURM launchers, Optuna, SALib
#   scripts/setup.sh explore      + EMA Workbench (cxsim-explore: PRIM, regret)
#
# Finds python3.13 / python3.12 on PATH, then pyenv's 3.13.x / 3.12.x; says in
# one line what to install when none exists. Each set of extras keeps a stamp
# in .venv, so re-running is cheap (a no-op when that set is up to date) and a
# later `test` adds to a model-only environment.
set -euo pipefail
cd "$(dirname "$0")/.."

for extra in "$@"; do
  case "$extra" in
    test|dashboard|sweeps|explore|calibrate) ;;
    *) echo "cxsim: unknown extra '$extra'; allowed: test, dashboard, sweeps, explore, calibrate" >&2; exit 2 ;;
  esac
done

find_python() {
  local c v
  for c in python3.13 python3.12 python3; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
      command -v "$c"; return 0
    fi
  done
  if command -v pyenv >/dev/null 2>&1; then
    for v in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.1[2-9]\.[0-9]+$' | sort -rV); do
      c="$(pyenv root)/versions/$v/bin/python3"
      if [ -x "$c" ]; then echo "$c"; return 0; fi
    done
  fi
  return 1
}

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
  PY="$(find_python)" || { echo "cxsim needs Python >= 3.12: install python3.12 (e.g. 'pyenv install 3.12') and run this again" >&2; exit 1; }
  rm -rf .venv
  "$PY" -m venv .venv
fi

if [ $# -eq 0 ]; then
  spec="."; label="core"
else
  spec=".[$(IFS=,; echo "$*")]"; label="$(IFS=-; echo "$*")"
fi
stamp=".venv/.cxsim-installed-$label"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "cxsim: installing $spec into .venv (once; a log is kept in .venv/install.log)" >&2
  {
    .venv/bin/python -m pip install --disable-pip-version-check --upgrade pip &&
    .venv/bin/python -m pip install --disable-pip-version-check -e "$spec"
  } > .venv/install.log 2>&1 || { tail -n 30 .venv/install.log >&2; echo "cxsim: installation failed (see .venv/install.log)" >&2; exit 1; }
  # every set of extras includes the model itself
  touch "$stamp" .venv/.cxsim-installed-core
fi
