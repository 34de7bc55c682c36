/*
 * broker_ledger: the usage ledger of a broker (STATE_DIR/ledger.db), the
 * records operators bill each other from.
 *
 * Every write is an rt_store operation: the writer thread runs it inside
 * the group's transaction and calls its done callback only after the
 * synced COMMIT, so a caller that acknowledges in done acknowledges what
 * is durable. Many operations are in flight at once and share commits.
 *
 * What is stored (tables in broker_ledger_db.h):
 * - records, each exactly once: the id is UNIQUE; a record submitted again
 *   with the same content is a repeat (counted as stored, not added); the
 *   same id with other content is refused (RT_ERR_EXISTS) and the first
 *   version stays: nothing is ever overwritten. The partner is the other
 *   realm: home for our records (origin 0), visited for theirs (origin 1).
 * - per partner one hash chain over its rows in pseq order, its head in
 *   chains, updated in the same transaction as the rows;
 * - signed checkpoints: every checkpoint_records rows of a partner, and
 *   every checkpoint_seconds for a chain that moved, the realm key signs
 *   "roamtrust-checkpoint/1 REALM PARTNER PSEQ HASHHEX AT" (CMS detached,
 *   signer certificate embedded so `ledger verify` needs only the CA);
 * - the batches we built for a home realm (kept byte for byte until it
 *   acknowledges them) and the last batches a visited realm sent us;
 * - the assertions we issued as a home realm, to check the records a
 *   visited realm reports: a record is flagged (kept, never dropped)
 *   "unknown-assertion", "wrong-subscriber", "wrong-realm",
 *   "wrong-service" or "outside-validity".
 *
 * Records keep the unit they were measured in: a per-minute service may
 * be reported in seconds (pricing converts), never rewritten here.
 *
 * The operation structs below belong to the caller until done runs; the
 * fields marked "out" are valid in done when err is 0. done runs on the
 * store's notifier thread: it must not block.
 */
#ifndef BROKER_LEDGER_H
#define BROKER_LEDGER_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "broker_ledger_db.h"
#include "rt_buf.h"
#include "rt_cms.h"
#include "rt_doc.h"
#include "rt_metrics.h"
#include "rt_store.h"

#define BROKER_CHECKPOINT_TAG "roamtrust-checkpoint/1"
#define BROKER_CHECKPOINT_TEXT_MAX 640

/* Counters the ledger bumps (each may be NULL). */
struct broker_ledger_counters {
	struct rt_counter *added[2];	/* new rows, by origin */
	struct rt_counter *repeats;	/* records stored before */
	struct rt_counter *conflicts;	/* same id, other content: refused */
	struct rt_counter *flagged;	/* partner records our check flagged */
	struct rt_counter *checkpoints;
};

struct broker_ledger_opts {
	const char *path;
	const char *realm;			/* ours */
	const struct rt_signer *signer;		/* signs checkpoints */
	uint64_t checkpoint_records;		/* 0 = never by count */
	long checkpoint_seconds;		/* 0 = never by time */
	long skew;				/* slack of the validity check */
	int batch_max;				/* store operations per commit */
	const struct broker_ledger_counters *counters;	/* may be NULL */
};

struct broker_ledger;

int broker_ledger_open(const struct broker_ledger_opts *opts,
    struct broker_ledger **ledgerp) RT_WUR;
/* Runs what was submitted, then closes. NULL-safe. */
void broker_ledger_close(struct broker_ledger *l);
/* Returns once every operation submitted before it is done. */
void broker_ledger_drain(struct broker_ledger *l);
const char *broker_ledger_path(const struct broker_ledger *l);
uint64_t broker_ledger_commits(const struct broker_ledger *l);
/* A read-only connection (one thread at a time; sqlite3_close it). */
int broker_ledger_reader(const struct broker_ledger *l, sqlite3 **dbp) RT_WUR;

/* ---- appending records ---- */

struct broker_ledger_append {
	const struct rt_usage_record *records;	/* kept alive until done */
	size_t n;
	enum broker_origin origin;	/* the partner is home (0) or visited (1) */
	int *results;			/* NULL, or n: 0 stored, RT_ERR_EXISTS */
	void (*done)(struct broker_ledger_append *a, int err);
	void *arg;
	uint32_t stored;		/* out: durable now, repeats included */
	uint32_t added;			/* out: of which new rows */
	/* the ledger's */
	struct broker_ledger *ledger;
	struct rt_store_op op;
	struct rt_buf canon;		/* canonical bytes, back to back */
	size_t *ends;			/* where each record's bytes end */
};

/*
 * Encodes the records' canonical bytes here (the caller's thread, not the
 * writer's) and submits. 0: done will be called once. RT_ERR_*: it will
 * not (a record that does not encode, out of memory).
 */
int broker_ledger_append(struct broker_ledger *l, struct broker_ledger_append *a) RT_WUR;

/* ---- the assertions we issue (home) ---- */

struct broker_ledger_assertion {
	struct rt_assertion assertion;
	void (*done)(struct broker_ledger_assertion *la, int err);
	void *arg;
	struct broker_ledger_assertion *next;	/* broker_ledger_assertions' list */
	struct rt_store_op op;
	struct broker_ledger *ledger;
};

void broker_ledger_assertion(struct broker_ledger *l, struct broker_ledger_assertion *la);
/*
 * Records the list (chained by next) at once: the assertions of one frame
 * share a commit instead of trickling into several as they are made. Each
 * done is called once, as above.
 */
void broker_ledger_assertions(struct broker_ledger *l,
    struct broker_ledger_assertion *first);

/* ---- batches: built for a home realm (out), received from a visited one (in) ---- */

struct broker_ledger_batch_out {
	char partner[RT_REALM_MAX];	/* the home realm */
	uint64_t ack_seq;		/* first mark this batch acknowledged (0: none) */
	size_t max_bytes;		/* cap on a new batch's XML */
	size_t max_records;		/* 1..RT_BATCH_MAX */
	void (*done)(struct broker_ledger_batch_out *bo, int err);
	void *arg;
	/* out: the oldest batch not acknowledged (built before, or now from
	 * the records not yet in a batch); seq 0 when there is none */
	uint64_t seq;
	char id[RT_ID_MAX];
	uint32_t nrecords;
	int resend;			/* built before this call */
	struct rt_buf xml;		/* the batch, byte for byte */
	/* the ledger's */
	struct rt_store_op op;
	struct broker_ledger *ledger;
};

/* Submits (bo zeroed before its first use; bo->xml is kept from one call
 * to the next). Free it with broker_ledger_batch_out_fini. */
void broker_ledger_batch_out(struct broker_ledger *l, struct broker_ledger_batch_out *bo);
void broker_ledger_batch_out_fini(struct broker_ledger_batch_out *bo);

struct broker_ledger_batch_in {
	const struct rt_usage_batch *batch;	/* From checked against the sender */
	uint8_t hash[RT_SHA256_LEN];		/* SHA-256 of its XML as received */
	void (*done)(struct broker_ledger_batch_in *bi, int err);
	void *arg;
	/* out: stored and flagged of the batch (of its first arrival for a
	 * repeat); on RT_ERR_CHAIN why says what broke */
	int repeat;
	uint32_t stored, flagged;
	uint32_t added;			/* of stored, new rows */
	char why[160];
	/* the ledger's */
	struct rt_store_op op;
	struct broker_ledger *ledger;
};

/*
 * Sequence first: seq = last + 1 with PrevHash = the last batch's hash
 * stores its records (origin 1, flags from our assertions) and the batch;
 * a seq already stored with the same hash is a repeat (stores nothing);
 * anything else is RT_ERR_CHAIN (a gap, or another batch under a seq).
 */
void broker_ledger_batch_in(struct broker_ledger *l, struct broker_ledger_batch_in *bi);

/* ---- checkpoints by time ---- */

/* Signs a checkpoint for every chain that moved and whose last one is
 * checkpoint_seconds old (one operation in flight at most). */
void broker_ledger_tick(struct broker_ledger *l, time_t now);

/* The signed text of a checkpoint, into out (BROKER_CHECKPOINT_TEXT_MAX). */
int broker_ledger_checkpoint_text(const char *realm, const char *partner,
    uint64_t pseq, const uint8_t hash[RT_SHA256_LEN], time_t at, char *out,
    size_t cap) RT_WUR;

/* ---- reading (verify, status) ---- */

/*
 * Walks every partner's chain of the file at path (read-only; safe while
 * the daemon writes), checking row hashes, pseq continuity, the chains
 * heads and every checkpoint (signature against trust at its time, signer
 * = realm, hash = the row's). Writes a summary per partner to out; on the
 * first break writes it to why and returns RT_ERR_CHAIN. Other errors:
 * the file cannot be read. progress: NULL, or where to show how far it
 * got (a terminal).
 */
struct rt_trust;
int broker_ledger_verify(const char *path, const char *realm, struct rt_trust *trust,
    FILE *progress, struct rt_buf *out, char *why, size_t whycap) RT_WUR;

/* Per partner: records ours/theirs, flagged, batches out and in. */
int broker_ledger_status(sqlite3 *db, struct rt_buf *out) RT_WUR;

#endif
