/*
 * Certificate signing requests of pki.h: the CSR a member operator sends
 * the federation CA, and reading back the realm a CSR asks for.
 */
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <string.h>
#include <strings.h>

#include "pki_int.h"
#include "rt_file.h"
#include "rt_log.h"

int
pki_request_new(const char *realm, EVP_PKEY *key, X509_REQ **csrp)
{
	X509_REQ *csr = NULL;
	X509_NAME *name = NULL;
	STACK_OF(X509_EXTENSION) *exts = NULL;
	X509_EXTENSION *san = NULL;
	GENERAL_NAMES *names = NULL;
	GENERAL_NAME *gn = NULL;
	ASN1_IA5STRING *dns = NULL;
	int r;

	*csrp = NULL;
	if (!rt_realm_valid(realm))
		return RT_ERR_BAD_NAME;
	if ((r = rt_key_check(key)) != 0)
		return r;
	r = RT_ERR_NOMEM;
	if ((csr = X509_REQ_new()) == NULL || (name = X509_NAME_new()) == NULL ||
	    (exts = sk_X509_EXTENSION_new_null()) == NULL ||
	    (names = GENERAL_NAMES_new()) == NULL ||
	    (gn = GENERAL_NAME_new()) == NULL ||
	    (dns = ASN1_IA5STRING_new()) == NULL ||
	    ASN1_STRING_set(dns, realm, -1) != 1)
		goto out;
	GENERAL_NAME_set0_value(gn, GEN_DNS, dns);
	dns = NULL;
	if (!sk_GENERAL_NAME_push(names, gn))
		goto out;
	gn = NULL;
	r = RT_ERR_CRYPTO;
	if (X509_REQ_set_version(csr, X509_REQ_VERSION_1) != 1 ||
	    X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
	    (const unsigned char *)realm, -1, -1, 0) != 1 ||
	    X509_REQ_set_subject_name(csr, name) != 1 ||
	    X509_REQ_set_pubkey(csr, key) != 1)
		goto out;
	if ((san = X509V3_EXT_i2d(NID_subject_alt_name, 0, names)) == NULL ||
	    !sk_X509_EXTENSION_push(exts, san))
		goto out;
	san = NULL;
	if (X509_REQ_add_extensions(csr, exts) != 1)
		goto out;
	if (X509_REQ_sign(csr, key, EVP_sha256()) <= 0)
		goto out;
	*csrp = csr;
	csr = NULL;
	r = 0;
 out:
	if (r == RT_ERR_CRYPTO)
		log_crypto(RT_LOG_ERR, "event=csr_build_failed realm=%s", realm);
	X509_EXTENSION_free(san);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	ASN1_IA5STRING_free(dns);
	GENERAL_NAME_free(gn);
	GENERAL_NAMES_free(names);
	X509_NAME_free(name);
	X509_REQ_free(csr);
	return r;
}

int
pki_request_parse(const unsigned char *data, size_t len, X509_REQ **csrp)
{
	X509_REQ *csr = NULL;
	size_t i = 0;

	*csrp = NULL;
	if (len == 0 || len > RT_PEM_MAX)
		return len == 0 ? RT_ERR_BAD_INPUT : RT_ERR_TOO_BIG;
	while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' ||
	    data[i] == '\n'))
		i++;
	if (len - i >= 10 && memcmp(data + i, "-----BEGIN", 10) == 0) {
		BIO *bio = BIO_new_mem_buf(data, (int)len);

		if (bio == NULL)
			return RT_ERR_NOMEM;
		csr = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL);
		BIO_free(bio);
	} else {
		const unsigned char *p = data;

		csr = d2i_X509_REQ(NULL, &p, (long)len);
		if (csr != NULL && p != data + len) {
			X509_REQ_free(csr);
			csr = NULL;
		}
	}
	if (csr == NULL) {
		log_crypto(RT_LOG_DEBUG, "event=csr_parse_failed");
		return RT_ERR_BAD_INPUT;
	}
	*csrp = csr;
	return 0;
}

int
pki_request_load(const char *path, X509_REQ **csrp)
{
	struct rt_buf buf;
	int r;

	*csrp = NULL;
	rt_buf_init(&buf, RT_PEM_MAX);
	if ((r = rt_file_read(path, RT_PEM_MAX, &buf)) == 0)
		r = pki_request_parse(buf.data, buf.len, csrp);
	rt_buf_fini(&buf);
	return r;
}

int
pki_request_write(const char *path, X509_REQ *csr)
{
	BIO *bio = BIO_new(BIO_s_mem());
	BUF_MEM *mem;
	int r = RT_ERR_CRYPTO;

	if (bio == NULL)
		return RT_ERR_NOMEM;
	if (PEM_write_bio_X509_REQ(bio, csr) == 1) {
		BIO_get_mem_ptr(bio, &mem);
		r = rt_file_write(path, mem->data, mem->length, 0644, 0);
	}
	BIO_free(bio);
	return r;
}

/* Folds one name the CSR gives into out: the first sets it, the others
 * must agree. */
static int
realm_merge(const unsigned char *s, int len, char *out, size_t cap)
{
	if (len <= 0 || (size_t)len >= cap || memchr(s, '\0', (size_t)len) != NULL)
		return RT_ERR_REALM;
	if (out[0] == '\0') {
		memcpy(out, s, (size_t)len);
		out[len] = '\0';
		return 0;
	}
	if (strlen(out) != (size_t)len || strncasecmp(out, (const char *)s,
	    (size_t)len) != 0)
		return RT_ERR_REALM;
	return 0;
}

int
pki_request_realm(X509_REQ *csr, char *out, size_t cap)
{
	X509_NAME *subject = X509_REQ_get_subject_name(csr);
	STACK_OF(X509_EXTENSION) *exts = NULL;
	GENERAL_NAMES *names = NULL;
	int r = 0;

	out[0] = '\0';
	for (int i = -1; r == 0 &&
	    (i = X509_NAME_get_index_by_NID(subject, NID_commonName, i)) >= 0;) {
		ASN1_STRING *cn = X509_NAME_ENTRY_get_data(
		    X509_NAME_get_entry(subject, i));
		unsigned char *utf8 = NULL;
		int len = ASN1_STRING_to_UTF8(&utf8, cn);

		r = realm_merge(utf8, len, out, cap);
		OPENSSL_free(utf8);
	}
	if (r == 0 && (exts = X509_REQ_get_extensions(csr)) != NULL)
		names = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
	for (int i = 0; r == 0 && i < sk_GENERAL_NAME_num(names); i++) {
		GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);

		if (gn->type == GEN_DNS)
			r = realm_merge(ASN1_STRING_get0_data(gn->d.dNSName),
			    ASN1_STRING_length(gn->d.dNSName), out, cap);
	}
	ERR_clear_error();
	if (r != 0) {
		log_warn("event=csr_refused reason=\"CSR names more than one realm\"");
		out[0] = '\0';
	}
	GENERAL_NAMES_free(names);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return r;
}
