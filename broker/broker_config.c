/*
 * The broker's configuration: one table lists every key with its type,
 * default and help (`roamtrust-broker --print-defaults` writes it as a
 * commented example), and broker_config_load checks what the table cannot.
 */
#include <stdio.h>
#include <string.h>

#include "broker.h"
#include "rt_log.h"

const struct rt_config_key broker_config_keys[] = {
	{"broker", "realm", RT_CFG_STRING, NULL,
	    "our realm (lowercase DNS name); must be the SAN of cert", 0, 0, NULL},
	{"broker", "key", RT_CFG_PATH, NULL,
	    "realm private key (PEM, mode 0600)", 0, 0, NULL},
	{"broker", "key_passphrase_file", RT_CFG_PATH, "",
	    "file holding the key's passphrase, if it is encrypted", 0, 0, NULL},
	{"broker", "cert", RT_CFG_PATH, NULL,
	    "realm certificate issued by the federation CA", 0, 0, NULL},
	{"broker", "ca", RT_CFG_PATH, NULL,
	    "federation CA certificate", 0, 0, NULL},
	{"broker", "crl_url", RT_CFG_LIST, NULL,
	    "where to fetch the federation CRL (http, https or file URLs, tried in order)",
	    0, 0, NULL},
	{"broker", "crl_refresh", RT_CFG_DURATION, "5m",
	    "how often to fetch the CRL", 1, 86400, NULL},
	{"broker", "crl_stale", RT_CFG_ENUM, "fail-closed",
	    "when the CRL is past its nextUpdate: refuse every peer, or keep going (logged)",
	    0, 0, "fail-closed|fail-open"},
	{"broker", "listen", RT_CFG_STRING, NULL,
	    "nng URL to listen on for peers (tls+tcp://ADDR:PORT)", 0, 0, NULL},
	{"broker", "endpoint", RT_CFG_STRING, "",
	    "URL peers reach us at, told them in our RealmDescriptor (default: listen)",
	    0, 0, NULL},
	{"broker", "services", RT_CFG_LIST, "voice,message",
	    "services we offer, told peers in our RealmDescriptor", 0, 0, NULL},
	{"broker", "agreements", RT_CFG_PATH, NULL,
	    "folder of signed roaming agreements (NAME.xml + NAME.xml.sig)", 0, 0, NULL},
	{"broker", "state_dir", RT_CFG_PATH, NULL,
	    "folder for the broker's state (CRL cache, databases)", 0, 0, NULL},
	{"broker", "admin_socket", RT_CFG_STRING, "",
	    "local admin socket (ipc://PATH, mode 0600); default ipc://STATE_DIR/admin.sock",
	    0, 0, NULL},
	{"broker", "metrics_listen", RT_CFG_STRING, "",
	    "ADDR:PORT for Prometheus /metrics (empty: off)", 0, 0, NULL},
	{"broker", "clock_skew", RT_CFG_DURATION, "60s",
	    "largest clock difference tolerated with peers (frame timestamps)",
	    1, 3600, NULL},
	{"broker", "max_frame", RT_CFG_SIZE, "1M",
	    "largest frame accepted", 4096, 16 * 1024 * 1024, NULL},
	{"broker", "contexts", RT_CFG_INT, "64",
	    "frames served at once on the listener", 1, 1024, NULL},
	{"broker", "frames_in_flight", RT_CFG_INT, "16",
	    "frames in flight to each peer; more requests wait and share frames "
	    "(measured: 16 frames of many requests beat 64 frames of few)", 1, 1024, NULL},
	{"broker", "batch", RT_CFG_INT, "64",
	    "requests one outbound frame may carry when several wait (one signature "
	    "covers them all; with two frames in flight to a peer, a new one waits "
	    "until it is full or one comes back; 1 turns batching off)", 1,
	    BROKER_BATCH_MAX, NULL},
	{"broker", "ping_interval", RT_CFG_DURATION, "10s",
	    "how often to ping each peer that is up", 1, 3600, NULL},
	{"broker", "ping_misses", RT_CFG_INT, "3",
	    "unanswered pings before a peer is down and redialled", 1, 100, NULL},
	{"broker", "request_timeout", RT_CFG_DURATION, "5s",
	    "how long to wait for a peer's reply", 1, 300, NULL},
	{"broker", "replay_cache", RT_CFG_INT, "1048576",
	    "frame ids remembered against replay (memory: 24 bytes x 2 each)",
	    1024, 268435456, NULL},
	{"broker", "descriptor_lifetime", RT_CFG_DURATION, "1d",
	    "validity of the RealmDescriptor we sign at hello", 60, 2592000, NULL},
	{"broker", "agent_listen", RT_CFG_STRING, "",
	    "where our agents connect: ipc://PATH (mode 0600) or tls+tcp://ADDR:PORT "
	    "(then agent_ca is required); default ipc://STATE_DIR/agent.sock", 0, 0, NULL},
	{"broker", "agent_ca", RT_CFG_PATH, "",
	    "operator CA whose certificates agents present over tls+tcp (the only CA "
	    "trusted there: not the federation CA)", 0, 0, NULL},
	{"broker", "agent_crl", RT_CFG_PATH, "",
	    "CRL of agent_ca (PEM), checked in the TLS handshake of every agent: a "
	    "revoked agent certificate cannot connect, and past the CRL's nextUpdate "
	    "no agent can (fail closed). Read at start: restart to apply a new one",
	    0, 0, NULL},
	{"broker", "agent_contexts", RT_CFG_INT, "256",
	    "agent requests handled at once (each waits for its home realm)", 1, 65536, NULL},
	{"broker", "subscribers", RT_CFG_PATH, "",
	    "home subscriber database (SQLite); default STATE_DIR/subscribers.db", 0, 0, NULL},
	{"broker", "ledger", RT_CFG_PATH, "",
	    "usage ledger (SQLite, synced before any acknowledgement); default "
	    "STATE_DIR/ledger.db", 0, 0, NULL},
	{"broker", "checkpoint_records", RT_CFG_INT, "10000",
	    "sign a checkpoint of a partner's ledger chain every this many records "
	    "(0: only by time)", 0, 100000000, NULL},
	{"broker", "checkpoint_interval", RT_CFG_DURATION, "5m",
	    "sign a checkpoint at least this often while a partner's chain grows (0: "
	    "only by count)", 0, 86400, NULL},
	{"broker", "usage_forward_interval", RT_CFG_DURATION, "1s",
	    "how often our records go to their home realms in UsageBatches (a full "
	    "batch goes at once)", 1, 3600, NULL},
	{"broker", "usage_batch_records", RT_CFG_INT, "1000",
	    "records per UsageBatch at most (a batch also stays under 256 KB)", 1,
	    RT_BATCH_MAX, NULL},
	{"broker", "assertion_lifetime", RT_CFG_DURATION, "1h",
	    "lifetime of the assertions we issue (the agreement's maximum caps it)",
	    60, 604800, NULL},
	{"broker", "password_min_length", RT_CFG_INT, "10",
	    "shortest subscriber password accepted", 8, 256, NULL},
	{"broker", "password_min_classes", RT_CFG_INT, "3",
	    "character classes a password needs (lower, upper, digit, other)", 1, 4, NULL},
	{"broker", "password_max_age", RT_CFG_DURATION, "365d",
	    "subscriber passwords older than this are refused (0: never)", 0,
	    3650L * 86400, NULL},
	{"broker", "lockout_after", RT_CFG_INT, "5",
	    "failed authentications in a row that lock a subscriber", 1, 1000, NULL},
	{"broker", "lockout_time", RT_CFG_DURATION, "15m",
	    "how long a locked subscriber stays locked", 1, 86400 * 30, NULL},
	{"broker", "log_level", RT_CFG_ENUM, "info",
	    "least severe level logged", 0, 0, "err|warn|info|debug"},
	{"broker", "log", RT_CFG_ENUM, "stderr",
	    "where logs go", 0, 0, "stderr|syslog"},
	{"peer.*", "endpoint", RT_CFG_STRING, NULL,
	    "nng URL of the peer's broker (tls+tcp://HOST:PORT); the section name is its realm",
	    0, 0, NULL},
	{NULL, NULL, RT_CFG_STRING, NULL, NULL, 0, 0, NULL}
};

static int
url_ok(const char *url, const char *scheme)
{
	return strncmp(url, scheme, strlen(scheme)) == 0 && url[strlen(scheme)] != '\0';
}

/* What the table cannot say: realms, URLs, peer sections. */
static int
config_check(struct broker_config *bc, char *err, size_t errcap)
{
	const char *name = bc->path;

	if (!rt_realm_valid(bc->realm)) {
		snprintf(err, errcap, "%s: [broker] realm '%s' is not a valid realm "
		    "(lowercase DNS name)", name, bc->realm);
		return RT_ERR_CONFIG;
	}
	if (!url_ok(bc->listen, "tls+tcp://")) {
		snprintf(err, errcap, "%s: [broker] listen must be a tls+tcp:// URL "
		    "(peers authenticate with mutual TLS): %s", name, bc->listen);
		return RT_ERR_CONFIG;
	}
	if (!url_ok(bc->agent_listen, "ipc://") &&
	    !(url_ok(bc->agent_listen, "tls+tcp://") && *bc->agent_ca != '\0')) {
		snprintf(err, errcap, "%s: [broker] agent_listen must be ipc://, or "
		    "tls+tcp:// with agent_ca set: %s", name, bc->agent_listen);
		return RT_ERR_CONFIG;
	}
	if (!url_ok(bc->admin_socket, "ipc://")) {
		snprintf(err, errcap, "%s: [broker] admin_socket must be an ipc:// URL: %s",
		    name, bc->admin_socket);
		return RT_ERR_CONFIG;
	}
	for (int i = 0; i < bc->ncrl_urls; i++) {
		const char *u = bc->crl_urls[i];

		if (!url_ok(u, "http://") && !url_ok(u, "https://") &&
		    !url_ok(u, "file://")) {
			snprintf(err, errcap, "%s: [broker] crl_url must be http://, "
			    "https:// or file://: %s", name, u);
			return RT_ERR_CONFIG;
		}
	}
	for (int i = 0; i < bc->npeers; i++) {
		const struct broker_peer_config *p = &bc->peers[i];

		if (!rt_realm_valid(p->realm) || strcmp(p->realm, bc->realm) == 0) {
			snprintf(err, errcap, "%s: [peer.%s]: the section name must be "
			    "the peer's realm, not ours", name, p->realm);
			return RT_ERR_CONFIG;
		}
		if (!url_ok(p->endpoint, "tls+tcp://")) {
			snprintf(err, errcap, "%s: [peer.%s] endpoint must be a "
			    "tls+tcp:// URL: %s", name, p->realm, p->endpoint);
			return RT_ERR_CONFIG;
		}
	}
	return 0;
}

int
broker_config_load(const char *path, struct broker_config *bc, char *err,
    size_t errcap)
{
	const char *sections[BROKER_PEERS_MAX];
	struct rt_config *cfg = NULL;
	size_t n;
	int r;

	memset(bc, 0, sizeof(*bc));
	if ((r = rt_config_load(broker_config_keys, path, &cfg, err, errcap)) != 0)
		return r;
	bc->cfg = cfg;
	bc->path = path;
	bc->realm = rt_config_str(cfg, "broker", "realm");
	bc->key = rt_config_str(cfg, "broker", "key");
	bc->key_passphrase_file = rt_config_str(cfg, "broker", "key_passphrase_file");
	if (bc->key_passphrase_file == NULL)
		bc->key_passphrase_file = "";	/* optional path, unset */
	bc->cert = rt_config_str(cfg, "broker", "cert");
	bc->ca = rt_config_str(cfg, "broker", "ca");
	n = rt_config_list_len(cfg, "broker", "crl_url");
	for (size_t i = 0; i < n && i < BROKER_CRL_URLS_MAX; i++)
		bc->crl_urls[bc->ncrl_urls++] = rt_config_list_item(cfg, "broker",
		    "crl_url", i);
	bc->crl_refresh = (long)rt_config_int(cfg, "broker", "crl_refresh");
	bc->crl_fail_open = strcmp(rt_config_str(cfg, "broker", "crl_stale"),
	    "fail-open") == 0;
	bc->listen = rt_config_str(cfg, "broker", "listen");
	bc->endpoint = rt_config_str(cfg, "broker", "endpoint");
	if (bc->endpoint == NULL || *bc->endpoint == '\0')
		bc->endpoint = bc->listen;
	n = rt_config_list_len(cfg, "broker", "services");
	for (size_t i = 0; i < n && i < RT_SERVICES_MAX; i++)
		bc->services[bc->nservices++] = rt_config_list_item(cfg, "broker",
		    "services", i);
	bc->agreements_dir = rt_config_str(cfg, "broker", "agreements");
	bc->state_dir = rt_config_str(cfg, "broker", "state_dir");
	bc->admin_socket = rt_config_str(cfg, "broker", "admin_socket");
	if (bc->admin_socket == NULL || *bc->admin_socket == '\0') {
		snprintf(bc->admin_default, sizeof(bc->admin_default),
		    "ipc://%s/admin.sock", bc->state_dir);
		bc->admin_socket = bc->admin_default;
	}
	snprintf(bc->crl_cache_path, sizeof(bc->crl_cache_path), "%s/crl.pem",
	    bc->state_dir);
	bc->crl_cache = bc->crl_cache_path;
	bc->metrics_listen = rt_config_str(cfg, "broker", "metrics_listen");
	bc->skew = (long)rt_config_int(cfg, "broker", "clock_skew");
	bc->max_frame = (size_t)rt_config_int(cfg, "broker", "max_frame");
	bc->contexts = (int)rt_config_int(cfg, "broker", "contexts");
	bc->batch = (int)rt_config_int(cfg, "broker", "batch");
	bc->frames_in_flight = (int)rt_config_int(cfg, "broker", "frames_in_flight");
	bc->ping_interval = (long)rt_config_int(cfg, "broker", "ping_interval");
	bc->ping_misses = (int)rt_config_int(cfg, "broker", "ping_misses");
	bc->request_timeout_ms = (long)rt_config_int(cfg, "broker", "request_timeout") * 1000;
	bc->replay_entries = (size_t)rt_config_int(cfg, "broker", "replay_cache");
	bc->descriptor_lifetime = (long)rt_config_int(cfg, "broker", "descriptor_lifetime");
	bc->agent_listen = rt_config_str(cfg, "broker", "agent_listen");
	if (bc->agent_listen == NULL || *bc->agent_listen == '\0') {
		snprintf(bc->agent_listen_default, sizeof(bc->agent_listen_default),
		    "ipc://%s/agent.sock", bc->state_dir);
		bc->agent_listen = bc->agent_listen_default;
	}
	bc->agent_ca = rt_config_str(cfg, "broker", "agent_ca");
	if (bc->agent_ca == NULL)
		bc->agent_ca = "";
	bc->agent_crl = rt_config_str(cfg, "broker", "agent_crl");
	if (bc->agent_crl == NULL)
		bc->agent_crl = "";
	bc->agent_contexts = (int)rt_config_int(cfg, "broker", "agent_contexts");
	bc->subscribers_db = rt_config_str(cfg, "broker", "subscribers");
	if (bc->subscribers_db == NULL || *bc->subscribers_db == '\0') {
		snprintf(bc->subscribers_db_default, sizeof(bc->subscribers_db_default),
		    "%s/subscribers.db", bc->state_dir);
		bc->subscribers_db = bc->subscribers_db_default;
	}
	bc->ledger_db = rt_config_str(cfg, "broker", "ledger");
	if (bc->ledger_db == NULL || *bc->ledger_db == '\0') {
		snprintf(bc->ledger_db_default, sizeof(bc->ledger_db_default),
		    "%s/ledger.db", bc->state_dir);
		bc->ledger_db = bc->ledger_db_default;
	}
	bc->checkpoint_records = (uint64_t)rt_config_int(cfg, "broker",
	    "checkpoint_records");
	bc->checkpoint_interval = (long)rt_config_int(cfg, "broker",
	    "checkpoint_interval");
	bc->usage_forward_interval = (long)rt_config_int(cfg, "broker",
	    "usage_forward_interval");
	bc->usage_batch_records = (int)rt_config_int(cfg, "broker",
	    "usage_batch_records");
	bc->assertion_lifetime = (long)rt_config_int(cfg, "broker", "assertion_lifetime");
	bc->password_policy.min_length =
	    (size_t)rt_config_int(cfg, "broker", "password_min_length");
	bc->password_policy.min_classes =
	    (int)rt_config_int(cfg, "broker", "password_min_classes");
	bc->password_policy.default_max_age =
	    (long)rt_config_int(cfg, "broker", "password_max_age");
	bc->password_policy.lockout_after = (int)rt_config_int(cfg, "broker", "lockout_after");
	bc->password_policy.lockout_seconds =
	    (long)rt_config_int(cfg, "broker", "lockout_time");
	bc->log_level = rt_config_str(cfg, "broker", "log_level");
	bc->log_dest = rt_config_str(cfg, "broker", "log");
	n = rt_config_sections(cfg, "peer.*", sections, BROKER_PEERS_MAX);
	for (size_t i = 0; i < n && i < BROKER_PEERS_MAX; i++) {
		struct broker_peer_config *p = &bc->peers[bc->npeers++];

		snprintf(p->realm, sizeof(p->realm), "%s", sections[i] + strlen("peer."));
		p->endpoint = rt_config_str(cfg, sections[i], "endpoint");
	}
	if ((r = config_check(bc, err, errcap)) != 0) {
		broker_config_fini(bc);
		return r;
	}
	return 0;
}

void
broker_config_fini(struct broker_config *bc)
{
	if (bc == NULL)
		return;
	rt_config_free(bc->cfg);
	memset(bc, 0, sizeof(*bc));
}
