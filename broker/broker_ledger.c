/*
 * The ledger's store, its statements, the chains, appends, assertions and
 * checkpoints (see broker_ledger.h). Batches are in broker_ledger_batch.c,
 * verify and status in broker_ledger_verify.c.
 *
 * The chain head of a partner is read from the chains table inside each
 * operation and written back in the same one, never cached across
 * operations: a savepoint rolled back or a COMMIT that fails takes the head
 * back with the rows, so the chain cannot drift from what is on disk.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker_ledger_int.h"
#include "rt_codec.h"
#include "rt_log.h"

#define TICK_PARTNERS_MAX 256	/* checkpoints one tick signs */

static const char *const ledger_sql[LS_N] = {
	[LS_CHAIN_GET] = "SELECT pseq, hash, checkpoint_pseq, checkpoint_at FROM chains "
	    "WHERE partner = ?1",
	[LS_CHAIN_PUT] = "INSERT INTO chains(partner, pseq, hash, checkpoint_pseq, "
	    "checkpoint_at) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(partner) DO UPDATE "
	    "SET pseq = excluded.pseq, hash = excluded.hash, checkpoint_pseq = "
	    "excluded.checkpoint_pseq, checkpoint_at = excluded.checkpoint_at",
	[LS_INSERT] = "INSERT INTO records(" BROKER_LEDGER_RECORD_COLUMNS
	    ", partner, origin, pseq, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
	    "?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17) ON CONFLICT(id) DO NOTHING",
	[LS_BY_ID] = "SELECT partner, origin, " BROKER_LEDGER_RECORD_COLUMNS
	    " FROM records WHERE id = ?1",
	[LS_CHECKPOINT] = "INSERT INTO checkpoints(partner, pseq, hash, at, sig) "
	    "VALUES (?1, ?2, ?3, ?4, ?5)",
	[LS_COUNT] = "INSERT INTO counts(partner, origin, records, flagged) VALUES "
	    "(?1, ?2, ?3, ?4) ON CONFLICT(partner, origin) DO UPDATE SET records = "
	    "records + excluded.records, flagged = flagged + excluded.flagged",
	[LS_CHAINS_DUE] = "SELECT partner FROM chains WHERE pseq > checkpoint_pseq "
	    "AND checkpoint_at <= ?1 ORDER BY partner LIMIT ?2",
	[LS_ASSERTION_PUT] = "INSERT INTO assertions(id, subject, audience, services, "
	    "issued_at, not_on_or_after, agreement) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
	    "ON CONFLICT(id) DO NOTHING",
	[LS_ASSERTION_GET] = "SELECT subject, audience, services, issued_at, "
	    "not_on_or_after FROM assertions WHERE id = ?1",
	[LS_IN_LAST] = "SELECT seq, hash FROM batches_in WHERE partner = ?1 "
	    "ORDER BY seq DESC LIMIT 1",
	[LS_IN_SEQ] = "SELECT hash, stored, flagged FROM batches_in WHERE partner = ?1 "
	    "AND seq = ?2",
	[LS_IN_PUT] = "INSERT INTO batches_in(partner, seq, id, hash, stored, flagged, "
	    "at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[LS_OUT_ACK] = "UPDATE batches_out SET acked = 1 WHERE partner = ?1 AND seq = ?2",
	[LS_OUT_UNACKED] = "SELECT seq, id, xml FROM batches_out WHERE partner = ?1 "
	    "AND acked = 0 ORDER BY seq LIMIT 1",
	[LS_OUT_LAST] = "SELECT seq, hash, last_pseq FROM batches_out WHERE partner = ?1 "
	    "ORDER BY seq DESC LIMIT 1",
	[LS_OUT_RECORDS] = "SELECT pseq, " BROKER_LEDGER_RECORD_COLUMNS " FROM records "
	    "WHERE partner = ?1 AND origin = 0 AND pseq > ?2 ORDER BY pseq LIMIT ?3",
	[LS_OUT_PUT] = "INSERT INTO batches_out(partner, seq, id, last_pseq, xml, hash, "
	    "acked) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0)",
};

/* ---- statements and small helpers ---- */

sqlite3_stmt *
ledger_stmt(struct broker_ledger *l, sqlite3 *db, enum ledger_stmt i)
{
	if (l->st[i] == NULL) {
		if (l->closing)
			return NULL;
		if (sqlite3_prepare_v3(db, ledger_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
		    &l->st[i], NULL) != SQLITE_OK) {
			(void)rt_store_error(db, "ledger", "prepare");
			l->st[i] = NULL;
			return NULL;
		}
		l->st_db = db;
	}
	sqlite3_reset(l->st[i]);
	return l->st[i];
}

int
ledger_step_done(struct broker_ledger *l, sqlite3 *db, sqlite3_stmt *st,
    const char *what)
{
	int rc = sqlite3_step(st);

	(void)l;
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return 0;
	return rt_store_error(db, "ledger", what);
}

int
ledger_hash(struct broker_ledger *l, const uint8_t prev[RT_SHA256_LEN],
    const uint8_t *data, size_t len, uint8_t out[RT_SHA256_LEN])
{
	unsigned int n = 0;

	if (EVP_DigestInit_ex2(l->md, l->sha256, NULL) != 1 ||
	    EVP_DigestUpdate(l->md, prev, RT_SHA256_LEN) != 1 ||
	    EVP_DigestUpdate(l->md, data, len) != 1 ||
	    EVP_DigestFinal_ex(l->md, out, &n) != 1 || n != RT_SHA256_LEN)
		return RT_ERR_CRYPTO;
	return 0;
}

int
ledger_record_same(const struct rt_usage_record *a, const struct rt_usage_record *b,
    int with_flags)
{
	if (strcmp(a->id, b->id) != 0 || strcmp(a->agreement_ref, b->agreement_ref) != 0 ||
	    strcmp(a->assertion_ref, b->assertion_ref) != 0 ||
	    strcmp(a->subscriber, b->subscriber) != 0 || strcmp(a->home, b->home) != 0 ||
	    strcmp(a->visited, b->visited) != 0 || strcmp(a->service, b->service) != 0 ||
	    strcmp(a->call_id, b->call_id) != 0 || a->start != b->start ||
	    a->end != b->end || a->quantity != b->quantity || strcmp(a->unit, b->unit) != 0)
		return 0;
	if (!with_flags)
		return 1;
	if (a->nflags != b->nflags)
		return 0;
	for (int i = 0; i < a->nflags; i++)
		if (strcmp(a->flags[i], b->flags[i]) != 0)
			return 0;
	return 1;
}

int
broker_ledger_checkpoint_text(const char *realm, const char *partner, uint64_t pseq,
    const uint8_t hash[RT_SHA256_LEN], time_t at, char *out, size_t cap)
{
	char hex[2 * RT_SHA256_LEN + 1], when[RT_TIME_STR_LEN + 1];
	int n;

	rt_hex_encode(hash, RT_SHA256_LEN, hex);
	rt_time_format(at, when);
	n = snprintf(out, cap, BROKER_CHECKPOINT_TAG " %s %s %" PRIu64 " %s %s", realm,
	    partner, pseq, hex, when);
	return n < 0 || (size_t)n >= cap ? RT_ERR_TOO_BIG : 0;
}

/* ---- chains and checkpoints ---- */

static int
checkpoint_write(struct broker_ledger *l, sqlite3 *db, struct ledger_chain *c,
    time_t now)
{
	char text[BROKER_CHECKPOINT_TEXT_MAX];
	struct rt_buf sig;
	sqlite3_stmt *st;
	int r;

	if (l->signer == NULL)
		return 0;
	rt_buf_init(&sig, RT_CMS_SIG_MAX);
	/* the certificate goes along: verify needs only the federation CA */
	if ((r = broker_ledger_checkpoint_text(l->realm, c->partner, c->pseq, c->hash,
	    now, text, sizeof(text))) != 0 ||
	    (r = rt_cms_sign(l->signer, (const uint8_t *)text, strlen(text),
	    RT_CMS_EMBED_CERT, &sig)) != 0)
		goto out;
	r = RT_ERR_UNAVAILABLE;
	if ((st = ledger_stmt(l, db, LS_CHECKPOINT)) == NULL)
		goto out;
	sqlite3_bind_text(st, 1, c->partner, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)c->pseq);
	sqlite3_bind_blob(st, 3, c->hash, RT_SHA256_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)now);
	sqlite3_bind_blob(st, 5, sig.data, (int)sig.len, SQLITE_STATIC);
	if ((r = ledger_step_done(l, db, st, "checkpoint")) != 0)
		goto out;
	c->checkpoint_pseq = c->pseq;
	c->checkpoint_at = now;
	c->dirty = 1;
	rt_counter_inc(l->counters.checkpoints);
 out:
	if (r != 0)
		log_err("event=checkpoint_failed partner=%s pseq=%" PRIu64 " reason=%s",
		    c->partner, c->pseq, rt_errname(r));
	rt_buf_fini(&sig);
	return r;
}

int
ledger_chain_get(struct broker_ledger *l, sqlite3 *db, struct ledger_chains *cs,
    const char *partner, struct ledger_chain **cp)
{
	struct ledger_chain *c;
	sqlite3_stmt *st;
	int rc, r;

	*cp = NULL;
	for (int i = 0; i < cs->n; i++) {
		if (strcmp(cs->c[i].partner, partner) == 0) {
			*cp = &cs->c[i];
			return 0;
		}
	}
	if (strlen(partner) >= RT_REALM_MAX)
		return RT_ERR_BAD_INPUT;
	if (cs->n == LEDGER_CHAINS_MAX) {
		/* write them back; they load again from the table when needed */
		if ((r = ledger_chains_flush(l, db, cs)) != 0)
			return r;
		cs->n = 0;
	}
	c = &cs->c[cs->n];
	memset(c, 0, sizeof(*c));
	memcpy(c->partner, partner, strlen(partner) + 1);
	if ((st = ledger_stmt(l, db, LS_CHAIN_GET)) == NULL)
		return RT_ERR_UNAVAILABLE;
	sqlite3_bind_text(st, 1, partner, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_int64(st, 0) < 0 ||
		    sqlite3_column_bytes(st, 1) != RT_SHA256_LEN) {
			sqlite3_reset(st);
			log_err("event=ledger_chain_damaged partner=%s", partner);
			return RT_ERR_CHAIN;
		}
		c->pseq = (uint64_t)sqlite3_column_int64(st, 0);
		memcpy(c->hash, sqlite3_column_blob(st, 1), RT_SHA256_LEN);
		c->checkpoint_pseq = (uint64_t)sqlite3_column_int64(st, 2);
		c->checkpoint_at = (time_t)sqlite3_column_int64(st, 3);
	} else if (rc != SQLITE_DONE) {
		r = rt_store_error(db, "ledger", "chain");
		sqlite3_reset(st);
		return r;
	}
	sqlite3_reset(st);
	cs->n++;
	*cp = c;
	return 0;
}

static int
count_add(struct broker_ledger *l, sqlite3 *db, const char *partner, int origin,
    int64_t records, int64_t flagged)
{
	sqlite3_stmt *st;

	if (records == 0 && flagged == 0)
		return 0;
	if ((st = ledger_stmt(l, db, LS_COUNT)) == NULL)
		return RT_ERR_UNAVAILABLE;
	sqlite3_bind_text(st, 1, partner, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, origin);
	sqlite3_bind_int64(st, 3, records);
	sqlite3_bind_int64(st, 4, flagged);
	return ledger_step_done(l, db, st, "count");
}

int
ledger_chains_flush(struct broker_ledger *l, sqlite3 *db, struct ledger_chains *cs)
{
	time_t now = rt_time_now();
	sqlite3_stmt *st;
	int r;

	for (int i = 0; i < cs->n; i++) {
		struct ledger_chain *c = &cs->c[i];

		if (!c->dirty)
			continue;
		if (l->checkpoint_seconds > 0 && c->pseq > c->checkpoint_pseq &&
		    now - c->checkpoint_at >= l->checkpoint_seconds &&
		    (r = checkpoint_write(l, db, c, now)) != 0)
			return r;
		if ((st = ledger_stmt(l, db, LS_CHAIN_PUT)) == NULL)
			return RT_ERR_UNAVAILABLE;
		sqlite3_bind_text(st, 1, c->partner, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)c->pseq);
		sqlite3_bind_blob(st, 3, c->hash, RT_SHA256_LEN, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)c->checkpoint_pseq);
		sqlite3_bind_int64(st, 5, (sqlite3_int64)c->checkpoint_at);
		if ((r = ledger_step_done(l, db, st, "chain")) != 0)
			return r;
		for (int o = 0; o < 2; o++)
			if ((r = count_add(l, db, c->partner, o, c->added[o],
			    c->flagged[o])) != 0)
				return r;
		memset(c->added, 0, sizeof(c->added));
		memset(c->flagged, 0, sizeof(c->flagged));
		c->dirty = 0;
	}
	return 0;
}

/* Whether the row holding u's id is u (a repeat): 0, or RT_ERR_EXISTS. */
static int
record_repeat(struct broker_ledger *l, sqlite3 *db, const struct ledger_chain *c,
    const struct rt_usage_record *u, enum broker_origin origin)
{
	struct rt_usage_record old;
	sqlite3_stmt *st;
	int rc, same = 0, r;

	if ((st = ledger_stmt(l, db, LS_BY_ID)) == NULL)
		return RT_ERR_UNAVAILABLE;
	sqlite3_bind_text(st, 1, u->id, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? RT_ERR_CHAIN : rt_store_error(db, "ledger", "by_id");
		sqlite3_reset(st);
		/* the insert found a conflict, but not on the id: (partner, pseq)
		 * is taken, so chains lags behind records */
		if (r == RT_ERR_CHAIN)
			log_err("event=ledger_chain_damaged partner=%s pseq=%" PRIu64
			    " detail=\"chain head behind its rows\"", c->partner, c->pseq + 1);
		return r;
	}
	if (rt_usage_row_read(st, 2, &old) == 0)
		same = strcmp((const char *)sqlite3_column_text(st, 0), c->partner) == 0 &&
		    sqlite3_column_int(st, 1) == (int)origin &&
		    /* the home adds its flags to theirs: compare the usage only */
		    ledger_record_same(&old, u, origin == BROKER_ORIGIN_OURS);
	sqlite3_reset(st);
	if (!same)
		log_warn("event=ledger_conflict id=%s partner=%s detail=\"id stored "
		    "before with other content; the first is kept\"", u->id, c->partner);
	return same ? 0 : RT_ERR_EXISTS;
}

int
ledger_record_put(struct broker_ledger *l, sqlite3 *db, struct ledger_chain *c,
    const struct rt_usage_record *u, enum broker_origin origin,
    const uint8_t *canon, size_t len, int *addedp)
{
	uint8_t hash[RT_SHA256_LEN];
	sqlite3_stmt *st;
	int rc, r;

	*addedp = 0;
	if ((r = ledger_hash(l, c->hash, canon, len, hash)) != 0)
		return r;
	if ((st = ledger_stmt(l, db, LS_INSERT)) == NULL)
		return RT_ERR_UNAVAILABLE;
	if ((r = rt_usage_row_bind(st, 1, u)) != 0)
		return r;
	sqlite3_bind_text(st, 14, c->partner, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 15, (int)origin);
	sqlite3_bind_int64(st, 16, (sqlite3_int64)(c->pseq + 1));
	sqlite3_bind_blob(st, 17, hash, RT_SHA256_LEN, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		r = rt_store_error(db, "ledger", "insert");
		return r == RT_ERR_EXISTS ? record_repeat(l, db, c, u, origin) : r;
	}
	if (sqlite3_changes(db) == 0)
		return record_repeat(l, db, c, u, origin);
	c->pseq++;
	memcpy(c->hash, hash, RT_SHA256_LEN);
	c->dirty = 1;
	c->added[origin]++;
	if (origin == BROKER_ORIGIN_PARTNER && u->nflags > 0)
		c->flagged[origin]++;
	*addedp = 1;
	if (l->checkpoint_records > 0 &&
	    c->pseq - c->checkpoint_pseq >= l->checkpoint_records)
		return checkpoint_write(l, db, c, rt_time_now());
	return 0;
}

/* ---- appends ---- */

static int
append_apply(sqlite3 *db, void *arg)
{
	struct broker_ledger_append *a = arg;
	struct broker_ledger *l = a->ledger;
	struct ledger_chains *cs;
	size_t from = 0;
	int r = 0;

	if ((cs = malloc(sizeof(*cs))) == NULL)
		return RT_ERR_NOMEM;
	cs->n = 0;
	a->stored = a->added = 0;
	for (size_t i = 0; i < a->n; i++) {
		const struct rt_usage_record *u = &a->records[i];
		struct ledger_chain *c;
		int added;

		if ((r = ledger_chain_get(l, db, cs, a->origin == BROKER_ORIGIN_OURS ?
		    u->home : u->visited, &c)) != 0)
			goto out;
		r = ledger_record_put(l, db, c, u, a->origin, a->canon.data + from,
		    a->ends[i] - from, &added);
		from = a->ends[i];
		if (a->results != NULL)
			a->results[i] = r;
		if (r == RT_ERR_EXISTS)
			continue;
		if (r != 0)
			goto out;
		a->stored++;
		a->added += (uint32_t)added;
	}
	r = ledger_chains_flush(l, db, cs);
 out:
	free(cs);
	return r;
}

static void
append_done(void *arg, int err)
{
	struct broker_ledger_append *a = arg;
	struct broker_ledger *l = a->ledger;

	rt_buf_fini(&a->canon);
	free(a->ends);
	a->ends = NULL;
	if (err == 0) {
		rt_counter_add(l->counters.added[a->origin], a->added);
		rt_counter_add(l->counters.repeats, a->stored - a->added);
		if (a->results != NULL)
			for (size_t i = 0; i < a->n; i++)
				if (a->results[i] != 0)
					rt_counter_inc(l->counters.conflicts);
	}
	a->done(a, err);
}

int
broker_ledger_append(struct broker_ledger *l, struct broker_ledger_append *a)
{
	int r;

	a->ledger = l;
	a->stored = a->added = 0;
	if (a->n == 0 || a->n > RT_BATCH_MAX || (a->origin != BROKER_ORIGIN_OURS &&
	    a->origin != BROKER_ORIGIN_PARTNER))
		return RT_ERR_BAD_INPUT;
	if ((a->ends = calloc(a->n, sizeof(*a->ends))) == NULL)
		return RT_ERR_NOMEM;
	/* the canonical bytes are the costly part of hashing: made here, on
	 * the caller's thread, so the writer only hashes and inserts */
	rt_buf_init(&a->canon, a->n * LEDGER_CANON_MAX);
	for (size_t i = 0; i < a->n; i++) {
		if ((r = rt_usage_record_encode_element(&a->records[i], LEDGER_COMPACT,
		    &a->canon)) != 0) {
			rt_buf_fini(&a->canon);
			free(a->ends);
			a->ends = NULL;
			return r;
		}
		a->ends[i] = a->canon.len;
	}
	a->op.apply = append_apply;
	a->op.done = append_done;
	a->op.arg = a;
	rt_store_submit(l->store, &a->op);
	return 0;
}

/* ---- assertions ---- */

static int
assertion_apply(sqlite3 *db, void *arg)
{
	struct broker_ledger_assertion *la = arg;
	const struct rt_assertion *as = &la->assertion;
	struct broker_ledger *l = la->ledger;
	char services[RT_SERVICES_MAX * RT_SERVICE_MAX] = "";
	size_t len = 0;
	sqlite3_stmt *st;

	for (int i = 0; i < as->nservices && i < RT_SERVICES_MAX; i++)
		len += (size_t)snprintf(services + len, sizeof(services) - len, "%s%s",
		    i > 0 ? " " : "", as->services[i]);
	if ((st = ledger_stmt(l, db, LS_ASSERTION_PUT)) == NULL)
		return RT_ERR_UNAVAILABLE;
	sqlite3_bind_text(st, 1, as->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, as->public_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, as->audience, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, services, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)as->issued_at);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)as->not_on_or_after);
	sqlite3_bind_text(st, 7, as->agreement_ref, -1, SQLITE_STATIC);
	return ledger_step_done(l, db, st, "assertion");
}

static void
assertion_done(void *arg, int err)
{
	struct broker_ledger_assertion *la = arg;

	la->done(la, err);
}

static void
assertion_op(struct broker_ledger *l, struct broker_ledger_assertion *la)
{
	la->ledger = l;
	la->op.apply = assertion_apply;
	la->op.done = assertion_done;
	la->op.arg = la;
	la->op.next = la->next != NULL ? &la->next->op : NULL;
}

void
broker_ledger_assertion(struct broker_ledger *l, struct broker_ledger_assertion *la)
{
	la->next = NULL;
	assertion_op(l, la);
	rt_store_submit(l->store, &la->op);
}

void
broker_ledger_assertions(struct broker_ledger *l, struct broker_ledger_assertion *first)
{
	for (struct broker_ledger_assertion *la = first; la != NULL; la = la->next)
		assertion_op(l, la);
	if (first != NULL)
		rt_store_submit_chain(l->store, &first->op);
}

/* ---- checkpoints by time ---- */

static int
tick_apply(sqlite3 *db, void *arg)
{
	struct broker_ledger *l = arg;
	char (*due)[RT_REALM_MAX];
	struct ledger_chains *cs = NULL;
	time_t now = rt_time_now();
	sqlite3_stmt *st;
	int n = 0, r = RT_ERR_NOMEM;

	if ((due = calloc(TICK_PARTNERS_MAX, sizeof(*due))) == NULL ||
	    (cs = malloc(sizeof(*cs))) == NULL)
		goto out;
	cs->n = 0;
	r = RT_ERR_UNAVAILABLE;
	if ((st = ledger_stmt(l, db, LS_CHAINS_DUE)) == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)(now - l->checkpoint_seconds));
	sqlite3_bind_int(st, 2, TICK_PARTNERS_MAX);
	while (n < TICK_PARTNERS_MAX && sqlite3_step(st) == SQLITE_ROW)
		snprintf(due[n++], RT_REALM_MAX, "%s", sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	r = 0;
	for (int i = 0; i < n && r == 0; i++) {
		struct ledger_chain *c;

		/* flushing writes the checkpoint that is due */
		if ((r = ledger_chain_get(l, db, cs, due[i], &c)) == 0)
			c->dirty = 1;
		if (r == 0 && cs->n == LEDGER_CHAINS_MAX) {
			r = ledger_chains_flush(l, db, cs);
			cs->n = 0;
		}
	}
	if (r == 0)
		r = ledger_chains_flush(l, db, cs);
 out:
	free(due);
	free(cs);
	return r;
}

static void
tick_done(void *arg, int err)
{
	struct broker_ledger *l = arg;

	if (err != 0 && err != RT_ERR_UNAVAILABLE)
		log_warn("event=checkpoint_tick_failed reason=%s", rt_errname(err));
	pthread_mutex_lock(&l->tick_lock);
	l->tick_busy = 0;
	pthread_mutex_unlock(&l->tick_lock);
}

void
broker_ledger_tick(struct broker_ledger *l, time_t now)
{
	long every = l->checkpoint_seconds / 10;

	if (l->checkpoint_seconds <= 0 || l->signer == NULL)
		return;
	pthread_mutex_lock(&l->tick_lock);
	if (l->tick_busy || now - l->tick_at < (every > 0 ? every : 1)) {
		pthread_mutex_unlock(&l->tick_lock);
		return;
	}
	l->tick_busy = 1;
	l->tick_at = now;
	pthread_mutex_unlock(&l->tick_lock);
	l->tick_op.apply = tick_apply;
	l->tick_op.done = tick_done;
	l->tick_op.arg = l;
	rt_store_submit(l->store, &l->tick_op);
}

/* ---- life cycle ---- */

static int
noop_apply(sqlite3 *db, void *arg)
{
	(void)db;
	(void)arg;
	return 0;
}

/* The last operation: statements are finalized on the writer's thread,
 * and none is prepared again. */
static int
finalize_apply(sqlite3 *db, void *arg)
{
	struct broker_ledger *l = arg;

	(void)db;
	l->closing = 1;
	for (int i = 0; i < LS_N; i++) {
		sqlite3_finalize(l->st[i]);
		l->st[i] = NULL;
	}
	return 0;
}

int
broker_ledger_open(const struct broker_ledger_opts *opts, struct broker_ledger **lp)
{
	struct rt_store_opts so = {opts->path, "ledger",
	    BROKER_LEDGER_SCHEMA LEDGER_SCHEMA_EXTRA, opts->batch_max};
	struct broker_ledger *l;
	int r = RT_ERR_NOMEM;

	*lp = NULL;
	if (strlen(opts->realm) >= RT_REALM_MAX)
		return RT_ERR_BAD_INPUT;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return RT_ERR_NOMEM;
	pthread_mutex_init(&l->tick_lock, NULL);
	memcpy(l->realm, opts->realm, strlen(opts->realm) + 1);
	l->signer = opts->signer;
	l->checkpoint_records = opts->checkpoint_records;
	l->checkpoint_seconds = opts->checkpoint_seconds;
	l->skew = opts->skew;
	if (opts->counters != NULL)
		l->counters = *opts->counters;
	if ((l->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL ||
	    (l->md = EVP_MD_CTX_new()) == NULL) {
		r = RT_ERR_CRYPTO;
		goto out;
	}
	if ((r = rt_store_open(&so, &l->store)) != 0) {
		log_err("event=ledger_unavailable path=%s reason=%s", opts->path,
		    rt_errname(r));
		goto out;
	}
	*lp = l;
	l = NULL;
	r = 0;
 out:
	broker_ledger_close(l);
	return r;
}

void
broker_ledger_drain(struct broker_ledger *l)
{
	if (l != NULL)
		(void)!rt_store_run(l->store, noop_apply, NULL);
}

void
broker_ledger_close(struct broker_ledger *l)
{
	if (l == NULL)
		return;
	if (l->store != NULL) {
		(void)!rt_store_run(l->store, finalize_apply, l);
		rt_store_close(l->store);
	}
	EVP_MD_CTX_free(l->md);
	EVP_MD_free(l->sha256);
	pthread_mutex_destroy(&l->tick_lock);
	free(l);
}

const char *
broker_ledger_path(const struct broker_ledger *l)
{
	return rt_store_path(l->store);
}

uint64_t
broker_ledger_commits(const struct broker_ledger *l)
{
	return l != NULL ? rt_store_commits(l->store) : 0;
}

int
broker_ledger_reader(const struct broker_ledger *l, sqlite3 **dbp)
{
	return rt_store_reader(l->store, dbp);
}
