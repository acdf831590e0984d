/* SPDX-License-Identifier: GPL-2.0-or-later */
/** @file test_leg.c  Dialog mapping and request building on a leg: what
 *                    the other side may see (topology hiding). */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "call_int.h"

static const char invite[] =
	"INVITE sip:+442071234567@10.0.0.1 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bKabc\r\n"
	"Max-Forwards: 70\r\n"
	"From: \"Alice\" <sip:alice@pbx.example>;tag=a1\r\n"
	"To: <sip:+442071234567@10.0.0.1>\r\n"
	"Call-ID: secret-call-id@pbx.example\r\n"
	"CSeq: 1 INVITE\r\n"
	"Contact: <sip:alice@192.0.2.7:5060>\r\n"
	"P-Asserted-Identity: <sip:+441234@pbx.example>\r\n"
	"Record-Route: <sip:proxy.example;lr>\r\n"
	"Session-Expires: 1800\r\n"
	"Content-Length: 0\r\n\r\n";

static void parse(struct sip_msg *m)
{
	struct sip_perr e;

	memset(m, 0, sizeof(*m));
	assert_int_equal(sip_msg_parse(m, invite, sizeof(invite) - 1, &sip_limits_default, &e), 0);
}

static void test_name_addr(void **state)
{
	static struct sip_msg m;
	char buf[128];

	(void)state;
	parse(&m);
	assert_int_equal(leg_name_addr(&m.from, true, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "\"Alice\" <sip:alice@pbx.example>");
	assert_int_equal(leg_name_addr(&m.from, false, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "<sip:alice@pbx.example>");
	assert_int_equal(leg_name_addr(&m.to, false, buf, 8), -ENOSPC);
}

static void test_copy_hdrs(void **state)
{
	static const enum sip_hdrid ids[] = { SIP_HDR_P_ASSERTED_IDENTITY, SIP_HDR_SESSION_EXPIRES };
	static struct sip_msg m;
	struct sip_mb mb;

	(void)state;
	parse(&m);
	sip_mb_init(&mb);
	leg_copy_hdrs(&mb, &m, ids, ARRAY_SIZE(ids));
	sip_mb_put(&mb, "", 1);
	assert_int_equal(mb.err, 0);
	assert_string_equal(mb.buf, "P-Asserted-Identity: <sip:+441234@pbx.example>\r\n"
			    "Session-Expires: 1800\r\n");
	sip_mb_free(&mb);
}

/* A BYE on the B leg carries only the B leg's identity. */
static void test_request_on_leg(void **state)
{
	static struct sip_msg out;
	struct leg b;
	struct sip_mb mb;
	struct sip_perr e;
	struct pl v[LEG_NSTR] = {
		[LS_CALLID] = PL("b-leg-id"), [LS_LTAG] = PL("ours"), [LS_RTAG] = PL("theirs"),
		[LS_LURI] = PL("<sip:alice@127.0.0.1>"), [LS_RURI] = PL("<sip:442071234567@10.9.9.9>"),
		[LS_TARGET] = PL("sip:gw@10.9.9.9:5070"), [LS_CONTACT] = PL("<sip:tl@127.0.0.1:5060>"),
	};

	(void)state;
	memset(&b, 0, sizeof(b));
	leg_init(&b);
	assert_string_equal(b.rtag, "");
	assert_int_equal(leg_set(&b, v), 0);
	b.proto = TP_UDP;
	sa_set_str(&b.local, "127.0.0.1", 5060);
	b.maxfwd = 69;
	sip_mb_init(&mb);
	assert_int_equal(leg_request(&mb, &b, SIP_BYE, 2, "Reason: SIP;cause=200\r\n", NULL, NULL), 0);
	memset(&out, 0, sizeof(out));
	assert_int_equal(sip_msg_parse(&out, mb.buf, mb.len, &sip_limits_default, &e), 0);
	assert_true(pl_eq_str(&out.method, "BYE"));
	assert_true(pl_eq_str(&out.ruri, "sip:gw@10.9.9.9:5070"));
	assert_true(pl_eq_str(&out.callid, "b-leg-id"));
	assert_true(pl_eq_str(&out.from.tag, "ours"));
	assert_true(pl_eq_str(&out.to.tag, "theirs"));
	assert_int_equal(out.cseq.num, 2);
	assert_int_equal(out.maxfwd, 69);
	assert_null(sip_msg_hdr(&out, SIP_HDR_CONTACT));   /* BYE: no Contact */
	assert_true(pl_eq_str(&out.via.host, "127.0.0.1"));
	assert_null(memmem(mb.buf, mb.len, "pbx.example", 11));
	assert_non_null(sip_msg_hdr(&out, SIP_HDR_REASON));
	sip_mb_free(&mb);

	/* re-INVITE: with our Contact and the body */
	sip_mb_init(&mb);
	assert_int_equal(leg_request(&mb, &b, SIP_INVITE, 3, NULL, "application/sdp",
				     &PL("v=0\r\n")), 0);
	memset(&out, 0, sizeof(out));
	assert_int_equal(sip_msg_parse(&out, mb.buf, mb.len, &sip_limits_default, &e), 0);
	assert_non_null(sip_msg_hdr(&out, SIP_HDR_CONTACT));
	assert_int_equal(out.body.l, 5);
	sip_mb_free(&mb);

	/* One string changes, from a view into the leg's own block: the
	 * others stay. */
	assert_int_equal(leg_set1(&b, LS_TARGET, &(struct pl){ b.callid, 6 }), 0);
	assert_string_equal(b.target, "b-leg-");
	assert_string_equal(b.callid, "b-leg-id");
	assert_string_equal(b.contact, "<sip:tl@127.0.0.1:5060>");
	assert_int_equal(leg_set1(&b, LS_RTAG, &PL("")), 0);
	assert_string_equal(b.rtag, "");
	assert_string_equal(b.ltag, "ours");
	leg_free(&b);
	assert_string_equal(b.callid, "");
}

static void test_uri(void **state)
{
	struct sip_uri u;
	struct sa dst;
	enum tp_proto p;
	char buf[128];

	(void)state;
	assert_int_equal(sip_uri_decode(&u, &PL("sip:pbx@198.51.100.7:5080;transport=tcp")), 0);
	assert_int_equal(leg_uri_dst(&u, &dst, &p), 0);
	assert_int_equal(p, TP_TCP);
	assert_int_equal(sa_port(&dst), 5080);
	assert_int_equal(leg_uri_build(buf, sizeof(buf), "+4420", &u, p), 0);
	assert_string_equal(buf, "sip:+4420@198.51.100.7:5080;transport=tcp");
	assert_int_equal(sip_uri_decode(&u, &PL("sip:pbx.example.com")), 0);
	assert_int_equal(leg_uri_dst(&u, &dst, &p), -EADDRNOTAVAIL);
	assert_int_equal(sip_uri_decode(&u, &PL("sip:[::1]")), 0);
	assert_int_equal(leg_uri_dst(&u, &dst, &p), 0);
	assert_int_equal(sa_port(&dst), 5060);
	assert_int_equal(leg_uri_build(buf, sizeof(buf), "1", &u, TP_UDP), 0);
	assert_string_equal(buf, "sip:1@[::1]");
}

static void test_q850(void **state)
{
	(void)state;
	assert_int_equal(leg_q850(486), 17);
	assert_int_equal(leg_q850(404), 1);
	assert_int_equal(leg_q850(503), 34);
	assert_int_equal(leg_q850(599), 41);
	assert_int_equal(leg_q850(200), 16);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_addr),
		cmocka_unit_test(test_copy_hdrs),
		cmocka_unit_test(test_request_on_leg),
		cmocka_unit_test(test_uri),
		cmocka_unit_test(test_q850),
	};
	return cmocka_run_group_tests_name("call_leg", tests, NULL, NULL);
}
