/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file http.c  The HTTP server: libmicrohttpd on one internal thread,
 *               bearer-token authentication, dispatch through the route
 *               table, JSON answers and RFC 9457 problem documents.
 */
#include <ctype.h>
#include <errno.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "api_int.h"

#define LOG_MOD "api"

/* ------------------------------------------------------------------ */
/* Tokens                                                               */
/* ------------------------------------------------------------------ */

int api_token_hash(const char *token, char hex[API_SHA256_HEX + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!token || !EVP_Digest(token, strlen(token), md, &n, EVP_sha256(), NULL) || n != 32)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}

int api_token_new(char out[API_TOKEN_LEN + 1])
{
	memcpy(out, "tl_", 3);
	return rand_token(out + 3, API_TOKEN_LEN - 3);
}

bool api_sha256_hex_valid(const char *s)
{
	return s && strlen(s) == API_SHA256_HEX &&
	       strspn(s, "0123456789abcdefABCDEF") == API_SHA256_HEX;
}

/* The presented token is good when its hash is in the config or in the
 * store. Hashes are compared in constant time. */
static bool token_ok(struct api *a, const char *token, char *who, size_t n)
{
	char hex[API_SHA256_HEX + 1];
	struct store_api_token t;

	if (api_token_hash(token, hex))
		return false;
	for (unsigned i = 0; i < a->prm.ntokens; i++) {
		if (!CRYPTO_memcmp(hex, a->tokens[i], API_SHA256_HEX)) {
			snprintf(who, n, "config#%u", i + 1);
			return true;
		}
	}
	if (store_api_token_find_sha256(a->st, hex, &t))
		return false;
	snprintf(who, n, "%s", t.name);
	store_api_token_reset(&t);
	return true;
}

/* ------------------------------------------------------------------ */
/* Answers                                                              */
/* ------------------------------------------------------------------ */

void api_reply_resp(struct api_req *r, unsigned status, struct MHD_Response *resp)
{
	if (r->resp)
		MHD_destroy_response(r->resp);
	r->resp = resp;
	r->status = status;
}

void api_reply_text(struct api_req *r, unsigned status, const char *ctype, const char *text,
		    size_t len)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(len, (void *)(uintptr_t)text, MHD_RESPMEM_MUST_COPY);

	if (!resp)
		return;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	api_reply_resp(r, status, resp);
}

void api_reply_json(struct api_req *r, unsigned status, json_t *v)
{
	char *s = v ? json_dumps(v, JSON_COMPACT) : NULL;
	struct MHD_Response *resp;

	json_decref(v);
	if (!s) {
		api_reply_text(r, 500, "text/plain", "out of memory\n", 14);
		return;
	}
	resp = MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(s);
		return;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	api_reply_resp(r, status, resp);
}

static const char *status_title(unsigned status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

void api_problem(struct api_req *r, unsigned status, const char *title, const char *fmt, ...)
{
	char detail[1024], type[64];
	struct MHD_Response *resp;
	json_t *doc;
	char *s;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	/* One type URI per status family of problems (docs/API.md lists them). */
	snprintf(type, sizeof(type), "urn:trunkline:problem:%u", status);
	doc = json_pack("{s:s, s:s, s:i, s:s}", "type", type, "title",
			title ? title : status_title(status), "status", (int)status, "detail", detail);
	if (doc && api_has_errors(r))
		json_object_set(doc, "errors", r->errors);
	s = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	if (!s)
		return;
	resp = MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(s);
		return;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/problem+json");
	if (status == 401)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Bearer realm=\"trunkline\"");
	api_reply_resp(r, status, resp);
}

void api_field_err(struct api_req *r, const char *field, const char *fmt, ...)
{
	char detail[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (!r->errors)
		r->errors = json_array();
	if (r->errors)
		json_array_append_new(r->errors, json_pack("{s:s, s:s}", "field", field,
							   "detail", detail));
}

void api_invalid(struct api_req *r)
{
	size_t n = r->errors ? json_array_size(r->errors) : 0;
	json_t *e0 = n ? json_array_get(r->errors, 0) : NULL;

	if (n == 1)
		api_problem(r, 422, "Invalid value", "%s: %s",
			    json_string_value(json_object_get(e0, "field")),
			    json_string_value(json_object_get(e0, "detail")));
	else
		api_problem(r, 422, "Invalid values", "%zu fields are invalid (see errors)", n);
}

/* "trunks.customer_id: 888 not found in customers" -> "customer_id" */
static bool errmsg_field(const char *msg, char *field, size_t n)
{
	const char *dot = strchr(msg, '.'), *end;

	if (!dot)
		return false;
	end = dot + 1 + strcspn(dot + 1, ": ,");
	if (end == dot + 1 || (size_t)(end - dot - 1) >= n)
		return false;
	snprintf(field, n, "%.*s", (int)(end - dot - 1), dot + 1);
	return true;
}

void api_store_problem(struct api_req *r, int err, const char *what)
{
	const char *msg = store_errmsg(r->api->st);
	char field[64];

	switch (err) {
	case -ENOENT:
		/* On a write, ENOENT is a reference to a row that does not exist. */
		if (strstr(msg, "not found in") && errmsg_field(msg, field, sizeof(field))) {
			api_field_err(r, field, "%s", msg);
			api_problem(r, 422, "Missing reference", "%s: %s", what, msg);
		}
		else {
			api_problem(r, 404, NULL, "%s: %s", what, *msg ? msg : "not found");
		}
		return;
	case -EEXIST:
		if (errmsg_field(msg, field, sizeof(field)))
			api_field_err(r, field, "already taken: %s", msg);
		api_problem(r, 409, "Duplicate", "%s: %s", what, msg);
		return;
	case -EBUSY:
		api_problem(r, 409, "Still in use", "%s: %s", what, msg);
		return;
	case -EINVAL:
		api_problem(r, 422, "Refused by the database", "%s: %s", what, msg);
		return;
	default:
		LERR("store error err=%d what=\"%s\" msg=\"%s\"", err, what, msg);
		api_problem(r, 500, NULL, "%s: database error %d (%s)", what, err, msg);
		return;
	}
}

const char *api_query(struct api_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

char *api_keep(struct api_req *r, char *s)
{
	if (!s)
		return NULL;
	if (r->nkeep == r->capkeep) {
		size_t cap = r->capkeep ? r->capkeep * 2 : 16;
		void **k = realloc(r->keep, cap * sizeof(*k));

		if (!k) {
			free(s);
			return NULL;
		}
		r->keep = k;
		r->capkeep = cap;
	}
	r->keep[r->nkeep++] = s;
	return s;
}

char *api_keep_str(struct api_req *r, const char *s)
{
	return s ? api_keep(r, strdup(s)) : NULL;
}

json_t *api_body_json(struct api_req *r)
{
	json_error_t e;
	json_t *v;

	if (!r->ctype || strncasecmp(r->ctype, "application/json", 16)) {
		api_problem(r, 415, NULL, "send the body as application/json (got %s)",
			    r->ctype ? r->ctype : "no Content-Type");
		return NULL;
	}
	if (r->blen > API_JSON_MAX) {
		api_problem(r, 413, NULL, "a JSON body may have at most %d bytes", API_JSON_MAX);
		return NULL;
	}
	/* Integers stay integers (never JSON_DECODE_INT_AS_REAL): money must
	 * come as strings and a real anywhere is refused by the field checks. */
	v = json_loadb(r->body ? r->body : "", r->blen, JSON_REJECT_DUPLICATES, &e);
	if (!v) {
		api_field_err(r, "body", "line %d, column %d: %s", e.line, e.column, e.text);
		api_problem(r, 400, "Malformed JSON", "line %d, column %d: %s", e.line, e.column,
			    e.text);
		return NULL;
	}
	if (!json_is_object(v)) {
		json_decref(v);
		api_problem(r, 400, "Malformed JSON", "the body must be a JSON object");
		return NULL;
	}
	return v;
}

/* ------------------------------------------------------------------ */
/* Dispatch                                                             */
/* ------------------------------------------------------------------ */

/* Does path match pattern? Captures {x} segments as ids; *badid set when
 * a {x} segment is not a positive integer. */
static bool path_match(const char *pattern, const char *path, struct api_req *r, bool *badid)
{
	const char *p = pattern, *s = path;
	unsigned np = 0;

	*badid = false;
	while (*p && *s) {
		size_t pl = strcspn(p, "/"), sl = strcspn(s, "/");

		if (*p == '{') {
			char *end;
			long long v;

			if (!sl)
				return false;
			errno = 0;
			v = strtoll(s, &end, 10);
			if (errno || end != s + sl || v <= 0 || *s == '+' || *s == '-')
				*badid = true;
			if (np < API_PARAMS_MAX)
				r->param[np++] = *badid ? 0 : v;
		}
		else if (pl != sl || memcmp(p, s, pl)) {
			return false;
		}
		p += pl;
		s += sl;
		if (*p != *s)
			return false;
		if (*p == '/') {
			p++;
			s++;
		}
	}
	if (*p || *s)
		return false;
	r->nparam = np;
	return true;
}

static const struct api_route *route_find(struct api_req *r, unsigned *status, char *allow,
					  size_t n)
{
	size_t nr, off = 0;
	const struct api_route *t = api_routes(&nr), *hit = NULL;
	bool path_seen = false, badid = false;

	allow[0] = 0;
	for (size_t i = 0; i < nr; i++) {
		bool bad;

		if (!path_match(t[i].path, r->path, r, &bad))
			continue;
		path_seen = true;
		badid |= bad;
		if (off < n)
			off += (size_t)snprintf(allow + off, n - off, "%s%s", off ? ", " : "",
						t[i].method);
		if (!hit && !strcmp(t[i].method, r->method))
			hit = &t[i];
	}
	if (hit) {
		/* Re-match to capture this route's parameters. */
		path_match(hit->path, r->path, r, &badid);
		*status = badid ? 404 : 0;
		return hit;
	}
	*status = path_seen ? 405 : 404;
	return NULL;
}

static void req_free(struct api_req *r)
{
	if (!r)
		return;
	if (r->resp)
		MHD_destroy_response(r->resp);
	json_decref(r->errors);
	for (unsigned i = 0; i < r->nnames; i++)
		json_decref(r->names[i].name);
	for (size_t i = 0; i < r->nkeep; i++)
		free(r->keep[i]);
	free(r->keep);
	free(r->body);
	free(r);
}

static const char *client_ip(struct MHD_Connection *c, char *buf, size_t n)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	struct sa a;

	buf[0] = 0;
	if (!ci || !ci->client_addr)
		return "?";
	memset(&a, 0, sizeof(a));
	if (ci->client_addr->sa_family == AF_INET6) {
		memcpy(&a.u.in6, ci->client_addr, sizeof(a.u.in6));
		a.len = sizeof(a.u.in6);
	}
	else {
		memcpy(&a.u.in, ci->client_addr, sizeof(a.u.in));
		a.len = sizeof(a.u.in);
	}
	return sa_fmt(&a, buf, n);
}

static bool authorised(struct api_req *r)
{
	const char *h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_AUTHORIZATION);
	char ip[SA_FMT_MAX], who[128];
	const char *why;

	if (!h) {
		why = "no Authorization header";
	}
	else if (strncasecmp(h, "Bearer ", 7) || !h[7]) {
		why = "Authorization is not a Bearer token";
	}
	else if (token_ok(r->api, h + 7 + strspn(h + 7, " "), who, sizeof(who))) {
		LDEBUG("authorised token=%s method=%s path=%s", who, r->method, r->path);
		return true;
	}
	else {
		why = "unknown token";
	}
	r->api->cnt.unauthorized++;
	LWARN("unauthorized client=%s method=%s path=%s reason=\"%s\"",
	      client_ip(r->conn, ip, sizeof(ip)), r->method, r->path, why);
	api_problem(r, 401, NULL, "%s: send Authorization: Bearer TOKEN (trunkline api token add)",
		    why);
	return false;
}

static enum MHD_Result queue(struct api_req *r)
{
	enum MHD_Result ret;
	unsigned cls;

	if (!r->resp)
		api_problem(r, 500, NULL, "no answer was built");
	if (!r->resp)
		return MHD_NO;
	/* API answers are never cached; static files set their own. */
	if (!MHD_get_response_header(r->resp, "Cache-Control"))
		MHD_add_response_header(r->resp, "Cache-Control", "no-store");
	ret = MHD_queue_response(r->conn, r->status, r->resp);
	cls = r->status / 100;
	r->api->cnt.status[cls <= 5 ? cls : 0]++;
	LDEBUG("method=%s path=%s status=%u", r->method, r->path, r->status);
	MHD_destroy_response(r->resp);
	r->resp = NULL;
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload, size_t *upload_size, void **con_cls)
{
	struct api *a = cls;
	struct api_req *r = *con_cls;
	const struct api_route *rt;
	unsigned status;
	char allow[128];

	if (!r) {
		r = calloc(1, sizeof(*r));
		if (!r)
			return MHD_NO;
		r->api = a;
		r->conn = conn;
		r->method = method;
		snprintf(r->path, sizeof(r->path), "%s", url);
		r->ctype = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						       MHD_HTTP_HEADER_CONTENT_TYPE);
		*con_cls = r;
		a->cnt.requests++;
		return MHD_YES;
	}
	if (*upload_size) {
		if (!r->too_big && r->blen + *upload_size > API_BODY_MAX)
			r->too_big = true;
		if (!r->too_big) {
			if (r->blen + *upload_size + 1 > r->bcap) {
				size_t cap = (r->blen + *upload_size + 1) * 2;
				char *b;

				if (cap > API_BODY_MAX + 1)
					cap = API_BODY_MAX + 1;
				b = realloc(r->body, cap);
				if (!b)
					return MHD_NO;
				r->body = b;
				r->bcap = cap;
			}
			memcpy(r->body + r->blen, upload, *upload_size);
			r->blen += *upload_size;
			r->body[r->blen] = 0;
		}
		*upload_size = 0;
		return MHD_YES;
	}

	/* The whole request is here. */
	if (api_static(r))
		return queue(r);
	rt = route_find(r, &status, allow, sizeof(allow));
	if (!rt || !rt->noauth) {
		/* Unknown paths need a token too: nothing about the API leaks. */
		if (!authorised(r))
			return queue(r);
	}
	if (status == 405) {
		api_problem(r, 405, NULL, "%s is not allowed on %s (allowed: %s)", method, r->path,
			    allow);
		if (r->resp)
			MHD_add_response_header(r->resp, MHD_HTTP_HEADER_ALLOW, allow);
	}
	else if (status == 404 || !rt) {
		api_problem(r, 404, NULL, "no resource at %s", r->path);
	}
	else if (r->too_big) {
		api_problem(r, 413, NULL, "the body may have at most %d bytes", API_BODY_MAX);
	}
	else {
		rt->h(r, rt->arg);
	}
	return queue(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	req_free(*con_cls);
	*con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = 0;
	LWARN("libmicrohttpd: %s", msg);
}

/* ------------------------------------------------------------------ */
/* Start and stop                                                       */
/* ------------------------------------------------------------------ */

/* A PEM file into a new NUL-terminated buffer; 0 or -errno (logged). */
static int read_pem(const char *what, const char *path, char **out)
{
	enum { PEM_MAX = 1024 * 1024 };
	FILE *f = fopen(path, "rb");
	size_t n = 0;
	char *b = NULL;
	int err = 0;

	if (!f) {
		err = -errno;
		LERR("cannot read %s path=\"%s\" err=%d (%s)", what, path, err, strerror(-err));
		return err;
	}
	b = malloc(PEM_MAX + 1);
	if (!b)
		err = -ENOMEM;
	else
		n = fread(b, 1, PEM_MAX + 1, f);
	if (!err && ferror(f))
		err = -EIO;
	if (!err && n <= PEM_MAX)
		b[n] = 0;
	if (!err && (n == 0 || n > PEM_MAX || !strstr(b, "-----BEGIN "))) {
		LERR("%s is not a PEM file path=\"%s\"", what, path);
		err = -EINVAL;
	}
	fclose(f);
	if (err) {
		free(b);
		return err;
	}
	*out = b;
	return 0;
}

int api_start(struct api **ap, const struct api_prm *prm)
{
	const union MHD_DaemonInfo *di;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	struct MHD_OptionItem opt[10];
	unsigned no = 0;
	char addr[SA_FMT_MAX];
	const char *scheme = "http";
	struct api *a;
	int err;

	if (!ap || !prm || !prm->store_url || prm->ntokens > API_TOKENS_MAX ||
	    !prm->tls_cert != !prm->tls_key)
		return -EINVAL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->prm = *prm;
	for (unsigned i = 0; i < prm->ntokens; i++) {
		if (!api_sha256_hex_valid(prm->token_sha256[i])) {
			err = -EINVAL;
			goto out;
		}
		for (unsigned j = 0; j < API_SHA256_HEX; j++)
			a->tokens[i][j] = (char)tolower((unsigned char)prm->token_sha256[i][j]);
		a->prm.token_sha256[i] = a->tokens[i];
	}
	a->prm.store_url = NULL;   /* borrowed from the caller: not kept */
	a->prm.tls_cert = a->prm.tls_key = NULL;
#ifdef TL_WEB_ROOT
	a->web_root = strdup(prm->web_root ? prm->web_root : TL_WEB_ROOT);
#else
	a->web_root = strdup(prm->web_root ? prm->web_root : "");
#endif
	if (!a->web_root) {
		err = -ENOMEM;
		goto out;
	}
	a->prm.web_root = a->web_root;
	if (prm->tls_cert) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			LERR("HTTPS asked for (tls_cert) but libmicrohttpd was built without TLS");
			err = -ENOTSUP;
			goto out;
		}
		if ((err = read_pem("tls_cert", prm->tls_cert, &a->tls_cert)) ||
		    (err = read_pem("tls_key", prm->tls_key, &a->tls_key)))
			goto out;
		flags |= MHD_USE_TLS;
		scheme = "https";
	}
	err = store_open(&a->st, prm->store_url);
	if (err)
		goto out;
	if (sa_af(&prm->listen) == AF_INET6)
		flags |= MHD_USE_IPv6;
	opt[no++] = (struct MHD_OptionItem){ MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, a };
	opt[no++] = (struct MHD_OptionItem){ MHD_OPTION_SOCK_ADDR, 0, &a->prm.listen.u.sa };
	opt[no++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed,
					     a };
	opt[no++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT, 256, NULL };
	opt[no++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT, 60, NULL };
	if (a->tls_cert) {
		opt[no++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, a->tls_cert };
		opt[no++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, a->tls_key };
	}
	opt[no] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	/* One internal thread: requests are handled one at a time on it, so
	 * its store connection is never shared. */
	errno = 0;
	a->mhd = MHD_start_daemon(flags, sa_port(&prm->listen), NULL, NULL, on_request, a,
				  MHD_OPTION_ARRAY, opt, MHD_OPTION_END);
	if (!a->mhd) {
		err = errno == EADDRINUSE || !a->tls_cert ? (errno ? -errno : -EADDRINUSE)
							   : -EINVAL;
		LERR("cannot listen listen=%s://%s err=%d (%s)%s", scheme,
		     sa_fmt(&prm->listen, addr, sizeof(addr)), err, strerror(-err),
		     a->tls_cert ? " (or the certificate and key do not go together)" : "");
		goto out;
	}
	di = MHD_get_daemon_info(a->mhd, MHD_DAEMON_INFO_BIND_PORT);
	a->port = di ? di->port : sa_port(&prm->listen);
	{
		struct sa shown = prm->listen;

		sa_set_port(&shown, a->port);
		LINFO("listening listen=%s://%s config_tokens=%u web_root=\"%s\"", scheme,
		      sa_fmt(&shown, addr, sizeof(addr)), prm->ntokens,
		      *a->web_root ? a->web_root : "off");
	}
out:
	if (err) {
		if (a->mhd)
			MHD_stop_daemon(a->mhd);
		store_close(a->st);
		free(a->web_root);
		free(a->tls_cert);
		free(a->tls_key);
		free(a);
	}
	else {
		*ap = a;
	}
	return err;
}

uint16_t api_port(const struct api *a)
{
	return a ? a->port : 0;
}

void api_stop(struct api *a)
{
	if (!a)
		return;
	MHD_stop_daemon(a->mhd);
	store_close(a->st);
	LINFO("stopped requests=%llu unauthorized=%llu",
	      (unsigned long long)a->cnt.requests, (unsigned long long)a->cnt.unauthorized);
	free(a->web_root);
	free(a->tls_cert);
	free(a->tls_key);
	free(a);
}
