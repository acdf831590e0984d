/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file store_int.h  Internals shared by the store's files: the backend
 *                    table every SQL database implements, the connection,
 *                    and the column descriptors the generic CRUD runs on.
 *
 * The backend table is deliberately at the level of a SQL driver (prepare,
 * bind, step, column), not of store operations: prov.c and cdr.c write
 * their SQL once, with '?' placeholders and RETURNING, which both SQLite
 * (>= 3.35) and PostgreSQL understand (a PostgreSQL backend rewrites '?'
 * to $n in prepare). Only DDL differs, so each backend brings its own
 * migrations.
 */
#ifndef TL_STORE_INT_H
#define TL_STORE_INT_H

#include "store.h"

struct store_stmt;           /* a backend's prepared statement */

/** One schema step. Applied in version order, each in one transaction,
 *  recorded in schema_version. Never edit a released step: add one. */
struct store_migration {
	int version;
	const char *desc;
	const char *sql;          /* one or more statements, no parameters */
};

struct store_backend {
	const char *name;
	/** Open target (path or conninfo) into st->be_data; session settings. */
	int (*open)(struct store *st, const char *target);
	void (*close)(struct store *st);
	/** Run statements without parameters (DDL, BEGIN). */
	int (*exec)(struct store *st, const char *sql);
	/** Start a write transaction that takes the write lock at once. */
	int (*begin)(struct store *st);
	int (*prepare)(struct store *st, const char *sql, struct store_stmt **sp);
	void (*finalize)(struct store_stmt *s);
	/** Ready for another run; bindings cleared. */
	void (*reset)(struct store_stmt *s);
	/* Parameters are 1-based. Text is borrowed until the next reset. */
	int (*bind_i64)(struct store_stmt *s, int idx, int64_t v);
	int (*bind_text)(struct store_stmt *s, int idx, const char *v);  /* NULL binds NULL */
	int (*bind_null)(struct store_stmt *s, int idx);
	int (*bind_double)(struct store_stmt *s, int idx, double v);  /* REAL columns */
	/** 1 = a row is ready, 0 = done, < 0 = error (st's errmsg set): -EEXIST
	 *  unique, -ENOENT foreign key, -EINVAL check/not null, -EBUSY locked,
	 *  -EIO other. */
	int (*step)(struct store_stmt *s);
	/* Columns are 0-based, valid until the next step/reset. */
	int64_t (*col_i64)(struct store_stmt *s, int i);
	const char *(*col_text)(struct store_stmt *s, int i);  /* NULL for SQL NULL */
	bool (*col_null)(struct store_stmt *s, int i);
	/** Session settings for a bulk load inside the open transaction
	 *  (on), or back to the usual ones (off, after its COMMIT or ROLLBACK).
	 *  Returns 1 when, while on, row triggers do not run, so the caller
	 *  bumps the provisioning generation itself; 0 otherwise. May be
	 *  NULL (nothing changes). */
	int (*bulk)(struct store *st, bool on);
	const struct store_migration *migrations;   /* ends with version 0 */
};

extern const struct store_backend store_sqlite_backend;

enum { STORE_ERRMSG_MAX = 256 };

struct store {
	const struct store_backend *be;   /* borrowed: static table */
	void *be_data;                    /* owned by the backend */
	char *url;                        /* owned: as opened (the CDR writer reopens it) */
	char errmsg[STORE_ERRMSG_MAX];    /* last failure */
};

/** Record why the last call failed; returns err. */
int store_err(struct store *st, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline void store_err_clear(struct store *st) { st->errmsg[0] = '\0'; }

int store_migrate(struct store *st);

/* Thin wrappers: st->be->x(...) */
static inline int stmt_prepare(struct store *st, const char *sql, struct store_stmt **sp)
{ return st->be->prepare(st, sql, sp); }

/* ------------------------------------------------------------------ */
/* Column descriptors (prov.c)                                          */
/* ------------------------------------------------------------------ */

enum fld_type {
	FLD_I64,                  /* int64_t */
	FLD_REF,                  /* int64_t id of ref_table, 0 stored as NULL */
	FLD_TEXT,                 /* char *, NULL stored as NULL */
	FLD_BOOL,                 /* bool, stored 0/1 */
};

struct fld {
	const char *col;
	enum fld_type type;
	size_t off;               /* in the row struct */
	const char *ref_table;    /* FLD_REF: referenced table */
	const char *def;          /* FLD_TEXT: bound when the row leaves it NULL */
};

struct kind {
	const char *name;         /* for messages: "customer" */
	const char *table;
	size_t size;              /* of the row struct; its id is at offset 0 */
	const struct fld *f;      /* columns other than id */
	size_t nf;
	const char *key_col;      /* unique lookup column, or NULL */
	const char *parent_col;   /* foreach filter column, or NULL */
	const char *order;        /* ORDER BY of foreach */
};

#endif /* TL_STORE_INT_H */
