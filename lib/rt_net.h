/*
 * rt_net: the HOST:PORT addresses of configuration files ("127.0.0.1:8080",
 * "[::1]:9101") as socket addresses. Literal addresses only: a daemon's
 * listening address never depends on a name lookup. And the nng URLs of
 * configuration files, checked without being used (`check -c FILE`).
 */
#ifndef RT_NET_H
#define RT_NET_H

#include <sys/socket.h>

#include "rt_err.h"

/* Fills *ss; *ipv6p tells the family. RT_ERR_BAD_INPUT when malformed. */
int rt_net_addr_parse(const char *addr, struct sockaddr_storage *ss, int *ipv6p) RT_WUR;

#define RT_URL_TLS 0x1		/* tls+tcp://HOST:PORT allowed */
#define RT_URL_IPC 0x2		/* ipc://PATH allowed */
#define RT_URL_LISTEN 0x4	/* a listener's: HOST may be empty or "*" */

/*
 * Whether url is an nng URL of a scheme flags allow: tls+tcp://HOST:PORT
 * (a port 1-65535, or 0 for a listener; nothing after it) or ipc://PATH.
 * Parsed only: nothing is resolved, bound or dialed. 0, or
 * RT_ERR_BAD_INPUT with a phrase in why.
 */
int rt_net_url_check(const char *url, int flags, char *why, size_t whycap) RT_WUR;

#endif
