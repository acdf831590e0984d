/* SPDX-License-Identifier: GPL-2.0-or-later */
/** @file harness.h  Shared by the transport tests: a receive handler that
 *  records packets for the test thread, and small socket helpers. */
#ifndef TL_TEST_TP_HARNESS_H
#define TL_TEST_TP_HARNESS_H

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <cmocka.h>
#include "transport.h"

enum { REC_MAX = 64, REC_BUF = 2048 };

struct rec {
	char buf[REC_BUF];
	size_t len;
	enum tp_proto proto;
	struct sa src, local;
	unsigned worker;
	struct tp_conn *conn;     /* a reference, dropped by rec_reset */
	bool on_worker;           /* ran on that worker's loop */
};

static struct {
	pthread_mutex_t mtx;
	pthread_cond_t cv;
	struct rec r[REC_MAX];
	int n;
	bool echo;                /* send each packet back the way it came */
	struct tp *tp;
} H = { .mtx = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static inline void rec_recvh(const struct tp_pkt *pkt, void *arg)
{
	(void)arg;
	pthread_mutex_lock(&H.mtx);
	if (H.n < REC_MAX) {
		struct rec *r = &H.r[H.n++];
		r->len = pkt->len < REC_BUF ? pkt->len : REC_BUF;
		memcpy(r->buf, pkt->buf, r->len);
		r->proto = pkt->proto;
		r->src = pkt->src;
		r->local = pkt->local;
		r->worker = pkt->worker;
		r->conn = mem_ref(pkt->conn);
		r->on_worker = loop_current() == tp_worker_loop(H.tp, pkt->worker);
	}
	pthread_cond_broadcast(&H.cv);
	pthread_mutex_unlock(&H.mtx);
	if (H.echo)
		assert_int_equal(tp_send(H.tp, pkt->proto, &pkt->src, pkt->conn, pkt->buf, pkt->len), 0);
}

/* Wait until n packets were recorded (at most ms). */
static inline bool rec_wait(int n, int ms)
{
	struct timespec ts;
	bool ok;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&H.mtx);
	while (H.n < n && pthread_cond_timedwait(&H.cv, &H.mtx, &ts) == 0)
		;
	ok = H.n >= n;
	pthread_mutex_unlock(&H.mtx);
	return ok;
}

static inline void rec_reset(void)
{
	pthread_mutex_lock(&H.mtx);
	for (int i = 0; i < H.n; i++)
		H.r[i].conn = mem_deref(H.r[i].conn);
	H.n = 0;
	pthread_mutex_unlock(&H.mtx);
}

static inline void prm_init(struct tp_prm *prm, unsigned workers)
{
	memset(prm, 0, sizeof(*prm));
	prm->workers = workers;
	prm->dscp = -1;
	prm->recvh = rec_recvh;
}

static inline void prm_listen(struct tp_prm *prm, enum tp_proto proto, const char *ip)
{
	prm->listen[prm->listenc].proto = proto;
	assert_int_equal(sa_set_str(&prm->listen[prm->listenc].addr, ip, 0), 0);
	prm->listenc++;
}

/* A plain client socket with a 2 s receive timeout. */
static inline int client_sock(int af, int type)
{
	struct timeval tv = { 2, 0 };
	int fd = socket(af, type | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	return fd;
}

static inline int tcp_client(const struct sa *dst)
{
	int fd = client_sock(sa_af(dst), SOCK_STREAM);

	assert_int_equal(connect(fd, &dst->u.sa, dst->len), 0);
	return fd;
}

/* Read exactly n bytes (or fail) within the socket's timeout. */
static inline void read_exact(int fd, char *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = recv(fd, buf + got, n - got, 0);
		assert_true(r > 0);
		got += (size_t)r;
	}
}

/* The peer closed: recv() gives EOF or a reset within the timeout. */
static inline bool peer_closed(int fd)
{
	char b[64];
	ssize_t r;

	do
		r = recv(fd, b, sizeof(b), 0);
	while (r > 0);
	return r == 0 || errno == ECONNRESET;
}

#endif
