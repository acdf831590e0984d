/* SPDX-License-Identifier: GPL-2.0-or-later */
/** @file test_build.c  Unit tests of the SIP message builder (src/sip/build.c):
 *  every built message is checked byte for byte and parsed back. */
#include <ctype.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "sip.h"

static const char invite[] =
	"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
	"Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds;rport\r\n"
	"v: SIP/2.0/TCP p1.example.com;branch=z9hG4bKa, SIP/2.0/UDP p2.example.com;branch=z9hG4bKb\r\n"
	"Max-Forwards: 70\r\n"
	"Route: <sip:p1.example.com;lr>\r\n"
	"Route: <sip:p2.example.com;lr>\r\n"
	"To: Bob <sip:bob@biloxi.example.com>\r\n"
	"From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
	"Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
	"CSeq: 314159 INVITE\r\n"
	"Contact: <sip:alice@pc33.atlanta.example.com>\r\n"
	"Content-Type: application/sdp\r\n"
	"Content-Length: 4\r\n"
	"\r\n"
	"v=0\n";

static void parse_ok(struct sip_msg *msg, const char *buf, size_t len)
{
	struct sip_perr perr;
	int err = sip_msg_parse(msg, buf, len, NULL, &perr);

	if (err)
		fail_msg("parse: %d %u %s\n%.*s", err, perr.status,
			 perr.reason ? perr.reason : "-", (int)len, buf);
}

/* The response carries the request's transaction and dialog keys. */
static void same_keys(const struct sip_msg *req, const struct sip_msg *rsp)
{
	assert_int_equal(pl_cmp(&req->callid, &rsp->callid), 0);
	assert_int_equal(req->cseq.num, rsp->cseq.num);
	assert_int_equal(pl_cmp(&req->cseq.method, &rsp->cseq.method), 0);
	assert_int_equal(pl_cmp(&req->via.branch, &rsp->via.branch), 0);
	assert_int_equal(pl_cmp(&req->from.tag, &rsp->from.tag), 0);
	assert_int_equal(sip_msg_hdr_count(req, SIP_HDR_VIA), sip_msg_hdr_count(rsp, SIP_HDR_VIA));
}

static void test_mb(void **state)
{
	struct sip_mb mb;
	char big[2000];

	(void)state;
	sip_mb_init(&mb);
	sip_mb_puts(&mb, "abc");
	sip_mb_putpl(&mb, &PL("def"));
	sip_mb_putpl(&mb, NULL);
	sip_mb_printf(&mb, "%d-%s", 42, "x");
	assert_int_equal(mb.err, 0);
	assert_int_equal(mb.len, 10);
	assert_memory_equal(mb.buf, "abcdef42-x", 10);
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	sip_mb_printf(&mb, "[%s]", big);
	assert_int_equal(mb.len, 10 + sizeof(big) + 1);
	assert_int_equal(mb.buf[mb.len - 1], ']');
	assert_true(mb.cap >= mb.len);
	size_t cap = mb.cap;
	sip_mb_reset(&mb);
	assert_int_equal(mb.len, 0);
	assert_int_equal(mb.cap, cap);
	/* a sticky error stops all output */
	mb.err = -ENOMEM;
	sip_mb_puts(&mb, "x");
	sip_mb_printf(&mb, "y");
	assert_int_equal(mb.len, 0);
	sip_mb_free(&mb);
	assert_null(mb.buf);
	assert_int_equal(mb.cap, 0);
}

static void all_token(const char *s, size_t n)
{
	assert_int_equal(strlen(s), n);
	for (size_t i = 0; i < n; i++)
		assert_true(isalnum((unsigned char)s[i]));
}

static void test_ids(void **state)
{
	char b1[SIP_BRANCH_LEN + 1], b2[SIP_BRANCH_LEN + 1];
	char t[SIP_TAG_LEN + 1], c[SIP_CALLID_LEN + 1];

	(void)state;
	assert_int_equal(sip_branch_new(b1), 0);
	assert_int_equal(sip_branch_new(b2), 0);
	assert_memory_equal(b1, "z9hG4bK", 7);
	all_token(b1, SIP_BRANCH_LEN);
	assert_string_not_equal(b1, b2);
	assert_int_equal(sip_tag_new(t), 0);
	all_token(t, SIP_TAG_LEN);
	assert_int_equal(sip_callid_new(c), 0);
	all_token(c, SIP_CALLID_LEN);
}

static void test_reasons(void **state)
{
	static const struct { uint16_t c; const char *r; } tab[] = {
		{ 100, "Trying" }, { 180, "Ringing" }, { 183, "Session Progress" },
		{ 199, "Early Dialog Terminated" }, { 200, "OK" }, { 204, "No Notification" },
		{ 302, "Moved Temporarily" }, { 401, "Unauthorized" },
		{ 407, "Proxy Authentication Required" }, { 412, "Conditional Request Failed" },
		{ 417, "Unknown Resource-Priority" }, { 421, "Extension Required" },
		{ 422, "Session Interval Too Small" }, { 428, "Use Identity Header" },
		{ 429, "Provide Referrer Identity" }, { 433, "Anonymity Disallowed" },
		{ 436, "Bad Identity Info" }, { 437, "Unsupported Credential" },
		{ 438, "Invalid Identity Header" }, { 470, "Consent Needed" },
		{ 481, "Call/Transaction Does Not Exist" }, { 484, "Address Incomplete" },
		{ 487, "Request Terminated" }, { 494, "Security Agreement Required" },
		{ 503, "Service Unavailable" }, { 504, "Server Time-out" },
		{ 580, "Precondition Failure" }, { 603, "Decline" }, { 607, "Unwanted" },
		{ 608, "Rejected" }, { 299, "Unknown" },
	};

	(void)state;
	for (unsigned i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		assert_string_equal(sip_reason_phrase(tab[i].c), tab[i].r);
}

static void test_reply(void **state)
{
	struct sip_msg *req = malloc(sizeof(*req)), *rsp = malloc(sizeof(*rsp));
	struct sip_mb mb;
	const char *want =
		"SIP/2.0 180 Ringing\r\n"
		"Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds;rport\r\n"
		"v: SIP/2.0/TCP p1.example.com;branch=z9hG4bKa, SIP/2.0/UDP p2.example.com;branch=z9hG4bKb\r\n"
		"From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
		"To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n"
		"Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
		"CSeq: 314159 INVITE\r\n"
		"Content-Length: 0\r\n"
		"\r\n";

	(void)state;
	assert_non_null(req);
	assert_non_null(rsp);
	parse_ok(req, invite, strlen(invite));
	sip_mb_init(&mb);
	assert_int_equal(sip_reply_build(&mb, req, 180, NULL, "a6c85cf", NULL, NULL, NULL), 0);
	assert_int_equal(mb.len, strlen(want));
	assert_memory_equal(mb.buf, want, mb.len);
	parse_ok(rsp, mb.buf, mb.len);
	assert_false(rsp->req);
	assert_int_equal(rsp->scode, 180);
	assert_true(pl_eq_str(&rsp->to.tag, "a6c85cf"));
	same_keys(req, rsp);
	assert_int_equal(sip_msg_hdr_count(rsp, SIP_HDR_VIA), 3);

	/* 100 Trying: no tag; extra headers; own reason */
	sip_mb_reset(&mb);
	assert_int_equal(sip_reply_build(&mb, req, 100, "Trying hard", "x", "Server: t\r\n",
					 NULL, NULL), 0);
	parse_ok(rsp, mb.buf, mb.len);
	assert_null(rsp->to.tag.p);
	assert_true(pl_eq_str(&rsp->reason, "Trying hard"));
	assert_non_null(sip_msg_hdr(rsp, SIP_HDR_SERVER));
	same_keys(req, rsp);

	/* 200 with a body, Record-Route copy and the source address */
	static const char inv2[] =
		"INVITE sip:b@h SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 10.0.0.1:5062;rport;branch=z9hG4bKx\r\n"
		"Record-Route: <sip:p1;lr>\r\n"
		"Record-Route: <sip:p2;lr>\r\n"
		"From: <sip:a@h>;tag=f\r\nTo: <sip:b@h>;tag=already\r\n"
		"Call-ID: c1\r\nCSeq: 2 INVITE\r\nContent-Length: 0\r\n\r\n";
	struct sa src;
	struct pl body = PL("v=0\r\n");
	struct sip_reply_prm prm = {
		.scode = 200, .totag = "new", .ctype = "application/sdp", .body = &body,
		.src = &src, .record_route = true,
	};
	const char *want2 =
		"SIP/2.0 200 OK\r\n"
		"Via: SIP/2.0/UDP 10.0.0.1:5062;rport=40000;branch=z9hG4bKx;received=192.0.2.9\r\n"
		"From: <sip:a@h>;tag=f\r\nTo: <sip:b@h>;tag=already\r\n"
		"Call-ID: c1\r\nCSeq: 2 INVITE\r\n"
		"Record-Route: <sip:p1;lr>\r\n"
		"Record-Route: <sip:p2;lr>\r\n"
		"Content-Type: application/sdp\r\n"
		"Content-Length: 5\r\n\r\nv=0\r\n";
	assert_int_equal(sa_set_str(&src, "192.0.2.9", 40000), 0);
	parse_ok(req, inv2, strlen(inv2));
	sip_mb_reset(&mb);
	assert_int_equal(sip_reply_build_prm(&mb, req, &prm), 0);
	assert_int_equal(mb.len, strlen(want2));
	assert_memory_equal(mb.buf, want2, mb.len);
	parse_ok(rsp, mb.buf, mb.len);
	assert_true(pl_eq_str(&rsp->via.received, "192.0.2.9"));
	assert_true(pl_eq_str(&rsp->via.rport, "40000"));
	assert_true(pl_eq_str(&rsp->body, "v=0\r\n"));
	same_keys(req, rsp);

	/* no rport, same host: the Via is untouched */
	static const char inv3[] =
		"OPTIONS sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKy\r\n"
		"From: <sip:a@h>;tag=f\r\nTo: <sip:b@h>\r\nCall-ID: c2\r\nCSeq: 1 OPTIONS\r\n\r\n";
	parse_ok(req, inv3, strlen(inv3));
	sip_mb_reset(&mb);
	prm.body = NULL;
	prm.record_route = false;
	assert_int_equal(sip_reply_build_prm(&mb, req, &prm), 0);
	assert_non_null(memmem(mb.buf, mb.len, "Via: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKy\r\n", 44));
	parse_ok(rsp, mb.buf, mb.len);
	assert_true(pl_eq_str(&rsp->to.tag, "new"));
	/* from elsewhere: received is added */
	assert_int_equal(sa_set_str(&src, "198.51.100.1", 5060), 0);
	sip_mb_reset(&mb);
	assert_int_equal(sip_reply_build_prm(&mb, req, &prm), 0);
	assert_non_null(memmem(mb.buf, mb.len,
			       "Via: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKy;received=198.51.100.1\r\n", 66));

	/* errors */
	sip_mb_reset(&mb);
	assert_int_equal(sip_reply_build(&mb, req, 99, NULL, NULL, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(sip_reply_build(&mb, req, 700, NULL, NULL, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(sip_reply_build(&mb, req, 200, NULL, NULL, NULL, NULL, &body), -EINVAL);
	assert_int_equal(sip_reply_build(&mb, rsp, 200, NULL, NULL, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(mb.len, 0);

	sip_mb_free(&mb);
	free(req);
	free(rsp);
}

static void test_request(void **state)
{
	struct sip_msg *msg = malloc(sizeof(*msg));
	struct sip_mb mb;
	const struct pl routes[] = { PL("<sip:p1.example.com;lr>"), PL("<sip:p2.example.com;lr>") };
	struct sip_req_prm prm = {
		.meth = SIP_INVITE,
		.ruri = PL("sip:+15551234567@gw.example.net"),
		.via_transport = PL("UDP"),
		.via_host = PL("2001:db8::5"),
		.via_port = 5060,
		.branch = PL("z9hG4bKabc"),
		.via_rport = true,
		.from = PL("\"Alice\" <sip:alice@example.com>"),
		.from_tag = PL("ft1"),
		.to = PL("<sip:+15551234567@gw.example.net>"),
		.callid = PL("cid-1"),
		.cseq = 1,
		.contact = PL("<sip:tl@[2001:db8::5]:5060>"),
		.routes = routes,
		.routec = 2,
		.max_forwards = -1,
		.extra_hdrs = "Supported: timer\r\n",
		.ctype = "application/sdp",
		.body = PL("v=0\r\n"),
	};
	const char *want =
		"INVITE sip:+15551234567@gw.example.net SIP/2.0\r\n"
		"Via: SIP/2.0/UDP [2001:db8::5]:5060;branch=z9hG4bKabc;rport\r\n"
		"Max-Forwards: 70\r\n"
		"Route: <sip:p1.example.com;lr>\r\n"
		"Route: <sip:p2.example.com;lr>\r\n"
		"From: \"Alice\" <sip:alice@example.com>;tag=ft1\r\n"
		"To: <sip:+15551234567@gw.example.net>\r\n"
		"Call-ID: cid-1\r\n"
		"CSeq: 1 INVITE\r\n"
		"Contact: <sip:tl@[2001:db8::5]:5060>\r\n"
		"Supported: timer\r\n"
		"Content-Type: application/sdp\r\n"
		"Content-Length: 5\r\n"
		"\r\n"
		"v=0\r\n";

	(void)state;
	assert_non_null(msg);
	sip_mb_init(&mb);
	assert_int_equal(sip_request_build(&mb, &prm), 0);
	assert_int_equal(mb.len, strlen(want));
	assert_memory_equal(mb.buf, want, mb.len);
	parse_ok(msg, mb.buf, mb.len);
	assert_true(msg->req);
	assert_int_equal(msg->meth, SIP_INVITE);
	assert_true(pl_eq_str(&msg->callid, "cid-1"));
	assert_int_equal(msg->cseq.num, 1);
	assert_true(pl_eq_str(&msg->via.branch, "z9hG4bKabc"));
	assert_true(pl_eq_str(&msg->via.host, "2001:db8::5"));
	assert_true(pl_eq_str(&msg->from.tag, "ft1"));
	assert_null(msg->to.tag.p);
	assert_int_equal(msg->maxfwd, 70);
	assert_int_equal(sip_msg_hdr_count(msg, SIP_HDR_ROUTE), 2);

	/* in-dialog BYE, other method by name, no body */
	memset(&prm, 0, sizeof(prm));
	prm.meth = SIP_METHOD_OTHER;
	prm.method = "FOO";
	prm.ruri = PL("sip:b@10.0.0.2");
	prm.via_host = PL("10.0.0.1");
	prm.branch = PL("z9hG4bKq");
	prm.from = PL("<sip:a@x>");
	prm.from_tag = PL("a");
	prm.to = PL("<sip:b@y>");
	prm.to_tag = PL("b");
	prm.callid = PL("c");
	prm.cseq = 7;
	prm.max_forwards = 10;
	sip_mb_reset(&mb);
	assert_int_equal(sip_request_build(&mb, &prm), 0);
	const char *want2 =
		"FOO sip:b@10.0.0.2 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKq\r\n"
		"Max-Forwards: 10\r\n"
		"From: <sip:a@x>;tag=a\r\nTo: <sip:b@y>;tag=b\r\n"
		"Call-ID: c\r\nCSeq: 7 FOO\r\nContent-Length: 0\r\n\r\n";
	assert_int_equal(mb.len, strlen(want2));
	assert_memory_equal(mb.buf, want2, mb.len);
	parse_ok(msg, mb.buf, mb.len);
	assert_true(pl_eq_str(&msg->to.tag, "b"));

	prm.callid = (struct pl)PL_INIT;
	assert_int_equal(sip_request_build(&mb, &prm), -EINVAL);
	sip_mb_free(&mb);
	free(msg);
}

static void test_rewrite(void **state)
{
	struct sip_msg *req = malloc(sizeof(*req)), *out = malloc(sizeof(*out));
	struct sip_mb mb;
	const struct sip_hdr *route, *mf;

	(void)state;
	assert_non_null(req);
	assert_non_null(out);
	parse_ok(req, invite, strlen(invite));
	route = sip_msg_hdr(req, SIP_HDR_ROUTE);
	mf = sip_msg_hdr(req, SIP_HDR_MAX_FORWARDS);
	assert_non_null(route);
	assert_non_null(mf);
	struct sip_edit edits[] = {
		{ .op = SIP_EDIT_ADD_TOP, .text = PL("Via: SIP/2.0/UDP 203.0.113.1;branch=z9hG4bKp1") },
		{ .op = SIP_EDIT_REMOVE, .hdr = (uint16_t)(route - req->hdrv) },
		{ .op = SIP_EDIT_REPLACE, .hdr = (uint16_t)(mf - req->hdrv), .text = PL("Max-Forwards: 69") },
		{ .op = SIP_EDIT_RURI, .text = PL("sip:bob@192.0.2.4") },
		{ .op = SIP_EDIT_REMOVE_ID, .id = SIP_HDR_CONTACT },
		{ .op = SIP_EDIT_ADD_BOTTOM, .text = PL("Contact: <sip:b2bua@203.0.113.1>") },
		{ .op = SIP_EDIT_BODY, .text = PL("v=0\r\ns=-\r\n") },
	};
	const char *want =
		"INVITE sip:bob@192.0.2.4 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 203.0.113.1;branch=z9hG4bKp1\r\n"
		"Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds;rport\r\n"
		"v: SIP/2.0/TCP p1.example.com;branch=z9hG4bKa, SIP/2.0/UDP p2.example.com;branch=z9hG4bKb\r\n"
		"Max-Forwards: 69\r\n"
		"Route: <sip:p2.example.com;lr>\r\n"
		"To: Bob <sip:bob@biloxi.example.com>\r\n"
		"From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
		"Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
		"CSeq: 314159 INVITE\r\n"
		"Content-Type: application/sdp\r\n"
		"Contact: <sip:b2bua@203.0.113.1>\r\n"
		"Content-Length: 10\r\n"
		"\r\n"
		"v=0\r\ns=-\r\n";

	sip_mb_init(&mb);
	assert_int_equal(sip_msg_rewrite(&mb, req, edits, ARRAY_SIZE(edits)), 0);
	assert_int_equal(mb.len, strlen(want));
	assert_memory_equal(mb.buf, want, mb.len);
	parse_ok(out, mb.buf, mb.len);
	assert_true(pl_eq_str(&out->ruri, "sip:bob@192.0.2.4"));
	assert_true(pl_eq_str(&out->via.branch, "z9hG4bKp1"));
	assert_int_equal(sip_msg_hdr_count(out, SIP_HDR_VIA), 4);
	assert_int_equal(out->maxfwd, 69);
	assert_int_equal(out->clen, 10);
	assert_int_equal(pl_cmp(&out->callid, &req->callid), 0);

	/* no edits: the same message */
	sip_mb_reset(&mb);
	assert_int_equal(sip_msg_rewrite(&mb, req, NULL, 0), 0);
	assert_int_equal(mb.len, strlen(invite));
	assert_memory_equal(mb.buf, invite, mb.len);

	/* a datagram without Content-Length gets one */
	static const char nocl[] =
		"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKz\r\n"
		"From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>;tag=2\r\nCall-ID: x\r\nCSeq: 1 BYE\r\n\r\n";
	parse_ok(req, nocl, strlen(nocl));
	struct sip_edit pop = { .op = SIP_EDIT_REMOVE, .hdr = req->first[SIP_HDR_VIA] };
	sip_mb_reset(&mb);
	assert_int_equal(sip_msg_rewrite(&mb, req, &pop, 1), 0);
	const char *want3 =
		"SIP/2.0 200 OK\r\n"
		"From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>;tag=2\r\nCall-ID: x\r\nCSeq: 1 BYE\r\n"
		"Content-Length: 0\r\n\r\n";
	assert_int_equal(mb.len, strlen(want3));
	assert_memory_equal(mb.buf, want3, mb.len);

	/* bad edits */
	struct sip_edit bad = { .op = SIP_EDIT_REMOVE, .hdr = 200 };
	assert_int_equal(sip_msg_rewrite(&mb, req, &bad, 1), -EINVAL);
	bad = (struct sip_edit){ .op = SIP_EDIT_RURI, .text = PL("sip:x") };
	assert_int_equal(sip_msg_rewrite(&mb, req, &bad, 1), -EINVAL);

	sip_mb_free(&mb);
	free(req);
	free(out);
}

/* Not a pass/fail figure: prints what a reply costs on this build. */
static void test_reply_speed(void **state)
{
	struct sip_msg *req = malloc(sizeof(*req));
	struct sip_mb mb;
	enum { N = 20000 };
	uint64_t t0;

	(void)state;
	assert_non_null(req);
	parse_ok(req, invite, strlen(invite));
	sip_mb_init(&mb);
	t0 = time_us();
	for (int i = 0; i < N; i++) {
		sip_mb_reset(&mb);
		sip_reply_build(&mb, req, 486, NULL, "tag1", NULL, NULL, NULL);
	}
	printf("sip_reply_build: %.3f us per reply (%zu bytes)\n",
	       (double)(time_us() - t0) / N, mb.len);
	assert_int_equal(mb.err, 0);
	sip_mb_free(&mb);
	free(req);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mb),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_reply),
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_rewrite),
		cmocka_unit_test(test_reply_speed),
	};
	return cmocka_run_group_tests_name("sip_build", tests, NULL, NULL);
}
