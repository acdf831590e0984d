/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file main_db.c  `trunkline db`: provisioning from the command line
 *                  (customers, trunks and their URIs, carriers and their
 *                  gateways, rate decks and tariffs with CSV import,
 *                  numbers, demo data), until the REST API exists.
 *
 * Every command opens the database (created and migrated when new), does
 * one change or one listing, and exits: 0 done, 1 runtime error (the
 * database cannot be opened or written), 2 bad usage or a value that the
 * checks or the data refuse (the message names it). docs/PROVISIONING.md
 * is the user's guide.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "main_int.h"
#include "sip.h"
#include "store.h"

#define LOG_MOD "db"

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

static const char common_help[] =
	"  --db URL          database (default: -c FILE's [store] url, else\n"
	"                    $TRUNKLINE_DB, else sqlite:var/trunkline.db)\n"
	"  -c, --config FILE read [store] url from this configuration file\n"
	"  -q, --quiet       print only the id of what was added\n"
	"  -h, --help        this help\n";

/* ------------------------------------------------------------------ */
/* Values                                                               */
/* ------------------------------------------------------------------ */

static int bad(struct db *d, const char *opt, const char *val, const char *expect)
{
	return cli_fail(EXIT_USAGE, d->cmd, "bad value '%s' for %s: expected %s", val, opt, expect);
}

static bool all_digits(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s);

	if (n < min || n > max)
		return false;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return false;
	}
	return true;
}

static int int_val(struct db *d, const char *opt, const char *s, int64_t min, int64_t max,
		   int64_t *v)
{
	char *end, expect[64];
	long long x;

	snprintf(expect, sizeof(expect), "an integer %lld..%lld", (long long)min, (long long)max);
	if (!s || !*s || isspace((unsigned char)*s))
		return bad(d, opt, s ? s : "", expect);
	errno = 0;
	x = strtoll(s, &end, 10);
	if (errno || *end || x < min || x > max)
		return bad(d, opt, s, expect);
	*v = x;
	return 0;
}

static int money_val(struct db *d, const char *opt, const char *s, int64_t *v)
{
	if (dec_parse(&(struct pl){ s, strlen(s) }, v) || *v < 0)
		return bad(d, opt, s, "an amount >= 0 with at most 6 decimals, like 0.0125");
	return 0;
}

/* Signed: a balance may be negative (credit in use). */
static int smoney_val(struct db *d, const char *opt, const char *s, int64_t *v)
{
	if (dec_parse(&(struct pl){ s, strlen(s) }, v))
		return bad(d, opt, s, "an amount with at most 6 decimals, like -12.5");
	return 0;
}

/* "60/60", "1/1", "30/6": the first increment, then each next one. */
static int inc_parse(const char *s, int64_t *first, int64_t *next)
{
	char *end;
	long a, b;

	errno = 0;
	a = strtol(s, &end, 10);
	if (errno || end == s || *end != '/' || !isdigit((unsigned char)end[1]))
		return -EINVAL;
	b = strtol(end + 1, &end, 10);
	if (errno || *end || a < 1 || b < 1 || a > 65535 || b > 65535)
		return -EINVAL;
	*first = a;
	*next = b;
	return 0;
}

/* Unix seconds, or a UTC date "2025-01-31", "2025-01-31 12:00[:00]",
 * "2025-01-31T12:00:00Z"; into Unix milliseconds. */
static int date_parse(const char *s, int64_t *ms)
{
	struct tm tm;
	const char *e;

	if (all_digits(s, 1, 12)) {
		*ms = strtoll(s, NULL, 10) * 1000;
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	e = strptime(s, "%Y-%m-%d", &tm);
	if (e && (*e == 'T' || *e == ' ')) {
		e = strptime(e + 1, "%H:%M", &tm);
		if (e && *e == ':')
			e = strptime(e + 1, "%S", &tm);
	}
	if (e && *e == 'Z')
		e++;
	if (!e || *e)
		return -EINVAL;
	*ms = (int64_t)timegm(&tm) * 1000;
	return 0;
}

static const char *date_fmt(int64_t ms, char *buf, size_t n)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (!ms)
		return "-";
	gmtime_r(&t, &tm);
	strftime(buf, n, (tm.tm_hour || tm.tm_min || tm.tm_sec) ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%d",
		 &tm);
	return buf;
}

static const char *money(int64_t v, char *buf, size_t n)
{
	return dec_fmt(v, buf, n);
}

static const char *str_or(const char *s, const char *dflt)
{
	return s && *s ? s : dflt;
}

/* "192.0.2.0/24,2001:db8::/32" or single hosts; blanks are dropped, the
 * result is written back comma-separated without them. */
static int cidrs_val(struct db *d, const char *s, char *out, size_t n)
{
	const char *p = s;
	size_t off = 0;

	out[0] = 0;
	while (*p) {
		char item[INET6_ADDRSTRLEN + 8], addr[INET6_ADDRSTRLEN];
		unsigned char bin[16];
		const char *slash;
		size_t len;
		long plen = -1;
		int af;

		p += strspn(p, ", \t");
		len = strcspn(p, ", \t");
		if (!len)
			break;
		if (len >= sizeof(item))
			return bad(d, "--cidr", s, "addresses like 192.0.2.0/24 or 2001:db8::/32, "
				   "comma separated");
		memcpy(item, p, len);
		item[len] = 0;
		p += len;
		slash = strchr(item, '/');
		snprintf(addr, sizeof(addr), "%.*s", slash ? (int)(slash - item) : (int)len, item);
		af = strchr(addr, ':') ? AF_INET6 : AF_INET;
		if (slash) {
			char *end;

			plen = strtol(slash + 1, &end, 10);
			if (*end || end == slash + 1)
				plen = 999;
		}
		if (inet_pton(af, addr, bin) != 1 || plen > (af == AF_INET ? 32 : 128))
			return bad(d, "--cidr", item, "an address or network like 192.0.2.0/24 "
				   "or 2001:db8::/32");
		if (off + len + 2 > n)
			return bad(d, "--cidr", s, "a shorter list");
		off += (size_t)snprintf(out + off, n - off, "%s%s", off ? "," : "", item);
	}
	if (!off)
		return bad(d, "--cidr", s, "at least one address or network");
	return 0;
}

/* HA1 = H(user:realm:password) in hex, by the SIP stack's digest code. */
static int hex_digest(enum sip_digest_alg alg, const char *user, const char *realm,
		      const char *pass, char out[SIP_DIGEST_HEX_MAX + 1])
{
	return sip_digest_ha1(alg, &(struct pl){ user, strlen(user) },
			      &(struct pl){ realm, strlen(realm) },
			      &(struct pl){ pass, strlen(pass) }, out);
}

/* ------------------------------------------------------------------ */
/* Store results                                                        */
/* ------------------------------------------------------------------ */

/* A store error as an exit status: what the data refuse is the user's to
 * fix (2); anything else is the database's (1). */
static int store_fail(struct db *d, int err, const char *what)
{
	const char *msg = store_errmsg(d->st);
	bool data = err == -EEXIST || err == -ENOENT || err == -EBUSY || err == -EINVAL;

	return cli_fail(data ? EXIT_USAGE : EXIT_RUNTIME, d->cmd, "%s%s%s", what,
			*msg ? ": " : "", *msg ? msg : strerror(-err));
}

/* A row named by id or by its unique key; "12" is the row with id 12,
 * else the one named "12". Prints why it is missing. */
#define REF_FN(K, label)                                                           \
static int ref_##K(struct db *d, const char *s, struct store_##K *out)             \
{                                                                                  \
	int err = -ENOENT;                                                         \
	memset(out, 0, sizeof(*out));                                              \
	if (all_digits(s, 1, 18))                                                  \
		err = store_##K##_get(d->st, strtoll(s, NULL, 10), out);           \
	if (err == -ENOENT)                                                        \
		err = store_##K##_find(d->st, s, out);                             \
	if (err == -ENOENT)                                                        \
		return cli_fail(EXIT_USAGE, d->cmd, "no " label " '%s'", s);       \
	if (err)                                                                   \
		return store_fail(d, err, "cannot read " label);                   \
	return 0;                                                                  \
}

REF_FN(customer, "customer")
REF_FN(trunk, "trunk")
REF_FN(carrier, "carrier")
REF_FN(tariff, "tariff")

static int ref_number(struct db *d, const char *s, struct store_number *out)
{
	int err = -ENOENT;

	memset(out, 0, sizeof(*out));
	if (*s == '+')
		s++;
	if (all_digits(s, 1, 15))
		err = store_number_find(d->st, s, out);
	if (err == -ENOENT && all_digits(s, 1, 18))
		err = store_number_get(d->st, strtoll(s, NULL, 10), out);
	if (err == -ENOENT)
		return cli_fail(EXIT_USAGE, d->cmd, "no number '%s'", s);
	if (err)
		return store_fail(d, err, "cannot read number");
	return 0;
}

static int id_of(struct db *d, const char *s, int64_t *id)
{
	return int_val(d, "ID", s, 1, INT64_MAX, id);
}

static void added(struct db *d, const char *kind, int64_t id, const char *name)
{
	if (d->quiet)
		printf("%lld\n", (long long)id);
	else
		printf("added %s %lld%s%s\n", kind, (long long)id, name ? " " : "", name ? name : "");
}

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

static int customer_add(struct db *d, int argc, char **argv)
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

static int customer_update(struct db *d, int argc, char **argv)
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

static int customer_list(struct db *d, int argc, char **argv)
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

static int trunk_add(struct db *d, int argc, char **argv)
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

static int trunk_update(struct db *d, int argc, char **argv)
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

static int trunk_list(struct db *d, int argc, char **argv)
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

static int trunk_uri_add(struct db *d, int argc, char **argv)
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

static int trunk_uri_list(struct db *d, int argc, char **argv)
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

/* ------------------------------------------------------------------ */
/* Carriers and gateways                                                */
/* ------------------------------------------------------------------ */

struct carr_opts {
	const char *name, *cidr, *prio, *channels, *format, *strip, *prefix, *cps;
	bool disabled, enabled, no_cidr;
};

#define CARR_OPTS(o) \
	{ "name", 0, &(o)->name, NULL }, { "cidr", 0, &(o)->cidr, NULL }, \
	{ "priority", 0, &(o)->prio, NULL }, { "max-channels", 0, &(o)->channels, NULL }, \
	{ "format", 0, &(o)->format, NULL }, { "strip", 0, &(o)->strip, NULL }, \
	{ "prefix", 0, &(o)->prefix, NULL }, { "disabled", 0, NULL, &(o)->disabled }, \
	{ "enabled", 0, NULL, &(o)->enabled }, { "no-cidr", 0, NULL, &(o)->no_cidr }, \
	{ "max-cps", 0, &(o)->cps, NULL }

static const char carr_help[] =
	"  --cidr LIST          source networks of its inbound (origination) calls\n"
	"  --priority N         tie-break between equal costs, lower first (default 0)\n"
	"  --max-channels N     concurrent calls both ways, 0 = unlimited (default)\n"
	"  --max-cps N          new calls per second both ways, 0 = unlimited (default)\n"
	"  --format F           called number as it wants it: e164 (442071234567,\n"
	"                       default), +e164 (+442071234567) or 00 (00442071234567)\n"
	"  --strip N            leading digits removed before sending (default 0)\n"
	"  --prefix DIGITS      then prepended (digits, #, *, +)\n"
	"  --disabled, --enabled  do not or do route to it (default enabled)\n";

static int carr_apply(struct db *d, const struct carr_opts *o, struct store_carrier *c,
		      char *cidrs, size_t n)
{
	int err;

	if (o->name)
		c->name = (char *)o->name;
	if (o->no_cidr)
		c->cidrs = NULL;
	if (o->cidr) {
		if ((err = cidrs_val(d, o->cidr, cidrs, n)))
			return err;
		c->cidrs = cidrs;
	}
	if ((o->prio && (err = int_val(d, "--priority", o->prio, 0, UINT32_MAX, &c->priority))) ||
	    (o->channels && (err = int_val(d, "--max-channels", o->channels, 0, UINT32_MAX,
					   &c->max_channels))) ||
	    (o->cps && (err = int_val(d, "--max-cps", o->cps, 0, UINT32_MAX, &c->max_cps))) ||
	    (o->strip && (err = int_val(d, "--strip", o->strip, 0, 15, &c->strip_digits))))
		return err;
	if (o->format) {
		if (strcmp(o->format, "e164") && strcmp(o->format, "+e164") && strcmp(o->format, "00"))
			return bad(d, "--format", o->format, "e164, +e164 or 00");
		c->number_format = (char *)o->format;
	}
	if (o->prefix) {
		if (*o->prefix && (strlen(o->prefix) > 16 ||
				   strspn(o->prefix, "0123456789#*+") != strlen(o->prefix)))
			return bad(d, "--prefix", o->prefix, "up to 16 of 0-9 # * +");
		c->add_prefix = *o->prefix ? (char *)o->prefix : NULL;
	}
	if (o->disabled && o->enabled)
		return cli_fail(EXIT_USAGE, d->cmd, "--disabled and --enabled exclude each other");
	if (o->disabled)
		c->enabled = false;
	if (o->enabled)
		c->enabled = true;
	return 0;
}

static int carrier_add(struct db *d, int argc, char **argv)
{
	struct carr_opts o = { 0 };
	const struct cli_opt opts[] = { COMMON_OPTS(d), CARR_OPTS(&o), { 0 } };
	struct store_carrier c = { .enabled = true };
	char *pos[MAXPOS], cidrs[2048];
	int n, err;

	if ((err = cli_parse(d->cmd, argc, argv, opts, pos, &n, 1)))
		return err;
	if (d->help) {
		printf("Usage: trunkline db carrier add NAME [options]\n%s%s", carr_help, common_help);
		return 0;
	}
	if (n != 1)
		return cli_fail(EXIT_USAGE, d->cmd, "expected the carrier's NAME (see --help)");
	if ((err = cli_store_open(d->cmd, d->url, d->conf, &d->st)))
		return err;
	o.name = pos[0];
	if ((err = carr_apply(d, &o, &c, cidrs, sizeof(cidrs))))
		return err;
	if ((err = store_carrier_add(d->st, &c)))
		return store_fail(d, err, "carrier not added");
	added(d, "carrier", c.id, c.name);
	return 0;
}

static int carrier_update(struct db *d, int argc, char **argv)
{
	struct carr_opts o = { 0 };
	const struct cli_opt opts[] = { COMMON_OPTS(d), CARR_OPTS(&o), { 0 } };
	struct store_carrier c, orig;
	char *pos[MAXPOS], cidrs[2048];
	int n, err;

	if ((err = cli_parse(d->cmd, argc, argv, opts, pos, &n, 1)))
		return err;
	if (d->help) {
		printf("Usage: trunkline db carrier update NAME|ID [options]\n"
		       "Changes only the given fields.\n"
		       "  --name NEW           rename\n"
		       "  --no-cidr            remove the source networks\n%s%s", carr_help,
		       common_help);
		return 0;
	}
	if (n != 1)
		return cli_fail(EXIT_USAGE, d->cmd, "expected the carrier's NAME or ID (see --help)");
	if ((err = cli_store_open(d->cmd, d->url, d->conf, &d->st)) ||
	    (err = ref_carrier(d, pos[0], &c)))
		return err;
	orig = c;
	if (!(err = carr_apply(d, &o, &c, cidrs, sizeof(cidrs))) &&
	    (err = store_carrier_update(d->st, &c)))
		err = store_fail(d, err, "carrier not updated");
	if (!err && !d->quiet)
		printf("updated carrier %lld %s\n", (long long)c.id, c.name);
	store_carrier_reset(&orig);
	return err;
}

static int carr_row(const struct store_carrier *c, void *arg)
{
	(void)arg;
	printf("%-6lld %-20s %-8lld %-7lld %-7lld %-6s %-5lld %-8s %-32s %s\n", (long long)c->id,
	       c->name, (long long)c->priority, (long long)c->max_channels, (long long)c->max_cps,
	       str_or(c->number_format, "e164"), (long long)c->strip_digits,
	       str_or(c->add_prefix, "-"), str_or(c->cidrs, "-"), c->enabled ? "yes" : "no");
	return 0;
}

static int carrier_list(struct db *d, int argc, char **argv)
{
	const struct cli_opt opts[] = { COMMON_OPTS(d), { 0 } };
	char *pos[MAXPOS];
	int n, err;

	if ((err = cli_parse(d->cmd, argc, argv, opts, pos, &n, 0)))
		return err;
	if (d->help) {
		printf("Usage: trunkline db carrier list\n%s", common_help);
		return 0;
	}
	if ((err = cli_store_open(d->cmd, d->url, d->conf, &d->st)))
		return err;
	printf("%-6s %-20s %-8s %-7s %-7s %-6s %-5s %-8s %-32s %s\n", "id", "name", "priority",
	       "max_ch", "max_cps", "format", "strip", "prefix", "cidrs", "enabled");
	if ((err = store_foreach_carrier(d->st, 0, carr_row, NULL)))
		return store_fail(d, err, "cannot list carriers");
	return 0;
}

/* "host", "host:port", "[v6]:port", "v6" */
static int hostport(struct db *d, const char *s, char *host, size_t n, int64_t *port)
{
	const char *colon = strrchr(s, ':');
	size_t hl = strlen(s);
	int err;

	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (!end || (end[1] && end[1] != ':'))
			return bad(d, "HOST", s, "host, host:port or [IPv6]:port");
		hl = (size_t)(end - s - 1);
		s++;
		colon = end[1] ? end + 1 : NULL;
	}
	else if (colon && strchr(s, ':') != colon) {
		colon = NULL;    /* a bare IPv6 address */
	}
	else if (colon) {
		hl = (size_t)(colon - s);
	}
	if (!hl || hl >= n || memchr(s, ' ', hl))
		return bad(d, "HOST", s, "host, host:port or [IPv6]:port");
	memcpy(host, s, hl);
	host[hl] = 0;
	if (colon && (err = int_val(d, "port", colon + 1, 1, 65535, port)))
		return err;
	return 0;
}

static int gateway_add(struct db *d, int argc, char **argv)
{
	const char *port = NULL, *tp = NULL, *prio = NULL, *weight = NULL;
	bool disabled = false;
	const struct cli_opt opts[] = {
		COMMON_OPTS(d), { "port", 0, &port, NULL }, { "transport", 0, &tp, NULL },
		{ "priority", 0, &prio, NULL }, { "weight", 0, &weight, NULL },
		{ "disabled", 0, NULL, &disabled }, { 0 } };
	struct store_gateway g = { .port = 5060, .transport = "udp", .weight = 1, .enabled = true };
	struct store_carrier c;
	char *pos[MAXPOS], host[256];
	int n, err;

	if ((err = cli_parse(d->cmd, argc, argv, opts, pos, &n, 2)))
		return err;
	if (d->help) {
		printf("Usage: trunkline db gateway add CARRIER HOST[:PORT] [options]\n"
		       "A signalling address of the carrier, where its calls are sent.\n"
		       "  --port N             (default 5060, or the one in HOST:PORT)\n"
		       "  --transport T        udp (default), tcp or tls\n"
		       "  --priority N         lower is tried first (default 0)\n"
		       "  --weight N           share within one priority (default 1)\n"
		       "  --disabled           keep it but do not use it\n%s", common_help);
		return 0;
	}
	if (n != 2)
		return cli_fail(EXIT_USAGE, d->cmd, "expected CARRIER and HOST[:PORT] (see --help)");
	if ((err = hostport(d, pos[1], host, sizeof(host), &g.port)) ||
	    (port && (err = int_val(d, "--port", port, 1, 65535, &g.port))) ||
	    (prio && (err = int_val(d, "--priority", prio, 0, 65535, &g.priority))) ||
	    (weight && (err = int_val(d, "--weight", weight, 0, 65535, &g.weight))))
		return err;
	if (tp) {
		if (strcmp(tp, "udp") && strcmp(tp, "tcp") && strcmp(tp, "tls"))
			return bad(d, "--transport", tp, "udp, tcp or tls");
		g.transport = (char *)tp;
	}
	g.host = host;
	g.enabled = !disabled;
	if ((err = cli_store_open(d->cmd, d->url, d->conf, &d->st)) ||
	    (err = ref_carrier(d, pos[0], &c)))
		return err;
	g.carrier_id = c.id;
	store_carrier_reset(&c);
	if ((err = store_gateway_add(d->st, &g)))
		return store_fail(d, err, "gateway not added");
	if (d->quiet)
		printf("%lld\n", (long long)g.id);
	else
		printf("added gateway %lld %s:%lld/%s\n", (long long)g.id, g.host, (long long)g.port,
		       g.transport);
	return 0;
}

static int gw_row(const struct store_gateway *g, void *arg)
{
	(void)arg;
	printf("%-6lld %-8lld %-24s %-6lld %-9s %-8lld %-6lld %s\n", (long long)g->id,
	       (long long)g->carrier_id, g->host, (long long)g->port, str_or(g->transport, "udp"),
	       (long long)g->priority, (long long)g->weight, g->enabled ? "yes" : "no");
	return 0;
}

static int gateway_list(struct db *d, int argc, char **argv)
{
	const char *carr = NULL;
	const struct cli_opt opts[] = { COMMON_OPTS(d), { "carrier", 0, &carr, NULL }, { 0 } };
	char *pos[MAXPOS];
	int64_t parent = 0;
	int n, err;

	if ((err = cli_parse(d->cmd, argc, argv, opts, pos, &n, 1)))
		return err;
	if (d->help) {
		printf("Usage: trunkline db gateway list [--carrier C | CARRIER]\n%s", common_help);
		return 0;
	}
	if (n)
		carr = pos[0];
	if ((err = cli_store_open(d->cmd, d->url, d->conf, &d->st)))
		return err;
	PARENT_FILTER(carrier, carr, &parent);
	printf("%-6s %-8s %-24s %-6s %-9s %-8s %-6s %s\n", "id", "carrier", "host", "port",
	       "transport", "priority", "weight", "enabled");
	if ((err = store_foreach_gateway(d->st, parent, gw_row, NULL)))
		return store_fail(d, err, "cannot list gateways");
	return 0;
}

/* ------------------------------------------------------------------ */
/* Tariffs                                                              */
/* ------------------------------------------------------------------ */

static int tariff_add(struct db *d, int argc, char **argv)
{
	const char *cur = NULL;
	const struct cli_opt opts[] = { COMMON_OPTS(d), { "currency", 0, &cur, NULL }, { 0 } };
	struct store_tariff t = { 0 };
	char *pos[MAXPOS];
	int n, err;

	if ((err = cli_parse(d->cmd, argc, argv, opts, pos, &n, 1)))
		return err;
	if (d->help) {
		printf("Usage: trunkline db tariff add NAME [--currency CUR]\n"
		       "A customer price list; add its prices with `db rate add --tariff NAME`.\n"
		       "  --currency CUR   ISO 4217 code, informational (GBP, USD, EUR)\n%s",
		       common_help);
		return 0;
	}
	if (n != 1)
		return cli_fail(EXIT_USAGE, d->cmd, "expected the tariff's NAME (see --help)");
	if (cur && (strlen(cur) != 3 || strspn(cur, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3))
		return bad(d, "--currency", cur, "a 3-letter ISO 4217 code like GBP");
	if ((err = cli_store_open(d->cmd, d->url, d->conf, &d->st)))
		return err;
	t.name = pos[0];
	t.currency = (char *)cur;
	if ((err = store_tariff_add(d->st, &t)))
		return store_fail(d, err, "tariff not added");
	added(d, "tariff", t.id, t.name);
	return 0;
}

static int tariff_row(const struct store_tariff *t, void *arg)
{
	(void)arg;
	printf("%-6lld %-24s %s\n", (long long)t->id, t->name, str_or(t->currency, "-"));
	return 0;
}

static int tariff_list(struct db *d, int argc, char **argv)
{
	const struct cli_opt opts[] = { COMMON_OPTS(d), { 0 } };
	char *pos[MAXPOS];
	int n, err;

	if ((err = cli_parse(d->cmd, argc, argv, opts, pos, &n, 0)))
		return err;
	if (d->help) {
		printf("Usage: trunkline db tariff list\n%s", common_help);
		return 0;
	}
	if ((err = cli_store_open(d->cmd, d->url, d->conf, &d->st)))
		return err;
	printf("%-6s %-24s %s\n", "id", "name", "currency");
	if ((err = store_foreach_tariff(d->st, 0, tariff_row, NULL)))
		return store_fail(d, err, "cannot list tariffs");
	return 0;
}

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

static const char *prefix_norm(const char *s)
{
	return *s == '+' ? s + 1 : s;
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

static int rate_add(struct db *d, int argc, char **argv)
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

static int rate_update(struct db *d, int argc, char **argv)
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

static int rate_delete(struct db *d, int argc, char **argv)
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

static int rate_list(struct db *d, int argc, char **argv)
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

/* Split one line into fields in place: commas, optional double quotes
 * ("" inside quotes is a quote), blanks around fields dropped. Returns
 * the field count, or -1 for an unterminated quote. */
static int csv_split(char *line, char **f, int max)
{
	char *p = line;
	int n = 0;

	for (;;) {
		char *out;

		while (*p == ' ' || *p == '\t')
			p++;
		if (n == max)
			return max + 1;
		f[n++] = out = p;
		if (*p == '"') {
			char *q = ++p;

			f[n - 1] = out = q;
			for (;;) {
				if (!*p)
					return -1;
				if (*p == '"' && p[1] == '"') {
					*out++ = '"';
					p += 2;
					continue;
				}
				if (*p == '"') {
					p++;
					break;
				}
				*out++ = *p++;
			}
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p && *p != ',')
				return -1;
		}
		else {
			while (*p && *p != ',')
				*out++ = *p++;
			while (out > f[n - 1] && (out[-1] == ' ' || out[-1] == '\t'))
				out--;
		}
		if (!*p) {
			*out = 0;
			return n;
		}
		*out = 0;
		p++;    /* the comma */
	}
}

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

static int rate_import(struct db *d, int argc, char **argv)
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

static int number_add(struct db *d, int argc, char **argv)
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

static int number_update(struct db *d, int argc, char **argv)
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

static int number_list(struct db *d, int argc, char **argv)
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

/* ------------------------------------------------------------------ */
/* delete, for every kind                                               */
/* ------------------------------------------------------------------ */

static int kind_delete(struct db *d, int argc, char **argv, const char *kind)
{
	const struct cli_opt opts[] = { COMMON_OPTS(d), { 0 } };
	char *pos[MAXPOS];
	int64_t id = 0;
	int n, err;

	if ((err = cli_parse(d->cmd, argc, argv, opts, pos, &n, 1)))
		return err;
	if (d->help) {
		bool by_id = !strcmp(kind, "trunk-uri") || !strcmp(kind, "gateway");

		printf("Usage: trunkline db %s delete %s\n", kind,
		       by_id ? "ID" : !strcmp(kind, "number") ? "E164|ID" : "NAME|ID");
		if (!strcmp(kind, "customer"))
			printf("Refused while the customer has trunks or numbers.\n");
		else if (!strcmp(kind, "tariff"))
			printf("Refused while customers use it; its prices go with it.\n");
		else if (!strcmp(kind, "carrier"))
			printf("Its gateways and rates go with it.\n");
		else if (!strcmp(kind, "trunk"))
			printf("Its delivery URIs go with it. Refused while numbers use it.\n");
		printf("%s", common_help);
		return 0;
	}
	if (n != 1)
		return cli_fail(EXIT_USAGE, d->cmd, "expected what to delete (see --help)");
	if ((err = cli_store_open(d->cmd, d->url, d->conf, &d->st)))
		return err;

#define DEL_BY_REF(K)                                      \
	do {                                               \
		struct store_##K row_;                     \
		if ((err = ref_##K(d, pos[0], &row_)))     \
			return err;                        \
		id = row_.id;                              \
		store_##K##_reset(&row_);                  \
		err = store_##K##_del(d->st, id);          \
	} while (0)

	if (!strcmp(kind, "customer"))
		DEL_BY_REF(customer);
	else if (!strcmp(kind, "trunk"))
		DEL_BY_REF(trunk);
	else if (!strcmp(kind, "carrier"))
		DEL_BY_REF(carrier);
	else if (!strcmp(kind, "tariff"))
		DEL_BY_REF(tariff);
	else if (!strcmp(kind, "number"))
		DEL_BY_REF(number);
	else if ((err = id_of(d, pos[0], &id)))
		return err;
	else if (!strcmp(kind, "trunk-uri"))
		err = store_trunk_uri_del(d->st, id);
	else
		err = store_gateway_del(d->st, id);
#undef DEL_BY_REF
	if (err == -ENOENT)
		return cli_fail(EXIT_USAGE, d->cmd, "no %s %lld", kind, (long long)id);
	if (err)
		return store_fail(d, err, "not deleted");
	if (!d->quiet)
		printf("deleted %s %lld\n", kind, (long long)id);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Whole database                                                       */
/* ------------------------------------------------------------------ */

static int db_init(struct db *d, int argc, char **argv)
{
	const struct cli_opt opts[] = { COMMON_OPTS(d), { 0 } };
	char *pos[MAXPOS];
	int n, err, v = 0;

	if ((err = cli_parse(d->cmd, argc, argv, opts, pos, &n, 0)))
		return err;
	if (d->help) {
		printf("Usage: trunkline db init\n"
		       "Create the database and apply the schema migrations (any command does\n"
		       "this on first use; the daemon too).\n%s", common_help);
		return 0;
	}
	if ((err = cli_store_open(d->cmd, d->url, d->conf, &d->st)))
		return err;
	if ((err = store_schema_version(d->st, &v)))
		return store_fail(d, err, "cannot read the schema version");
	if (!d->quiet)
		printf("database ready, schema version %d\n", v);
	return 0;
}

static int db_seed_demo(struct db *d, int argc, char **argv)
{
	const struct cli_opt opts[] = { COMMON_OPTS(d), { 0 } };
	char *pos[MAXPOS];
	int n, err;

	if ((err = cli_parse(d->cmd, argc, argv, opts, pos, &n, 0)))
		return err;
	if (d->help) {
		printf("Usage: trunkline db seed-demo\n"
		       "Add the demo provisioning (docs/PROVISIONING.md): customer demo (GB,\n"
		       "trunk demo-pbx from 127.0.0.1, delivery sip:127.0.0.1:5080), carriers\n"
		       "carrier-a (127.0.0.1:5070) and carrier-b (127.0.0.1:5072) with +44 and\n"
		       "+1 rates, tariff demo-retail, DID +442071234567. Nothing changes when\n"
		       "customer demo exists.\n%s", common_help);
		return 0;
	}
	if ((err = cli_store_open(d->cmd, d->url, d->conf, &d->st)))
		return err;
	if ((err = store_seed_demo(d->st)))
		return store_fail(d, err, "demo provisioning failed");
	if (!d->quiet)
		printf("demo provisioning in place: customer demo, carriers carrier-a and "
		       "carrier-b, DID +442071234567\n");
	return 0;
}

struct counter {
	unsigned long long n;
};

#define COUNT_FN(K) \
	static int count_##K(const struct store_##K *r, void *arg) \
	{ (void)r; ((struct counter *)arg)->n++; return 0; }
COUNT_FN(customer)
COUNT_FN(trunk)
COUNT_FN(trunk_uri)
COUNT_FN(carrier)
COUNT_FN(gateway)
COUNT_FN(tariff)
COUNT_FN(number)
COUNT_FN(rate)

static int db_status(struct db *d, int argc, char **argv)
{
	const struct cli_opt opts[] = { COMMON_OPTS(d), { 0 } };
	struct counter c[9] = { { 0 } };
	char *pos[MAXPOS];
	uint64_t gen = 0;
	int64_t cdrs = 0;
	int n, err, v = 0;

	if ((err = cli_parse(d->cmd, argc, argv, opts, pos, &n, 0)))
		return err;
	if (d->help) {
		printf("Usage: trunkline db status\n"
		       "Schema version, provisioning generation and row counts, as key=value.\n%s",
		       common_help);
		return 0;
	}
	if ((err = cli_store_open(d->cmd, d->url, d->conf, &d->st)))
		return err;
	if ((err = store_schema_version(d->st, &v)) || (err = store_generation(d->st, &gen)) ||
	    (err = store_foreach_customer(d->st, 0, count_customer, &c[0])) ||
	    (err = store_foreach_trunk(d->st, 0, count_trunk, &c[1])) ||
	    (err = store_foreach_trunk_uri(d->st, 0, count_trunk_uri, &c[2])) ||
	    (err = store_foreach_carrier(d->st, 0, count_carrier, &c[3])) ||
	    (err = store_foreach_gateway(d->st, 0, count_gateway, &c[4])) ||
	    (err = store_foreach_tariff(d->st, 0, count_tariff, &c[5])) ||
	    (err = store_foreach_number(d->st, 0, count_number, &c[6])) ||
	    (err = store_foreach_rate(d->st, STORE_DECK_CARRIER, 0, count_rate, &c[7])) ||
	    (err = store_foreach_rate(d->st, STORE_DECK_TARIFF, 0, count_rate, &c[8])) ||
	    (err = store_cdr_count(d->st, &cdrs)))
		return store_fail(d, err, "cannot read the database");
	printf("schema_version=%d\ngeneration=%llu\ncustomers=%llu\ntrunks=%llu\ntrunk_uris=%llu\n"
	       "carriers=%llu\ngateways=%llu\ntariffs=%llu\nnumbers=%llu\nrates=%llu\n"
	       "tariff_rates=%llu\ncdrs=%lld\n", v, (unsigned long long)gen, c[0].n, c[1].n,
	       c[2].n, c[3].n, c[4].n, c[5].n, c[6].n, c[7].n, c[8].n, (long long)cdrs);
	return 0;
}

static int db_ha1(struct db *d, int argc, char **argv)
{
	const struct cli_opt opts[] = { COMMON_OPTS(d), { 0 } };
	char *pos[MAXPOS], md5[SIP_DIGEST_HEX_MAX + 1], sha[SIP_DIGEST_HEX_MAX + 1];
	int n, err;

	if ((err = cli_parse(d->cmd, argc, argv, opts, pos, &n, 3)))
		return err;
	if (d->help) {
		printf("Usage: trunkline db ha1 USER REALM PASSWORD\n"
		       "Print the digest HA1 = H(USER:REALM:PASSWORD) with MD5 and with\n"
		       "SHA-256 (RFC 8760), e.g. for `db trunk add --ha1`. No database.\n");
		return 0;
	}
	if (n != 3)
		return cli_fail(EXIT_USAGE, d->cmd, "expected USER, REALM and PASSWORD (see --help)");
	if (hex_digest(SIP_DIGEST_MD5, pos[0], pos[1], pos[2], md5) ||
	    hex_digest(SIP_DIGEST_SHA256, pos[0], pos[1], pos[2], sha))
		return cli_fail(EXIT_RUNTIME, d->cmd, "cannot compute the digests");
	printf("md5=%s\nsha256=%s\n", md5, sha);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Dispatch                                                             */
/* ------------------------------------------------------------------ */

typedef int (db_cmd_h)(struct db *d, int argc, char **argv);

static int customer_delete(struct db *d, int c, char **v) { return kind_delete(d, c, v, "customer"); }
static int trunk_delete(struct db *d, int c, char **v) { return kind_delete(d, c, v, "trunk"); }
static int trunk_uri_delete(struct db *d, int c, char **v) { return kind_delete(d, c, v, "trunk-uri"); }
static int carrier_delete(struct db *d, int c, char **v) { return kind_delete(d, c, v, "carrier"); }
static int gateway_delete(struct db *d, int c, char **v) { return kind_delete(d, c, v, "gateway"); }
static int tariff_delete(struct db *d, int c, char **v) { return kind_delete(d, c, v, "tariff"); }
static int number_delete(struct db *d, int c, char **v) { return kind_delete(d, c, v, "number"); }

static const struct {
	const char *noun, *verb;   /* verb NULL: a one-word command */
	db_cmd_h *h;
	const char *what;
} cmds[] = {
	{ "customer", "add", customer_add, "add a customer" },
	{ "customer", "update", customer_update, "change a customer's fields" },
	{ "customer", "list", customer_list, "list customers" },
	{ "customer", "delete", customer_delete, "delete a customer" },
	{ "trunk", "add", trunk_add, "add a trunk (source CIDRs and/or digest credentials)" },
	{ "trunk", "update", trunk_update, "change a trunk's fields" },
	{ "trunk", "list", trunk_list, "list trunks" },
	{ "trunk", "delete", trunk_delete, "delete a trunk" },
	{ "trunk-uri", "add", trunk_uri_add, "add a delivery URI to a trunk" },
	{ "trunk-uri", "list", trunk_uri_list, "list trunk delivery URIs" },
	{ "trunk-uri", "delete", trunk_uri_delete, "delete a trunk delivery URI" },
	{ "carrier", "add", carrier_add, "add a carrier" },
	{ "carrier", "update", carrier_update, "change a carrier's fields" },
	{ "carrier", "list", carrier_list, "list carriers" },
	{ "carrier", "delete", carrier_delete, "delete a carrier (with gateways and rates)" },
	{ "gateway", "add", gateway_add, "add a gateway to a carrier" },
	{ "gateway", "list", gateway_list, "list gateways" },
	{ "gateway", "delete", gateway_delete, "delete a gateway" },
	{ "tariff", "add", tariff_add, "add a tariff (customer price list)" },
	{ "tariff", "list", tariff_list, "list tariffs" },
	{ "tariff", "delete", tariff_delete, "delete a tariff (with its prices)" },
	{ "rate", "add", rate_add, "add a rate to a carrier deck or a tariff" },
	{ "rate", "update", rate_update, "change a rate" },
	{ "rate", "delete", rate_delete, "delete a prefix's rates" },
	{ "rate", "list", rate_list, "list rates" },
	{ "rate", "import", rate_import, "import rates from CSV, all or nothing" },
	{ "number", "add", number_add, "add a number (DID) for a customer" },
	{ "number", "update", number_update, "change a number's fields" },
	{ "number", "list", number_list, "list numbers" },
	{ "number", "delete", number_delete, "delete a number" },
	{ "init", NULL, db_init, "create and migrate the database" },
	{ "seed-demo", NULL, db_seed_demo, "add the demo provisioning" },
	{ "status", NULL, db_status, "schema version, generation, row counts" },
	{ "ha1", NULL, db_ha1, "print the MD5 and SHA-256 HA1 of a password" },
};

static void db_usage(FILE *f)
{
	fprintf(f, "Usage: trunkline db COMMAND [options]   (COMMAND --help for its options)\n"
		"Provisioning in the database; the running daemon picks changes up within\n"
		"[store] reload_interval.\n\n");
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		char w[40];

		snprintf(w, sizeof(w), "%s%s%s", cmds[i].noun, cmds[i].verb ? " " : "",
			 cmds[i].verb ? cmds[i].verb : "");
		fprintf(f, "  %-18s %s\n", w, cmds[i].what);
	}
	fprintf(f, "\nEvery command takes --db URL or -c FILE (default sqlite:var/trunkline.db).\n"
		"Exit status: 0 done, 1 runtime error (database), 2 bad usage or a value\n"
		"the data refuse (duplicate, missing reference, still in use).\n");
}

int main_db(int argc, char **argv)
{
	struct db d = { 0 };
	int err;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		db_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		int used;

		if (strcmp(argv[1], cmds[i].noun))
			continue;
		if (cmds[i].verb && (argc < 3 || strcmp(argv[2], cmds[i].verb)))
			continue;
		used = cmds[i].verb ? 3 : 2;
		snprintf(d.cmd, sizeof(d.cmd), "db %s%s%s", cmds[i].noun, cmds[i].verb ? " " : "",
			 cmds[i].verb ? cmds[i].verb : "");
		err = cmds[i].h(&d, argc - used, argv + used);
		store_close(d.st);
		return err;
	}
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		if (!strcmp(argv[1], cmds[i].noun))
			return cli_fail(EXIT_USAGE, "db", "unknown %s command '%s' (see db --help)",
					argv[1], argc > 2 ? argv[2] : "");
	}
	return cli_fail(EXIT_USAGE, "db", "unknown command '%s' (see db --help)", argv[1]);
}
