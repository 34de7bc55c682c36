/*
 * rt_file read leases: taken on a file nobody writes, refused while someone
 * has it open for writing, broken (and reported so) when another process
 * opens it for writing, without the break's signal killing us.
 * Where the kernel or filesystem grants no leases at all the tests skip.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rt_file.h"
#include "rt_log.h"

static char dir[256], path[300];

static int
setup(void **state)
{
	(void)state;
	rt_log_init("test_file", RT_LOG_STDERR, RT_LOG_ERR);
	snprintf(dir, sizeof(dir), "%s/rt-test-file.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/export.csv", dir);
	return rt_file_write(path, "id,quantity\r\n1,2\r\n", 18, 0644, 0) == 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(path);
	rmdir(dir);
	return 0;
}

/* Opens path read-only and leases it, or skips where leases are not given. */
static int
open_leased(void)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	if (rt_file_lease(fd) != 0) {
		int e = errno;

		close(fd);
		if (e == EOPNOTSUPP || e == EINVAL || e == ENOLCK || e == EACCES ||
		    e == ENOSYS) {
			fprintf(stderr, "no read lease here (%s)\n", strerror(e));
			skip();
		}
		fail_msg("rt_file_lease: %s", strerror(e));
	}
	return fd;
}

static void
test_lease_held(void **state)
{
	int fd, fd2;

	(void)state;
	fd = open_leased();
	assert_int_equal(rt_file_lease_held(fd), 1);
	/* other readers are welcome */
	assert_true((fd2 = open(path, O_RDONLY | O_CLOEXEC)) >= 0);
	close(fd2);
	assert_int_equal(rt_file_lease_held(fd), 1);
	rt_file_lease_release(fd);
	assert_int_equal(rt_file_lease_held(fd), 0);
	close(fd);
}

static void
test_lease_refused_while_written(void **state)
{
	int w, fd;

	(void)state;
	fd = open_leased();	/* skips where there are no leases */
	rt_file_lease_release(fd);
	assert_true((w = open(path, O_WRONLY | O_CLOEXEC)) >= 0);
	assert_int_not_equal(rt_file_lease(fd), 0);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(rt_file_lease_held(fd), 0);
	close(w);
	close(fd);
}

/* Another process opening the file for writing breaks the lease: it is
 * reported, the break does not kill us, and the writer goes on once we
 * let go. */
static void
test_lease_broken_by_writer(void **state)
{
	struct timespec tick = {0, 10 * 1000 * 1000};
	int fd, status, polls = 0;
	pid_t child;

	(void)state;
	fd = open_leased();
	assert_true((child = fork()) >= 0);
	if (child == 0) {
		int w = open(path, O_WRONLY | O_CLOEXEC);

		_exit(w >= 0 && write(w, "9", 1) == 1 ? 0 : 1);
	}
	/* a bound, not a timing assertion: the break begins when the child's
	 * open does, and lasts lease-break-time (45 s by default) */
	while (rt_file_lease_held(fd) && polls++ < 3000)
		nanosleep(&tick, NULL);
	assert_int_equal(rt_file_lease_held(fd), 0);
	rt_file_lease_release(fd);
	close(fd);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* put the file back as it was */
	assert_int_equal(rt_file_write(path, "id,quantity\r\n1,2\r\n", 18, 0644, 0), 0);
}

static void
on_urg(int sig)
{
	(void)sig;
}

/* A process that handles SIGURG itself gets no lease: a break would call
 * its handler. */
static void
test_lease_refused_with_urg_handler(void **state)
{
	struct sigaction sa, old;
	int fd;

	(void)state;
	fd = open_leased();
	rt_file_lease_release(fd);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_urg;
	assert_int_equal(sigaction(SIGURG, &sa, &old), 0);
	assert_int_not_equal(rt_file_lease(fd), 0);
	assert_int_equal(errno, EBUSY);
	assert_int_equal(sigaction(SIGURG, &old, NULL), 0);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lease_held),
		cmocka_unit_test(test_lease_refused_while_written),
		cmocka_unit_test(test_lease_broken_by_writer),
		cmocka_unit_test(test_lease_refused_with_urg_handler),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
