/*
 * Shared by the pki unit tests (test_pki, test_pki_crl): CSRs over any key,
 * throwaway CA directories, and small assertions on files and extensions.
 * These functions fail the calling cmocka test on error.
 */
#ifndef HELPER_PKITEST_H
#define HELPER_PKITEST_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stddef.h>
#include <sys/types.h>

#include "pki.h"
#include "rt_buf.h"

#define CRL_URL "http://crl.example/federation.crl"

X509_REQ * make_csr(EVP_PKEY *key, const char *cn, const char *san);
X509_REQ * realm_csr(const char *realm, EVP_PKEY **keyp);
void make_ca(char *dir, size_t cap, const char *passphrase, struct pki_ca **cap_out);
void remove_dir(const char *dir);
mode_t file_mode(const char *path);
int ext_critical(X509 *cert, int nid);
void read_text(const char *path, struct rt_buf *buf);

#endif
