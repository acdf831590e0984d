/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file bench_osip.h  The libosip2 side of bench_parse, in its own
 *                     translation unit: osip's headers pull in names
 *                     (syslog levels, MSG_* macros) that clash with ours.
 */
#ifndef TL_BENCH_OSIP_H
#define TL_BENCH_OSIP_H

#include <stddef.h>
#include <stdint.h>

/** parser_init(); 0 or a negative value. */
int bosip_init(void);

/**
 * Parse buf[0..len) into a fresh osip_message_t, read Call-ID, CSeq,
 * the top Via branch and the From/To tags, free it. The fields read are
 * folded into *sink so the compiler cannot drop the work. 0 or -1.
 */
int bosip_parse_keys(const char *buf, size_t len, uint64_t *sink);

/** Same, and also read username and response of the first Authorization. */
int bosip_parse_auth(const char *buf, size_t len, uint64_t *sink);

/** Parse an SDP body (NUL-terminated, osip needs it) and free it. 0 or -1. */
int bosip_sdp(const char *body, size_t len, uint64_t *sink);

#endif /* TL_BENCH_OSIP_H */
