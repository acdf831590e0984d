/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file main_db.h  Private to `trunkline db` (main_db*.c): one invocation,
 *                  the options every command takes, the value and store
 *                  helpers (main_db.c) and the commands of each kind.
 */
#ifndef TL_MAIN_DB_H
#define TL_MAIN_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "main_int.h"
#include "sip.h"
#include "store.h"

enum { MAXPOS = 4 };

/* One invocation: the command words, the options every command takes and
 * the open database. */
struct db {
	char cmd[64];              /* "db customer add": prefix of error messages */
	const char *url, *conf;    /* --db, -c */
	bool help, quiet;
	struct store *st;
};

#define COMMON_OPTS(d) \
	{ "db", 0, &(d)->url, NULL }, { "config", 'c', &(d)->conf, NULL }, \
	{ "help", 'h', NULL, &(d)->help }, { "quiet", 'q', NULL, &(d)->quiet }

/* The help lines of COMMON_OPTS. */
extern const char common_help[];

/* ------------------------------------------------------------------ */
/* Values (main_db.c)                                                   */
/* ------------------------------------------------------------------ */

/* "bad value 'VAL' for OPT: expected EXPECT"; returns EXIT_USAGE. */
int bad(struct db *d, const char *opt, const char *val, const char *expect);
bool all_digits(const char *s, size_t min, size_t max);
int int_val(struct db *d, const char *opt, const char *s, int64_t min, int64_t max,
	    int64_t *v);
int money_val(struct db *d, const char *opt, const char *s, int64_t *v);
/* Signed: a balance may be negative (credit in use). */
int smoney_val(struct db *d, const char *opt, const char *s, int64_t *v);
/* "60/60", "1/1", "30/6": the first increment, then each next one. */
int inc_parse(const char *s, int64_t *first, int64_t *next);
/* Unix seconds or a UTC date, into Unix milliseconds. */
int date_parse(const char *s, int64_t *ms);
const char *date_fmt(int64_t ms, char *buf, size_t n);
const char *money(int64_t v, char *buf, size_t n);
const char *str_or(const char *s, const char *dflt);
/* A prefix or E.164 number without its leading '+'. */
const char *prefix_norm(const char *s);
/* A CIDR list, written back comma-separated into out. */
int cidrs_val(struct db *d, const char *s, char *out, size_t n);
/* HA1 = H(user:realm:password) in hex. */
int hex_digest(enum sip_digest_alg alg, const char *user, const char *realm,
	       const char *pass, char out[SIP_DIGEST_HEX_MAX + 1]);

/* ------------------------------------------------------------------ */
/* Store results (main_db.c)                                            */
/* ------------------------------------------------------------------ */

/* A store error as an exit status (2 for what the data refuse, else 1). */
int store_fail(struct db *d, int err, const char *what);
/* A row named by id or by its unique key; prints why it is missing. */
int ref_customer(struct db *d, const char *s, struct store_customer *out);
int ref_trunk(struct db *d, const char *s, struct store_trunk *out);
int ref_carrier(struct db *d, const char *s, struct store_carrier *out);
int ref_tariff(struct db *d, const char *s, struct store_tariff *out);
int ref_number(struct db *d, const char *s, struct store_number *out);
int id_of(struct db *d, const char *s, int64_t *id);
/* "added KIND ID NAME", or only the id with --quiet. */
void added(struct db *d, const char *kind, int64_t id, const char *name);

/* An optional --customer/--carrier/--trunk filter of a list. */
#define PARENT_FILTER(K, s, idp)                                         \
	do {                                                             \
		struct store_##K p_;                                     \
		if (s) {                                                 \
			if ((err = ref_##K(d, s, &p_)))                  \
				return err;                              \
			*(idp) = p_.id;                                  \
			store_##K##_reset(&p_);                          \
		}                                                        \
	} while (0)

/* ------------------------------------------------------------------ */
/* Commands: argc/argv after the command words, returns the exit status */
/* ------------------------------------------------------------------ */

/* main_db_trunk.c */
int customer_add(struct db *d, int argc, char **argv);
int customer_update(struct db *d, int argc, char **argv);
int customer_list(struct db *d, int argc, char **argv);
int trunk_add(struct db *d, int argc, char **argv);
int trunk_update(struct db *d, int argc, char **argv);
int trunk_list(struct db *d, int argc, char **argv);
int trunk_uri_add(struct db *d, int argc, char **argv);
int trunk_uri_list(struct db *d, int argc, char **argv);
/* main_db_carrier.c */
int carrier_add(struct db *d, int argc, char **argv);
int carrier_update(struct db *d, int argc, char **argv);
int carrier_list(struct db *d, int argc, char **argv);
int gateway_add(struct db *d, int argc, char **argv);
int gateway_list(struct db *d, int argc, char **argv);
int tariff_add(struct db *d, int argc, char **argv);
int tariff_list(struct db *d, int argc, char **argv);
/* main_db_rate.c */
int rate_add(struct db *d, int argc, char **argv);
int rate_update(struct db *d, int argc, char **argv);
int rate_delete(struct db *d, int argc, char **argv);
int rate_list(struct db *d, int argc, char **argv);
int rate_import(struct db *d, int argc, char **argv);
/* main_db_number.c */
int number_add(struct db *d, int argc, char **argv);
int number_update(struct db *d, int argc, char **argv);
int number_list(struct db *d, int argc, char **argv);

#endif /* TL_MAIN_DB_H */
