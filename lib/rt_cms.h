/*
 * rt_cms: CMS (RFC 5652) detached signatures over exact bytes, ES256 with
 * a realm key, made and checked with OpenSSL's CMS API.
 *
 * Two forms, one verifier:
 * - on the wire (frames, assertions) signatures carry no certificate
 *   (CMS_NOCERTS); the verifier finds the signer in the trust store's cache
 *   of already-verified certificates (peers learn each other's at hello),
 *   so a steady stream costs one ECDSA verify per document;
 * - files that leave the system embed the signer certificate
 *   (RT_CMS_EMBED_CERT) so `openssl cms -verify -binary -inform DER -in
 *   F.sig -content F -CAfile ca.crt` checks them alone; the verifier checks
 *   the embedded certificate against the trust store (chain, CRL, realm)
 *   before it believes the signature.
 * Several signers may sign one document (an agreement carries one
 * SignerInfo per realm): rt_cms_add_signer adds one to an existing
 * signature after checking that signature covers the same bytes.
 *
 * The verifier answers with the realms that signed, taken from the signer
 * certificates' SAN: never from the document. Only SHA-256 digests and
 * P-256 keys are accepted, with at most RT_CMS_MAX_SIGNERS signers and
 * RT_CMS_SIG_MAX bytes of signature.
 */
#ifndef RT_CMS_H
#define RT_CMS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "rt_buf.h"
#include "rt_codec.h"
#include "rt_err.h"
#include "rt_x509.h"

#define RT_CMS_MAX_SIGNERS 4
#define RT_CMS_SIG_MAX (32 * 1024)

/* Embed the signer certificate (files that leave the system). */
#define RT_CMS_EMBED_CERT 0x1

/* A realm key and its certificate. */
struct rt_signer {
	EVP_PKEY *key;
	X509 *cert;
	char realm[RT_REALM_MAX];
};

/* Loads key (0600, optional passphrase) and certificate; they must match. */
int rt_signer_load(const char *key_path, const char *cert_path,
    const char *passphrase, struct rt_signer **signerp) RT_WUR;
/* Takes new references to key and cert. */
int rt_signer_new(EVP_PKEY *key, X509 *cert, struct rt_signer **signerp) RT_WUR;
void rt_signer_free(struct rt_signer *signer);

/* Appends a DER detached signature of data to sig. */
int rt_cms_sign(const struct rt_signer *signer, const uint8_t *data, size_t len,
    int flags, struct rt_buf *sig) RT_WUR;
/*
 * Appends a DER detached signature of the file at path, read in chunks (a
 * file of any size, never held in memory): RT_ERR_IO when unreadable.
 */
int rt_cms_sign_file(const struct rt_signer *signer, const char *path,
    int flags, struct rt_buf *sig) RT_WUR;
/*
 * Appends to out the signature sig with one more SignerInfo by signer.
 * Refuses (RT_ERR_SIG_BAD) when sig does not cover data, RT_ERR_EXISTS
 * when signer's certificate already signed.
 */
int rt_cms_add_signer(const struct rt_signer *signer, const uint8_t *data,
    size_t len, const uint8_t *sig, size_t siglen, int flags,
    struct rt_buf *out) RT_WUR;

struct rt_cms_signers {
	int count;
	char realm[RT_CMS_MAX_SIGNERS][RT_REALM_MAX];
	time_t signing_time[RT_CMS_MAX_SIGNERS];	/* 0 when absent */
};

/*
 * Verifies sig over data at time now: every SignerInfo must verify and
 * its certificate (embedded or cached) must be valid in trust. Fills
 * signers. Errors: RT_ERR_SIG_MISSING (no or empty signature),
 * RT_ERR_BAD_INPUT (not a detached SignedData), RT_ERR_SIG_BAD (bytes
 * altered), RT_ERR_CERT_* / RT_ERR_CRL_* from the trust store.
 */
int rt_cms_verify(struct rt_trust *trust, const uint8_t *data, size_t len,
    const uint8_t *sig, size_t siglen, time_t now,
    struct rt_cms_signers *signers) RT_WUR;

/*
 * The same for content known by its SHA-256 only (a file hashed as it was
 * read): the signers' messageDigest must equal digest.
 */
int rt_cms_verify_digest(struct rt_trust *trust,
    const uint8_t digest[RT_SHA256_LEN], const uint8_t *sig, size_t siglen,
    time_t now, struct rt_cms_signers *signers) RT_WUR;

/* Whether signers contains realm. */
int rt_cms_signed_by(const struct rt_cms_signers *signers, const char *realm);

#endif
