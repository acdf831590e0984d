/* SPDX-License-Identifier: GPL-2.0-or-later */
/** @file media_test.h  Helpers of the media tests: UDP "phones" on real
 *  sockets, RTP and RTCP packets, bounded waits. */
#ifndef TL_MEDIA_TEST_H
#define TL_MEDIA_TEST_H

#include <poll.h>
#include <string.h>
#include <unistd.h>
#include "media.h"

struct phone {
	int fd;
	struct sa addr;            /* bound address */
};

static inline int phone_open(struct phone *p, const char *ip)
{
	int err = sa_set_str(&p->addr, ip, 0);

	if (err)
		return err;
	p->fd = socket(sa_af(&p->addr), SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (p->fd < 0)
		return -1;
	if (bind(p->fd, &p->addr.u.sa, p->addr.len) < 0)
		return -1;
	p->addr.len = sizeof(p->addr.u);
	if (getsockname(p->fd, &p->addr.u.sa, &p->addr.len) < 0)
		return -1;
	return 0;
}

static inline void phone_close(struct phone *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}

static inline int phone_send(struct phone *p, const struct sa *dst, const void *b, size_t n)
{
	return sendto(p->fd, b, n, 0, &dst->u.sa, dst->len) == (ssize_t)n ? 0 : -1;
}

/** One datagram within timeout_ms, its length; -1 on timeout. */
static inline int phone_recv(struct phone *p, void *b, size_t cap, struct sa *src,
			     int timeout_ms)
{
	struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
	struct sa tmp;
	ssize_t n;

	if (!src)
		src = &tmp;
	if (poll(&pfd, 1, timeout_ms) != 1)
		return -1;
	src->len = sizeof(src->u);
	n = recvfrom(p->fd, b, cap, 0, &src->u.sa, &src->len);
	return (int)n;
}

static inline void put32be(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

static inline uint32_t get32be(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/** G.711 RTP packet: 12-byte header + 160 bytes of a pattern from seq. */
static inline size_t rtp_make(uint8_t *b, uint8_t pt, uint16_t seq, uint32_t ts, uint32_t ssrc)
{
	b[0] = 0x80;
	b[1] = pt;
	b[2] = (uint8_t)(seq >> 8);
	b[3] = (uint8_t)seq;
	put32be(b + 4, ts);
	put32be(b + 8, ssrc);
	for (int i = 0; i < 160; i++)
		b[12 + i] = (uint8_t)(seq * 7 + i);
	return 172;
}

static inline void wait_ms(unsigned ms)
{
	usleep(ms * 1000);
}

#endif /* TL_MEDIA_TEST_H */
