/*
 * broker_subscriber: the home subscriber store of a broker (SQLite, WAL).
 *
 * The broker keeps its HOME subscribers here and nothing else: public id
 * (the SIP URI others see, the key), private id (the digest username,
 * unique), the two digest HA1s (MD5 and SHA-256 of
 * "private_id:home_realm:password"), the services the subscriber may use,
 * an enabled flag, password age and maximum age, and the failed-attempt
 * counter behind the lockout. The password itself is never stored, logged
 * or echoed; buffers that held it are wiped with OPENSSL_cleanse. A public
 * id may not be another subscriber's private id (nor the reverse), so
 * "get by public or private id" has one answer.
 *
 * The file is created mode 0600 (it holds password equivalents) and
 * refused with RT_ERR_PERM when group or others may read it; the -wal and
 * -shm files inherit its mode. journal_mode=WAL, synchronous=FULL (a change
 * is acknowledged only once synced), foreign keys on, secure_delete on
 * (old HA1s are zeroed, not left in free pages), and a schema_version
 * table; a store written by a newer schema is refused (RT_ERR_CONFIG).
 *
 * Threads: one writer connection under its own mutex, and a small pool of
 * read-only connections, each under its mutex, for get (the per-
 * authentication fast path, thousands a second). WAL lets the readers
 * run while the writer waits on an fsync, so a burst of failed attempts
 * being recorded does not stall lookups; they map the file (mmap_size
 * 256 MiB), so one OS page cache serves them all. Every statement is
 * prepared once per connection at open. list uses a connection of its own
 * for its duration. A successful authentication of a subscriber with
 * no failures to clear costs the one read of get: no other read, no write.
 */
#ifndef BROKER_SUBSCRIBER_H
#define BROKER_SUBSCRIBER_H

#include <stddef.h>
#include <time.h>

#include "rt_buf.h"
#include "rt_doc.h"
#include "rt_err.h"

#define BROKER_PASSWORD_MAX 256	/* bytes; longer passwords are refused */
#define BROKER_MAX_AGE_MAX (100L * 366 * 86400)	/* seconds */

struct broker_subscribers;	/* an open store */

struct broker_subscriber {
	char public_id[RT_URI_MAX];	/* sip:alice@home.example (primary key) */
	char private_id[RT_URI_MAX];	/* digest username, unique */
	char ha1_md5[33];		/* never the password */
	char ha1_sha256[65];
	char services[RT_SERVICES_MAX][RT_SERVICE_MAX];
	int nservices;
	int enabled;
	time_t password_set_at;
	long password_max_age;		/* seconds; 0 = never expires */
	int failed;			/* consecutive failed authentications */
	time_t locked_until;		/* 0 = not locked */
};

struct broker_password_policy {
	size_t min_length;		/* characters (UTF-8 code points) */
	int min_classes;		/* of lower, upper, digit, other */
	long default_max_age;		/* seconds; 0 = never expires */
	int lockout_after;		/* failures; 0 = never lock */
	long lockout_seconds;
};

/* A sane starting point for a configuration's defaults. */
#define BROKER_PASSWORD_POLICY_DEFAULT \
	{ 12, 3, 365L * 86400, 5, 900 }

/*
 * Opens (creating if needed, mode 0600) the store at path. Returns 0 and
 * the store in *dbp (close with broker_subscribers_close), or RT_ERR_IO
 * (cannot open or create), RT_ERR_PERM (file readable by group or others),
 * RT_ERR_CONFIG (not WAL-capable or a newer schema) with *dbp == NULL.
 * Thread-safe: see the header comment.
 */
int broker_subscribers_open(const char *path, struct broker_subscribers **dbp) RT_WUR;
/* Closes every connection (the last checkpoints the WAL). NULL-safe. */
void broker_subscribers_close(struct broker_subscribers *db);

/*
 * Checks password against pol: length (at most BROKER_PASSWORD_MAX bytes,
 * no control characters), character classes, not containing the username
 * or its part before '@', nor the user part of public_id (case-
 * insensitive; parts of 3 characters or more), not one of the common
 * passwords of the built-in list (case-insensitive, also with trailing
 * digits and symbols stripped and common letter substitutions undone:
 * "P@ssw0rd123!" is "password"). username and public_id may be NULL.
 * Returns 0, or RT_ERR_DENIED with a human reason in why (never the
 * password itself).
 */
int broker_password_check(const struct broker_password_policy *pol,
    const char *password, const char *username, const char *public_id,
    char *why, size_t whycap) RT_WUR;

/*
 * Adds a subscriber with the HA1s of password in digest_realm (the home
 * realm). max_age < 0 takes pol->default_max_age; 0 never expires. Returns
 * 0, RT_ERR_EXISTS (public or private id taken, in either role),
 * RT_ERR_BAD_INPUT (an id failing rt_sip_uri_valid / rt_identity_valid or
 * too long, a service name not [a-z][a-z0-9-]{0,31}, a duplicate service,
 * more than RT_SERVICES_MAX, max_age over BROKER_MAX_AGE_MAX),
 * RT_ERR_DENIED (password refused by the policy) or RT_ERR_IO; why holds a
 * one-line reason for each refusal (why may be NULL when whycap is 0).
 */
int broker_subscriber_add(struct broker_subscribers *db,
    const struct broker_password_policy *pol, const char *digest_realm,
    const char *public_id, const char *private_id, const char *password,
    const char (*services)[RT_SERVICE_MAX], int nservices, long max_age,
    time_t now, char *why, size_t whycap) RT_WUR;
/*
 * Sets a new password for id (public or private): new HA1s, set_at = now,
 * failures and lock cleared, max age kept. RT_ERR_NOT_FOUND, RT_ERR_DENIED
 * (policy, or the same as the current password) with the reason in why.
 */
int broker_subscriber_passwd(struct broker_subscribers *db,
    const struct broker_password_policy *pol, const char *digest_realm,
    const char *id, const char *password, time_t now, char *why,
    size_t whycap) RT_WUR;
/* Enables or disables id (public or private). 0 or RT_ERR_NOT_FOUND. */
int broker_subscriber_set_enabled(struct broker_subscribers *db, const char *id,
    int enabled) RT_WUR;
/* Copies the subscriber of id (private id tried first: the digest
 * username of the hot path; then public id) to out. 0 or RT_ERR_NOT_FOUND. */
int broker_subscriber_get(struct broker_subscribers *db, const char *id,
    struct broker_subscriber *out) RT_WUR;
/*
 * Calls fn for each subscriber in public-id order (one read transaction:
 * a consistent snapshot); stops on fn's non-zero and returns it. fn may
 * call the store's other functions.
 */
int broker_subscriber_list(struct broker_subscribers *db,
    int (*fn)(void *arg, const struct broker_subscriber *s), void *arg) RT_WUR;
/*
 * Why sub may not authenticate at now: RT_ERR_DENIED (disabled),
 * RT_ERR_EXPIRED (password_max_age > 0 and now >= set_at + max age),
 * RT_ERR_UNAVAILABLE (locked: locked_until > now), checked in that order;
 * 0 when it may.
 */
int broker_subscriber_usable(const struct broker_subscriber *sub, time_t now);
/*
 * After a verification of private_id: ok resets the failure count (and an
 * ended lock; a lock still running stays: call this only for subscribers
 * that were usable). A failure increments it, starting afresh after an
 * ended lock, and locks the subscriber until now + pol->lockout_seconds
 * once it reaches pol->lockout_after (0: never). Returns 1 when the
 * subscriber is now locked, 0 when not, or RT_ERR_NOT_FOUND / RT_ERR_IO.
 */
int broker_subscriber_record(struct broker_subscribers *db,
    const struct broker_password_policy *pol, const char *private_id, int ok,
    time_t now) RT_WUR;
/*
 * A success of sub as get read it (and found usable): the same as
 * record(ok), but decided on that row, so the usual case (no failures to
 * clear, no ended lock) neither reads nor writes. A failure recorded by
 * another request since the read stays counted: this success is taken as
 * the earlier of the two.
 */
int broker_subscriber_record_ok(struct broker_subscribers *db,
    const struct broker_subscriber *sub, time_t now) RT_WUR;
/*
 * A failed attempt for an identity the store does not have: counted in
 * one row with the same synced write a known user's failure costs, so
 * the time of the answer does not tell the two apart (no enumeration).
 * 0 or RT_ERR_IO.
 */
int broker_subscriber_record_unknown(struct broker_subscribers *db, time_t now) RT_WUR;
/* How many such attempts the store has counted. */
uint64_t broker_subscriber_unknown_attempts(struct broker_subscribers *db);

/* ---- admin command and CLI (broker_subscriber_cmd.c) ---- */

/*
 * Handles the admin command "subscriber" (argv[0]):
 *   add PUBLIC_ID PRIVATE_ID PASSWORD [--services a,b] [--max-age SECONDS]
 *   passwd ID PASSWORD
 *   disable ID | enable ID
 *   list
 *   show ID
 * Appends a human answer to out; returns 0 (ok), 1 (failure, one line
 * "error: reason") or 2 (usage). The password is never echoed or logged,
 * and its argv string is wiped in place once used (argv strings must be
 * writable, as rt_admin's are).
 */
int broker_subscriber_admin(struct broker_subscribers *db,
    const struct broker_password_policy *pol, const char *digest_realm,
    int argc, char **argv, struct rt_buf *out);
/*
 * The CLI side of `roamtrust-broker subscriber ...` (argv[0] ==
 * "subscriber"; "-c FILE", "--config FILE" and "--config=FILE" are skipped,
 * main having used them). For add and passwd the password is never taken
 * from the command line: with --password-stdin it is the first line of
 * stdin, else it is prompted for twice on /dev/tty without echo and a
 * mismatch is refused. The request goes to the daemon at admin_url; its
 * answer is printed (stdout on 0, else stderr). Returns the exit status.
 */
int broker_subscriber_cli(const char *admin_url, int argc, char **argv);

#endif
