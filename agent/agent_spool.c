/*
 * The agent's usage spool: one SQLite file (rt_store: WAL,
 * synchronous=FULL, group commit) with the calls in progress and the
 * records not yet settled with the broker.
 *
 *   open_call  a call answered: its Call-ID, start and who it is billed
 *              to; closed_at once it ended. Ending it marks the row closed
 *              and inserts its record in the same transaction: a call is
 *              open or billed, never both, never neither. Closed rows stay
 *              as long as a late report of the call may come (a
 *              retransmitted 2xx or BYE: they are repeats), then go.
 *   record     one UsageRecord per row: seq (the drain order), id (UUIDv7),
 *              (event_at, event_key) unique: the same report twice is one
 *              record; state pending -> sent | quarantined, with the
 *              broker's reason for a quarantine.
 *
 * Why (event_at, event_key) and not the key alone: a unique index on
 * random keys (Call-IDs) dirties a page per row and cut group commits to
 * ~35k rows/s here, against ~100k without it. event_at is the time the
 * event's identity was fixed (the call's start, when the policy allowed
 * the MESSAGE, when the binding was registered): every report of one
 * event carries the same one, and new rows land at the index's recent end.
 *
 * A record leaves "pending" only on the broker's answer: sent rows are
 * kept spool_keep_sent (for the operator) and then deleted; quarantined
 * rows stay until an operator requeues them. Nothing is ever dropped to
 * make room: with a max_size, new calls and records are refused
 * (RT_ERR_NOSPACE) once the live data reaches it, while calls already
 * open can still end.
 *
 * Writes run on the store's writer thread (the statements below belong to
 * its connection); reads for the drainer and the admin use one read-only
 * connection under a lock. This file: the tables, the statements, the
 * changes one report makes, life; agent_spool_batch.c: what the drainer,
 * the sweeper and the admin do with many records at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_spool_int.h"
#include "rt_log.h"
#include "rt_x509.h"


/* state's CHECK is written with ORs, not IN (...): SQLite (3.40) builds
 * an ephemeral table for the IN list on every insert, a pager opened and
 * closed per record (~1/4 of the writer's CPU in bench_spool). */
static const char spool_schema[] =
    "PRAGMA user_version = 1;"
    "CREATE TABLE IF NOT EXISTS open_call ("
    " call_id TEXT PRIMARY KEY NOT NULL,"
    " start_at INTEGER NOT NULL,"
    " closed_at INTEGER,"
    " flow TEXT NOT NULL,"
    " subscriber TEXT NOT NULL,"
    " home TEXT NOT NULL,"
    " assertion_ref TEXT NOT NULL,"
    " agreement_ref TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS open_call_start ON open_call(start_at)"
    " WHERE closed_at IS NULL;"
    "CREATE INDEX IF NOT EXISTS open_call_closed ON open_call(closed_at)"
    " WHERE closed_at IS NOT NULL;"
    "CREATE TABLE IF NOT EXISTS record ("
    " seq INTEGER PRIMARY KEY,"
    " id TEXT NOT NULL UNIQUE,"
    " event_at INTEGER NOT NULL,"
    " event_key TEXT NOT NULL,"
    " state TEXT NOT NULL DEFAULT 'pending'"
    "  CHECK (state = 'pending' OR state = 'sent' OR state = 'quarantined'),"
    " reason TEXT,"
    " settled_at INTEGER,"
    " agreement_ref TEXT NOT NULL,"
    " assertion_ref TEXT NOT NULL,"
    " subscriber TEXT NOT NULL,"
    " home TEXT NOT NULL,"
    " visited TEXT NOT NULL,"
    " service TEXT NOT NULL,"
    " call_id TEXT NOT NULL,"
    " start_at INTEGER NOT NULL,"
    " end_at INTEGER NOT NULL,"
    " quantity INTEGER NOT NULL,"
    " unit TEXT NOT NULL,"
    " flags TEXT NOT NULL);"
    "CREATE UNIQUE INDEX IF NOT EXISTS record_event ON record(event_at, event_key);"
    "CREATE INDEX IF NOT EXISTS record_state ON record(state, seq);";

const char *const agent_spool_sql[W_N] = {
	"SELECT 1 FROM record WHERE event_at = ?1 AND event_key = ?2",
	"SELECT start_at, closed_at, subscriber, home, assertion_ref, agreement_ref "
	    "FROM open_call WHERE call_id = ?1",
	"INSERT INTO open_call (call_id, start_at, flow, subscriber, home, "
	    "assertion_ref, agreement_ref) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	"UPDATE open_call SET closed_at = ?2 WHERE call_id = ?1 AND closed_at IS NULL",
	"INSERT INTO record (event_at, event_key, " RECORD_COLUMNS ") VALUES (?1, ?2, "
	    "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15) "
	    "ON CONFLICT (event_at, event_key) DO NOTHING",
	"UPDATE record SET state = 'sent', settled_at = ?2 "
	    "WHERE id = ?1 AND state = 'pending'",
	"UPDATE record SET state = 'quarantined', settled_at = ?2, reason = ?3 "
	    "WHERE id = ?1 AND state = 'pending'",
	"SELECT call_id FROM open_call WHERE closed_at IS NULL AND start_at < ?1 "
	    "ORDER BY start_at LIMIT ?2",
	"DELETE FROM open_call WHERE call_id IN (SELECT call_id FROM open_call "
	    "WHERE closed_at IS NOT NULL AND closed_at < ?1 LIMIT ?2)",
	"DELETE FROM record WHERE seq IN (SELECT seq FROM record WHERE state = "
	    "'sent' AND settled_at < ?1 ORDER BY seq LIMIT ?2)",
	"UPDATE record SET state = 'pending', reason = NULL, settled_at = NULL "
	    "WHERE state = 'quarantined'",
	"PRAGMA page_count",
	"PRAGMA freelist_count",
};

/* ---- statements ---- */

sqlite3_stmt *
agent_spool_statement(struct agent_spool *s, enum spool_stmt i)
{
	sqlite3_reset(s->w[i]);
	sqlite3_clear_bindings(s->w[i]);
	return s->w[i];
}

int
agent_spool_bind_text(sqlite3_stmt *st, int i, const char *v)
{
	return sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC) == SQLITE_OK ? 0 :
	    RT_ERR_INTERNAL;
}

/* Steps a statement that returns no row; its changes in *changesp. */
int
agent_spool_step_done(struct agent_spool *s, sqlite3 *db, enum spool_stmt i,
    int *changesp)
{
	int rc = sqlite3_step(s->w[i]);

	sqlite3_reset(s->w[i]);
	if (rc != SQLITE_DONE)
		return rt_store_error(db, "spool", agent_spool_sql[i]);
	if (changesp != NULL)
		*changesp = sqlite3_changes(db);
	return 0;
}

/* Steps a query: 1 with a row, 0 without, or RT_ERR_*. The caller resets. */
int
agent_spool_step_row(sqlite3 *db, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return rt_store_error(db, "spool", sqlite3_sql(st));
}


/* ---- records ---- */

/* Inserts u as the event (event_at, event_key): 1 when new, 0 when the
 * event was there. */
static int
record_insert(struct agent_spool *s, sqlite3 *db, uint64_t event_at,
    const char *event_key, const struct rt_usage_record *u)
{
	sqlite3_stmt *st = agent_spool_statement(s, W_RECORD_INSERT);
	int r, changes = 0;

	if (event_at > INT64_MAX)
		return RT_ERR_BAD_INPUT;
	if (sqlite3_bind_int64(st, 1, (sqlite3_int64)event_at) != SQLITE_OK ||
	    agent_spool_bind_text(st, 2, event_key) != 0)
		return RT_ERR_INTERNAL;
	if ((r = rt_usage_row_bind(st, 3, u)) != 0)
		return r;
	if ((r = agent_spool_step_done(s, db, W_RECORD_INSERT, &changes)) != 0)
		return r;
	return changes > 0;
}

int
agent_spool_record_read(sqlite3_stmt *st, int first, struct rt_usage_record *u)
{
	return rt_usage_row_read(st, first, u);
}

static int
event_exists(struct agent_spool *s, sqlite3 *db, uint64_t event_at, const char *key)
{
	sqlite3_stmt *st = agent_spool_statement(s, W_EVENT_EXISTS);
	int r;

	if (sqlite3_bind_int64(st, 1, (sqlite3_int64)event_at) != SQLITE_OK)
		return RT_ERR_INTERNAL;
	if ((r = agent_spool_bind_text(st, 2, key)) != 0)
		return r;
	r = agent_spool_step_row(db, st);
	sqlite3_reset(st);
	return r;
}

/* RT_ERR_NOSPACE when the live data reached max_size (0: no cap). */
static int
room_left(struct agent_spool *s, sqlite3 *db)
{
	long long pages, free_pages;
	int r;

	if (s->max_size <= 0)
		return 0;
	if ((r = agent_spool_step_row(db, agent_spool_statement(s, W_PAGES))) != 1)
		return r < 0 ? r : RT_ERR_IO;
	pages = sqlite3_column_int64(s->w[W_PAGES], 0);
	sqlite3_reset(s->w[W_PAGES]);
	if ((r = agent_spool_step_row(db, agent_spool_statement(s, W_FREE_PAGES))) != 1)
		return r < 0 ? r : RT_ERR_IO;
	free_pages = sqlite3_column_int64(s->w[W_FREE_PAGES], 0);
	sqlite3_reset(s->w[W_FREE_PAGES]);
	return (pages - free_pages) * s->page_size >= s->max_size ? RT_ERR_NOSPACE : 0;
}

/* ---- operations (on the writer thread) ---- */

/* The row of call_id: 1 and its columns in st (the caller resets), 0
 * when there is none, or RT_ERR_*. */
static int
call_row(struct agent_spool *s, sqlite3 *db, const char *call_id, sqlite3_stmt **stp)
{
	sqlite3_stmt *st = agent_spool_statement(s, W_CALL_GET);
	int r;

	*stp = st;
	if ((r = agent_spool_bind_text(st, 1, call_id)) != 0)
		return r;
	if ((r = agent_spool_step_row(db, st)) != 1)
		sqlite3_reset(st);
	return r;
}

static int
apply_open(struct agent_spool *s, sqlite3 *db, struct agent_spool_op *op)
{
	sqlite3_stmt *st;
	int r, i = 1;

	/* open already, or ended (a late retransmission of the 2xx) */
	op->outcome = AGENT_SPOOL_REPEAT;
	if ((r = call_row(s, db, op->call_id, &st)) != 0) {
		sqlite3_reset(st);
		return r < 0 ? r : 0;
	}
	if ((r = room_left(s, db)) != 0)
		return r;
	st = agent_spool_statement(s, W_CALL_INSERT);
	if (agent_spool_bind_text(st, i++, op->call_id) != 0 ||
	    sqlite3_bind_int64(st, i++, (sqlite3_int64)op->at) != SQLITE_OK ||
	    agent_spool_bind_text(st, i++, op->party.flow) != 0 ||
	    agent_spool_bind_text(st, i++, op->party.subscriber) != 0 ||
	    agent_spool_bind_text(st, i++, op->party.home) != 0 ||
	    agent_spool_bind_text(st, i++, op->party.assertion_ref) != 0 ||
	    agent_spool_bind_text(st, i++, op->party.agreement_ref) != 0)
		return RT_ERR_INTERNAL;
	if ((r = agent_spool_step_done(s, db, W_CALL_INSERT, NULL)) != 0)
		return r;
	op->outcome = AGENT_SPOOL_STORED;
	op->delta_open = 1;
	return 0;
}

/* The record of the open call in st (a W_CALL_GET row) ended at end,
 * capped at the maximum duration. */
static int
call_record(struct agent_spool *s, sqlite3_stmt *st, const char *call_id,
    time_t end, struct rt_usage_record *u)
{
	memset(u, 0, sizeof(*u));
	u->start = (time_t)sqlite3_column_int64(st, 0);
	if (rt_sql_column_text(st, 2, u->subscriber, sizeof(u->subscriber)) != 0 ||
	    rt_sql_column_text(st, 3, u->home, sizeof(u->home)) != 0 ||
	    rt_sql_column_text(st, 4, u->assertion_ref, sizeof(u->assertion_ref)) != 0 ||
	    rt_sql_column_text(st, 5, u->agreement_ref, sizeof(u->agreement_ref)) != 0)
		return RT_ERR_INTERNAL;
	snprintf(u->call_id, sizeof(u->call_id), "%s", call_id);
	snprintf(u->visited, sizeof(u->visited), "%s", s->visited);
	snprintf(u->service, sizeof(u->service), "voice");
	snprintf(u->unit, sizeof(u->unit), "second");
	u->end = end < u->start ? u->start : end;
	if (u->end - u->start > s->max_call_duration) {
		u->end = u->start + s->max_call_duration;
		snprintf(u->flags[u->nflags++], RT_SERVICE_MAX, "max-duration");
	}
	u->quantity = (uint64_t)(u->end - u->start);
	/* UUIDv7 of when the record is made: the spool's order is time's */
	return rt_uuid_v7(rt_time_now_ms(), u->id);
}

int
agent_spool_close_call(struct agent_spool *s, sqlite3 *db, const char *call_id,
    time_t end, struct agent_spool_op *op)
{
	struct rt_usage_record u;
	char key[RT_TEXT_MAX + 8];
	sqlite3_stmt *st;
	int r, closed, changes = 0;

	if ((r = call_row(s, db, call_id, &st)) != 1) {
		/* never open, or ended and forgotten long ago */
		op->outcome = AGENT_SPOOL_NONE;
		return r;
	}
	closed = sqlite3_column_type(st, 1) != SQLITE_NULL;
	r = closed ? 0 : call_record(s, st, call_id, end, &u);
	sqlite3_reset(st);
	if (closed || r != 0) {
		op->outcome = AGENT_SPOOL_REPEAT;	/* a retransmitted BYE */
		return r;
	}
	snprintf(key, sizeof(key), "call:%s", call_id);
	if ((r = record_insert(s, db, (uint64_t)u.start * 1000, key, &u)) < 0)
		return r;
	op->outcome = r ? AGENT_SPOOL_STORED : AGENT_SPOOL_REPEAT;
	op->delta_pending += r;
	st = agent_spool_statement(s, W_CALL_CLOSE);
	if ((r = agent_spool_bind_text(st, 1, call_id)) != 0 ||
	    sqlite3_bind_int64(st, 2, (sqlite3_int64)end) != SQLITE_OK ||
	    (r = agent_spool_step_done(s, db, W_CALL_CLOSE, &changes)) != 0)
		return r != 0 ? r : RT_ERR_INTERNAL;
	op->delta_open -= changes;
	if (u.nflags > 0)
		log_warn("event=call_closed_at_max call_id=%s subscriber=%s seconds=%llu",
		    call_id, u.subscriber, (unsigned long long)u.quantity);
	return 0;
}

static int
apply_record(struct agent_spool *s, sqlite3 *db, struct agent_spool_op *op)
{
	int r;

	if (s->max_size > 0 && (r = room_left(s, db)) != 0) {
		int seen = event_exists(s, db, op->event_at, op->event_key);

		if (seen < 0)
			return seen;
		if (!seen)
			return r;
	}
	if ((r = record_insert(s, db, op->event_at, op->event_key, &op->record)) < 0)
		return r;
	op->outcome = r ? AGENT_SPOOL_STORED : AGENT_SPOOL_REPEAT;
	op->delta_pending = r;
	return 0;
}

static int
op_apply(sqlite3 *db, void *arg)
{
	struct agent_spool_op *op = arg;
	struct agent_spool *s = op->spool;

	op->delta_pending = op->delta_open = 0;
	switch (op->kind) {
	case AGENT_SPOOL_OPEN:
		return apply_open(s, db, op);
	case AGENT_SPOOL_CLOSE:
		return agent_spool_close_call(s, db, op->call_id, op->at, op);
	case AGENT_SPOOL_RECORD:
		return apply_record(s, db, op);
	}
	return RT_ERR_INTERNAL;
}

/* After the commit: the counts follow what is on disk. */
static void
op_done(void *arg, int err)
{
	struct agent_spool_op *op = arg;
	struct agent_spool *s = op->spool;

	if (err == 0) {
		atomic_fetch_add(&s->pending, op->delta_pending);
		atomic_fetch_add(&s->open_calls, op->delta_open);
	}
	op->done(op, err);
}

void
agent_spool_submit(struct agent_spool *s, struct agent_spool_op *op)
{
	op->spool = s;
	op->op.apply = op_apply;
	op->op.done = op_done;
	op->op.arg = op;
	if (op->kind == AGENT_SPOOL_RECORD && op->record.id[0] == '\0' &&
	    rt_uuid_v7(rt_time_now_ms(), op->record.id) != 0) {
		op->done(op, RT_ERR_CRYPTO);
		return;
	}
	rt_store_submit(s->store, &op->op);
}

/* ---- life ---- */

static int
prepare_apply(sqlite3 *db, void *arg)
{
	struct agent_spool *s = arg;
	sqlite3_stmt *ps = NULL;

	for (int i = 0; i < W_N; i++) {
		sqlite3_finalize(s->w[i]);	/* (should it run twice) */
		s->w[i] = NULL;
		if (sqlite3_prepare_v3(db, agent_spool_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
		    &s->w[i], NULL) != SQLITE_OK)
			return rt_store_error(db, "spool", "prepare");
	}
	if (sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &ps, NULL) != SQLITE_OK ||
	    sqlite3_step(ps) != SQLITE_ROW) {
		sqlite3_finalize(ps);
		return rt_store_error(db, "spool", "page_size");
	}
	s->page_size = sqlite3_column_int64(ps, 0);
	sqlite3_finalize(ps);
	return 0;
}

static int
barrier_apply(sqlite3 *db, void *arg)
{
	(void)db;
	(void)arg;
	return 0;
}

/* The counts at open, from what the file holds. */
static int
count_rows(struct agent_spool *s)
{
	sqlite3_stmt *q = NULL;
	int r;

	if (sqlite3_prepare_v2(s->reader, "SELECT state, count(*) FROM record GROUP "
	    "BY state UNION ALL SELECT 'open', count(*) FROM open_call WHERE closed_at "
	    "IS NULL", -1, &q,
	    NULL) != SQLITE_OK)
		return rt_store_error(s->reader, "spool", "count");
	while ((r = agent_spool_step_row(s->reader, q)) == 1) {
		const char *state = (const char *)sqlite3_column_text(q, 0);
		int64_t n = sqlite3_column_int64(q, 1);

		if (state == NULL)
			continue;
		if (strcmp(state, "pending") == 0)
			atomic_store(&s->pending, n);
		else if (strcmp(state, "sent") == 0)
			atomic_store(&s->sent, n);
		else if (strcmp(state, "quarantined") == 0)
			atomic_store(&s->quarantined, n);
		else if (strcmp(state, "open") == 0)
			atomic_store(&s->open_calls, n);
	}
	sqlite3_finalize(q);
	return r < 0 ? r : 0;
}

int
agent_spool_open(const char *path, const char *visited, long long max_size,
    long max_call_duration, struct agent_spool **sp)
{
	struct rt_store_opts opts = {.path = path, .name = "spool",
	    .schema = spool_schema};
	struct agent_spool *s;
	int r;

	*sp = NULL;
	if (!rt_realm_valid(visited) || max_call_duration <= 0)
		return RT_ERR_BAD_INPUT;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return RT_ERR_NOMEM;
	pthread_mutex_init(&s->read_lock, NULL);
	snprintf(s->visited, sizeof(s->visited), "%s", visited);
	s->max_size = max_size;
	s->max_call_duration = max_call_duration;
	if ((r = rt_store_open(&opts, &s->store)) != 0 ||
	    (r = rt_store_run(s->store, prepare_apply, s)) != 0 ||
	    (r = rt_store_reader(s->store, &s->reader)) != 0)
		goto out;
	if (sqlite3_prepare_v3(s->reader, "SELECT " RECORD_COLUMNS ", seq FROM record "
	    "WHERE state = 'pending' ORDER BY seq LIMIT ?1", -1,
	    SQLITE_PREPARE_PERSISTENT, &s->read_pending, NULL) != SQLITE_OK) {
		r = rt_store_error(s->reader, "spool", "prepare");
		goto out;
	}
	if ((r = count_rows(s)) != 0)
		goto out;
	log_info("event=spool_open path=%s pending=%lld quarantined=%lld open_calls=%lld",
	    path, (long long)atomic_load(&s->pending),
	    (long long)atomic_load(&s->quarantined),
	    (long long)atomic_load(&s->open_calls));
	*sp = s;
	s = NULL;
 out:
	if (s != NULL)
		log_err("event=spool_open_failed path=%s reason=%s", path, rt_errname(r));
	agent_spool_close(s);
	return r;
}

void
agent_spool_close(struct agent_spool *s)
{
	if (s == NULL)
		return;
	/*
	 * The writer's statements go before the store closes its connection.
	 * Nothing submits any more: once an operation queued now is done
	 * (even failed, as on a read-only disk), the writer is idle and the
	 * connection is ours.
	 */
	if (s->store != NULL)
		(void)!rt_store_run(s->store, barrier_apply, NULL);
	for (int i = 0; i < W_N; i++)
		sqlite3_finalize(s->w[i]);
	rt_store_close(s->store);
	sqlite3_finalize(s->read_pending);
	sqlite3_close(s->reader);
	pthread_mutex_destroy(&s->read_lock);
	free(s);
}

const char *
agent_spool_path(const struct agent_spool *s)
{
	return rt_store_path(s->store);
}

struct rt_store *
agent_spool_store(struct agent_spool *s)
{
	return s->store;
}
