/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file fuzz_sip_msg.c  libFuzzer target: parse a message, run every typed
 *  decoder over every header and element, and frame the bytes as a stream.
 *  The input is copied to an exact-size buffer so any over-read trips ASan.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "sip.h"

static void decode_all(const struct pl *v)
{
	struct sip_via via;
	struct sip_contact c;
	struct sip_addr a;
	struct sip_auth au;
	struct sip_sess_exp se;
	struct sip_reason rs;
	struct sip_cseq cs;
	struct pl p;
	uint32_t d;

	(void)sip_via_decode(&via, v);
	if (!sip_contact_decode(&c, v) && !c.star) {
		struct sip_uri u;
		(void)sip_uri_equal(&c.addr.uri, &c.addr.uri);
		(void)sip_param_get(&c.addr.params, "tag", &p);
		if (!sip_uri_decode(&u, &c.addr.auri))
			(void)sip_uri_param(&u, "transport", &p);
	}
	(void)sip_addr_decode(&a, v);
	(void)sip_auth_decode(&au, v);
	(void)sip_sess_exp_decode(&se, v);
	(void)sip_reason_decode(&rs, v);
	(void)sip_cseq_decode(&cs, v);
	(void)sip_delta_decode(&d, v);
	(void)sip_param_get(v, "branch", &p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sip_msg msg;
	struct sip_limits lim = sip_limits_default;
	struct sip_perr err;
	size_t flen;
	char *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);

	/* a small nesting limit reaches the depth checks */
	lim.max_nesting = size ? (unsigned)(data[0] & 7) + 1 : 4;
	(void)sip_msg_parse(&msg, buf, size, &lim, &err);
	(void)sip_msg_can_reply(&msg);
	for (unsigned i = 0; i < msg.hdrc; i++)
		decode_all(&msg.hdrv[i].val);
	for (unsigned id = 0; id < SIP_HDR__COUNT; id++) {
		struct sip_hdr_iter it;
		struct pl v;

		sip_hdr_iter_init(&it, &msg, (enum sip_hdrid)id);
		while (sip_hdr_iter_next(&it, &v))
			decode_all(&v);
		(void)sip_msg_hdr_count(&msg, (enum sip_hdrid)id);
		(void)sip_msg_has_token(&msg, (enum sip_hdrid)id, &PL("timer"));
	}
	(void)sip_msg_hdr_by_name(&msg, &PL("X-Fuzz"));
	if (sip_frame(buf, size, NULL, &flen) == 0 && flen <= size) {
		static struct sip_msg m2;
		(void)sip_msg_parse(&m2, buf, flen, NULL, &err);
	}
	free(buf);
	return 0;
}
