/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file hash.c  SipHash-2-4 (Aumasson & Bernstein) with a random process
 *               key, so tables keyed by wire data cannot be flooded.
 */
#include <pthread.h>
#include <string.h>
#include "core.h"

static uint8_t proc_key[16];
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void key_init(void)
{
	if (rand_bytes(proc_key, sizeof(proc_key)) != 0) {
		/* getrandom() cannot fail for 16 bytes after boot; keep a
		 * non-zero key regardless. */
		uint64_t t = time_us();
		memcpy(proc_key, &t, sizeof(t));
	}
}

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                       \
	do {                                                           \
		v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32); \
		v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                 \
		v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                 \
		v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32); \
	} while (0)

static inline uint64_t le64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

static uint64_t siphash(const uint8_t key[16], const uint8_t *in, size_t len, bool ci)
{
	uint64_t k0 = le64(key), k1 = le64(key + 8);
	uint64_t v0 = 0x736f6d6570736575ULL ^ k0;
	uint64_t v1 = 0x646f72616e646f6dULL ^ k1;
	uint64_t v2 = 0x6c7967656e657261ULL ^ k0;
	uint64_t v3 = 0x7465646279746573ULL ^ k1;
	uint64_t b = (uint64_t)len << 56;
	size_t i, full = len & ~(size_t)7;
	uint8_t blk[8];

	for (i = 0; i < full; i += 8) {
		memcpy(blk, in + i, 8);
		if (ci)
			for (int j = 0; j < 8; j++)
				if (blk[j] >= 'A' && blk[j] <= 'Z')
					blk[j] += 32;
		uint64_t m = le64(blk);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (size_t j = 0; i + j < len; j++) {
		uint8_t c = in[i + j];
		if (ci && c >= 'A' && c <= 'Z')
			c += 32;
		b |= (uint64_t)c << (8 * j);
	}
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t hash_siphash24(const uint8_t key[16], const void *data, size_t len)
{
	return siphash(key, data, len, false);
}

uint64_t hash_keyed(const void *data, size_t len)
{
	pthread_once(&key_once, key_init);
	return siphash(proc_key, data, len, false);
}

uint64_t hash_keyed_ci(const void *data, size_t len)
{
	pthread_once(&key_once, key_init);
	return siphash(proc_key, data, len, true);
}
