/* SPDX-License-Identifier: GPL-2.0-or-later */
/** @file test_loop.c  Unit tests of the event loop (loop.c) and the timer
 *  wheel (timer.c): cross-thread calls and stop, fd events, timer order,
 *  delays, cancel, re-arm, and a simulated-clock run of 10,000 timers. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "core.h"
#include "loop_int.h"

/* ---- loop_call ordering, loop_current, cross-thread stop ---------- */

enum { NCALLS = 2000 };

struct calls {
	struct loop *loop;
	int seen[NCALLS];
	int n;
	bool wrong_thread;
};

struct call_arg {
	struct calls *c;
	int i;
};

static struct call_arg call_args[NCALLS];

static void on_call(void *arg)
{
	struct call_arg *a = arg;

	if (loop_current() != a->c->loop)
		a->c->wrong_thread = true;
	a->c->seen[a->c->n++] = a->i;
	if (a->c->n == NCALLS)
		loop_stop(a->c->loop);
}

static void *poster(void *arg)
{
	struct calls *c = arg;

	for (int i = 0; i < NCALLS; i++) {
		call_args[i] = (struct call_arg){ c, i };
		if (loop_call(c->loop, on_call, &call_args[i]) != 0)
			abort();
		if (i % 100 == 0)
			usleep(200);
	}
	return NULL;
}

static void test_call_order(void **state)
{
	static struct calls c;
	pthread_t th;

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(loop_alloc(&c.loop), 0);
	assert_null(loop_current());
	assert_int_equal(pthread_create(&th, NULL, poster, &c), 0);
	assert_int_equal(loop_run(c.loop), 0);
	pthread_join(th, NULL);
	assert_null(loop_current());
	assert_false(c.wrong_thread);
	assert_int_equal(c.n, NCALLS);
	for (int i = 0; i < NCALLS; i++)
		assert_int_equal(c.seen[i], i);
	loop_free(c.loop);
}

static void *runner(void *arg)
{
	return (void *)(intptr_t)loop_run(arg);
}

static void test_cross_stop(void **state)
{
	struct loop *loop;
	pthread_t th;
	void *ret;
	uint64_t t0;

	(void)state;
	assert_int_equal(loop_alloc(&loop), 0);
	/* a stop posted before run makes run return at once */
	loop_stop(loop);
	assert_int_equal(loop_run(loop), 0);

	assert_int_equal(pthread_create(&th, NULL, runner, loop), 0);
	usleep(30000);
	t0 = time_ms();
	loop_stop(loop);
	pthread_join(th, &ret);
	assert_int_equal((intptr_t)ret, 0);
	assert_true(time_ms() - t0 < 1000);
	loop_free(loop);
}

/* ---- fd events ------------------------------------------------------ */

struct fdt {
	struct loop *loop;
	int got;
	char byte;
};

static void on_readable(int fd, int events, void *arg)
{
	struct fdt *f = arg;

	assert_true(events & LOOP_READ);
	assert_int_equal(read(fd, &f->byte, 1), 1);
	f->got++;
	loop_fd_del(f->loop, fd);
	loop_stop(f->loop);
}

static void test_fd(void **state)
{
	struct fdt f = { 0 };
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(loop_alloc(&f.loop), 0);
	assert_int_equal(loop_fd_add(f.loop, p[0], LOOP_READ, on_readable, &f), 0);
	assert_int_equal(loop_fd_add(f.loop, p[0], LOOP_READ, on_readable, &f), -EEXIST);
	assert_int_equal(loop_fd_mod(f.loop, p[1], LOOP_WRITE), -ENOENT);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(loop_run(f.loop), 0);
	assert_int_equal(f.got, 1);
	assert_int_equal(f.byte, 'x');
	loop_free(f.loop);
	close(p[0]);
	close(p[1]);
}

/* ---- timers on a real clock ---------------------------------------- */

struct rt {
	struct loop *loop;
	struct tmr t[6];
	uint64_t t0;
	int order[6];
	uint64_t at[6];
	int n;
	int rearms;
};

struct rt_arg {
	struct rt *rt;
	int id;
};

static void on_rt(void *arg)
{
	struct rt_arg *a = arg;

	a->rt->at[a->id] = time_ms() - a->rt->t0;
	a->rt->order[a->rt->n++] = a->id;
	if (a->id == 0)
		loop_stop(a->rt->loop);
}

static void test_timer_order(void **state)
{
	static const unsigned delay[] = { 120, 10, 60, 30, 0, 45 };
	static struct rt rt;
	struct rt_arg args[6];

	(void)state;
	memset(&rt, 0, sizeof(rt));
	assert_int_equal(loop_alloc(&rt.loop), 0);
	rt.t0 = time_ms();
	for (int i = 0; i < 6; i++) {
		args[i] = (struct rt_arg){ &rt, i };
		tmr_init(&rt.t[i]);
		tmr_start(&rt.t[i], rt.loop, delay[i], on_rt, &args[i]);
		assert_true(tmr_isrunning(&rt.t[i]));
	}
	assert_int_equal(loop_run(rt.loop), 0);
	assert_int_equal(rt.n, 6);
	static const int want[] = { 4, 1, 3, 5, 2, 0 };
	for (int i = 0; i < 6; i++) {
		assert_int_equal(rt.order[i], want[i]);
		int id = rt.order[i];
		assert_false(tmr_isrunning(&rt.t[id]));
		/* never early; late by scheduling noise only */
		assert_true(rt.at[id] + 1 >= delay[id]);
		assert_true(rt.at[id] <= delay[id] + 200);
	}
	loop_free(rt.loop);
}

static struct tmr cancel_victim, cancel_killer, cancel_end, self_tmr;
static int victim_fired, self_count;
static uint64_t self_t0, self_elapsed;

static void on_victim(void *arg) { (void)arg; victim_fired++; }
static void on_killer(void *arg) { (void)arg; tmr_cancel(&cancel_victim); }
static void on_end(void *arg) { loop_stop(arg); }

static void on_self(void *arg)
{
	struct loop *loop = arg;

	/* re-arming oneself from one's own callback */
	if (++self_count < 5) {
		tmr_start(&self_tmr, loop, 5, on_self, loop);
		return;
	}
	self_elapsed = time_ms() - self_t0;
	loop_stop(loop);
}

static void test_timer_cancel_rearm(void **state)
{
	struct loop *loop;

	(void)state;
	assert_int_equal(loop_alloc(&loop), 0);
	tmr_start(&cancel_victim, loop, 30, on_victim, NULL);
	tmr_start(&cancel_killer, loop, 10, on_killer, NULL);
	tmr_start(&cancel_end, loop, 60, on_end, loop);
	/* cancel of an idle timer, and twice, is harmless */
	struct tmr idle;
	tmr_init(&idle);
	tmr_cancel(&idle);
	assert_int_equal(loop_run(loop), 0);
	assert_int_equal(victim_fired, 0);
	assert_false(tmr_isrunning(&cancel_victim));

	self_t0 = time_ms();
	tmr_start(&self_tmr, loop, 5, on_self, loop);
	assert_int_equal(loop_run(loop), 0);
	assert_int_equal(self_count, 5);
	assert_true(self_elapsed + 5 >= 25);
	assert_true(self_elapsed < 1000);

	/* re-arm of a running timer replaces its expiry */
	tmr_start(&cancel_victim, loop, 10000, on_victim, NULL);
	tmr_start(&cancel_victim, loop, 5, on_end, loop);
	uint64_t t0 = time_ms();
	assert_int_equal(loop_run(loop), 0);
	assert_true(time_ms() - t0 < 1000);
	assert_int_equal(victim_fired, 0);

	/* a loop freed with armed timers leaves them idle */
	tmr_start(&cancel_victim, loop, 10000, on_victim, NULL);
	loop_free(loop);
	assert_false(tmr_isrunning(&cancel_victim));
}

/* ---- simulated clock: 10,000 timers across every wheel level ------- */

enum { NT = 10000 };

struct sim {
	struct tmr t[NT];
	uint64_t fired_at[NT];
	uint64_t now;
	int fired;
	uint64_t exp[NT];
	uint64_t prev;         /* now of the previous run */
};

static struct sim sim;

static void on_sim(void *arg)
{
	int i = (int)(intptr_t)arg;

	assert_int_equal(sim.fired_at[i], 0);
	sim.fired_at[i] = sim.now;
	/* due now, and was not due at the previous run */
	assert_true(sim.now >= sim.exp[i]);
	assert_true(sim.prev < sim.exp[i]);
	sim.fired++;
	/* every 7th cancels its neighbour, which may sit in the same slot */
	if (i % 7 == 0 && i + 1 < NT)
		tmr_cancel(&sim.t[i + 1]);
}

static void test_timer_wheel_sim(void **state)
{
	struct loop *loop;
	struct tmr_wheel *w;
	uint64_t exp[NT], base;
	bool cancelled[NT] = { 0 };
	int steps = 0;

	(void)state;
	memset(&sim, 0, sizeof(sim));
	srand(42);
	assert_int_equal(loop_alloc(&loop), 0);
	w = loop_wheel(loop);
	base = time_ms();
	for (int i = 0; i < NT; i++) {
		uint64_t d;
		switch (i % 5) {
		case 0: d = (uint64_t)(rand() % 256); break;
		case 1: d = (uint64_t)(rand() % 20000); break;
		case 2: d = (uint64_t)(rand() % 2000000); break;
		case 3: d = (uint64_t)rand() % 80000000; break;   /* past the span */
		default: d = (uint64_t)rand() % 300000000; break; /* 3.5 days */
		}
		tmr_start(&sim.t[i], loop, d, on_sim, (void *)(intptr_t)i);
		exp[i] = sim.exp[i] = sim.t[i].expires;
	}
	/* cancel a few before they run */
	for (int i = 3; i < NT; i += 97) {
		tmr_cancel(&sim.t[i]);
		cancelled[i] = true;
	}
	sim.now = base > 0 ? base - 1 : 0;
	sim.prev = sim.now;
	for (;;) {
		int to = tmr_wheel_timeout(w, sim.now);
		if (to < 0)
			break;
		/* the timeout is a lower bound: nothing fires before it */
		if (to > 1) {
			int before = sim.fired;
			sim.now += (uint64_t)to - 1;
			tmr_wheel_run(w, sim.now);
			assert_int_equal(sim.fired, before);
			sim.prev = sim.now;
			sim.now++;
		} else {
			sim.now += (uint64_t)to;
		}
		/* sometimes jump further than asked, like a late wake-up */
		if (rand() % 4 == 0)
			sim.now += (uint64_t)(rand() % 3000);
		tmr_wheel_run(w, sim.now);
		sim.prev = sim.now;
		assert_true(++steps < 3000000);
	}
	/* every timer fired exactly at the first run at or after its expiry,
	 * except the cancelled ones */
	for (int i = 0; i < NT; i++) {
		/* i - 1 fires first (FIFO on equal expiry) and cancels i */
		bool killed = i % 7 == 1 && !cancelled[i - 1] && exp[i - 1] <= exp[i];
		if (cancelled[i] || killed) {
			assert_int_equal(sim.fired_at[i], 0);
			continue;
		}
		if (!sim.fired_at[i])
			fail_msg("timer %d never fired", i);
		assert_true(sim.fired_at[i] >= exp[i]);
		assert_true(sim.fired_at[i] < exp[i] + 3001);
	}
	for (int i = 0; i < NT; i++)
		assert_false(tmr_isrunning(&sim.t[i]));
	loop_free(loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_call_order),
		cmocka_unit_test(test_cross_stop),
		cmocka_unit_test(test_fd),
		cmocka_unit_test(test_timer_order),
		cmocka_unit_test(test_timer_cancel_rearm),
		cmocka_unit_test(test_timer_wheel_sim),
	};
	return cmocka_run_group_tests_name("loop", tests, NULL, NULL);
}
