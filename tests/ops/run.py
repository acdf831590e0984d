#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Operators' live tools with real calls: the REST API's live calls (list,
filters, paging, hang-up of an answered and of a ringing call) and its
traffic statistics and /metrics after calls SIPp placed through the
daemon (failover, a refused number).

Reuses tests/scenarios/run.py (imported): the daemon, provisioning, SIPp
and the addresses are the same; the daemon here also serves the API on a
free loopback port with a token made for the test.

    run.py --trunkline PATH TEST      exit 0 pass, 1 fail, 77 skipped
"""
import hashlib
import json
import os
import re
import secrets
import string
import subprocess
import sys
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "scenarios"))
import run as scen  # noqa: E402  (tests/scenarios/run.py)
from run import (CARRIER_A_IP, CARRIER_B_IP, DIALLED, Daemon, Fail, check,  # noqa: E402
                 expect_ok, final_response, free_port, reject_xml, standard_topo, uac, uas,
                 wait_until)

TESTS = scen.TESTS
TESTS.clear()          # only this file's tests


def test(fn):
    TESTS[fn.__name__[2:]] = fn
    return fn


class OpsDaemon(Daemon):
    """The scenario daemon with the REST API on a free port and a token."""

    def __init__(self, ctx, topo, **kw):
        super().__init__(ctx, topo, **kw)
        self.token = "tl_" + "".join(secrets.choice(string.ascii_letters + string.digits)
                                     for _ in range(40))
        self.api_port = None

    def _write_conf(self):
        super()._write_conf()
        self.api_port = free_port()
        with open(self.conf, "a") as f:
            f.write("[api]\nlisten = 127.0.0.1:%d\ntoken_sha256 = %s\n"
                    % (self.api_port, hashlib.sha256(self.token.encode()).hexdigest()))

    def req(self, method, path):
        rq = urllib.request.Request("http://127.0.0.1:%d%s" % (self.api_port, path),
                                    method=method,
                                    headers={"Authorization": "Bearer " + self.token})
        try:
            with urllib.request.urlopen(rq, timeout=30) as r:
                body = r.read()
                return r.status, (json.loads(body) if body and r.headers.get(
                    "Content-Type", "").endswith("json") else body.decode())
        except urllib.error.HTTPError as e:
            body = e.read()
            return e.code, json.loads(body) if body else None

    def get(self, path, status=200):
        st, body = self.req("GET", path)
        check(st == status, "GET %s: %d, expected %d: %r" % (path, st, status, body))
        return body


def trunkctl(ctx, d, *args, code=0):
    """Run the operators' CLI (built beside the daemon) against d."""
    exe = os.path.join(os.path.dirname(ctx.trunkline), "tools", "trunkctl", "trunkctl")
    check(os.path.exists(exe), "no trunkctl at %s" % exe)
    p = subprocess.run([exe, "--server", "http://127.0.0.1:%d" % d.api_port,
                        "--token", d.token] + list(args), capture_output=True, text=True,
                       timeout=30)
    check(p.returncode == code, "trunkctl %s exited %d, expected %d:\n%s%s"
          % (" ".join(args), p.returncode, code, p.stdout, p.stderr))
    return p.stdout + p.stderr


def problem(d, path, field, method="GET", status=422):
    st, body = d.req(method, path)
    check(st == status, "%s %s: %d, expected %d: %r" % (method, path, st, status, body))
    check(isinstance(body, dict) and body.get("status") == status, "not a problem: %r" % body)
    if field:
        check(any(e.get("field") == field for e in body.get("errors", [])),
              "%s %s: no error for %r in %r" % (method, path, field, body))
    return body


def calls(d, query=""):
    return d.get("/api/calls" + query)


def wait_calls(d, n, state):
    got = {}

    def ready():
        got["v"] = calls(d)
        return got["v"]["total"] == n and all(c["state"] == state for c in got["v"]["items"])
    check(wait_until(ready, 15), "expected %d %s calls, the API lists %r" % (n, state, got.get("v")))
    return got["v"]["items"]


# ------------------------------------------------------------------ tests

@test
def t_calls_live(ctx):
    a_port = free_port(CARRIER_A_IP, tcp=False)
    topo, ids = standard_topo(a_port, free_port(CARRIER_B_IP, tcp=False))
    d = OpsDaemon(ctx, topo).start()
    carrier = uas(ctx, "carrier-a", "uas_answer.xml", CARRIER_A_IP, a_port, ring=100, calls=3)
    cust = uac(ctx, d, "customer", "uac_wait_bye.xml", calls=3, extra=["-l", "3"])
    items = wait_calls(d, 3, "answered")
    for c in items:
        check(c["direction"] == "out" and c["customer_id"] == ids["customer"]
              and c["trunk_id"] == ids["trunk"] and c["carrier_id"] == ids["a"]
              and c["carrier"] == "carrier-a", "who: %r" % c)
        check(DIALLED in c["dialled"] and c["e164"] == "+" + DIALLED, "numbers: %r" % c)
        check(c["call_id"] and c["b_call_id"] and c["call_id"] != c["b_call_id"],
              "Call-IDs: %r" % c)
        check(c["gateway"] == "%s:%d" % (CARRIER_A_IP, a_port), "gateway %r" % c["gateway"])
        check(c["attempt"] == 1 and c["attempts"] == 2, "attempts %r" % c)
        check(c["answer"] and c["ring"] and c["setup"] <= c["ring"] <= c["answer"],
              "times %r" % c)
        check(c["media"] == "direct" and c["duration_s"] >= 0, "media/duration %r" % c)
    ids3 = sorted(c["id"] for c in items)
    check([c["id"] for c in items] == ids3, "not in id order: %r" % [c["id"] for c in items])
    first, second, third = ids3
    listed = {c["id"]: c for c in items}
    one = d.get("/api/calls/%d" % second)
    check(one == dict(listed[second], duration_s=one["duration_s"]),
          "GET one %r differs from its list entry %r" % (one, listed[second]))
    # Filters and paging: a page at a time, by id.
    check(calls(d, "?state=ringing")["total"] == 0, "ringing filter")
    check(calls(d, "?state=answered&direction=in")["total"] == 0, "direction filter")
    check(calls(d, "?customer_id=%d" % (ids["customer"] + 100))["total"] == 0, "customer filter")
    check(calls(d, "?carrier_id=%d&direction=out" % ids["a"])["total"] == 3, "carrier filter")
    check(calls(d, "?carrier_id=%d" % ids["b"])["total"] == 0, "other carrier")
    check(calls(d, "?number=%s" % DIALLED[-6:])["total"] == 3, "number filter")
    check(calls(d, "?number=999999999")["total"] == 0, "number filter, no match")
    seen, cursor = [], ""
    for page in range(3):
        p = calls(d, "?limit=1" + cursor)
        check(len(p["items"]) == 1 and p["total"] == 3, "page %d: %r" % (page, p))
        seen.append(p["items"][0]["id"])
        check(bool(p["next_cursor"]) == (page < 2), "page %d cursor: %r" % (page, p))
        cursor = "&cursor=%s" % p["next_cursor"]
    check(seen == ids3, "pages gave %r, expected %r" % (seen, ids3))
    p = calls(d, "?limit=2&cursor=%d" % first)
    check([c["id"] for c in p["items"]] == [second, third] and not p["next_cursor"],
          "limit 2 after the first: %r" % p)
    # Bad queries name the field.
    problem(d, "/api/calls?state=talking", "state")
    problem(d, "/api/calls?limit=0", "limit")
    problem(d, "/api/calls?direction=sideways", "direction")
    problem(d, "/api/calls/999999", None, status=404)
    # The same through trunkctl: the table, one call, a hang-up.
    out = trunkctl(ctx, d, "calls", "--carrier", "carrier-a")
    lines = out.strip().splitlines()
    check(len(lines) == 4 and lines[0].split()[:3] == ["id", "state", "direction"]
          and "answered" in lines[1] and "+" + DIALLED in lines[2], "trunkctl calls:\n" + out)
    out = trunkctl(ctx, d, "calls", "show", str(second))
    check(re.search(r"^b_call_id\s+%s$" % re.escape(listed[second]["b_call_id"]), out, re.M)
          and re.search(r"^id\s+%d$" % second, out, re.M), "trunkctl calls show:\n" + out)
    # Hang up all three (the API, then trunkctl): BYE to the caller and to
    # the carrier, each.
    for cid in (first, third):
        st, body = d.req("DELETE", "/api/calls/%d" % cid)
        check(st == 204, "DELETE /api/calls/%d: %d %r" % (cid, st, body))
    check("call %d hung up" % second in trunkctl(ctx, d, "calls", "hangup", str(second)),
          "trunkctl hangup")
    trunkctl(ctx, d, "calls", "hangup", str(second), code=3)
    for cid in (first, second, third):
        problem(d, "/api/calls/%d" % cid, None, status=404)
        problem(d, "/api/calls/%d" % cid, None, method="DELETE", status=404)
    expect_ok(d, cust, carrier)
    check(len(cust.received("BYE")) == 3 and len(carrier.received("BYE")) == 3,
          "BYEs: caller %d, carrier %d" % (len(cust.received("BYE")),
                                          len(carrier.received("BYE"))))
    check(calls(d)["total"] == 0, "calls left after the hang-ups")
    check(d.text().count("hang-up by the operator") == 3, "no log line per hang-up")
    d.stop()
    rows = d.cdrs()
    check(len(rows) == 3, "CDRs: %r" % rows)
    for r in rows:
        check(r["reason"] == "operator hangup" and r["disconnect_side"] == "system"
              and r["sip_code"] == 200 and r["answer_ms"], "CDR %r" % r)


@test
def t_calls_hangup_ringing(ctx):
    a_port = free_port(CARRIER_A_IP, tcp=False)
    topo, ids = standard_topo(a_port, free_port(CARRIER_B_IP, tcp=False))
    d = OpsDaemon(ctx, topo).start()
    carrier = uas(ctx, "carrier-a", "uas_ring_cancel.xml", CARRIER_A_IP, a_port)
    cust = uac(ctx, d, "customer", "uac_reject.xml")
    (c,) = wait_calls(d, 1, "ringing")
    check(c["ring"] and c["answer"] is None, "ringing call %r" % c)
    st, body = d.req("DELETE", "/api/calls/%d" % c["id"])
    check(st == 204, "DELETE: %d %r" % (st, body))
    expect_ok(d, cust, carrier)
    check(carrier.received("CANCEL"), "the carrier got no CANCEL")
    check(final_response(cust).code == 480, "the caller got %r, expected 480"
          % final_response(cust).code)
    d.stop()
    (r,) = d.cdrs()
    check(r["reason"] == "operator hangup" and r["sip_code"] == 480 and not r["answer_ms"],
          "CDR %r" % r)


def metric(text, name, labels=""):
    pat = r"^%s%s (\S+)$" % (re.escape(name), re.escape("{%s}" % labels) if labels else "")
    m = re.search(pat, text, re.M)
    return float(m.group(1)) if m else None


@test
def t_stats(ctx):
    a_port = free_port(CARRIER_A_IP, tcp=False)
    b_port = free_port(CARRIER_B_IP, tcp=False)
    topo, ids = standard_topo(a_port, b_port)
    d = OpsDaemon(ctx, topo).start()
    # Call 1: carrier A refuses 503, B rings at once, answers 300 ms later;
    # 1 s talk.
    ca = uas(ctx, "carrier-a", reject_xml(ctx, 503, "Service Unavailable"), CARRIER_A_IP, a_port)
    cb = uas(ctx, "carrier-b", "uas_answer.xml", CARRIER_B_IP, b_port, ring=300)
    cust = uac(ctx, d, "customer", "uac_call.xml", hold_ms=1000)
    expect_ok(d, cust, ca, cb)
    # Call 2: a number that cannot exist, refused before routing.
    bad = uac(ctx, d, "bad-number", "uac_reject.xml", number="4412")
    expect_ok(d, bad)
    check(final_response(bad).code == 484, "the impossible number got %r"
          % final_response(bad).code)

    st = {}

    def counted():
        st["v"] = d.get("/api/stats?window=minute")
        return sum(c["calls"] for c in st["v"]["customers"]) == 2
    check(wait_until(counted, 10), "stats never counted both calls: %r" % st.get("v"))
    for window in ("minute", "hour", "day"):
        s = d.get("/api/stats?window=" + window)
        check(s["window"] == window and s["from"] < s["to"], "window %r" % s)
        car = {c["id"]: c for c in s["carriers"]}
        a, b = car.get(ids["a"]), car.get(ids["b"])
        check(a and a["name"] == "carrier-a" and a["attempts"] == 1 and a["answered"] == 0
              and a["asr"] == 0 and a["acd_s"] is None and a["codes"] == {"503": 1},
              "%s: carrier A %r" % (window, a))
        check(b and b["attempts"] == 1 and b["answered"] == 1 and b["asr"] == 100
              and b["codes"] == {"200": 1}, "%s: carrier B %r" % (window, b))
        check(0.9 <= b["acd_s"] <= 3.0, "%s: ACD %r for a 1 s call" % (window, b["acd_s"]))
        check(0 <= b["pdd_ms"] < 300, "%s: carrier B PDD %r ms for a 180 sent at once"
              % (window, b["pdd_ms"]))
        (cu,) = s["customers"]
        check(cu["id"] == ids["customer"] and cu["calls"] == 2 and cu["answered"] == 1
              and cu["asr"] == 50 and cu["codes"] == {"200": 1, "484": 1},
              "%s: customer %r" % (window, cu))
        check(cu["pdd_ms"] is not None and cu["pdd_ms"] >= b["pdd_ms"], "customer PDD %r" % cu)
    only = d.get("/api/stats?of=carrier&id=%d" % ids["b"])
    check("customers" not in only and [c["id"] for c in only["carriers"]] == [ids["b"]],
          "of/id filter %r" % only)
    out = trunkctl(ctx, d, "stats", "--window", "minute")
    check(re.search(r"^\s*%d\s+carrier-a\s+1\s+0\s+0\s+-\s+-\s+503:1$" % ids["a"], out, re.M)
          and re.search(r"^\s*%d\s+\S+\s+2\s+1\s+50\s.*(200:1 484:1|484:1 200:1)$"
                        % ids["customer"], out, re.M), "trunkctl stats:\n" + out)
    problem(d, "/api/stats?window=week", "window")
    problem(d, "/api/stats?of=trunk", "of")
    problem(d, "/api/stats?id=3", "id")

    st_, text = d.req("GET", "/metrics")
    check(st_ == 200, "/metrics %d" % st_)
    for name, labels, want in (
            ("trunkline_attempts_total", 'carrier="%d",code="503"' % ids["a"], 1),
            ("trunkline_attempts_total", 'carrier="%d",code="200"' % ids["b"], 1),
            ("trunkline_calls_by_code_total", 'direction="out",code="200"', 1),
            ("trunkline_calls_by_code_total", 'direction="out",code="484"', 1),
            ("trunkline_pdd_seconds_count", "", 1),
            ("trunkline_setup_latency_seconds_count", "", 1),
            ("trunkline_pdd_seconds_bucket", 'le="+Inf"', 1)):
        v = metric(text, name, labels)
        check(v == want, "%s{%s} = %r, expected %r" % (name, labels, v, want))
    check((metric(text, "trunkline_store_write_seconds_count") or 0) >= 1,
          "no CDR batch timed in trunkline_store_write_seconds")
    pdd = metric(text, "trunkline_pdd_seconds_sum")
    check(pdd is not None and 0 <= pdd < 0.3, "PDD sum %r s for a 180 sent at once" % pdd)
    check(metric(text, "trunkline_pdd_seconds_bucket", 'le="0.5"') == 1
          and metric(text, "trunkline_pdd_seconds_bucket", 'le="30"') == 1,
          "PDD buckets:\n" + "\n".join(l for l in text.splitlines() if "pdd" in l))
    d.stop()
    # Both calls have a CDR: the refused number's says why.
    rows = d.cdrs()
    check(len(rows) == 2 and rows[1]["sip_code"] == 484 and rows[1]["dialled"] == "4412"
          and rows[1]["customer_id"] == ids["customer"] and not rows[1]["answer_ms"]
          and rows[1]["reason"], "CDRs: %s" % rows)


@test
def t_unreachable_one_cdr(ctx):
    """Every gateway a host name the workers do not resolve: the call ends
    inside its own set-up (503, no route reachable) and has exactly one
    CDR, counted once in the statistics."""
    topo, ids = standard_topo(free_port(CARRIER_A_IP, tcp=False),
                              free_port(CARRIER_B_IP, tcp=False))
    for g in topo.gateways:
        g["host"] = "gw.invalid"
    d = OpsDaemon(ctx, topo).start()
    cust = uac(ctx, d, "customer", "uac_reject.xml")
    expect_ok(d, cust)
    check(final_response(cust).code == 503, "got %r" % final_response(cust).code)
    st = {}

    def counted():
        st["v"] = d.get("/api/stats?window=minute&of=customer")
        return st["v"]["customers"]
    check(wait_until(counted, 10), "no statistics: %r" % st.get("v"))
    (cu,) = st["v"]["customers"]
    check(cu["calls"] == 1 and cu["codes"] == {"503": 1}, "counted %r" % cu)
    d.stop()
    rows = d.cdrs()
    check(len(rows) == 1 and rows[0]["sip_code"] == 503 and rows[0]["reason"] ==
          "no route reachable" and [a["code"] for a in rows[0]["attempts"]] == [0, 0],
          "CDRs (one, both gateways skipped): %s" % rows)


if __name__ == "__main__":
    sys.exit(scen.main())
