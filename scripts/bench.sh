#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs the benchmarks of a Release build made with -DTL_BENCH=ON
# (`make bench` does both). Figures and how to read them: docs/PERFORMANCE.md.
# usage: scripts/bench.sh BUILD_DIR
# Prints figures; exits 0 even when a goal is missed (1 only when the
# benchmarks could not run at all).
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-bench}
rc=0

echo "== parser: Trunkline sip_msg_parse vs libosip2 (bench/bench_parse.c)"
if [ -x "$build/bench/bench_parse" ]; then
  "$build/bench/bench_parse" || rc=1
else
  echo "bench_parse not built (needs libosip2-dev and the sip module)"; rc=1
fi
if [ -x "$build/bench/bench_route" ]; then
  echo
  echo "== routing: prefix table build and lookup (bench/bench_route.c)"
  "$build/bench/bench_route" || rc=1
fi
echo
echo "== OPTIONS per second under SIPp: trunkline vs Kamailio (bench/options/run.sh)"
"$root/bench/options/run.sh" "$build" || rc=1
if [ -x "$build/bench/bench_media" ]; then
  echo
  echo "== RTP relay: packets per second per core vs rtpengine (bench/media/bench_media.c)"
  "$build/bench/bench_media" || rc=1
fi
echo
echo "== rate-deck import: 1,000,000 rows through the API and trunkctl (bench/import/run.sh)"
"$root/bench/import/run.sh" "$build" || rc=1
echo
echo "== calls: the termination job under SIPp, trunkline vs Kamailio (bench/calls/run.sh)"
"$root/bench/calls/run.sh" "$build" || rc=1
exit $rc
