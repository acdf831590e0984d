/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file bench_parse.c  Parse speed of Trunkline's sip_msg_parse against
 *                      libosip2, on the same messages, in one process.
 *
 * Each case is timed as R runs of N iterations per parser, the two parsers
 * taking turns run by run (A B A B ...) so that a drift of the machine's
 * speed hits both alike. Per case it prints the median ns per message,
 * the min..max of the runs, MB/s and the ratio libosip2 / Trunkline.
 * Both sides read the same keys after parsing (Call-ID, CSeq, top Via
 * branch, From and To tags): libosip2 decodes them eagerly anyway and
 * Trunkline keeps them as eager keys, so the figure is "parse and get
 * what the transaction layer needs".
 *
 * It reports; it never fails on a missed goal (exit status 0 unless a
 * parser rejects a message or memory runs out).
 *
 * usage: bench_parse [-r RUNS] [-t MS_PER_RUN] [-c CASE] [-p trunkline|libosip2]
 * -p runs one parser alone, for a profiler (perf record, callgrind).
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sip.h"
#include "bench_osip.h"

enum {
	RUNS_DEFAULT = 15,
	RUN_MS_DEFAULT = 20,     /* one run's target length */
	RUNS_MAX = 101,
	MSG_CAP = 4096,
};

/* Goals of the parser issue, printed beside the figures. */
#define GOAL_RATIO 5.0
#define GOAL_INVITE_NS 1000.0

/* ------------------------------------------------------------------ */
/* The messages                                                          */
/* ------------------------------------------------------------------ */

/* What a PBX sends to a trunk: G.711 u/A-law and RFC 4733 events. */
static const char invite_sdp[] =
	"v=0\r\n"
	"o=- 1716984221 1716984221 IN IP4 192.0.2.10\r\n"
	"s=ExamplePBX\r\n"
	"c=IN IP4 192.0.2.10\r\n"
	"t=0 0\r\n"
	"m=audio 16384 RTP/AVP 0 8 101\r\n"
	"a=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:8 PCMA/8000\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n"
	"a=fmtp:101 0-16\r\n"
	"a=ptime:20\r\n"
	"a=sendrecv\r\n";

static const char invite_hdrs[] =
	"INVITE sip:+4930123456789@trunk.example.net;user=phone SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK77ba1a5a0fbc4b2d;rport\r\n"
	"Max-Forwards: 70\r\n"
	"From: \"Alice Example\" <sip:+14155550100@pbx.example.com;user=phone>;tag=9fxced76sl\r\n"
	"To: <sip:+4930123456789@trunk.example.net;user=phone>\r\n"
	"Call-ID: 3848276298220188511@pbx.example.com\r\n"
	"CSeq: 314159 INVITE\r\n"
	"Contact: <sip:+14155550100@192.0.2.10:5060;transport=udp>\r\n"
	"Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, PRACK, REFER, NOTIFY\r\n"
	"Supported: replaces, timer, 100rel\r\n"
	"User-Agent: ExamplePBX/16.2.1\r\n"
	"P-Asserted-Identity: \"Alice Example\" <sip:+14155550100@pbx.example.com;user=phone>\r\n"
	"Content-Type: application/sdp\r\n";

static const char ok_sdp[] =
	"v=0\r\n"
	"o=carrier 2890844526 2890844527 IN IP4 198.51.100.20\r\n"
	"s=-\r\n"
	"c=IN IP4 198.51.100.20\r\n"
	"t=0 0\r\n"
	"m=audio 40002 RTP/AVP 0 101\r\n"
	"a=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n"
	"a=fmtp:101 0-15\r\n"
	"a=ptime:20\r\n"
	"a=sendrecv\r\n";

static const char ok_hdrs[] =
	"SIP/2.0 200 OK\r\n"
	"Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK77ba1a5a0fbc4b2d;rport=5060;received=192.0.2.10\r\n"
	"Record-Route: <sip:198.51.100.1;lr;ftag=9fxced76sl>\r\n"
	"From: \"Alice Example\" <sip:+14155550100@pbx.example.com;user=phone>;tag=9fxced76sl\r\n"
	"To: <sip:+4930123456789@trunk.example.net;user=phone>;tag=as6d8f7a3b\r\n"
	"Call-ID: 3848276298220188511@pbx.example.com\r\n"
	"CSeq: 314159 INVITE\r\n"
	"Contact: <sip:+4930123456789@198.51.100.20:5060>\r\n"
	"Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, PRACK\r\n"
	"Supported: replaces, timer\r\n"
	"Session-Expires: 1800;refresher=uac\r\n"
	"Require: timer\r\n"
	"Server: CarrierSBC 7.4\r\n"
	"Content-Type: application/sdp\r\n";

static const char register_msg[] =
	"REGISTER sip:sip.example.net SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 203.0.113.45:5060;branch=z9hG4bK3c1f6a9d02e7b1;rport\r\n"
	"Max-Forwards: 70\r\n"
	"From: \"Office Phone 12\" <sip:office12@sip.example.net>;tag=1928301774\r\n"
	"To: \"Office Phone 12\" <sip:office12@sip.example.net>\r\n"
	"Call-ID: a84b4c76e66710-reg@203.0.113.45\r\n"
	"CSeq: 1826 REGISTER\r\n"
	"Contact: <sip:office12@203.0.113.45:5060;transport=udp>;expires=3600;+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000b82a1b2c3>\"\r\n"
	"Authorization: Digest username=\"office12\", realm=\"sip.example.net\", "
	"nonce=\"5fd2e9c1a7b84e0f9d3c6b21a0e4f875\", uri=\"sip:sip.example.net\", "
	"response=\"6629fae49393a05397450978507c4ef1\", algorithm=MD5, "
	"cnonce=\"0a4f113b\", qop=auth, nc=00000001, opaque=\"b4c9e2f1\"\r\n"
	"Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, NOTIFY, REFER, UPDATE\r\n"
	"Supported: path, gruu, outbound\r\n"
	"User-Agent: DeskPhone/8.9.3.10\r\n"
	"Expires: 3600\r\n";

struct bmsg {
	char buf[MSG_CAP];
	size_t len;
	const char *callid;   /* expected, to check the parse */
};

/* hdrs (without Content-Length) + Content-Length + blank line + body */
static int msg_build(struct bmsg *m, const char *hdrs, const char *body, const char *callid)
{
	size_t blen = body ? strlen(body) : 0;
	int n = snprintf(m->buf, sizeof(m->buf), "%sContent-Length: %zu\r\n\r\n%s",
			 hdrs, blen, body ? body : "");

	if (n < 0 || (size_t)n >= sizeof(m->buf))
		return -ENOSPC;
	m->len = (size_t)n;
	m->callid = callid;
	return 0;
}

/* ------------------------------------------------------------------ */
/* The work per iteration                                                */
/* ------------------------------------------------------------------ */

static struct sip_msg *tl_msg;          /* 15 kB: one, reused, like a worker */
static struct sdp_session *tl_sdp;

static uint64_t fold(const struct pl *x)
{
	return x->p && x->l ? (uint64_t)(unsigned char)x->p[0] + x->l : 0;
}

static int tl_parse_keys(const char *buf, size_t len, uint64_t *sink)
{
	struct sip_perr perr;
	struct sip_msg *m = tl_msg;

	if (sip_msg_parse(m, buf, len, &sip_limits_default, &perr) != 0)
		return -1;
	*sink += fold(&m->callid) + m->cseq.num + (uint64_t)m->cseq.meth;
	*sink += fold(&m->via.branch) + fold(&m->from.tag) + fold(&m->to.tag);
	return 0;
}

static int tl_parse_auth(const char *buf, size_t len, uint64_t *sink)
{
	const struct sip_hdr *h;
	struct sip_auth a;

	if (tl_parse_keys(buf, len, sink) != 0)
		return -1;
	h = sip_msg_hdr(tl_msg, SIP_HDR_AUTHORIZATION);
	if (!h || sip_auth_decode(&a, &h->val) != 0)
		return -1;
	*sink += fold(&a.username) + fold(&a.response) + fold(&a.nonce);
	return 0;
}

static int tl_sdp_parse(const char *body, size_t len, uint64_t *sink)
{
	if (sdp_parse(tl_sdp, body, len) != 0 || tl_sdp->mediac < 1)
		return -1;
	*sink += fold(&tl_sdp->conn.addr) + tl_sdp->media[0].port;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Timing                                                                */
/* ------------------------------------------------------------------ */

typedef int (work_h)(const char *buf, size_t len, uint64_t *sink);

/* ns per message over the runs */
struct dist {
	double v[RUNS_MAX];
	double med, min, max;
};

struct side {
	const char *name;
	work_h *fn;
	unsigned long iters;        /* per run, from calibration */
	struct dist wall;           /* CLOCK_MONOTONIC: the figure */
	struct dist cpu;            /* this thread's CPU time: not stretched by preemption */
};

struct bcase {
	const char *name;
	const char *buf;
	size_t len;
	struct side tl, osip;
	struct dist ratio;          /* libosip2 / Trunkline, run pair by run pair */
	bool done;
};

static volatile uint64_t sink_out;     /* keeps the results alive */

static double clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* One run: wall ns per message (and CPU ns in *cpu), or -1 when the parser failed. */
static double run_once(work_h *fn, const char *buf, size_t len, unsigned long iters,
		       double *cpu)
{
	uint64_t sink = 0;
	double t0, t1, c0, c1;

	c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	t0 = clock_ns(CLOCK_MONOTONIC);
	for (unsigned long i = 0; i < iters; i++) {
		if (fn(buf, len, &sink) != 0)
			return -1;
	}
	t1 = clock_ns(CLOCK_MONOTONIC);
	c1 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	sink_out += sink;
	if (cpu)
		*cpu = (c1 - c0) / (double)iters;
	return (t1 - t0) / (double)iters;
}

/* Grow iters until a run lasts about run_ms; this is also the warm-up. */
static int calibrate(struct side *s, const char *buf, size_t len, double run_ms)
{
	unsigned long iters = 16;

	for (;;) {
		double ns = run_once(s->fn, buf, len, iters, NULL);

		if (ns < 0)
			return -EBADMSG;
		if (ns * (double)iters >= run_ms * 1e6 / 4 || iters > (1ul << 30)) {
			double want = run_ms * 1e6 / (ns > 0 ? ns : 1);

			s->iters = want < 1 ? 1 : (unsigned long)want;
			return 0;
		}
		iters *= 2;
	}
}

static int dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void stats(struct dist *d, unsigned runs)
{
	double v[RUNS_MAX];

	memcpy(v, d->v, runs * sizeof(v[0]));
	qsort(v, runs, sizeof(v[0]), dcmp);
	d->min = v[0];
	d->max = v[runs - 1];
	d->med = runs % 2 ? v[runs / 2] : (v[runs / 2 - 1] + v[runs / 2]) / 2;
}

static void run_side(struct side *s, const struct bcase *c, unsigned r)
{
	s->wall.v[r] = run_once(s->fn, c->buf, c->len, s->iters, &s->cpu.v[r]);
}

/* One parser alone, for a profiler: runs x iters, then its median. */
static int case_profile(struct bcase *c, struct side *s, unsigned runs, double run_ms)
{
	if (calibrate(s, c->buf, c->len, run_ms) != 0)
		return -EBADMSG;
	for (unsigned r = 0; r < runs; r++)
		run_side(s, c, r);
	stats(&s->wall, runs);
	printf("%-33s %5zu | %s alone: %.0f ns (%.0f..%.0f)\n", c->name, c->len, s->name,
	       s->wall.med, s->wall.min, s->wall.max);
	return 0;
}

static int case_run(struct bcase *c, unsigned runs, double run_ms)
{
	int err;

	err = calibrate(&c->tl, c->buf, c->len, run_ms);
	if (err) {
		fprintf(stderr, "%s: Trunkline rejected the message\n", c->name);
		return err;
	}
	err = calibrate(&c->osip, c->buf, c->len, run_ms);
	if (err) {
		fprintf(stderr, "%s: libosip2 rejected the message\n", c->name);
		return err;
	}
	for (unsigned r = 0; r < runs; r++) {
		/* alternate who goes first, so neither always runs on a hot cache */
		struct side *a = r % 2 ? &c->osip : &c->tl;
		struct side *b = r % 2 ? &c->tl : &c->osip;

		run_side(a, c, r);
		run_side(b, c, r);
		c->ratio.v[r] = c->osip.wall.v[r] / c->tl.wall.v[r];
	}
	stats(&c->tl.wall, runs);
	stats(&c->osip.wall, runs);
	stats(&c->tl.cpu, runs);
	stats(&c->osip.cpu, runs);
	stats(&c->ratio, runs);
	return 0;
}

/* The parse must be right before its speed means anything. */
static int check(const struct bmsg *m, bool want_totag)
{
	struct sip_perr perr;
	struct sip_msg *x = tl_msg;
	int err;

	memset(&perr, 0, sizeof(perr));
	err = sip_msg_parse(x, m->buf, m->len, &sip_limits_default, &perr);
	if (err) {
		fprintf(stderr, "sip_msg_parse: %d (%u %s)\n", err, perr.status,
			perr.reason ? perr.reason : "");
		return err;
	}
	if (!pl_eq_str(&x->callid, m->callid) || !pl_isset(&x->via.branch) ||
	    !pl_isset(&x->from.tag) || pl_isset(&x->to.tag) != want_totag ||
	    x->cseq.num == 0 ||
	    (x->body.l && (size_t)(x->body.p + x->body.l - m->buf) != m->len)) {
		fprintf(stderr, "sip_msg_parse: keys not as expected (Call-ID '%.*s')\n",
			PL_FMT(&x->callid));
		return -EPROTO;
	}
	return 0;
}

#define RULE "------------------------------------------------------------"

static bool goal(double ns, double ratio)
{
	return ns < GOAL_INVITE_NS && ratio >= GOAL_RATIO;
}

/* The 1, 5 and 15 minute load averages with a newline, or "?". */
static const char *loadavg(char *buf, size_t n)
{
	FILE *f = fopen("/proc/loadavg", "r");
	double a = 0, b = 0, c = 0;
	bool ok = f && fscanf(f, "%lf %lf %lf", &a, &b, &c) == 3;

	if (f)
		fclose(f);
	if (ok)
		snprintf(buf, n, "%.2f %.2f %.2f\n", a, b, c);
	else
		snprintf(buf, n, "?\n");
	return buf;
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_parse [-r RUNS] [-t MS_PER_RUN] [-c CASE] [-p PARSER]\n"
		"  RUNS 3..%d (default %d), MS_PER_RUN 1..1000 (default %d)\n"
		"  CASE: a case name prefix, e.g. INVITE (default: all)\n"
		"  PARSER: trunkline or libosip2, alone (for a profiler)\n",
		RUNS_MAX, RUNS_DEFAULT, RUN_MS_DEFAULT);
}

int main(int argc, char **argv)
{
	static struct bmsg inv, ok, reg;
	char *invbody = NULL;
	unsigned runs = RUNS_DEFAULT;
	double run_ms = RUN_MS_DEFAULT;
	const char *only = NULL, *alone = NULL;
	int opt, err = 0;

	while ((opt = getopt(argc, argv, "r:t:c:p:h")) != -1) {
		switch (opt) {
		case 'r': runs = (unsigned)atoi(optarg); break;
		case 't': run_ms = atof(optarg); break;
		case 'c': only = optarg; break;
		case 'p': alone = optarg; break;
		default: usage(); return opt == 'h' ? 0 : 2;
		}
	}
	if (runs < 3 || runs > RUNS_MAX || run_ms < 1 || run_ms > 1000 ||
	    (alone && strcmp(alone, "trunkline") && strcmp(alone, "libosip2"))) {
		usage();
		return 2;
	}

	tl_msg = calloc(1, sizeof(*tl_msg));
	tl_sdp = calloc(1, sizeof(*tl_sdp));
	if (!tl_msg || !tl_sdp || bosip_init() != 0) {
		fprintf(stderr, "bench_parse: out of memory or osip init failed\n");
		err = 1;
		goto out;
	}
	if (msg_build(&inv, invite_hdrs, invite_sdp, "3848276298220188511@pbx.example.com") ||
	    msg_build(&ok, ok_hdrs, ok_sdp, "3848276298220188511@pbx.example.com") ||
	    msg_build(&reg, register_msg, NULL, "a84b4c76e66710-reg@203.0.113.45")) {
		err = 1;
		goto out;
	}

	if (check(&inv, false) || check(&ok, true) || check(&reg, false)) {
		err = 1;
		goto out;
	}
	/* osip's SDP parser wants a NUL-terminated copy of the body */
	invbody = strdup(invite_sdp);
	if (!invbody) {
		err = 1;
		goto out;
	}

	struct bcase cases[] = {
		{ .name = "INVITE (SDP body)", .buf = inv.buf, .len = inv.len,
		  .tl = { .name = "trunkline", .fn = tl_parse_keys },
		  .osip = { .name = "libosip2", .fn = bosip_parse_keys } },
		{ .name = "200 OK (SDP body)", .buf = ok.buf, .len = ok.len,
		  .tl = { .name = "trunkline", .fn = tl_parse_keys },
		  .osip = { .name = "libosip2", .fn = bosip_parse_keys } },
		{ .name = "REGISTER (digest)", .buf = reg.buf, .len = reg.len,
		  .tl = { .name = "trunkline", .fn = tl_parse_keys },
		  .osip = { .name = "libosip2", .fn = bosip_parse_keys } },
		{ .name = "REGISTER + Authorization fields", .buf = reg.buf, .len = reg.len,
		  .tl = { .name = "trunkline", .fn = tl_parse_auth },
		  .osip = { .name = "libosip2", .fn = bosip_parse_auth } },
		{ .name = "SDP body of the INVITE alone", .buf = invbody, .len = strlen(invbody),
		  .tl = { .name = "trunkline", .fn = tl_sdp_parse },
		  .osip = { .name = "libosip2", .fn = bosip_sdp } },
	};
	size_t ncases = sizeof(cases) / sizeof(cases[0]);
	double busy = 0;
	char la[64];

	printf("bench_parse: %u runs per parser and case, ~%.0f ms per run; load average: %s"
	       "figures: median ns per message (min..max over the runs), CLOCK_MONOTONIC;\n"
	       "ratio: libosip2 / Trunkline, median over the run pairs (higher: Trunkline faster)\n\n",
	       runs, run_ms, loadavg(la, sizeof(la)));
	printf("%-33s %5s | %-22s %7s | %-24s %7s | %6s\n", "case", "bytes",
	       "Trunkline ns", "MB/s", "libosip2 ns", "MB/s", "ratio");
	printf("%.*s\n", 118, RULE RULE);
	for (size_t i = 0; i < ncases; i++) {
		struct bcase *c = &cases[i];
		char a[48], b[48];

		if (only && strncmp(c->name, only, strlen(only)) != 0)
			continue;
		if (alone) {
			if (case_profile(c, strcmp(alone, "trunkline") ? &c->osip : &c->tl,
					 runs, run_ms) != 0)
				printf("%-33s %5zu | parse failed, see above\n", c->name, c->len);
			continue;
		}
		if (case_run(c, runs, run_ms) != 0) {
			printf("%-33s %5zu | parse failed, see above\n", c->name, c->len);
			continue;
		}
		c->done = true;
		snprintf(a, sizeof(a), "%.0f (%.0f..%.0f)", c->tl.wall.med, c->tl.wall.min,
			 c->tl.wall.max);
		snprintf(b, sizeof(b), "%.0f (%.0f..%.0f)", c->osip.wall.med, c->osip.wall.min,
			 c->osip.wall.max);
		printf("%-33s %5zu | %-22s %7.0f | %-24s %7.0f | %6.2f\n", c->name, c->len,
		       a, (double)c->len * 1e3 / c->tl.wall.med, b,
		       (double)c->len * 1e3 / c->osip.wall.med, c->ratio.med);
		busy = c->tl.wall.med / c->tl.cpu.med > busy ? c->tl.wall.med / c->tl.cpu.med : busy;
	}
	if (alone || !cases[0].done)
		goto out;

	/* On a shared machine wall time includes the time other processes
	 * ran on our core; the thread's own CPU time does not. */
	printf("\nsame runs, this thread's CPU time (CLOCK_THREAD_CPUTIME_ID), median ns per message:\n");
	printf("%-33s %5s | %-12s | %-12s | %s\n", "case", "bytes", "Trunkline", "libosip2",
	       "ratio of medians");
	for (size_t i = 0; i < ncases; i++) {
		const struct bcase *c = &cases[i];

		if (c->done)
			printf("%-33s %5zu | %-12.0f | %-12.0f | %.2f\n", c->name, c->len,
			       c->tl.cpu.med, c->osip.cpu.med, c->osip.cpu.med / c->tl.cpu.med);
	}
	if (busy > 1.1)
		printf("machine busy: wall time up to %.0f%% above CPU time; the CPU-time figures "
		       "are the better estimate of the parsers' own cost\n", (busy - 1) * 100);
	printf("\ngoal (INVITE): < %.0f ns and >= %.0fx libosip2 -> %.0f ns, %.2fx: %s "
	       "(CPU time: %.0f ns, %.2fx: %s)\n",
	       GOAL_INVITE_NS, GOAL_RATIO, cases[0].tl.wall.med, cases[0].ratio.med,
	       goal(cases[0].tl.wall.med, cases[0].ratio.med) ? "met" : "MISSED",
	       cases[0].tl.cpu.med, cases[0].osip.cpu.med / cases[0].tl.cpu.med,
	       goal(cases[0].tl.cpu.med, cases[0].osip.cpu.med / cases[0].tl.cpu.med) ?
	       "met" : "MISSED");
out:
	free(invbody);
	free(tl_sdp);
	free(tl_msg);
	return err;
}
