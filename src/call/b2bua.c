/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file b2bua.c  Calls: the table of legs, a new INVITE (who sent it,
 *                routing, limits), in-dialog dispatch, CANCEL, the end of
 *                a call and the drain at stop.
 *
 * A call and everything it starts (B-leg transactions, timers) live on the
 * worker whose loop received its INVITE; uas.c hops messages read by
 * another worker to that loop. So call state needs no lock: only the leg
 * table (striped) and the list of calls (uas->lock) are shared.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "call_int.h"

#define LOG_MOD "call"

static const char default_realm[] = "trunkline";

int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------------ */
/* The leg table                                                        */
/* ------------------------------------------------------------------ */

int ctab_alloc(struct ctab **tp)
{
	struct ctab *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	for (unsigned i = 0; i < CTAB_STRIPES; i++)
		pthread_mutex_init(&t->lock[i], NULL);
	*tp = t;
	return 0;
}

void ctab_free(struct ctab *t)
{
	if (!t)
		return;
	for (unsigned i = 0; i < CTAB_STRIPES; i++)
		pthread_mutex_destroy(&t->lock[i]);
	free(t);
}

static unsigned bucket_of(const char *p, size_t l)
{
	return (unsigned)(hash_keyed(p, l) & (CTAB_BUCKETS - 1));
}

void ctab_link(struct ctab *t, struct leg *leg)
{
	unsigned b = bucket_of(leg->callid, strlen(leg->callid));
	pthread_mutex_t *m = &t->lock[b % CTAB_STRIPES];

	pthread_mutex_lock(m);
	if (!leg->linked) {
		leg->hnext = t->bucket[b];
		t->bucket[b] = leg;
		leg->linked = true;
	}
	pthread_mutex_unlock(m);
}

void ctab_unlink(struct ctab *t, struct leg *leg)
{
	unsigned b = bucket_of(leg->callid, strlen(leg->callid));
	pthread_mutex_t *m = &t->lock[b % CTAB_STRIPES];

	pthread_mutex_lock(m);
	if (leg->linked) {
		for (struct leg **pp = &t->bucket[b]; *pp; pp = &(*pp)->hnext) {
			if (*pp == leg) {
				*pp = leg->hnext;
				break;
			}
		}
		leg->linked = false;
		leg->hnext = NULL;
	}
	pthread_mutex_unlock(m);
}

static struct call *ctab_find(struct ctab *t, const struct pl *callid, const struct pl *tag,
			      bool local, struct leg **legp)
{
	struct call *c = NULL;
	unsigned b;
	pthread_mutex_t *m;

	if (!pl_isset(callid) || !pl_isset(tag) || !tag->l)
		return NULL;
	b = bucket_of(callid->p, callid->l);
	m = &t->lock[b % CTAB_STRIPES];
	pthread_mutex_lock(m);
	for (struct leg *l = t->bucket[b]; l; l = l->hnext) {
		const char *want = local ? l->ltag : l->rtag;

		if (!local && !l->is_a)
			continue;
		if (pl_eq_str(callid, l->callid) && pl_eq_str(tag, want)) {
			c = mem_ref(l->call);
			if (legp)
				*legp = l;
			break;
		}
	}
	pthread_mutex_unlock(m);
	return c;
}

struct call *ctab_find_local(struct ctab *t, const struct pl *callid, const struct pl *ltag,
			     struct leg **legp)
{
	return ctab_find(t, callid, ltag, true, legp);
}

struct call *ctab_find_a(struct ctab *t, const struct pl *callid, const struct pl *rtag)
{
	return ctab_find(t, callid, rtag, false, NULL);
}

/* ------------------------------------------------------------------ */
/* Life of a call                                                       */
/* ------------------------------------------------------------------ */

static void call_destroy(void *data)
{
	struct call *c = data;

	/* Timers were cancelled by call_end on the owner loop, and a call
	 * that never ended never started one. A call refused before it
	 * started gives back its limits here. */
	limits_release(c);
	media_call_free(c);
	route_snap_release(c->snap);
	mem_deref(c->ast);
	mem_deref(c->bct);
	if (c->rtx) {
		mem_deref(c->rtx->st);
		free(c->rtx);
	}
	mem_deref(c->a.conn);
	leg_free(&c->a);
	leg_free(&c->b);
	free(c->att);
	free(c->strs);
}

static void release_counters(struct call *c)
{
	limits_release(c);
}

static void calls_list_add(struct uas *u, struct call *c)
{
	pthread_mutex_lock(&u->lock);
	c->next = u->calls;
	if (u->calls)
		u->calls->prev = c;
	u->calls = c;
	c->listed = true;
	pthread_mutex_unlock(&u->lock);
}

static void calls_list_del(struct uas *u, struct call *c)
{
	pthread_mutex_lock(&u->lock);
	if (c->listed) {
		if (c->prev)
			c->prev->next = c->next;
		else
			u->calls = c->next;
		if (c->next)
			c->next->prev = c->prev;
		c->next = c->prev = NULL;
		c->listed = false;
	}
	pthread_cond_broadcast(&u->cond);
	pthread_mutex_unlock(&u->lock);
}

void call_end(struct call *c, enum store_side side, const char *cause, uint16_t a_code)
{
	struct uas *u = c->u;

	if (c->state == CS_ENDED)
		return;
	mem_ref(c);
	c->end_ms = wall_ms();
	c->side = side;
	c->cause = cause;
	if (c->state == CS_SETUP) {
		if (c->ast && a_code >= 300) {
			relay_reply_a(c, a_code, NULL, NULL, NULL, NULL);
			c->a_code = a_code;
		}
		/* A final from B may still come (a 2xx racing the CANCEL):
		 * the INVITE handler then ACKs and BYEs it. */
		if (c->bct)
			txn_cli_cancel(c->bct, NULL);
	} else if (c->state == CS_ANSWERED) {
		char reason[96];

		snprintf(reason, sizeof(reason), "Reason: SIP;cause=200;text=\"%s\"", cause);
		if (side != STORE_SIDE_CALLER)
			relay_send_bye(c, &c->a, reason);
		if (side != STORE_SIDE_CALLEE)
			relay_send_bye(c, &c->b, reason);
	}
	relay_rtx_stop(c);
	if (c->state == CS_ANSWERED)
		relay_release_b(c);
	tmr_cancel(&c->t_phase);
	tmr_cancel(&c->t_se);
	c->state = CS_ENDED;
	release_counters(c);
	cdr_submit(c);
	media_call_free(c);       /* after the CDR took its figures */
	ctab_unlink(u->tab, &c->a);
	ctab_unlink(u->tab, &c->b);
	LINFO("call ended side=%d cause=\"%s\" code=%u", side, c->cause, c->a_code);
	if (c->listed) {
		atomic_fetch_sub(&u->calls_active, 1);
		calls_list_del(u, c);
		mem_deref(c);             /* the list's and table's reference */
	}
	mem_deref(c);
}

/* Our side of a leg: address for Via/Contact of the destination's
 * family; the Contact into contact (size n). */
static int leg_local(struct uas *u, struct leg *leg, char *contact, size_t n)
{
	char host[SA_FMT_MAX];
	int w, err;

	err = tp_local(u->tp, leg->proto, sa_af(&leg->dst), &leg->local);
	if (err)
		return err;
	sa_fmt(&leg->local, host, sizeof(host));
	w = snprintf(contact, n, "<sip:tl@%s%s>", host,
		     leg->proto == TP_TCP ? ";transport=tcp" : "");
	return w < 0 || (size_t)w >= n ? -ENOSPC : 0;
}

/* ------------------------------------------------------------------ */
/* A new INVITE                                                         */
/* ------------------------------------------------------------------ */

static void reply_st(struct txn_srv *st, uint16_t scode, const char *reason, const char *extra)
{
	int err = txn_srv_reply_simple(st, scode, reason, extra);

	if (err && err != -EPROTO)
		LWARN("reply failed status=%u err=%d", scode, err);
	else
		LINFO("refused status=%u reason=\"%s\"", scode, reason ? reason : "-");
}

static void refuse(struct txn_srv *st, uint16_t scode, const char *reason, uint32_t retry)
{
	char hdr[256];
	int n = snprintf(hdr, sizeof(hdr), "Reason: SIP;cause=%u;text=\"%s\"\r\n", scode,
			 reason ? reason : sip_reason_phrase(scode));

	if (retry && n > 0 && (size_t)n < sizeof(hdr))
		snprintf(hdr + n, sizeof(hdr) - (size_t)n, "Retry-After: %u\r\n", retry);
	reply_st(st, scode, reason, hdr);
}

/* A refusal of a call already identified: its cause (a static text) goes
 * to the CDR written for it. */
static void refuse_call(struct call *c, struct txn_srv *st, uint16_t scode, const char *reason,
			uint32_t retry)
{
	c->cause = reason;
	refuse(st, scode, reason, retry);
}

/* Header lines that cross from A to B on the INVITE. Via, Contact,
 * Record-Route, Call-ID and tags never do (topology hiding). */
static const enum sip_hdrid pass_invite[] = {
	SIP_HDR_P_ASSERTED_IDENTITY, SIP_HDR_PRIVACY, SIP_HDR_ALLOW,
	SIP_HDR_SESSION_EXPIRES, SIP_HDR_MIN_SE, SIP_HDR_CONTENT_DISPOSITION,
};

static bool valid_id(const struct pl *x)
{
	return pl_isset(x) && x->l && x->l < LEG_ID_MAX;
}

static void copy_user(const struct pl *user, char *dst, size_t n, const char *dflt)
{
	if (!pl_isset(user) || !user->l || pl_strcpy(user, dst, n))
		snprintf(dst, n, "%s", dflt);
}

/* The A leg from the INVITE (we are the UAS of its dialog, §12.1.1). */
static int a_leg_init(struct call *c, const struct sip_msg *msg, const struct tp_pkt *pkt)
{
	struct leg *a = &c->a;
	struct sip_contact ct;
	const struct sip_hdr *h;
	char ltag[SIP_TAG_LEN + 1], luri[LEG_URI_MAX], ruri[LEG_URI_MAX], contact[LEG_URI_MAX];
	struct pl v[LEG_NSTR];
	int err;

	a->is_a = true;
	a->call = c;
	if (!valid_id(&msg->callid) || !valid_id(&msg->from.tag))
		return -EINVAL;
	err = sip_tag_new(ltag);
	if (err)
		return err;
	if ((err = leg_name_addr(&msg->to, false, luri, sizeof(luri))) ||
	    (err = leg_name_addr(&msg->from, true, ruri, sizeof(ruri))))
		return err;
	h = sip_msg_hdr(msg, SIP_HDR_CONTACT);
	if (!h || sip_contact_decode(&ct, &h->val) || ct.star ||
	    !pl_isset(&ct.addr.auri) || ct.addr.auri.l >= LEG_URI_MAX)
		return -EBADMSG;
	a->rcseq = msg->cseq.num;
	a->lcseq = 0;
	a->proto = pkt->proto;
	/* Requests to the caller go where its INVITE came from (it may sit
	 * behind NAT): over its connection for TCP. */
	a->dst = pkt->src;
	a->conn = mem_ref(pkt->conn);
	err = leg_local(c->u, a, contact, sizeof(contact));
	if (err)
		return err;
	v[LS_CALLID] = msg->callid;
	v[LS_LTAG] = pl_cstr(ltag);
	v[LS_RTAG] = msg->from.tag;
	v[LS_LURI] = pl_cstr(luri);
	v[LS_RURI] = pl_cstr(ruri);
	v[LS_TARGET] = ct.addr.auri;
	v[LS_CONTACT] = pl_cstr(contact);
	return leg_set(a, v);
}

/* Numbers and names of the caller (strings), and the SDP and header
 * lines every B INVITE of this call carries, into one block (c->strs). */
static int call_copy_invite(struct call *c, const struct sip_msg *msg, const char *caller,
			    const char *dialled, const char *e164, const char *dname)
{
	enum { S_HDRS, S_CALLER, S_DIALLED, S_E164, S_DNAME, S_CTYPE, S_BODY, S_N };
	size_t off[S_N];
	struct sip_mb mb;
	char *b;

	if (msg->body.l && (!pl_isset(&msg->ctype) || msg->ctype.l >= 64))
		return -EBADMSG;
	sip_mb_init(&mb);
	off[S_HDRS] = 0;
	leg_copy_hdrs(&mb, msg, pass_invite, ARRAY_SIZE(pass_invite));
	if (sip_msg_has_token(msg, SIP_HDR_SUPPORTED, &PL("timer")))
		sip_mb_puts(&mb, "Supported: timer\r\n");
	if (mb.len > CALL_HDRS_MAX)
		mb.err = -E2BIG;
	sip_mb_put(&mb, "", 1);
	off[S_CALLER] = mb.len;
	sip_mb_put(&mb, caller, strlen(caller) + 1);
	off[S_DIALLED] = mb.len;
	sip_mb_put(&mb, dialled, strlen(dialled) + 1);
	off[S_E164] = mb.len;
	sip_mb_put(&mb, e164, strlen(e164) + 1);
	off[S_DNAME] = mb.len;
	sip_mb_put(&mb, dname, strlen(dname) + 1);
	off[S_CTYPE] = mb.len;
	if (msg->body.l)
		sip_mb_putpl(&mb, &msg->ctype);
	sip_mb_put(&mb, "", 1);
	off[S_BODY] = mb.len;
	if (msg->body.l)
		sip_mb_putpl(&mb, &msg->body);
	if (mb.err) {
		int err = mb.err;
		sip_mb_free(&mb);
		return err;
	}
	/* The builder's buffer, trimmed to the strings, is the block. */
	b = realloc(mb.buf, mb.len);
	if (!b)
		b = mb.buf;
	c->strs = b;
	c->hdrs = b + off[S_HDRS];
	c->caller = b + off[S_CALLER];
	c->dialled = b + off[S_DIALLED];
	c->e164 = b + off[S_E164];
	c->a_from_dname = b + off[S_DNAME];
	c->ctype = b + off[S_CTYPE];
	c->body = b + off[S_BODY];
	c->body_len = msg->body.l;
	return 0;
}

/*
 * The attempts of a call are collected here, their strings in mb, then
 * moved into one block sized to them: the array, then the strings
 * (attempts_done). The Request-URI and To of an attempt are built from
 * them when it is tried (b_leg_setup): ~30 bytes per gateway, not 768.
 */
struct att_build {
	struct attempt att[ROUTE_MAX_ATTEMPTS];
	size_t off[ROUTE_MAX_ATTEMPTS][2];    /* user, host: offsets in mb */
	unsigned n;
	struct sip_mb mb;
};

/* A new attempt towards user@uri (tcp: the gateway wants TCP), or NULL
 * when the table is full. */
static struct attempt *attempt_add(struct att_build *b, const char *user, const struct sip_uri *uri,
				   bool tcp)
{
	struct attempt *at;
	enum tp_proto proto = TP_UDP;
	char ruri[LEG_URI_MAX];
	const char *lb = uri->host_v6 ? "[" : "", *rb = uri->host_v6 ? "]" : "";
	struct sa dst;
	size_t h0;

	if (b->n >= ROUTE_MAX_ATTEMPTS)
		return NULL;
	at = &b->att[b->n];
	memset(at, 0, sizeof(*at));
	/* A numeric host: the address is read again from host when tried. */
	at->resolved = !leg_uri_dst(uri, &dst, &proto);
	if (tcp && at->resolved)
		proto = TP_TCP;
	at->proto = proto;
	/* Checked here (length, host), built again when tried. */
	if (leg_uri_build(ruri, sizeof(ruri), user, uri, proto))
		at->resolved = false;
	b->off[b->n][0] = b->mb.len;
	sip_mb_puts(&b->mb, user);
	sip_mb_put(&b->mb, "", 1);
	b->off[b->n][1] = h0 = b->mb.len;
	sip_mb_printf(&b->mb, "%s%.*s%s", lb, PL_FMT(&uri->host), rb);
	at->hostlen = (uint16_t)(b->mb.len - h0 < UINT16_MAX ? b->mb.len - h0 : 0);
	if (uri->port)
		sip_mb_printf(&b->mb, ":%u", uri->port);
	sip_mb_put(&b->mb, "", 1);
	b->n++;
	return at;
}

/* The collected attempts into c->att (one block). 0 or -ENOMEM. */
static int attempts_done(struct call *c, struct att_build *b)
{
	size_t asz = (b->n ? b->n : 1) * sizeof(struct attempt);
	struct attempt *att;
	char *strs;
	int err = b->mb.err;

	att = err ? NULL : calloc(1, asz + b->mb.len);
	if (!att) {
		sip_mb_free(&b->mb);
		return err ? err : -ENOMEM;
	}
	strs = (char *)att + asz;
	if (b->mb.len)
		memcpy(strs, b->mb.buf, b->mb.len);
	for (unsigned i = 0; i < b->n; i++) {
		att[i] = b->att[i];
		att[i].user = strs + b->off[i][0];
		att[i].host = strs + b->off[i][1];
	}
	c->att = att;
	c->natt = b->n;
	sip_mb_free(&b->mb);
	return 0;
}

/* Termination: the decision's attempts, in order. */
static int attempts_from_decision(struct call *c, const struct route_decision *d)
{
	struct att_build b;

	b.n = 0;
	sip_mb_init(&b.mb);
	for (uint32_t i = 0; i < d->nattempts; i++) {
		const struct route_attempt *ra = &d->attempt[i];
		struct attempt *at;
		struct sip_uri uri;

		memset(&uri, 0, sizeof(uri));
		uri.host = pl_cstr(ra->gw->host);
		uri.host_v6 = strchr(ra->gw->host, ':') != NULL;
		uri.port = ra->gw->port;
		at = attempt_add(&b, ra->number, &uri, ra->gw->transport == ROUTE_TP_TCP);
		if (!at)
			break;
		at->carrier_id = ra->carrier_id;
		at->gw_id = ra->gw->id;
		at->rate = ra->rate;
		at->fee = ra->fee;
		at->inc_first = ra->inc_first;
		at->inc_next = ra->inc_next;
		if (ra->gw->transport == ROUTE_TP_TLS)
			at->resolved = false;    /* no TLS transport yet */
	}
	return attempts_done(c, &b);
}

static void attempt_add_uri(struct att_build *b, const char *uri_s, const char *number)
{
	struct sip_uri uri;
	char user[CALL_NUM_MAX];

	if (b->n >= ROUTE_MAX_ATTEMPTS || sip_uri_decode(&uri, &(struct pl){ uri_s, strlen(uri_s) }))
		return;
	/* A URI with a user names the destination; else the number does. */
	copy_user(&uri.user, user, sizeof(user), number);
	attempt_add(b, user, &uri, false);
}

/* Origination: the number's targets, a trunk's target giving its URIs. */
static int attempts_from_did(struct call *c, const struct route_did *did)
{
	struct att_build b;

	b.n = 0;
	sip_mb_init(&b.mb);
	for (uint32_t i = 0; i < did->ntargets; i++) {
		const struct route_did_target *t = &did->target[i];
		struct route_trunk tr;

		if (t->uri) {
			attempt_add_uri(&b, t->uri, did->e164);
			continue;
		}
		if (route_trunk_get(c->snap, t->trunk_id, &tr))
			continue;
		if (!c->trunk_id)
			c->trunk_id = tr.id;
		for (uint32_t k = 0; k < tr.nuris; k++)
			attempt_add_uri(&b, tr.uri[k].uri, did->e164);
	}
	return attempts_done(c, &b);
}

/* Digest authentication for a source no trunk's networks hold. Returns
 * the trunk's id (> 0) or 0 after answering (407, 403). */
static uint32_t authenticate(struct uas *u, struct txn_srv *st, const struct sip_msg *msg,
			     const struct tp_pkt *pkt, struct route_snap *snap)
{
	const char *realm_s = u->prm.realm ? u->prm.realm : default_realm;
	struct pl realm = pl_cstr(realm_s);
	const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_PROXY_AUTHORIZATION);
	struct route_trunk tr;
	struct sip_auth cred;
	enum sip_digest_alg alg;
	const char *ha1 = NULL;
	bool stale = false;
	char hdrs[1024];
	int err;

	/* Without a trunk that has credentials nobody could answer a
	 * challenge: the source is simply unknown (never an open relay). */
	if (!u->prm.nonces || !route_snap_cred_trunks(snap)) {
		uas_refuse_unknown(u, st, msg);
		return 0;
	}
	if (h && !sip_auth_decode(&cred, &h->val) && pl_caseeq_str(&cred.scheme, "Digest")) {
		if (route_trunk_by_user(snap, &cred.username, &tr)) {
			refuse(st, 403, "Unknown User", 0);
			return 0;
		}
		if (sip_digest_alg_parse(&cred.algorithm, &alg) ||
		    !(ha1 = digest_trunk_ha1(&tr, alg))) {
			err = -EINVAL;
		} else {
			struct sip_digest_req rq = {
				/* The digest's uri, not the Request-URI: some UAs
				 * (SIPp among them) sign another form of it; nc
				 * and the nonce still stop replays. */
				.method = msg->method, .ruri = cred.uri,
				.realm = tr.realm[0] ? pl_cstr(tr.realm) : realm, .src = &pkt->src,
			};
			err = sip_digest_verify(u->prm.nonces, &cred, &rq, ha1);
		}
		switch (err) {
		case 0:
			LINFO("authenticated trunk=%u user=%s", tr.id, tr.username);
			return tr.id;
		case -EACCES:
		case -EALREADY:
			refuse(st, 403, "Wrong Credentials", 0);
			return 0;
		case -EBUSY:
			refuse(st, 503, "Authentication Busy", 5);
			return 0;
		case -ESTALE:
			stale = true;
			break;
		default:
			break;
		}
	}
	/* MD5, and SHA-256 when some trunk can check it (digest.c) */
	err = digest_challenge(u, snap, &realm, stale, &pkt->src, hdrs, sizeof(hdrs));
	if (err < 0) {
		refuse(st, 500, "Challenge Failed", 0);
		return 0;
	}
	reply_st(st, 407, NULL, hdrs);
	return 0;
}

static struct call *call_alloc(struct uas *u, struct route_snap *snap)
{
	struct call *c = mem_zalloc(sizeof(*c), call_destroy);

	if (!c)
		return NULL;
	c->u = u;
	c->id = atomic_fetch_add(&u->next_id, 1) + 1;
	c->loop = loop_current();
	c->snap = snap;
	c->setup_ms = wall_ms();
	c->a.call = c;
	c->b.call = c;
	leg_init(&c->a);
	leg_init(&c->b);
	tmr_init(&c->t_phase);
	tmr_init(&c->t_se);
	return c;
}

void call_new_invite(struct uas *u, struct txn_srv *st, const struct sip_msg *msg,
		     const struct tp_pkt *pkt)
{
	struct route_snap *snap;
	struct route_src src = { 0 };
	struct route_decision *d = NULL;
	struct call *c = NULL;
	struct pl user = msg->uri.user;
	struct route_state rs;
	uint32_t trunk_id = 0, customer_id = 0;
	char caller[CALL_NUM_MAX], dialled[CALL_NUM_MAX], e164[CALL_NUM_MAX] = "";
	char dname[CALL_NUM_MAX] = "";
	uint64_t t0 = time_us();
	uint16_t scode;
	bool started = false;
	int err;

	/* §17.2.1: 100 Trying at once, so the client stops retransmitting. */
	txn_srv_reply_simple(st, 100, NULL, NULL);

	if (!valid_id(&msg->callid) || !valid_id(&msg->from.tag)) {
		refuse(st, 400, "Call-ID or From tag missing or too long", 0);
		return;
	}
	snap = route_snap_acquire();
	if (!snap) {
		refuse(st, 503, "No Routing Data", 30);
		return;
	}
	switch (route_source_lookup(snap, &pkt->src, &src)) {
	case ROUTE_SRC_TRUNK:
		trunk_id = src.id;
		customer_id = src.customer_id;
		break;
	case ROUTE_SRC_CARRIER:
		break;
	default:
		trunk_id = authenticate(u, st, msg, pkt, snap);
		if (!trunk_id)
			goto out;
		{
			struct route_trunk tr;
			if (route_trunk_get(snap, trunk_id, &tr))
				goto out;
			customer_id = tr.customer_id;
			src.kind = ROUTE_SRC_TRUNK;
		}
		break;
	}

	c = call_alloc(u, snap);
	if (!c) {
		refuse(st, 500, "Out Of Memory", 0);
		goto out;
	}
	snap = NULL;      /* the call holds it now */
	c->caller = c->dialled = c->e164 = c->a_from_dname = c->hdrs = c->ctype = "";
	copy_user(&msg->from.uri.user, caller, sizeof(caller), "anonymous");
	copy_user(&user, dialled, sizeof(dialled), "");
	if (pl_isset(&msg->from.dname))
		pl_strcpy(&msg->from.dname, dname, sizeof(dname));
	c->maxfwd = msg->maxfwd > 0 ? msg->maxfwd - 1 : 69;

	if (src.kind == ROUTE_SRC_CARRIER) {
		const struct route_did *did;

		c->dir = STORE_DIR_IN;
		c->carrier_in = src.id;
		did = route_did_lookup(c->snap, &user);
		if (!did) {
			refuse_call(c, st, 404, "Unknown Number", 0);
			goto out;
		}
		c->customer_id = did->customer_id;
		snprintf(e164, sizeof(e164), "%s", did->e164);
		if (limits_take_orig(c, st))
			goto out;
		err = attempts_from_did(c, did);
		if (err || !c->natt) {
			refuse_call(c, st, err ? 500 : 480, err ? "Out Of Memory" : "No Delivery Target", 0);
			goto out;
		}
	} else {
		c->dir = STORE_DIR_OUT;
		c->trunk_id = trunk_id;
		c->customer_id = customer_id;
		d = malloc(sizeof(*d));
		if (!d) {
			refuse_call(c, st, 500, "Out Of Memory", 0);
			goto out;
		}
		if (limits_take_term(c, st))
			goto out;
		/* the customer's channel and CPS slot are taken: route_decide
		 * reads only the carriers' counters */
		if (u->prm.live) {
			rs = u->prm.live->state;
			rs.customer = NULL;
			rs.ncustomer = 0;
		}
		err = route_decide(c->snap, u->prm.live ? &rs : NULL, customer_id,
				   &user, (int64_t)time(NULL), d);
		if (err) {
			refuse_call(c, st, 500, "Routing Failed", 0);
			goto out;
		}
		snprintf(e164, sizeof(e164), "%s", d->e164);
		if (d->status) {
			LINFO("not routed customer=%u dialled=%s status=%u reason=\"%s\"",
			      customer_id, dialled, d->status, d->reason);
			refuse_call(c, st, d->status, d->reason, d->retry_after);
			goto out;
		}
		c->has_price = d->has_tariff;
		c->price_rate = d->price_rate;
		c->price_fee = d->price_fee;
		c->price_inc_first = d->price_inc_first;
		c->price_inc_next = d->price_inc_next;
		err = attempts_from_decision(c, d);
		if (err) {
			refuse_call(c, st, 500, "Out Of Memory", 0);
			goto out;
		}
	}

	err = a_leg_init(c, msg, pkt);
	if (!err)
		err = call_copy_invite(c, msg, caller, dialled, e164, dname);
	if (err) {
		refuse_call(c, st, err == -EBADMSG ? 400 : 500,
		       err == -EBADMSG ? "Bad Contact or Content-Type" : "Call Setup Failed", 0);
		release_counters(c);
		goto out;
	}
	c->ast = mem_ref(st);
	c->state = CS_SETUP;
	LINFO("call start dir=%s customer=%u trunk=%u carrier_in=%u caller=%s dialled=%s "
	      "e164=%s attempts=%u", c->dir == STORE_DIR_IN ? "in" : "out", c->customer_id,
	      c->trunk_id, c->carrier_in, c->caller, c->dialled, c->e164, c->natt);

	/* Listed and linked: the table and the list share one reference. */
	mem_ref(c);
	ctab_link(u->tab, &c->a);
	calls_list_add(u, c);
	started = true;           /* from here call_end writes its CDR */
	atomic_fetch_add(&u->calls_active, 1);
	atomic_fetch_add(&u->calls_started, 1);
	if (relay_attempt_next(c))
		call_end(c, STORE_SIDE_SYSTEM, "no route reachable", 503);
	else
		hist_add(&u->hist[UAS_HIST_SETUP], time_us() - t0);
out:
	/* Refused before it started. Once the caller is known (a trunk or a
	 * carrier), the refusal has a CDR like any call, which feeds the
	 * statistics; before that (unknown source, bad request) only the
	 * counters by code see it. A digest challenge is not a refusal: the
	 * client asks again. */
	scode = started ? 0 : txn_srv_scode(st);
	if (scode >= 300 && scode != 401 && scode != 407) {
		if (c)
			cdr_refused(c, &msg->callid, caller, dialled, e164, scode);
		else
			call_stats_refused(u, src.kind != ROUTE_SRC_CARRIER, scode);
	}
	free(d);
	route_snap_release(snap);
	mem_deref(c);
}

/* ------------------------------------------------------------------ */
/* Existing calls                                                       */
/* ------------------------------------------------------------------ */

void call_cancel(struct call *c)
{
	if (c->state != CS_SETUP || c->cancelled)
		return;
	c->cancelled = true;
	LINFO("cancelled by caller");
	call_end(c, STORE_SIDE_CALLER, "cancelled", 487);
}

void call_dispatch(struct call *c, struct leg *leg, struct txn_srv *st, const struct sip_msg *msg)
{
	if (msg->meth == SIP_ACK) {
		if (c->rtx && c->rtx->leg == leg && msg->cseq.num == c->rtx->cseq)
			relay_rtx_stop(c);
		return;
	}
	if (!st)
		return;
	if (c->state == CS_ENDED) {
		txn_srv_reply_simple(st, 481, NULL, NULL);
		return;
	}
	/* §12.2.2: a lower CSeq than the last one is out of order. */
	if (leg->rcseq && msg->cseq.num <= leg->rcseq) {
		txn_srv_reply_simple(st, 500, "CSeq Out Of Order", "Retry-After: 1\r\n");
		return;
	}
	leg->rcseq = msg->cseq.num;

	if (msg->meth == SIP_BYE) {
		if (c->state != CS_ANSWERED) {
			/* An early dialog's BYE (§15): the callee gives up. */
			txn_srv_reply_simple(st, 200, NULL, NULL);
			if (!leg->is_a)
				call_end(c, STORE_SIDE_CALLEE, "callee hangup before answer", 480);
			return;
		}
		txn_srv_reply_simple(st, 200, NULL, NULL);
		call_end(c, leg->is_a ? STORE_SIDE_CALLER : STORE_SIDE_CALLEE,
			 leg->is_a ? "caller hangup" : "callee hangup", 0);
		return;
	}
	if (msg->meth == SIP_INVITE && c->state != CS_ANSWERED) {
		txn_srv_reply_simple(st, 491, NULL, "Retry-After: 2\r\n");
		return;
	}
	relay_in_dialog(c, leg, st, msg);
}

/* ------------------------------------------------------------------ */
/* Drain                                                                */
/* ------------------------------------------------------------------ */

void call_drain_worker(struct uas *u)
{
	struct loop *loop = loop_current();
	struct call *mine[64];
	unsigned n;

	/* In rounds: call_end takes uas->lock itself. */
	do {
		n = 0;
		pthread_mutex_lock(&u->lock);
		for (struct call *c = u->calls; c && n < ARRAY_SIZE(mine); c = c->next) {
			if (c->loop == loop)
				mine[n++] = mem_ref(c);
		}
		pthread_mutex_unlock(&u->lock);
		for (unsigned i = 0; i < n; i++) {
			log_ctx_set("call_id=%s", mine[i]->a.callid);
			call_end(mine[i], STORE_SIDE_SYSTEM, "shutdown", 503);
			log_ctx_clear();
			mem_deref(mine[i]);
		}
	} while (n);
}
