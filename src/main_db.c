/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file main_db.c  `trunkline db`: provisioning from the command line
 *                  (customers, trunks and their URIs, carriers and their
 *                  gateways, rate decks and tariffs with CSV import,
 *                  numbers, demo data), until the REST API exists. This
 *                  file: the values and store helpers every command
 *                  shares, delete, the whole-database commands and the
 *                  dispatch; the kinds are in main_db_*.c.
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
#include "main_db.h"

#define LOG_MOD "db"

const char common_help[] =
	"  --db URL          database (default: -c FILE's [store] url, else\n"
	"                    $TRUNKLINE_DB, else sqlite:var/trunkline.db)\n"
	"  -c, --config FILE read [store] url from this configuration file\n"
	"  -q, --quiet       print only the id of what was added\n"
	"  -h, --help        this help\n";

/* ------------------------------------------------------------------ */
/* Values                                                               */
/* ------------------------------------------------------------------ */

int bad(struct db *d, const char *opt, const char *val, const char *expect)
{
	return cli_fail(EXIT_USAGE, d->cmd, "bad value '%s' for %s: expected %s", val, opt, expect);
}

bool all_digits(const char *s, size_t min, size_t max)
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

int int_val(struct db *d, const char *opt, const char *s, int64_t min, int64_t max,
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

int money_val(struct db *d, const char *opt, const char *s, int64_t *v)
{
	if (dec_parse(&(struct pl){ s, strlen(s) }, v) || *v < 0)
		return bad(d, opt, s, "an amount >= 0 with at most 6 decimals, like 0.0125");
	return 0;
}

/* Signed: a balance may be negative (credit in use). */
int smoney_val(struct db *d, const char *opt, const char *s, int64_t *v)
{
	if (dec_parse(&(struct pl){ s, strlen(s) }, v))
		return bad(d, opt, s, "an amount with at most 6 decimals, like -12.5");
	return 0;
}

/* "60/60", "1/1", "30/6": the first increment, then each next one. */
int inc_parse(const char *s, int64_t *first, int64_t *next)
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
int date_parse(const char *s, int64_t *ms)
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

const char *date_fmt(int64_t ms, char *buf, size_t n)
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

const char *money(int64_t v, char *buf, size_t n)
{
	return dec_fmt(v, buf, n);
}

const char *str_or(const char *s, const char *dflt)
{
	return s && *s ? s : dflt;
}
const char *prefix_norm(const char *s)
{
	return *s == '+' ? s + 1 : s;
}


/* "192.0.2.0/24,2001:db8::/32" or single hosts; blanks are dropped, the
 * result is written back comma-separated without them. */
int cidrs_val(struct db *d, const char *s, char *out, size_t n)
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
int hex_digest(enum sip_digest_alg alg, const char *user, const char *realm,
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
int store_fail(struct db *d, int err, const char *what)
{
	const char *msg = store_errmsg(d->st);
	bool data = err == -EEXIST || err == -ENOENT || err == -EBUSY || err == -EINVAL;

	return cli_fail(data ? EXIT_USAGE : EXIT_RUNTIME, d->cmd, "%s%s%s", what,
			*msg ? ": " : "", *msg ? msg : strerror(-err));
}

/* A row named by id or by its unique key; "12" is the row with id 12,
 * else the one named "12". Prints why it is missing. */
#define REF_FN(K, label)                                                           \
int ref_##K(struct db *d, const char *s, struct store_##K *out)                    \
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

int ref_number(struct db *d, const char *s, struct store_number *out)
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

int id_of(struct db *d, const char *s, int64_t *id)
{
	return int_val(d, "ID", s, 1, INT64_MAX, id);
}

void added(struct db *d, const char *kind, int64_t id, const char *name)
{
	if (d->quiet)
		printf("%lld\n", (long long)id);
	else
		printf("added %s %lld%s%s\n", kind, (long long)id, name ? " " : "", name ? name : "");
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
