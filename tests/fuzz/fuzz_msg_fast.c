/*
 * libFuzzer target: rt_msg_read's fast path against libxml2 and the schema.
 * Whatever the fast path takes, rt_msg_parse must accept as the same
 * message, and its _from_xml must give the same fields byte for byte (the
 * fast path reads a strict subset of what the schema allows; it may decline
 * anything, never take what the schema refuses or read it differently).
 * The same holds for a whole SubscriberAssertion document
 * (rt_assertion_read_fast, what rt_assertion_decode tries first).
 * The seed corpus is canonical AuthRequest and AuthResponse items and an
 * assertion document.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_doc_field.h"
#include "rt_log.h"
#include "rt_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	rt_log_init("fuzz_msg_fast", RT_LOG_STDERR, RT_LOG_NONE);
	return rt_xml_init() == 0 ? 0 : 1;
}

static void
differ(const char *what)
{
	fprintf(stderr, "fuzz_msg_fast: %s\n", what);
	abort();
}

static void
assertion_document(const uint8_t *data, size_t size)
{
	static struct rt_assertion fast, slow;
	xmlDocPtr doc;

	if (rt_assertion_read_fast(data, size, &fast) != 0)
		return;
	if (rt_doc_parse_verified("SubscriberAssertion", data, size, RT_XML_MAX, &doc) != 0)
		differ("the fast path took an assertion the schema refuses");
	if (rt_assertion_from_node(xmlDocGetRootElement(doc), &slow) != 0)
		differ("assertion fields refused by the schema path");
	if (memcmp(&fast, &slow, sizeof(fast)) != 0)
		differ("assertion fields differ");
	xmlFreeDoc(doc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rt_msg_in fast, slow;
	static struct rt_auth_request qa, qb;
	static struct rt_auth_response ra, rb;

	assertion_document(data, size);
	if (rt_msg_read_fast(data, size, &fast) != 0)
		return 0;
	memset(&slow, 0, sizeof(slow));
	if (rt_msg_parse(data, size, &slow.type, &slow.doc) != 0)
		differ("the fast path took what the schema refuses");
	if (slow.type != fast.type)
		differ("not the same message type");
	if (fast.type == RT_MSG_AUTH_REQUEST) {
		if (rt_auth_request_get(&fast, &qa) != 0 || rt_auth_request_get(&slow, &qb) != 0)
			differ("AuthRequest fields refused by one side");
		if (memcmp(&qa, &qb, sizeof(qa)) != 0)
			differ("AuthRequest fields differ");
	} else {
		if (rt_auth_response_get(&fast, &ra) != 0 || rt_auth_response_get(&slow, &rb) != 0)
			differ("AuthResponse fields refused by one side");
		if (memcmp(&ra, &rb, sizeof(ra)) != 0)
			differ("AuthResponse fields differ");
	}
	rt_msg_in_fini(&slow);
	return 0;
}
