/* See helper_bench.h. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "helper_bench.h"
#include "rt_cms.h"
#include "rt_doc.h"
#include "rt_file.h"

int
th_free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* "name:unit:rate,..." into a's services. */
static int
parse_services(const char *spec, struct rt_agreement *a)
{
	char copy[512], *save = NULL;

	snprintf(copy, sizeof(copy), "%s", spec);
	for (char *tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		struct rt_agreement_service *s = &a->services[a->nservices];
		char *u = strchr(tok, ':'), *r;

		if (u == NULL || (r = strchr(u + 1, ':')) == NULL ||
		    a->nservices >= RT_SERVICES_MAX)
			return RT_ERR_BAD_INPUT;
		*u++ = '\0';
		*r++ = '\0';
		snprintf(s->name, sizeof(s->name), "%s", tok);
		snprintf(s->unit, sizeof(s->unit), "%s", u);
		s->rate = (uint32_t)strtoul(r, NULL, 10);
		a->nservices++;
	}
	return 0;
}

int
th_write_agreement(const struct th_realm *home, const struct th_realm *visited,
    const char *dir, const char *name, const char *services, long max_assertion)
{
	struct rt_signer *sh = NULL, *sv = NULL;
	struct rt_buf xml, sig1, sig2;
	struct rt_agreement ag;
	char path[1024];
	int r;

	memset(&ag, 0, sizeof(ag));
	rt_buf_init(&xml, RT_XML_MAX);
	rt_buf_init(&sig1, RT_CMS_SIG_MAX);
	rt_buf_init(&sig2, RT_CMS_SIG_MAX);
	snprintf(ag.home, sizeof(ag.home), "%s", home->realm);
	snprintf(ag.visited, sizeof(ag.visited), "%s", visited->realm);
	snprintf(ag.currency, sizeof(ag.currency), "EUR");
	ag.max_assertion = (uint32_t)max_assertion;
	ag.not_before = time(NULL) - 60;
	ag.not_on_or_after = time(NULL) + 86400;
	if ((r = rt_uuid_v4(ag.id)) != 0 || (r = parse_services(services, &ag)) != 0 ||
	    (r = rt_signer_new(home->key, home->cert, &sh)) != 0 ||
	    (r = rt_signer_new(visited->key, visited->cert, &sv)) != 0 ||
	    (r = rt_agreement_encode(&ag, &xml)) != 0 ||
	    (r = rt_cms_sign(sh, xml.data, xml.len, RT_CMS_EMBED_CERT, &sig1)) != 0 ||
	    (r = rt_cms_add_signer(sv, xml.data, xml.len, sig1.data, sig1.len,
	    RT_CMS_EMBED_CERT, &sig2)) != 0)
		goto out;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s.xml", dir, name) >= sizeof(path)) {
		r = RT_ERR_TOO_BIG;
		goto out;
	}
	if ((r = rt_file_write(path, xml.data, xml.len, 0644, 0)) != 0)
		goto out;
	snprintf(path, sizeof(path), "%s/%s.xml.sig", dir, name);
	r = rt_file_write(path, sig2.data, sig2.len, 0644, 0);
 out:
	rt_signer_free(sh);
	rt_signer_free(sv);
	rt_buf_fini(&xml);
	rt_buf_fini(&sig1);
	rt_buf_fini(&sig2);
	return r;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

double
th_percentile_ms(uint64_t *ns, size_t n, double p)
{
	if (n == 0)
		return 0;
	qsort(ns, n, sizeof(*ns), cmp_u64);
	return (double)ns[(size_t)(p * (double)(n - 1))] / 1e6;
}
