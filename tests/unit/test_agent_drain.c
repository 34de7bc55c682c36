/*
 * The spool's way to the broker, against a fake broker (an nng rep0 socket
 * on the fixture's ipc:// address) that answers each UsageSubmit as the
 * test says: records the broker stored are marked sent, the ones it
 * rejected are quarantined with its reason and never sent again (until
 * requeued); a Refusal, a timeout or an answer of the wrong type settle
 * nothing and the same records go again; a Refusal that blames the
 * message halves the submit down to the one record at fault. Sent records
 * stay until spool_keep_sent, so a late report is still one record.
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

#define STATE_COUNT(fx, state) \
	spool_int(fx, "SELECT count(*) FROM record WHERE state = '" state "'")

/* n MESSAGEs of alice's, reported and stored: n pending records. */
static void
messages(struct agent_fixture *fx, int first, int n)
{
	char call_id[64];

	for (int i = first; i < first + n; i++) {
		snprintf(call_id, sizeof(call_id), "m-%d@" UA_IP, i);
		usage_check(fx, sip_request("MESSAGE", call_id, 1), 200);
		usage_expect(usage_alice(fx, "message", sip_response(200, "MESSAGE",
		    call_id, 1)), 200, "stored");
	}
}

/* One drain round against the fake broker answering how. */
static int
drain(struct agent_fixture *fx, struct fake_broker *fb, enum fake_answer how, int err,
    const int *reject, size_t *settled, const struct rt_usage_batch **gotp)
{
	int r;

	fake_broker_expect(fb, how, err, reject);
	r = agent_usage_drain(fx->agent, settled);
	*gotp = fake_broker_wait(fb);
	return r;
}

static void
test_drain_ack(void **state)
{
	struct agent_fixture *fx = *state;
	struct fake_broker *fb;
	const struct rt_usage_batch *got;
	struct agent_spool_stats st;
	static const int reject[] = {1, -1};
	char id[RT_ID_MAX], reason[64], usage[] = "usage", requeue[] = "requeue",
	    status[] = "status";
	struct rt_buf report;
	size_t settled;

	usage_put_alice(fx, "voice,message");
	messages(fx, 0, 3);
	usage_check(fx, sip_request("INVITE", CALL_ID, 1), 200);
	usage_expect(usage_alice(fx, "start", sip_response(200, "INVITE", CALL_ID, 1)),
	    200, "stored");
	rt_time_set_now(AGENT_T0 + 20);
	usage_expect(usage_alice(fx, "stop", sip_request("BYE", CALL_ID, 2)), 200,
	    "stored");
	fb = fake_broker_start(fx);
	/* the broker stores all but the second, which it rejects */
	assert_int_equal(drain(fx, fb, FAKE_ACK, 0, reject, &settled, &got), 0);
	assert_int_equal(settled, 4);
	assert_int_equal(got->nrecords, 4);
	/* what it got is what the spool holds, oldest first */
	assert_string_equal(got->records[0].call_id, "m-0@" UA_IP);
	assert_string_equal(got->records[0].service, "message");
	assert_int_equal(got->records[0].quantity, 1);
	assert_string_equal(got->records[3].call_id, CALL_ID);
	assert_string_equal(got->records[3].service, "voice");
	assert_int_equal(got->records[3].quantity, 20);
	assert_string_equal(got->records[3].unit, "second");
	assert_string_equal(got->records[3].visited, VISITED);
	assert_string_equal(got->records[3].home, HOME);
	assert_string_equal(got->records[3].agreement_ref, AGREEMENT_REF);
	spool_text(fx, id, sizeof(id), "SELECT id FROM record WHERE seq = 2");
	assert_string_equal(got->records[1].id, id);
	assert_int_equal(STATE_COUNT(fx, "sent"), 3);
	assert_int_equal(STATE_COUNT(fx, "quarantined"), 1);
	spool_text(fx, reason, sizeof(reason), "SELECT reason FROM record WHERE id = '%s'",
	    id);
	assert_string_equal(reason, "no_agreement");
	agent_spool_stats(fx->agent->spool, &st);
	assert_int_equal(st.pending, 0);
	assert_int_equal(st.sent, 3);
	assert_int_equal(st.quarantined, 1);
	assert_int_equal(rt_counter_value(fx->agent->metrics.records_drained), 3);
	assert_int_equal(rt_counter_value(fx->agent->metrics.records_quarantined), 1);
	/* nothing left to send: no submit at all */
	assert_int_equal(agent_usage_drain(fx->agent, &settled), 0);
	assert_int_equal(settled, 0);
	/* the admin sees the quarantine, and can send it again */
	rt_buf_init(&report, 64 * 1024);
	assert_int_equal(agent_admin_handle(fx->agent, 1, (char *[]){usage}, &report), 0);
	assert_non_null(strstr(rt_buf_str(&report), "quarantined: 1 records"));
	assert_non_null(strstr(rt_buf_str(&report), id));
	rt_buf_reset(&report);
	assert_int_equal(agent_admin_handle(fx->agent, 1, (char *[]){status}, &report), 0);
	assert_non_null(strstr(rt_buf_str(&report), "usage:       0 records for the "
	    "broker, 1 quarantined, 0 calls open"));
	rt_buf_reset(&report);
	assert_int_equal(agent_admin_handle(fx->agent, 1, (char *[]){requeue}, &report),
	    0);
	assert_string_equal(rt_buf_str(&report), "1 quarantined records back to pending\n");
	/* and /metrics counts it all */
	rt_buf_reset(&report);
	assert_int_equal(rt_metrics_render(fx->agent->metrics.registry, &report), 0);
	assert_non_null(strstr(rt_buf_str(&report),
	    "roamtrust_agent_spool_records{state=\"pending\"} 1\n"));
	assert_non_null(strstr(rt_buf_str(&report),
	    "roamtrust_agent_spool_records{state=\"sent\"} 3\n"));
	assert_non_null(strstr(rt_buf_str(&report),
	    "roamtrust_agent_usage_records_quarantined_total 1\n"));
	assert_non_null(strstr(rt_buf_str(&report), "roamtrust_agent_usage_answers_total"
	    "{event=\"stop\",status=\"200\",result=\"stored\"} 1\n"));
	assert_non_null(strstr(rt_buf_str(&report), "roamtrust_agent_open_calls 0\n"));
	rt_buf_fini(&report);
	assert_int_equal(drain(fx, fb, FAKE_ACK, 0, NULL, &settled, &got), 0);
	assert_int_equal(got->nrecords, 1);
	assert_string_equal(got->records[0].id, id);
	assert_int_equal(STATE_COUNT(fx, "sent"), 4);
	assert_int_equal(STATE_COUNT(fx, "pending"), 0);
	fake_broker_stop(fx, fb);
}

static void
test_drain_retry(void **state)
{
	struct agent_fixture *fx = *state;
	struct fake_broker *fb;
	const struct rt_usage_batch *got;
	size_t settled;

	usage_put_alice(fx, "voice,message");
	messages(fx, 0, 2);
	fb = fake_broker_start(fx);
	/* refused (the broker's ledger is down), answered with the wrong
	 * message, not answered in time: nothing settles, nothing is lost */
	assert_int_equal(drain(fx, fb, FAKE_REFUSAL, RT_ERR_UNAVAILABLE, NULL, &settled,
	    &got), RT_ERR_DENIED);
	assert_int_equal(got->nrecords, 2);
	assert_int_equal(settled, 0);
	assert_int_equal(drain(fx, fb, FAKE_GARBAGE, 0, NULL, &settled, &got),
	    RT_ERR_TYPE);
	fx->config.usage_timeout_ms = 200;
	assert_int_equal(drain(fx, fb, FAKE_SILENT, 0, NULL, &settled, &got),
	    RT_ERR_TIMEOUT);
	assert_int_equal(got->nrecords, 2);
	assert_int_equal(STATE_COUNT(fx, "pending"), 2);
	assert_int_equal(rt_counter_value(fx->agent->metrics.drain_failures), 3);
	/* then it takes them: the same two */
	fx->config.usage_timeout_ms = 10000;
	assert_int_equal(drain(fx, fb, FAKE_ACK, 0, NULL, &settled, &got), 0);
	assert_int_equal(settled, 2);
	assert_int_equal(STATE_COUNT(fx, "sent"), 2);
	assert_int_equal(STATE_COUNT(fx, "pending"), 0);
	fake_broker_stop(fx, fb);
	/* the broker down: the submit times out, the records wait */
	messages(fx, 2, 1);
	fx->config.usage_timeout_ms = 200;
	assert_int_equal(agent_broker_start(fx->agent), 0);
	assert_int_equal(agent_usage_drain(fx->agent, &settled), RT_ERR_TIMEOUT);
	agent_broker_stop(fx->agent);
	/* and with the agent's side of it stopped, at once */
	assert_int_equal(agent_usage_drain(fx->agent, &settled), RT_ERR_UNAVAILABLE);
	assert_int_equal(STATE_COUNT(fx, "pending"), 1);
}

static void
test_drain_bisect(void **state)
{
	struct agent_fixture *fx = *state;
	struct fake_broker *fb;
	const struct rt_usage_batch *got;
	char id[RT_ID_MAX], reason[64];
	size_t settled;

	usage_put_alice(fx, "voice,message");
	messages(fx, 0, 3);
	spool_text(fx, id, sizeof(id), "SELECT id FROM record WHERE seq = 1");
	fb = fake_broker_start(fx);
	/* the broker refuses the message itself (schema): halve it until the
	 * record at fault is alone, and set that one aside */
	assert_int_equal(drain(fx, fb, FAKE_REFUSAL, RT_ERR_SCHEMA, NULL, &settled, &got),
	    0);
	assert_int_equal(got->nrecords, 3);
	assert_int_equal(settled, 0);
	assert_int_equal(drain(fx, fb, FAKE_REFUSAL, RT_ERR_SCHEMA, NULL, &settled, &got),
	    0);
	assert_int_equal(got->nrecords, 1);
	assert_int_equal(settled, 1);
	spool_text(fx, reason, sizeof(reason), "SELECT state || ' ' || reason FROM record "
	    "WHERE id = '%s'", id);
	assert_string_equal(reason, "quarantined schema");
	/* the queue moves on, whole submits again */
	assert_int_equal(drain(fx, fb, FAKE_ACK, 0, NULL, &settled, &got), 0);
	assert_int_equal(got->nrecords, 2);
	assert_int_equal(STATE_COUNT(fx, "sent"), 2);
	fake_broker_stop(fx, fb);
}

static void
test_keep_sent(void **state)
{
	struct agent_fixture *fx = *state;
	struct fake_broker *fb;
	const struct rt_usage_batch *got;
	struct agent_spool_stats st;
	long keep = fx->config.spool_keep_sent;
	size_t settled, closed;

	assert_int_equal(keep, 86400);
	usage_put_alice(fx, "voice,message");
	messages(fx, 0, 1);
	fb = fake_broker_start(fx);
	assert_int_equal(drain(fx, fb, FAKE_ACK, 0, NULL, &settled, &got), 0);
	fake_broker_stop(fx, fb);
	/* a retry of the proxy after the record was sent: still one record */
	usage_expect(usage_alice(fx, "message", sip_response(200, "MESSAGE", "m-0@" UA_IP,
	    1)), 200, "stored");
	assert_int_equal(spool_int(fx, "SELECT count(*) FROM record"), 1);
	rt_time_set_now(AGENT_T0 + keep);
	assert_int_equal(agent_usage_sweep(fx->agent, rt_time_now(), &closed), 0);
	assert_int_equal(spool_int(fx, "SELECT count(*) FROM record"), 1);
	rt_time_set_now(AGENT_T0 + keep + 1);
	assert_int_equal(agent_usage_sweep(fx->agent, rt_time_now(), &closed), 0);
	assert_int_equal(spool_int(fx, "SELECT count(*) FROM record"), 0);
	agent_spool_stats(fx->agent->spool, &st);
	assert_int_equal(st.sent, 0);
}

static void
test_submit_size(void **state)
{
	struct agent_fixture *fx = *state;
	struct fake_broker *fb;
	const struct rt_usage_batch *got;
	size_t settled, total = 0;
	int rounds = 0;

	/* 600 records do not fit in one message the broker takes (192 KiB):
	 * they go in several submits, all of them */
	usage_put_alice(fx, "voice,message");
	messages(fx, 0, 600);
	fb = fake_broker_start(fx);
	while (total < 600 && rounds++ < 10) {
		assert_int_equal(drain(fx, fb, FAKE_ACK, 0, NULL, &settled, &got), 0);
		assert_true(got->nrecords == settled && settled < 600);
		total += settled;
	}
	assert_int_equal(total, 600);
	assert_int_equal(STATE_COUNT(fx, "sent"), 600);
	fake_broker_stop(fx, fb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_drain_ack, usage_fixture_setup,
		    usage_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_drain_retry, usage_fixture_setup,
		    usage_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_drain_bisect, usage_fixture_setup,
		    usage_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_keep_sent, usage_fixture_setup,
		    usage_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_submit_size, usage_fixture_setup,
		    usage_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
