/* See helper_pkitest.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helper_pkitest.h"
#include "rt_file.h"
#include "rt_x509.h"

/* A CSR over any key (the pki code refuses to make the odd ones). */
X509_REQ *
make_csr(EVP_PKEY *key, const char *cn, const char *san)
{
	X509_REQ *csr = X509_REQ_new();
	X509_NAME *name = X509_NAME_new();

	assert_non_null(csr);
	assert_non_null(name);
	if (cn != NULL)
		assert_int_equal(X509_NAME_add_entry_by_NID(name, NID_commonName,
		    MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0), 1);
	assert_int_equal(X509_REQ_set_subject_name(csr, name), 1);
	assert_int_equal(X509_REQ_set_pubkey(csr, key), 1);
	if (san != NULL) {
		STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
		X509_EXTENSION *ext;
		char value[300];

		snprintf(value, sizeof(value), "DNS:%s", san);
		ext = X509V3_EXT_nconf_nid(NULL, NULL, NID_subject_alt_name, value);
		assert_non_null(ext);
		assert_true(sk_X509_EXTENSION_push(exts, ext) > 0);
		assert_int_equal(X509_REQ_add_extensions(csr, exts), 1);
		sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	}
	/* EdDSA signs without a separate digest */
	assert_true(X509_REQ_sign(csr, key, EVP_PKEY_is_a(key, "ED25519") ?
	    NULL : EVP_sha256()) > 0);
	X509_NAME_free(name);
	return csr;
}

X509_REQ *
realm_csr(const char *realm, EVP_PKEY **keyp)
{
	EVP_PKEY *key = NULL;
	X509_REQ *csr = NULL;

	assert_int_equal(rt_key_generate(&key), 0);
	assert_int_equal(pki_request_new(realm, key, &csr), 0);
	if (keyp != NULL)
		*keyp = key;
	else
		EVP_PKEY_free(key);
	return csr;
}

/* A CA with a CRL URL (and optionally an encrypted key) in a temp dir. */
void
make_ca(char *dir, size_t cap, const char *passphrase, struct pki_ca **cap_out)
{
	struct pki_ca_init_opts opts = {0};
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, cap, "%s/rt-pki-XXXXXX", tmp != NULL && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(dir));
	opts.dir = dir;
	opts.name = "Test Federation";
	opts.crl_url = CRL_URL;
	opts.passphrase = passphrase;
	assert_int_equal(pki_ca_init(&opts), 0);
	if (cap_out != NULL)
		assert_int_equal(pki_ca_open(dir, passphrase, cap_out), 0);
}

void
remove_dir(const char *dir)
{
	char cmd[600];

	/* only for make_ca's directories; th_fed_free cleans its own */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

mode_t
file_mode(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

int
ext_critical(X509 *cert, int nid)
{
	int i = X509_get_ext_by_NID(cert, nid, -1);

	assert_true(i >= 0);
	return X509_EXTENSION_get_critical(X509_get_ext(cert, i));
}

void
read_text(const char *path, struct rt_buf *buf)
{
	rt_buf_init(buf, 1 << 20);
	assert_int_equal(rt_file_read(path, 1 << 20, buf), 0);
}

