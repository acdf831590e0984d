/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file main_int.h  Shared between the trunkline executable's files:
 *                   main.c (daemon), main_db*.c (`trunkline db`),
 *                   main_route.c (`trunkline route`), main_cli.c (helpers).
 */
#ifndef TL_MAIN_INT_H
#define TL_MAIN_INT_H

#include <stdbool.h>
#include <stddef.h>

struct store;

/* Exit status of the executable, daemon and subcommands alike. */
enum {
	EXIT_RUNTIME = 1,          /* could not start, database unreadable, I/O */
	EXIT_USAGE = 2,            /* bad command line, config or value; refused by the data */
};

/** `trunkline db ...`, argv[0] = "db". Returns the exit status. */
int main_db(int argc, char **argv);
/** `trunkline route ...`, argv[0] = "route". Returns the exit status. */
int main_route(int argc, char **argv);

/**
 * The [store] url of a config file (main.c). 0, or EXIT_USAGE with the
 * error ("file:line: what") written to stderr.
 */
int main_conf_store_url(const char *path, char *url, size_t n);

/* ------------------------------------------------------------------ */
/* Subcommand helpers (main_cli.c)                                      */
/* ------------------------------------------------------------------ */

/** One --long option (and optional -x) of a subcommand. */
struct cli_opt {
	const char *name;          /* without "--" */
	char shortc;               /* 0 = none */
	const char **val;          /* takes a value: set to it (borrowed from argv) */
	bool *flag;                /* no value: set to true */
};

/**
 * Parse a subcommand's arguments: options anywhere ("--name value",
 * "--name=value", "-x value"), "--" ends options, the rest are
 * positionals (at most maxpos, into pos). Returns 0, or EXIT_USAGE after
 * printing "trunkline CMD: what" to stderr.
 */
int cli_parse(const char *cmd, int argc, char **argv, const struct cli_opt *opts,
	      char **pos, int *npos, int maxpos);

/** Print "trunkline CMD: what" to stderr and return code. */
int cli_fail(int code, const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/**
 * Open the database for a subcommand: url (--db), else the [store] url
 * of conf (-c FILE), else $TRUNKLINE_DB, else the default. Created and
 * migrated when new. Returns 0 or an exit status (error printed).
 */
int cli_store_open(const char *cmd, const char *url, const char *conf, struct store **stp);

/* ------------------------------------------------------------------ */
/* The REST API in the daemon (main_api.c)                              */
/* ------------------------------------------------------------------ */

#include "api.h"

struct uas;
struct txn_stack;
struct tp;
struct route_state;
struct store_cdr_writer;

/** [api] keys. */
struct main_api_cfg {
	bool enabled;              /* listen = off disables the API */
	struct sa listen;          /* default 127.0.0.1:8080 */
	bool listen_set;           /* listen came from the file (not the default) */
	char tokens[API_TOKENS_MAX][API_SHA256_HEX + 1];   /* token_sha256 */
	unsigned ntokens;
	char web_root[512];        /* web_root: "" = built-in, "off" = none */
	char tls_cert[512], tls_key[512];  /* HTTPS: PEM files, both or neither */
};

/** What /metrics reads from the daemon (borrowed; any may be NULL). */
struct main_api_views {
	struct uas *uas;
	struct txn_stack *txn;
	struct tp *tp;
};

void main_api_cfg_defaults(struct main_api_cfg *c);
/** One [api] key; on error -EINVAL and the message ("bad value ...") in err. */
int main_api_conf(struct main_api_cfg *c, const char *key, const char *val, char *err,
		  size_t n);
/** Start the API when enabled (*ap stays NULL when not). views must outlive it. */
int main_api_start(const struct main_api_cfg *c, const char *store_url,
		   struct store_cdr_writer *cdrw, const struct route_state *live,
		   struct main_api_views *views, struct api **ap);
/** `trunkline api token ...`, argv[0] = "api". Returns the exit status. */
int main_api(int argc, char **argv);

/* ------------------------------------------------------------------ */
/* The media relay in the daemon (main_media.c)                         */
/* ------------------------------------------------------------------ */

#include "media.h"

/** [media] keys. */
struct main_media_cfg {
	bool enabled;              /* enable = yes: relay calls whose trunk/carrier asks */
	struct media_prm prm;      /* ports, workers, rtp_timeout, dscp */
	char bind4[64], bind6[64]; /* "" = that family off */
	char adv4[64], adv6[64];   /* announced in SDP, "" = the bind address */
	bool latch;                /* learn phones' addresses from their packets */
};

void main_media_cfg_defaults(struct main_media_cfg *c);
/** One [media] key; on error -EINVAL and the message in err. */
int main_media_conf(struct main_media_cfg *c, const char *key, const char *val, char *err,
		    size_t n);
/** Checks across keys after the file is read; -EINVAL and the message. */
int main_media_check(const struct main_media_cfg *c, char *err, size_t n);
/** Start the relay when enabled (*mp stays NULL when not). */
int main_media_start(const struct main_media_cfg *c, struct media **mp);

#endif /* TL_MAIN_INT_H */
