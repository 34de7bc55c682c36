/*
 * The proxy-facing HTTP API, served with libmicrohttpd (measured here at
 * ~80k small POSTs/s, against ~44k for nng's HTTP server):
 *
 *   POST /v1/check?src=IP&sport=PORT&proto=udp|tcp|tls   body: a SIP request
 *   POST /v1/usage?event=E&src=IP&sport=PORT&proto=P      body: a SIP message
 *
 * The HTTP status is the verdict and the body its argument (agent.h). A
 * check that must ask the home realm, and a usage report that must be
 * written to the spool, suspend their connection and resume it with the
 * answer, so HTTP threads never wait on the network or the disk. Bodies
 * are capped (RT_SIP_MAX_MSG); anything but these routes is 404/405.
 * Each answer is one small buffer sent at once, and the socket has
 * TCP_NODELAY, so keep-alive clients are not stalled by Nagle (40 ms).
 */
#include <microhttpd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "agent.h"
#include "rt_log.h"
#include "rt_net.h"

#define HTTP_CONNECTIONS 1024
#define HTTP_TIMEOUT 60

struct http_req {
	struct agent *agent;
	struct MHD_Connection *conn;
	struct rt_buf body;
	struct agent_check *check;	/* /v1/check, or */
	struct agent_usage *usage;	/* /v1/usage */
	int too_big;
	int is_usage;
	pthread_mutex_t lock;	/* between the HTTP thread and the answer's */
	int state;		/* 0 reading, 1 pending, 2 decided */
	int suspended;
};

static enum MHD_Result
reply(struct MHD_Connection *conn, unsigned int status, const void *body, size_t len)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(len, (void *)(uintptr_t)body,
	    MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	(void)MHD_add_response_header(resp, "Content-Type", "text/plain");
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result
reply_text(struct MHD_Connection *conn, unsigned int status, const char *text)
{
	return reply(conn, status, text, strlen(text));
}

/* The answer of a request decided: the check's verdict or the report's. */
static enum MHD_Result
reply_answer(struct http_req *hr)
{
	if (hr->usage != NULL)
		return reply_text(hr->conn, (unsigned int)hr->usage->status,
		    hr->usage->answer);
	return reply(hr->conn, (unsigned int)hr->check->status, hr->check->body.data,
	    hr->check->body.len);
}

/* From another thread: the answer is there (home realm, spool). */
static void
answer_ready(struct http_req *hr)
{
	struct MHD_Connection *conn = NULL;

	pthread_mutex_lock(&hr->lock);
	hr->state = 2;
	/* the answer may beat the suspension: answer_or_suspend looks at state */
	if (hr->suspended)
		conn = hr->conn;
	pthread_mutex_unlock(&hr->lock);
	/* once resumed, an HTTP thread may answer and free hr at once */
	if (conn != NULL)
		MHD_resume_connection(conn);
}

static void
check_done(struct agent_check *c)
{
	answer_ready(c->arg);
}

static void
usage_done(struct agent_usage *u)
{
	answer_ready(u->arg);
}

/* After the start: answers now, or suspends until answer_ready (later). */
static enum MHD_Result
answer_or_suspend(struct http_req *hr, int later)
{
	if (later) {
		pthread_mutex_lock(&hr->lock);
		if (hr->state != 2) {
			MHD_suspend_connection(hr->conn);
			hr->suspended = 1;
			pthread_mutex_unlock(&hr->lock);
			return MHD_YES;
		}
		pthread_mutex_unlock(&hr->lock);
	}
	hr->state = 2;
	return reply_answer(hr);
}

static void
set_running(struct http_req *hr)
{
	pthread_mutex_lock(&hr->lock);
	hr->state = 1;
	pthread_mutex_unlock(&hr->lock);
}

static const char *
query(struct MHD_Connection *conn, const char *name)
{
	return MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, name);
}

/* The first call with the whole body: start the check. */
static enum MHD_Result
check_start(struct http_req *hr)
{
	struct MHD_Connection *conn = hr->conn;
	const char *src = query(conn, "src"), *proto = query(conn, "proto");
	int port;

	if (hr->too_big)
		return reply_text(conn, 413, "Request Entity Too Large\r\n");
	if (agent_flow_parse(proto, src, query(conn, "sport"), &port) != 0)
		return reply_text(conn, 400, "Bad Request (src, sport, proto)\r\n");
	/* rt_buf_str: an empty body is "", not NULL (agent_check_new copies it) */
	if (agent_check_new(hr->agent, proto, src, port, rt_buf_str(&hr->body),
	    hr->body.len, &hr->check) != 0)
		return reply_text(conn, 500, "Server Internal Error\r\n");
	hr->check->done = check_done;
	hr->check->arg = hr;
	set_running(hr);
	return answer_or_suspend(hr, agent_check_run(hr->check) == 1);
}

/* The same for a usage report (agent_usage_run checks the query too). */
static enum MHD_Result
usage_start(struct http_req *hr)
{
	struct MHD_Connection *conn = hr->conn;

	if (hr->too_big)
		return reply_text(conn, 413, "Request Entity Too Large\r\n");
	if (agent_usage_new(hr->agent, query(conn, "event"), query(conn, "proto"),
	    query(conn, "src"), query(conn, "sport"), rt_buf_str(&hr->body),
	    hr->body.len, &hr->usage) != 0)
		return reply_text(conn, 500, "Server Internal Error\r\n");
	hr->usage->done = usage_done;
	hr->usage->arg = hr;
	set_running(hr);
	return answer_or_suspend(hr, agent_usage_run(hr->usage) == 1);
}

static enum MHD_Result
http_answer(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct agent *a = cls;
	struct http_req *hr = *con_cls;

	(void)version;
	if (hr == NULL) {
		if (strcmp(url, "/v1/check") != 0 && strcmp(url, "/v1/usage") != 0)
			return reply_text(conn, 404, "Not Found\r\n");
		if (strcmp(method, "POST") != 0)
			return reply_text(conn, 405, "Method Not Allowed\r\n");
		if ((hr = calloc(1, sizeof(*hr))) == NULL)
			return MHD_NO;
		hr->agent = a;
		hr->conn = conn;
		hr->is_usage = strcmp(url, "/v1/usage") == 0;
		pthread_mutex_init(&hr->lock, NULL);
		rt_buf_init(&hr->body, RT_SIP_MAX_MSG);
		*con_cls = hr;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		if (!hr->too_big && rt_buf_append(&hr->body, upload_data,
		    *upload_data_size) != 0)
			hr->too_big = 1;	/* read on, answer 413 at the end */
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (hr->state == 0)
		return hr->is_usage ? usage_start(hr) : check_start(hr);
	if (hr->state == 2) {
		hr->suspended = 0;
		return reply_answer(hr);
	}
	return MHD_YES;
}

static void
http_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct http_req *hr = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (hr == NULL)
		return;
	agent_check_free(hr->check);
	agent_usage_free(hr->usage);
	rt_buf_fini(&hr->body);
	pthread_mutex_destroy(&hr->lock);
	free(hr);
	*con_cls = NULL;
}

/* TCP_NODELAY on each accepted connection: answers go out at once. */
static void
http_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	const union MHD_ConnectionInfo *info;
	int one = 1;

	(void)cls;
	(void)socket_context;
	if (toe != MHD_CONNECTION_NOTIFY_STARTED)
		return;
	info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (info != NULL)
		(void)setsockopt(info->connect_fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
}

__attribute__((format(printf, 2, 0))) static void
http_log(void *cls, const char *fmt, va_list ap)
{
	char msg[256], safe[300];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = '\0';
	log_warn("event=http_error msg=%s", rt_log_value(msg, safe, sizeof(safe)));
}

int
agent_http_start(struct agent *a)
{
	const union MHD_DaemonInfo *info;
	struct sockaddr_storage ss;
	int ipv6 = 0;

	if (rt_net_addr_parse(a->config->listen, &ss, &ipv6) != 0) {
		log_err("event=http_listen_failed addr=%s reason=bad_address",
		    a->config->listen);
		return RT_ERR_CONFIG;
	}
	/* poll, not epoll: libmicrohttpd 0.9.75's epoll mode takes a short read
	 * for "drained", so a close that comes with a client's last bytes is
	 * never read (no new edge) and the connection is held HTTP_TIMEOUT */
	a->httpd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
	    MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG | (ipv6 ? MHD_USE_IPv6 : 0),
	    0, NULL, NULL, http_answer, a,
	    MHD_OPTION_EXTERNAL_LOGGER, http_log, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)a->config->http_threads,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HTTP_CONNECTIONS,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_TIMEOUT,
	    MHD_OPTION_NOTIFY_COMPLETED, http_completed, NULL,
	    MHD_OPTION_NOTIFY_CONNECTION, http_connection, NULL,
	    MHD_OPTION_END);
	if (a->httpd == NULL) {
		log_err("event=http_listen_failed addr=%s", a->config->listen);
		return RT_ERR_IO;
	}
	info = MHD_get_daemon_info(a->httpd, MHD_DAEMON_INFO_BIND_PORT);
	a->http_port = info != NULL ? info->port : 0;
	log_info("event=http_listening addr=%s port=%d", a->config->listen, a->http_port);
	return 0;
}

void
agent_http_stop(struct agent *a)
{
	if (a->httpd != NULL)
		MHD_stop_daemon(a->httpd);
	a->httpd = NULL;
}
