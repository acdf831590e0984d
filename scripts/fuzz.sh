#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# usage: scripts/fuzz.sh BUILD_DIR SECONDS
# Runs every libFuzzer target for SECONDS on a scratch copy of its seed
# corpus (the committed corpus is not changed). Fails on the first crash;
# the crashing input is left in the BUILD_DIR/fuzz-out/<target>/.
set -eu
build=$(cd "$1" && pwd); secs=$2
src=$(cd "$(dirname "$0")/.." && pwd)
status=0
for bin in "$build"/fuzz/fuzz_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin"); short=${name#fuzz_}
  work="$build/fuzz-out/$short"; rm -rf "$work"; mkdir -p "$work/corpus"
  cp "$src/fuzz/corpus/$short"/* "$work/corpus/" 2>/dev/null || true
  echo "== $name: ${secs}s"
  if ! (cd "$work" && "$bin" -max_total_time="$secs" -max_len=8192 -timeout=10 \
          -rss_limit_mb=2048 -print_final_stats=1 corpus "$src/fuzz/corpus/$short" \
          > log.txt 2>&1); then
    echo "FAIL: $name crashed; see $work/log.txt"; tail -40 "$work/log.txt"; status=1
  else
    grep -E "stat::number_of_executed_units|Done" "$work/log.txt" | tail -2
  fi
done
exit $status
