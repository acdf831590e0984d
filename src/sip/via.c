/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file via.c  Via header value decoder (RFC 3261 §20.42, §25.1 via-parm,
 *              RFC 3581 rport, RFC 5118 IPv6 references).
 */
#include <errno.h>
#include <string.h>
#include "msg_int.h"

#define LOG_MOD "sip"

/* A token with LWS on both sides, as in "SIP / 2.0 / UDP". */
static const char *lws_token(const char *p, const char *e, struct pl *tok)
{
	const char *s = skip_lws(p, e);

	p = skip_cc(s, e, CC_TOKEN);
	if (p == s)
		return NULL;
	*tok = pl_from(s, (size_t)(p - s));
	return p;
}

static const char *slash(const char *p, const char *e)
{
	p = skip_lws(p, e);
	return (p < e && *p == '/') ? p + 1 : NULL;
}

/* "[v6]" with brackets off, for received= and maddr= (RFC 5118 §4.5). */
static struct pl unbracket(struct pl v)
{
	if (v.l >= 2 && v.p[0] == '[' && v.p[v.l - 1] == ']')
		return pl_from(v.p + 1, v.l - 2);
	return v;
}

int sip_via_decode(struct sip_via *via, const struct pl *val)
{
	const char *p, *e, *s;
	struct pl name, v, dummy;
	uint32_t port;
	int r;

	memset(via, 0, sizeof(*via));
	if (!val || !val->p)
		return -EBADMSG;
	p = val->p;
	e = p + val->l;
	via->val = *val;

	/* sent-protocol = protocol-name SLASH protocol-version SLASH transport */
	s = skip_lws(p, e);
	if (!(p = lws_token(s, e, &dummy)) || !(p = slash(p, e)) ||
	    !(p = lws_token(p, e, &dummy)) || !(p = slash(p, e)) ||
	    !(p = lws_token(p, e, &via->transport)))
		return -EBADMSG;
	via->sent_proto = pl_from(s, (size_t)(p - s));

	/* LWS sent-by */
	s = p;
	p = skip_lws(p, e);
	if (p == s || p == e)
		return -EBADMSG;
	if (*p == '[') {
		s = ++p;
		p = skip_cc(p, e, CC_HEX | CC_DIGIT);
		while (p < e && (cc_is(*p, CC_HEX) || *p == ':' || *p == '.'))
			p++;
		if (p == s || p == e || *p != ']' || !memchr(s, ':', (size_t)(p - s)))
			return -EBADMSG;
		via->host = pl_from(s, (size_t)(p - s));
		via->host_v6 = true;
		p++;
	}
	else {
		s = p;
		p = skip_cc(p, e, CC_HOST);
		if (p == s)
			return -EBADMSG;
		via->host = pl_from(s, (size_t)(p - s));
	}
	s = skip_lws(p, e);
	if (s < e && *s == ':') {
		s = skip_lws(s + 1, e);
		p = skip_cc(s, e, CC_DIGIT);
		if (sip__dec(s, (size_t)(p - s), 65535, &port))
			return -EBADMSG;
		via->port = (uint16_t)port;
	}

	s = skip_lws(p, e);
	via->params = pl_from(s, (size_t)(e - s));
	p = s;
	while ((r = sip__param_next(&p, e, &name, &v)) > 0) {
		switch (name.l) {
		case 3:
			if (PL_LC_EQ(&name, "ttl"))
				via->ttl = v;
			break;
		case 5:
			if (PL_LC_EQ(&name, "rport"))
				via->rport = v;
			else if (PL_LC_EQ(&name, "maddr"))
				via->maddr = unbracket(v);
			break;
		case 6:
			if (PL_LC_EQ(&name, "branch"))
				via->branch = v;
			break;
		case 8:
			if (PL_LC_EQ(&name, "received"))
				via->received = unbracket(v);
			break;
		default:
			break;
		}
	}
	if (r < 0)
		return -EBADMSG;
	if (!via->params.l)
		via->params.p = NULL;
	return 0;
}
