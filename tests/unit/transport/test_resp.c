/* SPDX-License-Identifier: GPL-2.0-or-later */
/** @file test_resp.c  tp_resp_dst: RFC 3261 §18.2.2 and RFC 3581. */
#include "transport/harness.h"

static struct tp_pkt pkt_from(enum tp_proto proto, const char *ip, uint16_t port)
{
	struct tp_pkt pkt;

	memset(&pkt, 0, sizeof(pkt));
	pkt.proto = proto;
	assert_int_equal(sa_set_str(&pkt.src, ip, port), 0);
	pkt.conn = proto == TP_UDP ? NULL : (struct tp_conn *)(uintptr_t)0x1;
	return pkt;
}

static void expect(const char *via_txt, const struct tp_pkt *pkt, const char *want)
{
	struct sip_via via;
	struct sa dst;
	struct tp_conn *conn = (struct tp_conn *)(uintptr_t)0x2;
	struct pl v = pl_cstr(via_txt);
	char buf[SA_FMT_MAX];

	assert_int_equal(sip_via_decode(&via, &v), 0);
	assert_int_equal(tp_resp_dst(&via, pkt, &dst, &conn), 0);
	assert_ptr_equal(conn, pkt->conn);
	assert_string_equal(sa_fmt(&dst, buf, sizeof(buf)), want);
}

static void test_resp_udp(void **state)
{
	struct tp_pkt p = pkt_from(TP_UDP, "192.0.2.1", 9988);

	(void)state;
	/* RFC 3581 §4: empty rport -> source port, source IP */
	expect("SIP/2.0/UDP 10.1.1.1:4540;rport;branch=z9hG4bKa", &p, "192.0.2.1:9988");
	/* no rport: sent-by port (or 5060) to the source IP (= received) */
	expect("SIP/2.0/UDP 10.1.1.1:4540;branch=z9hG4bKa", &p, "192.0.2.1:4540");
	expect("SIP/2.0/UDP 10.1.1.1;branch=z9hG4bKa", &p, "192.0.2.1:5060");
	/* received and rport with values */
	expect("SIP/2.0/UDP h.example.com;received=198.51.100.7;rport=1234;branch=z9hG4bKa", &p,
	       "198.51.100.7:1234");
	/* maddr wins, with the sent-by port */
	expect("SIP/2.0/UDP 10.1.1.1:4540;maddr=239.1.1.1;rport;branch=z9hG4bKa", &p,
	       "239.1.1.1:4540");
	/* IPv6 */
	struct tp_pkt p6 = pkt_from(TP_UDP, "2001:db8::1", 5070);
	expect("SIP/2.0/UDP [2001:db8::9]:5062;rport;branch=z9hG4bKa", &p6, "[2001:db8::1]:5070");
	expect("SIP/2.0/UDP [2001:db8::9];branch=z9hG4bKa", &p6, "[2001:db8::1]:5060");
	expect("SIP/2.0/UDP x;received=[2001:db8::5];branch=z9hG4bKa", &p6, "[2001:db8::5]:5060");

	/* a host name in maddr is for the caller to resolve */
	struct sip_via via;
	struct sa dst;
	struct tp_conn *conn;
	struct pl v = PL("SIP/2.0/UDP 10.1.1.1;maddr=mc.example.com;branch=z9hG4bKa");
	assert_int_equal(sip_via_decode(&via, &v), 0);
	assert_int_equal(tp_resp_dst(&via, &p, &dst, &conn), -EADDRNOTAVAIL);
	assert_null(conn);
}

static void test_resp_tcp(void **state)
{
	struct tp_pkt p = pkt_from(TP_TCP, "192.0.2.1", 40123);

	(void)state;
	/* the same connection; the fallback never uses the ephemeral port */
	expect("SIP/2.0/TCP 10.1.1.1:5070;rport;branch=z9hG4bKa", &p, "192.0.2.1:5070");
	expect("SIP/2.0/TCP 10.1.1.1;branch=z9hG4bKa", &p, "192.0.2.1:5060");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resp_udp),
		cmocka_unit_test(test_resp_tcp),
	};
	return cmocka_run_group_tests_name("transport_resp", tests, NULL, NULL);
}
