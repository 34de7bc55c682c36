/*
 * Unit tests of rt_fetch against a real HTTP server: build/tools/
 * rt_test_httpd, started once for the group on 127.0.0.1 (port 0) and
 * serving a throwaway federation directory, with redirects, delays and
 * statuses set on its command line. The server is found through RT_TOOLS
 * (a folder), next to this binary (../tools), $BUILD/tools, $RT_BIN/tools
 * or build/tools; not finding it fails the group. The last test stops it
 * by pid and checks that it exited 0 (sanitizer builds report there); the
 * group teardown kills it again if a failure skipped that, and it dies with
 * us if we crash (PR_SET_PDEATHSIG). RT_TEST_VERBOSE=1 shows its request
 * log and ours.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helper_pki.h"
#include "rt_fetch.h"
#include "rt_file.h"
#include "rt_log.h"
#include "rt_x509.h"

#define OK_LEN 3000
#define BIG_LEN 100000
#define HTTPD "rt_test_httpd"

struct fixture {
	struct th_fed *fed;	/* its dir is what the server serves */
	X509_CRL *crl;		/* as written to crl.pem */
	uint8_t ok[OK_LEN];	/* ok.crl: binary, NULs included */
	pid_t server;
	int server_out;		/* the server's stdout */
	unsigned int port;
	int closed_sock;	/* bound, never listening: connect is refused */
	unsigned int closed_port;
	enum rt_log_level log_level;
};

static struct fixture fx = { .server = -1, .server_out = -1, .closed_sock = -1 };

static void
url_of(char *out, size_t cap, const char *path)
{
	assert_true(snprintf(out, cap, "http://127.0.0.1:%u%s", fx.port, path) <
	    (int)cap);
}

static int
write_in_dir(const char *name, const void *data, size_t len)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/%s", fx.fed->dir, name);
	return rt_file_write(path, data, len, 0644, 0);
}

/* The first executable rt_test_httpd among the places the header lists. */
static int
find_httpd(char *out, size_t cap)
{
	const char *vars[] = { "RT_TOOLS", NULL, "BUILD", "RT_BIN" };
	char exe[PATH_MAX], *slash;
	ssize_t n;

	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *dir = NULL, *sub = "";

		if (vars[i] == NULL) {
			/* this binary is BUILD/tests/test_fetch */
			n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
			if (n <= 0)
				continue;
			exe[n] = '\0';
			if ((slash = strrchr(exe, '/')) == NULL)
				continue;
			*slash = '\0';
			dir = exe;
			sub = "../tools/";
		} else if ((dir = getenv(vars[i])) == NULL || dir[0] == '\0')
			continue;
		else if (strcmp(vars[i], "RT_TOOLS") != 0)
			sub = "tools/";
		if (snprintf(out, cap, "%s/%s" HTTPD, dir, sub) < (int)cap &&
		    access(out, X_OK) == 0)
			return 0;
	}
	snprintf(out, cap, "build/tools/" HTTPD);
	if (access(out, X_OK) == 0)
		return 0;
	fprintf(stderr, "test_fetch: cannot find " HTTPD " (set RT_TOOLS to "
	    "its folder, or run `make build/tools/" HTTPD "` first)\n");
	return -1;
}

/* Stops the server; -1 unless it exits 0 (sanitizer reports included). */
static int
server_stop(void)
{
	int status = 0, r = 0;

	if (fx.server > 0) {
		kill(fx.server, SIGTERM);
		for (int i = 0; i < 250; i++) {
			if (waitpid(fx.server, &status, WNOHANG) == fx.server)
				break;
			if (i == 249) {
				kill(fx.server, SIGKILL);
				waitpid(fx.server, &status, 0);
			}
			usleep(20 * 1000);
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "test_fetch: " HTTPD " did not exit "
			    "cleanly (status 0x%x)\n", (unsigned int)status);
			r = -1;
		}
		fx.server = -1;
	}
	if (fx.server_out >= 0)
		close(fx.server_out);
	fx.server_out = -1;
	return r;
}

/* Starts the server and reads its "port=N" line (5 s at most). */
static int
server_start(const char *bin)
{
	char to_file[700], line[64];
	const char *argv[] = { bin, "--port", "0", "--dir", fx.fed->dir,
	    "--redirect", "/moved.crl=/ok.crl",
	    /* r1 -> r2 -> r3 -> ok.crl is 3 hops, r0 4 */
	    "--redirect", "/r1=/r2", "--redirect", "/r2=/r3",
	    "--redirect", "/r3=/ok.crl", "--redirect", "/r0=/r1",
	    "--redirect", to_file,
	    "--redirect", "/to-https.crl=https://127.0.0.1:1/ok.crl",
	    "--redirect", "/to-ftp.crl=ftp://127.0.0.1:1/ok.crl",
	    "--slow", "/slow.crl=3", "--status", "/error.crl=500",
	    "--status", "/forbidden.crl=403", "--chunked", "/chunked.bin",
	    NULL };
	size_t len = 0;
	struct pollfd pfd;
	int pipefd[2], devnull;
	ssize_t n;

	snprintf(to_file, sizeof(to_file), "/to-file.crl=file://%s/ok.crl",
	    fx.fed->dir);
	if (pipe(pipefd) != 0)
		return -1;
	if ((fx.server = fork()) < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return -1;
	}
	if (fx.server == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() == 1)
			_exit(1);
		dup2(pipefd[1], STDOUT_FILENO);
		if (getenv("RT_TEST_VERBOSE") == NULL &&
		    (devnull = open("/dev/null", O_WRONLY)) >= 0)
			dup2(devnull, STDERR_FILENO);
		close(pipefd[0]);
		execv(bin, (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	close(pipefd[1]);
	fx.server_out = pipefd[0];
	pfd.fd = fx.server_out;
	pfd.events = POLLIN;
	while (len < sizeof(line) - 1 && memchr(line, '\n', len) == NULL) {
		if (poll(&pfd, 1, 5000) != 1 ||
		    (n = read(fx.server_out, line + len,
		    sizeof(line) - 1 - len)) <= 0)
			break;
		len += (size_t)n;
	}
	line[len] = '\0';
	if (sscanf(line, "port=%u", &fx.port) != 1 || fx.port == 0) {
		fprintf(stderr, "test_fetch: %s did not report its port\n", bin);
		return -1;
	}
	return 0;
}

/* A port that refuses connections: bound by us, never listening. */
static int
closed_port_open(void)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fx.closed_sock = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    bind(fx.closed_sock, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    getsockname(fx.closed_sock, (struct sockaddr *)&sin, &sl) != 0)
		return -1;
	fx.closed_port = ntohs(sin.sin_port);
	return 0;
}

static int
group_teardown(void **state)
{
	int r;

	(void)state;
	r = server_stop();
	if (fx.closed_sock >= 0)
		close(fx.closed_sock);
	fx.closed_sock = -1;
	X509_CRL_free(fx.crl);
	fx.crl = NULL;
	th_fed_free(fx.fed);
	fx.fed = NULL;
	return r;
}

static int
group_setup(void **state)
{
	static const char *proxies[] = { "http_proxy", "HTTP_PROXY",
	    "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
	    "no_proxy", "NO_PROXY" };
	uint8_t *big = NULL;
	unsigned char *der = NULL;
	char bin[PATH_MAX];
	int der_len, ok = 0;

	(void)state;
	/* the tests talk to 127.0.0.1 directly, whatever the caller's proxy */
	for (size_t i = 0; i < sizeof(proxies) / sizeof(proxies[0]); i++)
		unsetenv(proxies[i]);
	for (size_t i = 0; i < OK_LEN; i++)
		fx.ok[i] = (uint8_t)(i * 7 + i / 256);
	if ((big = malloc(BIG_LEN)) == NULL)
		goto out;
	memset(big, 'x', BIG_LEN);
	if (find_httpd(bin, sizeof(bin)) != 0 ||
	    th_fed_new("Fetch Federation", &fx.fed) != 0 ||
	    th_fed_crl(fx.fed, -60, 3600, &fx.crl, NULL) != 0 ||
	    (der_len = i2d_X509_CRL(fx.crl, &der)) <= 0 ||
	    write_in_dir("crl.der", der, (size_t)der_len) != 0 ||
	    write_in_dir("ok.crl", fx.ok, OK_LEN) != 0 ||
	    write_in_dir("big.bin", big, BIG_LEN) != 0 ||
	    write_in_dir("chunked.bin", big, BIG_LEN) != 0 ||
	    write_in_dir("garbage.crl", "-----BEGIN X509 CRL-----\nnope\n", 30)
	    != 0 || write_in_dir("empty.crl", "", 0) != 0 ||
	    closed_port_open() != 0 || server_start(bin) != 0)
		goto out;
	ok = 1;
 out:
	OPENSSL_free(der);
	free(big);
	if (!ok)
		(void)group_teardown(NULL);
	return ok ? 0 : -1;
}

/* Fetches url into a buffer that starts with "pre:"; checks the result. */
static void
expect_fetch(const char *url, const struct rt_fetch_opts *opts, int want,
    const void *data, size_t len)
{
	struct rt_buf buf;

	rt_buf_init(&buf, RT_CRL_MAX);
	assert_int_equal(rt_buf_append_str(&buf, "pre:"), 0);
	assert_int_equal(rt_fetch(url, opts, &buf), want);
	if (want == 0) {
		assert_int_equal(buf.len, 4 + len);
		assert_memory_equal(buf.data + 4, data, len);
	} else
		assert_int_equal(buf.len, 4);	/* left as it was */
	assert_memory_equal(buf.data, "pre:", 5);
	rt_buf_fini(&buf);
}

static void
test_http_ok(void **state)
{
	char url[700];

	(void)state;
	url_of(url, sizeof(url), "/ok.crl");
	expect_fetch(url, NULL, 0, fx.ok, OK_LEN);
	/* the scheme is case-insensitive, for us as for curl */
	snprintf(url, sizeof(url), "HTTP://127.0.0.1:%u/ok.crl", fx.port);
	expect_fetch(url, NULL, 0, fx.ok, OK_LEN);
}

static void
test_file(void **state)
{
	char url[700];

	(void)state;
	snprintf(url, sizeof(url), "file://%s/ok.crl", fx.fed->dir);
	expect_fetch(url, NULL, 0, fx.ok, OK_LEN);
	snprintf(url, sizeof(url), "file://%s/missing.crl", fx.fed->dir);
	expect_fetch(url, NULL, RT_ERR_NOT_FOUND, NULL, 0);
	snprintf(url, sizeof(url), "file://%s/nodir/missing.crl", fx.fed->dir);
	expect_fetch(url, NULL, RT_ERR_NOT_FOUND, NULL, 0);
}

static void
test_http_status(void **state)
{
	char url[700];

	(void)state;
	url_of(url, sizeof(url), "/missing.crl");
	expect_fetch(url, NULL, RT_ERR_NOT_FOUND, NULL, 0);
	url_of(url, sizeof(url), "/error.crl");
	expect_fetch(url, NULL, RT_ERR_UNAVAILABLE, NULL, 0);
	url_of(url, sizeof(url), "/forbidden.crl");
	expect_fetch(url, NULL, RT_ERR_UNAVAILABLE, NULL, 0);
}

static void
test_refused(void **state)
{
	char url[700];

	(void)state;
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/ok.crl",
	    fx.closed_port);
	expect_fetch(url, NULL, RT_ERR_UNAVAILABLE, NULL, 0);
}

/* https is allowed and verified: a plain HTTP port fails the handshake. */
static void
test_https_handshake(void **state)
{
	struct rt_fetch_opts opts = { .ca_file = fx.fed->ca_path };
	char url[700];

	(void)state;
	snprintf(url, sizeof(url), "https://127.0.0.1:%u/ok.crl", fx.port);
	expect_fetch(url, &opts, RT_ERR_IO, NULL, 0);
}

static void
test_size_cap(void **state)
{
	struct rt_fetch_opts opts = { .max_size = BIG_LEN - 1 };
	struct rt_buf buf;
	char url[700];

	(void)state;
	/* announced by Content-Length */
	url_of(url, sizeof(url), "/big.bin");
	expect_fetch(url, &opts, RT_ERR_TOO_BIG, NULL, 0);
	/* counted as it arrives: chunked, no Content-Length */
	url_of(url, sizeof(url), "/chunked.bin");
	expect_fetch(url, &opts, RT_ERR_TOO_BIG, NULL, 0);
	snprintf(url, sizeof(url), "file://%s/big.bin", fx.fed->dir);
	expect_fetch(url, &opts, RT_ERR_TOO_BIG, NULL, 0);

	/* exactly max_size is fine */
	opts.max_size = BIG_LEN;
	rt_buf_init(&buf, BIG_LEN);
	url_of(url, sizeof(url), "/chunked.bin");
	assert_int_equal(rt_fetch(url, &opts, &buf), 0);
	assert_int_equal(buf.len, BIG_LEN);
	rt_buf_reset(&buf);
	url_of(url, sizeof(url), "/big.bin");
	assert_int_equal(rt_fetch(url, &opts, &buf), 0);
	assert_int_equal(buf.len, BIG_LEN);
	/* the buffer's own cap counts too: it is full now */
	assert_int_equal(rt_fetch(url, &opts, &buf), RT_ERR_TOO_BIG);
	assert_int_equal(buf.len, BIG_LEN);
	rt_buf_fini(&buf);
}

static void
test_timeout(void **state)
{
	struct rt_fetch_opts opts = { .total_timeout_ms = 500 };
	struct timespec t0, t1;
	char url[700];
	double elapsed;

	(void)state;
	url_of(url, sizeof(url), "/slow.crl");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	expect_fetch(url, &opts, RT_ERR_TIMEOUT, NULL, 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	elapsed = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(elapsed < 2.0);
}

static void
test_redirects(void **state)
{
	char url[700];

	(void)state;
	url_of(url, sizeof(url), "/moved.crl");
	expect_fetch(url, NULL, 0, fx.ok, OK_LEN);
	url_of(url, sizeof(url), "/r1");
	expect_fetch(url, NULL, 0, fx.ok, OK_LEN);
	url_of(url, sizeof(url), "/r0");
	expect_fetch(url, NULL, RT_ERR_DENIED, NULL, 0);
	/* another scheme, even one we fetch from directly, is refused */
	url_of(url, sizeof(url), "/to-file.crl");
	expect_fetch(url, NULL, RT_ERR_DENIED, NULL, 0);
	url_of(url, sizeof(url), "/to-https.crl");
	expect_fetch(url, NULL, RT_ERR_DENIED, NULL, 0);
	url_of(url, sizeof(url), "/to-ftp.crl");
	expect_fetch(url, NULL, RT_ERR_DENIED, NULL, 0);
}

static void
test_bad_urls(void **state)
{
	static const char *urls[] = {
		"gopher://127.0.0.1/ok.crl", "ftp://127.0.0.1/ok.crl",
		"ftps://127.0.0.1/ok.crl", "dict://127.0.0.1/x",
		"ldap://127.0.0.1/x", "scp://127.0.0.1/x", "not a url", "",
		"/etc/passwd", "http://", "http://[::1/x",
		"file://elsewhere.example/etc/passwd",
	};
	struct rt_buf buf;
	char *long_url;

	(void)state;
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++)
		expect_fetch(urls[i], NULL, RT_ERR_BAD_INPUT, NULL, 0);
	rt_buf_init(&buf, 64);
	assert_int_equal(rt_fetch(NULL, NULL, &buf), RT_ERR_BAD_INPUT);
	/* absurdly long */
	assert_non_null(long_url = malloc(20000));
	memset(long_url, 'a', 19999);
	memcpy(long_url, "http://x/", 9);
	long_url[19999] = '\0';
	assert_int_equal(rt_fetch(long_url, NULL, &buf), RT_ERR_BAD_INPUT);
	assert_int_equal(buf.len, 0);
	free(long_url);
	rt_buf_fini(&buf);
}

/* Same DER bytes (X509_CRL_match needs hashes only a decode sets). */
static int
crl_same(X509_CRL *a, X509_CRL *b)
{
	unsigned char *da = NULL, *db = NULL;
	int la = i2d_X509_CRL(a, &da), lb = i2d_X509_CRL(b, &db);
	int same = la > 0 && la == lb && memcmp(da, db, (size_t)la) == 0;

	OPENSSL_free(da);
	OPENSSL_free(db);
	return same;
}

static void
test_fetch_crl(void **state)
{
	X509_CRL *crl = NULL;
	char url[700];

	(void)state;
	url_of(url, sizeof(url), "/crl.pem");
	assert_int_equal(rt_fetch_crl(url, NULL, &crl), 0);
	assert_non_null(crl);
	assert_true(crl_same(crl, fx.crl));
	X509_CRL_free(crl);
	url_of(url, sizeof(url), "/crl.der");
	assert_int_equal(rt_fetch_crl(url, NULL, &crl), 0);
	assert_true(crl_same(crl, fx.crl));
	X509_CRL_free(crl);
	snprintf(url, sizeof(url), "file://%s/crl.pem", fx.fed->dir);
	assert_int_equal(rt_fetch_crl(url, NULL, &crl), 0);
	X509_CRL_free(crl);

	crl = (X509_CRL *)&crl;	/* must be reset on failure */
	url_of(url, sizeof(url), "/garbage.crl");
	assert_int_equal(rt_fetch_crl(url, NULL, &crl), RT_ERR_CRL_BAD);
	assert_null(crl);
	url_of(url, sizeof(url), "/ok.crl");
	assert_int_equal(rt_fetch_crl(url, NULL, &crl), RT_ERR_CRL_BAD);
	url_of(url, sizeof(url), "/empty.crl");
	assert_int_equal(rt_fetch_crl(url, NULL, &crl), RT_ERR_CRL_BAD);
	url_of(url, sizeof(url), "/missing.crl");
	assert_int_equal(rt_fetch_crl(url, NULL, &crl), RT_ERR_NOT_FOUND);
	assert_null(crl);
}

/* The failure line names the URL without its user:password@. */
static void
test_log_line(void **state)
{
	char url[700], path[600], line[4096];
	struct rt_buf buf;
	FILE *f;
	int fd, saved, r;
	size_t n;

	(void)state;
	snprintf(path, sizeof(path), "%s/stderr.log", fx.fed->dir);
	snprintf(url, sizeof(url), "http://alice:s3cret@127.0.0.1:%u/gone.crl",
	    fx.port);
	rt_buf_init(&buf, 1024);
	fflush(stderr);
	assert_true((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0);
	assert_true((saved = dup(STDERR_FILENO)) >= 0);
	dup2(fd, STDERR_FILENO);
	close(fd);
	rt_log_set_level(RT_LOG_WARN);
	r = rt_fetch(url, NULL, &buf);
	rt_log_set_level(fx.log_level);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	assert_int_equal(r, RT_ERR_NOT_FOUND);
	rt_buf_fini(&buf);

	assert_non_null(f = fopen(path, "r"));
	n = fread(line, 1, sizeof(line) - 1, f);
	fclose(f);
	line[n] = '\0';
	assert_non_null(strstr(line, "event=fetch_failed"));
	assert_non_null(strstr(line, "reason=not_found"));
	assert_non_null(strstr(line, "status=404"));
	snprintf(url, sizeof(url), "url=http://127.0.0.1:%u/gone.crl ", fx.port);
	assert_non_null(strstr(line, url));
	assert_null(strstr(line, "s3cret"));
	assert_null(strstr(line, "alice"));
	assert_non_null(strchr(line, '\n'));
	assert_ptr_equal(strchr(line, '\n'), line + n - 1);	/* one line */
}

/* Proxies come from the environment for http, never for file:. */
static void
test_proxy_env(void **state)
{
	char url[700], proxy[64];

	(void)state;
	snprintf(proxy, sizeof(proxy), "http://127.0.0.1:%u", fx.closed_port);
	assert_int_equal(setenv("http_proxy", proxy, 1), 0);
	assert_int_equal(setenv("all_proxy", proxy, 1), 0);
	url_of(url, sizeof(url), "/ok.crl");
	expect_fetch(url, NULL, RT_ERR_UNAVAILABLE, NULL, 0);
	snprintf(url, sizeof(url), "file://%s/ok.crl", fx.fed->dir);
	expect_fetch(url, NULL, 0, fx.ok, OK_LEN);
	assert_int_equal(setenv("no_proxy", "127.0.0.1", 1), 0);
	url_of(url, sizeof(url), "/ok.crl");
	expect_fetch(url, NULL, 0, fx.ok, OK_LEN);
	unsetenv("http_proxy");
	unsetenv("all_proxy");
	unsetenv("no_proxy");
}

static void *
fetch_thread(void *arg)
{
	const char *url = arg;
	struct rt_buf buf;
	intptr_t failures = 0;

	rt_buf_init(&buf, RT_CRL_MAX);
	for (int i = 0; i < 10; i++) {
		rt_buf_reset(&buf);
		if (rt_fetch(url, NULL, &buf) != 0 || buf.len != OK_LEN ||
		    memcmp(buf.data, fx.ok, OK_LEN) != 0)
			failures++;
	}
	rt_buf_fini(&buf);
	return (void *)failures;
}

static void
test_threads(void **state)
{
	pthread_t threads[4];
	char url[700];
	void *failures;

	(void)state;
	url_of(url, sizeof(url), "/ok.crl");
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&threads[i], NULL, fetch_thread,
		    url), 0);
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(threads[i], &failures), 0);
		assert_null(failures);
	}
}

/* Last: the server exits 0 on SIGTERM (and its sanitizers found nothing). */
static void
test_server_stops(void **state)
{
	(void)state;
	assert_int_equal(server_stop(), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_ok),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_http_status),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_https_handshake),
		cmocka_unit_test(test_size_cap),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_redirects),
		cmocka_unit_test(test_bad_urls),
		cmocka_unit_test(test_fetch_crl),
		cmocka_unit_test(test_log_line),
		cmocka_unit_test(test_proxy_env),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_server_stops),
	};

	/* refusals are expected here; keep the output to cmocka's */
	fx.log_level = getenv("RT_TEST_VERBOSE") != NULL ?
	    RT_LOG_DEBUG : RT_LOG_NONE;
	rt_log_init("test_fetch", RT_LOG_STDERR, fx.log_level);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
