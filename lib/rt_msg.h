/*
 * rt_msg: the protocol messages carried as items of signed frames
 * (rt_frame): Hello, Ping/Pong, CrlPush, Refusal. Their schema is in
 * schemas/roamtrust.xsd like every document's.
 *
 * Messages are only ever parsed from the items of a frame that verified
 * (rt_frame_verify), so the bytes are authenticated; they are still
 * parsed with rt_xml's caps and validated against the schema before any
 * field is read (rt_msg_parse), because an authenticated peer can still be
 * wrong or compromised.
 */
#ifndef RT_MSG_H
#define RT_MSG_H

#include <openssl/x509.h>
#include <stddef.h>
#include <time.h>

#include "rt_buf.h"
#include "rt_doc.h"
#include "rt_err.h"
#include "rt_xml.h"

#define RT_HELLO_MAX_AGREEMENTS 256
#define RT_REASON_MAX 33

enum rt_msg_type {
	RT_MSG_UNKNOWN = 0,
	RT_MSG_HELLO,
	RT_MSG_PING,
	RT_MSG_PONG,
	RT_MSG_CRL_PUSH,
	RT_MSG_REFUSAL,
	RT_MSG_AUTH_REQUEST,
	RT_MSG_AUTH_RESPONSE,
	RT_MSG_USAGE_BATCH,
	RT_MSG_USAGE_BATCH_ACK,
	RT_MSG_ACK,
	RT_MSG_USAGE_SUBMIT,
	RT_MSG_USAGE_SUBMIT_ACK,
	RT_MSG_COUNT
};

/* The element name of a type ("Hello"), or "unknown". */
const char *rt_msg_name(enum rt_msg_type type);

/*
 * Parses and validates one item; *typep tells which message it is, *docp
 * holds the tree for the type's _from_xml (free with xmlFreeDoc).
 */
int rt_msg_parse(const uint8_t *data, size_t len, enum rt_msg_type *typep,
    xmlDocPtr *docp) RT_WUR;

struct rt_hello {
	struct rt_realm_descriptor descriptor;
	char agreements[RT_HELLO_MAX_AGREEMENTS][RT_ID_MAX];
	int nagreements;
};

int rt_hello_encode(const struct rt_hello *h, struct rt_buf *xml) RT_WUR;
int rt_hello_from_xml(xmlDocPtr doc, struct rt_hello *h) RT_WUR;

/* Ping and Pong carry the time the ping was sent (for the RTT). */
int rt_ping_encode(enum rt_msg_type type, uint64_t sent_ms, struct rt_buf *xml) RT_WUR;
int rt_ping_from_xml(xmlDocPtr doc, uint64_t *sent_msp) RT_WUR;

int rt_crl_push_encode(X509_CRL *crl, struct rt_buf *xml) RT_WUR;
/* Returns the CRL (not yet checked against any CA: rt_trust_set_crl does). */
int rt_crl_push_from_xml(xmlDocPtr doc, X509_CRL **crlp) RT_WUR;

struct rt_refusal {
	char reason[RT_REASON_MAX];	/* an rt_errname() token */
	char detail[RT_TEXT_MAX];
};

/* ---- roaming authentication ---- */

/* What a visited realm forwards of a digest response, for the home realm
 * to verify with the subscriber's HA1. */
struct rt_auth_request {
	char agreement_ref[RT_ID_MAX];	/* "" from an agent */
	char public_id[RT_URI_MAX];	/* the AOR being registered */
	char username[RT_URI_MAX];	/* digest username (private identity) */
	char digest_realm[RT_TEXT_MAX];
	char method[17];
	char uri[RT_TEXT_MAX];
	char nonce[RT_TEXT_MAX];
	char algorithm[8];		/* MD5 | SHA-256 */
	char qop[16];			/* "" | auth | auth-int */
	char nc[RT_TEXT_MAX];
	char cnonce[RT_TEXT_MAX];
	char body_hash[RT_TEXT_MAX];	/* auth-int only */
	char response[RT_TEXT_MAX];
	char services[RT_SERVICES_MAX][RT_SERVICE_MAX];	/* wanted; may be none */
	int nservices;
};

enum rt_auth_result {
	RT_AUTH_OK = 0,
	RT_AUTH_WRONG_CREDENTIALS,
	RT_AUTH_LOCKED,
	RT_AUTH_DISABLED,
	RT_AUTH_PASSWORD_EXPIRED,
	RT_AUTH_NO_AGREEMENT,
	RT_AUTH_NO_SERVICE,
	RT_AUTH_UNAVAILABLE
};

struct rt_auth_response {
	enum rt_auth_result result;
	char reason[RT_TEXT_MAX];
	int has_assertion;
	struct rt_assertion assertion;
};

/* "ok", "wrong-credentials", ... (the schema's tokens). */
const char *rt_auth_result_name(enum rt_auth_result result);
int rt_auth_request_encode(const struct rt_auth_request *req, struct rt_buf *xml) RT_WUR;
int rt_auth_request_from_xml(xmlDocPtr doc, struct rt_auth_request *req) RT_WUR;
int rt_auth_response_encode(const struct rt_auth_response *resp, struct rt_buf *xml) RT_WUR;
int rt_auth_response_from_xml(xmlDocPtr doc, struct rt_auth_response *resp) RT_WUR;

/*
 * A received item (rt_msg_read): its type, and the schema-validated tree
 * (doc) or, for an AuthRequest or AuthResponse in the canonical form our
 * own programs write, its fields read straight from the bytes by the
 * fast path of rt_doc_field.h (doc NULL): the roaming hot path then pays
 * neither a tree nor a schema pass, and anything else is parsed as always.
 */
struct rt_msg_in {
	enum rt_msg_type type;
	xmlDocPtr doc;
	union {
		struct rt_auth_request auth_request;
		struct rt_auth_response auth_response;
	} u;
};

/* No message (type unknown, no tree): what callbacks get with an error. */
extern const struct rt_msg_in rt_msg_none;

/* rt_msg_parse, with the fast path first; free with rt_msg_in_fini. On
 * an error m is rt_msg_none's like. */
int rt_msg_read(const uint8_t *data, size_t len, struct rt_msg_in *m) RT_WUR;
void rt_msg_in_fini(struct rt_msg_in *m);
/* The fast path alone: 0 and m filled, or -1 (declined: not certain). */
int rt_msg_read_fast(const uint8_t *data, size_t len, struct rt_msg_in *m);
/* The message's fields, whichever way it was read; RT_ERR_TYPE if m is
 * another message. */
int rt_auth_request_get(const struct rt_msg_in *m, struct rt_auth_request *req) RT_WUR;
int rt_auth_response_get(const struct rt_msg_in *m, struct rt_auth_response *resp) RT_WUR;

/* ---- usage: agent to its broker ---- */

/* A UsageSubmit of the n records (1..RT_BATCH_MAX). */
int rt_usage_submit_encode(const struct rt_usage_record *records, size_t n,
    struct rt_buf *xml) RT_WUR;
/* Its records into b->records (b's header fields stay empty); free with
 * rt_usage_batch_fini. Each record is checked as a batch's would be (end
 * not before start, home differs from visited): the caller checks whose
 * they are. */
int rt_usage_submit_from_xml(xmlDocPtr doc, struct rt_usage_batch *b) RT_WUR;

struct rt_usage_reject {
	char ref[RT_ID_MAX];
	char reason[RT_REASON_MAX];	/* an rt_errname() token */
};

/* ~70 KB: allocate it. */
struct rt_usage_submit_ack {
	uint32_t stored;
	struct rt_usage_reject rejected[RT_BATCH_MAX];
	size_t nrejected;
};

int rt_usage_submit_ack_encode(const struct rt_usage_submit_ack *ack,
    struct rt_buf *xml) RT_WUR;
int rt_usage_submit_ack_from_xml(xmlDocPtr doc, struct rt_usage_submit_ack *ack) RT_WUR;

/* ---- usage: visited broker to home broker ---- */

/* The home's answer to a UsageBatch it stored (or had stored already). */
struct rt_usage_batch_ack {
	char batch_ref[RT_ID_MAX];
	uint64_t sequence;
	uint32_t stored;	/* records of the batch now durable at the home */
	uint32_t flagged;	/* of which the home's check flagged */
};

int rt_usage_batch_ack_encode(const struct rt_usage_batch_ack *ack,
    struct rt_buf *xml) RT_WUR;
int rt_usage_batch_ack_from_xml(xmlDocPtr doc, struct rt_usage_batch_ack *ack) RT_WUR;

int rt_refusal_encode(int err, const char *detail, struct rt_buf *xml) RT_WUR;
/* <Ack/>, with an optional detail. */
int rt_ack_encode(const char *detail, struct rt_buf *xml) RT_WUR;
int rt_refusal_from_xml(xmlDocPtr doc, struct rt_refusal *r) RT_WUR;

#endif
