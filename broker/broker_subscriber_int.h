/*
 * broker_subscriber_int: what the store's own files share
 * (broker_subscriber.c: connections, reads, failure records;
 * broker_subscriber_edit.c: add, passwd, enable). Nothing else includes
 * it: the rest of the broker sees only broker_subscriber.h.
 *
 * Each connection is used by one thread at a time, under its lock; every
 * statement is prepared at open and reset (and unbound) after each use, so
 * no read transaction outlives the call that started it.
 */
#ifndef BROKER_SUBSCRIBER_INT_H
#define BROKER_SUBSCRIBER_INT_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>

#include "broker_subscriber.h"

#define STORE_READERS 4		/* read connections for get */

/* Statements; readers prepare the first Q_NREAD, the writer all. */
enum store_query {
	Q_GET_PRIVATE,
	Q_GET_PUBLIC,
	Q_STATE,
	Q_LIST,
	Q_NREAD,
	Q_BEGIN = Q_NREAD,
	Q_COMMIT,
	Q_ROLLBACK,
	Q_TAKEN,
	Q_INSERT,
	Q_INSERT_SERVICE,
	Q_PASSWD,
	Q_ENABLE,
	Q_RECORD_OK,
	Q_RECORD_FAIL,
	Q_RECORD_UNKNOWN,
	Q_NALL
};

struct store_conn {
	pthread_mutex_t lock;
	int lock_ready;
	sqlite3 *db;
	sqlite3_stmt *stmt[Q_NALL];
};

struct broker_subscribers {
	char *path;
	struct store_conn writer;
	struct store_conn readers[STORE_READERS];
	atomic_uint next_reader;
};

/* snprintf into why unless why is NULL or whycap 0. */
void broker_substore_why(char *why, size_t whycap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Logs the connection's last SQLite error under op; returns RT_ERR_IO. */
int broker_substore_error(struct store_conn *c, const char *op);
/* Resets and unbinds st. */
void broker_substore_done(sqlite3_stmt *st);
/* Runs statement q, which returns no rows (BEGIN, COMMIT, ROLLBACK). */
int broker_substore_exec(struct store_conn *c, enum store_query q,
    const char *op) RT_WUR;
/* Looks id up on c (held by the caller): private id, then public id. */
int broker_substore_get_any(struct store_conn *c, const char *id,
    struct broker_subscriber *out) RT_WUR;

#endif
