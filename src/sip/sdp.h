/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file sdp.h  SDP (RFC 8866) parser and writer. Part of the sip module's
 *              public interface (via sip.h).
 *
 * The parser keeps every line as a view, so the writer can reproduce the
 * session byte for byte and change only what it is asked to (connection
 * addresses and media ports, for a media relay).
 */
#ifndef TL_SDP_H
#define TL_SDP_H

#include "core.h"

enum {
	SDP_MAX_LINES = 256,
	SDP_MAX_MEDIA = 16,
	SDP_MAX_FMTS = 32,
};

enum sdp_dir { SDP_DIR_NONE = 0, SDP_SENDRECV, SDP_SENDONLY, SDP_RECVONLY, SDP_INACTIVE };

struct sdp_line {
	char type;                 /* 'v', 'o', 's', 'c', 'm', 'a', ... */
	uint8_t eol;               /* bytes of line end after val: 2 CRLF, 1 LF, 0 none */
	struct pl val;             /* after "x=", without CRLF; the line starts at val.p - 2 */
};

struct sdp_conn {
	struct pl nettype;         /* "IN" */
	struct pl addrtype;        /* "IP4" / "IP6" */
	struct pl addr;            /* address, without "/ttl" */
	struct pl ttl;             /* IP4 multicast "/ttl" value, absent if none */
	struct pl num;             /* "/number of addresses", absent if none */
	int line;                  /* index in lines[], -1 when absent */
};

struct sdp_rtpmap {
	struct pl pt, encoding, clock, channels;   /* channels may be absent */
};

struct sdp_crypto {            /* RFC 4568 a=crypto */
	struct pl tag, suite, key_params, session_params;
};

struct sdp_media {
	struct pl type;            /* "audio", "video", ... */
	uint16_t port;
	uint16_t nports;           /* "/2" count, 1 when absent */
	struct pl proto;           /* "RTP/AVP", "RTP/SAVP", ... */
	struct pl fmts[SDP_MAX_FMTS];
	unsigned fmtc;
	struct sdp_conn conn;      /* media-level c=, line -1 when absent */
	enum sdp_dir dir;          /* SDP_DIR_NONE when no attribute */
	bool rtcp_mux;
	int rtcp_port;             /* a=rtcp: port, -1 when absent */
	struct pl rtcp_addrtype;   /* a=rtcp: optional address (RFC 3605), */
	struct pl rtcp_addr;       /*   absent when only a port is given */
	int mline;                 /* index of the m= line in lines[] */
	int first, end;            /* lines[first..end) belong to this media */
};

struct sdp_session {
	struct sdp_line lines[SDP_MAX_LINES];
	unsigned linec;
	struct pl origin_user, sess_id, sess_version, origin_addrtype, origin_addr;
	struct pl name;            /* s= (absent if missing: tolerated) */
	struct sdp_conn conn;      /* session-level c= */
	enum sdp_dir dir;          /* session-level direction attribute */
	struct sdp_media media[SDP_MAX_MEDIA];
	unsigned mediac;
	bool crlf;                 /* input used CRLF line ends (style of added lines) */
	struct pl tail;            /* blank lines after the last line, kept for
	                              exact reproduction (absent if none) */
	unsigned errline;          /* on error: 1-based line number at fault */
	const char *errmsg;        /* on error: static text naming the fault */
};

/**
 * Parse an SDP body (RFC 8866) from buf[0..len) without copying or
 * allocating: every field is a view into buf, which must outlive s.
 * Line ends may be CRLF or LF, the last one may be missing.
 * Returns 0, -EBADMSG (malformed: s->errline and s->errmsg say where and
 * what) or -E2BIG (more than SDP_MAX_LINES lines, SDP_MAX_MEDIA media or
 * SDP_MAX_FMTS formats in one m= line).
 */
int sdp_parse(struct sdp_session *s, const char *buf, size_t len);

/** Attribute lookup in a media (or, with m == NULL, at session level):
 *  value of the n-th "a=name:value" (or present-empty for a flag). */
int sdp_attr(const struct sdp_session *s, const struct sdp_media *m,
	     const char *name, unsigned n, struct pl *val);
int sdp_rtpmap_get(const struct sdp_session *s, const struct sdp_media *m,
		   const struct pl *pt, struct sdp_rtpmap *rm);
/** a=fmtp parameters of payload type pt (the text after "<pt> "). 0 or
 *  -ENOENT. */
int sdp_fmtp_get(const struct sdp_session *s, const struct sdp_media *m,
		 const struct pl *pt, struct pl *params);
/** Decode an a=crypto value (RFC 4568 §9.1). 0 or -EBADMSG. */
int sdp_crypto_decode(struct sdp_crypto *c, const struct pl *val);
/** Attribute name of a direction ("sendrecv", ...), NULL for NONE. */
const char *sdp_dir_name(enum sdp_dir dir);

/**
 * What the writer changes; everything else is copied as parsed.
 * An absent view / zero port means "keep". A new c= address drops the
 * old one's "/ttl/num" suffix (it belonged to that address). addrtype
 * applies to o= only together with origin_addr. A new address also
 * replaces the optional address of a=rtcp.
 */
struct sdp_rewrite {
	struct pl addrtype;        /* "IP4"/"IP6" for every c= and o= */
	struct pl addr;            /* new connection address for every c= */
	struct pl origin_addr;     /* new o= address (absent: keep) */
	uint16_t ports[SDP_MAX_MEDIA];  /* new port per media, 0 = keep; a
	                                   refused stream (port 0) keeps 0 */
	int rtcp_ports[SDP_MAX_MEDIA];  /* new a=rtcp port, 0 = keep */
	bool bump_version;         /* o= session version + 1 */
	enum sdp_dir dir[SDP_MAX_MEDIA]; /* replace the media's direction
	                                    attribute(s) or add one, NONE = keep */
};

/**
 * Write s with the rewrite applied (rw may be NULL: byte-identical to the
 * parsed input). Lines that are not rewritten keep their bytes and line
 * ends; added lines use the input's style. out is not NUL-terminated.
 * Returns the length written, or -ENOSPC when it does not fit in cap.
 */
int sdp_write(const struct sdp_session *s, const struct sdp_rewrite *rw,
	      char *out, size_t cap);

#endif /* TL_SDP_H */
