/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file transport.h  SIP transports: UDP and TCP over IPv4 and IPv6, and
 *                    the signalling worker threads that read them.
 *
 * The transport owns N worker threads, each with its own struct loop, one
 * UDP socket per listen address (SO_REUSEPORT, batched recvmmsg) and its
 * share of TCP connections. A received message is handed to the receive
 * handler on the worker thread that read it, complete and framed: one
 * datagram, or one Content-Length-framed message cut from a TCP stream.
 * TLS comes later behind the same interface (TP_TLS).
 */
#ifndef TL_TRANSPORT_H
#define TL_TRANSPORT_H

#include "core.h"
#include "sip.h"

enum tp_proto { TP_UDP = 0, TP_TCP, TP_TLS };

const char *tp_proto_name(enum tp_proto p);          /* "UDP", "TCP", "TLS" */
int tp_proto_parse(const struct pl *name, enum tp_proto *p);

/** A TCP/TLS connection: refcounted (mem_ref / mem_deref). */
struct tp_conn;

/** A received message; valid only during the receive callback. */
struct tp_pkt {
	const char *buf;        /* borrowed: message bytes */
	size_t len;
	enum tp_proto proto;
	struct sa src;          /* the peer's address */
	struct sa local;        /* our local address it arrived on */
	struct tp_conn *conn;   /* borrowed: TCP/TLS connection, NULL for UDP;
				 * mem_ref() it to keep it past the callback */
	unsigned worker;        /* index of the worker thread that read it */
};

typedef void (tp_recv_h)(const struct tp_pkt *pkt, void *arg);

struct tp_listen {
	enum tp_proto proto;
	struct sa addr;         /* address and port to bind */
};

enum { TP_LISTEN_MAX = 16 };

struct tp_prm {
	struct tp_listen listen[TP_LISTEN_MAX];
	unsigned listenc;
	unsigned workers;               /* 0: one per online CPU */
	struct sip_limits limits;       /* framing limits for TCP */
	unsigned tcp_idle_ms;           /* close idle TCP connections (default 120000) */
	unsigned tcp_max_per_src;       /* connections per source IP (default 64) */
	unsigned tcp_max_conns;         /* all connections (default 10000) */
	int dscp;                       /* DSCP for SIP packets, -1 = leave */
	tp_recv_h *recvh;               /* called on a worker thread */
	void *arg;                      /* borrowed, for recvh */
};

struct tp;

/** Bind every listen address; no thread runs yet. 0 or -errno (e.g. -EADDRINUSE). */
int tp_alloc(struct tp **tpp, const struct tp_prm *prm);
/** Start the worker threads. */
int tp_start(struct tp *tp);
/** Stop the workers, join them, close sockets and connections. Idempotent.
 *  Not concurrently with tp_send() from other threads. */
void tp_stop(struct tp *tp);
void tp_free(struct tp *tp);

unsigned tp_workers(const struct tp *tp);
/** The loop of worker i (for timers of objects owned by that worker). */
struct loop *tp_worker_loop(const struct tp *tp, unsigned i);

/**
 * Our address to put in Via/Contact for a transport and address family
 * (the bound listen address; the actual port when bound to port 0).
 * 0 or -ENOENT when there is no such listener.
 */
int tp_local(const struct tp *tp, enum tp_proto proto, int af, struct sa *local);

/**
 * Send a message. For UDP from the listen socket of dst's family. For TCP
 * over conn when given and open, else over an open connection to dst,
 * else a new connection (queued until connected). Safe from any thread.
 * 0 or -errno (-ENOTCONN when a given conn is closed and the
 * destination is not reachable anew; -ESHUTDOWN after tp_stop();
 * -ENOBUFS when 4 MiB already wait on the connection). 0 means queued:
 * a connect that fails later drops the bytes (logged at debug level).
 */
int tp_send(struct tp *tp, enum tp_proto proto, const struct sa *dst,
	    struct tp_conn *conn, const char *buf, size_t len);

/**
 * RFC 3261 §18.1.1: the transport a request of len bytes must use when
 * the wanted one is UDP and the message is larger than 1300 bytes (MTU
 * rule): TCP. Otherwise wanted.
 */
enum tp_proto tp_req_proto(enum tp_proto wanted, size_t len);

/**
 * RFC 3261 §18.2.2 and RFC 3581: where to send a response to a request
 * whose top Via is via and that arrived as pkt. Reliable transports answer
 * on the same connection (*connp = pkt->conn). For UDP: maddr, else
 * received (or the source address) with rport (or the source port) or the
 * Via port or 5060. For reliable transports dst is the fallback for a
 * connection closed meanwhile (§18.2.2: received or source IP, sent-by
 * port or 5060/5061), to pass to tp_send() with the conn.
 * 0, or -EADDRNOTAVAIL when maddr is a host name (resolve it first).
 */
int tp_resp_dst(const struct sip_via *via, const struct tp_pkt *pkt,
		struct sa *dst, struct tp_conn **connp);

/** Counters (monotonic, all workers). */
struct tp_stats {
	uint64_t rx_msgs, tx_msgs, rx_bytes, tx_bytes;
	uint64_t tcp_accepted, tcp_refused, tcp_closed_idle, frame_errors;
};
void tp_stats_get(const struct tp *tp, struct tp_stats *st);

#endif /* TL_TRANSPORT_H */
