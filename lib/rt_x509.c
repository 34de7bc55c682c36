#include "rt_x509.h"

#include <ctype.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

#include "rt_file.h"
#include "rt_log.h"

int
rt_realm_valid(const char *realm)
{
	size_t len = 0, label = 0, labels = 0;
	char prev = '.';

	if (realm == NULL)
		return 0;
	for (const char *p = realm; *p != '\0'; p++, len++) {
		char c = *p;

		if (len >= RT_REALM_MAX - 1)
			return 0;
		if (c == '.') {
			if (label == 0 || prev == '-')
				return 0;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-') {
			if (label == 0) {
				if (c == '-')
					return 0;
				labels++;
			}
			if (++label > 63)
				return 0;
		} else
			return 0;
		prev = c;
	}
	/* two labels at least, no trailing dot or hyphen, TLD not numeric */
	if (labels < 2 || label == 0 || prev == '-')
		return 0;
	for (const char *p = strrchr(realm, '.') + 1; *p != '\0'; p++)
		if (!isdigit((unsigned char)*p))
			return 1;
	return 0;
}

int
rt_key_generate(EVP_PKEY **keyp)
{
	*keyp = EVP_EC_gen("P-256");
	if (*keyp == NULL) {
		log_crypto(RT_LOG_ERR, "event=keygen_failed");
		return RT_ERR_CRYPTO;
	}
	return 0;
}

int
rt_key_check(EVP_PKEY *key)
{
	char group[64];
	size_t len = 0;

	if (key == NULL || !EVP_PKEY_is_a(key, "EC"))
		return RT_ERR_WEAK_KEY;
	if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME,
	    group, sizeof(group), &len) != 1) {
		ERR_clear_error();
		return RT_ERR_WEAK_KEY;
	}
	if (strcmp(group, "prime256v1") != 0 && strcmp(group, "P-256") != 0)
		return RT_ERR_WEAK_KEY;
	return 0;
}

static int
passphrase_cb(char *buf, int size, int rwflag, void *u)
{
	const char *pass = u;
	size_t len;

	(void)rwflag;
	if (pass == NULL || size <= 0)
		return -1;
	len = strlen(pass);
	if (len >= (size_t)size)
		return -1;
	memcpy(buf, pass, len);
	return (int)len;
}

int
rt_key_pem(EVP_PKEY *key, struct rt_buf *out)
{
	BIO *bio;
	char *data;
	long len;
	int r = RT_ERR_CRYPTO;

	rt_buf_set_secret(out);
	rt_buf_reset(out);
	if ((bio = BIO_new(BIO_s_secmem())) == NULL)
		return RT_ERR_NOMEM;
	if (PEM_write_bio_PKCS8PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) == 1 &&
	    (len = BIO_get_mem_data(bio, &data)) > 0)
		r = rt_buf_append(out, data, (size_t)len);
	BIO_free(bio);
	return r;
}

int
rt_key_load(const char *path, const char *passphrase, EVP_PKEY **keyp)
{
	struct rt_buf pem;
	BIO *bio = NULL;
	EVP_PKEY *key = NULL;
	int r;

	*keyp = NULL;
	rt_buf_init(&pem, RT_PEM_MAX);
	rt_buf_set_secret(&pem);
	if ((r = rt_file_check_private(path)) != 0) {
		if (r == RT_ERR_PERM)
			log_err("event=key_refused path=%s reason=\"readable by group or others (chmod 600)\"",
			    path);
		goto out;
	}
	if ((r = rt_file_read(path, RT_PEM_MAX, &pem)) != 0)
		goto out;
	if ((bio = BIO_new_mem_buf(pem.data, (int)pem.len)) == NULL) {
		r = RT_ERR_NOMEM;
		goto out;
	}
	key = PEM_read_bio_PrivateKey(bio, NULL, passphrase_cb,
	    (void *)(uintptr_t)passphrase);
	if (key == NULL) {
		unsigned long e = ERR_peek_last_error();

		/* An encrypted key read without or with the wrong passphrase. */
		if (strstr(pem.data ? (const char *)pem.data : "", "ENCRYPTED") !=
		    NULL ||
		    ERR_GET_REASON(e) == PEM_R_BAD_DECRYPT ||
		    ERR_GET_REASON(e) == PEM_R_BAD_PASSWORD_READ)
			r = RT_ERR_PASSPHRASE;
		else
			r = RT_ERR_BAD_INPUT;
		log_crypto(RT_LOG_ERR, "event=key_load_failed path=%s reason=%s",
		    path, rt_errname(r));
		goto out;
	}
	*keyp = key;
	key = NULL;
	r = 0;
 out:
	EVP_PKEY_free(key);
	BIO_free(bio);
	rt_buf_fini(&pem);
	return r;
}

int
rt_key_write(const char *path, EVP_PKEY *key, const char *passphrase, int excl)
{
	BIO *bio = NULL;
	BUF_MEM *mem = NULL;
	int r = RT_ERR_CRYPTO;

	if ((bio = BIO_new(BIO_s_secmem())) == NULL)
		return RT_ERR_NOMEM;
	if (PEM_write_bio_PKCS8PrivateKey(bio, key,
	    passphrase != NULL ? EVP_aes_256_cbc() : NULL, NULL, 0, NULL,
	    (void *)(uintptr_t)passphrase) != 1) {
		log_crypto(RT_LOG_ERR, "event=key_encode_failed");
		goto out;
	}
	BIO_get_mem_ptr(bio, &mem);
	r = rt_file_write(path, mem->data, mem->length, 0600, excl);
 out:
	BIO_free(bio);
	return r;
}

int
rt_passphrase_load(const char *path, struct rt_buf *out)
{
	struct rt_buf raw;
	size_t n = 0;
	int r;

	rt_buf_init(&raw, 4096);
	rt_buf_set_secret(&raw);
	if ((r = rt_file_check_private(path)) != 0)
		goto out;
	if ((r = rt_file_read(path, 4096, &raw)) != 0)
		goto out;
	while (n < raw.len && raw.data[n] != '\n' && raw.data[n] != '\r')
		n++;
	if (n == 0) {
		r = RT_ERR_PASSPHRASE;
		goto out;
	}
	rt_buf_set_secret(out);
	r = rt_buf_append(out, raw.data, n);
 out:
	rt_buf_fini(&raw);
	return r;
}

/* A BIO over data that is PEM when it starts like PEM, else DER. */
static int
looks_pem(const uint8_t *data, size_t len)
{
	for (size_t i = 0; i < len && i < 64; i++)
		if (data[i] == '-')
			return memcmp(data + i, "-----BEGIN", len - i < 10 ? len - i : 10) == 0;
		else if (!isspace(data[i]))
			return 0;
	return 0;
}

int
rt_cert_parse(const uint8_t *data, size_t len, X509 **certp)
{
	X509 *cert = NULL;

	*certp = NULL;
	if (len == 0 || len > RT_PEM_MAX)
		return len == 0 ? RT_ERR_BAD_INPUT : RT_ERR_TOO_BIG;
	if (looks_pem(data, len)) {
		BIO *bio = BIO_new_mem_buf(data, (int)len);

		if (bio == NULL)
			return RT_ERR_NOMEM;
		cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		BIO_free(bio);
	} else {
		const unsigned char *p = data;

		cert = d2i_X509(NULL, &p, (long)len);
		if (cert != NULL && p != data + len) {
			X509_free(cert);
			cert = NULL;
		}
	}
	if (cert == NULL) {
		log_crypto(RT_LOG_DEBUG, "event=cert_parse_failed");
		return RT_ERR_BAD_INPUT;
	}
	*certp = cert;
	return 0;
}

int
rt_cert_load(const char *path, X509 **certp)
{
	struct rt_buf buf;
	int r;

	*certp = NULL;
	rt_buf_init(&buf, RT_PEM_MAX);
	if ((r = rt_file_read(path, RT_PEM_MAX, &buf)) == 0 &&
	    (r = rt_cert_parse(buf.data, buf.len, certp)) != 0)
		log_err("event=cert_load_failed path=%s reason=%s", path,
		    rt_errname(r));
	rt_buf_fini(&buf);
	return r;
}

int
rt_certs_load(const char *path, STACK_OF(X509) **certsp)
{
	struct rt_buf buf;
	STACK_OF(X509) *certs = NULL;
	BIO *bio = NULL;
	X509 *cert;
	int r;

	*certsp = NULL;
	rt_buf_init(&buf, RT_PEM_MAX);
	if ((r = rt_file_read(path, RT_PEM_MAX, &buf)) != 0)
		goto out;
	if (!looks_pem(buf.data, buf.len)) {
		if ((r = rt_cert_parse(buf.data, buf.len, &cert)) != 0)
			goto out;
		if ((certs = sk_X509_new_null()) == NULL ||
		    !sk_X509_push(certs, cert)) {
			X509_free(cert);
			r = RT_ERR_NOMEM;
			goto out;
		}
	} else {
		if ((bio = BIO_new_mem_buf(buf.data, (int)buf.len)) == NULL ||
		    (certs = sk_X509_new_null()) == NULL) {
			r = RT_ERR_NOMEM;
			goto out;
		}
		while ((cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
			if (!sk_X509_push(certs, cert)) {
				X509_free(cert);
				r = RT_ERR_NOMEM;
				goto out;
			}
		}
		/* The loop ends with a "no start line" at end of input. */
		ERR_clear_error();
	}
	if (sk_X509_num(certs) == 0) {
		r = RT_ERR_BAD_INPUT;
		goto out;
	}
	*certsp = certs;
	certs = NULL;
	r = 0;
 out:
	if (r != 0)
		log_err("event=cert_load_failed path=%s reason=%s", path,
		    rt_errname(r));
	sk_X509_pop_free(certs, X509_free);
	BIO_free(bio);
	rt_buf_fini(&buf);
	return r;
}

int
rt_cert_to_pem(X509 *cert, struct rt_buf *out)
{
	BIO *bio = BIO_new(BIO_s_mem());
	BUF_MEM *mem;
	int r = RT_ERR_CRYPTO;

	if (bio == NULL)
		return RT_ERR_NOMEM;
	if (PEM_write_bio_X509(bio, cert) == 1) {
		BIO_get_mem_ptr(bio, &mem);
		r = rt_buf_append(out, mem->data, mem->length);
	}
	BIO_free(bio);
	return r;
}

int
rt_cert_write(const char *path, X509 *cert)
{
	struct rt_buf pem;
	int r;

	rt_buf_init(&pem, RT_PEM_MAX);
	if ((r = rt_cert_to_pem(cert, &pem)) == 0)
		r = rt_file_write(path, pem.data, pem.len, 0644, 0);
	rt_buf_fini(&pem);
	return r;
}

int
rt_cert_realm(X509 *cert, char *out, size_t cap)
{
	GENERAL_NAMES *names;
	int r = RT_ERR_CERT_BAD, dns = 0;

	out[0] = '\0';
	names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	if (names == NULL)
		return RT_ERR_CERT_BAD;
	for (int i = 0; i < sk_GENERAL_NAME_num(names); i++) {
		GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);
		const unsigned char *s;
		int len;

		if (gn->type != GEN_DNS)
			continue;
		if (++dns > 1) {
			r = RT_ERR_CERT_BAD;	/* one realm per certificate */
			goto out;
		}
		s = ASN1_STRING_get0_data(gn->d.dNSName);
		len = ASN1_STRING_length(gn->d.dNSName);
		if (len <= 0 || (size_t)len >= cap || memchr(s, '\0', (size_t)len))
			goto out;
		memcpy(out, s, (size_t)len);
		out[len] = '\0';
		if (!rt_realm_valid(out))
			goto out;
		r = 0;
	}
 out:
	if (r != 0)
		out[0] = '\0';
	GENERAL_NAMES_free(names);
	return r;
}

int
rt_asn1_time_to_unix(const ASN1_TIME *t, time_t *tp)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return RT_ERR_BAD_INPUT;
	*tp = timegm(&tm);
	return 0;
}

int
rt_cert_not_after(X509 *cert, time_t *tp)
{
	return rt_asn1_time_to_unix(X509_get0_notAfter(cert), tp);
}

int
rt_cert_serial_hex(X509 *cert, char *out, size_t cap)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	char *hex;
	int r = RT_ERR_CRYPTO;

	if (bn == NULL)
		return RT_ERR_CRYPTO;
	if ((hex = BN_bn2hex(bn)) != NULL) {
		r = strlen(hex) < cap ? 0 : RT_ERR_TOO_BIG;
		if (r == 0)
			memcpy(out, hex, strlen(hex) + 1);
		OPENSSL_free(hex);
	}
	BN_free(bn);
	return r;
}

int
rt_crl_parse(const uint8_t *data, size_t len, X509_CRL **crlp)
{
	X509_CRL *crl = NULL;

	*crlp = NULL;
	if (len == 0 || len > RT_CRL_MAX)
		return len == 0 ? RT_ERR_BAD_INPUT : RT_ERR_TOO_BIG;
	if (looks_pem(data, len)) {
		BIO *bio = BIO_new_mem_buf(data, (int)len);

		if (bio == NULL)
			return RT_ERR_NOMEM;
		crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL);
		BIO_free(bio);
	} else {
		const unsigned char *p = data;

		crl = d2i_X509_CRL(NULL, &p, (long)len);
		if (crl != NULL && p != data + len) {
			X509_CRL_free(crl);
			crl = NULL;
		}
	}
	if (crl == NULL) {
		log_crypto(RT_LOG_DEBUG, "event=crl_parse_failed");
		return RT_ERR_CRL_BAD;
	}
	*crlp = crl;
	return 0;
}

int
rt_crl_load(const char *path, X509_CRL **crlp)
{
	struct rt_buf buf;
	int r;

	*crlp = NULL;
	rt_buf_init(&buf, RT_CRL_MAX);
	if ((r = rt_file_read(path, RT_CRL_MAX, &buf)) == 0)
		r = rt_crl_parse(buf.data, buf.len, crlp);
	if (r != 0)
		log_err("event=crl_load_failed path=%s reason=%s", path,
		    rt_errname(r));
	rt_buf_fini(&buf);
	return r;
}

int
rt_crl_write(const char *path, X509_CRL *crl)
{
	BIO *bio = BIO_new(BIO_s_mem());
	BUF_MEM *mem;
	int r = RT_ERR_CRYPTO;

	if (bio == NULL)
		return RT_ERR_NOMEM;
	if (PEM_write_bio_X509_CRL(bio, crl) == 1) {
		BIO_get_mem_ptr(bio, &mem);
		r = rt_file_write(path, mem->data, mem->length, 0644, 0);
	}
	BIO_free(bio);
	return r;
}
