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
	[RT_MSG_USAGE_SUBMIT] = "UsageSubmit",
	[RT_MSG_USAGE_SUBMIT_ACK] = "UsageSubmitAck",
};

#define N_MSG_NAMES (sizeof(msg_names) / sizeof(msg_names[0]))
_Static_assert(N_MSG_NAMES == RT_MSG_COUNT, "msg_names must name every type");

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
rt_usage_batch_ack_encode(const struct rt_usage_batch_ack *ack, struct rt_buf *xml)
{
	int r;

	if (!rt_uuid_valid(ack->batch_ref))
		return RT_ERR_BAD_INPUT;
	if ((r = rt_doc_begin(xml, "UsageBatchAck", NULL, 1, RT_COMPACT)) != 0 ||
	    (r = rt_xml_put_text(xml, "BatchRef", ack->batch_ref)) != 0 ||
	    (r = rt_xml_put_u64(xml, "Sequence", ack->sequence)) != 0 ||
	    (r = rt_xml_put_u64(xml, "Stored", ack->stored)) != 0 ||
	    (r = rt_xml_put_u64(xml, "Flagged", ack->flagged)) != 0)
		return r;
	return rt_buf_append_str(xml, "</UsageBatchAck>");
}

int
rt_usage_batch_ack_from_xml(xmlDocPtr doc, struct rt_usage_batch_ack *ack)
{
	xmlNodePtr root = xmlDocGetRootElement(doc);
	uint64_t stored, flagged;
	int r;

	memset(ack, 0, sizeof(*ack));
	if ((r = rt_xml_child_copy(root, "BatchRef", ack->batch_ref,
	    sizeof(ack->batch_ref))) != 0 ||
	    (r = rt_xml_child_u64(root, "Sequence", &ack->sequence)) != 0 ||
	    (r = rt_xml_child_u64(root, "Stored", &stored)) != 0 ||
	    (r = rt_xml_child_u64(root, "Flagged", &flagged)) != 0)
		return r == RT_ERR_NOT_FOUND ? RT_ERR_SCHEMA : r;
	if (stored > UINT32_MAX || flagged > stored)
		return RT_ERR_SCHEMA;
	ack->stored = (uint32_t)stored;
	ack->flagged = (uint32_t)flagged;
	return 0;
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

/* ---- roaming authentication ---- */

static const char *const auth_result_names[] = {
	[RT_AUTH_OK] = "ok",
	[RT_AUTH_WRONG_CREDENTIALS] = "wrong-credentials",
	[RT_AUTH_LOCKED] = "locked",
	[RT_AUTH_DISABLED] = "disabled",
	[RT_AUTH_PASSWORD_EXPIRED] = "password-expired",
	[RT_AUTH_NO_AGREEMENT] = "no-agreement",
	[RT_AUTH_NO_SERVICE] = "no-service",
	[RT_AUTH_UNAVAILABLE] = "unavailable",
};

#define N_AUTH_RESULTS (sizeof(auth_result_names) / sizeof(auth_result_names[0]))

const char *
rt_auth_result_name(enum rt_auth_result result)
{
	if ((size_t)result >= N_AUTH_RESULTS)
		return "unavailable";
	return auth_result_names[result];
}

#define ARQ(f) offsetof(struct rt_auth_request, f)
static const struct rt_field auth_request_fields[] = {
	{"AgreementRef", RT_FIELD_TEXT, ARQ(agreement_ref), RT_ID_MAX, 1, 0, 0},
	{"PublicIdentity", RT_FIELD_TEXT, ARQ(public_id), RT_URI_MAX, 0, 0, 0},
	{"Username", RT_FIELD_TEXT, ARQ(username), RT_URI_MAX, 0, 0, 0},
	{"DigestRealm", RT_FIELD_TEXT, ARQ(digest_realm), RT_TEXT_MAX, 0, 0, 0},
	{"Method", RT_FIELD_TEXT, ARQ(method), 17, 0, 0, 0},
	{"Uri", RT_FIELD_TEXT, ARQ(uri), RT_TEXT_MAX, 0, 0, 0},
	{"Nonce", RT_FIELD_TEXT, ARQ(nonce), RT_TEXT_MAX, 0, 0, 0},
	{"Algorithm", RT_FIELD_TEXT, ARQ(algorithm), 8, 0, 0, 0},
	{"Qop", RT_FIELD_TEXT, ARQ(qop), 16, 1, 0, 0},
	{"Nc", RT_FIELD_TEXT, ARQ(nc), RT_TEXT_MAX, 1, 0, 0},
	{"Cnonce", RT_FIELD_TEXT, ARQ(cnonce), RT_TEXT_MAX, 1, 0, 0},
	{"BodyHash", RT_FIELD_TEXT, ARQ(body_hash), RT_TEXT_MAX, 1, 0, 0},
	{"Response", RT_FIELD_TEXT, ARQ(response), RT_TEXT_MAX, 0, 0, 0},
	{"Service", RT_FIELD_LIST, ARQ(services), RT_SERVICE_MAX, 0, RT_SERVICES_MAX,
	    ARQ(nservices)},
	RT_FIELD_END
};

int
rt_auth_request_encode(const struct rt_auth_request *req, struct rt_buf *xml)
{
	int r;

	if ((r = rt_doc_begin(xml, "AuthRequest", NULL, 1, RT_COMPACT)) != 0 ||
	    (r = rt_fields_write(xml, RT_COMPACT, auth_request_fields, req, 0,
	    NULL)) != 0)
		return r;
	return rt_buf_append_str(xml, "</AuthRequest>");
}

/* What the schema cannot say of the identities. */
static int
auth_request_check(const struct rt_auth_request *req)
{
	if (!rt_sip_uri_valid(req->public_id) || !rt_identity_valid(req->username))
		return RT_ERR_SCHEMA;
	return 0;
}

int
rt_auth_request_from_xml(xmlDocPtr doc, struct rt_auth_request *req)
{
	int r;

	memset(req, 0, sizeof(*req));
	if ((r = rt_fields_read(xmlDocGetRootElement(doc), auth_request_fields,
	    req)) != 0)
		return r;
	return auth_request_check(req);
}

int
rt_auth_response_encode(const struct rt_auth_response *resp, struct rt_buf *xml)
{
	int r;

	if ((r = rt_doc_begin(xml, "AuthResponse", NULL, 1, RT_COMPACT)) != 0 ||
	    (r = rt_xml_put_text(xml, "Result", rt_auth_result_name(resp->result))) != 0)
		return r;
	if (resp->reason[0] != '\0' &&
	    (r = rt_xml_put_text(xml, "Reason", resp->reason)) != 0)
		return r;
	if (resp->has_assertion &&
	    (r = rt_assertion_encode_element(&resp->assertion, xml)) != 0)
		return r;
	return rt_buf_append_str(xml, "</AuthResponse>");
}

int
rt_auth_response_from_xml(xmlDocPtr doc, struct rt_auth_response *resp)
{
	xmlNodePtr root = xmlDocGetRootElement(doc), n;
	const char *result;
	int r;

	memset(resp, 0, sizeof(*resp));
	result = rt_xml_text(rt_xml_child(root, "Result"));
	resp->result = RT_AUTH_UNAVAILABLE;
	for (size_t i = 0; i < N_AUTH_RESULTS; i++)
		if (strcmp(result, auth_result_names[i]) == 0)
			resp->result = (enum rt_auth_result)i;
	r = rt_xml_child_copy(root, "Reason", resp->reason, sizeof(resp->reason));
	if (r != 0 && r != RT_ERR_NOT_FOUND)
		return r;
	if ((n = rt_xml_child(root, "SubscriberAssertion")) != NULL) {
		if ((r = rt_assertion_from_node(n, &resp->assertion)) != 0)
			return r;
		resp->has_assertion = 1;
	}
	return 0;
}

/* ---- the fast path for the roaming hot path ---- */

static int
auth_response_scan(struct rt_scan *s, struct rt_auth_response *resp)
{
	const char *text;
	size_t len;
	int r;

	memset(resp, 0, sizeof(*resp));
	if (rt_scan_element(s, "Result", &text, &len) != 1 ||
	    !rt_scan_text_ok("Result", text, len))
		return -1;
	resp->result = RT_AUTH_UNAVAILABLE;
	for (size_t i = 0; i < N_AUTH_RESULTS; i++)
		if (strlen(auth_result_names[i]) == len &&
		    memcmp(text, auth_result_names[i], len) == 0)
			resp->result = (enum rt_auth_result)i;
	if ((r = rt_scan_element(s, "Reason", &text, &len)) < 0)
		return -1;
	if (r == 1) {
		if (len >= sizeof(resp->reason) || !rt_scan_text_ok("Reason", text, len))
			return -1;
		memcpy(resp->reason, text, len);
	}
	if (s->p < s->end && *s->p == '<' && s->end - s->p > 2 && s->p[1] != '/') {
		if (rt_assertion_scan(s, &resp->assertion) != 0)
			return -1;
		resp->has_assertion = 1;
	}
	return 0;
}

/* Larger items are never ours on this path: let libxml2 have them. */
#define FAST_MAX 16384

int
rt_msg_read_fast(const uint8_t *data, size_t len, struct rt_msg_in *m)
{
	struct rt_scan s = {(const char *)data, (const char *)data + len};

	m->doc = NULL;
	m->type = RT_MSG_UNKNOWN;
	if (len > FAST_MAX || !rt_scan_lit(&s, RT_XML_DECL))
		return -1;
	if (rt_scan_lit(&s, "<AuthRequest xmlns=\"" RT_XML_NS "\">")) {
		struct rt_auth_request *req = &m->u.auth_request;

		memset(req, 0, sizeof(*req));
		if (rt_fields_scan(&s, auth_request_fields, req, 0, NULL) != 0 ||
		    !rt_scan_lit(&s, "</AuthRequest>") || auth_request_check(req) != 0)
			return -1;
		m->type = RT_MSG_AUTH_REQUEST;
	} else if (rt_scan_lit(&s, "<AuthResponse xmlns=\"" RT_XML_NS "\">")) {
		if (auth_response_scan(&s, &m->u.auth_response) != 0 ||
		    !rt_scan_lit(&s, "</AuthResponse>"))
			return -1;
		m->type = RT_MSG_AUTH_RESPONSE;
	} else
		return -1;
	if (s.p != s.end) {
		m->type = RT_MSG_UNKNOWN;
		return -1;
	}
	return 0;
}

const struct rt_msg_in rt_msg_none = {.type = RT_MSG_UNKNOWN, .doc = NULL};

int
rt_msg_read(const uint8_t *data, size_t len, struct rt_msg_in *m)
{
	int r;

	if (rt_msg_read_fast(data, len, m) == 0)
		return 0;
	if ((r = rt_msg_parse(data, len, &m->type, &m->doc)) != 0) {
		m->type = RT_MSG_UNKNOWN;
		m->doc = NULL;
	}
	return r;
}

void
rt_msg_in_fini(struct rt_msg_in *m)
{
	xmlFreeDoc(m->doc);
	m->doc = NULL;
}

int
rt_auth_request_get(const struct rt_msg_in *m, struct rt_auth_request *req)
{
	if (m->type != RT_MSG_AUTH_REQUEST)
		return RT_ERR_TYPE;
	if (m->doc == NULL) {
		*req = m->u.auth_request;
		return 0;
	}
	return rt_auth_request_from_xml(m->doc, req);
}

int
rt_auth_response_get(const struct rt_msg_in *m, struct rt_auth_response *resp)
{
	if (m->type != RT_MSG_AUTH_RESPONSE)
		return RT_ERR_TYPE;
	if (m->doc == NULL) {
		*resp = m->u.auth_response;
		return 0;
	}
	return rt_auth_response_from_xml(m->doc, resp);
}
