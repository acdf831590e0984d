/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file tp_int.h  Private to src/transport: workers, listeners, the
 *                 connection table and the TCP connection object.
 */
#ifndef TL_TP_INT_H
#define TL_TP_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include "transport.h"

enum {
	TP_UDP_BATCH = 32,            /* datagrams per recvmmsg() */
	TP_UDP_BUFSZ = 65536,         /* one datagram buffer */
	TP_SOCKBUF = 4 << 20,         /* SO_RCVBUF / SO_SNDBUF wanted */
	TP_TCP_BACKLOG = 1024,
	TP_WQ_MAX = 4 << 20,          /* bytes queued on one connection */
	TP_WORKERS_MAX = 256,
};

/* Counters of one worker; other threads add tx figures, hence atomics. */
struct tp_wstats {
	_Atomic uint64_t rx_msgs, tx_msgs, rx_bytes, tx_bytes;
	_Atomic uint64_t tcp_accepted, tcp_refused, tcp_closed_idle, frame_errors;
};

/* One listening socket of one worker: the loop's fd argument. */
struct tp_sock {
	struct tp_worker *wk;         /* borrowed: owner */
	unsigned li;                  /* index in tp->lsn */
	int fd;                       /* owned; -1 when none */
};

struct udp_rx;

struct tp_worker {
	struct tp *tp;                /* borrowed */
	unsigned idx;
	struct loop *loop;            /* owned */
	pthread_t thread;
	bool thread_ok;               /* thread was created and not joined */
	struct tp_sock sock[TP_LISTEN_MAX];  /* per listen address */
	struct udp_rx *rx;            /* owned: recvmmsg buffers, NULL without UDP */
	struct tp_conn *conns;        /* list of connections owned here (one ref each) */
	struct tp_wstats st;
};

/* A bound listen address (the real port when 0 was asked). */
struct tp_lsn {
	enum tp_proto proto;
	struct sa addr;
	bool wildcard;                /* 0.0.0.0 or :: */
};

/* Connections per source IP, for tcp_max_per_src. */
struct tp_srccnt {
	struct tp_srccnt *next;
	struct sa ip;                 /* port 0 */
	unsigned n;
};

struct tp {
	struct tp_prm prm;            /* copy, defaults applied */
	struct tp_lsn lsn[TP_LISTEN_MAX];
	unsigned lsnc;
	struct tp_worker *wk;         /* owned array */
	unsigned nwk;
	bool started;
	atomic_bool stopped;

	pthread_mutex_t lock;         /* protects ctab, stab, nconns */
	struct tp_conn **ctab;        /* open connections by peer address */
	struct tp_srccnt **stab;      /* accepted connections by source IP */
	size_t tabsz;                 /* buckets in each (power of two) */
	unsigned nconns;
};

enum conn_state { CONN_CONNECTING, CONN_OPEN, CONN_CLOSED };

struct tp_conn {
	struct tp *tp;                /* borrowed */
	struct tp_worker *wk;         /* borrowed: owner worker */
	struct sa peer;
	struct sa local;
	bool outgoing;
	bool counted_src;             /* holds a tp_srccnt slot */
	bool in_table;                /* in tp->ctab (under tp->lock) */
	bool linked;                  /* in wk->conns: holds the life ref */
	bool registered;              /* fd is in wk->loop */

	pthread_mutex_t mtx;          /* protects what follows, until rbuf */
	enum conn_state state;
	int fd;                       /* owned; -1 once closed */
	char *wq;                     /* owned: bytes waiting to be sent */
	size_t wq_off, wq_len, wq_cap;
	bool write_armed;             /* LOOP_WRITE asked for / connecting */

	/* owner thread only */
	char *rbuf;                   /* owned receive buffer */
	size_t rlen, rcap;
	struct tmr idle;
	_Atomic uint64_t last_active; /* time_ms() of the last I/O */

	struct tp_conn *hnext;        /* ctab chain */
	struct tp_conn *wnext, *wprev;/* wk->conns list */
};

/* tp.c */
struct tp_worker *tp_cur_worker(const struct tp *tp);
int tp_sock_opts(const struct tp *tp, int fd, int af, bool stream);
uint64_t tp_sa_hash(const struct sa *sa, bool port);
void tp_sa_ip(struct sa *ip, const struct sa *sa);

/* udp.c */
int udp_worker_init(struct tp_worker *wk);
void udp_worker_close(struct tp_worker *wk);
int udp_send(struct tp *tp, const struct sa *dst, const char *buf, size_t len);
void udp_on_read(int fd, int events, void *arg);

/* tcp.c */
void tcp_on_accept(int fd, int events, void *arg);
int tcp_send(struct tp *tp, const struct sa *dst, struct tp_conn *conn, const char *buf,
	     size_t len);
/** Close every connection of a stopped worker (its thread has ended). */
void tcp_worker_close(struct tp_worker *wk);

#endif /* TL_TP_INT_H */
