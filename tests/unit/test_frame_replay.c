/*
 * The replay cache of rt_frame.h: capacity and fail-closed refusal,
 * expiry, probe chains that outlive the entries before them, and no false
 * replays under concurrent use.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "rt_codec.h"
#include "rt_frame.h"
#include "rt_log.h"

#define THREADS 4
#define PER_THREAD 20000

/* An id whose first 8 bytes (the hash) are prefix and the rest is n. */
static void
make_id(uint8_t id[RT_FRAME_ID_LEN], uint64_t prefix, uint64_t n)
{
	memcpy(id, &prefix, 8);
	memcpy(id + 8, &n, 8);
}

static void
test_new_refusals(void **state)
{
	struct rt_replay *r = (struct rt_replay *)1;

	(void)state;
	assert_int_equal(rt_replay_new(0, 1000, &r), RT_ERR_BAD_INPUT);
	assert_null(r);
	assert_int_equal(rt_replay_new(8, 0, &r), RT_ERR_BAD_INPUT);
	assert_int_equal(rt_replay_new((size_t)1 << 29, 1000, &r), RT_ERR_BAD_INPUT);
	rt_replay_free(NULL);
}

static void
test_capacity_and_expiry(void **state)
{
	struct rt_replay *r = NULL;
	uint8_t ids[9][RT_FRAME_ID_LEN];

	(void)state;
	assert_int_equal(rt_replay_new(8, 1000, &r), 0);
	for (int i = 0; i < 9; i++)
		assert_int_equal(rt_random_bytes(ids[i], RT_FRAME_ID_LEN), 0);
	for (int i = 0; i < 8; i++)
		assert_int_equal(rt_replay_check(r, ids[i], 100 + (uint64_t)i), 0);
	assert_int_equal(rt_replay_size(r), 8);
	/* full of live ids: refused, not accepted unchecked */
	assert_int_equal(rt_replay_check(r, ids[8], 500), RT_ERR_UNAVAILABLE);
	assert_int_equal(rt_replay_check(r, ids[8], 1099), RT_ERR_UNAVAILABLE);
	/* a replay is still told apart from a full table */
	assert_int_equal(rt_replay_check(r, ids[3], 500), RT_ERR_REPLAY);
	/* the first id's window is over: room for one */
	assert_int_equal(rt_replay_check(r, ids[8], 1100), 0);
	assert_int_equal(rt_replay_check(r, ids[8], 1100), RT_ERR_REPLAY);
	assert_int_equal(rt_replay_check(r, ids[1], 1100), RT_ERR_REPLAY);
	/* the first eight windows are over: those ids are new again, each once */
	for (int i = 0; i < 7; i++)
		assert_int_equal(rt_replay_check(r, ids[i], 1200), 0);
	for (int i = 0; i < 7; i++)
		assert_int_equal(rt_replay_check(r, ids[i], 1201), RT_ERR_REPLAY);
	/* ... as far as room goes: ids[8] (seen at 1100) is still live */
	assert_int_equal(rt_replay_check(r, ids[7], 1300), RT_ERR_UNAVAILABLE);
	assert_int_equal(rt_replay_size(r), 8);
	assert_int_equal(rt_replay_check(r, ids[7], 2100), 0);
	assert_int_equal(rt_replay_check(r, ids[8], 2100), RT_ERR_UNAVAILABLE);
	assert_int_equal(rt_replay_check(r, ids[8], 2200), 0);
	rt_replay_free(r);
}

/*
 * Ids sharing a hash sit one after the other; the first expiring (and its
 * slot reused) must not hide the ones further along.
 */
static void
test_probe_chain(void **state)
{
	struct rt_replay *r = NULL;
	uint8_t a[RT_FRAME_ID_LEN], b[RT_FRAME_ID_LEN], c[RT_FRAME_ID_LEN],
	    d[RT_FRAME_ID_LEN];
	const uint64_t prefix = 0x1122334455667788ULL;

	(void)state;
	assert_int_equal(rt_replay_new(8, 1000, &r), 0);
	make_id(a, prefix, 1);
	make_id(b, prefix, 2);
	make_id(c, prefix, 3);
	make_id(d, prefix, 4);
	assert_int_equal(rt_replay_check(r, a, 0), 0);
	assert_int_equal(rt_replay_check(r, b, 500), 0);
	assert_int_equal(rt_replay_check(r, c, 600), 0);
	/* a expired at 1000; b and c live on behind it */
	assert_int_equal(rt_replay_check(r, b, 1200), RT_ERR_REPLAY);
	assert_int_equal(rt_replay_check(r, c, 1200), RT_ERR_REPLAY);
	/* d takes a's slot: b and c are still found */
	assert_int_equal(rt_replay_check(r, d, 1200), 0);
	assert_int_equal(rt_replay_check(r, b, 1300), RT_ERR_REPLAY);
	assert_int_equal(rt_replay_check(r, c, 1300), RT_ERR_REPLAY);
	assert_int_equal(rt_replay_check(r, d, 1300), RT_ERR_REPLAY);
	/* b expires too: c and d remain */
	assert_int_equal(rt_replay_check(r, c, 1550), RT_ERR_REPLAY);
	assert_int_equal(rt_replay_check(r, d, 1550), RT_ERR_REPLAY);
	assert_int_equal(rt_replay_check(r, a, 1550), 0);
	assert_int_equal(rt_replay_check(r, a, 1551), RT_ERR_REPLAY);
	rt_replay_free(r);
}

/* Probing is bounded: a 65th id on one hash is refused, never forgotten. */
static void
test_probe_bound(void **state)
{
	struct rt_replay *r = NULL;
	uint8_t id[RT_FRAME_ID_LEN];
	int accepted = 0;

	(void)state;
	assert_int_equal(rt_replay_new(1000, 1000, &r), 0);
	for (uint64_t n = 0; n < 100; n++) {
		int rc;

		make_id(id, 42, n);
		rc = rt_replay_check(r, id, 10);
		if (rc == 0)
			accepted++;
		else
			assert_int_equal(rc, RT_ERR_UNAVAILABLE);
	}
	assert_int_equal(accepted, 64);
	for (uint64_t n = 0; n < 64; n++) {
		make_id(id, 42, n);
		assert_int_equal(rt_replay_check(r, id, 20), RT_ERR_REPLAY);
	}
	/* other hashes are unaffected */
	make_id(id, 4242, 0);
	assert_int_equal(rt_replay_check(r, id, 20), 0);
	rt_replay_free(r);
}

struct worker {
	pthread_t thread;
	struct rt_replay *replay;
	uint8_t (*ids)[RT_FRAME_ID_LEN];
	int accepted;
	int replayed;
	int other;
};

static void *
worker_run(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < PER_THREAD; i++) {
		int rc = rt_replay_check(w->replay, w->ids[i], 1000 + (uint64_t)i);

		if (rc == 0)
			w->accepted++;
		else
			w->other++;
	}
	for (int i = 0; i < PER_THREAD; i++) {
		int rc = rt_replay_check(w->replay, w->ids[i], 1000 + PER_THREAD);

		if (rc == RT_ERR_REPLAY)
			w->replayed++;
		else
			w->other++;
	}
	return NULL;
}

static void
test_threads(void **state)
{
	struct worker workers[THREADS];
	struct rt_replay *r = NULL;

	(void)state;
	assert_int_equal(rt_replay_new(THREADS * PER_THREAD, 600000, &r), 0);
	memset(workers, 0, sizeof(workers));
	for (int t = 0; t < THREADS; t++) {
		workers[t].replay = r;
		assert_non_null(workers[t].ids = calloc(PER_THREAD, RT_FRAME_ID_LEN));
		assert_int_equal(rt_random_bytes(workers[t].ids,
		    (size_t)PER_THREAD * RT_FRAME_ID_LEN), 0);
	}
	for (int t = 0; t < THREADS; t++)
		assert_int_equal(pthread_create(&workers[t].thread, NULL, worker_run,
		    &workers[t]), 0);
	for (int t = 0; t < THREADS; t++) {
		assert_int_equal(pthread_join(workers[t].thread, NULL), 0);
		assert_int_equal(workers[t].accepted, PER_THREAD);
		assert_int_equal(workers[t].replayed, PER_THREAD);
		assert_int_equal(workers[t].other, 0);
	}
	assert_int_equal(rt_replay_size(r), THREADS * PER_THREAD);
	/* and across threads: another thread's id is a replay too */
	assert_int_equal(rt_replay_check(r, workers[1].ids[7], 5000), RT_ERR_REPLAY);
	for (int t = 0; t < THREADS; t++)
		free(workers[t].ids);
	rt_replay_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_refusals),
		cmocka_unit_test(test_capacity_and_expiry),
		cmocka_unit_test(test_probe_chain),
		cmocka_unit_test(test_probe_bound),
		cmocka_unit_test(test_threads),
	};

	rt_log_init("test_frame_replay", RT_LOG_STDERR, RT_LOG_NONE);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
