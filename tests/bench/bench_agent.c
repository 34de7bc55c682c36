/*
 * Roaming authentication benchmarks (issue: roaming authentication), with a
 * home broker, a visited broker and the visited agent running in this
 * process on 127.0.0.1 (real nng mutual TLS between the brokers, ipc to
 * the agent, SQLite at home):
 *   - the crypto limit: raw ECDSA P-256 sign + verify per authentication,
 *     measured here, times the cores;
 *   - cold roaming authentications through the agent's check API (REGISTER
 *     challenged, answered, sent to the home realm through both brokers,
 *     assertion back), WINDOW in flight: auths/s, p50, p99;
 *   - warm checks of a registered roamer (INVITE): in process, one thread;
 *     and over the HTTP API with keep-alive connections.
 * Prints "bench: NAME VALUE UNIT [ratio R vs BASE]".
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent.h"
#include "broker.h"
#include "helper_bench.h"
#include "helper_pki.h"
#include "rt_file.h"
#include "rt_log.h"

#define WINDOW 256
#define USERS 200
#define LAT_MAX 2000000
#define PASSWORD "Bench-Roamer-2026!"

static double bench_seconds = 3.0;

/* ---- setup ---- */

static int
write_text(const char *path, const char *text)
{
	return rt_file_write(path, text, strlen(text), 0644, 0);
}

static void
die(const char *what)
{
	fprintf(stderr, "bench_agent: %s\n", what);
	exit(1);
}

struct world {
	struct th_fed *fed;
	struct th_realm *home, *visited;
	struct broker_config hc, vc;
	struct agent_config ac;
	struct broker *hb, *vb;
	struct agent *agent;
	char dir[600];
};

static void
broker_conf(struct world *w, const struct th_realm *r, int port, const char *peer,
    int peer_port, const char *crl, char *path, size_t cap)
{
	char text[4096];

	if ((size_t)snprintf(path, cap, "%s/%.64s.conf", w->dir, r->realm) >= cap)
		die("path");
	snprintf(text, sizeof(text),
	    "[broker]\nrealm = %s\nkey = %s\ncert = %s\nca = %s\ncrl_url = file://%s\n"
	    "listen = tls+tcp://127.0.0.1:%d\nagreements = %s/agreements\n"
	    "state_dir = %s/state-%s\nlog_level = warn\nping_interval = 60s\n%s"
	    "\n[peer.%s]\nendpoint = tls+tcp://127.0.0.1:%d\n",
	    r->realm, r->key_path, r->cert_path, w->fed->ca_path, crl, port, w->dir,
	    w->dir, r->realm, getenv("BENCH_BROKER_EXTRA") ? getenv("BENCH_BROKER_EXTRA") : "",
	    peer, peer_port);
	if (write_text(path, text) != 0)
		die("config");
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

static void
world_start(struct world *w)
{
	char crl[600], hpath[800], vpath[800], apath[800], agreements[700], err[512],
	    text[2048];
	int hport = th_free_port(), vport = th_free_port(), aport = th_free_port();
	X509_CRL *x = NULL;
	char services[RT_SERVICES_MAX][RT_SERVICE_MAX] = {"voice", "message"};

	if (th_fed_new("Bench Federation", &w->fed) != 0 ||
	    th_fed_realm(w->fed, "home.example", -60, 86400, &w->home) != 0 ||
	    th_fed_realm(w->fed, "visited.example", -60, 86400, &w->visited) != 0 ||
	    th_fed_crl(w->fed, -60, 86400, &x, crl) != 0)
		die("federation");
	X509_CRL_free(x);
	snprintf(w->dir, sizeof(w->dir), "%s", w->fed->dir);
	snprintf(agreements, sizeof(agreements), "%s/agreements", w->dir);
	if (rt_dir_ensure(agreements, 0755) != 0 ||
	    th_write_agreement(w->home, w->visited, agreements, "hv",
	    "voice:minute:12,message:message:2", 3600) != 0)
		die("agreement");
	broker_conf(w, w->home, hport, "visited.example", vport, crl, hpath, sizeof(hpath));
	broker_conf(w, w->visited, vport, "home.example", hport, crl, vpath, sizeof(vpath));
	snprintf(apath, sizeof(apath), "%s/agent.conf", w->dir);
	snprintf(text, sizeof(text),
	    "[agent]\nrealm = visited.example\nbroker = ipc://%s/state-visited.example/agent.sock\n"
	    "listen = 127.0.0.1:%d\nstate_dir = %s/state-agent\nlog_level = warn\n"
	    "digest_algorithms = SHA-256\nfail_limit_source = 100000\n"
	    "fail_limit_identity = 100000\nbroker_contexts = 256\nhttp_threads = 2\n",
	    w->dir, aport, w->dir);
	if (write_text(apath, text) != 0 ||
	    broker_config_load(hpath, &w->hc, err, sizeof(err)) != 0 ||
	    broker_config_load(vpath, &w->vc, err, sizeof(err)) != 0 ||
	    agent_config_load(apath, &w->ac, err, sizeof(err)) != 0)
		die(err);
	if (broker_new(&w->hc, &w->hb) != 0 || broker_new(&w->vc, &w->vb) != 0 ||
	    broker_start(w->hb) != 0 || broker_start(w->vb) != 0)
		die("brokers");
	for (int i = 0; i < USERS; i++) {
		char pub[64], priv[32], why[128];

		snprintf(pub, sizeof(pub), "sip:user%d@home.example", i);
		snprintf(priv, sizeof(priv), "user%d", i);
		if (broker_subscriber_add(w->hb->subscribers, &w->hb->password_policy,
		    "home.example", pub, priv, PASSWORD,
		    (const char (*)[RT_SERVICE_MAX])services, 2, 0, rt_time_now(),
		    why, sizeof(why)) != 0)
			die(why);
	}
	if (agent_new(&w->ac, &w->agent) != 0 || agent_start(w->agent) != 0)
		die("agent");
	for (int i = 0; i < 200 && !(peer_up(w->vb, "home.example") &&
	    peer_up(w->hb, "visited.example")); i++)
		usleep(50000);
	if (!peer_up(w->vb, "home.example"))
		die("brokers did not peer");
}

static void
world_stop(struct world *w)
{
	agent_stop(w->agent);
	broker_stop(w->vb);
	broker_stop(w->hb);
	agent_free(w->agent);
	broker_free(w->vb);
	broker_free(w->hb);
	agent_config_fini(&w->ac);
	broker_config_fini(&w->vc);
	broker_config_fini(&w->hc);
	th_realm_free(w->home);
	th_realm_free(w->visited);
	th_fed_free(w->fed);
}

/* ---- the crypto limit ---- */

static double
crypto_limit(struct world *w)
{
	uint8_t doc[1024], sig[128];
	size_t siglen = 0;
	uint64_t start = rt_mono_ns(), sign_ns = 0, verify_ns = 0;
	int n = 0;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	memset(doc, 'x', sizeof(doc));
	while (rt_mono_ns() - start < (uint64_t)(bench_seconds * 5e8)) {
		EVP_MD_CTX *md = EVP_MD_CTX_new();
		uint64_t t0 = rt_mono_ns(), t1;

		siglen = sizeof(sig);
		if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, w->home->key) != 1 ||
		    EVP_DigestSign(md, sig, &siglen, doc, sizeof(doc)) != 1)
			die("sign");
		t1 = rt_mono_ns();
		EVP_MD_CTX_reset(md);
		if (EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL,
		    X509_get0_pubkey(w->home->cert)) != 1 ||
		    EVP_DigestVerify(md, sig, siglen, doc, sizeof(doc)) != 1)
			die("verify");
		verify_ns += rt_mono_ns() - t1;
		sign_ns += t1 - t0;
		EVP_MD_CTX_free(md);
		n++;
	}
	printf("bench: ecdsa_p256_sign_plus_verify_raw %.0f pairs/s per core\n",
	    (double)n / ((double)(sign_ns + verify_ns) / 1e9));
	return (double)n / ((double)(sign_ns + verify_ns) / 1e9) * (double)(cores > 0 ? cores : 1);
}

/* ---- cold authentications ---- */

struct cold_run {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct world *w;
	uint64_t until;
	unsigned long done, failed;
	int active;
	uint64_t *lat;
	size_t nlat;
};

struct cold_slot {
	struct cold_run *run;
	int index;
	unsigned long round;
	uint64_t t0;
};

static void cold_next(struct cold_slot *s);

static void
register_text(char *out, size_t cap, int user, int port, unsigned long cseq,
    const char *auth)
{
	snprintf(out, cap,
	    "REGISTER sip:127.0.0.1:5060 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-%lu-%d\r\n"
	    "From: <sip:user%d@home.example>;tag=%d\r\n"
	    "To: <sip:user%d@home.example>\r\n"
	    "Call-ID: bench-%d@127.0.0.1\r\nCSeq: %lu REGISTER\r\n"
	    "Contact: <sip:user%d@127.0.0.1:%d>\r\nMax-Forwards: 70\r\nExpires: 3600\r\n"
	    "%s%s%sContent-Length: 0\r\n\r\n",
	    port, cseq, port, user, port, user, port, cseq, user, port,
	    auth != NULL ? "Authorization: " : "", auth != NULL ? auth : "",
	    auth != NULL ? "\r\n" : "");
}

/* The nonce of a 401 body's first WWW-Authenticate line. */
static int
challenge_nonce(const struct agent_check *c, char *nonce, size_t cap)
{
	const char *p = strstr(rt_buf_str(&c->body), "nonce=\""), *e;

	if (c->status != 401 || p == NULL || (e = strchr(p + 7, '"')) == NULL ||
	    (size_t)(e - p - 7) >= cap)
		return -1;
	memcpy(nonce, p + 7, (size_t)(e - p - 7));
	nonce[e - p - 7] = '\0';
	return 0;
}

static void
cold_done(struct agent_check *c)
{
	struct cold_slot *s = c->arg;
	struct cold_run *run = s->run;
	uint64_t now = rt_mono_ns();
	int stop;

	pthread_mutex_lock(&run->lock);
	if (c->status == 200) {
		run->done++;
		if (run->nlat < LAT_MAX)
			run->lat[run->nlat++] = now - s->t0;
	} else
		run->failed++;
	stop = now >= run->until || run->failed > 50;
	if (stop) {
		run->active--;
		pthread_cond_broadcast(&run->cond);
	}
	pthread_mutex_unlock(&run->lock);
	agent_check_free(c);
	if (!stop)
		cold_next(s);
}

/* Challenge, answer, and send the answer through to the home realm. */
static void
cold_next(struct cold_slot *s)
{
	struct agent *a = s->run->w->agent;
	struct rt_digest_creds creds;
	struct agent_check *c = NULL;
	char msg[2048], nonce[128], ha1[RT_DIGEST_HEX_MAX], resp[RT_DIGEST_HEX_MAX],
	    auth[1024], user[32], cnonce[32];
	int port = 20000 + s->index, u = (int)((s->round * WINDOW + (unsigned)s->index) % USERS);

	s->t0 = rt_mono_ns();
	s->round++;
	register_text(msg, sizeof(msg), u, port, s->round * 2, NULL);
	if (agent_check_new(a, "udp", "127.0.0.1", port, msg, strlen(msg), &c) != 0 ||
	    agent_check_run(c) != 0 || challenge_nonce(c, nonce, sizeof(nonce)) != 0)
		die("challenge");
	agent_check_free(c);
	snprintf(user, sizeof(user), "user%d", u);
	snprintf(cnonce, sizeof(cnonce), "%08lx%04x", s->round, (unsigned)s->index);
	memset(&creds, 0, sizeof(creds));
	snprintf(creds.username, sizeof(creds.username), "%s", user);
	snprintf(creds.realm, sizeof(creds.realm), "home.example");
	snprintf(creds.nonce, sizeof(creds.nonce), "%s", nonce);
	snprintf(creds.uri, sizeof(creds.uri), "sip:127.0.0.1:5060");
	snprintf(creds.qop, sizeof(creds.qop), "auth");
	snprintf(creds.nc, sizeof(creds.nc), "00000001");
	snprintf(creds.cnonce, sizeof(creds.cnonce), "%s", cnonce);
	creds.alg = RT_DIGEST_SHA256;
	if (rt_digest_ha1(RT_DIGEST_SHA256, user, "home.example", PASSWORD, ha1) != 0 ||
	    rt_digest_response(RT_DIGEST_SHA256, ha1, &creds, "REGISTER", NULL, resp) != 0)
		die("digest");
	snprintf(auth, sizeof(auth),
	    "Digest username=\"%s\", realm=\"home.example\", nonce=\"%s\", "
	    "uri=\"sip:127.0.0.1:5060\", response=\"%s\", algorithm=SHA-256, "
	    "qop=auth, nc=00000001, cnonce=\"%s\"", user, nonce, resp, cnonce);
	register_text(msg, sizeof(msg), u, port, s->round * 2 + 1, auth);
	if (agent_check_new(a, "udp", "127.0.0.1", port, msg, strlen(msg), &c) != 0)
		die("check");
	c->done = cold_done;
	c->arg = s;
	if (agent_check_run(c) == 0)
		cold_done(c);	/* answered at once: counted as a failure */
}

static double
bench_cold(struct world *w, struct cold_run *run)
{
	static struct cold_slot slots[WINDOW];
	uint64_t start;

	pthread_mutex_init(&run->lock, NULL);
	pthread_cond_init(&run->cond, NULL);
	run->w = w;
	start = rt_mono_ns();
	run->until = start + (uint64_t)(bench_seconds * 1e9);
	run->active = WINDOW;
	for (int i = 0; i < WINDOW; i++) {
		slots[i].run = run;
		slots[i].index = i;
		cold_next(&slots[i]);
	}
	pthread_mutex_lock(&run->lock);
	while (run->active > 0)
		pthread_cond_wait(&run->cond, &run->lock);
	pthread_mutex_unlock(&run->lock);
	if (run->failed > 0)
		fprintf(stderr, "bench_agent: %lu cold authentications failed\n", run->failed);
	return (double)run->done / ((double)(rt_mono_ns() - start) / 1e9);
}

/* ---- warm checks ---- */

static const char *
invite_text(int port)
{
	static char msg[1024];

	snprintf(msg, sizeof(msg),
	    "INVITE sip:uas@127.0.0.1:5060 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-warm\r\n"
	    "From: <sip:user0@home.example>;tag=1\r\nTo: <sip:uas@127.0.0.1:5060>\r\n"
	    "Call-ID: warm@127.0.0.1\r\nCSeq: 1 INVITE\r\n"
	    "Contact: <sip:user0@127.0.0.1:%d>\r\nMax-Forwards: 70\r\n"
	    "Content-Length: 0\r\n\r\n", port, port);
	return msg;
}

static double
bench_warm_inprocess(struct world *w)
{
	const char *msg = invite_text(20000);
	size_t len = strlen(msg);
	uint64_t start = rt_mono_ns(), now;
	unsigned long n = 0;

	do {
		for (int i = 0; i < 1000; i++) {
			struct agent_check *c = NULL;

			if (agent_check_new(w->agent, "udp", "127.0.0.1", 20000, msg, len,
			    &c) != 0 || agent_check_run(c) != 0 || c->status != 200)
				die("warm check not allowed: is the roamer registered?");
			agent_check_free(c);
		}
		n += 1000;
		now = rt_mono_ns();
	} while ((double)(now - start) / 1e9 < bench_seconds);
	return (double)n / ((double)(now - start) / 1e9);
}

#define HTTP_THREADS 2
#define HTTP_CONNS 16

struct http_run {
	struct world *w;
	uint64_t until;
	unsigned long done[HTTP_THREADS];
	int failed;
};

struct http_thread {
	struct http_run *run;
	int index;
};

static int
http_connect(int port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		die("connect to the agent");
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* Reads one HTTP response; returns its status, or -1. */
static int
http_read(int fd, char *buf, size_t cap)
{
	size_t have = 0;
	char *end, *cl;
	long body;

	for (;;) {
		ssize_t n = read(fd, buf + have, cap - have - 1);

		if (n <= 0)
			return -1;
		have += (size_t)n;
		buf[have] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) == NULL)
			continue;
		cl = strcasestr(buf, "Content-Length:");
		body = cl != NULL && cl < end ? strtol(cl + 15, NULL, 10) : 0;
		if (have >= (size_t)(end - buf) + 4 + (size_t)body)
			return atoi(buf + 9);
	}
}

static void *
http_thread_main(void *arg)
{
	struct http_thread *t = arg;
	struct http_run *run = t->run;
	int fds[HTTP_CONNS], port = run->w->agent->http_port;
	char req[2048], buf[4096];
	const char *msg = invite_text(20000);
	int len;

	len = snprintf(req, sizeof(req),
	    "POST /v1/check?src=127.0.0.1&sport=20000&proto=udp HTTP/1.1\r\n"
	    "Host: agent\r\nContent-Type: application/sip\r\nContent-Length: %zu\r\n"
	    "\r\n%s", strlen(msg), msg);
	for (int i = 0; i < HTTP_CONNS; i++)
		fds[i] = http_connect(port);
	while (rt_mono_ns() < run->until) {
		/* one request in flight on each connection */
		for (int i = 0; i < HTTP_CONNS; i++)
			if (write(fds[i], req, (size_t)len) != len)
				die("write to the agent");
		for (int i = 0; i < HTTP_CONNS; i++) {
			if (http_read(fds[i], buf, sizeof(buf)) != 200)
				run->failed = 1;
			run->done[t->index]++;
		}
	}
	for (int i = 0; i < HTTP_CONNS; i++)
		close(fds[i]);
	return NULL;
}

static double
bench_warm_http(struct world *w)
{
	struct http_thread threads[HTTP_THREADS];
	pthread_t tids[HTTP_THREADS];
	struct http_run run;
	uint64_t start = rt_mono_ns();
	unsigned long total = 0;

	memset(&run, 0, sizeof(run));
	run.w = w;
	run.until = start + (uint64_t)(bench_seconds * 1e9);
	for (int i = 0; i < HTTP_THREADS; i++) {
		threads[i].run = &run;
		threads[i].index = i;
		pthread_create(&tids[i], NULL, http_thread_main, &threads[i]);
	}
	for (int i = 0; i < HTTP_THREADS; i++) {
		pthread_join(tids[i], NULL);
		total += run.done[i];
	}
	if (run.failed)
		die("a warm HTTP check was not allowed");
	return (double)total / ((double)(rt_mono_ns() - start) / 1e9);
}

int
main(void)
{
	struct world w;
	struct cold_run run;
	const char *env = getenv("BENCH_SECONDS");
	double limit, cold, warm, http;

	if (env != NULL && atof(env) > 0)
		bench_seconds = atof(env);
	rt_log_init("bench_agent", RT_LOG_STDERR, RT_LOG_ERR);
	memset(&w, 0, sizeof(w));
	memset(&run, 0, sizeof(run));
	if ((run.lat = malloc(LAT_MAX * sizeof(*run.lat))) == NULL || rt_xml_init() != 0)
		die("setup");
	world_start(&w);
	rt_log_set_level(RT_LOG_ERR);
	limit = crypto_limit(&w);
	printf("bench: roaming_auth_crypto_limit %.0f auths/s (1 ECDSA sign + 1 verify each, "
	    "all cores)\n", limit);
	cold = bench_cold(&w, &run);
	printf("bench: roaming_auth_cold %.0f auths/s ratio %.2f vs roaming_auth_crypto_limit\n",
	    cold, cold / limit);
	printf("bench: roaming_auth_cold_p50 %.2f ms\n", th_percentile_ms(run.lat, run.nlat, 0.5));
	printf("bench: roaming_auth_cold_p99 %.2f ms\n", th_percentile_ms(run.lat, run.nlat, 0.99));
	if (getenv("BENCH_DEBUG") != NULL)
		fprintf(stderr, "visited request frames out %llu, replies in %llu; home "
		    "requests in %llu, replies out %llu, auth requests %llu\n",
		    (unsigned long long)rt_counter_value(w.vb->metrics.frames_out[0]),
		    (unsigned long long)rt_counter_value(w.vb->metrics.frames_in[1]),
		    (unsigned long long)rt_counter_value(w.hb->metrics.frames_in[0]),
		    (unsigned long long)rt_counter_value(w.hb->metrics.frames_out[1]),
		    (unsigned long long)rt_counter_value(w.hb->metrics.items_in[RT_MSG_AUTH_REQUEST]));
	if (getenv("BENCH_COLD_ONLY") != NULL) {
		world_stop(&w);
		free(run.lat);
		return 0;
	}
	warm = bench_warm_inprocess(&w);
	printf("bench: agent_check_warm_inprocess %.0f checks/s\n", warm);
	http = bench_warm_http(&w);
	printf("bench: agent_check_warm_http %.0f checks/s (%d keep-alive connections)\n", http,
	    HTTP_THREADS * HTTP_CONNS);
	world_stop(&w);
	free(run.lat);
	return 0;
}
