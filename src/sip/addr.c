/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file addr.c  name-addr / addr-spec decoders: From, To, Contact, Route,
 *               Record-Route, P-Asserted-Identity, Diversion, Refer-To...
 *               (RFC 3261 §20.10, §20.20, §25.1), and CSeq (§20.16).
 */
#include <errno.h>
#include <string.h>
#include "msg_int.h"

#define LOG_MOD "sip"

int sip_addr_decode(struct sip_addr *addr, const struct pl *val)
{
	const char *p, *e, *s, *ue;
	struct pl name, v;
	int r;

	memset(addr, 0, sizeof(*addr));
	if (!val || !val->p)
		return -EBADMSG;
	p = skip_lws(val->p, val->p + val->l);
	e = rskip_lws(p, val->p + val->l);
	addr->val = pl_from(p, (size_t)(e - p));
	if (p == e)
		return -EBADMSG;

	if (*p == '"') {
		/* quoted display name, escapes kept as on the wire */
		s = sip__quoted_end(p, e);
		if (!s)
			return -EBADMSG;
		addr->dname = pl_from(p + 1, (size_t)(s - p - 2));
		p = skip_lws(s, e);
		if (p == e || *p != '<')
			return -EBADMSG;
	}
	else {
		/* *(token LWS) "<" is a name-addr; anything else an addr-spec */
		s = p;
		while (p < e && (cc_is(*p, CC_TOKEN | CC_LWS) || (unsigned char)*p >= 0x80))
			p++;
		if (p < e && *p == '<') {
			const char *de = rskip_lws(s, p);
			if (de > s)
				addr->dname = pl_from(s, (size_t)(de - s));
		}
		else {
			p = s;
		}
	}

	if (*p == '<') {
		s = p + 1;
		ue = memchr(s, '>', (size_t)(e - s));
		if (!ue)
			return -EBADMSG;
		p = ue + 1;
		/* "< sip:x >" is tolerated (RFC 4475 3.1.2.14) */
		s = skip_lws(s, ue);
		ue = rskip_lws(s, ue);
	}
	else {
		/* addr-spec: header params start at the first ';' (§20.10) */
		s = p;
		while (p < e && *p != ';' && !cc_is(*p, CC_LWS))
			p++;
		ue = p;
	}
	addr->auri = pl_from(s, (size_t)(ue - s));
	r = sip_uri_decode(&addr->uri, &addr->auri);
	if (r && r != -EPROTONOSUPPORT)
		return -EBADMSG;

	p = skip_lws(p, e);
	if (p < e) {
		addr->params = pl_from(p, (size_t)(e - p));
		while ((r = sip__param_next(&p, e, &name, &v)) > 0) {
			if (PL_LC_EQ(&name, "tag"))
				addr->tag = v;
		}
		if (r < 0)
			return -EBADMSG;
	}
	return 0;
}

int sip_contact_decode(struct sip_contact *c, const struct pl *val)
{
	struct pl v;
	int err;

	memset(c, 0, sizeof(*c));
	c->expires = -1;
	c->q = 1000;
	if (!val || !val->p)
		return -EBADMSG;
	v = pl_trim(*val);
	if (v.l == 1 && v.p[0] == '*') {
		c->star = true;
		return 0;
	}
	err = sip_addr_decode(&c->addr, &v);
	if (err)
		return err;

	if (!sip_param_get(&c->addr.params, "expires", &v)) {
		uint64_t x;
		if (pl_u64(&v, &x) || x > INT64_MAX)
			return -EBADMSG;
		c->expires = (int64_t)x;
	}
	if (!sip_param_get(&c->addr.params, "q", &v)) {
		/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) */
		uint32_t q = 0, scale = 100;

		if (!v.l || (v.p[0] != '0' && v.p[0] != '1') || v.l > 5 ||
		    (v.l > 1 && v.p[1] != '.'))
			return -EBADMSG;
		for (size_t i = 2; i < v.l; i++, scale /= 10) {
			if (!cc_is(v.p[i], CC_DIGIT))
				return -EBADMSG;
			q += (uint32_t)(v.p[i] - '0') * scale;
		}
		q += (v.p[0] == '1') ? 1000 : 0;
		if (q > 1000)
			return -EBADMSG;
		c->q = q;
	}
	return 0;
}

int sip_cseq_decode(struct sip_cseq *cseq, const struct pl *val)
{
	const char *p, *e, *s;
	uint32_t n;

	memset(cseq, 0, sizeof(*cseq));
	if (!val || !val->p)
		return -EBADMSG;
	p = skip_lws(val->p, val->p + val->l);
	e = rskip_lws(p, val->p + val->l);
	s = p;
	p = skip_cc(p, e, CC_DIGIT);
	/* RFC 3261 §8.1.1.5: less than 2**31 */
	if (sip__dec(s, (size_t)(p - s), INT32_MAX, &n))
		return -EBADMSG;
	s = skip_lws(p, e);
	if (s == p)
		return -EBADMSG;
	p = skip_cc(s, e, CC_TOKEN);
	if (p == s || p != e)
		return -EBADMSG;
	cseq->num = n;
	cseq->method = pl_from(s, (size_t)(p - s));
	cseq->meth = sip_method_id(&cseq->method);
	return 0;
}
