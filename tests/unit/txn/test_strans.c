/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file test_strans.c  Server transactions over the real transport: new
 *  requests, retransmission absorption, INVITE 486 with timer G until ACK,
 *  non-INVITE Completed for 64*T1, RFC 2543 matching, CANCEL, ACK of 2xx,
 *  and one INVITE over TCP.
 */
#include "harness.h"

static const struct txn_cfg cfg_fast = { .t1 = 10, .t2 = 40, .t4 = 50, .td = 100 };

/* A request from the peer. branch NULL: no branch (RFC 2543 peer). */
static void mkreq(char *buf, size_t n, const struct harness *h, const char *proto,
		  const char *method, const char *branch, const char *callid,
		  unsigned cseq, const char *cseq_method, const char *totag)
{
	char via[128];

	snprintf(via, sizeof(via), "SIP/2.0/%s 127.0.0.1:%u%s%s;rport", proto,
		 sa_port(&h->peer_addr), branch ? ";branch=" : "", branch ? branch : "");
	snprintf(buf, n,
		 "%s sip:bob@127.0.0.1 SIP/2.0\r\n"
		 "Via: %s\r\n"
		 "From: <sip:alice@example.com>;tag=ft1\r\n"
		 "To: <sip:bob@example.com>%s%s\r\n"
		 "Call-ID: %s\r\n"
		 "CSeq: %u %s\r\n"
		 "Max-Forwards: 70\r\n"
		 "Content-Length: 0\r\n\r\n",
		 method, via, totag ? ";tag=" : "", totag ? totag : "", callid,
		 cseq, cseq_method ? cseq_method : method);
}

static uint64_t active_srv(struct harness *h)
{
	struct txn_stats st;

	txn_stats_get(h->s, &st);
	return st.active_srv;
}

static bool wait_idle(struct harness *h, unsigned ms)
{
	uint64_t end = time_ms() + ms;

	while (active_srv(h)) {
		if (time_ms() > end)
			return false;
		sleep_ms(2);
	}
	return true;
}

/* The To tag of a response. */
static void resp_totag(const char *resp, char *tag, size_t n)
{
	char to[256];
	const char *p;

	assert_true(msg_hdr(resp, "To", to, sizeof(to)));
	p = strstr(to, ";tag=");
	assert_non_null(p);
	snprintf(tag, n, "%s", p + 5);
}

/* ------------------------------------------------------------------ */

static void tu_reply_200(struct harness *h, struct txn_srv *st, const struct sip_msg *req)
{
	(void)h; (void)req;
	assert_int_equal(txn_srv_reply_simple(st, 200, NULL, NULL), 0);
}

/* Non-INVITE: new, absorbed with the identical response, Completed for
 * 64*T1 (timer J), then gone: the same request is new again. */
static void test_nist_absorb(void **state)
{
	struct harness h;
	char req[1024], r1[4096], r2[4096], t1[64], t2[64];
	struct txn_stats st;
	uint64_t t0;

	(void)state;
	harness_start(&h, &cfg_fast);
	h.on_new = tu_reply_200;
	mkreq(req, sizeof(req), &h, "UDP", "OPTIONS", "z9hG4bKnist1", "nist1@test", 1, NULL, NULL);

	peer_send(&h, req);
	assert_true(peer_recv(&h, r1, sizeof(r1), 1000, NULL) > 0);
	t0 = time_ms();
	assert_non_null(strstr(r1, "SIP/2.0 200 "));

	peer_send(&h, req);
	assert_true(peer_recv(&h, r2, sizeof(r2), 1000, NULL) > 0);
	assert_string_equal(r1, r2);
	sleep_ms(200);
	peer_send(&h, req);
	assert_true(peer_recv(&h, r2, sizeof(r2), 1000, NULL) > 0);
	assert_string_equal(r1, r2);
	assert_true(wait_count(&h, &h.rx_absorbed, 2, 1000));

	/* Timer J = 64*T1 = 640 ms. */
	assert_true(wait_idle(&h, 3000));
	assert_true(time_ms() - t0 >= 600);

	peer_send(&h, req);
	assert_true(peer_recv(&h, r2, sizeof(r2), 1000, NULL) > 0);
	resp_totag(r1, t1, sizeof(t1));
	resp_totag(r2, t2, sizeof(t2));
	assert_string_not_equal(t1, t2);   /* a new transaction's tag */

	h_lock(&h);
	assert_int_equal(h.rx_new, 2);
	assert_int_equal(h.rx_absorbed, 2);
	h_unlock(&h);
	txn_stats_get(h.s, &st);
	assert_int_equal(st.srv_created, 2);
	assert_int_equal(st.srv_absorbed, 2);
	assert_true(wait_idle(&h, 3000));
	harness_stop(&h);
}

/* ------------------------------------------------------------------ */

static void tu_keep_only(struct harness *h, struct txn_srv *st, const struct sip_msg *req)
{
	(void)req;
	tu_keep(h, st);
}

static struct txn_srv *kept(struct harness *h, unsigned i)
{
	struct txn_srv *st = NULL;
	uint64_t end = time_ms() + 1000;

	while (!st && time_ms() < end) {
		h_lock(h);
		st = h->keepc > i ? h->keep[i] : NULL;
		h_unlock(h);
		if (!st)
			sleep_ms(2);
	}
	assert_non_null(st);
	return st;
}

/* INVITE answered 486 from the test thread (off the owner loop): timer G
 * retransmits until the ACK, which is absorbed; timer I ends it. */
static void test_ist_486(void **state)
{
	struct harness h;
	char req[1024], ack[1024], r1[4096], r2[4096], tag[64];
	unsigned n;

	(void)state;
	harness_start(&h, &cfg_fast);
	h.on_new = tu_keep_only;
	mkreq(req, sizeof(req), &h, "UDP", "INVITE", "z9hG4bKist1", "ist1@test", 1, NULL, NULL);

	peer_send(&h, req);
	assert_int_equal(txn_srv_reply_simple(kept(&h, 0), 486, NULL, NULL), 0);
	assert_true(peer_recv(&h, r1, sizeof(r1), 1000, NULL) > 0);
	assert_non_null(strstr(r1, "SIP/2.0 486 "));

	/* Timer G: 10, 20, 40, 40 ... ms (T2 = 40). */
	n = 0;
	for (uint64_t end = time_ms() + 200; time_ms() < end;) {
		if (peer_recv(&h, r2, sizeof(r2), 50, NULL)) {
			assert_string_equal(r1, r2);
			n++;
		}
	}
	assert_true(n >= 3);

	/* A retransmitted INVITE gets the 486 again. */
	peer_send(&h, req);
	assert_true(wait_count(&h, &h.rx_absorbed, 1, 1000));
	assert_int_equal(txn_srv_reply_simple(kept(&h, 0), 500, NULL, NULL), -EPROTO);

	resp_totag(r1, tag, sizeof(tag));
	mkreq(ack, sizeof(ack), &h, "UDP", "ACK", "z9hG4bKist1", "ist1@test", 1, NULL, tag);
	peer_send(&h, ack);
	assert_true(wait_count(&h, &h.rx_absorbed, 2, 1000));
	(void)peer_count(&h, 60);           /* what was in flight */
	assert_int_equal(peer_count(&h, 200), 0);

	h_lock(&h);
	assert_int_equal(h.rx_new, 1);
	assert_int_equal(h.rx_ack, 0);
	h_unlock(&h);
	assert_true(wait_idle(&h, 2000));   /* timer I = T4 */
	harness_stop(&h);
}

/* INVITE answered 200 (Accepted, RFC 6026): retransmitted INVITEs are
 * absorbed silently, the TU re-sends its 2xx (its own copy), the ACK (new
 * branch) goes to the TU. */
static void test_ist_2xx(void **state)
{
	struct harness h;
	char req[1024], ack[1024], r1[4096], r2[4096], tag[64];

	(void)state;
	harness_start(&h, &cfg_fast);
	h.on_new = tu_keep_only;
	mkreq(req, sizeof(req), &h, "UDP", "INVITE", "z9hG4bKist2", "ist2@test", 1, NULL, NULL);

	peer_send(&h, req);
	assert_int_equal(txn_srv_reply_simple(kept(&h, 0), 100, NULL, NULL), 0);
	assert_true(peer_recv(&h, r1, sizeof(r1), 1000, NULL) > 0);
	assert_non_null(strstr(r1, "SIP/2.0 100 "));
	assert_int_equal(txn_srv_reply_simple(kept(&h, 0), 200, NULL, NULL), 0);
	assert_true(peer_recv(&h, r1, sizeof(r1), 1000, NULL) > 0);
	assert_non_null(strstr(r1, "SIP/2.0 200 "));

	peer_send(&h, req);
	assert_true(wait_count(&h, &h.rx_absorbed, 1, 1000));
	assert_int_equal(peer_count(&h, 60), 0);

	/* The TU re-sends its own copy of the 2xx; the request went with the
	 * final, so nothing is built from it any more. */
	assert_int_equal(txn_srv_reply(kept(&h, 0), 200, r1, strlen(r1)), 0);
	assert_true(peer_recv(&h, r2, sizeof(r2), 1000, NULL) > 0);
	assert_string_equal(r1, r2);
	assert_int_equal(txn_srv_reply_simple(kept(&h, 0), 200, NULL, NULL), -EPROTO);
	assert_int_equal(txn_srv_reply_simple(kept(&h, 0), 486, NULL, NULL), -EPROTO);

	resp_totag(r1, tag, sizeof(tag));
	mkreq(ack, sizeof(ack), &h, "UDP", "ACK", "z9hG4bKack2", "ist2@test", 1, NULL, tag);
	peer_send(&h, ack);
	assert_true(wait_count(&h, &h.rx_ack, 1, 1000));
	assert_true(wait_idle(&h, 3000));   /* timer L = 64*T1 */
	harness_stop(&h);
}

/* RFC 2543 peer (no branch): matching by Request-URI, tags, Call-ID, CSeq
 * and top Via; the ACK carries our To tag. */
static void test_2543(void **state)
{
	struct harness h;
	char req[1024], ack[1024], other[1024], r1[4096], r2[4096], tag[64];

	(void)state;
	harness_start(&h, &cfg_fast);
	h.on_new = tu_keep_only;
	mkreq(req, sizeof(req), &h, "UDP", "INVITE", NULL, "old1@test", 7, NULL, NULL);

	peer_send(&h, req);
	assert_int_equal(txn_srv_reply_simple(kept(&h, 0), 486, NULL, NULL), 0);
	assert_true(peer_recv(&h, r1, sizeof(r1), 1000, NULL) > 0);
	assert_non_null(strstr(r1, "SIP/2.0 486 "));

	peer_send(&h, req);
	assert_true(wait_count(&h, &h.rx_absorbed, 1, 1000));
	assert_true(peer_recv(&h, r2, sizeof(r2), 1000, NULL) > 0);
	assert_string_equal(r1, r2);

	/* Another CSeq is another transaction. */
	mkreq(other, sizeof(other), &h, "UDP", "INVITE", NULL, "old1@test", 8, NULL, NULL);
	peer_send(&h, other);
	assert_true(wait_count(&h, &h.rx_new, 2, 1000));

	/* An ACK with a wrong To tag matches nothing: for the TU. */
	mkreq(ack, sizeof(ack), &h, "UDP", "ACK", NULL, "old1@test", 7, NULL, "nottheone");
	peer_send(&h, ack);
	assert_true(wait_count(&h, &h.rx_ack, 1, 1000));

	resp_totag(r1, tag, sizeof(tag));
	mkreq(ack, sizeof(ack), &h, "UDP", "ACK", NULL, "old1@test", 7, NULL, tag);
	peer_send(&h, ack);
	assert_true(wait_count(&h, &h.rx_absorbed, 2, 1000));
	(void)peer_count(&h, 60);
	assert_int_equal(peer_count(&h, 150), 0);

	assert_int_equal(txn_srv_reply_simple(kept(&h, 1), 603, NULL, NULL), 0);
	assert_true(wait_idle(&h, 3000));   /* the second one by timer H */
	harness_stop(&h);
}

/* ------------------------------------------------------------------ */

static bool cancel_found;

static void tu_cancel(struct harness *h, struct txn_srv *st, const struct sip_msg *req)
{
	if (req->meth == SIP_INVITE) {
		tu_keep(h, st);
		assert_int_equal(txn_srv_reply_simple(st, 180, NULL, NULL), 0);
		return;
	}
	if (req->meth == SIP_CANCEL) {
		struct txn_srv *inv = txn_srv_cancel_target(h->s, req);

		if (!inv) {
			assert_int_equal(txn_srv_reply_simple(st, 481, NULL, NULL), 0);
			return;
		}
		h_lock(h);
		cancel_found = h->keepc && inv == h->keep[0];
		h_unlock(h);
		assert_int_equal(txn_srv_reply_simple(st, 200, NULL, NULL), 0);
		assert_int_equal(txn_srv_reply_simple(inv, 487, NULL, NULL), 0);
		mem_deref(inv);
	}
}

/* CANCEL: its own transaction answered 200, the INVITE found and answered
 * 487; an unknown CANCEL gets 481. */
static void test_cancel(void **state)
{
	struct harness h;
	char req[1024], r[4096], r487[4096], cseq[64], tag[64];
	bool got200 = false, got487 = false;

	(void)state;
	harness_start(&h, &cfg_fast);
	h.on_new = tu_cancel;
	mkreq(req, sizeof(req), &h, "UDP", "INVITE", "z9hG4bKcan1", "can1@test", 1, NULL, NULL);
	peer_send(&h, req);
	assert_true(peer_recv(&h, r, sizeof(r), 1000, NULL) > 0);
	assert_non_null(strstr(r, "SIP/2.0 180 "));

	mkreq(req, sizeof(req), &h, "UDP", "CANCEL", "z9hG4bKcan1", "can1@test", 1, NULL, NULL);
	peer_send(&h, req);
	for (int i = 0; i < 2; i++) {
		assert_true(peer_recv(&h, r, sizeof(r), 1000, NULL) > 0);
		assert_true(msg_hdr(r, "CSeq", cseq, sizeof(cseq)));
		if (strstr(r, "SIP/2.0 200 ") && !strcmp(cseq, "1 CANCEL"))
			got200 = true;
		if (strstr(r, "SIP/2.0 487 ") && !strcmp(cseq, "1 INVITE")) {
			got487 = true;
			memcpy(r487, r, sizeof(r487));
		}
	}
	assert_true(got200 && got487);
	h_lock(&h);
	assert_true(cancel_found);
	assert_int_equal(h.rx_new, 2);
	h_unlock(&h);

	/* ACK the 487 to stop timer G. */
	resp_totag(r487, tag, sizeof(tag));
	mkreq(req, sizeof(req), &h, "UDP", "ACK", "z9hG4bKcan1", "can1@test", 1, NULL, tag);
	peer_send(&h, req);
	assert_true(wait_count(&h, &h.rx_absorbed, 1, 1000));
	(void)peer_count(&h, 60);

	/* CANCEL of nothing. */
	mkreq(req, sizeof(req), &h, "UDP", "CANCEL", "z9hG4bKcan9", "can9@test", 1, NULL, NULL);
	peer_send(&h, req);
	assert_true(peer_recv(&h, r, sizeof(r), 1000, NULL) > 0);
	assert_non_null(strstr(r, "SIP/2.0 481 "));
	assert_true(wait_idle(&h, 3000));
	harness_stop(&h);
}

/* ------------------------------------------------------------------ */

static void tu_reply_486(struct harness *h, struct txn_srv *st, const struct sip_msg *req)
{
	(void)h; (void)req;
	assert_int_equal(txn_srv_reply_simple(st, 486, NULL, NULL), 0);
}

/* Read one message (no body) from a stream socket within ms. */
static size_t tcp_read_msg(int fd, char *buf, size_t size, unsigned ms)
{
	size_t len = 0;
	uint64_t end = time_ms() + ms;

	while (len + 1 < size) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint64_t now = time_ms();
		ssize_t n;

		buf[len] = '\0';
		if (strstr(buf, "\r\n\r\n"))
			return len;
		if (now >= end || poll(&pfd, 1, (int)(end - now)) <= 0)
			return 0;
		n = read(fd, buf + len, 1);   /* byte-wise: stop at the message's end */
		if (n <= 0)
			return 0;
		len += (size_t)n;
	}
	return 0;
}

/* INVITE over TCP: 486 without timer G, ACK absorbed, timer I zero. */
static void test_tcp(void **state)
{
	struct harness h;
	char req[1024], r[4096], r2[4096], tag[64];
	int fd;

	(void)state;
	harness_start(&h, &cfg_fast);
	h.on_new = tu_reply_486;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, &h.tp_tcp.u.sa, h.tp_tcp.len), 0);

	mkreq(req, sizeof(req), &h, "TCP", "INVITE", "z9hG4bKtcp1", "tcp1@test", 1, NULL, NULL);
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	assert_true(tcp_read_msg(fd, r, sizeof(r), 2000) > 0);
	assert_non_null(strstr(r, "SIP/2.0 486 "));
	assert_true(tcp_read_msg(fd, r2, sizeof(r2), 150) == 0);   /* no timer G */

	resp_totag(r, tag, sizeof(tag));
	mkreq(req, sizeof(req), &h, "TCP", "ACK", "z9hG4bKtcp1", "tcp1@test", 1, NULL, tag);
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	assert_true(wait_count(&h, &h.rx_absorbed, 1, 1000));
	assert_true(wait_idle(&h, 200));  /* timer I = 0 */
	close(fd);
	harness_stop(&h);
}

/* ------------------------------------------------------------------ */

/* An OPTIONS ping as monitoring peers and SIPp send it: about 500 bytes. */
static size_t mk_options(char *buf, size_t n, const struct harness *h, unsigned i)
{
	unsigned port = sa_port(&h->peer_addr);
	int len = snprintf(buf, n,
		 "OPTIONS sip:ping@127.0.0.1:%u SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK-%u-%08x-0;rport\r\n"
		 "Max-Forwards: 70\r\n"
		 "From: \"bench\" <sip:bench@127.0.0.1:%u>;tag=%uT%u\r\n"
		 "To: <sip:ping@127.0.0.1:%u>\r\n"
		 "Call-ID: %u-%u@127.0.0.1\r\n"
		 "CSeq: 1 OPTIONS\r\n"
		 "Contact: <sip:bench@127.0.0.1:%u>\r\n"
		 "Accept: application/sdp\r\n"
		 "User-Agent: options-bench/1.0 (keep-alive monitoring of trunk peers)\r\n"
		 "Supported: replaces, timer, path\r\n"
		 "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE\r\n"
		 "Content-Length: 0\r\n\r\n",
		 sa_port(&h->tp_udp), port, i, i * 2654435761u, port, i, i,
		 sa_port(&h->tp_udp), i, i, port);

	assert_true(len > 0 && (size_t)len < n);
	return (size_t)len;
}

static void tu_options(struct harness *h, struct txn_srv *st, const struct sip_msg *req)
{
	static const char hdrs[] =
		"Allow: INVITE, ACK, CANCEL, BYE, OPTIONS\r\n"
		"Accept: application/sdp\r\n"
		"Accept-Encoding: identity\r\n"
		"Accept-Language: en\r\n"
		"Supported:\r\n";

	(void)h; (void)req;
	assert_int_equal(txn_srv_reply_simple(st, 200, NULL, hdrs), 0);
}

/* 10,000 OPTIONS answered 200 stay in Completed for timer J (32 s with
 * the default T1): what they hold must stay small, because a server at
 * a few thousand requests per second keeps 32 s worth of them. */
static void test_memory_10k(void **state)
{
	enum { N = 10000, WINDOW = 50, MAX_BYTES_PER_TXN = 2048 };
	struct harness h;
	struct txn_stats st;
	char req[1024], r[4096];
	size_t reqlen = 0, blocks;
	unsigned sent = 0, got = 0;

	(void)state;
	harness_start(&h, NULL);
	h.on_new = tu_options;

	while (got < N) {
		unsigned burst = 0;

		while (sent < N && sent - got < WINDOW && burst++ < WINDOW) {
			reqlen = mk_options(req, sizeof(req), &h, sent++);
			peer_send(&h, req);
		}
		if (!peer_recv(&h, r, sizeof(r), 2000, NULL))
			fail_msg("no response after %u of %u", got, N);
		assert_non_null(strstr(r, "SIP/2.0 200 "));
		got++;
	}
	print_message("request %zu bytes\n", reqlen);
	assert_true(reqlen > 450 && reqlen < 600);

	txn_stats_get(h.s, &st);
	assert_int_equal(st.srv_created, N);
	assert_int_equal(st.active_srv, N);
	print_message("%u OPTIONS of %zu bytes: %llu bytes held, %llu per transaction\n",
		      N, reqlen, (unsigned long long)st.srv_bytes,
		      (unsigned long long)(st.srv_bytes / N));
	assert_true(st.srv_bytes < (uint64_t)N * MAX_BYTES_PER_TXN);   /* < 20 MB */
	assert_true(st.srv_bytes > (uint64_t)N * reqlen);              /* counted at all */

	/* One refcounted block per transaction: no parsed message kept. */
	blocks = mem_blocks() - h.blocks0;
	assert_true(blocks >= N && blocks < N + 64);

	harness_stop(&h);   /* flushes the live transactions */
}

/* txn_srv_request() parses on first use only, keeps the parse, and a
 * reply built after it is the same as one built without it. */
static void test_request_lazy(void **state)
{
	struct harness h;
	struct txn_stats s0, s1;
	const struct sip_msg *m;
	struct txn_srv *st;
	char req[1024], r[4096];

	(void)state;
	harness_start(&h, &cfg_fast);
	h.on_new = tu_keep_only;
	mk_options(req, sizeof(req), &h, 7);
	peer_send(&h, req);
	st = kept(&h, 0);

	txn_stats_get(h.s, &s0);
	m = txn_srv_request(st);
	assert_non_null(m);
	assert_true(m->req);
	assert_int_equal(m->meth, SIP_OPTIONS);
	assert_true(pl_eq_str(&m->callid, "7-7@127.0.0.1"));
	assert_true(pl_eq_str(&m->from.tag, "7T7"));
	assert_int_equal(m->cseq.num, 1);
	assert_ptr_equal(txn_srv_request(st), m);   /* kept */
	txn_stats_get(h.s, &s1);
	assert_true(s1.srv_bytes >= s0.srv_bytes + sizeof(struct sip_msg));
	assert_null(txn_srv_request(NULL));

	assert_int_equal(txn_srv_reply_simple(st, 200, NULL, NULL), 0);
	assert_true(peer_recv(&h, r, sizeof(r), 1000, NULL) > 0);
	assert_non_null(strstr(r, "SIP/2.0 200 "));
	assert_non_null(strstr(r, "Call-ID: 7-7@127.0.0.1\r\n"));
	assert_non_null(strstr(r, "CSeq: 1 OPTIONS\r\n"));
	assert_true(wait_idle(&h, 3000));
	harness_stop(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nist_absorb),
		cmocka_unit_test(test_ist_486),
		cmocka_unit_test(test_ist_2xx),
		cmocka_unit_test(test_2543),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_tcp),
		cmocka_unit_test(test_memory_10k),
		cmocka_unit_test(test_request_lazy),
	};

	return cmocka_run_group_tests_name("txn_strans", tests, NULL, NULL);
}
