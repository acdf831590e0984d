/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file main_db_rate.c  `trunkline db rate ...`: carrier rate decks and tariff
 *                       prices, and their CSV import.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "main_db.h"

/* ------------------------------------------------------------------ */
/* Rates (carrier decks and tariff prices)                              */
/* ------------------------------------------------------------------ */

struct deck_opts {
	const char *carrier, *tariff;
};

#define DECK_OPTS(o) { "carrier", 0, &(o)->carrier, NULL }, { "tariff", 0, &(o)->tariff, NULL }

/* Which deck: exactly one of --carrier / --tariff (unless optional). */
static int deck_of(struct db *d, const struct deck_opts *o, bool optional, enum store_deck *deck,
		   int64_t *owner, char *name, size_t n)
{
	int err;

	*owner = 0;
	*deck = STORE_DECK_CARRIER;
	if (o->carrier && o->tariff)
		return cli_fail(EXIT_USAGE, d->cmd, "give --carrier or --tariff, not both");
	if (!o->carrier && !o->tariff) {
		if (optional)
			return 0;
		return cli_fail(EXIT_USAGE, d->cmd, "which deck? give --carrier C or --tariff T");
	}
	if (o->carrier) {
		struct store_carrier c;

		if ((err = ref_carrier(d, o->carrier, &c)))
			return err;
		*owner = c.id;
		snprintf(name, n, "carrier %s", c.name);
		store_carrier_reset(&c);
	}
	else {
		struct store_tariff t;

		if ((err = ref_tariff(d, o->tariff, &t)))
			return err;
		*owner = t.id;
		*deck = STORE_DECK_TARIFF;
		snprintf(name, n, "tariff %s", t.name);
		store_tariff_reset(&t);
	}
	return 0;
}

struct rate_opts {
	const char *fee, *inc, *from, *rate;
};

#define RATE_OPTS(o) \
	{ "fee", 0, &(o)->fee, NULL }, { "increments", 0, &(o)->inc, NULL }, \
	{ "from", 0, &(o)->from, NULL }

static const char rate_help[] =
	"  --carrier C          a carrier's rate deck (what a call costs), or\n"
	"  --tariff T           a tariff (what the customer pays)\n"
	"  --fee X              connection fee per answered call (default 0)\n"
	"  --increments A/B     billing: first A seconds, then each started B\n"
	"                       seconds (default 60/60; 1/1, 30/6 ...)\n"
	"  --from DATE          effective from (UTC): 2025-01-31, 2025-01-31T12:00:00Z\n"
	"                       or Unix seconds (default: always)\n";

static int rate_apply(struct db *d, const struct rate_opts *o, struct store_rate *r)
{
	int err;

	if ((o->rate && (err = money_val(d, "RATE", o->rate, &r->rate))) ||
	    (o->fee && (err = money_val(d, "--fee", o->fee, &r->connect_fee))))
		return err;
	if (o->inc && inc_parse(o->inc, &r->inc_first, &r->inc_next))
		return bad(d, "--increments", o->inc, "FIRST/NEXT seconds like 60/60 or 1/1");
	if (o->from && date_parse(o->from, &r->effective_from))
		return bad(d, "--from", o->from, "a UTC date like 2025-01-31 or "
			   "2025-01-31T12:00:00Z, or Unix seconds");
	return 0;
}

int rate_add(struct db *d, int argc, char **argv)
{
	struct deck_opts dk = { 0 };
	struct rate_opts ro = { 0 };
	const struct cli_opt opts[] = { COMMON_OPTS(d), DECK_OPTS(&dk), RATE_OPTS(&ro), { 0 } };
	struct store_rate r = { .inc_first = 60, .inc_next = 60 };
	enum store_deck deck;
	char *pos[MAXPOS], name[128];
	int n, err;

	if ((err = cli_parse(d->cmd, argc, argv, opts, pos, &n, 2)))
		return err;
	if (d->help) {
		printf("Usage: trunkline db rate add (--carrier C | --tariff T) PREFIX RATE [options]\n"
		       "RATE is per minute, PREFIX the E.164 digits it applies to (44, 4420).\n%s%s",
		       rate_help, common_help);
		return 0;
	}
	if (n != 2)
		return cli_fail(EXIT_USAGE, d->cmd, "expected PREFIX and RATE (see --help)");
	r.prefix = (char *)prefix_norm(pos[0]);
	if (!all_digits(r.prefix, 1, 15))
		return bad(d, "PREFIX", pos[0], "1 to 15 digits");
	ro.rate = pos[1];
	if ((err = rate_apply(d, &ro, &r)))
		return err;
	if ((err = cli_store_open(d->cmd, d->url, d->conf, &d->st)) ||
	    (err = deck_of(d, &dk, false, &deck, &r.owner_id, name, sizeof(name))))
		return err;
	if ((err = store_rate_add(d->st, deck, &r)))
		return store_fail(d, err, "rate not added");
	if (d->quiet)
		printf("%lld\n", (long long)r.id);
	else
		printf("added rate %lld %s prefix %s\n", (long long)r.id, name, r.prefix);
	return 0;
}

/* Rows of one owner with one prefix (and date when given). */
struct rate_sel {
	const char *prefix;
	bool any_date;
	int64_t from;
	int64_t ids[64];
	size_t n;
};

static int rate_sel_row(const struct store_rate *r, void *arg)
{
	struct rate_sel *s = arg;

	if (strcmp(r->prefix, s->prefix) || (!s->any_date && r->effective_from != s->from))
		return 0;
	if (s->n == ARRAY_SIZE(s->ids))
		return -E2BIG;
	s->ids[s->n++] = r->id;
	return 0;
}

static int rate_select(struct db *d, enum store_deck deck, int64_t owner, struct rate_sel *s,
		       const char *name)
{
	int err = store_foreach_rate(d->st, deck, owner, rate_sel_row, s);

	if (err == -E2BIG)
		return cli_fail(EXIT_USAGE, d->cmd, "prefix %s has more than %zu dated rows; "
				"give --from", s->prefix, ARRAY_SIZE(s->ids));
	if (err)
		return store_fail(d, err, "cannot read rates");
	if (!s->n)
		return cli_fail(EXIT_USAGE, d->cmd, "%s has no rate for prefix %s%s", name,
				s->prefix, s->any_date ? "" : " from that date");
	return 0;
}

int rate_update(struct db *d, int argc, char **argv)
{
	struct deck_opts dk = { 0 };
	struct rate_opts ro = { 0 };
	const char *newfrom = NULL;
	const struct cli_opt opts[] = { COMMON_OPTS(d), DECK_OPTS(&dk), RATE_OPTS(&ro),
					{ "rate", 0, &ro.rate, NULL },
					{ "new-from", 0, &newfrom, NULL }, { 0 } };
	struct rate_sel sel = { .any_date = true };
	struct store_rate r, orig;
	enum store_deck deck;
	int64_t owner;
	char *pos[MAXPOS], name[128];
	int n, err;

	if ((err = cli_parse(d->cmd, argc, argv, opts, pos, &n, 1)))
		return err;
	if (d->help) {
		printf("Usage: trunkline db rate update (--carrier C | --tariff T) PREFIX [options]\n"
		       "Changes only the given fields of the prefix's rate (the one with\n"
		       "--from DATE when the prefix has several dates).\n"
		       "  --rate X             the new rate per minute\n"
		       "  --new-from DATE      move its effective date\n%s%s", rate_help, common_help);
		return 0;
	}
	if (n != 1)
		return cli_fail(EXIT_USAGE, d->cmd, "expected PREFIX (see --help)");
	sel.prefix = prefix_norm(pos[0]);
	if (!all_digits(sel.prefix, 1, 15))
		return bad(d, "PREFIX", pos[0], "1 to 15 digits");
	if (ro.from) {
		if (date_parse(ro.from, &sel.from))
			return bad(d, "--from", ro.from, "a UTC date like 2025-01-31 or Unix seconds");
		sel.any_date = false;
		ro.from = newfrom;
	}
	else {
		ro.from = newfrom;
	}
	if ((err = cli_store_open(d->cmd, d->url, d->conf, &d->st)) ||
	    (err = deck_of(d, &dk, false, &deck, &owner, name, sizeof(name))) ||
	    (err = rate_select(d, deck, owner, &sel, name)))
		return err;
	if (sel.n > 1)
		return cli_fail(EXIT_USAGE, d->cmd, "prefix %s has %zu dated rates: give --from",
				sel.prefix, sel.n);
	if ((err = store_rate_get(d->st, deck, sel.ids[0], &r)))
		return store_fail(d, err, "cannot read rate");
	orig = r;
	if (!(err = rate_apply(d, &ro, &r)) && (err = store_rate_update(d->st, deck, &r)))
		err = store_fail(d, err, "rate not updated");
	if (!err && !d->quiet)
		printf("updated rate %lld %s prefix %s\n", (long long)r.id, name, r.prefix);
	store_rate_reset(&orig);
	return err;
}

int rate_delete(struct db *d, int argc, char **argv)
{
	struct deck_opts dk = { 0 };
	const char *from = NULL;
	const struct cli_opt opts[] = { COMMON_OPTS(d), DECK_OPTS(&dk),
					{ "from", 0, &from, NULL }, { 0 } };
	struct rate_sel sel = { .any_date = true };
	enum store_deck deck;
	int64_t owner;
	char *pos[MAXPOS], name[128];
	int n, err;

	if ((err = cli_parse(d->cmd, argc, argv, opts, pos, &n, 1)))
		return err;
	if (d->help) {
		printf("Usage: trunkline db rate delete (--carrier C | --tariff T) PREFIX [--from DATE]\n"
		       "Deletes the prefix's rates (only the one of DATE with --from).\n%s",
		       common_help);
		return 0;
	}
	if (n != 1)
		return cli_fail(EXIT_USAGE, d->cmd, "expected PREFIX (see --help)");
	sel.prefix = prefix_norm(pos[0]);
	if (!all_digits(sel.prefix, 1, 15))
		return bad(d, "PREFIX", pos[0], "1 to 15 digits");
	if (from) {
		if (date_parse(from, &sel.from))
			return bad(d, "--from", from, "a UTC date like 2025-01-31 or Unix seconds");
		sel.any_date = false;
	}
	if ((err = cli_store_open(d->cmd, d->url, d->conf, &d->st)) ||
	    (err = deck_of(d, &dk, false, &deck, &owner, name, sizeof(name))) ||
	    (err = rate_select(d, deck, owner, &sel, name)))
		return err;
	for (size_t i = 0; i < sel.n; i++) {
		if ((err = store_rate_del(d->st, deck, sel.ids[i])))
			return store_fail(d, err, "rate not deleted");
	}
	if (!d->quiet)
		printf("deleted %zu rate%s of %s prefix %s\n", sel.n, sel.n == 1 ? "" : "s", name,
		       sel.prefix);
	return 0;
}

struct rate_list {
	const char *prefix;        /* filter, NULL = all */
	const char *kind;          /* "carrier" / "tariff" */
};

static int rate_row(const struct store_rate *r, void *arg)
{
	const struct rate_list *l = arg;
	char m1[DEC_FMT_MAX], m2[DEC_FMT_MAX], inc[24], date[32];

	if (l->prefix && strcmp(l->prefix, r->prefix))
		return 0;
	snprintf(inc, sizeof(inc), "%lld/%lld", (long long)r->inc_first, (long long)r->inc_next);
	printf("%-8lld %-7s %-6lld %-15s %-10s %-8s %-7s %s\n", (long long)r->id, l->kind,
	       (long long)r->owner_id, r->prefix, money(r->rate, m1, sizeof(m1)),
	       money(r->connect_fee, m2, sizeof(m2)), inc,
	       date_fmt(r->effective_from, date, sizeof(date)));
	return 0;
}

int rate_list(struct db *d, int argc, char **argv)
{
	struct deck_opts dk = { 0 };
	const char *prefix = NULL;
	const struct cli_opt opts[] = { COMMON_OPTS(d), DECK_OPTS(&dk),
					{ "prefix", 0, &prefix, NULL }, { 0 } };
	struct rate_list l;
	enum store_deck deck;
	int64_t owner;
	char *pos[MAXPOS], name[128];
	int n, err;

	if ((err = cli_parse(d->cmd, argc, argv, opts, pos, &n, 0)))
		return err;
	if (d->help) {
		printf("Usage: trunkline db rate list [--carrier C | --tariff T] [--prefix P]\n"
		       "Without --carrier/--tariff: every carrier's rates, then every tariff's.\n%s",
		       common_help);
		return 0;
	}
	l.prefix = prefix ? prefix_norm(prefix) : NULL;
	if ((err = cli_store_open(d->cmd, d->url, d->conf, &d->st)) ||
	    (err = deck_of(d, &dk, true, &deck, &owner, name, sizeof(name))))
		return err;
	printf("%-8s %-7s %-6s %-15s %-10s %-8s %-7s %s\n", "id", "deck", "owner", "prefix",
	       "rate/min", "fee", "incr", "from");
	for (int i = 0; i < 2; i++) {
		enum store_deck k = i ? STORE_DECK_TARIFF : STORE_DECK_CARRIER;

		if ((dk.carrier || dk.tariff) && k != deck)
			continue;
		l.kind = k == STORE_DECK_TARIFF ? "tariff" : "carrier";
		if ((err = store_foreach_rate(d->st, k, owner, rate_row, &l)))
			return store_fail(d, err, "cannot list rates");
	}
	return 0;
}

/* CSV import. Columns by header line or, without one, in this order. */
enum col { C_PREFIX, C_RATE, C_FEE, C_INC_FIRST, C_INC_NEXT, C_FROM, C_INC, C_N };

static const struct {
	const char *name;
	enum col col;
} col_names[] = {
	{ "prefix", C_PREFIX }, { "rate", C_RATE }, { "price", C_RATE },
	{ "connect_fee", C_FEE }, { "fee", C_FEE }, { "inc_first", C_INC_FIRST },
	{ "inc_next", C_INC_NEXT }, { "increments", C_INC }, { "effective_from", C_FROM },
	{ "from", C_FROM },
};

enum { CSV_FIELDS = 16 };

struct import {
	struct db *d;
	const char *file;
	unsigned line;
	int cols[C_N];             /* field index (0-based) of each column, -1 = absent */
};

static int imp_fail(struct import *im, int col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int imp_fail(struct import *im, int col, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (col >= 0)
		return cli_fail(EXIT_USAGE, im->d->cmd, "%s:%u:%d: %s; nothing imported", im->file,
				im->line, col + 1, msg);
	return cli_fail(EXIT_USAGE, im->d->cmd, "%s:%u: %s; nothing imported", im->file, im->line,
			msg);
}

static int imp_header(struct import *im, char **f, int n)
{
	for (int i = 0; i < C_N; i++)
		im->cols[i] = -1;
	for (int i = 0; i < n; i++) {
		size_t k;

		for (k = 0; k < ARRAY_SIZE(col_names); k++) {
			if (!strcasecmp(f[i], col_names[k].name))
				break;
		}
		if (k == ARRAY_SIZE(col_names))
			return imp_fail(im, i, "unknown column '%s' (known: prefix, rate, "
					"connect_fee, inc_first, inc_next, increments, "
					"effective_from)", f[i]);
		if (im->cols[col_names[k].col] >= 0)
			return imp_fail(im, i, "column '%s' given twice", f[i]);
		im->cols[col_names[k].col] = i;
	}
	if (im->cols[C_PREFIX] < 0 || im->cols[C_RATE] < 0)
		return imp_fail(im, -1, "the header needs the columns prefix and rate");
	if (im->cols[C_INC] >= 0 && (im->cols[C_INC_FIRST] >= 0 || im->cols[C_INC_NEXT] >= 0))
		return imp_fail(im, -1, "give increments or inc_first/inc_next, not both");
	return 0;
}

static bool is_header(char **f, int n)
{
	for (size_t k = 0; n > 0 && k < ARRAY_SIZE(col_names); k++) {
		if (!strcasecmp(f[0], col_names[k].name))
			return true;
	}
	return false;
}

static int imp_row(struct import *im, char **f, int n, struct store_rate *r)
{
	const int *c = im->cols;
	int64_t v;

	for (int i = 0; i < C_N; i++) {
		if (c[i] >= n && c[i] >= 0 && (i == C_PREFIX || i == C_RATE))
			return imp_fail(im, n, "missing column %s (the row has %d field%s)",
					i == C_PREFIX ? "prefix" : "rate", n, n == 1 ? "" : "s");
	}
	r->prefix = (char *)prefix_norm(f[c[C_PREFIX]]);
	if (!all_digits(r->prefix, 1, 15))
		return imp_fail(im, c[C_PREFIX], "bad prefix '%s': expected 1 to 15 digits",
				f[c[C_PREFIX]]);
	if (dec_parse(&(struct pl){ f[c[C_RATE]], strlen(f[c[C_RATE]]) }, &r->rate) || r->rate < 0)
		return imp_fail(im, c[C_RATE], "bad rate '%s': expected an amount >= 0 with at "
				"most 6 decimals, like 0.0125", f[c[C_RATE]]);
	r->connect_fee = 0;
	r->inc_first = r->inc_next = 60;
	r->effective_from = 0;
	if (c[C_FEE] >= 0 && c[C_FEE] < n && *f[c[C_FEE]] &&
	    (dec_parse(&(struct pl){ f[c[C_FEE]], strlen(f[c[C_FEE]]) }, &r->connect_fee) ||
	     r->connect_fee < 0))
		return imp_fail(im, c[C_FEE], "bad connect_fee '%s': expected an amount >= 0",
				f[c[C_FEE]]);
	if (c[C_INC] >= 0 && c[C_INC] < n && *f[c[C_INC]] &&
	    inc_parse(f[c[C_INC]], &r->inc_first, &r->inc_next))
		return imp_fail(im, c[C_INC], "bad increments '%s': expected FIRST/NEXT seconds "
				"like 60/60", f[c[C_INC]]);
	for (int i = C_INC_FIRST; i <= C_INC_NEXT; i++) {
		char *end;

		if (c[i] < 0 || c[i] >= n || !*f[c[i]])
			continue;
		errno = 0;
		v = strtoll(f[c[i]], &end, 10);
		if (errno || *end || v < 1 || v > 65535)
			return imp_fail(im, c[i], "bad %s '%s': expected 1..65535 seconds",
					i == C_INC_FIRST ? "inc_first" : "inc_next", f[c[i]]);
		if (i == C_INC_FIRST)
			r->inc_first = v;
		else
			r->inc_next = v;
	}
	if (c[C_FROM] >= 0 && c[C_FROM] < n && *f[c[C_FROM]] &&
	    date_parse(f[c[C_FROM]], &r->effective_from))
		return imp_fail(im, c[C_FROM], "bad effective_from '%s': expected a UTC date like "
				"2025-01-31 or Unix seconds", f[c[C_FROM]]);
	for (int i = 0; i < n; i++) {
		bool used = false;

		for (int k = 0; k < C_N; k++)
			used |= c[k] == i;
		if (!used && *f[i])
			return imp_fail(im, i, "unexpected field '%s' (%d columns)", f[i], n);
	}
	return 0;
}

/* The store names the constraint; point at the column it is about. */
static int imp_store_col(const struct import *im, const char *msg)
{
	if (strstr(msg, "prefix") || strstr(msg, "UNIQUE"))
		return im->cols[C_PREFIX];
	if (strstr(msg, "connect_fee"))
		return im->cols[C_FEE];
	if (strstr(msg, "inc_first"))
		return im->cols[C_INC_FIRST] >= 0 ? im->cols[C_INC_FIRST] : im->cols[C_INC];
	if (strstr(msg, "inc_next"))
		return im->cols[C_INC_NEXT] >= 0 ? im->cols[C_INC_NEXT] : im->cols[C_INC];
	if (strstr(msg, "rate"))
		return im->cols[C_RATE];
	if (strstr(msg, "effective_from"))
		return im->cols[C_FROM];
	return -1;
}

int rate_import(struct db *d, int argc, char **argv)
{
	struct deck_opts dk = { 0 };
	const struct cli_opt opts[] = { COMMON_OPTS(d), DECK_OPTS(&dk), { 0 } };
	struct import im = { .d = d, .cols = { 0, 1, 2, 3, 4, 5, -1 } };
	struct store_bulk *b = NULL;
	struct store_rate r = { 0 };
	enum store_deck deck;
	int64_t owner = 0;
	char *pos[MAXPOS], name[128], *line = NULL;
	size_t cap = 0, rows = 0;
	bool first = true;
	FILE *fp;
	int n, err;

	if ((err = cli_parse(d->cmd, argc, argv, opts, pos, &n, 1)))
		return err;
	if (d->help) {
		printf("Usage: trunkline db rate import (--carrier C | --tariff T) FILE\n"
		       "Adds the rates of a CSV file (- = standard input) in one transaction:\n"
		       "a bad row rejects the whole file with its line and column, and\n"
		       "nothing changes. Columns, by an optional header line:\n"
		       "  prefix, rate (or price), connect_fee (or fee), inc_first, inc_next,\n"
		       "  increments (60/60, instead of inc_first/inc_next),\n"
		       "  effective_from (or from: 2025-01-31, ...T12:00:00Z, Unix seconds)\n"
		       "Without a header: prefix,rate[,connect_fee[,inc_first[,inc_next\n"
		       "[,effective_from]]]]. Empty lines and lines starting with # are skipped.\n%s",
		       common_help);
		return 0;
	}
	if (n != 1)
		return cli_fail(EXIT_USAGE, d->cmd, "expected the CSV FILE (see --help)");
	im.file = strcmp(pos[0], "-") ? pos[0] : "stdin";
	fp = strcmp(pos[0], "-") ? fopen(pos[0], "r") : stdin;
	if (!fp)
		return cli_fail(EXIT_RUNTIME, d->cmd, "cannot read %s: %s", pos[0], strerror(errno));
	if ((err = cli_store_open(d->cmd, d->url, d->conf, &d->st)) ||
	    (err = deck_of(d, &dk, false, &deck, &owner, name, sizeof(name))))
		goto out;
	if ((err = store_rate_bulk_begin(d->st, deck, &b))) {
		err = store_fail(d, err, "cannot start the import");
		goto out;
	}
	r.owner_id = owner;
	for (;;) {
		char *f[CSV_FIELDS + 1], *p;
		ssize_t len = getline(&line, &cap, fp);

		if (len < 0)
			break;
		im.line++;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = 0;
		if ((size_t)len != strlen(line)) {
			err = imp_fail(&im, -1, "NUL byte in the line");
			goto out;
		}
		p = line + strspn(line, " \t");
		if (!*p || *p == '#')
			continue;
		n = csv_split(p, f, CSV_FIELDS);
		if (n < 0) {
			err = imp_fail(&im, -1, "unterminated or misplaced quote");
			goto out;
		}
		if (n > CSV_FIELDS) {
			err = imp_fail(&im, CSV_FIELDS, "more than %d fields", CSV_FIELDS);
			goto out;
		}
		if (first && is_header(f, n)) {
			first = false;
			if ((err = imp_header(&im, f, n)))
				goto out;
			continue;
		}
		first = false;
		if ((err = imp_row(&im, f, n, &r)))
			goto out;
		err = store_rate_bulk_add(b, &r);
		if (err) {
			const char *msg = store_errmsg(d->st);

			err = imp_fail(&im, imp_store_col(&im, msg), "%s%s%s",
				       err == -EEXIST ? "duplicate rate (same prefix and date): " : "",
				       msg, "");
			goto out;
		}
		rows++;
	}
	if (ferror(fp)) {
		err = cli_fail(EXIT_RUNTIME, d->cmd, "cannot read %s: %s", im.file, strerror(errno));
		goto out;
	}
	err = store_rate_bulk_end(b, true);
	b = NULL;
	if (err) {
		err = store_fail(d, err, "import not committed, nothing changed");
		goto out;
	}
	if (d->quiet)
		printf("%zu\n", rows);
	else
		printf("imported %zu rate%s into %s\n", rows, rows == 1 ? "" : "s", name);
out:
	if (b)
		store_rate_bulk_end(b, false);
	if (fp != stdin)
		fclose(fp);
	free(line);
	return err;
}
