/*
 * The /metrics endpoint of rt_metrics (see rt_metrics.h): libmicrohttpd on
 * a small internal thread pool, GET and HEAD of one path, nothing else.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "rt_log.h"
#include "rt_net.h"
#include "rt_metrics_int.h"

#define METRICS_HTTP_THREADS 2
#define METRICS_HTTP_CONNECTIONS 64
#define METRICS_HTTP_TIMEOUT 10		/* seconds */
#define METRICS_HTTP_MEMORY (32 * 1024)

static enum MHD_Result
http_reply(struct MHD_Connection *conn, unsigned int status,
    const char *text)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(strlen(text),
	    (void *)(uintptr_t)text, MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "text/plain; charset=utf-8") != MHD_YES ||
	    (status == MHD_HTTP_METHOD_NOT_ALLOWED &&
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW,
	    "GET, HEAD") != MHD_YES)) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* Marks a request whose headers were seen (MHD's per-request pointer). */
static int http_seen;

static enum MHD_Result
http_answer(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct rt_metrics *m = cls;
	struct MHD_Response *resp;
	const char *length;
	struct rt_buf text;
	enum MHD_Result ret;
	uint8_t *data;
	size_t len;

	(void)version;
	(void)upload_data;
	/*
	 * Refusals go out on the first call, before any body (MHD drops the
	 * rest and closes). A good request is answered on the second call,
	 * once MHD has it whole, so the connection stays open for the next
	 * scrape; a GET that announces a body is refused rather than read.
	 */
	if (*con_cls == NULL) {
		*con_cls = &http_seen;
		if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
		    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
			return http_reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
			    "method not allowed\n");
		if (strcmp(url, "/metrics") != 0)
			return http_reply(conn, MHD_HTTP_NOT_FOUND,
			    "not found\n");
		length = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_TRANSFER_ENCODING) != NULL ||
		    (length != NULL && strcmp(length, "0") != 0))
			return http_reply(conn, MHD_HTTP_BAD_REQUEST,
			    "unexpected body\n");
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		*upload_data_size = 0;		/* not reached: no body */
		return MHD_YES;
	}

	rt_buf_init(&text, RT_METRICS_RENDER_MAX);
	if (rt_metrics_render(m, &text) != 0) {
		rt_buf_fini(&text);
		log_err("event=metrics_render_failed");
		return http_reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "render failed\n");
	}
	if ((data = rt_buf_steal(&text, &len)) == NULL)
		resp = MHD_create_response_from_buffer(0, (void *)(uintptr_t)"",
		    MHD_RESPMEM_PERSISTENT);
	else if ((resp = MHD_create_response_from_buffer(len, data,
	    MHD_RESPMEM_MUST_FREE)) == NULL)
		free(data);
	if (resp == NULL)
		return MHD_NO;
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	    RT_METRICS_CONTENT_TYPE) != MHD_YES) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	ret = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
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
	log_warn("event=metrics_http_error msg=%s",
	    rt_log_value(msg, safe, sizeof(safe)));
}

int
rt_metrics_serve(struct rt_metrics *m, const char *addr, int *portp)
{
	struct sockaddr_storage ss;
	const union MHD_DaemonInfo *info;
	struct MHD_Daemon *daemon = NULL;
	unsigned int flags;
	char safe[128];
	int ipv6 = 0, busy, r;

	if (portp != NULL)
		*portp = 0;
	if (m == NULL)
		return RT_ERR_BAD_INPUT;
	if ((r = rt_net_addr_parse(addr, &ss, &ipv6)) != 0) {
		log_err("event=metrics_listen_failed addr=%s reason=bad_address",
		    rt_log_value(addr != NULL ? addr : "", safe, sizeof(safe)));
		return r;
	}
	pthread_mutex_lock(&m->lock);
	busy = m->daemon != NULL;
	pthread_mutex_unlock(&m->lock);
	if (busy)
		return RT_ERR_EXISTS;
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
	    MHD_USE_ERROR_LOG | (ipv6 ? MHD_USE_IPv6 : 0);
	/* The logger goes first so MHD reports nothing on its own. */
	daemon = MHD_start_daemon(flags, 0, NULL, NULL, http_answer, m,
	    MHD_OPTION_EXTERNAL_LOGGER, http_log, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)METRICS_HTTP_THREADS,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)METRICS_HTTP_CONNECTIONS,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)METRICS_HTTP_TIMEOUT,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)METRICS_HTTP_MEMORY,
	    MHD_OPTION_END);
	if (daemon == NULL) {
		log_err("event=metrics_listen_failed addr=%s",
		    rt_log_value(addr, safe, sizeof(safe)));
		return RT_ERR_IO;
	}
	pthread_mutex_lock(&m->lock);
	busy = m->daemon != NULL;
	if (!busy)
		m->daemon = daemon;
	pthread_mutex_unlock(&m->lock);
	if (busy) {
		MHD_stop_daemon(daemon);
		return RT_ERR_EXISTS;
	}
	info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
	if (portp != NULL && info != NULL)
		*portp = info->port;
	log_info("event=metrics_listening addr=%s port=%u",
	    rt_log_value(addr, safe, sizeof(safe)),
	    info != NULL ? (unsigned)info->port : 0u);
	return 0;
}

void
rt_metrics_stop(struct rt_metrics *m)
{
	struct MHD_Daemon *daemon;

	if (m == NULL)
		return;
	pthread_mutex_lock(&m->lock);
	daemon = m->daemon;
	m->daemon = NULL;
	pthread_mutex_unlock(&m->lock);
	/* Outside the lock: a scrape in progress needs it to finish. */
	if (daemon != NULL)
		MHD_stop_daemon(daemon);
}
