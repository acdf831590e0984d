/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file harness.h  Shared fixture of the txn tests: the real transport on
 *                  127.0.0.1 port 0 with one worker running a txn stack, a
 *                  plain UDP socket (or TCP) as the peer, and a scripted TU.
 *
 * The TU runs on the worker thread; the test body runs on the main thread
 * and waits for counters under h->mu.
 */
#ifndef TXN_TEST_HARNESS_H
#define TXN_TEST_HARNESS_H

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "txn.h"

struct harness;

/** The TU's answer to a new server transaction (worker thread). */
typedef void (tu_new_h)(struct harness *h, struct txn_srv *st, const struct sip_msg *req);

struct harness {
	struct tp *tp;
	struct txn_stack *s;
	struct sa tp_udp;          /* the transport's UDP address */
	struct sa tp_tcp;          /* its TCP address */
	int peer;                  /* UDP test socket */
	struct sa peer_addr;
	size_t blocks0;            /* mem_blocks() before */

	pthread_mutex_t mu;        /* guards what follows */
	unsigned rx_new, rx_absorbed, rx_ack, cli_noent, cli_match;
	tu_new_h *on_new;
	struct txn_srv *keep[8];   /* references the TU keeps */
	unsigned keepc;
	/* client handler results */
	unsigned resp_calls, timeouts;
	int last_err;
	uint16_t codes[16];
};

static inline void h_lock(struct harness *h) { pthread_mutex_lock(&h->mu); }
static inline void h_unlock(struct harness *h) { pthread_mutex_unlock(&h->mu); }

static inline void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Wait until *counter (read under the lock) reaches want; false on timeout. */
static inline bool wait_count(struct harness *h, const unsigned *counter, unsigned want, unsigned ms)
{
	uint64_t end = time_ms() + ms;

	for (;;) {
		unsigned v;

		h_lock(h);
		v = *counter;
		h_unlock(h);
		if (v >= want)
			return true;
		if (time_ms() > end)
			return false;
		sleep_ms(2);
	}
}

static inline void recv_h(const struct tp_pkt *pkt, void *arg)
{
	struct harness *h = arg;
	struct sip_msg *m = malloc(sizeof(*m));
	struct sip_perr perr;
	struct txn_srv *st = NULL;
	int rx;

	if (!m)
		return;
	if (sip_msg_parse(m, pkt->buf, pkt->len, NULL, &perr))
		goto out;

	if (!m->req) {
		rx = txn_cli_recv(h->s, m, pkt);
		h_lock(h);
		if (rx == -ENOENT)
			h->cli_noent++;
		else
			h->cli_match++;
		h_unlock(h);
		goto out;
	}

	rx = txn_srv_recv(h->s, m, pkt, &st);
	h_lock(h);
	switch (rx) {
	case TXN_RX_NEW:      h->rx_new++; break;
	case TXN_RX_ABSORBED: h->rx_absorbed++; break;
	case TXN_RX_ACK:      h->rx_ack++; break;
	default: break;
	}
	h_unlock(h);
	if (rx == TXN_RX_NEW) {
		if (h->on_new)
			h->on_new(h, st, m);
		mem_deref(st);
	}
 out:
	free(m);
}

/** Keep a reference to st (worker thread). */
static inline void tu_keep(struct harness *h, struct txn_srv *st)
{
	h_lock(h);
	if (h->keepc < ARRAY_SIZE(h->keep))
		h->keep[h->keepc++] = mem_ref(st);
	h_unlock(h);
}

static inline void harness_start(struct harness *h, const struct txn_cfg *cfg)
{
	struct tp_prm prm;

	memset(h, 0, sizeof(*h));
	h->blocks0 = mem_blocks();
	pthread_mutex_init(&h->mu, NULL);

	memset(&prm, 0, sizeof(prm));
	prm.listen[0].proto = TP_UDP;
	assert_int_equal(sa_set_str(&prm.listen[0].addr, "127.0.0.1", 0), 0);
	prm.listen[1].proto = TP_TCP;
	assert_int_equal(sa_set_str(&prm.listen[1].addr, "127.0.0.1", 0), 0);
	prm.listenc = 2;
	prm.workers = 1;
	prm.limits = sip_limits_default;
	prm.dscp = -1;
	prm.recvh = recv_h;
	prm.arg = h;
	assert_int_equal(tp_alloc(&h->tp, &prm), 0);
	assert_int_equal(txn_stack_alloc(&h->s, h->tp, cfg), 0);
	assert_int_equal(tp_local(h->tp, TP_UDP, AF_INET, &h->tp_udp), 0);
	assert_int_equal(tp_local(h->tp, TP_TCP, AF_INET, &h->tp_tcp), 0);
	assert_int_not_equal(sa_port(&h->tp_udp), 0);

	h->peer = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(h->peer >= 0);
	assert_int_equal(sa_set_str(&h->peer_addr, "127.0.0.1", 0), 0);
	assert_int_equal(bind(h->peer, &h->peer_addr.u.sa, h->peer_addr.len), 0);
	h->peer_addr.len = sizeof(h->peer_addr.u);
	assert_int_equal(getsockname(h->peer, &h->peer_addr.u.sa, &h->peer_addr.len), 0);

	assert_int_equal(tp_start(h->tp), 0);
}

static inline void harness_stop(struct harness *h)
{
	tp_stop(h->tp);
	for (unsigned i = 0; i < h->keepc; i++)
		mem_deref(h->keep[i]);
	txn_stack_free(h->s);
	tp_free(h->tp);
	close(h->peer);
	pthread_mutex_destroy(&h->mu);
	assert_int_equal(mem_blocks(), h->blocks0);
}

/* ------------------------------ peer ------------------------------ */

static inline void peer_send(struct harness *h, const char *msg)
{
	ssize_t n = sendto(h->peer, msg, strlen(msg), 0, &h->tp_udp.u.sa, h->tp_udp.len);

	assert_int_equal((size_t)n, strlen(msg));
}

static inline void peer_send_to(struct harness *h, const struct sa *dst, const char *msg)
{
	ssize_t n = sendto(h->peer, msg, strlen(msg), 0, &dst->u.sa, dst->len);

	assert_int_equal((size_t)n, strlen(msg));
}

/* One datagram within ms into buf (NUL-terminated); its length or 0. */
static inline size_t peer_recv(struct harness *h, char *buf, size_t size, unsigned ms, struct sa *from)
{
	struct pollfd pfd = { .fd = h->peer, .events = POLLIN };
	struct sa src;
	ssize_t n;

	if (poll(&pfd, 1, (int)ms) <= 0)
		return 0;
	src.len = sizeof(src.u);
	n = recvfrom(h->peer, buf, size - 1, 0, &src.u.sa, &src.len);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if (from)
		*from = src;
	return (size_t)n;
}

/* Datagrams arriving within ms. */
static inline unsigned peer_count(struct harness *h, unsigned ms)
{
	uint64_t end = time_ms() + ms;
	unsigned n = 0;
	char buf[4096];

	for (;;) {
		uint64_t now = time_ms();

		if (now >= end)
			return n;
		if (peer_recv(h, buf, sizeof(buf), (unsigned)(end - now), NULL))
			n++;
	}
}

/* The value of header name (first occurrence) copied into out. */
static inline bool msg_hdr(const char *msg, const char *name, char *out, size_t n)
{
	char pat[64];
	const char *p, *e;

	snprintf(pat, sizeof(pat), "\r\n%s:", name);
	p = strstr(msg, pat);
	if (!p)
		return false;
	p += strlen(pat);
	while (*p == ' ')
		p++;
	e = strstr(p, "\r\n");
	if (!e || (size_t)(e - p) >= n)
		return false;
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
	return true;
}

static inline const char *sa_str(const struct sa *sa, char *buf)
{
	return sa_fmt(sa, buf, SA_FMT_MAX);
}

#endif /* TXN_TEST_HARNESS_H */
