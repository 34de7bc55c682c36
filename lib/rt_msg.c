#include "rt_msg.h"

#include <inttypes.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

#include "rt_codec.h"
#include "rt_doc_field.h"
#include "rt_log.h"
#include "rt_x509.h"

static const char *const msg_names[] = {
	[RT_MSG_UNKNOWN] = "unknown",
	[RT_MSG_HELLO] = "Hello",
	[RT_MSG_PING] = "Ping",
	[RT_MSG_PONG] = "Pong",
	[RT_MSG_CRL_PUSH] = "CrlPush",
	[RT_MSG_REFUSAL] = "Refusal",
	[RT_MSG_AUTH_REQUEST] = "AuthRequest",
	[RT_MSG_AUTH_RESPONSE] = "AuthResponse",
	[RT_MSG_USAGE_BATCH] = "UsageBatch",
	[RT_MSG_USAGE_BATCH_ACK] = "UsageBatchAck",
	[RT_MSG_ACK] = "Ack",
};

#define N_MSG_NAMES (sizeof(msg_names) / sizeof(msg_names[0]))

const char *
rt_msg_name(enum rt_msg_type type)
{
	if ((size_t)type >= N_MSG_NAMES)
		return msg_names[RT_MSG_UNKNOWN];
	return msg_names[type];
}

int
rt_msg_parse(const uint8_t *data, size_t len, enum rt_msg_type *typep,
    xmlDocPtr *docp)
{
	const char *root;
	int r;

	*typep = RT_MSG_UNKNOWN;
	if ((r = rt_doc_parse_verified(NULL, data, len, 0, docp)) != 0)
		return r;
	root = rt_xml_root_name(*docp);
	for (size_t i = 1; i < N_MSG_NAMES; i++) {
		if (strcmp(root, msg_names[i]) == 0) {
			*typep = (enum rt_msg_type)i;
			return 0;
		}
	}
	/* a valid document, but not a message (e.g. a bare agreement) */
	xmlFreeDoc(*docp);
	*docp = NULL;
	return RT_ERR_TYPE;
}

int
rt_hello_encode(const struct rt_hello *h, struct rt_buf *xml)
{
	int r;

	if ((r = rt_doc_begin(xml, "Hello", NULL, 1, RT_COMPACT)) != 0 ||
	    (r = rt_descriptor_encode_element(&h->descriptor, xml)) != 0)
		return r;
	for (int i = 0; i < h->nagreements; i++)
		if ((r = rt_xml_put_text(xml, "AgreementRef", h->agreements[i])) != 0)
			return r;
	return rt_buf_append_str(xml, "</Hello>");
}

int
rt_hello_from_xml(xmlDocPtr doc, struct rt_hello *h)
{
	xmlNodePtr root = xmlDocGetRootElement(doc);
	int r;

	memset(h, 0, sizeof(*h));
	if ((r = rt_descriptor_from_node(rt_xml_child(root, "RealmDescriptor"),
	    &h->descriptor)) != 0)
		return r;
	for (xmlNodePtr n = rt_xml_child(root, "AgreementRef"); n != NULL;
	    n = rt_xml_next(n)) {
		const char *id = rt_xml_text(n);

		if (h->nagreements >= RT_HELLO_MAX_AGREEMENTS || strlen(id) >= RT_ID_MAX)
			return RT_ERR_SCHEMA;
		memcpy(h->agreements[h->nagreements++], id, strlen(id) + 1);
	}
	return 0;
}

int
rt_ping_encode(enum rt_msg_type type, uint64_t sent_ms, struct rt_buf *xml)
{
	char ts[RT_TIME_STR_LEN + 1];

	if (type != RT_MSG_PING && type != RT_MSG_PONG)
		return RT_ERR_BAD_INPUT;
	rt_time_format((time_t)(sent_ms / 1000), ts);
	/* milliseconds as a fraction: the RTT needs them */
	ts[RT_TIME_STR_LEN - 1] = '\0';
	return rt_buf_printf(xml, RT_XML_DECL "<%s xmlns=\"%s\"><SentAt>%s.%03" PRIu64
	    "Z</SentAt></%s>", rt_msg_name(type), RT_XML_NS, ts, sent_ms % 1000,
	    rt_msg_name(type));
}

int
rt_ping_from_xml(xmlDocPtr doc, uint64_t *sent_msp)
{
	xmlNodePtr n = rt_xml_child(xmlDocGetRootElement(doc), "SentAt");
	const char *s = rt_xml_text(n), *dot;
	time_t t;
	int r;

	if (n == NULL)
		return RT_ERR_SCHEMA;
	if ((r = rt_time_parse(s, &t)) != 0)
		return r;
	*sent_msp = (uint64_t)t * 1000;
	/* the first three digits of the fraction, however many were written */
	if ((dot = strchr(s, '.')) != NULL) {
		unsigned int scale = 100;

		for (const char *d = dot + 1; *d >= '0' && *d <= '9' && scale > 0;
		    d++, scale /= 10)
			*sent_msp += (uint64_t)(*d - '0') * scale;
	}
	return 0;
}

int
rt_crl_push_encode(X509_CRL *crl, struct rt_buf *xml)
{
	unsigned char *der = NULL;
	int len, r;

	if ((len = i2d_X509_CRL(crl, &der)) <= 0)
		return RT_ERR_CRYPTO;
	if ((r = rt_doc_begin(xml, "CrlPush", NULL, 1, RT_COMPACT)) == 0 &&
	    (r = rt_buf_append_str(xml, "<Crl>")) == 0 &&
	    (r = rt_base64_encode(der, (size_t)len, xml)) == 0)
		r = rt_buf_append_str(xml, "</Crl></CrlPush>");
	OPENSSL_free(der);
	return r;
}

int
rt_crl_push_from_xml(xmlDocPtr doc, X509_CRL **crlp)
{
	xmlNodePtr n = rt_xml_child(xmlDocGetRootElement(doc), "Crl");
	const char *b64 = rt_xml_text(n);
	struct rt_buf der;
	int r;

	*crlp = NULL;
	if (n == NULL)
		return RT_ERR_SCHEMA;
	rt_buf_init(&der, RT_CRL_MAX);
	if ((r = rt_base64_decode(b64, strlen(b64), &der)) == 0)
		r = rt_crl_parse(der.data, der.len, crlp);
	rt_buf_fini(&der);
	return r;
}

int
rt_refusal_encode(int err, const char *detail, struct rt_buf *xml)
{
	int r;

	if ((r = rt_doc_begin(xml, "Refusal", NULL, 1, RT_COMPACT)) != 0 ||
	    (r = rt_xml_put_text(xml, "Reason", rt_errname(err))) != 0)
		return r;
	if (detail != NULL && *detail != '\0') {
		char cut[RT_TEXT_MAX];

		snprintf(cut, sizeof(cut), "%s", detail);
		if ((r = rt_xml_put_text(xml, "Detail", cut)) != 0)
			return r;
	}
	return rt_buf_append_str(xml, "</Refusal>");
}

int
rt_ack_encode(const char *detail, struct rt_buf *xml)
{
	int r;

	if ((r = rt_doc_begin(xml, "Ack", NULL, 1, RT_COMPACT)) != 0)
		return r;
	if (detail != NULL && *detail != '\0' &&
	    (r = rt_xml_put_text(xml, "Detail", detail)) != 0)
		return r;
	return rt_buf_append_str(xml, "</Ack>");
}

int
rt_refusal_from_xml(xmlDocPtr doc, struct rt_refusal *ref)
{
	xmlNodePtr root = xmlDocGetRootElement(doc);
	int r;

	memset(ref, 0, sizeof(*ref));
	if ((r = rt_xml_child_copy(root, "Reason", ref->reason,
	    sizeof(ref->reason))) != 0)
		return RT_ERR_SCHEMA;
	r = rt_xml_child_copy(root, "Detail", ref->detail, sizeof(ref->detail));
	return r == RT_ERR_NOT_FOUND ? 0 : r;
}
