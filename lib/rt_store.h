/*
 * rt_store: a durable SQLite database with group commit.
 *
 * One file (created 0600, refused when group or others may read it), WAL
 * journal, synchronous=FULL: a transaction is on disk when COMMIT returns,
 * so "done" below means durable, even across a power loss.
 *
 * Writes go through one writer thread. Callers submit operations; the
 * writer takes every operation queued (up to batch_max), runs them in one
 * transaction, commits once, and only then calls each operation's done
 * callback with 0 or its error. One failing operation is rolled back
 * alone: the group runs first without savepoints (they cost about as much
 * as a small insert each), and when an operation fails, the transaction
 * is rolled back and the group run again with each operation inside its
 * own SAVEPOINT. So apply may run twice for one operation: it must set its
 * outputs afresh each time, and what it does outside the database (a log
 * line, a metric) may happen twice. One
 * fsync covers the whole group: the more callers wait, the bigger the
 * group, the cheaper each write. If the COMMIT itself fails (disk full,
 * read-only file system, I/O error) every operation of the group gets the
 * error and nothing of it is on disk.
 *
 * done runs on the store's notifier thread, after the commit, in the
 * order the operations ran, while the writer runs the next group (so the
 * writer never waits on waking a submitter): it must not block (every
 * later done waits for it, and the writer once its next group is done)
 * nor submit and wait (rt_store_run) on the same store. apply runs on the
 * writer thread inside the transaction, with the writer's connection.
 *
 * Reads: rt_store_reader() opens an extra read-only connection on the same
 * file for one thread at a time (WAL lets it read while the writer writes).
 */
#ifndef RT_STORE_H
#define RT_STORE_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "rt_err.h"

#define RT_STORE_BATCH_DEFAULT 1000

struct rt_store;

struct rt_store_opts {
	const char *path;	/* the database file */
	const char *name;	/* for logs ("ledger", "spool") */
	const char *schema;	/* SQL run once at open, in a transaction:
				 * CREATE TABLE IF NOT EXISTS ... */
	int batch_max;		/* operations per transaction; 0 = default */
};

struct rt_store_op {
	struct rt_store_op *next;	/* the store's (see rt_store_submit_chain) */
	/* Runs inside the group's transaction; 0 or RT_ERR_*. On error what
	 * it did is rolled back, the others' commit. May run twice (see
	 * above): outputs set afresh each time. */
	int (*apply)(sqlite3 *db, void *arg);
	/* After the commit (err 0: durable) or the failure; may be NULL. */
	void (*done)(void *arg, int err);
	void *arg;
};

/* Opens (creating) the file and starts the writer. */
int rt_store_open(const struct rt_store_opts *opts, struct rt_store **storep) RT_WUR;
/* Runs what was submitted, stops the writer, closes. NULL-safe. */
void rt_store_close(struct rt_store *store);

/* Queues op (the caller keeps it alive until done). Never fails: a store
 * that is closing calls done with RT_ERR_UNAVAILABLE. */
void rt_store_submit(struct rt_store *store, struct rt_store_op *op);
/*
 * Queues op and the ops chained after it by their next fields (set by
 * the caller for this call only), all at once: the writer finds them
 * together, so they share one commit (if they fit in a group) instead of
 * the first going alone while the others are still being made.
 */
void rt_store_submit_chain(struct rt_store *store, struct rt_store_op *op);
/* Submits apply(arg) and waits until it is durable; its error or 0. */
int rt_store_run(struct rt_store *store, int (*apply)(sqlite3 *db, void *arg),
    void *arg) RT_WUR;

/* A new read-only connection to the store's file (close with
 * sqlite3_close); for one thread at a time. */
int rt_store_reader(const struct rt_store *store, sqlite3 **dbp) RT_WUR;
/* The file's path. */
const char *rt_store_path(const struct rt_store *store);

/* Groups committed and operations done since open (for benchmarks and
 * metrics). */
uint64_t rt_store_commits(const struct rt_store *store);
uint64_t rt_store_ops(const struct rt_store *store);
/* Groups run again, one savepoint per operation, after one failed. */
uint64_t rt_store_reruns(const struct rt_store *store);

/* Maps db's last error to RT_ERR_* (SQLITE_FULL -> RT_ERR_NOSPACE,
 * SQLITE_READONLY -> RT_ERR_READONLY, constraint -> RT_ERR_EXISTS,
 * else RT_ERR_IO) and logs it with op and the store's name. */
int rt_store_error(sqlite3 *db, const char *name, const char *op);

#endif
