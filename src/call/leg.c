/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file leg.c  A leg's dialog as we hold it, and the messages built from
 *              it: requests in the dialog (RFC 3261 §12.2.1.1), our
 *              name-addrs and URIs. Pure functions: no I/O, no locks.
 *
 * Topology hiding lives here: a request on a leg carries only what the leg
 * holds (its own Call-ID, tags, our Via and Contact), never a header of
 * the other leg except the ones a caller copies on purpose.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "call_int.h"

#define LOG_MOD "call"

void leg_init(struct leg *leg)
{
	for (unsigned i = 0; i < LEG_NSTR; i++)
		leg->str[i] = "";
	leg->sbuf = NULL;
}

void leg_free(struct leg *leg)
{
	free(leg->sbuf);
	leg_init(leg);
}

int leg_set(struct leg *leg, const struct pl v[LEG_NSTR])
{
	struct pl cur[LEG_NSTR];
	size_t n = 0;
	char *b, *p;

	for (unsigned i = 0; i < LEG_NSTR; i++) {
		cur[i] = v[i].p ? v[i] : pl_cstr(leg->str[i]);
		n += cur[i].l + 1;
	}
	/* The views may point into the old block: copy, then free it. */
	b = malloc(n);
	if (!b)
		return -ENOMEM;
	p = b;
	for (unsigned i = 0; i < LEG_NSTR; i++) {
		memcpy(p, cur[i].p, cur[i].l);
		p[cur[i].l] = '\0';
		leg->str[i] = p;
		p += cur[i].l + 1;
	}
	free(leg->sbuf);
	leg->sbuf = b;
	return 0;
}

int leg_set1(struct leg *leg, enum leg_str i, const struct pl *v)
{
	struct pl vv[LEG_NSTR];

	memset(vv, 0, sizeof(vv));
	vv[i] = *v;
	return leg_set(leg, vv);
}

int leg_name_addr(const struct sip_addr *a, bool keep_dname, char *buf, size_t n)
{
	int w;

	if (!a || !pl_isset(&a->auri))
		return -EINVAL;
	/* A display name is a quoted-string or tokens: keep it quoted, and
	 * only when it holds nothing that would need escaping. */
	if (keep_dname && pl_isset(&a->dname) && a->dname.l && !pl_chr(&a->dname, '"') &&
	    !pl_chr(&a->dname, '\\'))
		w = snprintf(buf, n, "\"%.*s\" <%.*s>", PL_FMT(&a->dname), PL_FMT(&a->auri));
	else
		w = snprintf(buf, n, "<%.*s>", PL_FMT(&a->auri));
	return w < 0 || (size_t)w >= n ? -ENOSPC : 0;
}

void leg_copy_hdrs(struct sip_mb *mb, const struct sip_msg *msg, const enum sip_hdrid *ids,
		   size_t nids)
{
	for (unsigned i = 0; i < msg->hdrc; i++) {
		const struct sip_hdr *h = &msg->hdrv[i];

		for (size_t k = 0; k < nids; k++) {
			if (h->id == ids[k]) {
				sip_mb_putpl(mb, &h->line);
				sip_mb_puts(mb, "\r\n");
				break;
			}
		}
	}
}

int leg_request(struct sip_mb *mb, const struct leg *leg, enum sip_method meth,
		uint32_t cseq, const char *extra, const char *ctype, const struct pl *body)
{
	char branch[SIP_BRANCH_LEN + 1];
	int err;

	err = sip_branch_new(branch);
	if (err)
		return err;
	return leg_request_branch(mb, leg, meth, cseq, branch, extra, ctype, body);
}

int leg_request_branch(struct sip_mb *mb, const struct leg *leg, enum sip_method meth,
		       uint32_t cseq, const char *branch, const char *extra, const char *ctype,
		       const struct pl *body)
{
	char host[SA_FMT_MAX];
	struct sip_req_prm p;

	memset(&p, 0, sizeof(p));
	p.meth = meth;
	p.ruri = pl_cstr(leg->target);
	p.via_transport = pl_cstr(tp_proto_name(leg->proto));
	sa_ntop(&leg->local, host, sizeof(host));
	p.via_host = pl_cstr(host);
	p.via_port = sa_port(&leg->local);
	p.branch = pl_cstr(branch);
	p.via_rport = true;
	p.from = pl_cstr(leg->luri);
	p.from_tag = pl_cstr(leg->ltag);
	p.to = pl_cstr(leg->ruri);
	if (leg->rtag[0])
		p.to_tag = pl_cstr(leg->rtag);
	p.callid = pl_cstr(leg->callid);
	p.cseq = cseq;
	/* §12.2.1.1: a target refresh request carries our Contact; ACK,
	 * BYE and CANCEL do not need one. */
	if (meth == SIP_INVITE || meth == SIP_UPDATE)
		p.contact = pl_cstr(leg->contact);
	p.max_forwards = leg->maxfwd > 0 ? leg->maxfwd : -1;
	p.extra_hdrs = extra;
	if (body && body->l) {
		p.ctype = ctype;
		p.body = *body;
	}
	return sip_request_build(mb, &p);
}

int leg_uri_build(char *buf, size_t n, const char *user, const struct sip_uri *at,
		  enum tp_proto proto)
{
	char port[8] = "";
	int w;

	if (!at || !pl_isset(&at->host))
		return -EINVAL;
	if (at->port)
		snprintf(port, sizeof(port), ":%u", at->port);
	w = snprintf(buf, n, "sip:%s%s%s%.*s%s%s%s", user ? user : "", user && *user ? "@" : "",
		     at->host_v6 ? "[" : "", PL_FMT(&at->host), at->host_v6 ? "]" : "", port,
		     proto == TP_TCP ? ";transport=tcp" : "");
	return w < 0 || (size_t)w >= n ? -ENOSPC : 0;
}

int leg_uri_dst(const struct sip_uri *uri, struct sa *dst, enum tp_proto *proto)
{
	struct pl tpv;
	enum tp_proto p = TP_UDP;

	if (!uri || !pl_isset(&uri->host))
		return -EINVAL;
	if (!sip_uri_param(uri, "transport", &tpv) && tp_proto_parse(&tpv, &p))
		return -EPROTONOSUPPORT;
	if (p == TP_TLS)
		return -EPROTONOSUPPORT;   /* no TLS transport yet */
	/* No resolver on the workers: a host name cannot be reached yet. */
	if (sa_set(dst, &uri->host, uri->port ? uri->port : 5060))
		return -EADDRNOTAVAIL;
	*proto = p;
	return 0;
}

int leg_q850(uint16_t scode)
{
	switch (scode) {
	case 200: return 16;          /* normal clearing */
	case 404: case 604: return 1; /* unallocated number */
	case 484: return 28;          /* invalid number format */
	case 486: case 600: return 17;/* user busy */
	case 480: case 408: return 18;/* no user responding */
	case 487: return 16;
	case 403: case 603: return 21;/* call rejected */
	case 402: return 21;
	case 503: return 34;          /* no circuit available */
	case 502: return 38;          /* network out of order */
	case 504: return 102;         /* recovery on timer expiry */
	case 410: return 22;          /* number changed */
	case 488: case 606: return 65;/* bearer not implemented */
	case 0:   return 0;
	default:
		if (scode >= 500)
			return 41;    /* temporary failure */
		return 31;            /* normal, unspecified */
	}
}
