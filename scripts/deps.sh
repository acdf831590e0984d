#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Installs the Debian packages a target needs, when they are missing.
# usage: scripts/deps.sh run|test|fuzz|bench
# As root it runs apt-get itself; otherwise it prints the sudo line and fails.
set -eu
run_pkgs="build-essential cmake pkg-config libsqlite3-dev libssl-dev libmicrohttpd-dev libjansson-dev libcurl4-openssl-dev"
test_pkgs="$run_pkgs libcmocka-dev sip-tester python3 iproute2 iptables baresip chromium openssl"
fuzz_pkgs="$run_pkgs clang libclang-rt-14-dev"
bench_pkgs="$test_pkgs libosip2-dev rtpengine kamailio kamailio-sqlite-modules kamailio-extra-modules sqlite3 tcpdump curl"
case "${1:-run}" in
  run) pkgs=$run_pkgs ;;
  test) pkgs=$test_pkgs ;;
  fuzz) pkgs=$fuzz_pkgs ;;
  bench) pkgs=$bench_pkgs ;;
  *) echo "usage: $0 run|test|fuzz|bench" >&2; exit 2 ;;
esac
missing=""
# Node.js for the dashboard's build step and the browser tests: any
# packaged node with npm will do (Debian's, or NodeSource's nodejs that
# carries npm itself), so it is checked by command, not by package.
case "${1:-run}" in test|bench)
  command -v node >/dev/null 2>&1 || missing="$missing nodejs"
  command -v npm >/dev/null 2>&1 || missing="$missing npm" ;;
esac
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
  echo "installing:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing
else
  echo "missing Debian packages; run:" >&2
  echo "  sudo apt-get install -y$missing" >&2
  exit 1
fi
