/*
 * Roaming authentication at the broker, both sides.
 *
 * Home side (broker_auth_home): a visited realm forwards, in a signed
 * frame, a subscriber's digest response; we check the agreement (home = us,
 * visited = the signer), find the subscriber, recompute the response from
 * its stored HA1 (constant-time comparison), count failures (lockout), and
 * answer with a SubscriberAssertion for the visited realm: services = the
 * subscriber's and the agreement's in common, lifetime at most the
 * agreement's maximum. Unknown users and wrong passwords get the same
 * answer (no enumeration); the reply frame's signature signs the assertion.
 * A locked subscriber is answered "locked" whatever the password, so the
 * lock bounds guessing: that tells whoever caused the lock that the
 * account exists, the lesser leak.
 *
 * Every assertion we issue is recorded in the ledger (assertions table)
 * before the AuthResponse carrying it leaves (broker_auth_answer): the
 * visited realm will bill us for usage under it, and the home's check of
 * those records looks the assertion up there. Sent first and lost in a
 * crash, it would flag every record of an honest partner as
 * unknown-assertion; recorded first, it costs the answer one group commit
 * (shared by every answer of its frame, and whatever else waits). If it
 * cannot be recorded, the answer is "unavailable" without it: no
 * assertion we cannot account for goes out.
 *
 * Visited side (broker_auth_check_assertion): what an assertion that came
 * back from a home realm must satisfy before an agent may rely on it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "broker_ledger.h"
#include "broker_subscriber.h"
#include "rt_digest.h"
#include "rt_log.h"

/* Services both lists name, into out; returns how many. */
static int
services_common(const struct broker_subscriber *sub, const struct rt_agreement *a,
    char (*out)[RT_SERVICE_MAX])
{
	int n = 0;

	for (int i = 0; i < sub->nservices; i++)
		if (rt_agreement_service(a, sub->services[i]) != NULL)
			memcpy(out[n++], sub->services[i], RT_SERVICE_MAX);
	return n;
}

/* The credentials as the digest module wants them; RT_ERR_BAD_INPUT when a
 * field would not fit (such a response cannot be right anyway). */
static int
creds_from_request(const struct rt_auth_request *req, struct rt_digest_creds *c)
{
	memset(c, 0, sizeof(*c));
	if (strlen(req->response) >= sizeof(c->response) ||
	    strlen(req->nc) >= sizeof(c->nc) || strlen(req->qop) >= sizeof(c->qop))
		return RT_ERR_BAD_INPUT;
	snprintf(c->username, sizeof(c->username), "%s", req->username);
	snprintf(c->realm, sizeof(c->realm), "%s", req->digest_realm);
	snprintf(c->nonce, sizeof(c->nonce), "%s", req->nonce);
	snprintf(c->uri, sizeof(c->uri), "%s", req->uri);
	memcpy(c->response, req->response, strlen(req->response) + 1);
	snprintf(c->algorithm, sizeof(c->algorithm), "%s", req->algorithm);
	c->alg = strcmp(req->algorithm, "SHA-256") == 0 ? RT_DIGEST_SHA256 :
	    RT_DIGEST_MD5;
	snprintf(c->cnonce, sizeof(c->cnonce), "%s", req->cnonce);
	snprintf(c->qop, sizeof(c->qop), "%s", req->qop);
	memcpy(c->nc, req->nc, strlen(req->nc) + 1);
	return 0;
}

static void
refuse(struct rt_auth_response *resp, enum rt_auth_result result, const char *why)
{
	resp->result = result;
	snprintf(resp->reason, sizeof(resp->reason), "%s", why);
}

void
broker_auth_home(struct broker *b, const char *visited,
    const struct rt_auth_request *req, struct rt_auth_response *resp)
{
	const struct broker_config *bc = b->config;
	/* answered for unknown users too, so both cost the same: an HA1 of
	 * each algorithm's length (a malformed one is refused before any
	 * hashing, which would make unknown users the quick answer) */
	static const char dummy_md5[] = "00000000000000000000000000000000";
	static const char dummy_sha256[] =
	    "0000000000000000000000000000000000000000000000000000000000000000";
	struct broker_subscriber sub;
	struct rt_digest_creds creds;
	struct rt_agreement agreement;
	struct rt_assertion *a = &resp->assertion;
	char common[RT_SERVICES_MAX][RT_SERVICE_MAX];
	const char *ha1;
	time_t now = rt_time_now();
	char user[RT_URI_MAX + 8];
	int found, verified, r, ncommon;
	long lifetime;

	memset(resp, 0, sizeof(*resp));
	if (broker_agreement_for(b, bc->realm, visited, now, &agreement) != 0 ||
	    (req->agreement_ref[0] != '\0' &&
	    strcmp(req->agreement_ref, agreement.id) != 0)) {
		refuse(resp, RT_AUTH_NO_AGREEMENT, "no valid roaming agreement");
		goto out;
	}
	if (creds_from_request(req, &creds) != 0) {
		refuse(resp, RT_AUTH_WRONG_CREDENTIALS, "wrong credentials");
		goto out;
	}
	found = broker_subscriber_get(b->subscribers, req->username, &sub) == 0 &&
	    strcmp(sub.public_id, req->public_id) == 0 &&
	    strcmp(req->digest_realm, bc->realm) == 0;
	if (creds.alg == RT_DIGEST_SHA256)
		ha1 = found ? sub.ha1_sha256 : dummy_sha256;
	else
		ha1 = found ? sub.ha1_md5 : dummy_md5;
	/* computed for unknown users too: both answers take the same time */
	verified = rt_digest_verify(ha1, &creds, req->method,
	    req->body_hash[0] != '\0' ? req->body_hash : NULL) == 0;
	if (!found) {
		/* the same synced write as a known user's failure below */
		(void)!broker_subscriber_record_unknown(b->subscribers, now);
		refuse(resp, RT_AUTH_WRONG_CREDENTIALS, "wrong credentials");
		goto out;
	}
	/*
	 * Locked: the same answer whatever the password, and nothing
	 * recorded (a write for wrong guesses only would tell them apart by
	 * its time). Told "locked" for the right password alone, a guesser
	 * would go on guessing through the lock and wait it out with the
	 * password found.
	 */
	if (sub.locked_until > now) {
		refuse(resp, RT_AUTH_LOCKED, "locked after failed attempts");
		goto out;
	}
	if (!verified) {
		/* the failure that locks is answered like the others */
		/* the store logs the lock when it happens */
		(void)!broker_subscriber_record(b->subscribers, &b->password_policy,
		    req->username, 0, now);
		refuse(resp, RT_AUTH_WRONG_CREDENTIALS, "wrong credentials");
		goto out;
	}
	/* the right password: now the account's state may be told */
	if ((r = broker_subscriber_usable(&sub, now)) != 0) {
		if (r == RT_ERR_EXPIRED)
			refuse(resp, RT_AUTH_PASSWORD_EXPIRED, "password expired");
		else if (r == RT_ERR_UNAVAILABLE)
			refuse(resp, RT_AUTH_LOCKED, "locked after failed attempts");
		else
			refuse(resp, RT_AUTH_DISABLED, "subscriber disabled");
		goto out;
	}
	if (broker_subscriber_record_ok(b->subscribers, &sub, now) < 0)
		log_warn("event=subscriber_record_failed user=%s", req->username);
	ncommon = services_common(&sub, &agreement, common);
	for (int i = 0; i < req->nservices; i++) {
		if (!rt_services_contain(common, ncommon, req->services[i])) {
			refuse(resp, RT_AUTH_NO_SERVICE, "service not allowed");
			goto out;
		}
	}
	if (ncommon == 0) {
		refuse(resp, RT_AUTH_NO_SERVICE, "no service in common");
		goto out;
	}
	resp->result = RT_AUTH_OK;
	resp->has_assertion = 1;
	/*
	 * Time-ordered (UUIDv7), like record ids: the ledger's unique index on
	 * assertion ids then grows at its end instead of dirtying a random
	 * page per assertion in every commit.
	 */
	if (rt_uuid_v7(rt_time_now_ms(), a->id) != 0) {
		refuse(resp, RT_AUTH_UNAVAILABLE, "internal error");
		resp->has_assertion = 0;
		goto out;
	}
	snprintf(a->issuer, sizeof(a->issuer), "%s", bc->realm);
	snprintf(a->audience, sizeof(a->audience), "%s", visited);
	snprintf(a->public_id, sizeof(a->public_id), "%s", sub.public_id);
	snprintf(a->private_id, sizeof(a->private_id), "%s", sub.private_id);
	memcpy(a->services, common, sizeof(common));
	a->nservices = ncommon;
	snprintf(a->authn_method, sizeof(a->authn_method), "%s",
	    creds.alg == RT_DIGEST_SHA256 ? "digest-sha256" : "digest-md5");
	a->authn_instant = a->issued_at = now;
	lifetime = bc->assertion_lifetime;
	if (lifetime > (long)agreement.max_assertion)
		lifetime = (long)agreement.max_assertion;
	a->not_on_or_after = now + lifetime;
	memcpy(a->agreement_ref, agreement.id, RT_ID_MAX);
 out:
	log_info("event=auth_home visited=%s user=%s result=%s", visited,
	    rt_log_value(req->username, user, sizeof(user)),
	    rt_auth_result_name(resp->result));
	rt_counter_inc(b->metrics.auth[resp->result]);
}

int
broker_auth_check_assertion(struct broker *b, const char *home,
    const struct rt_agreement *agreement, const struct rt_assertion *a)
{
	time_t now = rt_time_now();

	if (strcmp(a->issuer, home) != 0)
		return RT_ERR_REALM;
	if (strcmp(a->audience, b->config->realm) != 0)
		return RT_ERR_AUDIENCE;
	if (strcmp(a->agreement_ref, agreement->id) != 0)
		return RT_ERR_NO_AGREEMENT;
	if (a->not_on_or_after - a->issued_at > (time_t)agreement->max_assertion)
		return RT_ERR_DENIED;
	for (int i = 0; i < a->nservices; i++)
		if (rt_agreement_service(agreement, a->services[i]) == NULL)
			return RT_ERR_DENIED;
	if (now + b->config->skew < a->issued_at)
		return RT_ERR_NOT_YET_VALID;
	if (now - b->config->skew >= a->not_on_or_after)
		return RT_ERR_EXPIRED;
	return 0;
}

/* ---- the answer, once its assertion is recorded ---- */

struct auth_answer {
	struct broker_async async;	/* first: the listener's handle */
	struct broker_ledger_assertion record;
	struct rt_auth_response resp;
};

static int
auth_answer_encode(struct broker_async *a, struct rt_buf *out)
{
	return rt_auth_response_encode(&((struct auth_answer *)a)->resp, out);
}

static void
auth_recorded(struct broker_ledger_assertion *la, int err)
{
	struct auth_answer *aa = la->arg;

	if (err != 0) {
		log_err("event=assertion_not_recorded id=%s visited=%s reason=%s",
		    aa->resp.assertion.id, aa->resp.assertion.audience, rt_errname(err));
		memset(&aa->resp, 0, sizeof(aa->resp));
		refuse(&aa->resp, RT_AUTH_UNAVAILABLE, "home realm cannot account for "
		    "an assertion now");
	}
	aa->async.ready(aa->async.owner, aa->async.index);
}

int
broker_auth_answer(struct broker *b, const char *visited,
    const struct rt_auth_request *req, const struct broker_async *tmpl,
    struct broker_async **ap, struct broker_ledger_assertion **pending)
{
	struct auth_answer *aa;

	*ap = NULL;
	if ((aa = calloc(1, sizeof(*aa))) == NULL)
		return RT_ERR_NOMEM;
	broker_auth_home(b, visited, req, &aa->resp);
	aa->async = *tmpl;
	aa->async.encode = auth_answer_encode;
	*ap = &aa->async;
	if (!aa->resp.has_assertion) {
		aa->async.ready(aa->async.owner, aa->async.index);
		return 0;
	}
	aa->record.assertion = aa->resp.assertion;
	aa->record.done = auth_recorded;
	aa->record.arg = aa;
	aa->record.next = *pending;
	*pending = &aa->record;
	return 0;
}
