/* SPDX-License-Identifier: GPL-2.0-or-later */
/** @file test_relay.c  The relay on real UDP sockets (127.0.0.1 and ::1),
 *  plain sockets playing the phones: port pool exhaustion and reuse,
 *  forwarding both ways with intact payloads and only the relay's address
 *  seen, latching and stray sources, SDP-only sources, rtcp-mux with an
 *  RTT from crafted SR/RR, RTP timeout, thousands of sessions. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>
#include "media_test.h"

static struct media *relay_new(uint16_t pmin, uint16_t pmax, unsigned timeout_s)
{
	struct media_prm prm;
	struct media *m = NULL;

	media_prm_init(&prm);
	prm.port_min = pmin;
	prm.port_max = pmax;
	prm.addr4 = "127.0.0.1";
	prm.addr6 = "::1";
	prm.workers = 2;
	prm.rtp_timeout_s = timeout_s;
	assert_int_equal(media_alloc(&m, &prm), 0);
	return m;
}

/* sessions close on their worker: wait (bounded) until all are gone */
static void wait_idle(struct media *m)
{
	struct media_totals t;

	for (int i = 0; i < 300; i++) {
		media_totals_get(m, &t);
		if (!t.sessions && !t.pairs_used && !t.streams)
			return;
		wait_ms(10);
	}
	fail_msg("relay not idle: sessions=%llu pairs=%u", (unsigned long long)t.sessions,
		 t.pairs_used);
}

static unsigned open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned n = 0;

	if (!d)
		return 0;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void remote_of(struct media_remote *r, const struct phone *p, bool latch)
{
	*r = (struct media_remote){ .rtp = p->addr, .latch = latch };
}

/* ---- port pool through the API ------------------------------------ */

static void test_exhaustion(void **state)
{
	struct media *m = relay_new(31000, 31007, 0);   /* 4 pairs: 2 streams */
	struct media_session *s = NULL, *s2 = NULL;
	struct media_totals t;
	uint16_t first[4];
	unsigned idx;
	struct sa a, b, rtcp;

	(void)state;
	assert_int_equal(media_session_alloc(&s, m, NULL, NULL), 0);
	assert_int_equal(media_stream_add(s, AF_INET, AF_INET, &idx), 0);
	assert_int_equal(idx, 0);
	assert_int_equal(media_stream_add(s, AF_INET, AF_INET6, &idx), 0);
	assert_int_equal(idx, 1);
	assert_int_equal(media_stream_add(s, AF_INET, AF_INET, &idx), -ENOSPC);
	assert_int_equal(media_stream_count(s), 2);
	media_totals_get(m, &t);
	assert_int_equal(t.pairs_total, 4);
	assert_int_equal(t.pairs_used, 4);
	for (unsigned i = 0; i < 2; i++) {
		assert_int_equal(media_stream_local(s, i, MEDIA_A, &a, &rtcp), 0);
		assert_int_equal(sa_port(&a) % 2, 0);
		assert_int_equal(sa_port(&rtcp), sa_port(&a) + 1);
		assert_int_equal(media_stream_local(s, i, MEDIA_B, &b, NULL), 0);
		first[2 * i] = sa_port(&a);
		first[2 * i + 1] = sa_port(&b);
	}
	assert_int_equal(media_stream_local(s, 1, MEDIA_B, &b, NULL), 0);
	assert_int_equal(sa_af(&b), AF_INET6);
	assert_int_equal(media_stream_local(s, 2, MEDIA_A, &a, NULL), -ENOENT);
	s = mem_deref(s);
	wait_idle(m);
	/* the freed ports come back */
	assert_int_equal(media_session_alloc(&s2, m, NULL, NULL), 0);
	assert_int_equal(media_stream_add(s2, AF_INET, AF_INET, &idx), 0);
	assert_int_equal(media_stream_local(s2, 0, MEDIA_A, &a, NULL), 0);
	bool reused = false;
	for (int i = 0; i < 4; i++)
		reused |= sa_port(&a) == first[i];
	assert_true(reused);
	s2 = mem_deref(s2);
	wait_idle(m);
	mem_deref(m);
}

/* ---- forwarding --------------------------------------------------- */

static void relay_both_ways(const char *ipa, const char *ipb, uint16_t pmin)
{
	struct media *m = relay_new(pmin, pmin + 99, 0);
	struct media_session *s = NULL;
	struct phone pa, pb;
	struct media_remote r;
	struct media_stats st;
	struct sa la, lb, src;
	uint8_t pkt[256], got[256];
	unsigned idx;
	int n;

	assert_int_equal(phone_open(&pa, ipa), 0);
	assert_int_equal(phone_open(&pb, ipb), 0);
	assert_int_equal(media_session_alloc(&s, m, NULL, NULL), 0);
	assert_int_equal(media_stream_add(s, sa_af(&pa.addr), sa_af(&pb.addr), &idx), 0);
	remote_of(&r, &pa, false);
	assert_int_equal(media_stream_set_remote(s, idx, MEDIA_A, &r), 0);
	remote_of(&r, &pb, false);
	assert_int_equal(media_stream_set_remote(s, idx, MEDIA_B, &r), 0);
	assert_int_equal(media_stream_local(s, idx, MEDIA_A, &la, NULL), 0);
	assert_int_equal(media_stream_local(s, idx, MEDIA_B, &lb, NULL), 0);

	for (uint16_t i = 0; i < 50; i++) {
		size_t len = rtp_make(pkt, 0, i, 160u * i, 0xa);
		assert_int_equal(phone_send(&pa, &la, pkt, len), 0);
		n = phone_recv(&pb, got, sizeof(got), &src, 2000);
		assert_int_equal(n, (int)len);
		assert_memory_equal(got, pkt, len);
		/* B sees the relay, never A */
		assert_true(sa_cmp(&src, &lb));

		len = rtp_make(pkt, 8, (uint16_t)(1000 + i), 160u * i, 0xb);
		assert_int_equal(phone_send(&pb, &lb, pkt, len), 0);
		n = phone_recv(&pa, got, sizeof(got), &src, 2000);
		assert_int_equal(n, (int)len);
		assert_memory_equal(got, pkt, len);
		assert_true(sa_cmp(&src, &la));
	}
	assert_int_equal(media_stream_stats(s, idx, &st), 0);
	assert_int_equal(st.side[MEDIA_A].rx_packets, 50);
	assert_int_equal(st.side[MEDIA_A].rx_bytes, 50 * 172);
	assert_int_equal(st.side[MEDIA_A].rx_lost, 0);
	assert_int_equal(st.side[MEDIA_B].tx_packets, 50);
	assert_int_equal(st.side[MEDIA_B].rx_packets, 50);
	assert_int_equal(st.side[MEDIA_A].tx_packets, 50);
	assert_int_equal(st.side[MEDIA_A].stray, 0);
	assert_false(st.side[MEDIA_A].latched);
	assert_true(st.side[MEDIA_A].mos_rx > 4.0);
	assert_true(st.side[MEDIA_A].idle_ms < 2000);
	s = mem_deref(s);
	wait_idle(m);
	phone_close(&pa);
	phone_close(&pb);
	mem_deref(m);
}

static void test_relay_v4(void **state)
{
	(void)state;
	relay_both_ways("127.0.0.1", "127.0.0.1", 31100);
}

static void test_relay_v6(void **state)
{
	(void)state;
	relay_both_ways("::1", "::1", 31200);
}

static void test_relay_v4_v6(void **state)
{
	(void)state;
	relay_both_ways("127.0.0.1", "::1", 31300);
}

/* ---- latching and strays ------------------------------------------ */

static void test_latch(void **state)
{
	struct media *m = relay_new(31400, 31499, 0);
	struct media_session *s = NULL;
	struct phone pa, pb, pc;
	struct media_remote r;
	struct media_stats st;
	struct sa la, lb, src;
	uint8_t pkt[256], got[256];
	unsigned idx;

	(void)state;
	assert_int_equal(phone_open(&pa, "127.0.0.1"), 0);
	assert_int_equal(phone_open(&pb, "127.0.0.1"), 0);
	assert_int_equal(phone_open(&pc, "127.0.0.1"), 0);
	assert_int_equal(media_session_alloc(&s, m, NULL, NULL), 0);
	assert_int_equal(media_stream_add(s, AF_INET, AF_INET, &idx), 0);
	/* A is behind NAT: its SDP says 192.0.2.10:4000, it sends from pa */
	r = (struct media_remote){ .latch = true };
	assert_int_equal(sa_set_str(&r.rtp, "192.0.2.10", 4000), 0);
	assert_int_equal(media_stream_set_remote(s, idx, MEDIA_A, &r), 0);
	remote_of(&r, &pb, false);
	assert_int_equal(media_stream_set_remote(s, idx, MEDIA_B, &r), 0);
	media_stream_local(s, idx, MEDIA_A, &la, NULL);
	media_stream_local(s, idx, MEDIA_B, &lb, NULL);

	/* first source wins */
	size_t len = rtp_make(pkt, 0, 1, 160, 0xa);
	assert_int_equal(phone_send(&pa, &la, pkt, len), 0);
	assert_int_equal(phone_recv(&pb, got, sizeof(got), &src, 2000), (int)len);
	assert_true(sa_cmp(&src, &lb));
	/* B's answer goes to the learnt address, not the SDP's */
	len = rtp_make(pkt, 0, 1, 160, 0xb);
	assert_int_equal(phone_send(&pb, &lb, pkt, len), 0);
	assert_int_equal(phone_recv(&pa, got, sizeof(got), &src, 2000), (int)len);
	assert_true(sa_cmp(&src, &la));
	/* a stray (C) on A's port is dropped and counted; A still passes */
	len = rtp_make(pkt, 0, 2, 320, 0xc);
	assert_int_equal(phone_send(&pc, &la, pkt, len), 0);
	len = rtp_make(pkt, 0, 2, 320, 0xa);
	assert_int_equal(phone_send(&pa, &la, pkt, len), 0);
	assert_int_equal(phone_recv(&pb, got, sizeof(got), NULL, 2000), (int)len);
	assert_int_equal(got[11], 0xa);
	assert_int_equal(phone_recv(&pb, got, sizeof(got), NULL, 200), -1);
	/* a stray on B's port (B is not latching: SDP address only) too */
	assert_int_equal(phone_send(&pc, &lb, pkt, len), 0);
	assert_int_equal(phone_recv(&pa, got, sizeof(got), NULL, 200), -1);
	assert_int_equal(media_stream_stats(s, idx, &st), 0);
	assert_true(st.side[MEDIA_A].latched);
	assert_true(sa_cmp(&st.side[MEDIA_A].remote_rtp, &pa.addr));
	assert_int_equal(st.side[MEDIA_A].stray, 1);
	assert_int_equal(st.side[MEDIA_B].stray, 1);
	assert_int_equal(st.side[MEDIA_A].rx_packets, 2);
	/* a re-INVITE moving A re-latches: then C may take over */
	assert_int_equal(sa_set_str(&r.rtp, "192.0.2.11", 4000), 0);
	r.latch = true;
	assert_int_equal(media_stream_set_remote(s, idx, MEDIA_A, &r), 0);
	len = rtp_make(pkt, 0, 3, 480, 0xc);
	assert_int_equal(phone_send(&pc, &la, pkt, len), 0);
	assert_int_equal(phone_recv(&pb, got, sizeof(got), NULL, 2000), (int)len);
	assert_int_equal(media_stream_stats(s, idx, &st), 0);
	assert_true(sa_cmp(&st.side[MEDIA_A].remote_rtp, &pc.addr));

	s = mem_deref(s);
	wait_idle(m);
	phone_close(&pa);
	phone_close(&pb);
	phone_close(&pc);
	mem_deref(m);
}

static void test_sdp_only(void **state)
{
	struct media *m = relay_new(31500, 31599, 0);
	struct media_session *s = NULL;
	struct phone pa, pb, pc;
	struct media_remote r;
	struct media_stats st;
	struct sa la, lb;
	uint8_t pkt[256], got[256];
	unsigned idx;
	size_t len;

	(void)state;
	assert_int_equal(phone_open(&pa, "127.0.0.1"), 0);
	assert_int_equal(phone_open(&pb, "127.0.0.1"), 0);
	assert_int_equal(phone_open(&pc, "127.0.0.1"), 0);
	assert_int_equal(media_session_alloc(&s, m, NULL, NULL), 0);
	assert_int_equal(media_stream_add(s, AF_INET, AF_INET, &idx), 0);
	media_stream_local(s, idx, MEDIA_A, &la, NULL);
	media_stream_local(s, idx, MEDIA_B, &lb, NULL);
	/* before B's answer: nowhere to send, counted */
	remote_of(&r, &pa, false);
	assert_int_equal(media_stream_set_remote(s, idx, MEDIA_A, &r), 0);
	len = rtp_make(pkt, 0, 1, 160, 0xa);
	assert_int_equal(phone_send(&pa, &la, pkt, len), 0);
	wait_ms(100);
	assert_int_equal(media_stream_stats(s, idx, &st), 0);
	assert_int_equal(st.side[MEDIA_A].unroutable, 1);
	remote_of(&r, &pb, false);
	assert_int_equal(media_stream_set_remote(s, idx, MEDIA_B, &r), 0);
	/* only the SDP's address and port: C, same host other port, is not A */
	for (int i = 0; i < 5; i++) {
		len = rtp_make(pkt, 0, (uint16_t)(10 + i), 160, 0xc);
		assert_int_equal(phone_send(&pc, &la, pkt, len), 0);
	}
	len = rtp_make(pkt, 0, 2, 320, 0xa);
	assert_int_equal(phone_send(&pa, &la, pkt, len), 0);
	assert_int_equal(phone_recv(&pb, got, sizeof(got), NULL, 2000), (int)len);
	assert_int_equal(got[11], 0xa);
	assert_int_equal(phone_recv(&pb, got, sizeof(got), NULL, 200), -1);
	assert_int_equal(media_stream_stats(s, idx, &st), 0);
	assert_int_equal(st.side[MEDIA_A].stray, 5);
	assert_false(st.side[MEDIA_A].latched);
	/* hold the old way (c=0.0.0.0): A's packets go nowhere */
	r = (struct media_remote){ 0 };
	assert_int_equal(sa_set_str(&r.rtp, "0.0.0.0", 9), 0);
	assert_int_equal(media_stream_set_remote(s, idx, MEDIA_B, &r), 0);
	assert_int_equal(phone_send(&pa, &la, pkt, len), 0);
	assert_int_equal(phone_recv(&pb, got, sizeof(got), NULL, 200), -1);

	s = mem_deref(s);
	wait_idle(m);
	phone_close(&pa);
	phone_close(&pb);
	phone_close(&pc);
	mem_deref(m);
}

/* ---- rtcp-mux and RTT ------------------------------------------- */

static size_t sr_make(uint8_t *b, uint32_t ssrc, uint32_t ntp_sec, uint32_t ntp_frac)
{
	b[0] = 0x80; b[1] = 200; b[2] = 0; b[3] = 6;
	put32be(b + 4, ssrc);
	put32be(b + 8, ntp_sec);
	put32be(b + 12, ntp_frac);
	put32be(b + 16, 16000);
	put32be(b + 20, 100);
	put32be(b + 24, 17200);
	return 28;
}

static size_t rr_make(uint8_t *b, uint32_t ssrc, uint32_t about, uint8_t frac,
		      uint32_t jitter, uint32_t lsr, uint32_t dlsr)
{
	b[0] = 0x81; b[1] = 201; b[2] = 0; b[3] = 7;
	put32be(b + 4, ssrc);
	put32be(b + 8, about);
	put32be(b + 12, (uint32_t)frac << 24 | 2);
	put32be(b + 16, 1000);
	put32be(b + 20, jitter);
	put32be(b + 24, lsr);
	put32be(b + 28, dlsr);
	return 32;
}

static uint64_t now_us(void)
{
	return time_us();
}

static void test_rtcp_mux_rtt(void **state)
{
	struct media *m = relay_new(31600, 31699, 0);
	struct media_session *s = NULL;
	struct phone pa, pb, pb_rtcp;
	struct media_remote r;
	struct media_stats st;
	struct sa la, lb, lb_rtcp, src;
	uint8_t pkt[256], got[256];
	unsigned idx;
	size_t len;
	uint64_t t0, t1;
	uint32_t dlsr;

	(void)state;
	assert_int_equal(phone_open(&pa, "127.0.0.1"), 0);
	assert_int_equal(phone_open(&pb, "127.0.0.1"), 0);
	assert_int_equal(phone_open(&pb_rtcp, "127.0.0.1"), 0);
	assert_int_equal(media_session_alloc(&s, m, NULL, NULL), 0);
	assert_int_equal(media_stream_add(s, AF_INET, AF_INET, &idx), 0);
	media_stream_local(s, idx, MEDIA_A, &la, NULL);
	media_stream_local(s, idx, MEDIA_B, &lb, &lb_rtcp);
	/* A muxes RTCP on its RTP port; B has a separate RTCP socket (a=rtcp) */
	r = (struct media_remote){ .rtp = pa.addr, .rtcp_mux = true };
	assert_int_equal(media_stream_set_remote(s, idx, MEDIA_A, &r), 0);
	r = (struct media_remote){ .rtp = pb.addr, .rtcp = pb_rtcp.addr };
	assert_int_equal(media_stream_set_remote(s, idx, MEDIA_B, &r), 0);

	/* some RTP both ways so the SSRCs are known */
	len = rtp_make(pkt, 0, 1, 160, 0xa);
	assert_int_equal(phone_send(&pa, &la, pkt, len), 0);
	assert_int_equal(phone_recv(&pb, got, sizeof(got), NULL, 2000), (int)len);
	len = rtp_make(pkt, 0, 1, 160, 0xb);
	assert_int_equal(phone_send(&pb, &lb, pkt, len), 0);
	assert_int_equal(phone_recv(&pa, got, sizeof(got), NULL, 2000), (int)len);

	/* B's SR from its RTCP socket reaches A on A's RTP port (mux) */
	len = sr_make(pkt, 0xb, 0x11112222, 0x33334444);
	assert_int_equal(phone_send(&pb_rtcp, &lb_rtcp, pkt, len), 0);
	assert_int_equal(phone_recv(&pa, got, sizeof(got), &src, 2000), (int)len);
	t0 = now_us();
	assert_memory_equal(got, pkt, len);
	assert_true(sa_cmp(&src, &la));
	/* A answers 30 ms later claiming only 10 ms of delay: the relay
	 * must compute a 20 ms round trip (plus loopback time) */
	wait_ms(30);
	t1 = now_us();
	dlsr = (uint32_t)(((t1 - t0) - 20000) * 65536 / 1000000);
	len = rr_make(pkt, 0xa, 0xb, 64, 800, 0x22223333, dlsr);
	assert_int_equal(phone_send(&pa, &la, pkt, len), 0);
	/* ... and forwards it to B's RTCP address from B's RTCP port */
	assert_int_equal(phone_recv(&pb_rtcp, got, sizeof(got), &src, 2000), (int)len);
	assert_memory_equal(got, pkt, len);
	assert_true(sa_cmp(&src, &lb_rtcp));
	assert_int_equal(media_stream_stats(s, idx, &st), 0);
	assert_true(st.side[MEDIA_A].has_rtt);
	print_message("rtt side A %.2f ms (expected 20 + loopback)\n", st.side[MEDIA_A].rtt_ms);
	assert_true(st.side[MEDIA_A].rtt_ms >= 19.0 && st.side[MEDIA_A].rtt_ms < 28.0);
	assert_true(st.side[MEDIA_A].has_rr);
	assert_true(st.side[MEDIA_A].rr_loss_pct > 24.9 && st.side[MEDIA_A].rr_loss_pct < 25.1);
	assert_true(st.side[MEDIA_A].rr_jitter_ms > 99.9 && st.side[MEDIA_A].rr_jitter_ms < 100.1);
	assert_int_equal(st.side[MEDIA_A].rr_cum_lost, 2);
	assert_true(st.side[MEDIA_A].mos_tx > 1.0 && st.side[MEDIA_A].mos_tx < 3.6);
	assert_int_equal(st.side[MEDIA_A].rtcp_rx, 1);
	assert_int_equal(st.side[MEDIA_B].rtcp_rx, 1);
	/* RTCP from B's RTP port is not accepted on the RTCP socket */
	assert_int_equal(phone_send(&pb, &lb_rtcp, pkt, len), 0);
	assert_int_equal(phone_recv(&pa, got, sizeof(got), NULL, 200), -1);

	s = mem_deref(s);
	wait_idle(m);
	phone_close(&pa);
	phone_close(&pb);
	phone_close(&pb_rtcp);
	mem_deref(m);
}

/* ---- RTP timeout ---------------------------------------------------- */

static atomic_int timeouts;
static atomic_uint timeout_stream;

static void on_timeout(unsigned stream, void *arg)
{
	atomic_store(&timeout_stream, stream);
	atomic_fetch_add((atomic_int *)arg, 1);
}

static void test_timeout(void **state)
{
	struct media *m = relay_new(31700, 31799, 1);
	struct media_session *s = NULL;
	struct phone pa, pb;
	struct media_remote r;
	struct media_stats st;
	struct sa la;
	uint8_t pkt[256];
	unsigned idx, idx2;
	uint64_t t0;

	(void)state;
	assert_int_equal(phone_open(&pa, "127.0.0.1"), 0);
	assert_int_equal(phone_open(&pb, "127.0.0.1"), 0);
	assert_int_equal(media_session_alloc(&s, m, on_timeout, &timeouts), 0);
	assert_int_equal(media_stream_add(s, AF_INET, AF_INET, &idx), 0);
	assert_int_equal(media_stream_add(s, AF_INET, AF_INET, &idx2), 0);
	assert_int_equal(media_stream_set_timeout(s, idx, 0), 0);   /* on hold: never */
	remote_of(&r, &pa, false);
	assert_int_equal(media_stream_set_remote(s, idx2, MEDIA_A, &r), 0);
	remote_of(&r, &pb, false);
	assert_int_equal(media_stream_set_remote(s, idx2, MEDIA_B, &r), 0);
	media_stream_local(s, idx2, MEDIA_A, &la, NULL);
	/* media for 1.5 s keeps it alive */
	t0 = time_ms();
	for (uint16_t i = 0; time_ms() - t0 < 1500; i++) {
		size_t len = rtp_make(pkt, 0, i, 160u * i, 0xa);
		assert_int_equal(phone_send(&pa, &la, pkt, len), 0);
		wait_ms(20);
	}
	assert_int_equal(atomic_load(&timeouts), 0);
	/* then silence: the callback within 1 s + a scan period */
	t0 = time_ms();
	while (!atomic_load(&timeouts) && time_ms() - t0 < 3000)
		wait_ms(10);
	assert_int_equal(atomic_load(&timeouts), 1);
	assert_int_equal(atomic_load(&timeout_stream), idx2);
	assert_true(time_ms() - t0 >= 700);
	assert_int_equal(media_stream_stats(s, idx2, &st), 0);
	assert_true(st.timed_out);
	assert_true(st.side[MEDIA_A].idle_ms >= 1000);
	/* once only */
	wait_ms(600);
	assert_int_equal(atomic_load(&timeouts), 1);
	s = mem_deref(s);
	wait_idle(m);
	phone_close(&pa);
	phone_close(&pb);
	mem_deref(m);
}

/* ---- many sessions ---------------------------------------------- */

static void test_many_sessions(void **state)
{
	enum { N = 1500, ROUNDS = 3 };
	static struct media_session *v[N];
	struct media *m = relay_new(32000, 39999, 0);   /* 4000 pairs */
	size_t blocks = mem_blocks();
	unsigned fds = open_fds(), idx;
	struct media_totals t;

	(void)state;
	for (int round = 0; round < ROUNDS; round++) {
		for (int i = 0; i < N; i++) {
			v[i] = NULL;
			assert_int_equal(media_session_alloc(&v[i], m, NULL, NULL), 0);
			assert_int_equal(media_stream_add(v[i], AF_INET, i % 2 ? AF_INET6 : AF_INET,
							  &idx), 0);
		}
		media_totals_get(m, &t);
		assert_int_equal(t.pairs_used, 2 * N);
		assert_int_equal(t.sessions, N);
		for (int i = 0; i < N; i++)
			v[i] = mem_deref(v[i]);
		wait_idle(m);
	}
	assert_int_equal(mem_blocks(), blocks);
	assert_int_equal(open_fds(), fds);
	mem_deref(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exhaustion),
		cmocka_unit_test(test_relay_v4),
		cmocka_unit_test(test_relay_v6),
		cmocka_unit_test(test_relay_v4_v6),
		cmocka_unit_test(test_latch),
		cmocka_unit_test(test_sdp_only),
		cmocka_unit_test(test_rtcp_mux_rtt),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_many_sessions),
	};
	return cmocka_run_group_tests_name("media_relay", tests, NULL, NULL);
}
