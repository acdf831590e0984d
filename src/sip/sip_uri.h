/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file sip_uri.h  SIP, SIPS and tel URIs (RFC 3261 §19, RFC 3966).
 *                  Part of the sip module's public interface (via sip.h).
 */
#ifndef TL_SIP_URI_H
#define TL_SIP_URI_H

#include "core.h"

enum sip_scheme { SIP_SCHEME_OTHER = 0, SIP_SCHEME_SIP, SIP_SCHEME_SIPS, SIP_SCHEME_TEL };

/**
 * A decoded URI: views into the text it was decoded from. Escapes
 * (%XX) stay as on the wire; sip_uri_unescape() decodes a field.
 * For tel: URIs, user holds the number ("+1-201-555-0123") and host is
 * absent.
 */
struct sip_uri {
	struct pl scheme;          /* "sip", "sips", "tel", ... */
	enum sip_scheme sch;
	struct pl user;            /* absent if none */
	struct pl password;        /* absent if none */
	struct pl host;            /* without brackets for IPv6 references */
	bool host_v6;
	uint16_t port;             /* 0 when absent */
	struct pl params;          /* ";transport=tcp;lr" incl. leading ';' */
	struct pl headers;         /* "?subject=x&..." without the '?' */
	struct pl val;             /* the whole URI text */
};

/**
 * Decode a URI. Returns 0, -EBADMSG when malformed, -EPROTONOSUPPORT when
 * well-formed ("scheme:...") but not sip/sips/tel (the caller answers 416).
 */
int sip_uri_decode(struct sip_uri *uri, const struct pl *text);

/** Parameter value by name (case-insensitive); 0 or -ENOENT. */
int sip_uri_param(const struct sip_uri *uri, const char *name, struct pl *val);

/**
 * Compare two URIs by RFC 3261 §19.1.4 (sip/sips) or RFC 3966 §4 (tel):
 * user and password case-sensitive after unescaping, host case-insensitive,
 * parameters and headers by the RFC's rules. true when equivalent.
 */
bool sip_uri_equal(const struct sip_uri *a, const struct sip_uri *b);

/** Decode %XX escapes of src into dst (size n). Returns the length or
 *  -EINVAL (bad escape) / -ENOSPC. */
int sip_uri_unescape(const struct pl *src, char *dst, size_t n);

#endif /* TL_SIP_URI_H */
