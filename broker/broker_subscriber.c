/*
 * broker_subscriber: the home subscriber store (SQLite, WAL). See
 * broker_subscriber.h for the contract. This file: connections, reads and
 * failure records; broker_subscriber_edit.c: add, passwd, enable;
 * broker_subscriber_policy.c: the password policy.
 */
#include "broker_subscriber_int.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rt_codec.h"
#include "rt_log.h"

#define STORE_BUSY_MS 5000
/* Readers map the file: the OS page cache serves all of them, no read()
 * per page (about 1.4x the lookups at 100k subscribers). */
#define STORE_MMAP_BYTES "268435456"
#define SCHEMA_VERSION 2

#define SELECT_SUBSCRIBER \
	"SELECT s.public_id, s.private_id, s.ha1_md5, s.ha1_sha256, " \
	"s.enabled, s.password_set_at, s.password_max_age, s.failed, " \
	"s.locked_until, v.service FROM subscriber s LEFT JOIN " \
	"subscriber_service v ON v.public_id = s.public_id "

static const char *const store_sql[Q_NALL] = {
	[Q_GET_PRIVATE] = SELECT_SUBSCRIBER
	    "WHERE s.private_id = ?1 ORDER BY v.position",
	[Q_GET_PUBLIC] = SELECT_SUBSCRIBER
	    "WHERE s.public_id = ?1 ORDER BY v.position",
	[Q_STATE] = "SELECT failed, locked_until FROM subscriber "
	    "WHERE private_id = ?1",
	[Q_LIST] = SELECT_SUBSCRIBER "ORDER BY s.public_id, v.position",
	[Q_BEGIN] = "BEGIN IMMEDIATE",
	[Q_COMMIT] = "COMMIT",
	[Q_ROLLBACK] = "ROLLBACK",
	[Q_TAKEN] = "SELECT public_id, private_id FROM subscriber WHERE "
	    "public_id IN (?1, ?2) OR private_id IN (?1, ?2) LIMIT 1",
	[Q_INSERT] = "INSERT INTO subscriber (public_id, private_id, ha1_md5, "
	    "ha1_sha256, enabled, password_set_at, password_max_age, failed, "
	    "locked_until) VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6, 0, 0)",
	[Q_INSERT_SERVICE] = "INSERT INTO subscriber_service (public_id, "
	    "position, service) VALUES (?1, ?2, ?3)",
	[Q_PASSWD] = "UPDATE subscriber SET ha1_md5 = ?2, ha1_sha256 = ?3, "
	    "password_set_at = ?4, failed = 0, locked_until = 0 "
	    "WHERE public_id = ?1",
	[Q_ENABLE] = "UPDATE subscriber SET enabled = ?2 "
	    "WHERE public_id = ?1 OR private_id = ?1",
	/* ?2 now: a lock still running stays */
	[Q_RECORD_OK] = "UPDATE subscriber SET failed = 0, locked_until = "
	    "CASE WHEN locked_until > ?2 THEN locked_until ELSE 0 END "
	    "WHERE private_id = ?1 RETURNING locked_until",
	/*
	 * ?2 now, ?3 lockout_after, ?4 lockout_seconds. Every expression
	 * sees the old row: an ended lock restarts the count at 1.
	 */
	[Q_RECORD_FAIL] = "UPDATE subscriber SET "
	    "failed = CASE WHEN locked_until != 0 AND locked_until <= ?2 "
	    "THEN 1 ELSE failed + 1 END, "
	    "locked_until = CASE WHEN ?3 > 0 AND (CASE WHEN locked_until != 0 "
	    "AND locked_until <= ?2 THEN 1 ELSE failed + 1 END) >= ?3 "
	    "THEN ?2 + ?4 WHEN locked_until <= ?2 THEN 0 "
	    "ELSE locked_until END "
	    "WHERE private_id = ?1 RETURNING failed, locked_until",
	/* ?1 now: the same write (and fsync) as a known user's failure */
	[Q_RECORD_UNKNOWN] = "UPDATE unknown_attempt SET attempts = attempts + 1, "
	    "last_at = ?1 WHERE id = 1 RETURNING attempts",
};

static const char store_schema[] =
	"CREATE TABLE subscriber ("
	" public_id TEXT PRIMARY KEY NOT NULL,"
	" private_id TEXT NOT NULL,"
	" ha1_md5 TEXT NOT NULL CHECK (length(ha1_md5) = 32),"
	" ha1_sha256 TEXT NOT NULL CHECK (length(ha1_sha256) = 64),"
	" enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),"
	" password_set_at INTEGER NOT NULL,"
	" password_max_age INTEGER NOT NULL DEFAULT 0"
	"  CHECK (password_max_age >= 0),"
	" failed INTEGER NOT NULL DEFAULT 0,"
	" locked_until INTEGER NOT NULL DEFAULT 0"
	") WITHOUT ROWID;"
	"CREATE UNIQUE INDEX subscriber_private_id ON subscriber (private_id);"
	"CREATE TABLE subscriber_service ("
	" public_id TEXT NOT NULL REFERENCES subscriber (public_id)"
	"  ON UPDATE CASCADE ON DELETE CASCADE,"
	" position INTEGER NOT NULL,"
	" service TEXT NOT NULL,"
	" PRIMARY KEY (public_id, position),"
	" UNIQUE (public_id, service)"
	") WITHOUT ROWID;"
	"INSERT INTO schema_version (version) VALUES (1);";

/* Version 2: failed attempts for identities we do not have. */
static const char store_schema_v2[] =
	"CREATE TABLE unknown_attempt ("
	" id INTEGER PRIMARY KEY CHECK (id = 1),"
	" attempts INTEGER NOT NULL,"
	" last_at INTEGER NOT NULL"
	");"
	"INSERT INTO unknown_attempt (id, attempts, last_at) VALUES (1, 0, 0);"
	"INSERT INTO schema_version (version) VALUES (2);";

void
broker_substore_why(char *why, size_t whycap, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whycap == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whycap, fmt, ap);
	va_end(ap);
}

int
broker_substore_error(struct store_conn *c, const char *op)
{
	char safe[256];

	log_err("event=subscriber_store_error op=%s error=%s", op,
	    rt_log_value(sqlite3_errmsg(c->db), safe, sizeof(safe)));
	return RT_ERR_IO;
}

/* Ends a statement's use: its read transaction must not linger. */
void
broker_substore_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* Runs a statement without result rows (BEGIN, COMMIT, ...). */
int
broker_substore_exec(struct store_conn *c, enum store_query q, const char *op)
{
	int rc = sqlite3_step(c->stmt[q]);

	broker_substore_done(c->stmt[q]);
	return rc == SQLITE_DONE ? 0 : broker_substore_error(c, op);
}

static void
conn_close(struct store_conn *c)
{
	for (int i = 0; i < Q_NALL; i++)
		sqlite3_finalize(c->stmt[i]);
	if (c->db != NULL && sqlite3_close(c->db) != SQLITE_OK)
		log_err("event=subscriber_store_close_failed");
	if (c->lock_ready)
		pthread_mutex_destroy(&c->lock);
	memset(c, 0, sizeof(*c));
}

/* Creates the schema on a new file; refuses one from a newer version. */
static int
store_schema_init(struct store_conn *c)
{
	sqlite3_stmt *st = NULL;
	int rc, version = 0, r = RT_ERR_IO;

	if (sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return broker_substore_error(c, "schema");
	if (sqlite3_exec(c->db, "CREATE TABLE IF NOT EXISTS schema_version "
	    "(version INTEGER NOT NULL)", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c->db, "SELECT max(version) FROM schema_version",
	    -1, &st, NULL) != SQLITE_OK) {
		r = broker_substore_error(c, "schema");
		goto out;
	}
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	else if (rc != SQLITE_DONE) {
		r = broker_substore_error(c, "schema");
		goto out;
	}
	if (version > SCHEMA_VERSION) {
		log_err("event=subscriber_store_refused reason=newer_schema "
		    "version=%d supported=%d", version, SCHEMA_VERSION);
		r = RT_ERR_CONFIG;
		goto out;
	}
	if ((version == 0 && sqlite3_exec(c->db, store_schema, NULL, NULL,
	    NULL) != SQLITE_OK) || (version < 2 && sqlite3_exec(c->db,
	    store_schema_v2, NULL, NULL, NULL) != SQLITE_OK)) {
		r = broker_substore_error(c, "schema");
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		r = broker_substore_error(c, "schema");
		goto out;
	}
	return 0;
 out:
	sqlite3_finalize(st);
	(void)sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}

/* Opens one connection; the writer also sets the file up. */
static int
conn_open(struct store_conn *c, const char *path, int writer)
{
	sqlite3_stmt *st = NULL;
	const char *mode;
	int rc, r = RT_ERR_IO;

	if (pthread_mutex_init(&c->lock, NULL) != 0)
		return RT_ERR_INTERNAL;
	c->lock_ready = 1;
	rc = sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE |
	    (writer ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		if (c->db != NULL)
			r = broker_substore_error(c, "open");
		else
			r = RT_ERR_NOMEM;
		goto out;
	}
	sqlite3_extended_result_codes(c->db, 1);
	sqlite3_busy_timeout(c->db, STORE_BUSY_MS);
	if (writer) {
		/* journal_mode answers with the mode in force */
		if (sqlite3_prepare_v2(c->db, "PRAGMA journal_mode=WAL", -1, &st,
		    NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
			r = broker_substore_error(c, "open");
			goto out;
		}
		mode = (const char *)sqlite3_column_text(st, 0);
		if (mode == NULL || strcmp(mode, "wal") != 0) {
			log_err("event=subscriber_store_refused reason=no_wal");
			r = RT_ERR_CONFIG;
			goto out;
		}
		sqlite3_finalize(st);
		st = NULL;
	}
	if (sqlite3_exec(c->db, writer ? "PRAGMA synchronous=FULL; "
	    "PRAGMA foreign_keys=ON; PRAGMA secure_delete=ON" :
	    "PRAGMA foreign_keys=ON; PRAGMA query_only=ON; "
	    "PRAGMA mmap_size=" STORE_MMAP_BYTES, NULL, NULL, NULL) != SQLITE_OK) {
		r = broker_substore_error(c, "open");
		goto out;
	}
	if (writer && (r = store_schema_init(c)) != 0)
		goto out;
	for (int i = 0; i < (writer ? Q_NALL : Q_NREAD); i++) {
		if (sqlite3_prepare_v3(c->db, store_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &c->stmt[i], NULL) != SQLITE_OK) {
			r = broker_substore_error(c, "prepare");
			goto out;
		}
	}
	r = 0;
 out:
	sqlite3_finalize(st);
	return r;
}

/* The file holds password equivalents: 0600, created before SQLite does. */
static int
store_file_check(const char *path)
{
	struct stat st;
	int fd, r = 0;

	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		log_err("event=subscriber_store_open_failed error=\"%s\"",
		    strerror(errno));
		return errno == EACCES ? RT_ERR_PERM : RT_ERR_IO;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		r = RT_ERR_IO;
	else if ((st.st_mode & 077) != 0) {
		log_err("event=subscriber_store_refused reason=mode mode=%04o "
		    "hint=\"chmod 600\"", (unsigned)(st.st_mode & 07777));
		r = RT_ERR_PERM;
	}
	close(fd);
	return r;
}

int
broker_subscribers_open(const char *path, struct broker_subscribers **dbp)
{
	struct broker_subscribers *db = NULL;
	int r;

	*dbp = NULL;
	if (path == NULL || path[0] == '\0')
		return RT_ERR_BAD_INPUT;
	if ((r = store_file_check(path)) != 0)
		return r;
	if ((db = calloc(1, sizeof(*db))) == NULL ||
	    (db->path = strdup(path)) == NULL) {
		r = RT_ERR_NOMEM;
		goto out;
	}
	atomic_init(&db->next_reader, 0);
	if ((r = conn_open(&db->writer, path, 1)) != 0)
		goto out;
	for (int i = 0; i < STORE_READERS; i++)
		if ((r = conn_open(&db->readers[i], path, 0)) != 0)
			goto out;
	*dbp = db;
	db = NULL;
	r = 0;
 out:
	broker_subscribers_close(db);
	return r;
}

void
broker_subscribers_close(struct broker_subscribers *db)
{
	if (db == NULL)
		return;
	for (int i = 0; i < STORE_READERS; i++)
		conn_close(&db->readers[i]);
	conn_close(&db->writer);	/* last: it checkpoints the WAL */
	free(db->path);
	free(db);
}

/* A free reader if there is one, else waits for one. */
static struct store_conn *
reader_acquire(struct broker_subscribers *db)
{
	unsigned start = atomic_fetch_add_explicit(&db->next_reader, 1,
	    memory_order_relaxed);
	struct store_conn *c;

	for (unsigned i = 0; i < STORE_READERS; i++) {
		c = &db->readers[(start + i) % STORE_READERS];
		if (pthread_mutex_trylock(&c->lock) == 0)
			return c;
	}
	c = &db->readers[start % STORE_READERS];
	pthread_mutex_lock(&c->lock);
	return c;
}

/* ---- rows ---- */

enum {
	COL_PUBLIC, COL_PRIVATE, COL_MD5, COL_SHA256, COL_ENABLED, COL_SET_AT,
	COL_MAX_AGE, COL_FAILED, COL_LOCKED, COL_SERVICE
};

/* Copies a text column; a value that does not fit means a damaged file. */
static int
column_copy(sqlite3_stmt *st, int col, char *dst, size_t cap)
{
	const unsigned char *s = sqlite3_column_text(st, col);
	int n = sqlite3_column_bytes(st, col);

	if (s == NULL || n < 0 || (size_t)n >= cap)
		return RT_ERR_IO;
	memcpy(dst, s, (size_t)n);
	dst[n] = '\0';
	return 0;
}

/* Fills the subscriber's own columns from a row of SELECT_SUBSCRIBER. */
static int
row_subscriber(sqlite3_stmt *st, struct broker_subscriber *out)
{
	out->nservices = 0;
	if (column_copy(st, COL_PUBLIC, out->public_id, sizeof(out->public_id)) ||
	    column_copy(st, COL_PRIVATE, out->private_id,
	    sizeof(out->private_id)) ||
	    column_copy(st, COL_MD5, out->ha1_md5, sizeof(out->ha1_md5)) ||
	    column_copy(st, COL_SHA256, out->ha1_sha256, sizeof(out->ha1_sha256)))
		return RT_ERR_IO;
	out->enabled = sqlite3_column_int(st, COL_ENABLED) != 0;
	out->password_set_at = (time_t)sqlite3_column_int64(st, COL_SET_AT);
	out->password_max_age = (long)sqlite3_column_int64(st, COL_MAX_AGE);
	out->failed = sqlite3_column_int(st, COL_FAILED);
	out->locked_until = (time_t)sqlite3_column_int64(st, COL_LOCKED);
	return 0;
}

/* Adds the row's service (NULL for a subscriber without any). */
static int
row_service(sqlite3_stmt *st, struct broker_subscriber *out)
{
	if (sqlite3_column_type(st, COL_SERVICE) == SQLITE_NULL)
		return 0;
	if (out->nservices >= RT_SERVICES_MAX)
		return RT_ERR_IO;
	if (column_copy(st, COL_SERVICE, out->services[out->nservices],
	    RT_SERVICE_MAX) != 0)
		return RT_ERR_IO;
	out->nservices++;
	return 0;
}

/* One lookup with a prepared get statement of c (held by the caller). */
static int
conn_get(struct store_conn *c, enum store_query q, const char *id,
    struct broker_subscriber *out)
{
	sqlite3_stmt *st = c->stmt[q];
	int rc, r = RT_ERR_NOT_FOUND;

	if (sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC) != SQLITE_OK) {
		r = broker_substore_error(c, "get");
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (r == RT_ERR_NOT_FOUND && (r = row_subscriber(st, out)) != 0)
			break;
		if ((r = row_service(st, out)) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = broker_substore_error(c, "get");
	else if (r == RT_ERR_IO)
		log_err("event=subscriber_store_error op=get error=bad_row");
 out:
	broker_substore_done(st);
	return r;
}

/* By private id (the hot path: digest username), then by public id. */
int
broker_substore_get_any(struct store_conn *c, const char *id,
    struct broker_subscriber *out)
{
	int r = conn_get(c, Q_GET_PRIVATE, id, out);

	if (r == RT_ERR_NOT_FOUND)
		r = conn_get(c, Q_GET_PUBLIC, id, out);
	return r;
}

int
broker_subscriber_get(struct broker_subscribers *db, const char *id,
    struct broker_subscriber *out)
{
	struct store_conn *c;
	int r;

	memset(out, 0, sizeof(*out));
	if (id == NULL || id[0] == '\0' || strlen(id) >= RT_URI_MAX)
		return RT_ERR_NOT_FOUND;
	c = reader_acquire(db);
	r = broker_substore_get_any(c, id, out);
	pthread_mutex_unlock(&c->lock);
	if (r != 0)
		OPENSSL_cleanse(out, sizeof(*out));
	return r;
}

int
broker_subscriber_list(struct broker_subscribers *db,
    int (*fn)(void *arg, const struct broker_subscriber *s), void *arg)
{
	struct broker_subscriber *cur = NULL, *row = NULL;
	struct store_conn c;
	sqlite3_stmt *st;
	int rc, have = 0, r;

	/*
	 * Its own connection: a long listing must not hold a reader the
	 * authentication path needs, and fn may use the store meanwhile.
	 */
	memset(&c, 0, sizeof(c));
	if ((r = conn_open(&c, db->path, 0)) != 0)
		goto out;
	if ((cur = calloc(1, sizeof(*cur))) == NULL ||
	    (row = calloc(1, sizeof(*row))) == NULL) {
		r = RT_ERR_NOMEM;
		goto out;
	}
	st = c.stmt[Q_LIST];
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = row_subscriber(st, row)) != 0)
			goto out;
		if (!have || strcmp(row->public_id, cur->public_id) != 0) {
			if (have && (r = fn(arg, cur)) != 0)
				goto out;
			memcpy(cur, row, sizeof(*cur));
			have = 1;
		}
		if ((r = row_service(st, cur)) != 0)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		r = broker_substore_error(&c, "list");
		goto out;
	}
	r = have ? fn(arg, cur) : 0;
 out:
	if (cur != NULL)
		OPENSSL_clear_free(cur, sizeof(*cur));
	if (row != NULL)
		OPENSSL_clear_free(row, sizeof(*row));
	conn_close(&c);
	return r;
}

int
broker_subscriber_usable(const struct broker_subscriber *sub, time_t now)
{
	if (!sub->enabled)
		return RT_ERR_DENIED;
	if (sub->password_max_age > 0 &&
	    (long long)now - (long long)sub->password_set_at >=
	    (long long)sub->password_max_age)
		return RT_ERR_EXPIRED;
	if (sub->locked_until > now)
		return RT_ERR_UNAVAILABLE;
	return 0;
}


/* Failures and lock of private_id from a reader. */
static int
record_state(struct broker_subscribers *db, const char *private_id,
    int *failedp, time_t *lockedp)
{
	struct store_conn *c = reader_acquire(db);
	sqlite3_stmt *st = c->stmt[Q_STATE];
	int rc, r = RT_ERR_NOT_FOUND;

	if (sqlite3_bind_text(st, 1, private_id, -1, SQLITE_STATIC) != SQLITE_OK)
		rc = SQLITE_ERROR;
	else
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*failedp = sqlite3_column_int(st, 0);
		*lockedp = (time_t)sqlite3_column_int64(st, 1);
		r = 0;
	} else if (rc != SQLITE_DONE)
		r = broker_substore_error(c, "record");
	broker_substore_done(st);
	pthread_mutex_unlock(&c->lock);
	return r;
}

int
broker_subscriber_record(struct broker_subscribers *db,
    const struct broker_password_policy *pol, const char *private_id, int ok,
    time_t now)
{
	struct store_conn *c = &db->writer;
	sqlite3_stmt *st = c->stmt[ok ? Q_RECORD_OK : Q_RECORD_FAIL];
	char safe[RT_URI_MAX + 8];
	time_t locked = 0;
	int rc, failed = 0, r;

	if (private_id == NULL || private_id[0] == '\0')
		return RT_ERR_NOT_FOUND;
	if (ok) {
		/* The usual success changes nothing: answer without a write. */
		if ((r = record_state(db, private_id, &failed, &locked)) != 0)
			return r;
		if (failed == 0 && (locked == 0 || locked > now))
			return locked > now;
	}
	pthread_mutex_lock(&c->lock);
	if (sqlite3_bind_text(st, 1, private_id, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, (sqlite3_int64)now) != SQLITE_OK ||
	    (!ok && (sqlite3_bind_int(st, 3, pol->lockout_after) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 4, (sqlite3_int64)pol->lockout_seconds) !=
	    SQLITE_OK)))
		rc = SQLITE_ERROR;
	else
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		locked = (time_t)sqlite3_column_int64(st, ok ? 0 : 1);
		failed = ok ? 0 : sqlite3_column_int(st, 0);
		rc = sqlite3_step(st);	/* SQLITE_DONE commits */
		r = rc == SQLITE_DONE ? (locked > now) :
		    broker_substore_error(c, "record");
	} else if (rc == SQLITE_DONE)
		r = RT_ERR_NOT_FOUND;
	else
		r = broker_substore_error(c, "record");
	broker_substore_done(st);
	pthread_mutex_unlock(&c->lock);
	if (r == 1 && !ok && failed == pol->lockout_after)
		log_warn("event=subscriber_locked private_id=%s failed=%d "
		    "seconds=%ld", rt_log_value(private_id, safe, sizeof(safe)),
		    failed, pol->lockout_seconds);
	return r;
}

int
broker_subscriber_record_unknown(struct broker_subscribers *db, time_t now)
{
	struct store_conn *c = &db->writer;
	sqlite3_stmt *st = c->stmt[Q_RECORD_UNKNOWN];
	int rc, r;

	pthread_mutex_lock(&c->lock);
	if (sqlite3_bind_int64(st, 1, (sqlite3_int64)now) != SQLITE_OK)
		rc = SQLITE_ERROR;
	else
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = sqlite3_step(st);	/* SQLITE_DONE commits */
	r = rc == SQLITE_DONE ? 0 : broker_substore_error(c, "record_unknown");
	broker_substore_done(st);
	pthread_mutex_unlock(&c->lock);
	return r;
}

uint64_t
broker_subscriber_unknown_attempts(struct broker_subscribers *db)
{
	struct store_conn *c = &db->writer;
	sqlite3_stmt *st = NULL;
	uint64_t n = 0;

	pthread_mutex_lock(&c->lock);
	if (sqlite3_prepare_v2(c->db, "SELECT attempts FROM unknown_attempt "
	    "WHERE id = 1", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	pthread_mutex_unlock(&c->lock);
	return n;
}

int
broker_subscriber_record_ok(struct broker_subscribers *db,
    const struct broker_subscriber *sub, time_t now)
{
	if (sub->failed == 0 && (sub->locked_until == 0 || sub->locked_until > now))
		return sub->locked_until > now;
	return broker_subscriber_record(db, NULL, sub->private_id, 1, now);
}
