/*
 * The broker's side facing its own agents (the sidecars of its SIP
 * proxies). An agent speaks for its broker's realm and carries no realm of
 * its own: it is trusted by how it connects, over ipc:// (a 0600 socket in
 * the state folder) or over tls+tcp:// with a client certificate from the
 * operator's CA. Messages are the schema's XML (validated like any other),
 * one per nng message, no frame signature.
 *
 * An AuthRequest from an agent is forwarded to the subscriber's home
 * broker (the digest realm names it) if an agreement lets that realm's
 * subscribers roam here; the home's AuthResponse comes back in a signed
 * frame and its assertion is checked (issuer, audience, agreement,
 * lifetime, services) before the agent gets it. The agent's context waits
 * for the answer: many requests are in flight, and the outbound frames to
 * each home batch them.
 *
 * A UsageSubmit carries records of the agent's spool. Each is checked
 * (broker_usage_check) and refused alone with its reason; the others go
 * to the ledger, and the agent gets its UsageSubmitAck only after their
 * commit: Stored counts what is durable now, repeats included, so the
 * agent may drop them from its spool. A ledger that cannot write answers
 * Refusal, and the agent keeps the records and tries again.
 */
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "broker_ledger.h"
#include "rt_file.h"
#include "rt_log.h"

struct agent_slot {
	struct broker *broker;
	nng_ctx ctx;
	nng_aio *aio;
	int sending;
	char home[RT_REALM_MAX];
	struct rt_agreement agreement;
	pthread_mutex_t lock;		/* guards closed */
	int closed;			/* stopping: answer nothing more */
};

static void agent_recv(struct agent_slot *s);

/* Sends the message in xml (r: how encoding it went) to the agent waiting
 * on s, from any thread. */
static void
agent_send(struct agent_slot *s, int r, const struct rt_buf *xml)
{
	nng_msg *msg = NULL;

	if (r != 0 || nng_msg_alloc(&msg, 0) != 0 ||
	    nng_msg_append(msg, xml->data, xml->len) != 0) {
		log_err("event=agent_answer_failed reason=%s", rt_errname(r));
		nng_msg_free(msg);
		msg = NULL;
	}
	/* under the lock: a stop cannot come between the check and the send */
	pthread_mutex_lock(&s->lock);
	if (s->closed)
		nng_msg_free(msg);
	else if (msg == NULL)
		agent_recv(s);
	else {
		s->sending = 1;
		nng_aio_set_msg(s->aio, msg);
		nng_ctx_send(s->ctx, s->aio);
	}
	pthread_mutex_unlock(&s->lock);
}

/* Sends resp to the agent waiting on s. */
static void
agent_answer(struct agent_slot *s, const struct rt_auth_response *resp)
{
	struct rt_buf xml;

	rt_buf_init(&xml, RT_FRAME_MAX_ITEM);
	agent_send(s, rt_auth_response_encode(resp, &xml), &xml);
	rt_buf_fini(&xml);
}

static void
agent_refuse(struct agent_slot *s, enum rt_auth_result result, const char *why)
{
	struct rt_auth_response resp;

	memset(&resp, 0, sizeof(resp));
	resp.result = result;
	snprintf(resp.reason, sizeof(resp.reason), "%s", why);
	agent_answer(s, &resp);
}

/* The home broker answered (or not) the forwarded request. */
static void
forward_done(void *arg, int err, const struct rt_msg_in *m)
{
	struct agent_slot *s = arg;
	struct broker *b = s->broker;
	struct rt_auth_response resp;
	int r;

	if (err != 0 || rt_auth_response_get(m, &resp) != 0) {
		log_warn("event=auth_forward_failed home=%s reason=%s", s->home,
		    err != 0 ? rt_errname(err) : rt_msg_name(m->type));
		agent_refuse(s, RT_AUTH_UNAVAILABLE,
		    err == RT_ERR_TIMEOUT ? "home realm did not answer in time" :
		    "home realm unavailable");
		return;
	}
	if (resp.result == RT_AUTH_OK &&
	    (!resp.has_assertion || (r = broker_auth_check_assertion(b, s->home,
	    &s->agreement, &resp.assertion)) != 0)) {
		log_warn("event=assertion_refused home=%s reason=%s", s->home,
		    resp.has_assertion ? rt_errname(r) : "missing");
		agent_refuse(s, RT_AUTH_UNAVAILABLE, "home realm's assertion refused");
		return;
	}
	agent_answer(s, &resp);
}

static void
agent_auth(struct agent_slot *s, const struct rt_msg_in *m)
{
	struct broker *b = s->broker;
	struct rt_auth_request req;
	struct broker_peer *peer;
	struct rt_buf xml;
	int r;

	if (rt_auth_request_get(m, &req) != 0) {
		agent_refuse(s, RT_AUTH_UNAVAILABLE, "malformed request");
		return;
	}
	snprintf(s->home, sizeof(s->home), "%.253s", req.digest_realm);
	if (!rt_realm_valid(s->home) ||
	    broker_agreement_for(b, s->home, b->config->realm, rt_time_now(),
	    &s->agreement) != 0) {
		agent_refuse(s, RT_AUTH_NO_AGREEMENT, "no roaming agreement with that realm");
		return;
	}
	for (int i = 0; i < req.nservices; i++) {
		if (rt_agreement_service(&s->agreement, req.services[i]) == NULL) {
			agent_refuse(s, RT_AUTH_NO_SERVICE, "service not in the agreement");
			return;
		}
	}
	if ((peer = broker_peer_find(b, s->home)) == NULL) {
		agent_refuse(s, RT_AUTH_UNAVAILABLE, "home realm is not a configured peer");
		return;
	}
	memcpy(req.agreement_ref, s->agreement.id, RT_ID_MAX);
	rt_buf_init(&xml, RT_FRAME_MAX_ITEM);
	if ((r = rt_auth_request_encode(&req, &xml)) == 0)
		r = broker_peer_call(peer, &xml, 0, forward_done, s);
	rt_buf_fini(&xml);
	if (r != 0)
		agent_refuse(s, RT_AUTH_UNAVAILABLE, r == RT_ERR_UNAVAILABLE ?
		    "home realm is down" : "home realm is overloaded");
}

/* ---- usage records ---- */

struct agent_usage {
	struct agent_slot *slot;
	struct rt_usage_record *records;	/* the accepted ones */
	size_t nrecords;
	int *results;
	struct rt_usage_submit_ack *ack;
	struct broker_ledger_append append;
};

static void
agent_usage_free(struct agent_usage *au)
{
	if (au == NULL)
		return;
	free(au->records);
	free(au->results);
	free(au->ack);
	free(au);
}

static void
usage_reject(struct broker *b, struct rt_usage_submit_ack *ack, const char *id, int r)
{
	struct rt_usage_reject *j = &ack->rejected[ack->nrejected++];

	snprintf(j->ref, sizeof(j->ref), "%s", id);
	snprintf(j->reason, sizeof(j->reason), "%s", rt_errname(r));
	if (r < 0 && r > RT_ERR_LAST)
		rt_counter_inc(b->metrics.usage_rejected[-r]);
}

static void
usage_answer(struct agent_usage *au)
{
	struct rt_buf xml;

	rt_buf_init(&xml, RT_XML_MAX);
	agent_send(au->slot, rt_usage_submit_ack_encode(au->ack, &xml), &xml);
	rt_buf_fini(&xml);
}

/* A Refusal: what the agent sent is not taken as a whole. */
static void
usage_refuse(struct agent_slot *s, int err, const char *why)
{
	struct rt_buf xml;

	rt_buf_init(&xml, RT_FRAME_MAX_ITEM);
	agent_send(s, rt_refusal_encode(err, why, &xml), &xml);
	rt_buf_fini(&xml);
}

/* On the store's thread, after the commit. */
static void
usage_stored(struct broker_ledger_append *a, int err)
{
	struct agent_usage *au = a->arg;
	struct broker *b = au->slot->broker;

	if (err != 0) {
		log_err("event=usage_not_stored records=%zu reason=%s", au->nrecords,
		    rt_errname(err));
		rt_counter_inc(b->metrics.usage_submits_failed);
		usage_refuse(au->slot, err, "the ledger could not store the records; "
		    "keep them and submit again");
		agent_usage_free(au);
		return;
	}
	au->ack->stored = a->stored;
	for (size_t i = 0, run = 0; i < au->nrecords; i++) {
		if (au->results[i] != 0)
			usage_reject(b, au->ack, au->records[i].id, au->results[i]);
		else
			run++;
		/* the forwarder hears of each home realm's share once */
		if (run > 0 && (i + 1 == au->nrecords ||
		    strcmp(au->records[i + 1].home, au->records[i].home) != 0)) {
			broker_usage_added(b, au->records[i].home, (uint32_t)run);
			run = 0;
		}
	}
	usage_answer(au);
	agent_usage_free(au);
}

/* Reads each record of the submit; refuses the ones that may not enter
 * the ledger, one by one. */
static int
usage_read(struct agent_slot *s, xmlDocPtr doc, struct agent_usage *au)
{
	struct broker *b = s->broker;
	xmlNodePtr root = xmlDocGetRootElement(doc), n;
	time_t now = rt_time_now();
	size_t count = 0;

	for (n = rt_xml_child(root, "UsageRecord"); n != NULL; n = rt_xml_next(n))
		if (++count > RT_BATCH_MAX)
			return RT_ERR_TOO_BIG;
	if (count == 0)
		return RT_ERR_SCHEMA;
	if ((au->records = calloc(count, sizeof(*au->records))) == NULL ||
	    (au->results = calloc(count, sizeof(*au->results))) == NULL)
		return RT_ERR_NOMEM;
	for (n = rt_xml_child(root, "UsageRecord"); n != NULL; n = rt_xml_next(n)) {
		struct rt_usage_record *u = &au->records[au->nrecords];
		const char *id = rt_xml_attr(n, "id");
		int r;

		if ((r = rt_usage_record_from_node(n, u)) == 0)
			r = broker_usage_check(b, u, now);
		if (r != 0) {
			log_info("event=usage_rejected id=%s reason=%s",
			    id != NULL && rt_uuid_valid(id) ? id : "-", rt_errname(r));
			if (id != NULL && rt_uuid_valid(id))
				usage_reject(b, au->ack, id, r);
			continue;
		}
		au->nrecords++;
	}
	return 0;
}

static void
agent_usage(struct agent_slot *s, xmlDocPtr doc)
{
	struct agent_usage *au;
	int r = RT_ERR_NOMEM;

	if ((au = calloc(1, sizeof(*au))) == NULL ||
	    (au->ack = calloc(1, sizeof(*au->ack))) == NULL)
		goto fail;
	au->slot = s;
	if ((r = usage_read(s, doc, au)) != 0)
		goto fail;
	if (au->nrecords == 0) {
		usage_answer(au);	/* every one refused */
		agent_usage_free(au);
		return;
	}
	au->append.records = au->records;
	au->append.n = au->nrecords;
	au->append.origin = BROKER_ORIGIN_OURS;
	au->append.results = au->results;
	au->append.done = usage_stored;
	au->append.arg = au;
	if ((r = broker_ledger_append(s->broker->ledger, &au->append)) == 0)
		return;		/* answered once durable */
 fail:
	log_err("event=usage_not_stored reason=%s", rt_errname(r));
	agent_usage_free(au);
	usage_refuse(s, r, "records not taken");
}

static void
agent_handle(struct agent_slot *s, nng_msg *msg)
{
	struct rt_msg_in m;
	int r;

	r = rt_msg_read(nng_msg_body(msg), nng_msg_len(msg), &m);
	nng_msg_free(msg);
	if (r != 0) {
		/* a Refusal with the reason: an agent whose UsageSubmit does not
		 * validate can find the record at fault; an AuthRequest fails */
		log_warn("event=agent_message_refused reason=%s", rt_errname(r));
		broker_count_refusal(s->broker, r);
		usage_refuse(s, r, "message not valid");
		return;
	}
	rt_counter_inc(s->broker->metrics.items_in[m.type]);
	if (m.type == RT_MSG_AUTH_REQUEST)
		agent_auth(s, &m);
	else if (m.type == RT_MSG_USAGE_SUBMIT)
		agent_usage(s, m.doc);
	else
		usage_refuse(s, RT_ERR_TYPE, rt_msg_name(m.type));
	rt_msg_in_fini(&m);
}

static void
agent_recv(struct agent_slot *s)
{
	s->sending = 0;
	nng_ctx_recv(s->ctx, s->aio);
}

static void
agent_cb(void *arg)
{
	struct agent_slot *s = arg;
	int nerr = nng_aio_result(s->aio);

	if (nerr == NNG_ECLOSED || nerr == NNG_ECANCELED) {
		if (s->sending)
			nng_msg_free(nng_aio_get_msg(s->aio));
		return;
	}
	if (s->sending) {
		if (nerr != 0)
			nng_msg_free(nng_aio_get_msg(s->aio));
		agent_recv(s);
		return;
	}
	if (nerr != 0) {
		agent_recv(s);
		return;
	}
	agent_handle(s, nng_aio_get_msg(s->aio));
}

int
broker_agents_start(struct broker *b)
{
	const struct broker_config *bc = b->config;
	nng_tls_config *tls = NULL;
	int r = RT_ERR_INTERNAL, nerr;

	if ((b->agent_slots = calloc((size_t)bc->agent_contexts,
	    sizeof(*b->agent_slots))) == NULL)
		return RT_ERR_NOMEM;
	for (int i = 0; i < bc->agent_contexts; i++)
		pthread_mutex_init(&b->agent_slots[i].lock, NULL);
	/* a UsageSubmit of 1000 records is several times an AuthRequest */
	if (nng_rep0_open(&b->asock) != 0 ||
	    nng_socket_set_size(b->asock, NNG_OPT_RECVMAXSZ, RT_XML_MAX) != 0 ||
	    nng_listener_create(&b->alistener, b->asock, bc->agent_listen) != 0)
		goto out;
	if (strncmp(bc->agent_listen, "ipc://", 6) == 0) {
		if (nng_listener_set_int(b->alistener, NNG_OPT_IPC_PERMISSIONS, 0600) != 0)
			goto out;
	} else {
		struct rt_fault fault;

		/* agents over the network: certificates of the operator's CA,
		 * and of no other (a federation member's is no agent of ours) */
		if ((r = broker_tls_config(bc, bc->agent_ca, NULL, &tls, &fault)) != 0) {
			rt_fault_log(&fault, "agent_tls_failed");
			goto out;
		}
		r = RT_ERR_INTERNAL;
		if (nng_listener_set_ptr(b->alistener, NNG_OPT_TLS_CONFIG, tls) != 0)
			goto out;
	}
	if ((nerr = nng_listener_start(b->alistener, 0)) != 0) {
		log_err("event=agent_listen_failed url=%s error=\"%s\"", bc->agent_listen,
		    nng_strerror(nerr));
		r = RT_ERR_UNAVAILABLE;
		goto out;
	}
	for (int i = 0; i < bc->agent_contexts; i++) {
		struct agent_slot *s = &b->agent_slots[i];

		s->broker = b;
		if (nng_ctx_open(&s->ctx, b->asock) != 0 ||
		    nng_aio_alloc(&s->aio, agent_cb, s) != 0)
			goto out;
		b->nagent_slots++;
		agent_recv(s);
	}
	log_info("event=agents_listening url=%s contexts=%d", bc->agent_listen,
	    b->nagent_slots);
	r = 0;
 out:
	if (tls != NULL)
		nng_tls_config_free(tls);
	return r;
}

void
broker_agents_stop(struct broker *b)
{
	if (b->agent_slots == NULL)
		return;
	for (int i = 0; i < b->nagent_slots; i++) {
		pthread_mutex_lock(&b->agent_slots[i].lock);
		b->agent_slots[i].closed = 1;
		pthread_mutex_unlock(&b->agent_slots[i].lock);
	}
	for (int i = 0; i < b->nagent_slots; i++)
		nng_aio_stop(b->agent_slots[i].aio);
	if (nng_socket_id(b->asock) > 0)
		nng_close(b->asock);
	/* submits still in the ledger hold their slot: let them finish */
	broker_ledger_drain(b->ledger);
	for (int i = 0; i < b->nagent_slots; i++)
		nng_aio_free(b->agent_slots[i].aio);
	for (int i = 0; i < b->config->agent_contexts; i++)
		pthread_mutex_destroy(&b->agent_slots[i].lock);
	free(b->agent_slots);
	b->agent_slots = NULL;
	b->nagent_slots = 0;
}
