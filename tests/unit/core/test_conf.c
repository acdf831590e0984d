/* SPDX-License-Identifier: GPL-2.0-or-later */
/** @file test_conf.c  Unit tests of the INI parser (conf.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "core.h"

struct kv {
	char out[2048];
	size_t len;
	int fail_on_line;     /* handler returns -ERANGE there */
};

static int collect(const char *section, const char *key, const char *val, unsigned line,
		   void *arg)
{
	struct kv *kv = arg;

	if ((int)line == kv->fail_on_line)
		return -ERANGE;
	kv->len += (size_t)snprintf(kv->out + kv->len, sizeof(kv->out) - kv->len,
				    "%u|%s|%s|%s\n", line, section, key, val);
	return 0;
}

static int parse(const char *txt, struct kv *kv, char *err, size_t errlen)
{
	memset(kv->out, 0, sizeof(kv->out));
	kv->len = 0;
	return conf_parse_buf("t.conf", txt, strlen(txt), collect, kv, err, errlen);
}

static void test_conf_ok(void **state)
{
	struct kv kv = { .fail_on_line = -1 };
	char err[128];
	const char *txt =
		"\xef\xbb\xbf"
		"top = 1\n"
		"# comment\n"
		"; another\n"
		"\n"
		"  [ sip ]  # trailing comment\r\n"
		"listen =  udp:0.0.0.0:5060  \r\n"
		"route=sip:gw.example.com;lr\n"
		"name = \"  spaced # not a comment \"\n"
		"esc = \"a\\\"b\\\\c\"  ; comment\n"
		"empty =\n"
		"inline = value ; comment\n"
		"[db.main]\n"
		"url = sqlite:var/x.db";

	(void)state;
	assert_int_equal(parse(txt, &kv, err, sizeof(err)), 0);
	assert_string_equal(kv.out,
			    "1||top|1\n"
			    "6|sip|listen|udp:0.0.0.0:5060\n"
			    "7|sip|route|sip:gw.example.com;lr\n"
			    "8|sip|name|  spaced # not a comment \n"
			    "9|sip|esc|a\"b\\c\n"
			    "10|sip|empty|\n"
			    "11|sip|inline|value\n"
			    "13|db.main|url|sqlite:var/x.db\n");
	/* NULL handler just validates */
	assert_int_equal(conf_parse_buf("x", "a=b\n", 4, NULL, NULL, err, sizeof(err)), 0);
	assert_int_equal(conf_parse_buf("x", "", 0, collect, &kv, err, sizeof(err)), 0);
}

static void expect_err(const char *txt, const char *want)
{
	struct kv kv = { .fail_on_line = -1 };
	char err[128];

	assert_int_equal(parse(txt, &kv, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, want);
}

static void test_conf_errors(void **state)
{
	(void)state;
	expect_err("a = 1\n[sec\n", "t.conf:2: missing ']' after section name");
	expect_err("[]\n", "t.conf:1: bad section name");
	expect_err("[a b]\n", "t.conf:1: bad section name");
	expect_err("[a] x\n", "t.conf:1: text after section");
	expect_err("\n\njust words\n", "t.conf:3: expected 'key = value'");
	expect_err(" = v\n", "t.conf:1: bad key");
	expect_err("my key = v\n", "t.conf:1: bad key");
	expect_err("k = \"open\n", "t.conf:1: unterminated quoted value");
	expect_err("k = \"a\" b\n", "t.conf:1: text after quoted value");

	char nul[] = "a = 1\nb = x\0y\n";
	struct kv kv = { .fail_on_line = -1 };
	char err[128];
	assert_int_equal(conf_parse_buf("t.conf", nul, sizeof(nul) - 1, collect, &kv, err,
					sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.conf:2: NUL byte in line");

	/* a handler's refusal stops parsing and is returned, with a location */
	kv.fail_on_line = 2;
	assert_int_equal(parse("[s]\nk = v\nz = 1\n", &kv, err, sizeof(err)), -ERANGE);
	assert_non_null(strstr(err, "t.conf:2: s.k: "));
	assert_null(strstr(kv.out, "|z|"));
}

static void test_conf_file(void **state)
{
	char path[] = "/tmp/tl_conf_XXXXXX", err[256];
	struct kv kv = { .fail_on_line = -1 };
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "[x]\nk = v\nbad\n", 14), 14);
	close(fd);
	assert_int_equal(conf_parse_file(path, collect, &kv, err, sizeof(err)), -EINVAL);
	char want[300];
	snprintf(want, sizeof(want), "%s:3: expected 'key = value'", path);
	assert_string_equal(err, want);
	assert_string_equal(kv.out, "2|x|k|v\n");
	unlink(path);
	assert_int_equal(conf_parse_file(path, collect, &kv, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, path));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf_ok),
		cmocka_unit_test(test_conf_errors),
		cmocka_unit_test(test_conf_file),
	};
	return cmocka_run_group_tests_name("conf", tests, NULL, NULL);
}
