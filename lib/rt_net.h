/*
 * rt_net: the HOST:PORT addresses of configuration files ("127.0.0.1:8080",
 * "[::1]:9101") as socket addresses. Literal addresses only: a daemon's
 * listening address never depends on a name lookup.
 */
#ifndef RT_NET_H
#define RT_NET_H

#include <sys/socket.h>

#include "rt_err.h"

/* Fills *ss; *ipv6p tells the family. RT_ERR_BAD_INPUT when malformed. */
int rt_net_addr_parse(const char *addr, struct sockaddr_storage *ss, int *ipv6p) RT_WUR;

#endif
