#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""End-to-end media relay tests: calls whose trunk relays media, SIPp
sending real RTP (rtp_stream) as the caller, SIPp as the carrier with a
small Python RTP endpoint as its media, the SDP each side sees and the
CDR's media figures checked.

    relay_both_ways   RTP both ways, SDP and CDR figures
    rtp_timeout       silence ends the call (BYE both legs, CDR reason)
    baresip_far_end   baresip as the carrier's gateway answers and speaks a
                      WAV tone: what it decoded (its sndfile dump), the tone
                      on the wire to the caller, the CDR's counts per leg
    hold_reinvite     re-INVITE a=sendonly / a=sendrecv through the relay:
                      SDP at the callee, no RTP and no RTP timeout on hold,
                      RTP relayed again after the resume
    dscp_media        the TOS byte of relayed RTP (default EF, dscp = 34,
                      none), captured on lo with an AF_PACKET socket (root)

Reuses tests/scenarios/run.py (imported): the daemon, provisioning, SIPp
and the addresses are the same. The caller's media is on 127.0.0.5, the
carrier's on 127.0.0.6 (baresip's on 127.0.0.2, its SIP address), so an
SDP that leaked either is easy to spot; the relay announces 127.0.0.1.
"""
import argparse
import copy
import hashlib
import math
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
import wave

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "scenarios"))
import run as scen  # noqa: E402  (tests/scenarios/run.py)
import urllib.request
from run import (CARRIER_A_IP, CARRIER_B_IP, DIALLED, Daemon, Fail, Skip, check,  # noqa: E402
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

    def __init__(self, ctx, topo, rtp_timeout=0, media="", **kw):
        super().__init__(ctx, topo, **kw)
        base = random.randrange(20000, 60000, 200)
        self.port_min, self.port_max = base, base + 199
        self.rtp_timeout = rtp_timeout
        self.media = media              # more [media] lines (e.g. dscp)

    def _write_conf(self):
        super()._write_conf()
        # The REST API too (its /metrics), with a token made for the test.
        self.token = "tl_" + "".join(random.choice("abcdefghijklmnopqrstuvwxyz0123456789")
                                     for _ in range(40))
        self.api_port = free_port()
        with open(self.conf, "a") as f:
            f.write("[media]\nenable = yes\nbind4 = %s\nport_min = %d\nport_max = %d\n"
                    "workers = 1\nrtp_timeout = %d\n%s\n"
                    "[api]\nlisten = 127.0.0.1:%d\ntoken_sha256 = %s\n"
                    % (RELAY_IP, self.port_min, self.port_max, self.rtp_timeout, self.media,
                       self.api_port, hashlib.sha256(self.token.encode()).hexdigest()))

    def metrics(self):
        rq = urllib.request.Request("http://127.0.0.1:%d/metrics" % self.api_port,
                                    headers={"Authorization": "Bearer " + self.token})
        with urllib.request.urlopen(rq, timeout=30) as r:
            return r.read().decode()


class RtpEndpoint:
    """The callee's media: counts RTP from the relay (where it came from,
    when, and the IP TOS byte it arrived with), and sends its own PCMU
    stream to the address that sent to it (symmetric RTP, as a phone
    would): frames packets every 20 ms, or with echo one packet for each
    packet received (so it falls silent when the other side does)."""

    def __init__(self, ip, frames, echo=False):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind((ip, 0))
        self.s.setsockopt(socket.IPPROTO_IP, socket.IP_RECVTOS, 1)
        self.port = self.s.getsockname()[1]
        self.s.settimeout(0.05)
        self.frames = frames
        self.echo = echo
        self.received = 0
        self.sources = set()
        self.seqs = []
        self.times = []                 # monotonic arrival time of each RTP packet
        self.tos = set()                # TOS bytes the RTP arrived with
        self.sent = 0
        self.run = True
        self.t = threading.Thread(target=self._loop, daemon=True)
        self.t.start()

    def _loop(self):
        peer, seq, ts, ssrc = None, random.randrange(65536), 0, random.getrandbits(32)
        next_send = 0.0
        while self.run:
            got = False
            try:
                data, anc, _, src = self.s.recvmsg(2048, socket.CMSG_SPACE(4))
                if len(data) >= 12 and data[0] >> 6 == 2 and not 200 <= data[1] <= 204:
                    got = True
                    self.received += 1
                    self.times.append(time.monotonic())
                    self.sources.add(src)
                    self.seqs.append(struct.unpack("!H", data[2:4])[0])
                    for level, kind, value in anc:
                        if level == socket.IPPROTO_IP and kind == socket.IP_TOS:
                            self.tos.add(value[0])
                    peer = peer or src
            except socket.timeout:
                pass
            except OSError:
                return
            now = time.monotonic()
            if self.echo:
                due = got and self.sent < self.frames
            else:
                due = peer and self.sent < self.frames and now >= next_send
            if due:
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


class Packet:
    __slots__ = ("src", "dst", "tos", "payload")

    def __init__(self, src, dst, tos, payload):
        self.src, self.dst, self.tos, self.payload = src, dst, tos, payload


class Capture:
    """UDP over IPv4 as the loopback interface carries it, read with an
    AF_PACKET socket (needs root or CAP_NET_RAW: else the test is
    skipped): the packets want(packet) keeps, with the IP header's TOS
    byte. Each packet is seen once (its outgoing copy is skipped)."""

    def __init__(self, want):
        try:
            self.s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
            self.s.bind(("lo", 0))
        except (OSError, AttributeError) as e:
            raise Skip("cannot capture on lo (AF_PACKET): %s" % e)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.s.settimeout(0.05)
        self.want = want
        self.packets = []
        self.run = True
        self.t = threading.Thread(target=self._loop, daemon=True)
        self.t.start()

    def _loop(self):
        while self.run:
            try:
                frame, addr = self.s.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            if addr[2] == socket.PACKET_OUTGOING:
                continue
            ip = frame[14:]             # lo frames carry a 14-byte Ethernet header
            if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17:
                continue
            ihl = (ip[0] & 0x0F) * 4
            sport, dport = struct.unpack("!HH", ip[ihl:ihl + 4])
            p = Packet((socket.inet_ntoa(ip[12:16]), sport), (socket.inet_ntoa(ip[16:20]), dport),
                       ip[1], bytes(ip[ihl + 8:]))
            if len(p.payload) >= 12 and self.want(p):
                self.packets.append(p)

    def close(self):
        if self.run:
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


def scenario(ctx, name, audio, **subst):
    """A copy of xml/NAME with @AUDIO@ (and @KEY@ for each keyword) filled
    in: SIPp takes file names and pauses from the scenario itself."""
    with open(os.path.join(XML, name)) as f:
        text = f.read().replace("@AUDIO@", audio)
    for k, v in subst.items():
        text = text.replace("@%s@" % k.upper(), str(v))
    path = os.path.join(ctx.tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def sdp_of(msg):
    body = msg.text.split("\n\n", 1)[1] if "\n\n" in msg.text else ""
    return body


def check_relay_sdp(sdp, foreign, d, what, direction="sendrecv"):
    """Only the relay's address, ports in its range, no address of the
    other side's media; the codec, ptime and direction lines kept."""
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
    check("a=rtpmap:0 PCMU/8000" in sdp and "a=ptime:20" in sdp,
          "%s: attributes not kept:\n%s" % (what, sdp))
    dirs = re.findall(r"^a=(sendrecv|sendonly|recvonly|inactive)\s*$", sdp, re.M)
    check(dirs == [direction], "%s: direction %r, expected a=%s:\n%s"
          % (what, dirs, direction, sdp))
    return ports[0]


def media_call(ctx, hold_ms, rtp_timeout=0, uac_xml="uac_rtp.xml", callee_frames=CALLEE_FRAMES,
               uas_xml="uas_media.xml", caller_frames=CALLER_FRAMES, echo=False, media="",
               subst=None, before_call=None):
    """A relayed call from SIPp (the customer, RTP from 127.0.0.5) through
    carrier A (SIPp) to the Python endpoint (127.0.0.6). before_call(d)
    runs once the daemon is up, before any SIP is sent."""
    a_port = free_port(CARRIER_A_IP, tcp=False)
    topo, ids = standard_topo(a_port, free_port(CARRIER_B_IP, tcp=False))
    d = MediaDaemon(ctx, topo, rtp_timeout=rtp_timeout, media=media).start()
    if before_call:
        before_call(d)
    ep = RtpEndpoint(CALLEE_MEDIA_IP, callee_frames, echo=echo)
    ctx.closers.append(ep.close)
    carrier = uas(ctx, "carrier-a", os.path.join(XML, uas_xml), CARRIER_A_IP, a_port,
                  keys={"rtp_ip": CALLEE_MEDIA_IP, "rtp_port": ep.port})
    audio = audio_file(ctx, caller_frames)
    cust = uac(ctx, d, "customer", scenario(ctx, uac_xml, audio, **(subst or {})),
               hold_ms=hold_ms,
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
    # /metrics: one MOS and one jitter sample per leg (both received RTP),
    # MOS in the 4.0-4.5 buckets on loopback, jitter under 20 ms.
    text = {}

    def scraped():
        text["v"] = d.metrics()
        return "\ntrunkline_media_mos_count 2\n" in text["v"]
    check(wait_until(scraped, 10), "media histograms:\n" + "\n".join(
        l for l in text.get("v", "").splitlines() if "media_" in l))
    mos = dict(re.findall(r'^trunkline_media_mos_bucket\{le="([^"]+)"\} (\d+)$', text["v"], re.M))
    jit = dict(re.findall(r'^trunkline_media_jitter_seconds_bucket\{le="([^"]+)"\} (\d+)$',
                          text["v"], re.M))
    check(mos.get("3.9") == "0" and mos.get("4.5") == "2", "MOS buckets %r" % mos)
    check(jit.get("0.02") == "2", "jitter buckets %r" % jit)
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

# -------------------------------------------------------------- baresip

BARESIP_MODULES = "/usr/lib/baresip/modules"
TONE_HZ = 1000


def tone_wav(path, secs, hz=TONE_HZ, rate=8000):
    """A sine tone as 16-bit mono WAV: baresip's microphone (aufile)."""
    frames = bytearray()
    for i in range(int(secs * rate)):
        frames += struct.pack("<h", int(8000 * math.sin(2 * math.pi * hz * i / rate)))
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(frames))


def wav_samples(path):
    """(sample rate, 16-bit samples of channel 0) of a WAV file."""
    with wave.open(path, "rb") as w:
        rate, ch, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
        raw = w.readframes(w.getnframes())
    check(width == 2, "%s: %d-byte samples" % (path, width))
    samples = struct.unpack("<%dh" % (len(raw) // 2), raw)[::ch]
    return rate, samples


class Baresip:
    """baresip as a callee: its own config directory (-f), SIP on ip:port,
    RTP on its own port range, answers every call at once
    (answermode=auto), speaks a WAV file (aufile) and dumps what it
    sends and receives as WAV files (sndfile). Ended by PID."""

    def __init__(self, ctx, ip, port, user, secs=20):
        exe = shutil.which("baresip")
        if not exe or not os.path.isdir(BARESIP_MODULES):
            raise Skip("baresip is not installed (Debian package baresip)")
        for mod in ("g711", "aufile", "sndfile", "aubridge", "account"):
            if not os.path.exists(os.path.join(BARESIP_MODULES, mod + ".so")):
                raise Skip("baresip has no %s module" % mod)
        self.home = os.path.join(ctx.tmp, "baresip")
        self.dumps = os.path.join(self.home, "dumps")
        os.makedirs(self.dumps)
        self.wav = os.path.join(self.home, "speech.wav")
        tone_wav(self.wav, secs)
        base = random.randrange(10000, 19000, 100)
        self.rtp_min, self.rtp_max = base, base + 99
        with open(os.path.join(self.home, "config"), "w") as f:
            f.write("\n".join([
                "poll_method epoll",
                "sip_listen %s:%d" % (ip, port),
                "sip_transports udp",
                # No sound card: the microphone is a WAV file; the speaker
                # a bridge nobody listens to. The sndfile filter writes
                # what is sent (enc) and what is received (dec) to WAVs.
                "audio_source aufile,%s" % self.wav,
                "audio_player aubridge,speaker",
                "audio_alert aubridge,alert",
                "ausrc_srate 8000",
                "ausrc_channels 1",
                "auplay_srate 8000",
                "auplay_channels 1",
                "audio_path %s" % self.home,
                "snd_path %s" % self.dumps,
                "rtp_ports %d-%d" % (self.rtp_min, self.rtp_max),
                "net_interface %s" % ip,
                "module_path %s" % BARESIP_MODULES,
                "module g711.so",
                "module aufile.so",
                "module aubridge.so",
                "module sndfile.so",
                "module_app account.so",
                "",
            ]))
        with open(os.path.join(self.home, "accounts"), "w") as f:
            # No REGISTER; incoming calls answered at once; PCMU only.
            f.write("<sip:%s@%s:%d>;regint=0;answermode=auto;audio_codecs=PCMU\n"
                    % (user, ip, port))
        open(os.path.join(self.home, "contacts"), "w").close()
        self.log = os.path.join(ctx.tmp, "baresip.log")
        with open(self.log, "wb") as lf:
            self.proc = subprocess.Popen([exe, "-f", self.home, "-s", "-v", "-t", "60"],
                                         stdin=subprocess.DEVNULL, stdout=lf,
                                         stderr=subprocess.STDOUT, cwd=ctx.tmp)
        ctx.procs.append(self.proc)
        ok = wait_until(lambda: self.proc.poll() is not None
                        or re.search(r"baresip is ready|Listening on", self.text()), 10)
        check(ok and self.proc.poll() is None, "baresip did not start:\n" + self.text()[-3000:])

    def text(self):
        try:
            with open(self.log, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def dump(self, kind):
        """The WAV baresip wrote for 'enc' (sent) or 'dec' (received)."""
        got = [os.path.join(self.dumps, n) for n in os.listdir(self.dumps)
               if n.endswith("-%s.wav" % kind)]
        check(len(got) == 1, "baresip's %s dump: %r\n%s" % (kind, os.listdir(self.dumps),
                                                             self.text()[-3000:]))
        return got[0]


def sip_trace(text, first_line):
    """The SIP messages in baresip's -s trace that start with first_line
    (e.g. 'INVITE ', 'SIP/2.0 200'), each as a Msg."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    out = []
    for m in re.finditer(r"^UDP \S+ -> \S+\n(.*?)(?=^#\n|\Z)", text, re.S | re.M):
        body = m.group(1).strip("\n") + "\n"
        if body.startswith(first_line):
            out.append(scen.Msg("received", body))
    return out


def ulaw_decode(b):
    """G.711 mu-law byte -> 16-bit linear sample."""
    b = ~b & 0xFF
    t = (((b & 0x0F) << 3) + 0x84) << ((b & 0x70) >> 4)
    return 0x84 - t if b & 0x80 else t - 0x84


def tone_share(samples, hz, rate=8000):
    """The share of the signal's energy at hz (Goertzel over 20 ms
    blocks): near 1 for a pure tone of that frequency, near 0 otherwise."""
    n = rate // 50
    k = 2 * math.cos(2 * math.pi * hz / rate)
    at, total = 0.0, 0.0
    for i in range(0, len(samples) - n + 1, n):
        blk = samples[i:i + n]
        s1 = s2 = 0.0
        for x in blk:
            s1, s2 = x + k * s1 - s2, s1
        at += (s1 * s1 + s2 * s2 - k * s1 * s2) * 2 / n
        total += sum(x * x for x in blk)
    return at / total if total else 0.0


def rms(samples):
    return math.sqrt(sum(x * x for x in samples) / len(samples)) if samples else 0.0


@test
def t_baresip_far_end(ctx):
    # SIPp as the customer (RTP from 127.0.0.5) -> the relay -> baresip as
    # carrier A's gateway (127.0.0.2), which answers and speaks a 1 kHz
    # tone from a WAV file. The customer hangs up after 4.5 s.
    a_port = free_port(CARRIER_A_IP, tcp=False)
    topo, ids = standard_topo(a_port, free_port(CARRIER_B_IP, tcp=False))
    d = MediaDaemon(ctx, topo).start()
    bs = Baresip(ctx, CARRIER_A_IP, a_port, DIALLED)
    ctx.closers.append(bs.stop)
    caller_mp = free_port(CALLER_MEDIA_IP, tcp=False)
    cap = Capture(lambda p: p.dst == (CALLER_MEDIA_IP, caller_mp))
    ctx.closers.append(cap.close)
    audio = audio_file(ctx, CALLER_FRAMES)
    cust = uac(ctx, d, "customer", scenario(ctx, "uac_rtp.xml", audio), hold_ms=4500,
               extra=["-mi", CALLER_MEDIA_IP, "-mp", str(caller_mp)])
    rc = cust.wait()
    # baresip has answered the BYE when the caller's scenario ends; its
    # SIP trace and dumps are complete once it has stopped.
    wait_until(lambda: "terminated" in bs.text(), 5)
    bs.stop()
    cap.close()
    check(rc == 0, "sipp %s exited with %s\n%s\n--- baresip\n%s\n--- daemon\n%s"
          % (cust.name, rc, cust.report(), bs.text()[-6000:], d.tail()))
    trace = bs.text()
    check(re.search(r"Call established", trace) and re.search(r"terminated", trace),
          "baresip did not log the call established and terminated:\n" + trace[-6000:])

    # The SDP each side saw: the relay's address and ports only. (baresip's
    # a=ssrc cname is an identifier, user@host, that the relay keeps as
    # it keeps every line it has no reason to change.)
    def addressing(sdp):
        return "\n".join(l for l in sdp.splitlines() if not l.startswith("a=ssrc:"))
    invs = sip_trace(trace, "INVITE ")
    check(len(invs) == 1, "baresip saw %d INVITEs:\n%s" % (len(invs), trace[-6000:]))
    b_port = check_relay_sdp(sdp_of(invs[0]), (CALLER_MEDIA_IP,), d, "INVITE at baresip")
    ans = sip_trace(trace, "SIP/2.0 200")
    ans = [m for m in ans if m.cseq_method() == "INVITE"]
    check(ans, "baresip sent no 200 to the INVITE")
    bs_sdp = sdp_of(ans[0])
    bs_port = int(re.search(r"^m=audio (\d+) ", bs_sdp, re.M).group(1))
    check(bs.rtp_min <= bs_port <= bs.rtp_max, "baresip's own m= port %d" % bs_port)
    ok = [m for m in cust.received(code=200) if m.cseq_method() == "INVITE"]
    check(ok, "the caller got no 200 for its INVITE")
    a_sdp = sdp_of(ok[0])
    a_port_relay = check_relay_sdp(addressing(a_sdp), (CARRIER_A_IP,), d, "200 at the caller")
    check(str(bs_port) not in a_sdp, "baresip's RTP port %d reached the caller:\n%s"
          % (bs_port, a_sdp))
    check(a_port_relay != b_port, "both legs got the relay port %d" % b_port)

    d.stop()
    c = one_cdr(d, "baresip far end")
    scen.check_answered_cdr(c, ids, ids["a"], "caller", "baresip far end")
    m = cdr_media(c)
    check(c["media_mode"] == "relay" and c["media_streams"] == 1, "CDR media: %r" % m)
    check("rtp timeout" not in (c["reason"] or ""), "reason %r" % c["reason"])

    # Caller -> baresip: SIPp sent exactly CALLER_FRAMES packets; the relay
    # took and passed on each one; baresip decoded them (its jitter buffer
    # keeps a few unplayed: 5 in every run here; the tolerance is 10).
    check(c["a_rx_packets"] == CALLER_FRAMES and c["b_tx_packets"] == CALLER_FRAMES,
          "CDR a_rx %r / b_tx %r, SIPp sent %d" % (c["a_rx_packets"], c["b_tx_packets"],
                                                  CALLER_FRAMES))
    rate, heard = wav_samples(bs.dump("dec"))
    frames = len(heard) * 8000 // rate // FRAME
    check(CALLER_FRAMES - 10 <= frames <= CALLER_FRAMES,
          "baresip decoded %d frames of the %d sent (tolerance 10)" % (frames, CALLER_FRAMES))
    check(rms(heard) > 1000, "baresip heard silence: RMS %.0f" % rms(heard))

    # baresip -> caller: what baresip encoded (its enc dump, one frame per
    # packet) reached the relay and left it for the caller: equal, except
    # for up to 3 packets baresip may send after the relay closed the
    # call's ports at the BYE.
    rate, spoken = wav_samples(bs.dump("enc"))
    sent = len(spoken) * 8000 // rate // FRAME
    check(sent >= 100, "baresip sent only %d frames in a 4.5 s call" % sent)
    check(sent - 3 <= c["b_rx_packets"] <= sent, "CDR b_rx_packets %r, baresip sent %d "
          "(tolerance 3)" % (c["b_rx_packets"], sent))
    check(c["a_tx_packets"] == c["b_rx_packets"], "CDR a_tx %r != b_rx %r: the relay lost some"
          % (c["a_tx_packets"], c["b_rx_packets"]))
    for leg in ("a", "b"):
        check(c[leg + "_rx_lost"] == 0, "CDR %s loss %r" % (leg, m))
        check(c[leg + "_rx_mos"] is not None and 4.0 <= c[leg + "_rx_mos"] <= 4.5,
              "CDR %s MOS %r" % (leg, c[leg + "_rx_mos"]))
    # On the wire towards the caller: from the relay's A port only, and
    # the tone baresip spoke (the capture may miss packets on a busy
    # machine: at least 80% of them).
    pk = cap.packets
    check(len(pk) >= 0.8 * c["a_tx_packets"], "captured %d of the %d packets sent to the "
          "caller" % (len(pk), c["a_tx_packets"]))
    check({p.src for p in pk} == {(RELAY_IP, a_port_relay)}, "the caller's RTP came from %r"
          % {p.src for p in pk})
    pcm = [ulaw_decode(b) for p in pk if p.payload[1] & 0x7F == 0 for b in p.payload[12:]]
    share = tone_share(pcm, TONE_HZ)
    check(share > 0.8, "the caller's audio is %.0f%% the %d Hz tone baresip spoke"
          % (100 * share, TONE_HZ))
    print("baresip decoded %d of %d frames (RMS %.0f), sent %d; relay b_rx %d a_tx %d; "
          "captured %d towards the caller, %.0f%% at %d Hz"
          % (frames, CALLER_FRAMES, rms(heard), sent, c["b_rx_packets"], c["a_tx_packets"],
             len(pk), 100 * share, TONE_HZ))



def reinvites(p, direction):
    """The INVITEs a SIPp scenario sent (sent) or received, in order."""
    return [m for m in p.messages() if m.dir == direction and m.method == "INVITE"]


def o_version(sdp):
    return int(re.search(r"^o=\S+ \S+ (\d+) ", sdp, re.M).group(1))


@test
def t_hold_reinvite(ctx):
    # The caller sends 1 s of audio, holds (re-INVITE a=sendonly) for
    # HOLD_MS, longer than the RTP timeout, resumes (a=sendrecv) and sends
    # 1 s more. The callee's endpoint echoes each packet it gets, so
    # nothing flows while the caller is silent.
    timeout_s, hold_ms, gap_ms, frames = 2, 4500, 1500, 50
    d, ids, ep, carrier, cust = media_call(ctx, hold_ms=hold_ms, rtp_timeout=timeout_s,
                                           uac_xml="uac_hold.xml", uas_xml="uas_hold.xml",
                                           caller_frames=frames, echo=True, callee_frames=10**6,
                                           subst={"gap": gap_ms})
    expect_ok(d, cust, carrier)
    check(not cust.received("BYE") and len(carrier.received("BYE")) == 1,
          "the daemon sent BYEs of its own: caller %d, callee %d"
          % (len(cust.received("BYE")), len(carrier.received("BYE"))))

    # SDP: three offers from the caller, each seen by the callee with the
    # relay's address only, the same relay port, a newer o= version and
    # the caller's direction; three answers back the same way.
    sent, seen = reinvites(cust, "sent"), reinvites(carrier, "received")
    check(len(sent) == 3 and len(seen) == 3, "INVITEs: caller sent %d, callee saw %d"
          % (len(sent), len(seen)))
    answers = [m for m in cust.received(code=200) if m.cseq_method() == "INVITE"]
    check(len(answers) == 3, "the caller got %d 200s to its INVITEs" % len(answers))
    b_ports, a_ports, versions = set(), set(), []
    for i, direction, answer_dir in ((0, "sendrecv", "sendrecv"), (1, "sendonly", "recvonly"),
                                     (2, "sendrecv", "sendrecv")):
        what = ("INVITE", "hold re-INVITE", "resume re-INVITE")[i]
        sdp = sdp_of(seen[i])
        b_ports.add(check_relay_sdp(sdp, (CALLER_MEDIA_IP,), d, what + " at the callee",
                                    direction))
        versions.append(o_version(sdp))
        a_ports.add(check_relay_sdp(sdp_of(answers[i]), (CALLEE_MEDIA_IP,), d,
                                    "200 to the %s at the caller" % what, answer_dir))
    check(len(b_ports) == 1 and len(a_ports) == 1, "relay ports changed across the "
          "re-INVITEs: to the callee %r, to the caller %r" % (b_ports, a_ports))
    check(versions[0] < versions[1] < versions[2], "o= versions at the callee %r: a "
          "re-offer must bump it (RFC 3264 section 8)" % versions)

    # RTP: 50 packets before the hold, none during it, 50 after it.
    ep.close()
    t = ep.times
    check(ep.received == 2 * frames, "the callee received %d RTP packets, SIPp sent %d"
          % (ep.received, 2 * frames))
    gaps = [(t[i + 1] - t[i], i + 1) for i in range(len(t) - 1)]
    gap, split = max(gaps)
    check(split == frames, "the longest silence came after packet %d, expected %d"
          % (split, frames))
    check(gap * 1000 >= hold_ms, "the silence lasted %.1f s, the hold %.1f s"
          % (gap, hold_ms / 1000))
    check(ep.sent == ep.received, "the endpoint echoed %d of %d" % (ep.sent, ep.received))

    d.stop()
    c = one_cdr(d, "hold and resume")
    scen.check_answered_cdr(c, ids, ids["a"], "caller", "hold and resume")
    check(c["reason"] != "rtp timeout", "the RTP timeout (%d s) cleared the call on hold"
          % timeout_s)
    check(c["end_ms"] - c["answer_ms"] >= hold_ms + 2 * gap_ms,
          "the call lasted %d ms" % (c["end_ms"] - c["answer_ms"]))
    # Twice the packets of the first second: the resumed audio was relayed.
    for k in ("a_rx_packets", "b_tx_packets", "b_rx_packets", "a_tx_packets"):
        check(c[k] == 2 * frames, "CDR %s %r, expected %d (%d before the hold, %d after)"
              % (k, c[k], 2 * frames, frames, frames))
    check(c["a_rx_lost"] == 0 and c["b_rx_lost"] == 0, "CDR loss: %r" % cdr_media(c))


@test
def t_dscp_media(ctx):
    # The relay marks what it sends EF (46, TOS 0xb8) by default, as
    # configured otherwise ([media] dscp), not at all with 'none'. Read
    # back twice: the TOS byte of every packet leaving a relay port, seen
    # on lo (AF_PACKET), and the TOS the callee's socket got (IP_RECVTOS,
    # as tests/sip's dscp test reads SIP). SIPp's own RTP, unmarked,
    # shows that the capture reads real values.
    for extra, dscp in (("", 46), ("dscp = 34\n", 34), ("dscp = none\n", None)):
        tos = (dscp or 0) << 2
        sub = copy.copy(ctx)
        sub.tmp = os.path.join(ctx.tmp, "dscp-%s" % dscp)
        os.makedirs(sub.tmp)
        caps = []

        def start_capture(d):
            # RTP between the media addresses and this relay's ports (on a
            # shared machine other daemons use 127.0.0.1 and ports in the
            # range too: SIP from a port in it is marked CS3).
            def want(p):
                rtp = p.payload[0] >> 6 == 2
                return rtp and ((p.src[0] == RELAY_IP and d.port_min <= p.src[1] <= d.port_max
                                 and p.dst[0] in (CALLER_MEDIA_IP, CALLEE_MEDIA_IP))
                                or (p.src[0] == CALLER_MEDIA_IP and p.dst[0] == RELAY_IP
                                    and d.port_min <= p.dst[1] <= d.port_max))
            caps.append(Capture(want))
            ctx.closers.append(caps[0].close)

        d, ids, ep, carrier, cust = media_call(sub, hold_ms=1500, caller_frames=50,
                                               callee_frames=50, media=extra,
                                               before_call=start_capture)
        expect_ok(d, cust, carrier)
        ep.close()
        cap = caps[0]
        cap.close()
        d.stop()
        what = "[media] %s" % (extra.strip() or "default")
        relay = [p for p in cap.packets if p.src[0] == RELAY_IP]
        to_caller = [p for p in relay if p.dst[0] == CALLER_MEDIA_IP]
        to_callee = [p for p in relay if p.dst[0] == CALLEE_MEDIA_IP]
        sipp = [p for p in cap.packets if p.src[0] == CALLER_MEDIA_IP]
        # The capture may miss some on a busy machine: 40 of 50 each way.
        check(len(to_caller) >= 40 and len(to_callee) >= 40 and len(sipp) >= 40,
              "%s: captured %d relay->caller, %d relay->callee, %d from SIPp (50 each sent)"
              % (what, len(to_caller), len(to_callee), len(sipp)))
        bad = [p for p in relay if p.tos != tos]
        if bad:
            b = bad[0]
            raise Fail("%s: %d of %d relayed RTP packets left with another TOS than %#04x "
                       "(DSCP %s), e.g. %s:%d -> %s:%d TOS %#04x"
                       % (what, len(bad), len(relay), tos, dscp, b.src[0], b.src[1], b.dst[0],
                          b.dst[1], b.tos))
        check(ep.tos == {tos}, "%s: the callee's socket saw TOS %s, expected %#04x"
              % (what, [hex(x) for x in ep.tos], tos))
        check({p.tos for p in sipp} == {0}, "%s: SIPp's RTP had TOS %s"
              % (what, sorted({p.tos for p in sipp})))
        c = one_cdr(d, what)
        check(c["a_rx_packets"] == 50 and c["b_rx_packets"] == 50, "%s: CDR %r"
              % (what, cdr_media(c)))
        print("%s: %d relayed packets captured, TOS %#04x" % (what, len(relay), tos))


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
