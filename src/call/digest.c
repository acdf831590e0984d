/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file digest.c  Which digest algorithms we challenge with and which HA1
 *                 checks an answer (RFC 8760: SHA-256 and MD5).
 *
 * The challenge goes out before we know the trunk (the username comes
 * with the answer), so what we offer is a setting (uas_prm.digest) and
 * the snapshot: MD5 always (every trunk with credentials has an MD5 HA1),
 * SHA-256 when configured and some trunk has a SHA-256 HA1. RFC 8760 §2.4
 * puts the preferred algorithm first, but real clients break on it: SIPp
 * 3.6 answers only the first challenge and knows only MD5, libre (baresip
 * 1.x) gives up on a challenge list holding an algorithm it does not know.
 * Hence MD5 alone by default. A client may answer any challenge offered:
 * its algorithm picks the HA1 it is checked with.
 */
#include <errno.h>
#include <string.h>
#include "call_int.h"

#define LOG_MOD "call"

const char *digest_trunk_ha1(const struct route_trunk *tr, enum sip_digest_alg alg)
{
	const char *h;

	switch (alg) {
	case SIP_DIGEST_MD5:
		h = tr->ha1;
		break;
	case SIP_DIGEST_SHA256:
		/* an older store kept a SHA-256 HA1 in the ha1 column */
		h = tr->ha1_sha256 && tr->ha1_sha256[0] ? tr->ha1_sha256 : tr->ha1;
		break;
	default:
		return NULL;
	}
	return h && strlen(h) == sip_digest_hexlen(alg) ? h : NULL;
}

int digest_challenge(struct uas *u, const struct route_snap *snap, const struct pl *realm,
		     bool stale, const struct sa *src, char *buf, size_t size)
{
	enum sip_digest_alg order[2];
	unsigned n = 0;
	size_t len = 0;

	bool sha = u->prm.digest != UAS_DIGEST_MD5 && route_snap_sha256_trunks(snap);

	if (sha && u->prm.digest == UAS_DIGEST_SHA256_MD5)
		order[n++] = SIP_DIGEST_SHA256;
	order[n++] = SIP_DIGEST_MD5;
	if (sha && u->prm.digest == UAS_DIGEST_MD5_SHA256)
		order[n++] = SIP_DIGEST_SHA256;
	if (!size)
		return -ENOSPC;
	buf[0] = '\0';
	for (unsigned i = 0; i < n; i++) {
		static const char hname[] = "Proxy-Authenticate: ";
		int w;

		if (size - len < sizeof(hname) + 2)
			return -ENOSPC;
		memcpy(buf + len, hname, sizeof(hname) - 1);
		len += sizeof(hname) - 1;
		w = sip_digest_challenge(u->prm.nonces, realm, order[i], stale, src, buf + len,
					 size - len);
		if (w < 0)
			return w;
		len += (size_t)w;
		if (size - len < 3)
			return -ENOSPC;
		memcpy(buf + len, "\r\n", 3);
		len += 2;
	}
	return (int)len;
}
