#include "rt_admin.h"

#include <errno.h>
#include <fcntl.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "rt_log.h"

#define ADMIN_SCHEME "ipc://"
#define ADMIN_MODE 0600
#define ADMIN_TIMEOUT_MS 10000
/* Room for the protocol header (request id, backtrace) nng counts too. */
#define ADMIN_WIRE_SLACK 1024
#define ADMIN_BAD_REQUEST "bad request\n"

enum admin_state {
	ADMIN_RECEIVING,
	ADMIN_SENDING
};

struct rt_admin {
	nng_socket sock;
	nng_aio *aio;
	enum admin_state state;
	rt_admin_handler fn;
	void *arg;
	char *path;
	dev_t dev;		/* the socket file we made, to remove only it */
	ino_t ino;
	int have_file;
};

int
rt_admin_decode(const uint8_t *buf, size_t len, int *argcp, char ***argvp)
{
	size_t i, argc = 0;
	char **argv, *strings;
	int n = 0;

	*argcp = 0;
	*argvp = NULL;
	if (buf == NULL || len == 0 || buf[len - 1] != '\0' || buf[0] == '\0')
		return RT_ERR_BAD_INPUT;
	if (len > RT_ADMIN_REQ_MAX)
		return RT_ERR_TOO_BIG;
	for (i = 0; i < len; i++) {
		if (buf[i] == '\0' && ++argc > RT_ADMIN_MAX_ARGS)
			return RT_ERR_BAD_INPUT;
	}
	/* The pointers, then a copy of the strings: one block to free. */
	if ((argv = malloc((argc + 1) * sizeof(*argv) + len)) == NULL)
		return RT_ERR_NOMEM;
	strings = (char *)(argv + argc + 1);
	memcpy(strings, buf, len);
	argv[n++] = strings;
	for (i = 0; i + 1 < len; i++) {
		if (strings[i] == '\0')
			argv[n++] = &strings[i + 1];
	}
	argv[n] = NULL;
	*argcp = n;
	*argvp = argv;
	return 0;
}

void
rt_admin_argv_free(char **argv)
{
	free(argv);
}

int
rt_admin_encode(int argc, char **argv, struct rt_buf *out)
{
	size_t total = 0, len, start = out->len;
	int i, r;

	if (argc < 1 || argc > RT_ADMIN_MAX_ARGS || argv == NULL ||
	    argv[0] == NULL || argv[0][0] == '\0')
		return RT_ERR_BAD_INPUT;
	for (i = 0; i < argc; i++) {
		if (argv[i] == NULL)
			return RT_ERR_BAD_INPUT;
		total += strlen(argv[i]) + 1;
		if (total > RT_ADMIN_REQ_MAX)
			return RT_ERR_TOO_BIG;
	}
	for (i = 0; i < argc; i++) {
		len = strlen(argv[i]) + 1;	/* with its NUL */
		if ((r = rt_buf_append(out, argv[i], len)) != 0) {
			out->len = start;
			if (out->data != NULL)
				out->data[start] = '\0';
			return r;
		}
	}
	return 0;
}

/* The file path of an ipc:// URL; NULL for anything else. */
static const char *
admin_url_path(const char *url)
{
	struct sockaddr_un sun;
	const char *path;

	if (url == NULL || strncmp(url, ADMIN_SCHEME, strlen(ADMIN_SCHEME)) != 0)
		return NULL;
	path = url + strlen(ADMIN_SCHEME);
	if (path[0] == '\0' || strlen(path) >= sizeof(sun.sun_path))
		return NULL;
	return path;
}

/* Runs the handler (or refuses the request) and builds the reply. */
static nng_msg *
admin_answer(struct rt_admin *admin, const uint8_t *req, size_t len)
{
	struct rt_buf out;
	nng_msg *reply = NULL;
	char **argv = NULL;
	char safe[64];
	uint8_t status_byte;
	int argc, status, r;

	rt_buf_init(&out, RT_ADMIN_REPLY_MAX);
	if ((r = rt_admin_decode(req, len, &argc, &argv)) != 0) {
		log_warn("event=admin_bad_request len=%zu reason=%s", len,
		    rt_errname(r));
		status = RT_ADMIN_STATUS_BAD_REQUEST;
		if (rt_buf_append_str(&out, ADMIN_BAD_REQUEST) != 0)
			goto out;
	} else {
		/* Only the command: arguments may hold passwords. */
		status = admin->fn(admin->arg, argc, argv, &out);
		if (status < 0) {
			if (out.len == 0 && rt_buf_printf(&out, "error: %s\n",
			    rt_strerror(status)) != 0)
				goto out;
			status = 1;
		} else if (status > 125)
			status = 1;
		log_info("event=admin_command cmd=%s argc=%d status=%d",
		    rt_log_value(argv[0], safe, sizeof(safe)), argc, status);
	}
	status_byte = (uint8_t)status;
	if (nng_msg_alloc(&reply, 0) != 0)
		goto out;
	if (nng_msg_append(reply, &status_byte, 1) != 0 ||
	    (out.len > 0 && nng_msg_append(reply, out.data, out.len) != 0)) {
		nng_msg_free(reply);
		reply = NULL;
	}
 out:
	if (reply == NULL)
		log_err("event=admin_reply_failed reason=nomem");
	rt_admin_argv_free(argv);
	rt_buf_fini(&out);
	return reply;
}

static void
admin_receive(struct rt_admin *admin)
{
	admin->state = ADMIN_RECEIVING;
	nng_recv_aio(admin->sock, admin->aio);
}

/*
 * The one aio alternates receive and send on the socket itself, so
 * requests are handled one at a time. A closed socket ends the loop:
 * nothing is resubmitted after NNG_ECLOSED or NNG_ECANCELED. (Not an
 * nng_ctx: in nng 1.5.2 a context released by nng_ctx_send while
 * nng_close runs can touch the freed socket and panic.)
 */
static void
admin_cb(void *arg)
{
	struct rt_admin *admin = arg;
	nng_msg *msg, *reply;
	int rv = nng_aio_result(admin->aio);

	if (admin->state == ADMIN_SENDING) {
		if (rv != 0 && (msg = nng_aio_get_msg(admin->aio)) != NULL)
			nng_msg_free(msg);	/* not sent: still ours */
		if (rv == NNG_ECLOSED || rv == NNG_ECANCELED)
			return;
		admin_receive(admin);
		return;
	}
	if (rv == NNG_ECLOSED || rv == NNG_ECANCELED)
		return;
	if (rv != 0) {
		log_warn("event=admin_recv_failed error=\"%s\"",
		    nng_strerror(rv));
		admin_receive(admin);
		return;
	}
	msg = nng_aio_get_msg(admin->aio);
	reply = admin_answer(admin, nng_msg_body(msg), nng_msg_len(msg));
	nng_msg_free(msg);
	if (reply == NULL) {
		admin_receive(admin);
		return;
	}
	admin->state = ADMIN_SENDING;
	nng_aio_set_msg(admin->aio, reply);
	nng_send_aio(admin->sock, admin->aio);
}

/*
 * Greets a live listener the way an nng req0 peer would (the 8-byte SP
 * header: 0, 'S', 'P', 0, protocol 0x0030, 0, 0) and waits for its
 * header before hanging up. nng 1.5.2 stops accepting for good when a
 * peer hangs up in the middle of that handshake (nng issue #1518, fixed
 * upstream after 1.5.2), so a bare connect-and-close probe would take the live
 * daemon's admin socket down.
 */
static void
admin_greet(int fd)
{
	static const uint8_t req0_header[8] = {0, 'S', 'P', 0, 0, 0x30, 0, 0};
	struct timeval tv = {1, 0};
	uint8_t reply[8];
	size_t got = 0;
	ssize_t n;

	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (send(fd, req0_header, sizeof(req0_header), MSG_NOSIGNAL) !=
	    (ssize_t)sizeof(req0_header))
		return;
	while (got < sizeof(reply) &&
	    (n = recv(fd, reply + got, sizeof(reply) - got, 0)) > 0)
		got += (size_t)n;
}

/*
 * Clears the way for our socket file: nothing there is fine; a socket
 * nobody answers on is a dead daemon's and goes; a live one, or a file
 * that is no socket, is not ours to touch.
 */
static int
admin_clear_stale(const char *path)
{
	struct sockaddr_un sun;
	struct timeval tv = {1, 0};
	struct stat st;
	int fd, r;

	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		return errno == EACCES ? RT_ERR_PERM : RT_ERR_IO;
	}
	if (!S_ISSOCK(st.st_mode))
		return RT_ERR_EXISTS;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return RT_ERR_IO;
	/* A live listener with a full queue makes connect wait this long. */
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		admin_greet(fd);
		r = RT_ERR_EXISTS;
	} else if (errno == EAGAIN || errno == EINPROGRESS)
		r = RT_ERR_EXISTS;
	else if (errno == ENOENT)
		r = 0;			/* gone meanwhile */
	else if (errno == ECONNREFUSED) {
		r = 0;
		if (unlink(path) != 0 && errno != ENOENT)
			r = errno == EACCES || errno == EPERM ? RT_ERR_PERM :
			    RT_ERR_IO;
		else
			log_info("event=admin_stale_socket_removed");
	} else
		r = errno == EACCES || errno == EPERM ? RT_ERR_PERM : RT_ERR_IO;
	close(fd);
	return r;
}

static int
admin_nng_err(int rv)
{
	switch (rv) {
	case NNG_ENOMEM:
		return RT_ERR_NOMEM;
	case NNG_EADDRINUSE:
		return RT_ERR_EXISTS;
	case NNG_EPERM:
		return RT_ERR_PERM;
	case NNG_ENOENT:
	case NNG_ECONNREFUSED:
	case NNG_ECONNSHUT:
	case NNG_ECLOSED:
		return RT_ERR_UNAVAILABLE;
	case NNG_ETIMEDOUT:
		return RT_ERR_TIMEOUT;
	case NNG_EADDRINVAL:
	case NNG_EINVAL:
		return RT_ERR_BAD_INPUT;
	default:
		return RT_ERR_IO;
	}
}

int
rt_admin_listen(const char *url, rt_admin_handler fn, void *arg,
    struct rt_admin **adminp)
{
	struct rt_admin *admin = NULL;
	nng_listener listener;
	const char *path;
	struct stat st;
	char safe[160];
	int rv, r = RT_ERR_INTERNAL;

	*adminp = NULL;
	if (fn == NULL)
		return RT_ERR_BAD_INPUT;
	if ((path = admin_url_path(url)) == NULL) {
		log_err("event=admin_listen_refused url=%s reason=not_local_ipc",
		    rt_log_value(url != NULL ? url : "", safe, sizeof(safe)));
		return RT_ERR_BAD_INPUT;
	}
	if ((r = admin_clear_stale(path)) != 0) {
		log_err("event=admin_listen_refused path=%s reason=%s",
		    rt_log_value(path, safe, sizeof(safe)), r == RT_ERR_EXISTS ?
		    "in_use_or_not_a_socket" : rt_errname(r));
		return r;
	}
	if ((admin = calloc(1, sizeof(*admin))) == NULL ||
	    (admin->path = strdup(path)) == NULL) {
		r = RT_ERR_NOMEM;
		goto out;
	}
	admin->fn = fn;
	admin->arg = arg;
	if ((rv = nng_rep0_open(&admin->sock)) != 0)
		goto nng_fail;
	if ((rv = nng_socket_set_size(admin->sock, NNG_OPT_RECVMAXSZ,
	    RT_ADMIN_REQ_MAX + ADMIN_WIRE_SLACK)) != 0 ||
	    (rv = nng_aio_alloc(&admin->aio, admin_cb, admin)) != 0 ||
	    (rv = nng_listener_create(&listener, admin->sock, url)) != 0 ||
	    (rv = nng_listener_set_int(listener, NNG_OPT_IPC_PERMISSIONS,
	    ADMIN_MODE)) != 0 ||
	    (rv = nng_listener_start(listener, 0)) != 0)
		goto nng_fail;
	if (lstat(path, &st) == 0) {
		admin->dev = st.st_dev;
		admin->ino = st.st_ino;
		admin->have_file = 1;
	}
	admin_receive(admin);
	log_info("event=admin_listening path=%s",
	    rt_log_value(path, safe, sizeof(safe)));
	*adminp = admin;
	admin = NULL;
	r = 0;
	goto out;
 nng_fail:
	r = admin_nng_err(rv);
	log_err("event=admin_listen_failed path=%s error=\"%s\"",
	    rt_log_value(path, safe, sizeof(safe)), nng_strerror(rv));
 out:
	rt_admin_close(admin);
	return r;
}

void
rt_admin_close(struct rt_admin *admin)
{
	struct stat st;

	if (admin == NULL)
		return;
	/* Closing fails the pending receive; the callback then stops. */
	if (nng_socket_id(admin->sock) > 0)
		nng_close(admin->sock);
	if (admin->aio != NULL) {
		nng_aio_stop(admin->aio);
		nng_aio_free(admin->aio);
	}
	/* nng removes its file on close; make sure, but only ours. */
	if (admin->have_file && lstat(admin->path, &st) == 0 &&
	    st.st_dev == admin->dev && st.st_ino == admin->ino)
		(void)unlink(admin->path);
	free(admin->path);
	free(admin);
}

/* Sends the encoded request and waits for the reply message. */
static int
admin_exchange(const char *url, const struct rt_buf *req, int timeout_ms,
    nng_msg **replyp)
{
	nng_socket sock = NNG_SOCKET_INITIALIZER;
	nng_msg *msg = NULL;
	int rv;

	*replyp = NULL;
	if ((rv = nng_req0_open(&sock)) != 0)
		return admin_nng_err(rv);
	/* Never resend: admin commands are not idempotent. */
	if ((rv = nng_socket_set_ms(sock, NNG_OPT_REQ_RESENDTIME,
	    NNG_DURATION_INFINITE)) != 0 ||
	    (rv = nng_socket_set_size(sock, NNG_OPT_RECVMAXSZ,
	    RT_ADMIN_REPLY_MAX + 1 + ADMIN_WIRE_SLACK)) != 0 ||
	    (rv = nng_socket_set_ms(sock, NNG_OPT_RECVTIMEO, timeout_ms)) != 0 ||
	    (rv = nng_socket_set_ms(sock, NNG_OPT_SENDTIMEO, timeout_ms)) != 0 ||
	    (rv = nng_dial(sock, url, NULL, 0)) != 0 ||
	    (rv = nng_msg_alloc(&msg, 0)) != 0 ||
	    (rv = nng_msg_append(msg, req->data, req->len)) != 0 ||
	    (rv = nng_sendmsg(sock, msg, 0)) != 0)
		goto out;
	msg = NULL;		/* nng owns it once sent */
	if ((rv = nng_recvmsg(sock, &msg, 0)) != 0)
		goto out;
	*replyp = msg;
	msg = NULL;
 out:
	if (msg != NULL)
		nng_msg_free(msg);
	nng_close(sock);
	return rv == 0 ? 0 : admin_nng_err(rv);
}

int
rt_admin_call(const char *url, int argc, char **argv, int timeout_ms,
    struct rt_buf *out, int *statusp)
{
	struct rt_buf req;
	nng_msg *reply = NULL;
	const uint8_t *body;
	char safe[160];
	size_t len;
	int r;

	*statusp = -1;
	rt_buf_init(&req, RT_ADMIN_REQ_MAX);
	if (admin_url_path(url) == NULL) {
		r = RT_ERR_BAD_INPUT;
		goto out;
	}
	if ((r = rt_admin_encode(argc, argv, &req)) != 0)
		goto out;
	if (timeout_ms <= 0)
		timeout_ms = ADMIN_TIMEOUT_MS;
	if ((r = admin_exchange(url, &req, timeout_ms, &reply)) != 0) {
		if (r == RT_ERR_UNAVAILABLE)
			log_err("event=admin_unavailable path=%s "
			    "hint=\"daemon not running?\"", rt_log_value(
			    admin_url_path(url), safe, sizeof(safe)));
		else if (r == RT_ERR_PERM)
			log_err("event=admin_denied path=%s hint=\"run as the "
			    "daemon's user\"", rt_log_value(admin_url_path(url),
			    safe, sizeof(safe)));
		goto out;
	}
	body = nng_msg_body(reply);
	len = nng_msg_len(reply);
	if (len < 1 || body[0] > 125 || len - 1 > RT_ADMIN_REPLY_MAX) {
		r = RT_ERR_BAD_INPUT;
		goto out;
	}
	if ((r = rt_buf_append(out, body + 1, len - 1)) != 0)
		goto out;
	*statusp = body[0];
	r = 0;
 out:
	if (reply != NULL)
		nng_msg_free(reply);
	rt_buf_fini(&req);
	return r;
}
