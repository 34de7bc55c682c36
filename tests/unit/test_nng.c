/*
 * rt_nng: a dialer's failures are found in nng's statistics by the
 * dialer's url, each counter's growth is told once, and what is not there
 * (another url, another kind, a counter nng does not keep) is nothing;
 * rt_nng_dial_failed names the reason ("refused" here) once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/util/platform.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rt_nng.h"

/* A port on 127.0.0.1 that refuses connections while fd stays open: bound,
 * never listening. */
static int
refusing_port(int *fdp)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*fdp = fd;
	return ntohs(sin.sin_port);
}

/* A req0 socket dialing url again every 10 ms. */
static nng_socket
dial_forever(const char *url)
{
	nng_socket sock;
	nng_dialer dialer;

	assert_int_equal(nng_req0_open(&sock), 0);
	assert_int_equal(nng_socket_set_ms(sock, NNG_OPT_RECONNMINT, 10), 0);
	assert_int_equal(nng_socket_set_ms(sock, NNG_OPT_RECONNMAXT, 10), 0);
	assert_int_equal(nng_dialer_create(&dialer, sock, url), 0);
	assert_int_equal(nng_dialer_start(dialer, NNG_FLAG_NONBLOCK), 0);
	return sock;
}

/* After a pause, a new snapshot in *allp; the old one freed. */
static void
next_snapshot(nng_stat **allp)
{
	if (*allp != NULL)
		nng_stats_free(*allp);
	nng_msleep(20);
	assert_int_equal(nng_stats_get(allp), 0);
}

static void
test_dial_refused_counted(void **state)
{
	nng_stat *all = NULL, *node = NULL;
	nng_socket sock;
	uint64_t seen = 0, other = 0, grew = 0;
	char url[64];
	int fd;

	(void)state;
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", refusing_port(&fd));
	sock = dial_forever(url);
	for (int i = 0; i < 250 && grew == 0; i++) {
		next_snapshot(&all);
		node = rt_nng_stat_find(all, "dialer", url);
		grew = rt_nng_stat_grew(node, "refused", &seen);
	}
	assert_non_null(node);
	assert_true(grew > 0);
	assert_true(seen >= grew);
	/* told once: the same snapshot has grown no more */
	assert_int_equal(rt_nng_stat_grew(node, "refused", &seen), 0);
	assert_int_equal(rt_nng_stat_grew(node, "no-such-counter", &other), 0);
	assert_int_equal(rt_nng_stat_grew(NULL, "refused", &other), 0);
	assert_int_equal(other, 0);
	assert_null(rt_nng_stat_find(all, "listener", url));
	assert_null(rt_nng_stat_find(all, "dialer", "tcp://127.0.0.1:1"));
	nng_stats_free(all);
	nng_close(sock);
	close(fd);
}

static void
test_dial_failed_reason(void **state)
{
	uint64_t seen[RT_NNG_DIAL_REASONS] = {0}, count = 1;
	nng_stat *all = NULL;
	nng_socket sock;
	char url[64];
	int fd, last = -1;

	(void)state;
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", refusing_port(&fd));
	sock = dial_forever(url);
	for (int i = 0; i < 250 && last < 0; i++) {
		next_snapshot(&all);
		last = rt_nng_dial_failed(all, url, seen, &count);
	}
	assert_true(last >= 0);
	assert_string_equal(rt_nng_dial_reasons[last], "refused");
	assert_true(count > 0);
	assert_int_equal(seen[last], count);
	/* the same snapshot again: nothing new; no dialer there: nothing */
	assert_int_equal(rt_nng_dial_failed(all, url, seen, &count), -1);
	assert_int_equal(count, 0);
	assert_int_equal(rt_nng_dial_failed(all, "tcp://127.0.0.1:1", seen, &count), -1);
	nng_stats_free(all);
	nng_close(sock);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dial_refused_counted),
		cmocka_unit_test(test_dial_failed_reason),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
