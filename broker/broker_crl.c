/*
 * Revocation at the broker: the CRL is fetched (rt_fetch, http/https/file)
 * at start and every crl_refresh, from each crl_url in turn. A CRL that is
 * newer than ours and signed by the federation CA is applied at once: the
 * trust store re-checks every cached peer certificate, peers it no longer
 * accepts go down and lose their connections, and a CRL we fetched is
 * pushed to the peers that are up (they verify it themselves). The last
 * good CRL is kept on disk so a restart does not wait for the network, but
 * only until its nextUpdate: past it, the policy decides (fail closed by
 * default: every peer is refused until a fresh CRL arrives).
 */
#include <stdio.h>
#include <string.h>

#include "broker.h"
#include "rt_fetch.h"
#include "rt_log.h"

static void
crl_push_done(void *arg, int err, const struct rt_msg_in *m)
{
	struct broker_peer *p = arg;

	if (err != 0 || m->type != RT_MSG_ACK)
		log_warn("event=crl_push_failed peer=%s reason=%s", p->realm,
		    err != 0 ? rt_errname(err) : rt_msg_name(m->type));
	else
		log_info("event=crl_pushed peer=%s", p->realm);
}

static void
crl_push_all(struct broker *b, X509_CRL *crl)
{
	struct rt_buf xml;

	rt_buf_init(&xml, RT_CRL_MAX * 2);
	if (rt_crl_push_encode(crl, &xml) != 0) {
		rt_buf_fini(&xml);
		return;
	}
	for (int i = 0; i < b->npeers; i++) {
		struct broker_peer *p = &b->peers[i];

		/* peers that are not up get it at their next hello, by fetching */
		if (broker_peer_call(p, &xml, 0, crl_push_done, p) != 0)
			log_debug("event=crl_push_skipped peer=%s", p->realm);
	}
	rt_buf_fini(&xml);
}

/* Takes down every peer whose certificate the trust store no longer accepts. */
static void
crl_cut_peers(struct broker *b)
{
	time_t now = rt_time_now();

	for (int i = 0; i < b->npeers; i++) {
		struct broker_peer *p = &b->peers[i];
		int r, up;

		pthread_mutex_lock(&p->lock);
		up = p->state == PEER_UP || p->state == PEER_HELLO;
		pthread_mutex_unlock(&p->lock);
		if (!up)
			continue;
		if ((r = rt_trust_realm_status(b->trust, p->realm, now, NULL)) != 0 &&
		    r != RT_ERR_CERT_UNKNOWN)
			broker_peer_down(p, "%s (CRL)", rt_strerror(r));
	}
	broker_listen_recheck(b, NULL);
}

int
broker_crl_apply(struct broker *b, X509_CRL *crl, const char *from_realm)
{
	time_t now = rt_time_now(), last = 0;
	long before = -1, after = -1;
	int r, had_agreements;

	(void)!rt_trust_crl_info(b->trust, &last, &before);
	if ((r = rt_trust_set_crl(b->trust, crl, now)) != 0) {
		log_warn("event=crl_refused source=%s reason=%s",
		    from_realm ? from_realm : "fetch", rt_errname(r));
		return r;
	}
	(void)!rt_trust_crl_info(b->trust, &last, &after);
	if (after == before && before != -1)
		return 1;	/* the same CRL again */
	log_info("event=crl_applied number=%ld source=%s", after,
	    from_realm ? from_realm : "fetch");
	pthread_mutex_lock(&b->lock);
	b->crl_stale_reported = 0;
	pthread_mutex_unlock(&b->lock);
	if (b->config->crl_cache != NULL && rt_crl_write(b->config->crl_cache, crl) != 0)
		log_warn("event=crl_cache_write_failed path=%s", b->config->crl_cache);
	had_agreements = broker_agreement_count(b) > 0;
	if (!had_agreements && broker_agreements_reload(b) != 0)
		log_warn("event=agreements_reload_failed");
	crl_cut_peers(b);
	if (from_realm == NULL)
		crl_push_all(b, crl);
	return 0;
}

void
broker_crl_check_stale(struct broker *b, time_t now)
{
	time_t next = rt_trust_crl_next_update(b->trust);
	int report;

	if (next == 0 || next >= now)
		return;
	pthread_mutex_lock(&b->lock);
	report = !b->crl_stale_reported;
	b->crl_stale_reported = 1;
	pthread_mutex_unlock(&b->lock);
	if (b->config->crl_fail_open) {
		if (report)
			log_warn("event=crl_stale policy=fail-open next_update=%ld",
			    (long)next);
		return;
	}
	if (report)
		log_err("event=crl_stale policy=fail-closed next_update=%ld "
		    "detail=\"refusing every peer until a fresh CRL\"", (long)next);
	for (int i = 0; i < b->npeers; i++) {
		struct broker_peer *p = &b->peers[i];
		int up;

		pthread_mutex_lock(&p->lock);
		up = p->state == PEER_UP;
		pthread_mutex_unlock(&p->lock);
		if (up)
			broker_peer_down(p, "CRL expired (past nextUpdate): fail closed");
	}
	broker_listen_recheck(b, NULL);
}

/* One round: the first URL that yields a CRL wins. */
static void
crl_fetch_round(struct broker *b)
{
	struct rt_fetch_opts opts = {5000, 15000, 0, NULL};

	for (int i = 0; i < b->config->ncrl_urls; i++) {
		X509_CRL *crl = NULL;
		int r;

		if ((r = rt_fetch_crl(b->config->crl_urls[i], &opts, &crl)) != 0) {
			rt_counter_inc(b->metrics.crl_fetch_failed);
			continue;
		}
		rt_counter_inc(b->metrics.crl_fetch_ok);
		r = broker_crl_apply(b, crl, NULL);
		X509_CRL_free(crl);
		if (r >= 0) {
			pthread_mutex_lock(&b->lock);
			b->crl_fetched_at = rt_time_now();
			pthread_mutex_unlock(&b->lock);
			return;
		}
	}
}

static void *
crl_thread_main(void *arg)
{
	struct broker *b = arg;

	/* the first round ran in broker_crl_start */
	for (;;) {
		struct timespec until;
		int stop;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += b->config->crl_refresh;
		pthread_mutex_lock(&b->lock);
		while (!b->stop && pthread_cond_timedwait(&b->cond, &b->lock, &until) == 0)
			;
		stop = b->stop;
		pthread_mutex_unlock(&b->lock);
		if (stop)
			return NULL;
		crl_fetch_round(b);
	}
}

int
broker_crl_start(struct broker *b)
{
	if (b->config->ncrl_urls == 0)
		return 0;
	/* before the peers dial: their hellos need a CRL to check against */
	crl_fetch_round(b);
	if (pthread_create(&b->crl_thread, NULL, crl_thread_main, b) != 0)
		return RT_ERR_INTERNAL;
	b->crl_started = 1;
	return 0;
}

void
broker_crl_stop(struct broker *b)
{
	if (!b->crl_started)
		return;
	pthread_join(b->crl_thread, NULL);
	b->crl_started = 0;
}
