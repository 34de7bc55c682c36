/*
 * rt_admin: the local admin socket between a daemon and its CLI.
 *
 * `roamtrust-broker status` (and peers, subscriber add ...) sends its argv
 * to the running daemon over an nng req/rep pair on an ipc:// socket
 * whose file is mode 0600, so only the daemon's user can talk to it (nng
 * chmods the file before it listens, so there is no window with wider
 * access; keep it in a 0700 run folder as well). Remote admin would need a
 * password and a TOTP code and is not built: non-ipc URLs are refused.
 *
 * Wire format. Request: the arguments, each NUL-terminated, back to back
 * (1..RT_ADMIN_MAX_ARGS of them, RT_ADMIN_REQ_MAX bytes in all; argv[0]
 * must not be empty). Reply: one status byte (0 ok, else an exit status
 * 1..125) then UTF-8 text of at most RT_ADMIN_REPLY_MAX bytes. Both ends
 * cap what nng will receive, and a request that does not decode gets
 * status 2 and "bad request" without reaching the handler.
 *
 * The daemon side runs one request at a time on an nng worker thread, so
 * handlers need not be reentrant; they must not block for long, as the
 * next command waits. A client that times out does not cancel the
 * command: the daemon still runs it. The request is never resent.
 *
 * nng 1.5.2 (Debian 12) stops accepting on a listener for good when a peer
 * hangs up in the middle of the 8-byte SP handshake (nng #1518). Our own
 * probe for a live daemon completes the handshake; a client killed in
 * those microseconds, or a bare connect-and-close by the daemon's own
 * user, leaves the admin socket dead until the daemon restarts.
 */
#ifndef RT_ADMIN_H
#define RT_ADMIN_H

#include <stddef.h>
#include <stdint.h>

#include "rt_buf.h"
#include "rt_err.h"

#define RT_ADMIN_MAX_ARGS 64
#define RT_ADMIN_REQ_MAX (64 * 1024)
#define RT_ADMIN_REPLY_MAX (1024 * 1024)	/* text, after the status */
#define RT_ADMIN_STATUS_BAD_REQUEST 2

struct rt_admin;

/*
 * argv[0] is the command ("peers"), argv[argc] is NULL; append the answer
 * to out (capped at RT_ADMIN_REPLY_MAX: appends past it fail) and return
 * an exit status, 0 for ok. A negative RT_ERR_* is sent as status 1 with
 * "error: <reason>" added when out is empty; statuses over 125 become 1.
 */
typedef int (*rt_admin_handler)(void *arg, int argc, char **argv,
    struct rt_buf *out);

/*
 * Listens on url ("ipc:///path"; RT_ERR_BAD_INPUT for any other scheme or
 * a path too long for a socket). A socket file left by a dead daemon is
 * removed; RT_ERR_EXISTS when a live daemon answers on it or the path is
 * not a socket; RT_ERR_PERM when the folder refuses us.
 */
int rt_admin_listen(const char *url, rt_admin_handler fn, void *arg,
    struct rt_admin **adminp) RT_WUR;
/* Waits for a running handler, stops, removes the socket file. NULL-safe. */
void rt_admin_close(struct rt_admin *admin);

/*
 * Client side (the CLI): sends argv[0..argc-1], waits up to timeout_ms
 * (<= 0: 10 s) for the reply; appends the text to out and stores the
 * status in *statusp. RT_ERR_UNAVAILABLE when nothing listens (logged as
 * "daemon not running?"), RT_ERR_TIMEOUT, RT_ERR_PERM when the socket file
 * cannot be opened for permission reasons, RT_ERR_BAD_INPUT for a non-ipc
 * url or argv the wire cannot carry, RT_ERR_TOO_BIG when out's cap is hit.
 */
int rt_admin_call(const char *url, int argc, char **argv, int timeout_ms,
    struct rt_buf *out, int *statusp) RT_WUR;

/*
 * Decodes a request (exposed for the fuzz target). Returns 0 with *argcp
 * and a NULL-terminated *argvp (one allocation: free with
 * rt_admin_argv_free), or RT_ERR_BAD_INPUT / RT_ERR_TOO_BIG /
 * RT_ERR_NOMEM with *argvp == NULL.
 */
int rt_admin_decode(const uint8_t *buf, size_t len, int *argcp,
    char ***argvp) RT_WUR;
void rt_admin_argv_free(char **argv);
/* Encodes argv for the wire into out (appended). RT_ERR_BAD_INPUT when
 * argc is out of range or an argument is NULL; RT_ERR_TOO_BIG when over
 * RT_ADMIN_REQ_MAX. */
int rt_admin_encode(int argc, char **argv, struct rt_buf *out) RT_WUR;

#endif
