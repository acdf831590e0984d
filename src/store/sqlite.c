/* SPDX-License-Identifier: GPL-2.0-or-later */
/** @file sqlite.c  SQLite backend of the store: WAL, busy timeout, error
 *                  mapping of constraint failures to errno values. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include "store_int.h"

#define LOG_MOD "store"

enum {
	SQLITE_BUSY_MS = 5000,    /* wait this long for another writer */
	SQLITE_CACHE_KIB = 65536, /* page cache per connection */
	SQLITE_BULK_CACHE_KIB = 262144,   /* ... while a bulk load runs */
};

struct store_stmt {
	sqlite3_stmt *stmt;
	struct store *st;         /* borrowed: for errmsg */
};

static sqlite3 *db_of(struct store *st)
{
	return st->be_data;
}

/* Map a failure to the store's errno contract, keeping SQLite's message:
 * for UNIQUE and CHECK it names the column or the constraint
 * ("UNIQUE constraint failed: customers.name"). */
static int map_err(struct store *st, int rc)
{
	sqlite3 *db = db_of(st);
	const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
	int ext = db ? sqlite3_extended_errcode(db) : rc;
	int err;

	switch (ext) {
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		err = -EEXIST;
		break;
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		err = -ENOENT;
		break;
	case SQLITE_CONSTRAINT_CHECK:
	case SQLITE_CONSTRAINT_NOTNULL:
	case SQLITE_MISMATCH:
	case SQLITE_RANGE:
	case SQLITE_TOOBIG:
		err = -EINVAL;
		break;
	default:
		switch (rc & 0xff) {
		case SQLITE_BUSY:
		case SQLITE_LOCKED:
			err = -EBUSY;
			break;
		case SQLITE_NOMEM:
			err = -ENOMEM;
			break;
		case SQLITE_CONSTRAINT:
			err = -EINVAL;
			break;
		case SQLITE_FULL:
			err = -ENOSPC;
			break;
		case SQLITE_READONLY:
		case SQLITE_PERM:
		case SQLITE_AUTH:
			err = -EACCES;
			break;
		case SQLITE_CANTOPEN:
			err = -ENOENT;
			break;
		default:
			err = -EIO;
			break;
		}
	}
	return store_err(st, err, "%s", msg);
}

static int sq_exec(struct store *st, const char *sql)
{
	char *emsg = NULL;
	int rc = sqlite3_exec(db_of(st), sql, NULL, NULL, &emsg);

	sqlite3_free(emsg);
	return rc == SQLITE_OK ? 0 : map_err(st, rc);
}

static int sq_cache(struct store *st, int kib)
{
	char sql[48];

	snprintf(sql, sizeof(sql), "PRAGMA cache_size=-%d", kib);
	return sq_exec(st, sql);
}

/* Create the file's directory when only that last level is missing
 * (var/ of the default var/trunkline.db on a fresh checkout). */
static void mkdir_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];

	if (!slash || slash == path || (size_t)(slash - path) >= sizeof(dir) ||
	    !strcmp(path, ":memory:"))
		return;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	if (mkdir(dir, 0750) == 0)
		LINFO("dir=%s created", dir);
}

static int sq_open(struct store *st, const char *path)
{
	sqlite3 *db = NULL;
	int rc, err;

	mkdir_parent(path);

	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			     SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		err = store_err(st, rc == SQLITE_CANTOPEN ? -ENOENT : -EIO, "open %s: %s", path,
				db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return err;
	}
	st->be_data = db;
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, SQLITE_BUSY_MS);
	/* WAL: readers (snapshot loads, the API) never block the CDR writer
	 * and the other way round. NORMAL is durable across process crashes
	 * in WAL mode; only a power cut may lose the last commits. */
	err = sq_exec(st, "PRAGMA journal_mode=WAL;"
			  "PRAGMA synchronous=NORMAL;"
			  "PRAGMA foreign_keys=ON;"
			  "PRAGMA temp_store=MEMORY;");
	/* 64 MiB of page cache: rate decks of millions of rows are
	 * imported and streamed through B-tree indexes */
	if (!err)
		err = sq_cache(st, SQLITE_CACHE_KIB);
	if (err) {
		sqlite3_close(db);
		st->be_data = NULL;
	}
	return err;
}

static void sq_close(struct store *st)
{
	if (st->be_data)
		sqlite3_close(db_of(st));   /* statements are finalized by their users */
	st->be_data = NULL;
}

static int sq_begin(struct store *st)
{
	/* IMMEDIATE takes the write lock now, so a busy database is waited
	 * for here (busy_timeout) rather than failing at the first write. */
	return sq_exec(st, "BEGIN IMMEDIATE");
}

static int sq_prepare(struct store *st, const char *sql, struct store_stmt **sp)
{
	struct store_stmt *s = calloc(1, sizeof(*s));
	int rc;

	if (!s)
		return -ENOMEM;
	rc = sqlite3_prepare_v3(db_of(st), sql, -1, SQLITE_PREPARE_PERSISTENT, &s->stmt, NULL);
	if (rc != SQLITE_OK) {
		free(s);
		return map_err(st, rc);
	}
	s->st = st;
	*sp = s;
	return 0;
}

static void sq_finalize(struct store_stmt *s)
{
	if (!s)
		return;
	sqlite3_finalize(s->stmt);
	free(s);
}

static void sq_reset(struct store_stmt *s)
{
	sqlite3_reset(s->stmt);
	sqlite3_clear_bindings(s->stmt);
}

static int sq_bind_i64(struct store_stmt *s, int idx, int64_t v)
{
	int rc = sqlite3_bind_int64(s->stmt, idx, v);

	return rc == SQLITE_OK ? 0 : map_err(s->st, rc);
}

static int sq_bind_text(struct store_stmt *s, int idx, const char *v)
{
	int rc = v ? sqlite3_bind_text(s->stmt, idx, v, -1, SQLITE_STATIC)
		   : sqlite3_bind_null(s->stmt, idx);

	return rc == SQLITE_OK ? 0 : map_err(s->st, rc);
}

static int sq_bind_null(struct store_stmt *s, int idx)
{
	int rc = sqlite3_bind_null(s->stmt, idx);

	return rc == SQLITE_OK ? 0 : map_err(s->st, rc);
}

static int sq_bind_double(struct store_stmt *s, int idx, double v)
{
	int rc = sqlite3_bind_double(s->stmt, idx, v);

	return rc == SQLITE_OK ? 0 : map_err(s->st, rc);
}

static int sq_step(struct store_stmt *s)
{
	int rc = sqlite3_step(s->stmt);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	/* map before reset: reset would not change the code, but keep the
	 * statement reusable for the caller's next run */
	int err = map_err(s->st, rc);
	sqlite3_reset(s->stmt);
	return err;
}

static int64_t sq_col_i64(struct store_stmt *s, int i)
{
	return sqlite3_column_int64(s->stmt, i);
}

static const char *sq_col_text(struct store_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s->stmt, i);
}

static bool sq_col_null(struct store_stmt *s, int i)
{
	return sqlite3_column_type(s->stmt, i) == SQLITE_NULL;
}

/* A bulk load's rows and index entries stay in the page cache until the
 * commit instead of spilling to the WAL mid-transaction (a 1,000,000-row
 * deck is ~80 MiB of table and index pages), and the per-row triggers,
 * which only bump the provisioning generation (migrate.c), are off for
 * this connection: the caller bumps it once. Back to normal when off. */
static int sq_bulk(struct store *st, bool on)
{
	int trig = 1;

	sq_cache(st, on ? SQLITE_BULK_CACHE_KIB : SQLITE_CACHE_KIB);
	if (sqlite3_db_config(db_of(st), SQLITE_DBCONFIG_ENABLE_TRIGGER, on ? 0 : 1,
			      &trig) != SQLITE_OK)
		return 0;
	return on && !trig;
}

/* The migrations (migrate.c) know their own backend's DDL. */
extern const struct store_migration store_sqlite_migrations[];

const struct store_backend store_sqlite_backend = {
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.exec = sq_exec,
	.begin = sq_begin,
	.prepare = sq_prepare,
	.finalize = sq_finalize,
	.reset = sq_reset,
	.bind_i64 = sq_bind_i64,
	.bind_text = sq_bind_text,
	.bind_null = sq_bind_null,
	.bind_double = sq_bind_double,
	.step = sq_step,
	.col_i64 = sq_col_i64,
	.col_text = sq_col_text,
	.col_null = sq_col_null,
	.bulk = sq_bulk,
	.migrations = store_sqlite_migrations,
};
