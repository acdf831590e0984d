/* SPDX-License-Identifier: GPL-2.0-or-later */
/** @file test_udp.c  UDP through the workers on 127.0.0.1 and ::1: receive
 *  with the right addresses and worker, keep-alive drop, echo via
 *  tp_send, wildcard binds, lifecycle and small helpers. */
#include "transport/harness.h"

static const char MSG[] = "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP x;branch=z9hG4bK1\r\n"
			  "Content-Length: 0\r\n\r\n";

static void udp_echo(const char *ip, unsigned workers)
{
	struct tp_prm prm;
	struct tp *tp;
	struct sa local, cl[4];
	struct tp_stats st;
	int fd[4], af;
	size_t blocks = mem_blocks();
	char buf[256];

	prm_init(&prm, workers);
	prm_listen(&prm, TP_UDP, ip);
	assert_int_equal(tp_alloc(&tp, &prm), 0);
	H.tp = tp;
	H.echo = true;
	af = sa_af(&prm.listen[0].addr);
	assert_int_equal(tp_local(tp, TP_UDP, af, &local), 0);
	assert_int_not_equal(sa_port(&local), 0);
	assert_int_equal(tp_local(tp, TP_TCP, af, &local), -ENOENT);
	assert_int_equal(tp_local(tp, TP_UDP, af, &local), 0);
	assert_int_equal(tp_workers(tp), workers);
	assert_int_equal(tp_start(tp), 0);

	for (int i = 0; i < 4; i++) {
		fd[i] = client_sock(af, SOCK_DGRAM);
		/* a keep-alive: dropped silently */
		assert_int_equal(sendto(fd[i], "\r\n\r\n", 4, 0, &local.u.sa, local.len), 4);
		/* leading CRLF before a message: stripped */
		snprintf(buf, sizeof(buf), "\r\n%s", MSG);
		assert_int_equal(sendto(fd[i], buf, strlen(buf), 0, &local.u.sa, local.len),
				 (ssize_t)strlen(buf));
		/* the client's source: its own port, our address */
		struct sa me;
		me.len = sizeof(me.u);
		assert_int_equal(getsockname(fd[i], &me.u.sa, &me.len), 0);
		cl[i] = local;
		sa_set_port(&cl[i], sa_port(&me));
	}
	assert_true(rec_wait(4, 2000));
	usleep(50000);
	assert_int_equal(H.n, 4);
	for (int i = 0; i < 4; i++) {
		struct rec *r = &H.r[i];
		bool known = false;
		assert_int_equal(r->len, sizeof(MSG) - 1);
		assert_memory_equal(r->buf, MSG, r->len);
		assert_int_equal(r->proto, TP_UDP);
		assert_null(r->conn);
		assert_true(sa_cmp(&r->local, &local));
		assert_true(r->worker < workers);
		assert_true(r->on_worker);
		for (int k = 0; k < 4; k++)
			known |= sa_cmp(&r->src, &cl[k]);
		assert_true(known);
	}
	/* the echo comes back from the server's port */
	for (int i = 0; i < 4; i++) {
		struct sa from;
		from.len = sizeof(from.u);
		ssize_t n = recvfrom(fd[i], buf, sizeof(buf), 0, &from.u.sa, &from.len);
		assert_int_equal(n, (ssize_t)sizeof(MSG) - 1);
		assert_memory_equal(buf, MSG, (size_t)n);
		assert_true(sa_cmp(&from, &local));
		close(fd[i]);
	}
	tp_stats_get(tp, &st);
	assert_int_equal(st.rx_msgs, 4);
	assert_int_equal(st.tx_msgs, 4);
	assert_int_equal(st.rx_bytes, 4 * (sizeof(MSG) + 1));
	tp_stop(tp);
	tp_stop(tp);
	assert_int_equal(tp_send(tp, TP_UDP, &cl[0], NULL, MSG, 3), -ESHUTDOWN);
	tp_free(tp);
	H.echo = false;
	rec_reset();
	assert_int_equal(mem_blocks(), blocks);
}

static void test_udp_v4(void **state)
{
	(void)state;
	udp_echo("127.0.0.1", 2);
}

static bool have_v6(void)
{
	struct sa a;
	int fd = socket(AF_INET6, SOCK_DGRAM, 0), ok;

	if (fd < 0)
		return false;
	sa_set_str(&a, "::1", 0);
	ok = bind(fd, &a.u.sa, a.len) == 0;
	close(fd);
	return ok;
}

static void test_udp_v6(void **state)
{
	(void)state;
	if (!have_v6())
		skip();
	udp_echo("::1", 3);
}

/* Bound to the wildcard, the local address is the datagram's own. */
static void test_udp_wildcard(void **state)
{
	struct tp_prm prm;
	struct tp *tp;
	struct sa local, dst;
	int fd;

	(void)state;
	prm_init(&prm, 1);
	prm_listen(&prm, TP_UDP, "0.0.0.0");
	prm.dscp = 46;
	assert_int_equal(tp_alloc(&tp, &prm), 0);
	H.tp = tp;
	assert_int_equal(tp_local(tp, TP_UDP, AF_INET, &local), 0);
	assert_int_equal(tp_start(tp), 0);
	sa_set_str(&dst, "127.0.0.1", sa_port(&local));
	fd = client_sock(AF_INET, SOCK_DGRAM);
	assert_int_equal(sendto(fd, MSG, sizeof(MSG) - 1, 0, &dst.u.sa, dst.len),
			 (ssize_t)sizeof(MSG) - 1);
	assert_true(rec_wait(1, 2000));
	char a1[SA_FMT_MAX], a2[SA_FMT_MAX];
	if (!sa_cmp(&H.r[0].local, &dst))
		fail_msg("local %s != %s", sa_fmt(&H.r[0].local, a1, sizeof(a1)),
			 sa_fmt(&dst, a2, sizeof(a2)));
	/* replies leave from the listen socket of the destination's family */
	assert_int_equal(tp_send(tp, TP_UDP, &H.r[0].src, NULL, "x", 1), 0);
	char b[8];
	assert_int_equal(recv(fd, b, sizeof(b), 0), 1);
	struct sa v6;
	sa_set_str(&v6, "::1", 5060);
	assert_int_equal(tp_send(tp, TP_UDP, &v6, NULL, "x", 1), -EAFNOSUPPORT);
	close(fd);
	tp_free(tp);
	rec_reset();
}

static void test_misc(void **state)
{
	struct tp_prm prm;
	struct tp *tp = NULL;
	enum tp_proto p;

	(void)state;
	assert_string_equal(tp_proto_name(TP_UDP), "UDP");
	assert_string_equal(tp_proto_name(TP_TCP), "TCP");
	assert_int_equal(tp_proto_parse(&PL("tcp"), &p), 0);
	assert_int_equal(p, TP_TCP);
	assert_int_equal(tp_proto_parse(&PL("Udp"), &p), 0);
	assert_int_equal(p, TP_UDP);
	assert_int_equal(tp_proto_parse(&PL("sctp"), &p), -EINVAL);
	/* RFC 3261 §18.1.1 */
	assert_int_equal(tp_req_proto(TP_UDP, 1300), TP_UDP);
	assert_int_equal(tp_req_proto(TP_UDP, 1301), TP_TCP);
	assert_int_equal(tp_req_proto(TP_TCP, 100), TP_TCP);

	prm_init(&prm, 1);
	assert_int_equal(tp_alloc(&tp, &prm), -EINVAL);   /* nothing to listen on */
	prm_listen(&prm, TP_TLS, "127.0.0.1");
	assert_int_equal(tp_alloc(&tp, &prm), -EPROTONOSUPPORT);
	assert_null(tp);

	/* UDP and TCP on one address with port 0 share the port; a tp
	 * freed without being started releases everything */
	prm_init(&prm, 2);
	prm_listen(&prm, TP_UDP, "127.0.0.1");
	prm_listen(&prm, TP_TCP, "127.0.0.1");
	assert_int_equal(tp_alloc(&tp, &prm), 0);
	struct sa u, t;
	assert_int_equal(tp_local(tp, TP_UDP, AF_INET, &u), 0);
	assert_int_equal(tp_local(tp, TP_TCP, AF_INET, &t), 0);
	assert_int_equal(sa_port(&u), sa_port(&t));
	assert_non_null(tp_worker_loop(tp, 1));
	assert_null(tp_worker_loop(tp, 2));
	tp_free(tp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_udp_v4),
		cmocka_unit_test(test_udp_v6),
		cmocka_unit_test(test_udp_wildcard),
		cmocka_unit_test(test_misc),
	};
	return cmocka_run_group_tests_name("transport_udp", tests, NULL, NULL);
}
