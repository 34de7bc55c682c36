/*
 * Unit tests of the pki modules, second part: revocation and CRLs, the
 * index shared between handles and processes, certificates checked the way
 * brokers do (rt_trust), and `show`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helper_pki.h"
#include "helper_pkitest.h"
#include "pki.h"
#include "rt_codec.h"
#include "rt_file.h"
#include "rt_log.h"
#include "rt_x509.h"

static const X509_REVOKED *
crl_find(X509_CRL *crl, X509 *cert)
{
	X509_REVOKED *rev = NULL;

	if (X509_CRL_get0_by_serial(crl, &rev,
	    (ASN1_INTEGER *)(uintptr_t)X509_get0_serialNumber(cert)) != 1)
		return NULL;
	return rev;
}

static int
crl_reason(const X509_REVOKED *rev)
{
	ASN1_ENUMERATED *code = X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, NULL, NULL);
	int reason = -1;

	if (code != NULL)
		reason = (int)ASN1_ENUMERATED_get(code);
	ASN1_ENUMERATED_free(code);
	return reason;
}

static long
crl_number(X509_CRL *crl)
{
	ASN1_INTEGER *n = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
	long v;

	assert_non_null(n);
	v = ASN1_INTEGER_get(n);
	ASN1_INTEGER_free(n);
	return v;
}

static void
test_revoke_crl(void **state)
{
	struct th_fed *fed = NULL, *other = NULL;
	struct th_realm *a = NULL, *b = NULL, *c = NULL, *d = NULL, *stranger = NULL;
	X509_CRL *crl = NULL;
	AUTHORITY_KEYID *akid;
	char serial[PKI_SERIAL_HEX_MAX], mangled[3 * PKI_SERIAL_HEX_MAX];
	char path[600], line[200];
	struct rt_buf buf;
	size_t n = 0;
	time_t now = rt_time_now(), t;

	(void)state;
	assert_int_equal(th_fed_new("Test Federation", &fed), 0);
	assert_int_equal(th_fed_new("Other Federation", &other), 0);
	assert_int_equal(th_fed_realm(fed, "a.example", -60, 86400, &a), 0);
	assert_int_equal(th_fed_realm(fed, "b.example", -60, 86400, &b), 0);
	assert_int_equal(th_fed_realm(fed, "c.example", -60, 86400, &c), 0);
	assert_int_equal(th_fed_realm(fed, "d.example", -60, 86400, &d), 0);
	assert_int_equal(th_fed_realm(other, "a.example", -60, 86400, &stranger), 0);

	/* by serial, as an operator pastes it: lowercase with colons */
	assert_int_equal(rt_cert_serial_hex(a->cert, serial, sizeof(serial)), 0);
	for (size_t i = 0; serial[i] != '\0'; i++) {
		if (i > 0 && i % 2 == 0)
			mangled[n++] = ':';
		mangled[n++] = (char)(serial[i] | 0x20);
	}
	mangled[n] = '\0';
	assert_int_equal(pki_ca_revoke(fed->ca, mangled, PKI_REASON_KEY_COMPROMISE,
	    now), 0);
	assert_int_equal(pki_ca_revoke(fed->ca, serial, PKI_REASON_KEY_COMPROMISE,
	    now), RT_ERR_EXISTS);
	assert_int_equal(pki_ca_revoke(fed->ca, "0123ABCD", PKI_REASON_SUPERSEDED,
	    now), RT_ERR_NOT_FOUND);
	assert_int_equal(pki_ca_revoke(fed->ca, "xyz", PKI_REASON_SUPERSEDED, now),
	    RT_ERR_BAD_INPUT);
	assert_int_equal(pki_ca_revoke_cert(fed->ca, b->cert, 7, now),
	    RT_ERR_BAD_INPUT);	/* 7 is no reason */
	assert_int_equal(pki_ca_revoke_cert(fed->ca, b->cert, PKI_REASON_SUPERSEDED,
	    now - 3600), 0);
	assert_int_equal(pki_ca_revoke_cert(fed->ca, d->cert, PKI_REASON_UNSPECIFIED,
	    now), 0);
	assert_int_equal(pki_ca_revoke_cert(fed->ca, stranger->cert,
	    PKI_REASON_KEY_COMPROMISE, now), RT_ERR_CERT_UNTRUSTED);

	/* the index says so, in openssl ca's format */
	snprintf(path, sizeof(path), "%s/index.txt", fed->dir);
	read_text(path, &buf);
	snprintf(line, sizeof(line), ",keyCompromise\t%s\tunknown\t/CN=a.example\n",
	    serial);
	assert_non_null(strstr(rt_buf_str(&buf), line));
	assert_non_null(strstr(rt_buf_str(&buf), "R\t"));
	rt_buf_fini(&buf);

	assert_int_equal(pki_ca_crl(fed->ca, now, now, &crl), RT_ERR_BAD_INPUT);
	assert_int_equal(th_fed_crl(fed, 0, 7 * 86400, &crl, path), 0);
	assert_true(rt_file_exists(path));
	assert_int_equal(X509_CRL_get_version(crl), X509_CRL_VERSION_2);
	assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(fed->ca_cert)), 1);
	assert_int_equal(X509_NAME_cmp(X509_CRL_get_issuer(crl),
	    X509_get_subject_name(fed->ca_cert)), 0);
	assert_int_equal(X509_CRL_get_signature_nid(crl), NID_ecdsa_with_SHA256);
	/* th_fed_crl reads the clock itself: it may have ticked since now */
	assert_int_equal(rt_asn1_time_to_unix(X509_CRL_get0_lastUpdate(crl), &t), 0);
	assert_true(t >= now && t <= now + 5);
	assert_int_equal(rt_asn1_time_to_unix(X509_CRL_get0_nextUpdate(crl), &t), 0);
	assert_true(t >= now + 7 * 86400 && t <= now + 7 * 86400 + 5);
	akid = X509_CRL_get_ext_d2i(crl, NID_authority_key_identifier, NULL, NULL);
	assert_non_null(akid);
	assert_int_equal(ASN1_OCTET_STRING_cmp(akid->keyid,
	    X509_get0_subject_key_id(fed->ca_cert)), 0);
	AUTHORITY_KEYID_free(akid);
	assert_int_equal(crl_number(crl), 1);
	assert_int_equal(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), 3);
	assert_non_null(crl_find(crl, a->cert));
	assert_int_equal(crl_reason(crl_find(crl, a->cert)), PKI_REASON_KEY_COMPROMISE);
	assert_int_equal(rt_asn1_time_to_unix(
	    X509_REVOKED_get0_revocationDate(crl_find(crl, a->cert)), &t), 0);
	assert_int_equal(t, now);
	assert_int_equal(crl_reason(crl_find(crl, b->cert)), PKI_REASON_SUPERSEDED);
	assert_int_equal(rt_asn1_time_to_unix(
	    X509_REVOKED_get0_revocationDate(crl_find(crl, b->cert)), &t), 0);
	assert_int_equal(t, now - 3600);
	/* RFC 5280: no reasonCode rather than unspecified */
	assert_non_null(crl_find(crl, d->cert));
	assert_int_equal(crl_reason(crl_find(crl, d->cert)), -1);
	assert_null(crl_find(crl, c->cert));
	X509_CRL_free(crl);

	/* numbers go up */
	assert_int_equal(th_fed_crl(fed, 0, 86400, &crl, NULL), 0);
	assert_int_equal(crl_number(crl), 2);
	X509_CRL_free(crl);
	assert_int_equal(th_fed_crl(fed, 0, 86400, &crl, NULL), 0);
	assert_int_equal(crl_number(crl), 3);
	X509_CRL_free(crl);

	th_realm_free(a);
	th_realm_free(b);
	th_realm_free(c);
	th_realm_free(d);
	th_realm_free(stranger);
	th_fed_free(fed);
	th_fed_free(other);
}

static void
test_reasons(void **state)
{
	static const char *names[] = {"unspecified", "keyCompromise",
	    "cACompromise", "affiliationChanged", "superseded",
	    "cessationOfOperation", "certificateHold", NULL, "removeFromCRL",
	    "privilegeWithdrawn", "aACompromise"};
	char out[PKI_SERIAL_HEX_MAX];
	int reason = -1;

	(void)state;
	for (int i = 0; i < 11; i++) {
		if (names[i] == NULL)
			continue;
		assert_int_equal(pki_reason_parse(names[i], &reason), 0);
		assert_int_equal(reason, i);
		assert_string_equal(pki_reason_name(i), names[i]);
	}
	assert_int_equal(pki_reason_parse("CACompromise", &reason), 0);
	assert_int_equal(reason, PKI_REASON_CA_COMPROMISE);
	assert_int_equal(pki_reason_parse("bogus", &reason), RT_ERR_BAD_INPUT);
	assert_int_equal(pki_reason_parse("", &reason), RT_ERR_BAD_INPUT);
	assert_string_equal(pki_reason_name(7), "unknown");

	assert_int_equal(pki_serial_normalize("0a:1B", out), 0);
	assert_string_equal(out, "0A1B");
	assert_int_equal(pki_serial_normalize("0x00ff", out), 0);
	assert_string_equal(out, "FF");
	assert_int_equal(pki_serial_normalize("", out), RT_ERR_BAD_INPUT);
	assert_int_equal(pki_serial_normalize("12g4", out), RT_ERR_BAD_INPUT);
	assert_int_equal(pki_serial_normalize(
	    "0123456789ABCDEF0123456789ABCDEF0123456789", out), RT_ERR_BAD_INPUT);
}

static void
test_verify_trust(void **state)
{
	struct th_fed *fed = NULL, *other = NULL;
	struct th_realm *valid = NULL, *revoked = NULL, *expired = NULL;
	struct th_realm *notyet = NULL, *stranger = NULL;
	struct rt_trust_options opts = {.require_crl = 1};
	struct rt_trust *trust = NULL;
	struct pki_verify_result res;
	X509_CRL *crl = NULL, *stale = NULL, *foreign = NULL;
	char realm[RT_REALM_MAX], crl_path[512], serial[PKI_SERIAL_HEX_MAX];
	time_t now = rt_time_now();

	(void)state;
	assert_int_equal(th_fed_new("Test Federation", &fed), 0);
	assert_int_equal(th_fed_new("Other Federation", &other), 0);
	assert_int_equal(th_fed_realm(fed, "valid.example", -60, 3600, &valid), 0);
	assert_int_equal(th_fed_realm(fed, "revoked.example", -60, 3600, &revoked), 0);
	assert_int_equal(th_fed_realm(fed, "expired.example", -7200, -3600, &expired), 0);
	assert_int_equal(th_fed_realm(fed, "notyet.example", 3600, 7200, &notyet), 0);
	assert_int_equal(th_fed_realm(other, "valid.example", -60, 3600, &stranger), 0);
	assert_int_equal(th_fed_revoke(fed, revoked), 0);
	assert_int_equal(th_fed_crl(fed, -60, 3600, &crl, crl_path), 0);

	assert_int_equal(rt_trust_new(&opts, &trust), 0);
	assert_int_equal(rt_trust_add_ca(trust, fed->ca_cert), 0);
	assert_int_equal(rt_trust_verify_cert(trust, valid->cert, NULL, now, realm),
	    RT_ERR_CRL_MISSING);
	assert_int_equal(rt_trust_set_crl(trust, crl, now), 0);
	assert_int_equal(rt_trust_verify_cert(trust, valid->cert, NULL, now, realm), 0);
	assert_string_equal(realm, "valid.example");
	assert_int_equal(rt_trust_verify_cert(trust, revoked->cert, NULL, now, realm),
	    RT_ERR_CERT_REVOKED);
	assert_int_equal(rt_trust_verify_cert(trust, expired->cert, NULL, now, realm),
	    RT_ERR_CERT_EXPIRED);
	assert_int_equal(rt_trust_verify_cert(trust, notyet->cert, NULL, now, realm),
	    RT_ERR_CERT_NOT_YET);
	assert_int_equal(rt_trust_verify_cert(trust, stranger->cert, NULL, now, realm),
	    RT_ERR_CERT_UNTRUSTED);
	/* a CRL from another CA is refused */
	assert_int_equal(th_fed_crl(other, -60, 3600, &foreign, NULL), 0);
	assert_int_equal(rt_trust_set_crl(trust, foreign, now), RT_ERR_CRL_BAD);
	X509_CRL_free(foreign);
	rt_trust_free(trust);
	trust = NULL;

	/* a CRL past nextUpdate fails closed unless allowed */
	assert_int_equal(th_fed_crl(fed, -7200, -3600, &stale, NULL), 0);
	assert_int_equal(rt_trust_new(&opts, &trust), 0);
	assert_int_equal(rt_trust_add_ca(trust, fed->ca_cert), 0);
	assert_int_equal(rt_trust_set_crl(trust, stale, now), RT_ERR_CRL_EXPIRED);
	rt_trust_free(trust);
	opts.allow_stale_crl = 1;
	assert_int_equal(rt_trust_new(&opts, &trust), 0);
	assert_int_equal(rt_trust_add_ca(trust, fed->ca_cert), 0);
	assert_int_equal(rt_trust_set_crl(trust, stale, now), 0);
	assert_int_equal(rt_trust_verify_cert(trust, valid->cert, NULL, now, realm), 0);
	assert_int_equal(rt_trust_verify_cert(trust, revoked->cert, NULL, now, realm),
	    RT_ERR_CERT_REVOKED);
	rt_trust_free(trust);

	/* the same from files, as `roamtrust-pki verify` does (crl.pem now
	 * holds the stale CRL: make a fresh one) */
	assert_int_equal(pki_verify_file(fed->ca_path, crl_path, valid->cert_path,
	    now, &res), RT_ERR_CRL_EXPIRED);
	assert_int_equal(th_fed_crl(fed, -60, 3600, &foreign, NULL), 0);
	X509_CRL_free(foreign);
	assert_int_equal(pki_verify_file(fed->ca_path, crl_path, valid->cert_path,
	    now, &res), 0);
	assert_string_equal(res.realm, "valid.example");
	assert_int_equal(rt_cert_serial_hex(valid->cert, serial, sizeof(serial)), 0);
	assert_string_equal(res.serial, serial);
	assert_int_equal(pki_verify_file(fed->ca_path, crl_path, revoked->cert_path,
	    now, &res), RT_ERR_CERT_REVOKED);
	assert_null(res.failed_path);
	assert_int_equal(pki_verify_file(other->ca_path, NULL, valid->cert_path,
	    now, &res), RT_ERR_CERT_UNTRUSTED);
	assert_int_equal(pki_verify_file(fed->ca_path, NULL, expired->cert_path,
	    now, &res), RT_ERR_CERT_EXPIRED);
	assert_int_equal(pki_verify_file("/nonexistent/ca.crt", NULL,
	    valid->cert_path, now, &res), RT_ERR_NOT_FOUND);
	assert_string_equal(res.failed_path, "/nonexistent/ca.crt");

	X509_CRL_free(crl);
	X509_CRL_free(stale);
	th_realm_free(valid);
	th_realm_free(revoked);
	th_realm_free(expired);
	th_realm_free(notyet);
	th_realm_free(stranger);
	th_fed_free(fed);
	th_fed_free(other);
}

struct issuer_thread {
	const char *dir;
	const char *prefix;
	int count;
	int result;
};

static void *
issue_many(void *arg)
{
	struct issuer_thread *t = arg;
	struct pki_ca *ca = NULL;
	time_t now = rt_time_now();

	if ((t->result = pki_ca_open(t->dir, NULL, &ca)) != 0)
		return NULL;
	for (int i = 0; i < t->count && t->result == 0; i++) {
		EVP_PKEY *key = NULL;
		X509_REQ *csr = NULL;
		X509 *cert = NULL;
		char realm[64];

		snprintf(realm, sizeof(realm), "%s%d.example", t->prefix, i);
		if ((t->result = rt_key_generate(&key)) == 0 &&
		    (t->result = pki_request_new(realm, key, &csr)) == 0)
			t->result = pki_ca_issue(ca, csr, realm, now, now + 60, &cert);
		X509_free(cert);
		X509_REQ_free(csr);
		EVP_PKEY_free(key);
	}
	pki_ca_close(ca);
	return NULL;
}

static void
test_index_shared(void **state)
{
	struct th_fed *fed = NULL;
	struct th_realm *a = NULL;
	struct pki_ca *second = NULL;
	X509_CRL *crl = NULL;
	struct issuer_thread threads[2] = {{NULL, "t", 4, -1}, {NULL, "u", 4, -1}};
	pthread_t tid[2];
	char path[600];
	struct rt_buf buf;
	size_t lines = 0;
	time_t now = rt_time_now();

	(void)state;
	assert_int_equal(th_fed_new("Test Federation", &fed), 0);
	assert_int_equal(pki_ca_open(fed->dir, NULL, &second), 0);
	assert_int_equal(th_fed_realm(fed, "a.example", -60, 3600, &a), 0);
	/* the second handle sees what the first issued, and the other way */
	assert_int_equal(pki_ca_revoke_cert(second, a->cert,
	    PKI_REASON_KEY_COMPROMISE, now), 0);
	assert_int_equal(pki_ca_revoke_cert(fed->ca, a->cert,
	    PKI_REASON_KEY_COMPROMISE, now), RT_ERR_EXISTS);
	assert_int_equal(pki_ca_crl(second, now, now + 60, &crl), 0);
	assert_int_equal(crl_number(crl), 1);
	assert_non_null(crl_find(crl, a->cert));
	X509_CRL_free(crl);
	assert_int_equal(pki_ca_crl(fed->ca, now, now + 60, &crl), 0);
	assert_int_equal(crl_number(crl), 2);
	assert_non_null(crl_find(crl, a->cert));
	X509_CRL_free(crl);
	pki_ca_close(second);

	/* concurrent issuers on separate handles lose nothing */
	for (int i = 0; i < 2; i++) {
		threads[i].dir = fed->dir;
		assert_int_equal(pthread_create(&tid[i], NULL, issue_many, &threads[i]), 0);
	}
	for (int i = 0; i < 2; i++) {
		assert_int_equal(pthread_join(tid[i], NULL), 0);
		assert_int_equal(threads[i].result, 0);
	}
	snprintf(path, sizeof(path), "%s/index.txt", fed->dir);
	read_text(path, &buf);
	for (size_t i = 0; i < buf.len; i++)
		lines += buf.data[i] == '\n';
	assert_int_equal(lines, 9);
	rt_buf_fini(&buf);
	th_realm_free(a);
	th_fed_free(fed);
}

static char *
show_text(const char *path, int *rp)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	assert_non_null(out);
	*rp = pki_show(path, out);
	fclose(out);
	return text;
}

static void
test_show(void **state)
{
	struct th_fed *fed = NULL;
	struct th_realm *a = NULL;
	X509_CRL *crl = NULL;
	X509_REQ *csr;
	char path[600], crl_path[512];
	char *text;
	int r;

	(void)state;
	assert_int_equal(th_fed_new("Test Federation", &fed), 0);
	assert_int_equal(th_fed_realm(fed, "a.example", -60, 3600, &a), 0);
	assert_int_equal(th_fed_revoke(fed, a), 0);
	assert_int_equal(th_fed_crl(fed, 0, 3600, &crl, crl_path), 0);
	X509_CRL_free(crl);

	text = show_text(a->cert_path, &r);
	assert_int_equal(r, 0);
	assert_non_null(strstr(text, "realm (SAN):  a.example\n"));
	assert_non_null(strstr(text, "issuer:       CN=Test Federation\n"));
	assert_non_null(strstr(text, "EKU:          serverAuth, clientAuth, emailProtection\n"));
	assert_non_null(strstr(text, "key:          EC P-256\n"));
	free(text);
	text = show_text(crl_path, &r);
	assert_int_equal(r, 0);
	assert_non_null(strstr(text, "number:       1\n"));
	assert_non_null(strstr(text, "keyCompromise\n"));
	free(text);
	text = show_text(fed->ca_path, &r);
	assert_int_equal(r, 0);
	assert_non_null(strstr(text, "CA:           yes, path length 0\n"));
	free(text);
	snprintf(path, sizeof(path), "%s/b.csr", fed->dir);
	csr = realm_csr("b.example", NULL);
	assert_int_equal(pki_request_write(path, csr), 0);
	X509_REQ_free(csr);
	text = show_text(path, &r);
	assert_int_equal(r, 0);
	assert_non_null(strstr(text, "realm:        b.example\n"));
	assert_non_null(strstr(text, "signature:    ok\n"));
	free(text);
	snprintf(path, sizeof(path), "%s/junk", fed->dir);
	assert_int_equal(rt_file_write(path, "\x01\x02junk", 6, 0644, 0), 0);
	text = show_text(path, &r);
	assert_int_equal(r, RT_ERR_TYPE);
	free(text);
	th_realm_free(a);
	th_fed_free(fed);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_revoke_crl),
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_verify_trust),
		cmocka_unit_test(test_index_shared),
		cmocka_unit_test(test_show),
	};

	/* refusals are expected here; keep the output to cmocka's */
	rt_log_init("test_pki_crl", RT_LOG_STDERR, RT_LOG_NONE);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
