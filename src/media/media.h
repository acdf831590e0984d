/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file media.h  RTP/RTCP relay: media workers, port pairs, sessions of
 *                streams with two sides, symmetric RTP and latching,
 *                quality figures (RFC 3550 loss/jitter, RTCP RTT, E-model
 *                MOS) and RTP timeouts.
 *
 * A session is one call's media. Each stream (one m= line) has two sides:
 * side A faces the A leg (the caller), side B the B leg. Each side owns a
 * local RTP/RTCP port pair, and knows its far end from the SDP that leg
 * sent (media_stream_set_remote) and/or by latching on the first packets.
 * What arrives on side A's sockets leaves by side B's sockets to B's far
 * end, and the other way round, so each phone only ever sees the relay.
 *
 * Threads: the API may be called from any thread. Packets are handled on
 * the session's media worker (its own loop), under a per-session lock held
 * for one receive batch. Errors are 0 or a negative errno.
 */
#ifndef TL_MEDIA_H
#define TL_MEDIA_H

#include "core.h"

enum {
	MEDIA_MAX_STREAMS = 16,    /* m= lines per session (= SDP_MAX_MEDIA) */
	MEDIA_MAX_PTS = 16,        /* payload types with a known clock, per stream */
	MEDIA_DSCP_EF = 46,        /* Expedited Forwarding (RFC 3246) */
};

enum media_side { MEDIA_A = 0, MEDIA_B = 1 };

/** Relay configuration; media_prm_init() fills the defaults. */
struct media_prm {
	uint16_t port_min;         /* first port of the range (rounded up to even) */
	uint16_t port_max;         /* last port of the range, inclusive */
	const char *addr4;         /* IPv4 bind address ("0.0.0.0" any), NULL: no IPv4 */
	const char *addr6;         /* IPv6 bind address ("::" any), NULL: no IPv6 */
	const char *adv4;          /* IPv4 address announced in SDP, NULL: addr4 */
	const char *adv6;          /* IPv6 address announced in SDP, NULL: addr6 */
	unsigned workers;          /* media worker threads, >= 1 */
	unsigned rtp_timeout_s;    /* default per-stream RTP timeout, 0: none */
	int dscp;                  /* DSCP of media packets 0..63, -1: leave unset */
};

/** Defaults: ports 20000-40000, addr4 "127.0.0.1", 1 worker, timeout
 *  60 s, DSCP EF (46). */
void media_prm_init(struct media_prm *prm);

struct media;
struct media_session;

/**
 * Start the relay: the port allocator and prm->workers threads, each with
 * its own loop. Free with mem_deref() after every session is freed: it
 * stops and joins the workers. -EINVAL for a bad range or address.
 */
int media_alloc(struct media **mp, const struct media_prm *prm);

/** Whole-relay counters (metrics). */
struct media_totals {
	uint64_t sessions;         /* live sessions */
	uint64_t streams;          /* live streams */
	uint32_t pairs_total;      /* port pairs in the range */
	uint32_t pairs_used;       /* pairs taken (two per stream) */
	uint64_t packets;          /* RTP + RTCP packets forwarded */
	uint64_t bytes;            /* their bytes (UDP payload) */
	uint64_t dropped;          /* stray, unroutable, malformed, send failures */
	uint64_t timeouts;         /* RTP timeout callbacks */
};
void media_totals_get(struct media *m, struct media_totals *t);

/**
 * Called once when a stream had no RTP from either side for its timeout
 * (again only after media came back and stopped again). Runs on a media
 * worker thread with the session locked: it must not call media_* on this
 * session; hop to your own loop (loop_call) and end the call there. Once
 * the session's last reference is gone it is never called again.
 */
typedef void (media_timeout_h)(unsigned stream, void *arg);

/** New empty session on the next worker (round robin). arg is borrowed
 *  and must outlive the session. Free with mem_deref(): the ports go back
 *  to the pool shortly after, on the worker. */
int media_session_alloc(struct media_session **sp, struct media *m,
			media_timeout_h *th, void *arg);

/**
 * Add a stream: one RTP/RTCP port pair (even/odd) for each side, bound
 * to the relay's address of family af_a (side A) and af_b (side B)
 * (AF_INET / AF_INET6). Returns the stream's index in *idx (0, 1, ... in
 * order, as the m= lines). -ENOSPC when the port range is exhausted,
 * -EAFNOSUPPORT when the relay has no address of that family, -E2BIG
 * past MEDIA_MAX_STREAMS.
 */
int media_stream_add(struct media_session *s, int af_a, int af_b, unsigned *idx);

/** Our address for one side of a stream, as it goes into the SDP sent to
 *  that side's leg: the RTP address/port and the RTCP one (port + 1). */
int media_stream_local(const struct media_session *s, unsigned idx,
		       enum media_side side, struct sa *rtp, struct sa *rtcp);

/** A side's far end, from the SDP its leg sent. */
struct media_remote {
	struct sa rtp;             /* c= address and m= port; len 0: unknown */
	struct sa rtcp;            /* a=rtcp (RFC 3605); len 0: rtp port + 1 */
	bool rtcp_mux;             /* RTCP on the RTP port (RFC 5761), both ways */
	bool latch;                /* learn the address from the first packets
	                              (symmetric RTP for NATed phones) */
};

/**
 * Set (or change, on a re-INVITE/UPDATE) where a side's far end is.
 * Without latching only packets from exactly rtp (and its RTCP address)
 * are accepted. With latching the first source on each socket is taken
 * and kept; a changed SDP address starts a new latch. Anything else is
 * dropped and counted as stray.
 */
int media_stream_set_remote(struct media_session *s, unsigned idx,
			    enum media_side side, const struct media_remote *r);

/**
 * A payload type of the stream, from the SDP's a=rtpmap (or the static
 * table): its RTP clock (for jitter) and encoding name (for the E-model's
 * codec impairment). Static payload types need no call (0-34 are known).
 */
int media_stream_set_pt(struct media_session *s, unsigned idx, uint8_t pt,
			const char *encoding, uint32_t clock_hz);

/** Per-stream RTP timeout in seconds, 0: off (e.g. while on hold with
 *  a=inactive). Restarts the count. */
int media_stream_set_timeout(struct media_session *s, unsigned idx, unsigned secs);

/** Figures of one side of a stream. "rx" is what the side's far end sent
 *  to us, measured here; "rr" is what the far end reports in RTCP about
 *  what it receives from us (the other direction). */
struct media_side_stats {
	struct sa remote_rtp;      /* current destination (learnt or from SDP) */
	bool latched;              /* remote_rtp was learnt from packets */
	uint64_t rx_packets, rx_bytes;      /* RTP accepted from the far end */
	uint64_t rx_expected;      /* from sequence numbers (RFC 3550 A.3) */
	uint64_t rx_lost;          /* expected - received, 0 when negative */
	uint64_t rx_out_of_order;  /* arrived after a later sequence number */
	double rx_loss_pct;        /* rx_lost / rx_expected * 100 */
	double rx_jitter_ms;       /* interarrival jitter (RFC 3550 A.8) */
	double rx_jitter_max_ms;
	uint64_t rtcp_rx;          /* RTCP packets accepted from the far end */
	uint64_t tx_packets, tx_bytes;      /* RTP + RTCP sent to the far end */
	uint64_t stray;            /* from a source that is not the far end */
	uint64_t unroutable;       /* received while the other side had no
	                              destination yet */
	uint64_t malformed;        /* not RTP/RTCP, truncated */
	bool has_rr;               /* the far end sent a report block */
	double rr_loss_pct;        /* its last "fraction lost", in percent */
	int64_t rr_cum_lost;       /* its cumulative number lost */
	double rr_jitter_ms;       /* its interarrival jitter */
	bool has_rtt;
	double rtt_ms;             /* relay <-> far end round trip (LSR/DLSR) */
	double mos_rx;             /* E-model MOS of what it sent, 0: no media */
	double mos_tx;             /* E-model MOS of what it receives (from
	                              its reports), 0: no report */
	uint64_t idle_ms;          /* since the last RTP from the far end */
};

struct media_stats {
	struct media_side_stats side[2];   /* [MEDIA_A], [MEDIA_B] */
	bool timed_out;            /* the timeout callback fired, no media since */
};

/** Snapshot of a stream's figures, at any time (CDR, metrics). */
int media_stream_stats(const struct media_session *s, unsigned idx,
		       struct media_stats *st);
/** Number of streams of the session. */
unsigned media_stream_count(const struct media_session *s);

/**
 * E-model (ITU-T G.107, simplified) MOS for a codec with equipment
 * impairment ie and packet-loss robustness bpl (G.113 Appendix I values;
 * G.711 with PLC: 0 and 25.1), random packet loss ppl in percent and a
 * one-way mouth-to-ear delay in ms. 1.0 .. 4.5; G.711, no loss, short
 * delay: about 4.4.
 */
double media_emodel_mos(double ie, double bpl, double ppl, double delay_ms);

#endif /* TL_MEDIA_H */
