/*
 * pki_int: what the pki modules share and nothing outside pki/ uses: the
 * open CA handle and the index database (pki_index.c).
 *
 * index.txt keeps OpenSSL's `openssl ca` format, one certificate a line,
 * six tab-separated fields: status (V valid, R revoked, E expired), expiry
 * (ASN.1 time as in the certificate), "revocation-time[,reason]" (empty
 * unless R), serial (uppercase hex), file name ("unknown") and subject
 * ("/CN=realm"). It is read whole, changed in memory and written back
 * atomically, always under the CA directory's lock.
 */
#ifndef PKI_INT_H
#define PKI_INT_H

#include <limits.h>

#include <openssl/x509v3.h>

#include "pki.h"

#define PKI_CA_CERT "ca.crt"
#define PKI_CA_KEY "ca.key"
#define PKI_CA_CONF "ca.conf"
#define PKI_INDEX "index.txt"
#define PKI_CRLNUMBER "crlnumber"
#define PKI_LOCK ".lock"
#define PKI_CERTS "certs"
#define PKI_URL_MAX 1024
#define PKI_NAME_MAX 64		/* ub-common-name */

struct pki_ca {
	char dir[PATH_MAX];
	X509 *cert;
	EVP_PKEY *key;
	char name[PKI_NAME_MAX + 1];
	char crl_url[PKI_URL_MAX + 1];
};

struct pki_index_entry {
	char status;		/* 'V', 'R' or 'E' */
	char expiry[16];	/* "YYMMDDHHMMSSZ" or "YYYYMMDDHHMMSSZ" */
	char revocation[48];	/* "time[,reason]" when revoked, else "" */
	char serial[PKI_SERIAL_HEX_MAX];
	char subject[4 + RT_REALM_MAX];	/* "/CN=" realm */
};

struct pki_index {
	struct pki_index_entry *entries;
	size_t len;
	size_t cap;
};

/* dir/name into out (PATH_MAX); RT_ERR_TOO_BIG when it does not fit. */
int pki_ca_path(const struct pki_ca *ca, const char *name, char *out) RT_WUR;
int pki_path_join(const char *dir, const char *name, char *out) RT_WUR;
/* Takes the CA directory's exclusive lock; returns a descriptor or RT_ERR_*. */
int pki_ca_lock(struct pki_ca *ca) RT_WUR;

/* Certificate building shared by init and issue (pki_ca.c). */
/* Adds an extension written in OpenSSL's config syntax (fixed strings only). */
int pki_cert_add_ext(X509 *cert, X509V3_CTX *ctx, int nid, const char *value) RT_WUR;
/* A random positive serial, always 16 octets of DER (126 random bits). */
int pki_random_serial(ASN1_INTEGER **serialp) RT_WUR;
int pki_cert_set_validity(X509 *cert, time_t not_before, time_t not_after) RT_WUR;
/* Subject (and with issuer_too also issuer) CN=cn. */
int pki_cert_set_cn(X509 *cert, const char *cn, int issuer_too) RT_WUR;
/* ECDSA with SHA-256. */
int pki_cert_sign(X509 *cert, EVP_PKEY *key) RT_WUR;

/* Reads index.txt (a missing file is an empty index). */
int pki_index_load(struct pki_ca *ca, struct pki_index *index) RT_WUR;
int pki_index_save(struct pki_ca *ca, const struct pki_index *index) RT_WUR;
void pki_index_fini(struct pki_index *index);
/* The entry for a canonical serial, or NULL. */
struct pki_index_entry *pki_index_find(struct pki_index *index, const char *serial);
/* Appends the entry of a newly issued certificate. */
int pki_index_add_cert(struct pki_index *index, X509 *cert, const char *realm) RT_WUR;
/* Formats t the way index.txt and certificates do (UTCTime before 2050). */
int pki_asn1_time_string(time_t t, char *out, size_t cap) RT_WUR;

#endif
