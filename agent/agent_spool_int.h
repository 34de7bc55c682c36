/*
 * agent_spool_int: what agent_spool.c (tables, statements, one report's
 * changes) and agent_spool_batch.c (settling, sweeping, reading many
 * records) share, and nobody else uses. The writer statements belong to
 * the store's writer connection: only an rt_store apply may use them.
 */
#ifndef AGENT_SPOOL_INT_H
#define AGENT_SPOOL_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "agent.h"
#include "rt_usage_row.h"

#define SPOOL_SWEEP_MAX 1000	/* calls closed per sweep transaction */
#define SPOOL_PURGE_MAX 10000	/* sent records deleted per sweep */
/* A record's columns, in the order agent_spool_record_read reads them. */
#define RECORD_COLUMNS "id, agreement_ref, assertion_ref, subscriber, home, " \
	"visited, service, call_id, start_at, end_at, quantity, unit, flags"

enum spool_stmt {
	W_EVENT_EXISTS,
	W_CALL_GET,
	W_CALL_INSERT,
	W_CALL_CLOSE,
	W_RECORD_INSERT,
	W_SENT,
	W_QUARANTINE,
	W_OLD_CALLS,
	W_CALLS_PURGE,
	W_PURGE,
	W_REQUEUE,
	W_PAGES,
	W_FREE_PAGES,
	W_N
};

extern const char *const agent_spool_sql[W_N];

struct agent_spool {
	struct rt_store *store;
	char visited[RT_REALM_MAX];
	long long max_size;
	long max_call_duration;
	sqlite3_stmt *w[W_N];		/* the writer's */
	long long page_size;
	pthread_mutex_t read_lock;
	sqlite3 *reader;
	sqlite3_stmt *read_pending;
	atomic_int_fast64_t pending, sent, quarantined, open_calls;
};

/* The writer statement i, reset and unbound. */
sqlite3_stmt *agent_spool_statement(struct agent_spool *s, enum spool_stmt i);
int agent_spool_bind_text(sqlite3_stmt *st, int i, const char *v) RT_WUR;
/* Steps statement i that returns no row; its changes in *changesp (may be
 * NULL). 0 or RT_ERR_*. */
int agent_spool_step_done(struct agent_spool *s, sqlite3 *db, enum spool_stmt i,
    int *changesp) RT_WUR;
/* Steps a query: 1 with a row, 0 without, or RT_ERR_*. The caller resets. */
int agent_spool_step_row(sqlite3 *db, sqlite3_stmt *st) RT_WUR;
/* The record of a row, its columns from first in RECORD_COLUMNS order. */
int agent_spool_record_read(sqlite3_stmt *st, int first,
    struct rt_usage_record *u) RT_WUR;
/* Ends the open call call_id at end (its record in, its row closed): in
 * op->outcome STORED, REPEAT (ended before) or NONE (not known); the
 * counts' changes added to op's deltas. */
int agent_spool_close_call(struct agent_spool *s, sqlite3 *db, const char *call_id,
    time_t end, struct agent_spool_op *op) RT_WUR;

#endif
