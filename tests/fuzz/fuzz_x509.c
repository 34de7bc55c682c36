/*
 * libFuzzer target: the DER/PEM parsers that see bytes from outside before
 * anything is verified: certificates, CRLs (fetched over http or pushed by
 * a peer), CMS signatures and CSRs (sent to the federation operator). The
 * first byte picks the parser.
 */
#include <stdint.h>
#include <stdlib.h>

#include "pki.h"
#include "rt_cms.h"
#include "rt_log.h"
#include "rt_x509.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct rt_trust *trust;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct rt_trust_options opts = {0, 0, 0};

	(void)argc;
	(void)argv;
	rt_log_init("fuzz_x509", RT_LOG_STDERR, RT_LOG_ERR);
	return rt_trust_new(&opts, &trust) == 0 ? 0 : 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t content[] = "<Ping xmlns=\"urn:roamtrust:1\"/>";
	struct rt_cms_signers signers;
	char realm[RT_REALM_MAX];
	X509_CRL *crl = NULL;
	X509 *cert = NULL;
	X509_REQ *csr = NULL;

	if (size < 1)
		return 0;
	switch (data[0] % 4) {
	case 0:
		if (rt_cert_parse(data + 1, size - 1, &cert) == 0) {
			if (rt_cert_realm(cert, realm, sizeof(realm)) == 0 &&
			    rt_trust_verify_cert(trust, cert, NULL, 0, realm) == 0)
				abort();	/* no CA: nothing can verify */
			X509_free(cert);
		}
		break;
	case 1:
		if (rt_crl_parse(data + 1, size - 1, &crl) == 0) {
			if (rt_trust_set_crl(trust, crl, 0) == 0)
				abort();	/* no CA: no CRL can be ours */
			X509_CRL_free(crl);
		}
		break;
	case 2:
		if (rt_cms_verify(trust, content, sizeof(content) - 1, data + 1,
		    size - 1, 0, &signers) == 0)
			abort();	/* no CA, no cached signer */
		break;
	case 3:
		if (pki_request_parse(data + 1, size - 1, &csr) == 0) {
			(void)!pki_request_realm(csr, realm, sizeof(realm));
			X509_REQ_free(csr);
		}
		break;
	}
	return 0;
}
