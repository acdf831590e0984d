/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file log.c  Structured logging: one "key=value" line per event.
 *
 * Line shape: ts=2026-11-24T07:52:32.123Z lvl=info mod=txn <message> <ctx>
 * The message is itself key=value pairs written by the caller; the
 * per-thread context (call_id=…, src=…) is appended.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "core.h"

static _Atomic int cur_level = LOG_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *log_fp;      /* owned; NULL = stderr */
static char *log_path;    /* owned copy of the path */
static _Thread_local char ctx[256];
static _Thread_local log_ctx_h *ctx_h;      /* pending lazy context */
static _Thread_local const void *ctx_arg;

static const char *lvl_name[] = { "error", "warn", "info", "debug" };

void log_set_level(enum log_level lvl) { atomic_store(&cur_level, (int)lvl); }
enum log_level log_get_level(void) { return (enum log_level)atomic_load_explicit(&cur_level, memory_order_relaxed); }

int log_level_parse(const char *s, enum log_level *lvl)
{
	for (size_t i = 0; i < ARRAY_SIZE(lvl_name); i++) {
		if (strcmp(s, lvl_name[i]) == 0) {
			*lvl = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

int log_open(const char *path)
{
	FILE *fp = NULL;
	char *dup = NULL;

	if (path) {
		fp = fopen(path, "a");
		if (!fp)
			return -errno;
		dup = strdup(path);
		if (!dup) {
			fclose(fp);
			return -ENOMEM;
		}
		setvbuf(fp, NULL, _IOLBF, 0);
	}
	pthread_mutex_lock(&log_lock);
	if (log_fp)
		fclose(log_fp);
	free(log_path);
	log_fp = fp;
	log_path = dup;
	pthread_mutex_unlock(&log_lock);
	return 0;
}

int log_reopen(void)
{
	int err = 0;

	pthread_mutex_lock(&log_lock);
	if (log_path) {
		FILE *fp = fopen(log_path, "a");
		if (fp) {
			setvbuf(fp, NULL, _IOLBF, 0);
			fclose(log_fp);
			log_fp = fp;
		} else {
			err = -errno;
		}
	}
	pthread_mutex_unlock(&log_lock);
	return err;
}

void log_close(void)
{
	(void)log_open(NULL);
}

void log_ctx_set(const char *fmt, ...)
{
	va_list ap;
	ctx_h = NULL;
	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
}

void log_ctx_clear(void)
{
	ctx_h = NULL;
	ctx[0] = '\0';
}

void log_ctx_lazy(log_ctx_h *h, const void *arg)
{
	ctx[0] = '\0';
	ctx_h = h;
	ctx_arg = arg;
}

void log_write(enum log_level lvl, const char *mod, const char *fmt, ...)
{
	char line[2048];
	struct timespec ts;
	struct tm tm;
	int n, m;
	va_list ap;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(line, sizeof(line),
		     "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ lvl=%s mod=%s ",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		     tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
		     lvl_name[(unsigned)lvl < ARRAY_SIZE(lvl_name) ? lvl : LOG_DEBUG], mod);
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	n += m;
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	if (ctx_h) {
		/* The first line of this context formats it, once. */
		ctx[0] = '\0';
		ctx_h(ctx, sizeof(ctx), ctx_arg);
		ctx_h = NULL;
	}
	if (ctx[0]) {
		m = snprintf(line + n, sizeof(line) - (size_t)n, " %s", ctx);
		n += m > 0 ? m : 0;
		if (n > (int)sizeof(line) - 2)
			n = (int)sizeof(line) - 2;
	}
	line[n++] = '\n';

	pthread_mutex_lock(&log_lock);
	if (log_fp)
		fwrite(line, 1, (size_t)n, log_fp);
	else
		(void)!write(STDERR_FILENO, line, (size_t)n);
	pthread_mutex_unlock(&log_lock);
}
