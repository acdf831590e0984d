/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file main_int.h  Shared between the trunkline executable's files:
 *                   main.c (daemon), main_db.c (`trunkline db`),
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

#endif /* TL_MAIN_INT_H */
