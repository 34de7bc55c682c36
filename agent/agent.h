/*
 * agent: roamtrust-agent, the sidecar beside one SIP proxy.
 *
 * The proxy sends every SIP request it receives (raw, with transport and
 * source address) to POST /v1/check and does what the HTTP status says:
 * 200 allow (the body: header lines to add), 401/407 challenge (the body:
 * reason phrase, then the WWW-/Proxy-Authenticate lines), 403/4xx/503
 * reject (the body: reason phrase, then header lines such as Retry-After).
 * Anything else, or no answer, and the proxy fails closed.
 *
 * Roaming subscribers (a realm that is not ours) are challenged with
 * digest; the agent makes the nonces, and the subscriber's HOME broker
 * verifies the response (through our broker) and answers with a signed
 * assertion. The agent keeps it per registration binding (AOR, contact,
 * source flow, route set) and uses it for the requests that follow:
 * asserted identity, services, Date freshness, strict routing, security
 * agreement; and it refuses, rather than allows, whenever it cannot know
 * (home unreachable: 503).
 *
 * Module split: agent.c (life cycle, metrics, admin), agent_config.c,
 * agent_http.c (libmicrohttpd), agent_check.c (the policy), agent_auth.c
 * (digest and the broker round trip), agent_binding.c (bindings, rate
 * limits), agent_broker.c (the connection to our broker).
 */
#ifndef AGENT_H
#define AGENT_H

#include <nng/nng.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "rt_admin.h"
#include "rt_buf.h"
#include "rt_config.h"
#include "rt_digest.h"
#include "rt_doc.h"
#include "rt_err.h"
#include "rt_metrics.h"
#include "rt_msg.h"
#include "rt_sip.h"

#define AGENT_LIST_MAX 32
#define AGENT_FLOW_MAX 96
#define AGENT_PATH_MAX 4

/* ---- configuration (agent_config.c) ---- */

struct agent_config {
	struct rt_config *cfg;		/* owns the strings */
	const char *path;
	const char *realm;
	const char *local_realms[AGENT_LIST_MAX];
	int nlocal_realms;
	const char *broker;
	const char *broker_ca;
	const char *cert;
	const char *key;
	const char *listen;
	const char *metrics_listen;
	const char *state_dir;
	const char *admin_socket;
	char admin_default[600];
	enum rt_digest_alg algorithms[2];
	int nalgorithms;
	long nonce_lifetime;
	long nonce_rotate;
	long auth_timeout_ms;
	long retry_after;
	long date_window;
	const char *store_and_forward[AGENT_LIST_MAX];
	int nstore_and_forward;
	const char *proxy_uris[AGENT_LIST_MAX];
	int nproxy_uris;
	const char *security_server;	/* "" = RFC 3329 not offered */
	long max_bindings;
	long max_expires;
	long fail_window;
	int fail_limit_source;
	int fail_limit_identity;
	long ban_time;
	int http_threads;
	int broker_contexts;
	const char *log_level;
	const char *log_dest;
};

extern const struct rt_config_key agent_config_keys[];
int agent_config_load(const char *path, struct agent_config *ac, char *err,
    size_t errcap) RT_WUR;
void agent_config_fini(struct agent_config *ac);

/* ---- bindings and rate limits (agent_binding.c) ---- */

struct agent_binding {
	char flow[AGENT_FLOW_MAX];	/* "udp:192.0.2.1:5060" */
	char aor[RT_URI_MAX];
	char contact[RT_URI_MAX];
	char home[RT_REALM_MAX];
	struct rt_assertion assertion;
	time_t expires;			/* registration expiry */
	char path[AGENT_PATH_MAX][RT_URI_MAX];
	int npath;
};

struct agent_bindings;

int agent_bindings_new(size_t max, struct agent_bindings **bp) RT_WUR;
void agent_bindings_free(struct agent_bindings *b);
/* Adds or replaces the binding of b->flow. RT_ERR_TOO_BIG when full. */
int agent_bindings_put(struct agent_bindings *bs, const struct agent_binding *b) RT_WUR;
/* Copies the binding of flow into out: 0 or RT_ERR_NOT_FOUND. */
int agent_bindings_get(struct agent_bindings *bs, const char *flow,
    struct agent_binding *out) RT_WUR;
/* Whether aor has a binding, and on which flow (flow_out may be NULL). */
int agent_bindings_has_aor(struct agent_bindings *bs, const char *aor, char *flow_out,
    size_t cap);
void agent_bindings_del(struct agent_bindings *bs, const char *flow);
/* Drops bindings whose registration expired before now; returns how many. */
size_t agent_bindings_expire(struct agent_bindings *bs, time_t now);
size_t agent_bindings_count(struct agent_bindings *bs);

/* Failed authentications by key (a source address, an identity). */
struct agent_limiter;

int agent_limiter_new(size_t max_keys, long window, int limit, long ban,
    struct agent_limiter **lp) RT_WUR;
void agent_limiter_free(struct agent_limiter *l);
/* Whether key is banned at now. */
int agent_limiter_banned(struct agent_limiter *l, const char *key, time_t now);
/* Counts a failure; returns 1 when it just got key banned. */
int agent_limiter_fail(struct agent_limiter *l, const char *key, time_t now);
void agent_limiter_ok(struct agent_limiter *l, const char *key);

/* ---- the connection to our broker (agent_broker.c) ---- */

struct agent;
typedef void (*agent_auth_fn)(void *arg, int err, const struct rt_auth_response *resp);

int agent_broker_start(struct agent *a) RT_WUR;
void agent_broker_stop(struct agent *a);
/* Sends req to our broker; fn is called exactly once (err, or the answer). */
int agent_broker_auth(struct agent *a, const struct rt_auth_request *req,
    agent_auth_fn fn, void *arg) RT_WUR;

/* ---- one check (agent_check.c, agent_auth.c) ---- */

struct agent_check;
typedef void (*agent_done_fn)(struct agent_check *c);

struct agent_check {
	struct agent *agent;
	char proto[8];
	char src[64];
	int sport;
	char flow[AGENT_FLOW_MAX];
	char *raw;			/* the SIP request (owned) */
	size_t len;
	struct rt_sip_msg msg;
	int status;			/* the verdict */
	struct rt_buf body;
	const char *reason;		/* metrics label */
	agent_done_fn done;		/* for a verdict that comes later */
	void *arg;
	uint64_t started_ns;
	/* state of an authentication in flight */
	struct rt_digest_creds creds;
	char aor[RT_URI_MAX];
	char home[RT_REALM_MAX];
	int is_register;
	int deregister;
	long expires;
};

/* Makes a check of raw (copied) from proto:src:sport. */
int agent_check_new(struct agent *a, const char *proto, const char *src, int sport,
    const char *raw, size_t len, struct agent_check **cp) RT_WUR;
void agent_check_free(struct agent_check *c);
/*
 * Decides. Returns 0 when the verdict (c->status, c->body) is ready, or 1
 * when it will be: then c->done(c) is called from another thread.
 */
int agent_check_run(struct agent_check *c);
/* Sets the verdict: status, reason label, and body text (printf). */
void agent_verdict(struct agent_check *c, int status, const char *reason,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Ends a check whose verdict came later (calls c->done). */
void agent_check_finish(struct agent_check *c);

/* Authentication (agent_auth.c): challenge, or forward the response. */
void agent_auth_challenge(struct agent_check *c, int stale, const char *why);
/*
 * Authenticates c with the credentials in its cred_hdr headers
 * (Authorization or Proxy-Authorization) for realm c->home, challenging
 * when there are none. 0 = verdict now, 1 = later (through the home realm).
 */
int agent_auth_start(struct agent_check *c, enum rt_sip_hdr cred_hdr);
/* After the home realm vouched for c's subscriber: finish the verdict. */
void agent_policy_authenticated(struct agent_check *c, const struct rt_assertion *a);

/* ---- the HTTP API (agent_http.c) ---- */

int agent_http_start(struct agent *a) RT_WUR;
void agent_http_stop(struct agent *a);

/* ---- the agent (agent.c) ---- */

#define AGENT_REASONS_MAX 64

/* A counter per (status, reason) seen, registered on first use. */
struct agent_reason_counter {
	int status;
	const char *reason;		/* a string literal: compared by address */
	struct rt_counter *counter;
};

struct agent_metrics {
	struct rt_metrics *registry;
	pthread_mutex_t reasons_lock;	/* guards adding to reasons */
	struct agent_reason_counter reasons[AGENT_REASONS_MAX];
	int nreasons;			/* read without the lock: entries are final */
	struct rt_histogram *latency;
	struct rt_histogram *broker_rtt;
	struct rt_gauge *bindings;
	struct rt_counter *pai_stripped;
};

struct agent {
	struct agent_config *config;
	struct rt_nonce_ctx *nonces;
	struct agent_bindings *bindings;
	struct agent_limiter *fail_source;
	struct agent_limiter *fail_identity;
	struct agent_metrics metrics;
	struct rt_admin *admin;
	time_t started_at;
	/* broker connection */
	nng_socket bsock;
	nng_dialer bdialer;
	struct agent_broker_slot *bslots;
	int nbslots;
	pthread_mutex_t block;		/* guards the broker queue */
	int bstopping;
	struct agent_broker_req *bqueue_head, *bqueue_tail;
	size_t bqueued;
	/* HTTP */
	struct MHD_Daemon *httpd;
	int http_port;
};

int agent_new(struct agent_config *ac, struct agent **ap) RT_WUR;
int agent_start(struct agent *a) RT_WUR;
void agent_stop(struct agent *a);
void agent_free(struct agent *a);
/* Counts a verdict in the metrics. */
void agent_count(struct agent *a, int status, const char *reason, uint64_t ns);
int agent_admin_handle(void *arg, int argc, char **argv, struct rt_buf *out);

#endif
