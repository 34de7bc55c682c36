/*
 * rt_metrics: exact exposition text, label escaping, registration rules,
 * lock-free counting under threads, scrape callbacks, and the /metrics
 * endpoint driven by a raw socket client.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rt_log.h"
#include "rt_metrics.h"

#define HTTP_REPLY_MAX (256 * 1024)

static const char *
render(struct rt_metrics *m, struct rt_buf *out)
{
	rt_buf_reset(out);
	assert_int_equal(rt_metrics_render(m, out), 0);
	return rt_buf_str(out);
}

static void
test_render_exact(void **state)
{
	static const double bounds[] = {0.005, 0.01, 0.25, 1, 2.5};
	const char *expect =
	    "# HELP rt_requests_total Requests handled.\n"
	    "# TYPE rt_requests_total counter\n"
	    "rt_requests_total 3\n"
	    "# HELP rt_rejects_total Rejected requests.\n"
	    "# TYPE rt_rejects_total counter\n"
	    "rt_rejects_total{reason=\"stale\"} 1\n"
	    "rt_rejects_total{reason=\"bad\\\"sig\",realm=\"a.example\"} 5\n"
	    "# HELP rt_peers_up Peers connected.\n"
	    "# TYPE rt_peers_up gauge\n"
	    "rt_peers_up -2\n"
	    "# HELP rt_verify_seconds Verify time.\n"
	    "# TYPE rt_verify_seconds histogram\n"
	    "rt_verify_seconds_bucket{kind=\"cms\",le=\"0.005\"} 2\n"
	    "rt_verify_seconds_bucket{kind=\"cms\",le=\"0.01\"} 2\n"
	    "rt_verify_seconds_bucket{kind=\"cms\",le=\"0.25\"} 3\n"
	    "rt_verify_seconds_bucket{kind=\"cms\",le=\"1\"} 3\n"
	    "rt_verify_seconds_bucket{kind=\"cms\",le=\"2.5\"} 3\n"
	    "rt_verify_seconds_bucket{kind=\"cms\",le=\"+Inf\"} 4\n"
	    "rt_verify_seconds_sum{kind=\"cms\"} 3.206\n"
	    "rt_verify_seconds_count{kind=\"cms\"} 4\n"
	    "# HELP rt_plain_seconds Help with \\\\ and\\nnewline.\n"
	    "# TYPE rt_plain_seconds histogram\n"
	    "rt_plain_seconds_bucket{le=\"+Inf\"} 2\n"
	    "rt_plain_seconds_sum 3\n"
	    "rt_plain_seconds_count 2\n";
	struct rt_metrics *m = NULL;
	struct rt_counter *requests, *stale, *badsig;
	struct rt_histogram *verify, *plain;
	struct rt_gauge *peers;
	struct rt_buf out;

	(void)state;
	assert_int_equal(rt_metrics_new(&m), 0);
	rt_buf_init(&out, 1 << 20);
	/* An empty registry renders nothing. */
	assert_string_equal(render(m, &out), "");

	requests = rt_metrics_counter(m, "rt_requests_total",
	    "Requests handled.", NULL);
	stale = rt_metrics_counter(m, "rt_rejects_total", "Rejected requests.",
	    "reason=\"stale\"");
	peers = rt_metrics_gauge(m, "rt_peers_up", "Peers connected.", "");
	/* A later series of an earlier name renders in that name's block. */
	badsig = rt_metrics_counter(m, "rt_rejects_total", "ignored",
	    "reason=\"bad\\\"sig\",realm=\"a.example\"");
	verify = rt_metrics_histogram(m, "rt_verify_seconds", "Verify time.",
	    "kind=\"cms\"", bounds, 5);
	plain = rt_metrics_histogram(m, "rt_plain_seconds",
	    "Help with \\ and\nnewline.", NULL, NULL, 0);
	assert_non_null(requests);
	assert_non_null(stale);
	assert_non_null(peers);
	assert_non_null(badsig);
	assert_non_null(verify);
	assert_non_null(plain);

	rt_counter_add(requests, 2);
	rt_counter_inc(requests);
	rt_counter_inc(stale);
	rt_counter_add(badsig, 5);
	rt_gauge_set(peers, 3);
	rt_gauge_add(peers, -5);
	rt_histogram_observe(verify, 0.001);
	rt_histogram_observe(verify, 0.005);	/* le is inclusive */
	rt_histogram_observe(verify, 0.2);
	rt_histogram_observe(verify, 3.0);
	rt_histogram_observe(plain, 1.5);
	rt_histogram_observe(plain, 1.5);
	assert_string_equal(render(m, &out), expect);
	assert_int_equal(rt_counter_value(requests), 3);
	assert_int_equal(rt_gauge_value(peers), -2);

	/* Appends to what is there; a small cap fails and changes nothing. */
	{
		struct rt_buf small;

		rt_buf_init(&small, 64);
		assert_int_equal(rt_buf_append_str(&small, "keep"), 0);
		assert_int_equal(rt_metrics_render(m, &small), RT_ERR_TOO_BIG);
		assert_string_equal(rt_buf_str(&small), "keep");
		assert_int_equal(small.len, 4);
		rt_buf_fini(&small);
	}
	rt_buf_fini(&out);
	rt_metrics_free(m);
}

static void
test_histogram_edges(void **state)
{
	static const double bounds[] = {0.5};
	struct rt_metrics *m = NULL;
	struct rt_histogram *h;
	struct rt_buf out;

	(void)state;
	assert_int_equal(rt_metrics_new(&m), 0);
	rt_buf_init(&out, 1 << 20);
	h = rt_metrics_histogram(m, "h_seconds", "H.", NULL, bounds, 1);
	assert_non_null(h);
	rt_histogram_observe(h, -1.0);		/* clamps to 0 */
	rt_histogram_observe(h, NAN);		/* dropped */
	rt_histogram_observe(h, 1e300);		/* clamps the sum */
	rt_histogram_observe(h, 0.000000001);
	rt_histogram_observe(NULL, 1.0);
	assert_string_equal(render(m, &out),
	    "# HELP h_seconds H.\n"
	    "# TYPE h_seconds histogram\n"
	    "h_seconds_bucket{le=\"0.5\"} 2\n"
	    "h_seconds_bucket{le=\"+Inf\"} 3\n"
	    "h_seconds_sum 18000000000.000000001\n"
	    "h_seconds_count 3\n");
	rt_buf_fini(&out);
	rt_metrics_free(m);
}

static void
test_registration_rules(void **state)
{
	static const double bounds[] = {0.1, 1};
	static const double unordered[] = {1, 0.1};
	static const double other[] = {0.2, 1};
	struct rt_metrics *m = NULL;
	struct rt_counter *c;
	struct rt_histogram *h;

	(void)state;
	rt_log_set_level(RT_LOG_NONE);		/* refusals log errors */
	assert_int_equal(rt_metrics_new(&m), 0);
	c = rt_metrics_counter(m, "x_total", "X.", "a=\"1\"");
	assert_non_null(c);
	assert_ptr_equal(rt_metrics_counter(m, "x_total", "X.", "a=\"1\""), c);
	assert_ptr_not_equal(rt_metrics_counter(m, "x_total", "X.", "a=\"2\""),
	    c);
	assert_ptr_not_equal(rt_metrics_counter(m, "x_total", "X.", NULL), c);
	/* Same name, other type. */
	assert_null(rt_metrics_gauge(m, "x_total", "X.", "a=\"1\""));
	/* Names. */
	assert_null(rt_metrics_counter(m, "", "X.", NULL));
	assert_null(rt_metrics_counter(m, NULL, "X.", NULL));
	assert_null(rt_metrics_counter(m, "9lives", "X.", NULL));
	assert_null(rt_metrics_counter(m, "has-dash", "X.", NULL));
	assert_null(rt_metrics_counter(m, "has space", "X.", NULL));
	assert_non_null(rt_metrics_counter(m, "_ok:name_0", "X.", NULL));
	/* Label sets. */
	assert_null(rt_metrics_counter(m, "l_total", "L.", "a=1"));
	assert_null(rt_metrics_counter(m, "l_total", "L.", "a=\"1\","));
	assert_null(rt_metrics_counter(m, "l_total", "L.", "a=\"1"));
	assert_null(rt_metrics_counter(m, "l_total", "L.", "a=\"x\ny\""));
	assert_null(rt_metrics_counter(m, "l_total", "L.", "a=\"\\x\""));
	assert_null(rt_metrics_counter(m, "l_total", "L.", "__a=\"1\""));
	assert_null(rt_metrics_counter(m, "l_total", "L.", "1a=\"1\""));
	assert_non_null(rt_metrics_counter(m, "l_total", "L.",
	    "a=\"\",b_2=\"\\\\\\n\\\"\""));
	/* Histograms: "le" is theirs; bounds strictly increasing, finite. */
	assert_null(rt_metrics_histogram(m, "h", "H.", "le=\"1\"", bounds, 2));
	assert_null(rt_metrics_histogram(m, "h", "H.", NULL, unordered, 2));
	assert_null(rt_metrics_histogram(m, "h", "H.", NULL, NULL, 2));
	h = rt_metrics_histogram(m, "h", "H.", NULL, bounds, 2);
	assert_non_null(h);
	assert_ptr_equal(rt_metrics_histogram(m, "h", "H.", NULL, bounds, 2),
	    h);
	assert_null(rt_metrics_histogram(m, "h", "H.", NULL, other, 2));
	/* "le" is fine on other types. */
	assert_non_null(rt_metrics_gauge(m, "g", "G.", "le=\"1\""));
	/* NULL handles cost nothing. */
	rt_counter_inc(NULL);
	rt_counter_add(NULL, 3);
	rt_gauge_set(NULL, 1);
	rt_gauge_add(NULL, 1);
	rt_metrics_free(m);
	rt_metrics_free(NULL);
	rt_log_set_level(RT_LOG_ERR);
}

static void
test_label_escape(void **state)
{
	char out[64], tiny[4];

	(void)state;
	assert_string_equal(rt_metrics_label_escape("a\\b\"c\nd", out,
	    sizeof(out)), "a\\\\b\\\"c\\nd");
	assert_string_equal(rt_metrics_label_escape("plain", out, sizeof(out)),
	    "plain");
	assert_string_equal(rt_metrics_label_escape(NULL, out, sizeof(out)),
	    "");
	/* Truncates without splitting an escape. */
	assert_string_equal(rt_metrics_label_escape("ab\"c", tiny,
	    sizeof(tiny)), "ab");
	assert_string_equal(rt_metrics_label_escape("abcdef", tiny,
	    sizeof(tiny)), "abc");
	assert_ptr_equal(rt_metrics_label_escape("x", out, 0), out);
}

#define THREADS 4
#define PER_THREAD 100000

struct hammer {
	struct rt_counter *counter;
	struct rt_gauge *gauge;
	struct rt_histogram *histogram;
};

static void *
hammer_run(void *arg)
{
	struct hammer *h = arg;

	for (int i = 0; i < PER_THREAD; i++) {
		rt_counter_inc(h->counter);
		rt_gauge_add(h->gauge, 1);
		rt_histogram_observe(h->histogram, (i & 1) ? 0.002 : 2.0);
	}
	return NULL;
}

static void
test_concurrent(void **state)
{
	static const double bounds[] = {0.01, 1};
	struct rt_metrics *m = NULL;
	struct hammer h;
	pthread_t threads[THREADS];
	struct rt_buf out;
	char expect[1024];

	(void)state;
	assert_int_equal(rt_metrics_new(&m), 0);
	rt_buf_init(&out, 1 << 20);
	h.counter = rt_metrics_counter(m, "c_total", "C.", NULL);
	h.gauge = rt_metrics_gauge(m, "g", "G.", NULL);
	h.histogram = rt_metrics_histogram(m, "h_seconds", "H.", NULL, bounds,
	    2);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&threads[i], NULL, hammer_run,
		    &h), 0);
	for (int i = 0; i < THREADS; i++) {
		/* Scrapes while they run must not disturb them. */
		assert_int_equal(rt_metrics_render(m, &out), 0);
		rt_buf_reset(&out);
	}
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_join(threads[i], NULL), 0);
	assert_int_equal(rt_counter_value(h.counter), THREADS * PER_THREAD);
	assert_int_equal(rt_gauge_value(h.gauge), THREADS * PER_THREAD);
	/* Half the observations at 2 s, half at 2 ms: 400000 + 400 s. */
	snprintf(expect, sizeof(expect),
	    "# HELP c_total C.\n# TYPE c_total counter\nc_total %d\n"
	    "# HELP g G.\n# TYPE g gauge\ng %d\n"
	    "# HELP h_seconds H.\n# TYPE h_seconds histogram\n"
	    "h_seconds_bucket{le=\"0.01\"} %d\n"
	    "h_seconds_bucket{le=\"1\"} %d\n"
	    "h_seconds_bucket{le=\"+Inf\"} %d\n"
	    "h_seconds_sum 400400\n"
	    "h_seconds_count %d\n",
	    THREADS * PER_THREAD, THREADS * PER_THREAD,
	    THREADS * PER_THREAD / 2, THREADS * PER_THREAD / 2,
	    THREADS * PER_THREAD, THREADS * PER_THREAD);
	assert_string_equal(render(m, &out), expect);
	rt_buf_fini(&out);
	rt_metrics_free(m);
}

struct scrape_state {
	struct rt_gauge *gauge;
	int calls;
};

static void
on_scrape(void *arg)
{
	struct scrape_state *s = arg;

	s->calls++;
	rt_gauge_set(s->gauge, 100 + s->calls);
}

static void
test_on_scrape(void **state)
{
	struct rt_metrics *m = NULL;
	struct scrape_state s = {NULL, 0};
	struct rt_buf out;

	(void)state;
	assert_int_equal(rt_metrics_new(&m), 0);
	rt_buf_init(&out, 1 << 20);
	s.gauge = rt_metrics_gauge(m, "crl_age_seconds", "CRL age.", NULL);
	assert_int_equal(rt_metrics_on_scrape(m, on_scrape, &s), 0);
	assert_int_equal(rt_metrics_on_scrape(m, NULL, &s), RT_ERR_BAD_INPUT);
	assert_non_null(strstr(render(m, &out), "\ncrl_age_seconds 101\n"));
	assert_non_null(strstr(render(m, &out), "\ncrl_age_seconds 102\n"));
	assert_int_equal(s.calls, 2);
	rt_buf_fini(&out);
	rt_metrics_free(m);
}

/* Connects to 127.0.0.1:port; -1 when refused. */
static int
tcp_connect(int port)
{
	struct sockaddr_in sin;
	int fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Reads one reply from fd: to EOF, or for a keep-alive reply until the
 * headers and Content-Length bytes of body are in (headers only for HEAD).
 */
static void
http_read_reply(int fd, int head, struct rt_buf *reply)
{
	const char *headers_end, *cl;
	size_t want = 0;
	uint8_t chunk[4096];
	struct pollfd pfd;
	ssize_t n;

	rt_buf_reset(reply);
	for (;;) {
		if (want != 0 && reply->len >= want)
			break;
		pfd.fd = fd;
		pfd.events = POLLIN;
		assert_int_equal(poll(&pfd, 1, 5000), 1);
		if ((n = read(fd, chunk, sizeof(chunk))) <= 0)
			break;
		assert_int_equal(rt_buf_append(reply, chunk, (size_t)n), 0);
		headers_end = strstr(rt_buf_str(reply), "\r\n\r\n");
		if (want != 0 || headers_end == NULL)
			continue;
		/* A closing reply is read to EOF: nothing may follow. */
		if (strstr(rt_buf_str(reply), "Connection: close") != NULL)
			want = SIZE_MAX;
		else if (head)
			want = (size_t)(headers_end + 4 - rt_buf_str(reply));
		else if ((cl = strstr(rt_buf_str(reply), "Content-Length: ")) !=
		    NULL)
			want = (size_t)(headers_end + 4 - rt_buf_str(reply)) +
			    strtoul(cl + 16, NULL, 10);
		else
			want = SIZE_MAX;
	}
}

/* One request on a new connection. */
static void
http_exchange(int port, const char *request, struct rt_buf *reply)
{
	int fd;

	fd = tcp_connect(port);
	assert_true(fd >= 0);
	/* A server refusing early may close before taking it all. */
	(void)send(fd, request, strlen(request), MSG_NOSIGNAL);
	http_read_reply(fd, strncmp(request, "HEAD", 4) == 0, reply);
	close(fd);
}

static const char *
http_body(const struct rt_buf *reply)
{
	const char *p = strstr(rt_buf_str(reply), "\r\n\r\n");

	assert_non_null(p);
	return p + 4;
}

static void
test_serve(void **state)
{
	struct rt_metrics *m = NULL;
	struct rt_counter *c;
	struct rt_buf reply, direct;
	int port = -1, fd;

	(void)state;
	assert_int_equal(rt_metrics_new(&m), 0);
	rt_buf_init(&reply, HTTP_REPLY_MAX);
	rt_buf_init(&direct, HTTP_REPLY_MAX);
	c = rt_metrics_counter(m, "rt_up_total", "Up.", "who=\"me\"");
	rt_counter_add(c, 42);
	assert_int_equal(rt_metrics_serve(m, "127.0.0.1:0", &port), 0);
	assert_true(port > 0);
	assert_int_equal(rt_metrics_serve(m, "127.0.0.1:0", NULL),
	    RT_ERR_EXISTS);

	http_exchange(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", &reply);
	assert_true(strncmp(rt_buf_str(&reply), "HTTP/1.1 200 ", 13) == 0);
	assert_non_null(strstr(rt_buf_str(&reply),
	    "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
	assert_int_equal(rt_metrics_render(m, &direct), 0);
	assert_string_equal(http_body(&reply), rt_buf_str(&direct));
	assert_non_null(strstr(http_body(&reply),
	    "rt_up_total{who=\"me\"} 42\n"));

	/* HEAD: the same headers, no body. */
	http_exchange(port,
	    "HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
	    &reply);
	assert_true(strncmp(rt_buf_str(&reply), "HTTP/1.1 200 ", 13) == 0);
	assert_non_null(strstr(rt_buf_str(&reply), "version=0.0.4"));
	assert_string_equal(http_body(&reply), "");

	http_exchange(port, "GET /other HTTP/1.1\r\nHost: x\r\n\r\n", &reply);
	assert_true(strncmp(rt_buf_str(&reply), "HTTP/1.1 404 ", 13) == 0);
	http_exchange(port, "GET /metrics/x HTTP/1.1\r\nHost: x\r\n\r\n",
	    &reply);
	assert_true(strncmp(rt_buf_str(&reply), "HTTP/1.1 404 ", 13) == 0);

	http_exchange(port, "POST /metrics HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 5\r\n\r\nhello", &reply);
	assert_true(strncmp(rt_buf_str(&reply), "HTTP/1.1 405 ", 13) == 0);
	assert_non_null(strstr(rt_buf_str(&reply), "Allow: GET, HEAD\r\n"));
	http_exchange(port, "DELETE /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
	    &reply);
	assert_true(strncmp(rt_buf_str(&reply), "HTTP/1.1 405 ", 13) == 0);

	/* A GET announcing a body is refused rather than read. */
	http_exchange(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 3\r\n\r\nabc", &reply);
	assert_true(strncmp(rt_buf_str(&reply), "HTTP/1.1 400 ", 13) == 0);

	/* Oversized request headers are refused, not buffered. */
	{
		struct rt_buf big;

		rt_buf_init(&big, 128 * 1024);
		assert_int_equal(rt_buf_append_str(&big,
		    "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Pad: "), 0);
		for (int i = 0; i < 64 * 1024; i++)
			assert_int_equal(rt_buf_append_u8(&big, 'a'), 0);
		assert_int_equal(rt_buf_append_str(&big, "\r\n\r\n"), 0);
		http_exchange(port, rt_buf_str(&big), &reply);
		assert_null(strstr(rt_buf_str(&reply), " 200 "));
		rt_buf_fini(&big);
	}

	rt_metrics_stop(m);
	rt_metrics_stop(m);		/* idempotent */
	fd = tcp_connect(port);
	assert_int_equal(fd, -1);
	/* Serving again after a stop works. */
	assert_int_equal(rt_metrics_serve(m, "127.0.0.1:0", &port), 0);
	http_exchange(port, "GET /metrics HTTP/1.0\r\n\r\n", &reply);
	assert_true(strncmp(rt_buf_str(&reply), "HTTP/1.", 7) == 0);
	assert_non_null(strstr(rt_buf_str(&reply), " 200 "));
	rt_buf_fini(&reply);
	rt_buf_fini(&direct);
	rt_metrics_free(m);		/* stops the server */
}

/* Scrapers keep their connection: several requests on one socket. */
static void
test_serve_keepalive(void **state)
{
	static const char get[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
	static const char head[] = "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
	static const char missing[] = "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n";
	struct rt_metrics *m = NULL;
	struct rt_counter *c;
	struct rt_buf reply;
	int port = 0, fd;

	(void)state;
	assert_int_equal(rt_metrics_new(&m), 0);
	rt_buf_init(&reply, HTTP_REPLY_MAX);
	c = rt_metrics_counter(m, "scrapes_total", "S.", NULL);
	assert_int_equal(rt_metrics_serve(m, "127.0.0.1:0", &port), 0);
	fd = tcp_connect(port);
	assert_true(fd >= 0);
	for (int i = 1; i <= 3; i++) {
		rt_counter_inc(c);
		assert_int_equal(write(fd, get, strlen(get)),
		    (ssize_t)strlen(get));
		http_read_reply(fd, 0, &reply);
		assert_true(strncmp(rt_buf_str(&reply), "HTTP/1.1 200 ", 13) ==
		    0);
		assert_null(strstr(rt_buf_str(&reply), "Connection: close"));
		assert_non_null(strstr(http_body(&reply), i == 1 ?
		    "scrapes_total 1\n" : i == 2 ? "scrapes_total 2\n" :
		    "scrapes_total 3\n"));
	}
	assert_int_equal(write(fd, head, strlen(head)), (ssize_t)strlen(head));
	http_read_reply(fd, 1, &reply);
	assert_true(strncmp(rt_buf_str(&reply), "HTTP/1.1 200 ", 13) == 0);
	assert_string_equal(http_body(&reply), "");
	assert_int_equal(write(fd, missing, strlen(missing)),
	    (ssize_t)strlen(missing));
	http_read_reply(fd, 0, &reply);
	assert_true(strncmp(rt_buf_str(&reply), "HTTP/1.1 404 ", 13) == 0);
	close(fd);
	rt_buf_fini(&reply);
	rt_metrics_free(m);
}

static void
test_serve_addresses(void **state)
{
	static const char *bad[] = {
		"", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536",
		"127.0.0.1:-1", "127.0.0.1:80x", "localhost:9100", "::1:80",
		"[::1]", "[::1]80", "[127.0.0.1]:80", ":80", "1.2.3:80",
		"127.0.0.1:000009100",
	};
	struct rt_metrics *m = NULL;
	int port = 1;

	(void)state;
	rt_log_set_level(RT_LOG_NONE);
	assert_int_equal(rt_metrics_new(&m), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(rt_metrics_serve(m, bad[i], &port),
		    RT_ERR_BAD_INPUT);
		assert_int_equal(port, 0);
	}
	assert_int_equal(rt_metrics_serve(m, NULL, NULL), RT_ERR_BAD_INPUT);
	/* IPv6 loopback, when the host has it. */
	if (rt_metrics_serve(m, "[::1]:0", &port) == 0) {
		assert_true(port > 0);
		rt_metrics_stop(m);
	}
	rt_metrics_free(m);
	rt_log_set_level(RT_LOG_ERR);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_exact),
		cmocka_unit_test(test_histogram_edges),
		cmocka_unit_test(test_registration_rules),
		cmocka_unit_test(test_label_escape),
		cmocka_unit_test(test_concurrent),
		cmocka_unit_test(test_on_scrape),
		cmocka_unit_test(test_serve),
		cmocka_unit_test(test_serve_keepalive),
		cmocka_unit_test(test_serve_addresses),
	};

	rt_log_init("test_metrics", RT_LOG_STDERR, RT_LOG_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
