/*
 * rt_msg_read's fast path (AuthRequest, AuthResponse in canonical form):
 * what our encoders write is read without libxml2 and gives exactly the
 * struct the schema path gives; every near miss is declined by the fast
 * path and then answered by libxml2 and the schema as before (accepted
 * with the same fields, or refused).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_log.h"
#include "rt_msg.h"

#define DECL "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"

static void
sample_request(struct rt_auth_request *req)
{
	memset(req, 0, sizeof(*req));
	strcpy(req->agreement_ref, "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");
	strcpy(req->public_id, "sip:alice@home.example");
	strcpy(req->username, "alice@home.example");
	strcpy(req->digest_realm, "home.example");
	strcpy(req->method, "REGISTER");
	strcpy(req->uri, "sip:127.0.0.1:5060");
	strcpy(req->nonce, "AbCdEf0123456789+/=");
	strcpy(req->algorithm, "SHA-256");
	strcpy(req->qop, "auth");
	strcpy(req->nc, "00000001");
	strcpy(req->cnonce, "0a4f113b");
	strcpy(req->response, "6629fae49393a05397450978507c4ef1");
	strcpy(req->services[0], "voice");
	strcpy(req->services[1], "message");
	req->nservices = 2;
}

static void
sample_response(struct rt_auth_response *resp)
{
	struct rt_assertion *a = &resp->assertion;

	memset(resp, 0, sizeof(*resp));
	resp->result = RT_AUTH_OK;
	resp->has_assertion = 1;
	strcpy(a->id, "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c");
	strcpy(a->issuer, "home.example");
	strcpy(a->audience, "visited.example");
	strcpy(a->public_id, "sip:alice@home.example");
	strcpy(a->private_id, "alice@home.example");
	strcpy(a->services[0], "voice");
	a->nservices = 1;
	strcpy(a->authn_method, "digest-sha256");
	a->authn_instant = 1794999960;
	a->issued_at = 1794999960;
	a->not_on_or_after = 1795003560;
	strcpy(a->agreement_ref, "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");
}

/* Reads text both ways; returns whether the fast path took it, and checks
 * that when it did, libxml2 and the schema give the same fields. */
static int
both_ways(const char *text, size_t len, int *slow_ok)
{
	struct rt_msg_in *fast = calloc(1, sizeof(*fast)), *slow = calloc(1, sizeof(*slow));
	int took;

	assert_non_null(fast);
	assert_non_null(slow);
	took = rt_msg_read_fast((const uint8_t *)text, len, fast) == 0;
	*slow_ok = rt_msg_parse((const uint8_t *)text, len, &slow->type, &slow->doc) == 0;
	if (took) {
		assert_true(*slow_ok);
		assert_int_equal(fast->type, slow->type);
		if (slow->type == RT_MSG_AUTH_REQUEST) {
			struct rt_auth_request a, b;

			assert_int_equal(rt_auth_request_get(fast, &a), 0);
			assert_int_equal(rt_auth_request_get(slow, &b), 0);
			assert_memory_equal(&a, &b, sizeof(a));
		} else {
			struct rt_auth_response a, b;

			assert_int_equal(rt_auth_response_get(fast, &a), 0);
			assert_int_equal(rt_auth_response_get(slow, &b), 0);
			assert_memory_equal(&a, &b, sizeof(a));
		}
	}
	rt_msg_in_fini(slow);
	free(fast);
	free(slow);
	return took;
}

static void
test_encoded_take_the_fast_path(void **state)
{
	struct rt_auth_request req, got;
	struct rt_auth_response resp, gotr;
	struct rt_msg_in *m = calloc(1, sizeof(*m));
	struct rt_buf xml;
	int slow_ok;

	(void)state;
	assert_non_null(m);
	sample_request(&req);
	rt_buf_init(&xml, 65536);
	assert_int_equal(rt_auth_request_encode(&req, &xml), 0);
	assert_true(both_ways((const char *)xml.data, xml.len, &slow_ok));
	assert_int_equal(rt_msg_read(xml.data, xml.len, m), 0);
	assert_null(m->doc);
	assert_int_equal(rt_auth_request_get(m, &got), 0);
	assert_memory_equal(&got, &req, sizeof(req));
	assert_int_equal(rt_auth_response_get(m, &gotr), RT_ERR_TYPE);

	/* an agent's request: no AgreementRef, no qop, no services */
	req.agreement_ref[0] = req.qop[0] = req.nc[0] = req.cnonce[0] = '\0';
	req.nservices = 0;
	memset(req.services, 0, sizeof(req.services));
	rt_buf_reset(&xml);
	assert_int_equal(rt_auth_request_encode(&req, &xml), 0);
	assert_true(both_ways((const char *)xml.data, xml.len, &slow_ok));

	sample_response(&resp);
	memset(resp.assertion.services, 0, sizeof(resp.assertion.services));
	for (int i = 0; i < 16; i++)
		snprintf(resp.assertion.services[i], RT_SERVICE_MAX, "s%d", i);
	resp.assertion.nservices = 16;
	rt_buf_reset(&xml);
	assert_int_equal(rt_auth_response_encode(&resp, &xml), 0);
	assert_true(both_ways((const char *)xml.data, xml.len, &slow_ok));
	assert_int_equal(rt_msg_read(xml.data, xml.len, m), 0);
	assert_null(m->doc);
	assert_int_equal(rt_auth_response_get(m, &gotr), 0);
	assert_memory_equal(&gotr, &resp, sizeof(resp));

	/* refusals: a reason, no assertion */
	memset(&resp, 0, sizeof(resp));
	resp.result = RT_AUTH_LOCKED;
	strcpy(resp.reason, "too many failures; try later");
	rt_buf_reset(&xml);
	assert_int_equal(rt_auth_response_encode(&resp, &xml), 0);
	assert_true(both_ways((const char *)xml.data, xml.len, &slow_ok));
	rt_buf_fini(&xml);
	free(m);
}

/* Near misses: the fast path declines each; libxml2 answers (ok = whether
 * the schema path accepts it). */
static void
test_near_misses_are_declined(void **state)
{
	static const struct {
		const char *xml;
		int ok;
	} cases[] = {
		/* spelled otherwise, valid: libxml2 reads them */
		{DECL "<AuthResponse xmlns=\"urn:roamtrust:1\"> <Result>ok</Result></AuthResponse>", 1},
		{DECL "<AuthResponse xmlns=\"urn:roamtrust:1\"><Result>locked</Result><Reason>a &amp; b</Reason></AuthResponse>", 1},
		{DECL "<AuthResponse xmlns=\"urn:roamtrust:1\"><Result>locked</Result><Reason>a\tb</Reason></AuthResponse>", 1},
		{DECL "<AuthResponse xmlns=\"urn:roamtrust:1\"><Result>locked</Result><Reason>caf\xc3\xa9</Reason></AuthResponse>", 1},
		{DECL "<AuthResponse xmlns=\"urn:roamtrust:1\"><Result>locked</Result><!-- c --></AuthResponse>", 0},
		{DECL "<AuthResponse xmlns='urn:roamtrust:1'><Result>ok</Result></AuthResponse>", 1},
		{DECL "<rt:AuthResponse xmlns:rt=\"urn:roamtrust:1\"><rt:Result>ok</rt:Result></rt:AuthResponse>", 1},
		{DECL "<AuthResponse xmlns=\"urn:roamtrust:1\"><Result>ok</Result></AuthResponse>\n", 1},
		{"<AuthResponse xmlns=\"urn:roamtrust:1\"><Result>ok</Result></AuthResponse>", 1},
		/* invalid: refused either way */
		{DECL "<AuthResponse xmlns=\"urn:roamtrust:2\"><Result>ok</Result></AuthResponse>", 0},
		{DECL "<AuthResponse xmlns=\"urn:roamtrust:1\"><Result>fine</Result></AuthResponse>", 0},
		{DECL "<AuthResponse xmlns=\"urn:roamtrust:1\"><Result>ok</Result><Extra/></AuthResponse>", 0},
		{DECL "<AuthResponse xmlns=\"urn:roamtrust:1\"><Reason>x</Reason><Result>ok</Result></AuthResponse>", 0},
		{DECL "<AuthResponse xmlns=\"urn:roamtrust:1\"><Result>ok</Result></AuthResponse><x/>", 0},
		{DECL "<AuthResponse xmlns=\"urn:roamtrust:1\"><Result>ok</Result>", 0},
		{DECL "<AuthRequest xmlns=\"urn:roamtrust:1\"><PublicIdentity>sip:a@b.example</PublicIdentity></AuthRequest>", 0},
	};
	int slow_ok;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_false(both_ways(cases[i].xml, strlen(cases[i].xml), &slow_ok));
		if (slow_ok != cases[i].ok)
			fail_msg("case %zu: libxml2 %s it", i, slow_ok ? "accepts" : "refuses");
	}
}

/* One field of an encoded response replaced: the fast path must either
 * take the result with libxml2's agreement or decline it. */
static void
test_field_facets(void **state)
{
	static const struct {
		const char *from, *to;
		int fast;
	} edits[] = {
		{"<Issuer>home.example<", "<Issuer>home<", 0},
		{"<Issuer>home.example<", "<Issuer>Home.example<", 0},
		{"<Issuer>home.example<", "<Issuer>-home.example<", 0},
		{"<Issuer>home.example<", "<Issuer>home-.example<", 0},
		{"<Issuer>home.example<", "<Issuer>home..example<", 0},
		{"<Issuer>home.example<", "<Issuer>a-b.c0<", 1},
		{"<Service>voice<", "<Service>Voice<", 0},
		{"<Service>voice<", "<Service>v-1<", 1},
		{"<Service>voice<", "<Service>abcdefghijklmnopqrstuvwxyz0123456<", 0},
		{"<Service>voice<", "<Service>abcdefghijklmnopqrstuvwxyz012345<", 1},
		{"<AuthnMethod>digest-sha256<", "<AuthnMethod>digest<", 0},
		{"<AuthnInstant>2026-11-18T", "<AuthnInstant>2026-13-18T", 0},
		{"<AuthnInstant>2026-11-18T", "<AuthnInstant>2026-02-30T", 0},
		{"<AuthnInstant>2026-11-18T", "<AuthnInstant>1969-11-18T", 0},
		{":00Z</AuthnInstant>", ":60Z</AuthnInstant>", 0},
		{":00Z</AuthnInstant>", ":00+00:00</AuthnInstant>", 0},
		{":00Z</AuthnInstant>", ":00.5Z</AuthnInstant>", 0},
		{"a5c\">", "a5C\">", 0},
		{"a5c\">", "a5\">", 0},
		{"<PublicIdentity>sip:alice@home.example<", "<PublicIdentity>sip:<", 0},
		{"<PrivateIdentity>alice@home.example<", "<PrivateIdentity><", 0},
		{"<PrivateIdentity>alice@home.example<", "<PrivateIdentity>al ice<", 0},
		{"<AgreementRef>0190a1b2", "<AgreementRef>0190A1B2", 0},
	};
	struct rt_auth_response resp;
	struct rt_buf xml;
	char text[8192], *at;
	int slow_ok;

	(void)state;
	sample_response(&resp);
	rt_buf_init(&xml, 65536);
	assert_int_equal(rt_auth_response_encode(&resp, &xml), 0);
	assert_true(xml.len < sizeof(text) / 2);
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		memcpy(text, xml.data, xml.len);
		text[xml.len] = '\0';
		if ((at = strstr(text, edits[i].from)) == NULL)
			fail_msg("edit %zu: '%s' not in %s", i, edits[i].from, text);
		memmove(at + strlen(edits[i].to), at + strlen(edits[i].from),
		    strlen(at + strlen(edits[i].from)) + 1);
		memcpy(at, edits[i].to, strlen(edits[i].to));
		if (both_ways(text, strlen(text), &slow_ok) != edits[i].fast)
			fail_msg("edit %zu: the fast path %s %s", i,
			    edits[i].fast ? "declined" : "took", text);
	}
	rt_buf_fini(&xml);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encoded_take_the_fast_path),
		cmocka_unit_test(test_near_misses_are_declined),
		cmocka_unit_test(test_field_facets),
	};

	rt_log_init("test_msg_fast", RT_LOG_STDERR, RT_LOG_NONE);
	if (rt_xml_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
