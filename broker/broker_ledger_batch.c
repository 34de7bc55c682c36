/*
 * Batches in the ledger: the ones we build for a home realm (out) and the
 * ones a visited realm sends us (in), with the home's check of each
 * record it reports against the assertions we issued.
 *
 * Out: a batch is built from the origin-0 rows of the partner after the
 * last batch's last_pseq, in pseq order, stored in batches_out in the
 * same transaction, and only then handed to the caller to send. Until the
 * home acknowledges it, every call hands back that same batch, byte for
 * byte (restarts included), so the home sees no gap and no other batch
 * under a sequence number.
 *
 * In: the sequence is decided inside the writer's transaction, so two
 * copies of a batch arriving at once (a resend after a timeout) are
 * serialized: the first stores it, the second is a repeat.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker_ledger_int.h"
#include "rt_codec.h"
#include "rt_log.h"

#define BATCH_OVERHEAD 1024	/* a batch's XML beside its records */

/* ---- the home's check ---- */

static int
services_have(const char *list, const char *service)
{
	size_t n = strlen(service);

	while (*list != '\0') {
		size_t k = strcspn(list, " ");

		if (k == n && strncmp(list, service, n) == 0)
			return 1;
		list += k;
		list += *list == ' ';
	}
	return 0;
}

static void
flag_add(char (*flags)[RT_SERVICE_MAX], int *n, const char *flag)
{
	for (int i = 0; i < *n; i++)
		if (strcmp(flags[i], flag) == 0)
			return;
	if (*n < RT_FLAGS_MAX)
		snprintf(flags[(*n)++], RT_SERVICE_MAX, "%s", flag);
}

/*
 * Checks u (reported by visited realm u->visited) against the assertion it
 * names; sets *oursp to how many flags we raise and puts them first in
 * u's flags, the partner's own after them while room is left.
 */
static int
home_check(struct broker_ledger *l, sqlite3 *db, struct rt_usage_record *u, int *oursp)
{
	char flags[RT_FLAGS_MAX][RT_SERVICE_MAX];
	sqlite3_stmt *st;
	int n = 0, rc, r = 0;

	*oursp = 0;
	if ((st = ledger_stmt(l, db, LS_ASSERTION_GET)) == NULL)
		return RT_ERR_UNAVAILABLE;
	sqlite3_bind_text(st, 1, u->assertion_ref, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		flag_add(flags, &n, "unknown-assertion");
	else if (rc == SQLITE_ROW) {
		const char *subject = (const char *)sqlite3_column_text(st, 0);
		const char *audience = (const char *)sqlite3_column_text(st, 1);
		const char *services = (const char *)sqlite3_column_text(st, 2);
		time_t issued = (time_t)sqlite3_column_int64(st, 3);
		time_t until = (time_t)sqlite3_column_int64(st, 4);

		if (subject == NULL || strcmp(subject, u->subscriber) != 0)
			flag_add(flags, &n, "wrong-subscriber");
		if (audience == NULL || strcmp(audience, u->visited) != 0)
			flag_add(flags, &n, "wrong-realm");
		if (services == NULL || !services_have(services, u->service))
			flag_add(flags, &n, "wrong-service");
		if (u->start < issued - l->skew || u->start > until + l->skew)
			flag_add(flags, &n, "outside-validity");
	} else
		r = rt_store_error(db, "ledger", "assertion");
	sqlite3_reset(st);
	if (r != 0)
		return r;
	*oursp = n;
	for (int i = 0; i < u->nflags; i++) {
		if (n == RT_FLAGS_MAX) {
			log_warn("event=partner_flags_dropped id=%s partner=%s",
			    u->id, u->visited);
			break;
		}
		flag_add(flags, &n, u->flags[i]);
	}
	memcpy(u->flags, flags, sizeof(flags));
	u->nflags = n;
	return 0;
}

/* ---- batches in (home) ---- */

/* What batches_in holds of partner's batch seq (0: none), its hash. */
static int
batch_in_last(struct broker_ledger *l, sqlite3 *db, const char *partner,
    uint64_t *seqp, uint8_t hash[RT_SHA256_LEN])
{
	sqlite3_stmt *st;
	int rc, r = 0;

	*seqp = 0;
	memset(hash, 0, RT_SHA256_LEN);
	if ((st = ledger_stmt(l, db, LS_IN_LAST)) == NULL)
		return RT_ERR_UNAVAILABLE;
	sqlite3_bind_text(st, 1, partner, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 1) != RT_SHA256_LEN)
			r = RT_ERR_CHAIN;
		else {
			*seqp = (uint64_t)sqlite3_column_int64(st, 0);
			memcpy(hash, sqlite3_column_blob(st, 1), RT_SHA256_LEN);
		}
	} else if (rc != SQLITE_DONE)
		r = rt_store_error(db, "ledger", "batch_in");
	sqlite3_reset(st);
	return r;
}

/* A batch under a seq we hold already: the same one again, or a fork. */
static int
batch_in_repeat(struct broker_ledger *l, sqlite3 *db, struct broker_ledger_batch_in *bi)
{
	const struct rt_usage_batch *b = bi->batch;
	sqlite3_stmt *st;
	int rc, r = RT_ERR_CHAIN;

	if ((st = ledger_stmt(l, db, LS_IN_SEQ)) == NULL)
		return RT_ERR_UNAVAILABLE;
	sqlite3_bind_text(st, 1, b->from, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)b->sequence);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 0) == RT_SHA256_LEN &&
		    memcmp(sqlite3_column_blob(st, 0), bi->hash, RT_SHA256_LEN) == 0) {
			bi->repeat = 1;
			bi->stored = (uint32_t)sqlite3_column_int64(st, 1);
			bi->flagged = (uint32_t)sqlite3_column_int64(st, 2);
			r = 0;
		} else
			snprintf(bi->why, sizeof(bi->why), "batch %" PRIu64 " was "
			    "stored before with other content", b->sequence);
	} else if (rc == SQLITE_DONE)
		snprintf(bi->why, sizeof(bi->why), "batch %" PRIu64 " is not the "
		    "next one and we never had it", b->sequence);
	else
		r = rt_store_error(db, "ledger", "batch_in");
	sqlite3_reset(st);
	return r;
}

static int
batch_in_records(struct broker_ledger *l, sqlite3 *db, struct broker_ledger_batch_in *bi)
{
	const struct rt_usage_batch *b = bi->batch;
	struct ledger_chains *cs;
	struct rt_usage_record *u = NULL;
	struct rt_buf canon;
	int r = RT_ERR_NOMEM;

	rt_buf_init(&canon, LEDGER_CANON_MAX);
	if ((cs = malloc(sizeof(*cs))) == NULL || (u = malloc(sizeof(*u))) == NULL)
		goto out;
	cs->n = 0;
	for (size_t i = 0; i < b->nrecords; i++) {
		struct ledger_chain *c;
		int ours, added;

		*u = b->records[i];
		rt_buf_reset(&canon);
		/* flags first: they are part of the hashed bytes */
		if ((r = home_check(l, db, u, &ours)) != 0 ||
		    (r = rt_usage_record_encode_element(u, LEDGER_COMPACT, &canon)) != 0 ||
		    (r = ledger_chain_get(l, db, cs, b->from, &c)) != 0)
			goto out;
		r = ledger_record_put(l, db, c, u, BROKER_ORIGIN_PARTNER, canon.data,
		    canon.len, &added);
		if (r == RT_ERR_EXISTS)
			continue;	/* logged; the batch is still taken */
		if (r != 0)
			goto out;
		bi->stored++;
		bi->added += (uint32_t)added;
		bi->flagged += ours > 0;
	}
	r = ledger_chains_flush(l, db, cs);
 out:
	rt_buf_fini(&canon);
	free(cs);
	free(u);
	return r;
}

static int
batch_in_apply(sqlite3 *db, void *arg)
{
	struct broker_ledger_batch_in *bi = arg;
	struct broker_ledger *l = bi->ledger;
	const struct rt_usage_batch *b = bi->batch;
	uint8_t last_hash[RT_SHA256_LEN], prev[RT_SHA256_LEN];
	uint64_t last;
	sqlite3_stmt *st;
	int r;

	bi->repeat = 0;
	bi->stored = bi->flagged = bi->added = 0;
	bi->why[0] = '\0';
	if ((r = batch_in_last(l, db, b->from, &last, last_hash)) != 0)
		return r;
	if (b->sequence <= last)
		return batch_in_repeat(l, db, bi);
	if (b->sequence != last + 1) {
		snprintf(bi->why, sizeof(bi->why), "gap: batch %" PRIu64 " after %" PRIu64,
		    b->sequence, last);
		return RT_ERR_CHAIN;
	}
	if (rt_hex_decode(b->prev_hash, strlen(b->prev_hash), prev, sizeof(prev)) != 0 ||
	    memcmp(prev, last_hash, RT_SHA256_LEN) != 0) {
		snprintf(bi->why, sizeof(bi->why), "PrevHash of batch %" PRIu64
		    " is not the hash of batch %" PRIu64, b->sequence, last);
		return RT_ERR_CHAIN;
	}
	if ((r = batch_in_records(l, db, bi)) != 0)
		return r;
	if ((st = ledger_stmt(l, db, LS_IN_PUT)) == NULL)
		return RT_ERR_UNAVAILABLE;
	sqlite3_bind_text(st, 1, b->from, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)b->sequence);
	sqlite3_bind_text(st, 3, b->id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, bi->hash, RT_SHA256_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, bi->stored);
	sqlite3_bind_int64(st, 6, bi->flagged);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)rt_time_now());
	return ledger_step_done(l, db, st, "batch_in");
}

static void
batch_in_done(void *arg, int err)
{
	struct broker_ledger_batch_in *bi = arg;

	if (err == 0 && !bi->repeat) {
		rt_counter_add(bi->ledger->counters.added[BROKER_ORIGIN_PARTNER], bi->added);
		rt_counter_add(bi->ledger->counters.repeats, bi->stored - bi->added);
		rt_counter_add(bi->ledger->counters.flagged, bi->flagged);
	}
	bi->done(bi, err);
}

void
broker_ledger_batch_in(struct broker_ledger *l, struct broker_ledger_batch_in *bi)
{
	bi->ledger = l;
	bi->op.apply = batch_in_apply;
	bi->op.done = batch_in_done;
	bi->op.arg = bi;
	rt_store_submit(l->store, &bi->op);
}

/* ---- batches out (visited) ---- */

static int
batch_out_ack(struct broker_ledger *l, sqlite3 *db, struct broker_ledger_batch_out *bo)
{
	sqlite3_stmt *st;

	if ((st = ledger_stmt(l, db, LS_OUT_ACK)) == NULL)
		return RT_ERR_UNAVAILABLE;
	sqlite3_bind_text(st, 1, bo->partner, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)bo->ack_seq);
	return ledger_step_done(l, db, st, "batch_ack");
}

/* The oldest batch not acknowledged, into bo: 0 (bo->seq 0 when none). */
static int
batch_out_unacked(struct broker_ledger *l, sqlite3 *db, struct broker_ledger_batch_out *bo)
{
	sqlite3_stmt *st;
	int rc, r = 0;

	if ((st = ledger_stmt(l, db, LS_OUT_UNACKED)) == NULL)
		return RT_ERR_UNAVAILABLE;
	sqlite3_bind_text(st, 1, bo->partner, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *id = sqlite3_column_text(st, 1);

		bo->seq = (uint64_t)sqlite3_column_int64(st, 0);
		snprintf(bo->id, sizeof(bo->id), "%s", id != NULL ? (const char *)id : "");
		bo->resend = 1;
		r = rt_buf_append(&bo->xml, sqlite3_column_blob(st, 2),
		    (size_t)sqlite3_column_bytes(st, 2));
	} else if (rc != SQLITE_DONE)
		r = rt_store_error(db, "ledger", "batch_out");
	sqlite3_reset(st);
	return r;
}

/* Reads up to max origin-0 rows of partner after pseq into recs. */
static int
batch_out_rows(struct broker_ledger *l, sqlite3 *db, const char *partner,
    uint64_t after, struct rt_usage_record *recs, uint64_t *pseqs, size_t max,
    size_t *np)
{
	sqlite3_stmt *st;
	size_t n = 0;
	int rc, r = 0;

	*np = 0;
	if ((st = ledger_stmt(l, db, LS_OUT_RECORDS)) == NULL)
		return RT_ERR_UNAVAILABLE;
	sqlite3_bind_text(st, 1, partner, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)after);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)max);
	while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		pseqs[n] = (uint64_t)sqlite3_column_int64(st, 0);
		if ((r = rt_usage_row_read(st, 1, &recs[n])) != 0) {
			log_err("event=ledger_row_damaged partner=%s pseq=%" PRIu64,
			    partner, pseqs[n]);
			break;
		}
		n++;
	}
	if (r == 0 && n < max && rc != SQLITE_DONE)
		r = rt_store_error(db, "ledger", "batch_rows");
	sqlite3_reset(st);
	*np = n;
	return r;
}

/* Builds the next batch from the rows not yet in one, and stores it. */
static int
batch_out_build(struct broker_ledger *l, sqlite3 *db, struct broker_ledger_batch_out *bo)
{
	struct rt_usage_batch batch;
	uint8_t last_hash[RT_SHA256_LEN], hash[RT_SHA256_LEN];
	uint64_t last = 0, last_pseq = 0, *pseqs = NULL;
	size_t max = bo->max_records, n = 0;
	sqlite3_stmt *st;
	int rc, r = RT_ERR_NOMEM;

	memset(&batch, 0, sizeof(batch));
	memset(last_hash, 0, sizeof(last_hash));
	if (max == 0 || max > RT_BATCH_MAX)
		max = RT_BATCH_MAX;
	if ((st = ledger_stmt(l, db, LS_OUT_LAST)) == NULL)
		return RT_ERR_UNAVAILABLE;
	sqlite3_bind_text(st, 1, bo->partner, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		last = (uint64_t)sqlite3_column_int64(st, 0);
		if (sqlite3_column_bytes(st, 1) == RT_SHA256_LEN)
			memcpy(last_hash, sqlite3_column_blob(st, 1), RT_SHA256_LEN);
		last_pseq = (uint64_t)sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return rt_store_error(db, "ledger", "batch_out");
	if ((batch.records = calloc(max, sizeof(*batch.records))) == NULL ||
	    (pseqs = calloc(max, sizeof(*pseqs))) == NULL)
		goto out;
	if ((r = batch_out_rows(l, db, bo->partner, last_pseq, batch.records, pseqs,
	    max, &n)) != 0 || n == 0)
		goto out;
	if ((r = rt_uuid_v7(rt_time_now_ms(), batch.id)) != 0)
		goto out;
	snprintf(batch.from, sizeof(batch.from), "%s", l->realm);
	snprintf(batch.to, sizeof(batch.to), "%s", bo->partner);
	batch.sequence = last + 1;
	rt_hex_encode(last_hash, RT_SHA256_LEN, batch.prev_hash);
	batch.created_at = rt_time_now();
	/* as many records as the size cap lets through (one at least) */
	for (batch.nrecords = n;;) {
		rt_buf_reset(&bo->xml);
		if ((r = rt_usage_batch_encode(&batch, &bo->xml)) != 0 &&
		    r != RT_ERR_TOO_BIG)
			goto out;
		if (r == 0 && (bo->xml.len <= bo->max_bytes || batch.nrecords == 1))
			break;
		batch.nrecords = batch.nrecords * (bo->max_bytes - BATCH_OVERHEAD / 2) /
		    (bo->xml.len + 1);
		if (batch.nrecords == 0)
			batch.nrecords = 1;
	}
	if ((r = rt_sha256(bo->xml.data, bo->xml.len, hash)) != 0)
		goto out;
	r = RT_ERR_UNAVAILABLE;
	if ((st = ledger_stmt(l, db, LS_OUT_PUT)) == NULL)
		goto out;
	sqlite3_bind_text(st, 1, bo->partner, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)batch.sequence);
	sqlite3_bind_text(st, 3, batch.id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)pseqs[batch.nrecords - 1]);
	sqlite3_bind_blob(st, 5, bo->xml.data, (int)bo->xml.len, SQLITE_STATIC);
	sqlite3_bind_blob(st, 6, hash, RT_SHA256_LEN, SQLITE_STATIC);
	if ((r = ledger_step_done(l, db, st, "batch_out")) != 0)
		goto out;
	bo->seq = batch.sequence;
	memcpy(bo->id, batch.id, sizeof(bo->id));
	bo->nrecords = (uint32_t)batch.nrecords;
 out:
	if (r != 0 || bo->seq == 0)
		rt_buf_reset(&bo->xml);
	free(pseqs);
	rt_usage_batch_fini(&batch);
	return r;
}

static int
batch_out_apply(sqlite3 *db, void *arg)
{
	struct broker_ledger_batch_out *bo = arg;
	struct broker_ledger *l = bo->ledger;
	int r;

	bo->seq = 0;
	bo->nrecords = 0;
	bo->resend = 0;
	bo->id[0] = '\0';
	rt_buf_reset(&bo->xml);
	if (bo->ack_seq != 0 && (r = batch_out_ack(l, db, bo)) != 0)
		return r;
	if ((r = batch_out_unacked(l, db, bo)) != 0 || bo->seq != 0)
		return r;
	return batch_out_build(l, db, bo);
}

static void
batch_out_done(void *arg, int err)
{
	struct broker_ledger_batch_out *bo = arg;

	if (err != 0) {
		bo->seq = 0;
		rt_buf_reset(&bo->xml);
	}
	bo->done(bo, err);
}

void
broker_ledger_batch_out(struct broker_ledger *l, struct broker_ledger_batch_out *bo)
{
	bo->ledger = l;
	if (bo->max_bytes < BATCH_OVERHEAD * 2)
		bo->max_bytes = BATCH_OVERHEAD * 2;
	if (bo->xml.max == 0)
		rt_buf_init(&bo->xml, RT_XML_MAX);
	bo->op.apply = batch_out_apply;
	bo->op.done = batch_out_done;
	bo->op.arg = bo;
	rt_store_submit(l->store, &bo->op);
}

void
broker_ledger_batch_out_fini(struct broker_ledger_batch_out *bo)
{
	if (bo != NULL)
		rt_buf_fini(&bo->xml);
}
