/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file api_int.h  Internals shared by the API's files: the server, one
 *                  request, the route table, JSON and problem helpers, the
 *                  generic resource descriptors and the value checks.
 */
#ifndef TL_API_INT_H
#define TL_API_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "api.h"
#include "store.h"

struct MHD_Daemon;
struct MHD_Connection;
struct MHD_Response;

enum {
	API_BODY_MAX = 64 * 1024 * 1024,   /* a CSV rate deck of ~1M rows */
	API_JSON_MAX = 1024 * 1024,
	API_PARAMS_MAX = 4,
	API_LIMIT_DEFAULT = 100,
	API_LIMIT_MAX = 1000,
	API_RANGE_MAX = 10000,             /* numbers in one range */
	API_NAMES_MEMO = 32,               /* names remembered per request */
};

struct api_counters {
	_Atomic uint64_t requests;
	_Atomic uint64_t status[6];        /* by class: 1xx..5xx, [0] other */
	_Atomic uint64_t unauthorized;
};

struct api {
	struct MHD_Daemon *mhd;            /* owned */
	struct store *st;                  /* owned: used by the HTTP thread only */
	struct api_prm prm;                /* copy; token strings copied below */
	char tokens[API_TOKENS_MAX][API_SHA256_HEX + 1];
	uint16_t port;
	struct api_counters cnt;
	char *web_root;                    /* owned; prm.web_root points here */
	char *tls_cert, *tls_key;          /* owned PEM texts (MHD borrows them), or NULL */
};

/* One request, from its first byte to its response. */
struct api_req {
	struct api *api;                   /* borrowed */
	struct MHD_Connection *conn;       /* borrowed */
	const char *method;                /* borrowed from MHD */
	char path[1024];                   /* without the query */
	const char *ctype;                 /* Content-Type, NULL when none */
	char *body;                        /* owned, NUL-terminated */
	size_t blen, bcap;
	bool too_big;
	bool auth_done;
	int64_t param[API_PARAMS_MAX];     /* {id} values of the matched route, in order */
	unsigned nparam;
	/* The answer being built. */
	unsigned status;
	struct MHD_Response *resp;         /* owned until queued */
	json_t *errors;                    /* owned: "errors" of a problem document */
	void **keep;                       /* owned: strings freed with the request */
	size_t nkeep, capkeep;
	struct {                           /* api_name_of's answers (one reference each):
					      a page names the same few rows often */
		bool carrier;
		int64_t id;
		json_t *name;
	} names[API_NAMES_MEMO];
	unsigned nnames;
};

/* ------------------------------------------------------------------ */
/* Route table (routes.c)                                               */
/* ------------------------------------------------------------------ */

typedef void (api_route_h)(struct api_req *r, const void *arg);

struct api_route {
	const char *method;                /* "GET", "POST", "PATCH", "DELETE" */
	const char *path;                  /* "/api/customers/{id}" as in openapi.json */
	api_route_h *h;
	const void *arg;                   /* e.g. the resource descriptor */
	bool noauth;                       /* served without a token */
};

const struct api_route *api_routes(size_t *n);
/** The embedded OpenAPI document (openapi.json), NUL-terminated. */
extern const char api_openapi_json[];

/* ------------------------------------------------------------------ */
/* Answers (http.c)                                                     */
/* ------------------------------------------------------------------ */

/** Answer with a JSON value (stolen: the reply owns it). */
void api_reply_json(struct api_req *r, unsigned status, json_t *v);
/** Answer with bytes of a content type (copied). */
void api_reply_text(struct api_req *r, unsigned status, const char *ctype, const char *text,
		    size_t len);
/** Answer with a response already built (owned by r from now). */
void api_reply_resp(struct api_req *r, unsigned status, struct MHD_Response *resp);
/**
 * Answer with an RFC 9457 problem document: type "about:blank"-style
 * URN per status, title, detail (printf), and r->errors when there are
 * any field errors.
 */
void api_problem(struct api_req *r, unsigned status, const char *title, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/** Record a field error ("errors": [{"field", "detail"}]). */
void api_field_err(struct api_req *r, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline bool api_has_errors(const struct api_req *r)
{
	return r->errors && json_array_size(r->errors);
}
/** 422 with the recorded field errors. */
void api_invalid(struct api_req *r);
/** Map a store error to a problem: -ENOENT 404 (or 422 naming the field
 *  of a missing reference), -EEXIST/-EBUSY 409, -EINVAL 422, else 500. */
void api_store_problem(struct api_req *r, int err, const char *what);

/** A query parameter, NULL when absent. */
const char *api_query(struct api_req *r, const char *name);
/** Keep s (malloc'd) until the request ends; returns s (NULL stays NULL). */
char *api_keep(struct api_req *r, char *s);
/** A copy of s kept until the request ends. */
char *api_keep_str(struct api_req *r, const char *s);

/** Parse the body as a JSON object; answers 400/415 itself and returns NULL. */
json_t *api_body_json(struct api_req *r);

/* ------------------------------------------------------------------ */
/* Value checks (valid.c): 0, or -EINVAL after api_field_err            */
/* ------------------------------------------------------------------ */

/** A check of a text field: in is the JSON string; *out gets the value to
 *  store (in itself or a normalised copy kept by the request). */
typedef int (api_check_h)(struct api_req *r, const char *field, const char *in,
			  const char **out);

api_check_h api_v_name, api_v_country, api_v_cidrs, api_v_sip_uri, api_v_e164, api_v_prefix,
	api_v_digits, api_v_media, api_v_numfmt, api_v_transport, api_v_numtype, api_v_currency,
	api_v_host, api_v_add_prefix, api_v_username, api_v_realm;

/** Money from a JSON value: only a string of an exact decimal. */
int api_v_money(struct api_req *r, const char *field, const json_t *v, bool allow_negative,
		int64_t *out);
/** Dates: "2025-01-31", "2025-01-31T12:00:00Z" (UTC) into Unix ms. */
int api_date_parse(const char *s, int64_t *ms);
/** Unix ms as "2025-01-31T12:00:00Z" (buf >= 24 bytes). */
const char *api_date_fmt(int64_t ms, char *buf, size_t n);

/* ------------------------------------------------------------------ */
/* Resources (kinds.c): generic CRUD over store rows                    */
/* ------------------------------------------------------------------ */

enum api_ftype {
	AF_TEXT,                           /* char * */
	AF_INT,                            /* int64_t in [min, max] */
	AF_BOOL,                           /* bool */
	AF_MONEY,                          /* int64_t micro-units, JSON string */
	AF_REF,                            /* int64_t id of another resource, 0 = null */
	AF_DATE,                           /* int64_t Unix ms, JSON date string, 0 = null */
	AF_E164,                           /* char * digits, shown with '+' */
};

enum api_fflags {
	AFF_REQ = 1 << 0,                  /* required on create */
	AFF_NULL = 1 << 1,                 /* may be null (cleared) */
	AFF_RO = 1 << 2,                   /* never written through the API */
	AFF_WO = 1 << 3,                   /* never shown (password) */
	AFF_FILTER = 1 << 4,               /* list filter by equality (?field=) */
	AFF_NEG = 1 << 5,                  /* AF_MONEY: may be negative */
	AFF_OWNER = 1 << 6,                /* set from the path ({owner}), not the body */
	AFF_VIRTUAL = 1 << 7,              /* not a row member (off unused) */
};

struct api_fld {
	const char *name;
	enum api_ftype type;
	size_t off;
	unsigned flags;
	int64_t min, max;                  /* AF_INT */
	api_check_h *check;                /* AF_TEXT */
	const char *ref;                   /* AF_REF: store table, for 422 mapping */
};

struct api_kind;
typedef int (api_row_h)(const void *row, void *arg);

struct api_kind {
	const char *name;                  /* "customer" */
	size_t size;                       /* row struct */
	const struct api_fld *f;
	size_t nf;
	const char *parent_fld;            /* filter the store does itself, or NULL */
	int (*add)(struct store *st, void *row, const struct api_kind *k);
	int (*update)(struct store *st, const void *row, const struct api_kind *k);
	int (*del)(struct store *st, int64_t id, const struct api_kind *k);
	int (*get)(struct store *st, int64_t id, void *row, const struct api_kind *k);
	void (*reset)(void *row);
	int (*foreach)(struct store *st, int64_t parent, api_row_h *h, void *arg,
		       const struct api_kind *k);
	void (*init)(void *row);           /* defaults before a create */
	/* Cross-field rules after the fields were applied; body is the request
	 * (for virtual fields), orig the stored row on update (NULL on create). */
	int (*finish)(struct api_req *r, void *row, const void *orig, json_t *body);
	int deck;                          /* rates: enum store_deck */
	const struct api_kind *owner;      /* rates: the kind of {owner} */
};

extern const struct api_kind api_k_customer, api_k_trunk, api_k_trunk_uri, api_k_carrier,
	api_k_gateway, api_k_tariff, api_k_number, api_k_carrier_rate, api_k_tariff_rate;

api_route_h api_h_list, api_h_get, api_h_create, api_h_update, api_h_delete;
api_route_h api_h_number_range, api_h_rate_create;
api_route_h api_h_cdr_list, api_h_cdr_get, api_h_cdr_csv;
api_route_h api_h_route_explain, api_h_metrics, api_h_openapi, api_h_health;
api_route_h api_h_calls_list, api_h_calls_get, api_h_calls_hangup, api_h_stats;

/** A row as JSON by its kind's fields. */
json_t *api_row_json(const struct api_kind *k, const void *row);
/** The field descriptor by JSON name, NULL when unknown. */
const struct api_fld *api_kind_fld(const struct api_kind *k, const char *name);

/** GET / and /web/<file>: the dashboard's static files (static.c). true when
 *  it answered (the file, 304, 404, 405), false when the path is not its. */
bool api_static(struct api_req *r);

/** A carrier's or customer's name as JSON (null for 0 or a row gone), for
 *  answers that show ids (misc.c). */
json_t *api_name_of(struct api_req *r, bool carrier, int64_t id);

/** Rates CSV import into one deck owner; answers itself (rates.c). */
void api_rates_import(struct api_req *r, const struct api_kind *k, int64_t owner);

#endif /* TL_API_INT_H */
