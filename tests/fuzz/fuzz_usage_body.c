/*
 * libFuzzer target: what the agent does with one POST /v1/usage, without
 * the HTTP layer: the query's values and the SIP message of the body,
 * through agent_usage_new and agent_usage_run, on an agent with a real
 * spool (in /dev/shm when there is one: fsync is free there) that lives
 * across inputs, so calls opened by one input are ended by another. One
 * roamer, alice, is registered on udp:192.0.2.10:5060 for voice, message
 * and registration.
 *
 * Input: a 3-byte header, the query string up to the first LF, the body.
 *   byte 0   low 2 bits: the spool works (0, 3), is read-only (1: every
 *            write fails, as on a read-only file system) or is closed (2)
 *   byte 1   bit 0: the Call-ID of the body is first made pending, as if
 *            the policy had allowed its INVITE and MESSAGE (alice's flow),
 *            and alice's binding as if that was her REGISTER;
 *            bit 1: the sweeper runs after the report
 *   byte 2   clock: the report runs at T0 + 120 * byte seconds (calls
 *            reach max_call_duration, 14400 s, past byte 120)
 *   query    "event=E&src=IP&sport=P&proto=T", no decoding; a key given
 *            twice takes the last; the values are at most 63 bytes
 *
 * Asserted (abort() otherwise): the answer is 200, 400, 413, 500 or 503,
 * printable lines ending in CRLF, a 200 saying exactly "stored" or
 * "ignored"; a spool that cannot write never answers "stored" and
 * changes nothing; 4xx changes nothing; "stored" means the open call or
 * the record of the report's key is on disk (read back from the file by
 * another connection); and the spool's counts match the file's rows.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "fuzz_agent_config.h"
#include "rt_codec.h"
#include "rt_log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define T0 1800000000L
#define HEADER_LEN 3
#define QUERY_MAX 256
#define VALUE_MAX 64
#define ALICE_FLOW "udp:192.0.2.10:5060"
#define ALICE_AOR "sip:alice@home.example"
#define ROWS_MAX 5000	/* then the spool starts afresh */

static struct agent_config config;
static struct agent *agent;
static char dir[64];
static char spool_path[128];
static sqlite3 *reader;

static void
put_alice(void)
{
	static struct agent_binding b;

	memset(&b, 0, sizeof(b));
	snprintf(b.flow, sizeof(b.flow), ALICE_FLOW);
	snprintf(b.aor, sizeof(b.aor), ALICE_AOR);
	snprintf(b.home, sizeof(b.home), "home.example");
	snprintf(b.assertion.id, sizeof(b.assertion.id),
	    "0190f3c2-7a1e-7c3d-9a4b-5e6f7a8b9c0d");
	snprintf(b.assertion.agreement_ref, sizeof(b.assertion.agreement_ref),
	    "0190f3c2-0000-7000-8000-00000000a9e1");
	snprintf(b.assertion.issuer, sizeof(b.assertion.issuer), "home.example");
	snprintf(b.assertion.audience, sizeof(b.assertion.audience), "visited.example");
	snprintf(b.assertion.public_id, sizeof(b.assertion.public_id),
	    "sip:alice@home.example");
	snprintf(b.assertion.services[0], RT_SERVICE_MAX, "voice");
	snprintf(b.assertion.services[1], RT_SERVICE_MAX, "message");
	snprintf(b.assertion.services[2], RT_SERVICE_MAX, "registration");
	b.assertion.nservices = 3;
	b.assertion.issued_at = T0;
	b.assertion.not_on_or_after = T0 + 86400;
	b.expires = T0 + 86400;
	if (agent_bindings_put(agent->bindings, &b) != 0)
		abort();
}

static void
spool_remove(void)
{
	static const char *const suffix[] = {"", "-wal", "-shm"};
	char path[160];

	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", spool_path, suffix[i]);
		unlink(path);
	}
}

static void
spool_reopen(int fresh)
{
	agent_usage_stop(agent);
	sqlite3_close(reader);
	reader = NULL;
	if (fresh)
		spool_remove();
	if (agent_usage_open(agent) != 0 ||
	    sqlite3_open_v2(spool_path, &reader, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		abort();
}

/* At exit: the spool and its folder go (replays run in make test). */
static void
cleanup(void)
{
	agent_usage_stop(agent);
	sqlite3_close(reader);
	reader = NULL;
	spool_remove();
	rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct stat st;

	(void)argc;
	(void)argv;
	rt_log_init("fuzz_usage_body", RT_LOG_STDERR, RT_LOG_NONE);
	rt_time_set_now(T0);
	snprintf(dir, sizeof(dir), "%s/rt-fuzz-usage-XXXXXX",
	    stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm" : "/tmp");
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(spool_path, sizeof(spool_path), "%s/spool.db", dir);
	fuzz_agent_config_base(&config, dir);
	config.max_bindings = 16;
	config.max_bindings_per_flow = 4;
	config.fail_limit_source = 10;
	config.fail_limit_identity = 10;
	config.spool = spool_path;
	config.spool_keep_sent = 86400;
	config.usage_pending_max = 4096;
	config.usage_timeout_ms = 10000;
	config.usage_retry_max = 60;
	if (agent_new(&config, &agent) != 0)
		abort();
	put_alice();
	spool_reopen(1);
	atexit(cleanup);
	return 0;
}

/* The query's values: "k=v&k=v", no decoding, each value capped. */
static void
query_parse(const char *q, size_t len, char vals[4][VALUE_MAX], const char *out[4])
{
	static const char *const keys[4] = {"event", "src", "sport", "proto"};
	size_t pos = 0;

	for (int k = 0; k < 4; k++)
		out[k] = NULL;
	while (pos < len) {
		size_t end = pos, eq;

		while (end < len && q[end] != '&')
			end++;
		for (eq = pos; eq < end && q[eq] != '='; eq++)
			;
		for (int k = 0; k < 4 && eq < end; k++) {
			size_t vlen = end - eq - 1;

			if (strlen(keys[k]) != eq - pos || memcmp(q + pos, keys[k], eq - pos) != 0)
				continue;
			if (vlen >= VALUE_MAX || memchr(q + eq + 1, '\0', vlen) != NULL)
				break;
			memcpy(vals[k], q + eq + 1, vlen);
			vals[k][vlen] = '\0';
			out[k] = vals[k];
		}
		pos = end + 1;
	}
}

static long long
count(const char *sql, const char *key)
{
	sqlite3_stmt *st = NULL;
	long long n = -1;

	if (sqlite3_prepare_v2(reader, sql, -1, &st, NULL) != SQLITE_OK ||
	    (key != NULL && sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC) != SQLITE_OK))
		abort();
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (n < 0)
		abort();
	return n;
}

struct rows {
	long long records, open_calls, pending;
};

static void
rows_now(struct rows *r)
{
	struct agent_spool_stats st;

	r->records = count("SELECT count(*) FROM record", NULL);
	r->open_calls = count("SELECT count(*) FROM open_call WHERE closed_at IS NULL",
	    NULL);
	r->pending = count("SELECT count(*) FROM record WHERE state = 'pending'", NULL);
	if (agent->spool == NULL)
		return;
	agent_spool_stats(agent->spool, &st);
	if (st.pending != r->pending || st.open_calls != r->open_calls)
		abort();
}

/* As if the policy had allowed alice's INVITE and MESSAGE of this Call-ID. */
static void
prime(const char *body, size_t len)
{
	static struct agent_binding *binding;
	struct agent_usage_party party;
	struct rt_sip_msg *msg = malloc(sizeof(*msg));
	char call_id[RT_TEXT_MAX], key[AGENT_PENDING_KEY_MAX];
	int r;

	if (msg == NULL || (binding == NULL && (binding = malloc(sizeof(*binding))) == NULL))
		abort();
	r = len >= 4 && memcmp(body, "SIP/", 4) == 0 ?
	    rt_sip_parse_response(body, len, msg, NULL) : rt_sip_parse(body, len, msg, NULL);
	if (r == 0 && rt_sip_str_copy(msg->headers[msg->first[RT_HDR_CALL_ID]].value,
	    call_id, sizeof(call_id)) == 0) {
		memset(&party, 0, sizeof(party));
		party.at_ms = rt_time_now_ms();
		snprintf(party.flow, sizeof(party.flow), ALICE_FLOW);
		snprintf(party.subscriber, sizeof(party.subscriber), "sip:alice@home.example");
		snprintf(party.home, sizeof(party.home), "home.example");
		snprintf(party.assertion_ref, sizeof(party.assertion_ref),
		    "0190f3c2-7a1e-7c3d-9a4b-5e6f7a8b9c0d");
		snprintf(party.agreement_ref, sizeof(party.agreement_ref),
		    "0190f3c2-0000-7000-8000-00000000a9e1");
		snprintf(key, sizeof(key), "i:%s", call_id);
		(void)!agent_pending_put(agent->pending, key, &party, rt_time_now());
		snprintf(key, sizeof(key), "m:%ld:%s", msg->cseq, call_id);
		(void)!agent_pending_put(agent->pending, key, &party, rt_time_now());
		/* and alice's binding comes from it, were it a REGISTER */
		if (agent_bindings_get(agent->bindings, ALICE_FLOW, ALICE_AOR, NULL,
		    binding) != 0)
			abort();
		binding->registered_ms = rt_time_now_ms();
		binding->register_hash = agent_usage_hash(
		    msg->headers[msg->first[RT_HDR_CALL_ID]].value, msg->cseq);
		if (agent_bindings_put(agent->bindings, binding) != 0)
			abort();
	}
	free(msg);
}

/* Every write of the writer's connection fails from now on, as on a
 * read-only file system (until the spool is opened again). */
static int
read_only_apply(sqlite3 *db, void *arg)
{
	(void)arg;
	return sqlite3_exec(db, "PRAGMA query_only = 1", NULL, NULL, NULL) == SQLITE_OK ?
	    0 : RT_ERR_IO;
}

struct waiter {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int done;
};

static void
woken(struct agent_usage *u)
{
	struct waiter *w = u->arg;

	pthread_mutex_lock(&w->lock);
	w->done = 1;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

static void
check_answer(const struct agent_usage *u)
{
	size_t n = strlen(u->answer);

	if (n == 0 || n + 1 >= sizeof(u->answer) || u->answer[n - 1] != '\n')
		abort();
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)u->answer[i];

		if (c == '\r' ? u->answer[i + 1] != '\n' : c == '\n' ?
		    i == 0 || u->answer[i - 1] != '\r' : c < 0x20 || c == 0x7f)
			abort();
	}
	switch (u->status) {
	case 200:
		if (strcmp(u->answer, "stored\r\n") != 0 &&
		    strcmp(u->answer, "ignored\r\n") != 0)
			abort();
		break;
	case 400:
	case 413:
	case 500:
	case 503:
		break;
	default:
		abort();
	}
}

/* "stored": what the report stands for is in the file. */
static void
check_stored(const struct agent_usage *u)
{
	char key[RT_TEXT_MAX + 32];

	switch (u->event) {
	case AGENT_USAGE_START:
		if (count("SELECT count(*) FROM open_call WHERE call_id = ?1",
		    u->op.call_id) != 1)
			abort();
		return;
	case AGENT_USAGE_STOP:
		if (count("SELECT count(*) FROM open_call WHERE call_id = ?1 AND "
		    "closed_at IS NOT NULL", u->op.call_id) != 1)
			abort();
		snprintf(key, sizeof(key), "call:%s", u->op.call_id);
		break;
	case AGENT_USAGE_MESSAGE:
		snprintf(key, sizeof(key), "msg:%s:%ld", u->op.call_id, u->msg.cseq);
		break;
	case AGENT_USAGE_REGISTER:
		snprintf(key, sizeof(key), "reg:%s:%ld", u->op.call_id, u->msg.cseq);
		break;
	default:
		abort();	/* no event, nothing stored */
	}
	/* (a Call-ID may come back in a later call: one record or more) */
	if (count("SELECT count(*) FROM record WHERE event_key = ?1", key) < 1)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct waiter w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
	char vals[4][VALUE_MAX];
	const char *q, *body, *v[4];
	struct agent_usage *u = NULL;
	struct agent_spool *kept = NULL;
	struct rows before, after;
	int mode, stored;
	size_t qlen, blen;

	if (size < HEADER_LEN || size - HEADER_LEN > RT_SIP_MAX_MSG + QUERY_MAX)
		return 0;
	mode = data[0] & 3;
	q = (const char *)data + HEADER_LEN;
	qlen = 0;
	while (HEADER_LEN + qlen < size && q[qlen] != '\n' && qlen < QUERY_MAX)
		qlen++;
	body = q + qlen + (HEADER_LEN + qlen < size && q[qlen] == '\n');
	blen = size - (size_t)(body - (const char *)data);
	query_parse(q, qlen, vals, v);
	rt_time_set_now(T0 + 120L * data[2]);
	if (data[1] & 1)
		prime(body, blen);
	rows_now(&before);
	if (before.records > ROWS_MAX) {
		spool_reopen(1);
		rows_now(&before);
	}
	if (mode == 1 && rt_store_run(agent_spool_store(agent->spool), read_only_apply,
	    NULL) != 0)
		abort();
	if (mode == 2) {
		pthread_rwlock_wrlock(&agent->spool_lock);
		kept = agent->spool;
		agent->spool = NULL;
		pthread_rwlock_unlock(&agent->spool_lock);
	}
	if (agent_usage_new(agent, v[0], v[3], v[1], v[2], body, blen, &u) != 0)
		abort();
	u->done = woken;
	u->arg = &w;
	if (agent_usage_run(u) == 1) {
		pthread_mutex_lock(&w.lock);
		while (!w.done)
			pthread_cond_wait(&w.cond, &w.lock);
		pthread_mutex_unlock(&w.lock);
	}
	check_answer(u);
	stored = u->status == 200 && strcmp(u->answer, "stored\r\n") == 0;
	if (mode == 2) {
		pthread_rwlock_wrlock(&agent->spool_lock);
		agent->spool = kept;
		pthread_rwlock_unlock(&agent->spool_lock);
	}
	rows_now(&after);
	if (mode == 1 || mode == 2 || u->status >= 400) {
		/* nothing acknowledged, nothing changed */
		if (stored || after.records != before.records ||
		    after.open_calls != before.open_calls)
			abort();
	} else if (stored)
		check_stored(u);
	if (mode == 1)
		spool_reopen(0);
	if ((data[1] & 2) && mode != 2) {
		size_t closed;

		if (agent_usage_sweep(agent, rt_time_now(), &closed) != 0)
			abort();
		rows_now(&after);
	}
	agent_usage_free(u);
	rt_time_set_now(T0);
	return 0;
}
