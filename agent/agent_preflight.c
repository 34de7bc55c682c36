/*
 * `roamtrust-agent check -c FILE`: what `run` would refuse at start,
 * found without starting anything. The TLS configuration of a tls+tcp://
 * broker is made by the function `run` uses (agent_broker_tls); folders,
 * the spool's place and addresses are looked at, never created, opened,
 * bound or dialed.
 */
#include <string.h>

#include "agent.h"
#include "rt_net.h"

/* A literal ADDRESS:PORT the agent would bind (rt_net_addr_parse). */
static void
preflight_addr(struct rt_preflight *pf, const char *key, const char *addr)
{
	struct sockaddr_storage ss;
	int ipv6;

	if (rt_net_addr_parse(addr, &ss, &ipv6) != 0)
		rt_preflight_problem(pf, "agent", key, addr, "not a literal ADDRESS:PORT "
		    "(127.0.0.1:8080, [::1]:8080)");
}

void
agent_preflight(const struct agent_config *ac, struct rt_preflight *pf)
{
	nng_tls_config *cfg = NULL;
	struct rt_fault fault;
	char spool[1024] = "";

	rt_preflight_url(pf, "agent", "broker", ac->broker, RT_URL_TLS | RT_URL_IPC,
	    NULL);
	if (strncmp(ac->broker, "tls+tcp://", 10) == 0) {
		if (agent_broker_tls(ac, &cfg, &fault) != 0)
			rt_preflight_fault(pf, "agent", &fault);
		else
			nng_tls_config_free(cfg);
	}
	rt_preflight_dir(pf, "agent", "state_dir", ac->state_dir, 1);
	if (agent_usage_spool_path(ac, spool, sizeof(spool)) != 0)
		rt_preflight_problem(pf, "agent", "spool", ac->spool, "path too long");
	else
		rt_preflight_db(pf, "agent", *ac->spool != '\0' ? "spool" : "state_dir",
		    spool, ac->state_dir);
	rt_preflight_url(pf, "agent", "admin_socket", ac->admin_socket,
	    RT_URL_IPC | RT_URL_LISTEN, ac->state_dir);
	preflight_addr(pf, "listen", ac->listen);
	if (*ac->metrics_listen != '\0')
		preflight_addr(pf, "metrics_listen", ac->metrics_listen);
	rt_preflight_note(pf, "realm %s, broker %s, spool %s", ac->realm, ac->broker,
	    spool);
}
