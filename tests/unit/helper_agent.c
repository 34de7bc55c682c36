#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helper_agent.h"
#include "rt_codec.h"
#include "rt_log.h"

#define STR2(x) #x
#define STR(x) STR2(x)

int
agent_fixture_setup(void **state)
{
	struct agent_fixture *fx = calloc(1, sizeof(*fx));
	char err[512];
	FILE *f;

	assert_non_null(fx);
	rt_log_init("test_agent", RT_LOG_STDERR, RT_LOG_NONE);
	rt_time_set_now(AGENT_T0);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/rt-agent-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->conf, sizeof(fx->conf), "%s/agent.conf", fx->dir);
	snprintf(fx->state, sizeof(fx->state), "%s/state", fx->dir);
	assert_non_null(f = fopen(fx->conf, "w"));
	fprintf(f, "[agent]\n"
	    "realm = " VISITED "\n"
	    "local_realms = " VISITED ", " LOCAL2 "\n"
	    "broker = ipc://%s/broker.sock\n"
	    "state_dir = %s\n"
	    "digest_algorithms = SHA-256, MD5\n"
	    "nonce_lifetime = " STR(NONCE_LIFETIME) "s\n"
	    "retry_after = " STR(RETRY_AFTER) "s\n"
	    "auth_timeout = " STR(AUTH_TIMEOUT) "s\n"
	    "max_expires = " STR(MAX_EXPIRES) "s\n"
	    "date_window = " STR(DATE_WINDOW) "s\n"
	    "store_and_forward = " SAF_IP "\n"
	    "proxy_uris = " PROXY_HOST ", " PROXY_IP ":5070\n"
	    "trust_domains = " TRUSTED_PEER "\n"
	    "security_server = " SEC_SERVER "\n"
	    "max_bindings = " STR(MAX_BINDINGS) "\n"
	    "max_bindings_per_flow = " STR(MAX_BINDINGS_PER_FLOW) "\n"
	    "fail_window = " STR(FAIL_WINDOW) "s\n"
	    "fail_limit_source = " STR(FAIL_LIMIT_SOURCE) "\n"
	    "fail_limit_identity = " STR(FAIL_LIMIT_IDENTITY) "\n"
	    "ban_time = " STR(BAN_TIME) "s\n"
	    "log_level = err\n", fx->dir, fx->state);
	assert_int_equal(fclose(f), 0);
	if (agent_config_load(fx->conf, &fx->config, err, sizeof(err)) != 0)
		fail_msg("agent.conf refused: %s", err);
	assert_int_equal(agent_new(&fx->config, &fx->agent), 0);
	*state = fx;
	return 0;
}

int
agent_fixture_teardown(void **state)
{
	struct agent_fixture *fx = *state;

	agent_check_free(fx->check);
	agent_free(fx->agent);
	agent_config_fini(&fx->config);
	unlink(fx->conf);
	rmdir(fx->state);
	assert_int_equal(rmdir(fx->dir), 0);
	free(fx);
	rt_time_set_now(0);
	return 0;
}

size_t
agent_sip_text(const struct sip_req *req, char *out, size_t cap)
{
	const char *method = req->method != NULL ? req->method : "REGISTER";
	int reg = strcmp(method, "REGISTER") == 0;
	const char *body = req->body != NULL ? req->body : "";
	const char *contact = req->contact != NULL ? req->contact :
	    "<sip:alice@" UA_IP ":5060>;expires=600";
	int n;

	n = snprintf(out, cap,
	    "%s %s SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP " UA_IP ":5060;branch=z9hG4bK-74bf9\r\n"
	    "Max-Forwards: 70\r\n"
	    "From: <%s>;tag=9fxced76sl\r\n"
	    "To: <%s>\r\n"
	    "Call-ID: 3848276298220188511@" UA_IP "\r\n"
	    "CSeq: 2 %s\r\n"
	    "%s%s%s%s"
	    "Content-Length: %zu\r\n"
	    "\r\n%s",
	    method,
	    req->ruri != NULL ? req->ruri : reg ? "sip:" HOME : CALLEE,
	    req->from != NULL ? req->from : ALICE,
	    req->to != NULL ? req->to : reg ? ALICE : CALLEE,
	    method,
	    reg && *contact != '\0' ? "Contact: " : "", reg ? contact : "",
	    reg && *contact != '\0' ? "\r\n" : "",
	    req->extra != NULL ? req->extra : "",
	    strlen(body), body);
	assert_true(n > 0 && (size_t)n < cap);
	return (size_t)n;
}

void
agent_keep_nonce(struct agent_fixture *fx)
{
	const char *p;

	fx->nonce[0] = '\0';
	if ((p = strstr(rt_buf_str(&fx->check->body), "nonce=\"")) != NULL) {
		p += strlen("nonce=\"");
		assert_true(strlen(p) > RT_NONCE_LEN && p[RT_NONCE_LEN] == '"');
		memcpy(fx->nonce, p, RT_NONCE_LEN);
		fx->nonce[RT_NONCE_LEN] = '\0';
	}
}

struct agent_check *
agent_run_raw(struct agent_fixture *fx, const char *proto, const char *src, int port,
    const char *raw, size_t len)
{
	agent_check_free(fx->check);
	fx->check = NULL;
	assert_int_equal(agent_check_new(fx->agent, proto, src, port, raw, len,
	    &fx->check), 0);
	/* no broker: every verdict is there at once */
	assert_int_equal(agent_check_run(fx->check), 0);
	agent_keep_nonce(fx);
	return fx->check;
}

struct agent_check *
agent_run(struct agent_fixture *fx, const char *src, int port, const struct sip_req *req)
{
	char text[8192];
	size_t len = agent_sip_text(req, text, sizeof(text));

	return agent_run_raw(fx, "udp", src, port, text, len);
}

void
agent_expect(const struct agent_check *c, int status, const char *body)
{
	const char *got = rt_buf_str(&c->body);

	if (c->status != status || strcmp(got, body) != 0)
		fail_msg("verdict %d \"%s\" (reason %s), want %d \"%s\"", c->status, got,
		    c->reason, status, body);
}

void
agent_challenge_text(const struct agent_fixture *fx, int proxy, int stale,
    int security, char *out, size_t cap)
{
	const char *hdr = proxy ? "Proxy-Authenticate" : "WWW-Authenticate";
	const char *st = stale ? ", stale=true" : "";
	int n;

	assert_int_equal(strlen(fx->nonce), RT_NONCE_LEN);
	n = snprintf(out, cap, "%s\r\n"
	    "%s: Digest realm=\"" HOME "\", nonce=\"%s\", algorithm=SHA-256, "
	    "qop=\"auth\"%s\r\n"
	    "%s: Digest realm=\"" HOME "\", nonce=\"%s\", algorithm=MD5, "
	    "qop=\"auth\"%s\r\n%s",
	    proxy ? "Proxy Authentication Required" : "Unauthorized",
	    hdr, fx->nonce, st, hdr, fx->nonce, st,
	    security ? "Security-Server: " SEC_SERVER "\r\n" : "");
	assert_true(n > 0 && (size_t)n < cap);
}

void
agent_credentials(const char *hdr, enum rt_digest_alg alg, const char *user,
    const char *nonce, const char *uri, const char *method, const char *nc,
    char *out, size_t cap)
{
	struct rt_digest_creds c;
	char ha1[RT_DIGEST_HEX_MAX], resp[RT_DIGEST_HEX_MAX], qop[80] = "";
	int n;

	memset(&c, 0, sizeof(c));
	snprintf(c.username, sizeof(c.username), "%s", user);
	snprintf(c.realm, sizeof(c.realm), "%s", HOME);
	snprintf(c.nonce, sizeof(c.nonce), "%s", nonce);
	snprintf(c.uri, sizeof(c.uri), "%s", uri);
	c.alg = alg;
	if (nc != NULL) {
		snprintf(c.qop, sizeof(c.qop), "auth");
		snprintf(c.nc, sizeof(c.nc), "%s", nc);
		snprintf(c.cnonce, sizeof(c.cnonce), "0a4f113b");
		snprintf(qop, sizeof(qop), ", qop=auth, nc=%s, cnonce=\"0a4f113b\"", nc);
	}
	assert_int_equal(rt_digest_ha1(alg, user, HOME, PASSWORD, ha1), 0);
	assert_int_equal(rt_digest_response(alg, ha1, &c, method, NULL, resp), 0);
	n = snprintf(out, cap, "%s: Digest username=\"%s\", realm=\"" HOME "\", "
	    "nonce=\"%s\", uri=\"%s\", response=\"%s\", algorithm=%s%s\r\n", hdr, user,
	    nonce, uri, resp, alg == RT_DIGEST_SHA256 ? "SHA-256" : "MD5", qop);
	assert_true(n > 0 && (size_t)n < cap);
}

void
agent_put_binding(struct agent_fixture *fx, const char *flow, const char *aor,
    const char *services, time_t not_on_or_after, time_t expires)
{
	struct agent_binding *b = calloc(1, sizeof(*b));
	char list[256], *save = NULL, *s;

	assert_non_null(b);
	snprintf(b->flow, sizeof(b->flow), "%s", flow);
	snprintf(b->aor, sizeof(b->aor), "%s", aor);
	snprintf(b->contact, sizeof(b->contact), "sip:alice@" UA_IP ":5060");
	snprintf(b->home, sizeof(b->home), "%s", HOME);
	b->expires = expires;
	snprintf(b->assertion.id, sizeof(b->assertion.id),
	    "0190f3c2-7a1e-7c3d-9a4b-5e6f7a8b9c0d");
	snprintf(b->assertion.issuer, sizeof(b->assertion.issuer), "%s", HOME);
	snprintf(b->assertion.audience, sizeof(b->assertion.audience), "%s",
	    fx->config.realm);
	snprintf(b->assertion.public_id, sizeof(b->assertion.public_id), "%s", aor);
	snprintf(b->assertion.private_id, sizeof(b->assertion.private_id), "alice");
	snprintf(list, sizeof(list), "%s", services);
	for (s = strtok_r(list, ",", &save); s != NULL; s = strtok_r(NULL, ",", &save))
		snprintf(b->assertion.services[b->assertion.nservices++], RT_SERVICE_MAX,
		    "%s", s);
	snprintf(b->assertion.agreement_ref, sizeof(b->assertion.agreement_ref),
	    "0190f3c2-0000-7000-8000-00000000a9e1");
	snprintf(b->assertion.authn_method, sizeof(b->assertion.authn_method),
	    "digest-sha256");
	b->assertion.authn_instant = rt_time_now();
	b->assertion.issued_at = rt_time_now();
	b->assertion.not_on_or_after = not_on_or_after;
	assert_int_equal(agent_bindings_put(fx->agent->bindings, b), 0);
	free(b);
}

void
agent_sip_date(time_t t, char *out, size_t cap)
{
	struct tm tm;

	assert_non_null(gmtime_r(&t, &tm));
	assert_true(strftime(out, cap, "%a, %d %b %Y %H:%M:%S GMT", &tm) > 0);
}
