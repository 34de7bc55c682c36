/*
 * Broker round trips (issue: broker federation), in one process on
 * 127.0.0.1 so the baseline shares the machine:
 *   - raw nng req/rep over tls+tcp (same certificates, mutual TLS, a
 *     message of the size of our frames), WINDOW requests in flight;
 *   - signed request/reply round trips between two real brokers (Ping,
 *     through broker_peer_call: frame signed, verified, replay-checked,
 *     answered, reply signed and verified), WINDOW in flight, once with
 *     batching off (one request per frame) and once with batching on;
 * with p50/p99 latency. Prints "bench: NAME VALUE UNIT [ratio R vs BASE]".
 */
#include <arpa/inet.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/tls/tls.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "broker.h"
#include "helper_bench.h"
#include "helper_pki.h"
#include "rt_codec.h"
#include "rt_file.h"
#include "rt_log.h"

#define WINDOW 128
#define LAT_MAX 2000000

static double bench_seconds = 3.0;

struct lat {
	uint64_t *ns;
	size_t n;
};

/* ---- raw nng baseline ---- */

struct raw_srv {
	nng_ctx ctx;
	nng_aio *aio;
	int sending;
};

static void
raw_srv_cb(void *arg)
{
	struct raw_srv *s = arg;

	if (nng_aio_result(s->aio) != 0) {
		if (s->sending)
			nng_msg_free(nng_aio_get_msg(s->aio));
		if (nng_aio_result(s->aio) == NNG_ECLOSED)
			return;
		s->sending = 0;
		nng_ctx_recv(s->ctx, s->aio);
		return;
	}
	if (s->sending) {
		s->sending = 0;
		nng_ctx_recv(s->ctx, s->aio);
		return;
	}
	s->sending = 1;		/* echo the request back */
	nng_ctx_send(s->ctx, s->aio);
}

struct raw_cli {
	nng_ctx ctx;
	nng_aio *aio;
	int sending;
	uint64_t t0;
	size_t size;
	struct raw_run *run;
};

struct raw_run {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint64_t until;
	unsigned long done;
	int active;
	struct lat lat;
};

static void raw_cli_send(struct raw_cli *c);

static void
raw_cli_cb(void *arg)
{
	struct raw_cli *c = arg;
	struct raw_run *run = c->run;
	uint64_t now = rt_mono_ns();

	if (nng_aio_result(c->aio) != 0) {
		if (c->sending)
			nng_msg_free(nng_aio_get_msg(c->aio));
		goto finished;
	}
	if (c->sending) {
		c->sending = 0;
		nng_ctx_recv(c->ctx, c->aio);
		return;
	}
	nng_msg_free(nng_aio_get_msg(c->aio));
	pthread_mutex_lock(&run->lock);
	run->done++;
	if (run->lat.n < LAT_MAX)
		run->lat.ns[run->lat.n++] = now - c->t0;
	pthread_mutex_unlock(&run->lock);
	if (now < run->until) {
		raw_cli_send(c);
		return;
	}
 finished:
	pthread_mutex_lock(&run->lock);
	run->active--;
	pthread_cond_broadcast(&run->cond);
	pthread_mutex_unlock(&run->lock);
}

static void
raw_cli_send(struct raw_cli *c)
{
	nng_msg *msg;

	if (nng_msg_alloc(&msg, c->size) != 0)
		return;
	memset(nng_msg_body(msg), 'x', c->size);
	c->sending = 1;
	c->t0 = rt_mono_ns();
	nng_aio_set_msg(c->aio, msg);
	nng_ctx_send(c->ctx, c->aio);
}

static nng_tls_config *
raw_tls(struct th_fed *fed, struct th_realm *r, int server)
{
	struct rt_buf ca, cert, key;
	nng_tls_config *cfg = NULL;

	rt_buf_init(&ca, RT_PEM_MAX);
	rt_buf_init(&cert, RT_PEM_MAX);
	rt_buf_init(&key, RT_PEM_MAX);
	if (rt_file_read(fed->ca_path, RT_PEM_MAX, &ca) != 0 ||
	    rt_file_read(r->cert_path, RT_PEM_MAX, &cert) != 0 ||
	    rt_file_read(r->key_path, RT_PEM_MAX, &key) != 0 ||
	    nng_tls_config_alloc(&cfg, server ? NNG_TLS_MODE_SERVER :
	    NNG_TLS_MODE_CLIENT) != 0 ||
	    nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_REQUIRED) != 0 ||
	    nng_tls_config_ca_chain(cfg, rt_buf_str(&ca), NULL) != 0 ||
	    nng_tls_config_own_cert(cfg, rt_buf_str(&cert), rt_buf_str(&key), NULL) != 0 ||
	    (!server && nng_tls_config_server_name(cfg, "b.example") != 0)) {
		fprintf(stderr, "bench_broker: raw TLS setup failed\n");
		exit(1);
	}
	rt_buf_fini(&ca);
	rt_buf_fini(&cert);
	rt_buf_fini(&key);
	return cfg;
}

static double
bench_raw(struct th_fed *fed, struct th_realm *a, struct th_realm *b, size_t size,
    struct lat *lat)
{
	static struct raw_srv srv[64];
	static struct raw_cli cli[WINDOW];
	struct raw_run run;
	nng_socket ssock, csock;
	nng_listener l;
	nng_dialer d;
	nng_tls_config *stls = raw_tls(fed, b, 1), *ctls = raw_tls(fed, a, 0);
	char url[64];
	uint64_t start;
	double rate;

	snprintf(url, sizeof(url), "tls+tcp://127.0.0.1:%d", th_free_port());
	memset(&run, 0, sizeof(run));
	pthread_mutex_init(&run.lock, NULL);
	pthread_cond_init(&run.cond, NULL);
	run.lat = *lat;
	if (nng_rep0_open(&ssock) != 0 || nng_req0_open(&csock) != 0 ||
	    nng_listener_create(&l, ssock, url) != 0 ||
	    nng_listener_set_ptr(l, NNG_OPT_TLS_CONFIG, stls) != 0 ||
	    nng_listener_start(l, 0) != 0 ||
	    nng_dialer_create(&d, csock, url) != 0 ||
	    nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, ctls) != 0 ||
	    nng_dialer_start(d, 0) != 0) {
		fprintf(stderr, "bench_broker: raw nng setup failed\n");
		exit(1);
	}
	for (int i = 0; i < 64; i++) {
		if (nng_ctx_open(&srv[i].ctx, ssock) != 0 ||
		    nng_aio_alloc(&srv[i].aio, raw_srv_cb, &srv[i]) != 0)
			exit(1);
		nng_ctx_recv(srv[i].ctx, srv[i].aio);
	}
	start = rt_mono_ns();
	run.until = start + (uint64_t)(bench_seconds * 1e9);
	run.active = WINDOW;
	for (int i = 0; i < WINDOW; i++) {
		cli[i].run = &run;
		cli[i].size = size;
		if (nng_ctx_open(&cli[i].ctx, csock) != 0 ||
		    nng_aio_alloc(&cli[i].aio, raw_cli_cb, &cli[i]) != 0)
			exit(1);
		raw_cli_send(&cli[i]);
	}
	pthread_mutex_lock(&run.lock);
	while (run.active > 0)
		pthread_cond_wait(&run.cond, &run.lock);
	pthread_mutex_unlock(&run.lock);
	rate = (double)run.done / ((double)(rt_mono_ns() - start) / 1e9);
	*lat = run.lat;
	for (int i = 0; i < WINDOW; i++)
		nng_aio_free(cli[i].aio);
	nng_close(csock);
	for (int i = 0; i < 64; i++)
		nng_aio_stop(srv[i].aio);
	nng_close(ssock);
	for (int i = 0; i < 64; i++)
		nng_aio_free(srv[i].aio);
	nng_tls_config_free(stls);
	nng_tls_config_free(ctls);
	return rate;
}

/* ---- two brokers ---- */

struct call_run {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct broker_peer *peer;
	struct rt_buf ping;
	uint64_t until;
	unsigned long done, failed;
	int active;
	struct lat lat;
};

struct call {
	struct call_run *run;
	uint64_t t0;
};

static void call_send(struct call *c);

static void
call_done(void *arg, int err, const struct rt_msg_in *m)
{
	struct call *c = arg;
	struct call_run *run = c->run;
	uint64_t now = rt_mono_ns();

	pthread_mutex_lock(&run->lock);
	if (err == 0 && m->type == RT_MSG_PONG) {
		run->done++;
		if (run->lat.n < LAT_MAX)
			run->lat.ns[run->lat.n++] = now - c->t0;
	} else
		run->failed++;
	if (now >= run->until || run->failed > 100) {
		run->active--;
		pthread_cond_broadcast(&run->cond);
		pthread_mutex_unlock(&run->lock);
		return;
	}
	pthread_mutex_unlock(&run->lock);
	call_send(c);
}

static void
call_send(struct call *c)
{
	c->t0 = rt_mono_ns();
	if (broker_peer_call(c->run->peer, &c->run->ping, 0, call_done, c) != 0)
		call_done(c, RT_ERR_UNAVAILABLE, &rt_msg_none);
}

static double
bench_brokers(struct broker *a, struct lat *lat)
{
	static struct call calls[WINDOW];
	struct call_run run;
	uint64_t start;
	double rate;

	memset(&run, 0, sizeof(run));
	pthread_mutex_init(&run.lock, NULL);
	pthread_cond_init(&run.cond, NULL);
	run.peer = broker_peer_find(a, "b.example");
	run.lat = *lat;
	rt_buf_init(&run.ping, 4096);
	if (rt_ping_encode(RT_MSG_PING, rt_time_now_ms(), &run.ping) != 0)
		exit(1);
	start = rt_mono_ns();
	run.until = start + (uint64_t)(bench_seconds * 1e9);
	run.active = WINDOW;
	for (int i = 0; i < WINDOW; i++) {
		calls[i].run = &run;
		call_send(&calls[i]);
	}
	pthread_mutex_lock(&run.lock);
	while (run.active > 0)
		pthread_cond_wait(&run.cond, &run.lock);
	pthread_mutex_unlock(&run.lock);
	rate = (double)run.done / ((double)(rt_mono_ns() - start) / 1e9);
	if (run.failed > 0)
		fprintf(stderr, "bench_broker: %lu requests failed\n", run.failed);
	*lat = run.lat;
	rt_buf_fini(&run.ping);
	return rate;
}

static int
write_config(struct th_fed *fed, struct th_realm *r, const char *peer, int port,
    int peer_port, int batch, const char *crl, char *path, size_t cap)
{
	struct rt_buf text;
	int rc;

	rt_buf_init(&text, 8192);
	if ((size_t)snprintf(path, cap, "%s/%.64s-%d.conf", fed->dir, r->realm,
	    batch) >= cap)
		return RT_ERR_TOO_BIG;
	rc = rt_buf_printf(&text,
	    "[broker]\nrealm = %s\nkey = %s\ncert = %s\nca = %s\ncrl_url = file://%s\n"
	    "listen = tls+tcp://127.0.0.1:%d\nagreements = %s/agreements\n"
	    "state_dir = %s/state-%s-%d\nframes_in_flight = %d\nbatch = %d\n"
	    "ping_interval = 60s\nlog_level = warn\n\n[peer.%s]\n"
	    "endpoint = tls+tcp://127.0.0.1:%d\n",
	    r->realm, r->key_path, r->cert_path, fed->ca_path, crl, port, fed->dir,
	    fed->dir, r->realm, batch, batch > 1 ? 16 : WINDOW, batch, peer, peer_port);
	if (rc == 0)
		rc = rt_file_write(path, text.data, text.len, 0644, 0);
	rt_buf_fini(&text);
	return rc;
}

static int
peer_up(struct broker *b, const char *realm)
{
	struct broker_peer *p = broker_peer_find(b, realm);
	int up;

	pthread_mutex_lock(&p->lock);
	up = p->state == PEER_UP;
	pthread_mutex_unlock(&p->lock);
	return up;
}

/* Starts brokers a and b with batch; runs; stops them. */
static double
run_brokers(struct th_fed *fed, struct th_realm *a, struct th_realm *b,
    const char *crl, int batch, struct lat *lat)
{
	struct broker_config ca, cb;
	struct broker *ba = NULL, *bb = NULL;
	char pa[1024], pb[1024], err[512];
	int porta = th_free_port(), portb = th_free_port();
	double rate = 0;

	if (write_config(fed, a, "b.example", porta, portb, batch, crl, pa, sizeof(pa)) != 0 ||
	    write_config(fed, b, "a.example", portb, porta, batch, crl, pb, sizeof(pb)) != 0 ||
	    broker_config_load(pa, &ca, err, sizeof(err)) != 0 ||
	    broker_config_load(pb, &cb, err, sizeof(err)) != 0 ||
	    broker_new(&ca, &ba) != 0 || broker_new(&cb, &bb) != 0 ||
	    broker_start(ba) != 0 || broker_start(bb) != 0) {
		fprintf(stderr, "bench_broker: broker setup failed %s\n", err);
		exit(1);
	}
	for (int i = 0; i < 200 && !(peer_up(ba, "b.example") && peer_up(bb, "a.example")); i++)
		usleep(50000);
	if (!peer_up(ba, "b.example")) {
		fprintf(stderr, "bench_broker: peers did not come up\n");
		exit(1);
	}
	rate = bench_brokers(ba, lat);
	broker_stop(ba);
	broker_stop(bb);
	broker_free(ba);
	broker_free(bb);
	broker_config_fini(&ca);
	broker_config_fini(&cb);
	return rate;
}

int
main(void)
{
	struct th_fed *fed = NULL;
	struct th_realm *a = NULL, *b = NULL;
	struct lat lat = {NULL, 0};
	char crl[600], dir[700];
	X509_CRL *x = NULL;
	double raw, one, many, p50, p99;
	const char *env = getenv("BENCH_SECONDS");

	if (env != NULL && atof(env) > 0)
		bench_seconds = atof(env);
	rt_log_init("bench_broker", RT_LOG_STDERR, RT_LOG_ERR);
	if ((lat.ns = malloc(LAT_MAX * sizeof(*lat.ns))) == NULL ||
	    rt_xml_init() != 0 || th_fed_new("Bench Federation", &fed) != 0 ||
	    th_fed_realm(fed, "a.example", -60, 86400, &a) != 0 ||
	    th_fed_realm(fed, "b.example", -60, 86400, &b) != 0 ||
	    th_fed_crl(fed, -60, 86400, &x, crl) != 0) {
		fprintf(stderr, "bench_broker: setup failed\n");
		return 1;
	}
	snprintf(dir, sizeof(dir), "%s/agreements", fed->dir);
	if (rt_dir_ensure(dir, 0755) != 0 || th_write_agreement(a, b, dir, "ab", "voice:minute:1", 3600) != 0) {
		fprintf(stderr, "bench_broker: agreement setup failed\n");
		return 1;
	}
	/* a ping frame is ~0.7 KB: the raw messages are the same size */
	raw = bench_raw(fed, a, b, 700, &lat);
	p50 = th_percentile_ms(lat.ns, lat.n, 0.5);
	p99 = th_percentile_ms(lat.ns, lat.n, 0.99);
	printf("bench: nng_reqrep_tls_raw %.0f roundtrips/s (%d in flight)\n", raw, WINDOW);
	printf("bench: nng_reqrep_tls_raw_p50 %.2f ms\n", p50);
	printf("bench: nng_reqrep_tls_raw_p99 %.2f ms\n", p99);
	lat.n = 0;
	one = run_brokers(fed, a, b, crl, 1, &lat);
	p50 = th_percentile_ms(lat.ns, lat.n, 0.5);
	p99 = th_percentile_ms(lat.ns, lat.n, 0.99);
	printf("bench: broker_signed_roundtrips_unbatched %.0f roundtrips/s ratio %.2f vs nng_reqrep_tls_raw\n",
	    one, one / raw);
	printf("bench: broker_signed_unbatched_p50 %.2f ms\n", p50);
	printf("bench: broker_signed_unbatched_p99 %.2f ms\n", p99);
	lat.n = 0;
	many = run_brokers(fed, a, b, crl, BROKER_BATCH_MAX, &lat);
	p50 = th_percentile_ms(lat.ns, lat.n, 0.5);
	p99 = th_percentile_ms(lat.ns, lat.n, 0.99);
	printf("bench: broker_signed_requests_batched %.0f requests/s ratio %.2f vs nng_reqrep_tls_raw\n",
	    many, many / raw);
	printf("bench: broker_signed_batched_p50 %.2f ms\n", p50);
	printf("bench: broker_signed_batched_p99 %.2f ms\n", p99);
	X509_CRL_free(x);
	th_realm_free(a);
	th_realm_free(b);
	th_fed_free(fed);
	free(lat.ns);
	return 0;
}
