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

static void info_of(const struct call *c, struct call_info *i)
{
	const struct attempt *at = c->cur < c->natt ? &c->att[c->cur] : NULL;

	memset(i, 0, sizeof(*i));
	i->id = c->id;
	i->outbound = c->dir == STORE_DIR_OUT;
	i->phase = c->state == CS_ANSWERED ? CALL_PHASE_ANSWERED
		   : c->ring_ms ? CALL_PHASE_RINGING : CALL_PHASE_SETUP;
	i->customer_id = c->customer_id;
	i->trunk_id = c->trunk_id;
	i->carrier_id = c->dir == STORE_DIR_IN ? c->carrier_in : at ? at->carrier_id : 0;
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
};

static void list_on_worker(void *arg)
{
	struct list_job *j = arg;
	struct loop *loop = loop_current();
	struct ask *a = j->a;
	struct uas *u = j->u;

	free(j);
	/* Calls are listed under uas->lock and change only on their loop,
	 * which is this one: reading them here is safe. */
	pthread_mutex_lock(&u->lock);
	for (const struct call *c = u->calls; c; c = c->next) {
		if (c->loop != loop || c->state == CS_ENDED)
			continue;
		pthread_mutex_lock(&a->lock);
		if (a->n == a->cap) {
			size_t cap = a->cap ? a->cap * 2 : 64;
			struct call_info *v = realloc(a->v, cap * sizeof(*v));

			if (!v) {
				a->oom = true;
				pthread_mutex_unlock(&a->lock);
				break;
			}
			a->v = v;
			a->cap = cap;
		}
		info_of(c, &a->v[a->n++]);
		pthread_mutex_unlock(&a->lock);
	}
	pthread_mutex_unlock(&u->lock);
	ask_done(a);
}

static int by_id(const void *x, const void *y)
{
	const struct call_info *a = x, *b = y;

	return a->id < b->id ? -1 : a->id > b->id;
}

int uas_calls(struct uas *u, struct call_info **out, size_t *n, uint32_t timeout_ms)
{
	struct ask *a;
	int err = 0;

	*out = NULL;
	*n = 0;
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
		pthread_mutex_lock(&a->lock);
		if (a->n)
			qsort(a->v, a->n, sizeof(*a->v), by_id);
		*out = a->v;
		*n = a->n;
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
