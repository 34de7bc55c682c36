/*
 * rt_cms + rt_doc: signed documents end to end against a throwaway
 * federation, and every way a signed document must be refused; the ids
 * documents carry (UUIDv4/v7: form, time order, no repeat across the
 * random pool's refills nor across a fork).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helper_pki.h"
#include "rt_cms.h"
#include "rt_doc.h"
#include "rt_log.h"

#define DAY 86400

struct fixture {
	struct th_fed *fed;
	struct th_fed *other;		/* another CA */
	struct th_realm *home, *visited, *third, *revoked, *expired, *foreign;
	struct rt_signer *s_home, *s_visited, *s_third, *s_revoked, *s_expired,
	    *s_foreign;
	X509_CRL *crl;
	struct rt_trust *trust;
	struct rt_doc_ctx ctx;
	time_t now;
};

static struct fixture fx;

static struct rt_signer *
signer_of(struct th_realm *r)
{
	struct rt_signer *s = NULL;

	assert_int_equal(rt_signer_new(r->key, r->cert, &s), 0);
	return s;
}

static int
setup(void **state)
{
	struct rt_trust_options topts = {1, 0, 0};

	(void)state;
	memset(&fx, 0, sizeof(fx));
	fx.now = time(NULL);
	if (th_fed_new("Test Federation", &fx.fed) != 0 ||
	    th_fed_new("Other Federation", &fx.other) != 0 ||
	    th_fed_realm(fx.fed, "home.example", -60, DAY, &fx.home) != 0 ||
	    th_fed_realm(fx.fed, "visited.example", -60, DAY, &fx.visited) != 0 ||
	    th_fed_realm(fx.fed, "third.example", -60, DAY, &fx.third) != 0 ||
	    th_fed_realm(fx.fed, "revoked.example", -60, DAY, &fx.revoked) != 0 ||
	    th_fed_realm(fx.fed, "expired.example", -2 * DAY, -DAY, &fx.expired) != 0 ||
	    th_fed_realm(fx.other, "home.example", -60, DAY, &fx.foreign) != 0 ||
	    th_fed_revoke(fx.fed, fx.revoked) != 0 ||
	    th_fed_crl(fx.fed, -60, DAY, &fx.crl, NULL) != 0)
		return -1;
	fx.s_home = signer_of(fx.home);
	fx.s_visited = signer_of(fx.visited);
	fx.s_third = signer_of(fx.third);
	fx.s_revoked = signer_of(fx.revoked);
	fx.s_expired = signer_of(fx.expired);
	fx.s_foreign = signer_of(fx.foreign);
	if (rt_trust_new(&topts, &fx.trust) != 0 ||
	    rt_trust_add_ca(fx.trust, fx.fed->ca_cert) != 0 ||
	    rt_trust_set_crl(fx.trust, fx.crl, fx.now) != 0)
		return -1;
	fx.ctx.trust = fx.trust;
	fx.ctx.now = fx.now;
	fx.ctx.skew = 60;
	fx.ctx.self_realm = "visited.example";
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	rt_signer_free(fx.s_home);
	rt_signer_free(fx.s_visited);
	rt_signer_free(fx.s_third);
	rt_signer_free(fx.s_revoked);
	rt_signer_free(fx.s_expired);
	rt_signer_free(fx.s_foreign);
	th_realm_free(fx.home);
	th_realm_free(fx.visited);
	th_realm_free(fx.third);
	th_realm_free(fx.revoked);
	th_realm_free(fx.expired);
	th_realm_free(fx.foreign);
	X509_CRL_free(fx.crl);
	rt_trust_free(fx.trust);
	th_fed_free(fx.fed);
	th_fed_free(fx.other);
	return 0;
}

static void
make_agreement(struct rt_agreement *a)
{
	memset(a, 0, sizeof(*a));
	assert_int_equal(rt_uuid_v4(a->id), 0);
	strcpy(a->home, "home.example");
	strcpy(a->visited, "visited.example");
	strcpy(a->currency, "EUR");
	strcpy(a->services[0].name, "voice");
	strcpy(a->services[0].unit, "minute");
	a->services[0].rate = 12;
	strcpy(a->services[1].name, "message");
	strcpy(a->services[1].unit, "message");
	a->services[1].rate = 2;
	a->nservices = 2;
	a->max_assertion = 3600;
	a->not_before = fx.now - 60;
	a->not_on_or_after = fx.now + DAY;
}

static void
make_assertion(struct rt_assertion *a)
{
	memset(a, 0, sizeof(*a));
	assert_int_equal(rt_uuid_v4(a->id), 0);
	assert_int_equal(rt_uuid_v4(a->agreement_ref), 0);
	strcpy(a->issuer, "home.example");
	strcpy(a->audience, "visited.example");
	strcpy(a->public_id, "sip:alice@home.example");
	strcpy(a->private_id, "alice@home.example");
	strcpy(a->services[0], "voice");
	a->nservices = 1;
	strcpy(a->authn_method, "digest-sha256");
	a->authn_instant = a->issued_at = fx.now;
	a->not_on_or_after = fx.now + 600;
}

/* Encodes and signs an assertion by signer; returns decode's result. */
static int
assertion_roundtrip(const struct rt_assertion *in, struct rt_signer *signer,
    int flags, struct rt_assertion *out)
{
	struct rt_buf xml, sig;
	int r;

	rt_buf_init(&xml, RT_XML_MAX);
	rt_buf_init(&sig, RT_CMS_SIG_MAX);
	assert_int_equal(rt_assertion_encode(in, &xml), 0);
	assert_int_equal(rt_cms_sign(signer, xml.data, xml.len, flags, &sig), 0);
	r = rt_assertion_decode(&fx.ctx, xml.data, xml.len, sig.data, sig.len, out);
	rt_buf_fini(&xml);
	rt_buf_fini(&sig);
	return r;
}

static void
test_agreement_two_signers(void **state)
{
	struct rt_agreement a, b;
	struct rt_buf xml, sig1, sig2, sig3;

	(void)state;
	rt_buf_init(&xml, RT_XML_MAX);
	rt_buf_init(&sig1, RT_CMS_SIG_MAX);
	rt_buf_init(&sig2, RT_CMS_SIG_MAX);
	rt_buf_init(&sig3, RT_CMS_SIG_MAX);
	make_agreement(&a);
	assert_int_equal(rt_agreement_encode(&a, &xml), 0);
	assert_int_equal(rt_cms_sign(fx.s_home, xml.data, xml.len,
	    RT_CMS_EMBED_CERT, &sig1), 0);
	/* one signature is not an agreement */
	assert_int_equal(rt_agreement_decode(&fx.ctx, xml.data, xml.len,
	    sig1.data, sig1.len, &b), RT_ERR_SIGNERS);
	/* the same realm twice is refused */
	assert_int_equal(rt_cms_add_signer(fx.s_home, xml.data, xml.len,
	    sig1.data, sig1.len, RT_CMS_EMBED_CERT, &sig3), RT_ERR_EXISTS);
	assert_int_equal(rt_cms_add_signer(fx.s_visited, xml.data, xml.len,
	    sig1.data, sig1.len, RT_CMS_EMBED_CERT, &sig2), 0);
	assert_int_equal(rt_agreement_decode(&fx.ctx, xml.data, xml.len,
	    sig2.data, sig2.len, &b), 0);
	assert_string_equal(b.id, a.id);
	assert_string_equal(b.home, "home.example");
	assert_string_equal(b.visited, "visited.example");
	assert_string_equal(b.currency, "EUR");
	assert_int_equal(b.nservices, 2);
	assert_int_equal(rt_agreement_service(&b, "voice")->rate, 12);
	assert_string_equal(rt_agreement_service(&b, "message")->unit, "message");
	assert_null(rt_agreement_service(&b, "video"));
	assert_int_equal(b.max_assertion, 3600);
	assert_true(b.not_before == a.not_before);
	assert_true(b.not_on_or_after == a.not_on_or_after);
	/* a third party may not sign along */
	rt_buf_reset(&sig3);
	assert_int_equal(rt_cms_add_signer(fx.s_third, xml.data, xml.len,
	    sig2.data, sig2.len, RT_CMS_EMBED_CERT, &sig3), 0);
	assert_int_equal(rt_agreement_decode(&fx.ctx, xml.data, xml.len,
	    sig3.data, sig3.len, &b), RT_ERR_REALM);
	/* we are not a party: third.example reading it */
	fx.ctx.self_realm = "third.example";
	assert_int_equal(rt_agreement_decode(&fx.ctx, xml.data, xml.len,
	    sig2.data, sig2.len, &b), RT_ERR_AUDIENCE);
	fx.ctx.self_realm = "visited.example";
	/* adding a signer to a signature over other bytes */
	xml.data[xml.len - 3] ^= 1;
	rt_buf_reset(&sig3);
	assert_int_equal(rt_cms_add_signer(fx.s_visited, xml.data, xml.len,
	    sig1.data, sig1.len, RT_CMS_EMBED_CERT, &sig3), RT_ERR_SIG_BAD);
	rt_buf_fini(&xml);
	rt_buf_fini(&sig1);
	rt_buf_fini(&sig2);
	rt_buf_fini(&sig3);
}

static void
test_signature_over_other_bytes(void **state)
{
	struct rt_assertion a, b;
	struct rt_buf xml, sig;
	char *p;

	(void)state;
	rt_buf_init(&xml, RT_XML_MAX);
	rt_buf_init(&sig, RT_CMS_SIG_MAX);
	make_assertion(&a);
	assert_int_equal(rt_assertion_encode(&a, &xml), 0);
	assert_int_equal(rt_cms_sign(fx.s_home, xml.data, xml.len,
	    RT_CMS_EMBED_CERT, &sig), 0);
	assert_int_equal(rt_assertion_decode(&fx.ctx, xml.data, xml.len,
	    sig.data, sig.len, &b), 0);
	/* change the audience: same length, other bytes */
	p = strstr((char *)xml.data, "visited.example");
	assert_non_null(p);
	p[0] = 'w';
	assert_int_equal(rt_assertion_decode(&fx.ctx, xml.data, xml.len,
	    sig.data, sig.len, &b), RT_ERR_SIG_BAD);
	/* unsigned */
	assert_int_equal(rt_assertion_decode(&fx.ctx, xml.data, xml.len, NULL, 0,
	    &b), RT_ERR_SIG_MISSING);
	/* garbage signature */
	assert_int_equal(rt_assertion_decode(&fx.ctx, xml.data, xml.len,
	    (const uint8_t *)"garbage", 7, &b), RT_ERR_BAD_INPUT);
	/* truncated signature */
	assert_int_equal(rt_assertion_decode(&fx.ctx, xml.data, xml.len,
	    sig.data, sig.len - 1, &b), RT_ERR_BAD_INPUT);
	rt_buf_fini(&xml);
	rt_buf_fini(&sig);
}

static void
test_signer_certificates(void **state)
{
	struct rt_assertion a, b;

	(void)state;
	make_assertion(&a);
	assert_int_equal(assertion_roundtrip(&a, fx.s_home, RT_CMS_EMBED_CERT, &b), 0);
	assert_string_equal(b.public_id, "sip:alice@home.example");
	assert_string_equal(b.private_id, "alice@home.example");
	assert_string_equal(b.services[0], "voice");
	assert_string_equal(b.authn_method, "digest-sha256");
	assert_string_equal(b.agreement_ref, a.agreement_ref);
	/* revoked, expired, another CA */
	strcpy(a.issuer, "revoked.example");
	assert_int_equal(assertion_roundtrip(&a, fx.s_revoked, RT_CMS_EMBED_CERT, &b),
	    RT_ERR_CERT_REVOKED);
	strcpy(a.issuer, "expired.example");
	assert_int_equal(assertion_roundtrip(&a, fx.s_expired, RT_CMS_EMBED_CERT, &b),
	    RT_ERR_CERT_EXPIRED);
	strcpy(a.issuer, "home.example");
	assert_int_equal(assertion_roundtrip(&a, fx.s_foreign, RT_CMS_EMBED_CERT, &b),
	    RT_ERR_CERT_UNTRUSTED);
	/* a valid certificate of another realm than the issuer named */
	assert_int_equal(assertion_roundtrip(&a, fx.s_third, RT_CMS_EMBED_CERT, &b),
	    RT_ERR_REALM);
}

static void
test_cached_signers(void **state)
{
	struct rt_trust_options topts = {1, 0, 0};
	struct rt_trust *trust = NULL;
	struct rt_assertion a, b;
	struct rt_doc_ctx saved = fx.ctx;
	X509_CRL *crl2 = NULL;
	char realm[RT_REALM_MAX];

	(void)state;
	assert_int_equal(rt_trust_new(&topts, &trust), 0);
	assert_int_equal(rt_trust_add_ca(trust, fx.fed->ca_cert), 0);
	assert_int_equal(rt_trust_set_crl(trust, fx.crl, fx.now), 0);
	fx.ctx.trust = trust;
	make_assertion(&a);
	/* no certificate in the signature and none cached: unknown */
	assert_int_equal(assertion_roundtrip(&a, fx.s_home, 0, &b),
	    RT_ERR_CERT_UNKNOWN);
	/* hello: the peer certificate is verified and cached */
	assert_int_equal(rt_trust_verify_cert(trust, fx.home->cert, NULL, fx.now,
	    realm), 0);
	assert_string_equal(realm, "home.example");
	assert_int_equal(rt_trust_cache_size(trust), 1);
	assert_int_equal(assertion_roundtrip(&a, fx.s_home, 0, &b), 0);
	/* a revoked certificate is never cached */
	assert_int_equal(rt_trust_verify_cert(trust, fx.revoked->cert, NULL, fx.now,
	    realm), RT_ERR_CERT_REVOKED);
	/* a newer CRL revokes home: the cache is emptied with it */
	assert_int_equal(th_fed_revoke(fx.fed, fx.home), 0);
	assert_int_equal(th_fed_crl(fx.fed, -30, DAY, &crl2, NULL), 0);
	assert_int_equal(rt_trust_set_crl(trust, crl2, fx.now), 0);
	assert_int_equal(rt_trust_cache_size(trust), 0);
	assert_int_equal(assertion_roundtrip(&a, fx.s_home, 0, &b),
	    RT_ERR_CERT_UNKNOWN);
	assert_int_equal(assertion_roundtrip(&a, fx.s_home, RT_CMS_EMBED_CERT, &b),
	    RT_ERR_CERT_REVOKED);
	/* the older CRL cannot be put back */
	assert_int_equal(rt_trust_set_crl(trust, fx.crl, fx.now), RT_ERR_CRL_BAD);
	/* a cached certificate stops at its notAfter */
	fx.ctx.trust = fx.trust;
	assert_int_equal(rt_trust_verify_cert(fx.trust, fx.visited->cert, NULL,
	    fx.now, realm), 0);
	fx.ctx.now = fx.now + 2 * DAY;
	fx.ctx.self_realm = "home.example";
	make_assertion(&a);
	strcpy(a.issuer, "visited.example");
	strcpy(a.audience, "home.example");
	a.issued_at = fx.ctx.now;
	a.not_on_or_after = fx.ctx.now + 60;
	/* two days on, the CRL is stale too: that is what is reported */
	assert_int_equal(assertion_roundtrip(&a, fx.s_visited, 0, &b),
	    RT_ERR_CRL_EXPIRED);
	fx.ctx = saved;
	X509_CRL_free(crl2);
	rt_trust_free(trust);
}

static void
test_crl_refusals(void **state)
{
	struct rt_trust_options strict = {1, 0, 0}, stale_ok = {1, 1, 0};
	struct rt_trust *trust = NULL;
	X509_CRL *stale = NULL, *foreign = NULL;
	struct rt_assertion a, b;
	struct rt_doc_ctx saved = fx.ctx;
	char realm[RT_REALM_MAX];

	(void)state;
	assert_int_equal(th_fed_crl(fx.fed, -2 * DAY, -DAY, &stale, NULL), 0);
	assert_int_equal(th_fed_crl(fx.other, -60, DAY, &foreign, NULL), 0);
	assert_int_equal(rt_trust_new(&strict, &trust), 0);
	assert_int_equal(rt_trust_add_ca(trust, fx.fed->ca_cert), 0);
	/* required but absent */
	assert_int_equal(rt_trust_verify_cert(trust, fx.home->cert, NULL, fx.now,
	    realm), RT_ERR_CRL_MISSING);
	assert_int_equal(rt_trust_set_crl(trust, stale, fx.now), RT_ERR_CRL_EXPIRED);
	assert_int_equal(rt_trust_set_crl(trust, foreign, fx.now), RT_ERR_CRL_BAD);
	rt_trust_free(trust);
	/* explicitly allowed stale CRL still revokes */
	assert_int_equal(rt_trust_new(&stale_ok, &trust), 0);
	assert_int_equal(rt_trust_add_ca(trust, fx.fed->ca_cert), 0);
	assert_int_equal(rt_trust_set_crl(trust, stale, fx.now), 0);
	assert_int_equal(rt_trust_verify_cert(trust, fx.visited->cert, NULL, fx.now,
	    realm), 0);
	fx.ctx.trust = trust;
	make_assertion(&a);
	assert_int_equal(assertion_roundtrip(&a, fx.s_home, RT_CMS_EMBED_CERT, &b), 0);
	fx.ctx = saved;
	rt_trust_free(trust);
	X509_CRL_free(stale);
	X509_CRL_free(foreign);
}

static void
test_assertion_window_audience(void **state)
{
	struct rt_assertion a, b;

	(void)state;
	make_assertion(&a);
	strcpy(a.audience, "third.example");
	assert_int_equal(assertion_roundtrip(&a, fx.s_home, RT_CMS_EMBED_CERT, &b),
	    RT_ERR_AUDIENCE);
	make_assertion(&a);
	a.issued_at = fx.now - 700;
	a.not_on_or_after = fx.now - 100;
	assert_int_equal(assertion_roundtrip(&a, fx.s_home, RT_CMS_EMBED_CERT, &b),
	    RT_ERR_EXPIRED);
	/* inside the skew: still accepted */
	a.not_on_or_after = fx.now - 30;
	assert_int_equal(assertion_roundtrip(&a, fx.s_home, RT_CMS_EMBED_CERT, &b), 0);
	a.issued_at = fx.now + 300;
	a.not_on_or_after = fx.now + 900;
	assert_int_equal(assertion_roundtrip(&a, fx.s_home, RT_CMS_EMBED_CERT, &b),
	    RT_ERR_NOT_YET_VALID);
}

/* Signs raw bytes by home and decodes them as an assertion. */
static int
decode_signed_bytes(const char *text)
{
	struct rt_buf sig;
	struct rt_assertion b;
	int r;

	rt_buf_init(&sig, RT_CMS_SIG_MAX);
	assert_int_equal(rt_cms_sign(fx.s_home, (const uint8_t *)text, strlen(text),
	    RT_CMS_EMBED_CERT, &sig), 0);
	r = rt_assertion_decode(&fx.ctx, (const uint8_t *)text, strlen(text),
	    sig.data, sig.len, &b);
	rt_buf_fini(&sig);
	return r;
}

static void
test_signed_but_bad_xml(void **state)
{
	(void)state;
	/* a valid signature does not make bad XML acceptable */
	assert_int_equal(decode_signed_bytes(
	    "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"
	    "<SubscriberAssertion xmlns=\"urn:roamtrust:1\">&e;</SubscriberAssertion>"),
	    RT_ERR_XML_DTD);
	assert_int_equal(decode_signed_bytes(
	    "<SubscriberAssertion xmlns=\"urn:roamtrust:1\" id=\"x\"><Bogus/>"
	    "</SubscriberAssertion>"), RT_ERR_SCHEMA);
	assert_int_equal(decode_signed_bytes(
	    "<SubscriberAssertion xmlns=\"urn:other\"/>"), RT_ERR_SCHEMA);
	assert_int_equal(decode_signed_bytes(
	    "<Ping xmlns=\"urn:roamtrust:1\"><SentAt>2026-01-01T00:00:00Z</SentAt></Ping>"),
	    RT_ERR_TYPE);
	assert_int_equal(decode_signed_bytes("<SubscriberAssertion"), RT_ERR_XML_PARSE);
	/* schema-valid, but a time without a zone is refused on decode */
	assert_int_equal(decode_signed_bytes(
	    "<SubscriberAssertion xmlns=\"urn:roamtrust:1\" "
	    "id=\"0190f5a2-7b3c-4def-8123-000000000001\"><Issuer>home.example</Issuer>"
	    "<Audience>visited.example</Audience><Subject>"
	    "<PublicIdentity>sip:alice@home.example</PublicIdentity>"
	    "<PrivateIdentity>alice</PrivateIdentity></Subject>"
	    "<AuthnMethod>digest-md5</AuthnMethod>"
	    "<AuthnInstant>2026-11-27T05:10:00</AuthnInstant>"
	    "<IssuedAt>2026-11-27T05:10:00Z</IssuedAt>"
	    "<NotOnOrAfter>2026-11-27T06:10:00Z</NotOnOrAfter>"
	    "<AgreementRef>0190f5a2-7b3c-7def-8123-456789abcdef</AgreementRef>"
	    "</SubscriberAssertion>"), RT_ERR_BAD_INPUT);
}

static void
test_descriptor(void **state)
{
	struct rt_realm_descriptor d, e;
	struct rt_buf xml, sig;

	(void)state;
	rt_buf_init(&xml, RT_XML_MAX);
	rt_buf_init(&sig, RT_CMS_SIG_MAX);
	memset(&d, 0, sizeof(d));
	strcpy(d.realm, "home.example");
	d.serial = 7;
	strcpy(d.endpoints[0], "tls+tcp://127.0.0.1:7001");
	d.nendpoints = 1;
	strcpy(d.services[0], "voice");
	strcpy(d.services[1], "message");
	d.nservices = 2;
	d.issued_at = fx.now;
	d.not_on_or_after = fx.now + DAY;
	assert_int_equal(rt_descriptor_encode(&d, &xml), 0);
	assert_int_equal(rt_cms_sign(fx.s_home, xml.data, xml.len, RT_CMS_EMBED_CERT,
	    &sig), 0);
	assert_int_equal(rt_descriptor_decode(&fx.ctx, xml.data, xml.len, sig.data,
	    sig.len, &e), 0);
	assert_string_equal(e.realm, "home.example");
	assert_true(e.serial == 7);
	assert_int_equal(e.nendpoints, 1);
	assert_string_equal(e.endpoints[0], "tls+tcp://127.0.0.1:7001");
	assert_int_equal(e.nservices, 2);
	assert_string_equal(e.services[1], "message");
	/* visited may not describe home */
	rt_buf_reset(&sig);
	assert_int_equal(rt_cms_sign(fx.s_visited, xml.data, xml.len,
	    RT_CMS_EMBED_CERT, &sig), 0);
	assert_int_equal(rt_descriptor_decode(&fx.ctx, xml.data, xml.len, sig.data,
	    sig.len, &e), RT_ERR_REALM);
	rt_buf_fini(&xml);
	rt_buf_fini(&sig);
}

static void
make_record(struct rt_usage_record *u, int i)
{
	memset(u, 0, sizeof(*u));
	assert_int_equal(rt_uuid_v7((uint64_t)fx.now * 1000 + (uint64_t)i, u->id), 0);
	assert_int_equal(rt_uuid_v4(u->agreement_ref), 0);
	assert_int_equal(rt_uuid_v4(u->assertion_ref), 0);
	strcpy(u->subscriber, "sip:alice@home.example");
	strcpy(u->home, "home.example");
	strcpy(u->visited, "visited.example");
	strcpy(u->service, i % 2 ? "message" : "voice");
	strcpy(u->unit, i % 2 ? "message" : "second");
	if (i == 0)
		strcpy(u->call_id, "a84b4c76e66710@pc33 <&>");
	u->start = fx.now - 100;
	u->end = fx.now - 100 + (i % 2 ? 0 : 42);
	u->quantity = i % 2 ? 1 : 42;
	if (i == 2) {
		strcpy(u->flags[0], "max-duration");
		u->nflags = 1;
	}
}

static void
test_usage_batch(void **state)
{
	struct rt_usage_record recs[3];
	struct rt_usage_batch b, c;
	struct rt_buf xml, sig;
	struct rt_doc_ctx saved = fx.ctx;

	(void)state;
	rt_buf_init(&xml, RT_XML_MAX);
	rt_buf_init(&sig, RT_CMS_SIG_MAX);
	for (int i = 0; i < 3; i++)
		make_record(&recs[i], i);
	memset(&b, 0, sizeof(b));
	assert_int_equal(rt_uuid_v4(b.id), 0);
	strcpy(b.from, "visited.example");
	strcpy(b.to, "home.example");
	b.sequence = 5;
	memset(b.prev_hash, 'a', 64);
	b.created_at = fx.now;
	b.records = recs;
	b.nrecords = 3;
	assert_int_equal(rt_usage_batch_encode(&b, &xml), 0);
	assert_int_equal(rt_cms_sign(fx.s_visited, xml.data, xml.len, 0, &sig), 0);
	fx.ctx.self_realm = "home.example";
	/* without the peer certificate cached first, nothing is believed */
	{
		char realm[RT_REALM_MAX];

		assert_int_equal(rt_trust_verify_cert(fx.trust, fx.visited->cert, NULL,
		    fx.now, realm), 0);
	}
	assert_int_equal(rt_usage_batch_decode(&fx.ctx, xml.data, xml.len, sig.data,
	    sig.len, &c), 0);
	assert_int_equal(c.nrecords, 3);
	assert_true(c.sequence == 5);
	assert_string_equal(c.records[0].call_id, "a84b4c76e66710@pc33 <&>");
	assert_string_equal(c.records[0].id, recs[0].id);
	assert_true(c.records[0].quantity == 42);
	assert_string_equal(c.records[1].service, "message");
	assert_int_equal(c.records[2].nflags, 1);
	assert_string_equal(c.records[2].flags[0], "max-duration");
	assert_true(c.records[2].end == recs[2].end);
	rt_usage_batch_fini(&c);
	/* addressed to someone else */
	fx.ctx.self_realm = "third.example";
	assert_int_equal(rt_usage_batch_decode(&fx.ctx, xml.data, xml.len, sig.data,
	    sig.len, &c), RT_ERR_AUDIENCE);
	/* a record of another visited realm smuggled into the batch */
	fx.ctx.self_realm = "home.example";
	strcpy(recs[1].visited, "third.example");
	rt_buf_reset(&xml);
	rt_buf_reset(&sig);
	assert_int_equal(rt_usage_batch_encode(&b, &xml), 0);
	assert_int_equal(rt_cms_sign(fx.s_visited, xml.data, xml.len, 0, &sig), 0);
	assert_int_equal(rt_usage_batch_decode(&fx.ctx, xml.data, xml.len, sig.data,
	    sig.len, &c), RT_ERR_REALM);
	assert_null(c.records);
	fx.ctx = saved;
	rt_buf_fini(&xml);
	rt_buf_fini(&sig);
}

static void
test_usage_record_and_export(void **state)
{
	struct rt_usage_record u, v;
	struct rt_export_header h, h2;
	struct rt_export_total t;
	struct rt_buf xml, sig;
	xmlDocPtr doc = NULL;

	(void)state;
	rt_buf_init(&xml, RT_XML_MAX);
	rt_buf_init(&sig, RT_CMS_SIG_MAX);
	make_record(&u, 0);
	assert_int_equal(rt_usage_record_encode(&u, &xml), 0);
	assert_int_equal(rt_cms_sign(fx.s_visited, xml.data, xml.len,
	    RT_CMS_EMBED_CERT, &sig), 0);
	assert_int_equal(rt_usage_record_decode(&fx.ctx, xml.data, xml.len,
	    sig.data, sig.len, &v), 0);
	assert_string_equal(v.id, u.id);
	assert_true(v.start == u.start && v.end == u.end);
	/* a record is the visited realm's to sign */
	rt_buf_reset(&sig);
	assert_int_equal(rt_cms_sign(fx.s_home, xml.data, xml.len,
	    RT_CMS_EMBED_CERT, &sig), 0);
	assert_int_equal(rt_usage_record_decode(&fx.ctx, xml.data, xml.len,
	    sig.data, sig.len, &v), RT_ERR_REALM);
	/* export: streamed pieces make one valid document */
	rt_buf_reset(&xml);
	memset(&h, 0, sizeof(h));
	assert_int_equal(rt_uuid_v4(h.id), 0);
	strcpy(h.issuer, "visited.example");
	strcpy(h.partner, "home.example");
	strcpy(h.currency, "EUR");
	h.period_start = fx.now - DAY;
	h.period_end = fx.now;
	h.created_at = fx.now;
	memset(&t, 0, sizeof(t));
	strcpy(t.service, "voice");
	strcpy(t.home, "home.example");
	strcpy(t.visited, "visited.example");
	strcpy(t.unit, "second");
	t.records = 2;
	t.quantity = 84;
	t.amount_minor = -17;
	assert_int_equal(rt_export_encode_begin(&h, &xml), 0);
	assert_int_equal(rt_export_encode_record(&u, &xml), 0);
	make_record(&u, 2);
	assert_int_equal(rt_export_encode_record(&u, &xml), 0);
	assert_int_equal(rt_export_encode_end(&t, 1, &xml), 0);
	assert_int_equal(rt_doc_parse_verified("SettlementExport", xml.data, xml.len,
	    0, &doc), 0);
	assert_int_equal(rt_export_header_from_xml(doc, &h2), 0);
	assert_string_equal(h2.partner, "home.example");
	assert_true(h2.period_start == h.period_start);
	xmlFreeDoc(doc);
	rt_buf_fini(&xml);
	rt_buf_fini(&sig);
}

static void
test_oversize_before_signature(void **state)
{
	struct rt_doc_ctx small = fx.ctx;
	struct rt_assertion a;
	static const uint8_t doc[64] = "<x/>";

	(void)state;
	small.max_size = 16;
	assert_int_equal(rt_assertion_decode(&small, doc, sizeof(doc),
	    (const uint8_t *)"s", 1, &a), RT_ERR_TOO_BIG);
}

#define UUID_COUNT 3000	/* ~30 refills of the random pool */

static int
uuid_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void
test_uuids(void **state)
{
	static char ids[UUID_COUNT + 1][RT_UUID_STR_LEN + 1];
	char parent[RT_UUID_STR_LEN + 1], child[RT_UUID_STR_LEN + 1];
	int fds[2], status;
	pid_t pid;

	(void)state;
	for (int i = 0; i < UUID_COUNT; i++) {
		if (i % 2 == 0) {
			assert_int_equal(rt_uuid_v7(UINT64_C(0x0190f3c27a1e) + (uint64_t)i,
			    ids[i]), 0);
			assert_int_equal(ids[i][14], '7');
			assert_memory_equal(ids[i], "0190f3c2-", 9);
		} else {
			assert_int_equal(rt_uuid_v4(ids[i]), 0);
			assert_int_equal(ids[i][14], '4');
		}
		assert_true(rt_uuid_valid(ids[i]));
		assert_non_null(strchr("89ab", ids[i][19]));
	}
	/* v7 ids sort as their times */
	assert_true(strcmp(ids[0], ids[2]) < 0);
	/* a fork's child does not hand out its parent's next bits */
	assert_int_equal(pipe(fds), 0);
	if ((pid = fork()) == 0) {
		close(fds[0]);
		_exit(rt_uuid_v4(child) != 0 ||
		    write(fds[1], child, sizeof(child)) != (ssize_t)sizeof(child));
	}
	assert_true(pid > 0);
	close(fds[1]);
	assert_int_equal(read(fds[0], child, sizeof(child)), (ssize_t)sizeof(child));
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(rt_uuid_v4(parent), 0);
	assert_string_not_equal(child, parent);
	memcpy(ids[UUID_COUNT], child, sizeof(child));
	qsort(ids, UUID_COUNT + 1, sizeof(ids[0]), uuid_cmp);
	for (int i = 1; i <= UUID_COUNT; i++)
		assert_string_not_equal(ids[i - 1], ids[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uuids),
		cmocka_unit_test(test_agreement_two_signers),
		cmocka_unit_test(test_signature_over_other_bytes),
		cmocka_unit_test(test_signer_certificates),
		cmocka_unit_test(test_assertion_window_audience),
		cmocka_unit_test(test_signed_but_bad_xml),
		cmocka_unit_test(test_descriptor),
		cmocka_unit_test(test_usage_batch),
		cmocka_unit_test(test_usage_record_and_export),
		cmocka_unit_test(test_oversize_before_signature),
		cmocka_unit_test(test_crl_refusals),
		/* last: it revokes home.example in the shared federation */
		cmocka_unit_test(test_cached_signers),
	};

	rt_log_init("test_doc", RT_LOG_STDERR, RT_LOG_ERR);
	if (rt_xml_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
