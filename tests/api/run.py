#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""REST API tests: real HTTP (urllib) against the running daemon, one
daemon per test with a fresh temporary database and free SIP and API
ports, so CTest may run them in parallel.

    run.py --trunkline PATH [--openapi FILE] TEST
    run.py --list

Exit status: 0 pass, 1 fail. Standard library only.
"""

import argparse
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

TESTS = {}
SAN_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:", "==ERROR")


class Fail(Exception):
    pass


def test(fn):
    TESTS[fn.__name__[len("t_"):]] = fn
    return fn


def check(cond, what):
    if not cond:
        raise Fail(what)


def free_port(udp_too=True):
    for _ in range(50):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            t.bind(("127.0.0.1", 0))
            port = t.getsockname()[1]
            if udp_too:
                u.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            u.close()
            t.close()
    raise Fail("no free port")


class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            raise Fail("not JSON (%d): %r" % (self.status, self.body[:500]))

    def __repr__(self):
        return "%d %s" % (self.status, self.body[:800].decode("utf-8", "replace"))


class Ctx:
    def __init__(self, args):
        self.trunkline = os.path.abspath(args.trunkline)
        self.openapi = args.openapi
        self.tmp = tempfile.mkdtemp(prefix="tl-api-")
        self.db = os.path.join(self.tmp, "tl.db")
        self.url = "sqlite:" + self.db
        self.env = dict(os.environ)
        self.env.pop("TRUNKLINE_DB", None)
        self.env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
        self.proc = None
        self.token = None
        self.port = None

    def cli(self, *args, expect=0):
        p = subprocess.run([self.trunkline] + list(args) + ["--db", self.url],
                           capture_output=True, text=True, env=self.env, cwd=self.tmp,
                           timeout=60)
        out = p.stdout + p.stderr
        for m in SAN_MARKERS:
            check(m not in out, "sanitizer report:\n" + out)
        check(p.returncode == expect, "`trunkline %s` exited %d, expected %d:\n%s"
              % (" ".join(args), p.returncode, expect, out))
        return p.stdout

    # --------------------------------------------------------- daemon
    def start(self, demo=True, api_extra="", token=True):
        if token and not self.token:
            self.token = self.cli("api", "token", "add", "tests").strip()
            check(re.fullmatch(r"tl_[0-9A-Za-z]{40}", self.token), "token: " + self.token)
        for attempt in range(5):
            sip, self.port = free_port(), free_port(False)
            conf = os.path.join(self.tmp, "trunkline.conf")
            with open(conf, "w") as f:
                f.write("[sip]\nlisten = udp:127.0.0.1:%d\nworkers = 1\n"
                        "[store]\nurl = %s\nreload_interval = 200\ndemo = %s\n"
                        "[api]\nlisten = 127.0.0.1:%d\n%s\n[log]\nlevel = info\n"
                        % (sip, self.url, "yes" if demo else "no", self.port, api_extra))
            self.log = os.path.join(self.tmp, "daemon-%d.log" % attempt)
            with open(self.log, "wb") as lf:
                self.proc = subprocess.Popen([self.trunkline, "-c", conf], stdout=lf,
                                             stderr=subprocess.STDOUT, env=self.env,
                                             cwd=self.tmp)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                if "mod=api listening" in self.text():
                    return self
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(10)
                raise Fail("daemon did not start within 20 s:\n" + self.text())
            if "in use" in self.text() or "err=-98" in self.text():
                continue
            raise Fail("daemon exited %d at start:\n%s" % (self.proc.returncode, self.text()))
        raise Fail("no free ports in 5 attempts")

    def text(self):
        try:
            with open(self.log, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self):
        check(self.proc.poll() is None, "daemon died:\n" + self.text())
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(30)
        text = self.text()
        for m in SAN_MARKERS:
            check(m not in text, "sanitizer report in the daemon's log:\n" + text)
        check(rc == 0, "exit status %d after SIGTERM:\n%s" % (rc, text))

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    # ----------------------------------------------------------- HTTP
    def req(self, method, path, body=None, token="default", ctype=None, raw=None):
        url = "http://127.0.0.1:%d%s" % (self.port, path)
        data, headers = None, {}
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if raw is not None:
            data = raw if isinstance(raw, bytes) else raw.encode()
        if ctype:
            headers["Content-Type"] = ctype
        tok = self.token if token == "default" else token
        if tok:
            headers["Authorization"] = "Bearer " + tok
        rq = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(rq, timeout=30) as r:
                return Resp(r.status, r.headers, r.read())
        except urllib.error.HTTPError as e:
            return Resp(e.code, e.headers, e.read())

    def get(self, path, **kw):
        return self.req("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.req("POST", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.req("PATCH", path, body, **kw)

    def delete(self, path, **kw):
        return self.req("DELETE", path, **kw)

    def sql(self, q, *a):
        con = sqlite3.connect(self.db)
        try:
            r = con.execute(q, a).fetchall()
            con.commit()
            return r
        finally:
            con.close()


def ok(r, status=200):
    check(r.status == status, "expected %d, got %r" % (status, r))
    return r.json if r.body else None


def problem(r, status, field=None, detail=None):
    """A problem document with this status naming field (and detail text)."""
    check(r.status == status, "expected %d, got %r" % (status, r))
    ct = r.headers.get("Content-Type", "")
    check(ct.startswith("application/problem+json"), "content type %r: %r" % (ct, r))
    d = r.json
    for k in ("type", "title", "status", "detail"):
        check(k in d, "problem without %s: %r" % (k, d))
    check(d["status"] == status, "status member %r" % d)
    if field:
        errs = d.get("errors", [])
        hit = [e for e in errs if e.get("field") == field]
        check(hit, "no error for field %r in %r" % (field, d))
        if detail:
            check(any(detail in e["detail"] for e in hit), "no %r in %r" % (detail, hit))
    return d


def invalid(ctx, method, path, body, field, detail=None, status=422):
    return problem(ctx.req(method, path, body), status, field, detail)


# ------------------------------------------------------------------ tests

@test
def t_auth(ctx):
    ctx.start()
    # health and the document need no token
    h = ok(ctx.get("/api/health", token=None))
    check(h["status"] == "ok" and h["schema_version"] >= 3, "health %r" % h)
    ok(ctx.get("/api/openapi.json", token=None))
    for tok, why in ((None, "no Authorization header"), ("tl_wrong", "unknown token")):
        r = ctx.get("/api/customers", token=tok)
        problem(r, 401)
        check("Bearer" in r.headers.get("WWW-Authenticate", ""), "no WWW-Authenticate")
        check(re.search(r"mod=api unauthorized client=127\.0\.0\.1:\d+ method=GET "
                        r"path=/api/customers reason=\"%s\"" % why, ctx.text()),
              "no log line for %s:\n%s" % (why, ctx.text()))
    problem(ctx.get("/metrics", token=None), 401)
    # not a Bearer scheme
    rq = urllib.request.Request("http://127.0.0.1:%d/api/customers" % ctx.port,
                                headers={"Authorization": "Basic dXNlcjpwdw=="})
    try:
        urllib.request.urlopen(rq, timeout=10)
        raise Fail("Basic accepted")
    except urllib.error.HTTPError as e:
        check(e.code == 401, "Basic: %d" % e.code)
    # unknown paths need a token too, then 404; wrong method 405 with Allow
    problem(ctx.get("/api/nothing", token=None), 401)
    problem(ctx.get("/api/nothing"), 404)
    r = ctx.req("PUT", "/api/customers/1", {"name": "x"})
    problem(r, 405)
    check("PATCH" in r.headers.get("Allow", ""), "Allow: %r" % r.headers.get("Allow"))
    problem(ctx.get("/api/customers/abc"), 404)
    problem(ctx.get("/api/customers/0"), 404)
    # a revoked token stops working at once
    ok(ctx.get("/api/customers"))
    ctx.cli("api", "token", "delete", "tests")
    problem(ctx.get("/api/customers"), 401)
    ctx.stop()
    # a hashed token in the config
    tok = "config-secret-token"
    ctx.start(api_extra="token_sha256 = " + hashlib.sha256(tok.encode()).hexdigest(), token=False)
    ok(ctx.get("/api/customers", token=tok))
    problem(ctx.get("/api/customers", token=tok + "x"), 401)
    ctx.stop()


@test
def t_token_cli(ctx):
    t1 = ctx.cli("api", "token", "add", "a").strip()
    t2 = ctx.cli("api", "token", "add", "b").strip()
    check(t1 != t2, "same token twice")
    ctx.cli("api", "token", "add", "a", expect=2)
    out = ctx.cli("api", "token", "list")
    check(" a " in out and " b " in out and t1 not in out, out)
    rows = ctx.sql("SELECT name, sha256 FROM api_tokens ORDER BY id")
    check(rows[0] == ("a", hashlib.sha256(t1.encode()).hexdigest()), "stored %r" % rows)
    ctx.cli("api", "token", "delete", "nope", expect=2)
    check(ctx.cli("api", "token", "hash", "x").strip() == hashlib.sha256(b"x").hexdigest(), "hash")
    # a bad [api] key is a config error naming the line
    conf = os.path.join(ctx.tmp, "bad.conf")
    with open(conf, "w") as f:
        f.write("[api]\ntoken_sha256 = abc\n")
    p = subprocess.run([ctx.trunkline, "-c", conf, "-t"], capture_output=True, text=True)
    check(p.returncode == 2 and "bad.conf:2:" in p.stderr and "token_sha256" in p.stderr,
          p.stderr)


@test
def t_customers(ctx):
    ctx.start(demo=False)
    c = ok(ctx.post("/api/customers", {"name": "acme", "country": "gb", "credit_limit": "10.5",
                                       "balance": "-2.25", "max_channels": 5}), 201)
    check(c["country"] == "GB" and c["credit_limit"] == "10.5" and c["balance"] == "-2.25"
          and c["enabled"] is True and c["tariff_id"] is None, "created %r" % c)
    check(ctx.sql("SELECT credit_limit, balance FROM customers WHERE id = ?", c["id"])
          == [(10500000, -2250000)], "money not exact in the db")
    ok(ctx.get("/api/customers/%d" % c["id"]))
    c2 = ok(ctx.patch("/api/customers/%d" % c["id"], {"max_cps": 3, "country": None}))
    check(c2["max_cps"] == 3 and c2["country"] is None and c2["name"] == "acme", "%r" % c2)
    # paging and filters
    for i in range(5):
        ok(ctx.post("/api/customers", {"name": "c%d" % i, "enabled": i % 2 == 0}), 201)
    p1 = ok(ctx.get("/api/customers?limit=2"))
    check(len(p1["items"]) == 2 and p1["next_cursor"], "page 1 %r" % p1)
    seen = [x["name"] for x in p1["items"]]
    cur = p1["next_cursor"]
    while cur:
        p = ok(ctx.get("/api/customers?limit=2&cursor=" + cur))
        seen += [x["name"] for x in p["items"]]
        cur = p["next_cursor"]
    check(seen == ["acme", "c0", "c1", "c2", "c3", "c4"], "paged %r" % seen)
    f = ok(ctx.get("/api/customers?enabled=false"))
    check([x["name"] for x in f["items"]] == ["c1", "c3"], "filter %r" % f)
    check([x["name"] for x in ok(ctx.get("/api/customers?name=c2"))["items"]] == ["c2"], "name")
    problem(ctx.get("/api/customers?limit=0"), 400, "limit")
    problem(ctx.get("/api/customers?limit=x"), 400, "limit")
    problem(ctx.get("/api/customers?cursor=-1"), 400, "cursor")
    problem(ctx.get("/api/customers?enabled=maybe"), 400, "enabled")
    # every validation error names its field
    P = "/api/customers"
    invalid(ctx, "POST", P, {}, "name", "required")
    invalid(ctx, "POST", P, {"name": ""}, "name")
    invalid(ctx, "POST", P, {"name": " x"}, "name")
    invalid(ctx, "POST", P, {"name": 7}, "name", "expected a string")
    invalid(ctx, "POST", P, {"name": "n", "country": "XX"}, "country", "unknown country")
    invalid(ctx, "POST", P, {"name": "n", "country": "GBR"}, "country", "2-letter")
    invalid(ctx, "POST", P, {"name": "n", "credit_limit": 1.5}, "credit_limit", "JSON string")
    invalid(ctx, "POST", P, {"name": "n", "credit_limit": 2}, "credit_limit", "JSON string")
    invalid(ctx, "POST", P, {"name": "n", "credit_limit": "1.1234567"}, "credit_limit",
            "at most 6 decimals")
    invalid(ctx, "POST", P, {"name": "n", "credit_limit": "-1"}, "credit_limit", ">= 0")
    invalid(ctx, "POST", P, {"name": "n", "credit_limit": "1e3"}, "credit_limit")
    invalid(ctx, "POST", P, {"name": "n", "balance": "abc"}, "balance")
    invalid(ctx, "POST", P, {"name": "n", "max_channels": -1}, "max_channels", "out of range")
    invalid(ctx, "POST", P, {"name": "n", "max_channels": 1.0}, "max_channels",
            "expected an integer")
    invalid(ctx, "POST", P, {"name": "n", "max_cps": "5"}, "max_cps")
    invalid(ctx, "POST", P, {"name": "n", "enabled": "yes"}, "enabled", "true or false")
    invalid(ctx, "POST", P, {"name": "n", "tariff_id": 0}, "tariff_id")
    invalid(ctx, "POST", P, {"name": "n", "colour": "red"}, "colour", "unknown field")
    invalid(ctx, "POST", P, {"name": "n", "id": 5}, "id", "read-only")
    invalid(ctx, "POST", P, {"name": "n", "enabled": None}, "enabled", "may not be null")
    d = invalid(ctx, "POST", P, {"name": "", "country": "XX", "max_cps": -1}, "name")
    check(len(d["errors"]) == 3, "all faults at once: %r" % d)
    invalid(ctx, "PATCH", P + "/%d" % c["id"], {"balance": 3}, "balance")
    # a reference to a missing row is 422 naming the field
    invalid(ctx, "POST", P, {"name": "n", "tariff_id": 999}, "tariff_id", "not found")
    # duplicates and malformed bodies
    d = problem(ctx.post(P, {"name": "acme"}), 409, "name")
    check("customers.name" in d["detail"], d)
    d = problem(ctx.req("POST", P, raw='{"name": "x",', ctype="application/json"), 400, "body")
    check("line 1" in d["detail"] and "column" in d["detail"], d)
    problem(ctx.req("POST", P, raw='[1]', ctype="application/json"), 400)
    problem(ctx.req("POST", P, raw='{"name":"a","name":"b"}', ctype="application/json"), 400)
    problem(ctx.req("POST", P, raw='name=x', ctype="application/x-www-form-urlencoded"), 415)
    problem(ctx.req("POST", P, raw='{"name": "x"}'), 415)
    problem(ctx.get(P + "/999"), 404)
    problem(ctx.patch(P + "/999", {"name": "y"}), 404)
    problem(ctx.delete(P + "/999"), 404)
    # a customer with trunks cannot go
    t = ok(ctx.post("/api/trunks", {"customer_id": c["id"], "name": "t", "cidrs": "10.0.0.1"}), 201)
    d = problem(ctx.delete(P + "/%d" % c["id"]), 409)
    check("trunks.customer_id" in d["detail"], d)
    ok(ctx.delete("/api/trunks/%d" % t["id"]), 204)
    ok(ctx.delete(P + "/%d" % c["id"]), 204)
    problem(ctx.get(P + "/%d" % c["id"]), 404)
    ctx.stop()


@test
def t_trunks(ctx):
    ctx.start(demo=False)
    cu = ok(ctx.post("/api/customers", {"name": "acme"}), 201)["id"]
    P = "/api/trunks"
    t = ok(ctx.post(P, {"customer_id": cu, "name": "pbx", "username": "alice",
                        "password": "s3cret", "cidrs": "192.0.2.0/24, 2001:db8::/32",
                        "tech_prefix": "1234"}), 201)
    check("password" not in t and "ha1" not in t and "ha1_sha256" not in t, "secret out: %r" % t)
    check(t["realm"] == "trunkline" and t["cidrs"] == "192.0.2.0/24,2001:db8::/32"
          and t["media_mode"] == "relay", "%r" % t)
    ha1 = ctx.sql("SELECT ha1 FROM trunks WHERE id = ?", t["id"])[0][0]
    check(ha1 == hashlib.md5(b"alice:trunkline:s3cret").hexdigest(), "ha1 %s" % ha1)
    for r in (ctx.get(P + "/%d" % t["id"]), ctx.get(P)):
        check(b"s3cret" not in r.body and ha1.encode() not in r.body, "secret in %r" % r)
    # the HA1 covers user and realm: changing either needs the password
    invalid(ctx, "PATCH", P + "/%d" % t["id"], {"username": "bob"}, "password", "required")
    invalid(ctx, "PATCH", P + "/%d" % t["id"], {"realm": "r2"}, "password", "required")
    t2 = ok(ctx.patch(P + "/%d" % t["id"], {"username": "bob", "password": "pw2"}))
    check(t2["username"] == "bob", "%r" % t2)
    check(ctx.sql("SELECT ha1 FROM trunks WHERE id = ?", t["id"])[0][0]
          == hashlib.md5(b"bob:trunkline:pw2").hexdigest(), "ha1 not recomputed")
    ok(ctx.patch(P + "/%d" % t["id"], {"enabled": False}))
    check([x["name"] for x in ok(ctx.get(P + "?customer_id=%d" % cu))["items"]] == ["pbx"], "flt")
    check(ok(ctx.get(P + "?customer_id=999"))["items"] == [], "filter by other customer")
    base = {"customer_id": cu, "name": "t2"}
    invalid(ctx, "POST", P, dict(base), "cidrs", "needs cidrs")
    invalid(ctx, "POST", P, dict(base, username="u"), "password", "required")
    invalid(ctx, "POST", P, dict(base, password="p", cidrs="10.0.0.1"), "password",
            "needs a username")
    invalid(ctx, "POST", P, dict(base, username="u", password=""), "password")
    invalid(ctx, "POST", P, dict(base, username="a:b", password="p"), "username")
    invalid(ctx, "POST", P, dict(base, username="u", password="p", realm='x"y'), "realm")
    invalid(ctx, "POST", P, dict(base, cidrs="10.0.0.300/24"), "cidrs", "10.0.0.300/24")
    invalid(ctx, "POST", P, dict(base, cidrs="10.0.0.0/33"), "cidrs")
    invalid(ctx, "POST", P, dict(base, cidrs="example.com"), "cidrs")
    invalid(ctx, "POST", P, dict(base, cidrs=" , "), "cidrs")
    invalid(ctx, "POST", P, dict(base, cidrs="10.0.0.1", tech_prefix="12a"), "tech_prefix")
    invalid(ctx, "POST", P, dict(base, cidrs="10.0.0.1", media_mode="proxy"), "media_mode")
    invalid(ctx, "POST", P, dict(base, cidrs="10.0.0.1", max_channels=-1), "max_channels")
    invalid(ctx, "POST", P, {"name": "x", "cidrs": "10.0.0.1"}, "customer_id", "required")
    invalid(ctx, "POST", P, dict(base, customer_id=999, cidrs="10.0.0.1"), "customer_id",
            "not found")
    problem(ctx.post(P, dict(base, name="pbx", cidrs="10.0.0.1")), 409, "name")
    problem(ctx.post(P, dict(base, username="bob", password="x")), 409, "username")
    # trunk URIs
    U = "/api/trunk-uris"
    u = ok(ctx.post(U, {"trunk_id": t["id"], "uri": "sip:pbx.example.com:5060;transport=tcp",
                        "priority": 1}), 201)
    check(u["weight"] == 1 and u["priority"] == 1, "%r" % u)
    ok(ctx.patch(U + "/%d" % u["id"], {"weight": 5}))
    check(ok(ctx.get(U + "?trunk_id=%d" % t["id"]))["items"][0]["weight"] == 5, "uri list")
    invalid(ctx, "POST", U, {"trunk_id": t["id"], "uri": "http://x"}, "uri", "sip:")
    invalid(ctx, "POST", U, {"trunk_id": t["id"], "uri": "tel:+441234"}, "uri")
    invalid(ctx, "POST", U, {"trunk_id": t["id"], "uri": "sip:"}, "uri")
    invalid(ctx, "POST", U, {"trunk_id": t["id"], "uri": "sip:x", "priority": 70000},
            "priority")
    invalid(ctx, "POST", U, {"trunk_id": 999, "uri": "sip:x"}, "trunk_id", "not found")
    invalid(ctx, "POST", U, {"uri": "sip:x"}, "trunk_id", "required")
    # deleting the trunk takes its URIs along
    ok(ctx.delete(P + "/%d" % t["id"]), 204)
    problem(ctx.get(U + "/%d" % u["id"]), 404)
    ctx.stop()


@test
def t_carriers_gateways(ctx):
    ctx.start(demo=False)
    P, G = "/api/carriers", "/api/gateways"
    c = ok(ctx.post(P, {"name": "up1", "cidrs": "198.51.100.0/24", "number_format": "+e164",
                        "strip_digits": 2, "add_prefix": "0049#", "priority": 3}), 201)
    check(c["number_format"] == "+e164" and c["add_prefix"] == "0049#", "%r" % c)
    c2 = ok(ctx.post(P, {"name": "up2"}), 201)
    check(c2["number_format"] == "e164" and c2["enabled"], "defaults %r" % c2)
    invalid(ctx, "POST", P, {"name": "x", "number_format": "national"}, "number_format")
    invalid(ctx, "POST", P, {"name": "x", "strip_digits": 16}, "strip_digits")
    invalid(ctx, "POST", P, {"name": "x", "add_prefix": "00a"}, "add_prefix")
    invalid(ctx, "POST", P, {"name": "x", "priority": "1"}, "priority")
    invalid(ctx, "POST", P, {"name": "x", "cidrs": "1.2.3"}, "cidrs")
    problem(ctx.post(P, {"name": "up1"}), 409, "name")
    g = ok(ctx.post(G, {"carrier_id": c["id"], "host": "192.0.2.7"}), 201)
    check(g["port"] == 5060 and g["transport"] == "udp" and g["weight"] == 1, "%r" % g)
    ok(ctx.post(G, {"carrier_id": c["id"], "host": "sbc.example.net", "port": 5061,
                    "transport": "tls"}), 201)
    ok(ctx.post(G, {"carrier_id": c2["id"], "host": "::1", "port": 5070}), 201)
    check(len(ok(ctx.get(G + "?carrier_id=%d" % c["id"]))["items"]) == 2, "by carrier")
    check(len(ok(ctx.get(G + "?transport=tls"))["items"]) == 1, "by transport")
    ok(ctx.patch(G + "/%d" % g["id"], {"priority": 2, "enabled": False}))
    B = {"carrier_id": c["id"]}
    invalid(ctx, "POST", G, dict(B, host="bad host"), "host")
    invalid(ctx, "POST", G, dict(B, host="a:b:c:zz"), "host")
    invalid(ctx, "POST", G, dict(B, host=""), "host")
    invalid(ctx, "POST", G, dict(B, host="h", port=0), "port")
    invalid(ctx, "POST", G, dict(B, host="h", port=65536), "port")
    invalid(ctx, "POST", G, dict(B, host="h", transport="sctp"), "transport")
    invalid(ctx, "POST", G, dict(B, host="h", weight=-1), "weight")
    invalid(ctx, "POST", G, {"host": "h"}, "carrier_id", "required")
    invalid(ctx, "POST", G, {"carrier_id": 999, "host": "h"}, "carrier_id", "not found")
    problem(ctx.post(G, dict(B, host="192.0.2.7")), 409)
    # a carrier takes its gateways and rates along
    ok(ctx.post(P + "/%d/rates" % c["id"], {"prefix": "44", "rate": "0.01"}), 201)
    ok(ctx.delete(P + "/%d" % c["id"]), 204)
    problem(ctx.get(G + "/%d" % g["id"]), 404)
    check(ctx.sql("SELECT count(*) FROM rates")[0][0] == 0, "rates left")
    ctx.stop()


@test
def t_tariffs_rates(ctx):
    ctx.start(demo=False)
    t = ok(ctx.post("/api/tariffs", {"name": "retail", "currency": "GBP"}), 201)
    invalid(ctx, "POST", "/api/tariffs", {"name": "x", "currency": "gbp"}, "currency")
    invalid(ctx, "POST", "/api/tariffs", {"name": "x", "currency": "POUND"}, "currency")
    c = ok(ctx.post("/api/carriers", {"name": "up"}), 201)
    R = "/api/carriers/%d/rates" % c["id"]
    r = ok(ctx.post(R, {"prefix": "+4420", "rate": "0.0125", "connect_fee": "0.001",
                        "inc_first": 30, "inc_next": 6,
                        "effective_from": "2025-01-31T12:00:00Z"}), 201)
    check(r["prefix"] == "4420" and r["rate"] == "0.0125" and r["carrier_id"] == c["id"]
          and r["effective_from"] == "2025-01-31T12:00:00Z", "%r" % r)
    check(ctx.sql("SELECT rate, connect_fee FROM rates")[0] == (12500, 1000), "exact money")
    r2 = ok(ctx.patch(R + "/%d" % r["id"], {"rate": "0.02", "effective_from": None}))
    check(r2["rate"] == "0.02" and r2["effective_from"] is None, "%r" % r2)
    invalid(ctx, "POST", R, {"prefix": "44", "rate": 0.01}, "rate", "JSON string")
    invalid(ctx, "POST", R, {"prefix": "44", "rate": "0.0000001"}, "rate")
    invalid(ctx, "POST", R, {"prefix": "44", "rate": "-0.01"}, "rate")
    invalid(ctx, "POST", R, {"prefix": "4a", "rate": "1"}, "prefix")
    invalid(ctx, "POST", R, {"prefix": "1234567890123456", "rate": "1"}, "prefix")
    invalid(ctx, "POST", R, {"prefix": "44", "rate": "1", "inc_first": 0}, "inc_first")
    invalid(ctx, "POST", R, {"prefix": "44", "rate": "1", "effective_from": "31/01/2025"},
            "effective_from")
    invalid(ctx, "POST", R, {"prefix": "44", "rate": "1", "carrier_id": 5}, "carrier_id",
            "read-only")
    invalid(ctx, "POST", R, {"prefix": "44"}, "rate", "required")
    problem(ctx.post(R, {"prefix": "4420", "rate": "1"}), 409)
    problem(ctx.get("/api/carriers/999/rates"), 404)
    problem(ctx.post("/api/carriers/999/rates", {"prefix": "1", "rate": "1"}), 404)
    # a rate is only found under its own carrier
    other = ok(ctx.post("/api/carriers", {"name": "other"}), 201)
    problem(ctx.get("/api/carriers/%d/rates/%d" % (other["id"], r["id"])), 404)
    problem(ctx.delete("/api/carriers/%d/rates/%d" % (other["id"], r["id"])), 404)
    # tariff prices
    T = "/api/tariffs/%d/rates" % t["id"]
    ok(ctx.post(T, {"prefix": "44", "rate": "0.03"}), 201)
    check(ok(ctx.get(T))["items"][0]["tariff_id"] == t["id"], "tariff rates")
    # a tariff in use cannot go
    ok(ctx.post("/api/customers", {"name": "cu", "tariff_id": t["id"]}), 201)
    problem(ctx.delete("/api/tariffs/%d" % t["id"]), 409)
    # CSV: BOM, CRLF, quotes, header with any column order, comments
    csv = ('\ufeffrate,prefix,"increments",effective_from\r\n# a comment\r\n'
           '0.01,44,60/60,2025-01-01\r\n"0.02",+447,1/1,\r\n0.005,1,6/6,1735689600\r\n')
    imp = ok(ctx.req("POST", R, raw=csv.encode(), ctype="text/csv"), 201)
    check(imp["imported"] == 3, "%r" % imp)
    got = ok(ctx.get(R + "?prefix=447"))["items"]
    check(len(got) == 1 and got[0]["rate"] == "0.02" and got[0]["inc_first"] == 1, "%r" % got)
    # no header: ?columns= gives the order
    imp = ok(ctx.req("POST", R + "?columns=prefix,rate,connect_fee", raw="33,0.1,0.5\n",
                     ctype="text/csv"), 201)
    check(imp["imported"] == 1, "%r" % imp)
    n = len(ok(ctx.get(R + "?limit=1000"))["items"])
    # a bad row rejects the whole deck with its line and column
    bad = "prefix,rate,connect_fee\n49,0.01,0\n491,0.02x,0\n"
    d = problem(ctx.req("POST", R, raw=bad, ctype="text/csv"), 422, "rate", "0.02x")
    e = d["errors"][0]
    check(e["line"] == 3 and e["column"] == 2, "position %r" % e)
    check("line 3, column 2" in d["detail"] and "nothing imported" in d["detail"], d)
    check(len(ok(ctx.get(R + "?limit=1000"))["items"]) == n, "partial import")
    for body, field, line, col in (
            ("prefix,rate\n4x,1\n", "prefix", 2, 1),
            ("prefix,rate,fee\n1,1,-1\n", "connect_fee", 2, 3),
            ("prefix,rate,increments\n1,1,60\n", "increments", 2, 3),
            ("prefix,rate,inc_first\n1,1,0\n", "inc_first", 2, 3),
            ("prefix,rate,from\n1,1,yesterday\n", "effective_from", 2, 3),
            ("prefix,rate,colour\n", "header", 1, 3),
            ("prefix,fee\n", "header", 1, None),
            ("1,1\n2,2,3,4,5,6,7\n", "row", 2, 7),
            ('1,"1\n', "row", 1, None),
            ("4420,5\n", "prefix", 1, 1),        # duplicate of the JSON rate above
            # the first duplicate line, whatever order the import inserts in
            ("prefix,rate\n49,0.1\n34,0.2\n48,0.3\n34,0.4\n12,0.5\n12,0.6\n", "prefix", 5, 1),
            ("prefix,rate\n55,1\n4420,1\n56,1x\n", "prefix", 3, 1)):   # before a bad line
        d = problem(ctx.req("POST", R, raw=body, ctype="text/csv"), 422, field)
        e = d["errors"][0]
        check(e["line"] == line and e.get("column") == col, "%r: %r" % (body, e))
    check(len(ok(ctx.get(R + "?limit=1000"))["items"]) == n, "partial import")
    problem(ctx.req("POST", R + "?columns=prefix,bogus", raw="1,1\n", ctype="text/csv"), 400)
    ok(ctx.req("POST", T, raw="prefix,price\n1,0.02\n", ctype="text/csv"), 201)
    ctx.stop()


@test
def t_numbers(ctx):
    ctx.start(demo=False)
    cu = ok(ctx.post("/api/customers", {"name": "acme"}), 201)["id"]
    tr = ok(ctx.post("/api/trunks", {"customer_id": cu, "name": "pbx", "cidrs": "10.0.0.1"}),
            201)["id"]
    P = "/api/numbers"
    n = ok(ctx.post(P, {"e164": "+442071234567", "customer_id": cu, "trunk_id": tr,
                        "country": "GB"}), 201)
    check(n["e164"] == "+442071234567" and n["type"] == "geographic", "%r" % n)
    check(ctx.sql("SELECT e164 FROM numbers")[0][0] == "442071234567", "stored digits")
    ok(ctx.patch(P + "/%d" % n["id"], {"delivery_uri": "sip:pbx@192.0.2.1", "trunk_id": None}))
    check(ok(ctx.get(P + "?e164=%2B442071234567"))["items"][0]["id"] == n["id"], "by e164")
    check(ok(ctx.get(P + "?e164=442071234567"))["items"][0]["id"] == n["id"], "without +")
    problem(ctx.post(P, {"e164": "442071234567", "customer_id": cu}), 409, "e164")
    B = {"customer_id": cu}
    for bad in ("02071234567", "+44abc", "+4420712345678901", "+999123456", "+1", "",
                "+44 20 7123 4567"):
        invalid(ctx, "POST", P, dict(B, e164=bad), "e164")
    invalid(ctx, "POST", P, {"e164": "+442071234568"}, "customer_id", "required")
    invalid(ctx, "POST", P, dict(B, e164="+442071234568", type="premium"), "type")
    invalid(ctx, "POST", P, dict(B, e164="+442071234568", delivery_uri="mailto:x"),
            "delivery_uri")
    invalid(ctx, "POST", P, dict(B, e164="+442071234568", trunk_id=999), "trunk_id",
            "not found")
    invalid(ctx, "POST", P, {"e164": "+442071234568", "customer_id": 999}, "customer_id",
            "not found")
    # a range: all or nothing
    R = "/api/numbers/range"
    res = ok(ctx.post(R, {"from": "+442079460000", "to": "+442079460099", "customer_id": cu,
                          "trunk_id": tr}), 201)
    check(res["count"] == 100 and res["from"] == "+442079460000", "%r" % res)
    check(len(ok(ctx.get(P + "?customer_id=%d&limit=1000" % cu))["items"]) == 101, "range")
    before = ctx.sql("SELECT count(*) FROM numbers")[0][0]
    d = problem(ctx.post(R, {"from": "+442079459990", "to": "+442079460005",
                             "customer_id": cu}), 409)
    check("+442079460000" in d["detail"], d)
    check(ctx.sql("SELECT count(*) FROM numbers")[0][0] == before, "partial range")
    invalid(ctx, "POST", R, {"from": "+442079460000", "customer_id": cu}, "to", "required")
    invalid(ctx, "POST", R, {"from": "+4930123456", "to": "+49301234567", "customer_id": cu},
            "to", "as many digits")
    invalid(ctx, "POST", R, {"from": "+442079460010", "to": "+442079460001",
                             "customer_id": cu}, "to", "below")
    invalid(ctx, "POST", R, {"from": "+442070000000", "to": "+442079999999",
                             "customer_id": cu}, "to", "at most")
    invalid(ctx, "POST", R, {"from": "0207", "to": "0208", "customer_id": cu}, "from")
    invalid(ctx, "POST", R, {"from": "+442079470000", "to": "+442079470001"}, "customer_id")
    invalid(ctx, "POST", R, {"from": "+442079470000", "to": "+442079470001",
                             "customer_id": cu, "type": "x"}, "type")
    invalid(ctx, "POST", R, {"from": "+442079470000", "to": "+442079470001",
                             "customer_id": cu, "e164": "+1"}, "e164")
    ok(ctx.delete(P + "/%d" % n["id"]), 204)
    ctx.stop()


def add_cdrs(ctx, n, base=1700000000000):
    con = sqlite3.connect(ctx.db)
    rows = []
    for i in range(n):
        rows.append(("call-%d" % i, 1 + i % 2, 1, 1 + i % 3, "out" if i % 5 else "in",
                     "4415%06d" % i, "+4420%07d" % i, "+4420%07d" % i, base + i * 1000,
                     base + i * 1000 + 500, base + i * 1000 + 900, base + i * 1000 + 60900, 500,
                     "caller", 200 if i % 4 else 503, 16 if i % 4 else 41,
                     'say "hi", ok' if i == 0 else None, 60, 10000 + i, 20000 + i,
                     '[{"carrier_id":1,"gateway":"127.0.0.1:5070","code":200}]'))
    con.executemany("INSERT INTO cdrs (call_id, customer_id, trunk_id, carrier_id, direction, "
                    "caller, dialled, normalised, setup_ms, ring_ms, answer_ms, end_ms, pdd_ms, "
                    "disconnect_side, sip_code, q850_cause, reason, billed_sec, cost, price, "
                    "attempts) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    con.commit()
    con.close()


@test
def t_cdrs(ctx):
    ctx.start()
    N = 2345
    add_cdrs(ctx, N)
    p = ok(ctx.get("/api/cdrs?limit=3"))
    check(len(p["items"]) == 3 and p["next_cursor"] == "3", "%r" % p)
    c0 = p["items"][0]
    check(c0["cost"] == "0.01" and c0["price"] == "0.02" and c0["attempts"][0]["code"] == 200
          and c0["direction"] == "in" and c0["cause"] == 41, "%r" % c0)
    ok(ctx.get("/api/cdrs?limit=3&cursor=" + p["next_cursor"]))
    check(ok(ctx.get("/api/cdrs/5"))["call_id"] == "call-4", "get")
    problem(ctx.get("/api/cdrs/99999"), 404)
    # filters
    def count(q):
        n, cur = 0, None
        while True:
            r = ok(ctx.get("/api/cdrs?limit=1000&" + q + ("&cursor=" + cur if cur else "")))
            n += len(r["items"])
            cur = r["next_cursor"]
            if not cur:
                return n
    check(count("customer_id=1") == (N + 1) // 2, "customer")
    check(count("carrier_id=3") == N // 3, "carrier")
    check(count("sip_code=503") == (N + 3) // 4, "code")
    check(count("cause=41") == (N + 3) // 4, "cause")
    check(count("direction=in") == (N + 4) // 5, "direction")
    check(count("number=%2B44200000007") == 1, "number")
    check(count("number=441500000" + "7") == 1, "caller")
    # time range: end_ms in [from, to)
    base = 1700000000000 + 60900
    check(count("from=%d&to=%d" % (base + 10000, base + 20000)) == 10, "range ms")
    check(count("from=2023-11-14T22:14:31Z&to=2023-11-14T22:14:41Z") == 10, "range iso")
    for q, f in (("from=yesterday", "from"), ("to=1&from=5", "to"), ("customer_id=x", "customer_id"),
                 ("sip_code=1000", "sip_code"), ("cause=-1", "cause"), ("direction=up", "direction"),
                 ("limit=5000", "limit"), ("cursor=x", "cursor")):
        problem(ctx.get("/api/cdrs?" + q), 400, f)
        problem(ctx.get("/api/cdrs.csv?" + q), 400, f) if f not in ("limit", "cursor") else None
    # CSV export, streamed in batches
    r = ctx.get("/api/cdrs.csv")
    check(r.status == 200 and r.headers["Content-Type"].startswith("text/csv"), "%r" % r)
    check(r.headers.get("Content-Length") is None, "not streamed (has a length)")
    import csv as csvmod, io
    rows = list(csvmod.reader(io.StringIO(r.body.decode())))
    check(rows[0][:3] == ["id", "call_id", "direction"], "header %r" % rows[0])
    check(len(rows) == N + 1, "rows %d" % len(rows))
    check(rows[1][16] == 'say "hi", ok' and rows[1][18] == "0.01", "quoting %r" % rows[1])
    check([x[0] for x in rows[1:]] == [str(i) for i in range(1, N + 1)], "order")
    r = ctx.get("/api/cdrs.csv?customer_id=2&sip_code=503")
    rows = list(csvmod.reader(io.StringIO(r.body.decode())))
    check(len(rows) - 1 == count("customer_id=2&sip_code=503"), "filtered csv")
    problem(ctx.get("/api/cdrs.csv", token=None), 401)
    ctx.stop()


@test
def t_route_explain(ctx):
    ctx.start()
    E = "/api/route/explain?customer=demo&number="
    d = ok(ctx.get(E + "%2B442071234567"))
    check(d["routed"] and d["status"] == 200 and d["e164"] == "+442071234567", "%r" % d)
    a = d["attempts"]
    check([x["carrier"] for x in a] == ["carrier-a", "carrier-b"], "%r" % a)
    check(a[0]["cost_1min"] == "0.01" and a[0]["price_1min"] == "0.02"
          and a[0]["margin_1min"] == "0.01" and a[0]["gateway"]["port"] == 5070, "%r" % a[0])
    check(d["tariff"]["prefix"] == "44" and "carrier-a" in d["text"], "%r" % d)
    # national dialling from the customer's country, by id too
    d = ok(ctx.get("/api/route/explain?customer=1&number=02071234567"))
    check(d["e164"] == "+442071234567", "%r" % d)
    # refused: a number that cannot be, a destination without a rate
    d = ok(ctx.get(E + "12"))
    check(not d["routed"] and d["status"] == 484, "%r" % d)
    d = ok(ctx.get(E + "%2B33123456789"))
    check(not d["routed"] and d["status"] >= 400, "%r" % d)
    problem(ctx.get("/api/route/explain?customer=demo"), 400, "number")
    problem(ctx.get("/api/route/explain?number=1"), 400, "customer")
    problem(ctx.get(E + "1&at=soon"), 400, "at")
    problem(ctx.get("/api/route/explain?customer=nobody&number=1"), 404, "customer")
    # a change through the API takes effect in routing without a restart:
    # a cheaper carrier for 44 is tried first once the snapshot reloads
    c = ok(ctx.post("/api/carriers", {"name": "cheap"}), 201)
    ok(ctx.post("/api/gateways", {"carrier_id": c["id"], "host": "127.0.0.1", "port": 5090}), 201)
    ok(ctx.post("/api/carriers/%d/rates" % c["id"], {"prefix": "4420", "rate": "0.001"}), 201)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        d = ok(ctx.get(E + "%2B442071234567"))
        if d["attempts"][0]["carrier"] == "cheap":
            break
        time.sleep(0.1)
    check(d["attempts"][0]["carrier"] == "cheap" and d["attempts"][0]["prefix"] == "4420",
          "no reload: %r" % d["attempts"])
    # and a carrier disabled through the API drops out
    ok(ctx.patch("/api/carriers/%d" % c["id"], {"enabled": False}))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        d = ok(ctx.get(E + "%2B442071234567"))
        if d["attempts"][0]["carrier"] != "cheap":
            break
        time.sleep(0.1)
    check(d["attempts"][0]["carrier"] == "carrier-a", "still routed to a disabled carrier")
    ctx.stop()


@test
def t_tls(ctx):
    """[api] tls_cert/tls_key: HTTPS with a certificate the test makes;
    plain HTTP is refused on that port; trunkctl checks the certificate
    (--cacert); half a TLS config or a file that is not PEM stops the
    daemon at start with a message naming it."""
    import ssl
    cert, key = os.path.join(ctx.tmp, "cert.pem"), os.path.join(ctx.tmp, "key.pem")
    p = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                        "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", key, "-out", cert], capture_output=True, text=True, timeout=60)
    check(p.returncode == 0, "openssl: " + p.stderr)
    ctx.start(api_extra="tls_cert = %s\ntls_key = %s" % (cert, key))
    check("listen=https://127.0.0.1:%d" % ctx.port in ctx.text(), "no https listen line")
    tls = ssl.create_default_context(cafile=cert)
    url = "https://127.0.0.1:%d/api/customers" % ctx.port
    rq = urllib.request.Request(url, headers={"Authorization": "Bearer " + ctx.token})
    with urllib.request.urlopen(rq, timeout=30, context=tls) as r:
        check(r.status == 200 and "items" in json.loads(r.read()), "GET over https")
    try:
        urllib.request.urlopen(urllib.request.Request(url), timeout=30, context=tls)
        check(False, "no token over https was accepted")
    except urllib.error.HTTPError as e:
        check(e.code == 401, "no token over https: %d" % e.code)
    try:
        urllib.request.urlopen("http://127.0.0.1:%d/api/health" % ctx.port, timeout=10)
        check(False, "plain HTTP answered on the HTTPS port")
    except (urllib.error.URLError, ConnectionError, http.client.HTTPException):
        pass
    tc = os.path.join(os.path.dirname(ctx.trunkline), "tools", "trunkctl", "trunkctl")
    if os.path.exists(tc):
        base = [tc, "--server", "https://127.0.0.1:%d" % ctx.port, "--token", ctx.token]
        p = subprocess.run(base + ["--cacert", cert, "customers", "list"], capture_output=True,
                           text=True, timeout=30)
        check(p.returncode == 0 and "demo" in p.stdout, "trunkctl --cacert: %r" % (p,))
        p = subprocess.run(base + ["customers", "list"], capture_output=True, text=True,
                           timeout=30)
        check(p.returncode == 1 and "certificate" in p.stderr.lower(),
              "trunkctl without the CA: %r" % (p,))
    ctx.stop()
    # Misconfigurations stop the daemon with a clear message.
    notpem = os.path.join(ctx.tmp, "notpem.txt")
    with open(notpem, "w") as f:
        f.write("hello\n")
    for extra, msg in (("tls_cert = %s" % cert, "needs both tls_cert and tls_key"),
                       ("tls_cert = %s\ntls_key = %s" % (notpem, key), "tls_cert is not a PEM file"),
                       ("tls_cert = %s\ntls_key = %s" % (cert, os.path.join(ctx.tmp, "none.pem")),
                        "cannot read tls_key")):
        conf = os.path.join(ctx.tmp, "bad.conf")
        with open(conf, "w") as f:
            f.write("[sip]\nlisten = udp:127.0.0.1:%d\n[store]\nurl = %s\n[api]\n"
                    "listen = 127.0.0.1:%d\n%s\n" % (free_port(), ctx.url, free_port(False), extra))
        p = subprocess.run([ctx.trunkline, "-c", conf], capture_output=True, text=True,
                           env=ctx.env, cwd=ctx.tmp, timeout=30)
        out = p.stdout + p.stderr
        check(p.returncode != 0 and msg in out, "%s: exit %d:\n%s" % (extra, p.returncode, out))
        for m in SAN_MARKERS:
            check(m not in out, "sanitizer report:\n" + out)


@test
def t_metrics(ctx):
    ctx.start()
    ok(ctx.get("/api/customers"))
    ctx.get("/api/customers", token="wrong")
    add_cdrs(ctx, 3)
    r = ctx.get("/metrics")
    check(r.status == 200 and r.headers["Content-Type"].startswith("text/plain"), "%r" % r)
    t = r.body.decode()
    for name in ("trunkline_api_requests_total", 'trunkline_api_responses_total{class="2xx"}',
                 "trunkline_api_unauthorized_total 1", 'trunkline_routing_rows{kind="carriers"} 2',
                 "trunkline_cdr_queue_depth", "trunkline_calls_active", "trunkline_transactions_total",
                 "trunkline_sip_parse_errors_total", "trunkline_transport_messages_total",
                 "trunkline_store_generation"):
        check(name in t, "no %s in:\n%s" % (name, t))
    # every sample line is "name{labels} value" under a TYPE line
    typed = set(re.findall(r"^# TYPE (\S+) (counter|gauge|histogram)$", t, re.M))
    names = {n for n, k in typed if k != "histogram"}
    for n, k in typed:
        if k == "histogram":
            names |= {n + "_bucket", n + "_sum", n + "_count"}
    for line in t.splitlines():
        if line.startswith("#"):
            continue
        m = re.fullmatch(r"([a-z_]+)(\{[^}]*\})? (\d+(\.\d+)?(e[-+]\d+)?)", line)
        check(m and m.group(1) in names, "bad line %r" % line)
    # histograms: cumulative buckets ending in +Inf = _count
    for n, k in typed:
        if k != "histogram":
            continue
        b = [int(v) for v in re.findall(r"^%s_bucket\{[^}]*\} (\d+)$" % n, t, re.M)]
        check(b and b == sorted(b), "%s buckets not cumulative: %r" % (n, b))
        check(("%s_count %d" % (n, b[-1])) in t, "%s: +Inf bucket != count" % n)
    for name in ("trunkline_pdd_seconds_bucket{le=\"+Inf\"}", "trunkline_setup_latency_seconds",
                 "trunkline_media_mos_count", "trunkline_media_jitter_seconds_sum"):
        check(name in t, "no %s in:\n%s" % (name, t))
    ctx.stop()


@test
def t_openapi(ctx):
    """Every documented path answers something other than 404/405 (with
    ids of rows that exist); the document served is the one in the tree."""
    ctx.start()
    doc = ok(ctx.get("/api/openapi.json", token=None))
    if ctx.openapi:
        with open(ctx.openapi) as f:
            check(json.load(f) == doc, "served document differs from openapi.json")
    check(doc["openapi"].startswith("3."), "version")
    # one row of everything
    cu = ok(ctx.post("/api/customers", {"name": "o"}), 201)["id"]
    tr = ok(ctx.post("/api/trunks", {"customer_id": cu, "name": "o", "cidrs": "10.9.9.9"}), 201)["id"]
    tu = ok(ctx.post("/api/trunk-uris", {"trunk_id": tr, "uri": "sip:o@10.9.9.9"}), 201)["id"]
    ca = ok(ctx.post("/api/carriers", {"name": "o"}), 201)["id"]
    gw = ok(ctx.post("/api/gateways", {"carrier_id": ca, "host": "10.9.9.8"}), 201)["id"]
    ta = ok(ctx.post("/api/tariffs", {"name": "o"}), 201)["id"]
    nu = ok(ctx.post("/api/numbers", {"e164": "+442071230000", "customer_id": cu}), 201)["id"]
    cr = ok(ctx.post("/api/carriers/%d/rates" % ca, {"prefix": "1", "rate": "1"}), 201)["id"]
    tar = ok(ctx.post("/api/tariffs/%d/rates" % ta, {"prefix": "1", "rate": "1"}), 201)["id"]
    add_cdrs(ctx, 1)
    ids = {"/api/customers/{id}": cu, "/api/trunks/{id}": tr, "/api/trunk-uris/{id}": tu,
           "/api/carriers/{id}": ca, "/api/gateways/{id}": gw, "/api/tariffs/{id}": ta,
           "/api/numbers/{id}": nu, "/api/carriers/{carrier_id}/rates/{id}": cr,
           "/api/tariffs/{tariff_id}/rates/{id}": tar, "/api/cdrs/{id}": 1}
    n = 0
    for path, item in doc["paths"].items():
        for method in ("get", "post", "patch", "delete"):
            if method not in item or method == "delete":
                continue   # deletes are exercised by the resource tests
            p = path.replace("{carrier_id}", str(ca)).replace("{tariff_id}", str(ta))
            p = p.replace("{id}", str(ids.get(path, 1)))
            if path == "/api/route/explain":
                p += "?customer=demo&number=%2B442071234567"
            body = {} if method in ("post", "patch") else None
            r = ctx.req(method.upper(), p, body)
            if path == "/api/calls/{id}" and r.status == 404:
                # no call in progress here (tests/ops has them): a 404
                # that says so, not an unknown path
                check(b"in progress" in r.body, "%s %s -> %r" % (method, p, r))
                n += 1
                continue
            check(r.status not in (404, 405), "%s %s -> %r" % (method, p, r))
            # a problem answers as problem+json, an answer as documented
            if r.status >= 400:
                problem(r, r.status)
            else:
                documented = item[method]["responses"]
                check(str(r.status) in documented, "%s %s: %d not documented" %
                      (method, path, r.status))
            n += 1
    check(n >= 30, "only %d operations" % n)
    ctx.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trunkline")
    ap.add_argument("--openapi", help="src/api/openapi.json, compared with what is served")
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
        ctx.kill()
        if args.keep:
            print("files kept in %s" % ctx.tmp)
        else:
            shutil.rmtree(ctx.tmp, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
