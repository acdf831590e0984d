/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file media_int.h  Internals shared by the media module's files: port
 *                    pool, workers, sessions and sides, RTP quality state,
 *                    RTCP parsing.
 */
#ifndef TL_MEDIA_INT_H
#define TL_MEDIA_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include "media.h"

enum {
	MW_BATCH = 64,             /* datagrams per recvmmsg/sendmmsg */
	MW_ROUNDS = 4,             /* batches per readiness event (fairness) */
	MW_BUFSZ = 2048,           /* bytes per datagram buffer; longer: dropped */
	MW_TICK_MS = 250,          /* timeout scan period */
	MEDIA_SR_RING = 4,         /* SRs remembered per side for LSR matching */
};

/* ---- port pairs (ports.c) ----------------------------------------- */

/** FIFO of free even ports: O(1) get and put, the longest-free reused
 *  first (late packets of an ended call rarely reach a new one). */
struct mports {
	pthread_mutex_t lock;
	uint16_t *ring;            /* owned, cap entries */
	uint32_t cap, head, count;
	uint32_t total;
};

int mports_init(struct mports *p, uint16_t min, uint16_t max);
void mports_close(struct mports *p);
/** Take the next free even port; -ENOSPC when none. */
int mports_get(struct mports *p, uint16_t *port);
void mports_put(struct mports *p, uint16_t port);
uint32_t mports_used(struct mports *p);

/* ---- RTP quality (quality.c) ------------------------------------- */

/** Receive statistics of one RTP source, RFC 3550 A.1, A.3 and A.8. */
struct mquality {
	bool init;
	uint32_t ssrc;
	uint16_t max_seq;          /* highest sequence number seen */
	uint32_t cycles;           /* shifted count of wraps */
	uint32_t base_seq;
	uint32_t bad_seq;          /* RTP_SEQ_MOD + 1: none */
	uint64_t received;         /* of this SSRC */
	uint64_t prev_expected;    /* totals of earlier SSRCs */
	uint64_t prev_received;
	uint64_t out_of_order;
	uint32_t clock;            /* of the last packet's payload type, Hz */
	bool have_transit;         /* prev_* are set */
	uint64_t prev_arrival_us;  /* arrival of the previous packet */
	uint32_t prev_ts;          /* its RTP timestamp */
	double jitter;             /* in clock units (A.8) */
	double jitter_ms, jitter_max_ms;
};

/** Account one RTP packet (arrival in microseconds, any epoch). */
void mquality_update(struct mquality *q, uint32_t ssrc, uint16_t seq,
		     uint32_t ts, uint32_t clock_hz, uint64_t arrival_us);
uint64_t mquality_expected(const struct mquality *q);
uint64_t mquality_received(const struct mquality *q);
uint64_t mquality_lost(const struct mquality *q);
/** Clock rate of a static payload type (RFC 3551), 0 if not static. */
uint32_t media_static_clock(uint8_t pt);
/** E-model codec figures by encoding name (case-insensitive). */
void media_codec_ie(const char *encoding, double *ie, double *bpl);

/* ---- RTCP (rtcp.c) ------------------------------------------------ */

struct rtcp_rb {               /* RFC 3550 6.4.1 report block */
	uint32_t ssrc;
	uint8_t fraction;          /* lost since the last report, /256 */
	int32_t cum_lost;          /* 24-bit signed */
	uint32_t ext_seq, jitter, lsr, dlsr;
};

enum { RTCP_MAX_RB = 8 };

struct rtcp_info {
	bool has_sr;
	uint32_t sr_ssrc;
	uint32_t ntp_mid;          /* middle 32 bits of the SR's NTP time */
	unsigned rbc;
	struct rtcp_rb rb[RTCP_MAX_RB];
};

/** True when the datagram is RTCP by RFC 5761 section 4 (PT 192-223). */
bool rtcp_is_rtcp(const uint8_t *p, size_t len);
/** Parse a compound RTCP packet: SR's time and every SR/RR report block.
 *  -EBADMSG when malformed. */
int rtcp_parse(const uint8_t *p, size_t len, struct rtcp_info *info);
/** Round trip from a report block: now and sr_seen are our clock in
 *  1/65536 s (NTP short format), the time the SR named by LSR passed us;
 *  dlsr in the same unit. Microseconds, -ERANGE when negative or absurd. */
int64_t rtcp_rtt_us(uint32_t now, uint32_t sr_seen, uint32_t dlsr);
/** Our monotonic clock as NTP short format (1/65536 s). */
uint32_t rtcp_now32(uint64_t now_us);

/* ---- sessions, streams, sides (relay.c) -------------------------- */

struct mworker;
struct msess;
struct mstream;

struct msr {                   /* an SR that came from a side */
	uint32_t ntp_mid;
	uint32_t seen;             /* our rtcp_now32 at arrival */
};

struct mside {
	struct mstream *st;        /* borrowed: owner */
	int side;                  /* MEDIA_A / MEDIA_B */
	int fd_rtp, fd_rtcp;       /* owned; closed on the worker */
	uint16_t port;             /* even RTP port (back to the pool at the end) */
	struct sa local_rtp, local_rtcp;  /* as announced in SDP */
	/* the far end */
	bool sdp_set, latch, rtcp_mux;
	struct sa sdp_rtp, sdp_rtcp;
	bool rtp_latched, rtcp_latched;
	struct sa rtp_dst, rtcp_dst;       /* valid when known */
	bool rtp_known, rtcp_known;
	/* figures */
	struct mquality q;
	uint64_t rtcp_rx, tx_packets, tx_bytes, rx_bytes;
	uint64_t stray, unroutable, malformed;
	uint64_t last_rx_ms;
	struct msr sr[MEDIA_SR_RING];
	unsigned sr_next;
	bool has_rr, has_rtt;
	uint8_t rr_fraction;
	int32_t rr_cum_lost;
	uint32_t rr_jitter;        /* in clock units of what it receives */
	double rtt_ms;
	uint8_t last_pt;           /* of the last RTP accepted */
};

struct mstream {
	struct msess *sess;        /* borrowed: owner */
	unsigned idx;
	struct mside side[2];
	uint8_t pt[MEDIA_MAX_PTS];
	uint32_t pt_clock[MEDIA_MAX_PTS];
	double pt_ie[MEDIA_MAX_PTS], pt_bpl[MEDIA_MAX_PTS];
	unsigned ptc;
	unsigned timeout_s;
	uint64_t last_media_ms;    /* RTP from either side, or (re)start */
	bool timed_out;
	bool registered;           /* fds in the worker's loop */
};

/** The worker-side session: outlives the public handle until the worker
 *  has closed its sockets. */
struct msess {
	struct media *m;           /* borrowed: the relay outlives its sessions */
	struct mworker *w;         /* borrowed */
	pthread_mutex_t lock;      /* sides, figures, callback */
	struct mstream *st[MEDIA_MAX_STREAMS];  /* owned (mem) */
	unsigned stc;
	media_timeout_h *th;       /* NULL once the handle is gone */
	void *arg;                 /* borrowed */
	struct msess *next, *prev; /* the worker's list (worker thread only) */
	bool linked;
};

struct media_session {
	struct msess *ms;          /* owned reference, handed to the worker at the end */
};

struct mworker {
	struct media *m;           /* borrowed */
	unsigned id;
	struct loop *loop;         /* owned */
	pthread_t thread;
	bool started;
	struct tmr tick;
	struct msess *sessions;    /* list, worker thread only */
	/* batch buffers: the packet path never allocates */
	struct mmsghdr rx[MW_BATCH];
	struct iovec iov[MW_BATCH];
	struct sa src[MW_BATCH];
	uint8_t ctl[MW_BATCH][64];
	struct mmsghdr tx[2][MW_BATCH];
	struct sa dst[2];
	uint8_t buf[MW_BATCH][MW_BUFSZ];
	atomic_uint_fast64_t packets, bytes, dropped, timeouts;
};

struct media {
	struct media_prm prm;
	struct sa bind4, bind6, adv4, adv6;
	bool has4, has6;
	struct mports ports;
	struct mworker **w;        /* owned, prm.workers */
	unsigned wc;
	atomic_uint next_worker;
	atomic_uint_fast64_t sessions, streams;
};

/* worker.c */
int mworker_start(struct mworker **wp, struct media *m, unsigned id);
void mworker_stop(struct mworker *w);
void mworker_free(struct mworker *w);
/* on the worker thread (loop_call targets) */
void mworker_link(void *arg);        /* arg: msess with a reference */
void mworker_register(void *arg);    /* arg: mstream, session referenced */
void mworker_close(void *arg);       /* arg: msess, the handle's reference */
/* relay.c: figures of a side, lock held */
void mside_stats(const struct mstream *st, int side, uint64_t now_ms,
		 struct media_side_stats *o);
double mstream_clock(const struct mstream *st, uint8_t pt);

#endif /* TL_MEDIA_INT_H */
