/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file quality.c  Receive quality of an RTP stream: sequence tracking and
 *                  loss (RFC 3550 A.1, A.3), interarrival jitter (A.8),
 *                  payload clocks (RFC 3551) and the E-model MOS (ITU-T
 *                  G.107, with G.113 Appendix I codec figures).
 */
#include <string.h>
#include <strings.h>
#include "media_int.h"

enum {
	RTP_SEQ_MOD = 1 << 16,
	MAX_DROPOUT = 3000,
	MAX_MISORDER = 100,
};

static void seq_init(struct mquality *q, uint16_t seq)
{
	q->base_seq = seq;
	q->max_seq = seq;
	q->bad_seq = RTP_SEQ_MOD + 1;
	q->cycles = 0;
	q->received = 0;
}

uint64_t mquality_expected(const struct mquality *q)
{
	uint64_t ext = (uint64_t)q->cycles + q->max_seq;

	if (!q->init)
		return q->prev_expected;
	return q->prev_expected + (ext - q->base_seq + 1);
}

uint64_t mquality_received(const struct mquality *q)
{
	return q->prev_received + q->received;
}

uint64_t mquality_lost(const struct mquality *q)
{
	uint64_t e = mquality_expected(q), r = mquality_received(q);

	/* duplicates can make received exceed expected (A.3: clamp) */
	return e > r ? e - r : 0;
}

/* A new SSRC (a re-INVITE, a transfer) starts a new sequence space;
 * what the old one lost stays counted. */
static void ssrc_change(struct mquality *q, uint32_t ssrc, uint16_t seq)
{
	if (q->init) {
		q->prev_expected = mquality_expected(q);
		q->prev_received = mquality_received(q);
	}
	q->init = true;
	q->ssrc = ssrc;
	q->have_transit = false;
	seq_init(q, seq);
}

/* RFC 3550 A.1 without probation (a relay sees sources SDP already
 * announced). Returns false for a packet not counted (a jump awaiting
 * confirmation). */
static bool seq_update(struct mquality *q, uint16_t seq)
{
	uint16_t udelta = (uint16_t)(seq - q->max_seq);

	if (udelta == 0) {
		return false;       /* duplicate of the highest */
	} else if (udelta < MAX_DROPOUT) {
		if (seq < q->max_seq)
			q->cycles += RTP_SEQ_MOD;
		q->max_seq = seq;
	} else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
		/* a very large jump: believe it when the next one follows */
		if (seq == q->bad_seq) {
			q->prev_expected = mquality_expected(q);
			q->prev_received = mquality_received(q);
			seq_init(q, seq);
		} else {
			q->bad_seq = (seq + 1u) & (RTP_SEQ_MOD - 1);
			return false;
		}
	} else {
		q->out_of_order++;  /* late: counts as received (A.3) */
	}
	q->received++;
	return true;
}

void mquality_update(struct mquality *q, uint32_t ssrc, uint16_t seq,
		     uint32_t ts, uint32_t clock_hz, uint64_t arrival_us)
{
	if (!q->init || ssrc != q->ssrc) {
		ssrc_change(q, ssrc, seq);
		q->received = 1;
	} else if (!seq_update(q, seq)) {
		return;
	}
	if (!clock_hz)
		return;
	if (clock_hz != q->clock)
		q->have_transit = false;
	q->clock = clock_hz;
	/* A.8 in differences, so the epoch of arrival never overflows:
	 * D = (Rj - Ri) - (Sj - Si), both in timestamp units. */
	if (q->have_transit) {
		double ra = (double)(int64_t)(arrival_us - q->prev_arrival_us) * clock_hz / 1e6;
		double d = ra - (double)(int32_t)(ts - q->prev_ts);

		if (d < 0)
			d = -d;
		q->jitter += (d - q->jitter) / 16.0;
		q->jitter_ms = q->jitter * 1000.0 / clock_hz;
		if (q->jitter_ms > q->jitter_max_ms)
			q->jitter_max_ms = q->jitter_ms;
	}
	q->prev_arrival_us = arrival_us;
	q->prev_ts = ts;
	q->have_transit = true;
}

uint32_t media_static_clock(uint8_t pt)
{
	/* RFC 3551 tables 4 and 5 */
	switch (pt) {
	case 0: case 3: case 4: case 5: case 7: case 8: case 9: case 12:
	case 13: case 15: case 18:
		return 8000;
	case 6:
		return 16000;
	case 10: case 11:
		return 44100;
	case 16:
		return 11025;
	case 17:
		return 22050;
	case 14: case 25: case 26: case 28: case 31: case 32: case 33: case 34:
		return 90000;
	default:
		return 0;
	}
}

void media_codec_ie(const char *enc, double *ie, double *bpl)
{
	/* G.113 Appendix I (Ie, and Bpl for random loss with concealment) */
	static const struct { const char *name; double ie, bpl; } tab[] = {
		{ "PCMU", 0, 25.1 }, { "PCMA", 0, 25.1 },
		{ "G729", 11, 19.0 }, { "G729A", 11, 19.0 },
		{ "G723", 15, 16.1 }, { "iLBC", 11, 32.0 },
		{ "GSM", 20, 10.0 }, { "G726-32", 7, 10.0 },
	};

	*ie = 0;
	*bpl = 25.1;   /* unknown codecs are judged as G.711 */
	if (!enc)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(tab); i++) {
		if (!strcasecmp(enc, tab[i].name)) {
			*ie = tab[i].ie;
			*bpl = tab[i].bpl;
			return;
		}
	}
}

double media_emodel_mos(double ie, double bpl, double ppl, double delay_ms)
{
	/* G.107 with default values for everything but delay and codec:
	 * R = Ro - Is - Id - Ie,eff + A, Ro - Is = 93.2, A = 0. Id is the
	 * usual linearisation of Idd for Ta (Cole and Rosenbluth, 2001);
	 * Ie,eff = Ie + (95 - Ie) * Ppl / (Ppl / BurstR + Bpl), BurstR = 1
	 * (random loss). */
	double id, ieff, r;

	if (ppl < 0)
		ppl = 0;
	if (ppl > 100)
		ppl = 100;
	if (delay_ms < 0)
		delay_ms = 0;
	id = 0.024 * delay_ms;
	if (delay_ms > 177.3)
		id += 0.11 * (delay_ms - 177.3);
	ieff = ie + (95.0 - ie) * ppl / (ppl + bpl);
	r = 93.2 - id - ieff;
	if (r <= 0)
		return 1.0;
	if (r >= 100)
		return 4.5;
	return 1.0 + 0.035 * r + r * (r - 60.0) * (100.0 - r) * 7e-6;
}
