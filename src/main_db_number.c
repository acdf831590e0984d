/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file main_db_number.c  `trunkline db number ...`: numbers (DIDs).
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
/* Numbers                                                              */
/* ------------------------------------------------------------------ */

struct num_opts {
	const char *customer, *trunk, *uri, *country, *type;
	bool disabled, enabled;
};

#define NUM_OPTS(o) \
	{ "customer", 0, &(o)->customer, NULL }, { "trunk", 0, &(o)->trunk, NULL }, \
	{ "uri", 0, &(o)->uri, NULL }, { "country", 0, &(o)->country, NULL }, \
	{ "type", 0, &(o)->type, NULL }, { "disabled", 0, NULL, &(o)->disabled }, \
	{ "enabled", 0, NULL, &(o)->enabled }

static const char num_help[] =
	"  --customer C         the owner (name or id)\n"
	"  --trunk T            deliver calls to this trunk's URIs (name or id)\n"
	"  --uri URI            or to this sip: URI (overrides the trunk)\n"
	"  --country CC         ISO 3166 country of the number\n"
	"  --type T             geographic (default), mobile, tollfree, national, other\n"
	"  --disabled, --enabled  answer 404 for it, or deliver (default enabled)\n"
	"Give an empty value (--trunk '') to remove a trunk or URI.\n";

static int num_apply(struct db *d, const struct num_opts *o, struct store_number *nb,
		     char country[3])
{
	int err;

	if (o->customer) {
		struct store_customer c;

		if ((err = ref_customer(d, o->customer, &c)))
			return err;
		nb->customer_id = c.id;
		store_customer_reset(&c);
	}
	if (o->trunk) {
		struct store_trunk t;

		nb->trunk_id = 0;
		if (*o->trunk) {
			if ((err = ref_trunk(d, o->trunk, &t)))
				return err;
			nb->trunk_id = t.id;
			store_trunk_reset(&t);
		}
	}
	if (o->uri) {
		if (*o->uri && strncmp(o->uri, "sip:", 4) && strncmp(o->uri, "sips:", 5))
			return bad(d, "--uri", o->uri, "a sip: or sips: URI like sip:192.0.2.1:5060");
		nb->delivery_uri = *o->uri ? (char *)o->uri : NULL;
	}
	if (o->country) {
		if (strlen(o->country) != 2 || !isalpha((unsigned char)o->country[0]) ||
		    !isalpha((unsigned char)o->country[1]))
			return bad(d, "--country", o->country, "a 2-letter ISO 3166 code like GB");
		country[0] = (char)toupper((unsigned char)o->country[0]);
		country[1] = (char)toupper((unsigned char)o->country[1]);
		country[2] = 0;
		nb->country = country;
	}
	if (o->type) {
		static const char *const types[] = { "geographic", "mobile", "tollfree", "national",
						     "other" };
		size_t i;

		for (i = 0; i < ARRAY_SIZE(types) && strcmp(types[i], o->type); i++)
			;
		if (i == ARRAY_SIZE(types))
			return bad(d, "--type", o->type, "geographic, mobile, tollfree, national "
				   "or other");
		nb->type = (char *)o->type;
	}
	if (o->disabled && o->enabled)
		return cli_fail(EXIT_USAGE, d->cmd, "--disabled and --enabled exclude each other");
	if (o->disabled)
		nb->enabled = false;
	if (o->enabled)
		nb->enabled = true;
	return 0;
}

int number_add(struct db *d, int argc, char **argv)
{
	struct num_opts o = { 0 };
	const struct cli_opt opts[] = { COMMON_OPTS(d), NUM_OPTS(&o), { 0 } };
	struct store_number nb = { .enabled = true };
	char *pos[MAXPOS], cc[3];
	int n, err;

	if ((err = cli_parse(d->cmd, argc, argv, opts, pos, &n, 1)))
		return err;
	if (d->help) {
		printf("Usage: trunkline db number add E164 --customer C [options]\n"
		       "A DID held for a customer: E.164 digits, with or without '+'.\n%s%s",
		       num_help, common_help);
		return 0;
	}
	if (n != 1)
		return cli_fail(EXIT_USAGE, d->cmd, "expected the number in E.164 (see --help)");
	nb.e164 = (char *)prefix_norm(pos[0]);
	if (!all_digits(nb.e164, 2, 15) || nb.e164[0] == '0')
		return bad(d, "E164", pos[0], "an E.164 number like +442071234567 (2 to 15 digits)");
	if (!o.customer)
		return cli_fail(EXIT_USAGE, d->cmd, "--customer is required");
	if ((err = cli_store_open(d->cmd, d->url, d->conf, &d->st)) ||
	    (err = num_apply(d, &o, &nb, cc)))
		return err;
	if ((err = store_number_add(d->st, &nb)))
		return store_fail(d, err, "number not added");
	added(d, "number", nb.id, nb.e164);
	return 0;
}

int number_update(struct db *d, int argc, char **argv)
{
	struct num_opts o = { 0 };
	const struct cli_opt opts[] = { COMMON_OPTS(d), NUM_OPTS(&o), { 0 } };
	struct store_number nb, orig;
	char *pos[MAXPOS], cc[3];
	int n, err;

	if ((err = cli_parse(d->cmd, argc, argv, opts, pos, &n, 1)))
		return err;
	if (d->help) {
		printf("Usage: trunkline db number update E164|ID [options]\n"
		       "Changes only the given fields.\n%s%s", num_help, common_help);
		return 0;
	}
	if (n != 1)
		return cli_fail(EXIT_USAGE, d->cmd, "expected the number (see --help)");
	if ((err = cli_store_open(d->cmd, d->url, d->conf, &d->st)) ||
	    (err = ref_number(d, pos[0], &nb)))
		return err;
	orig = nb;
	if (!(err = num_apply(d, &o, &nb, cc)) && (err = store_number_update(d->st, &nb)))
		err = store_fail(d, err, "number not updated");
	if (!err && !d->quiet)
		printf("updated number %lld %s\n", (long long)nb.id, nb.e164);
	store_number_reset(&orig);
	return err;
}

static int num_row(const struct store_number *nb, void *arg)
{
	(void)arg;
	printf("%-6lld +%-15s %-7s %-10s %-8lld %-6lld %-28s %s\n", (long long)nb->id, nb->e164,
	       str_or(nb->country, "-"), str_or(nb->type, "geographic"),
	       (long long)nb->customer_id, (long long)nb->trunk_id, str_or(nb->delivery_uri, "-"),
	       nb->enabled ? "yes" : "no");
	return 0;
}

int number_list(struct db *d, int argc, char **argv)
{
	const char *cust = NULL;
	const struct cli_opt opts[] = { COMMON_OPTS(d), { "customer", 0, &cust, NULL }, { 0 } };
	char *pos[MAXPOS];
	int64_t parent = 0;
	int n, err;

	if ((err = cli_parse(d->cmd, argc, argv, opts, pos, &n, 0)))
		return err;
	if (d->help) {
		printf("Usage: trunkline db number list [--customer C]\n%s", common_help);
		return 0;
	}
	if ((err = cli_store_open(d->cmd, d->url, d->conf, &d->st)))
		return err;
	PARENT_FILTER(customer, cust, &parent);
	printf("%-6s %-16s %-7s %-10s %-8s %-6s %-28s %s\n", "id", "number", "country", "type",
	       "customer", "trunk", "uri", "enabled");
	if ((err = store_foreach_number(d->st, parent, num_row, NULL)))
		return store_fail(d, err, "cannot list numbers");
	return 0;
}
