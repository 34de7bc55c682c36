/*
 * The agent's policy in process, before a roamer is registered: the config
 * as loaded, local subscribers passed through, the digest challenge of a
 * REGISTER (both algorithms, Security-Server, the nonce bound to the flow
 * and the home realm), the digest uri (the Request-URI, or one of our
 * proxies as sipp sends it), what the agent refuses on its own (forged,
 * stale and replayed nonces, a digest uri that is neither, a downgraded
 * security agreement, third-party registration, malformed SIP), the 503
 * when the broker is absent, and the failure limiter per source and per
 * identity. The bindings table and the limiter on their own are in
 * test_agent_binding.c, requests of registered roamers in
 * test_agent_policy.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helper_agent.h"
#include "rt_codec.h"

#define UNAVAILABLE "Service Unavailable\r\nRetry-After: 7\r\n"
#define SEC_CLIENT "Security-Client: digest\r\n"
#define CHALLENGE_START \
	"Unauthorized\r\nWWW-Authenticate: Digest realm=\"" HOME "\", nonce=\""

/* REGISTER of alice from UA_IP:port: challenged, fx->nonce set. */
static void
challenge(struct agent_fixture *fx, int port)
{
	char want[1024];

	agent_run(fx, UA_IP, port, &(struct sip_req){0});
	agent_challenge_text(fx, 0, 0, 0, want, sizeof(want));
	agent_expect(fx->check, 401, want);
}

/* REGISTER of user (AOR sip:user@home.example) from src:port answering
 * nonce (nc 00000001) with extra headers after the credentials. */
static struct agent_check *
register_with(struct agent_fixture *fx, const char *src, int port, const char *user,
    enum rt_digest_alg alg, const char *nonce, const char *uri, const char *more)
{
	char cred[1024], extra[2048], aor[128];

	agent_credentials("Authorization", alg, user, nonce, uri, "REGISTER", "00000001",
	    cred, sizeof(cred));
	snprintf(extra, sizeof(extra), "%s%s", cred, more != NULL ? more : "");
	snprintf(aor, sizeof(aor), "sip:%s@" HOME, user);
	return agent_run(fx, src, port, &(struct sip_req){.from = aor, .to = aor,
	    .extra = extra});
}

static void
test_config(void **state)
{
	struct agent_fixture *fx = *state;
	const struct agent_config *ac = &fx->config;

	assert_string_equal(ac->realm, VISITED);
	assert_int_equal(ac->nlocal_realms, 2);
	assert_string_equal(ac->local_realms[1], LOCAL2);
	assert_int_equal(ac->nalgorithms, 2);
	assert_int_equal(ac->algorithms[0], RT_DIGEST_SHA256);
	assert_int_equal(ac->algorithms[1], RT_DIGEST_MD5);
	assert_int_equal(ac->nonce_lifetime, NONCE_LIFETIME);
	assert_int_equal(ac->nonce_rotate, 3600);	/* the default */
	assert_int_equal(ac->retry_after, RETRY_AFTER);
	assert_int_equal(ac->nproxy_uris, 2);
	assert_string_equal(ac->proxy_uris[1], PROXY_IP ":5070");
	assert_string_equal(ac->security_server, SEC_SERVER);
	assert_int_equal(ac->fail_limit_source, FAIL_LIMIT_SOURCE);
	assert_int_equal(ac->ban_time, BAN_TIME);
	assert_int_equal(ac->date_window, DATE_WINDOW);
	assert_int_equal(ac->auth_timeout_ms, AUTH_TIMEOUT * 1000);
	assert_int_equal(ac->max_expires, MAX_EXPIRES);
	/* defaults from the key table */
	assert_string_equal(ac->listen, "127.0.0.1:8080");
	assert_int_equal(ac->broker_contexts, 64);
	assert_true(strncmp(ac->admin_socket, "ipc://", 6) == 0);
	/* not started: no broker slot, no binding */
	assert_int_equal(fx->agent->nbslots, 0);
	assert_int_equal(agent_bindings_count(fx->agent->bindings), 0);
	rt_time_set_now(0);
}

static void
test_local_pass(void **state)
{
	struct agent_fixture *fx = *state;
	const char *bob = "sip:bob@" VISITED, *dave = "sip:dave@" LOCAL2;

	/* REGISTER of our own subscriber: the proxy's job */
	agent_run(fx, UA_IP, UA_PORT, &(struct sip_req){.ruri = "sip:" VISITED,
	    .from = bob, .to = bob});
	agent_expect(fx->check, 200, "");
	agent_run(fx, UA_IP, UA_PORT, &(struct sip_req){.ruri = "sip:" LOCAL2,
	    .from = dave, .to = dave});
	agent_expect(fx->check, 200, "");
	/* requests from our realms, to anyone, any method, even without Date */
	agent_run(fx, UA_IP, UA_PORT, &(struct sip_req){.method = "INVITE",
	    .from = bob, .to = ALICE, .ruri = ALICE});
	agent_expect(fx->check, 200, "");
	agent_run(fx, UA_IP, UA_PORT, &(struct sip_req){.method = "MESSAGE",
	    .from = "sip:DAVE@Local.Example", .body = "hello"});
	agent_expect(fx->check, 200, "");
	/* a PAI from a local subscriber is the proxy's to deal with */
	assert_int_equal(rt_counter_value(fx->agent->metrics.pai_stripped), 0);
	rt_time_set_now(0);
}

static void
test_register_challenge(void **state)
{
	struct agent_fixture *fx = *state;
	char want[1024], client[160];
	const char *body;

	agent_run(fx, UA_IP, UA_PORT, &(struct sip_req){0});
	agent_challenge_text(fx, 0, 0, 0, want, sizeof(want));
	agent_expect(fx->check, 401, want);
	body = rt_buf_str(&fx->check->body);
	assert_true(strncmp(body, CHALLENGE_START, strlen(CHALLENGE_START)) == 0);
	/* the nonce is ours, for this flow and this home realm only */
	snprintf(client, sizeof(client), "%s|%s", UA_FLOW, HOME);
	assert_int_equal(rt_nonce_check(fx->agent->nonces, fx->nonce, client,
	    rt_time_now()), 0);
	assert_int_equal(rt_nonce_check(fx->agent->nonces, fx->nonce,
	    "udp:" UA_IP ":5061|" HOME, rt_time_now()), RT_ERR_SIG_BAD);
	assert_int_equal(rt_nonce_check(fx->agent->nonces, fx->nonce,
	    "tcp:" UA_IP ":5060|" HOME, rt_time_now()), RT_ERR_SIG_BAD);
	assert_int_equal(rt_nonce_check(fx->agent->nonces, fx->nonce,
	    UA_FLOW "|other.example", rt_time_now()), RT_ERR_SIG_BAD);

	/* the UA offers RFC 3329: we answer with our Security-Server */
	agent_run(fx, UA_IP, UA_PORT, &(struct sip_req){.extra = SEC_CLIENT});
	agent_challenge_text(fx, 0, 0, 1, want, sizeof(want));
	agent_expect(fx->check, 401, want);

	/* credentials for another realm are not an answer: challenged */
	agent_run(fx, UA_IP, UA_PORT, &(struct sip_req){.extra =
	    "Authorization: Digest username=\"alice\", realm=\"other.example\", "
	    "nonce=\"abc\", uri=\"sip:" HOME "\", response=\"0123456789abcdef"
	    "0123456789abcdef\"\r\n"});
	agent_challenge_text(fx, 0, 0, 0, want, sizeof(want));
	agent_expect(fx->check, 401, want);
	assert_string_equal(fx->check->reason, "challenge");
	rt_time_set_now(0);
}

static void
test_register_broker_absent(void **state)
{
	struct agent_fixture *fx = *state;
	char nonce[RT_NONCE_LEN + 1], want[1024];

	challenge(fx, UA_PORT);
	snprintf(nonce, sizeof(nonce), "%s", fx->nonce);
	/* everything checks here, the home realm cannot be asked: 503 */
	register_with(fx, UA_IP, UA_PORT, "alice", RT_DIGEST_SHA256, nonce, "sip:" HOME,
	    NULL);
	agent_expect(fx->check, 503, UNAVAILABLE);
	assert_string_equal(fx->check->reason, "broker_unavailable");
	/* the same nonce and nc again is a replay, not another 503 */
	register_with(fx, UA_IP, UA_PORT, "alice", RT_DIGEST_SHA256, nonce, "sip:" HOME,
	    NULL);
	agent_challenge_text(fx, 0, 0, 0, want, sizeof(want));
	agent_expect(fx->check, 401, want);
	assert_string_equal(fx->check->reason, "nonce_replay");
	assert_string_not_equal(fx->nonce, nonce);	/* a new nonce */
	/* the same request from another flow: not its nonce */
	register_with(fx, UA_IP, UA_PORT + 1, "alice", RT_DIGEST_SHA256, nonce,
	    "sip:" HOME, NULL);
	agent_challenge_text(fx, 0, 0, 0, want, sizeof(want));
	agent_expect(fx->check, 401, want);
	assert_string_equal(fx->check->reason, "bad_nonce");
	/* (alice has 2 failures now, the limit is 3: bob goes on) */

	/* MD5, and a digest uri that differs only where RFC 3261 allows */
	challenge(fx, UA_PORT);
	register_with(fx, UA_IP, UA_PORT, "alice", RT_DIGEST_MD5, fx->nonce,
	    "sip:HOME.example:5060", NULL);
	agent_expect(fx->check, 503, UNAVAILABLE);

	/* RFC 2069 style, without qop: the nonce serves once */
	challenge(fx, UA_PORT);
	snprintf(nonce, sizeof(nonce), "%s", fx->nonce);
	{
		char cred[1024];

		agent_credentials("Authorization", RT_DIGEST_MD5, "bob", nonce,
		    "sip:" HOME, "REGISTER", NULL, cred, sizeof(cred));
		agent_run(fx, UA_IP, UA_PORT, &(struct sip_req){.from = BOB_HOME,
		    .to = BOB_HOME, .extra = cred});
		agent_expect(fx->check, 503, UNAVAILABLE);
		agent_run(fx, UA_IP, UA_PORT, &(struct sip_req){.from = BOB_HOME,
		    .to = BOB_HOME, .extra = cred});
		assert_int_equal(fx->check->status, 401);
		assert_string_equal(fx->check->reason, "nonce_replay");
	}
	/* a later nc of the same nonce is fine, an earlier one is not */
	challenge(fx, UA_PORT);
	snprintf(nonce, sizeof(nonce), "%s", fx->nonce);
	{
		char cred[1024];

		agent_credentials("Authorization", RT_DIGEST_SHA256, "carol", nonce,
		    "sip:" HOME, "REGISTER", "00000002", cred, sizeof(cred));
		agent_run(fx, UA_IP, UA_PORT, &(struct sip_req){.from = "sip:carol@" HOME,
		    .to = "sip:carol@" HOME, .extra = cred});
		agent_expect(fx->check, 503, UNAVAILABLE);
		agent_credentials("Authorization", RT_DIGEST_SHA256, "carol", nonce,
		    "sip:" HOME, "REGISTER", "0000000a", cred, sizeof(cred));
		agent_run(fx, UA_IP, UA_PORT, &(struct sip_req){.from = "sip:carol@" HOME,
		    .to = "sip:carol@" HOME, .extra = cred});
		agent_expect(fx->check, 503, UNAVAILABLE);
	}
	register_with(fx, UA_IP, UA_PORT, "carol", RT_DIGEST_SHA256, nonce, "sip:" HOME,
	    NULL);
	assert_int_equal(fx->check->status, 401);
	assert_string_equal(fx->check->reason, "nonce_replay");
	rt_time_set_now(0);
}

static void
test_register_forged_nonce(void **state)
{
	struct agent_fixture *fx = *state;
	char want[1024], nonce[RT_NONCE_LEN + 1];

	/* not a nonce of ours at all */
	register_with(fx, UA_IP, UA_PORT, "alice", RT_DIGEST_SHA256, "bm9ub25jZQ",
	    "sip:" HOME, NULL);
	agent_challenge_text(fx, 0, 0, 0, want, sizeof(want));
	agent_expect(fx->check, 401, want);
	assert_string_equal(fx->check->reason, "bad_nonce");
	/* one of ours, one character changed (in the tag) */
	challenge(fx, UA_PORT);
	snprintf(nonce, sizeof(nonce), "%s", fx->nonce);
	nonce[RT_NONCE_LEN - 2] = nonce[RT_NONCE_LEN - 2] == 'A' ? 'B' : 'A';
	register_with(fx, UA_IP, UA_PORT, "alice", RT_DIGEST_SHA256, nonce, "sip:" HOME,
	    NULL);
	agent_challenge_text(fx, 0, 0, 0, want, sizeof(want));
	agent_expect(fx->check, 401, want);
	assert_string_equal(fx->check->reason, "bad_nonce");
	rt_time_set_now(0);
}

static void
test_register_stale_nonce(void **state)
{
	struct agent_fixture *fx = *state;
	char want[1024], nonce[RT_NONCE_LEN + 1];

	challenge(fx, UA_PORT);
	snprintf(nonce, sizeof(nonce), "%s", fx->nonce);
	/* at the end of its life it still serves */
	rt_time_set_now(AGENT_T0 + NONCE_LIFETIME);
	register_with(fx, UA_IP, UA_PORT, "alice", RT_DIGEST_SHA256, nonce, "sip:" HOME,
	    NULL);
	agent_expect(fx->check, 503, UNAVAILABLE);
	/* a second later it is stale: challenged with stale=true, on both lines */
	rt_time_set_now(AGENT_T0 + NONCE_LIFETIME + 1);
	register_with(fx, UA_IP, UA_PORT, "alice", RT_DIGEST_SHA256, nonce, "sip:" HOME,
	    SEC_CLIENT);
	agent_challenge_text(fx, 0, 1, 1, want, sizeof(want));
	agent_expect(fx->check, 401, want);
	assert_string_equal(fx->check->reason, "stale_nonce");
	/* and the fresh nonce of that challenge works */
	snprintf(nonce, sizeof(nonce), "%s", fx->nonce);
	register_with(fx, UA_IP, UA_PORT, "alice", RT_DIGEST_SHA256, nonce, "sip:" HOME,
	    NULL);
	agent_expect(fx->check, 503, UNAVAILABLE);
	rt_time_set_now(0);
}

static void
test_register_refusals(void **state)
{
	struct agent_fixture *fx = *state;

	/* digest uri is not the Request-URI */
	challenge(fx, UA_PORT);
	register_with(fx, UA_IP, UA_PORT, "alice", RT_DIGEST_SHA256, fx->nonce,
	    "sip:other.example", NULL);
	agent_expect(fx->check, 403, "Forbidden (digest uri is not the Request-URI)\r\n");
	challenge(fx, UA_PORT);
	register_with(fx, UA_IP, UA_PORT, "alice", RT_DIGEST_SHA256, fx->nonce,
	    "sip:" HOME ":5070", NULL);
	agent_expect(fx->check, 403, "Forbidden (digest uri is not the Request-URI)\r\n");
	challenge(fx, UA_PORT);
	register_with(fx, UA_IP, UA_PORT, "alice", RT_DIGEST_SHA256, fx->nonce,
	    "not a uri", NULL);
	agent_expect(fx->check, 403, "Forbidden (digest uri is not the Request-URI)\r\n");
	/* credentials that do not parse are none: challenged */
	agent_run(fx, UA_IP, UA_PORT, &(struct sip_req){.extra =
	    "Authorization: Digest username=\"alice\", realm=\"" HOME "\", "
	    "nonce=\"unterminated\r\n"});
	assert_int_equal(fx->check->status, 401);
	assert_string_equal(fx->check->reason, "challenge");
	agent_run(fx, UA_IP, UA_PORT, &(struct sip_req){.extra =
	    "Authorization: Basic YWxpY2U6c2VjcmV0\r\n"});
	assert_int_equal(fx->check->status, 401);
	assert_string_equal(fx->check->reason, "challenge");

	/* Security-Client offered, Security-Verify missing: a downgrade */
	challenge(fx, UA_PORT);
	register_with(fx, UA_IP, UA_PORT, "alice", RT_DIGEST_SHA256, fx->nonce,
	    "sip:" HOME, SEC_CLIENT);
	agent_expect(fx->check, 403, "Forbidden (security agreement mismatch)\r\n");
	/* ... or not repeating our Security-Server */
	challenge(fx, UA_PORT);
	register_with(fx, UA_IP, UA_PORT, "alice", RT_DIGEST_SHA256, fx->nonce,
	    "sip:" HOME, SEC_CLIENT "Security-Verify: digest;q=0.5\r\n");
	agent_expect(fx->check, 403, "Forbidden (security agreement mismatch)\r\n");
	/* a Security-Verify that is not ours, even without Security-Client */
	challenge(fx, UA_PORT);
	register_with(fx, UA_IP, UA_PORT, "alice", RT_DIGEST_SHA256, fx->nonce,
	    "sip:" HOME, "Security-Verify: digest;q=0.5\r\n");
	agent_expect(fx->check, 403, "Forbidden (security agreement mismatch)\r\n");
	/* kept: on to the home realm */
	challenge(fx, UA_PORT);
	register_with(fx, UA_IP, UA_PORT, "alice", RT_DIGEST_SHA256, fx->nonce,
	    "sip:" HOME, SEC_CLIENT "Security-Verify: " SEC_SERVER "\r\n");
	agent_expect(fx->check, 503, UNAVAILABLE);

	/* third-party registration: From is not To */
	agent_run(fx, UA_IP, UA_PORT, &(struct sip_req){.from = BOB_HOME});
	agent_expect(fx->check, 403, "Forbidden (third-party registration)\r\n");
	/* a To host that is not a realm */
	agent_run(fx, UA_IP, UA_PORT, &(struct sip_req){.from = "sip:alice@192.0.2.1",
	    .to = "sip:alice@192.0.2.1"});
	agent_expect(fx->check, 403, "Forbidden (not a realm)\r\n");
	/* a To without a user */
	agent_run(fx, UA_IP, UA_PORT, &(struct sip_req){.to = "sip:" HOME});
	agent_expect(fx->check, 400, "Bad Request (To)\r\n");
	rt_time_set_now(0);
}

/*
 * The digest uri that names our proxy rather than the Request-URI: sipp's
 * default (sip:REMOTE_IP:REMOTE_PORT). Accepted as proxy_uris lists it
 * (198.51.100.1:5070 with that port, proxy.visited.example with any), sip:
 * or sips:, without a user; anything else stays refused.
 */
static void
test_register_digest_uri_proxy(void **state)
{
	struct agent_fixture *fx = *state;
	static const char forbidden[] =
	    "Forbidden (digest uri is not the Request-URI)\r\n";
	static const struct {
		const char *uri;
		int accepted;
	} cases[] = {
		{"sip:" PROXY_IP ":5070", 1},
		{"sips:" PROXY_IP ":5070", 1},
		{"sip:" PROXY_IP ":5070;transport=udp", 1},
		{"sip:" PROXY_HOST, 1},
		{"sip:PROXY.Visited.Example:5080", 1},
		{"sip:" HOME, 1},			/* the Request-URI, as before */
		{"sip:" PROXY_IP, 0},			/* 5060, not 5070 */
		{"sip:" PROXY_IP ":5071", 0},
		{"sip:192.0.2.1:5070", 0},		/* another host */
		{"sip:" VISITED, 0},
		{"sip:" PROXY_HOST ".evil.example", 0},
		{"sip:alice@" PROXY_IP ":5070", 0},	/* a user: not the proxy */
		{"sip:alice@" PROXY_HOST, 0},
		{"sips:" HOME "@" PROXY_HOST, 0},
		{"tel:+15550100", 0},			/* another scheme */
		{"http://" PROXY_HOST "/", 0},
		{"urn:" PROXY_HOST, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int want = cases[i].accepted ? 503 : 403;

		challenge(fx, UA_PORT);
		register_with(fx, UA_IP, UA_PORT, "alice", RT_DIGEST_MD5, fx->nonce,
		    cases[i].uri, NULL);
		if (fx->check->status != want)
			fail_msg("digest uri %s: %d %s, not %d", cases[i].uri,
			    fx->check->status, fx->check->reason, want);
		/* accepted: on to the home realm (absent here) */
		agent_expect(fx->check, want,
		    cases[i].accepted ? UNAVAILABLE : forbidden);
		assert_string_equal(fx->check->reason,
		    cases[i].accepted ? "broker_unavailable" : "digest_uri");
	}
	rt_time_set_now(0);
}

static void
test_malformed(void **state)
{
	struct agent_fixture *fx = *state;
	static const char *const bad[] = {
		/* bare LF */
		"REGISTER sip:home.example SIP/2.0\nVia: SIP/2.0/UDP 192.0.2.10\n\n",
		/* no To */
		"REGISTER sip:home.example SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10\r\n"
		"From: <sip:alice@home.example>;tag=1\r\nCall-ID: a@b\r\n"
		"CSeq: 1 REGISTER\r\n\r\n",
		/* Content-Length is not the body's */
		"MESSAGE sip:carol@visited.example SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 192.0.2.10\r\nFrom: <sip:alice@home.example>;tag=1\r\n"
		"To: <sip:carol@visited.example>\r\nCall-ID: a@b\r\nCSeq: 1 MESSAGE\r\n"
		"Content-Length: 10\r\n\r\nhi",
		/* a response */
		"SIP/2.0 200 OK\r\n\r\n",
		"",
	};
	char text[2048];
	size_t len;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		agent_run_raw(fx, "udp", UA_IP, UA_PORT, bad[i], strlen(bad[i]));
		agent_expect(fx->check, 400, "Bad Request\r\n");
	}
	/* a NUL byte inside */
	len = agent_sip_text(&(struct sip_req){0}, text, sizeof(text));
	text[10] = '\0';
	agent_run_raw(fx, "udp", UA_IP, UA_PORT, text, len);
	agent_expect(fx->check, 400, "Bad Request\r\n");
	/* an unregistered flow's request whose From has no user */
	agent_run(fx, UA_IP, UA_PORT, &(struct sip_req){.method = "INVITE",
	    .from = "sip:" HOME});
	agent_expect(fx->check, 400, "Bad Request (From)\r\n");
	/* bigger than any SIP message: refused before a copy is made */
	{
		struct agent_check *c = NULL;

		assert_int_equal(agent_check_new(fx->agent, "udp", UA_IP, UA_PORT, text,
		    RT_SIP_MAX_MSG + 1, &c), RT_ERR_TOO_BIG);
		assert_null(c);
	}
	rt_time_set_now(0);
}

static void
test_nonce_evicted(void **state)
{
	struct agent_fixture *fx = *state;
	char first[RT_NONCE_LEN + 1], want[1024], cred[1024];

	/* the agent remembers the counts of MAX_BINDINGS nonces */
	for (int i = 0; i <= MAX_BINDINGS; i++) {
		challenge(fx, UA_PORT);
		if (i == 0)
			snprintf(first, sizeof(first), "%s", fx->nonce);
		register_with(fx, UA_IP, UA_PORT, "alice", RT_DIGEST_SHA256, fx->nonce,
		    "sip:" HOME, NULL);
		agent_expect(fx->check, 503, UNAVAILABLE);
	}
	/* the first one's count is forgotten: it may have been used, so it is
	 * stale (a new challenge), never accepted and not the UA's fault */
	agent_credentials("Authorization", RT_DIGEST_SHA256, "alice", first, "sip:" HOME,
	    "REGISTER", "00000002", cred, sizeof(cred));
	agent_run(fx, UA_IP, UA_PORT, &(struct sip_req){.extra = cred});
	agent_challenge_text(fx, 0, 1, 0, want, sizeof(want));
	agent_expect(fx->check, 401, want);
	assert_string_equal(fx->check->reason, "stale_nonce");
	rt_time_set_now(0);
}

/* A failed authentication from src as user: a forged nonce. */
static void
fail_once(struct agent_fixture *fx, const char *src, const char *user)
{
	char want[1024];

	register_with(fx, src, UA_PORT, user, RT_DIGEST_SHA256, "forged-nonce",
	    "sip:" HOME, NULL);
	agent_challenge_text(fx, 0, 0, 0, want, sizeof(want));
	agent_expect(fx->check, 401, want);
	assert_string_equal(fx->check->reason, "bad_nonce");
}

static void
test_limit_source(void **state)
{
	struct agent_fixture *fx = *state;
	char user[32];

	/* other usernames each time: only the source adds up */
	for (int i = 0; i < FAIL_LIMIT_SOURCE; i++) {
		snprintf(user, sizeof(user), "user%d", i);
		fail_once(fx, UA_IP, user);
	}
	/* banned: with or without credentials, any identity */
	agent_run(fx, UA_IP, UA_PORT, &(struct sip_req){0});
	agent_expect(fx->check, 403, "Forbidden\r\n");
	assert_string_equal(fx->check->reason, "banned");
	agent_run(fx, UA_IP, UA_PORT + 7, &(struct sip_req){0});
	agent_expect(fx->check, 403, "Forbidden\r\n");
	/* another source is not */
	agent_run(fx, "192.0.2.11", UA_PORT, &(struct sip_req){0});
	assert_int_equal(fx->check->status, 401);
	assert_string_equal(fx->check->reason, "challenge");
	/* local subscribers are not the limiter's business */
	agent_run(fx, UA_IP, UA_PORT, &(struct sip_req){.ruri = "sip:" VISITED,
	    .from = "sip:bob@" VISITED, .to = "sip:bob@" VISITED});
	agent_expect(fx->check, 200, "");
	/* still banned a second before the end */
	rt_time_set_now(AGENT_T0 + BAN_TIME - 1);
	agent_run(fx, UA_IP, UA_PORT, &(struct sip_req){0});
	agent_expect(fx->check, 403, "Forbidden\r\n");
	/* then allowed again, and a success path runs through */
	rt_time_set_now(AGENT_T0 + BAN_TIME);
	challenge(fx, UA_PORT);
	register_with(fx, UA_IP, UA_PORT, "alice", RT_DIGEST_SHA256, fx->nonce,
	    "sip:" HOME, NULL);
	agent_expect(fx->check, 503, UNAVAILABLE);
	/* the window started over: one failure does not ban again */
	fail_once(fx, UA_IP, "user9");
	challenge(fx, UA_PORT);
	rt_time_set_now(0);
}

static void
test_limit_identity(void **state)
{
	struct agent_fixture *fx = *state;
	char src[32];

	/* other sources each time: only the identity adds up */
	for (int i = 0; i < FAIL_LIMIT_IDENTITY; i++) {
		snprintf(src, sizeof(src), "192.0.2.%d", 20 + i);
		fail_once(fx, src, "mallory");
	}
	/* mallory's credentials are refused from anywhere, even with a good nonce */
	challenge(fx, UA_PORT);
	register_with(fx, UA_IP, UA_PORT, "mallory", RT_DIGEST_SHA256, fx->nonce,
	    "sip:" HOME, NULL);
	agent_expect(fx->check, 403, "Forbidden\r\n");
	assert_string_equal(fx->check->reason, "banned");
	/* without credentials she is only challenged (the ban is not told) */
	agent_run(fx, UA_IP, UA_PORT, &(struct sip_req){.from = "sip:mallory@" HOME,
	    .to = "sip:mallory@" HOME});
	assert_int_equal(fx->check->status, 401);
	/* alice is not affected */
	challenge(fx, UA_PORT);
	register_with(fx, UA_IP, UA_PORT, "alice", RT_DIGEST_SHA256, fx->nonce,
	    "sip:" HOME, NULL);
	agent_expect(fx->check, 503, UNAVAILABLE);
	/* after ban_time mallory may try again */
	rt_time_set_now(AGENT_T0 + BAN_TIME);
	challenge(fx, UA_PORT);
	register_with(fx, UA_IP, UA_PORT, "mallory", RT_DIGEST_SHA256, fx->nonce,
	    "sip:" HOME, NULL);
	agent_expect(fx->check, 503, UNAVAILABLE);
	rt_time_set_now(0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_config, agent_fixture_setup,
		    agent_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_local_pass, agent_fixture_setup,
		    agent_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_register_challenge,
		    agent_fixture_setup, agent_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_register_broker_absent,
		    agent_fixture_setup, agent_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_register_forged_nonce,
		    agent_fixture_setup, agent_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_register_stale_nonce,
		    agent_fixture_setup, agent_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_register_refusals,
		    agent_fixture_setup, agent_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_register_digest_uri_proxy,
		    agent_fixture_setup, agent_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_malformed, agent_fixture_setup,
		    agent_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_nonce_evicted, agent_fixture_setup,
		    agent_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_limit_source, agent_fixture_setup,
		    agent_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_limit_identity, agent_fixture_setup,
		    agent_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
