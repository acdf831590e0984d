#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Provision a Trunkline database with the rate deck of the Kamailio
termination benchmark, read from the SQLite file its gen_data.py wrote.

usage: provision.py TRUNKLINE_BIN KAM_SQLITE TRUNKLINE_DB GW_HOST:PORT

Same data as the Kamailio side:
  - every lcr_rule prefix (100,000) gets a rate in each of the 3 carriers'
    decks; the carrier that Kamailio tries first (lcr_rule_target priority
    1) is the cheapest for that prefix, priority 2 next, priority 3 last,
    so least-cost order = Kamailio's per-prefix carrier order;
  - the 3 carriers' gateways are all GW_HOST:PORT (the SIPp UAS);
  - customer "bench", IP-authenticated from 127.0.0.1/32 (trunk
    "bench-ip"), a tariff priced above every cost (1..9 -> 0.05/min), a
    channel limit high enough never to refuse (1,000,000) and no CPS limit
    in the way (1,000,000): the channels are counted, not refused.
Numbers arrive as dialled E.164 digits without "+"; the customer's
country is irrelevant for them (international format), the carriers
want plain e164.
Uses only `trunkline db` (the documented provisioning path).
"""
import os, sqlite3, subprocess, sys, tempfile, time

tl, kam, db, gw = sys.argv[1:5]
RATE = {1: "0.010000", 2: "0.011000", 3: "0.012000"}   # per priority


def tldb(*args):
    r = subprocess.run([tl, "db", *args, "--db", db], capture_output=True, text=True)
    if r.returncode:
        sys.exit(f"trunkline db {' '.join(args)}: {r.stderr.strip()}")
    return r.stdout.strip()


t0 = time.time()
src = sqlite3.connect(kam)
gws = {row[0]: row[1] for row in src.execute("SELECT id, gw_name FROM lcr_gw")}
decks = {g: [] for g in gws}
for prefix, gw_id, prio in src.execute(
        "SELECT r.prefix, t.gw_id, t.priority FROM lcr_rule r JOIN lcr_rule_target t"
        " ON t.rule_id = r.id ORDER BY r.id, t.priority"):
    decks[gw_id].append(f"{prefix},{RATE[prio]},0,60/60,\n")
src.close()

tldb("init")
tldb("tariff", "add", "bench-retail", "--currency", "EUR")
with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
    f.write("prefix,rate,connect_fee,increments,effective_from\n")
    for d in range(1, 10):
        f.write(f"{d},0.050000,0,60/60,\n")
    tariff_csv = f.name
tldb("rate", "import", "--tariff", "bench-retail", tariff_csv)
os.unlink(tariff_csv)
tldb("customer", "add", "bench", "--country", "GB", "--tariff", "bench-retail",
     "--credit-limit", "1000000", "--balance", "1000000",
     "--max-channels", "1000000", "--max-cps", "1000000")
tldb("trunk", "add", "bench-ip", "--customer", "bench", "--cidr", "127.0.0.1/32")
for gid in sorted(gws):
    name = gws[gid]
    tldb("carrier", "add", name, "--priority", str(gid), "--format", "e164",
         "--max-channels", "1000000")
    tldb("gateway", "add", name, gw, "--transport", "udp")
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
        f.write("prefix,rate,connect_fee,increments,effective_from\n")
        f.writelines(decks[gid])
        path = f.name
    tldb("rate", "import", "--carrier", name, path)
    os.unlink(path)
print(f"provisioned {db}: {sum(len(d) for d in decks.values())} carrier rates over "
      f"{len(gws)} carriers, gateway {gw}, in {time.time() - t0:.1f} s")
