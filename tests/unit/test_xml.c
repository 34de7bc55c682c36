/*
 * rt_xml: what the parser refuses before and after libxml2 sees the bytes,
 * and schema validation of every document type.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_file.h"
#include "rt_log.h"
#include "rt_xml.h"

static int
parse_str(const char *s, xmlDocPtr *docp)
{
	return rt_xml_parse((const uint8_t *)s, strlen(s), 0, docp);
}

static int
parse_validate(const char *s, const char *root)
{
	xmlDocPtr doc = NULL;
	char err[256];
	int r;

	if ((r = parse_str(s, &doc)) != 0)
		return r;
	r = rt_xml_validate(doc, root, err, sizeof(err));
	xmlFreeDoc(doc);
	return r;
}

static void
test_examples_validate(void **state)
{
	static const char *files[] = {
		"examples/documents/agreement.xml",
		"examples/documents/realm-descriptor.xml",
		"examples/documents/subscriber-assertion.xml",
		"examples/documents/usage-record.xml",
		"examples/documents/usage-batch.xml",
		"examples/documents/settlement-export.xml",
		"examples/messages/hello.xml",
		"examples/messages/auth-request.xml",
		"examples/messages/auth-response.xml",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct rt_buf buf;
		xmlDocPtr doc = NULL;

		rt_buf_init(&buf, RT_XML_MAX);
		assert_int_equal(rt_file_read(files[i], RT_XML_MAX, &buf), 0);
		assert_int_equal(rt_xml_parse(buf.data, buf.len, 0, &doc), 0);
		assert_int_equal(rt_xml_validate(doc, NULL, NULL, 0), 0);
		xmlFreeDoc(doc);
		rt_buf_fini(&buf);
	}
}

static void
test_xxe_refused(void **state)
{
	const char *xxe =
	    "<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n"
	    "<Ping xmlns=\"urn:roamtrust:1\"><SentAt>&x;</SentAt></Ping>";
	xmlDocPtr doc = NULL;

	(void)state;
	assert_int_equal(parse_str(xxe, &doc), RT_ERR_XML_DTD);
	assert_null(doc);
}

static void
test_billion_laughs_refused(void **state)
{
	const char *bomb =
	    "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n"
	    " <!ENTITY lol \"lol\">\n"
	    " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
	    " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
	    " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
	    "]>\n<Ping xmlns=\"urn:roamtrust:1\"><SentAt>&lol3;</SentAt></Ping>";
	xmlDocPtr doc = NULL;

	(void)state;
	assert_int_equal(parse_str(bomb, &doc), RT_ERR_XML_DTD);
}

static void
test_external_dtd_refused(void **state)
{
	const char *ext =
	    "<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE Ping SYSTEM \"http://127.0.0.1:9/evil.dtd\">\n"
	    "<Ping xmlns=\"urn:roamtrust:1\"><SentAt>2026-01-01T00:00:00Z</SentAt></Ping>";
	const char *pi =
	    "<?xml version=\"1.0\"?><Ping xmlns=\"urn:roamtrust:1\">"
	    "<?xml-stylesheet href=\"http://127.0.0.1:9/x\"?>"
	    "<SentAt>2026-01-01T00:00:00Z</SentAt></Ping>";
	xmlDocPtr doc = NULL;

	(void)state;
	assert_int_equal(parse_str(ext, &doc), RT_ERR_XML_DTD);
	assert_int_equal(parse_str(pi, &doc), RT_ERR_XML_DTD);
}

static void
test_size_cap(void **state)
{
	size_t len = 10 * 1024 * 1024;
	uint8_t *big = malloc(len);
	xmlDocPtr doc = NULL;

	(void)state;
	assert_non_null(big);
	memset(big, ' ', len);
	memcpy(big, "<Ping xmlns=\"urn:roamtrust:1\">", 30);
	assert_int_equal(rt_xml_parse(big, len, 0, &doc), RT_ERR_TOO_BIG);
	assert_null(doc);
	/* an explicit larger cap lets the caller choose, the default does not */
	assert_int_equal(rt_xml_parse(big, 100, 99, &doc), RT_ERR_TOO_BIG);
	free(big);
}

static void
test_depth_caps(void **state)
{
	size_t depth = 100000, len = depth * 7 + 64, o = 0;
	char *deep = malloc(len);
	xmlDocPtr doc = NULL;

	(void)state;
	assert_non_null(deep);
	for (size_t i = 0; i < depth; i++) {
		memcpy(deep + o, "<a>", 3);
		o += 3;
	}
	for (size_t i = 0; i < depth; i++) {
		memcpy(deep + o, "</a>", 4);
		o += 4;
	}
	assert_int_equal(rt_xml_parse((uint8_t *)deep, o, 0, &doc), RT_ERR_TOO_DEEP);
	assert_null(doc);
	/* just over our own cap, well under libxml2's */
	o = 0;
	for (size_t i = 0; i < RT_XML_MAX_DEPTH + 1; i++) {
		memcpy(deep + o, "<a>", 3);
		o += 3;
	}
	for (size_t i = 0; i < RT_XML_MAX_DEPTH + 1; i++) {
		memcpy(deep + o, "</a>", 4);
		o += 4;
	}
	assert_int_equal(rt_xml_parse((uint8_t *)deep, o, 0, &doc), RT_ERR_TOO_DEEP);
	free(deep);
}

static void
test_not_well_formed(void **state)
{
	xmlDocPtr doc = NULL;

	(void)state;
	assert_int_equal(parse_str("<Ping xmlns=\"urn:roamtrust:1\">", &doc),
	    RT_ERR_XML_PARSE);
	assert_int_equal(parse_str("", &doc), RT_ERR_XML_PARSE);
	assert_int_equal(parse_str("\xff\xfe<\x00", &doc), RT_ERR_XML_PARSE);
}

static void
test_schema_refusals(void **state)
{
	(void)state;
	/* unknown element */
	assert_int_equal(parse_validate(
	    "<Ping xmlns=\"urn:roamtrust:1\"><SentAt>2026-01-01T00:00:00Z</SentAt>"
	    "<Extra/></Ping>", "Ping"), RT_ERR_SCHEMA);
	/* wrong namespace */
	assert_int_equal(parse_validate(
	    "<Ping xmlns=\"urn:roamtrust:2\"><SentAt>2026-01-01T00:00:00Z</SentAt></Ping>",
	    "Ping"), RT_ERR_SCHEMA);
	/* no namespace */
	assert_int_equal(parse_validate(
	    "<Ping><SentAt>2026-01-01T00:00:00Z</SentAt></Ping>", "Ping"),
	    RT_ERR_SCHEMA);
	/* not a time */
	assert_int_equal(parse_validate(
	    "<Ping xmlns=\"urn:roamtrust:1\"><SentAt>2026-13-01T00:00:00Z</SentAt></Ping>",
	    "Ping"), RT_ERR_SCHEMA);
	/* valid but not the type the caller expects */
	assert_int_equal(parse_validate(
	    "<Pong xmlns=\"urn:roamtrust:1\"><SentAt>2026-01-01T00:00:00Z</SentAt></Pong>",
	    "Ping"), RT_ERR_TYPE);
	/* an attribute the schema does not know */
	assert_int_equal(parse_validate(
	    "<Ping xmlns=\"urn:roamtrust:1\" evil=\"1\"><SentAt>2026-01-01T00:00:00Z"
	    "</SentAt></Ping>", "Ping"), RT_ERR_SCHEMA);
	assert_int_equal(parse_validate(
	    "<Ping xmlns=\"urn:roamtrust:1\"><SentAt>2026-01-01T00:00:00Z</SentAt></Ping>",
	    "Ping"), 0);
}

static void
test_accessors(void **state)
{
	xmlDocPtr doc = NULL;
	xmlNodePtr root;
	char buf[8];
	uint64_t v;
	time_t t;

	(void)state;
	assert_int_equal(parse_str("<RealmDescriptor xmlns=\"urn:roamtrust:1\">"
	    "<Realm>visited.example</Realm><Serial>18446744073709551615</Serial>"
	    "<Endpoint>ipc:///a</Endpoint><Endpoint>ipc:///b</Endpoint>"
	    "<IssuedAt>2026-11-27T05:00:00Z</IssuedAt>"
	    "<NotOnOrAfter>2026-11-28T05:00:00.5Z</NotOnOrAfter></RealmDescriptor>",
	    &doc), 0);
	assert_int_equal(rt_xml_validate(doc, "RealmDescriptor", NULL, 0), 0);
	root = xmlDocGetRootElement(doc);
	assert_int_equal(rt_xml_child_u64(root, "Serial", &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(rt_xml_child_copy(root, "Realm", buf, sizeof(buf)),
	    RT_ERR_TOO_BIG);
	assert_int_equal(rt_xml_child_copy(root, "Nope", buf, sizeof(buf)),
	    RT_ERR_NOT_FOUND);
	assert_int_equal(rt_xml_child_time(root, "NotOnOrAfter", &t), 0);
	assert_true(t == 1795842000);
	assert_string_equal(rt_xml_text(rt_xml_next(rt_xml_child(root, "Endpoint"))),
	    "ipc:///b");
	xmlFreeDoc(doc);
}

/* Decimal integers: digits only, leading zeros taken, the range exact. */
static void
test_parse_integers(void **state)
{
	static const char *const bad_u[] = {"", "-1", "+1", " 1", "1 ", "1a", "0x1",
	    "18446744073709551616", "99999999999999999999", "1.0", "-"};
	static const char *const bad_i[] = {"", "-", "--1", "+1", " 1", "1-",
	    "9223372036854775808", "-9223372036854775809", "-1e3"};
	uint64_t u;
	int64_t i;

	(void)state;
	assert_int_equal(rt_xml_parse_u64("0", &u), 0);
	assert_true(u == 0);
	assert_int_equal(rt_xml_parse_u64("007", &u), 0);
	assert_true(u == 7);
	assert_int_equal(rt_xml_parse_u64("18446744073709551615", &u), 0);
	assert_true(u == UINT64_MAX);
	for (size_t k = 0; k < sizeof(bad_u) / sizeof(bad_u[0]); k++)
		assert_int_equal(rt_xml_parse_u64(bad_u[k], &u), RT_ERR_BAD_INPUT);
	assert_int_equal(rt_xml_parse_i64("-0", &i), 0);
	assert_true(i == 0);
	assert_int_equal(rt_xml_parse_i64("-25", &i), 0);
	assert_true(i == -25);
	assert_int_equal(rt_xml_parse_i64("9223372036854775807", &i), 0);
	assert_true(i == INT64_MAX);
	assert_int_equal(rt_xml_parse_i64("-9223372036854775808", &i), 0);
	assert_true(i == INT64_MIN);
	for (size_t k = 0; k < sizeof(bad_i) / sizeof(bad_i[0]); k++)
		assert_int_equal(rt_xml_parse_i64(bad_i[k], &i), RT_ERR_BAD_INPUT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_examples_validate),
		cmocka_unit_test(test_xxe_refused),
		cmocka_unit_test(test_billion_laughs_refused),
		cmocka_unit_test(test_external_dtd_refused),
		cmocka_unit_test(test_size_cap),
		cmocka_unit_test(test_depth_caps),
		cmocka_unit_test(test_not_well_formed),
		cmocka_unit_test(test_schema_refusals),
		cmocka_unit_test(test_accessors),
		cmocka_unit_test(test_parse_integers),
	};

	rt_log_init("test_xml", RT_LOG_STDERR, RT_LOG_ERR);
	if (rt_xml_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
