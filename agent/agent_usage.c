/*
 * The usage API: what the proxy reports, paired into UsageRecords.
 *
 *   POST /v1/usage?event=E&src=IP&sport=PORT&proto=P   body: a SIP message
 *
 *   start     the 2xx to an INVITE: the call of the INVITE we allowed (same
 *             Call-ID, same source flow) is opened in the spool
 *   stop      a BYE: the open call of its Call-ID ends and becomes its
 *             record; a CANCEL never ends an answered call (RFC 3261 9.1:
 *             the BYE does), so it is acknowledged and ignored
 *   message   the 2xx to a MESSAGE we allowed (Call-ID and CSeq): a record
 *   register  the 2xx to a REGISTER (or the REGISTER a registrar proxy
 *             accepted) of a roamer whose assertion lists "registration"
 *
 * src/sport/proto are the source flow of the original request (a reply
 * comes from the other side). Answers: 200 "stored" once the record or the
 * open call is on disk (or was before: a repeat), 200 "ignored" for what is
 * nobody's to bill, 400 with the reason, 413, 503 (spool full, read-only,
 * closed) or 500: then nothing was stored and the proxy may say it again.
 * Every answer but "ignored" and 4xx waits for the spool's commit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "rt_log.h"
#include "rt_x509.h"

static const char *const event_names[AGENT_USAGE_EVENTS] = {
	[AGENT_USAGE_START] = "start",
	[AGENT_USAGE_STOP] = "stop",
	[AGENT_USAGE_MESSAGE] = "message",
	[AGENT_USAGE_REGISTER] = "register",
};

static const char *const result_names[AGENT_USAGE_RESULTS] = {
	[AGENT_USAGE_STORED] = "stored",
	[AGENT_USAGE_REPEAT] = "repeat",
	[AGENT_USAGE_IGNORED] = "ignored",
	[AGENT_USAGE_BAD_REQUEST] = "bad_request",
	[AGENT_USAGE_TOO_BIG] = "too_big",
	[AGENT_USAGE_UNAVAILABLE] = "unavailable",
	[AGENT_USAGE_FAILED] = "failed",
};

const char *
agent_usage_result_name(enum agent_usage_result result)
{
	return (int)result >= 0 && result < AGENT_USAGE_RESULTS ?
	    result_names[result] : "unknown";
}

const char *
agent_usage_event_name(int event)
{
	return event >= 0 && event < AGENT_USAGE_EVENTS ? event_names[event] : "unknown";
}

int
agent_usage_new(struct agent *a, const char *event, const char *proto,
    const char *src, const char *sport, const char *raw, size_t len,
    struct agent_usage **up)
{
	struct agent_usage *u;
	int port;

	*up = NULL;
	if ((u = calloc(1, sizeof(*u))) == NULL)
		return RT_ERR_NOMEM;
	/* what does not fit is the answer's (413), not copied */
	if ((u->raw = malloc(len <= RT_SIP_MAX_MSG ? len + 1 : 1)) == NULL) {
		free(u);
		return RT_ERR_NOMEM;
	}
	u->len = len;
	if (len <= RT_SIP_MAX_MSG)
		memcpy(u->raw, raw, len);
	u->raw[len <= RT_SIP_MAX_MSG ? len : 0] = '\0';
	u->agent = a;
	u->event = -1;
	for (int i = 0; event != NULL && i < AGENT_USAGE_EVENTS; i++)
		if (strcmp(event, event_names[i]) == 0)
			u->event = i;
	if (agent_flow_parse(proto, src, sport, &port) == 0)
		snprintf(u->flow, sizeof(u->flow), "%s:%s:%d", proto, src, port);
	u->started_ns = rt_mono_ns();
	u->status = 500;
	u->result = AGENT_USAGE_FAILED;
	*up = u;
	return 0;
}

void
agent_usage_free(struct agent_usage *u)
{
	if (u == NULL)
		return;
	free(u->raw);
	free(u);
}

static void
answer(struct agent_usage *u, int status, enum agent_usage_result result,
    const char *text)
{
	u->status = status;
	u->result = result;
	snprintf(u->answer, sizeof(u->answer), "%s\r\n", text);
}

static void
answer_error(struct agent_usage *u, int err)
{
	const char *why = err == RT_ERR_NOSPACE ? "spool full" :
	    err == RT_ERR_READONLY ? "spool read-only" :
	    err == RT_ERR_UNAVAILABLE ? "spool closed" : NULL;

	if (why == NULL) {
		answer(u, 500, AGENT_USAGE_FAILED, "Server Internal Error (spool)");
		return;
	}
	u->status = 503;
	u->result = AGENT_USAGE_UNAVAILABLE;
	snprintf(u->answer, sizeof(u->answer), "Service Unavailable (%s)\r\n"
	    "Retry-After: %ld\r\n", why, u->agent->config->retry_after);
}

/* src into dst[cap], cut to fit: snprintf("%s") without its cost on the
 * policy's hot path (every INVITE and MESSAGE allowed comes here). */
static void
copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

#define COPY(dst, src) copy_str((dst), sizeof(dst), (src))

/* Who the requests of binding b (on flow) are billed to, from at_ms. */
static void
party_of(struct agent_usage_party *p, const struct agent_binding *b,
    const char *flow, uint64_t at_ms)
{
	memset(p, 0, sizeof(*p));
	p->at_ms = at_ms;
	COPY(p->flow, flow);
	COPY(p->subscriber, b->assertion.public_id);
	COPY(p->home, b->home);
	COPY(p->assertion_ref, b->assertion.id);
	COPY(p->agreement_ref, b->assertion.agreement_ref);
}

/* The key of a request awaiting its report: an INVITE by its Call-ID
 * (a re-INVITE refreshes it), a MESSAGE by Call-ID and CSeq. */
static int
pending_key(enum rt_sip_method method, long cseq, const char *call_id, char *key,
    size_t cap)
{
	size_t n = strlen(call_id);
	int k;

	if (method == RT_SIP_INVITE) {
		if (n + 3 > cap)
			return RT_ERR_TOO_BIG;
		memcpy(key, "i:", 2);
		memcpy(key + 2, call_id, n + 1);
		return 0;
	}
	k = snprintf(key, cap, "m:%ld:%s", cseq, call_id);
	return k < 0 || (size_t)k >= cap ? RT_ERR_TOO_BIG : 0;
}

int
agent_usage_expect(struct agent_check *c, const struct agent_binding *b)
{
	struct agent *a = c->agent;
	struct agent_usage_party party;
	char call_id[RT_TEXT_MAX], key[AGENT_PENDING_KEY_MAX];

	if (c->msg.method != RT_SIP_INVITE && c->msg.method != RT_SIP_MESSAGE)
		return 0;
	if (rt_sip_str_copy(c->msg.headers[c->msg.first[RT_HDR_CALL_ID]].value,
	    call_id, sizeof(call_id)) != 0 ||
	    pending_key(c->msg.method, c->msg.cseq, call_id, key, sizeof(key)) != 0)
		return RT_ERR_BAD_INPUT;
	party_of(&party, b, c->flow, rt_time_now_ms());
	return agent_pending_put(a->pending, key, &party, rt_time_now()) == 0 ? 0 :
	    RT_ERR_TOO_BIG;
}

uint64_t
agent_usage_hash(struct rt_sip_str call_id, long cseq)
{
	return agent_fnv1a(agent_fnv1a(AGENT_FNV_INIT, call_id.p, call_id.len), &cseq,
	    sizeof(cseq));
}

/* What the schema and the broker will check of a record we make, but its
 * id: a record the broker would reject is never acknowledged. */
static int
record_valid(const struct rt_usage_record *u)
{
	size_t n = strlen(u->call_id);

	for (size_t i = 0; i < n; i++)
		if ((unsigned char)u->call_id[i] <= 0x20 || u->call_id[i] == 0x7f)
			return 0;
	return rt_uuid_valid(u->agreement_ref) && rt_uuid_valid(u->assertion_ref) &&
	    rt_sip_uri_valid(u->subscriber) && strlen(u->subscriber) <= 256 &&
	    rt_realm_valid(u->home) && rt_realm_valid(u->visited) &&
	    strcmp(u->home, u->visited) != 0 && u->end >= u->start;
}

/* A record of the party's, at now, of one unit. */
static void
record_of(struct agent_usage *u, const struct agent_usage_party *p,
    const char *service, const char *unit, time_t now)
{
	struct rt_usage_record *r = &u->op.record;

	memset(r, 0, sizeof(*r));
	COPY(r->agreement_ref, p->agreement_ref);
	COPY(r->assertion_ref, p->assertion_ref);
	COPY(r->subscriber, p->subscriber);
	COPY(r->home, p->home);
	COPY(r->visited, u->agent->config->realm);
	COPY(r->service, service);
	COPY(r->unit, unit);
	COPY(r->call_id, u->op.call_id);
	r->start = r->end = now;
	r->quantity = 1;
}

/* From the spool store's notifier thread: the change is on disk, or not. */
static void
spool_done(struct agent_spool_op *op, int err)
{
	struct agent_usage *u = op->arg;
	struct agent *a = u->agent;

	if (err != 0)
		answer_error(u, err);
	else if (op->outcome == AGENT_SPOOL_NONE)
		answer(u, 200, AGENT_USAGE_IGNORED, "ignored");
	else if (op->outcome == AGENT_SPOOL_REPEAT)
		answer(u, 200, AGENT_USAGE_REPEAT, "stored");
	else {
		answer(u, 200, AGENT_USAGE_STORED, "stored");
		if (op->kind != AGENT_SPOOL_OPEN) {
			rt_counter_inc(a->metrics.records_stored);
			agent_usage_kick(a);
		}
	}
	agent_usage_count(a, u->event, u->result);
	if (u->done != NULL)
		u->done(u);	/* u may be gone after this */
}

/* Hands op to the spool: 1 (spool_done answers), or 0 when it is closed. */
static int
submit(struct agent_usage *u)
{
	struct agent *a = u->agent;

	u->op.done = spool_done;
	u->op.arg = u;
	pthread_rwlock_rdlock(&a->spool_lock);
	if (a->spool == NULL) {
		pthread_rwlock_unlock(&a->spool_lock);
		answer_error(u, RT_ERR_UNAVAILABLE);
		return 0;
	}
	agent_spool_submit(a->spool, &u->op);
	pthread_rwlock_unlock(&a->spool_lock);
	return 1;
}

/* The party of the request this reports (pending, same flow). */
static int
pending_party(struct agent_usage *u, struct agent_usage_party *p)
{
	char key[AGENT_PENDING_KEY_MAX];

	if (pending_key(u->msg.method, u->msg.cseq, u->op.call_id, key, sizeof(key)) != 0 ||
	    agent_pending_get(u->agent->pending, key, rt_time_now(), p) != 0)
		return RT_ERR_NOT_FOUND;
	if (strcmp(p->flow, u->flow) != 0) {
		log_info("event=usage_flow_differs call_id=%s flow=%s request_flow=%s",
		    u->op.call_id, u->flow, p->flow);
		return RT_ERR_NOT_FOUND;
	}
	return 0;
}

/* u->op.record is one the broker will take; else a 500, and the log says
 * whose (never expected: assertions are checked when they arrive). */
static int
billable(struct agent_usage *u)
{
	if (record_valid(&u->op.record))
		return 1;
	log_err("event=usage_unbillable call_id=%s subscriber=%s", u->op.call_id,
	    u->op.record.subscriber);
	answer(u, 500, AGENT_USAGE_FAILED, "Server Internal Error (record)");
	return 0;
}

static int
run_start(struct agent_usage *u, time_t now)
{
	if (pending_party(u, &u->op.party) != 0) {
		answer(u, 200, AGENT_USAGE_IGNORED, "ignored");
		return 0;
	}
	/* what the call's record will say, checked now rather than at its end */
	record_of(u, &u->op.party, "voice", "second", now);
	if (!billable(u))
		return 0;
	u->op.kind = AGENT_SPOOL_OPEN;
	u->op.at = now;
	return submit(u);
}

static int
run_record(struct agent_usage *u, const struct agent_usage_party *p,
    const char *service, const char *unit, const char *key_prefix, time_t now)
{
	record_of(u, p, service, unit, now);
	if (!billable(u))
		return 0;
	u->op.event_at = p->at_ms;
	snprintf(u->op.event_key, sizeof(u->op.event_key), "%s:%s:%ld", key_prefix,
	    u->op.call_id, u->msg.cseq);
	u->op.kind = AGENT_SPOOL_RECORD;
	return submit(u);
}

/* A registration is billed only where the agreement made it a service,
 * and only the registration a binding of its AOR on its flow holds (the
 * report of an older REGISTER is late: its binding was replaced). */
static int
run_register(struct agent_usage *u, time_t now)
{
	struct agent_binding *b;
	struct agent_usage_party p;
	char aor[RT_URI_MAX], realm[RT_REALM_MAX];
	int r = 0, ours;

	if ((b = malloc(sizeof(*b))) == NULL) {
		answer(u, 500, AGENT_USAGE_FAILED, "Server Internal Error");
		return 0;
	}
	ours = agent_header_aor(&u->msg, RT_HDR_TO, aor, sizeof(aor), realm,
	    sizeof(realm), NULL) == 0 &&
	    agent_bindings_get_registered(u->agent->bindings, u->flow, aor,
	    agent_usage_hash(u->msg.headers[u->msg.first[RT_HDR_CALL_ID]].value,
	    u->msg.cseq), b) == 0 && b->registered_ms != 0 &&
	    now < b->assertion.not_on_or_after && now < b->expires &&
	    rt_services_contain(b->assertion.services, b->assertion.nservices,
	    "registration");
	if (!ours)
		answer(u, 200, AGENT_USAGE_IGNORED, "ignored");
	else {
		party_of(&p, b, u->flow, b->registered_ms);
		r = run_record(u, &p, "registration", "event", "reg", now);
	}
	free(b);
	return r;
}

/* Parses the body as the event wants it: a reason for the 400, or NULL. */
static const char *
parse_body(struct agent_usage *u)
{
	const char *why = NULL;
	int response = u->len >= 4 && memcmp(u->raw, "SIP/", 4) == 0;
	int r;

	r = response ? rt_sip_parse_response(u->raw, u->len, &u->msg, &why) :
	    rt_sip_parse(u->raw, u->len, &u->msg, &why);
	if (r != 0) {
		log_info("event=usage_sip_refused flow=%s reason=\"%s\"", u->flow,
		    why != NULL ? why : rt_errname(r));
		return "Bad Request (SIP message)";
	}
	switch (u->event) {
	case AGENT_USAGE_START:
		if (!response || u->msg.status / 100 != 2 || u->msg.method != RT_SIP_INVITE)
			return "Bad Request (not a 2xx to an INVITE)";
		break;
	case AGENT_USAGE_STOP:
		if (response || (u->msg.method != RT_SIP_BYE &&
		    u->msg.method != RT_SIP_CANCEL))
			return "Bad Request (not a BYE or CANCEL)";
		break;
	case AGENT_USAGE_MESSAGE:
		if (!response || u->msg.status / 100 != 2 || u->msg.method != RT_SIP_MESSAGE)
			return "Bad Request (not a 2xx to a MESSAGE)";
		break;
	default:
		if (u->msg.method != RT_SIP_REGISTER ||
		    (response && u->msg.status / 100 != 2))
			return "Bad Request (not a REGISTER or its 2xx)";
		break;
	}
	if (rt_sip_str_copy(u->msg.headers[u->msg.first[RT_HDR_CALL_ID]].value,
	    u->op.call_id, sizeof(u->op.call_id)) != 0)
		return "Bad Request (Call-ID too long)";
	return NULL;
}

int
agent_usage_run(struct agent_usage *u)
{
	time_t now = rt_time_now();
	const char *why;
	int r = 0;

	if (u->len > RT_SIP_MAX_MSG)
		answer(u, 413, AGENT_USAGE_TOO_BIG, "Request Entity Too Large");
	else if (u->event < 0)
		answer(u, 400, AGENT_USAGE_BAD_REQUEST,
		    "Bad Request (event: start, stop, message, register)");
	else if (u->flow[0] == '\0')
		answer(u, 400, AGENT_USAGE_BAD_REQUEST, "Bad Request (src, sport, proto)");
	else if ((why = parse_body(u)) != NULL)
		answer(u, 400, AGENT_USAGE_BAD_REQUEST, why);
	else {
		struct agent_usage_party p;

		switch (u->event) {
		case AGENT_USAGE_START:
			r = run_start(u, now);
			break;
		case AGENT_USAGE_STOP:
			if (u->msg.method == RT_SIP_CANCEL) {
				answer(u, 200, AGENT_USAGE_IGNORED, "ignored");
				break;
			}
			u->op.kind = AGENT_SPOOL_CLOSE;
			u->op.at = now;
			r = submit(u);
			break;
		case AGENT_USAGE_MESSAGE:
			if (pending_party(u, &p) != 0)
				answer(u, 200, AGENT_USAGE_IGNORED, "ignored");
			else
				r = run_record(u, &p, "message", "message", "msg", now);
			break;
		default:
			r = run_register(u, now);
			break;
		}
	}
	if (r == 0)
		agent_usage_count(u->agent, u->event, u->result);
	return r;
}
