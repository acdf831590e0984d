/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file msg_int.h  Internals shared by the SIP parser files (msg.c, hdr.c,
 *                  via.c, addr.c, hdrval.c, uri.c): character classes and
 *                  the small scanners every header decoder needs.
 *
 * Every scanner takes an explicit end pointer and never reads at or past
 * it: the parser is fuzzed and its input ends wherever the datagram ends.
 */
#ifndef TL_SIP_MSG_INT_H
#define TL_SIP_MSG_INT_H

#include "sip.h"

/* Character classes of RFC 3261 §25.1, one bit each (table in hdr.c). */
enum {
	CC_TOKEN = 1 << 0,     /* token: alphanum - . ! % * _ + ` ' ~ */
	CC_WS = 1 << 1,        /* SP HTAB */
	CC_LWS = 1 << 2,       /* SP HTAB CR LF */
	CC_DIGIT = 1 << 3,     /* 0-9 */
	CC_HEX = 1 << 4,       /* 0-9 a-f A-F */
	CC_ALPHA = 1 << 5,     /* a-z A-Z */
	CC_USER = 1 << 6,      /* URI user: unreserved & = + $ , ; ? / */
	CC_PASS = 1 << 7,      /* URI password: unreserved & = + $ , */
	CC_PARAM = 1 << 8,     /* URI paramchar: unreserved [ ] / : & + $ */
	CC_HDRC = 1 << 9,      /* URI hname/hvalue: unreserved [ ] / ? : + $ */
	CC_HOST = 1 << 10,     /* hostname / IPv4: alphanum - . */
	CC_WORD = 1 << 11,     /* Call-ID word */
	CC_SCHEME = 1 << 12,   /* scheme after its first ALPHA: alphanum + - . */
	CC_PVAL = 1 << 13,     /* generic-param value: token : [ ] / @ */
	CC_TEL = 1 << 14,      /* tel number: hex digits * # + and visual separators - . ( ) */
	CC_URIC = 1 << 15,     /* any URI character (opaque URIs of other schemes) */
};

extern const uint16_t sip__cc[256];

static inline bool cc_is(char c, unsigned mask)
{
	return (sip__cc[(unsigned char)c] & mask) != 0;
}

/** Skip SP, HTAB, CR, LF (folding already proved CRLF is followed by WS). */
static inline const char *skip_lws(const char *p, const char *e)
{
	while (p < e && cc_is(*p, CC_LWS))
		p++;
	return p;
}

/** Back up over LWS: the new end of [s, e). */
static inline const char *rskip_lws(const char *s, const char *e)
{
	while (e > s && cc_is(e[-1], CC_LWS))
		e--;
	return e;
}

/** Skip a run of characters of class mask. */
static inline const char *skip_cc(const char *p, const char *e, unsigned mask)
{
	while (p < e && cc_is(*p, mask))
		p++;
	return p;
}

static inline int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/** p at '"': pointer after the closing quote, NULL when unterminated. */
const char *sip__quoted_end(const char *p, const char *e);

/**
 * End of one element of a comma list starting at p: the first ',' outside
 * quotes, <...> and (comments), or e. NULL when a quote or bracket is left
 * open or nesting goes deeper than maxnest.
 */
const char *sip__elem_end(const char *p, const char *e, unsigned maxnest);

/**
 * Next ";name[=value]" of a parameter list (LWS allowed around ';' and
 * '='). *pp starts at the ';' (or LWS before it) and moves past the
 * parameter. Quoted values come back without their quotes. Returns 1 for a
 * parameter, 0 at the end, -EBADMSG when malformed.
 */
int sip__param_next(const char **pp, const char *e, struct pl *name, struct pl *val);
/** The same with the name and value character classes given. */
int sip__param_scan(const char **pp, const char *e, struct pl *name, struct pl *val,
		    unsigned nmask, unsigned vmask);

/** Decimal of [p, p+l), 1..10 digits, at most max. 0 or -EBADMSG. */
int sip__dec(const char *p, size_t l, uint32_t max, uint32_t *v);

/** Header id splits into comma-separated elements (Via, Contact, ...). */
bool sip__hdr_is_list(enum sip_hdrid id);

/** Case-insensitive compare of n bytes of p with lowercase lit. */
static inline bool lc_eq(const char *p, const char *lit, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char t = lit[i], c = p[i];
		if (c != t && !(t >= 'a' && t <= 'z' && (c | 0x20) == t))
			return false;
	}
	return true;
}

static inline bool pl_lc_eq(const struct pl *x, const char *lit, size_t n)
{
	return x->l == n && lc_eq(x->p, lit, n);
}
#define PL_LC_EQ(x, lit) pl_lc_eq((x), lit, sizeof(lit) - 1)

#endif /* TL_SIP_MSG_INT_H */
