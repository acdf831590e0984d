/* SPDX-License-Identifier: GPL-2.0-or-later */
/** @file main_cli.c  Argument parsing and database opening shared by the
 *                    trunkline subcommands (db, route). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "main_int.h"
#include "store.h"

int cli_fail(int code, const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "trunkline %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

static const struct cli_opt *opt_find(const struct cli_opt *opts, const char *name,
				      size_t len, char shortc)
{
	for (; opts->name; opts++) {
		if (shortc ? opts->shortc == shortc
			   : (strlen(opts->name) == len && !strncmp(opts->name, name, len)))
			return opts;
	}
	return NULL;
}

int cli_parse(const char *cmd, int argc, char **argv, const struct cli_opt *opts,
	      char **pos, int *npos, int maxpos)
{
	bool opts_done = false;

	*npos = 0;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *eq = NULL, *name;
		const struct cli_opt *o;
		size_t len;

		/* "-" alone and negative numbers ("-5") are values, not options. */
		if (opts_done || a[0] != '-' || !a[1] || (a[1] >= '0' && a[1] <= '9')) {
			if (*npos == maxpos)
				return cli_fail(EXIT_USAGE, cmd, "unexpected argument '%s' "
						"(see --help)", a);
			pos[(*npos)++] = argv[i];
			continue;
		}
		if (!strcmp(a, "--")) {
			opts_done = true;
			continue;
		}
		if (a[1] == '-') {
			name = a + 2;
			eq = strchr(name, '=');
			len = eq ? (size_t)(eq - name) : strlen(name);
			o = opt_find(opts, name, len, 0);
		}
		else {
			if (a[2])
				return cli_fail(EXIT_USAGE, cmd, "unknown option '%s' (see --help)", a);
			name = a + 1;
			len = 1;
			o = opt_find(opts, NULL, 0, a[1]);
		}
		if (!o)
			return cli_fail(EXIT_USAGE, cmd, "unknown option '%s' (see --help)", a);
		if (o->flag) {
			if (eq)
				return cli_fail(EXIT_USAGE, cmd, "option '--%s' takes no value", o->name);
			*o->flag = true;
			continue;
		}
		if (eq) {
			*o->val = eq + 1;
			continue;
		}
		if (i + 1 == argc)
			return cli_fail(EXIT_USAGE, cmd, "option '%s' needs a value", a);
		*o->val = argv[++i];
	}
	return 0;
}

int cli_store_open(const char *cmd, const char *url, const char *conf, struct store **stp)
{
	char buf[4096];
	int err;

	if (!url && conf) {
		err = main_conf_store_url(conf, buf, sizeof(buf));
		if (err)
			return err;
		url = buf;
	}
	if (!url)
		url = getenv("TRUNKLINE_DB");
	if (!url || !*url)
		url = STORE_DEFAULT_URL;
	err = store_open(stp, url);
	if (err)
		return cli_fail(EXIT_RUNTIME, cmd, "cannot open database %s: %s", url,
				err == -EPROTONOSUPPORT ? "unsupported URL scheme" : strerror(-err));
	return 0;
}
