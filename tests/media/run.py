#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""End-to-end media relay tests: calls whose trunk relays media, SIPp
sending real RTP (rtp_stream) as the caller, SIPp as the carrier with a
small Python RTP endpoint as its media, the SDP each side sees and the
CDR's media figures checked.

Reuses tests/scenarios/run.py (imported): the daemon, provisioning, SIPp
and the addresses are the same. The caller's media is on 127.0.0.5, the
carrier's on 127.0.0.6, so an SDP that leaked either is easy to spot; the
relay announces 127.0.0.1.
"""
import argparse
import os
import random
import re
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "scenarios"))
import run as scen  # noqa: E402  (tests/scenarios/run.py)
from run import (CARRIER_A_IP, CARRIER_B_IP, Daemon, Fail, Skip, check,  # noqa: E402
                 expect_ok, free_port, one_cdr, standard_topo, uac, uas, wait_until)

XML = os.path.join(HERE, "xml")
SKIP = 77
TESTS = {}
CALLER_MEDIA_IP = "127.0.0.5"
CALLEE_MEDIA_IP = "127.0.0.6"
RELAY_IP = "127.0.0.1"
FRAME = 160                      # PCMU, 20 ms at 8 kHz
CALLER_FRAMES = 150              # 3 s of audio from SIPp
CALLEE_FRAMES = 120              # 2.4 s back from the endpoint


def test(fn):
    TESTS[fn.__name__[2:]] = fn
    return fn


class MediaDaemon(Daemon):
    """The scenario daemon with a [media] section: relay on, a port range
    of its own (tests run in parallel), the given RTP timeout."""

    def __init__(self, ctx, topo, rtp_timeout=0, **kw):
        super().__init__(ctx, topo, **kw)
        base = random.randrange(20000, 60000, 200)
        self.port_min, self.port_max = base, base + 199
        self.rtp_timeout = rtp_timeout

    def _write_conf(self):
        super()._write_conf()
        with open(self.conf, "a") as f:
            f.write("[media]\nenable = yes\nbind4 = %s\nport_min = %d\nport_max = %d\n"
                    "workers = 1\nrtp_timeout = %d\n"
                    % (RELAY_IP, self.port_min, self.port_max, self.rtp_timeout))


class RtpEndpoint:
    """The callee's media: counts RTP from the relay (and where it came
    from), and sends its own PCMU stream to the address that sent to it
    (symmetric RTP, as a phone would), frames packets every 20 ms."""

    def __init__(self, ip, frames):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind((ip, 0))
        self.port = self.s.getsockname()[1]
        self.s.settimeout(0.05)
        self.frames = frames
        self.received = 0
        self.sources = set()
        self.seqs = []
        self.sent = 0
        self.run = True
        self.t = threading.Thread(target=self._loop, daemon=True)
        self.t.start()

    def _loop(self):
        peer, seq, ts, ssrc = None, random.randrange(65536), 0, random.getrandbits(32)
        next_send = 0.0
        while self.run:
            try:
                data, src = self.s.recvfrom(2048)
                if len(data) >= 12 and data[0] >> 6 == 2 and not 200 <= data[1] <= 204:
                    self.received += 1
                    self.sources.add(src)
                    self.seqs.append(struct.unpack("!H", data[2:4])[0])
                    peer = peer or src
            except socket.timeout:
                pass
            except OSError:
                return
            now = time.monotonic()
            if peer and self.sent < self.frames and now >= next_send:
                hdr = struct.pack("!BBHII", 0x80, 0, seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc)
                self.s.sendto(hdr + b"\xff" * FRAME, peer)
                self.sent += 1
                seq += 1
                ts += FRAME
                next_send = (next_send or now) + 0.02

    def close(self):
        self.run = False
        self.t.join(2)
        self.s.close()


def audio_file(ctx, frames):
    """Raw PCMU (payload type 0), frames x 20 ms: a 440 Hz tone."""
    path = os.path.join(ctx.tmp, "tone.pcmu")
    data = bytearray()
    for i in range(frames * FRAME):
        # a coarse mu-law tone: the bytes only need to be audio-shaped
        data.append(0x80 | (int(40 + 30 * ((i * 440 * 4 // 8000) % 4 - 2)) & 0x7F))
    with open(path, "wb") as f:
        f.write(bytes(data))
    return path


def scenario(ctx, name, audio):
    with open(os.path.join(XML, name)) as f:
        text = f.read().replace("@AUDIO@", audio)
    path = os.path.join(ctx.tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def sdp_of(msg):
    body = msg.text.split("\n\n", 1)[1] if "\n\n" in msg.text else ""
    return body


def check_relay_sdp(sdp, foreign, d, what):
    """Only the relay's address, ports in its range, no address of the
    other side's media."""
    check(sdp.strip(), "%s: no SDP" % what)
    for ip in foreign:
        check(ip not in sdp, "%s: the SDP shows %s:\n%s" % (what, ip, sdp))
    conns = re.findall(r"^c=IN IP4 (\S+)", sdp, re.M)
    check(conns and all(c == RELAY_IP for c in conns), "%s: c= %r, expected %s"
          % (what, conns, RELAY_IP))
    o = re.findall(r"^o=.* IN IP4 (\S+)", sdp, re.M)
    check(o == [RELAY_IP], "%s: o= address %r" % (what, o))
    ports = [int(p) for p in re.findall(r"^m=audio (\d+) ", sdp, re.M)]
    check(len(ports) == 1 and d.port_min <= ports[0] <= d.port_max,
          "%s: m= port %r outside the relay's range %d-%d"
          % (what, ports, d.port_min, d.port_max))
    check("a=rtpmap:0 PCMU/8000" in sdp and "a=ptime:20" in sdp and "a=sendrecv" in sdp,
          "%s: attributes not kept:\n%s" % (what, sdp))
    return ports[0]


def media_call(ctx, hold_ms, rtp_timeout=0, uac_xml="uac_rtp.xml", callee_frames=CALLEE_FRAMES):
    a_port = free_port(CARRIER_A_IP, tcp=False)
    topo, ids = standard_topo(a_port, free_port(CARRIER_B_IP, tcp=False))
    d = MediaDaemon(ctx, topo, rtp_timeout=rtp_timeout).start()
    ep = RtpEndpoint(CALLEE_MEDIA_IP, callee_frames)
    ctx.closers.append(ep.close)
    carrier = uas(ctx, "carrier-a", os.path.join(XML, "uas_media.xml"), CARRIER_A_IP, a_port,
                  keys={"rtp_ip": CALLEE_MEDIA_IP, "rtp_port": ep.port})
    audio = audio_file(ctx, CALLER_FRAMES)
    cust = uac(ctx, d, "customer", scenario(ctx, uac_xml, audio), hold_ms=hold_ms,
               extra=["-mi", CALLER_MEDIA_IP, "-mp", str(free_port(CALLER_MEDIA_IP, tcp=False))])
    return d, ids, ep, carrier, cust


def cdr_media(c):
    return {k: v for k, v in c.items() if k.startswith(("a_", "b_", "media_"))}


@test
def t_relay_both_ways(ctx):
    d, ids, ep, carrier, cust = media_call(ctx, hold_ms=4500)
    expect_ok(d, cust, carrier)
    # The SDP each side saw: the relay only.
    inv = carrier.received("INVITE")
    check(inv, "carrier A saw no INVITE")
    b_port = check_relay_sdp(sdp_of(inv[0]), (CALLER_MEDIA_IP,), d, "INVITE at the carrier")
    ok = [m for m in cust.received(code=200) if m.cseq_method() == "INVITE"]
    check(ok, "the caller got no 200 for its INVITE")
    a_port = check_relay_sdp(sdp_of(ok[0]), (CALLEE_MEDIA_IP,), d, "200 at the caller")
    check(a_port != b_port, "both legs got the same relay port %d" % a_port)
    # Audio arrived at the callee's endpoint, from the relay's B side only.
    wait_until(lambda: ep.sent >= ep.frames, 5)
    ep.close()
    check(ep.sources == {(RELAY_IP, b_port)}, "the callee's RTP came from %r, expected only "
          "the relay's %s:%d" % (ep.sources, RELAY_IP, b_port))
    check(ep.received == CALLER_FRAMES, "the callee received %d RTP packets, SIPp sent %d"
          % (ep.received, CALLER_FRAMES))
    check(ep.sent == CALLEE_FRAMES, "the endpoint sent %d of %d" % (ep.sent, CALLEE_FRAMES))
    d.stop()
    c = one_cdr(d, "relayed call")
    scen.check_answered_cdr(c, ids, ids["a"], "caller", "relayed call")
    m = cdr_media(c)
    check(c["media_mode"] == "relay" and c["media_streams"] == 1, "CDR media: %r" % m)
    # a_rx: what the caller sent (SIPp's file); b_tx: what reached the callee.
    check(c["a_rx_packets"] == CALLER_FRAMES and c["a_rx_bytes"] == CALLER_FRAMES * (12 + FRAME),
          "CDR a_rx %r/%r, SIPp sent %d packets" % (c["a_rx_packets"], c["a_rx_bytes"],
                                                    CALLER_FRAMES))
    check(c["b_tx_packets"] == CALLER_FRAMES, "CDR b_tx_packets %r, the callee got %d"
          % (c["b_tx_packets"], ep.received))
    check(c["b_rx_packets"] == CALLEE_FRAMES and c["a_tx_packets"] == CALLEE_FRAMES,
          "CDR b_rx %r / a_tx %r, the endpoint sent %d" % (c["b_rx_packets"], c["a_tx_packets"],
                                                          CALLEE_FRAMES))
    for leg in ("a", "b"):
        check(c[leg + "_rx_lost"] == 0 and c[leg + "_rx_loss_pct"] == 0,
              "CDR %s loss %r" % (leg, m))
        check(c[leg + "_rx_out_of_order"] == 0, "CDR %s out of order %r" % (leg, m))
        check(c[leg + "_rx_jitter_ms"] is not None and 0 <= c[leg + "_rx_jitter_ms"] < 20,
              "CDR %s jitter %r ms (loopback, 20 ms pacing)" % (leg, c[leg + "_rx_jitter_ms"]))
        check(c[leg + "_rx_mos"] is not None and 4.0 <= c[leg + "_rx_mos"] <= 4.5,
              "CDR %s MOS %r" % (leg, c[leg + "_rx_mos"]))
    check("rtp timeout" not in (c["reason"] or ""), "reason %r" % c["reason"])


@test
def t_rtp_timeout(ctx):
    # The caller's 3 s of audio and the endpoint's 2.4 s, then silence:
    # the relay (2 s timeout) must end the call, BYE to both legs.
    timeout_s = 2
    d, ids, ep, carrier, cust = media_call(ctx, hold_ms=0, rtp_timeout=timeout_s,
                                           uac_xml="uac_rtp_wait_bye.xml")
    expect_ok(d, cust, carrier)
    check(cust.received("BYE") and carrier.received("BYE"), "BYE not sent to both legs")
    ep.close()
    d.stop()
    c = one_cdr(d, "rtp timeout")
    check(c["reason"] == "rtp timeout", "CDR reason %r, expected 'rtp timeout'" % c["reason"])
    check(c["disconnect_side"] == "system", "disconnect_side %r" % c["disconnect_side"])
    check(c["a_rx_packets"] == CALLER_FRAMES, "a_rx_packets %r" % c["a_rx_packets"])
    # The last RTP is the caller's, 3 s after its stream started (just
    # after the answer): the end must come within timeout + 2 s of it.
    media_end_ms = c["answer_ms"] + CALLER_FRAMES * 20
    late = c["end_ms"] - media_end_ms
    check(late <= (timeout_s + 2) * 1000, "ended %d ms after the last RTP (timeout %d s)"
          % (late, timeout_s))
    check(late >= timeout_s * 1000 - 500, "ended %d ms after the last RTP: before the timeout"
          % late)


class Ctx(scen.Ctx):
    pass


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
    ctx = Ctx(args)
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
        for p in ctx.procs:
            if p.poll() is None:
                p.kill()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    pass
        for dd in ctx.daemons:
            dd.kill()
        for cl in ctx.closers:
            try:
                cl()
            except OSError:
                pass
        if args.keep:
            print("files kept in %s" % ctx.tmp)
        else:
            shutil.rmtree(ctx.tmp, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
