/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file fuzz_sdp.c  libFuzzer target for the SDP parser and writer:
 *                   parse, write unchanged (must equal the input), write
 *                   with a relay-style rewrite and parse that again (must
 *                   succeed with the same number of media).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "sip.h"

static char out[1 << 17];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sdp_session s, s2;
	struct sdp_rewrite rw;
	struct pl v;
	int n;

	if (sdp_parse(&s, (const char *)data, size) != 0)
		return 0;

	n = sdp_write(&s, NULL, out, sizeof(out));
	if (n != (int)size || memcmp(out, data, size) != 0)
		abort();

	/* exercise the lookups */
	for (unsigned i = 0; i < s.mediac; i++) {
		const struct sdp_media *m = &s.media[i];
		struct sdp_rtpmap rm;
		struct sdp_crypto c;

		for (unsigned f = 0; f < m->fmtc; f++) {
			(void)sdp_rtpmap_get(&s, m, &m->fmts[f], &rm);
			(void)sdp_fmtp_get(&s, m, &m->fmts[f], &v);
		}
		for (unsigned k = 0; sdp_attr(&s, m, "crypto", k, &v) == 0; k++)
			(void)sdp_crypto_decode(&c, &v);
	}
	(void)sdp_attr(&s, NULL, "group", 0, &v);

	memset(&rw, 0, sizeof(rw));
	rw.addrtype = (size & 1) ? PL("IP6") : PL("IP4");
	rw.addr = (size & 1) ? PL("2001:db8::99") : PL("203.0.113.9");
	rw.origin_addr = rw.addr;
	rw.bump_version = true;
	for (unsigned i = 0; i < s.mediac; i++) {
		rw.ports[i] = (uint16_t)(20000 + 2 * i);
		rw.rtcp_ports[i] = (int)(20001 + 2 * i);
		/* added direction lines must stay within the line limit */
		if (s.linec + s.mediac <= SDP_MAX_LINES)
			rw.dir[i] = (enum sdp_dir)(1 + (size + i) % 4);
	}
	n = sdp_write(&s, &rw, out, sizeof(out));
	if (n < 0)
		abort();
	if (sdp_parse(&s2, out, (size_t)n) != 0 || s2.mediac != s.mediac)
		abort();
	for (unsigned i = 0; i < s.mediac; i++)
		if (s2.media[i].port != (s.media[i].port ? rw.ports[i] : 0) || (rw.dir[i] && s2.media[i].dir != rw.dir[i]))
			abort();
	return 0;
}
