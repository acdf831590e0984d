/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file migrate.c  Versioned schema migrations: the SQLite schema and the
 *                  runner that applies missing steps in order, each in one
 *                  transaction, recorded in schema_version.
 *
 * Money columns are INTEGER micro-units in STRICT tables, so a REAL can
 * never slip in. Every provisioning table bumps prov_generation by trigger,
 * whoever writes (the daemon, the API, a sqlite3 shell).
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include "store_int.h"

#define LOG_MOD "store"

/* Three triggers per provisioning table: any change bumps the generation. */
#define GEN_TRIGGERS(t) \
	"CREATE TRIGGER " t "_gen_ins AFTER INSERT ON " t \
	" BEGIN UPDATE prov_generation SET gen = gen + 1 WHERE id = 1; END;\n" \
	"CREATE TRIGGER " t "_gen_upd AFTER UPDATE ON " t \
	" BEGIN UPDATE prov_generation SET gen = gen + 1 WHERE id = 1; END;\n" \
	"CREATE TRIGGER " t "_gen_del AFTER DELETE ON " t \
	" BEGIN UPDATE prov_generation SET gen = gen + 1 WHERE id = 1; END;\n"

/* "" or digits only */
#define DIGITS(c) "(" c " NOT GLOB '*[^0-9]*')"

#define RATE_TABLE(t, owner, owner_table) \
	"CREATE TABLE " t " (\n" \
	"  id INTEGER PRIMARY KEY,\n" \
	"  " owner " INTEGER NOT NULL REFERENCES " owner_table "(id) ON DELETE CASCADE,\n" \
	"  prefix TEXT NOT NULL CONSTRAINT " t "_prefix_digits CHECK " DIGITS("prefix") ",\n" \
	"  rate INTEGER NOT NULL CONSTRAINT " t "_rate_positive CHECK (rate >= 0),\n" \
	"  connect_fee INTEGER NOT NULL CONSTRAINT " t "_connect_fee_positive CHECK (connect_fee >= 0),\n" \
	"  inc_first INTEGER NOT NULL CONSTRAINT " t "_inc_first_min CHECK (inc_first >= 1),\n" \
	"  inc_next INTEGER NOT NULL CONSTRAINT " t "_inc_next_min CHECK (inc_next >= 1),\n" \
	"  effective_from INTEGER NOT NULL,\n" \
	"  UNIQUE (" owner ", prefix, effective_from)\n" \
	") STRICT;\n"

static const char v1_sql[] =
	"CREATE TABLE prov_generation (\n"
	"  id INTEGER PRIMARY KEY CHECK (id = 1),\n"
	"  gen INTEGER NOT NULL\n"
	") STRICT;\n"
	"INSERT INTO prov_generation (id, gen) VALUES (1, 1);\n"

	"CREATE TABLE tariffs (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  name TEXT NOT NULL UNIQUE,\n"
	"  currency TEXT\n"
	") STRICT;\n"

	"CREATE TABLE customers (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  name TEXT NOT NULL UNIQUE,\n"
	"  country TEXT CONSTRAINT customer_country_iso CHECK (country IS NULL OR length(country) = 2),\n"
	"  tariff_id INTEGER REFERENCES tariffs(id),\n"
	"  credit_limit INTEGER NOT NULL,\n"
	"  balance INTEGER NOT NULL,\n"
	"  max_channels INTEGER NOT NULL CONSTRAINT customer_max_channels CHECK (max_channels >= 0),\n"
	"  max_cps INTEGER NOT NULL CONSTRAINT customer_max_cps CHECK (max_cps >= 0),\n"
	"  enabled INTEGER NOT NULL CHECK (enabled IN (0, 1))\n"
	") STRICT;\n"
	"CREATE INDEX customers_tariff ON customers(tariff_id);\n"

	"CREATE TABLE trunks (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  customer_id INTEGER NOT NULL REFERENCES customers(id),\n"
	"  name TEXT NOT NULL UNIQUE,\n"
	"  cidrs TEXT,\n"
	"  username TEXT UNIQUE,\n"
	"  realm TEXT,\n"
	"  ha1 TEXT CONSTRAINT trunk_ha1_md5_hex CHECK (ha1 IS NULL OR"
	" (length(ha1) = 32 AND ha1 NOT GLOB '*[^0-9a-f]*')),\n"
	"  tech_prefix TEXT CONSTRAINT trunk_tech_prefix_digits CHECK " DIGITS("tech_prefix") ",\n"
	"  media_mode TEXT NOT NULL CONSTRAINT trunk_media_mode CHECK (media_mode IN ('relay', 'direct')),\n"
	"  max_channels INTEGER NOT NULL CONSTRAINT trunk_max_channels CHECK (max_channels >= 0),\n"
	"  enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),\n"
	"  CONSTRAINT trunk_auth CHECK (cidrs IS NOT NULL OR (username IS NOT NULL AND ha1 IS NOT NULL))\n"
	") STRICT;\n"
	"CREATE INDEX trunks_customer ON trunks(customer_id);\n"

	"CREATE TABLE trunk_uris (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  trunk_id INTEGER NOT NULL REFERENCES trunks(id) ON DELETE CASCADE,\n"
	"  uri TEXT NOT NULL CONSTRAINT trunk_uri_sip CHECK (uri GLOB 'sip:?*' OR uri GLOB 'sips:?*'),\n"
	"  priority INTEGER NOT NULL,\n"
	"  weight INTEGER NOT NULL CONSTRAINT trunk_uri_weight CHECK (weight >= 0)\n"
	") STRICT;\n"
	"CREATE INDEX trunk_uris_trunk ON trunk_uris(trunk_id);\n"

	"CREATE TABLE carriers (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  name TEXT NOT NULL UNIQUE,\n"
	"  cidrs TEXT,\n"
	"  priority INTEGER NOT NULL,\n"
	"  max_channels INTEGER NOT NULL CONSTRAINT carrier_max_channels CHECK (max_channels >= 0),\n"
	"  number_format TEXT NOT NULL CONSTRAINT carrier_number_format"
	" CHECK (number_format IN ('e164', '+e164', '00')),\n"
	"  strip_digits INTEGER NOT NULL CONSTRAINT carrier_strip_digits CHECK (strip_digits >= 0),\n"
	"  add_prefix TEXT CONSTRAINT carrier_add_prefix CHECK (add_prefix NOT GLOB '*[^0-9#*+]*'),\n"
	"  enabled INTEGER NOT NULL CHECK (enabled IN (0, 1))\n"
	") STRICT;\n"

	"CREATE TABLE gateways (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  carrier_id INTEGER NOT NULL REFERENCES carriers(id) ON DELETE CASCADE,\n"
	"  host TEXT NOT NULL CONSTRAINT gateway_host CHECK (length(host) > 0),\n"
	"  port INTEGER NOT NULL CONSTRAINT gateway_port CHECK (port BETWEEN 1 AND 65535),\n"
	"  transport TEXT NOT NULL CONSTRAINT gateway_transport CHECK (transport IN ('udp', 'tcp', 'tls')),\n"
	"  priority INTEGER NOT NULL,\n"
	"  weight INTEGER NOT NULL CONSTRAINT gateway_weight CHECK (weight >= 0),\n"
	"  enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),\n"
	"  UNIQUE (carrier_id, host, port, transport)\n"
	") STRICT;\n"

	RATE_TABLE("rates", "carrier_id", "carriers")
	RATE_TABLE("tariff_rates", "tariff_id", "tariffs")

	"CREATE TABLE numbers (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  e164 TEXT NOT NULL UNIQUE CONSTRAINT number_e164 CHECK (length(e164) BETWEEN 1 AND 15 AND "
	DIGITS("e164") "),\n"
	"  country TEXT CONSTRAINT number_country_iso CHECK (country IS NULL OR length(country) = 2),\n"
	"  type TEXT NOT NULL CONSTRAINT number_type"
	" CHECK (type IN ('geographic', 'mobile', 'tollfree', 'national', 'other')),\n"
	"  customer_id INTEGER REFERENCES customers(id),\n"
	"  trunk_id INTEGER REFERENCES trunks(id),\n"
	"  delivery_uri TEXT CONSTRAINT number_delivery_uri_sip CHECK (delivery_uri IS NULL OR"
	" delivery_uri GLOB 'sip:?*' OR delivery_uri GLOB 'sips:?*'),\n"
	"  enabled INTEGER NOT NULL CHECK (enabled IN (0, 1))\n"
	") STRICT;\n"
	"CREATE INDEX numbers_customer ON numbers(customer_id);\n"
	"CREATE INDEX numbers_trunk ON numbers(trunk_id);\n"

	/* A customer's balance moves with every rated call: it is live state,
	 * not provisioning, so changing only the balance does not bump the
	 * generation (no snapshot rebuild per call). */
	"CREATE TRIGGER customers_gen_ins AFTER INSERT ON customers"
	" BEGIN UPDATE prov_generation SET gen = gen + 1 WHERE id = 1; END;\n"
	"CREATE TRIGGER customers_gen_upd AFTER UPDATE OF name, country, tariff_id, credit_limit,"
	" max_channels, max_cps, enabled ON customers"
	" BEGIN UPDATE prov_generation SET gen = gen + 1 WHERE id = 1; END;\n"
	"CREATE TRIGGER customers_gen_del AFTER DELETE ON customers"
	" BEGIN UPDATE prov_generation SET gen = gen + 1 WHERE id = 1; END;\n"
	GEN_TRIGGERS("tariffs") GEN_TRIGGERS("trunks")
	GEN_TRIGGERS("trunk_uris") GEN_TRIGGERS("carriers") GEN_TRIGGERS("gateways")
	GEN_TRIGGERS("rates") GEN_TRIGGERS("tariff_rates") GEN_TRIGGERS("numbers")

	/* No foreign keys on CDRs: a record outlives the customer or carrier
	 * it names, and a provisioning change must never block a CDR write. */
	"CREATE TABLE cdrs (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  call_id TEXT,\n"
	"  customer_id INTEGER,\n"
	"  trunk_id INTEGER,\n"
	"  carrier_id INTEGER,\n"
	"  direction TEXT NOT NULL CHECK (direction IN ('out', 'in')),\n"
	"  caller TEXT,\n"
	"  dialled TEXT,\n"
	"  normalised TEXT,\n"
	"  setup_ms INTEGER,\n"
	"  ring_ms INTEGER,\n"
	"  answer_ms INTEGER,\n"
	"  end_ms INTEGER,\n"
	"  pdd_ms INTEGER,\n"
	"  disconnect_side TEXT NOT NULL CHECK (disconnect_side IN ('none', 'caller', 'callee', 'system')),\n"
	"  sip_code INTEGER NOT NULL,\n"
	"  q850_cause INTEGER,\n"
	"  reason TEXT,\n"
	"  billed_sec INTEGER NOT NULL,\n"
	"  cost INTEGER NOT NULL,\n"
	"  price INTEGER NOT NULL,\n"
	"  attempts TEXT NOT NULL\n"
	") STRICT;\n"
	"CREATE INDEX cdrs_end ON cdrs(end_ms);\n"
	"CREATE INDEX cdrs_customer_end ON cdrs(customer_id, end_ms);\n"
	"CREATE INDEX cdrs_call_id ON cdrs(call_id);\n";

/* Limits and RFC 8760: a carrier's calls-per-second cap, and a trunk's
 * SHA-256 HA1 beside the MD5 one (a client answers with either, so both
 * are kept; `trunkline db trunk --password` writes both). */
static const char v2_sql[] =
	"ALTER TABLE carriers ADD COLUMN max_cps INTEGER NOT NULL DEFAULT 0"
	" CONSTRAINT carrier_max_cps CHECK (max_cps >= 0);\n"
	"ALTER TABLE trunks ADD COLUMN ha1_sha256 TEXT CONSTRAINT trunk_ha1_sha256_hex"
	" CHECK (ha1_sha256 IS NULL OR"
	" (length(ha1_sha256) = 64 AND ha1_sha256 NOT GLOB '*[^0-9a-f]*'));\n";

/* REST API bearer tokens: only their SHA-256 is kept. Not provisioning
 * for routing, so no generation triggers. */
static const char v3_sql[] =
	"CREATE TABLE api_tokens (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  name TEXT NOT NULL UNIQUE CONSTRAINT api_token_name CHECK (length(name) > 0),\n"
	"  sha256 TEXT NOT NULL UNIQUE CONSTRAINT api_token_sha256_hex CHECK"
	" (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),\n"
	"  created_ms INTEGER NOT NULL\n"
	") STRICT;\n";

/* Media relay: a carrier can ask for it too (a call is relayed when its
 * trunk or its carrier does); a CDR gets the relay's figures per leg.
 * Per leg x (a: the caller, b: the callee): x_rx_* is what that leg's
 * phone sent us (measured here), x_tx_* what we sent it (packets, bytes)
 * and what it reported receiving in RTCP (loss, jitter, MOS); x_rtt_ms
 * the relay <-> phone round trip. Sums over every stream, except jitter
 * (worst stream), RTT and MOS (first stream). NULL when not relayed or
 * not measured. */
#define CDR_MEDIA_LEG(x) \
	"ALTER TABLE cdrs ADD COLUMN " x "_rx_packets INTEGER;\n" \
	"ALTER TABLE cdrs ADD COLUMN " x "_rx_bytes INTEGER;\n" \
	"ALTER TABLE cdrs ADD COLUMN " x "_rx_lost INTEGER;\n" \
	"ALTER TABLE cdrs ADD COLUMN " x "_rx_out_of_order INTEGER;\n" \
	"ALTER TABLE cdrs ADD COLUMN " x "_rx_loss_pct REAL;\n" \
	"ALTER TABLE cdrs ADD COLUMN " x "_rx_jitter_ms REAL;\n" \
	"ALTER TABLE cdrs ADD COLUMN " x "_rx_mos REAL;\n" \
	"ALTER TABLE cdrs ADD COLUMN " x "_tx_packets INTEGER;\n" \
	"ALTER TABLE cdrs ADD COLUMN " x "_tx_bytes INTEGER;\n" \
	"ALTER TABLE cdrs ADD COLUMN " x "_tx_loss_pct REAL;\n" \
	"ALTER TABLE cdrs ADD COLUMN " x "_tx_jitter_ms REAL;\n" \
	"ALTER TABLE cdrs ADD COLUMN " x "_tx_mos REAL;\n" \
	"ALTER TABLE cdrs ADD COLUMN " x "_rtt_ms REAL;\n"
static const char v4_sql[] =
	"ALTER TABLE carriers ADD COLUMN media_mode TEXT NOT NULL DEFAULT 'direct'"
	" CONSTRAINT carrier_media_mode CHECK (media_mode IN ('relay', 'direct'));\n"
	"ALTER TABLE cdrs ADD COLUMN media_mode TEXT CONSTRAINT cdr_media_mode"
	" CHECK (media_mode IS NULL OR media_mode IN ('relay', 'direct'));\n"
	"ALTER TABLE cdrs ADD COLUMN media_streams INTEGER;\n"
	CDR_MEDIA_LEG("a") CDR_MEDIA_LEG("b");

const struct store_migration store_sqlite_migrations[] = {
	{ 1, "provisioning, rate decks, tariffs, numbers, CDRs", v1_sql },
	{ 2, "carriers.max_cps, trunks.ha1_sha256", v2_sql },
	{ 3, "api_tokens (REST API bearer tokens, hashed)", v3_sql },
	{ 4, "carriers.media_mode, CDR media quality per leg", v4_sql },
	{ 0, NULL, NULL },
};

static int current_version(struct store *st, int *v)
{
	struct store_stmt *s = NULL;
	int err = stmt_prepare(st, "SELECT COALESCE(MAX(version), 0) FROM schema_version", &s);

	if (err)
		return err;
	err = st->be->step(s);
	if (err == 1) {
		*v = (int)st->be->col_i64(s, 0);
		err = 0;
	} else if (err == 0) {
		err = -EIO;
	}
	st->be->finalize(s);
	return err;
}

int store_schema_version(struct store *st, int *version)
{
	return current_version(st, version);
}

static int record(struct store *st, const struct store_migration *m)
{
	struct store_stmt *s = NULL;
	int err = stmt_prepare(st, "INSERT INTO schema_version (version, description, applied_at)"
			       " VALUES (?, ?, ?)", &s);

	if (err)
		return err;
	err = st->be->bind_i64(s, 1, m->version);
	if (!err)
		err = st->be->bind_text(s, 2, m->desc);
	if (!err)
		err = st->be->bind_i64(s, 3, (int64_t)time(NULL));
	if (!err)
		err = st->be->step(s);
	st->be->finalize(s);
	return err < 0 ? err : 0;
}

int store_migrate(struct store *st)
{
	const struct store_migration *m;
	int cur = 0, last = 0, err;

	err = st->be->exec(st, "CREATE TABLE IF NOT EXISTS schema_version ("
			   " version INTEGER PRIMARY KEY,"
			   " description TEXT NOT NULL,"
			   " applied_at INTEGER NOT NULL)");
	if (err)
		return err;
	err = current_version(st, &cur);
	if (err)
		return err;
	for (m = st->be->migrations; m->version; m++)
		last = m->version;
	if (cur > last) {
		LERR("db=%s schema=%d known=%d msg=\"database is newer than this build\"",
		     st->url, cur, last);
		return store_err(st, -EPROTO, "schema version %d is newer than this build (%d)",
				 cur, last);
	}
	for (m = st->be->migrations; m->version; m++) {
		if (m->version <= cur)
			continue;
		err = st->be->begin(st);
		if (err)
			return err;
		/* another process may have migrated while we waited for the lock */
		err = current_version(st, &cur);
		if (!err && m->version > cur) {
			err = st->be->exec(st, m->sql);
			if (!err)
				err = record(st, m);
		}
		if (err) {
			char msg[STORE_ERRMSG_MAX];

			memcpy(msg, st->errmsg, sizeof(msg));
			st->be->exec(st, "ROLLBACK");
			LERR("db=%s migration=%d err=%d msg=\"%s\"", st->url, m->version, err, msg);
			return store_err(st, err, "migration %d: %s", m->version, msg);
		}
		err = st->be->exec(st, "COMMIT");
		if (err)
			return err;
		if (m->version > cur) {
			LINFO("db=%s migration=%d desc=\"%s\" applied", st->url, m->version, m->desc);
			cur = m->version;
		}
	}
	return 0;
}
