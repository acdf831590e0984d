/* SPDX-License-Identifier: GPL-2.0-or-later */
/** @file auth.c  SIP digest authentication (RFC 3261 §22, RFC 7616,
 *               RFC 8760): HA1 and response hashes, stateless nonces and
 *               a replay table of the highest nc used per nonce. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "sip.h"

#define LOG_MOD "auth"

enum {
	NONCE_LIFETIME_DEFAULT = 300,
	NC_ENTRIES_DEFAULT = 65536,
	NC_STRIPES = 64,            /* power of two */
	NC_PROBES = 16,             /* slots looked at per nonce */
	NONCE_MAC_LEN = 16,         /* HMAC-SHA256 truncated to 128 bits */
	NONCE_RAW_LEN = 4 + 4 + NONCE_MAC_LEN,
	NONCE_B64_LEN = NONCE_RAW_LEN / 3 * 4,   /* 32, no padding needed */
	REALM_MAX = 255,
	SECRET_LEN = 32,
	NC_ONCE = 0xffffffffu,      /* stored for a no-qop use: nothing is above it */
};

/* One replay entry: nonce key, highest nc accepted, expiry (clock s).
 * nc == 0 marks a free slot. */
struct nc_slot {
	uint64_t key;
	uint32_t nc;
	uint32_t expires;
};

/* A lock per stripe, padded so that stripes do not share a cache line. */
struct nc_stripe {
	pthread_mutex_t lock;
	char pad[64 - sizeof(pthread_mutex_t) % 64];
};

struct sip_nonce_ctx {
	uint8_t secret[SECRET_LEN];
	uint32_t lifetime;
	sip_nonce_clock_h *clock;
	void *clock_arg;            /* borrowed */
	_Atomic uint32_t ctr;       /* makes every nonce unique */
	uint32_t mask;              /* slots per stripe - 1 */
	unsigned nlocks;            /* stripe locks initialised */
	struct nc_slot *slots;      /* owned: NC_STRIPES * (mask + 1) */
	struct nc_stripe stripe[NC_STRIPES];
};

static const char hexd[] = "0123456789abcdef";
static const char b64url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* ---------------------------------------------------------------- */
/* Algorithms and hashes                                              */
/* ---------------------------------------------------------------- */

int sip_digest_alg_parse(const struct pl *name, enum sip_digest_alg *alg)
{
	if (!pl_isset(name) || pl_caseeq_str(name, "MD5"))
		*alg = SIP_DIGEST_MD5;
	else if (pl_caseeq_str(name, "SHA-256"))
		*alg = SIP_DIGEST_SHA256;
	else
		return -ENOTSUP;
	return 0;
}

const char *sip_digest_alg_name(enum sip_digest_alg alg)
{
	return alg == SIP_DIGEST_SHA256 ? "SHA-256" : "MD5";
}

size_t sip_digest_hexlen(enum sip_digest_alg alg)
{
	return alg == SIP_DIGEST_SHA256 ? 64 : 32;
}

/* H(parts[0] ":" parts[1] ":" ...) as lowercase hex. */
static int hash_hex(enum sip_digest_alg alg, const struct pl *parts, unsigned n,
		    char out[SIP_DIGEST_HEX_MAX + 1])
{
	const EVP_MD *md = alg == SIP_DIGEST_SHA256 ? EVP_sha256() : EVP_md5();
	unsigned char dig[EVP_MAX_MD_SIZE];
	unsigned int dl = 0;
	EVP_MD_CTX *c;
	int ok, err = 0;

	if ((unsigned)alg >= SIP_DIGEST__COUNT)
		return -EINVAL;
	c = EVP_MD_CTX_new();
	if (!c)
		return -ENOMEM;
	ok = EVP_DigestInit_ex(c, md, NULL);
	for (unsigned i = 0; ok && i < n; i++) {
		if (i)
			ok = EVP_DigestUpdate(c, ":", 1);
		if (ok && parts[i].l)
			ok = EVP_DigestUpdate(c, parts[i].p, parts[i].l);
	}
	if (ok)
		ok = EVP_DigestFinal_ex(c, dig, &dl);
	EVP_MD_CTX_free(c);
	/* MD5 is refused in FIPS mode: report it as unsupported. */
	if (!ok || dl * 2 != sip_digest_hexlen(alg)) {
		err = -ENOTSUP;
		goto out;
	}
	for (unsigned i = 0; i < dl; i++) {
		out[2 * i] = hexd[dig[i] >> 4];
		out[2 * i + 1] = hexd[dig[i] & 15];
	}
	out[2 * dl] = '\0';
 out:
	OPENSSL_cleanse(dig, sizeof(dig));
	return err;
}

int sip_digest_ha1(enum sip_digest_alg alg, const struct pl *user, const struct pl *realm,
		   const struct pl *password, char out[SIP_DIGEST_HEX_MAX + 1])
{
	struct pl parts[3];

	if (!pl_isset(user) || !pl_isset(realm) || !pl_isset(password) || !out)
		return -EINVAL;
	parts[0] = *user;
	parts[1] = *realm;
	parts[2] = *password;
	return hash_hex(alg, parts, 3, out);
}

/* Lowercase copy of a hex string of exactly len chars; false if not hex. */
static bool hex_lower(const char *s, size_t slen, size_t len, char *out)
{
	if (slen != len)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
		out[i] = c;
	}
	out[len] = '\0';
	return true;
}

int sip_digest_response(enum sip_digest_alg alg, const char *ha1_hex,
			const struct sip_auth *cred, const struct pl *method,
			char out[SIP_DIGEST_HEX_MAX + 1])
{
	char ha1[SIP_DIGEST_HEX_MAX + 1], ha2[SIP_DIGEST_HEX_MAX + 1];
	struct pl parts[6];
	size_t hl = sip_digest_hexlen(alg);
	int err;

	if ((unsigned)alg >= SIP_DIGEST__COUNT || !ha1_hex || !cred || !out ||
	    !pl_isset(method) || !pl_isset(&cred->nonce) || !pl_isset(&cred->uri))
		return -EINVAL;
	if (!hex_lower(ha1_hex, strlen(ha1_hex), hl, ha1))
		return -EINVAL;

	parts[0] = *method;
	parts[1] = cred->uri;
	err = hash_hex(alg, parts, 2, ha2);
	if (err)
		goto out;

	parts[0] = pl_from(ha1, hl);
	parts[1] = cred->nonce;
	if (pl_isset(&cred->qop)) {
		/* auth-int would hash the body: we never offer it. */
		if (!pl_caseeq_str(&cred->qop, "auth") || !pl_isset(&cred->nc) ||
		    !pl_isset(&cred->cnonce)) {
			err = -EINVAL;
			goto out;
		}
		parts[2] = cred->nc;
		parts[3] = cred->cnonce;
		parts[4] = cred->qop;
		parts[5] = pl_from(ha2, hl);
		err = hash_hex(alg, parts, 6, out);
	}
	else {
		parts[2] = pl_from(ha2, hl);
		err = hash_hex(alg, parts, 3, out);
	}
 out:
	OPENSSL_cleanse(ha1, sizeof(ha1));
	return err;
}

/* ---------------------------------------------------------------- */
/* Nonces                                                             */
/* ---------------------------------------------------------------- */

static uint64_t clock_default(void *arg)
{
	(void)arg;
	return time_ms() / 1000;
}

static uint32_t now_s(const struct sip_nonce_ctx *ctx)
{
	/* Nonces carry 32-bit seconds; differences are taken modulo 2^32. */
	return (uint32_t)ctx->clock(ctx->clock_arg);
}

static void ctx_destroy(void *arg)
{
	struct sip_nonce_ctx *ctx = arg;

	for (unsigned i = 0; i < ctx->nlocks; i++)
		pthread_mutex_destroy(&ctx->stripe[i].lock);
	free(ctx->slots);
	OPENSSL_cleanse(ctx->secret, sizeof(ctx->secret));
}

int sip_nonce_alloc(struct sip_nonce_ctx **ctxp, const struct sip_nonce_prm *prm)
{
	struct sip_nonce_ctx *ctx;
	uint32_t want, per = NC_PROBES;
	int err;

	if (!ctxp)
		return -EINVAL;
	ctx = mem_zalloc(sizeof(*ctx), ctx_destroy);
	if (!ctx)
		return -ENOMEM;
	ctx->lifetime = prm && prm->lifetime ? prm->lifetime : NONCE_LIFETIME_DEFAULT;
	ctx->clock = prm && prm->clock ? prm->clock : clock_default;
	ctx->clock_arg = prm ? prm->clock_arg : NULL;
	want = prm && prm->max_entries ? prm->max_entries : NC_ENTRIES_DEFAULT;
	while (per < want / NC_STRIPES && per < (1u << 24))
		per <<= 1;
	ctx->mask = per - 1;

	err = rand_bytes(ctx->secret, sizeof(ctx->secret));
	if (err)
		goto out;
	atomic_init(&ctx->ctr, rand_u32());
	ctx->slots = calloc((size_t)NC_STRIPES * per, sizeof(*ctx->slots));
	if (!ctx->slots) {
		err = -ENOMEM;
		goto out;
	}
	for (; ctx->nlocks < NC_STRIPES; ctx->nlocks++) {
		err = -pthread_mutex_init(&ctx->stripe[ctx->nlocks].lock, NULL);
		if (err)
			goto out;
	}
 out:
	if (err)
		mem_deref(ctx);
	else
		*ctxp = ctx;
	return err;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* MAC over ts|ctr|alg|realm|source address: a nonce works only where it
 * was handed out. */
static int nonce_mac(const struct sip_nonce_ctx *ctx, const uint8_t tsctr[8],
		     enum sip_digest_alg alg, const struct pl *realm,
		     const struct sa *src, uint8_t mac[NONCE_MAC_LEN])
{
	uint8_t in[8 + 1 + 1 + REALM_MAX + 1 + 16], out[EVP_MAX_MD_SIZE];
	unsigned int ol = 0;
	size_t n = 0;

	if (realm->l > REALM_MAX)
		return -EINVAL;
	memcpy(in, tsctr, 8);
	n = 8;
	in[n++] = (uint8_t)alg;
	in[n++] = (uint8_t)realm->l;
	memcpy(in + n, realm->p, realm->l);
	n += realm->l;
	if (src && sa_af(src) == AF_INET) {
		in[n++] = 4;
		memcpy(in + n, &src->u.in.sin_addr, 4);
		n += 4;
	}
	else if (src && sa_af(src) == AF_INET6) {
		in[n++] = 16;
		memcpy(in + n, &src->u.in6.sin6_addr, 16);
		n += 16;
	}
	else {
		in[n++] = 0;
	}
	if (!HMAC(EVP_sha256(), ctx->secret, SECRET_LEN, in, n, out, &ol) ||
	    ol < NONCE_MAC_LEN)
		return -ENOMEM;
	memcpy(mac, out, NONCE_MAC_LEN);
	return 0;
}

static void b64_enc(const uint8_t *in, size_t n, char *out)
{
	for (size_t i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		*out++ = b64url[v >> 18];
		*out++ = b64url[(v >> 12) & 63];
		*out++ = b64url[(v >> 6) & 63];
		*out++ = b64url[v & 63];
	}
	*out = '\0';
}

static int b64_val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

static bool b64_dec(const struct pl *s, uint8_t *out, size_t n)
{
	if (s->l != n / 3 * 4)
		return false;
	for (size_t i = 0, j = 0; i < s->l; i += 4, j += 3) {
		uint32_t v = 0;

		for (size_t k = 0; k < 4; k++) {
			int d = b64_val(s->p[i + k]);

			if (d < 0)
				return false;
			v = v << 6 | (uint32_t)d;
		}
		out[j] = (uint8_t)(v >> 16);
		out[j + 1] = (uint8_t)(v >> 8);
		out[j + 2] = (uint8_t)v;
	}
	return true;
}

/* Check that we issued this nonce for this realm, algorithm and source. */
static int nonce_open(const struct sip_nonce_ctx *ctx, const struct pl *nonce,
		      enum sip_digest_alg alg, const struct pl *realm,
		      const struct sa *src, uint32_t *ts, uint32_t *ctr)
{
	uint8_t raw[NONCE_RAW_LEN], mac[NONCE_MAC_LEN];
	int err;

	if (!b64_dec(nonce, raw, sizeof(raw)))
		return -EINVAL;
	err = nonce_mac(ctx, raw, alg, realm, src, mac);
	if (err)
		return err;
	if (CRYPTO_memcmp(mac, raw + 8, NONCE_MAC_LEN))
		return -EINVAL;
	*ts = get32(raw);
	*ctr = get32(raw + 4);
	return 0;
}

static bool realm_ok(const struct pl *realm)
{
	if (!pl_isset(realm) || realm->l > REALM_MAX)
		return false;
	for (size_t i = 0; i < realm->l; i++) {
		unsigned char c = (unsigned char)realm->p[i];

		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
			return false;
	}
	return true;
}

int sip_digest_challenge(struct sip_nonce_ctx *ctx, const struct pl *realm,
			 enum sip_digest_alg alg, bool stale, const struct sa *src,
			 char *buf, size_t size)
{
	uint8_t raw[NONCE_RAW_LEN];
	char nonce[NONCE_B64_LEN + 1];
	int n, err;

	if (!ctx || !buf || (unsigned)alg >= SIP_DIGEST__COUNT || !realm_ok(realm))
		return -EINVAL;
	put32(raw, now_s(ctx));
	put32(raw + 4, atomic_fetch_add_explicit(&ctx->ctr, 1, memory_order_relaxed));
	err = nonce_mac(ctx, raw, alg, realm, src, raw + 8);
	if (err)
		return err;
	b64_enc(raw, sizeof(raw), nonce);

	n = snprintf(buf, size, "Digest realm=\"%.*s\", nonce=\"%s\", algorithm=%s, qop=\"auth\"%s",
		     PL_FMT(realm), nonce, sip_digest_alg_name(alg), stale ? ", stale=true" : "");
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= size)
		return -ENOSPC;
	return n;
}

int sip_digest_challenge_hdrs(struct sip_nonce_ctx *ctx, const char *hname,
			      const struct pl *realm, unsigned offer, bool stale,
			      const struct sa *src, char *buf, size_t size)
{
	/* RFC 8760 §2.4: the preferred algorithm first. */
	static const enum sip_digest_alg order[] = { SIP_DIGEST_SHA256, SIP_DIGEST_MD5 };
	size_t len = 0;

	if (!hname || !buf || !size || !(offer & SIP_DIGEST_OFFER_ALL))
		return -EINVAL;
	buf[0] = '\0';
	for (unsigned i = 0; i < ARRAY_SIZE(order); i++) {
		int n;

		if (!(offer & (1u << order[i])))
			continue;
		n = snprintf(buf + len, size - len, "%s: ", hname);
		if (n < 0 || (size_t)n >= size - len)
			return -ENOSPC;
		len += (size_t)n;
		n = sip_digest_challenge(ctx, realm, order[i], stale, src, buf + len, size - len);
		if (n < 0)
			return n;
		len += (size_t)n;
		if (size - len < 3)
			return -ENOSPC;
		memcpy(buf + len, "\r\n", 3);
		len += 2;
	}
	return (int)len;
}

/* ---------------------------------------------------------------- */
/* Replay table                                                       */
/* ---------------------------------------------------------------- */

/* Accept nc for the nonce key when it is above the highest one used. */
static int nc_use(struct sip_nonce_ctx *ctx, uint64_t key, uint32_t nc,
		  uint32_t expires, uint32_t now)
{
	uint64_t h = hash_keyed(&key, sizeof(key));
	struct nc_stripe *st = &ctx->stripe[h & (NC_STRIPES - 1)];
	struct nc_slot *base = ctx->slots + (size_t)(h & (NC_STRIPES - 1)) * (ctx->mask + 1);
	struct nc_slot *free_slot = NULL;
	uint32_t idx = (uint32_t)(h >> 32);
	int err = 0;

	pthread_mutex_lock(&st->lock);
	for (unsigned i = 0; i < NC_PROBES && i <= ctx->mask; i++) {
		struct nc_slot *s = &base[(idx + i) & ctx->mask];
		bool live = s->nc && (int32_t)(s->expires - now) >= 0;

		if (live && s->key == key) {
			if (nc <= s->nc) {
				err = -EALREADY;
				goto out;
			}
			s->nc = nc;
			goto out;
		}
		if (!live && !free_slot)
			free_slot = s;
	}
	if (!free_slot) {
		/* Evicting a live entry would let its nonce be replayed. */
		err = -EBUSY;
		goto out;
	}
	free_slot->key = key;
	free_slot->nc = nc;
	free_slot->expires = expires;
 out:
	pthread_mutex_unlock(&st->lock);
	return err;
}

/* ---------------------------------------------------------------- */
/* Verification                                                       */
/* ---------------------------------------------------------------- */

/* The digest uri names the Request-URI: same bytes, or equal by §19.1.4. */
static bool uri_match(const struct pl *duri, const struct pl *ruri)
{
	struct sip_uri a, b;

	if (!pl_cmp(duri, ruri))
		return true;
	if (sip_uri_decode(&a, duri) || sip_uri_decode(&b, ruri))
		return false;
	return sip_uri_equal(&a, &b);
}

static int nc_parse(const struct pl *s, uint32_t *nc)
{
	uint32_t v = 0;

	if (s->l != 8)
		return -EINVAL;
	for (size_t i = 0; i < 8; i++) {
		char c = s->p[i];
		uint32_t d;

		if (c >= '0' && c <= '9')
			d = (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (uint32_t)(c - 'A' + 10);
		else
			return -EINVAL;
		v = v << 4 | d;
	}
	if (v == 0 || v == NC_ONCE)
		return -EINVAL;
	*nc = v;
	return 0;
}

static int verify(struct sip_nonce_ctx *ctx, const struct sip_auth *cred,
		  const struct sip_digest_req *req, const char *ha1_hex, const char **why)
{
	char want[SIP_DIGEST_HEX_MAX + 1], got[SIP_DIGEST_HEX_MAX + 1];
	enum sip_digest_alg alg;
	uint32_t ts, ctr, nc = NC_ONCE, now;
	size_t hl;
	int err;

	*why = "malformed";
	if (!pl_caseeq_str(&cred->scheme, "Digest") || cred->userhash)
		return -EINVAL;
	if (sip_digest_alg_parse(&cred->algorithm, &alg)) {
		*why = "algorithm";
		return -EINVAL;
	}
	hl = sip_digest_hexlen(alg);
	if (!pl_isset(&cred->username) || !pl_isset(&cred->nonce) ||
	    !pl_isset(&cred->uri) || !pl_isset(&cred->response) ||
	    !hex_lower(cred->response.p, cred->response.l, hl, got))
		return -EINVAL;
	if (!pl_isset(&cred->realm) || pl_cmp(&cred->realm, &req->realm)) {
		*why = "realm";
		return -EINVAL;
	}
	if (!req->any_uri && !uri_match(&cred->uri, &req->ruri)) {
		*why = "uri";
		return -EINVAL;
	}
	if (pl_isset(&cred->qop)) {
		if (!pl_caseeq_str(&cred->qop, "auth") || !pl_isset(&cred->cnonce) ||
		    !cred->cnonce.l || nc_parse(&cred->nc, &nc)) {
			*why = "qop";
			return -EINVAL;
		}
	}
	else if (alg != SIP_DIGEST_MD5) {
		*why = "no-qop";   /* RFC 7616 keeps RFC 2069 mode for MD5 only */
		return -EINVAL;
	}

	err = nonce_open(ctx, &cred->nonce, alg, &req->realm, req->src, &ts, &ctr);
	if (err) {
		*why = "nonce";
		return err;
	}
	now = now_s(ctx);
	if ((int32_t)(ts - now) > 1) {
		*why = "nonce-future";
		return -EINVAL;
	}

	err = sip_digest_response(alg, ha1_hex, cred, &req->method, want);
	if (err) {
		*why = "ha1";
		return err;
	}
	if (CRYPTO_memcmp(want, got, hl)) {
		*why = "response";
		return -EACCES;
	}
	/* Only a right answer earns stale=true: a wrong password must not
	 * loop the client through fresh challenges without asking. */
	if (now - ts > ctx->lifetime) {
		*why = "stale";
		return -ESTALE;
	}
	err = nc_use(ctx, (uint64_t)ts << 32 | ctr, nc, ts + ctx->lifetime, now);
	if (err)
		*why = err == -EALREADY ? "replay" : "table-full";
	return err;
}

int sip_digest_verify(struct sip_nonce_ctx *ctx, const struct sip_auth *cred,
		      const struct sip_digest_req *req, const char *ha1_hex)
{
	const char *why = "args";
	int err = -EINVAL;

	if (ctx && cred && req && ha1_hex)
		err = verify(ctx, cred, req, ha1_hex, &why);
	if (err)
		LDEBUG("digest refused reason=%s err=%d user=\"%.*s\"", why, err,
		       cred && cred->username.p ? (int)cred->username.l : 0,
		       cred && cred->username.p ? cred->username.p : "");
	return err;
}
