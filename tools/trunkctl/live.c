/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file live.c  The daemon's live side: `calls` (list, refreshing with
 *               --watch; show; hangup) and `stats` (ASR, ACD, PDD and
 *               codes per carrier and customer over a window).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "trunkctl.h"

static const char common_help[] =
	"  -h, --help                 this help\n"
	"Global options (anywhere): --server URL, --token TOKEN, --config FILE, --json\n";

static const char calls_help[] =
	"Usage: trunkctl calls [list] [FILTERS] [--watch SECONDS]\n"
	"       trunkctl calls show ID\n"
	"       trunkctl calls hangup ID\n"
	"Calls in progress (GET /api/calls), oldest first; show one; hang one up\n"
	"(BYE to both sides when answered, else CANCEL to the callee and 480 to the\n"
	"caller; its CDR says \"operator hangup\"). Exit 3 when there is no such call.\n"
	"  --customer C               a customer's calls (id or name)\n"
	"  --carrier C                calls on a carrier (id or name)\n"
	"  --direction in|out         origination or termination\n"
	"  --state S                  setup, ringing or answered\n"
	"  --number N                 part of the caller, dialled or E.164 number\n"
	"  --limit N, --all           one page of N (default 100), or every page\n"
	"  -w, --watch SECONDS        redraw every SECONDS until interrupted\n";

static const char *const call_cols[] = { "id", "state", "direction", "customer", "carrier",
					 "caller", "e164", "gateway", "attempt", "duration_s",
					 "media" };

static int calls_list(struct ctl *c, int argc, char **argv)
{
	const char *cust = NULL, *carr = NULL, *dir = NULL, *state = NULL, *num = NULL,
		   *limit = NULL, *watch = NULL;
	bool help = false, all = false;
	const struct opt opts[] = {
		{ "customer", 0, &cust, NULL }, { "carrier", 0, &carr, NULL },
		{ "direction", 0, &dir, NULL }, { "state", 0, &state, NULL },
		{ "number", 0, &num, NULL }, { "limit", 0, &limit, NULL },
		{ "all", 0, NULL, &all }, { "watch", 'w', &watch, NULL },
		{ "help", 'h', NULL, &help }, { 0 } };
	struct qbuf q = { 0 };
	char *pos[1], *end;
	long secs = 0;
	int np, err;

	if ((err = opt_parse(c, argc, argv, opts, pos, &np, 0)))
		return err;
	if (help) {
		printf("%s%s", calls_help, common_help);
		return 0;
	}
	if (watch) {
		secs = strtol(watch, &end, 10);
		if (*end || secs < 1 || secs > 3600)
			return fail(c, EX_USAGE, "bad value '%s' for --watch: expected 1..3600 seconds",
				    watch);
	}
	if ((err = qb_add_ref(c, &q, "customer_id", "/api/customers", "customer", cust)) ||
	    (err = qb_add_ref(c, &q, "carrier_id", "/api/carriers", "carrier", carr)))
		goto out;
	if (dir)
		qb_add(c, &q, "direction", dir);
	if (state)
		qb_add(c, &q, "state", state);
	if (num)
		qb_add(c, &q, "number", num);
	for (;;) {
		if (secs && isatty(STDOUT_FILENO))
			printf("\033[H\033[2J");
		err = list_print(c, "/api/calls", &q, call_cols, (int)ARRAY_LEN(call_cols), all,
				 limit, NULL);
		fflush(stdout);
		if (err || !secs)
			break;
		sleep((unsigned)secs);
	}
out:
	qb_reset(&q);
	return err;
}

/* show / hangup ID */
static int calls_one(struct ctl *c, bool hangup, int argc, char **argv)
{
	bool help = false;
	const struct opt opts[] = { { "help", 'h', NULL, &help }, { 0 } };
	struct resp r = { 0 };
	char *pos[1], path[64], *end;
	json_t *j;
	long long id;
	int np, err;

	if ((err = opt_parse(c, argc, argv, opts, pos, &np, 1)))
		return err;
	if (help) {
		printf("%s%s", calls_help, common_help);
		return 0;
	}
	if (np != 1)
		return fail(c, EX_USAGE, "expected one call id (see trunkctl calls)");
	id = strtoll(pos[0], &end, 10);
	if (*end || id <= 0)
		return fail(c, EX_USAGE, "bad call id '%s': expected a positive integer", pos[0]);
	snprintf(path, sizeof(path), "/api/calls/%lld", id);
	if ((err = http_req(c, hangup ? "DELETE" : "GET", path, NULL, NULL, &r)))
		return err;
	if (r.status >= 300) {
		err = fail_resp(c, &r, NULL);
	} else if (hangup) {
		if (!c->quiet)
			printf("call %lld hung up\n", id);
	} else if (c->json) {
		printf("%s\n", r.body);
	} else if ((j = resp_json(c, &r))) {
		const char *k;
		json_t *v;
		const char *heads[2] = { "field", "value" };
		struct table *t = table_new(2, heads);
		char b[256];

		json_object_foreach(j, k, v) {
			const char *cells[2] = { k, cell_str(v, b, sizeof(b)) };

			table_add(t, cells);
		}
		table_print(t, stdout);
		table_free(t);
		json_decref(j);
	} else {
		err = EX_SERVER;
	}
	resp_reset(&r);
	return err;
}

int cmd_calls(struct ctl *c, int argc, char **argv)
{
	if (argc > 0 && !strcmp(argv[0], "list"))
		return calls_list(c, argc - 1, argv + 1);
	if (argc > 0 && !strcmp(argv[0], "show"))
		return calls_one(c, false, argc - 1, argv + 1);
	if (argc > 0 && (!strcmp(argv[0], "hangup") || !strcmp(argv[0], "kill")))
		return calls_one(c, true, argc - 1, argv + 1);
	if (argc > 0 && argv[0][0] != '-')
		return fail(c, EX_USAGE, "unknown subcommand '%s': expected list, show or hangup",
			    argv[0]);
	return calls_list(c, argc, argv);
}

/* ------------------------------------------------------------------ */
/* Statistics                                                           */
/* ------------------------------------------------------------------ */

/* "503:3 200:1 ..." from the codes object, most frequent first as served. */
static const char *codes_cell(const json_t *codes, char *buf, size_t n)
{
	const char *k;
	json_t *v;
	size_t len = 0;

	buf[0] = 0;
	json_object_foreach((json_t *)codes, k, v) {
		int w = snprintf(buf + len, n - len, "%s%s:%lld", len ? " " : "", k,
				 (long long)json_integer_value(v));

		if (w < 0 || (size_t)w >= n - len)
			break;
		len += (size_t)w;
	}
	return len ? buf : "-";
}

static void stats_table(const char *title, const json_t *arr, bool carrier)
{
	const char *heads[] = { "id", "name", carrier ? "attempts" : "calls", "answered", "asr%",
				"acd_s", "pdd_ms", "codes" };
	const char *keys[] = { "id", "name", carrier ? "attempts" : "calls", "answered", "asr",
			       "acd_s", "pdd_ms" };
	struct table *t = table_new((int)ARRAY_LEN(heads), heads);
	size_t i;
	json_t *it;

	printf("%s\n", title);
	json_array_foreach(arr, i, it) {
		char b[ARRAY_LEN(heads)][256];
		const char *cells[ARRAY_LEN(heads)];

		for (size_t k = 0; k < ARRAY_LEN(keys); k++)
			cells[k] = cell_str(json_object_get(it, keys[k]), b[k], sizeof(b[k]));
		cells[7] = codes_cell(json_object_get(it, "codes"), b[7], sizeof(b[7]));
		table_add(t, cells);
	}
	if (!json_array_size(arr))
		printf("  no traffic in this window\n");
	else
		table_print(t, stdout);
	table_free(t);
}

int cmd_stats(struct ctl *c, int argc, char **argv)
{
	const char *win = NULL, *cust = NULL, *carr = NULL;
	bool help = false;
	const struct opt opts[] = {
		{ "window", 0, &win, NULL }, { "customer", 0, &cust, NULL },
		{ "carrier", 0, &carr, NULL }, { "help", 'h', NULL, &help }, { 0 } };
	struct qbuf q = { 0 };
	struct resp r = { 0 };
	char *pos[1];
	json_t *j = NULL, *v;
	int np, err;

	if ((err = opt_parse(c, argc, argv, opts, pos, &np, 0)))
		return err;
	if (help) {
		printf("Usage: trunkctl stats [--window minute|hour|day] [--carrier C | --customer C]\n"
		       "Traffic per carrier and per customer over the last minute, hour (default)\n"
		       "or day, from the calls that ended in it (GET /api/stats): attempts (a\n"
		       "carrier's tries, failovers too) or calls (a customer's, refused ones too),\n"
		       "answered, ASR %%, ACD and mean PDD, and final SIP codes by count (0: no\n"
		       "final response). Counted since the daemon started.\n"
		       "  --window W                 minute, hour or day\n"
		       "  --carrier C, --customer C  only this one (id or name)\n%s", common_help);
		return 0;
	}
	if (cust && carr)
		return fail(c, EX_USAGE, "give --carrier or --customer, not both");
	if (win)
		qb_add(c, &q, "window", win);
	if (cust || carr) {
		qb_add(c, &q, "of", cust ? "customer" : "carrier");
		err = qb_add_ref(c, &q, "id", cust ? "/api/customers" : "/api/carriers",
				 cust ? "customer" : "carrier", cust ? cust : carr);
		if (err)
			goto out;
	}	if ((err = http_req(c, "GET", "/api/stats", q.s, NULL, &r)))
		goto out;
	if (r.status != 200) {
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
	printf("last %s: %s .. %s\n", json_string_value(json_object_get(j, "window")),
	       json_string_value(json_object_get(j, "from")),
	       json_string_value(json_object_get(j, "to")));
	if ((v = json_object_get(j, "carriers")))
		stats_table("carriers", v, true);
	if ((v = json_object_get(j, "customers")))
		stats_table("customers", v, false);
out:
	json_decref(j);
	resp_reset(&r);
	qb_reset(&q);
	return err;
}
