/*
 * rt_preflight and the checks `check -c FILE` is made of: nng URLs judged
 * without being used (rt_net_url_check), folders judged without being
 * made (rt_dir_check_writable), and the report's lines, count and last
 * line. The daemons' own checks run in tests/integration/config_check.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rt_file.h"
#include "rt_log.h"
#include "rt_net.h"
#include "rt_preflight.h"

static char dir[256];

static int
setup(void **state)
{
	(void)state;
	rt_log_init("test_preflight", RT_LOG_STDERR, RT_LOG_NONE);
	snprintf(dir, sizeof(dir), "%s/rt-test-preflight.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	char path[400];

	(void)state;
	snprintf(path, sizeof(path), "%s/file", dir);
	unlink(path);
	rmdir(dir);
	return 0;
}

static void
test_url_check(void **state)
{
	static const struct {
		const char *url;
		int flags;
		int ok;
	} cases[] = {
		{"tls+tcp://127.0.0.1:7101", RT_URL_TLS, 1},
		{"tls+tcp://broker.home.example:7101", RT_URL_TLS, 1},
		{"tls+tcp://[::1]:7101", RT_URL_TLS, 1},
		{"tls+tcp://0.0.0.0:7101/", RT_URL_TLS | RT_URL_LISTEN, 1},
		{"tls+tcp://*:7101", RT_URL_TLS | RT_URL_LISTEN, 1},
		{"tls+tcp://:0", RT_URL_TLS | RT_URL_LISTEN, 1},
		{"ipc:///var/lib/roamtrust/agent.sock", RT_URL_IPC, 1},
		{"garbage", RT_URL_TLS | RT_URL_IPC, 0},
		{"", RT_URL_TLS, 0},
		{"tls+tcp://127.0.0.1", RT_URL_TLS, 0},
		{"tls+tcp://127.0.0.1:abc", RT_URL_TLS, 0},
		{"tls+tcp://127.0.0.1:65536", RT_URL_TLS, 0},
		{"tls+tcp://127.0.0.1:0", RT_URL_TLS, 0},
		{"tls+tcp://:7101", RT_URL_TLS, 0},
		{"tls+tcp://*:7101", RT_URL_TLS, 0},
		{"tls+tcp://a b:7101", RT_URL_TLS, 0},
		{"tls+tcp://h.example:7101/path", RT_URL_TLS, 0},
		{"tls+tcp://h.example:7101?x=1", RT_URL_TLS, 0},
		{"tls+tcp://user@h.example:7101", RT_URL_TLS, 0},
		{"tcp://127.0.0.1:7101", RT_URL_TLS | RT_URL_IPC, 0},
		{"ipc:///x.sock", RT_URL_TLS, 0},
		{"tls+tcp://127.0.0.1:7101", RT_URL_IPC, 0},
		{"ipc://", RT_URL_IPC, 0},
	};
	char why[256];
	int r;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why[0] = '\0';
		r = rt_net_url_check(cases[i].url, cases[i].flags, why, sizeof(why));

		if ((r == 0) != cases[i].ok)
			fail_msg("%s (flags %d): %d %s", cases[i].url, cases[i].flags,
			    r, why);
		if (r != 0 && strstr(why, "want ") == NULL)
			fail_msg("%s: the reason names no form: %s", cases[i].url, why);
	}
	assert_int_not_equal(rt_net_url_check(NULL, RT_URL_TLS, why, sizeof(why)), 0);
}

static void
test_dir_check(void **state)
{
	char path[400];
	FILE *f;

	(void)state;
	assert_int_equal(rt_dir_check_writable(dir, 0), 0);
	snprintf(path, sizeof(path), "%s/new", dir);
	assert_int_equal(rt_dir_check_writable(path, 0), RT_ERR_NOT_FOUND);
	assert_int_equal(rt_dir_check_writable(path, 1), 0);
	assert_false(rt_file_exists(path));	/* judged, not made */
	snprintf(path, sizeof(path), "%s/new/deeper", dir);
	assert_int_equal(rt_dir_check_writable(path, 1), RT_ERR_NOT_FOUND);
	snprintf(path, sizeof(path), "%s/file", dir);
	assert_non_null(f = fopen(path, "w"));
	fclose(f);
	assert_int_equal(rt_dir_check_writable(path, 1), RT_ERR_IO);
	snprintf(path, sizeof(path), "%s/file/under", dir);
	assert_int_equal(rt_dir_check_writable(path, 1), RT_ERR_IO);
}

static void
test_report(void **state)
{
	struct rt_preflight pf;
	struct rt_fault fault;
	char *text = NULL, path[400];
	size_t len = 0;
	FILE *out;

	(void)state;
	assert_non_null(out = open_memstream(&text, &len));
	rt_preflight_init(&pf, "b.conf", out);
	rt_fault_set(&fault, "cert", "/etc/c.crt", RT_ERR_REALM);
	rt_fault_detail(&fault, "its SAN dNSName is %s", "x.example");
	rt_preflight_fault(&pf, "broker", &fault);
	rt_preflight_warn(&pf, "broker", "agreements", "/a/x.xml", "refused: %s",
	    "expired");
	snprintf(path, sizeof(path), "%s/none/x", dir);
	rt_preflight_dir(&pf, "broker", "state_dir", path, 1);
	rt_preflight_db(&pf, "broker", "ledger", "/nonexistent-rt/ledger.db", "/var");
	rt_preflight_url(&pf, "peer.h.example", "endpoint", "garbage", RT_URL_TLS, NULL);
	rt_preflight_note(&pf, "realm %s", "v.example");
	assert_int_equal(rt_preflight_finish(&pf), 1);
	fclose(out);
	assert_int_equal(pf.problems, 4);
	assert_int_equal(pf.warnings, 1);
	assert_non_null(strstr(text,
	    "b.conf: [broker] cert: /etc/c.crt: its SAN dNSName is x.example\n"));
	assert_non_null(strstr(text,
	    "warning: b.conf: [broker] agreements: /a/x.xml: refused: expired\n"));
	assert_non_null(strstr(text,
	    "missing, and cannot be made: its parent is missing\n"));
	assert_non_null(strstr(text, "b.conf: [broker] ledger: "
	    "/nonexistent-rt/ledger.db: its folder /nonexistent-rt is missing\n"));
	assert_non_null(strstr(text,
	    "b.conf: [peer.h.example] endpoint: garbage: not a URL"));
	assert_non_null(strstr(text, "b.conf: realm v.example\n"));
	assert_true(len > 11 && strcmp(text + len - 11, "4 problems\n") == 0);
	free(text);

	assert_non_null(out = open_memstream(&text, &len));
	rt_preflight_init(&pf, "good.conf", out);
	rt_preflight_dir(&pf, "agent", "state_dir", dir, 1);
	rt_preflight_url(&pf, "agent", "broker", "ipc:///x.sock", RT_URL_IPC, NULL);
	assert_int_equal(rt_preflight_finish(&pf), 0);
	fclose(out);
	assert_string_equal(text, "ok: good.conf\n");
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_check),
		cmocka_unit_test(test_dir_check),
		cmocka_unit_test(test_report),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
