/*
 * Durable ingest at the ledger (issue: ledger at the broker), in one run so
 * both figures share the machine and the disk (TMPDIR, else /tmp: put it
 * on the disk the state folder uses, fsync rates differ):
 *   - ledger_ingest: the real append path (broker_ledger_append: canonical
 *     bytes on the submitting threads, then on the store's writer the
 *     chain head, SHA-256 per record, the insert with its UNIQUE id and
 *     (partner, pseq) indexes, the chain head and counts, a checkpoint
 *     every 10000 records, synced group commits), WINDOW appends of
 *     PER_APPEND records in flight from PRODUCERS threads, like agents'
 *     UsageSubmits, records of two partners;
 *   - sqlite_raw_insert_ledger: plain INSERTs of the same rows into the
 *     same table (records of BROKER_LEDGER_SCHEMA), one connection, WAL,
 *     synchronous=FULL, in transactions of the size the ledger's commits
 *     had on average (records / commits);
 * and, to show where the time goes, the two per-record costs of the
 * ledger that raw SQLite does not pay: canonical encoding and the chain's
 * SHA-256, each on one thread. Ledger and raw run in turn, ROUNDS rounds
 * sharing BENCH_SECONDS (default 3) each; the medians are printed, so a
 * machine busy with something else slows both alike.
 * Prints "bench: NAME VALUE UNIT [ratio R vs BASE]".
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helper_ledger.h"
#include "rt_codec.h"
#include "rt_log.h"

#define PRODUCERS 2
#define WINDOW 64		/* appends in flight */
#define PER_APPEND 100
#define ASSERTION "0190f3c2-7a1e-7c3d-9a4b-5e6f7a8b9c0d"
#define ROUNDS 5		/* ledger and raw in turn, medians reported */

static double bench_seconds = 3.0;

/* Record ids, made before the clock starts: agents make them, not the
 * broker (and both runs take the same ones). */
static char (*ids)[RT_ID_MAX];
static size_t nids;
static atomic_size_t next_id;

static void
ids_make(size_t n)
{
	if ((ids = calloc(n, sizeof(*ids))) == NULL)
		exit(1);
	for (nids = 0; nids < n; nids++)
		if (rt_uuid_v7(rt_time_now_ms(), ids[nids]) != 0)
			exit(1);
}

static void
id_take(char *out)
{
	size_t i = atomic_fetch_add(&next_id, 1);

	if (i < nids)
		memcpy(out, ids[i], RT_ID_MAX);
	else if (rt_uuid_v7(rt_time_now_ms(), out) != 0)
		abort();
}

struct slot {
	struct broker_ledger_append a;
	struct rt_usage_record recs[PER_APPEND];
	struct run *run;
	int busy;
};

struct run {
	struct broker_ledger *ledger;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct slot *slots;
	uint64_t until;
	uint64_t stored;
	int failed;
	int in_flight;
};

static void
slot_done(struct broker_ledger_append *a, int err)
{
	struct slot *s = a->arg;
	struct run *run = s->run;

	pthread_mutex_lock(&run->lock);
	if (err != 0 || a->stored != PER_APPEND)
		run->failed++;
	run->stored += a->stored;
	s->busy = 0;
	run->in_flight--;
	pthread_cond_broadcast(&run->cond);
	pthread_mutex_unlock(&run->lock);
}

static void
slot_fill(struct slot *s, unsigned *seq)
{
	for (int i = 0; i < PER_APPEND; i++) {
		struct rt_usage_record *u = &s->recs[i];

		/* fresh, time-ordered ids (what agents make); two partners */
		id_take(u->id);
		snprintf(u->home, sizeof(u->home), "%s",
		    (*seq)++ % 2 ? TL_HOME : "other.example");
	}
}

struct producer {
	struct run *run;
	int p;
};

/* Producer p keeps its share of the window full until the time is up. */
static void *
producer_main(void *arg)
{
	struct run *run = ((struct producer *)arg)->run;
	int p = ((struct producer *)arg)->p, per = WINDOW / PRODUCERS;
	unsigned seq = (unsigned)p;

	for (;;) {
		struct slot *s = NULL;

		pthread_mutex_lock(&run->lock);
		while (s == NULL && rt_mono_ns() < run->until) {
			for (int i = p * per; i < (p + 1) * per && s == NULL; i++)
				if (!run->slots[i].busy)
					s = &run->slots[i];
			if (s == NULL)
				pthread_cond_wait(&run->cond, &run->lock);
		}
		if (s != NULL) {
			s->busy = 1;
			run->in_flight++;
		}
		pthread_mutex_unlock(&run->lock);
		if (s == NULL)
			return NULL;
		slot_fill(s, &seq);
		memset(&s->a, 0, sizeof(s->a));
		s->a.records = s->recs;
		s->a.n = PER_APPEND;
		s->a.origin = BROKER_ORIGIN_OURS;
		s->a.done = slot_done;
		s->a.arg = s;
		if (broker_ledger_append(run->ledger, &s->a) != 0)
			slot_done(&s->a, RT_ERR_INTERNAL);
	}
}

/* One round of appends for secs on the open ledger l. */
static double
bench_ledger(struct broker_ledger *l, double secs, double *rows_per_commit)
{
	struct run run;
	struct producer pr[PRODUCERS];
	pthread_t th[PRODUCERS];
	uint64_t start, commits0;

	memset(&run, 0, sizeof(run));
	pthread_mutex_init(&run.lock, NULL);
	pthread_cond_init(&run.cond, NULL);
	run.ledger = l;
	if ((run.slots = calloc(WINDOW, sizeof(*run.slots))) == NULL)
		exit(1);
	for (int i = 0; i < WINDOW; i++) {
		run.slots[i].run = &run;
		for (int k = 0; k < PER_APPEND; k++)
			tl_record(&run.slots[i].recs[k], k, ASSERTION);
	}
	commits0 = broker_ledger_commits(l);
	start = rt_mono_ns();
	run.until = start + (uint64_t)(secs * 1e9);
	for (int p = 0; p < PRODUCERS; p++) {
		pr[p].run = &run;
		pr[p].p = p;
		if (pthread_create(&th[p], NULL, producer_main, &pr[p]) != 0)
			exit(1);
	}
	for (int p = 0; p < PRODUCERS; p++)
		pthread_join(th[p], NULL);
	pthread_mutex_lock(&run.lock);
	while (run.in_flight > 0)
		pthread_cond_wait(&run.cond, &run.lock);
	pthread_mutex_unlock(&run.lock);
	secs = (double)(rt_mono_ns() - start) / 1e9;
	*rows_per_commit = (double)run.stored /
	    (double)(broker_ledger_commits(l) - commits0 + 1);
	if (run.failed > 0) {
		fprintf(stderr, "bench_ledger: %d appends failed\n", run.failed);
		exit(1);
	}
	free(run.slots);
	pthread_mutex_destroy(&run.lock);
	pthread_cond_destroy(&run.cond);
	return (double)run.stored / secs;
}

/* Plain SQLite: the same table, one connection, WAL, synchronous=FULL. */
static sqlite3 *
raw_open(struct tl_fixture *fx, sqlite3_stmt **stp)
{
	char path[800];
	sqlite3 *db = NULL;

	snprintf(path, sizeof(path), "%s/raw.db", fx->dir);
	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
	    NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, BROKER_LEDGER_SCHEMA, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO records(" BROKER_LEDGER_RECORD_COLUMNS
	    ", partner, origin, pseq, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
	    "?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)", -1, stp, NULL) != SQLITE_OK) {
		fprintf(stderr, "bench_ledger: raw setup: %s\n", sqlite3_errmsg(db));
		exit(1);
	}
	return db;
}

/* One round of rows-row transactions for secs. */
static double
bench_raw(sqlite3 *db, sqlite3_stmt *st, double secs, int rows)
{
	static uint64_t pseq[2];
	struct rt_usage_record u;
	uint8_t hash[RT_SHA256_LEN];
	uint64_t start, until, n = 0;
	int ok = 1;

	tl_record(&u, 0, ASSERTION);
	memset(hash, 0x5a, sizeof(hash));
	start = rt_mono_ns();
	until = start + (uint64_t)(secs * 1e9);
	while (ok && rt_mono_ns() < until) {
		ok = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
		for (int i = 0; ok && i < rows; i++, n++) {
			int p = (int)(n % 2);

			id_take(u.id);
			if (rt_usage_row_bind(st, 1, &u) != 0)
				abort();
			sqlite3_bind_text(st, 14, p ? TL_HOME : "other.example", -1,
			    SQLITE_STATIC);
			sqlite3_bind_int(st, 15, 0);
			sqlite3_bind_int64(st, 16, (sqlite3_int64)++pseq[p]);
			sqlite3_bind_blob(st, 17, hash, sizeof(hash), SQLITE_STATIC);
			ok = sqlite3_step(st) == SQLITE_DONE;
			sqlite3_reset(st);
		}
		ok = ok && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
	}
	if (!ok) {
		fprintf(stderr, "bench_ledger: raw insert: %s\n", sqlite3_errmsg(db));
		exit(1);
	}
	return (double)n / ((double)(rt_mono_ns() - start) / 1e9);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The ledger's own per-record work: canonical bytes, then the hash. */
static void
bench_record_costs(double *encode_rate, double *hash_rate)
{
	struct rt_usage_record u;
	uint8_t prev[RT_SHA256_LEN], hash[RT_SHA256_LEN];
	struct rt_buf buf;
	uint64_t start, n = 0;
	double secs = bench_seconds / 3;

	tl_record(&u, 0, ASSERTION);
	memset(prev, 0, sizeof(prev));
	rt_buf_init(&buf, 1 << 16);
	start = rt_mono_ns();
	do {
		for (int i = 0; i < 1000; i++, n++) {
			rt_buf_reset(&buf);
			if (rt_usage_record_encode_element(&u, -1, &buf) != 0)
				abort();
		}
	} while (rt_mono_ns() - start < (uint64_t)(secs * 1e9));
	*encode_rate = (double)n / ((double)(rt_mono_ns() - start) / 1e9);
	n = 0;
	start = rt_mono_ns();
	do {
		for (int i = 0; i < 1000; i++, n++) {
			/* prev || canonical bytes, as the writer hashes them */
			uint8_t tmp[RT_SHA256_LEN + 1024];

			memcpy(tmp, prev, RT_SHA256_LEN);
			memcpy(tmp + RT_SHA256_LEN, buf.data, buf.len < 1024 ? buf.len : 1024);
			if (rt_sha256(tmp, RT_SHA256_LEN + (buf.len < 1024 ? buf.len : 1024),
			    hash) != 0)
				abort();
			memcpy(prev, hash, sizeof(prev));
		}
	} while (rt_mono_ns() - start < (uint64_t)(secs * 1e9));
	*hash_rate = (double)n / ((double)(rt_mono_ns() - start) / 1e9);
	rt_buf_fini(&buf);
}

int
main(void)
{
	struct tl_fixture *fx = NULL;
	struct broker_ledger *l = NULL;
	const char *env = getenv("BENCH_SECONDS");
	double ledger[ROUNDS], raw[ROUNDS], ratio[ROUNDS], rows[ROUNDS], encode, hash;
	sqlite3_stmt *st = NULL;
	sqlite3 *db;

	if (env != NULL && atof(env) > 0)
		bench_seconds = atof(env);
	rt_log_init("bench_ledger", RT_LOG_STDERR, RT_LOG_ERR);
	if (tl_fixture_new(&fx) != 0 || tl_open(fx, 0, 10000, 300, &l) != 0) {
		fprintf(stderr, "bench_ledger: setup failed\n");
		return 1;
	}
	ids_make((size_t)(bench_seconds * 400000));
	if (getenv("BENCH_LEDGER_ONLY") != NULL) {	/* for a profiler */
		printf("bench: ledger_ingest %.0f records/s\n",
		    bench_ledger(l, bench_seconds, &rows[0]));
		broker_ledger_close(l);
		tl_fixture_free(fx);
		free(ids);
		return 0;
	}
	db = raw_open(fx, &st);
	/* rounds in turn: a machine that slows down slows both */
	for (int i = 0; i < ROUNDS; i++) {
		ledger[i] = bench_ledger(l, bench_seconds / ROUNDS, &rows[i]);
		raw[i] = bench_raw(db, st, bench_seconds / ROUNDS,
		    rows[i] < 1 ? 1 : (int)(rows[i] + 0.5));
		ratio[i] = ledger[i] / raw[i];
	}
	broker_ledger_close(l);
	sqlite3_finalize(st);
	sqlite3_close(db);
	bench_record_costs(&encode, &hash);
	printf("bench: sqlite_raw_insert_ledger %.0f records/s (%.0f rows per synced "
	    "transaction, median of %d rounds)\n", median(raw, ROUNDS),
	    median(rows, ROUNDS), ROUNDS);
	printf("bench: ledger_ingest %.0f records/s ratio %.2f vs sqlite_raw "
	    "(%d appends of %d in flight, median of %d rounds)\n", median(ledger, ROUNDS),
	    median(ratio, ROUNDS), WINDOW, PER_APPEND, ROUNDS);
	printf("bench: ledger_canonical_encode %.0f records/s (one thread)\n", encode);
	printf("bench: ledger_chain_sha256 %.0f records/s (one thread)\n", hash);
	tl_fixture_free(fx);
	free(ids);
	return 0;
}
