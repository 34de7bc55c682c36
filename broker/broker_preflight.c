/*
 * `roamtrust-broker check -c FILE`: what `run` would refuse at start,
 * found without starting anything. The identity, the trust store, the TLS
 * configuration and the agreements are loaded by the functions `run` uses
 * (broker_identity.c, broker_agreement.c); folders, databases and URLs are
 * looked at, never created, opened or dialed.
 *
 * Beyond `run`: the certificate must chain to ca (peers refuse it
 * otherwise), and at least one agreement must load (no peer comes up
 * without one). Agreements are checked against the cached CRL when there
 * is a fresh one; without it, revocation is left to `run`'s first fetch.
 */
#include <string.h>

#include "broker.h"
#include "rt_net.h"

/* The certificate against the CA (and the cached CRL, if any). */
static void
preflight_chain(const struct broker_config *bc, const struct rt_signer *signer,
    struct rt_trust *trust, struct rt_preflight *pf)
{
	char realm[RT_REALM_MAX];
	int r;

	if ((r = rt_trust_verify_cert(trust, signer->cert, NULL, rt_time_now(),
	    realm)) != 0)
		rt_preflight_problem(pf, "broker", "cert", bc->cert, "%s (ca %s): "
		    "peers will refuse it", rt_strerror(r), bc->ca);
}

/* The cached CRL: `run` starts without a usable one; the operator should
 * hear why it was not used. */
static void
preflight_crl(const struct broker_config *bc, struct rt_trust *trust,
    struct rt_preflight *pf)
{
	int r = broker_crl_cache_load(bc, trust);

	if (r == RT_ERR_NOT_FOUND)
		rt_preflight_note(pf, "no cached CRL (%s): revocation not checked",
		    bc->crl_cache);
	else if (r != 0)
		rt_preflight_warn(pf, "broker", "state_dir", bc->crl_cache,
		    "the cached CRL is not used: %s (`run` fetches a new one)",
		    rt_strerror(r));
}

/* The TLS configurations nng gets (mbedTLS parses the files again). */
static void
preflight_tls(const struct broker_config *bc, struct rt_preflight *pf)
{
	nng_tls_config *cfg = NULL;
	struct rt_fault fault;

	if (broker_tls_config(bc, bc->ca, NULL, &cfg, &fault) != 0) {
		rt_preflight_fault(pf, "broker", &fault);
		return;
	}
	nng_tls_config_free(cfg);
	cfg = NULL;
	if (strncmp(bc->agent_listen, "tls+tcp://", 10) != 0)
		return;
	if (broker_tls_config(bc, bc->agent_ca, NULL, &cfg, &fault) != 0)
		rt_preflight_fault(pf, "broker", &fault);
	else
		nng_tls_config_free(cfg);
}

/* The agreements `run` would load: a refused one is a warning, none a
 * problem. Returns how many load. */
static size_t
preflight_agreements(const struct broker_config *bc, struct rt_trust *trust,
    struct rt_preflight *pf)
{
	struct broker_agreements agreements;
	int warnings = pf->warnings;
	size_t n;

	if (broker_agreements_load(bc->agreements_dir, trust, bc->realm,
	    rt_time_now(), &agreements, pf) != 0) {
		rt_preflight_problem(pf, "broker", "agreements", bc->agreements_dir,
		    "not a folder that can be read");
		return 0;
	}
	n = agreements.n;
	broker_agreements_fini(&agreements);
	if (n == 0)
		rt_preflight_problem(pf, "broker", "agreements", bc->agreements_dir,
		    "no agreement would load (%d refused): no peer can come up",
		    pf->warnings - warnings);
	return n;
}

/* Folders and databases (made by `run` at start: state_dir only). */
static void
preflight_files(const struct broker_config *bc, struct rt_preflight *pf)
{
	rt_preflight_dir(pf, "broker", "state_dir", bc->state_dir, 1);
	rt_preflight_db(pf, "broker", "subscribers", bc->subscribers_db, bc->state_dir);
	rt_preflight_db(pf, "broker", "ledger", bc->ledger_db, bc->state_dir);
}

static void
preflight_urls(const struct broker_config *bc, struct rt_preflight *pf)
{
	struct sockaddr_storage ss;
	int ipv6;

	rt_preflight_url(pf, "broker", "listen", bc->listen,
	    RT_URL_TLS | RT_URL_LISTEN, bc->state_dir);
	if (strcmp(bc->endpoint, bc->listen) != 0)
		rt_preflight_url(pf, "broker", "endpoint", bc->endpoint, RT_URL_TLS,
		    bc->state_dir);
	rt_preflight_url(pf, "broker", "agent_listen", bc->agent_listen,
	    RT_URL_TLS | RT_URL_IPC | RT_URL_LISTEN, bc->state_dir);
	rt_preflight_url(pf, "broker", "admin_socket", bc->admin_socket,
	    RT_URL_IPC | RT_URL_LISTEN, bc->state_dir);
	if (*bc->metrics_listen != '\0' &&
	    rt_net_addr_parse(bc->metrics_listen, &ss, &ipv6) != 0)
		rt_preflight_problem(pf, "broker", "metrics_listen", bc->metrics_listen,
		    "not a literal ADDRESS:PORT");
	for (int i = 0; i < bc->npeers; i++) {
		char section[RT_REALM_MAX + 8];

		snprintf(section, sizeof(section), "peer.%s", bc->peers[i].realm);
		rt_preflight_url(pf, section, "endpoint", bc->peers[i].endpoint,
		    RT_URL_TLS, NULL);
	}
}

void
broker_preflight(const struct broker_config *bc, struct rt_preflight *pf)
{
	struct rt_signer *signer = NULL;
	struct rt_trust *trust = NULL;
	struct rt_fault fault;
	long agreements = -1;	/* not checked */
	int r;

	if ((r = rt_xml_init()) != 0)
		rt_preflight_problem(pf, "broker", "agreements", bc->agreements_dir,
		    "cannot be read: the XML library failed to start (%s)",
		    rt_strerror(r));
	if (broker_identity_load(bc, &signer, &fault) != 0)
		rt_preflight_fault(pf, "broker", &fault);
	/* no CRL required: `run` starts without one and fetches it */
	if (broker_trust_load(bc, 0, &trust, &fault) != 0)
		rt_preflight_fault(pf, "broker", &fault);
	else
		preflight_crl(bc, trust, pf);
	if (signer != NULL && trust != NULL) {
		preflight_chain(bc, signer, trust, pf);
		preflight_tls(bc, pf);
	}
	if (trust != NULL && r == 0)
		agreements = (long)preflight_agreements(bc, trust, pf);
	preflight_files(bc, pf);
	preflight_urls(bc, pf);
	if (agreements < 0)
		rt_preflight_note(pf, "realm %s, %d peer%s, agreements not checked "
		    "(no usable ca)", bc->realm, bc->npeers, bc->npeers == 1 ? "" : "s");
	else
		rt_preflight_note(pf, "realm %s, %d peer%s, %ld agreement%s would load",
		    bc->realm, bc->npeers, bc->npeers == 1 ? "" : "s", agreements,
		    agreements == 1 ? "" : "s");
	rt_signer_free(signer);
	rt_trust_free(trust);
}
