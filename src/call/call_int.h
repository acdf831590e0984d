/* SPDX-License-Identifier: GPL-2.0-or-later */
/** @file call_int.h  Internals shared by the files of src/call: the UA
 *                    core, the call table, calls and their legs. */
#ifndef TL_CALL_INT_H
#define TL_CALL_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include "call.h"
#include "route.h"
#include "store.h"

enum {
	CTAB_BUCKETS = 16384,     /* power of two */
	CTAB_STRIPES = 64,
	LEG_ID_MAX = 128,         /* Call-ID and tags we keep (longer ones are refused) */
	LEG_URI_MAX = 256,        /* From/To name-addrs, targets, contacts */
	CALL_NUM_MAX = 64,        /* numbers and users kept for the CDR */
	CALL_HDRS_MAX = 1024,     /* header lines passed through on the B INVITE */
	RTX_T1 = 500, RTX_T2 = 4000,  /* 2xx retransmission (RFC 3261 §13.3.1.4) */
};

struct hold;
struct call;
struct tctx;

/** The hash table of legs, keyed by Call-ID (tags compared). */
struct ctab {
	pthread_mutex_t lock[CTAB_STRIPES];
	struct leg *bucket[CTAB_BUCKETS];
};

struct uas {
	struct uas_prm prm;
	struct tp *tp;                /* borrowed */
	struct txn_stack *txn;        /* borrowed */
	atomic_bool draining;
	atomic_uint busy;             /* uas_recv calls under way */

	pthread_mutex_t lock;         /* guards holds, nholds */
	pthread_cond_t cond;          /* signalled when nholds drops */
	struct hold *holds;           /* INVITEs waiting for reject_delay */
	unsigned nholds;              /* holds not yet answered (linked or finishing) */

	struct ctab *tab;             /* owned */
	struct call *calls;           /* every call not yet ended (under lock) */
	struct tctx *tctxs;           /* transaction contexts alive (under lock) */

	atomic_uint_fast64_t rx_req, rx_resp, bad_req, bad_resp;
	atomic_uint_fast64_t stateless, resp_unmatched, txn_errors;
	atomic_uint_fast64_t calls_active, calls_started, calls_answered, calls_failed;
	atomic_uint_fast64_t cdr_submitted, cdr_lost;
	atomic_uint_fast64_t next_id;   /* the last call id given (live.c) */
	struct call_stats *stats;       /* owned: traffic by carrier/customer (stats.c) */
	struct hist hist[UAS_HIST_N];
};

/** The strings of a leg, in leg->str[] order. */
enum leg_str { LS_CALLID, LS_LTAG, LS_RTAG, LS_LURI, LS_RURI, LS_TARGET, LS_CONTACT, LEG_NSTR };

/**
 * One side of a call: a dialog (RFC 3261 §12) as we hold it. Its strings
 * sit back to back in one block sized to them (sbuf), rebuilt by leg_set()
 * when one changes (a few times per call): never NULL, "" until set.
 */
struct leg {
	struct leg *hnext;            /* bucket chain (under the stripe lock) */
	bool linked;
	bool is_a;                    /* towards the caller */
	bool acked;                   /* we ACKed a 2xx (ack_cseq) on this leg */
	struct call *call;            /* borrowed: the call owns its legs */
	union {
		struct {
			const char *callid;
			const char *ltag;     /* our tag */
			const char *rtag;     /* the peer's tag ("" until known) */
			const char *luri;     /* our name-addr (From of our requests), no tag */
			const char *ruri;     /* the peer's name-addr (To of our requests) */
			const char *target;   /* remote target: Request-URI of our requests */
			const char *contact;  /* our Contact on this leg */
		};
		const char *str[LEG_NSTR];
	};
	char *sbuf;                   /* owned: the strings above */
	uint32_t lcseq;               /* last CSeq we sent */
	uint32_t rcseq;               /* last CSeq the peer sent */
	enum tp_proto proto;
	struct sa dst;                /* where requests to the peer go */
	struct tp_conn *conn;         /* owned reference (TCP A leg), or NULL */
	struct sa local;              /* our address (Via sent-by) */
	uint32_t ack_cseq;            /* CSeq of the last 2xx we ACKed: its ACK is
	                                 built again, the same, for a retransmitted
	                                 2xx (relay_resend_ack) */
	int maxfwd;                   /* Max-Forwards of our requests; 0 = 70 */
};

/** One try of the B leg. Its strings live in the block of the call's
 *  attempts array, after the last attempt (sized to them). */
struct attempt {
	uint32_t carrier_id;          /* 0: delivery to a customer */
	uint32_t gw_id;
	int64_t rate, fee;            /* carrier terms (termination) */
	uint16_t inc_first, inc_next;
	const char *user;             /* the number (Request-URI and To user) */
	const char *host;             /* host[:port] of the destination ([v6]) */
	uint16_t hostlen;             /* host without the port: the To's host */
	enum tp_proto proto;
	bool resolved;                /* dst is a numeric address */
	uint16_t code;                /* final status, 0 = none (timeout, cancelled) */
	int64_t start_ms, ring_ms, answer_ms, end_ms;  /* wall clock */
};

enum call_state {
	CS_SETUP = 0,                 /* B INVITE on its way, nothing final towards A */
	CS_ANSWERED,                  /* 200 relayed to A */
	CS_ENDED,                     /* CDR written; maybe BYE/CANCEL still running */
};

/** The pending 2xx we retransmit until its ACK (§13.3.1.4): allocated
 *  for that while only (one block with the copy of the 2xx). */
struct rtx {
	struct txn_srv *st;           /* owned reference */
	struct leg *leg;              /* borrowed: the leg whose ACK stops it */
	uint32_t cseq;
	uint32_t ival;
	uint64_t deadline;
	struct tmr tmr;
	size_t len;
	char buf[];                   /* copy of the 2xx */
};

/**
 * A call: refcounted (mem_ref/mem_deref). Its state, timers and B-leg
 * transactions belong to the worker whose loop received the INVITE;
 * messages read by another worker hop there (loop_call) first. The
 * table holds one reference until the call ends.
 */
struct call {
	struct call *next, *prev;     /* uas->calls (under uas->lock) */
	bool listed;
	uint64_t id;                  /* operators' handle (uas_calls) */
	struct uas *u;                /* borrowed */
	struct loop *loop;            /* borrowed: the owner worker */
	struct route_snap *snap;      /* owned reference */
	enum call_state state;
	enum store_dir dir;
	struct leg a, b;

	struct txn_srv *ast;          /* owned: the A INVITE, until its final */
	struct txn_cli *bct;          /* owned: the current B INVITE */
	struct tctx *bx;              /* borrowed: its handler context (owns itself
				         until tctx_done) */
	unsigned bye_pending;         /* BYEs we sent and wait for */
	bool cancelled;               /* CANCEL from A */
	bool b_early;                 /* B sent a provisional with a tag */

	uint32_t customer_id, trunk_id, carrier_in;  /* carrier_in: origination source */
	bool counted_customer;        /* customer channel held */
	uint32_t counted_carrier;     /* carrier whose channel is held, 0 = none */
	bool counted_trunk;           /* trunk channel held (termination) */
	uint32_t counted_carrier_in;  /* origination: source carrier's channel held, 0 = none */

	/* What the caller sent that the B INVITEs and the CDR need: views
	 * into strs, one block sized to them, built once the call is set up
	 * ("" until then). */
	const char *caller;
	const char *dialled;
	const char *e164;             /* "+…" */
	const char *a_from_dname;
	const char *hdrs;             /* header lines copied to B INVITEs */
	const char *body;             /* A's SDP, body_len bytes */
	size_t body_len;
	const char *ctype;            /* of body, "" when none */
	char *strs;                   /* owned: the block */
	int maxfwd;

	/* price side (termination) */
	bool has_price;
	int64_t price_rate, price_fee;
	uint16_t price_inc_first, price_inc_next;

	struct attempt *att;          /* owned array, with the attempts' strings */
	unsigned natt, cur;           /* attempts, current index */
	uint16_t last_code;           /* last final response a callee sent */

	int64_t setup_ms, ring_ms, answer_ms, end_ms;   /* wall clock */
	enum store_side side;
	uint16_t a_code;              /* final towards A */
	const char *cause;            /* why it ended: a static text (call_end) */

	struct rtx *rtx;              /* owned: a 2xx waiting for its ACK, or NULL */
	struct tmr t_phase;           /* before the answer: no answer; after it:
				         the maximum duration */
	struct tmr t_se;              /* session timer (RFC 4028) */
	uint32_t se_s;                /* negotiated session interval, 0 = none */
	struct call_media *media;     /* owned: relayed media (media.c), NULL = SDP untouched */
};

/* b2bua.c */
int ctab_alloc(struct ctab **tp);
void ctab_free(struct ctab *t);
void ctab_link(struct ctab *t, struct leg *leg);
void ctab_unlink(struct ctab *t, struct leg *leg);
/** A reference to the call whose leg has Call-ID callid and local tag
 *  ltag (in-dialog requests, 2xx retransmissions), or NULL. */
struct call *ctab_find_local(struct ctab *t, const struct pl *callid, const struct pl *ltag,
			     struct leg **legp);
/** A reference to the call whose A leg has Call-ID callid and remote
 *  tag rtag (CANCEL of the INVITE), or NULL. */
struct call *ctab_find_a(struct ctab *t, const struct pl *callid, const struct pl *rtag);

/** 403 Unknown Source, held for reject_delay when set (uas.c). */
void uas_refuse_unknown(struct uas *u, struct txn_srv *st, const struct sip_msg *msg);
void call_new_invite(struct uas *u, struct txn_srv *st, const struct sip_msg *msg,
		     const struct tp_pkt *pkt);
/** A message for an existing call, on the call's loop. st: its server
 *  transaction (requests other than ACK), else NULL. */
void call_dispatch(struct call *c, struct leg *leg, struct txn_srv *st,
		   const struct sip_msg *msg);
void call_cancel(struct call *c);
/** End the call at once (drain): BYE/CANCEL, CDR. On the call's loop.
 *  cause: a string literal (kept, not copied). */
void call_end(struct call *c, enum store_side side, const char *cause, uint16_t a_code);
void call_drain_worker(struct uas *u);
int64_t wall_ms(void);

/* leg.c: dialog mapping and message building (no I/O) */
/** A leg with every string "" and no block. */
void leg_init(struct leg *leg);
/** Free the leg's string block (the strings become ""). */
void leg_free(struct leg *leg);
/**
 * Set the leg's strings v[i] whose .p is not NULL (a view may point into
 * the leg's current strings), keep the others: one new block sized to
 * them. 0 or -ENOMEM (the leg unchanged).
 */
int leg_set(struct leg *leg, const struct pl v[LEG_NSTR]);
/** Set one string of the leg (leg_set). */
int leg_set1(struct leg *leg, enum leg_str i, const struct pl *v);
/** "dname" <uri> of an address without its tag and parameters. */
int leg_name_addr(const struct sip_addr *a, bool keep_dname, char *buf, size_t n);
/** Header lines of msg whose id is in ids (or name in names), copied as
 *  on the wire, each ending in CRLF, into mb. */
void leg_copy_hdrs(struct sip_mb *mb, const struct sip_msg *msg, const enum sip_hdrid *ids,
		   size_t nids);
/** Build a request on leg (method, new branch, CSeq: cseq), body may be
 *  NULL. Via and Contact from the leg. */
int leg_request(struct sip_mb *mb, const struct leg *leg, enum sip_method meth,
		uint32_t cseq, const char *extra, const char *ctype, const struct pl *body);
/** leg_request with the given Via branch. */
int leg_request_branch(struct sip_mb *mb, const struct leg *leg, enum sip_method meth,
		       uint32_t cseq, const char *branch, const char *extra, const char *ctype,
		       const struct pl *body);
/** sip:user@host[:port][;transport=tcp] */
int leg_uri_build(char *buf, size_t n, const char *user, const struct sip_uri *at,
		  enum tp_proto proto);
/** Numeric destination of a URI (host, port, transport); -EADDRNOTAVAIL
 *  for a host name. */
int leg_uri_dst(const struct sip_uri *uri, struct sa *dst, enum tp_proto *proto);
/** Q.850 cause for a SIP final status (RFC 3398 §7.2.4.1, reversed). */
int leg_q850(uint16_t scode);

/* relay.c */
int relay_attempt_next(struct call *c);
void relay_in_dialog(struct call *c, struct leg *from, struct txn_srv *st,
		     const struct sip_msg *msg);
int relay_send_bye(struct call *c, struct leg *leg, const char *reason_hdr);
void relay_rtx_start(struct call *c, struct leg *leg, struct txn_srv *st, uint32_t cseq,
		     const char *buf, size_t len);
void relay_rtx_stop(struct call *c);
/** A 2xx with CSeq cseq came again on leg: send our ACK of it again
 *  (§13.2.2.4), the same bytes. */
void relay_resend_ack(struct call *c, struct leg *leg, uint32_t cseq);
/** Reply to the A INVITE (the call's ast) with our tag and Contact. */
int relay_reply_a(struct call *c, uint16_t scode, const char *reason, const char *extra,
		  const char *ctype, const struct pl *body);
void relay_se_arm(struct call *c, const struct sip_msg *msg);
/** The call ends: stop listening to an answered B INVITE. */
void relay_release_b(struct call *c);
/** Free the contexts of transactions that will never report (after
 *  txn_stack_free), and with them the calls they hold. */
void relay_free_all(struct uas *u);
/** On a worker: abandon the transactions of its calls (end of drain). */
void relay_flush_worker(struct uas *u);

/* cdr.c */
void cdr_submit(struct call *c);
/** The CDR of a call refused (scode) before it was set up, its caller
 *  known: c->cause (or the status's phrase) is the reason; the numbers
 *  as the caller sent them and as normalised ("" when not yet). */
void cdr_refused(struct call *c, const struct pl *callid, const char *caller,
		 const char *dialled, const char *e164, uint16_t scode);

/* stats.c */
struct call_stats;
int call_stats_alloc(struct call_stats **sp);
void call_stats_free(struct call_stats *s);
/** A call's record, before it goes to the writer: windows, counters,
 *  MOS and jitter histograms. */
void call_stats_cdr(struct uas *u, const struct store_cdr *r);
/** A request refused before its caller was known (no CDR): the counter
 *  by direction and code only. */
void call_stats_refused(struct uas *u, bool outbound, uint16_t code);
/** The histograms' bounds (uas_alloc). */
void call_hist_init(struct uas *u);

/* limits.c: channel and CPS limits, taken atomically, released once */
enum limits_of { LIMITS_CUSTOMER, LIMITS_TRUNK, LIMITS_CARRIER };
/** The live counters of a customer, trunk or carrier id, or NULL. */
struct route_live *limits_live(struct uas *u, enum limits_of of, uint32_t id);
/** Termination, before routing: the trunk's channel, the customer's
 *  channel and CPS slot. 0, or -EBUSY after answering st (503 with a
 *  Reason naming the limit, Retry-After) with nothing held. */
int limits_take_term(struct call *c, struct txn_srv *st);
/** Origination: the source carrier's channel and CPS slot, the
 *  customer's channel. 0 or -EBUSY as limits_take_term. */
int limits_take_orig(struct call *c, struct txn_srv *st);
/** A termination attempt towards at's carrier: its channel and CPS slot
 *  (c->counted_carrier). false: the carrier filled up since routing,
 *  skip the attempt. */
bool limits_take_attempt(struct call *c, struct attempt *at);
/** Give back the attempt's carrier channel (c->counted_carrier). */
void limits_release_carrier(struct call *c);
/** Give back everything the call holds. Idempotent. */
void limits_release(struct call *c);

/* media.c: the call's media through the relay (uas_prm.media) */
struct call_media;
/**
 * The SDP body (Content-Type ctype) that leg from sent, made ready for
 * the other leg: untouched unless the call is relayed (the trunk's or
 * carrier's media_mode, decided at the caller's first offer), else the
 * relay's streams follow it (far end, new m= lines, hold) and *body
 * becomes the rewritten SDP (a per-thread buffer, valid until the next
 * call). answer: it answers the other leg's offer. Any body (none
 * included) re-arms the RTP timeouts once answered.
 */
void media_sdp(struct call *c, const struct leg *from, const struct pl *ctype, struct pl *body,
	       bool answer);
/** The relay's figures per leg into the CDR (nothing when not relayed). */
void media_cdr(const struct call *c, struct store_cdr *r);
/** Give the ports back (call end, destroy). Idempotent. */
void media_call_free(struct call *c);

/* digest.c: RFC 8760 algorithms */
/** The trunk's HA1 for alg, or NULL when it has none of that length. */
const char *digest_trunk_ha1(const struct route_trunk *tr, enum sip_digest_alg alg);
/** Proxy-Authenticate lines for a 407: MD5 and, when prm.digest asks
 *  for it and some trunk has a SHA-256 HA1, SHA-256 in the configured
 *  order. Length or a negative errno. */
int digest_challenge(struct uas *u, const struct route_snap *snap, const struct pl *realm,
		     bool stale, const struct sa *src, char *buf, size_t size);

#endif /* TL_CALL_INT_H */
