/* SPDX-License-Identifier: GPL-2.0-or-later */
/** @file test_tcp.c  TCP through the workers: framing across partial
 *  writes, pipelined messages, RFC 5626 ping/pong, framing errors, idle
 *  timeout, per-source cap, responses on the same connection, outgoing
 *  connections and their reuse, closed kept connections. */
#include "transport/harness.h"

#define MSG_HDR "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP x;branch=z9hG4bK1\r\n"
static const char MSG[] = MSG_HDR "Content-Length: 5\r\n\r\nhello";
static const char MSG2[] = MSG_HDR "l: 0\r\n\r\n";

static struct tp *tp;
static struct sa lsn;
static size_t blocks;

static int setup(void **state, unsigned idle_ms, unsigned per_src, unsigned total)
{
	struct tp_prm prm;

	(void)state;
	blocks = mem_blocks();
	prm_init(&prm, 2);
	prm_listen(&prm, TP_TCP, "127.0.0.1");
	prm.tcp_idle_ms = idle_ms;
	prm.tcp_max_per_src = per_src;
	prm.tcp_max_conns = total;
	prm.dscp = 26;
	if (tp_alloc(&tp, &prm))
		return -1;
	H.tp = tp;
	tp_local(tp, TP_TCP, AF_INET, &lsn);
	return tp_start(tp);
}

static int setup_default(void **state) { return setup(state, 0, 0, 0); }
static int setup_idle(void **state) { return setup(state, 200, 0, 0); }
static int setup_cap(void **state) { return setup(state, 0, 2, 0); }
static int setup_total(void **state) { return setup(state, 0, 0, 1); }

static int teardown(void **state)
{
	(void)state;
	tp_free(tp);
	tp = NULL;
	H.echo = false;
	rec_reset();
	return mem_blocks() == blocks ? 0 : -1;
}

static void test_partial_and_pipelined(void **state)
{
	int fd = tcp_client(&lsn);
	char two[sizeof(MSG) + sizeof(MSG2)];
	struct tp_stats st;

	(void)state;
	/* one byte per write */
	for (size_t i = 0; i < sizeof(MSG) - 1; i++) {
		assert_int_equal(send(fd, MSG + i, 1, 0), 1);
		if (i % 16 == 0)
			usleep(1000);
	}
	assert_true(rec_wait(1, 2000));
	/* two messages in one write, after leading CRLFs */
	memcpy(two, "\r\n", 2);
	memcpy(two + 2, MSG2, sizeof(MSG2) - 1);
	memcpy(two + 2 + sizeof(MSG2) - 1, MSG, sizeof(MSG) - 1);
	size_t n = 2 + sizeof(MSG2) - 1 + sizeof(MSG) - 1;
	assert_int_equal(send(fd, two, n, 0), (ssize_t)n);
	assert_true(rec_wait(3, 2000));
	assert_int_equal(H.r[0].len, sizeof(MSG) - 1);
	assert_memory_equal(H.r[0].buf, MSG, sizeof(MSG) - 1);
	assert_int_equal(H.r[1].len, sizeof(MSG2) - 1);
	assert_memory_equal(H.r[1].buf, MSG2, sizeof(MSG2) - 1);
	assert_int_equal(H.r[2].len, sizeof(MSG) - 1);
	for (int i = 0; i < 3; i++) {
		struct sa me;
		me.len = sizeof(me.u);
		getsockname(fd, &me.u.sa, &me.len);
		assert_int_equal(H.r[i].proto, TP_TCP);
		assert_non_null(H.r[i].conn);
		assert_ptr_equal(H.r[i].conn, H.r[0].conn);
		assert_true(sa_cmp(&H.r[i].src, &me));
		assert_true(sa_cmp(&H.r[i].local, &lsn));
		assert_true(H.r[i].on_worker);
	}
	tp_stats_get(tp, &st);
	assert_int_equal(st.tcp_accepted, 1);
	assert_int_equal(st.rx_msgs, 3);
	close(fd);
}

static void test_keepalive(void **state)
{
	int fd = tcp_client(&lsn);
	char b[8];

	(void)state;
	assert_int_equal(send(fd, "\r\n\r\n", 4, 0), 4);
	read_exact(fd, b, 2);
	assert_memory_equal(b, "\r\n", 2);
	/* the ping in two halves */
	assert_int_equal(send(fd, "\r\n", 2, 0), 2);
	usleep(20000);
	assert_int_equal(send(fd, "\r\n", 2, 0), 2);
	read_exact(fd, b, 2);
	assert_memory_equal(b, "\r\n", 2);
	/* the connection still carries messages */
	assert_int_equal(send(fd, MSG, sizeof(MSG) - 1, 0), (ssize_t)sizeof(MSG) - 1);
	assert_true(rec_wait(1, 2000));
	close(fd);
}

static void test_no_content_length(void **state)
{
	static const char bad[] = MSG_HDR "\r\n";
	int fd = tcp_client(&lsn);
	struct tp_stats st;

	(void)state;
	assert_int_equal(send(fd, bad, sizeof(bad) - 1, 0), (ssize_t)sizeof(bad) - 1);
	assert_true(peer_closed(fd));
	tp_stats_get(tp, &st);
	assert_int_equal(st.frame_errors, 1);
	assert_int_equal(H.n, 0);
	close(fd);
}

static void test_idle(void **state)
{
	int fd = tcp_client(&lsn);
	uint64_t t0 = time_ms();
	struct tp_stats st;

	(void)state;
	/* traffic keeps it open; silence closes it */
	usleep(120000);
	assert_int_equal(send(fd, "\r\n\r\n", 4, 0), 4);
	char b[2];
	read_exact(fd, b, 2);
	assert_true(peer_closed(fd));
	assert_true(time_ms() - t0 >= 300);
	assert_true(time_ms() - t0 < 2000);
	tp_stats_get(tp, &st);
	assert_int_equal(st.tcp_closed_idle, 1);
	close(fd);
}

static void test_per_source_cap(void **state)
{
	int fd[3];
	struct tp_stats st;

	(void)state;
	for (int i = 0; i < 2; i++) {
		fd[i] = tcp_client(&lsn);
		assert_int_equal(send(fd[i], MSG, sizeof(MSG) - 1, 0), (ssize_t)sizeof(MSG) - 1);
	}
	assert_true(rec_wait(2, 2000));
	fd[2] = tcp_client(&lsn);
	assert_true(peer_closed(fd[2]));
	tp_stats_get(tp, &st);
	assert_int_equal(st.tcp_refused, 1);
	assert_int_equal(st.tcp_accepted, 2);
	/* a slot freed is a slot usable again */
	close(fd[0]);
	close(fd[2]);
	usleep(100000);
	fd[0] = tcp_client(&lsn);
	assert_int_equal(send(fd[0], MSG, sizeof(MSG) - 1, 0), (ssize_t)sizeof(MSG) - 1);
	assert_true(rec_wait(3, 2000));
	close(fd[0]);
	close(fd[1]);
}

static void test_total_cap(void **state)
{
	int a = tcp_client(&lsn), b;
	struct tp_stats st;

	(void)state;
	assert_int_equal(send(a, MSG, sizeof(MSG) - 1, 0), (ssize_t)sizeof(MSG) - 1);
	assert_true(rec_wait(1, 2000));
	b = tcp_client(&lsn);
	assert_true(peer_closed(b));
	tp_stats_get(tp, &st);
	assert_int_equal(st.tcp_refused, 1);
	close(a);
	close(b);
}

static void test_response_same_conn(void **state)
{
	int fd = tcp_client(&lsn);
	char b[sizeof(MSG)];
	int err = 0;

	(void)state;
	H.echo = true;
	assert_int_equal(send(fd, MSG, sizeof(MSG) - 1, 0), (ssize_t)sizeof(MSG) - 1);
	assert_true(rec_wait(1, 2000));
	read_exact(fd, b, sizeof(MSG) - 1);
	assert_memory_equal(b, MSG, sizeof(MSG) - 1);
	H.echo = false;
	/* from another thread, on the kept connection */
	assert_int_equal(tp_send(tp, TP_TCP, NULL, H.r[0].conn, MSG2, sizeof(MSG2) - 1), 0);
	read_exact(fd, b, sizeof(MSG2) - 1);
	assert_memory_equal(b, MSG2, sizeof(MSG2) - 1);
	/* once the peer is gone, a kept connection says so */
	close(fd);
	for (int i = 0; i < 200; i++) {
		err = tp_send(tp, TP_TCP, NULL, H.r[0].conn, MSG2, sizeof(MSG2) - 1);
		if (err == -ENOTCONN)
			break;
		usleep(10000);
	}
	assert_int_equal(err, -ENOTCONN);
}

static int plain_listener(struct sa *addr)
{
	int fd = client_sock(AF_INET, SOCK_STREAM);

	sa_set_str(addr, "127.0.0.1", 0);
	assert_int_equal(bind(fd, &addr->u.sa, addr->len), 0);
	assert_int_equal(listen(fd, 8), 0);
	addr->len = sizeof(addr->u);
	assert_int_equal(getsockname(fd, &addr->u.sa, &addr->len), 0);
	return fd;
}

static void test_outgoing_reuse(void **state)
{
	struct sa addr, peer;
	int lfd = plain_listener(&addr), cfd;
	char b[sizeof(MSG)];
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };

	(void)state;
	assert_int_equal(tp_send(tp, TP_TCP, &addr, NULL, MSG, sizeof(MSG) - 1), 0);
	assert_int_equal(poll(&pfd, 1, 2000), 1);
	peer.len = sizeof(peer.u);
	cfd = accept(lfd, &peer.u.sa, &peer.len);
	assert_true(cfd >= 0);
	read_exact(cfd, b, sizeof(MSG) - 1);
	assert_memory_equal(b, MSG, sizeof(MSG) - 1);
	/* the second send reuses the connection */
	assert_int_equal(tp_send(tp, TP_TCP, &addr, NULL, MSG2, sizeof(MSG2) - 1), 0);
	read_exact(cfd, b, sizeof(MSG2) - 1);
	assert_memory_equal(b, MSG2, sizeof(MSG2) - 1);
	assert_int_equal(poll(&pfd, 1, 100), 0);
	/* what the far end sends comes in on that connection */
	assert_int_equal(send(cfd, MSG, sizeof(MSG) - 1, 0), (ssize_t)sizeof(MSG) - 1);
	assert_true(rec_wait(1, 2000));
	assert_true(sa_cmp(&H.r[0].src, &addr));
	assert_true(sa_cmp(&H.r[0].local, &peer));
	/* and a reply to it goes back the same way */
	assert_int_equal(tp_send(tp, TP_TCP, &addr, H.r[0].conn, MSG2, sizeof(MSG2) - 1), 0);
	read_exact(cfd, b, sizeof(MSG2) - 1);
	close(cfd);
	close(lfd);

	/* the far end closed: a kept connection reports -ENOTCONN when no
	 * destination to reach anew is given */
	struct tp_conn *kept = mem_ref(H.r[0].conn);
	for (int i = 0; i < 200 && tp_send(tp, TP_TCP, NULL, kept, "x", 1) != -ENOTCONN; i++)
		usleep(10000);
	assert_int_equal(tp_send(tp, TP_TCP, NULL, kept, "x", 1), -ENOTCONN);
	mem_deref(kept);
}

enum { SENDERS = 4, PER_SENDER = 300 };
static struct sa mt_dst;

static void *sender(void *arg)
{
	(void)arg;
	for (int i = 0; i < PER_SENDER; i++)
		if (tp_send(tp, TP_TCP, &mt_dst, NULL, MSG, sizeof(MSG) - 1) != 0)
			return (void *)1;
	return NULL;
}

/* Threads racing to open and use one connection: one connection, every
 * message whole and none lost. */
static void test_concurrent_senders(void **state)
{
	int lfd = plain_listener(&mt_dst), cfd;
	pthread_t th[SENDERS];
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };
	char b[sizeof(MSG)];

	(void)state;
	for (int i = 0; i < SENDERS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, sender, NULL), 0);
	assert_int_equal(poll(&pfd, 1, 2000), 1);
	cfd = accept(lfd, NULL, NULL);
	assert_true(cfd >= 0);
	for (int i = 0; i < SENDERS * PER_SENDER; i++) {
		read_exact(cfd, b, sizeof(MSG) - 1);
		assert_memory_equal(b, MSG, sizeof(MSG) - 1);
	}
	for (int i = 0; i < SENDERS; i++) {
		void *ret;
		pthread_join(th[i], &ret);
		assert_null(ret);
	}
	assert_int_equal(poll(&pfd, 1, 50), 0);
	close(cfd);
	close(lfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_partial_and_pipelined, setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_keepalive, setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_no_content_length, setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_idle, setup_idle, teardown),
		cmocka_unit_test_setup_teardown(test_per_source_cap, setup_cap, teardown),
		cmocka_unit_test_setup_teardown(test_total_cap, setup_total, teardown),
		cmocka_unit_test_setup_teardown(test_response_same_conn, setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_outgoing_reuse, setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_senders, setup_default, teardown),
	};
	return cmocka_run_group_tests_name("transport_tcp", tests, NULL, NULL);
}
