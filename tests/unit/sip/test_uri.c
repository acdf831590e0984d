/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file test_uri.c  sip:, sips:, tel: and other URIs: decoding (RFC 3261
 *  §19.1, §25.1, RFC 3966, RFC 5118), unescaping and comparison (RFC 3261
 *  §19.1.4 examples, RFC 3966 §4).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "sip.h"

static int dec(struct sip_uri *u, const char *s)
{
	struct pl t = pl_cstr(s);
	return sip_uri_decode(u, &t);
}

static void test_sip_forms(void **state)
{
	struct sip_uri u;
	struct pl v;

	(void)state;
	assert_int_equal(dec(&u, "sip:alice:secretword@atlanta.com;transport=tcp"), 0);
	assert_int_equal(u.sch, SIP_SCHEME_SIP);
	assert_true(pl_eq_str(&u.scheme, "sip"));
	assert_true(pl_eq_str(&u.user, "alice"));
	assert_true(pl_eq_str(&u.password, "secretword"));
	assert_true(pl_eq_str(&u.host, "atlanta.com"));
	assert_int_equal(u.port, 0);
	assert_true(pl_eq_str(&u.params, ";transport=tcp"));
	assert_int_equal(sip_uri_param(&u, "TRANSPORT", &v), 0);
	assert_true(pl_eq_str(&v, "tcp"));
	assert_int_equal(sip_uri_param(&u, "lr", &v), -ENOENT);

	assert_int_equal(dec(&u, "SIPS:alice@atlanta.com?subject=project%20x&priority=urgent"), 0);
	assert_int_equal(u.sch, SIP_SCHEME_SIPS);
	assert_true(pl_eq_str(&u.headers, "subject=project%20x&priority=urgent"));

	assert_int_equal(dec(&u, "sip:+1-212-555-1212:1234@gateway.com;user=phone"), 0);
	assert_true(pl_eq_str(&u.user, "+1-212-555-1212"));
	assert_true(pl_eq_str(&u.password, "1234"));

	assert_int_equal(dec(&u, "sip:192.0.2.4:5061"), 0);
	assert_null(u.user.p);
	assert_true(pl_eq_str(&u.host, "192.0.2.4"));
	assert_int_equal(u.port, 5061);

	assert_int_equal(dec(&u, "sip:atlanta.com;method=REGISTER?to=alice%40atlanta.com"), 0);
	assert_true(pl_eq_str(&u.params, ";method=REGISTER"));
	assert_true(pl_eq_str(&u.headers, "to=alice%40atlanta.com"));

	/* user with ';' and escapes (RFC 4475 3.1.1.9 / 3.1.1.3) */
	assert_int_equal(dec(&u, "sip:user;par=u%40example.net@example.com"), 0);
	assert_true(pl_eq_str(&u.user, "user;par=u%40example.net"));
	assert_true(pl_eq_str(&u.host, "example.com"));
	assert_int_equal(dec(&u, "sip:sips%3Auser%40example.com@example.net"), 0);
	assert_true(pl_eq_str(&u.user, "sips%3Auser%40example.com"));

	/* IPv6 references (RFC 5118) */
	assert_int_equal(dec(&u, "sip:user@[2001:db8::10]:5070;lr"), 0);
	assert_true(u.host_v6);
	assert_true(pl_eq_str(&u.host, "2001:db8::10"));
	assert_int_equal(u.port, 5070);
	assert_int_equal(dec(&u, "sip:[2001:db8::10:5070]"), 0);
	assert_true(pl_eq_str(&u.host, "2001:db8::10:5070"));
	assert_int_equal(u.port, 0);
	assert_int_equal(dec(&u, "sip:[::ffff:192.0.2.1]"), 0);
	assert_int_equal(sip_uri_param(&u, "x", &v), -ENOENT);

	assert_int_equal(dec(&u, "sip:h;lr;x=1;novalue"), 0);
	assert_int_equal(sip_uri_param(&u, "lr", &v), 0);
	assert_int_equal(v.l, 0);
	assert_non_null(v.p);
}

static void test_bad(void **state)
{
	static const char *bad[] = {
		"", "sip:", "sip:@host", "sip:user@", "sip:host:", "sip:host:65536", "sip:host:5x",
		"sip:user@host;", "sip:host;=x", "sip:host;a=", "sip:h?", "sip:h?x", "sip:h?=1",
		"sip:us%2", "sip:us%zzer@h", "sip:[2001:db8::1", "sip:[zz]", "sip:[]", "sip:a b@h",
		"sip:h>", "1sip:x", ":x", "sip", "tel:", "tel:+", "tel:abc", "tel:+12;", "tel:+1 2",
		"sip:user@host@host", "sips:u@h;t=%", "mailto:", "mailto:a b",
	};
	struct sip_uri u;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (dec(&u, bad[i]) != -EBADMSG)
			fail_msg("accepted \"%s\"", bad[i]);
	}
	assert_int_equal(sip_uri_decode(&u, &(struct pl){ NULL, 0 }), -EBADMSG);
}

static void test_other_schemes(void **state)
{
	struct sip_uri u;

	(void)state;
	assert_int_equal(dec(&u, "nobodyKnowsThisScheme:totallyopaquecontent"), -EPROTONOSUPPORT);
	assert_int_equal(u.sch, SIP_SCHEME_OTHER);
	assert_true(pl_eq_str(&u.scheme, "nobodyKnowsThisScheme"));
	assert_int_equal(dec(&u, "http://www.example.com/a?b=c"), -EPROTONOSUPPORT);
	assert_int_equal(dec(&u, "urn:service:sos"), -EPROTONOSUPPORT);
	assert_int_equal(dec(&u, "isbn:2983792873"), -EPROTONOSUPPORT);
}

static void test_tel(void **state)
{
	struct sip_uri u;
	struct pl v;

	(void)state;
	assert_int_equal(dec(&u, "tel:+1-201-555-0123"), 0);
	assert_int_equal(u.sch, SIP_SCHEME_TEL);
	assert_true(pl_eq_str(&u.user, "+1-201-555-0123"));
	assert_null(u.host.p);
	assert_int_equal(dec(&u, "tel:7042;phone-context=example.com"), 0);
	assert_true(pl_eq_str(&u.user, "7042"));
	assert_int_equal(sip_uri_param(&u, "phone-context", &v), 0);
	assert_true(pl_eq_str(&v, "example.com"));
	assert_int_equal(dec(&u, "tel:863-1234;phone-context=+1-914-555"), 0);
	assert_int_equal(dec(&u, "tel:*21#;phone-context=+44"), 0);
	assert_int_equal(dec(&u, "tel:+1(201)555.0123;ext=22;isub=%41"), 0);
}

static void test_unescape(void **state)
{
	char buf[32];

	(void)state;
	assert_int_equal(sip_uri_unescape(&PL("I%20have%20spaces"), buf, sizeof(buf)), 13);
	assert_string_equal(buf, "I have spaces");
	assert_int_equal(sip_uri_unescape(&PL("%6c%6C"), buf, sizeof(buf)), 2);
	assert_string_equal(buf, "ll");
	assert_int_equal(sip_uri_unescape(&PL("bad%2"), buf, sizeof(buf)), -EINVAL);
	assert_int_equal(sip_uri_unescape(&PL("bad%g1"), buf, sizeof(buf)), -EINVAL);
	assert_int_equal(sip_uri_unescape(&PL("toolong"), buf, 4), -ENOSPC);
	assert_int_equal(sip_uri_unescape(&PL(""), buf, 1), 0);
	assert_int_equal(sip_uri_unescape(&PL(""), buf, 0), -ENOSPC);
}

static bool eq(const char *a, const char *b)
{
	struct sip_uri ua, ub;
	bool r1, r2;

	if (dec(&ua, a) && dec(&ua, a) != -EPROTONOSUPPORT)
		fail_msg("cannot decode %s", a);
	if (dec(&ub, b) && dec(&ub, b) != -EPROTONOSUPPORT)
		fail_msg("cannot decode %s", b);
	r1 = sip_uri_equal(&ua, &ub);
	r2 = sip_uri_equal(&ub, &ua);
	if (r1 != r2)
		fail_msg("not symmetric: %s / %s", a, b);
	return r1;
}

static void test_equal_rfc3261(void **state)
{
	(void)state;
	/* RFC 3261 §19.1.4: equivalent */
	assert_true(eq("sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp"));
	assert_true(eq("sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5"));
	assert_true(eq("sip:carol@chicago.com", "sip:carol@chicago.com;security=on"));
	assert_true(eq("sip:carol@chicago.com;newparam=5", "sip:carol@chicago.com;security=on"));
	assert_true(eq("sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
		       "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com"));
	assert_true(eq("sip:alice@atlanta.com?subject=project%20x&priority=urgent",
		       "sip:alice@atlanta.com?priority=urgent&subject=project%20x"));
	assert_true(eq("sip:carol@chicago.com", "sip:carol@chicago.com;security=off"));

	/* RFC 3261 §19.1.4: not equivalent */
	assert_false(eq("SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP"));
	assert_false(eq("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"));
	assert_false(eq("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp"));
	assert_false(eq("sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp"));
	assert_false(eq("sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting"));
	assert_false(eq("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"));
	assert_false(eq("sip:carol@chicago.com;security=on", "sip:carol@chicago.com;security=off"));

	/* the other special parameters, schemes, passwords, IPv6 forms */
	assert_false(eq("sip:a@h;user=phone", "sip:a@h"));
	assert_false(eq("sip:a@h;ttl=1", "sip:a@h"));
	assert_false(eq("sip:a@h;maddr=1.2.3.4", "sip:a@h;maddr=1.2.3.5"));
	assert_false(eq("sip:a@h;method=INVITE", "sip:a@h"));
	assert_true(eq("sip:a@h;lr", "sip:a@h"));
	assert_false(eq("sip:a@h", "sips:a@h"));
	assert_false(eq("sip:a:x@h", "sip:a:y@h"));
	assert_false(eq("sip:a:x@h", "sip:a@h"));
	assert_false(eq("sip:a@h", "sip:h"));
	assert_true(eq("sip:a@[2001:DB8::1]", "sip:a@[2001:db8:0:0::1]"));
	assert_false(eq("sip:a@[2001:db8::1]", "sip:a@[2001:db8::2]"));
	assert_true(eq("sip:%41@h", "sip:A@h"));
	assert_false(eq("sip:%41@h", "sip:a@h"));
	assert_true(eq("sip:a@h?X=%41", "sip:a@h?x=A"));
	assert_false(eq("sip:a@h?x=1", "sip:a@h?x=1&y=2"));
	assert_true(eq("urn:a:b", "URN:a:b"));
	assert_false(eq("urn:a:b", "urn:a:c"));
	assert_false(eq("urn:a:b", "sip:a@b"));
}

static void test_equal_tel(void **state)
{
	(void)state;
	assert_true(eq("tel:+1-201-555-0123", "tel:+12015550123"));
	assert_true(eq("tel:+1(201)555.0123", "tel:+1-201-555-0123"));
	assert_false(eq("tel:+12015550123", "tel:12015550123;phone-context=+1"));
	assert_true(eq("tel:7042;phone-context=EXAMPLE.com", "tel:7042;phone-context=example.com"));
	assert_false(eq("tel:7042;phone-context=example.com", "tel:7042;phone-context=example.net"));
	assert_false(eq("tel:+12015550123;ext=1", "tel:+12015550123"));
	assert_true(eq("tel:+1201;ext=1;isub=2", "tel:+1201;isub=2;ext=1"));
	assert_true(eq("tel:12ab;phone-context=x", "tel:12AB;phone-context=x"));
	assert_false(eq("tel:+1201", "tel:+1202"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sip_forms),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_other_schemes),
		cmocka_unit_test(test_tel),
		cmocka_unit_test(test_unescape),
		cmocka_unit_test(test_equal_rfc3261),
		cmocka_unit_test(test_equal_tel),
	};
	return cmocka_run_group_tests_name("sip_uri", tests, NULL, NULL);
}
