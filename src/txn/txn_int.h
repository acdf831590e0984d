/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file txn_int.h  Internals shared by txn.c (stack, tables, matching),
 *                  strans.c (server) and ctrans.c (client transactions).
 */
#ifndef TL_TXN_INT_H
#define TL_TXN_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include "txn.h"

enum {
	TXN_STRIPES = 64,        /* locks per table */
	/* Hash buckets per table (power of two). Non-INVITE transactions
	 * live 64*T1 = 32 s after their final: at 5,000 requests/s that is
	 * 160,000 live ones, a few per bucket here (with 4096 buckets the
	 * chain walks were the top of the profile). 512 KB per table. */
	TXN_BUCKETS = 65536,
	TXN_FORK_TAGS = 4,       /* To tags of 2xx remembered in Accepted */
	TXN_OBJ_LOCKS = 1024,    /* transaction mutexes (power of two), txn_lock() */
};

/**
 * Intrusive link of a transaction in a table. A table holds one
 * reference on each linked transaction; the link is changed only under
 * the bucket's stripe lock. It is the first member of struct txn_srv and
 * struct txn_cli: its address is the transaction's (txn_le_obj).
 */
struct txn_le {
	struct txn_le *next, *prev;  /* both NULL when unlinked, unless head */
	uint64_t key;             /* hash of the matching key */
};

static inline void *txn_le_obj(struct txn_le *le)
{
	return le;
}

struct txn_tbl {
	pthread_mutex_t lock[TXN_STRIPES];
	struct txn_le *bucket[TXN_BUCKETS];
};

struct txn_stack {
	struct tp *tp;            /* borrowed: outlives the stack */
	struct txn_cfg cfg;
	struct txn_tbl srv;       /* server transactions */
	struct txn_tbl cli;       /* client transactions */
	atomic_uint_fast64_t srv_created, srv_absorbed, cli_created, cli_timeouts;
	atomic_int_fast64_t active_srv, active_cli;
	atomic_int_fast64_t srv_bytes, cli_bytes;  /* held by live transactions */
	pthread_mutex_t objlock[TXN_OBJ_LOCKS];    /* txn_lock() */
};

/*
 * The mutex of a transaction: one of a pool, picked by its address, not
 * one of its own (40 bytes less in each of the hundreds of thousands of
 * transactions lingering for timers J and L). Two transactions may share
 * one, so a thread never holds two (none does: each section touches one
 * transaction, after the table's stripe lock when both are taken).
 */
static inline pthread_mutex_t *txn_lock(struct txn_stack *s, const void *obj)
{
	uintptr_t a = (uintptr_t)obj;

	return &s->objlock[((a >> 4) ^ (a >> 14)) & (TXN_OBJ_LOCKS - 1)];
}

/*
 * Heap bytes one allocation costs beyond what was asked: the mem header
 * (refcounted blocks) or the allocator's chunk header, rounded up. An
 * estimate, so that txn_stats' byte counts stay near what the heap holds.
 */
enum { TXN_ALLOC_OVERHEAD = 16, TXN_MEM_OVERHEAD = 32 + 16 };

/*
 * What a server transaction is matched by (§17.2.3 and the RFC 2543
 * fallback): views into one message. For a stored transaction they point
 * into its own copy of the request; for an arriving one, into the
 * receive buffer.
 */
struct txn_skeys {
	struct pl branch;         /* top Via branch (absent: RFC 2543) */
	struct pl host;           /* top Via sent-by host */
	struct pl method;         /* request method */
	struct pl ruri;           /* Request-URI */
	struct pl callid;
	struct pl ftag;           /* From tag */
	struct pl ttag;           /* To tag */
	struct pl via;            /* top Via value as a whole */
	uint32_t cseq;            /* CSeq number */
	uint16_t port;            /* top Via sent-by port, 0 when absent */
};

void txn_skeys_from(struct txn_skeys *k, const struct sip_msg *msg);

/* Magic cookie of RFC 3261 branches (§8.1.1.7). */
bool txn_branch_cookie(const struct pl *branch);

/* Tables (txn.c). The match callback runs under the stripe lock. */
typedef bool (txn_match_h)(void *obj, const void *arg);

void txn_tbl_init(struct txn_tbl *t);
void txn_tbl_destroy(struct txn_tbl *t);
/** Find an object by key and match callback; returns a new reference. */
void *txn_tbl_find(struct txn_tbl *t, uint64_t key, txn_match_h *mh, const void *arg);
/**
 * Link le (key already set) unless an entry matching arg exists; then
 * that one is returned referenced and le stays unlinked. On link, the
 * table takes a reference on the transaction and NULL is returned.
 */
void *txn_tbl_insert(struct txn_tbl *t, struct txn_le *le, txn_match_h *mh, const void *arg);
/** Unlink; true when it was linked (the caller drops the table's reference). */
bool txn_tbl_unlink(struct txn_tbl *t, struct txn_le *le);
/** Unlink every entry, calling h on each (whose table reference h drops). */
void txn_tbl_flush(struct txn_tbl *t, void (*h)(void *obj));

/* Keys (txn.c). */
uint64_t txn_key_cookie(const struct pl *branch, const struct pl *host, uint16_t port,
			const struct pl *method);
uint64_t txn_key_2543(const struct txn_skeys *k);
uint64_t txn_key_cli(const struct pl *branch, const struct pl *method);

/** Parse a message this stack already holds (it was parsed once under
 *  the transport's limits: none are applied again). 0 or -errno. */
int txn_parse(struct sip_msg *msg, const char *buf, size_t len);

/* Timer values (txn.c), per reliability. */
uint64_t txn_t64(const struct txn_stack *s);

/* Server and client flush at stack teardown (strans.c, ctrans.c). */
void txn_srv_flush_h(void *obj);
void txn_cli_flush_h(void *obj);

#endif /* TL_TXN_INT_H */
