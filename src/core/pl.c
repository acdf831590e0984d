/* SPDX-License-Identifier: GPL-2.0-or-later */
/** @file pl.c  Pointer-length string views. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "core.h"

static inline int lc(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

struct pl pl_cstr(const char *s)
{
	return (struct pl){ s, s ? strlen(s) : 0 };
}

int pl_cmp(const struct pl *a, const struct pl *b)
{
	if (a->l != b->l)
		return a->l < b->l ? -1 : 1;
	if (a->l == 0)
		return 0;
	return memcmp(a->p, b->p, a->l);
}

int pl_casecmp(const struct pl *a, const struct pl *b)
{
	if (a->l != b->l)
		return a->l < b->l ? -1 : 1;
	for (size_t i = 0; i < a->l; i++) {
		int d = lc((unsigned char)a->p[i]) - lc((unsigned char)b->p[i]);
		if (d)
			return d;
	}
	return 0;
}

bool pl_eq_str(const struct pl *a, const char *s)
{
	struct pl b = pl_cstr(s);
	return a->p && pl_cmp(a, &b) == 0;
}

bool pl_caseeq_str(const struct pl *a, const char *s)
{
	struct pl b = pl_cstr(s);
	return a->p && pl_casecmp(a, &b) == 0;
}

int pl_u64(const struct pl *x, uint64_t *v)
{
	uint64_t r = 0;

	if (!x->p || !x->l)
		return -EINVAL;
	for (size_t i = 0; i < x->l; i++) {
		unsigned d = (unsigned char)x->p[i] - '0';
		if (d > 9)
			return -EINVAL;
		if (r > (UINT64_MAX - d) / 10)
			return -ERANGE;
		r = r * 10 + d;
	}
	*v = r;
	return 0;
}

int pl_u32(const struct pl *x, uint32_t *v)
{
	uint64_t r;
	int err = pl_u64(x, &r);

	if (err)
		return err;
	if (r > UINT32_MAX)
		return -ERANGE;
	*v = (uint32_t)r;
	return 0;
}

static inline bool is_lws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

struct pl pl_trim(struct pl x)
{
	if (!x.p)
		return x;
	while (x.l && is_lws(x.p[0])) {
		x.p++;
		x.l--;
	}
	while (x.l && is_lws(x.p[x.l - 1]))
		x.l--;
	return x;
}

char *pl_strdup(const struct pl *x)
{
	char *s = malloc(x->l + 1);

	if (!s)
		return NULL;
	if (x->l)
		memcpy(s, x->p, x->l);
	s[x->l] = '\0';
	return s;
}

int pl_strcpy(const struct pl *x, char *dst, size_t n)
{
	size_t l;

	if (!n)
		return -ENOSPC;
	l = x->l < n - 1 ? x->l : n - 1;
	if (l)
		memcpy(dst, x->p, l);
	dst[l] = '\0';
	return l == x->l ? 0 : -ENOSPC;
}

const char *pl_chr(const struct pl *x, char c)
{
	if (!x->p || !x->l)
		return NULL;
	return memchr(x->p, c, x->l);
}
