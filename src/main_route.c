/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file main_route.c  `trunkline route`: routing decisions computed from
 *                     the database's provisioning, without SIP traffic.
 *
 * The snapshot is built exactly as the daemon builds it (snap_load), so
 * what explain prints is what a call would get, minus the live state
 * (channels in use, carriers down), which only the daemon has.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "call.h"
#include "main_int.h"
#include "store.h"

#define LOG_MOD "route"

static const char route_usage[] =
	"Usage: trunkline route explain --customer C [--at TIME] NUMBER\n"
	"       trunkline route did NUMBER\n"
	"\n"
	"explain  how a call of customer C (name or id) to NUMBER (as dialled:\n"
	"         +442071234567, 02071234567, 0044...) would be routed: number\n"
	"         normalisation, tariff, every carrier tried in order with its rate,\n"
	"         cost and margin, and those skipped with the reason. Exit 0 when a\n"
	"         decision was printed (routed or refused).\n"
	"  --at TIME  decide as at this UTC time (2025-01-31T12:00:00Z or Unix\n"
	"             seconds; default now), for rates with effective dates\n"
	"did      the customer and delivery targets of a held number\n"
	"\n"
	"  --db URL, -c FILE   database, as for trunkline db\n"
	"  -h, --help          this help\n";

static int load(const char *cmd, const char *url, const char *conf, struct store **st,
		struct route_snap **snap)
{
	int err = cli_store_open(cmd, url, conf, st);

	if (err)
		return err;
	err = snap_load(*st, snap, NULL);
	if (err)
		return cli_fail(EXIT_RUNTIME, cmd, "cannot build the routing snapshot: %s",
				*store_errmsg(*st) ? store_errmsg(*st) : strerror(-err));
	return 0;
}

static int at_parse(const char *s, int64_t *t)
{
	struct tm tm;
	char *end;

	if (!s) {
		*t = (int64_t)time(NULL);
		return 0;
	}
	errno = 0;
	*t = strtoll(s, &end, 10);
	if (!errno && end != s && !*end)
		return 0;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%d", &tm);
	if (end && (*end == 'T' || *end == ' '))
		end = strptime(end + 1, "%H:%M:%S", &tm);
	if (end && *end == 'Z')
		end++;
	if (!end || *end)
		return -EINVAL;
	*t = (int64_t)timegm(&tm);
	return 0;
}

static int explain(int argc, char **argv)
{
	const char *cmd = "route explain", *url = NULL, *conf = NULL, *cust = NULL, *at = NULL;
	bool help = false;
	const struct cli_opt opts[] = {
		{ "db", 0, &url, NULL }, { "config", 'c', &conf, NULL },
		{ "customer", 0, &cust, NULL }, { "at", 0, &at, NULL },
		{ "help", 'h', NULL, &help }, { 0 } };
	struct store_customer c = { 0 };
	struct route_snap *snap = NULL;
	struct route_decision *d = NULL;
	struct store *st = NULL;
	char *pos[2], buf[16384];
	int64_t now;
	int n, err;

	if ((err = cli_parse(cmd, argc, argv, opts, pos, &n, 1)))
		return err;
	if (help) {
		fputs(route_usage, stdout);
		return 0;
	}
	if (n != 1 || !cust)
		return cli_fail(EXIT_USAGE, cmd, "expected --customer C and a NUMBER (see --help)");
	if (at_parse(at, &now))
		return cli_fail(EXIT_USAGE, cmd, "bad value '%s' for --at: expected "
				"2025-01-31T12:00:00Z or Unix seconds", at);
	if ((err = load(cmd, url, conf, &st, &snap)))
		goto out;
	/* The customer by id first when the argument is digits, else by name. */
	err = -ENOENT;
	if (strspn(cust, "0123456789") == strlen(cust) && strlen(cust) < 19)
		err = store_customer_get(st, strtoll(cust, NULL, 10), &c);
	if (err == -ENOENT)
		err = store_customer_find(st, cust, &c);
	if (err) {
		err = err == -ENOENT ? cli_fail(EXIT_USAGE, cmd, "no customer '%s'", cust)
				     : cli_fail(EXIT_RUNTIME, cmd, "cannot read customer: %s",
						store_errmsg(st));
		goto out;
	}
	if (c.id > UINT32_MAX) {
		err = cli_fail(EXIT_USAGE, cmd, "customer id %lld out of range", (long long)c.id);
		goto out;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		err = cli_fail(EXIT_RUNTIME, cmd, "out of memory");
		goto out;
	}
	err = route_decide(snap, NULL, (uint32_t)c.id, &(struct pl){ pos[0], strlen(pos[0]) },
			   now, d);
	if (err) {
		err = cli_fail(EXIT_USAGE, cmd, "cannot decide: %s", strerror(-err));
		goto out;
	}
	if (!c.enabled)
		printf("(customer %s is disabled: its calls are refused)\n", c.name);
	n = route_decision_format(d, snap, buf, sizeof(buf));
	if (n < 0) {
		err = cli_fail(EXIT_RUNTIME, cmd, "cannot format: %s", strerror(-n));
		goto out;
	}
	fputs(buf, stdout);
	if ((size_t)n >= sizeof(buf))
		printf("\n(cut)\n");
	err = 0;
out:
	free(d);
	store_customer_reset(&c);
	route_snap_release(snap);
	store_close(st);
	return err;
}

static int did(int argc, char **argv)
{
	const char *cmd = "route did", *url = NULL, *conf = NULL;
	bool help = false;
	const struct cli_opt opts[] = {
		{ "db", 0, &url, NULL }, { "config", 'c', &conf, NULL },
		{ "help", 'h', NULL, &help }, { 0 } };
	struct route_snap *snap = NULL;
	const struct route_did *r;
	struct store *st = NULL;
	char *pos[2];
	int n, err;

	if ((err = cli_parse(cmd, argc, argv, opts, pos, &n, 1)))
		return err;
	if (help) {
		fputs(route_usage, stdout);
		return 0;
	}
	if (n != 1)
		return cli_fail(EXIT_USAGE, cmd, "expected a NUMBER (see --help)");
	if ((err = load(cmd, url, conf, &st, &snap)))
		goto out;
	r = route_did_lookup(snap, &(struct pl){ pos[0], strlen(pos[0]) });
	if (!r) {
		printf("number    %s\nresult    404 not held (or disabled)\n", pos[0]);
		err = 0;
		goto out;
	}
	printf("number    %s\ncustomer  %u\ncountry   %s\ntype      %s\n", r->e164,
	       r->customer_id, *r->country ? r->country : "-", *r->type ? r->type : "-");
	if (!r->ntargets)
		printf("targets   none (calls get 480)\n");
	for (uint32_t i = 0; i < r->ntargets; i++) {
		const struct route_did_target *t = &r->target[i];

		if (t->uri)
			printf("target    %u: %s (priority %u)\n", i + 1, t->uri, t->priority);
		else
			printf("target    %u: trunk %u's URIs\n", i + 1, t->trunk_id);
	}
	err = 0;
out:
	route_snap_release(snap);
	store_close(st);
	return err;
}

int main_route(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(route_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	if (!strcmp(argv[1], "explain"))
		return explain(argc - 2, argv + 2);
	if (!strcmp(argv[1], "did"))
		return did(argc - 2, argv + 2);
	return cli_fail(EXIT_USAGE, "route", "unknown command '%s' (see route --help)", argv[1]);
}
