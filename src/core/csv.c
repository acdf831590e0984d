/* SPDX-License-Identifier: GPL-2.0-or-later */
/** @file csv.c  Splitting CSV lines in place (rate decks, imports). */
#include "core.h"

int csv_split(char *line, char **f, int max)
{
	char *p = line;
	int n = 0;

	for (;;) {
		char *out;

		while (*p == ' ' || *p == '\t')
			p++;
		if (n == max)
			return max + 1;
		f[n++] = out = p;
		if (*p == '"') {
			f[n - 1] = out = ++p;
			for (;;) {
				if (!*p)
					return -1;
				if (*p == '"' && p[1] == '"') {
					*out++ = '"';
					p += 2;
					continue;
				}
				if (*p == '"') {
					p++;
					break;
				}
				*out++ = *p++;
			}
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p && *p != ',')
				return -1;
		}
		else {
			while (*p && *p != ',')
				*out++ = *p++;
			while (out > f[n - 1] && (out[-1] == ' ' || out[-1] == '\t'))
				out--;
		}
		if (!*p) {
			*out = 0;
			return n;
		}
		*out = 0;
		p++;    /* the comma */
	}
}
