/* Network addresses in configuration: see rt_net.h. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <nng/nng.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_net.h"

/* A decimal port, 0-65535, that is all of s. */
static int
port_parse(const char *s, unsigned long *portp)
{
	char *stop;

	if (s == NULL || s[0] < '0' || s[0] > '9')
		return RT_ERR_BAD_INPUT;
	*portp = strtoul(s, &stop, 10);
	return *stop != '\0' || *portp > 65535 || stop - s > 5 ? RT_ERR_BAD_INPUT : 0;
}

/* "1.2.3.4:80" or "[::1]:80" into *ss; a literal address, never a name. */
int
rt_net_addr_parse(const char *addr, struct sockaddr_storage *ss, int *ipv6p)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port, *end;
	unsigned long value;
	size_t hostlen;

	memset(ss, 0, sizeof(*ss));
	if (addr == NULL)
		return RT_ERR_BAD_INPUT;
	*ipv6p = addr[0] == '[';
	if (*ipv6p) {
		if ((end = strchr(addr, ']')) == NULL || end[1] != ':')
			return RT_ERR_BAD_INPUT;
		hostlen = (size_t)(end - addr - 1);
		addr++;
		port = end + 2;
	} else {
		if ((end = strchr(addr, ':')) == NULL ||
		    strchr(end + 1, ':') != NULL)
			return RT_ERR_BAD_INPUT;
		hostlen = (size_t)(end - addr);
		port = end + 1;
	}
	if (hostlen == 0 || hostlen >= sizeof(host) || port_parse(port, &value) != 0)
		return RT_ERR_BAD_INPUT;
	memcpy(host, addr, hostlen);
	host[hostlen] = '\0';
	if (*ipv6p) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)value);
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			return RT_ERR_BAD_INPUT;
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)value);
		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			return RT_ERR_BAD_INPUT;
	}
	return 0;
}


/* A host name or literal address as nng takes it; a listener's may be
 * empty or "*" (every address). */
static int
url_host_ok(const char *host, int listening)
{
	if (host == NULL || host[0] == '\0' || strcmp(host, "*") == 0)
		return listening;
	if (strlen(host) > 253)
		return 0;
	for (const char *c = host; *c != '\0'; c++)
		if (!(*c >= 'a' && *c <= 'z') && !(*c >= 'A' && *c <= 'Z') &&
		    !(*c >= '0' && *c <= '9') && *c != '.' && *c != '-' && *c != ':')
			return 0;
	return 1;
}

/* Why u is not a URL flags allow, or NULL. */
static const char *
url_problem(const nng_url *u, int flags)
{
	int listening = (flags & RT_URL_LISTEN) != 0;
	unsigned long port = 0;

	if (strcmp(u->u_scheme, "ipc") == 0 && (flags & RT_URL_IPC))
		return u->u_path == NULL || u->u_path[0] == '\0' ? "no path" : NULL;
	if (strcmp(u->u_scheme, "tls+tcp") != 0 || !(flags & RT_URL_TLS))
		return "a scheme not allowed here";
	if (!url_host_ok(u->u_hostname, listening))
		return "no valid host";
	if (port_parse(u->u_port, &port) != 0 || (port == 0 && !listening))
		return "no valid port (1-65535)";
	if ((u->u_path != NULL && u->u_path[0] != '\0' && strcmp(u->u_path, "/") != 0) ||
	    (u->u_query != NULL && u->u_query[0] != '\0') ||
	    (u->u_fragment != NULL && u->u_fragment[0] != '\0') ||
	    (u->u_userinfo != NULL && u->u_userinfo[0] != '\0'))
		return "something besides HOST:PORT (a user, path or query)";
	return NULL;
}

int
rt_net_url_check(const char *url, int flags, char *why, size_t whycap)
{
	const char *problem;
	nng_url *u = NULL;

	if (url == NULL || nng_url_parse(&u, url) != 0)
		problem = "not a URL";
	else
		problem = url_problem(u, flags);
	if (problem != NULL)
		snprintf(why, whycap, "%s: want %s%s%s", problem,
		    flags & RT_URL_TLS ? "tls+tcp://HOST:PORT" : "",
		    (flags & RT_URL_TLS) && (flags & RT_URL_IPC) ? " or " : "",
		    flags & RT_URL_IPC ? "ipc://PATH" : "");
	if (u != NULL)
		nng_url_free(u);
	return problem != NULL ? RT_ERR_BAD_INPUT : 0;
}
