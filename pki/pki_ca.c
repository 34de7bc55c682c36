/*
 * The CA directory of pki.h: making it (init) and opening it, and the
 * certificate-building helpers that init and issue (pki_issue.c) share.
 */
#include <ini.h>
#include <openssl/bn.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "pki_int.h"
#include "rt_codec.h"
#include "rt_file.h"
#include "rt_log.h"
#include "rt_x509.h"

#define PKI_CONF_MAX 8192

int
pki_path_join(const char *dir, const char *name, char *out)
{
	int n = snprintf(out, PATH_MAX, "%s/%s", dir, name);

	return n < 0 || n >= PATH_MAX ? RT_ERR_TOO_BIG : 0;
}

int
pki_ca_path(const struct pki_ca *ca, const char *name, char *out)
{
	return pki_path_join(ca->dir, name, out);
}

int
pki_ca_lock(struct pki_ca *ca)
{
	char path[PATH_MAX];
	int r;

	if ((r = pki_ca_path(ca, PKI_LOCK, path)) != 0)
		return r;
	return rt_file_lock(path);
}

X509 *
pki_ca_cert(struct pki_ca *ca)
{
	return ca->cert;
}

const char *
pki_ca_crl_url(struct pki_ca *ca)
{
	return ca->crl_url[0] != '\0' ? ca->crl_url : NULL;
}

/* A CA name is printable UTF-8 text without control characters. */
int
pki_ca_name_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > PKI_NAME_MAX || name[0] == ' ' ||
	    name[len - 1] == ' ')
		return 0;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

/* A URL for the CDP: scheme://rest, visible ASCII only (it lands in an
 * INI file and an IA5String). */
int
pki_url_valid(const char *url)
{
	const char *sep = strstr(url, "://");

	if (sep == NULL || sep == url || strlen(url) > PKI_URL_MAX)
		return 0;
	for (const char *p = url; p < sep; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '+' || *p == '-' || *p == '.'))
			return 0;
	for (const char *p = url; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f)
			return 0;
	return sep[3] != '\0';
}

/* Adds one extension written in OpenSSL's config syntax (fixed strings). */
int
pki_cert_add_ext(X509 *cert, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);
	int ok;

	if (ext == NULL) {
		log_crypto(RT_LOG_ERR, "event=cert_extension_failed nid=%d", nid);
		return RT_ERR_CRYPTO;
	}
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : RT_ERR_NOMEM;
}

/* 16 random bytes, top bit clear (positive) and next bit set so that the
 * DER encoding is always 16 octets: 126 bits of entropy. */
int
pki_random_serial(ASN1_INTEGER **serialp)
{
	unsigned char b[16];
	BIGNUM *bn = NULL;
	int r;

	*serialp = NULL;
	if ((r = rt_random_bytes(b, sizeof(b))) != 0)
		return r;
	b[0] = (unsigned char)((b[0] & 0x7f) | 0x40);
	if ((bn = BN_bin2bn(b, (int)sizeof(b), NULL)) == NULL ||
	    (*serialp = BN_to_ASN1_INTEGER(bn, NULL)) == NULL)
		r = RT_ERR_NOMEM;
	BN_free(bn);
	return r;
}

int
pki_cert_set_validity(X509 *cert, time_t not_before, time_t not_after)
{
	if (ASN1_TIME_set(X509_getm_notBefore(cert), not_before) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(cert), not_after) == NULL)
		return RT_ERR_BAD_INPUT;
	return 0;
}

int
pki_cert_set_cn(X509 *cert, const char *cn, int issuer_too)
{
	X509_NAME *name = X509_NAME_new();
	int r = RT_ERR_NOMEM;

	if (name == NULL)
		return RT_ERR_NOMEM;
	if (X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0) != 1) {
		log_crypto(RT_LOG_ERR, "event=cert_name_failed");
		r = RT_ERR_BAD_INPUT;
		goto out;
	}
	if (X509_set_subject_name(cert, name) != 1 ||
	    (issuer_too && X509_set_issuer_name(cert, name) != 1))
		goto out;
	r = 0;
 out:
	X509_NAME_free(name);
	return r;
}

int
pki_cert_sign(X509 *cert, EVP_PKEY *key)
{
	if (X509_sign(cert, key, EVP_sha256()) <= 0) {
		log_crypto(RT_LOG_ERR, "event=cert_sign_failed");
		return RT_ERR_CRYPTO;
	}
	return 0;
}

/* The self-signed CA certificate of the CA profile in pki.h. */
static int
make_ca_cert(EVP_PKEY *key, const char *name, int days, X509 **certp)
{
	ASN1_INTEGER *serial = NULL;
	X509 *cert = NULL;
	X509V3_CTX ctx;
	time_t now = rt_time_now();
	int r = RT_ERR_NOMEM;

	*certp = NULL;
	if ((cert = X509_new()) == NULL)
		goto out;
	if ((r = pki_random_serial(&serial)) != 0)
		goto out;
	r = RT_ERR_CRYPTO;
	if (X509_set_version(cert, X509_VERSION_3) != 1 ||
	    X509_set_serialNumber(cert, serial) != 1 ||
	    X509_set_pubkey(cert, key) != 1)
		goto out;
	if ((r = pki_cert_set_cn(cert, name, 1)) != 0 ||
	    (r = pki_cert_set_validity(cert, now - PKI_CLOCK_SKEW,
	    now + (time_t)days * 86400)) != 0)
		goto out;
	X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
	/* SKID first: the AKID of a self-signed certificate copies it. */
	if ((r = pki_cert_add_ext(cert, &ctx, NID_basic_constraints,
	    "critical,CA:TRUE,pathlen:0")) != 0 ||
	    (r = pki_cert_add_ext(cert, &ctx, NID_key_usage,
	    "critical,keyCertSign,cRLSign")) != 0 ||
	    (r = pki_cert_add_ext(cert, &ctx, NID_subject_key_identifier, "hash")) != 0 ||
	    (r = pki_cert_add_ext(cert, &ctx, NID_authority_key_identifier,
	    "keyid:always")) != 0)
		goto out;
	if ((r = pki_cert_sign(cert, key)) != 0)
		goto out;
	*certp = cert;
	cert = NULL;
	r = 0;
 out:
	ASN1_INTEGER_free(serial);
	X509_free(cert);
	return r;
}

static int
write_conf(const char *path, const struct pki_ca_init_opts *opts)
{
	struct rt_buf conf;
	int r;

	rt_buf_init(&conf, PKI_CONF_MAX);
	if ((r = rt_buf_printf(&conf,
	    "# roamtrust-pki CA settings, written by init and read by issue.\n"
	    "name = %s\n", opts->name)) != 0)
		goto out;
	if (opts->crl_url != NULL &&
	    (r = rt_buf_printf(&conf, "crl_url = %s\n", opts->crl_url)) != 0)
		goto out;
	r = rt_file_write(path, conf.data, conf.len, 0644, 0);
 out:
	rt_buf_fini(&conf);
	return r;
}

static int
init_check(const struct pki_ca_init_opts *opts)
{
	if (opts->dir == NULL || opts->dir[0] == '\0' || opts->name == NULL ||
	    !pki_ca_name_valid(opts->name)) {
		log_warn("event=ca_init_refused reason=\"bad CA name\"");
		return RT_ERR_BAD_INPUT;
	}
	if (opts->days < 0 || opts->days > PKI_DAYS_MAX) {
		log_warn("event=ca_init_refused reason=\"bad number of days\"");
		return RT_ERR_BAD_INPUT;
	}
	if (opts->crl_url != NULL && !pki_url_valid(opts->crl_url)) {
		log_warn("event=ca_init_refused reason=\"bad CRL URL\"");
		return RT_ERR_BAD_INPUT;
	}
	return 0;
}

int
pki_ca_init(const struct pki_ca_init_opts *opts)
{
	struct pki_ca paths;
	char key_path[PATH_MAX], path[PATH_MAX];
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	int lock = -1, key_written = 0, r;

	if ((r = init_check(opts)) != 0)
		return r;
	memset(&paths, 0, sizeof(paths));
	if (snprintf(paths.dir, sizeof(paths.dir), "%s", opts->dir) >=
	    (int)sizeof(paths.dir))
		return RT_ERR_TOO_BIG;
	if ((r = rt_dir_ensure(opts->dir, 0700)) != 0) {
		log_err("event=ca_init_failed dir=%s reason=%s", opts->dir,
		    rt_errname(r));
		return r;
	}
	if ((lock = pki_ca_lock(&paths)) < 0) {
		r = lock;
		goto out;
	}
	if ((r = pki_ca_path(&paths, PKI_CA_KEY, key_path)) != 0)
		goto out;
	if (rt_file_exists(key_path)) {
		r = RT_ERR_EXISTS;
		goto out;
	}
	if ((r = rt_key_generate(&key)) != 0 ||
	    (r = make_ca_cert(key, opts->name,
	    opts->days ? opts->days : PKI_CA_DAYS_DEFAULT, &cert)) != 0)
		goto out;
	/* The key goes first and exclusively: a CA that exists stays. */
	if ((r = rt_key_write(key_path, key, opts->passphrase, 1)) != 0)
		goto out;
	key_written = 1;
	if ((r = pki_ca_path(&paths, PKI_CA_CERT, path)) != 0 ||
	    (r = rt_cert_write(path, cert)) != 0)
		goto out;
	if ((r = pki_ca_path(&paths, PKI_CA_CONF, path)) != 0 ||
	    (r = write_conf(path, opts)) != 0)
		goto out;
	if ((r = pki_ca_path(&paths, PKI_INDEX, path)) != 0 ||
	    (r = rt_file_write(path, "", 0, 0644, 0)) != 0)
		goto out;
	if ((r = pki_ca_path(&paths, PKI_CRLNUMBER, path)) != 0 ||
	    (r = rt_file_write(path, "01\n", 3, 0644, 0)) != 0)
		goto out;
	if ((r = pki_ca_path(&paths, PKI_CERTS, path)) != 0 ||
	    (r = rt_dir_ensure(path, 0755)) != 0)
		goto out;
	log_info("event=ca_created dir=%s", opts->dir);
	r = 0;
 out:
	if (r != 0 && key_written)
		unlink(key_path);	/* half a CA is no CA: init may run again */
	rt_file_unlock(lock);
	X509_free(cert);
	EVP_PKEY_free(key);
	return r;
}

static int
conf_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct pki_ca *ca = user;

	(void)section;
	if (strcmp(name, "crl_url") == 0) {
		if (!pki_url_valid(value))
			return 0;
		snprintf(ca->crl_url, sizeof(ca->crl_url), "%s", value);
	} else if (strcmp(name, "name") == 0) {
		snprintf(ca->name, sizeof(ca->name), "%s", value);
	} else
		log_warn("event=ca_conf_unknown_key key=%s", name);
	return 1;
}

/* ca.conf is optional: a CA made by other means has no CRL URL. */
static int
load_conf(struct pki_ca *ca)
{
	char path[PATH_MAX];
	struct rt_buf buf;
	int r, line;

	rt_buf_init(&buf, PKI_CONF_MAX);
	if ((r = pki_ca_path(ca, PKI_CA_CONF, path)) != 0)
		goto out;
	if ((r = rt_file_read(path, PKI_CONF_MAX, &buf)) != 0) {
		if (r == RT_ERR_NOT_FOUND)
			r = 0;
		goto out;
	}
	if ((line = ini_parse_string(rt_buf_str(&buf), conf_handler, ca)) != 0) {
		log_err("event=ca_conf_bad path=%s line=%d", path, line);
		r = RT_ERR_CONFIG;
		goto out;
	}
	r = 0;
 out:
	rt_buf_fini(&buf);
	return r;
}

int
pki_ca_open(const char *dir, const char *passphrase, struct pki_ca **cap)
{
	struct pki_ca *ca = NULL;
	char path[PATH_MAX];
	int r;

	*cap = NULL;
	if ((ca = calloc(1, sizeof(*ca))) == NULL)
		return RT_ERR_NOMEM;
	if (snprintf(ca->dir, sizeof(ca->dir), "%s", dir) >= (int)sizeof(ca->dir)) {
		r = RT_ERR_TOO_BIG;
		goto out;
	}
	if ((r = pki_ca_path(ca, PKI_CA_CERT, path)) != 0 ||
	    (r = rt_cert_load(path, &ca->cert)) != 0)
		goto out;
	if ((r = pki_ca_path(ca, PKI_CA_KEY, path)) != 0 ||
	    (r = rt_key_load(path, passphrase, &ca->key)) != 0)
		goto out;
	if ((r = load_conf(ca)) != 0)
		goto out;
	if (rt_key_check(ca->key) != 0 || X509_check_ca(ca->cert) == 0 ||
	    X509_check_private_key(ca->cert, ca->key) != 1) {
		log_crypto(RT_LOG_ERR,
		    "event=ca_refused dir=%s reason=\"ca.key does not match ca.crt or is not a P-256 CA\"",
		    dir);
		r = RT_ERR_CONFIG;
		goto out;
	}
	*cap = ca;
	ca = NULL;
	r = 0;
 out:
	pki_ca_close(ca);
	return r;
}

void
pki_ca_close(struct pki_ca *ca)
{
	if (ca == NULL)
		return;
	X509_free(ca->cert);
	EVP_PKEY_free(ca->key);
	free(ca);
}
