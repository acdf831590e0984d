/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file msg.c  In-place SIP message parser (RFC 3261 §7, §25) and stream
 *              framing: start line, header lines found with memchr, eager
 *              decode of the transaction and dialog keys.
 */
#include <errno.h>
#include <string.h>
#include "msg_int.h"

#define LOG_MOD "sip"

const struct sip_limits sip_limits_default = {
	.max_msg_size = SIP_MSG_SIZE_DEFAULT,
	.max_headers = SIP_HDRS_DEFAULT,
	.max_hdr_len = SIP_HDR_LEN_DEFAULT,
	.max_nesting = SIP_NEST_DEFAULT,
};

/* The first fault found wins: it is the one the reply names. */
struct fault {
	uint16_t status;
	const char *reason;
	int err;
};

static void fault(struct fault *f, uint16_t status, const char *reason, int err)
{
	if (f->status)
		return;
	f->status = status;
	f->reason = reason;
	f->err = err;
}

/* "SIP/" 1*DIGIT "." 1*DIGIT. 1 = SIP/2.0, 0 = other version, -1 = not a version. */
static int version_check(const char *p, const char *e)
{
	const char *d;

	if (e - p < 7 || !lc_eq(p, "sip/", 4))
		return -1;
	if (e - p == 7 && !memcmp(p + 4, "2.0", 3))
		return 1;
	d = skip_cc(p + 4, e, CC_DIGIT);
	if (d == p + 4 || d == e || *d != '.')
		return -1;
	p = d + 1;
	d = skip_cc(p, e, CC_DIGIT);
	return (d == p || d != e) ? -1 : 0;
}

static void parse_request_line(struct sip_msg *msg, const char *p, const char *e, struct fault *f)
{
	const char *s = p, *sp;
	int r;

	msg->req = true;
	p = skip_cc(p, e, CC_TOKEN);
	if (p == s || p == e || *p != ' ') {
		fault(f, 400, "Bad Request-Line", -EBADMSG);
		return;
	}
	msg->method = pl_from(s, (size_t)(p - s));
	msg->meth = sip_method_id(&msg->method);

	s = p + 1;
	sp = memchr(s, ' ', (size_t)(e - s));
	if (!sp || sp == s) {
		fault(f, 400, "Bad Request-Line", -EBADMSG);
		return;
	}
	msg->ruri = pl_from(s, (size_t)(sp - s));

	/* trailing SP/HTAB after the version is tolerated (RFC 4475 3.1.2.10) */
	p = sp + 1;
	e = rskip_lws(p, e);
	msg->ver = pl_from(p, (size_t)(e - p));
	if (memchr(p, ' ', (size_t)(e - p)) || memchr(p, '\t', (size_t)(e - p))) {
		/* more words than three: the URI held LWS (RFC 4475 3.1.2.8) */
		fault(f, 400, "Bad Request-URI", -EBADMSG);
		return;
	}
	r = version_check(p, e);
	if (r < 0) {
		fault(f, 400, "Bad SIP version", -EBADMSG);
		return;
	}
	if (r == 0)
		fault(f, 505, "Version Not Supported", -EBADMSG);

	r = sip_uri_decode(&msg->uri, &msg->ruri);
	if (r == -EPROTONOSUPPORT)
		fault(f, 416, "Unsupported URI Scheme", -EBADMSG);
	else if (r)
		fault(f, 400, "Bad Request-URI", -EBADMSG);
}

static void parse_status_line(struct sip_msg *msg, const char *p, const char *e, struct fault *f)
{
	const char *sp = memchr(p, ' ', (size_t)(e - p));
	uint32_t code;

	msg->req = false;
	if (!sp) {
		fault(f, 400, "Bad Status-Line", -EBADMSG);
		return;
	}
	msg->ver = pl_from(p, (size_t)(sp - p));
	if (version_check(p, sp) != 1) {
		fault(f, 505, "Version Not Supported", -EBADMSG);
		return;
	}
	p = sp + 1;
	if (e - p < 3 || sip__dec(p, 3, 699, &code) || code < 100 ||
	    (e - p > 3 && p[3] != ' ')) {
		fault(f, 400, "Bad Status-Line", -EBADMSG);
		return;
	}
	msg->scode = (uint16_t)code;
	p = e - p > 3 ? p + 4 : e;
	msg->reason = pl_from(p, (size_t)(e - p));
}

/* Header values that must appear once (RFC 3261 §20, RFC 4475 3.3.8). */
static bool dup(const struct sip_msg *msg, enum sip_hdrid id)
{
	return msg->hdrv[msg->first[id]].next != SIP_HDR_NONE;
}

static void decode_keys(struct sip_msg *msg, struct fault *f)
{
	const struct sip_hdr *h;
	uint16_t i;

	i = msg->first[SIP_HDR_VIA];
	if (i == SIP_HDR_NONE) {
		fault(f, 400, "Missing Via", -EBADMSG);
	}
	else {
		const struct pl *v = &msg->hdrv[i].val;
		const char *q = sip__elem_end(v->p, v->p + v->l, msg->nest);
		struct pl top;

		top = q ? pl_from(v->p, (size_t)(rskip_lws(v->p, q) - v->p)) : *v;
		if (!q || sip_via_decode(&msg->via, &top)) {
			memset(&msg->via, 0, sizeof(msg->via));
			msg->via.val = top;
			fault(f, 400, "Bad Via", -EBADMSG);
		}
	}

	i = msg->first[SIP_HDR_FROM];
	if (i == SIP_HDR_NONE) {
		fault(f, 400, "Missing From", -EBADMSG);
	}
	else {
		h = &msg->hdrv[i];
		if (sip_addr_decode(&msg->from, &h->val)) {
			memset(&msg->from, 0, sizeof(msg->from));
			msg->from.val = h->val;
			fault(f, 400, "Bad From", -EBADMSG);
		}
		if (dup(msg, SIP_HDR_FROM))
			fault(f, 400, "Multiple From", -EBADMSG);
	}

	i = msg->first[SIP_HDR_TO];
	if (i == SIP_HDR_NONE) {
		fault(f, 400, "Missing To", -EBADMSG);
	}
	else {
		h = &msg->hdrv[i];
		if (sip_addr_decode(&msg->to, &h->val)) {
			memset(&msg->to, 0, sizeof(msg->to));
			msg->to.val = h->val;
			fault(f, 400, "Bad To", -EBADMSG);
		}
		if (dup(msg, SIP_HDR_TO))
			fault(f, 400, "Multiple To", -EBADMSG);
	}

	i = msg->first[SIP_HDR_CALL_ID];
	if (i == SIP_HDR_NONE) {
		fault(f, 400, "Missing Call-ID", -EBADMSG);
	}
	else {
		const char *p, *e;

		h = &msg->hdrv[i];
		/* word ["@" word]: printable ASCII, no LWS inside */
		for (p = h->val.p, e = p + h->val.l; p < e; p++) {
			if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
				break;
		}
		if (!h->val.l || p != e)
			fault(f, 400, "Bad Call-ID", -EBADMSG);
		else
			msg->callid = h->val;
		if (dup(msg, SIP_HDR_CALL_ID))
			fault(f, 400, "Multiple Call-ID", -EBADMSG);
	}

	i = msg->first[SIP_HDR_CSEQ];
	if (i == SIP_HDR_NONE) {
		fault(f, 400, "Missing CSeq", -EBADMSG);
	}
	else {
		h = &msg->hdrv[i];
		if (sip_cseq_decode(&msg->cseq, &h->val)) {
			memset(&msg->cseq, 0, sizeof(msg->cseq));
			fault(f, 400, "Bad CSeq", -EBADMSG);
		}
		else if (msg->req && pl_cmp(&msg->cseq.method, &msg->method)) {
			fault(f, 400, "CSeq method mismatch", -EBADMSG);
		}
		if (dup(msg, SIP_HDR_CSEQ))
			fault(f, 400, "Multiple CSeq", -EBADMSG);
	}

	/* Mandatory by RFC 3261 §8.1.1, but RFC 2543 peers omit it. */
	i = msg->first[SIP_HDR_MAX_FORWARDS];
	if (i != SIP_HDR_NONE) {
		uint32_t v;

		h = &msg->hdrv[i];
		if (sip__dec(h->val.p, h->val.l, 255, &v) || dup(msg, SIP_HDR_MAX_FORWARDS))
			fault(f, 400, "Max-Forwards invalid", -EBADMSG);
		else
			msg->maxfwd = (int32_t)v;
	}

	i = msg->first[SIP_HDR_CONTENT_LENGTH];
	if (i != SIP_HDR_NONE) {
		uint64_t v;

		h = &msg->hdrv[i];
		if (pl_u64(&h->val, &v) || v > INT32_MAX || dup(msg, SIP_HDR_CONTENT_LENGTH))
			fault(f, 400, "Bad Content-Length", -EBADMSG);
		else
			msg->clen = (int64_t)v;
	}

	i = msg->first[SIP_HDR_CONTENT_TYPE];
	if (i != SIP_HDR_NONE)
		msg->ctype = msg->hdrv[i].val;
}

int sip_msg_parse(struct sip_msg *msg, const char *buf, size_t len,
		  const struct sip_limits *lim, struct sip_perr *err)
{
	struct fault f = { 0, NULL, 0 };
	const char *p = buf, *e = buf + len, *lf, *le;
	bool eoh = false;

	if (!lim)
		lim = &sip_limits_default;
	/* Only the fixed part and the id chains: hdrv[] is written as used. */
	memset(msg, 0, offsetof(struct sip_msg, first));
	memset(msg->first, 0xff, sizeof(msg->first));
	memset(msg->last, 0xff, sizeof(msg->last));
	msg->buf = buf;
	msg->len = len;
	msg->maxfwd = -1;
	msg->clen = -1;
	msg->nest = lim->max_nesting ? lim->max_nesting : SIP_NEST_DEFAULT;

	if (len > lim->max_msg_size) {
		fault(&f, 413, "Message too large", -EMSGSIZE);
		/* still say whether it was a request */
		msg->req = !(len >= 4 && lc_eq(buf, "sip/", 4));
		goto out;
	}

	/* RFC 3261 §7.5: CRLFs before the start line are ignored */
	while (p < e && (*p == '\r' || *p == '\n'))
		p++;
	lf = p < e ? memchr(p, '\n', (size_t)(e - p)) : NULL;
	if (!lf) {
		msg->req = !(e - p >= 4 && lc_eq(p, "sip/", 4));
		fault(&f, 400, "Bad start line", -EBADMSG);
		goto out;
	}
	le = (lf > p && lf[-1] == '\r') ? lf - 1 : lf;
	if (le - p >= 4 && lc_eq(p, "sip/", 4))
		parse_status_line(msg, p, le, &f);
	else
		parse_request_line(msg, p, le, &f);
	p = lf + 1;

	while (p < e) {
		const char *name = p, *ne, *v;
		struct sip_hdr *h;
		enum sip_hdrid id;

		if (*p == '\n' || (*p == '\r' && p + 1 < e && p[1] == '\n')) {
			p += (*p == '\n') ? 1 : 2;
			eoh = true;
			break;
		}
		ne = skip_cc(p, e, CC_TOKEN);
		v = skip_cc(ne, e, CC_WS);
		if (ne == name || v == e || *v != ':') {
			fault(&f, 400, "Bad header line", -EBADMSG);
			break;
		}
		/* the line ends at the first LF not followed by SP/HTAB (folding) */
		lf = v;
		for (;;) {
			lf = memchr(lf, '\n', (size_t)(e - lf));
			if (!lf || lf + 1 == e || (lf[1] != ' ' && lf[1] != '\t'))
				break;
			lf++;
		}
		le = lf ? lf : e;
		if (le > name && le[-1] == '\r')
			le--;
		if ((size_t)(le - name) > lim->max_hdr_len) {
			fault(&f, 400, "Header too long", -EMSGSIZE);
			break;
		}
		if (msg->hdrc >= lim->max_headers || msg->hdrc >= SIP_HDR_CAP) {
			fault(&f, 400, "Too many headers", -EMSGSIZE);
			break;
		}

		h = &msg->hdrv[msg->hdrc];
		h->name = pl_from(name, (size_t)(ne - name));
		v = skip_lws(v + 1, le);
		h->val = pl_from(v, (size_t)(rskip_lws(v, le) - v));
		h->line = pl_from(name, (size_t)(le - name));
		h->id = id = sip_hdr_id(&h->name);
		h->next = SIP_HDR_NONE;
		if (msg->first[id] == SIP_HDR_NONE)
			msg->first[id] = (uint16_t)msg->hdrc;
		else
			msg->hdrv[msg->last[id]].next = (uint16_t)msg->hdrc;
		msg->last[id] = (uint16_t)msg->hdrc;
		msg->hdrc++;

		if (!lf) {
			p = e;
			break;
		}
		p = lf + 1;
	}
	if (!eoh)
		fault(&f, 400, "Missing end of headers", -EBADMSG);

	/* Keys also after a fault: the 4xx needs them (sip_msg_can_reply). */
	decode_keys(msg, &f);

	if (msg->clen >= 0) {
		if ((uint64_t)msg->clen > (uint64_t)(e - p)) {
			fault(&f, 400, "Body shorter than Content-Length", -EBADMSG);
			msg->body = pl_from(p, (size_t)(e - p));
		}
		else {
			/* RFC 3261 §18.3: bytes past Content-Length are dropped */
			msg->body = pl_from(p, (size_t)msg->clen);
			msg->len = (size_t)(p - buf) + (size_t)msg->clen;
		}
	}
	else {
		msg->body = pl_from(p, (size_t)(e - p));
	}

 out:
	if (err) {
		err->status = f.status;
		err->reason = f.reason;
		err->req = msg->req;
		err->msg = msg;
	}
	if (f.status)
		LDEBUG("parse failed status=%u reason=\"%s\" len=%zu", f.status, f.reason, len);
	return f.err;
}

bool sip_msg_can_reply(const struct sip_msg *msg)
{
	return msg->req && msg->via.host.p && msg->from.val.p && msg->to.val.p &&
	       msg->callid.p && msg->cseq.method.p;
}

/* ------------------------------------------------------------------ */
/* Stream framing                                                        */
/* ------------------------------------------------------------------ */

int sip_frame(const char *buf, size_t len, const struct sip_limits *lim, size_t *msglen)
{
	const char *p = buf, *e, *hend, *lf;
	int64_t clen = -1;

	if (!lim)
		lim = &sip_limits_default;
	hend = memmem(buf, len, "\r\n\r\n", 4);
	if (!hend)
		return len >= lim->max_msg_size ? -EBADMSG : -EAGAIN;
	e = hend + 2;   /* last header's CRLF included */
	hend += 4;
	if ((size_t)(hend - buf) > lim->max_msg_size)
		return -EBADMSG;

	/* Content-Length by its full or compact name, at a line start */
	lf = memchr(p, '\n', (size_t)(e - p));
	while (lf && lf + 1 < e) {
		const char *n = lf + 1, *ne, *v, *le;
		uint64_t val;
		struct pl x;

		lf = memchr(n, '\n', (size_t)(e - n));
		if (!lf)
			break;
		ne = skip_cc(n, lf, CC_TOKEN);
		if (!((ne - n == 14 && lc_eq(n, "content-length", 14)) ||
		      (ne - n == 1 && (*n | 0x20) == 'l')))
			continue;
		v = skip_cc(ne, lf, CC_WS);
		if (v == lf || *v != ':')
			continue;
		/* no folding inside a number: the value ends on this line */
		v = skip_lws(v + 1, lf);
		le = rskip_lws(v, lf);
		x = pl_from(v, (size_t)(le - v));
		if (pl_u64(&x, &val) || val > lim->max_msg_size)
			return -EBADMSG;
		if (clen >= 0 && (uint64_t)clen != val)
			return -EBADMSG;
		clen = (int64_t)val;
	}
	if (clen < 0)
		return -EBADMSG;
	if ((size_t)(hend - buf) + (uint64_t)clen > lim->max_msg_size)
		return -EBADMSG;
	if (len - (size_t)(hend - buf) < (uint64_t)clen)
		return -EAGAIN;
	*msglen = (size_t)(hend - buf) + (size_t)clen;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Header lookup                                                         */
/* ------------------------------------------------------------------ */

const struct sip_hdr *sip_msg_hdr(const struct sip_msg *msg, enum sip_hdrid id)
{
	uint16_t i;

	if ((unsigned)id >= SIP_HDR__COUNT)
		return NULL;
	i = msg->first[id];
	return i < msg->hdrc ? &msg->hdrv[i] : NULL;
}

const struct sip_hdr *sip_msg_hdr_next(const struct sip_msg *msg, const struct sip_hdr *h)
{
	return h && h->next < msg->hdrc ? &msg->hdrv[h->next] : NULL;
}

const struct sip_hdr *sip_msg_hdr_by_name(const struct sip_msg *msg, const struct pl *name)
{
	enum sip_hdrid id = sip_hdr_id(name);

	if (id != SIP_HDR_OTHER)
		return sip_msg_hdr(msg, id);
	for (uint16_t i = msg->first[SIP_HDR_OTHER]; i < msg->hdrc; i = msg->hdrv[i].next) {
		if (!pl_casecmp(&msg->hdrv[i].name, name))
			return &msg->hdrv[i];
	}
	return NULL;
}
