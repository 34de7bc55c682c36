/*
 * rt_test_httpd: a small static HTTP server for tests (libmicrohttpd).
 *
 * Tests start it on 127.0.0.1 to publish CRLs over real HTTP (a fresh
 * Debian has no python to do it). It serves GET/HEAD of regular files under
 * --dir, read again on every request so a test can replace a file between
 * fetches; a path with "..", or whose realpath leaves --dir, is a 404. Per
 * path, tests can ask for a redirect (--redirect /p=URL, 302), a delay
 * before the answer (--slow /p=SECONDS, fractions allowed), a bare status
 * (--status /p=CODE) or a chunked body without Content-Length (--chunked
 * /p). It binds 127.0.0.1 only; with --port 0 the kernel picks the port.
 * Once listening it prints "port=N" on stdout and writes --pidfile; it logs
 * one line per request to stderr and exits 0 on SIGTERM or SIGINT.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RULES_MAX 32
#define SERVE_MAX (64 * 1024 * 1024)	/* largest file served */
#define CHUNK_LEN 4096

struct rule {
	char *path;
	char *value;	/* NULL for --chunked */
};

struct rule_list {
	struct rule items[RULES_MAX];
	size_t n;
};

struct server {
	char root[PATH_MAX];	/* realpath of --dir */
	struct rule_list redirects, slows, statuses, chunked;
};

/* A body handed out in chunks (no Content-Length). */
struct chunked_body {
	char *data;
	size_t len;
};

static atomic_int stopping;

static void
usage(void)
{
	fprintf(stderr, "usage: rt_test_httpd --port P --dir D [--pidfile F] "
	    "[--redirect /path=URL]... [--slow /path=SECONDS]...\n"
	    "       [--status /path=CODE]... [--chunked /path]...\n");
	exit(2);
}

static void
rule_add(struct rule_list *list, const char *arg, int with_value)
{
	char *eq;
	struct rule *rule;

	if (list->n == RULES_MAX || arg[0] != '/')
		usage();
	rule = &list->items[list->n];
	if ((rule->path = strdup(arg)) == NULL) {
		perror("rt_test_httpd: strdup");
		exit(1);
	}
	rule->value = NULL;
	eq = strchr(rule->path, '=');
	if (with_value) {
		if (eq == NULL || eq[1] == '\0')
			usage();
		*eq = '\0';
		rule->value = eq + 1;
	}
	list->n++;
}

static const char *
rule_find(const struct rule_list *list, const char *path)
{
	for (size_t i = 0; i < list->n; i++)
		if (strcmp(list->items[i].path, path) == 0)
			return list->items[i].value != NULL ?
			    list->items[i].value : "";
	return NULL;
}

static void
rules_free(struct rule_list *list)
{
	for (size_t i = 0; i < list->n; i++)
		free(list->items[i].path);
	list->n = 0;
}

/* Sleeps seconds, waking early when the server is stopping. */
static void
slow_down(double seconds)
{
	struct timespec tick = { 0, 20 * 1000 * 1000 };

	for (double left = seconds; left > 0 && !atomic_load(&stopping);
	    left -= 0.02)
		nanosleep(&tick, NULL);
}

/*
 * Reads the file that path names under root into *datap (malloc). Returns
 * 0, or -1 when it must be a 404: "..", a symlink out of root, not a
 * regular file, unreadable, or too big.
 */
static int
read_under_root(const char *root, const char *path, char **datap, size_t *lenp)
{
	char joined[PATH_MAX], real[PATH_MAX];
	size_t root_len = strlen(root), len = 0;
	struct stat st;
	char *data = NULL;
	FILE *f = NULL;
	int r = -1;

	*datap = NULL;
	if (path[0] != '/' || strstr(path, "..") != NULL)
		goto out;
	if (snprintf(joined, sizeof(joined), "%s%s", root, path) >=
	    (int)sizeof(joined) || realpath(joined, real) == NULL)
		goto out;
	if (strncmp(real, root, root_len) != 0 || real[root_len] != '/')
		goto out;
	if ((f = fopen(real, "rb")) == NULL || fstat(fileno(f), &st) != 0 ||
	    !S_ISREG(st.st_mode) || st.st_size > SERVE_MAX)
		goto out;
	if ((data = malloc((size_t)st.st_size + 1)) == NULL)
		goto out;
	len = fread(data, 1, (size_t)st.st_size, f);
	if (ferror(f))
		goto out;
	*datap = data;
	*lenp = len;
	data = NULL;
	r = 0;
 out:
	if (f != NULL)
		fclose(f);
	free(data);
	return r;
}

static ssize_t
chunked_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct chunked_body *body = cls;
	size_t n;

	if (pos >= body->len)
		return MHD_CONTENT_READER_END_OF_STREAM;
	n = body->len - (size_t)pos;
	if (n > max)
		n = max;
	if (n > CHUNK_LEN)
		n = CHUNK_LEN;
	memcpy(buf, body->data + pos, n);
	return (ssize_t)n;
}

static void
chunked_free(void *cls)
{
	struct chunked_body *body = cls;

	free(body->data);
	free(body);
}

static const char *
content_type(const char *path)
{
	size_t len = strlen(path);

	if ((len >= 4 && strcmp(path + len - 4, ".crl") == 0) ||
	    (len >= 4 && strcmp(path + len - 4, ".pem") == 0))
		return "application/pkix-crl";
	return "application/octet-stream";
}

static struct MHD_Response *
text_response(const char *text)
{
	return MHD_create_response_from_buffer(strlen(text),
	    (void *)(uintptr_t)text, MHD_RESPMEM_MUST_COPY);
}

/* The file at path, whole or in chunks; *codep is 200 or 404. */
static struct MHD_Response *
file_response(const struct server *server, const char *path, int *codep)
{
	struct MHD_Response *response = NULL;
	struct chunked_body *body = NULL;
	char *data = NULL;
	size_t len = 0;

	if (read_under_root(server->root, path, &data, &len) != 0) {
		*codep = MHD_HTTP_NOT_FOUND;
		return text_response("not found\n");
	}
	*codep = MHD_HTTP_OK;
	if (rule_find(&server->chunked, path) != NULL) {
		if ((body = malloc(sizeof(*body))) == NULL) {
			free(data);
			return NULL;
		}
		body->data = data;
		body->len = len;
		response = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN,
		    CHUNK_LEN, chunked_read, body, chunked_free);
		if (response == NULL)
			chunked_free(body);
	} else {
		response = MHD_create_response_from_buffer(len, data,
		    MHD_RESPMEM_MUST_FREE);
		if (response == NULL)
			free(data);
	}
	if (response != NULL)
		MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE,
		    content_type(path));
	return response;
}

static enum MHD_Result
handle_request(void *cls, struct MHD_Connection *connection, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	static int handled;
	const struct server *server = cls;
	struct MHD_Response *response = NULL;
	const char *value;
	enum MHD_Result result;
	int code = MHD_HTTP_OK;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	/* once per request, even if the connection fails under us */
	if (*con_cls == &handled)
		return MHD_NO;
	*con_cls = &handled;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		code = MHD_HTTP_METHOD_NOT_ALLOWED;
		response = text_response("method not allowed\n");
	} else {
		if ((value = rule_find(&server->slows, url)) != NULL)
			slow_down(strtod(value, NULL));
		if ((value = rule_find(&server->statuses, url)) != NULL) {
			code = atoi(value);
			response = text_response("status\n");
		} else if ((value = rule_find(&server->redirects, url)) !=
		    NULL) {
			code = MHD_HTTP_FOUND;
			if ((response = text_response("moved\n")) != NULL)
				MHD_add_response_header(response,
				    MHD_HTTP_HEADER_LOCATION, value);
		} else
			response = file_response(server, url, &code);
	}
	fprintf(stderr, "rt_test_httpd: %s %s %d\n", method, url, code);
	if (response == NULL)
		return MHD_NO;
	result = MHD_queue_response(connection, (unsigned int)code, response);
	MHD_destroy_response(response);
	return result;
}

static void
write_pidfile(const char *path)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fprintf(f, "%ld\n", (long)getpid()) < 0 ||
	    fclose(f) != 0) {
		perror("rt_test_httpd: pidfile");
		exit(1);
	}
}

static unsigned int
bound_port(struct MHD_Daemon *daemon)
{
	const union MHD_DaemonInfo *info;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
	if (info != NULL && info->port != 0)
		return info->port;
	info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_LISTEN_FD);
	if (info != NULL && getsockname(info->listen_fd,
	    (struct sockaddr *)&sin, &len) == 0)
		return ntohs(sin.sin_port);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "dir", required_argument, NULL, 'd' },
		{ "pidfile", required_argument, NULL, 'P' },
		{ "redirect", required_argument, NULL, 'r' },
		{ "slow", required_argument, NULL, 's' },
		{ "status", required_argument, NULL, 'c' },
		{ "chunked", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 }
	};
	static struct server server;
	const char *dir = NULL, *pidfile = NULL;
	struct MHD_Daemon *daemon;
	struct sockaddr_in sin;
	sigset_t signals;
	long port = -1;
	char *end;
	int opt, sig = 0;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			errno = 0;
			port = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || port < 0 || port > 65535)
				usage();
			break;
		case 'd':
			dir = optarg;
			break;
		case 'P':
			pidfile = optarg;
			break;
		case 'r':
			rule_add(&server.redirects, optarg, 1);
			break;
		case 's':
			rule_add(&server.slows, optarg, 1);
			break;
		case 'c':
			rule_add(&server.statuses, optarg, 1);
			break;
		case 'k':
			rule_add(&server.chunked, optarg, 0);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || port < 0 || dir == NULL)
		usage();
	if (realpath(dir, server.root) == NULL) {
		fprintf(stderr, "rt_test_httpd: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	/* the daemon's threads inherit the mask: only sigwait sees them */
	sigemptyset(&signals);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGINT);
	pthread_sigmask(SIG_BLOCK, &signals, NULL);
	signal(SIGPIPE, SIG_IGN);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	daemon = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION |
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG,
	    (uint16_t)port, NULL, NULL, handle_request, &server,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin, MHD_OPTION_END);
	if (daemon == NULL) {
		fprintf(stderr, "rt_test_httpd: cannot listen on "
		    "127.0.0.1:%ld\n", port);
		return 1;
	}
	printf("port=%u\n", bound_port(daemon));
	fflush(stdout);
	if (pidfile != NULL)
		write_pidfile(pidfile);
	fprintf(stderr, "rt_test_httpd: serving %s\n", server.root);

	while (sigwait(&signals, &sig) != 0)
		continue;
	atomic_store(&stopping, 1);
	MHD_stop_daemon(daemon);
	if (pidfile != NULL)
		unlink(pidfile);
	rules_free(&server.redirects);
	rules_free(&server.slows);
	rules_free(&server.statuses);
	rules_free(&server.chunked);
	fprintf(stderr, "rt_test_httpd: stopped (signal %d)\n", sig);
	return 0;
}
