/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file build.c  SIP message builder: output buffer, branch/tag/Call-ID
 *                generation, responses (RFC 3261 §8.2.6), new requests
 *                (§8.1.1) and rewrites of parsed messages as wire slices.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "sip.h"

#define LOG_MOD "sip"

/* ------------------------------------------------------------------ */
/* Output buffer                                                         */
/* ------------------------------------------------------------------ */

void sip_mb_init(struct sip_mb *mb)
{
	mb->buf = NULL;
	mb->len = mb->cap = 0;
	mb->err = 0;
}

void sip_mb_reset(struct sip_mb *mb)
{
	mb->len = 0;
	mb->err = 0;
}

void sip_mb_free(struct sip_mb *mb)
{
	free(mb->buf);
	sip_mb_init(mb);
}

/* Make room for n more bytes; false (and err set) when that fails. */
static bool mb_reserve(struct sip_mb *mb, size_t n)
{
	size_t need, cap;
	char *b;

	if (mb->err)
		return false;
	if (n <= mb->cap - mb->len)
		return true;
	if (n > SIZE_MAX / 2 - mb->len) {
		mb->err = -ENOMEM;
		return false;
	}
	need = mb->len + n;
	cap = mb->cap ? mb->cap : 512;
	while (cap < need)
		cap *= 2;
	b = realloc(mb->buf, cap);
	if (!b) {
		mb->err = -ENOMEM;
		return false;
	}
	mb->buf = b;
	mb->cap = cap;
	return true;
}

void sip_mb_put(struct sip_mb *mb, const void *p, size_t n)
{
	if (!n || !mb_reserve(mb, n))
		return;
	memcpy(mb->buf + mb->len, p, n);
	mb->len += n;
}

void sip_mb_puts(struct sip_mb *mb, const char *s)
{
	sip_mb_put(mb, s, strlen(s));
}

void sip_mb_putpl(struct sip_mb *mb, const struct pl *pl)
{
	if (pl && pl->p)
		sip_mb_put(mb, pl->p, pl->l);
}

void sip_mb_printf(struct sip_mb *mb, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (mb->err)
		return;
	/* try in the room there is; grow once to the exact size if short */
	va_start(ap, fmt);
	n = vsnprintf(mb->buf ? mb->buf + mb->len : NULL, mb->cap - mb->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		mb->err = -EINVAL;
		return;
	}
	if ((size_t)n >= mb->cap - mb->len) {
		if (!mb_reserve(mb, (size_t)n + 1))
			return;
		va_start(ap, fmt);
		vsnprintf(mb->buf + mb->len, mb->cap - mb->len, fmt, ap);
		va_end(ap);
	}
	mb->len += (size_t)n;
}

/* Append an unsigned decimal without printf (hot path). */
static void mb_putu(struct sip_mb *mb, uint64_t v)
{
	char tmp[20];
	size_t n = 0;

	do {
		tmp[sizeof(tmp) - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	sip_mb_put(mb, tmp + sizeof(tmp) - n, n);
}

#define MB_LIT(mb, s) sip_mb_put((mb), (s), sizeof(s) - 1)

/* ------------------------------------------------------------------ */
/* Branch, tag, Call-ID                                                  */
/* ------------------------------------------------------------------ */

int sip_branch_new(char out[SIP_BRANCH_LEN + 1])
{
	/* RFC 3261 §8.1.1.7: the magic cookie marks a unique branch */
	memcpy(out, "z9hG4bK", 7);
	return rand_token(out + 7, SIP_BRANCH_LEN - 7);
}

int sip_tag_new(char out[SIP_TAG_LEN + 1])
{
	return rand_token(out, SIP_TAG_LEN);
}

int sip_callid_new(char out[SIP_CALLID_LEN + 1])
{
	return rand_token(out, SIP_CALLID_LEN);
}

/* ------------------------------------------------------------------ */
/* Reason phrases                                                        */
/* ------------------------------------------------------------------ */

const char *sip_reason_phrase(uint16_t scode)
{
	switch (scode) {
	case 100: return "Trying";
	case 180: return "Ringing";
	case 181: return "Call Is Being Forwarded";
	case 182: return "Queued";
	case 183: return "Session Progress";
	case 199: return "Early Dialog Terminated";         /* RFC 6228 */
	case 200: return "OK";
	case 202: return "Accepted";                        /* RFC 6665 */
	case 204: return "No Notification";                 /* RFC 5839 */
	case 300: return "Multiple Choices";
	case 301: return "Moved Permanently";
	case 302: return "Moved Temporarily";
	case 305: return "Use Proxy";
	case 380: return "Alternative Service";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 402: return "Payment Required";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 407: return "Proxy Authentication Required";
	case 408: return "Request Timeout";
	case 410: return "Gone";
	case 412: return "Conditional Request Failed";      /* RFC 3903 */
	case 413: return "Request Entity Too Large";
	case 414: return "Request-URI Too Long";
	case 415: return "Unsupported Media Type";
	case 416: return "Unsupported URI Scheme";
	case 417: return "Unknown Resource-Priority";       /* RFC 4412 */
	case 420: return "Bad Extension";
	case 421: return "Extension Required";
	case 422: return "Session Interval Too Small";      /* RFC 4028 */
	case 423: return "Interval Too Brief";
	case 424: return "Bad Location Information";        /* RFC 6442 */
	case 425: return "Bad Alert Message";               /* RFC 8876 */
	case 428: return "Use Identity Header";             /* RFC 8224 */
	case 429: return "Provide Referrer Identity";       /* RFC 3892 */
	case 430: return "Flow Failed";                     /* RFC 5626 */
	case 433: return "Anonymity Disallowed";            /* RFC 5079 */
	case 436: return "Bad Identity Info";               /* RFC 8224 */
	case 437: return "Unsupported Credential";
	case 438: return "Invalid Identity Header";
	case 439: return "First Hop Lacks Outbound Support";
	case 440: return "Max-Breadth Exceeded";            /* RFC 5393 */
	case 469: return "Bad Info Package";                /* RFC 6086 */
	case 470: return "Consent Needed";                  /* RFC 5360 */
	case 480: return "Temporarily Unavailable";
	case 481: return "Call/Transaction Does Not Exist";
	case 482: return "Loop Detected";
	case 483: return "Too Many Hops";
	case 484: return "Address Incomplete";
	case 485: return "Ambiguous";
	case 486: return "Busy Here";
	case 487: return "Request Terminated";
	case 488: return "Not Acceptable Here";
	case 489: return "Bad Event";                       /* RFC 6665 */
	case 491: return "Request Pending";
	case 493: return "Undecipherable";
	case 494: return "Security Agreement Required";     /* RFC 3329 */
	case 500: return "Server Internal Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Server Time-out";
	case 505: return "Version Not Supported";
	case 513: return "Message Too Large";
	case 555: return "Push Notification Service Not Supported"; /* RFC 8599 */
	case 580: return "Precondition Failure";            /* RFC 3312 */
	case 600: return "Busy Everywhere";
	case 603: return "Decline";
	case 604: return "Does Not Exist Anywhere";
	case 606: return "Not Acceptable";
	case 607: return "Unwanted";                        /* RFC 8197 */
	case 608: return "Rejected";                        /* RFC 8688 */
	default: return "Unknown";
	}
}

/* ------------------------------------------------------------------ */
/* Responses                                                             */
/* ------------------------------------------------------------------ */

static const struct sip_hdr *hdr_first(const struct sip_msg *msg, enum sip_hdrid id)
{
	uint16_t i = msg->first[id];
	return i < msg->hdrc ? &msg->hdrv[i] : NULL;
}

static const struct sip_hdr *hdr_next(const struct sip_msg *msg, const struct sip_hdr *h)
{
	return h->next < msg->hdrc ? &msg->hdrv[h->next] : NULL;
}

/* Is the view a inside the view b? */
static bool pl_inside(const struct pl *a, const struct pl *b)
{
	return a->p && b->p && a->p >= b->p && a->p + a->l <= b->p + b->l;
}

/* End of the bare ";rport" parameter in a via-parm's params, or NULL. */
static const char *bare_rport_end(const struct pl *params)
{
	const char *p = params->p, *e = params->p + params->l;

	while (p && p < e) {
		const char *semi = memchr(p, ';', (size_t)(e - p)), *n, *ne;

		if (!semi)
			break;
		n = semi + 1;
		while (n < e && (*n == ' ' || *n == '\t'))
			n++;
		ne = n;
		while (ne < e && *ne != ';' && *ne != '=' && *ne != ' ' && *ne != '\t')
			ne++;
		if (ne - n == 5 && strncasecmp(n, "rport", 5) == 0) {
			const char *a = ne;
			while (a < e && (*a == ' ' || *a == '\t'))
				a++;
			return (a < e && *a == '=') ? NULL : ne;
		}
		p = ne;
	}
	return NULL;
}

/*
 * The topmost Via header line, with RFC 3261 §18.2.1 "received" and
 * RFC 3581 "rport" filled in from the source address when asked to.
 */
static void put_top_via(struct sip_mb *mb, const struct sip_msg *req,
			const struct sip_hdr *h, const struct sa *src)
{
	const struct sip_via *via = &req->via;
	const char *rp_end, *val_end, *line_end = h->line.p + h->line.l;
	char host[64];

	if (!src || !pl_inside(&via->val, &h->line) || !sa_af(src)) {
		sip_mb_putpl(mb, &h->line);
		return;
	}
	sa_ntop(src, host, sizeof(host));
	val_end = via->val.p + via->val.l;
	rp_end = pl_inside(&via->params, &via->val) ? bare_rport_end(&via->params) : NULL;
	if (rp_end) {
		sip_mb_put(mb, h->line.p, (size_t)(rp_end - h->line.p));
		MB_LIT(mb, "=");
		mb_putu(mb, sa_port(src));
		sip_mb_put(mb, rp_end, (size_t)(val_end - rp_end));
	} else {
		sip_mb_put(mb, h->line.p, (size_t)(val_end - h->line.p));
	}
	/* received: always with rport (RFC 3581 §4), else when the sent-by
	 * host is not the address the request came from */
	if (!via->received.p && (rp_end || !pl_eq_str(&via->host, host))) {
		MB_LIT(mb, ";received=");
		sip_mb_puts(mb, host);
	}
	sip_mb_put(mb, val_end, (size_t)(line_end - val_end));
}

int sip_reply_build_prm(struct sip_mb *mb, const struct sip_msg *req,
			const struct sip_reply_prm *prm)
{
	const struct sip_hdr *via, *from, *to, *callid, *cseq, *h;
	const struct pl *body = prm->body;
	const char *reason = prm->reason ? prm->reason : sip_reason_phrase(prm->scode);
	size_t est;

	if (!req || !req->req || prm->scode < 100 || prm->scode > 699)
		return -EINVAL;
	via = hdr_first(req, SIP_HDR_VIA);
	from = hdr_first(req, SIP_HDR_FROM);
	to = hdr_first(req, SIP_HDR_TO);
	callid = hdr_first(req, SIP_HDR_CALL_ID);
	cseq = hdr_first(req, SIP_HDR_CSEQ);
	if (!via || !from || !to || !callid || !cseq)
		return -EINVAL;
	if (body && body->l && !prm->ctype)
		return -EINVAL;
	if (mb->err)
		return mb->err;

	/* one allocation at most: reserve what the copy will need */
	est = 160 + strlen(reason) + from->line.l + to->line.l + callid->line.l + cseq->line.l +
	      (prm->extra_hdrs ? strlen(prm->extra_hdrs) : 0) + (body ? body->l : 0);
	for (h = via; h; h = hdr_next(req, h))
		est += h->line.l + 2;
	mb_reserve(mb, est);

	MB_LIT(mb, "SIP/2.0 ");
	mb_putu(mb, prm->scode);
	MB_LIT(mb, " ");
	sip_mb_puts(mb, reason);
	MB_LIT(mb, "\r\n");
	for (h = via; h; h = hdr_next(req, h)) {
		if (h == via)
			put_top_via(mb, req, h, prm->src);
		else
			sip_mb_putpl(mb, &h->line);
		MB_LIT(mb, "\r\n");
	}
	sip_mb_putpl(mb, &from->line);
	MB_LIT(mb, "\r\n");
	sip_mb_putpl(mb, &to->line);
	/* §8.2.6.2: a UAS adds its tag to every response but 100 */
	if (prm->scode > 100 && !req->to.tag.p && prm->totag && *prm->totag) {
		MB_LIT(mb, ";tag=");
		sip_mb_puts(mb, prm->totag);
	}
	MB_LIT(mb, "\r\n");
	sip_mb_putpl(mb, &callid->line);
	MB_LIT(mb, "\r\n");
	sip_mb_putpl(mb, &cseq->line);
	MB_LIT(mb, "\r\n");
	if (prm->record_route) {
		for (h = hdr_first(req, SIP_HDR_RECORD_ROUTE); h; h = hdr_next(req, h)) {
			sip_mb_putpl(mb, &h->line);
			MB_LIT(mb, "\r\n");
		}
	}
	if (prm->extra_hdrs)
		sip_mb_puts(mb, prm->extra_hdrs);
	if (body && body->l) {
		MB_LIT(mb, "Content-Type: ");
		sip_mb_puts(mb, prm->ctype);
		MB_LIT(mb, "\r\n");
	}
	MB_LIT(mb, "Content-Length: ");
	mb_putu(mb, body ? body->l : 0);
	MB_LIT(mb, "\r\n\r\n");
	if (body)
		sip_mb_putpl(mb, body);
	return mb->err;
}

int sip_reply_build(struct sip_mb *mb, const struct sip_msg *req, uint16_t scode,
		    const char *reason, const char *totag, const char *extra_hdrs,
		    const char *ctype, const struct pl *body)
{
	struct sip_reply_prm prm = {
		.scode = scode, .reason = reason, .totag = totag,
		.extra_hdrs = extra_hdrs, .ctype = ctype, .body = body,
	};

	return sip_reply_build_prm(mb, req, &prm);
}

/* ------------------------------------------------------------------ */
/* Requests                                                              */
/* ------------------------------------------------------------------ */

int sip_request_build(struct sip_mb *mb, const struct sip_req_prm *prm)
{
	const char *method = prm->meth != SIP_METHOD_OTHER ? sip_method_name(prm->meth)
							   : prm->method;
	bool v6;

	if (!method || !*method || !prm->ruri.l || !prm->via_host.l || !prm->branch.l ||
	    !prm->from.l || !prm->to.l || !prm->callid.l || (prm->routec && !prm->routes))
		return -EINVAL;
	if (prm->body.l && !prm->ctype)
		return -EINVAL;
	if (mb->err)
		return mb->err;
	v6 = pl_chr(&prm->via_host, ':') != NULL;

	sip_mb_puts(mb, method);
	MB_LIT(mb, " ");
	sip_mb_putpl(mb, &prm->ruri);
	MB_LIT(mb, " SIP/2.0\r\nVia: SIP/2.0/");
	if (prm->via_transport.l)
		sip_mb_putpl(mb, &prm->via_transport);
	else
		MB_LIT(mb, "UDP");
	MB_LIT(mb, " ");
	if (v6)
		MB_LIT(mb, "[");
	sip_mb_putpl(mb, &prm->via_host);
	if (v6)
		MB_LIT(mb, "]");
	if (prm->via_port) {
		MB_LIT(mb, ":");
		mb_putu(mb, prm->via_port);
	}
	MB_LIT(mb, ";branch=");
	sip_mb_putpl(mb, &prm->branch);
	if (prm->via_rport)
		MB_LIT(mb, ";rport");
	MB_LIT(mb, "\r\nMax-Forwards: ");
	mb_putu(mb, prm->max_forwards < 0 ? 70 : (unsigned)prm->max_forwards);
	MB_LIT(mb, "\r\n");
	for (unsigned i = 0; i < prm->routec; i++) {
		MB_LIT(mb, "Route: ");
		sip_mb_putpl(mb, &prm->routes[i]);
		MB_LIT(mb, "\r\n");
	}
	MB_LIT(mb, "From: ");
	sip_mb_putpl(mb, &prm->from);
	if (prm->from_tag.l) {
		MB_LIT(mb, ";tag=");
		sip_mb_putpl(mb, &prm->from_tag);
	}
	MB_LIT(mb, "\r\nTo: ");
	sip_mb_putpl(mb, &prm->to);
	if (prm->to_tag.l) {
		MB_LIT(mb, ";tag=");
		sip_mb_putpl(mb, &prm->to_tag);
	}
	MB_LIT(mb, "\r\nCall-ID: ");
	sip_mb_putpl(mb, &prm->callid);
	MB_LIT(mb, "\r\nCSeq: ");
	mb_putu(mb, prm->cseq);
	MB_LIT(mb, " ");
	sip_mb_puts(mb, method);
	MB_LIT(mb, "\r\n");
	if (prm->contact.l) {
		MB_LIT(mb, "Contact: ");
		sip_mb_putpl(mb, &prm->contact);
		MB_LIT(mb, "\r\n");
	}
	if (prm->extra_hdrs)
		sip_mb_puts(mb, prm->extra_hdrs);
	if (prm->body.l) {
		MB_LIT(mb, "Content-Type: ");
		sip_mb_puts(mb, prm->ctype);
		MB_LIT(mb, "\r\n");
	}
	MB_LIT(mb, "Content-Length: ");
	mb_putu(mb, prm->body.l);
	MB_LIT(mb, "\r\n\r\n");
	sip_mb_putpl(mb, &prm->body);
	return mb->err;
}

/* ------------------------------------------------------------------ */
/* Rewrites                                                              */
/* ------------------------------------------------------------------ */

static const struct pl removed_mark;   /* address marks a dropped header */

int sip_msg_rewrite(struct sip_mb *mb, const struct sip_msg *msg,
		    const struct sip_edit *edits, unsigned editc)
{
	const struct pl *repl[SIP_HDR_CAP];
	const struct pl *ruri = NULL, *body = NULL;
	const char *sl_end;
	bool have_clen = false;

	if (!msg || !msg->buf || msg->hdrc > SIP_HDR_CAP || (editc && !edits))
		return -EINVAL;
	if (mb->err)
		return mb->err;
	memset(repl, 0, msg->hdrc * sizeof(repl[0]));
	for (unsigned i = 0; i < editc; i++) {
		const struct sip_edit *e = &edits[i];

		switch (e->op) {
		case SIP_EDIT_REMOVE:
		case SIP_EDIT_REPLACE:
			if (e->hdr >= msg->hdrc)
				return -EINVAL;
			repl[e->hdr] = e->op == SIP_EDIT_REMOVE ? &removed_mark : &e->text;
			break;
		case SIP_EDIT_REMOVE_ID:
			if (e->id == SIP_HDR_OTHER || e->id >= SIP_HDR__COUNT)
				return -EINVAL;
			for (unsigned k = 0; k < msg->hdrc; k++)
				if (msg->hdrv[k].id == e->id)
					repl[k] = &removed_mark;
			break;
		case SIP_EDIT_RURI:
			if (!msg->req || !e->text.l)
				return -EINVAL;
			ruri = &e->text;
			break;
		case SIP_EDIT_BODY:
			body = &e->text;
			break;
		case SIP_EDIT_ADD_TOP:
		case SIP_EDIT_ADD_BOTTOM:
			break;
		default:
			return -EINVAL;
		}
	}

	/* start line */
	sl_end = memchr(msg->buf, '\n', msg->len);
	if (!sl_end)
		return -EINVAL;
	if (ruri) {
		sip_mb_putpl(mb, &msg->method);
		MB_LIT(mb, " ");
		sip_mb_putpl(mb, ruri);
		MB_LIT(mb, " ");
		sip_mb_putpl(mb, &msg->ver);
		MB_LIT(mb, "\r\n");
	} else {
		sip_mb_put(mb, msg->buf, (size_t)(sl_end + 1 - msg->buf));
	}

	/* several ADD_TOP lines keep the order they were given in */
	for (unsigned i = 0; i < editc; i++) {
		if (edits[i].op != SIP_EDIT_ADD_TOP)
			continue;
		sip_mb_putpl(mb, &edits[i].text);
		MB_LIT(mb, "\r\n");
	}
	for (unsigned k = 0; k < msg->hdrc; k++) {
		const struct sip_hdr *h = &msg->hdrv[k];

		if (repl[k] == &removed_mark)
			continue;
		/* a new body needs its own length: the old one is dropped */
		if (h->id == SIP_HDR_CONTENT_LENGTH) {
			if (body || have_clen)
				continue;
			have_clen = true;
		}
		sip_mb_putpl(mb, repl[k] ? repl[k] : &h->line);
		MB_LIT(mb, "\r\n");
	}
	for (unsigned i = 0; i < editc; i++) {
		if (edits[i].op != SIP_EDIT_ADD_BOTTOM)
			continue;
		sip_mb_putpl(mb, &edits[i].text);
		MB_LIT(mb, "\r\n");
	}
	if (!body)
		body = &msg->body;
	/* a message from a datagram may lack Content-Length; a stream needs it */
	if (!have_clen) {
		MB_LIT(mb, "Content-Length: ");
		mb_putu(mb, body->l);
		MB_LIT(mb, "\r\n");
	}
	MB_LIT(mb, "\r\n");
	sip_mb_putpl(mb, body);
	return mb->err;
}
