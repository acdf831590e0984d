/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file hdr.c  SIP header names and methods as integers, the character
 *              class table, comma-list and parameter scanners, and header
 *              iteration over a parsed message (RFC 3261 §7.3, §20, §25).
 */
#include <errno.h>
#include <string.h>
#include "msg_int.h"

#define LOG_MOD "sip"

/* Generated from the class definitions in msg_int.h; test_hdrs checks
 * every bit against them. */
const uint16_t sip__cc[256] = {
	0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
	0x0000, 0x0006, 0x0004, 0x0000, 0x0000, 0x0004, 0x0000, 0x0000,
	0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
	0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
	0x0006, 0xabc1, 0x0800, 0x4000, 0x83c0, 0xa801, 0x81c0, 0xabc1,
	0xcbc0, 0xcbc0, 0xebc1, 0xfbc1, 0x80c0, 0xffc1, 0xffc1, 0xab40,
	0xffd9, 0xffd9, 0xffd9, 0xffd9, 0xffd9, 0xffd9, 0xffd9, 0xffd9,
	0xffd9, 0xffd9, 0xab00, 0x8040, 0x0800, 0x80c0, 0x0800, 0x8a40,
	0xa000, 0xfff1, 0xfff1, 0xfff1, 0xfff1, 0xfff1, 0xfff1, 0xbfe1,
	0xbfe1, 0xbfe1, 0xbfe1, 0xbfe1, 0xbfe1, 0xbfe1, 0xbfe1, 0xbfe1,
	0xbfe1, 0xbfe1, 0xbfe1, 0xbfe1, 0xbfe1, 0xbfe1, 0xbfe1, 0xbfe1,
	0xbfe1, 0xbfe1, 0xbfe1, 0xab00, 0x0800, 0xab00, 0x0000, 0xabc1,
	0x2801, 0xfff1, 0xfff1, 0xfff1, 0xfff1, 0xfff1, 0xfff1, 0xbfe1,
	0xbfe1, 0xbfe1, 0xbfe1, 0xbfe1, 0xbfe1, 0xbfe1, 0xbfe1, 0xbfe1,
	0xbfe1, 0xbfe1, 0xbfe1, 0xbfe1, 0xbfe1, 0xbfe1, 0xbfe1, 0xbfe1,
	0xbfe1, 0xbfe1, 0xbfe1, 0x0800, 0x0000, 0x0800, 0xabc1, 0x0000,
	0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
	0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
	0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
	0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
	0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
	0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
	0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
	0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
	0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
	0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
	0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
	0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
	0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
	0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
	0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
	0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
};

struct hdr_info {
	const char *name;     /* canonical spelling */
	const char *lname;    /* lowercase, for the compare */
	uint8_t len;
	bool list;            /* value is a comma-separated list */
};

static const struct hdr_info hdr_info[SIP_HDR__COUNT] = {
	[SIP_HDR_OTHER] = { NULL, NULL, 0, false },
	[SIP_HDR_VIA] = { "Via", "via", 3, true },
	[SIP_HDR_FROM] = { "From", "from", 4, false },
	[SIP_HDR_TO] = { "To", "to", 2, false },
	[SIP_HDR_CALL_ID] = { "Call-ID", "call-id", 7, false },
	[SIP_HDR_CSEQ] = { "CSeq", "cseq", 4, false },
	[SIP_HDR_MAX_FORWARDS] = { "Max-Forwards", "max-forwards", 12, false },
	[SIP_HDR_CONTACT] = { "Contact", "contact", 7, true },
	[SIP_HDR_ROUTE] = { "Route", "route", 5, true },
	[SIP_HDR_RECORD_ROUTE] = { "Record-Route", "record-route", 12, true },
	[SIP_HDR_EXPIRES] = { "Expires", "expires", 7, false },
	[SIP_HDR_CONTENT_TYPE] = { "Content-Type", "content-type", 12, false },
	[SIP_HDR_CONTENT_LENGTH] = { "Content-Length", "content-length", 14, false },
	[SIP_HDR_CONTENT_ENCODING] = { "Content-Encoding", "content-encoding", 16, true },
	[SIP_HDR_AUTHORIZATION] = { "Authorization", "authorization", 13, false },
	[SIP_HDR_PROXY_AUTHORIZATION] = { "Proxy-Authorization", "proxy-authorization", 19, false },
	[SIP_HDR_WWW_AUTHENTICATE] = { "WWW-Authenticate", "www-authenticate", 16, false },
	[SIP_HDR_PROXY_AUTHENTICATE] = { "Proxy-Authenticate", "proxy-authenticate", 18, false },
	[SIP_HDR_SUPPORTED] = { "Supported", "supported", 9, true },
	[SIP_HDR_REQUIRE] = { "Require", "require", 7, true },
	[SIP_HDR_PROXY_REQUIRE] = { "Proxy-Require", "proxy-require", 13, true },
	[SIP_HDR_UNSUPPORTED] = { "Unsupported", "unsupported", 11, true },
	[SIP_HDR_ALLOW] = { "Allow", "allow", 5, true },
	[SIP_HDR_ACCEPT] = { "Accept", "accept", 6, true },
	[SIP_HDR_SESSION_EXPIRES] = { "Session-Expires", "session-expires", 15, false },
	[SIP_HDR_MIN_SE] = { "Min-SE", "min-se", 6, false },
	[SIP_HDR_P_ASSERTED_IDENTITY] = { "P-Asserted-Identity", "p-asserted-identity", 19, true },
	[SIP_HDR_P_PREFERRED_IDENTITY] = { "P-Preferred-Identity", "p-preferred-identity", 20, true },
	[SIP_HDR_PRIVACY] = { "Privacy", "privacy", 7, false },
	[SIP_HDR_DIVERSION] = { "Diversion", "diversion", 9, true },
	[SIP_HDR_IDENTITY] = { "Identity", "identity", 8, false },
	[SIP_HDR_USER_AGENT] = { "User-Agent", "user-agent", 10, false },
	[SIP_HDR_SERVER] = { "Server", "server", 6, false },
	[SIP_HDR_REASON] = { "Reason", "reason", 6, true },
	[SIP_HDR_RETRY_AFTER] = { "Retry-After", "retry-after", 11, false },
	[SIP_HDR_EVENT] = { "Event", "event", 5, false },
	[SIP_HDR_SUBJECT] = { "Subject", "subject", 7, false },
	[SIP_HDR_REFER_TO] = { "Refer-To", "refer-to", 8, false },
	[SIP_HDR_REFERRED_BY] = { "Referred-By", "referred-by", 11, false },
	[SIP_HDR_RSEQ] = { "RSeq", "rseq", 4, false },
	[SIP_HDR_RACK] = { "RAck", "rack", 4, false },
	[SIP_HDR_DATE] = { "Date", "date", 4, false },
	[SIP_HDR_ALLOW_EVENTS] = { "Allow-Events", "allow-events", 12, true },
	[SIP_HDR_ACCEPT_CONTACT] = { "Accept-Contact", "accept-contact", 14, true },
	[SIP_HDR_REJECT_CONTACT] = { "Reject-Contact", "reject-contact", 14, true },
	[SIP_HDR_REQUEST_DISPOSITION] = { "Request-Disposition", "request-disposition", 19, true },
	[SIP_HDR_IDENTITY_INFO] = { "Identity-Info", "identity-info", 13, false },
	[SIP_HDR_MIN_EXPIRES] = { "Min-Expires", "min-expires", 11, false },
	[SIP_HDR_WARNING] = { "Warning", "warning", 7, true },
	[SIP_HDR_CONTENT_DISPOSITION] = { "Content-Disposition", "content-disposition", 19, false },
	[SIP_HDR_AUTHENTICATION_INFO] = { "Authentication-Info", "authentication-info", 19, false },
	[SIP_HDR_PATH] = { "Path", "path", 4, true },
	[SIP_HDR_SERVICE_ROUTE] = { "Service-Route", "service-route", 13, true },
	[SIP_HDR_HISTORY_INFO] = { "History-Info", "history-info", 12, true },
	[SIP_HDR_ACCEPT_ENCODING] = { "Accept-Encoding", "accept-encoding", 15, true },
	[SIP_HDR_ACCEPT_LANGUAGE] = { "Accept-Language", "accept-language", 15, true },
	[SIP_HDR_CONTENT_LANGUAGE] = { "Content-Language", "content-language", 16, true },
	[SIP_HDR_CALL_INFO] = { "Call-Info", "call-info", 9, true },
	[SIP_HDR_ALERT_INFO] = { "Alert-Info", "alert-info", 10, true },
	[SIP_HDR_ERROR_INFO] = { "Error-Info", "error-info", 10, true },
	[SIP_HDR_REPLY_TO] = { "Reply-To", "reply-to", 8, false },
	[SIP_HDR_IN_REPLY_TO] = { "In-Reply-To", "in-reply-to", 11, true },
	[SIP_HDR_ORGANIZATION] = { "Organization", "organization", 12, false },
	[SIP_HDR_PRIORITY] = { "Priority", "priority", 8, false },
	[SIP_HDR_MIME_VERSION] = { "MIME-Version", "mime-version", 12, false },
	[SIP_HDR_TIMESTAMP] = { "Timestamp", "timestamp", 9, false },
	[SIP_HDR_SUBSCRIPTION_STATE] = { "Subscription-State", "subscription-state", 18, false },
	[SIP_HDR_REPLACES] = { "Replaces", "replaces", 8, false },
	[SIP_HDR_TARGET_DIALOG] = { "Target-Dialog", "target-dialog", 13, false },
};

/* RFC 3261 §7.3.3, RFC 3265, 3515, 3841, 3892, 4028, 4474: one letter each. */
static const uint8_t hdr_compact[26] = {
	['a' - 'a'] = SIP_HDR_ACCEPT_CONTACT,
	['b' - 'a'] = SIP_HDR_REFERRED_BY,
	['c' - 'a'] = SIP_HDR_CONTENT_TYPE,
	['d' - 'a'] = SIP_HDR_REQUEST_DISPOSITION,
	['e' - 'a'] = SIP_HDR_CONTENT_ENCODING,
	['f' - 'a'] = SIP_HDR_FROM,
	['i' - 'a'] = SIP_HDR_CALL_ID,
	['j' - 'a'] = SIP_HDR_REJECT_CONTACT,
	['k' - 'a'] = SIP_HDR_SUPPORTED,
	['l' - 'a'] = SIP_HDR_CONTENT_LENGTH,
	['m' - 'a'] = SIP_HDR_CONTACT,
	['n' - 'a'] = SIP_HDR_IDENTITY_INFO,
	['o' - 'a'] = SIP_HDR_EVENT,
	['r' - 'a'] = SIP_HDR_REFER_TO,
	['s' - 'a'] = SIP_HDR_SUBJECT,
	['t' - 'a'] = SIP_HDR_TO,
	['u' - 'a'] = SIP_HDR_ALLOW_EVENTS,
	['v' - 'a'] = SIP_HDR_VIA,
	['x' - 'a'] = SIP_HDR_SESSION_EXPIRES,
	['y' - 'a'] = SIP_HDR_IDENTITY,
};

/*
 * Perfect hash of the full names (lowercase): no two known names share a
 * slot, so one table read and one compare decide. HDR_HASH must stay in
 * step with the slot numbers below; test_hdrs round-trips every name.
 */
#define HDR_HASH(l, c0, cl, cm) \
	((((l) * 14u) + ((c0) * 12u) + ((cl) * 15u) + (cm)) & 255u)

static const uint8_t hdr_slot[256] = {
	[4] = SIP_HDR_PATH,
	[17] = SIP_HDR_ACCEPT,
	[18] = SIP_HDR_DIVERSION,
	[24] = SIP_HDR_RECORD_ROUTE,
	[26] = SIP_HDR_REQUIRE,
	[29] = SIP_HDR_AUTHORIZATION,
	[32] = SIP_HDR_SESSION_EXPIRES,
	[36] = SIP_HDR_PROXY_AUTHORIZATION,
	[45] = SIP_HDR_SUPPORTED,
	[47] = SIP_HDR_PRIVACY,
	[51] = SIP_HDR_EVENT,
	[53] = SIP_HDR_USER_AGENT,
	[55] = SIP_HDR_ALLOW,
	[56] = SIP_HDR_RACK,
	[57] = SIP_HDR_PRIORITY,
	[61] = SIP_HDR_REQUEST_DISPOSITION,
	[68] = SIP_HDR_EXPIRES,
	[70] = SIP_HDR_CONTACT,
	[71] = SIP_HDR_DATE,
	[75] = SIP_HDR_REJECT_CONTACT,
	[78] = SIP_HDR_CALL_ID,
	[83] = SIP_HDR_PROXY_REQUIRE,
	[86] = SIP_HDR_ALLOW_EVENTS,
	[92] = SIP_HDR_TARGET_DIALOG,
	[98] = SIP_HDR_UNSUPPORTED,
	[106] = SIP_HDR_SERVICE_ROUTE,
	[109] = SIP_HDR_WARNING,
	[119] = SIP_HDR_IN_REPLY_TO,
	[120] = SIP_HDR_AUTHENTICATION_INFO,
	[123] = SIP_HDR_REFERRED_BY,
	[124] = SIP_HDR_TO,
	[127] = SIP_HDR_ACCEPT_CONTACT,
	[130] = SIP_HDR_HISTORY_INFO,
	[136] = SIP_HDR_MIN_SE,
	[137] = SIP_HDR_CONTENT_DISPOSITION,
	[143] = SIP_HDR_PROXY_AUTHENTICATE,
	[145] = SIP_HDR_REASON,
	[148] = SIP_HDR_RSEQ,
	[151] = SIP_HDR_IDENTITY_INFO,
	[155] = SIP_HDR_MIME_VERSION,
	[171] = SIP_HDR_CONTENT_TYPE,
	[173] = SIP_HDR_CONTENT_LENGTH,
	[180] = SIP_HDR_SUBSCRIPTION_STATE,
	[181] = SIP_HDR_ACCEPT_LANGUAGE,
	[187] = SIP_HDR_REFER_TO,
	[194] = SIP_HDR_REPLY_TO,
	[196] = SIP_HDR_WWW_AUTHENTICATE,
	[197] = SIP_HDR_P_ASSERTED_IDENTITY,
	[198] = SIP_HDR_ALERT_INFO,
	[200] = SIP_HDR_ORGANIZATION,
	[202] = SIP_HDR_VIA,
	[204] = SIP_HDR_ACCEPT_ENCODING,
	[205] = SIP_HDR_RETRY_AFTER,
	[208] = SIP_HDR_CALL_INFO,
	[210] = SIP_HDR_FROM,
	[211] = SIP_HDR_P_PREFERRED_IDENTITY,
	[219] = SIP_HDR_CONTENT_LANGUAGE,
	[220] = SIP_HDR_SERVER,
	[224] = SIP_HDR_CSEQ,
	[230] = SIP_HDR_REPLACES,
	[231] = SIP_HDR_IDENTITY,
	[235] = SIP_HDR_MIN_EXPIRES,
	[241] = SIP_HDR_TIMESTAMP,
	[242] = SIP_HDR_CONTENT_ENCODING,
	[243] = SIP_HDR_MAX_FORWARDS,
	[246] = SIP_HDR_ERROR_INFO,
	[252] = SIP_HDR_SUBJECT,
	[254] = SIP_HDR_ROUTE,
};

static inline uint64_t ld8(const char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static inline uint32_t ld4(const char *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static inline uint16_t ld2(const char *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}

/*
 * p equals lowercase lname ignoring ASCII case, a word at a time.
 * Letters in lname have bit 6 set; shifted down it becomes the 0x20
 * case bit, so only letter positions fold case ('-' and digits compare
 * exactly).
 */
#define CASE_EQ(w, lw, m) ((((w) | (((lw) & (m)) >> 1))) == (lw))

/* Overlapping whole-word loads, no byte loop; l >= 2. */
static inline bool name_eq(const char *p, const char *lname, size_t l)
{
	const uint64_t m8 = 0x4040404040404040ull;

	if (l >= 8) {
		for (size_t i = 0; i + 8 <= l; i += 8) {
			if (!CASE_EQ(ld8(p + i), ld8(lname + i), m8))
				return false;
		}
		return CASE_EQ(ld8(p + l - 8), ld8(lname + l - 8), m8);
	}
	if (l >= 4)
		return CASE_EQ(ld4(p), ld4(lname), 0x40404040u) &&
		       CASE_EQ(ld4(p + l - 4), ld4(lname + l - 4), 0x40404040u);
	return CASE_EQ(ld2(p), ld2(lname), 0x4040u) &&
	       CASE_EQ(ld2(p + l - 2), ld2(lname + l - 2), 0x4040u);
}

enum sip_hdrid sip_hdr_id(const struct pl *name)
{
	const char *p = name->p;
	size_t l = name->l;
	unsigned c0, cl, cm, id;

	if (!p || !l)
		return SIP_HDR_OTHER;
	c0 = (unsigned char)p[0] | 0x20;
	if (l == 1)
		return (c0 >= 'a' && c0 <= 'z') ? (enum sip_hdrid)hdr_compact[c0 - 'a']
						 : SIP_HDR_OTHER;
	if (l > 32)
		return SIP_HDR_OTHER;
	cl = (unsigned char)p[l - 1] | 0x20;
	cm = (unsigned char)p[l / 2] | 0x20;
	id = hdr_slot[HDR_HASH((unsigned)l, c0, cl, cm)];
	if (id && hdr_info[id].len == l && name_eq(p, hdr_info[id].lname, l))
		return (enum sip_hdrid)id;
	return SIP_HDR_OTHER;
}

const char *sip_hdr_name(enum sip_hdrid id)
{
	if ((unsigned)id >= SIP_HDR__COUNT)
		return NULL;
	return hdr_info[id].name;
}

bool sip__hdr_is_list(enum sip_hdrid id)
{
	return (unsigned)id < SIP_HDR__COUNT && hdr_info[id].list;
}

static const struct {
	const char *name;
	uint8_t len;
} methods[] = {
	[SIP_INVITE] = { "INVITE", 6 },     [SIP_ACK] = { "ACK", 3 },
	[SIP_BYE] = { "BYE", 3 },           [SIP_CANCEL] = { "CANCEL", 6 },
	[SIP_OPTIONS] = { "OPTIONS", 7 },   [SIP_REGISTER] = { "REGISTER", 8 },
	[SIP_PRACK] = { "PRACK", 5 },       [SIP_SUBSCRIBE] = { "SUBSCRIBE", 9 },
	[SIP_NOTIFY] = { "NOTIFY", 6 },     [SIP_PUBLISH] = { "PUBLISH", 7 },
	[SIP_INFO] = { "INFO", 4 },         [SIP_REFER] = { "REFER", 5 },
	[SIP_MESSAGE] = { "MESSAGE", 7 },   [SIP_UPDATE] = { "UPDATE", 6 },
};

enum sip_method sip_method_id(const struct pl *name)
{
	if (!name->p || name->l < 3 || name->l > 9)
		return SIP_METHOD_OTHER;
	/* INVITE first: it and ACK/BYE are most of the traffic */
	for (unsigned m = SIP_INVITE; m < ARRAY_SIZE(methods); m++) {
		if (methods[m].len == name->l && !memcmp(methods[m].name, name->p, name->l))
			return (enum sip_method)m;
	}
	return SIP_METHOD_OTHER;
}

const char *sip_method_name(enum sip_method m)
{
	if (m == SIP_METHOD_OTHER || (unsigned)m >= ARRAY_SIZE(methods))
		return NULL;
	return methods[m].name;
}

/* ------------------------------------------------------------------ */
/* Scanners                                                              */
/* ------------------------------------------------------------------ */

const char *sip__quoted_end(const char *p, const char *e)
{
	for (p++; p < e; p++) {
		if (*p == '"')
			return p + 1;
		if (*p == '\\') {
			if (++p == e)
				return NULL;
		}
	}
	return NULL;
}

const char *sip__elem_end(const char *p, const char *e, unsigned maxnest)
{
	unsigned angle = 0, paren = 0;

	if (!maxnest)
		maxnest = SIP_NEST_DEFAULT;
	for (; p < e; p++) {
		switch (*p) {
		case '"':
			if (angle + paren + 1 > maxnest)
				return NULL;
			p = sip__quoted_end(p, e);
			if (!p)
				return NULL;
			p--;
			break;
		case '<':
			if (++angle + paren > maxnest)
				return NULL;
			break;
		case '>':
			if (angle)
				angle--;
			break;
		case '(':
			if (angle + ++paren > maxnest)
				return NULL;
			break;
		case ')':
			if (paren)
				paren--;
			break;
		case '\\':
			/* quoted-pair, only meaningful inside a comment */
			if (paren && ++p == e)
				return NULL;
			break;
		case ',':
			if (!angle && !paren)
				return p;
			break;
		default:
			break;
		}
	}
	return (angle || paren) ? NULL : e;
}

int sip__param_scan(const char **pp, const char *e, struct pl *name, struct pl *val,
		    unsigned nmask, unsigned vmask)
{
	const char *p = skip_lws(*pp, e), *s, *q;

	if (p == e) {
		*pp = p;
		return 0;
	}
	if (*p != ';')
		return -EBADMSG;
	s = skip_lws(p + 1, e);
	p = skip_cc(s, e, nmask);
	if (p == s)
		return -EBADMSG;
	*name = pl_from(s, (size_t)(p - s));
	q = skip_lws(p, e);
	if (q < e && *q == '=') {
		q = skip_lws(q + 1, e);
		if (q < e && *q == '"') {
			p = sip__quoted_end(q, e);
			if (!p)
				return -EBADMSG;
			*val = pl_from(q + 1, (size_t)(p - q - 2));
		}
		else {
			p = skip_cc(q, e, vmask);
			if (p == q)
				return -EBADMSG;
			*val = pl_from(q, (size_t)(p - q));
		}
	}
	else {
		*val = pl_from(p, 0);
	}
	*pp = p;
	return 1;
}

int sip__param_next(const char **pp, const char *e, struct pl *name, struct pl *val)
{
	return sip__param_scan(pp, e, name, val, CC_TOKEN, CC_PVAL);
}

int sip__dec(const char *p, size_t l, uint32_t max, uint32_t *v)
{
	uint64_t r = 0;

	if (!l || l > 10)
		return -EBADMSG;
	for (size_t i = 0; i < l; i++) {
		unsigned d = (unsigned char)p[i] - '0';
		if (d > 9)
			return -EBADMSG;
		r = r * 10 + d;
	}
	if (r > max)
		return -EBADMSG;
	*v = (uint32_t)r;
	return 0;
}

int sip_param_get(const struct pl *params, const char *name, struct pl *val)
{
	struct pl want = pl_cstr(name), n, v;
	const char *p, *e;
	int r;

	if (!params || !params->p)
		return -ENOENT;
	p = params->p;
	e = p + params->l;
	/* header params (token) and URI params (paramchar, escapes) alike */
	while ((r = sip__param_scan(&p, e, &n, &v, CC_TOKEN | CC_PARAM, CC_PVAL | CC_PARAM)) > 0) {
		if (!pl_casecmp(&n, &want)) {
			*val = v;
			return 0;
		}
	}
	return r < 0 ? -EBADMSG : -ENOENT;
}

/* ------------------------------------------------------------------ */
/* Iteration over a parsed message                                       */
/* ------------------------------------------------------------------ */

void sip_hdr_iter_init(struct sip_hdr_iter *it, const struct sip_msg *msg, enum sip_hdrid id)
{
	it->msg = msg;
	it->hdr = (unsigned)id < SIP_HDR__COUNT ? msg->first[id] : SIP_HDR_NONE;
	it->off = 0;
}

bool sip_hdr_iter_next(struct sip_hdr_iter *it, struct pl *val)
{
	const struct sip_msg *msg = it->msg;

	while (it->hdr != SIP_HDR_NONE && it->hdr < msg->hdrc) {
		const struct sip_hdr *h = &msg->hdrv[it->hdr];
		const char *s, *e, *q;

		if (it->off > h->val.l) {
			it->hdr = h->next;
			it->off = 0;
			continue;
		}
		if (!sip__hdr_is_list(h->id)) {
			*val = h->val;
			it->off = h->val.l + 1;
			return true;
		}
		s = h->val.p + it->off;
		e = h->val.p + h->val.l;
		q = sip__elem_end(s, e, msg->nest);
		if (!q)
			q = e;    /* unbalanced: the rest is one (bad) element */
		it->off = (size_t)(q - h->val.p) + 1;
		s = skip_lws(s, q);
		q = rskip_lws(s, q);
		if (q == s)
			continue; /* ",," and trailing commas hold no element */
		*val = pl_from(s, (size_t)(q - s));
		return true;
	}
	return false;
}

unsigned sip_msg_hdr_count(const struct sip_msg *msg, enum sip_hdrid id)
{
	struct sip_hdr_iter it;
	struct pl v;
	unsigned n = 0;

	sip_hdr_iter_init(&it, msg, id);
	while (sip_hdr_iter_next(&it, &v))
		n++;
	return n;
}

bool sip_msg_has_token(const struct sip_msg *msg, enum sip_hdrid id, const struct pl *token)
{
	struct sip_hdr_iter it;
	struct pl v;

	sip_hdr_iter_init(&it, msg, id);
	while (sip_hdr_iter_next(&it, &v)) {
		const char *p = v.p, *e = v.p + v.l;

		/* Privacy separates by ';', the others by ',' */
		while (p < e) {
			const char *s = skip_lws(p, e), *q = s;
			struct pl t;

			while (q < e && *q != ';' && *q != ',')
				q++;
			t = pl_from(s, (size_t)(rskip_lws(s, q) - s));
			if (t.l && !pl_casecmp(&t, token))
				return true;
			p = q + 1;
		}
	}
	return false;
}
