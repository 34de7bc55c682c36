/*
 * The agent the agent's fuzz targets share (fuzz_agent_check.c, without
 * the HTTP layer; fuzz_agent_http.c, through it): made once, never
 * started (no broker, no spool, no admin socket: an authentication that
 * gets as far as the broker, and a report that gets as far as the spool,
 * are a 503 at once), its clock at T0, listening (if asked to) on
 * 127.0.0.1 and a port of the kernel's. Two roamers are registered:
 * alice on udp:192.0.2.10:5060, and bob on the flow of the configured
 * store-and-forward server, so the policy of registered requests runs as
 * well as the challenge.
 *
 * Each fuzz target is one .c linked alone (Makefile: $(BUILD)/fuzz/fuzz_%),
 * so what they share is here, as static functions; each includes this once.
 */
#ifndef FUZZ_AGENT_H
#define FUZZ_AGENT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "fuzz_agent_config.h"
#include "rt_codec.h"
#include "rt_log.h"

#define T0 1800000000L
#define NONCE_LIFETIME 300
#define HOME "home.example"
#define SAF_SRC "192.0.2.99"	/* the store-and-forward server */

static void
fuzz_agent_put_binding(struct agent *a, const char *flow, const char *aor,
    const char *service1, const char *service2)
{
	static struct agent_binding b;

	memset(&b, 0, sizeof(b));
	snprintf(b.flow, sizeof(b.flow), "%s", flow);
	snprintf(b.aor, sizeof(b.aor), "%s", aor);
	snprintf(b.contact, sizeof(b.contact), "sip:alice@192.0.2.10:5060");
	snprintf(b.home, sizeof(b.home), HOME);
	snprintf(b.path[0], sizeof(b.path[0]), "sip:edge.visited.example;lr");
	b.npath = 1;
	b.expires = T0 + 900;
	snprintf(b.assertion.id, sizeof(b.assertion.id),
	    "0190f3c2-7a1e-7c3d-9a4b-5e6f7a8b9c0d");
	snprintf(b.assertion.issuer, sizeof(b.assertion.issuer), HOME);
	snprintf(b.assertion.audience, sizeof(b.assertion.audience), "visited.example");
	snprintf(b.assertion.public_id, sizeof(b.assertion.public_id), "%s", aor);
	snprintf(b.assertion.services[b.assertion.nservices++], RT_SERVICE_MAX, "%s",
	    service1);
	if (service2 != NULL)
		snprintf(b.assertion.services[b.assertion.nservices++], RT_SERVICE_MAX,
		    "%s", service2);
	snprintf(b.assertion.agreement_ref, sizeof(b.assertion.agreement_ref),
	    "0190f3c2-0000-7000-8000-00000000a9e1");
	b.assertion.issued_at = T0;
	b.assertion.not_on_or_after = T0 + 600;
	if (agent_bindings_put(a->bindings, &b) != 0)
		abort();
}

/* The agent, with logs of prog off; abort() when it cannot be made. */
static struct agent *
fuzz_agent_new(const char *prog)
{
	static struct agent_config config;
	static char dir[] = "/tmp/rt-fuzz-agent-XXXXXX";
	struct agent *a = NULL;

	rt_log_init(prog, RT_LOG_STDERR, RT_LOG_NONE);
	rt_time_set_now(T0);
	if (mkdtemp(dir) == NULL)
		abort();
	fuzz_agent_config_base(&config, dir);
	config.local_realms[config.nlocal_realms++] = "local.example";
	config.algorithms[config.nalgorithms++] = RT_DIGEST_MD5;
	config.nonce_lifetime = NONCE_LIFETIME;
	config.store_and_forward[config.nstore_and_forward++] = SAF_SRC;
	config.proxy_uris[config.nproxy_uris++] = "proxy.visited.example";
	config.proxy_uris[config.nproxy_uris++] = "198.51.100.1:5070";
	config.security_server = "digest;q=0.1";
	config.max_bindings = 1024;
	config.max_bindings_per_flow = 32;
	config.fail_limit_source = 2;
	config.fail_limit_identity = 1;
	config.usage_pending_max = 1024;
	if (agent_new(&config, &a) != 0)
		abort();
	rmdir(dir);	/* not started: the state folder is never used */
	fuzz_agent_put_binding(a, "udp:192.0.2.10:5060", "sip:alice@home.example",
	    "voice", "message");
	fuzz_agent_put_binding(a, "udp:" SAF_SRC ":5060", "sip:bob@home.example",
	    "message", NULL);
	return a;
}

/* Empties the failure limiters, with small limits, and the table of
 * requests awaiting a usage report: each input starts from the same
 * state. Not while a request is in the agent. */
static void
fuzz_agent_reset(struct agent *a)
{
	agent_limiter_free(a->fail_source);
	agent_limiter_free(a->fail_identity);
	a->fail_source = a->fail_identity = NULL;
	if (agent_limiter_new(1, 60, 2, 300, &a->fail_source) != 0 ||
	    agent_limiter_new(1, 60, 1, 300, &a->fail_identity) != 0)
		abort();
	agent_pending_free(a->pending);
	a->pending = NULL;
	if (agent_pending_new(16, 300, &a->pending) != 0)
		abort();
}

/* Whether s[len] is lines of printable text, each ending in CRLF: what
 * the proxy adds to a request or a reply, never read as another header. */
static int
fuzz_agent_lines_ok(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '\r') {
			if (i + 1 >= len || s[i + 1] != '\n')
				return 0;
			i++;
		} else if (ch == '\n' || ch < 0x20 || ch == 0x7f)
			return 0;
	}
	return len == 0 || s[len - 1] == '\n';
}

#endif
