/* See helper_usage.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helper_usage.h"
#include "rt_codec.h"

int
usage_fixture_setup(void **state)
{
	struct agent_fixture *fx;

	agent_fixture_setup(state);
	fx = *state;
	assert_int_equal(agent_usage_open(fx->agent), 0);
	return 0;
}

int
usage_fixture_teardown(void **state)
{
	struct agent_fixture *fx = *state;
	static const char *const files[] = {"spool.db", "spool.db-wal", "spool.db-shm"};
	char path[256];

	agent_usage_stop(fx->agent);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", fx->state, files[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/broker.sock", fx->dir);
	unlink(path);
	return agent_fixture_teardown(state);
}

/* ---- reports ---- */

struct usage_wait {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int done;
};

static void
usage_woken(struct agent_usage *u)
{
	struct usage_wait *w = u->arg;

	pthread_mutex_lock(&w->lock);
	w->done = 1;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

struct agent_usage *
usage_report(struct agent_fixture *fx, const char *event, const char *proto,
    const char *src, const char *port, const char *raw, size_t len)
{
	static struct agent_usage *last;
	struct usage_wait w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};

	agent_usage_free(last);
	last = NULL;
	assert_int_equal(agent_usage_new(fx->agent, event, proto, src, port, raw, len,
	    &last), 0);
	last->done = usage_woken;
	last->arg = &w;
	if (agent_usage_run(last) == 1) {
		pthread_mutex_lock(&w.lock);
		while (!w.done)
			pthread_cond_wait(&w.cond, &w.lock);
		pthread_mutex_unlock(&w.lock);
	}
	last->done = NULL;
	return last;
}

struct agent_usage *
usage_alice(struct agent_fixture *fx, const char *event, const char *raw)
{
	return usage_report(fx, event, "udp", UA_IP, "5060", raw, strlen(raw));
}

void
usage_expect(const struct agent_usage *u, int status, const char *text)
{
	size_t n = strlen(text);

	if (u->status != status || strncmp(u->answer, text, n) != 0 ||
	    strncmp(u->answer + n, "\r\n", 2) != 0)
		fail_msg("usage answer %d \"%s\" (%s), want %d \"%s\"", u->status,
		    u->answer, agent_usage_result_name(u->result), status, text);
}

/* ---- SIP messages ---- */

const char *
sip_request(const char *method, const char *call_id, long cseq)
{
	static char text[2048];
	char date[64], extra[128] = "";
	int reg = strcmp(method, "REGISTER") == 0, n;

	if (strcmp(method, "MESSAGE") == 0) {
		agent_sip_date(rt_time_now(), date, sizeof(date));
		snprintf(extra, sizeof(extra), "Date: %s\r\n", date);
	} else if (reg)
		snprintf(extra, sizeof(extra), "Contact: <sip:alice@" UA_IP ":5060>\r\n");
	n = snprintf(text, sizeof(text),
	    "%s %s SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP " UA_IP ":5060;branch=z9hG4bK-%ld\r\n"
	    "Max-Forwards: 70\r\n"
	    "From: <" ALICE ">;tag=9fxced76sl\r\n"
	    "To: <%s>%s\r\n"
	    "Call-ID: %s\r\n"
	    "CSeq: %ld %s\r\n"
	    "%s"
	    "Content-Length: 0\r\n\r\n",
	    method, reg ? "sip:" HOME : CALLEE, cseq, reg ? ALICE : CALLEE,
	    strcmp(method, "BYE") == 0 ? ";tag=as8f0e" : "", call_id, cseq, method,
	    extra);
	assert_true(n > 0 && (size_t)n < sizeof(text));
	return text;
}

const char *
sip_response(int status, const char *method, const char *call_id, long cseq)
{
	static char text[2048];
	int n;

	n = snprintf(text, sizeof(text),
	    "SIP/2.0 %d %s\r\n"
	    "Via: SIP/2.0/UDP " UA_IP ":5060;branch=z9hG4bK-%ld\r\n"
	    "From: <" ALICE ">;tag=9fxced76sl\r\n"
	    "To: <%s>;tag=as8f0e\r\n"
	    "Call-ID: %s\r\n"
	    "CSeq: %ld %s\r\n"
	    "Contact: <sip:carol@198.51.100.7:5060>\r\n"
	    "Content-Length: 0\r\n\r\n",
	    status, status < 300 ? "OK" : "Busy Here", cseq,
	    strcmp(method, "REGISTER") == 0 ? ALICE : CALLEE, call_id, cseq, method);
	assert_true(n > 0 && (size_t)n < sizeof(text));
	return text;
}

void
usage_put_alice(struct agent_fixture *fx, const char *services)
{
	agent_put_binding(fx, UA_FLOW, ALICE, services, AGENT_T0 + 86400,
	    AGENT_T0 + 86400);
}

void
usage_registered(struct agent_fixture *fx, const char *call_id, long cseq)
{
	struct agent_binding *b = calloc(1, sizeof(*b));
	struct rt_sip_str id = {call_id, strlen(call_id)};

	assert_non_null(b);
	assert_int_equal(agent_bindings_get(fx->agent->bindings, UA_FLOW, ALICE, NULL,
	    b), 0);
	b->registered_ms = rt_time_now_ms();
	b->register_hash = agent_usage_hash(id, cseq);
	assert_int_equal(agent_bindings_put(fx->agent->bindings, b), 0);
	free(b);
}

void
usage_check(struct agent_fixture *fx, const char *request, int status)
{
	struct agent_check *c = agent_run_raw(fx, "udp", UA_IP, UA_PORT, request,
	    strlen(request));

	if (c->status != status)
		fail_msg("verdict %d (%s), want %d", c->status, c->reason, status);
}

/* ---- the spool file ---- */

static sqlite3_stmt *
spool_query(struct agent_fixture *fx, sqlite3 **dbp, const char *fmt, va_list ap)
{
	sqlite3_stmt *st = NULL;
	char sql[1024];

	vsnprintf(sql, sizeof(sql), fmt, ap);
	assert_int_equal(sqlite3_open_v2(agent_spool_path(fx->agent->spool), dbp,
	    SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	if (sqlite3_prepare_v2(*dbp, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(*dbp));
	return st;
}

long long
spool_int(struct agent_fixture *fx, const char *sql, ...)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st;
	long long v = -1;
	va_list ap;

	va_start(ap, sql);
	st = spool_query(fx, &db, sql, ap);
	va_end(ap);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

void
spool_text(struct agent_fixture *fx, char *out, size_t cap, const char *sql, ...)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st;
	va_list ap;

	va_start(ap, sql);
	st = spool_query(fx, &db, sql, ap);
	va_end(ap);
	out[0] = '\0';
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
		snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static int
exec_apply(sqlite3 *db, void *arg)
{
	return sqlite3_exec(db, arg, NULL, NULL, NULL) == SQLITE_OK ? 0 : RT_ERR_IO;
}

void
spool_writer_exec(struct agent_fixture *fx, const char *sql)
{
	assert_int_equal(rt_store_run(agent_spool_store(fx->agent->spool), exec_apply,
	    (void *)(uintptr_t)sql), 0);
}

/* ---- the fake broker ---- */

struct fake_broker {
	nng_socket sock;
	pthread_t thread;
	int running;
	enum fake_answer how;
	int err;
	int reject[RT_BATCH_MAX + 1];
	struct rt_usage_batch got;
};

struct fake_broker *
fake_broker_start(struct agent_fixture *fx)
{
	struct fake_broker *fb = calloc(1, sizeof(*fb));

	assert_non_null(fb);
	assert_int_equal(nng_rep0_open(&fb->sock), 0);
	assert_int_equal(nng_socket_set_ms(fb->sock, NNG_OPT_RECVTIMEO, 30000), 0);
	assert_int_equal(nng_socket_set_size(fb->sock, NNG_OPT_RECVMAXSZ, 1 << 20), 0);
	assert_int_equal(nng_listen(fb->sock, fx->config.broker, NULL, 0), 0);
	assert_int_equal(agent_broker_start(fx->agent), 0);
	return fb;
}

void
fake_broker_stop(struct agent_fixture *fx, struct fake_broker *fb)
{
	assert_false(fb->running);
	agent_broker_stop(fx->agent);
	nng_close(fb->sock);
	rt_usage_batch_fini(&fb->got);
	free(fb);
}

static int
fake_answer_of(struct fake_broker *fb, struct rt_buf *xml)
{
	struct rt_usage_submit_ack *ack;
	struct rt_auth_response resp;
	int r;

	switch (fb->how) {
	case FAKE_REFUSAL:
		return rt_refusal_encode(fb->err, "fake broker says no", xml);
	case FAKE_GARBAGE:
		memset(&resp, 0, sizeof(resp));
		resp.result = RT_AUTH_UNAVAILABLE;
		snprintf(resp.reason, sizeof(resp.reason), "unsupported message");
		return rt_auth_response_encode(&resp, xml);
	default:
		break;
	}
	if ((ack = calloc(1, sizeof(*ack))) == NULL)
		return RT_ERR_NOMEM;
	for (int k = 0; fb->reject[k] >= 0; k++) {
		size_t i = (size_t)fb->reject[k];

		if (i >= fb->got.nrecords)
			continue;
		memcpy(ack->rejected[ack->nrejected].ref, fb->got.records[i].id, RT_ID_MAX);
		snprintf(ack->rejected[ack->nrejected].reason, RT_REASON_MAX, "no_agreement");
		ack->nrejected++;
	}
	ack->stored = (uint32_t)(fb->got.nrecords - ack->nrejected);
	r = rt_usage_submit_ack_encode(ack, xml);
	free(ack);
	return r;
}

static void *
fake_main(void *arg)
{
	struct fake_broker *fb = arg;
	enum rt_msg_type type;
	xmlDocPtr doc = NULL;
	nng_msg *msg = NULL;
	struct rt_buf xml;

	rt_buf_init(&xml, 1 << 20);
	if (nng_recvmsg(fb->sock, &msg, 0) != 0)
		goto out;
	if (rt_msg_parse(nng_msg_body(msg), nng_msg_len(msg), &type, &doc) != 0 ||
	    type != RT_MSG_USAGE_SUBMIT || rt_usage_submit_from_xml(doc, &fb->got) != 0) {
		nng_msg_free(msg);
		goto out;
	}
	nng_msg_free(msg);
	msg = NULL;
	if (fb->how == FAKE_SILENT || fake_answer_of(fb, &xml) != 0 ||
	    nng_msg_alloc(&msg, 0) != 0 || nng_msg_append(msg, xml.data, xml.len) != 0 ||
	    nng_sendmsg(fb->sock, msg, 0) != 0)
		nng_msg_free(msg);
 out:
	xmlFreeDoc(doc);
	rt_buf_fini(&xml);
	return NULL;
}

void
fake_broker_expect(struct fake_broker *fb, enum fake_answer how, int err,
    const int *reject_index)
{
	size_t k = 0;

	assert_false(fb->running);
	rt_usage_batch_fini(&fb->got);
	fb->how = how;
	fb->err = err;
	for (; reject_index != NULL && reject_index[k] >= 0 && k < RT_BATCH_MAX; k++)
		fb->reject[k] = reject_index[k];
	fb->reject[k] = -1;
	assert_int_equal(pthread_create(&fb->thread, NULL, fake_main, fb), 0);
	fb->running = 1;
}

const struct rt_usage_batch *
fake_broker_wait(struct fake_broker *fb)
{
	assert_true(fb->running);
	pthread_join(fb->thread, NULL);
	fb->running = 0;
	return &fb->got;
}
