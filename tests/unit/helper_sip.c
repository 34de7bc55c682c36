#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "helper_sip.h"

struct sip_parsed sip_p;

struct sip_parsed *
sip_run_len(const char *tmpl, size_t len)
{
	const char *end = tmpl + len, *body = NULL, *p;
	size_t o = 0, cl_len;
	char cl[24];

	for (p = tmpl; p + 4 <= end; p++)
		if (memcmp(p, "\r\n\r\n", 4) == 0) {
			body = p + 4;
			break;
		}
	snprintf(cl, sizeof(cl), "%zu", body != NULL ? (size_t)(end - body) : 0);
	cl_len = strlen(cl);
	for (p = tmpl; p < end;) {
		assert_true(o + cl_len < sizeof(sip_p.buf));
		if (end - p >= 4 && memcmp(p, "@CL@", 4) == 0) {
			memcpy(sip_p.buf + o, cl, cl_len);
			o += cl_len;
			p += 4;
		} else {
			sip_p.buf[o++] = *p++;
		}
	}
	sip_p.len = o;
	sip_p.why = NULL;
	sip_p.r = rt_sip_parse(sip_p.buf, sip_p.len, &sip_p.msg, &sip_p.why);
	return &sip_p;
}

struct sip_parsed *
sip_run(const char *tmpl)
{
	return sip_run_len(tmpl, strlen(tmpl));
}

void
sip_assert_ok(const char *name, const struct sip_parsed *p)
{
	if (p->r != 0)
		fail_msg("%s refused: %d \"%s\"", name, p->r,
		    p->why != NULL ? p->why : "(null)");
}

void
sip_assert_str(struct rt_sip_str s, const char *want)
{
	if (!rt_sip_str_eq(s, want))
		fail_msg("got \"%.*s\", want \"%s\"", (int)s.len,
		    s.p != NULL ? s.p : "", want);
}

struct rt_sip_str
sip_value_of(enum rt_sip_hdr id)
{
	assert_true(sip_p.msg.first[id] >= 0);
	return sip_p.msg.headers[sip_p.msg.first[id]].value;
}

void
sip_check_name_addr(enum rt_sip_hdr id, const char *uri, const char *display,
    const char *param, const char *param_value)
{
	struct rt_sip_str u, d, params, v;

	assert_int_equal(rt_sip_name_addr(sip_value_of(id), &u, &d, &params), 0);
	sip_assert_str(u, uri);
	sip_assert_str(d, display);
	if (param != NULL) {
		assert_int_equal(rt_sip_param(params, param, &v), 0);
		sip_assert_str(v, param_value);
	}
}
