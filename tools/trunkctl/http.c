/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file http.c  trunkctl's HTTP: libcurl requests with the bearer token,
 *               answers in memory or streamed, uploads with a progress bar,
 *               and problem documents turned into messages and exit codes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <curl/curl.h>
#include "trunkctl.h"

enum { BODY_MAX = 256 * 1024 * 1024 };

int fail(struct ctl *c, int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "trunkctl%s%s: ", c->cmd ? " " : "", c->cmd ? c->cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

void resp_reset(struct resp *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

json_t *resp_json(struct ctl *c, const struct resp *r)
{
	json_error_t je;
	json_t *j = json_loadb(r->body ? r->body : "", r->len, 0, &je);

	if (!j)
		fail(c, EX_SERVER, "the server answered %ld with something that is not JSON: %s",
		     r->status, je.text);
	return j;
}

static size_t on_body(char *p, size_t sz, size_t n, void *arg)
{
	struct resp *r = arg;
	size_t add = sz * n;
	char *nb;

	if (r->len + add > BODY_MAX)
		return 0;
	nb = realloc(r->body, r->len + add + 1);
	if (!nb)
		return 0;
	memcpy(nb + r->len, p, add);
	r->body = nb;
	r->len += add;
	r->body[r->len] = 0;
	return add;
}

/* Streaming: a 2xx body goes to the file, anything else is kept so the
 * problem document can be printed. */
struct sink {
	CURL *h;
	FILE *out;
	struct resp *r;
	int state;                 /* 0 unknown, 1 stream, 2 keep */
};

static size_t on_stream(char *p, size_t sz, size_t n, void *arg)
{
	struct sink *s = arg;
	long st = 0;

	if (!s->state) {
		curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &st);
		s->state = st >= 200 && st < 300 ? 1 : 2;
	}
	if (s->state == 2)
		return on_body(p, sz, n, s->r);
	return fwrite(p, sz, n, s->out) == n ? sz * n : 0;
}

static CURL *handle(struct ctl *c)
{
	if (!c->curl) {
		c->curl = curl_easy_init();
		if (!c->curl)
			return NULL;
	}
	curl_easy_reset(c->curl);
	return c->curl;
}

char *http_escape(struct ctl *c, const char *s)
{
	CURL *h = c->curl ? c->curl : (c->curl = curl_easy_init());
	char *e = h ? curl_easy_escape(h, s, 0) : NULL;
	char *dup = e ? strdup(e) : NULL;

	curl_free(e);
	if (!dup) {
		fprintf(stderr, "trunkctl: out of memory\n");
		exit(EX_SERVER);
	}
	return dup;
}

void qb_add(struct ctl *c, struct qbuf *q, const char *key, const char *val)
{
	char *e = http_escape(c, val);
	size_t need = strlen(key) + strlen(e) + 3;
	char *nb;

	if (q->len + need > q->size) {
		q->size = (q->len + need) * 2;
		nb = realloc(q->s, q->size);
		if (!nb) {
			fprintf(stderr, "trunkctl: out of memory\n");
			exit(EX_SERVER);
		}
		q->s = nb;
	}
	q->len += (size_t)sprintf(q->s + q->len, "%s%s=%s", q->len ? "&" : "", key, e);
	free(e);
}

void qb_reset(struct qbuf *q)
{
	free(q->s);
	memset(q, 0, sizeof(*q));
}

/* The common part: URL, token, headers; perform; status and type. */
static int perform(struct ctl *c, CURL *h, const char *method, const char *path,
		   const char *query, struct curl_slist *hdrs, struct resp *r, long timeout)
{
	char *url, *auth = NULL, *ct = NULL;
	size_t n = strlen(c->server) + strlen(path) + (query ? strlen(query) : 0) + 4;
	CURLcode cc;
	int err = 0;

	url = malloc(n);
	if (!url)
		return fail(c, EX_SERVER, "out of memory");
	snprintf(url, n, "%s%s%s%s", c->server, path, query && *query ? "?" : "",
		 query && *query ? query : "");
	if (c->token) {
		n = strlen(c->token) + 32;
		auth = malloc(n);
		if (!auth) {
			free(url);
			return fail(c, EX_SERVER, "out of memory");
		}
		snprintf(auth, n, "Authorization: Bearer %s", c->token);
		hdrs = curl_slist_append(hdrs, auth);
	}
	hdrs = curl_slist_append(hdrs, "Expect:");
	hdrs = curl_slist_append(hdrs, "Accept: application/json, application/problem+json, */*");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "trunkctl/0.1");
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	/* The token must not follow a redirect to another host. */
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	/* https: the server's certificate is checked against the system's
	 * CAs, or this bundle (a self-signed certificate, a private CA). */
	if (c->cacert)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->cacert);
	cc = curl_easy_perform(h);
	if (cc != CURLE_OK) {
		err = fail(c, EX_SERVER, "%s %s: %s", method, c->server, curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	if (curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct)
		snprintf(r->ctype, sizeof(r->ctype), "%s", ct);
out:
	curl_slist_free_all(hdrs);
	free(auth);
	free(url);
	return err;
}

int http_req(struct ctl *c, const char *method, const char *path, const char *query,
	     json_t *body, struct resp *r)
{
	CURL *h = handle(c);
	struct curl_slist *hdrs = NULL;
	char *data = NULL;
	int err;

	if (!h)
		return fail(c, EX_SERVER, "cannot start libcurl");
	memset(r, 0, sizeof(*r));
	if (body) {
		data = json_dumps(body, JSON_COMPACT);
		if (!data)
			return fail(c, EX_SERVER, "out of memory");
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, data);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(data));
	}
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	err = perform(c, h, method, path, query, hdrs, r, 120L);
	free(data);
	return err;
}

int http_stream(struct ctl *c, const char *path, const char *query, FILE *out,
		struct resp *r)
{
	CURL *h = handle(c);
	struct sink s = { h, out, r, 0 };
	int err;

	if (!h)
		return fail(c, EX_SERVER, "cannot start libcurl");
	memset(r, 0, sizeof(*r));
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_stream);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
	err = perform(c, h, "GET", path, query, NULL, r, 0L);
	if (!err && fflush(out))
		err = fail(c, EX_SERVER, "cannot write the output: %s", strerror(errno));
	return err;
}

/* Upload progress on stderr, redrawn at most 10 times a second. */
struct progress {
	struct ctl *c;
	const char *name;
	struct timespec last, start;
	bool drawn, done;
};

static double since(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void human(double v, char *buf, size_t n)
{
	if (v >= 1e6)
		snprintf(buf, n, "%.1f MB", v / 1e6);
	else if (v >= 1e3)
		snprintf(buf, n, "%.1f kB", v / 1e3);
	else
		snprintf(buf, n, "%.0f B", v);
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct progress *p = arg;
	struct timespec now;
	char bar[31], a[32], b[32];
	int w, i;

	(void)dltotal;
	(void)dlnow;
	if (ultotal <= 0 || p->done)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (p->drawn && ulnow < ultotal && since(&p->last, &now) < 0.1)
		return 0;
	p->last = now;
	w = (int)(30 * ulnow / ultotal);
	for (i = 0; i < 30; i++)
		bar[i] = i < w ? '#' : '.';
	bar[30] = 0;
	human((double)ulnow, a, sizeof(a));
	human((double)ultotal, b, sizeof(b));
	fprintf(stderr, "\r%s [%s] %3d%% %s / %s", p->name, bar, (int)(100 * ulnow / ultotal),
		a, b);
	if (ulnow >= ultotal) {
		fprintf(stderr, "  checking and importing...");
		p->done = true;
	}
	p->drawn = true;
	return 0;
}

int http_upload(struct ctl *c, const char *path, const char *query, const char *file,
		const char *ctype, struct resp *r)
{
	CURL *h = handle(c);
	struct curl_slist *hdrs = NULL;
	struct progress p = { .c = c };
	char hct[128];
	struct stat st;
	FILE *f;
	int err;

	if (!h)
		return fail(c, EX_SERVER, "cannot start libcurl");
	memset(r, 0, sizeof(*r));
	f = fopen(file, "rb");
	if (!f)
		return fail(c, EX_USAGE, "cannot open %s: %s", file, strerror(errno));
	if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
		fclose(f);
		return fail(c, EX_USAGE, "%s is not a regular file", file);
	}
	p.name = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	clock_gettime(CLOCK_MONOTONIC, &p.start);
	snprintf(hct, sizeof(hct), "Content-Type: %s", ctype);
	hdrs = curl_slist_append(hdrs, hct);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_READDATA, f);   /* default read callback: fread */
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)st.st_size);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	if (c->tty_err && !c->quiet) {
		curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(h, CURLOPT_XFERINFODATA, &p);
	}
	err = perform(c, h, "POST", path, query, hdrs, r, 0L);
	if (p.drawn)
		fputs("\r\033[K", stderr);
	fclose(f);
	return err;
}

int status_exit(long status)
{
	if (status >= 200 && status < 300)
		return EX_OK;
	switch (status) {
	case 400:
		return EX_USAGE;
	case 401:
	case 403:
		return EX_AUTH;
	case 404:
		return EX_NOTFOUND;
	case 409:
	case 422:
		return EX_INVALID;
	default:
		return EX_SERVER;
	}
}

/* The CLI's option for an API field: credit_limit -> --credit-limit. */
static void flag_of(const char *field, char *buf, size_t n)
{
	size_t i;

	for (i = 0; field[i] && i + 1 < n; i++)
		buf[i] = field[i] == '_' ? '-' : field[i];
	buf[i] = 0;
	/* References are given by name or id: customer_id -> --customer. */
	if (i > 3 && !strcmp(buf + i - 3, "-id"))
		buf[i - 3] = 0;
}

int fail_resp(struct ctl *c, const struct resp *r, const char *file)
{
	int code = status_exit(r->status);
	json_t *j = NULL, *errs, *e;
	json_error_t je;
	size_t i;

	if (r->body && strstr(r->ctype, "json"))
		j = json_loadb(r->body, r->len, 0, &je);
	if (c->json && r->body)
		printf("%s\n", r->body);
	if (!json_is_object(j)) {
		fail(c, code, "the server answered %ld%s%.*s", r->status, r->len ? ": " : "",
		     (int)(r->len > 300 ? 300 : r->len), r->body ? r->body : "");
		goto out;
	}
	fail(c, code, "%s (%ld): %s", json_string_value(json_object_get(j, "title")) ?: "error",
	     r->status, json_string_value(json_object_get(j, "detail")) ?: "");
	errs = json_object_get(j, "errors");
	json_array_foreach(errs, i, e) {
		const char *field = json_string_value(json_object_get(e, "field")) ?: "";
		const char *detail = json_string_value(json_object_get(e, "detail")) ?: "";
		json_t *line = json_object_get(e, "line"), *col = json_object_get(e, "column");
		char flag[64];

		if (json_is_integer(line)) {
			fprintf(stderr, "  %s:%lld", file ? file : "line",
				(long long)json_integer_value(line));
			if (json_is_integer(col))
				fprintf(stderr, ":%lld", (long long)json_integer_value(col));
			fprintf(stderr, ": %s: %s\n", field, detail);
			continue;
		}
		flag_of(field, flag, sizeof(flag));
		fprintf(stderr, "  %s (--%s): %s\n", field, flag, detail);
	}
	if (r->status == 401)
		fprintf(stderr, "  check the token: --token, $TRUNKCTL_TOKEN or token= in the "
			"config file\n");
out:
	json_decref(j);
	return code;
}
