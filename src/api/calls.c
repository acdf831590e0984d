/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file calls.c  Live calls (list, get, hang up) and traffic statistics
 *                (ASR, ACD, PDD, attempts by code per carrier and per
 *                customer over the last minute, hour or day), read from
 *                the call layer the daemon lends (api_prm.uas).
 */
#include <errno.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "api_int.h"
#include "call.h"

#define LOG_MOD "api"

enum { WORKER_WAIT_MS = 2000 };

static int64_t wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *const phase_name[] = { "setup", "ringing", "answered" };

static json_t *ms_or_null(int64_t ms)
{
	char b[32];

	return ms ? json_string(api_date_fmt(ms, b, sizeof(b))) : json_null();
}

static json_t *call_json(struct api_req *r, const struct call_info *c, int64_t now)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_integer((json_int_t)c->id));
	json_object_set_new(o, "direction", json_string(c->outbound ? "out" : "in"));
	json_object_set_new(o, "state", json_string(phase_name[c->phase]));
	json_object_set_new(o, "customer_id", c->customer_id ? json_integer(c->customer_id)
							     : json_null());
	json_object_set_new(o, "customer", api_name_of(r, false, c->customer_id));
	json_object_set_new(o, "trunk_id", c->trunk_id ? json_integer(c->trunk_id) : json_null());
	json_object_set_new(o, "carrier_id", c->carrier_id ? json_integer(c->carrier_id)
							   : json_null());
	json_object_set_new(o, "carrier", api_name_of(r, true, c->carrier_id));
	json_object_set_new(o, "caller", json_string(c->caller));
	json_object_set_new(o, "dialled", json_string(c->dialled));
	json_object_set_new(o, "e164", c->e164[0] ? json_string(c->e164) : json_null());
	json_object_set_new(o, "call_id", json_string(c->callid_a));
	json_object_set_new(o, "b_call_id", c->callid_b[0] ? json_string(c->callid_b)
							  : json_null());
	json_object_set_new(o, "gateway", c->gateway[0] ? json_string(c->gateway) : json_null());
	json_object_set_new(o, "attempt", json_integer(c->attempt));
	json_object_set_new(o, "attempts", json_integer(c->attempts));
	json_object_set_new(o, "setup", ms_or_null(c->setup_ms));
	json_object_set_new(o, "ring", ms_or_null(c->ring_ms));
	json_object_set_new(o, "answer", ms_or_null(c->answer_ms));
	json_object_set_new(o, "setup_ms", json_integer(c->setup_ms));
	json_object_set_new(o, "answer_ms", c->answer_ms ? json_integer(c->answer_ms)
							 : json_null());
	json_object_set_new(o, "duration_s", json_integer(c->answer_ms && now > c->answer_ms
							  ? (now - c->answer_ms) / 1000 : 0));
	json_object_set_new(o, "media", json_string(c->relayed ? "relay" : "direct"));
	return o;
}

/* The calls f selects into pg; false after answering 503/500. */
static bool calls_get(struct api_req *r, const struct call_filter *f, struct call_page *pg)
{
	int err;

	if (!r->api->prm.uas) {
		api_problem(r, 503, NULL, "this server carries no calls (no SIP side)");
		return false;
	}
	err = uas_calls(r->api->prm.uas, f, pg, WORKER_WAIT_MS);
	if (err) {
		api_problem(r, err == -ETIMEDOUT ? 503 : 500, NULL, "calls not listed: %s",
			    err == -ETIMEDOUT ? "a SIP worker did not answer in time"
					      : "out of memory");
		return false;
	}
	return true;
}

static int int_param(struct api_req *r, const char *name, int64_t max, int64_t *out)
{
	const char *s = api_query(r, name);
	char *end;
	long long v;

	*out = 0;
	if (!s)
		return 0;
	v = strtoll(s, &end, 10);
	if (!*s || *end || v <= 0 || v > max) {
		api_field_err(r, name, "expected an integer 1..%lld", (long long)max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/* GET /api/calls?customer_id=&carrier_id=&direction=&state=&number=&limit=&cursor= */
void api_h_calls_list(struct api_req *r, const void *arg)
{
	static const char *const states[] = { "setup", "ringing", "answered" };
	const char *dir = api_query(r, "direction"), *state = api_query(r, "state");
	const char *num = api_query(r, "number");
	int64_t cust, carr, limit, cursor, now = wall_now();
	struct call_filter f = { 0 };
	struct call_page pg;
	json_t *items, *o;

	(void)arg;
	int_param(r, "customer_id", UINT32_MAX, &cust);
	int_param(r, "carrier_id", UINT32_MAX, &carr);
	int_param(r, "limit", API_LIMIT_MAX, &limit);
	int_param(r, "cursor", INT64_MAX, &cursor);
	if (dir && strcmp(dir, "in") && strcmp(dir, "out"))
		api_field_err(r, "direction", "expected in or out");
	if (state) {
		for (unsigned i = 0; i < ARRAY_SIZE(states); i++)
			if (!strcmp(state, states[i]))
				f.phase = (int)i + 1;
		if (!f.phase)
			api_field_err(r, "state", "expected setup, ringing or answered");
	}
	if (num && (!*num || strlen(num) > 64))
		api_field_err(r, "number", "expected a number (part of caller, dialled or E.164)");
	if (api_has_errors(r)) {
		api_invalid(r);
		return;
	}
	f.customer_id = (uint32_t)cust;
	f.carrier_id = (uint32_t)carr;
	f.dir = !dir ? 0 : !strcmp(dir, "out") ? 1 : 2;
	f.number = num;
	f.after_id = (uint64_t)cursor;
	f.limit = limit ? (size_t)limit : API_LIMIT_DEFAULT;
	if (!calls_get(r, &f, &pg))
		return;
	items = json_array();
	for (size_t i = 0; i < pg.n; i++)
		json_array_append_new(items, call_json(r, &pg.v[i], now));
	o = json_object();
	json_object_set_new(o, "items", items);
	json_object_set_new(o, "total", json_integer((json_int_t)pg.total));
	if (pg.more && pg.n) {
		char b[32];

		snprintf(b, sizeof(b), "%llu", (unsigned long long)pg.v[pg.n - 1].id);
		json_object_set_new(o, "next_cursor", json_string(b));
	} else {
		json_object_set_new(o, "next_cursor", json_null());
	}
	free(pg.v);
	api_reply_json(r, 200, o);
}

/* GET /api/calls/{id} */
void api_h_calls_get(struct api_req *r, const void *arg)
{
	struct call_filter f = { .id = (uint64_t)r->param[0] };
	struct call_page pg;

	(void)arg;
	if (!calls_get(r, &f, &pg))
		return;
	if (pg.n)
		api_reply_json(r, 200, call_json(r, &pg.v[0], wall_now()));
	else
		api_problem(r, 404, NULL, "no call %lld in progress", (long long)r->param[0]);
	free(pg.v);
}

/* DELETE /api/calls/{id}: hang up. */
void api_h_calls_hangup(struct api_req *r, const void *arg)
{
	int err;

	(void)arg;
	if (!r->api->prm.uas) {
		api_problem(r, 503, NULL, "this server carries no calls (no SIP side)");
		return;
	}
	err = uas_call_hangup(r->api->prm.uas, (uint64_t)r->param[0], WORKER_WAIT_MS);
	if (err == -ENOENT) {
		api_problem(r, 404, NULL, "no call %lld in progress", (long long)r->param[0]);
		return;
	}
	if (err) {
		api_problem(r, err == -ETIMEDOUT ? 503 : 500, NULL, "call %lld not hung up: %s",
			    (long long)r->param[0], err == -ETIMEDOUT
			    ? "its SIP worker did not answer in time" : "out of memory");
		return;
	}
	LINFO("call hung up by the operator id=%lld", (long long)r->param[0]);
	api_reply_resp(r, 204, MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT));
}

/* ------------------------------------------------------------------ */
/* Statistics                                                           */
/* ------------------------------------------------------------------ */

static json_t *stat_json(struct api_req *r, bool carrier, const struct call_stat *s)
{
	json_t *o = json_object(), *codes = json_object();
	char k[8];

	json_object_set_new(o, "id", json_integer(s->id));
	json_object_set_new(o, "name", api_name_of(r, carrier, s->id));
	json_object_set_new(o, carrier ? "attempts" : "calls", json_integer((json_int_t)s->attempts));
	json_object_set_new(o, "answered", json_integer((json_int_t)s->answered));
	/* Percent with one decimal; ACD in seconds, one decimal; PDD mean ms. */
	json_object_set_new(o, "asr", json_real((double)(s->answered * 1000 / s->attempts) / 10));
	json_object_set_new(o, "acd_s", s->answered
			    ? json_real((double)(s->talk_ms / s->answered / 100) / 10) : json_null());
	json_object_set_new(o, "pdd_ms", s->pdd_n
			    ? json_integer((json_int_t)(s->pdd_ms / s->pdd_n)) : json_null());
	json_object_set_new(o, "talk_s", json_integer((json_int_t)(s->talk_ms / 1000)));
	for (unsigned i = 0; i < s->ncodes; i++) {
		snprintf(k, sizeof(k), "%u", s->codes[i].code);
		json_object_set_new(codes, k, json_integer((json_int_t)s->codes[i].n));
	}
	if (s->codes_other)
		json_object_set_new(codes, "other", json_integer((json_int_t)s->codes_other));
	json_object_set_new(o, "codes", codes);
	return o;
}

/* GET /api/stats?window=minute|hour|day&of=carrier|customer&id= */
void api_h_stats(struct api_req *r, const void *arg)
{
	static const char *const wname[] = { "minute", "hour", "day" };
	static const int64_t wlen[] = { 60000, 3600000, 86400000 };
	const char *w = api_query(r, "window"), *of = api_query(r, "of");
	enum call_window win = CALL_WIN_HOUR;
	int64_t id, now = wall_now();
	char b[32];
	json_t *o;

	(void)arg;
	if (w) {
		unsigned i;

		for (i = 0; i < ARRAY_SIZE(wname) && strcmp(w, wname[i]); i++)
			;
		if (i == ARRAY_SIZE(wname))
			api_field_err(r, "window", "expected minute, hour or day");
		else
			win = (enum call_window)i;
	}
	if (of && strcmp(of, "carrier") && strcmp(of, "customer"))
		api_field_err(r, "of", "expected carrier or customer");
	int_param(r, "id", INT64_MAX, &id);
	if (id && !of)
		api_field_err(r, "id", "needs of=carrier or of=customer");
	if (api_has_errors(r)) {
		api_invalid(r);
		return;
	}
	if (!r->api->prm.uas) {
		api_problem(r, 503, NULL, "this server carries no calls (no SIP side)");
		return;
	}
	o = json_object();
	json_object_set_new(o, "window", json_string(wname[win]));
	json_object_set_new(o, "from", json_string(api_date_fmt(now - wlen[win], b, sizeof(b))));
	json_object_set_new(o, "to", json_string(api_date_fmt(now, b, sizeof(b))));
	for (int k = 0; k < 2; k++) {
		bool carrier = k == 0;
		struct call_stat *v;
		size_t n;
		json_t *a;

		if (of && strcmp(of, carrier ? "carrier" : "customer"))
			continue;
		if (uas_stats_window(r->api->prm.uas, carrier ? CALL_STAT_CARRIER
				     : CALL_STAT_CUSTOMER, win, now, &v, &n)) {
			json_decref(o);
			api_problem(r, 500, NULL, "out of memory");
			return;
		}
		a = json_array();
		for (size_t i = 0; i < n; i++) {
			if (!id || v[i].id == id)
				json_array_append_new(a, stat_json(r, carrier, &v[i]));
		}
		free(v);
		json_object_set_new(o, carrier ? "carriers" : "customers", a);
	}
	api_reply_json(r, 200, o);
}
