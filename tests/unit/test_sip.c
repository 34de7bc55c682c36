/*
 * rt_sip: parsing requests as sipp sends them, compact forms, the header
 * walk, and every refusal with its exact reason; limits and truncation.
 * The RFC 4475 torture messages are in test_sip_torture*.c; method and
 * header names and the value helpers (lists, name-addr, URIs, params,
 * Date) in test_sip_util.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helper_sip.h"
#include "rt_log.h"
#include "rt_sip.h"

#define RL "OPTIONS sip:bob@visited.example SIP/2.0\r\n"
#define VIA "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds\r\n"
#define FROM "From: <sip:alice@home.example>;tag=1928301774\r\n"
#define TO "To: <sip:bob@visited.example>\r\n"
#define CALLID "Call-ID: a84b4c76e66710@192.0.2.1\r\n"
#define CSEQ "CSeq: 314159 OPTIONS\r\n"
#define MF "Max-Forwards: 70\r\n"
#define CL0 "Content-Length: 0\r\n"
#define BASE VIA FROM TO CALLID CSEQ MF
/* a valid OPTIONS with extra header lines before its Content-Length */
#define MSG(extra) RL BASE extra CL0 "\r\n"

/* sipp's REGISTER with [authentication] filled in, as the agent sees it */
static const char sipp_register[] =
    "REGISTER sip:visited.example SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.10:5061;branch=z9hG4bK-4242-1-2\r\n"
    "From: <sip:alice@home.example>;tag=1\r\n"
    "To: <sip:alice@home.example>\r\n"
    "Call-ID: 1-4242@192.0.2.10\r\n"
    "CSeq: 2 REGISTER\r\n"
    "Contact: sip:alice@192.0.2.10:5061\r\n"
    "Authorization: Digest username=\"alice\",realm=\"home.example\","
    "nonce=\"5f2b1c0a9d8e7f6a\",uri=\"sip:visited.example\","
    "response=\"6629fae49393a05397450978507c4ef1\",algorithm=MD5\r\n"
    "Max-Forwards: 70\r\n"
    "Expires: 3600\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

/* sipp's built-in uac scenario (its INVITE with SDP) */
static const char sipp_invite[] =
    "INVITE sip:service@192.0.2.20:5060 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.10:5061;branch=z9hG4bK-4242-1-0\r\n"
    "From: sipp <sip:sipp@192.0.2.10:5061>;tag=4242SIPpTag001\r\n"
    "To: service <sip:service@192.0.2.20:5060>\r\n"
    "Call-ID: 1-4242@192.0.2.10\r\n"
    "CSeq: 1 INVITE\r\n"
    "Contact: sip:sipp@192.0.2.10:5061\r\n"
    "Max-Forwards: 70\r\n"
    "Subject: Performance Test\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 131\r\n"
    "\r\n"
    "v=0\r\n"
    "o=user1 53655765 2353687637 IN IP4 192.0.2.10\r\n"
    "s=-\r\n"
    "c=IN IP4 192.0.2.10\r\n"
    "t=0 0\r\n"
    "m=audio 6000 RTP/AVP 0\r\n"
    "a=rtpmap:0 PCMU/8000\r\n";

static int
parse(const char *s, struct rt_sip_msg *msg, const char **whyp)
{
	return rt_sip_parse(s, strlen(s), msg, whyp);
}

static void
assert_refused_len(const char *s, size_t len, int code, const char *why)
{
	struct rt_sip_msg msg;
	const char *got = NULL;
	int r = rt_sip_parse(s, len, &msg, &got);

	if (r != code || got == NULL || strcmp(got, why) != 0)
		fail_msg("want %d \"%s\", got %d \"%s\" for:\n%.*s", code, why, r,
		    got != NULL ? got : "(null)", (int)(len > 300 ? 300 : len), s);
}

static void
assert_refused(const char *s, int code, const char *why)
{
	assert_refused_len(s, strlen(s), code, why);
}

static void
assert_accepted(const char *s)
{
	struct rt_sip_msg msg;
	const char *why = "unset";

	if (parse(s, &msg, &why) != 0)
		fail_msg("refused \"%s\":\n%s", why, s);
	assert_null(why);
}

static void
test_sipp_register(void **state)
{
	struct rt_sip_msg msg;
	struct rt_sip_str uri, display, params;
	const char *why = "unset";
	int i;

	(void)state;
	assert_int_equal(parse(sipp_register, &msg, &why), 0);
	assert_null(why);
	assert_int_equal(msg.method, RT_SIP_REGISTER);
	sip_assert_str(msg.method_name, "REGISTER");
	sip_assert_str(msg.ruri, "sip:visited.example");
	assert_int_equal(msg.nheaders, 10);
	assert_int_equal(msg.cseq, 2);
	sip_assert_str(msg.cseq_method, "REGISTER");
	assert_int_equal(msg.max_forwards, 70);
	assert_int_equal(msg.expires, 3600);
	assert_int_equal(msg.content_length, 0);
	assert_int_equal(msg.body.len, 0);
	assert_int_equal(msg.count[RT_HDR_AUTHORIZATION], 1);
	assert_int_equal(msg.count[RT_HDR_OTHER], 0);
	assert_int_equal(msg.first[RT_HDR_VIA], 0);
	assert_int_equal(msg.first[RT_HDR_AUTHORIZATION], 6);
	assert_int_equal(msg.first[RT_HDR_DATE], -1);
	i = msg.first[RT_HDR_AUTHORIZATION];
	sip_assert_str(msg.headers[i].name, "Authorization");
	assert_true(msg.headers[i].value.len > 7);
	assert_memory_equal(msg.headers[i].value.p, "Digest ", 7);
	assert_int_equal(msg.headers[i].value.p[msg.headers[i].value.len - 1], '5');
	i = msg.first[RT_HDR_TO];
	assert_int_equal(rt_sip_name_addr(msg.headers[i].value, &uri, &display,
	    &params), 0);
	sip_assert_str(uri, "sip:alice@home.example");
	assert_int_equal(display.len, 0);
	assert_int_equal(params.len, 0);
	/* the agent's first step: who is registering, through which contact */
	i = msg.first[RT_HDR_CONTACT];
	assert_int_equal(rt_sip_name_addr(msg.headers[i].value, &uri, &display,
	    &params), 0);
	sip_assert_str(uri, "sip:alice@192.0.2.10:5061");
}

static void
test_sipp_invite(void **state)
{
	struct rt_sip_msg msg;
	struct rt_sip_str uri, display, params, tag;

	(void)state;
	assert_int_equal(parse(sipp_invite, &msg, NULL), 0);
	assert_int_equal(msg.method, RT_SIP_INVITE);
	assert_int_equal(msg.content_length, 131);
	assert_int_equal(msg.body.len, 131);
	assert_memory_equal(msg.body.p, "v=0\r\no=user1", 12);
	assert_int_equal(msg.body.p + msg.body.len, sipp_invite + strlen(sipp_invite));
	assert_int_equal(msg.expires, -1);
	sip_assert_str(msg.headers[msg.first[RT_HDR_SUBJECT]].value, "Performance Test");
	sip_assert_str(msg.headers[msg.first[RT_HDR_CONTENT_TYPE]].value,
	    "application/sdp");
	assert_int_equal(rt_sip_name_addr(msg.headers[msg.first[RT_HDR_FROM]].value,
	    &uri, &display, &params), 0);
	sip_assert_str(display, "sipp");
	sip_assert_str(uri, "sip:sipp@192.0.2.10:5061");
	sip_assert_str(params, ";tag=4242SIPpTag001");
	assert_int_equal(rt_sip_param(params, "TAG", &tag), 0);
	sip_assert_str(tag, "4242SIPpTag001");
}

static void
test_compact_forms(void **state)
{
	static const char compact[] =
	    "MESSAGE sip:bob@visited.example SIP/2.0\r\n"
	    "v: SIP/2.0/TCP 192.0.2.1;branch=z9hG4bK1\r\n"
	    "V: SIP/2.0/TCP 192.0.2.2;branch=z9hG4bK2\r\n"
	    "f: <sip:alice@home.example>;tag=1\r\n"
	    "t: <sip:bob@visited.example>\r\n"
	    "i: compact.1@192.0.2.1\r\n"
	    "cseq: 7 MESSAGE\r\n"
	    "m: <sip:alice@192.0.2.1>\r\n"
	    "e: gzip\r\n"
	    "k: path\r\n"
	    "s: hello\r\n"
	    "o: presence\r\n"
	    "r: <sip:carol@visited.example>\r\n"
	    "u: presence\r\n"			/* Allow-Events */
	    "x: 1800\r\n"			/* Session-Expires */
	    "y: abc\r\n"			/* Identity */
	    "b: <sip:dave@home.example>\r\n"	/* Referred-By */
	    "mAX-fORWARDS: 69\r\n"
	    "c: text/plain\r\n"
	    "L: 2\r\n"
	    "\r\n"
	    "hi";
	static const enum rt_sip_hdr ids[] = {
		RT_HDR_VIA, RT_HDR_VIA, RT_HDR_FROM, RT_HDR_TO, RT_HDR_CALL_ID,
		RT_HDR_CSEQ, RT_HDR_CONTACT, RT_HDR_CONTENT_ENCODING,
		RT_HDR_SUPPORTED, RT_HDR_SUBJECT, RT_HDR_EVENT, RT_HDR_REFER_TO,
		RT_HDR_OTHER, RT_HDR_OTHER, RT_HDR_OTHER, RT_HDR_OTHER,
		RT_HDR_MAX_FORWARDS, RT_HDR_CONTENT_TYPE, RT_HDR_CONTENT_LENGTH,
	};
	struct rt_sip_msg msg;

	(void)state;
	assert_int_equal(parse(compact, &msg, NULL), 0);
	assert_int_equal(msg.method, RT_SIP_MESSAGE);
	assert_int_equal(msg.nheaders, (int)(sizeof(ids) / sizeof(ids[0])));
	for (int i = 0; i < msg.nheaders; i++)
		assert_int_equal(msg.headers[i].id, ids[i]);
	assert_int_equal(msg.count[RT_HDR_VIA], 2);
	assert_int_equal(msg.count[RT_HDR_OTHER], 4);
	assert_int_equal(msg.max_forwards, 69);
	sip_assert_str(msg.headers[0].name, "v");
	sip_assert_str(msg.headers[1].name, "V");
	sip_assert_str(msg.body, "hi");
}

static void
test_header_walk(void **state)
{
	static const char routed[] =
	    "BYE sip:alice@192.0.2.1 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP p1.visited.example;branch=z9hG4bKa, "
	    "SIP/2.0/UDP p2.visited.example;branch=z9hG4bKb\r\n"
	    "Route: <sip:p1.visited.example;lr>\r\n"
	    "X-Other: one\r\n"
	    "Via: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKc\r\n"
	    "Route: <sip:p2.home.example;lr>,<sip:p3.home.example;lr>\r\n"
	    "x-other: two\r\n"
	    FROM TO CALLID "CSeq: 2 BYE\r\n" CL0 "\r\n";
	struct rt_sip_msg msg;
	int i, n = 0;

	(void)state;
	assert_int_equal(parse(routed, &msg, NULL), 0);
	assert_int_equal(msg.method, RT_SIP_BYE);
	assert_int_equal(msg.max_forwards, -1);	/* optional */
	for (i = rt_sip_next(&msg, RT_HDR_VIA, -1); i >= 0;
	    i = rt_sip_next(&msg, RT_HDR_VIA, i))
		assert_int_equal(i, n++ == 0 ? 0 : 3);
	assert_int_equal(n, 2);
	assert_int_equal(rt_sip_next(&msg, RT_HDR_ROUTE, -1), 1);
	assert_int_equal(rt_sip_next(&msg, RT_HDR_ROUTE, 1), 4);
	assert_int_equal(rt_sip_next(&msg, RT_HDR_ROUTE, 4), -1);
	assert_int_equal(rt_sip_next(&msg, RT_HDR_OTHER, 2), 5);
	assert_int_equal(rt_sip_next(&msg, RT_HDR_PATH, -1), -1);
	assert_int_equal(rt_sip_next(&msg, RT_HDR_ROUTE, 1000), -1);
	assert_int_equal(rt_sip_next(&msg, RT_HDR_COUNT, -1), -1);
	assert_int_equal(rt_sip_next(&msg, (enum rt_sip_hdr)-1, -1), -1);
	assert_int_equal(rt_sip_next(NULL, RT_HDR_VIA, -1), -1);
	assert_int_equal(msg.count[RT_HDR_ROUTE], 2);
	assert_int_equal(msg.count[RT_HDR_OTHER], 2);
}

/* Refusals of the start line, line endings and header syntax. */
static void
test_refused_syntax(void **state)
{
	static const struct {
		const char *text;
		const char *why;
	} cases[] = {
		/* a response is not ours to judge */
		{"SIP/2.0 200 OK\r\n" BASE CL0 "\r\n", "not a request"},
		{"SIP/2.0 100 \r\n" BASE CL0 "\r\n", "not a request"},
		/* keep-alive CRLFs before the request line are the proxy's business */
		{"\r\n" RL BASE CL0 "\r\n", "bad request line"},
		{" " RL BASE CL0 "\r\n", "bad request line"},
		{"OPTIONS\r\n" BASE CL0 "\r\n", "bad request line"},
		{"OPTIONS sip:bob@visited.example\r\n" BASE CL0 "\r\n",
		    "bad request line"},
		{"OPTIONS sip:bob@visited.example \r\n" BASE CL0 "\r\n",
		    "bad request line"},
		{"OPTIONS\tsip:bob@visited.example SIP/2.0\r\n" BASE CL0 "\r\n",
		    "bad method"},
		{"OPT@IONS sip:bob@visited.example SIP/2.0\r\n" BASE CL0 "\r\n",
		    "bad method"},
		{"OPTIONS sip:bob@visited.example SIP/2.0 \r\n" BASE CL0 "\r\n",
		    "bad request line"},
		{"OPTIONS sip:bob@visited.example SIP/2.1\r\n" BASE CL0 "\r\n",
		    "bad SIP version"},
		{"OPTIONS sip:bob@visited.example sip/2.0\r\n" BASE CL0 "\r\n",
		    "bad SIP version"},
		{"OPTIONS sip:bob@visited.example SIP/2.0x\r\n" BASE CL0 "\r\n",
		    "bad SIP version"},
		{"OPTIONS bob@visited.example SIP/2.0\r\n" BASE CL0 "\r\n",
		    "bad Request-URI"},
		{"OPTIONS sip:bob@visited.example%2 SIP/2.0\r\n" BASE CL0 "\r\n",
		    "bad Request-URI"},
		{"OPTIONS sip:bob@visited..example SIP/2.0\r\n" BASE CL0 "\r\n",
		    "bad Request-URI"},
		{"OPTIONS sip:bob@visited.example:0 SIP/2.0\r\n" BASE CL0 "\r\n",
		    "bad Request-URI"},
		{"OPTIONS sip:a@b@visited.example SIP/2.0\r\n" BASE CL0 "\r\n",
		    "bad Request-URI"},
		{"OPTIONS http://x\"y SIP/2.0\r\n" BASE CL0 "\r\n", "bad Request-URI"},
		{"OPTIONS sip:bob@visited.example?Route=x SIP/2.0\r\n" BASE CL0 "\r\n",
		    "headers in Request-URI"},
		/* proxies differ on bare LF and CR: refuse them anywhere in the head */
		{"OPTIONS sip:bob@visited.example SIP/2.0\n" BASE CL0 "\r\n", "bare LF"},
		{RL "Via: SIP/2.0/UDP 192.0.2.1\n" FROM TO CALLID CSEQ CL0 "\r\n",
		    "bare LF"},
		{RL BASE CL0 "\n", "bare LF"},
		{RL BASE CL0 "\r\r\n", "bare CR"},
		{RL "Subject: a\rb\r\n" BASE CL0 "\r\n", "bare CR"},
		{RL BASE CL0, "truncated head"},
		{RL BASE CL0 "\r", "truncated head"},
		{"", "truncated head"},
		{RL VIA " continued\r\n" FROM TO CALLID CSEQ CL0 "\r\n", "line folding"},
		{RL "To:\r\n <sip:bob@visited.example>\r\n" VIA FROM CALLID CSEQ CL0
		    "\r\n", "line folding"},
		{RL "\tVia: SIP/2.0/UDP 192.0.2.1\r\n" FROM TO CALLID CSEQ CL0 "\r\n",
		    "line folding"},
		{MSG("X-Ok: 1\r\n\tX-Tab: 2\r\n"), "line folding"},
		{MSG("Fo@o: bar\r\n"), "bad header name"},
		{MSG(": bar\r\n"), "bad header name"},
		{MSG("Caf\xc3\xa9: bar\r\n"), "bad header name"},
		{MSG("Foo bar: baz\r\n"), "missing colon"},
		{MSG("Foo\r\n"), "missing colon"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_refused(cases[i].text, RT_ERR_BAD_INPUT, cases[i].why);
}

static void
test_refused_nul(void **state)
{
	static const char in_value[] = RL "Subject: a\0b\r\n" BASE CL0 "\r\n";
	static const char in_line[] = "OPTIONS sip:bob@visited.example\0SIP/2.0\r\n"
	    BASE CL0 "\r\n";
	/* a NUL in the body is data: the body is binary */
	static const char in_body[] = RL BASE "Content-Length: 3\r\n\r\na\0b";
	struct rt_sip_msg msg;

	(void)state;
	assert_refused_len(in_value, sizeof(in_value) - 1, RT_ERR_BAD_INPUT,
	    "NUL byte");
	assert_refused_len(in_line, sizeof(in_line) - 1, RT_ERR_BAD_INPUT,
	    "NUL byte");
	assert_int_equal(rt_sip_parse(in_body, sizeof(in_body) - 1, &msg, NULL), 0);
	assert_int_equal(msg.body.len, 3);
}

/* Singletons once, long and compact forms counted together. */
static void
test_refused_duplicates(void **state)
{
	static const struct {
		const char *extra;
		const char *why;
	} cases[] = {
		{"To: <sip:carol@visited.example>\r\n", "duplicate To"},
		{"t: <sip:carol@visited.example>\r\n", "duplicate To"},
		{"From: <sip:eve@home.example>;tag=2\r\n", "duplicate From"},
		{"F: <sip:eve@home.example>;tag=2\r\n", "duplicate From"},
		{"Call-ID: other@192.0.2.1\r\n", "duplicate Call-ID"},
		{"i: other@192.0.2.1\r\n", "duplicate Call-ID"},
		{"CSeq: 314159 OPTIONS\r\n", "duplicate CSeq"},
		{"Max-Forwards: 70\r\n", "duplicate Max-Forwards"},
		{"Content-Length: 0\r\n", "duplicate Content-Length"},
		{"l: 0\r\n", "duplicate Content-Length"},
		{"Content-Type: text/plain\r\nc: text/plain\r\n",
		    "duplicate Content-Type"},
		{"Expires: 60\r\nexpires: 60\r\n", "duplicate Expires"},
		{"Date: Sat, 13 Nov 2010 23:29:00 GMT\r\n"
		    "DATE: Sat, 13 Nov 2010 23:29:00 GMT\r\n", "duplicate Date"},
		{"Privacy: id\r\nPrivacy: none\r\n", "duplicate Privacy"},
	};
	char buf[1024];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(buf, sizeof(buf), "%s%s%s%s", RL, BASE, cases[i].extra,
		    CL0 "\r\n");
		assert_refused(buf, RT_ERR_BAD_INPUT, cases[i].why);
	}
	/* headers that may repeat */
	assert_accepted(MSG(VIA "Route: <sip:a.example;lr>\r\n"
	    "Route: <sip:b.example;lr>\r\nContact: <sip:a@b.example>\r\n"
	    "m: <sip:a@c.example>\r\nAuthorization: Digest a=1\r\n"
	    "Authorization: Digest a=2\r\nP-Asserted-Identity: <sip:a@b.example>\r\n"
	    "P-Asserted-Identity: <tel:+15551234>\r\nSupported: path\r\nk: gruu\r\n"));
}

static void
test_refused_empty_and_missing(void **state)
{
	static const struct {
		const char *text;
		const char *why;
	} cases[] = {
		{RL VIA FROM "To:\r\n" CALLID CSEQ CL0 "\r\n", "empty To"},
		{RL VIA "From:  \t\r\n" TO CALLID CSEQ CL0 "\r\n", "empty From"},
		{RL VIA FROM TO "i:\r\n" CSEQ CL0 "\r\n", "empty Call-ID"},
		{RL VIA FROM TO CALLID "CSeq: \r\n" CL0 "\r\n", "empty CSeq"},
		{RL "Via:\r\n" FROM TO CALLID CSEQ CL0 "\r\n", "empty Via"},
		{RL VIA FROM TO CALLID CSEQ "Max-Forwards:\r\n" CL0 "\r\n",
		    "empty Max-Forwards"},
		{RL VIA FROM TO CALLID CSEQ "Content-Length:\r\n\r\n",
		    "empty Content-Length"},
		{RL VIA FROM CALLID CSEQ CL0 "\r\n", "missing To"},
		{RL VIA TO CALLID CSEQ CL0 "\r\n", "missing From"},
		{RL VIA FROM TO CSEQ CL0 "\r\n", "missing Call-ID"},
		{RL VIA FROM TO CALLID CL0 "\r\n", "missing CSeq"},
		{RL FROM TO CALLID CSEQ CL0 "\r\n", "missing Via"},
		{RL "\r\n", "missing To"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_refused(cases[i].text, RT_ERR_BAD_INPUT, cases[i].why);
	/* other headers may be empty (RFC 4475 wsinv's "s :") */
	assert_accepted(MSG("Subject:\r\nContact:\r\nX-Empty: \r\nDate:\r\n"
	    "Supported:\r\nPrivacy:\r\nContent-Type:\r\n"));
}

static void
test_numbers(void **state)
{
	static const struct {
		const char *extra;
		const char *why;
	} bad[] = {
		{"Max-Forwards: 256\r\n", "bad Max-Forwards"},
		{"Max-Forwards: -1\r\n", "bad Max-Forwards"},
		{"Max-Forwards: 7a\r\n", "bad Max-Forwards"},
		{"Max-Forwards: 7 0\r\n", "bad Max-Forwards"},
		{"Expires: 4294967296\r\n", "bad Expires"},
		{"Expires: 1h\r\n", "bad Expires"},
		{"Expires: \r\n", "bad Expires"},
		{"Expires: -5\r\n", "bad Expires"},
	};
	static const struct {
		const char *text;
		const char *why;
	} bad_msg[] = {
		{RL VIA FROM TO CALLID "CSeq: 2147483648 OPTIONS\r\n" CL0 "\r\n",
		    "bad CSeq"},
		{RL VIA FROM TO CALLID "CSeq: -1 OPTIONS\r\n" CL0 "\r\n", "bad CSeq"},
		{RL VIA FROM TO CALLID "CSeq: 1\r\n" CL0 "\r\n", "bad CSeq"},
		{RL VIA FROM TO CALLID "CSeq: OPTIONS\r\n" CL0 "\r\n", "bad CSeq"},
		{RL VIA FROM TO CALLID "CSeq: 1OPTIONS\r\n" CL0 "\r\n", "bad CSeq"},
		{RL VIA FROM TO CALLID "CSeq: 1 OPTIONS x\r\n" CL0 "\r\n", "bad CSeq"},
		{RL VIA FROM TO CALLID "CSeq: 1 OPT;IONS\r\n" CL0 "\r\n", "bad CSeq"},
		{RL VIA FROM TO CALLID "CSeq: 1 INVITE\r\n" CL0 "\r\n",
		    "CSeq method differs"},
		/* methods are case-sensitive (RFC 3261 7.1) */
		{RL VIA FROM TO CALLID "CSeq: 1 options\r\n" CL0 "\r\n",
		    "CSeq method differs"},
		{RL BASE "Content-Length: five\r\n\r\n", "bad Content-Length"},
		{RL BASE "Content-Length: -1\r\n\r\n", "bad Content-Length"},
		{RL BASE "Content-Length: 0 0\r\n\r\n", "bad Content-Length"},
		{RL BASE "Content-Length: 0x0\r\n\r\n", "bad Content-Length"},
		{RL BASE "Content-Length: 99999999999\r\n\r\n", "bad Content-Length"},
		{RL VIA FROM TO "Call-ID: a b\r\n" CSEQ CL0 "\r\n", "bad Call-ID"},
		{RL VIA FROM TO "Call-ID: @host\r\n" CSEQ CL0 "\r\n", "bad Call-ID"},
		{RL VIA FROM TO "Call-ID: id@\r\n" CSEQ CL0 "\r\n", "bad Call-ID"},
		{RL VIA FROM TO "Call-ID: a@b@c\r\n" CSEQ CL0 "\r\n", "bad Call-ID"},
		{RL VIA FROM TO "Call-ID: a,b\r\n" CSEQ CL0 "\r\n", "bad Call-ID"},
	};
	struct rt_sip_msg msg;
	char buf[1024];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf), RL VIA FROM TO CALLID CSEQ "%s" CL0 "\r\n",
		    bad[i].extra);
		assert_refused(buf, RT_ERR_BAD_INPUT, bad[i].why);
	}
	for (size_t i = 0; i < sizeof(bad_msg) / sizeof(bad_msg[0]); i++)
		assert_refused(bad_msg[i].text, RT_ERR_BAD_INPUT, bad_msg[i].why);

	assert_int_equal(parse(RL VIA FROM TO CALLID "CSeq: 2147483647\t OPTIONS\r\n"
	    "Max-Forwards: 255\r\nExpires: 4294967295\r\n" CL0 "\r\n", &msg, NULL), 0);
	assert_int_equal(msg.cseq, 2147483647L);
	assert_int_equal(msg.max_forwards, 255);
	assert_int_equal(msg.expires, 4294967295L);
	/* leading zeros are digits too (RFC 4475 wsinv) */
	assert_int_equal(parse(RL VIA FROM TO CALLID "CSeq: 0009 OPTIONS\r\n"
	    "Max-Forwards: 0068\r\nExpires: 00\r\nl: 00\r\n\r\n", &msg, NULL), 0);
	assert_int_equal(msg.cseq, 9);
	assert_int_equal(msg.max_forwards, 68);
	assert_int_equal(msg.expires, 0);
	assert_int_equal(msg.content_length, 0);
	/* Call-ID word characters (RFC 4475 intmeth) */
	assert_accepted(RL VIA FROM TO
	    "Call-ID: intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{\r\n" CSEQ CL0 "\r\n");
}

static void
test_body(void **state)
{
	struct rt_sip_msg msg;

	(void)state;
	/* the body is opaque: bare LFs and CRs are data */
	assert_int_equal(parse(RL BASE "Content-Length: 5\r\n\r\na\nb\rc", &msg,
	    NULL), 0);
	sip_assert_str(msg.body, "a\nb\rc");
	/* a body starting with what looks like a header or folding */
	assert_int_equal(parse(RL BASE "Content-Length: 10\r\n\r\n To: x\r\n\r\n",
	    &msg, NULL), 0);
	assert_refused(RL BASE "Content-Length: 4\r\n\r\nabc", RT_ERR_BAD_INPUT,
	    "Content-Length mismatch");
	assert_refused(RL BASE "Content-Length: 2\r\n\r\nabc", RT_ERR_BAD_INPUT,
	    "Content-Length mismatch");
	assert_refused(RL BASE CL0 "\r\n\r\n", RT_ERR_BAD_INPUT,
	    "Content-Length mismatch");
	assert_refused(RL BASE "\r\nabc", RT_ERR_BAD_INPUT,
	    "body without Content-Length");
	/* no Content-Length and no body is fine (datagram) */
	assert_int_equal(parse(RL BASE "\r\n", &msg, NULL), 0);
	assert_int_equal(msg.content_length, -1);
	assert_int_equal(msg.body.len, 0);
}

/* Limits: RT_ERR_TOO_BIG, and the largest accepted sizes. */
static void
test_limits(void **state)
{
	char *buf = malloc(RT_SIP_MAX_MSG + 2);
	struct rt_sip_msg msg;
	size_t n, head;
	int i;

	(void)state;
	assert_non_null(buf);
	/* a message of exactly RT_SIP_MAX_MSG bytes, then one more */
	head = (size_t)snprintf(buf, RT_SIP_MAX_MSG, RL BASE "Content-Length: %05d\r\n\r\n",
	    0);
	n = RT_SIP_MAX_MSG - head;
	snprintf(buf, RT_SIP_MAX_MSG, RL BASE "Content-Length: %05zu\r\n\r\n", n);
	memset(buf + head, 'x', n + 1);
	assert_int_equal(rt_sip_parse(buf, RT_SIP_MAX_MSG, &msg, NULL), 0);
	assert_int_equal(msg.body.len, n);
	assert_refused_len(buf, RT_SIP_MAX_MSG + 1, RT_ERR_TOO_BIG, "message too big");

	/* 128 header lines, then 129 */
	n = (size_t)snprintf(buf, RT_SIP_MAX_MSG, RL BASE);
	for (i = 6; i < 127; i++)
		n += (size_t)snprintf(buf + n, RT_SIP_MAX_MSG - n, "X-H%d: %d\r\n", i, i);
	memcpy(buf + n, CL0 "\r\n", sizeof(CL0 "\r\n"));
	assert_int_equal(parse(buf, &msg, NULL), 0);
	assert_int_equal(msg.nheaders, RT_SIP_MAX_HEADERS);
	memcpy(buf + n, "X-Last: 1\r\n" CL0 "\r\n", sizeof("X-Last: 1\r\n" CL0 "\r\n"));
	assert_refused(buf, RT_ERR_TOO_BIG, "too many headers");

	/* a line of RT_SIP_MAX_LINE bytes (without CRLF), then one more */
	n = (size_t)snprintf(buf, RT_SIP_MAX_MSG, RL BASE "X-Long: ");
	memset(buf + n, 'a', RT_SIP_MAX_LINE - 8);
	n += RT_SIP_MAX_LINE - 8;
	memcpy(buf + n, "\r\n" CL0 "\r\n", sizeof("\r\n" CL0 "\r\n"));
	assert_int_equal(parse(buf, &msg, NULL), 0);
	assert_int_equal(msg.headers[6].value.len, RT_SIP_MAX_LINE - 8);
	memcpy(buf + n, "a\r\n" CL0 "\r\n", sizeof("a\r\n" CL0 "\r\n"));
	assert_refused(buf, RT_ERR_TOO_BIG, "line too long");
	/* the request line too */
	memcpy(buf, "OPTIONS sip:", 12);
	memset(buf + 12, 'a', RT_SIP_MAX_LINE);
	memcpy(buf + 12 + RT_SIP_MAX_LINE, " SIP/2.0\r\n" BASE CL0 "\r\n",
	    sizeof(" SIP/2.0\r\n" BASE CL0 "\r\n"));
	assert_refused(buf, RT_ERR_TOO_BIG, "line too long");
	free(buf);
}

/*
 * Every proper prefix of a valid message is refused, and read without
 * going past its end (each prefix is copied to a buffer of exactly its
 * size, so ASan and valgrind see any overread).
 */
static void
test_truncation(void **state)
{
	static const char *const msgs[] = {
		sipp_register, sipp_invite, MSG("Subject: x\r\n"),
		RL BASE "Content-Length: 3\r\n\r\nabc",
	};

	(void)state;
	for (size_t m = 0; m < sizeof(msgs) / sizeof(msgs[0]); m++) {
		size_t full = strlen(msgs[m]);

		for (size_t n = 0; n < full; n++) {
			char *copy = malloc(n > 0 ? n : 1);
			struct rt_sip_msg msg;
			const char *why = NULL;
			int r;

			assert_non_null(copy);
			memcpy(copy, msgs[m], n);
			r = rt_sip_parse(copy, n, &msg, &why);
			if (r == 0)
				fail_msg("prefix of %zu/%zu bytes of message %zu accepted",
				    n, full, m);
			assert_non_null(why);
			free(copy);
		}
		assert_accepted(msgs[m]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sipp_register),
		cmocka_unit_test(test_sipp_invite),
		cmocka_unit_test(test_compact_forms),
		cmocka_unit_test(test_header_walk),
		cmocka_unit_test(test_refused_syntax),
		cmocka_unit_test(test_refused_nul),
		cmocka_unit_test(test_refused_duplicates),
		cmocka_unit_test(test_refused_empty_and_missing),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_body),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_truncation),
	};

	rt_log_init("test_sip", RT_LOG_STDERR, RT_LOG_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
