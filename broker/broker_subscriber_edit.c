/*
 * broker_subscriber_edit: the changes an operator makes to the subscriber
 * store (add, passwd, enable/disable), each one transaction on the writer
 * connection. HA1s are computed here and wiped after use.
 */
#include "broker_subscriber_int.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "rt_codec.h"
#include "rt_digest.h"
#include "rt_log.h"

/* HA1 = hex(H(username ":" realm ":" password)); out holds 2*size+1. */
static int
ha1_both(const char *username, const char *realm, const char *password,
    char md5[33], char sha256[65])
{
	int r;

	char hex[RT_DIGEST_HEX_MAX];

	/* the digest module's HA1: the one the verification recomputes against */
	if ((r = rt_digest_ha1(RT_DIGEST_MD5, username, realm, password, hex)) != 0)
		return r;
	memcpy(md5, hex, 33);
	if ((r = rt_digest_ha1(RT_DIGEST_SHA256, username, realm, password, hex)) == 0)
		memcpy(sha256, hex, 65);
	OPENSSL_cleanse(hex, sizeof(hex));
	return r;
}

static int
service_name_valid(const char *s)
{
	size_t n;

	if (s[0] < 'a' || s[0] > 'z')
		return 0;
	for (n = 1; s[n] != '\0'; n++)
		if (n >= 32 || !((s[n] >= 'a' && s[n] <= 'z') ||
		    (s[n] >= '0' && s[n] <= '9') || s[n] == '-'))
			return 0;
	return 1;
}

/* The checks of add that need no store; RT_ERR_BAD_INPUT with why. */
static int
add_check_input(const char *digest_realm, const char *public_id,
    const char *private_id, const char (*services)[RT_SERVICE_MAX],
    int nservices, long max_age, char *why, size_t whycap)
{
	if (digest_realm == NULL || digest_realm[0] == '\0') {
		broker_substore_why(why, whycap, "no digest realm configured");
		return RT_ERR_BAD_INPUT;
	}
	if (public_id == NULL || strlen(public_id) >= RT_URI_MAX ||
	    !rt_sip_uri_valid(public_id)) {
		broker_substore_why(why, whycap, "the public id must be a sip:, "
		    "sips: or tel: URI of visible characters (at most %d)",
		    RT_URI_MAX - 1);
		return RT_ERR_BAD_INPUT;
	}
	if (private_id == NULL || strlen(private_id) >= RT_URI_MAX ||
	    !rt_identity_valid(private_id)) {
		broker_substore_why(why, whycap, "the private id must be visible "
		    "characters without quotes or angle brackets (at most %d)",
		    RT_URI_MAX - 1);
		return RT_ERR_BAD_INPUT;
	}
	if (strcmp(public_id, private_id) == 0) {
		broker_substore_why(why, whycap, "the private id must differ "
		    "from the public id");
		return RT_ERR_BAD_INPUT;
	}
	if (nservices < 0 || nservices > RT_SERVICES_MAX ||
	    (nservices > 0 && services == NULL)) {
		broker_substore_why(why, whycap, "at most %d services",
		    RT_SERVICES_MAX);
		return RT_ERR_BAD_INPUT;
	}
	for (int i = 0; i < nservices; i++) {
		if (memchr(services[i], '\0', RT_SERVICE_MAX) == NULL ||
		    !service_name_valid(services[i])) {
			/* bounded: the name may lack its NUL */
			broker_substore_why(why, whycap, "service names are "
			    "[a-z][a-z0-9-]{0,31}: '%.*s' is not",
			    (int)strnlen(services[i], RT_SERVICE_MAX),
			    services[i]);
			return RT_ERR_BAD_INPUT;
		}
		for (int j = 0; j < i; j++) {
			if (strcmp(services[i], services[j]) == 0) {
				broker_substore_why(why, whycap,
				    "service %s given twice", services[i]);
				return RT_ERR_BAD_INPUT;
			}
		}
	}
	if (max_age > BROKER_MAX_AGE_MAX) {
		broker_substore_why(why, whycap, "the maximum password age is at "
		    "most %ld seconds", BROKER_MAX_AGE_MAX);
		return RT_ERR_BAD_INPUT;
	}
	return 0;
}

/* RT_ERR_EXISTS, with which id, when either id is taken in either role. */
static int
add_check_taken(struct store_conn *c, const char *public_id,
    const char *private_id, char *why, size_t whycap)
{
	sqlite3_stmt *st = c->stmt[Q_TAKEN];
	int rc, r = 0;

	if (sqlite3_bind_text(st, 1, public_id, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, private_id, -1, SQLITE_STATIC) != SQLITE_OK) {
		r = broker_substore_error(c, "add");
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *pub = (const char *)sqlite3_column_text(st, 0);
		const char *priv = (const char *)sqlite3_column_text(st, 1);

		if (pub != NULL && (strcmp(pub, public_id) == 0 ||
		    strcmp(pub, private_id) == 0))
			broker_substore_why(why, whycap, "%s is already a "
			    "public id", strcmp(pub, public_id) == 0 ?
			    public_id : private_id);
		else
			broker_substore_why(why, whycap, "%s is already the "
			    "private id of %s",
			    priv != NULL && strcmp(priv, private_id) == 0 ?
			    private_id : public_id, pub != NULL ? pub : "?");
		r = RT_ERR_EXISTS;
	} else if (rc != SQLITE_DONE)
		r = broker_substore_error(c, "add");
 out:
	broker_substore_done(st);
	return r;
}

static int
add_insert(struct store_conn *c, const char *public_id, const char *private_id,
    const char *md5, const char *sha256, const char (*services)[RT_SERVICE_MAX],
    int nservices, long max_age, time_t now)
{
	sqlite3_stmt *st = c->stmt[Q_INSERT];
	int rc;

	if (sqlite3_bind_text(st, 1, public_id, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, private_id, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 3, md5, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 4, sha256, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 5, (sqlite3_int64)now) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 6, (sqlite3_int64)max_age) != SQLITE_OK)
		rc = SQLITE_ERROR;
	else
		rc = sqlite3_step(st);
	broker_substore_done(st);
	if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE)
		return RT_ERR_EXISTS;
	if (rc != SQLITE_DONE)
		return broker_substore_error(c, "add");
	st = c->stmt[Q_INSERT_SERVICE];
	for (int i = 0; i < nservices; i++) {
		if (sqlite3_bind_text(st, 1, public_id, -1, SQLITE_STATIC) !=
		    SQLITE_OK || sqlite3_bind_int(st, 2, i) != SQLITE_OK ||
		    sqlite3_bind_text(st, 3, services[i], -1, SQLITE_STATIC) !=
		    SQLITE_OK)
			rc = SQLITE_ERROR;
		else
			rc = sqlite3_step(st);
		broker_substore_done(st);
		if (rc != SQLITE_DONE)
			return broker_substore_error(c, "add");
	}
	return 0;
}

int
broker_subscriber_add(struct broker_subscribers *db,
    const struct broker_password_policy *pol, const char *digest_realm,
    const char *public_id, const char *private_id, const char *password,
    const char (*services)[RT_SERVICE_MAX], int nservices, long max_age,
    time_t now, char *why, size_t whycap)
{
	struct store_conn *c = &db->writer;
	char md5[33] = "", sha256[65] = "", safe[2][RT_URI_MAX + 8];
	int r, begun = 0;

	broker_substore_why(why, whycap, "%s", "");
	if ((r = add_check_input(digest_realm, public_id, private_id, services,
	    nservices, max_age, why, whycap)) != 0)
		return r;
	if (password == NULL)
		password = "";
	if ((r = broker_password_check(pol, password, private_id, public_id, why,
	    whycap)) != 0)
		return r;
	if (max_age < 0)
		max_age = pol->default_max_age > 0 ? pol->default_max_age : 0;
	if ((r = ha1_both(private_id, digest_realm, password, md5, sha256)) != 0)
		return r;
	pthread_mutex_lock(&c->lock);
	if ((r = broker_substore_exec(c, Q_BEGIN, "add")) != 0)
		goto out;
	begun = 1;
	if ((r = add_check_taken(c, public_id, private_id, why, whycap)) != 0)
		goto out;
	if ((r = add_insert(c, public_id, private_id, md5, sha256, services,
	    nservices, max_age, now)) != 0) {
		if (r == RT_ERR_EXISTS)
			broker_substore_why(why, whycap, "%s or %s already "
			    "exists", public_id, private_id);
		goto out;
	}
	if ((r = broker_substore_exec(c, Q_COMMIT, "add")) != 0)
		goto out;
	begun = 0;
	log_info("event=subscriber_added public_id=%s private_id=%s services=%d "
	    "max_age=%ld", rt_log_value(public_id, safe[0], sizeof(safe[0])),
	    rt_log_value(private_id, safe[1], sizeof(safe[1])), nservices,
	    max_age);
 out:
	if (begun && broker_substore_exec(c, Q_ROLLBACK, "add") != 0)
		log_err("event=subscriber_store_rollback_failed");
	pthread_mutex_unlock(&c->lock);
	if (r == RT_ERR_IO)
		broker_substore_why(why, whycap, "subscriber store error "
		    "(see the log)");
	OPENSSL_cleanse(md5, sizeof(md5));
	OPENSSL_cleanse(sha256, sizeof(sha256));
	return r;
}

int
broker_subscriber_passwd(struct broker_subscribers *db,
    const struct broker_password_policy *pol, const char *digest_realm,
    const char *id, const char *password, time_t now, char *why,
    size_t whycap)
{
	struct store_conn *c = &db->writer;
	struct broker_subscriber *sub = NULL;
	char md5[33] = "", sha256[65] = "", safe[RT_URI_MAX + 8];
	sqlite3_stmt *st = c->stmt[Q_PASSWD];
	int rc, r, begun = 0;

	broker_substore_why(why, whycap, "%s", "");
	if (id == NULL || id[0] == '\0' || strlen(id) >= RT_URI_MAX) {
		broker_substore_why(why, whycap, "no such subscriber");
		return RT_ERR_NOT_FOUND;
	}
	if (digest_realm == NULL || digest_realm[0] == '\0') {
		broker_substore_why(why, whycap, "no digest realm configured");
		return RT_ERR_BAD_INPUT;
	}
	if (password == NULL)
		password = "";
	if ((sub = calloc(1, sizeof(*sub))) == NULL)
		return RT_ERR_NOMEM;
	pthread_mutex_lock(&c->lock);
	if ((r = broker_substore_exec(c, Q_BEGIN, "passwd")) != 0)
		goto out;
	begun = 1;
	if ((r = broker_substore_get_any(c, id, sub)) != 0) {
		broker_substore_why(why, whycap, "no such subscriber: %s", id);
		goto out;
	}
	if ((r = broker_password_check(pol, password, sub->private_id,
	    sub->public_id, why, whycap)) != 0)
		goto out;
	if ((r = ha1_both(sub->private_id, digest_realm, password, md5,
	    sha256)) != 0)
		goto out;
	if (CRYPTO_memcmp(md5, sub->ha1_md5, sizeof(md5)) == 0) {
		broker_substore_why(why, whycap, "the new password is the "
		    "current one");
		r = RT_ERR_DENIED;
		goto out;
	}
	if (sqlite3_bind_text(st, 1, sub->public_id, -1, SQLITE_STATIC) !=
	    SQLITE_OK || sqlite3_bind_text(st, 2, md5, -1, SQLITE_STATIC) !=
	    SQLITE_OK || sqlite3_bind_text(st, 3, sha256, -1, SQLITE_STATIC) !=
	    SQLITE_OK || sqlite3_bind_int64(st, 4, (sqlite3_int64)now) !=
	    SQLITE_OK)
		rc = SQLITE_ERROR;
	else
		rc = sqlite3_step(st);
	broker_substore_done(st);
	if (rc != SQLITE_DONE) {
		r = broker_substore_error(c, "passwd");
		goto out;
	}
	if ((r = broker_substore_exec(c, Q_COMMIT, "passwd")) != 0)
		goto out;
	begun = 0;
	log_info("event=subscriber_password_changed public_id=%s",
	    rt_log_value(sub->public_id, safe, sizeof(safe)));
 out:
	if (begun && broker_substore_exec(c, Q_ROLLBACK, "passwd") != 0)
		log_err("event=subscriber_store_rollback_failed");
	pthread_mutex_unlock(&c->lock);
	if (r == RT_ERR_IO)
		broker_substore_why(why, whycap, "subscriber store error "
		    "(see the log)");
	OPENSSL_cleanse(md5, sizeof(md5));
	OPENSSL_cleanse(sha256, sizeof(sha256));
	OPENSSL_clear_free(sub, sizeof(*sub));
	return r;
}

int
broker_subscriber_set_enabled(struct broker_subscribers *db, const char *id,
    int enabled)
{
	struct store_conn *c = &db->writer;
	sqlite3_stmt *st = c->stmt[Q_ENABLE];
	char safe[RT_URI_MAX + 8];
	int rc, r;

	if (id == NULL || id[0] == '\0')
		return RT_ERR_NOT_FOUND;
	pthread_mutex_lock(&c->lock);
	if (sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int(st, 2, enabled != 0) != SQLITE_OK)
		rc = SQLITE_ERROR;
	else
		rc = sqlite3_step(st);
	broker_substore_done(st);
	if (rc != SQLITE_DONE)
		r = broker_substore_error(c, "enable");
	else
		r = sqlite3_changes(c->db) > 0 ? 0 : RT_ERR_NOT_FOUND;
	pthread_mutex_unlock(&c->lock);
	if (r == 0)
		log_info("event=%s id=%s", enabled ? "subscriber_enabled" :
		    "subscriber_disabled", rt_log_value(id, safe, sizeof(safe)));
	return r;
}
