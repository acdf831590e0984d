/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file number.c  Number normalisation to E.164 and carrier number formats.
 *
 * Two tables: every assigned E.164 country calling code (to find where a
 * country code ends and reject unknown ones), and a table of countries
 * with their dialling habits (trunk prefix, international access prefix,
 * national number lengths). A country code without a row in the second
 * table gets generic checks only: 4 digits of national number at least,
 * 15 digits in all at most (ITU-T E.164). To support a country better,
 * add a row.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "route_int.h"

#define NANP ROUTE_CF_NANP
#define NO0  ROUTE_CF_NO_LEAD0

/* Rows sharing a country code share its rules; the first row of a code is
 * used to check numbers of that code. */
static const struct route_country countries[] = {
	{ "US", "1",  "1", "011", 10, 10, NANP },
	{ "CA", "1",  "1", "011", 10, 10, NANP },
	{ "GB", "44", "0", "00",   9, 10, NO0 },
	{ "DE", "49", "0", "00",   6, 13, NO0 },
	{ "FR", "33", "0", "00",   9,  9, NO0 },
	{ "IN", "91", "0", "00",  10, 10, NO0 },
	{ "IE", "353", "0", "00",  7,  9, NO0 },
	{ "NL", "31", "0", "00",   9,  9, NO0 },
	{ "BE", "32", "0", "00",   8,  9, NO0 },
	{ "CH", "41", "0", "00",   9,  9, NO0 },
	{ "AT", "43", "0", "00",   4, 13, NO0 },
	{ "SE", "46", "0", "00",   7, 13, NO0 },
	{ "AU", "61", "0", "0011", 9,  9, NO0 },
	{ "NZ", "64", "0", "00",   8, 10, NO0 },
	/* no trunk prefix: the leading 0 of Italian numbers is part of them */
	{ "ES", "34", "",  "00",   9,  9, 0 },
	{ "IT", "39", "",  "00",   6, 11, 0 },
	{ "PT", "351", "", "00",   9,  9, 0 },
	{ "DK", "45", "",  "00",   8,  8, NO0 },
	{ "NO", "47", "",  "00",   8,  8, NO0 },
};

/* Assigned country calling codes (ITU-T E.164 list), a prefix-free set. */
static const uint16_t ccodes[] = {
	1, 7, 20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47,
	48, 49, 51, 52, 53, 54, 55, 56, 57, 58, 60, 61, 62, 63, 64, 65, 66,
	81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98,
	211, 212, 213, 216, 218, 220, 221, 222, 223, 224, 225, 226, 227, 228,
	229, 230, 231, 232, 233, 234, 235, 236, 237, 238, 239, 240, 241, 242,
	243, 244, 245, 246, 247, 248, 249, 250, 251, 252, 253, 254, 255, 256,
	257, 258, 260, 261, 262, 263, 264, 265, 266, 267, 268, 269, 290, 291,
	297, 298, 299, 350, 351, 352, 353, 354, 355, 356, 357, 358, 359, 370,
	371, 372, 373, 374, 375, 376, 377, 378, 379, 380, 381, 382, 383, 385,
	386, 387, 389, 420, 421, 423, 500, 501, 502, 503, 504, 505, 506, 507,
	508, 509, 590, 591, 592, 593, 594, 595, 596, 597, 598, 599, 670, 672,
	673, 674, 675, 676, 677, 678, 679, 680, 681, 682, 683, 685, 686, 687,
	688, 689, 690, 691, 692, 800, 808, 850, 852, 853, 855, 856, 870, 878,
	880, 881, 882, 883, 886, 888, 960, 961, 962, 963, 964, 965, 966, 967,
	968, 970, 971, 972, 973, 974, 975, 976, 977, 979, 992, 993, 994, 995,
	996, 998,
};

const struct route_country *route_country_find(const char *iso)
{
	if (!iso)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(countries); i++) {
		if (!strcasecmp(countries[i].iso, iso))
			return &countries[i];
	}
	return NULL;
}

static bool cc_known(unsigned cc)
{
	size_t lo = 0, hi = ARRAY_SIZE(ccodes);

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (ccodes[mid] == cc)
			return true;
		if (ccodes[mid] < cc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static const struct route_country *country_by_cc(const char *d, size_t cclen)
{
	for (size_t i = 0; i < ARRAY_SIZE(countries); i++) {
		if (strlen(countries[i].cc) == cclen && !memcmp(countries[i].cc, d, cclen))
			return &countries[i];
	}
	return NULL;
}

static bool starts(const char *d, size_t n, const char *pfx)
{
	size_t l = strlen(pfx);
	return l && l <= n && !memcmp(d, pfx, l);
}

/* Is d[0..n) a possible national significant number of c? */
static const char *nsn_check(const struct route_country *c, const char *d, size_t n)
{
	if (n < c->nsn_min)
		return "number too short for the country";
	if (n > c->nsn_max)
		return "number too long for the country";
	if ((c->flags & NO0) && d[0] == '0')
		return "national prefix 0 after the country code";
	/* NANP: NPA and exchange codes start with 2-9 */
	if ((c->flags & NANP) && (d[0] < '2' || d[3] < '2'))
		return "not a possible NANP number (area or exchange code starts with 0 or 1)";
	return NULL;
}

/* Check the digits of an international number; sets *cclen. */
static const char *intl_check(const char *d, size_t n, size_t *cclen)
{
	unsigned cc = 0;
	size_t l;

	if (!n || d[0] == '0')
		return "unknown country code";
	for (l = 1; l <= 3 && l <= n; l++) {
		cc = cc * 10 + (unsigned)(d[l - 1] - '0');
		if (cc_known(cc))
			break;
	}
	if (l > 3 || l > n)
		return "unknown country code";
	*cclen = l;
	if (n > ROUTE_DIGITS_MAX)
		return "number longer than 15 digits";
	const struct route_country *c = country_by_cc(d, l);
	if (c)
		return nsn_check(c, d + l, n - l);
	if (n - l < 4)
		return "number too short";
	return NULL;
}

int route_normalise(const struct route_country *home, const struct pl *in,
		    char *e164, size_t n, size_t *cclen, const char **reason)
{
	const char *d, *why = NULL;
	size_t l, ccl = 0;
	bool plus;
	char buf[ROUTE_DIGITS_MAX + 4];

	if (!in || !in->p || !e164 || !n) {
		why = "empty number";
		goto out;
	}
	d = in->p;
	l = in->l;
	plus = l && d[0] == '+';
	if (plus) {
		d++;
		l--;
	}
	if (!l) {
		why = "empty number";
		goto out;
	}
	for (size_t i = 0; i < l; i++) {
		if (d[i] < '0' || d[i] > '9') {
			why = "not a number (non-digit characters)";
			goto out;
		}
	}
	if (l > 32) {
		why = "number too long";
		goto out;
	}

	if (plus) {
		why = intl_check(d, l, &ccl);
	}
	else if (home && starts(d, l, home->intl)) {
		size_t il = strlen(home->intl);
		d += il;
		l -= il;
		why = l ? intl_check(d, l, &ccl) : "number too short";
	}
	else if (home && (home->flags & NANP)) {
		/* 10 digits, or trunk prefix 1 + 10 digits (which is also E.164
		 * without '+'); other countries need 011 or '+', as dialled */
		if (l == 10) {
			why = nsn_check(home, d, l);
			goto national;
		}
		why = l == 11 && d[0] == '1' ? intl_check(d, l, &ccl) :
			"incomplete number (NANP: 10 digits, 1 + 10 digits, 011 or +)";
	}
	else if (home && home->trunk[0] && starts(d, l, home->trunk)) {
		size_t tl = strlen(home->trunk);
		d += tl;
		l -= tl;
		why = l ? nsn_check(home, d, l) : "number too short";
		goto national;
	}
	else if (home && !home->trunk[0] && !nsn_check(home, d, l)) {
		/* no trunk prefix in this country: a number of national shape
		 * is national (Italian 06…, Spanish 9…) */
		goto national;
	}
	else {
		/* where people dial a trunk prefix, bare digits are E.164
		 * without '+', as PBXs and carriers send them */
		why = intl_check(d, l, &ccl);
	}
	if (why)
		goto out;
	if (l + 2 > sizeof(buf))
		goto toolong;
	buf[0] = '+';
	memcpy(buf + 1, d, l);
	buf[l + 1] = '\0';
	goto done;

 national:
	if (why)
		goto out;
	ccl = strlen(home->cc);
	if (ccl + l > ROUTE_DIGITS_MAX) {
		why = "number longer than 15 digits";
		goto out;
	}
	snprintf(buf, sizeof(buf), "+%s%.*s", home->cc, (int)l, d);

 done:
	if (strlen(buf) + 1 > n)
		goto toolong;
	memcpy(e164, buf, strlen(buf) + 1);
	if (cclen)
		*cclen = ccl;
	return 0;

 toolong:
	why = "number too long";
 out:
	if (reason)
		*reason = why ? why : "bad number";
	return -EINVAL;
}

int number_for_carrier(const struct rcarr *c, const char *e164, size_t cclen,
		       char *out, size_t n)
{
	char buf[ROUTE_NUM_MAX];
	const char *digits = e164[0] == '+' ? e164 + 1 : e164;
	size_t strip, pl;
	int len;

	switch (c->format) {
	case ROUTE_FMT_E164_PLUS:
		len = snprintf(buf, sizeof(buf), "+%s", digits);
		break;
	case ROUTE_FMT_NATIONAL:
		if (c->country && strlen(c->country->cc) == cclen &&
		    !memcmp(c->country->cc, digits, cclen)) {
			/* at home: NANP dials 10 digits, others trunk prefix + NSN */
			const char *tp = (c->country->flags & NANP) ? "" : c->country->trunk;
			len = snprintf(buf, sizeof(buf), "%s%s", tp, digits + cclen);
		}
		else if (c->country) {
			len = snprintf(buf, sizeof(buf), "%s%s", c->country->intl, digits);
		}
		else {
			len = snprintf(buf, sizeof(buf), "%s", digits);
		}
		break;
	case ROUTE_FMT_E164:
	default:
		len = snprintf(buf, sizeof(buf), "%s", digits);
		break;
	}
	if (len < 0 || (size_t)len >= sizeof(buf))
		return -ENOSPC;
	strip = c->strip;
	if (strip >= (size_t)len)
		return -EINVAL;
	pl = strlen(c->prefix);
	if (pl + (size_t)len - strip + 1 > n)
		return -ENOSPC;
	memcpy(out, c->prefix, pl);
	memcpy(out + pl, buf + strip, (size_t)len - strip + 1);
	return 0;
}
