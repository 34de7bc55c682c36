/*
 * rt_store: the file (0600, refused when open to others, WAL), the schema
 * at open, group commit (many submitters, fewer commits than operations,
 * every done called once, a chain of operations in one commit), a failing
 * operation rolled back alone (all it did, while the others of its group
 * commit: the group's second run, with savepoints), what is done is there
 * after reopening,
 * rt_store_run, readers, and a close with work queued.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rt_log.h"
#include "rt_store.h"

#define SCHEMA "CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, v TEXT UNIQUE);"
#define NTHREADS 4
#define PER_THREAD 2000

struct fixture {
	char dir[64];
	char path[128];
	struct rt_store *store;
};

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct rt_store_opts opts = {.name = "test", .schema = SCHEMA};

	assert_non_null(fx);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/rt-store-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->path, sizeof(fx->path), "%s/t.db", fx->dir);
	opts.path = fx->path;
	assert_int_equal(rt_store_open(&opts, &fx->store), 0);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[160];

	rt_store_close(fx->store);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", fx->dir);
	assert_int_equal(system(cmd), 0);
	free(fx);
	return 0;
}

static int
insert_value(sqlite3 *db, void *arg)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, "INSERT INTO t(v) VALUES (?)", -1, &st,
	    NULL) != SQLITE_OK)
		return RT_ERR_IO;
	sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : (rc & 0xff) == SQLITE_CONSTRAINT ? RT_ERR_EXISTS :
	    RT_ERR_IO;
}

static long
count_rows(const struct fixture *fx, const char *where)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	char sql[128];
	long n = -1;

	assert_int_equal(rt_store_reader(fx->store, &db), 0);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM t %s", where);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

static void
test_file(void **state)
{
	struct fixture *fx = *state;
	struct stat st;
	struct rt_store *other = NULL;
	struct rt_store_opts opts = {.path = fx->path, .name = "test"};
	char bad[160];

	assert_int_equal(stat(fx->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_string_equal(rt_store_path(fx->store), fx->path);
	/* a file others may read is refused */
	snprintf(bad, sizeof(bad), "%s/open.db", fx->dir);
	assert_int_equal(creat(bad, 0644) >= 0, 1);
	assert_int_equal(chmod(bad, 0644), 0);
	opts.path = bad;
	assert_int_equal(rt_store_open(&opts, &other), RT_ERR_PERM);
	assert_null(other);
	/* no folder */
	opts.path = "/nonexistent/dir/x.db";
	assert_int_equal(rt_store_open(&opts, &other), RT_ERR_IO);
	/* a bad schema */
	snprintf(bad, sizeof(bad), "%s/schema.db", fx->dir);
	opts.path = bad;
	opts.schema = "CREATE TABLE (";
	assert_int_equal(rt_store_open(&opts, &other), RT_ERR_IO);
}

static void
test_run_and_reopen(void **state)
{
	struct fixture *fx = *state;
	struct rt_store_opts opts = {.path = fx->path, .name = "test",
	    .schema = SCHEMA};
	static char a[] = "a", b[] = "b";

	assert_int_equal(rt_store_run(fx->store, insert_value, a), 0);
	assert_int_equal(rt_store_run(fx->store, insert_value, b), 0);
	/* the duplicate fails alone */
	assert_int_equal(rt_store_run(fx->store, insert_value, a), RT_ERR_EXISTS);
	assert_int_equal(count_rows(fx, ""), 2);
	rt_store_close(fx->store);
	fx->store = NULL;
	assert_int_equal(rt_store_open(&opts, &fx->store), 0);
	assert_int_equal(count_rows(fx, ""), 2);
	assert_int_equal(rt_store_commits(fx->store), 0);
}

struct op_ctx {
	const char *value;
	atomic_int *ok;
	atomic_int *failed;
	atomic_int *calls;
};

static void
op_done(void *arg, int err)
{
	struct op_ctx *c = arg;

	atomic_fetch_add(c->calls, 1);
	atomic_fetch_add(err == 0 ? c->ok : c->failed, 1);
}

static int
op_apply(sqlite3 *db, void *arg)
{
	struct op_ctx *c = arg;

	return insert_value(db, (void *)(uintptr_t)c->value);
}

struct thread_arg {
	struct rt_store *store;
	int thread;
	struct op_ctx ctx[PER_THREAD];
	struct rt_store_op ops[PER_THREAD];
	char values[PER_THREAD][32];
	atomic_int ok, failed, calls;
};

static void *
submit_thread(void *arg)
{
	struct thread_arg *t = arg;

	for (int i = 0; i < PER_THREAD; i++) {
		/* every 100th a duplicate of the one before: it must fail alone */
		snprintf(t->values[i], sizeof(t->values[i]), "t%d-%d", t->thread,
		    i % 100 == 99 ? i - 1 : i);
		t->ctx[i] = (struct op_ctx){t->values[i], &t->ok, &t->failed,
		    &t->calls};
		t->ops[i] = (struct rt_store_op){.apply = op_apply,
		    .done = op_done, .arg = &t->ctx[i]};
		rt_store_submit(t->store, &t->ops[i]);
	}
	return NULL;
}

static void
test_group_commit(void **state)
{
	struct fixture *fx = *state;
	struct thread_arg *t = calloc(NTHREADS, sizeof(*t));
	pthread_t th[NTHREADS];
	int ok = 0, failed = 0;

	assert_non_null(t);
	for (int i = 0; i < NTHREADS; i++) {
		t[i].store = fx->store;
		t[i].thread = i;
		assert_int_equal(pthread_create(&th[i], NULL, submit_thread, &t[i]), 0);
	}
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	/* close runs what is queued */
	rt_store_close(fx->store);
	fx->store = NULL;
	for (int i = 0; i < NTHREADS; i++) {
		assert_int_equal(atomic_load(&t[i].calls), PER_THREAD);
		ok += atomic_load(&t[i].ok);
		failed += atomic_load(&t[i].failed);
	}
	assert_int_equal(failed, NTHREADS * (PER_THREAD / 100));
	assert_int_equal(ok, NTHREADS * PER_THREAD - failed);
	{
		struct rt_store_opts opts = {.path = fx->path, .name = "test"};

		assert_int_equal(rt_store_open(&opts, &fx->store), 0);
	}
	assert_int_equal(count_rows(fx, ""), ok);
	free(t);
}

/* The first operation holds the writer until the rest are queued. */
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static int gate_open;

static int
gate_apply(sqlite3 *db, void *arg)
{
	(void)db;
	(void)arg;
	pthread_mutex_lock(&gate_lock);
	while (!gate_open)
		pthread_cond_wait(&gate_cond, &gate_lock);
	pthread_mutex_unlock(&gate_lock);
	return 0;
}

static void
test_commits_fewer(void **state)
{
	struct fixture *fx = *state;
	static struct op_ctx ctx[500];
	static struct rt_store_op ops[500];
	static char values[500][16];
	struct rt_store_op gate = {.apply = gate_apply};
	atomic_int ok = 0, failed = 0, calls = 0;

	rt_store_submit(fx->store, &gate);
	for (int i = 0; i < 500; i++) {
		snprintf(values[i], sizeof(values[i]), "v%d", i);
		ctx[i] = (struct op_ctx){values[i], &ok, &failed, &calls};
		ops[i] = (struct rt_store_op){.apply = op_apply, .done = op_done,
		    .arg = &ctx[i]};
		rt_store_submit(fx->store, &ops[i]);
	}
	pthread_mutex_lock(&gate_lock);
	gate_open = 1;
	pthread_cond_broadcast(&gate_cond);
	pthread_mutex_unlock(&gate_lock);
	while (atomic_load(&calls) < 500)
		usleep(1000);
	assert_int_equal(atomic_load(&ok), 500);
	/* the gate's group (perhaps with some of the 500), then at most one
	 * more: 500 durable writes for two fsyncs */
	assert_true(rt_store_commits(fx->store) <= 2);
	assert_int_equal(rt_store_ops(fx->store), 501);
	assert_int_equal(count_rows(fx, ""), 500);
}

/* A chain submitted at once goes in one group: one commit, each done once. */
static void
test_chain(void **state)
{
	struct fixture *fx = *state;
	static struct op_ctx ctx[100];
	static struct rt_store_op ops[100];
	static char values[100][16];
	atomic_int ok = 0, failed = 0, calls = 0;

	for (int i = 0; i < 100; i++) {
		/* the last a duplicate: it fails alone */
		snprintf(values[i], sizeof(values[i]), "c%d", i == 99 ? 0 : i);
		ctx[i] = (struct op_ctx){values[i], &ok, &failed, &calls};
		ops[i] = (struct rt_store_op){.apply = op_apply, .done = op_done,
		    .arg = &ctx[i], .next = i < 99 ? &ops[i + 1] : NULL};
	}
	rt_store_submit_chain(fx->store, &ops[0]);
	while (atomic_load(&calls) < 100)
		usleep(1000);
	assert_int_equal(atomic_load(&ok), 99);
	assert_int_equal(atomic_load(&failed), 1);
	assert_int_equal(rt_store_commits(fx->store), 1);
	assert_int_equal(rt_store_reruns(fx->store), 1);
	assert_int_equal(count_rows(fx, ""), 99);
}

/* An operation of several statements; runs counts its calls. */
struct multi_ctx {
	const char *first, *second;
	int runs;
	atomic_int *ok, *failed, *calls;
};

static int
multi_apply(sqlite3 *db, void *arg)
{
	struct multi_ctx *c = arg;
	int r;

	c->runs++;
	if ((r = insert_value(db, (void *)(uintptr_t)c->first)) != 0 ||
	    c->second == NULL)
		return r;
	return insert_value(db, (void *)(uintptr_t)c->second);
}

static void
multi_done(void *arg, int err)
{
	struct multi_ctx *c = arg;

	atomic_fetch_add(err == 0 ? c->ok : c->failed, 1);
	atomic_fetch_add(c->calls, 1);
}

/*
 * The middle operation inserts a row, then fails on a duplicate: its row
 * goes too, the others' stay, in one commit. The group ran twice: without
 * savepoints up to the failure, then all of it with, so the first two
 * applies ran twice, the last once; alone, a failing operation runs once.
 */
static void
test_failure_rolled_back_alone(void **state)
{
	struct fixture *fx = *state;
	static struct multi_ctx ctx[3];
	static struct rt_store_op ops[3];
	static char x[] = "x", y[] = "y", z[] = "z";
	atomic_int ok = 0, failed = 0, calls = 0;

	ctx[0] = (struct multi_ctx){x, NULL, 0, &ok, &failed, &calls};
	ctx[1] = (struct multi_ctx){y, x, 0, &ok, &failed, &calls};
	ctx[2] = (struct multi_ctx){z, NULL, 0, &ok, &failed, &calls};
	for (int i = 0; i < 3; i++)
		ops[i] = (struct rt_store_op){.apply = multi_apply, .done = multi_done,
		    .arg = &ctx[i], .next = i < 2 ? &ops[i + 1] : NULL};
	rt_store_submit_chain(fx->store, &ops[0]);
	while (atomic_load(&calls) < 3)
		usleep(1000);
	assert_int_equal(atomic_load(&ok), 2);
	assert_int_equal(atomic_load(&failed), 1);
	assert_int_equal(rt_store_commits(fx->store), 1);
	assert_int_equal(rt_store_reruns(fx->store), 1);
	assert_int_equal(count_rows(fx, ""), 2);
	assert_int_equal(count_rows(fx, "WHERE v = 'y'"), 0);
	assert_int_equal(ctx[0].runs, 2);
	assert_int_equal(ctx[1].runs, 2);
	assert_int_equal(ctx[2].runs, 1);

	/* alone: rolled back at once, no second run */
	ctx[1].runs = 0;
	assert_int_equal(rt_store_run(fx->store, multi_apply, &ctx[1]), RT_ERR_EXISTS);
	assert_int_equal(ctx[1].runs, 1);
	assert_int_equal(rt_store_reruns(fx->store), 1);
	assert_int_equal(count_rows(fx, "WHERE v = 'y'"), 0);
	assert_int_equal(count_rows(fx, ""), 2);
}

static void
test_commit_counts(void **state)
{
	struct fixture *fx = *state;
	struct thread_arg *t = calloc(1, sizeof(*t));
	pthread_t th;

	assert_non_null(t);
	t->store = fx->store;
	assert_int_equal(pthread_create(&th, NULL, submit_thread, t), 0);
	pthread_join(th, NULL);
	while (atomic_load(&t->calls) < PER_THREAD)
		usleep(1000);
	assert_int_equal(rt_store_ops(fx->store), PER_THREAD);
	/* a group covers many: at worst one commit per operation */
	assert_true(rt_store_commits(fx->store) >= 1);
	assert_true(rt_store_commits(fx->store) <= PER_THREAD);
	free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_and_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commits_fewer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_rolled_back_alone, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_commit_counts, setup, teardown),
	};

	rt_log_init("test_store", RT_LOG_STDERR, RT_LOG_NONE);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
