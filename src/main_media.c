/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file main_media.c  The daemon's [media] section: the RTP relay's port
 *                     range, addresses, workers, RTP timeout, DSCP and
 *                     latching, and starting the relay.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "main_int.h"

#define LOG_MOD "main"

void main_media_cfg_defaults(struct main_media_cfg *c)
{
	memset(c, 0, sizeof(*c));
	media_prm_init(&c->prm);
	snprintf(c->bind4, sizeof(c->bind4), "127.0.0.1");
	c->latch = true;
}

static int yes_no(const char *s, bool *b)
{
	if (!strcasecmp(s, "yes") || !strcasecmp(s, "true") || !strcasecmp(s, "on") ||
	    !strcmp(s, "1"))
		*b = true;
	else if (!strcasecmp(s, "no") || !strcasecmp(s, "false") || !strcasecmp(s, "off") ||
		 !strcmp(s, "0"))
		*b = false;
	else
		return -EINVAL;
	return 0;
}

static int num(const char *s, long min, long max, long *v)
{
	char *end;
	long x;

	errno = 0;
	x = strtol(s, &end, 10);
	if (!*s || *end || errno || x < min || x > max)
		return -EINVAL;
	*v = x;
	return 0;
}

/* A numeric address of family af, or "none" (empty: that family off). */
static int addr(const char *val, int af, char *dst, size_t n)
{
	struct sa sa;

	if (!strcasecmp(val, "none") || !*val) {
		dst[0] = '\0';
		return 0;
	}
	if (strlen(val) >= n || sa_set_str(&sa, val, 0) || sa_af(&sa) != af)
		return -EINVAL;
	snprintf(dst, n, "%s", val);
	return 0;
}

int main_media_conf(struct main_media_cfg *c, const char *key, const char *val, char *err,
		    size_t n)
{
	long v = 0;

	if (!strcmp(key, "enable")) {
		if (yes_no(val, &c->enabled))
			goto bad_bool;
		return 0;
	}
	if (!strcmp(key, "latch")) {
		if (yes_no(val, &c->latch))
			goto bad_bool;
		return 0;
	}
	if (!strcmp(key, "bind4") || !strcmp(key, "advertise4")) {
		if (addr(val, AF_INET, key[0] == 'b' ? c->bind4 : c->adv4, sizeof(c->bind4))) {
			snprintf(err, n, "bad value '%s' for '%s' in [media]: expected an IPv4 "
				 "address or none", val, key);
			return -EINVAL;
		}
		return 0;
	}
	if (!strcmp(key, "bind6") || !strcmp(key, "advertise6")) {
		if (addr(val, AF_INET6, key[0] == 'b' ? c->bind6 : c->adv6, sizeof(c->bind6))) {
			snprintf(err, n, "bad value '%s' for '%s' in [media]: expected an IPv6 "
				 "address (no brackets) or none", val, key);
			return -EINVAL;
		}
		return 0;
	}
	if (!strcmp(key, "port_min") || !strcmp(key, "port_max")) {
		if (num(val, 1024, 65535, &v))
			goto bad_num;
		if (key[6] == 'i')
			c->prm.port_min = (uint16_t)v;
		else
			c->prm.port_max = (uint16_t)v;
		return 0;
	}
	if (!strcmp(key, "workers")) {
		if (num(val, 1, 64, &v))
			goto bad_num;
		c->prm.workers = (unsigned)v;
		return 0;
	}
	if (!strcmp(key, "rtp_timeout")) {
		if (num(val, 0, 86400, &v))
			goto bad_num;
		c->prm.rtp_timeout_s = (unsigned)v;
		return 0;
	}
	if (!strcmp(key, "dscp")) {
		if (!strcasecmp(val, "none")) {
			c->prm.dscp = -1;
			return 0;
		}
		if (num(val, 0, 63, &v))
			goto bad_num;
		c->prm.dscp = (int)v;
		return 0;
	}
	snprintf(err, n, "unknown key '%s' in [media]", key);
	return -EINVAL;
bad_bool:
	snprintf(err, n, "bad value '%s' for '%s' in [media]: expected yes or no", val, key);
	return -EINVAL;
bad_num:
	snprintf(err, n, "bad value '%s' for '%s' in [media]: expected %s", val, key,
		 !strcmp(key, "workers") ? "1..64" : !strcmp(key, "rtp_timeout") ?
		 "0..86400 s" : !strcmp(key, "dscp") ? "0..63 or none" : "1024..65535");
	return -EINVAL;
}

int main_media_check(const struct main_media_cfg *c, char *err, size_t n)
{
	if (!c->enabled)
		return 0;
	if (c->prm.port_max < c->prm.port_min + 3) {
		snprintf(err, n, "[media] port_max (%u) must be at least port_min (%u) + 3",
			 c->prm.port_max, c->prm.port_min);
		return -EINVAL;
	}
	if (!c->bind4[0] && !c->bind6[0]) {
		snprintf(err, n, "[media] needs bind4 or bind6");
		return -EINVAL;
	}
	/* SDP must name a reachable address, never the wildcard. */
	if ((!strcmp(c->bind4, "0.0.0.0") && !c->adv4[0]) ||
	    (!strcmp(c->bind6, "::") && !c->adv6[0])) {
		snprintf(err, n, "[media] a wildcard bind address needs advertise4/advertise6");
		return -EINVAL;
	}
	return 0;
}

int main_media_start(const struct main_media_cfg *c, struct media **mp)
{
	struct media_prm prm = c->prm;
	int err;

	*mp = NULL;
	if (!c->enabled)
		return 0;
	prm.addr4 = c->bind4[0] ? c->bind4 : NULL;
	prm.addr6 = c->bind6[0] ? c->bind6 : NULL;
	prm.adv4 = c->adv4[0] ? c->adv4 : NULL;
	prm.adv6 = c->adv6[0] ? c->adv6 : NULL;
	err = media_alloc(mp, &prm);
	if (err)
		return err;
	LINFO("media relay started ports=%u-%u bind4=%s bind6=%s advertise4=%s advertise6=%s "
	      "workers=%u rtp_timeout=%u dscp=%d latch=%s", prm.port_min, prm.port_max,
	      prm.addr4 ? prm.addr4 : "none", prm.addr6 ? prm.addr6 : "none",
	      prm.adv4 ? prm.adv4 : "-", prm.adv6 ? prm.adv6 : "-", prm.workers,
	      prm.rtp_timeout_s, prm.dscp, c->latch ? "yes" : "no");
	return 0;
}
