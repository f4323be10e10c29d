#!/usr/bin/env bash
# Makes sure Debian's Chromium is at /usr/bin/chromium for the browser tests and the browser bench.
# Quick and silent when it is already there; otherwise installs it with apt (as root). Never
# downloads a browser build of its own (`npx playwright install` does not work on these machines).
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-chromium: $CHROMIUM is missing and this is not root, so it cannot be installed." >&2
  echo "ensure-chromium: run as root: apt-get update && apt-get install -y --no-install-recommends chromium" >&2
  exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: $CHROMIUM is missing and apt-get is not available to install it (Debian's 'chromium' package is expected)." >&2
  exit 1
fi

echo "ensure-chromium: installing Debian's chromium package (apt-get)..." >&2
export DEBIAN_FRONTEND=noninteractive
if ! apt-get update -qq >&2; then
  echo "ensure-chromium: 'apt-get update' failed; cannot install chromium." >&2
  exit 1
fi
if ! apt-get install -y -qq --no-install-recommends chromium >&2; then
  echo "ensure-chromium: 'apt-get install chromium' failed." >&2
  exit 1
fi

if [ ! -x "$CHROMIUM" ]; then
  echo "ensure-chromium: the chromium package installed but $CHROMIUM is not there." >&2
  exit 1
fi
echo "ensure-chromium: $("$CHROMIUM" --version 2>/dev/null || echo chromium) installed." >&2
