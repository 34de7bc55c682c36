/*
 * Shared by the usage tests (test_agent_usage, test_agent_drain): the
 * agent fixture of helper_agent.h with its spool open (never started: no
 * thread, the tests sweep and drain by hand), usage reports run to their
 * answer, the SIP messages a proxy reports (built with a given Call-ID and
 * CSeq), queries on the spool file, and a fake broker: an nng rep0 socket
 * on the fixture's broker address that answers one submit as told.
 */
#ifndef HELPER_USAGE_H
#define HELPER_USAGE_H

#include <stddef.h>

#include "helper_agent.h"

#define CALL_ID "c0ffee-4711@" UA_IP
#define AGREEMENT_REF "0190f3c2-0000-7000-8000-00000000a9e1"
#define ASSERTION_REF "0190f3c2-7a1e-7c3d-9a4b-5e6f7a8b9c0d"

/* cmocka setup and teardown: an agent_fixture with agent_usage_open done;
 * teardown closes the spool and deletes its files. */
int usage_fixture_setup(void **state);
int usage_fixture_teardown(void **state);

/* The report of event for the flow proto:src:port (port as text, NULL
 * parts left out) run to its answer; kept until the next (do not free). */
struct agent_usage *usage_report(struct agent_fixture *fx, const char *event,
    const char *proto, const char *src, const char *port, const char *raw,
    size_t len);
/* The same from alice's flow (UA_FLOW). */
struct agent_usage *usage_alice(struct agent_fixture *fx, const char *event,
    const char *raw);
/* Fails unless u was answered status with body "text\r\n" (the first
 * line, for a 503 with its Retry-After). */
void usage_expect(const struct agent_usage *u, int status, const char *text);

/* A request (INVITE, MESSAGE, BYE, CANCEL, REGISTER) from alice to the
 * callee with call_id and cseq; a MESSAGE carries a fresh Date. */
const char *sip_request(const char *method, const char *call_id, long cseq);
/* The response status to a request method with call_id and cseq. */
const char *sip_response(int status, const char *method, const char *call_id,
    long cseq);

/* alice registered on UA_FLOW with services ("voice,message"). */
void usage_put_alice(struct agent_fixture *fx, const char *services);
/* alice's binding as register_done leaves it after her REGISTER with
 * call_id and cseq (what a register report must name). */
void usage_registered(struct agent_fixture *fx, const char *call_id, long cseq);
/* Checks request as alice's: the verdict must be status. */
void usage_check(struct agent_fixture *fx, const char *request, int status);

/* One integer of the spool (the first column of the first row of sql,
 * formatted with the printf arguments), read from the file. */
long long spool_int(struct agent_fixture *fx, const char *sql, ...)
    __attribute__((format(printf, 2, 3)));
/* One text column the same way, into out ("" for no row). */
void spool_text(struct agent_fixture *fx, char *out, size_t cap, const char *sql,
    ...) __attribute__((format(printf, 4, 5)));
/* Runs sql on the spool's writer connection (PRAGMA query_only=1 makes
 * every write fail as on a read-only file system). */
void spool_writer_exec(struct agent_fixture *fx, const char *sql);

/* ---- the fake broker ---- */

enum fake_answer {
	FAKE_ACK,		/* UsageSubmitAck: all stored but reject_ids */
	FAKE_REFUSAL,		/* Refusal with reason */
	FAKE_SILENT,		/* receives, never answers */
	FAKE_GARBAGE		/* an AuthResponse: not what was asked */
};

struct fake_broker;

/* Listens on the fixture's broker address and starts the agent's side. */
struct fake_broker *fake_broker_start(struct agent_fixture *fx);
void fake_broker_stop(struct agent_fixture *fx, struct fake_broker *fb);
/* Answers the next submit (in a thread) as told: reject the records whose
 * index in the submit is listed (-1 ends the list; NULL: none), or refuse
 * with err (its rt_errname is the Refusal's reason). */
void fake_broker_expect(struct fake_broker *fb, enum fake_answer how, int err,
    const int *reject_index);
/* Waits for that submit; its records, as the broker parsed them. */
const struct rt_usage_batch *fake_broker_wait(struct fake_broker *fb);

#endif
