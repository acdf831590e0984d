/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file bench_media.c  RTP relay throughput and added latency: Trunkline's
 *                      media relay against rtpengine (userspace forwarding),
 *                      same load, same run, loopback only.
 *
 * For each stream count N (default 1000 and 5000), N/2 calls each carry
 * two G.711 streams (A->B and B->A, 50 packets/s, 172-byte packets). One
 * generator socket plays every A phone, another every B phone; a sender
 * thread paces all streams with sendmmsg, one receiver thread per socket
 * counts what comes back with recvmmsg and reads the send time stamped in
 * the payload against the kernel's arrival time.
 *
 *  - trunkline: the relay (tl_media, one worker) in a child process, its
 *    sessions made directly through the API;
 *  - rtpengine: started here with --table=-1 (no kernel forwarding) and
 *    --num-threads=1, each call allocated over the ng protocol (bencode
 *    over UDP: offer, answer);
 *  - direct: the phones send to each other (latency baseline).
 *
 * Figures: forwarded packets/s, the relay process's CPU time per packet
 * (utime + stime from /proc/PID/stat) and the packets/s one core would
 * carry at that cost, and the latency percentiles of the whole path.
 * Every process it starts is its own child, stopped by PID. Exits 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "media.h"

enum {
	PKT_LEN = 172,
	PPS = 50,
	BATCH = 64,
	HIST_US = 10,              /* latency histogram bucket */
	HIST_N = 20000,            /* up to 200 ms */
	OUR_PMIN = 20000, OUR_PMAX = 39999,
	RTPE_PMIN = 40000, RTPE_PMAX = 59999,
};

enum kind { K_TRUNKLINE, K_RTPENGINE, K_DIRECT };
static const char *const kind_name[] = { "trunkline", "rtpengine", "direct" };

struct run {
	enum kind kind;
	unsigned streams, calls;
	int sock[2];               /* A phones, B phones */
	struct sa phone[2];
	struct sa *dst[2];         /* per call: where A sends, where B sends */
	pid_t pid;                 /* relay process */
	atomic_bool stop_tx, stop_rx;
	uint64_t w0, w1;           /* measurement window, realtime ns */
	atomic_uint_fast64_t rx_in_window, tx_in_window;
	uint32_t hist[2][HIST_N + 1];
	/* results */
	double pps, cpu_us_per_pkt, cpu_share, p50, p90, p99, pmax, offered, loss_pct;
};

static unsigned opt_secs = 10, opt_warm = 3;
static bool opt_fifo = true;

/* In a relay's child before it starts its threads (they inherit it): on a
 * shared machine the scheduler's time slices, not the relay, would set
 * the latency tail. Both relays get the same. */
static void relay_priority(void)
{
	struct sched_param sp = { .sched_priority = 10 };

	if (opt_fifo && sched_setscheduler(0, SCHED_FIFO, &sp))
		opt_fifo = false;
}

static uint64_t now_real_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t now_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int udp_open(struct sa *a)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), on = 1, sz = 16 << 20;

	sa_set_str(a, "127.0.0.1", 0);
	if (fd < 0 || bind(fd, &a->u.sa, a->len) < 0)
		return -1;
	a->len = sizeof(a->u);
	getsockname(fd, &a->u.sa, &a->len);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz));
	setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on));
	return fd;
}

static uint64_t proc_cpu_ticks(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return 0;
	}
	fclose(f);
	p = strrchr(buf, ')');   /* the command name may hold spaces */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return 0;
	return ut + st;
}

/* ---- our relay, in a child ---------------------------------------- */

static void trunkline_child(struct run *r, int wfd, int rfd)
{
	struct media_prm prm;
	struct media *m;

	media_prm_init(&prm);
	prm.port_min = OUR_PMIN;
	prm.port_max = OUR_PMAX;
	prm.workers = 1;
	prm.rtp_timeout_s = 0;
	log_set_level(LOG_WARN);
	relay_priority();
	if (media_alloc(&m, &prm))
		_exit(2);
	for (unsigned i = 0; i < r->calls; i++) {
		struct media_session *s;
		struct media_remote rm = { 0 };
		struct sa la, lb;
		unsigned idx;
		uint16_t ports[2];

		if (media_session_alloc(&s, m, NULL, NULL) ||
		    media_stream_add(s, AF_INET, AF_INET, &idx))
			_exit(3);
		rm.rtp = r->phone[0];
		media_stream_set_remote(s, idx, MEDIA_A, &rm);
		rm.rtp = r->phone[1];
		media_stream_set_remote(s, idx, MEDIA_B, &rm);
		media_stream_local(s, idx, MEDIA_A, &la, NULL);
		media_stream_local(s, idx, MEDIA_B, &lb, NULL);
		ports[0] = sa_port(&la);
		ports[1] = sa_port(&lb);
		if (write(wfd, ports, sizeof(ports)) != sizeof(ports))
			_exit(4);
	}
	close(wfd);
	/* until the parent closes its end */
	char c;
	while (read(rfd, &c, 1) > 0)
		;
	_exit(0);
}

static int start_trunkline(struct run *r, int *ctl)
{
	int up[2], down[2];

	if (pipe(up) || pipe(down))
		return -1;
	r->pid = fork();
	if (r->pid < 0)
		return -1;
	if (r->pid == 0) {
		close(up[0]);
		close(down[1]);
		close(r->sock[0]);
		close(r->sock[1]);
		trunkline_child(r, up[1], down[0]);
	}
	close(up[1]);
	close(down[0]);
	for (unsigned i = 0; i < r->calls; i++) {
		uint16_t ports[2];
		size_t got = 0;
		while (got < sizeof(ports)) {
			ssize_t n = read(up[0], (char *)ports + got, sizeof(ports) - got);
			if (n <= 0) {
				close(up[0]);
				return -1;
			}
			got += (size_t)n;
		}
		sa_set_str(&r->dst[0][i], "127.0.0.1", ports[0]);
		sa_set_str(&r->dst[1][i], "127.0.0.1", ports[1]);
	}
	close(up[0]);
	*ctl = down[1];
	return 0;
}

/* ---- rtpengine over ng ------------------------------------------- */

static int ng_fd = -1;
static struct sa ng_addr;
static unsigned ng_cookie;

static int ng(const char *body, size_t blen, char *resp, size_t cap)
{
	char msg[2048];
	char cookie[16];
	int n, cl;

	cl = snprintf(cookie, sizeof(cookie), "%x_%u", (unsigned)getpid(), ++ng_cookie);
	if ((size_t)cl + 1 + blen > sizeof(msg))
		return -1;
	memcpy(msg, cookie, (size_t)cl);
	msg[cl] = ' ';
	memcpy(msg + cl + 1, body, blen);
	for (int attempt = 0; attempt < 3; attempt++) {
		struct pollfd p = { .fd = ng_fd, .events = POLLIN };
		if (sendto(ng_fd, msg, (size_t)cl + 1 + blen, 0, &ng_addr.u.sa, ng_addr.len) < 0)
			return -1;
		while (poll(&p, 1, 1000) == 1) {
			n = (int)recv(ng_fd, resp, cap - 1, 0);
			if (n > cl && !memcmp(resp, cookie, (size_t)cl) && resp[cl] == ' ') {
				resp[n] = 0;
				memmove(resp, resp + cl + 1, (size_t)(n - cl));
				return n - cl - 1;
			}
		}
	}
	return -1;
}

/* bencode helpers */
static size_t bstr(char *o, const char *s)
{
	return (size_t)sprintf(o, "%zu:%s", strlen(s), s);
}

static int rtpe_call(struct run *r, unsigned i)
{
	char sdp[512], body[1500], resp[2048], callid[32], *p;
	size_t o;
	unsigned port_b, port_a;

	snprintf(callid, sizeof(callid), "bench-%u-%u", (unsigned)getpid(), i);
	for (int leg = 0; leg < 2; leg++) {
		snprintf(sdp, sizeof(sdp),
			 "v=0\r\no=- %u 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
			 "t=0 0\r\nm=audio %u RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n",
			 i, sa_port(&r->phone[leg]));
		o = (size_t)sprintf(body, "d");
		o += bstr(body + o, "command");
		o += bstr(body + o, leg ? "answer" : "offer");
		o += bstr(body + o, "call-id");
		o += bstr(body + o, callid);
		o += bstr(body + o, "from-tag");
		o += bstr(body + o, "ftag");
		if (leg) {
			o += bstr(body + o, "to-tag");
			o += bstr(body + o, "ttag");
		}
		o += bstr(body + o, "sdp");
		o += bstr(body + o, sdp);
		body[o++] = 'e';
		if (ng(body, o, resp, sizeof(resp)) < 0 || !strstr(resp, "6:result2:ok"))
			return -1;
		p = strstr(resp, "m=audio ");
		if (!p)
			return -1;
		if (leg == 0) {
			port_b = (unsigned)atoi(p + 8);   /* offer's SDP goes to B */
			sa_set_str(&r->dst[1][i], "127.0.0.1", (uint16_t)port_b);
		} else {
			port_a = (unsigned)atoi(p + 8);   /* answer's SDP goes to A */
			sa_set_str(&r->dst[0][i], "127.0.0.1", (uint16_t)port_a);
		}
	}
	return 0;
}

static int start_rtpengine(struct run *r)
{
	char ngopt[64], pmin[32], pmax[32], resp[256];
	uint16_t ngport = (uint16_t)(22300 + getpid() % 500);

	snprintf(ngopt, sizeof(ngopt), "--listen-ng=127.0.0.1:%u", ngport);
	snprintf(pmin, sizeof(pmin), "--port-min=%d", RTPE_PMIN);
	snprintf(pmax, sizeof(pmax), "--port-max=%d", RTPE_PMAX);
	r->pid = fork();
	if (r->pid < 0)
		return -1;
	if (r->pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);
		dup2(devnull, 1);
		dup2(devnull, 2);
		close(r->sock[0]);
		close(r->sock[1]);
		relay_priority();
		execlp("rtpengine", "rtpengine", "--config-file=none", "--foreground",
		       "--log-stderr", "--log-level=2", "--table=-1", "--interface=127.0.0.1",
		       ngopt, pmin, pmax, "--num-threads=1", "--timeout=600", "--tos=184",
		       (char *)NULL);
		_exit(127);
	}
	ng_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	sa_set_str(&ng_addr, "127.0.0.1", ngport);
	/* ready when it answers ping (5 s at most) */
	for (int i = 0; i < 10; i++) {
		const char ping[] = "d7:command4:pinge";
		if (ng(ping, sizeof(ping) - 1, resp, sizeof(resp)) > 0 && strstr(resp, "pong"))
			break;
		if (waitpid(r->pid, NULL, WNOHANG) == r->pid) {
			r->pid = 0;
			return -1;
		}
		if (i == 9)
			return -1;
		usleep(200000);
	}
	for (unsigned i = 0; i < r->calls; i++)
		if (rtpe_call(r, i))
			return -1;
	return 0;
}

/* ---- load --------------------------------------------------------- */

static void *sender(void *arg)
{
	struct run *r = arg;
	struct mmsghdr mm[2][BATCH];
	struct iovec iov[2][BATCH];
	unsigned nb[2] = { 0, 0 }, tick = 0, per_tick = (r->streams + 19) / 20;
	uint16_t *seq = calloc(r->streams, sizeof(*seq));
	uint64_t t = now_mono_ns();
	static uint8_t bufs[2][BATCH][PKT_LEN];

	if (!seq)
		return NULL;
	while (!atomic_load(&r->stop_tx)) {
		unsigned first = (tick % 20) * per_tick;
		for (unsigned j = first; j < first + per_tick && j < r->streams; j++) {
			int side = j < r->calls ? 0 : 1;
			unsigned call = side ? j - r->calls : j;
			uint8_t *p = bufs[side][nb[side]];
			struct sa *d = r->kind == K_DIRECT ? &r->phone[!side] : &r->dst[side][call];
			uint16_t s = seq[j]++;
			uint32_t ts = (uint32_t)s * 160;
			uint64_t stamp = now_real_ns();

			p[0] = 0x80; p[1] = 0;
			p[2] = (uint8_t)(s >> 8); p[3] = (uint8_t)s;
			p[4] = (uint8_t)(ts >> 24); p[5] = (uint8_t)(ts >> 16);
			p[6] = (uint8_t)(ts >> 8); p[7] = (uint8_t)ts;
			p[8] = 0; p[9] = (uint8_t)(j >> 16); p[10] = (uint8_t)(j >> 8); p[11] = (uint8_t)j;
			memcpy(p + 12, &stamp, sizeof(stamp));
			iov[side][nb[side]] = (struct iovec){ p, PKT_LEN };
			mm[side][nb[side]].msg_hdr = (struct msghdr){
				.msg_name = &d->u, .msg_namelen = d->len,
				.msg_iov = &iov[side][nb[side]], .msg_iovlen = 1 };
			if (stamp >= r->w0 && stamp < r->w1)
				atomic_fetch_add_explicit(&r->tx_in_window, 1, memory_order_relaxed);
			if (++nb[side] == BATCH) {
				sendmmsg(r->sock[side], mm[side], BATCH, 0);
				nb[side] = 0;
			}
		}
		for (int side = 0; side < 2; side++) {
			if (nb[side])
				sendmmsg(r->sock[side], mm[side], nb[side], 0);
			nb[side] = 0;
		}
		tick++;
		t += 1000000;   /* 1 ms ticks, 20 ticks a packet period */
		struct timespec ts = { (time_t)(t / 1000000000ull), (long)(t % 1000000000ull) };
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
	free(seq);
	return NULL;
}

struct rxarg {
	struct run *r;
	int side;
};

static void *receiver(void *arg)
{
	struct rxarg *a = arg;
	struct run *r = a->r;
	static _Thread_local uint8_t buf[BATCH][256], ctl[BATCH][64];
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];

	while (!atomic_load(&r->stop_rx)) {
		struct pollfd p = { .fd = r->sock[a->side], .events = POLLIN };
		int n;

		if (poll(&p, 1, 100) != 1)
			continue;
		for (int i = 0; i < BATCH; i++) {
			iov[i] = (struct iovec){ buf[i], sizeof(buf[i]) };
			mm[i].msg_hdr = (struct msghdr){ .msg_iov = &iov[i], .msg_iovlen = 1,
				.msg_control = ctl[i], .msg_controllen = sizeof(ctl[i]) };
		}
		n = recvmmsg(r->sock[a->side], mm, BATCH, MSG_DONTWAIT, NULL);
		for (int i = 0; i < n; i++) {
			struct msghdr *mh = &mm[i].msg_hdr;
			uint64_t stamp, rx = 0;

			if (mm[i].msg_len != PKT_LEN)
				continue;
			for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
				if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
					struct timespec ts;
					memcpy(&ts, CMSG_DATA(c), sizeof(ts));
					rx = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
				}
			}
			memcpy(&stamp, buf[i] + 12, sizeof(stamp));
			if (stamp < r->w0 || stamp >= r->w1 || !rx)
				continue;
			atomic_fetch_add_explicit(&r->rx_in_window, 1, memory_order_relaxed);
			uint64_t us = rx > stamp ? (rx - stamp) / 1000 : 0;
			uint64_t b = us / HIST_US;
			r->hist[a->side][b > HIST_N ? HIST_N : b]++;
		}
	}
	return NULL;
}

static double pct(const struct run *r, double q)
{
	uint64_t total = 0, acc = 0;

	for (int b = 0; b <= HIST_N; b++)
		total += r->hist[0][b] + r->hist[1][b];
	if (!total)
		return 0;
	for (int b = 0; b <= HIST_N; b++) {
		acc += r->hist[0][b] + r->hist[1][b];
		if ((double)acc >= q * (double)total)
			return (b + 0.5) * HIST_US;
	}
	return HIST_N * HIST_US;
}

static void stop_child(pid_t pid, int sig)
{
	int status;

	if (pid <= 0)
		return;
	kill(pid, sig);
	for (int i = 0; i < 50; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return;
		usleep(100000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

static int run_one(struct run *r)
{
	pthread_t tx, rx[2];
	struct rxarg ra[2] = { { r, 0 }, { r, 1 } };
	uint64_t c0 = 0, c1 = 0, t0, t1;
	long hz = sysconf(_SC_CLK_TCK);
	int ctl = -1, err = 0;

	r->calls = r->streams / 2;
	for (int i = 0; i < 2; i++) {
		r->sock[i] = udp_open(&r->phone[i]);
		r->dst[i] = calloc(r->calls, sizeof(struct sa));
		if (r->sock[i] < 0 || !r->dst[i])
			return -1;
	}
	if (r->kind == K_TRUNKLINE)
		err = start_trunkline(r, &ctl);
	else if (r->kind == K_RTPENGINE)
		err = start_rtpengine(r);
	if (err) {
		fprintf(stderr, "%s: could not start or allocate %u calls\n",
			kind_name[r->kind], r->calls);
		goto out;
	}
	r->w0 = now_real_ns() + (uint64_t)opt_warm * 1000000000ull;
	r->w1 = r->w0 + (uint64_t)opt_secs * 1000000000ull;
	pthread_create(&rx[0], NULL, receiver, &ra[0]);
	pthread_create(&rx[1], NULL, receiver, &ra[1]);
	pthread_create(&tx, NULL, sender, r);
	while (now_real_ns() < r->w0)
		usleep(1000);
	c0 = r->pid > 0 ? proc_cpu_ticks(r->pid) : 0;
	t0 = now_mono_ns();
	while (now_real_ns() < r->w1)
		usleep(1000);
	c1 = r->pid > 0 ? proc_cpu_ticks(r->pid) : 0;
	t1 = now_mono_ns();
	usleep(300000);   /* late packets of the window */
	atomic_store(&r->stop_tx, true);
	pthread_join(tx, NULL);
	atomic_store(&r->stop_rx, true);
	pthread_join(rx[0], NULL);
	pthread_join(rx[1], NULL);

	double secs = (double)(t1 - t0) / 1e9;
	uint64_t got = atomic_load(&r->rx_in_window), sent = atomic_load(&r->tx_in_window);
	double cpu_s = (double)(c1 - c0) / (double)hz;
	r->offered = (double)sent / opt_secs;
	r->pps = (double)got / opt_secs;
	r->loss_pct = sent ? 100.0 * (double)(sent - (got < sent ? got : sent)) / (double)sent : 0;
	r->cpu_share = cpu_s / secs;
	r->cpu_us_per_pkt = got ? cpu_s * 1e6 / (double)got : 0;
	r->p50 = pct(r, 0.50);
	r->p90 = pct(r, 0.90);
	r->p99 = pct(r, 0.99);
	r->pmax = pct(r, 1.0);
out:
	if (ctl >= 0)
		close(ctl);
	if (r->kind == K_TRUNKLINE)
		stop_child(r->pid, SIGTERM);
	else if (r->kind == K_RTPENGINE)
		stop_child(r->pid, SIGTERM);
	if (ng_fd >= 0)
		close(ng_fd);
	ng_fd = -1;
	for (int i = 0; i < 2; i++) {
		close(r->sock[i]);
		free(r->dst[i]);
	}
	return err;
}

int main(int argc, char **argv)
{
	unsigned sizes[8] = { 1000, 5000 }, nsizes = 2;
	bool want[3] = { true, true, true };
	struct rlimit rl = { 65536, 65536 };
	int c;

	while ((c = getopt(argc, argv, "n:t:w:k:Nh")) != -1) {
		switch (c) {
		case 'n': {
			char *s = optarg, *tok;
			nsizes = 0;
			while ((tok = strsep(&s, ",")) && nsizes < 8)
				sizes[nsizes++] = (unsigned)atoi(tok) & ~1u;
			break;
		}
		case 't': opt_secs = (unsigned)atoi(optarg); break;
		case 'N': opt_fifo = false; break;
		case 'w': opt_warm = (unsigned)atoi(optarg); break;
		case 'k':
			want[0] = strstr(optarg, "trunkline") != NULL;
			want[1] = strstr(optarg, "rtpengine") != NULL;
			want[2] = strstr(optarg, "direct") != NULL;
			break;
		default:
			fprintf(stderr, "usage: %s [-n 1000,5000] [-t secs] [-w warmup] "
				"[-k trunkline,rtpengine,direct] [-N: relays not SCHED_FIFO]\n", argv[0]);
			return 0;
		}
	}
	if (opt_secs < 1 || opt_secs > 120)
		opt_secs = 10;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		fprintf(stderr, "note: RLIMIT_NOFILE not raised: %s\n", strerror(errno));
	signal(SIGPIPE, SIG_IGN);
	printf("G.711 streams (50 pps, %d-byte packets), %u s measured after %u s warm-up, loopback;"
	       " relays %s\n", PKT_LEN, opt_secs, opt_warm,
	       opt_fifo ? "SCHED_FIFO 10 (both)" : "at normal priority");
	printf("%-10s %7s %10s %10s %7s %8s %9s %12s %8s %8s %8s\n", "relay", "streams",
	       "offered/s", "relayed/s", "loss%", "cpu%", "us/pkt", "pkt/s/core", "p50 us",
	       "p99 us", "max us");
	for (unsigned i = 0; i < nsizes; i++) {
		for (int k = 0; k < 3; k++) {
			static struct run r;
			if (!want[k])
				continue;
			memset(&r, 0, sizeof(r));
			r.kind = (enum kind)k;
			r.streams = sizes[i];
			if (run_one(&r)) {
				printf("%-10s %7u  (did not run)\n", kind_name[k], sizes[i]);
				continue;
			}
			printf("%-10s %7u %10.0f %10.0f %7.2f %8.1f %9.2f %12.0f %8.0f %8.0f %8.0f\n",
			       kind_name[k], r.streams, r.offered, r.pps, r.loss_pct,
			       r.cpu_share * 100, r.cpu_us_per_pkt,
			       r.cpu_us_per_pkt > 0 ? 1e6 / r.cpu_us_per_pkt : 0,
			       r.p50, r.p99, r.pmax);
			if (getenv("BENCH_MEDIA_DEBUG"))
				printf("  p1 %.0f p10 %.0f p90 %.0f us\n", pct(&r, 0.01), pct(&r, 0.10), r.p90);
			fflush(stdout);
		}
	}
	return 0;
}
