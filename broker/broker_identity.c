/*
 * What a broker starts from: its realm identity (key, certificate,
 * passphrase), the trust store (CA, cached CRL) and the nng TLS
 * configuration made of them. `run` (broker_new, the listeners and
 * dialers) and `check` (broker_preflight.c) load them with these same
 * functions, so `check` refuses what `run` would; each refusal names the
 * [broker] key at fault in a struct rt_fault.
 */
#include <stdio.h>
#include <string.h>

#include "broker.h"
#include "rt_file.h"
#include "rt_log.h"

/* A PEM file of key as a string for nng (certificate, CA, key). */
static int
read_pem(const char *key, const char *path, struct rt_buf *out, struct rt_fault *fault)
{
	int r = rt_file_read(path, RT_PEM_MAX, out);

	if (r != 0) {
		log_err("event=file_unreadable path=%s reason=%s", path, rt_errname(r));
		rt_fault_set(fault, key, path, r);
	}
	return r;
}

int
broker_tls_config(const struct broker_config *bc, const char *ca_path,
    const char *server_name, nng_tls_config **cfgp, struct rt_fault *fault)
{
	const char *ca_key = ca_path == bc->agent_ca ? "agent_ca" : "ca";
	struct rt_buf ca, crl, cert, key, pass;
	nng_tls_config *cfg = NULL;
	const char *whose = "";
	/* our agents' certificates are checked against agent_ca's CRL here,
	 * in the handshake: nothing else checks them later */
	int agents = ca_path == bc->agent_ca && *bc->agent_crl != '\0', r, nerr;

	*cfgp = NULL;
	rt_fault_set(fault, NULL, NULL, 0);
	rt_buf_init(&crl, RT_CRL_MAX);
	rt_buf_init(&ca, RT_PEM_MAX);
	rt_buf_init(&cert, RT_PEM_MAX);
	rt_buf_init(&key, RT_PEM_MAX);
	rt_buf_set_secret(&key);
	rt_buf_init(&pass, 1024);
	rt_buf_set_secret(&pass);
	if ((r = read_pem(ca_key, ca_path, &ca, fault)) != 0 ||
	    (agents && (r = read_pem("agent_crl", bc->agent_crl, &crl, fault)) != 0) ||
	    (r = read_pem("cert", bc->cert, &cert, fault)) != 0)
		goto out;
	if (*bc->key_passphrase_file != '\0') {
		EVP_PKEY *pk = NULL;

		/*
		 * OpenSSL decrypts it here (rt_key_load checks its mode too)
		 * and nng gets it in clear, from memory: nng's mbedTLS cannot
		 * decrypt the PKCS#8 that OpenSSL (and so roamtrust-pki) writes.
		 */
		if ((r = rt_passphrase_load(bc->key_passphrase_file, &pass)) != 0) {
			rt_fault_set(fault, "key_passphrase_file", bc->key_passphrase_file, r);
			goto out;
		}
		if ((r = rt_key_load(bc->key, rt_buf_str(&pass), &pk)) != 0 ||
		    (r = rt_key_pem(pk, &key)) != 0) {
			rt_fault_set(fault, "key", bc->key, r);
			EVP_PKEY_free(pk);
			goto out;
		}
		EVP_PKEY_free(pk);
	} else if ((r = rt_file_check_private(bc->key)) != 0) {
		rt_fault_set(fault, "key", bc->key, r);
		goto out;
	} else if ((r = read_pem("key", bc->key, &key, fault)) != 0)
		goto out;
	r = RT_ERR_CRYPTO;
	/*
	 * nng's defaults verify nothing: require the peer's certificate, chain
	 * it to ca_path, and name the realm we dial. Revocation is checked at
	 * message level (rt_trust), where a new CRL applies at once. One CA
	 * only: nng adds each CA it is given to the same chain, so the agent
	 * listener must not start from the federation's.
	 */
	if ((nerr = nng_tls_config_alloc(&cfg, server_name != NULL ?
	    NNG_TLS_MODE_CLIENT : NNG_TLS_MODE_SERVER)) != 0 ||
	    (nerr = nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_REQUIRED)) != 0 ||
	    (nerr = nng_tls_config_ca_chain(cfg, rt_buf_str(&ca),
	    agents ? rt_buf_str(&crl) : NULL)) != 0) {
		rt_fault_set(fault, agents ? "agent_crl" : ca_key,
		    agents ? bc->agent_crl : ca_path, r);
		goto refused;
	}
	if ((nerr = nng_tls_config_own_cert(cfg, rt_buf_str(&cert), rt_buf_str(&key),
	    NULL)) != 0 ||
	    (server_name != NULL &&
	    (nerr = nng_tls_config_server_name(cfg, server_name)) != 0)) {
		rt_fault_set(fault, "cert", bc->cert, r);
		whose = " (or its key)";
		goto refused;
	}
	*cfgp = cfg;
	cfg = NULL;
	r = 0;
	goto out;
 refused:
	log_err("event=tls_config_failed error=\"%s\"", nng_strerror(nerr));
	rt_fault_detail(fault, "the TLS library refuses it%s: %s", whose,
	    nng_strerror(nerr));
 out:
	if (cfg != NULL)
		nng_tls_config_free(cfg);
	rt_buf_fini(&ca);
	rt_buf_fini(&crl);
	rt_buf_fini(&cert);
	rt_buf_fini(&key);
	rt_buf_fini(&pass);
	return r;
}

/* The key (its passphrase from key_passphrase_file, if set) into *keyp. */
static int
identity_key(const struct broker_config *bc, EVP_PKEY **keyp, struct rt_fault *fault)
{
	struct rt_buf pass;
	int r;

	rt_buf_init(&pass, 1024);
	rt_buf_set_secret(&pass);
	if (*bc->key_passphrase_file != '\0' &&
	    (r = rt_passphrase_load(bc->key_passphrase_file, &pass)) != 0) {
		rt_fault_set(fault, "key_passphrase_file", bc->key_passphrase_file, r);
		if (r == RT_ERR_PASSPHRASE)
			rt_fault_detail(fault, "its first line is empty");
		goto out;
	}
	if ((r = rt_key_load(bc->key, pass.len > 0 ? rt_buf_str(&pass) : NULL,
	    keyp)) != 0) {
		rt_fault_set(fault, "key", bc->key, r);
		if (r == RT_ERR_BAD_INPUT)
			rt_fault_detail(fault, "not a PEM private key");
		else if (r == RT_ERR_PASSPHRASE)
			rt_fault_detail(fault, *bc->key_passphrase_file != '\0' ?
			    "key_passphrase_file does not decrypt it" :
			    "encrypted, and key_passphrase_file is not set");
	}
 out:
	rt_buf_fini(&pass);
	return r;
}

int
broker_identity_load(const struct broker_config *bc, struct rt_signer **signerp,
    struct rt_fault *fault)
{
	char cert_realm[RT_REALM_MAX];
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	int r;

	*signerp = NULL;
	rt_fault_set(fault, NULL, NULL, 0);
	if ((r = identity_key(bc, &key, fault)) != 0)
		goto out;
	if ((r = rt_cert_load(bc->cert, &cert)) != 0) {
		rt_fault_set(fault, "cert", bc->cert, r);
		if (r == RT_ERR_BAD_INPUT)
			rt_fault_detail(fault, "not a certificate (PEM or DER)");
		goto out;
	}
	if ((r = rt_cert_realm(cert, cert_realm, sizeof(cert_realm))) != 0) {
		rt_fault_set(fault, "cert", bc->cert, r);
		rt_fault_detail(fault, "names no valid realm as its only SAN dNSName");
		goto out;
	}
	if (strcmp(cert_realm, bc->realm) != 0) {
		log_err("event=identity_mismatch realm=%s cert_realm=%s", bc->realm,
		    cert_realm);
		r = RT_ERR_REALM;
		rt_fault_set(fault, "cert", bc->cert, r);
		rt_fault_detail(fault, "its SAN dNSName is %s, not realm %s", cert_realm,
		    bc->realm);
		goto out;
	}
	if ((r = rt_signer_new(key, cert, signerp)) == RT_ERR_WEAK_KEY) {
		rt_fault_set(fault, "key", bc->key, r);
		rt_fault_detail(fault, "not an ECDSA P-256 key");
	} else if (r != 0) {
		rt_fault_set(fault, "cert", bc->cert, r);
		/* its realm is valid: what is left to refuse is the pair */
		if (r == RT_ERR_CERT_BAD)
			rt_fault_detail(fault, "does not match the key %s", bc->key);
	}
 out:
	EVP_PKEY_free(key);
	X509_free(cert);
	return r;
}

int
broker_trust_load(const struct broker_config *bc, int require_crl,
    struct rt_trust **trustp, struct rt_fault *fault)
{
	struct rt_trust_options topts = {require_crl, bc->crl_fail_open, 0};
	struct rt_trust *trust = NULL;
	int r;

	*trustp = NULL;
	rt_fault_set(fault, NULL, NULL, 0);
	if ((r = rt_trust_new(&topts, &trust)) != 0) {
		rt_fault_set(fault, "ca", bc->ca, r);
		return r;
	}
	if ((r = rt_trust_load_ca(trust, bc->ca)) != 0) {
		rt_fault_set(fault, "ca", bc->ca, r);
		if (r == RT_ERR_BAD_INPUT)
			rt_fault_detail(fault, "not a certificate (PEM or DER)");
		else if (r == RT_ERR_CERT_BAD)
			rt_fault_detail(fault, "not a self-signed CA certificate");
		rt_trust_free(trust);
		return r;
	}
	*trustp = trust;
	return 0;
}

int
broker_crl_cache_load(const struct broker_config *bc, struct rt_trust *trust)
{
	X509_CRL *crl = NULL;
	int r;

	if (!rt_file_exists(bc->crl_cache))
		return RT_ERR_NOT_FOUND;
	if ((r = rt_crl_load(bc->crl_cache, &crl)) == 0 &&
	    (r = rt_trust_set_crl(trust, crl, rt_time_now())) == 0)
		log_info("event=crl_loaded source=cache path=%s", bc->crl_cache);
	X509_CRL_free(crl);
	return r;
}
