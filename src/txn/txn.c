/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file txn.c  Transaction stack: hash tables with striped locks, matching
 *              keys (§17.1.3, §17.2.3 and the RFC 2543 fallback), stats.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "txn_int.h"

#define LOG_MOD "txn"

const struct txn_cfg txn_cfg_default = {
	.t1 = 500,
	.t2 = 4000,
	.t4 = 5000,
	.td = 32000,
};

/* ---------------------------- tables ------------------------------ */

static inline size_t bucket_of(uint64_t key)
{
	return (size_t)(key & (TXN_BUCKETS - 1));
}

/* Buckets map to stripes by their low bits, so one stripe guards
 * TXN_BUCKETS / TXN_STRIPES buckets. */
static inline pthread_mutex_t *stripe_of(struct txn_tbl *t, uint64_t key)
{
	return &t->lock[bucket_of(key) % TXN_STRIPES];
}

void txn_tbl_init(struct txn_tbl *t)
{
	for (size_t i = 0; i < TXN_STRIPES; i++)
		pthread_mutex_init(&t->lock[i], NULL);
	memset(t->bucket, 0, sizeof(t->bucket));
}

void txn_tbl_destroy(struct txn_tbl *t)
{
	for (size_t i = 0; i < TXN_STRIPES; i++)
		pthread_mutex_destroy(&t->lock[i]);
}

static void *find_locked(struct txn_tbl *t, uint64_t key, txn_match_h *mh, const void *arg)
{
	for (struct txn_le *le = t->bucket[bucket_of(key)]; le; le = le->next) {
		if (le->key == key && mh(txn_le_obj(le), arg))
			return mem_ref(txn_le_obj(le));
	}
	return NULL;
}

void *txn_tbl_find(struct txn_tbl *t, uint64_t key, txn_match_h *mh, const void *arg)
{
	pthread_mutex_t *lk = stripe_of(t, key);
	void *obj;

	pthread_mutex_lock(lk);
	obj = find_locked(t, key, mh, arg);
	pthread_mutex_unlock(lk);
	return obj;
}

void *txn_tbl_insert(struct txn_tbl *t, struct txn_le *le, txn_match_h *mh, const void *arg)
{
	pthread_mutex_t *lk = stripe_of(t, le->key);
	struct txn_le **head = &t->bucket[bucket_of(le->key)];
	void *obj = NULL;

	pthread_mutex_lock(lk);
	if (mh)
		obj = find_locked(t, le->key, mh, arg);
	if (!obj) {
		le->prev = NULL;
		le->next = *head;
		if (*head)
			(*head)->prev = le;
		*head = le;
		mem_ref(txn_le_obj(le));
	}
	pthread_mutex_unlock(lk);
	return obj;
}

static void unlink_locked(struct txn_tbl *t, struct txn_le *le)
{
	if (le->prev)
		le->prev->next = le->next;
	else
		t->bucket[bucket_of(le->key)] = le->next;
	if (le->next)
		le->next->prev = le->prev;
	le->next = le->prev = NULL;
}

/* Linked: a predecessor, or the head of its bucket (no flag: 8 bytes
 * less in every transaction). */
static bool linked_locked(struct txn_tbl *t, const struct txn_le *le)
{
	return le->prev || t->bucket[bucket_of(le->key)] == le;
}

bool txn_tbl_unlink(struct txn_tbl *t, struct txn_le *le)
{
	pthread_mutex_t *lk = stripe_of(t, le->key);
	bool was;

	pthread_mutex_lock(lk);
	was = linked_locked(t, le);
	if (was)
		unlink_locked(t, le);
	pthread_mutex_unlock(lk);
	return was;
}

void txn_tbl_flush(struct txn_tbl *t, void (*h)(void *obj))
{
	for (size_t b = 0; b < TXN_BUCKETS; b++) {
		pthread_mutex_t *lk = &t->lock[b % TXN_STRIPES];

		for (;;) {
			struct txn_le *le;

			pthread_mutex_lock(lk);
			le = t->bucket[b];
			if (le)
				unlink_locked(t, le);
			pthread_mutex_unlock(lk);
			if (!le)
				break;
			/* Outside the lock: h may free the object. */
			h(txn_le_obj(le));
		}
	}
}

/* ----------------------------- keys ------------------------------- */

/* Keys feed length-prefixed fields into one SipHash so that field
 * boundaries cannot be shifted ("ab"+"c" vs "a"+"bc"). */
struct keybuf {
	uint8_t b[1024];
	size_t n;
};

static void kb_put(struct keybuf *kb, const void *p, size_t l)
{
	uint32_t l32 = (uint32_t)l;

	/* An overlong field is hashed as far as it fits: matching compares
	 * the full values anyway, the key only picks the bucket. */
	if (kb->n + sizeof(l32) > sizeof(kb->b))
		return;
	memcpy(kb->b + kb->n, &l32, sizeof(l32));
	kb->n += sizeof(l32);
	if (l > sizeof(kb->b) - kb->n)
		l = sizeof(kb->b) - kb->n;
	if (l)
		memcpy(kb->b + kb->n, p, l);
	kb->n += l;
}

static void kb_putpl(struct keybuf *kb, const struct pl *pl)
{
	kb_put(kb, pl->p ? pl->p : "", pl->p ? pl->l : 0);
}

/* Hosts compare case-insensitively: hash them lower-cased. */
static void kb_puthost(struct keybuf *kb, const struct pl *host)
{
	char low[256];
	size_t l = host->p ? host->l : 0;

	if (l > sizeof(low))
		l = sizeof(low);
	for (size_t i = 0; i < l; i++) {
		char c = host->p[i];
		low[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
	}
	kb_put(kb, low, l);
}

uint64_t txn_key_cookie(const struct pl *branch, const struct pl *host, uint16_t port,
			const struct pl *method)
{
	struct keybuf kb;

	kb.n = 0;  /* not "= { 0 }": that would clear all 1 KB each time */
	kb_put(&kb, "C", 1);
	kb_putpl(&kb, branch);
	kb_puthost(&kb, host);
	kb_put(&kb, &port, sizeof(port));
	kb_putpl(&kb, method);
	return hash_keyed(kb.b, kb.n);
}

/* RFC 2543 fallback (§17.2.3): Request-URI, From tag, Call-ID, CSeq
 * number and top Via. The To tag is compared but not hashed, since the ACK
 * of a non-2xx carries the tag of our response while the INVITE did not;
 * the method is left out so ACK and CANCEL land in the INVITE's bucket. */
uint64_t txn_key_2543(const struct txn_skeys *k)
{
	struct keybuf kb;

	kb.n = 0;
	kb_put(&kb, "R", 1);
	kb_putpl(&kb, &k->ruri);
	kb_putpl(&kb, &k->ftag);
	kb_putpl(&kb, &k->callid);
	kb_put(&kb, &k->cseq, sizeof(k->cseq));
	kb_putpl(&kb, &k->via);
	return hash_keyed(kb.b, kb.n);
}

void txn_skeys_from(struct txn_skeys *k, const struct sip_msg *msg)
{
	k->branch = msg->via.branch;
	k->host = msg->via.host;
	k->port = msg->via.port;
	k->method = msg->method;
	k->ruri = msg->ruri;
	k->callid = msg->callid;
	k->ftag = msg->from.tag;
	k->ttag = msg->to.tag;
	k->via = msg->via.val;
	k->cseq = msg->cseq.num;
}

int txn_parse(struct sip_msg *msg, const char *buf, size_t len)
{
	struct sip_limits lim = sip_limits_default;
	struct sip_perr perr;

	lim.max_msg_size = len;
	lim.max_headers = SIP_HDR_CAP;
	lim.max_hdr_len = len;
	return sip_msg_parse(msg, buf, len, &lim, &perr);
}

uint64_t txn_key_cli(const struct pl *branch, const struct pl *method)
{
	struct keybuf kb;

	kb.n = 0;
	kb_put(&kb, "K", 1);
	kb_putpl(&kb, branch);
	kb_putpl(&kb, method);
	return hash_keyed(kb.b, kb.n);
}

bool txn_branch_cookie(const struct pl *branch)
{
	return branch && branch->p && branch->l > 7 && !memcmp(branch->p, "z9hG4bK", 7);
}

uint64_t txn_t64(const struct txn_stack *s)
{
	return 64 * (uint64_t)s->cfg.t1;
}

/* ----------------------------- stack ------------------------------ */

int txn_stack_alloc(struct txn_stack **sp, struct tp *tp, const struct txn_cfg *cfg)
{
	struct txn_stack *s;

	if (!sp || !tp)
		return -EINVAL;
	/* Plain calloc: the stack is one long-lived object, not shared by
	 * reference; the tables are large (two times 512 KB of buckets). */
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->tp = tp;
	s->cfg = cfg ? *cfg : txn_cfg_default;
	if (!s->cfg.t1)
		s->cfg.t1 = txn_cfg_default.t1;
	if (!s->cfg.t2)
		s->cfg.t2 = txn_cfg_default.t2;
	if (!s->cfg.t4)
		s->cfg.t4 = txn_cfg_default.t4;
	if (!s->cfg.td)
		s->cfg.td = txn_cfg_default.td;
	txn_tbl_init(&s->srv);
	txn_tbl_init(&s->cli);
	for (size_t i = 0; i < TXN_OBJ_LOCKS; i++)
		pthread_mutex_init(&s->objlock[i], NULL);
	*sp = s;
	return 0;
}

void txn_stack_free(struct txn_stack *s)
{
	if (!s)
		return;
	txn_tbl_flush(&s->cli, txn_cli_flush_h);
	txn_tbl_flush(&s->srv, txn_srv_flush_h);
	txn_tbl_destroy(&s->srv);
	txn_tbl_destroy(&s->cli);
	for (size_t i = 0; i < TXN_OBJ_LOCKS; i++)
		pthread_mutex_destroy(&s->objlock[i]);
	free(s);
}

void txn_stats_get(const struct txn_stack *s, struct txn_stats *st)
{
	struct txn_stack *m = (struct txn_stack *)s;  /* atomics need non-const */

	memset(st, 0, sizeof(*st));
	if (!s)
		return;
	st->srv_created = atomic_load(&m->srv_created);
	st->srv_absorbed = atomic_load(&m->srv_absorbed);
	st->cli_created = atomic_load(&m->cli_created);
	st->cli_timeouts = atomic_load(&m->cli_timeouts);
	st->active_srv = (uint64_t)atomic_load(&m->active_srv);
	st->active_cli = (uint64_t)atomic_load(&m->active_cli);
	st->srv_bytes = (uint64_t)atomic_load(&m->srv_bytes);
	st->cli_bytes = (uint64_t)atomic_load(&m->cli_bytes);
}
