#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""SIP integration tests: each test starts its own trunkline daemon on free
loopback ports with a temporary config, drives it with SIPp (and, where SIPp
cannot, a raw socket client), then stops it with SIGTERM and checks that it
exits 0 with no sanitizer report.

    run.py --trunkline PATH [--torture DIR ...] TEST
    run.py --list

Exit status: 0 pass, 1 fail, 77 skipped (CTest SKIP_RETURN_CODE).
Standard library only.
"""

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SCEN = os.path.join(HERE, "scenarios")
SKIP = 77
TESTS = {}


class Fail(Exception):
    pass


class Skip(Exception):
    pass


def test(fn):
    TESTS[fn.__name__[len("t_"):]] = fn
    return fn


def check(cond, what):
    if not cond:
        raise Fail(what)


# ---------------------------------------------------------------- ports

def free_port(family=socket.AF_INET, host="127.0.0.1"):
    """A port free for both UDP and TCP on host (the daemon listens on
    both with the same number). The daemon retries on a lost race."""
    for _ in range(50):
        u = socket.socket(family, socket.SOCK_DGRAM)
        t = socket.socket(family, socket.SOCK_STREAM)
        try:
            u.bind((host, 0))
            port = u.getsockname()[1]
            t.bind((host, port))
            return port
        except OSError:
            continue
        finally:
            u.close()
            t.close()
    raise Fail("no free port")


def ipv6_usable():
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


# --------------------------------------------------------------- daemon

SAN_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
               "WARNING: ThreadSanitizer", "==ERROR")
STARTED = re.compile(r"mod=main started ")
STOPPED = re.compile(r"mod=main stopped ")


class Daemon:
    """One trunkline process with its own config and log in a temp dir."""

    def __init__(self, ctx, ipv6=False, extra_sip="", extra="", level="debug"):
        self.ctx = ctx
        self.ipv6 = ipv6
        self.extra_sip = extra_sip
        self.extra = extra
        self.level = level
        self.proc = None
        self.port = None
        self.port6 = None

    def _write_conf(self):
        listen = ["udp:127.0.0.1:%d" % self.port, "tcp:127.0.0.1:%d" % self.port]
        if self.ipv6:
            listen += ["udp:[::1]:%d" % self.port6, "tcp:[::1]:%d" % self.port6]
        self.conf = os.path.join(self.ctx.tmp, "trunkline.conf")
        with open(self.conf, "w") as f:
            # each daemon its own database: tests run in parallel
            f.write("[sip]\nlisten = %s\nworkers = 2\n%s\n%s\n[store]\nurl = sqlite:%s\n"
                    "[log]\nlevel = %s\n"
                    % (", ".join(listen), self.extra_sip, self.extra,
                       os.path.join(self.ctx.tmp, "trunkline.db"), self.level))

    def start(self):
        for attempt in range(5):
            self.port = free_port()
            self.port6 = free_port(socket.AF_INET6, "::1") if self.ipv6 else None
            self._write_conf()
            self.log = os.path.join(self.ctx.tmp, "daemon-%d.log" % attempt)
            env = dict(os.environ)
            env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
            env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
            with open(self.log, "wb") as lf:
                self.proc = subprocess.Popen([self.ctx.trunkline, "-c", self.conf],
                                             stdout=lf, stderr=subprocess.STDOUT, env=env)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                text = self.text()
                if STARTED.search(text):
                    return self
                rc = self.proc.poll()
                if rc is not None:
                    break
                time.sleep(0.05)
            rc = self.proc.poll()
            if rc is None:
                self.proc.kill()
                self.proc.wait(10)
                raise Fail("daemon did not log 'started' within 20 s:\n" + self.tail())
            if "in use" in self.text() or "EADDRINUSE" in self.text() or "err=-98" in self.text():
                continue  # lost the port race: another test took it
            raise Fail("daemon exited with %d at start:\n%s" % (rc, self.tail()))
        raise Fail("daemon could not bind a free port in 5 attempts")

    def start_with_log(self, logf):
        """Start with [log] file = logf: wait on that file, stderr apart."""
        self.port = free_port()
        self._write_conf()
        self.log = logf
        self.stderr_log = os.path.join(self.ctx.tmp, "stderr.log")
        with open(self.stderr_log, "wb") as lf:
            self.proc = subprocess.Popen([self.ctx.trunkline, "-c", self.conf],
                                         stdout=lf, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not STARTED.search(self.text()):
            check(self.proc.poll() is None, "daemon exited at start")
            time.sleep(0.05)
        check(STARTED.search(self.text()), "no 'started' line in the log file")
        return self

    def text(self):
        try:
            with open(self.log, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def tail(self, n=60):
        return "\n".join(self.text().splitlines()[-n:])

    def alive(self):
        return self.proc and self.proc.poll() is None

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self):
        """SIGTERM; must exit 0 within 30 s with no sanitizer report.
        Returns the counters of the 'stopped' line."""
        check(self.alive(), "daemon died during the test:\n" + self.tail())
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            raise Fail("daemon did not stop within 30 s of SIGTERM:\n" + self.tail())
        text = self.text()
        for m in SAN_MARKERS:
            check(m not in text, "sanitizer report in the daemon's output:\n" + self.tail(120))
        check(rc == 0, "daemon exit status %d after SIGTERM:\n%s" % (rc, self.tail()))
        line = [l for l in text.splitlines() if STOPPED.search(l)]
        check(line, "no 'stopped' line in the log:\n" + self.tail())
        return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line[-1])}

    def kill(self):
        if self.alive():
            self.proc.kill()
            self.proc.wait(10)


# ----------------------------------------------------------------- SIPp

def sipp(ctx, d, scenario, calls=1, transport="u1", ipv6=False, extra=(), timeout=60):
    """Run SIPp as a UAC against the daemon; fail unless every call passed."""
    exe = shutil.which("sipp")
    if not exe:
        raise Skip("sipp is not installed (Debian package sip-tester)")
    host, port, local = ("[::1]", d.port6, "::1") if ipv6 else ("127.0.0.1", d.port, "127.0.0.1")
    name = os.path.splitext(os.path.basename(scenario))[0]
    out = os.path.join(ctx.tmp, "sipp-%s-%d.out" % (name, ctx.seq()))
    err = out[:-4] + ".err"
    cmd = [exe, "-sf", os.path.join(SCEN, scenario), "%s:%d" % (host, port),
           "-i", local, "-p", str(free_port(socket.AF_INET6 if ipv6 else socket.AF_INET, local)),
           "-t", transport, "-m", str(calls), "-nostdin",
           "-cp", str(free_port()), "-timeout", "%ds" % timeout, "-timeout_error",
           "-trace_err", "-error_file", err, "-s", "trunkline"] + list(extra)
    with open(out, "wb") as f:
        try:
            rc = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, cwd=ctx.tmp,
                                timeout=timeout + 30).returncode
        except subprocess.TimeoutExpired:
            raise Fail("sipp %s did not end within %d s" % (scenario, timeout + 30))
    if rc != 0:
        msg = "sipp %s failed with %d (%s)\n" % (scenario, rc, " ".join(cmd))
        for p in (err, out):
            if os.path.exists(p):
                with open(p, "rb") as f:
                    msg += "--- %s\n%s\n" % (os.path.basename(p),
                                             f.read()[-4000:].decode("utf-8", "replace"))
        msg += "--- daemon\n" + d.tail()
        raise Fail(msg)


# ------------------------------------------------------------ raw client

class Raw:
    """A UDP socket that sends raw bytes and reads SIP responses."""

    def __init__(self, family=socket.AF_INET, host="127.0.0.1"):
        self.s = socket.socket(family, socket.SOCK_DGRAM)
        self.s.bind((host, 0))
        self.host = host
        self.port = self.s.getsockname()[1]

    def send(self, data, dst):
        self.s.sendto(data, dst)

    def recv(self, timeout=2.0):
        self.s.settimeout(timeout)
        try:
            return self.s.recv(65535)
        except socket.timeout:
            return None

    def drain(self, timeout=0.3):
        out = []
        while True:
            r = self.recv(timeout)
            if r is None:
                return out
            out.append(r)

    def close(self):
        self.s.close()


CALLID_RE = re.compile(rb"\r\n(?:call-id|i)[ \t]*:[ \t]*([^\r\n]*)", re.I)


def callid_of(msg):
    """The transaction of a message: Call-ID and top Via branch (the RFC
    5118 messages share one Call-ID)."""
    m = CALLID_RE.search(msg or b"")
    b = BRANCH_RE.search(msg or b"")
    return (m.group(1).strip() if m else None, b.group(2) if b else None)


def recv_answer(raw, old_callids, timeout):
    """The first response that is not a late copy (timer G) of an answer
    to an earlier message; None after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        r = raw.recv(left)
        if r is None:
            return None
        if callid_of(r) not in old_callids:
            return r


def status_of(resp):
    m = re.match(rb"SIP/2\.0 (\d{3}) ?([^\r\n]*)", resp or b"")
    return (int(m.group(1)), m.group(2).decode("utf-8", "replace")) if m else (None, None)


def request(raw, method="OPTIONS", branch=None, callid=None, extra="", ruri=None,
            cseq=None, body=b""):
    branch = branch or "z9hG4bK-py-%d" % time.monotonic_ns()
    callid = callid or "py-%d@test" % time.monotonic_ns()
    ruri = ruri or "sip:ping@127.0.0.1"
    cseq = cseq or "1 %s" % method
    head = ("%s %s SIP/2.0\r\n"
            "Via: SIP/2.0/UDP %s:%d;branch=%s\r\n"
            "From: <sip:tester@127.0.0.1>;tag=pyf\r\n"
            "To: <sip:ping@127.0.0.1>\r\n"
            "Call-ID: %s\r\n"
            "CSeq: %s\r\n"
            "Max-Forwards: 70\r\n"
            "%s"
            "Content-Length: %d\r\n\r\n"
            % (method, ruri, raw.host, raw.port, branch, callid, cseq, extra, len(body)))
    return head.encode() + body


# ---------------------------------------------------------------- tests

@test
def t_options_udp(ctx):
    d = Daemon(ctx).start()
    sipp(ctx, d, "options.xml", calls=5)
    st = d.stop()
    check(st.get("srv_created") == 5, "expected 5 server transactions: %s" % st)


def tos_of_answer(raw, req, dst, timeout=2.0):
    """Send req and return (response, IP TOS byte it arrived with)."""
    raw.s.setsockopt(socket.IPPROTO_IP, socket.IP_RECVTOS, 1)
    raw.send(req, dst)
    raw.s.settimeout(timeout)
    try:
        data, anc, _, _ = raw.s.recvmsg(65535, socket.CMSG_SPACE(4))
    except socket.timeout:
        return None, None
    for level, kind, value in anc:
        if level == socket.IPPROTO_IP and kind == socket.IP_TOS:
            return data, value[0]
    return data, None


@test
def t_dscp(ctx):
    # SIP goes out marked CS3 (DSCP 24, TOS byte 0x60) by default, and
    # as configured otherwise.
    for extra, tos in (("", 24 << 2), ("dscp = 46\n", 46 << 2), ("dscp = none\n", 0)):
        d = Daemon(ctx, extra_sip=extra).start()
        raw = Raw()
        resp, got = tos_of_answer(raw, request(raw), ("127.0.0.1", d.port))
        check(status_of(resp)[0] == 200, "no 200 to OPTIONS (%r)" % extra)
        check(got == tos, "TOS byte %r, expected %#x (%r)" % (got, tos, extra))
        raw.close()
        d.stop()


@test
def t_options_tcp(ctx):
    d = Daemon(ctx).start()
    sipp(ctx, d, "options.xml", calls=5, transport="t1")
    d.stop()


@test
def t_options_ipv6(ctx):
    if not ipv6_usable():
        raise Skip("::1 is not usable here")
    d = Daemon(ctx, ipv6=True).start()
    sipp(ctx, d, "options.xml", calls=3, ipv6=True)
    sipp(ctx, d, "options.xml", calls=3, ipv6=True, transport="t1")
    d.stop()


@test
def t_retransmission(ctx):
    # A raw client, because SIPp cannot be told to receive the same
    # response twice: it takes the second one for a retransmission and
    # answers it by resending its own last message. SIPp's own
    # retransmissions are covered by the loss tests.
    d = Daemon(ctx).start()
    raw = Raw()
    for i, method in enumerate(("OPTIONS", "INVITE", "OPTIONS")):
        req = request(raw, method, branch="z9hG4bK-rtx-%d" % i, ruri="sip:+15551230000@127.0.0.1")
        raw.send(req, ("127.0.0.1", d.port))
        first = raw.drain(0.5)
        raw.send(req, ("127.0.0.1", d.port))
        second = raw.drain(0.5)
        check(first, "no answer to the %s" % method)
        final = [r for r in first if status_of(r)[0] >= 200]
        check(final, "no final answer to the %s: %r" % (method, first))
        # The retransmission gets the last response again, byte for byte
        # (RFC 3261 section 17.2.1 and 17.2.2).
        # For an INVITE, timer G may add copies of its own.
        check(second and all(r == final[-1] for r in second),
              "%s retransmission got %r, expected %r" % (method, second, final[-1:]))
        if method == "INVITE":
            ack = req.replace(b"INVITE sip", b"ACK sip", 1).replace(b"1 INVITE", b"1 ACK")
            to = re.search(rb"\r\nTo: [^\r]*", final[-1]).group(0)
            ack = re.sub(rb"\r\nTo: [^\r]*", to.replace(b"\\", b"\\\\"), ack, count=1)
            raw.send(ack, ("127.0.0.1", d.port))
            after = raw.drain(1.5)
            # Timer G copies already under way may still arrive; nothing else.
            check(all(r == final[-1] for r in after), "the ACK was answered: %r" % after)
            check(not raw.drain(1.5), "timer G still running after the ACK")
    raw.close()
    # Also SIPp: one OPTIONS per call, retransmitted under loss.
    sipp(ctx, d, "options.xml", calls=20, extra=["-lost", "20"])
    st = d.stop()
    check(st.get("srv_created") == 23, "expected 23 server transactions, one per request "
          "and none per retransmission: %s" % st)
    check(st.get("srv_absorbed", 0) >= 4, "retransmissions (and the ACK) not absorbed: %s" % st)


@test
def t_loss_options(ctx):
    d = Daemon(ctx).start()
    # -lost 10: SIPp drops 10% of what it sends and of what it receives.
    # Its retransmissions (timer E) and ours (a Completed transaction
    # answers each retransmission) must still complete every call.
    sipp(ctx, d, "options.xml", calls=200,
         extra=["-r", "100", "-l", "100", "-lost", "10"], timeout=90)
    st = d.stop()
    check(st.get("srv_created") == 200, "expected 200 server transactions: %s" % st)


@test
def t_loss_invite(ctx):
    d = Daemon(ctx).start()
    # INVITE -> 100 -> 403 -> ACK with 10% loss both ways: a lost 403 is
    # repaired by our retransmission (timer G) or by SIPp's INVITE
    # retransmission; a lost ACK by timer G again.
    sipp(ctx, d, "invite_reject.xml", calls=60,
         extra=["-r", "30", "-l", "100", "-lost", "10"], timeout=90)
    st = d.stop()
    check(st.get("srv_created", 0) >= 60, "expected 60 INVITE transactions: %s" % st)


@test
def t_max_forwards(ctx):
    d = Daemon(ctx).start()
    sipp(ctx, d, "invite_mf0.xml")
    sipp(ctx, d, "options_mf0.xml")
    d.stop()


@test
def t_unknown_method(ctx):
    d = Daemon(ctx).start()
    sipp(ctx, d, "unknown_method.xml")
    sipp(ctx, d, "register.xml")
    d.stop()


@test
def t_uri_scheme(ctx):
    d = Daemon(ctx).start()
    sipp(ctx, d, "uri_scheme.xml")
    d.stop()


@test
def t_require(ctx):
    d = Daemon(ctx).start()
    sipp(ctx, d, "options_require.xml")
    d.stop()


@test
def t_cancel_no_invite(ctx):
    d = Daemon(ctx).start()
    sipp(ctx, d, "cancel_alone.xml")
    sipp(ctx, d, "bye_nodialog.xml")
    d.stop()


@test
def t_invite_cancel(ctx):
    d = Daemon(ctx, extra="[call]\nreject_delay = 10000\n").start()
    sipp(ctx, d, "invite_cancel.xml", calls=3)
    sipp(ctx, d, "invite_cancel.xml", calls=2, transport="t1")
    st = d.stop()
    check(st.get("srv_absorbed", 0) >= 3, "the ACKs of the 487s were not absorbed: %s" % st)


@test
def t_invite_held_at_stop(ctx):
    # An INVITE held by reject_delay when SIGTERM arrives still gets its
    # final answer before the daemon exits.
    d = Daemon(ctx, extra="[call]\nreject_delay = 20000\n").start()
    raw = Raw()
    raw.send(request(raw, "INVITE", ruri="sip:+15551230000@127.0.0.1"), ("127.0.0.1", d.port))
    r = raw.recv(5)
    check(status_of(r)[0] == 100, "expected 100 Trying, got %r" % r)
    d.signal(signal.SIGTERM)
    r = raw.recv(10)
    raw.close()
    check(status_of(r)[0] == 403, "expected the held INVITE's 403 at stop, got %r" % r)
    rc = d.proc.wait(30)
    check(rc == 0, "exit status %d:\n%s" % (rc, d.tail()))
    for m in SAN_MARKERS:
        check(m not in d.text(), "sanitizer report:\n" + d.tail(120))


def torture_dirs(ctx):
    return [p for p in ctx.torture if os.path.isdir(p)]


def load_manifest(ctx):
    """(file path, accept spec, via_rewrite ok) from the first MANIFEST.tsv
    found; files resolved by base name in the torture directories."""
    rows = []
    for d in torture_dirs(ctx):
        for cand in (os.path.join(d, "MANIFEST.tsv"), os.path.join(d, "..", "MANIFEST.tsv")):
            if os.path.exists(cand):
                with open(cand) as f:
                    hdr = f.readline().rstrip("\n").split("\t")
                    for line in f:
                        row = dict(zip(hdr, line.rstrip("\n").split("\t")))
                        rows.append(row)
                break
        if rows:
            break
    out = []
    for row in rows:
        base = os.path.basename(row["file"])
        for d in torture_dirs(ctx):
            for p in (os.path.join(d, base), os.path.join(d, "messages", base)):
                if os.path.exists(p):
                    out.append((p, row.get("accept", "any"), row.get("via_rewrite") == "ok",
                                row.get("title", "")))
                    break
            else:
                continue
            break
    return out


VIA_RE = re.compile(rb"^((?:via|v)[ \t]*:[ \t]*)SIP[ \t]*/[ \t]*2\.0[ \t]*/[ \t]*[A-Za-z]+[ \t]+[^;,\s]+",
                    re.I | re.M)


BRANCH_RE = re.compile(rb"(;[ \t]*branch[ \t]*=[ \t]*)([^;,\s]+)", re.I)


def rewrite_via(data, host, port, uniq):
    """Point the top Via's sent-by at our socket so the answer comes back,
    and make its branch unique: several torture messages share a branch,
    and from one sent-by they would be retransmissions of each other."""
    end = data.find(b"\r\n\r\n")
    head, rest = (data, b"") if end < 0 else (data[:end], data[end:])
    m = VIA_RE.search(head)
    if not m:
        return data, False
    line_end = head.find(b"\r\n", m.end())
    line_end = len(head) if line_end < 0 else line_end
    tail = BRANCH_RE.sub(lambda b: b.group(1) + b.group(2) + b"-%d" % uniq,
                         head[m.end():line_end], count=1)
    head = (head[:m.start()] + m.group(1) + b"SIP/2.0/UDP %s:%d" % (host.encode(), port)
            + tail + head[line_end:])
    return head + rest, True


def accept_ok(spec, code):
    """MANIFEST 'accept': '!400', 'any', 'silence', or a list like '400,silence'."""
    if spec == "any":
        return True
    if spec.startswith("!"):
        return code is not None and str(code) != spec[1:]
    allowed = spec.split(",")
    return ("silence" if code is None else str(code)) in allowed


@test
def t_malformed(ctx):
    d = Daemon(ctx, extra_sip="max_message_size = 16384").start()
    dst = ("127.0.0.1", d.port)
    raw = Raw()
    failures = []
    sent = 0
    old = set()     # transactions already answered: their 403s may come again

    for path, spec, rewrite_ok, title in load_manifest(ctx):
        with open(path, "rb") as f:
            data = f.read()
        observed = False
        if rewrite_ok:
            data, observed = rewrite_via(data, raw.host, raw.port, sent)
        raw.send(data, dst)
        sent += 1
        resp = recv_answer(raw, old, 1.0) if observed else None
        old.add(callid_of(data))
        if not observed:
            time.sleep(0.1)
            continue
        code, reason = status_of(resp)
        if not accept_ok(spec, code):
            failures.append("%s (%s): got %s %s, accepted: %s"
                            % (os.path.basename(path), title, code, reason, spec))
        if code == 400 and (not reason or reason == "Bad Request"):
            failures.append("%s: 400 without a reason naming the fault" % os.path.basename(path))
        check(d.alive(), "daemon died on %s:\n%s" % (path, d.tail()))

    # Our own: (bytes, accepted codes, regexp the reason must match).
    huge = "X-Huge: " + "a" * 9000 + "\r\n"
    own = [
        ("garbage", b"\x00\xff\xfegarbage\r\n\r\n", {None}, None),
        ("bad Via", request(raw).replace(b"SIP/2.0/UDP", b"SIP/2.0/UDP ;;", 1), {None, 400}, None),
        ("Content-Length too big", request(raw).replace(b"Content-Length: 0", b"Content-Length: 99"),
         {400}, r"(?i)content-length"),
        ("truncated", request(raw)[:60], {None, 400}, None),
        ("bad CSeq", request(raw, cseq="abc OPTIONS"), {400}, r"(?i)cseq"),
        ("CSeq method mismatch", request(raw, cseq="1 INVITE"), {400}, r"(?i)cseq"),
        ("huge header", request(raw, extra=huge), {400, 413}, r"(?i)too (long|large)"),
        ("too large", request(raw, body=b"x" * 20000), {413}, r"(?i)large"),
        ("bad version", request(raw).replace(b"SIP/2.0\r\n", b"SIP/7.0\r\n", 1), {505}, None),
        ("missing Call-ID", re.sub(rb"Call-ID: [^\r]*\r\n", b"", request(raw)), {None, 400},
         r"(?i)call-id"),
        ("bad Max-Forwards", request(raw).replace(b"Max-Forwards: 70", b"Max-Forwards: x"),
         {400}, r"(?i)max-forwards"),
        ("bad response", b"SIP/2.0 abc Broken\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKx\r\n"
         b"\r\n", {None}, None),
    ]
    for name, data, codes, reason_re in own:
        raw.send(data, dst)
        sent += 1
        resp = recv_answer(raw, old, 1.0 if codes != {None} else 0.5)
        old.add(callid_of(data))
        code, reason = status_of(resp)
        if code not in codes:
            failures.append("%s: got %s %s, expected %s" % (name, code, reason, sorted(codes, key=str)))
        elif code is not None and reason_re and not re.search(reason_re, reason):
            failures.append("%s: reason '%s' does not name the fault (%s)" % (name, reason, reason_re))
        check(d.alive(), "daemon died on %s:\n%s" % (name, d.tail()))
    raw.close()
    check(sent > 10, "too few messages sent")

    # Still up and answering.
    sipp(ctx, d, "options.xml")
    st = d.stop()
    check(not failures, "\n".join(failures))
    check(st.get("bad_req", 0) >= 5, "bad requests not counted: %s" % st)
    check(st.get("bad_resp", 0) >= 1, "bad responses not counted: %s" % st)


@test
def t_config(ctx):
    exe = ctx.trunkline

    def run(*args):
        p = subprocess.run([exe] + list(args), capture_output=True, timeout=30)
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    rc, out, _ = run("--help")
    check(rc == 0 and "--config" in out and "--check" in out, "--help: %d %s" % (rc, out))
    rc, out, _ = run("--version")
    check(rc == 0 and re.match(r"trunkline \d+\.\d+\.\d+", out), "--version: %d %s" % (rc, out))

    def conf(name, text):
        p = os.path.join(ctx.tmp, name)
        with open(p, "w") as f:
            f.write(text)
        return p

    good = conf("good.conf", "[sip]\nlisten = udp:127.0.0.1:5060, tcp:127.0.0.1:5060\n"
                "listen = udp:[::1]:5060\nworkers = 0\nt1 = 500\nt2 = 4000\nt4 = 5000\n"
                "max_message_size = 65535\nmax_headers = 128\ntcp_idle_timeout = 120\n"
                "tcp_max_per_source = 64\n[call]\nreject_delay = 0\n[log]\nlevel = info\n")
    rc, out, err = run("-t", "-c", good)
    check(rc == 0, "-t on a good config: %d %s %s" % (rc, out, err))

    shipped = os.path.join(ctx.src, "etc", "trunkline.conf")
    if os.path.exists(shipped):
        rc, out, err = run("--check", "-c", shipped)
        check(rc == 0, "the shipped config does not check: %d %s" % (rc, err))

    bad = conf("bad.conf", "[sip]\nworkers = 2\nfoo = 1\n")
    rc, _, err = run("-c", bad)
    check(rc == 2, "unknown key: exit %d" % rc)
    check("%s:3: unknown key 'foo' in [sip]" % bad in err, "unknown key message: %r" % err)

    bad = conf("bad2.conf", "[log]\nlevel = info\n[nosuch]\nx = 1\n")
    rc, _, err = run("-c", bad)
    check(rc == 2 and "%s:4: unknown section [nosuch]" % bad in err, "unknown section: %d %r" % (rc, err))

    bad = conf("bad3.conf", "[sip]\nworkers = lots\n")
    rc, _, err = run("-t", "-c", bad)
    check(rc == 2 and "%s:2: bad value 'lots' for 'workers'" % bad in err, "bad value: %d %r" % (rc, err))

    bad = conf("bad4.conf", "[sip]\nlisten = sctp:127.0.0.1:5060\n")
    rc, _, err = run("-c", bad)
    check(rc == 2 and "%s:2:" % bad in err, "bad listen: %d %r" % (rc, err))

    rc, _, err = run("-c", os.path.join(ctx.tmp, "missing.conf"))
    check(rc == 2 and "missing.conf" in err, "missing file: %d %r" % (rc, err))

    rc, _, err = run("--no-such-option")
    check(rc == 2, "bad option: exit %d" % rc)

    # A listen address in use: exit 1 (could not start), naming it.
    busy = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    port = busy.getsockname()[1]
    inuse = conf("inuse.conf", "[sip]\nlisten = tcp:127.0.0.1:%d\nworkers = 1\n" % port)
    try:
        rc, out, err = run("-c", inuse)
    finally:
        busy.close()
    check(rc == 1 and "127.0.0.1:%d" % port in out + err, "address in use: %d %r" % (rc, out + err))


@test
def t_log_reopen(ctx):
    # [log] file: the daemon logs there; SIGHUP reopens it after rotation.
    logf = os.path.join(ctx.tmp, "trunkline.log")
    d = Daemon(ctx, extra="[log]\nfile = %s\n" % logf, level="info").start_with_log(logf)
    os.rename(logf, logf + ".1")
    d.signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and "log reopened" not in d.text():
        time.sleep(0.05)
    check("log reopened" in d.text(), "SIGHUP did not reopen the log file")
    d.stop()
    with open(d.stderr_log, "rb") as f:
        text = f.read().decode("utf-8", "replace")
    for m in SAN_MARKERS:
        check(m not in text, "sanitizer report:\n" + text[-4000:])


# ----------------------------------------------------------------- main

class Ctx:
    def __init__(self, args):
        self.trunkline = os.path.abspath(args.trunkline)
        self.torture = args.torture or []
        self.src = os.path.abspath(os.path.join(HERE, "..", ".."))
        self.tmp = tempfile.mkdtemp(prefix="tl-sip-")
        self._seq = 0

    def seq(self):
        self._seq += 1
        return self._seq


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trunkline", help="path of the trunkline binary")
    ap.add_argument("--torture", action="append", help="directory of torture messages")
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
    daemons = []
    orig_init = Daemon.__init__

    def track(self, *a, **kw):
        orig_init(self, *a, **kw)
        daemons.append(self)
    Daemon.__init__ = track
    rc = 1
    try:
        TESTS[args.test](ctx)
        print("PASS %s" % args.test)
        rc = 0
    except Skip as e:
        print("SKIP %s: %s" % (args.test, e))
        rc = SKIP
    except Fail as e:
        print("FAIL %s: %s" % (args.test, e))
        args.keep = True
    finally:
        for d in daemons:
            d.kill()
        if args.keep:
            print("files kept in %s" % ctx.tmp)
        else:
            shutil.rmtree(ctx.tmp, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
