/* SPDX-License-Identifier: GPL-2.0-or-later */
/** @file test_number.c  Number normalisation, table-driven per country. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "route.h"

struct ncase {
	const char *country;   /* customer's country, NULL = none */
	const char *in;
	const char *want;      /* NULL: refused (484) */
};

static const struct ncase cases[] = {
	/* GB */
	{ "GB", "+442071234567", "+442071234567" },
	{ "GB", "00442071234567", "+442071234567" },
	{ "GB", "02071234567", "+442071234567" },
	{ "GB", "442071234567", "+442071234567" },     /* E.164 without + */
	{ "GB", "07700900123", "+447700900123" },
	{ "GB", "0012125551234", "+12125551234" },
	{ "GB", "0207123", NULL },                     /* too short */
	{ "GB", "020712345678", NULL },                /* too long */
	{ "GB", "+4402071234567", NULL },              /* 0 after country code */
	{ "GB", "+999123456", NULL },                  /* unknown country code */
	{ "GB", "02071234567x", NULL },
	{ "GB", "0207 1234567", NULL },
	{ "GB", "", NULL },
	{ "GB", "+", NULL },
	{ "GB", "0", NULL },
	{ "GB", "00", NULL },
	{ "GB", "+4420712345678901234", NULL },        /* over 15 digits */
	/* NANP */
	{ "US", "2125551234", "+12125551234" },
	{ "US", "12125551234", "+12125551234" },
	{ "US", "+12125551234", "+12125551234" },
	{ "US", "011442071234567", "+442071234567" },
	{ "US", "01133123456789", "+33123456789" },
	{ "CA", "4165551234", "+14165551234" },
	{ "US", "0125551234", NULL },                  /* area code starts with 0 */
	{ "US", "2121551234", NULL },                  /* exchange starts with 1 */
	{ "US", "212555123", NULL },                   /* 9 digits */
	{ "US", "442071234567", NULL },                /* needs 011 or + */
	{ "US", "+1212555123", NULL },
	/* DE */
	{ "DE", "03012345678", "+493012345678" },
	{ "DE", "+493012345678", "+493012345678" },
	{ "DE", "00493012345678", "+493012345678" },
	{ "DE", "015112345678", "+4915112345678" },
	{ "DE", "030", NULL },
	{ "DE", "+49030123456", NULL },
	/* FR */
	{ "FR", "0123456789", "+33123456789" },
	{ "FR", "0612345678", "+33612345678" },
	{ "FR", "+33123456789", "+33123456789" },
	{ "FR", "0033612345678", "+33612345678" },
	{ "FR", "012345678", NULL },
	{ "FR", "01234567890", NULL },
	/* IN */
	{ "IN", "09876543210", "+919876543210" },
	{ "IN", "+919876543210", "+919876543210" },
	{ "IN", "00919876543210", "+919876543210" },
	{ "IN", "0919876543210", NULL },
	{ "IN", "+91987654321", NULL },
	/* no trunk prefix: IT keeps its 0, ES */
	{ "IT", "0612345678", "+390612345678" },
	{ "IT", "+390612345678", "+390612345678" },
	{ "ES", "912345678", "+34912345678" },
	{ "AU", "0011442071234567", "+442071234567" },
	{ "AU", "0212345678", "+61212345678" },
	/* generic rules for a country code without a row */
	{ "GB", "+2348012345678", "+2348012345678" },
	{ "GB", "+234801", NULL },
	/* no home country: only international forms */
	{ NULL, "+442071234567", "+442071234567" },
	{ NULL, "442071234567", "+442071234567" },
	{ NULL, "02071234567", NULL },
};

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct ncase *c = &cases[i];
		const struct route_country *home = c->country ? route_country_find(c->country) : NULL;
		struct pl in = pl_cstr(c->in);
		const char *why = NULL;
		char out[ROUTE_NUM_MAX] = "";
		int r;

		if (c->country)
			assert_non_null(home);
		r = route_normalise(home, &in, out, sizeof(out), NULL, &why);
		if (c->want) {
			if (r) {
				fprintf(stderr, "case %zu %s \"%s\": refused: %s\n", i,
					c->country ? c->country : "-", c->in, why);
			}
			assert_int_equal(r, 0);
			assert_string_equal(out, c->want);
		}
		else {
			if (!r)
				fprintf(stderr, "case %zu \"%s\": accepted as %s\n", i, c->in, out);
			assert_int_not_equal(r, 0);
			assert_non_null(why);
		}
	}
}

static void test_reasons(void **state)
{
	const struct route_country *gb = route_country_find("gb");
	const char *why = NULL;
	char out[ROUTE_NUM_MAX];
	size_t cclen = 0;

	(void)state;
	assert_non_null(gb);
	assert_string_equal(gb->cc, "44");
	assert_null(route_country_find("XX"));
	assert_int_equal(route_normalise(gb, &PL("+999123456"), out, sizeof(out), NULL, &why), -22);
	assert_string_equal(why, "unknown country code");
	assert_int_not_equal(route_normalise(gb, &PL("0207123"), out, sizeof(out), NULL, &why), 0);
	assert_string_equal(why, "number too short for the country");
	assert_int_not_equal(route_normalise(gb, &PL("12a"), out, sizeof(out), NULL, &why), 0);
	assert_string_equal(why, "not a number (non-digit characters)");
	assert_int_equal(route_normalise(gb, &PL("+12125551234"), out, sizeof(out), &cclen, &why), 0);
	assert_int_equal(cclen, 1);
	assert_int_equal(route_normalise(gb, &PL("+353851234567"), out, sizeof(out), &cclen, &why), 0);
	assert_int_equal(cclen, 3);
	/* output buffer too small is a refusal, never an overflow */
	assert_int_not_equal(route_normalise(gb, &PL("+442071234567"), out, 5, NULL, &why), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_reasons),
	};
	return cmocka_run_group_tests_name("route_number", tests, NULL, NULL);
}
