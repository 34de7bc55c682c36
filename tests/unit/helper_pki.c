/*
 * The throwaway federation of helper_pki.h.
 */
#include "helper_pki.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt_codec.h"
#include "rt_file.h"

int
th_fed_new(const char *name, struct th_fed **fedp)
{
	struct pki_ca_init_opts opts = {0};
	struct th_fed *fed;
	const char *tmp = getenv("TMPDIR");
	int r;

	*fedp = NULL;
	if ((fed = calloc(1, sizeof(*fed))) == NULL)
		return RT_ERR_NOMEM;
	if (tmp == NULL || tmp[0] == '\0')
		tmp = "/tmp";
	/* room for "/ca.crt" and the realm files' names after the dir */
	if (strlen(tmp) > 200) {
		r = RT_ERR_TOO_BIG;
		goto out;
	}
	snprintf(fed->dir, sizeof(fed->dir), "%s/rt-fed-XXXXXX", tmp);
	if (mkdtemp(fed->dir) == NULL) {
		fed->dir[0] = '\0';
		r = RT_ERR_IO;
		goto out;
	}
	if (snprintf(fed->ca_path, sizeof(fed->ca_path), "%s/ca.crt", fed->dir) >=
	    (int)sizeof(fed->ca_path)) {
		r = RT_ERR_TOO_BIG;
		goto out;
	}
	opts.dir = fed->dir;
	opts.name = name;
	if ((r = pki_ca_init(&opts)) != 0 ||
	    (r = pki_ca_open(fed->dir, NULL, &fed->ca)) != 0)
		goto out;
	fed->ca_cert = pki_ca_cert(fed->ca);
	if (!X509_up_ref(fed->ca_cert)) {
		fed->ca_cert = NULL;
		r = RT_ERR_INTERNAL;
		goto out;
	}
	*fedp = fed;
	fed = NULL;
	r = 0;
 out:
	th_fed_free(fed);
	return r;
}

int
th_fed_realm(struct th_fed *fed, const char *realm, long nb_offset,
    long na_offset, struct th_realm **realmp)
{
	struct th_realm *r = NULL;
	X509_REQ *csr = NULL;
	time_t now = rt_time_now();
	int err;

	*realmp = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return RT_ERR_NOMEM;
	if (snprintf(r->realm, sizeof(r->realm), "%s", realm) >=
	    (int)sizeof(r->realm) ||
	    snprintf(r->key_path, sizeof(r->key_path), "%s/%s.key", fed->dir,
	    realm) >= (int)sizeof(r->key_path) ||
	    snprintf(r->cert_path, sizeof(r->cert_path), "%s/%s.crt", fed->dir,
	    realm) >= (int)sizeof(r->cert_path)) {
		err = RT_ERR_TOO_BIG;
		goto out;
	}
	if ((err = rt_key_generate(&r->key)) != 0 ||
	    (err = pki_request_new(realm, r->key, &csr)) != 0 ||
	    (err = pki_ca_issue(fed->ca, csr, realm, now + nb_offset,
	    now + na_offset, &r->cert)) != 0 ||
	    (err = rt_key_write(r->key_path, r->key, NULL, 0)) != 0 ||
	    (err = rt_cert_write(r->cert_path, r->cert)) != 0)
		goto out;
	*realmp = r;
	r = NULL;
	err = 0;
 out:
	X509_REQ_free(csr);
	th_realm_free(r);
	return err;
}

int
th_fed_revoke(struct th_fed *fed, const struct th_realm *realm)
{
	return pki_ca_revoke_cert(fed->ca, realm->cert,
	    PKI_REASON_KEY_COMPROMISE, rt_time_now());
}

int
th_fed_crl(struct th_fed *fed, long last_offset, long next_offset,
    X509_CRL **crlp, char *pathp)
{
	char path[512];
	X509_CRL *crl = NULL;
	time_t now = rt_time_now();
	int r;

	*crlp = NULL;
	if (snprintf(path, sizeof(path), "%s/crl.pem", fed->dir) >= (int)sizeof(path))
		return RT_ERR_TOO_BIG;
	if ((r = pki_ca_crl(fed->ca, now + last_offset, now + next_offset, &crl)) != 0)
		return r;
	if ((r = rt_crl_write(path, crl)) != 0) {
		X509_CRL_free(crl);
		return r;
	}
	if (pathp != NULL)
		memcpy(pathp, path, strlen(path) + 1);
	*crlp = crl;
	return 0;
}

void
th_realm_free(struct th_realm *r)
{
	if (r == NULL)
		return;
	EVP_PKEY_free(r->key);
	X509_free(r->cert);
	free(r);
}

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

void
th_fed_free(struct th_fed *fed)
{
	if (fed == NULL)
		return;
	pki_ca_close(fed->ca);
	X509_free(fed->ca_cert);
	if (fed->dir[0] != '\0')
		nftw(fed->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(fed);
}
