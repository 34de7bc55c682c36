/*
 * broker_auth: the home side of roaming authentication (broker_auth_home,
 * and broker_auth_answer, which records the assertion before it goes) and
 * the visited side's check of what comes back (broker_auth_check_assertion),
 * on real brokers made by broker_new in a throwaway federation, each with
 * its own SQLite subscriber store and ledger (helper_broker.h): a success
 * and its assertion (audience, services in common, lifetime capped by the
 * agreement, a fresh id, authn method and instant) with MD5 and SHA-256,
 * qop auth, auth-int and none; services and agreements refused; wrong
 * credentials that all answer alike; lockout, disabled and expired
 * accounts; the answer held until the ledger has its assertion; what the
 * visited broker accepts of an assertion.
 *
 * What the agent makes of each result (a new challenge for wrong
 * credentials, 403 for locked, disabled, expired, no agreement or no
 * service) is test_agent_home's test_refusals; the subject of an assertion
 * (the AOR registered) is the agent's to check, not the broker's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker_ledger.h"
#include "helper_broker.h"
#include "helper_ledger.h"
#include "rt_codec.h"
#include "rt_log.h"

#define HOME TB_HOME
#define VISITED TB_VISITED	/* voice only, max VISITED_MAX */
#define WIDE TB_WIDE		/* voice + message, max 2 h */
#define OTHER TB_OTHER		/* no agreement */
#define VISITED_MAX TB_VISITED_MAX
#define LIFETIME TB_LIFETIME
#define LOCKOUT_AFTER TB_LOCKOUT_AFTER
#define LOCKOUT_TIME TB_LOCKOUT_TIME
#define SKEW TB_SKEW

#define ALICE "sip:alice@home.example"		/* voice, message */
#define ALICE_PW "Roam-Wide-2026!"
#define BOB "sip:bob@home.example"		/* message only */
#define BOB_PW "Sunny-Harbor-77"
#define CAROL "sip:carol@home.example"
#define CAROL_PW "Quiet-Forest-31"
#define WRONG_PW "Guessing-Wrong-9"

/* tb_setup, and alice at home. */
static int
setup(void **state)
{
	tb_setup(state);
	tb_add(*state, ALICE, "alice", ALICE_PW, "voice,message", -1);
	return 0;
}

static enum rt_auth_result
auth(struct tb_fixture *fx, const char *visited, const struct rt_auth_request *req,
    struct rt_auth_response *resp)
{
	return tb_auth(fx->home, visited, req, resp, NULL);
}

/* A REGISTER of aor by user with password under alg, at visited. */
static enum rt_auth_result
login(struct tb_fixture *fx, const char *user, const char *aor, enum rt_digest_alg alg,
    const char *password, const char *visited, struct rt_auth_response *resp)
{
	struct rt_auth_request req;

	tb_request(&req, alg, user, aor);
	tb_answer(&req, password);
	return auth(fx, visited, &req, resp);
}

static enum rt_auth_result
alice(struct tb_fixture *fx, enum rt_digest_alg alg, const char *password,
    const char *visited, struct rt_auth_response *resp)
{
	return login(fx, "alice", ALICE, alg, password, visited, resp);
}

static void
expect_refused(const struct rt_auth_response *resp, enum rt_auth_result result,
    const char *reason)
{
	if (resp->result != result || strcmp(resp->reason, reason) != 0)
		fail_msg("answer %s \"%s\", want %s \"%s\"", rt_auth_result_name(resp->result),
		    resp->reason, rt_auth_result_name(result), reason);
	assert_false(resp->has_assertion);
}

static void
expect_services(const struct rt_assertion *a, const char *list)
{
	char got[256] = "";

	for (int i = 0; i < a->nservices; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s",
		    i > 0 ? "," : "", a->services[i]);
	assert_string_equal(got, list);
}

/* A success: the assertion is for visited, about alice-like pub/user,
 * issued now under the agreement home -> visited, lifetime as given. */
static void
expect_assertion(struct tb_fixture *fx, const struct rt_auth_response *resp,
    const char *visited, const char *pub, const char *user, const char *method,
    long lifetime)
{
	const struct rt_assertion *a = &resp->assertion;
	struct rt_agreement ag;

	if (resp->result != RT_AUTH_OK)
		fail_msg("answer %s \"%s\", want ok", rt_auth_result_name(resp->result),
		    resp->reason);
	assert_true(resp->has_assertion);
	assert_true(rt_uuid_valid(a->id));
	assert_int_equal(a->id[14], '7');	/* UUIDv7: time-ordered */
	assert_string_equal(a->issuer, HOME);
	assert_string_equal(a->audience, visited);
	assert_string_equal(a->public_id, pub);
	assert_string_equal(a->private_id, user);
	assert_string_equal(a->authn_method, method);
	assert_int_equal(a->authn_instant, fx->now);
	assert_int_equal(a->issued_at, fx->now);
	assert_int_equal(a->not_on_or_after, fx->now + lifetime);
	assert_int_equal(broker_agreement_for(fx->home, HOME, visited, fx->now, &ag), 0);
	assert_string_equal(a->agreement_ref, ag.id);
	assert_true(a->not_on_or_after - a->issued_at <= (time_t)ag.max_assertion);
}

/* ---- success ---- */

/*
 * qop=auth with each algorithm, into each realm: into visited (voice only,
 * max 600 s) alice's voice and message become voice and the lifetime is
 * the agreement's 600 s, not the broker's 1 h; into wide (voice and
 * message, max 2 h) she keeps both, for the broker's own 1 h.
 */
static void
test_success(void **state)
{
	static const struct {
		enum rt_digest_alg alg;
		const char *visited, *method, *services;
		long lifetime;
	} cases[] = {
		{RT_DIGEST_MD5, VISITED, "digest-md5", "voice", VISITED_MAX},
		{RT_DIGEST_SHA256, VISITED, "digest-sha256", "voice", VISITED_MAX},
		{RT_DIGEST_MD5, WIDE, "digest-md5", "voice,message", LIFETIME},
		{RT_DIGEST_SHA256, WIDE, "digest-sha256", "voice,message", LIFETIME},
	};
	struct tb_fixture *fx = *state;
	struct rt_auth_response resp;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(alice(fx, cases[i].alg, ALICE_PW, cases[i].visited, &resp),
		    RT_AUTH_OK);
		expect_assertion(fx, &resp, cases[i].visited, ALICE, "alice", cases[i].method,
		    cases[i].lifetime);
		expect_services(&resp.assertion, cases[i].services);
	}
	assert_int_equal(rt_counter_value(fx->home->metrics.auth[RT_AUTH_OK]), 4);
}

/* The other digest forms, each algorithm: qop=auth-int with the body
 * hash, the RFC 2069 form without qop, and the response in uppercase hex. */
static void
test_digest_forms(void **state)
{
	static const enum rt_digest_alg algs[2] = {RT_DIGEST_MD5, RT_DIGEST_SHA256};
	static const char *const methods[2] = {"digest-md5", "digest-sha256"};
	struct tb_fixture *fx = *state;
	struct rt_auth_request req;
	struct rt_auth_response resp;

	for (int i = 0; i < 2; i++) {
		tb_request(&req, algs[i], "alice", ALICE);
		snprintf(req.qop, sizeof(req.qop), "auth-int");
		tb_answer(&req, ALICE_PW);
		auth(fx, VISITED, &req, &resp);
		expect_assertion(fx, &resp, VISITED, ALICE, "alice", methods[i], VISITED_MAX);
		/* the body hash is what the response covers */
		req.body_hash[0] = req.body_hash[0] == '0' ? '1' : '0';
		auth(fx, VISITED, &req, &resp);
		expect_refused(&resp, RT_AUTH_WRONG_CREDENTIALS, "wrong credentials");

		tb_request(&req, algs[i], "alice", ALICE);
		req.qop[0] = req.nc[0] = req.cnonce[0] = '\0';
		tb_answer(&req, ALICE_PW);
		auth(fx, VISITED, &req, &resp);
		expect_assertion(fx, &resp, VISITED, ALICE, "alice", methods[i], VISITED_MAX);

		tb_request(&req, algs[i], "alice", ALICE);
		tb_answer(&req, ALICE_PW);
		for (char *p = req.response; *p != '\0'; p++)
			if (*p >= 'a' && *p <= 'f')
				*p = (char)(*p - 'a' + 'A');
		auth(fx, VISITED, &req, &resp);
		expect_assertion(fx, &resp, VISITED, ALICE, "alice", methods[i], VISITED_MAX);
	}
	/* each wrong body hash counted, and reset by the success after it */
	assert_int_equal(tb_subscriber(fx, "alice").failed, 0);
}

/* Every success has an id of its own, even within one millisecond (the
 * clock is fixed): the ledger and the visited realm key on it. */
static void
test_unique_ids(void **state)
{
	enum { N = 32 };
	struct tb_fixture *fx = *state;
	struct rt_auth_response resp;
	char ids[N][RT_ID_MAX];

	for (int i = 0; i < N; i++) {
		assert_int_equal(alice(fx, i % 2 ? RT_DIGEST_SHA256 : RT_DIGEST_MD5,
		    ALICE_PW, i % 3 ? VISITED : WIDE, &resp), RT_AUTH_OK);
		memcpy(ids[i], resp.assertion.id, RT_ID_MAX);
		for (int j = 0; j < i; j++)
			assert_string_not_equal(ids[i], ids[j]);
	}
	assert_int_equal(rt_counter_value(fx->home->metrics.auth[RT_AUTH_OK]), N);
}

/* ---- services and agreements ---- */

/* Services asked for must be in common; a subscriber with none in common
 * with the agreement (or none at all) is refused, whatever the password. */
static void
test_services(void **state)
{
	struct tb_fixture *fx = *state;
	struct rt_auth_request req;
	struct rt_auth_response resp;

	tb_add(fx, BOB, "bob", BOB_PW, "message", -1);
	tb_add(fx, "sip:dave@home.example", "dave", "Tall-Mountain-48", "", -1);
	/* what the visited realm asks for must be in common */
	tb_request(&req, RT_DIGEST_SHA256, "alice", ALICE);
	snprintf(req.services[req.nservices++], RT_SERVICE_MAX, "voice");
	tb_answer(&req, ALICE_PW);
	auth(fx, VISITED, &req, &resp);
	expect_assertion(fx, &resp, VISITED, ALICE, "alice", "digest-sha256", VISITED_MAX);
	expect_services(&resp.assertion, "voice");
	snprintf(req.services[req.nservices++], RT_SERVICE_MAX, "message");
	auth(fx, VISITED, &req, &resp);
	expect_refused(&resp, RT_AUTH_NO_SERVICE, "service not allowed");
	/* bob's only service is not in visited's agreement; it is in wide's */
	tb_request(&req, RT_DIGEST_MD5, "bob", BOB);
	tb_answer(&req, BOB_PW);
	auth(fx, VISITED, &req, &resp);
	expect_refused(&resp, RT_AUTH_NO_SERVICE, "no service in common");
	auth(fx, WIDE, &req, &resp);
	expect_assertion(fx, &resp, WIDE, BOB, "bob", "digest-md5", LIFETIME);
	expect_services(&resp.assertion, "message");
	/* dave has no service at all */
	tb_request(&req, RT_DIGEST_MD5, "dave", "sip:dave@home.example");
	tb_answer(&req, "Tall-Mountain-48");
	auth(fx, WIDE, &req, &resp);
	expect_refused(&resp, RT_AUTH_NO_SERVICE, "no service in common");
	assert_int_equal(rt_counter_value(fx->home->metrics.auth[RT_AUTH_NO_SERVICE]), 3);
}

/* No agreement with the asking realm, or not the one the request names:
 * refused whatever the credentials, before any are checked. */
static void
test_no_agreement(void **state)
{
	struct tb_fixture *fx = *state;
	struct rt_auth_request req;
	struct rt_auth_response resp;
	struct rt_agreement wide;

	assert_int_equal(alice(fx, RT_DIGEST_MD5, ALICE_PW, OTHER, &resp),
	    RT_AUTH_NO_AGREEMENT);
	expect_refused(&resp, RT_AUTH_NO_AGREEMENT, "no valid roaming agreement");
	alice(fx, RT_DIGEST_MD5, WRONG_PW, OTHER, &resp);
	expect_refused(&resp, RT_AUTH_NO_AGREEMENT, "no valid roaming agreement");
	assert_int_equal(tb_subscriber(fx, "alice").failed, 0);	/* never checked */

	/* the agreement the visited realm names must be the one with it */
	assert_int_equal(broker_agreement_for(fx->home, HOME, WIDE, fx->now, &wide), 0);
	tb_request(&req, RT_DIGEST_MD5, "alice", ALICE);
	memcpy(req.agreement_ref, wide.id, RT_ID_MAX);
	tb_answer(&req, ALICE_PW);
	auth(fx, VISITED, &req, &resp);
	expect_refused(&resp, RT_AUTH_NO_AGREEMENT, "no valid roaming agreement");
	auth(fx, WIDE, &req, &resp);
	expect_assertion(fx, &resp, WIDE, ALICE, "alice", "digest-md5", LIFETIME);

	/* the agreement lets home's subscribers into visited, not the reverse */
	tb_visited(fx);
	tb_request(&req, RT_DIGEST_MD5, "alice", ALICE);
	tb_answer(&req, ALICE_PW);
	tb_auth(fx->visited, HOME, &req, &resp, NULL);
	expect_refused(&resp, RT_AUTH_NO_AGREEMENT, "no valid roaming agreement");
}

/* ---- wrong credentials: the visited realm challenges again ---- */

/* A wrong password, an unknown user, a known user claiming another's
 * AOR, another digest realm, a response for another nonce and a response
 * that is not hex get the same answer, byte for byte: no enumeration. Only
 * the existing subscriber's wrong password counts as a failure. */
static void
test_wrong_credentials(void **state)
{
	struct tb_fixture *fx = *state;
	struct rt_auth_request req;
	struct rt_auth_response resp;
	struct rt_buf first, bytes;

	tb_add(fx, BOB, "bob", BOB_PW, "message", -1);
	rt_buf_init(&first, RT_FRAME_MAX_ITEM);
	rt_buf_init(&bytes, RT_FRAME_MAX_ITEM);
	for (int i = 0; i < 8; i++) {
		tb_request(&req, i % 2 ? RT_DIGEST_SHA256 : RT_DIGEST_MD5, "alice", ALICE);
		switch (i / 2) {
		case 0:		/* wrong password */
			tb_answer(&req, WRONG_PW);
			break;
		case 1:		/* nobody of that name (with the right password) */
			snprintf(req.username, sizeof(req.username), "alicia");
			tb_answer(&req, ALICE_PW);
			break;
		case 2:		/* bob's own password, for alice's AOR */
			snprintf(req.username, sizeof(req.username), "bob");
			tb_answer(&req, BOB_PW);
			break;
		default:	/* alice's password in another digest realm */
			snprintf(req.digest_realm, sizeof(req.digest_realm), VISITED);
			tb_answer(&req, ALICE_PW);
			break;
		}
		rt_buf_reset(&bytes);
		tb_auth(fx->home, VISITED, &req, &resp, &bytes);
		expect_refused(&resp, RT_AUTH_WRONG_CREDENTIALS, "wrong credentials");
		if (i == 0)
			assert_int_equal(rt_buf_append(&first, bytes.data, bytes.len), 0);
		else if (bytes.len != first.len || memcmp(bytes.data, first.data, first.len) != 0)
			fail_msg("case %d answers otherwise: %.*s", i, (int)bytes.len,
			    (const char *)bytes.data);
	}
	assert_int_equal(tb_subscriber(fx, "alice").failed, 2);
	assert_int_equal(tb_subscriber(fx, "bob").failed, 0);
	/* (a success resets alice's count, which would lock her at 3) */
	assert_int_equal(alice(fx, RT_DIGEST_MD5, ALICE_PW, VISITED, &resp), RT_AUTH_OK);
	/* right password, response made for another nonce */
	tb_request(&req, RT_DIGEST_SHA256, "alice", ALICE);
	tb_answer(&req, ALICE_PW);
	snprintf(req.nonce, sizeof(req.nonce), "another-nonce");
	auth(fx, VISITED, &req, &resp);
	expect_refused(&resp, RT_AUTH_WRONG_CREDENTIALS, "wrong credentials");
	/* a response that is not a digest at all */
	tb_request(&req, RT_DIGEST_MD5, "alice", ALICE);
	snprintf(req.response, sizeof(req.response), "not-a-hex-digest");
	auth(fx, VISITED, &req, &resp);
	expect_refused(&resp, RT_AUTH_WRONG_CREDENTIALS, "wrong credentials");
	assert_int_equal(tb_subscriber(fx, "alice").failed, 2);
	assert_int_equal(rt_counter_value(fx->home->metrics.auth[RT_AUTH_WRONG_CREDENTIALS]),
	    10);
	rt_buf_fini(&first);
	rt_buf_fini(&bytes);
}

/* ---- the account's state: 403 at the visited realm ---- */

/*
 * LOCKOUT_AFTER failures in a row lock alice for LOCKOUT_TIME; a success
 * before that resets the count. The failure that locks is answered like
 * any other. While locked, her password and a guess get the same answer
 * (a guesser must not learn that a guess was right) and neither is
 * recorded. Once the lock is over, her password works again and the count
 * starts afresh.
 */
static void
test_lockout(void **state)
{
	struct tb_fixture *fx = *state;
	struct rt_auth_response resp, guess;
	struct broker_subscriber s;

	for (int i = 0; i < LOCKOUT_AFTER - 1; i++)
		alice(fx, RT_DIGEST_MD5, WRONG_PW, VISITED, &resp);
	assert_int_equal(tb_subscriber(fx, "alice").failed, LOCKOUT_AFTER - 1);
	assert_int_equal(alice(fx, RT_DIGEST_SHA256, ALICE_PW, VISITED, &resp), RT_AUTH_OK);
	s = tb_subscriber(fx, "alice");
	assert_int_equal(s.failed, 0);		/* the success reset it */
	assert_int_equal(s.locked_until, 0);

	for (int i = 0; i < LOCKOUT_AFTER - 1; i++)
		alice(fx, RT_DIGEST_MD5, WRONG_PW, VISITED, &resp);
	assert_int_equal(alice(fx, RT_DIGEST_SHA256, ALICE_PW, VISITED, &resp), RT_AUTH_OK);
	for (int i = 0; i < LOCKOUT_AFTER; i++) {
		alice(fx, RT_DIGEST_MD5, WRONG_PW, VISITED, &resp);
		expect_refused(&resp, RT_AUTH_WRONG_CREDENTIALS, "wrong credentials");
	}
	s = tb_subscriber(fx, "alice");
	assert_int_equal(s.failed, LOCKOUT_AFTER);
	assert_int_equal(s.locked_until, fx->now + LOCKOUT_TIME);

	for (int i = 0; i < 2; i++) {	/* the lock's first second, and its last */
		rt_time_set_now(fx->now + i * (LOCKOUT_TIME - 1));
		alice(fx, RT_DIGEST_SHA256, ALICE_PW, VISITED, &resp);
		expect_refused(&resp, RT_AUTH_LOCKED, "locked after failed attempts");
		alice(fx, RT_DIGEST_SHA256, WRONG_PW, VISITED, &guess);
		expect_refused(&guess, RT_AUTH_LOCKED, "locked after failed attempts");
	}
	/* nothing recorded while locked: the lock ends when it was to */
	s = tb_subscriber(fx, "alice");
	assert_int_equal(s.failed, LOCKOUT_AFTER);
	assert_int_equal(s.locked_until, fx->now + LOCKOUT_TIME);

	fx->now += LOCKOUT_TIME;
	rt_time_set_now(fx->now);
	assert_int_equal(alice(fx, RT_DIGEST_MD5, ALICE_PW, VISITED, &resp), RT_AUTH_OK);
	expect_assertion(fx, &resp, VISITED, ALICE, "alice", "digest-md5", VISITED_MAX);
	s = tb_subscriber(fx, "alice");
	assert_int_equal(s.failed, 0);
	assert_int_equal(s.locked_until, 0);
	alice(fx, RT_DIGEST_MD5, WRONG_PW, VISITED, &resp);
	assert_int_equal(tb_subscriber(fx, "alice").failed, 1);
	assert_int_equal(rt_counter_value(fx->home->metrics.auth[RT_AUTH_LOCKED]), 4);
}

/* A disabled subscriber is told so only with the right password; a guess
 * is wrong credentials (and counts). Enabled again, she is back. */
static void
test_disabled(void **state)
{
	struct tb_fixture *fx = *state;
	struct rt_auth_response resp;

	assert_int_equal(broker_subscriber_set_enabled(fx->home->subscribers, ALICE, 0), 0);
	alice(fx, RT_DIGEST_SHA256, ALICE_PW, VISITED, &resp);
	expect_refused(&resp, RT_AUTH_DISABLED, "subscriber disabled");
	alice(fx, RT_DIGEST_MD5, ALICE_PW, WIDE, &resp);
	expect_refused(&resp, RT_AUTH_DISABLED, "subscriber disabled");
	alice(fx, RT_DIGEST_MD5, WRONG_PW, VISITED, &resp);
	expect_refused(&resp, RT_AUTH_WRONG_CREDENTIALS, "wrong credentials");
	assert_int_equal(tb_subscriber(fx, "alice").failed, 1);
	assert_int_equal(broker_subscriber_set_enabled(fx->home->subscribers, "alice", 1), 0);
	assert_int_equal(alice(fx, RT_DIGEST_MD5, ALICE_PW, VISITED, &resp), RT_AUTH_OK);
	assert_int_equal(tb_subscriber(fx, "alice").failed, 0);
}

/* A password past its maximum age (carol's own, 1 h): the right password
 * is told "expired" from the second it is due, a wrong one is wrong
 * credentials; a new password works again. */
static void
test_password_expired(void **state)
{
	struct tb_fixture *fx = *state;
	struct rt_auth_response resp;
	time_t set_at = fx->now;
	char why[256];

	tb_add(fx, CAROL, "carol", CAROL_PW, "voice,message", 3600);
	fx->now = set_at + 3599;
	rt_time_set_now(fx->now);
	assert_int_equal(login(fx, "carol", CAROL, RT_DIGEST_SHA256, CAROL_PW, VISITED,
	    &resp), RT_AUTH_OK);
	expect_assertion(fx, &resp, VISITED, CAROL, "carol", "digest-sha256", VISITED_MAX);
	fx->now = set_at + 3600;
	rt_time_set_now(fx->now);
	login(fx, "carol", CAROL, RT_DIGEST_SHA256, CAROL_PW, VISITED, &resp);
	expect_refused(&resp, RT_AUTH_PASSWORD_EXPIRED, "password expired");
	login(fx, "carol", CAROL, RT_DIGEST_MD5, CAROL_PW, WIDE, &resp);
	expect_refused(&resp, RT_AUTH_PASSWORD_EXPIRED, "password expired");
	login(fx, "carol", CAROL, RT_DIGEST_MD5, WRONG_PW, VISITED, &resp);
	expect_refused(&resp, RT_AUTH_WRONG_CREDENTIALS, "wrong credentials");
	/* alice's password has the policy's maximum age (a year) */
	assert_int_equal(alice(fx, RT_DIGEST_MD5, ALICE_PW, VISITED, &resp), RT_AUTH_OK);
	assert_int_equal(broker_subscriber_passwd(fx->home->subscribers,
	    &fx->home->password_policy, HOME, CAROL, "Fresh-Meadow-2031", fx->now, why,
	    sizeof(why)), 0);
	login(fx, "carol", CAROL, RT_DIGEST_MD5, CAROL_PW, VISITED, &resp);
	expect_refused(&resp, RT_AUTH_WRONG_CREDENTIALS, "wrong credentials");
	assert_int_equal(login(fx, "carol", CAROL, RT_DIGEST_MD5, "Fresh-Meadow-2031",
	    VISITED, &resp), RT_AUTH_OK);
}

/* ---- the answer waits for the ledger ---- */

struct ready_wait {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int calls;
	int index;			/* the last call's */
};

/* From the ledger's thread (no cmocka asserts here). */
static void
answer_ready(void *owner, int index)
{
	struct ready_wait *w = owner;

	pthread_mutex_lock(&w->lock);
	w->calls++;
	w->index = index;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

/* The AuthResponse the answer a encodes, as the visited realm reads it. */
static void
answer_read(struct broker_async *a, struct rt_auth_response *resp)
{
	struct rt_msg_in m;
	struct rt_buf xml;

	rt_buf_init(&xml, RT_FRAME_MAX_ITEM);
	assert_int_equal(a->encode(a, &xml), 0);
	tb_wire(&xml, &m);
	assert_int_equal(rt_auth_response_get(&m, resp), 0);
	rt_msg_in_fini(&m);
	rt_buf_fini(&xml);
}

/* A success is ready only once its assertion is in the ledger; a refusal
 * at once, with nothing to record. */
static void
test_answer_recorded(void **state)
{
	struct tb_fixture *fx = *state;
	struct ready_wait w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, -1};
	struct broker_async tmpl = {answer_ready, &w, 7, NULL}, *ok = NULL, *no = NULL;
	struct broker_ledger_assertion *pending = NULL;
	struct rt_auth_request req;
	struct rt_auth_response resp;
	char sql[256];

	tb_request(&req, RT_DIGEST_SHA256, "alice", ALICE);
	tb_answer(&req, WRONG_PW);
	assert_int_equal(broker_auth_answer(fx->home, VISITED, &req, &tmpl, &no, &pending), 0);
	assert_non_null(no);
	assert_null(pending);
	assert_int_equal(w.calls, 1);
	assert_int_equal(w.index, 7);
	answer_read(no, &resp);
	expect_refused(&resp, RT_AUTH_WRONG_CREDENTIALS, "wrong credentials");

	tb_answer(&req, ALICE_PW);
	assert_int_equal(broker_auth_answer(fx->home, VISITED, &req, &tmpl, &ok, &pending), 0);
	assert_non_null(ok);
	assert_non_null(pending);
	assert_null(pending->next);
	assert_int_equal(w.calls, 1);		/* not before the ledger has it */
	broker_ledger_assertions(fx->home->ledger, pending);
	pthread_mutex_lock(&w.lock);
	while (w.calls < 2)
		pthread_cond_wait(&w.cond, &w.lock);
	pthread_mutex_unlock(&w.lock);
	assert_int_equal(w.index, 7);
	answer_read(ok, &resp);
	expect_assertion(fx, &resp, VISITED, ALICE, "alice", "digest-sha256", VISITED_MAX);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM assertions WHERE id = '%s' AND "
	    "audience = '" VISITED "' AND not_on_or_after = %lld", resp.assertion.id,
	    (long long)resp.assertion.not_on_or_after);
	assert_int_equal(tl_query(fx->config.ledger_db, sql), 1);
	free(ok);		/* as the listener does */
	free(no);
}

/* ---- the visited side ---- */

/*
 * What the visited broker accepts of an assertion home issued: alice's,
 * for it, under their agreement; refused when issued by another realm,
 * for another audience, under another agreement, for a service the
 * agreement lacks, longer than its maximum, not yet valid or expired
 * (each beyond the clock skew).
 */
static void
test_check_assertion(void **state)
{
	struct tb_fixture *fx = *state;
	struct rt_auth_response resp, wide_resp;
	struct rt_agreement ag, wide;
	struct rt_assertion a, m;
	struct broker *v;

	tb_visited(fx);
	v = fx->visited;
	assert_int_equal(alice(fx, RT_DIGEST_SHA256, ALICE_PW, VISITED, &resp), RT_AUTH_OK);
	assert_int_equal(alice(fx, RT_DIGEST_SHA256, ALICE_PW, WIDE, &wide_resp), RT_AUTH_OK);
	a = resp.assertion;
	assert_int_equal(broker_agreement_for(v, HOME, VISITED, fx->now, &ag), 0);
	assert_int_equal(broker_agreement_for(fx->home, HOME, WIDE, fx->now, &wide), 0);
	assert_int_equal(broker_auth_check_assertion(v, HOME, &ag, &a), 0);

	assert_int_equal(broker_auth_check_assertion(v, WIDE, &ag, &a), RT_ERR_REALM);
	m = a;
	snprintf(m.issuer, sizeof(m.issuer), OTHER);
	assert_int_equal(broker_auth_check_assertion(v, HOME, &ag, &m), RT_ERR_REALM);
	assert_int_equal(broker_auth_check_assertion(v, HOME, &ag, &wide_resp.assertion),
	    RT_ERR_AUDIENCE);
	m = a;
	memcpy(m.agreement_ref, wide.id, RT_ID_MAX);
	assert_int_equal(broker_auth_check_assertion(v, HOME, &ag, &m), RT_ERR_NO_AGREEMENT);
	m = a;
	snprintf(m.services[m.nservices++], RT_SERVICE_MAX, "message");
	assert_int_equal(broker_auth_check_assertion(v, HOME, &ag, &m), RT_ERR_DENIED);
	m = a;
	m.not_on_or_after = m.issued_at + VISITED_MAX + 1;
	assert_int_equal(broker_auth_check_assertion(v, HOME, &ag, &m), RT_ERR_DENIED);

	/* the window, with the skew either side */
	m = a;
	m.issued_at = fx->now + SKEW;
	m.not_on_or_after = m.issued_at + VISITED_MAX;
	assert_int_equal(broker_auth_check_assertion(v, HOME, &ag, &m), 0);
	m.issued_at++;
	m.not_on_or_after++;
	assert_int_equal(broker_auth_check_assertion(v, HOME, &ag, &m), RT_ERR_NOT_YET_VALID);
	rt_time_set_now(a.not_on_or_after + SKEW - 1);
	assert_int_equal(broker_auth_check_assertion(v, HOME, &ag, &a), 0);
	rt_time_set_now(a.not_on_or_after + SKEW);
	assert_int_equal(broker_auth_check_assertion(v, HOME, &ag, &a), RT_ERR_EXPIRED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_success, setup, tb_teardown),
		cmocka_unit_test_setup_teardown(test_digest_forms, setup, tb_teardown),
		cmocka_unit_test_setup_teardown(test_unique_ids, setup, tb_teardown),
		cmocka_unit_test_setup_teardown(test_services, setup, tb_teardown),
		cmocka_unit_test_setup_teardown(test_no_agreement, setup, tb_teardown),
		cmocka_unit_test_setup_teardown(test_wrong_credentials, setup, tb_teardown),
		cmocka_unit_test_setup_teardown(test_lockout, setup, tb_teardown),
		cmocka_unit_test_setup_teardown(test_disabled, setup, tb_teardown),
		cmocka_unit_test_setup_teardown(test_password_expired, setup, tb_teardown),
		cmocka_unit_test_setup_teardown(test_answer_recorded, setup, tb_teardown),
		cmocka_unit_test_setup_teardown(test_check_assertion, setup, tb_teardown),
	};

	rt_log_init("test_broker_auth", RT_LOG_STDERR, RT_LOG_ERR);
	return cmocka_run_group_tests(tests, tb_fed_setup, tb_fed_teardown);
}
