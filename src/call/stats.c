/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file stats.c  Traffic statistics per carrier and per customer over the
 *                last minute, hour and day (ASR, ACD, PDD, attempts by
 *                code), counters by code since start, and the histograms
 *                /metrics exports. Fed by each call's CDR as it ends (and
 *                by calls refused before set-up), on the worker threads;
 *                read by the API's thread. One mutex: a few updates per
 *                call, a few reads per scrape.
 *
 * Each carrier and customer with traffic gets three rings of buckets,
 * allocated on first use and kept for the daemon's life (ids come from
 * provisioning, so they are bounded): 12 x 5 s, 60 x 1 min, 24 x 1 h. A
 * bucket is reset when its slot comes round to a new period.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "call_int.h"

#define LOG_MOD "call"

enum {
	BUCKET_CODES = 6,             /* distinct codes one bucket keeps */
	CUM_CODES = 24,               /* distinct codes counted since start */
	ENT_BUCKETS = 256,            /* hash chains per kind */
	CODE_MAX = 700,
};

struct bucket {
	int64_t period;               /* time / width of the ring; -1 = never used */
	uint32_t attempts, answered, pdd_n, other;
	uint64_t talk_ms, pdd_ms;
	uint16_t code[BUCKET_CODES];
	uint32_t code_n[BUCKET_CODES];
};

static const struct ring_def {
	int64_t width_ms;
	unsigned n;
	unsigned off;                 /* first bucket in struct ent's b */
} rings[3] = {
	[CALL_WIN_MINUTE] = { 5000, 12, 0 },
	[CALL_WIN_HOUR] = { 60000, 60, 12 },
	[CALL_WIN_DAY] = { 3600000, 24, 72 },
};

struct ent {
	struct ent *next;             /* hash chain */
	uint32_t id;
	struct bucket b[12 + 60 + 24]; /* the three rings, back to back */
	uint16_t cum_code[CUM_CODES]; /* attempts by code since start */
	uint64_t cum_n[CUM_CODES];
	uint64_t cum_other;
	unsigned ncum;
};

struct call_stats {
	pthread_mutex_t lock;
	struct ent *tab[2][ENT_BUCKETS];     /* [enum call_stat_of] */
	uint64_t calls[2][CODE_MAX];         /* [outbound][final code] */
};

int call_stats_alloc(struct call_stats **sp)
{
	struct call_stats *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->lock, NULL);
	*sp = s;
	return 0;
}

void call_stats_free(struct call_stats *s)
{
	if (!s)
		return;
	for (unsigned k = 0; k < 2; k++) {
		for (unsigned i = 0; i < ENT_BUCKETS; i++) {
			struct ent *e = s->tab[k][i], *next;

			for (; e; e = next) {
				next = e->next;
				free(e);
			}
		}
	}
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* Under the lock. NULL when out of memory (the sample is dropped). */
static struct ent *ent_get(struct call_stats *s, enum call_stat_of of, uint32_t id)
{
	struct ent **head = &s->tab[of][id % ENT_BUCKETS], *e;

	for (e = *head; e; e = e->next) {
		if (e->id == id)
			return e;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->id = id;
	for (unsigned w = 0; w < 3; w++) {
		struct bucket *b = e->b + rings[w].off;

		for (unsigned i = 0; i < rings[w].n; i++)
			b[i].period = -1;
	}
	e->next = *head;
	*head = e;
	return e;
}

static void bucket_code(struct bucket *b, uint16_t code)
{
	for (unsigned i = 0; i < BUCKET_CODES; i++) {
		if (b->code_n[i] && b->code[i] == code) {
			b->code_n[i]++;
			return;
		}
		if (!b->code_n[i]) {
			b->code[i] = code;
			b->code_n[i] = 1;
			return;
		}
	}
	b->other++;
}

static void cum_code(struct ent *e, uint16_t code)
{
	for (unsigned i = 0; i < e->ncum; i++) {
		if (e->cum_code[i] == code) {
			e->cum_n[i]++;
			return;
		}
	}
	if (e->ncum < CUM_CODES) {
		e->cum_code[e->ncum] = code;
		e->cum_n[e->ncum++] = 1;
		return;
	}
	e->cum_other++;
}

/* One attempt (carrier) or call (customer) that ended at t_ms. pdd_ms < 0:
 * it did not ring. */
static void sample(struct ent *e, int64_t t_ms, uint16_t code, bool answered, int64_t talk_ms,
		   int64_t pdd_ms)
{
	if (t_ms < 0)
		t_ms = 0;
	for (unsigned w = 0; w < 3; w++) {
		int64_t period = t_ms / rings[w].width_ms;
		struct bucket *b = &e->b[rings[w].off + period % rings[w].n];

		if (b->period != period) {
			memset(b, 0, sizeof(*b));
			b->period = period;
		}
		b->attempts++;
		if (answered) {
			b->answered++;
			b->talk_ms += (uint64_t)(talk_ms > 0 ? talk_ms : 0);
		}
		if (pdd_ms >= 0) {
			b->pdd_n++;
			b->pdd_ms += (uint64_t)pdd_ms;
		}
		bucket_code(b, code);
	}
	cum_code(e, code);
}

static void count_call(struct call_stats *s, bool outbound, uint16_t code)
{
	s->calls[outbound][code < CODE_MAX ? code : 0]++;
}

void call_stats_cdr(struct uas *u, const struct store_cdr *r)
{
	struct call_stats *s = u->stats;
	bool out = r->dir == STORE_DIR_OUT;

	if (r->ring_ms && r->ring_ms >= r->setup_ms)
		hist_add(&u->hist[UAS_HIST_PDD], (uint64_t)(r->ring_ms - r->setup_ms));
	for (unsigned i = 0; i < 2; i++) {
		const struct store_cdr_media *m = &r->media[i];

		if (m->rx_packets <= 0)
			continue;
		if (m->rx_mos > 0)
			hist_add(&u->hist[UAS_HIST_MOS], (uint64_t)(m->rx_mos * 100 + 0.5));
		if (m->rx_jitter_ms >= 0)
			hist_add(&u->hist[UAS_HIST_JITTER], (uint64_t)(m->rx_jitter_ms * 1000 + 0.5));
	}
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	count_call(s, out, (uint16_t)r->sip_code);
	for (size_t i = 0; i < r->n_attempts; i++) {
		const struct store_cdr_attempt *a = &r->attempts[i];
		struct ent *e;

		if (!a->carrier_id)
			continue;
		e = ent_get(s, CALL_STAT_CARRIER, (uint32_t)a->carrier_id);
		if (e)
			sample(e, r->end_ms, (uint16_t)a->code, a->answer_ms != 0,
			       a->answer_ms ? r->end_ms - a->answer_ms : 0,
			       a->ring_ms ? a->ring_ms - a->start_ms : -1);
	}
	/* Origination: the source carrier's offered calls. */
	if (!out && r->carrier_id) {
		struct ent *e = ent_get(s, CALL_STAT_CARRIER, (uint32_t)r->carrier_id);

		if (e)
			sample(e, r->end_ms, (uint16_t)r->sip_code, r->answer_ms != 0,
			       r->answer_ms ? r->end_ms - r->answer_ms : 0,
			       r->ring_ms ? r->ring_ms - r->setup_ms : -1);
	}
	if (r->customer_id) {
		struct ent *e = ent_get(s, CALL_STAT_CUSTOMER, (uint32_t)r->customer_id);

		if (e)
			sample(e, r->end_ms, (uint16_t)r->sip_code, r->answer_ms != 0,
			       r->answer_ms ? r->end_ms - r->answer_ms : 0,
			       r->ring_ms ? r->ring_ms - r->setup_ms : -1);
	}
	pthread_mutex_unlock(&s->lock);
}

void call_stats_refused(struct uas *u, bool outbound, uint16_t code)
{
	struct call_stats *s = u->stats;

	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	count_call(s, outbound, code);
	pthread_mutex_unlock(&s->lock);
}

/* ------------------------------------------------------------------ */
/* Reading                                                              */
/* ------------------------------------------------------------------ */

static void add_code(struct call_stat *o, uint16_t code, uint64_t n)
{
	for (unsigned i = 0; i < o->ncodes; i++) {
		if (o->codes[i].code == code) {
			o->codes[i].n += n;
			return;
		}
	}
	if (o->ncodes < CALL_STAT_CODES) {
		o->codes[o->ncodes].code = code;
		o->codes[o->ncodes++].n = n;
		return;
	}
	o->codes_other += n;
}

static bool window_of(const struct ent *e, enum call_window w, int64_t now_ms,
		      struct call_stat *o)
{
	const struct bucket *b = e->b + rings[w].off;
	int64_t last = now_ms / rings[w].width_ms, first = last - (int64_t)rings[w].n + 1;

	memset(o, 0, sizeof(*o));
	o->id = e->id;
	for (unsigned i = 0; i < rings[w].n; i++) {
		if (b[i].period < first || b[i].period > last)
			continue;
		o->attempts += b[i].attempts;
		o->answered += b[i].answered;
		o->talk_ms += b[i].talk_ms;
		o->pdd_ms += b[i].pdd_ms;
		o->pdd_n += b[i].pdd_n;
		o->codes_other += b[i].other;
		for (unsigned k = 0; k < BUCKET_CODES && b[i].code_n[k]; k++)
			add_code(o, b[i].code[k], b[i].code_n[k]);
	}
	return o->attempts != 0;
}

static int by_count(const void *x, const void *y)
{
	const struct call_stat_code *a = x, *b = y;

	if (a->n != b->n)
		return a->n > b->n ? -1 : 1;
	return a->code < b->code ? -1 : a->code > b->code;
}

static int stat_by_id(const void *x, const void *y)
{
	const struct call_stat *a = x, *b = y;

	return a->id < b->id ? -1 : a->id > b->id;
}

int uas_stats_window(struct uas *u, enum call_stat_of of, enum call_window w, int64_t now_ms,
		     struct call_stat **out, size_t *n)
{
	struct call_stats *s = u->stats;
	struct call_stat *v = NULL;
	size_t cnt = 0, cap = 0;
	int err = 0;

	*out = NULL;
	*n = 0;
	if (!s || (unsigned)of > CALL_STAT_CUSTOMER || (unsigned)w > CALL_WIN_DAY)
		return s ? -EINVAL : 0;
	pthread_mutex_lock(&s->lock);
	for (unsigned i = 0; i < ENT_BUCKETS && !err; i++) {
		for (const struct ent *e = s->tab[of][i]; e; e = e->next) {
			if (cnt == cap) {
				size_t nc = cap ? cap * 2 : 16;
				struct call_stat *nv = realloc(v, nc * sizeof(*nv));

				if (!nv) {
					err = -ENOMEM;
					break;
				}
				v = nv;
				cap = nc;
			}
			if (window_of(e, w, now_ms, &v[cnt]))
				cnt++;
		}
	}
	pthread_mutex_unlock(&s->lock);
	if (err) {
		free(v);
		return err;
	}
	for (size_t i = 0; i < cnt; i++)
		qsort(v[i].codes, v[i].ncodes, sizeof(v[i].codes[0]), by_count);
	if (cnt)
		qsort(v, cnt, sizeof(*v), stat_by_id);
	if (!cnt) {
		free(v);
		v = NULL;
	}
	*out = v;
	*n = cnt;
	return 0;
}

void uas_calls_by_code(struct uas *u, call_code_h *h, void *arg)
{
	struct call_stats *s = u->stats;
	uint64_t v[2][CODE_MAX];

	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	memcpy(v, s->calls, sizeof(v));
	pthread_mutex_unlock(&s->lock);
	for (unsigned o = 0; o < 2; o++) {
		for (unsigned c = 0; c < CODE_MAX; c++) {
			if (v[o][c])
				h(o != 0, 0, (uint16_t)c, v[o][c], arg);
		}
	}
}

struct cum {
	uint32_t id;
	uint16_t code;
	uint64_t n;
};

static int cum_cmp(const void *x, const void *y)
{
	const struct cum *a = x, *b = y;

	if (a->id != b->id)
		return a->id < b->id ? -1 : 1;
	return a->code < b->code ? -1 : a->code > b->code;
}

void uas_attempts_by_carrier(struct uas *u, call_code_h *h, void *arg)
{
	struct call_stats *s = u->stats;
	struct cum *v = NULL;
	size_t n = 0, cap = 0;

	if (!s)
		return;
	/* Copied under the lock, reported after it: h may be slow. */
	pthread_mutex_lock(&s->lock);
	for (unsigned i = 0; i < ENT_BUCKETS; i++) {
		for (const struct ent *e = s->tab[CALL_STAT_CARRIER][i]; e; e = e->next) {
			if (n + e->ncum > cap) {
				size_t nc = (cap + e->ncum) * 2;
				struct cum *nv = realloc(v, nc * sizeof(*nv));

				if (!nv)
					goto out;
				v = nv;
				cap = nc;
			}
			for (unsigned k = 0; k < e->ncum; k++)
				v[n++] = (struct cum){ e->id, e->cum_code[k], e->cum_n[k] };
		}
	}
out:
	pthread_mutex_unlock(&s->lock);
	if (n)
		qsort(v, n, sizeof(*v), cum_cmp);
	for (size_t i = 0; i < n; i++)
		h(true, v[i].id, v[i].code, v[i].n, arg);
	free(v);
}

const struct hist *uas_hist(const struct uas *u, enum uas_hist which)
{
	return (unsigned)which < UAS_HIST_N ? &u->hist[which] : NULL;
}

void call_hist_init(struct uas *u)
{
	static const uint64_t pdd_ms[] = { 100, 250, 500, 1000, 2000, 3000, 5000, 8000,
					   12000, 20000, 30000 };
	static const uint64_t setup_us[] = { 50, 100, 250, 500, 1000, 2500, 5000, 10000,
					     25000, 50000, 100000 };
	static const uint64_t mos_x100[] = { 100, 200, 250, 300, 350, 360, 370, 380, 390,
					     400, 410, 420, 430, 440, 450 };
	static const uint64_t jitter_us[] = { 1000, 2000, 5000, 10000, 20000, 30000, 50000,
					      100000, 200000 };

	hist_init(&u->hist[UAS_HIST_PDD], pdd_ms, ARRAY_SIZE(pdd_ms));
	hist_init(&u->hist[UAS_HIST_SETUP], setup_us, ARRAY_SIZE(setup_us));
	hist_init(&u->hist[UAS_HIST_MOS], mos_x100, ARRAY_SIZE(mos_x100));
	hist_init(&u->hist[UAS_HIST_JITTER], jitter_us, ARRAY_SIZE(jitter_us));
}
