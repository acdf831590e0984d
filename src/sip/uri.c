/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file uri.c  SIP, SIPS and tel URIs: decode in place (RFC 3261 §19.1,
 *              §25.1; RFC 3966; RFC 5118 IPv6 references) and compare
 *              (RFC 3261 §19.1.4, RFC 3966 §4).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include "msg_int.h"

#define LOG_MOD "sip"

/* Run of mask chars or %XX escapes; NULL on a bad escape. */
static const char *skip_esc(const char *p, const char *e, unsigned mask)
{
	while (p < e) {
		if (*p == '%') {
			if (e - p < 3 || hexval(p[1]) < 0 || hexval(p[2]) < 0)
				return NULL;
			p += 3;
		}
		else if (cc_is(*p, mask)) {
			p++;
		}
		else {
			break;
		}
	}
	return p;
}

/* "[" IPv6 "]" at p; host without brackets. RFC 5118 §4.10's three-colon
 * form is tolerated: only the characters are checked. */
static const char *ipv6_ref(const char *p, const char *e, struct pl *host)
{
	const char *s = ++p;

	while (p < e && (cc_is(*p, CC_HEX) || *p == ':' || *p == '.'))
		p++;
	if (p == e || *p != ']' || p - s < 2 || !memchr(s, ':', (size_t)(p - s)))
		return NULL;
	*host = pl_from(s, (size_t)(p - s));
	return p + 1;
}

static int decode_sip(struct sip_uri *uri, const char *p, const char *e)
{
	const char *at = memchr(p, '@', (size_t)(e - p)), *s;
	uint32_t port;

	if (at) {
		s = p;
		p = skip_esc(p, at, CC_USER);
		if (!p || p == s)
			return -EBADMSG;
		uri->user = pl_from(s, (size_t)(p - s));
		if (p < at && *p == ':') {
			s = ++p;
			p = skip_esc(p, at, CC_PASS);
			if (!p)
				return -EBADMSG;
			uri->password = pl_from(s, (size_t)(p - s));
		}
		if (p != at)
			return -EBADMSG;
		p++;
	}

	if (p < e && *p == '[') {
		p = ipv6_ref(p, e, &uri->host);
		if (!p)
			return -EBADMSG;
		uri->host_v6 = true;
	}
	else {
		s = p;
		p = skip_cc(p, e, CC_HOST);
		if (p == s)
			return -EBADMSG;
		uri->host = pl_from(s, (size_t)(p - s));
	}
	if (p < e && *p == ':') {
		s = ++p;
		p = skip_cc(p, e, CC_DIGIT);
		if (sip__dec(s, (size_t)(p - s), 65535, &port))
			return -EBADMSG;
		uri->port = (uint16_t)port;
	}

	if (p < e && *p == ';') {
		s = p;
		while (p < e && *p == ';') {
			const char *n = ++p;

			p = skip_esc(p, e, CC_PARAM);
			if (!p || p == n)
				return -EBADMSG;
			if (p < e && *p == '=') {
				n = ++p;
				p = skip_esc(p, e, CC_PARAM);
				if (!p || p == n)
					return -EBADMSG;
			}
		}
		uri->params = pl_from(s, (size_t)(p - s));
	}

	if (p < e && *p == '?') {
		s = ++p;
		for (;;) {
			const char *n = p;

			p = skip_esc(p, e, CC_HDRC);
			if (!p || p == n || p == e || *p != '=')
				return -EBADMSG;
			p = skip_esc(p + 1, e, CC_HDRC);
			if (!p)
				return -EBADMSG;
			if (p == e || *p != '&')
				break;
			p++;
		}
		uri->headers = pl_from(s, (size_t)(p - s));
	}
	return p == e ? 0 : -EBADMSG;
}

/* RFC 3966: telephone-subscriber *par; the number goes to user. */
static int decode_tel(struct sip_uri *uri, const char *p, const char *e)
{
	const char *s = p;
	bool global = p < e && *p == '+', digit = false;

	if (global)
		p++;
	for (; p < e && cc_is(*p, CC_TEL) && *p != '+'; p++) {
		if (cc_is(*p, CC_DIGIT) || (!global && (cc_is(*p, CC_HEX) || *p == '*' || *p == '#')))
			digit = true;
		else if (!strchr("-.()", *p))
			return -EBADMSG;
	}
	if (!digit)
		return -EBADMSG;
	uri->user = pl_from(s, (size_t)(p - s));
	if (p < e && *p == ';') {
		s = p;
		while (p < e && *p == ';') {
			const char *n = ++p;

			p = skip_cc(p, e, CC_ALPHA | CC_DIGIT | CC_HOST);
			if (p == n)
				return -EBADMSG;
			if (p < e && *p == '=') {
				n = ++p;
				p = skip_esc(p, e, CC_PARAM);
				if (!p || p == n)
					return -EBADMSG;
			}
		}
		uri->params = pl_from(s, (size_t)(p - s));
	}
	if (p != e)
		return -EBADMSG;
	/* RFC 3966 §5.1.5: a local number needs its context */
	if (!global) {
		struct pl ctx;
		if (sip_param_get(&uri->params, "phone-context", &ctx))
			return -EBADMSG;
	}
	return 0;
}

int sip_uri_decode(struct sip_uri *uri, const struct pl *text)
{
	const char *p, *e, *s;

	memset(uri, 0, sizeof(*uri));
	if (!text || !text->p || !text->l)
		return -EBADMSG;
	p = text->p;
	e = p + text->l;
	uri->val = *text;

	if (!cc_is(*p, CC_ALPHA))
		return -EBADMSG;
	s = p;
	p = skip_cc(p + 1, e, CC_SCHEME);
	if (p == e || *p != ':')
		return -EBADMSG;
	uri->scheme = pl_from(s, (size_t)(p - s));
	p++;

	if (PL_LC_EQ(&uri->scheme, "sip"))
		uri->sch = SIP_SCHEME_SIP;
	else if (PL_LC_EQ(&uri->scheme, "sips"))
		uri->sch = SIP_SCHEME_SIPS;
	else if (PL_LC_EQ(&uri->scheme, "tel"))
		uri->sch = SIP_SCHEME_TEL;

	switch (uri->sch) {
	case SIP_SCHEME_SIP:
	case SIP_SCHEME_SIPS:
		return decode_sip(uri, p, e);
	case SIP_SCHEME_TEL:
		return decode_tel(uri, p, e);
	default:
		/* absoluteURI: opaque, but it must be URI characters */
		if (p == e || skip_cc(p, e, CC_URIC | CC_TOKEN) != e)
			return -EBADMSG;
		return -EPROTONOSUPPORT;
	}
}

int sip_uri_param(const struct sip_uri *uri, const char *name, struct pl *val)
{
	int err = sip_param_get(&uri->params, name, val);

	return err ? -ENOENT : 0;
}

int sip_uri_unescape(const struct pl *src, char *dst, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; src->p && i < src->l; i++) {
		char c = src->p[i];

		if (c == '%') {
			if (src->l - i < 3 || hexval(src->p[i + 1]) < 0 || hexval(src->p[i + 2]) < 0)
				return -EINVAL;
			c = (char)(hexval(src->p[i + 1]) << 4 | hexval(src->p[i + 2]));
			i += 2;
		}
		if (o + 1 >= n)
			return -ENOSPC;
		dst[o++] = c;
	}
	if (!n)
		return -ENOSPC;
	dst[o] = '\0';
	return (int)o;
}

/* ------------------------------------------------------------------ */
/* Comparison                                                            */
/* ------------------------------------------------------------------ */

/* Next character with %XX decoded; -1 at the end. */
static int esc_next(const char **pp, const char *e)
{
	const char *p = *pp;
	int c;

	if (p >= e)
		return -1;
	c = (unsigned char)*p;
	if (c == '%' && e - p >= 3 && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
		*pp = p + 3;
		return hexval(p[1]) << 4 | hexval(p[2]);
	}
	*pp = p + 1;
	return c;
}

static int lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

/* Equal after unescaping; skip: characters ignored (tel visual separators). */
static bool esc_eq(const struct pl *a, const struct pl *b, bool ci, const char *skip)
{
	const char *pa, *ea, *pb, *eb;

	if (!a->p || !b->p)
		return !a->p && !b->p;
	pa = a->p, ea = pa + a->l;
	pb = b->p, eb = pb + b->l;
	for (;;) {
		int ca, cb;

		do
			ca = esc_next(&pa, ea);
		while (skip && ca > 0 && strchr(skip, ca));
		do
			cb = esc_next(&pb, eb);
		while (skip && cb > 0 && strchr(skip, cb));
		if (ci) {
			ca = lower(ca);
			cb = lower(cb);
		}
		if (ca != cb)
			return false;
		if (ca < 0)
			return true;
	}
}

static bool host_eq(const struct sip_uri *a, const struct sip_uri *b)
{
	if (a->host_v6 && b->host_v6 && a->host.l < 64 && b->host.l < 64) {
		char sa[64], sb[64];
		struct in6_addr ia, ib;

		memcpy(sa, a->host.p, a->host.l);
		sa[a->host.l] = '\0';
		memcpy(sb, b->host.p, b->host.l);
		sb[b->host.l] = '\0';
		if (inet_pton(AF_INET6, sa, &ia) == 1 && inet_pton(AF_INET6, sb, &ib) == 1)
			return !memcmp(&ia, &ib, sizeof(ia));
	}
	return a->host_v6 == b->host_v6 && !pl_casecmp(&a->host, &b->host);
}

/* Value of the parameter named like n (unescaped, case-insensitive). */
static bool param_find(const struct pl *params, const struct pl *n, struct pl *val)
{
	const char *p, *e;
	struct pl pn, pv;

	if (!params->p)
		return false;
	p = params->p;
	e = p + params->l;
	while (sip__param_scan(&p, e, &pn, &pv, CC_PARAM | CC_TOKEN, CC_PARAM | CC_TOKEN) > 0) {
		if (esc_eq(&pn, n, true, NULL)) {
			*val = pv;
			return true;
		}
	}
	return false;
}

static unsigned param_count(const struct pl *params)
{
	const char *p, *e;
	struct pl pn, pv;
	unsigned n = 0;

	if (!params->p)
		return 0;
	p = params->p;
	e = p + params->l;
	while (sip__param_scan(&p, e, &pn, &pv, CC_PARAM | CC_TOKEN, CC_PARAM | CC_TOKEN) > 0)
		n++;
	return n;
}

/*
 * Parameters of a compared to b. must_match: every parameter of a must be
 * in b with the same value (tel); otherwise a parameter of a only has to
 * match when b has it too. A name given twice matches any of b's values
 * for it, so that every URI equals itself.
 */
static bool params_cover(const struct pl *a, const struct pl *b, bool must_match, const char *skip)
{
	const char *p, *e;
	struct pl pn, pv;

	if (!a->p)
		return true;
	p = a->p;
	e = p + a->l;
	while (sip__param_scan(&p, e, &pn, &pv, CC_PARAM | CC_TOKEN, CC_PARAM | CC_TOKEN) > 0) {
		const char *q = b->p, *be = q ? q + b->l : NULL;
		struct pl bn, bv;
		bool named = false, match = false;

		while (q && !match &&
		       sip__param_scan(&q, be, &bn, &bv, CC_PARAM | CC_TOKEN, CC_PARAM | CC_TOKEN) > 0) {
			if (!esc_eq(&pn, &bn, true, NULL))
				continue;
			named = true;
			match = esc_eq(&pv, &bv, true, skip);
		}
		if (!named && !must_match)
			continue;
		if (!match)
			return false;
	}
	return true;
}

/* RFC 3261 §19.1.4: these must match when present in either URI. */
static bool special_params_eq(const struct pl *a, const struct pl *b)
{
	static const struct pl names[] = {
		{ "user", 4 }, { "ttl", 3 }, { "method", 6 }, { "maddr", 5 }, { "transport", 9 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		struct pl va, vb;
		bool ha = param_find(a, &names[i], &va), hb = param_find(b, &names[i], &vb);

		if (ha != hb || (ha && !esc_eq(&va, &vb, true, NULL)))
			return false;
	}
	return true;
}

/* hname=hvalue pairs of a, each in b; names case-insensitive. */
static bool headers_cover(const struct pl *a, const struct pl *b, unsigned *count)
{
	const char *p = a->p, *e = p ? p + a->l : NULL;

	*count = 0;
	while (p && p < e) {
		const char *amp = memchr(p, '&', (size_t)(e - p)), *eq, *end = amp ? amp : e;
		const char *q = b->p, *be = q ? q + b->l : NULL;
		struct pl n, v;
		bool found = false;

		eq = memchr(p, '=', (size_t)(end - p));
		n = pl_from(p, (size_t)((eq ? eq : end) - p));
		v = eq ? pl_from(eq + 1, (size_t)(end - eq - 1)) : pl_from(end, 0);
		(*count)++;
		while (q && q < be && !found) {
			const char *bamp = memchr(q, '&', (size_t)(be - q)), *bend = bamp ? bamp : be;
			const char *beq = memchr(q, '=', (size_t)(bend - q));
			struct pl bn = pl_from(q, (size_t)((beq ? beq : bend) - q));
			struct pl bv = beq ? pl_from(beq + 1, (size_t)(bend - beq - 1)) : pl_from(bend, 0);

			found = esc_eq(&n, &bn, true, NULL) && esc_eq(&v, &bv, false, NULL);
			q = bamp ? bamp + 1 : be;
		}
		if (!found)
			return false;
		p = amp ? amp + 1 : e;
	}
	return true;
}

static bool tel_equal(const struct sip_uri *a, const struct sip_uri *b)
{
	static const char vis[] = "-.()";
	bool ga = a->user.l && a->user.p[0] == '+', gb = b->user.l && b->user.p[0] == '+';

	if (ga != gb || !esc_eq(&a->user, &b->user, true, vis))
		return false;
	/* RFC 3966 §4: the same parameter set, values case-insensitive */
	return param_count(&a->params) == param_count(&b->params) &&
	       params_cover(&a->params, &b->params, true, NULL);
}

bool sip_uri_equal(const struct sip_uri *a, const struct sip_uri *b)
{
	unsigned na, nb;

	if (a->sch != b->sch)
		return false;
	switch (a->sch) {
	case SIP_SCHEME_TEL:
		return tel_equal(a, b);
	case SIP_SCHEME_SIP:
	case SIP_SCHEME_SIPS:
		break;
	default:
		/* other schemes: scheme case-insensitive, the rest as is */
		return !pl_casecmp(&a->scheme, &b->scheme) && a->val.l == b->val.l &&
		       !memcmp(a->val.p + a->scheme.l, b->val.p + b->scheme.l,
			       a->val.l - a->scheme.l);
	}

	if (!esc_eq(&a->user, &b->user, false, NULL) ||
	    !esc_eq(&a->password, &b->password, false, NULL) ||
	    !host_eq(a, b) || a->port != b->port)
		return false;
	if (!special_params_eq(&a->params, &b->params) ||
	    !params_cover(&a->params, &b->params, false, NULL))
		return false;
	if (!headers_cover(&a->headers, &b->headers, &na) ||
	    !headers_cover(&b->headers, &a->headers, &nb) || na != nb)
		return false;
	return true;
}
