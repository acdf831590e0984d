/* SPDX-License-Identifier: GPL-2.0-or-later */
/** @file test_core.c  Unit tests of src/core: views, memory, hashing,
 *  randomness, addresses. (loop/timer/conf tests live beside, per file.) */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "core.h"

static void test_pl(void **state)
{
	struct pl a = PL("Via"), b = PL("vIA"), t = pl_trim(PL(" \t x y\r\n "));
	uint32_t v;

	(void)state;
	assert_int_equal(pl_casecmp(&a, &b), 0);
	assert_int_not_equal(pl_cmp(&a, &b), 0);
	assert_true(pl_caseeq_str(&a, "via"));
	assert_false(pl_eq_str(&a, "Vi"));
	assert_int_equal(t.l, 3);
	assert_memory_equal(t.p, "x y", 3);
	assert_int_equal(pl_u32(&PL("4294967295"), &v), 0);
	assert_int_equal(v, 4294967295u);
	assert_int_equal(pl_u32(&PL("4294967296"), &v), -ERANGE);
	assert_int_equal(pl_u32(&PL("12a"), &v), -EINVAL);
	assert_int_equal(pl_u32(&PL(""), &v), -EINVAL);
	char buf[4];
	assert_int_equal(pl_strcpy(&PL("abcdef"), buf, sizeof(buf)), -ENOSPC);
	assert_string_equal(buf, "abc");
}

static int destroyed;
static void dtor(void *p) { (void)p; destroyed++; }

static void test_mem(void **state)
{
	size_t before = mem_blocks();
	int *x = mem_zalloc(sizeof(*x), dtor);

	(void)state;
	assert_non_null(x);
	assert_int_equal(*x, 0);
	assert_int_equal(mem_nrefs(x), 1);
	mem_ref(x);
	assert_int_equal(mem_nrefs(x), 2);
	assert_null(mem_deref(x));
	assert_int_equal(destroyed, 0);
	mem_deref(x);
	assert_int_equal(destroyed, 1);
	assert_int_equal(mem_blocks(), before);
}

static void test_siphash(void **state)
{
	/* Reference vector from the SipHash paper (Appendix A): key 00..0f,
	 * message 00..0e, SipHash-2-4 = a129ca6149be45e5 */
	uint8_t key[16], msg[15];

	(void)state;
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 15; i++)
		msg[i] = (uint8_t)i;
	assert_true(hash_siphash24(key, msg, sizeof(msg)) == 0xa129ca6149be45e5ULL);
	assert_true(hash_keyed_ci("Call-ID", 7) == hash_keyed_ci("call-id", 7));
	assert_true(hash_keyed("Call-ID", 7) != hash_keyed("call-id", 7));
}

static void test_rand(void **state)
{
	char a[33], b[33];

	(void)state;
	assert_int_equal(rand_token(a, 32), 0);
	assert_int_equal(rand_token(b, 32), 0);
	assert_int_equal(strlen(a), 32);
	assert_string_not_equal(a, b);
	for (int i = 0; i < 32; i++)
		assert_true((a[i] >= '0' && a[i] <= '9') || (a[i] >= 'a' && a[i] <= 'z') ||
			    (a[i] >= 'A' && a[i] <= 'Z'));
}

static void test_sa(void **state)
{
	struct sa s;
	char buf[SA_FMT_MAX];

	(void)state;
	assert_int_equal(sa_decode(&s, "127.0.0.1:5060", 14), 0);
	assert_int_equal(sa_port(&s), 5060);
	assert_string_equal(sa_fmt(&s, buf, sizeof(buf)), "127.0.0.1:5060");
	assert_int_equal(sa_decode(&s, "[::1]:5061", 10), 0);
	assert_int_equal(sa_af(&s), AF_INET6);
	assert_string_equal(sa_fmt(&s, buf, sizeof(buf)), "[::1]:5061");
	assert_int_equal(sa_decode(&s, "::1", 3), 0);
	assert_int_equal(sa_port(&s), 0);
	assert_int_equal(sa_decode(&s, "1.2.3.4:99999", 13), -EINVAL);
	assert_int_equal(sa_decode(&s, "example.com", 11), -EINVAL);
}

static void test_dec(void **state)
{
	int64_t v;
	char buf[DEC_FMT_MAX];

	(void)state;
	assert_int_equal(dec_parse(&PL("0.0123"), &v), 0);
	assert_true(v == 12300);
	assert_string_equal(dec_fmt(v, buf, sizeof(buf)), "0.0123");
	assert_int_equal(dec_parse(&PL("-1.5"), &v), 0);
	assert_string_equal(dec_fmt(v, buf, sizeof(buf)), "-1.5");
	assert_int_equal(dec_parse(&PL("12"), &v), 0);
	assert_string_equal(dec_fmt(v, buf, sizeof(buf)), "12");
	assert_int_equal(dec_parse(&PL("0.1234560"), &v), 0);
	assert_true(v == 123456);
	assert_int_equal(dec_parse(&PL("0.1234567"), &v), -ERANGE);
	assert_int_equal(dec_parse(&PL("1e3"), &v), -EINVAL);
	assert_int_equal(dec_parse(&PL("."), &v), -EINVAL);
	assert_int_equal(dec_parse(&PL("-"), &v), -EINVAL);
	assert_int_equal(dec_parse(&PL("99999999999999999999"), &v), -ERANGE);
	assert_int_equal(dec_parse(&PL("9223372036854.775807"), &v), 0);
	assert_true(v == INT64_MAX);
	assert_int_equal(dec_parse(&PL("9223372036854.775808"), &v), -ERANGE);
}

static void test_csv(void **state)
{
	char line[] = " 44 , \"0.01\",\"a \"\"b\"\", c\" ,,60/60 ";
	char bad[] = "44,\"open";
	char late[] = "\"x\"y,1";
	char many[] = "a,b,c";
	char *f[6];

	(void)state;
	assert_int_equal(csv_split(line, f, 6), 5);
	assert_string_equal(f[0], "44");
	assert_string_equal(f[1], "0.01");
	assert_string_equal(f[2], "a \"b\", c");
	assert_string_equal(f[3], "");
	assert_string_equal(f[4], "60/60");
	assert_int_equal(csv_split(bad, f, 4), -1);
	assert_int_equal(csv_split(late, f, 4), -1);
	assert_int_equal(csv_split(many, f, 2), 3);
}

static void test_hist(void **state)
{
	static const uint64_t le[] = { 10, 100, 1000 };
	struct hist h;
	uint64_t cum[HIST_MAX + 1], sum, count;

	(void)state;
	hist_init(&h, le, ARRAY_SIZE(le));
	hist_add(&h, 0);        /* <= 10 */
	hist_add(&h, 10);       /* <= 10: bounds are inclusive */
	hist_add(&h, 11);       /* <= 100 */
	hist_add(&h, 5000);     /* +Inf only */
	hist_read(&h, cum, &sum, &count);
	assert_int_equal(cum[0], 2);
	assert_int_equal(cum[1], 3);
	assert_int_equal(cum[2], 3);
	assert_int_equal(cum[3], 4);
	assert_int_equal(count, 4);
	assert_int_equal(sum, 5021);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pl),
		cmocka_unit_test(test_mem),
		cmocka_unit_test(test_siphash),
		cmocka_unit_test(test_rand),
		cmocka_unit_test(test_sa),
		cmocka_unit_test(test_dec),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_hist),
	};
	return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
