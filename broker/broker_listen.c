/*
 * The listening side of the broker: an nng rep0 socket on tls+tcp (mutual
 * TLS required), served by a pool of contexts so many frames are handled
 * at once. Each frame is parsed, verified (signature, sender = signer,
 * recipient = us, timestamp, replay), tied to its connection, checked for
 * an agreement with the sender, and its items answered in one signed
 * reply frame.
 *
 * A frame that does not verify gets no reply: answering would sign
 * something for a party we could not authenticate. It is logged with the
 * reason and counted; malformed frames also close the connection. A Hello
 * binds the connection to the sender's realm; other messages are answered
 * only on a connection bound to their sender (nng cannot tell us the TLS
 * peer, so this is how a connection gets an identity).
 *
 * Some answers wait for the ledger (a UsageBatch stored, an assertion we
 * issue recorded): their handler takes a broker_async and calls ready
 * after the commit, from the store's thread. A frame's assertions are
 * recorded together once all its items are answered: one commit for them
 * all, not a trickle of small ones while the frame is still being read. The slot counts the answers
 * still waiting; the last one to be ready schedules the reply on nng's
 * threads (finish_aio), so the reply frame is signed off the store's
 * thread and only once everything it acknowledges is durable.
 */
#include <inttypes.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "broker_ledger.h"
#include "rt_log.h"

#define LISTEN_PIPES_MAX 1024

struct listen_pipe {
	uint32_t id;
	nng_pipe pipe;
	char realm[RT_REALM_MAX];
};

enum in_phase {
	IN_RECV,
	IN_SEND
};

struct in_answer {
	struct rt_buf xml;
	struct broker_async *async;	/* NULL: xml is the answer already */
};

struct in_slot {
	struct broker *broker;
	nng_ctx ctx;
	nng_aio *aio;
	nng_aio *finish_aio;		/* the reply, once the last answer is ready */
	enum in_phase phase;
	nng_msg *msg;			/* the request; the frame points into it */
	struct rt_frame *frame;
	struct in_answer *answers;
	int nanswers;
	int embed_cert;
	int failed;			/* an answer could not be made: no reply */
	struct broker_ledger_assertion *assertions;	/* to record, once answered */
	pthread_mutex_t lock;		/* guards waiting and closed */
	int waiting;			/* answers not ready, +1 while answering */
	int closed;			/* stopping: schedule nothing */
};

static void slot_recv(struct in_slot *s);

/* ---- connections bound to realms by their Hello ---- */

static void
pipe_bind(struct broker *b, nng_pipe pipe, const char *realm)
{
	uint32_t id = (uint32_t)nng_pipe_id(pipe);
	int free_at = -1;

	pthread_mutex_lock(&b->pipes_lock);
	for (int i = 0; i < b->npipes; i++) {
		if (b->pipes[i].id == id) {
			snprintf(b->pipes[i].realm, RT_REALM_MAX, "%s", realm);
			goto out;
		}
		if (b->pipes[i].id == 0 && free_at < 0)
			free_at = i;
	}
	if (free_at < 0 && b->npipes < LISTEN_PIPES_MAX)
		free_at = b->npipes++;
	if (free_at >= 0) {
		b->pipes[free_at].id = id;
		b->pipes[free_at].pipe = pipe;
		snprintf(b->pipes[free_at].realm, RT_REALM_MAX, "%s", realm);
	}
 out:
	pthread_mutex_unlock(&b->pipes_lock);
}

/* Whether pipe is bound to realm. */
static int
pipe_is(struct broker *b, nng_pipe pipe, const char *realm)
{
	uint32_t id = (uint32_t)nng_pipe_id(pipe);
	int yes = 0;

	pthread_mutex_lock(&b->pipes_lock);
	for (int i = 0; i < b->npipes && !yes; i++)
		yes = b->pipes[i].id == id && strcmp(b->pipes[i].realm, realm) == 0;
	pthread_mutex_unlock(&b->pipes_lock);
	return yes;
}

static void
listen_pipe_cb(nng_pipe pipe, nng_pipe_ev ev, void *arg)
{
	struct broker *b = arg;
	uint32_t id = (uint32_t)nng_pipe_id(pipe);

	if (ev != NNG_PIPE_EV_REM_POST)
		return;
	pthread_mutex_lock(&b->pipes_lock);
	for (int i = 0; i < b->npipes; i++)
		if (b->pipes[i].id == id)
			memset(&b->pipes[i], 0, sizeof(b->pipes[i]));
	pthread_mutex_unlock(&b->pipes_lock);
}

void
broker_listen_recheck(struct broker *b, const char *realm)
{
	nng_pipe doomed[LISTEN_PIPES_MAX];
	char why[LISTEN_PIPES_MAX][40];
	time_t now = rt_time_now();
	int n = 0;

	pthread_mutex_lock(&b->pipes_lock);
	for (int i = 0; i < b->npipes; i++) {
		struct listen_pipe *lp = &b->pipes[i];
		int r;

		if (lp->id == 0)
			continue;
		if (realm != NULL)
			r = strcmp(lp->realm, realm) == 0 ? RT_ERR_DENIED : 0;
		else
			r = rt_trust_realm_status(b->trust, lp->realm, now, NULL);
		if (r == 0)
			continue;
		snprintf(why[n], sizeof(why[n]), "%s", rt_errname(r));
		log_warn("event=connection_closed realm=%s pipe=%u reason=%s",
		    lp->realm, lp->id, why[n]);
		doomed[n++] = lp->pipe;
		memset(lp, 0, sizeof(*lp));
	}
	pthread_mutex_unlock(&b->pipes_lock);
	for (int i = 0; i < n; i++)
		nng_pipe_close(doomed[i]);
}

const char *const broker_tls_reasons[BROKER_TLS_REASONS] = {
	"auth", "proto", "timeout", "other"
};

static const char *const tls_reason_detail[BROKER_TLS_REASONS] = {
	("TLS peer authentication failed: no client certificate, or one the "
	    "federation CA did not issue, or expired, or revoked"),
	"the TLS handshake or the SP negotiation failed",
	"the connection did not finish its handshake in time",
	"the connection failed before it was up",
};

static const char *const agent_tls_reason_detail[BROKER_TLS_REASONS] = {
	("TLS authentication failed: the agent sent no certificate, or one the "
	    "operator CA (agent_ca) did not issue, or an expired one; or it refused "
	    "ours (its broker_ca is not the federation CA, or its realm not ours)"),
	"the TLS handshake or the SP negotiation failed",
	"the connection did not finish its handshake in time",
	"the connection failed before it was up",
};

/* Logs and counts what one listener refused since the last call. */
static void
listen_watch_one(nng_stat *all, const char *event, const char *url,
    const char *const detail[], uint64_t seen[], struct rt_counter *refused[])
{
	nng_stat *ls = rt_nng_stat_find(all, "listener", url);

	for (int k = 0; ls != NULL && k < BROKER_TLS_REASONS; k++) {
		uint64_t n = rt_nng_stat_grew(ls, broker_tls_reasons[k], &seen[k]);

		if (n == 0)
			continue;
		/* nng keeps no address: the count is all there is */
		log_warn("event=%s reason=%s count=%" PRIu64 " listen=%s detail=\"%s\"",
		    event, broker_tls_reasons[k], n, url, detail[k]);
		rt_counter_add(refused[k], n);
	}
}

void
broker_listen_watch(struct broker *b, nng_stat *all)
{
	struct broker_metrics *m = &b->metrics;

	if (all == NULL)
		return;
	if (nng_listener_id(b->listener) > 0)
		listen_watch_one(all, "tls_refused", b->config->listen, tls_reason_detail,
		    m->tls_refused_seen, m->tls_refused);
	if (nng_listener_id(b->alistener) > 0 &&
	    strncmp(b->config->agent_listen, "tls+tcp://", 10) == 0)
		listen_watch_one(all, "agent_tls_refused", b->config->agent_listen,
		    agent_tls_reason_detail, m->agent_tls_refused_seen, m->agent_tls_refused);
}

int
broker_listen_describe(struct broker *b, struct rt_buf *out)
{
	int r = 0;

	pthread_mutex_lock(&b->pipes_lock);
	for (int i = 0; i < b->npipes && r == 0; i++)
		if (b->pipes[i].id != 0)
			r = rt_buf_printf(out, "  inbound connection %u from %s\n",
			    b->pipes[i].id, b->pipes[i].realm);
	pthread_mutex_unlock(&b->pipes_lock);
	return r;
}

/* ---- answering items ---- */

static int
answer_hello(struct in_slot *s, xmlDocPtr doc, struct rt_buf *out)
{
	struct broker *b = s->broker;
	const char *sender = s->frame->sender;
	char why[BROKER_REASON_MAX] = "";
	struct broker_peer *peer;
	struct rt_hello *h;
	int r;

	/* the reply to a Hello carries our certificate, refusal or not */
	s->embed_cert = 1;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return RT_ERR_NOMEM;
	if ((r = rt_hello_from_xml(doc, h)) == 0)
		r = broker_hello_check(b, sender, h, why, sizeof(why));
	free(h);
	if (r != 0) {
		log_warn("event=hello_refused realm=%s reason=%s detail=\"%s\"", sender,
		    rt_errname(r), why);
		broker_count_refusal(b, r);
		return rt_refusal_encode(r, why, out);
	}
	pipe_bind(b, nng_msg_get_pipe(s->msg), sender);
	log_info("event=hello_accepted realm=%s pipe=%d", sender,
	    nng_pipe_id(nng_msg_get_pipe(s->msg)));
	/* it is back: if our own link to it is down, dial now */
	if ((peer = broker_peer_find(b, sender)) != NULL)
		broker_peer_redial_now(peer);
	return broker_hello_build(b, sender, out);
}

static int
answer_crl_push(struct in_slot *s, xmlDocPtr doc, struct rt_buf *out)
{
	X509_CRL *crl = NULL;
	int r;

	if ((r = rt_crl_push_from_xml(doc, &crl)) == 0)
		r = broker_crl_apply(s->broker, crl, s->frame->sender);
	X509_CRL_free(crl);
	if (r < 0)
		return rt_refusal_encode(r, "CRL not applied", out);
	return rt_ack_encode(r == 0 ? "applied" : "not newer", out);
}

/* ---- answers that wait for the ledger ---- */

/* A handler's answer is ready (any thread). */
static void
slot_ready(void *owner, int index)
{
	struct in_slot *s = owner;

	(void)index;
	pthread_mutex_lock(&s->lock);
	/* under the lock: a stop cannot come between the check and this */
	if (--s->waiting == 0 && !s->closed)
		broker_defer(s->finish_aio);
	pthread_mutex_unlock(&s->lock);
}

static void
slot_wait(struct in_slot *s, int delta)
{
	pthread_mutex_lock(&s->lock);
	s->waiting += delta;
	pthread_mutex_unlock(&s->lock);
}

static int
answer_auth(struct in_slot *s, int index, const struct rt_msg_in *m,
    struct rt_buf *out)
{
	struct broker_async tmpl = {slot_ready, s, index, NULL};
	struct rt_auth_request req;
	int r;

	if ((r = rt_auth_request_get(m, &req)) != 0)
		return rt_refusal_encode(r, "AuthRequest not valid", out);
	slot_wait(s, 1);
	if ((r = broker_auth_answer(s->broker, s->frame->sender, &req, &tmpl,
	    &s->answers[index].async, &s->assertions)) != 0)
		slot_wait(s, -1);
	return r;
}

static int
answer_usage(struct in_slot *s, int index, xmlDocPtr doc,
    const struct rt_frame_item *it, struct rt_buf *out)
{
	struct broker_async tmpl = {slot_ready, s, index, NULL};
	int r;

	slot_wait(s, 1);
	if ((r = broker_usage_receive(s->broker, s->frame->sender, doc, it->data,
	    it->len, &tmpl, &s->answers[index].async)) != 0) {
		slot_wait(s, -1);
		broker_count_refusal(s->broker, r);
		return rt_refusal_encode(r, "UsageBatch refused", out);
	}
	return 0;
}

static int
answer_item(struct in_slot *s, int index, const struct rt_frame_item *it,
    int agreement_err, struct rt_buf *out)
{
	struct broker *b = s->broker;
	struct rt_msg_in m;
	enum rt_msg_type type;
	xmlDocPtr doc;
	uint64_t sent;
	int r;

	if ((r = rt_msg_read(it->data, it->len, &m)) != 0) {
		log_warn("event=item_refused realm=%s reason=%s", s->frame->sender,
		    rt_errname(r));
		broker_count_refusal(b, r);
		return rt_refusal_encode(r, "message not valid", out);
	}
	type = m.type;
	doc = m.doc;	/* NULL when the fast path read an AuthRequest */
	rt_counter_inc(b->metrics.items_in[type]);
	if (type == RT_MSG_HELLO) {
		r = answer_hello(s, doc, out);
		goto out;
	}
	/* Past Hello: only on a connection its Hello bound to the sender */
	if (!pipe_is(b, nng_msg_get_pipe(s->msg), s->frame->sender)) {
		log_warn("event=item_refused realm=%s reason=denied "
		    "detail=no-hello-on-this-connection", s->frame->sender);
		broker_count_refusal(b, RT_ERR_DENIED);
		r = rt_refusal_encode(RT_ERR_DENIED, "send Hello first on this connection",
		    out);
		goto out;
	}
	/* ... and an agreement with us, for anything. */
	if (agreement_err != 0) {
		broker_count_refusal(b, agreement_err);
		r = rt_refusal_encode(agreement_err, "no valid roaming agreement", out);
		goto out;
	}
	switch (type) {
	case RT_MSG_PING:
		if ((r = rt_ping_from_xml(doc, &sent)) == 0)
			r = rt_ping_encode(RT_MSG_PONG, sent, out);
		break;
	case RT_MSG_CRL_PUSH:
		r = answer_crl_push(s, doc, out);
		break;
	case RT_MSG_AUTH_REQUEST:
		r = answer_auth(s, index, &m, out);
		break;
	case RT_MSG_USAGE_BATCH:
		r = answer_usage(s, index, doc, it, out);
		break;
	default:
		r = rt_refusal_encode(RT_ERR_TYPE, rt_msg_name(type), out);
		break;
	}
 out:
	rt_msg_in_fini(&m);
	return r;
}

/* ---- the frame ---- */

static void
slot_reset(struct in_slot *s)
{
	for (int i = 0; i < s->nanswers; i++) {
		rt_buf_fini(&s->answers[i].xml);
		free(s->answers[i].async);
	}
	free(s->answers);
	s->answers = NULL;
	s->nanswers = 0;
	nng_msg_free(s->msg);
	s->msg = NULL;
	s->embed_cert = 0;
	s->failed = 0;
}

static void
frame_refused(struct in_slot *s, int r, const char *what)
{
	struct broker *b = s->broker;
	nng_pipe pipe = nng_msg_get_pipe(s->msg);
	char esc[RT_REALM_MAX + 8];

	log_warn("event=frame_refused reason=%s claimed_sender=%s pipe=%d%s%s",
	    rt_errname(r), rt_log_value(s->frame->sender[0] ? s->frame->sender : "-",
	    esc, sizeof(esc)), nng_pipe_id(pipe), what ? " detail=" : "",
	    what ? what : "");
	broker_count_refusal(b, r);
	/* a malformed frame is a broken or hostile peer: hang up */
	if (r == RT_ERR_BAD_INPUT || r == RT_ERR_TOO_BIG)
		nng_pipe_close(pipe);
}

/* Every answer is ready: signs and sends the reply frame, or drops it. */
static void
slot_finish(struct in_slot *s)
{
	struct broker *b = s->broker;
	struct rt_frame_item items[RT_FRAME_MAX_ITEMS];
	struct rt_frame *f = s->frame;
	struct rt_frame_out fo;
	struct rt_buf reply;
	nng_msg *out = NULL;
	int r = 0;

	rt_buf_init(&reply, b->config->max_frame);
	for (int i = 0; i < s->nanswers && !s->failed; i++) {
		struct in_answer *a = &s->answers[i];

		if (a->async != NULL && (r = a->async->encode(a->async, &a->xml)) != 0) {
			log_err("event=answer_failed realm=%s reason=%s", f->sender,
			    rt_errname(r));
			s->failed = 1;
		}
		items[i].id = f->items[i].id;
		items[i].data = a->xml.data;
		items[i].len = a->xml.len;
	}
	if (s->failed)
		goto drop;
	memset(&fo, 0, sizeof(fo));
	fo.kind = RT_FRAME_REPLY;
	fo.ref = f->id;
	fo.recipient = f->sender;
	fo.items = items;
	fo.nitems = s->nanswers;
	fo.embed_cert = s->embed_cert;
	if ((r = rt_frame_build(b->signer, &fo, &reply, NULL)) != 0 ||
	    nng_msg_alloc(&out, 0) != 0 ||
	    nng_msg_append(out, reply.data, reply.len) != 0) {
		log_err("event=reply_build_failed realm=%s reason=%s", f->sender,
		    rt_errname(r));
		nng_msg_free(out);
		goto drop;
	}
	rt_buf_fini(&reply);
	slot_reset(s);
	s->phase = IN_SEND;
	nng_aio_set_msg(s->aio, out);
	nng_ctx_send(s->ctx, s->aio);
	return;
 drop:
	rt_buf_fini(&reply);
	slot_reset(s);
	slot_recv(s);
}

static void
finish_cb(void *arg)
{
	struct in_slot *s = arg;

	if (nng_aio_result(s->finish_aio) == 0)
		slot_finish(s);
}

/* Answers every item (some later) and sends the reply; or drops the frame. */
static void
slot_handle(struct in_slot *s)
{
	struct broker *b = s->broker;
	struct rt_frame_check check = {b->trust, b->replay, b->config->realm, 0,
	    b->config->skew};
	struct rt_frame *f = s->frame;
	struct rt_agreement agreement;
	int r, agreement_err, last;

	f->sender[0] = '\0';
	if ((r = rt_frame_parse(nng_msg_body(s->msg), nng_msg_len(s->msg),
	    b->config->max_frame, f)) != 0) {
		frame_refused(s, r, NULL);
		goto drop;
	}
	if (f->kind != RT_FRAME_REQUEST) {
		frame_refused(s, RT_ERR_BAD_INPUT, "not a request");
		goto drop;
	}
	if ((r = rt_frame_verify(&check, f)) != 0) {
		frame_refused(s, r, NULL);
		goto drop;
	}
	rt_counter_inc(b->metrics.frames_in[0]);
	agreement_err = broker_agreement_find(b, f->sender, rt_time_now(), &agreement);
	if ((s->answers = calloc((size_t)f->nitems, sizeof(*s->answers))) == NULL)
		goto drop;
	s->nanswers = f->nitems;
	s->waiting = 1;		/* ours, while answering */
	s->assertions = NULL;
	for (int i = 0; i < f->nitems; i++) {
		rt_buf_init(&s->answers[i].xml, RT_FRAME_MAX_ITEM);
		if ((r = answer_item(s, i, &f->items[i], agreement_err,
		    &s->answers[i].xml)) != 0) {
			log_err("event=answer_failed realm=%s reason=%s", f->sender,
			    rt_errname(r));
			s->failed = 1;
			break;
		}
	}
	/* the frame's assertions, in one commit (their answers wait for it) */
	broker_ledger_assertions(b->ledger, s->assertions);
	s->assertions = NULL;
	pthread_mutex_lock(&s->lock);
	last = --s->waiting == 0;
	pthread_mutex_unlock(&s->lock);
	if (last)
		slot_finish(s);
	return;
 drop:
	slot_reset(s);
	slot_recv(s);
}

static void
slot_recv(struct in_slot *s)
{
	s->phase = IN_RECV;
	nng_ctx_recv(s->ctx, s->aio);
}

static void
in_slot_cb(void *arg)
{
	struct in_slot *s = arg;
	int nerr = nng_aio_result(s->aio);

	if (s->phase == IN_SEND) {
		if (nerr != 0)
			nng_msg_free(nng_aio_get_msg(s->aio));
		else
			rt_counter_inc(s->broker->metrics.frames_out[1]);
		if (nerr == NNG_ECLOSED)
			return;
		slot_recv(s);
		return;
	}
	if (nerr != 0) {
		if (nerr == NNG_ECLOSED || nerr == NNG_ECANCELED)
			return;
		slot_recv(s);
		return;
	}
	s->msg = nng_aio_get_msg(s->aio);
	slot_handle(s);
}

int
broker_listen_start(struct broker *b)
{
	nng_tls_config *tls = NULL;
	int r = RT_ERR_INTERNAL, nerr;

	pthread_mutex_init(&b->pipes_lock, NULL);
	if ((b->pipes = calloc(LISTEN_PIPES_MAX, sizeof(*b->pipes))) == NULL ||
	    (b->in_slots = calloc((size_t)b->config->contexts,
	    sizeof(*b->in_slots))) == NULL)
		return RT_ERR_NOMEM;
	if (nng_rep0_open(&b->lsock) != 0 ||
	    /*
	     * nng drops anything over its limit without a word; ours is
	     * checked (and logged) by rt_frame_parse, so nng's is looser.
	     */
	    nng_socket_set_size(b->lsock, NNG_OPT_RECVMAXSZ,
	    b->config->max_frame * 4) != 0 ||
	    nng_pipe_notify(b->lsock, NNG_PIPE_EV_REM_POST, listen_pipe_cb, b) != 0)
		goto out;
	for (int i = 0; i < b->config->contexts; i++) {
		struct in_slot *s = &b->in_slots[i];

		s->broker = b;
		pthread_mutex_init(&s->lock, NULL);
		if ((s->frame = malloc(sizeof(*s->frame))) == NULL) {
			r = RT_ERR_NOMEM;
			goto out;
		}
		if (nng_ctx_open(&s->ctx, b->lsock) != 0 ||
		    nng_aio_alloc(&s->aio, in_slot_cb, s) != 0 ||
		    nng_aio_alloc(&s->finish_aio, finish_cb, s) != 0)
			goto out;
		b->nin_slots++;
	}
	if ((r = broker_tls_config(b->config, b->config->ca, NULL, &tls, NULL)) != 0)
		goto out;
	r = RT_ERR_INTERNAL;
	if (nng_listener_create(&b->listener, b->lsock, b->config->listen) != 0 ||
	    nng_listener_set_ptr(b->listener, NNG_OPT_TLS_CONFIG, tls) != 0 ||
	    nng_listener_set_size(b->listener, NNG_OPT_RECVMAXSZ,
	    b->config->max_frame * 4) != 0)
		goto out;
	if ((nerr = nng_listener_start(b->listener, 0)) != 0) {
		log_err("event=listen_failed url=%s error=\"%s\"", b->config->listen,
		    nng_strerror(nerr));
		r = RT_ERR_UNAVAILABLE;
		goto out;
	}
	for (int i = 0; i < b->nin_slots; i++)
		slot_recv(&b->in_slots[i]);
	log_info("event=listening url=%s contexts=%d", b->config->listen,
	    b->nin_slots);
	r = 0;
 out:
	if (tls != NULL)
		nng_tls_config_free(tls);
	return r;
}

void
broker_listen_stop(struct broker *b)
{
	for (int i = 0; i < b->nin_slots; i++) {
		pthread_mutex_lock(&b->in_slots[i].lock);
		b->in_slots[i].closed = 1;
		pthread_mutex_unlock(&b->in_slots[i].lock);
	}
	/* a reply being finished may still send: stop that first */
	for (int i = 0; i < b->nin_slots; i++)
		nng_aio_stop(b->in_slots[i].finish_aio);
	for (int i = 0; i < b->nin_slots; i++)
		nng_aio_stop(b->in_slots[i].aio);
	if (nng_socket_id(b->lsock) > 0)
		nng_close(b->lsock);
	/* answers still waiting in the ledger hold their slot */
	broker_ledger_drain(b->ledger);
	if (b->in_slots != NULL) {
		for (int i = 0; i < b->config->contexts; i++) {
			struct in_slot *s = &b->in_slots[i];

			slot_reset(s);
			nng_aio_free(s->aio);
			nng_aio_free(s->finish_aio);
			free(s->frame);
			if (i < b->nin_slots)
				pthread_mutex_destroy(&s->lock);
		}
	}
	free(b->in_slots);
	b->in_slots = NULL;
	b->nin_slots = 0;
	free(b->pipes);
	b->pipes = NULL;
	b->npipes = 0;
	pthread_mutex_destroy(&b->pipes_lock);
}
