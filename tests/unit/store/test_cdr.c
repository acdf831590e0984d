/* SPDX-License-Identifier: GPL-2.0-or-later */
/** @file test_cdr.c  Unit tests of the store's CDR writer: content round
 *  trip, many producers, stop while producers are mid-flight, a full
 *  queue behind a locked database. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <cmocka.h>
#include <sqlite3.h>
#include "store.h"
#include "store_test.h"

struct fx {
	struct tdir t;
	struct store *st;
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (!fx || tdir_make(&fx->t))
		return -1;
	if (store_open(&fx->st, fx->t.db))
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	store_close(fx->st);
	tdir_remove(&fx->t);
	free(fx);
	return 0;
}

static struct store_cdr *mk_cdr(int thread, int i)
{
	struct store_cdr *c = store_cdr_new();
	char id[64];

	assert_non_null(c);
	snprintf(id, sizeof(id), "t%d-%d", thread, i);
	c->call_id = strdup(id);
	c->customer_id = 1;
	c->caller = strdup("441632960001");
	c->dialled = strdup("02071234567");
	c->normalised = strdup("442071234567");
	c->setup_ms = 1700000000000LL + i;
	c->answer_ms = c->setup_ms + 1500;
	c->end_ms = c->answer_ms + 60000;
	c->sip_code = 200;
	c->billed_sec = 60;
	c->cost = 10000;
	c->price = 20000;
	return c;
}

struct seen {
	int n;
	const char *call_id;
	bool ok;
};

static int check_one(const struct store_cdr *c, void *arg)
{
	struct seen *s = arg;

	s->n++;
	assert_string_equal(c->call_id, "abc@pbx");
	assert_int_equal(c->dir, STORE_DIR_OUT);
	assert_int_equal(c->customer_id, 3);
	assert_int_equal(c->trunk_id, 4);
	assert_int_equal(c->carrier_id, 7);
	assert_string_equal(c->caller, "441632960001");
	assert_string_equal(c->dialled, "0015551234");
	assert_string_equal(c->normalised, "15551234");
	assert_true(c->setup_ms == 1000 && c->ring_ms == 1800 && c->answer_ms == 5000);
	assert_true(c->end_ms == 65000);
	assert_int_equal(c->disconnect_side, STORE_SIDE_CALLEE);
	assert_int_equal(c->sip_code, 200);
	assert_int_equal(c->q850_cause, 16);
	assert_string_equal(c->reason, "Normal call clearing");
	assert_int_equal(c->billed_sec, 60);
	assert_true(c->cost == 4000 && c->price == 12345678901LL);
	assert_string_equal(c->attempts_json,
		"[{\"carrier_id\":6,\"gateway\":\"10.0.0.1:5060;x=\\\"q\\\"\",\"code\":503,"
		"\"start_ms\":1010,\"ring_ms\":null,\"answer_ms\":null,\"end_ms\":1200},"
		"{\"carrier_id\":7,\"gateway\":\"127.0.0.1:5070\",\"code\":200,"
		"\"start_ms\":1200,\"ring_ms\":1800,\"answer_ms\":5000,\"end_ms\":65000}]");
	return 0;
}

static void test_cdr_content(void **state)
{
	struct fx *fx = *state;
	struct store_cdr_writer *w = NULL;
	struct store_cdr *c = store_cdr_new();
	struct seen s = { 0 };

	assert_non_null(c);
	c->call_id = strdup("abc@pbx");
	c->customer_id = 3;
	c->trunk_id = 4;
	c->carrier_id = 7;
	c->dir = STORE_DIR_OUT;
	c->caller = strdup("441632960001");
	c->dialled = strdup("0015551234");
	c->normalised = strdup("15551234");
	c->setup_ms = 1000;
	c->ring_ms = 1800;
	c->answer_ms = 5000;
	c->end_ms = 65000;
	c->disconnect_side = STORE_SIDE_CALLEE;
	c->sip_code = 200;
	c->q850_cause = 16;
	c->reason = strdup("Normal call clearing");
	c->billed_sec = 60;
	c->cost = 4000;
	c->price = 12345678901LL;
	c->attempts = calloc(2, sizeof(*c->attempts));
	c->n_attempts = 2;
	c->attempts[0] = (struct store_cdr_attempt){ 6, strdup("10.0.0.1:5060;x=\"q\""), 503,
						     1010, 0, 0, 1200 };
	c->attempts[1] = (struct store_cdr_attempt){ 7, strdup("127.0.0.1:5070"), 200,
						     1200, 1800, 5000, 65000 };

	assert_int_equal(store_cdr_writer_start(&w, fx->st, NULL), 0);
	assert_int_equal(store_cdr_submit(w, c), 0);
	assert_int_equal(store_cdr_writer_stop(w), 0);
	assert_int_equal(store_foreach_cdr(fx->st, 0, check_one, &s), 0);
	assert_int_equal(s.n, 1);
	/* pdd derived from ring - setup */
	sqlite3 *h = NULL;
	sqlite3_stmt *q = NULL;
	assert_int_equal(sqlite3_open(fx->t.db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, "SELECT pdd_ms, typeof(price) FROM cdrs", -1, &q, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(q, 0), 800);
	assert_string_equal((const char *)sqlite3_column_text(q, 1), "integer");
	sqlite3_finalize(q);
	sqlite3_close(h);
}

struct producer {
	pthread_t th;
	struct store_cdr_writer *w;
	int id;
	int want;                 /* 0 = until refused */
	int accepted;
	int refused;
	int last_err;
	atomic_bool *go;
};

static void *produce(void *arg)
{
	struct producer *p = arg;

	while (!atomic_load(p->go))
		;
	for (int i = 0; !p->want || i < p->want; i++) {
		struct store_cdr *c = mk_cdr(p->id, i);
		int err = store_cdr_submit(p->w, c);

		if (err) {
			/* refused: we still own it */
			store_cdr_free(c);
			p->refused++;
			p->last_err = err;
			if (err == -ESHUTDOWN)
				break;
			continue;
		}
		p->accepted++;
	}
	return NULL;
}

static void test_cdr_producers(void **state)
{
	struct fx *fx = *state;
	struct store_cdr_writer *w = NULL;
	struct producer p[4];
	struct store_cdr_stats s;
	atomic_bool go = false;
	int64_t n = 0;
	uint64_t t0;

	assert_int_equal(store_cdr_writer_start(&w, fx->st, NULL), 0);
	for (int i = 0; i < 4; i++) {
		p[i] = (struct producer){ .w = w, .id = i, .want = 5000, .go = &go };
		assert_int_equal(pthread_create(&p[i].th, NULL, produce, &p[i]), 0);
	}
	t0 = time_us();
	atomic_store(&go, true);
	for (int i = 0; i < 4; i++) {
		pthread_join(p[i].th, NULL);
		assert_int_equal(p[i].accepted, 5000);
		assert_int_equal(p[i].refused, 0);
	}
	store_cdr_writer_stats(w, &s);
	assert_int_equal(s.submitted, 20000);
	assert_int_equal(store_cdr_writer_stop(w), 0);
	print_message("cdr writer: 20000 CDRs from 4 threads written in %.3f s\n",
		      (double)(time_us() - t0) / 1e6);
	assert_int_equal(store_cdr_count(fx->st, &n), 0);
	assert_int_equal(n, 20000);
}

static void test_cdr_stop_midflight(void **state)
{
	struct fx *fx = *state;
	struct store_cdr_writer *w = NULL;
	struct store_cdr_writer_prm prm = { .batch_max = 100, .flush_ms = 5 };
	struct producer p[4];
	atomic_bool go = false;
	struct timespec ts = { 0, 30 * 1000000L };
	int64_t n = 0, accepted = 0;

	assert_int_equal(store_cdr_writer_start(&w, fx->st, &prm), 0);
	for (int i = 0; i < 4; i++) {
		p[i] = (struct producer){ .w = w, .id = i, .want = 0, .go = &go };
		assert_int_equal(pthread_create(&p[i].th, NULL, produce, &p[i]), 0);
	}
	atomic_store(&go, true);
	nanosleep(&ts, NULL);
	/* producers are still submitting while we stop */
	assert_int_equal(store_cdr_writer_stop(w), 0);
	for (int i = 0; i < 4; i++) {
		pthread_join(p[i].th, NULL);
		assert_int_equal(p[i].last_err, -ESHUTDOWN);
		accepted += p[i].accepted;
	}
	print_message("stop mid-flight: %lld CDRs accepted before stop, all written\n",
		      (long long)accepted);
	assert_true(accepted > 0);
	assert_int_equal(store_cdr_count(fx->st, &n), 0);
	assert_int_equal(n, accepted);
}

static void test_cdr_queue_full(void **state)
{
	struct fx *fx = *state;
	struct store_cdr_writer *w = NULL;
	struct store_cdr_writer_prm prm = { .queue_max = 50, .batch_max = 10, .flush_ms = 1,
					    .full_wait_ms = 5 };
	struct store_cdr_stats s;
	sqlite3 *h = NULL;
	int accepted = 0, full = 0;
	int64_t n = 0;

	assert_int_equal(store_cdr_writer_start(&w, fx->st, &prm), 0);
	/* another process holds the write lock: the writer cannot commit */
	assert_int_equal(sqlite3_open(fx->t.db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	for (int i = 0; i < 200; i++) {
		struct store_cdr *c = mk_cdr(0, i);
		int err = store_cdr_submit(w, c);

		if (err) {
			assert_int_equal(err, -EAGAIN);
			store_cdr_free(c);
			full++;
		} else {
			accepted++;
		}
	}
	store_cdr_writer_stats(w, &s);
	assert_true(full > 0);
	assert_int_equal(s.rejected_full, full);
	assert_int_equal(s.written, 0);
	/* the lock goes away: everything accepted is written */
	assert_int_equal(sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	assert_int_equal(store_cdr_writer_stop(w), 0);
	assert_int_equal(store_cdr_count(fx->st, &n), 0);
	assert_int_equal(n, accepted);
	print_message("queue full: %d accepted, %d refused\n", accepted, full);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cdr_content, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cdr_producers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cdr_stop_midflight, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cdr_queue_full, setup, teardown),
	};

	log_set_level(LOG_ERR);
	return cmocka_run_group_tests_name("store_cdr", tests, NULL, NULL);
}
