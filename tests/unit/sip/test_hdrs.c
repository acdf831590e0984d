/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file test_hdrs.c  Header names and compact forms, methods, the
 *  character class table, and every typed header decoder of sip.h.
 */
#include <ctype.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "msg_int.h"

static void test_hdr_ids(void **state)
{
	static const struct { char c; enum sip_hdrid id; } compact[] = {
		{ 'v', SIP_HDR_VIA }, { 'i', SIP_HDR_CALL_ID }, { 'f', SIP_HDR_FROM },
		{ 't', SIP_HDR_TO }, { 'm', SIP_HDR_CONTACT }, { 'l', SIP_HDR_CONTENT_LENGTH },
		{ 'c', SIP_HDR_CONTENT_TYPE }, { 'k', SIP_HDR_SUPPORTED }, { 's', SIP_HDR_SUBJECT },
		{ 'e', SIP_HDR_CONTENT_ENCODING }, { 'o', SIP_HDR_EVENT }, { 'r', SIP_HDR_REFER_TO },
		{ 'u', SIP_HDR_ALLOW_EVENTS }, { 'b', SIP_HDR_REFERRED_BY },
		{ 'x', SIP_HDR_SESSION_EXPIRES }, { 'y', SIP_HDR_IDENTITY },
		{ 'a', SIP_HDR_ACCEPT_CONTACT }, { 'j', SIP_HDR_REJECT_CONTACT },
		{ 'd', SIP_HDR_REQUEST_DISPOSITION }, { 'n', SIP_HDR_IDENTITY_INFO },
	};

	(void)state;
	/* every id round-trips through its name, in any case */
	for (unsigned id = 1; id < SIP_HDR__COUNT; id++) {
		const char *n = sip_hdr_name((enum sip_hdrid)id);
		char up[64], low[64];
		size_t l;

		assert_non_null(n);
		l = strlen(n);
		assert_true(l < sizeof(up));
		for (size_t i = 0; i <= l; i++) {
			up[i] = (char)toupper((unsigned char)n[i]);
			low[i] = (char)tolower((unsigned char)n[i]);
		}
		assert_int_equal(sip_hdr_id(&(struct pl){ n, l }), id);
		assert_int_equal(sip_hdr_id(&(struct pl){ up, l }), id);
		assert_int_equal(sip_hdr_id(&(struct pl){ low, l }), id);
		/* one character off is another header or none */
		low[l / 2] ^= 1;
		assert_int_not_equal(sip_hdr_id(&(struct pl){ low, l }), id);
		low[l / 2] ^= 1;
		/* '-' must not match a control byte whose case bit makes it '-' */
		for (size_t i = 0; i < l; i++) {
			if (low[i] == '-') {
				low[i] = '\r';
				assert_int_equal(sip_hdr_id(&(struct pl){ low, l }), SIP_HDR_OTHER);
				low[i] = '-';
			}
		}
		if (l > 2)   /* "T" is To's compact form */
			assert_int_not_equal(sip_hdr_id(&(struct pl){ n, l - 1 }), id);
	}
	for (size_t i = 0; i < ARRAY_SIZE(compact); i++) {
		char c[2] = { compact[i].c, (char)toupper((unsigned char)compact[i].c) };
		assert_int_equal(sip_hdr_id(&(struct pl){ &c[0], 1 }), compact[i].id);
		assert_int_equal(sip_hdr_id(&(struct pl){ &c[1], 1 }), compact[i].id);
	}
	assert_int_equal(sip_hdr_id(&PL("z")), SIP_HDR_OTHER);
	assert_int_equal(sip_hdr_id(&PL("1")), SIP_HDR_OTHER);
	assert_int_equal(sip_hdr_id(&PL("")), SIP_HDR_OTHER);
	assert_int_equal(sip_hdr_id(&PL("X-Unknown-Header")), SIP_HDR_OTHER);
	assert_int_equal(sip_hdr_id(&PL("Call_ID")), SIP_HDR_OTHER);
	assert_int_equal(sip_hdr_id(&PL("P-Asserted-Identity")), SIP_HDR_P_ASSERTED_IDENTITY);
	assert_int_equal(sip_hdr_id(&PL("www-authenticate")), SIP_HDR_WWW_AUTHENTICATE);
	assert_int_equal(sip_hdr_id(&PL("MIN-se")), SIP_HDR_MIN_SE);
	assert_string_equal(sip_hdr_name(SIP_HDR_CALL_ID), "Call-ID");
	assert_null(sip_hdr_name(SIP_HDR_OTHER));
	assert_null(sip_hdr_name(SIP_HDR__COUNT));
}

static void test_methods(void **state)
{
	(void)state;
	for (unsigned m = SIP_INVITE; m <= SIP_UPDATE; m++) {
		const char *n = sip_method_name((enum sip_method)m);
		assert_non_null(n);
		assert_int_equal(sip_method_id(&(struct pl){ n, strlen(n) }), m);
	}
	/* methods are case-sensitive (RFC 3261 §7.1) */
	assert_int_equal(sip_method_id(&PL("invite")), SIP_METHOD_OTHER);
	assert_int_equal(sip_method_id(&PL("NEWMETHOD")), SIP_METHOD_OTHER);
	assert_int_equal(sip_method_id(&PL("")), SIP_METHOD_OTHER);
	assert_null(sip_method_name(SIP_METHOD_OTHER));
}

/* The generated table must say exactly what msg_int.h's comments say. */
static void test_char_classes(void **state)
{
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	static const struct { unsigned bit; const char *extra; bool alnum; } cls[] = {
		{ CC_TOKEN, "-.!%*_+`'~", true },
		{ CC_WS, " \t", false },
		{ CC_LWS, " \t\r\n", false },
		{ CC_DIGIT, "0123456789", false },
		{ CC_HEX, "0123456789abcdefABCDEF", false },
		{ CC_ALPHA, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", false },
		{ CC_USER, "-_.!~*'()&=+$,;?/", true },
		{ CC_PASS, "-_.!~*'()&=+$,", true },
		{ CC_PARAM, "-_.!~*'()[]/:&+$", true },
		{ CC_HDRC, "-_.!~*'()[]/?:+$", true },
		{ CC_HOST, "-.", true },
		{ CC_WORD, "-.!%*_+`'~()<>:\\\"/[]?{}", true },
		{ CC_SCHEME, "+-.", true },
		{ CC_PVAL, "-.!%*_+`'~:[]/@", true },
		{ CC_TEL, "0123456789abcdefABCDEF*#-.()+", false },
		{ CC_URIC, "-_.!~*'();/?:@&=+$,[]%", true },
	};

	(void)state;
	for (size_t k = 0; k < ARRAY_SIZE(cls); k++) {
		for (int c = 1; c < 256; c++) {
			bool want = strchr(cls[k].extra, c) || (cls[k].alnum && strchr(alnum, c));
			if (cc_is((char)c, cls[k].bit) != want)
				fail_msg("class bit %#x, char %#x: table says %d", cls[k].bit, c, !want);
		}
		assert_false(cc_is('\0', cls[k].bit));
	}
}

static void test_via(void **state)
{
	struct sip_via v;

	(void)state;
	assert_int_equal(sip_via_decode(&v, &PL("SIP/2.0/TLS [2001:db8::9:1]:5061;received=[2001:db8::9:255];"
						"branch=z9hG4bKas3;rport=5062;maddr=[::1];ttl=1")), 0);
	assert_true(pl_eq_str(&v.transport, "TLS"));
	assert_true(v.host_v6);
	assert_true(pl_eq_str(&v.host, "2001:db8::9:1"));
	assert_int_equal(v.port, 5061);
	assert_true(pl_eq_str(&v.received, "2001:db8::9:255"));
	assert_true(pl_eq_str(&v.rport, "5062"));
	assert_true(pl_eq_str(&v.maddr, "::1"));
	assert_true(pl_eq_str(&v.ttl, "1"));
	assert_true(pl_eq_str(&v.branch, "z9hG4bKas3"));

	assert_int_equal(sip_via_decode(&v, &PL("SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bK;RPORT")), 0);
	assert_true(pl_eq_str(&v.transport, "WS"));
	assert_int_equal(v.port, 0);
	assert_true(pl_eq_str(&v.branch, "z9hG4bK"));
	assert_int_equal(v.rport.l, 0);
	assert_non_null(v.rport.p);
	assert_null(v.received.p);

	assert_int_equal(sip_via_decode(&v, &PL("SIP/2.0/UDP h : 5060")), 0);
	assert_int_equal(v.port, 5060);
	assert_null(v.params.p);

	assert_int_equal(sip_via_decode(&v, &PL("SIP/2.0/UDP")), -EBADMSG);
	assert_int_equal(sip_via_decode(&v, &PL("SIP/2.0 h")), -EBADMSG);
	assert_int_equal(sip_via_decode(&v, &PL("SIP/2.0/UDPh")), -EBADMSG);
	assert_int_equal(sip_via_decode(&v, &PL("SIP/2.0/UDP h;")), -EBADMSG);
	assert_int_equal(sip_via_decode(&v, &PL("SIP/2.0/UDP h;branch=")), -EBADMSG);
	assert_int_equal(sip_via_decode(&v, &PL("SIP/2.0/UDP [1.2.3.4]")), -EBADMSG);
	assert_int_equal(sip_via_decode(&v, &PL("SIP/2.0/UDP h x")), -EBADMSG);
}

static void test_addr(void **state)
{
	struct sip_addr a;
	struct pl v;

	(void)state;
	assert_int_equal(sip_addr_decode(&a, &PL("\"A \\\"B\\\"\" <sip:a@h;lr>;tag=x;p=\"q;r\"")), 0);
	assert_true(pl_eq_str(&a.dname, "A \\\"B\\\""));
	assert_true(pl_eq_str(&a.auri, "sip:a@h;lr"));
	assert_true(pl_eq_str(&a.uri.params, ";lr"));
	assert_true(pl_eq_str(&a.tag, "x"));
	assert_int_equal(sip_param_get(&a.params, "P", &v), 0);
	assert_true(pl_eq_str(&v, "q;r"));

	assert_int_equal(sip_addr_decode(&a, &PL("A. Bell <sip:a.g.bell@example.com>;tag=qweoiqpe")), 0);
	assert_true(pl_eq_str(&a.dname, "A. Bell"));

	assert_int_equal(sip_addr_decode(&a, &PL("<tel:+12125551212>")), 0);
	assert_int_equal(a.uri.sch, SIP_SCHEME_TEL);
	assert_null(a.dname.p);

	/* addr-spec: every ;param is a header param (RFC 3261 §20.10) */
	assert_int_equal(sip_addr_decode(&a, &PL("sip:+1@gw.example.net;user=phone;tag=5")), 0);
	assert_true(pl_eq_str(&a.auri, "sip:+1@gw.example.net"));
	assert_true(pl_eq_str(&a.params, ";user=phone;tag=5"));
	assert_true(pl_eq_str(&a.tag, "5"));

	/* P-Asserted-Identity, Diversion, Refer-To, Referred-By share the form */
	assert_int_equal(sip_addr_decode(&a, &PL("<sip:+4930123@example.com>;reason=unconditional;counter=1")), 0);
	assert_int_equal(sip_param_get(&a.params, "reason", &v), 0);
	assert_true(pl_eq_str(&v, "unconditional"));
	assert_int_equal(sip_addr_decode(&a, &PL("<sip:b@h?Replaces=abc%40h%3Bto-tag%3D1>")), 0);
	assert_true(pl_eq_str(&a.uri.headers, "Replaces=abc%40h%3Bto-tag%3D1"));

	/* other schemes are kept, not refused (RFC 4475 3.3.4) */
	assert_int_equal(sip_addr_decode(&a, &PL("<http://www.example.com>;tag=1")), 0);
	assert_int_equal(a.uri.sch, SIP_SCHEME_OTHER);
	assert_int_equal(sip_addr_decode(&a, &PL("< sip:t@example.org >")), 0);

	assert_int_equal(sip_addr_decode(&a, &PL("\"unterminated <sip:a@h>")), -EBADMSG);
	assert_int_equal(sip_addr_decode(&a, &PL("<sip:a@h")), -EBADMSG);
	assert_int_equal(sip_addr_decode(&a, &PL("\"x\" sip:a@h")), -EBADMSG);
	assert_int_equal(sip_addr_decode(&a, &PL("<sip:a@h> junk")), -EBADMSG);
	assert_int_equal(sip_addr_decode(&a, &PL("<sip:a@h>;")), -EBADMSG);
	assert_int_equal(sip_addr_decode(&a, &PL("Bob")), -EBADMSG);
	assert_int_equal(sip_addr_decode(&a, &PL("")), -EBADMSG);
}

static void test_contact(void **state)
{
	struct sip_contact c;

	(void)state;
	assert_int_equal(sip_contact_decode(&c, &PL("*")), 0);
	assert_true(c.star);
	assert_int_equal(sip_contact_decode(&c, &PL(" <sip:a@h>;expires=3600;q=0.7")), 0);
	assert_false(c.star);
	assert_int_equal(c.expires, 3600);
	assert_int_equal(c.q, 700);
	assert_int_equal(sip_contact_decode(&c, &PL("sip:+19725552222@gw1.example.net;unknownparam")), 0);
	assert_int_equal(c.expires, -1);
	assert_int_equal(c.q, 1000);
	assert_int_equal(sip_contact_decode(&c, &PL("<sip:a@h>;expires=280297596632815")), 0);
	assert_int_equal(c.expires, 280297596632815LL);
	assert_int_equal(sip_contact_decode(&c, &PL("<sip:a@h>;q=1.000")), 0);
	assert_int_equal(c.q, 1000);
	assert_int_equal(sip_contact_decode(&c, &PL("<sip:a@h>;q=0")), 0);
	assert_int_equal(c.q, 0);
	assert_int_equal(sip_contact_decode(&c, &PL("<sip:a@h>;q=1.5")), -EBADMSG);
	assert_int_equal(sip_contact_decode(&c, &PL("<sip:a@h>;q=2")), -EBADMSG);
	assert_int_equal(sip_contact_decode(&c, &PL("<sip:a@h>;expires=x")), -EBADMSG);
}

static void test_cseq(void **state)
{
	struct sip_cseq c;

	(void)state;
	assert_int_equal(sip_cseq_decode(&c, &PL("4711 INVITE")), 0);
	assert_int_equal(c.num, 4711);
	assert_int_equal(c.meth, SIP_INVITE);
	assert_int_equal(sip_cseq_decode(&c, &PL("2147483647 FOO")), 0);
	assert_int_equal(c.meth, SIP_METHOD_OTHER);
	assert_true(pl_eq_str(&c.method, "FOO"));
	assert_int_equal(sip_cseq_decode(&c, &PL("2147483648 INVITE")), -EBADMSG);
	assert_int_equal(sip_cseq_decode(&c, &PL("36893488147419103232 REGISTER")), -EBADMSG);
	assert_int_equal(sip_cseq_decode(&c, &PL("1INVITE")), -EBADMSG);
	assert_int_equal(sip_cseq_decode(&c, &PL("1 INVITE x")), -EBADMSG);
	assert_int_equal(sip_cseq_decode(&c, &PL("INVITE")), -EBADMSG);
}

static void test_auth(void **state)
{
	struct sip_auth a;

	(void)state;
	assert_int_equal(sip_auth_decode(&a, &PL(
		"Digest username=\"bob\", realm=\"biloxi.com\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\",\r\n"
		" uri=\"sip:bob@biloxi.com\", qop=auth, nc=00000001, cnonce=\"0a4f113b\",\r\n"
		" response=\"6629fae49393a05397450978507c4ef1\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\","
		" algorithm=MD5, userhash=true")), 0);
	assert_true(pl_eq_str(&a.scheme, "Digest"));
	assert_true(pl_eq_str(&a.username, "bob"));
	assert_true(pl_eq_str(&a.realm, "biloxi.com"));
	assert_true(pl_eq_str(&a.uri, "sip:bob@biloxi.com"));
	assert_true(pl_eq_str(&a.qop, "auth"));
	assert_true(pl_eq_str(&a.nc, "00000001"));
	assert_true(pl_eq_str(&a.cnonce, "0a4f113b"));
	assert_true(pl_eq_str(&a.algorithm, "MD5"));
	assert_true(pl_eq_str(&a.response, "6629fae49393a05397450978507c4ef1"));
	assert_true(pl_eq_str(&a.opaque, "5ccc069c403ebaf9f0171e9517f40e41"));
	assert_true(a.userhash);

	assert_int_equal(sip_auth_decode(&a, &PL("Digest realm=\"atlanta.com\", domain=\"sip:ss1.carrier.com\","
						 " qop=\"auth,auth-int\", nonce=\"f84f1cec41e6cbe5aea9c8e88d359\","
						 " opaque=\"\", stale=FALSE, algorithm=MD5")), 0);
	assert_true(pl_eq_str(&a.qop, "auth,auth-int"));
	assert_true(pl_eq_str(&a.stale, "FALSE"));
	assert_true(pl_eq_str(&a.domain, "sip:ss1.carrier.com"));
	assert_int_equal(a.opaque.l, 0);
	assert_false(a.userhash);

	assert_int_equal(sip_auth_decode(&a, &PL("Digest")), 0);
	assert_int_equal(sip_auth_decode(&a, &PL("Digest realm")), -EBADMSG);
	assert_int_equal(sip_auth_decode(&a, &PL("Digest realm=\"x")), -EBADMSG);
	assert_int_equal(sip_auth_decode(&a, &PL("Digest a=b c=d")), -EBADMSG);
	assert_int_equal(sip_auth_decode(&a, &PL("")), -EBADMSG);
}

static void test_small_values(void **state)
{
	struct sip_sess_exp se;
	struct sip_reason r;
	uint32_t d;

	(void)state;
	assert_int_equal(sip_sess_exp_decode(&se, &PL("1800;refresher=uac")), 0);
	assert_int_equal(se.delta, 1800);
	assert_true(pl_eq_str(&se.refresher, "uac"));
	assert_int_equal(sip_sess_exp_decode(&se, &PL("90")), 0);
	assert_null(se.refresher.p);
	assert_int_equal(sip_sess_exp_decode(&se, &PL("x")), -EBADMSG);
	assert_int_equal(sip_sess_exp_decode(&se, &PL("90;")), -EBADMSG);

	assert_int_equal(sip_reason_decode(&r, &PL("SIP ;cause=200 ;text=\"Call completed elsewhere\"")), 0);
	assert_true(pl_eq_str(&r.protocol, "SIP"));
	assert_int_equal(r.cause, 200);
	assert_true(pl_eq_str(&r.text, "Call completed elsewhere"));
	assert_int_equal(sip_reason_decode(&r, &PL("Q.850;cause=16")), 0);
	assert_int_equal(r.cause, 16);
	assert_null(r.text.p);
	assert_int_equal(sip_reason_decode(&r, &PL("Q.850;cause=x")), -EBADMSG);
	assert_int_equal(sip_reason_decode(&r, &PL(";cause=1")), -EBADMSG);

	assert_int_equal(sip_delta_decode(&d, &PL("3600")), 0);
	assert_int_equal(d, 3600);
	assert_int_equal(sip_delta_decode(&d, &PL("120 (I'm in a meeting);duration=60")), 0);
	assert_int_equal(d, 120);
	assert_int_equal(sip_delta_decode(&d, &PL("4294967295")), 0);
	assert_int_equal(sip_delta_decode(&d, &PL("4294967296")), -EBADMSG);
	assert_int_equal(sip_delta_decode(&d, &PL("1000000000000000000000")), -EBADMSG);
	assert_int_equal(sip_delta_decode(&d, &PL("12x")), -EBADMSG);
	assert_int_equal(sip_delta_decode(&d, &PL("")), -EBADMSG);
}

static void test_param_get(void **state)
{
	struct pl v;

	(void)state;
	assert_int_equal(sip_param_get(&PL(" ; a = 1 ;\r\n b ;c=\"x y\""), "A", &v), 0);
	assert_true(pl_eq_str(&v, "1"));
	assert_int_equal(sip_param_get(&PL(";a=1;b;c=\"x y\""), "b", &v), 0);
	assert_int_equal(v.l, 0);
	assert_non_null(v.p);
	assert_int_equal(sip_param_get(&PL(";a=1;b;c=\"x y\""), "c", &v), 0);
	assert_true(pl_eq_str(&v, "x y"));
	assert_int_equal(sip_param_get(&PL(";a=1"), "z", &v), -ENOENT);
	assert_int_equal(sip_param_get(&(struct pl){ NULL, 0 }, "z", &v), -ENOENT);
	assert_int_equal(sip_param_get(&PL(";a=\"open"), "z", &v), -EBADMSG);
	assert_int_equal(sip_param_get(&PL(";x=%41;y=[::1]"), "y", &v), 0);
	assert_true(pl_eq_str(&v, "[::1]"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hdr_ids),
		cmocka_unit_test(test_methods),
		cmocka_unit_test(test_char_classes),
		cmocka_unit_test(test_via),
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_contact),
		cmocka_unit_test(test_cseq),
		cmocka_unit_test(test_auth),
		cmocka_unit_test(test_small_values),
		cmocka_unit_test(test_param_get),
	};
	return cmocka_run_group_tests_name("sip_hdrs", tests, NULL, NULL);
}
