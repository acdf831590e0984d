/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file fuzz_rtcp.c  libFuzzer target: classify a datagram as RTCP (RFC
 *  5761) and parse it as a compound RTCP packet (RFC 3550 §6.4): SR time
 *  and report blocks; the round trip of each block.
 */
#include <stdint.h>
#include <stdlib.h>
#include "media_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rtcp_info info;

	(void)rtcp_is_rtcp(data, size);
	if (rtcp_parse(data, size, &info) == 0) {
		if (info.rbc > RTCP_MAX_RB)
			abort();
		for (unsigned i = 0; i < info.rbc; i++)
			(void)rtcp_rtt_us(info.ntp_mid, info.rb[i].lsr, info.rb[i].dlsr);
	}
	return 0;
}
