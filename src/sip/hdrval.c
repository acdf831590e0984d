/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file hdrval.c  Decoders of single header values: digest credentials
 *                 and challenges (RFC 3261 §25.1, RFC 7616), Session-Expires
 *                 and Min-SE (RFC 4028), Reason (RFC 3326), delta-seconds.
 */
#include <errno.h>
#include <string.h>
#include "msg_int.h"

#define LOG_MOD "sip"

static void auth_set(struct sip_auth *a, const struct pl *n, const struct pl *v)
{
	static const struct {
		const char *name;
		uint8_t len;
		size_t off;
	} fields[] = {
#define F(x) { #x, sizeof(#x) - 1, offsetof(struct sip_auth, x) }
		F(username), F(realm), F(nonce), F(uri), F(response), F(algorithm),
		F(cnonce), F(opaque), F(qop), F(nc), F(stale), F(domain),
#undef F
	};

	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		if (n->l == fields[i].len && lc_eq(n->p, fields[i].name, n->l)) {
			*(struct pl *)(void *)((char *)a + fields[i].off) = *v;
			return;
		}
	}
	if (PL_LC_EQ(n, "userhash"))
		a->userhash = PL_LC_EQ(v, "true");
}

int sip_auth_decode(struct sip_auth *a, const struct pl *val)
{
	const char *p, *e, *s;

	memset(a, 0, sizeof(*a));
	if (!val || !val->p)
		return -EBADMSG;
	p = skip_lws(val->p, val->p + val->l);
	e = rskip_lws(p, val->p + val->l);
	s = p;
	p = skip_cc(p, e, CC_TOKEN);
	if (p == s)
		return -EBADMSG;
	a->scheme = pl_from(s, (size_t)(p - s));

	/* auth-param *(COMMA auth-param), param = token EQUAL (token / quoted) */
	for (bool first = true; ; first = false) {
		struct pl n, v;

		s = p;
		p = skip_lws(p, e);
		if (p == e)
			break;
		if (first) {
			if (p == s)
				return -EBADMSG;   /* LWS must follow the scheme */
		}
		else {
			if (*p != ',')
				return -EBADMSG;
			p = skip_lws(p + 1, e);
			if (p < e && *p == ',')
				continue;          /* tolerate empty list elements */
		}
		s = p;
		p = skip_cc(p, e, CC_TOKEN);
		if (p == s)
			return -EBADMSG;
		n = pl_from(s, (size_t)(p - s));
		p = skip_lws(p, e);
		if (p == e || *p != '=')
			return -EBADMSG;
		p = skip_lws(p + 1, e);
		if (p < e && *p == '"') {
			s = sip__quoted_end(p, e);
			if (!s)
				return -EBADMSG;
			v = pl_from(p + 1, (size_t)(s - p - 2));
			p = s;
		}
		else {
			s = p;
			p = skip_cc(p, e, CC_TOKEN | CC_PVAL);
			if (p == s)
				return -EBADMSG;
			v = pl_from(s, (size_t)(p - s));
		}
		auth_set(a, &n, &v);
	}
	return 0;
}

/* Leading 1*DIGIT, then LWS, ';', '(' or the end. */
static int delta(const char **pp, const char *e, uint32_t *v)
{
	const char *s = skip_lws(*pp, e), *p = skip_cc(s, e, CC_DIGIT);

	if (sip__dec(s, (size_t)(p - s), UINT32_MAX, v))
		return -EBADMSG;
	if (p < e && !cc_is(*p, CC_LWS) && *p != ';' && *p != '(')
		return -EBADMSG;
	*pp = p;
	return 0;
}

int sip_delta_decode(uint32_t *v, const struct pl *val)
{
	const char *p;

	if (!val || !val->p)
		return -EBADMSG;
	p = val->p;
	return delta(&p, p + val->l, v);
}

int sip_sess_exp_decode(struct sip_sess_exp *se, const struct pl *val)
{
	const char *p, *e;
	struct pl n, v;
	int r;

	memset(se, 0, sizeof(*se));
	if (!val || !val->p)
		return -EBADMSG;
	p = val->p;
	e = rskip_lws(p, p + val->l);
	if (delta(&p, e, &se->delta))
		return -EBADMSG;
	while ((r = sip__param_next(&p, e, &n, &v)) > 0) {
		if (PL_LC_EQ(&n, "refresher"))
			se->refresher = v;
	}
	return r < 0 ? -EBADMSG : 0;
}

int sip_reason_decode(struct sip_reason *rs, const struct pl *val)
{
	const char *p, *e, *s;
	struct pl n, v;
	int r;

	memset(rs, 0, sizeof(*rs));
	if (!val || !val->p)
		return -EBADMSG;
	p = skip_lws(val->p, val->p + val->l);
	e = rskip_lws(p, val->p + val->l);
	s = p;
	p = skip_cc(p, e, CC_TOKEN);
	if (p == s)
		return -EBADMSG;
	rs->protocol = pl_from(s, (size_t)(p - s));
	while ((r = sip__param_next(&p, e, &n, &v)) > 0) {
		if (PL_LC_EQ(&n, "cause")) {
			if (sip__dec(v.p, v.l, UINT32_MAX, &rs->cause))
				return -EBADMSG;
		}
		else if (PL_LC_EQ(&n, "text")) {
			rs->text = v;
		}
	}
	return r < 0 ? -EBADMSG : 0;
}
