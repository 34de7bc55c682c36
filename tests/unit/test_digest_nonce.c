/*
 * rt_nonce: a nonce's life (fresh, expired, another client, forged),
 * secret rotation by hand and by the clock, nonce counts, the bounded
 * count table, and four threads at once. Every call gets an explicit now.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "rt_digest.h"

#define T0 1790000000L		/* some time in 2026 */
#define CLIENT "udp:192.0.2.1:5060|home.example"
#define OTHER "udp:192.0.2.2:5060|home.example"

static struct rt_nonce_ctx *
ctx_new(long lifetime, long rotate, size_t max_tracked)
{
	struct rt_nonce_ctx *ctx = NULL;

	assert_int_equal(rt_nonce_ctx_new(lifetime, rotate, max_tracked, &ctx), 0);
	assert_non_null(ctx);
	return ctx;
}

static void
make(struct rt_nonce_ctx *ctx, const char *client, time_t now,
    char nonce[RT_NONCE_LEN + 1])
{
	assert_int_equal(rt_nonce_make(ctx, client, now, nonce, RT_NONCE_LEN + 1),
	    0);
	assert_int_equal(strlen(nonce), RT_NONCE_LEN);
	assert_int_equal(strspn(nonce, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_"), RT_NONCE_LEN);
}

static void
test_new_args(void **state)
{
	struct rt_nonce_ctx *ctx = (struct rt_nonce_ctx *)1;
	char nonce[RT_NONCE_LEN + 1], big[2048];

	(void)state;
	assert_int_equal(rt_nonce_ctx_new(0, 600, 16, &ctx), RT_ERR_BAD_INPUT);
	assert_null(ctx);
	assert_int_equal(rt_nonce_ctx_new(300, 299, 16, &ctx), RT_ERR_BAD_INPUT);
	assert_int_equal(rt_nonce_ctx_new(300, 300, 0, &ctx), RT_ERR_BAD_INPUT);
	assert_int_equal(rt_nonce_ctx_new(300, 300, (size_t)1 << 30, &ctx),
	    RT_ERR_BAD_INPUT);
	rt_nonce_ctx_free(NULL);
	ctx = ctx_new(300, 300, 1);
	assert_int_equal(rt_nonce_make(ctx, CLIENT, T0, nonce, RT_NONCE_LEN),
	    RT_ERR_TOO_BIG);
	assert_string_equal(nonce, "");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(rt_nonce_make(ctx, big, T0, nonce, sizeof(nonce)),
	    RT_ERR_TOO_BIG);
	assert_int_equal(rt_nonce_make(ctx, NULL, T0, nonce, sizeof(nonce)),
	    RT_ERR_BAD_INPUT);
	assert_int_equal(rt_nonce_check(ctx, NULL, CLIENT, T0), RT_ERR_BAD_INPUT);
	/* the empty client is a client */
	make(ctx, "", T0, nonce);
	assert_int_equal(rt_nonce_check(ctx, nonce, "", T0), 0);
	assert_int_equal(rt_nonce_check(ctx, nonce, CLIENT, T0), RT_ERR_SIG_BAD);
	rt_nonce_ctx_free(ctx);
}

static void
test_lifecycle(void **state)
{
	struct rt_nonce_ctx *ctx = ctx_new(300, 3600, 64);
	char nonce[RT_NONCE_LEN + 1], second[RT_NONCE_LEN + 1];
	int r;

	(void)state;
	make(ctx, CLIENT, T0, nonce);
	make(ctx, CLIENT, T0, second);
	assert_string_not_equal(nonce, second);
	assert_int_equal(rt_nonce_check(ctx, nonce, CLIENT, T0), 0);
	assert_int_equal(rt_nonce_check(ctx, nonce, CLIENT, T0 + 300), 0);
	assert_int_equal(rt_nonce_check(ctx, nonce, CLIENT, T0 + 301),
	    RT_ERR_EXPIRED);
	/* from the future: a few seconds of skew, then stale */
	assert_int_equal(rt_nonce_check(ctx, nonce, CLIENT, T0 - 5), 0);
	assert_int_equal(rt_nonce_check(ctx, nonce, CLIENT, T0 - 6),
	    RT_ERR_EXPIRED);
	/* bound to its client */
	assert_int_equal(rt_nonce_check(ctx, nonce, OTHER, T0), RT_ERR_SIG_BAD);
	assert_int_equal(rt_nonce_check(ctx, nonce, CLIENT "x", T0),
	    RT_ERR_SIG_BAD);
	assert_int_equal(rt_nonce_check(ctx, nonce, "udp:192.0.2.1:5060", T0),
	    RT_ERR_SIG_BAD);
	/* much later: both stale and made with a secret long rotated out */
	assert_int_equal(rt_nonce_check(ctx, nonce, CLIENT, T0 + 100000),
	    RT_ERR_EXPIRED);
	assert_int_equal(rt_nonce_check(ctx, second, OTHER, T0 + 100000),
	    RT_ERR_EXPIRED);
	rt_nonce_ctx_free(ctx);
	/*
	 * A new context (a restart) knows none of the old secrets: the
	 * nonce is stale (or, by a 2^-32 chance of equal generations, bad).
	 */
	ctx = ctx_new(300, 3600, 64);
	r = rt_nonce_check(ctx, nonce, CLIENT, T0);
	assert_true(r == RT_ERR_EXPIRED || r == RT_ERR_SIG_BAD);
	rt_nonce_ctx_free(ctx);
}

/* Any changed character: never fresh; past the generation, a bad tag. */
static void
test_forged(void **state)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	    "qrstuvwxyz0123456789-_";
	struct rt_nonce_ctx *ctx = ctx_new(300, 3600, 64);
	char nonce[RT_NONCE_LEN + 1], forged[RT_NONCE_LEN + 2];

	(void)state;
	make(ctx, CLIENT, T0, nonce);
	for (size_t i = 0; i < RT_NONCE_LEN; i++) {
		for (size_t k = 0; k < 64; k += 7) {
			int r;

			if (alphabet[k] == nonce[i])
				continue;
			memcpy(forged, nonce, sizeof(nonce));
			forged[i] = alphabet[k];
			r = rt_nonce_check(ctx, forged, CLIENT, T0);
			/* chars 0-4 and part of 5 are the generation */
			if (i >= 6 && r != RT_ERR_SIG_BAD)
				fail_msg("position %zu: %d", i, r);
			if (r != RT_ERR_SIG_BAD && r != RT_ERR_EXPIRED)
				fail_msg("position %zu: %d", i, r);
		}
	}
	/* malformed */
	assert_int_equal(rt_nonce_check(ctx, "", CLIENT, T0), RT_ERR_SIG_BAD);
	assert_int_equal(rt_nonce_check(ctx, "abc", CLIENT, T0), RT_ERR_SIG_BAD);
	memcpy(forged, nonce, sizeof(nonce));
	forged[RT_NONCE_LEN - 1] = '=';
	assert_int_equal(rt_nonce_check(ctx, forged, CLIENT, T0), RT_ERR_SIG_BAD);
	forged[RT_NONCE_LEN - 1] = '+';
	assert_int_equal(rt_nonce_check(ctx, forged, CLIENT, T0), RT_ERR_SIG_BAD);
	memcpy(forged, nonce, sizeof(nonce));
	forged[RT_NONCE_LEN] = 'A';
	forged[RT_NONCE_LEN + 1] = '\0';
	assert_int_equal(rt_nonce_check(ctx, forged, CLIENT, T0), RT_ERR_SIG_BAD);
	forged[RT_NONCE_LEN - 1] = '\0';
	assert_int_equal(rt_nonce_check(ctx, forged, CLIENT, T0), RT_ERR_SIG_BAD);
	/* the original is untouched by all that */
	assert_int_equal(rt_nonce_check(ctx, nonce, CLIENT, T0), 0);
	rt_nonce_ctx_free(ctx);
}

static void
test_rotate_by_hand(void **state)
{
	struct rt_nonce_ctx *ctx = ctx_new(300, 3600, 64);
	char nonce[RT_NONCE_LEN + 1], after[RT_NONCE_LEN + 1];

	(void)state;
	make(ctx, CLIENT, T0, nonce);
	assert_int_equal(rt_nonce_rotate(ctx), 0);
	assert_int_equal(rt_nonce_check(ctx, nonce, CLIENT, T0 + 1), 0);
	make(ctx, CLIENT, T0 + 1, after);
	assert_int_equal(rt_nonce_check(ctx, after, CLIENT, T0 + 1), 0);
	/* the other client still fails with the previous secret */
	assert_int_equal(rt_nonce_check(ctx, nonce, OTHER, T0 + 1), RT_ERR_SIG_BAD);
	assert_int_equal(rt_nonce_rotate(ctx), 0);
	assert_int_equal(rt_nonce_check(ctx, nonce, CLIENT, T0 + 2),
	    RT_ERR_EXPIRED);
	assert_int_equal(rt_nonce_check(ctx, after, CLIENT, T0 + 2), 0);
	assert_int_equal(rt_nonce_rotate(ctx), 0);
	assert_int_equal(rt_nonce_check(ctx, after, CLIENT, T0 + 2),
	    RT_ERR_EXPIRED);
	rt_nonce_ctx_free(ctx);
}

/* The clock rotates every `rotate` seconds without staling fresh nonces. */
static void
test_rotate_by_clock(void **state)
{
	struct rt_nonce_ctx *ctx = ctx_new(300, 300, 64);
	char n0[RT_NONCE_LEN + 1], n1[RT_NONCE_LEN + 1], n2[RT_NONCE_LEN + 1];
	char n3[RT_NONCE_LEN + 1];

	(void)state;
	make(ctx, CLIENT, T0, n0);		/* starts the clock */
	make(ctx, CLIENT, T0 + 299, n1);	/* same secret */
	/* rotation at T0+300: n1 checks with the previous secret */
	assert_int_equal(rt_nonce_check(ctx, n1, CLIENT, T0 + 300), 0);
	assert_int_equal(rt_nonce_check(ctx, n0, CLIENT, T0 + 300), 0);
	make(ctx, CLIENT, T0 + 599, n2);
	assert_int_equal(rt_nonce_check(ctx, n1, CLIENT, T0 + 599), 0);
	/* rotation at T0+600 drops n0's and n1's secret; n2 is previous */
	assert_int_equal(rt_nonce_check(ctx, n2, CLIENT, T0 + 600), 0);
	assert_int_equal(rt_nonce_check(ctx, n1, CLIENT, T0 + 600),
	    RT_ERR_EXPIRED);
	assert_int_equal(rt_nonce_check(ctx, n2, CLIENT, T0 + 899), 0);
	/* a long pause rotates twice: nothing before it is fresh anyway */
	make(ctx, CLIENT, T0 + 899, n3);
	assert_int_equal(rt_nonce_check(ctx, n3, CLIENT, T0 + 1500),
	    RT_ERR_EXPIRED);
	make(ctx, CLIENT, T0 + 1500, n3);
	assert_int_equal(rt_nonce_check(ctx, n3, CLIENT, T0 + 1500), 0);
	/* a clock going back does not rotate */
	assert_int_equal(rt_nonce_check(ctx, n3, CLIENT, T0 + 1498), 0);
	rt_nonce_ctx_free(ctx);
}

static void
test_nonce_counts(void **state)
{
	struct rt_nonce_ctx *ctx = ctx_new(300, 3600, 64);
	char a[RT_NONCE_LEN + 1], b[RT_NONCE_LEN + 1], c[RT_NONCE_LEN + 1];

	(void)state;
	make(ctx, CLIENT, T0, a);
	make(ctx, CLIENT, T0, b);
	make(ctx, CLIENT, T0, c);
	/* 1 then 1 again */
	assert_int_equal(rt_nonce_use(ctx, a, "00000001", T0), 0);
	assert_int_equal(rt_nonce_use(ctx, a, "00000001", T0), RT_ERR_REPLAY);
	/* 1, 2, 3 */
	assert_int_equal(rt_nonce_use(ctx, a, "00000002", T0), 0);
	assert_int_equal(rt_nonce_use(ctx, a, "00000003", T0 + 1), 0);
	assert_int_equal(rt_nonce_use(ctx, a, "00000002", T0 + 1), RT_ERR_REPLAY);
	assert_int_equal(rt_nonce_use(ctx, a, "0000000A", T0 + 1), 0);
	assert_int_equal(rt_nonce_use(ctx, a, "0000000a", T0 + 1), RT_ERR_REPLAY);
	assert_int_equal(rt_nonce_use(ctx, a, "ffffffff", T0 + 1), 0);
	assert_int_equal(rt_nonce_use(ctx, a, "ffffffff", T0 + 1), RT_ERR_REPLAY);
	/* 2 then 1; counts may skip */
	assert_int_equal(rt_nonce_use(ctx, b, "00000002", T0), 0);
	assert_int_equal(rt_nonce_use(ctx, b, "00000001", T0), RT_ERR_REPLAY);
	assert_int_equal(rt_nonce_use(ctx, b, "00000009", T0), 0);
	/* no qop: a single use */
	assert_int_equal(rt_nonce_use(ctx, c, NULL, T0), 0);
	assert_int_equal(rt_nonce_use(ctx, c, "", T0), RT_ERR_REPLAY);
	assert_int_equal(rt_nonce_use(ctx, c, "00000001", T0), RT_ERR_REPLAY);
	/* malformed counts */
	assert_int_equal(rt_nonce_use(ctx, b, "00000000", T0), RT_ERR_BAD_INPUT);
	assert_int_equal(rt_nonce_use(ctx, b, "0000001", T0), RT_ERR_BAD_INPUT);
	assert_int_equal(rt_nonce_use(ctx, b, "000000010", T0), RT_ERR_BAD_INPUT);
	assert_int_equal(rt_nonce_use(ctx, b, "0000000x", T0), RT_ERR_BAD_INPUT);
	assert_int_equal(rt_nonce_use(ctx, "short", "00000001", T0),
	    RT_ERR_BAD_INPUT);
	/* stale by the clock */
	assert_int_equal(rt_nonce_use(ctx, b, "0000000a", T0 + 301),
	    RT_ERR_EXPIRED);
	rt_nonce_ctx_free(ctx);
}

/* max_tracked 4: the fifth nonce evicts the first, which is then stale. */
static void
test_table_bounded(void **state)
{
	struct rt_nonce_ctx *ctx = ctx_new(300, 3600, 4);
	char n[7][RT_NONCE_LEN + 1];

	(void)state;
	for (int i = 0; i < 7; i++)
		make(ctx, CLIENT, T0 + i, n[i]);
	for (int i = 1; i <= 5; i++) {
		assert_int_equal(rt_nonce_check(ctx, n[i], CLIENT, T0 + 10), 0);
		assert_int_equal(rt_nonce_use(ctx, n[i], "00000001", T0 + 10), 0);
	}
	/* n[1] was evicted: stale, in check and use, never accepted */
	assert_int_equal(rt_nonce_check(ctx, n[1], CLIENT, T0 + 10),
	    RT_ERR_EXPIRED);
	assert_int_equal(rt_nonce_use(ctx, n[1], "00000002", T0 + 10),
	    RT_ERR_EXPIRED);
	assert_int_equal(rt_nonce_use(ctx, n[1], "00000001", T0 + 10),
	    RT_ERR_EXPIRED);
	/* n[0], older and never used, may have been: stale too */
	assert_int_equal(rt_nonce_check(ctx, n[0], CLIENT, T0 + 10),
	    RT_ERR_EXPIRED);
	assert_int_equal(rt_nonce_use(ctx, n[0], "00000001", T0 + 10),
	    RT_ERR_EXPIRED);
	/* the four tracked ones keep their counts */
	for (int i = 2; i <= 5; i++) {
		assert_int_equal(rt_nonce_check(ctx, n[i], CLIENT, T0 + 10), 0);
		assert_int_equal(rt_nonce_use(ctx, n[i], "00000001", T0 + 10),
		    RT_ERR_REPLAY);
	}
	assert_int_equal(rt_nonce_use(ctx, n[2], "00000002", T0 + 10), 0);
	/* a newer nonce, never used, is fine and evicts n[2] */
	assert_int_equal(rt_nonce_check(ctx, n[6], CLIENT, T0 + 10), 0);
	assert_int_equal(rt_nonce_use(ctx, n[6], "00000001", T0 + 10), 0);
	assert_int_equal(rt_nonce_use(ctx, n[2], "00000003", T0 + 10),
	    RT_ERR_EXPIRED);
	assert_int_equal(rt_nonce_use(ctx, n[3], "00000001", T0 + 10),
	    RT_ERR_REPLAY);
	rt_nonce_ctx_free(ctx);
}

/* Expired entries leave on their own, and churn keeps the table sound. */
static void
test_table_churn(void **state)
{
	struct rt_nonce_ctx *ctx = ctx_new(10, 3600, 16);
	char n[RT_NONCE_LEN + 1], keep[RT_NONCE_LEN + 1];

	(void)state;
	make(ctx, CLIENT, T0, keep);
	assert_int_equal(rt_nonce_use(ctx, keep, "00000001", T0), 0);
	for (int i = 0; i < 2000; i++) {
		time_t now = T0 + i / 100;

		make(ctx, CLIENT, now, n);
		assert_int_equal(rt_nonce_use(ctx, n, "00000001", now), 0);
		assert_int_equal(rt_nonce_use(ctx, n, "00000001", now),
		    RT_ERR_REPLAY);
		assert_int_equal(rt_nonce_use(ctx, n, "00000002", now), 0);
		if (i < 15)	/* the 17th entry, at i == 15, evicts it */
			assert_int_equal(rt_nonce_use(ctx, keep, "00000001", now),
			    RT_ERR_REPLAY);
	}
	assert_int_not_equal(rt_nonce_use(ctx, keep, "00000002", T0 + 5), 0);
	rt_nonce_ctx_free(ctx);
}

struct worker {
	struct rt_nonce_ctx *ctx;
	int id;
	int iterations;
	int evicting;		/* the table is too small: stale is fine */
	int failures;
	int stale;
};

static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	char client[64], other[64], nonce[RT_NONCE_LEN + 1];

	snprintf(client, sizeof(client), "udp:192.0.2.%d:5060|home.example", w->id);
	snprintf(other, sizeof(other), "udp:192.0.2.%d:5060|home.example",
	    w->id + 100);
	for (int i = 0; i < w->iterations; i++) {
		time_t now = T0 + i / 500;
		int r;

		if (rt_nonce_make(w->ctx, client, now, nonce, sizeof(nonce)) != 0 ||
		    rt_nonce_check(w->ctx, nonce, other, now) != RT_ERR_SIG_BAD) {
			w->failures++;
			continue;
		}
		/*
		 * With a small table, other threads' evictions may make the
		 * nonce stale at any step; it is never accepted twice.
		 */
		r = rt_nonce_check(w->ctx, nonce, client, now);
		if (r == RT_ERR_EXPIRED && w->evicting) {
			w->stale++;
			continue;
		}
		if (r != 0) {
			w->failures++;
			continue;
		}
		r = rt_nonce_use(w->ctx, nonce, "00000001", now);
		if (r == RT_ERR_EXPIRED && w->evicting)
			w->stale++;
		else if (r != 0)
			w->failures++;
		r = rt_nonce_use(w->ctx, nonce, "00000001", now);
		if (r != RT_ERR_REPLAY && !(r == RT_ERR_EXPIRED && w->evicting))
			w->failures++;
	}
	return NULL;
}

static void
run_threads(size_t max_tracked, int iterations)
{
	struct rt_nonce_ctx *ctx = ctx_new(60, 60, max_tracked);
	struct worker workers[4];
	pthread_t threads[4];

	for (int i = 0; i < 4; i++) {
		workers[i].ctx = ctx;
		workers[i].id = i + 1;
		workers[i].iterations = iterations;
		workers[i].evicting = max_tracked < 4 * (size_t)iterations;
		workers[i].failures = 0;
		workers[i].stale = 0;
		assert_int_equal(pthread_create(&threads[i], NULL, worker_run,
		    &workers[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(threads[i], NULL), 0);
		assert_int_equal(workers[i].failures, 0);
		/* most nonces still make it through a table of 8 */
		assert_true(workers[i].stale < iterations / 2);
	}
	rt_nonce_ctx_free(ctx);
}

static void
test_threads(void **state)
{
	(void)state;
	run_threads(100000, 5000);	/* no eviction */
	run_threads(8, 5000);		/* eviction all the time */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_args),
		cmocka_unit_test(test_lifecycle),
		cmocka_unit_test(test_forged),
		cmocka_unit_test(test_rotate_by_hand),
		cmocka_unit_test(test_rotate_by_clock),
		cmocka_unit_test(test_nonce_counts),
		cmocka_unit_test(test_table_bounded),
		cmocka_unit_test(test_table_churn),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
