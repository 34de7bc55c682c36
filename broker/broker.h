/*
 * broker: roamtrust-broker, one per member operator.
 *
 * A broker listens on nng tls+tcp (mutual TLS against the federation CA)
 * and dials every configured peer. Everything between brokers is a signed
 * frame (rt_frame): the receiver takes the sender from the signer's
 * certificate, and a peer is "up" only after a Hello exchange proved its
 * certificate (chain, CRL), its RealmDescriptor and at least one valid
 * roaming agreement with us. The CRL is fetched (libcurl) at start and
 * every refresh interval; a newer one is applied at once, re-checks every
 * cached peer certificate, cuts revoked peers (their connections closed)
 * and is pushed to the peers that are up. A watchdog pings peers and
 * redials silent ones.
 *
 * Threads: nng's callbacks (frames in and out), one watchdog thread, one
 * CRL thread, libmicrohttpd's for /metrics, nng's for the admin socket.
 * Shared state: struct broker is read-only after start except where a
 * field says which lock guards it.
 *
 * Module split: broker.c (life cycle, watchdog, admin, metrics),
 * broker_config.c, broker_identity.c (key, certificate, trust store and
 * TLS configuration, loaded alike by `run` and `check`),
 * broker_preflight.c (`check`), broker_agreement.c, broker_peer.c (dialing side,
 * outbound requests), broker_listen.c (listening side, inbound frames),
 * broker_hello.c (the Hello both sides send and check),
 * broker_crl.c, broker_agent.c and broker_auth.c (agents, roaming
 * authentication), broker_ledger*.c (the usage ledger) and
 * broker_usage.c (records from agents in, batches to and from peers).
 * broker_* names are program-internal.
 */
#ifndef BROKER_H
#define BROKER_H

#include <nng/nng.h>
#include <nng/supplemental/tls/tls.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "rt_buf.h"
#include "rt_cms.h"
#include "rt_config.h"
#include "rt_doc.h"
#include "rt_err.h"
#include "rt_frame.h"
#include "rt_metrics.h"
#include "rt_msg.h"
#include "rt_nng.h"
#include "rt_preflight.h"
#include "rt_x509.h"
#include "broker_subscriber.h"

#define BROKER_PEERS_MAX 128
#define BROKER_CRL_URLS_MAX 8
#define BROKER_BATCH_MAX 64	/* requests one outbound frame may carry */
#define BROKER_QUEUE_MAX 65536	/* requests waiting for a context, per peer */
#define BROKER_REASON_MAX 320

/* ---- configuration (broker_config.c) ---- */

struct broker_peer_config {
	char realm[RT_REALM_MAX];
	const char *endpoint;
};

struct broker_config {
	struct rt_config *cfg;		/* owns every string below */
	const char *path;
	const char *realm;
	const char *key;
	const char *cert;
	const char *key_passphrase_file;
	const char *ca;
	const char *crl_urls[BROKER_CRL_URLS_MAX];
	int ncrl_urls;
	long crl_refresh;		/* seconds */
	int crl_fail_open;		/* policy for a CRL past nextUpdate */
	const char *crl_cache;		/* last good CRL on disk */
	char crl_cache_path[600];
	const char *listen;
	const char *endpoint;		/* advertised in our RealmDescriptor */
	const char *agreements_dir;
	const char *state_dir;
	const char *admin_socket;
	char admin_default[600];
	const char *metrics_listen;	/* "" = off */
	const char *services[RT_SERVICES_MAX];
	int nservices;
	long skew;			/* seconds */
	size_t max_frame;
	int contexts;
	int batch;			/* requests per outbound frame, at most */
	int frames_in_flight;		/* outbound contexts per peer */
	long ping_interval;		/* seconds */
	int ping_misses;
	long request_timeout_ms;
	size_t replay_entries;
	long descriptor_lifetime;	/* seconds */
	const char *agent_listen;
	char agent_listen_default[600];
	const char *agent_ca;		/* "" = agents over ipc only */
	const char *agent_crl;		/* agent_ca's CRL, "" = none */
	int agent_contexts;
	const char *subscribers_db;
	char subscribers_db_default[600];
	const char *ledger_db;
	char ledger_db_default[600];
	uint64_t checkpoint_records;
	long checkpoint_interval;	/* seconds */
	long usage_forward_interval;	/* seconds */
	int usage_batch_records;
	long assertion_lifetime;	/* seconds; capped by the agreement */
	struct broker_password_policy password_policy;
	const char *log_level;
	const char *log_dest;
	struct broker_peer_config peers[BROKER_PEERS_MAX];
	int npeers;
};

extern const struct rt_config_key broker_config_keys[];

/* Loads and checks path; on error a one-line message in err. */
int broker_config_load(const char *path, struct broker_config *bc, char *err,
    size_t errcap) RT_WUR;
void broker_config_fini(struct broker_config *bc);

/* ---- agreements (broker_agreement.c) ---- */

struct broker_agreements {
	struct rt_agreement *list;
	size_t n;
};

struct broker;

/*
 * (Re)loads every NAME.xml + NAME.xml.sig of the agreements folder that
 * verifies (both realms signed with valid certificates, we are a party,
 * not expired); logs and skips the others. Runs at start and again once a
 * first CRL arrives, if none was available at start.
 */
int broker_agreements_reload(struct broker *b) RT_WUR;
/*
 * The loader itself: the agreements of dir that verify against trust for
 * realm self at now into *out (free with broker_agreements_fini).
 * RT_ERR_NOT_FOUND when dir cannot be read. Each refused file is logged,
 * and also reported as a warning on report when it is not NULL (`check`).
 */
int broker_agreements_load(const char *dir, struct rt_trust *trust,
    const char *self, time_t now, struct broker_agreements *out,
    struct rt_preflight *report) RT_WUR;
void broker_agreements_fini(struct broker_agreements *a);
size_t broker_agreement_count(struct broker *b);
/* Copies a valid agreement between us and peer (either direction) to out:
 * 0, or RT_ERR_NO_AGREEMENT. */
int broker_agreement_find(struct broker *b, const char *peer, time_t now,
    struct rt_agreement *out) RT_WUR;
/* The valid agreement that lets home's subscribers roam into visited:
 * 0 and *out, or RT_ERR_NO_AGREEMENT. */
int broker_agreement_for(struct broker *b, const char *home, const char *visited,
    time_t now, struct rt_agreement *out) RT_WUR;
/* The valid agreement with that id: 0 and *out, or RT_ERR_NO_AGREEMENT. */
int broker_agreement_get(struct broker *b, const char *id, time_t now,
    struct rt_agreement *out) RT_WUR;
/* Ids of the valid agreements with peer; returns how many (≤ max). */
int broker_agreement_ids(struct broker *b, const char *peer, time_t now,
    char (*ids)[RT_ID_MAX], int max);

/* ---- peers and outbound requests (broker_peer.c) ---- */

enum broker_peer_state {
	PEER_DOWN = 0,
	PEER_CONNECTING,
	PEER_HELLO,
	PEER_UP
};

struct broker;
struct broker_peer;
struct out_slot;
struct out_req;

/*
 * Completion of an outbound request: err is 0 and doc the reply message
 * (valid during the call only), or err says why there is none.
 */
/* The answer to a request: err, or the message m (rt_msg_none on err). */
typedef void (*broker_reply_fn)(void *arg, int err, const struct rt_msg_in *m);

struct broker_peer {
	struct broker *broker;
	char realm[RT_REALM_MAX];
	char endpoint[RT_URI_MAX];
	nng_socket sock;
	nng_dialer dialer;
	nng_aio *kick_aio;		/* defers work out of pipe callbacks */
	struct out_slot *slots;
	int nslots;

	pthread_mutex_t lock;		/* guards everything below */
	enum broker_peer_state state;
	char reason[BROKER_REASON_MAX];
	nng_pipe pipe;			/* our connection to it */
	int hello_due;
	struct rt_realm_descriptor descriptor;
	time_t cert_not_after;
	uint64_t last_seen_ms;
	uint64_t rtt_us;
	uint64_t ping_sent_ms;
	int ping_in_flight;
	int ping_misses;
	int crl_push_due;
	int hello_in_flight;
	int stopping;
	uint64_t redial_at_ms;		/* 0, or when to dial again after a hold */
	uint64_t backoff_ms;		/* grows with each failed hello */
	/* the dialer's failure counters as last seen (tick thread only) */
	uint64_t dial_failed_seen[RT_NNG_DIAL_REASONS];
	struct out_req *queue_head, *queue_tail;
	size_t queued;
};

int broker_peers_start(struct broker *b) RT_WUR;
/*
 * nng says nothing when a dial fails (TLS, refused, timeout): from its
 * dialer's counters in all (a stats snapshot, may be NULL) the reason a
 * peer that is still connecting shows, logged when it changes.
 */
void broker_peer_dial_watch(struct broker_peer *p, nng_stat *all);
void broker_peers_stop(struct broker *b);
/*
 * Sends the message xml (the caller keeps its buffer) to peer p and calls
 * fn with the reply. Requests to a peer that is not up fail at once with
 * RT_ERR_UNAVAILABLE unless internal is set (hello). Returns 0 when the
 * request was queued (fn will be called exactly once) or RT_ERR_* (fn not
 * called).
 */
int broker_peer_call(struct broker_peer *p, const struct rt_buf *xml,
    int internal, broker_reply_fn fn, void *arg) RT_WUR;
/* Marks p down with a reason and closes our connection to it; nng redials. */
void broker_peer_down(struct broker_peer *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/*
 * The same, but stops dialing for a backoff that doubles with each call
 * (1 s to 60 s; reset once the peer is up): for a peer that answers but
 * cannot be trusted (hello refused or failed), so it is not redialled in a
 * tight loop.
 */
void broker_peer_hold(struct broker_peer *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Finds the configured peer of realm, or NULL. */
struct broker_peer *broker_peer_find(struct broker *b, const char *realm);
/*
 * The peer just said Hello on a connection it dialed: if our own link to
 * it is not up, dial again at the next tick (within a second) instead of
 * at the end of a backoff, which nng lets grow to 30 s while a peer is
 * away, so both directions are back about as soon as the peer is.
 */
void broker_peer_redial_now(struct broker_peer *p);
/* Watchdog work for one peer: pings, certificate expiry. */
void broker_peer_tick(struct broker_peer *p, uint64_t now_ms);
const char *broker_peer_state_name(enum broker_peer_state s);

/* ---- Hello (broker_hello.c) ---- */

/* Builds our Hello for peer (descriptor + agreement ids). */
int broker_hello_build(struct broker *b, const char *peer, struct rt_buf *xml) RT_WUR;
/* Checks a Hello received from sender; 0 or the reason to refuse. */
int broker_hello_check(struct broker *b, const char *sender,
    const struct rt_hello *h, char *why, size_t whycap) RT_WUR;

/* ---- listening side (broker_listen.c) ---- */

int broker_listen_start(struct broker *b) RT_WUR;
void broker_listen_stop(struct broker *b);
/*
 * Closes every connection to our listener whose realm's certificate is no
 * longer good (revoked, expired, CRL stale), or of realm when not NULL.
 */
void broker_listen_recheck(struct broker *b, const char *realm);
/* Lines "PIPE REALM" of the authenticated inbound connections, for status. */
int broker_listen_describe(struct broker *b, struct rt_buf *out) RT_WUR;
/*
 * nng 1.5.2 refuses a TLS client (no certificate, another CA, expired,
 * a handshake gone wrong) before we see the connection, and tells no one
 * which peer it was. Its listener keeps counters by reason: the tick calls
 * this to log and count what they gained since the last call, on the
 * peers' listener and on the agents' (when it is tls+tcp).
 */
#define BROKER_TLS_REASONS 4
extern const char *const broker_tls_reasons[BROKER_TLS_REASONS];
void broker_listen_watch(struct broker *b, nng_stat *all);

/* ---- CRL (broker_crl.c) ---- */

int broker_crl_start(struct broker *b) RT_WUR;
void broker_crl_stop(struct broker *b);
/*
 * Applies crl (fetched, or pushed by from_realm when not NULL): installs
 * it if newer and ours, cuts peers it revokes, pushes it on when fetched.
 * Returns 0 when applied, 1 when not newer, or RT_ERR_*.
 */
int broker_crl_apply(struct broker *b, X509_CRL *crl, const char *from_realm) RT_WUR;
/* Refuses everything while the CRL is stale (unless policy says open). */
void broker_crl_check_stale(struct broker *b, time_t now);

/* ---- agents and roaming authentication (broker_agent.c, broker_auth.c) ---- */

int broker_agents_start(struct broker *b) RT_WUR;
void broker_agents_stop(struct broker *b);
/* Home side: answers a visited realm's AuthRequest into resp. */
void broker_auth_home(struct broker *b, const char *visited,
    const struct rt_auth_request *req, struct rt_auth_response *resp);
/* Visited side: 0 when an assertion from home may be relied on. */
int broker_auth_check_assertion(struct broker *b, const char *home,
    const struct rt_agreement *agreement, const struct rt_assertion *a) RT_WUR;

/* ---- answers that wait for the ledger (broker_listen.c and its handlers) ---- */

/*
 * An answer the listener sends once something is durable (a UsageBatch
 * stored, an issued assertion recorded). The handler allocates its context
 * with this struct first and nothing else allocated inside it by the time
 * it calls ready (the listener free()s it), stores it in *ap before it
 * submits anything, and calls ready(owner, index) exactly once, from any
 * thread. The listener then calls encode on one of nng's threads for the
 * reply item.
 */
struct broker_async {
	void (*ready)(void *owner, int index);
	void *owner;
	int index;
	int (*encode)(struct broker_async *a, struct rt_buf *out);
};

struct broker_ledger_assertion;

/*
 * Home side: the AuthResponse, its assertion recorded before it goes. The
 * assertion's record is put on the *pending list: the caller records a
 * frame's list at once (broker_ledger_assertions) after its last item, so
 * the frame's assertions share one commit.
 */
int broker_auth_answer(struct broker *b, const char *visited,
    const struct rt_auth_request *req, const struct broker_async *tmpl,
    struct broker_async **ap, struct broker_ledger_assertion **pending) RT_WUR;

/* ---- usage: the ledger's traffic (broker_usage.c, broker_agent.c) ---- */

struct usage_partner;

/*
 * Why a record our agent reports may not enter the ledger: 0, or
 * RT_ERR_REALM (not visited here, or our own subscriber), RT_ERR_NO_AGREEMENT
 * (no valid agreement lets its home roam here, or agreement_ref names none
 * between them covering its start), RT_ERR_DENIED (service not in the
 * agreement), RT_ERR_BAD_INPUT (unit neither the agreement's nor
 * convertible to it, end before start, in the future, quantity not
 * possible for the period).
 */
int broker_usage_check(struct broker *b, const struct rt_usage_record *u,
    time_t now) RT_WUR;
/* Forwarding to home realms: per-peer state, started with the broker. */
int broker_usage_start(struct broker *b) RT_WUR;
/* Stops forwarding (before the peers stop); frees nothing. */
void broker_usage_stop(struct broker *b);
void broker_usage_free(struct broker *b);
/* The watchdog's second: forwards what is pending, signs due checkpoints. */
void broker_usage_tick(struct broker *b, uint64_t now_ms);
/* n records of ours for home realm partner became durable (any thread). */
void broker_usage_added(struct broker *b, const char *partner, uint32_t n);
/* Home side: a UsageBatch the peer sender sent us (xml: the item's bytes). */
int broker_usage_receive(struct broker *b, const char *sender, xmlDocPtr doc,
    const uint8_t *xml, size_t len, const struct broker_async *tmpl,
    struct broker_async **ap) RT_WUR;
/* `ledger status`: the ledger per partner and the forwarding state. */
int broker_usage_status(struct broker *b, struct rt_buf *out) RT_WUR;

/* ---- the broker (broker.c) ---- */

struct broker_metrics {
	struct rt_metrics *registry;
	/* by kind: [0] requests, [1] replies */
	struct rt_counter *frames_in[2];
	struct rt_counter *frames_out[2];
	/* TLS connections our listener refused, by nng's reason; and the
	 * listener's counters as last seen (the tick logs the increase) */
	struct rt_counter *tls_refused[BROKER_TLS_REASONS];
	uint64_t tls_refused_seen[BROKER_TLS_REASONS];
	/* the same for our agents' listener (tls+tcp with agent_ca) */
	struct rt_counter *agent_tls_refused[BROKER_TLS_REASONS];
	uint64_t agent_tls_refused_seen[BROKER_TLS_REASONS];
	struct rt_counter *items_in[RT_MSG_COUNT];
	struct rt_counter *refused[-RT_ERR_LAST];
	struct rt_counter *crl_fetch_ok;
	struct rt_counter *crl_fetch_failed;
	struct rt_gauge *peers_up;
	struct rt_gauge *peers_down;
	struct rt_gauge *crl_age;
	struct rt_gauge *crl_next_update;
	struct rt_histogram *rtt;
	struct rt_counter *auth[RT_AUTH_UNAVAILABLE + 1];
	/* ledger */
	struct rt_counter *ledger_added[2];
	struct rt_counter *ledger_repeats;
	struct rt_counter *ledger_conflicts;
	struct rt_counter *ledger_flagged;
	struct rt_counter *ledger_checkpoints;
	struct rt_counter *ledger_commits;
	uint64_t ledger_commits_seen;		/* scrape's, for the delta */
	struct rt_counter *usage_rejected[-RT_ERR_LAST];
	struct rt_counter *usage_submits_failed;
	struct rt_counter *batches_out_sent;
	struct rt_counter *batches_out_acked;
	struct rt_counter *batches_out_failed;
	struct rt_counter *batches_in_stored;
	struct rt_counter *batches_in_repeated;
	struct rt_counter *batches_in_refused;
};

struct broker {
	struct broker_config *config;
	struct rt_signer *signer;
	struct rt_trust *trust;
	struct rt_replay *replay;
	pthread_rwlock_t agreements_lock;	/* guards agreements */
	struct broker_agreements agreements;
	struct broker_metrics metrics;
	struct rt_admin *admin;
	struct broker_peer *peers;
	int npeers;
	time_t started_at;
	uint64_t descriptor_serial;

	/* listener */
	pthread_mutex_t pipes_lock;	/* guards pipes */
	struct listen_pipe *pipes;
	int npipes;
	nng_socket lsock;
	nng_listener listener;
	struct in_slot *in_slots;
	int nin_slots;

	/* agents */
	nng_socket asock;
	nng_listener alistener;
	struct agent_slot *agent_slots;
	int nagent_slots;
	struct broker_subscribers *subscribers;
	struct broker_password_policy password_policy;

	/* usage ledger; forwarding state per peer (index as peers) */
	struct broker_ledger *ledger;
	struct usage_partner *usage;
	int nusage;

	/* threads */
	pthread_mutex_t lock;		/* guards stop and the condition */
	pthread_cond_t cond;
	int stop;
	pthread_t watchdog;
	int watchdog_started;
	pthread_t crl_thread;
	int crl_started;
	time_t crl_fetched_at;
	int crl_stale_reported;
};

/* Loads identity, trust, agreements; starts nothing. */
int broker_new(struct broker_config *bc, struct broker **bp) RT_WUR;
/* Starts listener, dialers, threads, admin and metrics. */
int broker_start(struct broker *b) RT_WUR;
/* Stops everything started; safe to call once after any start outcome. */
void broker_stop(struct broker *b);
void broker_free(struct broker *b);
/* Counts a refused frame or item by reason. */
void broker_count_refusal(struct broker *b, int reason);
/*
 * Runs aio's callback soon on one of nng's threads, with result 0 (or
 * NNG_ECANCELED once the aio is stopped): work handed out of a thread
 * that must not do it (the store's writer, a pipe callback). Not
 * nng_sleep_aio(0): nng 1.5.2's expire thread rescans every aio with a
 * timeout in a busy loop until the millisecond of a zero sleep has passed
 * (measured: ~8% of the CPU of cold roaming authentications, and up to
 * 1 ms on every reply).
 */
void broker_defer(nng_aio *aio);
/*
 * The nng TLS configuration, our realm certificate, for a listener
 * (server_name NULL) or a dialer to the peer server_name. The other side's
 * certificate must chain to ca_path alone: bc->ca (the federation CA,
 * toward peers) or bc->agent_ca (our agents' listener: a federation
 * member's certificate is no agent of ours). 0, or RT_ERR_* with the key
 * at fault in fault (may be NULL; "agent_ca" when ca_path is bc->agent_ca).
 * broker_identity.c.
 */
int broker_tls_config(const struct broker_config *bc, const char *ca_path,
    const char *server_name, nng_tls_config **cfgp, struct rt_fault *fault) RT_WUR;
/*
 * The realm identity: key (mode 0600, decrypted with key_passphrase_file
 * when set), certificate, the two a pair, and the certificate's SAN our
 * realm (else event=identity_mismatch). 0 and *signerp, or RT_ERR_* and
 * fault.
 */
int broker_identity_load(const struct broker_config *bc, struct rt_signer **signerp,
    struct rt_fault *fault) RT_WUR;
/* The trust store of ca (no CRL yet): 0 and *trustp, or RT_ERR_* and fault. */
int broker_trust_load(const struct broker_config *bc, int require_crl,
    struct rt_trust **trustp, struct rt_fault *fault) RT_WUR;
/*
 * Installs the cached CRL (STATE_DIR/crl.pem) in trust: 0, RT_ERR_NOT_FOUND
 * when there is none, or why it was not taken (unreadable, not our CA's,
 * past its nextUpdate).
 */
int broker_crl_cache_load(const struct broker_config *bc, struct rt_trust *trust) RT_WUR;
/*
 * `check`: what `run` would refuse at start, and what it would accept
 * only with a warning, reported on pf; starts nothing (broker_preflight.c).
 */
void broker_preflight(const struct broker_config *bc, struct rt_preflight *pf);
/* The admin command handler (status, peers, subscriber, ledger status). */
int broker_admin_handle(void *arg, int argc, char **argv, struct rt_buf *out);

#endif
