/*
 * The spool's work on many records at once (see agent_spool.c): settling
 * a submit with the broker's answer, sweeping calls past their maximum and
 * old sent records, requeueing the quarantine, and reading for the
 * drainer and the admin. Each change is one rt_store_run: one transaction,
 * durable when it returns, the counts updated only then.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_spool_int.h"
#include "rt_log.h"

struct settle_call {
	struct agent_spool *spool;
	const struct rt_usage_record *recs;
	size_t n;
	const struct rt_usage_reject *rejected;
	size_t nrejected;
	time_t now;
	int64_t sent, quarantined;
};

static const struct rt_usage_reject *
rejection_of(const struct settle_call *c, const char *id)
{
	for (size_t k = 0; k < c->nrejected; k++)
		if (strcmp(c->rejected[k].ref, id) == 0)
			return &c->rejected[k];
	return NULL;
}

static int
settle_apply(sqlite3 *db, void *arg)
{
	struct settle_call *c = arg;
	struct agent_spool *s = c->spool;
	int r, changes = 0;

	c->sent = c->quarantined = 0;
	for (size_t i = 0; i < c->n; i++) {
		const struct rt_usage_reject *j = rejection_of(c, c->recs[i].id);
		enum spool_stmt w = j != NULL ? W_QUARANTINE : W_SENT;
		sqlite3_stmt *st = agent_spool_statement(s, w);

		if (agent_spool_bind_text(st, 1, c->recs[i].id) != 0 ||
		    sqlite3_bind_int64(st, 2, (sqlite3_int64)c->now) != SQLITE_OK ||
		    (j != NULL && agent_spool_bind_text(st, 3, j->reason) != 0))
			return RT_ERR_INTERNAL;
		if ((r = agent_spool_step_done(s, db, w, &changes)) != 0)
			return r;
		if (j != NULL)
			c->quarantined += changes;
		else
			c->sent += changes;
	}
	return 0;
}

int
agent_spool_settle(struct agent_spool *s, const struct rt_usage_record *recs,
    size_t n, const struct rt_usage_reject *rejected, size_t nrejected, time_t now,
    size_t *sentp, size_t *quarantinedp)
{
	struct settle_call c = {.spool = s, .recs = recs, .n = n,
	    .rejected = rejected, .nrejected = nrejected, .now = now};
	int r;

	*sentp = *quarantinedp = 0;
	if ((r = rt_store_run(s->store, settle_apply, &c)) != 0)
		return r;
	*sentp = (size_t)c.sent;
	*quarantinedp = (size_t)c.quarantined;
	atomic_fetch_sub(&s->pending, c.sent + c.quarantined);
	atomic_fetch_add(&s->sent, c.sent);
	atomic_fetch_add(&s->quarantined, c.quarantined);
	for (size_t i = 0; i < n; i++) {
		const struct rt_usage_reject *j = rejection_of(&c, recs[i].id);

		if (j != NULL)
			log_warn("event=record_quarantined id=%s call_id=%s subscriber=%s "
			    "reason=%s", recs[i].id, recs[i].call_id, recs[i].subscriber,
			    j->reason);
	}
	return 0;
}

struct sweep_call {
	struct agent_spool *spool;
	char (*ids)[RT_TEXT_MAX];	/* SPOOL_SWEEP_MAX of them */
	time_t now, calls_before, sent_before;
	size_t closed;
	int64_t forgotten, purged, delta_pending, delta_open;
};

/* Runs statement i with the time limit before and SPOOL_PURGE_MAX. */
static int
purge(struct agent_spool *s, sqlite3 *db, enum spool_stmt i, time_t before,
    int64_t *np)
{
	sqlite3_stmt *st = agent_spool_statement(s, i);
	int r, changes = 0;

	if (sqlite3_bind_int64(st, 1, (sqlite3_int64)before) != SQLITE_OK ||
	    sqlite3_bind_int(st, 2, SPOOL_PURGE_MAX) != SQLITE_OK)
		return RT_ERR_INTERNAL;
	if ((r = agent_spool_step_done(s, db, i, &changes)) != 0)
		return r;
	*np = changes;
	return 0;
}

static int
sweep_apply(sqlite3 *db, void *arg)
{
	struct sweep_call *c = arg;
	struct agent_spool *s = c->spool;
	char (*ids)[RT_TEXT_MAX] = c->ids;
	struct agent_spool_op op;
	sqlite3_stmt *st;
	size_t n = 0;
	int r;

	c->closed = 0;
	c->forgotten = c->purged = c->delta_pending = c->delta_open = 0;
	st = agent_spool_statement(s, W_OLD_CALLS);
	/* open longer than the maximum: close_call caps and flags them */
	if (sqlite3_bind_int64(st, 1, (sqlite3_int64)(c->now -
	    s->max_call_duration)) != SQLITE_OK ||
	    sqlite3_bind_int(st, 2, SPOOL_SWEEP_MAX) != SQLITE_OK)
		return RT_ERR_INTERNAL;
	while ((r = agent_spool_step_row(db, st)) == 1 && n < SPOOL_SWEEP_MAX)
		if (rt_sql_column_text(st, 0, ids[n], sizeof(ids[n])) == 0)
			n++;
	sqlite3_reset(st);
	if (r < 0)
		return r;
	memset(&op, 0, sizeof(op));
	for (size_t i = 0; i < n; i++) {
		if ((r = agent_spool_close_call(s, db, ids[i], c->now, &op)) != 0)
			return r;
		c->closed += op.outcome == AGENT_SPOOL_STORED;
	}
	c->delta_pending = op.delta_pending;
	c->delta_open = op.delta_open;
	if ((r = purge(s, db, W_CALLS_PURGE, c->calls_before, &c->forgotten)) != 0)
		return r;
	return purge(s, db, W_PURGE, c->sent_before, &c->purged);
}

int
agent_spool_sweep(struct agent_spool *s, time_t now, time_t calls_before,
    time_t sent_before, size_t *closedp)
{
	struct sweep_call c = {.spool = s, .now = now, .calls_before = calls_before,
	    .sent_before = sent_before};
	size_t closed = 0;
	int r;

	*closedp = 0;
	if ((c.ids = calloc(SPOOL_SWEEP_MAX, sizeof(*c.ids))) == NULL)
		return RT_ERR_NOMEM;
	do {
		if ((r = rt_store_run(s->store, sweep_apply, &c)) != 0)
			break;
		atomic_fetch_add(&s->pending, c.delta_pending);
		atomic_fetch_add(&s->open_calls, c.delta_open);
		atomic_fetch_sub(&s->sent, c.purged);
		closed += c.closed;
	} while (c.closed == SPOOL_SWEEP_MAX || c.purged == SPOOL_PURGE_MAX ||
	    c.forgotten == SPOOL_PURGE_MAX);
	free(c.ids);
	*closedp = closed;
	return r;
}

struct requeue_call {
	struct agent_spool *spool;
	int changes;
};

static int
requeue_apply(sqlite3 *db, void *arg)
{
	struct requeue_call *c = arg;

	(void)agent_spool_statement(c->spool, W_REQUEUE);
	return agent_spool_step_done(c->spool, db, W_REQUEUE, &c->changes);
}

int
agent_spool_requeue(struct agent_spool *s, size_t *np)
{
	struct requeue_call c = {.spool = s};
	int r;

	*np = 0;
	if ((r = rt_store_run(s->store, requeue_apply, &c)) != 0)
		return r;
	atomic_fetch_sub(&s->quarantined, c.changes);
	atomic_fetch_add(&s->pending, c.changes);
	*np = (size_t)c.changes;
	return 0;
}

/* ---- reading ---- */

int
agent_spool_pending(struct agent_spool *s, struct rt_usage_record *out, size_t max,
    size_t *np)
{
	sqlite3_stmt *st = s->read_pending;
	size_t n = 0;
	int r;

	*np = 0;
	pthread_mutex_lock(&s->read_lock);
	sqlite3_reset(st);
	if (sqlite3_bind_int64(st, 1, (sqlite3_int64)max) != SQLITE_OK) {
		r = RT_ERR_INTERNAL;
		goto out;
	}
	while (n < max && (r = agent_spool_step_row(s->reader, st)) == 1) {
		if ((r = agent_spool_record_read(st, 0, &out[n])) != 0) {
			log_err("event=spool_record_unreadable seq=%lld",
			    (long long)sqlite3_column_int64(st, 13));
			r = RT_ERR_INTERNAL;
			goto out;
		}
		n++;
	}
	r = r < 0 ? r : 0;
	*np = n;
 out:
	sqlite3_reset(st);
	pthread_mutex_unlock(&s->read_lock);
	return r;
}

void
agent_spool_stats(const struct agent_spool *s, struct agent_spool_stats *st)
{
	st->pending = atomic_load(&s->pending);
	st->sent = atomic_load(&s->sent);
	st->quarantined = atomic_load(&s->quarantined);
	st->open_calls = atomic_load(&s->open_calls);
}

int
agent_spool_report(struct agent_spool *s, size_t max, struct rt_buf *out)
{
	struct agent_spool_stats st;
	sqlite3_stmt *q = NULL;
	int r;

	agent_spool_stats(s, &st);
	if ((r = rt_buf_printf(out, "spool:       %s\n"
	    "pending:     %lld records waiting for the broker\n"
	    "sent:        %lld records the broker stored (kept spool_keep_sent)\n"
	    "quarantined: %lld records the broker rejected\n"
	    "open calls:  %lld\n",
	    rt_store_path(s->store), (long long)st.pending, (long long)st.sent,
	    (long long)st.quarantined, (long long)st.open_calls)) != 0 ||
	    st.quarantined == 0)
		return r;
	pthread_mutex_lock(&s->read_lock);
	if (sqlite3_prepare_v2(s->reader, "SELECT id, reason, service, subscriber, "
	    "call_id, quantity, unit FROM record WHERE state = 'quarantined' "
	    "ORDER BY seq LIMIT ?1", -1, &q, NULL) != SQLITE_OK ||
	    sqlite3_bind_int64(q, 1, (sqlite3_int64)max) != SQLITE_OK) {
		r = rt_store_error(s->reader, "spool", "report");
		goto out;
	}
	while ((r = agent_spool_step_row(s->reader, q)) == 1)
		if ((r = rt_buf_printf(out, "quarantined %s reason=%s service=%s "
		    "subscriber=%s call_id=%s quantity=%lld %s\n",
		    sqlite3_column_text(q, 0), sqlite3_column_text(q, 1),
		    sqlite3_column_text(q, 2), sqlite3_column_text(q, 3),
		    sqlite3_column_text(q, 4), (long long)sqlite3_column_int64(q, 5),
		    sqlite3_column_text(q, 6))) != 0)
			break;
	r = r < 0 ? r : 0;
 out:
	sqlite3_finalize(q);
	pthread_mutex_unlock(&s->read_lock);
	return r;
}

