/* SPDX-License-Identifier: GPL-2.0-or-later */
/** @file sa.c  Socket address helpers, and monotonic time. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "core.h"

int sa_set(struct sa *sa, const struct pl *addr, uint16_t port)
{
	char buf[INET6_ADDRSTRLEN + 1];

	if (!addr->p || pl_strcpy(addr, buf, sizeof(buf)) != 0)
		return -EINVAL;
	return sa_set_str(sa, buf, port);
}

int sa_set_str(struct sa *sa, const char *addr, uint16_t port)
{
	memset(sa, 0, sizeof(*sa));
	if (inet_pton(AF_INET, addr, &sa->u.in.sin_addr) == 1) {
		sa->u.in.sin_family = AF_INET;
		sa->u.in.sin_port = htons(port);
		sa->len = sizeof(struct sockaddr_in);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &sa->u.in6.sin6_addr) == 1) {
		sa->u.in6.sin6_family = AF_INET6;
		sa->u.in6.sin6_port = htons(port);
		sa->len = sizeof(struct sockaddr_in6);
		return 0;
	}
	return -EINVAL;
}

int sa_decode(struct sa *sa, const char *str, size_t len)
{
	struct pl host, port = PL_INIT;
	uint32_t pn = 0;

	if (!len)
		return -EINVAL;
	if (str[0] == '[') {
		const char *e = memchr(str, ']', len);
		if (!e)
			return -EINVAL;
		host = pl_from(str + 1, (size_t)(e - str - 1));
		if ((size_t)(e - str) + 1 < len) {
			if (e[1] != ':')
				return -EINVAL;
			port = pl_from(e + 2, len - (size_t)(e - str) - 2);
		}
	} else {
		const char *c = memchr(str, ':', len);
		/* more than one colon and no brackets: a bare IPv6 address */
		if (c && memchr(c + 1, ':', len - (size_t)(c - str) - 1))
			c = NULL;
		host = pl_from(str, c ? (size_t)(c - str) : len);
		if (c)
			port = pl_from(c + 1, len - (size_t)(c - str) - 1);
	}
	if (port.p && (pl_u32(&port, &pn) || pn > 65535))
		return -EINVAL;
	return sa_set(sa, &host, (uint16_t)pn);
}

uint16_t sa_port(const struct sa *sa)
{
	switch (sa->u.sa.sa_family) {
	case AF_INET: return ntohs(sa->u.in.sin_port);
	case AF_INET6: return ntohs(sa->u.in6.sin6_port);
	default: return 0;
	}
}

void sa_set_port(struct sa *sa, uint16_t port)
{
	if (sa->u.sa.sa_family == AF_INET)
		sa->u.in.sin_port = htons(port);
	else if (sa->u.sa.sa_family == AF_INET6)
		sa->u.in6.sin6_port = htons(port);
}

int sa_af(const struct sa *sa)
{
	return sa->u.sa.sa_family;
}

bool sa_cmp(const struct sa *a, const struct sa *b)
{
	if (a->u.sa.sa_family != b->u.sa.sa_family)
		return false;
	if (a->u.sa.sa_family == AF_INET)
		return a->u.in.sin_port == b->u.in.sin_port &&
		       a->u.in.sin_addr.s_addr == b->u.in.sin_addr.s_addr;
	if (a->u.sa.sa_family == AF_INET6)
		return a->u.in6.sin6_port == b->u.in6.sin6_port &&
		       memcmp(&a->u.in6.sin6_addr, &b->u.in6.sin6_addr, 16) == 0;
	return false;
}

const char *sa_ntop(const struct sa *sa, char *buf, size_t n)
{
	const void *a = sa->u.sa.sa_family == AF_INET6 ? (const void *)&sa->u.in6.sin6_addr
						       : (const void *)&sa->u.in.sin_addr;
	if (!inet_ntop(sa->u.sa.sa_family == AF_INET6 ? AF_INET6 : AF_INET, a, buf, (socklen_t)n))
		snprintf(buf, n, "?");
	return buf;
}

const char *sa_fmt(const struct sa *sa, char *buf, size_t n)
{
	char a[INET6_ADDRSTRLEN];

	sa_ntop(sa, a, sizeof(a));
	if (sa->u.sa.sa_family == AF_INET6)
		snprintf(buf, n, "[%s]:%u", a, sa_port(sa));
	else
		snprintf(buf, n, "%s:%u", a, sa_port(sa));
	return buf;
}

uint64_t time_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t time_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}
