/* SPDX-License-Identifier: GPL-2.0-or-later */
/** @file test_prov.c  Unit tests of src/store: open and migrations,
 *  provisioning CRUD, constraint errors, streaming, generation, bulk rates,
 *  demo seed. Each test runs in its own temporary directory. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include "store.h"
#include "store_test.h"

struct fx {
	struct tdir t;
	struct store *st;
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (!fx || tdir_make(&fx->t))
		return -1;
	if (store_open(&fx->st, fx->t.db))
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	store_close(fx->st);
	tdir_remove(&fx->t);
	free(fx);
	return 0;
}

/* A raw query on the file, beside the store: proves what is on disk. */
static int64_t raw_i64(const char *db, const char *sql)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *s = NULL;
	int64_t v = -1;

	if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(h, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(h);
	return v;
}

static void test_open_migrate(void **state)
{
	struct fx *fx = *state;
	struct store *again = NULL;
	int v = 0;

	/* every migration applied once (2: limits and SHA-256 HA1s) */
	assert_int_equal(store_schema_version(fx->st, &v), 0);
	assert_true(v >= 2);
	const int latest = v;
	assert_int_equal(raw_i64(fx->t.db, "SELECT COUNT(*) FROM schema_version"), latest);
	/* reopen (also through the sqlite: scheme) changes nothing */
	char url[400];
	snprintf(url, sizeof(url), "sqlite:%s", fx->t.db);
	assert_int_equal(store_open(&again, url), 0);
	assert_int_equal(store_schema_version(again, &v), 0);
	assert_int_equal(v, latest);
	store_close(again);
	assert_int_equal(raw_i64(fx->t.db, "SELECT COUNT(*) FROM schema_version"), latest);
	/* WAL mode is persistent in the file */
	sqlite3 *h = NULL;
	sqlite3_stmt *s = NULL;
	assert_int_equal(sqlite3_open(fx->t.db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, "PRAGMA journal_mode", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	sqlite3_close(h);
	/* unknown schemes and unreachable paths fail cleanly */
	again = NULL;
	assert_int_equal(store_open(&again, "postgres://localhost/x"), -EPROTONOSUPPORT);
	assert_null(again);
	assert_int_not_equal(store_open(&again, "/nonexistent-dir/x/y.db"), 0);
	assert_null(again);
	/* a missing last directory level is created */
	snprintf(url, sizeof(url), "sqlite:%s/var/t.db", fx->t.dir);
	assert_int_equal(store_open(&again, url), 0);
	store_close(again);
}

static void test_customer_money(void **state)
{
	struct fx *fx = *state;
	struct store_customer c = { .name = "acme", .country = "GB", .enabled = true }, g = { 0 };
	char buf[DEC_FMT_MAX];

	assert_int_equal(dec_parse(&PL("0.000001"), &c.credit_limit), 0);
	assert_int_equal(dec_parse(&PL("12345.678901"), &c.balance), 0);
	c.max_channels = 30;
	c.max_cps = 5;
	assert_int_equal(store_customer_add(fx->st, &c), 0);
	assert_true(c.id > 0);
	assert_int_equal(store_customer_get(fx->st, c.id, &g), 0);
	assert_string_equal(g.name, "acme");
	assert_string_equal(g.country, "GB");
	assert_true(g.credit_limit == 1);
	assert_true(g.balance == 12345678901LL);
	assert_string_equal(dec_fmt(g.credit_limit, buf, sizeof(buf)), "0.000001");
	assert_string_equal(dec_fmt(g.balance, buf, sizeof(buf)), "12345.678901");
	assert_int_equal(g.max_channels, 30);
	assert_int_equal(g.tariff_id, 0);
	assert_true(g.enabled);
	store_customer_reset(&g);
	assert_null(g.name);
	/* on disk: integers, never REAL */
	assert_int_equal(raw_i64(fx->t.db, "SELECT typeof(balance) = 'integer' FROM customers"), 1);
	assert_int_equal(raw_i64(fx->t.db, "SELECT balance FROM customers"), 12345678901LL);

	c.balance = -250000;     /* -0.25 */
	c.enabled = false;
	assert_int_equal(store_customer_update(fx->st, &c), 0);
	assert_int_equal(store_customer_find(fx->st, "acme", &g), 0);
	assert_true(g.balance == -250000);
	assert_false(g.enabled);
	store_customer_reset(&g);

	/* charging: atomic, exact, no generation bump */
	uint64_t gen0, gen1;
	int64_t bal = 0;
	assert_int_equal(store_generation(fx->st, &gen0), 0);
	assert_int_equal(store_customer_balance_add(fx->st, c.id, -1, &bal), 0);
	assert_true(bal == -250001);
	assert_int_equal(store_customer_balance_add(fx->st, c.id, 250001, NULL), 0);
	assert_int_equal(store_generation(fx->st, &gen1), 0);
	assert_true(gen0 == gen1);
	assert_int_equal(store_customer_balance_add(fx->st, c.id, INT64_MAX, NULL), 0);
	assert_int_equal(store_customer_balance_add(fx->st, c.id, 1, NULL), -EINVAL);
	assert_int_equal(store_customer_balance_add(fx->st, 424242, 1, NULL), -ENOENT);
	assert_int_equal(store_customer_balance_add(fx->st, c.id, INT64_MIN + 1, &bal), 0);
	assert_true(bal == 0);

	/* duplicate name: -EEXIST naming the column */
	struct store_customer d = { .name = "acme" };
	assert_int_equal(store_customer_add(fx->st, &d), -EEXIST);
	assert_non_null(strstr(store_errmsg(fx->st), "customers.name"));
	/* a CHECK names its constraint */
	d.name = "other";
	d.country = "GBR";
	assert_int_equal(store_customer_add(fx->st, &d), -EINVAL);
	assert_non_null(strstr(store_errmsg(fx->st), "customer_country_iso"));
	/* missing name */
	struct store_customer e = { 0 };
	assert_int_equal(store_customer_add(fx->st, &e), -EINVAL);
	assert_non_null(strstr(store_errmsg(fx->st), "customers.name"));
	/* missing reference: names the field */
	d.country = "US";
	d.tariff_id = 999;
	assert_int_equal(store_customer_add(fx->st, &d), -ENOENT);
	assert_non_null(strstr(store_errmsg(fx->st), "tariff_id"));
	/* missing rows */
	assert_int_equal(store_customer_get(fx->st, 424242, &g), -ENOENT);
	assert_int_equal(store_customer_find(fx->st, "nobody", &g), -ENOENT);
	e.id = 424242;
	e.name = "ghost";
	assert_int_equal(store_customer_update(fx->st, &e), -ENOENT);
	assert_int_equal(store_customer_del(fx->st, 424242), -ENOENT);
	assert_int_equal(store_customer_del(fx->st, c.id), 0);
	assert_int_equal(store_customer_get(fx->st, c.id, &g), -ENOENT);
}

static void test_all_kinds(void **state)
{
	struct fx *fx = *state;
	struct store *st = fx->st;
	struct store_tariff t = { .name = "retail", .currency = "EUR" }, tg = { 0 };
	struct store_customer c = { .name = "c1", .country = "DE", .enabled = true };
	struct store_trunk tr = {
		.name = "c1-pbx", .username = "c1user", .realm = "trunkline",
		.ha1 = "0123456789abcdef0123456789abcdef", .tech_prefix = "1234",
		.ha1_sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		.max_channels = 4, .enabled = true,
	}, trg = { 0 };
	struct store_trunk_uri u = { .uri = "sip:pbx.example.com;transport=tcp", .priority = 1,
				     .weight = 10 }, ug = { 0 };
	struct store_carrier ca = { .name = "up1", .cidrs = "192.0.2.0/24", .priority = 3,
				    .number_format = "+e164", .strip_digits = 2,
				    .add_prefix = "99#", .max_channels = 30, .max_cps = 7,
				    .enabled = true }, cag = { 0 };
	struct store_gateway gw = { .host = "gw.example.net", .port = 5061, .transport = "tls",
				    .priority = 1, .weight = 5, .enabled = true }, gwg = { 0 };
	struct store_rate r = { .prefix = "4930", .inc_first = 30, .inc_next = 6,
				.effective_from = 1700000000000LL }, rg = { 0 };
	struct store_number n = { .e164 = "4930123456", .country = "DE", .type = "geographic",
				  .delivery_uri = "sip:+4930123456@pbx.example.com",
				  .enabled = true }, ng = { 0 };

	assert_int_equal(store_tariff_add(st, &t), 0);
	c.tariff_id = t.id;
	assert_int_equal(store_customer_add(st, &c), 0);
	tr.customer_id = c.id;
	assert_int_equal(store_trunk_add(st, &tr), 0);
	u.trunk_id = tr.id;
	assert_int_equal(store_trunk_uri_add(st, &u), 0);
	assert_int_equal(store_carrier_add(st, &ca), 0);
	gw.carrier_id = ca.id;
	assert_int_equal(store_gateway_add(st, &gw), 0);
	r.owner_id = ca.id;
	assert_int_equal(dec_parse(&PL("0.012345"), &r.rate), 0);
	assert_int_equal(dec_parse(&PL("0.1"), &r.connect_fee), 0);
	assert_int_equal(store_rate_add(st, STORE_DECK_CARRIER, &r), 0);
	n.customer_id = c.id;
	n.trunk_id = tr.id;
	assert_int_equal(store_number_add(st, &n), 0);

	assert_int_equal(store_tariff_get(st, t.id, &tg), 0);
	assert_string_equal(tg.currency, "EUR");
	assert_int_equal(store_trunk_get(st, tr.id, &trg), 0);
	assert_int_equal(trg.customer_id, c.id);
	assert_null(trg.cidrs);
	assert_string_equal(trg.ha1, tr.ha1);
	assert_string_equal(trg.ha1_sha256, tr.ha1_sha256);
	assert_string_equal(trg.tech_prefix, "1234");
	assert_string_equal(trg.media_mode, "relay");   /* default */
	assert_int_equal(store_trunk_uri_get(st, u.id, &ug), 0);
	assert_string_equal(ug.uri, u.uri);
	assert_int_equal(ug.weight, 10);
	assert_int_equal(store_carrier_get(st, ca.id, &cag), 0);
	assert_string_equal(cag.number_format, "+e164");
	assert_string_equal(cag.add_prefix, "99#");
	assert_int_equal(cag.strip_digits, 2);
	assert_int_equal(cag.max_channels, 30);
	assert_int_equal(cag.max_cps, 7);
	assert_int_equal(store_gateway_get(st, gw.id, &gwg), 0);
	assert_string_equal(gwg.transport, "tls");
	assert_int_equal(gwg.port, 5061);
	assert_int_equal(store_rate_get(st, STORE_DECK_CARRIER, r.id, &rg), 0);
	assert_true(rg.rate == 12345 && rg.connect_fee == 100000);
	assert_true(rg.inc_first == 30 && rg.inc_next == 6);
	assert_true(rg.effective_from == 1700000000000LL);
	assert_int_equal(store_number_find(st, "4930123456", &ng), 0);
	assert_int_equal(ng.trunk_id, tr.id);
	assert_string_equal(ng.delivery_uri, n.delivery_uri);

	/* updates of each kind */
	free(trg.media_mode);
	trg.media_mode = NULL;
	free(trg.cidrs);
	trg.cidrs = strdup("10.0.0.0/8");
	assert_int_equal(store_trunk_update(st, &trg), 0);
	store_trunk_reset(&trg);
	assert_int_equal(store_trunk_get(st, tr.id, &trg), 0);
	assert_string_equal(trg.cidrs, "10.0.0.0/8");
	gwg.port = 70000;
	assert_int_equal(store_gateway_update(st, &gwg), -EINVAL);
	assert_non_null(strstr(store_errmsg(st), "gateway_port"));
	rg.rate = 1;
	assert_int_equal(store_rate_update(st, STORE_DECK_CARRIER, &rg), 0);
	ng.customer_id = 777;
	assert_int_equal(store_number_update(st, &ng), -ENOENT);
	assert_non_null(strstr(store_errmsg(st), "numbers.customer_id"));

	/* constraint errors */
	struct store_trunk tr2 = { .customer_id = 888, .name = "x", .cidrs = "1.2.3.4/32" };
	assert_int_equal(store_trunk_add(st, &tr2), -ENOENT);
	assert_non_null(strstr(store_errmsg(st), "trunks.customer_id"));
	tr2.customer_id = c.id;
	tr2.cidrs = NULL;        /* neither IP nor credentials */
	assert_int_equal(store_trunk_add(st, &tr2), -EINVAL);
	assert_non_null(strstr(store_errmsg(st), "trunk_auth"));
	tr2.username = "c1user";
	tr2.ha1 = "0123456789abcdef0123456789abcdef";
	assert_int_equal(store_trunk_add(st, &tr2), -EEXIST);
	assert_non_null(strstr(store_errmsg(st), "trunks.username"));
	struct store_rate r2 = r;
	assert_int_equal(store_rate_add(st, STORE_DECK_CARRIER, &r2), -EEXIST);
	r2.prefix = "49a";
	assert_int_equal(store_rate_add(st, STORE_DECK_CARRIER, &r2), -EINVAL);
	assert_non_null(strstr(store_errmsg(st), "prefix_digits"));
	r2.prefix = "49";
	r2.owner_id = 5555;
	assert_int_equal(store_rate_add(st, STORE_DECK_TARIFF, &r2), -ENOENT);
	assert_non_null(strstr(store_errmsg(st), "tariff_id"));
	struct store_number n2 = { .e164 = "+4930", .type = "geographic" };
	assert_int_equal(store_number_add(st, &n2), -EINVAL);
	/* migration 2: SHA-256 HA1 is 64 lower-case hex digits, CPS >= 0 */
	tr2.username = "c2user";
	tr2.ha1_sha256 = "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef";
	assert_int_equal(store_trunk_add(st, &tr2), -EINVAL);
	assert_non_null(strstr(store_errmsg(st), "trunk_ha1_sha256_hex"));
	tr2.ha1_sha256 = "0123456789abcdef";
	assert_int_equal(store_trunk_add(st, &tr2), -EINVAL);
	struct store_carrier ca2 = { .name = "up2", .max_cps = -1 };
	assert_int_equal(store_carrier_add(st, &ca2), -EINVAL);
	assert_non_null(strstr(store_errmsg(st), "carrier_max_cps"));

	/* deletes: referenced rows are refused with who holds them */
	assert_int_equal(store_customer_del(st, c.id), -EBUSY);
	assert_non_null(strstr(store_errmsg(st), "trunks.customer_id"));
	assert_int_equal(store_tariff_del(st, t.id), -EBUSY);
	assert_non_null(strstr(store_errmsg(st), "customers.tariff_id"));
	assert_int_equal(store_number_del(st, n.id), 0);
	assert_int_equal(store_trunk_del(st, tr.id), 0);         /* cascades its URIs */
	assert_int_equal(store_trunk_uri_get(st, u.id, &ug), -ENOENT);
	assert_int_equal(store_carrier_del(st, ca.id), 0);       /* cascades gateways, rates */
	assert_int_equal(store_gateway_get(st, gw.id, &gwg), -ENOENT);
	assert_int_equal(store_rate_get(st, STORE_DECK_CARRIER, r.id, &rg), -ENOENT);
	assert_int_equal(store_customer_del(st, c.id), 0);
	assert_int_equal(store_tariff_del(st, t.id), 0);

	store_tariff_reset(&tg);
	store_trunk_reset(&trg);
	store_trunk_uri_reset(&ug);
	store_carrier_reset(&cag);
	store_gateway_reset(&gwg);
	store_rate_reset(&rg);
	store_number_reset(&ng);
}

struct walk {
	int n;
	int64_t last_id;
	int64_t sum;
	int stop_at;
};

static int walk_gw(const struct store_gateway *g, void *arg)
{
	struct walk *w = arg;

	assert_true(g->id > w->last_id);
	assert_non_null(g->host);
	w->last_id = g->id;
	w->n++;
	return w->stop_at && w->n == w->stop_at ? 42 : 0;
}

static int walk_rate(const struct store_rate *r, void *arg)
{
	struct walk *w = arg;

	w->n++;
	w->sum += r->rate;
	return 0;
}

static void test_foreach_generation(void **state)
{
	struct fx *fx = *state;
	struct store *st = fx->st;
	struct store_carrier a = { .name = "a", .enabled = true }, b = { .name = "b" };
	uint64_t g0, g1, g2, g3;
	struct walk w = { 0 };

	assert_int_equal(store_generation(st, &g0), 0);
	assert_int_equal(store_carrier_add(st, &a), 0);
	assert_int_equal(store_carrier_add(st, &b), 0);
	assert_int_equal(store_generation(st, &g1), 0);
	assert_true(g1 > g0);
	for (int i = 0; i < 10; i++) {
		char host[32];
		struct store_gateway g = { .carrier_id = i % 2 ? b.id : a.id, .host = host,
					   .port = 5060 + i, .weight = 1, .enabled = true };

		snprintf(host, sizeof(host), "10.0.0.%d", i);
		assert_int_equal(store_gateway_add(st, &g), 0);
	}
	assert_int_equal(store_foreach_gateway(st, 0, walk_gw, &w), 0);
	assert_int_equal(w.n, 10);
	memset(&w, 0, sizeof(w));
	assert_int_equal(store_foreach_gateway(st, b.id, walk_gw, &w), 0);
	assert_int_equal(w.n, 5);
	memset(&w, 0, sizeof(w));
	w.stop_at = 3;
	assert_int_equal(store_foreach_gateway(st, 0, walk_gw, &w), 42);
	assert_int_equal(w.n, 3);

	/* another connection's change is seen too */
	struct store *other = NULL;
	assert_int_equal(store_generation(st, &g2), 0);
	assert_int_equal(store_open(&other, fx->t.db), 0);
	a.priority = 9;
	assert_int_equal(store_carrier_update(other, &a), 0);
	store_close(other);
	assert_int_equal(store_generation(st, &g3), 0);
	assert_true(g3 > g2);
	/* reads do not bump it */
	struct store_carrier tmp = { 0 };
	assert_int_equal(store_carrier_get(st, a.id, &tmp), 0);
	store_carrier_reset(&tmp);
	assert_int_equal(store_generation(st, &g2), 0);
	assert_true(g2 == g3);
	assert_int_equal(store_carrier_del(st, b.id), 0);
	assert_int_equal(store_generation(st, &g3), 0);
	assert_true(g3 > g2);
}

static void test_bulk_rates(void **state)
{
	struct fx *fx = *state;
	struct store *st = fx->st;
	struct store_carrier ca = { .name = "bulk", .enabled = true };
	struct store_bulk *b = NULL;
	struct walk w = { 0 };
	/* TL_STORE_BULK_N=1000000 measures a full-size deck */
	const char *env = getenv("TL_STORE_BULK_N");
	const int N = env && atoi(env) > 0 ? atoi(env) : 100000;
	uint64_t t0, t1, gen0, gen1;
	int64_t expect = 0;
	char prefix[24];

	assert_int_equal(store_carrier_add(st, &ca), 0);
	assert_int_equal(store_generation(st, &gen0), 0);
	t0 = time_us();
	assert_int_equal(store_rate_bulk_begin(st, STORE_DECK_CARRIER, &b), 0);
	for (int i = 0; i < N; i++) {
		/* in prefix order, as deck files come (random order costs
		 * about three times more: B-tree inserts all over the index) */
		struct store_rate r = { .owner_id = ca.id, .prefix = prefix, .rate = 1000 + i % 977,
					.inc_first = 60, .inc_next = 60 };

		snprintf(prefix, sizeof(prefix), "%d", 10000000 + i);
		expect += r.rate;
		assert_int_equal(store_rate_bulk_add(b, &r), 0);
	}
	assert_int_equal(store_rate_bulk_end(b, true), 0);
	t1 = time_us();
	print_message("bulk insert: %d rates in %.3f s (%.0f rows/s)\n", N,
		      (double)(t1 - t0) / 1e6, N / ((double)(t1 - t0) / 1e6));
	assert_int_equal(store_generation(st, &gen1), 0);
	assert_true(gen1 > gen0);

	t0 = time_us();
	assert_int_equal(store_foreach_rate(st, STORE_DECK_CARRIER, ca.id, walk_rate, &w), 0);
	t1 = time_us();
	print_message("stream: %d rates in %.3f s\n", w.n, (double)(t1 - t0) / 1e6);
	assert_int_equal(w.n, N);
	assert_true(w.sum == expect);

	/* a failing row rolls the whole import back */
	assert_int_equal(store_rate_bulk_begin(st, STORE_DECK_CARRIER, &b), 0);
	struct store_rate ok = { .owner_id = ca.id, .prefix = "777", .rate = 1, .inc_first = 1,
				 .inc_next = 1, .effective_from = -1 };
	assert_int_equal(store_rate_bulk_add(b, &ok), 0);
	struct store_rate bad = ok;
	bad.inc_next = 0;
	assert_int_equal(store_rate_bulk_add(b, &bad), -EINVAL);
	assert_non_null(strstr(store_errmsg(st), "inc_next"));
	assert_int_equal(store_rate_bulk_add(b, &ok), -ECANCELED);
	assert_int_equal(store_rate_bulk_end(b, true), -ECANCELED);
	assert_non_null(strstr(store_errmsg(st), "inc_next"));
	memset(&w, 0, sizeof(w));
	assert_int_equal(store_foreach_rate(st, STORE_DECK_CARRIER, 0, walk_rate, &w), 0);
	assert_int_equal(w.n, N);
	/* the connection is usable again */
	assert_int_equal(store_rate_add(st, STORE_DECK_CARRIER, &ok), 0);
}

static int count_number(const struct store_number *n, void *arg)
{
	(*(int *)arg)++;
	assert_string_equal(n->e164, "442071234567");
	return 0;
}

static void test_seed_demo(void **state)
{
	struct fx *fx = *state;
	struct store *st = fx->st;
	struct store_customer c = { 0 };
	struct store_carrier a = { 0 };
	struct walk w = { 0 };
	uint64_t g0, g1;
	int nn = 0;

	assert_int_equal(store_seed_demo(st), 0);
	assert_int_equal(store_customer_find(st, "demo", &c), 0);
	assert_string_equal(c.country, "GB");
	assert_true(c.tariff_id > 0);
	assert_int_equal(store_foreach_number(st, c.id, count_number, &nn), 0);
	assert_int_equal(nn, 1);
	assert_int_equal(store_carrier_find(st, "carrier-a", &a), 0);
	assert_int_equal(store_foreach_gateway(st, a.id, walk_gw, &w), 0);
	assert_int_equal(w.n, 1);
	memset(&w, 0, sizeof(w));
	assert_int_equal(store_foreach_rate(st, STORE_DECK_TARIFF, c.tariff_id, walk_rate, &w), 0);
	assert_int_equal(w.n, 3);
	/* idempotent */
	assert_int_equal(store_generation(st, &g0), 0);
	assert_int_equal(store_seed_demo(st), 0);
	assert_int_equal(store_generation(st, &g1), 0);
	assert_true(g0 == g1);
	store_customer_reset(&c);
	store_carrier_reset(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_migrate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_customer_money, setup, teardown),
		cmocka_unit_test_setup_teardown(test_all_kinds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreach_generation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bulk_rates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seed_demo, setup, teardown),
	};

	log_set_level(LOG_WARN);
	return cmocka_run_group_tests_name("store_prov", tests, NULL, NULL);
}
