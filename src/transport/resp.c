/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file resp.c  Where a response goes: RFC 3261 §18.2.2 with RFC 3581
 *               (symmetric response routing, "rport").
 */
#include <errno.h>
#include "tp_int.h"

/* received= when it is a numeric address, else the packet's source IP:
 * a server adds received exactly when sent-by differs from the source
 * (§18.2.1), so the source address is what received would say. */
static void resp_ip(const struct sip_via *via, const struct tp_pkt *pkt, struct sa *dst)
{
	if (!pl_isset(&via->received) || sa_set(dst, &via->received, 0) != 0)
		tp_sa_ip(dst, &pkt->src);
}

int tp_resp_dst(const struct sip_via *via, const struct tp_pkt *pkt, struct sa *dst,
		struct tp_conn **connp)
{
	uint16_t port;
	uint32_t rp;

	if (!via || !pkt || !dst || !connp)
		return -EINVAL;
	*connp = NULL;
	port = via->port ? via->port : (pkt->proto == TP_TLS ? 5061 : 5060);

	if (pkt->proto != TP_UDP) {
		/* Reliable: the connection the request came on. dst is the
		 * fallback when it has closed meanwhile: received (or source)
		 * IP and the sent-by port, never the peer's ephemeral port. */
		*connp = pkt->conn;
		resp_ip(via, pkt, dst);
		sa_set_port(dst, port);
		return 0;
	}
	if (pl_isset(&via->maddr)) {
		/* a host name in maddr needs DNS, which is not done here */
		return sa_set(dst, &via->maddr, port) ? -EADDRNOTAVAIL : 0;
	}
	resp_ip(via, pkt, dst);
	if (pl_isset(&via->rport)) {
		/* RFC 3581 §4: an empty rport asks for the source port */
		if (via->rport.l && pl_u32(&via->rport, &rp) == 0 && rp && rp <= 65535)
			port = (uint16_t)rp;
		else
			port = sa_port(&pkt->src);
	}
	sa_set_port(dst, port);
	return 0;
}
