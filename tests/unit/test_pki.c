/*
 * Unit tests of the pki modules: CA init/open, the realm certificate
 * profile, what issue refuses, revocation and CRLs, the index shared
 * between handles, and certificates checked the way brokers do (rt_trust).
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

static void
test_init_open(void **state)
{
	struct th_fed *fed = NULL;
	struct pki_ca_init_opts opts = {0};
	struct pki_ca *none = NULL;
	BASIC_CONSTRAINTS *bc;
	const ASN1_OCTET_STRING *skid, *akid;
	char path[600];
	struct rt_buf buf;
	time_t nb, na, now = rt_time_now();
	X509 *ca;

	(void)state;
	assert_int_equal(th_fed_new("Test Federation", &fed), 0);
	ca = fed->ca_cert;
	snprintf(path, sizeof(path), "%s/ca.key", fed->dir);
	assert_int_equal(file_mode(path), 0600);
	snprintf(path, sizeof(path), "%s/crlnumber", fed->dir);
	read_text(path, &buf);
	assert_string_equal(rt_buf_str(&buf), "01\n");
	rt_buf_fini(&buf);
	snprintf(path, sizeof(path), "%s/index.txt", fed->dir);
	assert_true(rt_file_exists(path));

	/* never over an existing CA */
	opts.dir = fed->dir;
	opts.name = "Another";
	assert_int_equal(pki_ca_init(&opts), RT_ERR_EXISTS);

	/* profile: self-signed P-256 CA, pathlen 0, critical BC and KU */
	assert_int_equal(X509_check_issued(ca, ca), X509_V_OK);
	assert_int_equal(X509_verify(ca, X509_get0_pubkey(ca)), 1);
	assert_int_equal(rt_key_check(X509_get0_pubkey(ca)), 0);
	assert_int_equal(X509_get_signature_nid(ca), NID_ecdsa_with_SHA256);
	assert_int_equal(X509_get_version(ca), X509_VERSION_3);
	assert_true(ext_critical(ca, NID_basic_constraints));
	bc = X509_get_ext_d2i(ca, NID_basic_constraints, NULL, NULL);
	assert_non_null(bc);
	assert_true(bc->ca);
	assert_non_null(bc->pathlen);
	assert_int_equal(ASN1_INTEGER_get(bc->pathlen), 0);
	BASIC_CONSTRAINTS_free(bc);
	assert_true(ext_critical(ca, NID_key_usage));
	assert_int_equal(X509_get_key_usage(ca), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	skid = X509_get0_subject_key_id(ca);
	akid = X509_get0_authority_key_id(ca);
	assert_non_null(skid);
	assert_non_null(akid);
	assert_int_equal(ASN1_OCTET_STRING_cmp(skid, akid), 0);
	assert_int_equal(ASN1_STRING_length(X509_get0_serialNumber(ca)), 16);
	assert_int_equal(ASN1_STRING_type(X509_get0_serialNumber(ca)), V_ASN1_INTEGER);
	assert_int_equal(rt_asn1_time_to_unix(X509_get0_notBefore(ca), &nb), 0);
	assert_int_equal(rt_cert_not_after(ca, &na), 0);
	assert_true(nb <= now - PKI_CLOCK_SKEW + 5 && nb >= now - PKI_CLOCK_SKEW - 5);
	assert_true(na - now >= 3650L * 86400 - 5 && na - now <= 3650L * 86400 + 5);
	assert_int_equal(X509_NAME_entry_count(X509_get_subject_name(ca)), 1);
	assert_null(pki_ca_crl_url(fed->ca));
	th_fed_free(fed);

	/* bad options */
	opts.dir = "/nonexistent-parent/x/y";
	opts.name = "";
	assert_int_equal(pki_ca_init(&opts), RT_ERR_BAD_INPUT);
	opts.name = "Name\nInjected";
	assert_int_equal(pki_ca_init(&opts), RT_ERR_BAD_INPUT);
	opts.name = "Fine";
	opts.days = PKI_DAYS_MAX + 1;
	assert_int_equal(pki_ca_init(&opts), RT_ERR_BAD_INPUT);
	opts.days = 0;
	opts.crl_url = "not a url";
	assert_int_equal(pki_ca_init(&opts), RT_ERR_BAD_INPUT);
	opts.crl_url = "http://crl.example/a b";
	assert_int_equal(pki_ca_init(&opts), RT_ERR_BAD_INPUT);
	assert_int_equal(pki_ca_open("/nonexistent-ca-dir", NULL, &none),
	    RT_ERR_NOT_FOUND);
	assert_null(none);
}

static void
test_passphrase(void **state)
{
	char dir[512], path[600];
	struct pki_ca *ca = NULL;
	struct rt_buf buf;
	X509_REQ *csr;
	X509 *cert = NULL;
	time_t now = rt_time_now();

	(void)state;
	make_ca(dir, sizeof(dir), "correct horse battery", NULL);
	snprintf(path, sizeof(path), "%s/ca.key", dir);
	assert_int_equal(file_mode(path), 0600);
	read_text(path, &buf);
	assert_non_null(strstr(rt_buf_str(&buf), "ENCRYPTED PRIVATE KEY"));
	rt_buf_fini(&buf);
	assert_int_equal(pki_ca_open(dir, NULL, &ca), RT_ERR_PASSPHRASE);
	assert_null(ca);
	assert_int_equal(pki_ca_open(dir, "wrong", &ca), RT_ERR_PASSPHRASE);
	assert_null(ca);
	assert_int_equal(pki_ca_open(dir, "correct horse battery", &ca), 0);
	csr = realm_csr("visited.example", NULL);
	assert_int_equal(pki_ca_issue(ca, csr, "visited.example", now, now + 3600,
	    &cert), 0);
	X509_free(cert);
	X509_REQ_free(csr);
	pki_ca_close(ca);

	/* passphrase files: first line, and only when private */
	snprintf(path, sizeof(path), "%s/pass", dir);
	assert_int_equal(rt_file_write(path, "s3cret\nignored\n", 15, 0600, 0), 0);
	rt_buf_init(&buf, 4096);
	assert_int_equal(rt_passphrase_load(path, &buf), 0);
	assert_string_equal(rt_buf_str(&buf), "s3cret");
	rt_buf_fini(&buf);
	assert_int_equal(chmod(path, 0644), 0);
	rt_buf_init(&buf, 4096);
	assert_int_equal(rt_passphrase_load(path, &buf), RT_ERR_PERM);
	rt_buf_fini(&buf);
	remove_dir(dir);
}

static void
test_key_permissions(void **state)
{
	struct th_fed *fed = NULL;
	struct th_realm *realm = NULL;
	struct pki_ca *ca = NULL;
	EVP_PKEY *key = NULL;
	char path[600];

	(void)state;
	assert_int_equal(th_fed_new("Test Federation", &fed), 0);
	assert_int_equal(th_fed_realm(fed, "visited.example", -60, 3600, &realm), 0);
	assert_int_equal(file_mode(realm->key_path), 0600);
	assert_int_equal(rt_key_load(realm->key_path, NULL, &key), 0);
	EVP_PKEY_free(key);
	key = NULL;

	snprintf(path, sizeof(path), "%s/ca.key", fed->dir);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(rt_key_load(path, NULL, &key), RT_ERR_PERM);
	assert_null(key);
	assert_int_equal(pki_ca_open(fed->dir, NULL, &ca), RT_ERR_PERM);
	assert_null(ca);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(pki_ca_open(fed->dir, NULL, &ca), 0);
	pki_ca_close(ca);
	th_realm_free(realm);
	th_fed_free(fed);
}

/* The realm certificate profile, field by field. */
static void
check_realm_profile(X509 *cert, X509 *ca, const char *realm, EVP_PKEY *key,
    const char *crl_url)
{
	X509_NAME *subject = X509_get_subject_name(cert);
	GENERAL_NAMES *san;
	GENERAL_NAME *gn;
	EXTENDED_KEY_USAGE *eku;
	CRL_DIST_POINTS *cdp;
	char name[RT_REALM_MAX];
	int n_dns = 0;

	assert_int_equal(X509_get_version(cert), X509_VERSION_3);
	assert_int_equal(X509_get_signature_nid(cert), NID_ecdsa_with_SHA256);
	assert_int_equal(X509_verify(cert, X509_get0_pubkey(ca)), 1);
	assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(cert),
	    X509_get_subject_name(ca)), 0);
	assert_int_equal(ASN1_STRING_length(X509_get0_serialNumber(cert)), 16);
	assert_int_equal(ASN1_STRING_type(X509_get0_serialNumber(cert)), V_ASN1_INTEGER);

	/* subject: CN=realm and nothing else */
	assert_int_equal(X509_NAME_entry_count(subject), 1);
	assert_true(X509_NAME_get_text_by_NID(subject, NID_commonName, name,
	    sizeof(name)) > 0);
	assert_string_equal(name, realm);

	/* SAN: dNSName=realm, only */
	san = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	assert_non_null(san);
	assert_int_equal(sk_GENERAL_NAME_num(san), 1);
	gn = sk_GENERAL_NAME_value(san, 0);
	assert_int_equal(gn->type, GEN_DNS);
	n_dns = ASN1_STRING_length(gn->d.dNSName);
	assert_int_equal(n_dns, (int)strlen(realm));
	assert_memory_equal(ASN1_STRING_get0_data(gn->d.dNSName), realm, strlen(realm));
	GENERAL_NAMES_free(san);
	assert_int_equal(rt_cert_realm(cert, name, sizeof(name)), 0);
	assert_string_equal(name, realm);

	/* basicConstraints critical CA:FALSE */
	assert_true(ext_critical(cert, NID_basic_constraints));
	assert_int_equal(X509_check_ca(cert), 0);
	/* keyUsage critical digitalSignature only */
	assert_true(ext_critical(cert, NID_key_usage));
	assert_int_equal(X509_get_key_usage(cert), KU_DIGITAL_SIGNATURE);
	/* EKU serverAuth, clientAuth, emailProtection (for openssl cms) */
	assert_false(ext_critical(cert, NID_ext_key_usage));
	eku = X509_get_ext_d2i(cert, NID_ext_key_usage, NULL, NULL);
	assert_non_null(eku);
	assert_int_equal(sk_ASN1_OBJECT_num(eku), 3);
	assert_int_equal(OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, 0)), NID_server_auth);
	assert_int_equal(OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, 1)), NID_client_auth);
	assert_int_equal(OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, 2)), NID_email_protect);
	EXTENDED_KEY_USAGE_free(eku);
	/* CRL distribution point */
	cdp = X509_get_ext_d2i(cert, NID_crl_distribution_points, NULL, NULL);
	if (crl_url == NULL) {
		assert_null(cdp);
	} else {
		DIST_POINT *dp;

		assert_non_null(cdp);
		assert_int_equal(sk_DIST_POINT_num(cdp), 1);
		dp = sk_DIST_POINT_value(cdp, 0);
		assert_non_null(dp->distpoint);
		assert_int_equal(dp->distpoint->type, 0);
		assert_int_equal(sk_GENERAL_NAME_num(dp->distpoint->name.fullname), 1);
		gn = sk_GENERAL_NAME_value(dp->distpoint->name.fullname, 0);
		assert_int_equal(gn->type, GEN_URI);
		assert_int_equal(ASN1_STRING_length(gn->d.uniformResourceIdentifier),
		    (int)strlen(crl_url));
		assert_memory_equal(ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier),
		    crl_url, strlen(crl_url));
		CRL_DIST_POINTS_free(cdp);
	}
	/* key identifiers */
	assert_non_null(X509_get0_subject_key_id(cert));
	assert_non_null(X509_get0_authority_key_id(cert));
	assert_int_equal(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(cert),
	    X509_get0_subject_key_id(ca)), 0);
	/* the CSR's P-256 key */
	assert_int_equal(rt_key_check(X509_get0_pubkey(cert)), 0);
	if (key != NULL)
		assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(cert), key), 1);
}

static void
test_issue_profile(void **state)
{
	char dir[512], path[700];
	struct pki_ca *ca = NULL;
	EVP_PKEY *key = NULL;
	X509_REQ *csr;
	X509 *cert = NULL;
	char serial[PKI_SERIAL_HEX_MAX], line[700];
	struct rt_buf buf;
	time_t now = rt_time_now(), t, ca_na;

	(void)state;
	make_ca(dir, sizeof(dir), NULL, &ca);
	assert_string_equal(pki_ca_crl_url(ca), CRL_URL);
	csr = realm_csr("visited.example", &key);
	assert_int_equal(pki_ca_issue(ca, csr, "visited.example", now - 300,
	    now + 86400, &cert), 0);
	check_realm_profile(cert, pki_ca_cert(ca), "visited.example", key, CRL_URL);
	assert_int_equal(rt_asn1_time_to_unix(X509_get0_notBefore(cert), &t), 0);
	assert_int_equal(t, now - 300);
	assert_int_equal(rt_cert_not_after(cert, &t), 0);
	assert_int_equal(t, now + 86400);

	/* recorded in the index, and a copy kept */
	assert_int_equal(rt_cert_serial_hex(cert, serial, sizeof(serial)), 0);
	snprintf(path, sizeof(path), "%s/index.txt", dir);
	read_text(path, &buf);
	snprintf(line, sizeof(line), "\t\t%s\tunknown\t/CN=visited.example\n", serial);
	assert_non_null(strstr(rt_buf_str(&buf), line));
	assert_int_equal(strncmp(rt_buf_str(&buf), "V\t", 2), 0);
	rt_buf_fini(&buf);
	snprintf(path, sizeof(path), "%s/certs/%s.pem", dir, serial);
	assert_true(rt_file_exists(path));
	X509_free(cert);
	cert = NULL;
	X509_REQ_free(csr);
	EVP_PKEY_free(key);

	/* a CSR naming nothing gets the realm; names compare without case */
	assert_int_equal(rt_key_generate(&key), 0);
	csr = make_csr(key, NULL, NULL);
	assert_int_equal(pki_ca_issue(ca, csr, "home.example", now, now + 60, &cert), 0);
	check_realm_profile(cert, pki_ca_cert(ca), "home.example", key, CRL_URL);
	X509_free(cert);
	cert = NULL;
	X509_REQ_free(csr);
	csr = make_csr(key, "Home.Example", "HOME.example");
	assert_int_equal(pki_ca_issue(ca, csr, "home.example", now, now + 60, &cert), 0);
	check_realm_profile(cert, pki_ca_cert(ca), "home.example", key, CRL_URL);
	X509_free(cert);
	cert = NULL;

	/* never past the CA, never an empty window */
	assert_int_equal(pki_ca_issue(ca, csr, "home.example", now,
	    now + 20L * 366 * 86400, &cert), 0);
	assert_int_equal(rt_cert_not_after(cert, &t), 0);
	assert_int_equal(rt_cert_not_after(pki_ca_cert(ca), &ca_na), 0);
	assert_int_equal(t, ca_na);
	X509_free(cert);
	cert = NULL;
	assert_int_equal(pki_ca_issue(ca, csr, "home.example", now, now, &cert),
	    RT_ERR_BAD_INPUT);
	assert_null(cert);
	X509_REQ_free(csr);
	EVP_PKEY_free(key);
	pki_ca_close(ca);
	remove_dir(dir);
}

static void
test_issue_weak_keys(void **state)
{
	struct th_fed *fed = NULL;
	EVP_PKEY *keys[3];
	X509_REQ *csr = NULL;
	X509 *cert = NULL;
	time_t now = rt_time_now();

	(void)state;
	assert_int_equal(th_fed_new("Test Federation", &fed), 0);
	keys[0] = EVP_RSA_gen(2048);
	keys[1] = EVP_EC_gen("P-384");
	keys[2] = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	for (size_t i = 0; i < 3; i++) {
		assert_non_null(keys[i]);
		csr = make_csr(keys[i], "visited.example", "visited.example");
		assert_int_equal(pki_ca_issue(fed->ca, csr, "visited.example", now,
		    now + 60, &cert), RT_ERR_WEAK_KEY);
		assert_null(cert);
		X509_REQ_free(csr);
		assert_int_equal(pki_request_new("visited.example", keys[i], &csr),
		    RT_ERR_WEAK_KEY);
		assert_null(csr);
		EVP_PKEY_free(keys[i]);
	}
	th_fed_free(fed);
}

static void
test_bad_realms(void **state)
{
	char long_name[320] = "";
	const char *bad[] = {"Bad_Realm", "a..b", "-a.example", "example",
	    long_name, "Upper.Example", "a.example.", "a-.example", "1.2", ""};
	struct th_fed *fed = NULL;
	EVP_PKEY *key = NULL;
	X509_REQ *csr = NULL, *anon;
	X509 *cert = NULL;
	char path[600];
	struct rt_buf buf;
	time_t now = rt_time_now();

	(void)state;
	while (strlen(long_name) < 300)
		strcat(long_name, "abcdefghi.");
	strcat(long_name, "com");
	assert_true(strlen(long_name) > 300);
	assert_int_equal(th_fed_new("Test Federation", &fed), 0);
	assert_int_equal(rt_key_generate(&key), 0);
	anon = make_csr(key, NULL, NULL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(rt_realm_valid(bad[i]));
		assert_int_equal(pki_request_new(bad[i], key, &csr), RT_ERR_BAD_NAME);
		assert_null(csr);
		assert_int_equal(pki_ca_issue(fed->ca, anon, bad[i], now, now + 60,
		    &cert), RT_ERR_BAD_NAME);
		assert_null(cert);
	}
	snprintf(path, sizeof(path), "%s/index.txt", fed->dir);
	read_text(path, &buf);
	assert_int_equal(buf.len, 0);	/* nothing issued */
	rt_buf_fini(&buf);
	X509_REQ_free(anon);
	EVP_PKEY_free(key);
	th_fed_free(fed);
}

static void
test_csr_realm_checks(void **state)
{
	struct th_fed *fed = NULL;
	EVP_PKEY *key = NULL;
	X509_REQ *csr;
	X509_NAME *name;
	X509 *cert = NULL;
	char realm[RT_REALM_MAX];
	time_t now = rt_time_now();

	(void)state;
	assert_int_equal(th_fed_new("Test Federation", &fed), 0);
	/* asks for home.example, issued as visited.example: refused */
	csr = realm_csr("home.example", &key);
	assert_int_equal(pki_request_realm(csr, realm, sizeof(realm)), 0);
	assert_string_equal(realm, "home.example");
	assert_int_equal(pki_ca_issue(fed->ca, csr, "visited.example", now,
	    now + 60, &cert), RT_ERR_REALM);
	assert_null(cert);

	/* a signature that does not cover the subject any more */
	name = X509_NAME_new();
	assert_int_equal(X509_NAME_add_entry_by_NID(name, NID_commonName,
	    MBSTRING_UTF8, (const unsigned char *)"home.example", -1, -1, 0), 1);
	assert_int_equal(X509_NAME_add_entry_by_NID(name, NID_organizationName,
	    MBSTRING_UTF8, (const unsigned char *)"Tampered", -1, -1, 0), 1);
	assert_int_equal(X509_REQ_set_subject_name(csr, name), 1);
	X509_NAME_free(name);
	assert_int_equal(pki_ca_issue(fed->ca, csr, "home.example", now,
	    now + 60, &cert), RT_ERR_SIG_BAD);
	assert_null(cert);
	X509_REQ_free(csr);

	/* CN and SAN that disagree */
	csr = make_csr(key, "visited.example", "other.example");
	assert_int_equal(pki_request_realm(csr, realm, sizeof(realm)), RT_ERR_REALM);
	assert_int_equal(pki_ca_issue(fed->ca, csr, "visited.example", now,
	    now + 60, &cert), RT_ERR_REALM);
	assert_null(cert);
	X509_REQ_free(csr);
	/* SAN alone naming another realm */
	csr = make_csr(key, NULL, "other.example");
	assert_int_equal(pki_ca_issue(fed->ca, csr, "visited.example", now,
	    now + 60, &cert), RT_ERR_REALM);
	X509_REQ_free(csr);
	EVP_PKEY_free(key);
	th_fed_free(fed);
}

static void
test_request(void **state)
{
	char dir[512], path[600];
	EVP_PKEY *key = NULL;
	X509_REQ *csr = NULL, *back = NULL;
	STACK_OF(X509_EXTENSION) *exts;
	GENERAL_NAMES *san;
	unsigned char *der = NULL;
	char realm[RT_REALM_MAX];
	int len;

	(void)state;
	csr = realm_csr("visited.example", &key);
	assert_int_equal(X509_REQ_verify(csr, key), 1);
	assert_int_equal(X509_NAME_entry_count(X509_REQ_get_subject_name(csr)), 1);
	exts = X509_REQ_get_extensions(csr);
	san = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
	assert_int_equal(sk_GENERAL_NAME_num(san), 1);
	assert_int_equal(sk_GENERAL_NAME_value(san, 0)->type, GEN_DNS);
	GENERAL_NAMES_free(san);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	assert_int_equal(pki_request_realm(csr, realm, sizeof(realm)), 0);
	assert_string_equal(realm, "visited.example");

	/* PEM file and DER round trips */
	snprintf(dir, sizeof(dir), "%s/rt-req-XXXXXX",
	    getenv("TMPDIR") != NULL && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/visited.example.csr", dir);
	assert_int_equal(pki_request_write(path, csr), 0);
	assert_int_equal(pki_request_load(path, &back), 0);
	assert_int_equal(X509_REQ_verify(back, key), 1);
	X509_REQ_free(back);
	back = NULL;
	len = i2d_X509_REQ(csr, &der);
	assert_true(len > 0);
	assert_int_equal(pki_request_parse(der, (size_t)len, &back), 0);
	X509_REQ_free(back);
	back = NULL;
	assert_int_equal(pki_request_parse(der, (size_t)len - 1, &back),
	    RT_ERR_BAD_INPUT);
	assert_int_equal(pki_request_parse((const unsigned char *)"junk", 4, &back),
	    RT_ERR_BAD_INPUT);
	OPENSSL_free(der);
	X509_REQ_free(csr);
	EVP_PKEY_free(key);
	remove_dir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_open),
		cmocka_unit_test(test_passphrase),
		cmocka_unit_test(test_key_permissions),
		cmocka_unit_test(test_issue_profile),
		cmocka_unit_test(test_issue_weak_keys),
		cmocka_unit_test(test_bad_realms),
		cmocka_unit_test(test_csr_realm_checks),
		cmocka_unit_test(test_request),
	};

	/* refusals are expected here; keep the output to cmocka's */
	rt_log_init("test_pki", RT_LOG_STDERR, RT_LOG_NONE);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
