/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file fuzz_csv.c  libFuzzer target: the rate-deck CSV line splitter
 *  (quotes, doubled quotes, blanks) and the exact decimal parser of money
 *  applied to every field, line by line as an import reads them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *line, *next;
	char *f[9];

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = 0;
	for (line = buf; line; line = next) {
		int n;

		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		n = csv_split(line, f, 8);
		if (n < -1 || n > 9)
			abort();
		for (int i = 0; i < n && i < 8; i++) {
			int64_t v;
			struct pl p = pl_cstr(f[i]);

			if (!f[i] || (f[i] < buf || f[i] > buf + size))
				abort();   /* fields point into the line */
			(void)dec_parse(&p, &v);
		}
	}
	free(buf);
	return 0;
}
