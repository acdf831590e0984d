/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file fuzz_auth.c  libFuzzer target: decode an Authorization /
 *  Proxy-Authenticate value (RFC 3261 §25, RFC 7616), parse its algorithm,
 *  and check it as a credential against a nonce context (every check must
 *  refuse it cleanly: no nonce in the input was issued by this context).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "sip.h"

static struct sip_nonce_ctx *ctx;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1);
	struct sip_auth a;
	enum sip_digest_alg alg;
	struct pl v;

	if (!buf)
		return 0;
	if (!ctx && sip_nonce_alloc(&ctx, &(struct sip_nonce_prm){ 0 }))
		abort();
	memcpy(buf, data, size);
	v = pl_from(buf, size);
	if (sip_auth_decode(&a, &v) == 0) {
		(void)sip_digest_alg_parse(&a.algorithm, &alg);
		struct sip_digest_req req = { .method = PL("INVITE"), .ruri = PL("sip:x@y"),
					      .realm = a.realm, .any_uri = true };
		const char *ha1 = alg == SIP_DIGEST_SHA256
			? "0000000000000000000000000000000000000000000000000000000000000000"
			: "00000000000000000000000000000000";

		/* Its realm is ours and any uri goes: only the nonce (never
		 * issued by ctx) and the response stand between it and 0. */
		if (sip_digest_verify(ctx, &a, &req, ha1) == 0)
			abort();
	}
	free(buf);
	return 0;
}
