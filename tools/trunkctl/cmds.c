/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file cmds.c  trunkctl commands beyond plain resources: rate deck import,
 *               number ranges, route explain, live calls, CDR queries and
 *               export, health.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "trunkctl.h"

static const char common_help[] =
	"  -h, --help                 this help\n"
	"Global options (anywhere): --server URL, --token TOKEN, --config FILE, --json\n";

int rates_import(struct ctl *c, int argc, char **argv);

int rates_import(struct ctl *c, int argc, char **argv)
{
	const char *carrier = NULL, *tariff = NULL, *columns = NULL;
	bool help = false;
	const struct opt opts[] = {
		{ "carrier", 0, &carrier, NULL }, { "tariff", 0, &tariff, NULL },
		{ "columns", 0, &columns, NULL }, { "help", 'h', NULL, &help }, { 0 } };
	struct qbuf q = { 0 };
	struct resp r = { 0 };
	char *pos[1], path[96];
	long long id;
	json_t *j;
	int np, err;

	if ((err = opt_parse(c, argc, argv, opts, pos, &np, 1)))
		return err;
	if (help) {
		printf("Usage: trunkctl rates import (--carrier C | --tariff T) FILE.csv "
		       "[--columns LIST]\n"
		       "Imports a CSV rate deck in one transaction: a bad row rejects the whole\n"
		       "file with its line and column, and nothing changes. A progress bar shows\n"
		       "the upload when stderr is a terminal.\n"
		       "  --carrier C | --tariff T   whose rates (name or id)\n"
		       "  --columns LIST             column order of a file without a header line,\n"
		       "                             like prefix,rate,connect_fee,increments\n"
		       "Columns by the header line: prefix, rate, connect_fee, inc_first, inc_next,\n"
		       "increments (60/60), effective_from.\n%s", common_help);
		return 0;
	}
	if (np != 1)
		return fail(c, EX_USAGE, "expected the CSV FILE (see --help)");
	if (!carrier == !tariff)
		return fail(c, EX_USAGE, "give either --carrier C or --tariff T (see --help)");
	if (access(pos[0], R_OK))
		return fail(c, EX_USAGE, "cannot read %s: %s", pos[0], strerror(errno));
	if ((err = resolve_ref(c, carrier ? "/api/carriers" : "/api/tariffs",
			       carrier ? "carrier" : "tariff", carrier ? carrier : tariff, &id)))
		return err;
	snprintf(path, sizeof(path), "/api/%s/%lld/rates", carrier ? "carriers" : "tariffs", id);
	if (columns)
		qb_add(c, &q, "columns", columns);
	err = http_upload(c, path, q.s, pos[0], "text/csv", &r);
	qb_reset(&q);
	if (err)
		return err;
	if (r.status >= 300) {
		err = fail_resp(c, &r, pos[0]);
	}
	else if (c->json) {
		printf("%s\n", r.body);
	}
	else if ((j = resp_json(c, &r))) {
		printf("imported %lld rates for %s %lld from %s\n",
		       (long long)json_integer_value(json_object_get(j, "imported")),
		       carrier ? "carrier" : "tariff", id, pos[0]);
		json_decref(j);
	}
	else {
		err = EX_SERVER;
	}
	resp_reset(&r);
	return err;
}

int cmd_numbers_range(struct ctl *c, int argc, char **argv)
{
	const char *customer = NULL, *trunk = NULL, *uri = NULL, *country = NULL, *type = NULL;
	bool help = false, disabled = false;
	const struct opt opts[] = {
		{ "customer", 0, &customer, NULL }, { "trunk", 0, &trunk, NULL },
		{ "delivery-uri", 0, &uri, NULL }, { "country", 0, &country, NULL },
		{ "type", 0, &type, NULL }, { "disabled", 0, NULL, &disabled },
		{ "help", 'h', NULL, &help }, { 0 } };
	struct resp r = { 0 };
	json_t *body = NULL, *j;
	char *pos[2];
	long long id;
	int np, err;

	if ((err = opt_parse(c, argc, argv, opts, pos, &np, 2)))
		return err;
	if (help) {
		printf("Usage: trunkctl numbers add-range FROM TO --customer C [options]\n"
		       "Adds every number from FROM to TO (E.164, same length, at most 10000)\n"
		       "for one customer; if one is already held, none is added.\n"
		       "  --customer C               holder (name or id), required\n"
		       "  --trunk T                  trunk their calls go to (name or id)\n"
		       "  --delivery-uri URI         URI their calls go to\n"
		       "  --country CC, --type TYPE  as for one number\n"
		       "  --disabled                 add them disabled\n%s", common_help);
		return 0;
	}
	if (np != 2)
		return fail(c, EX_USAGE, "expected FROM and TO (see --help)");
	if (!customer)
		return fail(c, EX_USAGE, "--customer is required (see --help)");
	body = json_pack("{s:s, s:s}", "from", pos[0], "to", pos[1]);
	if ((err = resolve_ref(c, "/api/customers", "customer", customer, &id)))
		goto out;
	json_object_set_new(body, "customer_id", json_integer(id));
	if (trunk) {
		if ((err = resolve_ref(c, "/api/trunks", "trunk", trunk, &id)))
			goto out;
		json_object_set_new(body, "trunk_id", json_integer(id));
	}
	if (uri)
		json_object_set_new(body, "delivery_uri", json_string(uri));
	if (country)
		json_object_set_new(body, "country", json_string(country));
	if (type)
		json_object_set_new(body, "type", json_string(type));
	if (disabled)
		json_object_set_new(body, "enabled", json_false());
	if ((err = http_req(c, "POST", "/api/numbers/range", NULL, body, &r)))
		goto out;
	if (r.status >= 300) {
		err = fail_resp(c, &r, NULL);
	}
	else if (c->json) {
		printf("%s\n", r.body);
	}
	else if ((j = resp_json(c, &r))) {
		printf("added %lld numbers %s .. %s (first id %lld)\n",
		       (long long)json_integer_value(json_object_get(j, "count")),
		       json_string_value(json_object_get(j, "from")),
		       json_string_value(json_object_get(j, "to")),
		       (long long)json_integer_value(json_object_get(j, "first_id")));
		json_decref(j);
	}
	else {
		err = EX_SERVER;
	}
out:
	json_decref(body);
	resp_reset(&r);
	return err;
}

/* ------------------------------------------------------------------ */
/* Route explain                                                        */
/* ------------------------------------------------------------------ */

static const char *js(const json_t *o, const char *k, char *buf, size_t n)
{
	return cell_str(json_object_get(o, k), buf, n);
}

static void explain_print(const json_t *d)
{
	const json_t *cu = json_object_get(d, "customer"), *ta = json_object_get(d, "tariff");
	const json_t *att = json_object_get(d, "attempts"), *sk = json_object_get(d, "skipped");
	const char *heads[] = { "#", "carrier", "gateway", "prefix", "cost/min", "price/min",
				"margin/min", "pick / why skipped" };
	char b[8][128];
	struct table *t;
	json_t *a;
	size_t i;

	printf("customer  %s %s\n", js(cu, "id", b[0], sizeof(b[0])), js(cu, "name", b[1], sizeof(b[1])));
	printf("number    %s -> %s\n", js(d, "dialled", b[0], sizeof(b[0])),
	       js(d, "e164", b[1], sizeof(b[1])));
	if (json_is_object(ta))
		printf("tariff    prefix %s, %s/min, connect fee %s, increments %s/%s\n",
		       js(ta, "prefix", b[0], sizeof(b[0])), js(ta, "rate", b[1], sizeof(b[1])),
		       js(ta, "connect_fee", b[2], sizeof(b[2])),
		       js(ta, "inc_first", b[3], sizeof(b[3])), js(ta, "inc_next", b[4], sizeof(b[4])));
	else
		printf("tariff    -\n");
	if (json_is_true(json_object_get(d, "routed")))
		printf("decision  routed: %zu candidate%s in order\n", json_array_size(att),
		       json_array_size(att) == 1 ? "" : "s");
	else
		printf("decision  refused with %s: %s\n", js(d, "status", b[0], sizeof(b[0])),
		       js(d, "reason", b[1], sizeof(b[1])));
	if (!json_array_size(att) && !json_array_size(sk)) {
		printf("\nno candidates\n");
		return;
	}
	putchar('\n');
	t = table_new(8, heads);
	json_array_foreach(att, i, a) {
		const json_t *g = json_object_get(a, "gateway");
		char gw[160] = "-";
		const char *cells[8];

		if (json_is_object(g))
			snprintf(gw, sizeof(gw), "%s:%lld/%s",
				 json_string_value(json_object_get(g, "host")) ?: "?",
				 (long long)json_integer_value(json_object_get(g, "port")),
				 json_string_value(json_object_get(g, "transport")) ?: "udp");
		cells[0] = js(a, "order", b[0], sizeof(b[0]));
		cells[1] = js(a, "carrier", b[1], sizeof(b[1]));
		cells[2] = gw;
		cells[3] = js(a, "prefix", b[3], sizeof(b[3]));
		cells[4] = js(a, "cost_1min", b[4], sizeof(b[4]));
		cells[5] = js(a, "price_1min", b[5], sizeof(b[5]));
		cells[6] = js(a, "margin_1min", b[6], sizeof(b[6]));
		cells[7] = js(a, "pick", b[7], sizeof(b[7]));
		table_add(t, cells);
	}
	json_array_foreach(sk, i, a) {
		char why[160];
		const char *cells[8];

		snprintf(why, sizeof(why), "skipped: %s",
			 json_string_value(json_object_get(a, "why")) ?: "?");
		cells[0] = "-";
		cells[1] = js(a, "carrier", b[1], sizeof(b[1]));
		cells[2] = "-";
		cells[3] = js(a, "prefix", b[3], sizeof(b[3]));
		cells[4] = js(a, "cost_1min", b[4], sizeof(b[4]));
		cells[5] = "-";
		cells[6] = "-";
		cells[7] = why;
		table_add(t, cells);
	}
	table_print(t, stdout);
	table_free(t);
	if (json_integer_value(json_object_get(d, "skipped_not_shown")))
		printf("(%lld more skipped, not shown)\n",
		       (long long)json_integer_value(json_object_get(d, "skipped_not_shown")));
}

int cmd_route(struct ctl *c, int argc, char **argv)
{
	const char *customer = NULL, *at = NULL;
	bool help = false;
	const struct opt opts[] = {
		{ "customer", 0, &customer, NULL }, { "at", 0, &at, NULL },
		{ "help", 'h', NULL, &help }, { 0 } };
	struct qbuf q = { 0 };
	struct resp r = { 0 };
	char *pos[1];
	json_t *j;
	int np, err;

	if (argc < 1 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
		fprintf(argc < 1 ? stderr : stdout,
			"Usage: trunkctl route explain --customer C NUMBER [--at TIME]\n"
			"Commands:\n  explain   how a call would be routed now, and why\n");
		return argc < 1 ? EX_USAGE : 0;
	}
	if (strcmp(argv[0], "explain"))
		return fail(c, EX_USAGE, "unknown command '%s' (see 'trunkctl route --help')",
			    argv[0]);
	if ((err = opt_parse(c, argc - 1, argv + 1, opts, pos, &np, 1)))
		return err;
	if (help) {
		printf("Usage: trunkctl route explain --customer C NUMBER [--at TIME]\n"
		       "Shows how a call of customer C to NUMBER would be routed by the routing\n"
		       "snapshot the daemon uses now: the tariff, each carrier tried in order with\n"
		       "its cost, the price and the margin per minute, and the carriers skipped\n"
		       "and why. A refusal (no route, no credit) is a decision too (exit 0).\n"
		       "  --customer C               the customer (name or id), required\n"
		       "  --at TIME                  rates effective at this UTC time or date\n"
		       "NUMBER as dialled: +442071234567, or national (02071234567) for a customer\n"
		       "with a country.\n%s", common_help);
		return 0;
	}
	if (!customer)
		return fail(c, EX_USAGE, "--customer is required (see --help)");
	if (np != 1)
		return fail(c, EX_USAGE, "expected the NUMBER (see --help)");
	qb_add(c, &q, "customer", customer);
	qb_add(c, &q, "number", pos[0]);
	if (at)
		qb_add(c, &q, "at", at);
	err = http_req(c, "GET", "/api/route/explain", q.s, NULL, &r);
	qb_reset(&q);
	if (err)
		return err;
	if (r.status != 200) {
		err = fail_resp(c, &r, NULL);
	}
	else if (c->json) {
		printf("%s\n", r.body);
	}
	else if ((j = resp_json(c, &r))) {
		explain_print(j);
		json_decref(j);
	}
	else {
		err = EX_SERVER;
	}
	resp_reset(&r);
	return err;
}

/* ------------------------------------------------------------------ */
/* CDRs                                                                 */
/* ------------------------------------------------------------------ */

int cmd_cdr(struct ctl *c, int argc, char **argv)
{
	const char *from = NULL, *to = NULL, *cust = NULL, *carr = NULL, *number = NULL,
		   *code = NULL, *cause = NULL, *dir = NULL, *limit = NULL, *cursor = NULL;
	bool help = false, csv = false, all = false;
	const struct opt opts[] = {
		{ "from", 0, &from, NULL }, { "to", 0, &to, NULL },
		{ "customer", 0, &cust, NULL }, { "carrier", 0, &carr, NULL },
		{ "number", 0, &number, NULL }, { "sip-code", 0, &code, NULL },
		{ "cause", 0, &cause, NULL }, { "direction", 0, &dir, NULL },
		{ "limit", 0, &limit, NULL }, { "cursor", 0, &cursor, NULL },
		{ "all", 'a', NULL, &all }, { "csv", 0, NULL, &csv },
		{ "help", 'h', NULL, &help }, { 0 } };
	static const char *const cols[] = { "id", "end_ms", "direction", "customer_id",
					    "carrier_id", "caller", "dialled", "sip_code", "cause",
					    "billed_sec", "cost", "price" };
	struct qbuf q = { 0 };
	struct resp r = { 0 };
	bool get = false;
	char *pos[1];
	int np, err = 0;

	if (argc > 0 && (!strcmp(argv[0], "list") || !strcmp(argv[0], "get"))) {
		get = !strcmp(argv[0], "get");
		argc--, argv++;
	}
	if ((err = opt_parse(c, argc, argv, opts, pos, &np, get ? 1 : 0)))
		return err;
	if (help && get) {
		printf("Usage: trunkctl cdr get ID\nShows one CDR with its attempts.\n%s",
		       common_help);
		return 0;
	}
	if (help) {
		printf("Usage: trunkctl cdr [list] [filters] [--csv | --limit N --cursor C | --all]\n"
		       "       trunkctl cdr get ID\n"
		       "Queries call detail records (newest last), filtered by:\n"
		       "  --from TIME, --to TIME     end of the call in [from, to): UTC date\n"
		       "                             (2025-02-01), time (2025-02-01T12:00:00Z) or\n"
		       "                             Unix milliseconds\n"
		       "  --customer C, --carrier C  name or id\n"
		       "  --number N                 caller, dialled or normalised number\n"
		       "  --sip-code N, --cause N    final SIP status, Q.850 cause\n"
		       "  --direction in|out\n"
		       "  --csv                      stream every matching CDR as CSV to stdout\n"
		       "  --limit N, --cursor C      one page (default 100 rows)\n"
		       "  -a, --all                  every page\n%s", common_help);
		return 0;
	}
	if (get) {
		char path[64];

		if (np != 1 || !pos[0][0] || strspn(pos[0], "0123456789") != strlen(pos[0]))
			return fail(c, EX_USAGE, "expected the CDR's id (see --help)");
		snprintf(path, sizeof(path), "/api/cdrs/%s", pos[0]);
		if ((err = http_req(c, "GET", path, NULL, NULL, &r)))
			return err;
		if (r.status != 200) {
			err = fail_resp(c, &r, NULL);
		}
		else if (c->json) {
			printf("%s\n", r.body);
		}
		else {
			json_t *j = resp_json(c, &r), *v;
			const char *heads[2] = { "field", "value" }, *k;
			struct table *t;
			char b[512];

			if (!j) {
				resp_reset(&r);
				return EX_SERVER;
			}
			t = table_new(2, heads);
			json_object_foreach(j, k, v) {
				const char *cells[2] = { k, cell_str(v, b, sizeof(b)) };

				table_add(t, cells);
			}
			table_print(t, stdout);
			table_free(t);
			json_decref(j);
		}
		resp_reset(&r);
		return err;
	}
	if (csv && (limit || cursor || all))
		return fail(c, EX_USAGE, "--csv exports every match: no --limit, --cursor or --all");
	if (from)
		qb_add(c, &q, "from", from);
	if (to)
		qb_add(c, &q, "to", to);
	if ((err = qb_add_ref(c, &q, "customer_id", "/api/customers", "customer", cust)) ||
	    (err = qb_add_ref(c, &q, "carrier_id", "/api/carriers", "carrier", carr)))
		goto out;
	if (number)
		qb_add(c, &q, "number", number);
	if (code)
		qb_add(c, &q, "sip_code", code);
	if (cause)
		qb_add(c, &q, "cause", cause);
	if (dir)
		qb_add(c, &q, "direction", dir);
	if (csv) {
		if (!(err = http_stream(c, "/api/cdrs.csv", q.s, stdout, &r)) && r.status != 200)
			err = fail_resp(c, &r, NULL);
		resp_reset(&r);
		goto out;
	}
	err = list_print(c, "/api/cdrs", &q, cols, (int)(sizeof(cols) / sizeof(cols[0])), all,
			 limit, cursor);
out:
	qb_reset(&q);
	return err;
}

int cmd_health(struct ctl *c, int argc, char **argv)
{
	bool help = false;
	const struct opt opts[] = { { "help", 'h', NULL, &help }, { 0 } };
	struct resp r = { 0 };
	char *pos[1], b[4][64];
	json_t *j;
	int np, err;

	if ((err = opt_parse(c, argc, argv, opts, pos, &np, 0)))
		return err;
	if (help) {
		printf("Usage: trunkctl health\nAsks the daemon whether it and its database are "
		       "up (no token needed).\n%s", common_help);
		return 0;
	}
	if ((err = http_req(c, "GET", "/api/health", NULL, NULL, &r)))
		return err;
	if (r.status != 200) {
		err = fail_resp(c, &r, NULL);
	}
	else if (c->json) {
		printf("%s\n", r.body);
	}
	else if ((j = resp_json(c, &r))) {
		printf("%s: schema %s, provisioning generation %s, routing generation %s\n",
		       js(j, "status", b[0], sizeof(b[0])), js(j, "schema_version", b[1], sizeof(b[1])),
		       js(j, "generation", b[2], sizeof(b[2])),
		       js(j, "routing_generation", b[3], sizeof(b[3])));
		json_decref(j);
	}
	else {
		err = EX_SERVER;
	}
	resp_reset(&r);
	return err;
}
