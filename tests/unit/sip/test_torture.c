/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file test_torture.c  RFC 4475 / RFC 5118 torture messages through the
 *  parser, each copied so that its last byte sits just before a PROT_NONE
 *  page: any read past the message faults. The manifest in
 *  tests/unit/data/rfc4475/ says what each message must give; a table here
 *  pins the exact status and reason this parser answers with.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>
#include "sip.h"

#define DATA_DIR TL_SRC_DIR "/tests/unit/data/rfc4475"

/* A buffer whose end touches an inaccessible page. */
struct guarded {
	char *map;
	size_t maplen;
	const char *msg;
	size_t len;
};

static void guard_put(struct guarded *g, const void *data, size_t len)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t pages = (len + pg - 1) / pg + 1;

	g->maplen = pages * pg;
	g->map = mmap(NULL, g->maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(g->map != MAP_FAILED);
	assert_int_equal(mprotect(g->map + (pages - 1) * pg, pg, PROT_NONE), 0);
	g->msg = g->map + (pages - 1) * pg - len;
	memcpy((char *)g->msg, data, len);
	g->len = len;
}

static void guard_free(struct guarded *g)
{
	munmap(g->map, g->maplen);
}

static char *slurp(const char *name, size_t *len)
{
	char path[512];
	FILE *fp;
	long n;
	char *buf;

	snprintf(path, sizeof(path), "%s/%s", DATA_DIR, name);
	fp = fopen(path, "rb");
	if (!fp)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, fp) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(fp);
	if (buf)
		buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

/* Touch every header with every decoder, as a layer above would. */
static void walk(const struct sip_msg *msg)
{
	for (unsigned i = 0; i < msg->hdrc; i++) {
		const struct sip_hdr *h = &msg->hdrv[i];
		struct sip_via via;
		struct sip_contact c;
		struct sip_addr a;
		struct sip_auth au;
		struct sip_sess_exp se;
		struct sip_reason rs;
		struct sip_cseq cs;
		uint32_t d;

		assert_true(h->val.p >= msg->buf && h->val.p + h->val.l <= msg->buf + msg->len);
		(void)sip_via_decode(&via, &h->val);
		(void)sip_contact_decode(&c, &h->val);
		(void)sip_addr_decode(&a, &h->val);
		(void)sip_auth_decode(&au, &h->val);
		(void)sip_sess_exp_decode(&se, &h->val);
		(void)sip_reason_decode(&rs, &h->val);
		(void)sip_cseq_decode(&cs, &h->val);
		(void)sip_delta_decode(&d, &h->val);
	}
	for (unsigned id = 0; id < SIP_HDR__COUNT; id++) {
		struct sip_hdr_iter it;
		struct pl v;

		sip_hdr_iter_init(&it, msg, (enum sip_hdrid)id);
		while (sip_hdr_iter_next(&it, &v))
			assert_true(v.p >= msg->buf && v.p + v.l <= msg->buf + msg->len);
	}
}

/* This parser's exact answer per message: 0 or status + reason. */
static const struct {
	const char *file;
	int rc;
	uint16_t status;
	const char *reason;
} expect[] = {
	{ "wsinv.dat", 0, 0, NULL },
	{ "esc01.dat", 0, 0, NULL },
	{ "esc02.dat", 0, 0, NULL },
	{ "longreq.dat", 0, 0, NULL },
	{ "semiuri.dat", 0, 0, NULL },
	{ "mpart01.dat", 0, 0, NULL },
	{ "noreason.dat", 0, 0, NULL },
	{ "clerr.dat", -EBADMSG, 400, "Body shorter than Content-Length" },
	{ "scalar02.dat", -EBADMSG, 400, "Bad CSeq" },
	{ "quotbal.dat", -EBADMSG, 400, "Bad To" },
	{ "lwsruri.dat", -EBADMSG, 400, "Bad Request-URI" },
	{ "trws.dat", 0, 0, NULL },
	{ "baddate.dat", 0, 0, NULL },
	{ "badaspec.dat", 0, 0, NULL },
	{ "badvers.dat", -EBADMSG, 505, "Version Not Supported" },
	{ "mismatch02.dat", -EBADMSG, 400, "CSeq method mismatch" },
	{ "badbranch.dat", 0, 0, NULL },
	{ "unkscm.dat", -EBADMSG, 416, "Unsupported URI Scheme" },
	{ "unksm2.dat", 0, 0, NULL },
	{ "invut.dat", 0, 0, NULL },
	{ "multi01.dat", -EBADMSG, 400, "Multiple From" },
	{ "bcast.dat", 0, 0, NULL },
	{ "cparam01.dat", 0, 0, NULL },
	{ "regescrt.dat", 0, 0, NULL },
	{ "inv2543.dat", 0, 0, NULL },
	{ "ipv6-good.dat", 0, 0, NULL },
	{ "port-ambiguous.dat", 0, 0, NULL },
	{ "via-received-param-with-delim.dat", 0, 0, NULL },
	{ "ipv6-in-sdp.dat", 0, 0, NULL },
	{ "mult-ip-in-sdp.dat", 0, 0, NULL },
	{ "ipv6-bug-abnf-3-colons.dat", 0, 0, NULL },
};

/* The manifest's "accept" column. */
static void check_accept(const char *file, const char *accept, int rc,
			 const struct sip_perr *err, const struct sip_msg *msg)
{
	if (!strcmp(accept, "any"))
		return;
	if (!strcmp(accept, "!400")) {
		/* parsed, or refused with a non-400 that can still be answered */
		if (rc != 0 && (err->status == 400 || !sip_msg_can_reply(msg)))
			fail_msg("%s: answered %u %s, manifest wants !400", file, err->status,
				 err->reason);
		return;
	}
	if (!strcmp(accept, "silence")) {
		/* a response: parsed (then matched to nothing) or dropped */
		if (rc == 0 && msg->req)
			fail_msg("%s: parsed as a request", file);
		return;
	}
	/* "400,silence", "505,400,silence", ...: refused with a listed status */
	{
		char code[8];

		if (rc == 0)
			fail_msg("%s: accepted, manifest wants %s", file, accept);
		snprintf(code, sizeof(code), "%u", err->status);
		if (!strstr(accept, code))
			fail_msg("%s: status %u not in %s", file, err->status, accept);
	}
}

static void test_manifest(void **state)
{
	size_t mlen, rows = 0;
	char *man = slurp("MANIFEST.tsv", &mlen), *line, *save = NULL;

	(void)state;
	assert_non_null(man);
	for (line = strtok_r(man, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *col[9], *f = line, *base;
		struct guarded g;
		struct sip_msg *msg;
		struct sip_perr err;
		size_t len, flen;
		char *data;
		int n = 0, rc;
		size_t i;

		if (!strncmp(line, "file\t", 5))
			continue;
		while (n < 9 && f) {
			col[n++] = f;
			f = strchr(f, '\t');
			if (f)
				*f++ = '\0';
		}
		assert_true(n >= 5);
		base = strrchr(col[0], '/');
		base = base ? base + 1 : col[0];
		data = slurp(base, &len);
		if (!data)
			fail_msg("missing %s", base);

		guard_put(&g, data, len);
		msg = malloc(sizeof(*msg));
		assert_non_null(msg);
		rc = sip_msg_parse(msg, g.msg, g.len, NULL, &err);
		check_accept(base, col[4], rc, &err, msg);
		for (i = 0; i < ARRAY_SIZE(expect); i++) {
			if (strcmp(expect[i].file, base))
				continue;
			if (rc != expect[i].rc)
				fail_msg("%s: rc %d, want %d (%u %s)", base, rc, expect[i].rc,
					 err.status, err.reason ? err.reason : "");
			if (rc) {
				assert_int_equal(err.status, expect[i].status);
				assert_string_equal(err.reason, expect[i].reason);
				assert_true(err.req);
			}
			break;
		}
		if (i == ARRAY_SIZE(expect))
			fail_msg("%s: no expected outcome in the table", base);
		if (rc == 0 && msg->req) {
			assert_true(sip_msg_can_reply(msg));
			assert_non_null(msg->via.host.p);
		}
		walk(msg);
		(void)sip_frame(g.msg, g.len, NULL, &flen);
		free(msg);
		guard_free(&g);

		/* every prefix too: truncated datagrams must fail cleanly */
		for (size_t cut = 0; cut < len; cut += (cut < 64 ? 1 : 7)) {
			struct guarded t;
			struct sip_msg *m = malloc(sizeof(*m));

			assert_non_null(m);
			guard_put(&t, data, cut);
			(void)sip_msg_parse(m, t.msg, t.len, NULL, &err);
			walk(m);
			rc = sip_frame(t.msg, t.len, NULL, &flen);
			assert_true(rc == -EAGAIN || rc == -EBADMSG || (rc == 0 && flen <= cut));
			free(m);
			guard_free(&t);
		}
		free(data);
		rows++;
	}
	free(man);
	assert_int_equal(rows, ARRAY_SIZE(expect));
}

static void test_unkscm_reply(void **state)
{
	size_t len;
	char *data = slurp("unkscm.dat", &len);
	struct sip_msg *msg = malloc(sizeof(*msg));
	struct sip_perr err;

	(void)state;
	assert_non_null(data);
	assert_int_equal(sip_msg_parse(msg, data, len, NULL, &err), -EBADMSG);
	assert_int_equal(err.status, 416);
	assert_true(sip_msg_can_reply(msg));
	assert_true(pl_eq_str(&msg->uri.scheme, "nobodyKnowsThisScheme"));
	assert_int_equal(msg->uri.sch, SIP_SCHEME_OTHER);
	free(msg);
	free(data);
}

static void test_wsinv_keys(void **state)
{
	size_t len;
	char *data = slurp("wsinv.dat", &len);
	struct sip_msg *msg = malloc(sizeof(*msg));
	struct sip_perr err;
	struct sip_hdr_iter it;
	struct sip_contact c;
	struct pl v;

	(void)state;
	assert_non_null(data);
	assert_int_equal(sip_msg_parse(msg, data, len, NULL, &err), 0);
	assert_int_equal(msg->meth, SIP_INVITE);
	assert_true(pl_eq_str(&msg->to.tag, "1918181833n"));
	assert_true(pl_eq_str(&msg->from.tag, "98asjd8"));
	assert_true(pl_eq_str(&msg->from.dname, "J Rosenberg \\\\\\\""));
	assert_int_equal(msg->maxfwd, 68);
	assert_int_equal(msg->cseq.num, 9);
	assert_int_equal(msg->cseq.meth, SIP_INVITE);
	assert_true(pl_eq_str(&msg->via.transport, "UDP"));
	assert_true(pl_eq_str(&msg->via.host, "192.0.2.2"));
	assert_true(pl_eq_str(&msg->via.branch, "390skdjuw"));
	assert_int_equal(msg->clen, 150);
	assert_int_equal(msg->body.l, 150);
	assert_int_equal(sip_msg_hdr_count(msg, SIP_HDR_VIA), 3);
	sip_hdr_iter_init(&it, msg, SIP_HDR_VIA);
	assert_true(sip_hdr_iter_next(&it, &v));
	assert_true(sip_hdr_iter_next(&it, &v));
	{
		struct sip_via via;
		assert_int_equal(sip_via_decode(&via, &v), 0);
		assert_true(pl_eq_str(&via.host, "spindle.example.com"));
		assert_true(pl_eq_str(&via.branch, "z9hG4bK9ikj8"));
		assert_true(sip_hdr_iter_next(&it, &v));
		assert_int_equal(sip_via_decode(&via, &v), 0);
		assert_true(pl_eq_str(&via.host, "192.168.255.111"));
		assert_true(pl_eq_str(&via.branch, "z9hG4bK30239"));
	}
	assert_false(sip_hdr_iter_next(&it, &v));
	assert_int_equal(sip_contact_decode(&c, &sip_msg_hdr(msg, SIP_HDR_CONTACT)->val), 0);
	assert_int_equal(c.q, 330);
	assert_true(pl_eq_str(&c.addr.dname, "Quoted string \\\"\\\""));
	assert_non_null(sip_msg_hdr(msg, SIP_HDR_SUBJECT));
	assert_int_equal(sip_msg_hdr(msg, SIP_HDR_SUBJECT)->val.l, 0);
	free(msg);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_manifest),
		cmocka_unit_test(test_unkscm_reply),
		cmocka_unit_test(test_wsinv_keys),
	};
	return cmocka_run_group_tests_name("sip_torture", tests, NULL, NULL);
}
