/*
 * libFuzzer target: the agent's HTTP API (agent_http.c) as the proxy
 * reaches it: libmicrohttpd's parsing of requests, the routes, the query
 * (agent_flow_parse), the gathering of bodies under their cap (413),
 * keep-alive and pipelining, and the answers of /v1/check and /v1/usage.
 * The agent is fuzz_agent_check's (fuzz_agent.h): never started, so every
 * answer is immediate (no broker: an authentication that gets that far is
 * a 503; no spool: so is a report to store); only its HTTP server runs, on
 * 127.0.0.1 and a port of the kernel's, stopped at exit.
 *
 * Input: the bytes a client writes on one connection to the server (any
 * number of pipelined requests), after which it shuts down its side. The
 * failure limiters and the table of requests awaiting a usage report start
 * empty for each input.
 *
 * Asserted (abort() otherwise): the server answers and closes within
 * ANSWER_WAIT_MS of its last sign of life (else it hangs); the answer is
 * empty (garbage closes the connection) or whole responses, each "HTTP/1.x
 * NNN", printable header lines, and a body framed by its Content-Length.
 * The agent's own answers (Content-Type: text/plain) have a status the
 * proxy understands and a body of printable lines ending in CRLF, the rule
 * fuzz_agent_check asserts of verdicts; libmicrohttpd's (a malformed
 * request: an HTML page) are errors, so the proxy fails closed, and what
 * follows one that closes the connection is not looked at (no client
 * reads it; libmicrohttpd 0.9.75 repeats the header of some). An answer
 * to a HEAD has no body: when the input has that word (in capitals), a
 * response whose body is missing is taken for one.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fuzz_agent.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Room for a body just over the agent's cap (RT_SIP_MAX_MSG), for its 413. */
#define INPUT_MAX (RT_SIP_MAX_MSG + 4096)
/* Pipelined requests of a few bytes each get answers of ~150: the cap of
 * what is read back is well above that. */
#define ANSWER_MAX (4 * 1024 * 1024)
#define ANSWER_WAIT_MS 5000

static struct agent *agent;
static char *answer;
static size_t answer_len;	/* so far */

static void
stop_agent(void)
{
	agent_http_stop(agent);
	agent_free(agent);
	agent = NULL;
	free(answer);
	answer = NULL;
}

/* Says why, and what the server answered, then aborts. */
__attribute__((noreturn)) static void
fail(const char *why)
{
	fprintf(stderr, "fuzz_agent_http: %s; the answer (%zu bytes):\n", why, answer_len);
	fwrite(answer, 1, answer_len < 4096 ? answer_len : 4096, stderr);
	fputc('\n', stderr);
	abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	agent = fuzz_agent_new("fuzz_agent_http");
	if (agent_http_start(agent) != 0 || agent->http_port <= 0)
		abort();
	if ((answer = malloc(ANSWER_MAX)) == NULL)
		abort();
	/* the replay's main returns: the server's threads end before exit */
	atexit(stop_agent);
	return 0;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for events on fd, up to ANSWER_WAIT_MS after last (ms): the
 * events, or 0 when the time is up. */
static int
wait_for(int fd, short events, int64_t last)
{
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = events};
		int64_t left = last + ANSWER_WAIT_MS - now_ms();
		int n;

		if (left <= 0)
			return 0;
		if ((n = poll(&pfd, 1, (int)left)) > 0)
			return pfd.revents;
		if (n < 0 && errno != EINTR)
			abort();
	}
}

/* A connection to the agent, non-blocking (libFuzzer's alarms would
 * interrupt a blocking connect). */
static int
connect_agent(void)
{
	struct sockaddr_in sin;
	socklen_t errlen = sizeof(int);
	int fd, err = 0;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);	/* never anywhere else */
	sin.sin_port = htons((uint16_t)agent->http_port);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) < 0)
		abort();
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		if (errno != EINPROGRESS)
			err = errno;
		else if (wait_for(fd, POLLOUT, now_ms()) == 0)
			err = ETIMEDOUT;
		else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &errlen) != 0)
			err = errno;
	}
	if (err != 0) {
		fprintf(stderr, "fuzz_agent_http: connect to 127.0.0.1:%d: %s\n",
		    agent->http_port, strerror(err));
		abort();
	}
	return fd;
}

/*
 * Writes data on fd, then shuts down the writing side, reading the answer
 * as it comes (the server may answer before it has read everything, and
 * stop reading while its answers are not read) until the server closes.
 * Returns the answer's length.
 */
static size_t
exchange(int fd, const uint8_t *data, size_t size)
{
	size_t sent = 0, got = 0;
	int64_t last = now_ms();
	int writing = 1;

	if (size == 0) {
		shutdown(fd, SHUT_WR);
		writing = 0;
	}
	for (;;) {
		int revents = wait_for(fd, POLLIN | (writing ? POLLOUT : 0), last);
		ssize_t n;

		answer_len = got;
		if (revents == 0)
			fail("neither answered nor closed in time: a hang");
		if (writing && (revents & (POLLOUT | POLLERR | POLLHUP))) {
			n = send(fd, data + sent, size - sent, MSG_NOSIGNAL);
			if (n > 0) {
				sent += (size_t)n;
				last = now_ms();
			} else if (n < 0 && errno != EAGAIN && errno != EINTR)
				sent = size;	/* closed by the server: read on */
			if (sent == size) {
				shutdown(fd, SHUT_WR);
				writing = 0;
			}
		}
		if (revents & (POLLIN | POLLERR | POLLHUP)) {
			if (got == ANSWER_MAX)
				fail("far more answer than any input asks for");
			n = recv(fd, answer + got, ANSWER_MAX - got, 0);
			if (n == 0 || (n < 0 && errno == ECONNRESET))
				return got;
			if (n > 0) {
				got += (size_t)n;
				last = now_ms();
			} else if (errno != EAGAIN && errno != EINTR)
				abort();
		}
	}
}

/* The value of header name (with its colon) in the lines hdr[len], or NULL. */
static const char *
header_value(const char *hdr, size_t len, const char *name, size_t *vlenp)
{
	size_t nlen = strlen(name);
	const char *line = hdr, *end = hdr + len;

	while (line < end) {
		const char *eol = memmem(line, (size_t)(end - line), "\r\n", 2);

		if (eol == NULL)
			return NULL;	/* every line ends in CRLF */
		if ((size_t)(eol - line) >= nlen && strncasecmp(line, name, nlen) == 0) {
			line += nlen;
			while (line < eol && *line == ' ')
				line++;
			*vlenp = (size_t)(eol - line);
			return line;
		}
		line = eol + 2;
	}
	return NULL;
}

/* The statuses of the agent's own answers: verdicts, usage, routes. */
static int
agent_status(int status)
{
	static const int known[] = {200, 400, 401, 403, 404, 405, 407, 413, 500, 503};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (status == known[i])
			return 1;
	return 0;
}

/*
 * Checks the response at ans[at..len) and returns where the next one
 * starts. head: the input may have asked for a HEAD, whose response has
 * no body.
 */
static size_t
check_response(const char *ans, size_t len, size_t at, int head)
{
	const char *r = ans + at, *hdr_end, *value;
	size_t left = len - at, hdr_len, body_len, vlen;
	int status, ours;

	if (left < 12 || memcmp(r, "HTTP/1.", 7) != 0 || (r[7] != '0' && r[7] != '1') ||
	    r[8] != ' ' || r[9] < '1' || r[9] > '5' || r[10] < '0' || r[10] > '9' ||
	    r[11] < '0' || r[11] > '9')
		fail("not a status line");
	status = (r[9] - '0') * 100 + (r[10] - '0') * 10 + (r[11] - '0');
	if ((hdr_end = memmem(r, left, "\r\n\r\n", 4)) == NULL)
		fail("a response cut short in its header");
	hdr_len = (size_t)(hdr_end - r) + 2;	/* the lines, each with its CRLF */
	if (!fuzz_agent_lines_ok(r, hdr_len))
		fail("a header line split or injected");
	left -= hdr_len + 2;
	value = header_value(r, hdr_len, "Content-Type:", &vlen);
	ours = value != NULL && vlen == 10 && memcmp(value, "text/plain", 10) == 0;
	if (status < 200) {
		if (ours || status != 100)
			fail("an interim response other than 100 Continue");
		return at + hdr_len + 2;	/* 100 Continue, then the answer */
	}
	if (!ours) {
		/* libmicrohttpd's own answer to a malformed request: an error,
		 * so the proxy fails closed. When it closes the connection,
		 * what it sends after is never read: 0.9.75 sends the header
		 * of its 400 or 413 for a bad Content-Length twice */
		if (status < 400)
			fail("libmicrohttpd's own answer that is not an error");
		value = header_value(r, hdr_len, "Connection:", &vlen);
		if (value != NULL && vlen == 5 && strncasecmp(value, "close", 5) == 0)
			return len;
	}
	if ((value = header_value(r, hdr_len, "Content-Length:", &vlen)) != NULL) {
		char *end;

		body_len = strtoul(value, &end, 10);
		if (vlen == 0 || end != value + vlen)
			fail("a bad Content-Length");
	} else
		body_len = left;	/* to the close */
	/* no body where one is due, but the next response or the end: a HEAD's
	 * (the agent's bodies never start so) */
	if (head && body_len > 0 && (left == 0 ||
	    (left >= 7 && memcmp(hdr_end + 4, "HTTP/1.", 7) == 0)))
		body_len = 0;
	else if (body_len > left)
		fail("a body cut short");
	if (ours && !agent_status(status))
		fail("a status the proxy does not know");
	if (ours && !fuzz_agent_lines_ok(hdr_end + 4, body_len))
		fail("a body not of printable lines ending in CRLF");
	return at + hdr_len + 2 + body_len;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct linger abortive = {.l_onoff = 1, .l_linger = 0};
	size_t len, at = 0;
	int fd, head;

	if (size > INPUT_MAX)
		return 0;
	fuzz_agent_reset(agent);
	fd = connect_agent();
	len = exchange(fd, data, size);
	/* closed by the server already: no TIME_WAIT for each input */
	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &abortive, sizeof(abortive));
	close(fd);
	answer_len = len;
	/* the method is case-sensitive, and a request may start anywhere */
	head = memmem(data, size, "HEAD", 4) != NULL;
	while (at < len)
		at = check_response(answer, len, at, head);
	return 0;
}
