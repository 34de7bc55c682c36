/*
 * The trust store of rt_x509.h: CA anchors, the current CRL and the cache
 * of verified realm certificates that keeps a steady stream of signed
 * documents at one ECDSA verify each.
 */
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_log.h"
#include "rt_x509.h"

struct trust_entry {
	X509 *cert;
	char realm[RT_REALM_MAX];
	time_t not_after;
	unsigned char serial[32];	/* DER content of the serial */
	int serial_len;
};

#define EVICTED_MAX 64

/* A realm whose certificate a CRL evicted from the cache, and why. */
struct trust_evicted {
	char realm[RT_REALM_MAX];
	int reason;
};

struct rt_trust {
	pthread_rwlock_t lock;
	struct rt_trust_options opts;
	STACK_OF(X509) *cas;
	X509_CRL *crl;
	time_t crl_next_update;
	struct trust_entry *cache;
	size_t cache_len;
	size_t cache_max;
	struct trust_evicted evicted[EVICTED_MAX];
	size_t evicted_next;
};

static int verify_chain(struct rt_trust *trust, X509 *cert,
    STACK_OF(X509) *extra, time_t now);

int
rt_trust_new(const struct rt_trust_options *opts, struct rt_trust **trustp)
{
	struct rt_trust *trust;

	*trustp = NULL;
	if ((trust = calloc(1, sizeof(*trust))) == NULL)
		return RT_ERR_NOMEM;
	if (opts != NULL)
		trust->opts = *opts;
	trust->cache_max = trust->opts.cache_max ? trust->opts.cache_max : 1024;
	if (pthread_rwlock_init(&trust->lock, NULL) != 0) {
		free(trust);
		return RT_ERR_INTERNAL;
	}
	if ((trust->cas = sk_X509_new_null()) == NULL ||
	    (trust->cache = calloc(trust->cache_max, sizeof(*trust->cache))) == NULL) {
		rt_trust_free(trust);
		return RT_ERR_NOMEM;
	}
	*trustp = trust;
	return 0;
}

static void
cache_clear(struct rt_trust *trust)
{
	for (size_t i = 0; i < trust->cache_len; i++)
		X509_free(trust->cache[i].cert);
	trust->cache_len = 0;
}

void
rt_trust_free(struct rt_trust *trust)
{
	if (trust == NULL)
		return;
	if (trust->cache != NULL)
		cache_clear(trust);
	free(trust->cache);
	sk_X509_pop_free(trust->cas, X509_free);
	X509_CRL_free(trust->crl);
	pthread_rwlock_destroy(&trust->lock);
	free(trust);
}

int
rt_trust_add_ca(struct rt_trust *trust, X509 *ca)
{
	int r = 0;

	/* A trust anchor must be a CA that signed itself. */
	if (X509_check_ca(ca) == 0 ||
	    X509_check_issued(ca, ca) != X509_V_OK) {
		log_err("event=ca_refused reason=\"not a self-signed CA certificate\"");
		return RT_ERR_CERT_BAD;
	}
	if (!X509_up_ref(ca))
		return RT_ERR_INTERNAL;
	pthread_rwlock_wrlock(&trust->lock);
	if (!sk_X509_push(trust->cas, ca)) {
		X509_free(ca);
		r = RT_ERR_NOMEM;
	}
	cache_clear(trust);
	pthread_rwlock_unlock(&trust->lock);
	return r;
}

int
rt_trust_load_ca(struct rt_trust *trust, const char *path)
{
	STACK_OF(X509) *certs = NULL;
	int r;

	if ((r = rt_certs_load(path, &certs)) != 0)
		return r;
	for (int i = 0; i < sk_X509_num(certs) && r == 0; i++)
		r = rt_trust_add_ca(trust, sk_X509_value(certs, i));
	sk_X509_pop_free(certs, X509_free);
	return r;
}

static void
evicted_remember(struct rt_trust *trust, const char *realm, int reason)
{
	struct trust_evicted *e = &trust->evicted[trust->evicted_next++ % EVICTED_MAX];

	snprintf(e->realm, sizeof(e->realm), "%s", realm);
	e->reason = reason;
}

/* Keeps the cached certificates the current CRL still accepts; called
 * with the write lock held. */
static void
cache_recheck(struct rt_trust *trust, time_t now)
{
	size_t kept = 0;

	for (size_t i = 0; i < trust->cache_len; i++) {
		struct trust_entry *e = &trust->cache[i];
		int r = verify_chain(trust, e->cert, NULL, now);

		if (r != 0) {
			log_warn("event=cert_evicted realm=%s reason=%s", e->realm,
			    rt_errname(r));
			evicted_remember(trust, e->realm, r);
			X509_free(e->cert);
			continue;
		}
		trust->cache[kept++] = *e;
	}
	trust->cache_len = kept;
}

static int
crl_number_cmp(X509_CRL *a, X509_CRL *b)
{
	ASN1_INTEGER *na = X509_CRL_get_ext_d2i(a, NID_crl_number, NULL, NULL);
	ASN1_INTEGER *nb = X509_CRL_get_ext_d2i(b, NID_crl_number, NULL, NULL);
	int c = 0;

	if (na != NULL && nb != NULL)
		c = ASN1_INTEGER_cmp(na, nb);
	ASN1_INTEGER_free(na);
	ASN1_INTEGER_free(nb);
	return c;
}

int
rt_trust_set_crl(struct rt_trust *trust, X509_CRL *crl, time_t now)
{
	time_t next = 0, last = 0;
	X509 *issuer = NULL;
	int r = 0;

	pthread_rwlock_wrlock(&trust->lock);
	for (int i = 0; i < sk_X509_num(trust->cas); i++) {
		X509 *ca = sk_X509_value(trust->cas, i);
		EVP_PKEY *pub = X509_get0_pubkey(ca);

		if (X509_NAME_cmp(X509_CRL_get_issuer(crl),
		    X509_get_subject_name(ca)) == 0 && pub != NULL &&
		    X509_CRL_verify(crl, pub) == 1) {
			issuer = ca;
			break;
		}
	}
	ERR_clear_error();
	if (issuer == NULL) {
		log_warn("event=crl_refused reason=\"not signed by a trusted CA\"");
		r = RT_ERR_CRL_BAD;
		goto out;
	}
	if (rt_asn1_time_to_unix(X509_CRL_get0_lastUpdate(crl), &last) != 0 ||
	    X509_CRL_get0_nextUpdate(crl) == NULL ||
	    rt_asn1_time_to_unix(X509_CRL_get0_nextUpdate(crl), &next) != 0) {
		log_warn("event=crl_refused reason=\"no lastUpdate/nextUpdate\"");
		r = RT_ERR_CRL_BAD;
		goto out;
	}
	if (last > now + 300) {
		log_warn("event=crl_refused reason=\"lastUpdate in the future\"");
		r = RT_ERR_CRL_BAD;
		goto out;
	}
	if (next < now && !trust->opts.allow_stale_crl) {
		log_warn("event=crl_refused reason=\"past nextUpdate\"");
		r = RT_ERR_CRL_EXPIRED;
		goto out;
	}
	if (trust->crl != NULL && crl_number_cmp(crl, trust->crl) < 0) {
		log_warn("event=crl_refused reason=\"older than the current CRL\"");
		r = RT_ERR_CRL_BAD;
		goto out;
	}
	if (!X509_CRL_up_ref(crl)) {
		r = RT_ERR_INTERNAL;
		goto out;
	}
	X509_CRL_free(trust->crl);
	trust->crl = crl;
	trust->crl_next_update = next;
	cache_recheck(trust, now);
 out:
	pthread_rwlock_unlock(&trust->lock);
	return r;
}

int
rt_trust_load_crl(struct rt_trust *trust, const char *path, time_t now)
{
	X509_CRL *crl = NULL;
	int r;

	if ((r = rt_crl_load(path, &crl)) != 0)
		return r;
	r = rt_trust_set_crl(trust, crl, now);
	X509_CRL_free(crl);
	return r;
}

time_t
rt_trust_crl_next_update(struct rt_trust *trust)
{
	time_t t;

	pthread_rwlock_rdlock(&trust->lock);
	t = trust->crl != NULL ? trust->crl_next_update : 0;
	pthread_rwlock_unlock(&trust->lock);
	return t;
}

static int
map_verify_error(int err)
{
	switch (err) {
	case X509_V_ERR_CERT_REVOKED:
		return RT_ERR_CERT_REVOKED;
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return RT_ERR_CERT_EXPIRED;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return RT_ERR_CERT_NOT_YET;
	case X509_V_ERR_UNABLE_TO_GET_CRL:
		return RT_ERR_CRL_MISSING;
	case X509_V_ERR_CRL_HAS_EXPIRED:
		return RT_ERR_CRL_EXPIRED;
	case X509_V_ERR_CRL_NOT_YET_VALID:
	case X509_V_ERR_CRL_SIGNATURE_FAILURE:
	case X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE:
	case X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD:
	case X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD:
	case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
		return RT_ERR_CRL_BAD;
	case X509_V_ERR_INVALID_PURPOSE:
	case X509_V_ERR_KEYUSAGE_NO_DIGITAL_SIGNATURE:
	case X509_V_ERR_INVALID_CA:
		return RT_ERR_CERT_BAD;
	default:
		return RT_ERR_CERT_UNTRUSTED;
	}
}

/* With allow_stale_crl, a CRL past nextUpdate still revokes; nothing else
 * is forgiven. */
static int
verify_cb_stale_crl_ok(int ok, X509_STORE_CTX *ctx)
{
	if (!ok && X509_STORE_CTX_get_error(ctx) == X509_V_ERR_CRL_HAS_EXPIRED)
		return 1;
	return ok;
}

/* Chain, validity and CRL of cert at now; called with the lock held. */
static int
verify_chain(struct rt_trust *trust, X509 *cert, STACK_OF(X509) *extra, time_t now)
{
	X509_STORE *store = NULL;
	X509_STORE_CTX *ctx = NULL;
	X509_VERIFY_PARAM *param;
	unsigned long flags = X509_V_FLAG_X509_STRICT;
	int r = RT_ERR_INTERNAL, err;

	if ((store = X509_STORE_new()) == NULL ||
	    (ctx = X509_STORE_CTX_new()) == NULL) {
		r = RT_ERR_NOMEM;
		goto out;
	}
	for (int i = 0; i < sk_X509_num(trust->cas); i++)
		if (!X509_STORE_add_cert(store, sk_X509_value(trust->cas, i)))
			goto out;
	if (trust->crl != NULL) {
		if (!X509_STORE_add_crl(store, trust->crl))
			goto out;
		flags |= X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL;
		if (trust->opts.allow_stale_crl)
			X509_STORE_set_verify_cb(store, verify_cb_stale_crl_ok);
	} else if (trust->opts.require_crl) {
		r = RT_ERR_CRL_MISSING;
		goto out;
	}
	if (!X509_STORE_CTX_init(ctx, store, cert, extra))
		goto out;
	param = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_flags(param, flags);
	X509_VERIFY_PARAM_set_time(param, now);
	X509_VERIFY_PARAM_set_depth(param, 4);
	if (X509_verify_cert(ctx) == 1) {
		r = 0;
		goto out;
	}
	err = X509_STORE_CTX_get_error(ctx);
	r = map_verify_error(err);
	log_debug("event=cert_verify_failed reason=%s x509=\"%s\"", rt_errname(r),
	    X509_verify_cert_error_string(err));
 out:
	if (r == RT_ERR_INTERNAL)
		log_crypto(RT_LOG_ERR, "event=cert_verify_error");
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return r;
}

/* A realm certificate: an end entity that may sign, naming one realm. */
static int
check_realm_cert(X509 *cert, char *realm)
{
	uint32_t ku = X509_get_key_usage(cert);
	int r;

	if (X509_check_ca(cert) != 0)
		return RT_ERR_CERT_BAD;
	if (ku != UINT32_MAX && !(ku & KU_DIGITAL_SIGNATURE))
		return RT_ERR_CERT_BAD;
	if ((r = rt_key_check(X509_get0_pubkey(cert))) != 0)
		return r;
	return rt_cert_realm(cert, realm, RT_REALM_MAX);
}

static void
cache_add(struct rt_trust *trust, X509 *cert, const char *realm)
{
	const ASN1_INTEGER *serial = X509_get0_serialNumber(cert);
	struct trust_entry *e;

	for (size_t i = 0; i < trust->cache_len; i++)
		if (X509_cmp(trust->cache[i].cert, cert) == 0)
			return;
	if (trust->cache_len == trust->cache_max)
		cache_clear(trust);	/* rare: more signers than the cap */
	if (ASN1_STRING_length(serial) > (int)sizeof(e->serial) ||
	    !X509_up_ref(cert))
		return;
	e = &trust->cache[trust->cache_len++];
	e->cert = cert;
	snprintf(e->realm, sizeof(e->realm), "%s", realm);
	if (rt_cert_not_after(cert, &e->not_after) != 0)
		e->not_after = 0;
	e->serial_len = ASN1_STRING_length(serial);
	memcpy(e->serial, ASN1_STRING_get0_data(serial), (size_t)e->serial_len);
}

int
rt_trust_verify_cert(struct rt_trust *trust, X509 *cert, STACK_OF(X509) *extra,
    time_t now, char *realm)
{
	char name[RT_REALM_MAX];
	int r;

	realm[0] = '\0';
	if ((r = check_realm_cert(cert, name)) != 0) {
		log_debug("event=cert_refused reason=%s", rt_errname(r));
		return r;
	}
	pthread_rwlock_wrlock(&trust->lock);
	if ((r = verify_chain(trust, cert, extra, now)) == 0)
		cache_add(trust, cert, name);
	pthread_rwlock_unlock(&trust->lock);
	if (r == 0)
		memcpy(realm, name, strlen(name) + 1);
	return r;
}

int
rt_trust_find_signer(struct rt_trust *trust, CMS_SignerInfo *si, time_t now,
    X509 **certp, char *realm)
{
	ASN1_OCTET_STRING *keyid = NULL;
	X509_NAME *issuer = NULL;
	ASN1_INTEGER *sno = NULL;
	int r = RT_ERR_CERT_UNKNOWN;

	*certp = NULL;
	if (CMS_SignerInfo_get0_signer_id(si, &keyid, &issuer, &sno) != 1)
		return RT_ERR_BAD_INPUT;
	pthread_rwlock_rdlock(&trust->lock);
	if (trust->crl != NULL && trust->crl_next_update < now &&
	    !trust->opts.allow_stale_crl) {
		r = RT_ERR_CRL_EXPIRED;
		goto out;
	}
	for (size_t i = 0; i < trust->cache_len; i++) {
		struct trust_entry *e = &trust->cache[i];

		/* the serial compare is cheap and almost always decisive */
		if (sno != NULL &&
		    (ASN1_STRING_length(sno) != e->serial_len ||
		    memcmp(ASN1_STRING_get0_data(sno), e->serial,
		    (size_t)e->serial_len) != 0))
			continue;
		if (CMS_SignerInfo_cert_cmp(si, e->cert) != 0)
			continue;
		if (e->not_after < now) {
			r = RT_ERR_CERT_EXPIRED;
			goto out;
		}
		if (!X509_up_ref(e->cert)) {
			r = RT_ERR_INTERNAL;
			goto out;
		}
		*certp = e->cert;
		memcpy(realm, e->realm, strlen(e->realm) + 1);
		r = 0;
		goto out;
	}
 out:
	pthread_rwlock_unlock(&trust->lock);
	return r;
}

int
rt_trust_crl_info(struct rt_trust *trust, time_t *last_updatep, long *numberp)
{
	ASN1_INTEGER *num = NULL;
	int r = 0;

	pthread_rwlock_rdlock(&trust->lock);
	if (trust->crl == NULL) {
		r = RT_ERR_CRL_MISSING;
		goto out;
	}
	if (rt_asn1_time_to_unix(X509_CRL_get0_lastUpdate(trust->crl),
	    last_updatep) != 0)
		*last_updatep = 0;
	num = X509_CRL_get_ext_d2i(trust->crl, NID_crl_number, NULL, NULL);
	*numberp = num != NULL ? ASN1_INTEGER_get(num) : -1;
 out:
	pthread_rwlock_unlock(&trust->lock);
	ASN1_INTEGER_free(num);
	return r;
}

X509_CRL *
rt_trust_crl_get(struct rt_trust *trust)
{
	X509_CRL *crl = NULL;

	pthread_rwlock_rdlock(&trust->lock);
	if (trust->crl != NULL && X509_CRL_up_ref(trust->crl))
		crl = trust->crl;
	pthread_rwlock_unlock(&trust->lock);
	return crl;
}

int
rt_trust_realm_status(struct rt_trust *trust, const char *realm, time_t now,
    time_t *not_afterp)
{
	int r = RT_ERR_CERT_UNKNOWN;

	pthread_rwlock_rdlock(&trust->lock);
	if (trust->crl != NULL && trust->crl_next_update < now &&
	    !trust->opts.allow_stale_crl) {
		r = RT_ERR_CRL_EXPIRED;
		goto out;
	}
	for (size_t i = 0; i < trust->cache_len; i++) {
		struct trust_entry *e = &trust->cache[i];

		if (strcmp(e->realm, realm) != 0)
			continue;
		if (not_afterp != NULL)
			*not_afterp = e->not_after;
		r = e->not_after < now ? RT_ERR_CERT_EXPIRED : 0;
		if (r == 0)
			goto out;
	}
	if (r != RT_ERR_CERT_UNKNOWN)
		goto out;
	/* the newest eviction of this realm says why it is gone */
	for (size_t k = 0; k < EVICTED_MAX; k++) {
		struct trust_evicted *e =
		    &trust->evicted[(trust->evicted_next - 1 - k) % EVICTED_MAX];

		if (e->realm[0] != '\0' && strcmp(e->realm, realm) == 0) {
			r = e->reason;
			break;
		}
	}
 out:
	pthread_rwlock_unlock(&trust->lock);
	return r;
}

size_t
rt_trust_cache_size(struct rt_trust *trust)
{
	size_t n;

	pthread_rwlock_rdlock(&trust->lock);
	n = trust->cache_len;
	pthread_rwlock_unlock(&trust->lock);
	return n;
}
