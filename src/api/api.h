/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file api.h  The REST API: provisioning, CDRs, route explanations and
 *              Prometheus metrics as JSON over HTTP (libmicrohttpd).
 *
 * One HTTP thread (libmicrohttpd's internal polling thread) with its own
 * store connection handles every request to completion, so the connection
 * is used by one thread only. Changes go to the database; the daemon's
 * snapshot reloader picks them up by the store generation, so routing
 * follows without a restart. Errors are RFC 9457 problem documents.
 * docs/API.md is the user's guide; src/api/openapi.json the reference.
 */
#ifndef TL_API_H
#define TL_API_H

#include <stddef.h>
#include <stdint.h>
#include "core.h"

struct api;
struct store_cdr_writer;
struct route_state;
struct api_metrics;
struct uas;
struct hist;

enum {
	API_PORT_DEFAULT = 8080,
	API_TOKENS_MAX = 8,        /* hashed tokens accepted from the config */
	API_SHA256_HEX = 64,
	API_TOKEN_LEN = 43,        /* "tl_" + 40 random characters */
};

/**
 * Extra metrics the embedding program can add to /metrics on each scrape
 * (the daemon adds its SIP, transaction and transport counters). Runs on
 * the HTTP thread; call api_metric() for each sample.
 */
typedef void (api_metrics_h)(struct api_metrics *m, void *arg);

struct api_prm {
	struct sa listen;          /* address and port (port 0: ephemeral) */
	const char *store_url;     /* the API opens its own connection */
	/* SHA-256 (hex) of tokens accepted besides those in the store. */
	const char *token_sha256[API_TOKENS_MAX];
	unsigned ntokens;
	struct store_cdr_writer *cdrw;     /* borrowed, may be NULL: CDR queue metrics */
	const struct route_state *live;    /* borrowed, may be NULL: for route explain */
	struct uas *uas;                   /* borrowed, may be NULL: live calls, hang-up,
					      statistics (else 503) */
	api_metrics_h *metricsh;           /* may be NULL */
	/* The dashboard's files, served at / and /web/ without a token (copied);
	 * NULL: the directory the build assembled, "": no dashboard. */
	const char *web_root;
	/* HTTPS: PEM files of the certificate (chain) and its private key,
	 * read at start; both NULL = plain HTTP. */
	const char *tls_cert, *tls_key;
	void *arg;                         /* for metricsh */
};

/**
 * Open the store connection and start serving on prm->listen. Sets *ap
 * only on success; fails with -EADDRINUSE etc. when it cannot listen.
 */
int api_start(struct api **ap, const struct api_prm *prm);
/** The port actually bound (for port 0). */
uint16_t api_port(const struct api *a);
/** Stop serving (waits for the request in progress), close, free. NULL-safe. */
void api_stop(struct api *a);

/**
 * Add one sample: name (a Prometheus metric name), type ("counter" or
 * "gauge"), help text (printed once per name), labels ("" or
 * 'carrier="7",code="503"'), value.
 */
void api_metric(struct api_metrics *m, const char *name, const char *type, const char *help,
		const char *labels, uint64_t value);

/**
 * Add a histogram (Prometheus "histogram": name_bucket{le=...}, name_sum,
 * name_count). h counts integers in units of 1/scale of the exported
 * unit (scale 1000 for ms exported as seconds).
 */
void api_metric_hist(struct api_metrics *m, const char *name, const char *help,
		     const char *labels, const struct hist *h, double scale);

/** Lower-case hex SHA-256 of a token, what the store and config keep. */
int api_token_hash(const char *token, char hex[API_SHA256_HEX + 1]);
/** A new random token ("tl_" + 40 characters of [0-9A-Za-z]). */
int api_token_new(char out[API_TOKEN_LEN + 1]);
/** true when s is 64 hex digits (either case). */
bool api_sha256_hex_valid(const char *s);

#endif /* TL_API_H */
