/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file live.c  Calls in progress for operators: the list (each worker
 *               copies the calls it owns, on its own loop, so nothing is
 *               read while it changes) and the operator's hang-up.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "call_int.h"
#include "media.h"

#define LOG_MOD "call"

/* ------------------------------------------------------------------ */
/* Waiting for workers                                                  */
/* ------------------------------------------------------------------ */

/* Shared by the asking thread and the workers' jobs; refcounted, so a
 * worker that answers after the asker gave up writes into live memory. */
struct ask {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned pending;             /* jobs not finished */
	struct call_info *v;          /* owned: collected calls */
	size_t n, cap;
	size_t total, after;          /* matching; matching above the cursor */
	bool oom;
	uint64_t id;                  /* hang-up: the call */
	int result;                   /* hang-up: 0 / -ENOENT */
};

static void ask_destroy(void *data)
{
	struct ask *a = data;

	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->cond);
	free(a->v);
}

static struct ask *ask_alloc(void)
{
	struct ask *a = mem_zalloc(sizeof(*a), ask_destroy);
	pthread_condattr_t ca;

	if (!a)
		return NULL;
	pthread_mutex_init(&a->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&a->cond, &ca);
	pthread_condattr_destroy(&ca);
	return a;
}

static void ask_done(struct ask *a)
{
	pthread_mutex_lock(&a->lock);
	a->pending--;
	pthread_cond_broadcast(&a->cond);
	pthread_mutex_unlock(&a->lock);
	mem_deref(a);
}

/* 0 once every job finished, -ETIMEDOUT otherwise. */
static int ask_wait(struct ask *a, uint32_t timeout_ms)
{
	struct timespec ts;
	int err = 0;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&a->lock);
	while (a->pending && !err)
		err = pthread_cond_timedwait(&a->cond, &a->lock, &ts) == ETIMEDOUT ? -ETIMEDOUT : 0;
	if (!a->pending)
		err = 0;
	pthread_mutex_unlock(&a->lock);
	return err;
}

/* ------------------------------------------------------------------ */
/* The list                                                             */
/* ------------------------------------------------------------------ */

/* The current attempt, or NULL once every attempt was tried. */
static const struct attempt *current(const struct call *c)
{
	return c->cur < c->natt ? &c->att[c->cur] : NULL;
}

static enum call_phase phase_of(const struct call *c)
{
	return c->state == CS_ANSWERED ? CALL_PHASE_ANSWERED
	       : c->ring_ms ? CALL_PHASE_RINGING : CALL_PHASE_SETUP;
}

/* The current attempt's carrier (termination), the source (origination). */
static uint32_t carrier_of(const struct call *c)
{
	const struct attempt *at = current(c);

	return c->dir == STORE_DIR_IN ? c->carrier_in : at ? at->carrier_id : 0;
}

static void info_of(const struct call *c, struct call_info *i)
{
	const struct attempt *at = current(c);

	memset(i, 0, sizeof(*i));
	i->id = c->id;
	i->outbound = c->dir == STORE_DIR_OUT;
	i->phase = phase_of(c);
	i->customer_id = c->customer_id;
	i->trunk_id = c->trunk_id;
	i->carrier_id = carrier_of(c);
	snprintf(i->caller, sizeof(i->caller), "%s", c->caller);
	snprintf(i->dialled, sizeof(i->dialled), "%s", c->dialled);
	snprintf(i->e164, sizeof(i->e164), "%s", c->e164);
	snprintf(i->callid_a, sizeof(i->callid_a), "%s", c->a.callid);
	snprintf(i->callid_b, sizeof(i->callid_b), "%s", c->b.callid);
	if (at && at->start_ms)
		snprintf(i->gateway, sizeof(i->gateway), "%.*s", (int)sizeof(i->gateway) - 1, at->host);
	i->attempt = at ? c->cur + 1 : c->natt;
	i->attempts = c->natt;
	i->setup_ms = c->setup_ms;
	i->ring_ms = c->ring_ms;
	i->answer_ms = c->answer_ms;
	i->relayed = c->media != NULL;
}

struct list_job {
	struct uas *u;                /* borrowed */
	struct ask *a;                /* one reference */
	struct call_filter f;         /* copy (f.number borrowed: the asker waits) */
};

static bool matches(const struct call *c, const struct call_filter *f)
{
	if (c->state == CS_ENDED || (f->id && c->id != f->id) ||
	    (f->customer_id && c->customer_id != f->customer_id) ||
	    (f->carrier_id && carrier_of(c) != f->carrier_id) ||
	    (f->dir == 1 && c->dir != STORE_DIR_OUT) || (f->dir == 2 && c->dir != STORE_DIR_IN) ||
	    (f->phase && (int)phase_of(c) != f->phase - 1))
		return false;
	return !f->number || strstr(c->caller, f->number) || strstr(c->dialled, f->number) ||
	       strstr(c->e164, f->number);
}

/* Keep the cap smallest ids offered, as a max-heap in h[0..*n). */
static void heap_offer(uint64_t *h, size_t *n, size_t cap, uint64_t id)
{
	size_t i;

	if (*n < cap) {
		for (i = (*n)++; i && h[(i - 1) / 2] < id; i = (i - 1) / 2)
			h[i] = h[(i - 1) / 2];
		h[i] = id;
		return;
	}
	if (id >= h[0])
		return;
	/* the largest leaves: sift id down from the root's place */
	for (i = 0;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		uint64_t big = id;

		if (l < *n && h[l] > big) {
			m = l;
			big = h[l];
		}
		if (r < *n && h[r] > big)
			m = r;
		if (m == i)
			break;
		h[i] = h[m];
		i = m;
	}
	h[i] = id;
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

/* Append a copy of c to the collection (under a->lock). */
static bool collect(struct ask *a, const struct call *c)
{
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;
		struct call_info *v = realloc(a->v, cap * sizeof(*v));

		if (!v)
			return false;
		a->v = v;
		a->cap = cap;
	}
	info_of(c, &a->v[a->n++]);
	return true;
}

static void list_on_worker(void *arg)
{
	struct list_job *j = arg;
	struct loop *loop = loop_current();
	const struct call_filter *f = &j->f;
	struct ask *a = j->a;
	struct uas *u = j->u;
	size_t cap = f->limit ? f->limit + 1 : 0, nh = 0, total = 0, after = 0;
	uint64_t *heap = cap ? malloc(cap * sizeof(*heap)) : NULL;
	bool oom = cap && !heap;

	/* Calls are listed under uas->lock and change only on their loop,
	 * which is this one: reading them here is safe. A page copies only
	 * its candidates: the limit + 1 smallest ids above the cursor. */
	pthread_mutex_lock(&u->lock);
	for (const struct call *c = u->calls; c && !oom; c = c->next) {
		if (c->loop != loop || !matches(c, f))
			continue;
		total++;
		if (c->id <= f->after_id)
			continue;
		after++;
		if (heap)
			heap_offer(heap, &nh, cap, c->id);
	}
	if (heap && nh > 1)
		qsort(heap, nh, sizeof(*heap), cmp_u64);
	pthread_mutex_lock(&a->lock);
	for (const struct call *c = u->calls; c && !oom; c = c->next) {
		if (c->loop != loop || c->id <= f->after_id || !matches(c, f))
			continue;
		if (heap && !bsearch(&c->id, heap, nh, sizeof(*heap), cmp_u64))
			continue;
		oom = !collect(a, c);
	}
	a->total += total;
	a->after += after;
	a->oom |= oom;
	pthread_mutex_unlock(&a->lock);
	pthread_mutex_unlock(&u->lock);
	free(heap);
	free(j);
	ask_done(a);
}

static int by_id(const void *x, const void *y)
{
	const struct call_info *a = x, *b = y;

	return a->id < b->id ? -1 : a->id > b->id;
}

int uas_calls(struct uas *u, const struct call_filter *f, struct call_page *pg,
	      uint32_t timeout_ms)
{
	static const struct call_filter any;
	struct ask *a;
	int err = 0;

	memset(pg, 0, sizeof(*pg));
	if (!u->tp)
		return 0;
	a = ask_alloc();
	if (!a)
		return -ENOMEM;
	for (unsigned i = 0; i < tp_workers(u->tp); i++) {
		struct loop *l = tp_worker_loop(u->tp, i);
		struct list_job *j = l ? malloc(sizeof(*j)) : NULL;

		if (!j)
			continue;
		j->u = u;
		j->a = mem_ref(a);
		j->f = f ? *f : any;
		pthread_mutex_lock(&a->lock);
		a->pending++;
		pthread_mutex_unlock(&a->lock);
		if (loop_call(l, list_on_worker, j)) {
			free(j);
			ask_done(a);
			err = -ENOMEM;
		}
	}
	if (!err)
		err = ask_wait(a, timeout_ms);
	if (!err && a->oom)
		err = -ENOMEM;
	if (!err) {
		size_t limit = f ? f->limit : 0;

		pthread_mutex_lock(&a->lock);
		if (a->n)
			qsort(a->v, a->n, sizeof(*a->v), by_id);
		pg->v = a->v;
		pg->n = limit && a->n > limit ? limit : a->n;
		pg->total = a->total;
		pg->more = limit && a->after > limit;
		a->v = NULL;
		pthread_mutex_unlock(&a->lock);
	}
	mem_deref(a);
	return err;
}

/* ------------------------------------------------------------------ */
/* Hang-up                                                              */
/* ------------------------------------------------------------------ */

struct hangup_job {
	struct call *c;               /* one reference */
	struct ask *a;                /* one reference */
};

static void hangup_on_worker(void *arg)
{
	struct hangup_job *j = arg;
	struct call *c = j->c;
	struct ask *a = j->a;

	free(j);
	log_ctx_set("call_id=%s", c->a.callid);
	if (c->state == CS_ENDED) {
		a->result = -ENOENT;
	} else {
		LINFO("hang-up by the operator id=%llu", (unsigned long long)c->id);
		call_end(c, STORE_SIDE_SYSTEM, "operator hangup", 480);
	}
	log_ctx_clear();
	mem_deref(c);
	ask_done(a);
}

int uas_call_hangup(struct uas *u, uint64_t id, uint32_t timeout_ms)
{
	struct call *c = NULL;
	struct hangup_job *j;
	struct ask *a;
	int err;

	pthread_mutex_lock(&u->lock);
	for (struct call *x = u->calls; x; x = x->next) {
		if (x->id == id) {
			c = mem_ref(x);
			break;
		}
	}
	pthread_mutex_unlock(&u->lock);
	if (!c)
		return -ENOENT;
	a = ask_alloc();
	j = a ? malloc(sizeof(*j)) : NULL;
	if (!j) {
		mem_deref(a);
		mem_deref(c);
		return -ENOMEM;
	}
	j->c = c;
	j->a = mem_ref(a);
	a->pending = 1;
	if (loop_call(c->loop, hangup_on_worker, j)) {
		mem_deref(j->a);
		free(j);
		mem_deref(a);
		mem_deref(c);
		return -ENOMEM;
	}
	err = ask_wait(a, timeout_ms);
	if (!err) {
		pthread_mutex_lock(&a->lock);
		err = a->result;
		pthread_mutex_unlock(&a->lock);
	}
	mem_deref(a);
	return err;
}
