/*
 * broker_subscriber_cmd: the "subscriber" admin command end to end through
 * argv (add, list, show, disable, enable, passwd, refusals and usage),
 * checking that no answer ever holds a password or an HA1 and that the
 * password argument is wiped; then the CLI against a real admin socket
 * with --password-stdin, and its refusal of a password on the command
 * line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <nng/nng.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker_subscriber.h"
#include "rt_admin.h"
#include "rt_codec.h"
#include "rt_log.h"

#define REALM "home.example"
#define T0 1800000000L
#define ALICE_PUB "sip:alice@home.example"
#define ALICE_PW "Correct-Horse-9"
#define BOB_PUB "sip:bob@home.example"
#define BOB_PW "Red-Bicycle-Tree-4"
#define BOB_PW2 "Blue-Tractor-77x"

static const struct broker_password_policy policy = {12, 3, 90L * 86400, 3,
    60};

struct fixture {
	char dir[64];
	char path[128];
	char url[160];
	struct broker_subscribers *db;
	struct rt_buf all;		/* every answer, for the leak check */
};

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/rt-subcmd-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->path, sizeof(fx->path), "%s/subscribers.db", fx->dir);
	snprintf(fx->url, sizeof(fx->url), "ipc://%s/admin.sock", fx->dir);
	assert_int_equal(broker_subscribers_open(fx->path, &fx->db), 0);
	rt_buf_init(&fx->all, 4 * 1024 * 1024);
	rt_time_set_now(T0);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	char p[160];

	rt_time_set_now(0);
	broker_subscribers_close(fx->db);
	rt_buf_fini(&fx->all);
	unlink(fx->path);
	snprintf(p, sizeof(p), "%s-wal", fx->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", fx->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s/admin.sock", fx->dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/out.txt", fx->dir);
	unlink(p);
	assert_int_equal(rmdir(fx->dir), 0);
	free(fx);
	return 0;
}

/*
 * Runs the admin command with the NULL-terminated arguments (copied, as
 * rt_admin hands over writable strings); the answer replaces out. Checks
 * that add and passwd wiped their arguments.
 */
static int
admin(struct fixture *fx, struct rt_buf *out, ...)
{
	char *argv[16], *copy[16];
	const char *a;
	va_list ap;
	int argc = 0, status, wipes;

	rt_buf_reset(out);
	va_start(ap, out);
	while ((a = va_arg(ap, const char *)) != NULL) {
		assert_true(argc < 15);
		argv[argc] = strdup(a);
		copy[argc++] = strdup(a);
	}
	va_end(ap);
	argv[argc] = NULL;
	status = broker_subscriber_admin(fx->db, &policy, REALM, argc, argv, out);
	/* add and passwd wipe their arguments: one is the password */
	wipes = argc > 1 && (strcmp(copy[1], "add") == 0 ||
	    strcmp(copy[1], "passwd") == 0);
	for (int i = 0; i < argc; i++) {
		if (i >= 2 && wipes)
			for (size_t j = 0; j < strlen(copy[i]); j++)
				assert_int_equal(argv[i][j], '\0');
		free(argv[i]);
		free(copy[i]);
	}
	assert_int_equal(rt_buf_append_str(&fx->all, rt_buf_str(out)), 0);
	return status;
}

static void
contains(const struct rt_buf *out, const char *what)
{
	if (strstr(rt_buf_str(out), what) == NULL)
		fail_msg("answer lacks '%s':\n%s", what, rt_buf_str(out));
}

/* No password and no HA1 of alice or bob anywhere in what was answered. */
static void
no_secrets(struct fixture *fx)
{
	static const char *const pw[] = {ALICE_PW, BOB_PW, BOB_PW2};
	static const char *const ids[] = {"alice", "bob"};
	struct broker_subscriber s;

	for (size_t i = 0; i < sizeof(pw) / sizeof(pw[0]); i++)
		assert_null(strstr(rt_buf_str(&fx->all), pw[i]));
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		if (broker_subscriber_get(fx->db, ids[i], &s) != 0)
			continue;
		assert_null(strstr(rt_buf_str(&fx->all), s.ha1_md5));
		assert_null(strstr(rt_buf_str(&fx->all), s.ha1_sha256));
	}
}

static void
test_admin_add_list_show(void **state)
{
	struct fixture *fx = *state;
	struct rt_buf out;
	const char *text, *a, *b;

	rt_buf_init(&out, RT_ADMIN_REPLY_MAX);
	assert_int_equal(admin(fx, &out, "subscriber", "add", ALICE_PUB, "alice",
	    ALICE_PW, "--services", "voice,sms", "--max-age", "7776000", NULL), 0);
	contains(&out, "added sip:alice@home.example (private id alice; "
	    "services voice, sms; password expires");
	assert_int_equal(admin(fx, &out, "subscriber", "add", "--services=voice",
	    BOB_PUB, "bob", BOB_PW, NULL), 0);
	contains(&out, "services voice;");

	assert_int_equal(admin(fx, &out, "subscriber", "list", NULL), 0);
	text = rt_buf_str(&out);
	contains(&out, "PUBLIC ID");
	contains(&out, "PRIVATE ID");
	contains(&out, "SERVICES");
	contains(&out, "ENABLED");
	contains(&out, "PASSWORD AGE");
	contains(&out, "FAILED");
	contains(&out, "LOCKED UNTIL");
	contains(&out, "voice,sms");
	contains(&out, "2 subscribers");
	a = strstr(text, ALICE_PUB);
	b = strstr(text, BOB_PUB);
	assert_non_null(a);
	assert_non_null(b);
	assert_true(a < b);

	assert_int_equal(admin(fx, &out, "subscriber", "show", "alice", NULL), 0);
	contains(&out, "public id:        sip:alice@home.example\n");
	contains(&out, "private id:       alice\n");
	contains(&out, "services:         voice, sms\n");
	contains(&out, "enabled:          yes\n");
	contains(&out, "password max age: 90 days");
	contains(&out, "failed attempts:  0\n");
	contains(&out, "locked until:     -\n");
	contains(&out, "status:           usable\n");
	contains(&out, "HA1:              stored (MD5, SHA-256)\n");

	/* 91 days on: EXPIRED in the list, "password expired" in show */
	rt_time_set_now(T0 + 91L * 86400);
	assert_int_equal(admin(fx, &out, "subscriber", "list", NULL), 0);
	contains(&out, "91d EXPIRED");
	assert_int_equal(admin(fx, &out, "subscriber", "show", ALICE_PUB, NULL),
	    0);
	contains(&out, "status:           password expired\n");
	no_secrets(fx);
	rt_buf_fini(&out);
}

static void
test_admin_changes(void **state)
{
	struct fixture *fx = *state;
	struct rt_buf out;

	rt_buf_init(&out, RT_ADMIN_REPLY_MAX);
	assert_int_equal(admin(fx, &out, "subscriber", "add", ALICE_PUB, "alice",
	    ALICE_PW, NULL), 0);
	assert_int_equal(admin(fx, &out, "subscriber", "add", BOB_PUB, "bob",
	    BOB_PW, NULL), 0);
	assert_int_equal(admin(fx, &out, "subscriber", "disable", ALICE_PUB,
	    NULL), 0);
	contains(&out, "disabled sip:alice@home.example");
	assert_int_equal(admin(fx, &out, "subscriber", "show", "alice", NULL), 0);
	contains(&out, "enabled:          no\n");
	contains(&out, "status:           disabled\n");
	assert_int_equal(admin(fx, &out, "subscriber", "enable", "alice", NULL),
	    0);
	contains(&out, "enabled alice");

	/* bob locked by three failures, then unlocked by passwd */
	for (int i = 0; i < 3; i++)
		assert_int_equal(broker_subscriber_record(fx->db, &policy, "bob", 0,
		    T0), i == 2);
	assert_int_equal(admin(fx, &out, "subscriber", "show", "bob", NULL), 0);
	contains(&out, "failed attempts:  3\n");
	contains(&out, "status:           locked after failed attempts\n");
	contains(&out, "2027-01-15T08:01:00Z");	/* T0 + 60 */
	assert_int_equal(admin(fx, &out, "subscriber", "list", NULL), 0);
	contains(&out, "2027-01-15T08:01:00Z");
	assert_int_equal(admin(fx, &out, "subscriber", "passwd", "bob", BOB_PW2,
	    NULL), 0);
	contains(&out, "password changed for bob; failures and lock cleared");
	assert_int_equal(admin(fx, &out, "subscriber", "show", "bob", NULL), 0);
	contains(&out, "failed attempts:  0\n");
	contains(&out, "status:           usable\n");
	no_secrets(fx);
	rt_buf_fini(&out);
}

static void
test_admin_refusals(void **state)
{
	struct fixture *fx = *state;
	struct rt_buf out, small;

	rt_buf_init(&out, RT_ADMIN_REPLY_MAX);
	assert_int_equal(admin(fx, &out, "subscriber", "add", ALICE_PUB, "alice",
	    "Weak-pw1", NULL), 1);
	contains(&out, "error: password refused: too short");
	assert_int_equal(admin(fx, &out, "subscriber", "add", ALICE_PUB, "alice",
	    "Alice-In-Chains-7", NULL), 1);
	contains(&out, "error: password refused: contains the username\n");
	assert_int_equal(admin(fx, &out, "subscriber", "add", ALICE_PUB, "alice",
	    ALICE_PW, "--services", "Voice", NULL), 1);
	contains(&out, "error: service names are");
	assert_int_equal(admin(fx, &out, "subscriber", "add", "alice@x", "alice",
	    ALICE_PW, NULL), 1);
	contains(&out, "error: the public id must be");
	assert_int_equal(admin(fx, &out, "subscriber", "add", ALICE_PUB, "alice",
	    ALICE_PW, "--max-age", "soon", NULL), 1);
	contains(&out, "error: bad --max-age");
	assert_int_equal(admin(fx, &out, "subscriber", "add", ALICE_PUB, "alice",
	    ALICE_PW, "--services", "a,,b", NULL), 1);
	assert_int_equal(admin(fx, &out, "subscriber", "add", ALICE_PUB, "alice",
	    ALICE_PW, NULL), 0);
	assert_int_equal(admin(fx, &out, "subscriber", "add", ALICE_PUB, "alice2",
	    ALICE_PW, NULL), 1);
	contains(&out, "error: sip:alice@home.example is already a public id\n");
	assert_int_equal(admin(fx, &out, "subscriber", "passwd", "alice",
	    ALICE_PW, NULL), 1);
	contains(&out, "error: password refused: the new password is the "
	    "current one");
	assert_int_equal(admin(fx, &out, "subscriber", "show", "nobody", NULL), 1);
	contains(&out, "error: no such subscriber: nobody\n");
	assert_int_equal(admin(fx, &out, "subscriber", "disable", "nobody",
	    NULL), 1);
	assert_int_equal(admin(fx, &out, "subscriber", "passwd", "nobody",
	    "Some-Good-Pass-1", NULL), 1);
	contains(&out, "no such subscriber");

	/* usage */
	assert_int_equal(admin(fx, &out, "subscriber", NULL), 2);
	contains(&out, "usage: subscriber add PUBLIC_ID PRIVATE_ID PASSWORD");
	assert_int_equal(admin(fx, &out, "subscriber", "frob", NULL), 2);
	assert_int_equal(admin(fx, &out, "subscriber", "add", ALICE_PUB, NULL), 2);
	assert_int_equal(admin(fx, &out, "subscriber", "add", ALICE_PUB, "a",
	    "Some-Good-Pass-1", "--bogus", "x", NULL), 2);
	assert_int_equal(admin(fx, &out, "subscriber", "add", ALICE_PUB, "a",
	    "Some-Good-Pass-1", "--services", NULL), 2);
	assert_int_equal(admin(fx, &out, "subscriber", "passwd", "alice", NULL),
	    2);
	assert_int_equal(admin(fx, &out, "subscriber", "passwd", "alice",
	    "Some-Good-Pass-1", "--services", "x", NULL), 2);
	assert_int_equal(admin(fx, &out, "subscriber", "list", "extra", NULL), 2);
	assert_int_equal(admin(fx, &out, "subscriber", "show", NULL), 2);
	assert_int_equal(admin(fx, &out, "subscriber", "enable", NULL), 2);

	/* a reply cap reached: said, and status 1 */
	assert_int_equal(admin(fx, &out, "subscriber", "add", BOB_PUB, "bob",
	    BOB_PW, NULL), 0);
	rt_buf_init(&small, 4300);	/* the header, one row, the reserve */
	assert_int_equal(admin(fx, &small, "subscriber", "list", NULL), 1);
	contains(&small, "error: list truncated after 1 subscribers");
	rt_buf_fini(&small);
	no_secrets(fx);
	rt_buf_fini(&out);
}

/* ---- the CLI against a real admin socket ---- */

static int
cli_handler(void *arg, int argc, char **argv, struct rt_buf *out)
{
	struct fixture *fx = arg;

	if (strcmp(argv[0], "subscriber") != 0)
		return 2;
	return broker_subscriber_admin(fx->db, &policy, REALM, argc, argv, out);
}

/* Runs the CLI with stdin fed from text and stdout into out.txt (read
 * back into captured). */
static int
cli(struct fixture *fx, const char *stdin_text, char *captured, size_t cap,
    int argc, char **argv)
{
	int saved_in = dup(STDIN_FILENO), saved_out = dup(STDOUT_FILENO);
	int fds[2], fd, status;
	char path[160];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/out.txt", fx->dir);
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], stdin_text, strlen(stdin_text)),
	    (ssize_t)strlen(stdin_text));
	close(fds[1]);
	assert_true((fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600)) >= 0);
	fflush(stdout);
	assert_true(dup2(fds[0], STDIN_FILENO) >= 0);
	assert_true(dup2(fd, STDOUT_FILENO) >= 0);
	status = broker_subscriber_cli(fx->url, argc, argv);
	fflush(stdout);
	dup2(saved_in, STDIN_FILENO);
	dup2(saved_out, STDOUT_FILENO);
	close(saved_in);
	close(saved_out);
	close(fds[0]);
	assert_true(lseek(fd, 0, SEEK_SET) == 0);
	n = read(fd, captured, cap - 1);
	captured[n > 0 ? n : 0] = '\0';
	close(fd);
	return status;
}

static void
test_cli(void **state)
{
	struct fixture *fx = *state;
	struct rt_admin *server = NULL;
	struct broker_subscriber s;
	char text[8192];
	char a0[] = "subscriber", a1[] = "add", a2[] = ALICE_PUB, a3[] = "alice",
	    a4[] = "--services", a5[] = "voice,video", a6[] = "--password-stdin",
	    a7[] = "-c", a8[] = "broker.conf";
	char *add_argv[] = {a0, a1, a2, a3, a4, a5, a6, a7, a8};
	char p1[] = "passwd", p2[] = "alice", p3[] = BOB_PW2;
	char *passwd_argv[] = {a0, p1, p2, a6};
	char *on_cmdline[] = {a0, p1, p2, p3};
	char l1[] = "list", cfg[] = "--config=broker.conf";
	char *list_argv[] = {a0, l1, cfg};
	char *list_stdin[] = {a0, l1, a6};

	assert_int_equal(rt_admin_listen(fx->url, cli_handler, fx, &server), 0);
	assert_int_equal(cli(fx, ALICE_PW "\n", text, sizeof(text), 9, add_argv),
	    0);
	assert_non_null(strstr(text, "added sip:alice@home.example"));
	assert_int_equal(broker_subscriber_get(fx->db, "alice", &s), 0);
	assert_string_equal(s.ha1_md5, "7ebb8e71d684623bbe9436a086bfd2fc");
	assert_string_equal(s.services[1], "video");

	/* "\r\n" ends the line as well */
	assert_int_equal(cli(fx, BOB_PW2 "\r\nignored\n", text, sizeof(text), 4,
	    passwd_argv), 0);
	assert_non_null(strstr(text, "password changed for alice"));
	assert_int_equal(cli(fx, "", text, sizeof(text), 4, passwd_argv), 1);
	assert_int_equal(cli(fx, "", text, sizeof(text), 4, on_cmdline), 2);
	assert_int_equal(cli(fx, "", text, sizeof(text), 3, list_stdin), 2);
	assert_int_equal(cli(fx, "", text, sizeof(text), 3, list_argv), 0);
	assert_non_null(strstr(text, "PUBLIC ID"));
	assert_non_null(strstr(text, "voice,video"));
	assert_null(strstr(text, ALICE_PW));
	assert_null(strstr(text, BOB_PW2));
	rt_admin_close(server);
	/* no daemon */
	assert_int_equal(cli(fx, "", text, sizeof(text), 3, list_argv), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_admin_add_list_show, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_admin_changes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_admin_refusals, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cli, setup, teardown),
	};
	int failed;

	rt_log_init("test_subscriber_cmd", RT_LOG_STDERR, RT_LOG_NONE);
	failed = cmocka_run_group_tests(tests, NULL, NULL);
	nng_fini();		/* its threads, so valgrind reports no leaks */
	return failed;
}
