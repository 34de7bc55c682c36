/*
 * rt_spool_fill: the agent's usage spool on a file system that fills up,
 * for tests/integration/usage_disk_full.sh.
 *
 *   rt_spool_fill SPOOL FILLER
 *
 * Opens the spool SPOOL (agent_spool_open, as the agent does) and writes
 * message records through agent_spool_submit, WINDOW in flight, until
 * writes keep failing (the disk is full), remembering every record whose
 * done callback said 0 (acknowledged). Then it deletes FILLER (room
 * again), writes MORE records, which must now be acknowledged, closes the
 * spool and reads the file back with another connection: every
 * acknowledged record must be there, and nothing else.
 *
 * Prints "acked N failed M error NAME after_room K on_disk D missing X
 * extra Y"; exit 0 when the disk did fill (M > 0, NAME a storage error),
 * every acknowledged record is on disk and only those (X = Y = 0) and
 * writing worked again (K = MORE); 1 otherwise, 2 usage.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "rt_codec.h"
#include "rt_log.h"

#define WINDOW 64
#define MAX_RECORDS 200000
#define FAILURES_ENOUGH 200
#define MORE 20

struct fill {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int in_flight;
	size_t acked, failed;
	int first_error;
	char (*ids)[RT_ID_MAX];	/* the acknowledged ones */
};

static struct fill fill = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
    0, 0, 0, 0, NULL};

static void
done(struct agent_spool_op *op, int err)
{
	pthread_mutex_lock(&fill.lock);
	if (err == 0 && op->outcome == AGENT_SPOOL_STORED)
		memcpy(fill.ids[fill.acked++], op->record.id, RT_ID_MAX);
	else {
		fill.failed++;
		if (fill.first_error == 0)
			fill.first_error = err != 0 ? err : RT_ERR_INTERNAL;
	}
	fill.in_flight--;
	pthread_cond_signal(&fill.cond);
	pthread_mutex_unlock(&fill.lock);
	free(op);
}

static void
submit(struct agent_spool *s, uint64_t n)
{
	struct agent_spool_op *op = calloc(1, sizeof(*op));
	struct rt_usage_record *r;

	if (op == NULL)
		exit(1);
	pthread_mutex_lock(&fill.lock);
	while (fill.in_flight >= WINDOW)
		pthread_cond_wait(&fill.cond, &fill.lock);
	fill.in_flight++;
	pthread_mutex_unlock(&fill.lock);
	r = &op->record;
	op->kind = AGENT_SPOOL_RECORD;
	snprintf(r->agreement_ref, sizeof(r->agreement_ref),
	    "0190f3c2-0000-7000-8000-00000000a9e1");
	snprintf(r->assertion_ref, sizeof(r->assertion_ref),
	    "0190f3c2-7a1e-7c3d-9a4b-5e6f7a8b9c0d");
	snprintf(r->subscriber, sizeof(r->subscriber), "sip:alice@home.example");
	snprintf(r->home, sizeof(r->home), "home.example");
	snprintf(r->visited, sizeof(r->visited), "visited.example");
	snprintf(r->service, sizeof(r->service), "message");
	snprintf(r->unit, sizeof(r->unit), "message");
	snprintf(r->call_id, sizeof(r->call_id), "fill-%llu@192.0.2.10",
	    (unsigned long long)n);
	r->start = r->end = rt_time_now();
	r->quantity = 1;
	op->event_at = rt_time_now_ms();
	snprintf(op->event_key, sizeof(op->event_key), "msg:%s:1", r->call_id);
	op->done = done;
	agent_spool_submit(s, op);
}

static void
drain_in_flight(void)
{
	pthread_mutex_lock(&fill.lock);
	while (fill.in_flight > 0)
		pthread_cond_wait(&fill.cond, &fill.lock);
	pthread_mutex_unlock(&fill.lock);
}

static int
storage_error(int err)
{
	return err == RT_ERR_NOSPACE || err == RT_ERR_IO || err == RT_ERR_READONLY;
}

/* Reads the file back: how many acknowledged ids are missing, and how
 * many rows are not acknowledged ones. */
static int
verify(const char *path, long long *on_disk, size_t *missing, long long *extra)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *find = NULL, *count = NULL;
	int r = 1;

	*missing = 0;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT 1 FROM record WHERE id = ?1", -1, &find,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT count(*) FROM record", -1, &count,
	    NULL) != SQLITE_OK || sqlite3_step(count) != SQLITE_ROW)
		goto out;
	*on_disk = sqlite3_column_int64(count, 0);
	for (size_t i = 0; i < fill.acked; i++) {
		sqlite3_reset(find);
		sqlite3_bind_text(find, 1, fill.ids[i], -1, SQLITE_STATIC);
		if (sqlite3_step(find) != SQLITE_ROW)
			(*missing)++;
	}
	*extra = *on_disk - (long long)(fill.acked - *missing);
	r = 0;
 out:
	sqlite3_finalize(find);
	sqlite3_finalize(count);
	sqlite3_close(db);
	return r;
}

int
main(int argc, char **argv)
{
	struct agent_spool *s = NULL;
	size_t failed_before, acked_before, missing = 0;
	long long on_disk = -1, extra = -1;
	uint64_t n = 0;
	int first_error;

	if (argc != 3) {
		fprintf(stderr, "usage: rt_spool_fill SPOOL FILLER\n");
		return 2;
	}
	rt_log_init("rt_spool_fill", RT_LOG_STDERR, RT_LOG_NONE);
	if ((fill.ids = calloc(MAX_RECORDS + MORE, sizeof(*fill.ids))) == NULL ||
	    agent_spool_open(argv[1], "visited.example", 0, 14400, &s) != 0) {
		fprintf(stderr, "rt_spool_fill: cannot open %s\n", argv[1]);
		return 1;
	}
	while (n < MAX_RECORDS && fill.failed < FAILURES_ENOUGH)
		submit(s, n++);
	drain_in_flight();
	first_error = fill.first_error;
	failed_before = fill.failed;
	acked_before = fill.acked;
	/* room again: the same spool goes on */
	if (unlink(argv[2]) != 0)
		perror("rt_spool_fill: unlink filler");
	for (int i = 0; i < MORE; i++) {
		submit(s, n++);
		drain_in_flight();	/* one at a time: each its own commit */
	}
	agent_spool_close(s);
	if (verify(argv[1], &on_disk, &missing, &extra) != 0)
		fprintf(stderr, "rt_spool_fill: cannot read %s back\n", argv[1]);
	printf("acked %zu failed %zu error %s after_room %zu on_disk %lld missing %zu "
	    "extra %lld\n", acked_before, failed_before, rt_errname(first_error),
	    fill.acked - acked_before, on_disk, missing, extra);
	free(fill.ids);
	return failed_before > 0 && storage_error(first_error) && missing == 0 &&
	    extra == 0 && fill.acked - acked_before == MORE ? 0 : 1;
}
