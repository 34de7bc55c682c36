/*
 * The agent's connection to its broker: an nng req0 socket (ipc:// or
 * tls+tcp:// with an operator certificate), a pool of contexts so many
 * requests are in flight, and a bounded queue for the rest. Each request
 * has its time to get an answer, queueing included: auth_timeout for an
 * authentication (after that the agent says 503, never allow), the
 * caller's for the others (usage submits).
 *
 * Over tls+tcp:// both sides authenticate: the broker's certificate must
 * chain to broker_ca and name our realm, ours to the broker's agent_ca.
 * nng tells why a dial fails only in its statistics: once a second we
 * look, and log a reason that differs from the one logged last since we
 * were connected, so an operator whose roamers get 503 learns why.
 */
#include <inttypes.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/tls/tls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "rt_file.h"
#include "rt_log.h"

#define BROKER_QUEUE_MAX 100000

struct agent_broker_req {
	struct agent_broker_req *next;
	struct rt_buf xml;
	agent_auth_fn auth_fn;		/* an authentication, or */
	agent_broker_fn fn;		/* any other message */
	void *arg;
	uint64_t queued_ns;
	uint64_t budget_ns;
};

struct agent_broker_slot {
	struct agent *agent;
	nng_ctx ctx;
	nng_aio *aio;
	int busy;			/* guarded by agent->block */
	int sending;
	struct agent_broker_req *req;
	uint64_t sent_ns;
};

static void broker_dispatch(struct agent *a);

static void
req_free(struct agent_broker_req *q)
{
	if (q == NULL)
		return;
	rt_buf_fini(&q->xml);
	free(q);
}

/* Calls q's callback once with err or the answer m (NULL when err). */
static void
req_answer(struct agent_broker_req *q, int err, const struct rt_msg_in *m)
{
	struct rt_auth_response *resp = NULL;

	if (q->fn != NULL) {
		/* the fast path reads only auth messages: other types have doc */
		q->fn(q->arg, err, err == 0 ? m->type : RT_MSG_UNKNOWN,
		    err == 0 ? m->doc : NULL);
		return;
	}
	if (err == 0 && (resp = malloc(sizeof(*resp))) == NULL)
		err = RT_ERR_NOMEM;
	if (err == 0 && (err = rt_auth_response_get(m, resp)) != 0)
		log_warn("event=broker_reply_refused reason=%s", rt_errname(err));
	q->auth_fn(q->arg, err, err == 0 ? resp : NULL);
	free(resp);
}

static void
slot_complete(struct agent_broker_slot *s, int err, const struct rt_msg_in *m)
{
	struct agent *a = s->agent;
	struct agent_broker_req *q = s->req;

	s->req = NULL;
	if (err == 0)
		rt_histogram_observe(a->metrics.broker_rtt,
		    (double)(rt_mono_ns() - s->sent_ns) / 1e9);
	req_answer(q, err, m);
	req_free(q);
	pthread_mutex_lock(&a->block);
	s->busy = 0;
	pthread_mutex_unlock(&a->block);
	broker_dispatch(a);
}

static void
slot_reply(struct agent_broker_slot *s, nng_msg *msg)
{
	struct rt_msg_in m;
	int r;

	if ((r = rt_msg_read(nng_msg_body(msg), nng_msg_len(msg), &m)) != 0)
		log_warn("event=broker_reply_refused reason=%s", rt_errname(r));
	nng_msg_free(msg);
	slot_complete(s, r, r == 0 ? &m : NULL);
	if (r == 0)
		rt_msg_in_fini(&m);
}

static int
nng_to_rt(int nerr)
{
	return nerr == NNG_ETIMEDOUT ? RT_ERR_TIMEOUT : RT_ERR_UNAVAILABLE;
}

static void
slot_cb(void *arg)
{
	struct agent_broker_slot *s = arg;
	int nerr = nng_aio_result(s->aio);

	if (s->sending) {
		if (nerr != 0) {
			nng_msg_free(nng_aio_get_msg(s->aio));
			slot_complete(s, nng_to_rt(nerr), NULL);
			return;
		}
		s->sending = 0;
		nng_ctx_recv(s->ctx, s->aio);
		return;
	}
	if (nerr != 0) {
		slot_complete(s, nng_to_rt(nerr), NULL);
		return;
	}
	slot_reply(s, nng_aio_get_msg(s->aio));
}

static void
slot_send(struct agent_broker_slot *s)
{
	uint64_t now = rt_mono_ns();
	uint64_t budget = s->req->budget_ns;
	uint64_t waited = now - s->req->queued_ns;
	nng_msg *msg = NULL;

	/* the queue ate the time budget: do not send what nobody waits for */
	if (waited >= budget) {
		slot_complete(s, RT_ERR_TIMEOUT, NULL);
		return;
	}
	if (nng_msg_alloc(&msg, 0) != 0 ||
	    nng_msg_append(msg, s->req->xml.data, s->req->xml.len) != 0) {
		nng_msg_free(msg);
		slot_complete(s, RT_ERR_NOMEM, NULL);
		return;
	}
	s->sending = 1;
	s->sent_ns = now;
	nng_aio_set_msg(s->aio, msg);
	/* send and receive together get what is left of the budget */
	nng_aio_set_timeout(s->aio, (nng_duration)((budget - waited) / 1000000));
	nng_ctx_send(s->ctx, s->aio);
}

static void
broker_dispatch(struct agent *a)
{
	for (;;) {
		struct agent_broker_slot *s = NULL;

		pthread_mutex_lock(&a->block);
		if (a->bqueue_head != NULL && !a->bstopping) {
			for (int i = 0; i < a->nbslots; i++) {
				if (!a->bslots[i].busy) {
					s = &a->bslots[i];
					break;
				}
			}
		}
		if (s == NULL) {
			pthread_mutex_unlock(&a->block);
			return;
		}
		s->busy = 1;
		s->req = a->bqueue_head;
		a->bqueue_head = s->req->next;
		if (a->bqueue_head == NULL)
			a->bqueue_tail = NULL;
		a->bqueued--;
		pthread_mutex_unlock(&a->block);
		slot_send(s);
	}
}

/* Queues q (taken over) and sends what a free context can. */
static int
broker_queue(struct agent *a, struct agent_broker_req *q, long timeout_ms)
{
	q->queued_ns = rt_mono_ns();
	q->budget_ns = (uint64_t)timeout_ms * 1000000;
	pthread_mutex_lock(&a->block);
	if (a->bqueued >= BROKER_QUEUE_MAX || a->nbslots == 0 || a->bstopping) {
		pthread_mutex_unlock(&a->block);
		req_free(q);
		return RT_ERR_UNAVAILABLE;
	}
	if (a->bqueue_tail != NULL)
		a->bqueue_tail->next = q;
	else
		a->bqueue_head = q;
	a->bqueue_tail = q;
	a->bqueued++;
	pthread_mutex_unlock(&a->block);
	broker_dispatch(a);
	return 0;
}

int
agent_broker_auth(struct agent *a, const struct rt_auth_request *req,
    agent_auth_fn fn, void *arg)
{
	struct agent_broker_req *q;
	int r;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return RT_ERR_NOMEM;
	rt_buf_init(&q->xml, 64 * 1024);
	if ((r = rt_auth_request_encode(req, &q->xml)) != 0) {
		req_free(q);
		return r;
	}
	q->auth_fn = fn;
	q->arg = arg;
	return broker_queue(a, q, a->config->auth_timeout_ms);
}

int
agent_broker_call(struct agent *a, const struct rt_buf *xml, long timeout_ms,
    agent_broker_fn fn, void *arg)
{
	struct agent_broker_req *q;
	int r;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return RT_ERR_NOMEM;
	rt_buf_init(&q->xml, xml->len);
	if ((r = rt_buf_append(&q->xml, xml->data, xml->len)) != 0) {
		req_free(q);
		return r;
	}
	q->fn = fn;
	q->arg = arg;
	return broker_queue(a, q, timeout_ms);
}

int
agent_broker_tls(const struct agent_config *ac, nng_tls_config **cfgp,
    struct rt_fault *fault)
{
	struct rt_buf cert, key;
	nng_tls_config *cfg = NULL;
	int r = RT_ERR_CRYPTO, nerr;

	*cfgp = NULL;
	rt_fault_set(fault, NULL, NULL, 0);
	rt_buf_init(&cert, RT_PEM_MAX);
	rt_buf_init(&key, RT_PEM_MAX);
	rt_buf_set_secret(&key);
	if ((r = rt_file_read(ac->cert, RT_PEM_MAX, &cert)) != 0) {
		rt_fault_set(fault, "cert", ac->cert, r);
		goto out;
	}
	if ((r = rt_file_check_private(ac->key)) != 0 ||
	    (r = rt_file_read(ac->key, RT_PEM_MAX, &key)) != 0) {
		rt_fault_set(fault, "key", ac->key, r);
		goto out;
	}
	r = RT_ERR_CRYPTO;
	/*
	 * nng's defaults verify nothing: require the broker's certificate,
	 * chained to broker_ca, and for our realm: our broker's TLS identity
	 * is its realm certificate, whatever host name the URL dials.
	 */
	if ((nerr = nng_tls_config_alloc(&cfg, NNG_TLS_MODE_CLIENT)) != 0 ||
	    (nerr = nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_REQUIRED)) != 0 ||
	    (nerr = nng_tls_config_ca_file(cfg, ac->broker_ca)) != 0) {
		rt_fault_set(fault, "broker_ca", ac->broker_ca, r);
		rt_fault_detail(fault, "the TLS library refuses it as a CA file: %s",
		    nng_strerror(nerr));
		goto out;
	}
	if ((nerr = nng_tls_config_own_cert(cfg, rt_buf_str(&cert), rt_buf_str(&key),
	    NULL)) != 0 || (nerr = nng_tls_config_server_name(cfg, ac->realm)) != 0) {
		rt_fault_set(fault, "cert", ac->cert, r);
		rt_fault_detail(fault, "the TLS library refuses it (or its key %s): %s",
		    ac->key, nng_strerror(nerr));
		goto out;
	}
	*cfgp = cfg;
	cfg = NULL;
	r = 0;
 out:
	if (cfg != NULL)
		nng_tls_config_free(cfg);
	rt_buf_fini(&cert);
	rt_buf_fini(&key);
	return r;
}

/* by rt_nng_dial_reasons */
static const char *const dial_why[RT_NNG_DIAL_REASONS] = {
	("TLS handshake failed: the broker's certificate is not from broker_ca, or "
	    "has expired, or does not name our realm; or the broker refused ours "
	    "(not from its agent_ca, or expired)"),
	("connection refused: nothing listens there (the broker is down, or broker "
	    "is not its agent_listen)"),
	"connection timed out",
	"the TLS or SP negotiation failed: is it a broker's agent_listen?",
};

static void
broker_watch_cb(void *arg)
{
	struct agent *a = arg;
	nng_stat *all = NULL;
	uint64_t n = 0;
	int last = -1;

	if (nng_aio_result(a->bwatch) != 0)
		return;		/* stopped */
	if (nng_stats_get(&all) == 0) {
		last = rt_nng_dial_failed(all, a->config->broker, a->bdial_seen, &n);
		nng_stats_free(all);
	}
	if (last >= 0 && __atomic_exchange_n(&a->bdial_logged, last,
	    __ATOMIC_ACQ_REL) != last)
		log_warn("event=broker_dial_failed url=%s reason=%s count=%" PRIu64
		    " detail=\"%s\"", a->config->broker, rt_nng_dial_reasons[last], n,
		    dial_why[last]);
	nng_sleep_aio(1000, a->bwatch);
}

static void
broker_pipe_cb(nng_pipe pipe, nng_pipe_ev ev, void *arg)
{
	struct agent *a = arg;
	int stopping;

	(void)pipe;
	pthread_mutex_lock(&a->block);
	stopping = a->bstopping;
	pthread_mutex_unlock(&a->block);
	if (ev == NNG_PIPE_EV_ADD_POST) {
		__atomic_store_n(&a->bdial_logged, -1, __ATOMIC_RELEASE);
		log_info("event=broker_connected url=%s", a->config->broker);
	} else if (!stopping)
		log_warn("event=broker_disconnected url=%s", a->config->broker);
}

int
agent_broker_start(struct agent *a)
{
	const struct agent_config *ac = a->config;
	nng_tls_config *tls = NULL;
	int r = RT_ERR_INTERNAL;

	if ((a->bslots = calloc((size_t)ac->broker_contexts, sizeof(*a->bslots))) == NULL)
		return RT_ERR_NOMEM;
	pthread_mutex_lock(&a->block);
	a->bstopping = 0;	/* started again after a stop */
	pthread_mutex_unlock(&a->block);
	memset(a->bdial_seen, 0, sizeof(a->bdial_seen));
	a->bdial_logged = -1;
	if (nng_req0_open(&a->bsock) != 0 ||
	    nng_pipe_notify(a->bsock, NNG_PIPE_EV_ADD_POST, broker_pipe_cb, a) != 0 ||
	    nng_pipe_notify(a->bsock, NNG_PIPE_EV_REM_POST, broker_pipe_cb, a) != 0 ||
	    nng_socket_set_ms(a->bsock, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE) != 0 ||
	    nng_socket_set_size(a->bsock, NNG_OPT_RECVMAXSZ, 256 * 1024) != 0 ||
	    nng_socket_set_ms(a->bsock, NNG_OPT_RECONNMINT, 100) != 0 ||
	    nng_socket_set_ms(a->bsock, NNG_OPT_RECONNMAXT, 2000) != 0 ||
	    nng_dialer_create(&a->bdialer, a->bsock, ac->broker) != 0)
		goto out;
	if (strncmp(ac->broker, "tls+tcp://", 10) == 0) {
		struct rt_fault fault;

		if ((r = agent_broker_tls(ac, &tls, &fault)) != 0) {
			rt_fault_log(&fault, "broker_tls_refused");
			goto out;
		}
		r = RT_ERR_INTERNAL;
		if (nng_dialer_set_ptr(a->bdialer, NNG_OPT_TLS_CONFIG, tls) != 0)
			goto out;
	}
	for (int i = 0; i < ac->broker_contexts; i++) {
		struct agent_broker_slot *s = &a->bslots[i];

		s->agent = a;
		if (nng_ctx_open(&s->ctx, a->bsock) != 0 ||
		    nng_aio_alloc(&s->aio, slot_cb, s) != 0)
			goto out;
		pthread_mutex_lock(&a->block);
		a->nbslots++;
		pthread_mutex_unlock(&a->block);
	}
	/* the broker may start after us: keep dialing in the background */
	if (nng_dialer_start(a->bdialer, NNG_FLAG_NONBLOCK) != 0 ||
	    nng_aio_alloc(&a->bwatch, broker_watch_cb, a) != 0)
		goto out;
	nng_sleep_aio(1000, a->bwatch);
	r = 0;
 out:
	if (tls != NULL)
		nng_tls_config_free(tls);
	if (r != 0)
		log_err("event=broker_connect_failed url=%s reason=%s", ac->broker,
		    rt_errname(r));
	return r;
}

void
agent_broker_stop(struct agent *a)
{
	pthread_mutex_lock(&a->block);
	/* no more dispatching: requests still queued fail below */
	a->bstopping = 1;
	pthread_mutex_unlock(&a->block);
	if (a->bwatch != NULL)
		nng_aio_stop(a->bwatch);
	for (int i = 0; i < a->nbslots; i++)
		nng_aio_stop(a->bslots[i].aio);
	if (nng_socket_id(a->bsock) > 0)
		nng_close(a->bsock);
	for (int i = 0; i < a->nbslots; i++)
		nng_aio_free(a->bslots[i].aio);
	if (a->bwatch != NULL)
		nng_aio_free(a->bwatch);
	a->bwatch = NULL;
	free(a->bslots);
	a->bslots = NULL;
	a->nbslots = 0;
	while (a->bqueue_head != NULL) {
		struct agent_broker_req *q = a->bqueue_head;

		a->bqueue_head = q->next;
		req_answer(q, RT_ERR_UNAVAILABLE, NULL);
		req_free(q);
	}
	a->bqueue_tail = NULL;
	a->bqueued = 0;
}
