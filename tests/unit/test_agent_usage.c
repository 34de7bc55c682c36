/*
 * Usage capture at the agent: the proxy's reports (start, stop, message,
 * register) paired with the requests the policy allowed, written to the
 * spool before the answer. A call is open from its 2xx to its BYE and
 * then one record of whole seconds; repeats (a retransmitted 2xx or BYE,
 * a re-INVITE, a proxy retry) never make a second record; what is nobody's
 * to bill is "ignored"; bad reports are 400 and store nothing; a call
 * without a stop is closed at max_call_duration by the sweeper, an ended
 * one forgotten once no report of it can come any more; open calls
 * and records survive a restart; a spool that cannot write (read-only,
 * full, closed) answers 503 and acknowledges nothing. The way to the
 * broker is in test_agent_drain.c. The clock is fixed: no test times
 * anything.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helper_usage.h"
#include "rt_codec.h"

#define RECORDS(fx) spool_int(fx, "SELECT count(*) FROM record")
#define OPEN_CALLS(fx) \
	spool_int(fx, "SELECT count(*) FROM open_call WHERE closed_at IS NULL")

/* alice (voice, message) calls: the INVITE allowed, its 200 reported. */
static void
call_started(struct agent_fixture *fx, const char *call_id)
{
	usage_check(fx, sip_request("INVITE", call_id, 1), 200);
	usage_expect(usage_alice(fx, "start", sip_response(200, "INVITE", call_id, 1)),
	    200, "stored");
}

static void
test_call(void **state)
{
	struct agent_fixture *fx = *state;
	struct agent_spool_stats st;
	char text[300];

	usage_put_alice(fx, "voice,message");
	call_started(fx, CALL_ID);
	assert_int_equal(OPEN_CALLS(fx), 1);
	assert_int_equal(RECORDS(fx), 0);
	rt_time_set_now(AGENT_T0 + 65);
	usage_expect(usage_alice(fx, "stop", sip_request("BYE", CALL_ID, 2)), 200,
	    "stored");
	assert_int_equal(OPEN_CALLS(fx), 0);
	assert_int_equal(RECORDS(fx), 1);
	assert_int_equal(spool_int(fx, "SELECT quantity FROM record"), 65);
	assert_int_equal(spool_int(fx, "SELECT start_at FROM record"), AGENT_T0);
	assert_int_equal(spool_int(fx, "SELECT end_at FROM record"), AGENT_T0 + 65);
	spool_text(fx, text, sizeof(text), "SELECT service || ' ' || unit || ' ' || "
	    "subscriber || ' ' || home || ' ' || visited || ' ' || call_id || ' ' || "
	    "agreement_ref || ' ' || assertion_ref || ' ' || state || ' [' || flags || "
	    "'] ' || event_key FROM record");
	assert_string_equal(text, "voice second " ALICE " " HOME " " VISITED " " CALL_ID
	    " " AGREEMENT_REF " " ASSERTION_REF " pending [] call:" CALL_ID);
	spool_text(fx, text, sizeof(text), "SELECT id FROM record");
	assert_true(rt_uuid_valid(text));
	assert_int_equal(text[14], '7');	/* UUIDv7: time-ordered */
	agent_spool_stats(fx->agent->spool, &st);
	assert_int_equal(st.pending, 1);
	assert_int_equal(st.open_calls, 0);
	assert_int_equal(rt_counter_value(fx->agent->metrics.records_stored), 1);
	assert_int_equal(rt_counter_value(fx->agent->metrics.usage_answers
	    [AGENT_USAGE_START][AGENT_USAGE_STORED]), 1);
}

static void
test_repeats(void **state)
{
	struct agent_fixture *fx = *state;

	usage_put_alice(fx, "voice,message");
	call_started(fx, CALL_ID);
	/* a retransmitted 200, a re-INVITE and its 200: still one call */
	rt_time_set_now(AGENT_T0 + 5);
	usage_expect(usage_alice(fx, "start", sip_response(200, "INVITE", CALL_ID, 1)),
	    200, "stored");
	assert_int_equal(usage_alice(fx, "start", sip_response(200, "INVITE", CALL_ID,
	    1))->result, AGENT_USAGE_REPEAT);
	usage_check(fx, sip_request("INVITE", CALL_ID, 2), 200);
	usage_expect(usage_alice(fx, "start", sip_response(200, "INVITE", CALL_ID, 2)),
	    200, "stored");
	assert_int_equal(OPEN_CALLS(fx), 1);
	assert_int_equal(spool_int(fx, "SELECT start_at FROM open_call"), AGENT_T0);
	rt_time_set_now(AGENT_T0 + 30);
	usage_expect(usage_alice(fx, "stop", sip_request("BYE", CALL_ID, 3)), 200,
	    "stored");
	/* the BYE again, a late 200: answered "stored", nothing new */
	rt_time_set_now(AGENT_T0 + 31);
	usage_expect(usage_alice(fx, "stop", sip_request("BYE", CALL_ID, 3)), 200,
	    "stored");
	assert_int_equal(fx->agent->spool != NULL, 1);
	usage_expect(usage_alice(fx, "start", sip_response(200, "INVITE", CALL_ID, 2)),
	    200, "stored");
	assert_int_equal(OPEN_CALLS(fx), 0);
	assert_int_equal(RECORDS(fx), 1);
	assert_int_equal(spool_int(fx, "SELECT quantity FROM record"), 30);
	/* a MESSAGE reported twice (a proxy retry) is one record */
	usage_check(fx, sip_request("MESSAGE", "m-1@" UA_IP, 7), 200);
	for (int i = 0; i < 2; i++)
		usage_expect(usage_alice(fx, "message", sip_response(200, "MESSAGE",
		    "m-1@" UA_IP, 7)), 200, "stored");
	assert_int_equal(spool_int(fx, "SELECT count(*) FROM record WHERE service = "
	    "'message'"), 1);
	assert_int_equal(rt_counter_value(fx->agent->metrics.records_stored), 2);
}

/* alice registers a second contact on her flow, by the REGISTER of
 * call_id and cseq. */
static void
second_contact(struct agent_fixture *fx, const char *call_id, long cseq)
{
	struct agent_binding *b = calloc(1, sizeof(*b));

	assert_non_null(b);
	assert_int_equal(agent_bindings_get(fx->agent->bindings, UA_FLOW, ALICE, NULL, b),
	    0);
	snprintf(b->contact, sizeof(b->contact), "sip:alice@" UA_IP ":5060;line=2");
	b->registered_ms = rt_time_now_ms();
	b->register_hash = agent_usage_hash((struct rt_sip_str){call_id,
	    strlen(call_id)}, cseq);
	assert_int_equal(agent_bindings_put(fx->agent->bindings, b), 0);
	free(b);
}

static void
test_message_and_register(void **state)
{
	struct agent_fixture *fx = *state;
	char text[200];

	usage_put_alice(fx, "voice,message,registration");
	usage_check(fx, sip_request("MESSAGE", "m-2@" UA_IP, 1), 200);
	rt_time_set_now(AGENT_T0 + 2);
	usage_expect(usage_alice(fx, "message", sip_response(202, "MESSAGE",
	    "m-2@" UA_IP, 1)), 200, "stored");
	spool_text(fx, text, sizeof(text), "SELECT service || ' ' || unit || ' ' || "
	    "quantity || ' ' || (end_at - start_at) || ' ' || event_key FROM record");
	assert_string_equal(text, "message message 1 0 msg:m-2@" UA_IP ":1");
	assert_int_equal(spool_int(fx, "SELECT start_at FROM record"), AGENT_T0 + 2);
	/* another MESSAGE of the dialog (CSeq 2) was never allowed */
	usage_expect(usage_alice(fx, "message", sip_response(200, "MESSAGE",
	    "m-2@" UA_IP, 2)), 200, "ignored");
	/* the registration: its 200, or the REGISTER a registrar accepted */
	usage_registered(fx, "r-1@" UA_IP, 5);
	usage_expect(usage_alice(fx, "register", sip_response(200, "REGISTER",
	    "r-1@" UA_IP, 5)), 200, "stored");
	usage_expect(usage_alice(fx, "register", sip_request("REGISTER", "r-1@" UA_IP,
	    5)), 200, "stored");
	assert_int_equal(spool_int(fx, "SELECT count(*) FROM record WHERE service = "
	    "'registration'"), 1);
	/* a report of a REGISTER that is not the binding's: not billed */
	usage_expect(usage_alice(fx, "register", sip_request("REGISTER", "r-1@" UA_IP,
	    6)), 200, "ignored");
	/* its refresh is a registration of its own; the old one's late report
	 * is nothing new */
	rt_time_set_now(AGENT_T0 + 1800);
	usage_registered(fx, "r-1@" UA_IP, 6);
	usage_expect(usage_alice(fx, "register", sip_response(200, "REGISTER",
	    "r-1@" UA_IP, 6)), 200, "stored");
	usage_expect(usage_alice(fx, "register", sip_response(200, "REGISTER",
	    "r-1@" UA_IP, 5)), 200, "ignored");
	spool_text(fx, text, sizeof(text), "SELECT group_concat(service || ' ' || unit "
	    "|| ' ' || quantity || ' ' || start_at, ';') FROM record WHERE service = "
	    "'registration'");
	assert_string_equal(text, "registration event 1 1800000002;"
	    "registration event 1 1800001800");
	assert_int_equal(RECORDS(fx), 3);
	/* a second contact of alice's on the flow: its REGISTER is billed as
	 * well, and the first binding stays */
	second_contact(fx, "r-2@" UA_IP, 1);
	usage_expect(usage_alice(fx, "register", sip_request("REGISTER", "r-2@" UA_IP,
	    1)), 200, "stored");
	assert_int_equal(agent_bindings_count(fx->agent->bindings), 2);
	assert_int_equal(RECORDS(fx), 4);
}

static void
test_ignored(void **state)
{
	struct agent_fixture *fx = *state;

	/* a registration is billed only where the agreement says so */
	usage_put_alice(fx, "voice,message");
	usage_registered(fx, "r-1@" UA_IP, 1);
	usage_expect(usage_alice(fx, "register", sip_response(200, "REGISTER",
	    "r-1@" UA_IP, 1)), 200, "ignored");
	/* no INVITE allowed with that Call-ID (a subscriber of ours, a call
	 * to a roamer, a refused INVITE) */
	usage_expect(usage_alice(fx, "start", sip_response(200, "INVITE", CALL_ID, 1)),
	    200, "ignored");
	usage_expect(usage_alice(fx, "message", sip_response(200, "MESSAGE", CALL_ID,
	    1)), 200, "ignored");
	/* the INVITE allowed, but the 200 reported for another flow */
	usage_check(fx, sip_request("INVITE", CALL_ID, 1), 200);
	usage_expect(usage_report(fx, "start", "udp", UA_IP, "5062",
	    sip_response(200, "INVITE", CALL_ID, 1), strlen(sip_response(200, "INVITE",
	    CALL_ID, 1))), 200, "ignored");
	/* nothing open: BYE and CANCEL; and a CANCEL never ends a call */
	usage_expect(usage_alice(fx, "stop", sip_request("BYE", "other@" UA_IP, 2)), 200,
	    "ignored");
	call_started(fx, CALL_ID);
	usage_expect(usage_alice(fx, "stop", sip_request("CANCEL", CALL_ID, 1)), 200,
	    "ignored");
	assert_int_equal(OPEN_CALLS(fx), 1);
	/* the pending INVITE expired: its late 200 bills nothing */
	usage_check(fx, sip_request("INVITE", "late@" UA_IP, 1), 200);
	rt_time_set_now(AGENT_T0 + fx->config.usage_pending_time);
	usage_expect(usage_alice(fx, "start", sip_response(200, "INVITE", "late@" UA_IP,
	    1)), 200, "ignored");
	/* refused requests: bob may not call, alice's stale MESSAGE */
	agent_put_binding(fx, "udp:" UA_IP ":5070", BOB_HOME, "message",
	    AGENT_T0 + 86400, AGENT_T0 + 86400);
	agent_run_raw(fx, "udp", UA_IP, 5070, sip_request("INVITE", "bob@" UA_IP, 1),
	    strlen(sip_request("INVITE", "bob@" UA_IP, 1)));
	assert_int_equal(fx->check->status, 403);
	usage_expect(usage_report(fx, "start", "udp", UA_IP, "5070",
	    sip_response(200, "INVITE", "bob@" UA_IP, 1), strlen(sip_response(200,
	    "INVITE", "bob@" UA_IP, 1))), 200, "ignored");
	assert_int_equal(RECORDS(fx), 0);
	assert_int_equal(OPEN_CALLS(fx), 1);
	assert_int_equal(rt_counter_value(fx->agent->metrics.usage_answers
	    [AGENT_USAGE_START][AGENT_USAGE_IGNORED]), 4);
}

static void
test_bad_reports(void **state)
{
	struct agent_fixture *fx = *state;
	static char big[RT_SIP_MAX_MSG + 2];
	char copy[2048];

	usage_put_alice(fx, "voice,message");
	usage_check(fx, sip_request("INVITE", CALL_ID, 1), 200);
	snprintf(copy, sizeof(copy), "%s", sip_response(200, "INVITE", CALL_ID, 1));
	usage_expect(usage_report(fx, "begin", "udp", UA_IP, "5060", copy, strlen(copy)),
	    400, "Bad Request (event: start, stop, message, register)");
	usage_expect(usage_report(fx, NULL, "udp", UA_IP, "5060", copy, strlen(copy)),
	    400, "Bad Request (event: start, stop, message, register)");
	usage_expect(usage_report(fx, "start", "udp", "alice", "5060", copy,
	    strlen(copy)), 400, "Bad Request (src, sport, proto)");
	usage_expect(usage_report(fx, "start", "udp", UA_IP, NULL, copy, strlen(copy)),
	    400, "Bad Request (src, sport, proto)");
	usage_expect(usage_report(fx, "start", "sctp2", UA_IP, "5060", copy,
	    strlen(copy)), 400, "Bad Request (src, sport, proto)");
	usage_expect(usage_report(fx, "start", "udp", UA_IP, "70000", copy,
	    strlen(copy)), 400, "Bad Request (src, sport, proto)");
	usage_expect(usage_alice(fx, "start", "hello"), 400, "Bad Request (SIP message)");
	usage_expect(usage_report(fx, "start", "udp", UA_IP, "5060", copy,
	    strlen(copy) - 2), 400, "Bad Request (SIP message)");
	usage_expect(usage_alice(fx, "start", sip_request("INVITE", CALL_ID, 1)), 400,
	    "Bad Request (not a 2xx to an INVITE)");
	usage_expect(usage_alice(fx, "start", sip_response(486, "INVITE", CALL_ID, 1)),
	    400, "Bad Request (not a 2xx to an INVITE)");
	usage_expect(usage_alice(fx, "start", sip_response(200, "MESSAGE", CALL_ID, 1)),
	    400, "Bad Request (not a 2xx to an INVITE)");
	usage_expect(usage_alice(fx, "stop", sip_response(200, "BYE", CALL_ID, 2)), 400,
	    "Bad Request (not a BYE or CANCEL)");
	usage_expect(usage_alice(fx, "stop", sip_request("INVITE", CALL_ID, 2)), 400,
	    "Bad Request (not a BYE or CANCEL)");
	usage_expect(usage_alice(fx, "message", sip_response(200, "INVITE", CALL_ID, 1)),
	    400, "Bad Request (not a 2xx to a MESSAGE)");
	usage_expect(usage_alice(fx, "register", sip_response(401, "REGISTER", CALL_ID,
	    1)), 400, "Bad Request (not a REGISTER or its 2xx)");
	memset(big, 'x', sizeof(big) - 1);
	usage_expect(usage_report(fx, "start", "udp", UA_IP, "5060", big,
	    sizeof(big) - 1), 413, "Request Entity Too Large");
	assert_int_equal(RECORDS(fx), 0);
	assert_int_equal(OPEN_CALLS(fx), 0);
	/* and the report itself still works */
	usage_expect(usage_alice(fx, "start", copy), 200, "stored");
}

static void
test_unbillable(void **state)
{
	struct agent_fixture *fx = *state;
	struct agent_binding *b = calloc(1, sizeof(*b));

	/* an assertion without its agreement (the broker's checks keep it
	 * from happening): nothing a broker would refuse is acknowledged */
	assert_non_null(b);
	usage_put_alice(fx, "voice,message");
	assert_int_equal(agent_bindings_get(fx->agent->bindings, UA_FLOW, ALICE, NULL,
	    b), 0);
	b->assertion.agreement_ref[0] = '\0';
	assert_int_equal(agent_bindings_put(fx->agent->bindings, b), 0);
	free(b);
	usage_check(fx, sip_request("INVITE", CALL_ID, 1), 200);
	usage_expect(usage_alice(fx, "start", sip_response(200, "INVITE", CALL_ID, 1)),
	    500, "Server Internal Error (record)");
	usage_check(fx, sip_request("MESSAGE", "m-9@" UA_IP, 1), 200);
	usage_expect(usage_alice(fx, "message", sip_response(200, "MESSAGE", "m-9@" UA_IP,
	    1)), 500, "Server Internal Error (record)");
	assert_int_equal(RECORDS(fx), 0);
	assert_int_equal(OPEN_CALLS(fx), 0);
}

static void
test_call_id_limits(void **state)
{
	struct agent_fixture *fx = *state;
	char call_id[300];

	usage_put_alice(fx, "voice,message");
	/* a Call-ID too long for a record: the call is not allowed at all */
	memset(call_id, 'a', sizeof(call_id) - 1);
	call_id[sizeof(call_id) - 1] = '\0';
	usage_check(fx, sip_request("INVITE", call_id, 1), 400);
	assert_string_equal(rt_buf_str(&fx->check->body), "Bad Request (Call-ID too long)\r\n");
	usage_expect(usage_alice(fx, "start", sip_response(200, "INVITE", call_id, 1)),
	    400, "Bad Request (Call-ID too long)");
	/* 256 characters is the most a record holds */
	call_id[256] = '\0';
	call_started(fx, call_id);
	usage_expect(usage_alice(fx, "stop", sip_request("BYE", call_id, 2)), 200,
	    "stored");
	assert_int_equal(spool_int(fx, "SELECT length(call_id) FROM record"), 256);
}

static void
test_pending_full(void **state)
{
	struct agent_fixture *fx = *state;
	struct agent_usage_party party;

	usage_put_alice(fx, "voice,message");
	agent_pending_free(fx->agent->pending);
	assert_int_equal(agent_pending_new(1, 60, &fx->agent->pending), 0);
	usage_check(fx, sip_request("INVITE", "a@" UA_IP, 1), 200);
	/* its retransmission refreshes it; another call has no room: 503 */
	usage_check(fx, sip_request("INVITE", "a@" UA_IP, 1), 200);
	usage_check(fx, sip_request("INVITE", "b@" UA_IP, 1), 503);
	assert_string_equal(fx->check->reason, "usage_full");
	/* the first expires, the second gets its place */
	rt_time_set_now(AGENT_T0 + 60);
	usage_check(fx, sip_request("INVITE", "b@" UA_IP, 1), 200);
	assert_int_equal(agent_pending_get(fx->agent->pending, "i:a@" UA_IP,
	    AGENT_T0 + 60, &party), RT_ERR_NOT_FOUND);
	assert_int_equal(agent_pending_get(fx->agent->pending, "i:b@" UA_IP,
	    AGENT_T0 + 60, &party), 0);
	assert_string_equal(party.flow, UA_FLOW);
	assert_string_equal(party.subscriber, ALICE);
	assert_int_equal(agent_pending_count(fx->agent->pending), 1);
}

static void
test_max_duration(void **state)
{
	struct agent_fixture *fx = *state;
	long max = fx->config.max_call_duration;
	size_t closed = 99;
	char flags[64];

	assert_int_equal(max, 14400);
	usage_put_alice(fx, "voice,message");
	call_started(fx, "long@" UA_IP);
	call_started(fx, "short@" UA_IP);
	/* at exactly the maximum nothing is closed yet */
	rt_time_set_now(AGENT_T0 + max);
	assert_int_equal(agent_usage_sweep(fx->agent, rt_time_now(), &closed), 0);
	assert_int_equal(closed, 0);
	usage_expect(usage_alice(fx, "stop", sip_request("BYE", "short@" UA_IP, 2)),
	    200, "stored");
	rt_time_set_now(AGENT_T0 + max + 7);
	assert_int_equal(agent_usage_sweep(fx->agent, rt_time_now(), &closed), 0);
	assert_int_equal(closed, 1);
	assert_int_equal(OPEN_CALLS(fx), 0);
	assert_int_equal(spool_int(fx, "SELECT quantity FROM record WHERE call_id = "
	    "'long@" UA_IP "'"), max);
	assert_int_equal(spool_int(fx, "SELECT end_at - start_at FROM record WHERE "
	    "call_id = 'long@" UA_IP "'"), max);
	spool_text(fx, flags, sizeof(flags), "SELECT flags FROM record WHERE call_id = "
	    "'long@" UA_IP "'");
	assert_string_equal(flags, "max-duration");
	spool_text(fx, flags, sizeof(flags), "SELECT flags FROM record WHERE call_id = "
	    "'short@" UA_IP "'");
	assert_string_equal(flags, "");
	assert_int_equal(spool_int(fx, "SELECT quantity FROM record WHERE call_id = "
	    "'short@" UA_IP "'"), max);
	/* the BYE that comes after all: one record, as it was */
	usage_expect(usage_alice(fx, "stop", sip_request("BYE", "long@" UA_IP, 2)), 200,
	    "stored");
	assert_int_equal(RECORDS(fx), 2);
	/* a BYE later than the maximum, before the sweeper: capped and flagged */
	call_started(fx, "later@" UA_IP);
	rt_time_set_now(AGENT_T0 + 3 * max);
	usage_expect(usage_alice(fx, "stop", sip_request("BYE", "later@" UA_IP, 2)), 200,
	    "stored");
	assert_int_equal(spool_int(fx, "SELECT quantity FROM record WHERE call_id = "
	    "'later@" UA_IP "' AND flags = 'max-duration'"), max);
	assert_int_equal(rt_counter_value(fx->agent->metrics.calls_max_duration), 1);
}

static void
test_closed_calls_forgotten(void **state)
{
	struct agent_fixture *fx = *state;
	long keep = fx->config.usage_pending_time + 60;
	size_t closed;

	usage_put_alice(fx, "voice,message");
	call_started(fx, CALL_ID);
	rt_time_set_now(AGENT_T0 + 10);
	usage_expect(usage_alice(fx, "stop", sip_request("BYE", CALL_ID, 2)), 200,
	    "stored");
	/* the ended call is remembered while its reports may still come */
	rt_time_set_now(AGENT_T0 + 10 + keep);
	assert_int_equal(agent_usage_sweep(fx->agent, rt_time_now(), &closed), 0);
	assert_int_equal(spool_int(fx, "SELECT count(*) FROM open_call"), 1);
	usage_expect(usage_alice(fx, "stop", sip_request("BYE", CALL_ID, 2)), 200,
	    "stored");
	rt_time_set_now(AGENT_T0 + 11 + keep);
	assert_int_equal(agent_usage_sweep(fx->agent, rt_time_now(), &closed), 0);
	assert_int_equal(closed, 0);
	assert_int_equal(spool_int(fx, "SELECT count(*) FROM open_call"), 0);
	/* then a BYE is nobody's, and its INVITE's 200 too: still one record */
	usage_expect(usage_alice(fx, "stop", sip_request("BYE", CALL_ID, 2)), 200,
	    "ignored");
	usage_expect(usage_alice(fx, "start", sip_response(200, "INVITE", CALL_ID, 1)),
	    200, "ignored");
	assert_int_equal(RECORDS(fx), 1);
	assert_int_equal(spool_int(fx, "SELECT quantity FROM record"), 10);
}

static void
test_restart(void **state)
{
	struct agent_fixture *fx = *state;
	struct agent_spool_stats st;
	size_t closed;

	usage_put_alice(fx, "voice,message");
	call_started(fx, CALL_ID);
	call_started(fx, "forgotten@" UA_IP);
	usage_check(fx, sip_request("MESSAGE", "m-3@" UA_IP, 1), 200);
	usage_expect(usage_alice(fx, "message", sip_response(200, "MESSAGE", "m-3@" UA_IP,
	    1)), 200, "stored");
	/* the agent stops (closing its spool) and starts again */
	agent_usage_stop(fx->agent);
	usage_expect(usage_alice(fx, "stop", sip_request("BYE", CALL_ID, 2)), 503,
	    "Service Unavailable (spool closed)");
	assert_int_equal(agent_usage_open(fx->agent), 0);
	agent_spool_stats(fx->agent->spool, &st);
	assert_int_equal(st.open_calls, 2);
	assert_int_equal(st.pending, 1);
	rt_time_set_now(AGENT_T0 + 42);
	usage_expect(usage_alice(fx, "stop", sip_request("BYE", CALL_ID, 2)), 200,
	    "stored");
	assert_int_equal(spool_int(fx, "SELECT quantity FROM record WHERE call_id = '"
	    CALL_ID "'"), 42);
	/* the sweeper closes the other one after a restart too */
	agent_usage_stop(fx->agent);
	assert_int_equal(agent_usage_open(fx->agent), 0);
	rt_time_set_now(AGENT_T0 + fx->config.max_call_duration + 1);
	assert_int_equal(agent_usage_sweep(fx->agent, rt_time_now(), &closed), 0);
	assert_int_equal(closed, 1);
	agent_spool_stats(fx->agent->spool, &st);
	assert_int_equal(st.open_calls, 0);
	assert_int_equal(st.pending, 3);
	assert_int_equal(RECORDS(fx), 3);
}

static void
test_storage_fails(void **state)
{
	struct agent_fixture *fx = *state;
	struct agent_spool_stats st;

	usage_put_alice(fx, "voice,message");
	call_started(fx, CALL_ID);
	usage_check(fx, sip_request("INVITE", "second@" UA_IP, 1), 200);
	usage_check(fx, sip_request("MESSAGE", "m-4@" UA_IP, 1), 200);
	/* every write fails as on a read-only file system: nothing is
	 * acknowledged, and nothing changes */
	spool_writer_exec(fx, "PRAGMA query_only = 1");
	usage_expect(usage_alice(fx, "start", sip_response(200, "INVITE", "second@" UA_IP,
	    1)), 503, "Service Unavailable (spool read-only)");
	usage_expect(usage_alice(fx, "message", sip_response(200, "MESSAGE", "m-4@" UA_IP,
	    1)), 503, "Service Unavailable (spool read-only)");
	rt_time_set_now(AGENT_T0 + 10);
	usage_expect(usage_alice(fx, "stop", sip_request("BYE", CALL_ID, 2)), 503,
	    "Service Unavailable (spool read-only)");
	assert_int_equal(OPEN_CALLS(fx), 1);
	assert_int_equal(RECORDS(fx), 0);
	agent_spool_stats(fx->agent->spool, &st);
	assert_int_equal(st.pending, 0);
	assert_int_equal(st.open_calls, 1);
	assert_int_equal(rt_counter_value(fx->agent->metrics.usage_answers
	    [AGENT_USAGE_STOP][AGENT_USAGE_UNAVAILABLE]), 1);
	/* writable again (a restart: a new connection): the proxy's retries
	 * are stored */
	agent_usage_stop(fx->agent);
	assert_int_equal(agent_usage_open(fx->agent), 0);
	usage_expect(usage_alice(fx, "stop", sip_request("BYE", CALL_ID, 2)), 200,
	    "stored");
	usage_expect(usage_alice(fx, "start", sip_response(200, "INVITE", "second@" UA_IP,
	    1)), 200, "stored");
	usage_expect(usage_alice(fx, "message", sip_response(200, "MESSAGE", "m-4@" UA_IP,
	    1)), 200, "stored");
	assert_int_equal(RECORDS(fx), 2);
	assert_int_equal(OPEN_CALLS(fx), 1);
}

static void
test_spool_full(void **state)
{
	struct agent_fixture *fx = *state;

	usage_put_alice(fx, "voice,message");
	call_started(fx, CALL_ID);
	usage_check(fx, sip_request("INVITE", "new@" UA_IP, 1), 200);
	usage_check(fx, sip_request("MESSAGE", "m-5@" UA_IP, 1), 200);
	/* a cap the spool is already over: new calls and records are
	 * refused; the call already open still ends and is billed */
	agent_usage_stop(fx->agent);
	fx->config.spool_max_size = 1;
	assert_int_equal(agent_usage_open(fx->agent), 0);
	usage_expect(usage_alice(fx, "start", sip_response(200, "INVITE", "new@" UA_IP,
	    1)), 503, "Service Unavailable (spool full)");
	usage_expect(usage_alice(fx, "message", sip_response(200, "MESSAGE", "m-5@" UA_IP,
	    1)), 503, "Service Unavailable (spool full)");
	rt_time_set_now(AGENT_T0 + 3);
	usage_expect(usage_alice(fx, "stop", sip_request("BYE", CALL_ID, 2)), 200,
	    "stored");
	/* its repeat is still "stored", not refused */
	usage_expect(usage_alice(fx, "start", sip_response(200, "INVITE", CALL_ID, 1)),
	    200, "stored");
	assert_int_equal(RECORDS(fx), 1);
	assert_int_equal(OPEN_CALLS(fx), 0);
}

static void
test_sip_response_parse(void **state)
{
	struct rt_sip_msg msg;
	const char *why = NULL;
	const char *ok = sip_response(183, "INVITE", CALL_ID, 9);

	(void)state;
	assert_int_equal(rt_sip_parse_response(ok, strlen(ok), &msg, &why), 0);
	assert_int_equal(msg.status, 183);
	assert_int_equal(msg.method, RT_SIP_INVITE);
	assert_int_equal(msg.cseq, 9);
	assert_int_equal(msg.reason.len, strlen("OK"));
	/* the parser of requests refuses it, and the other way round */
	assert_int_equal(rt_sip_parse(ok, strlen(ok), &msg, &why), RT_ERR_BAD_INPUT);
	assert_string_equal(why, "not a request");
	ok = sip_request("BYE", CALL_ID, 2);
	assert_int_equal(rt_sip_parse_response(ok, strlen(ok), &msg, &why),
	    RT_ERR_BAD_INPUT);
	assert_string_equal(why, "not a response");
	assert_int_equal(rt_sip_parse(ok, strlen(ok), &msg, &why), 0);
	assert_int_equal(msg.status, 0);
	/* status lines */
	static const char *const bad[] = {"SIP/2.0 99 Early\r\n", "SIP/2.0 700 X\r\n",
	    "SIP/2.0 2000 OK\r\n", "SIP/2.0 200\r\n", "SIP/2.0  200 OK\r\n",
	    "SIP/3.0 200 OK\r\n", "SIP/2.0 200 O\x01K\r\n", "SIP/2.0 2x0 OK\r\n"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[512];

		snprintf(text, sizeof(text), "%s%s", bad[i], strchr(sip_response(200,
		    "INVITE", CALL_ID, 1), '\n') + 1);
		assert_int_equal(rt_sip_parse_response(text, strlen(text), &msg, &why),
		    RT_ERR_BAD_INPUT);
		assert_string_equal(why, "bad status line");
	}
	ok = "SIP/2.0 200 \r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:a@b>\r\nTo: <sip:c@d>\r\n"
	    "Call-ID: x\r\nCSeq: 1 NOTIFY\r\n\r\n";
	assert_int_equal(rt_sip_parse_response(ok, strlen(ok), &msg, &why), 0);
	assert_int_equal(msg.method, RT_SIP_NOTIFY);
	assert_int_equal(msg.reason.len, 0);
	ok = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:a@b>\r\nTo: <sip:c@d>\r\n"
	    "Call-ID: x\r\n\r\n";
	assert_int_equal(rt_sip_parse_response(ok, strlen(ok), &msg, &why),
	    RT_ERR_BAD_INPUT);
	assert_string_equal(why, "missing CSeq");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_call, usage_fixture_setup,
		    usage_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_repeats, usage_fixture_setup,
		    usage_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_message_and_register,
		    usage_fixture_setup, usage_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_ignored, usage_fixture_setup,
		    usage_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_bad_reports, usage_fixture_setup,
		    usage_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_unbillable, usage_fixture_setup,
		    usage_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_call_id_limits, usage_fixture_setup,
		    usage_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_pending_full, usage_fixture_setup,
		    usage_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_max_duration, usage_fixture_setup,
		    usage_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_closed_calls_forgotten,
		    usage_fixture_setup, usage_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_restart, usage_fixture_setup,
		    usage_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_storage_fails, usage_fixture_setup,
		    usage_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_spool_full, usage_fixture_setup,
		    usage_fixture_teardown),
		cmocka_unit_test(test_sip_response_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
