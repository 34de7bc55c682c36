/*
 * `roamtrust-pki verify`: the same check a broker makes of a peer's realm
 * certificate (rt_trust), from files, so an operator sees what a broker
 * would decide.
 */
#include <string.h>

#include "pki_int.h"
#include "rt_log.h"

int
pki_verify_file(const char *ca_path, const char *crl_path,
    const char *cert_path, time_t now, struct pki_verify_result *res)
{
	struct rt_trust_options opts = {0};
	struct rt_trust *trust = NULL;
	X509_CRL *crl = NULL;
	X509 *cert = NULL;
	int r;

	memset(res, 0, sizeof(*res));
	opts.require_crl = crl_path != NULL;
	if ((r = rt_trust_new(&opts, &trust)) != 0)
		goto out;
	if ((r = rt_trust_load_ca(trust, ca_path)) != 0) {
		res->failed_path = ca_path;
		goto out;
	}
	if ((r = rt_cert_load(cert_path, &cert)) != 0) {
		res->failed_path = cert_path;
		goto out;
	}
	if (crl_path != NULL) {
		/* A CRL that cannot be read is a usage problem; one that does
		 * not check is a verdict. */
		if ((r = rt_crl_load(crl_path, &crl)) != 0) {
			if (r != RT_ERR_CRL_BAD)
				res->failed_path = crl_path;
			goto out;
		}
		if ((r = rt_trust_set_crl(trust, crl, now)) != 0)
			goto out;
	}
	if ((r = rt_cert_serial_hex(cert, res->serial, sizeof(res->serial))) != 0 ||
	    (r = rt_cert_not_after(cert, &res->not_after)) != 0)
		goto out;
	r = rt_trust_verify_cert(trust, cert, NULL, now, res->realm);
 out:
	X509_CRL_free(crl);
	X509_free(cert);
	rt_trust_free(trust);
	return r;
}
