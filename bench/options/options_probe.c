/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file options_probe.c  Precise response times beside a SIPp load.
 *
 * SIPp's response times come from a coarse clock (a few ms per tick on
 * common kernels), too coarse for a server that answers in microseconds.
 * This probe sends a thin stream of OPTIONS (default 200/s) to the server
 * under load, times each 200 with CLOCK_MONOTONIC and prints the
 * percentiles in microseconds. Plain C and sockets: it knows nothing of
 * the server it measures.
 *
 * usage: options_probe HOST PORT [RATE=200] [SECS=5]
 * prints: probe sent=N answered=N lost=N p50_us=.. p90_us=.. p99_us=.. max_us=..
 */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { PROBES_MAX = 200000, GRACE_MS = 300 };

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* The probe number from "Call-ID: probe-<n>-" in a 200, or -1. */
static long probe_of(const char *buf, size_t len)
{
	static const char key[] = "\r\nCall-ID: probe-";
	const char *p;

	if (len < 12 || memcmp(buf, "SIP/2.0 200", 11) != 0)
		return -1;
	p = memmem(buf, len, key, sizeof(key) - 1);
	if (!p)
		return -1;
	return strtol(p + sizeof(key) - 1, NULL, 10);
}

int main(int argc, char **argv)
{
	struct sockaddr_in dst = { .sin_family = AF_INET }, me = { .sin_family = AF_INET };
	socklen_t melen = sizeof(me);
	int64_t *sent_at = NULL, *rtt = NULL;
	long rate, secs, total, sent = 0, answered = 0;
	int64_t t0, gap, end;
	char buf[2048];
	int fd = -1, rc = 1;

	if (argc < 3) {
		fprintf(stderr, "usage: options_probe HOST PORT [RATE=200] [SECS=5]\n");
		return 2;
	}
	rate = argc > 3 ? atol(argv[3]) : 200;
	secs = argc > 4 ? atol(argv[4]) : 5;
	if (inet_pton(AF_INET, argv[1], &dst.sin_addr) != 1 || rate < 1 || secs < 1 ||
	    rate * secs > PROBES_MAX) {
		fprintf(stderr, "options_probe: bad host, rate or duration\n");
		return 2;
	}
	dst.sin_port = htons((uint16_t)atoi(argv[2]));
	total = rate * secs;
	sent_at = calloc((size_t)total, sizeof(*sent_at));
	rtt = calloc((size_t)total, sizeof(*rtt));
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (!sent_at || !rtt || fd < 0)
		goto out;
	me.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&me, sizeof(me)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&me, &melen) < 0 ||
	    connect(fd, (struct sockaddr *)&dst, sizeof(dst)) < 0)
		goto out;

	gap = 1000000000 / rate;
	t0 = now_ns();
	end = t0 + secs * 1000000000LL + GRACE_MS * 1000000LL;
	for (;;) {
		int64_t t = now_ns(), next = t0 + sent * gap;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		struct timespec ts;
		int64_t wait;

		if (sent < total && t >= next) {
			int n = snprintf(buf, sizeof(buf),
				"OPTIONS sip:ping@%s:%s SIP/2.0\r\n"
				"Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKprobe%ld.%d;rport\r\n"
				"Max-Forwards: 70\r\n"
				"From: <sip:probe@127.0.0.1:%u>;tag=p%ld\r\n"
				"To: <sip:ping@%s:%s>\r\n"
				"Call-ID: probe-%ld-%d@127.0.0.1\r\n"
				"CSeq: 1 OPTIONS\r\n"
				"Content-Length: 0\r\n\r\n",
				argv[1], argv[2], ntohs(me.sin_port), sent, (int)getpid(),
				ntohs(me.sin_port), sent, argv[1], argv[2], sent, (int)getpid());

			sent_at[sent] = now_ns();
			/* a full socket buffer is a lost probe, as a lost reply would be */
			(void)send(fd, buf, (size_t)n, 0);
			sent++;
			continue;
		}
		if (t >= end || (sent == total && answered == total))
			break;
		wait = sent < total ? next - t : end - t;
		if (wait < 0)
			wait = 0;
		ts.tv_sec = wait / 1000000000;
		ts.tv_nsec = wait % 1000000000;
		if (ppoll(&pfd, 1, &ts, NULL) <= 0)
			continue;
		for (;;) {
			ssize_t r = recv(fd, buf, sizeof(buf), 0);
			int64_t tr = now_ns();
			long k;

			if (r < 0)
				break;
			k = probe_of(buf, (size_t)r);
			if (k < 0 || k >= sent || rtt[k])
				continue;
			rtt[k] = tr - sent_at[k];
			if (rtt[k] == 0)
				rtt[k] = 1;
			answered++;
		}
	}

	{
		long n = 0;

		for (long i = 0; i < sent; i++)
			if (rtt[i])
				rtt[n++] = rtt[i];
		qsort(rtt, (size_t)n, sizeof(rtt[0]), cmp64);
#define PCT(q) (n ? (double)rtt[(long)((q) * (double)(n - 1))] / 1e3 : -1.0)
		printf("probe sent=%ld answered=%ld lost=%ld p50_us=%.0f p90_us=%.0f p99_us=%.0f max_us=%.0f\n",
		       sent, answered, sent - answered, PCT(0.5), PCT(0.9), PCT(0.99), PCT(1.0));
#undef PCT
	}
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "options_probe: %s\n", strerror(errno));
	if (fd >= 0)
		close(fd);
	free(sent_at);
	free(rtt);
	return rc;
}
