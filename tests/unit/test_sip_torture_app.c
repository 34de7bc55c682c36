/*
 * rt_sip against RFC 4475, continued (test_sip_torture.c has the start
 * line and framing cases): the long and multipart valid messages, the
 * invalid messages whose fault is inside a header value (3.1.2: the
 * message parses, the helper the agent calls on that value refuses it),
 * and the application-layer messages of 3.2 and 3.3, which parse: what
 * they mean (an unknown scheme, a Require, Max-Forwards 0) is for the
 * agent to decide.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "helper_sip.h"
#include "rt_log.h"
#include "rt_sip.h"

static int
count_fn(void *arg, struct rt_sip_str elem)
{
	(void)elem;
	(*(int *)arg)++;
	return 0;
}

/* 3.1.1.7 longreq: long values and 34 Via header lines. */
static void
test_longreq(void **state)
{
	static const char longreq[] =
	    "INVITE sip:user@example.com SIP/2.0\r\n"
	    "To: \"I have a user name of extremeextremeextremeextremeextremeextreme"
	    "extremeextremeextremeextreme proportion\"<sip:user@example.com:6000;"
	    "unknownparam1=verylonglonglonglonglonglonglonglonglonglonglonglonglong"
	    "longlonglonglonglonglonglongvalue;longparamnamenamenamenamenamename"
	    "namenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamename"
	    "namename=shortvalue;verylonglonglonglonglonglonglonglonglonglonglong"
	    "longlonglonglonglonglonglonglonglonglonglonglonglonglongParameterName"
	    "WithNoValue>\r\n"
	    "F: sip:amazinglylongcallernameamazinglylongcallernameamazinglylong"
	    "callernameamazinglylongcallernameamazinglylongcallername@example.net;"
	    "tag=12982982982982982982982982982982982982982982982982982982982982982"
	    "982982982982982982982982982982982982982982982982982982982982982982982"
	    "982982982982982424;unknownheaderparamnamenamenamenamenamenamename"
	    "namenamenamenamenamenamenamenamenamenamenamenamename=unknowheader"
	    "paramvaluevaluevaluevaluevaluevaluevaluevaluevaluevaluevaluevalue"
	    "valuevaluevalue;unknownValuelessparamnameparamnameparamnameparamname"
	    "paramnameparamnameparamnameparamnameparamnameparamname\r\n"
	    "Call-ID: longreq.onereallyreallyreallyreallyreallyreallyreallyreally"
	    "reallyreallyreallyreallyreallyreallyreallyreallyreallyreallyreally"
	    "reallylongcallid\r\n"
	    "CSeq: 3882340 INVITE\r\n"
	    "Unknown-LongLongLongLongLongLongLongLongLongLongLongLongLongLongLong"
	    "LongLongLongLongLong-Name: unknown-longlonglonglonglonglonglonglong"
	    "longlonglonglonglonglonglonglonglonglonglonglong-value; unknown-long"
	    "longlonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglong"
	    "longlong-parameter-name = unknown-longlonglonglonglonglonglonglong"
	    "longlonglonglonglonglonglonglonglonglonglonglong-parameter-value\r\n"
	    "Via: SIP/2.0/TCP sip33.example.com\r\n"
	    "v: SIP/2.0/TCP sip32.example.com\r\n"
	    "V: SIP/2.0/TCP sip31.example.com\r\n"
	    "Via: SIP/2.0/TCP sip30.example.com\r\n"
	    "ViA: SIP/2.0/TCP sip29.example.com\r\n"
	    "VIa: SIP/2.0/TCP sip28.example.com\r\n"
	    "VIA: SIP/2.0/TCP sip27.example.com\r\n"
	    "via: SIP/2.0/TCP sip26.example.com\r\n"
	    "viA: SIP/2.0/TCP sip25.example.com\r\n"
	    "vIa: SIP/2.0/TCP sip24.example.com\r\n"
	    "vIA: SIP/2.0/TCP sip23.example.com\r\n"
	    "V :  SIP/2.0/TCP sip22.example.com\r\n"
	    "v :  SIP/2.0/TCP sip21.example.com\r\n"
	    "V  : SIP/2.0/TCP sip20.example.com\r\n"
	    "v  : SIP/2.0/TCP sip19.example.com\r\n"
	    "Via : SIP/2.0/TCP sip18.example.com\r\n"
	    "Via  : SIP/2.0/TCP sip17.example.com\r\n"
	    "Via: SIP/2.0/TCP sip16.example.com\r\n"
	    "Via: SIP/2.0/TCP sip15.example.com\r\n"
	    "Via: SIP/2.0/TCP sip14.example.com\r\n"
	    "Via: SIP/2.0/TCP sip13.example.com\r\n"
	    "Via: SIP/2.0/TCP sip12.example.com\r\n"
	    "Via: SIP/2.0/TCP sip11.example.com\r\n"
	    "Via: SIP/2.0/TCP sip10.example.com\r\n"
	    "Via: SIP/2.0/TCP sip9.example.com\r\n"
	    "Via: SIP/2.0/TCP sip8.example.com\r\n"
	    "Via: SIP/2.0/TCP sip7.example.com\r\n"
	    "Via: SIP/2.0/TCP sip6.example.com\r\n"
	    "Via: SIP/2.0/TCP sip5.example.com\r\n"
	    "Via: SIP/2.0/TCP sip4.example.com\r\n"
	    "Via: SIP/2.0/TCP sip3.example.com\r\n"
	    "Via: SIP/2.0/TCP sip2.example.com\r\n"
	    "Via: SIP/2.0/TCP sip1.example.com\r\n"
	    "Via: SIP/2.0/TCP host.example.com;received=192.0.2.5;branch=verylong"
	    "longlonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglong"
	    "longlonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglong"
	    "longlonglonglonglonglonglonglonglonglonglonglonglonglonglonglongbranch"
	    "value\r\n"
	    "Max-Forwards: 70\r\n"
	    "Contact: <sip:amazinglylongcallernameamazinglylongcallernameamazingly"
	    "longcallernameamazinglylongcallernameamazinglylongcallername@host5."
	    "example.net>\r\n"
	    "Content-Type: application/sdp\r\n"
	    "l: @CL@\r\n"
	    "\r\n"
	    SDP("192.0.2.1", "192.0.2.1");
	struct rt_sip_uri uri;
	struct rt_sip_str u, d, params, v;

	(void)state;
	sip_assert_ok("longreq", sip_run(longreq));
	assert_int_equal(sip_p.msg.count[RT_HDR_VIA], 34);
	assert_int_equal(sip_p.msg.content_length, 150);
	sip_assert_str(sip_p.msg.headers[sip_p.msg.first[RT_HDR_VIA]].value,
	    "SIP/2.0/TCP sip33.example.com");
	assert_int_equal(rt_sip_name_addr(sip_value_of(RT_HDR_TO), &u, &d, &params), 0);
	assert_int_equal(rt_sip_uri_parse(u, &uri), 0);
	assert_int_equal(uri.port, 6000);
	assert_int_equal(rt_sip_param(uri.params, "longparamnamenamenamenamenamename"
	    "namenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamename"
	    "namename", &v), 0);
	sip_assert_str(v, "shortvalue");
	assert_int_equal(rt_sip_name_addr(sip_value_of(RT_HDR_FROM), &u, &d, &params), 0);
	assert_int_equal(rt_sip_param(params, "tag", &v), 0);
	assert_int_equal(v.len, 152);
	assert_memory_equal(v.p, "1298298", 7);
	assert_int_equal(sip_p.msg.count[RT_HDR_OTHER], 1);
}

/* 3.1.1.11 mpart01: a multipart body with binary data and NULs. */
static void
test_mpart01(void **state)
{
	static const char mpart01[] =
	    "MESSAGE sip:kumiko@example.org SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-d87543-4dade06d0bdb11ee"
	    "-1--d87543-;rport\r\n"
	    "Max-Forwards: 70\r\n"
	    "Route: <sip:127.0.0.1:5080>\r\n"
	    "Identity: r5mwreLuyDRYBi/0TiPwEsY3rEVsk/G2WxhgTV1PF7hHuLIK0YWVKZhKv9Mj8Ue"
	    "XqkMVbnVq37CD+813gvYjcBUaZngQmXc9WNZSDNGCzA+fWl9MEUHWIZo1CeJebdY/XlgK"
	    "eTa0Olvq0rt70Q5jiSfbqMJmQFteeivUhkMWYUA=\r\n"
	    "Contact: <sip:fluffy@127.0.0.1:5070>\r\n"
	    "To: <sip:kumiko@example.org>\r\n"
	    "From: <sip:fluffy@example.com>;tag=2fb0dcc9\r\n"
	    "Call-ID: 3d9485ad0c49859b@Zmx1ZmZ5LW1hYy0xNi5sb2NhbA..\r\n"
	    "CSeq: 1 MESSAGE\r\n"
	    "Content-Transfer-Encoding: binary\r\n"
	    "Content-Type: multipart/mixed;boundary=7a9cbec02ceef655\r\n"
	    "Date: Sat, 15 Oct 2005 04:44:56 GMT\r\n"
	    "User-Agent: SIPimp.org/0.2.5 (curses)\r\n"
	    "Content-Length: @CL@\r\n"
	    "\r\n"
	    "--7a9cbec02ceef655\r\n"
	    "Content-Type: text/plain\r\n"
	    "Content-Transfer-Encoding: binary\r\n"
	    "\r\n"
	    "Hello\r\n"
	    "--7a9cbec02ceef655\r\n"
	    "Content-Type: application/octet-stream\r\n"
	    "Content-Transfer-Encoding: binary\r\n"
	    "\r\n"
	    "0\x82\x01R\x06\t*\x86H\x86\xf7\r\x01\x07\x02\xa0\x82\x01" "C0"
	    "\x82\x01?\x02\x01\x01\x31\t0\x07\x06\x05+\x0e\x03\x02\x1a" "0"
	    "\x0b\x06\t*\x86H\x86\xf7\r\x01\x07\x01\x00\x00\n\r\r\n\xff\r\n"
	    "--7a9cbec02ceef655--\r\n";
	struct rt_sip_str p;
	const char *semi;
	time_t t;

	(void)state;
	sip_assert_ok("mpart01", sip_run_len(mpart01, sizeof(mpart01) - 1));
	assert_int_equal(sip_p.msg.method, RT_SIP_MESSAGE);
	assert_int_equal((size_t)sip_p.msg.content_length, sip_p.msg.body.len);
	assert_non_null(memchr(sip_p.msg.body.p, '\0', sip_p.msg.body.len));
	assert_int_equal(rt_sip_date_parse(sip_value_of(RT_HDR_DATE), &t), 0);
	assert_int_equal((long long)t, 1129351496LL);
	sip_assert_str(sip_value_of(RT_HDR_USER_AGENT), "SIPimp.org/0.2.5 (curses)");
	p = sip_value_of(RT_HDR_CONTENT_TYPE);
	semi = memchr(p.p, ';', p.len);
	assert_non_null(semi);
	p.len -= (size_t)(semi - p.p);
	p.p = semi;
	assert_int_equal(rt_sip_param(p, "boundary", &p), 0);
	sip_assert_str(p, "7a9cbec02ceef655");
	assert_int_equal(sip_p.msg.count[RT_HDR_OTHER], 2);	/* Identity, C-T-E */
}

/* 3.1.2: the fault is in a value; the message itself parses. */
static void
test_value_errors(void **state)
{
	struct rt_sip_str u, d, params;
	time_t t;
	int calls = 0;

	(void)state;
	/* 3.1.2.1 badinv01: empty Via and Contact parameters */
	sip_assert_ok("badinv01", sip_run("INVITE sip:user@example.com SIP/2.0\r\n"
	    "To: sip:j.user@example.com\r\n"
	    "From: sip:caller@example.net;tag=134161461246\r\n"
	    "Max-Forwards: 7\r\n"
	    "Call-ID: badinv01.0ha0isndaksdjasdf3234nas\r\n"
	    "CSeq: 8 INVITE\r\n"
	    "Via: SIP/2.0/UDP 192.0.2.15;;,;,,\r\n"
	    "Contact: \"Joe\" <sip:joe@example.org>;;;;\r\n"
	    "Content-Length: @CL@\r\n"
	    "Content-Type: application/sdp\r\n\r\n"
	    SDP("192.0.2.15", "192.0.2.15")));
	assert_int_equal(sip_p.msg.content_length, 152);
	assert_int_equal(rt_sip_split_list(sip_value_of(RT_HDR_VIA), count_fn,
	    &calls), RT_ERR_BAD_INPUT);
	assert_int_equal(calls, 0);
	assert_int_equal(rt_sip_name_addr(sip_value_of(RT_HDR_CONTACT), &u, &d,
	    &params), RT_ERR_BAD_INPUT);
	sip_check_name_addr(RT_HDR_FROM, "sip:caller@example.net", "", "tag",
	    "134161461246");

	/* 3.1.2.6 quotbal: unterminated quote in the To display name */
	sip_assert_ok("quotbal", sip_run("INVITE sip:user@example.com SIP/2.0\r\n"
	    "To: \"Mr. J. User <sip:j.user@example.com>\r\n"
	    "From: sip:caller@example.net;tag=93334\r\n"
	    "Max-Forwards: 10\r\n"
	    "Call-ID: quotbal.aksdj\r\n"
	    "Contact: <sip:caller@host59.example.net>\r\n"
	    "CSeq: 8 INVITE\r\n"
	    "Via: SIP/2.0/UDP 192.0.2.59:5050;branch=z9hG4bKkdjuw39234\r\n"
	    "Content-Type: application/sdp\r\n"
	    "Content-Length: @CL@\r\n\r\n" SDP("192.0.2.15", "192.0.2.15")));
	assert_int_equal(rt_sip_name_addr(sip_value_of(RT_HDR_TO), &u, &d, &params),
	    RT_ERR_BAD_INPUT);

	/* 3.1.2.12 baddate: a Date in EST */
	sip_assert_ok("baddate", sip_run("INVITE sip:user@example.com SIP/2.0\r\n"
	    "To: sip:user@example.com\r\n"
	    "From: sip:caller@example.net;tag=2234923\r\n"
	    "Max-Forwards: 70\r\n"
	    "Call-ID: baddate.239423mnsadf3j23lj42--sedfnm234\r\n"
	    "CSeq: 1392934 INVITE\r\n"
	    "Via: SIP/2.0/UDP host.example.com;branch=z9hG4bKkdjuw\r\n"
	    "Date: Fri, 01 Jan 2010 16:00:00 EST\r\n"
	    "Contact: <sip:caller@host5.example.net>\r\n"
	    "Content-Type: application/sdp\r\n"
	    "Content-Length: @CL@\r\n\r\n" SDP("192.0.2.5", "192.0.2.5")));
	assert_int_equal(rt_sip_date_parse(sip_value_of(RT_HDR_DATE), &t),
	    RT_ERR_BAD_INPUT);

	/* 3.1.2.13 regbadct: an addr-spec Contact with an escaped header */
	sip_assert_ok("regbadct", sip_run("REGISTER sip:example.com SIP/2.0\r\n"
	    "To: sip:user@example.com\r\n"
	    "From: sip:user@example.com;tag=998332\r\n"
	    "Max-Forwards: 70\r\n"
	    "Call-ID: regbadct.k345asrl3fdbv@10.0.0.1\r\n"
	    "CSeq: 1 REGISTER\r\n"
	    "Via: SIP/2.0/UDP 135.180.130.133:5060;branch=z9hG4bKkdjuw\r\n"
	    "Contact: sip:user@example.com?Route=%3Csip:sip.example.com%3E\r\n"
	    "l: 0\r\n\r\n"));
	assert_int_equal(rt_sip_name_addr(sip_value_of(RT_HDR_CONTACT), &u, &d,
	    &params), RT_ERR_BAD_INPUT);

	/* 3.1.2.14 badaspec: spaces inside <>; the quoted comma in From is fine */
	sip_assert_ok("badaspec", sip_run("OPTIONS sip:user@example.org SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP host4.example.com:5060;branch=z9hG4bKkdju43234\r\n"
	    "Max-Forwards: 70\r\n"
	    "From: \"Bell, Alexander\" <sip:a.g.bell@example.com>;tag=433423\r\n"
	    "To: \"Watson, Thomas\" < sip:t.watson@example.org >\r\n"
	    "Call-ID: badaspec.sdf0234n2nds0a099u23h3hnnw009cdkne3\r\n"
	    "Accept: application/sdp\r\n"
	    "CSeq: 3923239 OPTIONS\r\n"
	    "l: 0\r\n\r\n"));
	assert_int_equal(rt_sip_name_addr(sip_value_of(RT_HDR_TO), &u, &d, &params),
	    RT_ERR_BAD_INPUT);
	sip_check_name_addr(RT_HDR_FROM, "sip:a.g.bell@example.com",
	    "Bell, Alexander", "tag", "433423");

	/* 3.1.2.15 baddn: unquoted display names with a comma */
	sip_assert_ok("baddn", sip_run("OPTIONS sip:t.watson@example.org SIP/2.0\r\n"
	    "Via:     SIP/2.0/UDP c.example.com:5060;branch=z9hG4bKkdjuw\r\n"
	    "Max-Forwards:      70\r\n"
	    "From:    Bell, Alexander <sip:a.g.bell@example.com>;tag=43\r\n"
	    "To:      Watson, Thomas <sip:t.watson@example.org>\r\n"
	    "Call-ID: baddn.31415@c.example.com\r\n"
	    "Accept: application/sdp\r\n"
	    "CSeq:    3923239 OPTIONS\r\n"
	    "l: 0\r\n\r\n"));
	assert_int_equal(rt_sip_name_addr(sip_value_of(RT_HDR_FROM), &u, &d,
	    &params), RT_ERR_BAD_INPUT);
	assert_int_equal(rt_sip_name_addr(sip_value_of(RT_HDR_TO), &u, &d, &params),
	    RT_ERR_BAD_INPUT);
}

/* 3.2 and 3.3: well-formed messages with surprising meanings. */
static void
test_application_layer(void **state)
{
	struct rt_sip_str u, d, params, v;
	struct rt_sip_uri uri;
	int calls = 0;

	(void)state;
	/* 3.2.1 badbranch: a branch of only the magic cookie */
	sip_assert_ok("badbranch", sip_run("OPTIONS sip:user@example.com SIP/2.0\r\n"
	    "To: sip:user@example.com\r\n"
	    "From: sip:caller@example.org;tag=33242\r\n"
	    "Max-Forwards: 3\r\n"
	    "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK\r\n"
	    "Accept: application/sdp\r\n"
	    "Call-ID: badbranch.sadonfo23i420jv0as0derf3j3n\r\n"
	    "CSeq: 8 OPTIONS\r\n"
	    "l: 0\r\n\r\n"));

	/* 3.3.2 unkscm, 3.3.3 novelsc: any absoluteURI may be a Request-URI;
	 * rt_sip_uri_parse knows only sip, sips and tel */
	sip_assert_ok("unkscm", sip_run("OPTIONS nobodyKnowsThisScheme:totallyopaque"
	    "content SIP/2.0\r\n"
	    "To: sip:user@example.com\r\n"
	    "From: sip:caller@example.net;tag=384\r\n"
	    "Max-Forwards: 3\r\n"
	    "Call-ID: unkscm.nasdfasser0q239nwsdfasdkl34\r\n"
	    "CSeq: 3923423 OPTIONS\r\n"
	    "Via: SIP/2.0/TCP host9.example.com;branch=z9hG4bKkdjuw39234\r\n"
	    "Content-Length: 0\r\n\r\n"));
	assert_int_equal(rt_sip_uri_parse(sip_p.msg.ruri, &uri), RT_ERR_BAD_INPUT);
	sip_assert_ok("novelsc", sip_run("OPTIONS soap.beep://192.0.2.103:3002 SIP/2.0\r\n"
	    "To: sip:user@example.com\r\n"
	    "From: sip:caller@example.net;tag=384\r\n"
	    "Max-Forwards: 3\r\n"
	    "Call-ID: novelsc.asdfasser0q239nwsdfasdkl34\r\n"
	    "CSeq: 3923423 OPTIONS\r\n"
	    "Via: SIP/2.0/TCP host9.example.com;branch=z9hG4bKkdjuw39234\r\n"
	    "Content-Length: 0\r\n\r\n"));
	sip_assert_str(sip_p.msg.ruri, "soap.beep://192.0.2.103:3002");

	/* 3.3.4 unksm2: unknown schemes in To, From, Contact */
	sip_assert_ok("unksm2", sip_run("REGISTER sip:example.com SIP/2.0\r\n"
	    "To: isbn:2983792873\r\n"
	    "From: <http://www.example.com>;tag=3234233\r\n"
	    "Call-ID: unksm2.daksdj@hyphenated-host.example.com\r\n"
	    "CSeq: 234902 REGISTER\r\n"
	    "Max-Forwards: 70\r\n"
	    "Via: SIP/2.0/UDP 192.0.2.21:5060;branch=z9hG4bKkdjuw\r\n"
	    "Contact: <name:John_Smith>\r\n"
	    "l: 0\r\n\r\n"));
	sip_check_name_addr(RT_HDR_TO, "isbn:2983792873", "", NULL, NULL);
	sip_check_name_addr(RT_HDR_FROM, "http://www.example.com", "", "tag", "3234233");
	sip_check_name_addr(RT_HDR_CONTACT, "name:John_Smith", "", NULL, NULL);
	assert_int_equal(rt_sip_name_addr(sip_value_of(RT_HDR_FROM), &u, &d, &params), 0);
	assert_int_equal(rt_sip_uri_parse(u, &uri), RT_ERR_BAD_INPUT);

	/* 3.3.5 bext01: extensions nobody supports */
	sip_assert_ok("bext01", sip_run("OPTIONS sip:user@example.com SIP/2.0\r\n"
	    "To: sip:j_user@example.com\r\n"
	    "From: sip:caller@example.net;tag=242etr\r\n"
	    "Max-Forwards: 6\r\n"
	    "Call-ID: bext01.0ha0isndaksdj\r\n"
	    "Require: nothingSupportsThis, nothingSupportsThisEither\r\n"
	    "Proxy-Require: noProxiesSupportThis, norDoAnyProxiesSupportThis\r\n"
	    "CSeq: 8 OPTIONS\r\n"
	    "Via: SIP/2.0/TLS fold-and-staple.example.com;branch=z9hG4bKkdjuw\r\n"
	    "Content-Length: 0\r\n\r\n"));
	assert_int_equal(sip_p.msg.count[RT_HDR_REQUIRE], 1);
	assert_int_equal(sip_p.msg.count[RT_HDR_PROXY_REQUIRE], 1);
	assert_int_equal(rt_sip_split_list(sip_value_of(RT_HDR_PROXY_REQUIRE),
	    count_fn, &calls), 0);
	assert_int_equal(calls, 2);

	/* 3.3.6 invut: an unknown body type */
	sip_assert_ok("invut", sip_run("INVITE sip:user@example.com SIP/2.0\r\n"
	    "Contact: <sip:caller@host5.example.net>\r\n"
	    "To: sip:j.user@example.com\r\n"
	    "From: sip:caller@example.net;tag=8392034\r\n"
	    "Max-Forwards: 70\r\n"
	    "Call-ID: invut.0ha0isndaksdjadsfij34n23d\r\n"
	    "CSeq: 235448 INVITE\r\n"
	    "Via: SIP/2.0/UDP somehost.example.com;branch=z9hG4bKkdjuw\r\n"
	    "Content-Type: application/unknownformat\r\n"
	    "Content-Length: 40\r\n\r\n"
	    "<audio>\r\n <pcmu port=\"443\"/>\r\n</audio>\r\n"));

	/* 3.3.7 regaut01: an unknown authorization scheme */
	sip_assert_ok("regaut01", sip_run("REGISTER sip:example.com SIP/2.0\r\n"
	    "To: sip:j.user@example.com\r\n"
	    "From: sip:j.user@example.com;tag=87321hj23128\r\n"
	    "Max-Forwards: 8\r\n"
	    "Call-ID: regaut01.0ha0isndaksdj\r\n"
	    "CSeq: 9338 REGISTER\r\n"
	    "Via: SIP/2.0/TCP 192.0.2.253;branch=z9hG4bKkdjuw\r\n"
	    "Authorization: NoOneKnowsThisScheme opaque-data=here\r\n"
	    "Content-Length:0\r\n\r\n"));
	sip_assert_str(sip_value_of(RT_HDR_AUTHORIZATION),
	    "NoOneKnowsThisScheme opaque-data=here");

	/* 3.3.11 zeromf: Max-Forwards 0 */
	sip_assert_ok("zeromf", sip_run("OPTIONS sip:user@example.com SIP/2.0\r\n"
	    "To: sip:user@example.com\r\n"
	    "From: sip:caller@example.net;tag=3ghsd41\r\n"
	    "Call-ID: zeromf.jfasdlfnm2o2l43r5u0asdfas\r\n"
	    "CSeq: 39234321 OPTIONS\r\n"
	    "Via: SIP/2.0/UDP host1.example.com;branch=z9hG4bKkdjuw2349i\r\n"
	    "Max-Forwards: 0\r\n"
	    "Content-Length: 0\r\n\r\n"));
	assert_int_equal(sip_p.msg.max_forwards, 0);

	/* 3.3.12 cparam01, 3.3.13 cparam02: whose parameter is it */
	sip_assert_ok("cparam01", sip_run("REGISTER sip:example.com SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP saturn.example.com:5060;branch=z9hG4bKkdjuw\r\n"
	    "Max-Forwards: 70\r\n"
	    "From: sip:watson@example.com;tag=DkfVgjkrtMwaerKKpe\r\n"
	    "To: sip:watson@example.com\r\n"
	    "Call-ID: cparam01.70710@saturn.example.com\r\n"
	    "CSeq: 2 REGISTER\r\n"
	    "Contact: sip:+19725552222@gw1.example.net;unknownparam\r\n"
	    "l: 0\r\n\r\n"));
	sip_check_name_addr(RT_HDR_CONTACT, "sip:+19725552222@gw1.example.net", "",
	    "unknownparam", "");
	sip_assert_ok("cparam02", sip_run("REGISTER sip:example.com SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP saturn.example.com:5060;branch=z9hG4bKkdjuw\r\n"
	    "Max-Forwards: 70\r\n"
	    "From: sip:watson@example.com;tag=838293\r\n"
	    "To: sip:watson@example.com\r\n"
	    "Call-ID: cparam02.70710@saturn.example.com\r\n"
	    "CSeq: 3 REGISTER\r\n"
	    "Contact: <sip:+19725552222@gw1.example.net;unknownparam>\r\n"
	    "l: 0\r\n\r\n"));
	assert_int_equal(rt_sip_name_addr(sip_value_of(RT_HDR_CONTACT), &u, &d,
	    &params), 0);
	assert_int_equal(params.len, 0);
	assert_int_equal(rt_sip_uri_parse(u, &uri), 0);
	assert_int_equal(rt_sip_param(uri.params, "unknownparam", &v), 0);

	/* 3.3.14 regescrt: an escaped header in a Contact inside <> */
	sip_assert_ok("regescrt", sip_run("REGISTER sip:example.com SIP/2.0\r\n"
	    "To: sip:user@example.com\r\n"
	    "From: sip:user@example.com;tag=8\r\n"
	    "Max-Forwards: 70\r\n"
	    "Call-ID: regescrt.k345asrl3fdbv@192.0.2.1\r\n"
	    "CSeq: 14398234 REGISTER\r\n"
	    "Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bKkdjuw\r\n"
	    "M: <sip:user@example.com?Route=%3Csip:sip.example.com%3E>\r\n"
	    "L:0\r\n\r\n"));
	assert_int_equal(rt_sip_name_addr(sip_value_of(RT_HDR_CONTACT), &u, &d,
	    &params), 0);
	assert_int_equal(rt_sip_uri_parse(u, &uri), 0);
	sip_assert_str(uri.headers, "Route=%3Csip:sip.example.com%3E");

	/* 3.3.15 sdp01: an Accept the offer does not meet */
	sip_assert_ok("sdp01", sip_run("INVITE sip:user@example.com SIP/2.0\r\n"
	    "To: sip:j_user@example.com\r\n"
	    "Contact: <sip:caller@host15.example.net>\r\n"
	    "From: sip:caller@example.net;tag=234\r\n"
	    "Max-Forwards: 5\r\n"
	    "Call-ID: sdp01.ndaksdj9342dasdd\r\n"
	    "Accept: text/nobodyKnowsThis\r\n"
	    "CSeq: 8 INVITE\r\n"
	    "Via: SIP/2.0/UDP 192.0.2.15;branch=z9hG4bKkdjuw\r\n"
	    "Content-Length: 150\r\n"
	    "Content-Type: application/sdp\r\n\r\n" SDP("192.0.2.5", "192.0.2.5")));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_longreq),
		cmocka_unit_test(test_mpart01),
		cmocka_unit_test(test_value_errors),
		cmocka_unit_test(test_application_layer),
	};

	rt_log_init("test_sip_torture_app", RT_LOG_STDERR, RT_LOG_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
