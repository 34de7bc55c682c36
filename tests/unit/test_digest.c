/*
 * rt_digest: the RFC 2617 and RFC 7616 examples, SIP requests with and
 * without qop, auth-int, every refusal of the parser, and the challenge
 * text. Expected values were computed independently (openssl dgst).
 * Nonces are in test_digest_nonce.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "rt_digest.h"

#define RFC7616_NONCE "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
#define RFC7616_CNONCE "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
#define RFC7616_OPAQUE "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"

/* alice:home.example:s3cret */
#define ALICE_HA1_MD5 "5f5790a36dacee04ff2b1d305f251df6"
#define ALICE_HA1_SHA256 \
	"0b2c004de9644f49961aad1b64bb129c53da985acb1dd2a46a40db34bea451bc"

static int
parse(const char *value, struct rt_digest_creds *c, const char **whyp)
{
	return rt_digest_parse(value, strlen(value), c, whyp);
}

/* RFC 2617 3.5: the header parsed, then verified with the password. */
static void
test_rfc2617(void **state)
{
	static const char value[] =
	    "Digest username=\"Mufasa\",\n"
	    "                 realm=\"testrealm@host.com\"";
	static const char oneline[] =
	    "Digest username=\"Mufasa\", realm=\"testrealm@host.com\", "
	    "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", "
	    "uri=\"/dir/index.html\", qop=auth, nc=00000001, "
	    "cnonce=\"0a4f113b\", "
	    "response=\"6629fae49393a05397450978507c4ef1\", "
	    "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"";
	struct rt_digest_creds c;
	char ha1[RT_DIGEST_HEX_MAX], out[RT_DIGEST_HEX_MAX];
	const char *why = "unset";

	(void)state;
	/* The RFC folds the header over lines: the SIP/HTTP parser unfolds. */
	assert_int_equal(parse(value, &c, &why), RT_ERR_BAD_INPUT);
	assert_string_equal(why, "control character");
	assert_int_equal(parse(oneline, &c, &why), 0);
	assert_null(why);
	assert_string_equal(c.username, "Mufasa");
	assert_string_equal(c.realm, "testrealm@host.com");
	assert_string_equal(c.nonce, "dcd98b7102dd2f0e8b11d0f600bfb0c093");
	assert_string_equal(c.uri, "/dir/index.html");
	assert_string_equal(c.qop, "auth");
	assert_string_equal(c.nc, "00000001");
	assert_string_equal(c.cnonce, "0a4f113b");
	assert_string_equal(c.opaque, "5ccc069c403ebaf9f0171e9517f40e41");
	assert_string_equal(c.algorithm, "");
	assert_int_equal(c.alg, RT_DIGEST_MD5);
	assert_int_equal(rt_digest_ha1(RT_DIGEST_MD5, "Mufasa",
	    "testrealm@host.com", "Circle Of Life", ha1), 0);
	assert_int_equal(rt_digest_response(RT_DIGEST_MD5, ha1, &c, "GET", NULL,
	    out), 0);
	assert_string_equal(out, "6629fae49393a05397450978507c4ef1");
	assert_int_equal(rt_digest_verify(ha1, &c, "GET", NULL), 0);
	assert_int_equal(rt_digest_verify(ha1, &c, "POST", NULL), RT_ERR_DENIED);
}

/* RFC 7616 3.9.1, MD5 and SHA-256. */
static void
test_rfc7616(void **state)
{
	static const struct {
		const char *algorithm;
		const char *response;
	} cases[] = {
		{"MD5", "8ca523f5e9506fed4657c9700eebdbec"},
		{"SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697"
		    "cf8db5856cb6c1"},
	};

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct rt_digest_creds c;
		char value[1024], ha1[RT_DIGEST_HEX_MAX], out[RT_DIGEST_HEX_MAX];
		const char *why;

		snprintf(value, sizeof(value),
		    "Digest username=\"Mufasa\", realm=\"http-auth@example.org\", "
		    "uri=\"/dir/index.html\", algorithm=%s, "
		    "nonce=\"" RFC7616_NONCE "\", nc=00000001, "
		    "cnonce=\"" RFC7616_CNONCE "\", qop=auth, response=\"%s\", "
		    "opaque=\"" RFC7616_OPAQUE "\"",
		    cases[i].algorithm, cases[i].response);
		assert_int_equal(parse(value, &c, &why), 0);
		assert_string_equal(c.algorithm, cases[i].algorithm);
		assert_int_equal(c.alg, i == 0 ? RT_DIGEST_MD5 : RT_DIGEST_SHA256);
		assert_string_equal(c.nonce, RFC7616_NONCE);
		assert_string_equal(c.cnonce, RFC7616_CNONCE);
		assert_string_equal(c.opaque, RFC7616_OPAQUE);
		assert_int_equal(rt_digest_ha1(c.alg, "Mufasa",
		    "http-auth@example.org", "Circle of Life", ha1), 0);
		assert_int_equal(strlen(ha1), i == 0 ? 32 : 64);
		assert_int_equal(rt_digest_response(c.alg, ha1, &c, "GET", NULL,
		    out), 0);
		assert_string_equal(out, cases[i].response);
		assert_int_equal(rt_digest_verify(ha1, &c, "GET", NULL), 0);
		/* The password of RFC 2617 (capital O) is another password. */
		assert_int_equal(rt_digest_ha1(c.alg, "Mufasa",
		    "http-auth@example.org", "Circle Of Life", ha1), 0);
		assert_int_equal(rt_digest_verify(ha1, &c, "GET", NULL),
		    RT_ERR_DENIED);
	}
}

/* A SIP REGISTER as sipp sends it: no spaces, unquoted qop and nc. */
static void
test_sip_register(void **state)
{
	static const char md5[] =
	    "Digest username=\"alice\",realm=\"home.example\","
	    "cnonce=\"6b8b4567\",nc=00000001,qop=auth,"
	    "uri=\"sip:127.0.0.1:5060\",nonce=\"NONCE42\","
	    "response=\"9ec449ce084277e0c8de86b283a9c7a9\",algorithm=MD5";
	static const char sha256[] =
	    "digest username=\"alice\",realm=\"home.example\","
	    "cnonce=\"6b8b4567\",nc=00000001,qop=auth,"
	    "uri=\"sip:127.0.0.1:5060\",nonce=\"NONCE42\",response=\""
	    "F5135C6B77ABB55324CC99ADC8624E4D19A03B1666119FC5B26C126205ED1A7B\","
	    "algorithm=sha-256";
	struct rt_digest_creds c;
	char ha1[RT_DIGEST_HEX_MAX], out[RT_DIGEST_HEX_MAX];
	const char *why;

	(void)state;
	assert_int_equal(rt_digest_ha1(RT_DIGEST_MD5, "alice", "home.example",
	    "s3cret", ha1), 0);
	assert_string_equal(ha1, ALICE_HA1_MD5);
	assert_int_equal(parse(md5, &c, &why), 0);
	assert_string_equal(c.uri, "sip:127.0.0.1:5060");
	assert_int_equal(rt_digest_response(RT_DIGEST_MD5, ha1, &c, "REGISTER",
	    NULL, out), 0);
	assert_string_equal(out, "9ec449ce084277e0c8de86b283a9c7a9");
	assert_int_equal(rt_digest_verify(ha1, &c, "REGISTER", NULL), 0);
	/* an HA1 in capitals is the same HA1 */
	assert_int_equal(rt_digest_verify("5F5790A36DACEE04FF2B1D305F251DF6", &c,
	    "REGISTER", NULL), 0);
	assert_int_equal(rt_digest_verify(ALICE_HA1_SHA256, &c, "REGISTER",
	    NULL), RT_ERR_BAD_INPUT);

	/* scheme and algorithm in any case, response in capitals */
	assert_int_equal(parse(sha256, &c, &why), 0);
	assert_int_equal(c.alg, RT_DIGEST_SHA256);
	assert_string_equal(c.algorithm, "sha-256");
	assert_int_equal(rt_digest_ha1(RT_DIGEST_SHA256, "alice", "home.example",
	    "s3cret", ha1), 0);
	assert_string_equal(ha1, ALICE_HA1_SHA256);
	assert_int_equal(rt_digest_verify(ha1, &c, "REGISTER", NULL), 0);
	assert_int_equal(rt_digest_ha1(RT_DIGEST_SHA256, "alice", "home.example",
	    "wrong", ha1), 0);
	assert_int_equal(rt_digest_verify(ha1, &c, "REGISTER", NULL),
	    RT_ERR_DENIED);
}

/* RFC 2069 form: no qop, response = H(HA1:nonce:HA2). */
static void
test_no_qop(void **state)
{
	static const char value[] =
	    "Digest username=\"alice\", realm=\"home.example\", "
	    "nonce=\"NONCE42\", uri=\"sip:127.0.0.1:5060\", "
	    "response=\"a56f2ca2adc69a0a1f6abfa9948ddcd0\"";
	struct rt_digest_creds c;
	char out[RT_DIGEST_HEX_MAX];
	const char *why;

	(void)state;
	assert_int_equal(parse(value, &c, &why), 0);
	assert_string_equal(c.qop, "");
	assert_string_equal(c.nc, "");
	assert_int_equal(rt_digest_response(RT_DIGEST_MD5, ALICE_HA1_MD5, &c,
	    "REGISTER", NULL, out), 0);
	assert_string_equal(out, "a56f2ca2adc69a0a1f6abfa9948ddcd0");
	assert_int_equal(rt_digest_verify(ALICE_HA1_MD5, &c, "REGISTER", NULL), 0);
	c.alg = RT_DIGEST_SHA256;
	assert_int_equal(rt_digest_response(RT_DIGEST_SHA256, ALICE_HA1_SHA256,
	    &c, "REGISTER", NULL, out), 0);
	assert_string_equal(out, "d212308a84a5092383b26164d96b9640b3126c8590e9"
	    "97f9f5f44d035867b250");
	/* a client may leave out the cnonce/nc it may not send: ignored */
	strcpy(c.nc, "00000001");
	assert_int_equal(rt_digest_response(RT_DIGEST_SHA256, ALICE_HA1_SHA256,
	    &c, "REGISTER", NULL, out), 0);
	assert_string_equal(out, "d212308a84a5092383b26164d96b9640b3126c8590e9"
	    "97f9f5f44d035867b250");
}

/* qop=auth-int: HA2 = H(method:uri:H(body)). */
static void
test_auth_int(void **state)
{
	static const char body[] = "v=0\r\n";
	struct rt_digest_creds c;
	char body_hash[RT_DIGEST_HEX_MAX], out[RT_DIGEST_HEX_MAX];
	char value[512];
	const char *why;

	(void)state;
	assert_int_equal(rt_digest_hash(RT_DIGEST_MD5, body, strlen(body),
	    body_hash), 0);
	assert_string_equal(body_hash, "b0d75ee0fad0609be9c67fb60aaf290a");
	assert_int_equal(rt_digest_hash(RT_DIGEST_MD5, NULL, 0, out), 0);
	assert_string_equal(out, "d41d8cd98f00b204e9800998ecf8427e");
	assert_int_equal(rt_digest_hash(RT_DIGEST_SHA256, "", 0, out), 0);
	assert_string_equal(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b93"
	    "4ca495991b7852b855");
	snprintf(value, sizeof(value),
	    "Digest username=\"alice\", realm=\"home.example\", "
	    "nonce=\"NONCE42\", uri=\"sip:bob@home.example\", qop=auth-int, "
	    "nc=00000002, cnonce=\"6b8b4567\", "
	    "response=\"bee09c89a39f5fbc4fab51bb0741ef3e\"");
	assert_int_equal(parse(value, &c, &why), 0);
	assert_string_equal(c.qop, "auth-int");
	assert_int_equal(rt_digest_verify(ALICE_HA1_MD5, &c, "MESSAGE",
	    body_hash), 0);
	assert_int_equal(rt_digest_verify(ALICE_HA1_MD5, &c, "MESSAGE",
	    "B0D75EE0FAD0609BE9C67FB60AAF290A"), 0);
	/* another body */
	assert_int_equal(rt_digest_hash(RT_DIGEST_MD5, "v=1\r\n", 5, out), 0);
	assert_int_equal(rt_digest_verify(ALICE_HA1_MD5, &c, "MESSAGE", out),
	    RT_ERR_DENIED);
	/* no body hash, or a malformed one */
	assert_int_equal(rt_digest_verify(ALICE_HA1_MD5, &c, "MESSAGE", NULL),
	    RT_ERR_BAD_INPUT);
	assert_int_equal(rt_digest_verify(ALICE_HA1_MD5, &c, "MESSAGE", "xyz"),
	    RT_ERR_BAD_INPUT);

	assert_int_equal(rt_digest_hash(RT_DIGEST_SHA256, body, strlen(body),
	    body_hash), 0);
	assert_string_equal(body_hash, "4cf57627095fbc4886de378fcb3407917caca20b"
	    "f078ca3f0fac3e5ca9b192d8");
	assert_int_equal(rt_digest_response(RT_DIGEST_SHA256, ALICE_HA1_SHA256,
	    &c, "MESSAGE", body_hash, out), 0);
	assert_string_equal(out, "e9eede6461ee0a3e48b44ce7f55af358696bae63de0f6d"
	    "7ffca8b60f0d8030b8");
}

/* Wrong password, tampered fields, malformed HA1: never a pass. */
static void
test_verify_denied(void **state)
{
	static const char value[] =
	    "Digest username=\"alice\",realm=\"home.example\","
	    "cnonce=\"6b8b4567\",nc=00000001,qop=auth,"
	    "uri=\"sip:127.0.0.1:5060\",nonce=\"NONCE42\","
	    "response=\"9ec449ce084277e0c8de86b283a9c7a9\",algorithm=MD5";
	struct rt_digest_creds c, t;
	char ha1[RT_DIGEST_HEX_MAX];
	const char *why;

	(void)state;
	assert_int_equal(parse(value, &c, &why), 0);
	assert_int_equal(rt_digest_ha1(RT_DIGEST_MD5, "alice", "home.example",
	    "s3cret!", ha1), 0);
	assert_int_equal(rt_digest_verify(ha1, &c, "REGISTER", NULL),
	    RT_ERR_DENIED);
	t = c;
	strcpy(t.nc, "00000002");
	assert_int_equal(rt_digest_verify(ALICE_HA1_MD5, &t, "REGISTER", NULL),
	    RT_ERR_DENIED);
	t = c;
	strcpy(t.uri, "sip:127.0.0.1:5061");
	assert_int_equal(rt_digest_verify(ALICE_HA1_MD5, &t, "REGISTER", NULL),
	    RT_ERR_DENIED);
	t = c;
	t.response[31] = '8';
	assert_int_equal(rt_digest_verify(ALICE_HA1_MD5, &t, "REGISTER", NULL),
	    RT_ERR_DENIED);
	t = c;
	t.response[31] = '\0';
	assert_int_equal(rt_digest_verify(ALICE_HA1_MD5, &t, "REGISTER", NULL),
	    RT_ERR_DENIED);
	t = c;
	strcpy(t.qop, "auth-int");
	assert_int_equal(rt_digest_verify(ALICE_HA1_MD5, &t, "REGISTER",
	    "d41d8cd98f00b204e9800998ecf8427e"), RT_ERR_DENIED);
	t = c;
	strcpy(t.qop, "other");
	assert_int_equal(rt_digest_verify(ALICE_HA1_MD5, &t, "REGISTER", NULL),
	    RT_ERR_BAD_INPUT);
	assert_int_equal(rt_digest_verify("5f5790a36dacee04ff2b1d305f251df", &c,
	    "REGISTER", NULL), RT_ERR_BAD_INPUT);
	assert_int_equal(rt_digest_verify("5f5790a36dacee04ff2b1d305f251dfg", &c,
	    "REGISTER", NULL), RT_ERR_BAD_INPUT);
	assert_int_equal(rt_digest_verify(ALICE_HA1_MD5, &c, "", NULL),
	    RT_ERR_BAD_INPUT);
	assert_int_equal(rt_digest_ha1((enum rt_digest_alg)7, "a", "b", "c", ha1),
	    RT_ERR_BAD_INPUT);
}

/* Quoting, escapes, spacing and unknown parameters that are fine. */
static void
test_parse_lenient(void **state)
{
	static const char value[] =
	    "  Digest\tusername = \"al\\\"ice\\\\\" ,, realm=home.example ,"
	    "nonce=\"n\tx\", uri=\"sip:bob@home.example;transport=tcp\", "
	    "response=9EC449CE084277E0C8DE86B283A9C7A9, "
	    "Algorithm=\"MD5\", userhash=FALSE, domain=\"sip:home.example\", "
	    "x-foo=bar, opaque=\"\",";
	static const char cut[] = "Digest username=a, realm=r, nonce=n, uri=u, "
	    "response=00000000000000000000000000000000XXXX";
	struct rt_digest_creds c;
	const char *why;

	(void)state;
	assert_int_equal(parse(value, &c, &why), 0);
	assert_string_equal(c.username, "al\"ice\\");
	assert_string_equal(c.realm, "home.example");
	assert_string_equal(c.nonce, "n\tx");
	assert_string_equal(c.uri, "sip:bob@home.example;transport=tcp");
	assert_string_equal(c.response, "9EC449CE084277E0C8DE86B283A9C7A9");
	assert_string_equal(c.algorithm, "MD5");
	assert_string_equal(c.opaque, "");
	/* UTF-8 in a quoted string */
	assert_int_equal(parse("Digest username=\"J\xc3\xbcrgen\", realm=r, "
	    "nonce=n, uri=u, response=00000000000000000000000000000000", &c,
	    &why), 0);
	assert_string_equal(c.username, "J\xc3\xbcrgen");
	/* whyp may be NULL */
	assert_int_equal(rt_digest_parse("Basic abc", 9, &c, NULL),
	    RT_ERR_BAD_INPUT);
	/* len counts, not the NUL */
	assert_int_equal(rt_digest_parse(cut, sizeof(cut) - 5, &c, &why), 0);
	assert_string_equal(c.response, "00000000000000000000000000000000");
}

/* Each refusal with its reason. */
static void
test_parse_refusals(void **state)
{
#define BASE "username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:x\", "
#define MD5R "response=\"00112233445566778899aabbccddeeff\""
#define SHAR "response=\"00112233445566778899aabbccddeeff" \
	"00112233445566778899aabbccddeeff\""
	static const struct {
		const char *value;
		int err;
		const char *why;
	} cases[] = {
		{"Basic dXNlcjpwYXNz", RT_ERR_BAD_INPUT, "scheme is not Digest"},
		{"Digestive " BASE MD5R, RT_ERR_BAD_INPUT, "scheme is not Digest"},
		{"Digest," BASE MD5R, RT_ERR_BAD_INPUT, "scheme is not Digest"},
		{"", RT_ERR_BAD_INPUT, "scheme is not Digest"},
		{"Digest", RT_ERR_BAD_INPUT, "missing username"},
		{"Digest " BASE "realm=\"s\", " MD5R, RT_ERR_BAD_INPUT,
		    "duplicate parameter"},
		{"Digest " BASE "REALM=\"s\", " MD5R, RT_ERR_BAD_INPUT,
		    "duplicate parameter"},
		{"Digest " BASE "foo=1, foo=2, " MD5R, RT_ERR_BAD_INPUT,
		    "duplicate parameter"},
		{"Digest " BASE "algorithm=MD5-sess, " MD5R, RT_ERR_BAD_INPUT,
		    "session algorithms (-sess) not supported"},
		{"Digest " BASE "algorithm=SHA-256-sess, " SHAR, RT_ERR_BAD_INPUT,
		    "session algorithms (-sess) not supported"},
		{"Digest " BASE "algorithm=SHA-512-256, " SHAR, RT_ERR_BAD_INPUT,
		    "SHA-512-256 not supported"},
		{"Digest " BASE "algorithm=AKAv1-MD5, " MD5R, RT_ERR_BAD_INPUT,
		    "unknown algorithm"},
		{"Digest " BASE "algorithm=\"\", " MD5R, RT_ERR_BAD_INPUT,
		    "unknown algorithm"},
		{"Digest " BASE "qop=auth-conf, nc=00000001, cnonce=c, " MD5R,
		    RT_ERR_BAD_INPUT, "qop must be auth or auth-int"},
		{"Digest " BASE "qop=\"auth,auth-int\", nc=00000001, cnonce=c, "
		    MD5R, RT_ERR_BAD_INPUT, "qop must be auth or auth-int"},
		{"Digest " BASE "qop=AUTH, nc=00000001, cnonce=c, " MD5R,
		    RT_ERR_BAD_INPUT, "qop must be auth or auth-int"},
		{"Digest " BASE "qop=\"\", nc=00000001, cnonce=c, " MD5R,
		    RT_ERR_BAD_INPUT, "qop must be auth or auth-int"},
		{"Digest " BASE "qop=auth, nc=00000001, " MD5R, RT_ERR_BAD_INPUT,
		    "qop without cnonce"},
		{"Digest " BASE "qop=auth, nc=00000001, cnonce=\"\", " MD5R,
		    RT_ERR_BAD_INPUT, "qop without cnonce"},
		{"Digest " BASE "qop=auth, cnonce=c, " MD5R, RT_ERR_BAD_INPUT,
		    "qop without nc"},
		{"Digest " BASE "qop=auth, cnonce=c, nc=0000001, " MD5R,
		    RT_ERR_BAD_INPUT, "nc must be 8 hex digits"},
		{"Digest " BASE "qop=auth, cnonce=c, nc=0000000g, " MD5R,
		    RT_ERR_BAD_INPUT, "nc must be 8 hex digits"},
		{"Digest " BASE "qop=auth, cnonce=c, nc=000000001, " MD5R,
		    RT_ERR_TOO_BIG, "nc too long"},
		{"Digest " BASE "nc=1, " MD5R, RT_ERR_BAD_INPUT,
		    "nc must be 8 hex digits"},
		{"Digest " BASE "response=\"00112233445566778899aabbccddeef\"",
		    RT_ERR_BAD_INPUT, "response must be 32 hex digits (MD5)"},
		{"Digest " BASE "response=\"00112233445566778899aabbccddeefg\"",
		    RT_ERR_BAD_INPUT, "response must be 32 hex digits (MD5)"},
		{"Digest " BASE SHAR, RT_ERR_BAD_INPUT,
		    "response must be 32 hex digits (MD5)"},
		{"Digest " BASE "algorithm=SHA-256, " MD5R, RT_ERR_BAD_INPUT,
		    "response must be 64 hex digits (SHA-256)"},
		{"Digest " BASE "response=\"00112233445566778899aabbccddeeff"
		    "00112233445566778899aabbccddeeff0\"", RT_ERR_TOO_BIG,
		    "response too long"},
		{"Digest realm=r, nonce=n, uri=u, " MD5R, RT_ERR_BAD_INPUT,
		    "missing username"},
		{"Digest username=\"\", realm=r, nonce=n, uri=u, " MD5R,
		    RT_ERR_BAD_INPUT, "missing username"},
		{"Digest username*=UTF-8''J%C3%BCrgen, realm=r, nonce=n, uri=u, "
		    MD5R, RT_ERR_BAD_INPUT, "username* not supported"},
		{"Digest username=u, nonce=n, uri=u, " MD5R, RT_ERR_BAD_INPUT,
		    "missing realm"},
		{"Digest username=u, realm=r, uri=u, " MD5R, RT_ERR_BAD_INPUT,
		    "missing nonce"},
		{"Digest username=u, realm=r, nonce=n, " MD5R, RT_ERR_BAD_INPUT,
		    "missing uri"},
		{"Digest " BASE "opaque=o", RT_ERR_BAD_INPUT, "missing response"},
		{"Digest " BASE "userhash=true, " MD5R, RT_ERR_BAD_INPUT,
		    "userhash not supported"},
		{"Digest " BASE "userhash=\"TRUE\", " MD5R, RT_ERR_BAD_INPUT,
		    "userhash not supported"},
		{"Digest " BASE "userhash=falsehood, " MD5R, RT_ERR_BAD_INPUT,
		    "userhash not supported"},
		{"Digest " MD5R ", " BASE "opaque=\"abc, x=1", RT_ERR_BAD_INPUT,
		    "unterminated quoted string"},
		{"Digest " BASE "opaque=\"abc\\", RT_ERR_BAD_INPUT,
		    "unterminated quoted string"},
		{"Digest " BASE "opaque=\"a\rb\", " MD5R, RT_ERR_BAD_INPUT,
		    "control character"},
		{"Digest " BASE "opaque=\"a\\\nb\", " MD5R, RT_ERR_BAD_INPUT,
		    "control character"},
		{"Digest " BASE "opaque=a\x7f, " MD5R, RT_ERR_BAD_INPUT,
		    "control character"},
		{"Digest " BASE MD5R "\r\nX-Injected: 1", RT_ERR_BAD_INPUT,
		    "control character"},
		{"Digest " BASE "\x01x=1, " MD5R, RT_ERR_BAD_INPUT,
		    "control character"},
		{"Digest " BASE "opaque=a\"b\", " MD5R, RT_ERR_BAD_INPUT,
		    "bad character in unquoted value"},
		{"Digest " BASE "opaque=\xc3\xbc, " MD5R, RT_ERR_BAD_INPUT,
		    "bad character in unquoted value"},
		{"Digest " BASE "opaque=, " MD5R, RT_ERR_BAD_INPUT,
		    "empty unquoted value"},
		{"Digest " BASE "opaque " MD5R, RT_ERR_BAD_INPUT,
		    "expected '=' after parameter name"},
		{"Digest " BASE "=x, " MD5R, RT_ERR_BAD_INPUT,
		    "bad parameter name"},
		{"Digest " BASE "opaque=\"a\"b, " MD5R, RT_ERR_BAD_INPUT,
		    "expected ',' between parameters"},
		{"Digest " BASE "opaque=a b, " MD5R, RT_ERR_BAD_INPUT,
		    "expected ',' between parameters"},
	};
#undef BASE
#undef MD5R
#undef SHAR

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rt_digest_creds c;
		const char *why = NULL;
		int r;

		memset(&c, 'x', sizeof(c));
		r = parse(cases[i].value, &c, &why);
		if (r != cases[i].err || why == NULL ||
		    strcmp(why, cases[i].why) != 0)
			fail_msg("case %zu (%s): got %d \"%s\", want %d \"%s\"", i,
			    cases[i].value, r, why ? why : "(null)", cases[i].err,
			    cases[i].why);
		/* a refusal leaves nothing half-parsed behind */
		assert_string_equal(c.username, "");
		assert_string_equal(c.response, "");
	}
}

/* Size caps: each field, the whole value, the parameter count. */
static void
test_parse_sizes(void **state)
{
	static const struct {
		const char *name;
		size_t max;
	} fields[] = {
		{"username", 256}, {"realm", 256}, {"nonce", 256}, {"uri", 1024},
		{"cnonce", 256}, {"opaque", 256}, {"algorithm", 23}, {"qop", 15},
	};
	char value[RT_DIGEST_VALUE_MAX + 64], big[1100];
	struct rt_digest_creds c;
	const char *why;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		for (size_t extra = 0; extra < 2; extra++) {
			int r;

			memset(big, 'a', fields[i].max + extra);
			big[fields[i].max + extra] = '\0';
			/* the field first, so that a duplicate is not the refusal */
			snprintf(value, sizeof(value), "Digest %s=\"%s\", username=u, "
			    "realm=r, nonce=n, uri=u, cnonce=c, nc=00000001, "
			    "response=00112233445566778899aabbccddeeff",
			    fields[i].name, big);
			r = parse(value, &c, &why);
			if (extra) {
				char reason[64];

				snprintf(reason, sizeof(reason), "%s too long",
				    fields[i].name);
				assert_int_equal(r, RT_ERR_TOO_BIG);
				assert_string_equal(why, reason);
			} else
				assert_int_not_equal(r, RT_ERR_TOO_BIG);
		}
	}
	/* escapes count once: 256 characters written as 512 bytes fit */
	n = (size_t)snprintf(value, sizeof(value), "Digest username=\"");
	for (size_t i = 0; i < 256; i++)
		value[n++] = '\\', value[n++] = 'q';
	snprintf(value + n, sizeof(value) - n, "\", realm=r, nonce=n, uri=u, "
	    "response=00112233445566778899aabbccddeeff");
	assert_int_equal(parse(value, &c, &why), 0);
	assert_int_equal(strlen(c.username), 256);

	/* 4 KiB in all */
	n = (size_t)snprintf(value, sizeof(value), "Digest username=u, realm=r, "
	    "nonce=n, uri=u, response=00112233445566778899aabbccddeeff");
	memset(value + n, ' ', RT_DIGEST_VALUE_MAX - n);
	assert_int_equal(rt_digest_parse(value, RT_DIGEST_VALUE_MAX, &c, &why), 0);
	value[RT_DIGEST_VALUE_MAX] = ' ';
	assert_int_equal(rt_digest_parse(value, RT_DIGEST_VALUE_MAX + 1, &c, &why),
	    RT_ERR_TOO_BIG);
	assert_string_equal(why, "value over 4 KiB");

	/* 64 parameters at most */
	n = (size_t)snprintf(value, sizeof(value), "Digest username=u, realm=r, "
	    "nonce=n, uri=u, response=00112233445566778899aabbccddeeff");
	for (int i = 0; i < 59; i++)
		n += (size_t)snprintf(value + n, sizeof(value) - n, ", x%d=1", i);
	assert_int_equal(parse(value, &c, &why), 0);
	snprintf(value + n, sizeof(value) - n, ", y=1");
	assert_int_equal(parse(value, &c, &why), RT_ERR_TOO_BIG);
	assert_string_equal(why, "too many parameters");
}

static void
test_challenge(void **state)
{
	struct rt_buf out;

	(void)state;
	rt_buf_init(&out, 4096);
	assert_int_equal(rt_digest_challenge(RT_DIGEST_MD5, "home.example",
	    "abc-_123", NULL, 0, 0, &out), 0);
	assert_string_equal(rt_buf_str(&out), "Digest realm=\"home.example\", "
	    "nonce=\"abc-_123\", algorithm=MD5, qop=\"auth\"");
	rt_buf_reset(&out);
	assert_int_equal(rt_digest_challenge(RT_DIGEST_SHA256, "home.example",
	    "abc-_123", "op\"aq\\ue", 1, 1, &out), 0);
	assert_string_equal(rt_buf_str(&out), "Digest realm=\"home.example\", "
	    "nonce=\"abc-_123\", opaque=\"op\\\"aq\\\\ue\", algorithm=SHA-256, "
	    "qop=\"auth,auth-int\", stale=true");
	rt_buf_reset(&out);
	assert_int_equal(rt_digest_challenge(RT_DIGEST_MD5, "a \"b\" realm",
	    "n", "", 1, 0, &out), 0);
	assert_string_equal(rt_buf_str(&out), "Digest realm=\"a \\\"b\\\" realm\", "
	    "nonce=\"n\", opaque=\"\", algorithm=MD5, qop=\"auth\", stale=true");

	/* appends; header injection refused and out left as it was */
	rt_buf_reset(&out);
	assert_int_equal(rt_buf_append_str(&out, "WWW-Authenticate: "), 0);
	assert_int_equal(rt_digest_challenge(RT_DIGEST_MD5, "r\r\nX: 1", "n",
	    NULL, 0, 0, &out), RT_ERR_BAD_INPUT);
	assert_string_equal(rt_buf_str(&out), "WWW-Authenticate: ");
	assert_int_equal(rt_digest_challenge(RT_DIGEST_MD5, "r", "n", "o\n", 0, 0,
	    &out), RT_ERR_BAD_INPUT);
	assert_int_equal(rt_digest_challenge(RT_DIGEST_MD5, "", "n", NULL, 0, 0,
	    &out), RT_ERR_BAD_INPUT);
	assert_int_equal(rt_digest_challenge(RT_DIGEST_MD5, "r", "", NULL, 0, 0,
	    &out), RT_ERR_BAD_INPUT);
	assert_string_equal(rt_buf_str(&out), "WWW-Authenticate: ");
	assert_int_equal(rt_digest_challenge(RT_DIGEST_MD5, "r", "n", NULL, 0, 0,
	    &out), 0);
	assert_string_equal(rt_buf_str(&out), "WWW-Authenticate: Digest "
	    "realm=\"r\", nonce=\"n\", algorithm=MD5, qop=\"auth\"");
	rt_buf_fini(&out);

	/* over the buffer's cap: refused, nothing appended */
	rt_buf_init(&out, 40);
	assert_int_equal(rt_digest_challenge(RT_DIGEST_MD5, "home.example", "n",
	    NULL, 0, 0, &out), RT_ERR_TOO_BIG);
	assert_int_equal(out.len, 0);
	rt_buf_fini(&out);
}

/* A challenge the agent writes parses back through a client's answer. */
static void
test_challenge_roundtrip(void **state)
{
	struct rt_digest_creds c;
	struct rt_buf out, answer;
	char ha1[RT_DIGEST_HEX_MAX], resp[RT_DIGEST_HEX_MAX];
	const char *why;

	(void)state;
	rt_buf_init(&out, 4096);
	rt_buf_init(&answer, 4096);
	assert_int_equal(rt_digest_challenge(RT_DIGEST_SHA256, "home.example",
	    "Zm9v", "x", 0, 0, &out), 0);
	memset(&c, 0, sizeof(c));
	strcpy(c.username, "alice");
	strcpy(c.realm, "home.example");
	strcpy(c.nonce, "Zm9v");
	strcpy(c.uri, "sip:home.example");
	strcpy(c.qop, "auth");
	strcpy(c.nc, "00000001");
	strcpy(c.cnonce, "abcdef");
	assert_int_equal(rt_digest_ha1(RT_DIGEST_SHA256, "alice", "home.example",
	    "s3cret", ha1), 0);
	assert_int_equal(rt_digest_response(RT_DIGEST_SHA256, ha1, &c, "REGISTER",
	    NULL, resp), 0);
	assert_int_equal(rt_buf_printf(&answer, "Digest username=\"%s\", "
	    "realm=\"%s\", nonce=\"%s\", uri=\"%s\", response=\"%s\", "
	    "algorithm=SHA-256, qop=auth, nc=%s, cnonce=\"%s\", opaque=\"x\"",
	    c.username, c.realm, c.nonce, c.uri, resp, c.nc, c.cnonce), 0);
	assert_int_equal(rt_digest_parse((const char *)answer.data, answer.len,
	    &c, &why), 0);
	assert_int_equal(rt_digest_verify(ha1, &c, "REGISTER", NULL), 0);
	rt_buf_fini(&out);
	rt_buf_fini(&answer);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc2617),
		cmocka_unit_test(test_rfc7616),
		cmocka_unit_test(test_sip_register),
		cmocka_unit_test(test_no_qop),
		cmocka_unit_test(test_auth_int),
		cmocka_unit_test(test_verify_denied),
		cmocka_unit_test(test_parse_lenient),
		cmocka_unit_test(test_parse_refusals),
		cmocka_unit_test(test_parse_sizes),
		cmocka_unit_test(test_challenge),
		cmocka_unit_test(test_challenge_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
