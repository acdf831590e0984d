/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file main_db_carrier.c  `trunkline db carrier|gateway|tariff ...`: carriers,
 *                          their gateways, and tariffs.
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

/* ------------------------------------------------------------------ */
/* Carriers and gateways                                                */
/* ------------------------------------------------------------------ */

struct carr_opts {
	const char *name, *cidr, *prio, *channels, *format, *strip, *prefix, *cps;
	bool disabled, enabled, no_cidr;
};

#define CARR_OPTS(o) \
	{ "name", 0, &(o)->name, NULL }, { "cidr", 0, &(o)->cidr, NULL }, \
	{ "priority", 0, &(o)->prio, NULL }, { "max-channels", 0, &(o)->channels, NULL }, \
	{ "format", 0, &(o)->format, NULL }, { "strip", 0, &(o)->strip, NULL }, \
	{ "prefix", 0, &(o)->prefix, NULL }, { "disabled", 0, NULL, &(o)->disabled }, \
	{ "enabled", 0, NULL, &(o)->enabled }, { "no-cidr", 0, NULL, &(o)->no_cidr }, \
	{ "max-cps", 0, &(o)->cps, NULL }

static const char carr_help[] =
	"  --cidr LIST          source networks of its inbound (origination) calls\n"
	"  --priority N         tie-break between equal costs, lower first (default 0)\n"
	"  --max-channels N     concurrent calls both ways, 0 = unlimited (default)\n"
	"  --max-cps N          new calls per second both ways, 0 = unlimited (default)\n"
	"  --format F           called number as it wants it: e164 (442071234567,\n"
	"                       default), +e164 (+442071234567) or 00 (00442071234567)\n"
	"  --strip N            leading digits removed before sending (default 0)\n"
	"  --prefix DIGITS      then prepended (digits, #, *, +)\n"
	"  --disabled, --enabled  do not or do route to it (default enabled)\n";

static int carr_apply(struct db *d, const struct carr_opts *o, struct store_carrier *c,
		      char *cidrs, size_t n)
{
	int err;

	if (o->name)
		c->name = (char *)o->name;
	if (o->no_cidr)
		c->cidrs = NULL;
	if (o->cidr) {
		if ((err = cidrs_val(d, o->cidr, cidrs, n)))
			return err;
		c->cidrs = cidrs;
	}
	if ((o->prio && (err = int_val(d, "--priority", o->prio, 0, UINT32_MAX, &c->priority))) ||
	    (o->channels && (err = int_val(d, "--max-channels", o->channels, 0, UINT32_MAX,
					   &c->max_channels))) ||
	    (o->cps && (err = int_val(d, "--max-cps", o->cps, 0, UINT32_MAX, &c->max_cps))) ||
	    (o->strip && (err = int_val(d, "--strip", o->strip, 0, 15, &c->strip_digits))))
		return err;
	if (o->format) {
		if (strcmp(o->format, "e164") && strcmp(o->format, "+e164") && strcmp(o->format, "00"))
			return bad(d, "--format", o->format, "e164, +e164 or 00");
		c->number_format = (char *)o->format;
	}
	if (o->prefix) {
		if (*o->prefix && (strlen(o->prefix) > 16 ||
				   strspn(o->prefix, "0123456789#*+") != strlen(o->prefix)))
			return bad(d, "--prefix", o->prefix, "up to 16 of 0-9 # * +");
		c->add_prefix = *o->prefix ? (char *)o->prefix : NULL;
	}
	if (o->disabled && o->enabled)
		return cli_fail(EXIT_USAGE, d->cmd, "--disabled and --enabled exclude each other");
	if (o->disabled)
		c->enabled = false;
	if (o->enabled)
		c->enabled = true;
	return 0;
}

int carrier_add(struct db *d, int argc, char **argv)
{
	struct carr_opts o = { 0 };
	const struct cli_opt opts[] = { COMMON_OPTS(d), CARR_OPTS(&o), { 0 } };
	struct store_carrier c = { .enabled = true };
	char *pos[MAXPOS], cidrs[2048];
	int n, err;

	if ((err = cli_parse(d->cmd, argc, argv, opts, pos, &n, 1)))
		return err;
	if (d->help) {
		printf("Usage: trunkline db carrier add NAME [options]\n%s%s", carr_help, common_help);
		return 0;
	}
	if (n != 1)
		return cli_fail(EXIT_USAGE, d->cmd, "expected the carrier's NAME (see --help)");
	if ((err = cli_store_open(d->cmd, d->url, d->conf, &d->st)))
		return err;
	o.name = pos[0];
	if ((err = carr_apply(d, &o, &c, cidrs, sizeof(cidrs))))
		return err;
	if ((err = store_carrier_add(d->st, &c)))
		return store_fail(d, err, "carrier not added");
	added(d, "carrier", c.id, c.name);
	return 0;
}

int carrier_update(struct db *d, int argc, char **argv)
{
	struct carr_opts o = { 0 };
	const struct cli_opt opts[] = { COMMON_OPTS(d), CARR_OPTS(&o), { 0 } };
	struct store_carrier c, orig;
	char *pos[MAXPOS], cidrs[2048];
	int n, err;

	if ((err = cli_parse(d->cmd, argc, argv, opts, pos, &n, 1)))
		return err;
	if (d->help) {
		printf("Usage: trunkline db carrier update NAME|ID [options]\n"
		       "Changes only the given fields.\n"
		       "  --name NEW           rename\n"
		       "  --no-cidr            remove the source networks\n%s%s", carr_help,
		       common_help);
		return 0;
	}
	if (n != 1)
		return cli_fail(EXIT_USAGE, d->cmd, "expected the carrier's NAME or ID (see --help)");
	if ((err = cli_store_open(d->cmd, d->url, d->conf, &d->st)) ||
	    (err = ref_carrier(d, pos[0], &c)))
		return err;
	orig = c;
	if (!(err = carr_apply(d, &o, &c, cidrs, sizeof(cidrs))) &&
	    (err = store_carrier_update(d->st, &c)))
		err = store_fail(d, err, "carrier not updated");
	if (!err && !d->quiet)
		printf("updated carrier %lld %s\n", (long long)c.id, c.name);
	store_carrier_reset(&orig);
	return err;
}

static int carr_row(const struct store_carrier *c, void *arg)
{
	(void)arg;
	printf("%-6lld %-20s %-8lld %-7lld %-7lld %-6s %-5lld %-8s %-32s %s\n", (long long)c->id,
	       c->name, (long long)c->priority, (long long)c->max_channels, (long long)c->max_cps,
	       str_or(c->number_format, "e164"), (long long)c->strip_digits,
	       str_or(c->add_prefix, "-"), str_or(c->cidrs, "-"), c->enabled ? "yes" : "no");
	return 0;
}

int carrier_list(struct db *d, int argc, char **argv)
{
	const struct cli_opt opts[] = { COMMON_OPTS(d), { 0 } };
	char *pos[MAXPOS];
	int n, err;

	if ((err = cli_parse(d->cmd, argc, argv, opts, pos, &n, 0)))
		return err;
	if (d->help) {
		printf("Usage: trunkline db carrier list\n%s", common_help);
		return 0;
	}
	if ((err = cli_store_open(d->cmd, d->url, d->conf, &d->st)))
		return err;
	printf("%-6s %-20s %-8s %-7s %-7s %-6s %-5s %-8s %-32s %s\n", "id", "name", "priority",
	       "max_ch", "max_cps", "format", "strip", "prefix", "cidrs", "enabled");
	if ((err = store_foreach_carrier(d->st, 0, carr_row, NULL)))
		return store_fail(d, err, "cannot list carriers");
	return 0;
}

/* "host", "host:port", "[v6]:port", "v6" */
static int hostport(struct db *d, const char *s, char *host, size_t n, int64_t *port)
{
	const char *colon = strrchr(s, ':');
	size_t hl = strlen(s);
	int err;

	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (!end || (end[1] && end[1] != ':'))
			return bad(d, "HOST", s, "host, host:port or [IPv6]:port");
		hl = (size_t)(end - s - 1);
		s++;
		colon = end[1] ? end + 1 : NULL;
	}
	else if (colon && strchr(s, ':') != colon) {
		colon = NULL;    /* a bare IPv6 address */
	}
	else if (colon) {
		hl = (size_t)(colon - s);
	}
	if (!hl || hl >= n || memchr(s, ' ', hl))
		return bad(d, "HOST", s, "host, host:port or [IPv6]:port");
	memcpy(host, s, hl);
	host[hl] = 0;
	if (colon && (err = int_val(d, "port", colon + 1, 1, 65535, port)))
		return err;
	return 0;
}

int gateway_add(struct db *d, int argc, char **argv)
{
	const char *port = NULL, *tp = NULL, *prio = NULL, *weight = NULL;
	bool disabled = false;
	const struct cli_opt opts[] = {
		COMMON_OPTS(d), { "port", 0, &port, NULL }, { "transport", 0, &tp, NULL },
		{ "priority", 0, &prio, NULL }, { "weight", 0, &weight, NULL },
		{ "disabled", 0, NULL, &disabled }, { 0 } };
	struct store_gateway g = { .port = 5060, .transport = "udp", .weight = 1, .enabled = true };
	struct store_carrier c;
	char *pos[MAXPOS], host[256];
	int n, err;

	if ((err = cli_parse(d->cmd, argc, argv, opts, pos, &n, 2)))
		return err;
	if (d->help) {
		printf("Usage: trunkline db gateway add CARRIER HOST[:PORT] [options]\n"
		       "A signalling address of the carrier, where its calls are sent.\n"
		       "  --port N             (default 5060, or the one in HOST:PORT)\n"
		       "  --transport T        udp (default), tcp or tls\n"
		       "  --priority N         lower is tried first (default 0)\n"
		       "  --weight N           share within one priority (default 1)\n"
		       "  --disabled           keep it but do not use it\n%s", common_help);
		return 0;
	}
	if (n != 2)
		return cli_fail(EXIT_USAGE, d->cmd, "expected CARRIER and HOST[:PORT] (see --help)");
	if ((err = hostport(d, pos[1], host, sizeof(host), &g.port)) ||
	    (port && (err = int_val(d, "--port", port, 1, 65535, &g.port))) ||
	    (prio && (err = int_val(d, "--priority", prio, 0, 65535, &g.priority))) ||
	    (weight && (err = int_val(d, "--weight", weight, 0, 65535, &g.weight))))
		return err;
	if (tp) {
		if (strcmp(tp, "udp") && strcmp(tp, "tcp") && strcmp(tp, "tls"))
			return bad(d, "--transport", tp, "udp, tcp or tls");
		g.transport = (char *)tp;
	}
	g.host = host;
	g.enabled = !disabled;
	if ((err = cli_store_open(d->cmd, d->url, d->conf, &d->st)) ||
	    (err = ref_carrier(d, pos[0], &c)))
		return err;
	g.carrier_id = c.id;
	store_carrier_reset(&c);
	if ((err = store_gateway_add(d->st, &g)))
		return store_fail(d, err, "gateway not added");
	if (d->quiet)
		printf("%lld\n", (long long)g.id);
	else
		printf("added gateway %lld %s:%lld/%s\n", (long long)g.id, g.host, (long long)g.port,
		       g.transport);
	return 0;
}

static int gw_row(const struct store_gateway *g, void *arg)
{
	(void)arg;
	printf("%-6lld %-8lld %-24s %-6lld %-9s %-8lld %-6lld %s\n", (long long)g->id,
	       (long long)g->carrier_id, g->host, (long long)g->port, str_or(g->transport, "udp"),
	       (long long)g->priority, (long long)g->weight, g->enabled ? "yes" : "no");
	return 0;
}

int gateway_list(struct db *d, int argc, char **argv)
{
	const char *carr = NULL;
	const struct cli_opt opts[] = { COMMON_OPTS(d), { "carrier", 0, &carr, NULL }, { 0 } };
	char *pos[MAXPOS];
	int64_t parent = 0;
	int n, err;

	if ((err = cli_parse(d->cmd, argc, argv, opts, pos, &n, 1)))
		return err;
	if (d->help) {
		printf("Usage: trunkline db gateway list [--carrier C | CARRIER]\n%s", common_help);
		return 0;
	}
	if (n)
		carr = pos[0];
	if ((err = cli_store_open(d->cmd, d->url, d->conf, &d->st)))
		return err;
	PARENT_FILTER(carrier, carr, &parent);
	printf("%-6s %-8s %-24s %-6s %-9s %-8s %-6s %s\n", "id", "carrier", "host", "port",
	       "transport", "priority", "weight", "enabled");
	if ((err = store_foreach_gateway(d->st, parent, gw_row, NULL)))
		return store_fail(d, err, "cannot list gateways");
	return 0;
}

/* ------------------------------------------------------------------ */
/* Tariffs                                                              */
/* ------------------------------------------------------------------ */

int tariff_add(struct db *d, int argc, char **argv)
{
	const char *cur = NULL;
	const struct cli_opt opts[] = { COMMON_OPTS(d), { "currency", 0, &cur, NULL }, { 0 } };
	struct store_tariff t = { 0 };
	char *pos[MAXPOS];
	int n, err;

	if ((err = cli_parse(d->cmd, argc, argv, opts, pos, &n, 1)))
		return err;
	if (d->help) {
		printf("Usage: trunkline db tariff add NAME [--currency CUR]\n"
		       "A customer price list; add its prices with `db rate add --tariff NAME`.\n"
		       "  --currency CUR   ISO 4217 code, informational (GBP, USD, EUR)\n%s",
		       common_help);
		return 0;
	}
	if (n != 1)
		return cli_fail(EXIT_USAGE, d->cmd, "expected the tariff's NAME (see --help)");
	if (cur && (strlen(cur) != 3 || strspn(cur, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3))
		return bad(d, "--currency", cur, "a 3-letter ISO 4217 code like GBP");
	if ((err = cli_store_open(d->cmd, d->url, d->conf, &d->st)))
		return err;
	t.name = pos[0];
	t.currency = (char *)cur;
	if ((err = store_tariff_add(d->st, &t)))
		return store_fail(d, err, "tariff not added");
	added(d, "tariff", t.id, t.name);
	return 0;
}

static int tariff_row(const struct store_tariff *t, void *arg)
{
	(void)arg;
	printf("%-6lld %-24s %s\n", (long long)t->id, t->name, str_or(t->currency, "-"));
	return 0;
}

int tariff_list(struct db *d, int argc, char **argv)
{
	const struct cli_opt opts[] = { COMMON_OPTS(d), { 0 } };
	char *pos[MAXPOS];
	int n, err;

	if ((err = cli_parse(d->cmd, argc, argv, opts, pos, &n, 0)))
		return err;
	if (d->help) {
		printf("Usage: trunkline db tariff list\n%s", common_help);
		return 0;
	}
	if ((err = cli_store_open(d->cmd, d->url, d->conf, &d->st)))
		return err;
	printf("%-6s %-24s %s\n", "id", "name", "currency");
	if ((err = store_foreach_tariff(d->st, 0, tariff_row, NULL)))
		return store_fail(d, err, "cannot list tariffs");
	return 0;
}
