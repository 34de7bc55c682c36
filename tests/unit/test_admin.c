/*
 * rt_admin: the 0600 socket file, round trips with argv and status,
 * malformed requests, stale and live sockets, big replies, timeouts and
 * permission refusals (as another user, via a re-exec of this binary).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rt_admin.h"
#include "rt_log.h"

#define BIG_REPLY (500 * 1024)
#define PROBE_FLAG "--call-as-nobody"

/* This binary, to re-exec (not /proc/self/exe: under valgrind that is
 * valgrind). */
static char self_path[PATH_MAX];

struct fixture {
	char dir[64];
	char path[128];
	char url[160];
	int calls;
};

static int
handler(void *arg, int argc, char **argv, struct rt_buf *out)
{
	struct fixture *fx = arg;
	struct timespec pause = {0, 300 * 1000 * 1000};
	size_t i;

	fx->calls++;
	assert_null(argv[argc]);
	if (strcmp(argv[0], "fail") == 0) {
		assert_int_equal(rt_buf_append_str(out, "it failed\n"), 0);
		return 3;
	}
	if (strcmp(argv[0], "neg") == 0)
		return RT_ERR_NOT_FOUND;
	if (strcmp(argv[0], "huge") == 0)
		return 200;
	if (strcmp(argv[0], "slow") == 0) {
		nanosleep(&pause, NULL);
		return 0;
	}
	if (strcmp(argv[0], "big") == 0 || strcmp(argv[0], "max") == 0) {
		size_t n = argv[0][0] == 'b' ? BIG_REPLY : RT_ADMIN_REPLY_MAX;

		for (i = 0; i < n; i++)
			assert_int_equal(rt_buf_append_u8(out,
			    (uint8_t)('a' + i % 26)), 0);
		/* One byte more than the cap is refused. */
		if (n == RT_ADMIN_REPLY_MAX)
			assert_int_equal(rt_buf_append_u8(out, 'x'),
			    RT_ERR_TOO_BIG);
		return 0;
	}
	assert_int_equal(rt_buf_printf(out, "%d", argc), 0);
	for (int a = 0; a < argc; a++)
		assert_int_equal(rt_buf_printf(out, "|%s", argv[a]), 0);
	return 0;
}

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	strcpy(fx->dir, "/tmp/rt_admin_XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->path, sizeof(fx->path), "%s/admin.sock", fx->dir);
	snprintf(fx->url, sizeof(fx->url), "ipc://%s", fx->path);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	(void)unlink(fx->path);
	(void)rmdir(fx->dir);
	free(fx);
	return 0;
}

static int
call(const struct fixture *fx, int argc, char **argv, struct rt_buf *out,
    int *statusp)
{
	rt_buf_reset(out);
	return rt_admin_call(fx->url, argc, argv, 5000, out, statusp);
}

static void
test_round_trip(void **state)
{
	struct fixture *fx = *state;
	struct rt_admin *admin = NULL;
	char a0[] = "peers", a1[] = "--all", a2[] = "", a3[] = "x y\"z";
	char *argv[] = {a0, a1, a2, a3};
	char f0[] = "fail", n0[] = "neg", h0[] = "huge";
	char *fail_argv[] = {f0}, *neg_argv[] = {n0}, *huge_argv[] = {h0};
	struct rt_buf out;
	struct stat st;
	int status = -5;

	rt_buf_init(&out, RT_ADMIN_REPLY_MAX);
	assert_int_equal(rt_admin_listen(fx->url, handler, fx, &admin), 0);
	assert_non_null(admin);
	assert_int_equal(lstat(fx->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);

	assert_int_equal(call(fx, 4, argv, &out, &status), 0);
	assert_int_equal(status, 0);
	assert_string_equal(rt_buf_str(&out), "4|peers|--all||x y\"z");
	assert_int_equal(call(fx, 1, argv, &out, &status), 0);
	assert_string_equal(rt_buf_str(&out), "1|peers");

	assert_int_equal(call(fx, 1, fail_argv, &out, &status), 0);
	assert_int_equal(status, 3);
	assert_string_equal(rt_buf_str(&out), "it failed\n");
	assert_int_equal(call(fx, 1, neg_argv, &out, &status), 0);
	assert_int_equal(status, 1);
	assert_string_equal(rt_buf_str(&out), "error: not found\n");
	assert_int_equal(call(fx, 1, huge_argv, &out, &status), 0);
	assert_int_equal(status, 1);
	assert_int_equal(fx->calls, 5);

	/* The client refuses what the wire cannot carry. */
	assert_int_equal(call(fx, 0, argv, &out, &status), RT_ERR_BAD_INPUT);
	assert_int_equal(status, -1);
	assert_int_equal(call(fx, RT_ADMIN_MAX_ARGS + 1, argv, &out, &status),
	    RT_ERR_BAD_INPUT);
	assert_int_equal(fx->calls, 5);

	rt_admin_close(admin);
	assert_int_equal(lstat(fx->path, &st), -1);
	assert_int_equal(errno, ENOENT);
	rt_admin_close(NULL);
	rt_buf_fini(&out);
}

/* Sends raw bytes with an nng req socket; returns the status byte. */
static int
raw_request(const struct fixture *fx, const void *data, size_t len,
    struct rt_buf *text)
{
	nng_socket sock;
	nng_msg *msg = NULL;
	int status;

	rt_buf_reset(text);
	assert_int_equal(nng_req0_open(&sock), 0);
	assert_int_equal(nng_socket_set_ms(sock, NNG_OPT_RECVTIMEO, 5000), 0);
	assert_int_equal(nng_dial(sock, fx->url, NULL, 0), 0);
	assert_int_equal(nng_send(sock, (void *)(uintptr_t)data, len, 0), 0);
	assert_int_equal(nng_recvmsg(sock, &msg, 0), 0);
	assert_true(nng_msg_len(msg) >= 1);
	status = ((uint8_t *)nng_msg_body(msg))[0];
	assert_int_equal(rt_buf_append(text, (uint8_t *)nng_msg_body(msg) + 1,
	    nng_msg_len(msg) - 1), 0);
	nng_msg_free(msg);
	nng_close(sock);
	return status;
}

static void
test_bad_requests(void **state)
{
	struct fixture *fx = *state;
	struct rt_admin *admin = NULL;
	static const struct {
		const char *data;
		size_t len;
	} junk[] = {
		{"", 0},			/* empty */
		{"peers", 5},			/* not NUL-terminated */
		{"\0peers\0", 7},		/* empty command */
		{"\xff\xfe\x00\x01", 4},	/* binary, unterminated */
	};
	struct rt_buf text;
	uint8_t *many;
	size_t i;

	rt_log_set_level(RT_LOG_NONE);
	rt_buf_init(&text, RT_ADMIN_REPLY_MAX);
	assert_int_equal(rt_admin_listen(fx->url, handler, fx, &admin), 0);
	for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		assert_int_equal(raw_request(fx, junk[i].data, junk[i].len,
		    &text), RT_ADMIN_STATUS_BAD_REQUEST);
		assert_string_equal(rt_buf_str(&text), "bad request\n");
	}
	/* 65 arguments: one too many. 64 pass. */
	many = calloc(1, 2 * (RT_ADMIN_MAX_ARGS + 1));
	assert_non_null(many);
	for (i = 0; i < RT_ADMIN_MAX_ARGS + 1; i++)
		many[2 * i] = 'a';
	assert_int_equal(raw_request(fx, many, 2 * (RT_ADMIN_MAX_ARGS + 1),
	    &text), RT_ADMIN_STATUS_BAD_REQUEST);
	assert_int_equal(fx->calls, 0);
	assert_int_equal(raw_request(fx, many, 2 * RT_ADMIN_MAX_ARGS, &text),
	    0);
	assert_int_equal(text.len, 2 + 2 * RT_ADMIN_MAX_ARGS);
	assert_true(strncmp(rt_buf_str(&text), "64|a|a|", 7) == 0);
	free(many);
	/* Over RT_ADMIN_REQ_MAX (but under nng's cap): refused, not run. */
	many = calloc(1, RT_ADMIN_REQ_MAX + 100);
	assert_non_null(many);
	memset(many, 'a', RT_ADMIN_REQ_MAX + 99);
	assert_int_equal(raw_request(fx, many, RT_ADMIN_REQ_MAX + 100, &text),
	    RT_ADMIN_STATUS_BAD_REQUEST);
	free(many);
	assert_int_equal(fx->calls, 1);
	rt_admin_close(admin);
	rt_buf_fini(&text);
	rt_log_set_level(RT_LOG_ERR);
}

static void
test_unavailable(void **state)
{
	struct fixture *fx = *state;
	struct sockaddr_un sun;
	char a0[] = "status";
	char *argv[] = {a0};
	struct rt_buf out;
	int status, fd;

	rt_log_set_level(RT_LOG_NONE);
	rt_buf_init(&out, 1024);
	/* No file at all. */
	assert_int_equal(call(fx, 1, argv, &out, &status), RT_ERR_UNAVAILABLE);
	assert_int_equal(status, -1);
	/* A socket file nobody listens on (a dead daemon's). */
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, fx->path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	assert_int_equal(call(fx, 1, argv, &out, &status), RT_ERR_UNAVAILABLE);
	/* Not ipc. */
	assert_int_equal(rt_admin_call("tcp://127.0.0.1:1", 1, argv, 100, &out,
	    &status), RT_ERR_BAD_INPUT);
	assert_int_equal(rt_admin_call("ipc://", 1, argv, 100, &out, &status),
	    RT_ERR_BAD_INPUT);
	rt_buf_fini(&out);
	rt_log_set_level(RT_LOG_ERR);
}

static void
test_stale_and_live(void **state)
{
	struct fixture *fx = *state;
	struct rt_admin *admin = NULL, *second = NULL;
	struct sockaddr_un sun;
	char a0[] = "status";
	char *argv[] = {a0};
	struct rt_buf out;
	struct stat st;
	int status, fd;

	rt_log_set_level(RT_LOG_NONE);
	rt_buf_init(&out, 1024);
	/* A dead daemon's socket file is removed and replaced. */
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, fx->path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	assert_int_equal(chmod(fx->path, 0666), 0);
	assert_int_equal(rt_admin_listen(fx->url, handler, fx, &admin), 0);
	assert_int_equal(lstat(fx->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(call(fx, 1, argv, &out, &status), 0);
	assert_string_equal(rt_buf_str(&out), "1|status");

	/* A live one is not: the second daemon is refused ... */
	assert_int_equal(rt_admin_listen(fx->url, handler, fx, &second),
	    RT_ERR_EXISTS);
	assert_null(second);
	/* ... and the first still answers on its file. */
	assert_int_equal(call(fx, 1, argv, &out, &status), 0);
	assert_string_equal(rt_buf_str(&out), "1|status");
	rt_admin_close(admin);

	/* A file that is not a socket is never removed. */
	fd = open(fx->path, O_CREAT | O_WRONLY | O_EXCL, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(rt_admin_listen(fx->url, handler, fx, &admin),
	    RT_ERR_EXISTS);
	assert_null(admin);
	assert_int_equal(lstat(fx->path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(unlink(fx->path), 0);

	/* Remote admin is not built. */
	assert_int_equal(rt_admin_listen("tcp://127.0.0.1:0", handler, fx,
	    &admin), RT_ERR_BAD_INPUT);
	assert_int_equal(rt_admin_listen("ws://127.0.0.1:0", handler, fx,
	    &admin), RT_ERR_BAD_INPUT);
	assert_null(admin);
	rt_buf_fini(&out);
	rt_log_set_level(RT_LOG_ERR);
}

static void
test_large_reply(void **state)
{
	struct fixture *fx = *state;
	struct rt_admin *admin = NULL;
	char b0[] = "big", m0[] = "max";
	char *big_argv[] = {b0}, *max_argv[] = {m0};
	struct rt_buf out;
	int status;
	size_t i;

	rt_buf_init(&out, RT_ADMIN_REPLY_MAX);
	assert_int_equal(rt_admin_listen(fx->url, handler, fx, &admin), 0);
	assert_int_equal(call(fx, 1, big_argv, &out, &status), 0);
	assert_int_equal(status, 0);
	assert_int_equal(out.len, BIG_REPLY);
	for (i = 0; i < BIG_REPLY; i++)
		assert_int_equal(out.data[i], (uint8_t)('a' + i % 26));
	/* The largest reply the protocol allows arrives whole. */
	assert_int_equal(call(fx, 1, max_argv, &out, &status), 0);
	assert_int_equal(out.len, RT_ADMIN_REPLY_MAX);
	assert_int_equal(out.data[RT_ADMIN_REPLY_MAX - 1],
	    (uint8_t)('a' + (RT_ADMIN_REPLY_MAX - 1) % 26));
	/* A caller's smaller cap is reported, not overrun. */
	rt_buf_fini(&out);
	rt_buf_init(&out, 1000);
	assert_int_equal(call(fx, 1, big_argv, &out, &status), RT_ERR_TOO_BIG);
	assert_int_equal(out.len, 0);
	rt_admin_close(admin);
	rt_buf_fini(&out);
}

static void
test_timeout(void **state)
{
	struct fixture *fx = *state;
	struct rt_admin *admin = NULL;
	char s0[] = "slow", p0[] = "ping";
	char *slow_argv[] = {s0}, *ping_argv[] = {p0};
	struct rt_buf out;
	int status;

	rt_buf_init(&out, 1024);
	assert_int_equal(rt_admin_listen(fx->url, handler, fx, &admin), 0);
	assert_int_equal(rt_admin_call(fx->url, 1, slow_argv, 50, &out,
	    &status), RT_ERR_TIMEOUT);
	assert_int_equal(status, -1);
	/* The next command waits for the slow one, then runs. */
	assert_int_equal(call(fx, 1, ping_argv, &out, &status), 0);
	assert_string_equal(rt_buf_str(&out), "1|ping");
	rt_admin_close(admin);
	rt_buf_fini(&out);
}

/* As root: re-exec this binary as nobody and call the 0600 socket. */
static void
test_permission(void **state)
{
	struct fixture *fx = *state;
	struct rt_admin *admin = NULL;
	int wstatus;
	pid_t pid;

	assert_int_equal(rt_admin_listen(fx->url, handler, fx, &admin), 0);
	if (geteuid() == 0) {
		/* The folder lets anyone through; the socket must not. */
		assert_int_equal(chmod(fx->dir, 0711), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			if (setgid(65534) != 0 || setuid(65534) != 0)
				_exit(90);
			execl(self_path, "test_admin", PROBE_FLAG, fx->url,
			    (char *)NULL);
			_exit(91);
		}
	} else {
		/* Not root: a folder we cannot search gives the same error. */
		assert_int_equal(chmod(fx->dir, 0), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			execl(self_path, "test_admin", PROBE_FLAG, fx->url,
			    (char *)NULL);
			_exit(91);
		}
	}
	assert_int_equal(waitpid(pid, &wstatus, 0), pid);
	assert_int_equal(chmod(fx->dir, 0700), 0);
	assert_true(WIFEXITED(wstatus));
	assert_int_equal(WEXITSTATUS(wstatus), -RT_ERR_PERM);
	assert_int_equal(fx->calls, 0);
	rt_admin_close(admin);
}

static void
test_decode(void **state)
{
	static const uint8_t one[] = "peers";	/* with its NUL */
	static const uint8_t three[] = "a\0\0ccc";
	char a0[] = "subscriber", a1[] = "add", a2[] = "";
	char *in[] = {a0, a1, a2};
	struct rt_buf wire;
	char *unset[1] = {a0};
	char **argv = unset;
	int argc = 7;

	(void)state;
	assert_int_equal(rt_admin_decode(one, sizeof(one), &argc, &argv), 0);
	assert_int_equal(argc, 1);
	assert_string_equal(argv[0], "peers");
	assert_null(argv[1]);
	rt_admin_argv_free(argv);
	assert_int_equal(rt_admin_decode(three, sizeof(three), &argc, &argv),
	    0);
	assert_int_equal(argc, 3);
	assert_string_equal(argv[0], "a");
	assert_string_equal(argv[1], "");
	assert_string_equal(argv[2], "ccc");
	rt_admin_argv_free(argv);
	assert_int_equal(rt_admin_decode(one, sizeof(one) - 1, &argc, &argv),
	    RT_ERR_BAD_INPUT);
	assert_null(argv);
	assert_int_equal(argc, 0);
	assert_int_equal(rt_admin_decode(one, 0, &argc, &argv),
	    RT_ERR_BAD_INPUT);
	assert_int_equal(rt_admin_decode(NULL, 3, &argc, &argv),
	    RT_ERR_BAD_INPUT);
	rt_admin_argv_free(NULL);

	rt_buf_init(&wire, RT_ADMIN_REQ_MAX);
	assert_int_equal(rt_admin_encode(3, in, &wire), 0);
	assert_int_equal(wire.len, 16);
	assert_memory_equal(wire.data, "subscriber\0add\0\0", 16);
	assert_int_equal(rt_admin_decode(wire.data, wire.len, &argc, &argv),
	    0);
	assert_int_equal(argc, 3);
	assert_string_equal(argv[1], "add");
	rt_admin_argv_free(argv);
	assert_int_equal(rt_admin_encode(1, &in[2], &wire), RT_ERR_BAD_INPUT);
	assert_int_equal(wire.len, 16);
	rt_buf_fini(&wire);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode),
		cmocka_unit_test_setup_teardown(test_round_trip, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bad_requests, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_unavailable, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_stale_and_live, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_large_reply, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_permission, setup,
		    teardown),
	};
	int failed;

	rt_log_init("test_admin", RT_LOG_STDERR, RT_LOG_ERR);
	if (realpath(argv[0], self_path) == NULL)
		snprintf(self_path, sizeof(self_path), "/proc/self/exe");
	if (argc == 3 && strcmp(argv[1], PROBE_FLAG) == 0) {
		/* The child of test_permission: exits with -RT_ERR_*. */
		struct rt_buf out;
		char s0[] = "status";
		char *call_argv[] = {s0};
		int status, r;

		rt_log_set_level(RT_LOG_NONE);
		rt_buf_init(&out, 1024);
		r = rt_admin_call(argv[2], 1, call_argv, 2000, &out, &status);
		rt_buf_fini(&out);
		return -r;
	}
	failed = cmocka_run_group_tests(tests, NULL, NULL);
	nng_fini();		/* its threads, so valgrind reports no leaks */
	return failed;
}
