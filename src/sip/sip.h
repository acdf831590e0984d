/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file sip.h  SIP messages: an in-place parser (RFC 3261 §7, §25), typed
 *              header access, URIs (sip_uri.h), SDP (sdp.h), digest
 *              headers and a message builder.
 *
 * A parsed message is made only of views (struct pl) into the buffer it was
 * parsed from; the parser never copies, never allocates and never writes
 * into that buffer. The buffer must outlive the struct sip_msg.
 */
#ifndef TL_SIP_H
#define TL_SIP_H

#include "core.h"
#include "sip_uri.h"
#include "sdp.h"

/* ------------------------------------------------------------------ */
/* Limits against abuse                                                  */
/* ------------------------------------------------------------------ */

enum {
	SIP_HDR_CAP = 256,          /* compile-time cap of headers per message */
	SIP_MSG_SIZE_DEFAULT = 65535,
	SIP_HDRS_DEFAULT = 128,
	SIP_HDR_LEN_DEFAULT = 8192, /* one header line incl. folding */
	SIP_NEST_DEFAULT = 16,      /* <>, quotes and comment nesting depth */
};

struct sip_limits {
	size_t max_msg_size;    /* whole message incl. body */
	unsigned max_headers;   /* <= SIP_HDR_CAP */
	size_t max_hdr_len;     /* one header's name + value */
	unsigned max_nesting;   /* nesting depth inside a header value */
};

/** Safe defaults (the values of the enum above). */
extern const struct sip_limits sip_limits_default;

/* ------------------------------------------------------------------ */
/* Methods and header ids                                                */
/* ------------------------------------------------------------------ */

enum sip_method {
	SIP_METHOD_OTHER = 0,
	SIP_INVITE, SIP_ACK, SIP_BYE, SIP_CANCEL, SIP_OPTIONS, SIP_REGISTER,
	SIP_PRACK, SIP_SUBSCRIBE, SIP_NOTIFY, SIP_PUBLISH, SIP_INFO,
	SIP_REFER, SIP_MESSAGE, SIP_UPDATE,
};

/** The method for a token (case-sensitive, RFC 3261 §7.1). */
enum sip_method sip_method_id(const struct pl *name);
const char *sip_method_name(enum sip_method m);

enum sip_hdrid {
	SIP_HDR_OTHER = 0,
	SIP_HDR_VIA,  /* compact: v */
	SIP_HDR_FROM,  /* compact: f */
	SIP_HDR_TO,  /* compact: t */
	SIP_HDR_CALL_ID,  /* compact: i */
	SIP_HDR_CSEQ,
	SIP_HDR_MAX_FORWARDS,
	SIP_HDR_CONTACT,  /* compact: m */
	SIP_HDR_ROUTE,
	SIP_HDR_RECORD_ROUTE,
	SIP_HDR_EXPIRES,
	SIP_HDR_CONTENT_TYPE,  /* compact: c */
	SIP_HDR_CONTENT_LENGTH,  /* compact: l */
	SIP_HDR_CONTENT_ENCODING,  /* compact: e */
	SIP_HDR_AUTHORIZATION,
	SIP_HDR_PROXY_AUTHORIZATION,
	SIP_HDR_WWW_AUTHENTICATE,
	SIP_HDR_PROXY_AUTHENTICATE,
	SIP_HDR_SUPPORTED,  /* compact: k */
	SIP_HDR_REQUIRE,
	SIP_HDR_PROXY_REQUIRE,
	SIP_HDR_UNSUPPORTED,
	SIP_HDR_ALLOW,
	SIP_HDR_ACCEPT,
	SIP_HDR_SESSION_EXPIRES,  /* compact: x */
	SIP_HDR_MIN_SE,
	SIP_HDR_P_ASSERTED_IDENTITY,
	SIP_HDR_P_PREFERRED_IDENTITY,
	SIP_HDR_PRIVACY,
	SIP_HDR_DIVERSION,
	SIP_HDR_IDENTITY,  /* compact: y */
	SIP_HDR_USER_AGENT,
	SIP_HDR_SERVER,
	SIP_HDR_REASON,
	SIP_HDR_RETRY_AFTER,
	SIP_HDR_EVENT,  /* compact: o */
	SIP_HDR_SUBJECT,  /* compact: s */
	SIP_HDR_REFER_TO,  /* compact: r */
	SIP_HDR_REFERRED_BY,  /* compact: b */
	SIP_HDR_RSEQ,
	SIP_HDR_RACK,
	SIP_HDR_DATE,
	SIP_HDR_ALLOW_EVENTS,  /* compact: u */
	SIP_HDR_ACCEPT_CONTACT,  /* compact: a */
	SIP_HDR_REJECT_CONTACT,  /* compact: j */
	SIP_HDR_REQUEST_DISPOSITION,  /* compact: d */
	SIP_HDR_IDENTITY_INFO,  /* compact: n */
	SIP_HDR_MIN_EXPIRES,
	SIP_HDR_WARNING,
	SIP_HDR_CONTENT_DISPOSITION,
	SIP_HDR_AUTHENTICATION_INFO,
	SIP_HDR_PATH,
	SIP_HDR_SERVICE_ROUTE,
	SIP_HDR_HISTORY_INFO,
	SIP_HDR_ACCEPT_ENCODING,
	SIP_HDR_ACCEPT_LANGUAGE,
	SIP_HDR_CONTENT_LANGUAGE,
	SIP_HDR_CALL_INFO,
	SIP_HDR_ALERT_INFO,
	SIP_HDR_ERROR_INFO,
	SIP_HDR_REPLY_TO,
	SIP_HDR_IN_REPLY_TO,
	SIP_HDR_ORGANIZATION,
	SIP_HDR_PRIORITY,
	SIP_HDR_MIME_VERSION,
	SIP_HDR_TIMESTAMP,
	SIP_HDR_SUBSCRIPTION_STATE,
	SIP_HDR_REPLACES,
	SIP_HDR_TARGET_DIALOG,
	SIP_HDR__COUNT
};

/** Header id for a name, full or compact form, case-insensitive. */
enum sip_hdrid sip_hdr_id(const struct pl *name);
/** Canonical full name of a header id ("Call-ID"), NULL for OTHER. */
const char *sip_hdr_name(enum sip_hdrid id);

/* ------------------------------------------------------------------ */
/* The parsed message                                                    */
/* ------------------------------------------------------------------ */

enum { SIP_HDR_NONE = 0xffff };

struct sip_hdr {
	struct pl name;       /* as on the wire (may be compact: "v") */
	struct pl val;        /* value, LWS trimmed; folding stays inside */
	struct pl line;       /* whole header: name .. end of value, no CRLF */
	enum sip_hdrid id;
	uint16_t next;        /* index of next header with the same id, or SIP_HDR_NONE */
};

struct sip_via {
	struct pl sent_proto; /* "SIP/2.0/UDP" */
	struct pl transport;  /* "UDP", "TCP", "TLS", "SCTP", "WS", ... */
	struct pl host;       /* without brackets for IPv6 */
	uint16_t port;        /* 0 when absent */
	bool host_v6;
	struct pl params;     /* ";branch=...;rport" incl. leading ';' */
	struct pl branch;     /* absent when p == NULL */
	struct pl received;
	struct pl rport;      /* present & empty for a bare ";rport" */
	struct pl maddr;
	struct pl ttl;
	struct pl val;        /* this via-parm as a whole */
};

/** name-addr / addr-spec with parameters (From, To, Contact, Route, ...). */
struct sip_addr {
	struct pl dname;      /* display name, quotes kept off; absent if none */
	struct pl auri;       /* the URI text (without <>) */
	struct sip_uri uri;   /* auri decoded */
	struct pl params;     /* header params after the URI incl. leading ';' */
	struct pl tag;        /* ";tag=" value, absent if none */
	struct pl val;        /* the whole element */
};

struct sip_cseq {
	uint32_t num;
	struct pl method;
	enum sip_method meth;
};

struct sip_msg {
	const char *buf;      /* borrowed: the message's first byte */
	size_t len;           /* message length incl. body (<= buffer length) */

	bool req;             /* request (true) or response */
	struct pl method;     /* request: method token */
	enum sip_method meth; /* request: method id */
	struct pl ruri;       /* request: Request-URI text */
	struct sip_uri uri;   /* request: ruri decoded (scheme only if not sip/sips/tel) */
	struct pl ver;        /* "SIP/2.0" */
	uint16_t scode;       /* response: status code */
	struct pl reason;     /* response: reason phrase (may be empty) */

	/* Keys parsed eagerly: transaction and dialog matching needs them. */
	struct sip_via via;   /* topmost Via value */
	struct sip_addr from;
	struct sip_addr to;
	struct pl callid;
	struct sip_cseq cseq;
	int32_t maxfwd;       /* -1 when absent */
	int64_t clen;         /* Content-Length, -1 when absent */
	struct pl ctype;      /* Content-Type value (absent if none) */
	struct pl body;       /* message body (empty when none) */

	unsigned nest;                          /* lim->max_nesting, for the iterators */
	unsigned hdrc;                          /* headers used in hdrv */
	uint16_t first[SIP_HDR__COUNT];         /* first header index per id */
	uint16_t last[SIP_HDR__COUNT];          /* last header index per id */
	struct sip_hdr hdrv[SIP_HDR_CAP];       /* headers in wire order */
};

/** Why a message could not be parsed: a 4xx for a request. */
struct sip_perr {
	uint16_t status;      /* 400, 413 (too large), 416 (URI scheme), 505 (version) ... */
	const char *reason;   /* static string naming the fault: "Bad CSeq" */
	bool req;             /* the start line said "request" */
	struct sip_msg *msg;  /* borrowed; whatever keys were parsed (for the reply) */
};

/**
 * Parse one SIP message in place from buf[0..len). For datagrams len is
 * the datagram size; for streams pass the length found by sip_frame().
 * Content-Length larger than what is left is an error; for datagrams a
 * missing Content-Length means "to the end".
 *
 * Returns 0, or -EBADMSG (err filled: for a request, answer err->status
 * with err->reason, using whatever keys msg holds), -EMSGSIZE (limits).
 * msg is usable for building a 4xx only if msg->callid, msg->via, cseq,
 * from and to were parsed (sip_msg_can_reply()).
 */
int sip_msg_parse(struct sip_msg *msg, const char *buf, size_t len,
		  const struct sip_limits *lim, struct sip_perr *err);

/** Enough of a request was parsed to build a response to it. */
bool sip_msg_can_reply(const struct sip_msg *msg);

/**
 * Stream framing (TCP/TLS): find the end of the first message in
 * buf[0..len) by its headers' end and Content-Length.
 * Returns 0 and *msglen when complete, -EAGAIN when more bytes are needed,
 * -EBADMSG when the bytes cannot be a SIP message (no or bad
 * Content-Length, header section over lim->max_msg_size).
 * Leading CRLFs (keep-alives) are not skipped here: the caller does that.
 */
int sip_frame(const char *buf, size_t len, const struct sip_limits *lim, size_t *msglen);

/** First header with this id, or NULL. */
const struct sip_hdr *sip_msg_hdr(const struct sip_msg *msg, enum sip_hdrid id);
/** Next header with the same id, or NULL. */
const struct sip_hdr *sip_msg_hdr_next(const struct sip_msg *msg, const struct sip_hdr *h);
/** First header with this name (for SIP_HDR_OTHER names), case-insensitive. */
const struct sip_hdr *sip_msg_hdr_by_name(const struct sip_msg *msg, const struct pl *name);
/** Count of header values with this id (comma lists counted per element). */
unsigned sip_msg_hdr_count(const struct sip_msg *msg, enum sip_hdrid id);

/**
 * Iterate over the comma-separated elements of all headers with one id,
 * in wire order (Via, Route, Record-Route, Contact, Supported, Allow, ...).
 * Commas inside quotes and <...> do not split.
 *   struct sip_hdr_iter it; struct pl v;
 *   sip_hdr_iter_init(&it, msg, SIP_HDR_VIA);
 *   while (sip_hdr_iter_next(&it, &v)) ...
 */
struct sip_hdr_iter {
	const struct sip_msg *msg;
	uint16_t hdr;         /* current header index */
	size_t off;           /* offset in its value */
};
void sip_hdr_iter_init(struct sip_hdr_iter *it, const struct sip_msg *msg, enum sip_hdrid id);
bool sip_hdr_iter_next(struct sip_hdr_iter *it, struct pl *val);

/* ------------------------------------------------------------------ */
/* Typed header decoders: parse one value lazily. 0 or -EBADMSG.         */
/* ------------------------------------------------------------------ */

int sip_via_decode(struct sip_via *via, const struct pl *val);
int sip_addr_decode(struct sip_addr *addr, const struct pl *val);
int sip_cseq_decode(struct sip_cseq *cseq, const struct pl *val);

struct sip_contact {
	bool star;            /* "Contact: *" */
	struct sip_addr addr; /* when !star */
	int64_t expires;      /* ;expires= or -1 */
	uint32_t q;           /* ;q= in thousandths (1000 = 1.0), 1000 when absent */
};
int sip_contact_decode(struct sip_contact *c, const struct pl *val);

/** Authorization / Proxy-Authorization / WWW- and Proxy-Authenticate. */
struct sip_auth {
	struct pl scheme;     /* "Digest" */
	struct pl username, realm, nonce, uri, response, algorithm;
	struct pl cnonce, opaque, qop, nc, stale, domain;
	bool userhash;
};
int sip_auth_decode(struct sip_auth *a, const struct pl *val);

/** Session-Expires (RFC 4028): delta and refresher ("uac"/"uas"/absent). */
struct sip_sess_exp {
	uint32_t delta;
	struct pl refresher;
};
int sip_sess_exp_decode(struct sip_sess_exp *se, const struct pl *val);

/** Reason (RFC 3326): "SIP ;cause=200 ;text=\"Call completed elsewhere\"". */
struct sip_reason {
	struct pl protocol;
	uint32_t cause;       /* 0 when absent */
	struct pl text;       /* without quotes */
};
int sip_reason_decode(struct sip_reason *r, const struct pl *val);

/** Any header value with a leading number: Expires, Min-SE, Max-Forwards. */
int sip_delta_decode(uint32_t *v, const struct pl *val);

/**
 * True when a comma/semicolon token list header (Supported, Require,
 * Allow, Privacy, ...) of this id contains token (case-insensitive).
 */
bool sip_msg_has_token(const struct sip_msg *msg, enum sip_hdrid id, const struct pl *token);

/**
 * Look up a parameter in a ";a=b;c;d=\"q\"" list (params as kept in
 * struct sip_via / sip_addr / sip_uri). val gets the value without quotes,
 * or an empty present view for a valueless parameter. Names compare
 * case-insensitively; LWS around ';' and '=' is allowed (RFC 3261 §25.1).
 * 0, -ENOENT, or -EBADMSG when the list is malformed before a match.
 */
int sip_param_get(const struct pl *params, const char *name, struct pl *val);

/* ------------------------------------------------------------------ */
/* Message builder (build.c)                                             */
/* ------------------------------------------------------------------ */

/**
 * A growable output buffer. Functions append and set err on the first
 * failure (then do nothing), so a builder can chain calls and check once.
 * buf is owned (malloc); sip_mb_reset keeps the allocation.
 */
struct sip_mb {
	char *buf;
	size_t len, cap;
	int err;              /* first error, sticky */
};

void sip_mb_init(struct sip_mb *mb);
void sip_mb_reset(struct sip_mb *mb);
void sip_mb_free(struct sip_mb *mb);
void sip_mb_put(struct sip_mb *mb, const void *p, size_t n);
void sip_mb_puts(struct sip_mb *mb, const char *s);
void sip_mb_putpl(struct sip_mb *mb, const struct pl *pl);
void sip_mb_printf(struct sip_mb *mb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** A fresh branch: "z9hG4bK" + 22 random token chars. out holds 30 bytes. */
enum { SIP_BRANCH_LEN = 29, SIP_TAG_LEN = 16, SIP_CALLID_LEN = 32 };
int sip_branch_new(char out[SIP_BRANCH_LEN + 1]);
int sip_tag_new(char out[SIP_TAG_LEN + 1]);
int sip_callid_new(char out[SIP_CALLID_LEN + 1]);

/**
 * Build a response to req per RFC 3261 §8.2.6: Via headers (all, in
 * order, copied as on the wire), From, To (with ";tag=" totag added when
 * To has none and scode > 100; totag NULL adds none), Call-ID, CSeq, then
 * extra_hdrs (NUL-terminated, each line ending in CRLF; may be NULL),
 * Content-Type when body is non-empty (ctype then required), Content-Length
 * (always), body. reason NULL means the standard phrase for scode.
 * Appends to mb (call sip_mb_reset first for a fresh message).
 * 0, -EINVAL (not a request, scode outside 100..699, a key header
 * missing, body without ctype) or mb->err (-ENOMEM).
 */
int sip_reply_build(struct sip_mb *mb, const struct sip_msg *req, uint16_t scode,
		    const char *reason, const char *totag, const char *extra_hdrs,
		    const char *ctype, const struct pl *body);

/** All inputs of a response; sip_reply_build() is the short form. */
struct sip_reply_prm {
	uint16_t scode;
	const char *reason;       /* NULL: sip_reason_phrase(scode) */
	const char *totag;        /* added to To when it has none and scode > 100 */
	const char *extra_hdrs;   /* CRLF-terminated lines, may be NULL */
	const char *ctype;        /* required with a non-empty body */
	const struct pl *body;    /* may be NULL */
	const struct sa *src;     /* the request's source: when set, the top Via
	                             gets ";received=" (sent-by differs, or rport
	                             asked) and a bare ";rport" its value
	                             (RFC 3261 §18.2.1, RFC 3581 §4) */
	bool record_route;        /* copy Record-Route headers (§12.1.1: 2xx and
	                             1xx that create a dialog) before extra_hdrs */
};
int sip_reply_build_prm(struct sip_mb *mb, const struct sip_msg *req,
			const struct sip_reply_prm *prm);

/** Standard reason phrase for a status code ("Unknown" if none). */
const char *sip_reason_phrase(uint16_t scode);

/** Inputs of a new request (B legs, CANCEL, ACK, in-dialog requests). */
struct sip_req_prm {
	enum sip_method meth;
	const char *method;   /* used when meth == SIP_METHOD_OTHER */
	struct pl ruri;
	struct pl via_transport;  /* "UDP", "TCP" */
	struct pl via_host;       /* our sent-by host (IPv6 without brackets) */
	uint16_t via_port;
	struct pl branch;         /* with magic cookie */
	bool via_rport;           /* add ";rport" */
	struct pl from;           /* name-addr, without tag */
	struct pl from_tag;
	struct pl to;             /* name-addr, without tag */
	struct pl to_tag;         /* absent outside a dialog */
	struct pl callid;
	uint32_t cseq;
	struct pl contact;        /* absent: no Contact */
	const struct pl *routes;  /* route set, each a name-addr; may be NULL */
	unsigned routec;
	int max_forwards;         /* < 0: 70 */
	const char *extra_hdrs;   /* CRLF-terminated lines, may be NULL */
	const char *ctype;        /* with body */
	struct pl body;
};
/**
 * Build a request (§8.1.1): request line, Via (branch, ";rport" when
 * asked; an IPv6 host gets brackets; transport absent: UDP), Max-Forwards,
 * one Route line per route, From with tag, To with optional tag, Call-ID,
 * CSeq "<n> <METHOD>", Contact, extra headers, Content-Type with a body,
 * Content-Length, body. 0, -EINVAL (a required input missing) or mb->err.
 */
int sip_request_build(struct sip_mb *mb, const struct sip_req_prm *prm);

/**
 * Copy msg into mb with edits, without re-parsing: headers are copied as
 * wire slices (struct sip_hdr.line), each ended by CRLF. REMOVE, REPLACE
 * and REMOVE_ID apply in order (the last one for a header wins); ADD_TOP
 * lines go above all headers and ADD_BOTTOM lines below them, each group
 * in the order given. With a BODY edit every Content-Length is dropped and
 * a new one written after the headers; a message without Content-Length
 * (datagram) gets one too. Comma lists are not split: to drop one value
 * of "Route: <a>, <b>", REPLACE the line. 0, -EINVAL (bad index, RURI on
 * a response) or mb->err.
 */
enum sip_edit_op {
	SIP_EDIT_REMOVE,      /* drop header with index hdr */
	SIP_EDIT_REPLACE,     /* replace header hdr by line text */
	SIP_EDIT_ADD_TOP,     /* add line text before all headers */
	SIP_EDIT_ADD_BOTTOM,  /* add line text after all headers */
	SIP_EDIT_REMOVE_ID,   /* drop all headers with id */
	SIP_EDIT_RURI,        /* new Request-URI (text) */
	SIP_EDIT_BODY,        /* new body (text), Content-Length recomputed */
};
struct sip_edit {
	enum sip_edit_op op;
	uint16_t hdr;          /* header index for REMOVE/REPLACE */
	enum sip_hdrid id;     /* for REMOVE_ID */
	struct pl text;        /* full header line without CRLF, a URI, or a body */
};
int sip_msg_rewrite(struct sip_mb *mb, const struct sip_msg *msg,
		    const struct sip_edit *edits, unsigned editc);


/* ------------------------------------------------------------------ */
/* Digest authentication (auth.c): RFC 3261 §22, RFC 7616, RFC 8760     */
/* ------------------------------------------------------------------ */

enum sip_digest_alg {
	SIP_DIGEST_MD5 = 0,       /* also when "algorithm" is absent */
	SIP_DIGEST_SHA256,
	SIP_DIGEST__COUNT
};
/* Bits for sip_digest_challenge_hdrs(): which challenges to offer. */
enum {
	SIP_DIGEST_OFFER_MD5 = 1u << SIP_DIGEST_MD5,
	SIP_DIGEST_OFFER_SHA256 = 1u << SIP_DIGEST_SHA256,
	SIP_DIGEST_OFFER_ALL = SIP_DIGEST_OFFER_MD5 | SIP_DIGEST_OFFER_SHA256,
};
enum { SIP_DIGEST_HEX_MAX = 64 };  /* hex chars of the longest hash (SHA-256) */

/** Algorithm of an "algorithm" value: absent means MD5. -ENOTSUP for any
 *  other (MD5-sess, SHA-256-sess, SHA-512-256: not offered). */
int sip_digest_alg_parse(const struct pl *name, enum sip_digest_alg *alg);
/** "MD5", "SHA-256". */
const char *sip_digest_alg_name(enum sip_digest_alg alg);
/** Hex length of the algorithm's hashes: 32 or 64. */
size_t sip_digest_hexlen(enum sip_digest_alg alg);

/**
 * HA1 = H(user ":" realm ":" password) as lowercase hex into out (NUL-
 * terminated). This is what the store keeps per credential and algorithm:
 * never the password. 0 or -EINVAL / -ENOMEM (crypto failure).
 */
int sip_digest_ha1(enum sip_digest_alg alg, const struct pl *user, const struct pl *realm,
		   const struct pl *password, char out[SIP_DIGEST_HEX_MAX + 1]);

/**
 * The request-digest a client sends (RFC 7616 §3.4.1): from ha1_hex and
 * cred's nonce, uri, and with qop: nc, cnonce, qop ("auth" only). Used to
 * answer a carrier's challenge and by sip_digest_verify().
 * 0, -EINVAL (missing field, qop other than auth, bad HA1 length).
 */
int sip_digest_response(enum sip_digest_alg alg, const char *ha1_hex,
			const struct sip_auth *cred, const struct pl *method,
			char out[SIP_DIGEST_HEX_MAX + 1]);

/**
 * Nonce service: stateless nonces, HMAC-SHA256 under a random key made at
 * allocation (nonces die with the context), plus a bounded table of the
 * highest nc used per nonce against replays. Thread-safe after alloc.
 */
struct sip_nonce_ctx;

/** Seconds on any clock that never goes back (tests move it). */
typedef uint64_t (sip_nonce_clock_h)(void *arg);

struct sip_nonce_prm {
	uint32_t lifetime;        /* seconds a nonce is good for; 0: 300 */
	uint32_t max_entries;     /* replay table size; 0: 65536 (16 bytes each) */
	sip_nonce_clock_h *clock; /* NULL: time_ms() / 1000 */
	void *clock_arg;          /* borrowed */
};

/** Allocate (mem_zalloc: release with mem_deref). prm may be NULL. */
int sip_nonce_alloc(struct sip_nonce_ctx **ctxp, const struct sip_nonce_prm *prm);

/**
 * One challenge value for WWW-/Proxy-Authenticate into buf (NUL-terminated):
 *   Digest realm="r", nonce="n", algorithm=SHA-256, qop="auth"[, stale=true]
 * The nonce is bound to realm, algorithm and, when src is not NULL, to the
 * source IP address (not the port): sip_digest_verify() must then get the
 * same src. Returns the length, or -EINVAL (realm with '"', '\' or
 * control characters) / -ENOSPC (buf too small; 160 + realm is enough).
 */
int sip_digest_challenge(struct sip_nonce_ctx *ctx, const struct pl *realm,
			 enum sip_digest_alg alg, bool stale, const struct sa *src,
			 char *buf, size_t size);

/**
 * Header lines ready for the extra_hdrs of sip_reply_build(): one line
 * "<hname>: <challenge>\r\n" per algorithm in offer (SIP_DIGEST_OFFER_*),
 * SHA-256 first (RFC 8760 §2.4), NUL-terminated. hname is
 * "Proxy-Authenticate" (407) or "WWW-Authenticate" (401).
 * Returns the length or -EINVAL / -ENOSPC (400 + 2 * realm is enough).
 */
int sip_digest_challenge_hdrs(struct sip_nonce_ctx *ctx, const char *hname,
			      const struct pl *realm, unsigned offer, bool stale,
			      const struct sa *src, char *buf, size_t size);

/** What the request says, for sip_digest_verify(). */
struct sip_digest_req {
	struct pl method;         /* request method, e.g. msg->method */
	struct pl ruri;           /* Request-URI as on the wire (msg->ruri) */
	struct pl realm;          /* our realm: the credential must name it */
	const struct sa *src;     /* as given to the challenge, or NULL */
	bool any_uri;             /* skip the digest uri = Request-URI check
	                             (SIPp signs "sip:<remote_ip>:<port>" unless
	                             run with -auth_uri); nc tracking still
	                             stops replays */
};

/**
 * Check a decoded Authorization / Proxy-Authorization (sip_auth_decode())
 * with the stored HA1 for the credential's algorithm (the caller picks it
 * by cred->username and sip_digest_alg_parse(&cred->algorithm)).
 * Qop "auth" needs nc and cnonce, and each nc must be above the highest
 * one already accepted for that nonce. Without qop (RFC 2069) a nonce is
 * good once, and only for MD5: SHA-256 requires qop (RFC 7616).
 * Returns, with what to answer:
 *   0          accepted
 *   -EACCES    wrong response (wrong password): 403
 *   -ESTALE    right response, nonce expired: new challenge, stale=true
 *   -EALREADY  replayed nc (or no-qop nonce used twice): 403
 *   -EINVAL    malformed, not Digest, realm/uri/algorithm mismatch, qop
 *              not "auth", userhash, or a nonce we did not issue (forged,
 *              from before a restart): new challenge
 *   -EBUSY     replay table full: 503
 * The response is compared in constant time.
 */
int sip_digest_verify(struct sip_nonce_ctx *ctx, const struct sip_auth *cred,
		      const struct sip_digest_req *req, const char *ha1_hex);

#endif /* TL_SIP_H */
