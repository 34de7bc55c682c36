/*
 * broker_ledger_db: the ledger's tables (one SQLite file, STATE_DIR/
 * ledger.db, written through rt_store) and the one place a row becomes a
 * UsageRecord again. Shared by the writer (broker_ledger.c), the checks
 * (ledger verify) and the readers (export).
 *
 * records: every usage record the broker holds, exactly once (id UNIQUE).
 *   origin 0 = ours: our agents saw a partner's subscriber roam here (we
 *   are the visited realm); 1 = reported by the partner: our subscriber
 *   roamed there (we are home), as the partner's UsageBatch said, with
 *   the flags our check added. partner = the other realm.
 *   Per partner the rows form one hash chain in pseq order (1, 2, ...):
 *     hash = SHA-256(prev_hash || canonical bytes of the record),
 *   prev_hash of pseq 1 = 32 zero bytes; the canonical bytes are the
 *   record's compact UsageRecord element (rt_usage_record_encode_element
 *   with RT_COMPACT), flags included. Changing any column of a row breaks
 *   its hash; deleting or inserting a row breaks the next one.
 * chains: the head of each partner's chain (last pseq and its hash).
 * checkpoints: every N records or T seconds per partner, the realm key
 *   signs "roamtrust-checkpoint/1 REALM PARTNER PSEQ HASHHEX AT" (CMS
 *   detached, DER in sig), so a rewrite of the whole chain after that
 *   point needs the realm key.
 * batches_out: UsageBatches we (visited) built for a partner (home), kept
 *   byte for byte so a resend after a restart is the same batch; seq 1, 2,
 *   ... with prev_hash = SHA-256 of the previous batch's XML (zeros for 1);
 *   records go into batches in pseq order of origin-0 rows.
 * batches_in: the last UsageBatches a partner sent us (home), to refuse a
 *   gap and acknowledge a repeat without storing it twice.
 * assertions: what we (home) issued, to check partner-reported records.
 */
#ifndef BROKER_LEDGER_DB_H
#define BROKER_LEDGER_DB_H

#include <sqlite3.h>

#include "rt_doc.h"
#include "rt_usage_row.h"

enum broker_origin {
	BROKER_ORIGIN_OURS = 0,
	BROKER_ORIGIN_PARTNER = 1
};

#define BROKER_LEDGER_SCHEMA \
	"CREATE TABLE IF NOT EXISTS records(" \
	" seq INTEGER PRIMARY KEY," \
	" id TEXT NOT NULL UNIQUE," \
	" partner TEXT NOT NULL," \
	" origin INTEGER NOT NULL," \
	" pseq INTEGER NOT NULL," \
	" agreement TEXT NOT NULL," \
	" assertion TEXT NOT NULL," \
	" subscriber TEXT NOT NULL," \
	" home TEXT NOT NULL," \
	" visited TEXT NOT NULL," \
	" service TEXT NOT NULL," \
	" call_id TEXT NOT NULL," \
	" start INTEGER NOT NULL," \
	" end INTEGER NOT NULL," \
	" quantity INTEGER NOT NULL," \
	" unit TEXT NOT NULL," \
	" flags TEXT NOT NULL," \
	" hash BLOB NOT NULL," \
	" UNIQUE(partner, pseq));" \
	"CREATE INDEX IF NOT EXISTS records_partner_start ON records(partner, start);" \
	"CREATE TABLE IF NOT EXISTS chains(" \
	" partner TEXT PRIMARY KEY, pseq INTEGER NOT NULL, hash BLOB NOT NULL," \
	" checkpoint_pseq INTEGER NOT NULL DEFAULT 0," \
	" checkpoint_at INTEGER NOT NULL DEFAULT 0);" \
	"CREATE TABLE IF NOT EXISTS checkpoints(" \
	" partner TEXT NOT NULL, pseq INTEGER NOT NULL, hash BLOB NOT NULL," \
	" at INTEGER NOT NULL, sig BLOB NOT NULL, PRIMARY KEY(partner, pseq));" \
	"CREATE TABLE IF NOT EXISTS batches_out(" \
	" partner TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL," \
	" last_pseq INTEGER NOT NULL, xml BLOB NOT NULL, hash BLOB NOT NULL," \
	" acked INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(partner, seq));" \
	"CREATE TABLE IF NOT EXISTS batches_in(" \
	" partner TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL," \
	" hash BLOB NOT NULL, stored INTEGER NOT NULL, flagged INTEGER NOT NULL," \
	" at INTEGER NOT NULL, PRIMARY KEY(partner, seq));" \
	"CREATE TABLE IF NOT EXISTS assertions(" \
	" id TEXT PRIMARY KEY, subject TEXT NOT NULL, audience TEXT NOT NULL," \
	" services TEXT NOT NULL, issued_at INTEGER NOT NULL," \
	" not_on_or_after INTEGER NOT NULL, agreement TEXT NOT NULL);"

/* The record columns, in rt_usage_row's order:
 * "SELECT " BROKER_LEDGER_RECORD_COLUMNS " FROM records ...". */
#define BROKER_LEDGER_RECORD_COLUMNS \
	"id, agreement, assertion, subscriber, home, visited, service, " \
	"call_id, start, end, quantity, unit, flags"

/* hash = SHA-256(prev || canonical bytes of u). */
int broker_ledger_hash(const uint8_t prev[32], const struct rt_usage_record *u,
    uint8_t hash[32]) RT_WUR;

#endif
