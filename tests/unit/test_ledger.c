/*
 * broker_ledger: appends (stored once; a repeat counts as stored, not
 * added; the same id with other content refused and the first kept), the
 * hash chain per partner and its head, checkpoints by count and by time,
 * many appends in flight from several threads, counts for status, an
 * append refused whole when the chain's head lags its rows, and
 * `ledger verify` on a good file and on files tampered with sqlite3: an
 * altered row, a deleted row (in the middle and at the end), a bad
 * checkpoint signature, a chain rewritten without the realm key, a
 * checkpoint of another realm. Batches and the home's check are in
 * test_ledger_batch.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helper_ledger.h"
#include "rt_codec.h"
#include "rt_log.h"

#define ASSERTION "0190f3c2-7a1e-7c3d-9a4b-5e6f7a8b9c0d"

static int
setup(void **state)
{
	struct tl_fixture *fx;

	assert_int_equal(tl_fixture_new(&fx), 0);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	tl_fixture_free(*state);
	return 0;
}

/* n records appended as ours; fails the test unless all are new. */
static void
append_new(struct broker_ledger *l, struct rt_usage_record *recs, int n)
{
	uint32_t stored = 0, added = 0;

	for (int i = 0; i < n; i++)
		tl_record(&recs[i], i, ASSERTION);
	assert_int_equal(tl_append(l, recs, (size_t)n, BROKER_ORIGIN_OURS, NULL, &stored,
	    &added), 0);
	assert_int_equal(stored, n);
	assert_int_equal(added, n);
}

static void
test_append_once(void **state)
{
	struct tl_fixture *fx = *state;
	struct broker_ledger *l = NULL;
	struct rt_usage_record recs[10], other[2];
	int results[2] = {-1, -1};
	uint32_t stored = 0, added = 0;

	assert_int_equal(tl_open(fx, 0, 0, 0, &l), 0);
	append_new(l, recs, 10);
	/* the agent submits them again (it never saw the ack): stored, once */
	assert_int_equal(tl_append(l, recs, 10, BROKER_ORIGIN_OURS, NULL, &stored, &added),
	    0);
	assert_int_equal(stored, 10);
	assert_int_equal(added, 0);
	/* a repeat inside one append, beside a new one */
	other[0] = recs[3];
	tl_record(&other[1], 11, ASSERTION);
	assert_int_equal(tl_append(l, other, 2, BROKER_ORIGIN_OURS, results, &stored,
	    &added), 0);
	assert_int_equal(stored, 2);
	assert_int_equal(added, 1);
	assert_int_equal(results[0], 0);
	assert_int_equal(results[1], 0);
	/* the same id with another quantity: refused, the first stays */
	other[0] = recs[4];
	other[0].quantity = 59;
	assert_int_equal(tl_append(l, other, 1, BROKER_ORIGIN_OURS, results, &stored,
	    &added), 0);
	assert_int_equal(stored, 0);
	assert_int_equal(results[0], RT_ERR_EXISTS);
	/* ... and as theirs (another origin) it is not the same record */
	other[0] = recs[5];
	assert_int_equal(tl_append(l, other, 1, BROKER_ORIGIN_PARTNER, results, &stored,
	    &added), 0);
	assert_int_equal(results[0], RT_ERR_EXISTS);
	broker_ledger_close(l);

	assert_int_equal(tl_query(fx->path, "SELECT COUNT(*) FROM records"), 11);
	assert_int_equal(tl_query(fx->path, "SELECT COUNT(DISTINCT id) FROM records"), 11);
	assert_int_equal(tl_query(fx->path, "SELECT quantity FROM records WHERE pseq = 5"),
	    60);
	assert_int_equal(tl_query(fx->path, "SELECT pseq FROM chains WHERE partner = '"
	    TL_HOME "'"), 11);
	assert_int_equal(tl_query(fx->path, "SELECT MAX(pseq) - MIN(pseq) + 1 FROM records"),
	    11);
	assert_int_equal(tl_query(fx->path, "SELECT records FROM counts WHERE partner = '"
	    TL_HOME "' AND origin = 0"), 11);
}

static void
test_append_refuses(void **state)
{
	struct tl_fixture *fx = *state;
	struct broker_ledger *l = NULL;
	struct rt_usage_record u;

	assert_int_equal(tl_open(fx, 0, 0, 0, &l), 0);
	tl_record(&u, 0, ASSERTION);
	assert_int_equal(tl_append(l, &u, 0, BROKER_ORIGIN_OURS, NULL, NULL, NULL),
	    RT_ERR_BAD_INPUT);
	assert_int_equal(tl_append(l, &u, 1, (enum broker_origin)2, NULL, NULL, NULL),
	    RT_ERR_BAD_INPUT);
	broker_ledger_close(l);
}

/* A head that lags its rows (the file damaged): appends fail whole and
 * store nothing, rather than fork the chain. */
static void
test_append_damaged_chain(void **state)
{
	struct tl_fixture *fx = *state;
	struct broker_ledger *l = NULL;
	struct rt_usage_record recs[5], more[2];

	assert_int_equal(tl_open(fx, 0, 0, 0, &l), 0);
	append_new(l, recs, 5);
	broker_ledger_close(l);
	assert_int_equal(tl_exec(fx->path, "UPDATE chains SET pseq = 3"), 0);
	assert_int_equal(tl_open(fx, 0, 0, 0, &l), 0);
	tl_record(&more[0], 0, ASSERTION);
	tl_record(&more[1], 1, ASSERTION);
	assert_int_equal(tl_append(l, more, 2, BROKER_ORIGIN_OURS, NULL, NULL, NULL),
	    RT_ERR_CHAIN);
	broker_ledger_close(l);
	assert_int_equal(tl_query(fx->path, "SELECT COUNT(*) FROM records"), 5);
}

/* Walks the chain with the contract's hash: pseq 1..n, each row's hash. */
static void
chain_check(const char *path, const char *partner, int n)
{
	uint8_t prev[RT_SHA256_LEN], hash[RT_SHA256_LEN];
	struct rt_usage_record u;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int k = 0;

	memset(prev, 0, sizeof(prev));
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT pseq, hash, "
	    BROKER_LEDGER_RECORD_COLUMNS " FROM records WHERE partner = ?1 ORDER BY pseq",
	    -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, partner, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		assert_int_equal(sqlite3_column_int64(st, 0), ++k);
		assert_int_equal(rt_usage_row_read(st, 2, &u), 0);
		assert_int_equal(broker_ledger_hash(prev, &u, hash), 0);
		assert_int_equal(sqlite3_column_bytes(st, 1), RT_SHA256_LEN);
		assert_memory_equal(sqlite3_column_blob(st, 1), hash, RT_SHA256_LEN);
		memcpy(prev, hash, sizeof(prev));
	}
	sqlite3_finalize(st);
	assert_int_equal(k, n);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT hash FROM chains WHERE partner = ?1",
	    -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, partner, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_memory_equal(sqlite3_column_blob(st, 0), prev, RT_SHA256_LEN);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void
test_chain_and_checkpoints(void **state)
{
	struct tl_fixture *fx = *state;
	struct broker_ledger *l = NULL;
	struct rt_usage_record recs[10], theirs[3];
	char why[512];

	assert_int_equal(tl_open(fx, 0, 4, 0, &l), 0);
	append_new(l, recs, 10);
	/* the partner's records (we are home for them) join the same chain */
	for (int i = 0; i < 3; i++) {
		tl_record(&theirs[i], 20 + i, ASSERTION);
		snprintf(theirs[i].home, sizeof(theirs[i].home), TL_VISITED);
		snprintf(theirs[i].visited, sizeof(theirs[i].visited), TL_HOME);
		snprintf(theirs[i].flags[theirs[i].nflags++], RT_SERVICE_MAX,
		    "unknown-assertion");
	}
	assert_int_equal(tl_append(l, theirs, 3, BROKER_ORIGIN_PARTNER, NULL, NULL, NULL),
	    0);
	broker_ledger_close(l);
	chain_check(fx->path, TL_HOME, 13);
	/* one every 4 records: 4, 8, 12 */
	assert_int_equal(tl_query(fx->path, "SELECT COUNT(*) FROM checkpoints"), 3);
	assert_int_equal(tl_query(fx->path, "SELECT MAX(pseq) FROM checkpoints"), 12);
	assert_int_equal(tl_query(fx->path, "SELECT checkpoint_pseq FROM chains"), 12);
	assert_int_equal(tl_query(fx->path, "SELECT flagged FROM counts WHERE origin = 1"),
	    3);
	assert_int_equal(tl_verify(fx, fx->path, TL_VISITED, why, sizeof(why)), 0);
	/* another realm's key did not sign them */
	assert_int_equal(tl_verify(fx, fx->path, TL_HOME, why, sizeof(why)), RT_ERR_CHAIN);
	assert_non_null(strstr(why, "bad checkpoint signature"));
}

static void
test_checkpoint_by_time(void **state)
{
	struct tl_fixture *fx = *state;
	struct broker_ledger *l = NULL;
	struct rt_usage_record recs[3];
	time_t now = rt_time_now();
	char why[512];

	assert_int_equal(tl_open(fx, 0, 0, 60, &l), 0);
	/* a new chain gets its first checkpoint at once */
	append_new(l, recs, 1);
	assert_int_equal(tl_query(fx->path, "SELECT COUNT(*) FROM checkpoints"), 1);
	/* more records within the interval: none */
	append_new(l, recs, 2);
	broker_ledger_drain(l);
	assert_int_equal(tl_query(fx->path, "SELECT COUNT(*) FROM checkpoints"), 1);
	broker_ledger_tick(l, now);
	broker_ledger_drain(l);
	assert_int_equal(tl_query(fx->path, "SELECT COUNT(*) FROM checkpoints"), 1);
	/* a minute later the tick signs the chain that moved */
	rt_time_set_now(now + 61);
	broker_ledger_tick(l, now + 61);
	broker_ledger_drain(l);
	assert_int_equal(tl_query(fx->path, "SELECT COUNT(*) FROM checkpoints"), 2);
	assert_int_equal(tl_query(fx->path, "SELECT MAX(pseq) FROM checkpoints"), 3);
	/* nothing moved since: nothing more */
	rt_time_set_now(now + 200);
	broker_ledger_tick(l, now + 200);
	broker_ledger_drain(l);
	rt_time_set_now(0);
	assert_int_equal(tl_query(fx->path, "SELECT COUNT(*) FROM checkpoints"), 2);
	broker_ledger_close(l);
	assert_int_equal(tl_verify(fx, fx->path, TL_VISITED, why, sizeof(why)), 0);
}

/* ---- many appends in flight ---- */

#define THREADS 4
#define PER_THREAD 40
#define PER_APPEND 25

struct worker {
	struct broker_ledger *l;
	int id;
	int failed;
	uint32_t stored;
};

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct rt_usage_record *recs = calloc(PER_APPEND, sizeof(*recs));

	for (int i = 0; i < PER_THREAD && recs != NULL; i++) {
		uint32_t stored = 0;

		for (int k = 0; k < PER_APPEND; k++) {
			tl_record(&recs[k], k, ASSERTION);
			/* two partners, interleaved */
			if ((w->id + k) % 2)
				snprintf(recs[k].home, sizeof(recs[k].home), "other.example");
		}
		if (tl_append(w->l, recs, PER_APPEND, BROKER_ORIGIN_OURS, NULL, &stored,
		    NULL) != 0)
			w->failed++;
		w->stored += stored;
	}
	free(recs);
	return NULL;
}

static void
test_many_in_flight(void **state)
{
	struct tl_fixture *fx = *state;
	struct broker_ledger *l = NULL;
	pthread_t t[THREADS];
	struct worker w[THREADS];
	char why[512];
	long long total = (long long)THREADS * PER_THREAD * PER_APPEND;

	assert_int_equal(tl_open(fx, 0, 100, 0, &l), 0);
	for (int i = 0; i < THREADS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].l = l;
		w[i].id = i;
		assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].failed, 0);
		assert_int_equal(w[i].stored, PER_THREAD * PER_APPEND);
	}
	/* fewer commits than appends: they shared them (not a timing claim:
	 * at most one commit per append) */
	assert_true(broker_ledger_commits(l) <= (uint64_t)THREADS * PER_THREAD + 1);
	broker_ledger_close(l);
	assert_int_equal(tl_query(fx->path, "SELECT COUNT(*) FROM records"), total);
	chain_check(fx->path, TL_HOME, (int)(total / 2));
	chain_check(fx->path, "other.example", (int)(total / 2));
	assert_int_equal(tl_query(fx->path, "SELECT SUM(records) FROM counts"), total);
	assert_int_equal(tl_verify(fx, fx->path, TL_VISITED, why, sizeof(why)), 0);
}

/* ---- verify on tampered files ---- */

/* A new ledger of 10 records, checkpoints at 4 and 8, then closed. */
static void
ledger_of_ten(struct tl_fixture *fx, struct rt_usage_record *recs)
{
	static const char *const suffix[] = {"", "-wal", "-shm"};
	struct broker_ledger *l = NULL;
	char why[512], path[800];

	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s%s", fx->path, suffix[i]);
		(void)remove(path);
	}
	assert_int_equal(tl_open(fx, 0, 4, 0, &l), 0);
	append_new(l, recs, 10);
	broker_ledger_close(l);
	assert_int_equal(tl_verify(fx, fx->path, TL_VISITED, why, sizeof(why)), 0);
}

static void
test_verify_altered_row(void **state)
{
	struct tl_fixture *fx = *state;
	struct rt_usage_record recs[10];
	char why[512];

	ledger_of_ten(fx, recs);
	assert_int_equal(tl_exec(fx->path, "UPDATE records SET quantity = quantity + 1 "
	    "WHERE pseq = 6"), 0);
	assert_int_equal(tl_verify(fx, fx->path, TL_VISITED, why, sizeof(why)),
	    RT_ERR_CHAIN);
	assert_non_null(strstr(why, "partner " TL_HOME));
	assert_non_null(strstr(why, "altered row: pseq 6"));
	assert_non_null(strstr(why, recs[5].id));
}

static void
test_verify_deleted_row(void **state)
{
	struct tl_fixture *fx = *state;
	struct rt_usage_record recs[10];
	char why[512];

	ledger_of_ten(fx, recs);
	assert_int_equal(tl_exec(fx->path, "DELETE FROM records WHERE pseq = 3"), 0);
	assert_int_equal(tl_verify(fx, fx->path, TL_VISITED, why, sizeof(why)),
	    RT_ERR_CHAIN);
	assert_non_null(strstr(why, "missing row: pseq 3 absent"));
	assert_non_null(strstr(why, recs[3].id));	/* the row after the hole */
}

static void
test_verify_deleted_last_row(void **state)
{
	struct tl_fixture *fx = *state;
	struct rt_usage_record recs[10];
	char why[512];

	ledger_of_ten(fx, recs);
	assert_int_equal(tl_exec(fx->path, "DELETE FROM records WHERE pseq = 10"), 0);
	assert_int_equal(tl_verify(fx, fx->path, TL_VISITED, why, sizeof(why)),
	    RT_ERR_CHAIN);
	assert_non_null(strstr(why, "missing row: the chain head is pseq 10 but the rows "
	    "end at pseq 9"));
}

static void
test_verify_bad_checkpoint(void **state)
{
	struct tl_fixture *fx = *state;
	struct rt_usage_record recs[10];
	char why[512];

	ledger_of_ten(fx, recs);
	/* the signed time moved: the signature no longer covers it */
	assert_int_equal(tl_exec(fx->path, "UPDATE checkpoints SET at = at - 1 "
	    "WHERE pseq = 8"), 0);
	assert_int_equal(tl_verify(fx, fx->path, TL_VISITED, why, sizeof(why)),
	    RT_ERR_CHAIN);
	assert_non_null(strstr(why, "checkpoint at pseq 8"));
	assert_non_null(strstr(why, "bad checkpoint signature"));
	/* a signature that is not one */
	ledger_of_ten(fx, recs);
	assert_int_equal(tl_exec(fx->path, "UPDATE checkpoints SET sig = x'3000' "
	    "WHERE pseq = 4"), 0);
	assert_int_equal(tl_verify(fx, fx->path, TL_VISITED, why, sizeof(why)),
	    RT_ERR_CHAIN);
	assert_non_null(strstr(why, "checkpoint at pseq 4"));
	assert_non_null(strstr(why, "bad checkpoint signature"));
}

/* Rewrites every hash from pseq 1 on with the contract's function, and
 * the head: what someone with the file but not the key can do. */
static void
rehash(const char *path)
{
	uint8_t prev[RT_SHA256_LEN], hash[RT_SHA256_LEN];
	struct rt_usage_record u;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL, *up = NULL;

	memset(prev, 0, sizeof(prev));
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT pseq, "
	    BROKER_LEDGER_RECORD_COLUMNS " FROM records ORDER BY pseq", -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "UPDATE records SET hash = ?1 WHERE "
	    "pseq = ?2", -1, &up, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		assert_int_equal(rt_usage_row_read(st, 1, &u), 0);
		assert_int_equal(broker_ledger_hash(prev, &u, hash), 0);
		sqlite3_bind_blob(up, 1, hash, RT_SHA256_LEN, SQLITE_TRANSIENT);
		sqlite3_bind_int64(up, 2, sqlite3_column_int64(st, 0));
		assert_int_equal(sqlite3_step(up), SQLITE_DONE);
		sqlite3_reset(up);
		memcpy(prev, hash, sizeof(prev));
	}
	sqlite3_finalize(st);
	sqlite3_finalize(up);
	assert_int_equal(sqlite3_prepare_v2(db, "UPDATE chains SET hash = ?1", -1, &up,
	    NULL), SQLITE_OK);
	sqlite3_bind_blob(up, 1, prev, RT_SHA256_LEN, SQLITE_TRANSIENT);
	assert_int_equal(sqlite3_step(up), SQLITE_DONE);
	sqlite3_finalize(up);
	sqlite3_close(db);
}

static void
test_verify_rewritten_chain(void **state)
{
	struct tl_fixture *fx = *state;
	struct rt_usage_record recs[10];
	char why[512];

	ledger_of_ten(fx, recs);
	assert_int_equal(tl_exec(fx->path, "UPDATE records SET quantity = 1 WHERE pseq = 2"),
	    0);
	rehash(fx->path);
	assert_int_equal(tl_verify(fx, fx->path, TL_VISITED, why, sizeof(why)),
	    RT_ERR_CHAIN);
	assert_non_null(strstr(why, "checkpoint at pseq 4"));
	assert_non_null(strstr(why, "does not match the chain"));
	/* and after the last checkpoint only the head could tell: it does */
	ledger_of_ten(fx, recs);
	assert_int_equal(tl_exec(fx->path, "UPDATE records SET quantity = 1 WHERE pseq = 10"),
	    0);
	assert_int_equal(tl_verify(fx, fx->path, TL_VISITED, why, sizeof(why)),
	    RT_ERR_CHAIN);
	assert_non_null(strstr(why, "altered row: pseq 10"));
}

static void
test_verify_unreadable(void **state)
{
	struct tl_fixture *fx = *state;
	char why[512], path[800];

	snprintf(path, sizeof(path), "%s/none.db", fx->dir);
	assert_int_equal(tl_verify(fx, path, TL_VISITED, why, sizeof(why)), RT_ERR_IO);
	assert_non_null(strstr(why, "none.db"));
}

static void
test_status(void **state)
{
	struct tl_fixture *fx = *state;
	struct broker_ledger *l = NULL;
	struct rt_usage_record recs[5];
	struct rt_buf out;
	sqlite3 *db = NULL;

	assert_int_equal(tl_open(fx, 0, 0, 0, &l), 0);
	rt_buf_init(&out, 1 << 20);
	assert_int_equal(broker_ledger_reader(l, &db), 0);
	assert_int_equal(broker_ledger_status(db, &out), 0);
	assert_non_null(strstr(rt_buf_str(&out), "no records yet"));
	append_new(l, recs, 5);
	rt_buf_reset(&out);
	assert_int_equal(broker_ledger_status(db, &out), 0);
	assert_non_null(strstr(rt_buf_str(&out), TL_HOME "\n  records:    5 ours, 0 theirs"));
	assert_non_null(strstr(rt_buf_str(&out), "batch out:  none yet, 5 records waiting"));
	assert_non_null(strstr(rt_buf_str(&out), "batch in:   none yet"));
	sqlite3_close(db);
	rt_buf_fini(&out);
	broker_ledger_close(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_append_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_refuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_damaged_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chain_and_checkpoints, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checkpoint_by_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_in_flight, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_altered_row, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_deleted_row, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_deleted_last_row, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_verify_bad_checkpoint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_rewritten_chain, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_verify_unreadable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status, setup, teardown),
	};

	rt_log_init("test_ledger", RT_LOG_STDERR, RT_LOG_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
