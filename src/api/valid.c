/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file valid.c  Checks of the values the API accepts. Each names the
 *                field at fault and says what it expects. Where the code
 *                that uses a value already knows how to read it, the check
 *                is that code: CIDRs by route_cidr_parse, numbers by
 *                route_normalise, URIs by sip_uri_decode, money by
 *                dec_parse (never binary floating point).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "api_int.h"
#include "route.h"
#include "sip.h"

#define LOG_MOD "api"

static bool all_digits(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s);

	return n >= min && n <= max && strspn(s, "0123456789") == n;
}

static bool has_ctl(const char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	}
	return false;
}

int api_v_name(struct api_req *r, const char *field, const char *in, const char **out)
{
	size_t n = strlen(in);

	if (!n || n > 64 || has_ctl(in) || isspace((unsigned char)in[0]) ||
	    isspace((unsigned char)in[n - 1])) {
		api_field_err(r, field, "expected 1 to 64 characters without control characters "
			      "or blanks at either end");
		return -EINVAL;
	}
	*out = in;
	return 0;
}

int api_v_country(struct api_req *r, const char *field, const char *in, const char **out)
{
	char cc[3];

	if (strlen(in) != 2 || !isalpha((unsigned char)in[0]) || !isalpha((unsigned char)in[1])) {
		api_field_err(r, field, "expected a 2-letter ISO 3166 code like GB, got '%s'", in);
		return -EINVAL;
	}
	cc[0] = (char)toupper((unsigned char)in[0]);
	cc[1] = (char)toupper((unsigned char)in[1]);
	cc[2] = 0;
	if (!route_country_find(cc)) {
		api_field_err(r, field, "unknown country '%s' (the numbering plan has no such code)",
			      in);
		return -EINVAL;
	}
	*out = api_keep_str(r, cc);
	return *out ? 0 : -ENOMEM;
}

/* "192.0.2.0/24, 2001:db8::/32" or hosts; written back comma-separated. */
int api_v_cidrs(struct api_req *r, const char *field, const char *in, const char **out)
{
	size_t cap = strlen(in) + 1, off = 0;
	char *res = malloc(cap);
	const char *p = in;

	if (!res)
		return -ENOMEM;
	res[0] = 0;
	while (*p) {
		uint8_t addr[16], plen;
		size_t len;
		int af;

		p += strspn(p, ", \t");
		len = strcspn(p, ", \t");
		if (!len)
			break;
		if (route_cidr_parse(&(struct pl){ p, len }, &af, addr, &plen)) {
			api_field_err(r, field, "'%.*s' is not an address or network like "
				      "192.0.2.0/24 or 2001:db8::/32", (int)len, p);
			free(res);
			return -EINVAL;
		}
		off += (size_t)snprintf(res + off, cap - off, "%s%.*s", off ? "," : "", (int)len, p);
		p += len;
	}
	if (!off) {
		api_field_err(r, field, "expected at least one address or network (or null)");
		free(res);
		return -EINVAL;
	}
	*out = api_keep(r, res);
	return *out ? 0 : -ENOMEM;
}

int api_v_sip_uri(struct api_req *r, const char *field, const char *in, const char **out)
{
	struct sip_uri u;
	int err = sip_uri_decode(&u, &(struct pl){ in, strlen(in) });

	if (err || (u.sch != SIP_SCHEME_SIP && u.sch != SIP_SCHEME_SIPS) || !u.host.l) {
		api_field_err(r, field, "'%s' is not a sip: or sips: URI like "
			      "sip:pbx.example.com:5060;transport=tcp", in);
		return -EINVAL;
	}
	*out = in;
	return 0;
}

/* A full international number: "+442071234567" or the digits alone; the
 * store keeps digits without '+'. The numbering plan checks the country
 * code and the length. */
int api_v_e164(struct api_req *r, const char *field, const char *in, const char **out)
{
	char plus[ROUTE_NUM_MAX + 2], e164[ROUTE_NUM_MAX];
	const char *d = *in == '+' ? in + 1 : in, *why = NULL;

	if (!all_digits(d, 2, ROUTE_DIGITS_MAX) || *d == '0') {
		api_field_err(r, field, "'%s' is not an E.164 number like +442071234567 "
			      "(2 to 15 digits, no leading 0)", in);
		return -EINVAL;
	}
	snprintf(plus, sizeof(plus), "+%s", d);
	if (route_normalise(NULL, &(struct pl){ plus, strlen(plus) }, e164, sizeof(e164), NULL,
			    &why)) {
		api_field_err(r, field, "'%s' is not a possible E.164 number: %s", in,
			      why ? why : "refused by the numbering plan");
		return -EINVAL;
	}
	*out = api_keep_str(r, e164[0] == '+' ? e164 + 1 : e164);
	return *out ? 0 : -ENOMEM;
}

int api_v_prefix(struct api_req *r, const char *field, const char *in, const char **out)
{
	const char *d = *in == '+' ? in + 1 : in;

	if (!all_digits(d, 1, ROUTE_DIGITS_MAX)) {
		api_field_err(r, field, "'%s' is not a prefix: expected 1 to 15 digits (E.164, "
			      "an optional '+')", in);
		return -EINVAL;
	}
	*out = d;
	return 0;
}

int api_v_digits(struct api_req *r, const char *field, const char *in, const char **out)
{
	if (!all_digits(in, 1, 15)) {
		api_field_err(r, field, "expected 1 to 15 digits, got '%s'", in);
		return -EINVAL;
	}
	*out = in;
	return 0;
}

static int one_of(struct api_req *r, const char *field, const char *in, const char **out,
		  const char *const *set, const char *expect)
{
	for (; *set; set++) {
		if (!strcmp(*set, in)) {
			*out = *set;
			return 0;
		}
	}
	api_field_err(r, field, "'%s' is not one of %s", in, expect);
	return -EINVAL;
}

int api_v_media(struct api_req *r, const char *field, const char *in, const char **out)
{
	static const char *const set[] = { "relay", "direct", NULL };

	return one_of(r, field, in, out, set, "relay, direct");
}

int api_v_numfmt(struct api_req *r, const char *field, const char *in, const char **out)
{
	static const char *const set[] = { "e164", "+e164", "00", NULL };

	return one_of(r, field, in, out, set, "e164, +e164, 00");
}

int api_v_transport(struct api_req *r, const char *field, const char *in, const char **out)
{
	static const char *const set[] = { "udp", "tcp", "tls", NULL };

	return one_of(r, field, in, out, set, "udp, tcp, tls");
}

int api_v_numtype(struct api_req *r, const char *field, const char *in, const char **out)
{
	static const char *const set[] = { "geographic", "mobile", "tollfree", "national",
					   "other", NULL };

	return one_of(r, field, in, out, set, "geographic, mobile, tollfree, national, other");
}

int api_v_currency(struct api_req *r, const char *field, const char *in, const char **out)
{
	if (strlen(in) != 3 || strspn(in, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3) {
		api_field_err(r, field, "'%s' is not a 3-letter ISO 4217 code like GBP", in);
		return -EINVAL;
	}
	*out = in;
	return 0;
}

/* A host name or a numeric address (no port: that is its own field). */
int api_v_host(struct api_req *r, const char *field, const char *in, const char **out)
{
	struct sa a;
	size_t n = strlen(in);

	if (n && !sa_set_str(&a, in, 0)) {
		*out = in;
		return 0;
	}
	if (!n || n > 253 || strspn(in, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "0123456789.-") != n || in[0] == '-' || in[0] == '.') {
		api_field_err(r, field, "'%s' is not a host name or IP address (give the port in "
			      "\"port\")", in);
		return -EINVAL;
	}
	*out = in;
	return 0;
}

int api_v_add_prefix(struct api_req *r, const char *field, const char *in, const char **out)
{
	size_t n = strlen(in);

	if (!n || n > 16 || strspn(in, "0123456789#*+") != n) {
		api_field_err(r, field, "'%s': expected up to 16 of 0-9 # * +", in);
		return -EINVAL;
	}
	*out = in;
	return 0;
}

int api_v_username(struct api_req *r, const char *field, const char *in, const char **out)
{
	if (!*in || strlen(in) > 64 || strpbrk(in, ": \t\"\\") || has_ctl(in)) {
		api_field_err(r, field, "expected 1 to 64 characters without ':', blanks, quotes "
			      "or backslashes");
		return -EINVAL;
	}
	*out = in;
	return 0;
}

int api_v_realm(struct api_req *r, const char *field, const char *in, const char **out)
{
	if (!*in || strlen(in) > 127 || strpbrk(in, "\"\\") || has_ctl(in)) {
		api_field_err(r, field, "expected 1 to 127 characters without quotes, backslashes "
			      "or control characters");
		return -EINVAL;
	}
	*out = in;
	return 0;
}

int api_v_money(struct api_req *r, const char *field, const json_t *v, bool allow_negative,
		int64_t *out)
{
	const char *s;
	int64_t x;

	if (json_is_number(v)) {
		api_field_err(r, field, "send amounts as a JSON string like \"0.0125\", not a "
			      "number (JSON numbers are binary floating point in most clients)");
		return -EINVAL;
	}
	if (!json_is_string(v)) {
		api_field_err(r, field, "expected an amount as a string like \"0.0125\"");
		return -EINVAL;
	}
	s = json_string_value(v);
	if (dec_parse(&(struct pl){ s, strlen(s) }, &x) || (!allow_negative && x < 0)) {
		api_field_err(r, field, "'%s' is not an amount %swith at most %d decimals, like "
			      "\"0.0125\"", s, allow_negative ? "" : ">= 0 ", DEC_DIGITS);
		return -EINVAL;
	}
	*out = x;
	return 0;
}

int api_date_parse(const char *s, int64_t *ms)
{
	struct tm tm;
	const char *e;

	memset(&tm, 0, sizeof(tm));
	e = strptime(s, "%Y-%m-%d", &tm);
	if (e && *e == 'T') {
		e = strptime(e + 1, "%H:%M:%S", &tm);
		if (e && *e == 'Z')
			e++;
		else
			e = NULL;     /* a time needs its zone: only UTC ("Z") */
	}
	if (!e || *e || strlen(s) < 10)
		return -EINVAL;
	*ms = (int64_t)timegm(&tm) * 1000;
	return 0;
}

const char *api_date_fmt(int64_t ms, char *buf, size_t n)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}
