/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file rates.c  Rate decks and tariff prices through the API: one rate as
 *                JSON, or a whole CSV deck (POST text/csv) imported in one
 *                transaction, where a bad row rejects everything with its
 *                line and column.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "api_int.h"

#define LOG_MOD "api"

enum col { C_PREFIX, C_RATE, C_FEE, C_INC_FIRST, C_INC_NEXT, C_FROM, C_INC, C_N };
enum { CSV_FIELDS = 16 };

static const struct {
	const char *name;
	enum col col;
} col_names[] = {
	{ "prefix", C_PREFIX }, { "rate", C_RATE }, { "price", C_RATE },
	{ "connect_fee", C_FEE }, { "fee", C_FEE }, { "inc_first", C_INC_FIRST },
	{ "inc_next", C_INC_NEXT }, { "increments", C_INC }, { "effective_from", C_FROM },
	{ "from", C_FROM },
};

static const char *const col_label[C_N] = {
	"prefix", "rate", "connect_fee", "inc_first", "inc_next", "effective_from", "increments",
};

enum { DATE_CACHE = 64 };

struct imp {
	struct api_req *r;
	unsigned line;
	int cols[C_N];             /* field index of each column, -1 = absent */
	bool failed;
	/* effective_from dates already parsed, by a hash of the text: a deck
	 * has few distinct ones, and strptime + timegm per row cost more
	 * than the rest of the row's checks */
	struct {
		char s[24];
		int64_t ms;
	} dates[DATE_CACHE];
};

/* One checked row, kept for the insert (40 bytes: a million rows are
 * 40 MB beside the body). The prefix is its key: 1 to 15 digits as
 * nibbles (digit + 1) from the top, 0 after the last, so that integer
 * order is the store's text order ("44" < "440" < "45"). */
struct drow {
	uint64_t key;
	int64_t rate, fee, from;
	uint32_t line;
	uint16_t inc_first, inc_next;
};

static uint64_t prefix_key(const char *s)
{
	uint64_t k = 0;
	int i;

	for (i = 0; s[i]; i++)
		k |= (uint64_t)(s[i] - '0' + 1) << (60 - 4 * i);
	return k;
}

static void prefix_str(uint64_t k, char buf[16])
{
	int i;

	for (i = 0; i < 15 && (k >> (60 - 4 * i)) & 0xf; i++)
		buf[i] = (char)('0' + ((k >> (60 - 4 * i)) & 0xf) - 1);
	buf[i] = 0;
}

/* Record the first fault (line, 1-based column) and stop. */
static void imp_err(struct imp *im, const char *field, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void imp_err(struct imp *im, const char *field, int col, const char *fmt, ...)
{
	char detail[512];
	va_list ap;
	json_t *e;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (!im->r->errors)
		im->r->errors = json_array();
	e = json_pack("{s:s, s:s, s:I}", "field", field, "detail", detail, "line",
		      (json_int_t)im->line);
	if (e && col >= 0)
		json_object_set_new(e, "column", json_integer(col + 1));
	json_array_append_new(im->r->errors, e);
	im->failed = true;
}

static int col_find(const char *name)
{
	for (size_t k = 0; k < ARRAY_SIZE(col_names); k++) {
		if (!strcasecmp(name, col_names[k].name))
			return (int)col_names[k].col;
	}
	return -1;
}

static int imp_header(struct imp *im, char **f, int n)
{
	for (int i = 0; i < C_N; i++)
		im->cols[i] = -1;
	for (int i = 0; i < n; i++) {
		int c = col_find(f[i]);

		if (c < 0) {
			imp_err(im, "header", i, "unknown column '%s' (known: prefix, rate, "
				"connect_fee, inc_first, inc_next, increments, effective_from)", f[i]);
			return -EINVAL;
		}
		if (im->cols[c] >= 0) {
			imp_err(im, "header", i, "column '%s' given twice", f[i]);
			return -EINVAL;
		}
		im->cols[c] = i;
	}
	if (im->cols[C_PREFIX] < 0 || im->cols[C_RATE] < 0) {
		imp_err(im, "header", -1, "the columns prefix and rate are required");
		return -EINVAL;
	}
	if (im->cols[C_INC] >= 0 && (im->cols[C_INC_FIRST] >= 0 || im->cols[C_INC_NEXT] >= 0)) {
		imp_err(im, "header", -1, "give increments or inc_first/inc_next, not both");
		return -EINVAL;
	}
	return 0;
}

static const char *fld(char **f, int n, int idx)
{
	return idx >= 0 && idx < n && *f[idx] ? f[idx] : NULL;
}

static int inc_parse(const char *s, int64_t *a, int64_t *b)
{
	char *end;
	long x, y;

	errno = 0;
	x = strtol(s, &end, 10);
	if (errno || end == s || *end != '/' || !isdigit((unsigned char)end[1]))
		return -EINVAL;
	y = strtol(end + 1, &end, 10);
	if (errno || *end || x < 1 || y < 1 || x > 65535 || y > 65535)
		return -EINVAL;
	*a = x;
	*b = y;
	return 0;
}

/* api_date_parse through the cache of the dates seen before. */
static int date_parse(struct imp *im, const char *s, int64_t *ms)
{
	size_t l = strlen(s);
	unsigned h = 0, slot;
	int err;

	for (size_t i = 0; i < l; i++)
		h = h * 31 + (unsigned char)s[i];
	slot = h % DATE_CACHE;
	if (im->dates[slot].s[0] && !strcmp(im->dates[slot].s, s)) {
		*ms = im->dates[slot].ms;
		return 0;
	}
	err = api_date_parse(s, ms);
	if (!err && l < sizeof(im->dates[0].s)) {
		memcpy(im->dates[slot].s, s, l + 1);
		im->dates[slot].ms = *ms;
	}
	return err;
}

static int imp_row(struct imp *im, char **f, int n, struct store_rate *r)
{
	const int *c = im->cols;
	const char *s;

	for (int i = 0; i < n; i++) {
		bool used = false;

		for (int k = 0; k < C_N; k++)
			used |= c[k] == i;
		if (!used && *f[i]) {
			imp_err(im, "row", i, "unexpected field '%s'", f[i]);
			return -EINVAL;
		}
	}
	s = fld(f, n, c[C_PREFIX]);
	if (!s || strspn(*s == '+' ? s + 1 : s, "0123456789") != strlen(*s == '+' ? s + 1 : s) ||
	    strlen(*s == '+' ? s + 1 : s) < 1 || strlen(*s == '+' ? s + 1 : s) > 15) {
		imp_err(im, "prefix", c[C_PREFIX], "bad prefix '%s': expected 1 to 15 digits",
			s ? s : "");
		return -EINVAL;
	}
	r->prefix = (char *)(uintptr_t)(*s == '+' ? s + 1 : s);
	s = fld(f, n, c[C_RATE]);
	if (!s || dec_parse(&(struct pl){ s, strlen(s) }, &r->rate) || r->rate < 0) {
		imp_err(im, "rate", c[C_RATE], "bad rate '%s': expected an amount >= 0 with at "
			"most %d decimals, like 0.0125", s ? s : "", DEC_DIGITS);
		return -EINVAL;
	}
	r->connect_fee = 0;
	r->inc_first = r->inc_next = 60;
	r->effective_from = 0;
	if ((s = fld(f, n, c[C_FEE])) &&
	    (dec_parse(&(struct pl){ s, strlen(s) }, &r->connect_fee) || r->connect_fee < 0)) {
		imp_err(im, "connect_fee", c[C_FEE], "bad connect_fee '%s': expected an amount >= 0 "
			"with at most %d decimals", s, DEC_DIGITS);
		return -EINVAL;
	}
	if ((s = fld(f, n, c[C_INC])) && inc_parse(s, &r->inc_first, &r->inc_next)) {
		imp_err(im, "increments", c[C_INC], "bad increments '%s': expected FIRST/NEXT "
			"seconds like 60/60", s);
		return -EINVAL;
	}
	for (int i = C_INC_FIRST; i <= C_INC_NEXT; i++) {
		char *end;
		long long v;

		if (!(s = fld(f, n, c[i])))
			continue;
		errno = 0;
		v = strtoll(s, &end, 10);
		if (errno || *end || v < 1 || v > 65535) {
			imp_err(im, col_label[i], c[i], "bad %s '%s': expected 1..65535 seconds",
				col_label[i], s);
			return -EINVAL;
		}
		*(i == C_INC_FIRST ? &r->inc_first : &r->inc_next) = v;
	}
	if ((s = fld(f, n, c[C_FROM]))) {
		if (strspn(s, "0123456789") == strlen(s) && strlen(s) <= 12) {
			r->effective_from = strtoll(s, NULL, 10) * 1000;
		}
		else if (date_parse(im, s, &r->effective_from)) {
			imp_err(im, "effective_from", c[C_FROM], "bad effective_from '%s': expected "
				"a UTC date like 2025-01-31 or 2025-01-31T12:00:00Z, or Unix seconds",
				s);
			return -EINVAL;
		}
	}
	return 0;
}

/* The column a store refusal is about (its message names the constraint). */
static int store_col(const struct imp *im, const char *msg, const char **name)
{
	static const struct { const char *needle; enum col c; } map[] = {
		{ "UNIQUE", C_PREFIX }, { "prefix", C_PREFIX }, { "connect_fee", C_FEE },
		{ "inc_first", C_INC_FIRST }, { "inc_next", C_INC_NEXT }, { "rate", C_RATE },
		{ "effective_from", C_FROM },
	};

	for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
		if (strstr(msg, map[i].needle)) {
			*name = col_label[map[i].c];
			return im->cols[map[i].c];
		}
	}
	*name = "row";
	return -1;
}

/* Check every line of the body into rows (file order), up to the first
 * bad one (im->failed set, its error recorded). The body is split in
 * place. *first: a header line may still come. */
static int imp_parse(struct imp *im, char *p, char *end, bool first, struct drow **rowsp,
		     size_t *np)
{
	struct drow *rows;
	struct store_rate row = { 0 };
	size_t n = 0, cap = 1;

	/* a row per line at most: count them rather than grow the array */
	for (const char *q = p; q < end && (q = memchr(q, '\n', (size_t)(end - q))); q++)
		cap++;
	rows = malloc(cap * sizeof(*rows));
	if (!rows)
		return -ENOMEM;
	while (p < end && !im->failed) {
		char *nl = p + strcspn(p, "\r\n"), *f[CSV_FIELDS + 1], *s;
		int nf;

		im->line++;
		if (*nl == '\r' && nl[1] == '\n')
			*nl++ = 0;
		*nl = 0;
		s = p + strspn(p, " \t");
		p = nl + 1;
		if (!*s || *s == '#')
			continue;
		nf = csv_split(s, f, CSV_FIELDS);
		if (nf < 0) {
			imp_err(im, "row", -1, "unterminated or misplaced quote");
			break;
		}
		if (nf > CSV_FIELDS) {
			imp_err(im, "row", CSV_FIELDS, "more than %d fields", CSV_FIELDS);
			break;
		}
		if (first && nf > 0 && col_find(f[0]) >= 0) {
			first = false;
			imp_header(im, f, nf);
			continue;
		}
		first = false;
		if (imp_row(im, f, nf, &row))
			break;
		if (n == cap) {    /* lines ended by a lone CR */
			struct drow *more = realloc(rows, 2 * cap * sizeof(*rows));

			if (!more) {
				free(rows);
				return -ENOMEM;
			}
			rows = more;
			cap *= 2;
		}
		rows[n++] = (struct drow){
			.key = prefix_key(row.prefix), .rate = row.rate, .fee = row.connect_fee,
			.from = row.effective_from, .line = im->line,
			.inc_first = (uint16_t)row.inc_first, .inc_next = (uint16_t)row.inc_next,
		};
	}
	*rowsp = rows;
	*np = n;
	return 0;
}

/* The store's key order: (prefix, effective_from), then the file's. */
static int drow_cmp(const void *va, const void *vb)
{
	const struct drow *a = va, *b = vb;

	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	if (a->from != b->from)
		return a->from < b->from ? -1 : 1;
	return a->line < b->line ? -1 : a->line > b->line;
}

static int drow_line_cmp(const void *va, const void *vb)
{
	const struct drow *a = va, *b = vb;

	return a->line < b->line ? -1 : a->line > b->line;
}

/* Add the rows to the bulk in their order. Returns 0, or the store's
 * error with *bad the row it refused. */
static int imp_insert(struct store_bulk *b, int64_t owner, const struct drow *rows, size_t n,
		      const struct drow **bad)
{
	struct store_rate row = { .owner_id = owner };
	char prefix[16];

	row.prefix = prefix;
	for (size_t i = 0; i < n; i++) {
		const struct drow *d = &rows[i];
		int err;

		prefix_str(d->key, prefix);
		row.rate = d->rate;
		row.connect_fee = d->fee;
		row.inc_first = d->inc_first;
		row.inc_next = d->inc_next;
		row.effective_from = d->from;
		err = store_rate_bulk_add(b, &row);
		if (err) {
			*bad = d;
			return err;
		}
	}
	return 0;
}

void api_rates_import(struct api_req *r, const struct api_kind *k, int64_t owner)
{
	struct imp im = { .r = r, .cols = { 0, 1, 2, 3, 4, 5, -1 } };
	struct store_bulk *b = NULL;
	struct store *st = r->api->st;
	const char *cols = api_query(r, "columns");
	char *p = r->body ? r->body : (char *)"", *end = p + r->blen;
	struct drow *rows = NULL;
	const struct drow *bad = NULL;
	bool first = true, sorted = true;
	json_t *held = NULL;
	size_t n = 0;
	int err;

	if (cols) {
		/* Column order without a header line: ?columns=prefix,rate,... */
		char *copy = api_keep_str(r, cols), *f[CSV_FIELDS + 1];
		int nf = copy ? csv_split(copy, f, CSV_FIELDS) : -1;

		im.line = 0;
		if (nf < 1 || nf > CSV_FIELDS || imp_header(&im, f, nf)) {
			if (!im.failed)
				api_field_err(r, "columns", "expected column names separated by commas");
			api_problem(r, 400, "Bad query", "invalid columns parameter (see errors)");
			return;
		}
		first = false;
	}
	if (r->blen >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3))
		p += 3;    /* a UTF-8 byte order mark, as spreadsheets write */
	if (memchr(p, 0, (size_t)(end - p))) {
		api_field_err(r, "body", "NUL byte in the CSV");
		api_problem(r, 422, "Invalid CSV", "the body contains a NUL byte; nothing imported");
		return;
	}
	/* 1. Check every row before touching the store. */
	if (imp_parse(&im, p, end, first, &rows, &n)) {
		api_problem(r, 500, NULL, "out of memory");
		return;
	}
	err = store_rate_bulk_begin(st, (enum store_deck)k->deck, &b);
	if (err) {
		api_store_problem(r, err, "cannot start the import");
		goto out;
	}
	/* 2. A good deck goes in in the store's key order: the unique index
	 * then grows at its end instead of at a random page per row, which
	 * is most of the insert's time for a large deck. (Rows get their ids
	 * in that order.) Decks often come sorted already. */
	if (!im.failed) {
		for (size_t i = 1; i < n && sorted; i++)
			sorted = drow_cmp(&rows[i - 1], &rows[i]) < 0;
		if (!sorted)
			qsort(rows, n, sizeof(*rows), drow_cmp);
		err = imp_insert(b, owner, rows, n, &bad);
		if (!err)
			goto commit;
		if (sorted)
			goto refused;    /* file order: bad is the first refusal */
		/* Refused in key order: start again in file order, so that the
		 * refusal reported is that of the first bad line, as always. */
		qsort(rows, n, sizeof(*rows), drow_line_cmp);
		store_rate_bulk_end(b, false);
		err = store_rate_bulk_begin(st, (enum store_deck)k->deck, &b);
		if (err) {
			api_store_problem(r, err, "cannot start the import");
			goto out;
		}
	}
	else {
		/* A bad line: the rows before it may still hold an earlier
		 * fault only the store sees (a prefix and date already there),
		 * which is the one to report. */
		held = r->errors;
		r->errors = NULL;
		im.failed = false;
	}
	err = imp_insert(b, owner, rows, n, &bad);
	if (!err) {
		/* no earlier fault: report the bad line */
		r->errors = held;
		held = NULL;
		im.failed = true;
		goto reject;
	}
refused: {
		const char *msg = store_errmsg(st), *name;
		int col = store_col(&im, msg, &name);

		im.line = bad->line;
		imp_err(&im, name, col, "%s%s",
			err == -EEXIST ? "duplicate rate (same prefix and date): " : "", msg);
	}
reject: {
		json_t *e0 = json_array_get(r->errors, 0), *col = json_object_get(e0, "column");
		long long line = (long long)json_integer_value(json_object_get(e0, "line"));
		char where[64];

		if (col)
			snprintf(where, sizeof(where), "line %lld, column %lld", line,
				 (long long)json_integer_value(col));
		else
			snprintf(where, sizeof(where), "line %lld", line);
		store_rate_bulk_end(b, false);
		api_problem(r, 422, "Invalid rate deck", "%s: %s; nothing imported", where,
			    json_string_value(json_object_get(e0, "detail")));
		goto out;
	}
commit:
	err = store_rate_bulk_end(b, true);
	if (err) {
		api_store_problem(r, err, "import not committed, nothing changed");
		goto out;
	}
	LINFO("imported kind=\"%s\" owner=%lld rows=%zu order=%s", k->name, (long long)owner, n,
	      sorted ? "file" : "key");
	api_reply_json(r, 201, json_pack("{s:I, s:I}", "imported", (json_int_t)n,
					 k->deck == STORE_DECK_CARRIER ? "carrier_id" : "tariff_id",
					 (json_int_t)owner));
out:
	json_decref(held);
	free(rows);
}

/* POST .../rates: one rate as JSON, or a CSV deck. */
void api_h_rate_create(struct api_req *r, const void *arg)
{
	const struct api_kind *k = arg;
	void *row;
	int err;

	if (!r->ctype || strncasecmp(r->ctype, "text/csv", 8)) {
		api_h_create(r, arg);
		return;
	}
	/* The owner must exist: read it as the generic handlers do. */
	row = calloc(1, k->owner->size);
	if (!row) {
		api_problem(r, 500, NULL, "out of memory");
		return;
	}
	err = k->owner->get(r->api->st, r->param[0], row, k->owner);
	k->owner->reset(row);
	free(row);
	if (err == -ENOENT) {
		api_problem(r, 404, NULL, "no %s %lld", k->owner->name, (long long)r->param[0]);
		return;
	}
	if (err) {
		api_store_problem(r, err, "cannot read the owner");
		return;
	}
	api_rates_import(r, k, r->param[0]);
}
