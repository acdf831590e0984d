#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Installs the pinned npm packages (package-lock.json) the dashboard build
# (uPlot) and the browser tests (playwright-core) use. Browsers are never
# downloaded: the tests drive Debian's chromium.
set -eu
cd "$(dirname "$0")/.."
if ! command -v npm >/dev/null 2>&1; then
  echo "npm not found: the dashboard will show figures without charts" >&2
  exit 0
fi
for d in web tests/browser; do
  [ -f "$d/package-lock.json" ] || continue
  # lock file unchanged since the last install: nothing to do
  if [ -f "$d/node_modules/.package-lock.json" ] &&
     [ "$d/node_modules/.package-lock.json" -nt "$d/package-lock.json" ]; then
    continue
  fi
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix "$d" --no-audit --no-fund --loglevel=error
done
