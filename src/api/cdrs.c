/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file cdrs.c  CDR queries: JSON pages and a CSV export streamed from the
 *               database in batches (libmicrohttpd pulls it through a
 *               callback, so the export is never built in memory).
 */
#include <errno.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api_int.h"

#define LOG_MOD "api"

enum { CSV_BATCH = 500 };

static const char *side_str(enum store_side s)
{
	static const char *const n[] = { "none", "caller", "callee", "system" };

	return (unsigned)s < ARRAY_SIZE(n) ? n[s] : "none";
}

/* ?from=&to=&customer_id=&carrier_id=&number=&sip_code=&cause=&direction=
 * into f; errors recorded on r. The number is kept by the request. */
static void filter_parse(struct api_req *r, struct store_cdr_filter *f)
{
	static const char *const ints[] = { "customer_id", "carrier_id", "sip_code", "cause" };
	const char *s;

	memset(f, 0, sizeof(*f));
	f->dir = -1;
	for (int i = 0; i < 2; i++) {
		const char *name = i ? "to" : "from";
		int64_t *v = i ? &f->to_ms : &f->from_ms;

		if (!(s = api_query(r, name)))
			continue;
		if (strspn(s, "0123456789") == strlen(s) && *s && strlen(s) <= 15)
			*v = strtoll(s, NULL, 10);
		else if (api_date_parse(s, v))
			api_field_err(r, name, "expected a UTC time like 2025-01-31T12:00:00Z, a "
				      "date, or Unix milliseconds");
	}
	for (size_t i = 0; i < ARRAY_SIZE(ints); i++) {
		char *end;
		long long v;

		if (!(s = api_query(r, ints[i])))
			continue;
		v = strtoll(s, &end, 10);
		if (!*s || *end || v <= 0 || v > (i >= 2 ? 999 : INT64_MAX)) {
			api_field_err(r, ints[i], "expected a positive integer%s",
				      i >= 2 ? " up to 999" : "");
			continue;
		}
		if (i == 0)
			f->customer_id = v;
		else if (i == 1)
			f->carrier_id = v;
		else if (i == 2)
			f->sip_code = (int)v;
		else
			f->q850_cause = (int)v;
	}
	if ((s = api_query(r, "number"))) {
		if (!*s || strlen(s) > 64)
			api_field_err(r, "number", "expected a number as the CDR holds it");
		f->number = s;
	}
	if ((s = api_query(r, "direction"))) {
		if (!strcmp(s, "in"))
			f->dir = STORE_DIR_IN;
		else if (!strcmp(s, "out"))
			f->dir = STORE_DIR_OUT;
		else
			api_field_err(r, "direction", "expected in or out");
	}
	if (f->from_ms && f->to_ms && f->to_ms <= f->from_ms)
		api_field_err(r, "to", "must be after from");
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *cdr_json(const struct store_cdr *c)
{
	char cost[DEC_FMT_MAX], price[DEC_FMT_MAX];
	json_t *o = json_object(), *att = NULL;

	if (!o)
		return NULL;
	if (c->attempts_json)
		att = json_loads(c->attempts_json, 0, NULL);
	json_object_set_new(o, "id", json_integer(c->id));
	json_object_set_new(o, "call_id", str_or_null(c->call_id));
	json_object_set_new(o, "direction", json_string(c->dir == STORE_DIR_IN ? "in" : "out"));
	json_object_set_new(o, "customer_id", c->customer_id ? json_integer(c->customer_id)
							      : json_null());
	json_object_set_new(o, "trunk_id", c->trunk_id ? json_integer(c->trunk_id) : json_null());
	json_object_set_new(o, "carrier_id", c->carrier_id ? json_integer(c->carrier_id)
							    : json_null());
	json_object_set_new(o, "caller", str_or_null(c->caller));
	json_object_set_new(o, "dialled", str_or_null(c->dialled));
	json_object_set_new(o, "normalised", str_or_null(c->normalised));
	json_object_set_new(o, "setup_ms", json_integer(c->setup_ms));
	json_object_set_new(o, "ring_ms", c->ring_ms ? json_integer(c->ring_ms) : json_null());
	json_object_set_new(o, "answer_ms", c->answer_ms ? json_integer(c->answer_ms)
							  : json_null());
	json_object_set_new(o, "end_ms", json_integer(c->end_ms));
	json_object_set_new(o, "disconnect_side", json_string(side_str(c->disconnect_side)));
	json_object_set_new(o, "sip_code", json_integer(c->sip_code));
	json_object_set_new(o, "cause", c->q850_cause ? json_integer(c->q850_cause) : json_null());
	json_object_set_new(o, "reason", str_or_null(c->reason));
	json_object_set_new(o, "billed_sec", json_integer(c->billed_sec));
	json_object_set_new(o, "cost", json_string(dec_fmt(c->cost, cost, sizeof(cost))));
	json_object_set_new(o, "price", json_string(dec_fmt(c->price, price, sizeof(price))));
	json_object_set_new(o, "attempts", att ? att : json_array());
	return o;
}

struct page {
	json_t *items;
	int64_t last;
	size_t n, limit;
	bool more;
};

static int page_row(const struct store_cdr *c, void *arg)
{
	struct page *p = arg;

	if (p->n == p->limit) {
		p->more = true;
		return 1;
	}
	json_array_append_new(p->items, cdr_json(c));
	p->last = c->id;
	p->n++;
	return 0;
}

void api_h_cdr_list(struct api_req *r, const void *arg)
{
	struct store_cdr_filter f;
	struct page p = { 0 };
	const char *s;
	json_t *o;
	char cur[24];
	int err;

	filter_parse(r, &f);
	p.limit = API_LIMIT_DEFAULT;
	if ((s = api_query(r, "limit"))) {
		char *end;
		long long v = strtoll(s, &end, 10);

		if (!*s || *end || v < 1 || v > API_LIMIT_MAX)
			api_field_err(r, "limit", "expected an integer 1..%d", API_LIMIT_MAX);
		else
			p.limit = (size_t)v;
	}
	if ((s = api_query(r, "cursor"))) {
		char *end;
		long long v = strtoll(s, &end, 10);

		if (!*s || *end || v < 0)
			api_field_err(r, "cursor", "expected the next_cursor of the previous page");
		else
			f.after_id = v;
	}
	if (api_has_errors(r)) {
		api_problem(r, 400, "Bad query", "invalid query parameters (see errors)");
		return;
	}
	f.limit = (unsigned)p.limit + 1;
	p.items = json_array();
	err = store_cdr_query(r->api->st, &f, page_row, &p);
	if (err < 0) {
		json_decref(p.items);
		api_store_problem(r, err, "cannot query CDRs");
		return;
	}
	snprintf(cur, sizeof(cur), "%lld", (long long)p.last);
	o = json_object();
	json_object_set_new(o, "items", p.items);
	json_object_set_new(o, "next_cursor", p.more ? json_string(cur) : json_null());
	api_reply_json(r, 200, o);
}

static int one_row(const struct store_cdr *c, void *arg)
{
	*(json_t **)arg = cdr_json(c);
	return 1;
}

void api_h_cdr_get(struct api_req *r, const void *arg)
{
	struct store_cdr_filter f = { .after_id = r->param[0] - 1, .dir = -1, .limit = 1 };
	json_t *o = NULL;
	int err = store_cdr_query(r->api->st, &f, one_row, &o);

	if (err < 0) {
		api_store_problem(r, err, "cannot read the CDR");
		return;
	}
	if (!o || json_integer_value(json_object_get(o, "id")) != r->param[0]) {
		json_decref(o);
		api_problem(r, 404, NULL, "no CDR %lld", (long long)r->param[0]);
		return;
	}
	api_reply_json(r, 200, o);
}

/* ------------------------------------------------------------------ */
/* CSV export                                                           */
/* ------------------------------------------------------------------ */

struct csv {
	struct api *api;          /* borrowed: the export runs on the HTTP thread */
	struct store_cdr_filter f;
	char *number;             /* owned copy of the filter's number */
	char *buf;                /* owned: one batch as CSV text */
	size_t len, pos, cap;
	size_t batch_rows;
	bool done;
};

static int csv_put(struct csv *x, const char *s, size_t n)
{
	if (x->len + n + 1 > x->cap) {
		size_t cap = (x->len + n + 1) * 2;
		char *b = realloc(x->buf, cap);

		if (!b)
			return -ENOMEM;
		x->buf = b;
		x->cap = cap;
	}
	memcpy(x->buf + x->len, s, n);
	x->len += n;
	return 0;
}

/* One field, quoted when it holds a comma, quote or line break. */
static int csv_field(struct csv *x, const char *s, bool last)
{
	int err = 0;

	if (s && strpbrk(s, ",\"\r\n")) {
		err |= csv_put(x, "\"", 1);
		for (const char *p = s; *p; p++)
			err |= *p == '"' ? csv_put(x, "\"\"", 2) : csv_put(x, p, 1);
		err |= csv_put(x, "\"", 1);
	}
	else if (s) {
		err |= csv_put(x, s, strlen(s));
	}
	err |= csv_put(x, last ? "\r\n" : ",", last ? 2 : 1);
	return err ? -ENOMEM : 0;
}

static int csv_int(struct csv *x, int64_t v, bool null0)
{
	char b[24];

	if (null0 && !v)
		return csv_field(x, "", false);
	snprintf(b, sizeof(b), "%lld", (long long)v);
	return csv_field(x, b, false);
}

static const char csv_header[] =
	"id,call_id,direction,customer_id,trunk_id,carrier_id,caller,dialled,normalised,"
	"setup_ms,ring_ms,answer_ms,end_ms,disconnect_side,sip_code,cause,reason,billed_sec,"
	"cost,price,attempts\r\n";

static int csv_row(const struct store_cdr *c, void *arg)
{
	struct csv *x = arg;
	char cost[DEC_FMT_MAX], price[DEC_FMT_MAX];
	int err = 0;

	err |= csv_int(x, c->id, false);
	err |= csv_field(x, c->call_id, false);
	err |= csv_field(x, c->dir == STORE_DIR_IN ? "in" : "out", false);
	err |= csv_int(x, c->customer_id, true);
	err |= csv_int(x, c->trunk_id, true);
	err |= csv_int(x, c->carrier_id, true);
	err |= csv_field(x, c->caller, false);
	err |= csv_field(x, c->dialled, false);
	err |= csv_field(x, c->normalised, false);
	err |= csv_int(x, c->setup_ms, false);
	err |= csv_int(x, c->ring_ms, true);
	err |= csv_int(x, c->answer_ms, true);
	err |= csv_int(x, c->end_ms, false);
	err |= csv_field(x, side_str(c->disconnect_side), false);
	err |= csv_int(x, c->sip_code, false);
	err |= csv_int(x, c->q850_cause, true);
	err |= csv_field(x, c->reason, false);
	err |= csv_int(x, c->billed_sec, false);
	err |= csv_field(x, dec_fmt(c->cost, cost, sizeof(cost)), false);
	err |= csv_field(x, dec_fmt(c->price, price, sizeof(price)), false);
	err |= csv_field(x, c->attempts_json ? c->attempts_json : "[]", true);
	x->f.after_id = c->id;
	x->batch_rows++;
	return err ? -ENOMEM : 0;
}

static ssize_t csv_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct csv *x = cls;
	size_t n;

	if (x->pos == x->len) {
		int err;

		if (x->done)
			return MHD_CONTENT_READER_END_OF_STREAM;
		x->len = x->pos = 0;
		x->batch_rows = 0;
		x->f.limit = CSV_BATCH;
		err = store_cdr_query(x->api->st, &x->f, csv_row, x);
		if (err) {
			LERR("CDR export failed err=%d msg=\"%s\"", err, store_errmsg(x->api->st));
			return MHD_CONTENT_READER_END_WITH_ERROR;
		}
		if (x->batch_rows < CSV_BATCH)
			x->done = true;
		if (!x->len)
			return MHD_CONTENT_READER_END_OF_STREAM;
	}
	n = x->len - x->pos;
	if (n > max)
		n = max;
	memcpy(buf, x->buf + x->pos, n);
	x->pos += n;
	return (ssize_t)n;
}

static void csv_free(void *cls)
{
	struct csv *x = cls;

	free(x->number);
	free(x->buf);
	free(x);
}

void api_h_cdr_csv(struct api_req *r, const void *arg)
{
	struct MHD_Response *resp;
	struct csv *x = calloc(1, sizeof(*x));

	if (!x) {
		api_problem(r, 500, NULL, "out of memory");
		return;
	}
	filter_parse(r, &x->f);
	if (api_has_errors(r)) {
		free(x);
		api_problem(r, 400, "Bad query", "invalid query parameters (see errors)");
		return;
	}
	x->api = r->api;
	if (x->f.number && !(x->number = strdup(x->f.number))) {
		free(x);
		api_problem(r, 500, NULL, "out of memory");
		return;
	}
	x->f.number = x->number;
	if (csv_put(x, csv_header, sizeof(csv_header) - 1)) {
		csv_free(x);
		api_problem(r, 500, NULL, "out of memory");
		return;
	}
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, csv_read, x, csv_free);
	if (!resp) {
		csv_free(x);
		api_problem(r, 500, NULL, "out of memory");
		return;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/csv; charset=utf-8");
	MHD_add_response_header(resp, "Content-Disposition", "attachment; filename=\"cdrs.csv\"");
	api_reply_resp(r, 200, resp);
}
