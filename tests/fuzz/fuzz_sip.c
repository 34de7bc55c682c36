/*
 * libFuzzer target: what the agent does with a SIP request the proxy hands
 * it. rt_sip_parse, then every header through rt_sip_next, the list
 * headers split with rt_sip_split_list, every name-addr, URI, parameter
 * and Date the agent would look at parsed. Each value helper also gets the
 * raw input, so it is fuzzed past what the message parser lets through.
 *
 * Only memory safety is asserted (with the sanitizers), plus that every
 * string a function hands back lies inside the bytes it was given:
 * abort() otherwise.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rt_sip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *lo, *hi;	/* the bounds strings must stay within */

static void
inside(struct rt_sip_str s)
{
	if (s.len == 0)
		return;
	if (s.p == NULL || s.p < lo || s.len > (size_t)(hi - s.p))
		abort();
}

static void
check_params(struct rt_sip_str params)
{
	static const char *const names[] = {
		"tag", "lr", "branch", "expires", "transport", "received", "rport",
		"maddr", "+sip.instance", "reg-id", "q", "user",
	};
	struct rt_sip_str v;

	inside(params);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (rt_sip_param(params, names[i], &v) == 0)
			inside(v);
}

static void
check_uri(struct rt_sip_str s)
{
	struct rt_sip_uri u;
	char copy[256];

	if (rt_sip_uri_parse(s, &u) != 0)
		return;
	inside(u.scheme);
	inside(u.user);
	inside(u.password);
	inside(u.host);
	inside(u.port_str);
	inside(u.headers);
	if (u.port < 0 || u.port > 65535)
		abort();
	check_params(u.params);
	(void)!rt_sip_str_copy(u.host, copy, sizeof(copy));
}

static void
check_name_addr(struct rt_sip_str value)
{
	struct rt_sip_str uri, display, params;

	if (rt_sip_name_addr(value, &uri, &display, &params) != 0)
		return;
	inside(uri);
	inside(display);
	check_params(params);
	check_uri(uri);
}

static int
list_elem(void *arg, struct rt_sip_str elem)
{
	enum rt_sip_hdr id = *(const enum rt_sip_hdr *)arg;

	inside(elem);
	if (elem.len == 0)
		abort();	/* elements are never empty */
	if (id != RT_HDR_VIA) {
		check_name_addr(elem);
	} else {
		/* sent-protocol SP sent-by, then the params */
		const char *semi = memchr(elem.p, ';', elem.len);

		if (semi != NULL) {
			elem.len -= (size_t)(semi - elem.p);
			elem.p = semi;
			check_params(elem);
		}
	}
	return 0;
}

static void
check_header(const struct rt_sip_header *h)
{
	enum rt_sip_hdr id = h->id;
	time_t t;
	char copy[64];

	inside(h->name);
	inside(h->value);
	switch (h->id) {
	case RT_HDR_VIA:
	case RT_HDR_ROUTE:
	case RT_HDR_RECORD_ROUTE:
	case RT_HDR_PATH:
	case RT_HDR_CONTACT:
	case RT_HDR_SECURITY_CLIENT:
	case RT_HDR_SECURITY_VERIFY:
		(void)rt_sip_split_list(h->value, list_elem, &id);
		break;
	case RT_HDR_FROM:
	case RT_HDR_TO:
	case RT_HDR_P_ASSERTED_IDENTITY:
	case RT_HDR_P_PREFERRED_IDENTITY:
	case RT_HDR_REFER_TO:
		check_name_addr(h->value);
		break;
	case RT_HDR_DATE:
		(void)!rt_sip_date_parse(h->value, &t);
		break;
	default:
		(void)!rt_sip_str_copy(h->value, copy, sizeof(copy));
		break;
	}
}

/*
 * What an accepted head must be, whatever the parser's path to it: lines
 * ending in CRLF with no bare CR or LF, no NUL, no folded line, and an
 * empty line just before the body.
 */
static void
check_head(const struct rt_sip_msg *msg)
{
	size_t n;

	if (msg->body.len > 0 && msg->body.p == NULL)
		abort();
	n = msg->body.len > 0 ? (size_t)(msg->body.p - lo) : (size_t)(hi - lo);
	if (n < 4 || memcmp(lo + n - 4, "\r\n\r\n", 4) != 0)
		abort();
	for (size_t i = 0; i < n; i++) {
		if (lo[i] == '\0' || (lo[i] == '\r' && lo[i + 1] != '\n') ||
		    (lo[i] == '\n' && (i == 0 || lo[i - 1] != '\r')))
			abort();
		if (lo[i] == '\n' && i + 1 < n && (lo[i + 1] == ' ' || lo[i + 1] == '\t'))
			abort();
	}
}

static void
check_msg(const struct rt_sip_msg *msg)
{
	check_head(msg);
	inside(msg->method_name);
	inside(msg->ruri);
	inside(msg->cseq_method);
	inside(msg->body);
	if (msg->nheaders < 0 || msg->nheaders > RT_SIP_MAX_HEADERS)
		abort();
	for (int id = 0; id < RT_HDR_COUNT; id++) {
		int n = 0, prev = -1;

		for (int i = rt_sip_next(msg, (enum rt_sip_hdr)id, -1); i >= 0;
		    i = rt_sip_next(msg, (enum rt_sip_hdr)id, i)) {
			if (i <= prev || i >= msg->nheaders ||
			    msg->headers[i].id != (enum rt_sip_hdr)id)
				abort();
			if (n == 0 && i != msg->first[id])
				abort();
			check_header(&msg->headers[i]);
			prev = i;
			n++;
		}
		if (n != msg->count[id])
			abort();
	}
	if (msg->content_length >= 0 && (size_t)msg->content_length != msg->body.len)
		abort();
	check_uri(msg->ruri);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rt_sip_msg msg;	/* 5 KB: off the stack */
	struct rt_sip_str raw;
	const char *why = NULL;
	time_t t;
	enum rt_sip_hdr via = RT_HDR_VIA, route = RT_HDR_ROUTE;

	lo = (const char *)data;
	hi = lo + size;
	raw.p = lo;
	raw.len = size;
	if (rt_sip_parse(lo, size, &msg, &why) == 0) {
		if (why != NULL)
			abort();
		check_msg(&msg);
	} else if (why == NULL) {
		abort();	/* every refusal has a reason */
	}
	/* the value helpers on the raw bytes too */
	(void)rt_sip_split_list(raw, list_elem, &route);
	(void)rt_sip_split_list(raw, list_elem, &via);
	check_name_addr(raw);
	check_uri(raw);
	check_params(raw);
	(void)!rt_sip_date_parse(raw, &t);
	return 0;
}
