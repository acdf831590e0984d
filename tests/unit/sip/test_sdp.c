/* SPDX-License-Identifier: GPL-2.0-or-later */
/** @file test_sdp.c  Unit tests of the SDP parser and writer (src/sip/sdp.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "sdp.h"

static const char offer_g711[] =
	"v=0\r\n"
	"o=alice 2890844526 2890844526 IN IP4 host.atlanta.example.com\r\n"
	"s=-\r\n"
	"c=IN IP4 192.0.2.101\r\n"
	"t=0 0\r\n"
	"m=audio 49172 RTP/AVP 0 8 101\r\n"
	"a=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:8 PCMA/8000\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n"
	"a=fmtp:101 0-16\r\n"
	"a=ptime:20\r\n"
	"a=sendrecv\r\n";

static const char av_srtp[] =
	"v=0\n"
	"o=- 1 99 IN IP6 2001:db8::1\n"
	"s=call\n"
	"t=0 0\n"
	"a=sendonly\n"
	"m=audio 5004 RTP/SAVP 96 0\n"
	"c=IN IP6 2001:db8::2\n"
	"a=rtpmap:96 opus/48000/2\n"
	"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32 KDR=1 UNENCRYPTED_SRTCP\n"
	"a=rtcp:5005 IN IP6 2001:db8::2\n"
	"m=video 5006/2 RTP/SAVP 97\n"
	"a=rtpmap:97 H264/90000\n"
	"a=fmtp:97 profile-level-id=42e01f;packetization-mode=1\n"
	"a=rtcp-mux\n"
	"a=inactive";   /* no final line end */

static char outbuf[8192];

static int write_str(const struct sdp_session *s, const struct sdp_rewrite *rw)
{
	int n = sdp_write(s, rw, outbuf, sizeof(outbuf) - 1);
	if (n >= 0)
		outbuf[n] = '\0';
	return n;
}

static void test_parse_g711(void **state)
{
	struct sdp_session s;
	struct sdp_rtpmap rm;
	struct pl v;

	(void)state;
	assert_int_equal(sdp_parse(&s, offer_g711, strlen(offer_g711)), 0);
	assert_true(s.crlf);
	assert_int_equal(s.linec, 12);
	assert_true(pl_eq_str(&s.origin_user, "alice"));
	assert_true(pl_eq_str(&s.sess_version, "2890844526"));
	assert_true(pl_eq_str(&s.origin_addr, "host.atlanta.example.com"));
	assert_true(pl_eq_str(&s.name, "-"));
	assert_true(pl_eq_str(&s.conn.addr, "192.0.2.101"));
	assert_true(pl_eq_str(&s.conn.addrtype, "IP4"));
	assert_int_equal(s.conn.line, 3);
	assert_int_equal(s.mediac, 1);
	const struct sdp_media *m = &s.media[0];
	assert_true(pl_eq_str(&m->type, "audio"));
	assert_int_equal(m->port, 49172);
	assert_int_equal(m->nports, 1);
	assert_true(pl_eq_str(&m->proto, "RTP/AVP"));
	assert_int_equal(m->fmtc, 3);
	assert_true(pl_eq_str(&m->fmts[2], "101"));
	assert_int_equal(m->dir, SDP_SENDRECV);
	assert_int_equal(m->conn.line, -1);
	assert_int_equal(m->rtcp_port, -1);
	assert_false(m->rtcp_mux);
	assert_int_equal(m->first, 5);
	assert_int_equal(m->end, 12);

	assert_int_equal(sdp_rtpmap_get(&s, m, &PL("8"), &rm), 0);
	assert_true(pl_eq_str(&rm.encoding, "PCMA"));
	assert_true(pl_eq_str(&rm.clock, "8000"));
	assert_null(rm.channels.p);
	assert_int_equal(sdp_rtpmap_get(&s, m, &PL("9"), &rm), -ENOENT);
	assert_int_equal(sdp_fmtp_get(&s, m, &PL("101"), &v), 0);
	assert_true(pl_eq_str(&v, "0-16"));
	assert_int_equal(sdp_attr(&s, m, "ptime", 0, &v), 0);
	assert_true(pl_eq_str(&v, "20"));
	assert_int_equal(sdp_attr(&s, m, "sendrecv", 0, &v), 0);
	assert_non_null(v.p);
	assert_int_equal(v.l, 0);
	assert_int_equal(sdp_attr(&s, m, "rtpmap", 3, &v), -ENOENT);
	assert_int_equal(sdp_attr(&s, NULL, "ptime", 0, &v), -ENOENT);

	assert_int_equal(write_str(&s, NULL), (int)strlen(offer_g711));
	assert_string_equal(outbuf, offer_g711);
}

static void test_parse_av_ipv6_lf(void **state)
{
	struct sdp_session s;
	struct sdp_rtpmap rm;
	struct sdp_crypto c;
	struct pl v;

	(void)state;
	assert_int_equal(sdp_parse(&s, av_srtp, strlen(av_srtp)), 0);
	assert_false(s.crlf);
	assert_int_equal(s.dir, SDP_SENDONLY);
	assert_int_equal(s.conn.line, -1);
	assert_int_equal(s.mediac, 2);
	assert_true(pl_eq_str(&s.media[0].conn.addr, "2001:db8::2"));
	assert_int_equal(s.media[0].rtcp_port, 5005);
	assert_true(pl_eq_str(&s.media[0].rtcp_addr, "2001:db8::2"));
	assert_int_equal(s.media[0].dir, SDP_DIR_NONE);
	assert_int_equal(s.media[1].port, 5006);
	assert_int_equal(s.media[1].nports, 2);
	assert_true(s.media[1].rtcp_mux);
	assert_int_equal(s.media[1].dir, SDP_INACTIVE);
	assert_int_equal(s.lines[s.linec - 1].eol, 0);
	assert_int_equal(sdp_attr(&s, NULL, "sendonly", 0, &v), 0);

	assert_int_equal(sdp_rtpmap_get(&s, &s.media[0], &PL("96"), &rm), 0);
	assert_true(pl_eq_str(&rm.encoding, "opus"));
	assert_true(pl_eq_str(&rm.clock, "48000"));
	assert_true(pl_eq_str(&rm.channels, "2"));

	assert_int_equal(sdp_attr(&s, &s.media[0], "crypto", 0, &v), 0);
	assert_int_equal(sdp_crypto_decode(&c, &v), 0);
	assert_true(pl_eq_str(&c.tag, "1"));
	assert_true(pl_eq_str(&c.suite, "AES_CM_128_HMAC_SHA1_80"));
	assert_true(pl_eq_str(&c.key_params,
			      "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32"));
	assert_true(pl_eq_str(&c.session_params, "KDR=1 UNENCRYPTED_SRTCP"));
	assert_int_equal(sdp_crypto_decode(&c, &PL("x AES k")), -EBADMSG);
	assert_int_equal(sdp_crypto_decode(&c, &PL("1 AES")), -EBADMSG);

	assert_int_equal(write_str(&s, NULL), (int)strlen(av_srtp));
	assert_string_equal(outbuf, av_srtp);
}

static void test_rewrite(void **state)
{
	struct sdp_session s, s2;
	struct sdp_rewrite rw;
	const char *want =
		"v=0\r\n"
		"o=alice 2890844526 2890844527 IN IP4 203.0.113.5\r\n"
		"s=-\r\n"
		"c=IN IP4 203.0.113.5\r\n"
		"t=0 0\r\n"
		"m=audio 30000 RTP/AVP 0 8 101\r\n"
		"a=rtpmap:0 PCMU/8000\r\n"
		"a=rtpmap:8 PCMA/8000\r\n"
		"a=rtpmap:101 telephone-event/8000\r\n"
		"a=fmtp:101 0-16\r\n"
		"a=ptime:20\r\n"
		"a=sendonly\r\n";

	(void)state;
	assert_int_equal(sdp_parse(&s, offer_g711, strlen(offer_g711)), 0);
	memset(&rw, 0, sizeof(rw));
	rw.addrtype = PL("IP4");
	rw.addr = PL("203.0.113.5");
	rw.origin_addr = PL("203.0.113.5");
	rw.ports[0] = 30000;
	rw.bump_version = true;
	rw.dir[0] = SDP_SENDONLY;
	assert_int_equal(write_str(&s, &rw), (int)strlen(want));
	assert_string_equal(outbuf, want);
	assert_int_equal(sdp_write(&s, &rw, outbuf, strlen(want) - 1), -ENOSPC);
	assert_int_equal(sdp_write(&s, &rw, NULL, 0), -ENOSPC);

	/* an empty rewrite is the identity, too */
	memset(&rw, 0, sizeof(rw));
	assert_int_equal(write_str(&s, &rw), (int)strlen(offer_g711));
	assert_string_equal(outbuf, offer_g711);

	/* IPv6 -> IPv4 relay: c=, a=rtcp address, added direction after a
	 * last line without line end, version 99 -> 100 */
	const char *want2 =
		"v=0\n"
		"o=- 1 100 IN IP6 2001:db8::1\n"
		"s=call\n"
		"t=0 0\n"
		"a=sendonly\n"
		"m=audio 40000 RTP/SAVP 96 0\n"
		"c=IN IP4 198.51.100.7\n"
		"a=rtpmap:96 opus/48000/2\n"
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32 KDR=1 UNENCRYPTED_SRTCP\n"
		"a=rtcp:40001 IN IP4 198.51.100.7\n"
		"a=recvonly\n"
		"m=video 40002/2 RTP/SAVP 97\n"
		"a=rtpmap:97 H264/90000\n"
		"a=fmtp:97 profile-level-id=42e01f;packetization-mode=1\n"
		"a=rtcp-mux\n"
		"a=sendrecv";
	assert_int_equal(sdp_parse(&s, av_srtp, strlen(av_srtp)), 0);
	memset(&rw, 0, sizeof(rw));
	rw.addrtype = PL("IP4");
	rw.addr = PL("198.51.100.7");
	rw.ports[0] = 40000;
	rw.rtcp_ports[0] = 40001;
	rw.ports[1] = 40002;
	rw.bump_version = true;
	rw.dir[0] = SDP_RECVONLY;
	rw.dir[1] = SDP_SENDRECV;
	assert_int_equal(write_str(&s, &rw), (int)strlen(want2));
	assert_string_equal(outbuf, want2);
	assert_int_equal(sdp_parse(&s2, outbuf, strlen(outbuf)), 0);
	assert_int_equal(s2.mediac, 2);
	assert_int_equal(s2.media[0].dir, SDP_RECVONLY);

	/* adding a line after a last line without line end ends that line */
	static const char noeol[] = "v=0\r\no=- 1 9 IN IP4 10.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 0 RTP/AVP";
	assert_int_equal(sdp_parse(&s, noeol, strlen(noeol)), 0);
	memset(&rw, 0, sizeof(rw));
	rw.dir[0] = SDP_INACTIVE;
	rw.bump_version = true;
	write_str(&s, &rw);
	assert_string_equal(outbuf, "v=0\r\no=- 1 10 IN IP4 10.0.0.1\r\ns=-\r\nt=0 0\r\n"
			    "m=audio 0 RTP/AVP\r\na=inactive\r\n");
}

static void test_multicast_and_tail(void **state)
{
	struct sdp_session s;
	struct sdp_rewrite rw;
	static const char mc[] =
		"v=0\r\no=- 0 0 IN IP4 10.0.0.1\r\ns=mc\r\n"
		"c=IN IP4 224.2.36.42/127/3\r\nt=0 0\r\n"
		"m=audio 49170 RTP/AVP 0\r\nc=IN IP6 ff15::101/3\r\n\r\n\r\n";

	(void)state;
	assert_int_equal(sdp_parse(&s, mc, strlen(mc)), 0);
	assert_true(pl_eq_str(&s.conn.addr, "224.2.36.42"));
	assert_true(pl_eq_str(&s.conn.ttl, "127"));
	assert_true(pl_eq_str(&s.conn.num, "3"));
	assert_true(pl_eq_str(&s.media[0].conn.addr, "ff15::101"));
	assert_null(s.media[0].conn.ttl.p);
	assert_true(pl_eq_str(&s.media[0].conn.num, "3"));
	assert_int_equal(s.tail.l, 4);
	assert_int_equal(write_str(&s, NULL), (int)strlen(mc));
	assert_string_equal(outbuf, mc);

	memset(&rw, 0, sizeof(rw));
	rw.addr = PL("10.1.1.1");
	rw.addrtype = PL("IP4");
	write_str(&s, &rw);
	assert_string_equal(outbuf, "v=0\r\no=- 0 0 IN IP4 10.0.0.1\r\ns=mc\r\n"
			    "c=IN IP4 10.1.1.1\r\nt=0 0\r\n"
			    "m=audio 49170 RTP/AVP 0\r\nc=IN IP4 10.1.1.1\r\n\r\n\r\n");
}

struct bad {
	const char *sdp;
	int err;
	unsigned line;
};

static void test_errors(void **state)
{
	static const struct bad bad[] = {
		{ "", -EBADMSG, 0 },
		{ "v=1\r\n", -EBADMSG, 1 },
		{ "o=- 1 1 IN IP4 x\r\n", -EBADMSG, 1 },
		{ "v=0\r\ns=x\r\n", -EBADMSG, 3 },                         /* no o= */
		{ "v=0\r\no=- 1 1 IN IP4\r\n", -EBADMSG, 2 },
		{ "v=0\r\no=- x 1 IN IP4 a\r\n", -EBADMSG, 2 },
		{ "v=0\r\no=- 1 1 IN IP4 a\r\nv=0\r\n", -EBADMSG, 3 },
		{ "v=0\r\no=- 1 1 IN IP4 a\r\no=- 1 1 IN IP4 a\r\n", -EBADMSG, 3 },
		{ "v=0\r\no=- 1 1 IN IP4 a\r\nc=IN IP4\r\n", -EBADMSG, 3 },
		{ "v=0\r\no=- 1 1 IN IP4 a\r\nc=IN IP4 1.2.3.4/300\r\n", -EBADMSG, 3 },
		{ "v=0\r\no=- 1 1 IN IP4 a\r\nc=IN IP6 ff::1/3/4\r\n", -EBADMSG, 3 },
		{ "v=0\r\no=- 1 1 IN IP4 a\r\nc=IN IP4 /3\r\n", -EBADMSG, 3 },
		{ "v=0\r\no=- 1 1 IN IP4 a\r\nm=audio 65536 RTP/AVP 0\r\n", -EBADMSG, 3 },
		{ "v=0\r\no=- 1 1 IN IP4 a\r\nm=audio -1 RTP/AVP 0\r\n", -EBADMSG, 3 },
		{ "v=0\r\no=- 1 1 IN IP4 a\r\nm=audio 1/0 RTP/AVP 0\r\n", -EBADMSG, 3 },
		{ "v=0\r\no=- 1 1 IN IP4 a\r\nm=audio 1000 RTP/AVP\r\n", -EBADMSG, 3 },
		{ "v=0\r\no=- 1 1 IN IP4 a\r\nm=audio\r\n", -EBADMSG, 3 },
		{ "v=0\r\nm=audio 1 RTP/AVP 0\r\n", -EBADMSG, 2 },
		{ "v=0\r\no=- 1 1 IN IP4 a\r\nm=audio 1 RTP/AVP 0\r\na=rtcp:x\r\n", -EBADMSG, 4 },
		{ "v=0\r\no=- 1 1 IN IP4 a\r\nm=audio 1 RTP/AVP 0\r\na=rtcp:1 IN IP4\r\n", -EBADMSG, 4 },
		{ "v=0\r\no=- 1 1 IN IP4 a\r\na=\r\n", -EBADMSG, 3 },
		{ "v=0\r\no=- 1 1 IN IP4 a\r\n\r\ns=x\r\n", -EBADMSG, 3 },
		{ "v=0\r\no=- 1 1 IN IP4 a\r\nX=y\r\n", -EBADMSG, 3 },
		{ "v=0\r\no=- 1 1 IN IP4 a\r\nsx\r\n", -EBADMSG, 3 },
		{ "v=0\r\no=- 1 1 IN IP4 a\r\ns=a\rb\r\n", -EBADMSG, 3 },
		{ "v=0\r\no=- 1 1 IN IP4 a\r\ns=a\0b\r\n", -EBADMSG, 3 },
		{ "v=0\r\no=- 1 1 IN IP4 a\r\n=x\r\n", -EBADMSG, 3 },
	};
	struct sdp_session s;

	(void)state;
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = strlen(bad[i].sdp);
		/* the NUL case: measure to the real end */
		if (strstr(bad[i].sdp, "s=a") && bad[i].sdp[len - 1] == 'a' )
			len += 4;
		int err = sdp_parse(&s, bad[i].sdp, len);
		if (err != bad[i].err || s.errline != bad[i].line)
			fail_msg("case %u: err=%d line=%u (%s)", i, err, s.errline,
				 s.errmsg ? s.errmsg : "-");
		assert_non_null(s.errmsg);
	}
}

static void test_limits(void **state)
{
	static char big[32768];
	struct sdp_session s;
	size_t n;

	(void)state;
	n = (size_t)snprintf(big, sizeof(big), "v=0\r\no=- 1 1 IN IP4 a\r\n");
	for (unsigned i = 0; i < SDP_MAX_LINES - 2; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "a=x%u\r\n", i);
	assert_int_equal(sdp_parse(&s, big, n), 0);
	assert_int_equal(s.linec, SDP_MAX_LINES);
	n += (size_t)snprintf(big + n, sizeof(big) - n, "a=y\r\n");
	assert_int_equal(sdp_parse(&s, big, n), -E2BIG);
	assert_int_equal(s.errline, SDP_MAX_LINES + 1);

	n = (size_t)snprintf(big, sizeof(big), "v=0\r\no=- 1 1 IN IP4 a\r\n");
	for (unsigned i = 0; i <= SDP_MAX_MEDIA; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "m=audio %u RTP/AVP 0\r\n", 1000 + i);
	assert_int_equal(sdp_parse(&s, big, n), -E2BIG);

	n = (size_t)snprintf(big, sizeof(big), "v=0\r\no=- 1 1 IN IP4 a\r\nm=audio 1 RTP/AVP");
	for (unsigned i = 0; i < SDP_MAX_FMTS; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, " %u", i);
	assert_int_equal(sdp_parse(&s, big, n), 0);
	assert_int_equal(s.media[0].fmtc, SDP_MAX_FMTS);
	n += (size_t)snprintf(big + n, sizeof(big) - n, " 99");
	assert_int_equal(sdp_parse(&s, big, n), -E2BIG);
}

/* Every prefix of a valid SDP is parsed without reading past its end
 * (ASan checks the exact-size copy), and a valid prefix is reproduced. */
static void test_prefixes(void **state)
{
	struct sdp_session s;

	(void)state;
	for (size_t l = 0; l <= sizeof(av_srtp) - 1; l++) {
		char *b = malloc(l ? l : 1);
		assert_non_null(b);
		memcpy(b, av_srtp, l);
		if (sdp_parse(&s, b, l) == 0) {
			assert_int_equal(write_str(&s, NULL), (int)l);
			assert_memory_equal(outbuf, b, l);
		}
		free(b);
	}
}

static void test_version_bump(void **state)
{
	struct sdp_session s;
	struct sdp_rewrite rw;
	static const char v9[] = "v=0\no=- 1 3999999999999999999999 IN IP4 a\n";

	(void)state;
	assert_int_equal(sdp_parse(&s, v9, strlen(v9)), 0);
	memset(&rw, 0, sizeof(rw));
	rw.bump_version = true;
	write_str(&s, &rw);
	assert_string_equal(outbuf, "v=0\no=- 1 4000000000000000000000 IN IP4 a\n");
	assert_string_equal(sdp_dir_name(SDP_RECVONLY), "recvonly");
	assert_null(sdp_dir_name(SDP_DIR_NONE));
}

/* Not a pass/fail figure: prints what parsing an offer costs on this build. */
static void test_parse_speed(void **state)
{
	static struct sdp_session s;
	enum { N = 20000 };
	uint64_t t0;

	(void)state;
	t0 = time_us();
	for (int i = 0; i < N; i++)
		assert_int_equal(sdp_parse(&s, offer_g711, sizeof(offer_g711) - 1), 0);
	printf("sdp_parse: %.3f us per offer (%zu bytes)\n", (double)(time_us() - t0) / N,
	       sizeof(offer_g711) - 1);
	t0 = time_us();
	for (int i = 0; i < N; i++)
		assert_true(sdp_write(&s, NULL, outbuf, sizeof(outbuf)) > 0);
	printf("sdp_write: %.3f us per offer\n", (double)(time_us() - t0) / N);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_g711),
		cmocka_unit_test(test_parse_av_ipv6_lf),
		cmocka_unit_test(test_rewrite),
		cmocka_unit_test(test_multicast_and_tail),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_version_bump),
		cmocka_unit_test(test_parse_speed),
	};
	return cmocka_run_group_tests_name("sip_sdp", tests, NULL, NULL);
}
