/*
 * broker_subscriber: the store (open, persistence, file mode, WAL), HA1
 * vectors, refusals (duplicates, bad ids and services), every password
 * policy rule, passwd, enable/disable and the reasons of usable, lockout
 * and unlock, list order, and 4 threads doing get + record at once (with
 * the rates printed). The admin command and the CLI are in
 * test_subscriber_cmd.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker_subscriber.h"
#include "rt_codec.h"
#include "rt_file.h"
#include "rt_log.h"

#define REALM "home.example"
#define ALICE_PUB "sip:alice@home.example"
#define ALICE_PW "Correct-Horse-9"
/* printf 'alice:home.example:Correct-Horse-9' | md5sum */
#define ALICE_HA1_MD5 "7ebb8e71d684623bbe9436a086bfd2fc"
/* printf 'alice:home.example:Correct-Horse-9' | sha256sum */
#define ALICE_HA1_SHA256 \
	"8197c81419a3e9dd07a913a20d7325e738221506baf810b44463139198288b49"
#define T0 1800000000L		/* a fixed "now" */
#define NTHREADS 4

static const struct broker_password_policy policy = {12, 3, 90L * 86400, 3,
    60};

struct fixture {
	char dir[64];
	char path[128];
	struct broker_subscribers *db;
};

static void
fixture_path(const struct fixture *fx, const char *suffix, char *out,
    size_t cap)
{
	snprintf(out, cap, "%s%s", fx->path, suffix);
}

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/rt-sub-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->path, sizeof(fx->path), "%s/subscribers.db", fx->dir);
	assert_int_equal(broker_subscribers_open(fx->path, &fx->db), 0);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	char p[160];

	broker_subscribers_close(fx->db);
	unlink(fx->path);
	fixture_path(fx, "-wal", p, sizeof(p));
	unlink(p);
	fixture_path(fx, "-shm", p, sizeof(p));
	unlink(p);
	assert_int_equal(rmdir(fx->dir), 0);
	free(fx);
	return 0;
}

/* Lowercase hex of md(user:realm:pw), computed independently. */
static void
expected_ha1(const EVP_MD *md, const char *user, const char *pw, char *hex)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	char in[512];

	snprintf(in, sizeof(in), "%s:%s:%s", user, REALM, pw);
	assert_int_equal(EVP_Digest(in, strlen(in), d, &len, md, NULL), 1);
	rt_hex_encode(d, len, hex);
}

static int
add(struct fixture *fx, const char *pub, const char *priv, const char *pw,
    long max_age)
{
	static const char services[2][RT_SERVICE_MAX] = {"voice", "sms"};
	char why[256];

	return broker_subscriber_add(fx->db, &policy, REALM, pub, priv, pw,
	    services, 2, max_age, T0, why, sizeof(why));
}

static void
test_open_persist(void **state)
{
	struct fixture *fx = *state;
	struct broker_subscriber s;
	struct broker_subscribers *again = NULL;
	sqlite3 *raw = NULL;
	sqlite3_stmt *st = NULL;
	struct stat sb;
	char wal[160];

	assert_int_equal(add(fx, ALICE_PUB, "alice", ALICE_PW, -1), 0);
	assert_int_equal(stat(fx->path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	fixture_path(fx, "-wal", wal, sizeof(wal));
	assert_int_equal(stat(wal, &sb), 0);	/* WAL in use, same mode */
	assert_int_equal(sb.st_mode & 0777, 0600);
	broker_subscribers_close(fx->db);
	fx->db = NULL;

	/* journal_mode and the schema version, as SQLite itself sees them */
	assert_int_equal(sqlite3_open(fx->path, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(raw, "PRAGMA journal_mode", -1, &st,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_prepare_v2(raw, "SELECT version FROM "
	    "schema_version", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 1);
	sqlite3_finalize(st);
	sqlite3_close(raw);

	assert_int_equal(broker_subscribers_open(fx->path, &fx->db), 0);
	assert_int_equal(broker_subscriber_get(fx->db, "alice", &s), 0);
	assert_string_equal(s.public_id, ALICE_PUB);
	assert_int_equal(s.nservices, 2);

	/* a newer schema is refused */
	broker_subscribers_close(fx->db);
	fx->db = NULL;
	assert_int_equal(sqlite3_open(fx->path, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw, "INSERT INTO schema_version VALUES "
	    "(99)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(raw);
	assert_int_equal(broker_subscribers_open(fx->path, &again),
	    RT_ERR_CONFIG);
	assert_null(again);
	assert_int_equal(sqlite3_open(fx->path, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw, "DELETE FROM schema_version WHERE "
	    "version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(raw);

	/* readable by others: refused, like a private key */
	assert_int_equal(chmod(fx->path, 0644), 0);
	assert_int_equal(broker_subscribers_open(fx->path, &again), RT_ERR_PERM);
	assert_null(again);
	assert_int_equal(chmod(fx->path, 0600), 0);
	assert_int_equal(broker_subscribers_open(fx->path, &fx->db), 0);
	broker_subscribers_close(NULL);

	/* not a database at all */
	fixture_path(fx, ".junk", wal, sizeof(wal));
	assert_int_equal(rt_file_write(wal, "not sqlite, just text\n", 22, 0600,
	    0), 0);
	assert_int_equal(broker_subscribers_open(wal, &again), RT_ERR_IO);
	assert_null(again);
	unlink(wal);
}

static void
test_add_get(void **state)
{
	struct fixture *fx = *state;
	struct broker_subscriber a, b;
	char md5[33], sha256[65];

	assert_int_equal(add(fx, ALICE_PUB, "alice", ALICE_PW, -1), 0);
	assert_int_equal(broker_subscriber_get(fx->db, ALICE_PUB, &a), 0);
	assert_int_equal(broker_subscriber_get(fx->db, "alice", &b), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_string_equal(a.public_id, ALICE_PUB);
	assert_string_equal(a.private_id, "alice");
	assert_string_equal(a.ha1_md5, ALICE_HA1_MD5);
	assert_string_equal(a.ha1_sha256, ALICE_HA1_SHA256);
	expected_ha1(EVP_md5(), "alice", ALICE_PW, md5);
	expected_ha1(EVP_sha256(), "alice", ALICE_PW, sha256);
	assert_string_equal(a.ha1_md5, md5);
	assert_string_equal(a.ha1_sha256, sha256);
	assert_int_equal(a.nservices, 2);
	assert_string_equal(a.services[0], "voice");	/* order kept */
	assert_string_equal(a.services[1], "sms");
	assert_int_equal(a.enabled, 1);
	assert_int_equal(a.password_set_at, T0);
	assert_int_equal(a.password_max_age, policy.default_max_age);
	assert_int_equal(a.failed, 0);
	assert_int_equal(a.locked_until, 0);

	/* explicit max age 0 (never) and no services */
	assert_int_equal(broker_subscriber_add(fx->db, &policy, REALM,
	    "tel:+15551234567", "bob@home.example", "Blue-Tractor-77", NULL, 0,
	    0, T0, NULL, 0), 0);
	assert_int_equal(broker_subscriber_get(fx->db, "tel:+15551234567", &b), 0);
	assert_int_equal(b.password_max_age, 0);
	assert_int_equal(b.nservices, 0);
	expected_ha1(EVP_md5(), "bob@home.example", "Blue-Tractor-77", md5);
	assert_string_equal(b.ha1_md5, md5);

	assert_int_equal(broker_subscriber_get(fx->db, "carol", &b),
	    RT_ERR_NOT_FOUND);
	assert_int_equal(broker_subscriber_get(fx->db, "", &b), RT_ERR_NOT_FOUND);
}

static void
test_duplicates(void **state)
{
	struct fixture *fx = *state;
	char why[256];

	assert_int_equal(add(fx, ALICE_PUB, "alice", ALICE_PW, -1), 0);
	assert_int_equal(broker_subscriber_add(fx->db, &policy, REALM, ALICE_PUB,
	    "alice2", ALICE_PW, NULL, 0, -1, T0, why, sizeof(why)),
	    RT_ERR_EXISTS);
	assert_non_null(strstr(why, ALICE_PUB));
	assert_int_equal(broker_subscriber_add(fx->db, &policy, REALM,
	    "sip:alice2@home.example", "alice", ALICE_PW, NULL, 0, -1, T0, why,
	    sizeof(why)), RT_ERR_EXISTS);
	assert_non_null(strstr(why, "alice"));
	/* ids may not cross roles either: get would be ambiguous */
	assert_int_equal(add(fx, "sip:alice", ALICE_PUB, ALICE_PW, -1),
	    RT_ERR_EXISTS);
	assert_int_equal(add(fx, "sip:carol@home.example", "sip:dave@home.example",
	    "Green-Lamp-Sky-3", -1), 0);
	assert_int_equal(add(fx, "sip:dave@home.example", "dave", ALICE_PW, -1),
	    RT_ERR_EXISTS);
	assert_null(strstr(why, ALICE_PW));
}

static void
test_bad_input(void **state)
{
	struct fixture *fx = *state;
	char services[RT_SERVICES_MAX + 1][RT_SERVICE_MAX];
	char why[256], long_id[RT_URI_MAX + 10];
	static const char *const bad_services[] = {"Voice", "1voice", "voice_x",
	    "", "abcdefghijklmnopqrstuvwxyz0123456"};
	static const char *const bad_public[] = {"alice@home.example",
	    "sip:al ice@home.example", "sip:<alice>", "sip:", "http://x"};

	for (size_t i = 0; i < sizeof(bad_public) / sizeof(bad_public[0]); i++) {
		why[0] = '\0';
		assert_int_equal(add(fx, bad_public[i], "alice", ALICE_PW, -1),
		    RT_ERR_BAD_INPUT);
	}
	assert_int_equal(add(fx, ALICE_PUB, "", ALICE_PW, -1), RT_ERR_BAD_INPUT);
	assert_int_equal(add(fx, ALICE_PUB, "al\"ice", ALICE_PW, -1),
	    RT_ERR_BAD_INPUT);
	assert_int_equal(add(fx, ALICE_PUB, ALICE_PUB, ALICE_PW, -1),
	    RT_ERR_BAD_INPUT);
	memset(long_id, 'a', sizeof(long_id));
	memcpy(long_id, "sip:", 4);
	long_id[sizeof(long_id) - 1] = '\0';
	assert_int_equal(add(fx, long_id, "alice", ALICE_PW, -1),
	    RT_ERR_BAD_INPUT);
	for (size_t i = 0; i < sizeof(bad_services) / sizeof(bad_services[0]);
	    i++) {
		snprintf(services[0], RT_SERVICE_MAX, "%s", bad_services[i]);
		if (strlen(bad_services[i]) >= RT_SERVICE_MAX)	/* 33 chars */
			memcpy(services[0], bad_services[i], RT_SERVICE_MAX);
		why[0] = '\0';
		assert_int_equal(broker_subscriber_add(fx->db, &policy, REALM,
		    ALICE_PUB, "alice", ALICE_PW, (const char (*)[RT_SERVICE_MAX])
		    services, 1, -1, T0, why, sizeof(why)), RT_ERR_BAD_INPUT);
		assert_non_null(strstr(why, "service"));
	}
	snprintf(services[0], RT_SERVICE_MAX, "voice");
	snprintf(services[1], RT_SERVICE_MAX, "voice");
	assert_int_equal(broker_subscriber_add(fx->db, &policy, REALM, ALICE_PUB,
	    "alice", ALICE_PW, (const char (*)[RT_SERVICE_MAX])services, 2, -1,
	    T0, why, sizeof(why)), RT_ERR_BAD_INPUT);
	assert_non_null(strstr(why, "twice"));
	for (int i = 0; i <= RT_SERVICES_MAX; i++)
		snprintf(services[i], RT_SERVICE_MAX, "s%d", i);
	assert_int_equal(broker_subscriber_add(fx->db, &policy, REALM, ALICE_PUB,
	    "alice", ALICE_PW, (const char (*)[RT_SERVICE_MAX])services,
	    RT_SERVICES_MAX + 1, -1, T0, why, sizeof(why)), RT_ERR_BAD_INPUT);
	assert_int_equal(broker_subscriber_add(fx->db, &policy, REALM, ALICE_PUB,
	    "alice", ALICE_PW, (const char (*)[RT_SERVICE_MAX])services,
	    RT_SERVICES_MAX, BROKER_MAX_AGE_MAX + 1, T0, why, sizeof(why)),
	    RT_ERR_BAD_INPUT);
	/* nothing was stored by any of these */
	assert_int_equal(add(fx, ALICE_PUB, "alice", ALICE_PW, -1), 0);
}

/* The policy refuses pw with a reason containing expect. */
static void
refused(const struct broker_password_policy *pol, const char *pw,
    const char *expect)
{
	char why[256] = "";

	assert_int_equal(broker_password_check(pol, pw, "alice@home.example",
	    "sip:wonderland@home.example", why, sizeof(why)), RT_ERR_DENIED);
	if (strstr(why, expect) == NULL)
		fail_msg("'%s': reason '%s' lacks '%s'", pw, why, expect);
	if (strlen(pw) >= 3 && strstr(why, pw) != NULL)
		fail_msg("reason '%s' repeats the password", why);
}

static void
test_policy(void **state)
{
	const struct broker_password_policy lenient = {6, 1, 0, 0, 0};
	char why[256], huge[BROKER_PASSWORD_MAX + 2];

	(void)state;
	refused(&policy, "Sh0rt-pw", "too short: 8 characters, at least 12");
	/* code points, not bytes: 11 of them in 22 bytes */
	refused(&policy, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", "11 characters");
	refused(&policy, "alllowercaseletters", "too few kinds of characters: 1");
	refused(&policy, "lowercase-and-dash", "too few kinds of characters: 2");
	refused(&policy, "Xy7-ALICE@home.example", "contains the username");
	refused(&policy, "my-Alice-Pass-42", "contains the username");
	refused(&policy, "9-WonderLand-Tea", "user part of the public id");
	refused(&lenient, "Password123", "most common");
	refused(&policy, "Password1234!", "most common");
	refused(&policy, "P@ssw0rd2024!", "most common");
	refused(&policy, "Qwertyuiop123!", "most common");
	refused(&lenient, "qwerty!", "most common");
	refused(&lenient, "LetMeIn", "most common");
	refused(&lenient, "123456", "most common");
	refused(&lenient, "Tr0ub4dor\t&3", "control character");
	memset(huge, 'x', sizeof(huge));
	huge[sizeof(huge) - 1] = '\0';
	refused(&lenient, huge, "too long");
	/* short name parts are not searched for */
	assert_int_equal(broker_password_check(&policy, "Al-is-Fine-2024", "al",
	    "sip:al@x", why, sizeof(why)), 0);
	assert_int_equal(broker_password_check(&policy, ALICE_PW, "alice",
	    ALICE_PUB, why, sizeof(why)), 0);
	assert_string_equal(why, "");
	assert_int_equal(broker_password_check(&policy, "Umlaut-\xc3\xbc-Long",
	    NULL, NULL, why, sizeof(why)), 0);
}

static void
test_passwd(void **state)
{
	struct fixture *fx = *state;
	struct broker_subscriber s;
	char why[256], md5[33];

	assert_int_equal(add(fx, ALICE_PUB, "alice", ALICE_PW, -1), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(broker_subscriber_record(fx->db, &policy, "alice",
		    0, T0 + 10), i == 2);
	assert_int_equal(broker_subscriber_get(fx->db, "alice", &s), 0);
	assert_int_equal(broker_subscriber_usable(&s, T0 + 11),
	    RT_ERR_UNAVAILABLE);

	assert_int_equal(broker_subscriber_passwd(fx->db, &policy, REALM,
	    ALICE_PUB, "short", T0 + 20, why, sizeof(why)), RT_ERR_DENIED);
	assert_non_null(strstr(why, "too short"));
	assert_int_equal(broker_subscriber_passwd(fx->db, &policy, REALM,
	    "alice", ALICE_PW, T0 + 20, why, sizeof(why)), RT_ERR_DENIED);
	assert_non_null(strstr(why, "current"));
	assert_int_equal(broker_subscriber_passwd(fx->db, &policy, REALM,
	    "nobody", "Another-Horse-10", T0 + 20, why, sizeof(why)),
	    RT_ERR_NOT_FOUND);
	assert_int_equal(broker_subscriber_passwd(fx->db, &policy, REALM,
	    "alice", "Another-Horse-10", T0 + 20, why, sizeof(why)), 0);
	assert_int_equal(broker_subscriber_get(fx->db, ALICE_PUB, &s), 0);
	expected_ha1(EVP_md5(), "alice", "Another-Horse-10", md5);
	assert_string_equal(s.ha1_md5, md5);
	assert_int_equal(s.failed, 0);
	assert_int_equal(s.locked_until, 0);
	assert_int_equal(s.password_set_at, T0 + 20);
	assert_int_equal(s.password_max_age, policy.default_max_age);
	assert_int_equal(broker_subscriber_usable(&s, T0 + 21), 0);
}

static void
test_usable(void **state)
{
	struct fixture *fx = *state;
	struct broker_subscriber s;

	assert_int_equal(add(fx, ALICE_PUB, "alice", ALICE_PW, 100), 0);
	assert_int_equal(broker_subscriber_get(fx->db, "alice", &s), 0);
	assert_int_equal(broker_subscriber_usable(&s, T0), 0);
	assert_int_equal(broker_subscriber_usable(&s, T0 + 99), 0);
	assert_int_equal(broker_subscriber_usable(&s, T0 + 100), RT_ERR_EXPIRED);

	assert_int_equal(broker_subscriber_set_enabled(fx->db, ALICE_PUB, 0), 0);
	assert_int_equal(broker_subscriber_get(fx->db, "alice", &s), 0);
	assert_int_equal(s.enabled, 0);
	assert_int_equal(broker_subscriber_usable(&s, T0), RT_ERR_DENIED);
	/* disabled is told before expired */
	assert_int_equal(broker_subscriber_usable(&s, T0 + 100), RT_ERR_DENIED);
	assert_int_equal(broker_subscriber_set_enabled(fx->db, "alice", 1), 0);
	assert_int_equal(broker_subscriber_get(fx->db, "alice", &s), 0);
	assert_int_equal(broker_subscriber_usable(&s, T0), 0);
	assert_int_equal(broker_subscriber_set_enabled(fx->db, "nobody", 0),
	    RT_ERR_NOT_FOUND);

	s.locked_until = T0 + 5;
	assert_int_equal(broker_subscriber_usable(&s, T0), RT_ERR_UNAVAILABLE);
	assert_int_equal(broker_subscriber_usable(&s, T0 + 5), 0);
	/* never expires */
	s.password_max_age = 0;
	assert_int_equal(broker_subscriber_usable(&s, T0 + 50L * 365 * 86400), 0);
}

static void
test_lockout(void **state)
{
	struct fixture *fx = *state;
	const struct broker_password_policy never = {12, 3, 0, 0, 60};
	struct broker_subscriber s;
	time_t now = T0 + 1000;

	assert_int_equal(add(fx, ALICE_PUB, "alice", ALICE_PW, -1), 0);
	assert_int_equal(broker_subscriber_record(fx->db, &policy, "alice", 0,
	    now), 0);
	assert_int_equal(broker_subscriber_record(fx->db, &policy, "alice", 0,
	    now), 0);
	assert_int_equal(broker_subscriber_get(fx->db, "alice", &s), 0);
	assert_int_equal(s.failed, 2);
	/* a success resets the count */
	assert_int_equal(broker_subscriber_record(fx->db, &policy, "alice", 1,
	    now), 0);
	assert_int_equal(broker_subscriber_get(fx->db, "alice", &s), 0);
	assert_int_equal(s.failed, 0);

	for (int i = 1; i <= 3; i++)
		assert_int_equal(broker_subscriber_record(fx->db, &policy, "alice",
		    0, now), i == 3);
	assert_int_equal(broker_subscriber_get(fx->db, ALICE_PUB, &s), 0);
	assert_int_equal(s.failed, 3);
	assert_int_equal(s.locked_until, now + 60);
	assert_int_equal(broker_subscriber_usable(&s, now + 59),
	    RT_ERR_UNAVAILABLE);
	assert_int_equal(broker_subscriber_usable(&s, now + 60), 0);
	/* a success during the lock does not lift it */
	assert_int_equal(broker_subscriber_record(fx->db, &policy, "alice", 1,
	    now + 30), 1);

	/* after the lock: a failure counts from 1 again */
	assert_int_equal(broker_subscriber_record(fx->db, &policy, "alice", 0,
	    now + 60), 0);
	assert_int_equal(broker_subscriber_get(fx->db, "alice", &s), 0);
	assert_int_equal(s.failed, 1);
	assert_int_equal(s.locked_until, 0);

	assert_int_equal(broker_subscriber_record(fx->db, &policy, "nobody", 0,
	    now), RT_ERR_NOT_FOUND);
	assert_int_equal(broker_subscriber_record(fx->db, &policy, "nobody", 1,
	    now), RT_ERR_NOT_FOUND);
	for (int i = 0; i < 10; i++)
		assert_int_equal(broker_subscriber_record(fx->db, &never, "alice",
		    0, now + 100), 0);
	assert_int_equal(broker_subscriber_get(fx->db, "alice", &s), 0);
	assert_int_equal(s.failed, 11);
	assert_int_equal(s.locked_until, 0);
}

/* A success decided on the row get read: no write unless it clears something. */
static void
test_record_ok(void **state)
{
	struct fixture *fx = *state;
	struct broker_subscriber s, again;
	time_t now = T0 + 1000;

	assert_int_equal(add(fx, ALICE_PUB, "alice", ALICE_PW, -1), 0);
	assert_int_equal(broker_subscriber_get(fx->db, ALICE_PUB, &s), 0);
	assert_int_equal(broker_subscriber_record_ok(fx->db, &s, now), 0);
	/* failures on the row it read: cleared */
	assert_int_equal(broker_subscriber_record(fx->db, &policy, "alice", 0, now), 0);
	assert_int_equal(broker_subscriber_record(fx->db, &policy, "alice", 0, now), 0);
	assert_int_equal(broker_subscriber_get(fx->db, "alice", &s), 0);
	assert_int_equal(s.failed, 2);
	assert_int_equal(broker_subscriber_record_ok(fx->db, &s, now), 0);
	assert_int_equal(broker_subscriber_get(fx->db, "alice", &again), 0);
	assert_int_equal(again.failed, 0);
	/* a failure after the read stays counted: the success came first */
	assert_int_equal(broker_subscriber_record(fx->db, &policy, "alice", 0, now), 0);
	assert_int_equal(broker_subscriber_record_ok(fx->db, &again, now), 0);
	assert_int_equal(broker_subscriber_get(fx->db, "alice", &s), 0);
	assert_int_equal(s.failed, 1);
	/* an ended lock is lifted, a running one reported */
	for (int i = 2; i <= 3; i++)
		assert_int_equal(broker_subscriber_record(fx->db, &policy, "alice", 0,
		    now), i == 3);
	assert_int_equal(broker_subscriber_get(fx->db, "alice", &s), 0);
	assert_int_equal(s.locked_until, now + 60);
	assert_int_equal(broker_subscriber_record_ok(fx->db, &s, now + 30), 1);
	assert_int_equal(broker_subscriber_record_ok(fx->db, &s, now + 60), 0);
	assert_int_equal(broker_subscriber_get(fx->db, "alice", &s), 0);
	assert_int_equal(s.failed, 0);
	assert_int_equal(s.locked_until, 0);
}

/* Failures for identities the store lacks: counted, with a synced write
 * like a known user's, and the table is added to a version 1 file. */
static void
test_unknown_attempts(void **state)
{
	struct fixture *fx = *state;
	struct broker_subscriber s;
	sqlite3 *raw = NULL;

	assert_int_equal(add(fx, ALICE_PUB, "alice", ALICE_PW, -1), 0);
	assert_true(broker_subscriber_unknown_attempts(fx->db) == 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(broker_subscriber_record_unknown(fx->db, T0 + i), 0);
	assert_true(broker_subscriber_unknown_attempts(fx->db) == 3);
	/* no subscriber's count moved */
	assert_int_equal(broker_subscriber_get(fx->db, "alice", &s), 0);
	assert_int_equal(s.failed, 0);
	/* kept across a restart */
	broker_subscribers_close(fx->db);
	assert_int_equal(broker_subscribers_open(fx->path, &fx->db), 0);
	assert_true(broker_subscriber_unknown_attempts(fx->db) == 3);
	/* a file from before the table (version 1) gets it on open */
	broker_subscribers_close(fx->db);
	assert_int_equal(sqlite3_open(fx->path, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw, "DROP TABLE unknown_attempt; "
	    "DELETE FROM schema_version WHERE version = 2", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(raw);
	assert_int_equal(broker_subscribers_open(fx->path, &fx->db), 0);
	assert_int_equal(broker_subscriber_record_unknown(fx->db, T0), 0);
	assert_true(broker_subscriber_unknown_attempts(fx->db) == 1);
	assert_int_equal(broker_subscriber_get(fx->db, "alice", &s), 0);
}

struct list_seen {
	char ids[8][RT_URI_MAX];
	int n;
	int stop_at;
};

static int
list_collect(void *arg, const struct broker_subscriber *s)
{
	struct list_seen *seen = arg;

	assert_true(seen->n < 8);
	snprintf(seen->ids[seen->n++], RT_URI_MAX, "%s", s->public_id);
	assert_int_equal(s->nservices, 2);
	return seen->n == seen->stop_at ? 42 : 0;
}

static void
test_list(void **state)
{
	struct fixture *fx = *state;
	struct list_seen seen = {.stop_at = 0};

	assert_int_equal(broker_subscriber_list(fx->db, list_collect, &seen), 0);
	assert_int_equal(seen.n, 0);
	assert_int_equal(add(fx, "sip:carol@home.example", "carol",
	    "Green-Lamp-Sky-3", -1), 0);
	assert_int_equal(add(fx, ALICE_PUB, "alice", ALICE_PW, -1), 0);
	assert_int_equal(add(fx, "sip:bob@home.example", "bob",
	    "Red-Bicycle-Tree-4", -1), 0);
	assert_int_equal(broker_subscriber_list(fx->db, list_collect, &seen), 0);
	assert_int_equal(seen.n, 3);
	assert_string_equal(seen.ids[0], ALICE_PUB);
	assert_string_equal(seen.ids[1], "sip:bob@home.example");
	assert_string_equal(seen.ids[2], "sip:carol@home.example");
	memset(&seen, 0, sizeof(seen));
	seen.stop_at = 2;
	assert_int_equal(broker_subscriber_list(fx->db, list_collect, &seen), 42);
	assert_int_equal(seen.n, 2);
}

struct worker {
	struct fixture *fx;
	int index;
	int iterations;
	int errors;
	uint64_t gets;
};

#define THREAD_ITER 200
#define THREAD_FAIL_EVERY 10

static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	struct broker_subscriber s;
	char priv[16], pub[48];

	snprintf(priv, sizeof(priv), "t%d", w->index);
	snprintf(pub, sizeof(pub), "sip:t%d@home.example", w->index);
	for (int i = 0; i < w->iterations; i++) {
		if (broker_subscriber_get(w->fx->db, priv, &s) != 0 ||
		    strcmp(s.public_id, pub) != 0)
			w->errors++;
		if (broker_subscriber_get(w->fx->db, "sip:shared@home.example",
		    &s) != 0 || strcmp(s.private_id, "shared") != 0)
			w->errors++;
		w->gets += 2;
		if (broker_subscriber_record(w->fx->db, &policy, priv, 1, T0) != 0)
			w->errors++;
		if (i % THREAD_FAIL_EVERY == 0 && broker_subscriber_record(w->fx->db,
		    &(const struct broker_password_policy){12, 3, 0, 1000000, 60},
		    "shared", 0, T0) != 0)
			w->errors++;
	}
	return NULL;
}

/* Operations per second of fn over about ms milliseconds. */
static double
rate_of(struct fixture *fx, int (*fn)(struct fixture *), uint64_t ms)
{
	uint64_t start = rt_mono_ns(), n = 0;

	while (rt_mono_ns() - start < ms * 1000000) {
		for (int i = 0; i < 50; i++)
			assert_int_equal(fn(fx), 0);
		n += 50;
	}
	return (double)n * 1e9 / (double)(rt_mono_ns() - start);
}

static int
one_get(struct fixture *fx)
{
	struct broker_subscriber s;

	return broker_subscriber_get(fx->db, "t1", &s);
}

static int
one_record_ok(struct fixture *fx)
{
	return broker_subscriber_record(fx->db, &policy, "t1", 1, T0);
}

static int
one_record_fail(struct fixture *fx)
{
	static const struct broker_password_policy p = {12, 3, 0, 0, 60};

	return broker_subscriber_record(fx->db, &p, "t2", 0, T0);
}

static void
test_threads(void **state)
{
	struct fixture *fx = *state;
	struct worker w[NTHREADS];
	pthread_t th[NTHREADS];
	struct broker_subscriber s;
	uint64_t start, gets = 0;
	char pub[48], priv[16];
	double wall;

	assert_int_equal(add(fx, "sip:shared@home.example", "shared",
	    "Common-Ground-99", -1), 0);
	for (int i = 0; i < NTHREADS; i++) {
		snprintf(pub, sizeof(pub), "sip:t%d@home.example", i);
		snprintf(priv, sizeof(priv), "t%d", i);
		assert_int_equal(add(fx, pub, priv, "Thread-Secret-99", -1), 0);
	}
	start = rt_mono_ns();
	for (int i = 0; i < NTHREADS; i++) {
		w[i] = (struct worker){fx, i, THREAD_ITER, 0, 0};
		assert_int_equal(pthread_create(&th[i], NULL, worker_run, &w[i]),
		    0);
	}
	for (int i = 0; i < NTHREADS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(w[i].errors, 0);
		gets += w[i].gets;
	}
	wall = (double)(rt_mono_ns() - start) / 1e9;
	/* every failure counted once: the increment is atomic */
	assert_int_equal(broker_subscriber_get(fx->db, "shared", &s), 0);
	assert_int_equal(s.failed, NTHREADS * THREAD_ITER / THREAD_FAIL_EVERY);
	assert_int_equal(s.locked_until, 0);
	printf("rate: %d threads: %.0f gets/s with %d synced failure records "
	    "mixed in (%.2f s)\n", NTHREADS, (double)gets / wall,
	    NTHREADS * THREAD_ITER / THREAD_FAIL_EVERY, wall);
	printf("rate: subscriber_get %.0f lookups/s (1 thread)\n",
	    rate_of(fx, one_get, 300));
	printf("rate: subscriber_record ok %.0f/s (nothing to clear: no write)\n",
	    rate_of(fx, one_record_ok, 300));
	printf("rate: subscriber_record failure %.0f/s (one synced commit "
	    "each)\n", rate_of(fx, one_record_fail, 300));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_persist, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_add_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicates, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
		cmocka_unit_test(test_policy),
		cmocka_unit_test_setup_teardown(test_passwd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_usable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lockout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_attempts, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
	};

	rt_log_init("test_subscriber", RT_LOG_STDERR, RT_LOG_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
