/* SPDX-License-Identifier: GPL-2.0-or-later */
/** @file store.c  Opening a store: URL to backend, migration on open,
 *                 error messages, the provisioning generation. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store_int.h"

#define LOG_MOD "store"

int store_err(struct store *st, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->errmsg, sizeof(st->errmsg), fmt, ap);
	va_end(ap);
	return err;
}

const char *store_errmsg(const struct store *st)
{
	return st ? st->errmsg : "";
}

/* "sqlite:PATH", "sqlite://PATH" or a bare path select SQLite. */
static int pick_backend(const char *url, const struct store_backend **bep, const char **target)
{
	if (!strncmp(url, "sqlite://", 9)) {
		*target = url + 9;
	} else if (!strncmp(url, "sqlite:", 7)) {
		*target = url + 7;
	} else if (strstr(url, "://")) {
		return -EPROTONOSUPPORT;   /* postgres:// comes with its backend */
	} else {
		*target = url;
	}
	if (!**target)
		return -EINVAL;
	*bep = &store_sqlite_backend;
	return 0;
}

int store_open(struct store **sp, const char *url)
{
	struct store *st;
	const char *target = NULL;
	int err;

	if (!sp || !url)
		return -EINVAL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->url = strdup(url);
	if (!st->url) {
		err = -ENOMEM;
		goto out;
	}
	err = pick_backend(url, &st->be, &target);
	if (err) {
		LERR("db=%s err=%d msg=\"unsupported database url\"", url, err);
		goto out;
	}
	err = st->be->open(st, target);
	if (err) {
		LERR("db=%s err=%d msg=\"%s\"", url, err, st->errmsg);
		goto out;
	}
	err = store_migrate(st);
	if (err)
		LERR("db=%s err=%d msg=\"migration failed: %s\"", url, err, st->errmsg);
out:
	if (err)
		store_close(st);
	else
		*sp = st;
	return err;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	if (st->be)
		st->be->close(st);
	free(st->url);
	free(st);
}

int store_generation(struct store *st, uint64_t *gen)
{
	struct store_stmt *s = NULL;
	int err;

	store_err_clear(st);
	err = stmt_prepare(st, "SELECT gen FROM prov_generation WHERE id = 1", &s);
	if (err)
		return err;
	err = st->be->step(s);
	if (err == 1) {
		*gen = (uint64_t)st->be->col_i64(s, 0);
		err = 0;
	} else if (err == 0) {
		err = store_err(st, -EIO, "prov_generation row missing");
	}
	st->be->finalize(s);
	return err;
}
