/*
 * The agent's round trip to the home realm, with a fake broker: an nng rep
 * socket on the agent's ipc:// broker URL that answers each AuthRequest as
 * the test says (agent_broker_start only: no HTTP). Covers what the agent
 * forwards (the digest answer as the UA sent it, the body hash of
 * auth-int), a registration recorded from the assertion (flow, contact,
 * Path up to 4, Expires capped) and deregistration; several AORs and
 * contacts on one flow, each deregistered alone; a full flow and a full
 * bindings table; every refusal of the home realm as its verdict; wrong
 * credentials counted by the failure limiter; assertions the agent
 * refuses (missing, another subscriber, another audience, expired); the
 * 407 re-authentication of an expired binding, of one gone meanwhile, and
 * sipp's (its digest uri our proxy's address); a broker that does not
 * answer in time and one that answers garbage: 503, never an allow.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helper_agent.h"
#include "rt_codec.h"

#define UNAVAILABLE "Service Unavailable\r\nRetry-After: 7\r\n"
#define PAI_ALICE "P-Asserted-Identity: <" ALICE ">\r\n"

struct home_fixture {
	struct agent_fixture *fx;	/* first: agent_fixture_teardown's state */
	nng_socket rep;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int done;
	struct rt_auth_request last;	/* what the agent sent */
};

static int
home_setup(void **state)
{
	struct home_fixture *h = calloc(1, sizeof(*h));

	assert_non_null(h);
	agent_fixture_setup((void **)&h->fx);
	assert_int_equal(nng_rep0_open(&h->rep), 0);
	assert_int_equal(nng_socket_set_ms(h->rep, NNG_OPT_RECVTIMEO, 5000), 0);
	assert_int_equal(nng_listen(h->rep, h->fx->config.broker, NULL, 0), 0);
	assert_int_equal(agent_broker_start(h->fx->agent), 0);
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->cond, NULL);
	*state = h;
	return 0;
}

static int
home_teardown(void **state)
{
	struct home_fixture *h = *state;

	agent_broker_stop(h->fx->agent);
	nng_close(h->rep);
	agent_fixture_teardown((void **)&h->fx);
	pthread_mutex_destroy(&h->lock);
	pthread_cond_destroy(&h->cond);
	free(h);
	return 0;
}

/* From an nng thread: the verdict is there. */
static void
check_done(struct agent_check *c)
{
	struct home_fixture *h = c->arg;

	pthread_mutex_lock(&h->lock);
	h->done = 1;
	pthread_cond_signal(&h->cond);
	pthread_mutex_unlock(&h->lock);
}

/* Starts req from UA_IP:port; returns agent_check_run's answer. */
static int
start(struct home_fixture *h, int port, const struct sip_req *req)
{
	struct agent_fixture *fx = h->fx;
	char text[8192];
	size_t len = agent_sip_text(req, text, sizeof(text));

	agent_check_free(fx->check);
	fx->check = NULL;
	assert_int_equal(agent_check_new(fx->agent, "udp", UA_IP, port, text, len,
	    &fx->check), 0);
	fx->check->done = check_done;
	fx->check->arg = h;
	h->done = 0;
	return agent_check_run(fx->check);
}

/* The next message to the broker, as an AuthRequest in h->last. */
static nng_msg *
receive(struct home_fixture *h)
{
	enum rt_msg_type type;
	xmlDocPtr doc = NULL;
	nng_msg *msg = NULL;

	assert_int_equal(nng_recvmsg(h->rep, &msg, 0), 0);
	assert_int_equal(rt_msg_parse(nng_msg_body(msg), nng_msg_len(msg), &type, &doc),
	    0);
	assert_int_equal(type, RT_MSG_AUTH_REQUEST);
	assert_int_equal(rt_auth_request_from_xml(doc, &h->last), 0);
	xmlFreeDoc(doc);
	return msg;
}

static void
answer_raw(struct home_fixture *h, nng_msg *msg, const void *data, size_t len)
{
	nng_msg_clear(msg);
	assert_int_equal(nng_msg_append(msg, data, len), 0);
	assert_int_equal(nng_sendmsg(h->rep, msg, 0), 0);
}

static void
answer(struct home_fixture *h, nng_msg *msg, const struct rt_auth_response *resp)
{
	struct rt_buf xml;

	rt_buf_init(&xml, 1 << 20);
	assert_int_equal(rt_auth_response_encode(resp, &xml), 0);
	answer_raw(h, msg, xml.data, xml.len);
	rt_buf_fini(&xml);
}

/* Waits (5 s at most) for the verdict. */
static void
wait_done(struct home_fixture *h)
{
	struct timespec until;
	int r = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	pthread_mutex_lock(&h->lock);
	while (!h->done && r == 0)
		r = pthread_cond_timedwait(&h->cond, &h->lock, &until);
	pthread_mutex_unlock(&h->lock);
	assert_true(h->done);
	agent_keep_nonce(h->fx);
}

/* An OK answer: alice's assertion for us, voice and message, until end. */
static void
ok_response(struct rt_auth_response *resp, const char *public_id, const char *audience,
    time_t end)
{
	struct rt_assertion *a = &resp->assertion;

	memset(resp, 0, sizeof(*resp));
	resp->result = RT_AUTH_OK;
	resp->has_assertion = 1;
	snprintf(a->id, sizeof(a->id), "0190f5a2-7b3c-4def-8123-000000000001");
	snprintf(a->issuer, sizeof(a->issuer), HOME);
	snprintf(a->audience, sizeof(a->audience), "%s", audience);
	snprintf(a->public_id, sizeof(a->public_id), "%s", public_id);
	snprintf(a->private_id, sizeof(a->private_id), "alice@" HOME);
	snprintf(a->services[a->nservices++], RT_SERVICE_MAX, "voice");
	snprintf(a->services[a->nservices++], RT_SERVICE_MAX, "message");
	snprintf(a->authn_method, sizeof(a->authn_method), "digest-sha256");
	a->authn_instant = a->issued_at = rt_time_now();
	a->not_on_or_after = end;
	snprintf(a->agreement_ref, sizeof(a->agreement_ref),
	    "0190f5a2-7b3c-7def-8123-456789abcdef");
}

/*
 * A REGISTER of user (at home.example) from UA_IP:port with contact,
 * answering a fresh challenge; the agent must send it to the broker.
 * Returns the request message to answer.
 */
static nng_msg *
register_user_sent(struct home_fixture *h, const char *user, int port,
    const char *contact, const char *more)
{
	struct agent_fixture *fx = h->fx;
	char aor[RT_URI_MAX], cred[1024], extra[2048];

	snprintf(aor, sizeof(aor), "sip:%s@" HOME, user);
	agent_run(fx, UA_IP, port, &(struct sip_req){.from = aor, .to = aor,
	    .contact = contact});
	assert_int_equal(fx->check->status, 401);
	agent_credentials("Authorization", RT_DIGEST_SHA256, user, fx->nonce,
	    "sip:" HOME, "REGISTER", "00000001", cred, sizeof(cred));
	snprintf(extra, sizeof(extra), "%s%s", cred, more != NULL ? more : "");
	assert_int_equal(start(h, port, &(struct sip_req){.from = aor, .to = aor,
	    .contact = contact, .extra = extra}), 1);
	return receive(h);
}

/* The same for alice. */
static nng_msg *
register_sent(struct home_fixture *h, int port, const char *contact, const char *more)
{
	return register_user_sent(h, "alice", port, contact, more);
}

/* user registers (or deregisters) contact from UA_IP:port, the home realm
 * vouching; the verdict's reason must be want. */
static void
register_user(struct home_fixture *h, const char *user, int port, const char *contact,
    const char *more, const char *want)
{
	struct rt_auth_response resp;
	char aor[RT_URI_MAX];
	nng_msg *msg = register_user_sent(h, user, port, contact, more);

	snprintf(aor, sizeof(aor), "sip:%s@" HOME, user);
	ok_response(&resp, aor, VISITED, AGENT_T0 + 600);
	answer(h, msg, &resp);
	wait_done(h);
	if (strcmp(h->fx->check->reason, want) != 0)
		fail_msg("REGISTER of %s (%s): %d %s, want %s", user,
		    contact != NULL ? contact : "default contact",
		    h->fx->check->status, h->fx->check->reason, want);
}

/* An INVITE from UA_IP:port whose From is user's AOR: the verdict must be
 * status, and the PAI user's (an allow) or body. */
static void
invite_from(struct home_fixture *h, const char *user, int port, int status,
    const char *body)
{
	char aor[RT_URI_MAX], pai[RT_URI_MAX + 32];

	snprintf(aor, sizeof(aor), "sip:%s@" HOME, user);
	snprintf(pai, sizeof(pai), "P-Asserted-Identity: <%s>\r\n", aor);
	agent_run(h->fx, UA_IP, port, &(struct sip_req){.method = "INVITE", .from = aor});
	agent_expect(h->fx->check, status, status == 200 ? pai : body);
}

static void
test_register(void **state)
{
	struct home_fixture *h = *state;
	struct agent_fixture *fx = h->fx;
	struct rt_auth_response resp;
	struct agent_binding b;
	char cred[1024];
	nng_msg *msg;

	/* Path: 4 kept at most, one that does not parse skipped */
	msg = register_sent(h, UA_PORT, "<sip:alice@" UA_IP ":5060>;expires=7200",
	    "Path: <sip:edge.visited.example;lr>, bad path\r\n"
	    "Path: <sip:p2.visited.example;lr>, <sip:p3.visited.example;lr>, "
	    "<sip:p4.visited.example;lr>, <sip:p5.visited.example;lr>\r\n");
	/* the digest answer, as the UA sent it: the home realm checks it */
	assert_string_equal(h->last.public_id, ALICE);
	assert_string_equal(h->last.username, "alice");
	assert_string_equal(h->last.digest_realm, HOME);
	assert_string_equal(h->last.method, "REGISTER");
	assert_string_equal(h->last.uri, "sip:" HOME);
	assert_string_equal(h->last.nonce, fx->nonce);
	assert_string_equal(h->last.algorithm, "SHA-256");
	assert_string_equal(h->last.qop, "auth");
	assert_string_equal(h->last.nc, "00000001");
	assert_string_equal(h->last.cnonce, "0a4f113b");
	agent_credentials("Authorization", RT_DIGEST_SHA256, "alice", fx->nonce,
	    "sip:" HOME, "REGISTER", "00000001", cred, sizeof(cred));
	assert_non_null(strstr(cred, h->last.response));
	assert_string_equal(h->last.agreement_ref, "");
	ok_response(&resp, ALICE, VISITED, AGENT_T0 + 600);
	answer(h, msg, &resp);
	wait_done(h);
	agent_expect(fx->check, 200, "");
	assert_string_equal(fx->check->reason, "registered");

	/* the binding: flow, contact, Path, the assertion, Expires capped */
	assert_int_equal(agent_bindings_get(fx->agent->bindings, UA_FLOW, ALICE, NULL,
	    &b), 0);
	assert_string_equal(b.aor, ALICE);
	assert_string_equal(b.home, HOME);
	assert_string_equal(b.contact, "sip:alice@" UA_IP ":5060");
	assert_int_equal(b.npath, 4);
	assert_string_equal(b.path[0], "sip:edge.visited.example;lr");
	assert_string_equal(b.path[3], "sip:p4.visited.example;lr");
	assert_int_equal(b.expires, AGENT_T0 + MAX_EXPIRES);
	assert_int_equal(b.assertion.not_on_or_after, AGENT_T0 + 600);
	assert_string_equal(b.assertion.id, "0190f5a2-7b3c-4def-8123-000000000001");

	/* and what follows is allowed by it */
	agent_run(fx, UA_IP, UA_PORT, &(struct sip_req){.method = "INVITE",
	    .extra = "Route: <sip:edge.visited.example;lr>\r\n"});
	agent_expect(fx->check, 200, PAI_ALICE);
	agent_run(fx, UA_IP, UA_PORT, &(struct sip_req){.method = "INVITE",
	    .extra = "Route: <sip:p5.visited.example;lr>\r\n"});
	agent_expect(fx->check, 403, "Forbidden (route not allowed)\r\n");

	/* deregistration: the binding goes */
	msg = register_sent(h, UA_PORT, "<sip:alice@" UA_IP ":5060>;expires=0", NULL);
	answer(h, msg, &resp);
	wait_done(h);
	agent_expect(fx->check, 200, "");
	assert_string_equal(fx->check->reason, "deregistered");
	assert_int_equal(agent_bindings_count(fx->agent->bindings), 0);
	/* Contact: * with Expires: 0 as well */
	msg = register_sent(h, UA_PORT + 2, "", NULL);	/* registered without Contact */
	answer(h, msg, &resp);
	wait_done(h);
	assert_string_equal(fx->check->reason, "registered");
	msg = register_sent(h, UA_PORT + 2, "*", "Expires: 0\r\n");
	answer(h, msg, &resp);
	wait_done(h);
	assert_string_equal(fx->check->reason, "deregistered");
	assert_int_equal(agent_bindings_count(fx->agent->bindings), 0);
	rt_time_set_now(0);
}

/*
 * Bindings are per (AOR, contact, flow): two AORs and two contacts of one
 * AOR registered from one flow all stay, each usable by its own AOR; a
 * deregistration drops only what it names (one contact, or with "*" all
 * of that AOR's contacts on the flow).
 */
static void
test_register_several(void **state)
{
	struct home_fixture *h = *state;
	struct agent_bindings *bs = h->fx->agent->bindings;
	const char *not_registered = "Forbidden (not registered)\r\n";
	struct agent_binding b;

	register_user(h, "alice", UA_PORT, "<sip:alice@" UA_IP ":5060>", NULL,
	    "registered");
	register_user(h, "bob", UA_PORT, "<sip:bob@" UA_IP ":5060>", NULL, "registered");
	assert_int_equal(agent_bindings_count(bs), 2);
	invite_from(h, "alice", UA_PORT, 200, NULL);
	invite_from(h, "bob", UA_PORT, 200, NULL);
	/* a second contact of alice's on the flow, and a refresh of the first */
	register_user(h, "alice", UA_PORT, "<sip:alice@" UA_IP ":5060;line=2>", NULL,
	    "registered");
	register_user(h, "alice", UA_PORT, "<sip:alice@" UA_IP ":5060>", NULL,
	    "registered");
	assert_int_equal(agent_bindings_count(bs), 3);
	/* one of alice's contacts goes: her other one still holds */
	register_user(h, "alice", UA_PORT, "<sip:alice@" UA_IP ":5060>;expires=0", NULL,
	    "deregistered");
	assert_int_equal(agent_bindings_count(bs), 2);
	assert_int_equal(agent_bindings_get(bs, UA_FLOW, ALICE, NULL, &b), 0);
	assert_string_equal(b.contact, "sip:alice@" UA_IP ":5060;line=2");
	invite_from(h, "alice", UA_PORT, 200, NULL);
	invite_from(h, "bob", UA_PORT, 200, NULL);
	/* a Contact list: its first contact is the one bound (and its expires=
	 * the one that counts) */
	register_user(h, "alice", UA_PORT, "<sip:alice@" UA_IP ":5060;line=3>, "
	    "<sip:alice@" UA_IP ":5060;line=4>;expires=0", NULL, "registered");
	assert_int_equal(agent_bindings_get(bs, UA_FLOW, ALICE,
	    "sip:alice@" UA_IP ":5060;line=3", &b), 0);
	register_user(h, "alice", UA_PORT, "<sip:alice@" UA_IP ":5060;line=3>;expires=0, "
	    "<sip:alice@" UA_IP ":5060;line=2>", NULL, "deregistered");
	assert_int_equal(agent_bindings_count(bs), 2);
	/* a contact never registered: nothing goes */
	register_user(h, "bob", UA_PORT, "<sip:bob@" UA_IP ":5999>;expires=0", NULL,
	    "deregistered");
	assert_int_equal(agent_bindings_count(bs), 2);
	/* bob's "*": all of bob's on the flow, none of alice's */
	register_user(h, "bob", UA_PORT, "*", "Expires: 0\r\n", "deregistered");
	assert_int_equal(agent_bindings_count(bs), 1);
	invite_from(h, "bob", UA_PORT, 403, not_registered);
	invite_from(h, "alice", UA_PORT, 200, NULL);
	/* the same AOR from another flow is another binding, and alice's "*"
	 * on one flow leaves her binding on the other */
	register_user(h, "alice", UA_PORT + 2, "<sip:alice@" UA_IP ":5062>", NULL,
	    "registered");
	assert_int_equal(agent_bindings_count(bs), 2);
	register_user(h, "alice", UA_PORT, "*", "Expires: 0\r\n", "deregistered");
	assert_int_equal(agent_bindings_count(bs), 1);
	invite_from(h, "alice", UA_PORT + 2, 200, NULL);
	invite_from(h, "alice", UA_PORT, 403, "Forbidden (not the registered route)\r\n");
	rt_time_set_now(0);
}

/* One flow holds at most max_bindings_per_flow bindings (4 here): a new
 * one beyond is refused, a refresh is not, other flows are not affected,
 * and an expired one makes room. */
static void
test_flow_full(void **state)
{
	struct home_fixture *h = *state;
	struct agent_fixture *fx = h->fx;
	char aor[RT_URI_MAX];

	for (int i = 0; i < 4; i++) {
		snprintf(aor, sizeof(aor), "sip:line%d@" HOME, i);
		agent_put_binding(fx, UA_FLOW, aor, "voice", AGENT_T0 + 600,
		    AGENT_T0 + 100 + i);
	}
	register_user(h, "alice", UA_PORT, NULL, NULL, "flow_full");
	agent_expect(fx->check, 403, "Forbidden (too many registrations from this flow)\r\n");
	assert_int_equal(agent_bindings_count(fx->agent->bindings), 4);
	invite_from(h, "alice", UA_PORT, 403, "Forbidden (not registered)\r\n");
	invite_from(h, "line0", UA_PORT, 200, NULL);
	invite_from(h, "line3", UA_PORT, 200, NULL);
	/* a refresh of a binding the flow holds (line0's contact is the
	 * helper's) */
	register_user(h, "line0", UA_PORT, "<sip:alice@" UA_IP ":5060>", NULL,
	    "registered");
	/* another flow */
	register_user(h, "alice", UA_PORT + 2, NULL, NULL, "registered");
	assert_int_equal(agent_bindings_count(fx->agent->bindings), 5);
	/* line1's registration ran out: room for alice */
	rt_time_set_now(AGENT_T0 + 101);
	register_user(h, "alice", UA_PORT, NULL, NULL, "registered");
	invite_from(h, "alice", UA_PORT, 200, NULL);
	rt_time_set_now(0);
}

static void
test_bindings_full(void **state)
{
	struct home_fixture *h = *state;
	struct agent_fixture *fx = h->fx;
	struct rt_auth_response resp;
	char flow[AGENT_FLOW_MAX];
	nng_msg *msg;

	for (int i = 0; i < MAX_BINDINGS; i++) {
		snprintf(flow, sizeof(flow), "udp:198.51.100.%d:5060", 10 + i);
		agent_put_binding(fx, flow, BOB_HOME, "voice", AGENT_T0 + 600,
		    AGENT_T0 + 600);
	}
	/* all live: the home realm said yes, the agent cannot keep it */
	msg = register_sent(h, UA_PORT, NULL, NULL);
	ok_response(&resp, ALICE, VISITED, AGENT_T0 + 600);
	answer(h, msg, &resp);
	wait_done(h);
	agent_expect(fx->check, 503, UNAVAILABLE);
	assert_string_equal(fx->check->reason, "bindings_full");
	assert_int_equal(agent_bindings_get(fx->agent->bindings, UA_FLOW, ALICE, NULL,
	    &(struct agent_binding){0}), RT_ERR_NOT_FOUND);
	rt_time_set_now(0);
}

static void
test_auth_int(void **state)
{
	struct home_fixture *h = *state;
	struct agent_fixture *fx = h->fx;
	struct rt_auth_response resp;
	char extra[1024], hash[RT_DIGEST_HEX_MAX];

	agent_run(fx, UA_IP, UA_PORT, &(struct sip_req){0});
	snprintf(extra, sizeof(extra), "Authorization: Digest username=\"alice\", "
	    "realm=\"" HOME "\", nonce=\"%s\", uri=\"sip:" HOME "\", "
	    "response=\"%064d\", algorithm=SHA-256, qop=auth-int, nc=00000001, "
	    "cnonce=\"c\"\r\nContent-Type: text/plain\r\n", fx->nonce, 0);
	assert_int_equal(start(h, UA_PORT, &(struct sip_req){.extra = extra,
	    .body = "hello"}), 1);
	memset(&resp, 0, sizeof(resp));
	resp.result = RT_AUTH_UNAVAILABLE;
	answer(h, receive(h), &resp);
	wait_done(h);
	agent_expect(fx->check, 503, UNAVAILABLE);
	/* the home realm hashes the body the UA signed */
	assert_string_equal(h->last.qop, "auth-int");
	assert_int_equal(rt_digest_hash(RT_DIGEST_SHA256, "hello", 5, hash), 0);
	assert_string_equal(h->last.body_hash, hash);
	rt_time_set_now(0);
}

static void
test_refusals(void **state)
{
	static const struct {
		enum rt_auth_result result;
		const char *body;
	} cases[] = {
		{RT_AUTH_LOCKED, "Forbidden (account locked)\r\n"},
		{RT_AUTH_DISABLED, "Forbidden (account disabled)\r\n"},
		{RT_AUTH_PASSWORD_EXPIRED, "Forbidden (password expired)\r\n"},
		{RT_AUTH_NO_AGREEMENT, "Forbidden (no roaming agreement)\r\n"},
		{RT_AUTH_NO_SERVICE, "Forbidden (service not allowed)\r\n"},
		{RT_AUTH_UNAVAILABLE, UNAVAILABLE},
	};
	struct home_fixture *h = *state;
	struct agent_fixture *fx = h->fx;
	struct rt_auth_response resp;
	char want[1024];
	nng_msg *msg;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		msg = register_sent(h, UA_PORT, NULL, NULL);
		memset(&resp, 0, sizeof(resp));
		resp.result = cases[i].result;
		snprintf(resp.reason, sizeof(resp.reason), "because");
		answer(h, msg, &resp);
		wait_done(h);
		agent_expect(fx->check, cases[i].result == RT_AUTH_UNAVAILABLE ? 503 : 403,
		    cases[i].body);
	}
	/* wrong credentials: challenged again, and counted */
	for (int i = 0; i < FAIL_LIMIT_IDENTITY; i++) {
		msg = register_sent(h, UA_PORT, NULL, NULL);
		memset(&resp, 0, sizeof(resp));
		resp.result = RT_AUTH_WRONG_CREDENTIALS;
		answer(h, msg, &resp);
		wait_done(h);
		agent_challenge_text(fx, 0, 0, 0, want, sizeof(want));
		agent_expect(fx->check, 401, want);
		assert_string_equal(fx->check->reason, "wrong_credentials");
	}
	/* alice is banned now: refused here, the home realm is not asked */
	agent_run(fx, UA_IP, UA_PORT, &(struct sip_req){0});
	{
		char cred[1024];

		agent_credentials("Authorization", RT_DIGEST_SHA256, "alice", fx->nonce,
		    "sip:" HOME, "REGISTER", "00000001", cred, sizeof(cred));
		agent_run(fx, UA_IP, UA_PORT, &(struct sip_req){.extra = cred});
	}
	agent_expect(fx->check, 403, "Forbidden\r\n");
	assert_int_equal(agent_bindings_count(fx->agent->bindings), 0);
	rt_time_set_now(0);
}

static void
test_assertion_refused(void **state)
{
	struct home_fixture *h = *state;
	struct agent_fixture *fx = h->fx;
	struct rt_auth_response resp;
	nng_msg *msg;

	for (int i = 0; i < 4; i++) {
		msg = register_sent(h, UA_PORT, NULL, NULL);
		if (i == 0) {
			ok_response(&resp, ALICE, VISITED, AGENT_T0 + 600);
			resp.has_assertion = 0;		/* ok, but no assertion */
		} else if (i == 1) {
			ok_response(&resp, BOB_HOME, VISITED, AGENT_T0 + 600);
		} else if (i == 2) {
			ok_response(&resp, ALICE, "other.example", AGENT_T0 + 600);
		} else {
			ok_response(&resp, ALICE, VISITED, AGENT_T0);	/* expired */
		}
		answer(h, msg, &resp);
		wait_done(h);
		agent_expect(fx->check, 503, UNAVAILABLE);
		assert_string_equal(fx->check->reason, "assertion_refused");
	}
	assert_int_equal(agent_bindings_count(fx->agent->bindings), 0);
	rt_time_set_now(0);
}

static void
test_reauthenticate(void **state)
{
	struct home_fixture *h = *state;
	struct agent_fixture *fx = h->fx;
	struct rt_auth_response resp;
	struct agent_binding b;
	char cred[1024];
	nng_msg *msg;

	agent_put_binding(fx, UA_FLOW, ALICE, "voice,message", AGENT_T0 + 600,
	    AGENT_T0 + 3600);
	rt_time_set_now(AGENT_T0 + 600);
	agent_run(fx, UA_IP, UA_PORT, &(struct sip_req){.method = "INVITE"});
	assert_int_equal(fx->check->status, 407);
	agent_credentials("Proxy-Authorization", RT_DIGEST_MD5, "alice", fx->nonce, CALLEE,
	    "INVITE", "00000001", cred, sizeof(cred));
	assert_int_equal(start(h, UA_PORT, &(struct sip_req){.method = "INVITE",
	    .extra = cred}), 1);
	msg = receive(h);
	assert_string_equal(h->last.method, "INVITE");
	assert_string_equal(h->last.uri, CALLEE);
	assert_string_equal(h->last.algorithm, "MD5");
	assert_string_equal(h->last.public_id, ALICE);
	/* a new assertion, shorter than the registration: voice only */
	ok_response(&resp, ALICE, VISITED, AGENT_T0 + 1200);
	resp.assertion.nservices = 1;
	answer(h, msg, &resp);
	wait_done(h);
	agent_expect(fx->check, 200, PAI_ALICE);
	assert_int_equal(agent_bindings_get(fx->agent->bindings, UA_FLOW, ALICE, NULL,
	    &b), 0);
	assert_int_equal(b.assertion.not_on_or_after, AGENT_T0 + 1200);
	assert_int_equal(b.expires, AGENT_T0 + 1200);
	assert_int_equal(b.assertion.nservices, 1);
	/* the binding follows the new assertion */
	agent_run(fx, UA_IP, UA_PORT, &(struct sip_req){.method = "MESSAGE",
	    .extra = "Date: Fri, 15 Jan 2027 08:10:00 GMT\r\n"});
	agent_expect(fx->check, 403, "Forbidden (service not allowed)\r\n");

	/* the binding went away while the home realm was asked */
	rt_time_set_now(AGENT_T0 + 1200);
	agent_run(fx, UA_IP, UA_PORT, &(struct sip_req){.method = "INVITE"});
	assert_int_equal(fx->check->status, 407);
	agent_credentials("Proxy-Authorization", RT_DIGEST_MD5, "alice", fx->nonce, CALLEE,
	    "INVITE", "00000001", cred, sizeof(cred));
	assert_int_equal(start(h, UA_PORT, &(struct sip_req){.method = "INVITE",
	    .extra = cred}), 1);
	msg = receive(h);
	assert_int_equal(agent_bindings_del(fx->agent->bindings, UA_FLOW, ALICE, NULL), 1);
	ok_response(&resp, ALICE, VISITED, AGENT_T0 + 1800);
	answer(h, msg, &resp);
	wait_done(h);
	agent_expect(fx->check, 403, "Forbidden (not registered)\r\n");
	assert_int_equal(agent_bindings_count(fx->agent->bindings), 0);
	rt_time_set_now(0);
}

/*
 * sipp's MESSAGE to bob after a 407: its digest uri is the proxy's address
 * (proxy_uris), not the Request-URI. The home realm gets the uri as sent,
 * since the response is over it; another host's address is refused here.
 */
static void
test_reauthenticate_proxy_uri(void **state)
{
	struct home_fixture *h = *state;
	struct agent_fixture *fx = h->fx;
	struct rt_auth_response resp;
	char cred[1024], date[64], extra[1200];
	const struct sip_req message = {.method = "MESSAGE", .ruri = BOB_HOME,
	    .to = BOB_HOME, .body = "hello", .extra = extra};
	nng_msg *msg;

	agent_put_binding(fx, UA_FLOW, ALICE, "voice,message", AGENT_T0 + 600,
	    AGENT_T0 + 3600);
	rt_time_set_now(AGENT_T0 + 600);
	agent_sip_date(rt_time_now(), date, sizeof(date));
	snprintf(extra, sizeof(extra), "Date: %s\r\n", date);
	agent_run(fx, UA_IP, UA_PORT, &message);
	assert_int_equal(fx->check->status, 407);
	/* another host: refused, the home realm is not asked */
	agent_credentials("Proxy-Authorization", RT_DIGEST_MD5, "alice", fx->nonce,
	    "sip:192.0.2.1:5070", "MESSAGE", "00000001", cred, sizeof(cred));
	snprintf(extra, sizeof(extra), "Date: %s\r\n%s", date, cred);
	agent_run(fx, UA_IP, UA_PORT, &message);
	agent_expect(fx->check, 403, "Forbidden (digest uri is not the Request-URI)\r\n");
	/* our proxy: on to the home realm, with the uri as the UA sent it */
	snprintf(extra, sizeof(extra), "Date: %s\r\n", date);
	agent_run(fx, UA_IP, UA_PORT, &message);
	assert_int_equal(fx->check->status, 407);
	agent_credentials("Proxy-Authorization", RT_DIGEST_MD5, "alice", fx->nonce,
	    "sip:" PROXY_IP ":5070", "MESSAGE", "00000001", cred, sizeof(cred));
	snprintf(extra, sizeof(extra), "Date: %s\r\n%s", date, cred);
	assert_int_equal(start(h, UA_PORT, &message), 1);
	msg = receive(h);
	assert_string_equal(h->last.method, "MESSAGE");
	assert_string_equal(h->last.uri, "sip:" PROXY_IP ":5070");
	assert_non_null(strstr(cred, h->last.response));
	ok_response(&resp, ALICE, VISITED, AGENT_T0 + 1200);
	answer(h, msg, &resp);
	wait_done(h);
	agent_expect(fx->check, 200, PAI_ALICE);
	rt_time_set_now(0);
}

static void
test_broker_silent(void **state)
{
	struct home_fixture *h = *state;
	struct agent_fixture *fx = h->fx;
	nng_msg *msg, *second;
	uint64_t t0;

	/* received, never answered: 503 after auth_timeout */
	msg = register_sent(h, UA_PORT, NULL, NULL);
	t0 = rt_mono_ns();
	wait_done(h);
	assert_true(rt_mono_ns() - t0 >= (uint64_t)AUTH_TIMEOUT * 1000000000 / 2);
	agent_expect(fx->check, 503, UNAVAILABLE);
	assert_string_equal(fx->check->reason, "home_unavailable");
	nng_msg_free(msg);
	/* an answer that is not one: 503 too */
	second = register_sent(h, UA_PORT, NULL, NULL);
	answer_raw(h, second, "<AuthResponse/>", 15);
	wait_done(h);
	agent_expect(fx->check, 503, UNAVAILABLE);
	assert_string_equal(fx->check->reason, "home_unavailable");
	assert_int_equal(agent_bindings_count(fx->agent->bindings), 0);
	rt_time_set_now(0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_register, home_setup, home_teardown),
		cmocka_unit_test_setup_teardown(test_register_several, home_setup,
		    home_teardown),
		cmocka_unit_test_setup_teardown(test_flow_full, home_setup, home_teardown),
		cmocka_unit_test_setup_teardown(test_bindings_full, home_setup,
		    home_teardown),
		cmocka_unit_test_setup_teardown(test_auth_int, home_setup, home_teardown),
		cmocka_unit_test_setup_teardown(test_refusals, home_setup, home_teardown),
		cmocka_unit_test_setup_teardown(test_assertion_refused, home_setup,
		    home_teardown),
		cmocka_unit_test_setup_teardown(test_reauthenticate, home_setup,
		    home_teardown),
		cmocka_unit_test_setup_teardown(test_reauthenticate_proxy_uri, home_setup,
		    home_teardown),
		cmocka_unit_test_setup_teardown(test_broker_silent, home_setup,
		    home_teardown),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);

	nng_fini();		/* its threads, so valgrind reports no leaks */
	return failed;
}
