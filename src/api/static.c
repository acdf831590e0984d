/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file static.c  The dashboard's static files: GET / (index.html) and
 *                 GET /web/<file> from the web root directory, without a
 *                 token (the page logs in itself), with content types,
 *                 validators (ETag, 304) and no way out of the directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "api_int.h"

#define LOG_MOD "api"

enum {
	STATIC_FILE_MAX = 16 * 1024 * 1024,   /* nothing the dashboard ships is near it */
	STATIC_PATH_MAX = 200,
};

static const struct {
	const char *ext;
	const char *type;
} ctypes[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".mjs", "text/javascript; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".json", "application/json" },
	{ ".map", "application/json" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".ico", "image/x-icon" },
	{ ".woff2", "font/woff2" },
	{ ".txt", "text/plain; charset=utf-8" },
};

static const char *ctype_of(const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < ARRAY_SIZE(ctypes); i++) {
		size_t e = strlen(ctypes[i].ext);

		if (n > e && !strcasecmp(name + n - e, ctypes[i].ext))
			return ctypes[i].type;
	}
	return "application/octet-stream";
}

/* A relative name inside the web root: segments of [A-Za-z0-9._-], none
 * empty and none starting with a dot (so no "..", no hidden files), no
 * leading slash. libmicrohttpd has already decoded %xx, so "%2e%2e" is
 * checked as "..". A whitelist, because every other character is a way
 * to say something the file system reads differently. */
static bool name_ok(const char *rel)
{
	const char *s = rel;

	if (!*rel || strlen(rel) > STATIC_PATH_MAX)
		return false;
	while (*s) {
		size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				     "0123456789._-");

		if (!n || *s == '.')
			return false;
		s += n;
		if (*s == '/') {
			s++;
			if (!*s)
				return false;
		}
		else if (*s) {
			return false;
		}
	}
	return true;
}

bool api_static(struct api_req *r)
{
	const char *root = r->api->prm.web_root, *rel, *inm;
	char path[PATH_MAX], etag[64];
	struct MHD_Response *resp;
	struct stat st;
	bool vendor;
	int fd;

	if (!root || !*root)
		return false;
	if (!strcmp(r->path, "/"))
		rel = "index.html";
	else if (!strncmp(r->path, "/web/", 5))
		rel = r->path + 5;
	else
		return false;
	/* The files are public; anything but reading them is not allowed. */
	if (strcmp(r->method, "GET") && strcmp(r->method, "HEAD")) {
		api_problem(r, 405, NULL, "%s is not allowed on %s (allowed: GET, HEAD)", r->method,
			    r->path);
		if (r->resp)
			MHD_add_response_header(r->resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
		return true;
	}
	if (!name_ok(rel)) {
		LWARN("static path refused path=\"%.200s\"", r->path);
		api_problem(r, 404, NULL, "no file at %.200s", r->path);
		return true;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", root, rel) >= sizeof(path)) {
		api_problem(r, 404, NULL, "no file at %.200s", r->path);
		return true;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > STATIC_FILE_MAX) {
		if (fd >= 0)
			close(fd);
		LDEBUG("static file missing path=\"%s\"", rel);
		api_problem(r, 404, NULL, "no file at %.200s", r->path);
		return true;
	}
	/* Size and modification time: changes when the build copies a new file. */
	snprintf(etag, sizeof(etag), "\"%llx-%llx\"", (unsigned long long)st.st_size,
		 (unsigned long long)st.st_mtim.tv_sec * 1000000000ULL +
			 (unsigned long long)st.st_mtim.tv_nsec);
	inm = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
					  MHD_HTTP_HEADER_IF_NONE_MATCH);
	if (inm && strstr(inm, etag)) {
		close(fd);
		resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		if (!resp)
			return true;
		api_reply_resp(r, MHD_HTTP_NOT_MODIFIED, resp);
	}
	else {
		/* libmicrohttpd owns fd from here, also when it fails. */
		resp = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
		if (!resp) {
			api_problem(r, 500, NULL, "cannot send %s", rel);
			return true;
		}
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype_of(rel));
		api_reply_resp(r, MHD_HTTP_OK, resp);
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
	/* Third-party files under vendor/ change only with a new build; ours
	 * are checked on every load (cheap with the ETag), so an upgrade shows
	 * at once. */
	vendor = !strncmp(rel, "vendor/", 7);
	MHD_add_response_header(resp, "Cache-Control",
				vendor ? "public, max-age=86400" : "no-cache");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	if (!strcmp(rel, "index.html"))
		MHD_add_response_header(resp, "Content-Security-Policy",
					"default-src 'self'; style-src 'self' 'unsafe-inline'; "
					"img-src 'self' data:; connect-src 'self'; "
					"frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
	return true;
}
