/*
 * Benchmarks of the foundation (issue: CMS signatures and documents), in
 * one process so the baselines share the machine state:
 *   - raw ECDSA P-256 sign and verify (EVP_DigestSign/Verify, SHA-256) of
 *     the same ~1 KB document: the baselines;
 *   - CMS detached sign (no certificate) and verify against the cache of
 *     verified signer certificates, as ratios to the raw figures;
 *   - CMS verify with the signer certificate embedded (files), for scale;
 *   - full document decode (verify + parse + XSD + semantic checks) of a
 *     SubscriberAssertion, as a ratio to raw verify: as we write it (the
 *     canonical form, read without a tree by the fast path of
 *     rt_doc_field.h) and spelled otherwise (one blank more, so libxml2
 *     parses it and validates it against the XSD).
 * Each figure runs for BENCH_SECONDS (default 2) and prints one line
 * "bench: NAME VALUE UNIT [ratio R vs BASELINE]".
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helper_pki.h"
#include "rt_cms.h"
#include "rt_doc.h"
#include "rt_log.h"

static double bench_seconds = 2.0;

struct bench_ctx {
	struct rt_signer *signer;
	struct rt_trust *trust;
	struct rt_buf doc;
	struct rt_buf sig_nocert;
	struct rt_buf sig_embed;
	struct rt_buf doc_spaced;	/* doc with a blank before its end tag */
	struct rt_buf sig_spaced;
	uint8_t raw_sig[128];
	size_t raw_siglen;
	struct rt_doc_ctx doc_ctx;
	int failed;
};

typedef int (*bench_fn)(struct bench_ctx *);

struct rate {
	unsigned long ops;
	uint64_t ns;
};

/* Runs fn for about slice_ns, adding to *rate. */
static void
run_slice(struct bench_ctx *b, bench_fn fn, uint64_t slice_ns, struct rate *rate)
{
	uint64_t start = rt_mono_ns(), now;

	do {
		for (int i = 0; i < 20; i++) {
			if (fn(b) != 0) {
				b->failed = 1;
				return;
			}
		}
		rate->ops += 20;
		now = rt_mono_ns();
	} while (now - start < slice_ns);
	rate->ns += now - start;
}

static double
per_second(const struct rate *rate)
{
	return rate->ns ? (double)rate->ops / ((double)rate->ns / 1e9) : 0;
}

/*
 * Measures fn and its baseline in alternating 100 ms slices for
 * bench_seconds each, so that load from elsewhere on the machine hits both
 * alike and the ratio stays meaningful.
 */
static void
run_pair(struct bench_ctx *b, bench_fn base, bench_fn fn, double *base_rate,
    double *fn_rate)
{
	struct rate rb = {0, 0}, rf = {0, 0};
	int slices = (int)(bench_seconds * 10);

	for (int i = 0; i < (slices > 0 ? slices : 1) && !b->failed; i++) {
		run_slice(b, base, 100000000, &rb);
		run_slice(b, fn, 100000000, &rf);
	}
	*base_rate = per_second(&rb);
	*fn_rate = per_second(&rf);
}

static int
raw_sign(struct bench_ctx *b)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t len = sizeof(b->raw_sig);
	int ok;

	ok = md != NULL &&
	    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, b->signer->key) == 1 &&
	    EVP_DigestSign(md, b->raw_sig, &len, b->doc.data, b->doc.len) == 1;
	EVP_MD_CTX_free(md);
	b->raw_siglen = len;
	return ok ? 0 : -1;
}

static int
raw_verify(struct bench_ctx *b)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok;

	ok = md != NULL &&
	    EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL,
	    X509_get0_pubkey(b->signer->cert)) == 1 &&
	    EVP_DigestVerify(md, b->raw_sig, b->raw_siglen, b->doc.data,
	    b->doc.len) == 1;
	EVP_MD_CTX_free(md);
	return ok ? 0 : -1;
}

static int
cms_sign(struct bench_ctx *b)
{
	struct rt_buf sig;
	int r;

	rt_buf_init(&sig, RT_CMS_SIG_MAX);
	r = rt_cms_sign(b->signer, b->doc.data, b->doc.len, 0, &sig);
	rt_buf_fini(&sig);
	return r;
}

static int
cms_verify_cached(struct bench_ctx *b)
{
	struct rt_cms_signers s;

	return rt_cms_verify(b->trust, b->doc.data, b->doc.len,
	    b->sig_nocert.data, b->sig_nocert.len, b->doc_ctx.now, &s);
}

static int
cms_verify_embedded(struct bench_ctx *b)
{
	struct rt_cms_signers s;

	return rt_cms_verify(b->trust, b->doc.data, b->doc.len,
	    b->sig_embed.data, b->sig_embed.len, b->doc_ctx.now, &s);
}

static int
doc_decode(struct bench_ctx *b)
{
	struct rt_assertion a;

	return rt_assertion_decode(&b->doc_ctx, b->doc.data, b->doc.len,
	    b->sig_nocert.data, b->sig_nocert.len, &a);
}

static int
doc_decode_libxml2(struct bench_ctx *b)
{
	struct rt_assertion a;

	return rt_assertion_decode(&b->doc_ctx, b->doc_spaced.data, b->doc_spaced.len,
	    b->sig_spaced.data, b->sig_spaced.len, &a);
}

/* doc_spaced: doc with a newline before its end tag (valid, not canonical). */
static int
make_spaced(struct bench_ctx *b)
{
	static const char end[] = "</SubscriberAssertion>";
	size_t head = b->doc.len - (sizeof(end) - 1);

	if (b->doc.len < sizeof(end) || memcmp(b->doc.data + head, end, sizeof(end) - 1) != 0)
		return -1;
	if (rt_buf_append(&b->doc_spaced, b->doc.data, head) != 0 ||
	    rt_buf_append_str(&b->doc_spaced, "\n") != 0 ||
	    rt_buf_append_str(&b->doc_spaced, end) != 0)
		return -1;
	return rt_cms_sign(b->signer, b->doc_spaced.data, b->doc_spaced.len, 0,
	    &b->sig_spaced);
}

static void
report(const char *name, double value, const char *unit, const char *base_name,
    double base)
{
	if (base_name != NULL && base > 0)
		printf("bench: %s %.0f %s ratio %.2f vs %s\n", name, value, unit,
		    value / base, base_name);
	else
		printf("bench: %s %.0f %s\n", name, value, unit);
	fflush(stdout);
}

static int
make_assertion(struct bench_ctx *b, time_t now)
{
	static const char *services[] = {"voice", "message", "video", "presence",
	    "data", "emergency"};
	struct rt_assertion a;
	int r;

	memset(&a, 0, sizeof(a));
	if ((r = rt_uuid_v4(a.id)) != 0 || (r = rt_uuid_v4(a.agreement_ref)) != 0)
		return r;
	snprintf(a.issuer, sizeof(a.issuer), "home.example");
	snprintf(a.audience, sizeof(a.audience), "visited.example");
	snprintf(a.public_id, sizeof(a.public_id),
	    "sip:alice.longname-for-a-realistic-size@home.example");
	snprintf(a.private_id, sizeof(a.private_id),
	    "alice.longname-for-a-realistic-size@home.example");
	for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++)
		snprintf(a.services[a.nservices++], RT_SERVICE_MAX, "%s", services[i]);
	snprintf(a.authn_method, sizeof(a.authn_method), "digest-sha256");
	a.authn_instant = a.issued_at = now;
	a.not_on_or_after = now + 3600;
	return rt_assertion_encode(&a, &b->doc);
}

int
main(void)
{
	struct bench_ctx b;
	struct th_fed *fed = NULL;
	struct th_realm *home = NULL;
	struct rt_trust_options topts = {1, 0, 0};
	X509_CRL *crl = NULL;
	char realm[RT_REALM_MAX];
	double raw_s, raw_v, v;
	struct rate warm = {0, 0};
	time_t now = time(NULL);
	const char *env = getenv("BENCH_SECONDS");

	if (env != NULL && atof(env) > 0)
		bench_seconds = atof(env);
	rt_log_init("bench", RT_LOG_STDERR, RT_LOG_WARN);
	memset(&b, 0, sizeof(b));
	rt_buf_init(&b.doc, RT_XML_MAX);
	rt_buf_init(&b.sig_nocert, RT_CMS_SIG_MAX);
	rt_buf_init(&b.sig_embed, RT_CMS_SIG_MAX);
	rt_buf_init(&b.doc_spaced, RT_XML_MAX);
	rt_buf_init(&b.sig_spaced, RT_CMS_SIG_MAX);
	if (rt_xml_init() != 0 || th_fed_new("Bench Federation", &fed) != 0 ||
	    th_fed_realm(fed, "home.example", -60, 86400, &home) != 0 ||
	    th_fed_crl(fed, -60, 86400, &crl, NULL) != 0 ||
	    rt_signer_new(home->key, home->cert, &b.signer) != 0 ||
	    rt_trust_new(&topts, &b.trust) != 0 ||
	    rt_trust_add_ca(b.trust, fed->ca_cert) != 0 ||
	    rt_trust_set_crl(b.trust, crl, now) != 0 ||
	    rt_trust_verify_cert(b.trust, home->cert, NULL, now, realm) != 0 ||
	    make_assertion(&b, now) != 0 ||
	    rt_cms_sign(b.signer, b.doc.data, b.doc.len, 0, &b.sig_nocert) != 0 ||
	    rt_cms_sign(b.signer, b.doc.data, b.doc.len, RT_CMS_EMBED_CERT,
	    &b.sig_embed) != 0 || make_spaced(&b) != 0) {
		fprintf(stderr, "bench_cms: setup failed\n");
		return 1;
	}
	b.doc_ctx.trust = b.trust;
	b.doc_ctx.self_realm = "visited.example";
	b.doc_ctx.now = now;
	b.doc_ctx.skew = 60;
	printf("bench: document_size %zu bytes\n", b.doc.len);
	run_slice(&b, raw_sign, 200000000, &warm);	/* warm up, make raw_sig */
	run_pair(&b, raw_sign, cms_sign, &raw_s, &v);
	report("ecdsa_p256_sign_raw", raw_s, "ops/s", NULL, 0);
	report("cms_sign_1k", v, "ops/s", "ecdsa_p256_sign_raw", raw_s);
	run_pair(&b, raw_verify, cms_verify_cached, &raw_v, &v);
	report("ecdsa_p256_verify_raw", raw_v, "ops/s", NULL, 0);
	report("cms_verify_1k_cached_cert", v, "ops/s", "ecdsa_p256_verify_raw", raw_v);
	run_pair(&b, raw_verify, doc_decode, &raw_v, &v);
	report("document_decode_1k", v, "docs/s", "ecdsa_p256_verify_raw", raw_v);
	run_pair(&b, raw_verify, doc_decode_libxml2, &raw_v, &v);
	report("document_decode_1k_libxml2", v, "docs/s", "ecdsa_p256_verify_raw", raw_v);
	run_pair(&b, raw_verify, cms_verify_embedded, &raw_v, &v);
	report("cms_verify_1k_embedded_cert", v, "ops/s", "ecdsa_p256_verify_raw", raw_v);
	X509_CRL_free(crl);
	rt_signer_free(b.signer);
	rt_trust_free(b.trust);
	th_realm_free(home);
	th_fed_free(fed);
	rt_buf_fini(&b.doc);
	rt_buf_fini(&b.sig_nocert);
	rt_buf_fini(&b.sig_embed);
	rt_buf_fini(&b.doc_spaced);
	rt_buf_fini(&b.sig_spaced);
	if (b.failed)
		fprintf(stderr, "bench_cms: an operation failed\n");
	return b.failed;
}
