/*
 * helper_pki: a throwaway federation for unit tests (CMS signatures,
 * documents, trust): a CA in a fresh temporary directory, realm keys and
 * certificates valid over any window (expired and not-yet-valid ones
 * included), revocations and CRLs with any lastUpdate/nextUpdate. All in
 * process through the pki_* modules, no fork/exec, so tests can call it
 * often. Functions return 0 or RT_ERR_*; the *_free functions take NULL.
 */
#ifndef HELPER_PKI_H
#define HELPER_PKI_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "pki.h"
#include "rt_x509.h"

struct th_realm {
	char realm[RT_REALM_MAX];
	EVP_PKEY *key;
	X509 *cert;
	char key_path[512];	/* fed->dir/REALM.key, 0600 */
	char cert_path[512];	/* fed->dir/REALM.crt */
};

struct th_fed {
	char dir[512];		/* the temp dir, which is also the CA directory */
	char ca_path[512];	/* dir/ca.crt */
	struct pki_ca *ca;
	X509 *ca_cert;		/* owned by the fed */
};

/* Makes a CA in a fresh temp dir (mkdtemp under $TMPDIR or /tmp) named name. */
int th_fed_new(const char *name, struct th_fed **fedp);
/* A realm key + certificate valid [now+nb_offset, now+na_offset) seconds, files written in fed->dir. */
int th_fed_realm(struct th_fed *fed, const char *realm, long nb_offset,
    long na_offset, struct th_realm **realmp);
/* Revokes realm's certificate (reason keyCompromise, now). */
int th_fed_revoke(struct th_fed *fed, const struct th_realm *realm);
/*
 * A CRL with lastUpdate now+last_offset, nextUpdate now+next_offset; also
 * written to fed->dir/crl.pem (path in pathp if not NULL, 512 bytes).
 */
int th_fed_crl(struct th_fed *fed, long last_offset, long next_offset,
    X509_CRL **crlp, char *pathp);
void th_realm_free(struct th_realm *r);
/* Closes and removes the temp dir recursively. */
void th_fed_free(struct th_fed *fed);

#endif
