/*
 * Issuing realm certificates (pki.h): the checks on a CSR, the realm
 * certificate profile, and recording it in the CA's index.
 */
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "pki_int.h"
#include "rt_file.h"
#include "rt_log.h"
#include "rt_x509.h"

/* SAN dNSName=realm, built rather than parsed from config syntax. */
static int
add_san(X509 *cert, const char *realm)
{
	GENERAL_NAMES *names = GENERAL_NAMES_new();
	GENERAL_NAME *gn = NULL;
	ASN1_IA5STRING *dns = NULL;
	int r = RT_ERR_NOMEM;

	if (names == NULL || (gn = GENERAL_NAME_new()) == NULL ||
	    (dns = ASN1_IA5STRING_new()) == NULL ||
	    ASN1_STRING_set(dns, realm, -1) != 1)
		goto out;
	GENERAL_NAME_set0_value(gn, GEN_DNS, dns);
	dns = NULL;
	if (!sk_GENERAL_NAME_push(names, gn))
		goto out;
	gn = NULL;
	if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names, 0,
	    X509V3_ADD_DEFAULT) != 1)
		goto out;
	r = 0;
 out:
	ASN1_IA5STRING_free(dns);
	GENERAL_NAME_free(gn);
	GENERAL_NAMES_free(names);
	return r;
}

/* One CRL distribution point with a full name URI=url. A URL may hold
 * commas, so this is built rather than parsed from config syntax. */
static int
add_cdp(X509 *cert, const char *url)
{
	CRL_DIST_POINTS *points = sk_DIST_POINT_new_null();
	DIST_POINT *point = NULL;
	GENERAL_NAME *gn = NULL;
	ASN1_IA5STRING *uri = NULL;
	int r = RT_ERR_NOMEM;

	if (points == NULL || (point = DIST_POINT_new()) == NULL ||
	    (point->distpoint = DIST_POINT_NAME_new()) == NULL ||
	    (point->distpoint->name.fullname = GENERAL_NAMES_new()) == NULL ||
	    (gn = GENERAL_NAME_new()) == NULL ||
	    (uri = ASN1_IA5STRING_new()) == NULL ||
	    ASN1_STRING_set(uri, url, -1) != 1)
		goto out;
	point->distpoint->type = 0;	/* fullName */
	GENERAL_NAME_set0_value(gn, GEN_URI, uri);
	uri = NULL;
	if (!sk_GENERAL_NAME_push(point->distpoint->name.fullname, gn))
		goto out;
	gn = NULL;
	if (!sk_DIST_POINT_push(points, point))
		goto out;
	point = NULL;
	if (X509_add1_ext_i2d(cert, NID_crl_distribution_points, points, 0,
	    X509V3_ADD_DEFAULT) != 1)
		goto out;
	r = 0;
 out:
	ASN1_IA5STRING_free(uri);
	GENERAL_NAME_free(gn);
	DIST_POINT_free(point);
	CRL_DIST_POINTS_free(points);
	return r;
}

/* The checks of pki.h on a CSR before anything is signed. */
static int
issue_check(X509_REQ *csr, const char *realm)
{
	char named[RT_REALM_MAX];
	EVP_PKEY *pub;
	int r;

	if (!rt_realm_valid(realm)) {
		log_warn("event=issue_refused reason=bad_name");
		return RT_ERR_BAD_NAME;
	}
	if ((pub = X509_REQ_get0_pubkey(csr)) == NULL ||
	    rt_key_check(pub) != 0) {
		log_warn("event=issue_refused realm=%s reason=weak_key", realm);
		return RT_ERR_WEAK_KEY;
	}
	if (X509_REQ_verify(csr, pub) != 1) {
		log_crypto(RT_LOG_WARN, "event=issue_refused realm=%s reason=csr_signature",
		    realm);
		return RT_ERR_SIG_BAD;
	}
	if ((r = pki_request_realm(csr, named, sizeof(named))) != 0)
		return r;
	/* DNS names compare without case; the certificate says realm. */
	if (named[0] != '\0' && strcasecmp(named, realm) != 0) {
		log_warn("event=issue_refused realm=%s reason=csr_names_other_realm",
		    realm);
		return RT_ERR_REALM;
	}
	return 0;
}

static int
make_realm_cert(struct pki_ca *ca, X509_REQ *csr, const char *realm,
    ASN1_INTEGER *serial, time_t not_before, time_t not_after,
    X509 **certp)
{
	X509 *cert = NULL;
	X509V3_CTX ctx;
	int r = RT_ERR_NOMEM;

	*certp = NULL;
	if ((cert = X509_new()) == NULL)
		goto out;
	r = RT_ERR_CRYPTO;
	if (X509_set_version(cert, X509_VERSION_3) != 1 ||
	    X509_set_serialNumber(cert, serial) != 1 ||
	    X509_set_issuer_name(cert, X509_get_subject_name(ca->cert)) != 1 ||
	    X509_set_pubkey(cert, X509_REQ_get0_pubkey(csr)) != 1)
		goto out;
	if ((r = pki_cert_set_cn(cert, realm, 0)) != 0 ||
	    (r = pki_cert_set_validity(cert, not_before, not_after)) != 0)
		goto out;
	X509V3_set_ctx(&ctx, ca->cert, cert, NULL, NULL, 0);
	/*
	 * emailProtection is there for `openssl cms -verify`: stock OpenSSL
	 * checks CMS signers for the smime_sign purpose and refuses an end
	 * entity whose EKU lacks it ("unsuitable certificate purpose"), and
	 * the design promises that anyone can check our documents with it.
	 */
	if ((r = pki_cert_add_ext(cert, &ctx, NID_basic_constraints, "critical,CA:FALSE")) != 0 ||
	    (r = pki_cert_add_ext(cert, &ctx, NID_key_usage, "critical,digitalSignature")) != 0 ||
	    (r = pki_cert_add_ext(cert, &ctx, NID_ext_key_usage,
	    "serverAuth,clientAuth,emailProtection")) != 0 ||
	    (r = pki_cert_add_ext(cert, &ctx, NID_subject_key_identifier, "hash")) != 0 ||
	    (r = pki_cert_add_ext(cert, &ctx, NID_authority_key_identifier, "keyid:always")) != 0 ||
	    (r = add_san(cert, realm)) != 0)
		goto out;
	if (ca->crl_url[0] != '\0' && (r = add_cdp(cert, ca->crl_url)) != 0)
		goto out;
	if ((r = pki_cert_sign(cert, ca->key)) != 0)
		goto out;
	*certp = cert;
	cert = NULL;
	r = 0;
 out:
	X509_free(cert);
	return r;
}

/* Keeps a copy of every issued certificate, as `openssl ca` does. */
static int
store_copy(struct pki_ca *ca, X509 *cert, const char *serial)
{
	char name[PATH_MAX], path[PATH_MAX];
	int r;

	if ((r = pki_ca_path(ca, PKI_CERTS, path)) != 0 ||
	    (r = rt_dir_ensure(path, 0755)) != 0)
		return r;
	if (snprintf(name, sizeof(name), "%s/%s.pem", PKI_CERTS, serial) >=
	    (int)sizeof(name))
		return RT_ERR_TOO_BIG;
	if ((r = pki_ca_path(ca, name, path)) != 0)
		return r;
	return rt_cert_write(path, cert);
}

int
pki_ca_issue(struct pki_ca *ca, X509_REQ *csr, const char *realm,
    time_t not_before, time_t not_after, X509 **certp)
{
	struct pki_index index = {0};
	ASN1_INTEGER *serial = NULL;
	char hex[PKI_SERIAL_HEX_MAX];
	X509 *cert = NULL;
	time_t ca_not_after;
	int lock = -1, r;

	*certp = NULL;
	if ((r = issue_check(csr, realm)) != 0)
		return r;
	if (rt_cert_not_after(ca->cert, &ca_not_after) == 0 &&
	    not_after > ca_not_after) {
		log_warn("event=issue_validity_cut realm=%s reason=\"CA expires first\"",
		    realm);
		not_after = ca_not_after;
	}
	if (not_after <= not_before) {
		log_warn("event=issue_refused realm=%s reason=empty_validity", realm);
		return RT_ERR_BAD_INPUT;
	}
	if ((lock = pki_ca_lock(ca)) < 0)
		return lock;
	if ((r = pki_index_load(ca, &index)) != 0)
		goto out;
	/* A repeat among 2^126 serials is not expected, but cheap to rule out. */
	for (int tries = 0;; tries++) {
		ASN1_INTEGER_free(serial);
		serial = NULL;
		if (tries == 8) {
			r = RT_ERR_INTERNAL;
			goto out;
		}
		if ((r = pki_random_serial(&serial)) != 0)
			goto out;
		if ((r = make_realm_cert(ca, csr, realm, serial, not_before,
		    not_after, &cert)) != 0)
			goto out;
		if ((r = rt_cert_serial_hex(cert, hex, sizeof(hex))) != 0)
			goto out;
		if (pki_index_find(&index, hex) == NULL)
			break;
		X509_free(cert);
		cert = NULL;
	}
	if ((r = pki_index_add_cert(&index, cert, realm)) != 0 ||
	    (r = store_copy(ca, cert, hex)) != 0 ||
	    (r = pki_index_save(ca, &index)) != 0)
		goto out;
	log_info("event=cert_issued realm=%s serial=%s", realm, hex);
	*certp = cert;
	cert = NULL;
	r = 0;
 out:
	rt_file_unlock(lock);
	pki_index_fini(&index);
	ASN1_INTEGER_free(serial);
	X509_free(cert);
	return r;
}
