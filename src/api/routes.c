/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file routes.c  The route table: every method and path the API serves.
 *                 openapi.json documents exactly these (a unit test keeps
 *                 the two equal); paths are written as in the document.
 */
#include "api_int.h"

#define CRUD(base, item, k)                                  \
	{ "GET", base, api_h_list, &k, false },              \
	{ "POST", base, api_h_create, &k, false },           \
	{ "GET", item, api_h_get, &k, false },               \
	{ "PATCH", item, api_h_update, &k, false },          \
	{ "DELETE", item, api_h_delete, &k, false }

#define RATES(base, item, k)                                 \
	{ "GET", base, api_h_list, &k, false },              \
	{ "POST", base, api_h_rate_create, &k, false },      \
	{ "GET", item, api_h_get, &k, false },               \
	{ "PATCH", item, api_h_update, &k, false },          \
	{ "DELETE", item, api_h_delete, &k, false }

static const struct api_route routes[] = {
	{ "GET", "/api/health", api_h_health, NULL, true },
	{ "GET", "/api/openapi.json", api_h_openapi, NULL, true },
	{ "GET", "/metrics", api_h_metrics, NULL, false },
	CRUD("/api/customers", "/api/customers/{id}", api_k_customer),
	CRUD("/api/trunks", "/api/trunks/{id}", api_k_trunk),
	CRUD("/api/trunk-uris", "/api/trunk-uris/{id}", api_k_trunk_uri),
	CRUD("/api/carriers", "/api/carriers/{id}", api_k_carrier),
	CRUD("/api/gateways", "/api/gateways/{id}", api_k_gateway),
	CRUD("/api/tariffs", "/api/tariffs/{id}", api_k_tariff),
	CRUD("/api/numbers", "/api/numbers/{id}", api_k_number),
	{ "POST", "/api/numbers/range", api_h_number_range, NULL, false },
	RATES("/api/carriers/{carrier_id}/rates", "/api/carriers/{carrier_id}/rates/{id}",
	      api_k_carrier_rate),
	RATES("/api/tariffs/{tariff_id}/rates", "/api/tariffs/{tariff_id}/rates/{id}",
	      api_k_tariff_rate),
	{ "GET", "/api/cdrs", api_h_cdr_list, NULL, false },
	{ "GET", "/api/cdrs.csv", api_h_cdr_csv, NULL, false },
	{ "GET", "/api/cdrs/{id}", api_h_cdr_get, NULL, false },
	{ "GET", "/api/route/explain", api_h_route_explain, NULL, false },
	{ "GET", "/api/calls", api_h_calls_list, NULL, false },
	{ "GET", "/api/calls/{id}", api_h_calls_get, NULL, false },
	{ "DELETE", "/api/calls/{id}", api_h_calls_hangup, NULL, false },
	{ "GET", "/api/stats", api_h_stats, NULL, false },
};

const struct api_route *api_routes(size_t *n)
{
	*n = ARRAY_SIZE(routes);
	return routes;
}
