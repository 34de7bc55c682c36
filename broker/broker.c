/*
 * The broker's life cycle (identity, trust, agreements, start, stop), its
 * watchdog thread, its metrics and its admin commands. See broker.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "broker_ledger.h"
#include "rt_admin.h"
#include "rt_file.h"
#include "rt_log.h"

static const double rtt_bounds[] = {0.001, 0.002, 0.005, 0.01, 0.02, 0.05,
    0.1, 0.2, 0.5, 1, 2, 5};

static void
metrics_scrape(void *arg)
{
	struct broker *b = arg;
	time_t now = rt_time_now(), last = 0, next;
	long number = -1;
	int up = 0;

	for (int i = 0; i < b->npeers; i++) {
		pthread_mutex_lock(&b->peers[i].lock);
		up += b->peers[i].state == PEER_UP;
		pthread_mutex_unlock(&b->peers[i].lock);
	}
	if (b->ledger != NULL) {
		uint64_t commits = broker_ledger_commits(b->ledger);

		rt_counter_add(b->metrics.ledger_commits,
		    commits - b->metrics.ledger_commits_seen);
		b->metrics.ledger_commits_seen = commits;
	}
	rt_gauge_set(b->metrics.peers_up, up);
	rt_gauge_set(b->metrics.peers_down, b->npeers - up);
	next = rt_trust_crl_next_update(b->trust);
	if (rt_trust_crl_info(b->trust, &last, &number) == 0) {
		rt_gauge_set(b->metrics.crl_age, (int64_t)(now - last));
		rt_gauge_set(b->metrics.crl_next_update, (int64_t)(next - now));
	}
}

static int
metrics_init(struct broker *b)
{
	struct broker_metrics *m = &b->metrics;
	char labels[64];
	int r;

	if ((r = rt_metrics_new(&m->registry)) != 0)
		return r;
	for (int k = 0; k < 2; k++) {
		const char *kind = k == 0 ? "kind=\"request\"" : "kind=\"reply\"";

		m->frames_in[k] = rt_metrics_counter(m->registry,
		    "roamtrust_frames_in_total",
		    "verified frames received from peers, by kind", kind);
		m->frames_out[k] = rt_metrics_counter(m->registry,
		    "roamtrust_frames_out_total", "frames sent to peers, by kind", kind);
	}
	for (int k = 0; k < BROKER_TLS_REASONS; k++) {
		snprintf(labels, sizeof(labels), "reason=\"%s\"", broker_tls_reasons[k]);
		m->tls_refused[k] = rt_metrics_counter(m->registry,
		    "roamtrust_tls_refused_total", "connections to our listener that "
		    "failed before a frame could be read (TLS handshake, SP "
		    "negotiation), by nng's reason", labels);
		m->agent_tls_refused[k] = rt_metrics_counter(m->registry,
		    "roamtrust_agent_tls_refused_total", "connections to our agents' "
		    "tls+tcp listener that failed before a message could be read "
		    "(TLS handshake: no certificate of agent_ca), by nng's reason",
		    labels);
	}
	for (int t = RT_MSG_UNKNOWN + 1; t < RT_MSG_COUNT; t++) {
		snprintf(labels, sizeof(labels), "type=\"%s\"", rt_msg_name(t));
		m->items_in[t] = rt_metrics_counter(m->registry,
		    "roamtrust_messages_in_total", "messages received, by type", labels);
	}
	for (int e = 1; e < -RT_ERR_LAST; e++) {
		snprintf(labels, sizeof(labels), "reason=\"%s\"", rt_errname(-e));
		m->refused[e] = rt_metrics_counter(m->registry,
		    "roamtrust_refused_total", "frames and messages refused, by reason",
		    labels);
	}
	m->crl_fetch_ok = rt_metrics_counter(m->registry, "roamtrust_crl_fetches_total",
	    "CRL fetches", "result=\"ok\"");
	m->crl_fetch_failed = rt_metrics_counter(m->registry,
	    "roamtrust_crl_fetches_total", "CRL fetches", "result=\"failed\"");
	m->peers_up = rt_metrics_gauge(m->registry, "roamtrust_peers",
	    "configured peers by state", "state=\"up\"");
	m->peers_down = rt_metrics_gauge(m->registry, "roamtrust_peers",
	    "configured peers by state", "state=\"down\"");
	m->crl_age = rt_metrics_gauge(m->registry, "roamtrust_crl_age_seconds",
	    "seconds since the current CRL's lastUpdate", NULL);
	m->crl_next_update = rt_metrics_gauge(m->registry,
	    "roamtrust_crl_next_update_seconds",
	    "seconds until the current CRL's nextUpdate (negative: stale)", NULL);
	for (int i = 0; i <= RT_AUTH_UNAVAILABLE; i++) {
		snprintf(labels, sizeof(labels), "result=\"%s\"", rt_auth_result_name(i));
		m->auth[i] = rt_metrics_counter(m->registry,
		    "roamtrust_home_auth_total",
		    "authentications of our subscribers roaming elsewhere, by result",
		    labels);
	}
	for (int o = 0; o < 2; o++)
		m->ledger_added[o] = rt_metrics_counter(m->registry,
		    "roamtrust_ledger_records_total", "records stored in the ledger "
		    "(new rows), by origin", o == 0 ? "origin=\"ours\"" :
		    "origin=\"theirs\"");
	m->ledger_repeats = rt_metrics_counter(m->registry,
	    "roamtrust_ledger_repeats_total", "records submitted again (stored once)",
	    NULL);
	m->ledger_conflicts = rt_metrics_counter(m->registry,
	    "roamtrust_ledger_conflicts_total",
	    "records refused: their id holds another record", NULL);
	m->ledger_flagged = rt_metrics_counter(m->registry,
	    "roamtrust_ledger_flagged_total",
	    "records of partners our check flagged", NULL);
	m->ledger_checkpoints = rt_metrics_counter(m->registry,
	    "roamtrust_ledger_checkpoints_total", "signed checkpoints", NULL);
	m->ledger_commits = rt_metrics_counter(m->registry,
	    "roamtrust_ledger_commits_total", "ledger transactions committed "
	    "(each synced)", NULL);
	for (int e = 1; e < -RT_ERR_LAST; e++) {
		snprintf(labels, sizeof(labels), "reason=\"%s\"", rt_errname(-e));
		m->usage_rejected[e] = rt_metrics_counter(m->registry,
		    "roamtrust_usage_rejected_total",
		    "records of our agents refused, by reason", labels);
	}
	m->usage_submits_failed = rt_metrics_counter(m->registry,
	    "roamtrust_usage_submits_failed_total",
	    "agent submits the ledger could not store (the agent retries)", NULL);
	m->batches_out_sent = rt_metrics_counter(m->registry,
	    "roamtrust_usage_batches_out_total", "UsageBatches to home realms",
	    "result=\"sent\"");
	m->batches_out_acked = rt_metrics_counter(m->registry,
	    "roamtrust_usage_batches_out_total", "UsageBatches to home realms",
	    "result=\"acked\"");
	m->batches_out_failed = rt_metrics_counter(m->registry,
	    "roamtrust_usage_batches_out_total", "UsageBatches to home realms",
	    "result=\"failed\"");
	m->batches_in_stored = rt_metrics_counter(m->registry,
	    "roamtrust_usage_batches_in_total", "UsageBatches from visited realms",
	    "result=\"stored\"");
	m->batches_in_repeated = rt_metrics_counter(m->registry,
	    "roamtrust_usage_batches_in_total", "UsageBatches from visited realms",
	    "result=\"repeat\"");
	m->batches_in_refused = rt_metrics_counter(m->registry,
	    "roamtrust_usage_batches_in_total", "UsageBatches from visited realms",
	    "result=\"refused\"");
	m->rtt = rt_metrics_histogram(m->registry, "roamtrust_peer_rtt_seconds",
	    "ping round-trip time to peers", NULL, rtt_bounds,
	    sizeof(rtt_bounds) / sizeof(rtt_bounds[0]));
	return rt_metrics_on_scrape(m->registry, metrics_scrape, b);
}

void
broker_count_refusal(struct broker *b, int reason)
{
	if (reason < 0 && reason > RT_ERR_LAST)
		rt_counter_inc(b->metrics.refused[-reason]);
}

void
broker_defer(nng_aio *aio)
{
	/* a stopped aio gets its callback with NNG_ECANCELED from begin */
	if (nng_aio_begin(aio))
		nng_aio_finish(aio, 0);
}

static int
ledger_open(struct broker *b)
{
	const struct broker_config *bc = b->config;
	struct broker_ledger_counters counters = {
		{b->metrics.ledger_added[0], b->metrics.ledger_added[1]},
		b->metrics.ledger_repeats, b->metrics.ledger_conflicts,
		b->metrics.ledger_flagged, b->metrics.ledger_checkpoints};
	struct broker_ledger_opts opts = {bc->ledger_db, bc->realm, b->signer,
	    bc->checkpoint_records, bc->checkpoint_interval, bc->skew, 0, &counters};
	int r;

	if ((r = broker_ledger_open(&opts, &b->ledger)) != 0)
		log_err("event=ledger_unavailable path=%s reason=%s", bc->ledger_db,
		    rt_errname(r));
	return r;
}

int
broker_new(struct broker_config *bc, struct broker **bp)
{
	struct rt_fault fault;
	struct broker *b;
	int r;

	*bp = NULL;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return RT_ERR_NOMEM;
	b->config = bc;
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->cond, NULL);
	pthread_rwlock_init(&b->agreements_lock, NULL);
	b->started_at = rt_time_now();
	b->descriptor_serial = (uint64_t)b->started_at;
	if ((r = rt_xml_init()) != 0 || (r = metrics_init(b)) != 0)
		goto out;
	if ((r = rt_dir_ensure(bc->state_dir, 0700)) != 0) {
		log_err("event=state_dir_unavailable path=%s reason=%s", bc->state_dir,
		    rt_errname(r));
		goto out;
	}
	if ((r = broker_identity_load(bc, &b->signer, &fault)) != 0) {
		rt_fault_log(&fault, "identity_refused");
		goto out;
	}
	b->password_policy = bc->password_policy;
	if ((r = broker_subscribers_open(bc->subscribers_db, &b->subscribers)) != 0) {
		log_err("event=subscribers_unavailable path=%s reason=%s",
		    bc->subscribers_db, rt_errname(r));
		goto out;
	}
	if ((r = ledger_open(b)) != 0)
		goto out;
	if ((r = broker_trust_load(bc, 1, &b->trust, &fault)) != 0) {
		rt_fault_log(&fault, "trust_refused");
		goto out;
	}
	if ((r = rt_replay_new(bc->replay_entries, (uint64_t)bc->skew * 2000 + 1000,
	    &b->replay)) != 0)
		goto out;
	/* the cached CRL while still fresh; else the CRL thread's first fetch */
	(void)!broker_crl_cache_load(bc, b->trust);
	/* without a CRL yet, agreements load once the first one arrives */
	if (rt_trust_crl_next_update(b->trust) == 0)
		log_info("event=agreements_deferred reason=\"no CRL yet\"");
	else if (broker_agreements_reload(b) != 0)
		log_warn("event=agreements_not_loaded dir=%s", bc->agreements_dir);
	if ((b->peers = calloc((size_t)bc->npeers + 1, sizeof(*b->peers))) == NULL) {
		r = RT_ERR_NOMEM;
		goto out;
	}
	for (int i = 0; i < bc->npeers; i++) {
		struct broker_peer *p = &b->peers[i];

		p->broker = b;
		pthread_mutex_init(&p->lock, NULL);
		snprintf(p->realm, sizeof(p->realm), "%s", bc->peers[i].realm);
		snprintf(p->endpoint, sizeof(p->endpoint), "%s", bc->peers[i].endpoint);
		snprintf(p->reason, sizeof(p->reason), "not started");
		b->npeers++;
	}
	*bp = b;
	b = NULL;
	r = 0;
 out:
	if (r != 0)
		log_err("event=broker_init_failed reason=%s", rt_errname(r));
	broker_free(b);
	return r;
}

static void *
watchdog_main(void *arg)
{
	struct broker *b = arg;

	for (;;) {
		struct timespec until;
		nng_stat *stats;
		uint64_t now_ms;
		int stop;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		pthread_mutex_lock(&b->lock);
		while (!b->stop && pthread_cond_timedwait(&b->cond, &b->lock, &until) == 0)
			;
		stop = b->stop;
		pthread_mutex_unlock(&b->lock);
		if (stop)
			return NULL;
		now_ms = rt_time_now_ms();
		broker_crl_check_stale(b, (time_t)(now_ms / 1000));
		if (nng_stats_get(&stats) != 0)
			stats = NULL;
		broker_listen_watch(b, stats);
		for (int i = 0; i < b->npeers; i++) {
			broker_peer_tick(&b->peers[i], now_ms);
			broker_peer_dial_watch(&b->peers[i], stats);
		}
		if (stats != NULL)
			nng_stats_free(stats);
		broker_usage_tick(b, now_ms);
	}
}

int
broker_start(struct broker *b)
{
	const struct broker_config *bc = b->config;
	int r;

	if ((r = rt_admin_listen(bc->admin_socket, broker_admin_handle, b,
	    &b->admin)) != 0) {
		log_err("event=admin_listen_failed url=%s reason=%s", bc->admin_socket,
		    rt_errname(r));
		return r;
	}
	if (*bc->metrics_listen != '\0') {
		if ((r = rt_metrics_serve(b->metrics.registry, bc->metrics_listen,
		    NULL)) != 0) {
			log_err("event=metrics_listen_failed addr=%s reason=%s",
			    bc->metrics_listen, rt_errname(r));
			return r;
		}
	}
	if ((r = broker_usage_start(b)) != 0 || (r = broker_listen_start(b)) != 0 ||
	    (r = broker_peers_start(b)) != 0 || (r = broker_crl_start(b)) != 0 ||
	    (r = broker_agents_start(b)) != 0)
		return r;
	if (pthread_create(&b->watchdog, NULL, watchdog_main, b) != 0)
		return RT_ERR_INTERNAL;
	b->watchdog_started = 1;
	log_info("event=broker_started realm=%s peers=%d agreements=%zu", bc->realm,
	    b->npeers, broker_agreement_count(b));
	return 0;
}

void
broker_stop(struct broker *b)
{
	if (b == NULL)
		return;
	pthread_mutex_lock(&b->lock);
	b->stop = 1;
	pthread_cond_broadcast(&b->cond);
	pthread_mutex_unlock(&b->lock);
	if (b->watchdog_started)
		pthread_join(b->watchdog, NULL);
	b->watchdog_started = 0;
	broker_crl_stop(b);
	rt_admin_close(b->admin);
	b->admin = NULL;
	/* forwarding first: the peers' stop fails its batch in flight */
	broker_usage_stop(b);
	/* peers before agents: failing pending requests answers agents */
	broker_peers_stop(b);
	/* each drains the ledger of what its requests still wait for */
	broker_agents_stop(b);
	broker_listen_stop(b);
	if (b->metrics.registry != NULL)
		rt_metrics_stop(b->metrics.registry);
	log_info("event=broker_stopped realm=%s", b->config->realm);
}

void
broker_free(struct broker *b)
{
	if (b == NULL)
		return;
	/* what is still queued runs (its callbacks see everything stopped) */
	broker_ledger_close(b->ledger);
	broker_usage_free(b);
	for (int i = 0; i < b->npeers; i++)
		pthread_mutex_destroy(&b->peers[i].lock);
	free(b->peers);
	broker_agreements_fini(&b->agreements);
	rt_replay_free(b->replay);
	rt_trust_free(b->trust);
	rt_signer_free(b->signer);
	broker_subscribers_close(b->subscribers);
	rt_metrics_free(b->metrics.registry);
	pthread_rwlock_destroy(&b->agreements_lock);
	pthread_cond_destroy(&b->cond);
	pthread_mutex_destroy(&b->lock);
	free(b);
}

/* ---- admin commands ---- */

static void
fmt_time(time_t t, char *out)
{
	if (t <= 0)
		snprintf(out, RT_TIME_STR_LEN + 1, "-");
	else
		rt_time_format(t, out);
}

static int
admin_status(struct broker *b, struct rt_buf *out)
{
	char next[RT_TIME_STR_LEN + 1], last[RT_TIME_STR_LEN + 1];
	time_t now = rt_time_now(), lu = 0;
	long number = -1;
	int up = 0, r;

	for (int i = 0; i < b->npeers; i++) {
		pthread_mutex_lock(&b->peers[i].lock);
		up += b->peers[i].state == PEER_UP;
		pthread_mutex_unlock(&b->peers[i].lock);
	}
	if (rt_trust_crl_info(b->trust, &lu, &number) != 0)
		lu = 0;
	fmt_time(lu, last);
	fmt_time(rt_trust_crl_next_update(b->trust), next);
	if ((r = rt_buf_printf(out,
	    "realm:       %s\nlistening:   %s\nuptime:      %lds\n"
	    "peers:       %d up of %d\nagreements:  %zu valid\n"
	    "CRL:         number %ld, issued %s, next update %s%s\n"
	    "replay ids:  %zu remembered\n",
	    b->config->realm, b->config->listen, (long)(now - b->started_at), up,
	    b->npeers, broker_agreement_count(b), number, last, next,
	    rt_trust_crl_next_update(b->trust) != 0 &&
	    rt_trust_crl_next_update(b->trust) < now ? " (STALE)" : "",
	    rt_replay_size(b->replay))) != 0)
		return r;
	return broker_listen_describe(b, out);
}

static int
admin_peers(struct broker *b, struct rt_buf *out)
{
	uint64_t now = rt_time_now_ms();
	int r;

	if ((r = rt_buf_printf(out, "%-24s %-10s %-21s %-9s %-9s %s\n", "REALM",
	    "STATE", "CERT EXPIRES", "LAST SEEN", "RTT", "REASON / ENDPOINT")) != 0)
		return r;
	for (int i = 0; i < b->npeers && r == 0; i++) {
		struct broker_peer *p = &b->peers[i];
		char expires[RT_TIME_STR_LEN + 1], seen[32], rtt[32], id[1][RT_ID_MAX];
		/* a peer we hold no valid agreement with cannot come up: say so
		 * first, whatever its link is doing */
		int bound = broker_agreement_ids(b, p->realm,
		    (time_t)(now / 1000), id, 1) > 0, up, lapsed;

		pthread_mutex_lock(&p->lock);
		up = p->state == PEER_UP;
		/* so does a peer whose certificate, the last we saw, has expired:
		 * whichever failure took it down or keeps it down now */
		lapsed = !up && p->cert_not_after != 0 &&
		    p->cert_not_after <= (time_t)(now / 1000) &&
		    strstr(p->reason, "certificate expired") == NULL;
		fmt_time(up || lapsed ? p->cert_not_after : 0, expires);
		if (p->last_seen_ms == 0)
			snprintf(seen, sizeof(seen), "never");
		else
			snprintf(seen, sizeof(seen), "%llus ago",
			    (unsigned long long)((now - p->last_seen_ms) / 1000));
		if (p->rtt_us == 0)
			snprintf(rtt, sizeof(rtt), "-");
		else
			snprintf(rtt, sizeof(rtt), "%.1fms", (double)p->rtt_us / 1000.0);
		r = rt_buf_printf(out, "%-24s %-10s %-21s %-9s %-9s %s%s%s\n", p->realm,
		    broker_peer_state_name(p->state), expires, seen, rtt,
		    lapsed ? "its certificate expired; " : "",
		    bound || up ? "" :
		    "no valid agreement loaded (see event=agreement_refused); ",
		    up ? p->endpoint : p->reason);
		pthread_mutex_unlock(&p->lock);
	}
	return r;
}

int
broker_admin_handle(void *arg, int argc, char **argv, struct rt_buf *out)
{
	struct broker *b = arg;

	if (argc < 1)
		return 2;
	if (strcmp(argv[0], "status") == 0)
		return admin_status(b, out) == 0 ? 0 : 1;
	if (strcmp(argv[0], "peers") == 0)
		return admin_peers(b, out) == 0 ? 0 : 1;
	if (strcmp(argv[0], "subscriber") == 0)
		return broker_subscriber_admin(b->subscribers, &b->password_policy,
		    b->config->realm, argc, argv, out);
	if (strcmp(argv[0], "ledger") == 0 && argc == 2 && strcmp(argv[1], "status") == 0)
		return broker_usage_status(b, out) == 0 ? 0 : 1;
	(void)!rt_buf_printf(out, "unknown command '%.64s' (status, peers, subscriber, "
	    "ledger status)\n", argv[0]);
	return 2;
}
