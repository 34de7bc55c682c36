/*
 * The ledger's batches and checks: batches out (built from our records in
 * pseq order, capped in records, the same bytes again until acknowledged,
 * across a restart too, PrevHash = SHA-256 of the previous batch's XML),
 * batches in (sequence 1, 2, ...; a repeat acknowledged without storing;
 * a gap, a fork and a wrong PrevHash refused with RT_ERR_CHAIN), the
 * home's flags for each reason (records kept), a list of assertions in
 * one commit, the per-record check of our agents' records, and the
 * UsageBatchAck message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "helper_ledger.h"
#include "rt_codec.h"
#include "rt_log.h"

#define ASSERTION "0190f3c2-7a1e-7c3d-9a4b-5e6f7a8b9c0d"
#define AGREEMENT "0190f3c2-0000-7000-8000-00000000a9e1"

static int
setup(void **state)
{
	struct tl_fixture *fx;

	assert_int_equal(tl_fixture_new(&fx), 0);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	tl_fixture_free(*state);
	return 0;
}

static void
append_n(struct broker_ledger *l, int n, const char *assertion)
{
	struct rt_usage_record *recs = calloc((size_t)n, sizeof(*recs));
	uint32_t added = 0;

	assert_non_null(recs);
	for (int i = 0; i < n; i++)
		tl_record(&recs[i], i, assertion);
	assert_int_equal(tl_append(l, recs, (size_t)n, BROKER_ORIGIN_OURS, NULL, NULL,
	    &added), 0);
	assert_int_equal(added, n);
	free(recs);
}

/* The batch in xml, parsed. */
static void
batch_parse(const struct rt_buf *xml, struct rt_usage_batch *b)
{
	enum rt_msg_type type;
	xmlDocPtr doc = NULL;

	assert_int_equal(rt_msg_parse(xml->data, xml->len, &type, &doc), 0);
	assert_int_equal(type, RT_MSG_USAGE_BATCH);
	assert_int_equal(rt_usage_batch_from_xml(doc, b), 0);
	xmlFreeDoc(doc);
}

static void
test_batches_out(void **state)
{
	struct tl_fixture *fx = *state;
	struct broker_ledger *l = NULL;
	struct broker_ledger_batch_out bo;
	struct rt_usage_batch b;
	struct rt_buf first;
	uint8_t hash[RT_SHA256_LEN];
	char hex[2 * RT_SHA256_LEN + 1];

	memset(&bo, 0, sizeof(bo));
	rt_buf_init(&first, RT_XML_MAX);
	assert_int_equal(tl_open(fx, 0, 0, 0, &l), 0);
	/* nothing yet */
	assert_int_equal(tl_batch_out(l, TL_HOME, 0, 10, &bo), 0);
	assert_int_equal(bo.seq, 0);
	append_n(l, 25, ASSERTION);
	assert_int_equal(tl_batch_out(l, TL_HOME, 0, 10, &bo), 0);
	assert_int_equal(bo.seq, 1);
	assert_int_equal(bo.nrecords, 10);
	assert_false(bo.resend);
	batch_parse(&bo.xml, &b);
	assert_int_equal(b.sequence, 1);
	assert_int_equal(b.nrecords, 10);
	assert_string_equal(b.from, TL_VISITED);
	assert_string_equal(b.to, TL_HOME);
	assert_string_equal(b.prev_hash,
	    "0000000000000000000000000000000000000000000000000000000000000000");
	assert_string_equal(b.id, bo.id);
	rt_usage_batch_fini(&b);
	assert_int_equal(rt_buf_append(&first, bo.xml.data, bo.xml.len), 0);
	/* not acknowledged: the same batch, byte for byte */
	assert_int_equal(tl_batch_out(l, TL_HOME, 0, 10, &bo), 0);
	assert_int_equal(bo.seq, 1);
	assert_true(bo.resend);
	assert_int_equal(bo.xml.len, first.len);
	assert_memory_equal(bo.xml.data, first.data, first.len);
	/* acknowledged: the next, chained to it */
	assert_int_equal(tl_batch_out(l, TL_HOME, 1, 10, &bo), 0);
	assert_int_equal(bo.seq, 2);
	assert_false(bo.resend);
	batch_parse(&bo.xml, &b);
	assert_int_equal(rt_sha256(first.data, first.len, hash), 0);
	rt_hex_encode(hash, RT_SHA256_LEN, hex);
	assert_string_equal(b.prev_hash, hex);
	rt_usage_batch_fini(&b);
	rt_buf_reset(&first);
	assert_int_equal(rt_buf_append(&first, bo.xml.data, bo.xml.len), 0);
	/* a restart: batch 2, not acknowledged, comes back the same */
	broker_ledger_close(l);
	assert_int_equal(tl_open(fx, 0, 0, 0, &l), 0);
	assert_int_equal(tl_batch_out(l, TL_HOME, 0, 10, &bo), 0);
	assert_int_equal(bo.seq, 2);
	assert_true(bo.resend);
	assert_int_equal(bo.xml.len, first.len);
	assert_memory_equal(bo.xml.data, first.data, first.len);
	/* the rest (5), then nothing; records arriving later go in batch 4 */
	assert_int_equal(tl_batch_out(l, TL_HOME, 2, 10, &bo), 0);
	assert_int_equal(bo.seq, 3);
	assert_int_equal(bo.nrecords, 5);
	assert_int_equal(tl_batch_out(l, TL_HOME, 3, 10, &bo), 0);
	assert_int_equal(bo.seq, 0);
	append_n(l, 2, ASSERTION);
	assert_int_equal(tl_batch_out(l, TL_HOME, 0, 10, &bo), 0);
	assert_int_equal(bo.seq, 4);
	assert_int_equal(bo.nrecords, 2);
	/* another partner has nothing */
	assert_int_equal(tl_batch_out(l, "other.example", 0, 10, &bo), 0);
	assert_int_equal(bo.seq, 0);
	broker_ledger_close(l);
	/* every record went out once, in pseq order */
	assert_int_equal(tl_query(fx->path, "SELECT SUM(last_pseq) FROM batches_out"),
	    10 + 20 + 25 + 27);
	assert_int_equal(tl_query(fx->path, "SELECT COUNT(*) FROM batches_out WHERE "
	    "acked = 0"), 1);
	broker_ledger_batch_out_fini(&bo);
	rt_buf_fini(&first);
}

static void
test_batch_size_cap(void **state)
{
	struct tl_fixture *fx = *state;
	struct broker_ledger *l = NULL;
	struct broker_ledger_batch_out bo;

	memset(&bo, 0, sizeof(bo));
	assert_int_equal(tl_open(fx, 0, 0, 0, &l), 0);
	append_n(l, 1000, ASSERTION);
	/* tl_batch_out asks for 200 KB at most: fewer than 1000 records */
	assert_int_equal(tl_batch_out(l, TL_HOME, 0, 1000, &bo), 0);
	assert_int_equal(bo.seq, 1);
	assert_true(bo.xml.len <= 200 * 1024);
	assert_true(bo.nrecords < 1000);
	assert_true(bo.nrecords > 100);
	broker_ledger_close(l);
	broker_ledger_batch_out_fini(&bo);
}

/* Batches 1..n of 5 records each, built by the visited realm's ledger;
 * xml[i] holds batch i + 1. */
static void
build_batches(struct tl_fixture *fx, struct rt_buf *xml, int n, const char *assertion)
{
	struct broker_ledger *l = NULL;
	struct broker_ledger_batch_out bo;

	memset(&bo, 0, sizeof(bo));
	assert_int_equal(tl_open(fx, 0, 0, 0, &l), 0);
	append_n(l, 5 * n, assertion);
	for (int i = 0; i < n; i++) {
		assert_int_equal(tl_batch_out(l, TL_HOME, (uint64_t)i, 5, &bo), 0);
		assert_int_equal(bo.seq, i + 1);
		rt_buf_init(&xml[i], RT_XML_MAX);
		assert_int_equal(rt_buf_append(&xml[i], bo.xml.data, bo.xml.len), 0);
	}
	broker_ledger_close(l);
	broker_ledger_batch_out_fini(&bo);
}

static int
remove_wal(const char *path)
{
	char wal[800];

	snprintf(wal, sizeof(wal), "%s-wal", path);
	return remove(wal);
}

static void
test_batches_in(void **state)
{
	struct tl_fixture *fx = *state;
	struct broker_ledger *home = NULL;
	struct broker_ledger_batch_in bi;
	struct rt_buf xml[3], other[1];
	char why[512];

	build_batches(fx, xml, 3, ASSERTION);
	assert_int_equal(tl_open(fx, 1, 0, 0, &home), 0);
	/* 2 before 1: a gap */
	assert_int_equal(tl_batch_in(home, xml[1].data, xml[1].len, &bi), RT_ERR_CHAIN);
	assert_non_null(strstr(bi.why, "gap: batch 2 after 0"));
	assert_int_equal(tl_batch_in(home, xml[0].data, xml[0].len, &bi), 0);
	assert_false(bi.repeat);
	assert_int_equal(bi.stored, 5);
	assert_int_equal(bi.flagged, 5);	/* no such assertion here */
	/* 1 again (a resend): acknowledged, not stored twice */
	assert_int_equal(tl_batch_in(home, xml[0].data, xml[0].len, &bi), 0);
	assert_true(bi.repeat);
	assert_int_equal(bi.stored, 5);
	/* 3 before 2: a gap */
	assert_int_equal(tl_batch_in(home, xml[2].data, xml[2].len, &bi), RT_ERR_CHAIN);
	assert_int_equal(tl_batch_in(home, xml[1].data, xml[1].len, &bi), 0);
	assert_int_equal(tl_batch_in(home, xml[2].data, xml[2].len, &bi), 0);
	assert_int_equal(bi.stored, 5);
	broker_ledger_close(home);
	/* another visited ledger's batch 1 (other records): a fork */
	assert_int_equal(remove(fx->path), 0);
	(void)remove_wal(fx->path);
	build_batches(fx, other, 1, ASSERTION);
	assert_int_equal(tl_open(fx, 1, 0, 0, &home), 0);
	assert_int_equal(tl_batch_in(home, other[0].data, other[0].len, &bi), RT_ERR_CHAIN);
	assert_non_null(strstr(bi.why, "batch 1 was stored before with other content"));
	broker_ledger_close(home);
	assert_int_equal(tl_query(fx->home_path, "SELECT COUNT(*) FROM records"), 15);
	assert_int_equal(tl_query(fx->home_path, "SELECT COUNT(*) FROM records WHERE "
	    "origin = 1 AND partner = '" TL_VISITED "'"), 15);
	assert_int_equal(tl_query(fx->home_path, "SELECT COUNT(*) FROM batches_in"), 3);
	assert_int_equal(tl_verify(fx, fx->home_path, TL_HOME, why, sizeof(why)), 0);
	for (int i = 0; i < 3; i++)
		rt_buf_fini(&xml[i]);
	rt_buf_fini(&other[0]);
}

static void
test_batch_in_prev_hash(void **state)
{
	struct tl_fixture *fx = *state;
	struct broker_ledger *home = NULL;
	struct broker_ledger_batch_in bi;
	struct rt_buf xml[2];
	char *at;

	build_batches(fx, xml, 2, ASSERTION);
	assert_int_equal(tl_open(fx, 1, 0, 0, &home), 0);
	assert_int_equal(tl_batch_in(home, xml[0].data, xml[0].len, &bi), 0);
	/* batch 2 whose PrevHash is not batch 1's hash */
	at = strstr((char *)xml[1].data, "<PrevHash>");
	assert_non_null(at);
	at[10] = at[10] == 'a' ? 'b' : 'a';
	assert_int_equal(tl_batch_in(home, xml[1].data, xml[1].len, &bi), RT_ERR_CHAIN);
	assert_non_null(strstr(bi.why, "PrevHash of batch 2 is not the hash of batch 1"));
	broker_ledger_close(home);
	assert_int_equal(tl_query(fx->home_path, "SELECT COUNT(*) FROM records"), 5);
	rt_buf_fini(&xml[0]);
	rt_buf_fini(&xml[1]);
}

/* ---- the home's check ---- */

static void
assertion_make(struct rt_assertion *a, const char *id, const char *audience,
    time_t issued, time_t until)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->id, sizeof(a->id), "%s", id);
	snprintf(a->issuer, sizeof(a->issuer), TL_HOME);
	snprintf(a->audience, sizeof(a->audience), "%s", audience);
	snprintf(a->public_id, sizeof(a->public_id), TL_ALICE);
	snprintf(a->private_id, sizeof(a->private_id), "alice@home.example");
	snprintf(a->services[a->nservices++], RT_SERVICE_MAX, "voice");
	snprintf(a->services[a->nservices++], RT_SERVICE_MAX, "video");
	snprintf(a->authn_method, sizeof(a->authn_method), "digest-sha256");
	a->authn_instant = a->issued_at = issued;
	a->not_on_or_after = until;
	snprintf(a->agreement_ref, sizeof(a->agreement_ref), AGREEMENT);
}

/* A frame's assertions, recorded as one list: one commit for them all,
 * every done called, every row there (a repeat harmless). */
static void
test_assertions_together(void **state)
{
	struct tl_fixture *fx = *state;
	struct broker_ledger *home = NULL;
	struct rt_assertion a[40];
	time_t now = rt_time_now();
	uint64_t commits;

	assert_int_equal(tl_open(fx, 1, 0, 0, &home), 0);
	for (int i = 0; i < 40; i++) {
		char id[RT_ID_MAX];

		snprintf(id, sizeof(id), "0190f3c2-7a1e-7c3d-9a4b-%012d", i % 39);
		assertion_make(&a[i], id, TL_VISITED, now, now + 3600);
	}
	commits = broker_ledger_commits(home);
	assert_int_equal(tl_assertions(home, a, 40), 0);
	assert_int_equal(broker_ledger_commits(home), commits + 1);
	assert_int_equal(tl_assertions(home, a, 1), 0);
	broker_ledger_close(home);
	assert_int_equal(tl_query(fx->home_path, "SELECT COUNT(*) FROM assertions"), 39);
}

/* The flags stored for record id at the home. */
static void
flags_of(struct tl_fixture *fx, const char *id, char *out, size_t cap)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;

	assert_int_equal(sqlite3_open_v2(fx->home_path, &db, SQLITE_OPEN_READONLY, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT flags FROM records WHERE id = ?1",
	    -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(out, cap, "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void
test_home_flags(void **state)
{
	static const char *const ids[] = {
		"0190f3c2-7a1e-7c3d-9a4b-000000000001",	/* good */
		"0190f3c2-7a1e-7c3d-9a4b-000000000002",	/* for another realm */
		"0190f3c2-7a1e-7c3d-9a4b-000000000003",	/* expired long ago */
	};
	struct tl_fixture *fx = *state;
	struct broker_ledger *l = NULL, *home = NULL;
	struct broker_ledger_batch_out bo;
	struct broker_ledger_batch_in bi;
	struct rt_usage_record recs[7];
	struct rt_assertion a;
	time_t now = rt_time_now();
	char flags[7][128], why[512];

	memset(&bo, 0, sizeof(bo));
	assert_int_equal(tl_open(fx, 1, 0, 0, &home), 0);
	assertion_make(&a, ids[0], TL_VISITED, now - 3600, now + 3600);
	assert_int_equal(tl_assertion(home, &a), 0);
	assert_int_equal(tl_assertion(home, &a), 0);	/* twice: harmless */
	assertion_make(&a, ids[1], "other.example", now - 3600, now + 3600);
	assert_int_equal(tl_assertion(home, &a), 0);
	assertion_make(&a, ids[2], TL_VISITED, now - 7200, now - 3600);
	assert_int_equal(tl_assertion(home, &a), 0);
	for (int i = 0; i < 7; i++)
		tl_record(&recs[i], i, ids[0]);
	/* 0 good; 1 no such assertion; 2 another subscriber; 3 an assertion
	 * for another realm; 4 a service it does not name; 5 started after it
	 * ended; 6 several at once */
	snprintf(recs[1].assertion_ref, RT_ID_MAX, "0190f3c2-7a1e-7c3d-9a4b-00000000ffff");
	snprintf(recs[2].subscriber, RT_URI_MAX, "sip:bob@home.example");
	snprintf(recs[3].assertion_ref, RT_ID_MAX, "%s", ids[1]);
	snprintf(recs[4].service, RT_SERVICE_MAX, "message");
	snprintf(recs[4].unit, RT_UNIT_MAX, "message");
	recs[4].quantity = 1;
	snprintf(recs[5].assertion_ref, RT_ID_MAX, "%s", ids[2]);
	snprintf(recs[6].assertion_ref, RT_ID_MAX, "%s", ids[2]);
	snprintf(recs[6].subscriber, RT_URI_MAX, "sip:bob@home.example");
	snprintf(recs[6].service, RT_SERVICE_MAX, "message");
	/* the visited side's records, forwarded in one batch */
	assert_int_equal(tl_open(fx, 0, 0, 0, &l), 0);
	assert_int_equal(tl_append(l, recs, 7, BROKER_ORIGIN_OURS, NULL, NULL, NULL), 0);
	assert_int_equal(tl_batch_out(l, TL_HOME, 0, 100, &bo), 0);
	assert_int_equal(tl_batch_in(home, bo.xml.data, bo.xml.len, &bi), 0);
	assert_int_equal(bi.stored, 7);
	assert_int_equal(bi.flagged, 6);
	broker_ledger_close(l);
	broker_ledger_close(home);
	for (int i = 0; i < 7; i++)
		flags_of(fx, recs[i].id, flags[i], sizeof(flags[i]));
	assert_string_equal(flags[0], "");
	assert_string_equal(flags[1], "unknown-assertion");
	assert_string_equal(flags[2], "wrong-subscriber");
	assert_string_equal(flags[3], "wrong-realm");
	assert_string_equal(flags[4], "wrong-service");
	assert_string_equal(flags[5], "outside-validity");
	assert_string_equal(flags[6], "wrong-subscriber wrong-service outside-validity");
	/* kept, every one, in a chain that verifies */
	assert_int_equal(tl_query(fx->home_path, "SELECT flagged FROM counts"), 6);
	assert_int_equal(tl_verify(fx, fx->home_path, TL_HOME, why, sizeof(why)), 0);
	broker_ledger_batch_out_fini(&bo);
}

/* ---- our agents' records ---- */

static void
test_usage_check(void **state)
{
	struct broker_config bc;
	struct broker *b = calloc(1, sizeof(*b));
	struct rt_agreement *ag = calloc(1, sizeof(*ag));
	struct rt_usage_record u, v;
	time_t now = rt_time_now();

	(void)state;
	assert_non_null(b);
	assert_non_null(ag);
	memset(&bc, 0, sizeof(bc));
	bc.realm = TL_VISITED;
	bc.skew = 60;
	b->config = &bc;
	pthread_rwlock_init(&b->agreements_lock, NULL);
	snprintf(ag->id, sizeof(ag->id), AGREEMENT);
	snprintf(ag->home, sizeof(ag->home), TL_HOME);
	snprintf(ag->visited, sizeof(ag->visited), TL_VISITED);
	snprintf(ag->currency, sizeof(ag->currency), "EUR");
	snprintf(ag->services[0].name, RT_SERVICE_MAX, "voice");
	snprintf(ag->services[0].unit, RT_UNIT_MAX, "minute");
	snprintf(ag->services[1].name, RT_SERVICE_MAX, "message");
	snprintf(ag->services[1].unit, RT_UNIT_MAX, "message");
	ag->nservices = 2;
	ag->not_before = now - 86400;
	ag->not_on_or_after = now + 86400;
	b->agreements.list = ag;
	b->agreements.n = 1;

	tl_record(&u, 0, ASSERTION);
	assert_int_equal(broker_usage_check(b, &u, now), 0);	/* seconds for minutes */
	v = u;
	snprintf(v.unit, sizeof(v.unit), "minute");
	v.quantity = 1;
	assert_int_equal(broker_usage_check(b, &v, now), 0);
	v.quantity = 3;		/* 60 s are not 3 minutes */
	assert_int_equal(broker_usage_check(b, &v, now), RT_ERR_BAD_INPUT);
	v = u;
	snprintf(v.visited, sizeof(v.visited), "other.example");
	assert_int_equal(broker_usage_check(b, &v, now), RT_ERR_REALM);
	v = u;
	snprintf(v.home, sizeof(v.home), TL_VISITED);	/* our own subscriber */
	assert_int_equal(broker_usage_check(b, &v, now), RT_ERR_REALM);
	v = u;
	snprintf(v.home, sizeof(v.home), "other.example");
	assert_int_equal(broker_usage_check(b, &v, now), RT_ERR_NO_AGREEMENT);
	v = u;
	snprintf(v.agreement_ref, sizeof(v.agreement_ref),
	    "0190f3c2-0000-7000-8000-0000000000ff");
	assert_int_equal(broker_usage_check(b, &v, now), RT_ERR_NO_AGREEMENT);
	v = u;
	v.start = ag->not_before - 3600;	/* before the agreement */
	assert_int_equal(broker_usage_check(b, &v, now), RT_ERR_NO_AGREEMENT);
	v = u;
	snprintf(v.service, sizeof(v.service), "video");
	assert_int_equal(broker_usage_check(b, &v, now), RT_ERR_DENIED);
	v = u;
	snprintf(v.unit, sizeof(v.unit), "byte");
	assert_int_equal(broker_usage_check(b, &v, now), RT_ERR_BAD_INPUT);
	v = u;
	v.end = v.start - 1;
	assert_int_equal(broker_usage_check(b, &v, now), RT_ERR_BAD_INPUT);
	v = u;
	v.quantity = 61 + 1;	/* more seconds than the call lasted */
	assert_int_equal(broker_usage_check(b, &v, now), RT_ERR_BAD_INPUT);
	v = u;
	v.end = now + 3600;	/* in the future */
	assert_int_equal(broker_usage_check(b, &v, now), RT_ERR_BAD_INPUT);
	v = u;
	snprintf(v.service, sizeof(v.service), "message");
	snprintf(v.unit, sizeof(v.unit), "message");
	v.quantity = 1;
	assert_int_equal(broker_usage_check(b, &v, now), 0);
	/* no valid agreement now: nothing enters */
	ag->not_on_or_after = now - 1;
	assert_int_equal(broker_usage_check(b, &u, now), RT_ERR_NO_AGREEMENT);

	b->agreements.list = NULL;
	pthread_rwlock_destroy(&b->agreements_lock);
	free(ag);
	free(b);
}

static void
test_batch_ack_message(void **state)
{
	struct rt_usage_batch_ack ack, got;
	enum rt_msg_type type;
	xmlDocPtr doc = NULL;
	struct rt_buf xml;

	(void)state;
	rt_buf_init(&xml, 4096);
	memset(&ack, 0, sizeof(ack));
	snprintf(ack.batch_ref, sizeof(ack.batch_ref), AGREEMENT);
	ack.sequence = 42;
	ack.stored = 1000;
	ack.flagged = 3;
	assert_int_equal(rt_usage_batch_ack_encode(&ack, &xml), 0);
	assert_int_equal(rt_msg_parse(xml.data, xml.len, &type, &doc), 0);
	assert_int_equal(type, RT_MSG_USAGE_BATCH_ACK);
	assert_int_equal(rt_usage_batch_ack_from_xml(doc, &got), 0);
	assert_memory_equal(&got, &ack, sizeof(ack));
	xmlFreeDoc(doc);
	snprintf(ack.batch_ref, sizeof(ack.batch_ref), "not-a-uuid");
	assert_int_equal(rt_usage_batch_ack_encode(&ack, &xml), RT_ERR_BAD_INPUT);
	rt_buf_fini(&xml);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_batches_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_size_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batches_in, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_in_prev_hash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_home_flags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_assertions_together, setup,
		    teardown),
		cmocka_unit_test(test_usage_check),
		cmocka_unit_test(test_batch_ack_message),
	};

	rt_log_init("test_ledger_batch", RT_LOG_STDERR, RT_LOG_ERR);
	if (rt_xml_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
