/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file resources.c  The provisioning resources as one table (fields,
 *                    their types and options, list columns) and the
 *                    commands every resource has: list, get, add, update,
 *                    delete. Rates hang under a carrier or a tariff.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "trunkctl.h"

enum ftype { F_STR, F_INT, F_MONEY, F_BOOL, F_REF };

struct field {
	const char *json;
	const char *flag;          /* option name; F_BOOL: the true flag */
	enum ftype type;
	const char *ref;           /* F_REF: collection looked up by name */
	bool filter;               /* a list filter too */
	const char *help;
};

enum { MAXF = 12, MAXCOLS = 12 };

struct resource {
	const char *name, *one, *path;
	const char *keys[2];       /* fields given as positionals to add */
	const char *lookup;        /* field that finds a row instead of its id */
	bool nested;               /* rates: --carrier or --tariff */
	struct field fields[MAXF];
	const char *cols[MAXCOLS];
};

#define EN { "enabled", "enabled", F_BOOL, NULL, true, "--enabled / --disabled: use it or not" }

static const struct resource resources[] = {
	{ "customers", "customer", "/api/customers", { "name" }, "name", false, {
		{ "name", "name", F_STR, NULL, true, "unique name" },
		{ "country", "country", F_STR, NULL, true, "ISO 3166 country (GB...) for national numbers" },
		{ "tariff_id", "tariff", F_REF, "/api/tariffs", true, "tariff (name or id): what it pays" },
		{ "credit_limit", "credit-limit", F_MONEY, NULL, false, "how far the balance may go below 0" },
		{ "balance", "balance", F_MONEY, NULL, false, "prepaid balance (may be negative)" },
		{ "max_channels", "max-channels", F_INT, NULL, false, "concurrent calls, 0 = unlimited" },
		{ "max_cps", "max-cps", F_INT, NULL, false, "new calls per second, 0 = unlimited" },
		EN },
	  { "id", "name", "country", "tariff_id", "credit_limit", "balance", "max_channels",
	    "max_cps", "enabled" } },
	{ "trunks", "trunk", "/api/trunks", { "name" }, "name", false, {
		{ "name", "name", F_STR, NULL, true, "name of the trunk" },
		{ "customer_id", "customer", F_REF, "/api/customers", true, "owning customer (name or id)" },
		{ "cidrs", "cidrs", F_STR, NULL, false, "source networks: 192.0.2.0/24,2001:db8::/32" },
		{ "username", "username", F_STR, NULL, true, "digest user name" },
		{ "password", "password", F_STR, NULL, false, "digest password (write-only)" },
		{ "realm", "realm", F_STR, NULL, false, "digest realm" },
		{ "tech_prefix", "tech-prefix", F_STR, NULL, false, "digits stripped from called numbers" },
		{ "media_mode", "media-mode", F_STR, NULL, false, "relay or bypass" },
		{ "max_channels", "max-channels", F_INT, NULL, false, "concurrent calls, 0 = unlimited" },
		EN },
	  { "id", "customer_id", "name", "cidrs", "username", "tech_prefix", "media_mode",
	    "max_channels", "enabled" } },
	{ "trunk-uris", "trunk URI", "/api/trunk-uris", { "uri" }, NULL, false, {
		{ "uri", "uri", F_STR, NULL, false, "sip: or sips: URI calls are delivered to" },
		{ "trunk_id", "trunk", F_REF, "/api/trunks", true, "trunk (name or id)" },
		{ "priority", "priority", F_INT, NULL, false, "lower first" },
		{ "weight", "weight", F_INT, NULL, false, "share within one priority" } },
	  { "id", "trunk_id", "uri", "priority", "weight" } },
	{ "carriers", "carrier", "/api/carriers", { "name" }, "name", false, {
		{ "name", "name", F_STR, NULL, true, "unique name" },
		{ "cidrs", "cidrs", F_STR, NULL, false, "source networks of its calls to us" },
		{ "priority", "priority", F_INT, NULL, false, "lower first at equal cost" },
		{ "max_channels", "max-channels", F_INT, NULL, false, "concurrent calls, 0 = unlimited" },
		{ "max_cps", "max-cps", F_INT, NULL, false, "new calls per second, 0 = unlimited" },
		{ "number_format", "number-format", F_STR, NULL, false, "e164, +e164 or 00" },
		{ "strip_digits", "strip-digits", F_INT, NULL, false, "digits removed from the front" },
		{ "add_prefix", "add-prefix", F_STR, NULL, false, "prefix added after stripping" },
		EN },
	  { "id", "name", "cidrs", "priority", "max_channels", "max_cps", "number_format",
	    "strip_digits", "add_prefix", "enabled" } },
	{ "gateways", "gateway", "/api/gateways", { "host" }, NULL, false, {
		{ "host", "host", F_STR, NULL, true, "address or name of the gateway" },
		{ "carrier_id", "carrier", F_REF, "/api/carriers", true, "carrier (name or id)" },
		{ "port", "port", F_INT, NULL, false, "port (default 5060)" },
		{ "transport", "transport", F_STR, NULL, true, "udp, tcp or tls" },
		{ "priority", "priority", F_INT, NULL, false, "lower first" },
		{ "weight", "weight", F_INT, NULL, false, "share within one priority" },
		EN },
	  { "id", "carrier_id", "host", "port", "transport", "priority", "weight", "enabled" } },
	{ "tariffs", "tariff", "/api/tariffs", { "name" }, "name", false, {
		{ "name", "name", F_STR, NULL, true, "unique name" },
		{ "currency", "currency", F_STR, NULL, true, "ISO 4217 currency like GBP" } },
	  { "id", "name", "currency" } },
	{ "numbers", "number", "/api/numbers", { "e164" }, "e164", false, {
		{ "e164", "e164", F_STR, NULL, true, "the number, E.164 like +442071234567" },
		{ "customer_id", "customer", F_REF, "/api/customers", true, "holder (name or id)" },
		{ "trunk_id", "trunk", F_REF, "/api/trunks", true, "trunk its calls go to" },
		{ "delivery_uri", "delivery-uri", F_STR, NULL, false, "URI its calls go to" },
		{ "country", "country", F_STR, NULL, true, "ISO 3166 country" },
		{ "type", "type", F_STR, NULL, true, "kind of number (geographic, mobile...)" },
		EN },
	  { "id", "e164", "customer_id", "trunk_id", "delivery_uri", "country", "type",
	    "enabled" } },
	{ "rates", "rate", NULL, { "prefix", "rate" }, NULL, true, {
		{ "prefix", "prefix", F_STR, NULL, true, "destination prefix, 1 to 15 digits" },
		{ "rate", "rate", F_MONEY, NULL, false, "per minute, exact decimal like 0.0125" },
		{ "connect_fee", "connect-fee", F_MONEY, NULL, false, "charged once per call" },
		{ "inc_first", "inc-first", F_INT, NULL, false, "first billing increment, seconds" },
		{ "inc_next", "inc-next", F_INT, NULL, false, "next increments, seconds" },
		{ "effective_from", "effective-from", F_STR, NULL, false, "UTC date it starts" } },
	  { "id", "prefix", "rate", "connect_fee", "inc_first", "inc_next", "effective_from" } },
};

enum { NRES = sizeof(resources) / sizeof(resources[0]) };

static const struct resource *find(const char *name)
{
	for (size_t i = 0; i < NRES; i++) {
		if (!strcmp(resources[i].name, name))
			return &resources[i];
	}
	return NULL;
}

bool is_resource(const char *name)
{
	return find(name) != NULL;
}

static int nfields(const struct resource *r)
{
	int n = 0;

	while (n < MAXF && r->fields[n].json)
		n++;
	return n;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return false;
	}
	return true;
}

int resolve_ref(struct ctl *c, const char *collection, const char *flag, const char *val,
		long long *id)
{
	struct qbuf q = { 0 };
	struct resp r;
	json_t *j = NULL, *items;
	const char *by = strstr(collection, "numbers") ? "e164" : "name";
	int err;

	if (all_digits(val)) {
		*id = strtoll(val, NULL, 10);
		return 0;
	}
	qb_add(c, &q, by, val);
	qb_add(c, &q, "limit", "2");
	err = http_req(c, "GET", collection, q.s, NULL, &r);
	qb_reset(&q);
	if (err)
		return err;
	if (r.status != 200) {
		err = fail_resp(c, &r, NULL);
		goto out;
	}
	if (!(j = resp_json(c, &r))) {
		err = EX_SERVER;
		goto out;
	}
	items = json_object_get(j, "items");
	if (json_array_size(items) == 0) {
		err = fail(c, EX_NOTFOUND, "no %s '%s' (--%s)", by, val, flag);
	}
	else if (json_array_size(items) > 1) {
		err = fail(c, EX_USAGE, "'%s' is ambiguous for --%s: give the id", val, flag);
	}
	else {
		*id = json_integer_value(json_object_get(json_array_get(items, 0), "id"));
	}
out:
	json_decref(j);
	resp_reset(&r);
	return err;
}

int qb_add_ref(struct ctl *c, struct qbuf *q, const char *key, const char *collection,
	       const char *flag, const char *val)
{
	char idb[24];
	long long id;
	int err;

	if (!val)
		return 0;
	if ((err = resolve_ref(c, collection, flag, val, &id)))
		return err;
	snprintf(idb, sizeof(idb), "%lld", id);
	qb_add(c, q, key, idb);
	return 0;
}

/* A value given on the command line as JSON of the field's type. An empty
 * value is null: it clears a field that may be empty. */
static int field_json(struct ctl *c, const struct field *f, const char *val, json_t **out)
{
	long long id;
	char *end;
	int err;

	*out = NULL;
	if (!*val && f->type != F_BOOL) {
		*out = json_null();
		return 0;
	}
	switch (f->type) {
	case F_STR:
	case F_MONEY:       /* exact decimals travel as strings; the server checks */
		*out = json_string(val);
		break;
	case F_INT:
		errno = 0;
		id = strtoll(val, &end, 10);
		if (errno || *end || end == val)
			return fail(c, EX_USAGE, "bad value '%s' for --%s: expected an integer",
				    val, f->flag);
		*out = json_integer(id);
		break;
	case F_REF:
		if ((err = resolve_ref(c, f->ref, f->flag, val, &id)))
			return err;
		*out = json_integer(id);
		break;
	case F_BOOL:
		*out = json_boolean(!strcmp(val, "true"));
		break;
	}
	return *out ? 0 : fail(c, EX_SERVER, "out of memory");
}

/* Options: one per field (plus --disabled), the common ones, and extra. */
struct form {
	const char *vals[MAXF];
	bool on, off;
	const char *limit, *cursor, *carrier, *tariff;
	bool all, help;
	struct opt opts[MAXF + 12];
};

static void form_init(struct form *fm, const struct resource *res, bool fields_too,
		      bool filters_only, bool paging)
{
	int n = 0, i;

	memset(fm, 0, sizeof(*fm));
	for (i = 0; fields_too && i < nfields(res); i++) {
		const struct field *f = &res->fields[i];

		if (filters_only && !f->filter)
			continue;
		if (f->type == F_BOOL) {
			fm->opts[n++] = (struct opt){ f->flag, 0, NULL, &fm->on };
			fm->opts[n++] = (struct opt){ "disabled", 0, NULL, &fm->off };
			continue;
		}
		fm->opts[n++] = (struct opt){ f->flag, 0, &fm->vals[i], NULL };
	}
	if (paging) {
		fm->opts[n++] = (struct opt){ "limit", 0, &fm->limit, NULL };
		fm->opts[n++] = (struct opt){ "cursor", 0, &fm->cursor, NULL };
		fm->opts[n++] = (struct opt){ "all", 'a', NULL, &fm->all };
	}
	if (res->nested) {
		fm->opts[n++] = (struct opt){ "carrier", 0, &fm->carrier, NULL };
		fm->opts[n++] = (struct opt){ "tariff", 0, &fm->tariff, NULL };
	}
	fm->opts[n++] = (struct opt){ "help", 'h', NULL, &fm->help };
	fm->opts[n] = (struct opt){ 0 };
}

static void help_fields(const struct resource *res, bool filters_only)
{
	for (int i = 0; i < nfields(res); i++) {
		const struct field *f = &res->fields[i];
		char left[48];

		if (filters_only && !f->filter)
			continue;
		if (f->type == F_BOOL)
			snprintf(left, sizeof(left), "--enabled, --disabled");
		else
			snprintf(left, sizeof(left), "--%s %s", f->flag,
				 f->type == F_INT ? "N" : f->type == F_MONEY ? "AMOUNT" :
				 f->type == F_REF ? "NAME|ID" : "TEXT");
		printf("  %-26s %s\n", left, f->type == F_BOOL ? "use it or not" : f->help);
	}
}

static const char common_help[] =
	"  -h, --help                 this help\n"
	"Global options (anywhere): --server URL, --token TOKEN, --config FILE, --json\n";

static const char nested_help[] =
	"  --carrier C | --tariff T   whose rates: a carrier (name or id) or a tariff\n";

/* The collection path; rates: under the --carrier or --tariff given. */
static int coll_path(struct ctl *c, const struct resource *res, const struct form *fm,
		     char *buf, size_t n)
{
	long long id;
	int err;

	if (!res->nested) {
		snprintf(buf, n, "%s", res->path);
		return 0;
	}
	if (!fm->carrier == !fm->tariff)
		return fail(c, EX_USAGE, "give either --carrier C or --tariff T (see --help)");
	if ((err = resolve_ref(c, fm->carrier ? "/api/carriers" : "/api/tariffs",
			       fm->carrier ? "carrier" : "tariff",
			       fm->carrier ? fm->carrier : fm->tariff, &id)))
		return err;
	snprintf(buf, n, "/api/%s/%lld/rates", fm->carrier ? "carriers" : "tariffs", id);
	return 0;
}

/* The row's id from an argument: an id, or its name (number) looked up. */
static int row_id(struct ctl *c, const struct resource *res, const char *coll, const char *arg,
		  long long *id)
{
	if (all_digits(arg) || !res->lookup) {
		if (!all_digits(arg))
			return fail(c, EX_USAGE, "expected the %s's id, not '%s'", res->one, arg);
		*id = strtoll(arg, NULL, 10);
		return 0;
	}
	return resolve_ref(c, coll, res->one, arg, id);
}

/* Unix milliseconds as a UTC time, for columns named *_ms. */
static const char *ms_cell(const char *col, const json_t *v, char *buf, size_t n)
{
	size_t l = strlen(col);
	time_t secs;
	struct tm tm;

	if (l < 4 || strcmp(col + l - 3, "_ms") || !json_is_integer(v))
		return NULL;
	secs = (time_t)(json_integer_value(v) / 1000);
	if (!gmtime_r(&secs, &tm) || !strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm))
		return NULL;
	return buf;
}

int list_print(struct ctl *c, const char *path, struct qbuf *q, const char *const *cols,
	       int ncols, bool all, const char *limit, const char *cursor)
{
	json_t *acc = json_array(), *j = NULL, *items, *it, *next = NULL;
	char *cur = cursor ? strdup(cursor) : NULL, hbuf[MAXCOLS + 4][32];
	const char *heads[MAXCOLS + 4];
	struct table *t = NULL;
	struct resp r = { 0 };
	size_t base = q->len, i;
	int err = 0;

	for (;;) {
		q->len = base;
		if (q->s)
			q->s[base] = 0;
		qb_add(c, q, "limit", limit ? limit : all ? "1000" : "100");
		if (cur)
			qb_add(c, q, "cursor", cur);
		if ((err = http_req(c, "GET", path, q->s, NULL, &r)))
			goto out;
		if (r.status != 200) {
			err = fail_resp(c, &r, NULL);
			goto out;
		}
		if (c->json && !all) {
			printf("%s\n", r.body);
			goto out;
		}
		if (!(j = resp_json(c, &r))) {
			err = EX_SERVER;
			goto out;
		}
		items = json_object_get(j, "items");
		json_array_extend(acc, items);
		next = json_object_get(j, "next_cursor");
		free(cur);
		cur = json_is_string(next) ? strdup(json_string_value(next)) : NULL;
		json_decref(j);
		j = NULL;
		resp_reset(&r);
		if (!all || !cur)
			break;
	}
	if (c->json) {
		json_t *o = json_pack("{s:O, s:n}", "items", acc, "next_cursor");
		char *s = json_dumps(o, JSON_COMPACT);

		printf("%s\n", s ? s : "");
		free(s);
		json_decref(o);
		goto out;
	}
	for (int k = 0; k < ncols && k < MAXCOLS + 4; k++) {
		size_t l = strlen(cols[k]);

		/* end_ms is shown as a UTC time under "end" */
		snprintf(hbuf[k], sizeof(hbuf[k]), "%.*s", (int)(l > 3 && !strcmp(cols[k] + l - 3, "_ms")
							      ? l - 3 : l), cols[k]);
		heads[k] = hbuf[k];
	}
	t = table_new(ncols, heads);
	json_array_foreach(acc, i, it) {
		char bufs[MAXCOLS + 4][160];
		const char *cells[MAXCOLS + 4];

		for (int k = 0; k < ncols && k < MAXCOLS + 4; k++) {
			json_t *v = json_object_get(it, cols[k]);

			cells[k] = ms_cell(cols[k], v, bufs[k], sizeof(bufs[k]));
			if (!cells[k])
				cells[k] = cell_str(v, bufs[k], sizeof(bufs[k]));
		}
		table_add(t, cells);
	}
	table_print(t, stdout);
	if (cur)
		fprintf(stderr, "(more: --cursor %s, or --all for every page)\n", cur);
out:
	table_free(t);
	free(cur);
	json_decref(j);
	json_decref(acc);
	resp_reset(&r);
	return err;
}

/* One row: field and value, one a line. */
static void row_print(const json_t *o)
{
	const char *heads[2] = { "field", "value" };
	struct table *t = table_new(2, heads);
	const char *k;
	json_t *v;
	char buf[512];

	json_object_foreach((json_t *)o, k, v) {
		const char *cells[2] = { k, cell_str(v, buf, sizeof(buf)) };

		table_add(t, cells);
	}
	table_print(t, stdout);
	table_free(t);
}

static int do_list(struct ctl *c, const struct resource *res, int argc, char **argv)
{
	struct form fm;
	struct qbuf q = { 0 };
	char path[96], *pos[1];
	int np, err, i, nc = 0;

	form_init(&fm, res, true, true, true);
	if ((err = opt_parse(c, argc, argv, fm.opts, pos, &np, 0)))
		return err;
	if (fm.help) {
		printf("Usage: trunkctl %s list [filters] [--limit N] [--cursor C | --all]\n"
		       "Lists %s, one page (100) unless --all.\n%sFilters (equality):\n",
		       res->name, res->name, res->nested ? nested_help : "");
		help_fields(res, true);
		printf("  --limit N                  rows per page, 1..1000\n"
		       "  --cursor C                 the page after the one that printed C\n"
		       "  -a, --all                  every page\n%s", common_help);
		return 0;
	}
	if ((err = coll_path(c, res, &fm, path, sizeof(path))))
		return err;
	for (i = 0; i < nfields(res); i++) {
		const struct field *f = &res->fields[i];
		json_t *v = NULL;
		char buf[64];

		if (!f->filter)
			continue;
		if (f->type == F_BOOL) {
			if (fm.on && fm.off)
				return fail(c, EX_USAGE, "--enabled and --disabled exclude each other");
			if (fm.on || fm.off)
				qb_add(c, &q, f->json, fm.on ? "true" : "false");
			continue;
		}
		if (!fm.vals[i])
			continue;
		if ((err = field_json(c, f, fm.vals[i], &v)))
			goto out;
		qb_add(c, &q, f->json, cell_str(v, buf, sizeof(buf)));
		json_decref(v);
	}
	while (nc < MAXCOLS && res->cols[nc])
		nc++;
	err = list_print(c, path, &q, res->cols, nc, fm.all, fm.limit, fm.cursor);
out:
	qb_reset(&q);
	return err;
}

static int do_get(struct ctl *c, const struct resource *res, const char *sub, int argc,
		  char **argv)
{
	bool del = !strcmp(sub, "delete");
	struct form fm;
	struct resp r = { 0 };
	char path[96], full[128], *pos[1];
	long long id;
	json_t *j;
	int np, err;

	form_init(&fm, res, false, false, false);
	if ((err = opt_parse(c, argc, argv, fm.opts, pos, &np, 1)))
		return err;
	if (fm.help) {
		printf("Usage: trunkctl %s %s %s%s\n%s the %s.\n%s%s", res->name, sub,
		       res->nested ? "(--carrier C | --tariff T) " : "",
		       res->lookup ? (strcmp(res->lookup, "e164") ? "ID|NAME" : "ID|E164") : "ID",
		       del ? "Deletes" : "Shows", res->one, res->nested ? nested_help : "",
		       common_help);
		return 0;
	}
	if (np != 1)
		return fail(c, EX_USAGE, "expected the %s's id (see --help)", res->one);
	if ((err = coll_path(c, res, &fm, path, sizeof(path))) ||
	    (err = row_id(c, res, path, pos[0], &id)))
		return err;
	snprintf(full, sizeof(full), "%s/%lld", path, id);
	if ((err = http_req(c, del ? "DELETE" : "GET", full, NULL, NULL, &r)))
		return err;
	if (r.status >= 300) {
		err = fail_resp(c, &r, NULL);
	}
	else if (del) {
		if (c->json)
			printf("{\"deleted\":%lld}\n", id);
		else if (!c->quiet)
			printf("deleted %s %lld\n", res->one, id);
	}
	else if (c->json) {
		printf("%s\n", r.body);
	}
	else if ((j = resp_json(c, &r))) {
		row_print(j);
		json_decref(j);
	}
	else {
		err = EX_SERVER;
	}
	resp_reset(&r);
	return err;
}

static const char *upper(const char *s, char *buf, size_t n)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < n; i++)
		buf[i] = (char)toupper((unsigned char)s[i]);
	buf[i] = 0;
	return buf;
}

static int do_change(struct ctl *c, const struct resource *res, bool add, int argc,
		     char **argv)
{
	struct form fm;
	struct resp r = { 0 };
	char path[96], full[128], *pos[3], k0[32], k1[32];
	json_t *body = json_object(), *j = NULL;
	long long id = 0;
	int np, err, i, nk = res->keys[1] ? 2 : res->keys[0] ? 1 : 0;
	const char *what;

	form_init(&fm, res, true, false, false);
	if ((err = opt_parse(c, argc, argv, fm.opts, pos, &np, add ? nk : 1)))
		goto out;
	if (fm.help) {
		if (add)
			printf("Usage: trunkctl %s add %s%s%s%s [options]\nAdds a %s.\n%s",
			       res->name, res->nested ? "(--carrier C | --tariff T) " : "",
			       upper(nk ? res->keys[0] : "", k0, sizeof(k0)), nk > 1 ? " " : "",
			       upper(nk > 1 ? res->keys[1] : "", k1, sizeof(k1)), res->one,
			       res->nested ? nested_help : "");
		else
			printf("Usage: trunkctl %s update %sID [options]\n"
			       "Changes only the fields given; an empty value (--x '') clears one.\n%s",
			       res->name, res->nested ? "(--carrier C | --tariff T) " : "",
			       res->nested ? nested_help : "");
		help_fields(res, false);
		printf("  -q, --quiet                print only the id\n%s", common_help);
		goto out;
	}
	if (add && np > 0 && np < nk) {
		err = fail(c, EX_USAGE, "expected %s and %s (see --help)",
			   upper(res->keys[0], k0, sizeof(k0)), upper(res->keys[1], k1, sizeof(k1)));
		goto out;
	}
	if (!add && np != 1) {
		err = fail(c, EX_USAGE, "expected the %s's id (see --help)", res->one);
		goto out;
	}
	if ((err = coll_path(c, res, &fm, path, sizeof(path))))
		goto out;
	for (i = 0; i < nfields(res); i++) {
		const struct field *f = &res->fields[i];
		const char *val = fm.vals[i];
		json_t *v;

		for (int k = 0; add && k < np; k++) {
			if (!strcmp(res->keys[k], f->json)) {
				if (val) {
					err = fail(c, EX_USAGE, "%s given twice (argument and --%s)",
						   f->json, f->flag);
					goto out;
				}
				val = pos[k];
			}
		}
		if (f->type == F_BOOL) {
			if (fm.on && fm.off) {
				err = fail(c, EX_USAGE, "--enabled and --disabled exclude each other");
				goto out;
			}
			if (fm.on || fm.off)
				json_object_set_new(body, f->json, json_boolean(fm.on));
			continue;
		}
		if (!val)
			continue;
		if ((err = field_json(c, f, val, &v)))
			goto out;
		json_object_set_new(body, f->json, v);
	}
	if (!add) {
		if (!json_object_size(body)) {
			err = fail(c, EX_USAGE, "nothing to change (see --help)");
			goto out;
		}
		if ((err = row_id(c, res, path, pos[0], &id)))
			goto out;
		snprintf(full, sizeof(full), "%s/%lld", path, id);
	}
	if ((err = http_req(c, add ? "POST" : "PATCH", add ? path : full, NULL, body, &r)))
		goto out;
	if (r.status >= 300) {
		err = fail_resp(c, &r, NULL);
		goto out;
	}
	if (c->json) {
		printf("%s\n", r.body);
		goto out;
	}
	if (!(j = resp_json(c, &r))) {
		err = EX_SERVER;
		goto out;
	}
	id = json_integer_value(json_object_get(j, "id"));
	what = json_string_value(json_object_get(j, res->keys[0] ? res->keys[0] : "id"));
	if (c->quiet)
		printf("%lld\n", id);
	else
		printf("%s %s %lld%s%s\n", add ? "added" : "updated", res->one, id, what ? " " : "",
		       what ? what : "");
out:
	json_decref(j);
	json_decref(body);
	resp_reset(&r);
	return err;
}

int rates_import(struct ctl *c, int argc, char **argv);

static void res_help(const struct resource *res, FILE *f)
{
	fprintf(f, "Usage: trunkctl %s COMMAND [options]\n"
	       "Commands:\n"
	       "  list      list %s (filters as options)\n"
	       "  get       show one %s\n"
	       "  add       add a %s\n"
	       "  update    change fields of a %s\n"
	       "  delete    delete a %s\n", res->name, res->name, res->one, res->one, res->one,
	       res->one);
	if (!strcmp(res->name, "numbers"))
		fprintf(f, "  add-range add a range of numbers for one customer, all or nothing\n");
	if (res->nested)
		fprintf(f, "  import    import a CSV rate deck (atomic; a bad row changes nothing)\n");
	fprintf(f, "'trunkctl %s COMMAND --help' for its options.\n", res->name);
}

int cmd_resource(struct ctl *c, const char *name, int argc, char **argv)
{
	const struct resource *res = find(name);
	const char *sub = argc > 0 ? argv[0] : NULL;

	if (!sub || !strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
		res_help(res, sub ? stdout : stderr);
		return sub ? 0 : EX_USAGE;
	}
	if (!strcmp(sub, "list") || !strcmp(sub, "ls"))
		return do_list(c, res, argc - 1, argv + 1);
	if (!strcmp(sub, "get") || !strcmp(sub, "show") || !strcmp(sub, "delete"))
		return do_get(c, res, sub, argc - 1, argv + 1);
	if (!strcmp(sub, "add") || !strcmp(sub, "update"))
		return do_change(c, res, !strcmp(sub, "add"), argc - 1, argv + 1);
	if (!strcmp(sub, "add-range") && !strcmp(res->name, "numbers"))
		return cmd_numbers_range(c, argc - 1, argv + 1);
	if (!strcmp(sub, "import") && res->nested)
		return rates_import(c, argc - 1, argv + 1);
	return fail(c, EX_USAGE, "unknown command '%s' (see 'trunkctl %s --help')", sub, name);
}

void resource_words(FILE *f)
{
	for (size_t i = 0; i < NRES; i++) {
		const struct resource *res = &resources[i];

		fprintf(f, "    %s)\n      subs=\"list get add update delete%s%s\"\n      opts=\"",
			res->name, strcmp(res->name, "numbers") ? "" : " add-range",
			res->nested ? " import" : "");
		for (int k = 0; k < nfields(res); k++)
			fprintf(f, "--%s ", res->fields[k].flag);
		if (nfields(res) && res->fields[nfields(res) - 1].type == F_BOOL)
			fprintf(f, "--disabled ");
		fprintf(f, "%s--limit --cursor --all --quiet --help\" ;;\n",
			res->nested ? "--carrier --tariff --columns " : "");
	}
}
