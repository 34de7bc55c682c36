/* See helper_ledger.h. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helper_ledger.h"
#include "rt_codec.h"
#include "rt_msg.h"

#define DAY 86400

int
tl_fixture_new(struct tl_fixture **fxp)
{
	struct rt_trust_options topts = {0, 0, 0};
	struct tl_fixture *fx;
	int r;

	*fxp = NULL;
	if ((fx = calloc(1, sizeof(*fx))) == NULL)
		return RT_ERR_NOMEM;
	if ((r = rt_xml_init()) != 0 ||
	    (r = th_fed_new("Ledger Federation", &fx->fed)) != 0 ||
	    (r = th_fed_realm(fx->fed, TL_HOME, -3600, DAY, &fx->home)) != 0 ||
	    (r = th_fed_realm(fx->fed, TL_VISITED, -3600, DAY, &fx->visited)) != 0 ||
	    (r = rt_signer_new(fx->home->key, fx->home->cert, &fx->s_home)) != 0 ||
	    (r = rt_signer_new(fx->visited->key, fx->visited->cert, &fx->s_visited)) != 0 ||
	    (r = rt_trust_new(&topts, &fx->trust)) != 0 ||
	    (r = rt_trust_add_ca(fx->trust, fx->fed->ca_cert)) != 0) {
		tl_fixture_free(fx);
		return r;
	}
	snprintf(fx->dir, sizeof(fx->dir), "%s", fx->fed->dir);
	snprintf(fx->path, sizeof(fx->path), "%s/visited-ledger.db", fx->dir);
	snprintf(fx->home_path, sizeof(fx->home_path), "%s/home-ledger.db", fx->dir);
	*fxp = fx;
	return 0;
}

void
tl_fixture_free(struct tl_fixture *fx)
{
	if (fx == NULL)
		return;
	rt_trust_free(fx->trust);
	rt_signer_free(fx->s_home);
	rt_signer_free(fx->s_visited);
	th_realm_free(fx->home);
	th_realm_free(fx->visited);
	th_fed_free(fx->fed);
	free(fx);
}

int
tl_open(struct tl_fixture *fx, int home, uint64_t checkpoint_records,
    long checkpoint_seconds, struct broker_ledger **lp)
{
	struct broker_ledger_opts opts = {home ? fx->home_path : fx->path,
	    home ? TL_HOME : TL_VISITED, home ? fx->s_home : fx->s_visited,
	    checkpoint_records, checkpoint_seconds, 60, 0, NULL};

	return broker_ledger_open(&opts, lp);
}

void
tl_record(struct rt_usage_record *u, int i, const char *assertion)
{
	time_t now = rt_time_now();

	memset(u, 0, sizeof(*u));
	/* time-ordered, with random bits: distinct within a millisecond */
	if (rt_uuid_v7(rt_time_now_ms(), u->id) != 0)
		abort();
	snprintf(u->agreement_ref, sizeof(u->agreement_ref),
	    "0190f3c2-0000-7000-8000-00000000a9e1");
	snprintf(u->assertion_ref, sizeof(u->assertion_ref), "%s", assertion);
	snprintf(u->subscriber, sizeof(u->subscriber), TL_ALICE);
	snprintf(u->home, sizeof(u->home), TL_HOME);
	snprintf(u->visited, sizeof(u->visited), TL_VISITED);
	snprintf(u->service, sizeof(u->service), "voice");
	snprintf(u->call_id, sizeof(u->call_id), "call-%d@ua.visited.example", i);
	u->start = now - 70;
	u->end = now - 10;
	u->quantity = 60;
	snprintf(u->unit, sizeof(u->unit), "second");
}

/* ---- waiting for done ---- */

struct tl_wait {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int finished;
	int err;
};

static void
wait_init(struct tl_wait *w)
{
	memset(w, 0, sizeof(*w));
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
}

static void
wait_signal(struct tl_wait *w, int err)
{
	pthread_mutex_lock(&w->lock);
	w->err = err;
	w->finished = 1;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

static int
wait_for(struct tl_wait *w)
{
	pthread_mutex_lock(&w->lock);
	while (!w->finished)
		pthread_cond_wait(&w->cond, &w->lock);
	pthread_mutex_unlock(&w->lock);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	return w->err;
}

static void
append_done(struct broker_ledger_append *a, int err)
{
	wait_signal(a->arg, err);
}

int
tl_append(struct broker_ledger *l, const struct rt_usage_record *recs, size_t n,
    enum broker_origin origin, int *results, uint32_t *stored, uint32_t *added)
{
	struct broker_ledger_append a;
	struct tl_wait w;
	int r;

	memset(&a, 0, sizeof(a));
	wait_init(&w);
	a.records = recs;
	a.n = n;
	a.origin = origin;
	a.results = results;
	a.done = append_done;
	a.arg = &w;
	if ((r = broker_ledger_append(l, &a)) != 0) {
		wait_signal(&w, r);
		return wait_for(&w);
	}
	r = wait_for(&w);
	if (stored != NULL)
		*stored = a.stored;
	if (added != NULL)
		*added = a.added;
	return r;
}

static void
batch_out_done(struct broker_ledger_batch_out *bo, int err)
{
	wait_signal(bo->arg, err);
}

int
tl_batch_out(struct broker_ledger *l, const char *partner, uint64_t ack_seq,
    size_t max_records, struct broker_ledger_batch_out *bo)
{
	struct tl_wait w;

	wait_init(&w);
	snprintf(bo->partner, sizeof(bo->partner), "%s", partner);
	bo->ack_seq = ack_seq;
	bo->max_bytes = 200 * 1024;
	bo->max_records = max_records;
	bo->done = batch_out_done;
	bo->arg = &w;
	broker_ledger_batch_out(l, bo);
	return wait_for(&w);
}

static void
batch_in_done(struct broker_ledger_batch_in *bi, int err)
{
	wait_signal(bi->arg, err);
}

int
tl_batch_in(struct broker_ledger *l, const uint8_t *xml, size_t len,
    struct broker_ledger_batch_in *bi)
{
	struct rt_usage_batch batch;
	enum rt_msg_type type;
	xmlDocPtr doc = NULL;
	struct tl_wait w;
	int r;

	memset(bi, 0, sizeof(*bi));
	memset(&batch, 0, sizeof(batch));
	if ((r = rt_msg_parse(xml, len, &type, &doc)) != 0)
		return r;
	if (type != RT_MSG_USAGE_BATCH)
		r = RT_ERR_TYPE;
	else if ((r = rt_usage_batch_from_xml(doc, &batch)) == 0)
		r = rt_sha256(xml, len, bi->hash);
	xmlFreeDoc(doc);
	if (r != 0) {
		rt_usage_batch_fini(&batch);
		return r;
	}
	wait_init(&w);
	bi->batch = &batch;
	bi->done = batch_in_done;
	bi->arg = &w;
	broker_ledger_batch_in(l, bi);
	r = wait_for(&w);
	bi->batch = NULL;
	rt_usage_batch_fini(&batch);
	return r;
}

static void
assertion_done(struct broker_ledger_assertion *la, int err)
{
	wait_signal(la->arg, err);
}

int
tl_assertion(struct broker_ledger *l, const struct rt_assertion *a)
{
	struct broker_ledger_assertion la;
	struct tl_wait w;

	memset(&la, 0, sizeof(la));
	wait_init(&w);
	la.assertion = *a;
	la.done = assertion_done;
	la.arg = &w;
	broker_ledger_assertion(l, &la);
	return wait_for(&w);
}

struct tl_wait_all {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int left;
	int err;
};

static void
assertions_done(struct broker_ledger_assertion *la, int err)
{
	struct tl_wait_all *w = la->arg;

	pthread_mutex_lock(&w->lock);
	if (w->err == 0)
		w->err = err;
	w->left--;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

int
tl_assertions(struct broker_ledger *l, const struct rt_assertion *a, int n)
{
	struct broker_ledger_assertion *la, *first = NULL;
	struct tl_wait_all w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
	    n, 0};

	if ((la = calloc((size_t)n, sizeof(*la))) == NULL)
		return RT_ERR_NOMEM;
	for (int i = n - 1; i >= 0; i--) {
		la[i].assertion = a[i];
		la[i].done = assertions_done;
		la[i].arg = &w;
		la[i].next = first;
		first = &la[i];
	}
	broker_ledger_assertions(l, first);
	pthread_mutex_lock(&w.lock);
	while (w.left > 0)
		pthread_cond_wait(&w.cond, &w.lock);
	pthread_mutex_unlock(&w.lock);
	free(la);
	return w.err;
}

/* ---- the file ---- */

int
tl_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	int r = 0;

	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "tl_exec: %s: %s\n", sql, db ? sqlite3_errmsg(db) : "");
		r = RT_ERR_IO;
	}
	sqlite3_close(db);
	return r;
}

long long
tl_query(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long long v = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

int
tl_verify(struct tl_fixture *fx, const char *path, const char *realm, char *why,
    size_t cap)
{
	struct rt_buf out;
	int r;

	rt_buf_init(&out, 1 << 20);
	r = broker_ledger_verify(path, realm, fx->trust, NULL, &out, why, cap);
	rt_buf_fini(&out);
	return r;
}
