/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file prov.c  Provisioning CRUD: one generic implementation driven by
 *               column descriptors, typed wrappers per kind, bulk rates.
 *
 * Table and column names in the SQL come only from the static descriptors
 * below; every value is a bound parameter.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store_int.h"

#define LOG_MOD "store"

#define I64(s, c)        { #c, FLD_I64, offsetof(struct s, c), NULL, NULL }
#define REF(s, c, t)     { #c, FLD_REF, offsetof(struct s, c), t, NULL }
#define TXT(s, c)        { #c, FLD_TEXT, offsetof(struct s, c), NULL, NULL }
#define TXTD(s, c, d)    { #c, FLD_TEXT, offsetof(struct s, c), NULL, d }
#define BOOL(s, c)       { #c, FLD_BOOL, offsetof(struct s, c), NULL, NULL }

static const struct fld f_customer[] = {
	TXT(store_customer, name), TXT(store_customer, country),
	REF(store_customer, tariff_id, "tariffs"),
	I64(store_customer, credit_limit), I64(store_customer, balance),
	I64(store_customer, max_channels), I64(store_customer, max_cps),
	BOOL(store_customer, enabled),
};
static const struct fld f_trunk[] = {
	REF(store_trunk, customer_id, "customers"), TXT(store_trunk, name),
	TXT(store_trunk, cidrs), TXT(store_trunk, username), TXT(store_trunk, realm),
	TXT(store_trunk, ha1), TXT(store_trunk, ha1_sha256), TXT(store_trunk, tech_prefix),
	TXTD(store_trunk, media_mode, "relay"), I64(store_trunk, max_channels),
	BOOL(store_trunk, enabled),
};
static const struct fld f_trunk_uri[] = {
	REF(store_trunk_uri, trunk_id, "trunks"), TXT(store_trunk_uri, uri),
	I64(store_trunk_uri, priority), I64(store_trunk_uri, weight),
};
static const struct fld f_carrier[] = {
	TXT(store_carrier, name), TXT(store_carrier, cidrs), I64(store_carrier, priority),
	I64(store_carrier, max_channels), I64(store_carrier, max_cps),
	TXTD(store_carrier, number_format, "e164"),
	I64(store_carrier, strip_digits), TXT(store_carrier, add_prefix),
	BOOL(store_carrier, enabled), TXTD(store_carrier, media_mode, "direct"),
};
static const struct fld f_gateway[] = {
	REF(store_gateway, carrier_id, "carriers"), TXT(store_gateway, host),
	I64(store_gateway, port), TXTD(store_gateway, transport, "udp"),
	I64(store_gateway, priority), I64(store_gateway, weight), BOOL(store_gateway, enabled),
};
static const struct fld f_tariff[] = {
	TXT(store_tariff, name), TXT(store_tariff, currency),
};
static const struct fld f_number[] = {
	TXT(store_number, e164), TXT(store_number, country),
	TXTD(store_number, type, "geographic"),
	REF(store_number, customer_id, "customers"), REF(store_number, trunk_id, "trunks"),
	TXT(store_number, delivery_uri), BOOL(store_number, enabled),
};
/* The owner column's name differs per deck; the rest is shared. */
#define RATE_FIELDS \
	TXT(store_rate, prefix), I64(store_rate, rate), I64(store_rate, connect_fee), \
	I64(store_rate, inc_first), I64(store_rate, inc_next), I64(store_rate, effective_from)
static const struct fld f_rate[] = {
	{ "carrier_id", FLD_REF, offsetof(struct store_rate, owner_id), "carriers", NULL },
	RATE_FIELDS,
};
static const struct fld f_tariff_rate[] = {
	{ "tariff_id", FLD_REF, offsetof(struct store_rate, owner_id), "tariffs", NULL },
	RATE_FIELDS,
};

#define KIND(n, t, s, f, key, parent, order) \
	{ n, t, sizeof(struct s), f, ARRAY_SIZE(f), key, parent, order }

static const struct kind k_customer =
	KIND("customer", "customers", store_customer, f_customer, "name", NULL, "id");
static const struct kind k_trunk =
	KIND("trunk", "trunks", store_trunk, f_trunk, "name", "customer_id", "id");
static const struct kind k_trunk_uri =
	KIND("trunk URI", "trunk_uris", store_trunk_uri, f_trunk_uri, NULL, "trunk_id", "id");
static const struct kind k_carrier =
	KIND("carrier", "carriers", store_carrier, f_carrier, "name", NULL, "id");
static const struct kind k_gateway =
	KIND("gateway", "gateways", store_gateway, f_gateway, NULL, "carrier_id", "id");
static const struct kind k_tariff =
	KIND("tariff", "tariffs", store_tariff, f_tariff, "name", NULL, "id");
static const struct kind k_number =
	KIND("number", "numbers", store_number, f_number, "e164", "customer_id", "id");
static const struct kind k_rate =
	KIND("rate", "rates", store_rate, f_rate, NULL, "carrier_id",
	     "carrier_id, prefix, effective_from");
static const struct kind k_tariff_rate =
	KIND("tariff rate", "tariff_rates", store_rate, f_tariff_rate, NULL, "tariff_id",
	     "tariff_id, prefix, effective_from");

/* Every kind that may reference another: to say who holds a row. */
static const struct kind *const all_kinds[] = {
	&k_customer, &k_trunk, &k_trunk_uri, &k_carrier, &k_gateway,
	&k_tariff, &k_number, &k_rate, &k_tariff_rate,
};

enum { SQL_MAX = 1024 };

static int64_t *fld_i64(const struct fld *f, void *row)
{
	return (int64_t *)((char *)row + f->off);
}

static char **fld_txt(const struct fld *f, void *row)
{
	return (char **)((char *)row + f->off);
}

static bool *fld_bool(const struct fld *f, void *row)
{
	return (bool *)((char *)row + f->off);
}

/* "c1, c2, ..." */
static void col_list(const struct kind *k, char *buf, size_t n)
{
	size_t l = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < k->nf && l < n; i++)
		l += (size_t)snprintf(buf + l, n - l, "%s%s", i ? ", " : "", k->f[i].col);
}

static void insert_sql(const struct kind *k, char *sql, size_t n, bool returning)
{
	char cols[SQL_MAX / 2], qs[SQL_MAX / 4];
	size_t l = 0;

	col_list(k, cols, sizeof(cols));
	for (size_t i = 0; i < k->nf; i++)
		l += (size_t)snprintf(qs + l, sizeof(qs) - l, "%s?", i ? ", " : "");
	snprintf(sql, n, "INSERT INTO %s (%s) VALUES (%s)%s", k->table, cols, qs,
		 returning ? " RETURNING id" : "");
}

static int bind_row(struct store *st, struct store_stmt *s, const struct kind *k,
		    const void *crow, int first)
{
	void *row = (void *)(uintptr_t)crow;   /* only read here */
	int err = 0;

	for (size_t i = 0; i < k->nf && !err; i++) {
		const struct fld *f = &k->f[i];
		int idx = first + (int)i;

		switch (f->type) {
		case FLD_I64:
			err = st->be->bind_i64(s, idx, *fld_i64(f, row));
			break;
		case FLD_REF:
			err = *fld_i64(f, row) ? st->be->bind_i64(s, idx, *fld_i64(f, row))
					       : st->be->bind_null(s, idx);
			break;
		case FLD_TEXT: {
			const char *v = *fld_txt(f, row);

			err = st->be->bind_text(s, idx, v ? v : f->def);
			break;
		}
		case FLD_BOOL:
			err = st->be->bind_i64(s, idx, *fld_bool(f, row) ? 1 : 0);
			break;
		}
	}
	return err;
}

static void row_reset(const struct kind *k, void *row)
{
	if (!row)
		return;
	for (size_t i = 0; i < k->nf; i++)
		if (k->f[i].type == FLD_TEXT)
			free(*fld_txt(&k->f[i], row));
	memset(row, 0, k->size);
}

/* Fill row from columns id, f[0..]. copy: strings become heap copies the
 * row owns; otherwise they borrow the statement's current row. */
static int row_fill(struct store *st, struct store_stmt *s, const struct kind *k, void *row,
		    bool copy)
{
	memset(row, 0, k->size);
	*(int64_t *)row = st->be->col_i64(s, 0);
	for (size_t i = 0; i < k->nf; i++) {
		const struct fld *f = &k->f[i];
		int col = (int)i + 1;

		switch (f->type) {
		case FLD_I64:
		case FLD_REF:
			*fld_i64(f, row) = st->be->col_i64(s, col);   /* NULL reads 0 */
			break;
		case FLD_BOOL:
			*fld_bool(f, row) = st->be->col_i64(s, col) != 0;
			break;
		case FLD_TEXT: {
			const char *v = st->be->col_text(s, col);

			if (v && copy) {
				char *c = strdup(v);

				if (!c) {
					row_reset(k, row);
					return -ENOMEM;
				}
				*fld_txt(f, row) = c;
			} else {
				*fld_txt(f, row) = (char *)(uintptr_t)v;
			}
			break;
		}
		}
	}
	return 0;
}

/* One-shot: does table have a row with this id? */
static int exists(struct store *st, const char *table, int64_t id, bool *yes)
{
	char sql[SQL_MAX];
	struct store_stmt *s = NULL;
	int err;

	snprintf(sql, sizeof(sql), "SELECT 1 FROM %s WHERE id = ?", table);
	err = stmt_prepare(st, sql, &s);
	if (err)
		return err;
	err = st->be->bind_i64(s, 1, id);
	if (!err)
		err = st->be->step(s);
	st->be->finalize(s);
	if (err < 0)
		return err;
	*yes = err == 1;
	return 0;
}

/* A foreign key failed on insert/update: name the reference at fault.
 * SQLite's own message does not say which one. */
static int explain_missing_ref(struct store *st, const struct kind *k, const void *crow)
{
	void *row = (void *)(uintptr_t)crow;

	for (size_t i = 0; i < k->nf; i++) {
		const struct fld *f = &k->f[i];
		int64_t v = *fld_i64(f, row);
		bool yes = true;

		if (f->type != FLD_REF || !v)
			continue;
		if (!exists(st, f->ref_table, v, &yes) && !yes)
			return store_err(st, -ENOENT, "%s.%s: %lld not found in %s", k->table,
					 f->col, (long long)v, f->ref_table);
	}
	return store_err(st, -ENOENT, "%s: a referenced row does not exist", k->table);
}

/* A delete was refused by a foreign key: name who still refers to it. */
static int explain_busy(struct store *st, const struct kind *k, int64_t id)
{
	char sql[SQL_MAX];

	for (size_t j = 0; j < ARRAY_SIZE(all_kinds); j++) {
		const struct kind *o = all_kinds[j];

		for (size_t i = 0; i < o->nf; i++) {
			struct store_stmt *s = NULL;
			int r;

			if (o->f[i].type != FLD_REF || strcmp(o->f[i].ref_table, k->table))
				continue;
			snprintf(sql, sizeof(sql), "SELECT 1 FROM %s WHERE %s = ? LIMIT 1",
				 o->table, o->f[i].col);
			if (stmt_prepare(st, sql, &s))
				continue;
			r = st->be->bind_i64(s, 1, id);
			if (!r)
				r = st->be->step(s);
			st->be->finalize(s);
			if (r == 1)
				return store_err(st, -EBUSY, "%s %lld is still referenced by %s.%s",
						 k->name, (long long)id, o->table, o->f[i].col);
		}
	}
	return store_err(st, -EBUSY, "%s %lld is still referenced", k->name, (long long)id);
}

/* Run s to completion; *rows = rows it returned. */
static int run(struct store *st, struct store_stmt *s, int *rows)
{
	int r;

	*rows = 0;
	while ((r = st->be->step(s)) == 1)
		(*rows)++;
	return r;
}

static int kind_add(struct store *st, const struct kind *k, void *row)
{
	char sql[SQL_MAX];
	struct store_stmt *s = NULL;
	int err;

	if (!st || !row)
		return -EINVAL;
	store_err_clear(st);
	insert_sql(k, sql, sizeof(sql), true);
	err = stmt_prepare(st, sql, &s);
	if (err)
		return err;
	err = bind_row(st, s, k, row, 1);
	if (err)
		goto out;
	err = st->be->step(s);
	if (err == 1) {
		int64_t id = st->be->col_i64(s, 0);

		while ((err = st->be->step(s)) == 1)
			;
		if (!err)
			*(int64_t *)row = id;
	}
	if (err == -ENOENT)
		err = explain_missing_ref(st, k, row);
out:
	st->be->finalize(s);
	return err;
}

static int kind_update(struct store *st, const struct kind *k, const void *row)
{
	char sql[SQL_MAX];
	struct store_stmt *s = NULL;
	size_t l;
	int err, rows = 0;
	int64_t id;

	if (!st || !row)
		return -EINVAL;
	store_err_clear(st);
	id = *(const int64_t *)row;
	l = (size_t)snprintf(sql, sizeof(sql), "UPDATE %s SET ", k->table);
	for (size_t i = 0; i < k->nf; i++)
		l += (size_t)snprintf(sql + l, sizeof(sql) - l, "%s%s = ?", i ? ", " : "",
				      k->f[i].col);
	snprintf(sql + l, sizeof(sql) - l, " WHERE id = ? RETURNING id");
	err = stmt_prepare(st, sql, &s);
	if (err)
		return err;
	err = bind_row(st, s, k, row, 1);
	if (!err)
		err = st->be->bind_i64(s, (int)k->nf + 1, id);
	if (!err)
		err = run(st, s, &rows);
	if (err == -ENOENT)
		err = explain_missing_ref(st, k, row);
	else if (!err && !rows)
		err = store_err(st, -ENOENT, "%s %lld not found", k->name, (long long)id);
	st->be->finalize(s);
	return err;
}

static int kind_del(struct store *st, const struct kind *k, int64_t id)
{
	char sql[SQL_MAX];
	struct store_stmt *s = NULL;
	int err, rows = 0;

	if (!st)
		return -EINVAL;
	store_err_clear(st);
	snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE id = ? RETURNING id", k->table);
	err = stmt_prepare(st, sql, &s);
	if (err)
		return err;
	err = st->be->bind_i64(s, 1, id);
	if (!err)
		err = run(st, s, &rows);
	st->be->finalize(s);
	if (err == -ENOENT)    /* a foreign key: someone still points here */
		return explain_busy(st, k, id);
	if (!err && !rows)
		err = store_err(st, -ENOENT, "%s %lld not found", k->name, (long long)id);
	return err;
}

/* SELECT by id (key == NULL) or by the kind's unique key. */
static int kind_get(struct store *st, const struct kind *k, int64_t id, const char *key,
		    void *out)
{
	char sql[SQL_MAX], cols[SQL_MAX / 2];
	struct store_stmt *s = NULL;
	int err;

	if (!st || !out)
		return -EINVAL;
	store_err_clear(st);
	col_list(k, cols, sizeof(cols));
	snprintf(sql, sizeof(sql), "SELECT id, %s FROM %s WHERE %s = ?", cols, k->table,
		 key ? k->key_col : "id");
	err = stmt_prepare(st, sql, &s);
	if (err)
		return err;
	err = key ? st->be->bind_text(s, 1, key) : st->be->bind_i64(s, 1, id);
	if (!err)
		err = st->be->step(s);
	if (err == 1)
		err = row_fill(st, s, k, out, true);
	else if (err == 0 && key)
		err = store_err(st, -ENOENT, "%s %s not found", k->name, key);
	else if (err == 0)
		err = store_err(st, -ENOENT, "%s %lld not found", k->name, (long long)id);
	st->be->finalize(s);
	return err;
}

typedef int (row_h)(const void *row, void *arg);

/* Rows in the kind's order, or (any_order) in storage order: a plain table
 * scan, for readers that sort for themselves (ordering 1M rates through
 * their index costs seconds of random reads). */
static int kind_foreach_ord(struct store *st, const struct kind *k, int64_t parent, row_h *h,
			    void *arg, bool any_order)
{
	char sql[SQL_MAX], cols[SQL_MAX / 2];
	struct store_stmt *s = NULL;
	bool filter = parent && k->parent_col;
	void *row;
	int err;

	if (!st || !h)
		return -EINVAL;
	store_err_clear(st);
	row = calloc(1, k->size);
	if (!row)
		return -ENOMEM;
	col_list(k, cols, sizeof(cols));
	snprintf(sql, sizeof(sql), "SELECT id, %s FROM %s%s%s%s ORDER BY %s", cols, k->table,
		 filter ? " WHERE " : "", filter ? k->parent_col : "", filter ? " = ?" : "",
		 any_order ? "id" : k->order);
	err = stmt_prepare(st, sql, &s);
	if (err)
		goto out;
	if (filter)
		err = st->be->bind_i64(s, 1, parent);
	/* One row at a time: the table is never loaded whole. */
	while (!err && (err = st->be->step(s)) == 1) {
		err = row_fill(st, s, k, row, false);
		if (!err)
			err = h(row, arg);
	}
out:
	st->be->finalize(s);
	free(row);
	return err;
}

static int kind_foreach(struct store *st, const struct kind *k, int64_t parent, row_h *h,
			void *arg)
{
	return kind_foreach_ord(st, k, parent, h, arg, false);
}

/* Typed entry points for each kind (store.h STORE_KIND_DECL). */
#define KIND_FUNCS(K) \
	int store_##K##_add(struct store *st, struct store_##K *row) \
	{ return kind_add(st, &k_##K, row); } \
	int store_##K##_update(struct store *st, const struct store_##K *row) \
	{ return kind_update(st, &k_##K, row); } \
	int store_##K##_del(struct store *st, int64_t id) \
	{ return kind_del(st, &k_##K, id); } \
	int store_##K##_get(struct store *st, int64_t id, struct store_##K *out) \
	{ return kind_get(st, &k_##K, id, NULL, out); } \
	void store_##K##_reset(struct store_##K *row) \
	{ row_reset(&k_##K, row); } \
	struct K##_walk { store_##K##_h *h; void *arg; }; \
	static int K##_tramp(const void *row, void *arg) \
	{ struct K##_walk *w = arg; return w->h(row, w->arg); } \
	int store_foreach_##K(struct store *st, int64_t parent, store_##K##_h *h, void *arg) \
	{ \
		struct K##_walk w = { h, arg }; \
		return h ? kind_foreach(st, &k_##K, parent, K##_tramp, &w) : -EINVAL; \
	}

KIND_FUNCS(customer)
KIND_FUNCS(trunk)
KIND_FUNCS(trunk_uri)
KIND_FUNCS(carrier)
KIND_FUNCS(gateway)
KIND_FUNCS(tariff)
KIND_FUNCS(number)

int store_customer_find(struct store *st, const char *name, struct store_customer *out)
{
	return name ? kind_get(st, &k_customer, 0, name, out) : -EINVAL;
}

int store_trunk_find(struct store *st, const char *name, struct store_trunk *out)
{
	return name ? kind_get(st, &k_trunk, 0, name, out) : -EINVAL;
}

int store_carrier_find(struct store *st, const char *name, struct store_carrier *out)
{
	return name ? kind_get(st, &k_carrier, 0, name, out) : -EINVAL;
}

int store_tariff_find(struct store *st, const char *name, struct store_tariff *out)
{
	return name ? kind_get(st, &k_tariff, 0, name, out) : -EINVAL;
}

int store_number_find(struct store *st, const char *e164, struct store_number *out)
{
	return e164 ? kind_get(st, &k_number, 0, e164, out) : -EINVAL;
}

int store_customer_balance_add(struct store *st, int64_t id, int64_t delta, int64_t *balance)
{
	struct store_stmt *s = NULL;
	int err;

	if (!st)
		return -EINVAL;
	store_err_clear(st);
	/* one statement: atomic against other connections charging too */
	err = stmt_prepare(st, "UPDATE customers SET balance = balance + ? WHERE id = ?"
			   " RETURNING balance", &s);
	if (err)
		return err;
	err = st->be->bind_i64(s, 1, delta);
	if (!err)
		err = st->be->bind_i64(s, 2, id);
	if (!err)
		err = st->be->step(s);
	if (err == 1) {
		int64_t b = st->be->col_i64(s, 0);

		while ((err = st->be->step(s)) == 1)
			;
		if (!err && balance)
			*balance = b;
	} else if (!err) {
		err = store_err(st, -ENOENT, "customer %lld not found", (long long)id);
	}
	st->be->finalize(s);
	return err;
}

/* ------------------------------------------------------------------ */
/* Rates                                                                */
/* ------------------------------------------------------------------ */

static const struct kind *deck_kind(enum store_deck deck)
{
	switch (deck) {
	case STORE_DECK_CARRIER: return &k_rate;
	case STORE_DECK_TARIFF:  return &k_tariff_rate;
	}
	return NULL;
}

int store_rate_add(struct store *st, enum store_deck deck, struct store_rate *row)
{
	const struct kind *k = deck_kind(deck);

	return k ? kind_add(st, k, row) : -EINVAL;
}

int store_rate_update(struct store *st, enum store_deck deck, const struct store_rate *row)
{
	const struct kind *k = deck_kind(deck);

	return k ? kind_update(st, k, row) : -EINVAL;
}

int store_rate_del(struct store *st, enum store_deck deck, int64_t id)
{
	const struct kind *k = deck_kind(deck);

	return k ? kind_del(st, k, id) : -EINVAL;
}

int store_rate_get(struct store *st, enum store_deck deck, int64_t id, struct store_rate *out)
{
	const struct kind *k = deck_kind(deck);

	return k ? kind_get(st, k, id, NULL, out) : -EINVAL;
}

void store_rate_reset(struct store_rate *row)
{
	row_reset(&k_rate, row);
}

struct rate_walk {
	store_rate_h *h;
	void *arg;
};

static int rate_tramp(const void *row, void *arg)
{
	struct rate_walk *w = arg;

	return w->h(row, w->arg);
}

int store_foreach_rate(struct store *st, enum store_deck deck, int64_t owner_id,
		       store_rate_h *h, void *arg)
{
	const struct kind *k = deck_kind(deck);
	struct rate_walk w = { h, arg };

	if (!k || !h)
		return -EINVAL;
	return kind_foreach(st, k, owner_id, rate_tramp, &w);
}

int store_load_rates(struct store *st, enum store_deck deck, store_rate_h *h, void *arg)
{
	const struct kind *k = deck_kind(deck);
	struct rate_walk w = { h, arg };

	if (!k || !h)
		return -EINVAL;
	return kind_foreach_ord(st, k, 0, rate_tramp, &w, true);
}

struct store_bulk {
	struct store *st;         /* borrowed */
	const struct kind *k;
	struct store_stmt *s;     /* owned: the one INSERT, reused per row */
	bool failed;              /* an add failed: end rolls back */
	bool bump_gen;            /* row triggers are off: end bumps the generation */
	uint64_t rows;
};

/* Leave the backend's bulk-load settings (after COMMIT or ROLLBACK). */
static void bulk_off(struct store_bulk *b)
{
	if (b->st->be->bulk)
		b->st->be->bulk(b->st, false);
}

int store_rate_bulk_begin(struct store *st, enum store_deck deck, struct store_bulk **bp)
{
	char sql[SQL_MAX];
	struct store_bulk *b;
	int err;

	if (!st || !bp || !deck_kind(deck))
		return -EINVAL;
	store_err_clear(st);
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->st = st;
	b->k = deck_kind(deck);
	insert_sql(b->k, sql, sizeof(sql), false);
	err = st->be->begin(st);
	if (err)
		goto out;
	/* before the prepare: the INSERT is compiled with the settings */
	b->bump_gen = st->be->bulk && st->be->bulk(st, true) == 1;
	err = stmt_prepare(st, sql, &b->s);
	if (err) {
		st->be->exec(st, "ROLLBACK");
		bulk_off(b);
	}
out:
	if (err)
		free(b);
	else
		*bp = b;
	return err;
}

int store_rate_bulk_add(struct store_bulk *b, const struct store_rate *row)
{
	struct store *st;
	int err;

	if (!b || !row)
		return -EINVAL;
	st = b->st;
	if (b->failed)
		return -ECANCELED;   /* errmsg keeps the row that failed */
	err = bind_row(st, b->s, b->k, row, 1);
	if (!err)
		err = st->be->step(b->s);
	st->be->reset(b->s);
	if (err == -ENOENT)
		err = explain_missing_ref(st, b->k, row);
	if (err) {
		b->failed = true;
		return err;
	}
	b->rows++;
	return 0;
}

int store_rate_bulk_end(struct store_bulk *b, bool commit)
{
	struct store *st;
	int err = 0;

	if (!b)
		return -EINVAL;
	st = b->st;
	st->be->finalize(b->s);
	if (commit && !b->failed) {
		/* what the row triggers would have done, once for all rows */
		if (b->bump_gen && b->rows)
			err = st->be->exec(st, "UPDATE prov_generation SET gen = gen + 1 WHERE id = 1");
		if (!err)
			err = st->be->exec(st, "COMMIT");
		if (err)
			st->be->exec(st, "ROLLBACK");
		else
			LINFO("table=%s rows=%llu imported", b->k->table, (unsigned long long)b->rows);
	} else {
		char msg[STORE_ERRMSG_MAX];

		/* keep the message of the add that failed */
		memcpy(msg, st->errmsg, sizeof(msg));
		st->be->exec(st, "ROLLBACK");
		memcpy(st->errmsg, msg, sizeof(msg));
		err = b->failed ? -ECANCELED : 0;
	}
	bulk_off(b);
	free(b);
	return err;
}
