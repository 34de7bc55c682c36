/*
 * The agent's configuration: every key with its type, default and help
 * (`roamtrust-agent --print-defaults`), and what the table cannot check.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "agent.h"
#include "rt_log.h"

const struct rt_config_key agent_config_keys[] = {
	{"agent", "realm", RT_CFG_STRING, NULL,
	    "our operator's realm: roamers are subscribers of other realms", 0, 0, NULL},
	{"agent", "local_realms", RT_CFG_LIST, "",
	    "realms whose subscribers are ours, not roamers: passed through untouched "
	    "(default: realm)", 0, 0, NULL},
	{"agent", "trust_domains", RT_CFG_LIST, "",
	    "domains inside our trust domain besides our realms and proxies: requests "
	    "with Privacy: id get their P-Asserted-Identity only toward these "
	    "(RFC 3325)", 0, 0, NULL},
	{"agent", "broker", RT_CFG_STRING, NULL,
	    "our broker: ipc://PATH (its agent_listen) or tls+tcp://HOST:PORT", 0, 0, NULL},
	{"agent", "broker_ca", RT_CFG_PATH, "",
	    "CA that issued the broker's certificate, the federation CA (tls+tcp "
	    "only); the broker's certificate must name our realm", 0, 0, NULL},
	{"agent", "cert", RT_CFG_PATH, "",
	    "our certificate from the operator CA, the broker's agent_ca (tls+tcp "
	    "only)", 0, 0, NULL},
	{"agent", "key", RT_CFG_PATH, "",
	    "our private key, mode 0600 (tls+tcp only)", 0, 0, NULL},
	{"agent", "listen", RT_CFG_STRING, "127.0.0.1:8080",
	    "HOST:PORT of the HTTP API the proxy calls (keep it on loopback)", 0, 0, NULL},
	{"agent", "metrics_listen", RT_CFG_STRING, "",
	    "HOST:PORT for Prometheus /metrics (empty: off)", 0, 0, NULL},
	{"agent", "state_dir", RT_CFG_PATH, NULL,
	    "folder for the agent's state (admin socket, usage spool)", 0, 0, NULL},
	{"agent", "admin_socket", RT_CFG_STRING, "",
	    "local admin socket; default ipc://STATE_DIR/agent-admin.sock", 0, 0, NULL},
	{"agent", "digest_algorithms", RT_CFG_LIST, "SHA-256,MD5",
	    "digest challenges offered, in order (SHA-256, MD5)", 0, 0, NULL},
	{"agent", "nonce_lifetime", RT_CFG_DURATION, "5m",
	    "how long a nonce stays fresh (then stale=true)", 10, 86400, NULL},
	{"agent", "nonce_rotate", RT_CFG_DURATION, "1h",
	    "how often the nonce secret changes (at least nonce_lifetime)", 10, 604800, NULL},
	{"agent", "auth_timeout", RT_CFG_DURATION, "3s",
	    "longest wait for the home realm's answer (then 503)", 1, 60, NULL},
	{"agent", "retry_after", RT_CFG_DURATION, "5s",
	    "Retry-After of a 503", 1, 3600, NULL},
	{"agent", "date_window", RT_CFG_DURATION, "5m",
	    "a MESSAGE's Date must be within this of now", 1, 86400, NULL},
	{"agent", "store_and_forward", RT_CFG_LIST, "",
	    "source addresses of store-and-forward servers, exempt from the Date check",
	    0, 0, NULL},
	{"agent", "proxy_uris", RT_CFG_LIST, "",
	    "our proxies (host or host:port): allowed in Route headers, and as the "
	    "digest uri (sip:HOST[:PORT] without a user, as sipp sends it)", 0, 0, NULL},
	{"agent", "security_server", RT_CFG_STRING, "",
	    "RFC 3329 Security-Server value offered to UAs that send Security-Client "
	    "(empty: not offered)", 0, 0, NULL},
	{"agent", "max_bindings", RT_CFG_INT, "100000",
	    "registrations of roamers kept at once (one per AOR, contact and source "
	    "flow)", 16, 10000000, NULL},
	{"agent", "max_bindings_per_flow", RT_CFG_INT, "0",
	    "registrations kept at once from one source flow (transport, address, "
	    "port), more are refused (403); 0: no cap. Set it (e.g. 32) when phones "
	    "reach the proxy directly; leave 0 when an SBC or edge proxy sends all "
	    "roamers on one flow", 0, 10000000, NULL},
	{"agent", "max_expires", RT_CFG_DURATION, "1h",
	    "longest registration accepted (a longer Expires is shortened)", 60, 86400, NULL},
	{"agent", "fail_window", RT_CFG_DURATION, "1m",
	    "window over which failed authentications are counted", 1, 86400, NULL},
	{"agent", "fail_limit_source", RT_CFG_INT, "10",
	    "failures from one source address within the window before a ban", 1, 100000, NULL},
	{"agent", "fail_limit_identity", RT_CFG_INT, "5",
	    "failures for one identity within the window before a ban", 1, 100000, NULL},
	{"agent", "ban_time", RT_CFG_DURATION, "5m",
	    "how long a banned source or identity is refused", 1, 86400, NULL},
	{"agent", "http_threads", RT_CFG_INT, "2",
	    "threads serving the HTTP API", 1, 64, NULL},
	{"agent", "broker_contexts", RT_CFG_INT, "64",
	    "requests to the broker in flight at once", 1, 4096, NULL},
	{"agent", "spool", RT_CFG_STRING, "",
	    "the usage spool (SQLite, WAL, synchronous=FULL); default "
	    "STATE_DIR/spool.db", 0, 0, NULL},
	{"agent", "spool_max_size", RT_CFG_SIZE, "0",
	    "live spool data at which NEW usage is refused (503); 0: no cap. "
	    "Records are never dropped", 0, 0, NULL},
	{"agent", "spool_keep_sent", RT_CFG_DURATION, "1d",
	    "how long records the broker stored stay (repeated reports stay one "
	    "record)", 60, 7776000, NULL},
	{"agent", "max_call_duration", RT_CFG_DURATION, "4h",
	    "a call with no stop is closed this long after its start "
	    "(flag max-duration)", 60, 604800, NULL},
	{"agent", "usage_pending_time", RT_CFG_DURATION, "5m",
	    "how long an allowed INVITE or MESSAGE waits for its 2xx report "
	    "(longer than ringing)", 10, 86400, NULL},
	{"agent", "usage_pending_max", RT_CFG_INT, "100000",
	    "allowed INVITEs and MESSAGEs awaiting their report at once (then new "
	    "ones get 503)", 16, 10000000, NULL},
	{"agent", "usage_batch", RT_CFG_INT, "1000",
	    "records per UsageSubmit to the broker (also kept under 192 KiB)",
	    1, 1000, NULL},
	{"agent", "usage_timeout", RT_CFG_DURATION, "10s",
	    "longest wait for the broker's UsageSubmitAck (then the records go "
	    "again)", 1, 600, NULL},
	{"agent", "usage_retry_max", RT_CFG_DURATION, "1m",
	    "longest pause between submits while the broker is down or refuses",
	    1, 3600, NULL},
	{"agent", "log_level", RT_CFG_ENUM, "info",
	    "least severe level logged", 0, 0, "err|warn|info|debug"},
	{"agent", "log", RT_CFG_ENUM, "stderr", "where logs go", 0, 0, "stderr|syslog"},
	{NULL, NULL, RT_CFG_STRING, NULL, NULL, 0, 0, NULL}
};

static const char *
str_or_empty(const char *s)
{
	return s != NULL ? s : "";
}

static int
list_load(struct rt_config *cfg, const char *name, const char **out, int max)
{
	size_t n = rt_config_list_len(cfg, "agent", name);
	int count = 0;

	for (size_t i = 0; i < n && count < max; i++)
		out[count++] = rt_config_list_item(cfg, "agent", name, i);
	return count;
}

int
agent_config_load(const char *path, struct agent_config *ac, char *err, size_t errcap)
{
	const char *algs[4];
	struct rt_config *cfg = NULL;
	int n, r;

	memset(ac, 0, sizeof(*ac));
	if ((r = rt_config_load(agent_config_keys, path, &cfg, err, errcap)) != 0)
		return r;
	ac->cfg = cfg;
	ac->path = path;
	ac->realm = rt_config_str(cfg, "agent", "realm");
	ac->nlocal_realms = list_load(cfg, "local_realms", ac->local_realms,
	    AGENT_LIST_MAX);
	if (ac->nlocal_realms == 0)
		ac->local_realms[ac->nlocal_realms++] = ac->realm;
	ac->ntrust_domains = list_load(cfg, "trust_domains", ac->trust_domains,
	    AGENT_LIST_MAX);
	ac->broker = rt_config_str(cfg, "agent", "broker");
	ac->broker_ca = str_or_empty(rt_config_str(cfg, "agent", "broker_ca"));
	ac->cert = str_or_empty(rt_config_str(cfg, "agent", "cert"));
	ac->key = str_or_empty(rt_config_str(cfg, "agent", "key"));
	ac->listen = rt_config_str(cfg, "agent", "listen");
	ac->metrics_listen = str_or_empty(rt_config_str(cfg, "agent", "metrics_listen"));
	ac->state_dir = rt_config_str(cfg, "agent", "state_dir");
	ac->admin_socket = str_or_empty(rt_config_str(cfg, "agent", "admin_socket"));
	if (*ac->admin_socket == '\0') {
		snprintf(ac->admin_default, sizeof(ac->admin_default),
		    "ipc://%s/agent-admin.sock", ac->state_dir);
		ac->admin_socket = ac->admin_default;
	}
	n = list_load(cfg, "digest_algorithms", algs, 4);
	for (int i = 0; i < n; i++) {
		if (ac->nalgorithms >= 2)
			break;
		if (strcmp(algs[i], "SHA-256") == 0)
			ac->algorithms[ac->nalgorithms++] = RT_DIGEST_SHA256;
		else if (strcmp(algs[i], "MD5") == 0)
			ac->algorithms[ac->nalgorithms++] = RT_DIGEST_MD5;
		else {
			snprintf(err, errcap, "%s: [agent] digest_algorithms: unknown "
			    "algorithm '%s' (SHA-256, MD5)", path, algs[i]);
			r = RT_ERR_CONFIG;
			goto fail;
		}
	}
	ac->nonce_lifetime = (long)rt_config_int(cfg, "agent", "nonce_lifetime");
	ac->nonce_rotate = (long)rt_config_int(cfg, "agent", "nonce_rotate");
	ac->auth_timeout_ms = (long)rt_config_int(cfg, "agent", "auth_timeout") * 1000;
	ac->retry_after = (long)rt_config_int(cfg, "agent", "retry_after");
	ac->date_window = (long)rt_config_int(cfg, "agent", "date_window");
	ac->nstore_and_forward = list_load(cfg, "store_and_forward",
	    ac->store_and_forward, AGENT_LIST_MAX);
	ac->nproxy_uris = list_load(cfg, "proxy_uris", ac->proxy_uris, AGENT_LIST_MAX);
	ac->security_server = str_or_empty(rt_config_str(cfg, "agent", "security_server"));
	ac->max_bindings = (long)rt_config_int(cfg, "agent", "max_bindings");
	ac->max_bindings_per_flow = (long)rt_config_int(cfg, "agent",
	    "max_bindings_per_flow");
	ac->max_expires = (long)rt_config_int(cfg, "agent", "max_expires");
	ac->fail_window = (long)rt_config_int(cfg, "agent", "fail_window");
	ac->fail_limit_source = (int)rt_config_int(cfg, "agent", "fail_limit_source");
	ac->fail_limit_identity = (int)rt_config_int(cfg, "agent", "fail_limit_identity");
	ac->ban_time = (long)rt_config_int(cfg, "agent", "ban_time");
	ac->http_threads = (int)rt_config_int(cfg, "agent", "http_threads");
	ac->broker_contexts = (int)rt_config_int(cfg, "agent", "broker_contexts");
	ac->spool = str_or_empty(rt_config_str(cfg, "agent", "spool"));
	ac->spool_max_size = rt_config_int(cfg, "agent", "spool_max_size");
	ac->spool_keep_sent = (long)rt_config_int(cfg, "agent", "spool_keep_sent");
	ac->max_call_duration = (long)rt_config_int(cfg, "agent", "max_call_duration");
	ac->usage_pending_time = (long)rt_config_int(cfg, "agent", "usage_pending_time");
	ac->usage_pending_max = (long)rt_config_int(cfg, "agent", "usage_pending_max");
	ac->usage_batch = (int)rt_config_int(cfg, "agent", "usage_batch");
	ac->usage_timeout_ms = (long)rt_config_int(cfg, "agent", "usage_timeout") * 1000;
	ac->usage_retry_max = (long)rt_config_int(cfg, "agent", "usage_retry_max");
	ac->log_level = rt_config_str(cfg, "agent", "log_level");
	ac->log_dest = rt_config_str(cfg, "agent", "log");
	if (!rt_realm_valid(ac->realm)) {
		snprintf(err, errcap, "%s: [agent] realm '%s' is not a valid realm", path,
		    ac->realm);
		r = RT_ERR_CONFIG;
		goto fail;
	}
	if (ac->nonce_rotate < ac->nonce_lifetime) {
		snprintf(err, errcap, "%s: [agent] nonce_rotate must be at least "
		    "nonce_lifetime", path);
		r = RT_ERR_CONFIG;
		goto fail;
	}
	if (strncmp(ac->broker, "ipc://", 6) != 0 &&
	    (strncmp(ac->broker, "tls+tcp://", 10) != 0 || *ac->broker_ca == '\0' ||
	    *ac->cert == '\0' || *ac->key == '\0')) {
		snprintf(err, errcap, "%s: [agent] broker must be ipc://, or tls+tcp:// "
		    "with broker_ca, cert and key: %s", path, ac->broker);
		r = RT_ERR_CONFIG;
		goto fail;
	}
	if (ac->nalgorithms == 0) {
		snprintf(err, errcap, "%s: [agent] digest_algorithms is empty", path);
		r = RT_ERR_CONFIG;
		goto fail;
	}
	return 0;
 fail:
	agent_config_fini(ac);
	return r;
}

void
agent_config_fini(struct agent_config *ac)
{
	if (ac == NULL)
		return;
	rt_config_free(ac->cfg);
	memset(ac, 0, sizeof(*ac));
}

int
agent_config_is_proxy(const struct agent_config *ac, const struct rt_sip_uri *u)
{
	char host[300], hostport[310];

	snprintf(host, sizeof(host), "%.*s", (int)u->host.len, u->host.p);
	snprintf(hostport, sizeof(hostport), "%s:%d", host, u->port ? u->port : 5060);
	for (int i = 0; i < ac->nproxy_uris; i++)
		if (strcasecmp(host, ac->proxy_uris[i]) == 0 ||
		    strcasecmp(hostport, ac->proxy_uris[i]) == 0)
			return 1;
	return 0;
}
