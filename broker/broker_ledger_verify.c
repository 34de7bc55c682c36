/*
 * `ledger verify` and `ledger status`: reading the ledger, never writing.
 *
 * Verify opens the file read-only and walks it inside one read
 * transaction: WAL gives it a snapshot, so it runs while the daemon
 * appends and sees each chain as of one commit. It recomputes every row's
 * hash from its content with broker_ledger_hash (the contract's, not the
 * writer's code path), so a writer bug shows as well as a tampered file.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker_ledger_int.h"
#include "rt_codec.h"
#include "rt_log.h"

#define VERIFY_PARTNERS_MAX 4096

struct checkpoint {
	uint64_t pseq;
	uint8_t hash[RT_SHA256_LEN];
	time_t at;
	uint8_t *sig;
	size_t siglen;
};

struct verify {
	sqlite3 *db;
	const char *realm;
	struct rt_trust *trust;
	FILE *progress;
	uint64_t walked;		/* rows, every partner so far */
	char *why;
	size_t whycap;
	/* the partner being walked */
	const char *partner;
	struct checkpoint *cps;
	size_t ncps;
	uint64_t records[2], flagged;
};

static int
broken(struct verify *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
broken(struct verify *v, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(v->why, v->whycap, "partner %s: ", v->partner);

	va_start(ap, fmt);
	if (n > 0 && (size_t)n < v->whycap)
		vsnprintf(v->why + n, v->whycap - (size_t)n, fmt, ap);
	va_end(ap);
	return RT_ERR_CHAIN;
}

static int
db_error(struct verify *v, const char *what)
{
	snprintf(v->why, v->whycap, "cannot read the ledger (%s): %s", what,
	    sqlite3_errmsg(v->db));
	return RT_ERR_IO;
}

static void
checkpoints_free(struct verify *v)
{
	for (size_t i = 0; i < v->ncps; i++)
		free(v->cps[i].sig);
	free(v->cps);
	v->cps = NULL;
	v->ncps = 0;
}

static int
checkpoints_load(struct verify *v)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int rc, r = 0;

	if (sqlite3_prepare_v2(v->db, "SELECT pseq, hash, at, sig FROM checkpoints "
	    "WHERE partner = ?1 ORDER BY pseq", -1, &st, NULL) != SQLITE_OK)
		return db_error(v, "checkpoints");
	sqlite3_bind_text(st, 1, v->partner, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct checkpoint *c;
		size_t siglen = (size_t)sqlite3_column_bytes(st, 3);

		if (v->ncps == cap) {
			struct checkpoint *more;

			cap = cap ? cap * 2 : 64;
			if ((more = realloc(v->cps, cap * sizeof(*more))) == NULL) {
				r = RT_ERR_NOMEM;
				break;
			}
			v->cps = more;
		}
		c = &v->cps[v->ncps];
		memset(c, 0, sizeof(*c));
		c->pseq = (uint64_t)sqlite3_column_int64(st, 0);
		c->at = (time_t)sqlite3_column_int64(st, 2);
		if (sqlite3_column_bytes(st, 1) == RT_SHA256_LEN)
			memcpy(c->hash, sqlite3_column_blob(st, 1), RT_SHA256_LEN);
		if (siglen > 0 && siglen <= RT_CMS_SIG_MAX &&
		    (c->sig = malloc(siglen)) != NULL) {
			memcpy(c->sig, sqlite3_column_blob(st, 3), siglen);
			c->siglen = siglen;
		}
		v->ncps++;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = db_error(v, "checkpoints");
	sqlite3_finalize(st);
	return r;
}

/* Checkpoint c against the row at its pseq (hash row_hash). */
static int
checkpoint_check(struct verify *v, const struct checkpoint *c,
    const uint8_t row_hash[RT_SHA256_LEN], const char *record_id)
{
	char text[BROKER_CHECKPOINT_TEXT_MAX];
	struct rt_cms_signers signers;
	int r;

	if (broker_ledger_checkpoint_text(v->realm, v->partner, c->pseq, c->hash, c->at,
	    text, sizeof(text)) != 0)
		return broken(v, "checkpoint at pseq %" PRIu64 ": bad checkpoint "
		    "(does not format)", c->pseq);
	/* the key's certificate as it was when it signed */
	if ((r = rt_cms_verify(v->trust, (const uint8_t *)text, strlen(text), c->sig,
	    c->siglen, c->at, &signers)) != 0)
		return broken(v, "checkpoint at pseq %" PRIu64 " (record %s): bad "
		    "checkpoint signature (%s)", c->pseq, record_id, rt_strerror(r));
	if (signers.count != 1 || strcmp(signers.realm[0], v->realm) != 0)
		return broken(v, "checkpoint at pseq %" PRIu64 ": bad checkpoint "
		    "signature (signed by %s, not %s)", c->pseq,
		    signers.count > 0 ? signers.realm[0] : "nobody", v->realm);
	if (memcmp(c->hash, row_hash, RT_SHA256_LEN) != 0)
		return broken(v, "checkpoint at pseq %" PRIu64 " (record %s) does not "
		    "match the chain: the rows up to it were rewritten", c->pseq,
		    record_id);
	return 0;
}

/* Walks the partner's rows; *lastp and last_hash: the end of the chain. */
static int
chain_walk(struct verify *v, uint64_t *lastp, uint8_t last_hash[RT_SHA256_LEN])
{
	struct rt_usage_record *u;
	uint8_t prev[RT_SHA256_LEN], hash[RT_SHA256_LEN];
	sqlite3_stmt *st = NULL;
	uint64_t expect = 1;
	size_t k = 0;
	int rc, r = 0;

	memset(prev, 0, sizeof(prev));
	if ((u = malloc(sizeof(*u))) == NULL)
		return RT_ERR_NOMEM;
	if (sqlite3_prepare_v2(v->db, "SELECT pseq, origin, hash, "
	    BROKER_LEDGER_RECORD_COLUMNS " FROM records WHERE partner = ?1 "
	    "ORDER BY pseq", -1, &st, NULL) != SQLITE_OK) {
		free(u);
		return db_error(v, "records");
	}
	sqlite3_bind_text(st, 1, v->partner, -1, SQLITE_STATIC);
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint64_t pseq = (uint64_t)sqlite3_column_int64(st, 0);
		int origin = sqlite3_column_int(st, 1);
		const char *id = (const char *)sqlite3_column_text(st, 3);

		if (id == NULL)
			id = "?";
		if (pseq != expect) {
			r = broken(v, "missing row: pseq %" PRIu64 "%s absent (the next "
			    "row is pseq %" PRIu64 ", record %s)", expect,
			    pseq > expect + 1 ? " and after" : "", pseq, id);
			break;
		}
		if (rt_usage_row_read(st, 3, u) != 0 || (origin != 0 && origin != 1)) {
			r = broken(v, "altered row: pseq %" PRIu64 ", record %s: a column "
			    "is not valid", pseq, id);
			break;
		}
		if (broker_ledger_hash(prev, u, hash) != 0 ||
		    sqlite3_column_bytes(st, 2) != RT_SHA256_LEN ||
		    memcmp(hash, sqlite3_column_blob(st, 2), RT_SHA256_LEN) != 0) {
			r = broken(v, "altered row: pseq %" PRIu64 ", record %s: its hash "
			    "does not match its content (or a row before it was replaced)",
			    pseq, id);
			break;
		}
		while (r == 0 && k < v->ncps && v->cps[k].pseq <= pseq) {
			if (v->cps[k].pseq == pseq)
				r = checkpoint_check(v, &v->cps[k], hash, id);
			k++;
		}
		v->records[origin]++;
		v->flagged += origin == BROKER_ORIGIN_PARTNER && u->nflags > 0;
		if (v->progress != NULL && ++v->walked % 100000 == 0)
			fprintf(v->progress, "\rverify: %s: %" PRIu64 " records checked",
			    v->partner, v->walked);
		memcpy(prev, hash, sizeof(prev));
		expect++;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = db_error(v, "records");
	sqlite3_finalize(st);
	free(u);
	if (r == 0 && k < v->ncps)
		r = broken(v, "missing row: a checkpoint names pseq %" PRIu64 " but the "
		    "rows end at pseq %" PRIu64, v->cps[k].pseq, expect - 1);
	*lastp = expect - 1;
	memcpy(last_hash, prev, RT_SHA256_LEN);
	return r;
}

static int
partner_verify(struct verify *v, struct rt_buf *out)
{
	uint8_t head_hash[RT_SHA256_LEN], last_hash[RT_SHA256_LEN];
	uint64_t head = 0, last = 0;
	sqlite3_stmt *st = NULL;
	int rc, have_head = 0, r;

	memset(v->records, 0, sizeof(v->records));
	v->flagged = 0;
	if (sqlite3_prepare_v2(v->db, "SELECT pseq, hash FROM chains WHERE partner = ?1",
	    -1, &st, NULL) != SQLITE_OK)
		return db_error(v, "chains");
	sqlite3_bind_text(st, 1, v->partner, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW &&
	    sqlite3_column_bytes(st, 1) == RT_SHA256_LEN) {
		have_head = 1;
		head = (uint64_t)sqlite3_column_int64(st, 0);
		memcpy(head_hash, sqlite3_column_blob(st, 1), RT_SHA256_LEN);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(v, "chains");
	if ((r = checkpoints_load(v)) != 0 || (r = chain_walk(v, &last, last_hash)) != 0)
		goto out;
	if (!have_head)
		r = broken(v, "the chains table has no head for %" PRIu64 " rows", last);
	else if (head > last)
		r = broken(v, "missing row: the chain head is pseq %" PRIu64 " but the "
		    "rows end at pseq %" PRIu64, head, last);
	else if (head < last)
		r = broken(v, "the chain head is pseq %" PRIu64 " but rows go on to pseq "
		    "%" PRIu64 " (rows added outside the ledger)", head, last);
	else if (memcmp(head_hash, last_hash, RT_SHA256_LEN) != 0)
		r = broken(v, "the chain head's hash is not the hash of pseq %" PRIu64
		    " (altered head)", last);
	if (r == 0)
		r = rt_buf_printf(out, "%s: %" PRIu64 " records (%" PRIu64 " ours, %"
		    PRIu64 " theirs, %" PRIu64 " flagged), %zu checkpoints, chain ok\n",
		    v->partner, last, v->records[0], v->records[1], v->flagged, v->ncps);
 out:
	checkpoints_free(v);
	return r;
}

int
broker_ledger_verify(const char *path, const char *realm, struct rt_trust *trust,
    FILE *progress, struct rt_buf *out, char *why, size_t whycap)
{
	struct verify v;
	char (*partners)[RT_REALM_MAX] = NULL;
	sqlite3_stmt *st = NULL;
	size_t n = 0;
	int rc, r;

	memset(&v, 0, sizeof(v));
	v.realm = realm;
	v.trust = trust;
	v.progress = progress;
	v.why = why;
	v.whycap = whycap;
	v.partner = "-";
	why[0] = '\0';
	if (sqlite3_open_v2(path, &v.db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		snprintf(why, whycap, "cannot open %s: %s", path,
		    v.db != NULL ? sqlite3_errmsg(v.db) : "out of memory");
		sqlite3_close(v.db);
		return RT_ERR_IO;
	}
	sqlite3_busy_timeout(v.db, 5000);
	/* one read transaction: one snapshot of every table */
	if (sqlite3_exec(v.db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		r = db_error(&v, "begin");
		goto out;
	}
	if ((partners = calloc(VERIFY_PARTNERS_MAX, sizeof(*partners))) == NULL) {
		r = RT_ERR_NOMEM;
		goto out;
	}
	if (sqlite3_prepare_v2(v.db, "SELECT partner FROM chains UNION "
	    "SELECT DISTINCT partner FROM records UNION SELECT partner FROM checkpoints "
	    "ORDER BY 1", -1, &st, NULL) != SQLITE_OK) {
		r = db_error(&v, "partners");
		goto out;
	}
	while (n < VERIFY_PARTNERS_MAX && (rc = sqlite3_step(st)) == SQLITE_ROW)
		snprintf(partners[n++], RT_REALM_MAX, "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	r = 0;
	for (size_t i = 0; i < n && r == 0; i++) {
		v.partner = partners[i];
		r = partner_verify(&v, out);
	}
	if (r == 0)
		r = rt_buf_printf(out, "ledger ok: %zu partner%s\n", n, n == 1 ? "" : "s");
 out:
	if (progress != NULL && v.walked >= 100000)
		fprintf(progress, "\n");
	free(partners);
	(void)sqlite3_exec(v.db, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(v.db);
	return r;
}

/* ---- status ---- */

static int
status_partner(sqlite3 *db, const char *partner, struct rt_buf *out)
{
	static const char *const sql[] = {
		"SELECT origin, records, flagged FROM counts WHERE partner = ?1",
		"SELECT seq, acked, last_pseq FROM batches_out WHERE partner = ?1 "
		    "ORDER BY seq DESC LIMIT 1",
		"SELECT COUNT(*) FROM batches_out WHERE partner = ?1 AND acked = 0",
		"SELECT COUNT(*) FROM records WHERE partner = ?1 AND origin = 0 AND "
		    "pseq > ?2",
		"SELECT seq, stored, flagged, at FROM batches_in WHERE partner = ?1 "
		    "ORDER BY seq DESC LIMIT 1",
	};
	int64_t ours = 0, theirs = 0, flagged = 0, out_seq = 0, out_acked = 0,
	    last_pseq = 0, pending = 0, unbatched = 0, in_seq = 0, in_stored = 0,
	    in_flagged = 0, in_at = 0;
	char when[RT_TIME_STR_LEN + 1];
	int r = 0;

	for (size_t q = 0; q < sizeof(sql) / sizeof(sql[0]) && r == 0; q++) {
		sqlite3_stmt *st = NULL;

		if (sqlite3_prepare_v2(db, sql[q], -1, &st, NULL) != SQLITE_OK)
			return RT_ERR_IO;
		sqlite3_bind_text(st, 1, partner, -1, SQLITE_STATIC);
		if (q == 3)
			sqlite3_bind_int64(st, 2, last_pseq);
		while (sqlite3_step(st) == SQLITE_ROW) {
			if (q == 0) {
				if (sqlite3_column_int(st, 0) == BROKER_ORIGIN_OURS)
					ours = sqlite3_column_int64(st, 1);
				else {
					theirs = sqlite3_column_int64(st, 1);
					flagged = sqlite3_column_int64(st, 2);
				}
			} else if (q == 1) {
				out_seq = sqlite3_column_int64(st, 0);
				out_acked = sqlite3_column_int64(st, 1);
				last_pseq = sqlite3_column_int64(st, 2);
			} else if (q == 2)
				pending = sqlite3_column_int64(st, 0);
			else if (q == 3)
				unbatched = sqlite3_column_int64(st, 0);
			else {
				in_seq = sqlite3_column_int64(st, 0);
				in_stored = sqlite3_column_int64(st, 1);
				in_flagged = sqlite3_column_int64(st, 2);
				in_at = sqlite3_column_int64(st, 3);
			}
		}
		sqlite3_finalize(st);
	}
	r = rt_buf_printf(out, "%s\n  records:    %" PRId64 " ours, %" PRId64
	    " theirs (%" PRId64 " flagged)\n", partner, ours, theirs, flagged);
	if (r == 0 && out_seq == 0)
		r = rt_buf_printf(out, "  batch out:  none yet, %" PRId64
		    " records waiting\n", unbatched);
	else if (r == 0)
		r = rt_buf_printf(out, "  batch out:  %" PRId64 " %s, %" PRId64
		    " batches pending, %" PRId64 " records not yet in a batch\n", out_seq,
		    out_acked ? "acked" : "pending", pending, unbatched);
	if (r == 0 && in_seq == 0)
		r = rt_buf_printf(out, "  batch in:   none yet\n");
	else if (r == 0) {
		rt_time_format((time_t)in_at, when);
		r = rt_buf_printf(out, "  batch in:   %" PRId64 " at %s (%" PRId64
		    " stored, %" PRId64 " flagged)\n", in_seq, when, in_stored, in_flagged);
	}
	return r;
}

int
broker_ledger_status(sqlite3 *db, struct rt_buf *out)
{
	sqlite3_stmt *st = NULL;
	char partner[RT_REALM_MAX];
	int n = 0, r = 0;

	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return RT_ERR_IO;
	if (sqlite3_prepare_v2(db, "SELECT partner FROM counts UNION SELECT partner "
	    "FROM batches_out UNION SELECT partner FROM batches_in ORDER BY 1", -1, &st,
	    NULL) != SQLITE_OK) {
		(void)sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
		return RT_ERR_IO;
	}
	while (r == 0 && sqlite3_step(st) == SQLITE_ROW) {
		snprintf(partner, sizeof(partner), "%s", sqlite3_column_text(st, 0));
		r = status_partner(db, partner, out);
		n++;
	}
	sqlite3_finalize(st);
	(void)sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (r == 0 && n == 0)
		r = rt_buf_append_str(out, "no records yet\n");
	return r;
}
