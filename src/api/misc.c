/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file misc.c  Route explanations (the decision of the published routing
 *               snapshot, as JSON), Prometheus metrics, the OpenAPI
 *               document and the health check.
 */
#include <errno.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "api_int.h"
#include "route.h"

#define LOG_MOD "api"

/* ------------------------------------------------------------------ */
/* Route explain                                                        */
/* ------------------------------------------------------------------ */

static json_t *money(int64_t v)
{
	char b[DEC_FMT_MAX];

	return json_string(dec_fmt(v, b, sizeof(b)));
}

json_t *api_name_of(struct api_req *r, bool carrier, int64_t id)
{
	json_t *v = json_null();

	if (!id)
		return v;
	for (unsigned i = 0; i < r->nnames; i++) {
		if (r->names[i].carrier == carrier && r->names[i].id == id)
			return json_incref(r->names[i].name);
	}
	if (carrier) {
		struct store_carrier c;

		if (!store_carrier_get(r->api->st, id, &c)) {
			v = json_string(c.name);
			store_carrier_reset(&c);
		}
	} else {
		struct store_customer c;

		if (!store_customer_get(r->api->st, id, &c)) {
			v = json_string(c.name);
			store_customer_reset(&c);
		}
	}
	if (r->nnames < API_NAMES_MEMO) {
		r->names[r->nnames].carrier = carrier;
		r->names[r->nnames].id = id;
		r->names[r->nnames++].name = json_incref(v);
	}
	return v;
}

static const char *tp_name(enum route_transport t)
{
	return t == ROUTE_TP_TCP ? "tcp" : t == ROUTE_TP_TLS ? "tls" : "udp";
}

static json_t *decision_json(struct api_req *r, const struct route_decision *d,
			     const struct route_snap *snap, const struct store_customer *c)
{
	json_t *o = json_object(), *att = json_array(), *sk = json_array();
	char text[16384], prefix[ROUTE_NUM_MAX];
	int n;

	json_object_set_new(o, "status", json_integer(d->status ? d->status : 200));
	json_object_set_new(o, "routed", json_boolean(!d->status));
	json_object_set_new(o, "reason", json_string(d->reason ? d->reason : ""));
	if (d->retry_after)
		json_object_set_new(o, "retry_after", json_integer(d->retry_after));
	json_object_set_new(o, "customer", json_pack("{s:I, s:s, s:b}", "id", (json_int_t)c->id,
						     "name", c->name, "enabled", c->enabled));
	json_object_set_new(o, "dialled", json_string(d->dialled));
	json_object_set_new(o, "e164", d->e164[0] ? json_string(d->e164) : json_null());
	if (d->has_tariff) {
		/* The matched tariff prefix is the start of the number's digits. */
		snprintf(prefix, sizeof(prefix), "%.*s", d->tariff_plen,
			 d->e164[0] == '+' ? d->e164 + 1 : d->e164);
		json_object_set_new(o, "tariff", json_pack("{s:s, s:o, s:o, s:i, s:i, s:o}",
			"prefix", prefix, "rate", money(d->price_rate), "connect_fee",
			money(d->price_fee), "inc_first", d->price_inc_first, "inc_next",
			d->price_inc_next, "price_1min", money(d->price)));
	}
	else {
		json_object_set_new(o, "tariff", json_null());
	}
	for (uint32_t i = 0; i < d->nattempts; i++) {
		const struct route_attempt *a = &d->attempt[i];
		json_t *g = json_null();

		if (a->gw)
			g = json_pack("{s:I, s:s, s:i, s:s}", "id", (json_int_t)a->gw->id, "host",
				      a->gw->host, "port", a->gw->port, "transport",
				      tp_name(a->gw->transport));
		snprintf(prefix, sizeof(prefix), "%.*s", a->plen,
			 d->e164[0] == '+' ? d->e164 + 1 : d->e164);
		json_array_append_new(att, json_pack(
			"{s:i, s:I, s:o, s:o, s:s, s:s, s:o, s:o, s:i, s:i, s:o, s:o, s:o, s:s}",
			"order", (int)i + 1, "carrier_id", (json_int_t)a->carrier_id,
			"carrier", api_name_of(r, true, a->carrier_id), "gateway", g,
			"pick", route_pick_str(a->pick), "prefix", prefix,
			"rate", money(a->rate), "connect_fee", money(a->fee),
			"inc_first", a->inc_first, "inc_next", a->inc_next,
			"cost_1min", money(a->cost), "price_1min", money(a->price),
			"margin_1min", money(a->margin), "number", a->number));
	}
	for (uint32_t i = 0; i < d->nskipped; i++) {
		const struct route_skipped *s = &d->skipped[i];

		snprintf(prefix, sizeof(prefix), "%.*s", s->plen,
			 d->e164[0] == '+' ? d->e164 + 1 : d->e164);
		json_array_append_new(sk, json_pack("{s:I, s:o, s:s, s:o, s:o}",
			"carrier_id", (json_int_t)s->carrier_id, "carrier",
			api_name_of(r, true, s->carrier_id), "why", route_skip_str(s->why),
			"prefix", s->plen ? json_string(prefix) : json_null(),
			"cost_1min", s->plen ? money(s->cost) : json_null()));
	}
	json_object_set_new(o, "attempts", att);
	json_object_set_new(o, "skipped", sk);
	if (d->nskipped_lost)
		json_object_set_new(o, "skipped_not_shown", json_integer(d->nskipped_lost));
	n = route_decision_format(d, snap, text, sizeof(text));
	if (n >= 0)
		json_object_set_new(o, "text", json_string(text));
	return o;
}

/* GET /api/route/explain?customer=C&number=N[&at=T] */
void api_h_route_explain(struct api_req *r, const void *arg)
{
	const char *cust = api_query(r, "customer"), *num = api_query(r, "number");
	const char *at = api_query(r, "at");
	struct store_customer c = { 0 };
	struct route_decision *d = NULL;
	struct route_snap *snap = NULL;
	int64_t now = (int64_t)time(NULL);
	int err = -ENOENT;

	if (!cust || !*cust)
		api_field_err(r, "customer", "required: the customer's id or name");
	if (!num || !*num)
		api_field_err(r, "number", "required: the number as dialled");
	else if (strlen(num) >= ROUTE_DIALLED_MAX)
		api_field_err(r, "number", "at most %d characters", ROUTE_DIALLED_MAX - 1);
	if (at) {
		int64_t ms;

		if (strspn(at, "0123456789") == strlen(at) && *at && strlen(at) <= 12)
			now = strtoll(at, NULL, 10);
		else if (api_date_parse(at, &ms))
			api_field_err(r, "at", "expected a UTC time like 2025-01-31T12:00:00Z or "
				      "Unix seconds");
		else
			now = ms / 1000;
	}
	if (api_has_errors(r)) {
		api_problem(r, 400, "Bad query", "invalid query parameters (see errors)");
		return;
	}
	if (strspn(cust, "0123456789") == strlen(cust) && strlen(cust) < 19)
		err = store_customer_get(r->api->st, strtoll(cust, NULL, 10), &c);
	if (err == -ENOENT)
		err = store_customer_find(r->api->st, cust, &c);
	if (err == -ENOENT) {
		api_field_err(r, "customer", "no customer '%s'", cust);
		api_problem(r, 404, NULL, "no customer '%s'", cust);
		return;
	}
	if (err) {
		api_store_problem(r, err, "cannot read the customer");
		return;
	}
	snap = route_snap_acquire();
	if (!snap) {
		api_problem(r, 503, NULL, "no routing snapshot is published yet");
		goto out;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		api_problem(r, 500, NULL, "out of memory");
		goto out;
	}
	err = route_decide(snap, r->api->prm.live, c.id > UINT32_MAX ? 0 : (uint32_t)c.id,
			   &(struct pl){ num, strlen(num) }, now, d);
	if (err) {
		api_problem(r, 500, NULL, "cannot decide: %s", strerror(-err));
		goto out;
	}
	api_reply_json(r, 200, decision_json(r, d, snap, &c));
out:
	free(d);
	route_snap_release(snap);
	store_customer_reset(&c);
}

/* ------------------------------------------------------------------ */
/* Metrics                                                              */
/* ------------------------------------------------------------------ */

struct api_metrics {
	char *buf;
	size_t len, cap;
	char last[128];           /* the name whose HELP/TYPE was written last */
	bool oom;
};

static void mprintf(struct api_metrics *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void mprintf(struct api_metrics *m, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (int i = 0; i < 2 && !m->oom; i++) {
		va_start(ap, fmt);
		n = vsnprintf(m->buf + m->len, m->cap - m->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			m->oom = true;
			return;
		}
		if ((size_t)n < m->cap - m->len) {
			m->len += (size_t)n;
			return;
		}
		{
			size_t cap = (m->cap + (size_t)n + 1) * 2;
			char *b = realloc(m->buf, cap);

			if (!b) {
				m->oom = true;
				return;
			}
			m->buf = b;
			m->cap = cap;
		}
	}
}

void api_metric(struct api_metrics *m, const char *name, const char *type, const char *help,
		const char *labels, uint64_t value)
{
	if (strcmp(m->last, name)) {
		mprintf(m, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
		snprintf(m->last, sizeof(m->last), "%s", name);
	}
	if (labels && *labels)
		mprintf(m, "%s{%s} %llu\n", name, labels, (unsigned long long)value);
	else
		mprintf(m, "%s %llu\n", name, (unsigned long long)value);
}

void api_metric_hist(struct api_metrics *m, const char *name, const char *help,
		     const char *labels, const struct hist *h, double scale)
{
	uint64_t cum[HIST_MAX + 1], sum, count;
	const char *sep = labels && *labels ? "," : "";

	if (!labels)
		labels = "";
	hist_read(h, cum, &sum, &count);
	if (strcmp(m->last, name)) {
		mprintf(m, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
		snprintf(m->last, sizeof(m->last), "%s", name);
	}
	for (unsigned i = 0; i < h->n; i++)
		mprintf(m, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, sep,
			(double)h->le[i] / scale, (unsigned long long)cum[i]);
	mprintf(m, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep,
		(unsigned long long)count);
	if (*labels) {
		mprintf(m, "%s_sum{%s} %g\n", name, labels, (double)sum / scale);
		mprintf(m, "%s_count{%s} %llu\n", name, labels, (unsigned long long)count);
	} else {
		mprintf(m, "%s_sum %g\n", name, (double)sum / scale);
		mprintf(m, "%s_count %llu\n", name, (unsigned long long)count);
	}
}

static void own_metrics(struct api *a, struct api_metrics *m)
{
	static const char *const cls[] = { "other", "1xx", "2xx", "3xx", "4xx", "5xx" };
	struct route_snap *snap = route_snap_acquire();
	char lab[64];

	api_metric(m, "trunkline_api_requests_total", "counter", "HTTP requests received",
		   "", a->cnt.requests);
	for (unsigned i = 1; i < ARRAY_SIZE(cls); i++) {
		snprintf(lab, sizeof(lab), "class=\"%s\"", cls[i]);
		api_metric(m, "trunkline_api_responses_total", "counter",
			   "HTTP responses by status class", lab, a->cnt.status[i]);
	}
	api_metric(m, "trunkline_api_unauthorized_total", "counter",
		   "requests refused for a missing or wrong token", "", a->cnt.unauthorized);
	if (snap) {
		struct route_snap_stats s;
		static const char *const kinds[] = { "customers", "trunks", "carriers", "gateways",
						     "numbers", "rates", "rate_prefixes",
						     "tariff_prefixes", "tariffs" };
		uint64_t v[ARRAY_SIZE(kinds)];

		route_snap_stats(snap, &s);
		v[0] = s.customers; v[1] = s.trunks; v[2] = s.carriers; v[3] = s.gateways;
		v[4] = s.numbers; v[5] = s.rates; v[6] = s.rate_prefixes;
		v[7] = s.tariff_prefixes; v[8] = s.tariffs;
		for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
			snprintf(lab, sizeof(lab), "kind=\"%s\"", kinds[i]);
			api_metric(m, "trunkline_routing_rows", "gauge",
				   "rows in the published routing snapshot", lab, v[i]);
		}
		api_metric(m, "trunkline_routing_snapshot_bytes", "gauge",
			   "memory held by the routing snapshot", "", s.bytes);
		api_metric(m, "trunkline_routing_snapshot_generation", "gauge",
			   "store generation the published snapshot was built from", "",
			   s.generation);
		route_snap_release(snap);
	}
	{
		uint64_t gen = 0;

		if (!store_generation(a->st, &gen))
			api_metric(m, "trunkline_store_generation", "gauge",
				   "provisioning generation in the database", "", gen);
	}
	if (a->prm.cdrw) {
		struct store_cdr_stats s;

		store_cdr_writer_stats(a->prm.cdrw, &s);
		api_metric(m, "trunkline_cdr_submitted_total", "counter", "CDRs accepted by the "
			   "writer", "", s.submitted);
		api_metric(m, "trunkline_cdr_written_total", "counter", "CDRs committed", "",
			   s.written);
		api_metric(m, "trunkline_cdr_rejected_total", "counter", "CDRs refused by the "
			   "writer", "reason=\"queue_full\"", s.rejected_full);
		api_metric(m, "trunkline_cdr_rejected_total", "counter", "", "reason=\"stopping\"",
			   s.rejected_stopped);
		api_metric(m, "trunkline_cdr_failed_total", "counter", "CDRs accepted but not "
			   "written (logged in full)", "", s.failed);
		api_metric_hist(m, "trunkline_store_write_seconds", "CDR writer: one batch, BEGIN "
				"to COMMIT", "", store_cdr_writer_hist(a->prm.cdrw), 1e6);
		api_metric(m, "trunkline_cdr_batches_total", "counter", "CDR transactions "
			   "committed", "", s.batches);
		api_metric(m, "trunkline_cdr_queue_depth", "gauge", "CDRs waiting to be written",
			   "", s.queued);
	}
}

void api_h_metrics(struct api_req *r, const void *arg)
{
	struct api_metrics m = { 0 };

	own_metrics(r->api, &m);
	if (r->api->prm.metricsh)
		r->api->prm.metricsh(&m, r->api->prm.arg);
	if (m.oom || !m.buf) {
		free(m.buf);
		api_problem(r, 500, NULL, "out of memory");
		return;
	}
	api_reply_resp(r, 200, MHD_create_response_from_buffer(m.len, m.buf, MHD_RESPMEM_MUST_FREE));
	if (r->resp)
		MHD_add_response_header(r->resp, MHD_HTTP_HEADER_CONTENT_TYPE,
					"text/plain; version=0.0.4; charset=utf-8");
	else
		free(m.buf);
}

/* ------------------------------------------------------------------ */
/* OpenAPI, health                                                      */
/* ------------------------------------------------------------------ */

void api_h_openapi(struct api_req *r, const void *arg)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		strlen(api_openapi_json), (void *)(uintptr_t)api_openapi_json,
		MHD_RESPMEM_PERSISTENT);

	if (!resp)
		return;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	api_reply_resp(r, 200, resp);
}

void api_h_health(struct api_req *r, const void *arg)
{
	struct route_snap *snap = route_snap_acquire();
	uint64_t gen = 0, snapgen = 0;
	int schema = 0;

	if (snap) {
		struct route_snap_stats s;

		route_snap_stats(snap, &s);
		snapgen = s.generation;
		route_snap_release(snap);
	}
	if (store_generation(r->api->st, &gen) || store_schema_version(r->api->st, &schema)) {
		api_problem(r, 503, NULL, "the database does not answer: %s",
			    store_errmsg(r->api->st));
		return;
	}
	api_reply_json(r, 200, json_pack("{s:s, s:i, s:I, s:I}", "status", "ok", "schema_version",
					 schema, "generation", (json_int_t)gen,
					 "routing_generation", (json_int_t)snapgen));
}
