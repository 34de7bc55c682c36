/*
 * rt_sip names (methods, long and compact header names) and value
 * helpers: list splitting (quoted commas, <...>), name-addr,
 * SIP/tel URIs (IPv6 per RFC 5118), parameter lists, the Date header and
 * the string helpers.
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

static struct rt_sip_str
S(const char *s)
{
	struct rt_sip_str str = {s, strlen(s)};

	return str;
}

/* ---- names: methods and headers ---- */

#define NAMES_RL(m) m " sip:bob@visited.example SIP/2.0\r\n"
#define NAMES_REQ "v: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n" \
	"f: <sip:alice@home.example>;tag=1\r\nt: <sip:bob@visited.example>\r\n" \
	"i: names@192.0.2.1\r\n"

/* Which methods the parser names; others (and other cases) stay tokens. */
static void
test_methods(void **state)
{
	static const char *const names[] = {
		"REGISTER", "INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "MESSAGE",
		"SUBSCRIBE", "NOTIFY", "INFO", "UPDATE", "PRACK", "REFER", "PUBLISH",
	};
	char buf[512];

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(buf, sizeof(buf), "%s sip:bob@visited.example SIP/2.0\r\n"
		    NAMES_REQ "CSeq: 1 %s\r\n\r\n", names[i], names[i]);
		sip_assert_ok(names[i], sip_run(buf));
		assert_int_equal(sip_p.msg.method, (enum rt_sip_method)(i + 1));
	}
	sip_assert_ok("register", sip_run(NAMES_RL("register") NAMES_REQ
	    "CSeq: 1 register\r\n\r\n"));
	assert_int_equal(sip_p.msg.method, RT_SIP_OTHER);
	sip_assert_str(sip_p.msg.method_name, "register");
	/* any scheme that is a well-formed URI may be a Request-URI */
	sip_assert_ok("urn", sip_run("OPTIONS urn:service:sos SIP/2.0\r\n" NAMES_REQ
	    "CSeq: 1 OPTIONS\r\n\r\n"));
	sip_assert_ok("tel", sip_run("OPTIONS tel:+1-555-123-4567;phone-context=+1 "
	    "SIP/2.0\r\n" NAMES_REQ "CSeq: 1 OPTIONS\r\n\r\n"));
	sip_assert_ok("ipv6", sip_run("OPTIONS sip:[2001:db8::10]:5070;transport=tcp "
	    "SIP/2.0\r\n" NAMES_REQ "CSeq: 1 OPTIONS\r\n\r\n"));
	sip_run("OPTIONS sip:2001:db8::10 SIP/2.0\r\n" NAMES_REQ
	    "CSeq: 1 OPTIONS\r\n\r\n");
	assert_int_equal(sip_p.r, RT_ERR_BAD_INPUT);
	assert_string_equal(sip_p.why, "bad Request-URI");
}

/* Every long name in any case maps to its id; near misses do not. */
static void
test_header_names(void **state)
{
	static const struct {
		const char *line;
		enum rt_sip_hdr id;
	} cases[] = {
		{"CONTACT: <sip:a@b>", RT_HDR_CONTACT},
		{"max-forwards: 70", RT_HDR_MAX_FORWARDS},
		{"CONTENT-LENGTH: 0", RT_HDR_CONTENT_LENGTH},
		{"content-type: text/plain", RT_HDR_CONTENT_TYPE},
		{"Content-Encoding: gzip", RT_HDR_CONTENT_ENCODING},
		{"ROUTE: <sip:a@b;lr>", RT_HDR_ROUTE},
		{"record-route: <sip:a@b;lr>", RT_HDR_RECORD_ROUTE},
		{"PATH: <sip:a@b;lr>", RT_HDR_PATH},
		{"authorization: Digest a=1", RT_HDR_AUTHORIZATION},
		{"PROXY-AUTHORIZATION: Digest a=1", RT_HDR_PROXY_AUTHORIZATION},
		{"p-asserted-identity: <sip:a@b>", RT_HDR_P_ASSERTED_IDENTITY},
		{"P-PREFERRED-IDENTITY: <sip:a@b>", RT_HDR_P_PREFERRED_IDENTITY},
		{"privacy: id", RT_HDR_PRIVACY},
		{"DATE: Sat, 13 Nov 2010 23:29:00 GMT", RT_HDR_DATE},
		{"expires: 60", RT_HDR_EXPIRES},
		{"SECURITY-CLIENT: digest", RT_HDR_SECURITY_CLIENT},
		{"security-verify: digest", RT_HDR_SECURITY_VERIFY},
		{"REQUIRE: path", RT_HDR_REQUIRE},
		{"proxy-require: sec-agree", RT_HDR_PROXY_REQUIRE},
		{"SUPPORTED: path", RT_HDR_SUPPORTED},
		{"event: presence", RT_HDR_EVENT},
		{"SUBJECT: hi", RT_HDR_SUBJECT},
		{"refer-to: <sip:a@b>", RT_HDR_REFER_TO},
		{"USER-AGENT: x", RT_HDR_USER_AGENT},
		{"Tos: x", RT_HDR_OTHER}, {"Vias: x", RT_HDR_OTHER},
		{"Content-Lengt: x", RT_HDR_OTHER}, {"Content-Lengths: x", RT_HDR_OTHER},
		{"Max_Forwards: x", RT_HDR_OTHER}, {"P-Asserted-Identit: x", RT_HDR_OTHER},
		{"Security-Server: digest", RT_HDR_OTHER}, {"z: x", RT_HDR_OTHER},
		{"Session-Expires: 1800", RT_HDR_OTHER},
		{"X-A-Very-Long-Extension-Header-Name: x", RT_HDR_OTHER},
	};
	char buf[512];

	(void)state;
	sip_assert_ok("long names", sip_run(NAMES_RL("OPTIONS")
	    "VIA: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
	    "from: <sip:alice@home.example>;tag=1\r\ntO: <sip:bob@visited.example>\r\n"
	    "CALL-id: names@192.0.2.1\r\ncseq: 1 OPTIONS\r\n\r\n"));
	assert_int_equal(sip_p.msg.headers[0].id, RT_HDR_VIA);
	assert_int_equal(sip_p.msg.headers[1].id, RT_HDR_FROM);
	assert_int_equal(sip_p.msg.headers[2].id, RT_HDR_TO);
	assert_int_equal(sip_p.msg.headers[3].id, RT_HDR_CALL_ID);
	assert_int_equal(sip_p.msg.headers[4].id, RT_HDR_CSEQ);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(buf, sizeof(buf), NAMES_RL("OPTIONS") NAMES_REQ
		    "CSeq: 1 OPTIONS\r\n%s\r\n\r\n", cases[i].line);
		sip_assert_ok(cases[i].line, sip_run(buf));
		if (sip_p.msg.headers[5].id != cases[i].id)
			fail_msg("%s: id %d, want %d", cases[i].line,
			    (int)sip_p.msg.headers[5].id, (int)cases[i].id);
	}
}

/* ---- lists ---- */

struct collect {
	int n;
	int stop_at;	/* return 99 at this element (1-based), 0: never */
	char elems[8][128];
};

static int
collect_fn(void *arg, struct rt_sip_str elem)
{
	struct collect *c = arg;

	if (c->n < 8)
		snprintf(c->elems[c->n], sizeof(c->elems[0]), "%.*s", (int)elem.len,
		    elem.p);
	c->n++;
	return c->n == c->stop_at ? 99 : 0;
}

static int
split(const char *s, struct collect *c)
{
	memset(c, 0, sizeof(*c));
	return rt_sip_split_list(S(s), collect_fn, c);
}

static void
test_split_list(void **state)
{
	static const char *const bad[] = {
		"", "  ", "a,,b", "a,", ",a", "a, ,b",
		"\"Bell, Alexander <sip:a@b>",		/* unterminated quote */
		"<sip:a@b", "sip:a@b>", "<<sip:a@b>>", "<sip:a@b>, <sip:c@d",
		"\"a\\\"",				/* the quote is escaped */
	};
	struct collect c;

	(void)state;
	assert_int_equal(split("SIP/2.0/UDP p1.example;branch=z9hG4bK1, "
	    "SIP/2.0/TCP p2.example:5061;branch=z9hG4bK2", &c), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.elems[0], "SIP/2.0/UDP p1.example;branch=z9hG4bK1");
	assert_string_equal(c.elems[1], "SIP/2.0/TCP p2.example:5061;branch=z9hG4bK2");
	/* quoted commas in display names do not split (RFC 4475 badaspec) */
	assert_int_equal(split("\"Bell, Alexander\" <sip:a.g.bell@example.com>;tag=1,"
	    "\"Watson, Thomas\" <sip:t.watson@example.org>", &c), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.elems[0],
	    "\"Bell, Alexander\" <sip:a.g.bell@example.com>;tag=1");
	assert_string_equal(c.elems[1], "\"Watson, Thomas\" <sip:t.watson@example.org>");
	/* nor do escaped quotes end a quoted string, nor commas inside <> */
	assert_int_equal(split("\"a \\\"b, c\\\" d\" <sip:x@y>, <sip:z@w;x=1,2>", &c), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.elems[0], "\"a \\\"b, c\\\" d\" <sip:x@y>");
	assert_string_equal(c.elems[1], "<sip:z@w;x=1,2>");
	/* Record-Route / Path sets, trimmed */
	assert_int_equal(split(" <sip:p1.visited.example;lr> ,\t<sip:p2.home.example;lr>\t",
	    &c), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.elems[0], "<sip:p1.visited.example;lr>");
	assert_string_equal(c.elems[1], "<sip:p2.home.example;lr>");
	/* RFC 3329 Security-Client */
	assert_int_equal(split("digest;d-alg=md5, ipsec-3gpp;alg=hmac-sha-1-96;"
	    "spi-c=1111;spi-s=2222;port-c=5062;port-s=5064", &c), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.elems[0], "digest;d-alg=md5");
	assert_int_equal(split("single", &c), 0);
	assert_int_equal(c.n, 1);
	/* fn's non-zero result stops the walk and comes back */
	memset(&c, 0, sizeof(c));
	c.stop_at = 2;
	assert_int_equal(rt_sip_split_list(S("a,b,c"), collect_fn, &c), 99);
	assert_int_equal(c.n, 2);
	/* a bad list is refused before fn sees any of it */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (split(bad[i], &c) != RT_ERR_BAD_INPUT)
			fail_msg("accepted list \"%s\"", bad[i]);
		assert_int_equal(c.n, 0);
	}
}

/* ---- name-addr ---- */

static void
test_name_addr(void **state)
{
	static const char *const bad[] = {
		"", "  ", "*", "<>", "<nocolon>", "sip:",
		"\"Mr. J. User <sip:j.user@example.com>",	/* RFC 4475 quotbal */
		"\"Watson, Thomas\" < sip:t.watson@example.org >", /* badaspec */
		"Bell, Alexander <sip:a.g.bell@example.com>;tag=43", /* baddn */
		"sip:user@example.com?Route=%3Csip:sip.example.com%3E", /* regbadct */
		"sip:a@b, sip:c@d", "sip:a@b >", "<sip:a@b", "<sip:a@b>x",
		"<sip:a@b> <sip:c@d>", "\"Joe\" <sip:joe@example.org>;;;;", /* badinv01 */
		"\"x\" sip:a@b", "a\"b <sip:x@y>", "<sip:a<b@c>", "<sip:a@b>;tag=",
		"<sip:a@b>;tag=1;", "sip:a@b;ta g=1", "<sip:a\"b@c>",
	};
	struct rt_sip_str uri, display, params, v;

	(void)state;
	assert_int_equal(rt_sip_name_addr(S("<sip:alice@home.example>;tag=1"), &uri,
	    &display, &params), 0);
	sip_assert_str(uri, "sip:alice@home.example");
	assert_int_equal(display.len, 0);
	sip_assert_str(params, ";tag=1");

	/* quoted display name with escaped quotes: kept as written */
	assert_int_equal(rt_sip_name_addr(S("  \"Alice \\\"A\\\" Smith\"<sip:alice@home.example>"
	    " ;tag=9 "), &uri, &display, &params), 0);
	sip_assert_str(display, "Alice \\\"A\\\" Smith");
	sip_assert_str(uri, "sip:alice@home.example");
	sip_assert_str(params, ";tag=9");

	/* token display names, with or without LWS before '<' (lwsdisp) */
	assert_int_equal(rt_sip_name_addr(S("Alice  Smith <sip:a@b.example>"), &uri,
	    &display, &params), 0);
	sip_assert_str(display, "Alice  Smith");
	assert_int_equal(rt_sip_name_addr(S("caller<sip:caller@example.com>;tag=323"),
	    &uri, &display, &params), 0);
	sip_assert_str(display, "caller");
	sip_assert_str(params, ";tag=323");
	assert_int_equal(rt_sip_name_addr(S("\"\" <sip:a@b>"), &uri, &display,
	    &params), 0);
	assert_int_equal(display.len, 0);

	/* addr-spec: a ';' starts the header's params (RFC 4475 cparam01) */
	assert_int_equal(rt_sip_name_addr(S("sip:+19725552222@gw1.example.net;unknownparam"),
	    &uri, &display, &params), 0);
	sip_assert_str(uri, "sip:+19725552222@gw1.example.net");
	sip_assert_str(params, ";unknownparam");
	/* LWS may come between an addr-spec and its params (RFC 4475 wsinv) */
	assert_int_equal(rt_sip_name_addr(S("sip:a@b.example ;  tag = 7"), &uri,
	    &display, &params), 0);
	sip_assert_str(uri, "sip:a@b.example");
	sip_assert_str(params, ";  tag = 7");
	/* ... and inside <> it is the URI's (cparam02) */
	assert_int_equal(rt_sip_name_addr(S("<sip:+19725552222@gw1.example.net;unknownparam>"),
	    &uri, &display, &params), 0);
	sip_assert_str(uri, "sip:+19725552222@gw1.example.net;unknownparam");
	assert_int_equal(params.len, 0);
	/* URI headers are fine inside <> (regescrt) */
	assert_int_equal(rt_sip_name_addr(S("<sip:user@example.com?Route=%3Csip:sip.example.com%3E>"),
	    &uri, &display, &params), 0);
	sip_assert_str(uri, "sip:user@example.com?Route=%3Csip:sip.example.com%3E");
	/* other schemes come back as they are (unksm2) */
	assert_int_equal(rt_sip_name_addr(S("isbn:2983792873"), &uri, &display,
	    &params), 0);
	sip_assert_str(uri, "isbn:2983792873");

	/* wsinv's Contact, unfolded */
	assert_int_equal(rt_sip_name_addr(S("\"Quoted string \\\"\\\"\" <sip:jdrosen@example.com>"
	    " ; newparam = newvalue ; secondparam ; q = 0.33"), &uri, &display,
	    &params), 0);
	sip_assert_str(display, "Quoted string \\\"\\\"");
	assert_int_equal(rt_sip_param(params, "newparam", &v), 0);
	sip_assert_str(v, "newvalue");
	assert_int_equal(rt_sip_param(params, "secondparam", &v), 0);
	assert_int_equal(v.len, 0);
	assert_int_equal(rt_sip_param(params, "q", &v), 0);
	sip_assert_str(v, "0.33");

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (rt_sip_name_addr(S(bad[i]), &uri, &display, &params) !=
		    RT_ERR_BAD_INPUT)
			fail_msg("accepted name-addr \"%s\"", bad[i]);
		assert_int_equal(uri.len, 0);
	}
}

/* ---- URIs ---- */

static void
test_uri(void **state)
{
	static const char *const bad[] = {
		"", "sip", "sip:", "http://www.example.com", "mailto:a@b",
		"isbn:2983792873", "sip:@b", "sip:a@", "sip:a b@c", "sip:a@b c",
		"sip:a@b;", "sip:a@b;;lr", "sip:a@b;lr=", "sip:a@b?", "sip:a@b?x",
		"sip:a@b?=x", "sip:a@b%4", "sip:a%GG@b", "sip:a@b@c", "sip:a@b:",
		"sip:a@b:0", "sip:a@b:65536", "sip:a@b:123456", "sip:a@b:50a",
		"sip:a@b:5060:5061", "sip:a@-b.example", "sip:a@b-.example",
		"sip:a@b..c", "sip:a@.", "sip:a@b_c", "sip:a@<b>", "sip:a:p:q@b",
		"sip:a@[2001:db8::10", "sip:a@[2001:db8:::10]", "sip:a@[2001:db8::g]",
		"sip:a@[]", "sip:a@[2001:db8::10]x", "sip:[2001:db8::10]:",
		"sip:2001:db8::10",	/* RFC 5118: IPv6 needs brackets */
		"sip:a@b;x=\"q\"", "tel:", "tel:+", "tel:xyz", "tel:123?x=y",
		"tel:1@2", "tel:123;;a", "tel:123;a=%zz",
	};
	struct rt_sip_uri u;
	struct rt_sip_str v;

	(void)state;
	assert_int_equal(rt_sip_uri_parse(S("sip:alice:secret@home.example:5070;"
	    "transport=tcp;lr?Subject=hi&Priority=urgent"), &u), 0);
	sip_assert_str(u.scheme, "sip");
	sip_assert_str(u.user, "alice");
	sip_assert_str(u.password, "secret");
	sip_assert_str(u.host, "home.example");
	sip_assert_str(u.port_str, "5070");
	assert_int_equal(u.port, 5070);
	sip_assert_str(u.params, ";transport=tcp;lr");
	sip_assert_str(u.headers, "Subject=hi&Priority=urgent");
	assert_int_equal(rt_sip_param(u.params, "transport", &v), 0);
	sip_assert_str(v, "tcp");
	assert_int_equal(rt_sip_param(u.params, "lr", &v), 0);
	assert_int_equal(v.len, 0);
	assert_int_equal(rt_sip_param(u.params, "maddr", &v), RT_ERR_NOT_FOUND);

	assert_int_equal(rt_sip_uri_parse(S("SIPS:Home.Example."), &u), 0);
	sip_assert_str(u.scheme, "SIPS");
	assert_int_equal(u.user.len, 0);
	sip_assert_str(u.host, "Home.Example.");
	assert_int_equal(u.port, 0);
	assert_int_equal(u.port_str.len, 0);
	assert_int_equal(u.params.len, 0);
	assert_int_equal(u.headers.len, 0);
	assert_int_equal(rt_sip_uri_parse(S("sip:192.0.2.1:5060"), &u), 0);
	sip_assert_str(u.host, "192.0.2.1");
	assert_int_equal(u.port, 5060);

	/* escapes are checked, not decoded (RFC 4475 esc01, escnull, semiuri) */
	assert_int_equal(rt_sip_uri_parse(S("sip:sips%3Auser%40example.com@example.net"),
	    &u), 0);
	sip_assert_str(u.user, "sips%3Auser%40example.com");
	sip_assert_str(u.host, "example.net");
	assert_int_equal(rt_sip_uri_parse(S("sip:null-%00-null@example.com"), &u), 0);
	sip_assert_str(u.user, "null-%00-null");
	assert_int_equal(rt_sip_uri_parse(S("sip:user;par=u%40example.net@example.com"),
	    &u), 0);
	sip_assert_str(u.user, "user;par=u%40example.net");
	sip_assert_str(u.host, "example.com");
	assert_int_equal(rt_sip_uri_parse(S("sip:cal%6Cer@host5.example.net;%6C%72;"
	    "n%61me=v%61lue%25%34%31"), &u), 0);
	assert_int_equal(rt_sip_param(u.params, "n%61me", &v), 0);
	sip_assert_str(v, "v%61lue%25%34%31");
	/* intmeth's unusual user and password */
	assert_int_equal(rt_sip_uri_parse(S("sip:1_unusual.URI~(to-be!sure)&isn't+it$/"
	    "crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com"), &u), 0);
	sip_assert_str(u.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
	sip_assert_str(u.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
	sip_assert_str(u.host, "example.com");

	/* IPv6 references (RFC 5118) */
	assert_int_equal(rt_sip_uri_parse(S("sip:[2001:db8::10]:5070"), &u), 0);
	sip_assert_str(u.host, "[2001:db8::10]");
	assert_int_equal(u.port, 5070);
	assert_int_equal(rt_sip_uri_parse(S("sip:[2001:db8::10:5070]"), &u), 0);
	sip_assert_str(u.host, "[2001:db8::10:5070]");
	assert_int_equal(u.port, 0);
	assert_int_equal(rt_sip_uri_parse(S("sip:user@[::ffff:192.0.2.10];maddr=[2001:db8::1]"),
	    &u), 0);
	sip_assert_str(u.host, "[::ffff:192.0.2.10]");
	assert_int_equal(rt_sip_param(u.params, "maddr", &v), 0);
	sip_assert_str(v, "[2001:db8::1]");
	assert_int_equal(rt_sip_uri_parse(S("sip:[2001:db8::9:255.255.255.255]"), &u), 0);

	/* tel: (RFC 3966) */
	assert_int_equal(rt_sip_uri_parse(S("tel:+1-201-555-0123"), &u), 0);
	sip_assert_str(u.scheme, "tel");
	sip_assert_str(u.user, "+1-201-555-0123");
	assert_int_equal(u.host.len, 0);
	assert_int_equal(rt_sip_uri_parse(S("tel:7042;phone-context=example.com"), &u), 0);
	sip_assert_str(u.user, "7042");
	assert_int_equal(rt_sip_param(u.params, "phone-context", &v), 0);
	sip_assert_str(v, "example.com");

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (rt_sip_uri_parse(S(bad[i]), &u) != RT_ERR_BAD_INPUT)
			fail_msg("accepted URI \"%s\"", bad[i]);
		assert_int_equal(u.host.len + u.user.len + u.scheme.len, 0);
	}
}

/* ---- params ---- */

static void
test_param(void **state)
{
	static const char *const bad[] = {
		";;tag=1", ";tag=", ";tag=1;", ";ta g=1", ";a=\"unterminated",
		";a b", ";=1", ";a=b=c", ";", ";tag=1;TAG=2", ";a=x\"y\"",
	};
	struct rt_sip_str v;

	(void)state;
	assert_int_equal(rt_sip_param(S(";tag=abc;lr;expires=3600"), "TAG", &v), 0);
	sip_assert_str(v, "abc");
	assert_int_equal(rt_sip_param(S(";tag=abc;lr;expires=3600"), "lr", &v), 0);
	assert_int_equal(v.len, 0);
	assert_int_equal(rt_sip_param(S(";tag=abc;lr;expires=3600"), "expires", &v), 0);
	sip_assert_str(v, "3600");
	assert_int_equal(rt_sip_param(S(";tag=abc;lr"), "branch", &v),
	    RT_ERR_NOT_FOUND);
	assert_int_equal(v.len, 0);
	assert_int_equal(rt_sip_param(S("tag=abc;lr"), "tag", &v), 0);
	sip_assert_str(v, "abc");
	assert_int_equal(rt_sip_param(S(" ; tag = abc ;\tlr "), "lr", &v), 0);
	assert_int_equal(rt_sip_param(S(" ; tag = abc ;\tlr "), "tag", &v), 0);
	sip_assert_str(v, "abc");
	/* quoted values come back without their quotes, escapes as written */
	assert_int_equal(rt_sip_param(S(";+sip.instance=\"<urn:uuid:00000000-0000-1000-"
	    "8000-AABBCCDDEEFF>\";reg-id=1"), "+sip.instance", &v), 0);
	sip_assert_str(v, "<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>");
	assert_int_equal(rt_sip_param(S(";a=\"x;\\\"y\";b=1"), "b", &v), 0);
	sip_assert_str(v, "1");
	assert_int_equal(rt_sip_param(S(";a=\"x;\\\"y\";b=1"), "a", &v), 0);
	sip_assert_str(v, "x;\\\"y");
	assert_int_equal(rt_sip_param(S(";received=[2001:db8::1];rport=5060"),
	    "received", &v), 0);
	sip_assert_str(v, "[2001:db8::1]");
	assert_int_equal(rt_sip_param(S(""), "tag", &v), RT_ERR_NOT_FOUND);
	assert_int_equal(rt_sip_param(S(";tag=1"), "", &v), RT_ERR_BAD_INPUT);
	assert_int_equal(rt_sip_param(S(";tag=1"), NULL, &v), RT_ERR_BAD_INPUT);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (rt_sip_param(S(bad[i]), "tag", &v) != RT_ERR_BAD_INPUT)
			fail_msg("accepted params \"%s\"", bad[i]);
}

/* ---- Date ---- */

static void
test_date(void **state)
{
	static const struct {
		const char *s;
		long long t;
	} good[] = {
		{"Sat, 13 Nov 2010 23:29:00 GMT", 1289690940LL},
		{"Sun, 06 Nov 1994 08:49:37 GMT", 784111777LL},
		{"Sat, 15 Oct 2005 04:44:56 GMT", 1129351496LL},	/* mpart01 */
		/* the weekday is not checked against the date */
		{"Mon, 13 Nov 2010 23:29:00 GMT", 1289690940LL},
		{"Tue, 29 Feb 2000 00:00:00 GMT", 951782400LL},
		{"Thu, 01 Jan 1970 00:00:00 GMT", 0},
		{"Fri, 31 Dec 9999 23:59:59 GMT", 253402300799LL},
	};
	static const char *const bad[] = {
		"Fri, 01 Jan 2010 16:00:00 EST",	/* RFC 4475 baddate */
		"Fri, 01 Jan 2010 16:00:00 UTC", "Fri, 01 Jan 2010 16:00:00 UT",
		"Fri, 01 Jan 2010 16:00:00 gmt", "Fri, 01 Jan 2010 16:00:00 +0000",
		"Xyz, 01 Jan 2010 16:00:00 GMT", "Fri, 01 Foo 2010 16:00:00 GMT",
		"fri, 01 jan 2010 16:00:00 GMT", "Fri, 1 Jan 2010 16:00:00 GMT",
		"Fri 01 Jan 2010 16:00:00 GMT", "Fri,  01 Jan 2010 16:00:00 GMT",
		"Fri, 01 Jan 2010 16:00:00 GMT ", "Fri, 00 Jan 2010 16:00:00 GMT",
		"Fri, 32 Jan 2010 16:00:00 GMT", "Sat, 31 Apr 2010 00:00:00 GMT",
		"Mon, 29 Feb 2100 00:00:00 GMT", "Fri, 01 Jan 2010 24:00:00 GMT",
		"Fri, 01 Jan 2010 23:60:00 GMT", "Fri, 01 Jan 2010 23:59:61 GMT",
		"Wed, 31 Dec 1969 23:59:59 GMT", "Fri, 01 Jan 2O10 16:00:00 GMT",
		"Fri, 01 Jan 2010 16-00-00 GMT", "2010-01-01T16:00:00Z", "",
	};
	time_t t;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(rt_sip_date_parse(S(good[i].s), &t), 0);
		assert_int_equal((long long)t, good[i].t);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = 1;
		if (rt_sip_date_parse(S(bad[i]), &t) != RT_ERR_BAD_INPUT)
			fail_msg("accepted Date \"%s\"", bad[i]);
		assert_int_equal(t, 0);
	}
}

/* ---- strings ---- */

static void
test_strings(void **state)
{
	struct rt_sip_str nul = {"a\0b", 3}, none = {NULL, 0};
	char out[8];

	(void)state;
	assert_true(rt_sip_str_eq(S("INVITE"), "INVITE"));
	assert_false(rt_sip_str_eq(S("INVITE"), "invite"));
	assert_false(rt_sip_str_eq(S("INVITE"), "INVITES"));
	assert_true(rt_sip_str_ieq(S("Call-ID"), "call-id"));
	assert_false(rt_sip_str_ieq(S("Call-ID"), "call-i"));
	assert_true(rt_sip_str_eq(none, ""));
	assert_true(rt_sip_str_ieq(none, ""));
	assert_false(rt_sip_str_eq(none, "x"));

	assert_int_equal(rt_sip_str_copy(S("1234567"), out, sizeof(out)), 0);
	assert_string_equal(out, "1234567");
	assert_int_equal(rt_sip_str_copy(S("12345678"), out, sizeof(out)),
	    RT_ERR_TOO_BIG);
	assert_string_equal(out, "");
	assert_int_equal(rt_sip_str_copy(nul, out, sizeof(out)), RT_ERR_BAD_INPUT);
	assert_string_equal(out, "");
	assert_int_equal(rt_sip_str_copy(none, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(rt_sip_str_copy(S(""), out, 0), RT_ERR_TOO_BIG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_methods),
		cmocka_unit_test(test_header_names),
		cmocka_unit_test(test_split_list),
		cmocka_unit_test(test_name_addr),
		cmocka_unit_test(test_uri),
		cmocka_unit_test(test_param),
		cmocka_unit_test(test_date),
		cmocka_unit_test(test_strings),
	};

	rt_log_init("test_sip_util", RT_LOG_STDERR, RT_LOG_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
