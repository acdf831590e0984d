/* SPDX-License-Identifier: GPL-2.0-or-later */
/** @file test_prefix.c  The prefix table against a brute-force longest
 *  prefix match over random decks with dated rows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "route.h"

enum { CARRIERS = 3, ROWS = 20000, NUMBERS = 2000, T0 = 1700000000 };

struct row {
	uint32_t carrier;
	char prefix[12];
	int64_t rate;
	int64_t eff;
	int seq;
};

static uint64_t st = 42;

static uint32_t rnd(void)
{
	st = st * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(st >> 33);
}

static struct row rows[ROWS];

/* Longest prefix with a row effective at now, per carrier; last added
 * wins among rows of equal carrier, prefix and date. */
static const struct row *brute(uint32_t carrier, const char *num, int64_t now)
{
	const struct row *best = NULL;

	for (int i = 0; i < ROWS; i++) {
		const struct row *r = &rows[i];
		size_t l = strlen(r->prefix);

		if (r->carrier != carrier || r->eff > now || strncmp(num, r->prefix, l))
			continue;
		if (!best || l > strlen(best->prefix) ||
		    (l == strlen(best->prefix) && r->eff >= best->eff))
			best = r;
	}
	return best;
}

static void test_random_decks(void **state)
{
	struct route_snap_builder *b = NULL;
	struct route_snap *s = NULL;

	(void)state;
	assert_int_equal(route_snap_builder_alloc(&b), 0);
	for (uint32_t c = 1; c <= CARRIERS; c++)
		assert_int_equal(route_snap_add_carrier(b, &(struct route_carrier_prm){ .id = c }), 0);
	for (int i = 0; i < ROWS; i++) {
		struct row *r = &rows[i];
		unsigned l = 1 + rnd() % 7;

		r->carrier = 1 + rnd() % CARRIERS;
		for (unsigned k = 0; k < l; k++)
			r->prefix[k] = (char)('0' + rnd() % 4);   /* few digits: many overlaps */
		r->prefix[l] = '\0';
		r->rate = (int64_t)(rnd() % 1000);
		r->eff = T0 + (int64_t)(rnd() % 5) * 100;
		r->seq = i;
		assert_int_equal(route_snap_add_rate(b, &(struct route_rate_prm){
			r->carrier, r->prefix, r->rate, 0, 60, 60, r->eff }), 0);
	}
	assert_int_equal(route_snap_build(b, &s), 0);
	mem_deref(b);

	for (int i = 0; i < NUMBERS; i++) {
		char num[16];
		unsigned l = 1 + rnd() % 15;
		int64_t now = T0 - 50 + (int64_t)(rnd() % 600);
		struct route_rate_hit hits[CARRIERS];
		size_t n;

		for (unsigned k = 0; k < l; k++)
			num[k] = (char)('0' + rnd() % 4);
		num[l] = '\0';
		n = route_rates_lookup(s, &(struct pl){ num, l },
				       now, hits, CARRIERS);
		size_t want = 0;
		for (uint32_t c = 1; c <= CARRIERS; c++) {
			const struct row *r = brute(c, num, now);
			const struct route_rate_hit *h = NULL;

			for (size_t k = 0; k < n; k++) {
				if (hits[k].carrier_id == c)
					h = &hits[k];
			}
			if (!r) {
				assert_null(h);
				continue;
			}
			want++;
			assert_non_null(h);
			assert_int_equal(h->plen, strlen(r->prefix));
			assert_int_equal(h->effective_from, r->eff);
			assert_int_equal(h->rate, r->rate);
		}
		assert_int_equal(n, want);
	}
	route_snap_release(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_decks),
	};
	return cmocka_run_group_tests_name("route_prefix", tests, NULL, NULL);
}
