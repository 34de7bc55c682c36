/*
 * pki: the federation (or operator) certificate authority behind
 * roamtrust-pki, as modules that main.c and the tests link.
 *
 * A CA is a directory: ca.crt, ca.key (0600, optionally PKCS#8-encrypted),
 * ca.conf (settings issue needs later, e.g. the CRL URL), an OpenSSL-style
 * index.txt of every certificate issued and revoked, crlnumber (the next
 * CRL number, hex) and certs/SERIAL.pem (a copy of each issued
 * certificate). Every change to the database happens under an exclusive
 * lock on .lock and is written atomically, and nothing of the database is
 * cached in struct pki_ca: two handles on the same directory (or two
 * processes) always see each other's changes.
 *
 * The CA issues only realm certificates: ECDSA P-256 keys, one realm that
 * is a valid DNS name as CN and sole SAN dNSName, end entity,
 * digitalSignature, EKU serverAuth+clientAuth+emailProtection. It refuses
 * other keys (RT_ERR_WEAK_KEY), bad names (RT_ERR_BAD_NAME), CSRs whose
 * signature does not verify (RT_ERR_SIG_BAD) or that name another realm
 * (RT_ERR_REALM). Serials are random 128-bit positive integers.
 */
#ifndef PKI_H
#define PKI_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <time.h>

#include "rt_err.h"
#include "rt_x509.h"

#define PKI_SERIAL_HEX_MAX 41	/* 20 octets in hex and the NUL */
#define PKI_CA_DAYS_DEFAULT 3650
#define PKI_CERT_DAYS_DEFAULT 365
#define PKI_CRL_DAYS_DEFAULT 7
#define PKI_CLOCK_SKEW 300	/* notBefore is backdated by this much */
#define PKI_DAYS_MAX 36500

/* CRL reason codes (RFC 5280 5.3.1); 7 is not used. */
enum pki_reason {
	PKI_REASON_UNSPECIFIED = 0,
	PKI_REASON_KEY_COMPROMISE = 1,
	PKI_REASON_CA_COMPROMISE = 2,
	PKI_REASON_AFFILIATION_CHANGED = 3,
	PKI_REASON_SUPERSEDED = 4,
	PKI_REASON_CESSATION_OF_OPERATION = 5,
	PKI_REASON_CERTIFICATE_HOLD = 6,
	PKI_REASON_REMOVE_FROM_CRL = 8,
	PKI_REASON_PRIVILEGE_WITHDRAWN = 9,
	PKI_REASON_AA_COMPROMISE = 10
};

struct pki_ca;	/* an opened CA directory */

struct pki_ca_init_opts {
	const char *dir;	/* created (0700) when missing */
	const char *name;	/* the CA's CN */
	int days;		/* validity; 0 = PKI_CA_DAYS_DEFAULT */
	const char *crl_url;	/* CRL distribution point of issued certs, or NULL */
	const char *passphrase;	/* encrypts ca.key when not NULL */
};

/*
 * Makes a new CA in opts->dir. RT_ERR_EXISTS when dir already holds a
 * ca.key, RT_ERR_BAD_INPUT for a bad name, URL or number of days.
 */
int pki_ca_init(const struct pki_ca_init_opts *opts) RT_WUR;
/*
 * Opens the CA in dir: RT_ERR_PASSPHRASE when ca.key is encrypted and
 * passphrase is missing or wrong, RT_ERR_PERM when ca.key is readable by
 * group or others. Close with pki_ca_close().
 */
int pki_ca_open(const char *dir, const char *passphrase, struct pki_ca **cap) RT_WUR;
void pki_ca_close(struct pki_ca *ca);
/* A CA name: 1 to 64 characters of text, no control characters. */
int pki_ca_name_valid(const char *name);
/* A CRL URL: scheme://rest, visible ASCII only, at most 1024 bytes. */
int pki_url_valid(const char *url);
X509 *pki_ca_cert(struct pki_ca *ca);	/* borrowed */
/* The CRL URL from ca.conf, or NULL. Borrowed. */
const char *pki_ca_crl_url(struct pki_ca *ca);

/*
 * Issues a realm certificate for csr valid [not_before, not_after) (times
 * are explicit so tests can make expired and not-yet-valid certificates)
 * and records it in the index. not_after is cut to the CA's own notAfter.
 */
int pki_ca_issue(struct pki_ca *ca, X509_REQ *csr, const char *realm,
    time_t not_before, time_t not_after, X509 **certp) RT_WUR;
/*
 * Marks serial_hex (as printed by openssl: hex, any case, optional ':'
 * separators) revoked at when with reason (enum pki_reason).
 * RT_ERR_NOT_FOUND for a serial this CA never issued, RT_ERR_EXISTS when
 * it is already revoked.
 */
int pki_ca_revoke(struct pki_ca *ca, const char *serial_hex, int reason,
    time_t when) RT_WUR;
/* Revokes cert, which must have been issued by this CA (RT_ERR_CERT_UNTRUSTED). */
int pki_ca_revoke_cert(struct pki_ca *ca, X509 *cert, int reason, time_t when) RT_WUR;
/*
 * Makes the next CRL (v2, signed by the CA, with CRL number, AKID and every
 * revoked certificate with its date and reason) and advances crlnumber.
 */
int pki_ca_crl(struct pki_ca *ca, time_t last_update, time_t next_update,
    X509_CRL **crlp) RT_WUR;

/* Parses an RFC 5280 reason name (case-insensitive) into enum pki_reason. */
int pki_reason_parse(const char *name, int *reasonp) RT_WUR;
/* The RFC 5280 name of reason ("keyCompromise"); "unknown" otherwise. */
const char *pki_reason_name(int reason);
/* Canonical (uppercase, no separators, no leading zero octet) serial. */
int pki_serial_normalize(const char *in, char out[PKI_SERIAL_HEX_MAX]) RT_WUR;

/*
 * A signed CSR for realm: subject CN=realm, extension request SAN
 * dNSName=realm. key must be ECDSA P-256.
 */
int pki_request_new(const char *realm, EVP_PKEY *key, X509_REQ **csrp) RT_WUR;
/* Reads a PEM or DER CSR. */
int pki_request_load(const char *path, X509_REQ **csrp) RT_WUR;
int pki_request_parse(const unsigned char *data, size_t len, X509_REQ **csrp) RT_WUR;
/* Writes csr as PEM (0644, atomic). */
int pki_request_write(const char *path, X509_REQ *csr) RT_WUR;
/*
 * The realm csr asks for: its CN and SAN dNSNames, which must all agree.
 * Writes "" when it names none. RT_ERR_REALM when the names differ.
 */
int pki_request_realm(X509_REQ *csr, char *out, size_t cap) RT_WUR;

/* What `verify` found about a certificate. */
struct pki_verify_result {
	char realm[RT_REALM_MAX];
	char serial[PKI_SERIAL_HEX_MAX];
	time_t not_after;
	const char *failed_path;	/* the file that could not be read, or NULL */
};

/*
 * Verifies the realm certificate in cert_path against the CA bundle in
 * ca_path and, when crl_path is not NULL, the CRL (then required) at now.
 * Returns 0 or the RT_ERR_* reason it is not valid; when a file could not
 * be read at all, res->failed_path names it.
 */
int pki_verify_file(const char *ca_path, const char *crl_path,
    const char *cert_path, time_t now, struct pki_verify_result *res) RT_WUR;

/*
 * Prints a summary of a certificate, CSR, CRL (PEM or DER) or DER CMS
 * SignedData at path to out; hands anything that looks like XML to
 * pki_show_document(). RT_ERR_TYPE for anything else.
 */
int pki_show(const char *path, FILE *out) RT_WUR;

/*
 * Written in pki_agreement.c: `roamtrust-pki agreement ...` (argv[0] is
 * "agreement"; returns the exit status) and `show` of an XML document
 * (prints it to stdout; returns 0 or RT_ERR_* and the caller reports it).
 */
int pki_agreement_main(int argc, char **argv);
int pki_show_document(const char *path);

#endif
