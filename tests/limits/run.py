#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""End-to-end limit and digest tests: channel and calls-per-second limits
of trunks, customers and carriers (both ways), and SHA-256 digest
authentication (RFC 8760) answered by a small client written here, as
SIPp only does MD5.

    run.py --trunkline PATH TEST
    run.py --list

The daemon, provisioning, SIPp and CDR helpers come from
tests/scenarios/run.py (imported); the addresses are the same:
127.0.0.1 daemon and customer, 127.0.0.2 carrier A, 127.0.0.3 carrier B.
Exit status: 0 pass, 1 fail, 77 skipped. Standard library only.
"""

import argparse
import hashlib
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "scenarios"))
import run as scen  # noqa: E402  (tests/scenarios/run.py)

from run import (CARRIER_A_IP, CARRIER_B_IP, CUSTOMER_IP, DID, DIALLED, Daemon,  # noqa: E402
                 Fail, Skip, Topo, check, expect_ok, final_response, free_port,
                 reject_xml, uac, uas, wait_until)

TESTS = {}


def test(fn):
    TESTS[fn.__name__[len("t_"):]] = fn
    return fn


class LimitTopo(Topo):
    """Topo with what the scenario helpers do not provision: carriers'
    max_cps (set with `trunkline db carrier update` after the rest)."""

    def __init__(self):
        super().__init__()
        self.carrier_cps = {}

    def apply_cli(self, trunkline, db, log):
        super().apply_cli(trunkline, db, log)
        for cid, cps in self.carrier_cps.items():
            cmd = [trunkline, "db", "carrier", "update", str(cid), "--max-cps", str(cps),
                   "--db", "sqlite:" + db, "-q"]
            p = subprocess.run(cmd, capture_output=True, timeout=30)
            with open(log, "a") as f:
                f.write("$ %s\n%s%s" % (" ".join(cmd), p.stdout.decode(), p.stderr.decode()))
            check(p.returncode == 0, "%s failed: %s" % (" ".join(cmd), p.stderr.decode()))


def topo2(a_port, b_port, cust_channels=10, cust_cps=100, trunk_channels=0,
          a_channels=0, a_cps=0):
    """Customer 'acme' from 127.0.0.1, carriers A (cheaper) and B for 44."""
    t = LimitTopo()
    tariff = t.tariff()
    cust = t.customer(tariff=tariff, max_channels=cust_channels, max_cps=cust_cps)
    trunk = t.trunk(cust, max_channels=trunk_channels)
    ca = t.carrier("carrier-a", CARRIER_A_IP, a_port, "0.01", priority=1,
                   max_channels=a_channels)
    cb = t.carrier("carrier-b", CARRIER_B_IP, b_port, "0.02", priority=2)
    if a_cps:
        t.carrier_cps[ca] = a_cps
    return t, dict(customer=cust, trunk=trunk, a=ca, b=cb)


def reason_text(msg):
    v = msg.hdr("Reason")
    m = re.search(r'text="([^"]*)"', v[0]) if v else None
    return m.group(1) if m else None


def check_limit_refusal(r, text, code=503):
    check(r.code == code, "expected %d for the %s, got %s %s" % (code, text, r.code, r.reason))
    check(reason_text(r) == text, "Reason names %r, expected %r:\n%s"
          % (reason_text(r), text, r.text))
    if code == 503:
        ra = r.hdr("Retry-After")
        check(ra and ra[0].split()[0].isdigit() and int(ra[0].split()[0]) > 0,
              "503 without Retry-After:\n%s" % r.text)


def hold_first(ctx, d, carrier, name="first", **kw):
    """A call that is answered and held for 5 s."""
    first = uac(ctx, d, name, "uac_call.xml", hold_ms=5000, **kw)
    check(wait_until(lambda: carrier.received("ACK") or not first.running(), 15),
          "the first call was not answered within 15 s:\n" + first.report())
    check(first.running(), "the first call ended early:\n" + first.report())
    return first


# ---------------------------------------------------------------- tests

@test
def t_trunk_channel_limit(ctx):
    """A trunk at its max_channels: 503, Reason names the trunk limit,
    although the customer has channels left."""
    a_port = free_port(CARRIER_A_IP, tcp=False)
    topo, ids = topo2(a_port, free_port(CARRIER_B_IP, tcp=False), trunk_channels=1)
    d = Daemon(ctx, topo).start()
    carrier = uas(ctx, "carrier-a", "uas_answer.xml", CARRIER_A_IP, a_port, ring=0)
    first = hold_first(ctx, d, carrier)
    second = uac(ctx, d, "second", "uac_reject.xml")
    expect_ok(d, second)
    check_limit_refusal(final_response(second), "trunk channel limit")
    expect_ok(d, first, carrier)
    check(len(carrier.received("INVITE")) == 1, "the carrier saw the refused call")
    # the channel is free again once the first call ended
    third_carrier = uas(ctx, "carrier-a2", "uas_answer.xml", CARRIER_A_IP, a_port, ring=0)
    third = uac(ctx, d, "third", "uac_call.xml", hold_ms=200)
    expect_ok(d, third, third_carrier)
    d.stop()
    answered = [c for c in d.cdrs() if c["answer_ms"]]
    check(len(answered) == 2, "expected two answered CDRs: %s" % d.cdrs())


@test
def t_carrier_channel_failover(ctx):
    """Carrier A (cheapest) at its max_channels is skipped: the next call
    goes to carrier B."""
    a_port = free_port(CARRIER_A_IP, tcp=False)
    b_port = free_port(CARRIER_B_IP, tcp=False)
    topo, ids = topo2(a_port, b_port, a_channels=1)
    d = Daemon(ctx, topo).start()
    ca = uas(ctx, "carrier-a", "uas_answer.xml", CARRIER_A_IP, a_port, ring=0)
    cb = uas(ctx, "carrier-b", "uas_answer.xml", CARRIER_B_IP, b_port, ring=0)
    first = hold_first(ctx, d, ca)
    second = uac(ctx, d, "second", "uac_call.xml", hold_ms=300)
    expect_ok(d, second, cb, first, ca)
    check(len(ca.received("INVITE")) == 1, "carrier A got %d INVITEs"
          % len(ca.received("INVITE")))
    d.stop()
    rows = [c for c in d.cdrs() if c["answer_ms"]]
    check(sorted(c["carrier_id"] for c in rows) == sorted([ids["a"], ids["b"]]),
          "answered CDRs' carriers: %s" % rows)


def burst(ctx, d, name, scenario, calls, rate=50, **kw):
    """calls INVITEs from one SIPp at rate per second (all within 100 ms)."""
    extra = ["-r", str(rate), "-l", str(calls)] + list(kw.pop("extra", ()))
    return uac(ctx, d, name, scenario, calls=calls, extra=extra, **kw)


@test
def t_carrier_cps_failover(ctx):
    """Carrier A allows 1 new call per second: of three calls within
    60 ms at least two share a second, so one of them goes to B."""
    a_port = free_port(CARRIER_A_IP, tcp=False)
    b_port = free_port(CARRIER_B_IP, tcp=False)
    topo, ids = topo2(a_port, b_port, a_cps=1)
    d = Daemon(ctx, topo).start()
    ca = uas(ctx, "carrier-a", "uas_answer.xml", CARRIER_A_IP, a_port, ring=0, calls=3)
    cb = uas(ctx, "carrier-b", "uas_answer.xml", CARRIER_B_IP, b_port, ring=0, calls=3)
    calls = burst(ctx, d, "burst", "uac_call.xml", 3, hold_ms=300)
    expect_ok(d, calls)
    time.sleep(1.5)
    ca.stop()
    cb.stop()
    na, nb = len(ca.received("INVITE")), len(cb.received("INVITE"))
    check(na + nb == 3, "INVITEs: A %d, B %d (expected 3 in all)" % (na, nb))
    check(1 <= na <= 2 and nb >= 1, "carrier A's CPS limit did not send calls to B:"
          " A %d, B %d" % (na, nb))
    d.stop()
    rows = [c for c in d.cdrs() if c["answer_ms"]]
    check(len(rows) == 3, "expected 3 answered CDRs: %s" % d.cdrs())


@test
def t_customer_cps_limit(ctx):
    """A customer allowed 1 new call per second: a burst of three gets
    503 with Retry-After and a Reason naming the limit for the extra ones."""
    a_port = free_port(CARRIER_A_IP, tcp=False)
    topo, ids = topo2(a_port, free_port(CARRIER_B_IP, tcp=False), cust_cps=1)
    d = Daemon(ctx, topo).start()
    ca = uas(ctx, "carrier-a", reject_xml(ctx, 486, "Busy Here"), CARRIER_A_IP, a_port,
             calls=3)
    calls = burst(ctx, d, "burst", "uac_reject.xml", 3)
    expect_ok(d, calls)
    ca.stop()
    finals = [m for m in calls.received() if m.code and m.code >= 200
              and m.cseq_method() == "INVITE"]
    codes = sorted(m.code for m in finals)
    check(len(finals) == 3, "expected 3 final responses, got %s" % codes)
    busy = [m for m in finals if m.code == 486]
    refused = [m for m in finals if m.code == 503]
    check(1 <= len(busy) <= 2 and refused, "expected 486 from the carrier and 503 for the"
          " calls over 1 CPS: %s" % codes)
    for r in refused:
        check_limit_refusal(r, "customer calls-per-second limit")
        check(r.hdr("Retry-After")[0].split()[0] == "1", "Retry-After %r, expected 1"
              % r.hdr("Retry-After"))
    check(len(ca.received("INVITE")) == len(busy), "the carrier saw a refused call")
    d.stop()


@test
def t_origination_carrier_channel_limit(ctx):
    """A carrier sending more calls to our DIDs than its max_channels:
    the call over the limit is refused with 503 and a Reason."""
    cust_port = free_port(CUSTOMER_IP, tcp=False)
    t = LimitTopo()
    tariff = t.tariff()
    cust = t.customer(tariff=tariff)
    trunk = t.trunk(cust, uris=["sip:%s:%d" % (CUSTOMER_IP, cust_port)])
    t.carrier("carrier-a", CARRIER_A_IP, free_port(CARRIER_A_IP, tcp=False), "0.01",
              max_channels=1)
    t.number(DID, cust, trunk)
    d = Daemon(ctx, t).start()
    pbx = uas(ctx, "pbx", "uas_answer.xml", CUSTOMER_IP, cust_port, ring=0)
    first = hold_first(ctx, d, pbx, number=DID, ip=CARRIER_A_IP)
    second = uac(ctx, d, "second", "uac_reject.xml", number=DID, ip=CARRIER_A_IP)
    expect_ok(d, second)
    check_limit_refusal(final_response(second), "carrier channel limit")
    expect_ok(d, first, pbx)
    check(len(pbx.received("INVITE")) == 1, "the customer saw the refused call")
    d.stop()
    answered = [c for c in d.cdrs() if c["answer_ms"]]
    check(len(answered) == 1 and answered[0]["direction"] == "in",
          "expected one answered inbound CDR: %s" % d.cdrs())


# ------------------------------------------------------- SHA-256 digest

class Uac:
    """A minimal SIP UAC over UDP: INVITE, digest, ACK, BYE."""

    def __init__(self, ip, port):
        self.dst = (ip, port)
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind((CUSTOMER_IP, 0))
        self.s.settimeout(0.5)
        self.lport = self.s.getsockname()[1]
        self.callid = secrets.token_hex(8) + "@limits"
        self.ftag = secrets.token_hex(4)
        self.ruri = "sip:%s@%s:%d" % (DIALLED, ip, port)
        self.log = []

    def send(self, text):
        self.log.append(">>> " + text)
        self.s.sendto(text.replace("\n", "\r\n").encode(), self.dst)

    def recv(self, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                data, _ = self.s.recvfrom(65535)
            except socket.timeout:
                continue
            text = data.decode("utf-8", "replace")
            self.log.append("<<< " + text)
            return scen.Msg("received", text)
        raise Fail("no response within %d s:\n%s" % (timeout, "\n".join(self.log)))

    def final(self, method, timeout=15):
        while True:
            m = self.recv(timeout)
            if m.code and m.code >= 200 and m.cseq_method() == method:
                return m

    def request(self, method, cseq, branch, ruri=None, to_tag=None, extra=""):
        body = ("v=0\no=- 1 1 IN IP4 127.0.0.1\ns=-\nc=IN IP4 127.0.0.1\nt=0 0\n"
                "m=audio 40000 RTP/AVP 0\n") if method == "INVITE" else ""
        self.send("%s %s SIP/2.0\n"
                  "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s;rport\n"
                  "From: <sip:442079460000@127.0.0.1>;tag=%s\n"
                  "To: <sip:%s@127.0.0.1>%s\n"
                  "Call-ID: %s\nCSeq: %d %s\nMax-Forwards: 70\n"
                  "Contact: <sip:caller@127.0.0.1:%d>\n%s"
                  "%sContent-Length: %d\n\n%s"
                  % (method, ruri or self.ruri, self.lport, branch, self.ftag, DIALLED,
                     ";tag=" + to_tag if to_tag else "", self.callid, cseq,
                     "ACK" if method == "ACK" else method, self.lport, extra,
                     "Content-Type: application/sdp\n" if body else "", len(body), body))


def parse_challenge(h):
    """'Digest realm="r", nonce="n", algorithm=SHA-256' -> dict"""
    return {k: a or b for k, a, b in re.findall(r'(\w+)=(?:"([^"]*)"|([^,\s]+))', h)}


def digest_response(alg, user, password, ch, method, uri, nc, cnonce):
    H = (lambda s: hashlib.sha256(s.encode()).hexdigest()) if alg == "SHA-256" else \
        (lambda s: hashlib.md5(s.encode()).hexdigest())
    ha1 = H("%s:%s:%s" % (user, ch["realm"], password))
    ha2 = H("%s:%s" % (method, uri))
    return H("%s:%s:%s:%s:%s:%s" % (ha1, ch["nonce"], nc, cnonce, "auth", ha2))


def digest_call(ctx, sha_first, password="s3cret", expect=200):
    """One call from the python UAC that answers the SHA-256 challenge."""
    a_port = free_port(CARRIER_A_IP, tcp=False)
    topo, ids = scen.digest_topo(a_port, free_port(CARRIER_B_IP, tcp=False))
    d = Daemon(ctx, topo, call="digest_algorithms = %s"
               % ("sha256,md5" if sha_first else "md5,sha256"))
    d.start()
    carrier = uas(ctx, "carrier-a", "uas_answer.xml", CARRIER_A_IP, a_port, ring=0)
    u = Uac("127.0.0.1", d.port)
    ctx.closers.append(u.s.close)
    u.request("INVITE", 1, "a1")
    r = u.final("INVITE")
    check(r.code == 407, "expected 407, got %s %s" % (r.code, r.reason))
    u.request("ACK", 1, "a1", to_tag=re.search(r"tag=([^;>\s]+)", r.hdr("To")[0]).group(1))
    chs = [parse_challenge(h) for h in r.hdr("Proxy-Authenticate")]
    algs = [c.get("algorithm") for c in chs]
    want = ["SHA-256", "MD5"] if sha_first else ["MD5", "SHA-256"]
    check(algs == want, "challenges offer %s, expected %s" % (algs, want))
    ch = [c for c in chs if c.get("algorithm") == "SHA-256"][0]
    cnonce = secrets.token_hex(8)
    resp = digest_response("SHA-256", "alice", password, ch, "INVITE", u.ruri, "00000001",
                           cnonce)
    auth = ('Proxy-Authorization: Digest username="alice", realm="%s", nonce="%s", '
            'uri="%s", response="%s", algorithm=SHA-256, qop=auth, nc=00000001, '
            'cnonce="%s"\n' % (ch["realm"], ch["nonce"], u.ruri, resp, cnonce))
    u.request("INVITE", 2, "a2", extra=auth)
    r = u.final("INVITE")
    check(r.code == expect, "authenticated INVITE got %s %s, expected %d\n%s"
          % (r.code, r.reason, expect, "\n".join(u.log)))
    if expect != 200:
        u.request("ACK", 2, "a2",
                  to_tag=re.search(r"tag=([^;>\s]+)", r.hdr("To")[0]).group(1))
        d.stop()
        return d
    to_tag = re.search(r"tag=([^;>\s]+)", r.hdr("To")[0]).group(1)
    contact = re.search(r"<([^>]+)>", r.hdr("Contact", "m")[0]).group(1)
    u.request("ACK", 2, "a3", ruri=contact, to_tag=to_tag)
    time.sleep(0.3)
    u.request("BYE", 3, "a4", ruri=contact, to_tag=to_tag)
    r = u.final("BYE")
    check(r.code == 200, "BYE got %s %s" % (r.code, r.reason))
    expect_ok(d, carrier)
    d.stop()
    rows = [c for c in d.cdrs() if c["answer_ms"]]
    check(len(rows) == 1 and rows[0]["trunk_id"] == ids["trunk"],
          "expected one answered CDR of the digest trunk: %s" % d.cdrs())
    return d


@test
def t_digest_sha256(ctx):
    """RFC 8760 order (SHA-256 first, MD5 second); a SHA-256 answer
    authenticates and the call goes through."""
    digest_call(ctx, sha_first=True)


@test
def t_digest_sha256_md5_first(ctx):
    """MD5 first, SHA-256 second: a SHA-256 answer to the second
    challenge authenticates."""
    digest_call(ctx, sha_first=False)


@test
def t_digest_default_md5_only(ctx):
    """Without [call] digest_algorithms the 407 offers MD5 alone (clients
    like baresip 1.x give up on a list that holds SHA-256)."""
    topo, ids = scen.digest_topo(free_port(CARRIER_A_IP, tcp=False),
                                 free_port(CARRIER_B_IP, tcp=False))
    d = Daemon(ctx, topo).start()
    u = Uac("127.0.0.1", d.port)
    ctx.closers.append(u.s.close)
    u.request("INVITE", 1, "a1")
    r = u.final("INVITE")
    check(r.code == 407, "expected 407, got %s %s" % (r.code, r.reason))
    u.request("ACK", 1, "a1", to_tag=re.search(r"tag=([^;>\s]+)", r.hdr("To")[0]).group(1))
    algs = [parse_challenge(h).get("algorithm") for h in r.hdr("Proxy-Authenticate")]
    check(algs == ["MD5"], "challenges offer %s, expected MD5 only" % algs)
    d.stop()


@test
def t_digest_sha256_wrong_password(ctx):
    """A SHA-256 answer computed over the wrong password gets 403."""
    digest_call(ctx, sha_first=True, password="wrong", expect=403)


# ----------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trunkline", help="path of the trunkline binary")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("test", nargs="?")
    args = ap.parse_args()
    if args.list:
        print("\n".join(sorted(TESTS)))
        return 0
    if not args.test or args.test not in TESTS or not args.trunkline:
        ap.error("need --trunkline and one of: " + ", ".join(sorted(TESTS)))
    ctx = scen.Ctx(args)
    rc = 1
    try:
        if not scen.has_db_cli(ctx.trunkline):
            raise Skip("this trunkline has no `db` subcommand")
        TESTS[args.test](ctx)
        print("PASS %s" % args.test)
        rc = 0
    except Skip as e:
        print("SKIP %s: %s" % (args.test, e))
        rc = scen.SKIP
    except Fail as e:
        print("FAIL %s: %s" % (args.test, e))
        args.keep = True
    finally:
        for p in ctx.procs:
            if p.poll() is None:
                p.kill()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    pass
        for dm in ctx.daemons:
            dm.kill()
        for c in ctx.closers:
            c()
        if args.keep:
            print("files kept in %s" % ctx.tmp)
        else:
            shutil.rmtree(ctx.tmp, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
