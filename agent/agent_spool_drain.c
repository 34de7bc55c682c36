/*
 * The spool's way out: one thread that sweeps (calls open past
 * max_call_duration are closed, sent records past spool_keep_sent are
 * dropped) and drains (the oldest pending records go to our broker as a
 * UsageSubmit; its UsageSubmitAck settles them).
 *
 * At least once: a record leaves "pending" only after the broker's answer
 * said where it stands: stored (not among Rejected) -> sent; Rejected ->
 * quarantined with the broker's reason, so one bad record never blocks the
 * queue. A Refusal, a timeout, a broker down or an answer we cannot read
 * settle nothing: the same records go again after a pause that doubles up
 * to usage_retry_max. A Refusal that blames the message itself (schema,
 * bad_input, too_big) halves the next submit, down to the one record at
 * fault, which is quarantined. The broker is idempotent by record id, so
 * a submit whose answer was lost costs a repeat, never a duplicate.
 *
 * One submit is in flight at a time: records leave in spool order, and
 * the group commit of the spool makes settling cheap.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "rt_log.h"

/* The broker's agent socket takes messages up to RT_FRAME_MAX_ITEM
 * (256 KiB): stay well below. */
#define SUBMIT_MAX_BYTES (192 * 1024)
#define SWEEP_EVERY_S 1

/* Waits for the broker's answer to one submit. */
struct drain_call {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int finished;
	int err;
	enum rt_msg_type type;
	struct rt_usage_submit_ack *ack;
	struct rt_refusal refusal;
};

static void
drain_answer(void *arg, int err, enum rt_msg_type type, xmlDocPtr doc)
{
	struct drain_call *c = arg;

	if (err == 0 && type == RT_MSG_USAGE_SUBMIT_ACK)
		err = rt_usage_submit_ack_from_xml(doc, c->ack);
	else if (err == 0 && type == RT_MSG_REFUSAL)
		err = rt_refusal_from_xml(doc, &c->refusal);
	pthread_mutex_lock(&c->lock);
	c->err = err;
	c->type = type;
	c->finished = 1;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

/* The first n of recs as a UsageSubmit under SUBMIT_MAX_BYTES; *np is
 * lowered to what fits. */
static int
submit_encode(const struct rt_usage_record *recs, size_t *np, struct rt_buf *xml)
{
	struct rt_buf one;
	size_t n = 0, bytes = 256;
	int r = 0;

	rt_buf_init(&one, 16 * 1024);
	while (n < *np && r == 0) {
		rt_buf_reset(&one);
		if ((r = rt_usage_record_encode_element(&recs[n], -1, &one)) == 0) {
			if (n > 0 && bytes + one.len > SUBMIT_MAX_BYTES)
				break;
			bytes += one.len;
			n++;
		}
	}
	rt_buf_fini(&one);
	if (r != 0)
		return r;
	*np = n;
	rt_buf_reset(xml);
	return rt_usage_submit_encode(recs, n, xml);
}

/* A Refusal that blames what we sent (the broker's rt_msg_parse or its
 * records' checks), not the broker's state. */
static int
refusal_of_content(const struct rt_refusal *f)
{
	static const char *const content[] = {"schema", "bad_input", "too_big",
	    "too_deep", "xml_parse", "xml_dtd"};

	for (size_t i = 0; i < sizeof(content) / sizeof(content[0]); i++)
		if (strcmp(f->reason, content[i]) == 0)
			return 1;
	return 0;
}

/* Sends recs[0..n) and waits for the answer into c. */
static int
submit_call(struct agent *a, const struct rt_buf *xml, struct drain_call *c)
{
	int r;

	if ((r = agent_broker_call(a, xml, a->config->usage_timeout_ms, drain_answer,
	    c)) != 0)
		return r;
	pthread_mutex_lock(&c->lock);
	while (!c->finished)
		pthread_cond_wait(&c->cond, &c->lock);
	pthread_mutex_unlock(&c->lock);
	return 0;
}

int
agent_usage_drain(struct agent *a, size_t *settledp)
{
	size_t max = (size_t)a->config->usage_batch, n = 0, sent = 0, quarantined = 0;
	struct rt_usage_record *recs = NULL;
	struct drain_call c;
	struct rt_buf xml;
	int r;

	*settledp = 0;
	memset(&c, 0, sizeof(c));
	pthread_mutex_init(&c.lock, NULL);
	pthread_cond_init(&c.cond, NULL);
	rt_buf_init(&xml, SUBMIT_MAX_BYTES + 64 * 1024);
	if (a->drain_limit > 0 && a->drain_limit < max)
		max = a->drain_limit;
	if ((recs = calloc(max, sizeof(*recs))) == NULL ||
	    (c.ack = malloc(sizeof(*c.ack))) == NULL) {
		r = RT_ERR_NOMEM;
		goto out;
	}
	if ((r = agent_spool_pending(a->spool, recs, max, &n)) != 0 || n == 0)
		goto out;
	if ((r = submit_encode(recs, &n, &xml)) != 0 || (r = submit_call(a, &xml, &c)) != 0 ||
	    (r = c.err) != 0) {
		log_warn("event=usage_submit_failed records=%zu reason=%s", n, rt_errname(r));
		goto out;
	}
	if (c.type == RT_MSG_REFUSAL) {
		log_warn("event=usage_submit_refused records=%zu reason=%s detail=\"%s\"",
		    n, c.refusal.reason, c.refusal.detail);
		r = RT_ERR_DENIED;
		if (!refusal_of_content(&c.refusal))
			goto out;
		if (n > 1) {
			a->drain_limit = n / 2;	/* find the record at fault */
			r = 0;
			goto out;
		}
		/* this one record is what the broker cannot take: set it aside */
		memcpy(c.ack->rejected[0].ref, recs[0].id, RT_ID_MAX);
		snprintf(c.ack->rejected[0].reason, sizeof(c.ack->rejected[0].reason), "%s",
		    c.refusal.reason);
		c.ack->nrejected = 1;
	} else if (c.type != RT_MSG_USAGE_SUBMIT_ACK) {
		log_warn("event=usage_submit_failed records=%zu reason=unexpected_answer "
		    "type=%s", n, rt_msg_name(c.type));
		r = RT_ERR_TYPE;
		goto out;
	} else if (c.ack->stored + c.ack->nrejected != n)
		log_warn("event=usage_submit_ack_count records=%zu stored=%u rejected=%zu",
		    n, c.ack->stored, c.ack->nrejected);
	if ((r = agent_spool_settle(a->spool, recs, n, c.ack->rejected, c.ack->nrejected,
	    rt_time_now(), &sent, &quarantined)) != 0) {
		/* the broker has them: they go again, and it knows their ids */
		log_warn("event=usage_settle_failed records=%zu reason=%s", n, rt_errname(r));
		goto out;
	}
	a->drain_limit = 0;
	rt_counter_add(a->metrics.records_drained, sent);
	rt_counter_add(a->metrics.records_quarantined, quarantined);
	*settledp = n;
 out:
	if (r != 0)
		rt_counter_inc(a->metrics.drain_failures);
	rt_buf_fini(&xml);
	free(c.ack);
	free(recs);
	pthread_mutex_destroy(&c.lock);
	pthread_cond_destroy(&c.cond);
	return r;
}

int
agent_usage_sweep(struct agent *a, time_t now, size_t *closedp)
{
	/* a call's late reports come while its INVITE is pending, or as
	 * retransmissions (32 s): then its closed row can go */
	int r = agent_spool_sweep(a->spool, now, now - a->config->usage_pending_time - 60,
	    now - a->config->spool_keep_sent, closedp);

	if (r == 0 && *closedp > 0) {
		rt_counter_add(a->metrics.calls_max_duration, *closedp);
		rt_counter_add(a->metrics.records_stored, *closedp);
		log_warn("event=calls_closed_at_max count=%zu max_call_duration=%ld",
		    *closedp, a->config->max_call_duration);
	}
	return r;
}

void
agent_usage_kick(struct agent *a)
{
	pthread_mutex_lock(&a->drain_lock);
	a->drain_kicked = 1;
	pthread_cond_signal(&a->drain_cond);
	pthread_mutex_unlock(&a->drain_lock);
}

/* Sleeps until kicked, stopped, or seconds passed. 1 when stopping. */
static int
drainer_wait(struct agent *a, long seconds)
{
	struct timespec until;
	int stopping;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += seconds;
	pthread_mutex_lock(&a->drain_lock);
	while (!a->drain_kicked && !a->drain_stopping &&
	    pthread_cond_timedwait(&a->drain_cond, &a->drain_lock, &until) == 0)
		;
	a->drain_kicked = 0;
	stopping = a->drain_stopping;
	pthread_mutex_unlock(&a->drain_lock);
	return stopping;
}

static int
drainer_stopping(struct agent *a)
{
	int stopping;

	pthread_mutex_lock(&a->drain_lock);
	stopping = a->drain_stopping;
	pthread_mutex_unlock(&a->drain_lock);
	return stopping;
}

static void *
drainer_main(void *arg)
{
	struct agent *a = arg;
	uint64_t next_sweep = 0, retry_at = 0;
	long backoff = 0;

	for (;;) {
		uint64_t now = rt_mono_ns();
		struct agent_spool_stats st;
		size_t n = 0;

		if (now >= next_sweep) {
			if (agent_usage_sweep(a, rt_time_now(), &n) != 0)
				log_warn("event=usage_sweep_failed");
			next_sweep = now + SWEEP_EVERY_S * 1000000000ULL;
		}
		agent_spool_stats(a->spool, &st);
		if (st.pending > 0 && now >= retry_at) {
			size_t limit = a->drain_limit;

			if (agent_usage_drain(a, &n) != 0) {
				backoff = backoff == 0 ? 1 : backoff * 2;
				if (backoff > a->config->usage_retry_max)
					backoff = a->config->usage_retry_max;
				retry_at = rt_mono_ns() + (uint64_t)backoff * 1000000000ULL;
			} else {
				backoff = 0;
				retry_at = 0;
				/* progress (records settled, or a smaller submit to
				 * try): go on at once unless stopping */
				if ((n > 0 || a->drain_limit != limit) && !drainer_stopping(a))
					continue;
			}
		}
		if (drainer_wait(a, SWEEP_EVERY_S))
			break;
	}
	return NULL;
}

int
agent_usage_spool_path(const struct agent_config *ac, char *out, size_t cap)
{
	int n = *ac->spool != '\0' ? snprintf(out, cap, "%s", ac->spool) :
	    snprintf(out, cap, "%s/spool.db", ac->state_dir);

	return n < 0 || (size_t)n >= cap ? RT_ERR_TOO_BIG : 0;
}

int
agent_usage_open(struct agent *a)
{
	const struct agent_config *ac = a->config;
	struct agent_spool *s = NULL;
	char path[1024];
	int r;

	if ((r = agent_usage_spool_path(ac, path, sizeof(path))) != 0 ||
	    (r = agent_spool_open(path, ac->realm, ac->spool_max_size,
	    ac->max_call_duration, &s)) != 0)
		return r;
	pthread_rwlock_wrlock(&a->spool_lock);
	a->spool = s;
	pthread_rwlock_unlock(&a->spool_lock);
	return 0;
}

int
agent_usage_start(struct agent *a)
{
	int r;

	if (a->spool == NULL && (r = agent_usage_open(a)) != 0)
		return r;
	a->drain_stopping = 0;
	if (pthread_create(&a->drainer, NULL, drainer_main, a) != 0)
		return RT_ERR_INTERNAL;
	a->drainer_started = 1;
	return 0;
}

void
agent_usage_stopping(struct agent *a)
{
	pthread_mutex_lock(&a->drain_lock);
	a->drain_stopping = 1;
	pthread_cond_signal(&a->drain_cond);
	pthread_mutex_unlock(&a->drain_lock);
}

void
agent_usage_stop(struct agent *a)
{
	struct agent_spool *s;

	if (a->drainer_started) {
		agent_usage_stopping(a);
		pthread_join(a->drainer, NULL);
		a->drainer_started = 0;
	}
	/* new reports now get 503; those submitted are written and answered */
	pthread_rwlock_wrlock(&a->spool_lock);
	s = a->spool;
	a->spool = NULL;
	pthread_rwlock_unlock(&a->spool_lock);
	agent_spool_close(s);
}
