/*
 * rt_doc: the signed documents of roamtrust as C structs.
 *
 * Each document type has _encode (struct -> canonical XML bytes, which the
 * caller then signs with rt_cms) and _decode (bytes + detached signature ->
 * struct). Decoding is always, in this order:
 *   1. verify the CMS signature over the exact bytes (rt_cms_verify: chain,
 *      CRL, signer realm from the certificate SAN);
 *   2. parse the verified bytes (rt_xml_parse: caps, no DTD/entities);
 *   3. validate against the compiled XSD and check the root element;
 *   4. semantic checks: issuer = signer realm, audience = ctx->self_realm,
 *      validity window at ctx->now with ctx->skew seconds of clock skew.
 * Nothing is read out of a document before its signature checks, so XML
 * signature wrapping is impossible by construction. The _from_xml
 * functions (step 3's tree -> struct) are public for the steps that hold a
 * tree already, and for the fuzzers; they trust that the tree validated.
 *
 * Documents that travel (descriptors, assertions, usage records and
 * batches) are encoded compact, with no whitespace between elements: fewer
 * bytes to hash and fewer nodes to parse on every request. Files people
 * read (agreements, exports) are indented.
 *
 * Structs are plain values with fixed-size fields (the schema bounds every
 * string), so decoding allocates nothing the caller must free except the
 * record array of a UsageBatch (rt_usage_batch_fini).
 */
#ifndef RT_DOC_H
#define RT_DOC_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "rt_buf.h"
#include "rt_cms.h"
#include "rt_codec.h"
#include "rt_err.h"
#include "rt_xml.h"

#define RT_ID_MAX (RT_UUID_STR_LEN + 1)
#define RT_SERVICE_MAX 33	/* service name and the NUL */
#define RT_SERVICES_MAX 16
#define RT_UNIT_MAX 16
#define RT_URI_MAX 257
#define RT_TEXT_MAX 257
#define RT_ENDPOINTS_MAX 4
#define RT_FLAGS_MAX 4
#define RT_BATCH_MAX 1000

struct rt_doc_ctx {
	struct rt_trust *trust;
	const char *self_realm;	/* the audience we are; NULL skips the check */
	time_t now;
	long skew;		/* seconds of clock skew tolerated */
	size_t max_size;	/* cap on the document; 0 = RT_XML_MAX */
};

/*
 * Steps 1-3 for any type: on success *docp holds the validated tree (free
 * with xmlFreeDoc) and signers the realms that signed. On RT_ERR_SCHEMA
 * the schema error is logged.
 */
int rt_doc_open(const struct rt_doc_ctx *ctx, const char *root_name,
    const uint8_t *xml, size_t len, const uint8_t *sig, size_t siglen,
    struct rt_cms_signers *signers, xmlDocPtr *docp) RT_WUR;
/* Steps 2-3 only, for bytes that were authenticated some other way. */
int rt_doc_parse_verified(const char *root_name, const uint8_t *xml,
    size_t len, size_t max, xmlDocPtr *docp) RT_WUR;
/* RT_ERR_NOT_YET_VALID / RT_ERR_EXPIRED for [not_before, not_on_or_after). */
int rt_doc_check_window(const struct rt_doc_ctx *ctx, time_t not_before,
    time_t not_on_or_after) RT_WUR;
/*
 * A sip:, sips: or tel: URI (rt_sip_uri_valid) or a private identity
 * (rt_identity_valid) of visible characters other than quotes and angle
 * brackets: what the schema leaves to the decoder.
 */
int rt_sip_uri_valid(const char *s);
int rt_identity_valid(const char *s);
/* Whether name is one of the n services. */
int rt_services_contain(const char (*services)[RT_SERVICE_MAX], int n,
    const char *name);

/* ---- RoamingAgreement: signed by both realms ---- */

struct rt_agreement_service {
	char name[RT_SERVICE_MAX];
	char unit[RT_UNIT_MAX];
	uint32_t rate;		/* minor currency units per unit */
};

struct rt_agreement {
	char id[RT_ID_MAX];
	char home[RT_REALM_MAX];
	char visited[RT_REALM_MAX];
	char currency[4];
	struct rt_agreement_service services[RT_SERVICES_MAX];
	int nservices;
	uint32_t max_assertion;	/* seconds */
	time_t not_before;
	time_t not_on_or_after;
};

int rt_agreement_encode(const struct rt_agreement *a, struct rt_buf *xml) RT_WUR;
int rt_agreement_from_xml(xmlDocPtr doc, struct rt_agreement *a) RT_WUR;
/*
 * Valid only when signed by both home and visited (RT_ERR_SIGNERS) and by
 * no other realm (RT_ERR_REALM), inside its validity, and, when
 * ctx->self_realm is set, when we are one of the two (RT_ERR_AUDIENCE).
 */
int rt_agreement_decode(const struct rt_doc_ctx *ctx, const uint8_t *xml,
    size_t len, const uint8_t *sig, size_t siglen, struct rt_agreement *a) RT_WUR;
const struct rt_agreement_service *rt_agreement_service(
    const struct rt_agreement *a, const char *name);

/* ---- RealmDescriptor: what a realm says of itself, at hello ---- */

struct rt_realm_descriptor {
	char realm[RT_REALM_MAX];
	uint64_t serial;
	char endpoints[RT_ENDPOINTS_MAX][RT_URI_MAX];
	int nendpoints;
	char services[RT_SERVICES_MAX][RT_SERVICE_MAX];
	int nservices;
	time_t issued_at;
	time_t not_on_or_after;
};

int rt_descriptor_encode(const struct rt_realm_descriptor *d, struct rt_buf *xml) RT_WUR;
/* Appends the element without the XML declaration (for embedding). */
int rt_descriptor_encode_element(const struct rt_realm_descriptor *d,
    struct rt_buf *xml) RT_WUR;
int rt_descriptor_from_node(xmlNodePtr node, struct rt_realm_descriptor *d) RT_WUR;
/* Issuer = signer: the descriptor's realm must be the signer's. */
int rt_descriptor_decode(const struct rt_doc_ctx *ctx, const uint8_t *xml,
    size_t len, const uint8_t *sig, size_t siglen,
    struct rt_realm_descriptor *d) RT_WUR;

/* ---- SubscriberAssertion: home vouches for a subscriber to a visited realm ---- */

struct rt_assertion {
	char id[RT_ID_MAX];
	char issuer[RT_REALM_MAX];
	char audience[RT_REALM_MAX];
	char public_id[RT_URI_MAX];
	char private_id[RT_URI_MAX];
	char services[RT_SERVICES_MAX][RT_SERVICE_MAX];
	int nservices;
	char authn_method[RT_UNIT_MAX];	/* digest-md5 | digest-sha256 */
	time_t authn_instant;
	time_t issued_at;
	time_t not_on_or_after;
	char agreement_ref[RT_ID_MAX];
};

int rt_assertion_encode(const struct rt_assertion *a, struct rt_buf *xml) RT_WUR;
int rt_assertion_encode_element(const struct rt_assertion *a, struct rt_buf *xml) RT_WUR;
int rt_assertion_from_node(xmlNodePtr node, struct rt_assertion *a) RT_WUR;
/* Issuer = signer, audience = ctx->self_realm, within validity. */
int rt_assertion_check(const struct rt_doc_ctx *ctx,
    const struct rt_cms_signers *signers, const struct rt_assertion *a) RT_WUR;
int rt_assertion_decode(const struct rt_doc_ctx *ctx, const uint8_t *xml,
    size_t len, const uint8_t *sig, size_t siglen, struct rt_assertion *a) RT_WUR;

/* ---- UsageRecord, UsageBatch ---- */

struct rt_usage_record {
	char id[RT_ID_MAX];
	char agreement_ref[RT_ID_MAX];
	char assertion_ref[RT_ID_MAX];
	char subscriber[RT_URI_MAX];
	char home[RT_REALM_MAX];
	char visited[RT_REALM_MAX];
	char service[RT_SERVICE_MAX];
	char call_id[RT_TEXT_MAX];	/* "" when absent */
	time_t start;
	time_t end;
	uint64_t quantity;
	char unit[RT_UNIT_MAX];
	char flags[RT_FLAGS_MAX][RT_SERVICE_MAX];
	int nflags;
};

/* Standalone document (with XML declaration and namespace). */
int rt_usage_record_encode(const struct rt_usage_record *u, struct rt_buf *xml) RT_WUR;
/* The element for embedding in a batch or export; indent in spaces, or
 * -1 for the compact form of the wire. */
int rt_usage_record_encode_element(const struct rt_usage_record *u,
    int indent, struct rt_buf *xml) RT_WUR;
int rt_usage_record_from_node(xmlNodePtr node, struct rt_usage_record *u) RT_WUR;
/* Issuer = signer: a record is signed by its visited realm. */
int rt_usage_record_decode(const struct rt_doc_ctx *ctx, const uint8_t *xml,
    size_t len, const uint8_t *sig, size_t siglen,
    struct rt_usage_record *u) RT_WUR;

struct rt_usage_batch {
	char id[RT_ID_MAX];
	char from[RT_REALM_MAX];	/* visited realm, the signer */
	char to[RT_REALM_MAX];		/* home realm, the audience */
	uint64_t sequence;
	char prev_hash[2 * RT_SHA256_LEN + 1];
	time_t created_at;
	struct rt_usage_record *records;	/* owned; rt_usage_batch_fini */
	size_t nrecords;
};

int rt_usage_batch_encode(const struct rt_usage_batch *b, struct rt_buf *xml) RT_WUR;
int rt_usage_batch_from_xml(xmlDocPtr doc, struct rt_usage_batch *b) RT_WUR;
/* From = signer, To = ctx->self_realm, every record visited = From, home = To. */
int rt_usage_batch_decode(const struct rt_doc_ctx *ctx, const uint8_t *xml,
    size_t len, const uint8_t *sig, size_t siglen, struct rt_usage_batch *b) RT_WUR;
void rt_usage_batch_fini(struct rt_usage_batch *b);

/* ---- SettlementExport: written as a stream, records first, totals last ---- */

struct rt_export_header {
	char id[RT_ID_MAX];
	char issuer[RT_REALM_MAX];
	char partner[RT_REALM_MAX];
	char currency[4];
	time_t period_start;
	time_t period_end;
	time_t created_at;
};

struct rt_export_total {
	char service[RT_SERVICE_MAX];
	char home[RT_REALM_MAX];
	char visited[RT_REALM_MAX];
	char unit[RT_UNIT_MAX];
	uint64_t records;
	uint64_t quantity;
	int64_t amount_minor;
	uint64_t unpriced_records;	/* of records; written when not 0 */
};

#define RT_EXPORT_TOTALS_MAX 256	/* Total elements (schema) */

int rt_export_encode_begin(const struct rt_export_header *h, struct rt_buf *xml) RT_WUR;
/* Appends one record; call between begin and end. */
int rt_export_encode_record(const struct rt_usage_record *u, struct rt_buf *xml) RT_WUR;
/* The same with its price: amountMinor, and unpriced="reason" unless
 * unpriced is NULL or "". */
int rt_export_encode_priced_record(const struct rt_usage_record *u,
    int64_t amount_minor, const char *unpriced, struct rt_buf *xml) RT_WUR;
int rt_export_encode_end(const struct rt_export_total *totals, size_t ntotals,
    struct rt_buf *xml) RT_WUR;
int rt_export_header_from_xml(xmlDocPtr doc, struct rt_export_header *h) RT_WUR;

#endif
