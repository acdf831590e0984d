/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file main_db_trunk.c  `trunkline db customer|trunk|trunk-uri ...`: customers,
 *                        trunks and their delivery URIs.
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
/* Customers                                                            */
/* ------------------------------------------------------------------ */

struct cust_opts {
	const char *name, *country, *tariff, *credit, *balance, *channels, *cps;
	bool disabled, enabled;
};

#define CUST_OPTS(o) \
	{ "name", 0, &(o)->name, NULL }, { "country", 0, &(o)->country, NULL }, \
	{ "tariff", 0, &(o)->tariff, NULL }, { "credit-limit", 0, &(o)->credit, NULL }, \
	{ "balance", 0, &(o)->balance, NULL }, { "max-channels", 0, &(o)->channels, NULL }, \
	{ "max-cps", 0, &(o)->cps, NULL }, { "disabled", 0, NULL, &(o)->disabled }, \
	{ "enabled", 0, NULL, &(o)->enabled }

static const char cust_help[] =
	"  --country CC         ISO 3166 country (GB, US, DE...) for national numbers\n"
	"  --tariff T           tariff (name or id): what the customer pays\n"
	"  --credit-limit X     how far the balance may go below 0 (default 0)\n"
	"  --balance X          prepaid balance (default 0)\n"
	"  --max-channels N     concurrent calls, 0 = unlimited (default)\n"
	"  --max-cps N          new calls per second, 0 = unlimited (default)\n"
	"  --disabled, --enabled  refuse or allow its calls (default enabled)\n";

/* The row keeps pointers into argv and to country (upper-cased copy). */
static int cust_apply(struct db *d, const struct cust_opts *o, struct store_customer *c,
		      char country[3])
{
	int err = 0;

	if (o->name)
		c->name = (char *)o->name;
	if (o->country) {
		if (strlen(o->country) != 2 || !isalpha((unsigned char)o->country[0]) ||
		    !isalpha((unsigned char)o->country[1]))
			return bad(d, "--country", o->country, "a 2-letter ISO 3166 code like GB");
		country[0] = (char)toupper((unsigned char)o->country[0]);
		country[1] = (char)toupper((unsigned char)o->country[1]);
		country[2] = 0;
		c->country = country;
	}
	if (o->tariff) {
		struct store_tariff t;

		if (!*o->tariff) {
			c->tariff_id = 0;
		}
		else {
			if ((err = ref_tariff(d, o->tariff, &t)))
				return err;
			c->tariff_id = t.id;
			store_tariff_reset(&t);
		}
	}
	if ((o->credit && (err = money_val(d, "--credit-limit", o->credit, &c->credit_limit))) ||
	    (o->balance && (err = smoney_val(d, "--balance", o->balance, &c->balance))) ||
	    (o->channels && (err = int_val(d, "--max-channels", o->channels, 0, UINT32_MAX,
					   &c->max_channels))) ||
	    (o->cps && (err = int_val(d, "--max-cps", o->cps, 0, UINT32_MAX, &c->max_cps))))
		return err;
	if (o->disabled && o->enabled)
		return cli_fail(EXIT_USAGE, d->cmd, "--disabled and --enabled exclude each other");
	if (o->disabled)
		c->enabled = false;
	if (o->enabled)
		c->enabled = true;
	return 0;
}

int customer_add(struct db *d, int argc, char **argv)
{
	struct cust_opts o = { 0 };
	const struct cli_opt opts[] = { COMMON_OPTS(d), CUST_OPTS(&o), { 0 } };
	struct store_customer c = { .enabled = true };
	char *pos[MAXPOS], cc[3];
	int n, err;

	if ((err = cli_parse(d->cmd, argc, argv, opts, pos, &n, 1)))
		return err;
	if (d->help) {
		printf("Usage: trunkline db customer add NAME [options]\n%s%s", cust_help, common_help);
		return 0;
	}
	if (n != 1)
		return cli_fail(EXIT_USAGE, d->cmd, "expected the customer's NAME (see --help)");
	if ((err = cli_store_open(d->cmd, d->url, d->conf, &d->st)))
		return err;
	o.name = pos[0];
	if ((err = cust_apply(d, &o, &c, cc)))
		return err;
	if ((err = store_customer_add(d->st, &c)))
		return store_fail(d, err, "customer not added");
	added(d, "customer", c.id, c.name);
	return 0;
}

int customer_update(struct db *d, int argc, char **argv)
{
	struct cust_opts o = { 0 };
	const struct cli_opt opts[] = { COMMON_OPTS(d), CUST_OPTS(&o), { 0 } };
	struct store_customer c, orig;
	char *pos[MAXPOS], cc[3];
	int n, err;

	if ((err = cli_parse(d->cmd, argc, argv, opts, pos, &n, 1)))
		return err;
	if (d->help) {
		printf("Usage: trunkline db customer update NAME|ID [options]\n"
		       "Changes only the given fields.\n"
		       "  --name NEW           rename\n%s%s", cust_help, common_help);
		return 0;
	}
	if (n != 1)
		return cli_fail(EXIT_USAGE, d->cmd, "expected the customer's NAME or ID (see --help)");
	if ((err = cli_store_open(d->cmd, d->url, d->conf, &d->st)) ||
	    (err = ref_customer(d, pos[0], &c)))
		return err;
	orig = c;
	if (!(err = cust_apply(d, &o, &c, cc)) && (err = store_customer_update(d->st, &c)))
		err = store_fail(d, err, "customer not updated");
	if (!err && !d->quiet)
		printf("updated customer %lld %s\n", (long long)c.id, c.name);
	store_customer_reset(&orig);
	return err;
}

static int cust_row(const struct store_customer *c, void *arg)
{
	char m1[DEC_FMT_MAX], m2[DEC_FMT_MAX];

	(void)arg;
	printf("%-6lld %-20s %-7s %-7lld %-12s %-12s %-8lld %-7lld %s\n", (long long)c->id,
	       c->name, str_or(c->country, "-"), (long long)c->tariff_id,
	       money(c->credit_limit, m1, sizeof(m1)), money(c->balance, m2, sizeof(m2)),
	       (long long)c->max_channels, (long long)c->max_cps, c->enabled ? "yes" : "no");
	return 0;
}

int customer_list(struct db *d, int argc, char **argv)
{
	const struct cli_opt opts[] = { COMMON_OPTS(d), { 0 } };
	char *pos[MAXPOS];
	int n, err;

	if ((err = cli_parse(d->cmd, argc, argv, opts, pos, &n, 0)))
		return err;
	if (d->help) {
		printf("Usage: trunkline db customer list\n%s", common_help);
		return 0;
	}
	if ((err = cli_store_open(d->cmd, d->url, d->conf, &d->st)))
		return err;
	printf("%-6s %-20s %-7s %-7s %-12s %-12s %-8s %-7s %s\n", "id", "name", "country",
	       "tariff", "credit", "balance", "max_ch", "max_cps", "enabled");
	if ((err = store_foreach_customer(d->st, 0, cust_row, NULL)))
		return store_fail(d, err, "cannot list customers");
	return 0;
}

/* ------------------------------------------------------------------ */
/* Trunks and their delivery URIs                                       */
/* ------------------------------------------------------------------ */

struct trunk_opts {
	const char *name, *customer, *cidr, *username, *password, *realm, *ha1, *tech, *media,
		   *channels, *ha1_sha256;
	bool disabled, enabled, no_cidr, no_auth;
};

#define TRUNK_OPTS(o) \
	{ "name", 0, &(o)->name, NULL }, { "customer", 0, &(o)->customer, NULL }, \
	{ "cidr", 0, &(o)->cidr, NULL }, { "username", 0, &(o)->username, NULL }, \
	{ "password", 0, &(o)->password, NULL }, { "realm", 0, &(o)->realm, NULL }, \
	{ "ha1", 0, &(o)->ha1, NULL }, { "tech-prefix", 0, &(o)->tech, NULL }, \
	{ "media", 0, &(o)->media, NULL }, { "max-channels", 0, &(o)->channels, NULL }, \
	{ "disabled", 0, NULL, &(o)->disabled }, { "enabled", 0, NULL, &(o)->enabled }, \
	{ "no-cidr", 0, NULL, &(o)->no_cidr }, { "no-auth", 0, NULL, &(o)->no_auth }, \
	{ "ha1-sha256", 0, &(o)->ha1_sha256, NULL }

static const char trunk_help[] =
	"  --customer C         owning customer (name or id), required for add\n"
	"  --cidr LIST          source networks allowed without a password,\n"
	"                       comma separated: 192.0.2.10,198.51.100.0/24\n"
	"  --username U         digest user name (then --password or --ha1)\n"
	"  --password P         the password: only the HA1s MD5(user:realm:password)\n"
	"                       and SHA-256(user:realm:password) (RFC 8760) are\n"
	"                       stored, never the password\n"
	"  --realm R            digest realm of the HA1 (default \"trunkline\")\n"
	"  --ha1 HEX            a precomputed MD5 HA1 (32 hex digits) instead of --password\n"
	"  --ha1-sha256 HEX     with --ha1: the SHA-256 HA1 too (64 hex digits)\n"
	"  --tech-prefix DIGITS stripped from the numbers this trunk dials\n"
	"  --media relay|direct media through Trunkline (default relay) or not\n"
	"  --max-channels N     concurrent calls, 0 = the customer's limit (default)\n"
	"  --disabled, --enabled  refuse or allow its calls (default enabled)\n"
	"A trunk needs --cidr, or --username with --password/--ha1, or both.\n";

struct trunk_bufs {
	char cidrs[2048];
	char ha1[SIP_DIGEST_HEX_MAX + 1];
	char ha1_sha256[SIP_DIGEST_HEX_MAX + 1];
};

/* A hex HA1 of n digits, lower-cased into out; -1 when it is not one. */
static int hex_ha1(const char *in, size_t n, char *out)
{
	size_t i;

	for (i = 0; in[i] && i < n; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	out[i] = 0;
	return strlen(in) == n && strspn(out, "0123456789abcdef") == n ? 0 : -1;
}

static int trunk_apply(struct db *d, const struct trunk_opts *o, struct store_trunk *t,
		       struct trunk_bufs *b)
{
	int err;

	if (o->name)
		t->name = (char *)o->name;
	if (o->customer) {
		struct store_customer c;

		if ((err = ref_customer(d, o->customer, &c)))
			return err;
		t->customer_id = c.id;
		store_customer_reset(&c);
	}
	if (o->no_cidr)
		t->cidrs = NULL;
	if (o->cidr) {
		if ((err = cidrs_val(d, o->cidr, b->cidrs, sizeof(b->cidrs))))
			return err;
		t->cidrs = b->cidrs;
	}
	if (o->no_auth) {
		t->username = t->realm = t->ha1 = t->ha1_sha256 = NULL;
	}
	if (o->username) {
		if (!*o->username || strpbrk(o->username, ": \t"))
			return bad(d, "--username", o->username, "a name without ':' or blanks");
		t->username = (char *)o->username;
	}
	if (o->realm)
		t->realm = (char *)o->realm;
	if (!t->realm && t->username)
		t->realm = "trunkline";
	if (o->password && o->ha1)
		return cli_fail(EXIT_USAGE, d->cmd, "--password and --ha1 exclude each other");
	if ((o->password || o->ha1) && !t->username)
		return cli_fail(EXIT_USAGE, d->cmd, "--password and --ha1 need --username");
	if (o->ha1_sha256 && !o->ha1)
		return cli_fail(EXIT_USAGE, d->cmd, "--ha1-sha256 goes with --ha1");
	if (o->password) {
		if (!*o->password)
			return bad(d, "--password", "", "a non-empty password");
		if (hex_digest(SIP_DIGEST_MD5, t->username, t->realm, o->password, b->ha1) ||
		    hex_digest(SIP_DIGEST_SHA256, t->username, t->realm, o->password,
			       b->ha1_sha256))
			return cli_fail(EXIT_RUNTIME, d->cmd, "cannot compute the HA1");
		t->ha1 = b->ha1;
		t->ha1_sha256 = b->ha1_sha256;
	}
	else if (o->ha1) {
		size_t i;

		for (i = 0; o->ha1[i] && i < 32; i++)
			b->ha1[i] = (char)tolower((unsigned char)o->ha1[i]);
		b->ha1[i] = 0;
		if (strlen(o->ha1) != 32 || strspn(b->ha1, "0123456789abcdef") != 32)
			return bad(d, "--ha1", o->ha1, "32 hex digits (MD5 of user:realm:password)");
		t->ha1 = b->ha1;
		/* an old SHA-256 HA1 was over the old password */
		t->ha1_sha256 = NULL;
		if (o->ha1_sha256) {
			if (hex_ha1(o->ha1_sha256, 64, b->ha1_sha256))
				return bad(d, "--ha1-sha256", o->ha1_sha256,
					   "64 hex digits (SHA-256 of user:realm:password)");
			t->ha1_sha256 = b->ha1_sha256;
		}
	}
	else if ((o->username || o->realm) && t->ha1 && (o->username || o->realm)) {
		/* The old HA1 was computed over the old user and realm. */
		return cli_fail(EXIT_USAGE, d->cmd, "changing --username or --realm needs "
				"--password or --ha1 too");
	}
	if (t->username && !t->ha1)
		return cli_fail(EXIT_USAGE, d->cmd, "--username needs --password or --ha1");
	if (o->tech) {
		if (*o->tech && !all_digits(o->tech, 1, 15))
			return bad(d, "--tech-prefix", o->tech, "up to 15 digits");
		t->tech_prefix = *o->tech ? (char *)o->tech : NULL;
	}
	if (o->media) {
		if (strcmp(o->media, "relay") && strcmp(o->media, "direct"))
			return bad(d, "--media", o->media, "relay or direct");
		t->media_mode = (char *)o->media;
	}
	if (o->channels &&
	    (err = int_val(d, "--max-channels", o->channels, 0, UINT32_MAX, &t->max_channels)))
		return err;
	if (o->disabled && o->enabled)
		return cli_fail(EXIT_USAGE, d->cmd, "--disabled and --enabled exclude each other");
	if (o->disabled)
		t->enabled = false;
	if (o->enabled)
		t->enabled = true;
	if (!t->cidrs && !t->username)
		return cli_fail(EXIT_USAGE, d->cmd, "a trunk needs --cidr or --username with "
				"--password (see --help)");
	return 0;
}

int trunk_add(struct db *d, int argc, char **argv)
{
	struct trunk_opts o = { 0 };
	const struct cli_opt opts[] = { COMMON_OPTS(d), TRUNK_OPTS(&o), { 0 } };
	struct store_trunk t = { .enabled = true };
	struct trunk_bufs b;
	char *pos[MAXPOS];
	int n, err;

	if ((err = cli_parse(d->cmd, argc, argv, opts, pos, &n, 1)))
		return err;
	if (d->help) {
		printf("Usage: trunkline db trunk add NAME --customer C [options]\n%s%s",
		       trunk_help, common_help);
		return 0;
	}
	if (n != 1)
		return cli_fail(EXIT_USAGE, d->cmd, "expected the trunk's NAME (see --help)");
	if (!o.customer)
		return cli_fail(EXIT_USAGE, d->cmd, "--customer is required");
	if ((err = cli_store_open(d->cmd, d->url, d->conf, &d->st)))
		return err;
	o.name = pos[0];
	if ((err = trunk_apply(d, &o, &t, &b)))
		return err;
	if ((err = store_trunk_add(d->st, &t)))
		return store_fail(d, err, "trunk not added");
	added(d, "trunk", t.id, t.name);
	return 0;
}

int trunk_update(struct db *d, int argc, char **argv)
{
	struct trunk_opts o = { 0 };
	const struct cli_opt opts[] = { COMMON_OPTS(d), TRUNK_OPTS(&o), { 0 } };
	struct store_trunk t, orig;
	struct trunk_bufs b;
	char *pos[MAXPOS];
	int n, err;

	if ((err = cli_parse(d->cmd, argc, argv, opts, pos, &n, 1)))
		return err;
	if (d->help) {
		printf("Usage: trunkline db trunk update NAME|ID [options]\n"
		       "Changes only the given fields.\n"
		       "  --name NEW           rename\n"
		       "  --no-cidr            remove the source networks\n"
		       "  --no-auth            remove the credentials\n%s%s", trunk_help, common_help);
		return 0;
	}
	if (n != 1)
		return cli_fail(EXIT_USAGE, d->cmd, "expected the trunk's NAME or ID (see --help)");
	if ((err = cli_store_open(d->cmd, d->url, d->conf, &d->st)) ||
	    (err = ref_trunk(d, pos[0], &t)))
		return err;
	orig = t;
	if (!(err = trunk_apply(d, &o, &t, &b)) && (err = store_trunk_update(d->st, &t)))
		err = store_fail(d, err, "trunk not updated");
	if (!err && !d->quiet)
		printf("updated trunk %lld %s\n", (long long)t.id, t.name);
	store_trunk_reset(&orig);
	return err;
}

static int trunk_row(const struct store_trunk *t, void *arg)
{
	(void)arg;
	printf("%-6lld %-20s %-8lld %-32s %-16s %-12s %-8s %-6s %-7lld %s\n", (long long)t->id,
	       t->name, (long long)t->customer_id, str_or(t->cidrs, "-"),
	       str_or(t->username, "-"), str_or(t->realm, "-"), str_or(t->tech_prefix, "-"),
	       str_or(t->media_mode, "relay"), (long long)t->max_channels,
	       t->enabled ? "yes" : "no");
	return 0;
}

int trunk_list(struct db *d, int argc, char **argv)
{
	const char *cust = NULL;
	const struct cli_opt opts[] = { COMMON_OPTS(d), { "customer", 0, &cust, NULL }, { 0 } };
	char *pos[MAXPOS];
	int64_t parent = 0;
	int n, err;

	if ((err = cli_parse(d->cmd, argc, argv, opts, pos, &n, 0)))
		return err;
	if (d->help) {
		printf("Usage: trunkline db trunk list [--customer C]\n%s", common_help);
		return 0;
	}
	if ((err = cli_store_open(d->cmd, d->url, d->conf, &d->st)))
		return err;
	PARENT_FILTER(customer, cust, &parent);
	printf("%-6s %-20s %-8s %-32s %-16s %-12s %-8s %-6s %-7s %s\n", "id", "name", "customer",
	       "cidrs", "username", "realm", "tech_pfx", "media", "max_ch", "enabled");
	if ((err = store_foreach_trunk(d->st, parent, trunk_row, NULL)))
		return store_fail(d, err, "cannot list trunks");
	return 0;
}

int trunk_uri_add(struct db *d, int argc, char **argv)
{
	const char *prio = NULL, *weight = NULL;
	const struct cli_opt opts[] = { COMMON_OPTS(d), { "priority", 0, &prio, NULL },
					{ "weight", 0, &weight, NULL }, { 0 } };
	struct store_trunk_uri u = { .weight = 1 };
	struct store_trunk t;
	char *pos[MAXPOS];
	int n, err;

	if ((err = cli_parse(d->cmd, argc, argv, opts, pos, &n, 2)))
		return err;
	if (d->help) {
		printf("Usage: trunkline db trunk-uri add TRUNK URI [options]\n"
		       "Where calls to the trunk's numbers are delivered (sip: or sips: URI).\n"
		       "  --priority N   lower is tried first (default 0)\n"
		       "  --weight N     share within one priority (default 1)\n%s", common_help);
		return 0;
	}
	if (n != 2)
		return cli_fail(EXIT_USAGE, d->cmd, "expected TRUNK and URI (see --help)");
	if (strncmp(pos[1], "sip:", 4) && strncmp(pos[1], "sips:", 5))
		return bad(d, "URI", pos[1], "a sip: or sips: URI like sip:192.0.2.1:5060");
	if ((prio && (err = int_val(d, "--priority", prio, 0, 65535, &u.priority))) ||
	    (weight && (err = int_val(d, "--weight", weight, 0, 65535, &u.weight))))
		return err;
	if ((err = cli_store_open(d->cmd, d->url, d->conf, &d->st)) ||
	    (err = ref_trunk(d, pos[0], &t)))
		return err;
	u.trunk_id = t.id;
	u.uri = pos[1];
	store_trunk_reset(&t);
	if ((err = store_trunk_uri_add(d->st, &u)))
		return store_fail(d, err, "trunk URI not added");
	added(d, "trunk-uri", u.id, u.uri);
	return 0;
}

static int trunk_uri_row(const struct store_trunk_uri *u, void *arg)
{
	(void)arg;
	printf("%-6lld %-6lld %-8lld %-6lld %s\n", (long long)u->id, (long long)u->trunk_id,
	       (long long)u->priority, (long long)u->weight, u->uri);
	return 0;
}

int trunk_uri_list(struct db *d, int argc, char **argv)
{
	const char *trunk = NULL;
	const struct cli_opt opts[] = { COMMON_OPTS(d), { "trunk", 0, &trunk, NULL }, { 0 } };
	char *pos[MAXPOS];
	int64_t parent = 0;
	int n, err;

	if ((err = cli_parse(d->cmd, argc, argv, opts, pos, &n, 1)))
		return err;
	if (d->help) {
		printf("Usage: trunkline db trunk-uri list [--trunk T | TRUNK]\n%s", common_help);
		return 0;
	}
	if (n)
		trunk = pos[0];
	if ((err = cli_store_open(d->cmd, d->url, d->conf, &d->st)))
		return err;
	PARENT_FILTER(trunk, trunk, &parent);
	printf("%-6s %-6s %-8s %-6s %s\n", "id", "trunk", "priority", "weight", "uri");
	if ((err = store_foreach_trunk_uri(d->st, parent, trunk_uri_row, NULL)))
		return store_fail(d, err, "cannot list trunk URIs");
	return 0;
}
