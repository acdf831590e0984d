/* SPDX-License-Identifier: GPL-2.0-or-later */
/** @file sdp.c  SDP (RFC 8866) parser and byte-preserving writer. */
#include <errno.h>
#include <string.h>
#include "sdp.h"

#define LOG_MOD "sdp"

/* ------------------------------------------------------------------ */
/* Small helpers                                                         */
/* ------------------------------------------------------------------ */

static bool is_digits(const struct pl *x, size_t maxlen)
{
	if (!x->l || x->l > maxlen)
		return false;
	for (size_t i = 0; i < x->l; i++)
		if (x->p[i] < '0' || x->p[i] > '9')
			return false;
	return true;
}

/* A port: 1-5 digits, <= 65535. -1 when not one. */
static int port_of(const struct pl *x)
{
	uint32_t v;

	if (!is_digits(x, 5) || pl_u32(x, &v) || v > 65535)
		return -1;
	return (int)v;
}

/*
 * Split x into fields separated by runs of spaces (RFC 8866 says one SP;
 * senders that pad with more, or leave a trailing blank, are tolerated).
 * When more than max fields exist, the last field takes the rest of the
 * line (so m= formats and a=crypto session parameters stay whole).
 * Returns the number of fields.
 */
static unsigned split(const struct pl *x, struct pl *f, unsigned max)
{
	const char *p = x->p, *end = x->p + x->l;
	unsigned n = 0;

	while (n < max) {
		while (p < end && *p == ' ')
			p++;
		if (p == end)
			break;
		const char *q = p;
		if (n == max - 1) {
			q = end;
			while (q > p && q[-1] == ' ')
				q--;
		} else {
			while (q < end && *q != ' ')
				q++;
		}
		f[n++] = pl_from(p, (size_t)(q - p));
		p = q;
	}
	return n;
}

/* "name[:value]" of an a= line. */
static void attr_split(const struct pl *val, struct pl *name, struct pl *value)
{
	const char *c = pl_chr(val, ':');

	if (c) {
		*name = pl_from(val->p, (size_t)(c - val->p));
		*value = pl_from(c + 1, (size_t)(val->p + val->l - c - 1));
	} else {
		*name = *val;
		*value = pl_from(val->p + val->l, 0);
	}
}

static const char *const dir_names[] = {
	[SDP_SENDRECV] = "sendrecv", [SDP_SENDONLY] = "sendonly",
	[SDP_RECVONLY] = "recvonly", [SDP_INACTIVE] = "inactive",
};

const char *sdp_dir_name(enum sdp_dir dir)
{
	if (dir <= SDP_DIR_NONE || dir > SDP_INACTIVE)
		return NULL;
	return dir_names[dir];
}

/* Compare a view with a literal: no strlen on the hot path. */
#define PL_IS(x, lit) ((x)->l == sizeof(lit) - 1 && memcmp((x)->p, lit, sizeof(lit) - 1) == 0)

static enum sdp_dir dir_of(const struct pl *name)
{
	if (name->l != 8)
		return SDP_DIR_NONE;
	for (unsigned d = SDP_SENDRECV; d <= SDP_INACTIVE; d++)
		if (memcmp(name->p, dir_names[d], 8) == 0)
			return (enum sdp_dir)d;
	return SDP_DIR_NONE;
}

/* ------------------------------------------------------------------ */
/* Parser                                                                */
/* ------------------------------------------------------------------ */

/* c=<nettype> <addrtype> <connection-address> (RFC 8866 §5.7) */
static const char *conn_parse(struct sdp_conn *c, const struct pl *val, int line)
{
	struct pl f[4];
	const char *slash;

	if (split(val, f, 4) != 3)
		return "bad c= field count";
	c->nettype = f[0];
	c->addrtype = f[1];
	c->addr = f[2];
	c->ttl = c->num = (struct pl)PL_INIT;
	c->line = line;
	slash = pl_chr(&f[2], '/');
	if (slash) {
		struct pl rest = pl_from(slash + 1, (size_t)(f[2].p + f[2].l - slash - 1));
		const char *s2 = pl_chr(&rest, '/');

		c->addr.l = (size_t)(slash - f[2].p);
		/* IP4 multicast carries a TTL first; IP6 only a count (§5.7) */
		if (PL_IS(&f[1], "IP6")) {
			c->num = rest;
			if (s2)
				return "bad c= address suffix";
		} else if (s2) {
			c->ttl = pl_from(rest.p, (size_t)(s2 - rest.p));
			c->num = pl_from(s2 + 1, (size_t)(rest.p + rest.l - s2 - 1));
		} else {
			c->ttl = rest;
		}
		if (c->ttl.p && (!is_digits(&c->ttl, 3) || port_of(&c->ttl) > 255))
			return "bad c= ttl";
		if (c->num.p && !is_digits(&c->num, 5))
			return "bad c= address count";
	}
	if (!c->addr.l)
		return "empty c= address";
	return NULL;
}

/* o=<username> <sess-id> <sess-version> <nettype> <addrtype> <addr> */
static const char *origin_parse(struct sdp_session *s, const struct pl *val)
{
	struct pl f[7];

	if (split(val, f, 7) != 6)
		return "bad o= field count";
	/* sess-version is kept as digits of any length: the writer bumps it
	 * as a decimal string, so NTP-sized values cannot overflow. */
	if (!is_digits(&f[1], 64) || !is_digits(&f[2], 64))
		return "bad o= session id or version";
	s->origin_user = f[0];
	s->sess_id = f[1];
	s->sess_version = f[2];
	s->origin_addrtype = f[4];
	s->origin_addr = f[5];
	return NULL;
}

/* m=<media> <port>[/<number of ports>] <proto> <fmt> ... (§5.14) */
static int media_parse(struct sdp_media *m, const struct pl *val, const char **emsg)
{
	struct pl f[4], port, np = PL_INIT;
	const char *slash;
	int v;

	if (split(val, f, 4) < 3) {
		*emsg = "bad m= field count";
		return -EBADMSG;
	}
	m->type = f[0];
	port = f[1];
	slash = pl_chr(&port, '/');
	if (slash) {
		np = pl_from(slash + 1, (size_t)(port.p + port.l - slash - 1));
		port.l = (size_t)(slash - port.p);
	}
	v = port_of(&port);
	if (v < 0) {
		*emsg = "bad m= port";
		return -EBADMSG;
	}
	m->port = (uint16_t)v;
	m->nports = 1;
	if (np.p) {
		int n = port_of(&np);
		if (n <= 0) {
			*emsg = "bad m= number of ports";
			return -EBADMSG;
		}
		m->nports = (uint16_t)n;
	}
	m->proto = f[2];
	m->fmtc = 0;
	if (f[2].l == 0) {
		*emsg = "bad m= proto";
		return -EBADMSG;
	}
	if (f[3].p && val->p + val->l > f[2].p + f[2].l) {
		struct pl rest = pl_from(f[2].p + f[2].l, (size_t)(val->p + val->l - f[2].p - f[2].l));
		struct pl fmts[SDP_MAX_FMTS + 1];
		unsigned n = split(&rest, fmts, SDP_MAX_FMTS + 1);

		if (n > SDP_MAX_FMTS) {
			*emsg = "too many m= formats";
			return -E2BIG;
		}
		memcpy(m->fmts, fmts, n * sizeof(fmts[0]));
		m->fmtc = n;
	}
	/* A refused stream (port 0) may list no format; a live one must. */
	if (!m->fmtc && m->port) {
		*emsg = "m= without formats";
		return -EBADMSG;
	}
	return 0;
}

/* a=rtcp:<port> [<nettype> <addrtype> <addr>] (RFC 3605) */
static const char *rtcp_parse(struct sdp_media *m, const struct pl *value)
{
	struct pl f[5];
	unsigned n = split(value, f, 5);

	if ((n != 1 && n != 4) || (m->rtcp_port = port_of(&f[0])) < 0) {
		m->rtcp_port = -1;
		return "bad a=rtcp";
	}
	if (n == 4) {
		m->rtcp_addrtype = f[2];
		m->rtcp_addr = f[3];
	}
	return NULL;
}

static void media_init(struct sdp_media *m, int line)
{
	m->conn.line = -1;
	m->conn.nettype = m->conn.addrtype = m->conn.addr = (struct pl)PL_INIT;
	m->conn.ttl = m->conn.num = (struct pl)PL_INIT;
	m->dir = SDP_DIR_NONE;
	m->rtcp_mux = false;
	m->rtcp_port = -1;
	m->rtcp_addrtype = m->rtcp_addr = (struct pl)PL_INIT;
	m->mline = m->first = line;
	m->end = line + 1;
}

/* Only CR, LF and blank-free trailing bytes may follow the last line. */
static bool only_eols(const char *p, const char *end)
{
	for (; p < end; p++)
		if (*p != '\r' && *p != '\n')
			return false;
	return true;
}

int sdp_parse(struct sdp_session *s, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len, *emsg = NULL;
	struct sdp_media *m = NULL;
	bool have_origin = false;
	unsigned eline = 0;   /* error line when it is not the last one read */
	int err = 0;

	s->linec = 0;
	s->mediac = 0;
	s->origin_user = s->sess_id = s->sess_version = (struct pl)PL_INIT;
	s->origin_addrtype = s->origin_addr = s->name = (struct pl)PL_INIT;
	s->conn.line = -1;
	s->conn.nettype = s->conn.addrtype = s->conn.addr = (struct pl)PL_INIT;
	s->conn.ttl = s->conn.num = (struct pl)PL_INIT;
	s->dir = SDP_DIR_NONE;
	s->crlf = true;
	s->tail = (struct pl)PL_INIT;
	s->errline = 0;
	s->errmsg = NULL;

	if (!buf || !len) {
		emsg = "empty SDP";
		err = -EBADMSG;
		goto out;
	}

	while (p < end) {
		const char *lf, *vend, *next, *bad;
		struct sdp_line *ln;
		struct pl val;

		if ((*p == '\r' || *p == '\n') && s->linec) {
			/* blank lines are tolerated only at the very end */
			if (!only_eols(p, end)) {
				emsg = "empty line";
				err = -EBADMSG;
				eline = s->linec + 1;
				goto out;
			}
			s->tail = pl_from(p, (size_t)(end - p));
			break;
		}
		if (s->linec == SDP_MAX_LINES) {
			emsg = "too many lines";
			err = -E2BIG;
			eline = s->linec + 1;
			goto out;
		}
		/* one pass finds the line end and any CR or NUL before it */
		bad = NULL;
		for (lf = p; lf < end && *lf != '\n'; lf++)
			if ((*lf == '\r' || *lf == '\0') && !bad)
				bad = lf;
		if (lf == end)
			lf = NULL;
		next = lf ? lf + 1 : end;
		vend = lf ? lf : end;
		/* a CR counts as line end only before LF: a lone CR at the
		 * very end is a cut line end, and stays inside (an error) */
		if (lf && vend > p && vend[-1] == '\r')
			vend--;
		ln = &s->lines[s->linec++];
		if (vend - p < 2 || p[0] < 'a' || p[0] > 'z' || p[1] != '=') {
			emsg = "not a <type>=<value> line";
			err = -EBADMSG;
			goto out;
		}
		val = pl_from(p + 2, (size_t)(vend - p - 2));
		if (bad && bad < vend) {
			emsg = "CR or NUL inside a line";
			err = -EBADMSG;
			goto out;
		}
		ln->type = p[0];
		ln->val = val;
		ln->eol = (uint8_t)(next - vend);
		if (s->linec == 1) {
			s->crlf = ln->eol != 1;
			if (ln->type != 'v' || !pl_eq_str(&val, "0")) {
				emsg = "first line is not v=0";
				err = -EBADMSG;
				goto out;
			}
			p = next;
			continue;
		}
		p = next;
		if (m && ln->type != 'm')
			m->end = (int)s->linec;

		switch (ln->type) {
		case 'v':
			emsg = "v= not first";
			break;
		case 'o':
			if (have_origin || m)
				emsg = "misplaced o=";
			else
				emsg = origin_parse(s, &val);
			have_origin = true;
			break;
		case 's':
			if (!s->name.p && !m)
				s->name = val;
			break;
		case 'c': {
			struct sdp_conn tmp, *c = m ? &m->conn : &s->conn;
			emsg = conn_parse(&tmp, &val, (int)s->linec - 1);
			if (!emsg && c->line < 0)
				*c = tmp;
			break;
		}
		case 'm':
			if (!have_origin) {
				emsg = "m= before o=";
				break;
			}
			if (s->mediac == SDP_MAX_MEDIA) {
				emsg = "too many media";
				err = -E2BIG;
				goto out;
			}
			m = &s->media[s->mediac++];
			media_init(m, (int)s->linec - 1);
			err = media_parse(m, &val, &emsg);
			if (err)
				goto out;
			break;
		case 'a': {
			struct pl name, value;
			enum sdp_dir d;

			attr_split(&val, &name, &value);
			if (!name.l) {
				emsg = "empty attribute name";
				break;
			}
			d = dir_of(&name);
			if (d != SDP_DIR_NONE) {
				if (m)
					m->dir = d;
				else
					s->dir = d;
			} else if (m && PL_IS(&name, "rtcp")) {
				emsg = rtcp_parse(m, &value);
			} else if (m && PL_IS(&name, "rtcp-mux")) {
				m->rtcp_mux = true;
			}
			break;
		}
		default:
			/* i u e p b t r z k and unknown types: kept as they are */
			break;
		}
		if (emsg) {
			err = -EBADMSG;
			goto out;
		}
	}
	if (!have_origin) {
		emsg = "missing o=";
		err = -EBADMSG;
		eline = s->linec + 1;
	}
out:
	if (err) {
		s->errline = eline ? eline : s->linec;
		s->errmsg = emsg;
		LDEBUG("sdp parse error line=%u err=\"%s\"", s->errline, emsg ? emsg : "");
	}
	return err;
}

/* ------------------------------------------------------------------ */
/* Lookups                                                               */
/* ------------------------------------------------------------------ */

static void attr_range(const struct sdp_session *s, const struct sdp_media *m,
		       unsigned *a, unsigned *b)
{
	if (m) {
		*a = (unsigned)m->first + 1;
		*b = (unsigned)m->end;
	} else {
		*a = 0;
		*b = s->mediac ? (unsigned)s->media[0].mline : s->linec;
	}
	if (*b > s->linec)
		*b = s->linec;
}

int sdp_attr(const struct sdp_session *s, const struct sdp_media *m,
	     const char *name, unsigned n, struct pl *val)
{
	unsigned a, b;

	attr_range(s, m, &a, &b);
	for (unsigned i = a; i < b; i++) {
		struct pl an, av;

		if (s->lines[i].type != 'a')
			continue;
		attr_split(&s->lines[i].val, &an, &av);
		if (!pl_caseeq_str(&an, name))
			continue;
		if (n-- == 0) {
			*val = av;
			return 0;
		}
	}
	return -ENOENT;
}

/* The value of the "a=<name>:<pt> ..." line for pt; rest after the pt. */
static int attr_for_pt(const struct sdp_session *s, const struct sdp_media *m,
		       const char *name, const struct pl *pt, struct pl *rest)
{
	struct pl v;

	for (unsigned n = 0; sdp_attr(s, m, name, n, &v) == 0; n++) {
		struct pl f[2];

		if (split(&v, f, 2) != 2 || pl_cmp(&f[0], pt))
			continue;
		*rest = f[1];
		return 0;
	}
	return -ENOENT;
}

int sdp_rtpmap_get(const struct sdp_session *s, const struct sdp_media *m,
		   const struct pl *pt, struct sdp_rtpmap *rm)
{
	struct pl v;
	const char *s1, *s2;
	int err = attr_for_pt(s, m, "rtpmap", pt, &v);

	if (err)
		return err;
	/* <encoding name>/<clock rate>[/<encoding parameters>] */
	s1 = pl_chr(&v, '/');
	if (!s1 || s1 == v.p)
		return -EBADMSG;
	rm->pt = *pt;
	rm->encoding = pl_from(v.p, (size_t)(s1 - v.p));
	rm->clock = pl_from(s1 + 1, (size_t)(v.p + v.l - s1 - 1));
	rm->channels = (struct pl)PL_INIT;
	s2 = pl_chr(&rm->clock, '/');
	if (s2) {
		rm->channels = pl_from(s2 + 1, (size_t)(rm->clock.p + rm->clock.l - s2 - 1));
		rm->clock.l = (size_t)(s2 - rm->clock.p);
		if (!is_digits(&rm->channels, 5))
			return -EBADMSG;
	}
	if (!is_digits(&rm->clock, 10))
		return -EBADMSG;
	return 0;
}

int sdp_fmtp_get(const struct sdp_session *s, const struct sdp_media *m,
		 const struct pl *pt, struct pl *params)
{
	return attr_for_pt(s, m, "fmtp", pt, params);
}

int sdp_crypto_decode(struct sdp_crypto *c, const struct pl *val)
{
	struct pl f[4];
	unsigned n = split(val, f, 4);

	/* tag 1*9DIGIT, crypto-suite, key-params, [session-params] */
	if (n < 3 || !is_digits(&f[0], 9))
		return -EBADMSG;
	c->tag = f[0];
	c->suite = f[1];
	c->key_params = f[2];
	c->session_params = n == 4 ? f[3] : (struct pl)PL_INIT;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Writer                                                                */
/* ------------------------------------------------------------------ */

struct wbuf {
	char *p;
	size_t len, cap;
	bool pending_eol;  /* last line written had no line end */
	const char *eol;   /* style for lines we end or add */
};

static void wput(struct wbuf *w, const void *p, size_t n)
{
	if (n && w->len + n <= w->cap)
		memcpy(w->p + w->len, p, n);
	w->len += n;  /* keep counting past cap: the caller learns the size */
}

static void wputpl(struct wbuf *w, const struct pl *x)
{
	wput(w, x->p, x->l);
}

static void wputs(struct wbuf *w, const char *s)
{
	wput(w, s, strlen(s));
}

static void wport(struct wbuf *w, unsigned v)
{
	char tmp[8];
	int n = 0;

	do {
		tmp[sizeof(tmp) - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && n < (int)sizeof(tmp));
	wput(w, tmp + sizeof(tmp) - n, (size_t)n);
}

/* Start a line: end the previous one first if it had no line end. */
static void wstart(struct wbuf *w, char type)
{
	char hdr[2] = { type, '=' };

	if (w->pending_eol) {
		wputs(w, w->eol);
		w->pending_eol = false;
	}
	wput(w, hdr, 2);
}

static void wend(struct wbuf *w, const struct sdp_line *ln)
{
	if (ln) {
		wput(w, ln->val.p + ln->val.l, ln->eol);
		w->pending_eol = ln->eol == 0;
	} else {
		wputs(w, w->eol);
	}
}

/* Decimal string + 1, any length (sess-version may be an NTP time). */
static void wbump(struct wbuf *w, const struct pl *num)
{
	size_t i = num->l;

	while (i > 0 && num->p[i - 1] == '9')
		i--;
	if (i == 0)
		wputs(w, "1");
	else
		wput(w, num->p, i - 1);
	if (i > 0) {
		char c = (char)(num->p[i - 1] + 1);
		wput(w, &c, 1);
	}
	for (size_t k = i; k < num->l; k++)
		wputs(w, "0");
}

static bool o_changes(const struct sdp_rewrite *rw)
{
	return rw->bump_version || pl_isset(&rw->origin_addr);
}

static void write_origin(struct wbuf *w, const struct sdp_line *ln, const struct sdp_rewrite *rw)
{
	struct pl f[7];

	split(&ln->val, f, 7);   /* checked by the parser: 6 fields */
	for (unsigned i = 0; i < 6; i++) {
		if (i)
			wputs(w, " ");
		if (i == 2 && rw->bump_version)
			wbump(w, &f[2]);
		else if (i == 4 && pl_isset(&rw->origin_addr) && pl_isset(&rw->addrtype))
			wputpl(w, &rw->addrtype);
		else if (i == 5 && pl_isset(&rw->origin_addr))
			wputpl(w, &rw->origin_addr);
		else
			wputpl(w, &f[i]);
	}
}

static void write_conn(struct wbuf *w, const struct sdp_line *ln, const struct sdp_rewrite *rw)
{
	struct pl f[4];

	split(&ln->val, f, 4);   /* checked by the parser: 3 fields */
	wputpl(w, &f[0]);
	wputs(w, " ");
	wputpl(w, pl_isset(&rw->addrtype) ? &rw->addrtype : &f[1]);
	wputs(w, " ");
	wputpl(w, pl_isset(&rw->addr) ? &rw->addr : &f[2]);
}

/* m= line with only the port digits replaced. */
static void write_mline(struct wbuf *w, const struct sdp_line *ln, uint16_t port)
{
	struct pl f[4];
	const char *pe, *end = ln->val.p + ln->val.l;

	split(&ln->val, f, 4);
	pe = f[1].p;
	while (pe < f[1].p + f[1].l && *pe != '/')
		pe++;
	wput(w, ln->val.p, (size_t)(f[1].p - ln->val.p));
	wport(w, port);
	wput(w, pe, (size_t)(end - pe));
}

/* a=rtcp:<port> [<nettype> <addrtype> <addr>] with port and address replaced */
static void write_rtcp(struct wbuf *w, const struct sdp_line *ln, const struct sdp_rewrite *rw,
		       int port)
{
	struct pl name, value, f[5];
	unsigned n;

	attr_split(&ln->val, &name, &value);
	n = split(&value, f, 5);   /* checked by the parser: 1 or 4 fields */
	wputpl(w, &name);
	wputs(w, ":");
	if (port > 0)
		wport(w, (unsigned)port);
	else
		wputpl(w, &f[0]);
	if (n == 4) {
		wputs(w, " ");
		wputpl(w, &f[1]);
		wputs(w, " ");
		wputpl(w, pl_isset(&rw->addrtype) ? &rw->addrtype : &f[2]);
		wputs(w, " ");
		wputpl(w, pl_isset(&rw->addr) ? &rw->addr : &f[3]);
	}
}

int sdp_write(const struct sdp_session *s, const struct sdp_rewrite *rw,
	      char *out, size_t cap)
{
	struct wbuf w = { out, 0, out ? cap : 0, false, s->crlf ? "\r\n" : "\n" };
	bool conn_rw = rw && (pl_isset(&rw->addr) || pl_isset(&rw->addrtype));
	int mi = -1;

	for (unsigned i = 0; i < s->linec; i++) {
		const struct sdp_line *ln = &s->lines[i];
		const struct sdp_media *m = mi >= 0 ? &s->media[mi] : NULL;
		bool done = false;

		if (ln->type == 'm')
			m = &s->media[++mi];
		if (!rw) {
			/* the common no-rewrite case: copy the raw line */
			wstart(&w, ln->type);
			wputpl(&w, &ln->val);
			wend(&w, ln);
			continue;
		}
		wstart(&w, ln->type);
		switch (ln->type) {
		case 'o':
			if (o_changes(rw)) {
				write_origin(&w, ln, rw);
				done = true;
			}
			break;
		case 'c':
			if (conn_rw) {
				write_conn(&w, ln, rw);
				done = true;
			}
			break;
		case 'm':
			/* a refused stream (port 0) stays refused (RFC 3264 §6) */
			if (rw->ports[mi] && m->port) {
				write_mline(&w, ln, rw->ports[mi]);
				done = true;
			}
			break;
		case 'a': {
			struct pl name, value;

			if (!m)
				break;
			attr_split(&ln->val, &name, &value);
			if (rw->dir[mi] != SDP_DIR_NONE && dir_of(&name) != SDP_DIR_NONE) {
				wputs(&w, sdp_dir_name(rw->dir[mi]) ? sdp_dir_name(rw->dir[mi]) : "");
				done = true;
			} else if (PL_IS(&name, "rtcp") && m->rtcp_port >= 0 &&
				   (rw->rtcp_ports[mi] > 0 || (m->rtcp_addr.p && conn_rw))) {
				write_rtcp(&w, ln, rw, rw->rtcp_ports[mi]);
				done = true;
			}
			break;
		}
		default:
			break;
		}
		if (!done)
			wputpl(&w, &ln->val);
		wend(&w, ln);

		/* end of a media section: add a direction it did not have */
		if (m && (int)i + 1 == m->end && rw->dir[mi] != SDP_DIR_NONE &&
		    m->dir == SDP_DIR_NONE && sdp_dir_name(rw->dir[mi])) {
			wstart(&w, 'a');
			wputs(&w, sdp_dir_name(rw->dir[mi]));
			wend(&w, NULL);
		}
	}
	if (s->tail.p)
		wputpl(&w, &s->tail);
	if (w.len > w.cap || w.len > (size_t)INT32_MAX)
		return -ENOSPC;
	return (int)w.len;
}
