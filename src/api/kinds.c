/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file kinds.c  Provisioning resources: one descriptor per kind (its JSON
 *                fields, checks and store calls) and one generic list,
 *                get, create, update and delete over them; number ranges.
 */
#include <errno.h>
#include <microhttpd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api_int.h"
#include "sip.h"

#define LOG_MOD "api"

/* ------------------------------------------------------------------ */
/* Store calls per kind                                                 */
/* ------------------------------------------------------------------ */

struct each {
	api_row_h *h;
	void *arg;
};

#define KIND_OPS(K)                                                                        \
static int K##_add(struct store *st, void *row, const struct api_kind *k)                  \
{ return store_##K##_add(st, row); }                                                       \
static int K##_update(struct store *st, const void *row, const struct api_kind *k)         \
{ return store_##K##_update(st, row); }                                                    \
static int K##_del(struct store *st, int64_t id, const struct api_kind *k)                 \
{ return store_##K##_del(st, id); }                                                        \
static int K##_get(struct store *st, int64_t id, void *row, const struct api_kind *k)      \
{ return store_##K##_get(st, id, row); }                                                   \
static void K##_reset(void *row) { store_##K##_reset(row); }                               \
static int K##_each(const struct store_##K *row, void *arg)                                \
{ struct each *e = arg; return e->h(row, e->arg); }                                        \
static int K##_foreach(struct store *st, int64_t parent, api_row_h *h, void *arg,          \
		       const struct api_kind *k)                                           \
{ struct each e = { h, arg }; return store_foreach_##K(st, parent, K##_each, &e); }

KIND_OPS(customer)
KIND_OPS(trunk)
KIND_OPS(trunk_uri)
KIND_OPS(carrier)
KIND_OPS(gateway)
KIND_OPS(tariff)
KIND_OPS(number)

static int rate_add(struct store *st, void *row, const struct api_kind *k)
{ return store_rate_add(st, (enum store_deck)k->deck, row); }
static int rate_update(struct store *st, const void *row, const struct api_kind *k)
{ return store_rate_update(st, (enum store_deck)k->deck, row); }
static int rate_del(struct store *st, int64_t id, const struct api_kind *k)
{ return store_rate_del(st, (enum store_deck)k->deck, id); }
static int rate_get(struct store *st, int64_t id, void *row, const struct api_kind *k)
{ return store_rate_get(st, (enum store_deck)k->deck, id, row); }
static void rate_reset(void *row) { store_rate_reset(row); }
static int rate_each(const struct store_rate *row, void *arg)
{ struct each *e = arg; return e->h(row, e->arg); }
static int rate_foreach(struct store *st, int64_t parent, api_row_h *h, void *arg,
			const struct api_kind *k)
{
	struct each e = { h, arg };

	return store_foreach_rate(st, (enum store_deck)k->deck, parent, rate_each, &e);
}

/* ------------------------------------------------------------------ */
/* Descriptors                                                          */
/* ------------------------------------------------------------------ */

#define TXT(s, c, fl, chk)    { #c, AF_TEXT, offsetof(struct s, c), fl, 0, 0, chk, NULL }
#define INT(s, c, fl, lo, hi) { #c, AF_INT, offsetof(struct s, c), fl, lo, hi, NULL, NULL }
#define BOOLF(s, c, fl)       { #c, AF_BOOL, offsetof(struct s, c), fl, 0, 0, NULL, NULL }
#define MONEY(s, c, fl)       { #c, AF_MONEY, offsetof(struct s, c), fl, 0, 0, NULL, NULL }
#define REFF(s, c, fl, t)     { #c, AF_REF, offsetof(struct s, c), fl, 0, 0, NULL, t }

static const struct api_fld f_customer[] = {
	TXT(store_customer, name, AFF_REQ | AFF_FILTER, api_v_name),
	TXT(store_customer, country, AFF_NULL | AFF_FILTER, api_v_country),
	REFF(store_customer, tariff_id, AFF_NULL | AFF_FILTER, "tariffs"),
	MONEY(store_customer, credit_limit, 0),
	MONEY(store_customer, balance, AFF_NEG),
	INT(store_customer, max_channels, 0, 0, UINT32_MAX),
	INT(store_customer, max_cps, 0, 0, UINT32_MAX),
	BOOLF(store_customer, enabled, AFF_FILTER),
};

static const struct api_fld f_trunk[] = {
	REFF(store_trunk, customer_id, AFF_REQ | AFF_FILTER, "customers"),
	TXT(store_trunk, name, AFF_REQ | AFF_FILTER, api_v_name),
	TXT(store_trunk, cidrs, AFF_NULL, api_v_cidrs),
	TXT(store_trunk, username, AFF_NULL | AFF_FILTER, api_v_username),
	TXT(store_trunk, realm, AFF_NULL, api_v_realm),
	{ "password", AF_TEXT, 0, AFF_VIRTUAL | AFF_WO, 0, 0, NULL, NULL },
	TXT(store_trunk, tech_prefix, AFF_NULL, api_v_digits),
	TXT(store_trunk, media_mode, 0, api_v_media),
	INT(store_trunk, max_channels, 0, 0, UINT32_MAX),
	BOOLF(store_trunk, enabled, AFF_FILTER),
};

static const struct api_fld f_trunk_uri[] = {
	REFF(store_trunk_uri, trunk_id, AFF_REQ | AFF_FILTER, "trunks"),
	TXT(store_trunk_uri, uri, AFF_REQ, api_v_sip_uri),
	INT(store_trunk_uri, priority, 0, 0, 65535),
	INT(store_trunk_uri, weight, 0, 0, 65535),
};

static const struct api_fld f_carrier[] = {
	TXT(store_carrier, name, AFF_REQ | AFF_FILTER, api_v_name),
	TXT(store_carrier, cidrs, AFF_NULL, api_v_cidrs),
	INT(store_carrier, priority, 0, 0, UINT32_MAX),
	INT(store_carrier, max_channels, 0, 0, UINT32_MAX),
	INT(store_carrier, max_cps, 0, 0, UINT32_MAX),
	TXT(store_carrier, number_format, 0, api_v_numfmt),
	INT(store_carrier, strip_digits, 0, 0, 15),
	TXT(store_carrier, add_prefix, AFF_NULL, api_v_add_prefix),
	BOOLF(store_carrier, enabled, AFF_FILTER),
};

static const struct api_fld f_gateway[] = {
	REFF(store_gateway, carrier_id, AFF_REQ | AFF_FILTER, "carriers"),
	TXT(store_gateway, host, AFF_REQ | AFF_FILTER, api_v_host),
	INT(store_gateway, port, 0, 1, 65535),
	TXT(store_gateway, transport, AFF_FILTER, api_v_transport),
	INT(store_gateway, priority, 0, 0, 65535),
	INT(store_gateway, weight, 0, 0, 65535),
	BOOLF(store_gateway, enabled, AFF_FILTER),
};

static const struct api_fld f_tariff[] = {
	TXT(store_tariff, name, AFF_REQ | AFF_FILTER, api_v_name),
	TXT(store_tariff, currency, AFF_NULL | AFF_FILTER, api_v_currency),
};

static const struct api_fld f_number[] = {
	{ "e164", AF_E164, offsetof(struct store_number, e164), AFF_REQ | AFF_FILTER, 0, 0, NULL,
	  NULL },
	TXT(store_number, country, AFF_NULL | AFF_FILTER, api_v_country),
	TXT(store_number, type, AFF_FILTER, api_v_numtype),
	REFF(store_number, customer_id, AFF_REQ | AFF_NULL | AFF_FILTER, "customers"),
	REFF(store_number, trunk_id, AFF_NULL | AFF_FILTER, "trunks"),
	TXT(store_number, delivery_uri, AFF_NULL, api_v_sip_uri),
	BOOLF(store_number, enabled, AFF_FILTER),
};

#define RATE_FIELDS(owner)                                                                 \
	{ owner, AF_REF, offsetof(struct store_rate, owner_id), AFF_OWNER, 0, 0, NULL, NULL }, \
	TXT(store_rate, prefix, AFF_REQ | AFF_FILTER, api_v_prefix),                         \
	MONEY(store_rate, rate, AFF_REQ),                                                    \
	MONEY(store_rate, connect_fee, 0),                                                   \
	INT(store_rate, inc_first, 0, 1, 65535),                                             \
	INT(store_rate, inc_next, 0, 1, 65535),                                              \
	{ "effective_from", AF_DATE, offsetof(struct store_rate, effective_from), AFF_NULL,   \
	  0, 0, NULL, NULL }

static const struct api_fld f_carrier_rate[] = { RATE_FIELDS("carrier_id") };
static const struct api_fld f_tariff_rate[] = { RATE_FIELDS("tariff_id") };

static void customer_init(void *row)
{
	((struct store_customer *)row)->enabled = true;
}

static void trunk_init(void *row)
{
	((struct store_trunk *)row)->enabled = true;
}

static void trunk_uri_init(void *row)
{
	((struct store_trunk_uri *)row)->weight = 1;
}

static void carrier_init(void *row)
{
	((struct store_carrier *)row)->enabled = true;
}

static void gateway_init(void *row)
{
	struct store_gateway *g = row;

	g->port = 5060;
	g->weight = 1;
	g->enabled = true;
}

static void number_init(void *row)
{
	((struct store_number *)row)->enabled = true;
}

static void rate_init(void *row)
{
	struct store_rate *r = row;

	r->inc_first = r->inc_next = 60;
}

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* Credentials: the password comes in, only its HA1s are stored (MD5 and,
 * for RFC 8760 clients, SHA-256), and neither ever goes out. */
static int trunk_finish(struct api_req *r, void *row, const void *orig, json_t *body)
{
	struct store_trunk *t = row;
	const struct store_trunk *o = orig;
	json_t *pw = json_object_get(body, "password");
	const char *pass = NULL;

	if (pw && !json_is_null(pw)) {
		if (!json_is_string(pw) || !*json_string_value(pw)) {
			api_field_err(r, "password", "expected a non-empty string");
			return -EINVAL;
		}
		pass = json_string_value(pw);
		if (!t->username) {
			api_field_err(r, "password", "a password needs a username");
			return -EINVAL;
		}
	}
	if (!t->username) {
		t->realm = NULL;
		t->ha1 = NULL;
		t->ha1_sha256 = NULL;
	}
	else if (!t->realm) {
		t->realm = "trunkline";
	}
	if (pass) {
		char md5[SIP_DIGEST_HEX_MAX + 1], sha[SIP_DIGEST_HEX_MAX + 1];
		struct pl u = pl_cstr(t->username), re = pl_cstr(t->realm), p = pl_cstr(pass);

		if (sip_digest_ha1(SIP_DIGEST_MD5, &u, &re, &p, md5) ||
		    sip_digest_ha1(SIP_DIGEST_SHA256, &u, &re, &p, sha))
			return -ENOMEM;
		t->ha1 = api_keep_str(r, md5);
		t->ha1_sha256 = api_keep_str(r, sha);
		if (!t->ha1 || !t->ha1_sha256)
			return -ENOMEM;
	}
	else if (t->username && o &&
		 (!str_eq(t->username, o->username) || !str_eq(t->realm, o->realm))) {
		/* The stored HA1 was computed over the old user and realm. */
		api_field_err(r, "password", "required when username or realm change");
		return -EINVAL;
	}
	else if (t->username && !t->ha1) {
		api_field_err(r, "password", "required with a username");
		return -EINVAL;
	}
	if (!t->cidrs && !t->username) {
		api_field_err(r, "cidrs", "a trunk needs cidrs, or username and password, or both");
		return -EINVAL;
	}
	return 0;
}

#define KIND(var, n, S, F, parent, K, init, fin)                                           \
	const struct api_kind var = { n, sizeof(struct S), F, ARRAY_SIZE(F), parent,       \
		K##_add, K##_update, K##_del, K##_get, K##_reset, K##_foreach, init, fin,  \
		0, NULL }

KIND(api_k_customer, "customer", store_customer, f_customer, NULL, customer, customer_init,
     NULL);
KIND(api_k_trunk, "trunk", store_trunk, f_trunk, "customer_id", trunk, trunk_init,
     trunk_finish);
KIND(api_k_trunk_uri, "trunk URI", store_trunk_uri, f_trunk_uri, "trunk_id", trunk_uri,
     trunk_uri_init, NULL);
KIND(api_k_carrier, "carrier", store_carrier, f_carrier, NULL, carrier, carrier_init, NULL);
KIND(api_k_gateway, "gateway", store_gateway, f_gateway, "carrier_id", gateway, gateway_init,
     NULL);
KIND(api_k_tariff, "tariff", store_tariff, f_tariff, NULL, tariff, NULL, NULL);
KIND(api_k_number, "number", store_number, f_number, "customer_id", number, number_init,
     NULL);

const struct api_kind api_k_carrier_rate = {
	"carrier rate", sizeof(struct store_rate), f_carrier_rate, ARRAY_SIZE(f_carrier_rate),
	NULL, rate_add, rate_update, rate_del, rate_get, rate_reset, rate_foreach, rate_init,
	NULL, STORE_DECK_CARRIER, &api_k_carrier,
};
const struct api_kind api_k_tariff_rate = {
	"tariff rate", sizeof(struct store_rate), f_tariff_rate, ARRAY_SIZE(f_tariff_rate),
	NULL, rate_add, rate_update, rate_del, rate_get, rate_reset, rate_foreach, rate_init,
	NULL, STORE_DECK_TARIFF, &api_k_tariff,
};

/* ------------------------------------------------------------------ */
/* Rows and JSON                                                        */
/* ------------------------------------------------------------------ */

static int64_t *f_i64(const struct api_fld *f, const void *row)
{
	return (int64_t *)(uintptr_t)((const char *)row + f->off);
}

static char **f_txt(const struct api_fld *f, const void *row)
{
	return (char **)(uintptr_t)((const char *)row + f->off);
}

static bool *f_bool(const struct api_fld *f, const void *row)
{
	return (bool *)(uintptr_t)((const char *)row + f->off);
}

const struct api_fld *api_kind_fld(const struct api_kind *k, const char *name)
{
	for (size_t i = 0; i < k->nf; i++) {
		if (!strcmp(k->f[i].name, name))
			return &k->f[i];
	}
	return NULL;
}

json_t *api_row_json(const struct api_kind *k, const void *row)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	json_object_set_new(o, "id", json_integer(*(const int64_t *)row));
	for (size_t i = 0; i < k->nf; i++) {
		const struct api_fld *f = &k->f[i];
		char buf[64];
		json_t *v;

		if (f->flags & (AFF_WO | AFF_VIRTUAL))
			continue;
		switch (f->type) {
		case AF_TEXT:
			v = *f_txt(f, row) ? json_string(*f_txt(f, row)) : json_null();
			break;
		case AF_E164:
			if (*f_txt(f, row)) {
				snprintf(buf, sizeof(buf), "+%s", *f_txt(f, row));
				v = json_string(buf);
			}
			else {
				v = json_null();
			}
			break;
		case AF_INT:
			v = json_integer(*f_i64(f, row));
			break;
		case AF_BOOL:
			v = json_boolean(*f_bool(f, row));
			break;
		case AF_MONEY:
			v = json_string(dec_fmt(*f_i64(f, row), buf, sizeof(buf)));
			break;
		case AF_REF:
			v = *f_i64(f, row) ? json_integer(*f_i64(f, row)) : json_null();
			break;
		case AF_DATE:
			v = *f_i64(f, row) ? json_string(api_date_fmt(*f_i64(f, row), buf, sizeof(buf)))
					   : json_null();
			break;
		default:
			v = json_null();
			break;
		}
		json_object_set_new(o, f->name, v);
	}
	return o;
}

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number with a fraction";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

/* One JSON value into its field of row. 0 or -EINVAL (error recorded). */
static int fld_apply(struct api_req *r, const struct api_fld *f, void *row, json_t *v)
{
	const char *s;

	if (json_is_null(v)) {
		if (!(f->flags & AFF_NULL) && f->type != AF_DATE) {
			api_field_err(r, f->name, "may not be null");
			return -EINVAL;
		}
		if (f->type == AF_TEXT || f->type == AF_E164)
			*f_txt(f, row) = NULL;
		else
			*f_i64(f, row) = 0;
		return 0;
	}
	switch (f->type) {
	case AF_TEXT:
	case AF_E164:
		if (!json_is_string(v)) {
			api_field_err(r, f->name, "expected a string, got %s", type_name(v));
			return -EINVAL;
		}
		s = json_string_value(v);
		if (strlen(s) != json_string_length(v)) {
			api_field_err(r, f->name, "contains a NUL character");
			return -EINVAL;
		}
		if (f->type == AF_E164 ? api_v_e164(r, f->name, s, &s) :
		    f->check ? f->check(r, f->name, s, &s) : 0)
			return -EINVAL;
		*f_txt(f, row) = (char *)(uintptr_t)s;
		return 0;
	case AF_INT:
		if (!json_is_integer(v)) {
			api_field_err(r, f->name, "expected an integer %lld..%lld, got %s",
				      (long long)f->min, (long long)f->max, type_name(v));
			return -EINVAL;
		}
		if (json_integer_value(v) < f->min || json_integer_value(v) > f->max) {
			api_field_err(r, f->name, "%lld is out of range %lld..%lld",
				      (long long)json_integer_value(v), (long long)f->min,
				      (long long)f->max);
			return -EINVAL;
		}
		*f_i64(f, row) = json_integer_value(v);
		return 0;
	case AF_BOOL:
		if (!json_is_boolean(v)) {
			api_field_err(r, f->name, "expected true or false, got %s", type_name(v));
			return -EINVAL;
		}
		*f_bool(f, row) = json_is_true(v);
		return 0;
	case AF_MONEY:
		return api_v_money(r, f->name, v, f->flags & AFF_NEG, f_i64(f, row));
	case AF_REF:
		if (!json_is_integer(v) || json_integer_value(v) <= 0) {
			api_field_err(r, f->name, "expected the id of a %s (a positive integer)%s, "
				      "got %s", f->ref ? f->ref : "row",
				      f->flags & AFF_NULL ? " or null" : "", type_name(v));
			return -EINVAL;
		}
		*f_i64(f, row) = json_integer_value(v);
		return 0;
	case AF_DATE:
		if (!json_is_string(v) || api_date_parse(json_string_value(v), f_i64(f, row))) {
			api_field_err(r, f->name, "expected a UTC date like \"2025-01-31\" or "
				      "\"2025-01-31T12:00:00Z\", or null");
			return -EINVAL;
		}
		return 0;
	}
	return -EINVAL;
}

/* Apply a body to row: every key must be a writable field; on create the
 * required ones must be there. All faults are recorded, not just the first. */
static int body_apply(struct api_req *r, const struct api_kind *k, void *row, json_t *body,
		      bool create)
{
	const char *key;
	json_t *v;
	int err = 0;

	json_object_foreach(body, key, v) {
		const struct api_fld *f = api_kind_fld(k, key);

		if (!f) {
			if (!strcmp(key, "id"))
				api_field_err(r, key, "read-only: the id is in the path");
			else
				api_field_err(r, key, "unknown field of a %s", k->name);
			err = -EINVAL;
			continue;
		}
		if (f->flags & (AFF_RO | AFF_OWNER)) {
			api_field_err(r, key, "read-only%s", f->flags & AFF_OWNER ?
				      ": it is given by the path" : "");
			err = -EINVAL;
			continue;
		}
		if (f->flags & AFF_VIRTUAL)
			continue;
		if (fld_apply(r, f, row, v))
			err = -EINVAL;
	}
	for (size_t i = 0; create && i < k->nf; i++) {
		const struct api_fld *f = &k->f[i];

		if ((f->flags & AFF_REQ) && !json_object_get(body, f->name)) {
			api_field_err(r, f->name, "required");
			err = -EINVAL;
		}
	}
	return err;
}

/* ------------------------------------------------------------------ */
/* Handlers                                                             */
/* ------------------------------------------------------------------ */

/* The owner of a nested resource ({owner} is the first path parameter):
 * 404 unless it exists. */
static int owner_check(struct api_req *r, const struct api_kind *k, int64_t *owner)
{
	void *row;
	int err;

	*owner = 0;
	if (!k->owner)
		return 0;
	row = calloc(1, k->owner->size);
	if (!row)
		return -ENOMEM;
	*owner = r->param[0];
	err = k->owner->get(r->api->st, *owner, row, k->owner);
	k->owner->reset(row);
	free(row);
	if (err == -ENOENT)
		api_problem(r, 404, NULL, "no %s %lld", k->owner->name, (long long)*owner);
	else if (err)
		api_store_problem(r, err, "cannot read the owner");
	return err;
}

static int64_t id_param(const struct api_req *r, const struct api_kind *k)
{
	return r->param[k->owner ? 1 : 0];
}

/* Read one row by the path's id (and owner): 404 when missing. */
static int row_load(struct api_req *r, const struct api_kind *k, void *row)
{
	int64_t owner, id = id_param(r, k);
	int err;

	if ((err = owner_check(r, k, &owner)))
		return err;
	err = k->get(r->api->st, id, row, k);
	if (!err && k->owner && ((struct store_rate *)row)->owner_id != owner) {
		k->reset(row);
		err = -ENOENT;
	}
	if (err == -ENOENT)
		api_problem(r, 404, NULL, "no %s %lld%s", k->name, (long long)id,
			    k->owner ? " here" : "");
	else if (err)
		api_store_problem(r, err, "cannot read");
	return err;
}

struct filter {
	const struct api_fld *f;
	int64_t i;                         /* AF_INT, AF_REF, AF_BOOL */
	const char *s;                     /* AF_TEXT, AF_E164 */
};

struct list {
	struct api_req *r;
	const struct api_kind *k;
	struct filter flt[16];
	size_t nflt;
	int64_t cursor;
	int64_t limit;
	int64_t last;
	bool more;
	json_t *items;
};

static bool row_matches(const struct list *l, const void *row)
{
	for (size_t i = 0; i < l->nflt; i++) {
		const struct filter *x = &l->flt[i];

		switch (x->f->type) {
		case AF_TEXT:
		case AF_E164:
			if (!str_eq(*f_txt(x->f, row), x->s))
				return false;
			break;
		case AF_BOOL:
			if (*f_bool(x->f, row) != (x->i != 0))
				return false;
			break;
		default:
			if (*f_i64(x->f, row) != x->i)
				return false;
			break;
		}
	}
	return true;
}

static int list_row(const void *row, void *arg)
{
	struct list *l = arg;
	int64_t id = *(const int64_t *)row;

	if (id <= l->cursor || !row_matches(l, row))
		return 0;
	if (json_array_size(l->items) == (size_t)l->limit) {
		l->more = true;
		return 1;     /* stop: the next page starts after l->last */
	}
	json_array_append_new(l->items, api_row_json(l->k, row));
	l->last = id;
	return 0;
}

/* ?limit= and ?cursor= of a list; errors recorded. */
static void paging(struct api_req *r, int64_t *limit, int64_t *cursor)
{
	const char *s;
	char *end;

	*limit = API_LIMIT_DEFAULT;
	*cursor = 0;
	if ((s = api_query(r, "limit"))) {
		long long v = strtoll(s, &end, 10);

		if (!*s || *end || v < 1 || v > API_LIMIT_MAX)
			api_field_err(r, "limit", "expected an integer 1..%d", API_LIMIT_MAX);
		else
			*limit = v;
	}
	if ((s = api_query(r, "cursor"))) {
		long long v = strtoll(s, &end, 10);

		if (!*s || *end || v < 0)
			api_field_err(r, "cursor", "expected the next_cursor of the previous page");
		else
			*cursor = v;
	}
}

static void filters(struct api_req *r, struct list *l)
{
	const struct api_kind *k = l->k;

	for (size_t i = 0; i < k->nf && l->nflt < ARRAY_SIZE(l->flt); i++) {
		const struct api_fld *f = &k->f[i];
		const char *s = api_query(r, f->name);
		struct filter *x = &l->flt[l->nflt];
		char *end;

		if (!s || !(f->flags & AFF_FILTER))
			continue;
		x->f = f;
		switch (f->type) {
		case AF_TEXT:
			x->s = s;
			break;
		case AF_E164:
			if (api_v_e164(r, f->name, s, &x->s))
				continue;
			break;
		case AF_BOOL:
			if (strcmp(s, "true") && strcmp(s, "false")) {
				api_field_err(r, f->name, "expected true or false");
				continue;
			}
			x->i = !strcmp(s, "true");
			break;
		default:
			x->i = strtoll(s, &end, 10);
			if (!*s || *end || x->i < 0) {
				api_field_err(r, f->name, "expected an id (integer)");
				continue;
			}
			break;
		}
		l->nflt++;
	}
}

static void list_reply(struct api_req *r, struct list *l)
{
	json_t *o = json_object();
	char cur[24];

	snprintf(cur, sizeof(cur), "%lld", (long long)l->last);
	json_object_set_new(o, "items", l->items);
	json_object_set_new(o, "next_cursor", l->more ? json_string(cur) : json_null());
	l->items = NULL;
	api_reply_json(r, 200, o);
}

void api_h_list(struct api_req *r, const void *arg)
{
	const struct api_kind *k = arg;
	struct list l = { .r = r, .k = k };
	int64_t parent = 0;
	int err;

	if (owner_check(r, k, &parent))
		return;
	paging(r, &l.limit, &l.cursor);
	filters(r, &l);
	if (api_has_errors(r)) {
		api_problem(r, 400, "Bad query", "invalid query parameters (see errors)");
		return;
	}
	/* The store filters by the parent itself (an index) when asked to. */
	for (size_t i = 0; !k->owner && k->parent_fld && i < l.nflt; i++) {
		if (!strcmp(l.flt[i].f->name, k->parent_fld))
			parent = l.flt[i].i;
	}
	if (k->parent_fld && !k->owner && !parent) {
		/* 0 means all to the store: a filter of 0 would match nothing. */
	}
	l.items = json_array();
	err = k->foreach(r->api->st, parent, list_row, &l, k);
	if (err < 0) {
		json_decref(l.items);
		api_store_problem(r, err, "cannot list");
		return;
	}
	list_reply(r, &l);
}

void api_h_get(struct api_req *r, const void *arg)
{
	const struct api_kind *k = arg;
	void *row = calloc(1, k->size);

	if (!row) {
		api_problem(r, 500, NULL, "out of memory");
		return;
	}
	if (!row_load(r, k, row))
		api_reply_json(r, 200, api_row_json(k, row));
	k->reset(row);
	free(row);
}

/* Answer with the row as stored now (defaults filled in). */
static void reply_row(struct api_req *r, const struct api_kind *k, int64_t id, unsigned status)
{
	void *row = calloc(1, k->size);
	int err;

	if (!row) {
		api_problem(r, 500, NULL, "out of memory");
		return;
	}
	err = k->get(r->api->st, id, row, k);
	if (err) {
		api_store_problem(r, err, "cannot read back");
	}
	else {
		api_reply_json(r, status, api_row_json(k, row));
		if (status == 201 && r->resp) {
			char loc[1200];

			snprintf(loc, sizeof(loc), "%s/%lld", r->path, (long long)id);
			MHD_add_response_header(r->resp, MHD_HTTP_HEADER_LOCATION, loc);
		}
	}
	k->reset(row);
	free(row);
}

void api_h_create(struct api_req *r, const void *arg)
{
	const struct api_kind *k = arg;
	json_t *body;
	void *row;
	int64_t owner;
	int err;

	if (owner_check(r, k, &owner))
		return;
	if (!(body = api_body_json(r)))
		return;
	row = calloc(1, k->size);
	if (!row) {
		json_decref(body);
		api_problem(r, 500, NULL, "out of memory");
		return;
	}
	if (k->init)
		k->init(row);
	err = body_apply(r, k, row, body, true);
	if (!err && k->finish)
		err = k->finish(r, row, NULL, body);
	if (err || api_has_errors(r)) {
		api_invalid(r);
		goto out;
	}
	if (k->owner)
		((struct store_rate *)row)->owner_id = owner;
	err = k->add(r->api->st, row, k);
	if (err) {
		api_store_problem(r, err, "not created");
		goto out;
	}
	LINFO("created kind=\"%s\" id=%lld", k->name, (long long)*(int64_t *)row);
	reply_row(r, k, *(int64_t *)row, 201);
out:
	/* Strings in row borrow from body or the request: free only the row. */
	free(row);
	json_decref(body);
}

void api_h_update(struct api_req *r, const void *arg)
{
	const struct api_kind *k = arg;
	void *row = NULL, *orig = NULL;
	json_t *body = NULL;
	int err;

	row = calloc(1, k->size);
	orig = calloc(1, k->size);
	if (!row || !orig) {
		api_problem(r, 500, NULL, "out of memory");
		goto out;
	}
	if (row_load(r, k, orig))
		goto out;
	if (!(body = api_body_json(r)))
		goto out;
	memcpy(row, orig, k->size);   /* borrows orig's strings until they are replaced */
	err = body_apply(r, k, row, body, false);
	if (!err && k->finish)
		err = k->finish(r, row, orig, body);
	if (err || api_has_errors(r)) {
		api_invalid(r);
		goto out;
	}
	err = k->update(r->api->st, row, k);
	if (err) {
		api_store_problem(r, err, "not updated");
		goto out;
	}
	LINFO("updated kind=\"%s\" id=%lld", k->name, (long long)*(int64_t *)row);
	reply_row(r, k, *(int64_t *)row, 200);
out:
	if (orig)
		k->reset(orig);
	free(orig);
	free(row);
	json_decref(body);
}

void api_h_delete(struct api_req *r, const void *arg)
{
	const struct api_kind *k = arg;
	void *row = calloc(1, k->size);
	int err;

	if (!row) {
		api_problem(r, 500, NULL, "out of memory");
		return;
	}
	if (row_load(r, k, row))
		goto out;
	err = k->del(r->api->st, *(int64_t *)row, k);
	if (err) {
		api_store_problem(r, err, "not deleted");
		goto out;
	}
	LINFO("deleted kind=\"%s\" id=%lld", k->name, (long long)*(int64_t *)row);
	api_reply_resp(r, 204, MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT));
out:
	k->reset(row);
	free(row);
}

/* ------------------------------------------------------------------ */
/* Number ranges                                                        */
/* ------------------------------------------------------------------ */

/* POST /api/numbers/range: {"from", "to", and any number field but e164}.
 * Every number from..to (same length) for the same customer, all or
 * nothing, in one transaction. */
void api_h_number_range(struct api_req *r, const void *arg)
{
	const struct api_kind *k = &api_k_number;
	struct store_number nb;
	const char *from = NULL, *to = NULL;
	char digits[24];
	json_t *body, *v;
	uint64_t a = 0, b = 0, n;
	int64_t first_id = 0;
	int err;

	if (!(body = api_body_json(r)))
		return;
	memset(&nb, 0, sizeof(nb));
	number_init(&nb);
	/* from/to are not fields of a number: check them, then hand the rest
	 * to the number's own field checks. */
	for (int i = 0; i < 2; i++) {
		const char *name = i ? "to" : "from";

		v = json_object_get(body, name);
		if (!v)
			api_field_err(r, name, "required");
		else if (!json_is_string(v))
			api_field_err(r, name, "expected an E.164 number as a string");
		else if (!api_v_e164(r, name, json_string_value(v), i ? &to : &from))
			continue;
	}
	json_object_del(body, "from");
	json_object_del(body, "to");
	if (json_object_get(body, "e164"))
		api_field_err(r, "e164", "give from and to, not e164");
	json_object_del(body, "e164");
	body_apply(r, k, &nb, body, false);
	if (!json_object_get(body, "customer_id"))
		api_field_err(r, "customer_id", "required");
	if (from && to) {
		a = strtoull(from, NULL, 10);
		b = strtoull(to, NULL, 10);
		if (strlen(from) != strlen(to))
			api_field_err(r, "to", "must have as many digits as from (%zu)", strlen(from));
		else if (b < a)
			api_field_err(r, "to", "must not be below from");
		else if (b - a + 1 > API_RANGE_MAX)
			api_field_err(r, "to", "a range holds at most %d numbers (this one %llu)",
				      API_RANGE_MAX, (unsigned long long)(b - a + 1));
	}
	if (api_has_errors(r)) {
		api_invalid(r);
		goto out;
	}
	if ((err = store_tx_begin(r->api->st))) {
		api_store_problem(r, err, "cannot start");
		goto out;
	}
	for (n = a; n <= b; n++) {
		snprintf(digits, sizeof(digits), "%0*llu", (int)strlen(from), (unsigned long long)n);
		nb.id = 0;
		nb.e164 = digits;
		err = store_number_add(r->api->st, &nb);
		if (err) {
			char msg[300];

			store_tx_end(r->api->st, false);
			snprintf(msg, sizeof(msg), "number +%s not added, none of the range was", digits);
			if (err == -EEXIST)
				api_field_err(r, "from", "+%s is already held", digits);
			api_store_problem(r, err, msg);
			goto out;
		}
		if (!first_id)
			first_id = nb.id;
	}
	if ((err = store_tx_end(r->api->st, true))) {
		api_store_problem(r, err, "range not committed, nothing changed");
		goto out;
	}
	LINFO("created kind=number range=+%s..+%s count=%llu", from, to,
	      (unsigned long long)(b - a + 1));
	api_reply_json(r, 201, json_pack("{s:I, s:s+, s:s+, s:I}", "count", (json_int_t)(b - a + 1),
					 "from", "+", from, "to", "+", to, "first_id",
					 (json_int_t)first_id));
out:
	json_decref(body);
}
