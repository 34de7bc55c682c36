/*
 * rt_x509: keys, certificates and CRLs, and the trust store that decides
 * whether a certificate speaks for a realm.
 *
 * Keys are ECDSA P-256 only (ES256 everywhere): anything else is refused as
 * RT_ERR_WEAK_KEY. Private key files are written 0600 and refused on load
 * when group or others can read them. A realm is a lowercase DNS name; a
 * realm certificate names it as its only SAN dNSName (and its CN).
 *
 * struct rt_trust holds the federation (or operator) CA certificates, the
 * current CRL and a cache of certificates it has already verified. Checking
 * a certificate means: chain to one of our CAs at the given time, CRL
 * checked for every certificate of the chain (OpenSSL checks none unless
 * told), keyUsage digitalSignature, and a valid realm in the SAN. A CRL is
 * accepted only when our CA signed it; a CRL past its nextUpdate fails
 * closed unless allow_stale_crl was set. Installing a new CRL checks every
 * cached certificate again and evicts those it revokes (remembering why),
 * so a revoked certificate cannot outlive the CRL that revokes it.
 * The trust store is safe to share between threads.
 */
#ifndef RT_X509_H
#define RT_X509_H

#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "rt_buf.h"
#include "rt_err.h"

#define RT_REALM_MAX 254	/* 253 characters and the NUL */
#define RT_PEM_MAX (64 * 1024)	/* cap on any key, certificate or CSR file */
#define RT_CRL_MAX (8 * 1024 * 1024)

/* A realm is a lowercase DNS name of two or more labels. */
int rt_realm_valid(const char *realm);

int rt_key_generate(EVP_PKEY **keyp) RT_WUR;
/* RT_ERR_WEAK_KEY unless key is an EC key on P-256. */
int rt_key_check(EVP_PKEY *key) RT_WUR;
/*
 * Loads a PEM private key. passphrase may be NULL (unencrypted key);
 * RT_ERR_PASSPHRASE when it is wrong or needed, RT_ERR_PERM when the file
 * is readable by group or others.
 */
int rt_key_load(const char *path, const char *passphrase, EVP_PKEY **keyp) RT_WUR;
/*
 * key as unencrypted PKCS#8 PEM into out (made a secret buffer: wiped when
 * freed), for a TLS library that cannot decrypt what OpenSSL writes (nng's
 * mbedTLS 2.28 refuses PKCS#8 with AES-256 and an HMAC-SHA256 PRF).
 */
int rt_key_pem(EVP_PKEY *key, struct rt_buf *out) RT_WUR;
/* Writes key as PKCS#8 PEM, mode 0600, AES-256 encrypted with passphrase. */
int rt_key_write(const char *path, EVP_PKEY *key, const char *passphrase,
    int excl) RT_WUR;
/* Reads a passphrase from the first line of a 0600 file. */
int rt_passphrase_load(const char *path, struct rt_buf *out) RT_WUR;

/* Certificates: PEM or DER, file or memory. */
int rt_cert_load(const char *path, X509 **certp) RT_WUR;
int rt_cert_parse(const uint8_t *data, size_t len, X509 **certp) RT_WUR;
/* Loads every certificate of a PEM bundle (at least one). */
int rt_certs_load(const char *path, STACK_OF(X509) **certsp) RT_WUR;
int rt_cert_write(const char *path, X509 *cert) RT_WUR;
int rt_cert_to_pem(X509 *cert, struct rt_buf *out) RT_WUR;
/*
 * The realm a certificate speaks for: its only SAN dNSName, which must be a
 * valid realm. RT_ERR_CERT_BAD otherwise. out holds RT_REALM_MAX bytes.
 */
int rt_cert_realm(X509 *cert, char *out, size_t cap) RT_WUR;
/* notAfter as Unix time. */
int rt_cert_not_after(X509 *cert, time_t *tp) RT_WUR;
/* Serial as uppercase hex (out holds 2*20+1 bytes at least). */
int rt_cert_serial_hex(X509 *cert, char *out, size_t cap) RT_WUR;

int rt_crl_load(const char *path, X509_CRL **crlp) RT_WUR;
int rt_crl_parse(const uint8_t *data, size_t len, X509_CRL **crlp) RT_WUR;
int rt_crl_write(const char *path, X509_CRL *crl) RT_WUR;

/* Times of ASN1_TIME as Unix time. */
int rt_asn1_time_to_unix(const ASN1_TIME *t, time_t *tp) RT_WUR;

struct rt_trust;

struct rt_trust_options {
	int require_crl;	/* RT_ERR_CRL_MISSING when no CRL is set */
	int allow_stale_crl;	/* accept a CRL past nextUpdate (logged) */
	size_t cache_max;	/* verified certificates kept; 0 = 1024 */
};

int rt_trust_new(const struct rt_trust_options *opts, struct rt_trust **trustp) RT_WUR;
void rt_trust_free(struct rt_trust *trust);
/* Adds the CA certificates of a PEM bundle as trust anchors. */
int rt_trust_load_ca(struct rt_trust *trust, const char *path) RT_WUR;
int rt_trust_add_ca(struct rt_trust *trust, X509 *ca) RT_WUR;
/*
 * Installs crl (the caller keeps its reference) after checking that one of
 * our CAs signed it and that it is not older than the current one.
 * Returns RT_ERR_CRL_BAD, RT_ERR_CRL_EXPIRED (past nextUpdate at now, unless
 * allowed) or 0. Re-checks the certificate cache against it.
 */
int rt_trust_set_crl(struct rt_trust *trust, X509_CRL *crl, time_t now) RT_WUR;
int rt_trust_load_crl(struct rt_trust *trust, const char *path, time_t now) RT_WUR;
/* nextUpdate of the current CRL, or 0 when there is none. */
time_t rt_trust_crl_next_update(struct rt_trust *trust);
/* lastUpdate and CRL number (-1 when absent) of the current CRL; 0 or
 * RT_ERR_CRL_MISSING. */
int rt_trust_crl_info(struct rt_trust *trust, time_t *last_updatep,
    long *numberp) RT_WUR;
/* A new reference to the current CRL, or NULL. */
X509_CRL *rt_trust_crl_get(struct rt_trust *trust);
/*
 * What the trust store knows of realm's certificate at now: 0 when a
 * verified certificate is cached (its notAfter in *not_afterp if not
 * NULL); RT_ERR_CERT_EXPIRED past its notAfter; the reason a newer CRL
 * evicted it (RT_ERR_CERT_REVOKED usually); RT_ERR_CRL_EXPIRED when the
 * CRL is stale and that is not allowed; RT_ERR_CERT_UNKNOWN otherwise.
 */
int rt_trust_realm_status(struct rt_trust *trust, const char *realm, time_t now,
    time_t *not_afterp) RT_WUR;
/*
 * Verifies cert as a realm certificate at time now (see the top of this
 * file) and caches it. On success writes its realm to realm (RT_REALM_MAX).
 * extra: untrusted intermediates, may be NULL.
 */
int rt_trust_verify_cert(struct rt_trust *trust, X509 *cert,
    STACK_OF(X509) *extra, time_t now, char *realm) RT_WUR;
/*
 * Finds the verified certificate of a CMS signer in the cache (by issuer
 * and serial or by subject key identifier). Returns it with a new reference
 * in *certp and its realm, or RT_ERR_CERT_UNKNOWN; RT_ERR_CERT_EXPIRED when
 * the cached certificate has expired, RT_ERR_CRL_EXPIRED when the CRL it
 * was checked against is stale.
 */
int rt_trust_find_signer(struct rt_trust *trust, CMS_SignerInfo *si,
    time_t now, X509 **certp, char *realm) RT_WUR;
/* Number of cached verified certificates (for metrics). */
size_t rt_trust_cache_size(struct rt_trust *trust);

#endif
