/* SPDX-License-Identifier: GPL-2.0-or-later */
/** @file bench_osip.c  libosip2 calls for bench_parse (see bench_osip.h). */

#include <osipparser2/osip_parser.h>
#include <osipparser2/sdp_message.h>

#include "bench_osip.h"

int bosip_init(void)
{
	return parser_init() == 0 ? 0 : -1;
}

/* osip hands out NUL-terminated copies; reading the first byte of each is
 * the same "access" the Trunkline side does on its views. */
static uint64_t fold(const char *s)
{
	return s ? (uint64_t)(unsigned char)s[0] + 1 : 0;
}

static int keys(osip_message_t *sip, uint64_t *sink)
{
	osip_via_t *via = NULL;
	osip_generic_param_t *br = NULL, *ftag = NULL, *ttag = NULL;

	if (!sip->call_id || !sip->cseq || !sip->from || !sip->to)
		return -1;
	*sink += fold(sip->call_id->number) + fold(sip->call_id->host);
	*sink += fold(sip->cseq->number) + fold(sip->cseq->method);
	if (osip_message_get_via(sip, 0, &via) < 0 || !via)
		return -1;
	if (osip_via_param_get_byname(via, "branch", &br) == 0 && br)
		*sink += fold(br->gvalue);
	if (osip_from_get_tag(sip->from, &ftag) == 0 && ftag)
		*sink += fold(ftag->gvalue);
	if (osip_to_get_tag(sip->to, &ttag) == 0 && ttag)
		*sink += fold(ttag->gvalue);
	return 0;
}

int bosip_parse_keys(const char *buf, size_t len, uint64_t *sink)
{
	osip_message_t *sip = NULL;
	int err = -1;

	if (osip_message_init(&sip) != 0)
		return -1;
	if (osip_message_parse(sip, buf, len) != 0)
		goto out;
	err = keys(sip, sink);
out:
	osip_message_free(sip);
	return err;
}

int bosip_parse_auth(const char *buf, size_t len, uint64_t *sink)
{
	osip_message_t *sip = NULL;
	osip_authorization_t *auth = NULL;
	int err = -1;

	if (osip_message_init(&sip) != 0)
		return -1;
	if (osip_message_parse(sip, buf, len) != 0)
		goto out;
	if (keys(sip, sink) != 0)
		goto out;
	if (osip_message_get_authorization(sip, 0, &auth) < 0 || !auth)
		goto out;
	*sink += fold(auth->username) + fold(auth->response) + fold(auth->nonce);
	err = 0;
out:
	osip_message_free(sip);
	return err;
}

int bosip_sdp(const char *body, size_t len, uint64_t *sink)
{
	sdp_message_t *sdp = NULL;
	int err = -1;

	(void)len;
	if (sdp_message_init(&sdp) != 0)
		return -1;
	if (sdp_message_parse(sdp, body) != 0)
		goto out;
	*sink += fold(sdp_message_c_addr_get(sdp, -1, 0));
	*sink += fold(sdp_message_m_port_get(sdp, 0));
	err = 0;
out:
	sdp_message_free(sdp);
	return err;
}
