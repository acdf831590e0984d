#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The termination job under SIPp load: trunkline side by side with
# Kamailio (the reference setup of ../shared/bench/kamailio/: permissions,
# lcr over 100,000 prefixes x 3 carriers, dialog, htable channel counter,
# acc to flatstore files, failure_route) in one run, same load, same data.
#
#   SIPp UAC (uac.xml) -> server -> SIPp UAS (uas.xml), the gateway of
#   all 3 carriers. INVITE / 100 / 200 / ACK / BYE / 200. Data: the
#   reference's gen_data.py (seed 1): its SQLite file for Kamailio,
#   provision.py turns the same rules into Trunkline's rate decks; the
#   numbers dialled are those of its numbers.csv that are possible E.164
#   numbers (numbers_filter.c: ~73 %; Trunkline answers the others 484,
#   Kamailio's lcr routes any digits), the same list for both servers.
#
# usage: bench/calls/run.sh [BUILD_DIR]          (default: build-bench)
# env:   RATES="2000 4000 ..."   rate steps, calls/s (default below; RATES=""
#                                runs the memory phase only)
#        STEP_SECS=30            length of one rate step
#        HOLD_RATE=1000 HOLD_SECS=10 HOLD_RUN=30   the memory phase
#        SERVERS="trunkline kamailio"              which ones, in this order
#        WORKERS=2               trunkline workers; KAM_CHILDREN=4
#        PCAP_SECS=3             precise latency: loopback capture of the
#                                UAC's traffic this long mid-step (0: off)
#        BUDGET_SECS=1380        no new step starts after this (23 min)
#        KAM_DIR=...             the reference folder (default
#                                ../shared/bench/kamailio next to the tree)
#        KEEP=1                  keep the work directory
#
# Phases:
#  1. memory: both servers fresh; HOLD_RATE calls/s with HOLD_SECS holds
#     for HOLD_RUN s; the server's RSS and PSS (all its processes) idle,
#     then 2 s before the last call is placed, divided by the calls up at
#     that moment (SIPp's CurrentCall).
#  2. rate steps: each server in turn at each rate, STEP_SECS each. A step
#     passes with <= 0.1 % of the asked calls not successful and >= 95 % of
#     the rate reached; a failed step is retried once; a server leaves the
#     race after a failed retry. Per step: server CPU per successful call
#     (utime+stime of all its threads/processes over the whole step),
#     server and SIPp CPU % (steady window), SIPp INVITE->200 times (4 ms
#     clock), and the capture's INVITE->200 times in microseconds.
#  3. trunkline is stopped with SIGTERM (drain + CDR flush); its CDRs must
#     number the calls it was offered: answered CDRs >= successful calls.
#
# Everything on 127.0.0.1 and free ports; only the processes this script
# starts are stopped, by PID. Exit status 0 unless the setup is broken.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build-bench}
build=$(cd "$build" 2>/dev/null && pwd) || { echo "run.sh: no build dir ${1:-build-bench}" >&2; exit 2; }
KAM_DIR=${KAM_DIR:-$root/../shared/bench/kamailio}
RATES=${RATES-"2000 4000 6000 7000 8000 9000 10000 11000 12000 13000 14000"}
STEP_SECS=${STEP_SECS:-30}
HOLD_RATE=${HOLD_RATE:-1000}; HOLD_SECS=${HOLD_SECS:-10}; HOLD_RUN=${HOLD_RUN:-30}
SERVERS=${SERVERS:-"trunkline kamailio"}
WORKERS=${WORKERS:-2}
KAM_CHILDREN=${KAM_CHILDREN:-4}
PCAP_SECS=${PCAP_SECS:-3}
BUDGET_SECS=${BUDGET_SECS:-1380}
HZ=$(getconf CLK_TCK)
start=$SECONDS

for tool in sipp ss awk python3 sqlite3 cc; do
  command -v $tool >/dev/null || { echo "run.sh: $tool not found (scripts/deps.sh bench)" >&2; exit 2; }
done
for f in gen_data.py kamailio-lcr.cfg uac.xml uas.xml pcap_latency.py; do
  [ -f "$KAM_DIR/$f" ] || { echo "run.sh: $KAM_DIR/$f missing (set KAM_DIR)" >&2; exit 2; }
done
KAM_DIR=$(cd "$KAM_DIR" && pwd)
[ "$PCAP_SECS" -gt 0 ] && ! command -v tcpdump >/dev/null && { echo "no tcpdump: PCAP_SECS=0"; PCAP_SECS=0; }
work=$(mktemp -d -t calls-bench.XXXXXX) || exit 2
ours=()          # PIDs of the long-running processes we started
cleanup() {
  local p i
  for p in "${ours[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${ours[@]}"; do
    for i in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
  if [ -n "${KEEP:-}" ]; then echo "work files kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# free_port [udp|tcp]
. "$root/bench/lib.sh"

# Wait until PID listens on 127.0.0.1:PORT/udp (max 30 s: Kamailio loads
# 100,000 prefixes from SQLite first).
wait_listen() {
  local pid=$1 port=$2 i
  for i in $(seq 1 300); do
    kill -0 "$pid" 2>/dev/null || return 1
    [ -n "$(ss -ulnH "sport = :$port")" ] && return 0
    sleep 0.1
  done
  return 1
}

# The PID and all its descendants.
tree() {
  cat /proc/[0-9]*/stat 2>/dev/null | awk -v root="$1" '
    { pid = $1; s = $0; sub(/^.*\) /, "", s); split(s, f, " "); par[pid] = f[2] }
    END { want[root] = 1; print root
          do { more = 0; for (p in par) if (!(p in want) && (par[p] in want)) { want[p] = 1; print p; more = 1 } } while (more) }'
}

# utime+stime clock ticks of the PID's tree (all threads).
cpu_ticks() {
  local p t=0
  for p in $(tree "$1"); do
    [ -r "/proc/$p/stat" ] || continue
    t=$((t + $(sed 's/^.*) //' "/proc/$p/stat" | awk '{ print $12 + $13 }')))
  done
  echo $t
}

# "RSS_KiB PSS_KiB" summed over the PID's tree.
mem_kib() {
  local p
  for p in $(tree "$1"); do cat "/proc/$p/smaps_rollup" 2>/dev/null; done |
    awk '/^Rss:/ { r += $2 } /^Pss:/ { s += $2 } END { print r + 0, s + 0 }'
}

declare -A port pid
uasport=$(free_port) || exit 2

# ---------------------------------------------------------------- data

echo "calls bench: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "sipp $(sipp -v 2>/dev/null | grep -o 'v[0-9][^ ]*' | head -1), kamailio $(kamailio -v 2>/dev/null | head -1 | awk '{print $3}'), trunkline workers=$WORKERS, kamailio children=$KAM_CHILDREN"
python3 "$KAM_DIR/gen_data.py" --db "$work/kam.sqlite" --csv "$work/numbers.csv" \
  --gw 127.0.0.1:$uasport --gw 127.0.0.1:$uasport --gw 127.0.0.1:$uasport || exit 2
cmp -s "$work/numbers.csv" "$KAM_DIR/numbers.csv" || echo "note: numbers.csv differs from the reference's"
# The numbers both servers dial: those of numbers.csv that are possible
# E.164 numbers (Trunkline answers the others 484; Kamailio's lcr routes
# any digits). Built against the build's routing library.
cc -O2 -std=c17 -I"$root/src/core" -I"$root/src/route" "$here/numbers_filter.c" \
  "$build/src/route/libtl_route.a" "$build/src/core/libtl_core.a" -lpthread -lm \
  -o "$work/numbers_filter" || exit 2
"$work/numbers_filter" GB < "$work/numbers.csv" > "$work/routable.csv" || exit 2
if [[ " $SERVERS " == *" trunkline "* ]]; then
  [ -x "$build/trunkline" ] || { echo "no trunkline binary in $build"; exit 2; }
  python3 "$here/provision.py" "$build/trunkline" "$work/kam.sqlite" "sqlite:$work/trunkline.db" \
    127.0.0.1:$uasport || exit 2
fi

# ---------------------------------------------------------------- servers

start_trunkline() {
  local p
  p=$(free_port) || return 1
  cat > "$work/trunkline.conf" <<EOF
[sip]
listen = udp:127.0.0.1:$p
workers = $WORKERS

[store]
url = sqlite:$work/trunkline.db
demo = no

[log]
level = warn
EOF
  "$build/trunkline" -c "$work/trunkline.conf" > "$work/trunkline.log" 2>&1 &
  pid[trunkline]=$!; ours+=($!); port[trunkline]=$p
  wait_listen "${pid[trunkline]}" "$p" ||
    { echo "trunkline did not come up:"; tail -5 "$work/trunkline.log"; return 1; }
  # the routing snapshot (100,000 prefixes) is built after the listen
  for i in $(seq 1 100); do grep -q "snapshot published" "$work/trunkline.log" && break; sleep 0.2; done
}

start_kamailio() {
  local p
  command -v kamailio >/dev/null || { echo "kamailio: not installed"; return 1; }
  p=$(free_port) || return 1
  mkdir -p "$work/kam/acc"
  kamailio -DD -E -f "$KAM_DIR/kamailio-lcr.cfg" -n "$KAM_CHILDREN" -m 2048 -M 256 -x tlsf -X tlsf \
    -Y "$work/kam" -P "$work/kam/kamailio.pid" \
    -A "LISTEN_ADDR=udp:127.0.0.1:$p" -A "DBURL=\"sqlite://$work/kam.sqlite\"" \
    -A "FLATDIR=\"flatstore:$work/kam/acc\"" -A "CTLSOCK=\"unix:$work/kam/ctl\"" \
    -A ACC_FLATSTORE > "$work/kamailio.log" 2>&1 &
  pid[kamailio]=$!; ours+=($!); port[kamailio]=$p
  wait_listen "${pid[kamailio]}" "$p" ||
    { echo "kamailio did not come up:"; tail -5 "$work/kamailio.log"; return 1; }
  sleep 1
}

# ---------------------------------------------------------------- one run

# run_load NAME RATE SECS HOLD_MS DIR -> starts UAS + UAC, leaves
# uacpid/uaspid set; the caller waits.
run_load() {
  local name=$1 rate=$2 secs=$3 hold=$4 dir=$5 lp limit
  limit=$((secs + hold / 1000 + 30))
  lp=$(free_port) || return 1
  uacport=$lp
  (cd "$dir" && exec timeout $((limit + 10)) sipp -sf "$KAM_DIR/uas.xml" -i 127.0.0.1 -p "$uasport" \
     -t u1 -buff_size 4194304 -l 500000 -timeout $((limit + 5))s -max_recv_loops 10000 \
     < /dev/null > /dev/null 2> uas.stderr) &
  uaspid=$!
  wait_listen "$uaspid" "$uasport" || { echo "$name: the SIPp UAS did not come up" >&2; return 1; }
  (cd "$dir" && exec timeout $((limit + 10)) sipp "127.0.0.1:${port[$name]}" -sf "$KAM_DIR/uac.xml" \
     -inf "$work/routable.csv" -i 127.0.0.1 -p "$lp" -t u1 -buff_size 4194304 -r "$rate" -rp 1000 \
     -m $((rate * secs)) -d "$hold" -l 500000 -recv_timeout 10000 -timeout ${limit}s \
     -max_recv_loops 10000 -max_sched_loops 10000 \
     -trace_stat -stf stat.csv -fd 1 -trace_rtt -rtt_freq 1000 \
     < /dev/null > /dev/null 2> uac.stderr) &
  uacpid=$!
}

finish_load() {
  wait "$uacpid"
  sleep 1; kill -TERM "$uaspid" 2>/dev/null; wait "$uaspid" 2>/dev/null
}

# Totals of SIPp's stat.csv (last row): "calls ok failed retrans rate"
sipp_totals() {
  awk -F';' 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next } { l = $0 }
    END { split(l, v, ";"); print v[c["OutgoingCall(C)"]] + 0, v[c["SuccessfulCall(C)"]] + 0,
          v[c["FailedCall(C)"]] + 0, v[c["Retransmissions(C)"]] + 0, v[c["CallRate(C)"]] + 0 }' "$1"
}

# SIPp INVITE->200 ms "p50/p99/max" from the rtt file.
sipp_rtt() {
  local f; f=$(ls "$1"/*_rtt.csv 2>/dev/null | head -1)
  [ -n "$f" ] || { echo "-"; return; }
  tail -n +2 "$f" | cut -d';' -f2 | sort -n |
    awk '{ r[++m] = $1 + 0 } END { if (!m) { print "-"; exit }
      printf "%d/%d/%d", r[int(0.5 * (m - 1)) + 1], r[int(0.99 * (m - 1)) + 1], r[m] }'
}

# ---------------------------------------------------------------- phase 1

declare -A memres
hold_phase() {
  local name=$1 dir r0 p0 r1 p1 cur calls ok failed re got
  dir=$work/$name-hold
  mkdir -p "$dir"
  read -r r0 p0 < <(mem_kib "${pid[$name]}")
  run_load "$name" "$HOLD_RATE" "$HOLD_RUN" $((HOLD_SECS * 1000)) "$dir" || return 1
  sleep $((HOLD_RUN - 2))
  read -r r1 p1 < <(mem_kib "${pid[$name]}")
  cur=$(awk -F';' 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next } { l = $0 }
        END { split(l, v, ";"); print v[c["CurrentCall"]] + 0 }' "$dir/stat.csv")
  finish_load
  read -r calls ok failed re got < <(sipp_totals "$dir/stat.csv")
  [ "$cur" -gt 0 ] || cur=1
  memres[$name]=$(awk -v r0="$r0" -v p0="$p0" -v r1="$r1" -v p1="$p1" -v c="$cur" -v ok="$ok" -v calls="$calls" \
    'BEGIN { printf "%d %.1f %.1f %.1f %.1f %.2f %.2f %d/%d", c, r0 / 1024, r1 / 1024, p0 / 1024, p1 / 1024,
             (r1 - r0) * 1024 / c / 1000, (p1 - p0) * 1024 / c / 1000, ok, calls }')
  [ "$name" = trunkline ] && echo "$ok" >> "$work/tl_ok"
  echo "$name ${memres[$name]}" > "$work/mem-$name.txt"
}

# ---------------------------------------------------------------- phase 2

run_step() {
  local name=$1 rate=$2 dir c0 c1 w0 w1 u0 u1 s0 s1 t0 t1 ws wl tcpd="" pc=""
  dir=$work/$name-$rate-$RANDOM; mkdir -p "$dir"
  c0=$(cpu_ticks "${pid[$name]}")
  run_load "$name" "$rate" "$STEP_SECS" 0 "$dir" || return 1
  ws=$((STEP_SECS / 4)); wl=$((STEP_SECS - 2 - ws))
  sleep "$ws"
  w0=$(cpu_ticks "${pid[$name]}"); u0=$(cpu_ticks "$uacpid"); s0=$(cpu_ticks "$uaspid"); t0=$(date +%s.%N)
  if [ "$PCAP_SECS" -gt 0 ]; then
    timeout $((PCAP_SECS + 1)) tcpdump -i lo -n -s 0 -B 16384 -w "$dir/x.pcap" \
      "udp and port $uacport" > /dev/null 2>&1 &
    tcpd=$!
  fi
  sleep "$wl"
  w1=$(cpu_ticks "${pid[$name]}"); u1=$(cpu_ticks "$uacpid"); s1=$(cpu_ticks "$uaspid"); t1=$(date +%s.%N)
  finish_load
  [ -n "$tcpd" ] && wait "$tcpd"
  c1=$(cpu_ticks "${pid[$name]}")
  kill -0 "${pid[$name]}" 2>/dev/null || echo "$name: the server died during the step" >&2
  if [ -s "$dir/x.pcap" ]; then
    pc=$(python3 "$KAM_DIR/pcap_latency.py" "$dir/x.pcap" "${port[$name]}" "$uacport" "$uasport" 2>/dev/null |
         awk '$1 == "e2e" { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
                            gsub(/us/, "", v["p50"]); gsub(/us/, "", v["p99"])
                            printf "%s/%s", v["p50"], v["p99"] }')
  fi
  read -r calls ok failed re got < <(sipp_totals "$dir/stat.csv")
  [ "$name" = trunkline ] && echo "$ok" >> "$work/tl_ok"
  awk -v name="$name" -v rate="$rate" -v hz="$HZ" -v secs="$STEP_SECS" -v calls="$calls" -v ok="$ok" \
      -v failed="$failed" -v re="$re" -v got="$got" -v c0="$c0" -v c1="$c1" -v w0="$w0" -v w1="$w1" \
      -v u0="$u0" -v u1="$u1" -v s0="$s0" -v s1="$s1" -v t0="$t0" -v t1="$t1" \
      -v rt="$(sipp_rtt "$dir")" -v pc="${pc:--}" 'BEGIN {
      asked = rate * secs; lost = asked - ok; lostpct = 100 * lost / asked
      us = ok ? (c1 - c0) / hz * 1e6 / ok : -1
      dt = t1 - t0; scpu = 100 * (w1 - w0) / hz / dt
      ucpu = 100 * (u1 - u0) / hz / dt; acpu = 100 * (s1 - s0) / hz / dt
      pass = (lostpct <= 0.1 && got >= 0.95 * rate) ? "ok" : "FAIL"
      printf "%-9s %6d %7.0f %7d %7.3f %7d %7.1f %5.0f %4.0f/%-4.0f %11s %13s %s\n",
        name, rate, got, lost, lostpct, re, us, scpu, ucpu, acpu, rt, pc, pass
      exit(pass == "ok" ? 0 : 1) }'
}

# ---------------------------------------------------------------- main

racing=()
for s in $SERVERS; do
  if "start_$s"; then racing+=("$s"); echo "$s: pid ${pid[$s]} on 127.0.0.1:${port[$s]}"; fi
done
[ ${#racing[@]} -gt 0 ] || { echo "no server could be started"; exit 1; }
echo "carrier (SIPp UAS) on 127.0.0.1:$uasport; setup took $((SECONDS - start)) s"

echo
echo "1. memory: $HOLD_RATE calls/s, ${HOLD_SECS} s holds, ${HOLD_RUN} s; sampled 2 s before the last call is placed"
echo "server   concurrent  RSS_MiB idle->load  PSS_MiB idle->load  kB/call RSS  kB/call PSS  ok/calls"
for s in "${racing[@]}"; do
  hold_phase "$s"
  memres[$s]=$(cut -d' ' -f2- "$work/mem-$s.txt" 2>/dev/null)
  awk '{ printf "%-9s %8d  %8.1f -> %-8.1f %8.1f -> %-8.1f %10.2f %12.2f  %s\n",
                           $1, $2, $3, $4, $5, $6, $7, $8, $9 }' "$work/mem-$s.txt"
done

echo
echo "2. rate steps of ${STEP_SECS} s: pass = <= 0.1 % of the asked calls not successful, >= 95 % of the rate"
printf "%-9s %6s %7s %7s %7s %7s %7s %5s %9s %11s %13s\n" server rate got lost "lost%" retrans \
  "us/call" "srv%" "uac/uas%" "sipp_ms" "pcap_us"
printf "%-9s %6s %7s %7s %7s %7s %7s %5s %9s %11s %13s\n" "" asked "call/s" "" "" "" server cpu cpu \
  "p50/p99/max" "p50/p99"
declare -A best
results=$work/results.txt; : > "$results"
for rate in $RATES; do
  next=()
  for s in "${racing[@]}"; do
    if [ $((SECONDS - start)) -ge "$BUDGET_SECS" ]; then echo "time budget reached"; break 2; fi
    if line=$(run_step "$s" "$rate"); then
      echo "$line" | tee -a "$results"; best[$s]=$rate; next+=("$s")
    else
      echo "$line" | tee -a "$results"
      if [ $((SECONDS - start)) -lt "$BUDGET_SECS" ] && line=$(run_step "$s" "$rate"); then
        echo "$line (retry)" | tee -a "$results"; best[$s]=$rate; next+=("$s")
      else
        echo "$line (retry)" | tee -a "$results"
      fi
    fi
  done
  racing=("${next[@]}")
  [ ${#racing[@]} -gt 0 ] || break
done

# ---------------------------------------------------------------- CDRs

cdr_line="-"
if [ -n "${pid[trunkline]:-}" ]; then
  kill -TERM "${pid[trunkline]}" 2>/dev/null
  for i in $(seq 1 300); do kill -0 "${pid[trunkline]}" 2>/dev/null || break; sleep 0.1; done
  wait "${pid[trunkline]}" 2>/dev/null
  tl_ok=$(awk '{ n += $1 } END { print n + 0 }' "$work/tl_ok" 2>/dev/null)
  read -r all answered < <(sqlite3 -separator ' ' "$work/trunkline.db" \
    "SELECT count(*), count(answer_ms) FROM cdrs")
  cdr_line="$all CDRs, $answered answered; SIPp counted $tl_ok successful calls: $( [ "$answered" -ge "$tl_ok" ] && echo OK || echo MISSING $((tl_ok - answered)))"
fi

echo
echo "summary ($(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg), took $((SECONDS - start)) s)"
awk -v bt="${best[trunkline]:-0}" -v bk="${best[kamailio]:-0}" -v mt="${memres[trunkline]:-}" \
    -v mk="${memres[kamailio]:-}" -v cdr="$cdr_line" '
  / ok/ { us[$1 " " $2] = $7; rt[$1 " " $2] = $10; pc[$1 " " $2] = $11 }
  function at(s, r, a) { return (s " " r) in a ? a[s " " r] : "-" }
  function ratio(a, b) { return (a + 0 > 0 && b + 0 > 0) ? sprintf("%.2f", a / b) : "-" }
  END {
    split(mt, t, " "); split(mk, k, " ")
    common = bt < bk ? bt : bk
    printf "%-36s %14s %14s %10s\n", "", "trunkline", "kamailio", "ratio"
    printf "%-36s %14s %14s %10s\n", "max calls/s (<= 0.1 % failed, 30 s)", bt, bk, ratio(bt, bk) " (t/k)"
    printf "%-36s %14s %14s %10s\n", "server CPU us/call at " common, at("trunkline", common, us),
      at("kamailio", common, us), ratio(at("kamailio", common, us), at("trunkline", common, us)) " (k/t)"
    printf "%-36s %14s %14s\n", "INVITE->200 SIPp ms p50/p99/max", at("trunkline", common, rt), at("kamailio", common, rt)
    printf "%-36s %14s %14s\n", "INVITE->200 capture us p50/p99", at("trunkline", common, pc), at("kamailio", common, pc)
    printf "%-36s %14s %14s %10s\n", "memory kB/concurrent call (RSS)", t[6], k[6], ratio(t[6], k[6]) " (t/k)"
    printf "%-36s %14s %14s %10s\n", "memory kB/concurrent call (PSS)", t[7], k[7], ratio(t[7], k[7]) " (t/k)"
    printf "%-36s %s\n", "trunkline CDRs", cdr
  }' "$results"
exit 0
