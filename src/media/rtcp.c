/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file rtcp.c  RTCP as a relay sees it (RFC 3550 section 6): tell RTCP
 *               from RTP on a muxed port (RFC 5761), read the SR's time
 *               and the report blocks of SR and RR, round trip from
 *               LSR/DLSR.
 */
#include <errno.h>
#include "media_int.h"

enum {
	RTCP_SR = 200,
	RTCP_RR = 201,
	RTCP_HDR = 4,
	RTCP_RB_LEN = 24,
	/* a round trip above this is a stale or forged LSR, not a network */
	RTT_MAX_US = 60 * 1000000,
};

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

bool rtcp_is_rtcp(const uint8_t *p, size_t len)
{
	/* RFC 5761 section 4: RTP payload types 64-95 are not used, so a
	 * second byte of 192-223 (marker bit included) is an RTCP type */
	return len >= 8 && (p[0] >> 6) == 2 && p[1] >= 192 && p[1] <= 223;
}

static void read_rbs(struct rtcp_info *info, const uint8_t *p, unsigned n)
{
	for (unsigned i = 0; i < n && info->rbc < RTCP_MAX_RB; i++, p += RTCP_RB_LEN) {
		struct rtcp_rb *rb = &info->rb[info->rbc++];
		uint32_t cl = rd32(p + 4) & 0xffffff;

		rb->ssrc = rd32(p);
		rb->fraction = p[4];
		rb->cum_lost = (cl & 0x800000) ? (int32_t)(cl | 0xff000000u) : (int32_t)cl;
		rb->ext_seq = rd32(p + 8);
		rb->jitter = rd32(p + 12);
		rb->lsr = rd32(p + 16);
		rb->dlsr = rd32(p + 20);
	}
}

int rtcp_parse(const uint8_t *p, size_t len, struct rtcp_info *info)
{
	size_t off = 0;

	*info = (struct rtcp_info){ 0 };
	if (len < 8)
		return -EBADMSG;
	while (off + RTCP_HDR <= len) {
		const uint8_t *h = p + off;
		unsigned rc = h[0] & 0x1f, pt = h[1];
		size_t plen = ((size_t)(h[2] << 8 | h[3]) + 1) * 4;

		if ((h[0] >> 6) != 2 || off + plen > len)
			return -EBADMSG;
		if (pt == RTCP_SR) {
			if (plen < 28 + (size_t)rc * RTCP_RB_LEN)
				return -EBADMSG;
			info->has_sr = true;
			info->sr_ssrc = rd32(h + 4);
			/* NTP 64-bit at h+8: the middle 32 bits are LSR's unit */
			info->ntp_mid = rd32(h + 10);
			read_rbs(info, h + 28, rc);
		} else if (pt == RTCP_RR) {
			if (plen < 8 + (size_t)rc * RTCP_RB_LEN)
				return -EBADMSG;
			read_rbs(info, h + 8, rc);
		}
		off += plen;
	}
	return off == len ? 0 : -EBADMSG;
}

uint32_t rtcp_now32(uint64_t now_us)
{
	/* seconds in the high 16 bits, 1/65536 s in the low (wraps every
	 * 18 h, as NTP short format does; only differences are used) */
	return (uint32_t)((now_us / 1000000) << 16) +
	       (uint32_t)(((now_us % 1000000) << 16) / 1000000);
}

int64_t rtcp_rtt_us(uint32_t now, uint32_t sr_seen, uint32_t dlsr)
{
	/* RFC 3550 6.4.1: A - LSR - DLSR, here with our own clock for the
	 * time the SR passed us (so neither phone's clock matters) */
	int32_t rtt = (int32_t)(now - sr_seen - dlsr);

	if (rtt < 0) {
		/* DLSR rounding can overshoot a loopback round trip by a tick */
		if (rtt > -2)
			return 0;
		return -ERANGE;
	}
	if ((uint64_t)rtt * 1000000 / 65536 > RTT_MAX_US)
		return -ERANGE;
	return (int64_t)rtt * 1000000 / 65536;
}
