/* SPDX-License-Identifier: GPL-2.0-or-later */
/** @file test_openapi.c  The embedded OpenAPI document and the route table
 *                        describe the same methods and paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <ctype.h>
#include <string.h>
#include <cmocka.h>
#include "api_int.h"

static json_t *load_doc(void)
{
	json_error_t e;
	json_t *doc = json_loads(api_openapi_json, 0, &e);

	if (!doc)
		fail_msg("openapi.json: line %d: %s", e.line, e.text);
	return doc;
}

static void lower(const char *in, char *out, size_t n)
{
	size_t i;

	for (i = 0; in[i] && i + 1 < n; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	out[i] = 0;
}

/* Every route of the table is documented. */
static void test_routes_documented(void **state)
{
	json_t *doc = load_doc(), *paths = json_object_get(doc, "paths");
	size_t n;
	const struct api_route *r = api_routes(&n);

	(void)state;
	assert_non_null(paths);
	assert_true(n > 10);
	for (size_t i = 0; i < n; i++) {
		char m[16];
		json_t *p = json_object_get(paths, r[i].path);

		lower(r[i].method, m, sizeof(m));
		if (!p || !json_object_get(p, m))
			fail_msg("route %s %s is not in openapi.json", r[i].method, r[i].path);
		/* Routes served without a token say so in the document. */
		if (r[i].noauth) {
			json_t *sec = json_object_get(json_object_get(p, m), "security");

			assert_true(json_is_array(sec) && !json_array_size(sec));
		}
	}
	json_decref(doc);
}

/* Every documented operation is a route of the table. */
static void test_document_routed(void **state)
{
	static const char *const methods[] = { "get", "post", "put", "patch", "delete", "head",
					       "options" };
	json_t *doc = load_doc(), *paths = json_object_get(doc, "paths"), *p;
	size_t n, ops = 0;
	const struct api_route *r = api_routes(&n);
	const char *path;

	(void)state;
	json_object_foreach(paths, path, p) {
		for (size_t k = 0; k < sizeof(methods) / sizeof(methods[0]); k++) {
			size_t i;

			if (!json_object_get(p, methods[k]))
				continue;
			ops++;
			for (i = 0; i < n; i++) {
				char m[16];

				lower(r[i].method, m, sizeof(m));
				if (!strcmp(r[i].path, path) && !strcmp(m, methods[k]))
					break;
			}
			if (i == n)
				fail_msg("openapi.json documents %s %s, which no route serves",
					 methods[k], path);
		}
	}
	assert_int_equal(ops, n);
	json_decref(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_routes_documented),
		cmocka_unit_test(test_document_routed),
	};

	return cmocka_run_group_tests_name("api_openapi", tests, NULL, NULL);
}
