/*
 * broker_ledger_int: what the ledger's files share (broker_ledger.c: the
 * store, statements, chains, appends, checkpoints; broker_ledger_batch.c:
 * batches and the home's check; broker_ledger_verify.c: verify, status).
 * Everything here runs on the store's writer thread unless it says not.
 */
#ifndef BROKER_LEDGER_INT_H
#define BROKER_LEDGER_INT_H

#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>

#include "broker_ledger.h"

/* Our additions to the contract's tables: counts per partner and origin,
 * kept in the same transactions, so status need not count rows; and the
 * batches not yet acknowledged (always the newest few), found without
 * scanning the acknowledged ones. */
#define LEDGER_SCHEMA_EXTRA \
	"CREATE TABLE IF NOT EXISTS counts(partner TEXT NOT NULL," \
	" origin INTEGER NOT NULL, records INTEGER NOT NULL," \
	" flagged INTEGER NOT NULL, PRIMARY KEY(partner, origin));" \
	"CREATE INDEX IF NOT EXISTS batches_out_unacked ON batches_out(partner, seq)" \
	" WHERE acked = 0;"

/* Statements of the writer connection, prepared once. */
enum ledger_stmt {
	LS_CHAIN_GET,
	LS_CHAIN_PUT,
	LS_INSERT,
	LS_BY_ID,
	LS_CHECKPOINT,
	LS_COUNT,
	LS_CHAINS_DUE,
	LS_ASSERTION_PUT,
	LS_ASSERTION_GET,
	LS_IN_LAST,
	LS_IN_SEQ,
	LS_IN_PUT,
	LS_OUT_ACK,
	LS_OUT_UNACKED,
	LS_OUT_LAST,
	LS_OUT_RECORDS,
	LS_OUT_PUT,
	LS_N
};

struct broker_ledger {
	struct rt_store *store;
	char realm[RT_REALM_MAX];
	const struct rt_signer *signer;
	uint64_t checkpoint_records;
	long checkpoint_seconds;
	long skew;
	struct broker_ledger_counters counters;	/* NULL members when absent */
	/* the writer's */
	sqlite3_stmt *st[LS_N];
	sqlite3 *st_db;			/* the connection they belong to */
	EVP_MD *sha256;
	EVP_MD_CTX *md;
	atomic_int closing;
	/* time checkpoints */
	pthread_mutex_t tick_lock;
	int tick_busy;
	time_t tick_at;
	struct rt_store_op tick_op;
};

/* One partner's chain head while an operation runs. */
struct ledger_chain {
	char partner[RT_REALM_MAX];
	uint64_t pseq;
	uint8_t hash[RT_SHA256_LEN];
	uint64_t checkpoint_pseq;
	time_t checkpoint_at;
	int dirty;
	int64_t added[2];		/* rows by origin, for counts */
	int64_t flagged[2];
};

#define LEDGER_CHAINS_MAX 16
#define LEDGER_COMPACT (-1)	/* rt_usage_record_encode_element: the wire's form */
#define LEDGER_CANON_MAX 8192	/* one record's canonical bytes, at most */

/* The heads an operation touched; written back by ledger_chains_flush. */
struct ledger_chains {
	struct ledger_chain c[LEDGER_CHAINS_MAX];
	int n;
};

/* The prepared statement i of the writer connection db, reset. */
sqlite3_stmt *ledger_stmt(struct broker_ledger *l, sqlite3 *db, enum ledger_stmt i);
/* The head of partner's chain, loaded once per operation. */
int ledger_chain_get(struct broker_ledger *l, sqlite3 *db, struct ledger_chains *cs,
    const char *partner, struct ledger_chain **cp) RT_WUR;
/* Writes back every head that moved (and a checkpoint when one is due). */
int ledger_chains_flush(struct broker_ledger *l, sqlite3 *db, struct ledger_chains *cs) RT_WUR;
/*
 * Appends u (canonical bytes canon) to chain c with origin: 0 and *addedp
 * 1 for a new row, 0 and *addedp 0 for a repeat of the same content,
 * RT_ERR_EXISTS when the id holds another record, other RT_ERR_* when the
 * store failed (the operation must fail).
 */
int ledger_record_put(struct broker_ledger *l, sqlite3 *db, struct ledger_chain *c,
    const struct rt_usage_record *u, enum broker_origin origin,
    const uint8_t *canon, size_t len, int *addedp) RT_WUR;
/* SHA-256(prev || data) with the writer's digest context. */
int ledger_hash(struct broker_ledger *l, const uint8_t prev[RT_SHA256_LEN],
    const uint8_t *data, size_t len, uint8_t out[RT_SHA256_LEN]) RT_WUR;
/* The step of a statement that returns no row: 0 or the store's error. */
int ledger_step_done(struct broker_ledger *l, sqlite3 *db, sqlite3_stmt *st,
    const char *what) RT_WUR;
/* Whether two records are the same usage (flags compared when with_flags). */
int ledger_record_same(const struct rt_usage_record *a,
    const struct rt_usage_record *b, int with_flags);

#endif
