#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# OPTIONS requests per second answered by trunkline, side by side with
# Kamailio answering OPTIONS statelessly, and with a SIPp UAS (the load
# generator's own ceiling), in one run: same SIPp scenario, same rate
# steps, same step length. The servers take turns at each rate step, so a
# drift of the machine's speed hits all alike.
#
# usage: bench/options/run.sh [BUILD_DIR]      (default: build-bench)
# env:   RATES="5000 10000 ..."  rate steps, requests/s (default below)
#        STEP_SECS=10            length of one step
#        SERVERS="trunkline kamailio sipp"   which ones, in this order
#        WORKERS=2               trunkline workers; KAM_CHILDREN=4
#        PROBE_RATE=200          precise-latency probe, requests/s (0: off)
#        BUDGET_SECS=540         no new step starts after this
#        KEEP=1                  keep the work directory (SIPp files, logs)
#
# A step passes when <= 0.1 % of the requests failed (no 200 within
# SIPp's receive timeout, or a wrong answer) and SIPp reached >= 95 % of
# the asked rate. A server leaves the race after a failed step that a
# retry also fails; its max is its last passing rate.
# Per step: achieved rate, failures, SIPp retransmissions, server CPU per
# request (utime+stime of its processes over the whole step / requests),
# server and SIPp CPU% (steady window), SIPp response times (coarse clock)
# and the probe's response times (CLOCK_MONOTONIC, microseconds).
#
# Everything on 127.0.0.1; only the processes this script starts are
# stopped, by PID. Exit status 0 unless the setup itself is broken.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build-bench}
build=$(cd "$build" 2>/dev/null && pwd) || { echo "run.sh: no build dir ${1:-build-bench}" >&2; exit 2; }
RATES=${RATES:-"1000 2500 5000 10000 15000 20000 25000 30000 40000"}
STEP_SECS=${STEP_SECS:-10}
SERVERS=${SERVERS:-"trunkline kamailio sipp"}
WORKERS=${WORKERS:-2}
KAM_CHILDREN=${KAM_CHILDREN:-4}
PROBE_RATE=${PROBE_RATE:-200}
BUDGET_SECS=${BUDGET_SECS:-540}
HZ=$(getconf CLK_TCK)
start=$SECONDS

for tool in sipp ss awk; do
  command -v $tool >/dev/null || { echo "run.sh: $tool not found (scripts/deps.sh bench)" >&2; exit 2; }
done
work=$(mktemp -d -t options-bench.XXXXXX) || exit 2
ours=()          # PIDs of the long-running processes we started
cleanup() {
  local p i
  for p in "${ours[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${ours[@]}"; do
    for i in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
  if [ -n "${KEEP:-}" ]; then echo "work files kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# free_port [udp|tcp]
. "$root/bench/lib.sh"

# Wait until PID listens on 127.0.0.1:PORT/udp (max 10 s).
wait_listen() {
  local pid=$1 port=$2 i
  for i in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || return 1
    [ -n "$(ss -ulnH "sport = :$port")" ] && return 0
    sleep 0.1
  done
  return 1
}

# utime+stime clock ticks of PID, its threads and its direct children
# (Kamailio's workers are children of its main process).
cpu_ticks() {
  cat /proc/[0-9]*/stat 2>/dev/null |
    awk -v root="$1" '{ pid = $1; sub(/^.*\) /, "")
                        if (pid == root || $2 == root) t += $12 + $13 } END { print t + 0 }'
}

declare -A port pid
# ---------------------------------------------------------------- servers

start_trunkline() {
  local bin=$build/trunkline conf=$work/trunkline.conf p
  [ -x "$bin" ] || { echo "trunkline: no binary at $bin (not built yet?)"; return 1; }
  p=$(free_port) || return 1
  # Only what the daemon needs to answer OPTIONS on one UDP port.
  cat > "$conf" <<EOF
[sip]
listen = udp:127.0.0.1:$p
workers = $WORKERS

[log]
level = warn
EOF
  "$bin" -c "$conf" > "$work/trunkline.log" 2>&1 &
  pid[trunkline]=$!; ours+=($!); port[trunkline]=$p
  wait_listen "${pid[trunkline]}" "$p" ||
    { echo "trunkline did not come up:"; tail -5 "$work/trunkline.log"; return 1; }
}

start_kamailio() {
  local p
  command -v kamailio >/dev/null || { echo "kamailio: not installed"; return 1; }
  p=$(free_port) || return 1
  mkdir -p "$work/kamailio"
  kamailio -DD -E -f "$here/kamailio-options.cfg" -n "$KAM_CHILDREN" -m 64 -M 8 \
    -x tlsf -X tlsf -Y "$work/kamailio" -P "$work/kamailio/kamailio.pid" \
    -A "LISTEN_ADDR=udp:127.0.0.1:$p" > "$work/kamailio.log" 2>&1 &
  pid[kamailio]=$!; ours+=($!); port[kamailio]=$p
  wait_listen "${pid[kamailio]}" "$p" ||
    { echo "kamailio did not come up:"; tail -5 "$work/kamailio.log"; return 1; }
}

start_sipp() {
  local p
  p=$(free_port) || return 1
  mkdir -p "$work/uas"
  (cd "$work/uas" && exec sipp -sf "$here/options_uas.xml" -i 127.0.0.1 -p "$p" -t u1 \
     -buff_size 4194304 -max_recv_loops 10000 -timeout "${BUDGET_SECS}s" \
     < /dev/null > /dev/null 2> uas.stderr) &
  pid[sipp]=$!; ours+=($!); port[sipp]=$p
  wait_listen "${pid[sipp]}" "$p" || { echo "sipp uas did not come up"; return 1; }
}

# ---------------------------------------------------------------- one step

# run_step NAME RATE -> prints one result line, returns 0 when it passed
run_step() {
  local name=$1 rate=$2 dir calls lp c0 c1 w0 w1 u0 u1 t0 t1 ws wl spid probe=""
  dir=$work/$name-$rate-$RANDOM; mkdir -p "$dir"
  calls=$((rate * STEP_SECS))
  lp=$(free_port) || return 1
  c0=$(cpu_ticks "${pid[$name]}")
  (cd "$dir" && exec sipp "127.0.0.1:${port[$name]}" -sf "$here/options_uac.xml" \
     -i 127.0.0.1 -p "$lp" -t u1 -buff_size 4194304 -r "$rate" -rp 1000 -m "$calls" \
     -l 200000 -recv_timeout 3000 -timeout $((STEP_SECS + 15))s \
     -max_recv_loops 10000 -max_sched_loops 10000 \
     -trace_stat -stf stat.csv -fd 1 -trace_rtt -rtt_freq 1000 \
     < /dev/null > /dev/null 2> sipp.stderr) &
  spid=$!
  # steady window: the middle 3/5 of the step
  ws=$(awk -v d="$STEP_SECS" 'BEGIN { print d / 5 }')
  wl=$(( STEP_SECS * 3 / 5 > 1 ? STEP_SECS * 3 / 5 : 1 ))
  sleep "$ws"
  if [ "$PROBE_RATE" -gt 0 ] && [ -x "$build/bench/options_probe" ]; then
    timeout 30 "$build/bench/options_probe" 127.0.0.1 "${port[$name]}" "$PROBE_RATE" "$wl" \
      > "$dir/probe.txt" 2>&1 &
    probe=$!
  fi
  w0=$(cpu_ticks "${pid[$name]}"); u0=$(cpu_ticks "$spid"); t0=$(date +%s.%N)
  sleep "$wl"
  w1=$(cpu_ticks "${pid[$name]}"); u1=$(cpu_ticks "$spid"); t1=$(date +%s.%N)
  wait "$spid"
  [ -n "$probe" ] && wait "$probe"
  c1=$(cpu_ticks "${pid[$name]}")
  kill -0 "${pid[$name]}" 2>/dev/null || echo "$name: the server died during the step" >&2
  # stat.csv: the last row holds the totals; rtt file: one line per request
  awk -F';' -v name="$name" -v rate="$rate" -v hz="$HZ" \
      -v c0="$c0" -v c1="$c1" -v w0="$w0" -v w1="$w1" -v u0="$u0" -v u1="$u1" \
      -v t0="$t0" -v t1="$t1" -v probe="$(cat "$dir/probe.txt" 2>/dev/null)" \
      -v rttfile="$(ls "$dir"/*_rtt.csv 2>/dev/null | head -1)" '
    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    { last = $0 }
    END {
      n = split(last, v, ";")
      out = v[col["OutgoingCall(C)"]] + 0; ok = v[col["SuccessfulCall(C)"]] + 0
      bad = v[col["FailedCall(C)"]] + 0; re = v[col["Retransmissions(C)"]] + 0
      got = v[col["CallRate(C)"]] + 0
      asked = rate * '"$STEP_SECS"'
      lostpct = asked ? 100 * (asked - ok) / asked : 100
      us = ok ? (c1 - c0) / hz * 1e6 / ok : -1
      dt = t1 - t0; scpu = dt > 0 ? 100 * (w1 - w0) / hz / dt : -1
      ucpu = dt > 0 ? 100 * (u1 - u0) / hz / dt : -1
      m = 0
      if (rttfile != "") {
        cmd = "tail -n +2 \"" rttfile "\" | cut -d\\; -f2 | sort -n"
        while ((cmd | getline x) > 0) r[++m] = x + 0
        close(cmd)
      }
      p50 = m ? r[int(0.5 * (m - 1)) + 1] : -1; p99 = m ? r[int(0.99 * (m - 1)) + 1] : -1
      mx = m ? r[m] : -1
      pp = "-"
      if (probe ~ /^probe /) {
        split(probe, f, " "); for (i in f) { split(f[i], kv, "="); pr[kv[1]] = kv[2] }
        pp = sprintf("%s/%s/%s/%s%s", pr["p50_us"], pr["p90_us"], pr["p99_us"], pr["max_us"],
                     pr["lost"] > 0 ? " lost " pr["lost"] : "")
      }
      pass = (lostpct <= 0.1 && got >= 0.95 * rate) ? "ok" : "FAIL"
      printf "%-9s %6d %8.0f %8d %7.3f %7d %8.1f %6.0f %6.0f %9s %-26s %s\n",
        name, rate, got, asked - ok, lostpct, re, us, scpu, ucpu,
        sprintf("%d/%d/%d", p50, p99, mx), pp, pass
      exit(pass == "ok" ? 0 : 1)
    }' "$dir/stat.csv" 2>/dev/null || return 1
}

# ---------------------------------------------------------------- main

echo "options bench: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "sipp $(sipp -v 2>/dev/null | grep -o 'v[0-9][^ ]*' | head -1), kamailio $(kamailio -v 2>/dev/null | head -1 | awk '{print $3}'), trunkline workers=$WORKERS, kamailio children=$KAM_CHILDREN"
echo "steps: $RATES requests/s, ${STEP_SECS} s each; pass = <= 0.1 % failed and >= 95 % of the rate reached"
racing=()
for s in $SERVERS; do
  if "start_$s"; then racing+=("$s"); echo "$s: pid ${pid[$s]} on 127.0.0.1:${port[$s]}"; fi
done
[ ${#racing[@]} -gt 0 ] || { echo "no server could be started"; exit 1; }
echo
printf "%-9s %6s %8s %8s %7s %7s %8s %6s %6s %9s %-26s %s\n" server rate got failed "fail%" retrans \
  "us/req" "srv%" "sipp%" "rt_ms" "probe_us p50/p90/p99/max" ""
printf "%-9s %6s %8s %8s %7s %7s %8s %6s %6s %9s %-26s\n" "" "asked" "req/s" "" "" "" "server" "cpu" "cpu" \
  "p50/99/mx" "(precise, under load)"
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
      # one retry: a single noisy step should not decide the max
      if line=$(run_step "$s" "$rate"); then
        echo "$line (retry)" | tee -a "$results"; best[$s]=$rate; next+=("$s")
      else
        echo "$line (retry)" | tee -a "$results"
      fi
    fi
  done
  racing=("${next[@]}")
  [ ${#racing[@]} -gt 0 ] || break
done

echo
echo "max rate with <= 0.1 % failed (last passing step; 'still passing' = bounded by the steps):"
for s in $SERVERS; do
  [ -n "${pid[$s]:-}" ] || continue
  cpu=$(awk -v s="$s" -v r="${best[$s]:-0}" '$1 == s && $2 == r && / ok/ { u = $7 } END { print u }' "$results")
  still=""; for x in "${racing[@]}"; do [ "$x" = "$s" ] && still=" (still passing)"; done
  printf "  %-9s %6s req/s%s, %s us server CPU per request at that rate\n" "$s" "${best[$s]:-none}" "$still" "${cpu:--}"
done
if [ -n "${best[trunkline]:-}" ] && [ -n "${best[kamailio]:-}" ]; then
  awk -v a="${best[trunkline]}" -v b="${best[kamailio]}" 'BEGIN { printf "  ratio trunkline/kamailio (max rate): %.2f\n", a / b }'
  # CPU per request at the highest rate both passed: the fairer ratio when SIPp is the limit
  awk '/ ok/ { u[$1 " " $2] = $7; if ($1 == "trunkline") t[$2] = 1; if ($1 == "kamailio") k[$2] = 1 }
       END { for (r in t) if (r in k && r + 0 > m) m = r + 0
             if (m) printf "  CPU per request at %d req/s: kamailio %.1f us, trunkline %.1f us, ratio kamailio/trunkline %.2f\n",
                m, u["kamailio " m], u["trunkline " m], u["kamailio " m] / u["trunkline " m] }' "$results"
fi
echo "(took $((SECONDS - start)) s)"
exit 0
