/*
 * Benchmarks of Digest authentication as the agent and the home broker
 * run it, each for BENCH_SECONDS (default 2):
 *   - the baselines: one SHA-256 and one MD5 of a 64-byte input, fetched
 *     once (what a digest step costs at the least);
 *   - rt_nonce_make + rt_nonce_check (the agent, per challenge/answer),
 *     then the same with rt_nonce_use, and on 2 threads;
 *   - rt_digest_parse of a sipp Authorization value;
 *   - rt_digest_verify, MD5 and SHA-256 (the home broker, per REGISTER).
 * Prints "bench: NAME VALUE UNIT [ratio R vs BASELINE]".
 */
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_codec.h"
#include "rt_digest.h"

#define T0 1790000000L
#define CLIENT "udp:192.0.2.1:5060|home.example"
#define SIPP_MD5 \
	"Digest username=\"alice\",realm=\"home.example\",cnonce=\"6b8b4567\"," \
	"nc=00000001,qop=auth,uri=\"sip:127.0.0.1:5060\",nonce=\"NONCE42\"," \
	"response=\"9ec449ce084277e0c8de86b283a9c7a9\",algorithm=MD5"
#define SIPP_SHA256 \
	"Digest username=\"alice\",realm=\"home.example\",cnonce=\"6b8b4567\"," \
	"nc=00000001,qop=auth,uri=\"sip:127.0.0.1:5060\",nonce=\"NONCE42\"," \
	"response=\"f5135c6b77abb55324cc99adc8624e4d19a03b1666119fc5b26c12620" \
	"5ed1a7b\",algorithm=SHA-256"
#define HA1_MD5 "5f5790a36dacee04ff2b1d305f251df6"
#define HA1_SHA256 \
	"0b2c004de9644f49961aad1b64bb129c53da985acb1dd2a46a40db34bea451bc"

static double bench_seconds = 2.0;

struct bench {
	struct rt_nonce_ctx *nonces;
	struct rt_digest_creds md5;
	struct rt_digest_creds sha256;
	EVP_MD *md[2];
	unsigned long counter;
	int failed;
};

typedef int (*bench_fn)(struct bench *);

/* Runs fn for bench_seconds; returns operations per second. */
static double
run(struct bench *b, bench_fn fn)
{
	uint64_t start = rt_mono_ns(), end = start + (uint64_t)(bench_seconds * 1e9);
	unsigned long ops = 0;

	do {
		for (int i = 0; i < 100; i++) {
			if (fn(b) != 0) {
				b->failed = 1;
				return 0;
			}
		}
		ops += 100;
	} while (rt_mono_ns() < end);
	return (double)ops * 1e9 / (double)(rt_mono_ns() - start);
}

static int
raw_hash(struct bench *b, int which)
{
	static const uint8_t input[64] = {1};
	uint8_t out[EVP_MAX_MD_SIZE];
	unsigned int outlen;

	return EVP_Digest(input, sizeof(input), out, &outlen, b->md[which],
	    NULL) == 1 ? 0 : -1;
}

static int
raw_sha256(struct bench *b)
{
	return raw_hash(b, 1);
}

static int
raw_md5(struct bench *b)
{
	return raw_hash(b, 0);
}

static int
nonce_make_check(struct bench *b)
{
	char nonce[RT_NONCE_LEN + 1];

	if (rt_nonce_make(b->nonces, CLIENT, T0, nonce, sizeof(nonce)) != 0)
		return -1;
	return rt_nonce_check(b->nonces, nonce, CLIENT, T0);
}

static int
nonce_make_check_use(struct bench *b)
{
	char nonce[RT_NONCE_LEN + 1];

	if (rt_nonce_make(b->nonces, CLIENT, T0, nonce, sizeof(nonce)) != 0 ||
	    rt_nonce_check(b->nonces, nonce, CLIENT, T0) != 0)
		return -1;
	return rt_nonce_use(b->nonces, nonce, "00000001", T0);
}

static int
parse_sipp(struct bench *b)
{
	struct rt_digest_creds c;
	const char *why;

	(void)b;
	return rt_digest_parse(SIPP_MD5, sizeof(SIPP_MD5) - 1, &c, &why);
}

static int
verify_md5(struct bench *b)
{
	return rt_digest_verify(HA1_MD5, &b->md5, "REGISTER", NULL);
}

static int
verify_sha256(struct bench *b)
{
	return rt_digest_verify(HA1_SHA256, &b->sha256, "REGISTER", NULL);
}

struct thread_arg {
	struct bench *b;
	double rate;
};

static void *
thread_run(void *arg)
{
	struct thread_arg *t = arg;

	t->rate = run(t->b, nonce_make_check);
	return NULL;
}

static double
run_threads(struct bench *b, int n)
{
	struct thread_arg args[8];
	pthread_t threads[8];
	double total = 0;

	for (int i = 0; i < n; i++) {
		args[i].b = b;
		if (pthread_create(&threads[i], NULL, thread_run, &args[i]) != 0)
			return 0;
	}
	for (int i = 0; i < n; i++) {
		pthread_join(threads[i], NULL);
		total += args[i].rate;
	}
	return total;
}

int
main(void)
{
	struct bench b;
	const char *env = getenv("BENCH_SECONDS"), *why;
	double sha, md5, rate;

	if (env != NULL && atof(env) > 0)
		bench_seconds = atof(env);
	memset(&b, 0, sizeof(b));
	b.md[0] = EVP_MD_fetch(NULL, "MD5", NULL);
	b.md[1] = EVP_MD_fetch(NULL, "SHA2-256", NULL);
	if (b.md[0] == NULL || b.md[1] == NULL ||
	    rt_nonce_ctx_new(300, 600, 1 << 20, &b.nonces) != 0 ||
	    rt_digest_parse(SIPP_MD5, sizeof(SIPP_MD5) - 1, &b.md5, &why) != 0 ||
	    rt_digest_parse(SIPP_SHA256, sizeof(SIPP_SHA256) - 1, &b.sha256,
	    &why) != 0) {
		fprintf(stderr, "bench_digest: setup failed\n");
		return 1;
	}
	sha = run(&b, raw_sha256);
	printf("bench: sha256_64B_raw %.0f hashes/s\n", sha);
	md5 = run(&b, raw_md5);
	printf("bench: md5_64B_raw %.0f hashes/s\n", md5);
	rate = run(&b, nonce_make_check);
	printf("bench: nonce_make_check %.0f pairs/s ratio %.2f vs sha256_64B_raw\n",
	    rate, rate / sha);
	rate = run_threads(&b, 2);
	printf("bench: nonce_make_check_2_threads %.0f pairs/s\n", rate);
	rate = run(&b, nonce_make_check_use);
	printf("bench: nonce_make_check_use %.0f nonces/s\n", rate);
	rate = run(&b, parse_sipp);
	printf("bench: digest_parse_sipp %.0f values/s\n", rate);
	rate = run(&b, verify_md5);
	printf("bench: digest_verify_md5 %.0f verifies/s ratio %.2f vs md5_64B_raw\n",
	    rate, rate / md5);
	rate = run(&b, verify_sha256);
	printf("bench: digest_verify_sha256 %.0f verifies/s ratio %.2f vs "
	    "sha256_64B_raw\n", rate, rate / sha);
	rt_nonce_ctx_free(b.nonces);
	EVP_MD_free(b.md[0]);
	EVP_MD_free(b.md[1]);
	if (b.failed) {
		fprintf(stderr, "bench_digest: an operation failed\n");
		return 1;
	}
	return 0;
}
