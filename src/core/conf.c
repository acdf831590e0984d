/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file conf.c  INI files: [section], key = value, # and ; comments.
 *
 * Whitespace around sections, keys and values is trimmed. A value may be
 * double-quoted to keep leading/trailing spaces or comment characters; in
 * quotes \" and \\ are the only escapes. Outside quotes a comment starts
 * at a # or ; that follows whitespace, so "sip:gw;lr" stays whole. A
 * syntax error names the file and line: "trunkline.conf:12: what".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core.h"

enum {
	CONF_NAME_MAX = 128,       /* section and key, with the NUL */
	CONF_VAL_MAX = 4096,       /* value, with the NUL */
	CONF_FILE_MAX = 16 << 20,  /* a config file is small */
};

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static struct pl trim(const char *p, size_t l)
{
	while (l && is_ws(*p)) {
		p++;
		l--;
	}
	while (l && is_ws(p[l - 1]))
		l--;
	return pl_from(p, l);
}

static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.';
}

static bool valid_name(const struct pl *n)
{
	if (!n->l)
		return false;
	for (size_t i = 0; i < n->l; i++)
		if (!is_name_char(n->p[i]))
			return false;
	return true;
}

/* Rest of a line after a value or section: blank or a comment. */
static bool only_comment(struct pl rest)
{
	rest = trim(rest.p, rest.l);
	return !rest.l || rest.p[0] == '#' || rest.p[0] == ';';
}

/* Decode a value into out (size CONF_VAL_MAX); NULL on success, else why. */
static const char *parse_value(struct pl v, char *out)
{
	size_t n = 0;

	if (v.l && v.p[0] == '"') {
		size_t i;
		for (i = 1; i < v.l && v.p[i] != '"'; i++) {
			char c = v.p[i];
			if (c == '\\' && i + 1 < v.l && (v.p[i + 1] == '"' || v.p[i + 1] == '\\'))
				c = v.p[++i];
			if (n + 1 >= CONF_VAL_MAX)
				return "value too long";
			out[n++] = c;
		}
		if (i >= v.l)
			return "unterminated quoted value";
		if (!only_comment(pl_from(v.p + i + 1, v.l - i - 1)))
			return "text after quoted value";
		out[n] = '\0';
		return NULL;
	}
	for (size_t i = 0; i < v.l; i++) {
		if ((v.p[i] == '#' || v.p[i] == ';') && i && is_ws(v.p[i - 1])) {
			v.l = i;
			break;
		}
	}
	v = trim(v.p, v.l);
	if (v.l >= CONF_VAL_MAX)
		return "value too long";
	memcpy(out, v.p, v.l);
	out[v.l] = '\0';
	return NULL;
}

int conf_parse_buf(const char *name, const char *buf, size_t len, conf_h *h, void *arg,
		   char *err, size_t errlen)
{
	char section[CONF_NAME_MAX] = "", key[CONF_NAME_MAX];
	char *val = NULL;
	const char *p = buf, *end = buf + len, *why = NULL;
	unsigned line = 0;
	int ret = 0;

	if (err && errlen)
		err[0] = '\0';
	if (!name)
		name = "(config)";
	val = malloc(CONF_VAL_MAX);
	if (!val)
		return -ENOMEM;
	/* a UTF-8 byte order mark is not part of the first line */
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		struct pl l = trim(p, (size_t)(le - p));

		line++;
		p = nl ? nl + 1 : end;
		if (memchr(l.p, '\0', l.l)) {
			why = "NUL byte in line";
			break;
		}
		if (!l.l || l.p[0] == '#' || l.p[0] == ';')
			continue;
		if (l.p[0] == '[') {
			const char *rb = memchr(l.p, ']', l.l);
			struct pl s;
			if (!rb) {
				why = "missing ']' after section name";
				break;
			}
			s = trim(l.p + 1, (size_t)(rb - l.p - 1));
			if (!valid_name(&s) || s.l >= CONF_NAME_MAX) {
				why = "bad section name";
				break;
			}
			if (!only_comment(pl_from(rb + 1, (size_t)(l.p + l.l - rb - 1)))) {
				why = "text after section";
				break;
			}
			memcpy(section, s.p, s.l);
			section[s.l] = '\0';
			continue;
		}
		const char *eq = memchr(l.p, '=', l.l);
		if (!eq) {
			why = "expected 'key = value'";
			break;
		}
		struct pl k = trim(l.p, (size_t)(eq - l.p));
		if (!valid_name(&k) || k.l >= CONF_NAME_MAX) {
			why = "bad key";
			break;
		}
		why = parse_value(trim(eq + 1, (size_t)(l.p + l.l - eq - 1)), val);
		if (why)
			break;
		memcpy(key, k.p, k.l);
		key[k.l] = '\0';
		ret = h ? h(section, key, val, line, arg) : 0;
		if (ret) {
			if (err && errlen && !err[0])
				snprintf(err, errlen, "%s:%u: %s%s%s: %s", name, line, section,
					 section[0] ? "." : "", key, strerror(ret < 0 ? -ret : ret));
			break;
		}
	}
	if (why) {
		ret = -EINVAL;
		if (err && errlen)
			snprintf(err, errlen, "%s:%u: %s", name, line, why);
	}
	free(val);
	return ret;
}

int conf_parse_file(const char *path, conf_h *h, void *arg, char *err, size_t errlen)
{
	FILE *fp;
	char *buf = NULL;
	size_t n = 0, cap = 0;
	int ret = 0;

	fp = fopen(path, "r");
	if (!fp) {
		ret = -errno;
		if (err && errlen)
			snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	for (;;) {
		if (n == cap) {
			char *nb;
			if (cap >= CONF_FILE_MAX) {
				ret = -EFBIG;
				if (err && errlen)
					snprintf(err, errlen, "%s: file too large", path);
				goto out;
			}
			cap = cap ? cap * 2 : 4096;
			nb = realloc(buf, cap);
			if (!nb) {
				ret = -ENOMEM;
				goto out;
			}
			buf = nb;
		}
		size_t r = fread(buf + n, 1, cap - n, fp);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(fp)) {
		ret = -EIO;
		if (err && errlen)
			snprintf(err, errlen, "%s: read error", path);
		goto out;
	}
	ret = conf_parse_buf(path, buf ? buf : "", n, h, arg, err, errlen);
out:
	free(buf);
	fclose(fp);
	return ret;
}
