#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Rate-deck import: a carrier's 1,000,000-row CSV deck imported through the
# REST API (curl --data-binary) and through `trunkctl rates import`, timed
# end to end (upload, checks, one transaction, commit). Goal: < 10 s.
#
#   gen_deck.py writes a deterministic deck (seeded): prefixes of 3 to 12
#   digits under real country codes, rates with 4 to 6 decimals, some
#   connection fees, increments 60/60 or 1/1, effective dates; a header
#   line. One known row (+442079460123 -> 4420794 at 0.004321) is checked
#   after each import with a route explain, and the store's row count too.
#
# usage: bench/import/run.sh [BUILD_DIR]       (default: build-bench; a
#        Release build: cmake -DCMAKE_BUILD_TYPE=Release -DTL_BENCH=ON)
# env:   ROWS=1000000   rows in the deck
#        RUNS=3         imports per way (API, trunkctl), taken in turns
#        KEEP=1         keep the work directory (deck, database, logs)
#
# Each import goes to a fresh carrier (an import adds to a deck; a prefix
# and date already there is a conflict), and the previous run's carrier is
# deleted first, so every run starts from the same table size. Between
# runs the script waits for the daemon's routing snapshot to be rebuilt,
# so that rebuild never overlaps a timed import. trunkctl runs in a
# pseudo-terminal (script(1)) when there is one, so its progress bar is
# drawn as a user would see it. The daemon's RSS peak is its VmHWM, reset
# (clear_refs) before each import and read as the answer arrives.
#
# Everything on 127.0.0.1 and free ports; only the daemon this script
# starts is stopped, by PID. Exit status 0 unless the setup is broken.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build-bench}
build=$(cd "$build" 2>/dev/null && pwd) || { echo "run.sh: no build dir ${1:-build-bench}" >&2; exit 2; }
ROWS=${ROWS:-1000000}
RUNS=${RUNS:-3}
tl=$build/trunkline
ctl=$build/tools/trunkctl/trunkctl

for tool in curl python3 ss awk; do
  command -v $tool >/dev/null || { echo "run.sh: $tool not found (scripts/deps.sh bench)" >&2; exit 2; }
done
[ -x "$tl" ] || { echo "run.sh: no trunkline binary in $build" >&2; exit 2; }
[ -x "$ctl" ] || { echo "run.sh: no trunkctl in $build/tools/trunkctl" >&2; exit 2; }
work=$(mktemp -d -t import-bench.XXXXXX) || exit 2
daemon=""
cleanup() {
  local i
  if [ -n "$daemon" ]; then
    kill -TERM "$daemon" 2>/dev/null
    for i in $(seq 1 150); do kill -0 "$daemon" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$daemon" 2>/dev/null
    wait "$daemon" 2>/dev/null
  fi
  if [ -n "${KEEP:-}" ]; then echo "work files kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# free_port [udp|tcp]
. "$root/bench/lib.sh"

now() { date +%s.%N; }

# ---------------------------------------------------------------- data

echo "import bench: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
deck=$work/deck.csv
t0=$(now)
read -r check_num check_prefix check_rate bytes < <(python3 "$here/gen_deck.py" "$ROWS" "$deck") ||
  { echo "run.sh: gen_deck.py failed" >&2; exit 2; }
[ -n "${bytes:-}" ] || { echo "run.sh: gen_deck.py failed" >&2; exit 2; }
echo "deck: $ROWS rows + header, $(awk -v b="$bytes" 'BEGIN { printf "%.1f MB", b / 1e6 }') (generated in $(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }') s)"

# ---------------------------------------------------------------- daemon

db=$work/tl.db
token=$("$tl" api token add bench --db "sqlite:$db" 2>"$work/token.err") ||
  { echo "run.sh: cannot create a token:"; cat "$work/token.err"; exit 2; }
log=$work/trunkline.log
for attempt in 1 2 3 4 5; do
  sip=$(free_port udp) && port=$(free_port tcp) || exit 2
  cat > "$work/trunkline.conf" <<EOF
[sip]
listen = udp:127.0.0.1:$sip
workers = 1

[store]
url = sqlite:$db
demo = yes

[api]
listen = 127.0.0.1:$port

[log]
level = info
EOF
  "$tl" -c "$work/trunkline.conf" > "$log" 2>&1 &
  daemon=$!
  for i in $(seq 1 200); do
    grep -q "mod=api listening" "$log" && break
    kill -0 "$daemon" 2>/dev/null || break
    sleep 0.1
  done
  grep -q "mod=api listening" "$log" && break
  kill -TERM "$daemon" 2>/dev/null; wait "$daemon" 2>/dev/null; daemon=""
  grep -q "in use\|err=-98" "$log" || { echo "trunkline did not start:"; tail -5 "$log"; exit 2; }
done
[ -n "$daemon" ] || { echo "trunkline did not start: no free port"; exit 2; }
API=http://127.0.0.1:$port
AUTH="Authorization: Bearer $token"
export TRUNKCTL_SERVER=$API TRUNKCTL_TOKEN=$token HOME=$work/home
unset TRUNKCTL_CONFIG XDG_CONFIG_HOME
mkdir -p "$HOME"
echo "trunkline pid $daemon, API on $API, database $db"

# api METHOD PATH [JSON] -> body on stdout; fails on a status >= 300
api() {
  local code body=()
  [ $# -ge 3 ] && body=(-H 'Content-Type: application/json' --data-binary "$3")
  code=$(curl -sS -o "$work/resp" -w '%{http_code}' -X "$1" -H "$AUTH" "${body[@]}" "$API$2") ||
    return 1
  cat "$work/resp"
  [ "$code" -lt 300 ] || { echo " (HTTP $code for $1 $2)" >&2; return 1; }
}

# A JSON field of the last answer: field KEY < json
field() { python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

# The store's provisioning generation, read beside the daemon (WAL).
store_gen() {
  python3 -c 'import sqlite3, sys
c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
print(c.execute("SELECT gen FROM prov_generation WHERE id = 1").fetchone()[0])' "$db"
}

# Wait (max 120 s) until the daemon routes with a snapshot of the store as
# it is now: it rebuilds one in its own thread after every change, and
# logs "snapshot loaded store_generation=N", then "snapshot published".
settle() {
  local want got i
  want=$(store_gen) || { echo "run.sh: cannot read the store's generation" >&2; exit 2; }
  for i in $(seq 1 1200); do
    got=$(grep -o "snapshot loaded store_generation=[0-9]*" "$log" | tail -1 | cut -d= -f2)
    if [ "${got:-0}" -ge "$want" ] &&
       [ "$(grep -c "snapshot published" "$log")" -ge "$(grep -c "snapshot loaded" "$log")" ]; then
      return 0
    fi
    kill -0 "$daemon" 2>/dev/null || { echo "trunkline died:"; tail -5 "$log"; exit 2; }
    sleep 0.1
  done
  echo "note: no snapshot of store generation $want within 120 s" >&2
}

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$daemon/status"; }
hwm_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$daemon/status"; }
# Reset the peak RSS (Linux >= 4.0, our own process); "" when it cannot.
hwm_reset() { echo 5 2>/dev/null > "/proc/$daemon/clear_refs" && echo ok; }

settle   # the first snapshot

# ---------------------------------------------------------------- runs

pty=""
command -v script >/dev/null && pty=yes
prev=""
declare -A secs hwm
results=$work/results.txt; : > "$results"
checks_ok=0; checks=0

# one_run WAY N: a fresh carrier, one timed import, checks.
one_run() {
  local way=$1 n=$2 id t1 t2 dt imported out hwm0 peak rss0 d cnt
  if [ -n "$prev" ]; then
    t1=$(now)
    api DELETE "/api/carriers/$prev" > /dev/null || exit 2
    settle
    echo "  (deleted carrier $prev and its rates in $(awk -v a="$t1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }') s, snapshot rebuilt)"
  fi
  id=$(api POST /api/carriers "{\"name\": \"bench-$way-$n\"}" | field id) || exit 2
  api POST /api/gateways "{\"carrier_id\": $id, \"host\": \"127.0.0.1\", \"port\": 5999}" > /dev/null || exit 2
  settle
  prev=$id
  rss0=$(rss_kib)
  hwm0=$(hwm_reset)
  if [ "$way" = api ]; then
    t1=$(now)
    out=$(curl -sS -H "$AUTH" -H 'Content-Type: text/csv' --data-binary @"$deck" \
          "$API/api/carriers/$id/rates")
    t2=$(now)
    imported=$(echo "$out" | field imported 2>/dev/null)
  else
    t1=$(now)
    if [ -n "$pty" ]; then
      # in a pseudo-terminal: the progress bar is drawn (into cli.out)
      script -qefc "'$ctl' rates import --carrier $id '$deck'" /dev/null > "$work/cli-$n.out" 2>&1 < /dev/null
    else
      "$ctl" rates import --carrier "$id" "$deck" > "$work/cli-$n.out" 2>&1
    fi
    t2=$(now)
    out=$(tr '\r' '\n' < "$work/cli-$n.out" | grep -ao "imported [0-9]* rates.*" | tail -1)
    imported=$(echo "$out" | awk '{ print $2 }')
  fi
  peak=$( [ -n "$hwm0" ] && hwm_kib || echo 0)
  dt=$(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.3f", b - a }')
  if [ "${imported:-}" != "$ROWS" ]; then
    echo "$way run $n: import failed: $(tr '\r' '\n' < "$work/cli-$n.out" 2>/dev/null | tail -3) $out"
    tail -3 "$log"
    exit 2
  fi
  echo "$way $dt $peak $rss0" >> "$results"
  printf "  %-8s run %d: %6.2f s  %9.0f rows/s  daemon RSS %s MiB before, peak %s MiB\n" "$way" "$n" \
    "$dt" "$(awk -v r="$ROWS" -v t="$dt" 'BEGIN { print r / t }')" \
    "$((rss0 / 1024))" "$( [ "$peak" -gt 0 ] && echo $((peak / 1024)) || echo -)"
  # the deck took effect: in the store, and in routing once the snapshot
  # is rebuilt (the known row is the longest match of the known number)
  settle
  checks=$((checks + 1))
  cnt=$(python3 -c 'import sqlite3, sys
c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
print(c.execute("SELECT count(*) FROM rates WHERE carrier_id = ?", (int(sys.argv[2]),)).fetchone()[0])' \
        "$db" "$id" 2>/dev/null)
  d=$(api GET "/api/route/explain?customer=demo&number=%2B${check_num#+}" | python3 -c '
import json, sys
d, cid = json.load(sys.stdin), int(sys.argv[1])
hit = [a for a in d.get("attempts", []) if a.get("carrier_id") == cid]
print("%s %s" % (hit[0]["prefix"], hit[0]["rate"]) if hit else "none")' "$id")
  if [ "$cnt" = "$ROWS" ] && [ "$d" = "$check_prefix $check_rate" ]; then
    checks_ok=$((checks_ok + 1))
  else
    echo "  CHECK FAILED: store has ${cnt:-?} rows for carrier $id (want $ROWS); route explain" \
         "$check_num picks '$d' (want '$check_prefix $check_rate')"
  fi
}

echo "$RUNS runs per way, in turns; each to a fresh carrier:"
for n in $(seq 1 "$RUNS"); do
  one_run api "$n"
  one_run trunkctl "$n"
done

# ---------------------------------------------------------------- summary

echo
echo "summary ($(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg)): $ROWS rows, $RUNS runs each"
printf "%-9s %9s %9s %9s %12s %14s\n" way median_s min_s max_s rows/s "RSS_peak_MiB"
for way in api trunkctl; do
  awk -v w="$way" -v r="$ROWS" '$1 == w { print $2, $3 }' "$results" | sort -n |
    awk -v w="$way" -v r="$ROWS" '{ t[++n] = $1; if ($2 > p) p = $2 }
      END { m = (n % 2) ? t[(n + 1) / 2] : (t[n / 2] + t[n / 2 + 1]) / 2
            printf "%-9s %9.2f %9.2f %9.2f %12.0f %14s\n", w, m, t[1], t[n], r / m,
                   (p > 0 ? sprintf("%.0f", p / 1024) : "-")
            exit (m < 10 ? 0 : 1) }' && goal="met" || goal="MISSED"
  echo "$way: goal < 10 s $goal" >> "$work/goals"
done
echo "goal (median < 10 s): $(tr '\n' ';' < "$work/goals" | sed 's/;$//; s/;/; /g')"
echo "checks: $checks_ok/$checks imports complete in the store and routing $check_num by $check_prefix at $check_rate"
exit 0
