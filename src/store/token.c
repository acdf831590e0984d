/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file token.c  What the REST API needs from the store beyond the
 *                generic CRUD: explicit transactions (a number range is
 *                added all or nothing), API tokens kept as SHA-256 hashes,
 *                and CDR queries with their filters in SQL.
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

/* ------------------------------------------------------------------ */
/* CDR queries                                                          */
/* ------------------------------------------------------------------ */

static enum store_side side_of(const char *s)
{
	if (!s)
		return STORE_SIDE_NONE;
	if (!strcmp(s, "caller"))
		return STORE_SIDE_CALLER;
	if (!strcmp(s, "callee"))
		return STORE_SIDE_CALLEE;
	if (!strcmp(s, "system"))
		return STORE_SIDE_SYSTEM;
	return STORE_SIDE_NONE;
}

int store_cdr_query(struct store *st, const struct store_cdr_filter *f, store_cdr_h *h, void *arg)
{
	const struct store_backend *be;
	struct store_stmt *s = NULL;
	char sql[1024];
	size_t l;
	int err, idx = 1;

	if (!st || !f || !h)
		return -EINVAL;
	be = st->be;
	store_err_clear(st);
	/* Only fixed SQL text is appended; every value is bound below in
	 * the same order. */
	l = (size_t)snprintf(sql, sizeof(sql),
			     "SELECT id, call_id, customer_id, trunk_id, carrier_id, direction, caller,"
			     " dialled, normalised, setup_ms, ring_ms, answer_ms, end_ms, pdd_ms,"
			     " disconnect_side, sip_code, q850_cause, reason, billed_sec, cost,"
			     " price, attempts FROM cdrs WHERE id > ?");
#define COND(c, txt) \
	if (c) \
		l += (size_t)snprintf(sql + l, sizeof(sql) - l, "%s", txt)
	COND(f->from_ms, " AND end_ms >= ?");
	COND(f->to_ms, " AND end_ms < ?");
	COND(f->customer_id, " AND customer_id = ?");
	COND(f->carrier_id, " AND carrier_id = ?");
	COND(f->number, " AND (caller = ? OR dialled = ? OR normalised = ?)");
	COND(f->sip_code, " AND sip_code = ?");
	COND(f->q850_cause, " AND q850_cause = ?");
	COND(f->dir >= 0, " AND direction = ?");
	COND(true, " ORDER BY id");
	COND(f->limit, " LIMIT ?");
#undef COND
	if (l >= sizeof(sql))
		return -EOVERFLOW;
	err = stmt_prepare(st, sql, &s);
	if (err)
		return err;
	err = be->bind_i64(s, idx++, f->after_id);
	if (!err && f->from_ms)
		err = be->bind_i64(s, idx++, f->from_ms);
	if (!err && f->to_ms)
		err = be->bind_i64(s, idx++, f->to_ms);
	if (!err && f->customer_id)
		err = be->bind_i64(s, idx++, f->customer_id);
	if (!err && f->carrier_id)
		err = be->bind_i64(s, idx++, f->carrier_id);
	for (int i = 0; !err && f->number && i < 3; i++)
		err = be->bind_text(s, idx++, f->number);
	if (!err && f->sip_code)
		err = be->bind_i64(s, idx++, f->sip_code);
	if (!err && f->q850_cause)
		err = be->bind_i64(s, idx++, f->q850_cause);
	if (!err && f->dir >= 0)
		err = be->bind_text(s, idx++, f->dir == STORE_DIR_IN ? "in" : "out");
	if (!err && f->limit)
		err = be->bind_i64(s, idx++, f->limit);
	while (!err && (err = be->step(s)) == 1) {
		struct store_cdr c = { 0 };
		const char *dir = be->col_text(s, 5);

		c.id = be->col_i64(s, 0);
		c.call_id = (char *)(uintptr_t)be->col_text(s, 1);
		c.customer_id = be->col_i64(s, 2);
		c.trunk_id = be->col_i64(s, 3);
		c.carrier_id = be->col_i64(s, 4);
		c.dir = dir && !strcmp(dir, "in") ? STORE_DIR_IN : STORE_DIR_OUT;
		c.caller = (char *)(uintptr_t)be->col_text(s, 6);
		c.dialled = (char *)(uintptr_t)be->col_text(s, 7);
		c.normalised = (char *)(uintptr_t)be->col_text(s, 8);
		c.setup_ms = be->col_i64(s, 9);
		c.ring_ms = be->col_i64(s, 10);
		c.answer_ms = be->col_i64(s, 11);
		c.end_ms = be->col_i64(s, 12);
		c.disconnect_side = side_of(be->col_text(s, 14));
		c.sip_code = (int)be->col_i64(s, 15);
		c.q850_cause = (int)be->col_i64(s, 16);
		c.reason = (char *)(uintptr_t)be->col_text(s, 17);
		c.billed_sec = be->col_i64(s, 18);
		c.cost = be->col_i64(s, 19);
		c.price = be->col_i64(s, 20);
		c.attempts_json = (char *)(uintptr_t)be->col_text(s, 21);
		err = h(&c, arg);
	}
	be->finalize(s);
	return err;
}
