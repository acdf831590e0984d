/* SPDX-License-Identifier: GPL-2.0-or-later */
/** @file test_auth.c  Unit tests of SIP digest authentication
 *  (src/sip/auth.c): RFC test vectors, challenge/verify round trips,
 *  stale and replayed nonces, and the replay table under threads. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "sip.h"

static const struct pl realm = PL("trunkline.example");
static const struct pl ruri = PL("sip:+15551234567@trunkline.example");
static const struct pl invite = PL("INVITE");

/* A clock the tests move by hand. */
static uint64_t fake_now = 1000000;
static uint64_t fake_clock(void *arg)
{
	(void)arg;
	return fake_now;
}

static struct sip_nonce_ctx *ctx_new(uint32_t max_entries)
{
	struct sip_nonce_prm prm = {
		.lifetime = 300, .max_entries = max_entries, .clock = fake_clock,
	};
	struct sip_nonce_ctx *ctx = NULL;

	assert_int_equal(sip_nonce_alloc(&ctx, &prm), 0);
	assert_non_null(ctx);
	return ctx;
}

/* A client's side: the Authorization value it would send for a challenge. */
struct client {
	char ha1[SIP_DIGEST_HEX_MAX + 1];
	char hdr[1024];
	struct sip_auth cred;
};

static void ha1_of(struct client *c, enum sip_digest_alg alg, const char *user,
		   const char *pass)
{
	struct pl u = pl_cstr(user), p = pl_cstr(pass);

	assert_int_equal(sip_digest_ha1(alg, &u, &realm, &p, c->ha1), 0);
}

/* Answer challenge with the password's HA1: fills c->hdr and c->cred. */
static void answer(struct client *c, const char *challenge, const char *user,
		   const char *pass, const char *uri, const char *nc, const char *qop)
{
	struct sip_auth ch;
	struct pl v = pl_cstr(challenge), uu = pl_cstr(user), pp = pl_cstr(pass);
	char resp[SIP_DIGEST_HEX_MAX + 1];
	enum sip_digest_alg alg;
	int n;

	assert_int_equal(sip_auth_decode(&ch, &v), 0);
	assert_int_equal(sip_digest_alg_parse(&ch.algorithm, &alg), 0);
	assert_int_equal(sip_digest_ha1(alg, &uu, &ch.realm, &pp, c->ha1), 0);

	memset(&c->cred, 0, sizeof(c->cred));
	c->cred.scheme = PL("Digest");
	c->cred.nonce = ch.nonce;
	c->cred.uri = pl_cstr(uri);
	if (qop) {
		c->cred.qop = pl_cstr(qop);
		c->cred.nc = pl_cstr(nc);
		c->cred.cnonce = PL("0a4f113b");
	}
	assert_int_equal(sip_digest_response(alg, c->ha1, &c->cred, &invite, resp), 0);

	n = snprintf(c->hdr, sizeof(c->hdr),
		     "Digest username=\"%s\", realm=\"%.*s\", nonce=\"%.*s\", uri=\"%s\", "
		     "response=\"%s\", algorithm=%s",
		     user, PL_FMT(&ch.realm), PL_FMT(&ch.nonce), uri, resp,
		     sip_digest_alg_name(alg));
	if (qop)
		n += snprintf(c->hdr + n, sizeof(c->hdr) - (size_t)n,
			      ", cnonce=\"0a4f113b\", qop=%s, nc=%s", qop, nc);
	assert_true(n > 0 && (size_t)n < sizeof(c->hdr));
	v = pl_cstr(c->hdr);
	assert_int_equal(sip_auth_decode(&c->cred, &v), 0);
}

static int check(struct sip_nonce_ctx *ctx, const struct client *c, const struct sa *src,
		 const char *ha1)
{
	struct sip_digest_req req = {
		.method = invite, .ruri = ruri, .realm = realm, .src = src,
	};

	return sip_digest_verify(ctx, &c->cred, &req, ha1 ? ha1 : c->ha1);
}

static void challenge(struct sip_nonce_ctx *ctx, enum sip_digest_alg alg, char *buf, size_t n)
{
	assert_true(sip_digest_challenge(ctx, &realm, alg, false, NULL, buf, n) > 0);
}

/* ---------------------------------------------------------------- */

/* RFC 2617 §3.5 (MD5, qop=auth) and RFC 7616 §3.9.1 (SHA-256 and MD5). */
static void test_rfc_vectors(void **state)
{
	static const struct {
		enum sip_digest_alg alg;
		const char *realm, *pass, *nonce, *cnonce, *ha1, *resp;
	} v[] = {
		{ SIP_DIGEST_MD5, "testrealm@host.com", "Circle Of Life",
		  "dcd98b7102dd2f0e8b11d0f600bfb0c093", "0a4f113b",
		  "939e7578ed9e3c518a452acee763bce9", "6629fae49393a05397450978507c4ef1" },
		{ SIP_DIGEST_SHA256, "http-auth@example.org", "Circle of Life",
		  "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
		  "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
		  "7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b4794232",
		  "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1" },
		{ SIP_DIGEST_MD5, "http-auth@example.org", "Circle of Life",
		  "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
		  "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
		  "3d78807defe7de2157e2b0b6573a855f", "8ca523f5e9506fed4657c9700eebdbec" },
	};
	const struct pl user = PL("Mufasa"), get = PL("GET");

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		char ha1[SIP_DIGEST_HEX_MAX + 1], resp[SIP_DIGEST_HEX_MAX + 1];
		struct pl r = pl_cstr(v[i].realm), p = pl_cstr(v[i].pass);
		struct sip_auth cred = {
			.nonce = pl_cstr(v[i].nonce), .uri = PL("/dir/index.html"),
			.qop = PL("auth"), .nc = PL("00000001"), .cnonce = pl_cstr(v[i].cnonce),
		};

		assert_int_equal(sip_digest_ha1(v[i].alg, &user, &r, &p, ha1), 0);
		assert_string_equal(ha1, v[i].ha1);
		assert_int_equal(strlen(ha1), sip_digest_hexlen(v[i].alg));
		assert_int_equal(sip_digest_response(v[i].alg, ha1, &cred, &get, resp), 0);
		assert_string_equal(resp, v[i].resp);
	}
}

static void test_alg_names(void **state)
{
	enum sip_digest_alg alg = SIP_DIGEST__COUNT;
	struct pl absent = PL_INIT, md5 = PL("md5"), sha = PL("SHA-256"),
		  sess = PL("MD5-sess"), s512 = PL("SHA-512-256");

	(void)state;
	assert_int_equal(sip_digest_alg_parse(&absent, &alg), 0);
	assert_int_equal(alg, SIP_DIGEST_MD5);
	assert_int_equal(sip_digest_alg_parse(&sha, &alg), 0);
	assert_int_equal(alg, SIP_DIGEST_SHA256);
	assert_int_equal(sip_digest_alg_parse(&md5, &alg), 0);
	assert_int_equal(alg, SIP_DIGEST_MD5);
	assert_int_equal(sip_digest_alg_parse(&sess, &alg), -ENOTSUP);
	assert_int_equal(sip_digest_alg_parse(&s512, &alg), -ENOTSUP);
	assert_string_equal(sip_digest_alg_name(SIP_DIGEST_SHA256), "SHA-256");
	assert_string_equal(sip_digest_alg_name(SIP_DIGEST_MD5), "MD5");
}

static void test_challenge_format(void **state)
{
	struct sip_nonce_ctx *ctx = ctx_new(0);
	char buf[512], small[40];
	struct sip_auth a;
	struct pl v, bad = PL("evil\"realm");
	int n;

	(void)state;
	n = sip_digest_challenge(ctx, &realm, SIP_DIGEST_SHA256, true, NULL, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(buf));
	assert_non_null(strstr(buf, "Digest realm=\"trunkline.example\", nonce=\""));
	assert_non_null(strstr(buf, "algorithm=SHA-256, qop=\"auth\", stale=true"));
	v = pl_cstr(buf);
	assert_int_equal(sip_auth_decode(&a, &v), 0);
	assert_true(pl_eq_str(&a.realm, "trunkline.example"));
	assert_true(pl_eq_str(&a.stale, "true"));
	assert_int_equal(a.nonce.l, 32);

	assert_int_equal(sip_digest_challenge(ctx, &realm, SIP_DIGEST_MD5, false, NULL,
					      small, sizeof(small)), -ENOSPC);
	assert_int_equal(sip_digest_challenge(ctx, &bad, SIP_DIGEST_MD5, false, NULL,
					      buf, sizeof(buf)), -EINVAL);

	/* Two headers, SHA-256 first (RFC 8760 §2.4), ready for extra_hdrs. */
	n = sip_digest_challenge_hdrs(ctx, "Proxy-Authenticate", &realm, SIP_DIGEST_OFFER_ALL,
				      false, NULL, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(buf));
	assert_int_equal(strncmp(buf, "Proxy-Authenticate: Digest realm=", 33), 0);
	assert_true(strstr(buf, "algorithm=SHA-256") < strstr(buf, "algorithm=MD5"));
	assert_non_null(strstr(buf, "\"auth\"\r\nProxy-Authenticate: Digest "));
	assert_int_equal(strcmp(buf + n - 2, "\r\n"), 0);
	assert_null(strstr(buf, "stale"));

	n = sip_digest_challenge_hdrs(ctx, "WWW-Authenticate", &realm, SIP_DIGEST_OFFER_MD5,
				      false, NULL, buf, sizeof(buf));
	assert_true(n > 0);
	assert_null(strstr(buf, "SHA-256"));
	assert_int_equal(sip_digest_challenge_hdrs(ctx, "WWW-Authenticate", &realm, 0, false,
						   NULL, buf, sizeof(buf)), -EINVAL);
	mem_deref(ctx);
}

/* Challenge, client answer, verify; then the usual ways to get it wrong. */
static void test_round_trip(void **state)
{
	static const enum sip_digest_alg algs[] = { SIP_DIGEST_MD5, SIP_DIGEST_SHA256 };
	struct sip_nonce_ctx *ctx = ctx_new(0);
	struct client c, w;
	char ch[512];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(algs); i++) {
		challenge(ctx, algs[i], ch, sizeof(ch));
		answer(&c, ch, "alice", "s3cret", ruri.p, "00000001", "auth");
		assert_int_equal(check(ctx, &c, NULL, NULL), 0);
		/* The same nc again is a replay. */
		assert_int_equal(check(ctx, &c, NULL, NULL), -EALREADY);
		/* A higher nc on the same nonce is fine, a lower one is not. */
		answer(&c, ch, "alice", "s3cret", ruri.p, "00000003", "auth");
		assert_int_equal(check(ctx, &c, NULL, NULL), 0);
		answer(&c, ch, "alice", "s3cret", ruri.p, "00000002", "auth");
		assert_int_equal(check(ctx, &c, NULL, NULL), -EALREADY);

		/* Wrong password: -EACCES, and the nonce is not used up. */
		challenge(ctx, algs[i], ch, sizeof(ch));
		answer(&w, ch, "alice", "wrong", ruri.p, "00000001", "auth");
		ha1_of(&c, algs[i], "alice", "s3cret");
		assert_int_equal(check(ctx, &w, NULL, c.ha1), -EACCES);
		answer(&c, ch, "alice", "s3cret", ruri.p, "00000001", "auth");
		assert_int_equal(check(ctx, &c, NULL, NULL), 0);
	}
	mem_deref(ctx);
}

static void test_mismatch(void **state)
{
	struct sip_nonce_ctx *ctx = ctx_new(0);
	struct sip_digest_req req = { .method = invite, .ruri = ruri, .realm = realm };
	struct client c;
	char ch[512], sha[SIP_DIGEST_HEX_MAX + 1];
	struct pl other = PL("other.example"), pass = PL("s3cret"), user = PL("alice");
	struct sip_auth t;

	(void)state;
	challenge(ctx, SIP_DIGEST_MD5, ch, sizeof(ch));
	answer(&c, ch, "alice", "s3cret", ruri.p, "00000001", "auth");

	/* Realm: the credential names another realm than ours. */
	req.realm = other;
	assert_int_equal(sip_digest_verify(ctx, &c.cred, &req, c.ha1), -EINVAL);
	req.realm = realm;

	/* Digest uri does not name the Request-URI. */
	t = c.cred;
	t.uri = PL("sip:+15550000000@trunkline.example");
	assert_int_equal(sip_digest_verify(ctx, &t, &req, c.ha1), -EINVAL);
	/* ... but an equivalent form does (RFC 3261 §19.1.4: host case). */
	t.uri = PL("sip:+15551234567@TRUNKLINE.example");
	assert_int_equal(sip_digest_verify(ctx, &t, &req, c.ha1), -EACCES);
	/* any_uri skips the check: the response then decides. */
	t.uri = PL("sip:192.0.2.1:5060");
	req.any_uri = true;
	assert_int_equal(sip_digest_verify(ctx, &t, &req, c.ha1), -EACCES);
	req.any_uri = false;
	{
		struct client s;
		char ch2[512];

		challenge(ctx, SIP_DIGEST_MD5, ch2, sizeof(ch2));
		answer(&s, ch2, "alice", "s3cret", "sip:192.0.2.1:5060", "00000001", "auth");
		assert_int_equal(sip_digest_verify(ctx, &s.cred, &req, s.ha1), -EINVAL);
		req.any_uri = true;
		assert_int_equal(sip_digest_verify(ctx, &s.cred, &req, s.ha1), 0);
		req.any_uri = false;
	}

	/* Algorithm: an MD5 nonce answered as SHA-256 (and the reverse) is
	 * not ours for that algorithm. */
	assert_int_equal(sip_digest_ha1(SIP_DIGEST_SHA256, &user, &realm, &pass, sha), 0);
	t = c.cred;
	t.algorithm = PL("SHA-256");
	t.response = PL("753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
	assert_int_equal(sip_digest_verify(ctx, &t, &req, sha), -EINVAL);
	t.algorithm = PL("MD5-sess");
	assert_int_equal(sip_digest_verify(ctx, &t, &req, c.ha1), -EINVAL);
	/* An HA1 of the wrong length for the algorithm. */
	assert_int_equal(sip_digest_verify(ctx, &c.cred, &req, sha), -EINVAL);

	/* qop other than auth, missing cnonce, bad nc. */
	t = c.cred;
	t.qop = PL("auth-int");
	assert_int_equal(sip_digest_verify(ctx, &t, &req, c.ha1), -EINVAL);
	t = c.cred;
	t.cnonce = (struct pl)PL_INIT;
	assert_int_equal(sip_digest_verify(ctx, &t, &req, c.ha1), -EINVAL);
	t = c.cred;
	t.nc = PL("1");
	assert_int_equal(sip_digest_verify(ctx, &t, &req, c.ha1), -EINVAL);
	t.nc = PL("00000000");
	assert_int_equal(sip_digest_verify(ctx, &t, &req, c.ha1), -EINVAL);
	/* Not Digest; userhash. */
	t = c.cred;
	t.scheme = PL("Basic");
	assert_int_equal(sip_digest_verify(ctx, &t, &req, c.ha1), -EINVAL);
	t = c.cred;
	t.userhash = true;
	assert_int_equal(sip_digest_verify(ctx, &t, &req, c.ha1), -EINVAL);

	/* After all that, the right credential still passes once. */
	assert_int_equal(sip_digest_verify(ctx, &c.cred, &req, c.ha1), 0);
	assert_int_equal(sip_digest_verify(ctx, &c.cred, &req, c.ha1), -EALREADY);
	mem_deref(ctx);
}

/* A nonce we did not issue, or issued elsewhere, is refused. */
static void test_tampered_nonce(void **state)
{
	struct sip_nonce_ctx *ctx = ctx_new(0), *other = ctx_new(0);
	struct client c;
	char ch[512], *p;
	struct sa a, b;

	(void)state;
	challenge(ctx, SIP_DIGEST_SHA256, ch, sizeof(ch));
	p = strstr(ch, "nonce=\"") + 7;
	p[5] = p[5] == 'A' ? 'B' : 'A';     /* change the timestamp */
	answer(&c, ch, "alice", "s3cret", ruri.p, "00000001", "auth");
	assert_int_equal(check(ctx, &c, NULL, NULL), -EINVAL);

	challenge(ctx, SIP_DIGEST_SHA256, ch, sizeof(ch));
	p = strstr(ch, "nonce=\"") + 7;
	p[31] = p[31] == 'A' ? 'B' : 'A';   /* change the MAC */
	answer(&c, ch, "alice", "s3cret", ruri.p, "00000001", "auth");
	assert_int_equal(check(ctx, &c, NULL, NULL), -EINVAL);

	challenge(ctx, SIP_DIGEST_SHA256, ch, sizeof(ch));
	p = strstr(ch, "nonce=\"") + 7;
	memmove(p + 4, p + 8, strlen(p + 8) + 1);   /* shorter */
	answer(&c, ch, "alice", "s3cret", ruri.p, "00000001", "auth");
	assert_int_equal(check(ctx, &c, NULL, NULL), -EINVAL);

	/* Another context's secret (e.g. before a restart). */
	challenge(other, SIP_DIGEST_SHA256, ch, sizeof(ch));
	answer(&c, ch, "alice", "s3cret", ruri.p, "00000001", "auth");
	assert_int_equal(check(ctx, &c, NULL, NULL), -EINVAL);
	assert_int_equal(check(other, &c, NULL, NULL), 0);

	/* Bound to the source address: another IP (not port) is refused. */
	assert_int_equal(sa_set_str(&a, "192.0.2.1", 5060), 0);
	assert_int_equal(sa_set_str(&b, "192.0.2.2", 5060), 0);
	assert_true(sip_digest_challenge(ctx, &realm, SIP_DIGEST_MD5, false, &a, ch,
					 sizeof(ch)) > 0);
	answer(&c, ch, "alice", "s3cret", ruri.p, "00000001", "auth");
	assert_int_equal(check(ctx, &c, &b, NULL), -EINVAL);
	assert_int_equal(check(ctx, &c, NULL, NULL), -EINVAL);
	sa_set_port(&a, 5062);
	assert_int_equal(check(ctx, &c, &a, NULL), 0);
	mem_deref(other);
	mem_deref(ctx);
}

static void test_stale(void **state)
{
	struct sip_nonce_ctx *ctx = ctx_new(0);
	struct client c, w;
	char ch[512];

	(void)state;
	fake_now = 2000000;
	challenge(ctx, SIP_DIGEST_SHA256, ch, sizeof(ch));
	answer(&c, ch, "alice", "s3cret", ruri.p, "00000001", "auth");
	answer(&w, ch, "alice", "wrong", ruri.p, "00000001", "auth");
	fake_now += 300;                       /* still good at the limit */
	assert_int_equal(check(ctx, &c, NULL, NULL), 0);
	fake_now += 1;
	answer(&c, ch, "alice", "s3cret", ruri.p, "00000002", "auth");
	assert_int_equal(check(ctx, &c, NULL, NULL), -ESTALE);
	/* A wrong password never earns stale=true. */
	assert_int_equal(check(ctx, &w, NULL, c.ha1), -EACCES);

	/* A nonce from the future (clock moved back) is not accepted. */
	fake_now += 100;
	challenge(ctx, SIP_DIGEST_SHA256, ch, sizeof(ch));
	answer(&c, ch, "alice", "s3cret", ruri.p, "00000001", "auth");
	fake_now -= 100;
	assert_int_equal(check(ctx, &c, NULL, NULL), -EINVAL);
	fake_now = 1000000;
	mem_deref(ctx);
}

/* RFC 2069 style (no qop): MD5 only, and each nonce once. */
static void test_no_qop(void **state)
{
	struct sip_nonce_ctx *ctx = ctx_new(0);
	struct client c;
	char ch[512];

	(void)state;
	challenge(ctx, SIP_DIGEST_MD5, ch, sizeof(ch));
	answer(&c, ch, "alice", "s3cret", ruri.p, NULL, NULL);
	assert_int_equal(check(ctx, &c, NULL, NULL), 0);
	assert_int_equal(check(ctx, &c, NULL, NULL), -EALREADY);
	answer(&c, ch, "alice", "s3cret", ruri.p, "00000005", "auth");
	assert_int_equal(check(ctx, &c, NULL, NULL), -EALREADY);

	challenge(ctx, SIP_DIGEST_SHA256, ch, sizeof(ch));
	answer(&c, ch, "alice", "s3cret", ruri.p, NULL, NULL);
	assert_int_equal(check(ctx, &c, NULL, NULL), -EINVAL);
	mem_deref(ctx);
}

/* The replay table is bounded: full means -EBUSY, expiry frees it. */
static void test_table_full(void **state)
{
	struct sip_nonce_ctx *ctx = ctx_new(1);    /* 64 stripes x 16 slots */
	struct client c;
	char ch[512];
	int err = 0;
	unsigned ok = 0;

	(void)state;
	fake_now = 3000000;
	for (unsigned i = 0; i < 64 * 16 + 1 && !err; i++) {
		challenge(ctx, SIP_DIGEST_MD5, ch, sizeof(ch));
		answer(&c, ch, "alice", "s3cret", ruri.p, "00000001", "auth");
		err = check(ctx, &c, NULL, NULL);
		if (!err)
			ok++;
	}
	assert_int_equal(err, -EBUSY);
	assert_true(ok >= 16);
	/* Once the nonces in it expire, their slots are reused. */
	fake_now += 301;
	challenge(ctx, SIP_DIGEST_MD5, ch, sizeof(ch));
	answer(&c, ch, "alice", "s3cret", ruri.p, "00000001", "auth");
	assert_int_equal(check(ctx, &c, NULL, NULL), 0);
	fake_now = 1000000;
	mem_deref(ctx);
}

/* ---------------------------------------------------------------- */
/* Threads: every (nonce, nc) is accepted at most once overall.        */
/* ---------------------------------------------------------------- */

enum { T_THREADS = 4, T_NONCES = 8, T_NC = 64 };

/* Credentials are made beforehand: cmocka's asserts stay on the main
 * thread, the workers only verify. */
struct shared {
	struct sip_nonce_ctx *ctx;
	struct client cl[T_NONCES][T_NC + 1];
	struct client own[T_THREADS][T_NC + 1];
	atomic_uint accepted[T_NONCES][T_NC + 1];
	atomic_uint errors;
};

struct worker {
	struct shared *sh;
	unsigned id;
	unsigned own_ok;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	struct sip_digest_req req = { .method = invite, .ruri = ruri, .realm = realm };

	for (unsigned nc = 1; nc <= T_NC; nc++) {
		/* Shared nonces: all threads race on the same nc values. */
		for (unsigned k = 0; k < T_NONCES; k++) {
			unsigned n = (k + w->id) % T_NONCES;
			const struct client *c = &sh->cl[n][nc];
			int err = sip_digest_verify(sh->ctx, &c->cred, &req, c->ha1);

			if (!err)
				atomic_fetch_add(&sh->accepted[n][nc], 1);
			else if (err != -EALREADY)
				atomic_fetch_add(&sh->errors, 1);
		}
		/* A nonce of its own: every nc must pass. */
		if (!sip_digest_verify(sh->ctx, &sh->own[w->id][nc].cred, &req,
				       sh->own[w->id][nc].ha1))
			w->own_ok++;
	}
	return NULL;
}

static void test_threads(void **state)
{
	struct shared *sh = calloc(1, sizeof(*sh));
	struct worker w[T_THREADS];
	pthread_t th[T_THREADS];
	char ch[512], ncs[9];

	(void)state;
	assert_non_null(sh);
	sh->ctx = ctx_new(0);
	for (unsigned k = 0; k < T_NONCES + T_THREADS; k++) {
		challenge(sh->ctx, k & 1 ? SIP_DIGEST_MD5 : SIP_DIGEST_SHA256, ch, sizeof(ch));
		for (unsigned nc = 1; nc <= T_NC; nc++) {
			struct client *c = k < T_NONCES ? &sh->cl[k][nc]
							: &sh->own[k - T_NONCES][nc];

			snprintf(ncs, sizeof(ncs), "%08x", nc);
			answer(c, ch, "alice", "s3cret", ruri.p, ncs, "auth");
		}
	}
	for (unsigned i = 0; i < T_THREADS; i++) {
		w[i] = (struct worker){ .sh = sh, .id = i };
		assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
	}
	for (unsigned i = 0; i < T_THREADS; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);

	assert_int_equal(atomic_load(&sh->errors), 0);
	for (unsigned k = 0; k < T_NONCES; k++) {
		unsigned total = 0;

		for (unsigned nc = 1; nc <= T_NC; nc++) {
			assert_true(atomic_load(&sh->accepted[k][nc]) <= 1);
			total += atomic_load(&sh->accepted[k][nc]);
		}
		assert_true(total >= 1);
	}
	for (unsigned i = 0; i < T_THREADS; i++)
		assert_int_equal(w[i].own_ok, T_NC);
	mem_deref(sh->ctx);
	free(sh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc_vectors),
		cmocka_unit_test(test_alg_names),
		cmocka_unit_test(test_challenge_format),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_mismatch),
		cmocka_unit_test(test_tampered_nonce),
		cmocka_unit_test(test_stale),
		cmocka_unit_test(test_no_qop),
		cmocka_unit_test(test_table_full),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests_name("sip_auth", tests, NULL, NULL);
}
