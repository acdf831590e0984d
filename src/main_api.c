/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file main_api.c  The daemon's side of the REST API: the [api] config
 *                   keys, starting it with the daemon's read-only views
 *                   (SIP, transaction and transport counters for /metrics,
 *                   live counters for route explain), and `trunkline api
 *                   token` to create, list and delete bearer tokens.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "api.h"
#include "call.h"
#include "main_int.h"
#include "store.h"

#define LOG_MOD "main"

/* ---------------------------- config ------------------------------- */

void main_api_cfg_defaults(struct main_api_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->enabled = true;
	sa_set_str(&c->listen, "127.0.0.1", API_PORT_DEFAULT);
}

int main_api_conf(struct main_api_cfg *c, const char *key, const char *val, char *err,
		  size_t n)
{
	if (!strcmp(key, "listen")) {
		if (!strcasecmp(val, "off") || !strcasecmp(val, "no")) {
			c->enabled = false;
			return 0;
		}
		if (sa_decode(&c->listen, val, strlen(val))) {
			snprintf(err, n, "bad value '%s' for 'listen' in [api]: expected a numeric "
				 "address and port like 127.0.0.1:8080 or [::1]:8080, or off", val);
			return -EINVAL;
		}
		if (!sa_port(&c->listen))
			sa_set_port(&c->listen, API_PORT_DEFAULT);
		c->enabled = true;
		c->listen_set = true;
		return 0;
	}
	if (!strcmp(key, "token_sha256")) {
		const char *p = val;

		/* A list; each token_sha256 line adds to it. */
		while (*p) {
			size_t len;

			p += strspn(p, ", \t");
			len = strcspn(p, ", \t");
			if (!len)
				break;
			if (c->ntokens == API_TOKENS_MAX) {
				snprintf(err, n, "too many token_sha256 values in [api] (at most %d)",
					 API_TOKENS_MAX);
				return -EINVAL;
			}
			if (len != API_SHA256_HEX) {
				snprintf(err, n, "bad value '%.*s' for 'token_sha256' in [api]: expected "
					 "64 hex digits (sha256sum of the token)", (int)len, p);
				return -EINVAL;
			}
			memcpy(c->tokens[c->ntokens], p, len);
			c->tokens[c->ntokens][len] = 0;
			if (!api_sha256_hex_valid(c->tokens[c->ntokens])) {
				snprintf(err, n, "bad value '%.*s' for 'token_sha256' in [api]: expected "
					 "64 hex digits (sha256sum of the token)", (int)len, p);
				return -EINVAL;
			}
			c->ntokens++;
			p += len;
		}
		return 0;
	}
	if (!strcmp(key, "tls_cert") || !strcmp(key, "tls_key")) {
		char *dst = key[4] == 'c' ? c->tls_cert : c->tls_key;

		if (!*val || (size_t)snprintf(dst, sizeof(c->tls_cert), "%s", val) >=
		    sizeof(c->tls_cert)) {
			snprintf(err, n, "bad value for '%s' in [api]: a PEM file path of 1 to %zu "
				 "characters", key, sizeof(c->tls_cert) - 1);
			return -EINVAL;
		}
		return 0;
	}
	if (!strcmp(key, "web_root")) {
		/* The dashboard's files; off serves none (the API alone). */
		if ((size_t)snprintf(c->web_root, sizeof(c->web_root), "%s", val) >=
		    sizeof(c->web_root)) {
			snprintf(err, n, "bad value for 'web_root' in [api]: at most %zu characters",
				 sizeof(c->web_root) - 1);
			return -EINVAL;
		}
		return 0;
	}
	snprintf(err, n, "unknown key '%s' in [api]", key);
	return -EINVAL;
}

/* ---------------------------- daemon ------------------------------- */

static void code_metric(bool outbound, uint32_t id, uint16_t code, uint64_t n, void *arg)
{
	char lab[96];

	snprintf(lab, sizeof(lab), "direction=\"%s\",code=\"%u\"", outbound ? "out" : "in", code);
	api_metric(arg, "trunkline_calls_by_code_total", "counter", "ended or refused calls by "
		   "direction and final status towards the caller", lab, n);
	(void)id;
}

static void attempt_metric(bool outbound, uint32_t id, uint16_t code, uint64_t n, void *arg)
{
	char lab[96];

	(void)outbound;
	snprintf(lab, sizeof(lab), "carrier=\"%u\",code=\"%u\"", id, code);
	api_metric(arg, "trunkline_attempts_total", "counter", "B-leg attempts by carrier and "
		   "final status (0: none, timeout or cancelled)", lab, n);
}

static void daemon_metrics(struct api_metrics *m, void *arg)
{
	const struct main_api_views *v = arg;
	struct uas_stats us;
	struct txn_stats ts;
	struct tp_stats ps;

	if (v->uas) {
		uas_stats_get(v->uas, &us);
		api_metric(m, "trunkline_calls_active", "gauge", "calls in progress", "",
			   us.calls_active);
		api_metric(m, "trunkline_calls_total", "counter", "calls by outcome",
			   "outcome=\"started\"", us.calls_started);
		api_metric(m, "trunkline_calls_total", "counter", "", "outcome=\"answered\"",
			   us.calls_answered);
		api_metric(m, "trunkline_calls_total", "counter", "", "outcome=\"failed\"",
			   us.calls_failed);
		api_metric(m, "trunkline_sip_messages_total", "counter", "parsed SIP messages",
			   "kind=\"request\"", us.rx_req);
		api_metric(m, "trunkline_sip_messages_total", "counter", "", "kind=\"response\"",
			   us.rx_resp);
		api_metric(m, "trunkline_sip_parse_errors_total", "counter", "malformed SIP "
			   "messages (requests answered, responses dropped)", "kind=\"request\"",
			   us.bad_req);
		api_metric(m, "trunkline_sip_parse_errors_total", "counter", "", "kind=\"response\"",
			   us.bad_resp);
		api_metric(m, "trunkline_sip_stateless_replies_total", "counter", "replies sent "
			   "without a transaction", "", us.stateless_replies);
		api_metric(m, "trunkline_sip_responses_unmatched_total", "counter", "responses no "
			   "client transaction wanted", "", us.resp_unmatched);
		api_metric(m, "trunkline_call_cdr_lost_total", "counter", "CDRs the writer refused",
			   "", us.cdr_lost);
		uas_calls_by_code(v->uas, code_metric, m);
		uas_attempts_by_carrier(v->uas, attempt_metric, m);
		api_metric_hist(m, "trunkline_pdd_seconds", "post-dial delay: caller's INVITE to "
				"the first ringing relayed", "", uas_hist(v->uas, UAS_HIST_PDD), 1e3);
		api_metric_hist(m, "trunkline_setup_latency_seconds", "caller's INVITE read to the "
				"first INVITE sent to the callee (routing, limits, B leg)", "",
				uas_hist(v->uas, UAS_HIST_SETUP), 1e6);
		api_metric_hist(m, "trunkline_media_mos", "E-model MOS per relayed leg and "
				"direction at call end", "", uas_hist(v->uas, UAS_HIST_MOS), 100);
		api_metric_hist(m, "trunkline_media_jitter_seconds", "RTP interarrival jitter per "
				"relayed leg and direction at call end", "",
				uas_hist(v->uas, UAS_HIST_JITTER), 1e6);
	}
	if (v->txn) {
		txn_stats_get(v->txn, &ts);
		api_metric(m, "trunkline_transactions_total", "counter", "transactions created",
			   "side=\"server\"", ts.srv_created);
		api_metric(m, "trunkline_transactions_total", "counter", "", "side=\"client\"",
			   ts.cli_created);
		api_metric(m, "trunkline_transactions_active", "gauge", "transactions alive",
			   "side=\"server\"", ts.active_srv);
		api_metric(m, "trunkline_transactions_active", "gauge", "", "side=\"client\"",
			   ts.active_cli);
		api_metric(m, "trunkline_retransmissions_absorbed_total", "counter", "request "
			   "retransmissions absorbed by server transactions", "", ts.srv_absorbed);
		api_metric(m, "trunkline_transaction_timeouts_total", "counter", "client "
			   "transactions that timed out", "", ts.cli_timeouts);
	}
	if (v->tp) {
		tp_stats_get(v->tp, &ps);
		api_metric(m, "trunkline_transport_messages_total", "counter", "SIP messages by "
			   "direction", "dir=\"rx\"", ps.rx_msgs);
		api_metric(m, "trunkline_transport_messages_total", "counter", "", "dir=\"tx\"",
			   ps.tx_msgs);
		api_metric(m, "trunkline_transport_bytes_total", "counter", "SIP bytes by direction",
			   "dir=\"rx\"", ps.rx_bytes);
		api_metric(m, "trunkline_transport_bytes_total", "counter", "", "dir=\"tx\"",
			   ps.tx_bytes);
		api_metric(m, "trunkline_tcp_connections_total", "counter", "TCP connections",
			   "event=\"accepted\"", ps.tcp_accepted);
		api_metric(m, "trunkline_tcp_connections_total", "counter", "", "event=\"refused\"",
			   ps.tcp_refused);
		api_metric(m, "trunkline_tcp_connections_total", "counter", "",
			   "event=\"closed_idle\"", ps.tcp_closed_idle);
		api_metric(m, "trunkline_transport_frame_errors_total", "counter", "stream framing "
			   "errors (dropped messages)", "", ps.frame_errors);
	}
}

static int count_row(const struct store_api_token *t, void *arg)
{
	(*(unsigned *)arg)++;
	return 0;
}

int main_api_start(const struct main_api_cfg *c, const char *store_url,
		   struct store_cdr_writer *cdrw, const struct route_state *live,
		   struct main_api_views *views, struct api **ap)
{
	struct api_prm prm = {
		.listen = c->listen, .store_url = store_url, .cdrw = cdrw, .live = live,
		.metricsh = daemon_metrics, .arg = views, .ntokens = c->ntokens,
		.uas = views->uas,
		.tls_cert = c->tls_cert[0] ? c->tls_cert : NULL,
		.tls_key = c->tls_key[0] ? c->tls_key : NULL,
		.web_root = !c->web_root[0] ? NULL
			    : !strcasecmp(c->web_root, "off") ? "" : c->web_root,
	};
	struct store *st = NULL;
	int err;

	*ap = NULL;
	if (!c->enabled)
		return 0;
	if (!c->tls_cert[0] != !c->tls_key[0]) {
		LERR("[api] needs both tls_cert and tls_key for HTTPS (only %s is set)",
		     c->tls_cert[0] ? "tls_cert" : "tls_key");
		return -EINVAL;
	}
	for (unsigned i = 0; i < c->ntokens; i++)
		prm.token_sha256[i] = c->tokens[i];
	err = api_start(ap, &prm);
	if (err == -EADDRINUSE && !c->listen_set) {
		/* Only the default address is busy (another daemon on this host,
		 * or a test running several): run without the API rather than
		 * not at all. An address given in the config must work. */
		LWARN("REST API not started: the default address is in use; set [api] listen "
		      "(or listen = off)");
		return 0;
	}
	if (err)
		return err;
	/* Say so when nobody can log in yet. */
	if (!c->ntokens && !store_open(&st, store_url)) {
		unsigned cnt = 0;

		store_foreach_api_token(st, count_row, &cnt);
		store_close(st);
		if (!cnt)
			LWARN("the API has no tokens yet: every request gets 401; create one with "
			      "`trunkline api token add NAME`");
	}
	return 0;
}

/* ------------------------- api token CLI --------------------------- */

static const char token_usage[] =
	"Usage: trunkline api token add NAME     create a token and print it once\n"
	"       trunkline api token list         names and creation times\n"
	"       trunkline api token delete NAME  revoke a token\n"
	"       trunkline api token hash TOKEN   print SHA-256(TOKEN) for [api] token_sha256\n"
	"\n"
	"Only the SHA-256 of a token is stored; send it as `Authorization: Bearer TOKEN`.\n"
	"  --db URL, -c FILE   database, as for trunkline db\n"
	"  -h, --help          this help\n";

static int token_row(const struct store_api_token *t, void *arg)
{
	time_t s = (time_t)(t->created_ms / 1000);
	struct tm tm;
	char when[32];

	gmtime_r(&s, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("%-6lld %-24s %s %.12s...\n", (long long)t->id, t->name, when, t->sha256);
	return 0;
}

int main_api(int argc, char **argv)
{
	const char *url = NULL, *conf = NULL;
	bool help = false;
	const struct cli_opt opts[] = {
		{ "db", 0, &url, NULL }, { "config", 'c', &conf, NULL },
		{ "help", 'h', NULL, &help }, { 0 } };
	const char *cmd = "api token";
	struct store_api_token t = { 0 };
	struct store *st = NULL;
	char *pos[3];
	int n, err;

	if (argc < 2 || strcmp(argv[1], "token")) {
		if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
			fputs(token_usage, stdout);
			return 0;
		}
		fputs(token_usage, stderr);
		return EXIT_USAGE;
	}
	if ((err = cli_parse(cmd, argc - 2, argv + 2, opts, pos, &n, 2)))
		return err;
	if (help) {
		fputs(token_usage, stdout);
		return 0;
	}
	if (n < 1)
		return cli_fail(EXIT_USAGE, cmd, "expected add, list, delete or hash (see --help)");
	if (!strcmp(pos[0], "hash")) {
		char hex[API_SHA256_HEX + 1];

		if (n != 2)
			return cli_fail(EXIT_USAGE, cmd, "expected the TOKEN");
		if (api_token_hash(pos[1], hex))
			return cli_fail(EXIT_RUNTIME, cmd, "cannot hash");
		printf("%s\n", hex);
		return 0;
	}
	if (strcmp(pos[0], "add") && strcmp(pos[0], "list") && strcmp(pos[0], "delete"))
		return cli_fail(EXIT_USAGE, cmd, "unknown command '%s' (see --help)", pos[0]);
	if (strcmp(pos[0], "list") && n != 2)
		return cli_fail(EXIT_USAGE, cmd, "expected the token's NAME (see --help)");
	if ((err = cli_store_open(cmd, url, conf, &st)))
		return err;
	if (!strcmp(pos[0], "list")) {
		printf("%-6s %-24s %-20s %s\n", "id", "name", "created", "sha256");
		err = store_foreach_api_token(st, token_row, NULL);
		if (err)
			err = cli_fail(EXIT_RUNTIME, cmd, "cannot list: %s", store_errmsg(st));
	}
	else if (!strcmp(pos[0], "delete")) {
		err = store_api_token_find(st, pos[1], &t);
		if (!err)
			err = store_api_token_del(st, t.id);
		if (err == -ENOENT)
			err = cli_fail(EXIT_USAGE, cmd, "no token named '%s'", pos[1]);
		else if (err)
			err = cli_fail(EXIT_RUNTIME, cmd, "cannot delete: %s", store_errmsg(st));
		else
			printf("deleted token %s\n", pos[1]);
	}
	else {
		char token[API_TOKEN_LEN + 1], hex[API_SHA256_HEX + 1];

		if (!*pos[1] || strlen(pos[1]) > 64) {
			err = cli_fail(EXIT_USAGE, cmd, "bad NAME: expected 1 to 64 characters");
			goto out;
		}
		if (api_token_new(token) || api_token_hash(token, hex)) {
			err = cli_fail(EXIT_RUNTIME, cmd, "cannot make a random token");
			goto out;
		}
		t.name = pos[1];
		t.sha256 = hex;
		err = store_api_token_add(st, &t);
		t.name = t.sha256 = NULL;
		if (err == -EEXIST)
			err = cli_fail(EXIT_USAGE, cmd, "a token named '%s' exists (delete it first)",
				       pos[1]);
		else if (err)
			err = cli_fail(EXIT_RUNTIME, cmd, "cannot add: %s", store_errmsg(st));
		else
			/* The only time the token is shown: only its hash is kept. */
			printf("%s\n", token);
	}
out:
	store_api_token_reset(&t);
	store_close(st);
	return err;
}
