/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file trunkctl.h  trunkctl internals: one invocation's context, HTTP
 *                   over libcurl, aligned tables, option parsing and the
 *                   commands. trunkctl speaks only HTTP to the daemon.
 */
#ifndef TRUNKCTL_H
#define TRUNKCTL_H

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <jansson.h>

/* Exit codes: what scripts may rely on (docs/TRUNKCTL.md). */
enum {
	EX_OK = 0,
	EX_SERVER = 1,      /* network error, 5xx, anything unexpected */
	EX_USAGE = 2,       /* bad command line (or 400: bad query values) */
	EX_NOTFOUND = 3,    /* 404, or the server does not support it */
	EX_INVALID = 4,     /* 422 / 409: the problem's errors are printed */
	EX_AUTH = 5,        /* 401 */
};

/* One invocation. */
struct ctl {
	const char *server;        /* base URL without the trailing slash */
	const char *token;
	const char *cacert;        /* CA bundle for https (--cacert), NULL = system's */
	const char *cmd;           /* "customers add": prefix of messages */
	bool json;                 /* --json: raw JSON on stdout */
	bool quiet;
	bool tty_err;              /* stderr is a terminal: progress bars */
	void *curl;
	char *server_buf;
};

/* An HTTP answer held in memory. */
struct resp {
	long status;
	char *body;
	size_t len;
	char ctype[96];
};

void resp_reset(struct resp *r);
/** Parse the body as JSON (NULL and a message when it is not). */
json_t *resp_json(struct ctl *c, const struct resp *r);

/** One request. query is "a=1&b=2" (already escaped) or NULL; body JSON or
 *  NULL. Returns 0 when the server answered (any status) or an exit code. */
int http_req(struct ctl *c, const char *method, const char *path, const char *query,
	     json_t *body, struct resp *r);
/** POST a file (CSV) with a progress bar on a terminal. */
int http_upload(struct ctl *c, const char *path, const char *query, const char *file,
		const char *ctype, struct resp *r);
/** GET streamed to out when the answer is 2xx (else kept in r). */
int http_stream(struct ctl *c, const char *path, const char *query, FILE *out,
		struct resp *r);
/** Escape a query value (caller frees with free()). */
char *http_escape(struct ctl *c, const char *s);

/** Print an error answer (problem document when there is one) and return
 *  the exit code of its status. file: for CSV line/column positions. */
int fail_resp(struct ctl *c, const struct resp *r, const char *file);
/** Exit code of a status (0 for 2xx). */
int status_exit(long status);
/** "trunkctl CMD: message" on stderr, returns code. */
int fail(struct ctl *c, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Query strings built piece by piece. */
struct qbuf {
	char *s;
	size_t len, size;
};
void qb_add(struct ctl *c, struct qbuf *q, const char *key, const char *val);
void qb_reset(struct qbuf *q);

/* Options of one command: --name VALUE, --name=VALUE, flags. */
struct opt {
	const char *name;          /* long name without "--" */
	char shrt;                 /* 0 or a short letter */
	const char **val;          /* takes a value */
	bool *flag;                /* or is a flag */
};
/** Parse argv; positionals go to pos (at most maxpos). Exit code or 0. */
int opt_parse(struct ctl *c, int argc, char **argv, const struct opt *opts, char **pos,
	      int *npos, int maxpos);

/* Aligned tables. */
struct table;
struct table *table_new(int ncols, const char *const *heads);
void table_add(struct table *t, const char *const *cells);
void table_print(struct table *t, FILE *f);
void table_free(struct table *t);
/** A JSON value as a cell: "-" for null, yes/no, numbers, strings. */
const char *cell_str(const json_t *v, char *buf, size_t n);

/* Commands (resources.c, cmds.c). */
int cmd_resource(struct ctl *c, const char *name, int argc, char **argv);
bool is_resource(const char *name);
int cmd_rates(struct ctl *c, int argc, char **argv);
int cmd_numbers_range(struct ctl *c, int argc, char **argv);
int cmd_route(struct ctl *c, int argc, char **argv);
int cmd_calls(struct ctl *c, int argc, char **argv);   /* live.c */
int cmd_stats(struct ctl *c, int argc, char **argv);   /* live.c */
int cmd_cdr(struct ctl *c, int argc, char **argv);
int cmd_health(struct ctl *c, int argc, char **argv);
int cmd_completion(struct ctl *c, int argc, char **argv);
/** Resolve a reference (id, or a name looked up in collection). */
int resolve_ref(struct ctl *c, const char *collection, const char *flag, const char *val,
		long long *id);
/** key=ID of a reference (resolve_ref) added to q; nothing when val is
 *  NULL. 0 or an exit code. */
int qb_add_ref(struct ctl *c, struct qbuf *q, const char *key, const char *collection,
	       const char *flag, const char *val);
/** Fetch every page (or one) of a collection and print it. */
int list_print(struct ctl *c, const char *path, struct qbuf *q, const char *const *cols,
	       int ncols, bool all, const char *limit, const char *cursor);
/** Subcommand and option words for completion. */
void resource_words(FILE *f);

#endif
