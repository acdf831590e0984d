/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file token.c  What the REST API needs from the store beyond the
 *                generic CRUD: explicit transactions (a number range is
 *                added all or nothing) and API tokens kept as SHA-256
 *                hashes. (CDR queries live with the CDRs, in cdr.c.)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "store_int.h"

#define LOG_MOD "store"

/* ------------------------------------------------------------------ */
/* Transactions                                                         */
/* ------------------------------------------------------------------ */

int store_tx_begin(struct store *st)
{
	if (!st)
		return -EINVAL;
	store_err_clear(st);
	return st->be->begin(st);
}

int store_tx_end(struct store *st, bool commit)
{
	char msg[STORE_ERRMSG_MAX];
	int err;

	if (!st)
		return -EINVAL;
	if (commit) {
		err = st->be->exec(st, "COMMIT");
		if (!err)
			return 0;
	}
	else {
		err = 0;
	}
	/* Keep the message of whatever made the caller give up. */
	memcpy(msg, st->errmsg, sizeof(msg));
	st->be->exec(st, "ROLLBACK");
	memcpy(st->errmsg, msg, sizeof(msg));
	return err;
}

/* ------------------------------------------------------------------ */
/* API tokens                                                           */
/* ------------------------------------------------------------------ */

static bool hex64(const char *s)
{
	if (!s || strlen(s) != 64)
		return false;
	return strspn(s, "0123456789abcdef") == 64;
}

int store_api_token_add(struct store *st, struct store_api_token *t)
{
	struct store_stmt *s = NULL;
	int64_t now;
	int err;

	if (!st || !t || !t->name || !*t->name)
		return -EINVAL;
	store_err_clear(st);
	if (!hex64(t->sha256))
		return store_err(st, -EINVAL, "api_tokens.sha256: expected 64 lower-case hex digits");
	now = t->created_ms ? t->created_ms : (int64_t)time(NULL) * 1000;
	err = stmt_prepare(st, "INSERT INTO api_tokens (name, sha256, created_ms) VALUES (?, ?, ?)"
			   " RETURNING id", &s);
	if (err)
		return err;
	err = st->be->bind_text(s, 1, t->name);
	if (!err)
		err = st->be->bind_text(s, 2, t->sha256);
	if (!err)
		err = st->be->bind_i64(s, 3, now);
	if (!err)
		err = st->be->step(s);
	if (err == 1) {
		int64_t id = st->be->col_i64(s, 0);

		while ((err = st->be->step(s)) == 1)
			;
		if (!err) {
			t->id = id;
			t->created_ms = now;
		}
	}
	else if (!err) {
		err = -EIO;
	}
	st->be->finalize(s);
	return err;
}

int store_api_token_del(struct store *st, int64_t id)
{
	struct store_stmt *s = NULL;
	int err, rows = 0;

	if (!st)
		return -EINVAL;
	store_err_clear(st);
	err = stmt_prepare(st, "DELETE FROM api_tokens WHERE id = ? RETURNING id", &s);
	if (err)
		return err;
	err = st->be->bind_i64(s, 1, id);
	while (!err && (err = st->be->step(s)) == 1) {
		rows++;
		err = 0;
	}
	st->be->finalize(s);
	if (!err && !rows)
		err = store_err(st, -ENOENT, "api token %lld not found", (long long)id);
	return err;
}

void store_api_token_reset(struct store_api_token *t)
{
	if (!t)
		return;
	free(t->name);
	free(t->sha256);
	memset(t, 0, sizeof(*t));
}

/* One token by a column (name or sha256); out owns its strings. */
static int token_find(struct store *st, const char *col, const char *val,
		      struct store_api_token *out)
{
	char sql[128];
	struct store_stmt *s = NULL;
	int err;

	if (!st || !val || !out)
		return -EINVAL;
	store_err_clear(st);
	memset(out, 0, sizeof(*out));
	snprintf(sql, sizeof(sql), "SELECT id, name, sha256, created_ms FROM api_tokens WHERE %s = ?",
		 col);
	err = stmt_prepare(st, sql, &s);
	if (err)
		return err;
	err = st->be->bind_text(s, 1, val);
	if (!err)
		err = st->be->step(s);
	if (err == 1) {
		out->id = st->be->col_i64(s, 0);
		out->name = strdup(st->be->col_text(s, 1) ? st->be->col_text(s, 1) : "");
		out->sha256 = strdup(st->be->col_text(s, 2) ? st->be->col_text(s, 2) : "");
		out->created_ms = st->be->col_i64(s, 3);
		err = out->name && out->sha256 ? 0 : -ENOMEM;
		if (err)
			store_api_token_reset(out);
	}
	else if (!err) {
		err = store_err(st, -ENOENT, "api token not found");
	}
	st->be->finalize(s);
	return err;
}

int store_api_token_find(struct store *st, const char *name, struct store_api_token *out)
{
	return token_find(st, "name", name, out);
}

int store_api_token_find_sha256(struct store *st, const char *sha256, struct store_api_token *out)
{
	return token_find(st, "sha256", sha256, out);
}

int store_foreach_api_token(struct store *st, store_api_token_h *h, void *arg)
{
	struct store_stmt *s = NULL;
	int err;

	if (!st || !h)
		return -EINVAL;
	store_err_clear(st);
	err = stmt_prepare(st, "SELECT id, name, sha256, created_ms FROM api_tokens ORDER BY id", &s);
	if (err)
		return err;
	while ((err = st->be->step(s)) == 1) {
		struct store_api_token t = {
			.id = st->be->col_i64(s, 0),
			.name = (char *)(uintptr_t)st->be->col_text(s, 1),
			.sha256 = (char *)(uintptr_t)st->be->col_text(s, 2),
			.created_ms = st->be->col_i64(s, 3),
		};

		err = h(&t, arg);
		if (err)
			break;
	}
	st->be->finalize(s);
	return err;
}
