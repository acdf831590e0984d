#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""trunkctl tests: the CLI run against a daemon started with a fresh
temporary database and an API token (the REST API tests' helpers), one
daemon per test so CTest may run them in parallel.

    run.py --trunkline PATH --trunkctl PATH [--completion FILE] TEST
    run.py --list

Exit status: 0 pass, 1 fail. Standard library only.
"""

import argparse
import csv
import importlib.util
import io
import json
import os
import pty
import re
import shutil
import subprocess
import sys
import types

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    "api_run", os.path.join(HERE, "..", "api", "run.py"))
api = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(api)
Fail, check, ok = api.Fail, api.check, api.ok

TESTS = {}


def test(fn):
    TESTS[fn.__name__[len("t_"):]] = fn
    return fn


class Cli:
    """The daemon (api.Ctx) and trunkctl pointed at it."""

    def __init__(self, args):
        self.ctx = api.Ctx(types.SimpleNamespace(trunkline=args.trunkline, openapi=None))
        self.bin = os.path.abspath(args.trunkctl)
        self.completion = args.completion
        self.home = os.path.join(self.ctx.tmp, "home")
        os.makedirs(self.home)
        self.env = dict(os.environ)
        for k in ("TRUNKCTL_SERVER", "TRUNKCTL_TOKEN", "TRUNKCTL_CONFIG", "XDG_CONFIG_HOME"):
            self.env.pop(k, None)
        self.env["HOME"] = self.home

    def start(self, **kw):
        self.ctx.start(**kw)
        self.env["TRUNKCTL_SERVER"] = "http://127.0.0.1:%d" % self.ctx.port
        self.env["TRUNKCTL_TOKEN"] = self.ctx.token

    def run(self, *args, expect=0, env=None, stdin=None):
        """trunkctl ARGS; checks the exit code; returns (stdout, stderr)."""
        p = subprocess.run([self.bin] + list(args), capture_output=True, text=True,
                           env=env or self.env, cwd=self.ctx.tmp, timeout=120, input=stdin)
        for m in api.SAN_MARKERS:
            check(m not in p.stdout + p.stderr, "sanitizer report:\n" + p.stderr)
        check(p.returncode == expect, "`trunkctl %s` exited %d, expected %d:\n%s%s"
              % (" ".join(args), p.returncode, expect, p.stdout, p.stderr))
        return p.stdout, p.stderr

    def out(self, *args, **kw):
        return self.run(*args, **kw)[0]

    def js(self, *args, **kw):
        o = self.out("--json", *args, **kw)
        try:
            return json.loads(o)
        except ValueError:
            raise Fail("`trunkctl --json %s` is not JSON: %r" % (" ".join(args), o[:500]))

    def err(self, code, *args, **kw):
        return self.run(*args, expect=code, **kw)[1]

    def file(self, name, text):
        path = os.path.join(self.ctx.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path


def table(text):
    """Rows of an aligned table (split on runs of 2+ spaces)."""
    return [re.split(r"\s{2,}", line.strip()) for line in text.strip().splitlines()]


# ------------------------------------------------------------------ tests

@test
def t_usage(t):
    """Usage errors (2), --help on every command and subcommand (0, no
    server needed), completion."""
    e = t.err(2)
    check("Usage: trunkctl" in e, e)
    check("customers" in t.out("--help") and "Exit status" in t.out("help"), "main help")
    check("unknown command 'frobnicate'" in t.err(2, "frobnicate"), "unknown command")
    cmds = {"customers": "list get add update delete", "trunks": "list get add update delete",
            "trunk-uris": "list get add update delete", "carriers": "list get add update delete",
            "gateways": "list get add update delete", "tariffs": "list get add update delete",
            "numbers": "list get add update delete add-range",
            "rates": "list get add update delete import", "route": "explain",
            "cdr": "list get", "calls": "list show hangup"}
    for cmd, subs in cmds.items():
        o = t.out(cmd, "--help")
        check("Usage: trunkctl " + cmd in o, "%s --help: %r" % (cmd, o))
        for sub in subs.split():
            o = t.out(cmd, sub, "--help")
            check(o.startswith("Usage: trunkctl %s" % cmd) and (sub in o or cmd == "calls"),
                  "%s %s --help: %r" % (cmd, sub, o))
        if cmd not in ("cdr", "calls"):
            check("Usage" in t.err(2, cmd), "%s without a subcommand" % cmd)
            check("unknown command 'nope'" in t.err(2, "--server", "x", "--token", "y", cmd,
                                                    "nope"), cmd)
    for cmd in ("health", "completion", "stats"):
        check("Usage: trunkctl " + cmd in t.out(cmd, "--help"), cmd)
    check("-h, --help" in t.out("customers", "add", "-h"), "-h")
    # no server, no token: clear errors naming the three places
    env = dict(t.env)
    e = t.err(2, "customers", "list", env=env)
    check("no server" in e and "--server" in e and "TRUNKCTL_SERVER" in e
          and ".config/trunkctl/config" in e, e)
    e = t.err(2, "--server", "http://127.0.0.1:1", "customers", "list", env=env)
    check("no API token" in e and "TRUNKCTL_TOKEN" in e, e)
    # options: unknown, missing value, bad integer, wrong positionals
    S = ["--server", "http://127.0.0.1:1", "--token", "x"]
    check("unknown option '--colour'" in t.err(2, *S, "customers", "add", "a", "--colour", "red"),
          "unknown option")
    check("needs a value" in t.err(2, *S, "customers", "list", "--name"), "value")
    check("--max-channels" in t.err(2, *S, "customers", "add", "a", "--max-channels", "lots"),
          "bad int")
    t.err(2, *S, "customers", "get")
    t.err(2, *S, "customers", "get", "1", "2")
    t.err(2, *S, "customers", "update", "1")          # nothing to change
    t.err(2, *S, "rates", "list")                      # no --carrier / --tariff
    t.err(2, *S, "rates", "list", "--carrier", "1", "--tariff", "1")
    t.err(2, *S, "route", "explain", "+441")           # no --customer
    t.err(2, *S, "route", "explain", "--customer", "x")
    t.err(2, *S, "numbers", "add-range", "+1")
    t.err(2, *S, "cdr", "--csv", "--all")
    t.err(2, *S, "calls", "--watch", "0")
    t.err(2, *S, "calls", "hangup")                    # no id
    t.err(2, *S, "calls", "show", "x1")
    t.err(2, *S, "calls", "frob")
    t.err(2, *S, "stats", "--carrier", "1", "--customer", "1")
    t.err(2, *S, "rates", "import", "--carrier", "1", "/nonexistent.csv")
    t.err(2, "completion", "zsh")
    # a server that does not answer: 1
    check("Couldn't connect" in t.err(1, *S, "customers", "list"), "network error")
    # completion: the committed script is the generated one, and valid bash
    comp = t.out("completion", "bash")
    check("complete -F _trunkctl trunkctl" in comp and "add-range" in comp, comp[:300])
    if t.completion:
        with open(t.completion) as f:
            check(f.read() == comp, "tools/trunkctl/trunkctl.bash differs from "
                  "`trunkctl completion bash`: regenerate it")
    p = subprocess.run(["bash", "-n"], input=comp, text=True, capture_output=True)
    check(p.returncode == 0, "completion script: " + p.stderr)
    # and it completes: commands, subcommands, options
    script = comp + r'''
COMP_WORDS=(trunkctl cus); COMP_CWORD=1; _trunkctl; echo "1:${COMPREPLY[*]}"
COMP_WORDS=(trunkctl numbers a); COMP_CWORD=2; _trunkctl; echo "2:${COMPREPLY[*]}"
COMP_WORDS=(trunkctl customers add --max-c); COMP_CWORD=3; _trunkctl; echo "3:${COMPREPLY[*]}"
'''
    p = subprocess.run(["bash", "-c", script], text=True, capture_output=True)
    check("1:customers" in p.stdout and "2:add add-range" in p.stdout
          and "3:--max-channels --max-cps" in p.stdout, p.stdout + p.stderr)


@test
def t_auth(t):
    """Where the server and token come from, in order; a wrong token is 5."""
    t.start()
    srv, tok = t.env["TRUNKCTL_SERVER"], t.env["TRUNKCTL_TOKEN"]
    e = t.err(5, "--token", "tl_wrong", "customers", "list")
    check("401" in e and "token" in e, e)
    t.err(5, "customers", "list", env=dict(t.env, TRUNKCTL_TOKEN="tl_wrong"))
    # health needs no token
    check("ok" in t.out("health", env=dict(t.env, TRUNKCTL_TOKEN="")), "health")
    check(t.js("health")["status"] == "ok", "health json")
    base = {k: v for k, v in t.env.items() if not k.startswith("TRUNKCTL_")}
    # config file only (default place under $HOME)
    cdir = os.path.join(t.home, ".config", "trunkctl")
    os.makedirs(cdir)
    conf = os.path.join(cdir, "config")
    with open(conf, "w") as f:
        f.write("# trunkctl\n[trunkctl]\nserver = %s\ntoken = %s\n" % (srv.replace("http://", ""), tok))
    os.chmod(conf, 0o600)
    o, e = t.run("customers", "list", env=base)
    check("demo" in o and "warning" not in e, o + e)
    # a readable token file gets a warning
    os.chmod(conf, 0o644)
    check("others may read it" in t.run("customers", "list", env=base)[1], "mode warning")
    os.chmod(conf, 0o600)
    # environment over the file; flags over the environment
    with open(conf, "w") as f:
        f.write("server = http://127.0.0.1:1\ntoken = tl_wrong\n")
    t.run("customers", "list", env=dict(base, TRUNKCTL_SERVER=srv, TRUNKCTL_TOKEN=tok))
    t.err(5, "customers", "list", env=dict(base, TRUNKCTL_SERVER=srv))   # token from the file
    t.err(1, "customers", "list", env=dict(base, TRUNKCTL_TOKEN=tok))    # server from the file
    t.run("--server", srv, "customers", "list", env=dict(base, TRUNKCTL_TOKEN=tok))
    t.run("--server", srv, "--token", tok, "customers", "list",
          env=dict(base, TRUNKCTL_SERVER="http://127.0.0.1:1", TRUNKCTL_TOKEN="tl_wrong"))
    t.run("customers", "list", "--server=" + srv, "--token=" + tok, env=base)  # anywhere
    # --config FILE (and a missing one is an error)
    other = t.file("other.conf", "server=%s/\ntoken=%s\n" % (srv, tok))
    os.chmod(other, 0o600)
    t.run("--config", other, "customers", "list", env=base)
    check("cannot read the config file" in t.err(2, "--config", "/nonexistent", "customers",
                                                  "list", env=base), "missing config")
    bad = t.file("bad.conf", "server\n")
    check("bad.conf:1:" in t.err(2, "--config", bad, "customers", "list", env=base), "bad conf")
    t.ctx.stop()


@test
def t_customers(t):
    t.start(demo=False)
    o = t.out("customers", "add", "acme", "--country", "gb", "--credit-limit", "10.5",
              "--balance", "-2.25", "--max-channels", "5")
    check(re.fullmatch(r"added customer \d+ acme\n", o), o)
    cid = t.out("-q", "customers", "add", "beta", "--disabled").strip()
    check(cid.isdigit(), cid)
    rows = table(t.out("customers", "list"))
    check(rows[0][:3] == ["id", "name", "country"], rows[0])
    check(rows[1][1:4] == ["acme", "GB", "-"] and "10.5" in rows[1] and "-2.25" in rows[1]
          and rows[1][-1] == "yes", rows[1])
    check(rows[2][1] == "beta" and rows[2][-1] == "no", rows[2])
    # aligned: every row's columns start at the same offsets as the header's
    lines = t.out("customers", "list").splitlines()
    check(lines[1].index("acme") == lines[0].index("name") and
          lines[2].index("beta") == lines[0].index("name"), "not aligned:\n" + "\n".join(lines))
    # filters
    rows = table(t.out("customers", "list", "--disabled"))
    check([r[1] for r in rows[1:]] == ["beta"], rows)
    check([r[1] for r in table(t.out("customers", "list", "--name", "acme"))[1:]] == ["acme"], "name")
    # --json parses; get by id or by name
    j = t.js("customers", "list")
    check([x["name"] for x in j["items"]] == ["acme", "beta"] and "next_cursor" in j, j)
    g = t.js("customers", "get", "acme")
    check(g["credit_limit"] == "10.5" and g["country"] == "GB", g)
    check(t.js("customers", "get", cid)["name"] == "beta", "by id")
    kv = dict(r[:2] for r in table(t.out("customers", "get", "acme"))[1:])
    check(kv["name"] == "acme" and kv["balance"] == "-2.25" and kv["enabled"] == "yes", kv)
    # update: only the fields given; '' clears
    check("updated customer" in t.out("customers", "update", "acme", "--max-cps", "3",
                                      "--country", ""), "update")
    g = t.js("customers", "get", "acme")
    check(g["max_cps"] == 3 and g["country"] is None and g["max_channels"] == 5, g)
    check(t.js("customers", "update", cid, "--enabled")["enabled"] is True, "enable")
    # tariffs by name
    t.out("tariffs", "add", "retail", "--currency", "GBP")
    check(t.js("customers", "update", "acme", "--tariff", "retail")["tariff_id"] == 1, "tariff ref")
    check("no name 'nope'" in t.err(3, "customers", "update", "acme", "--tariff", "nope"), "ref")
    # validation: exit 4 and the fields named
    e = t.err(4, "customers", "add", "x", "--country", "XX", "--credit-limit", "1.1234567")
    check("country (--country): unknown country" in e and "credit_limit (--credit-limit)" in e
          and "at most 6 decimals" in e, e)
    check("422" in e, e)
    e = t.err(4, "customers", "add", "acme")
    check("409" in e, e)
    d = json.loads(t.run("--json", "customers", "add", "acme", expect=4)[0])
    check(d["status"] == 409, d)
    # not found: 3
    t.err(3, "customers", "get", "999")
    t.err(3, "customers", "get", "nobody")
    t.err(3, "customers", "delete", "999")
    # paging
    for i in range(5):
        t.out("customers", "add", "p%d" % i)
    o, e = t.run("customers", "list", "--limit", "2")
    check(len(table(o)) == 3 and "--cursor 2" in e, o + e)
    check([r[1] for r in table(t.out("customers", "list", "--limit", "2", "--cursor", "2"))[1:]]
          == ["p0", "p1"], "cursor")
    j = t.js("customers", "list", "--all", "--limit", "2")
    check(len(j["items"]) == 7 and j["next_cursor"] is None, j)
    check(len(table(t.out("customers", "list", "-a", "--limit", "3"))) == 8, "all table")
    t.err(2, "customers", "list", "--limit", "0")   # 400 from the server: usage
    # delete
    p0, p1 = t.js("customers", "get", "p0")["id"], t.js("customers", "get", "p1")["id"]
    check(t.out("customers", "delete", "p0") == "deleted customer %d\n" % p0, "delete")
    check(t.js("customers", "delete", str(p1)) == {"deleted": p1}, "delete json")
    t.err(3, "customers", "get", "p0")
    t.ctx.stop()


@test
def t_trunks(t):
    t.start(demo=False)
    t.out("customers", "add", "acme")
    o = t.out("trunks", "add", "pbx", "--customer", "acme", "--cidrs", "192.0.2.0/24",
              "--username", "acme", "--password", "s3cret", "--tech-prefix", "1234")
    check(o.startswith("added trunk 1 pbx"), o)
    rows = table(t.out("trunks", "list", "--customer", "acme"))
    check(rows[1][2] == "pbx" and rows[1][3] == "192.0.2.0/24" and rows[1][4] == "acme", rows)
    check("s3cret" not in t.out("--json", "trunks", "get", "pbx"), "password shown")
    check(t.js("trunks", "update", "pbx", "--max-channels", "9")["max_channels"] == 9, "update")
    e = t.err(4, "trunks", "add", "bad", "--customer", "acme", "--cidrs", "300.0.0.0/8")
    check("cidrs (--cidrs)" in e, e)
    e = t.err(4, "trunks", "add", "nocust")
    check("customer_id (--customer)" in e, e)
    # trunk URIs
    o = t.out("trunk-uris", "add", "sip:pbx.example.com:5060;transport=tcp", "--trunk", "pbx",
              "--weight", "2")
    check(o.startswith("added trunk URI 1 sip:pbx.example.com"), o)
    rows = table(t.out("trunk-uris", "list", "--trunk", "pbx"))
    check(rows[1][1:] == ["1", "sip:pbx.example.com:5060;transport=tcp", "0", "2"], rows)
    check(t.js("trunk-uris", "update", "1", "--priority", "3")["priority"] == 3, "uri update")
    check("uri (--uri)" in t.err(4, "trunk-uris", "add", "mailto:x", "--trunk", "pbx"), "bad uri")
    t.err(2, "trunk-uris", "get", "pbx")         # ids only
    t.out("trunk-uris", "delete", "1")
    t.err(3, "trunk-uris", "get", "1")
    t.out("trunks", "delete", "pbx")
    check(t.js("trunks", "list")["items"] == [], "deleted")
    t.ctx.stop()


@test
def t_carriers(t):
    t.start(demo=False)
    o = t.out("carriers", "add", "up1", "--cidrs", "198.51.100.0/24", "--priority", "1",
              "--number-format", "+e164", "--max-channels", "200")
    check(o.startswith("added carrier 1 up1"), o)
    o = t.out("gateways", "add", "198.51.100.10", "--carrier", "up1", "--port", "5070",
              "--transport", "tcp")
    check(o.startswith("added gateway 1 198.51.100.10"), o)
    rows = table(t.out("gateways", "list", "--carrier", "up1"))
    check(rows[0][:4] == ["id", "carrier_id", "host", "port"] and
          rows[1][:5] == ["1", "1", "198.51.100.10", "5070", "tcp"], rows)
    check(table(t.out("carriers", "list"))[1][1:4] == ["up1", "198.51.100.0/24", "1"], "carriers")
    check(t.js("carriers", "update", "up1", "--disabled")["enabled"] is False, "disable")
    check(t.js("gateways", "update", "1", "--weight", "7")["weight"] == 7, "gw update")
    check("number_format (--number-format)" in
          t.err(4, "carriers", "add", "x", "--number-format", "weird"), "format")
    check("transport (--transport)" in
          t.err(4, "gateways", "add", "10.0.0.1", "--carrier", "up1", "--transport", "sctp"), "tp")
    t.err(3, "gateways", "add", "10.0.0.1", "--carrier", "nope")
    t.out("gateways", "delete", "1")
    t.out("carriers", "delete", "up1")
    t.err(3, "carriers", "get", "up1")
    # tariffs
    check(t.out("tariffs", "add", "retail", "--currency", "GBP").startswith("added tariff 1"), "t")
    check(table(t.out("tariffs", "list"))[1] == ["1", "retail", "GBP"], "tariffs list")
    check(t.js("tariffs", "update", "retail", "--currency", "EUR")["currency"] == "EUR", "cur")
    t.out("tariffs", "delete", "retail")
    t.ctx.stop()


@test
def t_numbers(t):
    t.start(demo=False)
    t.out("customers", "add", "acme", "--country", "GB")
    t.out("trunks", "add", "pbx", "--customer", "acme", "--cidrs", "192.0.2.1")
    o = t.out("numbers", "add", "+442071234567", "--customer", "acme", "--trunk", "pbx")
    check(o.startswith("added number 1 +442071234567"), o)
    # a bad E.164: 4, naming the field
    e = t.err(4, "numbers", "add", "+99912", "--customer", "acme")
    check("e164 (--e164)" in e and "422" in e, e)
    d = json.loads(t.run("--json", "numbers", "add", "12ab", "--customer", "acme", expect=4)[0])
    check(d["errors"][0]["field"] == "e164", d)
    t.err(4, "numbers", "add", "+442071234567", "--customer", "acme")   # 409 held
    # a range
    o = t.out("numbers", "add-range", "+442079460000", "+442079460099", "--customer", "acme",
              "--trunk", "pbx")
    check(o == "added 100 numbers +442079460000 .. +442079460099 (first id 2)\n", o)
    e = t.err(4, "numbers", "add-range", "+442079459990", "+442079460005", "--customer", "acme")
    check("409" in e and "+442079460000" in e, e)
    e = t.err(4, "numbers", "add-range", "+442079460010", "+442079460001", "--customer", "acme")
    check("to (--to)" in e, e)
    j = t.js("numbers", "add-range", "+442079470000", "+442079470001", "--customer", "1")
    check(j["count"] == 2, j)
    check(len(t.js("numbers", "list", "--customer", "acme", "--all")["items"]) == 103, "list")
    rows = table(t.out("numbers", "list", "--e164", "+442071234567"))
    check(len(rows) == 2 and rows[1][1] == "+442071234567" and rows[1][3] == "1", rows)
    # by number instead of id
    check(t.js("numbers", "get", "+442079460005")["id"] == 7, "get by e164")
    check(t.js("numbers", "update", "+442071234567", "--delivery-uri", "sip:r@192.0.2.20",
               "--trunk", "")["trunk_id"] is None, "update")
    t.out("numbers", "delete", "+442071234567")
    t.err(3, "numbers", "get", "+442071234567")
    t.ctx.stop()


DECK = """prefix,rate,connect_fee,increments,effective_from
44,0.010,0,60/60,2025-02-01
447,0.030,0,60/60,2025-02-01
1,0.005,0,6/6,
"""


@test
def t_rates(t):
    t.start(demo=False)
    t.out("carriers", "add", "up1")
    t.out("tariffs", "add", "retail")
    o = t.out("rates", "add", "--carrier", "up1", "4420", "0.0125", "--inc-first", "1",
              "--inc-next", "1", "--effective-from", "2025-02-01")
    check(o.startswith("added rate 1 4420"), o)
    rows = table(t.out("rates", "list", "--carrier", "up1"))
    check(rows[0] == ["id", "prefix", "rate", "connect_fee", "inc_first", "inc_next",
                      "effective_from"] and rows[1][:6] == ["1", "4420", "0.0125", "0", "1", "1"],
          rows)
    check(t.js("rates", "update", "--carrier", "up1", "1", "--rate", "0.011")["rate"] == "0.011", "u")
    check(t.js("rates", "get", "--carrier", "1", "1")["prefix"] == "4420", "get")
    e = t.err(4, "rates", "add", "--carrier", "up1", "44", "0.02x")
    check("rate (--rate)" in e, e)
    t.err(2, "rates", "add", "--carrier", "up1", "44")
    t.out("rates", "delete", "--carrier", "up1", "1")
    t.err(3, "rates", "get", "--carrier", "up1", "1")
    # tariff prices
    t.out("rates", "add", "--tariff", "retail", "44", "0.02")
    check(table(t.out("rates", "list", "--tariff", "retail"))[1][1:3] == ["44", "0.02"], "tariff")
    # CSV import
    deck = t.file("deck.csv", DECK)
    o = t.out("rates", "import", "--carrier", "up1", deck)
    check(o == "imported 3 rates for carrier 1 from %s\n" % deck, o)
    check(t.js("rates", "import", "--carrier", "up1", t.file("d2.csv", "prefix,rate\n49,0.02\n"))
          == {"imported": 1, "carrier_id": 1}, "json import")
    rows = table(t.out("rates", "list", "--carrier", "up1", "--prefix", "447"))
    check(rows[1][1:3] == ["447", "0.030"] or rows[1][1:3] == ["447", "0.03"], rows)
    # a bad row: line and column, nothing imported
    before = len(t.js("rates", "list", "--carrier", "up1", "--all")["items"])
    bad = t.file("bad.csv", "prefix,rate\n33,0.01\n34,0.02x\n")
    e = t.err(4, "rates", "import", "--carrier", "up1", bad)
    check("%s:3:2: rate: bad rate '0.02x'" % bad in e and "nothing imported" in e, e)
    check(len(t.js("rates", "list", "--carrier", "up1", "--all")["items"]) == before, "atomic")
    e = t.err(4, "rates", "import", "--carrier", "up1", t.file("h.csv", "prefix,colour\n1,red\n"))
    check("h.csv:1:2: header: unknown column 'colour'" in e, e)
    # no header: --columns
    nh = t.file("nh.csv", "55,0.5,60/60\n")
    check("imported 1 rates" in t.out("rates", "import", "--tariff", "retail", nh, "--columns",
                                      "prefix,rate,increments"), "columns")
    t.err(3, "rates", "import", "--carrier", "nope", deck)
    t.ctx.stop()


@test
def t_progress(t):
    """The upload progress bar on a terminal (stderr a pty), not otherwise."""
    t.start(demo=False)
    t.out("carriers", "add", "up1")
    rows = ["prefix,rate,connect_fee,inc_first,inc_next"]
    rows += ["%d,0.%06d,0,60,60" % (100000 + i, i + 1) for i in range(200000)]
    deck = t.file("big.csv", "\n".join(rows) + "\n")
    master, slave = pty.openpty()
    p = subprocess.Popen([t.bin, "rates", "import", "--carrier", "up1", deck], env=t.env,
                         stdout=subprocess.PIPE, stderr=slave, cwd=t.ctx.tmp)
    os.close(slave)
    err = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        err += chunk
    out = p.communicate(timeout=120)[0].decode()
    os.close(master)
    check(p.returncode == 0 and "imported 200000 rates" in out, "%d %s %r" % (p.returncode, out, err))
    e = err.decode("utf-8", "replace")
    check("big.csv [" in e and "100%" in e and "#" * 30 in e, "no progress bar: %r" % e[-500:])
    # not a terminal: no bar
    o, e = t.run("rates", "import", "--carrier", "up1", t.file("s.csv", "prefix,rate\n9,1\n"))
    check(e == "", "bar without a terminal: %r" % e)
    t.ctx.stop()


@test
def t_route(t):
    t.start()
    o = t.out("route", "explain", "--customer", "demo", "+442071234567")
    check("customer  1 demo" in o and "+442071234567" in o and "routed" in o, o)
    rows = table(o.split("\n\n", 1)[1])
    check(rows[0] == ["#", "carrier", "gateway", "prefix", "cost/min", "price/min", "margin/min",
                      "pick / why skipped"], rows[0])
    check([r[1] for r in rows[1:3]] == ["carrier-a", "carrier-b"], rows)
    check(rows[1][0] == "1" and rows[1][2].endswith(":5070/udp") and rows[1][4:7] ==
          ["0.01", "0.02", "0.01"], rows[1])
    d = t.js("route", "explain", "--customer", "demo", "+442071234567")
    check([a["carrier"] for a in d["attempts"]] == ["carrier-a", "carrier-b"], d)
    # a skipped carrier shows why: cost above the price
    t.out("carriers", "add", "dear")
    t.out("gateways", "add", "127.0.0.1", "--carrier", "dear", "--port", "5099")
    t.out("rates", "add", "--carrier", "dear", "4420", "0.5")
    import time
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        o = t.out("route", "explain", "--customer", "1", "02071234567")
        # the reload may land between the three changes: wait for the rate
        if any("dear" in x and "0.5" in x for x in o.splitlines()):
            break
        time.sleep(0.1)
    line = [x for x in o.splitlines() if "dear" in x]
    check(line and line[0].startswith("-") and "skipped:" in line[0] and "0.5" in line[0], o)
    # refused is a decision: 0, with the status
    o = t.out("route", "explain", "--customer", "demo", "12")
    check("refused with 484" in o, o)
    t.err(3, "route", "explain", "--customer", "nobody", "+442071234567")
    check("at (--at)" in t.err(2, "route", "explain", "--customer", "demo", "1", "--at", "soon"), "at")
    t.ctx.stop()


@test
def t_calls(t):
    """Without calls in progress (tests/ops hangs real ones up): an empty
    table, 3 for an unknown call, 4 for a bad filter, stats with no
    traffic."""
    t.start()
    rows = table(t.out("calls"))
    check(rows and rows[0][:3] == ["id", "state", "direction"] and len(rows) == 1, rows)
    check(json.loads(t.out("--json", "calls"))["items"] == [], "json")
    check("no call 42 in progress" in t.err(3, "calls", "show", "42"), "show")
    check("no call 42 in progress" in t.err(3, "calls", "hangup", "42"), "hangup")
    check("state" in t.err(4, "calls", "--state", "talking"), "bad state")
    t.err(3, "calls", "--customer", "nobody")
    o = t.out("stats")
    check("last hour" in o and "no traffic in this window" in o, o)
    check(json.loads(t.out("--json", "stats", "--window", "day"))["window"] == "day", "json")
    check("window" in t.err(4, "stats", "--window", "week"), "bad window")
    t.err(3, "stats", "--carrier", "nobody")
    t.err(5, "--token", "bad", "calls")
    t.ctx.stop()


@test
def t_cdr(t):
    t.start()
    N = 1234
    api.add_cdrs(t.ctx, N)
    rows = table(t.out("cdr"))
    check(rows[0] == ["id", "end", "direction", "customer_id", "carrier_id", "caller", "dialled",
                      "sip_code", "cause", "billed_sec", "cost", "price"], rows[0])
    check(len(rows) == 101 and rows[1][1] == "2023-11-14 22:14:20" and rows[1][-2:] ==
          ["0.01", "0.02"], rows[1])
    j = t.js("cdr", "list", "--limit", "3")
    check(len(j["items"]) == 3 and j["next_cursor"] == "3", j)
    check(len(t.js("cdr", "--all")["items"]) == N, "all")
    check(len(t.js("cdr", "--all", "--customer", "1", "--sip-code", "503")["items"]) ==
          len([i for i in range(N) if i % 2 == 0 and i % 4 == 0]), "filters")
    check(len(t.js("cdr", "--number", "+44200000007")["items"]) == 1, "number")
    check(len(t.js("cdr", "--direction", "in", "--all")["items"]) == (N + 4) // 5, "direction")
    check(len(t.js("cdr", "--from", "2023-11-14T22:14:31Z", "--to", "2023-11-14T22:14:41Z")
              ["items"]) == 10, "range")
    check(len(t.js("cdr", "--carrier", "carrier-a", "--all")["items"]) == (N + 2) // 3, "carrier")
    # CSV streamed to stdout: the server's export
    o = t.out("cdr", "--csv")
    rows = list(csv.reader(io.StringIO(o)))
    check(rows[0][:3] == ["id", "call_id", "direction"] and len(rows) == N + 1, len(rows))
    raw = subprocess.run([t.bin, "cdr", "--csv"], capture_output=True, env=t.env, timeout=60)
    check(raw.returncode == 0 and raw.stdout == t.ctx.get("/api/cdrs.csv").body,
          "CSV differs from the server's")
    rows = list(csv.reader(io.StringIO(t.out("cdr", "--csv", "--cause", "41"))))
    check(len(rows) - 1 == (N + 3) // 4, "csv filter")
    e = t.err(2, "cdr", "--csv", "--from", "yesterday")
    check("from (--from)" in e, e)
    t.err(2, "cdr", "--sip-code", "1000")
    t.err(5, "--token", "x", "cdr", "--csv")
    # one CDR
    kv = dict(r[:2] for r in table(t.out("cdr", "get", "5"))[1:])
    check(kv["call_id"] == "call-4", kv)
    check(t.js("cdr", "get", "1")["attempts"][0]["code"] == 200, "get json")
    t.err(3, "cdr", "get", "99999")
    t.err(2, "cdr", "get", "x")
    t.ctx.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trunkline")
    ap.add_argument("--trunkctl")
    ap.add_argument("--completion", help="tools/trunkctl/trunkctl.bash, compared")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("test", nargs="?")
    args = ap.parse_args()
    if args.list:
        print("\n".join(sorted(TESTS)))
        return 0
    if not args.test or args.test not in TESTS or not args.trunkline or not args.trunkctl:
        ap.error("need --trunkline, --trunkctl and one of: " + ", ".join(sorted(TESTS)))
    t = Cli(args)
    rc = 1
    try:
        TESTS[args.test](t)
        print("PASS %s" % args.test)
        rc = 0
    except Fail as e:
        print("FAIL %s: %s" % (args.test, e))
        args.keep = True
    finally:
        t.ctx.kill()
        if args.keep:
            print("files kept in %s" % t.ctx.tmp)
        else:
            shutil.rmtree(t.ctx.tmp, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
