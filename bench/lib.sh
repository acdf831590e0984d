# SPDX-License-Identifier: GPL-2.0-or-later
# Shell helpers the benchmark scripts share (sourced, not run).

# A port on 127.0.0.1 nobody uses: free_port [udp|tcp] (default udp).
free_port() {
  local p i proto=${1:-udp}
  for i in $(seq 1 100); do
    p=$((20000 + RANDOM % 30000))
    [ -z "$(ss -${proto:0:1}anH "sport = :$p")" ] && { echo $p; return 0; }
  done
  return 1
}
