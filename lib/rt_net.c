/* Network addresses in configuration: see rt_net.h. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "rt_net.h"

/* "1.2.3.4:80" or "[::1]:80" into *ss; a literal address, never a name. */
int
rt_net_addr_parse(const char *addr, struct sockaddr_storage *ss, int *ipv6p)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port, *end;
	unsigned long value;
	size_t hostlen;
	char *stop;

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
	if (hostlen == 0 || hostlen >= sizeof(host) || port[0] < '0' ||
	    port[0] > '9')
		return RT_ERR_BAD_INPUT;
	memcpy(host, addr, hostlen);
	host[hostlen] = '\0';
	value = strtoul(port, &stop, 10);
	if (*stop != '\0' || value > 65535 || stop - port > 5)
		return RT_ERR_BAD_INPUT;
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

