/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file util.c  trunkctl's option parser, aligned tables and JSON cells.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "trunkctl.h"

int opt_parse(struct ctl *c, int argc, char **argv, const struct opt *opts, char **pos,
	      int *npos, int maxpos)
{
	bool only_pos = false;
	int i;

	*npos = 0;
	for (i = 0; i < argc; i++) {
		const char *a = argv[i], *eq, *val = NULL;
		const struct opt *o = NULL;
		size_t nl;

		if (only_pos || a[0] != '-' || !a[1] || (a[1] != '-' && isdigit((unsigned char)a[1]))) {
			/* "-5" may be a value (a balance) given as a positional */
			if (*npos >= maxpos)
				return fail(c, EX_USAGE, "unexpected argument '%s' (see --help)", a);
			pos[(*npos)++] = argv[i];
			continue;
		}
		if (!strcmp(a, "--")) {
			only_pos = true;
			continue;
		}
		if (a[1] != '-') {
			for (o = opts; o->name; o++) {
				if (o->shrt && o->shrt == a[1] && !a[2])
					break;
			}
			nl = 0;
			eq = NULL;
		}
		else {
			eq = strchr(a + 2, '=');
			nl = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
			for (o = opts; o->name; o++) {
				if (strlen(o->name) == nl && !strncmp(o->name, a + 2, nl))
					break;
			}
		}
		if (!o->name)
			return fail(c, EX_USAGE, "unknown option '%s' (see --help)", a);
		if (o->flag) {
			if (eq)
				return fail(c, EX_USAGE, "option --%s takes no value", o->name);
			*o->flag = true;
			continue;
		}
		if (eq)
			val = eq + 1;
		else if (i + 1 < argc)
			val = argv[++i];
		else
			return fail(c, EX_USAGE, "option %s needs a value (see --help)", a);
		*o->val = val;
	}
	return 0;
}

/* ------------------------------------------------------------------ */

struct table {
	int ncols;
	size_t nrows, size;
	char **cells;              /* row-major, nrows * ncols, row 0 the heads */
};

static char *xstrdup(const char *s)
{
	char *d = strdup(s ? s : "");

	if (!d) {
		fprintf(stderr, "trunkctl: out of memory\n");
		exit(EX_SERVER);
	}
	return d;
}

struct table *table_new(int ncols, const char *const *heads)
{
	struct table *t = calloc(1, sizeof(*t));

	if (!t) {
		fprintf(stderr, "trunkctl: out of memory\n");
		exit(EX_SERVER);
	}
	t->ncols = ncols;
	table_add(t, heads);
	return t;
}

void table_add(struct table *t, const char *const *cells)
{
	char **nc;
	int i;

	if ((t->nrows + 1) * (size_t)t->ncols > t->size) {
		t->size = (t->nrows + 1) * (size_t)t->ncols * 2;
		nc = realloc(t->cells, t->size * sizeof(*nc));
		if (!nc) {
			fprintf(stderr, "trunkctl: out of memory\n");
			exit(EX_SERVER);
		}
		t->cells = nc;
	}
	for (i = 0; i < t->ncols; i++)
		t->cells[t->nrows * (size_t)t->ncols + (size_t)i] = xstrdup(cells[i]);
	t->nrows++;
}

/* Numbers and amounts (and "-") align right. */
static bool numeric(const char *s)
{
	if (!strcmp(s, "-"))
		return true;
	if (*s == '-' || *s == '+')
		s++;
	if (!*s)
		return false;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s) && *s != '.')
			return false;
	}
	return true;
}

/* Display width: count UTF-8 lead bytes only. */
static size_t width(const char *s)
{
	size_t w = 0;

	for (; *s; s++) {
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	}
	return w;
}

/* Columns of digits that are text, not quantities: aligned left. */
static bool digit_text(const char *head)
{
	static const char *const heads[] = { "prefix", "e164", "caller", "dialled", "normalised",
					     "number", "host", "tech_prefix", "add_prefix" };

	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		if (!strcmp(head, heads[i]))
			return true;
	}
	return false;
}

void table_print(struct table *t, FILE *f)
{
	size_t *w = calloc((size_t)t->ncols, sizeof(*w));
	bool *right = calloc((size_t)t->ncols, sizeof(*right));
	size_t r;
	int i;

	if (!w || !right) {
		fprintf(stderr, "trunkctl: out of memory\n");
		exit(EX_SERVER);
	}
	for (i = 0; i < t->ncols; i++) {
		right[i] = t->nrows > 1 && !digit_text(t->cells[i]);
		for (r = 0; r < t->nrows; r++) {
			const char *s = t->cells[r * (size_t)t->ncols + (size_t)i];

			if (width(s) > w[i])
				w[i] = width(s);
			if (r && !numeric(s))
				right[i] = false;
		}
	}
	for (r = 0; r < t->nrows; r++) {
		for (i = 0; i < t->ncols; i++) {
			const char *s = t->cells[r * (size_t)t->ncols + (size_t)i];
			size_t pad = w[i] - width(s);
			bool last = i == t->ncols - 1;

			if (right[i])
				fprintf(f, "%*s%s", (int)pad, "", s);
			else
				fprintf(f, "%s%*s", s, last ? 0 : (int)pad, "");
			fputs(last ? "\n" : "  ", f);
		}
	}
	free(w);
	free(right);
}

void table_free(struct table *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->nrows * (size_t)t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

const char *cell_str(const json_t *v, char *buf, size_t n)
{
	if (!v)
		return "-";
	switch (json_typeof(v)) {
	case JSON_STRING:
		snprintf(buf, n, "%s", json_string_value(v));
		return buf[0] ? buf : "\"\"";
	case JSON_INTEGER:
		snprintf(buf, n, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return buf;
	case JSON_REAL:
		snprintf(buf, n, "%g", json_real_value(v));
		return buf;
	case JSON_TRUE:
		return "yes";
	case JSON_FALSE:
		return "no";
	case JSON_OBJECT:
	case JSON_ARRAY: {
		char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

		snprintf(buf, n, "%s", s ? s : "");
		free(s);
		return buf;
	}
	default:
		return "-";
	}
}
