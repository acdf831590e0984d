/* SPDX-License-Identifier: GPL-2.0-or-later */
/** @file test_quality.c  Unit tests of the relay's pure parts: port pool,
 *  RFC 3550 loss/out-of-order/jitter on synthetic streams against an
 *  independent A.8 computation, RTCP SR/RR parsing and round trip, and the
 *  E-model MOS. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "media_int.h"

/* ---- port pool ---------------------------------------------------- */

static void test_ports(void **state)
{
	struct mports p = { 0 };
	uint16_t port, seen[4];

	(void)state;
	assert_int_equal(mports_init(&p, 30001, 30008), 0);  /* 30002..30008: 3 pairs + 30008 */
	assert_int_equal(p.total, 3);
	mports_close(&p);
	assert_int_equal(mports_init(&p, 30000, 30007), 0);
	assert_int_equal(p.total, 4);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(mports_get(&p, &seen[i]), 0);
		assert_int_equal(seen[i] % 2, 0);
		assert_true(seen[i] >= 30000 && seen[i] + 1 <= 30007);
		for (int j = 0; j < i; j++)
			assert_int_not_equal(seen[i], seen[j]);
	}
	assert_int_equal(mports_used(&p), 4);
	assert_int_equal(mports_get(&p, &port), -ENOSPC);
	mports_put(&p, seen[2]);
	assert_int_equal(mports_get(&p, &port), 0);
	assert_int_equal(port, seen[2]);
	/* FIFO: the longest-free port comes back first */
	mports_put(&p, seen[0]);
	mports_put(&p, seen[1]);
	assert_int_equal(mports_get(&p, &port), 0);
	assert_int_equal(port, seen[0]);
	mports_close(&p);
	assert_int_equal(mports_init(&p, 30000, 30000), -EINVAL);
	assert_int_equal(mports_init(&p, 0, 10), -EINVAL);
}

/* ---- loss, reordering, jitter ------------------------------------ */

/* deterministic generator, so failures reproduce */
static uint32_t lcg = 12345;
static uint32_t rnd(void)
{
	lcg = lcg * 1103515245u + 12345u;
	return lcg >> 8;
}

struct pkt {
	uint16_t seq;
	uint32_t ts;
	uint64_t arr_us;
};

/* Exact RFC 3550 A.8 jitter in timestamp units, written the way the RFC
 * does (transit = arrival - timestamp, absolute), for comparison. */
static double ref_jitter(const struct pkt *v, size_t n, double clock)
{
	double j = 0, prev_transit = 0;

	for (size_t i = 0; i < n; i++) {
		double transit = (double)v[i].arr_us * clock / 1e6 - (double)v[i].ts;
		if (i) {
			double d = fabs(transit - prev_transit);
			j += (d - j) / 16;
		}
		prev_transit = transit;
	}
	return j;
}

static void test_loss_jitter(void **state)
{
	enum { N = 5000 };
	static struct pkt sent[N], arr[N];
	struct mquality q = { 0 };
	size_t na = 0, lost = 0, swaps = 0;
	double ref;

	(void)state;
	/* G.711: 20 ms, 160 ticks; sequence starting near the wrap */
	for (size_t i = 0; i < N; i++) {
		sent[i].seq = (uint16_t)(65000 + i);
		sent[i].ts = (uint32_t)(4294960000u + 160 * i);
		/* network delay 30 ms +- up to 15 ms, uniform */
		sent[i].arr_us = 1700000000000000ull + 20000 * i + 30000 + (rnd() % 30001) - 15000;
	}
	/* 5% loss (never the first or last), arrival order = by arrival time
	 * except deliberate swaps of neighbours */
	for (size_t i = 0; i < N; i++) {
		if (i > 0 && i < N - 1 && rnd() % 100 < 5) {
			lost++;
			continue;
		}
		arr[na++] = sent[i];
	}
	for (size_t i = 10; i + 1 < na - 10; i += 50) {
		struct pkt t = arr[i];
		uint64_t a = arr[i].arr_us;
		arr[i] = arr[i + 1];
		arr[i + 1] = t;
		/* arrival times stay increasing: the later one arrives first */
		arr[i + 1].arr_us = arr[i].arr_us;
		arr[i].arr_us = a;
		swaps++;
	}
	for (size_t i = 0; i < na; i++)
		mquality_update(&q, 0x1234, arr[i].seq, arr[i].ts, 8000, arr[i].arr_us);
	assert_int_equal(mquality_expected(&q), N);
	assert_int_equal(mquality_received(&q), na);
	assert_int_equal(mquality_lost(&q), lost);
	assert_int_equal(q.out_of_order, swaps);
	ref = ref_jitter(arr, na, 8000);
	/* the same recurrence on differences: equal up to the rounding of
	 * the reference's absolute transit times (1e13 ticks in a double) */
	assert_true(fabs(q.jitter - ref) < 1e-4 * ref);
	assert_true(fabs(q.jitter_ms - q.jitter / 8.0) < 1e-9);
	/* and it is the figure the delay spread implies: E|D| for two
	 * uniform(-15, 15) ms is 10 ms (plus what the swaps add) */
	assert_true(q.jitter_ms > 7 && q.jitter_ms < 14);
	print_message("loss %zu/%d, swaps %zu, jitter %.3f ms (A.8 reference %.3f ms)\n",
		      lost, N, swaps, q.jitter_ms, ref / 8.0);
}

static void test_steady_and_ssrc(void **state)
{
	struct mquality q = { 0 };

	(void)state;
	/* a perfectly paced stream has zero jitter and no loss */
	for (uint32_t i = 0; i < 100; i++)
		mquality_update(&q, 7, (uint16_t)i, 160 * i, 8000, 1000000 + 20000ull * i);
	assert_int_equal(mquality_lost(&q), 0);
	assert_true(q.jitter_ms < 1e-9);
	/* a new SSRC starts over but keeps the totals; 3 lost in the new one */
	for (uint32_t i = 0; i < 50; i++)
		if (i != 10 && i != 11 && i != 40)
			mquality_update(&q, 8, (uint16_t)(30000 + i), 999 + 160 * i, 8000,
					5000000 + 20000ull * i);
	assert_int_equal(mquality_expected(&q), 150);
	assert_int_equal(mquality_received(&q), 147);
	assert_int_equal(mquality_lost(&q), 3);
	/* duplicates do not count, a single wild jump is not believed */
	mquality_update(&q, 8, 30049, 999 + 160 * 49, 8000, 6000000);
	mquality_update(&q, 8, 10000, 0, 8000, 6000001);
	assert_int_equal(mquality_received(&q), 147);
	assert_int_equal(media_static_clock(0), 8000);
	assert_int_equal(media_static_clock(9), 8000);
	assert_int_equal(media_static_clock(34), 90000);
	assert_int_equal(media_static_clock(96), 0);
}

/* ---- RTCP --------------------------------------------------------- */

static size_t put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = (uint8_t)v;
	return 4;
}

static size_t rb(uint8_t *p, uint32_t ssrc, uint8_t frac, int32_t cum, uint32_t jit,
		 uint32_t lsr, uint32_t dlsr)
{
	size_t o = put32(p, ssrc);
	o += put32(p + o, (uint32_t)frac << 24 | ((uint32_t)cum & 0xffffff));
	o += put32(p + o, 70000);
	o += put32(p + o, jit);
	o += put32(p + o, lsr);
	o += put32(p + o, dlsr);
	return o;
}

static void test_rtcp(void **state)
{
	uint8_t buf[256];
	struct rtcp_info ri;
	size_t o;

	(void)state;
	/* SR with one block + SDES: compound */
	buf[0] = 0x81; buf[1] = 200; buf[2] = 0; buf[3] = 12;
	o = 4;
	o += put32(buf + o, 0xaabbccdd);
	o += put32(buf + o, 0x12345678);    /* NTP seconds */
	o += put32(buf + o, 0x9abcdef0);    /* NTP fraction */
	o += put32(buf + o, 160000);
	o += put32(buf + o, 1000);
	o += put32(buf + o, 172000);
	o += rb(buf + o, 0x01020304, 64, 5, 80, 0, 0);
	buf[o] = 0x81; buf[o + 1] = 202; buf[o + 2] = 0; buf[o + 3] = 2;
	put32(buf + o + 4, 0xaabbccdd);
	buf[o + 8] = 0; buf[o + 9] = 0; buf[o + 10] = 0; buf[o + 11] = 0;
	o += 12;
	assert_true(rtcp_is_rtcp(buf, o));
	assert_int_equal(rtcp_parse(buf, o, &ri), 0);
	assert_true(ri.has_sr);
	assert_int_equal(ri.sr_ssrc, 0xaabbccdd);
	assert_int_equal(ri.ntp_mid, 0x56789abc);
	assert_int_equal(ri.rbc, 1);
	assert_int_equal(ri.rb[0].fraction, 64);
	assert_int_equal(ri.rb[0].cum_lost, 5);
	assert_int_equal(ri.rb[0].jitter, 80);
	/* truncated compound, bad version */
	assert_int_equal(rtcp_parse(buf, o - 4, &ri), -EBADMSG);
	buf[0] = 0x41;
	assert_int_equal(rtcp_parse(buf, o, &ri), -EBADMSG);

	/* RR: negative cumulative loss (duplicates), LSR/DLSR */
	buf[0] = 0x81; buf[1] = 201; buf[2] = 0; buf[3] = 7;
	o = 4 + put32(buf + 4, 0x11111111);
	o += rb(buf + o, 0xaabbccdd, 25, -3, 400, 0x56789abc, 0x4000);
	assert_int_equal(rtcp_parse(buf, o, &ri), 0);
	assert_false(ri.has_sr);
	assert_int_equal(ri.rbc, 1);
	assert_int_equal(ri.rb[0].cum_lost, -3);
	assert_int_equal(ri.rb[0].lsr, 0x56789abc);
	assert_int_equal(ri.rb[0].dlsr, 0x4000);
	/* RTP is not RTCP */
	buf[1] = 0;
	assert_false(rtcp_is_rtcp(buf, o));
	buf[1] = 0x80 | 8;
	assert_false(rtcp_is_rtcp(buf, o));

	/* RTT = A - seen - DLSR in 1/65536 s: 1 s - 0.5 s - 0.25 s */
	assert_int_equal(rtcp_rtt_us(0x00010000, 0x00008000, 0x4000), 250000);
	/* across the 16-bit seconds wrap */
	assert_int_equal(rtcp_rtt_us(0x00000100, 0xffff0000, 0x8000), 500000 + 3906);
	/* a DLSR larger than the time elapsed: not a round trip */
	assert_int_equal(rtcp_rtt_us(0x00010000, 0x00008000, 0x9000), -ERANGE);
	assert_int_equal(rtcp_now32(1500000), 0x00018000);
}

/* ---- E-model ------------------------------------------------------ */

static void test_mos(void **state)
{
	double m0, m1, m5, m10, m20, g729;

	(void)state;
	m0 = media_emodel_mos(0, 25.1, 0, 20);
	m1 = media_emodel_mos(0, 25.1, 1, 20);
	m5 = media_emodel_mos(0, 25.1, 5, 20);
	m10 = media_emodel_mos(0, 25.1, 10, 20);
	m20 = media_emodel_mos(0, 25.1, 20, 20);
	g729 = media_emodel_mos(11, 19, 0, 20);
	print_message("G.711 MOS: 0%% %.2f, 1%% %.2f, 5%% %.2f, 10%% %.2f, 20%% %.2f; G.729 0%% %.2f\n",
		      m0, m1, m5, m10, m20, g729);
	assert_true(m0 > 4.35 && m0 < 4.45);
	assert_true(m1 < m0 && m5 < m1 && m10 < m5 && m20 < m10);
	assert_true(m5 > 3.5 && m5 < 4.2);
	assert_true(g729 < m0);
	/* long delay hurts, beyond 177 ms much more */
	assert_true(media_emodel_mos(0, 25.1, 0, 300) < media_emodel_mos(0, 25.1, 0, 150) - 0.2);
	assert_true(media_emodel_mos(0, 25.1, 100, 1000) >= 1.0);
	double ie, bpl;
	media_codec_ie("pcma", &ie, &bpl);
	assert_true(ie == 0 && bpl > 25 && bpl < 25.2);
	media_codec_ie("G729", &ie, &bpl);
	assert_true(ie == 11);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_loss_jitter),
		cmocka_unit_test(test_steady_and_ssrc),
		cmocka_unit_test(test_rtcp),
		cmocka_unit_test(test_mos),
	};
	return cmocka_run_group_tests_name("media_quality", tests, NULL, NULL);
}
