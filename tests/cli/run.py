#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Command line tests: `trunkline db`, `trunkline route` and the daemon's
use of the store (fresh database, demo provisioning, snapshot reload,
SIGTERM). Each test gets its own temporary directory and database.

    run.py --trunkline PATH TEST
    run.py --list

Exit status: 0 pass, 1 fail. Standard library only (sqlite3 reads the
database directly to check what the commands wrote).
"""

import argparse
import hashlib
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys

# The schema a fresh database must reach: the last migration in the source.
_MIGRATE_C = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                          "src", "store", "migrate.c")
with open(_MIGRATE_C) as _f:
    LATEST_SCHEMA = max(int(v) for v in re.findall(r"^\s*\{ (\d+), \"", _f.read(), re.M))
import tempfile
import time

TESTS = {}
SAN_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
               "==ERROR")


class Fail(Exception):
    pass


def test(fn):
    TESTS[fn.__name__[len("t_"):]] = fn
    return fn


def check(cond, what):
    if not cond:
        raise Fail(what)


class Ctx:
    def __init__(self, args):
        self.trunkline = os.path.abspath(args.trunkline)
        self.tmp = tempfile.mkdtemp(prefix="tl-cli-")
        self.db = os.path.join(self.tmp, "tl.db")
        self.url = "sqlite:" + self.db
        self.env = dict(os.environ)
        self.env.pop("TRUNKLINE_DB", None)
        self.env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
        self.daemons = []

    def run(self, *args, expect=0, stdin=None, db=True):
        """Run `trunkline ARGS` (with --db of this test unless db=False);
        check the exit status; return stdout + stderr."""
        argv = [self.trunkline] + list(args)
        if db:
            argv += ["--db", self.url]
        p = subprocess.run(argv, input=stdin, capture_output=True, text=True, env=self.env,
                           cwd=self.tmp, timeout=60)
        out = p.stdout + p.stderr
        for m in SAN_MARKERS:
            check(m not in out, "sanitizer report from %s:\n%s" % (" ".join(args), out))
        check(p.returncode == expect, "`trunkline %s` exited %d, expected %d:\n%s"
              % (" ".join(args), p.returncode, expect, out))
        return out

    def sql(self, q, *a):
        con = sqlite3.connect(self.db)
        try:
            return con.execute(q, a).fetchall()
        finally:
            con.close()

    def count(self, table):
        return self.sql("SELECT count(*) FROM " + table)[0][0]

    def generation(self):
        return self.sql("SELECT gen FROM prov_generation")[0][0]


def has(out, *needles):
    for n in needles:
        check(n in out, "expected %r in:\n%s" % (n, out))


# ----------------------------------------------------------------- daemon

def free_port():
    for _ in range(50):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            u.bind(("127.0.0.1", 0))
            port = u.getsockname()[1]
            t.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            u.close()
            t.close()
    raise Fail("no free port")


class Daemon:
    def __init__(self, ctx, url=None, store_extra="", args=()):
        self.ctx = ctx
        self.url = url or ctx.url
        self.store_extra = store_extra
        self.args = list(args)
        self.proc = None
        ctx.daemons.append(self)

    def start(self):
        for attempt in range(5):
            port = free_port()
            self.conf = os.path.join(self.ctx.tmp, "trunkline.conf")
            with open(self.conf, "w") as f:
                f.write("[sip]\nlisten = udp:127.0.0.1:%d\nworkers = 1\n"
                        "[store]\nurl = %s\nreload_interval = 200\n%s\n[log]\nlevel = info\n"
                        % (port, self.url, self.store_extra))
            self.log = os.path.join(self.ctx.tmp, "daemon-%d.log" % attempt)
            with open(self.log, "wb") as lf:
                self.proc = subprocess.Popen([self.ctx.trunkline, "-c", self.conf] + self.args,
                                             stdout=lf, stderr=subprocess.STDOUT,
                                             env=self.ctx.env, cwd=self.ctx.tmp)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                if "mod=main started " in self.text():
                    return self
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(10)
                raise Fail("daemon did not start within 20 s:\n" + self.text())
            if "err=-98" in self.text() or "in use" in self.text():
                continue
            raise Fail("daemon exited %d at start:\n%s" % (self.proc.returncode, self.text()))
        raise Fail("no free port in 5 attempts")

    def text(self):
        try:
            with open(self.log, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def wait_log(self, pattern, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = re.search(pattern, self.text())
            if m:
                return m
            check(self.proc.poll() is None, "daemon died:\n" + self.text())
            time.sleep(0.05)
        raise Fail("no %r in the log within %d s:\n%s" % (pattern, timeout, self.text()))

    def stop(self):
        check(self.proc.poll() is None, "daemon died:\n" + self.text())
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            raise Fail("daemon did not stop within 30 s of SIGTERM:\n" + self.text())
        text = self.text()
        for m in SAN_MARKERS:
            check(m not in text, "sanitizer report in the daemon's log:\n" + text)
        check(rc == 0, "exit status %d after SIGTERM:\n%s" % (rc, text))
        check("mod=main stopped " in text, "no 'stopped' line:\n" + text)

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


# ------------------------------------------------------------------ tests

@test
def t_help(ctx):
    out = ctx.run("db", "--help", db=False)
    has(out, "Usage: trunkline db COMMAND", "rate import", "seed-demo")
    cmds = re.findall(r"^  ([a-z-]+(?: [a-z]+)?)\s{2,}", out, re.M)
    check(len(cmds) >= 30, "too few commands listed:\n" + out)
    for c in cmds:
        o = ctx.run("db", *c.split(), "--help", db=False)
        has(o, "Usage: trunkline db " + c)
    has(ctx.run("route", "--help", db=False), "route explain --customer")
    has(ctx.run("route", "explain", "--help", db=False), "--at TIME")
    has(ctx.run("--help", db=False), "trunkline db COMMAND")
    # usage errors are 2, with a message naming the fault
    has(ctx.run("db", expect=2, db=False), "Usage")
    has(ctx.run("db", "frobnicate", expect=2, db=False), "unknown command 'frobnicate'")
    has(ctx.run("db", "customer", "rename", expect=2), "unknown customer command 'rename'")
    has(ctx.run("db", "customer", "add", expect=2), "expected the customer's NAME")
    has(ctx.run("db", "customer", "add", "x", "--bogus", expect=2), "unknown option '--bogus'")
    has(ctx.run("db", "customer", "add", "x", "--country", expect=2, db=False),
        "option '--country' needs a value")
    has(ctx.run("route", "explain", "123", expect=2), "expected --customer")


@test
def t_runtime_error(ctx):
    # a database that cannot be created is a runtime error (1), not usage
    out = ctx.run("db", "customer", "list", "--db", "sqlite:" + ctx.tmp + "/no/such/dir/x.db",
                  expect=1, db=False)
    has(out, "cannot open database")
    out = ctx.run("db", "status", "--db", "postgres://x", expect=1, db=False)
    has(out, "unsupported URL scheme")


@test
def t_db_config_and_env(ctx):
    conf = os.path.join(ctx.tmp, "t.conf")
    with open(conf, "w") as f:
        f.write("[store]\nurl = %s\n" % ctx.url)
    ctx.run("db", "customer", "add", "viaconf", "-c", conf, db=False)
    ctx.env["TRUNKLINE_DB"] = ctx.url
    has(ctx.run("db", "customer", "list", db=False), "viaconf")
    ctx.env.pop("TRUNKLINE_DB")
    with open(conf, "w") as f:
        f.write("[store]\nurl = %s\nbogus = 1\n" % ctx.url)
    has(ctx.run("db", "customer", "list", "-c", conf, expect=2, db=False),
        "unknown key 'bogus' in [store]")


@test
def t_customer(ctx):
    ctx.run("db", "init")
    ctx.run("db", "tariff", "add", "retail", "--currency", "GBP")
    out = ctx.run("db", "customer", "add", "acme", "--country", "gb", "--tariff", "retail",
                  "--credit-limit", "25.5", "--balance", "-3", "--max-channels", "4",
                  "--max-cps", "2")
    has(out, "added customer 1 acme")
    row = ctx.sql("SELECT name, country, tariff_id, credit_limit, balance, max_channels, "
                  "max_cps, enabled FROM customers")[0]
    check(row == ("acme", "GB", 1, 25500000, -3000000, 4, 2, 1), "row %r" % (row,))
    has(ctx.run("db", "customer", "list"), "acme", "25.5", "-3")
    check(ctx.run("db", "customer", "add", "beta", "-q").strip() == "2", "quiet prints the id")
    # validation: 2 with the field named, nothing written
    has(ctx.run("db", "customer", "add", "c", "--country", "GBR", expect=2),
        "bad value 'GBR' for --country")
    has(ctx.run("db", "customer", "add", "c", "--max-channels", "-1", expect=2),
        "bad value '-1' for --max-channels")
    has(ctx.run("db", "customer", "add", "c", "--credit-limit", "1.1234567", expect=2),
        "--credit-limit")
    has(ctx.run("db", "customer", "add", "c", "--tariff", "nope", expect=2), "no tariff 'nope'")
    has(ctx.run("db", "customer", "add", "acme", expect=2),
        "UNIQUE constraint failed: customers.name")
    check(ctx.count("customers") == 2, "nothing added by failed commands")
    # update by name and by id, only the given fields
    ctx.run("db", "customer", "update", "acme", "--max-channels", "9", "--disabled")
    ctx.run("db", "customer", "update", "2", "--name", "beta2")
    row = ctx.sql("SELECT max_channels, enabled, balance FROM customers WHERE id = 1")[0]
    check(row == (9, 0, -3000000), "update row %r" % (row,))
    check(ctx.sql("SELECT name FROM customers WHERE id = 2")[0][0] == "beta2", "renamed")
    has(ctx.run("db", "customer", "update", "ghost", "--max-cps", "1", expect=2),
        "no customer 'ghost'")
    # delete: refused while referenced, then done
    ctx.run("db", "trunk", "add", "t1", "--customer", "acme", "--cidr", "192.0.2.1")
    has(ctx.run("db", "customer", "delete", "acme", expect=2), "still referenced")
    has(ctx.run("db", "tariff", "delete", "retail", expect=2), "still referenced")
    ctx.run("db", "trunk", "delete", "t1")
    has(ctx.run("db", "customer", "delete", "acme"), "deleted customer 1")
    has(ctx.run("db", "customer", "delete", "acme", expect=2), "no customer 'acme'")
    check(ctx.count("customers") == 1, "one left")


@test
def t_trunk(ctx):
    ctx.run("db", "customer", "add", "acme")
    has(ctx.run("db", "trunk", "add", "ip", "--customer", "acme",
                "--cidr", "192.0.2.0/24, 2001:db8::/32", "--tech-prefix", "99",
                "--max-channels", "3"), "added trunk 1 ip")
    row = ctx.sql("SELECT cidrs, username, ha1, tech_prefix, media_mode, max_channels "
                  "FROM trunks WHERE name = 'ip'")[0]
    check(row == ("192.0.2.0/24,2001:db8::/32", None, None, "99", "relay", 3), "row %r" % (row,))
    ctx.run("db", "trunk", "add", "pw", "--customer", "1", "--username", "alice",
            "--password", "s3cret", "--realm", "example.com", "--media", "direct")
    ha1 = ctx.sql("SELECT ha1, realm FROM trunks WHERE name = 'pw'")[0]
    want = hashlib.md5(b"alice:example.com:s3cret").hexdigest()
    check(ha1 == (want, "example.com"), "HA1 %r, want %s" % (ha1, want))
    check("s3cret" not in str(ctx.sql("SELECT * FROM trunks")), "password never stored")
    ctx.run("db", "trunk", "add", "pw2", "--customer", "acme", "--username", "bob",
            "--ha1", "0123456789ABCDEF0123456789abcdef")
    check(ctx.sql("SELECT ha1, realm FROM trunks WHERE name = 'pw2'")[0] ==
          ("0123456789abcdef0123456789abcdef", "trunkline"), "HA1 given, default realm")
    out = ctx.run("db", "ha1", "alice", "example.com", "s3cret", db=False)
    has(out, "md5=" + want,
        "sha256=" + hashlib.sha256(b"alice:example.com:s3cret").hexdigest())
    # validation
    has(ctx.run("db", "trunk", "add", "x", "--customer", "acme", expect=2), "needs --cidr")
    has(ctx.run("db", "trunk", "add", "x", "--cidr", "192.0.2.1", expect=2),
        "--customer is required")
    has(ctx.run("db", "trunk", "add", "x", "--customer", "acme", "--cidr", "300.1.1.1",
                expect=2), "bad value '300.1.1.1' for --cidr")
    has(ctx.run("db", "trunk", "add", "x", "--customer", "acme", "--cidr", "10.0.0.0/33",
                expect=2), "--cidr")
    has(ctx.run("db", "trunk", "add", "x", "--customer", "acme", "--username", "u", expect=2),
        "--username needs --password or --ha1")
    has(ctx.run("db", "trunk", "add", "x", "--customer", "acme", "--username", "u",
                "--ha1", "xyz", expect=2), "bad value 'xyz' for --ha1")
    has(ctx.run("db", "trunk", "add", "x", "--customer", "acme", "--cidr", "10.0.0.1",
                "--media", "bridge", expect=2), "relay or direct")
    has(ctx.run("db", "trunk", "add", "x", "--customer", "ghost", "--cidr", "10.0.0.1",
                expect=2), "no customer 'ghost'")
    has(ctx.run("db", "trunk", "add", "y", "--customer", "acme", "--username", "alice",
                "--password", "p", expect=2), "UNIQUE constraint failed: trunks.username")
    check(ctx.count("trunks") == 3, "failed adds changed nothing")
    # update: a new password recomputes the HA1 with the kept realm
    ctx.run("db", "trunk", "update", "pw", "--password", "other")
    check(ctx.sql("SELECT ha1 FROM trunks WHERE name = 'pw'")[0][0] ==
          hashlib.md5(b"alice:example.com:other").hexdigest(), "HA1 updated")
    has(ctx.run("db", "trunk", "update", "pw", "--realm", "new.example", expect=2),
        "needs --password or --ha1")
    ctx.run("db", "trunk", "update", "ip", "--no-cidr", "--username", "carol",
            "--password", "x")
    check(ctx.sql("SELECT cidrs, username FROM trunks WHERE name = 'ip'")[0] ==
          (None, "carol"), "cidrs removed")
    has(ctx.run("db", "trunk", "list", "--customer", "acme"), "pw2", "alice", "example.com")
    # delivery URIs
    has(ctx.run("db", "trunk-uri", "add", "pw", "sip:pbx.example.com:5080;transport=tcp",
                "--priority", "2", "--weight", "5"), "added trunk-uri 1")
    ctx.run("db", "trunk-uri", "add", "pw", "sip:198.51.100.7")
    has(ctx.run("db", "trunk-uri", "add", "pw", "http://x", expect=2), "a sip: or sips: URI")
    has(ctx.run("db", "trunk-uri", "add", "ghost", "sip:x", expect=2), "no trunk 'ghost'")
    out = ctx.run("db", "trunk-uri", "list", "pw")
    has(out, "sip:pbx.example.com:5080;transport=tcp", "sip:198.51.100.7")
    ctx.run("db", "trunk-uri", "delete", "1")
    has(ctx.run("db", "trunk-uri", "delete", "1", expect=2), "no trunk-uri 1")
    check(ctx.count("trunk_uris") == 1, "one URI left")
    # deleting a trunk takes its URIs
    ctx.run("db", "trunk", "delete", "pw")
    check(ctx.count("trunk_uris") == 0, "URIs cascade")


@test
def t_carrier_gateway(ctx):
    has(ctx.run("db", "carrier", "add", "up1", "--cidr", "203.0.113.0/24", "--priority", "3",
                "--format", "00", "--strip", "1", "--prefix", "9#", "--max-channels", "30"),
        "added carrier 1 up1")
    row = ctx.sql("SELECT cidrs, priority, number_format, strip_digits, add_prefix, "
                  "max_channels, enabled FROM carriers")[0]
    check(row == ("203.0.113.0/24", 3, "00", 1, "9#", 30, 1), "row %r" % (row,))
    has(ctx.run("db", "carrier", "add", "x", "--format", "intl", expect=2), "e164, +e164 or 00")
    has(ctx.run("db", "carrier", "add", "x", "--prefix", "12a", expect=2), "--prefix")
    has(ctx.run("db", "gateway", "add", "up1", "gw.example.net:5070", "--transport", "tcp",
                "--priority", "1"), "added gateway 1 gw.example.net:5070/tcp")
    ctx.run("db", "gateway", "add", "up1", "[2001:db8::1]:5080")
    ctx.run("db", "gateway", "add", "1", "192.0.2.9", "--disabled")
    rows = ctx.sql("SELECT host, port, transport, enabled FROM gateways ORDER BY id")
    check(rows == [("gw.example.net", 5070, "tcp", 1), ("2001:db8::1", 5080, "udp", 1),
                   ("192.0.2.9", 5060, "udp", 0)], "gateways %r" % (rows,))
    has(ctx.run("db", "gateway", "add", "up1", "h:70000", expect=2), "bad value '70000' for port")
    has(ctx.run("db", "gateway", "add", "up1", "h", "--transport", "sctp", expect=2),
        "udp, tcp or tls")
    has(ctx.run("db", "gateway", "add", "nope", "h", expect=2), "no carrier 'nope'")
    has(ctx.run("db", "gateway", "list", "up1"), "gw.example.net", "2001:db8::1")
    ctx.run("db", "carrier", "update", "up1", "--disabled", "--format", "+e164", "--no-cidr")
    check(ctx.sql("SELECT enabled, number_format, cidrs FROM carriers")[0] == (0, "+e164", None),
          "carrier updated")
    has(ctx.run("db", "carrier", "list"), "up1", "+e164")
    ctx.run("db", "gateway", "delete", "3")
    check(ctx.count("gateways") == 2, "gateway deleted")
    ctx.run("db", "rate", "add", "--carrier", "up1", "44", "0.01")
    ctx.run("db", "carrier", "delete", "up1")
    check(ctx.count("gateways") == 0 and ctx.count("rates") == 0, "cascade on carrier delete")


@test
def t_rate(ctx):
    ctx.run("db", "carrier", "add", "up1")
    ctx.run("db", "tariff", "add", "retail")
    has(ctx.run("db", "rate", "add", "--carrier", "up1", "+44", "0.0125", "--fee", "0.01",
                "--increments", "30/6", "--from", "2025-01-31"), "added rate 1 carrier up1 prefix 44")
    row = ctx.sql("SELECT carrier_id, prefix, rate, connect_fee, inc_first, inc_next, "
                  "effective_from FROM rates")[0]
    check(row == (1, "44", 12500, 10000, 30, 6, 1738281600000), "row %r" % (row,))
    ctx.run("db", "rate", "add", "--carrier", "up1", "44", "0.02", "--from",
            "2025-06-01T12:00:00Z")
    ctx.run("db", "rate", "add", "--tariff", "retail", "44", "0.05")
    check(ctx.count("tariff_rates") == 1, "tariff price added")
    out = ctx.run("db", "rate", "list", "--carrier", "up1")
    has(out, "0.0125", "30/6", "2025-01-31", "2025-06-01T12:00:00Z")
    check("tariff " not in out, "only the carrier's deck")
    has(ctx.run("db", "rate", "list"), "carrier", "tariff", "0.05")
    # validation
    has(ctx.run("db", "rate", "add", "44", "0.01", expect=2), "--carrier C or --tariff T")
    has(ctx.run("db", "rate", "add", "--carrier", "up1", "--tariff", "retail", "44", "1",
                expect=2), "not both")
    has(ctx.run("db", "rate", "add", "--carrier", "up1", "4a", "0.01", expect=2),
        "bad value '4a' for PREFIX")
    has(ctx.run("db", "rate", "add", "--carrier", "up1", "1", "-0.01", expect=2),
        "bad value '-0.01' for RATE")
    has(ctx.run("db", "rate", "add", "--carrier", "up1", "1", "0.01", "--increments", "60",
                expect=2), "--increments")
    has(ctx.run("db", "rate", "add", "--carrier", "up1", "1", "0.01", "--from", "yesterday",
                expect=2), "--from")
    has(ctx.run("db", "rate", "add", "--carrier", "up1", "44", "0.03", "--from", "2025-01-31",
                expect=2), "UNIQUE constraint failed")
    # update: ambiguous without --from, then precise
    has(ctx.run("db", "rate", "update", "--carrier", "up1", "44", "--rate", "0.5", expect=2),
        "give --from")
    ctx.run("db", "rate", "update", "--carrier", "up1", "44", "--from", "2025-01-31",
            "--rate", "0.011", "--increments", "1/1")
    check(ctx.sql("SELECT rate, inc_first FROM rates WHERE effective_from = 1738281600000")[0]
          == (11000, 1), "rate updated")
    ctx.run("db", "rate", "update", "--tariff", "retail", "44", "--rate", "0.06")
    check(ctx.sql("SELECT rate FROM tariff_rates")[0][0] == 60000, "tariff price updated")
    has(ctx.run("db", "rate", "update", "--carrier", "up1", "33", "--rate", "1", expect=2),
        "no rate for prefix 33")
    # delete: one date, then all of the prefix
    ctx.run("db", "rate", "delete", "--carrier", "up1", "44", "--from", "2025-06-01T12:00:00Z")
    check(ctx.count("rates") == 1, "one date deleted")
    has(ctx.run("db", "rate", "delete", "--carrier", "up1", "44"), "deleted 1 rate")
    check(ctx.count("rates") == 0, "all deleted")


@test
def t_rate_import(ctx):
    ctx.run("db", "carrier", "add", "up1")
    ctx.run("db", "tariff", "add", "retail")
    good = os.path.join(ctx.tmp, "good.csv")
    with open(good, "w") as f:
        f.write("# deck of up1\n"
                "prefix,rate,connect_fee,increments,effective_from\n"
                "44,0.01,,60/60,\n"
                "\n"
                "447,\"0.03\",0.005,1/1,2025-01-01\n"
                "+1,0.004,0,6/6,1735689600\n")
    has(ctx.run("db", "rate", "import", "--carrier", "up1", good),
        "imported 3 rates into carrier up1")
    rows = ctx.sql("SELECT prefix, rate, connect_fee, inc_first, inc_next, effective_from "
                   "FROM rates ORDER BY prefix")
    check(rows == [("1", 4000, 0, 6, 6, 1735689600000), ("44", 10000, 0, 60, 60, 0),
                   ("447", 30000, 5000, 1, 1, 1735689600000)], "rows %r" % (rows,))
    # no header: prefix,rate[,fee[,inc_first[,inc_next[,from]]]], from stdin
    has(ctx.run("db", "rate", "import", "--tariff", "retail", "-",
                stdin="44,0.02\n447,0.06,0,60,60\n"), "imported 2 rates into tariff retail")
    check(ctx.count("tariff_rates") == 2, "tariff import")

    gen = ctx.generation()
    before = ctx.sql("SELECT * FROM rates ORDER BY id")

    def bad_import(text, *want):
        path = os.path.join(ctx.tmp, "bad.csv")
        with open(path, "w") as f:
            f.write(text)
        out = ctx.run("db", "rate", "import", "--carrier", "up1", path, expect=2)
        has(out, "nothing imported", *[w.replace("FILE", path) for w in want])
        check(ctx.sql("SELECT * FROM rates ORDER BY id") == before,
              "a failed import changed the rates:\n" + out)
        check(ctx.generation() == gen, "a failed import bumped the generation")

    # a bad value on line 4, column 2, after good rows: nothing of it stays
    bad_import("prefix,rate\n33,0.01\n34,0.02\n35,abc\n36,0.01\n",
               "FILE:4:2: bad rate 'abc'")
    bad_import("prefix,rate,fee\n33,0.01,0\n3x,0.01,0\n", "FILE:3:1: bad prefix '3x'")
    bad_import("33,0.01,0,60,0\n", "FILE:1:5: bad inc_next '0'")
    bad_import("prefix,rate,increments\n33,0.01,60\n", "FILE:2:3: bad increments '60'")
    bad_import("prefix,rate,from\n33,0.01,31/12/2025\n", "FILE:2:3: bad effective_from")
    bad_import("prefix,cost\n", "FILE:1:2: unknown column 'cost'")
    bad_import("33,0.01\n34\n", "FILE:2:2: missing column rate")
    bad_import("33,0.01\n34,0.01,0,60,60,0,extra\n", "FILE:2:7: unexpected field 'extra'")
    bad_import("33,\"0.01\n", "FILE:1: unterminated or misplaced quote")
    # a duplicate of a row already in the deck, and one inside the file
    bad_import("33,0.01\n44,0.02\n", "FILE:2:1: duplicate rate", "UNIQUE constraint failed")
    bad_import("33,0.01\n34,0.01\n33,0.02\n", "FILE:3:1: duplicate rate")
    has(ctx.run("db", "rate", "import", "--carrier", "up1", ctx.tmp + "/none.csv", expect=1),
        "cannot read")


@test
def t_number(ctx):
    ctx.run("db", "customer", "add", "acme")
    ctx.run("db", "trunk", "add", "pbx", "--customer", "acme", "--cidr", "192.0.2.1")
    has(ctx.run("db", "number", "add", "+442071234567", "--customer", "acme", "--trunk", "pbx",
                "--country", "GB"), "added number 1 442071234567")
    ctx.run("db", "number", "add", "14155550100", "--customer", "acme",
            "--uri", "sip:app@198.51.100.7", "--type", "tollfree")
    rows = ctx.sql("SELECT e164, country, type, customer_id, trunk_id, delivery_uri, enabled "
                   "FROM numbers ORDER BY id")
    check(rows == [("442071234567", "GB", "geographic", 1, 1, None, 1),
                   ("14155550100", None, "tollfree", 1, None, "sip:app@198.51.100.7", 1)],
          "rows %r" % (rows,))
    has(ctx.run("db", "number", "add", "+0441", "--customer", "acme", expect=2), "E.164")
    has(ctx.run("db", "number", "add", "4420", "--customer", "ghost", expect=2),
        "no customer 'ghost'")
    has(ctx.run("db", "number", "add", "4420", expect=2), "--customer is required")
    has(ctx.run("db", "number", "add", "4420", "--customer", "acme", "--type", "fax", expect=2),
        "geographic, mobile")
    has(ctx.run("db", "number", "add", "442071234567", "--customer", "acme", expect=2),
        "UNIQUE constraint failed: numbers.e164")
    ctx.run("db", "number", "update", "+442071234567", "--trunk", "", "--uri", "sip:x@y",
            "--disabled")
    check(ctx.sql("SELECT trunk_id, delivery_uri, enabled FROM numbers WHERE id = 1")[0] ==
          (None, "sip:x@y", 0), "number updated")
    has(ctx.run("db", "number", "list", "--customer", "acme"), "+442071234567", "+14155550100")
    has(ctx.run("db", "customer", "delete", "acme", expect=2), "still referenced")
    ctx.run("db", "number", "delete", "+442071234567")
    ctx.run("db", "number", "delete", "2")
    check(ctx.count("numbers") == 0, "numbers deleted")


@test
def t_seed_demo(ctx):
    has(ctx.run("db", "seed-demo"), "demo provisioning in place")
    gen = ctx.generation()
    ctx.run("db", "seed-demo")
    check(ctx.generation() == gen, "second seed changes nothing")
    out = ctx.run("db", "status")
    has(out, "schema_version=%d" % LATEST_SCHEMA, "customers=1", "carriers=2", "gateways=2", "numbers=1",
        "rates=6", "tariff_rates=3", "cdrs=0", "generation=%d" % gen)


EXPLAIN_DEMO = [
    'customer  1 "demo" (country GB)',
    'dialled   "02071234567"',
    "number    +442071234567",
    "tariff    prefix 44: 0.02/min",
    "result    routed, 2 attempts",
]


@test
def t_route_explain(ctx):
    ctx.run("db", "seed-demo")
    out = ctx.run("route", "explain", "--customer", "demo", "02071234567")
    has(out, *EXPLAIN_DEMO)
    lines = [l for l in out.splitlines() if re.match(r"^ \d ", l)]
    check(len(lines) == 2, "two attempts:\n" + out)
    check("carrier-a" in lines[0] and "127.0.0.1:5070/udp" in lines[0] and
          " 442071234567 " in lines[0] and "lowest cost" in lines[0], "first: carrier-a\n" + out)
    check("carrier-b" in lines[1] and "127.0.0.1:5072/udp" in lines[1] and
          "+442071234567" in lines[1], "second: carrier-b\n" + out)
    # by id, a US number where carrier-b is cheaper
    out = ctx.run("route", "explain", "--customer", "1", "+12125550100")
    lines = [l for l in out.splitlines() if re.match(r"^ \d ", l)]
    check(len(lines) == 2 and "carrier-b" in lines[0], "carrier-b first for +1:\n" + out)
    # refusals are decisions too (exit 0)
    has(ctx.run("route", "explain", "--customer", "demo", "0123"), "result    refused 484")
    has(ctx.run("route", "explain", "--customer", "demo", "+33142685300"),
        "result    refused 404")
    # a rate above the tariff: the carrier is skipped with its reason
    ctx.run("db", "rate", "update", "--carrier", "carrier-a", "44", "--rate", "0.05")
    out = ctx.run("route", "explain", "--customer", "demo", "02071234567")
    has(out, "result    routed, 1 attempt", "skipped", "carrier-a (1)", "cost above price")
    # rates with a date: --at chooses
    ctx.run("db", "rate", "add", "--carrier", "carrier-b", "44", "0.001", "--from", "2030-01-01")
    has(ctx.run("route", "explain", "--customer", "demo", "02071234567", "--at",
                "2030-01-02T00:00:00Z"), "0.001")
    check("0.001 " not in ctx.run("route", "explain", "--customer", "demo", "02071234567",
                                  "--at", "2029-12-31T00:00:00Z"), "future rate not used")
    has(ctx.run("route", "explain", "--customer", "nobody", "1", expect=2), "no customer 'nobody'")
    has(ctx.run("route", "explain", "--customer", "demo", "1", "--at", "soon", expect=2),
        "bad value 'soon' for --at")
    # origination lookup
    has(ctx.run("route", "did", "+442071234567"), "customer  1", "target    1: trunk 1")
    has(ctx.run("route", "did", "+442070000000"), "404")


@test
def t_daemon_fresh_db(ctx):
    url = "sqlite:" + os.path.join(ctx.tmp, "var", "fresh.db")
    d = Daemon(ctx, url=url).start()
    d.wait_log(r"mod=main store opened url=%s schema_version=%d generation=\d+ demo=no"
               % (re.escape(url), LATEST_SCHEMA))
    check(os.path.exists(os.path.join(ctx.tmp, "var", "fresh.db")), "database file created")
    d.stop()
    out = ctx.run("db", "status", "--db", url, db=False)
    has(out, "schema_version=%d" % LATEST_SCHEMA, "customers=0")
    # a database that cannot be opened: exit 1 at start
    conf = os.path.join(ctx.tmp, "bad.conf")
    with open(conf, "w") as f:
        f.write("[sip]\nlisten = udp:127.0.0.1:0\n[store]\nurl = sqlite:%s/a/b/c.db\n" % ctx.tmp)
    p = subprocess.run([ctx.trunkline, "-c", conf], capture_output=True, text=True,
                       env=ctx.env, timeout=30)
    check(p.returncode == 1, "unopenable database: exit %d\n%s" % (p.returncode, p.stderr))
    has(p.stdout + p.stderr, "cannot open the database")
    # config checks of the new keys
    for body, msg in (("[store]\ndemo = maybe\n", "expected yes or no"),
                      ("[store]\nreload_interval = 5\n", "100..3600000"),
                      ("[call]\nmin_se = 60\n", "bad value '60' for 'min_se'"),
                      ("[call]\nno_answer_timeout = 0\n", "no_answer_timeout"),
                      ("[call]\nrealm = a\"b\n", "bad value"),
                      ("[call]\nmax_duration = -1\n", "max_duration")):
        with open(conf, "w") as f:
            f.write(body)
        p = subprocess.run([ctx.trunkline, "-t", "-c", conf], capture_output=True, text=True,
                           env=ctx.env, timeout=30)
        check(p.returncode == 2 and msg in p.stderr, "config %r: %d %s" % (body, p.returncode,
                                                                          p.stderr))


@test
def t_daemon_demo(ctx):
    # --demo seeds a fresh database; config demo = yes does the same
    d = Daemon(ctx, args=["--demo"]).start()
    d.wait_log(r"demo=yes")
    d.stop()
    has(ctx.run("db", "status"), "customers=1", "numbers=1")
    os.unlink(ctx.db)
    d = Daemon(ctx, store_extra="demo = yes").start()
    d.stop()
    has(ctx.run("db", "status"), "customers=1", "carriers=2")


@test
def t_daemon_reload(ctx):
    d = Daemon(ctx, args=["--demo"]).start()
    d.wait_log(r"mod=route snapshot published generation=1\b")
    # a change from another process: published within a few seconds
    t0 = time.monotonic()
    ctx.run("db", "rate", "update", "--carrier", "carrier-a", "44", "--rate", "0.05")
    gen = ctx.generation()
    d.wait_log(r"mod=snap snapshot loaded store_generation=%d " % gen, timeout=5)
    d.wait_log(r"mod=route snapshot published generation=2\b", timeout=5)
    check(time.monotonic() - t0 < 5, "reload took too long")
    # several changes in one interval give one or more rebuilds, the last one current
    ctx.run("db", "customer", "add", "second")
    ctx.run("db", "carrier", "add", "carrier-c")
    gen = ctx.generation()
    d.wait_log(r"snapshot loaded store_generation=%d customers=2 trunks=1 carriers=3 " % gen,
               timeout=5)
    # nothing changed: no rebuild
    n = d.text().count("snapshot loaded")
    time.sleep(1.0)
    check(d.text().count("snapshot loaded") == n, "rebuilt without a change")
    # what explain says about the store is what the daemon now routes with
    has(ctx.run("route", "explain", "--customer", "demo", "02071234567"), "cost above price")
    d.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trunkline")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("test", nargs="?")
    args = ap.parse_args()
    if args.list:
        print("\n".join(sorted(TESTS)))
        return 0
    if not args.test or args.test not in TESTS or not args.trunkline:
        ap.error("need --trunkline and one of: " + ", ".join(sorted(TESTS)))
    ctx = Ctx(args)
    rc = 1
    try:
        TESTS[args.test](ctx)
        print("PASS %s" % args.test)
        rc = 0
    except Fail as e:
        print("FAIL %s: %s" % (args.test, e))
        args.keep = True
    finally:
        for d in ctx.daemons:
            d.kill()
        if args.keep:
            print("files kept in %s" % ctx.tmp)
        else:
            shutil.rmtree(ctx.tmp, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
