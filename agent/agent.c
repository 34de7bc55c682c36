/*
 * The agent's life cycle, metrics and admin commands. See agent.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "rt_file.h"
#include "rt_log.h"

static const double latency_bounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025,
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};

/* The counter of (status, reason), registered the first time it is seen. */
static struct rt_counter *
reason_counter(struct agent_metrics *m, int status, const char *reason)
{
	struct rt_counter *c = NULL;
	char labels[128], esc[64];
	int n = __atomic_load_n(&m->nreasons, __ATOMIC_ACQUIRE);

	for (int i = 0; i < n; i++)
		if (m->reasons[i].reason == reason && m->reasons[i].status == status)
			return m->reasons[i].counter;
	pthread_mutex_lock(&m->reasons_lock);
	for (int i = 0; i < m->nreasons && c == NULL; i++)
		if (m->reasons[i].reason == reason && m->reasons[i].status == status)
			c = m->reasons[i].counter;
	if (c == NULL && m->nreasons < AGENT_REASONS_MAX) {
		snprintf(labels, sizeof(labels), "status=\"%d\",reason=\"%s\"", status,
		    rt_metrics_label_escape(reason, esc, sizeof(esc)));
		c = rt_metrics_counter(m->registry, "roamtrust_agent_checks_total",
		    "requests checked, by the HTTP status of the verdict and its reason",
		    labels);
		m->reasons[m->nreasons].status = status;
		m->reasons[m->nreasons].reason = reason;
		m->reasons[m->nreasons].counter = c;
		__atomic_store_n(&m->nreasons, m->nreasons + 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&m->reasons_lock);
	return c;
}

void
agent_count(struct agent *a, int status, const char *reason, uint64_t ns)
{
	rt_counter_inc(reason_counter(&a->metrics, status, reason));
	rt_histogram_observe(a->metrics.latency, (double)ns / 1e9);
}

void
agent_usage_count(struct agent *a, int event, enum agent_usage_result result)
{
	int e = event >= 0 && event < AGENT_USAGE_EVENTS ? event : AGENT_USAGE_EVENTS;

	rt_counter_inc(a->metrics.usage_answers[e][result]);
}

static void
metrics_scrape(void *arg)
{
	struct agent *a = arg;
	struct agent_spool_stats st;

	rt_gauge_set(a->metrics.bindings, (int64_t)agent_bindings_count(a->bindings));
	rt_gauge_set(a->metrics.pending_requests, (int64_t)agent_pending_count(a->pending));
	pthread_rwlock_rdlock(&a->spool_lock);
	if (a->spool != NULL) {
		agent_spool_stats(a->spool, &st);
		rt_gauge_set(a->metrics.spool_pending, st.pending);
		rt_gauge_set(a->metrics.spool_sent, st.sent);
		rt_gauge_set(a->metrics.spool_quarantined, st.quarantined);
		rt_gauge_set(a->metrics.open_calls, st.open_calls);
	}
	pthread_rwlock_unlock(&a->spool_lock);
}

/* The HTTP status of each usage result, for the labels. */
static const int usage_status[AGENT_USAGE_RESULTS] = {
	[AGENT_USAGE_STORED] = 200, [AGENT_USAGE_REPEAT] = 200,
	[AGENT_USAGE_IGNORED] = 200, [AGENT_USAGE_BAD_REQUEST] = 400,
	[AGENT_USAGE_TOO_BIG] = 413, [AGENT_USAGE_UNAVAILABLE] = 503,
	[AGENT_USAGE_FAILED] = 500,
};

static void
usage_metrics_init(struct agent_metrics *m)
{
	struct rt_metrics *r = m->registry;
	char labels[128];

	for (int e = 0; e <= AGENT_USAGE_EVENTS; e++)
		for (int k = 0; k < AGENT_USAGE_RESULTS; k++) {
			snprintf(labels, sizeof(labels),
			    "event=\"%s\",status=\"%d\",result=\"%s\"",
			    agent_usage_event_name(e), usage_status[k],
			    agent_usage_result_name((enum agent_usage_result)k));
			m->usage_answers[e][k] = rt_metrics_counter(r,
			    "roamtrust_agent_usage_answers_total",
			    "usage reports answered, by event, HTTP status and result",
			    labels);
		}
	m->records_stored = rt_metrics_counter(r, "roamtrust_agent_usage_records_total",
	    "usage records written to the spool", NULL);
	m->records_drained = rt_metrics_counter(r,
	    "roamtrust_agent_usage_records_drained_total",
	    "usage records the broker stored", NULL);
	m->records_quarantined = rt_metrics_counter(r,
	    "roamtrust_agent_usage_records_quarantined_total",
	    "usage records the broker rejected, set aside in the spool", NULL);
	m->calls_max_duration = rt_metrics_counter(r,
	    "roamtrust_agent_calls_max_duration_total",
	    "calls closed at max_call_duration without a stop", NULL);
	m->drain_failures = rt_metrics_counter(r,
	    "roamtrust_agent_usage_submit_failures_total",
	    "submits to the broker that settled nothing (retried)", NULL);
	m->spool_pending = rt_metrics_gauge(r, "roamtrust_agent_spool_records",
	    "usage records in the spool, by state", "state=\"pending\"");
	m->spool_sent = rt_metrics_gauge(r, "roamtrust_agent_spool_records",
	    "usage records in the spool, by state", "state=\"sent\"");
	m->spool_quarantined = rt_metrics_gauge(r, "roamtrust_agent_spool_records",
	    "usage records in the spool, by state", "state=\"quarantined\"");
	m->open_calls = rt_metrics_gauge(r, "roamtrust_agent_open_calls",
	    "calls answered and not yet ended, in the spool", NULL);
	m->pending_requests = rt_metrics_gauge(r, "roamtrust_agent_usage_pending",
	    "INVITEs and MESSAGEs allowed, awaiting their usage report", NULL);
}

static int
metrics_init(struct agent *a)
{
	struct agent_metrics *m = &a->metrics;
	int r;

	pthread_mutex_init(&m->reasons_lock, NULL);
	if ((r = rt_metrics_new(&m->registry)) != 0)
		return r;
	m->latency = rt_metrics_histogram(m->registry, "roamtrust_agent_check_seconds",
	    "time to a verdict (cold ones include the home realm's answer)", NULL,
	    latency_bounds, sizeof(latency_bounds) / sizeof(latency_bounds[0]));
	m->broker_rtt = rt_metrics_histogram(m->registry,
	    "roamtrust_agent_broker_rtt_seconds",
	    "round trip of an authentication through the brokers", NULL,
	    latency_bounds, sizeof(latency_bounds) / sizeof(latency_bounds[0]));
	m->bindings = rt_metrics_gauge(m->registry, "roamtrust_agent_bindings",
	    "registrations of roamers held", NULL);
	m->pai_stripped = rt_metrics_counter(m->registry,
	    "roamtrust_agent_pai_stripped_total",
	    "requests whose own P-Asserted/Preferred-Identity the proxy was told to drop",
	    NULL);
	usage_metrics_init(m);
	return rt_metrics_on_scrape(m->registry, metrics_scrape, a);
}

int
agent_new(struct agent_config *ac, struct agent **ap)
{
	pthread_condattr_t monotonic;
	struct agent *a;
	int r;

	*ap = NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return RT_ERR_NOMEM;
	a->config = ac;
	a->started_at = rt_time_now();
	pthread_mutex_init(&a->block, NULL);
	pthread_rwlock_init(&a->spool_lock, NULL);
	pthread_mutex_init(&a->drain_lock, NULL);
	pthread_condattr_init(&monotonic);
	pthread_condattr_setclock(&monotonic, CLOCK_MONOTONIC);
	pthread_cond_init(&a->drain_cond, &monotonic);
	pthread_condattr_destroy(&monotonic);
	if ((r = rt_xml_init()) != 0 || (r = metrics_init(a)) != 0 ||
	    (r = agent_pending_new((size_t)ac->usage_pending_max,
	    ac->usage_pending_time, &a->pending)) != 0 ||
	    (r = rt_dir_ensure(ac->state_dir, 0700)) != 0 ||
	    (r = rt_nonce_ctx_new(ac->nonce_lifetime, ac->nonce_rotate,
	    (size_t)ac->max_bindings, &a->nonces)) != 0 ||
	    (r = agent_bindings_new((size_t)ac->max_bindings,
	    (size_t)ac->max_bindings_per_flow, &a->bindings)) != 0 ||
	    (r = agent_limiter_new(65536, ac->fail_window, ac->fail_limit_source,
	    ac->ban_time, &a->fail_source)) != 0 ||
	    (r = agent_limiter_new(65536, ac->fail_window, ac->fail_limit_identity,
	    ac->ban_time, &a->fail_identity)) != 0) {
		log_err("event=agent_init_failed reason=%s", rt_errname(r));
		agent_free(a);
		return r;
	}
	*ap = a;
	return 0;
}

int
agent_start(struct agent *a)
{
	const struct agent_config *ac = a->config;
	int r;

	if ((r = rt_admin_listen(ac->admin_socket, agent_admin_handle, a, &a->admin)) != 0) {
		log_err("event=admin_listen_failed url=%s reason=%s", ac->admin_socket,
		    rt_errname(r));
		return r;
	}
	if (*ac->metrics_listen != '\0' &&
	    (r = rt_metrics_serve(a->metrics.registry, ac->metrics_listen, NULL)) != 0)
		return r;
	if ((r = agent_broker_start(a)) != 0 || (r = agent_usage_start(a)) != 0 ||
	    (r = agent_http_start(a)) != 0)
		return r;
	log_info("event=agent_started realm=%s broker=%s listen=%s", ac->realm,
	    ac->broker, ac->listen);
	return 0;
}

void
agent_stop(struct agent *a)
{
	if (a == NULL)
		return;
	rt_admin_close(a->admin);
	a->admin = NULL;
	/* the broker first: pending checks get their 503 and resume, a
	 * submit in flight ends (its records stay pending) */
	agent_usage_stopping(a);
	agent_broker_stop(a);
	/* then the spool: reports submitted are written and answered */
	agent_usage_stop(a);
	agent_http_stop(a);
	if (a->metrics.registry != NULL)
		rt_metrics_stop(a->metrics.registry);
	log_info("event=agent_stopped");
}

void
agent_free(struct agent *a)
{
	if (a == NULL)
		return;
	agent_usage_stop(a);	/* a spool opened alone (tests) */
	agent_pending_free(a->pending);
	rt_nonce_ctx_free(a->nonces);
	agent_bindings_free(a->bindings);
	agent_limiter_free(a->fail_source);
	agent_limiter_free(a->fail_identity);
	rt_metrics_free(a->metrics.registry);
	pthread_mutex_destroy(&a->metrics.reasons_lock);
	pthread_mutex_destroy(&a->block);
	pthread_rwlock_destroy(&a->spool_lock);
	pthread_mutex_destroy(&a->drain_lock);
	pthread_cond_destroy(&a->drain_cond);
	free(a);
}

/* "usage": the spool's counts and quarantined records; "requeue": those
 * back to pending (once the broker can take them). */
static int
usage_admin(struct agent *a, const char *cmd, struct rt_buf *out)
{
	size_t n = 0;
	int r;

	pthread_rwlock_rdlock(&a->spool_lock);
	if (a->spool == NULL)
		r = RT_ERR_UNAVAILABLE;
	else if (strcmp(cmd, "requeue") == 0) {
		if ((r = agent_spool_requeue(a->spool, &n)) == 0) {
			(void)!rt_buf_printf(out, "%zu quarantined records back to "
			    "pending\n", n);
			log_info("event=records_requeued count=%zu", n);
		}
	} else
		r = agent_spool_report(a->spool, 100, out);
	pthread_rwlock_unlock(&a->spool_lock);
	if (r == 0 && n > 0)
		agent_usage_kick(a);
	if (r != 0)
		(void)!rt_buf_printf(out, "%s: %s\n", cmd, rt_strerror(r));
	return r == 0 ? 0 : 1;
}

int
agent_admin_handle(void *arg, int argc, char **argv, struct rt_buf *out)
{
	struct agent *a = arg;

	if (argc < 1)
		return 2;
	if (strcmp(argv[0], "status") == 0) {
		size_t expired = agent_bindings_expire(a->bindings, rt_time_now());

		(void)!rt_buf_printf(out,
		    "realm:       %s\nbroker:      %s\nlistening:   %s (port %d)\n"
		    "uptime:      %lds\nbindings:    %zu roamers registered (%zu expired "
		    "dropped now)\nqueued:      %zu requests waiting for the broker\n",
		    a->config->realm, a->config->broker, a->config->listen, a->http_port,
		    (long)(rt_time_now() - a->started_at),
		    agent_bindings_count(a->bindings), expired, a->bqueued);
		pthread_rwlock_rdlock(&a->spool_lock);
		if (a->spool != NULL) {
			struct agent_spool_stats st;

			agent_spool_stats(a->spool, &st);
			(void)!rt_buf_printf(out, "usage:       %lld records for the broker, "
			    "%lld quarantined, %lld calls open (roamtrust-agent usage)\n",
			    (long long)st.pending, (long long)st.quarantined,
			    (long long)st.open_calls);
		}
		pthread_rwlock_unlock(&a->spool_lock);
		return 0;
	}
	if (strcmp(argv[0], "usage") == 0 || strcmp(argv[0], "requeue") == 0)
		return usage_admin(a, argv[0], out);
	(void)!rt_buf_printf(out, "unknown command '%.64s' (status, usage, requeue)\n",
	    argv[0]);
	return 2;
}
