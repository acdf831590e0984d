/* SPDX-License-Identifier: GPL-2.0-or-later */
/** @file test_explain.c  The explain table has the lines operators read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "route/fixture.h"

static bool has_line(const char *text, const char *a, const char *b)
{
	for (const char *l = text; l && *l;) {
		const char *e = strchr(l, '\n');
		size_t n = e ? (size_t)(e - l) : strlen(l);
		char line[512];

		snprintf(line, sizeof(line), "%.*s", (int)n, l);
		if (strstr(line, a) && (!b || strstr(line, b)))
			return true;
		l = e ? e + 1 : NULL;
	}
	return false;
}

static void test_routed(void **state)
{
	struct route_snap *s = NULL;
	struct route_decision d;
	char buf[4096];
	int n;

	(void)state;
	assert_int_equal(fixture_build(&s), 0);
	assert_int_equal(route_decide(s, NULL, 1, &PL("1234#02071234567"), T0 + 10, &d), 0);
	n = route_decision_format(&d, s, buf, sizeof(buf));
	assert_true(n > 0 && (size_t)n < sizeof(buf));
	print_message("%s", buf);
	assert_true(has_line(buf, "customer  1 \"Acme\" (country GB)", NULL));
	assert_true(has_line(buf, "dialled   \"1234#02071234567\"", NULL));
	assert_true(has_line(buf, "number    +442071234567", NULL));
	assert_true(has_line(buf, "tariff    prefix 44: 0.01/min", "one-minute price 0.01"));
	assert_true(has_line(buf, "result    routed, 3 attempts", NULL));
	assert_true(has_line(buf, " 1   Bravo (2)", "21 bravo.example:5061/tls"));
	assert_true(has_line(buf, " 1   Bravo (2)", "lowest cost"));
	assert_true(has_line(buf, " 2   Alpha (1)", "same cost, next priority"));
	assert_true(has_line(buf, " 3   Alpha (1)", "next gateway of the carrier"));
	assert_true(has_line(buf, "Charlie (3)", "cost above price"));
	assert_true(has_line(buf, "Delta (4)", "no gateway"));

	/* cut output: snprintf-like length, always terminated */
	char small[32];
	int m = route_decision_format(&d, s, small, sizeof(small));
	assert_int_equal(m, n);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_int_equal(route_decision_format(&d, s, NULL, 0), n);
	route_snap_release(s);
}

static void test_refused(void **state)
{
	struct route_snap *s = NULL;
	struct route_decision d;
	char buf[4096];

	(void)state;
	assert_int_equal(fixture_build(&s), 0);
	assert_int_equal(route_decide(s, NULL, 1, &PL("0207"), T0, &d), 0);
	route_decision_format(&d, s, buf, sizeof(buf));
	assert_true(has_line(buf, "result    refused 484", "too short"));
	assert_int_equal(route_decide(s, NULL, 1, &PL("+33123456789"), T0 + 10, &d), 0);
	route_decision_format(&d, s, buf, sizeof(buf));
	print_message("%s", buf);
	assert_true(has_line(buf, "result    refused 404", NULL));
	assert_true(has_line(buf, "tariff    none for this destination", NULL));
	assert_true(has_line(buf, "Alpha (1)", "no rate"));
	route_snap_release(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_routed),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests_name("route_explain", tests, NULL, NULL);
}
