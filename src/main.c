/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file main.c  The trunkline daemon: command line, config file, the store
 *               and the routing snapshot, start of the transport workers
 *               and the transaction stack, signals, graceful stop. The
 *               subcommands live in main_db.c and main_route.c.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include "call.h"
#include "main_int.h"
#include "store.h"

#define LOG_MOD "main"

enum {
	DRAIN_MS = 2000,           /* longest wait for in-flight answers at stop */
	PORT_DEFAULT = 5060,
	LIVE_CUSTOMERS = 1u << 22, /* live counters reserved for ids below this */
	LIVE_CARRIERS = 1u << 16,
};

struct cfg {
	const char *path;          /* borrowed from argv; NULL: built-in defaults */
	struct tp_listen listen[TP_LISTEN_MAX];
	unsigned listenc;
	bool listen_from_file;     /* the first "listen" replaces the defaults */
	unsigned workers;
	struct txn_cfg txn;
	struct sip_limits limits;
	unsigned tcp_idle_s;
	unsigned tcp_max_per_src;
	unsigned tcp_max_conns;
	int dscp;                     /* SIP packets' DSCP, -1 = leave as is */
	uint32_t reject_delay_ms;
	uint32_t max_duration_s;   /* [call] max_duration, 0 = unlimited */
	uint32_t min_se_s;         /* [call] min_se (RFC 4028) */
	uint32_t no_answer_s;      /* [call] no_answer_timeout */
	char realm[128];           /* [call] realm of digest challenges */
	enum uas_digest digest;    /* [call] digest_algorithms (RFC 8760) */
	char store_url[4096];      /* [store] url */
	bool demo;                 /* [store] demo or --demo: seed demo provisioning */
	uint32_t reload_ms;        /* [store] reload_interval */
	struct main_api_cfg api;   /* [api] */
	struct main_media_cfg media;   /* [media] */
	enum log_level level;
	char log_file[4096];       /* empty: stderr */
	char err[1024];            /* the first error, "file:line: what" */
};

static const char usage_text[] =
	"Usage: trunkline [-c FILE] [--demo] [-t] [-h] [-V]\n"
	"       trunkline db COMMAND ...      provision the database (db --help)\n"
	"       trunkline route explain ...   show a routing decision (route --help)\n"
	"       trunkline api token ...       REST API bearer tokens (api --help)\n"
	"Trunkline SIP trunking softswitch.\n"
	"\n"
	"  -c, --config FILE  read the configuration from FILE (INI); without it\n"
	"                     the built-in defaults apply (UDP and TCP on\n"
	"                     127.0.0.1:5060, one worker per CPU, log level info,\n"
	"                     database sqlite:var/trunkline.db)\n"
	"  -d, --demo         add the demo provisioning to the database (as\n"
	"                     [store] demo = yes); nothing changes if it is there\n"
	"  -t, --check        check the configuration and exit (0 when valid)\n"
	"  -h, --help         print this help and exit\n"
	"  -V, --version      print the version and exit\n"
	"\n"
	"Signals: SIGTERM and SIGINT stop gracefully, SIGHUP reopens the log file.\n"
	"Exit status: 0 after a clean stop, 1 when the daemon could not start,\n"
	"2 for a bad command line or configuration.\n";

/* ---------------------------- config ------------------------------- */

static void cfg_defaults(struct cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->txn = txn_cfg_default;
	c->limits = sip_limits_default;
	c->tcp_idle_s = 120;
	c->tcp_max_per_src = 64;
	c->tcp_max_conns = 10000;
	c->dscp = 24;   /* CS3, the usual class for signalling */
	c->level = LOG_INFO;
	c->max_duration_s = 14400;
	c->min_se_s = 90;
	c->no_answer_s = 180;
	strcpy(c->realm, "trunkline");
	snprintf(c->store_url, sizeof(c->store_url), "%s", STORE_DEFAULT_URL);
	c->reload_ms = 1000;
	main_api_cfg_defaults(&c->api);
	main_media_cfg_defaults(&c->media);
	sa_set_str(&c->listen[0].addr, "127.0.0.1", PORT_DEFAULT);
	c->listen[0].proto = TP_UDP;
	sa_set_str(&c->listen[1].addr, "127.0.0.1", PORT_DEFAULT);
	c->listen[1].proto = TP_TCP;
	c->listenc = 2;
}

static int cfg_fail(struct cfg *c, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int cfg_fail(struct cfg *c, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(c->err, sizeof(c->err), "%s:%u: ", c->path ? c->path : "-", line);

	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(c->err))
		vsnprintf(c->err + n, sizeof(c->err) - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *v)
{
	char *end;
	unsigned long x;

	if (!*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	x = strtoul(s, &end, 10);
	if (errno || *end || x < min || x > max)
		return -EINVAL;
	*v = x;
	return 0;
}

/* One "proto:addr[:port]" element: udp:127.0.0.1:5060, tcp:[::1]:5070. */
static int parse_listen_one(struct cfg *c, unsigned line, const char *s, size_t len)
{
	const char *colon = memchr(s, ':', len);
	struct tp_listen *l;
	struct pl proto;
	int err;

	if (!colon)
		return cfg_fail(c, line, "bad listen address '%.*s': expected proto:address:port "
				"(e.g. udp:127.0.0.1:5060)", (int)len, s);
	if (c->listenc == TP_LISTEN_MAX)
		return cfg_fail(c, line, "too many listen addresses (at most %d)", TP_LISTEN_MAX);
	l = &c->listen[c->listenc];
	proto = pl_from(s, (size_t)(colon - s));
	if (tp_proto_parse(&proto, &l->proto) || l->proto == TP_TLS)
		return cfg_fail(c, line, "bad listen protocol '%.*s' in '%.*s': expected udp or tcp",
				PL_FMT(&proto), (int)len, s);
	err = sa_decode(&l->addr, colon + 1, len - (size_t)(colon + 1 - s));
	if (err)
		return cfg_fail(c, line, "bad listen address '%.*s': expected a numeric IPv4 "
				"address or [IPv6] address, then :port", (int)len, s);
	if (!sa_port(&l->addr))
		sa_set_port(&l->addr, PORT_DEFAULT);
	c->listenc++;
	return 0;
}

/* A comma or blank separated list; each "listen" line adds to the list. */
static int parse_listen(struct cfg *c, unsigned line, const char *val)
{
	const char *p = val;
	int err;

	if (!c->listen_from_file) {
		c->listen_from_file = true;
		c->listenc = 0;
	}
	while (*p) {
		size_t n;

		p += strspn(p, ", \t");
		n = strcspn(p, ", \t");
		if (!n)
			break;
		err = parse_listen_one(c, line, p, n);
		if (err)
			return err;
		p += n;
	}
	if (!c->listenc)
		return cfg_fail(c, line, "empty listen list");
	return 0;
}

struct num_key {
	const char *name;
	unsigned long min, max;
	const char *unit;
};

static const struct num_key sip_nums[] = {
	{ "workers",              0, 256,        "threads (0: one per CPU)" },
	{ "t1",                   1, 60000,      "ms" },
	{ "t2",                   1, 600000,     "ms" },
	{ "t4",                   1, 600000,     "ms" },
	{ "max_message_size",     512, 65535,    "bytes" },
	{ "max_headers",          8, SIP_HDR_CAP, "headers" },
	{ "max_header_length",    64, 65535,     "bytes" },
	{ "tcp_idle_timeout",     1, 86400,      "s" },
	{ "tcp_max_per_source",   1, 1000000,    "connections" },
	{ "tcp_max_connections",  1, 1000000,    "connections" },
	{ "dscp",                 0, 63,         "(or none)" },
};

static int set_sip(struct cfg *c, unsigned line, const char *key, const char *val)
{
	unsigned long v = 0;
	size_t i;

	if (!strcmp(key, "listen"))
		return parse_listen(c, line, val);
	if (!strcmp(key, "dscp") && !strcmp(val, "none")) {
		c->dscp = -1;
		return 0;
	}

	for (i = 0; i < ARRAY_SIZE(sip_nums); i++) {
		if (!strcmp(key, sip_nums[i].name))
			break;
	}
	if (i == ARRAY_SIZE(sip_nums))
		return cfg_fail(c, line, "unknown key '%s' in [sip]", key);
	if (parse_uint(val, sip_nums[i].min, sip_nums[i].max, &v))
		return cfg_fail(c, line, "bad value '%s' for '%s' in [sip]: expected %lu..%lu %s",
				val, key, sip_nums[i].min, sip_nums[i].max, sip_nums[i].unit);

	if (!strcmp(key, "workers"))
		c->workers = (unsigned)v;
	else if (!strcmp(key, "t1"))
		c->txn.t1 = (uint32_t)v;
	else if (!strcmp(key, "t2"))
		c->txn.t2 = (uint32_t)v;
	else if (!strcmp(key, "t4"))
		c->txn.t4 = (uint32_t)v;
	else if (!strcmp(key, "max_message_size"))
		c->limits.max_msg_size = v;
	else if (!strcmp(key, "max_headers"))
		c->limits.max_headers = (unsigned)v;
	else if (!strcmp(key, "max_header_length"))
		c->limits.max_hdr_len = v;
	else if (!strcmp(key, "tcp_idle_timeout"))
		c->tcp_idle_s = (unsigned)v;
	else if (!strcmp(key, "tcp_max_per_source"))
		c->tcp_max_per_src = (unsigned)v;
	else if (!strcmp(key, "tcp_max_connections"))
		c->tcp_max_conns = (unsigned)v;
	else if (!strcmp(key, "dscp"))
		c->dscp = (int)v;
	return 0;
}

static const struct num_key call_nums[] = {
	/* Below 32 s: the client's timer B must not fire first. */
	{ "reject_delay",    0, 30000,   "ms" },
	{ "max_duration",    0, 604800,  "s (0: unlimited)" },
	/* RFC 4028 §4: Min-SE is never below 90 s. */
	{ "min_se",          90, 86400,  "s" },
	{ "no_answer_timeout", 1, 3600,  "s" },
};

static int set_call(struct cfg *c, unsigned line, const char *key, const char *val)
{
	unsigned long v = 0;
	size_t i;

	if (!strcmp(key, "digest_algorithms")) {
		if (!strcmp(val, "md5"))
			c->digest = UAS_DIGEST_MD5;
		else if (!strcmp(val, "md5,sha256"))
			c->digest = UAS_DIGEST_MD5_SHA256;
		else if (!strcmp(val, "sha256,md5"))
			c->digest = UAS_DIGEST_SHA256_MD5;
		else
			return cfg_fail(c, line, "bad value '%s' for 'digest_algorithms' in [call]: "
					"expected md5, md5,sha256 or sha256,md5", val);
		return 0;
	}
	if (!strcmp(key, "realm")) {
		/* It goes between quotes in Proxy-Authenticate and into HA1s. */
		if (!*val || strlen(val) >= sizeof(c->realm) || strpbrk(val, "\"\\"))
			return cfg_fail(c, line, "bad value '%s' for 'realm' in [call]: expected "
					"1..%zu characters without '\"' or '\\'", val,
					sizeof(c->realm) - 1);
		for (const char *p = val; *p; p++) {
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				return cfg_fail(c, line, "bad value for 'realm' in [call]: "
						"control character");
		}
		strcpy(c->realm, val);
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(call_nums); i++) {
		if (!strcmp(key, call_nums[i].name))
			break;
	}
	if (i == ARRAY_SIZE(call_nums))
		return cfg_fail(c, line, "unknown key '%s' in [call]", key);
	if (parse_uint(val, call_nums[i].min, call_nums[i].max, &v))
		return cfg_fail(c, line, "bad value '%s' for '%s' in [call]: expected %lu..%lu %s",
				val, key, call_nums[i].min, call_nums[i].max, call_nums[i].unit);
	if (!strcmp(key, "reject_delay"))
		c->reject_delay_ms = (uint32_t)v;
	else if (!strcmp(key, "max_duration"))
		c->max_duration_s = (uint32_t)v;
	else if (!strcmp(key, "min_se"))
		c->min_se_s = (uint32_t)v;
	else
		c->no_answer_s = (uint32_t)v;
	return 0;
}

static int parse_bool(const char *s, bool *b)
{
	if (!strcasecmp(s, "yes") || !strcasecmp(s, "true") || !strcasecmp(s, "on") ||
	    !strcmp(s, "1"))
		*b = true;
	else if (!strcasecmp(s, "no") || !strcasecmp(s, "false") || !strcasecmp(s, "off") ||
		 !strcmp(s, "0"))
		*b = false;
	else
		return -EINVAL;
	return 0;
}

static int set_store(struct cfg *c, unsigned line, const char *key, const char *val)
{
	unsigned long v;

	if (!strcmp(key, "url")) {
		if (!*val || strlen(val) >= sizeof(c->store_url))
			return cfg_fail(c, line, "bad value for 'url' in [store]: expected "
					"sqlite:PATH (at most %zu characters)", sizeof(c->store_url) - 1);
		strcpy(c->store_url, val);
		return 0;
	}
	if (!strcmp(key, "demo")) {
		if (parse_bool(val, &c->demo))
			return cfg_fail(c, line, "bad value '%s' for 'demo' in [store]: "
					"expected yes or no", val);
		return 0;
	}
	if (!strcmp(key, "reload_interval")) {
		if (parse_uint(val, 100, 3600000, &v))
			return cfg_fail(c, line, "bad value '%s' for 'reload_interval' in [store]: "
					"expected 100..3600000 ms", val);
		c->reload_ms = (uint32_t)v;
		return 0;
	}
	return cfg_fail(c, line, "unknown key '%s' in [store]", key);
}

static int set_log(struct cfg *c, unsigned line, const char *key, const char *val)
{
	if (!strcmp(key, "level")) {
		if (log_level_parse(val, &c->level))
			return cfg_fail(c, line, "bad value '%s' for 'level' in [log]: "
					"expected error, warn, info or debug", val);
		return 0;
	}
	if (!strcmp(key, "file")) {
		if (strlen(val) >= sizeof(c->log_file))
			return cfg_fail(c, line, "log file name too long");
		strcpy(c->log_file, val);
		return 0;
	}
	return cfg_fail(c, line, "unknown key '%s' in [log]", key);
}

static int conf_key(const char *section, const char *key, const char *val,
		    unsigned line, void *arg)
{
	struct cfg *c = arg;

	if (!strcmp(section, "sip"))
		return set_sip(c, line, key, val);
	if (!strcmp(section, "call"))
		return set_call(c, line, key, val);
	if (!strcmp(section, "store"))
		return set_store(c, line, key, val);
	if (!strcmp(section, "log"))
		return set_log(c, line, key, val);
	if (!strcmp(section, "media")) {
		char msg[256];

		if (main_media_conf(&c->media, key, val, msg, sizeof(msg)))
			return cfg_fail(c, line, "%s", msg);
		return 0;
	}
	if (!strcmp(section, "api")) {
		char msg[256];

		if (main_api_conf(&c->api, key, val, msg, sizeof(msg)))
			return cfg_fail(c, line, "%s", msg);
		return 0;
	}
	if (!*section)
		return cfg_fail(c, line, "key '%s' outside a section", key);
	return cfg_fail(c, line, "unknown section [%s] (key '%s')", section, key);
}

static int cfg_load(struct cfg *c, const char *path)
{
	char perr[sizeof(c->err)] = "";
	int err;

	cfg_defaults(c);
	c->path = path;
	if (!path)
		return 0;
	err = conf_parse_file(path, conf_key, c, perr, sizeof(perr));
	if (err && !c->err[0]) {
		/* A syntax error (conf.c wrote it) or the file is unreadable. */
		if (perr[0])
			snprintf(c->err, sizeof(c->err), "%s", perr);
		else
			snprintf(c->err, sizeof(c->err), "%s: %s", path, strerror(-err));
	}
	if (err)
		return err;
	if (c->txn.t2 < c->txn.t1) {
		snprintf(c->err, sizeof(c->err), "%s: t2 (%u ms) is below t1 (%u ms) in [sip]",
			 path, c->txn.t2, c->txn.t1);
		return -EINVAL;
	}
	{
		char msg[256];

		if (main_media_check(&c->media, msg, sizeof(msg))) {
			snprintf(c->err, sizeof(c->err), "%s: %s", path, msg);
			return -EINVAL;
		}
	}
	return 0;
}

int main_conf_store_url(const char *path, char *url, size_t n)
{
	static struct cfg c;

	if (cfg_load(&c, path)) {
		fprintf(stderr, "%s\n", c.err);
		return EXIT_USAGE;
	}
	snprintf(url, n, "%s", c.store_url);
	return 0;
}

/* ----------------------------- daemon ------------------------------ */

static const char *listen_str(const struct cfg *c, const struct tp *tp, char *buf, size_t n)
{
	size_t off = 0;

	buf[0] = 0;
	for (unsigned i = 0; i < c->listenc && off < n; i++) {
		struct sa a = c->listen[i].addr;
		char s[SA_FMT_MAX];
		int w;

		/* Port 0 binds an ephemeral port: log the real one. */
		if (tp && !sa_port(&a)) {
			struct sa real;

			if (!tp_local(tp, c->listen[i].proto, sa_af(&a), &real))
				a = real;
		}
		w = snprintf(buf + off, n - off, "%s%s:%s", i ? "," : "",
			     c->listen[i].proto == TP_UDP ? "udp" : "tcp", sa_fmt(&a, s, sizeof(s)));
		if (w < 0)
			break;
		off += (size_t)w;
	}
	return buf;
}

static int run(const struct cfg *c)
{
	struct uas_prm uprm = { .limits = c->limits, .reject_delay_ms = c->reject_delay_ms };
	struct tp_prm tprm;
	struct uas *uas = NULL;
	struct tp *tp = NULL;
	struct txn_stack *txn = NULL;
	struct uas_stats us;
	struct txn_stats ts;
	struct tp_stats ps;
	struct store *st = NULL;
	struct store_cdr_writer *cdrw = NULL;
	struct snap_reloader *reloader = NULL;
	struct call_live live = { 0 };
	struct sip_nonce_ctx *nonces = NULL;
	struct api *api = NULL;
	struct main_api_views views = { 0 };
	struct media *media = NULL;
	uint64_t gen = 0;
	int schema = 0;
	char lbuf[TP_LISTEN_MAX * (SA_FMT_MAX + 6)];
	sigset_t set;
	int sfd = -1, err, rc = EXIT_RUNTIME;

	/* Workers inherit this mask: only the main thread takes signals. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL)) {
		LERR("cannot block signals");
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0) {
		LERR("signalfd failed err=%d", -errno);
		goto out;
	}

	/* The database first: a call needs its routing snapshot and its CDR
	 * writer from the first INVITE on. */
	err = store_open(&st, c->store_url);
	if (err) {
		LERR("cannot open the database url=%s err=%d (%s)", c->store_url, err,
		     strerror(-err));
		goto out;
	}
	store_schema_version(st, &schema);
	if (c->demo) {
		err = store_seed_demo(st);
		if (err) {
			LERR("demo provisioning failed err=%d store=\"%s\"", err, store_errmsg(st));
			goto out;
		}
	}
	err = snap_publish_from(st, &gen);
	if (err)
		goto out;
	LINFO("store opened url=%s schema_version=%d generation=%llu demo=%s", c->store_url,
	      schema, (unsigned long long)gen, c->demo ? "yes" : "no");
	err = store_cdr_writer_start(&cdrw, st, NULL);
	if (err) {
		LERR("cannot start the CDR writer err=%d", err);
		goto out;
	}
	err = snap_reloader_start(&reloader, c->store_url, gen, c->reload_ms);
	if (err) {
		LERR("cannot start the snapshot reloader err=%d", err);
		goto out;
	}
	err = call_live_alloc(&live, LIVE_CUSTOMERS, LIVE_CARRIERS);
	if (err) {
		LERR("cannot allocate the live counters err=%d", err);
		goto out;
	}

	err = sip_nonce_alloc(&nonces, NULL);
	if (err) {
		LERR("cannot allocate the digest nonce service err=%d", err);
		goto out;
	}

	uprm.cdrw = cdrw;
	uprm.live = &live;
	uprm.max_duration_s = c->max_duration_s;
	uprm.session_min_se_s = c->min_se_s;
	uprm.no_answer_s = c->no_answer_s;
	uprm.nonces = nonces;
	uprm.realm = c->realm;
	uprm.digest = c->digest;
	err = main_media_start(&c->media, &media);
	if (err) {
		LERR("cannot start the media relay err=%d (%s)", err, strerror(-err));
		goto out;
	}
	uprm.media = media;
	uprm.rtp_timeout_s = c->media.prm.rtp_timeout_s;
	uprm.media_latch = c->media.latch;
	err = uas_alloc(&uas, &uprm);
	if (err) {
		LERR("cannot allocate the UA core err=%d", err);
		goto out;
	}

	memset(&tprm, 0, sizeof(tprm));
	memcpy(tprm.listen, c->listen, sizeof(tprm.listen));
	tprm.listenc = c->listenc;
	tprm.workers = c->workers;
	tprm.limits = c->limits;
	tprm.tcp_idle_ms = c->tcp_idle_s * 1000u;
	tprm.tcp_max_per_src = c->tcp_max_per_src;
	tprm.tcp_max_conns = c->tcp_max_conns;
	tprm.dscp = c->dscp;
	tprm.recvh = uas_recv;
	tprm.arg = uas;
	err = tp_alloc(&tp, &tprm);
	if (err) {
		LERR("cannot listen listen=%s err=%d (%s)",
		     listen_str(c, NULL, lbuf, sizeof(lbuf)), err, strerror(-err));
		goto out;
	}
	err = txn_stack_alloc(&txn, tp, &c->txn);
	if (err) {
		LERR("cannot allocate the transaction stack err=%d", err);
		goto out;
	}
	uas_attach(uas, tp, txn);
	err = tp_start(tp);
	if (err) {
		LERR("cannot start the workers err=%d (%s)", err, strerror(-err));
		goto out;
	}
	LINFO("started version=%s pid=%d workers=%u listen=%s", TL_VERSION, (int)getpid(),
	      tp_workers(tp), listen_str(c, tp, lbuf, sizeof(lbuf)));
	/* The REST API last: its /metrics reads the stack started above. */
	views = (struct main_api_views){ .uas = uas, .txn = txn, .tp = tp };
	err = main_api_start(&c->api, c->store_url, cdrw, &live.state, &views, &api);
	if (err) {
		LERR("cannot start the REST API err=%d (%s)", err, strerror(-err));
		goto out;
	}

	for (;;) {
		struct signalfd_siginfo si;
		ssize_t n = read(sfd, &si, sizeof(si));

		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(si)) {
			LERR("signalfd read failed err=%d", n < 0 ? -errno : -EIO);
			break;
		}
		if (si.ssi_signo == SIGHUP) {
			err = log_reopen();
			LINFO("log reopened err=%d", err);
			continue;
		}
		LINFO("stopping signal=%s", strsignal((int)si.ssi_signo));
		break;
	}

	/* Refuse new requests, let held INVITEs get their answer, then stop
	 * reading and join the workers. Transactions still in their wait
	 * states end with the stack. */
	/* No provisioning changes while calls are torn down. */
	api_stop(api);
	api = NULL;
	if (uas_drain(uas, DRAIN_MS))
		LWARN("some held INVITEs were not answered in time");
	tp_stop(tp);

	uas_stats_get(uas, &us);
	txn_stats_get(txn, &ts);
	tp_stats_get(tp, &ps);
	LINFO("stopped rx_req=%llu rx_resp=%llu bad_req=%llu bad_resp=%llu stateless=%llu "
	      "resp_unmatched=%llu srv_created=%llu srv_absorbed=%llu rx_msgs=%llu "
	      "tx_msgs=%llu frame_errors=%llu",
	      (unsigned long long)us.rx_req, (unsigned long long)us.rx_resp,
	      (unsigned long long)us.bad_req, (unsigned long long)us.bad_resp,
	      (unsigned long long)us.stateless_replies, (unsigned long long)us.resp_unmatched,
	      (unsigned long long)ts.srv_created, (unsigned long long)ts.srv_absorbed,
	      (unsigned long long)ps.rx_msgs, (unsigned long long)ps.tx_msgs,
	      (unsigned long long)ps.frame_errors);
	rc = 0;
out:
	api_stop(api);
	if (tp)
		tp_stop(tp);
	txn_stack_free(txn);
	if (tp)
		tp_free(tp);
	mem_deref(uas);
	/* every call, and with it every media session, is gone */
	mem_deref(media);
	mem_deref(nonces);
	/* Calls are gone: no snapshot is needed any more, and every CDR they
	 * queued is written before the store closes. */
	snap_reloader_stop(reloader);
	if (cdrw && store_cdr_writer_stop(cdrw)) {
		LERR("some CDRs could not be written (logged in full above)");
		if (!rc)
			rc = EXIT_RUNTIME;
	}
	route_snap_publish(NULL);
	call_live_free(&live);
	store_close(st);
	if (sfd >= 0)
		close(sfd);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config",  required_argument, NULL, 'c' },
		{ "demo",    no_argument,       NULL, 'd' },
		{ "check",   no_argument,       NULL, 't' },
		{ "help",    no_argument,       NULL, 'h' },
		{ "version", no_argument,       NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static struct cfg cfg;
	const char *path = NULL;
	bool check = false, demo = false;
	int opt, rc;

	/* Subcommands write their errors to stderr themselves; library
	 * warnings (a store constraint) still reach it. */
	if (argc > 1 && (!strcmp(argv[1], "db") || !strcmp(argv[1], "route") ||
			 !strcmp(argv[1], "api"))) {
		log_set_level(LOG_WARN);
		rc = argv[1][0] == 'd' ? main_db(argc - 1, argv + 1) :
		     argv[1][0] == 'a' ? main_api(argc - 1, argv + 1) : main_route(argc - 1, argv + 1);
		log_close();
		return rc;
	}

	/* Grow the heap 64 MiB at a time: every message allocates, and
	 * growing (and trimming) it by small steps made brk/mprotect and
	 * page-fault handling a fifth of the daemon's CPU under load. Pages
	 * are only resident once used. */
	mallopt(M_TOP_PAD, 64 << 20);

	while ((opt = getopt_long(argc, argv, "c:dthV", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case 'd':
			demo = true;
			break;
		case 't':
			check = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'V':
			printf("trunkline %s\n", TL_VERSION);
			return 0;
		default:
			fputs(usage_text, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "trunkline: unexpected argument '%s'\n", argv[optind]);
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}

	if (cfg_load(&cfg, path)) {
		fprintf(stderr, "%s\n", cfg.err);
		return EXIT_USAGE;
	}
	cfg.demo |= demo;
	if (check) {
		printf("%s: configuration OK\n", path ? path : "built-in defaults");
		return 0;
	}

	log_set_level(cfg.level);
	if (cfg.log_file[0] && (rc = log_open(cfg.log_file)) != 0) {
		fprintf(stderr, "trunkline: cannot open log file %s: %s\n", cfg.log_file,
			strerror(-rc));
		return EXIT_RUNTIME;
	}
	rc = run(&cfg);
	log_close();
	return rc;
}
