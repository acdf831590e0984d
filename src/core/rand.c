/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file rand.c  Cryptographically secure randomness from getrandom(2), with
 *               a small per-thread buffer so tags and branches are cheap.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include "core.h"

static _Thread_local struct {
	uint8_t buf[256];
	size_t pos;   /* next unused byte; sizeof(buf) = empty */
	bool init;
} rbuf;

static int fill(void *out, size_t n)
{
	uint8_t *p = out;

	while (n) {
		ssize_t r = getrandom(p, n, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

int rand_bytes(void *out, size_t n)
{
	uint8_t *p = out;

	if (!rbuf.init) {
		rbuf.pos = sizeof(rbuf.buf);
		rbuf.init = true;
	}
	if (n > sizeof(rbuf.buf) / 2)
		return fill(out, n);
	while (n) {
		if (rbuf.pos == sizeof(rbuf.buf)) {
			int err = fill(rbuf.buf, sizeof(rbuf.buf));
			if (err)
				return err;
			rbuf.pos = 0;
		}
		size_t k = sizeof(rbuf.buf) - rbuf.pos;
		if (k > n)
			k = n;
		memcpy(p, rbuf.buf + rbuf.pos, k);
		/* wipe what was handed out so it cannot leak twice */
		memset(rbuf.buf + rbuf.pos, 0, k);
		rbuf.pos += k;
		p += k;
		n -= k;
	}
	return 0;
}

int rand_token(char *out, size_t n)
{
	static const char alnum[] =
		"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
	uint8_t r[64];
	size_t i = 0;

	while (i < n) {
		size_t k = n - i < sizeof(r) ? n - i : sizeof(r);
		int err = rand_bytes(r, k);
		if (err)
			return err;
		for (size_t j = 0; j < k; j++) {
			/* 248 = 4 * 62: rejection keeps the alphabet uniform */
			if (r[j] >= 248)
				continue;
			out[i++] = alnum[r[j] % 62];
		}
	}
	out[n] = '\0';
	return 0;
}

uint32_t rand_u32(void)
{
	uint32_t v = 0;
	(void)rand_bytes(&v, sizeof(v));
	return v;
}
