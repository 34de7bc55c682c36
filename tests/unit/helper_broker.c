/* See helper_broker.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "helper_bench.h"
#include "helper_broker.h"
#include "helper_pki.h"
#include "rt_codec.h"
#include "rt_file.h"

static const char *const realm_names[4] = {TB_HOME, TB_VISITED, TB_WIDE, TB_OTHER};

/* The federation, made once for a group. */
static struct {
	struct th_fed *fed;
	struct th_realm *realm[4];	/* as enum tb_realm */
	X509_CRL *crl;
	int brokers;			/* state folders made so far */
} fed;

int
tb_fed_setup(void **state)
{
	char dir[600];

	(void)state;
	assert_int_equal(rt_xml_init(), 0);
	assert_int_equal(th_fed_new("Broker Test Federation", &fed.fed), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(th_fed_realm(fed.fed, realm_names[i], -60, 86400,
		    &fed.realm[i]), 0);
	assert_int_equal(th_fed_crl(fed.fed, -60, 86400, &fed.crl, NULL), 0);
	snprintf(dir, sizeof(dir), "%s/agreements", fed.fed->dir);
	assert_int_equal(rt_dir_ensure(dir, 0755), 0);
	assert_int_equal(th_write_agreement(fed.realm[TB_REALM_HOME],
	    fed.realm[TB_REALM_VISITED], dir, "hv", "voice:minute:12",
	    TB_VISITED_MAX), 0);
	assert_int_equal(th_write_agreement(fed.realm[TB_REALM_HOME],
	    fed.realm[TB_REALM_WIDE], dir, "hw", "voice:minute:12,message:message:2",
	    TB_WIDE_MAX), 0);
	return 0;
}

int
tb_fed_teardown(void **state)
{
	(void)state;
	for (int i = 0; i < 4; i++)
		th_realm_free(fed.realm[i]);
	X509_CRL_free(fed.crl);
	th_fed_free(fed.fed);
	memset(&fed, 0, sizeof(fed));
	return 0;
}

/* The broker of realm in a fresh state folder, its CRL cache there so
 * that broker_new loads the agreements at once. */
static struct broker *
broker_make(enum tb_realm realm, struct broker_config *bc)
{
	const struct th_realm *r = fed.realm[realm];
	struct broker *b = NULL;
	char state[600], path[700], text[4096], err[512];
	int n;

	snprintf(state, sizeof(state), "%s/state-%d", fed.fed->dir, ++fed.brokers);
	assert_int_equal(mkdir(state, 0700), 0);
	snprintf(path, sizeof(path), "%s/crl.pem", state);
	assert_int_equal(rt_crl_write(path, fed.crl), 0);
	n = snprintf(text, sizeof(text),
	    "[broker]\nrealm = %s\nkey = %s\ncert = %s\nca = %s\n"
	    "crl_url = file://%s/crl.pem\nlisten = tls+tcp://127.0.0.1:1\n"
	    "agreements = %s/agreements\nstate_dir = %s\nclock_skew = %ds\n"
	    "assertion_lifetime = %ds\nlockout_after = %d\nlockout_time = %ds\n",
	    r->realm, r->key_path, r->cert_path, fed.fed->ca_path, fed.fed->dir,
	    fed.fed->dir, state, TB_SKEW, TB_LIFETIME, TB_LOCKOUT_AFTER,
	    TB_LOCKOUT_TIME);
	assert_true(n > 0 && (size_t)n < sizeof(text));
	snprintf(path, sizeof(path), "%s/broker.conf", state);
	assert_int_equal(rt_file_write(path, text, (size_t)n, 0600, 0), 0);
	if (broker_config_load(path, bc, err, sizeof(err)) != 0)
		fail_msg("config: %s", err);
	assert_int_equal(broker_new(bc, &b), 0);
	assert_int_equal(broker_agreement_count(b), realm == TB_REALM_HOME ? 2 : 1);
	return b;
}

int
tb_setup(void **state)
{
	struct tb_fixture *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	fx->now = rt_time_now();
	rt_time_set_now(fx->now);
	fx->home = broker_make(TB_REALM_HOME, &fx->config);
	*state = fx;
	return 0;
}

int
tb_teardown(void **state)
{
	struct tb_fixture *fx = *state;

	broker_free(fx->home);
	broker_config_fini(&fx->config);
	if (fx->visited != NULL) {
		broker_free(fx->visited);
		broker_config_fini(&fx->visited_config);
	}
	rt_time_set_now(0);
	free(fx);
	return 0;
}

void
tb_visited(struct tb_fixture *fx)
{
	assert_null(fx->visited);
	fx->visited = broker_make(TB_REALM_VISITED, &fx->visited_config);
}

void
tb_add(struct tb_fixture *fx, const char *pub, const char *user,
    const char *password, const char *services, long max_age)
{
	char list[RT_SERVICES_MAX][RT_SERVICE_MAX], copy[256], *save = NULL, why[256];
	int n = 0;

	snprintf(copy, sizeof(copy), "%s", services);
	for (char *s = strtok_r(copy, ",", &save); s != NULL && n < RT_SERVICES_MAX;
	    s = strtok_r(NULL, ",", &save))
		snprintf(list[n++], RT_SERVICE_MAX, "%s", s);
	if (broker_subscriber_add(fx->home->subscribers, &fx->home->password_policy,
	    TB_HOME, pub, user, password, list, n, max_age, fx->now, why,
	    sizeof(why)) != 0)
		fail_msg("add %s: %s", pub, why);
}

struct broker_subscriber
tb_subscriber(struct tb_fixture *fx, const char *id)
{
	struct broker_subscriber s;

	assert_int_equal(broker_subscriber_get(fx->home->subscribers, id, &s), 0);
	return s;
}

void
tb_request(struct rt_auth_request *req, enum rt_digest_alg alg, const char *user,
    const char *aor)
{
	memset(req, 0, sizeof(*req));
	snprintf(req->public_id, sizeof(req->public_id), "%s", aor);
	snprintf(req->username, sizeof(req->username), "%s", user);
	snprintf(req->digest_realm, sizeof(req->digest_realm), TB_HOME);
	snprintf(req->method, sizeof(req->method), "REGISTER");
	snprintf(req->uri, sizeof(req->uri), "sip:" TB_HOME);
	snprintf(req->nonce, sizeof(req->nonce),
	    "AAAAAWiZ3kEAAAAAAAAAB3Jt4hZkY2RhNGQ1ZTZmN2E4YjljMGQxZTJmM2E0YjVj");
	snprintf(req->algorithm, sizeof(req->algorithm), "%s",
	    alg == RT_DIGEST_SHA256 ? "SHA-256" : "MD5");
	snprintf(req->qop, sizeof(req->qop), "auth");
	snprintf(req->nc, sizeof(req->nc), "00000001");
	snprintf(req->cnonce, sizeof(req->cnonce), "0a4f113b");
}

void
tb_answer(struct rt_auth_request *req, const char *password)
{
	enum rt_digest_alg alg = strcmp(req->algorithm, "SHA-256") == 0 ?
	    RT_DIGEST_SHA256 : RT_DIGEST_MD5;
	struct rt_digest_creds c;
	char ha1[RT_DIGEST_HEX_MAX];
	int auth_int = strcmp(req->qop, "auth-int") == 0;

	memset(&c, 0, sizeof(c));
	c.alg = alg;
	snprintf(c.nonce, sizeof(c.nonce), "%s", req->nonce);
	snprintf(c.uri, sizeof(c.uri), "%s", req->uri);
	snprintf(c.qop, sizeof(c.qop), "%s", req->qop);
	snprintf(c.nc, sizeof(c.nc), "%.8s", req->nc);
	snprintf(c.cnonce, sizeof(c.cnonce), "%s", req->cnonce);
	if (auth_int)
		assert_int_equal(rt_digest_hash(alg, TB_BODY, strlen(TB_BODY),
		    req->body_hash), 0);
	assert_int_equal(rt_digest_ha1(alg, req->username, req->digest_realm, password,
	    ha1), 0);
	assert_int_equal(rt_digest_response(alg, ha1, &c, req->method,
	    auth_int ? req->body_hash : NULL, req->response), 0);
}

void
tb_wire(const struct rt_buf *xml, struct rt_msg_in *m)
{
	if (rt_msg_read(xml->data, xml->len, m) != 0)
		fail_msg("not valid on the wire: %.*s", (int)xml->len,
		    (const char *)xml->data);
}

enum rt_auth_result
tb_auth(struct broker *b, const char *visited, const struct rt_auth_request *req,
    struct rt_auth_response *resp, struct rt_buf *bytes)
{
	struct rt_auth_request got;
	struct rt_auth_response direct;
	struct rt_msg_in m;
	struct rt_buf xml;

	rt_buf_init(&xml, RT_FRAME_MAX_ITEM);
	assert_int_equal(rt_auth_request_encode(req, &xml), 0);
	tb_wire(&xml, &m);
	assert_int_equal(rt_auth_request_get(&m, &got), 0);
	rt_msg_in_fini(&m);
	broker_auth_home(b, visited, &got, &direct);
	assert_int_equal(direct.has_assertion, direct.result == RT_AUTH_OK);
	rt_buf_reset(&xml);
	assert_int_equal(rt_auth_response_encode(&direct, &xml), 0);
	tb_wire(&xml, &m);
	assert_int_equal(rt_auth_response_get(&m, resp), 0);
	rt_msg_in_fini(&m);
	assert_int_equal(resp->result, direct.result);
	assert_string_equal(resp->reason, direct.reason);
	if (bytes != NULL)
		assert_int_equal(rt_buf_append(bytes, xml.data, xml.len), 0);
	rt_buf_fini(&xml);
	return resp->result;
}
