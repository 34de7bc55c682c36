/*
 * rt_store: group commit over SQLite (see rt_store.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rt_file.h"
#include "rt_log.h"
#include "rt_store.h"

#define STORE_BUSY_MS 5000

enum store_stmt {
	S_BEGIN,
	S_COMMIT,
	S_ROLLBACK,
	S_SAVEPOINT,
	S_RELEASE,
	S_ROLLBACK_TO,
	S_N
};

static const char *const store_sql[S_N] = {
	"BEGIN IMMEDIATE",
	"COMMIT",
	"ROLLBACK",
	"SAVEPOINT op",
	"RELEASE op",
	"ROLLBACK TO op",
};

struct rt_store {
	char *path;
	char *name;
	int batch_max;
	sqlite3 *db;
	sqlite3_stmt *stmt[S_N];
	pthread_t thread;
	int thread_started;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct rt_store_op *head, *tail;
	int closing;
	struct rt_store_op **group;	/* the writer's, batch_max long */
	int *result;
	/* the committed group whose done callbacks the notifier runs: the
	 * writer swaps its arrays with these once the notifier is idle */
	pthread_t notifier;
	int notifier_started;
	pthread_mutex_t done_lock;
	pthread_cond_t done_ready, done_idle;
	struct rt_store_op **done_group;
	int *done_result;
	int done_n;			/* 0: the notifier is idle */
	int done_stop;
	atomic_uint_fast64_t commits;
	atomic_uint_fast64_t ops;
	atomic_uint_fast64_t reruns;
};

int
rt_store_error(sqlite3 *db, const char *name, const char *op)
{
	int rc = sqlite3_extended_errcode(db), r;

	switch (rc & 0xff) {
	case SQLITE_FULL:
		r = RT_ERR_NOSPACE;
		break;
	case SQLITE_READONLY:
		r = RT_ERR_READONLY;
		break;
	case SQLITE_CONSTRAINT:
		r = RT_ERR_EXISTS;
		break;
	case SQLITE_NOMEM:
		r = RT_ERR_NOMEM;
		break;
	default:
		r = RT_ERR_IO;
		break;
	}
	/* a constraint is the caller's to report (a duplicate is not a fault) */
	if (r != RT_ERR_EXISTS)
		log_err("event=store_error store=%s op=%s code=%d error=\"%s\"",
		    name, op, rc, sqlite3_errmsg(db));
	return r;
}

static int
store_step(struct rt_store *s, enum store_stmt i)
{
	int rc = sqlite3_step(s->stmt[i]);

	sqlite3_reset(s->stmt[i]);
	if (rc == SQLITE_DONE)
		return 0;
	return rt_store_error(s->db, s->name, store_sql[i]);
}

/*
 * Hands the n finished operations of s->group to the notifier, which calls
 * their done callbacks while the writer runs the next group: waking the
 * submitters (a futex wake each, a lock they may hold) was ~10% of the
 * writer's time, which is the spool's and the ledger's bottleneck. The
 * writer waits only if the notifier is still on the group before.
 */
static void
store_handoff(struct rt_store *s, int n)
{
	struct rt_store_op **group;
	int *result;

	pthread_mutex_lock(&s->done_lock);
	while (s->done_n > 0)
		pthread_cond_wait(&s->done_idle, &s->done_lock);
	group = s->done_group;
	result = s->done_result;
	s->done_group = s->group;
	s->done_result = s->result;
	s->group = group;
	s->result = result;
	s->done_n = n;
	pthread_cond_signal(&s->done_ready);
	pthread_mutex_unlock(&s->done_lock);
}

static void *
store_notifier(void *arg)
{
	struct rt_store *s = arg;

	pthread_mutex_lock(&s->done_lock);
	for (;;) {
		int n;

		while (s->done_n == 0 && !s->done_stop)
			pthread_cond_wait(&s->done_ready, &s->done_lock);
		if ((n = s->done_n) == 0)
			break;
		pthread_mutex_unlock(&s->done_lock);
		/* the arrays are ours until done_n is 0 again */
		for (int i = 0; i < n; i++)
			if (s->done_group[i]->done != NULL)
				s->done_group[i]->done(s->done_group[i]->arg,
				    s->done_result[i]);
		pthread_mutex_lock(&s->done_lock);
		s->done_n = 0;
		pthread_cond_signal(&s->done_idle);
	}
	pthread_mutex_unlock(&s->done_lock);
	return NULL;
}

/*
 * Runs the n operations of s->group inside the open transaction, each in
 * its own savepoint when savepoints is set (a failing one rolled back
 * alone). Without, the first failure stops the run: 1 then, the
 * transaction holding what the operations before it did; else 0.
 */
static int
store_apply(struct rt_store *s, int n, int savepoints)
{
	int r;

	for (int i = 0; i < n; i++) {
		struct rt_store_op *op = s->group[i];

		if (!savepoints) {
			if ((s->result[i] = op->apply(s->db, op->arg)) != 0)
				return 1;
			continue;
		}
		if ((r = store_step(s, S_SAVEPOINT)) == 0) {
			r = op->apply(s->db, op->arg);
			if (r != 0 && store_step(s, S_ROLLBACK_TO) != 0)
				r = RT_ERR_IO;
			if (store_step(s, S_RELEASE) != 0 && r == 0)
				r = RT_ERR_IO;
		}
		s->result[i] = r;
	}
	return 0;
}

/*
 * Runs the n operations of s->group in one transaction. A SAVEPOINT and
 * its RELEASE per operation cost about as much as a small insert, and
 * operations seldom fail: the group first runs without them. Only when
 * one fails is the transaction rolled back and the group run again, each
 * operation in its savepoint (a group of one needs no second run: its
 * rollback is the operation's).
 */
static void
store_group(struct rt_store *s, int n)
{
	int r, savepoints = 0;

 again:
	if ((r = store_step(s, S_BEGIN)) != 0) {
		for (int i = 0; i < n; i++)
			s->result[i] = r;
		goto done;
	}
	if (store_apply(s, n, savepoints) != 0) {
		/* (an I/O error or a full disk may have ended it already) */
		if (!sqlite3_get_autocommit(s->db) &&
		    (r = store_step(s, S_ROLLBACK)) != 0) {
			for (int i = 0; i < n; i++)
				s->result[i] = r;
			goto done;
		}
		if (n > 1) {
			atomic_fetch_add(&s->reruns, 1);
			savepoints = 1;
			goto again;
		}
		goto done;	/* the one operation's error is its result */
	}
	if ((r = store_step(s, S_COMMIT)) != 0) {
		/* nothing of the group is on disk */
		(void)store_step(s, S_ROLLBACK);
		for (int i = 0; i < n; i++)
			if (s->result[i] == 0)
				s->result[i] = r;
	} else
		atomic_fetch_add(&s->commits, 1);
 done:
	atomic_fetch_add(&s->ops, (uint_fast64_t)n);
	store_handoff(s, n);
}

static void *
store_writer(void *arg)
{
	struct rt_store *s = arg;

	pthread_mutex_lock(&s->lock);
	for (;;) {
		int n = 0;

		while (s->head == NULL && !s->closing)
			pthread_cond_wait(&s->cond, &s->lock);
		if (s->head == NULL)
			break;
		while (s->head != NULL && n < s->batch_max) {
			s->group[n++] = s->head;
			s->head = s->head->next;
		}
		if (s->head == NULL)
			s->tail = NULL;
		pthread_mutex_unlock(&s->lock);
		store_group(s, n);
		pthread_mutex_lock(&s->lock);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

void
rt_store_submit_chain(struct rt_store *s, struct rt_store_op *op)
{
	struct rt_store_op *last = op;

	while (last->next != NULL)
		last = last->next;
	pthread_mutex_lock(&s->lock);
	if (s->closing) {
		pthread_mutex_unlock(&s->lock);
		while (op != NULL) {
			struct rt_store_op *next = op->next;

			op->next = NULL;
			if (op->done != NULL)
				op->done(op->arg, RT_ERR_UNAVAILABLE);
			op = next;
		}
		return;
	}
	if (s->tail != NULL)
		s->tail->next = op;
	else
		s->head = op;
	s->tail = last;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

void
rt_store_submit(struct rt_store *s, struct rt_store_op *op)
{
	op->next = NULL;
	rt_store_submit_chain(s, op);
}

/* rt_store_run's operation: the caller's apply, and a waiter. */
struct store_call {
	int (*apply)(sqlite3 *db, void *arg);
	void *arg;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int finished;
	int err;
};

static int
store_call_apply(sqlite3 *db, void *arg)
{
	struct store_call *c = arg;

	return c->apply(db, c->arg);
}

static void
store_call_done(void *arg, int err)
{
	struct store_call *c = arg;

	pthread_mutex_lock(&c->lock);
	c->err = err;
	c->finished = 1;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

int
rt_store_run(struct rt_store *s, int (*apply)(sqlite3 *db, void *arg), void *arg)
{
	struct store_call c = {.apply = apply, .arg = arg,
	    .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
	struct rt_store_op op = {.apply = store_call_apply,
	    .done = store_call_done, .arg = &c};

	rt_store_submit(s, &op);
	pthread_mutex_lock(&c.lock);
	while (!c.finished)
		pthread_cond_wait(&c.cond, &c.lock);
	pthread_mutex_unlock(&c.lock);
	pthread_mutex_destroy(&c.lock);
	pthread_cond_destroy(&c.cond);
	return c.err;
}

/* The file may hold what others must not read: 0600, created before
 * SQLite does, refused when more open. */
static int
store_file_check(const char *path, const char *name)
{
	struct stat st;
	int fd, r = 0;

	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		log_err("event=store_open_failed store=%s path=%s error=\"%s\"",
		    name, path, strerror(errno));
		return errno == EACCES ? RT_ERR_PERM : errno == EROFS ?
		    RT_ERR_READONLY : errno == ENOSPC ? RT_ERR_NOSPACE : RT_ERR_IO;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		r = RT_ERR_IO;
	else if ((st.st_mode & 077) != 0) {
		log_err("event=store_refused store=%s path=%s reason=mode mode=%04o "
		    "hint=\"chmod 600\"", name, path, (unsigned)(st.st_mode & 07777));
		r = RT_ERR_PERM;
	}
	close(fd);
	return r;
}

/* Opens a connection to path; the writer creates and sets up the file. */
static int
store_connect(const char *path, const char *name, int writer, sqlite3 **dbp)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	const char *mode;
	int r = RT_ERR_IO;

	*dbp = NULL;
	if (sqlite3_open_v2(path, &db, (writer ? SQLITE_OPEN_READWRITE :
	    SQLITE_OPEN_READONLY) | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		r = db != NULL ? rt_store_error(db, name, "open") : RT_ERR_NOMEM;
		goto out;
	}
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, STORE_BUSY_MS);
	if (writer) {
		/* journal_mode answers with the mode in force */
		if (sqlite3_prepare_v2(db, "PRAGMA journal_mode=WAL", -1, &st,
		    NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
			r = rt_store_error(db, name, "open");
			goto out;
		}
		mode = (const char *)sqlite3_column_text(st, 0);
		if (mode == NULL || strcmp(mode, "wal") != 0) {
			log_err("event=store_refused store=%s reason=no_wal", name);
			r = RT_ERR_CONFIG;
			goto out;
		}
		if (sqlite3_exec(db, "PRAGMA synchronous=FULL", NULL, NULL,
		    NULL) != SQLITE_OK) {
			r = rt_store_error(db, name, "open");
			goto out;
		}
	}
	*dbp = db;
	db = NULL;
	r = 0;
 out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return r;
}

/* Runs the caller's schema on the new connection, in one transaction. */
static int
store_schema(struct rt_store *s, const char *schema)
{
	char *msg = NULL;

	if (schema == NULL)
		return 0;
	if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return rt_store_error(s->db, s->name, "schema");
	if (sqlite3_exec(s->db, schema, NULL, NULL, &msg) != SQLITE_OK) {
		int r = rt_store_error(s->db, s->name, "schema");

		sqlite3_free(msg);
		(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return r;
	}
	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		int r = rt_store_error(s->db, s->name, "schema");

		(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return r;
	}
	return 0;
}

int
rt_store_open(const struct rt_store_opts *opts, struct rt_store **storep)
{
	struct rt_store *s = NULL;
	int r = RT_ERR_NOMEM;

	*storep = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return RT_ERR_NOMEM;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	pthread_mutex_init(&s->done_lock, NULL);
	pthread_cond_init(&s->done_ready, NULL);
	pthread_cond_init(&s->done_idle, NULL);
	s->batch_max = opts->batch_max > 0 ? opts->batch_max : RT_STORE_BATCH_DEFAULT;
	if ((s->path = strdup(opts->path)) == NULL ||
	    (s->name = strdup(opts->name != NULL ? opts->name : "store")) == NULL ||
	    (s->group = calloc((size_t)s->batch_max, sizeof(*s->group))) == NULL ||
	    (s->result = calloc((size_t)s->batch_max, sizeof(*s->result))) == NULL ||
	    (s->done_group = calloc((size_t)s->batch_max,
	    sizeof(*s->done_group))) == NULL ||
	    (s->done_result = calloc((size_t)s->batch_max,
	    sizeof(*s->done_result))) == NULL)
		goto out;
	if ((r = store_file_check(s->path, s->name)) != 0 ||
	    (r = store_connect(s->path, s->name, 1, &s->db)) != 0 ||
	    (r = store_schema(s, opts->schema)) != 0)
		goto out;
	for (int i = 0; i < S_N; i++) {
		if (sqlite3_prepare_v3(s->db, store_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &s->stmt[i], NULL) != SQLITE_OK) {
			r = rt_store_error(s->db, s->name, "prepare");
			goto out;
		}
	}
	if (pthread_create(&s->notifier, NULL, store_notifier, s) != 0) {
		r = RT_ERR_INTERNAL;
		goto out;
	}
	s->notifier_started = 1;
	if (pthread_create(&s->thread, NULL, store_writer, s) != 0) {
		r = RT_ERR_INTERNAL;
		goto out;
	}
	s->thread_started = 1;
	*storep = s;
	s = NULL;
	r = 0;
 out:
	rt_store_close(s);
	return r;
}

void
rt_store_close(struct rt_store *s)
{
	if (s == NULL)
		return;
	if (s->thread_started) {
		pthread_mutex_lock(&s->lock);
		s->closing = 1;
		pthread_cond_signal(&s->cond);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->thread, NULL);
	}
	/* after the writer's last group: the notifier stops once idle */
	if (s->notifier_started) {
		pthread_mutex_lock(&s->done_lock);
		s->done_stop = 1;
		pthread_cond_signal(&s->done_ready);
		pthread_mutex_unlock(&s->done_lock);
		pthread_join(s->notifier, NULL);
	}
	for (int i = 0; i < S_N; i++)
		sqlite3_finalize(s->stmt[i]);
	sqlite3_close(s->db);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->done_lock);
	pthread_cond_destroy(&s->done_ready);
	pthread_cond_destroy(&s->done_idle);
	free(s->group);
	free(s->result);
	free(s->done_group);
	free(s->done_result);
	free(s->path);
	free(s->name);
	free(s);
}

int
rt_store_reader(const struct rt_store *s, sqlite3 **dbp)
{
	return store_connect(s->path, s->name, 0, dbp);
}

const char *
rt_store_path(const struct rt_store *s)
{
	return s->path;
}

uint64_t
rt_store_commits(const struct rt_store *s)
{
	return atomic_load(&s->commits);
}

uint64_t
rt_store_ops(const struct rt_store *s)
{
	return atomic_load(&s->ops);
}

uint64_t
rt_store_reruns(const struct rt_store *s)
{
	return atomic_load(&s->reruns);
}
