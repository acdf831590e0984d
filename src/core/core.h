/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file core.h  Trunkline core: string views, refcounted memory, logging,
 *               keyed hashing, randomness, socket addresses, event loop and
 *               timers.
 *
 * Everything above core builds on these. Nothing in core knows about SIP.
 * Errors are 0 or a negative errno value.
 */
#ifndef TL_CORE_H
#define TL_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <netinet/in.h>

/* ------------------------------------------------------------------ */
/* Pointer-length string views (pl.c)                                   */
/* ------------------------------------------------------------------ */

/**
 * A view of bytes owned by someone else: usually the receive buffer of a
 * SIP message. Never NUL-terminated, never written through. A view with
 * p == NULL is "absent"; a view with l == 0 and p != NULL is "present but
 * empty" (e.g. a header with no value).
 */
struct pl {
	const char *p;
	size_t l;
};

#define PL(s) ((struct pl){ (s), sizeof(s) - 1 })
#define PL_INIT { NULL, 0 }
/** printf helper: printf("%.*s", PL_FMT(&x)) */
#define PL_FMT(x) (int)(x)->l, (x)->p

static inline bool pl_isset(const struct pl *x) { return x && x->p; }
static inline struct pl pl_from(const char *p, size_t l) { return (struct pl){ p, l }; }
struct pl pl_cstr(const char *s);

int pl_cmp(const struct pl *a, const struct pl *b);       /* 0 when equal */
int pl_casecmp(const struct pl *a, const struct pl *b);   /* ASCII, 0 when equal */
bool pl_eq_str(const struct pl *a, const char *s);
bool pl_caseeq_str(const struct pl *a, const char *s);
/** Parse an unsigned decimal of the whole view; -EINVAL / -ERANGE. */
int pl_u32(const struct pl *x, uint32_t *v);
int pl_u64(const struct pl *x, uint64_t *v);
/** Trim SIP linear white space (SP, HTAB, CR, LF) from both ends. */
struct pl pl_trim(struct pl x);
/** Copy into a new NUL-terminated heap string (caller frees with free()). */
char *pl_strdup(const struct pl *x);
/** Copy into dst (size n, always NUL-terminated); -ENOSPC when cut. */
int pl_strcpy(const struct pl *x, char *dst, size_t n);
/** First occurrence of c in x, or NULL. */
const char *pl_chr(const struct pl *x, char c);

/* ------------------------------------------------------------------ */
/* Refcounted memory (mem.c), after libre's mem_zalloc/mem_ref/deref    */
/* ------------------------------------------------------------------ */

typedef void (mem_destroy_h)(void *data);

/** Zeroed block with refcount 1 and an optional destructor; NULL on ENOMEM. */
void *mem_zalloc(size_t size, mem_destroy_h *dh);
/** Add a reference (atomic). Returns data. NULL-safe. */
void *mem_ref(void *data);
/** Drop a reference; the last one runs the destructor and frees. Returns NULL. */
void *mem_deref(void *data);
uint32_t mem_nrefs(const void *data);
/** Blocks currently allocated through mem_* (leak checks in tests). */
size_t mem_blocks(void);

/* ------------------------------------------------------------------ */
/* Logging (log.c): structured key=value lines                           */
/* ------------------------------------------------------------------ */

enum log_level { LOG_ERR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);
int log_level_parse(const char *s, enum log_level *lvl);
/** Log to a file (append) instead of stderr; NULL means stderr. */
int log_open(const char *path);
/** Re-open the log file (SIGHUP, after rotation). Safe from any thread. */
int log_reopen(void);
void log_close(void);
/**
 * Per-thread context appended to every line while a message is handled,
 * e.g. "call_id=abc src=1.2.3.4:5060". The string is copied (truncated to
 * 255 bytes); log_ctx_clear() ends it.
 */
void log_ctx_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_ctx_clear(void);
/**
 * Like log_ctx_set(), formatted only when a line is written (most
 * messages log nothing): h writes a NUL-terminated context into buf
 * (size bytes). arg must stay valid until log_ctx_clear() or the next
 * log_ctx_set()/log_ctx_lazy() on this thread.
 */
typedef void (log_ctx_h)(char *buf, size_t size, const void *arg);
void log_ctx_lazy(log_ctx_h *h, const void *arg);
void log_write(enum log_level lvl, const char *mod, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Each .c file defines LOG_MOD "name" before using these. The level is
 * tested before the arguments are evaluated. */
#define LOG_AT(lvl, ...) \
	do { if ((lvl) <= log_get_level()) log_write((lvl), LOG_MOD, __VA_ARGS__); } while (0)
#define LERR(...)   LOG_AT(LOG_ERR, __VA_ARGS__)
#define LWARN(...)  LOG_AT(LOG_WARN, __VA_ARGS__)
#define LINFO(...)  LOG_AT(LOG_INFO, __VA_ARGS__)
#define LDEBUG(...) LOG_AT(LOG_DEBUG, __VA_ARGS__)

/* ------------------------------------------------------------------ */
/* Keyed hashing (hash.c): SipHash-2-4 with a per-process random key     */
/* ------------------------------------------------------------------ */

/** SipHash-2-4 of data under the process key (seeded on first use). */
uint64_t hash_keyed(const void *data, size_t len);
/** Same, ASCII case-insensitive (for header names, hosts). */
uint64_t hash_keyed_ci(const void *data, size_t len);
uint64_t hash_siphash24(const uint8_t key[16], const void *data, size_t len);

/* ------------------------------------------------------------------ */
/* Randomness (rand.c): CSPRNG via getrandom(2)                          */
/* ------------------------------------------------------------------ */

int rand_bytes(void *buf, size_t n);
/** n random chars from [0-9a-zA-Z] (token-safe for tags, branches, Call-IDs),
 *  then a NUL: out must hold n + 1 bytes. */
int rand_token(char *out, size_t n);
uint32_t rand_u32(void);

/* ------------------------------------------------------------------ */
/* Socket addresses (sa.c)                                               */
/* ------------------------------------------------------------------ */

/* IPv4 or IPv6 only: 32 bytes, not the 132 of a sockaddr_storage (every
 * leg, attempt and transaction holds one or two). */
struct sa {
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} u;
	socklen_t len;
};

/** Parse a numeric IPv4/IPv6 address (no brackets) and port. */
int sa_set(struct sa *sa, const struct pl *addr, uint16_t port);
int sa_set_str(struct sa *sa, const char *addr, uint16_t port);
/** Parse "1.2.3.4:5060", "[::1]:5060", "::1" (port 0 when absent). */
int sa_decode(struct sa *sa, const char *str, size_t len);
uint16_t sa_port(const struct sa *sa);
void sa_set_port(struct sa *sa, uint16_t port);
int sa_af(const struct sa *sa);
/** Address and port equal. */
bool sa_cmp(const struct sa *a, const struct sa *b);
/** Address without port into buf ("::1", no brackets); returns buf. */
const char *sa_ntop(const struct sa *sa, char *buf, size_t n);
/** "1.2.3.4:5060" or "[::1]:5060" into buf; returns buf. */
const char *sa_fmt(const struct sa *sa, char *buf, size_t n);
enum { SA_FMT_MAX = 56 };

/* ------------------------------------------------------------------ */
/* Time                                                                  */
/* ------------------------------------------------------------------ */

/** Monotonic milliseconds. */
uint64_t time_ms(void);
/** Monotonic microseconds. */
uint64_t time_us(void);

/* ------------------------------------------------------------------ */
/* Event loop (loop.c) and timers (timer.c)                              */
/* ------------------------------------------------------------------ */

/**
 * One loop per thread, epoll based. File descriptor callbacks and timers
 * run on the loop's own thread. Only loop_call() and loop_stop() may be
 * called from other threads.
 */
struct loop;

/* LOOP_EXCLUSIVE (with loop_fd_add only): when several loops watch the
 * same socket, a readiness event wakes one of them (EPOLLEXCLUSIVE). */
enum { LOOP_READ = 1 << 0, LOOP_WRITE = 1 << 1, LOOP_EXCLUSIVE = 1 << 2 };

typedef void (loop_fd_h)(int fd, int events, void *arg);
typedef void (loop_call_h)(void *arg);

int loop_alloc(struct loop **lp);
void loop_free(struct loop *loop);
int loop_fd_add(struct loop *loop, int fd, int events, loop_fd_h *h, void *arg);
int loop_fd_mod(struct loop *loop, int fd, int events);
void loop_fd_del(struct loop *loop, int fd);
/** Run until loop_stop(). Returns 0 or a negative errno. */
int loop_run(struct loop *loop);
/** Thread-safe: make loop_run() return soon. */
void loop_stop(struct loop *loop);
/** Thread-safe: run h(arg) on the loop's thread, in order of calls. */
int loop_call(struct loop *loop, loop_call_h *h, void *arg);
/** The loop running on this thread, or NULL. */
struct loop *loop_current(void);

typedef void (tmr_h)(void *arg);

/**
 * A timer embedded in its owner: arming it allocates nothing. Belongs to
 * one loop; start and cancel it only on that loop's thread. Millisecond
 * resolution (hierarchical wheel in timer.c).
 */
struct tmr {
	struct tmr *next, *prev;  /* wheel slot links (owned by the loop) */
	uint64_t expires;         /* absolute time_ms() of expiry, 0 = idle */
	tmr_h *h;                 /* callback */
	void *arg;                /* borrowed callback argument */
	struct loop *loop;        /* borrowed: loop that runs it */
};

void tmr_init(struct tmr *t);
/** (Re)arm t to fire h(arg) after delay_ms on loop. */
void tmr_start(struct tmr *t, struct loop *loop, uint64_t delay_ms, tmr_h *h, void *arg);
void tmr_cancel(struct tmr *t);
static inline bool tmr_isrunning(const struct tmr *t) { return t->expires != 0; }

/* ------------------------------------------------------------------ */
/* Exact decimals (dec.c): money never touches binary floating point    */
/* ------------------------------------------------------------------ */

/** Units per 1.0 of a decimal amount: amounts are int64 micro-units. */
enum { DEC_SCALE = 1000000, DEC_DIGITS = 6 };

/**
 * Parse "12", "-0.0123", "+1.5" into micro-units. More than DEC_DIGITS
 * decimals, exponents, or a value out of range are errors (-EINVAL /
 * -ERANGE): an amount is never silently rounded.
 */
int dec_parse(const struct pl *s, int64_t *micro);
/** Format micro-units with trailing zeros trimmed, at least one decimal
 *  kept only when needed ("0.0123", "12", "-1.5"). Returns buf. */
const char *dec_fmt(int64_t micro, char *buf, size_t n);
enum { DEC_FMT_MAX = 24 };

/* ------------------------------------------------------------------ */
/* CSV lines (csv.c)                                                    */
/* ------------------------------------------------------------------ */

/**
 * Split one NUL-terminated CSV line into at most max fields, in place:
 * commas, optional double quotes ("" inside quotes is a quote), blanks
 * around fields dropped. Returns the field count, max + 1 when there are
 * more fields, or -1 for an unterminated or misplaced quote.
 */
int csv_split(char *line, char **f, int max);

/* ------------------------------------------------------------------ */
/* Histograms (hist.c): cumulative, lock-free, for /metrics              */
/* ------------------------------------------------------------------ */

enum { HIST_MAX = 20 };

/**
 * Counts of observed values by upper bound, Prometheus style (a value v
 * lands in the first bucket with v <= le; above the last bound it is
 * counted in +Inf only). Values are integers in the unit the owner picks
 * (µs, ms, MOS x 100); hist_add is atomic and safe from any thread.
 */
struct hist {
	unsigned n;                            /* bounds in le */
	uint64_t le[HIST_MAX];                 /* ascending upper bounds */
	_Atomic uint64_t cnt[HIST_MAX + 1];    /* per bucket, [n] = above the last */
	_Atomic uint64_t sum, count;
};

/** Set the bounds (ascending, at most HIST_MAX; extra ones are dropped)
 *  and zero the counts. Not thread-safe: before any hist_add. */
void hist_init(struct hist *h, const uint64_t *le, unsigned n);
void hist_add(struct hist *h, uint64_t v);
/** Consistent-enough copy for reading: cumulative counts per bound in
 *  cum[0..n] (cum[n] = count), sum and count. */
void hist_read(const struct hist *h, uint64_t cum[HIST_MAX + 1], uint64_t *sum,
	       uint64_t *count);

/* ------------------------------------------------------------------ */
/* INI configuration files (conf.c)                                      */
/* ------------------------------------------------------------------ */

/**
 * Called for each "key = value" line; section is "" before the first
 * [section]. Strings are valid during the call only. A non-zero return
 * stops parsing and is returned by conf_parse_*.
 */
typedef int (conf_h)(const char *section, const char *key, const char *val,
		     unsigned line, void *arg);

/** Parse an INI file. On a syntax error returns -EINVAL and writes
 *  "path:line: what" into err. */
int conf_parse_file(const char *path, conf_h *h, void *arg, char *err, size_t errlen);
int conf_parse_buf(const char *name, const char *buf, size_t len, conf_h *h, void *arg,
		   char *err, size_t errlen);

/* ------------------------------------------------------------------ */
/* Checks that "cannot fail": assert in debug, degrade in release        */
/* ------------------------------------------------------------------ */

#ifdef NDEBUG
#define ALWAYS(x) (x)
#define NEVER(x)  (x)
#else
#include <assert.h>
#define ALWAYS(x) ((x) ? 1 : (assert(0), 0))
#define NEVER(x)  ((x) ? (assert(0), 1) : 0)
#endif

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif /* TL_CORE_H */
