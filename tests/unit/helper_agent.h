/*
 * Shared by the agent unit tests (test_agent, test_agent_policy): an agent
 * made from a small agent.conf in a fresh folder (so the config loader is
 * exercised too) and never started: no HTTP, no admin socket, no broker,
 * so an authentication that gets as far as the broker is answered 503.
 * The clock is fixed at AGENT_T0 while a test runs. Requests are built
 * from their parts with a correct Content-Length, run as checks from a
 * given source, and their verdicts compared byte for byte; digest answers
 * are computed for the nonce of the last challenge; registered roamers
 * are bindings put straight into the table.
 */
#ifndef HELPER_AGENT_H
#define HELPER_AGENT_H

#include <stddef.h>
#include <time.h>

#include "agent.h"

#define AGENT_T0 1800000000L	/* the fixed "now" of every test */

/* what the fixture's agent.conf says */
#define VISITED "visited.example"
#define HOME "home.example"
#define LOCAL2 "local.example"		/* a second local realm */
#define ALICE "sip:alice@home.example"
#define BOB_HOME "sip:bob@home.example"
#define CALLEE "sip:carol@visited.example"
#define TRUSTED_PEER "partner.example"	/* in trust_domains */
#define UA_IP "192.0.2.10"
#define UA_PORT 5060
#define UA_FLOW "udp:192.0.2.10:5060"
#define SAF_IP "192.0.2.99"		/* a store-and-forward server */
#define PROXY_HOST "proxy.visited.example"
#define PROXY_IP "198.51.100.1"		/* listed as 198.51.100.1:5070 */
#define SEC_SERVER "digest;q=0.1"
#define RETRY_AFTER 7
#define NONCE_LIFETIME 300
#define DATE_WINDOW 300
#define FAIL_LIMIT_SOURCE 4
#define FAIL_LIMIT_IDENTITY 3
#define FAIL_WINDOW 60
#define BAN_TIME 300
#define MAX_BINDINGS 16
#define MAX_BINDINGS_PER_FLOW 4
#define MAX_EXPIRES 3600
#define AUTH_TIMEOUT 1
#define PASSWORD "Roam-Wide-2026!"

struct agent_fixture {
	char dir[64];
	char conf[128];
	char state[128];
	struct agent_config config;
	struct agent *agent;
	struct agent_check *check;	/* the last check run (owned) */
	char nonce[RT_NONCE_LEN + 1];	/* of the last challenge, or "" */
};

/* cmocka setup and teardown: *state is a struct agent_fixture. Teardown
 * also puts the real clock back. */
int agent_fixture_setup(void **state);
int agent_fixture_teardown(void **state);

/* A SIP request from its parts; NULL fields take the defaults. */
struct sip_req {
	const char *method;	/* "REGISTER" */
	const char *ruri;	/* sip:home.example for REGISTER, else CALLEE */
	const char *from;	/* ALICE */
	const char *to;		/* ALICE for REGISTER, else CALLEE */
	const char *contact;	/* REGISTER's Contact value ("" for none):
				 * <sip:alice@UA_IP:5060>;expires=600 */
	const char *extra;	/* header lines, each ending in CRLF */
	const char *body;	/* "" */
};

/* Writes req as a SIP request (CRLF, Content-Length right) into out. */
size_t agent_sip_text(const struct sip_req *req, char *out, size_t cap);
/* Runs raw from proto:src:port as a check, which must finish at once;
 * keeps the nonce of a challenge in fx->nonce. */
struct agent_check *agent_run_raw(struct agent_fixture *fx, const char *proto,
    const char *src, int port, const char *raw, size_t len);
/* The same for req over udp. */
struct agent_check *agent_run(struct agent_fixture *fx, const char *src, int port,
    const struct sip_req *req);
/* Keeps the nonce of fx->check's challenge in fx->nonce ("" if none). */
void agent_keep_nonce(struct agent_fixture *fx);
/* Fails the test unless c's verdict is status with exactly body. */
void agent_expect(const struct agent_check *c, int status, const char *body);
/* The challenge the fixture's agent makes (both algorithms, SHA-256 first)
 * with the nonce of fx's last check, into out. */
void agent_challenge_text(const struct agent_fixture *fx, int proxy, int stale,
    int security, char *out, size_t cap);
/*
 * An "Authorization: Digest ..." line (hdr names the header) for user at
 * home.example with nonce, digest uri and method, qop=auth and nc (qop
 * left out when nc is NULL), the response computed with PASSWORD.
 */
void agent_credentials(const char *hdr, enum rt_digest_alg alg, const char *user,
    const char *nonce, const char *uri, const char *method, const char *nc,
    char *out, size_t cap);
/* A registered roamer: a binding of aor on flow, assertion from
 * home.example to us for services ("voice,message"; "" for none), valid
 * until not_on_or_after, the registration until expires. */
void agent_put_binding(struct agent_fixture *fx, const char *flow, const char *aor,
    const char *services, time_t not_on_or_after, time_t expires);
/* t as an RFC 3261 Date value. */
void agent_sip_date(time_t t, char *out, size_t cap);

#endif
