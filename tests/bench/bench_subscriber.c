/*
 * Benchmark of the home subscriber store (broker_subscriber), on a store
 * of BENCH_SUBSCRIBERS (default 100000) subscribers in a temporary folder
 * (TMPDIR, else /tmp: put it on the disk the state folder uses, fsync
 * rates differ). Each figure runs for BENCH_SECONDS (default 2) and prints
 * one line "bench: NAME VALUE UNIT":
 *   - subscriber_get by private id (the digest username: the per-
 *     authentication path) and by public id, one thread;
 *   - subscriber_get from 4 threads at once (the reader pool);
 *   - the same while a fifth thread records failures without pause (each
 *     a synced commit on the writer): lookups must not wait on fsync;
 *   - subscriber_record after a success with nothing to clear (no write)
 *     and after a failure (one synced commit).
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker_subscriber.h"
#include "rt_codec.h"
#include "rt_log.h"

#define THREADS 4

static const struct broker_password_policy policy = {12, 3, 0, 0, 60};

struct bench {
	struct broker_subscribers *db;
	long subscribers;
	double seconds;
	atomic_int stop;
	int failed;
};

struct worker {
	struct bench *b;
	unsigned seed;
	int public;		/* look up by public id */
	int record_failures;	/* write instead of read */
	unsigned long ops;
	int errors;
};

/* Writes n subscribers in one transaction, straight through SQLite (the
 * store's add syncs each one: 100k of them would take minutes). */
static int
populate(const char *path, long n)
{
	sqlite3 *raw = NULL;
	sqlite3_stmt *s1 = NULL, *s2 = NULL;
	char pub[64], priv[32];
	int ok = 0;

	if (sqlite3_open(path, &raw) != SQLITE_OK ||
	    sqlite3_exec(raw, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(raw, "INSERT INTO subscriber VALUES (?1, ?2, "
	    "'7ebb8e71d684623bbe9436a086bfd2fc', '8197c81419a3e9dd07a913a20d73"
	    "25e738221506baf810b44463139198288b49', 1, 1800000000, 0, 0, 0)",
	    -1, &s1, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(raw, "INSERT INTO subscriber_service VALUES "
	    "(?1, ?2, ?3)", -1, &s2, NULL) != SQLITE_OK)
		goto out;
	for (long i = 0; i < n; i++) {
		snprintf(pub, sizeof(pub), "sip:user%ld@home.example", i);
		snprintf(priv, sizeof(priv), "user%ld", i);
		sqlite3_bind_text(s1, 1, pub, -1, SQLITE_STATIC);
		sqlite3_bind_text(s1, 2, priv, -1, SQLITE_STATIC);
		if (sqlite3_step(s1) != SQLITE_DONE)
			goto out;
		sqlite3_reset(s1);
		for (int k = 0; k < 2; k++) {
			sqlite3_bind_text(s2, 1, pub, -1, SQLITE_STATIC);
			sqlite3_bind_int(s2, 2, k);
			sqlite3_bind_text(s2, 3, k ? "sms" : "voice", -1,
			    SQLITE_STATIC);
			if (sqlite3_step(s2) != SQLITE_DONE)
				goto out;
			sqlite3_reset(s2);
		}
	}
	ok = sqlite3_exec(raw, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
 out:
	if (!ok)
		fprintf(stderr, "bench: populate: %s\n", sqlite3_errmsg(raw));
	sqlite3_finalize(s1);
	sqlite3_finalize(s2);
	sqlite3_close(raw);
	return ok ? 0 : -1;
}

static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	struct broker_subscriber s;
	char id[64];
	long i;

	while (!atomic_load(&w->b->stop)) {
		i = (long)(rand_r(&w->seed) % (unsigned)w->b->subscribers);
		if (w->record_failures) {
			snprintf(id, sizeof(id), "user%ld", i);
			if (broker_subscriber_record(w->b->db, &policy, id, 0,
			    1800000000) < 0)
				w->errors++;
		} else {
			snprintf(id, sizeof(id), w->public ?
			    "sip:user%ld@home.example" : "user%ld", i);
			if (broker_subscriber_get(w->b->db, id, &s) != 0 ||
			    s.nservices != 2)
				w->errors++;
		}
		w->ops++;
	}
	return NULL;
}

/* Runs nreaders lookups threads (and a failure recorder when writer) for
 * the bench time; returns lookups/s, and records/s in *write_rate. */
static double
run_threads(struct bench *b, int nreaders, int public, int writer,
    double *write_rate)
{
	struct worker w[THREADS + 1];
	pthread_t th[THREADS + 1];
	uint64_t start, ns;
	unsigned long reads = 0;
	int n = nreaders + (writer != 0);
	struct timespec pause = {(time_t)b->seconds,
	    (long)((b->seconds - (double)(time_t)b->seconds) * 1e9)};

	atomic_store(&b->stop, 0);
	start = rt_mono_ns();
	for (int i = 0; i < n; i++) {
		w[i] = (struct worker){b, 7u * (unsigned)i + 1, public,
		    i == nreaders, 0, 0};
		if (pthread_create(&th[i], NULL, worker_run, &w[i]) != 0)
			abort();
	}
	nanosleep(&pause, NULL);
	atomic_store(&b->stop, 1);
	for (int i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		if (w[i].errors != 0)
			b->failed = 1;
		if (i < nreaders)
			reads += w[i].ops;
	}
	ns = rt_mono_ns() - start;
	if (write_rate != NULL)
		*write_rate = writer ? (double)w[nreaders].ops * 1e9 / (double)ns
		    : 0;
	return (double)reads * 1e9 / (double)ns;
}

static double
record_ok_rate(struct bench *b)
{
	uint64_t start = rt_mono_ns(), n = 0;

	while (rt_mono_ns() - start < (uint64_t)(b->seconds * 1e9)) {
		for (int i = 0; i < 100; i++)
			if (broker_subscriber_record(b->db, &policy, "user1", 1,
			    1800000000) != 0)
				b->failed = 1;
		n += 100;
	}
	return (double)n * 1e9 / (double)(rt_mono_ns() - start);
}

int
main(void)
{
	struct bench b = {NULL, 100000, 2.0, 0, 0};
	const char *env, *tmp = getenv("TMPDIR");
	char dir[256], path[300], side[320];
	double one, pub, four, mixed, writes, fails;

	rt_log_init("bench_subscriber", RT_LOG_STDERR, RT_LOG_ERR);
	if ((env = getenv("BENCH_SECONDS")) != NULL && atof(env) > 0)
		b.seconds = atof(env);
	if ((env = getenv("BENCH_SUBSCRIBERS")) != NULL && atol(env) > 0)
		b.subscribers = atol(env);
	snprintf(dir, sizeof(dir), "%s/rt-bench-sub-XXXXXX", tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("bench: mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/subscribers.db", dir);
	if (broker_subscribers_open(path, &b.db) != 0 ||
	    populate(path, b.subscribers) != 0) {
		b.failed = 1;
		goto out;
	}
	one = run_threads(&b, 1, 0, 0, NULL);
	pub = run_threads(&b, 1, 1, 0, NULL);
	four = run_threads(&b, THREADS, 0, 0, NULL);
	mixed = run_threads(&b, THREADS, 0, 1, &writes);
	fails = 0;
	(void)run_threads(&b, 0, 0, 1, &fails);
	printf("bench: subscriber_get %.0f lookups/s (by private id, 1 thread, "
	    "%ld subscribers)\n", one, b.subscribers);
	printf("bench: subscriber_get_public %.0f lookups/s (by public id, "
	    "1 thread)\n", pub);
	printf("bench: subscriber_get_threads %.0f lookups/s (%d threads, %ld "
	    "cores)\n", four, THREADS, sysconf(_SC_NPROCESSORS_ONLN));
	printf("bench: subscriber_get_during_writes %.0f lookups/s (%d threads) "
	    "while recording %.0f failures/s\n", mixed, THREADS, writes);
	printf("bench: subscriber_record_ok %.0f records/s (nothing to clear: "
	    "no write)\n", record_ok_rate(&b));
	printf("bench: subscriber_record_failure %.0f records/s (one synced "
	    "commit each)\n", fails);
 out:
	broker_subscribers_close(b.db);
	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
	rmdir(dir);
	if (b.failed)
		fprintf(stderr, "bench: subscriber: errors during the run\n");
	return b.failed;
}
