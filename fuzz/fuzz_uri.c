/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file fuzz_uri.c  libFuzzer target: decode a URI, compare it with itself
 *  and with fixed URIs, look up parameters and unescape its parts.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "sip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *fixed[] = {
		"sip:alice@atlanta.com;transport=tcp?subject=x",
		"sips:[2001:db8::1]:5061;maddr=239.1.1.1;ttl=1;user=phone;method=INVITE",
		"tel:+1-201-555-0123;ext=1",
	};
	char *buf = malloc(size ? size : 1), tmp[256];
	struct sip_uri u, f;
	struct pl t, v;
	int rc;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	t = pl_from(buf, size);
	rc = sip_uri_decode(&u, &t);
	if (rc == 0 || rc == -EPROTONOSUPPORT) {
		if (rc == 0 && !sip_uri_equal(&u, &u) && u.sch != SIP_SCHEME_OTHER)
			abort();   /* every URI equals itself */
		for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
			struct pl fp = pl_cstr(fixed[i]);
			if (sip_uri_decode(&f, &fp) == 0) {
				bool a = sip_uri_equal(&u, &f), b = sip_uri_equal(&f, &u);
				(void)a;
				(void)b;
			}
		}
		(void)sip_uri_param(&u, "transport", &v);
		(void)sip_uri_param(&u, "lr", &v);
		(void)sip_uri_unescape(&u.user, tmp, sizeof(tmp));
		(void)sip_uri_unescape(&u.password, tmp, sizeof(tmp));
		(void)sip_uri_unescape(&u.headers, tmp, sizeof(tmp));
	}
	(void)sip_uri_unescape(&t, tmp, sizeof(tmp));
	free(buf);
	return 0;
}
