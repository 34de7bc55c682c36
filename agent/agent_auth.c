/*
 * Authentication of roamers at the agent: the digest challenge (nonces we
 * make, bound to the source flow and the home realm), the checks on a
 * response we can make here (nonce ours and fresh, nonce count never
 * reused, digest uri the Request-URI or one of our proxies, security
 * agreement kept), then the round trip to the home realm through our
 * broker, whose signed assertion becomes the registration binding.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <strings.h>

#include "agent.h"
#include "rt_log.h"

static const char *
alg_name(enum rt_digest_alg alg)
{
	return alg == RT_DIGEST_SHA256 ? "SHA-256" : "MD5";
}

/* The client a nonce is bound to: the flow and the realm it is for. */
static void
nonce_client(const struct agent_check *c, char *out, size_t cap)
{
	snprintf(out, cap, "%s|%s", c->flow, c->home);
}

void
agent_auth_challenge(struct agent_check *c, int stale, const char *why)
{
	struct agent *a = c->agent;
	const char *hdr = c->is_register ? "WWW-Authenticate" : "Proxy-Authenticate";
	char client[AGENT_FLOW_MAX + RT_REALM_MAX + 2], nonce[96];
	struct rt_buf *out = &c->body;
	int r;

	nonce_client(c, client, sizeof(client));
	if ((r = rt_nonce_make(a->nonces, client, rt_time_now(), nonce,
	    sizeof(nonce))) != 0) {
		agent_verdict(c, 500, "internal", "Server Internal Error\r\n");
		return;
	}
	agent_verdict(c, c->is_register ? 401 : 407, why, "%s\r\n",
	    c->is_register ? "Unauthorized" : "Proxy Authentication Required");
	for (int i = 0; i < a->config->nalgorithms && r == 0; i++) {
		if ((r = rt_buf_printf(out, "%s: ", hdr)) == 0 &&
		    (r = rt_digest_challenge(a->config->algorithms[i], c->home, nonce,
		    NULL, stale, 0, out)) == 0)
			r = rt_buf_append_str(out, "\r\n");
	}
	if (r == 0 && *a->config->security_server != '\0' &&
	    c->msg.first[RT_HDR_SECURITY_CLIENT] >= 0)
		r = rt_buf_printf(out, "Security-Server: %s\r\n", a->config->security_server);
	if (r != 0)
		agent_verdict(c, 500, "internal", "Server Internal Error\r\n");
}

/* Both URIs as RFC 3261 19.1.4 compares them, for what digest needs:
 * scheme, user and host (host case-insensitively) and port (5060 when
 * absent for sip:). An absent part is NULL: never handed to memcmp. */
static int
uri_equivalent(const struct rt_sip_uri *u, const struct rt_sip_uri *v)
{
	int pu = u->port ? u->port : 5060, pv = v->port ? v->port : 5060;

	return u->scheme.len == v->scheme.len &&
	    strncasecmp(u->scheme.p, v->scheme.p, u->scheme.len) == 0 &&
	    u->user.len == v->user.len &&
	    (u->user.len == 0 || memcmp(u->user.p, v->user.p, u->user.len) == 0) &&
	    u->host.len == v->host.len &&
	    (u->host.len == 0 || strncasecmp(u->host.p, v->host.p, u->host.len) == 0) &&
	    pu == pv;
}

/*
 * Whether the digest uri may stand for this request: the Request-URI, or
 * our proxy itself, a sip: or sips: URI without a user whose host (or
 * host:port) is in proxy_uris. sipp sends the proxy's address unless told
 * otherwise (-auth_uri). Either way the response is over the uri as sent,
 * so with the proxy's address it does not cover the Request-URI; a replay
 * is refused all the same (the nonce is this flow's, each nc used once).
 */
static int
digest_uri_ok(const struct agent_config *ac, struct rt_sip_str uri,
    struct rt_sip_str ruri)
{
	struct rt_sip_uri u, r;

	if (rt_sip_uri_parse(uri, &u) != 0)
		return 0;
	if (rt_sip_uri_parse(ruri, &r) == 0 && uri_equivalent(&u, &r))
		return 1;
	return (rt_sip_str_ieq(u.scheme, "sip") || rt_sip_str_ieq(u.scheme, "sips")) &&
	    u.user.len == 0 && u.password.len == 0 && u.host.len > 0 &&
	    agent_config_is_proxy(ac, &u);
}

int
agent_auth_security_ok(const struct agent_check *c, int required)
{
	const char *ours = c->agent->config->security_server;
	int v = c->msg.first[RT_HDR_SECURITY_VERIFY];

	if (*ours == '\0' || !required)
		return 1;
	return v >= 0 && rt_sip_str_eq(c->msg.headers[v].value, ours);
}

static void
forbid(struct agent_check *c, const char *reason, const char *phrase)
{
	agent_verdict(c, 403, reason, "%s\r\n", phrase);
}

static void
count_failure(struct agent_check *c)
{
	struct agent *a = c->agent;
	time_t now = rt_time_now();

	if (agent_limiter_fail(a->fail_source, c->src, now))
		log_warn("event=source_banned src=%s seconds=%ld", c->src,
		    a->config->ban_time);
	if (c->creds.username[0] != '\0' &&
	    agent_limiter_fail(a->fail_identity, c->creds.username, now))
		log_warn("event=identity_banned user=%s seconds=%ld", c->creds.username,
		    a->config->ban_time);
}

/* The home realm answered. */
static void
auth_done(void *arg, int err, const struct rt_auth_response *resp)
{
	struct agent_check *c = arg;
	struct agent *a = c->agent;
	time_t now = rt_time_now();

	if (err != 0 || resp == NULL) {
		log_warn("event=auth_unavailable user=%s home=%s reason=%s",
		    c->creds.username, c->home, rt_errname(err));
		agent_verdict(c, 503, "home_unavailable",
		    "Service Unavailable\r\nRetry-After: %ld\r\n", a->config->retry_after);
		agent_check_finish(c);
		return;
	}
	switch (resp->result) {
	case RT_AUTH_OK:
		break;
	case RT_AUTH_WRONG_CREDENTIALS:
		count_failure(c);
		agent_auth_challenge(c, 0, "wrong_credentials");
		agent_check_finish(c);
		return;
	case RT_AUTH_LOCKED:
		forbid(c, "locked", "Forbidden (account locked)");
		agent_check_finish(c);
		return;
	case RT_AUTH_DISABLED:
		forbid(c, "disabled", "Forbidden (account disabled)");
		agent_check_finish(c);
		return;
	case RT_AUTH_PASSWORD_EXPIRED:
		forbid(c, "password_expired", "Forbidden (password expired)");
		agent_check_finish(c);
		return;
	case RT_AUTH_NO_AGREEMENT:
		forbid(c, "no_agreement", "Forbidden (no roaming agreement)");
		agent_check_finish(c);
		return;
	case RT_AUTH_NO_SERVICE:
		forbid(c, "no_service", "Forbidden (service not allowed)");
		agent_check_finish(c);
		return;
	default:
		agent_verdict(c, 503, "home_unavailable",
		    "Service Unavailable\r\nRetry-After: %ld\r\n", a->config->retry_after);
		agent_check_finish(c);
		return;
	}
	/* our broker checked signature, issuer, audience and agreement; the
	 * identity is ours to check against what was registered */
	if (!resp->has_assertion || strcmp(resp->assertion.public_id, c->aor) != 0 ||
	    strcmp(resp->assertion.audience, a->config->realm) != 0 ||
	    resp->assertion.not_on_or_after <= now) {
		log_warn("event=assertion_mismatch user=%s aor=%s", c->creds.username,
		    c->aor);
		agent_verdict(c, 503, "assertion_refused",
		    "Service Unavailable\r\nRetry-After: %ld\r\n", a->config->retry_after);
		agent_check_finish(c);
		return;
	}
	agent_limiter_ok(a->fail_source, c->src);
	agent_limiter_ok(a->fail_identity, c->creds.username);
	agent_policy_authenticated(c, &resp->assertion);
	agent_check_finish(c);
}

/* The credentials of a request for realm, if any: index of the header. */
static int
find_credentials(struct agent_check *c, enum rt_sip_hdr id)
{
	for (int i = rt_sip_next(&c->msg, id, -1); i >= 0; i = rt_sip_next(&c->msg, id, i)) {
		const struct rt_sip_header *h = &c->msg.headers[i];
		const char *why = NULL;

		if (rt_digest_parse(h->value.p, h->value.len, &c->creds, &why) != 0) {
			log_info("event=credentials_refused src=%s reason=\"%s\"", c->src,
			    why != NULL ? why : "malformed");
			continue;
		}
		if (strcmp(c->creds.realm, c->home) == 0)
			return i;
	}
	memset(&c->creds, 0, sizeof(c->creds));
	return -1;
}

int
agent_auth_start(struct agent_check *c, enum rt_sip_hdr cred_hdr)
{
	struct agent *a = c->agent;
	char client[AGENT_FLOW_MAX + RT_REALM_MAX + 2];
	struct rt_auth_request req;
	struct rt_sip_str uri;
	time_t now = rt_time_now();
	int offered = 0, r;

	/* a banned source gets no challenge either: scanners learn nothing */
	if (agent_limiter_banned(a->fail_source, c->src, now)) {
		forbid(c, "banned", "Forbidden");
		return 0;
	}
	if (find_credentials(c, cred_hdr) < 0) {
		agent_auth_challenge(c, 0, "challenge");
		return 0;
	}
	if (agent_limiter_banned(a->fail_identity, c->creds.username, now)) {
		forbid(c, "banned", "Forbidden");
		return 0;
	}
	for (int i = 0; i < a->config->nalgorithms; i++)
		offered |= a->config->algorithms[i] == c->creds.alg;
	nonce_client(c, client, sizeof(client));
	if (!offered || (r = rt_nonce_check(a->nonces, c->creds.nonce, client, now)) ==
	    RT_ERR_SIG_BAD) {
		count_failure(c);
		agent_auth_challenge(c, 0, "bad_nonce");
		return 0;
	}
	if (r == RT_ERR_EXPIRED) {
		agent_auth_challenge(c, 1, "stale_nonce");
		return 0;
	}
	if (r != 0) {
		/* the check itself failed (no memory, HMAC): never go on unchecked */
		agent_verdict(c, 500, "internal", "Server Internal Error\r\n");
		return 0;
	}
	/* without qop there is no nc: the nonce is then good for one use */
	r = rt_nonce_use(a->nonces, c->creds.nonce,
	    c->creds.qop[0] != '\0' ? c->creds.nc : "00000001", now);
	if (r == RT_ERR_EXPIRED) {
		/* no longer tracked (evicted): stale, not the client's fault */
		agent_auth_challenge(c, 1, "stale_nonce");
		return 0;
	}
	if (r != 0) {
		log_info("event=nonce_replayed src=%s user=%s", c->src, c->creds.username);
		count_failure(c);
		agent_auth_challenge(c, 0, "nonce_replay");
		return 0;
	}
	uri.p = c->creds.uri;
	uri.len = strlen(c->creds.uri);
	/* what the home realm gets must be what the UA hashed: never cut it */
	if (uri.len >= sizeof(((struct rt_auth_request *)0)->uri) ||
	    !digest_uri_ok(a->config, uri, c->msg.ruri)) {
		forbid(c, "digest_uri", "Forbidden (digest uri is not the Request-URI)");
		return 0;
	}
	/*
	 * RFC 3329: the Security-Verify must repeat our Security-Server, when
	 * the client asked for an agreement (Security-Client) and whenever it
	 * sends one, with or without Security-Client: one we did not offer
	 * is a tampered or downgraded negotiation.
	 */
	if (!agent_auth_security_ok(c, c->msg.first[RT_HDR_SECURITY_CLIENT] >= 0 ||
	    c->msg.first[RT_HDR_SECURITY_VERIFY] >= 0)) {
		forbid(c, "security_agreement", "Forbidden (security agreement mismatch)");
		return 0;
	}
	memset(&req, 0, sizeof(req));
	snprintf(req.public_id, sizeof(req.public_id), "%s", c->aor);
	snprintf(req.username, sizeof(req.username), "%s", c->creds.username);
	snprintf(req.digest_realm, sizeof(req.digest_realm), "%s", c->creds.realm);
	(void)!rt_sip_str_copy(c->msg.method_name, req.method, sizeof(req.method));
	snprintf(req.uri, sizeof(req.uri), "%s", c->creds.uri);
	snprintf(req.nonce, sizeof(req.nonce), "%s", c->creds.nonce);
	snprintf(req.algorithm, sizeof(req.algorithm), "%s", alg_name(c->creds.alg));
	snprintf(req.qop, sizeof(req.qop), "%s", c->creds.qop);
	snprintf(req.nc, sizeof(req.nc), "%s", c->creds.nc);
	snprintf(req.cnonce, sizeof(req.cnonce), "%s", c->creds.cnonce);
	snprintf(req.response, sizeof(req.response), "%s", c->creds.response);
	if (strcmp(c->creds.qop, "auth-int") == 0 &&
	    rt_digest_hash(c->creds.alg, c->msg.body.p, c->msg.body.len,
	    req.body_hash) != 0) {
		agent_verdict(c, 500, "internal", "Server Internal Error\r\n");
		return 0;
	}
	if ((r = agent_broker_auth(a, &req, auth_done, c)) != 0) {
		agent_verdict(c, 503, "broker_unavailable",
		    "Service Unavailable\r\nRetry-After: %ld\r\n", a->config->retry_after);
		return 0;
	}
	return 1;
}
