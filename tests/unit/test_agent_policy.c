/*
 * The agent's policy for requests of a registered roamer (a binding put
 * into the table as register_done would): the asserted identity handed to
 * the proxy, whatever the UA claimed; services the assertion lists; Date
 * freshness of MESSAGE and the store-and-forward exemption; Route only to
 * our proxies or the recorded path; the same AOR from another flow; another
 * AOR from a registered flow, refused as from any flow; the unregistered
 * roamer; re-challenge once the assertion or the registration ran out (ACK
 * and CANCEL pass), and the verdict counters.
 * Registration and authentication are in test_agent.c.
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

#define PAI_ALICE "P-Asserted-Identity: <" ALICE ">\r\n"
#define ASSERTION_END (AGENT_T0 + 600)
#define REGISTRATION_END (AGENT_T0 + 3600)

/* alice registered from UA_FLOW for voice and message */
static void
put_alice(struct agent_fixture *fx)
{
	agent_put_binding(fx, UA_FLOW, ALICE, "voice,message", ASSERTION_END,
	    REGISTRATION_END);
}

/* A request of method from UA_IP:UA_PORT with extra header lines. */
static struct agent_check *
send_req(struct agent_fixture *fx, const char *method, const char *extra)
{
	return agent_run(fx, UA_IP, UA_PORT, &(struct sip_req){.method = method,
	    .extra = extra});
}

static void
test_invite_voice(void **state)
{
	struct agent_fixture *fx = *state;
	static const char *const methods[] = {"INVITE", "UPDATE", "PRACK", "BYE",
	    "OPTIONS", "INFO", "SUBSCRIBE", "ACK", "CANCEL"};

	put_alice(fx);
	send_req(fx, "INVITE", "");
	agent_expect(fx->check, 200, PAI_ALICE);
	assert_string_equal(fx->check->reason, "allowed");
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		send_req(fx, methods[i], "Content-Type: application/sdp\r\n");
		agent_expect(fx->check, 200, PAI_ALICE);
	}
	/* From picks the binding, never the identity (the assertion's): a
	 * From of our realm is not the agent's (no PAI, as from any flow),
	 * an AOR not bound on this flow is not registered */
	agent_run(fx, UA_IP, UA_PORT, &(struct sip_req){.method = "INVITE",
	    .from = "sip:boss@" VISITED});
	agent_expect(fx->check, 200, "");
	assert_string_equal(fx->check->reason, "local");
	agent_run(fx, UA_IP, UA_PORT, &(struct sip_req){.method = "INVITE",
	    .from = BOB_HOME});
	agent_expect(fx->check, 403, "Forbidden (not registered)\r\n");
	/* and no PAI came in: nothing counted as stripped */
	assert_int_equal(rt_counter_value(fx->agent->metrics.pai_stripped), 0);
	rt_time_set_now(0);
}

/* RFC 3329: after a REGISTER under a security agreement, every request of
 * the binding repeats our Security-Server; a Security-Verify that is not
 * ours is refused with or without one. */
static void
test_security_verify(void **state)
{
	struct agent_fixture *fx = *state;
	struct agent_binding b;

	put_alice(fx);
	/* no agreement: none needed, but a foreign one is refused */
	send_req(fx, "INVITE", "");
	agent_expect(fx->check, 200, PAI_ALICE);
	send_req(fx, "INVITE", "Security-Verify: digest;q=0.5\r\n");
	agent_expect(fx->check, 403, "Forbidden (security agreement mismatch)\r\n");
	/* registered under an agreement */
	assert_int_equal(agent_bindings_get(fx->agent->bindings, UA_FLOW, ALICE, NULL,
	    &b), 0);
	b.sec_agreed = 1;
	assert_int_equal(agent_bindings_put(fx->agent->bindings, &b), 0);
	send_req(fx, "INVITE", "");
	agent_expect(fx->check, 403, "Forbidden (security agreement mismatch)\r\n");
	assert_string_equal(fx->check->reason, "security_agreement");
	send_req(fx, "MESSAGE", "Security-Verify: digest;q=0.5\r\n");
	agent_expect(fx->check, 403, "Forbidden (security agreement mismatch)\r\n");
	send_req(fx, "INVITE", "Security-Verify: " SEC_SERVER "\r\n");
	agent_expect(fx->check, 200, PAI_ALICE);
	/* ACK and CANCEL ride on a transaction already checked */
	send_req(fx, "ACK", "");
	agent_expect(fx->check, 200, PAI_ALICE);
	send_req(fx, "CANCEL", "");
	agent_expect(fx->check, 200, PAI_ALICE);
}

static void
test_services(void **state)
{
	struct agent_fixture *fx = *state;
	char date[64], extra[128];

	agent_sip_date(AGENT_T0, date, sizeof(date));
	snprintf(extra, sizeof(extra), "Date: %s\r\n", date);
	/* message only: no voice */
	agent_put_binding(fx, UA_FLOW, ALICE, "message", ASSERTION_END,
	    REGISTRATION_END);
	send_req(fx, "INVITE", "");
	agent_expect(fx->check, 403, "Forbidden (service not allowed)\r\n");
	assert_string_equal(fx->check->reason, "service");
	send_req(fx, "UPDATE", "");
	agent_expect(fx->check, 403, "Forbidden (service not allowed)\r\n");
	send_req(fx, "PRACK", "");
	agent_expect(fx->check, 403, "Forbidden (service not allowed)\r\n");
	send_req(fx, "MESSAGE", extra);
	agent_expect(fx->check, 200, PAI_ALICE);
	/* methods of no service pass: they are not billed */
	send_req(fx, "OPTIONS", "");
	agent_expect(fx->check, 200, PAI_ALICE);
	/* voice only: no message */
	agent_put_binding(fx, UA_FLOW, ALICE, "voice", ASSERTION_END, REGISTRATION_END);
	send_req(fx, "MESSAGE", extra);
	agent_expect(fx->check, 403, "Forbidden (service not allowed)\r\n");
	send_req(fx, "INVITE", "");
	agent_expect(fx->check, 200, PAI_ALICE);
	/* services are names, not prefixes */
	agent_put_binding(fx, UA_FLOW, ALICE, "voicemail,messages", ASSERTION_END,
	    REGISTRATION_END);
	send_req(fx, "INVITE", "");
	agent_expect(fx->check, 403, "Forbidden (service not allowed)\r\n");
	send_req(fx, "MESSAGE", extra);
	agent_expect(fx->check, 403, "Forbidden (service not allowed)\r\n");
	/* none at all */
	agent_put_binding(fx, UA_FLOW, ALICE, "", ASSERTION_END, REGISTRATION_END);
	send_req(fx, "INVITE", "");
	agent_expect(fx->check, 403, "Forbidden (service not allowed)\r\n");
	rt_time_set_now(0);
}

/* MESSAGE from src with a Date header at t (none when date_off is NULL). */
static struct agent_check *
message_at(struct agent_fixture *fx, const char *src, const long *date_off)
{
	char date[64], extra[128] = "";

	if (date_off != NULL) {
		agent_sip_date(AGENT_T0 + *date_off, date, sizeof(date));
		snprintf(extra, sizeof(extra), "Date: %s\r\n", date);
	}
	return agent_run(fx, src, UA_PORT, &(struct sip_req){.method = "MESSAGE",
	    .extra = extra, .body = "Hello from the road"});
}

static void
test_message_date(void **state)
{
	struct agent_fixture *fx = *state;
	static const long fresh[] = {0, -DATE_WINDOW, DATE_WINDOW, -1, 1};
	static const long stale[] = {-DATE_WINDOW - 1, DATE_WINDOW + 1, -86400,
	    -AGENT_T0 + 1};

	put_alice(fx);
	for (size_t i = 0; i < sizeof(fresh) / sizeof(fresh[0]); i++) {
		message_at(fx, UA_IP, &fresh[i]);
		agent_expect(fx->check, 200, PAI_ALICE);
	}
	for (size_t i = 0; i < sizeof(stale) / sizeof(stale[0]); i++) {
		message_at(fx, UA_IP, &stale[i]);
		agent_expect(fx->check, 403, "Stale Date\r\n");
		assert_string_equal(fx->check->reason, "stale_date");
	}
	/* no Date, or one that does not parse */
	message_at(fx, UA_IP, NULL);
	agent_expect(fx->check, 403, "Stale Date\r\n");
	send_req(fx, "MESSAGE", "Date: yesterday\r\n");
	agent_expect(fx->check, 403, "Stale Date\r\n");
	send_req(fx, "MESSAGE", "Date: Sat, 13 Nov 2010 23:29:00 CET\r\n");
	agent_expect(fx->check, 403, "Stale Date\r\n");
	/* Date is checked on MESSAGE only */
	send_req(fx, "INVITE", "");
	agent_expect(fx->check, 200, PAI_ALICE);

	/* our store-and-forward server, registered by no one, keeps the
	 * identity it asserts; a Date is not asked of it */
	agent_run(fx, SAF_IP, 5060, &(struct sip_req){.method = "MESSAGE",
	    .extra = "P-Asserted-Identity: <sip:carol@" VISITED ">\r\n"});
	agent_expect(fx->check, 200, "P-Asserted-Identity: <sip:carol@" VISITED ">\r\n");
	assert_string_equal(fx->check->reason, "store_and_forward");
	agent_run(fx, SAF_IP, 5060, &(struct sip_req){.method = "MESSAGE"});
	agent_expect(fx->check, 200, "");
	assert_string_equal(fx->check->reason, "store_and_forward");
	/* the same request from anyone else is refused */
	agent_run(fx, "192.0.2.98", 5060, &(struct sip_req){.method = "MESSAGE",
	    .extra = "P-Asserted-Identity: <sip:carol@" VISITED ">\r\n"});
	assert_int_equal(fx->check->status, 403);

	/* a store-and-forward server delivers late, or without a Date */
	agent_put_binding(fx, "udp:" SAF_IP ":5060", ALICE, "message", ASSERTION_END,
	    REGISTRATION_END);
	message_at(fx, SAF_IP, NULL);
	agent_expect(fx->check, 200, PAI_ALICE);
	message_at(fx, SAF_IP, &stale[0]);
	agent_expect(fx->check, 200, PAI_ALICE);
	/* the clock moves, the window with it */
	rt_time_set_now(AGENT_T0 + 200);
	message_at(fx, UA_IP, &fresh[0]);
	agent_expect(fx->check, 200, PAI_ALICE);
	rt_time_set_now(AGENT_T0 + DATE_WINDOW + 1);
	message_at(fx, UA_IP, &fresh[0]);
	agent_expect(fx->check, 403, "Stale Date\r\n");
	rt_time_set_now(0);
}

static void
test_pai_stripped(void **state)
{
	struct agent_fixture *fx = *state;
	const struct rt_counter *stripped = fx->agent->metrics.pai_stripped;

	put_alice(fx);
	assert_int_equal(rt_counter_value(stripped), 0);
	send_req(fx, "INVITE", "P-Asserted-Identity: <sip:boss@" VISITED ">\r\n");
	agent_expect(fx->check, 200, PAI_ALICE);
	assert_int_equal(rt_counter_value(stripped), 1);
	send_req(fx, "INVITE", "P-Preferred-Identity: \"Boss\" <sip:boss@" VISITED ">\r\n");
	agent_expect(fx->check, 200, PAI_ALICE);
	assert_int_equal(rt_counter_value(stripped), 2);
	/* several in one request count once; one that does not parse as well */
	send_req(fx, "INVITE", "P-Asserted-Identity: <sip:boss@" VISITED ">, "
	    "<tel:+15551234>\r\nP-Asserted-Identity: garbage <\r\n"
	    "P-Preferred-Identity: <sip:x@" VISITED ">\r\n");
	agent_expect(fx->check, 200, PAI_ALICE);
	assert_int_equal(rt_counter_value(stripped), 3);
	/* even alice's own PAI is not hers to send */
	send_req(fx, "MESSAGE", "P-Asserted-Identity: <" ALICE ">\r\n"
	    "Date: Fri, 15 Jan 2027 08:00:00 GMT\r\n");
	agent_expect(fx->check, 200, PAI_ALICE);
	assert_int_equal(rt_counter_value(stripped), 4);
	send_req(fx, "INVITE", "");
	assert_int_equal(rt_counter_value(stripped), 4);
	/* refused requests count nothing */
	send_req(fx, "INVITE", "Route: <sip:evil.example;lr>\r\n"
	    "P-Asserted-Identity: <sip:boss@" VISITED ">\r\n");
	assert_int_equal(fx->check->status, 403);
	assert_int_equal(rt_counter_value(stripped), 4);
	rt_time_set_now(0);
}

static void
test_route(void **state)
{
	struct agent_fixture *fx = *state;
	static const char *const allowed[] = {
		"Route: <sip:" PROXY_HOST ";lr>\r\n",
		"Route: <sip:" PROXY_HOST ":5999;lr>\r\n",	/* host only: any port */
		"Route: <sip:PROXY.Visited.Example;lr>\r\n",
		"Route: <sip:" PROXY_IP ":5070;lr>\r\n",
		"Route: <sip:" PROXY_HOST ";lr>, <sip:" PROXY_IP ":5070;lr>\r\n",
		"Route: <sip:" PROXY_HOST ";lr>\r\nRoute: <sip:" PROXY_IP ":5070;lr>\r\n",
		"Route: <sip:edge.visited.example;lr>\r\n",	/* the recorded Path */
	};
	static const char *const refused[] = {
		"Route: <sip:evil.example;lr>\r\n",
		"Route: <sip:" PROXY_IP ";lr>\r\n",		/* 5060 is not 5070 */
		"Route: <sip:" PROXY_IP ":5071;lr>\r\n",
		"Route: <sip:proxy.visited.example.evil.example;lr>\r\n",
		"Route: <sip:" PROXY_HOST ";lr>, <sip:evil.example;lr>\r\n",
		"Route: <sip:" PROXY_HOST ";lr>\r\nRoute: <sip:evil.example;lr>\r\n",
		"Route: <sip:edge.visited.example>\r\n",	/* not the Path as recorded */
		"Route: garbage\r\n",
		"Route: <sip:" PROXY_HOST ";lr\r\n",
		"Route: ,\r\n",
	};
	struct agent_binding b;

	put_alice(fx);
	/* the route set recorded at REGISTER (a Path of an edge proxy) */
	assert_int_equal(agent_bindings_get(fx->agent->bindings, UA_FLOW, ALICE, NULL,
	    &b), 0);
	snprintf(b.path[0], RT_URI_MAX, "sip:edge.visited.example;lr");
	b.npath = 1;
	assert_int_equal(agent_bindings_put(fx->agent->bindings, &b), 0);
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		send_req(fx, "INVITE", allowed[i]);
		if (fx->check->status != 200)
			fail_msg("%s refused", allowed[i]);
		agent_expect(fx->check, 200, PAI_ALICE);
	}
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		send_req(fx, "BYE", refused[i]);
		if (fx->check->status != 403)
			fail_msg("%s allowed", refused[i]);
		agent_expect(fx->check, 403, "Forbidden (route not allowed)\r\n");
		assert_string_equal(fx->check->reason, "route");
	}
	rt_time_set_now(0);
}

static void
test_flow(void **state)
{
	struct agent_fixture *fx = *state;
	char text[4096];
	size_t len;

	put_alice(fx);
	/* alice's AOR from another port, address or transport */
	agent_run(fx, UA_IP, UA_PORT + 2, &(struct sip_req){.method = "INVITE"});
	agent_expect(fx->check, 403, "Forbidden (not the registered route)\r\n");
	assert_string_equal(fx->check->reason, "route_changed");
	agent_run(fx, "192.0.2.11", UA_PORT, &(struct sip_req){.method = "MESSAGE"});
	agent_expect(fx->check, 403, "Forbidden (not the registered route)\r\n");
	len = agent_sip_text(&(struct sip_req){.method = "INVITE"}, text, sizeof(text));
	agent_run_raw(fx, "tcp", UA_IP, UA_PORT, text, len);
	agent_expect(fx->check, 403, "Forbidden (not the registered route)\r\n");
	/* the AOR is compared with the host's case folded */
	agent_run(fx, UA_IP, UA_PORT + 2, &(struct sip_req){.method = "INVITE",
	    .from = "sip:alice@HOME.Example"});
	agent_expect(fx->check, 403, "Forbidden (not the registered route)\r\n");
	/* a roamer nobody registered */
	agent_run(fx, UA_IP, UA_PORT + 2, &(struct sip_req){.method = "INVITE",
	    .from = BOB_HOME});
	agent_expect(fx->check, 403, "Forbidden (not registered)\r\n");
	assert_string_equal(fx->check->reason, "not_registered");
	agent_run(fx, "192.0.2.11", UA_PORT, &(struct sip_req){.method = "MESSAGE",
	    .from = "sip:Alice@" HOME});	/* the user part is case-sensitive */
	agent_expect(fx->check, 403, "Forbidden (not registered)\r\n");
	/* ACK and CANCEL cannot be refused a challenge: they pass */
	agent_run(fx, UA_IP, UA_PORT + 2, &(struct sip_req){.method = "ACK",
	    .from = BOB_HOME});
	agent_expect(fx->check, 200, "");
	agent_run(fx, UA_IP, UA_PORT + 2, &(struct sip_req){.method = "CANCEL"});
	agent_expect(fx->check, 200, "");
	/* the new flow may register (and is challenged for it) */
	agent_run(fx, UA_IP, UA_PORT + 2, &(struct sip_req){0});
	assert_int_equal(fx->check->status, 401);
	/* the registered flow still works */
	send_req(fx, "INVITE", "");
	agent_expect(fx->check, 200, PAI_ALICE);
	/* once the binding is gone, alice is just not registered */
	assert_int_equal(agent_bindings_del(fx->agent->bindings, UA_FLOW, ALICE, NULL), 1);
	send_req(fx, "INVITE", "");
	agent_expect(fx->check, 403, "Forbidden (not registered)\r\n");
	rt_time_set_now(0);
}

/* The verdict of req from UA_IP:port (in a dialog: its To tagged), and
 * the same from a flow that holds no binding (192.0.2.77): they must be
 * alike, status, reason and body. */
static void
expect_as_unknown(struct agent_fixture *fx, int port, const struct sip_req *req,
    int in_dialog, int status, const char *body)
{
	char text[4096], tagged[4200], *to;
	const char *reason;
	size_t len = agent_sip_text(req, text, sizeof(text));

	if (in_dialog) {
		assert_non_null(to = strstr(text, "\r\nTo: <"));
		assert_non_null(to = strstr(to + 2, "\r\n"));
		len = (size_t)snprintf(tagged, sizeof(tagged), "%.*s;tag=a73kszlfl%s",
		    (int)(to - text), text, to);
		memcpy(text, tagged, len + 1);
	}
	agent_run_raw(fx, "udp", "192.0.2.77", UA_PORT, text, len);
	agent_expect(fx->check, status, body);
	reason = fx->check->reason;
	agent_run_raw(fx, "udp", UA_IP, port, text, len);
	agent_expect(fx->check, status, body);
	assert_string_equal(fx->check->reason, reason);
}

/*
 * From picks the binding: a request from alice's flow claiming another
 * AOR is refused as it would be from a flow nobody registered (not
 * registered, or registered by another route), whatever alice holds there.
 */
static void
test_other_aor_on_flow(void **state)
{
	struct agent_fixture *fx = *state;
	static const char *const methods[] = {"INVITE", "MESSAGE", "BYE", "OPTIONS",
	    "UPDATE", "INFO"};
	char extra[128], date[64];

	put_alice(fx);
	agent_sip_date(rt_time_now(), date, sizeof(date));
	snprintf(extra, sizeof(extra), "Date: %s\r\n", date);
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		expect_as_unknown(fx, UA_PORT, &(struct sip_req){.method = methods[i],
		    .from = BOB_HOME, .extra = extra}, 0, 403,
		    "Forbidden (not registered)\r\n");
		/* in a dialog (a re-INVITE, a BYE) */
		expect_as_unknown(fx, UA_PORT, &(struct sip_req){.method = methods[i],
		    .from = BOB_HOME, .extra = extra}, 1, 403,
		    "Forbidden (not registered)\r\n");
		/* alice herself still goes, with her identity */
		agent_run(fx, UA_IP, UA_PORT, &(struct sip_req){.method = methods[i],
		    .extra = extra});
		agent_expect(fx->check, 200, PAI_ALICE);
	}
	/* bob registered elsewhere: the route changed, as from anywhere */
	agent_put_binding(fx, "udp:" UA_IP ":5070", BOB_HOME, "voice,message",
	    ASSERTION_END, REGISTRATION_END);
	expect_as_unknown(fx, UA_PORT, &(struct sip_req){.method = "MESSAGE",
	    .from = BOB_HOME, .extra = extra}, 0, 403,
	    "Forbidden (not the registered route)\r\n");
	agent_run(fx, UA_IP, 5070, &(struct sip_req){.method = "MESSAGE",
	    .from = BOB_HOME, .extra = extra});
	agent_expect(fx->check, 200, "P-Asserted-Identity: <" BOB_HOME ">\r\n");
	/* and alice, not bound on bob's flow, is refused there */
	expect_as_unknown(fx, 5070, &(struct sip_req){.method = "INVITE"}, 0, 403,
	    "Forbidden (not the registered route)\r\n");
	/* a From that is no AOR at all, from a flow with bindings */
	expect_as_unknown(fx, UA_PORT, &(struct sip_req){.method = "INVITE",
	    .from = "tel:+15551234567"}, 0, 400, "Bad Request (From)\r\n");
	/* what is not the agent's passes as from anywhere: a From of our
	 * realm, ACK and CANCEL */
	expect_as_unknown(fx, UA_PORT, &(struct sip_req){.method = "INVITE",
	    .from = "sip:boss@" VISITED}, 0, 200, "");
	expect_as_unknown(fx, UA_PORT, &(struct sip_req){.method = "ACK",
	    .from = BOB_HOME}, 1, 200, "");
	rt_time_set_now(0);
}

static void
test_expired(void **state)
{
	struct agent_fixture *fx = *state;
	char want[1024], client[160], cred[1024];

	put_alice(fx);
	/* valid up to the second before not_on_or_after */
	rt_time_set_now(ASSERTION_END - 1);
	send_req(fx, "INVITE", "");
	agent_expect(fx->check, 200, PAI_ALICE);
	/* then re-challenged with 407 for the home realm */
	rt_time_set_now(ASSERTION_END);
	send_req(fx, "INVITE", "");
	agent_challenge_text(fx, 1, 0, 0, want, sizeof(want));
	agent_expect(fx->check, 407, want);
	assert_string_equal(fx->check->reason, "challenge");
	snprintf(client, sizeof(client), "%s|%s", UA_FLOW, HOME);
	assert_int_equal(rt_nonce_check(fx->agent->nonces, fx->nonce, client,
	    rt_time_now()), 0);
	send_req(fx, "MESSAGE", "Security-Client: digest\r\n");
	agent_challenge_text(fx, 1, 0, 1, want, sizeof(want));
	agent_expect(fx->check, 407, want);
	/* ACK and CANCEL pass (RFC 3261 22.1), without an identity */
	send_req(fx, "ACK", "");
	agent_expect(fx->check, 200, "");
	send_req(fx, "CANCEL", "");
	agent_expect(fx->check, 200, "");
	/* WWW-Authenticate credentials are no answer to a 407 */
	send_req(fx, "INVITE", "");
	agent_credentials("Authorization", RT_DIGEST_SHA256, "alice", fx->nonce, CALLEE,
	    "INVITE", "00000001", cred, sizeof(cred));
	send_req(fx, "INVITE", cred);
	assert_int_equal(fx->check->status, 407);
	/* Proxy-Authorization is: on to the home realm, absent here, 503 */
	send_req(fx, "INVITE", "");
	agent_credentials("Proxy-Authorization", RT_DIGEST_SHA256, "alice", fx->nonce,
	    CALLEE, "INVITE", "00000001", cred, sizeof(cred));
	send_req(fx, "INVITE", cred);
	agent_expect(fx->check, 503, "Service Unavailable\r\nRetry-After: 7\r\n");
	/* the binding stays as it was until the home realm answers */
	send_req(fx, "INVITE", "");
	assert_int_equal(fx->check->status, 407);
	assert_int_equal(agent_bindings_count(fx->agent->bindings), 1);

	/* the registration running out (assertion still valid) as well */
	rt_time_set_now(AGENT_T0);
	agent_put_binding(fx, UA_FLOW, ALICE, "voice,message", ASSERTION_END,
	    AGENT_T0 + 100);
	rt_time_set_now(AGENT_T0 + 99);
	send_req(fx, "INVITE", "");
	agent_expect(fx->check, 200, PAI_ALICE);
	rt_time_set_now(AGENT_T0 + 100);
	send_req(fx, "INVITE", "");
	agent_challenge_text(fx, 1, 0, 0, want, sizeof(want));
	agent_expect(fx->check, 407, want);
	rt_time_set_now(0);
}

/* The sum of the roamtrust_agent_checks_total series whose labels start
 * with labels ("" for all of them) in the metrics text. */
static unsigned long
checks_total(const char *text, const char *labels)
{
	static const char name[] = "roamtrust_agent_checks_total{";
	unsigned long sum = 0;

	for (const char *p = strstr(text, name); p != NULL; p = strstr(p + 1, name)) {
		const char *eol = strchr(p, '\n'), *sp;

		assert_non_null(eol);
		if (strncmp(p + strlen(name), labels, strlen(labels)) != 0)
			continue;
		for (sp = eol; sp > p && sp[-1] != ' '; sp--)
			;
		sum += strtoul(sp, NULL, 10);
	}
	return sum;
}

static void
test_verdict_counters(void **state)
{
	struct agent_fixture *fx = *state;
	struct rt_buf text;
	const char *t;

	put_alice(fx);
	send_req(fx, "INVITE", "");				/* 200 */
	agent_run(fx, UA_IP, UA_PORT + 2, &(struct sip_req){0});	/* 401 */
	agent_run(fx, UA_IP, UA_PORT + 2, &(struct sip_req){0});	/* 401 */
	send_req(fx, "MESSAGE", "");				/* 403 */
	agent_run_raw(fx, "udp", UA_IP, UA_PORT, "x", 1);	/* 400 */
	rt_time_set_now(ASSERTION_END);
	send_req(fx, "INVITE", "");				/* 407 */
	rt_buf_init(&text, 1 << 20);
	assert_int_equal(rt_metrics_render(fx->agent->metrics.registry, &text), 0);
	t = rt_buf_str(&text);
	assert_int_equal(checks_total(t, ""), 6);
	assert_int_equal(checks_total(t, "status=\"200\""), 1);
	assert_int_equal(checks_total(t, "status=\"401\""), 2);
	assert_int_equal(checks_total(t, "status=\"403\""), 1);
	assert_int_equal(checks_total(t, "status=\"407\""), 1);
	assert_int_equal(checks_total(t, "status=\"503\""), 0);
	assert_non_null(strstr(t, "roamtrust_agent_bindings 1\n"));
	assert_non_null(strstr(t, "roamtrust_agent_pai_stripped_total 0\n"));
	rt_buf_fini(&text);
	rt_time_set_now(0);
}

/* Privacy: id: our PAI toward the trust domain only (RFC 3325 5). */
static void
test_privacy(void **state)
{
	struct agent_fixture *fx = *state;
	static const char *const inside[] = {CALLEE, "sip:carol@" LOCAL2,
	    "sip:x@" PROXY_HOST, "sip:x@" PROXY_IP ":5070", "sip:y@" TRUSTED_PEER,
	    "sip:y@PARTNER.example"};
	static const char *const outside[] = {"sip:bob@elsewhere.example",
	    "sip:x@" PROXY_IP ":5071", "tel:+15551234567", "sip:y@sub." TRUSTED_PEER};
	static const char *const asks[] = {"Privacy: id\r\n", "Privacy: header;id\r\n",
	    "Privacy: user ; ID ;critical\r\n"};
	static const char *const not_id[] = {"Privacy: none\r\n",
	    "Privacy: header;user\r\n", "Privacy: idle\r\n", ""};
	const struct rt_counter *private = NULL;

	(void)private;
	put_alice(fx);
	for (size_t i = 0; i < sizeof(outside) / sizeof(outside[0]); i++) {
		for (size_t k = 0; k < sizeof(asks) / sizeof(asks[0]); k++) {
			agent_run(fx, UA_IP, UA_PORT, &(struct sip_req){.method = "INVITE",
			    .ruri = outside[i], .to = outside[i], .extra = asks[k]});
			agent_expect(fx->check, 200, "");
			assert_string_equal(fx->check->reason, "private");
		}
		/* no Privacy: id, the identity goes with the request */
		for (size_t k = 0; k < sizeof(not_id) / sizeof(not_id[0]); k++) {
			agent_run(fx, UA_IP, UA_PORT, &(struct sip_req){.method = "INVITE",
			    .ruri = outside[i], .to = outside[i], .extra = not_id[k]});
			agent_expect(fx->check, 200, PAI_ALICE);
		}
	}
	/* inside the trust domain it is asserted even with Privacy: id */
	for (size_t i = 0; i < sizeof(inside) / sizeof(inside[0]); i++) {
		agent_run(fx, UA_IP, UA_PORT, &(struct sip_req){.method = "INVITE",
		    .ruri = inside[i], .to = inside[i], .extra = asks[0]});
		agent_expect(fx->check, 200, PAI_ALICE);
		assert_string_equal(fx->check->reason, "allowed");
	}
	/* withheld is not unchecked: a service the assertion lacks is refused */
	send_req(fx, "SUBSCRIBE", asks[0]);
	assert_int_equal(fx->check->status, 200);
	rt_time_set_now(0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_invite_voice, agent_fixture_setup,
		    agent_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_services, agent_fixture_setup,
		    agent_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_message_date, agent_fixture_setup,
		    agent_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_pai_stripped, agent_fixture_setup,
		    agent_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_route, agent_fixture_setup,
		    agent_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_flow, agent_fixture_setup,
		    agent_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_security_verify,
		    agent_fixture_setup, agent_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_other_aor_on_flow,
		    agent_fixture_setup, agent_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_expired, agent_fixture_setup,
		    agent_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_privacy, agent_fixture_setup,
		    agent_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_verdict_counters,
		    agent_fixture_setup, agent_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
