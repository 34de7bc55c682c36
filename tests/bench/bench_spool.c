/*
 * Benchmark of the agent's usage spool (issue: capture at the agent): how
 * many records per second become durable (WAL, synchronous=FULL, acked
 * only after the synced commit) when many are in flight at once:
 *   - spool_ingest: THREADS threads each keep WINDOW records in flight
 *     through agent_spool_submit (a record made as the usage API makes it:
 *     UUIDv7, event key, the party's fields), the group commit of rt_store
 *     batching them; the figure counts done callbacks with err 0;
 *   - usage_report_ingest: the same through the whole report path without
 *     HTTP (agent_usage_new/run of "register" reports: SIP parse of the
 *     200, binding lookup, record, spool), each thread's roamer registered
 *     anew before each report as register_done would;
 *   - sqlite_raw_insert: the baseline, one thread inserting the same rows
 *     into the same table with one prepared statement, in transactions of
 *     the batch size spool_ingest reached (its operations per commit).
 * Files live under TMPDIR (default /tmp: a real disk, so fsync costs what
 * it costs). Each figure runs BENCH_SECONDS (default 3). Prints
 * "bench: NAME VALUE records/s [ratio R vs BASE]" and the process's CPU
 * time per record (all threads: the submitters' and the writer's), the
 * figure to compare while other work shares the machine's cores.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "rt_codec.h"
#include "rt_file.h"
#include "rt_log.h"

#define THREADS 2
#define WINDOW 1024

static double bench_seconds = 3.0;
static char dir[256];

/* CPU time of the whole process, in ns */
static uint64_t
cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void
die(const char *what)
{
	fprintf(stderr, "bench_spool: %s\n", what);
	exit(1);
}

/* xorshift: Call-IDs as random as a UA's, cheaply */
static uint64_t
next_random(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* A record as the usage API makes one (its id made by the spool). */
static void
record_fill(struct rt_usage_record *r, char *event_key, size_t cap, uint64_t *rnd)
{
	uint64_t x = next_random(rnd);

	memset(r, 0, sizeof(*r));
	snprintf(r->agreement_ref, sizeof(r->agreement_ref),
	    "0190f3c2-0000-7000-8000-00000000a9e1");
	snprintf(r->assertion_ref, sizeof(r->assertion_ref),
	    "0190f3c2-7a1e-7c3d-9a4b-5e6f7a8b9c0d");
	snprintf(r->subscriber, sizeof(r->subscriber), "sip:alice@home.example");
	snprintf(r->home, sizeof(r->home), "home.example");
	snprintf(r->visited, sizeof(r->visited), "visited.example");
	snprintf(r->service, sizeof(r->service), "message");
	snprintf(r->unit, sizeof(r->unit), "message");
	snprintf(r->call_id, sizeof(r->call_id), "%016llx@192.0.2.10",
	    (unsigned long long)x);
	r->start = r->end = rt_time_now();
	r->quantity = 1;
	snprintf(event_key, cap, "msg:%s:1", r->call_id);
}

/* ---- spool_ingest ---- */

struct ingest {
	struct agent_spool *spool;
	struct agent *agent;	/* usage_report_ingest */
	uint64_t until;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint64_t done, failed;
};

struct worker {
	struct ingest *in;
	int id;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int in_flight;
	struct agent_spool_op *ops;	/* WINDOW of them */
	int *free_ops;
	int nfree;
};

/* From the writer thread. The slot goes back last: after that the worker
 * may reuse it, or finish and take w away. */
static void
op_done(struct agent_spool_op *op, int err)
{
	struct worker *w = op->arg;

	pthread_mutex_lock(&w->in->lock);
	if (err == 0 && op->outcome == AGENT_SPOOL_STORED)
		w->in->done++;
	else
		w->in->failed++;
	pthread_mutex_unlock(&w->in->lock);
	pthread_mutex_lock(&w->lock);
	w->free_ops[w->nfree++] = (int)(op - w->ops);
	w->in_flight--;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

static void *
spool_worker(void *arg)
{
	struct worker *w = arg;
	uint64_t rnd = 0x9e3779b97f4a7c15ULL * (uint64_t)(w->id + 1) ^ rt_mono_ns();

	while (rt_mono_ns() < w->in->until) {
		struct agent_spool_op *op;

		pthread_mutex_lock(&w->lock);
		while (w->nfree == 0)
			pthread_cond_wait(&w->cond, &w->lock);
		op = &w->ops[w->free_ops[--w->nfree]];
		w->in_flight++;
		pthread_mutex_unlock(&w->lock);
		memset(op, 0, sizeof(*op));
		op->kind = AGENT_SPOOL_RECORD;
		record_fill(&op->record, op->event_key, sizeof(op->event_key), &rnd);
		/* when the policy allowed the MESSAGE: a moment ago */
		op->event_at = rt_time_now_ms();
		op->done = op_done;
		op->arg = w;
		agent_spool_submit(w->in->spool, op);
	}
	pthread_mutex_lock(&w->lock);
	while (w->in_flight > 0)
		pthread_cond_wait(&w->cond, &w->lock);
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* The usage API's report: a 200 to alice's REGISTER of a fresh Call-ID. */
struct report_slot {
	struct worker *w;
	struct agent_usage *u;
	int index;
};

static void
report_done(struct agent_usage *u)
{
	struct report_slot *slot = u->arg;
	struct worker *w = slot->w;

	pthread_mutex_lock(&w->in->lock);
	if (u->status == 200 && u->result == AGENT_USAGE_STORED)
		w->in->done++;
	else
		w->in->failed++;
	pthread_mutex_unlock(&w->in->lock);
	pthread_mutex_lock(&w->lock);
	w->free_ops[w->nfree++] = slot->index;
	w->in_flight--;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

static void *
report_worker(void *arg)
{
	struct worker *w = arg;
	struct report_slot slots[WINDOW];
	uint64_t rnd = 0x9e3779b97f4a7c15ULL * (uint64_t)(w->id + 1) ^ rt_mono_ns();
	struct agent_binding *b = malloc(sizeof(*b));
	char text[1024], port[16], flow[AGENT_FLOW_MAX];

	if (b == NULL)
		die("out of memory");
	/* this thread's roamer, registered anew before each report (as
	 * register_done leaves the binding) */
	snprintf(port, sizeof(port), "%d", 5060 + w->id);
	snprintf(flow, sizeof(flow), "udp:192.0.2.10:%s", port);
	memset(slots, 0, sizeof(slots));
	while (rt_mono_ns() < w->in->until) {
		struct report_slot *slot;
		uint64_t call_id = next_random(&rnd);
		char id[32];
		int n, i;

		snprintf(id, sizeof(id), "%016llx@192.0.2.10", (unsigned long long)call_id);
		if (agent_bindings_get(w->in->agent->bindings, flow,
		    "sip:alice@home.example", NULL, b) != 0)
			die("binding");
		b->registered_ms = rt_time_now_ms();
		b->register_hash = agent_usage_hash((struct rt_sip_str){id, strlen(id)}, 2);
		if (agent_bindings_put(w->in->agent->bindings, b) != 0)
			die("binding");

		pthread_mutex_lock(&w->lock);
		while (w->nfree == 0)
			pthread_cond_wait(&w->cond, &w->lock);
		i = w->free_ops[--w->nfree];
		w->in_flight++;
		pthread_mutex_unlock(&w->lock);
		slot = &slots[i];
		agent_usage_free(slot->u);
		slot->u = NULL;
		slot->w = w;
		slot->index = i;
		n = snprintf(text, sizeof(text),
		    "SIP/2.0 200 OK\r\n"
		    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-74bf9\r\n"
		    "From: <sip:alice@home.example>;tag=9fxced76sl\r\n"
		    "To: <sip:alice@home.example>;tag=37GkEhwl6\r\n"
		    "Call-ID: %s\r\n"
		    "CSeq: 2 REGISTER\r\n"
		    "Contact: <sip:alice@192.0.2.10:%s>;expires=600\r\n"
		    "Content-Length: 0\r\n\r\n", id, port);
		if (agent_usage_new(w->in->agent, "register", "udp", "192.0.2.10", port,
		    text, (size_t)n, &slot->u) != 0)
			die("agent_usage_new");
		slot->u->done = report_done;
		slot->u->arg = slot;
		if (agent_usage_run(slot->u) == 0)
			report_done(slot->u);
	}
	pthread_mutex_lock(&w->lock);
	while (w->in_flight > 0)
		pthread_cond_wait(&w->cond, &w->lock);
	pthread_mutex_unlock(&w->lock);
	for (int i = 0; i < WINDOW; i++)
		agent_usage_free(slots[i].u);
	free(b);
	return NULL;
}

/* THREADS workers of fn for bench_seconds; records stored per second,
 * and the CPU microseconds per record in *cpup. */
static double
ingest_run(struct ingest *in, void *(*fn)(void *), double *cpup)
{
	struct worker workers[THREADS];
	pthread_t threads[THREADS];
	uint64_t start = rt_mono_ns(), cpu_start = cpu_ns();
	double secs;

	pthread_mutex_init(&in->lock, NULL);
	in->until = start + (uint64_t)(bench_seconds * 1e9);
	for (int t = 0; t < THREADS; t++) {
		struct worker *w = &workers[t];

		memset(w, 0, sizeof(*w));
		w->in = in;
		w->id = t;
		pthread_mutex_init(&w->lock, NULL);
		pthread_cond_init(&w->cond, NULL);
		if ((w->ops = calloc(WINDOW, sizeof(*w->ops))) == NULL ||
		    (w->free_ops = calloc(WINDOW, sizeof(*w->free_ops))) == NULL)
			die("out of memory");
		for (int i = 0; i < WINDOW; i++)
			w->free_ops[w->nfree++] = i;
		if (pthread_create(&threads[t], NULL, fn, w) != 0)
			die("pthread_create");
	}
	for (int t = 0; t < THREADS; t++)
		pthread_join(threads[t], NULL);
	secs = (double)(rt_mono_ns() - start) / 1e9;
	*cpup = (double)(cpu_ns() - cpu_start) / 1e3 / (double)(in->done ? in->done : 1);
	for (int t = 0; t < THREADS; t++) {
		free(workers[t].ops);
		free(workers[t].free_ops);
		pthread_mutex_destroy(&workers[t].lock);
		pthread_cond_destroy(&workers[t].cond);
	}
	pthread_mutex_destroy(&in->lock);
	if (in->failed > 0)
		die("records failed");
	return (double)in->done / secs;
}

static void
remove_db(const char *path)
{
	char p[512];

	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
}

/* ---- sqlite_raw_insert ---- */

static const char raw_schema[] =
    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
    "CREATE TABLE record (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,"
    " event_at INTEGER NOT NULL, event_key TEXT NOT NULL,"
    " state TEXT NOT NULL DEFAULT 'pending',"
    " reason TEXT, settled_at INTEGER, agreement_ref TEXT NOT NULL,"
    " assertion_ref TEXT NOT NULL, subscriber TEXT NOT NULL, home TEXT NOT NULL,"
    " visited TEXT NOT NULL, service TEXT NOT NULL, call_id TEXT NOT NULL,"
    " start_at INTEGER NOT NULL, end_at INTEGER NOT NULL,"
    " quantity INTEGER NOT NULL, unit TEXT NOT NULL, flags TEXT NOT NULL);"
    "CREATE UNIQUE INDEX record_event ON record(event_at, event_key);"
    "CREATE INDEX record_state ON record(state, seq);";

static double
raw_run(const char *path, int batch, double *cpup)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	struct rt_usage_record r;
	char key[RT_TEXT_MAX + 32];
	uint64_t rnd = rt_mono_ns() | 1, start, until, n = 0, cpu_start;
	double secs;

	remove_db(path);
	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, raw_schema, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO record (event_key, id, agreement_ref, "
	    "assertion_ref, subscriber, home, visited, service, call_id, start_at, "
	    "end_at, quantity, unit, event_at, flags) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
	    "?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, '') ON CONFLICT (event_at, event_key) "
	    "DO NOTHING", -1, &st, NULL) != SQLITE_OK)
		die(sqlite3_errmsg(db));
	start = rt_mono_ns();
	cpu_start = cpu_ns();
	until = start + (uint64_t)(bench_seconds * 1e9);
	while (rt_mono_ns() < until) {
		if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
			die(sqlite3_errmsg(db));
		for (int i = 0; i < batch; i++) {
			const char *text[] = {key, r.id, r.agreement_ref, r.assertion_ref,
			    r.subscriber, r.home, r.visited, r.service, r.call_id};
			int k = 1;

			record_fill(&r, key, sizeof(key), &rnd);
			if (rt_uuid_v7(rt_time_now_ms(), r.id) != 0)
				die("uuid");
			for (size_t t = 0; t < sizeof(text) / sizeof(text[0]); t++)
				sqlite3_bind_text(st, k++, text[t], -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, k++, (sqlite3_int64)r.start);
			sqlite3_bind_int64(st, k++, (sqlite3_int64)r.end);
			sqlite3_bind_int64(st, k++, (sqlite3_int64)r.quantity);
			sqlite3_bind_text(st, k++, r.unit, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, k++, (sqlite3_int64)rt_time_now_ms());
			if (sqlite3_step(st) != SQLITE_DONE)
				die(sqlite3_errmsg(db));
			sqlite3_reset(st);
		}
		if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
			die(sqlite3_errmsg(db));
		n += (uint64_t)batch;
	}
	secs = (double)(rt_mono_ns() - start) / 1e9;
	*cpup = (double)(cpu_ns() - cpu_start) / 1e3 / (double)(n ? n : 1);
	sqlite3_finalize(st);
	sqlite3_close(db);
	remove_db(path);
	return (double)n / secs;
}

/* ---- an agent for the report path ---- */

static struct agent *
report_agent(struct agent_config *ac)
{
	struct agent_binding *b = calloc(1, sizeof(*b));
	struct agent *a = NULL;
	char conf[512], err[512], text[1024];

	snprintf(conf, sizeof(conf), "%s/agent.conf", dir);
	snprintf(text, sizeof(text), "[agent]\nrealm = visited.example\n"
	    "broker = ipc://%s/broker.sock\nstate_dir = %s/agent\nspool = %s/report.db\n"
	    "log_level = err\n", dir, dir, dir);
	if (b == NULL || rt_file_write(conf, text, strlen(text), 0600, 0) != 0 ||
	    agent_config_load(conf, ac, err, sizeof(err)) != 0 ||
	    agent_new(ac, &a) != 0 || agent_usage_open(a) != 0)
		die("agent");
	snprintf(b->aor, sizeof(b->aor), "sip:alice@home.example");
	snprintf(b->home, sizeof(b->home), "home.example");
	snprintf(b->assertion.id, sizeof(b->assertion.id),
	    "0190f3c2-7a1e-7c3d-9a4b-5e6f7a8b9c0d");
	snprintf(b->assertion.agreement_ref, sizeof(b->assertion.agreement_ref),
	    "0190f3c2-0000-7000-8000-00000000a9e1");
	snprintf(b->assertion.public_id, sizeof(b->assertion.public_id),
	    "sip:alice@home.example");
	snprintf(b->assertion.services[b->assertion.nservices++], RT_SERVICE_MAX,
	    "registration");
	b->assertion.not_on_or_after = rt_time_now() + 86400;
	b->expires = rt_time_now() + 86400;
	for (int t = 0; t < THREADS; t++) {
		snprintf(b->flow, sizeof(b->flow), "udp:192.0.2.10:%d", 5060 + t);
		if (agent_bindings_put(a->bindings, b) != 0)
			die("binding");
	}
	free(b);
	return a;
}

int
main(void)
{
	const char *env = getenv("BENCH_SECONDS"), *tmp = getenv("TMPDIR");
	struct ingest spool_in, report_in;
	struct agent_config ac;
	struct agent *a;
	char path[512], sub[512];
	double spool_rate, report_rate, raw_rate, batch;
	double spool_cpu, report_cpu, raw_cpu;

	if (env != NULL && atof(env) > 0)
		bench_seconds = atof(env);
	rt_log_init("bench_spool", RT_LOG_STDERR, RT_LOG_ERR);
	snprintf(dir, sizeof(dir), "%s/rt-bench-spool-XXXXXX", tmp != NULL ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		die("mkdtemp");
	snprintf(path, sizeof(path), "%s/spool.db", dir);

	memset(&spool_in, 0, sizeof(spool_in));
	if (agent_spool_open(path, "visited.example", 0, 14400, &spool_in.spool) != 0)
		die("agent_spool_open");
	spool_rate = ingest_run(&spool_in, spool_worker, &spool_cpu);
	batch = (double)rt_store_ops(agent_spool_store(spool_in.spool)) /
	    (double)rt_store_commits(agent_spool_store(spool_in.spool));
	agent_spool_close(spool_in.spool);
	remove_db(path);

	raw_rate = raw_run(path, batch < 1 ? 1 : (int)(batch + 0.5), &raw_cpu);

	memset(&report_in, 0, sizeof(report_in));
	a = report_agent(&ac);
	report_in.agent = a;
	report_rate = ingest_run(&report_in, report_worker, &report_cpu);
	agent_free(a);
	agent_config_fini(&ac);
	snprintf(sub, sizeof(sub), "%s/report.db", dir);
	remove_db(sub);
	snprintf(sub, sizeof(sub), "%s/agent", dir);
	rmdir(sub);
	snprintf(sub, sizeof(sub), "%s/agent.conf", dir);
	unlink(sub);
	rmdir(dir);

	printf("bench: sqlite_raw_insert %.0f records/s (synchronous=FULL, %.0f rows "
	    "per commit, one thread; cpu %.2f us/record)\n", raw_rate, batch, raw_cpu);
	printf("bench: spool_ingest %.0f records/s ratio %.2f vs sqlite_raw (%d threads x "
	    "%d in flight, %.0f per group commit; cpu %.2f us/record)\n", spool_rate,
	    spool_rate / raw_rate, THREADS, WINDOW, batch, spool_cpu);
	printf("bench: usage_report_ingest %.0f records/s ratio %.2f vs sqlite_raw "
	    "(register reports: SIP parse, binding, record, spool; cpu %.2f "
	    "us/record)\n", report_rate, report_rate / raw_rate, report_cpu);
	return 0;
}
