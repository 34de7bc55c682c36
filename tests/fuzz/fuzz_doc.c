/*
 * libFuzzer target: the document decoder after the signature step (the
 * bytes an authenticated peer could send): rt_doc_parse_verified and the
 * tree -> struct mapping of every document type. The first byte picks the
 * expected type, so the fuzzer also exercises type confusion.
 */
#include <stdint.h>
#include <stdlib.h>

#include "rt_doc.h"
#include "rt_log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static const char *const types[] = {
	"RoamingAgreement", "RealmDescriptor", "SubscriberAssertion",
	"UsageRecord", "UsageBatch", "SettlementExport", NULL
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	rt_log_init("fuzz_doc", RT_LOG_STDERR, RT_LOG_ERR);
	return rt_xml_init() == 0 ? 0 : 1;
}

static void
decode_tree(xmlDocPtr doc, const char *type)
{
	xmlNodePtr root = xmlDocGetRootElement(doc);
	union {
		struct rt_agreement agreement;
		struct rt_realm_descriptor descriptor;
		struct rt_assertion assertion;
		struct rt_usage_record record;
		struct rt_export_header header;
	} u;
	struct rt_usage_batch batch;
	struct rt_buf out;
	int r = -1;

	rt_buf_init(&out, RT_XML_MAX);
	if (type == types[0] && rt_agreement_from_xml(doc, &u.agreement) == 0)
		r = rt_agreement_encode(&u.agreement, &out);
	else if (type == types[1] && rt_descriptor_from_node(root, &u.descriptor) == 0)
		r = rt_descriptor_encode(&u.descriptor, &out);
	else if (type == types[2] && rt_assertion_from_node(root, &u.assertion) == 0)
		r = rt_assertion_encode(&u.assertion, &out);
	else if (type == types[3] && rt_usage_record_from_node(root, &u.record) == 0)
		r = rt_usage_record_encode(&u.record, &out);
	else if (type == types[4] && rt_usage_batch_from_xml(doc, &batch) == 0) {
		r = rt_usage_batch_encode(&batch, &out);
		rt_usage_batch_fini(&batch);
	} else if (type == types[5] && rt_export_header_from_xml(doc, &u.header) == 0)
		r = rt_export_encode_begin(&u.header, &out);
	/* what we encode from a valid tree must itself be valid */
	if (r == 0 && type != types[5]) {
		xmlDocPtr again = NULL;

		if (rt_doc_parse_verified(type, out.data, out.len, 0, &again) != 0)
			abort();
		xmlFreeDoc(again);
	}
	rt_buf_fini(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *type;
	xmlDocPtr doc = NULL;

	if (size < 1)
		return 0;
	type = types[data[0] % 6];
	if (rt_doc_parse_verified(type, data + 1, size - 1, 0, &doc) == 0) {
		decode_tree(doc, type);
		xmlFreeDoc(doc);
	}
	return 0;
}
