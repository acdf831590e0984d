/* SPDX-License-Identifier: GPL-2.0-or-later */
/** @file test_netem.c  Loss and jitter measured by the relay against what
 *  tc netem imposes. A network namespace "tl-media-<pid>" with one veth
 *  pair (10.200.x.1/30 here, 10.200.x.2/30 there); a sender inside sends
 *  a G.711-paced RTP stream through netem (loss 5%, delay 20 ms +- 10 ms
 *  uniform) to the relay bound on our end of the pair. Only traffic
 *  between the namespace and its veth peer. Needs root, ip and tc: exits
 *  77 (skipped) without them. The namespace is always removed.
 *
 *  Kernels built without sch_netem get the same impairment another way,
 *  said in the output: loss by an iptables "statistic" rule inside the
 *  namespace, and the delay spread applied by the sender (each packet
 *  sent 20 ms +- 10 ms uniform after its nominal time). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <cmocka.h>
#include "media_test.h"

enum {
	NPKT = 1000,               /* 20 s at 50 packets/s */
	SPACING_US = 20000,
	SKIP = 77,
};

/* netem's figures and the tolerance we hold the relay to */
static const double NETEM_LOSS_PCT = 5.0;
static const double NETEM_JITTER_MS = 10.0;   /* uniform +- this */
/* E|D| of two independent uniform(-j, j) delays is 2j/3 */
#define EXPECT_JITTER_MS (2.0 * NETEM_JITTER_MS / 3.0)
static const double LOSS_TOL_PCT = 2.5;        /* ~4 sigma at 1000 packets */
static const double JITTER_TOL_LO_MS = 1.5;
static const double JITTER_TOL_HI_MS = 3.0;    /* sender pacing slop only adds */
static const double REF_TOL_MS = 1.0;          /* relay vs the sender's own figure */

static char ns[32], veth_a[16], veth_b[16], addr_a[20], addr_b[20];
static bool ns_made;
static bool no_netem;          /* loss by iptables, jitter by the sender */

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	return rc == 0 ? 0 : -1;
}

static void ns_cleanup(void)
{
	if (!ns_made)
		return;
	/* deleting the namespace deletes its end of the pair, and the pair */
	sh("ip netns del %s >/dev/null 2>&1", ns);
	sh("ip link del %s >/dev/null 2>&1", veth_a);
	ns_made = false;
}

static int ns_setup(void)
{
	unsigned x = (unsigned)getpid() % 250 + 1;

	snprintf(ns, sizeof(ns), "tl-media-%d", (int)getpid());
	snprintf(veth_a, sizeof(veth_a), "tlm%da", (int)getpid() % 10000000);
	snprintf(veth_b, sizeof(veth_b), "tlm%db", (int)getpid() % 10000000);
	snprintf(addr_a, sizeof(addr_a), "10.200.%u.1", x);
	snprintf(addr_b, sizeof(addr_b), "10.200.%u.2", x);
	if (sh("ip netns add %s", ns))
		return -1;
	ns_made = true;
	if (sh("ip link add %s type veth peer name %s", veth_a, veth_b) ||
	    sh("ip link set %s netns %s", veth_b, ns) ||
	    sh("ip addr add %s/30 dev %s", addr_a, veth_a) ||
	    sh("ip link set %s up", veth_a) ||
	    sh("ip -n %s addr add %s/30 dev %s", ns, addr_b, veth_b) ||
	    sh("ip -n %s link set %s up", ns, veth_b) ||
	    sh("ip -n %s link set lo up", ns))
		return -1;
	if (sh("ip netns exec %s tc qdisc add dev %s root netem loss %.0f%% delay 20ms %.0fms"
	       " 2>/dev/null", ns, veth_b, NETEM_LOSS_PCT, NETEM_JITTER_MS)) {
		if (sh("ip netns exec %s iptables -A OUTPUT -o %s -p udp -m statistic"
		       " --mode random --probability %.2f -j DROP", ns, veth_b,
		       NETEM_LOSS_PCT / 100))
			return -1;
		no_netem = true;
		fprintf(stderr, "NOTE: this kernel has no sch_netem: loss %.0f%% by iptables "
			"statistic in the namespace, delay 20 ms +- %.0f ms uniform applied by "
			"the sender\n", NETEM_LOSS_PCT, NETEM_JITTER_MS);
	}
	/* the address may take a moment to become usable (DAD is v6 only) */
	wait_ms(200);
	return 0;
}

/* In the child: join the namespace and send the stream, paced on
 * absolute times so sleeping late does not accumulate. */
static void sender(const struct sa *dst)
{
	char path[64];
	struct phone p;
	struct timespec t0, t, now;
	uint8_t pkt[256];
	unsigned seed = (unsigned)getpid();
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
		_exit(2);
	if (phone_open(&p, addr_b))
		_exit(3);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned i = 0; i < NPKT; i++) {
		size_t len = rtp_make(pkt, 0, (uint16_t)(40000 + i), 160 * i, 0x5eed);
		uint64_t at_us = (uint64_t)i * SPACING_US;

		/* without netem: its delay, 20 ms +- jitter, applied here; the
		 * spread (20 ms) never exceeds the spacing, so no reordering */
		if (no_netem)
			at_us += 20000 + (uint64_t)(rand_r(&seed) % (unsigned)(2 * NETEM_JITTER_MS * 1000 + 1))
				 - (uint64_t)(NETEM_JITTER_MS * 1000);
		t.tv_sec = t0.tv_sec + (time_t)((t0.tv_nsec / 1000 + at_us) / 1000000);
		t.tv_nsec = (long)(((t0.tv_nsec / 1000 + at_us) % 1000000) * 1000);
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL);
		/* the real send time: what the sender imposed, slop included */
		clock_gettime(CLOCK_REALTIME, &now);
		put32be(pkt + 12, (uint32_t)now.tv_sec);
		put32be(pkt + 16, (uint32_t)(now.tv_nsec / 1000));
		/* a packet iptables drops fails with EPERM: that is the loss */
		if (phone_send(&p, dst, pkt, len) && errno != EPERM)
			_exit(4);
	}
	_exit(0);
}

static void test_netem(void **state)
{
	struct media_prm prm;
	struct media *m = NULL;
	struct media_session *s = NULL;
	struct media_remote r = { .latch = true };
	struct media_stats st;
	struct phone recv_b;
	struct sa la, lb;
	uint8_t buf[2048];
	unsigned idx, got = 0, samples = 0;
	double jsum = 0, ref = 0, prev_transit = 0;
	uint64_t t0;
	int status = -1;
	pid_t pid;

	(void)state;
	media_prm_init(&prm);
	prm.addr4 = addr_a;
	prm.port_min = 33000;
	prm.port_max = 33099;
	prm.rtp_timeout_s = 0;
	assert_int_equal(media_alloc(&m, &prm), 0);
	assert_int_equal(media_session_alloc(&s, m, NULL, NULL), 0);
	assert_int_equal(media_stream_add(s, AF_INET, AF_INET, &idx), 0);
	/* the sender is side A (latched), a socket here is side B */
	assert_int_equal(media_stream_set_remote(s, idx, MEDIA_A, &r), 0);
	assert_int_equal(phone_open(&recv_b, addr_a), 0);
	r = (struct media_remote){ .rtp = recv_b.addr };
	assert_int_equal(media_stream_set_remote(s, idx, MEDIA_B, &r), 0);
	media_stream_local(s, idx, MEDIA_A, &la, NULL);
	media_stream_local(s, idx, MEDIA_B, &lb, NULL);

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		sender(&la);
	/* drain what the relay forwards; average the jitter over the run
	 * (A.8's estimate moves with every packet) after a warm-up */
	t0 = time_ms();
	while (time_ms() - t0 < NPKT * SPACING_US / 1000 + 10000) {
		int n = phone_recv(&recv_b, buf, sizeof(buf), NULL, 100);
		if (n >= 20) {
			/* reference A.8 on the sender's real send times: the
			 * spread the sender imposed (its slop included) */
			double sent_us = get32be(buf + 12) * 1e6 + get32be(buf + 16);
			double transit = sent_us * 8000 / 1e6 - (double)get32be(buf + 4);
			if (got++)
				ref += (fabs(transit - prev_transit) - ref) / 16;
			prev_transit = transit;
		}
		if (waitpid(pid, &status, WNOHANG) == pid) {
			pid = 0;
			break;
		}
		if (time_ms() - t0 > 3000 && media_stream_stats(s, idx, &st) == 0 &&
		    st.side[MEDIA_A].rx_packets > 0 && time_ms() % 200 < 100) {
			jsum += st.side[MEDIA_A].rx_jitter_ms;
			samples++;
		}
	}
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("sender failed: status 0x%x", status);
	wait_ms(200);   /* the last packets are 20-30 ms behind */
	while (phone_recv(&recv_b, buf, sizeof(buf), NULL, 50) > 0)
		got++;
	ref /= 8.0;   /* ms */
	assert_int_equal(media_stream_stats(s, idx, &st), 0);
	const struct media_side_stats *a = &st.side[MEDIA_A];
	double javg = samples ? jsum / samples : a->rx_jitter_ms;
	print_message("%s loss %.1f%% jitter +-%.0f ms (expected A.8 jitter %.2f ms)\n"
		      "relay: expected %llu received %llu lost %llu (%.2f%%), out of order %llu, "
		      "jitter now %.2f ms, mean %.2f ms over %u samples, max %.2f ms, "
		      "MOS %.2f; forwarded to B %u; A.8 of the sender's real send times %.2f ms\n",
		      no_netem ? "iptables+sender" : "netem",
		      NETEM_LOSS_PCT, NETEM_JITTER_MS, EXPECT_JITTER_MS,
		      (unsigned long long)a->rx_expected, (unsigned long long)a->rx_packets,
		      (unsigned long long)a->rx_lost, a->rx_loss_pct,
		      (unsigned long long)a->rx_out_of_order, a->rx_jitter_ms, javg, samples,
		      a->rx_jitter_max_ms, a->mos_rx, got, ref);
	assert_true(a->latched);
	assert_true(a->rx_expected >= NPKT - 30 && a->rx_expected <= NPKT);
	assert_true(a->rx_loss_pct > NETEM_LOSS_PCT - LOSS_TOL_PCT &&
		    a->rx_loss_pct < NETEM_LOSS_PCT + LOSS_TOL_PCT);
	if (no_netem) {
		/* the whole spread is known: the relay's figure must be the
		 * sender's, up to the veth's own variation */
		assert_true(fabs(a->rx_jitter_ms - ref) < REF_TOL_MS);
		assert_true(ref > EXPECT_JITTER_MS - JITTER_TOL_LO_MS);
	} else {
		/* netem's spread plus whatever the sender's scheduling added */
		assert_true(javg > EXPECT_JITTER_MS - JITTER_TOL_LO_MS &&
			    javg < EXPECT_JITTER_MS + JITTER_TOL_HI_MS + ref);
	}
	assert_int_equal(got, a->rx_packets);
	assert_true(a->mos_rx > 3.0 && a->mos_rx < 4.2);
	s = mem_deref(s);
	phone_close(&recv_b);
	mem_deref(m);
}

static int teardown(void **state)
{
	(void)state;
	ns_cleanup();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_netem),
	};
	int rc;

	if (geteuid() != 0) {
		fprintf(stderr, "SKIP: test_netem needs root (network namespace, tc netem)\n");
		return SKIP;
	}
	if (sh("ip netns list >/dev/null 2>&1") || sh("tc -V >/dev/null 2>&1")) {
		fprintf(stderr, "SKIP: test_netem needs iproute2 (ip netns, tc)\n");
		return SKIP;
	}
	if (ns_setup()) {
		ns_cleanup();
		fprintf(stderr, "SKIP: could not build the namespace with netem "
			"(no CAP_NET_ADMIN or no sch_netem?)\n");
		return SKIP;
	}
	atexit(ns_cleanup);
	rc = cmocka_run_group_tests_name("media_netem", tests, NULL, teardown);
	ns_cleanup();
	return rc;
}
