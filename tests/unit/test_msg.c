/*
 * rt_msg: every protocol message through encode -> rt_msg_parse ->
 * _from_xml, and the items rt_msg_parse must refuse.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helper_pki.h"
#include "rt_log.h"
#include "rt_msg.h"

#define RT_XML_DECL_TEST "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
#define DAY 86400

static struct th_fed *fed;
static time_t now;

static int
setup(void **state)
{
	(void)state;
	now = time(NULL);
	return th_fed_new("Message Federation", &fed) == 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	th_fed_free(fed);
	return 0;
}

/* Parses xml as an item; returns rt_msg_parse's result, the tree in *docp. */
static int
parse_item(const struct rt_buf *xml, enum rt_msg_type *typep, xmlDocPtr *docp)
{
	return rt_msg_parse(xml->data, xml->len, typep, docp);
}

static int
parse_text(const char *text, enum rt_msg_type *typep, xmlDocPtr *docp)
{
	return rt_msg_parse((const uint8_t *)text, strlen(text), typep, docp);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(rt_msg_name(RT_MSG_HELLO), "Hello");
	assert_string_equal(rt_msg_name(RT_MSG_CRL_PUSH), "CrlPush");
	assert_string_equal(rt_msg_name(RT_MSG_USAGE_BATCH_ACK), "UsageBatchAck");
	assert_string_equal(rt_msg_name(RT_MSG_UNKNOWN), "unknown");
	assert_string_equal(rt_msg_name((enum rt_msg_type)99), "unknown");
}

static void
test_hello(void **state)
{
	struct rt_hello h, g;
	struct rt_buf xml;
	enum rt_msg_type type;
	xmlDocPtr doc = NULL;

	(void)state;
	rt_buf_init(&xml, RT_XML_MAX);
	memset(&h, 0, sizeof(h));
	strcpy(h.descriptor.realm, "home.example");
	h.descriptor.serial = 18446744073709551615ULL;
	strcpy(h.descriptor.endpoints[0], "tls+tcp://broker.home.example:7001");
	strcpy(h.descriptor.endpoints[1], "tls+tcp://127.0.0.1:7002");
	h.descriptor.nendpoints = 2;
	strcpy(h.descriptor.services[0], "voice");
	strcpy(h.descriptor.services[1], "message");
	h.descriptor.nservices = 2;
	h.descriptor.issued_at = now;
	h.descriptor.not_on_or_after = now + DAY;
	for (int i = 0; i < 3; i++)
		assert_int_equal(rt_uuid_v4(h.agreements[i]), 0);
	h.nagreements = 3;
	assert_int_equal(rt_hello_encode(&h, &xml), 0);
	assert_int_equal(parse_item(&xml, &type, &doc), 0);
	assert_int_equal(type, RT_MSG_HELLO);
	assert_int_equal(rt_hello_from_xml(doc, &g), 0);
	assert_string_equal(g.descriptor.realm, "home.example");
	assert_true(g.descriptor.serial == h.descriptor.serial);
	assert_int_equal(g.descriptor.nendpoints, 2);
	assert_string_equal(g.descriptor.endpoints[0], h.descriptor.endpoints[0]);
	assert_string_equal(g.descriptor.endpoints[1], h.descriptor.endpoints[1]);
	assert_int_equal(g.descriptor.nservices, 2);
	assert_string_equal(g.descriptor.services[0], "voice");
	assert_string_equal(g.descriptor.services[1], "message");
	assert_true(g.descriptor.issued_at == now);
	assert_true(g.descriptor.not_on_or_after == now + DAY);
	assert_int_equal(g.nagreements, 3);
	for (int i = 0; i < 3; i++)
		assert_string_equal(g.agreements[i], h.agreements[i]);
	xmlFreeDoc(doc);
	/* no agreement yet is still a hello */
	h.nagreements = 0;
	rt_buf_reset(&xml);
	assert_int_equal(rt_hello_encode(&h, &xml), 0);
	assert_int_equal(parse_item(&xml, &type, &doc), 0);
	assert_int_equal(rt_hello_from_xml(doc, &g), 0);
	assert_int_equal(g.nagreements, 0);
	xmlFreeDoc(doc);
	rt_buf_fini(&xml);
}

/* Encodes a Ping or Pong at sent_ms and returns what comes back. */
static uint64_t
ping_roundtrip(enum rt_msg_type type, uint64_t sent_ms)
{
	struct rt_buf xml;
	enum rt_msg_type got;
	xmlDocPtr doc = NULL;
	uint64_t back = 0;

	rt_buf_init(&xml, RT_XML_MAX);
	assert_int_equal(rt_ping_encode(type, sent_ms, &xml), 0);
	assert_int_equal(parse_item(&xml, &got, &doc), 0);
	assert_int_equal(got, type);
	assert_int_equal(rt_ping_from_xml(doc, &back), 0);
	xmlFreeDoc(doc);
	rt_buf_fini(&xml);
	return back;
}

/* The milliseconds a hand-written SentAt comes back as. */
static uint64_t
ping_text_ms(const char *sent_at)
{
	char text[256];
	enum rt_msg_type type;
	xmlDocPtr doc = NULL;
	uint64_t ms = 0;

	snprintf(text, sizeof(text),
	    "<Ping xmlns=\"urn:roamtrust:1\"><SentAt>%s</SentAt></Ping>", sent_at);
	assert_int_equal(parse_text(text, &type, &doc), 0);
	assert_int_equal(rt_ping_from_xml(doc, &ms), 0);
	xmlFreeDoc(doc);
	return ms % 1000;
}

static void
test_ping_pong(void **state)
{
	uint64_t ms = (uint64_t)now * 1000;
	struct rt_buf xml;

	(void)state;
	assert_true(ping_roundtrip(RT_MSG_PING, ms + 123) == ms + 123);
	assert_true(ping_roundtrip(RT_MSG_PONG, ms + 7) == ms + 7);
	assert_true(ping_roundtrip(RT_MSG_PING, ms) == ms);
	assert_true(ping_roundtrip(RT_MSG_PONG, ms + 999) == ms + 999);
	assert_true(ping_roundtrip(RT_MSG_PING, 1) == 1);
	/* fractions written by others: fewer digits, more digits, an offset */
	assert_true(ping_text_ms("2026-11-27T05:35:50.5Z") == 500);
	assert_true(ping_text_ms("2026-11-27T05:35:50.25Z") == 250);
	assert_true(ping_text_ms("2026-11-27T05:35:50.0429Z") == 42);
	assert_true(ping_text_ms("2026-11-27T06:35:50.1+01:00") == 100);
	assert_true(ping_text_ms("2026-11-27T05:35:50Z") == 0);
	rt_buf_init(&xml, RT_XML_MAX);
	assert_int_equal(rt_ping_encode(RT_MSG_HELLO, ms, &xml), RT_ERR_BAD_INPUT);
	rt_buf_fini(&xml);
}

static void
test_crl_push(void **state)
{
	X509_CRL *crl = NULL, *back = NULL;
	unsigned char *der1 = NULL, *der2 = NULL;
	int len1, len2;
	struct rt_buf xml;
	enum rt_msg_type type;
	xmlDocPtr doc = NULL;

	(void)state;
	rt_buf_init(&xml, RT_XML_MAX);
	assert_int_equal(th_fed_crl(fed, -60, DAY, &crl, NULL), 0);
	assert_int_equal(rt_crl_push_encode(crl, &xml), 0);
	assert_int_equal(parse_item(&xml, &type, &doc), 0);
	assert_int_equal(type, RT_MSG_CRL_PUSH);
	assert_int_equal(rt_crl_push_from_xml(doc, &back), 0);
	assert_non_null(back);
	len1 = i2d_X509_CRL(crl, &der1);
	len2 = i2d_X509_CRL(back, &der2);
	assert_true(len1 > 0);
	assert_int_equal(len1, len2);
	assert_memory_equal(der1, der2, (size_t)len1);
	OPENSSL_free(der1);
	OPENSSL_free(der2);
	X509_CRL_free(back);
	X509_CRL_free(crl);
	xmlFreeDoc(doc);
	rt_buf_fini(&xml);
}

static void
test_refusal(void **state)
{
	static const char detail[] = "peer <b>&amp; \"quoted\" 'single' ]]> done";
	struct rt_refusal ref;
	struct rt_buf xml;
	enum rt_msg_type type;
	xmlDocPtr doc = NULL;
	char longer[400];

	(void)state;
	rt_buf_init(&xml, RT_XML_MAX);
	assert_int_equal(rt_refusal_encode(RT_ERR_CERT_REVOKED, detail, &xml), 0);
	assert_int_equal(parse_item(&xml, &type, &doc), 0);
	assert_int_equal(type, RT_MSG_REFUSAL);
	assert_int_equal(rt_refusal_from_xml(doc, &ref), 0);
	assert_string_equal(ref.reason, rt_errname(RT_ERR_CERT_REVOKED));
	assert_string_equal(ref.reason, "cert_revoked");
	assert_string_equal(ref.detail, detail);
	xmlFreeDoc(doc);
	/* without a detail */
	rt_buf_reset(&xml);
	assert_int_equal(rt_refusal_encode(RT_ERR_REPLAY, NULL, &xml), 0);
	assert_int_equal(parse_item(&xml, &type, &doc), 0);
	assert_int_equal(rt_refusal_from_xml(doc, &ref), 0);
	assert_string_equal(ref.reason, "replay");
	assert_string_equal(ref.detail, "");
	xmlFreeDoc(doc);
	/* a detail over the schema's 256 characters is cut, still valid */
	memset(longer, '&', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	rt_buf_reset(&xml);
	assert_int_equal(rt_refusal_encode(RT_ERR_DENIED, longer, &xml), 0);
	assert_int_equal(parse_item(&xml, &type, &doc), 0);
	assert_int_equal(rt_refusal_from_xml(doc, &ref), 0);
	assert_int_equal(strlen(ref.detail), RT_TEXT_MAX - 1);
	xmlFreeDoc(doc);
	rt_buf_fini(&xml);
}

/* What a CrlPush with crl_text as its text comes to: rt_msg_parse's
 * refusal, or rt_crl_push_from_xml's. */
static int
crl_push_text(const char *crl_text)
{
	char text[512];
	enum rt_msg_type type;
	xmlDocPtr doc = NULL;
	X509_CRL *crl = NULL;
	int r;

	snprintf(text, sizeof(text),
	    "<CrlPush xmlns=\"urn:roamtrust:1\"><Crl>%s</Crl></CrlPush>", crl_text);
	if ((r = parse_text(text, &type, &doc)) != 0)
		return r;
	assert_int_equal(type, RT_MSG_CRL_PUSH);
	r = rt_crl_push_from_xml(doc, &crl);
	assert_true(r != 0 || crl != NULL);
	X509_CRL_free(crl);
	xmlFreeDoc(doc);
	return r;
}

static void
test_refused_items(void **state)
{
	static const char *const bad_base64[] = {
		"!!!!", "AAAA AAAA", "AA=A", "AAA", "AB==", "", "Zg==Zg==",
	};
	struct rt_agreement a;
	struct rt_buf xml;
	enum rt_msg_type type;
	xmlDocPtr doc = NULL;

	(void)state;
	rt_buf_init(&xml, RT_XML_MAX);
	/* a valid document that is not a message */
	memset(&a, 0, sizeof(a));
	assert_int_equal(rt_uuid_v4(a.id), 0);
	strcpy(a.home, "home.example");
	strcpy(a.visited, "visited.example");
	strcpy(a.currency, "EUR");
	strcpy(a.services[0].name, "voice");
	strcpy(a.services[0].unit, "minute");
	a.services[0].rate = 12;
	a.nservices = 1;
	a.max_assertion = 3600;
	a.not_before = now;
	a.not_on_or_after = now + DAY;
	assert_int_equal(rt_agreement_encode(&a, &xml), 0);
	assert_int_equal(parse_item(&xml, &type, &doc), RT_ERR_TYPE);
	assert_null(doc);
	assert_int_equal(type, RT_MSG_UNKNOWN);
	/* schema-invalid hellos: no descriptor, an agreement ref that is no UUID */
	assert_int_equal(parse_text("<Hello xmlns=\"urn:roamtrust:1\"/>", &type,
	    &doc), RT_ERR_SCHEMA);
	assert_null(doc);
	assert_int_equal(parse_text("<Hello xmlns=\"urn:roamtrust:1\"><RealmDescriptor>"
	    "<Realm>home.example</Realm><Serial>1</Serial>"
	    "<Endpoint>tls+tcp://127.0.0.1:1</Endpoint>"
	    "<IssuedAt>2026-11-27T05:35:50Z</IssuedAt>"
	    "<NotOnOrAfter>2026-11-28T05:35:50Z</NotOnOrAfter></RealmDescriptor>"
	    "<AgreementRef>not-a-uuid</AgreementRef></Hello>", &type, &doc),
	    RT_ERR_SCHEMA);
	assert_int_equal(parse_text("<Ping xmlns=\"urn:roamtrust:1\"><SentAt>yesterday"
	    "</SentAt></Ping>", &type, &doc), RT_ERR_SCHEMA);
	assert_int_equal(parse_text("<Ping xmlns=\"urn:roamtrust:1\">", &type, &doc),
	    RT_ERR_XML_PARSE);
	/*
	 * CrlPush with bad base64: the schema's base64Binary check (lax in
	 * libxml2) or our strict decoder refuses it; base64 of garbage is no
	 * CRL.
	 */
	for (size_t i = 0; i < sizeof(bad_base64) / sizeof(bad_base64[0]); i++) {
		int r = crl_push_text(bad_base64[i]);

		if (r != RT_ERR_SCHEMA && r != RT_ERR_BAD_INPUT)
			fail_msg("<Crl>%s</Crl>: %s", bad_base64[i], rt_errname(r));
	}
	assert_int_equal(crl_push_text("Z2FyYmFnZSwgbm90IGEgQ1JM"), RT_ERR_CRL_BAD);
	rt_buf_fini(&xml);
}

static void
submit_record(struct rt_usage_record *u, int i)
{
	memset(u, 0, sizeof(*u));
	assert_int_equal(rt_uuid_v7(1800000000000ULL + (uint64_t)i, u->id), 0);
	assert_int_equal(rt_uuid_v4(u->agreement_ref), 0);
	assert_int_equal(rt_uuid_v4(u->assertion_ref), 0);
	strcpy(u->subscriber, "sip:alice@home.example");
	strcpy(u->home, "home.example");
	strcpy(u->visited, "visited.example");
	strcpy(u->service, "voice");
	strcpy(u->unit, "second");
	strcpy(u->call_id, "c-1@ua <&>");
	u->start = 1800000000;
	u->end = 1800000042;
	u->quantity = 42;
}

static void
test_usage_submit(void **state)
{
	struct rt_usage_record recs[3];
	struct rt_usage_batch got;
	struct rt_usage_submit_ack *ack = calloc(2, sizeof(*ack));
	struct rt_buf xml;
	enum rt_msg_type type;
	xmlDocPtr doc;

	(void)state;
	assert_non_null(ack);
	rt_buf_init(&xml, 1 << 20);
	for (int i = 0; i < 3; i++)
		submit_record(&recs[i], i);
	assert_int_equal(rt_usage_submit_encode(recs, 3, &xml), 0);
	assert_int_equal(parse_item(&xml, &type, &doc), 0);
	assert_int_equal(type, RT_MSG_USAGE_SUBMIT);
	assert_int_equal(rt_usage_submit_from_xml(doc, &got), 0);
	assert_int_equal(got.nrecords, 3);
	for (int i = 0; i < 3; i++)
		assert_memory_equal(&got.records[i], &recs[i], sizeof(recs[i]));
	rt_usage_batch_fini(&got);
	xmlFreeDoc(doc);
	/* none, too many, a record ending before it starts */
	assert_int_equal(rt_usage_submit_encode(recs, 0, &xml), RT_ERR_BAD_INPUT);
	assert_int_equal(rt_usage_submit_encode(recs, RT_BATCH_MAX + 1, &xml),
	    RT_ERR_BAD_INPUT);
	rt_buf_reset(&xml);
	recs[1].end = recs[1].start - 1;
	assert_int_equal(rt_usage_submit_encode(recs, 3, &xml), 0);
	assert_int_equal(parse_item(&xml, &type, &doc), 0);
	assert_int_equal(rt_usage_submit_from_xml(doc, &got), RT_ERR_BAD_INPUT);
	assert_null(got.records);
	xmlFreeDoc(doc);
	/* the same id twice: the schema refuses */
	rt_buf_reset(&xml);
	recs[1] = recs[0];
	assert_int_equal(rt_usage_submit_encode(recs, 2, &xml), 0);
	assert_int_equal(parse_item(&xml, &type, &doc), RT_ERR_SCHEMA);
	assert_int_equal(parse_text(RT_XML_DECL_TEST "<UsageSubmit xmlns=\"urn:roamtrust:1\"/>",
	    &type, &doc), RT_ERR_SCHEMA);

	/* the ack */
	ack[0].stored = 7;
	strcpy(ack[0].rejected[0].ref, recs[0].id);
	strcpy(ack[0].rejected[0].reason, "no_agreement");
	strcpy(ack[0].rejected[1].ref, recs[2].id);
	strcpy(ack[0].rejected[1].reason, "bad_input");
	ack[0].nrejected = 2;
	rt_buf_reset(&xml);
	assert_int_equal(rt_usage_submit_ack_encode(&ack[0], &xml), 0);
	assert_int_equal(parse_item(&xml, &type, &doc), 0);
	assert_int_equal(type, RT_MSG_USAGE_SUBMIT_ACK);
	assert_int_equal(rt_usage_submit_ack_from_xml(doc, &ack[1]), 0);
	xmlFreeDoc(doc);
	assert_int_equal(ack[1].stored, 7);
	assert_int_equal(ack[1].nrejected, 2);
	assert_string_equal(ack[1].rejected[1].ref, recs[2].id);
	assert_string_equal(ack[1].rejected[1].reason, "bad_input");
	/* a reason that is not a token, a ref that is not a UUID */
	strcpy(ack[0].rejected[1].reason, "Bad Input");
	rt_buf_reset(&xml);
	assert_int_equal(rt_usage_submit_ack_encode(&ack[0], &xml), 0);
	assert_int_equal(parse_item(&xml, &type, &doc), RT_ERR_SCHEMA);
	strcpy(ack[0].rejected[1].ref, "x");
	assert_int_equal(rt_usage_submit_ack_encode(&ack[0], &xml), RT_ERR_BAD_INPUT);
	rt_buf_fini(&xml);
	free(ack);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_hello),
		cmocka_unit_test(test_ping_pong),
		cmocka_unit_test(test_crl_push),
		cmocka_unit_test(test_refusal),
		cmocka_unit_test(test_refused_items),
		cmocka_unit_test(test_usage_submit),
	};

	rt_log_init("test_msg", RT_LOG_STDERR, RT_LOG_NONE);
	if (rt_xml_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
