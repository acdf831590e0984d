/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file test_msg.c  sip_msg_parse(): start lines, header lines (compact
 *  names, folding, repeats vs comma lists), eager keys, every fault reason,
 *  limits, and sip_frame() stream framing.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "sip.h"

#define INVITE_HDRS \
	"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n" \
	"Via: SIP/2.0/UDP pc33.atlanta.example.com:5066;branch=z9hG4bK776asdhds;rport;received=192.0.2.1;maddr=239.1.1.1;ttl=16\r\n" \
	"Max-Forwards: 70\r\n" \
	"To: Bob <sip:bob@biloxi.example.com>\r\n" \
	"From: \"Alice \\\"A\\\"\" <sip:alice@atlanta.example.com>;tag=1928301774\r\n" \
	"Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n" \
	"CSeq: 314159 INVITE\r\n" \
	"Contact: <sip:alice@pc33.atlanta.example.com>\r\n" \
	"Content-Type: application/sdp\r\n"

#define SDP "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"

static struct sip_msg *msg;

static int setup(void **state)
{
	(void)state;
	msg = malloc(sizeof(*msg));
	return msg ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(msg);
	return 0;
}

static int parse(const char *s, struct sip_perr *err)
{
	return sip_msg_parse(msg, s, strlen(s), NULL, err);
}

/* A request that fails with status and reason. */
static void expect_fault(const char *s, int rc, uint16_t status, const char *reason)
{
	struct sip_perr err;
	int r = parse(s, &err);

	if (r != rc || err.status != status || !err.reason || strcmp(err.reason, reason))
		fail_msg("want %d %u \"%s\", got %d %u \"%s\" for:\n%s", rc, status, reason, r,
			 err.status, err.reason ? err.reason : "", s);
	assert_ptr_equal(err.msg, msg);
}

static void test_invite(void **state)
{
	char m[1024];
	struct sip_perr err;

	(void)state;
	snprintf(m, sizeof(m), INVITE_HDRS "Content-Length: %zu\r\n\r\n" SDP, strlen(SDP));
	assert_int_equal(parse(m, &err), 0);
	assert_true(msg->req);
	assert_int_equal(msg->meth, SIP_INVITE);
	assert_true(pl_eq_str(&msg->method, "INVITE"));
	assert_true(pl_eq_str(&msg->ruri, "sip:bob@biloxi.example.com"));
	assert_true(pl_eq_str(&msg->uri.user, "bob"));
	assert_true(pl_eq_str(&msg->ver, "SIP/2.0"));
	assert_true(pl_eq_str(&msg->via.sent_proto, "SIP/2.0/UDP"));
	assert_true(pl_eq_str(&msg->via.transport, "UDP"));
	assert_true(pl_eq_str(&msg->via.host, "pc33.atlanta.example.com"));
	assert_int_equal(msg->via.port, 5066);
	assert_true(pl_eq_str(&msg->via.branch, "z9hG4bK776asdhds"));
	assert_non_null(msg->via.rport.p);
	assert_int_equal(msg->via.rport.l, 0);
	assert_true(pl_eq_str(&msg->via.received, "192.0.2.1"));
	assert_true(pl_eq_str(&msg->via.maddr, "239.1.1.1"));
	assert_true(pl_eq_str(&msg->via.ttl, "16"));
	assert_true(pl_eq_str(&msg->to.dname, "Bob"));
	assert_null(msg->to.tag.p);
	assert_true(pl_eq_str(&msg->to.uri.host, "biloxi.example.com"));
	assert_true(pl_eq_str(&msg->from.dname, "Alice \\\"A\\\""));
	assert_true(pl_eq_str(&msg->from.tag, "1928301774"));
	assert_true(pl_eq_str(&msg->from.auri, "sip:alice@atlanta.example.com"));
	assert_true(pl_eq_str(&msg->callid, "a84b4c76e66710@pc33.atlanta.example.com"));
	assert_int_equal(msg->cseq.num, 314159);
	assert_int_equal(msg->cseq.meth, SIP_INVITE);
	assert_int_equal(msg->maxfwd, 70);
	assert_int_equal(msg->clen, strlen(SDP));
	assert_true(pl_eq_str(&msg->ctype, "application/sdp"));
	assert_true(pl_eq_str(&msg->body, SDP));
	assert_int_equal(msg->len, strlen(m));
	assert_int_equal(msg->hdrc, 9);
	assert_true(sip_msg_can_reply(msg));
	assert_true(pl_eq_str(&msg->hdrv[0].line, "Via: SIP/2.0/UDP pc33.atlanta.example.com:5066;"
				"branch=z9hG4bK776asdhds;rport;received=192.0.2.1;maddr=239.1.1.1;ttl=16"));
	assert_true(pl_eq_str(&sip_msg_hdr_by_name(msg, &PL("content-type"))->val,
			      "application/sdp"));
	assert_null(sip_msg_hdr_by_name(msg, &PL("X-Nope")));
	assert_null(sip_msg_hdr(msg, SIP_HDR_ROUTE));
}

static void test_response(void **state)
{
	static const char m[] =
		"SIP/2.0 180 Ringing\r\n"
		"v: SIP/2.0/TCP [2001:db8::1]:5061;branch=z9hG4bKx\r\n"
		"f: <sip:a@example.com>;tag=1\r\nt: <sip:b@example.com>;tag=2\r\n"
		"i: cid\r\nCSeq: 2 INVITE\r\nl: 0\r\n\r\n";
	struct sip_perr err;

	(void)state;
	assert_int_equal(parse(m, &err), 0);
	assert_false(msg->req);
	assert_int_equal(msg->scode, 180);
	assert_true(pl_eq_str(&msg->reason, "Ringing"));
	assert_true(msg->via.host_v6);
	assert_true(pl_eq_str(&msg->via.host, "2001:db8::1"));
	assert_int_equal(msg->via.port, 5061);
	assert_true(pl_eq_str(&msg->to.tag, "2"));
	assert_int_equal(msg->clen, 0);
	assert_int_equal(msg->maxfwd, -1);
	assert_false(sip_msg_can_reply(msg));   /* responses are never answered */

	assert_int_equal(parse("SIP/2.0 200\r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:a@b>\r\n"
			       "To: <sip:a@b>\r\nCall-ID: x\r\nCSeq: 1 BYE\r\n\r\n", &err), 0);
	assert_int_equal(msg->reason.l, 0);
	expect_fault("SIP/2.0 99 Low\r\n\r\n", -EBADMSG, 400, "Bad Status-Line");
	expect_fault("SIP/2.0 2000 OK\r\n\r\n", -EBADMSG, 400, "Bad Status-Line");
	expect_fault("SIP/3.0 200 OK\r\n\r\n", -EBADMSG, 505, "Version Not Supported");
	assert_int_equal(parse("SIP/2.0 200 OK\r\n\r\n", &err), -EBADMSG);
	assert_false(err.req);
}

/* Compact forms, folding, case, repeated headers and comma lists. */
static void test_headers(void **state)
{
	static const char m[] =
		"OPTIONS sip:x@example.com SIP/2.0\r\n"
		"VIA: SIP/2.0/UDP a.example.com;branch=z9hG4bK1, SIP/2.0/UDP b.example.com\r\n"
		"v  :\r\n SIP/2.0/UDP\r\n\tc.example.com;branch=z9hG4bK3\r\n"
		"t: <sip:x@example.com>\r\nf: sip:y@example.com;tag=9\r\ni: abc\r\n"
		"cSeQ: 7 OPTIONS\r\nMax-Forwards: 0\r\n"
		"Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n"
		"Route: \"Quoted, comma\" <sip:p3.example.com;lr>\r\n"
		"k: timer, 100rel\r\nSupported: path\r\nRequire: timer\r\n"
		"Allow: INVITE, ACK,BYE ,CANCEL\r\nPrivacy: id;user\r\n"
		"X-Custom: one\r\nx-custom: two\r\n"
		"Date: Sat, 15 Oct 2005 04:44:56 GMT\r\n"
		"Content-Length: 0\r\n\r\n";
	struct sip_perr err;
	struct sip_hdr_iter it;
	struct pl v;
	const struct sip_hdr *h;

	(void)state;
	assert_int_equal(parse(m, &err), 0);
	assert_int_equal(msg->maxfwd, 0);
	assert_int_equal(sip_msg_hdr_count(msg, SIP_HDR_VIA), 3);
	sip_hdr_iter_init(&it, msg, SIP_HDR_VIA);
	assert_true(sip_hdr_iter_next(&it, &v));
	assert_true(pl_eq_str(&v, "SIP/2.0/UDP a.example.com;branch=z9hG4bK1"));
	assert_true(sip_hdr_iter_next(&it, &v));
	assert_true(pl_eq_str(&v, "SIP/2.0/UDP b.example.com"));
	assert_true(sip_hdr_iter_next(&it, &v));
	assert_true(pl_eq_str(&v, "SIP/2.0/UDP\r\n\tc.example.com;branch=z9hG4bK3"));
	assert_false(sip_hdr_iter_next(&it, &v));
	assert_true(pl_eq_str(&msg->via.host, "a.example.com"));

	h = sip_msg_hdr(msg, SIP_HDR_VIA);
	assert_true(pl_eq_str(&h->name, "VIA"));
	h = sip_msg_hdr_next(msg, h);
	assert_true(pl_eq_str(&h->name, "v"));
	assert_null(sip_msg_hdr_next(msg, h));

	assert_int_equal(sip_msg_hdr_count(msg, SIP_HDR_ROUTE), 3);
	sip_hdr_iter_init(&it, msg, SIP_HDR_ROUTE);
	for (int i = 0; i < 3; i++)
		assert_true(sip_hdr_iter_next(&it, &v));
	assert_true(pl_eq_str(&v, "\"Quoted, comma\" <sip:p3.example.com;lr>"));

	assert_int_equal(sip_msg_hdr_count(msg, SIP_HDR_SUPPORTED), 3);
	assert_true(sip_msg_has_token(msg, SIP_HDR_SUPPORTED, &PL("100REL")));
	assert_true(sip_msg_has_token(msg, SIP_HDR_SUPPORTED, &PL("path")));
	assert_false(sip_msg_has_token(msg, SIP_HDR_SUPPORTED, &PL("replaces")));
	assert_true(sip_msg_has_token(msg, SIP_HDR_REQUIRE, &PL("timer")));
	assert_true(sip_msg_has_token(msg, SIP_HDR_ALLOW, &PL("BYE")));
	assert_true(sip_msg_has_token(msg, SIP_HDR_ALLOW, &PL("CANCEL")));
	assert_int_equal(sip_msg_hdr_count(msg, SIP_HDR_ALLOW), 4);
	assert_true(sip_msg_has_token(msg, SIP_HDR_PRIVACY, &PL("user")));
	assert_false(sip_msg_has_token(msg, SIP_HDR_PRIVACY, &PL("header")));
	/* Date is not a list: its comma stays */
	assert_int_equal(sip_msg_hdr_count(msg, SIP_HDR_DATE), 1);
	/* unknown names chain under OTHER, looked up by name */
	assert_int_equal(sip_msg_hdr_count(msg, SIP_HDR_OTHER), 2);
	assert_true(pl_eq_str(&sip_msg_hdr_by_name(msg, &PL("X-CUSTOM"))->val, "one"));
}

static void test_folding_and_keys(void **state)
{
	static const char m[] =
		"BYE sip:b@example.com SIP/2.0\r\n"
		"Via  :  SIP / 2.0 / UDP\r\n  host.example.com ;\r\n branch = z9hG4bKa\r\n"
		"From:\r\n <sip:a@example.com>\r\n ;tag=x\r\n"
		"To: sip:b@example.com ; tag = y\r\n"
		"Call-ID: c@h\r\nCSeq: 0009\r\n  BYE\r\nMax-Forwards: 0068\r\n\r\n";
	struct sip_perr err;

	(void)state;
	assert_int_equal(parse(m, &err), 0);
	assert_true(pl_eq_str(&msg->via.host, "host.example.com"));
	assert_true(pl_eq_str(&msg->via.branch, "z9hG4bKa"));
	assert_true(pl_eq_str(&msg->from.tag, "x"));
	assert_true(pl_eq_str(&msg->to.tag, "y"));
	assert_true(pl_eq_str(&msg->to.auri, "sip:b@example.com"));
	assert_int_equal(msg->cseq.num, 9);
	assert_int_equal(msg->maxfwd, 68);
	assert_int_equal(msg->clen, -1);
	assert_int_equal(msg->body.l, 0);

	/* leading CRLFs are skipped, bare LF line ends tolerated, no Max-Forwards */
	assert_int_equal(parse("\r\n\r\nACK sip:b@example.com SIP/2.0\nVia: SIP/2.0/UDP h\n"
			       "From: <sip:a@b>;tag=1\nTo: <sip:a@b>\nCall-ID: x\nCSeq: 1 ACK\n\nbody",
			       &err), 0);
	assert_int_equal(msg->maxfwd, -1);
	assert_true(pl_eq_str(&msg->body, "body"));
}

#define MINREQ_VIA "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
#define MINREQ_REST "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n"
#define MINREQ(start) start "\r\n" MINREQ_VIA MINREQ_REST

static void test_faults(void **state)
{
	(void)state;
	expect_fault("OPTIONS sip:a@b SIP/2.0\r\n" MINREQ_REST "\r\n", -EBADMSG, 400, "Missing Via");
	expect_fault("OPTIONS sip:a@b SIP/2.0\r\nVia: HTTP/1.1 h\r\n" MINREQ_REST "\r\n",
		     -EBADMSG, 400, "Bad Via");
	expect_fault("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h:99999\r\n" MINREQ_REST "\r\n",
		     -EBADMSG, 400, "Bad Via");
	expect_fault("OPTIONS sip:a@b SIP/2.0\r\n" MINREQ_VIA
		     "To: <sip:c@d>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n", -EBADMSG, 400, "Missing From");
	expect_fault("OPTIONS sip:a@b SIP/2.0\r\n" MINREQ_VIA
		     "From: <sip:a@b>;tag=1\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n", -EBADMSG, 400, "Missing To");
	expect_fault("OPTIONS sip:a@b SIP/2.0\r\n" MINREQ_VIA
		     "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCSeq: 1 OPTIONS\r\n\r\n", -EBADMSG, 400,
		     "Missing Call-ID");
	expect_fault("OPTIONS sip:a@b SIP/2.0\r\n" MINREQ_VIA
		     "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: x\r\n\r\n", -EBADMSG, 400,
		     "Missing CSeq");
	expect_fault("OPTIONS sip:a@b SIP/2.0\r\n" MINREQ_VIA
		     "From: <sip:a@b;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n",
		     -EBADMSG, 400, "Bad From");
	expect_fault("OPTIONS sip:a@b SIP/2.0\r\n" MINREQ_VIA
		     "From: <sip:a@b>;tag=1\r\nTo: \"c <sip:c@d>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n",
		     -EBADMSG, 400, "Bad To");
	expect_fault("OPTIONS sip:a@b SIP/2.0\r\n" MINREQ_VIA
		     "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: x y\r\nCSeq: 1 OPTIONS\r\n\r\n",
		     -EBADMSG, 400, "Bad Call-ID");
	expect_fault("OPTIONS sip:a@b SIP/2.0\r\n" MINREQ_VIA
		     "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: x\r\nCSeq: 2147483648 OPTIONS\r\n\r\n",
		     -EBADMSG, 400, "Bad CSeq");
	expect_fault("OPTIONS sip:a@b SIP/2.0\r\n" MINREQ_VIA
		     "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: x\r\nCSeq: OPTIONS\r\n\r\n",
		     -EBADMSG, 400, "Bad CSeq");
	expect_fault("OPTIONS sip:a@b SIP/2.0\r\n" MINREQ_VIA
		     "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n\r\n",
		     -EBADMSG, 400, "CSeq method mismatch");
	expect_fault(MINREQ("OPTIONS sip:a@b SIP/2.0") "From: <sip:z@b>\r\n\r\n", -EBADMSG, 400,
		     "Multiple From");
	expect_fault(MINREQ("OPTIONS sip:a@b SIP/2.0") "To: <sip:z@b>\r\n\r\n", -EBADMSG, 400,
		     "Multiple To");
	expect_fault(MINREQ("OPTIONS sip:a@b SIP/2.0") "Call-ID: y\r\n\r\n", -EBADMSG, 400,
		     "Multiple Call-ID");
	expect_fault(MINREQ("OPTIONS sip:a@b SIP/2.0") "CSeq: 2 OPTIONS\r\n\r\n", -EBADMSG, 400,
		     "Multiple CSeq");
	expect_fault(MINREQ("OPTIONS sip:a@b SIP/2.0") "Max-Forwards: 256\r\n\r\n", -EBADMSG, 400,
		     "Max-Forwards invalid");
	expect_fault(MINREQ("OPTIONS sip:a@b SIP/2.0") "Max-Forwards: -1\r\n\r\n", -EBADMSG, 400,
		     "Max-Forwards invalid");
	expect_fault(MINREQ("OPTIONS sip:a@b SIP/2.0") "Content-Length: x\r\n\r\n", -EBADMSG, 400,
		     "Bad Content-Length");
	expect_fault(MINREQ("OPTIONS sip:a@b SIP/2.0") "l: 1\r\nContent-Length: 1\r\n\r\nx", -EBADMSG,
		     400, "Bad Content-Length");
	expect_fault(MINREQ("OPTIONS sip:a@b SIP/2.0") "Content-Length: 10\r\n\r\nshort", -EBADMSG, 400,
		     "Body shorter than Content-Length");
	expect_fault(MINREQ("OPTIONS sip:a@b SIP/2.0") "Bad Header: x\r\n\r\n", -EBADMSG, 400,
		     "Bad header line");
	expect_fault(MINREQ("OPTIONS sip:a@b SIP/2.0") "NoColon\r\n\r\n", -EBADMSG, 400,
		     "Bad header line");
	expect_fault(MINREQ("OPTIONS sip:a@b SIP/2.0"), -EBADMSG, 400, "Missing end of headers");
	expect_fault(MINREQ("OPTIONS sip:a b@c SIP/2.0") "\r\n", -EBADMSG, 400, "Bad Request-URI");
	expect_fault(MINREQ("OPTIONS sip:@ SIP/2.0") "\r\n", -EBADMSG, 400, "Bad Request-URI");
	expect_fault(MINREQ("OPTIONS http://www.example.com/ SIP/2.0") "\r\n", -EBADMSG, 416,
		     "Unsupported URI Scheme");
	expect_fault(MINREQ("OPTIONS sip:a@b SIP/2.1") "\r\n", -EBADMSG, 505, "Version Not Supported");
	expect_fault(MINREQ("OPTIONS sip:a@b HTTP/1.1") "\r\n", -EBADMSG, 400, "Bad SIP version");
	expect_fault(MINREQ("OPTIONS  sip:a@b SIP/2.0") "\r\n", -EBADMSG, 400, "Bad Request-Line");
	expect_fault(MINREQ("OPT{IONS sip:a@b SIP/2.0") "\r\n", -EBADMSG, 400, "Bad Request-Line");
	expect_fault("OPTIONS sip:a@b SIP/2.0", -EBADMSG, 400, "Bad start line");
	expect_fault("", -EBADMSG, 400, "Bad start line");

	/* the keys are filled as far as possible: the 416 can be answered */
	expect_fault(MINREQ("OPTIONS urn:x:y SIP/2.0") "\r\n", -EBADMSG, 416, "Unsupported URI Scheme");
	assert_true(sip_msg_can_reply(msg));
	expect_fault(MINREQ("OPTIONS sip:a@b SIP/2.0") "Max-Forwards: 300\r\n\r\n", -EBADMSG, 400,
		     "Max-Forwards invalid");
	assert_true(sip_msg_can_reply(msg));
	expect_fault("OPTIONS sip:a@b SIP/2.0\r\n" MINREQ_REST "\r\n", -EBADMSG, 400, "Missing Via");
	assert_false(sip_msg_can_reply(msg));
}

static void test_limits(void **state)
{
	struct sip_limits lim = sip_limits_default;
	struct sip_perr err;
	char big[2048];
	static const char m[] = MINREQ("OPTIONS sip:a@b SIP/2.0") "X-A: 1\r\nX-B: 2\r\n\r\n";

	(void)state;
	assert_int_equal(sip_limits_default.max_msg_size, SIP_MSG_SIZE_DEFAULT);
	assert_int_equal(sip_limits_default.max_headers, SIP_HDRS_DEFAULT);
	assert_int_equal(sip_limits_default.max_hdr_len, SIP_HDR_LEN_DEFAULT);
	assert_int_equal(sip_limits_default.max_nesting, SIP_NEST_DEFAULT);

	lim.max_msg_size = sizeof(m) - 2;
	assert_int_equal(sip_msg_parse(msg, m, sizeof(m) - 1, &lim, &err), -EMSGSIZE);
	assert_int_equal(err.status, 413);
	assert_string_equal(err.reason, "Message too large");
	assert_true(err.req);

	lim = sip_limits_default;
	lim.max_headers = 6;
	assert_int_equal(sip_msg_parse(msg, m, sizeof(m) - 1, &lim, &err), -EMSGSIZE);
	assert_int_equal(err.status, 400);
	assert_string_equal(err.reason, "Too many headers");
	assert_true(sip_msg_can_reply(msg));   /* the keys came first */

	lim = sip_limits_default;
	lim.max_hdr_len = 20;
	assert_int_equal(sip_msg_parse(msg, m, sizeof(m) - 1, &lim, &err), -EMSGSIZE);
	assert_string_equal(err.reason, "Header too long");

	/* nesting: the top Via's comment depth */
	lim = sip_limits_default;
	lim.max_nesting = 2;
	snprintf(big, sizeof(big), "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h (((x)))\r\n"
		 MINREQ_REST "\r\n");
	assert_int_equal(sip_msg_parse(msg, big, strlen(big), &lim, &err), -EBADMSG);
	assert_string_equal(err.reason, "Bad Via");

	/* SIP_HDR_CAP bounds max_headers whatever the caller asks */
	{
		size_t n = 0, cap = 64 * 1024;
		char *b = malloc(cap);

		assert_non_null(b);
		n += (size_t)snprintf(b + n, cap - n, MINREQ("OPTIONS sip:a@b SIP/2.0"));
		for (int i = 0; i < 300; i++)
			n += (size_t)snprintf(b + n, cap - n, "X: %d\r\n", i);
		n += (size_t)snprintf(b + n, cap - n, "\r\n");
		lim = sip_limits_default;
		lim.max_headers = 100000;
		assert_int_equal(sip_msg_parse(msg, b, n, &lim, &err), -EMSGSIZE);
		assert_string_equal(err.reason, "Too many headers");
		assert_int_equal(msg->hdrc, SIP_HDR_CAP);
		free(b);
	}
}

static void test_datagram_body(void **state)
{
	struct sip_perr err;
	static const char extra[] = MINREQ("OPTIONS sip:a@b SIP/2.0") "l: 2\r\n\r\nhiEXTRA";
	static const char none[] = "MESSAGE sip:a@b SIP/2.0\r\n" MINREQ_VIA
		"From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: x\r\nCSeq: 1 MESSAGE\r\n\r\nto the end";

	(void)state;
	assert_int_equal(parse(extra, &err), 0);
	assert_true(pl_eq_str(&msg->body, "hi"));
	assert_int_equal(msg->len, sizeof(extra) - 1 - 5);
	assert_int_equal(parse(none, &err), 0);
	assert_true(pl_eq_str(&msg->body, "to the end"));
}

static void test_frame(void **state)
{
	static const char two[] =
		"OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 3\r\n\r\nabc"
		"OPTIONS sip:a@b SIP/2.0\r\nl: 0\r\n\r\n";
	size_t len = 0, first = strlen("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 3\r\n\r\nabc");
	struct sip_limits lim = sip_limits_default;

	(void)state;
	assert_int_equal(sip_frame(two, sizeof(two) - 1, NULL, &len), 0);
	assert_int_equal(len, first);
	assert_int_equal(sip_frame(two + first, sizeof(two) - 1 - first, NULL, &len), 0);
	assert_int_equal(len, sizeof(two) - 1 - first);
	/* every shorter prefix of the first message is partial */
	for (size_t cut = 0; cut < first; cut++)
		assert_int_equal(sip_frame(two, cut, NULL, &len), -EAGAIN);

	assert_int_equal(sip_frame("OPTIONS sip:a@b SIP/2.0\r\nX: 1\r\n\r\n", 33, NULL, &len),
			 -EBADMSG);
	assert_int_equal(sip_frame("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 1x\r\n\r\n", 47, NULL,
				   &len), -EBADMSG);
	assert_int_equal(sip_frame("OPTIONS sip:a@b SIP/2.0\r\nl: 1\r\nl: 2\r\n\r\nab", 40, NULL,
				   &len), -EBADMSG);
	/* folded-in name text is not a header: "X: y\r\n l: 5" */
	assert_int_equal(sip_frame("A\r\nX: y\r\n l: 5\r\nl: 0\r\n\r\n", 24, NULL, &len), 0);
	assert_int_equal(len, 24);

	lim.max_msg_size = 40;
	assert_int_equal(sip_frame("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 99\r\n\r\n", 47, &lim,
				   &len), -EBADMSG);
	{
		char junk[64];
		memset(junk, 'x', sizeof(junk));
		assert_int_equal(sip_frame(junk, sizeof(junk), &lim, &len), -EBADMSG);
		assert_int_equal(sip_frame(junk, 39, &lim, &len), -EAGAIN);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_invite),
		cmocka_unit_test(test_response),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_folding_and_keys),
		cmocka_unit_test(test_faults),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_datagram_body),
		cmocka_unit_test(test_frame),
	};
	return cmocka_run_group_tests_name("sip_msg", tests, setup, teardown);
}
