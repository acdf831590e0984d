/* SPDX-License-Identifier: GPL-2.0-or-later */
/** @file dec.c  Exact decimal amounts as int64 micro-units. */
#include <errno.h>
#include <stdio.h>
#include "core.h"

int dec_parse(const struct pl *s, int64_t *micro)
{
	const char *p, *e;
	bool neg = false, digits = false;
	uint64_t ip = 0, fp = 0;
	unsigned fd = 0;

	if (!s->p || !s->l)
		return -EINVAL;
	p = s->p;
	e = s->p + s->l;
	if (*p == '-' || *p == '+') {
		neg = *p == '-';
		p++;
	}
	for (; p < e && *p >= '0' && *p <= '9'; p++) {
		digits = true;
		if (ip > (uint64_t)(INT64_MAX / DEC_SCALE) / 10)
			return -ERANGE;
		ip = ip * 10 + (uint64_t)(*p - '0');
	}
	if (p < e && *p == '.') {
		for (p++; p < e && *p >= '0' && *p <= '9'; p++) {
			digits = true;
			if (fd == DEC_DIGITS) {
				/* trailing zeros beyond the scale lose nothing */
				if (*p != '0')
					return -ERANGE;
				continue;
			}
			fp = fp * 10 + (uint64_t)(*p - '0');
			fd++;
		}
	}
	if (p != e || !digits)
		return -EINVAL;
	for (; fd < DEC_DIGITS; fd++)
		fp *= 10;
	if (ip > (uint64_t)INT64_MAX / DEC_SCALE)
		return -ERANGE;
	uint64_t v = ip * DEC_SCALE + fp;
	if (v > (uint64_t)INT64_MAX)
		return -ERANGE;
	*micro = neg ? -(int64_t)v : (int64_t)v;
	return 0;
}

const char *dec_fmt(int64_t micro, char *buf, size_t n)
{
	uint64_t v = micro < 0 ? (uint64_t)0 - (uint64_t)micro : (uint64_t)micro;
	uint64_t ip = v / DEC_SCALE, fp = v % DEC_SCALE;
	char frac[DEC_DIGITS + 1];
	int fl = DEC_DIGITS;

	if (!fp) {
		snprintf(buf, n, "%s%llu", micro < 0 ? "-" : "", (unsigned long long)ip);
		return buf;
	}
	snprintf(frac, sizeof(frac), "%06llu", (unsigned long long)fp);
	while (fl > 0 && frac[fl - 1] == '0')
		fl--;
	snprintf(buf, n, "%s%llu.%.*s", micro < 0 ? "-" : "", (unsigned long long)ip, fl, frac);
	return buf;
}
