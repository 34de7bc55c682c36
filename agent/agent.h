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
 * The proxy also reports usage to POST /v1/usage (a call answered or
 * ended, a MESSAGE delivered, a registration): the agent pairs the
 * reports with the requests it allowed and writes each UsageRecord to a
 * durable spool before it answers; a drainer forwards the spool to our
 * broker, at least once.
 *
 * Module split: agent.c (life cycle, metrics, admin), agent_config.c,
 * agent_preflight.c (`check`: what `run` would refuse at start),
 * agent_http.c (libmicrohttpd), agent_check.c (the policy), agent_auth.c
 * (digest and the broker round trip), agent_binding.c (bindings, rate
 * limits), agent_broker.c (the connection to our broker), agent_usage.c
 * (the usage API), agent_pending.c (requests awaiting their report),
 * agent_spool.c and agent_spool_drain.c (the spool, and its way to the
 * broker).
 */
#ifndef AGENT_H
#define AGENT_H

#include <nng/nng.h>
#include <nng/supplemental/tls/tls.h>
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
#include "rt_nng.h"
#include "rt_preflight.h"
#include "rt_sip.h"
#include "rt_store.h"

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
	const char *trust_domains[AGENT_LIST_MAX];
	int ntrust_domains;
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
	long max_bindings_per_flow;
	long max_expires;
	long fail_window;
	int fail_limit_source;
	int fail_limit_identity;
	long ban_time;
	int http_threads;
	int broker_contexts;
	const char *log_level;
	const char *log_dest;
	/* usage capture */
	const char *spool;		/* "": STATE_DIR/spool.db */
	long long spool_max_size;	/* bytes; 0: no cap */
	long spool_keep_sent;
	long max_call_duration;
	long usage_pending_time;
	long usage_pending_max;
	int usage_batch;
	long usage_timeout_ms;
	long usage_retry_max;
};

extern const struct rt_config_key agent_config_keys[];
int agent_config_load(const char *path, struct agent_config *ac, char *err,
    size_t errcap) RT_WUR;
void agent_config_fini(struct agent_config *ac);
/* Whether u's host, or host:port (5060 when u has no port), is one of our
 * proxies (proxy_uris), for the Route and digest uri checks. Scheme and
 * user are the caller's to check. */
int agent_config_is_proxy(const struct agent_config *ac, const struct rt_sip_uri *u);
/*
 * `check`: what `run` would refuse at start (TLS files for the broker,
 * folders, the spool's place, addresses), reported on pf; starts nothing
 * (agent_preflight.c).
 */
void agent_preflight(const struct agent_config *ac, struct rt_preflight *pf);

/* ---- bindings and rate limits (agent_binding.c) ---- */

/* One registration of a roamer: its key is (aor, contact, flow). */
struct agent_binding {
	char flow[AGENT_FLOW_MAX];	/* "udp:192.0.2.1:5060" */
	char aor[RT_URI_MAX];
	char contact[RT_URI_MAX];	/* "" for a REGISTER without Contact */
	char home[RT_REALM_MAX];
	struct rt_assertion assertion;
	time_t expires;			/* registration expiry */
	char path[AGENT_PATH_MAX][RT_URI_MAX];
	int npath;
	/* the REGISTER that made it, for its usage report */
	uint64_t registered_ms;
	uint64_t register_hash;		/* agent_usage_hash of its Call-ID, CSeq */
	/* registered under an RFC 3329 security agreement: every later
	 * request must carry our Security-Verify */
	int sec_agreed;
};

struct agent_bindings;

/* A table of at most max bindings, at most max_per_flow of them from any
 * one flow (so one flow cannot take the table; 0: no such cap, for an SBC
 * that sends every roamer on one flow). */
int agent_bindings_new(size_t max, size_t max_per_flow,
    struct agent_bindings **bp) RT_WUR;
void agent_bindings_free(struct agent_bindings *b);
/*
 * Adds or replaces the binding of (b->aor, b->contact, b->flow); others of
 * the flow stay. RT_ERR_TOO_BIG when the table is full, RT_ERR_DENIED when
 * b->flow holds max_per_flow bindings already (expired ones make room in
 * either case); a replace is never refused.
 */
int agent_bindings_put(struct agent_bindings *bs, const struct agent_binding *b) RT_WUR;
/*
 * Copies aor's binding on flow into out: the one of contact, or with
 * contact NULL, of aor's contacts on flow the one whose assertion and
 * registration last longest. 0 or RT_ERR_NOT_FOUND.
 */
int agent_bindings_get(struct agent_bindings *bs, const char *flow, const char *aor,
    const char *contact, struct agent_binding *out) RT_WUR;
/* Copies aor's binding on flow that the REGISTER of register_hash made
 * (and still holds): 0 or RT_ERR_NOT_FOUND. */
int agent_bindings_get_registered(struct agent_bindings *bs, const char *flow,
    const char *aor, uint64_t register_hash, struct agent_binding *out) RT_WUR;
/* Whether aor has a binding, and on which flow (flow_out may be NULL).
 * Walks the whole table: for requests no binding answers. */
int agent_bindings_has_aor(struct agent_bindings *bs, const char *aor, char *flow_out,
    size_t cap);
/* Removes aor's binding of contact on flow, or with contact NULL all of
 * aor's on flow; returns how many went. */
size_t agent_bindings_del(struct agent_bindings *bs, const char *flow, const char *aor,
    const char *contact);
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
/* The broker's answer: err, or the message (type, tree valid during the
 * call only). */
typedef void (*agent_broker_fn)(void *arg, int err, enum rt_msg_type type,
    xmlDocPtr doc);

int agent_broker_start(struct agent *a) RT_WUR;
/*
 * The TLS configuration of a tls+tcp:// broker connection: our cert and
 * key (mode 0600), broker_ca as the CA, our realm as the server name
 * (the broker shows its realm certificate, whatever host the URL names).
 * 0, or RT_ERR_* with the key at fault in fault (may be NULL).
 */
int agent_broker_tls(const struct agent_config *ac, nng_tls_config **cfgp,
    struct rt_fault *fault) RT_WUR;
void agent_broker_stop(struct agent *a);
/* Sends req to our broker; fn is called exactly once (err, or the answer). */
int agent_broker_auth(struct agent *a, const struct rt_auth_request *req,
    agent_auth_fn fn, void *arg) RT_WUR;
/* Sends the message xml (copied) to our broker; fn is called exactly once,
 * from another thread, within timeout_ms (queueing included). */
int agent_broker_call(struct agent *a, const struct rt_buf *xml, long timeout_ms,
    agent_broker_fn fn, void *arg) RT_WUR;

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

/* Whether the query's transport, source address and port name a flow;
 * 0 and the port in *portp, or RT_ERR_BAD_INPUT. */
int agent_flow_parse(const char *proto, const char *src, const char *sport,
    int *portp) RT_WUR;
/*
 * The AOR of msg's To/From (id) value, as "sip:user@host" with the host
 * lowercased, and the host as the realm (and *hostp, may be NULL, as
 * written). RT_ERR_BAD_INPUT when it is not one.
 */
int agent_header_aor(const struct rt_sip_msg *msg, enum rt_sip_hdr id, char *aor,
    size_t cap, char *realm, size_t realmcap, struct rt_sip_str *hostp) RT_WUR;
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
/*
 * RFC 3329: whether c's Security-Verify repeats our Security-Server, when
 * one is required (the client negotiated, or it sends one). Always true
 * when we offer none (security_server empty) or nothing is required.
 */
int agent_auth_security_ok(const struct agent_check *c, int required);
/* After the home realm vouched for c's subscriber: finish the verdict. */
void agent_policy_authenticated(struct agent_check *c, const struct rt_assertion *a);

/* ---- usage capture ---- */

/* Who a billed request was allowed for: what a UsageRecord needs of the
 * registration it came by. */
struct agent_usage_party {
	uint64_t at_ms;			/* when the event's identity was fixed */
	char flow[AGENT_FLOW_MAX];
	char subscriber[RT_URI_MAX];	/* the asserted public identity */
	char home[RT_REALM_MAX];
	char assertion_ref[RT_ID_MAX];
	char agreement_ref[RT_ID_MAX];
};

/* FNV-1a over len bytes, from h (AGENT_FNV_INIT to start): hash tables
 * and the identity of a REGISTER, not security. */
#define AGENT_FNV_INIT 0xcbf29ce484222325ULL

static inline uint64_t
agent_fnv1a(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

/* Requests allowed and not yet reported (agent_pending.c): a bounded
 * table, each entry kept for lifetime seconds. Thread-safe. */
struct agent_pending;

#define AGENT_PENDING_KEY_MAX (RT_TEXT_MAX + 16)

int agent_pending_new(size_t max, long lifetime, struct agent_pending **pp) RT_WUR;
void agent_pending_free(struct agent_pending *p);
/* Remembers key at now, or refreshes it (keeping the first party's
 * at_ms: a retransmission is the same event). RT_ERR_TOO_BIG when full. */
int agent_pending_put(struct agent_pending *p, const char *key,
    const struct agent_usage_party *party, time_t now) RT_WUR;
/* Copies the live entry of key: 0 or RT_ERR_NOT_FOUND. */
int agent_pending_get(struct agent_pending *p, const char *key, time_t now,
    struct agent_usage_party *out) RT_WUR;
size_t agent_pending_count(struct agent_pending *p);

/* The spool (agent_spool.c): open calls and records, durable. */
struct agent_spool;

enum agent_spool_kind {
	AGENT_SPOOL_OPEN,	/* a call answered: open it */
	AGENT_SPOOL_CLOSE,	/* a call ended: its record, in place of it */
	AGENT_SPOOL_RECORD	/* a record of its own (message, registration) */
};

enum agent_spool_outcome {
	AGENT_SPOOL_STORED,	/* written now */
	AGENT_SPOOL_REPEAT,	/* written before: nothing new */
	AGENT_SPOOL_NONE	/* nothing to do (no such open call) */
};

/* One durable change; kept alive by the caller until done is called (from
 * the spool store's notifier thread, after the commit: err 0 means on
 * disk). */
struct agent_spool_op {
	struct rt_store_op op;		/* the spool's */
	struct agent_spool *spool;	/* the spool's */
	enum agent_spool_kind kind;
	char call_id[RT_TEXT_MAX];	/* OPEN, CLOSE */
	time_t at;			/* OPEN: start; CLOSE: end */
	struct agent_usage_party party;	/* OPEN */
	struct rt_usage_record record;	/* RECORD (id made by the spool) */
	uint64_t event_at;		/* RECORD: with event_key, the event */
	char event_key[RT_TEXT_MAX + 32];
	enum agent_spool_outcome outcome;	/* out */
	int delta_pending, delta_open;	/* the spool's */
	void (*done)(struct agent_spool_op *op, int err);
	void *arg;
};

struct agent_spool_stats {
	int64_t pending;	/* records waiting for the broker */
	int64_t sent;		/* records the broker stored, kept for a while */
	int64_t quarantined;	/* records the broker rejected, kept */
	int64_t open_calls;
};

int agent_spool_open(const char *path, const char *visited, long long max_size,
    long max_call_duration, struct agent_spool **sp) RT_WUR;
/* Writes what was submitted, then closes. NULL-safe. */
void agent_spool_close(struct agent_spool *s);
/* Queues op; never fails (op->done tells). */
void agent_spool_submit(struct agent_spool *s, struct agent_spool_op *op);
void agent_spool_stats(const struct agent_spool *s, struct agent_spool_stats *st);
const char *agent_spool_path(const struct agent_spool *s);
/* The store underneath (tests, benchmarks). */
struct rt_store *agent_spool_store(struct agent_spool *s);
/* Up to max pending records, oldest first, and their count. */
int agent_spool_pending(struct agent_spool *s, struct rt_usage_record *out,
    size_t max, size_t *np) RT_WUR;
/* After the broker's answer to the n records: the rejected ones (by id)
 * are quarantined with their reason, the others marked sent at now; how
 * many of each left "pending" (a record settled before counts in none). */
int agent_spool_settle(struct agent_spool *s, const struct rt_usage_record *recs,
    size_t n, const struct rt_usage_reject *rejected, size_t nrejected,
    time_t now, size_t *sentp, size_t *quarantinedp) RT_WUR;
/* Closes the calls open for more than max_call_duration at now (end =
 * start + max, flag max-duration); forgets calls closed before
 * calls_before and drops sent records settled before sent_before. */
int agent_spool_sweep(struct agent_spool *s, time_t now, time_t calls_before,
    time_t sent_before, size_t *closedp) RT_WUR;
/* Quarantined records back to pending (after the cause was fixed). */
int agent_spool_requeue(struct agent_spool *s, size_t *np) RT_WUR;
/* Lines for the admin: the counts, then up to max quarantined records. */
int agent_spool_report(struct agent_spool *s, size_t max, struct rt_buf *out) RT_WUR;

/* One report of the proxy (agent_usage.c): POST /v1/usage. */
enum agent_usage_event {
	AGENT_USAGE_START,
	AGENT_USAGE_STOP,
	AGENT_USAGE_MESSAGE,
	AGENT_USAGE_REGISTER,
	AGENT_USAGE_EVENTS
};

/* How a report was answered (metrics label). */
enum agent_usage_result {
	AGENT_USAGE_STORED,
	AGENT_USAGE_REPEAT,
	AGENT_USAGE_IGNORED,
	AGENT_USAGE_BAD_REQUEST,
	AGENT_USAGE_TOO_BIG,
	AGENT_USAGE_UNAVAILABLE,
	AGENT_USAGE_FAILED,
	AGENT_USAGE_RESULTS
};

struct agent_usage;
typedef void (*agent_usage_done_fn)(struct agent_usage *u);

struct agent_usage {
	struct agent *agent;
	int event;			/* enum agent_usage_event, or -1 */
	char flow[AGENT_FLOW_MAX];
	char *raw;			/* the SIP message (owned) */
	size_t len;
	struct rt_sip_msg msg;
	int status;			/* the answer: HTTP status */
	enum agent_usage_result result;
	char answer[96];		/* and body */
	agent_usage_done_fn done;	/* for an answer that comes later */
	void *arg;
	uint64_t started_ns;
	struct agent_spool_op op;
};

/* A report of event (the query's words, any of them NULL) with the SIP
 * message raw (copied). RT_ERR_NOMEM only: the rest is the answer's. */
int agent_usage_new(struct agent *a, const char *event, const char *proto,
    const char *src, const char *sport, const char *raw, size_t len,
    struct agent_usage **up) RT_WUR;
void agent_usage_free(struct agent_usage *u);
/* Answers: 0 when the answer (status, answer) is ready, 1 when it will be
 * (u->done(u) from the spool's thread, once stored or not). */
int agent_usage_run(struct agent_usage *u);
/* From the policy: c was allowed for binding b; an INVITE or MESSAGE is
 * remembered for its report. 0, RT_ERR_TOO_BIG (table full) or
 * RT_ERR_BAD_INPUT (a Call-ID too long to bill). */
int agent_usage_expect(struct agent_check *c, const struct agent_binding *b) RT_WUR;
/* A hash of a request's Call-ID and CSeq number (FNV-1a). */
uint64_t agent_usage_hash(struct rt_sip_str call_id, long cseq);

/* The spool's life (agent_spool_drain.c). open: the spool alone (tests);
 * start: the spool, its sweeper and drainer thread. */
int agent_usage_open(struct agent *a) RT_WUR;
int agent_usage_start(struct agent *a) RT_WUR;
/* The spool's file: spool, or STATE_DIR/spool.db. RT_ERR_TOO_BIG over cap. */
int agent_usage_spool_path(const struct agent_config *ac, char *out, size_t cap) RT_WUR;
/* Tells the thread to stop (it ends once a submit in flight is answered:
 * stopping the broker answers it at once). */
void agent_usage_stopping(struct agent *a);
/* Stops the thread and waits for it, then closes the spool: reports
 * submitted are written and answered, new ones get 503. */
void agent_usage_stop(struct agent *a);
/* One round of the drainer: up to usage_batch records to the broker and
 * settled with its answer; *settledp how many left the queue. 0, or the
 * error that calls for a pause (broker down, refused, timed out). */
int agent_usage_drain(struct agent *a, size_t *settledp) RT_WUR;
/* The sweeper's round at now. */
int agent_usage_sweep(struct agent *a, time_t now, size_t *closedp) RT_WUR;
/* Wakes the drainer: records are waiting. */
void agent_usage_kick(struct agent *a);

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
	/* usage */
	struct rt_counter *usage_answers[AGENT_USAGE_EVENTS + 1][AGENT_USAGE_RESULTS];
	struct rt_counter *records_stored;
	struct rt_counter *records_drained;
	struct rt_counter *records_quarantined;
	struct rt_counter *calls_max_duration;
	struct rt_counter *drain_failures;
	struct rt_gauge *spool_pending;
	struct rt_gauge *spool_sent;
	struct rt_gauge *spool_quarantined;
	struct rt_gauge *open_calls;
	struct rt_gauge *pending_requests;
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
	/* why the dialer fails: nng's counters as last seen, read once a
	 * second on bwatch; the reason logged last, -1 since connected
	 * (atomic: the pipe callback resets it) */
	nng_aio *bwatch;
	uint64_t bdial_seen[RT_NNG_DIAL_REASONS];
	int bdial_logged;
	/* HTTP */
	struct MHD_Daemon *httpd;
	int http_port;
	/* usage */
	struct agent_pending *pending;
	pthread_rwlock_t spool_lock;	/* write-held to open and close spool */
	struct agent_spool *spool;
	pthread_t drainer;
	int drainer_started;
	pthread_mutex_t drain_lock;	/* guards the three below */
	pthread_cond_t drain_cond;
	int drain_stopping;
	int drain_kicked;
	size_t drain_limit;		/* the drainer's: records per submit now */
};

int agent_new(struct agent_config *ac, struct agent **ap) RT_WUR;
int agent_start(struct agent *a) RT_WUR;
void agent_stop(struct agent *a);
void agent_free(struct agent *a);
/* Counts a verdict in the metrics. */
void agent_count(struct agent *a, int status, const char *reason, uint64_t ns);
/* Counts a usage answer. */
void agent_usage_count(struct agent *a, int event, enum agent_usage_result result);
/* "stored", "ignored", ... and "start", "stop", ... */
const char *agent_usage_result_name(enum agent_usage_result result);
const char *agent_usage_event_name(int event);
int agent_admin_handle(void *arg, int argc, char **argv, struct rt_buf *out);

#endif
