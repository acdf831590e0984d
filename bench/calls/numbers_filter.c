/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file numbers_filter.c  Keep the lines of a SIPp injection CSV whose
 *                         number Trunkline's normalisation accepts.
 *
 * The reference data set draws numbers from random prefixes: about a
 * quarter are not possible E.164 numbers (unknown country code, wrong
 * length for the country) and Trunkline refuses them with 484, where
 * Kamailio's lcr routes any digits. Both servers then get the same
 * filtered list, so that every call of the benchmark is routable by both.
 *
 * usage: numbers_filter COUNTRY < numbers.csv > routable.csv
 * Stats on stderr.
 */
#include <stdio.h>
#include <string.h>
#include "route.h"

int main(int argc, char **argv)
{
	const struct route_country *home = route_country_find(argc > 1 ? argv[1] : "GB");
	char line[256], e164[64];
	unsigned kept = 0, dropped = 0;

	while (fgets(line, sizeof(line), stdin)) {
		size_t n = strcspn(line, ";\r\n");
		struct pl num = { line, n };
		const char *why = NULL;

		if (!strncmp(line, "RANDOM", 6) || !strncmp(line, "SEQUENTIAL", 10)) {
			fputs(line, stdout);
			continue;
		}
		if (!n || route_normalise(home, &num, e164, sizeof(e164), NULL, &why)) {
			dropped++;
			continue;
		}
		fputs(line, stdout);
		kept++;
	}
	fprintf(stderr, "numbers_filter: kept %u, dropped %u (refused by normalisation)\n",
		kept, dropped);
	return kept ? 0 : 1;
}
