/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file cdr.c  The CDR writer: a bounded queue filled by any thread and one
 *              writer thread that commits batches on its own connection.
 *
 * Nothing is lost silently: a CDR is either refused at submit (the caller
 * keeps it, the refusal is counted and logged), or written, or - when the
 * database keeps failing through stop - logged in full at error level and
 * counted as failed. Stop drains the whole queue before it returns.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "store_int.h"

#define LOG_MOD "store"

enum {
	CDR_QUEUE_MAX = 100000,
	CDR_BATCH_MAX = 500,
	CDR_FLUSH_MS = 50,
	CDR_FULL_WAIT_MS = 200,
	CDR_RETRY_MIN_MS = 100,
	CDR_RETRY_MAX_MS = 2000,
	CDR_STOP_RETRIES = 3,     /* once stopping, tries per batch before giving up */
};

#define CDR_COLS \
	"call_id, customer_id, trunk_id, carrier_id, direction, caller, dialled, " \
	"normalised, setup_ms, ring_ms, answer_ms, end_ms, pdd_ms, disconnect_side, " \
	"sip_code, q850_cause, reason, billed_sec, cost, price, attempts"
/* Media figures (migration 4): written, not read back by store_foreach_cdr. */
#define CDR_MEDIA_LEG(x) \
	x "_rx_packets, " x "_rx_bytes, " x "_rx_lost, " x "_rx_out_of_order, " \
	x "_rx_loss_pct, " x "_rx_jitter_ms, " x "_rx_mos, " x "_tx_packets, " \
	x "_tx_bytes, " x "_tx_loss_pct, " x "_tx_jitter_ms, " x "_tx_mos, " x "_rtt_ms"
#define CDR_MEDIA_COLS "media_mode, media_streams, " CDR_MEDIA_LEG("a") ", " CDR_MEDIA_LEG("b")
#define CDR_MEDIA_QS "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?"
enum { CDR_MEDIA_FIRST = 22 };   /* placeholder index of media_mode */

struct store_cdr_writer {
	struct store *st;                 /* owned: the writer's own connection */
	struct store_stmt *ins;           /* owned: the INSERT, writer thread only */
	pthread_t thread;
	pthread_mutex_t lock;             /* guards everything below */
	pthread_cond_t more;              /* writer waits: CDRs or stop */
	pthread_cond_t room;              /* producers wait: space in the queue */
	struct store_cdr *head, *tail;    /* owned: the queue */
	unsigned n;
	bool stopping;
	struct store_cdr_writer_prm prm;
	struct store_cdr_stats stats;
	uint64_t full_logged_ms;          /* last "queue full" log line */
	struct hist write_us;             /* one batch: BEGIN .. COMMIT, µs */
};

struct store_cdr *store_cdr_new(void)
{
	return calloc(1, sizeof(struct store_cdr));
}

void store_cdr_free(struct store_cdr *cdr)
{
	if (!cdr)
		return;
	free(cdr->call_id);
	free(cdr->caller);
	free(cdr->dialled);
	free(cdr->normalised);
	free(cdr->reason);
	for (size_t i = 0; i < cdr->n_attempts && cdr->attempts; i++)
		free(cdr->attempts[i].gateway);
	free(cdr->attempts);
	free(cdr->attempts_json);
	free(cdr);
}

static const char *dir_str(enum store_dir d)
{
	return d == STORE_DIR_IN ? "in" : "out";
}

static const char *side_str(enum store_side s)
{
	switch (s) {
	case STORE_SIDE_CALLER: return "caller";
	case STORE_SIDE_CALLEE: return "callee";
	case STORE_SIDE_SYSTEM: return "system";
	case STORE_SIDE_NONE:   break;
	}
	return "none";
}

/* A growing NUL-terminated string. */
struct sbuf {
	char *p;
	size_t l, cap;
	bool oom;
};

static void sb_put(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->l + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;

		while (cap < b->l + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->l, s, n);
	b->l += n;
	b->p[b->l] = '\0';
}

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		sb_put(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* JSON string (RFC 8259 escaping), or null. */
static void sb_json_str(struct sbuf *b, const char *s)
{
	if (!s) {
		sb_put(b, "null", 4);
		return;
	}
	sb_put(b, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			sb_put(b, e, 2);
		} else if (c < 0x20) {
			sb_printf(b, "\\u%04x", c);
		} else {
			sb_put(b, (const char *)s, 1);
		}
	}
	sb_put(b, "\"", 1);
}

static void sb_json_ms(struct sbuf *b, const char *key, int64_t v)
{
	if (v)
		sb_printf(b, ",\"%s\":%lld", key, (long long)v);
	else
		sb_printf(b, ",\"%s\":null", key);
}

/* cdrs.attempts: [{"carrier_id":2,"gateway":"...","code":503,"start_ms":..,
 * "ring_ms":..|null,"answer_ms":..|null,"end_ms":..|null}, ...] */
static char *attempts_json(const struct store_cdr *c)
{
	struct sbuf b = { 0 };

	sb_put(&b, "[", 1);
	for (size_t i = 0; i < c->n_attempts && c->attempts; i++) {
		const struct store_cdr_attempt *a = &c->attempts[i];

		sb_put(&b, i ? ",{" : "{", i ? 2 : 1);
		if (a->carrier_id)
			sb_printf(&b, "\"carrier_id\":%lld,", (long long)a->carrier_id);
		else
			sb_put(&b, "\"carrier_id\":null,", 18);
		sb_put(&b, "\"gateway\":", 10);
		sb_json_str(&b, a->gateway);
		sb_printf(&b, ",\"code\":%d", a->code);
		sb_json_ms(&b, "start_ms", a->start_ms);
		sb_json_ms(&b, "ring_ms", a->ring_ms);
		sb_json_ms(&b, "answer_ms", a->answer_ms);
		sb_json_ms(&b, "end_ms", a->end_ms);
		sb_put(&b, "}", 1);
	}
	sb_put(&b, "]", 1);
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

static int64_t pdd_of(const struct store_cdr *c)
{
	int64_t first = c->ring_ms ? c->ring_ms : c->answer_ms;

	return c->setup_ms && first >= c->setup_ms ? first - c->setup_ms : -1;
}

/* Log a CDR in full: the last resort when it cannot be written, so the
 * record survives in the log. */
static void log_lost(const struct store_cdr *c, int err)
{
	char *att = attempts_json(c);

	LERR("cdr=lost err=%d call_id=%s customer_id=%lld trunk_id=%lld carrier_id=%lld dir=%s "
	     "caller=%s dialled=%s normalised=%s setup_ms=%lld ring_ms=%lld answer_ms=%lld "
	     "end_ms=%lld side=%s code=%d q850=%d reason=\"%s\" billed_sec=%lld cost=%lld "
	     "price=%lld attempts=%s", err, c->call_id ? c->call_id : "",
	     (long long)c->customer_id, (long long)c->trunk_id, (long long)c->carrier_id,
	     dir_str(c->dir), c->caller ? c->caller : "", c->dialled ? c->dialled : "",
	     c->normalised ? c->normalised : "", (long long)c->setup_ms, (long long)c->ring_ms,
	     (long long)c->answer_ms, (long long)c->end_ms, side_str(c->disconnect_side),
	     c->sip_code, c->q850_cause, c->reason ? c->reason : "", (long long)c->billed_sec,
	     (long long)c->cost, (long long)c->price, att ? att : "?");
	free(att);
}

static int bind_opt(struct store *st, struct store_stmt *s, int idx, int64_t v)
{
	return v ? st->be->bind_i64(s, idx, v) : st->be->bind_null(s, idx);
}

static int bind_real(struct store *st, struct store_stmt *s, int idx, double v, bool set)
{
	return set ? st->be->bind_double(s, idx, v) : st->be->bind_null(s, idx);
}

/* The relay's figures, NULL everywhere when the call was not relayed. */
static int bind_media(struct store *st, struct store_stmt *s, const struct store_cdr *c)
{
	const struct store_backend *be = st->be;
	bool on = c->media_relayed;
	int i = CDR_MEDIA_FIRST, err;

	err = on ? be->bind_text(s, i, "relay") : be->bind_null(s, i);
	i++;
	err = err ? err : on ? be->bind_i64(s, i, c->media_streams) : be->bind_null(s, i);
	i++;
	for (unsigned l = 0; l < 2 && !err; l++) {
		const struct store_cdr_media *m = &c->media[l];
		const int64_t iv[] = { m->rx_packets, m->rx_bytes, m->rx_lost, m->rx_out_of_order };

		for (size_t k = 0; k < ARRAY_SIZE(iv) && !err; k++, i++)
			err = on ? be->bind_i64(s, i, iv[k]) : be->bind_null(s, i);
		err = err ? err : bind_real(st, s, i++, m->rx_loss_pct, on && m->rx_packets);
		err = err ? err : bind_real(st, s, i++, m->rx_jitter_ms, on && m->rx_packets);
		err = err ? err : bind_real(st, s, i++, m->rx_mos, on && m->rx_mos > 0);
		err = err ? err : on ? be->bind_i64(s, i, m->tx_packets) : be->bind_null(s, i);
		i++;
		err = err ? err : on ? be->bind_i64(s, i, m->tx_bytes) : be->bind_null(s, i);
		i++;
		err = err ? err : bind_real(st, s, i++, m->tx_loss_pct, on && m->tx_loss_pct >= 0);
		err = err ? err : bind_real(st, s, i++, m->tx_jitter_ms, on && m->tx_jitter_ms >= 0);
		err = err ? err : bind_real(st, s, i++, m->tx_mos, on && m->tx_mos > 0);
		err = err ? err : bind_real(st, s, i++, m->rtt_ms, on && m->rtt_ms >= 0);
	}
	return err;
}

static int insert_one(struct store *st, struct store_stmt *s, const struct store_cdr *c)
{
	const struct store_backend *be = st->be;
	char *att = attempts_json(c);
	int64_t pdd = pdd_of(c);
	int err;

	if (!att)
		return -ENOMEM;
	err = be->bind_text(s, 1, c->call_id);
	err = err ? err : bind_opt(st, s, 2, c->customer_id);
	err = err ? err : bind_opt(st, s, 3, c->trunk_id);
	err = err ? err : bind_opt(st, s, 4, c->carrier_id);
	err = err ? err : be->bind_text(s, 5, dir_str(c->dir));
	err = err ? err : be->bind_text(s, 6, c->caller);
	err = err ? err : be->bind_text(s, 7, c->dialled);
	err = err ? err : be->bind_text(s, 8, c->normalised);
	err = err ? err : bind_opt(st, s, 9, c->setup_ms);
	err = err ? err : bind_opt(st, s, 10, c->ring_ms);
	err = err ? err : bind_opt(st, s, 11, c->answer_ms);
	err = err ? err : bind_opt(st, s, 12, c->end_ms);
	err = err ? err : pdd >= 0 ? be->bind_i64(s, 13, pdd) : be->bind_null(s, 13);
	err = err ? err : be->bind_text(s, 14, side_str(c->disconnect_side));
	err = err ? err : be->bind_i64(s, 15, c->sip_code);
	err = err ? err : bind_opt(st, s, 16, c->q850_cause);
	err = err ? err : be->bind_text(s, 17, c->reason);
	err = err ? err : be->bind_i64(s, 18, c->billed_sec);
	err = err ? err : be->bind_i64(s, 19, c->cost);
	err = err ? err : be->bind_i64(s, 20, c->price);
	err = err ? err : be->bind_text(s, 21, att);
	err = err ? err : bind_media(st, s, c);
	err = err ? err : be->step(s);
	be->reset(s);
	free(att);
	return err < 0 ? err : 0;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/*
 * Write one batch in one transaction. A row the database refuses for its
 * content (a constraint) is logged in full and skipped, so one bad record
 * cannot block the rest; a failure of the transaction itself (busy, I/O,
 * disk full) rolls back and retries the whole batch: forever while
 * running, CDR_STOP_RETRIES times once stopping.
 * Returns rows written; *failed gets rows given up on. Frees the batch.
 */
static unsigned write_batch(struct store_cdr_writer *w, struct store_cdr *batch,
			    unsigned *failedp)
{
	struct store *st = w->st;
	unsigned delay = CDR_RETRY_MIN_MS, tries = 0, written = 0, failed = 0;
	int err;

	for (;;) {
		struct store_cdr *c, **pp;
		bool stopping;

		written = 0;
		err = st->be->begin(st);
		for (pp = &batch; !err && (c = *pp);) {
			err = insert_one(st, w->ins, c);
			if (err == -EINVAL || err == -EEXIST || err == -ENOENT) {
				log_lost(c, err);
				LERR("cdr=refused msg=\"%s\"", st->errmsg);
				*pp = c->next;
				store_cdr_free(c);
				failed++;
				err = 0;
				continue;
			}
			if (!err) {
				written++;
				pp = &c->next;
			}
		}
		if (!err)
			err = st->be->exec(st, "COMMIT");
		if (!err)
			break;
		st->be->exec(st, "ROLLBACK");
		pthread_mutex_lock(&w->lock);
		stopping = w->stopping;
		pthread_mutex_unlock(&w->lock);
		tries++;
		LERR("cdr_batch=retry err=%d tries=%u msg=\"%s\"", err, tries, st->errmsg);
		if (stopping && tries > CDR_STOP_RETRIES) {
			for (c = batch; c; c = c->next) {
				log_lost(c, err);
				failed++;
			}
			written = 0;
			break;
		}
		sleep_ms(delay);
		delay = delay * 2 > CDR_RETRY_MAX_MS ? CDR_RETRY_MAX_MS : delay * 2;
	}
	while (batch) {
		struct store_cdr *next = batch->next;

		store_cdr_free(batch);
		batch = next;
	}
	*failedp = failed;
	return written;
}

static void deadline_after(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static void *writer_main(void *arg)
{
	struct store_cdr_writer *w = arg;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		struct store_cdr *batch, *last;
		unsigned k, written, failed;
		uint64_t t0;

		while (!w->n && !w->stopping)
			pthread_cond_wait(&w->more, &w->lock);
		if (!w->n)
			break;    /* stopping and drained */
		/* Gather up to batch_max, but commit at least every flush_ms. */
		if (w->n < w->prm.batch_max && !w->stopping) {
			struct timespec ts;

			deadline_after(&ts, w->prm.flush_ms);
			while (w->n < w->prm.batch_max && !w->stopping)
				if (pthread_cond_timedwait(&w->more, &w->lock, &ts) == ETIMEDOUT)
					break;
		}
		batch = last = w->head;
		for (k = 1; k < w->prm.batch_max && last->next; k++)
			last = last->next;
		w->head = last->next;
		if (!w->head)
			w->tail = NULL;
		last->next = NULL;
		w->n -= k;
		w->stats.queued = w->n;
		pthread_cond_broadcast(&w->room);
		pthread_mutex_unlock(&w->lock);

		t0 = time_us();
		written = write_batch(w, batch, &failed);
		hist_add(&w->write_us, time_us() - t0);

		pthread_mutex_lock(&w->lock);
		w->stats.written += written;
		w->stats.failed += failed;
		if (written)
			w->stats.batches++;
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int store_cdr_writer_start(struct store_cdr_writer **wp, struct store *st,
			   const struct store_cdr_writer_prm *prm)
{
	struct store_cdr_writer *w;
	pthread_condattr_t ca;
	int err;

	if (!wp || !st)
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	if (prm)
		w->prm = *prm;
	if (!w->prm.queue_max)
		w->prm.queue_max = CDR_QUEUE_MAX;
	if (!w->prm.batch_max)
		w->prm.batch_max = CDR_BATCH_MAX;
	if (!w->prm.flush_ms)
		w->prm.flush_ms = CDR_FLUSH_MS;
	{
		static const uint64_t le_us[] = { 100, 250, 500, 1000, 2500, 5000, 10000, 25000,
						  50000, 100000, 250000, 1000000 };

		hist_init(&w->write_us, le_us, ARRAY_SIZE(le_us));
	}
	if (!w->prm.full_wait_ms)
		w->prm.full_wait_ms = CDR_FULL_WAIT_MS;

	/* Its own connection: SQLite connections are not shared across
	 * threads here, and WAL lets it write while others read. */
	err = store_open(&w->st, st->url);
	if (err) {
		free(w);
		return err;
	}
	/* The writer appends rows: SQLite's default page cache (2 MiB) serves
	 * it. With the 64 MiB the connections get for rate-deck imports, its
	 * cache would grow with every CDR written, up to 64 MiB of RSS. */
	if (!strcmp(w->st->be->name, "sqlite") &&
	    w->st->be->exec(w->st, "PRAGMA cache_size=-2048;"))
		LWARN("cdr_writer=start msg=\"cache_size not set\"");
	err = stmt_prepare(w->st, "INSERT INTO cdrs (" CDR_COLS ", " CDR_MEDIA_COLS ") VALUES "
			   "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
			   CDR_MEDIA_QS ")", &w->ins);
	if (err) {
		LERR("cdr_writer=start err=%d msg=\"%s\"", err, w->st->errmsg);
		store_close(w->st);
		free(w);
		return err;
	}
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->more, &ca);
	pthread_cond_init(&w->room, &ca);
	pthread_condattr_destroy(&ca);
	err = -pthread_create(&w->thread, NULL, writer_main, w);
	if (err) {
		w->st->be->finalize(w->ins);
		store_close(w->st);
		pthread_cond_destroy(&w->more);
		pthread_cond_destroy(&w->room);
		pthread_mutex_destroy(&w->lock);
		free(w);
		return err;
	}
	LINFO("cdr_writer=started batch=%u flush_ms=%u queue=%u", w->prm.batch_max,
	      w->prm.flush_ms, w->prm.queue_max);
	*wp = w;
	return 0;
}

int store_cdr_submit(struct store_cdr_writer *w, struct store_cdr *cdr)
{
	struct timespec ts;
	bool waited = false;

	if (!w || !cdr)
		return -EINVAL;
	pthread_mutex_lock(&w->lock);
	while (!w->stopping && w->n >= w->prm.queue_max) {
		if (!waited) {
			deadline_after(&ts, w->prm.full_wait_ms);
			waited = true;
		}
		if (pthread_cond_timedwait(&w->room, &w->lock, &ts) == ETIMEDOUT)
			break;
	}
	if (w->stopping) {
		w->stats.rejected_stopped++;
		pthread_mutex_unlock(&w->lock);
		LWARN("cdr=refused reason=stopping call_id=%s", cdr->call_id ? cdr->call_id : "");
		return -ESHUTDOWN;
	}
	if (w->n >= w->prm.queue_max) {
		uint64_t now = time_ms(), rejected = ++w->stats.rejected_full;
		bool log = now - w->full_logged_ms >= 1000;

		if (log)
			w->full_logged_ms = now;
		pthread_mutex_unlock(&w->lock);
		/* one line a second at most; the count carries the rest */
		if (log)
			LERR("cdr=refused reason=queue_full queue=%u rejected=%llu call_id=%s",
			     w->prm.queue_max, (unsigned long long)rejected,
			     cdr->call_id ? cdr->call_id : "");
		return -EAGAIN;
	}
	cdr->next = NULL;
	if (w->tail)
		w->tail->next = cdr;
	else
		w->head = cdr;
	w->tail = cdr;
	w->n++;
	w->stats.submitted++;
	w->stats.queued = w->n;
	/* wake an idle writer on the first CDR, a gathering one on a full batch */
	if (w->n == 1 || w->n == w->prm.batch_max)
		pthread_cond_signal(&w->more);
	pthread_mutex_unlock(&w->lock);
	return 0;
}

const struct hist *store_cdr_writer_hist(const struct store_cdr_writer *w)
{
	return w ? &w->write_us : NULL;
}

void store_cdr_writer_stats(struct store_cdr_writer *w, struct store_cdr_stats *s)
{
	if (!w || !s)
		return;
	pthread_mutex_lock(&w->lock);
	*s = w->stats;
	pthread_mutex_unlock(&w->lock);
}

int store_cdr_writer_stop(struct store_cdr_writer *w)
{
	struct store_cdr_stats s;

	if (!w)
		return 0;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	pthread_cond_broadcast(&w->more);
	pthread_cond_broadcast(&w->room);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);

	s = w->stats;
	LINFO("cdr_writer=stopped submitted=%llu written=%llu failed=%llu rejected_full=%llu "
	      "rejected_stopped=%llu batches=%llu", (unsigned long long)s.submitted,
	      (unsigned long long)s.written, (unsigned long long)s.failed,
	      (unsigned long long)s.rejected_full, (unsigned long long)s.rejected_stopped,
	      (unsigned long long)s.batches);
	w->st->be->finalize(w->ins);
	store_close(w->st);
	pthread_cond_destroy(&w->more);
	pthread_cond_destroy(&w->room);
	pthread_mutex_destroy(&w->lock);
	free(w);
	return s.failed ? -EIO : 0;
}

int store_cdr_count(struct store *st, int64_t *n)
{
	struct store_stmt *s = NULL;
	int err;

	if (!st || !n)
		return -EINVAL;
	store_err_clear(st);
	err = stmt_prepare(st, "SELECT COUNT(*) FROM cdrs", &s);
	if (err)
		return err;
	err = st->be->step(s);
	if (err == 1) {
		*n = st->be->col_i64(s, 0);
		err = 0;
	} else if (!err) {
		err = -EIO;
	}
	st->be->finalize(s);
	return err;
}

static enum store_side side_parse(const char *s)
{
	if (!s)
		return STORE_SIDE_NONE;
	if (!strcmp(s, "caller"))
		return STORE_SIDE_CALLER;
	if (!strcmp(s, "callee"))
		return STORE_SIDE_CALLEE;
	if (!strcmp(s, "system"))
		return STORE_SIDE_SYSTEM;
	return STORE_SIDE_NONE;
}

static char *borrow(struct store *st, struct store_stmt *s, int i)
{
	return (char *)(uintptr_t)st->be->col_text(s, i);
}

/* One row of "SELECT id, " CDR_COLS into c; strings borrowed from the
 * statement until its next step. */
static void cdr_row(struct store *st, struct store_stmt *s, struct store_cdr *c)
{
	const struct store_backend *be = st->be;
	const char *dir;

	memset(c, 0, sizeof(*c));
	c->id = be->col_i64(s, 0);
	c->call_id = borrow(st, s, 1);
	c->customer_id = be->col_i64(s, 2);
	c->trunk_id = be->col_i64(s, 3);
	c->carrier_id = be->col_i64(s, 4);
	dir = be->col_text(s, 5);
	c->dir = dir && !strcmp(dir, "in") ? STORE_DIR_IN : STORE_DIR_OUT;
	c->caller = borrow(st, s, 6);
	c->dialled = borrow(st, s, 7);
	c->normalised = borrow(st, s, 8);
	c->setup_ms = be->col_i64(s, 9);
	c->ring_ms = be->col_i64(s, 10);
	c->answer_ms = be->col_i64(s, 11);
	c->end_ms = be->col_i64(s, 12);
	/* 13: pdd_ms is derived; readers compute it again if they need it */
	c->disconnect_side = side_parse(be->col_text(s, 14));
	c->sip_code = (int)be->col_i64(s, 15);
	c->q850_cause = (int)be->col_i64(s, 16);
	c->reason = borrow(st, s, 17);
	c->billed_sec = be->col_i64(s, 18);
	c->cost = be->col_i64(s, 19);
	c->price = be->col_i64(s, 20);
	c->attempts_json = borrow(st, s, 21);
}

int store_cdr_query(struct store *st, const struct store_cdr_filter *f, store_cdr_h *h, void *arg)
{
	const struct store_backend *be;
	struct store_stmt *s = NULL;
	char sql[1024];
	size_t l;
	int err, idx = 1;

	if (!st || !f || !h)
		return -EINVAL;
	be = st->be;
	store_err_clear(st);
	/* Only fixed SQL text is appended; every value is bound below in
	 * the same order. */
	l = (size_t)snprintf(sql, sizeof(sql),
			     "SELECT id, " CDR_COLS " FROM cdrs WHERE id > ?");
#define COND(c, txt) \
	if (c) \
		l += (size_t)snprintf(sql + l, sizeof(sql) - l, "%s", txt)
	COND(f->from_ms, " AND end_ms >= ?");
	COND(f->to_ms, " AND end_ms < ?");
	COND(f->customer_id, " AND customer_id = ?");
	COND(f->carrier_id, " AND carrier_id = ?");
	COND(f->number, " AND (caller = ? OR dialled = ? OR normalised = ?)");
	COND(f->sip_code, " AND sip_code = ?");
	COND(f->q850_cause, " AND q850_cause = ?");
	COND(f->dir >= 0, " AND direction = ?");
	COND(true, " ORDER BY id");
	COND(f->limit, " LIMIT ?");
#undef COND
	if (l >= sizeof(sql))
		return -EOVERFLOW;
	err = stmt_prepare(st, sql, &s);
	if (err)
		return err;
	err = be->bind_i64(s, idx++, f->after_id);
	if (!err && f->from_ms)
		err = be->bind_i64(s, idx++, f->from_ms);
	if (!err && f->to_ms)
		err = be->bind_i64(s, idx++, f->to_ms);
	if (!err && f->customer_id)
		err = be->bind_i64(s, idx++, f->customer_id);
	if (!err && f->carrier_id)
		err = be->bind_i64(s, idx++, f->carrier_id);
	for (int i = 0; !err && f->number && i < 3; i++)
		err = be->bind_text(s, idx++, f->number);
	if (!err && f->sip_code)
		err = be->bind_i64(s, idx++, f->sip_code);
	if (!err && f->q850_cause)
		err = be->bind_i64(s, idx++, f->q850_cause);
	if (!err && f->dir >= 0)
		err = be->bind_text(s, idx++, f->dir == STORE_DIR_IN ? "in" : "out");
	if (!err && f->limit)
		err = be->bind_i64(s, idx++, f->limit);
	while (!err && (err = be->step(s)) == 1) {
		struct store_cdr c;

		cdr_row(st, s, &c);
		err = h(&c, arg);
	}
	be->finalize(s);
	return err;
}

int store_foreach_cdr(struct store *st, int64_t after_id, store_cdr_h *h, void *arg)
{
	struct store_cdr_filter f = { .after_id = after_id, .dir = -1 };

	return store_cdr_query(st, &f, h, arg);
}
