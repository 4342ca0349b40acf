#!/usr/bin/env bash
# Install Debian's Chromium for the dashboard's browser test (idempotent).
#
# The test drives /usr/bin/chromium through Playwright; Playwright's own browser
# downloads are not used. Does nothing when chromium is already installed.
# Needs root (or sudo) and a Debian/Ubuntu apt; used by CI before scripts/test.sh.
set -euo pipefail

CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  echo "chromium: already installed ($("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM"))"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium: not found at $CHROMIUM and apt-get is not available; install Chromium and set CHROMIUM=/path/to/chromium" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "chromium: installing needs root (run as root or install sudo)" >&2; exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends chromium
echo "chromium: installed ($("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM"))"
